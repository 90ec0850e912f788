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
    struct vgic_irq irq = {vintid, (uint8_t)prio, hw, (uint16_t)pintid, false, 0};
    hyp_vgic_inject_irq(h, v, &irq);
}

static void phys_active(struct hyp *h, struct vcpu *t, unsigned pintid, bool active);
static void hw_deactivate(struct hyp *h, struct vcpu *v, unsigned pintid);

_Static_assert(VGIC_WANT_UIE == ICH_HCR_UIE && VGIC_WANT_LRENPIE == ICH_HCR_LRENPIE &&
                   VGIC_WANT_TDIR == ICH_HCR_TDIR,
               "core/vgic_lr.h's maintenance wishes are ICH_HCR_EL2 bits");

/* ICH_HCR_EL2 for the loaded vCPU v: enabled, with the maintenance
 * interrupts its pending queue needs (core/vgic_lr.h vgic_lrs_maint), and
 * EOIcount 0 (hyp_vgic_eoicount has consumed it). */
static inline uint64_t ich_hcr(const struct vcpu *v)
{
    return ICH_HCR_EN | vgic_lrs_maint(&v->vgic);
}

/* The EOI maintenance path for interrupts out of the list registers
 * (GICv3 4.10.4, ICH_HCR_EL2.EOIcount and LRENPIE, ICH_MISR_EL2.LRENP).
 * An active interrupt may leave the LRs for the pending queue (a
 * higher-priority one took its LR: core/vgic_lr.c pick_victim, or every
 * LR was active when it was set active). The guest's EOI of it then finds
 * no LR: VirtualWriteEOIR increments EOIcount instead of deactivating, and
 * with LRENPIE set (vgic_lrs_maint, while an active interrupt is queued)
 * the maintenance interrupt is raised. Here the count is consumed: that
 * many queued active interrupts are deactivated (vgic_lrs_eoi_count: the
 * highest-priority ones, the order of EOImode 0 EOIs), a HW one's
 * physical INTID with them, as the LR's HW bit would have (ICC_DIR_EL1:
 * the hypervisor runs with EOImode 1, and acknowledged it; a PPI through
 * phys_active, which knows the vCPU's banked state).
 *
 * Called for the loaded vCPU v whenever its queue is not empty, before
 * anything reads its LRs or writes ICH_HCR_EL2 (which would clear the
 * count): on the maintenance interrupt, at every vGIC operation and when
 * it is switched out (vm/vcpu.c). The guest cannot run in between, so no
 * EOI is lost or counted twice.
 *
 * EOImode 1 (ICH_VMCR_EL2.VEOIM): a deactivation is then the guest's
 * ICV_DIR_EL1 write, in any order, which a count would not name; with an
 * active interrupt queued, ICH_HCR_EL2.TDIR traps those writes
 * (vgic_lrs_maint) and hyp_vgic_dir deactivates by INTID. A count in
 * EOImode 1 names nothing: the spec's EOIR does not count then (12.4.4),
 * QEMU's does (sim/gic/gic_virt.c gic_icv_eoir); it is dropped. */
void hyp_vgic_eoicount(struct hyp *h, struct vcpu *v)
{
    uint64_t hcr = READ(ICH_HCR_EL2);
    unsigned n = (unsigned)((hcr & ICH_HCR_EOICOUNT_MASK) >> ICH_HCR_EOICOUNT_SHIFT);
    if (!n)
        return;
    WRITE(ICH_HCR_EL2, hcr & ~ICH_HCR_EOICOUNT_MASK);
    struct vm *vm = v->vm;
    if (READ(ICH_VMCR_EL2) & ICH_VMCR_VEOIM)
        return;
    struct vgic_irq done[ICH_HCR_EOICOUNT_MASK >> ICH_HCR_EOICOUNT_SHIFT];
    unsigned k = vgic_lrs_eoi_count(&v->vgic, n, done);
    vm->st.eoi_deact += k;
    vm->st.eoi_unmatched += n - k;
    for (unsigned i = 0; i < k; i++)
        if (done[i].hw)
            hw_deactivate(h, v, done[i].pintid);
}

/* The physical interrupt behind a HW virtual one the guest deactivated
 * while no LR held it: what the LR's HW bit would have done (GICv3 6.2.2,
 * a deactivation of pINTID as by ICC_DIR_EL1; the hypervisor runs with
 * EOImode 1 and acknowledged it). A PPI through phys_active, which knows
 * whose banked active state it is. */
