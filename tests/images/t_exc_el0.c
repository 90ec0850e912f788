/* Exceptions from EL0, under an EL1 kernel and then with HCR_EL2.TGE = 1
 * (Arm ARM DDI 0487).
 *
 * Phase 1: EL2 enters an EL1 "kernel" (HCR_EL2.RW = 1, VM = 0, MMU off), which
 * enters EL0t (SPSR_EL1.M = 0). From EL0:
 *   - SVC is taken to EL1 on the "lower EL, AArch64" synchronous vector
 *     (VBAR_EL1 + 0x400, kind 8), EC 0x15 (D1.10);
 *   - HVC is UNDEFINED at EL0 (C6.2 HVC: "UNDEFINED in EL0"), so it is an
 *     EC 0x00 exception taken to EL1;
 *   - MRS of an EL1 register, or of CurrentEL, is UNDEFINED at EL0, EC 0x00
 *     to EL1.
 * Phase 2: EL2 sets HCR_EL2.TGE = 1 with E2H = 0 and enters EL0 itself. TGE
 * routes every exception that would be taken from EL0 to EL1 to EL2 instead
 * (D13 HCR_EL2.TGE, D1.10 "Routing of synchronous exceptions"), with
 * the same syndrome; the EL1&0 stage 1 MMU behaves as if SCTLR_EL1.M = 0,
 * which is what this image uses anyway.
 */
#include "rt_extra.h"

/* SVC #0 is a request, x0 = command: */
#define CMD_PHASE2 1 /* EL0 -> EL1: done with phase 1; EL1 passes it to EL2 */
#define CMD_DONE   2 /* EL0 -> EL2 (TGE = 1): done */

static volatile struct rt_taken t1, t2; /* taken at EL1, at EL2 */
static uint64_t el0_stack[512] __attribute__((aligned(16)));

static void user_phase2(void);

/* ---- EL2 ------------------------------------------------------------------ */

static void el2_handler(struct rt_frame *f, unsigned kind)
{
    unsigned ec = ESR_EC(f->esr);
    if (kind == KIND_LOW64_SYNC && ESR_ISS(f->esr) == 0 && f->x[0] == CMD_PHASE2 &&
        ec == EC_HVC64) {
        /* From the EL1 kernel: set TGE and enter EL0 directly at phase 2. */
        SYSREG_WRITE(hcr_el2, HCR_RW | HCR_TGE);
        SYSREG_WRITE(sp_el0, (uint64_t)&el0_stack[512]);
        ISB();
        f->elr = (uint64_t)user_phase2;
        f->spsr = SPSR_DAIF | SPSR_EL0t;
        return;
    }
    if (kind == KIND_LOW64_SYNC && ESR_ISS(f->esr) == 0 && f->x[0] == CMD_DONE && ec == EC_SVC64) {
        rt_summary("exc_el0");
        rt_exit();
    }
    rt_taken_record(&t2, f, kind);
    if (ec == EC_UNKNOWN)
        f->elr += 4; /* UNDEFINED: ELR is the instruction itself */
}

/* ---- EL1 ------------------------------------------------------------------ */

static void el1_handler(struct rt_frame *f, unsigned kind)
{
    unsigned ec = ESR_EC(f->esr);
    if (kind == KIND_LOW64_SYNC && ec == EC_SVC64 && ESR_ISS(f->esr) == 0 &&
        f->x[0] == CMD_PHASE2) {
        rt_hvc(CMD_PHASE2, 0, 0, 0); /* does not return here */
        return;
    }
    rt_taken_record(&t1, f, kind);
    if (ec == EC_UNKNOWN)
        f->elr += 4;
}

/* ---- EL0 ------------------------------------------------------------------ */

static void clear(void)
{
    rt_taken_clear(&t1);
    rt_taken_clear(&t2);
}

/* One exception, taken at EL `el` on the lower-EL AArch64 synchronous vector
 * (kind 8), with this ESR, ELR = pc + elr_off, SPSR.M = EL0t; nothing at the
 * other EL. */
