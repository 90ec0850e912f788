"""How long an interrupt waits while the hypervisor is busy (issue 7):
hypervisor-lat.elf runs the rtos next to guests/stress/stress.c, which
keeps the hypervisor in its expensive traps (refused vGIC writes, vCRU
reads and refused writes, hypercalls, console hypercalls, its own VM
reset, GICR_ISPENDR0 sets of its own virtual timer) while its own 37-us virtual timer and the rtos's 1-ms tick are
asserted at ever different points of them. Counted in instructions
(hvsim's default 1000 MIPS: 1 ns = 1 instruction), deterministic.

The bounds are the design's (docs/hypervisor.md, "Interrupt latency:
the hypervisor busy"): a vCRU/vGIC trap finishes or reaches a preemption
point within BLOCK_HANDLER instructions of an assertion (plus, at most
once per recorded message, a format's signature parsed again at the
drain); the console
hypercall and the VM reset are restartable in steps of at most
BLOCK_MAX.

The same run is the regression test of the PPI 27 take-along
(docs/hypervisor.md, "vGIC"): stress sets its own virtual timer pending
through GICR_ISPENDR0 once a round, and the rtos's tick lands between
such a set and the hypervisor's acknowledge many times; each set must
reach stress exactly once, and never the rtos."""
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
# - a permitted vGIC state write (stress's GICR_ISPENDR0 set of its own
#   PPI 27): a preemption point after the syndrome read (~100) and one
#   after the vGIC's decision (the emulator changes nothing for the
#   pending/active registers, vm/vgic.c); then the write's effect runs to
#   the end without one (a point after a side effect would panic): the
#   target vCPU's LRs, the physical PPI made pending, then the exit with
#   the acknowledge. Measured: at most 356 (586 before the point after the
#   decision, which this bound would fail);
BLOCK_VGIC_STATE = 480
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
LIVES, ROUNDS, SETS = 12, 3500, 1  # guests/stress/stress.c
# The rtos's line: every tick taken (the main loop counts 200), task2 every
# 10th; no interrupt but its timer's, and none while its timer condition
# is false (not_due: another vCPU's PPI 27 given to it).
RTOS_STATUS = "STATUS rtos ticks=200 task1=200 task2=20 other_irqs=0 not_due=0"
# The trap of stress's GICR_ISPENDR0 write (vCPU 0's redistributor:
# GICR at IPA 0x080a0000, its SGI_base frame +0x10000, ISPENDR0 +0x200).
ISPENDR0_IPA = b"(IPA 0x80b0200)"
# How often the rtos's tick must be seen overtaking one of stress's sets.
# A set's window (from the trap's preemption point, right after the
# syndrome is read, to the acknowledge at the trap's exit) is about a
# sixth of stress's round; about 175 of the rtos's 200 ticks fall while
# stress runs: some 30 expected. A third of that keeps the test honest (a
# set overtaken is what it tests) without tying it to one timing.
MIN_OVERTAKEN = 10


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
    PE is at EL2 and not asleep in its idle WFI. Not the PPI 27 that
    stress's GICR_ISPENDR0 write asserts itself (the first in that trap,
    unless the trap was abandoned for the tick first): it waits for
    nothing but its own trap's end."""
    out, trap, pending, own_set = [], None, {}, False
    for i, (t, e) in enumerate(ev):
        if b"EL1 -> EL2" in e:
            own_set = ISPENDR0_IPA in e
        if b"EL1 -> EL2 sync" in e:
            trap = (b"hvc" if b"HVC64" in e else b"vclk" if b"(IPA 0x92" in e else
                    b"vgic-set" if ISPENDR0_IPA in e else
                    b"vgic" if b"(IPA 0x80" in e else b"other")
            continue
        m = IRQ.match(e)
        if not m:
            continue
        n, what = m.group(1), m.group(2)
        if own_set and (n, what) in ((b"27", b"asserted"), (b"26", b"acknowledged")):
            own_set = False
            if n == b"27":
                pending.pop(n, None)  # an older assertion of it is over
                continue
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
    assert f"[uart1] {RTOS_STATUS}" in out
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
    assert {b"vclk", b"vgic", b"vgic-set", b"hvc"} <= kinds, kinds
    # A few samples may meet a format parsed again at the drain (one per
    # recorded message at most); every other one is within its bound.
    bound = {b"vclk": BLOCK_HANDLER, b"vgic": BLOCK_HANDLER, b"vgic-set": BLOCK_VGIC_STATE}
    over = [(k, d) for k, d in samples if d > bound.get(k, BLOCK_MAX)]
    assert len(over) <= PRINTED_VCLK_VGIC, over
    # The state write's point after its decision, on its own: none of
    # these traps meets a re-parsed format in this (deterministic) run, so
    # none of its samples may use the allowance above (without the point:
    # 2 of 36 over, 525 and 571).
    assert not [d for k, d in over if k == b"vgic-set"], over
    assert all(d <= BLOCK_HANDLER + BLOCK_FORMAT for _, d in over), over


