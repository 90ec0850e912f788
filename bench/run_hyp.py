#!/usr/bin/python3
"""Hypervisor benchmark (issue 7 targets), counted in instructions.

Runs build/images/hypervisor.elf on hvsim with --log exc,eret,wfi,irq,virq,timer.
At hvsim's
default --mips 1000 one retired instruction is one nanosecond of virtual
time, so the distance between two events' timestamps is the number of
instructions retired between them (intervals with a WFI sleep inside are
left out: they measure idle time, not work). Deterministic: the same build gives the same numbers.

Measured, with the issue's targets:
  null hypercall round trip  guest HVC #0 (rogue's 1000 HYP_NULL calls) ->
                             ERET back to the instruction after it   <= 150
  vCPU switch                rtos's WFI trap -> ERET into another VM  <= 800
                             (scheduler, full EL1/FP/timer/vGIC save+restore)
  timer IRQ to handler       a physical timer interrupt's assertion (the
                             "irq N asserted" event of INTID 26, CNTHP, the
                             hypervisor's tick programmed at a blocked vCPU's
                             deadline, or 27, CNTV: with the VM's timer
                             advance, its vCPU is switched in ahead and
                             the PE sleeps until its PPI 27 at the
                             deadline; a sleep closes the chain of the
                             early tick) -> the guest's first
                             handler instruction (its virtual IRQ entry, for
                             vINTID 27), over every delivery           <= 600
                             (worst case), split by where the PE was at the
                             assertion: running the vCPU it is for (no
                             switch), idle in WFI (the vCPU is switched in),
                             running another VM (preempted: a full vCPU
                             switch), or in the hypervisor handling another
                             trap (which runs with interrupts masked: its
                             rest is part of the latency); and, without a
                             target, device IRQs (SPIs with the HW bit) ->
                             the guest's handler.
Also measured, without a target: a vCRU/vGRF access (vm/vcru.c), from the
stage-2 data abort at an IPA in the vCRU/vGRF windows to the ERET after
it: reads (gpos's and rogue's readbacks) and writes, applied ones (gpos's,
the lower end) and rogue's attacks together (each refused field is
reported through the event port, and the first 16 are also printed on the
console, which makes the upper end).
With --lat: hypervisor-lat.elf (rtos + guests/stress), the blocking time,
from a timer interrupt's assertion while the hypervisor handles a trap to
its acknowledgement, over thousands of assertions inside the stress VM's
traps (docs/hypervisor.md, "Interrupt latency: the hypervisor busy").
The published TrustZone VMM figure is about 2,500 cycles per world switch
(cycles there, instructions here). Exit status 1 if a run fails."""
import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

EV = re.compile(r"^hvsim: \[\s*(\d+) ns\] (.*)$")


def events(hvsim, image, log="exc,eret,wfi,irq,virq,timer", extra=()):
    p = subprocess.run([hvsim, "run", "-q", "--log", log, *extra, image],
                       capture_output=True, timeout=600)
    if p.returncode != 0:
        sys.exit(f"run failed ({p.returncode}): {p.stderr.decode()[-500:]}")
    out = []
    for line in p.stderr.decode().splitlines():
        m = EV.match(line)
        if m:
            out.append((int(m.group(1)), m.group(2)))
    return out


def summary(name, xs, target, worst=False):
    if not xs:
        print(f"{name:28s} no samples")
        return
    med = statistics.median(xs)
    if worst:
        print(f"{name:28s} median {med:7.0f}  min {min(xs):6d}  max {max(xs):6d}  n={len(xs):5d}"
              f"  target <= {target} (worst case): {'met' if max(xs) <= target else 'MISSED'}"
              f"  ({max(xs) / 2500:.2f}x of 2,500)")
        return
    if target is None:
        print(f"{name:28s} median {med:7.0f}  min {min(xs):6d}  max {max(xs):6d}  n={len(xs):5d}")
        return
    print(f"{name:28s} median {med:7.0f}  min {min(xs):6d}  max {max(xs):6d}  n={len(xs):5d}"
          f"  target <= {target}: {'met' if med <= target else 'MISSED'}"
          f"  ({med / 2500:.2f}x of 2,500)")


ASSERT = re.compile(r"^irq (\d+) asserted")
VACK = re.compile(r"^virq (\d+) acknowledged(?:.* pINTID (\d+))?")


