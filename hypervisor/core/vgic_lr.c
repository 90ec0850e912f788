/* See vgic_lr.h. */
#include "vgic_lr.h"

void vgic_lr_decode(uint64_t lr, struct vgic_irq *irq)
{
    irq->intid = (uint32_t)lr;
    irq->prio = (uint8_t)(lr >> 48);
    irq->hw = (lr & LR_HW) != 0;
    irq->pintid = irq->hw ? (uint16_t)((lr >> 32) & 0x3ff) : 0;
    irq->eoi = !irq->hw && (lr & LR_EOI);
}

void vgic_lrs_init(struct vgic_lrs *s, unsigned nr_lrs)
{
    *s = (struct vgic_lrs){0};
    s->nr_lrs = nr_lrs > VGIC_MAX_LRS ? VGIC_MAX_LRS : nr_lrs;
}

static bool queue_push(struct vgic_lrs *s, const struct vgic_irq *irq)
{
    if (s->nq == VGIC_QUEUE)
        return false;
    unsigned i = s->nq;
    /* Insert after every entry of higher or equal priority (FIFO). */
    while (i > 0 && s->queue[i - 1].prio > irq->prio) {
        s->queue[i] = s->queue[i - 1];
        i--;
    }
    s->queue[i] = *irq;
    s->nq++;
    return true;
}

/* An LR is free when it holds no interrupt and waits for no EOI
 * maintenance (ICH_ELRSR_EL2's definition, GICv3 12.4.5): an invalid LR
 * with HW = 0 and EOI = 1 is the deactivated interrupt the hypervisor
 * still has to look at (ICH_EISR_EL2); overwriting it would lose that. */
static bool lr_free(uint64_t lr)
{
    return !(lr & LR_STATE_MASK) && ((lr & LR_HW) || !(lr & LR_EOI));
}

enum vgic_inject_result vgic_lrs_inject(struct vgic_lrs *s, const struct vgic_irq *irq,
                                        uint32_t *dirty)
{
    int free_lr = -1;
    for (unsigned i = 0; i < s->nr_lrs; i++) {
        uint64_t st = s->lr[i] & LR_STATE_MASK;
        if (st == 0) {
            if (free_lr < 0)
                free_lr = (int)i;
            continue;
        }
        if ((uint32_t)s->lr[i] != irq->intid)
            continue;
        if (st & LR_PENDING)
            return VGIC_INJ_ALREADY;
        /* Active, not pending: a software interrupt becomes pending and
         * active. A HW one cannot fire again before the guest deactivates
         * it (the physical interrupt is still active), so there is
         * nothing new to record. */
        if (s->lr[i] & LR_HW)
            return VGIC_INJ_ALREADY;
        s->lr[i] |= LR_PENDING;
        if (dirty)
            *dirty |= 1u << i;
        return VGIC_INJ_LR;
    }
    for (unsigned q = 0; q < s->nq; q++)
        if (s->queue[q].intid == irq->intid)
            return VGIC_INJ_ALREADY;
    /* Rare: the first invalid LR may wait for EOI maintenance (bit 41 is
     * EOI with HW = 0, a pINTID bit with HW = 1: look again then); kept
     * out of the loop above, which is on the interrupt path. */
    if (free_lr >= 0 && (s->lr[free_lr] & LR_EOI)) {
        free_lr = -1;
        for (unsigned i = 0; i < s->nr_lrs && free_lr < 0; i++)
            if (lr_free(s->lr[i]))
                free_lr = (int)i;
    }
    if (free_lr >= 0) {
        s->lr[free_lr] = vgic_lr_encode(irq);
        if (dirty)
            *dirty |= 1u << free_lr;
        return VGIC_INJ_LR;
    }
    /* All LRs in use: evict the lowest-priority pending-only one if the new
     * interrupt outranks it (the guest must see the highest-priority
     * pending interrupt first, GICv3 4.8). */
    int victim = -1;
    for (unsigned i = 0; i < s->nr_lrs; i++) {
        if ((s->lr[i] & LR_STATE_MASK) != LR_PENDING)
            continue;
        uint8_t p = (uint8_t)(s->lr[i] >> 48);
        if (p > irq->prio && (victim < 0 || p >= (uint8_t)(s->lr[victim] >> 48)))
            victim = (int)i;
    }
    if (victim >= 0 && s->nq < VGIC_QUEUE) {
        struct vgic_irq old;
        vgic_lr_decode(s->lr[victim], &old);
        queue_push(s, &old);
        s->lr[victim] = vgic_lr_encode(irq);
        s->evictions++;
        if (dirty)
            *dirty |= 1u << victim;
        return VGIC_INJ_EVICTED;
    }
    if (!queue_push(s, irq)) {
        s->dropped++;
        return VGIC_INJ_DROPPED;
    }
    return VGIC_INJ_QUEUED;
}

uint32_t vgic_lrs_refill(struct vgic_lrs *s)
{
    uint32_t dirty = 0;
    if (s->nq == 0) /* the common case, on every vCPU load: nothing to set up */
        return 0;
    for (unsigned i = 0; i < s->nr_lrs && s->nq > 0; i++) {
        if (!lr_free(s->lr[i]))
            continue;
        s->lr[i] = vgic_lr_encode(&s->queue[0]);
        for (unsigned q = 1; q < s->nq; q++)
            s->queue[q - 1] = s->queue[q];
        s->nq--;
        dirty |= 1u << i;
    }
    return dirty;
}

uint32_t vgic_lrs_retract(struct vgic_lrs *s, uint32_t intid)
{
    uint32_t dirty = 0;
    for (unsigned i = 0; i < s->nr_lrs; i++) {
        if ((uint32_t)s->lr[i] != intid || !(s->lr[i] & LR_PENDING) || (s->lr[i] & LR_HW))
            continue;
        s->lr[i] = (s->lr[i] & LR_ACTIVE) ? s->lr[i] & ~LR_PENDING : 0;
        dirty |= 1u << i;
    }
    for (unsigned q = 0; q < s->nq; q++) {
        if (s->queue[q].intid != intid)
            continue;
        for (unsigned k = q + 1; k < s->nq; k++)
            s->queue[k - 1] = s->queue[k];
        s->nq--;
        break;
    }
    return dirty;
}
