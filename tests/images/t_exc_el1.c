/* Exceptions from an EL1 guest: which go to EL1, which to EL2, and what the
 * syndrome says (Arm ARM DDI 0487).
 *
 * EL2 runs the guest at EL1h (HCR_EL2.RW = 1: EL1 is AArch64) with the MMU
 * off and stage 2 off (HCR_EL2.VM = 0). The guest asks EL2 to set trap bits
 * with HVC #0 (x0 = command); every other exception is a test case:
 *   - SVC and UNDEFINED instructions at EL1 are taken to EL1 (D1.10);
 *   - HVC from EL1 goes to EL2 (D1.10, C6.2 HVC);
 *   - HCR_EL2.TSC traps SMC to EL2 (D13 HCR_EL2.TSC), EC 0x17, and the
 *     preferred return address is the SMC itself (D1.10, "Preferred
 *     exception return address": a trapped instruction returns to itself);
 *   - HCR_EL2.TWI traps WFI to EL2, EC 0x01 (D13, HCR_EL2);
 *   - HCR_EL2.TVM traps writes, TRVM reads, of the EL1 virtual memory control
 *     registers (SCTLR_EL1 among them) to EL2, EC 0x18 (D13 HCR_EL2, D17.2.37
 *     "ISS encoding for an exception from MSR, MRS, or System instruction");
 *   - an EL2 register is UNDEFINED at EL1 (D13, HCR_EL2 accessibility).
 */
#include "rt_extra.h"

#define CMD_SET_HCR 1 /* HCR_EL2 = RW | x1 */
#define CMD_DONE    2

#define TRVM_VALUE 0x5ca1ab1eul /* what EL2 "emulates" for a trapped MRS */

static volatile struct rt_taken t1, t2; /* taken at EL1, at EL2 */

/* ---- EL2 ------------------------------------------------------------------ */

static void el2_handler(struct rt_frame *f, unsigned kind)
{
    unsigned ec = ESR_EC(f->esr);
    if (kind == KIND_LOW64_SYNC && ec == EC_HVC64 && ESR_ISS(f->esr) == 0) {
        switch (f->x[0]) {
        case CMD_SET_HCR:
            SYSREG_WRITE(hcr_el2, HCR_RW | f->x[1]);
            ISB();
            return;
        case CMD_DONE:
            rt_summary("exc_el1");
            rt_exit();
        }
    }
    rt_taken_record(&t2, f, kind);
    /* Trapped instructions return to themselves: step over them. A trapped
     * MRS gets a value in its Rt (ISS[9:5]) as a hypervisor would emulate. */
    if (ec == EC_SMC64 || ec == EC_WFX || ec == EC_SYS64)
        f->elr += 4;
    if (ec == EC_SYS64 && (f->esr & 1)) {
        unsigned rt = (ESR_ISS(f->esr) >> 5) & 31;
        if (rt < 31)
            f->x[rt] = TRVM_VALUE;
    }
}

/* ---- EL1 ------------------------------------------------------------------ */

static void el1_handler(struct rt_frame *f, unsigned kind)
{
    rt_taken_record(&t1, f, kind);
    if (ESR_EC(f->esr) == EC_UNKNOWN)
        f->elr += 4; /* UNDEFINED: ELR is the instruction itself */
}

static void set_hcr(uint64_t bits)
{
    rt_hvc(CMD_SET_HCR, bits, 0, 0);
}

/* One exception was taken at the EL of `t` (EL1: current EL with SPx, kind
 * 4; EL2: lower EL AArch64, kind 8) with this ESR, ELR = pc + elr_off,
 * SPSR.M = EL1h; nothing was taken at the other EL. */
static void check_taken(const char *what, unsigned el, uint64_t pc, uint64_t want_esr,
                        unsigned elr_off)
{
    volatile struct rt_taken *t = el == 1 ? &t1 : &t2, *other = el == 1 ? &t2 : &t1;
    unsigned want_kind = el == 1 ? KIND_CUR_SPX_SYNC : KIND_LOW64_SYNC;
    rt_check(t->n == 1 && other->n == 0 && t->kind == want_kind && t->esr == want_esr,
             "%s -> EL%u kind %u ESR 0x%lx (want EL%u kind %u 0x%lx)", what, t->n ? el : 3 - el,
             t->n ? t->kind : other->kind, (unsigned long)(t->n ? t->esr : other->esr), el,
             want_kind, (unsigned long)want_esr);
    rt_check(t->elr == pc + elr_off && SPSR_M(t->spsr) == SPSR_EL1h,
             "%s: ELR = insn+%ld (want +%u), SPSR.M 0x%x (EL1h)", what, (long)(t->elr - pc),
             elr_off, SPSR_M(t->spsr));
}

static void clear(void)
{
    rt_taken_clear(&t1);
    rt_taken_clear(&t2);
}

/* ISS for EC 0x18 (D17.2.37): Op0[21:20] Op2[19:17] Op1[16:14] CRn[13:10]
 * Rt[9:5] CRm[4:1] Direction[0] (0 = write/MSR, 1 = read/MRS). */
static uint32_t sys64_iss(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2,
                          unsigned rt, unsigned read)
{
    return (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) | (crm << 1) | read;
}