def vtimer_next(ev, i):
    """Whether the first exception or exception return at or after ev[i]
    is a guest's virtual IRQ that acknowledges vINTID 27."""
    for j in range(i, len(ev)):
        e = ev[j][1]
        if " -> EL" not in e:
            continue
        if "EL1 -> EL1 virtual IRQ" not in e:
            return False
        for _, e2 in ev[j + 1:j + 12]:
            ack = VACK.match(e2)
            if ack:
                return int(ack.group(1)) == 27
        return False
    return False


def irq_chains(ev):
    """Physical interrupt assertion -> the guest's first handler instruction.

    A chain opens at the first assertion of each physical INTID and stays
    open while only the hypervisor runs (EL2 entries and ERETs that are
    followed at once by another exception). It ends at the guest's virtual
    IRQ entry, attributed by the vINTID the guest then acknowledges: vINTID
    27 (the virtual timer) to the earliest open assertion of INTID 26 or 27,
    a HW SPI to its pINTID. Guest code that traps or returns from its
    handler closes every chain; an ERET into guest code that runs closes
    the timer chains, unless that guest's next exception is the virtual
    timer's IRQ (it had IRQs masked for a few instructions: counted).
    Every vINTID-27 delivery must be attributed: the ones that are not
    (the guest had IRQs masked, or the chain was broken) are returned, so
    that no sample can be dropped silently."""
    same, switch, spi, lost = [], [], [], []
    idle, busy = [], []
    # (where, switched, latency, the INTID that opened the chain, the
    # exception the PE was handling at the assertion: (time, text)) of every
    # timer delivery, for the latency image's split by VM (bench --lat).
    detail = []
    # Timer advance (vm/sched.c): the hypervisor's early tick switches a
    # vCPU in ahead of its deadline, and the PE then sleeps with it loaded
    # until its own PPI 27. A sleep of the PE in WFI at EL2 closes the
    # timer chains (the hypervisor had nothing left to do for them): the
    # delivery's chain opens at the assertion that ends the sleep, the
    # guest's own timer at its deadline. (arm path, slack) of each such
    # closed chain: from the early assertion to the sleep, and the sleep.
    # An arm that finishes after the deadline has no sleep: its chain
    # stays open from the early assertion and counts the advance too.
    arms = []
    entry = (0, "")  # the last exception taken to EL2
    entry_at = None  # entry at the chain's first timer assertion
    # Where the PE was when the chain's first timer interrupt was asserted:
    # "EL1" (a guest), "idle" (WFI at EL2) or "EL2" (handling a trap).
    where = None
    chain = {}  # physical INTID -> time of its first assertion
    # A vCPU switch in the chain: hyp_vcpu_put stops the virtual timer
    # (a "timer virtual programmed" event at EL2; guests' own timer writes
    # come after their handler's first instruction, outside any chain).
    switched = False
    for i, (t, e) in enumerate(ev):
        m = ASSERT.match(e)
        if m:
            intid = int(m.group(1))
            if intid != 25:  # the maintenance interrupt is the hypervisor's business
                if intid in (26, 27) and 26 not in chain and 27 not in chain:
                    slept = i > 0 and ev[i - 1][0] == t and "WFI: PE slept" in ev[i - 1][1]
                    slept = slept or (i > 1 and ev[i - 2][0] == t and "WFI: PE slept" in ev[i - 2][1])
                    where = "idle" if slept else e.rsplit(" ", 1)[1]
                    entry_at = entry
                chain.setdefault(intid, t)
            continue
        if " -> EL2 " in e:
            entry = (t, e)
        if "WFI: PE slept" in e and (26 in chain or 27 in chain):
            slept = int(re.search(r"slept (\d+) ns", e).group(1))
            arms.append((t - slept - min(chain[k] for k in (26, 27) if k in chain), slept))
            chain.pop(26, None)
            chain.pop(27, None)
            switched = False
            continue
        if e.startswith("timer virtual programmed"):
            switched = switched or bool(chain)
            continue
        if "EL1 -> EL1 virtual IRQ" in e:
            ack = None
            for t2, e2 in ev[i + 1:i + 12]:
                ack = VACK.match(e2)
                if ack:
                    break
            vintid = int(ack.group(1)) if ack else None
            if vintid == 27:
                starts = [chain[k] for k in (26, 27) if k in chain]
                if starts:
                    d = t - min(starts)
                    opener = min((chain[k], k) for k in (26, 27) if k in chain)[1]
                    detail.append((where, switched, d, opener, entry_at))
                    if where == "idle":
                        idle.append(d)
                    elif where == "EL2":
                        busy.append(d)
                    else:
                        (switch if switched else same).append(d)
                else:
                    lost.append(t)
                chain.pop(26, None)
                chain.pop(27, None)
            elif ack and ack.group(2) and int(ack.group(2)) in chain:
                spi.append(t - chain.pop(int(ack.group(2))))
            switched = False
            continue
        if ("sync" in e and "EL1 -> EL2" in e) or "EL1 -> EL1 eret" in e:
            chain.clear()  # guest code ran, and trapped or returned
            switched = False
        elif ("EL2 -> EL1 eret" in e and i + 1 < len(ev) and ev[i + 1][0] != t
              and not vtimer_next(ev, i + 1)):
            # Guest code runs after this ERET. A device's interrupt may
            # still be taken once the guest unmasks IRQs (that time is
            # counted); a timer chain ends here: the hypervisor's tick
            # also ends time slices, so an old CNTHP assertion must not
            # start the next delivery's chain. Unless the guest's next
            # exception is the virtual timer's IRQ: the delivery is under
            # way and the guest had IRQs masked for a few instructions
            # (gpos's idle loop is WFI, then MSR DAIFClr: woken with its
            # timer injected at load, it takes the virtual IRQ one
            # instruction after the ERET). Those instructions are counted.
            chain.pop(26, None)
            chain.pop(27, None)
            switched = False
    return same, idle, switch, busy, spi, lost, detail, arms


