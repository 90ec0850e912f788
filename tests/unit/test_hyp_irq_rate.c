/* Unit tests for hypervisor/core/irq_rate: the budget of passthrough
 * interrupts per source per window (the interrupt-storm guard). */
#include <check.h>

#include "check_run.h"
#include "core/irq_rate.h"

#define WIN 62500u /* 1 ms at 62.5 MHz */

START_TEST(test_budget_in_one_window)
{
    struct irq_rate r;
    irq_rate_init(&r);
    /* 64 interrupts 10 ticks apart: all forwarded; the 65th, still inside
     * the window that began at 1000, is not; nor the ones after it. */
    for (unsigned i = 0; i < 64; i++)
        ck_assert(irq_rate_admit(&r, 1000 + 10 * i, WIN, 64));
    ck_assert(!irq_rate_admit(&r, 1000 + 640, WIN, 64));
    ck_assert(!irq_rate_admit(&r, 1000 + WIN - 1, WIN, 64));
}
END_TEST

START_TEST(test_new_window_restores_budget)
{
    struct irq_rate r;
    irq_rate_init(&r);
    for (unsigned i = 0; i < 64; i++)
        ck_assert(irq_rate_admit(&r, 500, WIN, 64));
    ck_assert(!irq_rate_admit(&r, 500 + WIN - 1, WIN, 64));
    /* exactly one window after its start: a new window */
    ck_assert(irq_rate_admit(&r, 500 + WIN, WIN, 64));
    ck_assert_uint_eq(r.count, 1);
    ck_assert_uint_eq(r.start, 500 + WIN);
}
END_TEST

START_TEST(test_slow_source_never_limited)
{
    /* One interrupt per 100 us (10 per window) for a second: never refused. */
    struct irq_rate r;
    irq_rate_init(&r);
    for (unsigned i = 0; i < 10000; i++)
        ck_assert(irq_rate_admit(&r, (uint64_t)i * (WIN / 10), WIN, 64));
}
END_TEST

START_TEST(test_reinit_and_counter_going_back)
{
    struct irq_rate r;
    irq_rate_init(&r);
    for (unsigned i = 0; i < 3; i++)
        ck_assert(irq_rate_admit(&r, 7000, WIN, 3));
    ck_assert(!irq_rate_admit(&r, 7001, WIN, 3));
    /* A count before the window's start opens a new window. */
    ck_assert(irq_rate_admit(&r, 10, WIN, 3));
    irq_rate_init(&r);
    ck_assert(irq_rate_admit(&r, 11, WIN, 3));
    /* budget 0: nothing is forwarded */
    irq_rate_init(&r);
    ck_assert(!irq_rate_admit(&r, 11, WIN, 0));
}
END_TEST

/* One budget per source: a storming SPI uses up its own budget only; the
 * VM's other device keeps its full budget in the same window; re-arming
 * one source restores its budget only. */
START_TEST(test_per_source_budgets)
{
    struct irq_rate_set s;
    irq_rate_set_init(&s);
    ck_assert(irq_rate_set_add(&s, 42));
    ck_assert(irq_rate_set_add(&s, 43));
    ck_assert(irq_rate_set_add(&s, 42)); /* idempotent */
    ck_assert_uint_eq(s.n, 2);
    for (unsigned i = 0; i < 64; i++)
        ck_assert(irq_rate_set_admit(&s, 42, 1000 + i, WIN, 64));
    ck_assert(!irq_rate_set_admit(&s, 42, 1100, WIN, 64)); /* 42 storms */
    for (unsigned i = 0; i < 64; i++)
        ck_assert(irq_rate_set_admit(&s, 43, 1200 + i, WIN, 64)); /* 43 unaffected */
    ck_assert(!irq_rate_set_admit(&s, 43, 1300, WIN, 64));
    irq_rate_set_rearm(&s, 42);
    ck_assert(irq_rate_set_admit(&s, 42, 1400, WIN, 64));
    ck_assert(!irq_rate_set_admit(&s, 43, 1400, WIN, 64)); /* still over */
    irq_rate_set_rearm_all(&s);
    ck_assert(irq_rate_set_admit(&s, 43, 1500, WIN, 64));
    ck_assert_uint_eq(s.n, 2); /* the sources stay */
}
END_TEST

/* A full set refuses a new source; unregistered sources share the last
 * slot's budget (they are never left without one). */
START_TEST(test_set_full_and_unknown_source)
{
    struct irq_rate_set s;
    irq_rate_set_init(&s);
    for (unsigned i = 0; i < IRQ_RATE_SOURCES; i++)
        ck_assert(irq_rate_set_add(&s, 100 + i));
    ck_assert(!irq_rate_set_add(&s, 200));
    for (unsigned i = 0; i < 3; i++)
        ck_assert(irq_rate_set_admit(&s, 200, 5000, WIN, 3));
    ck_assert(!irq_rate_set_admit(&s, 100 + IRQ_RATE_SOURCES - 1, 5000, WIN, 3));
    ck_assert(irq_rate_set_admit(&s, 100, 5000, WIN, 3));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hyp_irq_rate");
    TCase *t = tcase_create("budget");
    tcase_add_test(t, test_budget_in_one_window);
    tcase_add_test(t, test_new_window_restores_budget);
    tcase_add_test(t, test_slow_source_never_limited);
    tcase_add_test(t, test_reinit_and_counter_going_back);
    tcase_add_test(t, test_per_source_budgets);
    tcase_add_test(t, test_set_full_and_unknown_source);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return hv_check_run(suite());
}
