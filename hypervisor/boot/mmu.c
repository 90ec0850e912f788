/* The hypervisor's own translation (EL2 stage 1, identity map) and the
 * page pool that all translation tables come from.
 *
 * Two steps: before the DTB is read, an early map covers the first 2 GiB
 * (0-1 GiB Device, 1-2 GiB Normal, where QEMU virt and hvsim put devices
 * and RAM) so that libfdt runs with caches on and unaligned accesses
 * allowed; then the final map holds exactly the DTB's RAM and the devices
 * the hypervisor uses, and TTBR0_EL2 is switched with a full EL2 TLB
 * invalidation (TLBI ALLE2). */
#include "../arch/sysreg.h"
#include "../hyp.h"
#include "../lib/fmt.h"

static uint64_t pool[HYP_S2_POOL][512] __attribute__((aligned(4096), section(".pgtables")));
static unsigned pool_used;

void *hyp_page_alloc(void)
{
    if (pool_used == HYP_S2_POOL)
        return NULL;
    uint64_t *p = pool[pool_used++];
    for (unsigned i = 0; i < 512; i++)
        p[i] = 0;
    return p;
}

static void *alloc_cb(void *ctx)
{
    (void)ctx;
    return hyp_page_alloc();
}
/* The EL2 map is an identity map: a table's PA is its address. */
static uint64_t to_pa_cb(void *ctx, const void *p)
{
    (void)ctx;
    return (uint64_t)(uintptr_t)p;
}
static void *to_ptr_cb(void *ctx, uint64_t pa)
{
    (void)ctx;
    return (void *)(uintptr_t)pa;
}
const struct pt_alloc hyp_pt_alloc = {NULL, alloc_cb, to_pa_cb, to_ptr_cb};

/* SCTLR_EL2 (D13.2.113) with E2H = 0: RES1 bits 29, 28, 23, 22, 18, 16,
 * 11, 5, 4; M (0), C (2), SA (3), I (12). WXN = 0, A = 0. */
#define SCTLR_EL2_RES1 UINT64_C(0x30c50830)
#define SCTLR_EL2_ON   (SCTLR_EL2_RES1 | 1u | 1u << 2 | 1u << 3 | 1u << 12)

static void mmu_switch(const struct pt *t, unsigned parange)
{
    write_sysreg(mair_el2, PT_MAIR_EL2);
    write_sysreg(tcr_el2, pt_tcr_el2(t, parange));
    dsb(ishst);
    write_sysreg(ttbr0_el2, t->root_pa);
    isb();
    __asm__ volatile("tlbi alle2" ::: "memory");
    dsb(ish);
    isb();
    write_sysreg(sctlr_el2, SCTLR_EL2_ON);
    isb();
}

static unsigned parange(void)
{
    return (unsigned)(read_sysreg(id_aa64mmfr0_el1) & 0xf);
}

void hyp_mmu_early(void)
{
    static struct pt early;
    if (pt_init(&early, &hyp_pt_alloc, 39) ||
        pt_map(&early, 0, 0, UINT64_C(1) << 30, pt_s1_el2_attrs(PT_MEM_DEVICE)) ||
        pt_map(&early, UINT64_C(1) << 30, UINT64_C(1) << 30, UINT64_C(1) << 30,
               pt_s1_el2_attrs(PT_MEM_NORMAL)))
        hyp_panic("early EL2 map");
    mmu_switch(&early, parange());
}

static int map_dev(struct pt *t, uint64_t base, uint64_t size, const char *what, char *err,
                   size_t errlen)
{
    if (!base || !size)
        return 0;
    uint64_t b = base & ~UINT64_C(0xfff), e = (base + size + 0xfff) & ~UINT64_C(0xfff);
    int r = pt_map(t, b, b, e - b, pt_s1_el2_attrs(PT_MEM_DEVICE));
    if (r) {
        hyp_snprintf(err, errlen, "EL2 map of %s at 0x%llx: %s", what, (unsigned long long)base,
                     pt_strerror(r));
        return -1;
    }
    return 0;
}

int hyp_mmu_init(struct hyp *h, char *err, size_t errlen)
{
    struct hyp_platform *p = &h->plat;
    h->parange = parange();
    unsigned bits = 39;
    if (p->ram_base + p->ram_size > (UINT64_C(1) << bits)) {
        hyp_snprintf(err, errlen, "RAM above 2^39 is not supported by the EL2 map");
        return -1;
    }
    if (pt_init(&h->el2, &hyp_pt_alloc, bits)) {
        hyp_snprintf(err, errlen, "out of page-table pages for the EL2 map");
        return -1;
    }
    int r = pt_map(&h->el2, p->ram_base, p->ram_base, p->ram_size, pt_s1_el2_attrs(PT_MEM_NORMAL));
    if (r) {
        hyp_snprintf(err, errlen, "EL2 map of RAM: %s", pt_strerror(r));
        return -1;
    }
    if (map_dev(&h->el2, p->gicd, p->gicd_size, "GICD", err, errlen) ||
        map_dev(&h->el2, p->gicr, p->gicr_size, "GICR", err, errlen) ||
        map_dev(&h->el2, p->evtport, p->evtport_size, "event port", err, errlen) ||
        map_dev(&h->el2, p->cru, p->cru_size, "CRU", err, errlen) ||
        map_dev(&h->el2, p->grf, p->grf_size, "GRF", err, errlen))
        return -1;
    /* Only UART0, the hypervisor's console: the other UARTs belong to VMs. */
    if (map_dev(&h->el2, p->uart[0].base, p->uart[0].size, "UART0", err, errlen))
        return -1;
    mmu_switch(&h->el2, h->parange);
    return 0;
}
