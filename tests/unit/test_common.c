/* Unit tests for sim/common: the virtual-time event queue, observer masks
 * and dispatch, ESR decoding and event formatting. Expected values come from
 * the Arm ARM (D17.2.37), not from our own output. */
#include <check.h>

#include "check_run.h"
#include <stdlib.h>
#include <string.h>

#include "common/arm_esr.h"
#include "common/evfmt.h"
#include "common/evq.h"
#include "common/observer.h"

static char order[64];
static size_t norder;

static void mark(void *ctx, uint64_t now)
{
    (void)now;
    order[norder++] = *(const char *)ctx;
}

START_TEST(test_evq_order_and_ties)
{
    struct hv_evq q;
    static const char a = 'a', b = 'b', c = 'c', d = 'd';
    hv_evq_init(&q);
    norder = 0;
    hv_evq_add(&q, 30, mark, (void *)&c);
    hv_evq_add(&q, 10, mark, (void *)&a);
    hv_evq_add(&q, 30, mark, (void *)&d); /* same time as c: after c (insertion order) */
    hv_evq_add(&q, 20, mark, (void *)&b);
    ck_assert_uint_eq(hv_evq_next(&q), 10);
    ck_assert_uint_eq(hv_evq_run_due(&q, 25), 2);
    ck_assert_uint_eq(hv_evq_next(&q), 30);
    ck_assert_uint_eq(hv_evq_run_due(&q, 100), 2);
    order[norder] = 0;
    ck_assert_str_eq(order, "abcd");
    ck_assert_uint_eq(hv_evq_next(&q), UINT64_MAX);
    hv_evq_free(&q);
}
END_TEST

START_TEST(test_evq_cancel_and_many)
{
    struct hv_evq q;
    static const char x = 'x';
    uint64_t ids[100];
    hv_evq_init(&q);
    norder = 0;
    for (int i = 0; i < 100; i++)
        ids[i] = hv_evq_add(&q, (uint64_t)(100 - i), mark, (void *)&x);
    for (int i = 0; i < 100; i += 2)
        ck_assert(hv_evq_cancel(&q, ids[i]));
    ck_assert(!hv_evq_cancel(&q, ids[0]));
    ck_assert_uint_eq(hv_evq_run_due(&q, 1000), 50);
    hv_evq_free(&q);
}
END_TEST

struct counter {
    unsigned n;
    enum hv_ev_type last;
    uint64_t icount;
};

static void count_ev(void *ctx, const struct hv_event *ev)
{
    struct counter *c = ctx;
    c->n++;
    c->last = ev->type;
    c->icount = ev->icount;
}

static uint64_t fake_icount(void *ctx)
{
    (void)ctx;
    return 1234;
}

START_TEST(test_observer_masks)
{
    struct hv_obs obs;
    struct counter a = {0}, b = {0};
    struct hv_event ev;
    uint32_t mask;
    struct hv_obs_clock clk = {.icount = fake_icount, .vtime = fake_icount};

    hv_obs_init(&obs);
    hv_obs_set_clock(&obs, &clk);
    ck_assert(!hv_obs_wants(&obs, HV_EV_ERET));
    hv_obs_subscribe(&obs, HV_EV_BIT(HV_EV_ERET), count_ev, &a);
    hv_obs_subscribe(&obs, HV_EV_ALL, count_ev, &b);
    ck_assert(hv_obs_wants(&obs, HV_EV_ERET));
    memset(&ev, 0, sizeof(ev));
    ev.type = HV_EV_MMIO;
    hv_obs_emit(&obs, &ev);
    ev.type = HV_EV_ERET;
    hv_obs_emit(&obs, &ev);
    ck_assert_uint_eq(a.n, 1);
    ck_assert_uint_eq(b.n, 2);
    ck_assert_uint_eq(a.icount, 1234);

    ck_assert_int_eq(hv_ev_parse_mask("exc,eret", &mask), 0);
    ck_assert_uint_eq(mask, HV_EV_BIT(HV_EV_EXC_TAKEN) | HV_EV_BIT(HV_EV_ERET));
    ck_assert_int_eq(hv_ev_parse_mask("all", &mask), 0);
    ck_assert_uint_eq(mask, HV_EV_ALL);
    ck_assert_int_eq(hv_ev_parse_mask("exc,bogus", &mask), -1);
    ck_assert_int_eq(hv_ev_parse_mask("ex", &mask), -1);
}
END_TEST

