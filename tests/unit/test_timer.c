/* Unit tests for sim/timer: the generic timer through its public interface,
 * a fake virtual clock and a real (unbooted, EL1) struct hv_cpu whose
 * registered descriptors are called directly. Arm ARM references as in
 * sim/timer/timer.c. */
#include <check.h>

#include "check_run.h"
#include <stdlib.h>
#include <string.h>

#include "cpu_el2/cpu.h"
#include "timer/timer.h"

/* Unicorn 2.1.1 leaks a few bytes per engine inside libunicorn itself (seen
 * with hv_cpu_create + hv_cpu_destroy alone); LeakSanitizer would fail every
 * test on it. Only that library's leaks are suppressed. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libunicorn.so\n";
}
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}

/* ---- a fake clock: settable time, recorded callbacks ---------------------- */

#define MAX_EVENTS 64

struct fake_event {
    uint64_t id, when;
    hv_clock_cb cb;
    void *ctx;
    bool live;
};

struct fake_clock {
    uint64_t now;
    struct fake_event ev[MAX_EVENTS];
    unsigned n;
    unsigned cancels;
};

static uint64_t fc_now(void *ctx)
{
    return ((struct fake_clock *)ctx)->now;
}

static uint64_t fc_schedule(void *ctx, uint64_t when, hv_clock_cb cb, void *cb_ctx)
{
    struct fake_clock *c = ctx;
    ck_assert_uint_lt(c->n, MAX_EVENTS);
    c->ev[c->n] =
        (struct fake_event){.id = c->n + 1, .when = when, .cb = cb, .ctx = cb_ctx, .live = true};
    return ++c->n;
}

static void fc_cancel(void *ctx, uint64_t id)
{
    struct fake_clock *c = ctx;
    ck_assert_uint_ge(id, 1);
    ck_assert_uint_le(id, c->n);
    ck_assert(c->ev[id - 1].live);
    c->ev[id - 1].live = false;
    c->cancels++;
}

/* Live callbacks, and the earliest one's time. */
static unsigned fc_live(const struct fake_clock *c, uint64_t *first)
{
    unsigned n = 0;
    uint64_t w = UINT64_MAX;
    for (unsigned i = 0; i < c->n; i++)
        if (c->ev[i].live) {
            n++;
            if (c->ev[i].when < w)
                w = c->ev[i].when;
        }
    if (first)
        *first = w;
    return n;
}

/* Move time to `to`, firing due callbacks in time order (each at its own
 * time, as the machine's event queue does). */
static void fc_advance(struct fake_clock *c, uint64_t to)
{
    for (;;) {
        int best = -1;
        for (unsigned i = 0; i < c->n; i++)
            if (c->ev[i].live && c->ev[i].when <= to &&
                (best < 0 || c->ev[i].when < c->ev[best].when))
                best = (int)i;
        if (best < 0)
            break;
        c->ev[best].live = false;
        if (c->ev[best].when > c->now)
            c->now = c->ev[best].when;
        c->ev[best].cb(c->ev[best].ctx, c->now);
    }
    c->now = to;
}

/* ---- a PPI recorder ------------------------------------------------------- */

struct ppi_log {
    unsigned n;
    unsigned intid[32];
    bool level[32];
    uint64_t at[32];
    struct fake_clock *clk;
};

static void rec_ppi(void *ctx, unsigned intid, bool level)
{
    struct ppi_log *l = ctx;
    ck_assert_uint_lt(l->n, 32);
    l->intid[l->n] = intid;
    l->level[l->n] = level;
    l->at[l->n] = l->clk->now;
    l->n++;
}

/* ---- fixture ---------------------------------------------------------------- */

#define FREQ_VIRT 62500000u /* QEMU virt: 16 ns per tick */

#define ENC_CNTFRQ     HV_SYSREG(3, 3, 14, 0, 0)
#define ENC_CNTPCT     HV_SYSREG(3, 3, 14, 0, 1)
#define ENC_CNTVCT     HV_SYSREG(3, 3, 14, 0, 2)
#define ENC_CNTVOFF    HV_SYSREG(3, 4, 14, 0, 3)
#define ENC_CNTKCTL    HV_SYSREG(3, 0, 14, 1, 0)
#define ENC_CNTHCTL    HV_SYSREG(3, 4, 14, 1, 0)
#define ENC_CNTP_TVAL  HV_SYSREG(3, 3, 14, 2, 0)
#define ENC_CNTP_CTL   HV_SYSREG(3, 3, 14, 2, 1)
#define ENC_CNTP_CVAL  HV_SYSREG(3, 3, 14, 2, 2)
#define ENC_CNTV_TVAL  HV_SYSREG(3, 3, 14, 3, 0)
#define ENC_CNTV_CTL   HV_SYSREG(3, 3, 14, 3, 1)
#define ENC_CNTV_CVAL  HV_SYSREG(3, 3, 14, 3, 2)
#define ENC_CNTHP_TVAL HV_SYSREG(3, 4, 14, 2, 0)
#define ENC_CNTHP_CTL  HV_SYSREG(3, 4, 14, 2, 1)
#define ENC_CNTHP_CVAL HV_SYSREG(3, 4, 14, 2, 2)
#define ENC_HCR_EL2    HV_SYSREG(3, 4, 1, 1, 0)
#define ENC_SCR_EL3    HV_SYSREG(3, 6, 1, 1, 0)

