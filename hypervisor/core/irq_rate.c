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

void irq_rate_set_init(struct irq_rate_set *s)
{
    s->n = 0;
    for (unsigned i = 0; i < IRQ_RATE_SOURCES; i++) {
        s->source[i] = UINT32_MAX;
        irq_rate_init(&s->rate[i]);
    }
}

bool irq_rate_set_add(struct irq_rate_set *s, uint32_t source)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->source[i] == source)
            return true;
    if (s->n == IRQ_RATE_SOURCES)
        return false;
    s->source[s->n++] = source;
    return true;
}

static struct irq_rate *slot(struct irq_rate_set *s, uint32_t source)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->source[i] == source)
            return &s->rate[i];
    return &s->rate[IRQ_RATE_SOURCES - 1];
}

bool irq_rate_set_admit(struct irq_rate_set *s, uint32_t source, uint64_t now, uint64_t window,
                        uint32_t budget)
{
    return irq_rate_admit(slot(s, source), now, window, budget);
}

void irq_rate_set_rearm(struct irq_rate_set *s, uint32_t source)
{
    irq_rate_init(slot(s, source));
}

void irq_rate_set_rearm_all(struct irq_rate_set *s)
{
    for (unsigned i = 0; i < IRQ_RATE_SOURCES; i++)
        irq_rate_init(&s->rate[i]);
}
