#!/usr/bin/python3
"""Linux boot benchmark (issue 9 target): Debian's arm64 kernel with the
busybox initramfs (guests/linux/prepare), from reset to PSCI SYSTEM_OFF after
the marker, directly at EL2, on hvsim and on QEMU 7.2 TCG (-M
virt,virtualization=on,gic-version=3 -cpu cortex-a72), in the same run, N
times each. Prints the medians of host wall time and user+system CPU time and
the ratios hvsim/QEMU (target: at most 1.0x QEMU's wall time). CPU time is the
steadier measure on a shared machine. Exit status 1 only if a boot fails."""
import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPEND = "console=ttyAMA0"


def timed(cmd):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, timeout=900)
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu, p


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
    each run must reach the marker. Returns ({name: [(wall, cpu)]}, {name:
    last process}), or None after printing which boot failed."""
    res, last = {}, {}
    for _ in range(reps):
        for name, cmd in cmds.items():
            wall, cpu, p = timed(cmd)
            if p.returncode != 0 or b"HVSIM-LINUX: init started" not in p.stdout:
                print(f"{name}: boot failed (exit {p.returncode})")
                return None
            res.setdefault(name, []).append((wall, cpu))
            last[name] = p
    return res, last


def print_medians(res, width):
    """Print and return {name: (median wall, median cpu)}."""
    med = {}
    for name, runs in res.items():
        w = statistics.median(r[0] for r in runs)
        c = statistics.median(r[1] for r in runs)
        med[name] = (w, c)
        print(f"  {name:{width}s} wall {w:6.2f} s   cpu {c:6.2f} s   "
              f"[{', '.join(f'{r[0]:.2f}' for r in runs)}]")
    return med


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--reps", type=int, default=3)
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
    ran = run_interleaved(cmds, a.reps)
    if not ran:
        return 1
    print(f"Linux boot to the initramfs marker and power-off ({(out / 'VERSION').read_text().strip()}), "
          f"{a.reps} runs each, medians:")
    med = print_medians(ran[0], 6)
    rw = med["hvsim"][0] / med["qemu"][0]
    rc = med["hvsim"][1] / med["qemu"][1]
    print(f"  hvsim / QEMU wall time  {rw:5.2f}x   target <= 1.0x  {'PASS' if rw <= 1.0 else 'MISS'}")
    print(f"  hvsim / QEMU CPU time   {rc:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