#define ENABLE  1u
#define IMASK   2u
#define ISTATUS 4u

static struct fake_clock clk;
static struct ppi_log ppis;
static struct hv_cpu *cpu;
static struct hv_timer *tmr;

static void make_timer(uint64_t freq)
{
    struct hv_err err;
    struct hv_clock c = {.ctx = &clk, .now = fc_now, .schedule = fc_schedule, .cancel = fc_cancel};
    struct hv_timer_io io = {.ctx = &ppis, .ppi = rec_ppi};
    struct hv_timer_config cfg = {.freq_hz = freq};
    memset(&clk, 0, sizeof(clk));
    memset(&ppis, 0, sizeof(ppis));
    ppis.clk = &clk;
    ck_assert_int_eq(hv_cpu_create(&cpu, NULL, NULL, &err), 0);
    ck_assert_msg(hv_timer_create(&tmr, &cfg, cpu, &c, &io, NULL, &err) == 0, "%s", err.msg);
}

static void setup(void)
{
    make_timer(FREQ_VIRT);
}

static void teardown(void)
{
    hv_timer_destroy(tmr);
    hv_cpu_destroy(cpu);
    tmr = NULL;
    cpu = NULL;
}

static const struct hv_sysreg_desc *desc(uint32_t enc)
{
    const struct hv_sysreg_desc *d = hv_cpu_find_sysreg(cpu, enc);
    ck_assert_ptr_nonnull(d);
    return d;
}

static uint64_t rd(uint32_t enc)
{
    const struct hv_sysreg_desc *d = desc(enc);
    ck_assert_ptr_nonnull(d->read);
    return d->read(tmr, cpu, d);
}

static void wr(uint32_t enc, uint64_t v)
{
    const struct hv_sysreg_desc *d = desc(enc);
    ck_assert_ptr_nonnull(d->write);
    d->write(tmr, cpu, d, v);
}

/* Virtual time (ns) at which the count is exactly c at 62.5 MHz. */
static uint64_t ns_of(uint64_t c)
{
    return c * 16;
}

/* ---- the counter -------------------------------------------------------------- */

START_TEST(test_counter_62_5mhz)
{
    clk.now = 0;
    ck_assert_uint_eq(hv_timer_count(tmr), 0);
    clk.now = 15;
    ck_assert_uint_eq(hv_timer_count(tmr), 0);
    clk.now = 16;
    ck_assert_uint_eq(hv_timer_count(tmr), 1);
    clk.now = 1000000000ull; /* 1 s */
    ck_assert_uint_eq(hv_timer_count(tmr), 62500000u);
    ck_assert_uint_eq(rd(ENC_CNTPCT), 62500000u);
    /* The largest virtual time: no overflow in the product (128-bit). */
    clk.now = UINT64_MAX;
    ck_assert_uint_eq(hv_timer_count(tmr), UINT64_MAX / 16);
    ck_assert_uint_eq(rd(ENC_CNTFRQ), FREQ_VIRT);
}
END_TEST

START_TEST(test_counter_other_freqs)
{
    teardown();
    make_timer(19200000); /* 19.2 MHz: 52.083 ns per tick */
    clk.now = 1000;
    ck_assert_uint_eq(hv_timer_count(tmr), 19); /* floor(19.2) */
    clk.now = 1000000000ull * 3600;
    ck_assert_uint_eq(hv_timer_count(tmr), 19200000ull * 3600);
    ck_assert_uint_eq(rd(ENC_CNTFRQ), 19200000);
    teardown();
    make_timer(1000000000); /* 1 GHz: count == ns */
    clk.now = 123456789;
    ck_assert_uint_eq(hv_timer_count(tmr), 123456789);
    teardown();
    make_timer(1); /* 1 Hz */
    clk.now = 999999999;
    ck_assert_uint_eq(hv_timer_count(tmr), 0);
    clk.now = 1000000000;
    ck_assert_uint_eq(hv_timer_count(tmr), 1);
}
END_TEST

