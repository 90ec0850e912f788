/* List-register allocation for one vCPU, with a pending queue for when more
 * virtual interrupts are pending than the PE has list registers. Pure data
 * (host-testable): the caller copies the hardware ICH_LR<n>_EL2 values in
 * before and out after (vm/vgic.c).
 *
 * ICH_LR<n>_EL2 (GICv3 12.5.9, "ICH_LR<n>_EL2"): State[63:62] (00 invalid,
 * 01 pending, 10 active, 11 pending and active), HW[61], Group[60],
 * Priority[55:48], pINTID[41:32] (HW = 1) or EOI[41] (HW = 0: an EOI
 * maintenance interrupt when the guest deactivates it), vINTID[31:0]. */
#ifndef HYP_VGIC_LR_H
#define HYP_VGIC_LR_H

#include <stdbool.h>
#include <stdint.h>

#define VGIC_MAX_LRS 16
#define VGIC_QUEUE   32

#define LR_STATE_SHIFT 62
#define LR_STATE_MASK  (UINT64_C(3) << LR_STATE_SHIFT)
#define LR_PENDING     (UINT64_C(1) << 62)
#define LR_ACTIVE      (UINT64_C(1) << 63)
#define LR_HW          (UINT64_C(1) << 61)
#define LR_GROUP1      (UINT64_C(1) << 60)
#define LR_EOI         (UINT64_C(1) << 41) /* HW = 0 only */

struct vgic_irq {
    uint32_t intid;
    uint8_t prio; /* 0 = highest */
    bool hw;      /* forward deactivation to pintid (HW bit) */
    uint16_t pintid;
    bool eoi; /* HW = 0: ask for the EOI maintenance interrupt (ICH_EISR_EL2) */
    /* Its LR State (LR_PENDING, LR_ACTIVE or both, >> 62), or 0 for
     * pending: an injection is pending; a queued entry may also hold the
     * active state set through GICD_ISACTIVER (vgic_lrs_set_active). */
    uint8_t state;
};

struct vgic_lrs {
    unsigned nr_lrs; /* ICH_VTR_EL2.ListRegs + 1 */
    uint64_t lr[VGIC_MAX_LRS];
    struct vgic_irq queue[VGIC_QUEUE]; /* by priority, FIFO among equals */
    unsigned nq;
    uint64_t evictions, dropped;
    /* EOIcount beyond the queued active interrupts (vgic_lrs_eoi_count):
     * a guest EOI that deactivated nothing the hypervisor holds. */
    uint64_t eoi_unmatched;
};

enum vgic_inject_result {
    VGIC_INJ_LR,      /* placed in a free list register */
    VGIC_INJ_EVICTED, /* placed in an LR whose lower-priority interrupt went to the queue */
    VGIC_INJ_QUEUED,  /* all LRs busy with higher or equal priority: queued */
    VGIC_INJ_ALREADY, /* already pending (in an LR or queued): nothing to do */
    VGIC_INJ_DROPPED, /* the queue is full: the interrupt is lost and counted */
};

/* Inline: the world switch builds the virtual timer's LR with it (vm/vcpu.c
 * timer_at_load), where a constant irq folds to a few instructions. */
/* An entry's LR State bits (1 pending, 2 active; struct vgic_irq.state
 * 0 means pending). */
static inline unsigned vgic_irq_state(const struct vgic_irq *irq)
{
    return irq->state ? irq->state : 1u;
}

static inline uint64_t vgic_lr_encode(const struct vgic_irq *irq)
{
    uint64_t lr = (uint64_t)vgic_irq_state(irq) << LR_STATE_SHIFT | LR_GROUP1 |
                  (uint64_t)irq->prio << 48 | irq->intid;
    if (irq->hw)
        lr |= LR_HW | (uint64_t)(irq->pintid & 0x3ff) << 32;
    else if (irq->eoi)
        lr |= LR_EOI;
    return lr;
}
void vgic_lr_decode(uint64_t lr, struct vgic_irq *irq);

void vgic_lrs_init(struct vgic_lrs *s, unsigned nr_lrs);

/* Make irq pending for the vCPU. A bit mask of the LRs written goes to
 * *dirty (may be NULL). */
enum vgic_inject_result vgic_lrs_inject(struct vgic_lrs *s, const struct vgic_irq *irq,
                                        uint32_t *dirty);

/* Move queued interrupts into free LRs, pending ones first by priority,
 * then active ones; then a queued pending interrupt that outranks an LR's
 * takes its place (the pending-only or active LR of lowest priority that
 * it outranks goes to the queue). Called on underflow / EOI maintenance,
 * when the vCPU is loaded, and by vgic_lrs_inject when it used a free LR
 * while the queue held entries. Afterwards, while the queue is not empty,
 * no LR is free and no queued pending interrupt outranks an LR it could
 * take (so the guest always sees the highest-priority pending
 * interrupts; docs/hypervisor.md, "Overflow"). Returns the mask of LRs
 * written. */
uint32_t vgic_lrs_refill(struct vgic_lrs *s);