static void hw_deactivate(struct hyp *h, struct vcpu *v, unsigned pintid)
{
    if (pintid >= HYP_INTID_SPI_FIRST)
        WRITE(ICC_DIR_EL1, pintid);
    else
        phys_active(h, v, pintid, false);
}

/* The list registers of vCPU t, in its struct for the pure functions of
 * core/vgic_lr.c: read from the hardware while it is loaded, and the LRs
 * in `dirty` written back (with ICH_HCR_EL2.UIE for the queue). */
static inline void lrs_in(struct hyp *h, struct vcpu *t)
{
    if (h->current == t && t->vgic.nq)
        hyp_vgic_eoicount(h, t);
    if (h->current == t)
        for (unsigned i = 0; i < t->vgic.nr_lrs; i++)
            t->vgic.lr[i] = ich_lr_read(i);
}

static inline void lrs_out(struct hyp *h, struct vcpu *t, uint32_t dirty)
{
    if (h->current != t)
        return;
    for (unsigned i = 0; i < t->vgic.nr_lrs; i++)
        if (dirty & (1u << i))
            ich_lr_write(i, t->vgic.lr[i]);
    WRITE(ICH_HCR_EL2, ich_hcr(t));
}

/* A trapped ICC_DIR_EL1 write of the running vCPU v (ICH_HCR_EL2.TDIR,
 * set while an active interrupt waits in its queue: EOImode 1 guests
 * deactivate with DIR, in any order). VirtualWriteDIR emulated: with
 * VEOIM = 0 it has no effect (UNPREDICTABLE; ignored, as the simulator
 * and QEMU do); a special INTID is ignored; else the interrupt's active
 * state goes, in its LR or in the queue (vgic_lrs_clear_active: a HW
 * one's physical INTID is deactivated with it, an LR with HW = 0 and
 * EOI = 1 stays for its EOI maintenance interrupt), and the LRs are
 * refilled. An INTID active nowhere changes nothing. */
void hyp_vgic_dir(struct hyp *h, struct vcpu *v, uint64_t val)
{
    unsigned intid = (unsigned)(val & 0xffffff);
    if (intid >= 1020 || !(READ(ICH_VMCR_EL2) & ICH_VMCR_VEOIM))
        return;
    v->vm->st.dir_traps++;
    lrs_in(h, v);
    int hwp;
    uint32_t dirty = vgic_lrs_clear_active(&v->vgic, intid, &hwp);
    if (hwp >= 0)
        hw_deactivate(h, v, (unsigned)hwp);
    dirty |= vgic_lrs_refill(&v->vgic);
    lrs_out(h, v, dirty);
}

void hyp_vgic_inject_irq(struct hyp *h, struct vcpu *v, const struct vgic_irq *irq)
{
    lrs_in(h, v);
    uint32_t dirty = 0;
    enum vgic_inject_result r = vgic_lrs_inject(&v->vgic, irq, &dirty);
    v->vm->st.injections++;
    if (r == VGIC_INJ_DROPPED)
        hyp_printf("hyp: vm %s: virtual INTID %u lost: pending queue full\n", v->vm->cfg->name,
                   (unsigned)irq->intid);
    lrs_out(h, v, dirty);
    if (v->state == VCPU_BLOCKED)
        hyp_sched_wake(h, v);
}

void hyp_vgic_retract(struct hyp *h, struct vcpu *v, unsigned vintid)
{
    lrs_in(h, v);
    lrs_out(h, v, vgic_lrs_retract(&v->vgic, vintid));
}

/* Maintenance interrupt (GICv3 4.10.4, ICH_MISR_EL2 12.4.9):
 *  - LRENP (LRENPIE, EOIcount non-zero): the guest EOId active interrupts
 *    that no LR held: hyp_vgic_eoicount deactivates them;
 *  - EOI (ICH_EISR_EL2, 12.4.3): a virtual-only interrupt injected with
 *    LR.EOI = 1 (the emulated EL1 physical timer's, a level) was
 *    deactivated by the guest: free its LR, and look at the level again;
 *  - U (UIE, at most one LR valid): refill from the queue.
 * Whatever raised it, the LRs are refilled from the queue (free LRs, and
 * queued pending interrupts that outrank an LR's: core/vgic_lr.c) and the
 * wanted maintenance interrupts set again. */