START_TEST(test_create_rejects_bad_config)
{
    struct hv_err err;
    struct hv_timer *t2;
    struct hv_clock c = {.ctx = &clk, .now = fc_now, .schedule = fc_schedule, .cancel = fc_cancel};
    struct hv_timer_config zero = {.freq_hz = 0}, big = {.freq_hz = 1ull << 32};
    ck_assert_int_eq(hv_timer_create(&t2, &zero, NULL, &c, NULL, NULL, &err), -1);
    ck_assert_int_eq(hv_timer_create(&t2, &big, NULL, &c, NULL, NULL, &err), -1);
    /* Registering twice on one CPU fails (duplicate encodings). */
    struct hv_timer_config ok = {.freq_hz = FREQ_VIRT};
    ck_assert_int_eq(hv_timer_create(&t2, &ok, cpu, &c, NULL, NULL, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "already registered"));
}
END_TEST

/* ---- TVAL / CVAL ---------------------------------------------------------------- */

START_TEST(test_tval_cval_arithmetic)
{
    clk.now = ns_of(1000);
    wr(ENC_CNTP_TVAL, 500);
    ck_assert_uint_eq(rd(ENC_CNTP_CVAL), 1500);
    ck_assert_uint_eq(rd(ENC_CNTP_TVAL), 500);
    clk.now = ns_of(1600);
    /* 100 ticks past the compare value: TVAL reads -100 in 32 bits, bits
     * [63:32] zero. */
    ck_assert_uint_eq(rd(ENC_CNTP_TVAL), 0xffffff9cu);
    /* A negative TVAL: only bits [31:0] count, sign-extended. */
    wr(ENC_CNTP_TVAL, 0xdeadbeefffffff9cull);
    ck_assert_uint_eq(rd(ENC_CNTP_CVAL), 1500);
    /* TVAL = INT32_MIN and INT32_MAX. */
    wr(ENC_CNTP_TVAL, 0x80000000u);
    ck_assert_uint_eq(rd(ENC_CNTP_CVAL), 1600 - 0x80000000ull);
    ck_assert_uint_eq(rd(ENC_CNTP_TVAL), 0x80000000u);
    wr(ENC_CNTP_TVAL, 0x7fffffffu);
    ck_assert_uint_eq(rd(ENC_CNTP_CVAL), 1600 + 0x7fffffffull);
    /* Negative TVAL below count 0 wraps CVAL modulo 2^64. */
    clk.now = ns_of(10);
    wr(ENC_CNTP_TVAL, (uint32_t)-100);
    ck_assert_uint_eq(rd(ENC_CNTP_CVAL), UINT64_MAX - 89);
    ck_assert_uint_eq(rd(ENC_CNTP_TVAL), (uint32_t)-100);
    /* CVAL read back as written, all 64 bits. */
    wr(ENC_CNTP_CVAL, 0x123456789abcdef0ull);
    ck_assert_uint_eq(rd(ENC_CNTP_CVAL), 0x123456789abcdef0ull);
    /* TVAL of a far CVAL: the low 32 bits of the difference. */
    ck_assert_uint_eq(rd(ENC_CNTP_TVAL), (uint32_t)(0x123456789abcdef0ull - 10));
    /* The EL2 timer has the same arithmetic. */
    wr(ENC_CNTHP_TVAL, 7);
    ck_assert_uint_eq(rd(ENC_CNTHP_CVAL), 17);
}
END_TEST

START_TEST(test_istatus)
{
    clk.now = ns_of(1000);
    wr(ENC_CNTP_CVAL, 1000);
    ck_assert_uint_eq(rd(ENC_CNTP_CTL), 0); /* disabled: ISTATUS 0 */
    wr(ENC_CNTP_CTL, ENABLE);
    ck_assert_uint_eq(rd(ENC_CNTP_CTL), ENABLE | ISTATUS); /* count == CVAL */
    wr(ENC_CNTP_CTL, ENABLE | IMASK);
    ck_assert_uint_eq(rd(ENC_CNTP_CTL), ENABLE | IMASK | ISTATUS); /* IMASK: not in ISTATUS */
    wr(ENC_CNTP_CVAL, 1001);
    ck_assert_uint_eq(rd(ENC_CNTP_CTL), ENABLE | IMASK);
    /* ISTATUS is read-only and bits above IMASK are not stored. */
    wr(ENC_CNTP_CTL, 0xfffffff8u | ISTATUS | ENABLE);
    ck_assert_uint_eq(rd(ENC_CNTP_CTL), ENABLE);
    clk.now = ns_of(1001);
    ck_assert_uint_eq(rd(ENC_CNTP_CTL), ENABLE | ISTATUS);
    /* Unsigned compare: CVAL = UINT64_MAX is never reached. */
    wr(ENC_CNTP_CVAL, UINT64_MAX);
    ck_assert_uint_eq(rd(ENC_CNTP_CTL), ENABLE);
    ck_assert_uint_eq(fc_live(&clk, NULL), 0); /* beyond 2^64 ns: nothing scheduled */
    ck_assert(!hv_timer_output(tmr, HV_TIMER_EL1_PHYS));
}
END_TEST

