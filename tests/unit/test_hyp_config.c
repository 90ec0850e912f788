/* Unit tests for hypervisor/core/vm_config: validation of the static VM
 * configuration against the platform. Each bad configuration is one change
 * from a good one, and the test checks that the message names the problem. */
#include <check.h>

#include "check_run.h"
#include <string.h>

#include "core/vm_config.h"

static const uint8_t img_bytes[64];
static const struct hyp_image img = {img_bytes, img_bytes + sizeof img_bytes};

/* hvsim's built-in virt (docs/platform.md): RAM 128 MiB, 4 PL011s. */
static struct hyp_plat hvsim_virt(void)
{
    struct hyp_plat p = {.ram_base = 0x40000000,
                         .ram_size = 0x8000000,
                         .hyp_base = 0x40000000,
                         .hyp_size = 0x1000000};
    p.devs[p.ndevs++] = (struct hyp_plat_dev){HYP_DEV_GIC, 0, 0x08000000, 0x10000, -1};
    p.devs[p.ndevs++] = (struct hyp_plat_dev){HYP_DEV_UART, 0, 0x09000000, 0x1000, 33};
    p.devs[p.ndevs++] = (struct hyp_plat_dev){HYP_DEV_UART, 1, 0x09100000, 0x1000, 40};
    p.devs[p.ndevs++] = (struct hyp_plat_dev){HYP_DEV_UART, 2, 0x09110000, 0x1000, 41};
    p.devs[p.ndevs++] = (struct hyp_plat_dev){HYP_DEV_UART, 3, 0x09120000, 0x1000, 42};
    return p;
}

/* QEMU virt: one PL011. */
static struct hyp_plat qemu_virt(void)
{
    struct hyp_plat p = hvsim_virt();
    p.ndevs = 2;
    return p;
}

static struct hyp_vm_config vms[3];
static struct hyp_config cfg;
static char err[256];

static void setup(void)
{
    memset(vms, 0, sizeof vms);
    vms[0] = (struct hyp_vm_config){.name = "rtos",
                                    .id = 1,
                                    .priority = 10,
                                    .nr_vcpus = 1,
                                    .slice_us = 1000,
                                    .ram = {.ipa = 0x40000000, .pa = 0x44000000, .size = 0x400000},
                                    .console = {.uart = 1, .ipa = 0x09000000},
                                    .image = &img,
                                    .load_ipa = 0x40000000,
                                    .entry_ipa = 0x40000000};
    vms[1] = (struct hyp_vm_config){.name = "gpos",
                                    .id = 2,
                                    .priority = 5,
                                    .nr_vcpus = 2,
                                    .slice_us = 2000,
                                    .ram = {.ipa = 0x40000000, .pa = 0x44800000, .size = 0x800000},
                                    .console = {.uart = 2, .ipa = 0x09000000, .virq = 33},
                                    .image = &img,
                                    .load_ipa = 0x40000000,
                                    .entry_ipa = 0x40000000};
    cfg = (struct hyp_config){"test", vms, 2};
    err[0] = 0;
}

static void expect_error(const struct hyp_plat *p, const char *needle)
{
    ck_assert_int_eq(hyp_config_validate(&cfg, p, err, sizeof err), -1);
    ck_assert_msg(strstr(err, needle) != NULL, "message \"%s\" lacks \"%s\"", err, needle);
}

START_TEST(good_config_on_both_platforms)
{
    struct hyp_plat h = hvsim_virt(), q = qemu_virt();
    ck_assert_int_eq(hyp_config_validate(&cfg, &h, err, sizeof err), 0);
    ck_assert_int_eq(hyp_config_validate(&cfg, &q, err, sizeof err), 0);
    ck_assert(hyp_console_is_passthrough(&vms[0], &h));
    ck_assert(!hyp_console_is_passthrough(&vms[0], &q));
}
END_TEST

START_TEST(ram_overlap_between_vms)
{
    struct hyp_plat p = hvsim_virt();
    vms[1].ram.pa = 0x443ff000; /* last page of rtos's RAM */
    expect_error(&p, "vm gpos RAM [0x443ff000,0x44bff000) overlaps vm rtos RAM");
}
END_TEST