void hyp_vgic_maintenance(struct hyp *h, struct vcpu *v)
{
    if (!v || h->current != v)
        return;
    if (v->vgic.nq)
        hyp_vgic_eoicount(h, v);
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
    WRITE(ICH_HCR_EL2, ich_hcr(v));
}

bool hyp_vgic_pending(struct hyp *h, struct vcpu *v)
{
    /* A queued entry is pending unless it holds only the active state
     * (vgic_lrs_set_active with every LR active: rare). */
    if (v->vgic.nq)
        for (unsigned q = 0; q < v->vgic.nq; q++)
            if (v->vgic.queue[q].state != (LR_ACTIVE >> LR_STATE_SHIFT))
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
 * targets). */
void hyp_vgic_sgi(struct hyp *h, struct vcpu *v, uint64_t val)
{
    hyp_vgic_sgi_write(h, v, 1, val);
}

/* ICC_SGI0R_EL1 (group 0), ICC_SGI1R_EL1 and ICC_ASGI1R_EL1 (group 1)
 * from a vCPU, trapped (GICv3 12.2.20-22; the write traps to EL2 when
 * HCR_EL2.IMO or FMO is 1, there being no ICV_ form of these registers).
 *  - A request that names any target outside the VM (another cluster or
 *    range, or a vCPU number it does not have) is refused as a whole,
 *    counted and recorded (event port kind 9, sgi): a VM's SGIs never
 *    reach another VM, whose vCPUs share Aff0 numbers with its own.
 *  - The VM's virtual GIC has one Security state (GICD_CTLR.DS = 1) and
 *    gives its vCPUs Group 1 only (LRs with Group = 1, IGROUPR RAO/WI,
 *    GICD_CTLR.EnableGrp0 RAZ/WI: virtual FIQs are not offered). A Group 0
 *    SGI is forwarded only to a target that configured that INTID as
 *    Group 0 (GICv3 4.x, "Forwarding an SGI to a target PE"), which none
 *    can: ICC_SGI0R_EL1 is refused as a whole, counted (sgis_refused) and
 *    recorded (kind 9, sgi, info = the value) instead of dropped in
 *    silence. With one Security state, ICC_ASGI1R_EL1 is a group-1
 *    request as ICC_SGI1R_EL1 is.
 *  - A group-1 SGI becomes pending at each target with its priority; at a
 *    target that has the INTID disabled it stays pending (the latch of
 *    core/vgic_emu.h) and is delivered when enabled (GICv3 4.1.2: pending
 *    and enabled are independent). */
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
        char what[96] = "Group 0 SGI: its vGIC offers Group 1 only";
        vm->st.sgis_refused++;
        vm->st.group0_refused++;
        if (hyp_violation_printed(vm))
            hyp_snprintf(what, sizeof what,
                         "Group 0 SGI %u: its vGIC offers Group 1 only (ICC_SGI0R_EL1 0x%llx)",
                         intid, (unsigned long long)val);
        hyp_violation(vm, HYP_EV_SGI, what, intid, val);
        return;
    }
    for (unsigned i = 0; i < vm->cfg->nr_vcpus; i++) {
        struct vcpu *t = &vm->vcpu[i];
        if (!(targets & (1u << i)) || t->state == VCPU_OFF)
            continue;
        vm->st.sgis++;
        if (!vgic_emu_enabled(&vm->vgic, i, intid))
            vgic_emu_set_latch(&vm->vgic, i, intid, true);
        else
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
    irq_rate_set_init(&vm->irq_rate);
    for (unsigned virq = HYP_INTID_SPI_FIRST; virq <= HYP_INTID_SPI_LAST; virq++) {
        int p = virq_to_pintid(h, vm, virq);
        vm->spi_pintid[virq - HYP_INTID_SPI_FIRST] = (int16_t)p;
        if (p >= 0) {
            vgic_emu_own(&vm->vgic, virq);
            if (!irq_rate_set_add(&vm->irq_rate, (uint32_t)p))
                hyp_printf("hyp: vm %s: INTID %d shares a storm budget (more than %u sources)\n",
                           c->name, p, IRQ_RATE_SOURCES);
        }
    }
    vgic_emu_own(&vm->vgic, h->plat.ppi_phys); /* its emulated EL1 physical timer */
    if (c->console.virq)
        vgic_emu_own(&vm->vgic, c->console.virq);
    for (unsigned i = 0; i < HYP_MAX_EMU_DEVS; i++)
        if (c->emu[i].kind != HYP_EMU_NONE && c->emu[i].virq)
            vgic_emu_own(&vm->vgic, c->emu[i].virq);
}

