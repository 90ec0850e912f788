/* Virtual interrupts: injection through the list registers (with the
 * overflow queue of core/vgic_lr.c), the maintenance interrupt, and the
 * physical IRQ handler that routes every physical interrupt to the
 * hypervisor (its tick), to the running vCPU (its virtual timer, HW-bit
 * forwarded) or to the VM that owns a passthrough SPI. */
#include "../arch/sysreg.h"
#include "../hyp.h"
#include "../lib/fmt.h"
#include "gicregs.h"

#include <string.h>

void hyp_vgic_inject(struct hyp *h, struct vcpu *v, unsigned vintid, unsigned prio, bool hw,
                     unsigned pintid)
{
    hyp_commit(h);
    struct vgic_irq irq = {vintid, (uint8_t)prio, hw, (uint16_t)pintid, false};
    hyp_vgic_inject_irq(h, v, &irq);
}

void hyp_vgic_inject_irq(struct hyp *h, struct vcpu *v, const struct vgic_irq *irq)
{
    bool loaded = h->current == v;
    if (loaded)
        for (unsigned i = 0; i < v->vgic.nr_lrs; i++)
            v->vgic.lr[i] = ich_lr_read(i);
    uint32_t dirty = 0;
    enum vgic_inject_result r = vgic_lrs_inject(&v->vgic, irq, &dirty);
    v->vm->st.injections++;
    if (r == VGIC_INJ_DROPPED)
        hyp_printf("hyp: vm %s: virtual INTID %u lost: pending queue full\n", v->vm->cfg->name,
                   (unsigned)irq->intid);
    if (loaded) {
        for (unsigned i = 0; i < v->vgic.nr_lrs; i++)
            if (dirty & (1u << i))
                ich_lr_write(i, v->vgic.lr[i]);
        WRITE(ICH_HCR_EL2, ICH_HCR_EN | (vgic_lrs_want_underflow(&v->vgic) ? ICH_HCR_UIE : 0));
    }
    if (v->state == VCPU_BLOCKED)
        hyp_sched_wake(h, v);
}

void hyp_vgic_retract(struct hyp *h, struct vcpu *v, unsigned vintid)
{
    bool loaded = h->current == v;
    if (loaded)
        for (unsigned i = 0; i < v->vgic.nr_lrs; i++)
            v->vgic.lr[i] = ich_lr_read(i);
    uint32_t dirty = vgic_lrs_retract(&v->vgic, vintid);
    if (loaded)
        for (unsigned i = 0; i < v->vgic.nr_lrs; i++)
            if (dirty & (1u << i))
                ich_lr_write(i, v->vgic.lr[i]);
}

/* Maintenance interrupt (GICv3 4.10.4): with UIE, raised when at most one
 * LR holds a valid interrupt: refill from the queue. EOI (ICH_EISR_EL2,
 * 12.4.3): a virtual-only interrupt injected with LR.EOI = 1 (the
 * emulated EL1 physical timer's, a level) was deactivated by the guest:
 * free its LR, and look at the level again. */
void hyp_vgic_maintenance(struct hyp *h, struct vcpu *v)
{
    if (!v || h->current != v)
        return;
    uint64_t eisr = READ(ICH_EISR_EL2);
    bool ptimer = false;
    for (unsigned i = 0; i < v->vgic.nr_lrs; i++) {
        v->vgic.lr[i] = ich_lr_read(i);
        if (eisr & (UINT64_C(1) << i)) {
            ptimer |= (uint32_t)v->vgic.lr[i] == h->plat.ppi_phys;
            v->vgic.lr[i] = 0;
            ich_lr_write(i, 0);
        }
    }
    if (ptimer)
        hyp_ptimer_update(h, v);
    uint32_t dirty = vgic_lrs_refill(&v->vgic);
    for (unsigned i = 0; i < v->vgic.nr_lrs; i++)
        if (dirty & (1u << i))
            ich_lr_write(i, v->vgic.lr[i]);
    WRITE(ICH_HCR_EL2, ICH_HCR_EN | (vgic_lrs_want_underflow(&v->vgic) ? ICH_HCR_UIE : 0));
}

