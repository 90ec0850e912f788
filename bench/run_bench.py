#!/usr/bin/python3
"""hvsim benchmark (docs/benchmarks.md).

Runs the compute workload image (bench/images/workload.c) on hvsim, on
qemu-system-aarch64 (TCG) and on bare Unicorn with no hooks
(bench/bare_unicorn.c), in one invocation, and prints wall times, hvsim's
simulated MIPS and the two ratios with their targets:

    hvsim / bare Unicorn   <= 1.25   (hvsim's run-loop overhead)
    hvsim / QEMU TCG       <= 1.25

It builds nothing: build first (make, or cmake --build). It reports and does
not judge: the exit status is 0 whether the targets are met or not, and 1 only
if something broke (a missing binary, a crash, a checksum mismatch).

Standard library only; Debian's /usr/bin/python3.
"""

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TARGET = 1.25
TIMEOUT = 900  # seconds per run

QEMU_ARGS = [
    "-M", "virt,virtualization=on,gic-version=3",
    "-cpu", "cortex-a72",
    "-display", "none",
    "-monitor", "none",
    "-nic", "none",
]

CHECKSUM_RE = re.compile(r"^CHECKSUM ([0-9a-f]{16})\s*$", re.M)
ICOUNT_RE = re.compile(r"after (\d+) instructions")
EMU_RE = re.compile(r"uc_emu_start ([0-9.]+) s")


class BenchError(Exception):
    pass


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


# CPU seconds (user + system, all threads) of the last run_timed() child:
# less sensitive than wall time to other processes competing for the CPUs.
last_cpu = 0.0


def run_timed(cmd, what):
    """Run cmd, return (wall seconds, stdout, stderr). Fail on non-zero exit."""
    global last_cpu
    c0 = children_cpu()
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{what}: timed out after {TIMEOUT} s: {' '.join(cmd)}")
    wall = time.perf_counter() - t0
    last_cpu = children_cpu() - c0
    out = p.stdout.decode(errors="replace")
    err = p.stderr.decode(errors="replace")
    if p.returncode != 0:
        raise BenchError(f"{what}: exit status {p.returncode}: {' '.join(cmd)}\n"
                         f"--- stdout ---\n{out[-2000:]}\n--- stderr ---\n{err[-2000:]}")
    return wall, out, err


def checksum_of(text, what):
    m = CHECKSUM_RE.findall(text)
    if len(m) != 1:
        raise BenchError(f"{what}: expected one CHECKSUM line, got {len(m)}:\n{text[-2000:]}")
    return m[0]


def run_qemu(qemu, image, tmpdir, what):
    serial = os.path.join(tmpdir, "serial.txt")
    if os.path.exists(serial):
        os.unlink(serial)
    cmd = [qemu] + QEMU_ARGS + ["-serial", f"file:{serial}", "-kernel", image]
    wall, _, _ = run_timed(cmd, what)
    with open(serial, errors="replace") as f:
        return wall, f.read()


def med(xs):
    return statistics.median(xs)


def fmt_runs(xs):
    return "[" + ", ".join(f"{x:.2f}" for x in xs) + "]"