def trap_kind(text):
    """A short name of the exception a log line describes: its class and,
    for a data abort, the IPA (which emulated register)."""
    m = re.search(r"-> EL2 (sync (\S+)|\S+)", text)
    if not m:
        return "?"
    kind = m.group(2) or m.group(1)
    ipa = re.search(r"\(IPA (0x[0-9a-f]+)\)", text)
    rw = re.search(r" (read|write) \d+ bytes", text)
    return kind + (f" {rw.group(1)} {ipa.group(1)}" if ipa and rw else "")


WAKE = "WFI: PE slept"
IRQ_EV = re.compile(r"^irq (\d+) (asserted|acknowledged|deasserted)")


def blocking(ev, intids=(26, 27), where_busy=None):
    """How long an interrupt waits for the hypervisor: from a physical
    interrupt's assertion while the PE is at EL2 and busy (not asleep in
    its idle WFI) to the hypervisor's acknowledgement of it (ICC_IAR1_EL1,
    the "irq N acknowledged" event): the rest of the handler it interrupted
    plus the IRQ path up to its acknowledgement. The reference, an
    assertion while a guest runs, is the IRQ entry alone. Only the
    hypervisor's own PPIs (26 CNTHP, 27 CNTV), which no priority mask
    holds back. Returns (busy, in_guest) lists of instruction counts; with
    a where_busy list, also appends (count, time asserted, (time, text) of
    the exception being handled) of every busy sample to it."""
    busy, guest = [], []
    pending = {}  # INTID -> (time asserted, where, the exception being handled)

    def close(t, t0, where, ent):  # the wait of an assertion at t0 ends at t
        if where == "EL2":
            busy.append(t - t0)
            if where_busy is not None:
                where_busy.append((t - t0, t0, ent))
        elif where == "EL1":
            guest.append(t - t0)

    entry = (0, "")
    for i, (t, e) in enumerate(ev):
        if " -> EL2 " in e:
            entry = (t, e)
            continue
        if e == SET_EV:
            pending.pop(27, None)
            continue
        m = IRQ_EV.match(e)
        if not m or int(m.group(1)) not in intids:
            continue
        n, what = int(m.group(1)), m.group(2)
        if what == "asserted":
            slept = any(WAKE in e2 and t2 == t for t2, e2 in ev[max(0, i - 2):i])
            pending[n] = (t, "idle" if slept else e.rsplit(" ", 1)[1], entry)
        elif what == "deasserted":
            # The hypervisor may serve its tick without acknowledging it:
            # a scheduler pass reprograms CNTHP (its level falls) after a
            # long trap that ended in a switch; that is the end too.
            t0, where, ent = pending.pop(n, (None, None, None))
            if t0 is not None and e.endswith("at EL2"):
                close(t, t0, where, ent)
        elif n in pending:
            close(t, *pending.pop(n))
    return busy, guest


