/* The emulated EL1 physical timer, one per vCPU (core/vptimer.c holds the
 * register arithmetic).
 *
 * CNTHCTL_EL2.EL1PCEN = 0 traps every EL1/EL0 access to CNTP_CTL/CVAL/
 * TVAL_EL0 to EL2 (EC 0x18, D19.12), so the real EL1 physical timer, one
 * per PE and shared by every VM, is never programmed by a guest. Each
 * vCPU's timer compares against the physical count (CNTPCT_EL0, which EL1
 * reads untrapped: EL1PCTEN = 1); no offset, so the physical counter is
 * real time for every VM, as on hardware.
 *
 * Its output is a level (D11.2.4: ISTATUS and not IMASK) on PPI 30:
 *  - the deadline (the count at which the output rises) is on the
 *    hypervisor's CNTHP queue: the scheduler pass programs the earliest of
 *    every vCPU's (h->ptimer_next), and the tick calls hyp_ptimer_update
 *    for each one that expired, running or not;
 *  - a rising output injects virtual INTID 30 into the vCPU's list
 *    registers (virtual-only, with LR.EOI = 1), or into its saved ones
 *    when it is not running (loaded with it); a blocked vCPU wakes;
 *  - the guest's EOI raises the EOI maintenance interrupt: if the output
 *    is still up, the level-sensitive interrupt is pending again (GICv3
 *    4.1.1), so it is injected again;
 *  - a falling output (a CTL or CVAL write) takes back a pending INTID 30
 *    that the guest has not acknowledged yet;
 *  - INTID 30 disabled in the VM's redistributor: nothing is injected; the
 *    guest's GICR_ISENABLER0 write looks at the level again. */
#include "../arch/sysreg.h"
#include "../hyp.h"

/* The scheduler's hot paths (the tick, CNTHP programming) look at one
 * value, h->ptimer_next; the vCPUs are scanned only when a deadline
 * changes. */
static void set_deadline(struct hyp *h, struct vcpu *v, uint64_t at)
{
    v->ptimer_at = at;
    uint64_t next = UINT64_MAX;
    for (unsigned k = 0; k < h->nall; k++)
        if (h->all[k]->ptimer_at < next)
            next = h->all[k]->ptimer_at;
    h->ptimer_next = next;
}

void hyp_ptimer_reset(struct vcpu *v)
{
    vptimer_reset(&v->ptimer);
    set_deadline(v->vm->hyp, v, UINT64_MAX);
}

void hyp_ptimer_update(struct hyp *h, struct vcpu *v)
{
    uint64_t now = hyp_now();
    unsigned intid = h->plat.ppi_phys;
    struct vm *vm = v->vm;
    if (vm->off || v->state == VCPU_OFF) {
        set_deadline(h, v, UINT64_MAX);
        return;
    }
    set_deadline(h, v, vptimer_deadline(&v->ptimer, now));
    if (!vptimer_output(&v->ptimer, now)) {
        hyp_vgic_retract(h, v, intid);
        return;
    }
    if (!vgic_emu_enabled(&vm->vgic, v->idx, intid))
        return;
    struct vgic_irq irq = {intid, vgic_emu_priority(&vm->vgic, v->idx, intid), false, 0, true, 0};
    vm->st.ptimer_fired++;
    hyp_vgic_inject_irq(h, v, &irq);
}

void hyp_ptimer_sysreg(struct hyp *h, struct vcpu *v, enum vptimer_reg r, bool read, unsigned rt)
{
    uint64_t now = hyp_now();
    if (read) {
        if (rt != 31)
            v->r.x[rt] = vptimer_read(&v->ptimer, r, now);
        return;
    }
    vptimer_write(&v->ptimer, r, rt == 31 ? 0 : v->r.x[rt], now);
    hyp_ptimer_update(h, v);
    h->resched = true; /* its deadline on the CNTHP queue may have moved: the
                        * scheduler pass before the return programs CNTHP */
}
