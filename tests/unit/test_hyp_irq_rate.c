/* Unit tests for hypervisor/core/irq_rate: the per-VM budget of
 * passthrough interrupts per window (the interrupt-storm guard). */
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

static Suite *suite(void)
{
    Suite *s = suite_create("hyp_irq_rate");
    TCase *t = tcase_create("budget");
    tcase_add_test(t, test_budget_in_one_window);
    tcase_add_test(t, test_new_window_restores_budget);
    tcase_add_test(t, test_slow_source_never_limited);
    tcase_add_test(t, test_reinit_and_counter_going_back);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return hv_check_run(suite());
}
