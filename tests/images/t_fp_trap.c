/* FP/SIMD access traps (Arm ARM DDI 0487: D13.2.30 CPACR_EL1, D13.2.31
 * CPTR_EL2; pseudocode AArch64.CheckFPAdvSIMDEnabled, AArch64.CheckFPEnabled,
 * AArch64.CheckFPAdvSIMDTrap, AArch64.AdvSIMDFPAccessTrap).
 *
 * Each case sets CPACR_EL1.FPEN, CPTR_EL2.TFP and HCR_EL2.TGE from EL2, then
 * runs one FP/SIMD instruction (or MRS/MSR of FPCR/FPSR) at EL2, EL1 or EL0.
 * The architecture says:
 *   - at EL0 and EL1, CPACR_EL1.FPEN 0b00 and 0b10 trap, 0b01 traps EL0
 *     only, 0b11 traps nothing; the trap goes to EL1, with EC 0x07;
 *   - with HCR_EL2.TGE = 1 (E2H = 0) EL0's CPACR_EL1 trap goes to EL2
 *     instead, reported as EC 0x00 (AArch64.AdvSIMDFPAccessTrap,
 *     route_to_el2);
 *   - CPTR_EL2.TFP = 1 traps EL0, EL1 and EL2 to EL2 with EC 0x07, after
 *     the CPACR_EL1 check (which has priority);
 *   - an EC 0x07 syndrome from AArch64 has IL = 1, CV = 1 and COND = 0xE
 *     (D17.2.37, "ISS encoding for an exception from an access to SIMD or
 *     floating-point functionality"); ELR is the trapped instruction, which
 *     has not executed.
 * The handlers record each exception, then enable the access that trapped
 * (EL1: FPEN = 0b11; EL2: TFP = 0, or FPEN = 0b11 for a rerouted EL0 trap)
 * and return to the instruction, which must then execute. Instructions
 * whose result lands in x2 show that it had not executed when trapped.
 * FAR_ELx is UNKNOWN for these exceptions: whether it kept its value is
 * printed (for the comparison with QEMU), not checked.
 *
 * Every case runs the same instruction at the same address under changing
 * controls, so stale translations (code translated with other controls)
 * would show too.
 */
#include "rt_extra.h"

#define EC_FP     0x07
#define ESR_FP    ESR_VAL(EC_FP, (1u << 24) | (0xeu << 20)) /* CV = 1, COND = 0xE */
#define ESR_UNCAT ESR_VAL(EC_UNKNOWN, 0)
#define CPTR_TFP  (1ul << 10)
#define CPTR_RES1 0x33fful /* CPTR_EL2 (E2H = 0): RES1 bits 13, 12, 9..0 */
#define FPEN(v)   ((uint64_t)(v) << 20)
#define FAR_MARK  0x0000f00dcafe0000ul
#define RET_IMM   0x7f /* HVC/SVC #0x7f: back to the EL2 driver */

#define V_D0   0x1122334455667788ul /* d0 before each case */
#define V_MEM  0x0123456789abcdeful /* the memory word the FP load reads */
#define V_FPCR 0x03400000ul         /* DN, FZ, RMode = 0b01 (D13.2.47 FPCR) */
#define V_FPSR 0x00000011ul         /* IXC, IOC (D13.2.48 FPSR) */
#define SENT   0x5e5e5e5e5e5e5e5eul /* x2 before the instruction */

/* ---- calling a function at EL1 or EL0 and coming back --------------------
 * call_lower(pc, spsr) saves the EL2 callee-saved registers and SP, then
 * ERETs to pc; the lower EL ends with HVC #0x7f (EL1) or SVC #0x7f (EL0,
 * through EL1 or, with TGE, directly), and the EL2 handler ERETs to
 * lower_return, which restores them and returns from call_lower. */
