/* See vm_dtb.h. Bindings: Linux Documentation/devicetree/bindings
 * (arm,gic-v3.yaml, arm,arch_timer.yaml, arm,pl011.yaml, arm/psci.yaml),
 * laid out like QEMU virt's DTB so that the same guest finds the same
 * nodes. */
#include "vm_dtb.h"

#include <libfdt.h>

#include <hvsim/rk3568_cru.h>

#define PH_GIC    1
#define PH_CLK    2
#define PH_CRU    3 /* its virtual CRU */
#define PH_PMUCRU 4 /* the PMU part of it (hvsim's layout: +0x8000 in the window) */
#define PH_GRF    5 /* its virtual GRF */

#define CK(x)                                                                                      \
    do {                                                                                           \
        int _r = (x);                                                                              \
        if (_r < 0)                                                                                \
            return _r;                                                                             \
    } while (0)

static int prop_u64s(void *fdt, const char *name, const uint64_t *v, unsigned n)
{
    fdt64_t cells[8];
    for (unsigned i = 0; i < n && i < 8; i++)
        cells[i] = cpu_to_fdt64(v[i]);
    return fdt_property(fdt, name, cells, (int)(n * sizeof(fdt64_t)));
}

static int prop_u32s(void *fdt, const char *name, const uint32_t *v, unsigned n)
{
    fdt32_t cells[16];
    for (unsigned i = 0; i < n && i < 16; i++)
        cells[i] = cpu_to_fdt32(v[i]);
    return fdt_property(fdt, name, cells, (int)(n * sizeof(fdt32_t)));
}

static void hex(char *out, uint64_t v)
{
    char tmp[17];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    while (n)
        *out++ = tmp[--n];
    *out = 0;
}

/* "<stem>@<hex address>" */
static int begin_at(void *fdt, const char *stem, uint64_t addr)
{
    char name[48];
    unsigned i = 0;
    while (stem[i] && i < 30) {
        name[i] = stem[i];
        i++;
    }
    name[i++] = '@';
    hex(name + i, addr);
    return fdt_begin_node(fdt, name);
}

/* Its virtual CRU and GRF (vm/vcru.c), described as hvsim's platform DTB
 * describes the real blocks (Linux's rockchip,rk3568-cru.yaml and the GRF
 * syscon): the CRU window with #clock-cells and #reset-cells = 1 (Linux's
 * rk3568-cru.h clock and reset IDs), its PMU part at +0x8000 as the
 * PMUCRU (hvsim's layout, include/hvsim/rk3568_cru.h), the GRF as a syscon.
 * They are the VM's own: every access traps, and only the fields of its
 * permission table reach the hardware. */
static int vclk_nodes(void *fdt)
{
    CK(begin_at(fdt, "clock-controller", HYP_VCRU_IPA));
    CK(fdt_property_string(fdt, "compatible", "rockchip,rk3568-cru"));
    uint64_t reg[2] = {HYP_VCRU_IPA, RK3568_PMU_BLOCK_OFF};
    CK(prop_u64s(fdt, "reg", reg, 2));
    CK(fdt_property_u32(fdt, "#clock-cells", 1));
    CK(fdt_property_u32(fdt, "#reset-cells", 1));
    CK(fdt_property_u32(fdt, "phandle", PH_CRU));
    CK(fdt_end_node(fdt));

    CK(begin_at(fdt, "clock-controller", HYP_VCRU_IPA + RK3568_PMU_BLOCK_OFF));
    CK(fdt_property_string(fdt, "compatible", "rockchip,rk3568-pmucru"));
    uint64_t preg[2] = {HYP_VCRU_IPA + RK3568_PMU_BLOCK_OFF, HYP_VCLK_SIZE - RK3568_PMU_BLOCK_OFF};
    CK(prop_u64s(fdt, "reg", preg, 2));
    CK(fdt_property_u32(fdt, "#clock-cells", 1));
    CK(fdt_property_u32(fdt, "#reset-cells", 1));
    CK(fdt_property_u32(fdt, "phandle", PH_PMUCRU));
    CK(fdt_end_node(fdt));

    CK(begin_at(fdt, "syscon", HYP_VGRF_IPA));
    static const char grf_compat[] = "rockchip,rk3568-grf\0syscon\0simple-mfd";
    CK(fdt_property(fdt, "compatible", grf_compat, sizeof grf_compat));
    uint64_t greg[2] = {HYP_VGRF_IPA, HYP_VCLK_SIZE};
    CK(prop_u64s(fdt, "reg", greg, 2));
    CK(fdt_property_u32(fdt, "phandle", PH_GRF));
    CK(fdt_end_node(fdt));
    return 0;
}