bool hyp_vgic_pending(struct hyp *h, struct vcpu *v)
{
    if (v->vgic.nq)
        return true;
    /* ICH_ELRSR_EL2 (GICv3 12.5.6): bit n = 1 when LR n holds no
     * interrupt. All empty: nothing pending, with one register read. */
    uint64_t all = (UINT64_C(1) << v->vgic.nr_lrs) - 1;
    if (h->current == v && (READ(ICH_ELRSR_EL2) & all) == all)
        return false;
    for (unsigned i = 0; i < v->vgic.nr_lrs; i++) {
        uint64_t lr = h->current == v ? ich_lr_read(i) : v->vgic.lr[i];
        if (lr & LR_PENDING)
            return true;
    }
    return false;
}

/* The VM and virtual INTID for a physical SPI, from the configuration. */
static struct vcpu *spi_owner(struct hyp *h, unsigned intid, unsigned *vintid)
{
    for (unsigned i = 0; i < h->nvms; i++) {
        struct vm *vm = &h->vms[i];
        const struct hyp_vm_config *c = vm->cfg;
        if (vm->console_passthrough) {
            const struct hyp_plat_dev *d = hyp_plat_find(&h->view, HYP_DEV_UART, c->console.uart);
            if (d && d->intid == (int)intid) {
                *vintid = c->console.virq ? c->console.virq : intid;
                return &vm->vcpu[0];
            }
        }
        for (unsigned k = 0; k < HYP_MAX_PT_DEVS; k++) {
            if (c->pt[k].kind == HYP_DEV_NONE)
                continue;
            const struct hyp_plat_dev *d = hyp_plat_find(&h->view, c->pt[k].kind, c->pt[k].index);
            if (d && d->intid == (int)intid) {
                *vintid = c->pt[k].virq ? c->pt[k].virq : intid;
                return &vm->vcpu[0];
            }
        }
    }
    return NULL;
}

/* The physical INTID behind a VM's virtual SPI (passthrough), or -1. */
static int virq_to_pintid(struct hyp *h, struct vm *vm, unsigned virq)
{
    const struct hyp_vm_config *c = vm->cfg;
    if (vm->console_passthrough) {
        const struct hyp_plat_dev *d = hyp_plat_find(&h->view, HYP_DEV_UART, c->console.uart);
        if (d && d->intid >= 0 && (c->console.virq ? c->console.virq : (unsigned)d->intid) == virq)
            return d->intid;
    }
    for (unsigned k = 0; k < HYP_MAX_PT_DEVS; k++) {
        if (c->pt[k].kind == HYP_DEV_NONE)
            continue;
        const struct hyp_plat_dev *d = hyp_plat_find(&h->view, c->pt[k].kind, c->pt[k].index);
        if (d && d->intid >= 0 && (c->pt[k].virq ? c->pt[k].virq : (unsigned)d->intid) == virq)
            return d->intid;
    }
    return -1;
}

/* A trapped write of ICC_SGI1R_EL1 (HCR_EL2.IMO = 1 traps it from EL1):
 * a Group 1 SGI for the VM's own vCPUs (core/vgic_emu.c decodes the
 * targets). An SGI a target has not enabled in its redistributor is not
 * delivered (the emulation keeps no pending latch for disabled
 * interrupts). */
void hyp_vgic_sgi(struct hyp *h, struct vcpu *v, uint64_t val)
{
    hyp_vgic_sgi_write(h, v, 1, val);
}

/* ICC_SGI0R_EL1 (group 0), ICC_SGI1R_EL1 and ICC_ASGI1R_EL1 (group 1)
 * from a vCPU, trapped (GICv3 12.2.20-22; the write traps to EL2 when
 * HCR_EL2.IMO or FMO is 1, there being no ICV_ form of these registers).
 *  - A request that names any target outside the VM (another cluster or
 *    range, or a vCPU number it does not have) is refused as a whole,
 *    counted and recorded (event port kind 8, sgi): a VM's SGIs never
 *    reach another VM, whose vCPUs share Aff0 numbers with its own.
 *  - The VM's virtual GIC has one Security state (GICD_CTLR.DS = 1) and
 *    gives its vCPUs Group 1 only (list registers with Group = 1: virtual
 *    FIQs are not offered): a group-1 SGI is delivered to each target that
 *    enabled it, with its priority; a group-0 one (ICC_SGI0R_EL1) would
 *    need a Group 0 interrupt and is dropped, with a message (a Group 0
 *    SGI is forwarded only to a target that configured that INTID as
 *    Group 0: GICv3 4.x, "Forwarding an SGI to a target PE"). With one
 *    Security state, ICC_ASGI1R_EL1 is a group-1 request as
 *    ICC_SGI1R_EL1 is. */