/* A passthrough interrupt over its own budget (core/irq_rate.h: one per
 * physical SPI, so the VM's other devices keep theirs): a storm.
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
 * VMs' INTIDs are not touched. In pieces (hyp_vm_reset_step), so that
 * interrupts are served between them. First part: its passthrough SPIs
 * [from, from + n). Returns where it stopped. */
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

/* Whether a VM's INTID is forwarded with the HW bit, and from which
 * physical INTID: its passthrough SPIs, and the virtual timer PPI. */
static bool hw_intid(struct hyp *h, struct vm *vm, unsigned intid, unsigned *pintid)
{
    if (intid >= HYP_INTID_SPI_FIRST && intid <= HYP_INTID_SPI_LAST) {
        int p = vm->spi_pintid[intid - HYP_INTID_SPI_FIRST];
        *pintid = (unsigned)p;
        return p >= 0;
    }
    *pintid = intid;
    return intid == h->plat.ppi_virt;
}

/* The physical interrupt behind a HW virtual one follows the active state
 * the guest writes through ISACTIVER/ICACTIVER (as KVM does for its mapped
 * interrupts): active while the virtual one is, so that a level cannot
 * signal again; deactivated with it (a level still asserted is then
 * signalled again and forwarded anew). PPI 27 is banked per PE: its
 * active state belongs to the vCPU whose timer it is, in the hardware
 * while that vCPU is loaded, else in ppi27_active (restored at load). */
static void phys_active(struct hyp *h, struct vcpu *t, unsigned pintid, bool active)
{
    if (pintid >= HYP_INTID_SPI_FIRST) {
        if (active)
            hyp_gic_activate_spi(h, pintid);
        else
            hyp_gic_deactivate_spi(h, pintid);
        return;
    }
    if (pintid != h->plat.ppi_virt)
        return;
    if (h->current == t) {
        hyp_gic_set_ppi_active(h, pintid, active);
        t->vtimer_held = false; /* an LR holds it now, or nothing does */
    } else {
        t->ppi27_active = active;
    }
}

/* Make intid pending for vCPU t, now that it is enabled (a virtual-only
 * injection: a software-set pending state is not the device's). */
static uint32_t pend_now(struct vm *vm, struct vcpu *t, unsigned intid)
{
    struct vgic_irq irq = {intid, vgic_emu_priority(&vm->vgic, t->idx, intid), false, 0, false, 0};
    uint32_t dirty = 0;
    if (vgic_lrs_inject(&t->vgic, &irq, &dirty) == VGIC_INJ_DROPPED)
        hyp_printf("hyp: vm %s: virtual INTID %u lost: pending queue full\n", vm->cfg->name, intid);
    vm->st.injections++;
    return dirty;
}

/* GICD_ISPENDR/ICPENDR/ISACTIVER/ICACTIVER<n> and GICR_..0 of the VM's
 * own INTIDs (vgic_emu has decided ownership): the state is that of the
 * target vCPU's list registers (the hardware's while it runs) and pending
 * queue, plus the pending latch of disabled interrupts (core/vgic_emu.h);
 * SPIs are delivered to vCPU 0.
 *  - reads: the pending or active bits of the owned INTIDs;
 *  - ISPENDR: an enabled interrupt becomes pending (injected, virtual-
 *    only); a disabled one is latched, and delivered when enabled (GICv3
 *    4.1.2: pending and enable are independent); a HW one's physical
 *    interrupt is made pending instead (forwarded as usual);
 *  - ICPENDR: the latch (and a HW one's physical software latch) is
 *    cleared and a pending interrupt taken back;
 *    for a HW one (passthrough SPI, virtual timer) the physical
 *    interrupt, which the hypervisor acknowledged, is deactivated (a level
 *    still asserted is signalled again);
 *  - ISACTIVER: the interrupt becomes active (core/vgic_lr.c
 *    vgic_lrs_set_active); for a HW one not yet forwarded the physical
 *    interrupt is made active too;
 *  - ICACTIVER: the active state is cleared; a HW one's physical
 *    interrupt is deactivated with it.
 * Active state lives in the LRs (or, when every LR is active, the head of
 * the queue), so it is saved and restored with them across vCPU switches
 * (vm/vcpu.c). */
