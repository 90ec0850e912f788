/* See vgic_lr.h. */
#include "vgic_lr.h"

#define ST_P 1u /* LR State: pending */
#define ST_A 2u /* LR State: active */

void vgic_lr_decode(uint64_t lr, struct vgic_irq *irq)
{
    irq->intid = (uint32_t)lr;
    irq->prio = (uint8_t)(lr >> 48);
    irq->hw = (lr & LR_HW) != 0;
    irq->pintid = irq->hw ? (uint16_t)((lr >> 32) & 0x3ff) : 0;
    irq->eoi = !irq->hw && (lr & LR_EOI);
    irq->state = (uint8_t)(lr >> LR_STATE_SHIFT);
}

void vgic_lrs_init(struct vgic_lrs *s, unsigned nr_lrs)
{
    *s = (struct vgic_lrs){0};
    s->nr_lrs = nr_lrs > VGIC_MAX_LRS ? VGIC_MAX_LRS : nr_lrs;
}

/* Queue order: active entries first (they need an LR for the guest to
 * deactivate them), then by priority, FIFO among equals. */
static bool goes_before(const struct vgic_irq *a, const struct vgic_irq *b)
{
    bool aa = vgic_irq_state(a) & ST_A, ba = vgic_irq_state(b) & ST_A;
    return aa != ba ? aa : a->prio < b->prio;
}