void hyp_vgic_sgi_write(struct hyp *h, struct vcpu *v, unsigned group, uint64_t val)
{
    struct vm *vm = v->vm;
    unsigned intid;
    uint32_t targets = vgic_emu_sgi_targets(&vm->vgic, v->idx, val, &intid);
    if (vgic_emu_sgi_outside(&vm->vgic, val)) {
        char what[96] = "SGI to a target outside the VM";
        vm->st.sgis_refused++;
        if (hyp_violation_printed(vm))
            hyp_snprintf(what, sizeof what,
                         "SGI %u to a target outside the VM (ICC_SGI%sR_EL1 0x%llx)", intid,
                         group ? "1" : "0", (unsigned long long)val);
        hyp_violation(vm, HYP_EV_SGI, what, intid, val);
        return;
    }
    if (group == 0) {
        if (vm->st.traps[0x18] <= 4)
            hyp_printf("hyp: vm %s: group 0 SGI %u not delivered: its vGIC offers group 1 only\n",
                       vm->cfg->name, intid);
        return;
    }
    for (unsigned i = 0; i < vm->cfg->nr_vcpus; i++) {
        struct vcpu *t = &vm->vcpu[i];
        if (!(targets & (1u << i)) || t->state == VCPU_OFF ||
            !vgic_emu_enabled(&vm->vgic, i, intid))
            continue;
        vm->st.sgis++;
        hyp_vgic_inject(h, t, intid, vgic_emu_priority(&vm->vgic, i, intid), false, 0);
    }
}

/* The physical priority of a VM's passthrough SPIs: the hypervisor's own
 * interrupts (its tick, the maintenance interrupt, the virtual timer) at
 * 0xa0, then one priority group of 0x10 per VM of higher priority (GICv3
 * 4.8: lower value = higher priority). While a VM runs, the physical
 * priority mask (ICC_PMR_EL1, vm->pmr, set by hyp_vcpu_load) admits only
 * interrupts above the next group: its own SPIs and those of VMs that
 * outrank it, never those of VMs it outranks. A device interrupt of a
 * lower VM (rogue's interrupt storm) then stays pending in the distributor
 * instead of interrupting the RTOS, and is taken when that VM could run
 * anyway: when the higher VMs block (the idle loop opens the mask). */
static uint8_t spi_priority(struct hyp *h, const struct vm *vm)
{
    unsigned above = 0;
    for (unsigned i = 0; i < h->cfg->nr_vms; i++)
        if (h->cfg->vms[i].priority > vm->cfg->priority)
            above++;
    unsigned p = 0xa0 + 0x10 * (above + 1);
    return (uint8_t)(p > 0xf0 ? 0xf0 : p);
}

/* Per-VM INTID ownership: SGIs and the virtual timer (vgic_emu_init), and
 * the SPIs of its passthrough and emulated devices. */
void hyp_vgic_setup(struct hyp *h, struct vm *vm)
{
    const struct hyp_vm_config *c = vm->cfg;
    vgic_emu_init(&vm->vgic, c->nr_vcpus, h->plat.ppi_virt);
    vm->vgic.unowned_wi = c->vgic_unowned_wi;
    vm->spi_prio = spi_priority(h, vm);
    vm->pmr = vm->spi_prio >= 0xf0 ? 0xff : (uint8_t)(vm->spi_prio + 0x10);
    for (unsigned virq = HYP_INTID_SPI_FIRST; virq <= HYP_INTID_SPI_LAST; virq++) {
        int p = virq_to_pintid(h, vm, virq);
        vm->spi_pintid[virq - HYP_INTID_SPI_FIRST] = (int16_t)p;
        if (p >= 0)
            vgic_emu_own(&vm->vgic, virq);
    }
    vgic_emu_own(&vm->vgic, h->plat.ppi_phys); /* its emulated EL1 physical timer */
    if (c->console.virq)
        vgic_emu_own(&vm->vgic, c->console.virq);
    for (unsigned i = 0; i < HYP_MAX_EMU_DEVS; i++)
        if (c->emu[i].kind != HYP_EMU_NONE && c->emu[i].virq)
            vgic_emu_own(&vm->vgic, c->emu[i].virq);
}

/* A passthrough interrupt over its VM's budget (core/irq_rate.h): a storm.
 * Not forwarded; the SPI is masked at the physical distributor (so the
 * level can no longer interrupt anyone), then deactivated (EOImode 1: the
 * hypervisor's EOIR only dropped the priority), and the storm is reported
 * as an isolation event. The VM's emulated distributor still shows it
 * enabled; the VM re-arms it by disabling and enabling it again. */
