/* Unit tests for sim/platform/evtport: the isolation-event port. The
 * register map is the one documented in evtport.h and docs/hypervisor.md. */
#include <check.h>

#include "check_run.h"
#include <stdio.h>
#include <string.h>

#include "common/observer.h"
#include "platform/evtport.h"

static struct hv_event got[4];
static char text[4][256]; /* text events point at the emitter's stack */
static unsigned ngot;

static void sink(void *ctx, const struct hv_event *ev)
{
    (void)ctx;
    if (ngot < 4) {
        got[ngot] = *ev;
        if (ev->type == HV_EV_GUEST_ERROR)
            snprintf(text[ngot], sizeof text[ngot], "%s", ev->u.text.text);
    }
    ngot++;
}
static uint8_t el(void *ctx)
{
    (void)ctx;
    return 2;
}
static uint64_t pc(void *ctx)
{
    (void)ctx;
    return 0x40201234;
}

static struct hv_obs obs;
static struct hv_evtport *p;

static void setup(void)
{
    hv_obs_init(&obs);
    ck_assert_int_eq(hv_obs_subscribe(&obs, HV_EV_ALL, sink, NULL), 0);
    struct hv_evtport_io io = {NULL, el, pc};
    p = hv_evtport_create(&io, &obs);
    ck_assert_ptr_nonnull(p);
    ngot = 0;
}
static void teardown(void)
{
    hv_evtport_destroy(p);
}

START_TEST(identification)
{
    ck_assert_uint_eq(hv_evtport_read(p, 0x00, 4), 0x50455648u); /* "HVEP" */
    ck_assert_uint_eq(hv_evtport_read(p, 0x04, 4), 1);
    ck_assert_uint_eq(ngot, 0);
}
END_TEST

START_TEST(commit_emits_one_event_and_clears)
{
    hv_evtport_write(p, 0x10, 4, 3);
    hv_evtport_write(p, 0x14, 4, HV_EVTPORT_VGIC);
    hv_evtport_write(p, 0x18, 8, 0x28);
    hv_evtport_write(p, 0x20, 4, 0x100);  /* INFO low half */
    hv_evtport_write(p, 0x24, 4, 0xabcd); /* INFO high half */
    ck_assert_uint_eq(hv_evtport_read(p, 0x20, 8), UINT64_C(0xabcd00000100));
    ck_assert_uint_eq(ngot, 0);
    hv_evtport_write(p, 0x28, 4, 1);
    ck_assert_uint_eq(ngot, 1);
    ck_assert_int_eq(got[0].type, HV_EV_REFUSAL);
    ck_assert_uint_eq(got[0].u.refusal.vm, 3);
    ck_assert_uint_eq(got[0].u.refusal.kind, 2);
    ck_assert_str_eq(got[0].u.refusal.kind_name, "vgic");
    ck_assert_uint_eq(got[0].u.refusal.addr, 0x28);
    ck_assert_uint_eq(got[0].u.refusal.info, UINT64_C(0xabcd00000100));
    ck_assert_uint_eq(got[0].pc, 0x40201234);
    ck_assert_uint_eq(got[0].el, 2);
    /* Cleared after the commit. */
    ck_assert_uint_eq(hv_evtport_read(p, 0x10, 4), 0);
    ck_assert_uint_eq(hv_evtport_read(p, 0x18, 8), 0);
    hv_evtport_write(p, 0x28, 8, 0);
    ck_assert_uint_eq(ngot, 2);
    ck_assert_str_eq(got[1].u.refusal.kind_name, "unknown");
    /* The kinds the hypervisor uses (docs/hypervisor.md, "Event port"). */
    ck_assert_str_eq(hv_evtport_kind_name(7), "grf");
    ck_assert_str_eq(hv_evtport_kind_name(8), "irq");
    ck_assert_str_eq(hv_evtport_kind_name(9), "sgi");
    ck_assert_str_eq(hv_evtport_kind_name(10), "unknown");
}
END_TEST

START_TEST(bad_accesses_are_guest_errors)
{
    hv_evtport_write(p, 0x00, 4, 1); /* MAGIC is read-only */
    hv_evtport_write(p, 0x14, 2, 1); /* a 2-byte access */
    ck_assert_uint_eq(hv_evtport_read(p, 0x30, 4), 0);
    ck_assert_uint_eq(hv_evtport_read(p, 0x10, 8), 0); /* VM is 32-bit */
    ck_assert_uint_eq(ngot, 4);
    for (unsigned i = 0; i < 4; i++)
        ck_assert_int_eq(got[i].type, HV_EV_GUEST_ERROR);
    ck_assert_str_eq(text[0], "event port: 4-byte write at +0x0 (no such register) ignored");
    ck_assert_str_eq(text[1], "event port: 2-byte write at +0x14 (no such register) ignored");
    ck_assert_uint_eq(hv_evtport_read(p, 0x14, 4), 0); /* nothing staged */
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("evtport");
    TCase *tc = tcase_create("port");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, identification);
    tcase_add_test(tc, commit_emits_one_event_and_clears);
    tcase_add_test(tc, bad_accesses_are_guest_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return hv_check_run(suite());
}
