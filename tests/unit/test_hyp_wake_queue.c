/* Unit tests for hypervisor/core/wake_queue.h: the blocked vCPUs'
 * deadlines, sorted. Expected orders follow the header's contract
 * (earliest first, equal deadlines in arrival order, "never" last and
 * never due), worked out by hand. */
#include <check.h>
#include <stdio.h>

#include "check_run.h"
#include "core/wake_queue.h"

/* The members in queue order, as a string of vCPU numbers ("3,0,7"). */
static void order(const struct wake_queue *q, char *out, size_t n)
{
    size_t len = 0;
    out[0] = 0;
    unsigned seen = 0;
    for (unsigned k = q->head; k != WAKE_QUEUE_NONE && seen < 40; k = q->link[k], seen++)
        len += (size_t)snprintf(out + len, n - len, len ? ",%u" : "%u", k);
}

START_TEST(test_empty)
{
    struct wake_queue q;
    wake_queue_init(&q);
    ck_assert_uint_eq(wake_queue_next(&q), UINT64_MAX);
    ck_assert_uint_eq(wake_queue_pop_due(&q, 1000), 0);
    ck_assert(!wake_queue_has(&q, 0));
    wake_queue_remove(&q, 5); /* not a member: nothing */
    ck_assert_uint_eq(q.members, 0);
}
END_TEST

START_TEST(test_sorted_insert_and_pop)
{
    struct wake_queue q;
    char s[128];
    wake_queue_init(&q);
    wake_queue_insert(&q, 3, 500);
    wake_queue_insert(&q, 0, 100);
    wake_queue_insert(&q, 7, 300);
    wake_queue_insert(&q, 1, 300); /* equal to 7's: after it */
    wake_queue_insert(&q, 2, UINT64_MAX);
    order(&q, s, sizeof s);
    ck_assert_str_eq(s, "0,7,1,3,2");
    ck_assert_uint_eq(q.members, 0x8f);
    ck_assert_uint_eq(wake_queue_next(&q), 100);
    /* nothing due before 100 */
    ck_assert_uint_eq(wake_queue_pop_due(&q, 99), 0);
    /* 300: 0, 7 and 1 are due (the deadline itself counts) */
    ck_assert_uint_eq(wake_queue_pop_due(&q, 300), 0x83);
    ck_assert_uint_eq(q.members, 0x0c);
    ck_assert_uint_eq(wake_queue_next(&q), 500);
    /* "never" is never due, even at the largest count */
    ck_assert_uint_eq(wake_queue_pop_due(&q, UINT64_MAX), 0x08);
    ck_assert_uint_eq(q.members, 0x04);
    ck_assert_uint_eq(wake_queue_next(&q), UINT64_MAX);
}
END_TEST

START_TEST(test_remove_and_move)
{
    struct wake_queue q;
    char s[128];
    wake_queue_init(&q);
    wake_queue_insert(&q, 4, 40);
    wake_queue_insert(&q, 5, 50);
    wake_queue_insert(&q, 6, 60);
    wake_queue_remove(&q, 5); /* from the middle */
    order(&q, s, sizeof s);
    ck_assert_str_eq(s, "4,6");
    wake_queue_remove(&q, 4); /* the head */
    ck_assert_uint_eq(wake_queue_next(&q), 60);
    /* a member inserted again moves: 6 to after 31's 70 */
    wake_queue_insert(&q, 31, 70);
    wake_queue_insert(&q, 6, 80);
    order(&q, s, sizeof s);
    ck_assert_str_eq(s, "31,6");
    ck_assert_uint_eq(q.members, 0x80000040u);
    /* out-of-range numbers are ignored */
    wake_queue_insert(&q, 32, 1);
    ck_assert_uint_eq(q.members, 0x80000040u);
    ck_assert(!wake_queue_has(&q, 40));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hyp_wake_queue");
    TCase *t = tcase_create("queue");
    tcase_add_test(t, test_empty);
    tcase_add_test(t, test_sorted_insert_and_pop);
    tcase_add_test(t, test_remove_and_move);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return hv_check_run(suite());
}
