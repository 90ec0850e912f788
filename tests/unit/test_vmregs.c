/* hv_cpu_vmreg (sim/cpu_el2/cpu.h): the cached HCR_EL2, VTTBR_EL2, VTCR_EL2
 * and VMPIDR_EL2 that the trace recorder reads at every event must always be
 * what the engine holds. tests/images/u_vmregs.c rewrites them between
 * events, across exception entries and returns, and once with an event
 * emitted from inside the MSR hook before the engine's write; at every
 * event, here, each cached value is compared with a direct engine read
 * (hv_cpu_sysreg_get). A cache that went stale (missed invalidation, or
 * filled from the hook before the write) makes a mismatch. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "common/observer.h"
#include "cpu_el2/cpu.h"
#include "platform/machine.h"
#include "platform/platform.h"

static const uint32_t enc[HV_VMREG__COUNT] = {
    HV_SYSREG(3, 4, 1, 1, 0), /* HCR_EL2 */
    HV_SYSREG(3, 4, 2, 1, 0), /* VTTBR_EL2 */
    HV_SYSREG(3, 4, 2, 1, 2), /* VTCR_EL2 */
    HV_SYSREG(3, 4, 0, 0, 5), /* VMPIDR_EL2 */
};

struct check {
    struct hv_machine *m;
    uint64_t events, mismatches, unimpl;
    uint64_t vttbr_changes, last_vttbr;
    char first[256];
};

static void on_event(void *ctx, const struct hv_event *ev)
{
    struct check *c = ctx;
    if (!c->m)
        return; /* hv_machine_create is still running */
    struct hv_cpu *cpu = hv_machine_cpu(c->m);
    c->events++;
    if (ev->type == HV_EV_UNIMPL)
        c->unimpl++;
    /* Twice: the first call may fill the cache, the second reads it. */
    for (int pass = 0; pass < 2; pass++)
        for (unsigned r = 0; r < HV_VMREG__COUNT; r++) {
            uint64_t cached = 0, engine = 0;
            ck_assert_int_eq(hv_cpu_vmreg(cpu, (enum hv_cpu_vmreg)r, &cached), 0);
            ck_assert_int_eq(hv_cpu_sysreg_get(cpu, enc[r], &engine), 0);
            if (cached != engine && c->mismatches++ == 0)
                snprintf(c->first, sizeof(c->first),
                         "event %" PRIu64 " (%s): register %u cached 0x%" PRIx64
                         ", engine 0x%" PRIx64,
                         c->events, hv_ev_type_name(ev->type), r, cached, engine);
            if (r == HV_VMREG_VTTBR && engine != c->last_vttbr) {
                c->vttbr_changes++;
                c->last_vttbr = engine;
            }
        }
}

static void run(bool cache, struct check *c)
{
    struct hv_platform plat;
    struct hv_machine_opts o;
    struct hv_err err;
    struct hv_obs obs;
    struct hv_run_result res;

    ck_assert_int_eq(hv_platform_builtin("virt", &plat, &err), 0);
    memset(&o, 0, sizeof(o));
    o.platform = &plat;
    o.image = HV_TEST_IMAGES "/u_vmregs.elf";
    o.uart_out[0] = "/dev/null";
    hv_obs_init(&obs);
    memset(c, 0, sizeof(*c));
    hv_obs_subscribe(&obs, HV_EV_ALL, on_event, c);
    ck_assert_msg(hv_machine_create(&c->m, &o, &obs, &err) == 0, "%s", err.msg);
    hv_cpu_set_vmreg_cache(hv_machine_cpu(c->m), cache);
    ck_assert_int_eq(hv_machine_run(c->m, &res, &err), 0);
    ck_assert_msg(res.reason == HV_STOP_SYSTEM_OFF, "the image did not finish: %s", res.detail);
    hv_machine_destroy(c->m);
}

START_TEST(test_cache_matches_engine)
{
    static struct check c;
    run(true, &c);
    printf("VMREGS events=%" PRIu64 " vttbr-changes=%" PRIu64 " unimpl=%" PRIu64
           " mismatches=%" PRIu64 "\n",
           c.events, c.vttbr_changes, c.unimpl, c.mismatches);
    ck_assert_msg(c.mismatches == 0, "%" PRIu64 " mismatches; first: %s", c.mismatches, c.first);
    /* The image really changed the registers between events (16 loop
     * iterations write VTTBR twice, 8 HVCs once: 37 changes), and the in-hook event
     * happened. */
    ck_assert_uint_ge(c.vttbr_changes, 30);
    ck_assert_uint_ge(c.unimpl, 1);
    ck_assert_uint_ge(c.events, 200);
}
END_TEST

START_TEST(test_cache_off_reads_engine)
{
    static struct check c;
    run(false, &c);
    ck_assert_msg(c.mismatches == 0, "%" PRIu64 " mismatches; first: %s", c.mismatches, c.first);
    ck_assert_uint_ge(c.vttbr_changes, 30);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vmregs");
    TCase *tc = tcase_create("cache");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_cache_matches_engine);
    tcase_add_test(tc, test_cache_off_reads_engine);
    suite_add_tcase(s, tc);
    return hv_check_run(s);
}