static void irq_storm(struct hyp *h, struct vm *vm, unsigned intid, unsigned vintid)
{
    hyp_gic_disable_spi(h, intid);
    WRITE(ICC_DIR_EL1, intid);
    vm->st.irq_storms++;
    vm->st.irq_dropped++;
    vm->st.violations++;
    hyp_event_port(h, vm->cfg->id, HYP_EV_IRQ, intid, (uint64_t)vintid << 32 | HYP_IRQ_BUDGET);
    if (vm->st.irq_storms <= 8)
        hyp_printf("hyp: vm %s: refused: interrupt storm on INTID %u (virtual %u): over %u "
                   "per ms; masked until it re-enables it\n",
                   vm->cfg->name, intid, vintid, HYP_IRQ_BUDGET);
}

/* A VM reset: its passthrough SPIs (spi_pintid, found at boot) masked at
 * the physical distributor and deactivated (its list registers, which may
 * hold them with the HW bit, are being cleared: no guest EOI will
 * deactivate them), and its emulated GIC back to its reset state. Other
 * VMs' INTIDs are not touched. */
/* A VM reset, first part: its passthrough SPIs [from, from + n) masked and
 * deactivated at the physical distributor. Returns where it stopped. */
unsigned hyp_vgic_reset_spis(struct hyp *h, struct vm *vm, unsigned from, unsigned n)
{
    unsigned end = sizeof vm->spi_pintid / sizeof vm->spi_pintid[0];
    if (from + n < end)
        end = from + n;
    for (unsigned i = from; i < end; i++) {
        int p = vm->spi_pintid[i];
        if (p < (int)HYP_INTID_SPI_FIRST)
            continue;
        hyp_gic_disable_spi(h, (unsigned)p);
        hyp_gic_deactivate_spi(h, (unsigned)p);
    }
    return end;
}

/* The second part, in pieces: its emulated GIC back to reset, with the
 * same INTID ownership (hyp_vgic_setup scans every SPI once: done at boot
 * only, the ownership is kept): INTIDs [from, from + n), then (from =
 * VGIC_NR_INTIDS) its redistributors. Returns where it stopped. */
unsigned hyp_vgic_reset(struct hyp *h, struct vm *vm, unsigned from, unsigned n)
{
    (void)h;
    if (from >= VGIC_NR_INTIDS) {
        vgic_emu_reset_cpus(&vm->vgic);
        return from;
    }
    vgic_emu_reset_intids(&vm->vgic, from, n);
    return from + n;
}

/* GICD_ISPENDR/ICPENDR/ISACTIVER/ICACTIVER<n> and GICR_..0 of the VM's
 * own INTIDs (vgic_emu has decided ownership): the state is that of the
 * target vCPU's list registers (the hardware's while it runs) and pending
 * queue; SPIs are delivered to vCPU 0.
 *  - reads: the pending or active bits of the owned INTIDs;
 *  - ISPENDR: an interrupt the guest enabled becomes pending (injected,
 *    virtual-only); a disabled one is not latched (as for SGIs, the
 *    emulation keeps no pending state outside the LRs), said once;
 *  - ICPENDR: a pending virtual-only interrupt is taken back (a HW one's
 *    pending state belongs to the physical interrupt: left);
 *  - ISACTIVER/ICACTIVER: a write that would change the active state is
 *    not supported: ignored, said once (writing the state it has is
 *    fine: Linux clears every active bit at boot). */