/* ---- outputs and deadlines ----------------------------------------------------- */

START_TEST(test_fires_exactly_at_deadline)
{
    uint64_t first;
    clk.now = ns_of(100);
    wr(ENC_CNTP_CVAL, 1000);
    ck_assert_uint_eq(fc_live(&clk, NULL), 0); /* disabled: nothing to schedule */
    wr(ENC_CNTP_CTL, ENABLE);
    ck_assert_uint_eq(fc_live(&clk, &first), 1);
    ck_assert_uint_eq(first, ns_of(1000));
    ck_assert_uint_eq(ppis.n, 0);
    fc_advance(&clk, ns_of(1000) - 1);
    ck_assert_uint_eq(ppis.n, 0);
    ck_assert_uint_eq(rd(ENC_CNTP_CTL), ENABLE);
    fc_advance(&clk, ns_of(1000));
    ck_assert_uint_eq(ppis.n, 1);
    ck_assert_uint_eq(ppis.intid[0], HV_TIMER_PPI_EL1_PHYS);
    ck_assert(ppis.level[0]);
    ck_assert_uint_eq(ppis.at[0], ns_of(1000));
    ck_assert(hv_timer_output(tmr, HV_TIMER_EL1_PHYS));
    ck_assert_uint_eq(fc_live(&clk, NULL), 0); /* met, no offset: no further change */

    /* IMASK drops the output and raising it again re-asserts; ENABLE = 0
     * drops it. Each change is one edge; rewriting the same value is none. */
    wr(ENC_CNTP_CTL, ENABLE | IMASK);
    wr(ENC_CNTP_CTL, ENABLE | IMASK);
    wr(ENC_CNTP_CTL, ENABLE);
    wr(ENC_CNTP_CTL, 0);
    ck_assert_uint_eq(ppis.n, 4);
    ck_assert(!ppis.level[1] && ppis.level[2] && !ppis.level[3]);
    /* Moving CVAL into the past of an enabled timer fires at once. */
    wr(ENC_CNTP_CTL, ENABLE);
    ck_assert_uint_eq(ppis.n, 5);
    wr(ENC_CNTP_CVAL, 5000); /* into the future: output drops, rescheduled */
    ck_assert_uint_eq(ppis.n, 6);
    ck_assert(!ppis.level[5]);
    ck_assert_uint_eq(fc_live(&clk, &first), 1);
    ck_assert_uint_eq(first, ns_of(5000));
}
END_TEST

START_TEST(test_deadline_rounds_up)
{
    uint64_t first;
    teardown();
    make_timer(19200000); /* 52.083 ns per tick */
    wr(ENC_CNTV_CVAL, 1);
    wr(ENC_CNTV_CTL, ENABLE);
    ck_assert_uint_eq(fc_live(&clk, &first), 1);
    ck_assert_uint_eq(first, 53); /* ceil(1e9 / 19.2e6) */
    fc_advance(&clk, 52);
    ck_assert_uint_eq(ppis.n, 0);
    fc_advance(&clk, 53);
    ck_assert_uint_eq(ppis.n, 1);
    ck_assert_uint_eq(ppis.intid[0], HV_TIMER_PPI_VIRT);
    ck_assert_uint_eq(ppis.at[0], 53);
}
END_TEST

START_TEST(test_reschedule_on_writes)
{
    uint64_t first;
    wr(ENC_CNTHP_CVAL, 100);
    wr(ENC_CNTHP_CTL, ENABLE);
    ck_assert_uint_eq(fc_live(&clk, &first), 1);
    ck_assert_uint_eq(first, ns_of(100));
    wr(ENC_CNTHP_CVAL, 300); /* later: old callback cancelled */
    ck_assert_uint_eq(fc_live(&clk, &first), 1);
    ck_assert_uint_eq(first, ns_of(300));
    wr(ENC_CNTHP_TVAL, 50); /* TVAL write reschedules too */
    ck_assert_uint_eq(fc_live(&clk, &first), 1);
    ck_assert_uint_eq(first, ns_of(50));
    wr(ENC_CNTHP_CTL, ENABLE | IMASK); /* masked: nothing to wait for */
    ck_assert_uint_eq(fc_live(&clk, NULL), 0);
    wr(ENC_CNTHP_CTL, ENABLE);
    ck_assert_uint_eq(fc_live(&clk, &first), 1);
    wr(ENC_CNTHP_CTL, 0);
    ck_assert_uint_eq(fc_live(&clk, NULL), 0);
    wr(ENC_CNTHP_CTL, ENABLE);
    fc_advance(&clk, ns_of(1000));
    ck_assert_uint_eq(ppis.n, 1);
    ck_assert_uint_eq(ppis.intid[0], HV_TIMER_PPI_EL2_PHYS);
    ck_assert_uint_eq(ppis.at[0], ns_of(50));
    /* The three timers are independent. */
    ck_assert(!hv_timer_output(tmr, HV_TIMER_EL1_PHYS));
    ck_assert(!hv_timer_output(tmr, HV_TIMER_VIRT));
    ck_assert(hv_timer_output(tmr, HV_TIMER_EL2_PHYS));
}
END_TEST

