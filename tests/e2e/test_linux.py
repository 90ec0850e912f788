"""Debian's own arm64 kernel boots on hvsim, directly at EL2.

The inputs come from Debian's archive (guests/linux/prepare): the smallest
linux-image-*-cloud-arm64-unsigned kernel and a busybox-static initramfs whose
/init prints HVSIM-LINUX marker lines and powers off. Nobody here wrote that
kernel, so it tests the models' fidelity honestly. QEMU virt boots the same
inputs as the reference. The tests skip, loudly, only when Debian's archive
cannot be reached.
"""
import re
import subprocess

import pytest

from conftest import ROOT, run_hvsim, run_qemu

LINUX_DIR = ROOT / ".deps" / "linux" / "out"
APPEND = "console=ttyAMA0"
MARKER = re.compile(rb"^HVSIM-LINUX: (.*?)\r?$", re.M)


@pytest.fixture(scope="module")
def linux():
    p = subprocess.run([str(ROOT / "guests" / "linux" / "prepare"), str(LINUX_DIR)],
                       capture_output=True, timeout=900)
    if p.returncode == 3:
        pytest.skip("Debian's archive is unreachable, so the Linux inputs cannot be "
                    "prepared: " + p.stderr.decode(errors="replace").strip().splitlines()[-1])
    assert p.returncode == 0, p.stderr.decode(errors="replace")
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