void call_lower(uint64_t pc, uint64_t spsr, void (*fn)(void));
void lower_return(void);
void el1_trampoline(void (*fn)(void));
void el0_trampoline(void (*fn)(void));
__asm__(".text\n"
        ".balign 4\n"
        "call_lower:\n"
        "  adrp x9, save_area\n"
        "  add  x9, x9, :lo12:save_area\n"
        "  stp  x19, x20, [x9, #0]\n"
        "  stp  x21, x22, [x9, #16]\n"
        "  stp  x23, x24, [x9, #32]\n"
        "  stp  x25, x26, [x9, #48]\n"
        "  stp  x27, x28, [x9, #64]\n"
        "  stp  x29, x30, [x9, #80]\n"
        "  mov  x10, sp\n"
        "  str  x10, [x9, #96]\n"
        "  msr  elr_el2, x0\n"
        "  msr  spsr_el2, x1\n"
        "  mov  x0, x2\n" /* the function for the trampoline */
        "  isb\n"
        "  eret\n"
        "lower_return:\n"
        "  adrp x9, save_area\n"
        "  add  x9, x9, :lo12:save_area\n"
        "  ldr  x10, [x9, #96]\n"
        "  mov  sp, x10\n"
        "  ldp  x19, x20, [x9, #0]\n"
        "  ldp  x21, x22, [x9, #16]\n"
        "  ldp  x23, x24, [x9, #32]\n"
        "  ldp  x25, x26, [x9, #48]\n"
        "  ldp  x27, x28, [x9, #64]\n"
        "  ldp  x29, x30, [x9, #80]\n"
        "  ret\n"
        "el1_trampoline:\n"
        "  blr  x0\n"
        "  hvc  #0x7f\n"
        "1: b   1b\n"
        "el0_trampoline:\n"
        "  blr  x0\n"
        "  svc  #0x7f\n"
        "2: b   2b\n");
uint64_t save_area[13];

static uint64_t el0_stack[512] __attribute__((aligned(16)));

/* ---- what the handlers saw ------------------------------------------------ */

#define MAX_TAKEN 4
struct taken {
    unsigned el, kind;
    uint64_t esr, elr, spsr, far, x2, mem;
};
static volatile struct taken taken[MAX_TAKEN];
static volatile unsigned ntaken;
static volatile uint64_t mem_word; /* the FP load reads and the FP store writes it */

static void record(unsigned el, const struct rt_frame *f, unsigned kind)
{
    unsigned n = ntaken++;
    if (n >= MAX_TAKEN)
        return;
    taken[n].el = el;
    taken[n].kind = kind;
    taken[n].esr = f->esr;
    taken[n].elr = f->elr;
    taken[n].spsr = f->spsr;
    taken[n].far = f->far;
    taken[n].x2 = f->x[2];
    taken[n].mem = mem_word;
}

static void el2_handler(struct rt_frame *f, unsigned kind)
{
    unsigned ec = ESR_EC(f->esr);
    if (kind == KIND_LOW64_SYNC && (ec == EC_HVC64 || ec == EC_SVC64) &&
        ESR_ISS(f->esr) == RET_IMM) {
        f->elr = (uint64_t)lower_return;
        f->spsr = SPSR_DAIF | SPSR_EL2h;
        return;
    }
    record(2, f, kind);
    if (ec == EC_FP) {
        SYSREG_WRITE(cptr_el2, SYSREG_READ(cptr_el2) & ~CPTR_TFP);
    } else if (ec == EC_UNKNOWN && kind == KIND_LOW64_SYNC && SPSR_M(f->spsr) == SPSR_EL0t &&
               (SYSREG_READ(hcr_el2) & HCR_TGE)) {
        /* EL0's CPACR_EL1 trap, rerouted by TGE: enable it at its source. */
        SYSREG_WRITE(cpacr_el1, SYSREG_READ(cpacr_el1) | FPEN(3));
    } else {
        f->elr += 4; /* not expected: skip the instruction */
    }
    ISB();
}

static void el1_handler(struct rt_frame *f, unsigned kind)
{
    unsigned ec = ESR_EC(f->esr);
    if (kind == KIND_LOW64_SYNC && ec == EC_SVC64 && ESR_ISS(f->esr) == RET_IMM) {
        __asm__ volatile("hvc #0x7f"); /* EL0 is done: on to EL2 */
        for (;;)
            ;
    }
    record(1, f, kind);
    if (ec == EC_FP)
        SYSREG_WRITE(cpacr_el1, SYSREG_READ(cpacr_el1) | FPEN(3));
    else
        f->elr += 4;
    ISB();
}

/* ---- the instructions ----------------------------------------------------- */

enum probe {
    P_FMOV,
    P_SIMD_ADD,
    P_LDR_D,
    P_STR_D,
    P_MRS_FPCR,
    P_MRS_FPSR,
    P_MSR_FPSR,
    P_MSR_FPCR,
    P_MSR_CPACR_FMOV
};
static const char *const probe_name[] = {
    "FMOV x2, d0",  "ADD v1.2d (then FMOV)", "LDR d1 (then FMOV)",
    "STR d0",       "MRS x2, FPCR",          "MRS x2, FPSR",
    "MSR FPSR, x3", "MSR FPCR, x3",          "MSR CPACR_EL1 + FMOV"};

static volatile enum probe cur_probe;
static volatile uint64_t probe_pc, probe_x2;

