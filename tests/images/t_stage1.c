/* Stage-1 translation of the EL1&0 regime (Arm ARM D8, VMSAv8-64).
 *
 * EL2 only enters an EL1 guest (HCR_EL2.RW=1, VM=0: no stage 2, so IPA = PA)
 * and powers off when the guest says it is done. The guest builds its own
 * stage-1 tables (4 KiB granule, 39-bit VA for both TTBR0_EL1 and TTBR1_EL1:
 * the walk starts at level 1, D8 "Translation process"), turns on
 * SCTLR_EL1.M and then provokes faults that it takes itself at EL1 (ESR_EL1
 * EC 0x25/0x21, D17.2.37). Its handler records ESR/FAR/ELR and skips the
 * faulting instruction (ELR += 4), except for the instruction abort, where
 * it returns to the caller (ELR = X30) since the faulting PC is the branch
 * target.
 *
 * Guest VA map (TTBR0, identity unless said otherwise):
 *   0x09000000 2 MiB block   Device-nGnRnE (the PL011)
 *   0x40200000 2 MiB block   Normal WB, EL1 RW: the image and its stacks
 *   0x40400000 level-3 table (l3_test):
 *     +0x0000 invalid                         -> level 3 translation fault
 *     +0x1000 data_a, AF=0                    -> level 3 access flag fault
 *     +0x2000 data_a, AP[2]=1 (read-only)     -> level 3 permission fault
 *     +0x3000 the code page of `stub`, PXN=1  -> instruction abort
 *     +0x4000 data_a, then data_b             -> TLBI after a remap
 *   0x40600000 level 2 entry invalid          -> level 2 translation fault
 *   0x80000000 level 1 entry invalid          -> level 1 translation fault
 * TTBR1: 0xffffff8040200000 -> the same 2 MiB block as 0x40200000.
 */
#include "mmu_helpers.h"
#include "rt.h"

#define HCR_RW (1ul << 31)

#define HVC_DONE 1

/* VA 0xffffff8000000000 is the bottom of the TTBR1 region for T1SZ=25
 * (VA[63:39] all ones: D8 "Translation process", TTBR selection). */
#define HI_BASE 0xffffff8000000000ul

#define VA_L3TEST  0x40400000ul
#define VA_L3_INV  (VA_L3TEST + 0x0000)
#define VA_L3_NOAF (VA_L3TEST + 0x1000)
#define VA_L3_RO   (VA_L3TEST + 0x2000)
#define VA_L3_XN   (VA_L3TEST + 0x3000)
#define VA_L3_REMP (VA_L3TEST + 0x4000)
#define VA_L2_INV  0x40600000ul
#define VA_L1_INV  0x80000000ul

/* MAIR_EL1: Attr0 = 0x00 Device-nGnRnE, Attr1 = 0xff Normal Inner/Outer
 * Write-Back Read/Write-Allocate (MAIR_EL1 register description). */
#define MAIR_VALUE   0xff00ul
#define ATTR_DEVICE  0
#define ATTR_NORMAL  1
#define NORMAL_BLOCK (PTE_BLOCK | S1_ATTR(ATTR_NORMAL) | S1_SH_INNER | S1_AF | S1_UXN)
#define NORMAL_PAGE  (PTE_PAGE | S1_ATTR(ATTR_NORMAL) | S1_SH_INNER | S1_AF | S1_UXN)

/* TCR_EL1: T0SZ=T1SZ=25 (39-bit VA), IRGN/ORGN = 01 (Write-Back walks),
 * SH = 11 (Inner Shareable), TG0 = 00 (4 KiB), TG1 = 10 (4 KiB: TG1 has its
 * own encoding), IPS = 000 (32-bit PA, enough for RAM below 4 GiB),
 * HA = HD = 0 (no hardware Access flag or dirty state update, so an AF=0
 * descriptor gives an Access flag fault, D8 "The Access flag"). */
#define TCR_VALUE                                                                                  \
    (25ul | (1ul << 8) | (1ul << 10) | (3ul << 12) | (0ul << 14) | (25ul << 16) | (1ul << 24) |    \
     (1ul << 26) | (3ul << 28) | (2ul << 30))

/* SCTLR_EL1: RES1 bits 29, 28, 23, 22, 20, 11 (ARMv8.0), M, C, I. */
#define SCTLR_RES1  0x30d00800ul
#define SCTLR_VALUE (SCTLR_RES1 | (1ul << 0) | (1ul << 2) | (1ul << 12))

