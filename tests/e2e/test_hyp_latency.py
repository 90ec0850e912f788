"""How long an interrupt waits while the hypervisor is busy (issue 7):
hypervisor-lat.elf runs the rtos next to guests/stress/stress.c, which
keeps the hypervisor in its expensive traps (refused vGIC writes, vCRU
reads and refused writes, hypercalls, console hypercalls, its own VM
reset) while its own 37-us virtual timer and the rtos's 1-ms tick are
asserted at ever different points of them. Counted in instructions
(hvsim's default 1000 MIPS: 1 ns = 1 instruction), deterministic.

The bounds are the design's (docs/hypervisor.md, "Interrupt latency:
the hypervisor busy"): a vCRU/vGIC trap finishes or reaches a preemption
point within BLOCK_HANDLER instructions of an assertion (plus, at most
once per recorded message, a format's signature parsed again at the
drain); the console
hypercall and the VM reset are restartable in steps of at most
BLOCK_MAX."""
import re
import shutil

import pytest

from conftest import IMAGES, run_hvsim, run_qemu

LAT = IMAGES / "hypervisor-lat.elf"
EV = re.compile(rb"^hvsim: \[\s*(\d+) ns\] (.*)$")
IRQ = re.compile(rb"^irq (26|27) (asserted|acknowledged|deasserted)")

# Budgets (instructions), from the design (docs/hypervisor.md):
# - a vCRU/vGIC trap's longest stretch without a preemption point: the
#   entry and decode (~100, then a point), the vCRU's register search (then
#   a point) and decision (~220, then a point), or the vGIC's decision
#   (then a point, if refused); one decision's effects and event-port
#   records, the exit (~190). Measured: at most 255 (vCRU), 240 (vGIC),
#   and two vCRU samples of 368 (stress's PPI 27 waiting while the
#   hypervisor serves the rtos's PPI 26, asserted later: the tick switches
#   stress out) and 402 (early, a piece of the log ring's drain at a trap's
#   exit, while the boot messages go out);
BLOCK_HANDLER = 420
# - the longest unit the log ring's drain does not interrupt: a piece of
#   a recorded message's formatting (16 characters of text or of a %s, or
#   one other conversion: within BLOCK_HANDLER), unless the format's
#   argument signature must be parsed again (evicted from its cache: ~10
#   instructions a character of the format), at a trap's exit;
BLOCK_FORMAT = 600
# - the longest step of anything else: a console-hypercall round (4
#   bytes, ~150; the line it may end is recorded, not copied into the
#   ring: hyp_console_line), the beginning of a VM reset, a VM reset's
#   chunk (256 bytes of its image copied and cleaned, 64 INTIDs of its
#   emulated GIC, 32 SPIs, 4 CRU/GRF registers). Measured: at most 243.
BLOCK_MAX = 300
# Messages recorded in vCRU/vGIC traps: 16 vCRU refusal lines and 8
# violation lines; their formatting lands in at most that many traps.
PRINTED_VCLK_VGIC = 16 + 8
LIVES, ROUNDS = 12, 3500  # guests/stress/stress.c


@pytest.fixture(scope="module")
def lat_run():
    return run_lat()


def run_lat():
    r = run_hvsim(["run", "-q", "--log", "exc,irq,wfi", str(LAT)], timeout=300)
    assert r.status == 0, r.stderr.decode()[-2000:]
    ev = []
    for line in r.stderr.splitlines():
        m = EV.match(line)
        if m:
            ev.append((int(m.group(1)), m.group(2)))
    return r.stdout.decode(), ev


def blocking_by_trap(ev):
    """(trap kind, instructions from assertion to acknowledgement or the
    hypervisor's deassertion) for every assertion of PPI 26/27 while the
    PE is at EL2 and not asleep in its idle WFI."""
    out, trap, pending = [], None, {}
    for i, (t, e) in enumerate(ev):
        if b"EL1 -> EL2 sync" in e:
            trap = (b"hvc" if b"HVC64" in e else b"vclk" if b"(IPA 0x92" in e else
                    b"vgic" if b"(IPA 0x80" in e else b"other")
            continue
        m = IRQ.match(e)
        if not m:
            continue
        n, what = m.group(1), m.group(2)
        if what == b"asserted":
            slept = i > 0 and b"WFI: PE slept" in ev[i - 1][1]
            if e.endswith(b"at EL2") and not slept:
                pending[n] = (t, trap)
            else:
                pending.pop(n, None)
        elif n in pending and (what == b"acknowledged" or e.endswith(b"at EL2")):
            t0, k = pending.pop(n)
            out.append((k, t - t0))
    return out


