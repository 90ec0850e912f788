"""Debian's own arm64 kernel boots on hvsim, directly at EL2.

The inputs come from Debian's archive (guests/linux/prepare): the smallest
linux-image-*-cloud-arm64-unsigned kernel and a busybox-static initramfs whose
/init prints HVSIM-LINUX marker lines and powers off. Nobody here wrote that
kernel, so it tests the models' fidelity honestly. QEMU virt boots the same
inputs as the reference. The tests skip, loudly, only when Debian's archive
cannot be reached.
"""
import re

import pytest

from conftest import ROOT, prepare_from_debian, run_hvsim, run_qemu

LINUX_DIR = ROOT / ".deps" / "linux" / "out"
APPEND = "console=ttyAMA0"
MARKER = re.compile(rb"^HVSIM-LINUX: (.*?)\r?$", re.M)


@pytest.fixture(scope="module")
def linux():
    prepare_from_debian("guests/linux/prepare", LINUX_DIR, "the Linux inputs")
    return LINUX_DIR / "Image", LINUX_DIR / "initrd.gz"


def markers(out):
    """The marker lines, first occurrence of each, in order. The interrupt
    counts are dropped: they depend on how long the boot ran."""
    seen = []
    for m in MARKER.findall(out):
        line = re.sub(rb"^(irq +\d+:) +\d+ ", rb"\1 N ", m)
        if line not in seen:
            seen.append(line)
    return seen


def boot_hvsim(linux, *extra):
    image, initrd = linux
    return run_hvsim(["run", "-q", "-m", "256M", "--append", APPEND, "--initrd", initrd,
                      "--max-time", "10s", *extra, image], timeout=600)


def test_linux_boots_to_init_and_powers_off(linux):
    r = boot_hvsim(linux)
    assert r.status == 0, r.stderr.decode(errors="replace")[-2000:]
    out = r.stdout
    # The kernel saw the PE enter at EL2 (it keeps EL2 for KVM), found the
    # GICv3 and the arch timer, and ran user space.
    assert b"CPU: All CPU(s) started at EL2" in out
    assert b"GICv3: 224 SPIs implemented" in out
    # ID_AA64PFR0_EL1.GIC = 1 (hvsim models the GICv3 system registers).
    assert b"CPU features: detected: GIC system register CPU interface" in out
    assert re.search(rb"arch_timer: cp15 timer\(s\) running at \d+\.\d+MHz \(phys\)", out)
    m = markers(out)
    assert b"init started" in m and b"powering off" in m
    assert b"clocksource arch_sys_counter" in m
    assert any(b"GICv3  30 Level     arch_timer" in x for x in m), m
    assert any(b"GICv3  33 Level     uart-pl011" in x for x in m), m
    # Deterministic: a second run prints exactly the same bytes.
    assert boot_hvsim(linux).stdout == out


def test_linux_matches_qemu(linux, tmp_path):
    """The reference boots the same inputs; both reach user space with the
    same view of the machine: kernel, CPUs, clocksource, the timer and UART
    interrupts. QEMU's virt also has a PMU and a PL031 RTC, which hvsim's
    platform does not describe, so only hvsim's devices are compared."""
    image, initrd = linux
    q = run_qemu(image, tmp_path, timeout=300,
                 extra=["-m", "256", "-initrd", str(initrd), "-append", APPEND])
    h = boot_hvsim(linux)
    assert q.status == 0 and h.status == 0
    qm, hm = markers(q.stdout), markers(h.stdout)
    common = [x for x in hm if not x.startswith(b"irq")]
    assert common == [x for x in qm if not x.startswith(b"irq")]
    for name in (b"arch_timer", b"uart-pl011", b"vgic"):
        assert [x for x in hm if name in x] == [x for x in qm if name in x], name


def test_initrd_that_does_not_fit_is_refused(linux, tmp_path):
    image, _ = linux
    big = tmp_path / "big.img"
    big.write_bytes(b"\0" * (80 << 20))
    r = run_hvsim(["run", "-q", "-m", "128M", "--initrd", big, image])
    assert r.status == 1 and b"do not fit in RAM" in r.stderr, r.stderr


# --- Linux as a guest of the hypervisor (hypervisor/configs/linux.c) ---------
# The loader places the kernel at the start of the linux VM's RAM (PA
# 0x48000000) and the initramfs in its initrd window (PA 0x4c000000); the
# hypervisor runs it at EL1 next to the rtos VM (docs/linux.md).
HYP_LINUX = "hypervisor-linux.elf"
LINUX_VM_LOADS = ("0x48000000", "0x4c000000")
# As in test_hypervisor.py: the rtos's timer-interrupt latency stays below
# 1% of its 1 ms period (62500 ticks at 62.5 MHz) on hvsim.
LATENCY_BOUND_TICKS = 625
LATENCY = re.compile(rb"^\[uart1\] rtos: latency ticks=(\d+) min=(\d+) max=(\d+) avg=(\d+) "
                     rb"missed=(\d+)\r?$", re.M)