static void vgic_state(struct hyp *h, struct vm *vm, const struct vgic_emu_effect *eff,
                       uint64_t *val)
{
    unsigned tv = eff->state_bank == 0 ? eff->state_vcpu : 0;
    if (tv >= vm->cfg->nr_vcpus)
        return;
    struct vcpu *t = &vm->vcpu[tv];
    unsigned first = eff->state_bank * 32;
    bool loaded = h->current == t;
    uint32_t pend = 0, act = 0;
    for (unsigned i = 0; i < t->vgic.nr_lrs; i++) {
        uint64_t lr = loaded ? ich_lr_read(i) : t->vgic.lr[i];
        uint32_t id = (uint32_t)lr - first;
        if (id < 32 && (lr & LR_PENDING))
            pend |= 1u << id;
        if (id < 32 && (lr & LR_ACTIVE))
            act |= 1u << id;
    }
    for (unsigned q = 0; q < t->vgic.nq; q++)
        if (t->vgic.queue[q].intid - first < 32)
            pend |= 1u << (t->vgic.queue[q].intid - first);
    bool pending_reg =
        eff->state_op == VGIC_STATE_SET_PENDING || eff->state_op == VGIC_STATE_CLR_PENDING;
    if (eff->state_read) {
        *val = (pending_reg ? pend : act) & eff->state_mask;
        return;
    }
    uint32_t m = eff->state_mask;
    switch (eff->state_op) {
    case VGIC_STATE_SET_PENDING:
        for (unsigned i = 0; i < 32; i++) {
            if (!(m & ~pend & (1u << i)))
                continue;
            if (vgic_emu_enabled(&vm->vgic, tv, first + i))
                hyp_vgic_inject(h, t, first + i, vgic_emu_priority(&vm->vgic, tv, first + i), false,
                                0);
            else if (vm->st.traps[0x24] <= 8)
                hyp_printf("hyp: vm %s: set-pending of disabled INTID %u not latched\n",
                           vm->cfg->name, first + i);
        }
        break;
    case VGIC_STATE_CLR_PENDING:
        for (unsigned i = 0; i < 32; i++)
            if (m & pend & (1u << i))
                hyp_vgic_retract(h, t, first + i);
        break;
    default:
        if ((eff->state_op == VGIC_STATE_SET_ACTIVE ? m & ~act : m & act) &&
            vm->st.traps[0x24] <= 8)
            hyp_printf("hyp: vm %s: changing the active state through the distributor is not "
                       "supported: ignored\n",
                       vm->cfg->name);
        break;
    }
}

/* A trapped access to the VM's emulated GICD or GICR: 1 handled, 0 not a
 * GIC address, -1 refused by the GIC's access rules. */
int hyp_vgic_mmio(struct vcpu *v, uint64_t ipa, bool write, unsigned width, uint64_t *val)
{
    struct vm *vm = v->vm;
    struct hyp *h = vm->hyp;
    struct vgic_emu_effect eff = {0};
    int r;
    if (ipa >= HYP_VGICD_IPA && ipa < HYP_VGICD_IPA + VGICD_SIZE)
        r = vgic_emu_dist(&vm->vgic, (uint32_t)(ipa - HYP_VGICD_IPA), write, width, val, &eff);
    else if (ipa >= HYP_VGICR_IPA && ipa < HYP_VGICR_IPA + HYP_VGICR_STRIDE * vm->cfg->nr_vcpus)
        r = vgic_emu_redist(&vm->vgic, (uint32_t)(ipa - HYP_VGICR_IPA), write, width, val, &eff);
    else
        return 0;
    if (r < 0)
        return -1;
    if (eff.violation) {
        char what[96] = "vGIC write to an INTID it does not own";
        if (hyp_violation_printed(vm))
            hyp_snprintf(what, sizeof what, "vGIC write to INTID %u, which it does not own",
                         eff.intid);
        hyp_violation(vm, HYP_EV_VGIC, what, eff.intid, *val);
    }
    if (eff.state_op != VGIC_STATE_NONE && !eff.violation)
        vgic_state(h, vm, &eff, val);
    if (eff.unknown && vm->st.traps[0x24] <= 4)
        hyp_printf("hyp: vm %s: vGIC offset 0x%llx not modelled: %s ignored\n", vm->cfg->name,
                   (unsigned long long)ipa, write ? "write" : "read as zero,");
    /* The held virtual timer of the running vCPU, now enabled: deliver it
     * with the HW bit (the physical PPI is active; the guest's EOI
     * deactivates it). */
    unsigned vt = h->plat.ppi_virt;
    if ((eff.ppi_enable_on & (1u << vt)) && eff.ppi_vcpu < vm->cfg->nr_vcpus) {
        struct vcpu *t = &vm->vcpu[eff.ppi_vcpu];
        if (t == h->current && t->vtimer_held) {
            t->vtimer_held = false;
            hyp_vgic_inject(h, t, vt, vgic_emu_priority(&vm->vgic, t->idx, vt), true, vt);
        }
    }
    /* INTID 30 enabled: the emulated EL1 physical timer's level may be up. */
    unsigned pt = h->plat.ppi_phys;
    if ((eff.ppi_enable_on & (1u << pt)) && eff.ppi_vcpu < vm->cfg->nr_vcpus)
        hyp_ptimer_update(h, &vm->vcpu[eff.ppi_vcpu]);
    /* Mirror enables of passthrough SPIs to the physical distributor. Only
     * a write of GICD_ISENABLER<n>/ICENABLER<n> (0x100 + 4n, 0x180 + 4n:
     * GICv3 12.9.x) changes them, and only in the banks it covers. */
    uint64_t doff = ipa - HYP_VGICD_IPA;
    if (!write || ipa < HYP_VGICD_IPA || doff < 0x104 || doff >= 0x200 || (doff & 0x7f) < 4)
        return 1;
    unsigned b0 = (unsigned)(doff & 0x7f) / 4, b1 = (unsigned)((doff & 0x7f) + width - 1) / 4;
    for (unsigned b = b0; b <= b1 && b < sizeof eff.enable_on / sizeof eff.enable_on[0]; b++) {
        uint32_t on = eff.enable_on[b], off = eff.enable_off[b];
        for (unsigned i = 0; (on | off) && i < 32; i++) {
            if (!((on | off) & (1u << i)))
                continue;
            int p = vm->spi_pintid[b * 32 + i - HYP_INTID_SPI_FIRST];
            if (p < 0)
                continue;
            if (on & (1u << i)) {
                hyp_gic_enable_spi(h, (unsigned)p);
                hyp_gic_set_spi_priority(h, (unsigned)p, vm->spi_prio);
                irq_rate_init(&vm->irq_rate); /* re-armed by its owner: a new budget */
            }
            if (off & (1u << i))
                hyp_gic_disable_spi(h, (unsigned)p);
        }
    }
    return 1;
}