START_TEST(test_esr_decode)
{
    char buf[160];
    /* A stage-2 translation fault at level 1 on a 4-byte read into w1:
     * EC 0x24, IL, ISV, SAS=2, SRT=1, DFSC 0x05. */
    uint32_t esr = (0x24u << 26) | (1u << 25) | (1u << 24) | (2u << 22) | (1u << 16) | 0x05;
    ck_assert_str_eq(hv_ec_name(esr >> 26), "DABT_LOW");
    hv_esr_describe(esr, buf, sizeof(buf));
    ck_assert_str_eq(buf, "translation fault level 1, read 4 bytes x1");
    /* S1PTW (ISS bit 7), write, no ISV. */
    hv_esr_describe((0x24u << 26) | (1u << 7) | (1u << 6) | 0x07, buf, sizeof(buf));
    ck_assert_str_eq(buf, "translation fault level 3, write, on stage-1 walk (S1PTW)");
    hv_esr_describe(0x5a000042u, buf, sizeof(buf));
    ck_assert_str_eq(buf, "imm16=0x42");
    /* MSR SCTLR_EL1, x3 trapped by HCR_EL2.TVM: Op0 3 Op1 0 CRn 1 CRm 0 Op2 0. */
    hv_esr_describe((0x18u << 26) | (1u << 25) | (3u << 20) | (1u << 10) | (3u << 5), buf,
                    sizeof(buf));
    ck_assert_str_eq(buf, "MSR S3_0_C1_C0_0, x3");
    ck_assert_str_eq(hv_fsc_name(0x21), "alignment fault");
    ck_assert_str_eq(hv_fsc_name(0x10), "synchronous external abort");
    ck_assert_str_eq(hv_ec_name(0x3f), "RESERVED");
}
END_TEST

START_TEST(test_event_format)
{
    struct hv_event ev;
    char buf[400];
    memset(&ev, 0, sizeof(ev));
    ev.type = HV_EV_EXC_TAKEN;
    ev.vtime = 42;
    ev.pc = 0x40200980;
    ev.u.exc.from_el = 1;
    ev.u.exc.to_el = 2;
    ev.u.exc.kind = HV_EXC_SYNC;
    ev.u.exc.esr = 0x5a000042;
    ev.u.exc.insn = 0xd4000842; /* hvc #0x42 */
    ev.u.exc.has_insn = true;
    hv_event_format(&ev, buf, sizeof(buf));
    ck_assert_str_eq(buf, "[          42 ns] EL1 -> EL2 sync HVC64 ESR=0x5a000042 imm16=0x42 at "
                          "0x40200980 (hvc #0x42)");
    ev.type = HV_EV_ERET;
    ev.u.eret.from_el = 2;
    ev.u.eret.to_el = 1;
    ev.u.eret.pc = 0x1000;
    hv_event_body(&ev, buf, sizeof(buf));
    ck_assert_str_eq(buf, "EL2 -> EL1 eret to 0x1000");
    /* A tiny buffer truncates, never overflows. */
    hv_event_format(&ev, buf, 8);
    ck_assert_uint_eq(strlen(buf), 7);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("common");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_evq_order_and_ties);
    tcase_add_test(tc, test_evq_cancel_and_many);
    tcase_add_test(tc, test_observer_masks);
    tcase_add_test(tc, test_esr_decode);
    tcase_add_test(tc, test_event_format);
    suite_add_tcase(s, tc);
    return hv_check_run(s);
}
