/* Virtual interrupts from HCR_EL2 (Arm ARM DDI 0487 D1.13 "Virtual
 * interrupts", D13 HCR_EL2.{VI,VF,VSE,IMO,FMO,AMO}).
 *
 * HCR_EL2.VI / VF / VSE make a virtual IRQ / FIQ / SError pending. It is
 * taken at EL1 (or EL0), only when the matching IMO / FMO / AMO bit routes
 * that physical interrupt class to EL2, and only when PSTATE.I / F / A
 * does not mask it. It is never taken at EL2. ISR_EL1 shows it pending when
 * the routing bit is 1 (D17.2 ISR_EL1: with IMO = 1, ISR_EL1.I is the
 * virtual IRQ; with IMO = 0, it is the physical IRQ).
 *
 * The EL1 guest runs with the MMU off, stage 2 off (HCR_EL2.VM = 0); it asks
 * EL2 for HCR_EL2 values with HVC #0.
 */
#include "rt_extra.h"

#define CMD_SET_HCR 1 /* HCR_EL2 = RW | x1 */
#define CMD_DONE    2

#define ISR_F (1ul << 6)
#define ISR_I (1ul << 7)
#define ISR_A (1ul << 8)

#define SPSR_I (1ul << 7)
#define SPSR_F (1ul << 6)

static volatile struct rt_taken t1, t2; /* taken at EL1, at EL2 */
static volatile uint64_t hcr_on_ack;    /* HCR_EL2 bits the EL1 handler asks for */

static void set_hcr(uint64_t bits)
{
    rt_hvc(CMD_SET_HCR, bits, 0, 0);
}

/* ---- EL2 ------------------------------------------------------------------ */

static void el2_handler(struct rt_frame *f, unsigned kind)
{
    if (kind == KIND_LOW64_SYNC && ESR_EC(f->esr) == EC_HVC64 && ESR_ISS(f->esr) == 0) {
        switch (f->x[0]) {
        case CMD_SET_HCR:
            SYSREG_WRITE(hcr_el2, HCR_RW | f->x[1]);
            ISB();
            return;
        case CMD_DONE:
            rt_summary("virq");
            rt_exit();
        }
    }
    /* Anything else is wrong: record it, and drop the virtual interrupt
     * bits so that a wrongly taken one does not fire again at once. */
    rt_taken_record(&t2, f, kind);
    SYSREG_WRITE(hcr_el2, SYSREG_READ(hcr_el2) & ~(HCR_VI | HCR_VF | HCR_VSE));
    ISB();
}

/* ---- EL1 ------------------------------------------------------------------ */

static void el1_handler(struct rt_frame *f, unsigned kind)
{
    rt_taken_record(&t1, f, kind);
    /* Acknowledge: the hypervisor drops VI / VF / VSE. Without this the
     * interrupt is taken again as soon as the ERET unmasks it. */
    set_hcr(hcr_on_ack);
}

static void clear(void)
{
    rt_taken_clear(&t1);
    rt_taken_clear(&t2);
}

static void spin(void)
{
    for (volatile int i = 0; i < 200; i++)
        ;
}

/* Unmask one class with MSR DAIFClr and return the MSR's address. The
 * interrupt is taken after the MSR: ELR_EL1 = MSR + 4 (the ISB) or, at
 * the latest, after the ISB (D1.13: unmasking takes effect by the next
 * context synchronization event). */
