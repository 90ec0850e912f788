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
static const struct hyp_vm_dtb_plat plat = {29, 30, 27, 26, 25, 24000000, false, NULL};

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

/* hvsim's virt as the hypervisor sees it: I2C0 at 0x09130000 (SPI 11 =
 * INTID 43), UART2, the CRU and GRF. */
static const struct hyp_plat virt = {
    .ram_base = 0x40000000,
    .ram_size = 0x10000000,
    .devs = {{HYP_DEV_UART, 2, 0x09110000, 0x1000, 41},
             {HYP_DEV_I2C, 0, 0x09130000, 0x1000, 43},
             {HYP_DEV_CRU, 0, 0x09200000, 0x10000, -1},
             {HYP_DEV_GRF, 0, 0x09210000, 0x10000, -1}},
    .ndevs = 4,
};

static const char *compat_of(int node)
{
    return fdt_getprop(buf, node, "compatible", NULL);
}

/* A VM with a vCRU/vGRF and I2C0 passed through (gpos on hvsim): its DTB
 * describes its virtual CRU (with the PMUCRU part at +0x8000, hvsim's
 * layout of include/hvsim/rk3568_cru.h) and GRF at HYP_VCRU_IPA /
 * HYP_VGRF_IPA, and its I2C controller at the IPA of its configuration with
 * SPI 11 and, from the PMUCRU, CLK_I2C0 (7), PCLK_I2C0 (45) and SRST_I2C0
 * (4), the IDs of Linux's rk3568-cru.h. */
START_TEST(vcru_and_i2c)
{
    struct hyp_vm_config g = vm;
    g.pt[0] = (struct hyp_pt_dev){.kind = HYP_DEV_I2C, .index = 0, .ipa = 0x09130000};
    struct hyp_vm_dtb_plat pl = plat;
    pl.vclk = true;
    pl.view = &virt;
    ck_assert_int_gt(hyp_vm_dtb_build(&g, &pl, buf, sizeof buf), 0);
    ck_assert_int_eq(fdt_check_header(buf), 0);

    int len, cru = fdt_path_offset(buf, "/clock-controller@9200000");
    ck_assert_int_ge(cru, 0);
    ck_assert_str_eq(compat_of(cru), "rockchip,rk3568-cru");
    const void *reg = fdt_getprop(buf, cru, "reg", &len);
    ck_assert_int_eq(len, 16);
    ck_assert_uint_eq(u64_at(reg, 0), 0x09200000);
    ck_assert_uint_eq(u64_at(reg, 1), 0x8000);
    ck_assert_uint_eq(u32_at(fdt_getprop(buf, cru, "#clock-cells", NULL), 0), 1);
    ck_assert_uint_eq(u32_at(fdt_getprop(buf, cru, "#reset-cells", NULL), 0), 1);

    int pmu = fdt_path_offset(buf, "/clock-controller@9208000");
    ck_assert_int_ge(pmu, 0);
    ck_assert_str_eq(compat_of(pmu), "rockchip,rk3568-pmucru");
    reg = fdt_getprop(buf, pmu, "reg", &len);
    ck_assert_uint_eq(u64_at(reg, 0), 0x09208000);
    ck_assert_uint_eq(u64_at(reg, 1), 0x8000);
    uint32_t pmu_ph = fdt_get_phandle(buf, pmu);
    ck_assert_uint_ne(pmu_ph, 0);
    ck_assert_uint_ne(pmu_ph, fdt_get_phandle(buf, cru));

    int grf = fdt_path_offset(buf, "/syscon@9210000");
    ck_assert_int_ge(grf, 0);
    ck_assert_int_eq(fdt_node_check_compatible(buf, grf, "rockchip,rk3568-grf"), 0);
    ck_assert_int_eq(fdt_node_check_compatible(buf, grf, "syscon"), 0);
    reg = fdt_getprop(buf, grf, "reg", &len);
    ck_assert_uint_eq(u64_at(reg, 0), 0x09210000);
    ck_assert_uint_eq(u64_at(reg, 1), 0x10000);

    int i2c = fdt_path_offset(buf, "/i2c@9130000");
    ck_assert_int_ge(i2c, 0);
    ck_assert_str_eq(compat_of(i2c), "hvsim,simple-i2c");
    reg = fdt_getprop(buf, i2c, "reg", &len);
    ck_assert_uint_eq(u64_at(reg, 0), 0x09130000);
    ck_assert_uint_eq(u64_at(reg, 1), 0x1000);
    const void *irq = fdt_getprop(buf, i2c, "interrupts", &len);
    ck_assert_int_eq(len, 12);
    ck_assert_uint_eq(u32_at(irq, 1), 11);
    const void *clk = fdt_getprop(buf, i2c, "clocks", &len);
    ck_assert_int_eq(len, 16);
    ck_assert_uint_eq(u32_at(clk, 0), pmu_ph);
    ck_assert_uint_eq(u32_at(clk, 1), 7);
    ck_assert_uint_eq(u32_at(clk, 2), pmu_ph);
    ck_assert_uint_eq(u32_at(clk, 3), 45);
    const void *rst = fdt_getprop(buf, i2c, "resets", &len);
    ck_assert_int_eq(len, 8);
    ck_assert_uint_eq(u32_at(rst, 0), pmu_ph);
    ck_assert_uint_eq(u32_at(rst, 1), 4);

    /* Only what it owns: not UART2 (not its device here), one I2C node. */
    ck_assert_int_lt(fdt_path_offset(buf, "/pl011@9110000"), 0);
    ck_assert_int_lt(fdt_node_offset_by_compatible(buf, i2c, "hvsim,simple-i2c"), 0);
}
END_TEST