def test_blocking_time_is_bounded(lat_run):
    out, ev = lat_run
    # Everything ran: the rtos's 200 ticks, every life of stress, every
    # console hypercall line (one per 64 rounds) on the hypervisor's UART.
    assert "[uart1] STATUS rtos ticks=200 task1=200 task2=20 other_irqs=0" in out
    assert [int(x) for x in re.findall(r"\[uart2\] stress: life (\d+)", out)] == list(range(LIVES))
    assert re.search(rf"\[uart2\] STATUS stress lives={LIVES} irqs=\d+", out), out[-2000:]
    # every applied vCRU write is seen on read-back: a write abandoned at a
    # preemption point is re-executed by the guest, never lost
    assert "stress: lost" not in out
    assert re.search(r"\[uart2\] STATUS stress lives=\d+ irqs=\d+ lost=0 ", out), out[-2000:]
    assert out.count("[stress] stress: a console hypercall line") == LIVES * -(-ROUNDS // 64)
    # The refusals the hypervisor prints (its first ones) are all there.
    assert out.count("hyp: vm stress: refused: cru CLKGATE_CON27") == 16
    # hyp_violation prints while the VM has fewer than 8 violations, the
    # vCRU refusals count too: rounds 0 and 1 (1 + 4 each) print theirs.
    assert out.count("hyp: vm stress: refused: vGIC write to INTID 40") == 2
    assert out.rstrip().endswith("hyp: all VMs are off; system off")
    samples = blocking_by_trap(ev)
    # Many assertions land inside traps: the measurement is not luck.
    assert len(samples) > 1000
    kinds = {k for k, _ in samples}
    assert {b"vclk", b"vgic", b"hvc"} <= kinds, kinds
    # A few samples may meet a format parsed again at the drain (one per
    # recorded message at most); every other one is within its bound.
    over = [(k, d) for k, d in samples
            if d > (BLOCK_HANDLER if k in (b"vclk", b"vgic") else BLOCK_MAX)]
    assert len(over) <= PRINTED_VCLK_VGIC, over
    assert all(d <= BLOCK_HANDLER + BLOCK_FORMAT for _, d in over), over


def test_rtos_latency_bound_with_stress(lat_run):
    out, _ = lat_run
    lat = re.findall(r"rtos: latency ticks=(\d+) min=(\d+) max=(\d+) avg=(\d+) missed=(\d+)", out)
    assert [int(x[0]) for x in lat] == [50, 100, 150, 200], lat
    # 625 counter ticks (10 us at 62.5 MHz): docs/hypervisor.md "Latency
    # bound"; a tick is 16 instructions: BLOCK_MAX plus a switch fits.
    for _, _, mx, _, missed in lat:
        assert int(missed) == 0 and int(mx) < 625, lat
    # Its timer advance (vm/sched.c) switched it in ahead of every one of
    # its 200 deadlines, next to stress's traps too: the early tick's
    # blocking time plus the switch fit in the advance (late=0 on hvsim).
    assert re.search(r"hyp: vm rtos: timer advance \d+ ticks: armed=200 late=0", out), out[-2000:]


def test_lat_run_is_deterministic(lat_run):
    again = run_hvsim(["run", "-q", "--log", "exc,irq,wfi", str(LAT)], timeout=300)
    assert again.stdout.decode() == lat_run[0]


@pytest.mark.skipif(shutil.which("qemu-system-aarch64") is None, reason="QEMU not installed")
def test_lat_image_on_qemu(tmp_path):
    """The same image on QEMU virt (no vCRU there: stress skips those
    accesses): every life, every console-hypercall line through the log
    ring and the restartable hypercall, on the one UART."""
    r = run_qemu(LAT, tmp_path)
    out = r.stdout.decode()
    assert "[rtos] STATUS rtos ticks=200 task1=200 task2=20 other_irqs=0" in out, out[-2000:]
    assert [int(x) for x in re.findall(r"\[stress\] stress: life (\d+)", out)] == list(range(LIVES))
    assert out.count("[stress] stress: a console hypercall line") == LIVES * -(-ROUNDS // 64)
    assert out.rstrip().endswith("hyp: all VMs are off; system off")