def by_kind(name, samples):
    """samples: (count, time asserted, (time, text) of the exception being
    handled); one line per kind of exception: n, median, max and where the
    maximum was (instructions into the handler at the assertion, and when)."""
    kinds = {}
    for c, t0, ent in samples:
        kinds.setdefault(trap_kind(ent[1]), []).append((c, t0 - ent[0], t0))
    print(f"{name}, by the exception being handled at the assertion:")
    for k, xs in sorted(kinds.items(), key=lambda kv: -max(kv[1])[0]):
        c, into, t0 = max(xs)
        print(f"  {k:36s} n={len(xs):5d} median {statistics.median(x[0] for x in xs):6.0f}"
              f"  max {c:5d} (asserted {into} into it, at {t0} ns)")


def arm_summary(arms):
    """The timer advance's arms: early tick -> the PE waits with the vCPU
    loaded, and how long it then waits for the deadline (its margin)."""
    summary("timer advance: early tick -> PE waits, vCPU loaded", [a for a, _ in arms], None)
    summary("  margin left before the deadline", [m for _, m in arms], None)


# stress's GICR_ISPENDR0 write (vCPU 0's redistributor, SGI_base + 0x200):
# the trap in which it sets its own PPI 27 pending.
ISPENDR0_TRAP = re.compile(r"-> EL2 sync DABT_LOW .* write .*\(IPA 0x80b0200\)")
SET_EV = "irq 27 set pending by its guest (GICR_ISPENDR0)"


def without_sets(ev):
    """The events without the assertions of PPI 27 that stress's own
    GICR_ISPENDR0 writes make (once a round: guests/stress/stress.c, the
    PPI 27 take-along's test): the trap asserts them itself, so they are
    neither an interrupt that waits for a busy hypervisor nor a timer
    deadline: each becomes SET_EV, which ends an older assertion's wait
    (blocking) and opens no chain (its delivery is attributed to none;
    their count is printed). Only the first in the trap, and only before the
    tick is acknowledged there (a trap abandoned at its preemption point
    for the tick sets nothing; a switch follows): a later one is a
    timer's."""
    out, in_set = [], False
    for t, e in ev:
        if " -> EL" in e:
            in_set = bool(ISPENDR0_TRAP.search(e))
        elif e.startswith("irq 26 acknowledged"):
            in_set = False  # the trap abandoned at its preemption point for the tick
        elif in_set and e.startswith("irq 27 asserted"):
            in_set = False  # its first only: a later one is a timer's
            e = SET_EV
        out.append((t, e))
    return out