static void vgic_state(struct hyp *h, struct vm *vm, const struct vgic_emu_effect *eff,
                       uint64_t *val)
{
    unsigned tv = eff->state_bank == 0 ? eff->state_vcpu : 0;
    if (tv >= vm->cfg->nr_vcpus)
        return;
    struct vcpu *t = &vm->vcpu[tv];
    unsigned first = eff->state_bank * 32;
    lrs_in(h, t);
    uint32_t lpend, act;
    vgic_lrs_state(&t->vgic, first, &lpend, &act);
    uint32_t latch = vgic_emu_latch_bank(&vm->vgic, tv, eff->state_bank);
    uint32_t pend = lpend | latch;
    bool pending_reg =
        eff->state_op == VGIC_STATE_SET_PENDING || eff->state_op == VGIC_STATE_CLR_PENDING;
    if (eff->state_read) {
        /* A HW interrupt's pending state is also its physical one's: a
         * level still asserted while the virtual interrupt is active
         * (then the LR holds active only) reads pending, and so does one
         * the guest disabled (masked at the physical distributor). PPI
         * 27 is the running vCPU's only. */
        for (uint32_t m = pending_reg ? eff->state_mask & ~pend : 0; m; m &= m - 1) {
            unsigned i = (unsigned)__builtin_ctz(m), pintid;
            if (hw_intid(h, vm, first + i, &pintid) &&
                (pintid >= HYP_INTID_SPI_FIRST || h->current == t) && hyp_gic_pending(h, pintid))
                pend |= 1u << i;
        }
        *val = (pending_reg ? pend : act) & eff->state_mask;
        return;
    }
    uint32_t m = eff->state_mask, dirty = 0;
    unsigned vt = h->plat.ppi_virt;
    bool held = eff->state_bank == 0 && h->current == t && t->vtimer_held;
    for (; m; m &= m - 1) {
        unsigned i = (unsigned)__builtin_ctz(m), id = first + i, pintid;
        bool hw = hw_intid(h, vm, id, &pintid);
        int hwp;
        bool was;
        switch (eff->state_op) {
        case VGIC_STATE_SET_PENDING:
            if (pend & (1u << i))
                break;
            if (hw && (pintid >= HYP_INTID_SPI_FIRST || h->current == t)) {
                /* A HW interrupt: the physical one is made pending (as
                 * KVM does for mapped interrupts), and is forwarded as
                 * usual, with the HW bit, when the guest has it enabled
                 * (the physical SPI's enable follows the guest's; a
                 * disabled virtual timer is held). A virtual-only copy
                 * would leave the physical interrupt active with no LR
                 * to deactivate it when it fires. */
                hyp_gic_set_pending(h, pintid, true);
                if (pintid == vt)
                    t->ppi27_swpend = true;
                break;
            }
            if (vgic_emu_enabled(&vm->vgic, tv, id))
                dirty |= pend_now(vm, t, id);
            else
                vgic_emu_set_latch(&vm->vgic, tv, id, true);
            break;
        case VGIC_STATE_CLR_PENDING:
            vgic_emu_set_latch(&vm->vgic, tv, id, false);
            if (hw && (pintid >= HYP_INTID_SPI_FIRST || h->current == t))
                hyp_gic_set_pending(h, pintid, false); /* its software latch */
            dirty |= vgic_lrs_clear_pending(&t->vgic, id, &hwp, &was);
            if (hwp >= 0)
                phys_active(h, t, (unsigned)hwp, false);
            else if (id == vt && held)
                phys_active(h, t, vt, false); /* the held timer: pending at EL2 */
            break;
        case VGIC_STATE_SET_ACTIVE: {
            if (act & (1u << i))
                break;
            struct vgic_irq irq = {id,
                                   vgic_emu_priority(&vm->vgic, tv, id),
                                   hw,
                                   (uint16_t)pintid,
                                   !hw && id == h->plat.ppi_phys,
                                   0};
            /* A HW interrupt already forwarded (in an LR or queued) or
             * held has its physical interrupt active: only the virtual
             * one changes; otherwise both become active. */
            if (hw && !(lpend & (1u << i)) && !(id == vt && held))
                phys_active(h, t, pintid, true);
            if (id == vt && held)
                t->vtimer_held = false; /* its LR owns the physical active state now */
            dirty |= vgic_lrs_set_active(&t->vgic, &irq);
            break;
        }
        default: /* VGIC_STATE_CLR_ACTIVE */
            dirty |= vgic_lrs_clear_active(&t->vgic, id, &hwp);
            if (hwp >= 0)
                phys_active(h, t, (unsigned)hwp, false);
            break;
        }
    }
    lrs_out(h, t, dirty);
    if (dirty && t->state == VCPU_BLOCKED && hyp_vgic_pending(h, t))
        hyp_sched_wake(h, t);
}