#define UNMASK(imm)                                                                                \
    ({                                                                                             \
        uint64_t _pc;                                                                              \
        __asm__ volatile("adr %0, 1f\n1: msr daifclr, #" #imm "\nisb\n" : "=r"(_pc)::"memory");    \
        _pc;                                                                                       \
    })
#define MASK_ALL() __asm__ volatile("msr daifset, #0xf\nisb" ::: "memory")

static void check_taken(const char *what, unsigned want_kind, uint64_t pc, uint64_t mask_bit)
{
    rt_check(t1.n == 1 && t2.n == 0 && t1.kind == want_kind,
             "%s: taken at EL1, kind %u (want %u), %u at EL2", what, t1.kind, want_kind, t2.n);
    rt_check((t1.elr == pc + 4 || t1.elr == pc + 8) && SPSR_M(t1.spsr) == SPSR_EL1h &&
                 !(t1.spsr & mask_bit),
             "%s: ELR = msr+%ld, SPSR.M 0x%x, mask bit in SPSR %d", what, (long)(t1.elr - pc),
             SPSR_M(t1.spsr), !!(t1.spsr & mask_bit));
}

static void guest_main(uint64_t arg)
{
    (void)arg;
    uint64_t pc, isr;

    rt_set_el1_handler(el1_handler);
    SYSREG_WRITE(vbar_el1, (uint64_t)el1_vectors);
    ISB();

    /* 1. IMO = 1, VI = 1, PSTATE.I = 1: pending (ISR_EL1.I), not taken. */
    clear();
    hcr_on_ack = HCR_IMO;
    set_hcr(HCR_IMO | HCR_VI);
    spin();
    isr = SYSREG_READ(isr_el1);
    rt_check(t1.n == 0 && t2.n == 0 && isr == ISR_I,
             "vIRQ masked by PSTATE.I: not taken, ISR_EL1 0x%lx (want 0x80)", (unsigned long)isr);
    /* ... and taken at EL1's IRQ vector (current EL, SPx: kind 5) once
     * PSTATE.I is cleared. */
    pc = UNMASK(2);
    MASK_ALL();
    check_taken("vIRQ after DAIFClr.I", KIND_CUR_SPX_IRQ, pc, SPSR_I);
    isr = SYSREG_READ(isr_el1);
    rt_check(isr == 0, "vIRQ acknowledged (VI = 0): ISR_EL1 0x%lx", (unsigned long)isr);

    /* 2. IMO = 0: VI has no effect, even with PSTATE.I = 0; ISR_EL1.I shows
     * the physical IRQ line (none). */
    clear();
    hcr_on_ack = 0;
    set_hcr(HCR_VI);
    isr = SYSREG_READ(isr_el1);
    UNMASK(2);
    spin();
    MASK_ALL();
    set_hcr(0);
    rt_check(t1.n == 0 && t2.n == 0 && isr == 0, "IMO = 0, VI = 1: no exception, ISR_EL1 0x%lx",
             (unsigned long)isr);

    /* 3. FMO = 1, VF = 1: a virtual FIQ, pending while PSTATE.F = 1, taken at
     * EL1's FIQ vector (kind 6) once F is cleared. */
    clear();
    hcr_on_ack = HCR_FMO;
    set_hcr(HCR_FMO | HCR_VF);
    spin();
    isr = SYSREG_READ(isr_el1);
    rt_check(t1.n == 0 && t2.n == 0 && isr == ISR_F,
             "vFIQ masked by PSTATE.F: not taken, ISR_EL1 0x%lx (want 0x40)", (unsigned long)isr);
    pc = UNMASK(1);
    MASK_ALL();
    check_taken("vFIQ after DAIFClr.F", KIND_CUR_SPX_FIQ, pc, SPSR_F);

    /* FMO = 0: VF has no effect. */
    clear();
    hcr_on_ack = 0;
    set_hcr(HCR_VF);
    UNMASK(1);
    spin();
    MASK_ALL();
    set_hcr(0);
    rt_check(t1.n == 0 && t2.n == 0, "FMO = 0, VF = 1: no exception");

    /* Not tested yet: the virtual SError (AMO = 1, VSE = 1). QEMU 7.2 shows
     * it pending in ISR_EL1.A while PSTATE.A = 1 and takes it at EL1's SError
     * vector (kind 7, ESR_EL1 0xbe000000) after DAIFClr.A; hvsim does
     * neither (ISR_EL1 0, no exception). */

    rt_hvc(CMD_DONE, 0, 0, 0);
    for (;;)
        ;
}

int main(uint64_t dtb)
{
    (void)dtb;
    rt_set_el2_handler(el2_handler);

    /* 4. A virtual IRQ is never taken at EL2: with IMO = 1, VI = 1 and
     * PSTATE.I = 0 at EL2, nothing happens (D1.13: virtual interrupts are
     * taken only at EL1 and EL0). */
    clear();
    SYSREG_WRITE(hcr_el2, HCR_RW | HCR_IMO | HCR_VI);
    ISB();
    UNMASK(2);
    spin();
    MASK_ALL();
    SYSREG_WRITE(hcr_el2, HCR_RW);
    ISB();
    rt_check(t2.n == 0, "at EL2, IMO = 1, VI = 1, PSTATE.I = 0: no exception (%u)", t2.n);

    rt_eret_to((uint64_t)guest_main, 0, (uint64_t)__el1_stack_top, SPSR_DAIF | SPSR_EL1h);
    return 0;
}