def lat_main(b, dump=False, extra=()):
    """hypervisor-lat.elf: rtos + stress (guests/stress/stress.c), whose
    expensive traps run back to back while the rtos ticks and its own
    37-µs virtual timer fires at ever different points of them."""
    ev = without_sets(events(str(b / "hvsim"), str(b / "images" / "hypervisor-lat.elf"),
                             extra=extra))
    where_busy = []
    busy, guest = blocking(ev, where_busy=where_busy)
    print("hypervisor-lat.elf (rtos + stress: refused vGIC and vCRU writes, hypercalls, "
          "console hypercalls, VM resets)")
    summary("blocking: asserted at EL2 -> acknowledged", busy, None)
    summary("  reference: asserted in a guest", guest, None)
    detail, arms = irq_chains(ev)[-2:]
    # rtos's ticks: it waits blocked in WFI, so its deadline is CNTHP's
    # (INTID 26) assertion, or with its timer advance its own PPI 27 while
    # the PE sleeps with it loaded; stress never sleeps (no WFI): its own
    # timer is PPI 27 while it runs.
    rtos = [(w, s, d, ent) for w, s, d, k, ent in detail if k == 26 or w == "idle"]
    summary("rtos tick -> handler, all", [d for w, s, d, _ in rtos], None)
    summary("  PE idle, rtos loaded ahead", [d for w, s, d, _ in rtos if w == "idle" and not s],
            None)
    summary("  PE idle, rtos switched in", [d for w, s, d, _ in rtos if w == "idle" and s], None)
    summary("  stress running (preempted)", [d for w, s, d, _ in rtos if w == "EL1"], None)
    summary("  during a stress trap", [d for w, s, d, _ in rtos if w == "EL2"], None)
    own = [d for w, s, d, k, _ in detail if k == 27 and w != "idle"]
    summary("stress's own timer -> handler", own, None)
    arm_summary(arms)
    print(f"stress's GICR_ISPENDR0 sets of its PPI 27 (left out above): "
          f"{sum(e == SET_EV for _, e in ev)}")
    by_kind("blocking", where_busy)
    if dump:
        print("every blocking sample: count, asserted at (ns), instructions into the "
              "exception being handled, that exception")
        for c, t0, ent in where_busy:
            print(f"  {c:6d} {t0:12d} {t0 - ent[0]:8d}  {ent[1]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--lat", action="store_true",
                    help="measure the blocking time on hypervisor-lat.elf (instead)")
    ap.add_argument("--dump", action="store_true",
                    help="with --lat: every blocking sample; without: every timer delivery "
                    "during another trap, with the exception the hypervisor was handling")
    ap.add_argument("--advance-ns", type=int, default=None,
                    help="every VM's timer advance instead of the configured one "
                    "(hyp.timer_advance_ns=N on the command line; 0: none)")
    a = ap.parse_args()
    b = Path(a.build)
    extra = () if a.advance_ns is None else ("--append", f"hyp.timer_advance_ns={a.advance_ns}")
    if a.lat:
        lat_main(b, a.dump, extra)
        return
    ev = events(str(b / "hvsim"), str(b / "images" / "hypervisor.elf"), extra=extra)

    hvc, switch = [], []
    vclk = {"read": [], "write": []}
    vclk_ipa = re.compile(r"DABT_LOW .*(read|write) 4 bytes .*\(IPA (0x92[01][0-9a-f]{4})\)")
    # The round trips: exceptions, ERETs and WFI only.
    xev = [(t, e) for t, e in ev if not e.startswith(("irq ", "virq ", "timer "))]
    for i, (t, e) in enumerate(xev):
        if "WFI: PE slept" in e:
            continue
        nxt = xev[i + 1] if i + 1 < len(xev) else None
        if "sync HVC64" in e and nxt and "EL2 -> EL1 eret" in nxt[1]:
            pc = int(re.search(r" at (0x[0-9a-f]+)", e).group(1), 16)
            if int(nxt[1].split("eret to ")[1], 16) == pc + 4:
                hvc.append(nxt[0] - t)
        if "sync WFx" in e and nxt and "EL2 -> EL1 eret" in nxt[1]:
            pc = int(re.search(r" at (0x[0-9a-f]+)", e).group(1), 16)
            if int(nxt[1].split("eret to ")[1], 16) != pc + 4:
                switch.append(nxt[0] - t)
        m = vclk_ipa.search(e)
        if m and nxt and "EL2 -> EL1 eret" in nxt[1]:
            vclk[m.group(1)].append(nxt[0] - t)
    irq_same, irq_idle, irq_switch, irq_busy, spi, lost, detail, arms = irq_chains(ev)
    # The null hypercalls are the most frequent round trip (rogue's flood).
    mode = statistics.mode(hvc) if hvc else 0
    summary("null hypercall round trip", [x for x in hvc if x == mode] or hvc, 150)
    summary("vCPU switch (WFI -> ERET)", switch, 800)
    summary("timer IRQ -> guest handler", irq_same + irq_idle + irq_switch + irq_busy, 600,
            worst=True)
    summary("  its vCPU running", irq_same, 600, worst=True)
    summary("  PE idle, vCPU loaded ahead", [d for w, s, d, _, _ in detail if w == "idle" and not s],
            600, worst=True)
    summary("  PE idle (vCPU switched in)", [d for w, s, d, _, _ in detail if w == "idle" and s],
            600, worst=True)
    summary("  another VM preempted", irq_switch, 600, worst=True)
    summary("  during another trap", irq_busy, 600, worst=True)
    summary("device SPI -> guest handler", spi, None)
    arm_summary(arms)
    if lost:
        print(f"timer deliveries without a chain from an assertion: {len(lost)} (at {lost[:5]} ns)")
    summary("vCRU/vGRF read", vclk["read"], None)
    summary("vCRU/vGRF write", vclk["write"], None)
    if a.dump:
        print("timer deliveries during another trap: count, the exception being handled")
        for w, s, d, k, ent in detail:
            if w == "EL2":
                print(f"  {d:6d}  INTID {k}  {ent[1] if ent else '?'}")


if __name__ == "__main__":
    main()
