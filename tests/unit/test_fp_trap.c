/* hv_fp_trap_el (sim/cpu_el2/fp_trap.h): the FP/SIMD access-trap decision.
 * Expected values are the Arm ARM's (DDI 0487): D13.2.30 CPACR_EL1.FPEN,
 * D13.2.31 CPTR_EL2 (TFP with E2H = 0, FPEN with E2H = 1), D13.2.32
 * CPTR_EL3.TFP, and the order of the checks in AArch64.CheckFPEnabled and
 * AArch64.CheckFPAdvSIMDTrap (CPACR_EL1, then CPTR_EL2, then CPTR_EL3). */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "common/observer.h"
#include "cpu_el2/cpu.h"
#include "cpu_el2/fp_trap.h"
#include "platform/machine.h"
#include "platform/platform.h"

#define NS      HV_FP_SCR_NS
#define TGE     HV_FP_HCR_TGE
#define E2H     HV_FP_HCR_E2H
#define TFP     HV_CPTR_TFP
#define FPEN(v) ((uint64_t)(v) << HV_CPACR_FPEN_SHIFT)

static unsigned trap(uint64_t cpacr, uint64_t cptr2, uint64_t cptr3, uint64_t hcr, uint64_t scr,
                     unsigned el)
{
    struct hv_fp_ctl c = {cpacr, cptr2, cptr3, hcr, scr};
    return hv_fp_trap_el(&c, el);
}

START_TEST(test_cpacr_fpen)
{
    /* want[fpen][el] for EL0..EL3, nothing else set, Non-secure. */
    static const unsigned want[4][4] = {
        {1, 1, 0, 0}, /* 0b00: EL0 and EL1 trapped */
        {1, 0, 0, 0}, /* 0b01: EL0 only */
        {1, 1, 0, 0}, /* 0b10: as 0b00 */
        {0, 0, 0, 0}, /* 0b11: nothing */
    };
    for (unsigned f = 0; f < 4; f++)
        for (unsigned el = 0; el < 4; el++)
            ck_assert_msg(trap(FPEN(f), 0, 0, 0, NS, el) == want[f][el], "FPEN=%u EL%u: %u", f, el,
                          trap(FPEN(f), 0, 0, 0, NS, el));
    /* Other CPACR_EL1 bits (ZEN, TTA) do not matter. */
    ck_assert_uint_eq(trap(FPEN(3) | (3u << 16) | (1u << 28), 0, 0, 0, NS, 1), 0);
}
END_TEST

START_TEST(test_cptr_el2_tfp)
{
    for (unsigned el = 0; el < 3; el++)
        ck_assert_uint_eq(trap(FPEN(3), TFP, 0, 0, NS, el), 2);
    ck_assert_uint_eq(trap(FPEN(3), TFP, 0, 0, NS, 3), 0); /* EL3 is not affected */
    /* Priority: a CPACR_EL1 trap is taken first, to EL1. */
    ck_assert_uint_eq(trap(FPEN(0), TFP, 0, 0, NS, 1), 1);
    ck_assert_uint_eq(trap(FPEN(1), TFP, 0, 0, NS, 0), 1);
    ck_assert_uint_eq(trap(FPEN(1), TFP, 0, 0, NS, 1), 2);
    /* EL2's own code: CPACR_EL1 never applies. */
    ck_assert_uint_eq(trap(FPEN(0), 0, 0, 0, NS, 2), 0);
    /* CPTR_EL2's RES1 bits are not TFP. */
    ck_assert_uint_eq(trap(FPEN(3), 0x33ffu & ~TFP, 0, 0, NS, 1), 0);
    /* HCR_EL2.TGE alone (E2H = 0) changes nothing here: the rerouting of
     * EL0's CPACR_EL1 trap to EL2 is part of the exception entry. */
    ck_assert_uint_eq(trap(FPEN(0), 0, 0, TGE, NS, 0), 1);
}
END_TEST

START_TEST(test_secure_el2_disabled)
{
    /* SCR_EL3.NS = 0: EL2 is not enabled (no Secure EL2), CPTR_EL2 is
     * ignored, CPACR_EL1 and CPTR_EL3 still apply. */
    ck_assert_uint_eq(trap(FPEN(3), TFP, 0, 0, 0, 1), 0);
    ck_assert_uint_eq(trap(FPEN(3), TFP, 0, 0, 0, 0), 0);
    ck_assert_uint_eq(trap(FPEN(0), TFP, 0, 0, 0, 1), 1);
    ck_assert_uint_eq(trap(FPEN(3), TFP, TFP, 0, 0, 1), 3);
    /* TGE/E2H have no effect when EL2 is not enabled. */
    ck_assert_uint_eq(trap(FPEN(0), 0, 0, TGE | E2H, 0, 0), 1);
}
END_TEST

START_TEST(test_cptr_el3_tfp)
{
    for (unsigned el = 0; el < 4; el++)
        ck_assert_uint_eq(trap(FPEN(3), 0, TFP, 0, NS, el), 3);
    /* Lowest priority: CPACR_EL1 first, then CPTR_EL2. */
    ck_assert_uint_eq(trap(FPEN(0), TFP, TFP, 0, NS, 1), 1);
    ck_assert_uint_eq(trap(FPEN(3), TFP, TFP, 0, NS, 1), 2);
    ck_assert_uint_eq(trap(FPEN(3), TFP, TFP, 0, NS, 2), 2);
}
END_TEST

