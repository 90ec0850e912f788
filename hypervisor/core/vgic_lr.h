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
};

struct vgic_lrs {
    unsigned nr_lrs; /* ICH_VTR_EL2.ListRegs + 1 */
    uint64_t lr[VGIC_MAX_LRS];
    struct vgic_irq queue[VGIC_QUEUE]; /* by priority, FIFO among equals */
    unsigned nq;
    uint64_t evictions, dropped;
};

enum vgic_inject_result {
    VGIC_INJ_LR,      /* placed in a free list register */
    VGIC_INJ_EVICTED, /* placed in an LR whose lower-priority interrupt went to the queue */
    VGIC_INJ_QUEUED,  /* all LRs busy with higher or equal priority: queued */
    VGIC_INJ_ALREADY, /* already pending (in an LR or queued): nothing to do */
    VGIC_INJ_DROPPED, /* the queue is full: the interrupt is lost and counted */
};

/* Inline: the world switch encodes the virtual timer's LR with it. */
static inline uint64_t vgic_lr_encode(const struct vgic_irq *irq)
{
    uint64_t lr = LR_PENDING | LR_GROUP1 | (uint64_t)irq->prio << 48 | irq->intid;
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

/* Move queued interrupts into free LRs, highest priority first (on
 * underflow / EOI maintenance, and when the vCPU is loaded). Returns the
 * mask of LRs written. */
uint32_t vgic_lrs_refill(struct vgic_lrs *s);

/* A level-sensitive virtual-only interrupt whose level fell: its pending
 * state goes (an LR that is pending only becomes invalid, pending and
 * active becomes active; a queued entry is dropped). Returns the mask of
 * LRs written. */
uint32_t vgic_lrs_retract(struct vgic_lrs *s, uint32_t intid);

/* Whether the underflow maintenance interrupt is wanted (ICH_HCR_EL2.UIE):
 * interrupts wait in the queue. */
static inline bool vgic_lrs_want_underflow(const struct vgic_lrs *s)
{
    return s->nq > 0;
}

#endif