static void guest_main(uint64_t arg)
{
    (void)arg;
    uint64_t pc;

    rt_set_el1_handler(el1_handler);
    SYSREG_WRITE(vbar_el1, (uint64_t)el1_vectors);
    ISB();
    rt_check(rt_current_el() == 1, "guest running at EL%u", rt_current_el());

    /* SVC from EL1 -> EL1: EC 0x15, ISS = imm16, ELR = next instruction. */
    clear();
    pc = RT_AT("svc #0x11");
    check_taken("SVC #0x11", 1, pc, ESR_VAL(EC_SVC64, 0x11), 4);

    /* HVC from EL1 -> EL2: EC 0x16, ISS = imm16, ELR = next instruction. */
    clear();
    pc = RT_AT("hvc #0x22");
    check_taken("HVC #0x22", 2, pc, ESR_VAL(EC_HVC64, 0x22), 4);

    /* SMC with HCR_EL2.TSC = 1 -> EL2: EC 0x17, ISS = imm16, ELR = the SMC. */
    set_hcr(HCR_TSC);
    clear();
    pc = RT_AT("smc #0x33");
    set_hcr(0);
    check_taken("SMC #0x33 (TSC)", 2, pc, ESR_VAL(EC_SMC64, 0x33), 0);

    /* UDF #0 at EL1 -> EL1: EC 0x00, ISS 0, ELR = the instruction. */
    clear();
    pc = RT_AT(".inst 0x00000000");
    check_taken("UDF #0", 1, pc, ESR_VAL(EC_UNKNOWN, 0), 0);

    /* WFI with HCR_EL2.TWI = 1 -> EL2: EC 0x01, ISS CV = 1, COND = 0b1110
     * (from AArch64), TI = 0 (WFI). No interrupt is pending (the GIC is not
     * set up), so the WFI would sleep and is trapped. */
    set_hcr(HCR_TWI);
    clear();
    pc = RT_AT("wfi");
    set_hcr(0);
    check_taken("WFI (TWI)", 2, pc, ESR_VAL(EC_WFX, (1u << 24) | (0xeu << 20) | 0), 0);

    /* Not tested: WFE with HCR_EL2.TWE = 1. TWE traps a WFE only "if the
     * instruction would otherwise have caused the PE to enter a low-power
     * state" (D13, HCR_EL2), and a PE may treat WFE as a hint that never
     * sleeps. QEMU 7.2 (and hvsim) do exactly that: WFE never traps, even with the
     * Event Register clear ("sevl; wfe; wfe"). */

    /* SCTLR_EL1 is op0 3, op1 0, CRn 1, CRm 0, op2 0. */
    uint64_t sctlr = SYSREG_READ(sctlr_el1);

    /* HCR_EL2.TVM = 1: MSR SCTLR_EL1 traps (Direction 0, Rt = 5); an MRS
     * does not (TVM traps writes only). */
    set_hcr(HCR_TVM);
    clear();
    {
        register uint64_t x5 __asm__("x5") = sctlr;
        __asm__ volatile("adr %0, 1f\n1: msr sctlr_el1, %1\n" : "=&r"(pc) : "r"(x5) : "memory");
    }
    uint64_t rd = SYSREG_READ(sctlr_el1);
    set_hcr(0);
    check_taken("MSR SCTLR_EL1, x5 (TVM)", 2, pc, ESR_VAL(EC_SYS64, sys64_iss(3, 0, 1, 0, 0, 5, 0)),
                0);
    rt_check(rd == sctlr, "MRS SCTLR_EL1 with TVM = 1 is not trapped");

    /* HCR_EL2.TRVM = 1: MRS SCTLR_EL1 traps (Direction 1, Rt = 7) and gets
     * the value EL2 puts in x7; an MSR does not trap (TRVM traps reads). */
    set_hcr(HCR_TRVM);
    clear();
    {
        register uint64_t x7 __asm__("x7") = 0;
        __asm__ volatile("adr %0, 1f\n1: mrs %1, sctlr_el1\n" : "=&r"(pc), "+r"(x7)::"memory");
        rd = x7;
    }
    SYSREG_WRITE(sctlr_el1, sctlr);
    ISB();
    unsigned n_after_msr = t2.n;
    set_hcr(0);
    check_taken("MRS x7, SCTLR_EL1 (TRVM)", 2, pc,
                ESR_VAL(EC_SYS64, sys64_iss(3, 0, 1, 0, 0, 7, 1)), 0);
    rt_check(rd == TRVM_VALUE && n_after_msr == 1,
             "trapped MRS got 0x%lx from EL2; MSR with TRVM = 1 not trapped", (unsigned long)rd);

    /* MRS HCR_EL2 at EL1: UNDEFINED, taken to EL1 (EC 0x00). */
    clear();
    pc = RT_AT("mrs x3, hcr_el2");
    check_taken("MRS HCR_EL2", 1, pc, ESR_VAL(EC_UNKNOWN, 0), 0);

    rt_hvc(CMD_DONE, 0, 0, 0);
    for (;;)
        ;
}

int main(uint64_t dtb)
{
    (void)dtb;
    rt_set_el2_handler(el2_handler);
    /* HCR_EL2: RW = 1 (EL1 is AArch64), VM = 0 (no stage 2), no routing or
     * trap bits yet (D13, HCR_EL2). */
    SYSREG_WRITE(hcr_el2, HCR_RW);
    ISB();
    /* EL1h with D, A, I, F masked (SPSR.M = 0b0101). */
    rt_eret_to((uint64_t)guest_main, 0, (uint64_t)__el1_stack_top, SPSR_DAIF | SPSR_EL1h);
    return 0;
}