/* Without a vCRU (QEMU virt) no CRU/GRF node; a VM that does not own the
 * I2C gets no I2C node even when the platform has one; a VM that owns an
 * I2C the platform lacks (optional) gets none either; the I2C node then
 * has no clocks (there is no vCRU to name). */
START_TEST(only_what_it_owns)
{
    struct hyp_vm_dtb_plat pl = plat;
    pl.view = &virt;
    ck_assert_int_gt(hyp_vm_dtb_build(&vm, &pl, buf, sizeof buf), 0);
    ck_assert_int_lt(fdt_node_offset_by_compatible(buf, -1, "rockchip,rk3568-cru"), 0);
    ck_assert_int_lt(fdt_node_offset_by_compatible(buf, -1, "rockchip,rk3568-grf"), 0);
    ck_assert_int_lt(fdt_node_offset_by_compatible(buf, -1, "hvsim,simple-i2c"), 0);

    struct hyp_vm_config g = vm;
    g.pt[0] = (struct hyp_pt_dev){.kind = HYP_DEV_I2C, .index = 0, .ipa = 0x0a000000};
    ck_assert_int_gt(hyp_vm_dtb_build(&g, &pl, buf, sizeof buf), 0);
    int i2c = fdt_path_offset(buf, "/i2c@a000000");
    ck_assert_int_ge(i2c, 0);
    ck_assert_ptr_null(fdt_getprop(buf, i2c, "clocks", NULL));
    ck_assert_int_lt(fdt_node_offset_by_compatible(buf, -1, "rockchip,rk3568-cru"), 0);

    static const struct hyp_plat qemu = {.ram_base = 0x40000000, .ram_size = 0x8000000};
    pl.view = &qemu;
    g.pt[0].optional = true;
    ck_assert_int_gt(hyp_vm_dtb_build(&g, &pl, buf, sizeof buf), 0);
    ck_assert_int_lt(fdt_node_offset_by_compatible(buf, -1, "hvsim,simple-i2c"), 0);
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
    tcase_add_test(tc, vcru_and_i2c);
    tcase_add_test(tc, only_what_it_owns);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return hv_check_run(suite());
}