/* Runs at the case's EL. x2 = SENT before the instruction; probe_x2 is x2
 * after it (for the stores: their own read-back). */
static void run_probe(void)
{
    uint64_t pc, x2;
    uint64_t addr = (uint64_t)&mem_word;
    switch (cur_probe) {
    case P_FMOV:
        __asm__ volatile("mov x2, %2\n\tadr %0, 1f\n1:\tfmov x2, d0\n\tmov %1, x2"
                         : "=&r"(pc), "=r"(x2)
                         : "r"(SENT)
                         : "x2", "memory");
        break;
    case P_SIMD_ADD:
        __asm__ volatile("mov x2, %2\n\tadr %0, 1f\n1:\tadd v1.2d, v0.2d, v0.2d\n\t"
                         "fmov x2, d1\n\tmov %1, x2"
                         : "=&r"(pc), "=r"(x2)
                         : "r"(SENT)
                         : "x2", "v1", "memory");
        break;
    case P_LDR_D:
        __asm__ volatile("mov x2, %2\n\tadr %0, 1f\n1:\tldr d1, [%3]\n\t"
                         "fmov x2, d1\n\tmov %1, x2"
                         : "=&r"(pc), "=r"(x2)
                         : "r"(SENT), "r"(addr)
                         : "x2", "v1", "memory");
        break;
    case P_STR_D:
        __asm__ volatile("adr %0, 1f\n1:\tstr d0, [%1]" : "=&r"(pc) : "r"(addr) : "memory");
        x2 = mem_word;
        break;
    case P_MRS_FPCR:
        __asm__ volatile("mov x2, %2\n\tadr %0, 1f\n1:\tmrs x2, fpcr\n\tmov %1, x2"
                         : "=&r"(pc), "=r"(x2)
                         : "r"(SENT)
                         : "x2", "memory");
        break;
    case P_MRS_FPSR:
        __asm__ volatile("mov x2, %2\n\tadr %0, 1f\n1:\tmrs x2, fpsr\n\tmov %1, x2"
                         : "=&r"(pc), "=r"(x2)
                         : "r"(SENT)
                         : "x2", "memory");
        break;
    case P_MSR_FPSR:
        __asm__ volatile("mov x3, %1\n\tadr %0, 1f\n1:\tmsr fpsr, x3"
                         : "=&r"(pc)
                         : "r"(V_FPSR ^ 0x10)
                         : "x3", "memory");
        __asm__ volatile("mrs %0, fpsr" : "=r"(x2));
        break;
    case P_MSR_FPCR:
        __asm__ volatile("mov x3, %1\n\tadr %0, 1f\n1:\tmsr fpcr, x3"
                         : "=&r"(pc)
                         : "r"(V_FPCR ^ 0x00400000ul)
                         : "x3", "memory");
        __asm__ volatile("mrs %0, fpcr" : "=r"(x2));
        break;
    case P_MSR_CPACR_FMOV:
        /* EL1 turns its own FP access off, then uses FP in the same block. */
        __asm__ volatile("mrs x3, cpacr_el1\n\tbic x3, x3, #(3 << 20)\n\tmsr cpacr_el1, x3\n\t"
                         "isb\n\tmov x2, %2\n\tadr %0, 1f\n1:\tfmov x2, d0\n\tmov %1, x2"
                         : "=&r"(pc), "=r"(x2)
                         : "r"(SENT)
                         : "x2", "x3", "memory");
        break;
    default:
        pc = x2 = 0;
        break;
    }
    probe_pc = pc;
    probe_x2 = x2;
}

/* The value the probe leaves in x2 once it has executed. */
static uint64_t probe_result(enum probe p)
{
    switch (p) {
    case P_FMOV:
    case P_MSR_CPACR_FMOV:
    case P_STR_D:
        return V_D0;
    case P_SIMD_ADD:
        return V_D0 * 2;
    case P_LDR_D:
        return V_MEM;
    case P_MRS_FPCR:
        return V_FPCR;
    case P_MRS_FPSR:
        return V_FPSR;
    case P_MSR_FPSR:
        return V_FPSR ^ 0x10;
    case P_MSR_FPCR:
        return V_FPCR ^ 0x00400000ul;
    }
    return 0;
}

/* Whether x2 at the trap shows the instruction had not executed. */
static bool probe_writes_x2(enum probe p)
{
    return p == P_FMOV || p == P_SIMD_ADD || p == P_LDR_D || p == P_MRS_FPCR || p == P_MRS_FPSR ||
           p == P_MSR_CPACR_FMOV;
}

/* ---- the cases ------------------------------------------------------------ */