/* ICH_HCR_EL2.EOIcount (GICv3 12.4.4 / 4.10.4): the guest EOId `count`
 * interrupts that no LR held (VirtualWriteEOIR with ICH_VMCR_EL2.VEOIM =
 * 0). With EOImode 0 a guest EOIs in the reverse order of its
 * acknowledgements, that is from the highest priority down (the running
 * priority drops, GICv3 4.8), and the LRs hold the highest-priority
 * active interrupts (pick_victim evicts the lowest): so those are the
 * `count` highest-priority active entries of the queue. Each is
 * deactivated: taken out of the queue (a software one pending and active
 * stays queued, pending) and copied to done[] (state active) so that the
 * caller deactivates a HW one's physical INTID and looks at a level
 * again. Returns how many; any count beyond the queued active entries
 * goes to eoi_unmatched. */
unsigned vgic_lrs_eoi_count(struct vgic_lrs *s, unsigned count, struct vgic_irq *done);

/* A level-sensitive virtual-only interrupt whose level fell: its pending
 * state goes (an LR that is pending only becomes invalid, pending and
 * active becomes active; a queued entry is dropped). Returns the mask of
 * LRs written. */
uint32_t vgic_lrs_retract(struct vgic_lrs *s, uint32_t intid);

/* GICD_ISACTIVER/GICR_ISACTIVER0 (GICv3 12.9.x, 12.11.x): irq becomes
 * active. An interrupt in an LR gets LR.State active; a queued one or one
 * held nowhere is put in an LR (the guest deactivates it through its CPU
 * interface, which sees only the LRs), evicting the lowest-priority
 * pending-only LR to the queue when none is free; when every LR holds an
 * active interrupt it waits at the head of the queue. A HW interrupt keeps
 * only its active state in the LR: its pending state is the physical
 * interrupt's (the physical one is active until the guest deactivates the
 * virtual one). Returns the mask of LRs written. */
uint32_t vgic_lrs_set_active(struct vgic_lrs *s, const struct vgic_irq *irq);

/* GICD_ICACTIVER/GICR_ICACTIVER0: intid is no longer active. An LR left
 * with no state becomes invalid (with HW = 0 and EOI = 1 it stays for the
 * EOI maintenance interrupt, as a guest deactivation would leave it).
 * When a HW interrupt's active state is cleared, *hw_pintid is set to its
 * physical INTID (else -1): the caller deactivates the physical interrupt.
 * Returns the mask of LRs written. */
uint32_t vgic_lrs_clear_active(struct vgic_lrs *s, uint32_t intid, int *hw_pintid);

/* GICD_ICPENDR/GICR_ICPENDR0 and disabling: intid is no longer pending,
 * whether virtual-only or HW. A HW interrupt pending in an LR or the
 * queue is removed and *hw_pintid set (else -1): the physical interrupt
 * was acknowledged by the hypervisor and is active; the caller
 * deactivates it (a level still asserted is signalled again). Returns the
 * mask of LRs written; *was_pending says whether it was pending. */
uint32_t vgic_lrs_clear_pending(struct vgic_lrs *s, uint32_t intid, int *hw_pintid,
                                bool *was_pending);

/* The pending (LR State bit 0) and active (bit 1) bits of INTIDs
 * [first, first + 32) in the LRs and the queue. */
void vgic_lrs_state(const struct vgic_lrs *s, unsigned first, uint32_t *pending, uint32_t *active);

/* The maintenance interrupts and traps wanted, as ICH_HCR_EL2 bits (GICv3
 * 12.4.4): UIE (underflow: at most one LR valid) while a pending
 * interrupt waits in the queue, to refill; LRENPIE (EOIcount non-zero)
 * while an active one is in the queue, whose EOI no LR sees (EOImode 0),
 * and TDIR with it (EOImode 1: its DIR, below). NPIE is not
 * needed: refill's invariant (above) leaves no queued pending interrupt
 * that outranks an LR, so one becomes deliverable only once every LR
 * that outranks it is deactivated, and then at most one LR is valid (UIE)
 * or it was refilled already. Inline: on every vCPU load. */
#define VGIC_WANT_UIE     (1u << 1)
#define VGIC_WANT_LRENPIE (1u << 2)
/* ICH_HCR_EL2.TDIR (bit 14): with an active interrupt queued, the
 * guest's ICV_DIR_EL1 writes trap, so that EOImode 1 deactivations are
 * matched by INTID (vm/vgic.c hyp_vgic_dir). */
#define VGIC_WANT_TDIR (1u << 14)
uint32_t vgic_lrs_maint_slow(const struct vgic_lrs *s);
static inline uint32_t vgic_lrs_maint(const struct vgic_lrs *s)
{
    return s->nq ? vgic_lrs_maint_slow(s) : 0;
}

static inline bool vgic_lrs_want_underflow(const struct vgic_lrs *s)
{
    return (vgic_lrs_maint(s) & VGIC_WANT_UIE) != 0;
}

#endif
