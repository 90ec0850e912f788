/* Unit tests for hypervisor/core/vptimer: the emulated EL1 physical timer.
 * Expected values from the Arm ARM (DDI 0487): D11.2.4 "Operation of the
 * CompareValue views and the TimerValue views of the timers" (the
 * condition Counter - CompareValue >= 0; TimerValue = (CompareValue -
 * Counter)<31:0> on reads, CompareValue = Counter + SignExtend(TimerValue)
 * on writes), D19.12 CNTP_CTL_EL0 (ENABLE [0], IMASK [1], ISTATUS [2] RO)
 * and the encodings of CNTP_TVAL/CTL/CVAL_EL0 (op0 3, op1 3, CRn 14, CRm 2,
 * op2 0/1/2), with the ISS layout of an EC 0x18 trap (D17.2.37). */
#include <check.h>

#include "check_run.h"
#include <stdint.h>

#include "core/vptimer.h"

static uint32_t iss(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2,
                    unsigned rt, bool read)
{
    return op0 << 20 | op2 << 17 | op1 << 14 | crn << 10 | rt << 5 | crm << 1 | (read ? 1 : 0);
}

START_TEST(decode_from_iss)
{
    ck_assert_int_eq(vptimer_reg_of_iss(iss(3, 3, 14, 2, 0, 5, true)), VPT_TVAL);
    ck_assert_int_eq(vptimer_reg_of_iss(iss(3, 3, 14, 2, 1, 0, false)), VPT_CTL);
    ck_assert_int_eq(vptimer_reg_of_iss(iss(3, 3, 14, 2, 2, 31, true)), VPT_CVAL);
    /* CNTV_CTL_EL0 (CRm 3), CNTPCT_EL0 (CRm 0), CNTHP_CTL_EL2 (op1 4),
     * op2 3 of CRm 2: not the EL1 physical timer's. */
    ck_assert_int_eq(vptimer_reg_of_iss(iss(3, 3, 14, 3, 1, 0, true)), -1);
    ck_assert_int_eq(vptimer_reg_of_iss(iss(3, 3, 14, 0, 1, 0, true)), -1);
    ck_assert_int_eq(vptimer_reg_of_iss(iss(3, 4, 14, 2, 1, 0, true)), -1);
    ck_assert_int_eq(vptimer_reg_of_iss(iss(3, 3, 14, 2, 3, 0, true)), -1);
    /* The ESR's EC and IL bits above the ISS do not matter. */
    ck_assert_int_eq(vptimer_reg_of_iss(0x18u << 26 | 1u << 25 | iss(3, 3, 14, 2, 1, 0, false)),
                     VPT_CTL);
}
END_TEST

START_TEST(reset_and_ctl)
{
    struct vptimer t;
    vptimer_reset(&t);
    ck_assert_uint_eq(vptimer_read(&t, VPT_CTL, 1000), 0); /* disabled: ISTATUS 0 */
    ck_assert(!vptimer_output(&t, 1000));
    /* Only ENABLE and IMASK are writable; ISTATUS is read-only. */
    vptimer_write(&t, VPT_CTL, 0xffffffffffffffffu, 1000);
    ck_assert_uint_eq(t.ctl, 3);
    /* CVAL = 0 <= Counter: condition met, ISTATUS = 1, but masked. */
    ck_assert_uint_eq(vptimer_read(&t, VPT_CTL, 1000), 7);
    ck_assert(vptimer_istatus(&t, 1000) && !vptimer_output(&t, 1000));
    vptimer_write(&t, VPT_CTL, 1, 1000);
    ck_assert_uint_eq(vptimer_read(&t, VPT_CTL, 1000), 5);
    ck_assert(vptimer_output(&t, 1000));
}
END_TEST

START_TEST(cval_condition_and_deadline)
{
    struct vptimer t;
    vptimer_reset(&t);
    vptimer_write(&t, VPT_CVAL, 5000, 1000);
    vptimer_write(&t, VPT_CTL, 1, 1000);
    ck_assert_uint_eq(vptimer_read(&t, VPT_CVAL, 1000), 5000);
    ck_assert(!vptimer_output(&t, 4999));
    ck_assert(vptimer_output(&t, 5000)); /* Counter - CVAL >= 0 */
    ck_assert_uint_eq(vptimer_deadline(&t, 1000), 5000);
    /* Already up, masked or disabled: no deadline. */
    ck_assert_uint_eq(vptimer_deadline(&t, 5000), UINT64_MAX);
    vptimer_write(&t, VPT_CTL, 3, 1000);
    ck_assert_uint_eq(vptimer_deadline(&t, 1000), UINT64_MAX);
    vptimer_write(&t, VPT_CTL, 0, 1000);
    ck_assert_uint_eq(vptimer_deadline(&t, 1000), UINT64_MAX);
    /* An unsigned compare: CVAL near 2^64 is far in the future. */
    vptimer_write(&t, VPT_CVAL, UINT64_MAX - 1, 0);
    vptimer_write(&t, VPT_CTL, 1, 0);
    ck_assert(!vptimer_output(&t, UINT64_C(1) << 62));
}
END_TEST

START_TEST(tval_views)
{
    struct vptimer t;
    vptimer_reset(&t);
    /* Write: CVAL = Counter + SignExtend(value<31:0>). */
    vptimer_write(&t, VPT_TVAL, 625, 100000);
    ck_assert_uint_eq(t.cval, 100625);
    ck_assert_uint_eq(vptimer_read(&t, VPT_TVAL, 100000), 625);
    ck_assert_uint_eq(vptimer_read(&t, VPT_TVAL, 100600), 25);
    /* Past the compare value: (CVAL - Counter)<31:0> is negative as 32 bits,
     * bits [63:32] read as zero. */
    ck_assert_uint_eq(vptimer_read(&t, VPT_TVAL, 100626), 0xffffffffu);
    /* A negative TimerValue (bit 31 set) moves CVAL back; bits [63:32] of
     * the written value are ignored. */
    vptimer_write(&t, VPT_TVAL, UINT64_C(0xabcd0000fffffff6), 100000);
    ck_assert_uint_eq(t.cval, 99990);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hyp_vptimer");
    TCase *tc = tcase_create("vptimer");
    tcase_add_test(tc, decode_from_iss);
    tcase_add_test(tc, reset_and_ctl);
    tcase_add_test(tc, cval_condition_and_deadline);
    tcase_add_test(tc, tval_views);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return hv_check_run(suite());
}
