/* Machine-level tests that need control no CLI option gives: driving the
 * PE's physical IRQ/FIQ input lines (the GIC model's job later) and checking
 * where the interrupt is taken under each HCR_EL2 routing (Arm ARM D1.13.2).
 * The image is tests/images/u_lines.c; its report comes back through UART0. */
#define _DEFAULT_SOURCE
#include <check.h>

#include "check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu_el2/cpu.h"
#include "platform/machine.h"
#include "platform/platform.h"

static char *run_lines(char mode, enum hv_cpu_line line, struct hv_run_result *res)
{
    char in_path[] = "/tmp/hvsim-lines-in-XXXXXX";
    char out_path[] = "/tmp/hvsim-lines-out-XXXXXX";
    int in_fd = mkstemp(in_path), out_fd = mkstemp(out_path);
    struct hv_platform plat;
    struct hv_machine_opts o;
    struct hv_machine *m;
    struct hv_err err;
    static char out[4096];

    ck_assert(in_fd >= 0 && out_fd >= 0);
    ck_assert_int_eq(write(in_fd, &mode, 1), 1);
    close(in_fd);
    close(out_fd);
    ck_assert_int_eq(hv_platform_builtin("virt", &plat, &err), 0);
    memset(&o, 0, sizeof(o));
    o.platform = &plat;
    o.image = HV_TEST_IMAGES "/u_lines.elf";
    o.uart_in[0] = in_path;
    o.uart_out[0] = out_path;
    ck_assert_msg(hv_machine_create(&m, &o, NULL, &err) == 0, "%s", err.msg);
    hv_cpu_set_line(hv_machine_cpu(m), line, true);
    ck_assert_int_eq(hv_machine_run(m, res, &err), 0);
    hv_machine_destroy(m);

    FILE *f = fopen(out_path, "r");
    size_t n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = 0;
    fclose(f);
    unlink(in_path);
    unlink(out_path);
    return out;
}

#define EXPECT(mode, line, text)                                                                   \
    do {                                                                                           \
        struct hv_run_result res;                                                                  \
        const char *out = run_lines(mode, line, &res);                                             \
        ck_assert_int_eq(res.reason, HV_STOP_SYSTEM_OFF);                                          \
        ck_assert_msg(strstr(out, text) != NULL, "mode %c: expected '%s' in:\n%s", mode, text,     \
                      out);                                                                        \
    } while (0)

START_TEST(test_irq_imo_routes_to_el2)
{
    EXPECT('a', HV_LINE_IRQ, "taken at EL2: IRQ/lower");
}
END_TEST

START_TEST(test_irq_without_imo_stays_at_el1)
{
    EXPECT('b', HV_LINE_IRQ, "taken at EL1: IRQ/SPx");
}
END_TEST

START_TEST(test_fiq_fmo_routes_to_el2)
{
    EXPECT('c', HV_LINE_FIQ, "taken at EL2: FIQ/lower");
}
END_TEST

START_TEST(test_fiq_without_fmo_stays_at_el1)
{
    EXPECT('d', HV_LINE_FIQ, "taken at EL1: FIQ/SPx");
}
END_TEST

START_TEST(test_irq_at_el2_with_imo)
{
    EXPECT('e', HV_LINE_IRQ, "taken at EL2: IRQ/SPx");
}
END_TEST

START_TEST(test_irq_at_el2_without_imo_not_taken)
{
    EXPECT('f', HV_LINE_IRQ, "not taken at EL2");
}
END_TEST

/* Regression: the vIRQ line once used QEMU's CPU_INTERRUPT_DEBUG bit, which
 * stopped the engine for good the first time a GIC list register made a
 * virtual interrupt pending. With HCR_EL2.IMO=1 it is taken at EL1. */
START_TEST(test_virq_line_taken_at_el1)
{
    EXPECT('a', HV_LINE_VIRQ, "taken at EL1: IRQ/SPx");
}
END_TEST

START_TEST(test_vfiq_line_needs_fmo)
{
    EXPECT('c', HV_LINE_VFIQ, "taken at EL1: FIQ/SPx");
}
END_TEST

START_TEST(test_no_line_no_interrupt)
{
    EXPECT('a', HV_LINE_VFIQ, "not taken at EL1"); /* vFIQ needs FMO: mode a sets IMO only */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("machine");
    TCase *tc = tcase_create("lines");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_irq_imo_routes_to_el2);
    tcase_add_test(tc, test_irq_without_imo_stays_at_el1);
    tcase_add_test(tc, test_fiq_fmo_routes_to_el2);
    tcase_add_test(tc, test_fiq_without_fmo_stays_at_el1);
    tcase_add_test(tc, test_irq_at_el2_with_imo);
    tcase_add_test(tc, test_irq_at_el2_without_imo_not_taken);
    tcase_add_test(tc, test_no_line_no_interrupt);
    tcase_add_test(tc, test_virq_line_taken_at_el1);
    tcase_add_test(tc, test_vfiq_line_needs_fmo);
    suite_add_tcase(s, tc);
    return hv_check_run(s);
}