START_TEST(ram_outside_platform_or_in_hypervisor)
{
    struct hyp_plat p = hvsim_virt();
    vms[0].ram.pa = 0x47e00000; /* 4 MiB from 0x47e00000 passes 0x48000000 */
    expect_error(&p, "outside the platform RAM");
    setup();
    vms[0].ram.pa = 0x40f00000;
    expect_error(&p, "overlaps the hypervisor's memory");
    setup();
    vms[0].ram.size = 0x400800;
    expect_error(&p, "4 KiB aligned");
}
END_TEST

START_TEST(console_rules)
{
    struct hyp_plat p = hvsim_virt();
    vms[1].console.uart = 1;
    expect_error(&p, "uart1 is given to both vm rtos and vm gpos");
    /* On QEMU both consoles are emulated: no ownership conflict. */
    struct hyp_plat q = qemu_virt();
    ck_assert_int_eq(hyp_config_validate(&cfg, &q, err, sizeof err), 0);
    setup();
    vms[0].console.uart = 0;
    expect_error(&p, "uart0 is the hypervisor's own console");
}
END_TEST

START_TEST(ipa_windows_of_one_vm)
{
    struct hyp_plat p = hvsim_virt();
    vms[0].console.ipa = 0x40100000; /* inside its RAM */
    expect_error(&p, "vm rtos: console 1 at ipa 0x40100000 overlaps RAM 0 at ipa 0x40000000");
    setup();
    vms[0].ram.ipa = 0xfff00000; /* past 4 GiB */
    vms[0].load_ipa = vms[0].entry_ipa = 0xfff00000;
    expect_error(&p, "32-bit IPA space");
    setup();
    vms[1].console.ipa = 0x080c0000; /* inside gpos's 2-vCPU vGICR window */
    expect_error(&p, "vm gpos: console 2 at ipa 0x80c0000 overlaps vGICR 0 at ipa 0x80a0000");
}
END_TEST

START_TEST(passthrough_rules)
{
    struct hyp_plat p = hvsim_virt();
    vms[0].pt[0] = (struct hyp_pt_dev){HYP_DEV_UART, 3, 0x09100000, 0, false};
    ck_assert_int_eq(hyp_config_validate(&cfg, &p, err, sizeof err), 0);
    vms[1].pt[0] = (struct hyp_pt_dev){HYP_DEV_UART, 3, 0x09100000, 0, false};
    expect_error(&p, "uart3 is given to both vm rtos and vm gpos");
    setup();
    vms[0].pt[0] = (struct hyp_pt_dev){HYP_DEV_GIC, 0, 0x08000000, 0, false};
    expect_error(&p, "gic0 belongs to the hypervisor");
    setup();
    vms[0].pt[0] = (struct hyp_pt_dev){HYP_DEV_UART, 0, 0x09100000, 0, false};
    expect_error(&p, "uart0 belongs to the hypervisor");
    setup();
    vms[0].pt[0] = (struct hyp_pt_dev){HYP_DEV_CRU, 0, 0x09200000, 0, false};
    expect_error(&p, "cru0 does not exist on this platform");
    setup();
    struct hyp_plat q = qemu_virt();
    vms[0].pt[0] = (struct hyp_pt_dev){HYP_DEV_UART, 3, 0x09100000, 0, false};
    expect_error(&q, "uart3 does not exist");
    /* An optional device the platform lacks (QEMU virt has no I2C): the
     * VM goes without it; not optional, the configuration is refused. */
    setup();
    vms[1].pt[0] = (struct hyp_pt_dev){HYP_DEV_I2C, 0, 0x09130000, 0, true};
    ck_assert_int_eq(hyp_config_validate(&cfg, &q, err, sizeof err), 0);
    vms[1].pt[0].optional = false;
    expect_error(&q, "vm gpos: passthrough device i2c0 does not exist on this platform");
}
END_TEST

START_TEST(clk_fields_one_owner)
{
    struct hyp_plat p = hvsim_virt();
    vms[0].clk.devs = 1u << 0;           /* uart1 */
    vms[1].clk.devs = 1u << 1 | 1u << 3; /* uart2, i2c0 */
    ck_assert_int_eq(hyp_config_validate(&cfg, &p, err, sizeof err), 0);
    vms[1].clk.devs |= 1u << 0;
    expect_error(&p, "the CRU/GRF fields of device mask 0x1 are given to both vm rtos and vm gpos");
    setup();
    vms[0].clk.fields = 1ull << 13;
    vms[1].clk.fields = 1ull << 13 | 1ull << 2;
    expect_error(&p, "CRU/GRF fields 0x2000 are given to both vm rtos and vm gpos");
}
END_TEST