START_TEST(test_destroy_cancels)
{
    wr(ENC_CNTP_CVAL, 100);
    wr(ENC_CNTP_CTL, ENABLE);
    wr(ENC_CNTV_CVAL, 200);
    wr(ENC_CNTV_CTL, ENABLE);
    ck_assert_uint_eq(fc_live(&clk, NULL), 2);
    hv_timer_destroy(tmr);
    tmr = NULL;
    ck_assert_uint_eq(fc_live(&clk, NULL), 0);
    hv_cpu_destroy(cpu);
    cpu = NULL;
    /* Create a fresh pair for teardown(). */
    setup();
}
END_TEST

/* ---- CNTVOFF_EL2 ----------------------------------------------------------------- */

START_TEST(test_cntvoff_counter)
{
    clk.now = ns_of(5000);
    ck_assert_uint_eq(rd(ENC_CNTVCT), 5000);
    wr(ENC_CNTVOFF, 1000);
    ck_assert_uint_eq(rd(ENC_CNTVOFF), 1000);
    ck_assert_uint_eq(rd(ENC_CNTVCT), 4000);
    ck_assert_uint_eq(rd(ENC_CNTPCT), 5000);
    /* CNTVOFF > count: the virtual count wraps. */
    wr(ENC_CNTVOFF, 6000);
    ck_assert_uint_eq(rd(ENC_CNTVCT), (uint64_t)-1000);
    /* The virtual timer's TVAL is relative to the virtual count. */
    wr(ENC_CNTVOFF, 1000);
    wr(ENC_CNTV_TVAL, 100);
    ck_assert_uint_eq(rd(ENC_CNTV_CVAL), 4100);
    ck_assert_uint_eq(rd(ENC_CNTV_TVAL), 100);
    /* ...and the physical timers ignore CNTVOFF. */
    wr(ENC_CNTP_TVAL, 100);
    ck_assert_uint_eq(rd(ENC_CNTP_CVAL), 5100);
}
END_TEST

START_TEST(test_cntvoff_virtual_timer)
{
    uint64_t first;
    clk.now = ns_of(5000);
    wr(ENC_CNTV_CVAL, 4500); /* virtual count 5000 >= 4500: met */
    wr(ENC_CNTV_CTL, ENABLE);
    ck_assert_uint_eq(ppis.n, 1);
    ck_assert(ppis.level[0]);
    /* An offset moves the virtual count back below CVAL: output drops, and
     * the deadline is CVAL + CNTVOFF in physical counts. */
    wr(ENC_CNTVOFF, 1000);
    ck_assert_uint_eq(ppis.n, 2);
    ck_assert(!ppis.level[1]);
    ck_assert_uint_eq(rd(ENC_CNTV_CTL), ENABLE);
    ck_assert_uint_eq(fc_live(&clk, &first), 1);
    ck_assert_uint_eq(first, ns_of(5500));
    fc_advance(&clk, ns_of(5500));
    ck_assert_uint_eq(ppis.n, 3);
    ck_assert(ppis.level[2]);
    ck_assert_uint_eq(ppis.at[2], ns_of(5500));

    /* CNTVOFF > count: the virtual count is huge (wrapped), so the condition
     * holds until the physical count reaches CNTVOFF, where the virtual
     * count wraps to 0 and the output drops; it rises again at CVAL. */
    wr(ENC_CNTV_CVAL, 100);
    wr(ENC_CNTVOFF, 8000);
    ck_assert_uint_eq(ppis.n, 3); /* still asserted */
    ck_assert_uint_eq(rd(ENC_CNTV_CTL), ENABLE | ISTATUS);
    ck_assert_uint_eq(fc_live(&clk, &first), 1);
    ck_assert_uint_eq(first, ns_of(8000));
    fc_advance(&clk, ns_of(8000));
    ck_assert_uint_eq(ppis.n, 4);
    ck_assert(!ppis.level[3]);
    ck_assert_uint_eq(ppis.at[3], ns_of(8000));
    ck_assert_uint_eq(rd(ENC_CNTVCT), 0);
    fc_advance(&clk, ns_of(8100));
    ck_assert_uint_eq(ppis.n, 5);
    ck_assert(ppis.level[4]);
    ck_assert_uint_eq(ppis.at[4], ns_of(8100));
    /* The physical timers are not affected by CNTVOFF writes. */
    for (unsigned i = 0; i < ppis.n; i++)
        ck_assert_uint_eq(ppis.intid[i], HV_TIMER_PPI_VIRT);
}
END_TEST

