/* Stage-2 translation and stage-2 aborts (Arm ARM D8, VMSAv8-64).
 *
 * EL2 is a small hypervisor: it builds a stage-2 translation (VTCR_EL2: 4 KiB
 * granule, T0SZ=32, SL0=01 so the walk starts at level 1, D8 "Translation
 * process") and runs an EL1 guest (HCR_EL2.VM=1, RW=1) that provokes stage-2
 * aborts. Every abort is taken to EL2 (EC 0x24/0x20, D17.2.37); the
 * hypervisor checks ESR, FAR and HPFAR, then fixes the stage-2 entry with the
 * TLB maintenance the change needs and returns to the same ELR, so the access
 * is retried and the guest checks the value it gets.
 *
 * Stage 2 (IPA -> PA, identity unless said otherwise):
 *   0x09000000  one Device-nGnRE page (the PL011)
 *   0x40200000  2 MiB as 4 KiB pages (s2_l3_img), Normal WB, RW, except:
 *     pg_unmap  invalid             -> level 3 translation fault, mapped on demand
 *     pg_ro     S2AP=01, read-only  -> level 3 permission fault on a write
 *     pg_noaf   AF=0                -> level 3 access flag fault
 *     pg_wback  invalid             -> translation fault of a post-indexed
 *                                      store: ISV = 0 (writeback), mapped
 *     pg_s1tbl  RW, then unmapped   -> fault on the guest's stage-1 walk
 *   0x40600000  invalid at level 2  -> instruction abort; then a level-3
 *               table with [0] = the page holding `stub`, [1] invalid.
 * The guest's stage 1 (phase 2): VA 0x40200000 2 MiB identity; its level-3
 * table lives in pg_s1tbl and maps VA 0x40400000 -> IPA 0x40600000 and
 * VA 0x40401000 -> IPA 0x40601000.
 *
 * All memory is accessed non-cacheably (EL2 runs with its MMU off, the guest
 * with SCTLR_EL1.C=0, table walks with IRGN/ORGN=00), so no cache
 * maintenance is needed between the table writers and the walkers.
 */
#include "mmu_helpers.h"
#include "rt.h"

#define HCR_VM (1ul << 0)
#define HCR_RW (1ul << 31)

#define HVC_DONE        1
#define HVC_UNMAP_S1TBL 2
#define HVC_AT          3

#define IPA_EXTRA 0x40600000ul /* stage-2 unmapped at level 2 at first */
#define VA_S1     0x40400000ul /* guest VA through its level-3 table */

/* VTCR_EL2: T0SZ=32 (4 GiB IPA space), SL0=01 (start at level 1),
 * IRGN0=ORGN0=00 (Non-cacheable walks), SH0=00, TG0=00 (4 KiB), PS=000
 * (32-bit PA), bit 31 RES1 (VTCR_EL2 register description). */
#define VTCR_VALUE (32ul | (1ul << 6) | (1ul << 31))
#define VMID       5ul

#define S2_RAM (PTE_PAGE | S2_MEM_NORMAL_WB | S2AP_RW | S2_SH_INNER | S2_AF)

