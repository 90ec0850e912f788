"""hypervisor-nest.elf: the rtos next to guests/nest/nest.c, which nests its
16 SGIs (16 distinct priorities) so that more interrupts are active at once
than the PE has list registers (4 on hvsim and on QEMU virt:
ICH_VTR_EL2.ListRegs = 3). The hypervisor must evict the lowest-priority
active interrupt to its pending queue to deliver each higher one at once
(GICv3 4.8), and see the guest's EOI of an interrupt that no LR holds
through ICH_HCR_EL2.EOIcount (GICv3 4.10.4, LRENPIE), deactivating it,
or, in its last round (EOImode 1), trap its ICC_DIR_EL1 (TDIR)
(docs/hypervisor.md, vGIC, "Overflow"). The guest checks, per level, that
its SGI is taken exactly once, at the right nesting depth, with the right
running priority before and after its EOI, and deactivated by its EOI
(GICR_ISACTIVER0); the rtos's tick switches it out and in meanwhile.
Without the eviction, levels 4 and up are taken late (fail=48)."""
import re
import shutil

import pytest

from conftest import IMAGES, run_hvsim, run_qemu

NEST = IMAGES / "hypervisor-nest.elf"
LEVELS, ROUNDS, CHECKS_PER_LEVEL = 16, 4, 5  # guests/nest/nest.c
# Every check of every level, one per round (nothing left pending or
# active), one per level of the EOImode 1 round (still active between its
# EOI and its DIR), one at the end (no other interrupt).
EXPECTED_PASS = ROUNDS * (LEVELS * CHECKS_PER_LEVEL + 1) + LEVELS + 1
EOIMODE0_ROUNDS = ROUNDS - 1
NR_LRS = 4  # the hvsim default and QEMU virt's GICv3 (ICH_VTR_EL2.ListRegs + 1)
LR_LINE = re.compile(r"hyp: vm nest: list registers: evictions=(\d+) eoicount=(\d+) "
                     r"dir=(\d+) unmatched=(\d+)")


def check_output(out, prefix):
    m = re.findall(r"^" + re.escape(prefix) + r" RESULT nest pass=(\d+) fail=(\d+)\r?$", out, re.M)
    assert len(m) == 1, out[-3000:]
    assert (int(m[0][0]), int(m[0][1])) == (EXPECTED_PASS, 0), out[-3000:]
    lr = LR_LINE.findall(out)
    assert len(lr) == 1, out[-3000:]
    evictions, eoicount, dirs, unmatched = map(int, lr[0])
    # Levels NR_LRS .. LEVELS-1 each find every LR active, holding
    # interrupts they outrank: one eviction each, every round.
    assert evictions == (LEVELS - NR_LRS) * ROUNDS
    # The first EOI of an evicted interrupt in an EOImode 0 round finds it
    # in no LR (no pending interrupt waits then, so nothing refills the LRs
    # before it): at least one EOIcount deactivation a round, none
    # unmatched. In the EOImode 1 round the DIR of the highest level
    # already traps (TDIR: evicted interrupts are queued then).
    assert eoicount >= EOIMODE0_ROUNDS
    assert dirs >= 1
    assert unmatched == 0
    # The other VM is unaffected.
    assert "STATUS rtos ticks=200 task1=200 task2=20 other_irqs=0" in out


def test_nest_on_hvsim(hvsim):
    r = run_hvsim(["run", "-q", str(NEST)], timeout=300)
    assert r.status == 0, r.stderr.decode()[-2000:]
    out = r.stdout.decode()
    check_output(out, "[uart2]")
    # The rtos tick switched nest out and in (during its rounds).
    sw = re.search(r"hyp: vm nest: switches=(\d+)", out)
    assert sw and int(sw.group(1)) > 1
    # Deterministic: the same image gives the same output.
    again = run_hvsim(["run", "-q", str(NEST)], timeout=300)
    assert again.stdout.decode() == out


@pytest.mark.skipif(shutil.which("qemu-system-aarch64") is None, reason="QEMU not installed")
def test_nest_on_qemu(tmp_path):
    r = run_qemu(NEST, tmp_path)
    check_output(r.stdout.decode(), "[nest]")