START_TEST(test_cntvoff_wrap_cval_zero)
{
    /* CVAL = 0: met for every virtual count, including 0 after the wrap, so
     * the output never drops. */
    clk.now = ns_of(10);
    wr(ENC_CNTV_CVAL, 0);
    wr(ENC_CNTVOFF, 20);
    wr(ENC_CNTV_CTL, ENABLE);
    ck_assert_uint_eq(ppis.n, 1);
    ck_assert_uint_eq(fc_live(&clk, NULL), 0);
    fc_advance(&clk, ns_of(100));
    ck_assert_uint_eq(ppis.n, 1);
}
END_TEST

/* ---- control registers --------------------------------------------------------- */

START_TEST(test_control_registers)
{
    wr(ENC_CNTKCTL, UINT64_MAX);
    ck_assert_uint_eq(rd(ENC_CNTKCTL), 0x3ff);
    wr(ENC_CNTHCTL, UINT64_MAX);
    ck_assert_uint_eq(rd(ENC_CNTHCTL), 0xff);
    /* CNTPCT/CNTVCT are read-only: no write callback. */
    ck_assert_ptr_null(desc(ENC_CNTPCT)->write);
    ck_assert_ptr_null(desc(ENC_CNTVCT)->write);
    /* CNTFRQ_EL0 (where writable) keeps bits [31:0]; the count rate does not
     * change with it. */
    wr(ENC_CNTFRQ, 0xabcd00001234ull);
    ck_assert_uint_eq(rd(ENC_CNTFRQ), 0x1234);
    clk.now = 1000000000ull;
    ck_assert_uint_eq(rd(ENC_CNTPCT), FREQ_VIRT);
}
END_TEST

/* ---- access decisions (the pure function) --------------------------------------- */

static enum hv_timer_decision dec(enum hv_timer_regclass rc, bool w, unsigned el, bool tge,
                                  uint64_t kctl, uint64_t hctl)
{
    struct hv_timer_pe_state pe = {
        .el = el,
        .el2_enabled = true,
        .have_el3 = true,
        .hcr_el2 = tge ? (1ull << 27) : 0,
        .cntkctl = kctl,
        .cnthctl = hctl,
    };
    return hv_timer_access_decide(rc, w, &pe);
}

#define OK    HV_TIMER_OK
#define UNDEF HV_TIMER_UNDEF
#define TEL1  HV_TIMER_TRAP_EL1
#define TEL2  HV_TIMER_TRAP_EL2

START_TEST(test_access_el0)
{
    /* CNTPCT_EL0: EL0PCTEN (CNTKCTL bit 0) first, then EL1PCTEN (CNTHCTL
     * bit 0 with E2H = 0, not EL1PCEN). */
    ck_assert_int_eq(dec(HV_TIMER_RC_PCT, false, 0, false, 0, 3), TEL1);
    ck_assert_int_eq(dec(HV_TIMER_RC_PCT, false, 0, true, 0, 3), TEL2); /* TGE routes to EL2 */
    ck_assert_int_eq(dec(HV_TIMER_RC_PCT, false, 0, false, 1, 0), TEL2);
    ck_assert_int_eq(dec(HV_TIMER_RC_PCT, false, 0, false, 1, 2), TEL2); /* EL1PCEN alone: no */
    ck_assert_int_eq(dec(HV_TIMER_RC_PCT, false, 0, false, 1, 1), OK);
    ck_assert_int_eq(dec(HV_TIMER_RC_PCT, true, 0, false, 1, 1), UNDEF); /* read-only */
    /* CNTVCT_EL0: EL0VCTEN (bit 1) only. */
    ck_assert_int_eq(dec(HV_TIMER_RC_VCT, false, 0, false, 1, 0), TEL1);
    ck_assert_int_eq(dec(HV_TIMER_RC_VCT, false, 0, false, 2, 0), OK);
    ck_assert_int_eq(dec(HV_TIMER_RC_VCT, false, 0, true, 0, 0), TEL2);
    /* CNTFRQ_EL0: readable at EL0 if EL0PCTEN or EL0VCTEN; writes UNDEF. */
    ck_assert_int_eq(dec(HV_TIMER_RC_CNTFRQ, false, 0, false, 0, 0), TEL1);
    ck_assert_int_eq(dec(HV_TIMER_RC_CNTFRQ, false, 0, false, 1, 0), OK);
    ck_assert_int_eq(dec(HV_TIMER_RC_CNTFRQ, false, 0, false, 2, 0), OK);
    ck_assert_int_eq(dec(HV_TIMER_RC_CNTFRQ, true, 0, false, 3, 0), UNDEF);
    /* CNTP_*: EL0PTEN (bit 9), then EL1PCEN (CNTHCTL bit 1). */
    ck_assert_int_eq(dec(HV_TIMER_RC_PTIMER, false, 0, false, 0x100, 3), TEL1);
    ck_assert_int_eq(dec(HV_TIMER_RC_PTIMER, true, 0, true, 0, 3), TEL2);
    ck_assert_int_eq(dec(HV_TIMER_RC_PTIMER, false, 0, false, 0x200, 1), TEL2);
    ck_assert_int_eq(dec(HV_TIMER_RC_PTIMER, true, 0, false, 0x200, 2), OK);
    /* CNTV_*: EL0VTEN (bit 8) only. */
    ck_assert_int_eq(dec(HV_TIMER_RC_VTIMER, false, 0, false, 0x200, 3), TEL1);
    ck_assert_int_eq(dec(HV_TIMER_RC_VTIMER, true, 0, false, 0x100, 0), OK);
    /* CNTKCTL_EL1 and the EL2 registers: UNDEFINED at EL0. */
    ck_assert_int_eq(dec(HV_TIMER_RC_KCTL, false, 0, false, 0x3ff, 3), UNDEF);
    ck_assert_int_eq(dec(HV_TIMER_RC_EL2, false, 0, false, 0x3ff, 3), UNDEF);
}
END_TEST