def verdict(ratio):
    return "PASS" if ratio <= TARGET else "MISS"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build", help="build directory (default: build)")
    ap.add_argument("--small", action="store_true",
                    help="use workload_small.elf (~55 M instructions) instead of "
                         "workload.elf (~1.45 G)")
    ap.add_argument("--reps", type=int, default=3,
                    help="timed repetitions of each program; the median is reported "
                         "(default 3)")
    ap.add_argument("--engine-page-size", type=int, choices=(1024, 4096), default=None,
                    help="the engine page size of hvsim and bare Unicorn (default: hvsim's, "
                         "4096; docs/architecture.md, \"Engine pages\")")
    a = ap.parse_args()
    if a.reps < 1:
        ap.error("--reps must be at least 1")

    build = a.build
    hvsim = os.path.join(build, "hvsim")
    bare = os.path.join(build, "bench", "bare_unicorn")
    ps = ["--engine-page-size", str(a.engine_page_size)] if a.engine_page_size else []
    image = os.path.join(build, "images", "workload_small.elf" if a.small else "workload.elf")
    hello = os.path.join(build, "images", "hello.elf")
    qemu = shutil.which("qemu-system-aarch64")
    for path in (hvsim, bare, image, hello):
        if not os.path.exists(path):
            raise BenchError(f"{path} not found: build first (make, or cmake --build {build})")
    if not qemu:
        raise BenchError("qemu-system-aarch64 not found (Debian: qemu-system-arm)")

    with tempfile.TemporaryDirectory(prefix="hvsim-bench-") as tmpdir:
        # Instruction count and reference checksum: one hvsim run without -q
        # (it reports "... after N instructions ..." on stderr). It also warms
        # the page cache and the shared libraries; it is not timed.
        print(f"image: {image}", flush=True)
        _, out, err = run_timed([hvsim, "run"] + ps + [image], "hvsim (count run)")
        m = ICOUNT_RE.search(err)
        if not m:
            raise BenchError(f"hvsim: no instruction count in its report:\n{err[-2000:]}")
        icount = int(m.group(1))
        ref = checksum_of(out, "hvsim")
        print(f"instructions retired (hvsim): {icount:,}; checksum {ref}", flush=True)

        t_hv, t_qemu, t_bare, t_bare_emu = [], [], [], []
        c_hv, c_qemu, c_bare = [], [], []
        for rep in range(a.reps):
            print(f"repetition {rep + 1}/{a.reps}: hvsim", end="", flush=True)
            wall, out, _ = run_timed([hvsim, "run", "-q"] + ps + [image], "hvsim")
            cs = checksum_of(out, "hvsim")
            if cs != ref:
                raise BenchError(f"hvsim checksum {cs} differs from its first run ({ref})")
            t_hv.append(wall)
            c_hv.append(last_cpu)

            print(f" {wall:.2f} s, QEMU", end="", flush=True)
            wall, serial = run_qemu(qemu, image, tmpdir, "QEMU")
            cs = checksum_of(serial, "QEMU")
            if cs != ref:
                raise BenchError(f"checksum mismatch: QEMU {cs}, hvsim {ref}")
            t_qemu.append(wall)
            c_qemu.append(last_cpu)

            print(f" {wall:.2f} s, bare Unicorn", end="", flush=True)
            wall, out, err = run_timed([bare] + ps + [image], "bare Unicorn")
            cs = checksum_of(out, "bare Unicorn")
            if cs != ref:
                raise BenchError(f"checksum mismatch: bare Unicorn {cs}, hvsim {ref}")
            m = EMU_RE.search(err)
            if not m:
                raise BenchError(f"bare Unicorn: no uc_emu_start time in:\n{err}")
            t_bare.append(wall)
            c_bare.append(last_cpu)
            t_bare_emu.append(float(m.group(1)))
            print(f" {wall:.2f} s", flush=True)

        # Start-up costs: the smallest image (hello: ~3000 instructions).
        s_hv, s_qemu = [], []
        for _ in range(a.reps):
            s_hv.append(run_timed([hvsim, "run", "-q"] + ps + [hello], "hvsim (hello)")[0])
            s_qemu.append(run_qemu(qemu, hello, tmpdir, "QEMU (hello)")[0])

    hv, qm, bu, bu_emu = med(t_hv), med(t_qemu), med(t_bare), med(t_bare_emu)
    st_hv, st_qemu = med(s_hv), med(s_qemu)
    st_bare = med([w - e for w, e in zip(t_bare, t_bare_emu)])

    r_bare = hv / bu
    r_qemu = hv / qm
    r_bare_net = (hv - st_hv) / bu_emu if bu_emu > 0 else float("inf")
    r_qemu_net = (hv - st_hv) / (qm - st_qemu) if qm > st_qemu else float("inf")
    chv, cqm, cbu = med(c_hv), med(c_qemu), med(c_bare)

    print()
    print(f"hvsim benchmark: {os.path.basename(image)}, {icount:,} instructions, "
          f"checksum {ref} (same on all three)")
    print(f"wall seconds, median of {a.reps} (all runs in brackets):")
    print(f"  hvsim run -q             {hv:8.2f}   {fmt_runs(t_hv)}")
    print(f"  qemu-system-aarch64 TCG  {qm:8.2f}   {fmt_runs(t_qemu)}")
    print(f"  bare Unicorn, no hooks   {bu:8.2f}   {fmt_runs(t_bare)}"
          f"   (uc_emu_start alone {bu_emu:.2f})")
    print(f"CPU seconds (user + system), median: hvsim {chv:.2f} {fmt_runs(c_hv)}, "
          f"QEMU {cqm:.2f} {fmt_runs(c_qemu)}, bare Unicorn {cbu:.2f} {fmt_runs(c_bare)}")
    print("start-up, wall seconds (hello.elf, ~3 k instructions):")
    print(f"  hvsim                    {st_hv:8.2f}   {fmt_runs(s_hv)}")
    print(f"  qemu-system-aarch64      {st_qemu:8.2f}   {fmt_runs(s_qemu)}")
    print(f"  bare Unicorn             {st_bare:8.2f}   (its wall time outside uc_emu_start)")
    print(f"hvsim simulated speed: {icount / hv / 1e6:.0f} MIPS "
          f"(instructions / hvsim wall time; {icount / (hv - st_hv) / 1e6:.0f} MIPS "
          f"without start-up)")
    print()
    print(f"  {'ratio':58s} {'value':>7s}  target")
    rows = [
        ("hvsim / bare Unicorn, wall (run-loop overhead)", r_bare),
        ("hvsim / bare Unicorn, start-up subtracted (vs uc_emu_start)", r_bare_net),
        ("hvsim / QEMU TCG, raw wall time", r_qemu),
        ("hvsim / QEMU TCG, start-up subtracted from each side", r_qemu_net),
    ]
    for name, r in rows:
        print(f"  {name:58s} {r:6.2f}x  <= {TARGET:.2f}x {verdict(r)}")
    print("  for comparison, CPU seconds instead of wall (not a target; steadier on a busy "
          "machine):")
    print(f"  {'hvsim / bare Unicorn, CPU time':58s} {chv / cbu:6.2f}x")
    print(f"  {'hvsim / QEMU TCG, CPU time':58s} {chv / cqm:6.2f}x")
    print()
    print("A MISS is reported, not an error: see docs/benchmarks.md for how to read it.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"\nrun_bench: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(1)
