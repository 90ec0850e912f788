/* Unit tests for sim/common/wwatch: a store to a watched page marks it
 * dirty and succeeds; stores elsewhere are unaffected; unwatch gives write
 * access back; an unrelated fault still reaches the previous handler. */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>

#include "check_run.h"
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/wwatch.h"

static size_t pg(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

static uint8_t *map_pages(size_t n)
{
    void *p = mmap(NULL, n * pg(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(p, MAP_FAILED);
    return p;
}

START_TEST(test_write_marks_dirty)
{
    ck_assert_int_eq(hv_ww_init(), 0);
    uint8_t *p = map_pages(3);
    int h = hv_ww_watch(p + pg(), pg());
    ck_assert_int_ge(h, 0);
    ck_assert(!hv_ww_test_and_clear(h)); /* nothing written yet */
    unsigned long f0 = hv_ww_faults();
    volatile uint8_t *v = p;
    v[pg() + 17] = 0x5a; /* the watched page: faults once, then succeeds */
    ck_assert_uint_eq(v[pg() + 17], 0x5a);
    ck_assert_uint_eq(hv_ww_faults(), f0 + 1);
    v[pg() + 18] = 0x5b; /* unprotected until the next test: no new fault */
    ck_assert_uint_eq(hv_ww_faults(), f0 + 1);
    ck_assert(hv_ww_test_and_clear(h));
    ck_assert(!hv_ww_test_and_clear(h)); /* cleared, and protected again */
    v[2 * pg() - 1] = 1;
    ck_assert_uint_eq(hv_ww_faults(), f0 + 2);
    ck_assert(hv_ww_test_and_clear(h));
    hv_ww_unwatch(h);
    munmap(p, 3 * pg());
}
END_TEST

START_TEST(test_page_marks)
{
    /* One watch over 3 pages: a store marks its page only. */
    ck_assert_int_eq(hv_ww_init(), 0);
    uint8_t *p = map_pages(3);
    int h = hv_ww_watch(p, 3 * pg());
    ck_assert_int_ge(h, 0);
    ck_assert(!hv_ww_dirty(h));
    volatile uint8_t *v = p;
    v[pg() + 100] = 7;
    ck_assert(hv_ww_dirty(h));
    ck_assert(!hv_ww_page_dirty(h, 0));
    ck_assert(hv_ww_page_dirty(h, pg()));
    ck_assert(hv_ww_page_dirty(h, 2 * pg() - 1));
    ck_assert(!hv_ww_page_dirty(h, 2 * pg()));
    ck_assert(hv_ww_page_dirty(h, 3 * pg())); /* outside: unknown */
    hv_ww_clear(h);
    ck_assert(!hv_ww_dirty(h));
    ck_assert(!hv_ww_page_dirty(h, pg()));
    unsigned long f0 = hv_ww_faults();
    v[pg()] = 8; /* protected again: a new fault */
    ck_assert_uint_eq(hv_ww_faults(), f0 + 1);
    ck_assert(hv_ww_page_dirty(h, pg()));
    hv_ww_unwatch(h);
    munmap(p, 3 * pg());
}
END_TEST

START_TEST(test_snapshot_before_first_store)
{
    /* hv_ww_watch_snap: the handler keeps a page's bytes before its first
     * store since the last clear; untouched pages have no snapshot. */
    ck_assert_int_eq(hv_ww_init(), 0);
    uint8_t *p = map_pages(2);
    memset(p, 0x11, 2 * pg());
    static uint8_t snap[2 * 65536];
    ck_assert_uint_le(2 * pg(), sizeof(snap));
    memset(snap, 0, sizeof(snap));
    int h = hv_ww_watch_snap(p, 2 * pg(), snap);
    ck_assert_int_ge(h, 0);
    ck_assert_ptr_null(hv_ww_page_before(h, 0));
    volatile uint8_t *v = p;
    v[pg() + 5] = 0x22;
    v[pg() + 6] = 0x33; /* the second store: the snapshot stays the first's */
    const uint8_t *b = hv_ww_page_before(h, pg());
    ck_assert_ptr_eq(b, snap + pg());
    ck_assert_uint_eq(b[5], 0x11);
    ck_assert_uint_eq(b[6], 0x11);
    ck_assert_uint_eq(p[pg() + 5], 0x22);
    ck_assert_ptr_eq(hv_ww_page_before(h, pg() + 9), snap + pg() + 9);
    ck_assert_ptr_null(hv_ww_page_before(h, 0));        /* not written */
    ck_assert_ptr_null(hv_ww_page_before(h, 2 * pg())); /* outside */
    ck_assert(!hv_ww_broken(h));
    hv_ww_clear(h);
    ck_assert_ptr_null(hv_ww_page_before(h, pg()));
    v[pg() + 5] = 0x44; /* a new snapshot: the bytes as of the clear */
    ck_assert_uint_eq(((const uint8_t *)hv_ww_page_before(h, pg()))[5], 0x22);
    hv_ww_unwatch(h);
    ck_assert(hv_ww_broken(h)); /* no longer a watch */
    ck_assert_ptr_null(hv_ww_page_before(h, pg()));
    munmap(p, 2 * pg());
}
END_TEST

START_TEST(test_unwatched_unaffected)
{
    ck_assert_int_eq(hv_ww_init(), 0);
    uint8_t *p = map_pages(3);
    int h = hv_ww_watch(p + pg(), pg());
    ck_assert_int_ge(h, 0);
    unsigned long f0 = hv_ww_faults();
    volatile uint8_t *v = p;
    v[0] = 1;                          /* the page before */
    v[2 * pg()] = 2;                   /* the page after */
    ck_assert_uint_eq(v[pg() + 5], 0); /* reads of the watched page */
    ck_assert_uint_eq(hv_ww_faults(), f0);
    ck_assert(!hv_ww_test_and_clear(h));
    hv_ww_unwatch(h);
    munmap(p, 3 * pg());
}
END_TEST

START_TEST(test_unwatch_restores_rw)
{
    ck_assert_int_eq(hv_ww_init(), 0);
    uint8_t *p = map_pages(2);
    int h = hv_ww_watch(p, 2 * pg());
    ck_assert_int_ge(h, 0);
    hv_ww_unwatch(h);
    unsigned long f0 = hv_ww_faults();
    memset(p, 0xa5, 2 * pg()); /* writable without any fault */
    ck_assert_uint_eq(hv_ww_faults(), f0);
    ck_assert_uint_eq(p[2 * pg() - 1], 0xa5);
    munmap(p, 2 * pg());
}
END_TEST

START_TEST(test_shared_page_two_watches)
{
    /* Two watches of one page (two cached stage 2s sharing a table): a
     * store marks both; unwatching one keeps the other watching. */
    ck_assert_int_eq(hv_ww_init(), 0);
    uint8_t *p = map_pages(1);
    int a = hv_ww_watch(p, pg()), b = hv_ww_watch(p, pg());
    ck_assert_int_ge(a, 0);
    ck_assert_int_ge(b, 0);
    volatile uint8_t *v = p;
    v[1] = 1;
    ck_assert(hv_ww_test_and_clear(a));
    ck_assert(hv_ww_test_and_clear(b));
    hv_ww_unwatch(a);
    v[2] = 2;
    ck_assert(hv_ww_test_and_clear(b));
    hv_ww_unwatch(b);
    munmap(p, pg());
}
END_TEST

START_TEST(test_bad_ranges_refused)
{
    ck_assert_int_eq(hv_ww_init(), 0);
    uint8_t *p = map_pages(2);
    ck_assert_int_eq(hv_ww_watch(p + 1, pg()), -1); /* unaligned start */
    ck_assert_int_eq(hv_ww_watch(p, pg() - 1), -1); /* partial page */
    ck_assert_int_eq(hv_ww_watch(p, 0), -1);
    ck_assert(hv_ww_test_and_clear(-1)); /* unknown handle: "compare" */
    hv_ww_unwatch(-1);
    p[0] = 1; /* nothing was protected */
    munmap(p, 2 * pg());
}
END_TEST

START_TEST(test_real_fault_still_reported)
{
    /* A NULL store is not ours: the previous handler (ASan's in the
     * sanitized build, else the default action) must still see it. */
    ck_assert_int_eq(hv_ww_init(), 0);
    uint8_t *p = map_pages(1);
    int h = hv_ww_watch(p, pg());
    ck_assert_int_ge(h, 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0)
            dup2(fd, 2); /* keep ASan's report out of the test log */
        volatile int *null = (volatile int *)(uintptr_t)(getpid() & 0); /* NULL, opaque */
        *null = 1;
        _exit(0); /* not reached */
    }
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    /* Killed by SIGSEGV (default) or SIGABRT / nonzero exit (ASan). */
    ck_assert(!(WIFEXITED(st) && WEXITSTATUS(st) == 0));
    hv_ww_unwatch(h);
    munmap(p, pg());
}
END_TEST

int main(void)
{
    Suite *s = suite_create("wwatch");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_write_marks_dirty);
    tcase_add_test(tc, test_page_marks);
    tcase_add_test(tc, test_snapshot_before_first_store);
    tcase_add_test(tc, test_unwatched_unaffected);
    tcase_add_test(tc, test_unwatch_restores_rw);
    tcase_add_test(tc, test_shared_page_two_watches);
    tcase_add_test(tc, test_bad_ranges_refused);
    tcase_add_test(tc, test_real_fault_still_reported);
    suite_add_tcase(s, tc);
    return hv_check_run(s);
}