static void check_taken(const char *what, unsigned el, uint64_t pc, uint64_t want_esr,
                        unsigned elr_off)
{
    volatile struct rt_taken *t = el == 1 ? &t1 : &t2, *other = el == 1 ? &t2 : &t1;
    rt_check(t->n == 1 && other->n == 0 && t->kind == KIND_LOW64_SYNC && t->esr == want_esr,
             "%s -> EL%u kind %u ESR 0x%lx (want EL%u kind 8 0x%lx)", what, t->n ? el : 3 - el,
             t->n ? t->kind : other->kind, (unsigned long)(t->n ? t->esr : other->esr), el,
             (unsigned long)want_esr);
    rt_check(t->elr == pc + elr_off && SPSR_M(t->spsr) == SPSR_EL0t,
             "%s: ELR = insn+%ld (want +%u), SPSR.M 0x%x (EL0t)", what, (long)(t->elr - pc),
             elr_off, SPSR_M(t->spsr));
}

static void user_phase1(void)
{
    uint64_t pc;
    /* CurrentEL is not accessible at EL0 (D17.2 CurrentEL): this also shows the
     * code runs at EL0. */
    clear();
    pc = RT_AT("mrs x2, currentel");
    check_taken("MRS CurrentEL", 1, pc, ESR_VAL(EC_UNKNOWN, 0), 0);

    clear();
    pc = RT_AT("svc #0x44");
    check_taken("SVC #0x44", 1, pc, ESR_VAL(EC_SVC64, 0x44), 4);

    clear();
    pc = RT_AT("hvc #0x55");
    check_taken("HVC #0x55", 1, pc, ESR_VAL(EC_UNKNOWN, 0), 0);

    clear();
    pc = RT_AT("mrs x2, sctlr_el1");
    check_taken("MRS SCTLR_EL1", 1, pc, ESR_VAL(EC_UNKNOWN, 0), 0);

    register uint64_t x0 __asm__("x0") = CMD_PHASE2;
    __asm__ volatile("svc #0" : "+r"(x0)::"memory");
    for (;;)
        ;
}

static void user_phase2(void)
{
    uint64_t pc;
    clear();
    pc = RT_AT("mrs x2, currentel");
    check_taken("MRS CurrentEL (TGE)", 2, pc, ESR_VAL(EC_UNKNOWN, 0), 0);

    clear();
    pc = RT_AT("svc #0x66");
    check_taken("SVC #0x66 (TGE)", 2, pc, ESR_VAL(EC_SVC64, 0x66), 4);

    clear();
    pc = RT_AT(".inst 0x00000000");
    check_taken("UDF #0 (TGE)", 2, pc, ESR_VAL(EC_UNKNOWN, 0), 0);

    clear();
    pc = RT_AT("hvc #0x77");
    check_taken("HVC #0x77 (TGE)", 2, pc, ESR_VAL(EC_UNKNOWN, 0), 0);

    register uint64_t x0 __asm__("x0") = CMD_DONE;
    __asm__ volatile("svc #0" : "+r"(x0)::"memory");
    for (;;)
        ;
}

/* ---- EL1 kernel ----------------------------------------------------------- */

static void kernel_main(uint64_t arg)
{
    (void)arg;
    rt_set_el1_handler(el1_handler);
    SYSREG_WRITE(vbar_el1, (uint64_t)el1_vectors);
    SYSREG_WRITE(sp_el0, (uint64_t)&el0_stack[512]);
    /* Enter EL0t (SPSR_EL1.M = 0) with D, A, I, F masked. */
    SYSREG_WRITE(elr_el1, (uint64_t)user_phase1);
    SYSREG_WRITE(spsr_el1, SPSR_DAIF | SPSR_EL0t);
    ISB();
    __asm__ volatile("eret");
    for (;;)
        ;
}

int main(uint64_t dtb)
{
    (void)dtb;
    rt_set_el2_handler(el2_handler);
    SYSREG_WRITE(hcr_el2, HCR_RW); /* EL1 AArch64, no stage 2, no traps */
    ISB();
    rt_eret_to((uint64_t)kernel_main, 0, (uint64_t)__el1_stack_top, SPSR_DAIF | SPSR_EL1h);
    return 0;
}