START_TEST(irq_rules)
{
    struct hyp_plat p = hvsim_virt();
    vms[1].emu[0] = (struct hyp_emu_dev){HYP_EMU_VUART, 0x09010000, 0x1000, 33};
    expect_error(&p, "vm gpos: virtual INTID 33 is used twice");
    setup();
    vms[1].console.virq = 27; /* a PPI */
    expect_error(&p, "virtual INTID 27 is not an SPI");
    setup();
    p.devs[4].intid = 41; /* uart3 on uart2's SPI */
    expect_error(&p, "uart2 and uart3 share INTID 41");
}
END_TEST

START_TEST(names_ids_vcpus_image)
{
    struct hyp_plat p = hvsim_virt();
    vms[1].name = "rtos";
    expect_error(&p, "both named rtos");
    setup();
    vms[1].id = 1;
    expect_error(&p, "both have id 1");
    setup();
    vms[1].nr_vcpus = 0;
    expect_error(&p, "vm gpos: 0 vCPUs");
    setup();
    vms[0].entry_ipa = 0x40400000;
    expect_error(&p, "entry point");
    setup();
    vms[0].load_ipa = 0x403fffe0; /* 64 bytes do not fit in the last 32 */
    expect_error(&p, "does not fit its RAM");
    setup();
    cfg.nr_vms = 0;
    expect_error(&p, "has no VMs");
    setup();
    vms[0].timer_advance_ns = HYP_TIMER_ADVANCE_MAX_NS;
    ck_assert_int_eq(hyp_config_validate(&cfg, &p, err, sizeof err), 0);
    vms[0].timer_advance_ns = HYP_TIMER_ADVANCE_MAX_NS + 1;
    expect_error(&p, "vm rtos: timer advance 100001 ns, at most 100000");
}
END_TEST

/* A preloaded VM has no embedded image; its initrd window lies in its
 * RAM below its DTB. */
START_TEST(preloaded_vm)
{
    struct hyp_plat p = hvsim_virt();
    vms[1].image = NULL;
    vms[1].preloaded = true;
    vms[1].initrd.ipa = 0x40400000;
    vms[1].initrd.size = 0x100000;
    ck_assert_int_eq(hyp_config_validate(&cfg, &p, err, sizeof err), 0);
    vms[1].image = &img;
    expect_error(&p, "vm gpos: a preloaded VM has no embedded image");
    vms[1].image = NULL;
    vms[1].preloaded = false;
    expect_error(&p, "vm gpos: no guest image");
    vms[1].preloaded = true;
    vms[1].initrd.size = 0x400000; /* up to the end of RAM: over its DTB */
    expect_error(&p, "initrd window");
    vms[1].initrd.ipa = 0x3ff00000;
    vms[1].initrd.size = 0x1000;
    expect_error(&p, "initrd window");
}
END_TEST

START_TEST(shared_regions)
{
    struct hyp_plat p = hvsim_virt();
    struct hyp_mem_region sh = {.ipa = 0x50000000, .pa = 0x46000000, .size = 0x10000};
    vms[0].shared[0] = sh;
    vms[1].shared[1] = sh;
    ck_assert_int_eq(hyp_config_validate(&cfg, &p, err, sizeof err), 0);
    vms[1].shared[1].size = 0x8000;
    expect_error(&p, "partly overlap");
    setup();
    vms[0].shared[0] = (struct hyp_mem_region){0x50000000, 0x44800000, 0x1000};
    expect_error(&p, "vm rtos shared region 0 overlaps vm gpos RAM");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hyp_config");
    TCase *tc = tcase_create("validate");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, good_config_on_both_platforms);
    tcase_add_test(tc, ram_overlap_between_vms);
    tcase_add_test(tc, ram_outside_platform_or_in_hypervisor);
    tcase_add_test(tc, console_rules);
    tcase_add_test(tc, ipa_windows_of_one_vm);
    tcase_add_test(tc, passthrough_rules);
    tcase_add_test(tc, clk_fields_one_owner);
    tcase_add_test(tc, irq_rules);
    tcase_add_test(tc, names_ids_vcpus_image);
    tcase_add_test(tc, shared_regions);
    tcase_add_test(tc, preloaded_vm);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return hv_check_run(suite());
}