/* The guest enabled (on) or disabled (off) INTIDs [32 * bank, +32) of
 * vCPU tv (bank 0: its SGIs and PPIs; SPIs are delivered to vCPU 0).
 *  - enabled: a latched pending state is delivered;
 *  - disabled: a disabled interrupt is not forwarded to the CPU interface
 *    (GICv3 4.1.2), so one pending in an LR or the queue is taken back:
 *    a virtual-only one keeps its pending state in the latch; a HW one's
 *    physical interrupt, acknowledged by the hypervisor, is deactivated
 *    (its pending state is the device's: a level still asserted is
 *    signalled again, and forwarded once enabled). The two timer PPIs are
 *    levels the hypervisor looks at again on enable (vtimer_held,
 *    hyp_ptimer_update): not latched. */
static void vgic_enables(struct hyp *h, struct vm *vm, unsigned tv, unsigned bank, uint32_t on,
                         uint32_t off)
{
    if (tv >= vm->cfg->nr_vcpus || !(on | off))
        return;
    struct vcpu *t = &vm->vcpu[tv];
    uint32_t latch = vgic_emu_latch_bank(&vm->vgic, tv, bank);
    if (!(on & latch) && !off)
        return;
    lrs_in(h, t);
    uint32_t dirty = 0;
    for (uint32_t m = on & latch; m; m &= m - 1) {
        unsigned id = bank * 32 + (unsigned)__builtin_ctz(m);
        vgic_emu_set_latch(&vm->vgic, tv, id, false);
        /* the held virtual timer is delivered with the HW bit instead
         * (hyp_vgic_mmio): one pending interrupt, one LR */
        if (!(id == h->plat.ppi_virt && h->current == t && t->vtimer_held))
            dirty |= pend_now(vm, t, id);
    }
    for (uint32_t m = off; m; m &= m - 1) {
        unsigned id = bank * 32 + (unsigned)__builtin_ctz(m);
        int hwp;
        bool was;
        dirty |= vgic_lrs_clear_pending(&t->vgic, id, &hwp, &was);
        if (hwp >= 0)
            phys_active(h, t, (unsigned)hwp, false);
        else if (was && id != h->plat.ppi_virt && id != h->plat.ppi_phys)
            vgic_emu_set_latch(&vm->vgic, tv, id, true);
    }
    lrs_out(h, t, dirty);
    if (dirty && t->state == VCPU_BLOCKED && hyp_vgic_pending(h, t))
        hyp_sched_wake(h, t);
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
        /* A refused write changed nothing (vgic_emu.h: refused as a
         * whole), so this is a preemption point: the decision is made, its
         * effects (the event port, the count, a message) are not. The
         * caller sees h->redo and leaves the guest's state alone. */
        if (hyp_preempt_point(h))
            return 1;
        if (hyp_violation_printed(vm)) {
            char what[64];
            hyp_snprintf(what, sizeof what, "vGIC write to INTID %u, which it does not own",
                         eff.intid);
            hyp_violation(vm, HYP_EV_VGIC, what, eff.intid, *val);
        } else {
            hyp_violation(vm, HYP_EV_VGIC, "vGIC write to an INTID it does not own", eff.intid,
                          *val);
        }
        return 1; /* nothing else to do: no state, enable or unknown offset */
    }
    if (eff.state_op != VGIC_STATE_NONE) {
        /* The pending/active registers: the emulator decided (ownership,
         * the bits) and changed nothing of its own, the state lives in
         * the LRs (vgic_emu.c); so this is a preemption point too, before
         * vgic_state's effect (its LR, queue and physical-GIC work, the
         * longest piece of a vGIC trap: ~450 instructions with the
         * take-along's physical pending state). The caller sees h->redo
         * and leaves the guest's state alone. */
        if (hyp_preempt_point(h))
            return 1;
        vgic_state(h, vm, &eff, val);
    }
    if (write) {
        vgic_enables(h, vm, eff.ppi_vcpu, 0, eff.ppi_enable_on, eff.ppi_enable_off);
        vgic_enables(h, vm, 0, eff.enable_bank, eff.enable_on, eff.enable_off);
    }
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
     * a write of GICD_ISENABLER<n>/ICENABLER<n> (GICv3 12.9.x) changes
     * them, in the one bank it covers (eff.enable_bank). */
    uint32_t on = eff.enable_on, off = eff.enable_off;
    for (uint32_t m = on | off; m; m &= m - 1) {
        unsigned i = (unsigned)__builtin_ctz(m);
        int p = vm->spi_pintid[eff.enable_bank * 32 + i - HYP_INTID_SPI_FIRST];
        if (p < 0)
            continue;
        if (on & (1u << i)) {
            hyp_gic_enable_spi(h, (unsigned)p);
            hyp_gic_set_spi_priority(h, (unsigned)p, vm->spi_prio);
            irq_rate_set_rearm(&vm->irq_rate, (uint32_t)p); /* re-armed by its owner */
        }
        if (off & (1u << i))
            hyp_gic_disable_spi(h, (unsigned)p);
    }
    return 1;
}