struct want {
    unsigned el; /* taken to */
    uint64_t esr;
};

struct fpcase {
    unsigned el;   /* where the instruction runs */
    unsigned fpen; /* CPACR_EL1.FPEN */
    bool tfp;      /* CPTR_EL2.TFP */
    bool tge;      /* HCR_EL2.TGE (E2H = 0) */
    enum probe p;
    unsigned n; /* exceptions expected, in order */
    struct want w[2];
};

static const struct fpcase cases[] = {
    /* EL1: CPACR_EL1.FPEN */
    {1, 0, false, false, P_FMOV, 1, {{1, ESR_FP}}},
    {1, 1, false, false, P_FMOV, 0, {{0, 0}}}, /* 0b01 traps EL0 only */
    {1, 2, false, false, P_FMOV, 1, {{1, ESR_FP}}},
    {1, 3, false, false, P_FMOV, 0, {{0, 0}}},
    /* EL1: CPTR_EL2.TFP, alone and with a CPACR_EL1 trap (EL1 first) */
    {1, 3, true, false, P_FMOV, 1, {{2, ESR_FP}}},
    {1, 0, true, false, P_FMOV, 2, {{1, ESR_FP}, {2, ESR_FP}}},
    /* EL0 */
    {0, 0, false, false, P_FMOV, 1, {{1, ESR_FP}}},
    {0, 1, false, false, P_FMOV, 1, {{1, ESR_FP}}},
    {0, 2, false, false, P_FMOV, 1, {{1, ESR_FP}}},
    {0, 3, false, false, P_FMOV, 0, {{0, 0}}},
    {0, 3, true, false, P_FMOV, 1, {{2, ESR_FP}}},
    {0, 1, true, false, P_FMOV, 2, {{1, ESR_FP}, {2, ESR_FP}}},
    /* EL0 with HCR_EL2.TGE = 1: CPACR_EL1's trap to EL2 as EC 0x00 */
    {0, 0, false, true, P_FMOV, 1, {{2, ESR_UNCAT}}},
    {0, 1, false, true, P_FMOV, 1, {{2, ESR_UNCAT}}},
    {0, 3, false, true, P_FMOV, 0, {{0, 0}}},
    {0, 3, true, true, P_FMOV, 1, {{2, ESR_FP}}},
    {0, 1, true, true, P_FMOV, 2, {{2, ESR_UNCAT}, {2, ESR_FP}}},
    /* EL2: only CPTR_EL2.TFP */
    {2, 0, false, false, P_FMOV, 0, {{0, 0}}},
    {2, 3, true, false, P_FMOV, 1, {{2, ESR_FP}}},
    {2, 0, true, false, P_FMOV, 1, {{2, ESR_FP}}},
    /* Other FP/SIMD instructions */
    {1, 0, false, false, P_SIMD_ADD, 1, {{1, ESR_FP}}},
    {0, 1, false, false, P_LDR_D, 1, {{1, ESR_FP}}},
    {1, 2, false, false, P_STR_D, 1, {{1, ESR_FP}}},
    {2, 3, true, false, P_SIMD_ADD, 1, {{2, ESR_FP}}},
    {1, 3, true, false, P_STR_D, 1, {{2, ESR_FP}}},
    /* FPCR and FPSR */
    {1, 0, false, false, P_MRS_FPCR, 1, {{1, ESR_FP}}},
    {1, 0, false, false, P_MSR_FPSR, 1, {{1, ESR_FP}}},
    {0, 1, false, false, P_MRS_FPSR, 1, {{1, ESR_FP}}},
    {0, 2, false, false, P_MSR_FPCR, 1, {{1, ESR_FP}}},
    {1, 3, true, false, P_MRS_FPCR, 1, {{2, ESR_FP}}},
    {2, 3, true, false, P_MSR_FPCR, 1, {{2, ESR_FP}}},
    {2, 3, true, false, P_MRS_FPSR, 1, {{2, ESR_FP}}},
    {0, 3, false, false, P_MRS_FPSR, 0, {{0, 0}}},
    /* MSR CPACR_EL1 at EL1 followed by FP in the same block */
    {1, 3, false, false, P_MSR_CPACR_FMOV, 1, {{1, ESR_FP}}},
};

/* SPSR.M of the instruction's EL as the trap handler sees it. */
static unsigned spsr_mode(unsigned el)
{
    return el == 0 ? SPSR_EL0t : el == 1 ? SPSR_EL1h : SPSR_EL2h;
}

