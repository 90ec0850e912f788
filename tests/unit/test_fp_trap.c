/* hv_fp_trap_el (sim/cpu_el2/fp_trap.h): the FP/SIMD access-trap decision.
 * Expected values are the Arm ARM's (DDI 0487): D13.2.30 CPACR_EL1.FPEN,
 * D13.2.31 CPTR_EL2 (TFP with E2H = 0, FPEN with E2H = 1), D13.2.32
 * CPTR_EL3.TFP, and the order of the checks in AArch64.CheckFPEnabled and
 * AArch64.CheckFPAdvSIMDTrap (CPACR_EL1, then CPTR_EL2, then CPTR_EL3). */
#include <check.h>

#include "check_run.h"
#include "cpu_el2/fp_trap.h"

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
    return s;
}

int main(void)
{
    return hv_check_run(suite());
}
