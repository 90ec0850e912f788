#!/usr/bin/python3
"""Linux boot benchmark (issue 9 target): Debian's arm64 kernel with the
busybox initramfs (guests/linux/prepare), directly at EL2, on hvsim and on
QEMU 7.2 TCG (-M virt,virtualization=on,gic-version=3 -cpu cortex-a72), in
the same run, interleaved, N times each. Two end points are timed in the
same run: Linux's marker (the first line /init prints, "HVSIM-LINUX: init
started", seen on the console stream as it is written) and the process's
exit (PSCI SYSTEM_OFF after the marker). Prints the medians of host wall
time and CPU time (user+system, all threads) to each, and the ratios
hvsim/QEMU (target: at most 1.0x QEMU's wall time to the marker). CPU time
is the steadier measure on a shared machine. Exit status 1 only if a boot
fails."""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPEND = "console=ttyAMA0"


MARKER = b"HVSIM-LINUX: init started"


def proc_cpu(pid):
    """User+system CPU seconds of a live process, all its threads (the
    kernel's per-process sum, /proc/PID/stat fields 14-15, in clock ticks)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(cmd, marker=MARKER):
    """Run cmd; return (wall, cpu, marker wall, marker cpu, process). The
    console (stdout) is read as it is written (hvsim flushes at each newline,
    QEMU's -serial stdio does not buffer): the first time the marker shows,
    the wall time since the start and the child's CPU time so far are taken.
    Both are None if the marker never shows."""
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
        out, mwall, mcpu = bytearray(), None, None
        deadline = t0 + 900
        while True:
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            # Search only the new bytes plus enough of the old for a split marker.
            start = max(0, len(out) - len(marker))
            out += chunk
            if mwall is None and marker in out[start:]:
                mwall = time.monotonic() - t0
                try:
                    mcpu = proc_cpu(p.pid)
                except OSError:
                    mcpu = None
            if time.monotonic() > deadline:
                p.kill()
        p.stdout.close()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        p.stdout, p.stderr = bytes(out), err.read()
    cpu = ru.ru_utime + ru.ru_stime
    return wall, cpu, mwall, mcpu, p


def prepare_linux():
    """guests/linux/prepare's Image and initrd paths, or None if it failed."""
    out = ROOT / ".deps" / "linux" / "out"
    if subprocess.run([str(ROOT / "guests" / "linux" / "prepare"), str(out)]).returncode != 0:
        print("cannot prepare the Linux inputs (Debian's archive unreachable?)")
        return None
    return out, str(out / "Image"), str(out / "initrd.gz")


def qemu_direct(image, initrd):
    """The baseline: QEMU 7.2 TCG booting the kernel directly."""
    return ["qemu-system-aarch64", "-M", "virt,virtualization=on,gic-version=3", "-cpu",
            "cortex-a72", "-m", "256", "-display", "none", "-monitor", "none", "-nic", "none",
            "-serial", "stdio", "-kernel", image, "-initrd", initrd, "-append", APPEND]


def run_interleaved(cmds, reps):
    """Run each command reps times, interleaved so that all see the same load;
    each run must reach the marker. Returns ({name: [(wall, cpu, marker wall,
    marker cpu)]}, {name: last process}), or None after printing which boot
    failed."""
    res, last = {}, {}
    for _ in range(reps):
        for name, cmd in cmds.items():
            wall, cpu, mwall, mcpu, p = timed(cmd)
            if p.returncode != 0 or mwall is None or mcpu is None:
                print(f"{name}: boot failed (exit {p.returncode}"
                      f"{', no marker' if mwall is None else ''})")
                return None
            res.setdefault(name, []).append((wall, cpu, mwall, mcpu))
            last[name] = p
    return res, last


def print_medians(res, width):
    """Print and return {name: (median wall, median cpu, median marker wall,
    median marker cpu)}: to Linux's marker first, then to the exit."""
    med = {}
    for name, runs in res.items():
        med[name] = tuple(statistics.median(r[i] for r in runs) for i in range(4))
    for what, i in (("to the marker", 2), ("to the exit", 0)):
        print(f"  {what}:")
        for name, runs in res.items():
            w, c = med[name][i], med[name][i + 1]
            print(f"    {name:{width}s} wall {w:6.2f} s   cpu {c:6.2f} s   "
                  f"[{', '.join(f'{r[i]:.2f}' for r in runs)}]")
    return med


def print_ratios(med, a, b, label, target):
    """The ratios of a to b, to the marker (judged against target) and to the
    exit (the figure printed before the marker was timed)."""
    for what, i in (("to the marker", 2), ("to the exit  ", 0)):
        rw = med[a][i] / med[b][i]
        rc = med[a][i + 1] / med[b][i + 1]
        verdict = f"target <= {target}x  {'PASS' if rw <= target else 'MISS'}" if i == 2 else ""
        print(f"  {label} {what}: wall {rw:5.2f}x   cpu {rc:5.2f}x   {verdict}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--compare-page-size", action="store_true",
                    help="also run hvsim with --engine-page-size 1024 (Unicorn's own 1 KiB "
                         "engine pages), interleaved, as 'hvsim-1k'")
    a = ap.parse_args()
    prep = prepare_linux()
    if not prep:
        return 1
    out, image, initrd = prep
    cmds = {
        "hvsim": [str(Path(a.build) / "hvsim"), "run", "-q", "-m", "256M", "--append", APPEND,
                  "--initrd", initrd, image],
        "qemu": qemu_direct(image, initrd),
    }
    if a.compare_page_size:
        cmds["hvsim-1k"] = cmds["hvsim"][:3] + ["--engine-page-size", "1024"] + cmds["hvsim"][3:]
    ran = run_interleaved(cmds, a.reps)
    if not ran:
        return 1
    print(f"Linux boot ({(out / 'VERSION').read_text().strip()}), reset to /init's marker and "
          f"to the process's exit after power-off, {a.reps} runs each, medians:")
    med = print_medians(ran[0], 8)
    print_ratios(med, "hvsim", "qemu", "hvsim / QEMU", 1.0)
    if a.compare_page_size:
        print_ratios(med, "hvsim-1k", "qemu", "hvsim-1k / QEMU", 1.0)
        print_ratios(med, "hvsim", "hvsim-1k", "hvsim / hvsim-1k", 1.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
