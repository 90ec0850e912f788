"""`make demo` / `make qemu-demo` (scripts/hyp-demo): the hypervisor image
with each VM's console in its own stream and a summary of traps,
injections, world switches, refusals and device health."""
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, ROOT

DEMO = ROOT / "scripts" / "hyp-demo"


def run_demo(*args):
    p = subprocess.run(["/usr/bin/python3", str(DEMO), "--build", str(BUILD), "--color", "never",
                        *args], capture_output=True, timeout=600)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_demo_on_hvsim():
    rc, out, err = run_demo()
    assert rc == 0, err
    lines = out.splitlines()
    # Streams: every console line tagged with its VM, in order.
    assert "rtos  | rtos: start vm=1 vcpus=1 prio=20 dtb=ok" in lines
    assert "gpos  | STATUS gpos-i2c ok=1" in lines
    assert "rogue | rogue: flood done" in lines
    assert any(l.startswith("hyp   | hyp: vm rogue: refused: cru CLKGATE_CON27") for l in lines)
    assert not any(l.startswith(("rtos  | [", "gpos  | [")) for l in lines)
    # The saved streams hold the same lines, one VM each.
    rtos = (BUILD / "demo" / "rtos.txt").read_text().splitlines()
    assert rtos[0] == "rtos: start vm=1 vcpus=1 prio=20 dtb=ok"
    assert rtos[-1] == "STATUS rtos ticks=200 task1=200 task2=20 other_irqs=0 not_due=0"
    assert not any("gpos" in l or "rogue" in l for l in rtos)
    # Summary: a row per VM with the classes named.
    m = re.search(r"^rtos +(\d+) +(\d+) +(\d+) +0 +0  WFI/WFE (\d+)", out, re.M)
    assert m, out
    assert int(m.group(3)) == 200  # one virtual-timer injection per tick
    m = re.search(r"^rogue +\d+ +\d+ +\d+ +\d+ +(\d+)  (.*)$", out, re.M)
    assert m and int(m.group(1)) > 0 and "HVC 1007" in m.group(2), out
    assert re.search(r"refused accesses of rogue, by kind \(event port\): memory 3, vgic 207, "
                     r"sgi 5, irq 2, cru \d+, grf \d+, fetch 1, crash 1", out), out
    assert "interrupt storms of rogue: 2, its device's interrupt masked at the GIC" in out
    assert "vCRU/vGRF of gpos: 5 reads, 5 writes, 5 applied, 0 fields refused" in out
    for dev, owner in (("uart1", "rtos"), ("uart2", "gpos"), ("i2c0", "gpos")):
        assert f"{dev} ({owner}'s): never reset, gated or re-muxed" in out


@pytest.mark.skipif(shutil.which("qemu-system-aarch64") is None, reason="QEMU not installed")
def test_demo_on_qemu():
    rc, out, err = run_demo("--qemu")
    assert rc == 0, err
    lines = out.splitlines()
    assert "rtos  | STATUS rtos ticks=200 task1=200 task2=20 other_irqs=0 not_due=0" in lines
    assert "gpos  | gpos: i2c0: no vCRU/vGRF or I2C on this platform: skipped" in lines
    assert ("rogue | rogue: no vCRU/vGRF on this platform: CRU/SYSCON attacks skipped"
            in lines)
    # injections: 3 virtual-timer sleeps, 2 EL1 physical-timer sleeps, 4
    # pings and 4 pongs (SGIs), an SGI to itself and its set-pending
    # (GICR_ISPENDR0); then (guests/gpos/gpos.c, vgic_state_check) the
    # latched SGI delivered when enabled, the SGI sent while active, and its
    # virtual timer three times (asserted, again after ICACTIVER0, set
    # pending through ISPENDR0); the SGI latched while disabled and then
    # cleared is never injected; no console interrupts on QEMU. Exact,
    # although QEMU's ticks follow the host: each is one of gpos's own
    # deterministic actions, and a vCPU switch, wherever a tick lands,
    # must neither lose nor double one (the one CI failure here, 19 with
    # gpos-vgic-hw set=0, was a bug: the PPI 27 take-along fixed it;
    # docs/testing.md). Its switches and physical IRQs do follow the
    # host's timing: not compared.
    assert re.search(r"^gpos +\d+ +\d+ +20 +0 +0  ", out, re.M), out
    assert "no vCRU, no device health" in out