static uint64_t s2_l1[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t s2_l2_low[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t s2_l2_ram[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t s2_l3_img[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t s2_l3_uart[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t s2_l3_extra[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t g_l1[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t g_l2[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t pg_s1tbl[512] __attribute__((aligned(4096), section(".pgtables")));
static uint32_t pg_unmap[1024] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t pg_ro[512] __attribute__((aligned(4096), section(".pgtables")));
static uint16_t pg_noaf[2048] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t pg_wback[512] __attribute__((aligned(4096), section(".pgtables")));

/* A page of code: ADR X0, . ; RET ; then a data doubleword at +8. */
#define STUB_WORD 0x0123456789abcdeful
extern char stub[];
__asm__(".pushsection .text.stub, \"ax\"\n"
        ".balign 4096\n"
        ".global stub\n"
        "stub:\n"
        "    adr x0, .\n"
        "    ret\n"
        "    .quad 0x0123456789abcdef\n"
        ".popsection\n");

/* The case the guest is running, and where its probing access is. */
enum { C_NONE, C_UNMAPPED, C_RO, C_NOAF, C_WBACK, C_IFETCH, C_S1PTW, C_AT_S1PTW };
static const char *const case_name[] = {"none",
                                        "stage-2 translation fault (unmapped IPA)",
                                        "stage-2 permission fault (write to RO)",
                                        "stage-2 access flag fault",
                                        "stage-2 translation fault, store with writeback",
                                        "stage-2 instruction abort",
                                        "stage-2 fault on the stage-1 walk",
                                        "stage-2 fault on the walk of AT S1E1R"};
static volatile unsigned cur_case;
static volatile uint64_t probe_pc, probe_va;

/* ---- the hypervisor, at EL2 ----------------------------------------------- */

static uint64_t *s2_pte(uint64_t ipa)
{
    return &s2_l3_img[(ipa >> 12) & 511];
}

/* After changing a stage-2 descriptor (D8 "TLB maintenance"): make the
 * write visible to the walker, drop the stage-2 entry for this IPA and, as
 * TLBI IPAS2E1IS does not touch combined stage 1+2 entries, everything of
 * this VMID's stage 1 too; then synchronise. For an invalid -> valid change
 * the TLBIs are not needed (a descriptor that faults is never held in a TLB)
 * but do no harm. */
static void s2_sync(uint64_t ipa)
{
    dsb_ishst();
    tlbi_ipas2e1is(ipa);
    dsb_ish();
    tlbi_vmalle1is();
    dsb_ish();
    isb();
}

static void build_stage2(void)
{
    uint64_t img = (uint64_t)stub & ~0x1ffffful;

    s2_l1[0] = (uint64_t)s2_l2_low | PTE_TABLE;
    s2_l1[1] = (uint64_t)s2_l2_ram | PTE_TABLE;
    s2_l2_low[0x09000000ul >> 21] = (uint64_t)s2_l3_uart | PTE_TABLE;
    s2_l3_uart[0] = 0x09000000ul | PTE_PAGE | S2_MEM_DEVICE | S2AP_RW | S2_AF | S2_XN;
    s2_l2_ram[(img >> 21) & 511] = (uint64_t)s2_l3_img | PTE_TABLE;
    for (unsigned i = 0; i < 512; i++)
        s2_l3_img[i] = (img + ((uint64_t)i << 12)) | S2_RAM;
    *s2_pte((uint64_t)pg_unmap) = 0;
    *s2_pte((uint64_t)pg_ro) = (uint64_t)pg_ro | (S2_RAM & ~S2AP_RW) | S2AP_RO;
    *s2_pte((uint64_t)pg_noaf) = (uint64_t)pg_noaf | (S2_RAM & ~S2_AF);
    *s2_pte((uint64_t)pg_wback) = 0;
    /* s2_l2_ram[3] (IPA 0x40600000) stays invalid. */

    for (unsigned i = 0; i < 1024; i++)
        pg_unmap[i] = 0x11110000u + i;
    for (unsigned i = 0; i < 512; i++)
        pg_ro[i] = 0x2222000000000000ul | i;
    pg_noaf[0x3a / 2] = 0x8001;

    DSB();
    SYSREG_WRITE(vtcr_el2, VTCR_VALUE);
    SYSREG_WRITE(vttbr_el2, (uint64_t)s2_l1 | (VMID << 48));
    ISB();
    tlbi_vmalls12e1is();
    dsb_ish();
    isb();
}

static void fail_stop(const char *why, struct rt_frame *f)
{
    rt_check(false, "%s: ESR 0x%lx FAR 0x%lx ELR 0x%lx", why, f->esr, f->far, f->elr);
    rt_summary("stage2");
    rt_exit();
}

static void check_abort(struct rt_frame *f, uint64_t esr, uint64_t ipa)
{
    uint64_t hpfar = SYSREG_READ(hpfar_el2);
    bool ok = f->esr == esr && f->far == probe_va && hpfar == hpfar_of(ipa) && f->elr == probe_pc;
    rt_check(ok, "%s: ESR 0x%lx FAR 0x%lx HPFAR 0x%lx", case_name[cur_case], f->esr, f->far, hpfar);
    if (!ok)
        rt_printf("     expected ESR 0x%lx FAR 0x%lx HPFAR 0x%lx ELR 0x%lx, ELR 0x%lx\n", esr,
                  probe_va, hpfar_of(ipa), probe_pc, f->elr);
}

/* Stage-2 aborts. ISS (D17.2.37): ISV=1 for a stage-2 abort on a single
 * general-purpose register load/store without writeback, with SAS (size),
 * SSE (sign extension), SRT (register), SF (64-bit register), WnR; ISV=0
 * and S1PTW=1 for a fault on the stage-1 walk. FAR_EL2 = the VA,
 * HPFAR_EL2 = the faulting IPA[47:12] << 4. The hypervisor then fixes the
 * entry and returns to the same ELR so the access is retried. */
static void stage2_abort(struct rt_frame *f)
{
    const uint64_t dabt = ESR_EC(EC_DABT_LOW) | ESR_IL;
    uint64_t ipa;

    switch (cur_case) {
    case C_UNMAPPED: /* LDR W9: SAS=10 (word), SF=0; map the page */
        ipa = (uint64_t)pg_unmap;
        check_abort(f, dabt | ESR_ISV | ESR_SAS(2) | ESR_SRT(9) | FSC_TRANS(3), ipa);
        *s2_pte(ipa) = ipa | S2_RAM;
        break;
    case C_RO: /* STR X10: SAS=11, SF=1, WnR=1; make it writable */
        ipa = (uint64_t)pg_ro;
        check_abort(f, dabt | ESR_ISV | ESR_SAS(3) | ESR_SRT(10) | ESR_SF | ESR_WNR | FSC_PERM(3),
                    ipa);
        *s2_pte(ipa) = ipa | S2_RAM;
        break;
    case C_NOAF: /* LDRSH X11: SAS=01, SSE=1, SF=1; set AF */
        ipa = (uint64_t)pg_noaf;
        check_abort(f, dabt | ESR_ISV | ESR_SAS(1) | ESR_SSE | ESR_SRT(11) | ESR_SF | FSC_AF(3),
                    ipa);
        *s2_pte(ipa) = ipa | S2_RAM;
        break;
    case C_WBACK: /* STR X10, [X12], #8: no instruction syndrome (ISV=0:
                   * "excluding those with writeback"), WnR=1; map it */
        ipa = (uint64_t)pg_wback;
        check_abort(f, dabt | ESR_WNR | FSC_TRANS(3), ipa);
        *s2_pte(ipa) = ipa | S2_RAM;
        break;
    case C_IFETCH: /* EC 0x20, IFSC level 2; map a level-3 table, [0] -> stub */
        ipa = IPA_EXTRA;
        check_abort(f, ESR_EC(EC_IABT_LOW) | ESR_IL | FSC_TRANS(2), ipa);
        s2_l3_extra[0] = (uint64_t)stub | S2_RAM;
        s2_l2_ram[(IPA_EXTRA >> 21) & 511] = (uint64_t)s2_l3_extra | PTE_TABLE;
        break;
    case C_S1PTW: /* the walk read pg_s1tbl: S1PTW=1, ISV=0, HPFAR = table */
        ipa = (uint64_t)pg_s1tbl;
        check_abort(f, dabt | ESR_S1PTW | FSC_TRANS(3), ipa);
        *s2_pte(ipa) = ipa | S2_RAM;
        break;
    case C_AT_S1PTW:
        /* AT S1E1R at EL1 whose stage-1 walk faults at stage 2: taken to EL2
         * as a Data Abort (D8 "Address translation instructions"), CM=1
         * (fault on an address translation instruction), WnR=1 (always 1
         * for cache maintenance and address translation instructions),
         * S1PTW=1, ISV=0; ELR = the AT, retried once the table is mapped. */
        ipa = (uint64_t)pg_s1tbl;
        check_abort(f, dabt | ESR_CM | ESR_WNR | ESR_S1PTW | FSC_TRANS(3), ipa);
        *s2_pte(ipa) = ipa | S2_RAM;
        break;
    default:
        fail_stop("unexpected stage-2 abort", f);
        return;
    }
    s2_sync(ipa);
    cur_case = C_NONE; /* a second abort for the same access is a failure */
}

/* AT S12E1R (PAR_EL1 register description): on success F=0 and PA[47:12]
 * is the final PA; ATTR/SH combine both stages: Normal Non-cacheable
 * (stage 1) with Normal Write-Back (stage 2) is Non-cacheable, 0x44, and
 * Non-cacheable memory is reported as Outer Shareable, SH=10. On a fault
 * F=1, FST = the fault status, S=1 if stage 2 faulted, PTW=1 if that was on
 * a stage-1 walk. Bits 11 (RES1), 10 (IMP DEF), 9 when F=0 (NS, UNKNOWN in
 * a Non-secure regime) are printed, not checked. */
static void at_tests(void)
{
    uint64_t va = VA_S1 + 8;
    uint64_t par = at_s12e1r(va);
    rt_check(!(par & PAR_F) && (par & PAR_PA_MASK) == (uint64_t)stub && PAR_ATTR(par) == 0x44 &&
                 PAR_SH(par) == 2,
             "AT S12E1R 0x%lx: PAR_EL1 0x%lx", va, par);
    va = VA_S1 + 0x1000;
    par = at_s12e1r(va);
    rt_check((par & PAR_F) && PAR_FST(par) == FSC_TRANS(3) && (par & PAR_S) && !(par & PAR_PTW),
             "AT S12E1R 0x%lx (stage 2 unmapped): PAR_EL1 0x%lx", va, par);
    va = 0x80000000ul;
    par = at_s12e1r(va);
    rt_check((par & PAR_F) && PAR_FST(par) == FSC_TRANS(1) && !(par & (PAR_S | PAR_PTW)),
             "AT S12E1R 0x%lx (stage 1 unmapped): PAR_EL1 0x%lx", va, par);
    /* The guest's level-3 table unmapped at stage 2 again: the fault is on
     * the stage-1 walk, so S=1 and PTW=1. It stays unmapped for the next
     * case. */
    *s2_pte((uint64_t)pg_s1tbl) = 0;
    s2_sync((uint64_t)pg_s1tbl);
    va = VA_S1 + 8;
    par = at_s12e1r(va);
    rt_check((par & PAR_F) && PAR_FST(par) == FSC_TRANS(3) && (par & PAR_S) && (par & PAR_PTW),
             "AT S12E1R 0x%lx (stage-1 table unmapped): PAR_EL1 0x%lx", va, par);
}

static void hyp_handler(struct rt_frame *f, unsigned kind)
{
    unsigned ec = (unsigned)(f->esr >> 26);
    if (kind != 8) /* synchronous from a lower EL in AArch64 */
        fail_stop("unexpected exception", f);
    if (ec == EC_DABT_LOW || ec == EC_IABT_LOW) {
        stage2_abort(f);
        return;
    }
    if (ec != 0x16)
        fail_stop("unexpected EC", f);
    switch (f->x[0]) {
    case HVC_UNMAP_S1TBL: /* valid -> invalid: the TLBIs are required */
        *s2_pte((uint64_t)pg_s1tbl) = 0;
        s2_sync((uint64_t)pg_s1tbl);
        rt_puts("[hyp] unmapped the guest's level-3 table at stage 2\n");
        break;
    case HVC_AT:
        at_tests();
        break;
    case HVC_DONE:
        rt_summary("stage2");
        rt_exit();
    default:
        fail_stop("unknown hypercall", f);
    }
}

/* ---- the guest, at EL1 ------------------------------------------------------ */

static void guest_handler(struct rt_frame *f, unsigned kind)
{
    /* Every abort of this image goes to EL2: anything taken at EL1 fails. */
    rt_check(false, "[guest] unexpected exception kind %u ESR 0x%lx FAR 0x%lx ELR 0x%lx", kind,
             f->esr, f->far, f->elr);
    rt_hvc(HVC_DONE, 0, 0, 0);
}

/* Each probe below records its PC and VA, then makes one access with a
 * fixed register so that the syndrome's SRT/SAS/SF/SSE are known. */
static void guest_main(uint64_t arg)
{
    uint64_t v;
    (void)arg;
    rt_set_el1_handler(guest_handler);
    SYSREG_WRITE(vbar_el1, (uint64_t)el1_vectors);
    ISB();
    rt_puts("[guest] phase 1: stage 1 off, VA = IPA\n");

    v = *(volatile uint64_t *)&pg_ro[4];
    rt_check(v == 0x2222000000000004ul, "[guest] read of the stage-2 RO page: 0x%lx", v);

    cur_case = C_UNMAPPED;
    probe_va = (uint64_t)&pg_unmap[6];
    __asm__ volatile("adr x16, 1f\n str x16, [%[pc]]\n"
                     "1: ldr w9, [%[a]]\n mov %[o], x9"
                     : [o] "=r"(v)
                     : [a] "r"(probe_va), [pc] "r"(&probe_pc)
                     : "x9", "x16", "memory");
    rt_check(cur_case == C_NONE && v == 0x11110006u, "[guest] retried load: 0x%lx", v);

    cur_case = C_RO;
    probe_va = (uint64_t)&pg_ro[5];
    __asm__ volatile("adr x16, 1f\n str x16, [%[pc]]\n"
                     "mov x10, %[v]\n"
                     "1: str x10, [%[a]]"
                     :
                     : [v] "r"(0x5151515151515151ul), [a] "r"(probe_va), [pc] "r"(&probe_pc)
                     : "x10", "x16", "memory");
    v = *(volatile uint64_t *)&pg_ro[5];
    rt_check(cur_case == C_NONE && v == 0x5151515151515151ul, "[guest] retried store: 0x%lx", v);

    cur_case = C_NOAF;
    probe_va = (uint64_t)pg_noaf + 0x3a;
    __asm__ volatile("adr x16, 1f\n str x16, [%[pc]]\n"
                     "1: ldrsh x11, [%[a]]\n mov %[o], x11"
                     : [o] "=r"(v)
                     : [a] "r"(probe_va), [pc] "r"(&probe_pc)
                     : "x11", "x16", "memory");
    rt_check(cur_case == C_NONE && v == 0xffffffffffff8001ul, "[guest] retried LDRSH: 0x%lx", v);

    /* The retried post-indexed store writes once and moves its base once. */
    cur_case = C_WBACK;
    probe_va = (uint64_t)&pg_wback[3];
    uint64_t base = probe_va;
    __asm__ volatile("adr x16, 1f\n str x16, [%[pc]]\n"
                     "mov x10, %[v]\n"
                     "1: str x10, [%[b]], #8"
                     : [b] "+r"(base)
                     : [v] "r"(0x6262626262626262ul), [pc] "r"(&probe_pc)
                     : "x10", "x16", "memory");
    v = *(volatile uint64_t *)&pg_wback[3];
    rt_check(cur_case == C_NONE && v == 0x6262626262626262ul && base == probe_va + 8,
             "[guest] retried post-indexed store: 0x%lx, base +%lu", v, base - probe_va);

    /* Branch to an IPA stage 2 does not map; once mapped to the stub's page,
     * the retried fetch runs ADR X0, . there and returns. */
    cur_case = C_IFETCH;
    probe_va = IPA_EXTRA;
    probe_pc = IPA_EXTRA;
    v = ((uint64_t(*)(void))IPA_EXTRA)();
    rt_check(cur_case == C_NONE && v == IPA_EXTRA, "[guest] retried fetch ran at 0x%lx", v);

    /* Phase 2: the guest's own stage 1 (TCR_EL1 T0SZ=25, 39-bit VA, start
     * at level 1; MAIR Attr0 Device-nGnRnE, Attr1 Normal Non-cacheable). */
    g_l1[0] = 0x0ul | PTE_BLOCK | S1_ATTR(0) | S1_AF | S1_PXN | S1_UXN; /* 1 GiB device */
    g_l1[1] = (uint64_t)g_l2 | PTE_TABLE;
    g_l2[((uint64_t)stub >> 21) & 511] =
        ((uint64_t)stub & ~0x1ffffful) | PTE_BLOCK | S1_ATTR(1) | S1_AF;
    g_l2[(VA_S1 >> 21) & 511] = (uint64_t)pg_s1tbl | PTE_TABLE;
    pg_s1tbl[0] = IPA_EXTRA | PTE_PAGE | S1_ATTR(1) | S1_AF | S1_PXN | S1_UXN;
    pg_s1tbl[1] = (IPA_EXTRA + 0x1000) | PTE_PAGE | S1_ATTR(1) | S1_AF | S1_PXN | S1_UXN;
    DSB();
    rt_hvc(HVC_UNMAP_S1TBL, 0, 0, 0);
    SYSREG_WRITE(mair_el1, 0x4400ul);
    SYSREG_WRITE(tcr_el1, 25ul | (2ul << 12) | (1ul << 23)); /* SH0=10, EPD1=1 */
    SYSREG_WRITE(ttbr0_el1, (uint64_t)g_l1);
    ISB();
    __asm__ volatile("tlbi vmalle1\n dsb nsh\n isb" ::: "memory");
    SYSREG_WRITE(sctlr_el1, 0x30d00800ul | 1); /* RES1 bits, M=1, C=I=0 */
    ISB();
    rt_puts("[guest] phase 2: stage 1 on, level-3 table in pg_s1tbl\n");

    /* The walk for VA_S1 reads pg_s1tbl, which stage 2 does not map. */
    cur_case = C_S1PTW;
    probe_va = VA_S1 + 8;
    __asm__ volatile("adr x16, 1f\n str x16, [%[pc]]\n"
                     "1: ldr x9, [%[a]]\n mov %[o], x9"
                     : [o] "=r"(v)
                     : [a] "r"(probe_va), [pc] "r"(&probe_pc)
                     : "x9", "x16", "memory");
    rt_check(cur_case == C_NONE && v == STUB_WORD, "[guest] VA 0x%lx -> stub word 0x%lx", VA_S1 + 8,
             v);

    rt_hvc(HVC_AT, 0, 0, 0);

    /* AT S1E1R at EL1 while pg_s1tbl is unmapped at stage 2: the walk's
     * stage-2 fault is taken to EL2; after the retry PAR_EL1 holds the
     * stage-1 output, the IPA (not the PA of the stub page). */
    cur_case = C_AT_S1PTW;
    probe_va = VA_S1 + 8;
    __asm__ volatile("adr x16, 1f\n str x16, [%[pc]]\n"
                     "1: at s1e1r, %[a]\n isb\n mrs %[o], par_el1"
                     : [o] "=r"(v)
                     : [a] "r"(probe_va), [pc] "r"(&probe_pc)
                     : "x16", "memory");
    /* SH is not checked: PAREncodeShareability() gives 0b10 for Normal
     * Non-cacheable memory, but QEMU 7.2 (and Unicorn) return the
     * descriptor's SH (00) for a stage-1-only AT; fixed in later QEMU. */
    rt_check(cur_case == C_NONE && !(v & PAR_F) && (v & PAR_PA_MASK) == IPA_EXTRA &&
                 PAR_ATTR(v) == 0x44,
             "[guest] retried AT S1E1R 0x%lx: PAR_EL1 0x%lx", VA_S1 + 8, v);

    rt_hvc(HVC_DONE, 0, 0, 0);
    for (;;)
        ;
}

int main(uint64_t dtb)
{
    (void)dtb;
    rt_set_el2_handler(hyp_handler);
    build_stage2();
    SYSREG_WRITE(hcr_el2, HCR_VM | HCR_RW);
    ISB();
    rt_puts("[hyp] stage 2 on (VMID 5), entering the guest\n");
    rt_eret_to((uint64_t)guest_main, 0, (uint64_t)__el1_stack_top, 0x3c5);
    return 0;
}
