/* hvsim: the virtual-time event queue.
 *
 * Events (timer deadlines, UART input, run limits) are scheduled at a virtual
 * time in nanoseconds. Ties are broken by insertion order, so the order in
 * which events fire depends only on the simulation, never on the host.
 */
#ifndef HV_EVQ_H
#define HV_EVQ_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*hv_evq_fn)(void *ctx, uint64_t now);

struct hv_evq_item {
    uint64_t when, seq;
    hv_evq_fn fn;
    void *ctx;
    uint64_t id;
};

struct hv_evq {
    struct hv_evq_item *heap;
    unsigned n, cap;
    uint64_t seq;
};

void hv_evq_init(struct hv_evq *q);
void hv_evq_free(struct hv_evq *q);
/* Schedule fn(ctx) at virtual time `when`. Returns an id (never 0) that
 * hv_evq_cancel accepts, or 0 if out of memory. */
uint64_t hv_evq_add(struct hv_evq *q, uint64_t when, hv_evq_fn fn, void *ctx);
/* Cancel a pending event; returns true if it was pending. */
bool hv_evq_cancel(struct hv_evq *q, uint64_t id);
/* Time of the earliest event, or UINT64_MAX if none. */
uint64_t hv_evq_next(const struct hv_evq *q);
/* Run every event due at or before now, earliest first (events added while
 * running that are also due run too). Returns how many ran. */
unsigned hv_evq_run_due(struct hv_evq *q, uint64_t now);

#endif