/* Its passthrough I2C controller (hvsim,simple-i2c, docs/soc.md) at the IPA
 * of its configuration, with its virtual SPI (the configured one, else the
 * device's own INTID), and, when it has a vCRU, its clocks and reset in the
 * PMUCRU (CLK_I2C0, PCLK_I2C0, SRST_I2C0 of Linux's rk3568-cru.h), as the
 * platform's DTB has them. Absent when the platform lacks the device. */
static int i2c_node(void *fdt, const struct hyp_vm_config *vm, const struct hyp_pt_dev *pt,
                    const struct hyp_vm_dtb_plat *p)
{
    const struct hyp_plat_dev *d = hyp_plat_find(p->view, pt->kind, pt->index);
    if (!d)
        return 0;
    (void)vm;
    CK(begin_at(fdt, "i2c", pt->ipa));
    CK(fdt_property_string(fdt, "compatible", "hvsim,simple-i2c"));
    uint64_t reg[2] = {pt->ipa, d->size};
    CK(prop_u64s(fdt, "reg", reg, 2));
    unsigned virq = pt->virq ? pt->virq : (d->intid >= 0 ? (unsigned)d->intid : 0);
    if (virq >= HYP_INTID_SPI_FIRST) {
        uint32_t spi[3] = {0, virq - 32, 4};
        CK(prop_u32s(fdt, "interrupts", spi, 3));
    }
    if (p->vclk && pt->index == 0) {
        uint32_t clocks[4] = {PH_PMUCRU, RK3568_PMUCLKID_CLK_I2C0, PH_PMUCRU,
                              RK3568_PMUCLKID_PCLK_I2C0};
        CK(prop_u32s(fdt, "clocks", clocks, 4));
        static const char names[] = "i2c\0pclk";
        CK(fdt_property(fdt, "clock-names", names, sizeof names));
        uint32_t resets[2] = {PH_PMUCRU, RK3568_PMUSRST_I2C0};
        CK(prop_u32s(fdt, "resets", resets, 2));
    }
    CK(fdt_end_node(fdt));
    return 0;
}

