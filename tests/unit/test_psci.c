/* Unit tests for the firmware model's PSCI answers (Arm DEN0022 1.1). */
#include <check.h>

#include "check_run.h"
#include <stdlib.h>

#include "platform/psci.h"

static int64_t call(uint64_t fn, uint64_t a1, unsigned ncpus, enum hv_psci_action *act)
{
    struct hv_psci_result r;
    hv_psci_call(fn, a1, 0, 0, ncpus, &r);
    if (act)
        *act = r.action;
    return r.ret;
}

START_TEST(test_psci_answers)
{
    enum hv_psci_action act;
    ck_assert_int_eq(call(PSCI_VERSION_FN, 0, 1, &act), 0x10001);
    ck_assert_int_eq(act, HV_PSCI_CONTINUE);
    /* SMC32 IDs use w0 only: garbage in x0[63:32] is ignored (SMCCC 2.5). */
    ck_assert_int_eq(call(0xdead000084000000ull, 0, 1, NULL), 0x10001);
    ck_assert_int_eq(call(PSCI_FEATURES, PSCI_SYSTEM_OFF, 1, NULL), PSCI_SUCCESS);
    ck_assert_int_eq(call(PSCI_FEATURES, 0x8400ffff, 1, NULL), PSCI_NOT_SUPPORTED);
    ck_assert_int_eq(call(PSCI_CPU_ON_64, 0, 1, NULL), PSCI_ALREADY_ON);
    ck_assert_int_eq(call(PSCI_CPU_ON_64, 1, 1, NULL), PSCI_INVALID_PARAMETERS);
    ck_assert_int_eq(call(PSCI_CPU_ON_64, 0x100, 1, NULL), PSCI_INVALID_PARAMETERS);
    ck_assert_int_eq(call(PSCI_AFFINITY_INFO_64, 0, 1, NULL), 0);
    ck_assert_int_eq(call(PSCI_AFFINITY_INFO_64, 3, 1, NULL), PSCI_INVALID_PARAMETERS);
    ck_assert_int_eq(call(PSCI_MIGRATE_INFO_TYPE, 0, 1, NULL), 2);
    /* MPIDR bits outside Aff3..Aff0 must be zero (DEN0022 5.1.4). */
    ck_assert_int_eq(call(PSCI_CPU_ON_64, 0x80000000ull, 1, NULL), PSCI_INVALID_PARAMETERS);
    ck_assert_int_eq(call(PSCI_AFFINITY_INFO_64, 0x80000000ull, 1, NULL), PSCI_INVALID_PARAMETERS);
    call(PSCI_CPU_SUSPEND_64, 0, 1, &act);
    ck_assert_int_eq(act, HV_PSCI_SUSPEND);
    ck_assert_int_eq(call(PSCI_CPU_SUSPEND_64, 0xffff0000u, 1, &act), PSCI_INVALID_PARAMETERS);
    ck_assert_int_eq(act, HV_PSCI_CONTINUE);
    call(PSCI_SYSTEM_OFF, 0, 1, &act);
    ck_assert_int_eq(act, HV_PSCI_SYSTEM_OFF);
    call(PSCI_SYSTEM_RESET, 0, 1, &act);
    ck_assert_int_eq(act, HV_PSCI_SYSTEM_RESET);
    call(PSCI_CPU_OFF, 0, 1, &act);
    ck_assert_int_eq(act, HV_PSCI_CPU_OFF);
}
END_TEST

START_TEST(test_affinity_info_levels)
{
    struct hv_psci_result r;
    /* Above level 0 the instance holds PE 0: ON, whatever Aff0 says. */
    hv_psci_call(PSCI_AFFINITY_INFO_64, 1, 1, 0, 1, &r);
    ck_assert_int_eq(r.ret, 0);
    hv_psci_call(PSCI_AFFINITY_INFO_64, 1, 0, 0, 1, &r);
    ck_assert_int_eq(r.ret, PSCI_INVALID_PARAMETERS);
}
END_TEST

START_TEST(test_unknown_is_not_supported)
{
    struct hv_psci_result r;
    hv_psci_call(0xc2000001, 0, 0, 0, 1, &r);
    ck_assert(!r.known);
    ck_assert_int_eq(r.ret, -1);
    ck_assert_int_eq(r.action, HV_PSCI_CONTINUE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("psci");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_psci_answers);
    tcase_add_test(tc, test_unknown_is_not_supported);
    tcase_add_test(tc, test_affinity_info_levels);
    suite_add_tcase(s, tc);
    return hv_check_run(s);
}
