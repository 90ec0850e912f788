/* The scheduler's choice over bit masks (vm/sched.c), kept apart from its
 * effect and host-tested (tests/unit/test_hyp_sched_mask.c).
 *
 * The vCPUs of the configuration are numbered 0..n-1 by priority, highest
 * first, and among equal priorities in configuration order (VM order, then
 * vCPU order): bit i of a mask is vCPU i. Equal priorities are therefore
 * contiguous, and `peers[i]` is the mask of the vCPUs that have vCPU i's
 * priority (its own bit included). The scheduler keeps the mask of the
 * runnable vCPUs up to date as their states change, so that a decision
 * is a few bit operations (count trailing zeros) instead of a pass over
 * every configured vCPU with interrupts masked.
 *
 * The policy (as the pass it replaces):
 *  - the runnable vCPUs of the highest priority compete;
 *  - among them, the previous vCPU (the one that trapped) keeps the PE,
 *    unless it gives up its turn (`rotate`: a yield or the end of its
 *    slice);
 *  - otherwise the first of them after the previous one, in numbering
 *    order, cyclically (round robin); with no previous vCPU, the first.
 *
 * Freestanding: <stdbool.h> and <stdint.h> only. */
#ifndef HYP_SCHED_MASK_H
#define HYP_SCHED_MASK_H

#include <stdbool.h>
#include <stdint.h>

#define SCHED_MASK_MAX 32 /* vCPUs per PE: the bits of a uint32_t */

struct sched_pick {
    int best;    /* the vCPU to run, or -1: none is runnable */
    bool others; /* another runnable vCPU has best's priority (its slice matters) */
};

/* runnable: the runnable vCPUs; peers: per vCPU, the mask of its priority
 * level; prev: the previous vCPU or -1; n: the number of vCPUs (1..32). */
static inline struct sched_pick sched_mask_pick(uint32_t runnable, const uint32_t *peers, int prev,
                                                bool rotate, unsigned n)
{
    struct sched_pick p = {-1, false};
    if (!runnable)
        return p;
    uint32_t c = runnable & peers[__builtin_ctz(runnable)];
    p.others = (c & (c - 1)) != 0;
    if (prev >= 0 && (c >> prev & 1) && !rotate) {
        p.best = prev;
        return p;
    }
    /* The candidates numbered after start; 2u << 31 is 0, so that for
     * start = 31 nothing is after it. */
    unsigned start = prev >= 0 ? (unsigned)prev : n - 1;
    uint32_t after = c & ~((2u << start) - 1);
    p.best = __builtin_ctz(after ? after : c);
    return p;
}

#endif