/* The running (or armed, vm/sched.c) vCPU's virtual timer, acknowledged:
 * forward it with the HW bit. When no LR holds anything (ICH_ELRSR_EL2,
 * GICv3 12.5.6; the ISB orders it after any LR write of this entry) and
 * nothing is queued, LR 0 takes it: the LR vgic_lrs_inject would choose,
 * without reading every LR back (the timer's path at its deadline). */
static void timer_inject(struct hyp *h, struct vcpu *v, unsigned vt)
{
    uint8_t prio = vgic_emu_ppi_priority(&v->vm->vgic, v->idx, vt);
    uint64_t all = (UINT64_C(1) << v->vgic.nr_lrs) - 1;
    isb();
    if (v->vgic.nq || (READ(ICH_ELRSR_EL2) & all) != all) {
        hyp_vgic_inject(h, v, vt, prio, true, vt);
        return;
    }
    hyp_commit(h);
    const struct vgic_irq irq = {vt, prio, true, (uint16_t)vt, false, 0};
    ich_lr_write(0, vgic_lr_encode(&irq));
    v->vm->st.injections++;
    if (v->state == VCPU_BLOCKED)
        hyp_sched_wake(h, v);
}

/* Every physical interrupt but the hypervisor's tick, acknowledged and
 * priority-dropped: the running vCPU's virtual timer, the maintenance
 * interrupt, a passthrough SPI. Out of line, so that hyp_irq's loop and
 * its tick (the preemption path of docs/hypervisor.md, "Measured costs")
 * do not set up what these need. */
static void __attribute__((noinline)) irq_route(struct hyp *h, struct vcpu *v, unsigned intid)
{
    if (intid == h->plat.ppi_virt && v) {
        v->ppi27_swpend = false; /* acknowledged: in an LR from here on */
        /* The running vCPU's virtual timer: forward with the HW bit;
         * the guest's EOI deactivates the physical PPI. */
        if (vgic_emu_enabled(&v->vm->vgic, v->idx, intid)) {
            timer_inject(h, v, intid);
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
            if (irq_rate_set_admit(&o->vm->irq_rate, intid, hyp_now(),
                                   h->freq / HYP_IRQ_WINDOWS_PER_S, HYP_IRQ_BUDGET))
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
             * the scheduler programs the next event on the way out. The
             * ISB makes the stopped output visible to the GIC before the
             * deactivation (a direct write, an indirect effect: Arm ARM
             * D11.2.4 and "Synchronization requirements for AArch64
             * System registers"), or PPI 26 would be pending again. */
            write_sysreg(cnthp_ctl_el2, 0);
            isb();
            WRITE(ICC_DIR_EL1, intid);
            hyp_sched_tick(h);
            /* The scheduler runs next: another pending interrupt is
             * taken after its ERET (IRQs route to EL2, whatever the
             * guest's PSTATE.I), not looked for here, which would cost
             * the tick's path (a vCPU switch) an acknowledge. */
            return;
        }
        irq_route(h, v, intid);
    }
}
