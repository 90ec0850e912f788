/* Unit tests for hypervisor/core/vm_dtb: the DTB each VM gets, built here
 * with the host's libfdt and read back node by node. Expected values come
 * from the VM's configuration and the bindings (arm,gic-v3.yaml,
 * arm,arch_timer.yaml, arm,pl011.yaml, arm/psci.yaml). */
#include <check.h>

#include "check_run.h"
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm_dtb.h"

static const uint8_t img[16];
static const struct hyp_image image = {img, img + sizeof img};
static const struct hyp_vm_config vm = {
    .name = "gpos",
    .id = 2,
    .priority = 10,
    .nr_vcpus = 2,
    .slice_us = 2000,
    .ram = {.ipa = 0x40000000, .pa = 0x44800000, .size = 0x800000},
    .console = {.uart = 2, .ipa = 0x09000000, .virq = 33},
    .image = &image,
    .load_ipa = 0x40000000,
    .entry_ipa = 0x40000000};
static const struct hyp_vm_dtb_plat plat = {29, 30, 27, 26, 25, 24000000};

static uint8_t buf[8192];

static uint64_t u64_at(const void *p, int i)
{
    fdt64_t v;
    memcpy(&v, (const uint8_t *)p + 8 * i, 8);
    return fdt64_to_cpu(v);
}
static uint32_t u32_at(const void *p, int i)
{
    fdt32_t v;
    memcpy(&v, (const uint8_t *)p + 4 * i, 4);
    return fdt32_to_cpu(v);
}

START_TEST(valid_and_complete)
{
    int n = hyp_vm_dtb_build(&vm, &plat, buf, sizeof buf);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(fdt_check_header(buf), 0);
    ck_assert_int_eq((int)fdt_totalsize(buf), n);

    int len, node = fdt_path_offset(buf, "/memory@40000000");
    ck_assert_int_ge(node, 0);
    const void *reg = fdt_getprop(buf, node, "reg", &len);
    ck_assert_int_eq(len, 16);
    ck_assert_uint_eq(u64_at(reg, 0), 0x40000000);
    ck_assert_uint_eq(u64_at(reg, 1), 0x800000); /* its RAM only */

    ck_assert_int_ge(fdt_path_offset(buf, "/cpus/cpu@0"), 0);
    ck_assert_int_ge(fdt_path_offset(buf, "/cpus/cpu@1"), 0);
    ck_assert_int_lt(fdt_path_offset(buf, "/cpus/cpu@2"), 0);

    node = fdt_path_offset(buf, "/intc@8000000");
    ck_assert_int_ge(node, 0);
    reg = fdt_getprop(buf, node, "reg", &len);
    ck_assert_int_eq(len, 32);
    ck_assert_uint_eq(u64_at(reg, 2), 0x080a0000);
    ck_assert_uint_eq(u64_at(reg, 3), 2 * 0x20000); /* one GICR frame per vCPU */

    node = fdt_path_offset(buf, "/timer");
    const void *irq = fdt_getprop(buf, node, "interrupts", &len);
    ck_assert_int_eq(len, 48);
    ck_assert_uint_eq(u32_at(irq, 7), 11);  /* virtual timer: PPI 11 = INTID 27 */
    ck_assert_uint_eq(u32_at(irq, 10), 10); /* hypervisor timer: PPI 10 */

    node = fdt_path_offset(buf, "/pl011@9000000");
    ck_assert_int_ge(node, 0);
    irq = fdt_getprop(buf, node, "interrupts", &len);
    ck_assert_int_eq(len, 12);
    ck_assert_uint_eq(u32_at(irq, 0), 0);
    ck_assert_uint_eq(u32_at(irq, 1), 1); /* SPI 1 = INTID 33 */

    node = fdt_path_offset(buf, "/psci");
    ck_assert_str_eq(fdt_getprop(buf, node, "method", NULL), "hvc");
    node = fdt_path_offset(buf, "/chosen");
    ck_assert_str_eq(fdt_getprop(buf, node, "stdout-path", NULL), "/pl011@9000000");

    /* Nothing else: no other UART, no CRU/GRF, no event port. */
    ck_assert_int_lt(
        fdt_node_offset_by_compatible(buf, fdt_path_offset(buf, "/pl011@9000000"), "arm,pl011"), 0);
    ck_assert_int_lt(fdt_node_offset_by_compatible(buf, -1, "hvsim,event-port"), 0);
}
END_TEST

/* A preloaded Linux VM: /chosen carries its command line and the initrd
 * window as 64-bit linux,initrd-start/end (end exclusive); a VM without
 * them gets neither property. */
START_TEST(linux_chosen)
{
    struct hyp_vm_config lx = vm;
    lx.image = NULL;
    lx.preloaded = true;
    lx.bootargs = "console=ttyAMA0,115200";
    lx.initrd.ipa = 0x40400000;
    lx.initrd.size = 0x100000;
    ck_assert_int_gt(hyp_vm_dtb_build(&lx, &plat, buf, sizeof buf), 0);
    int len, node = fdt_path_offset(buf, "/chosen");
    ck_assert_str_eq(fdt_getprop(buf, node, "bootargs", NULL), "console=ttyAMA0,115200");
    const void *p = fdt_getprop(buf, node, "linux,initrd-start", &len);
    ck_assert_int_eq(len, 8);
    ck_assert_uint_eq(u64_at(p, 0), 0x40400000);
    p = fdt_getprop(buf, node, "linux,initrd-end", &len);
    ck_assert_int_eq(len, 8);
    ck_assert_uint_eq(u64_at(p, 0), 0x40500000);

    ck_assert_int_gt(hyp_vm_dtb_build(&vm, &plat, buf, sizeof buf), 0);
    node = fdt_path_offset(buf, "/chosen");
    ck_assert_ptr_null(fdt_getprop(buf, node, "bootargs", NULL));
    ck_assert_ptr_null(fdt_getprop(buf, node, "linux,initrd-start", NULL));
}
END_TEST

START_TEST(too_small_buffer)
{
    ck_assert_int_eq(hyp_vm_dtb_build(&vm, &plat, buf, 256), -FDT_ERR_NOSPACE);
}
END_TEST

START_TEST(deterministic)
{
    static uint8_t other[8192];
    memset(other, 0x55, sizeof other);
    int a = hyp_vm_dtb_build(&vm, &plat, buf, sizeof buf);
    int b = hyp_vm_dtb_build(&vm, &plat, other, sizeof other);
    ck_assert_int_eq(a, b);
    ck_assert_int_eq(memcmp(buf, other, (size_t)a), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hyp_vm_dtb");
    TCase *tc = tcase_create("dtb");
    tcase_add_test(tc, valid_and_complete);
    tcase_add_test(tc, too_small_buffer);
    tcase_add_test(tc, linux_chosen);
    tcase_add_test(tc, deterministic);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return hv_check_run(suite());
}
