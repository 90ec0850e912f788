/* The blocked vCPUs' wake-up deadlines, sorted (vm/sched.c), kept apart
 * from the scheduler and host-tested (tests/unit/test_hyp_wake_queue.c).
 *
 * A vCPU blocked in WFI waits for its virtual timer's deadline (a physical
 * count) or an interrupt. The scheduler must, on its hot path (the tick
 * that ends the wait, with interrupts masked), wake the vCPUs whose
 * deadline has passed and learn the earliest deadline left, to program
 * the hypervisor's timer (CNTHP). A scan of every blocked vCPU costs ~12
 * instructions per vCPU there; this queue, sorted when a vCPU joins it
 * (on its way out, the WFI path), answers with its head: O(1) per vCPU
 * woken.
 *
 * Members are vCPU numbers 0..31 (the scheduler's numbering,
 * core/sched_mask.h), a singly linked list by deadline, earliest first,
 * equal deadlines in arrival order. UINT64_MAX is "never" (a timer that
 * is disabled or masked): such members sort last and never come due.
 * Freestanding: <stdbool.h> and <stdint.h> only. */
#ifndef HYP_WAKE_QUEUE_H
#define HYP_WAKE_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#define WAKE_QUEUE_MAX  32
#define WAKE_QUEUE_NONE 0xff

struct wake_queue {
    uint32_t members;             /* bit k: vCPU k is in the queue */
    uint8_t head;                 /* the earliest member, or WAKE_QUEUE_NONE */
    uint8_t link[WAKE_QUEUE_MAX]; /* the member after k */
    uint64_t at[WAKE_QUEUE_MAX];  /* member k's deadline */
};

static inline void wake_queue_init(struct wake_queue *q)
{
    q->members = 0;
    q->head = WAKE_QUEUE_NONE;
}

/* The earliest deadline in the queue, or UINT64_MAX when it is empty. */
static inline uint64_t wake_queue_next(const struct wake_queue *q)
{
    return q->head == WAKE_QUEUE_NONE ? UINT64_MAX : q->at[q->head];
}

static inline bool wake_queue_has(const struct wake_queue *q, unsigned k)
{
    return k < WAKE_QUEUE_MAX && (q->members >> k & 1);
}

/* Take k out of the queue (nothing if it is not in it). */
static inline void wake_queue_remove(struct wake_queue *q, unsigned k)
{
    if (!wake_queue_has(q, k))
        return;
    uint8_t *p = &q->head;
    while (*p != k)
        p = &q->link[*p];
    *p = q->link[k];
    q->members &= ~(1u << k);
}

/* Put k in the queue with deadline `at`, after every member whose deadline
 * is not later (a member already there is moved). */
static inline void wake_queue_insert(struct wake_queue *q, unsigned k, uint64_t at)
{
    if (k >= WAKE_QUEUE_MAX)
        return;
    wake_queue_remove(q, k);
    uint8_t *p = &q->head;
    while (*p != WAKE_QUEUE_NONE && q->at[*p] <= at)
        p = &q->link[*p];
    q->at[k] = at;
    q->link[k] = *p;
    *p = (uint8_t)k;
    q->members |= 1u << k;
}

/* Take out every member whose deadline is at or before `now` (never one
 * whose deadline is "never"); returns their mask. */
static inline uint32_t wake_queue_pop_due(struct wake_queue *q, uint64_t now)
{
    uint32_t due = 0;
    if (now == UINT64_MAX)
        now = UINT64_MAX - 1;
    while (q->head != WAKE_QUEUE_NONE && q->at[q->head] <= now) {
        due |= 1u << q->head;
        q->head = q->link[q->head];
    }
    q->members &= ~due;
    return due;
}

#endif