def sets_overtaken(ev):
    """How many of stress's GICR_ISPENDR0 sets of its PPI 27 were
    overtaken by PPI 26 (the rtos's tick): PPI 27 asserted at EL2 in the
    set's trap, then PPI 26 acknowledged before PPI 27 was acknowledged or
    deasserted. PPI 26 and 27 have the same priority; the choice between
    them is IMPLEMENTATION DEFINED, hvsim's GIC (docs/gic.md) and QEMU's
    take the lower INTID: the tick is served, the rtos switched in, and
    stress's pending PPI 27 must leave with it."""
    n, trap, pending = 0, None, False
    for _, e in ev:
        if b"EL1 -> EL2" in e:
            trap = e
        elif e.startswith(b"irq 27 asserted"):
            pending = e.endswith(b"at EL2") and trap is not None and ISPENDR0_IPA in trap
        elif e.startswith((b"irq 27 acknowledged", b"irq 27 deasserted")):
            pending = False
        elif e.startswith(b"irq 26 acknowledged") and pending:
            n += 1
            pending = False
    return n


def test_pending_timer_set_stays_with_its_vcpu(lat_run):
    """PPI 27 is banked per PE, not per vCPU: stress's software-set
    pending virtual timer (made physical by the hypervisor) must not be
    given to the rtos when the rtos's tick switches stress out before the
    hypervisor has acknowledged it (hyp_vcpu_put/hyp_vcpu_load take it
    along). Each set must reach stress exactly once (stress counts, per
    life), the rtos must take no IRQ 27 with its timer condition false.
    With the take-along removed, this run reports pend_bad in 11 of the
    12 lives and the rtos not_due=21 (docs/testing.md)."""
    out, ev = lat_run
    assert "stress: pend_bad" not in out, out[-2000:]
    assert re.search(rf"\[uart2\] STATUS stress lives={LIVES} irqs=\d+ lost=0 "
                     rf"pends={ROUNDS * SETS} pend_bad=0 ", out), out[-2000:]
    assert f"[uart1] {RTOS_STATUS}" in out
    # The window was hit: not luck.
    assert sets_overtaken(ev) >= MIN_OVERTAKEN


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
    ring and the restartable hypercall, on the one UART; every one of
    stress's PPI 27 sets reached stress once and never the rtos (where
    QEMU's host-timed ticks land varies from run to run: with the
    take-along removed, the rtos reported not_due=2 to 13 in five runs)."""
    r = run_qemu(LAT, tmp_path)
    out = r.stdout.decode()
    assert f"[rtos] {RTOS_STATUS}" in out, out[-2000:]
    assert "stress: pend_bad" not in out, out[-2000:]
    assert re.search(rf"\[stress\] STATUS stress lives={LIVES} irqs=\d+ lost=0 "
                     rf"pends={ROUNDS * SETS} pend_bad=0 ", out), out[-2000:]
    assert [int(x) for x in re.findall(r"\[stress\] stress: life (\d+)", out)] == list(range(LIVES))
    assert out.count("[stress] stress: a console hypercall line") == LIVES * -(-ROUNDS // 64)
    assert out.rstrip().endswith("hyp: all VMs are off; system off")
