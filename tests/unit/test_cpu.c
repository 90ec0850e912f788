/* Unit tests for sim/cpu_el2 that need no image: sysreg table rules, ISS
 * packing, the disassembler. Image-driven CPU tests are end-to-end (pytest). */
#include <check.h>

#include "check_run.h"
#include <stdlib.h>
#include <string.h>

#include "cpu_el2/cpu.h"

START_TEST(test_sysreg_pack)
{
    /* ICC_IAR1_EL1 is op0=3 op1=0 CRn=12 CRm=12 op2=0. */
    uint32_t e = HV_SYSREG(3, 0, 12, 12, 0);
    ck_assert_uint_eq(HV_SYSREG_OP0(e), 3);
    ck_assert_uint_eq(HV_SYSREG_OP1(e), 0);
    ck_assert_uint_eq(HV_SYSREG_CRN(e), 12);
    ck_assert_uint_eq(HV_SYSREG_CRM(e), 12);
    ck_assert_uint_eq(HV_SYSREG_OP2(e), 0);
    /* Arm ARM D17.2.37 / the notes: MRS x0, ICC_IAR1_EL1 trapped to EL2
     * reads ESR_EL2 = 0x62303019 (EC 0x18, IL, ISS below). */
    uint32_t esr = (0x18u << 26) | (1u << 25) | hv_sysreg_trap_iss(e, 0, true);
    ck_assert_uint_eq(esr, 0x62303019u);
}
END_TEST

static uint64_t rd_const(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    (void)ctx;
    (void)cpu;
    return d->arg;
}

static const struct hv_sysreg_desc table_a[] = {
    {.enc = HV_SYSREG(3, 0, 12, 12, 0), .name = "A", .read = rd_const, .arg = 1},
};
static const struct hv_sysreg_desc table_dup[] = {
    {.enc = HV_SYSREG(3, 0, 12, 12, 0), .name = "DUP", .read = rd_const, .arg = 2},
};

START_TEST(test_sysreg_register_rejects_duplicates)
{
    struct hv_cpu *cpu;
    struct hv_err err;
    ck_assert_int_eq(hv_cpu_create(&cpu, NULL, NULL, &err), 0);
    ck_assert_int_eq(hv_cpu_register_sysregs(cpu, table_a, 1, NULL, &err), 0);
    ck_assert_ptr_eq(hv_cpu_find_sysreg(cpu, HV_SYSREG(3, 0, 12, 12, 0)), &table_a[0]);
    ck_assert_ptr_null(hv_cpu_find_sysreg(cpu, HV_SYSREG(3, 0, 12, 12, 1)));
    ck_assert_int_eq(hv_cpu_register_sysregs(cpu, table_dup, 1, NULL, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "already registered as A"));
    hv_cpu_destroy(cpu);
}
END_TEST

START_TEST(test_disasm)
{
    char buf[64];
    hv_disasm_word(0xd4000842u, 0x1000, buf, sizeof(buf)); /* hvc #0x42 */
    ck_assert_str_eq(buf, "hvc #0x42");
    hv_disasm_word(0xd69f03e0u, 0x1000, buf, sizeof(buf));
    ck_assert_str_eq(buf, "eret");
    hv_disasm_word(0xffffffffu, 0x1000, buf, sizeof(buf));
    ck_assert_str_eq(buf, ".inst 0xffffffff");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cpu");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_sysreg_pack);
    tcase_add_test(tc, test_sysreg_register_rejects_duplicates);
    tcase_add_test(tc, test_disasm);
    suite_add_tcase(s, tc);
    return hv_check_run(s);
}