static bool queue_push(struct vgic_lrs *s, const struct vgic_irq *irq)
{
    if (s->nq == VGIC_QUEUE)
        return false;
    unsigned i = s->nq;
    while (i > 0 && goes_before(irq, &s->queue[i - 1])) {
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

/* An active-only LR that may leave for the queue: its EOI is then seen
 * through ICH_HCR_EL2.EOIcount (vgic_lrs_eoi_count). Not a HW one for a
 * PPI: the world switch carries a PPI's physical active state with the
 * LR that holds it (vm/vcpu.c, the virtual timer); nor one with HW = 0
 * and EOI = 1, whose deactivation the hypervisor must see as such
 * (ICH_EISR_EL2: the emulated EL1 physical timer's level is sampled
 * again). */
static bool evictable_active(uint64_t lr)
{
    if ((lr & LR_STATE_MASK) != LR_ACTIVE)
        return false;
    if (lr & LR_HW)
        return ((lr >> 32) & 0x3ff) >= 32;
    return !(lr & LR_EOI);
}

/* The LR that a pending interrupt of priority prio may take: the
 * lowest-priority pending-only one it outranks; else the lowest-priority
 * active one it outranks (GICv3 4.8: lower value, higher priority). -1 if
 * none. Pending ones go first: evicting one costs a refill later, an
 * active one an EOIcount maintenance interrupt when the guest EOIs it. */
static int pick_victim(const struct vgic_lrs *s, uint8_t prio)
{
    int victim = -1;
    for (unsigned i = 0; i < s->nr_lrs; i++) {
        if ((s->lr[i] & LR_STATE_MASK) != LR_PENDING)
            continue;
        uint8_t p = (uint8_t)(s->lr[i] >> 48);
        if (p > prio && (victim < 0 || p >= (uint8_t)(s->lr[victim] >> 48)))
            victim = (int)i;
    }
    if (victim >= 0)
        return victim;
    for (unsigned i = 0; i < s->nr_lrs; i++) {
        if (!evictable_active(s->lr[i]))
            continue;
        uint8_t p = (uint8_t)(s->lr[i] >> 48);
        if (p > prio && (victim < 0 || p >= (uint8_t)(s->lr[victim] >> 48)))
            victim = (int)i;
    }
    return victim;
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
    for (unsigned q = 0; q < s->nq; q++) {
        if (s->queue[q].intid != irq->intid)
            continue;
        /* Queued active only (set through ISACTIVER): a software
         * interrupt becomes pending and active, as in an LR above. */
        if (vgic_irq_state(&s->queue[q]) == ST_A && !s->queue[q].hw) {
            s->queue[q].state = ST_P | ST_A;
            return VGIC_INJ_QUEUED;
        }
        return VGIC_INJ_ALREADY;
    }
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
        /* Rare: the queue is not empty while an LR is free (the guest
         * freed it since the last maintenance): a queued interrupt that
         * outranks the new one must not wait behind it. */
        if (__builtin_expect(s->nq > 0, 0)) {
            uint32_t more = vgic_lrs_refill(s);
            if (dirty)
                *dirty |= more;
            if ((uint32_t)s->lr[free_lr] != irq->intid)
                return VGIC_INJ_QUEUED; /* it went to the queue in its turn */
        }
        return VGIC_INJ_LR;
    }
    /* All LRs in use: the new interrupt takes the LR of one it outranks
     * (the guest must see the highest-priority pending interrupt first,
     * GICv3 4.8), which goes to the queue (pick_victim). */
    int victim = pick_victim(s, irq->prio);
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

/* The best queued entry that is pending only (the queue holds the active
 * ones first, then the others by priority), or -1. */
static int first_pending(const struct vgic_lrs *s)
{
    for (unsigned q = 0; q < s->nq; q++)
        if (vgic_irq_state(&s->queue[q]) == ST_P)
            return (int)q;
    return -1;
}

static void queue_remove(struct vgic_lrs *s, unsigned q)
{
    for (unsigned k = q + 1; k < s->nq; k++)
        s->queue[k - 1] = s->queue[k];
    s->nq--;
}

/* Queued pending interrupts that outrank an LR's take its place, the
 * evicted one going to the queue, until none does. Each swap puts a
 * strictly higher priority into an LR; at most one per LR. */
static uint32_t swap_in(struct vgic_lrs *s)
{
    uint32_t dirty = 0;
    for (unsigned n = 0; n < s->nr_lrs; n++) {
        int q = first_pending(s);
        if (q < 0)
            break;
        int victim = pick_victim(s, s->queue[q].prio);
        if (victim < 0)
            break;
        struct vgic_irq in = s->queue[q], old;
        queue_remove(s, (unsigned)q);
        vgic_lr_decode(s->lr[victim], &old);
        queue_push(s, &old); /* room: one entry just left */
        s->lr[victim] = vgic_lr_encode(&in);
        s->evictions++;
        dirty |= 1u << victim;
    }
    return dirty;
}

uint32_t vgic_lrs_refill(struct vgic_lrs *s)
{
    uint32_t dirty = 0;
    if (s->nq == 0) /* the common case, on every vCPU load: nothing to set up */
        return 0;
    /* Free LRs: pending interrupts first, by priority (the guest has to
     * see them); then active ones (their EOI then needs no maintenance
     * interrupt, and a HW one's deactivates the physical interrupt). */
    for (unsigned i = 0; i < s->nr_lrs && s->nq > 0; i++) {
        if (!lr_free(s->lr[i]))
            continue;
        int q = first_pending(s);
        if (q < 0)
            q = 0;
        s->lr[i] = vgic_lr_encode(&s->queue[q]);
        queue_remove(s, (unsigned)q);
        dirty |= 1u << i;
    }
    return dirty | swap_in(s);
}

unsigned vgic_lrs_eoi_count(struct vgic_lrs *s, unsigned count, struct vgic_irq *done)
{
    unsigned k = 0;
    for (; k < count; k++) {
        int q = -1;
        for (unsigned i = 0; i < s->nq && q < 0; i++)
            if (vgic_irq_state(&s->queue[i]) & ST_A)
                q = (int)i;
        if (q < 0)
            break;
        struct vgic_irq e = s->queue[q];
        queue_remove(s, (unsigned)q);
        /* A software interrupt pending and active stays, pending. */
        if ((vgic_irq_state(&e) & ST_P) && !e.hw) {
            struct vgic_irq p = e;
            p.state = ST_P;
            queue_push(s, &p);
        }
        e.state = ST_A;
        done[k] = e;
    }
    s->eoi_unmatched += count - k;
    return k;
}

uint32_t vgic_lrs_maint_slow(const struct vgic_lrs *s)
{
    uint32_t want = 0;
    for (unsigned q = 0; q < s->nq; q++)
        want |= vgic_irq_state(&s->queue[q]) == ST_P ? VGIC_WANT_UIE
                                                     : VGIC_WANT_LRENPIE | VGIC_WANT_TDIR;
    return want;
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
        if (s->queue[q].intid != intid || !(vgic_irq_state(&s->queue[q]) & ST_P))
            continue;
        if (vgic_irq_state(&s->queue[q]) & ST_A) {
            s->queue[q].state = ST_A; /* pending and active: stays active */
            break;
        }
        for (unsigned k = q + 1; k < s->nq; k++)
            s->queue[k - 1] = s->queue[k];
        s->nq--;
        break;
    }
    return dirty;
}

static int find_lr(const struct vgic_lrs *s, uint32_t intid)
{
    for (unsigned i = 0; i < s->nr_lrs; i++)
        if ((s->lr[i] & LR_STATE_MASK) && (uint32_t)s->lr[i] == intid)
            return (int)i;
    return -1;
}

static int find_queued(const struct vgic_lrs *s, uint32_t intid)
{
    for (unsigned q = 0; q < s->nq; q++)
        if (s->queue[q].intid == intid)
            return (int)q;
    return -1;
}

uint32_t vgic_lrs_set_active(struct vgic_lrs *s, const struct vgic_irq *irq)
{
    int i = find_lr(s, irq->intid);
    if (i >= 0) {
        uint64_t lr = s->lr[i];
        /* HW = 1: active only (the pending state is the physical one's) */
        lr = (lr & LR_HW) ? (lr & ~LR_STATE_MASK) | LR_ACTIVE : lr | LR_ACTIVE;
        if (lr == s->lr[i])
            return 0;
        s->lr[i] = lr;
        return 1u << i;
    }
    struct vgic_irq a = *irq;
    a.state = ST_A;
    int q = find_queued(s, irq->intid);
    if (q >= 0) {
        a = s->queue[q];
        a.state = (uint8_t)(a.hw ? ST_A : vgic_irq_state(&a) | ST_A);
        queue_remove(s, (unsigned)q);
    }
    for (unsigned k = 0; k < s->nr_lrs; k++) {
        if (lr_free(s->lr[k])) {
            s->lr[k] = vgic_lr_encode(&a);
            return 1u << k;
        }
    }
    /* No free LR: the lowest-priority pending-only one goes to the queue
     * (there is room: an entry was just removed, or the LRs hold it). */
    int victim = -1;
    for (unsigned k = 0; k < s->nr_lrs; k++) {
        if ((s->lr[k] & LR_STATE_MASK) != LR_PENDING)
            continue;
        if (victim < 0 || (uint8_t)(s->lr[k] >> 48) >= (uint8_t)(s->lr[victim] >> 48))
            victim = (int)k;
    }
    if (victim >= 0 && s->nq < VGIC_QUEUE) {
        struct vgic_irq old;
        vgic_lr_decode(s->lr[victim], &old);
        queue_push(s, &old);
        s->lr[victim] = vgic_lr_encode(&a);
        s->evictions++;
        return 1u << victim;
    }
    /* Every LR holds an active interrupt: wait at the head of the queue. */
    if (!queue_push(s, &a))
        s->dropped++;
    return 0;
}

uint32_t vgic_lrs_clear_active(struct vgic_lrs *s, uint32_t intid, int *hw_pintid)
{
    *hw_pintid = -1;
    int i = find_lr(s, intid);
    if (i >= 0) {
        uint64_t lr = s->lr[i];
        if (!(lr & LR_ACTIVE))
            return 0;
        if (lr & LR_HW)
            *hw_pintid = (int)((lr >> 32) & 0x3ff);
        lr &= ~LR_ACTIVE;
        /* No state left: invalid; with HW = 0 and EOI = 1 the LR stays
         * as the guest's deactivation leaves it (ICH_EISR_EL2 reports it
         * and the EOI maintenance interrupt looks at it). */
        if (!(lr & LR_STATE_MASK) && ((lr & LR_HW) || !(lr & LR_EOI)))
            lr = 0;
        s->lr[i] = lr;
        return 1u << i;
    }
    int q = find_queued(s, intid);
    if (q >= 0 && (vgic_irq_state(&s->queue[q]) & ST_A)) {
        if (s->queue[q].hw)
            *hw_pintid = s->queue[q].pintid;
        unsigned st = vgic_irq_state(&s->queue[q]) & ~ST_A;
        if (st)
            s->queue[q].state = (uint8_t)st;
        else
            queue_remove(s, (unsigned)q);
    }
    return 0;
}

uint32_t vgic_lrs_clear_pending(struct vgic_lrs *s, uint32_t intid, int *hw_pintid,
                                bool *was_pending)
{
    *hw_pintid = -1;
    *was_pending = false;
    int i = find_lr(s, intid);
    if (i >= 0) {
        uint64_t lr = s->lr[i];
        if (!(lr & LR_PENDING))
            return 0;
        *was_pending = true;
        if (lr & LR_HW) {
            *hw_pintid = (int)((lr >> 32) & 0x3ff);
            s->lr[i] = 0;
        } else {
            s->lr[i] = (lr & LR_ACTIVE) ? lr & ~LR_PENDING : 0;
        }
        return 1u << i;
    }
    int q = find_queued(s, intid);
    if (q >= 0 && (vgic_irq_state(&s->queue[q]) & ST_P)) {
        *was_pending = true;
        if (s->queue[q].hw)
            *hw_pintid = s->queue[q].pintid;
        unsigned st = vgic_irq_state(&s->queue[q]) & ~ST_P;
        if (st && !s->queue[q].hw)
            s->queue[q].state = (uint8_t)st;
        else
            queue_remove(s, (unsigned)q);
    }
    return 0;
}

void vgic_lrs_state(const struct vgic_lrs *s, unsigned first, uint32_t *pending, uint32_t *active)
{
    uint32_t p = 0, a = 0;
    for (unsigned i = 0; i < s->nr_lrs; i++) {
        uint32_t id = (uint32_t)s->lr[i] - first;
        if (id >= 32)
            continue;
        if (s->lr[i] & LR_PENDING)
            p |= 1u << id;
        if (s->lr[i] & LR_ACTIVE)
            a |= 1u << id;
    }
    for (unsigned q = 0; q < s->nq; q++) {
        uint32_t id = s->queue[q].intid - first;
        if (id >= 32)
            continue;
        if (vgic_irq_state(&s->queue[q]) & ST_P)
            p |= 1u << id;
        if (vgic_irq_state(&s->queue[q]) & ST_A)
            a |= 1u << id;
    }
    *pending = p;
    *active = a;
}