int hyp_vm_dtb_build(const struct hyp_vm_config *vm, const struct hyp_vm_dtb_plat *p, void *buf,
                     size_t size)
{
    if (size > 0x7fffffff)
        size = 0x7fffffff;
    void *fdt = buf;
    CK(fdt_create(fdt, (int)size));
    CK(fdt_finish_reservemap(fdt));
    CK(fdt_begin_node(fdt, ""));
    CK(fdt_property_u32(fdt, "#address-cells", 2));
    CK(fdt_property_u32(fdt, "#size-cells", 2));
    CK(fdt_property_string(fdt, "model", "hvsim hypervisor VM"));
    CK(fdt_property_string(fdt, "compatible", "linux,dummy-virt"));
    CK(fdt_property_u32(fdt, "interrupt-parent", PH_GIC));

    char path[48] = "/pl011@";
    hex(path + 7, vm->console.ipa);
    CK(fdt_begin_node(fdt, "chosen"));
    CK(fdt_property_string(fdt, "stdout-path", path));
    if (vm->bootargs)
        CK(fdt_property_string(fdt, "bootargs", vm->bootargs));
    if (vm->initrd.size) {
        /* linux,initrd-start/end (Linux Documentation/devicetree/usage-model
         * and chosen.yaml): 64-bit IPAs, end exclusive. */
        CK(fdt_property_u64(fdt, "linux,initrd-start", vm->initrd.ipa));
        CK(fdt_property_u64(fdt, "linux,initrd-end", vm->initrd.ipa + vm->initrd.size));
    }
    CK(fdt_end_node(fdt));

    CK(fdt_begin_node(fdt, "psci"));
    static const char psci_compat[] = "arm,psci-1.0\0arm,psci-0.2\0arm,psci";
    CK(fdt_property(fdt, "compatible", psci_compat, sizeof psci_compat));
    CK(fdt_property_string(fdt, "method", "hvc"));
    CK(fdt_end_node(fdt));

    CK(begin_at(fdt, "memory", vm->ram.ipa));
    CK(fdt_property_string(fdt, "device_type", "memory"));
    uint64_t reg[4] = {vm->ram.ipa, vm->ram.size};
    CK(prop_u64s(fdt, "reg", reg, 2));
    CK(fdt_end_node(fdt));

    CK(fdt_begin_node(fdt, "cpus"));
    CK(fdt_property_u32(fdt, "#address-cells", 1));
    CK(fdt_property_u32(fdt, "#size-cells", 0));
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        CK(begin_at(fdt, "cpu", i));
        CK(fdt_property_string(fdt, "device_type", "cpu"));
        CK(fdt_property_string(fdt, "compatible", "arm,cortex-a72"));
        CK(fdt_property_u32(fdt, "reg", i));
        CK(fdt_property_string(fdt, "enable-method", "psci"));
        CK(fdt_end_node(fdt));
    }
    CK(fdt_end_node(fdt));

    /* Timer: <PPI n 4> for the secure, non-secure, virtual and hypervisor
     * timers (arm,arch_timer.yaml); PPI n = INTID - 16. */
    CK(fdt_begin_node(fdt, "timer"));
    CK(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
    uint32_t t[12] = {1, p->ppi_sec - 16,  4, 1, p->ppi_phys - 16, 4,
                      1, p->ppi_virt - 16, 4, 1, p->ppi_hyp - 16,  4};
    CK(prop_u32s(fdt, "interrupts", t, 12));
    CK(fdt_property(fdt, "always-on", "", 0));
    CK(fdt_end_node(fdt));

    CK(fdt_begin_node(fdt, "apb-pclk"));
    CK(fdt_property_string(fdt, "compatible", "fixed-clock"));
    CK(fdt_property_u32(fdt, "#clock-cells", 0));
    CK(fdt_property_u32(fdt, "clock-frequency", p->uart_hz));
    CK(fdt_property_string(fdt, "clock-output-names", "clk24mhz"));
    CK(fdt_property_u32(fdt, "phandle", PH_CLK));
    CK(fdt_end_node(fdt));

    CK(begin_at(fdt, "intc", HYP_VGICD_IPA));
    CK(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
    CK(fdt_property_u32(fdt, "#interrupt-cells", 3));
    CK(fdt_property(fdt, "interrupt-controller", "", 0));
    uint64_t greg[4] = {HYP_VGICD_IPA, 0x10000, HYP_VGICR_IPA, HYP_VGICR_STRIDE * vm->nr_vcpus};
    CK(prop_u64s(fdt, "reg", greg, 4));
    CK(fdt_property_u32(fdt, "#redistributor-regions", 1));
    uint32_t maint[3] = {1, p->ppi_maint - 16, 4};
    CK(prop_u32s(fdt, "interrupts", maint, 3));
    CK(fdt_property_u32(fdt, "phandle", PH_GIC));
    CK(fdt_end_node(fdt));

    CK(begin_at(fdt, "pl011", vm->console.ipa));
    static const char uart_compat[] = "arm,pl011\0arm,primecell";
    CK(fdt_property(fdt, "compatible", uart_compat, sizeof uart_compat));
    uint64_t ureg[2] = {vm->console.ipa, 0x1000};
    CK(prop_u64s(fdt, "reg", ureg, 2));
    if (vm->console.virq) {
        uint32_t spi[3] = {0, vm->console.virq - 32, 4};
        CK(prop_u32s(fdt, "interrupts", spi, 3));
    }
    uint32_t clocks[2] = {PH_CLK, PH_CLK};
    CK(prop_u32s(fdt, "clocks", clocks, 2));
    static const char clock_names[] = "uartclk\0apb_pclk";
    CK(fdt_property(fdt, "clock-names", clock_names, sizeof clock_names));
    CK(fdt_end_node(fdt));

    if (p->vclk)
        CK(vclk_nodes(fdt));
    if (p->view)
        for (unsigned i = 0; i < HYP_MAX_PT_DEVS; i++)
            if (vm->pt[i].kind == HYP_DEV_I2C)
                CK(i2c_node(fdt, vm, &vm->pt[i], p));

    CK(fdt_end_node(fdt));
    CK(fdt_finish(fdt));
    return (int)fdt_totalsize(fdt);
}
