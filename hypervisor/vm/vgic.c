/* Virtual interrupts: injection through the list registers (with the
 * overflow queue of core/vgic_lr.c), the maintenance interrupt, and the
 * physical IRQ handler that routes every physical interrupt to the
 * hypervisor (its tick), to the running vCPU (its virtual timer, HW-bit
 * forwarded) or to the VM that owns a passthrough SPI. */
#include "../arch/sysreg.h"
#include "../hyp.h"
#include "gicregs.h"

#define VTIMER_PRIO 0xa0
#define SPI_PRIO    0xa0

void hyp_vgic_inject(struct hyp *h, struct vcpu *v, unsigned vintid, unsigned prio, bool hw,
                     unsigned pintid)
{
    bool loaded = h->current == v;
    if (loaded)
        for (unsigned i = 0; i < v->vgic.nr_lrs; i++)
            v->vgic.lr[i] = ich_lr_read(i);
    struct vgic_irq irq = {vintid, (uint8_t)prio, hw, (uint16_t)pintid};
    uint32_t dirty = 0;
    enum vgic_inject_result r = vgic_lrs_inject(&v->vgic, &irq, &dirty);
    v->vm->st.injections++;
    if (r == VGIC_INJ_DROPPED)
        hyp_printf("hyp: vm %s: virtual INTID %u lost: pending queue full\n", v->vm->cfg->name,
                   vintid);
    if (loaded) {
        for (unsigned i = 0; i < v->vgic.nr_lrs; i++)
            if (dirty & (1u << i))
                ich_lr_write(i, v->vgic.lr[i]);
        WRITE(ICH_HCR_EL2, ICH_HCR_EN | (vgic_lrs_want_underflow(&v->vgic) ? ICH_HCR_UIE : 0));
    }
    if (v->state == VCPU_BLOCKED)
        hyp_sched_wake(h, v);
}

/* Maintenance interrupt (GICv3 4.10.4): with UIE, raised when at most one
 * LR holds a valid interrupt. Refill from the queue. */
void hyp_vgic_maintenance(struct hyp *h, struct vcpu *v)
{
    if (!v || h->current != v)
        return;
    for (unsigned i = 0; i < v->vgic.nr_lrs; i++)
        v->vgic.lr[i] = ich_lr_read(i);
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
            hyp_vgic_inject(h, v, h->plat.ppi_virt, VTIMER_PRIO, true, intid);
        } else if (intid == h->plat.ppi_maint) {
            WRITE(ICC_DIR_EL1, intid);
            hyp_vgic_maintenance(h, v);
        } else {
            unsigned vintid;
            struct vcpu *o = intid >= 32 ? spi_owner(h, intid, &vintid) : NULL;
            if (o && !o->vm->off) {
                hyp_vgic_inject(h, o, vintid, SPI_PRIO, true, intid);
            } else {
                WRITE(ICC_DIR_EL1, intid);
                hyp_printf("hyp: physical INTID %u with no owner\n", intid);
            }
        }
    }
}
