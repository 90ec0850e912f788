/* hvsim hypervisor: the interrupt-storm budget. See irq_rate.h. */
#include "irq_rate.h"

void irq_rate_init(struct irq_rate *r)
{
    r->start = 0;
    r->count = 0;
    r->started = false;
}

bool irq_rate_admit(struct irq_rate *r, uint64_t now, uint64_t window, uint32_t budget)
{
    /* A new window when none runs yet, when this one is over, or when the
     * counter went back (it never does on one PE; be safe anyway). */
    if (!r->started || now < r->start || now - r->start >= window) {
        r->started = true;
        r->start = now;
        r->count = 0;
    }
    if (r->count >= budget)
        return false;
    r->count++;
    return true;
}
