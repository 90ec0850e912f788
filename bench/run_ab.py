#!/usr/bin/python3
"""Before/after benchmark of two hvsim builds on the same machine load.

Runs workload_small.elf and the Linux direct boot (guests/linux/prepare's
kernel and initramfs in .deps/linux/out, as bench/run_linux.py) on the
hvsim of two build directories, interleaved: each repetition runs both
builds back to back, in alternating order. Each run's CPU time (user +
system, from wait4) is taken; printed per workload are both medians and the
median and range of the per-repetition ratios new/base. CPU time is the
steadier measure on a shared machine; the range says how much noise the
run had. It reports and does not judge: exit status 1 only if a run fails.

    bench/run_ab.py --base build-base --new build --reps 10
"""
import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cpu_of(cmd):
    """Run cmd (output discarded); return (exit status, CPU seconds)."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    return os.waitstatus_to_exitcode(status), ru.ru_utime + ru.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="build directory of the baseline")
    ap.add_argument("--new", required=True, help="build directory measured against it")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--no-linux", action="store_true", help="leave out the Linux boot")
    a = ap.parse_args()
    if a.reps < 1:
        ap.error("--reps must be at least 1")
    builds = {"base": Path(a.base) / "hvsim", "new": Path(a.new) / "hvsim"}
    work = {"workload_small": ["run", "-q", str(Path(a.new) / "images" / "workload_small.elf")]}
    linux = ROOT / ".deps" / "linux" / "out"
    if not a.no_linux:
        if not (linux / "Image").exists():
            sys.exit(f"{linux}/Image not found: run guests/linux/prepare (or use --no-linux)")
        work["linux_boot"] = ["run", "-q", "-m", "256M", "--append", "console=ttyAMA0",
                              "--initrd", str(linux / "initrd.gz"), str(linux / "Image")]
    for b in builds.values():
        if not b.exists():
            sys.exit(f"{b} not found: build first")
    cpu = {(w, b): [] for w in work for b in builds}
    failed = False
    for rep in range(a.reps):
        for w, args in work.items():
            order = list(builds) if rep % 2 == 0 else list(reversed(builds))
            for b in order:
                rc, t = cpu_of([str(builds[b])] + args)
                if rc != 0:
                    print(f"{w} on {b}: exit status {rc}")
                    failed = True
                cpu[(w, b)].append(t)
        print(f"repetition {rep + 1}/{a.reps} done", flush=True)
    for w in work:
        base, new = cpu[(w, "base")], cpu[(w, "new")]
        ratios = [n / b for b, n in zip(base, new)]
        print(f"{w}: CPU s median base {statistics.median(base):.3f} new "
              f"{statistics.median(new):.3f}; new/base per repetition: median "
              f"{statistics.median(ratios):.3f}, range {min(ratios):.3f}-{max(ratios):.3f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