def timer_irqs(out):
    """Linux's count of virtual-timer interrupts when its init looked."""
    m = re.search(rb"HVSIM-LINUX: irq +\d+: +(\d+) +GICv3 +27 ", out)
    assert m, out[-2000:]
    return int(m.group(1))


def boot_linux_vm(linux, images):
    image, initrd = linux
    return run_hvsim(["run", "-q", "-m", "256M",
                      "--load", f"{image}@{LINUX_VM_LOADS[0]}",
                      "--load", f"{initrd}@{LINUX_VM_LOADS[1]}",
                      "--max-time", "3s", images / HYP_LINUX], timeout=600)


def test_linux_as_a_guest_next_to_rtos(linux, images):
    r = boot_linux_vm(linux, images)
    assert r.status == 0, r.stderr.decode(errors="replace")[-2000:]
    out = r.stdout
    lx = b"\n".join(l[len(b"[uart2] "):] for l in out.splitlines() if l.startswith(b"[uart2] "))
    # The kernel runs at EL1 under the hypervisor, with the VM's DTB: its
    # command line, PSCI over HVC, the emulated GICv3 at the VM's IPAs and
    # the virtual timer.
    assert b"CPU: All CPU(s) started at EL1" in lx
    assert b"Machine model: hvsim hypervisor VM" in lx
    assert b"Kernel command line: console=ttyAMA0,115200" in lx
    assert b"psci: PSCIv1.0 detected in firmware." in lx
    assert b"GICv3: CPU0: found redistributor 0 region 0:0x00000000080a0000" in lx
    assert re.search(rb"arch_timer: cp15 timer\(s\) running at \d+\.\d+MHz \(virt\)", lx)
    assert b"node   0: [mem 0x0000000040000000-0x0000000047ffffff]" in lx  # its 128 MiB only
    m = markers(lx)
    assert m[0] == b"init started" and m[-1] == b"powering off", m
    assert b"cpus 1" in m
    # Its console interrupt and the virtual timer arrive through the vGIC.
    assert any(re.match(rb"irq +\d+: N +GICv3 +27 Level +arch_timer", x) for x in m), m
    assert any(re.match(rb"irq +\d+: N +GICv3 +33 Level +uart-pl011", x) for x in m), m
    assert timer_irqs(lx) > 0
    assert b"hyp: vm linux: off (PSCI SYSTEM_OFF)" in out
    # Linux initialises every INTID the vGIC advertises: the ones it does
    # not own are RAZ/WI for it, not violations; nothing was refused.
    assert re.search(rb"hyp: vm linux: switches=\d+ irqs=\d+ injections=\d+ undef=0 violations=0",
                     out), out[-800:]
    # The rtos (the 1200-tick build, guests/rtos/rtos_long.c) ran through
    # the whole Linux boot and kept its latency bound: it reports before
    # Linux starts init and again after Linux has powered off.
    lat = LATENCY.findall(out)
    assert [int(t[0]) for t in lat] == list(range(50, 1201, 50)), lat
    for ticks, mn, mx, avg, missed in lat:
        assert int(missed) == 0 and int(mx) < LATENCY_BOUND_TICKS, lat
    assert out.index(b"rtos: latency ticks=50") < out.index(b"HVSIM-LINUX: init started")
    assert out.index(b"hyp: vm linux: off") < out.index(b"rtos: latency ticks=1200")
    # Deterministic: the same inputs print the same bytes.
    assert boot_linux_vm(linux, images).stdout == out


def test_linux_guest_on_qemu(linux, images, tmp_path):
    """The same image on QEMU virt, loaded with -device loader: Linux reaches
    its init through the multiplexed console. (QEMU's timing follows the
    host: the rtos latency bound is checked on hvsim only.)"""
    image, initrd = linux
    q = run_qemu(images / HYP_LINUX, tmp_path, timeout=120, extra=[
        "-m", "256M",
        "-device", f"loader,file={image},addr={LINUX_VM_LOADS[0]},force-raw=on",
        "-device", f"loader,file={initrd},addr={LINUX_VM_LOADS[1]},force-raw=on"])
    assert q.status == 0, q.stderr.decode(errors="replace")[-2000:]
    lx = b"\n".join(l[len(b"[linux] "):] for l in q.stdout.splitlines()
                    if l.startswith(b"[linux] "))
    m = markers(lx)
    assert m and m[0] == b"init started" and m[-1] == b"powering off", q.stdout[-2000:]
    # Its timer ticks: QEMU's host-timed runs exercise the virtual timer
    # firing before Linux enables INTID 27 (held, then delivered).
    assert timer_irqs(lx) > 0
    assert b"hyp: vm linux: off (PSCI SYSTEM_OFF)" in q.stdout
    assert b"rtos: latency ticks=200" in q.stdout