static uint64_t l1_lo[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t l1_hi[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t l2_low[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t l2_ram[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t l3_test[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t data_a[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t data_b[512] __attribute__((aligned(4096), section(".pgtables")));

/* A position-independent stub on a page of its own: returns its own address
 * (ADR X0, . ; RET). Run through the TTBR1 alias and through the PXN page. */
extern char stub[];
__asm__(".pushsection .text.stub, \"ax\"\n"
        ".balign 4096\n"
        ".global stub\n"
        "stub:\n"
        "    adr x0, .\n"
        "    ret\n"
        ".popsection\n");

/* What the EL1 handler saw. */
static volatile struct {
    unsigned taken;
    uint64_t esr, far, elr;
} flt;
static volatile uint64_t probe_pc;

static void guest_handler(struct rt_frame *f, unsigned kind)
{
    unsigned ec = (unsigned)(f->esr >> 26);
    /* Only synchronous aborts, current EL with SP_ELx, are expected. */
    if (kind != 4 || (ec != EC_DABT_CUR && ec != EC_IABT_CUR)) {
        rt_check(false, "unexpected exception kind %u ESR 0x%lx FAR 0x%lx ELR 0x%lx", kind, f->esr,
                 f->far, f->elr);
        rt_summary("stage1");
        rt_hvc(HVC_DONE, 0, 0, 0);
    }
    flt.taken++;
    flt.esr = f->esr;
    flt.far = f->far;
    flt.elr = f->elr;
    if (ec == EC_IABT_CUR) {
        /* ELR is the unexecutable branch target: return to the caller. */
        f->x[0] = 0xdead;
        f->elr = f->x[30];
    } else {
        f->elr += 4;
    }
}

/* One load or store whose address the handler can check (ELR == probe_pc).
 * X9 starts as a sentinel so a skipped load leaves a known value. */
static uint64_t probe_ld(uint64_t va)
{
    uint64_t v;
    flt.taken = 0;
    __asm__ volatile("adr x16, 1f\n"
                     "str x16, [%[pc]]\n"
                     "movz x9, #0x5e17\n"
                     "1: ldr x9, [%[va]]\n"
                     "mov %[v], x9"
                     : [v] "=r"(v)
                     : [va] "r"(va), [pc] "r"(&probe_pc)
                     : "x9", "x16", "memory");
    return v;
}

static void probe_st(uint64_t va, uint64_t v)
{
    flt.taken = 0;
    __asm__ volatile("adr x16, 1f\n"
                     "str x16, [%[pc]]\n"
                     "1: str %[v], [%[va]]"
                     :
                     : [va] "r"(va), [v] "r"(v), [pc] "r"(&probe_pc)
                     : "x16", "memory");
}

static void check_fault(const char *what, uint64_t esr, uint64_t far)
{
    bool ok = flt.taken == 1 && flt.esr == esr && flt.far == far && flt.elr == probe_pc;
    rt_check(ok, "%s: ESR 0x%lx FAR 0x%lx", what, flt.esr, flt.far);
    if (!ok)
        rt_printf("     expected 1 fault, ESR 0x%lx FAR 0x%lx ELR 0x%lx; got %u, ELR 0x%lx\n", esr,
                  far, probe_pc, flt.taken, flt.elr);
}

static void build_tables(void)
{
    uint64_t img = (uint64_t)stub & ~0x1ffffful; /* the image's 2 MiB block */

    l1_lo[0] = (uint64_t)l2_low | PTE_TABLE;
    l1_lo[1] = (uint64_t)l2_ram | PTE_TABLE;
    /* l1_lo[2] (VA 0x80000000) stays invalid. */
    l2_low[0x09000000ul >> 21] =
        0x09000000ul | PTE_BLOCK | S1_ATTR(ATTR_DEVICE) | S1_AF | S1_PXN | S1_UXN;
    l2_ram[(img >> 21) & 511] = img | NORMAL_BLOCK;
    l2_ram[(VA_L3TEST >> 21) & 511] = (uint64_t)l3_test | PTE_TABLE;
    /* l2_ram[3] (VA 0x40600000) stays invalid. */

    /* l3_test[0] stays invalid. */
    l3_test[1] = ((uint64_t)data_a | NORMAL_PAGE) & ~S1_AF;
    l3_test[2] = (uint64_t)data_a | NORMAL_PAGE | S1_AP_RO_EL1;
    l3_test[3] = (uint64_t)stub | NORMAL_PAGE | S1_PXN;
    l3_test[4] = (uint64_t)data_a | NORMAL_PAGE;

    /* TTBR1: VA[38:30] of 0xffffff8040200000 is 1, as for 0x40200000. */
    l1_hi[1] = (uint64_t)l2_ram | PTE_TABLE;

    for (unsigned i = 0; i < 512; i++) {
        data_a[i] = 0xaaaa000000000000ul | i;
        data_b[i] = 0xbbbb000000000000ul | i;
    }
    /* The tables were written with the MMU off (Device accesses); the walks
     * will be Write-Back cacheable: make sure no stale line hides them. */
    uint64_t *tables[] = {l1_lo, l1_hi, l2_low, l2_ram, l3_test, data_a, data_b};
    for (unsigned i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
        dc_civac_range(tables[i], 4096);
}

static void guest_main(uint64_t arg)
{
    (void)arg;
    rt_set_el1_handler(guest_handler);
    SYSREG_WRITE(vbar_el1, (uint64_t)el1_vectors);
    ISB();
    rt_puts("[guest] building stage-1 tables at EL1\n");
    build_tables();

    SYSREG_WRITE(mair_el1, MAIR_VALUE);
    SYSREG_WRITE(tcr_el1, TCR_VALUE);
    SYSREG_WRITE(ttbr0_el1, (uint64_t)l1_lo);
    SYSREG_WRITE(ttbr1_el1, (uint64_t)l1_hi);
    ISB();
    __asm__ volatile("tlbi vmalle1\n dsb nsh\n isb" ::: "memory");
    SYSREG_WRITE(sctlr_el1, SCTLR_VALUE);
    ISB();
    rt_check(SYSREG_READ(sctlr_el1) & 1, "SCTLR_EL1.M=1, stage 1 on");
    rt_check(data_b[3] == 0xbbbb000000000003ul, "identity-mapped data reads back");

    /* Translation faults: an invalid descriptor at level L gives DFSC
     * 0b0001LL (D17.2.37 DFSC), FAR = the faulting VA, EC 0x25 because the
     * abort is taken to EL1 from EL1, IL=1, ISV=0 (ISV is only set for
     * stage-2 aborts reported in ESR_EL2). */
    const uint64_t dabt = ESR_EC(EC_DABT_CUR) | ESR_IL;
    probe_ld(VA_L1_INV + 0x58);
    check_fault("level 1 translation fault", dabt | FSC_TRANS(1), VA_L1_INV + 0x58);
    probe_ld(VA_L2_INV + 0x1230);
    check_fault("level 2 translation fault", dabt | FSC_TRANS(2), VA_L2_INV + 0x1230);
    probe_ld(VA_L3_INV + 0x7f8);
    check_fault("level 3 translation fault", dabt | FSC_TRANS(3), VA_L3_INV + 0x7f8);

    /* AF=0 with TCR_EL1.HA=0: Access flag fault, DFSC 0b0010LL (D8 "The
     * Access flag"). */
    probe_ld(VA_L3_NOAF + 0x10);
    check_fault("level 3 access flag fault", dabt | FSC_AF(3), VA_L3_NOAF + 0x10);

    /* AP[2:1]=10: EL1 read-only. A read succeeds, a write gives a
     * Permission fault, DFSC 0b0011LL, WnR=1 (D8 "Memory access control"). */
    uint64_t v = probe_ld(VA_L3_RO + 0x18);
    rt_check(flt.taken == 0 && v == 0xaaaa000000000003ul, "read of the read-only page: 0x%lx", v);
    probe_st(VA_L3_RO + 0x20, 0x1234);
    check_fault("store to read-only page", dabt | ESR_WNR | FSC_PERM(3), VA_L3_RO + 0x20);
    rt_check(data_a[4] == 0xaaaa000000000004ul, "the read-only page was not written");

    /* PXN=1: executing there at EL1 is a Permission fault, reported as an
     * Instruction Abort taken without a change of EL: EC 0x21, IL=1,
     * IFSC 0b001111, FAR = ELR = the branch target. */
    uint64_t (*xn_fn)(void) = (uint64_t(*)(void))VA_L3_XN;
    flt.taken = 0;
    probe_pc = VA_L3_XN;
    v = xn_fn();
    check_fault("instruction abort on a PXN page", ESR_EC(EC_IABT_CUR) | ESR_IL | FSC_PERM(3),
                VA_L3_XN);

    /* TTBR1: a VA with bits [63:39] all ones is translated from TTBR1_EL1
     * (D8 "Translation process"): run the stub at its high alias; it
     * returns its own PC. */
    uint64_t hi = (uint64_t)stub + HI_BASE;
    v = ((uint64_t(*)(void))hi)();
    rt_check(v == hi, "ran at the TTBR1 alias 0x%lx, ADR returned 0x%lx", hi, v);
    v = *(volatile uint64_t *)((uint64_t)&data_b[5] + HI_BASE);
    rt_check(v == 0xbbbb000000000005ul, "data read through the TTBR1 alias: 0x%lx", v);

    /* AT S1E1R: on success PAR_EL1.F=0, PA[47:12], SH, ATTR = the MAIR_EL1
     * byte (0xff); on failure F=1 and FST is the fault status code, PTW=S=0
     * (PAR_EL1 register description). Bits 11 (RES1), 10 (IMP DEF) and
     * 9 (NS, UNKNOWN in a Non-secure regime) are printed, not checked. */
    uint64_t par = at_s1e1r(VA_L3_REMP + 0x10);
    rt_check(!(par & PAR_F) && (par & PAR_PA_MASK) == (uint64_t)data_a && PAR_SH(par) == 3 &&
                 PAR_ATTR(par) == 0xff,
             "AT S1E1R 0x%lx: PAR_EL1 0x%lx", VA_L3_REMP + 0x10, par);
    par = at_s1e1r(hi);
    rt_check(!(par & PAR_F) && (par & PAR_PA_MASK) == (uint64_t)stub,
             "AT S1E1R 0x%lx: PAR_EL1 0x%lx", hi, par);
    par = at_s1e1r(VA_L1_INV + 0x58);
    rt_check((par & PAR_F) && PAR_FST(par) == FSC_TRANS(1) && !(par & (PAR_PTW | PAR_S)),
             "AT S1E1R 0x%lx: PAR_EL1 0x%lx", VA_L1_INV + 0x58, par);
    /* The other fault kinds are reported the same way: Access flag fault
     * (AF=0) and, for AT S1E1W on the read-only page, Permission fault. */
    par = at_s1e1r(VA_L3_NOAF);
    rt_check((par & PAR_F) && PAR_FST(par) == FSC_AF(3) && !(par & (PAR_PTW | PAR_S)),
             "AT S1E1R 0x%lx: PAR_EL1 0x%lx", VA_L3_NOAF, par);
    par = at_s1e1w(VA_L3_RO);
    rt_check((par & PAR_F) && PAR_FST(par) == FSC_PERM(3) && !(par & (PAR_PTW | PAR_S)),
             "AT S1E1W 0x%lx: PAR_EL1 0x%lx", VA_L3_RO, par);

    /* Remap VA_L3_REMP from data_a to data_b with break-before-make
     * (D8 "Break-before-make"): invalidate the entry, TLBI VAE1IS + DSB so
     * no TLB holds the old translation, check it now faults, then write the
     * new one (an invalid entry is never cached, so no second TLBI). */
    v = probe_ld(VA_L3_REMP + 0x30);
    rt_check(flt.taken == 0 && v == 0xaaaa000000000006ul, "before remap: 0x%lx (data_a)", v);
    l3_test[4] = 0;
    dsb_ishst();
    tlbi_vae1is(VA_L3_REMP);
    dsb_ish();
    isb();
    probe_ld(VA_L3_REMP + 0x30);
    check_fault("after break + TLBI", dabt | FSC_TRANS(3), VA_L3_REMP + 0x30);
    l3_test[4] = (uint64_t)data_b | NORMAL_PAGE;
    dsb_ishst();
    isb();
    v = probe_ld(VA_L3_REMP + 0x30);
    rt_check(flt.taken == 0 && v == 0xbbbb000000000006ul, "after remap: 0x%lx (data_b)", v);

    rt_summary("stage1");
    rt_hvc(HVC_DONE, 0, 0, 0);
    for (;;)
        ;
}

static void hyp_handler(struct rt_frame *f, unsigned kind)
{
    if (kind == 8 && (f->esr >> 26) == 0x16 && f->x[0] == HVC_DONE)
        rt_exit();
    rt_printf("[hyp] unexpected kind %u ESR 0x%lx ELR 0x%lx\n", kind, f->esr, f->elr);
    rt_exit();
}

int main(uint64_t dtb)
{
    (void)dtb;
    rt_set_el2_handler(hyp_handler);
    /* EL1 is AArch64, no stage 2, nothing trapped to EL2. */
    SYSREG_WRITE(hcr_el2, HCR_RW);
    ISB();
    rt_puts("[hyp] entering the EL1 guest with HCR_EL2.VM=0\n");
    rt_eret_to((uint64_t)guest_main, 0, (uint64_t)__el1_stack_top, 0x3c5);
    return 0;
}
