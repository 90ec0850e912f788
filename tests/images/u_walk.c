/* A two-stage translation to look at with `hvsim walk` (docs/teaching/
 * walk.md). The shapes are those of docs/mmu.md's worked example:
 *
 *   stage 1 (EL1&0): 4K granule, TCR_EL1.T0SZ = 25 (39-bit VA), start level
 *     1 (AArch64.S1StartLevel: 3 - (39 - 1 - 12) / 9 = 1), IPS = 40 bits.
 *     VA 0x40000000..0x40400000 -> IPA the same (this image, 2 MiB blocks);
 *     VA 0x7f200000 -> IPA 0x80_4020_0000 (a 2 MiB block);
 *     VA 0x7f400000: level-2 entry invalid.
 *   stage 2 (VMID 7): 4K granule, VTCR_EL2.T0SZ = 24 (40-bit IPA), SL0 = 1:
 *     start level 1 resolving IPA[39:30], 1024 entries, two concatenated
 *     level-1 tables (8 KiB). IPA 0x40000000..0x40400000 -> the same PA;
 *     IPA 0x80_4020_1000 -> PA 0x44000000 (one 4 KiB page).
 *   So VA 0x7f201234 -> IPA 0x80_4020_1234 -> PA 0x44000234.
 *
 * The guest (EL1, MMU on) reads 4 bytes at VA 0x7f201234 (it finds the
 * value the hypervisor put at PA 0x44000234), then VA 0x7f401234: a stage-1
 * Translation fault at level 2, taken to EL1 (the first abort: what
 * `hvsim walk --at fault` stops at).
 */
#include "rt.h"

#define HCR_VM (1ul << 0)
#define HCR_RW (1ul << 31)

static uint64_t s2_l1[1024] __attribute__((aligned(8192), section(".pgtables")));
static uint64_t s2_l2_low[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t s2_l2_hi[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t s2_l3_hi[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t s1_l1[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t s1_l2[512] __attribute__((aligned(4096), section(".pgtables")));

#define DATA_PA 0x44000000ul
#define VA_OK   0x7f201234ul
#define VA_BAD  0x7f401234ul

static volatile uint64_t seen_esr, seen_far;
static volatile uint32_t seen_value;

static void el1_handler(struct rt_frame *f, unsigned kind)
{
    if (kind == 4 && (f->esr >> 26) == 0x25) {
        seen_esr = f->esr;
        seen_far = f->far;
        f->elr += 4;
        return;
    }
    rt_hvc(2, kind, f->esr, 0);
}

static void guest_main(uint64_t arg)
{
    (void)arg;
    SYSREG_WRITE(vbar_el1, (uint64_t)el1_vectors);
    /* MAIR attr 0 = Normal WB; TCR_EL1: T0SZ 25, TG0 4K, EPD1, IPS 40 bits. */
    SYSREG_WRITE(mair_el1, 0xff);
    SYSREG_WRITE(tcr_el1, 25ul | (1ul << 23) | (2ul << 32));
    SYSREG_WRITE(ttbr0_el1, (uint64_t)s1_l1);
    ISB();
    SYSREG_WRITE(sctlr_el1, SYSREG_READ(sctlr_el1) | 1);
    ISB();
    seen_value = *(volatile uint32_t *)VA_OK;
    (void)*(volatile uint32_t *)VA_BAD;
    rt_hvc(1, 0, 0, 0);
    for (;;)
        ;
}

static void hyp_handler(struct rt_frame *f, unsigned kind)
{
    if (kind == 8 && (f->esr >> 26) == 0x16 && f->x[0] == 1) {
        rt_check(seen_value == 0xc0ffee00u, "VA 0x%lx read PA 0x%lx (0x%x)", VA_OK, DATA_PA + 0x234,
                 (unsigned)seen_value);
        /* DFSC 0b000110: stage-1 Translation fault, level 2 (Arm ARM D17.2.37). */
        rt_check((seen_esr & 0x3f) == 0x06 && seen_far == VA_BAD,
                 "VA 0x%lx: level 2 translation fault (ESR 0x%lx FAR 0x%lx)", VA_BAD,
                 (unsigned long)seen_esr, (unsigned long)seen_far);
    } else {
        rt_printf("unexpected exception kind %u ESR 0x%lx x1 0x%lx\n", kind, (unsigned long)f->esr,
                  (unsigned long)f->x[1]);
        rt_check(false, "no other exception");
    }
    rt_summary("walk");
    rt_exit();
}

int main(uint64_t dtb)
{
    (void)dtb;
    rt_set_el2_handler(hyp_handler);
    rt_set_el1_handler(el1_handler);

    /* Stage 2. Block/page: MemAttr Normal WB (0xf << 2), S2AP RW (3 << 6),
     * SH inner (3 << 8), AF (1 << 10). */
    const uint64_t s2 = (0xful << 2) | (3ul << 6) | (3ul << 8) | (1ul << 10);
    s2_l1[1] = (uint64_t)s2_l2_low | 3;    /* IPA[39:30] = 1 */
    s2_l1[0x201] = (uint64_t)s2_l2_hi | 3; /* IPA 0x80_4000_0000 */
    s2_l2_low[0] = 0x40000000ul | 1 | s2;  /* 2 MiB blocks, identity */
    s2_l2_low[1] = 0x40200000ul | 1 | s2;
    s2_l2_hi[1] = (uint64_t)s2_l3_hi | 3; /* IPA 0x80_4020_0000 */
    s2_l3_hi[1] = DATA_PA | 3 | s2;       /* IPA 0x80_4020_1000 -> PA 0x44000000 */
    *(volatile uint32_t *)(DATA_PA + 0x234) = 0xc0ffee00u;

    /* Stage 1. Block: AttrIndx 0, AP 00 (EL1 RW), SH inner, AF. */
    const uint64_t s1 = (3ul << 8) | (1ul << 10);
    s1_l1[1] = (uint64_t)s1_l2 | 3; /* VA[38:30] = 1 */
    s1_l2[0] = 0x40000000ul | 1 | s1;
    s1_l2[1] = 0x40200000ul | 1 | s1;
    s1_l2[0x1f9] = 0x8040200000ul | 1 | s1; /* VA 0x7f200000 -> IPA 0x80_4020_0000 */
    DSB();

    /* VTCR_EL2: T0SZ 24, SL0 1, TG0 4K, PS 40 bits (2 << 16), RES1 bit 31. */
    SYSREG_WRITE(vtcr_el2, 24ul | (1ul << 6) | (2ul << 16) | (1ul << 31));
    SYSREG_WRITE(vttbr_el2, (uint64_t)s2_l1 | (7ul << 48));
    SYSREG_WRITE(hcr_el2, HCR_VM | HCR_RW);
    ISB();
    __asm__ volatile("tlbi alle1\n dsb sy\n isb" ::: "memory");
    rt_eret_to((uint64_t)guest_main, 0, (uint64_t)__el1_stack_top, 0x3c5);
    return 0;
}