START_TEST(test_e2h)
{
    /* E2H = 1, TGE = 1: EL0 is in the host regime, CPACR_EL1 is not
     * checked; CPTR_EL2 has the FPEN layout. */
    ck_assert_uint_eq(trap(FPEN(0), FPEN(3), 0, E2H | TGE, NS, 0), 0);
    static const unsigned want_host[4][3] = {
        /* CPTR_EL2.FPEN: EL0, EL1, EL2 */
        {2, 2, 2},
        {2, 0, 0}, /* 0b01: EL0 only, in the host regime */
        {2, 2, 2},
        {0, 0, 0},
    };
    for (unsigned f = 0; f < 4; f++)
        for (unsigned el = 0; el < 3; el++)
            ck_assert_msg(trap(FPEN(3), FPEN(f), 0, E2H | TGE, NS, el) == want_host[f][el],
                          "E2H TGE CPTR_EL2.FPEN=%u EL%u", f, el);
    /* E2H = 1, TGE = 0: CPACR_EL1 applies at EL0/EL1; CPTR_EL2.FPEN 0b01
     * traps nothing, 0b00 traps EL0, EL1 and EL2. */
    ck_assert_uint_eq(trap(FPEN(3), FPEN(1), 0, E2H, NS, 0), 0);
    ck_assert_uint_eq(trap(FPEN(3), FPEN(0), 0, E2H, NS, 1), 2);
    ck_assert_uint_eq(trap(FPEN(0), FPEN(0), 0, E2H, NS, 1), 1);
    ck_assert_uint_eq(trap(FPEN(3), FPEN(0), 0, E2H, NS, 2), 2);
    /* With E2H = 1, bit 10 (TFP's place) is not a control. */
    ck_assert_uint_eq(trap(FPEN(3), FPEN(3) | TFP, 0, E2H, NS, 1), 0);
}
END_TEST

/* On the engine: CPTR_EL3.TFP, which no guest can set (hvsim's EL3 is
 * the boot ROM and the firmware model, and QEMU virt has no EL3 for the
 * differential image). Set from outside before the run, the first FP/SIMD
 * instruction at EL2 must trap to EL3 with EC 0x07 (IL = 1, CV = 1,
 * COND = 0xE: ESR 0x1fe00000) and ELR = that instruction. In t_fp_trap's
 * image the first one is the EL2 set-up's FMOV d0, Xn. */
struct el3_watch {
    struct hv_machine *m;
    unsigned n;
    struct hv_ev_exc exc;
    uint64_t pc;
};

static void on_exc(void *ctx, const struct hv_event *ev)
{
    struct el3_watch *w = ctx;
    if (!w->m || ev->type != HV_EV_EXC_TAKEN || ev->u.exc.to_el != 3)
        return;
    if (w->n++ == 0) {
        w->exc = ev->u.exc;
        w->pc = ev->pc;
        hv_machine_request_stop(w->m, "test: FP/SIMD trap to EL3 seen");
    }
}

START_TEST(test_cptr_el3_on_engine)
{
    struct hv_platform plat;
    struct hv_machine_opts o;
    struct hv_err err;
    struct hv_obs obs;
    struct hv_run_result res;
    static struct el3_watch w;

    ck_assert_int_eq(hv_platform_builtin("virt", &plat, &err), 0);
    memset(&o, 0, sizeof(o));
    o.platform = &plat;
    o.image = HV_TEST_IMAGES "/fp_trap.elf";
    o.uart_out[0] = "/dev/null";
    hv_obs_init(&obs);
    memset(&w, 0, sizeof(w));
    hv_obs_subscribe(&obs, HV_EV_BIT(HV_EV_EXC_TAKEN), on_exc, &w);
    ck_assert_msg(hv_machine_create(&w.m, &o, &obs, &err) == 0, "%s", err.msg);
    struct hv_cpu *cpu = hv_machine_cpu(w.m);
    ck_assert_int_eq(hv_cpu_sysreg_set(cpu, HV_SYSREG(3, 6, 1, 1, 2), TFP), 0);
    ck_assert_int_eq(hv_machine_run(w.m, &res, &err), 0);
    ck_assert_msg(res.reason == HV_STOP_REQUESTED, "no trap to EL3: %s", res.detail);
    ck_assert_uint_eq(w.exc.from_el, 2);
    ck_assert_uint_eq(w.exc.kind, HV_EXC_SYNC);
    ck_assert_uint_eq(w.exc.esr, 0x1fe00000u);
    ck_assert_uint_eq(w.exc.elr, w.pc);
    /* FMOV Dd, Xn (C7.2.132, sf = 1, ftype = 01, rmode = 00, opcode = 111)
     * with Rd = 0. */
    ck_assert(w.exc.has_insn);
    ck_assert_msg((w.exc.insn & 0xfffffc1fu) == 0x9e670000u, "insn 0x%08x", w.exc.insn);
    uint64_t esr3 = 0;
    ck_assert_int_eq(hv_cpu_sysreg_get(cpu, HV_SYSREG(3, 6, 5, 2, 0), &esr3), 0);
    ck_assert_uint_eq(esr3, 0x1fe00000u);
    hv_machine_destroy(w.m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("fp_trap");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_cpacr_fpen);
    tcase_add_test(tc, test_cptr_el2_tfp);
    tcase_add_test(tc, test_secure_el2_disabled);
    tcase_add_test(tc, test_cptr_el3_tfp);
    tcase_add_test(tc, test_e2h);
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("engine");
    tcase_set_timeout(te, 60);
    tcase_add_test(te, test_cptr_el3_on_engine);
    suite_add_tcase(s, te);
    return s;
}

int main(void)
{
    return hv_check_run(suite());
}