START_TEST(test_access_el1)
{
    /* CNTKCTL_EL1 does not control EL1. */
    ck_assert_int_eq(dec(HV_TIMER_RC_PCT, false, 1, false, 0, 1), OK);
    ck_assert_int_eq(dec(HV_TIMER_RC_PCT, false, 1, false, 0x3ff, 0), TEL2);
    ck_assert_int_eq(dec(HV_TIMER_RC_PCT, false, 1, false, 0x3ff, 2), TEL2);
    ck_assert_int_eq(dec(HV_TIMER_RC_VCT, false, 1, false, 0, 0), OK);
    ck_assert_int_eq(dec(HV_TIMER_RC_PTIMER, false, 1, false, 0, 2), OK);
    ck_assert_int_eq(dec(HV_TIMER_RC_PTIMER, true, 1, false, 0x3ff, 1), TEL2);
    ck_assert_int_eq(dec(HV_TIMER_RC_VTIMER, true, 1, false, 0, 0), OK);
    ck_assert_int_eq(dec(HV_TIMER_RC_CNTFRQ, false, 1, false, 0, 0), OK);
    ck_assert_int_eq(dec(HV_TIMER_RC_CNTFRQ, true, 1, false, 0, 0), UNDEF);
    ck_assert_int_eq(dec(HV_TIMER_RC_KCTL, true, 1, false, 0, 0), OK);
    ck_assert_int_eq(dec(HV_TIMER_RC_EL2, false, 1, false, 0x3ff, 3), UNDEF);
    ck_assert_int_eq(dec(HV_TIMER_RC_EL2, true, 1, false, 0x3ff, 3), UNDEF);

    /* EL2 not enabled (Secure EL1, SCR_EL3.NS = 0): CNTHCTL_EL2 traps off. */
    struct hv_timer_pe_state pe = {.el = 1, .el2_enabled = false, .have_el3 = true};
    ck_assert_int_eq(hv_timer_access_decide(HV_TIMER_RC_PCT, false, &pe), OK);
    ck_assert_int_eq(hv_timer_access_decide(HV_TIMER_RC_PTIMER, true, &pe), OK);
    pe.el = 0; /* ...and TGE does not route EL0 traps to EL2 */
    pe.hcr_el2 = 1ull << 27;
    ck_assert_int_eq(hv_timer_access_decide(HV_TIMER_RC_PCT, false, &pe), TEL1);
}
END_TEST

START_TEST(test_access_el2_el3)
{
    /* EL2 and EL3: every register, whatever the controls, except CNTFRQ_EL0
     * writes, allowed only at the highest EL (IsHighestEL). */
    for (int rc = HV_TIMER_RC_CNTFRQ; rc <= HV_TIMER_RC_EL2; rc++) {
        bool ro = rc == HV_TIMER_RC_PCT || rc == HV_TIMER_RC_VCT;
        ck_assert_int_eq(dec(rc, false, 2, false, 0, 0), OK);
        ck_assert_int_eq(dec(rc, false, 3, false, 0, 0), OK);
        if (rc != HV_TIMER_RC_CNTFRQ) {
            ck_assert_int_eq(dec(rc, true, 2, false, 0, 0), ro ? UNDEF : OK);
            ck_assert_int_eq(dec(rc, true, 3, false, 0, 0), ro ? UNDEF : OK);
        }
    }
    ck_assert_int_eq(dec(HV_TIMER_RC_CNTFRQ, true, 2, false, 0, 0), UNDEF); /* EL3 exists */
    ck_assert_int_eq(dec(HV_TIMER_RC_CNTFRQ, true, 3, false, 0, 0), OK);
    struct hv_timer_pe_state pe = {.el = 2, .el2_enabled = true, .have_el3 = false};
    ck_assert_int_eq(hv_timer_access_decide(HV_TIMER_RC_CNTFRQ, true, &pe), OK); /* QEMU virt */
}
END_TEST

