#!/usr/bin/python3
"""Write a gzip-compressed "newc" cpio initramfs with busybox as /init's shell.

The layout is the smallest that boots Debian's arm64 kernel to a shell script:
/dev/console (char 5:1, which the kernel opens before starting init; without
it init's output goes nowhere), /bin/busybox, /init, and empty /proc, /sys.
The cpio "newc" format is the one the kernel's initramfs unpacker reads
(Documentation/driver-api/early-userspace/buffer-format.rst). Debian's cpio
package is not installed by default, so this writes the format itself.
Timestamps are fixed (mtime 0) so the output is reproducible.

usage: mkinitramfs.py BUSYBOX INIT_SCRIPT OUT.cpio.gz
"""
import gzip
import stat
import sys


def entry(ino, name, mode, data=b"", rdev=(0, 0), nlink=1):
    name_b = name.encode() + b"\0"
    hdr = "070701" + "".join(
        "%08X" % v
        for v in (ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0)
    )
    out = hdr.encode() + name_b
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return out


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__.strip().splitlines()[-1])
    busybox = open(argv[1], "rb").read()
    init = open(argv[2], "rb").read()
    parts = [
        entry(1, "dev", stat.S_IFDIR | 0o755, nlink=2),
        entry(2, "dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1)),
        entry(3, "bin", stat.S_IFDIR | 0o755, nlink=2),
        entry(4, "bin/busybox", stat.S_IFREG | 0o755, busybox),
        entry(5, "bin/sh", stat.S_IFLNK | 0o777, b"busybox"),
        entry(6, "proc", stat.S_IFDIR | 0o755, nlink=2),
        entry(7, "sys", stat.S_IFDIR | 0o755, nlink=2),
        entry(8, "init", stat.S_IFREG | 0o755, init),
        entry(0, "TRAILER!!!", 0),
    ]
    with open(argv[3], "wb") as f:
        f.write(gzip.compress(b"".join(parts), compresslevel=6, mtime=0))


if __name__ == "__main__":
    main(sys.argv)
