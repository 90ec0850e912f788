/* hvsim's hypervisor: boot at EL2 (x0 = DTB, or 0 from QEMU for an ELF,
 * then the DTB is at the start of RAM), platform from the DTB, EL2 MMU,
 * the physical GIC, VMs from the static configuration (validated first),
 * then the scheduler. See docs/hypervisor.md. */
#include <libfdt.h>

#include "arch/sysreg.h"
#include "hyp.h"
#include "lib/fmt.h"

struct hyp g_hyp;

extern const struct hyp_config hyp_default_config;
extern char __hyp_start[], __hyp_end[];

/* QEMU virt's RAM base, where QEMU and hvsim put the DTB for an image
 * linked above it (docs/platform.md). */
#define DTB_FALLBACK 0x40000000ul

static const void *find_dtb(uint64_t x0)
{
    if (x0 && fdt_check_header((const void *)(uintptr_t)x0) == 0)
        return (const void *)(uintptr_t)x0;
    if (fdt_check_header((const void *)DTB_FALLBACK) == 0)
        return (const void *)DTB_FALLBACK;
    return NULL;
}

static void add_dev(struct hyp_plat *v, enum hyp_dev_kind k, unsigned idx, uint64_t base,
                    uint64_t size, int intid)
{
    if (!base || v->ndevs == HYP_MAX_PLAT_DEVS)
        return;
    v->devs[v->ndevs++] = (struct hyp_plat_dev){k, idx, base, size, intid};
}

static void build_view(struct hyp *h)
{
    struct hyp_platform *p = &h->plat;
    struct hyp_plat *v = &h->view;
    v->ram_base = p->ram_base;
    v->ram_size = p->ram_size;
    uint64_t lo = (uint64_t)(uintptr_t)__hyp_start, hi = (uint64_t)(uintptr_t)__hyp_end;
    uint64_t dtb = (uint64_t)(uintptr_t)p->dtb;
    if (dtb < lo && lo - dtb <= 0x200000)
        lo = dtb; /* the DTB just below the image (QEMU and hvsim) */
    v->hyp_base = lo;
    v->hyp_size = hi - lo;
    add_dev(v, HYP_DEV_GIC, 0, p->gicd, p->gicd_size, -1);
    for (unsigned i = 0; i < p->nuarts; i++)
        add_dev(v, HYP_DEV_UART, i, p->uart[i].base, p->uart[i].size, p->uart[i].intid);
    add_dev(v, HYP_DEV_CRU, 0, p->cru, p->cru_size, -1);
    add_dev(v, HYP_DEV_GRF, 0, p->grf, p->grf_size, -1);
    add_dev(v, HYP_DEV_EVTPORT, 0, p->evtport, p->evtport_size, -1);
    add_dev(v, HYP_DEV_I2C, 0, p->i2c, p->i2c_size, p->i2c_intid);
}

static void __attribute__((noreturn)) refuse(struct hyp *h, const char *what, const char *err)
{
    hyp_printf("hyp: %s: %s\n", what, err);
    hyp_printf("hyp: refusing to start\n");
    if (h->plat.have_psci && h->plat.psci_smc)
        hyp_smc(0x84000008u, 0, 0, 0);
    for (;;)
        wfi();
}

void hyp_main(uint64_t x0);
void hyp_main(uint64_t x0)
{
    struct hyp *h = &g_hyp;
    char err[200];
    hyp_mmu_early();
    const void *dtb = find_dtb(x0);
    if (!dtb) {
        /* No console known without a DTB: QEMU virt's UART0 is the best
         * guess for saying why we stop. */
        hyp_console_init(0x09000000);
        hyp_panic("no DTB (x0 = 0 and none at the start of RAM)");
    }
    if (hyp_dt_parse(dtb, &h->plat, err, sizeof err)) {
        hyp_console_init(0x09000000);
        hyp_panic(err);
    }
    hyp_console_init(h->plat.uart[0].base);
    h->freq = read_sysreg(cntfrq_el0);
    hyp_printf("hyp: hvsim hypervisor on \"%s\": RAM 0x%llx+0x%llx, GICD 0x%llx, GICR 0x%llx, "
               "%u UART(s), timer %llu Hz, PSCI %s%s\n",
               h->plat.model, (unsigned long long)h->plat.ram_base,
               (unsigned long long)h->plat.ram_size, (unsigned long long)h->plat.gicd,
               (unsigned long long)h->plat.gicr, h->plat.nuarts, (unsigned long long)h->freq,
               h->plat.have_psci ? (h->plat.psci_smc ? "smc" : "hvc") : "absent",
               h->plat.evtport ? ", event port" : "");

    build_view(h);
    h->cfg = &hyp_default_config;
    if (hyp_config_validate(h->cfg, &h->view, err, sizeof err))
        refuse(h, "configuration refused", err);
    hyp_printf("hyp: configuration \"%s\": %u VMs, valid\n", h->cfg->name, h->cfg->nr_vms);

    if (hyp_mmu_init(h, err, sizeof err))
        refuse(h, "EL2 MMU", err);
    hyp_gic_init(h);

    /* HCR_EL2 (D13.2.46): stage 2 on (VM); interrupts and SErrors to EL2
     * (IMO, FMO, AMO), which also gives guests the virtual CPU interface;
     * WFI and WFE trapped (TWI, TWE); SMC trapped (TSC); EL1 is AArch64
     * (RW); TLBI and barriers broadcast inner shareable (FB, BSU);
     * DC ISW upgraded to DC CISW (SWIO). */
    write_sysreg(hcr_el2, HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS |
                              HCR_TWI | HCR_TWE | HCR_TSC | HCR_RW);
    /* CNTHCTL_EL2 (E2H = 0): EL1PCTEN = 1 (guests may read the physical
     * counter), EL1PCEN = 0 (the EL1 physical timer traps). */
    write_sysreg(cnthctl_el2, 1);
    write_sysreg(cntvoff_el2, 0);
    struct pt probe = {.ia_bits = HYP_IPA_BITS, .start_level = 1};
    write_sysreg(vtcr_el2, pt_vtcr(&probe, h->parange));
    isb();

    hyp_vclk_init(h); /* the CRU/GRF permission tables, before the VMs exist */
    if (hyp_vms_create(h, err, sizeof err))
        refuse(h, "VM creation", err);
    hyp_sched_init(h);
    hyp_printf("hyp: starting %u VMs\n", h->nvms);
    hyp_console_defer(true); /* from now on through the log ring (lib/console.c) */
    hyp_run(h);
}