/* ---- access through the real CPU's descriptors (at EL1) ------------------------- */

static enum hv_sysreg_decision acc(uint32_t enc, bool w)
{
    const struct hv_sysreg_desc *d = desc(enc);
    ck_assert_ptr_nonnull(d->access);
    return d->access(tmr, cpu, d, w);
}

START_TEST(test_access_wrapper_el1)
{
    ck_assert_uint_eq(hv_cpu_el(cpu), 1);
    /* Make EL2 enabled (Non-secure) for the CNTHCTL_EL2 controls. */
    ck_assert_int_eq(hv_cpu_sysreg_set(cpu, ENC_SCR_EL3, 0x531), 0);
    wr(ENC_CNTHCTL, 0);
    ck_assert_int_eq(acc(ENC_CNTPCT, false), HV_SR_TRAP_EL2);
    ck_assert_int_eq(acc(ENC_CNTP_CTL, true), HV_SR_TRAP_EL2);
    ck_assert_int_eq(acc(ENC_CNTP_TVAL, false), HV_SR_TRAP_EL2);
    ck_assert_int_eq(acc(ENC_CNTVCT, false), HV_SR_OK);
    ck_assert_int_eq(acc(ENC_CNTV_CVAL, true), HV_SR_OK);
    wr(ENC_CNTHCTL, 1); /* EL1PCTEN */
    ck_assert_int_eq(acc(ENC_CNTPCT, false), HV_SR_OK);
    ck_assert_int_eq(acc(ENC_CNTP_CTL, true), HV_SR_TRAP_EL2);
    wr(ENC_CNTHCTL, 3); /* EL1PCTEN | EL1PCEN */
    ck_assert_int_eq(acc(ENC_CNTP_CVAL, true), HV_SR_OK);
    ck_assert_int_eq(acc(ENC_CNTPCT, true), HV_SR_UNDEF);
    ck_assert_int_eq(acc(ENC_CNTFRQ, false), HV_SR_OK);
    ck_assert_int_eq(acc(ENC_CNTFRQ, true), HV_SR_UNDEF);
    ck_assert_int_eq(acc(ENC_CNTKCTL, true), HV_SR_OK);
    ck_assert_int_eq(acc(ENC_CNTVOFF, false), HV_SR_UNDEF);
    ck_assert_int_eq(acc(ENC_CNTHCTL, true), HV_SR_UNDEF);
    ck_assert_int_eq(acc(ENC_CNTHP_CTL, false), HV_SR_UNDEF);
    ck_assert_int_eq(acc(ENC_CNTHP_CVAL, true), HV_SR_UNDEF);
    ck_assert_int_eq(acc(ENC_CNTHP_TVAL, true), HV_SR_UNDEF);
    /* Secure (NS = 0): EL2 is not enabled, CNTHCTL_EL2 does not trap. */
    ck_assert_int_eq(hv_cpu_sysreg_set(cpu, ENC_SCR_EL3, 0x530), 0);
    wr(ENC_CNTHCTL, 0);
    ck_assert_int_eq(acc(ENC_CNTPCT, false), HV_SR_OK);
    ck_assert_int_eq(acc(ENC_CNTP_CTL, true), HV_SR_OK);
    (void)ENC_HCR_EL2;
}
END_TEST

int main(void)
{
    Suite *s = suite_create("timer");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_counter_62_5mhz);
    tcase_add_test(tc, test_counter_other_freqs);
    tcase_add_test(tc, test_create_rejects_bad_config);
    tcase_add_test(tc, test_tval_cval_arithmetic);
    tcase_add_test(tc, test_istatus);
    tcase_add_test(tc, test_fires_exactly_at_deadline);
    tcase_add_test(tc, test_deadline_rounds_up);
    tcase_add_test(tc, test_reschedule_on_writes);
    tcase_add_test(tc, test_destroy_cancels);
    tcase_add_test(tc, test_cntvoff_counter);
    tcase_add_test(tc, test_cntvoff_virtual_timer);
    tcase_add_test(tc, test_cntvoff_wrap_cval_zero);
    tcase_add_test(tc, test_control_registers);
    tcase_add_test(tc, test_access_el0);
    tcase_add_test(tc, test_access_el1);
    tcase_add_test(tc, test_access_el2_el3);
    tcase_add_test(tc, test_access_wrapper_el1);
    suite_add_tcase(s, tc);
    return hv_check_run(s);
}