static void check_case(unsigned i, const struct fpcase *c)
{
    const char *name = probe_name[c->p];
    unsigned n = ntaken;
    bool seq = n == c->n;
    for (unsigned k = 0; seq && k < n; k++) {
        volatile struct taken *t = &taken[k];
        /* From the instruction's EL: the lower-EL vector, else current
         * EL with SP_ELx. */
        unsigned kind = t->el > c->el ? KIND_LOW64_SYNC : KIND_CUR_SPX_SYNC;
        seq = t->el == c->w[k].el && t->esr == c->w[k].esr && t->kind == kind;
    }
    rt_check(seq, "case %u: %s at EL%u, FPEN=%u TFP=%u TGE=%u: %u exception(s) (want %u)", i, name,
             c->el, c->fpen, c->tfp, c->tge, n, c->n);
    for (unsigned k = 0; k < n && k < MAX_TAKEN; k++) {
        volatile struct taken *t = &taken[k];
        rt_printf("       #%u: to EL%u kind %u ESR 0x%lx ELR=insn%s%u SPSR.M 0x%x FAR %s\n", k,
                  t->el, t->kind, (unsigned long)t->esr, t->elr == probe_pc ? "+" : "?",
                  (unsigned)(t->elr - probe_pc), SPSR_M(t->spsr),
                  t->far == FAR_MARK ? "kept" : "changed");
        rt_check(t->elr == probe_pc && SPSR_M(t->spsr) == spsr_mode(c->el),
                 "case %u #%u: ELR is the instruction, SPSR.M is EL%u's", i, k, c->el);
        if (probe_writes_x2(c->p))
            rt_check(t->x2 == SENT, "case %u #%u: not executed when trapped (x2 0x%lx)", i, k,
                     (unsigned long)t->x2);
        if (c->p == P_STR_D)
            rt_check(t->mem == ~V_D0, "case %u #%u: not executed when trapped (memory 0x%lx)", i, k,
                     (unsigned long)t->mem);
    }
    rt_check(probe_x2 == probe_result(c->p),
             "case %u: executed after the handler (0x%lx, want 0x%lx)", i, (unsigned long)probe_x2,
             (unsigned long)probe_result(c->p));
}

static void run_case(unsigned i, const struct fpcase *c)
{
    /* Full access while the state is set up (EL2 code itself). */
    SYSREG_WRITE(cptr_el2, CPTR_RES1);
    SYSREG_WRITE(cpacr_el1, FPEN(3));
    ISB();
    __asm__ volatile("fmov d0, %0\n\tmsr fpcr, %1\n\tmsr fpsr, %2" ::"r"(V_D0), "r"(V_FPCR),
                     "r"(V_FPSR)
                     : "v0");
    mem_word = V_MEM;
    if (c->p == P_STR_D)
        mem_word = ~V_D0;
    SYSREG_WRITE(far_el1, FAR_MARK);
    SYSREG_WRITE(far_el2, FAR_MARK);
    for (unsigned k = 0; k < MAX_TAKEN; k++)
        taken[k].el = 9;
    ntaken = 0;
    probe_pc = probe_x2 = 0;
    cur_probe = c->p;

    SYSREG_WRITE(hcr_el2, HCR_RW | (c->tge ? HCR_TGE : 0));
    SYSREG_WRITE(cpacr_el1, FPEN(c->fpen));
    SYSREG_WRITE(cptr_el2, CPTR_RES1 | (c->tfp ? CPTR_TFP : 0));
    ISB();
    if (c->el == 2) {
        run_probe();
    } else if (c->el == 1) {
        __asm__ volatile("msr sp_el1, %0" ::"r"((uint64_t)__el1_stack_top));
        call_lower((uint64_t)el1_trampoline, SPSR_DAIF | SPSR_EL1h, run_probe);
    } else {
        __asm__ volatile("msr sp_el1, %0\n\tmsr sp_el0, %1" ::"r"((uint64_t)__el1_stack_top),
                         "r"((uint64_t)&el0_stack[512]));
        call_lower((uint64_t)el0_trampoline, SPSR_DAIF | SPSR_EL0t, run_probe);
    }
    SYSREG_WRITE(hcr_el2, HCR_RW);
    SYSREG_WRITE(cptr_el2, CPTR_RES1);
    ISB();

    check_case(i, c);
}

int main(uint64_t dtb)
{
    (void)dtb;
    rt_set_el2_handler(el2_handler);
    rt_set_el1_handler(el1_handler);
    SYSREG_WRITE(vbar_el1, (uint64_t)el1_vectors);
    SYSREG_WRITE(sctlr_el1, 0x30d00800ul); /* RES1 bits, MMU and caches off */
    ISB();
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(i, &cases[i]);
    rt_summary("fp_trap");
    return 0;
}
