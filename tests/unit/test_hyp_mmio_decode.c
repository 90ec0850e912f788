/* Unit tests for hypervisor/core/mmio_decode: ESR_EL2 data-abort syndromes
 * (Arm ARM, ESR_ELx ISS encoding for a Data Abort) to MMIO accesses. The
 * syndromes are built field by field from the encoding, with the
 * instruction each one stands for. */
#include <check.h>

#include "check_run.h"
#include <stdint.h>

#include "core/mmio_decode.h"

/* EC 0x24, IL=1, ISV=1 and the given fields. */
static uint64_t dabt(unsigned sas, unsigned sse, unsigned srt, unsigned sf, unsigned wnr)
{
    return (uint64_t)0x24 << 26 | 1u << 25 | 1u << 24 | sas << 22 | sse << 21 | srt << 16 |
           sf << 15 | wnr << 6 | 0x07; /* DFSC: translation fault, level 3 */
}

START_TEST(str_w_register)
{
    /* str w3, [x1, #0x18] at IPA 0x09000018 */
    struct hyp_mmio m;
    ck_assert_int_eq(hyp_mmio_decode(dabt(2, 0, 3, 0, 1), 0x09000018, 0x09000u << 4, &m),
                     HYP_MMIO_OK);
    ck_assert_uint_eq(m.ipa, 0x09000018);
    ck_assert_uint_eq(m.width, 4);
    ck_assert_uint_eq(m.reg, 3);
    ck_assert(m.write);
    ck_assert(!m.sign_extend);
    ck_assert(!m.reg64);
    ck_assert_uint_eq(hyp_mmio_store_value(&m, UINT64_C(0xdeadbeefcafef00d)), 0xcafef00d);
}
END_TEST

START_TEST(ipa_from_hpfar_not_far)
{
    /* With guest stage 1 on, FAR holds the VA; only its page offset is
     * used. HPFAR_EL2.FIPA[39:4] = IPA[51:12]. */
    struct hyp_mmio m;
    ck_assert_int_eq(hyp_mmio_decode(dabt(3, 0, 0, 1, 0), UINT64_C(0xffff000012345abc),
                                     UINT64_C(0x8000123) << 4, &m),
                     HYP_MMIO_OK);
    ck_assert_uint_eq(m.ipa, UINT64_C(0x8000123abc));
    ck_assert_uint_eq(m.width, 8);
    ck_assert(!m.write);
    ck_assert(m.reg64);
}
END_TEST

START_TEST(sign_extension)
{
    struct hyp_mmio m;
    /* ldrsb x5: SAS=0, SSE=1, SF=1 */
    ck_assert_int_eq(hyp_mmio_decode(dabt(0, 1, 5, 1, 0), 0x1000, 1u << 4, &m), HYP_MMIO_OK);
    ck_assert_uint_eq(m.reg, 5);
    ck_assert_uint_eq(hyp_mmio_load_value(&m, 0x180), UINT64_C(0xffffffffffffff80));
    ck_assert_uint_eq(hyp_mmio_load_value(&m, 0x7f), 0x7f);
    /* ldrsh w7: SAS=1, SSE=1, SF=0: sign-extended to 32 bits, upper half 0 */
    ck_assert_int_eq(hyp_mmio_decode(dabt(1, 1, 7, 0, 0), 0x1000, 1u << 4, &m), HYP_MMIO_OK);
    ck_assert_uint_eq(hyp_mmio_load_value(&m, 0xabcd8001), 0xffff8001);
    /* ldrh w7: zero-extended */
    ck_assert_int_eq(hyp_mmio_decode(dabt(1, 0, 7, 0, 0), 0x1000, 1u << 4, &m), HYP_MMIO_OK);
    ck_assert_uint_eq(hyp_mmio_load_value(&m, 0xabcd8001), 0x8001);
    /* ldrsw x2: SAS=2, SSE=1, SF=1 */
    ck_assert_int_eq(hyp_mmio_decode(dabt(2, 1, 2, 1, 0), 0x1000, 1u << 4, &m), HYP_MMIO_OK);
    ck_assert_uint_eq(hyp_mmio_load_value(&m, 0x80000000), UINT64_C(0xffffffff80000000));
    /* ldr x2: the whole value */
    ck_assert_int_eq(hyp_mmio_decode(dabt(3, 0, 2, 1, 0), 0x1000, 1u << 4, &m), HYP_MMIO_OK);
    ck_assert_uint_eq(hyp_mmio_load_value(&m, UINT64_C(0x8000000000000001)),
                      UINT64_C(0x8000000000000001));
}
END_TEST

START_TEST(store_of_zero_register)
{
    /* strb wzr: SRT=31 is the zero register, whatever x30... holds */
    struct hyp_mmio m;
    ck_assert_int_eq(hyp_mmio_decode(dabt(0, 0, 31, 0, 1), 0x1000, 1u << 4, &m), HYP_MMIO_OK);
    ck_assert_uint_eq(m.reg, 31);
    ck_assert_uint_eq(hyp_mmio_store_value(&m, 0x55), 0);
}
END_TEST

START_TEST(refusals)
{
    struct hyp_mmio m;
    /* ISV = 0 (e.g. ldp, or a post-indexed access) */
    ck_assert_int_eq(hyp_mmio_decode(dabt(2, 0, 3, 0, 1) & ~(UINT64_C(1) << 24), 0, 0, &m),
                     HYP_MMIO_NO_SYNDROME);
    /* EC 0x25: data abort at the current EL */
    ck_assert_int_eq(
        hyp_mmio_decode((dabt(2, 0, 3, 0, 1) & ~(UINT64_C(0x3f) << 26)) | (UINT64_C(0x25) << 26), 0,
                        0, &m),
        HYP_MMIO_NOT_DABT);
    /* S1PTW, CM, EA */
    ck_assert_int_eq(hyp_mmio_decode(dabt(2, 0, 3, 0, 0) | 1u << 7, 0, 0, &m), HYP_MMIO_S1PTW);
    ck_assert_int_eq(hyp_mmio_decode(dabt(2, 0, 3, 0, 1) | 1u << 8, 0, 0, &m), HYP_MMIO_CACHE_OP);
    ck_assert_int_eq(hyp_mmio_decode(dabt(2, 0, 3, 0, 1) | 1u << 9, 0, 0, &m), HYP_MMIO_EXTERNAL);
    ck_assert_str_ne(hyp_mmio_strerror(HYP_MMIO_NO_SYNDROME), "ok");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hyp_mmio_decode");
    TCase *tc = tcase_create("decode");
    tcase_add_test(tc, str_w_register);
    tcase_add_test(tc, ipa_from_hpfar_not_far);
    tcase_add_test(tc, sign_extension);
    tcase_add_test(tc, store_of_zero_register);
    tcase_add_test(tc, refusals);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return hv_check_run(suite());
}
