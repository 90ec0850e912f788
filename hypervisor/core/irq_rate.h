/* Interrupt-storm containment (issue 7: a VM that "floods interrupts" must
 * not affect the others): a budget of passthrough interrupts per source
 * (physical SPI) per window of physical time. Per source, not per VM: one
 * storming device of a VM must not use up the budget of its other devices
 * (struct irq_rate_set).
 *
 * A passthrough SPI is forwarded with the list register's HW bit, so the
 * physical interrupt stays active until the guest deactivates it. A level-
 * sensitive device whose condition the guest never clears (a UART's TX
 * interrupt left unmasked and never acknowledged in the UART) is asserted
 * again as soon as the guest's EOI deactivates it: the PE takes one
 * physical interrupt, one trap to EL2 and one injection per guest EOI,
 * forever. That costs the storming VM's own time only while it runs, but
 * each interrupt that arrives while another VM runs preempts it. The
 * hypervisor counts each passthrough SPI's interrupts per window; past the
 * budget the interrupt is not forwarded: the hypervisor masks that SPI at
 * the physical distributor, deactivates it and reports the storm. The SPI
 * stays masked until the VM enables it again in its emulated distributor
 * (GICD_ISENABLER), which restarts the count (vm/vgic.c).
 *
 * The decision is kept apart from its effect (masking, reporting: vm/
 * vgic.c) and host-tested (tests/unit/test_hyp_irq_rate.c). Freestanding:
 * <stdint.h> and <stdbool.h> only. */
#ifndef HYP_IRQ_RATE_H
#define HYP_IRQ_RATE_H

#include <stdbool.h>
#include <stdint.h>

/* At most HYP_IRQ_BUDGET interrupts per passthrough SPI in each window of
 * 1 ms (CNTFRQ / HYP_IRQ_WINDOWS_PER_S counter ticks). A UART at 115200 baud delivers at most ~12
 * characters per ms, one interrupt per FIFO trigger: far below the budget;
 * the guests' legitimate peak (gpos's interrupt-driven console) is under
 * 40 in a whole run. */
#define HYP_IRQ_BUDGET        64u
#define HYP_IRQ_WINDOWS_PER_S 1000u

struct irq_rate {
    uint64_t start; /* physical count at which the window began */
    uint32_t count; /* interrupts admitted in it */
    bool started;
};

void irq_rate_init(struct irq_rate *r);

/* One interrupt at physical count `now`; window in counter ticks. Returns
 * true to forward it, false when it is over the budget of its window (a
 * storm). Windows are aligned on the first interrupt after the previous
 * one ended (no window runs while there are no interrupts). */
bool irq_rate_admit(struct irq_rate *r, uint64_t now, uint64_t window, uint32_t budget);

/* The budgets of one VM's interrupt sources (its passthrough SPIs,
 * registered once at boot). A source that was not registered shares the
 * last slot's budget (never the case for a validated configuration: the
 * set has room for every passthrough device and the console). */
#define IRQ_RATE_SOURCES 8
struct irq_rate_set {
    unsigned n;
    uint32_t source[IRQ_RATE_SOURCES];
    struct irq_rate rate[IRQ_RATE_SOURCES];
};

void irq_rate_set_init(struct irq_rate_set *s);
/* Register a source (idempotent). False when the set is full. */
bool irq_rate_set_add(struct irq_rate_set *s, uint32_t source);
/* irq_rate_admit for that source's own budget. */
bool irq_rate_set_admit(struct irq_rate_set *s, uint32_t source, uint64_t now, uint64_t window,
                        uint32_t budget);
/* A new budget for that source only (its owner re-armed it). */
void irq_rate_set_rearm(struct irq_rate_set *s, uint32_t source);
/* A new budget for every source (a VM reset); the sources stay. */
void irq_rate_set_rearm_all(struct irq_rate_set *s);

#endif
