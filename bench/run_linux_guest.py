#!/usr/bin/python3
"""Linux-as-a-guest benchmark (issue 9, part 3): hypervisor-linux.elf running
the rtos VM and Debian's arm64 kernel with the busybox initramfs
(guests/linux/prepare) on hvsim, against the baseline QEMU 7.2 TCG direct
boot of the same kernel and initramfs (-M virt,virtualization=on,
gic-version=3 -cpu cortex-a72), measured in the same run, interleaved, N
times each, to Linux's marker (the first line /init prints, on the console
stream) and to the process's exit (on hvsim the hypervisor's system off,
which comes after the rtos VM has finished its run, 0.2 s of virtual time
after Linux powered off). Prints the medians of host wall and CPU time to
both, the ratios (target: at most 1.5x QEMU's direct boot, to the marker),
and the hypervisor's traps from the linux VM by exception
class, per second of virtual time (from its summary line and hvsim's
virtual-time report). Exit status 1 only if a boot fails."""
import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_linux import (prepare_linux, print_medians, print_ratios, qemu_direct,  # noqa: E402
                       run_interleaved)

ROOT = Path(__file__).resolve().parents[1]
EC_NAMES = {0x01: "WFI/WFE", 0x16: "HVC", 0x17: "SMC", 0x18: "MSR/MRS", 0x20: "instr abort",
            0x24: "data abort (MMIO)"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    prep = prepare_linux()
    if not prep:
        return 1
    out, image, initrd = prep
    build = Path(a.build)
    cmds = {
        "hvsim guest": [str(build / "hvsim"), "run", "-m", "256M", "--load", f"{image}@0x48000000",
                        "--load", f"{initrd}@0x4c000000",
                        str(build / "images" / "hypervisor-linux.elf")],
        "qemu direct": qemu_direct(image, initrd),
    }
    ran = run_interleaved(cmds, a.reps)
    if not ran:
        return 1
    res, last = ran
    print(f"Linux ({(out / 'VERSION').read_text().strip()}) as a guest next to rtos on hvsim, "
          f"vs QEMU's direct boot; {a.reps} runs each, medians:")
    med = print_medians(res, 12)
    print_ratios(med, "hvsim guest", "qemu direct", "hvsim guest / QEMU direct", 1.5)
    h = last["hvsim guest"]
    both = h.stdout + h.stderr
    m = re.search(rb"system-off after (\d+) instructions, (\d+) ns virtual", both)
    s = re.search(rb"hyp: vm linux: .*traps:((?: ec[0-9a-f]+=\d+)*)", both)
    if not (m and s):
        print("  (no hypervisor summary or virtual time in hvsim's output)")
        return 1
    secs = int(m.group(2)) / 1e9
    print(f"  linux VM traps to the hypervisor ({int(m.group(1)) / 1e9:.2f} G instructions, "
          f"{secs:.3f} s virtual):")
    for ec, n in re.findall(rb"ec([0-9a-f]+)=(\d+)", s.group(1)):
        ec, n = int(ec, 16), int(n)
        print(f"    EC 0x{ec:02x} {EC_NAMES.get(ec, '?'):18s} {n:7d}   {n / secs:9.0f} /s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