void hyp_irq(struct hyp *h, struct vcpu *v)
{
    for (;;) {
        unsigned intid = (unsigned)READ(ICC_IAR1_EL1) & 0xffffff;
        if (intid >= 1020)
            return;                  /* spurious: nothing (more) pending */
        WRITE(ICC_EOIR1_EL1, intid); /* priority drop (EOImode = 1) */
        if (v)
            v->vm->st.irqs++;
        if (intid == h->plat.ppi_hyp) {
            /* The timer's output is a level: stop it before deactivating,
             * the scheduler programs the next event on the way out. */
            write_sysreg(cnthp_ctl_el2, 0);
            isb();
            WRITE(ICC_DIR_EL1, intid);
            hyp_sched_tick(h);
        } else if (intid == h->plat.ppi_virt && v) {
            /* The running vCPU's virtual timer: forward with the HW bit;
             * the guest's EOI deactivates the physical PPI. */
            if (vgic_emu_enabled(&v->vm->vgic, v->idx, intid)) {
                hyp_vgic_inject(h, v, intid, vgic_emu_priority(&v->vm->vgic, v->idx, intid), true,
                                intid);
            } else {
                /* The guest armed its timer but has INTID 27 disabled in
                 * its redistributor (Linux arms the timer before it enables
                 * the PPI). A level-sensitive interrupt asserted while
                 * disabled stays pending and is signalled once enabled
                 * (GICv3 4.1.1): keep the physical PPI active, which stops
                 * the level from signalling again, until the guest enables
                 * INTID 27 (hyp_vgic_mmio) or the vCPU is switched out
                 * (hyp_vcpu_put deactivates it; the restored timer fires
                 * again if still asserted). */
                v->vtimer_held = true;
            }
        } else if (intid == h->plat.ppi_maint) {
            WRITE(ICC_DIR_EL1, intid);
            hyp_vgic_maintenance(h, v);
        } else {
            unsigned vintid;
            struct vcpu *o = intid >= 32 ? spi_owner(h, intid, &vintid) : NULL;
            if (o && !o->vm->off && vgic_emu_enabled(&o->vm->vgic, 0, vintid)) {
                if (irq_rate_admit(&o->vm->irq_rate, hyp_now(), h->freq / HYP_IRQ_WINDOWS_PER_S,
                                   HYP_IRQ_BUDGET))
                    hyp_vgic_inject(h, o, vintid, vgic_emu_priority(&o->vm->vgic, 0, vintid), true,
                                    intid);
                else
                    irq_storm(h, o->vm, intid, vintid);
            } else {
                WRITE(ICC_DIR_EL1, intid);
                hyp_printf("hyp: physical INTID %u with no owner\n", intid);
            }
        }
    }
}
