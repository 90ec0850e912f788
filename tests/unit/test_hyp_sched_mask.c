/* Unit tests for hypervisor/core/sched_mask.h: the scheduler's choice over
 * bit masks. Expected values follow the policy the header states (highest
 * priority first; the previous vCPU keeps the PE among equals unless it
 * rotates; round robin after it otherwise), worked out by hand. */
#include <check.h>

#include "check_run.h"
#include "core/sched_mask.h"

/* The default configuration's numbering: rtos (priority 20) = 0, gpos's
 * two vCPUs (10) = 1, 2, rogue (5) = 3. */
static const uint32_t peers4[4] = {0x1, 0x6, 0x6, 0x8};

START_TEST(test_nothing_runnable)
{
    struct sched_pick p = sched_mask_pick(0, peers4, 2, false, 4);
    ck_assert_int_eq(p.best, -1);
    ck_assert(!p.others);
}
END_TEST

START_TEST(test_highest_priority_wins)
{
    /* rtos wakes while rogue runs: rtos preempts it. */
    struct sched_pick p = sched_mask_pick(0x9, peers4, 3, false, 4);
    ck_assert_int_eq(p.best, 0);
    ck_assert(!p.others);
    /* rtos blocked: gpos's vCPUs outrank rogue; with rtos as the previous
     * one, the first of them after it. */
    p = sched_mask_pick(0xe, peers4, 0, false, 4);
    ck_assert_int_eq(p.best, 1);
    ck_assert(p.others);
    /* only rogue */
    p = sched_mask_pick(0x8, peers4, 0, false, 4);
    ck_assert_int_eq(p.best, 3);
    ck_assert(!p.others);
}
END_TEST

START_TEST(test_previous_keeps_the_pe_among_equals)
{
    struct sched_pick p = sched_mask_pick(0x6, peers4, 2, false, 4);
    ck_assert_int_eq(p.best, 2);
    ck_assert(p.others);
    /* alone at its level, rotating changes nothing */
    p = sched_mask_pick(0x4, peers4, 2, true, 4);
    ck_assert_int_eq(p.best, 2);
    ck_assert(!p.others);
}
END_TEST

START_TEST(test_rotate_round_robin)
{
    /* vCPU 1 rotates: 2 takes over; 2 rotates: back to 1 (cyclic). */
    struct sched_pick p = sched_mask_pick(0x6, peers4, 1, true, 4);
    ck_assert_int_eq(p.best, 2);
    p = sched_mask_pick(0x6, peers4, 2, true, 4);
    ck_assert_int_eq(p.best, 1);
    /* a lower vCPU as the previous one (rogue preempted): the level's
     * first after it, cyclically, is the level's first */
    p = sched_mask_pick(0xe, peers4, 3, false, 4);
    ck_assert_int_eq(p.best, 1);
}
END_TEST

START_TEST(test_no_previous)
{
    struct sched_pick p = sched_mask_pick(0xc, peers4, -1, false, 4);
    ck_assert_int_eq(p.best, 2);
    ck_assert(!p.others);
    p = sched_mask_pick(0x6, peers4, -1, true, 4);
    ck_assert_int_eq(p.best, 1);
}
END_TEST

START_TEST(test_thirty_two_equals)
{
    /* Every bit at one level: the wrap-around from vCPU 31 and the
     * "nothing after 31" edge. */
    uint32_t peers[32];
    for (unsigned i = 0; i < 32; i++)
        peers[i] = 0xffffffffu;
    struct sched_pick p = sched_mask_pick(0x80000001u, peers, 31, true, 32);
    ck_assert_int_eq(p.best, 0);
    ck_assert(p.others);
    p = sched_mask_pick(0x80000001u, peers, 0, true, 32);
    ck_assert_int_eq(p.best, 31);
    p = sched_mask_pick(0x80000000u, peers, -1, false, 32);
    ck_assert_int_eq(p.best, 31);
    ck_assert(!p.others);
    /* 5 and 9 runnable, the previous 7 not: the first after it, 9 */
    p = sched_mask_pick(0x00000220u, peers, 7, false, 32);
    ck_assert_int_eq(p.best, 9);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hyp_sched_mask");
    TCase *t = tcase_create("pick");
    tcase_add_test(t, test_nothing_runnable);
    tcase_add_test(t, test_highest_priority_wins);
    tcase_add_test(t, test_previous_keeps_the_pe_among_equals);
    tcase_add_test(t, test_rotate_round_robin);
    tcase_add_test(t, test_no_previous);
    tcase_add_test(t, test_thirty_two_equals);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return hv_check_run(suite());
}
