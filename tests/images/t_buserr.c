/* Accesses to physical addresses with nothing behind them: a synchronous
 * External abort, as QEMU's virt machine answers an unassigned address
 * (Arm ARM DDI 0487):
 *   - a load or store: Data Abort, EC 0x25 (same EL) / 0x24 (lower EL),
 *     DFSC = 0b010000 "synchronous External abort, not on a translation
 *     table walk", WnR = 1 for a store, EA = 0, FnV = 0 and FAR_ELx = the
 *     VA of the access (D17.2.37 "ISS encoding for an exception from a Data
 *     Abort", D17.2.40 FAR_ELx);
 *   - an instruction fetch: Instruction Abort, EC 0x21 / 0x20, IFSC =
 *     0b010000, FAR_ELx = ELR_ELx = the fetch address;
 *   - taken to the current EL at EL1 and EL2 (D1.10.4: EL1 accesses with
 *     HCR_EL2.TGE = 0 go to EL1; SCR_EL3.EA = 0, no RAS: HCR_EL2.TEA absent);
 *   - the faulting instruction does not complete: no base writeback, ELR =
 *     the instruction (D1.10.1 preferred return address of an abort).
 * ISV (ISS[24]) is printed, not checked, for aborts taken to EL2 from a single
 * register load/store: QEMU 7.2 sets it from the instruction (its
 * merge_syn_data_abort()); for aborts taken to EL1 it is 0.
 *
 * Holes used (empty on QEMU 7.2 virt and on hvsim's virt, docs/platform.md):
 * 0x090c0000 (between SECURE_GPIO and hvsim's uart1) and 0x48000000 (just
 * past the 128 MiB of RAM, so a pair can straddle RAM and the hole). The MMU
 * is off: VA = PA. */
#include "rt_extra.h"

#define HOLE     0x090c0000ul
#define RAM_END  0x48000000ul
#define CMD_DONE 2

#define DFSC_SEA 0x10
#define ISS_ISV  (1u << 24)
#define ISS_EA   (1u << 9)
#define ISS_FNV  (1u << 10)
#define ISS_WNR  (1u << 6)

static volatile struct rt_taken t1, t2; /* taken at EL1, at EL2 */
static volatile uint64_t x0_after;

/* Same-EL synchronous exceptions are the test cases: record them and resume
 * after the faulting load/store, or at the return address of a BLR into a
 * hole. */
static void resume(struct rt_frame *f)
{
    unsigned ec = ESR_EC(f->esr);
    if (ec == EC_IABT_CUR || ec == EC_IABT_LOW)
        f->elr = f->x[30];
    else
        f->elr += 4;
}

static void el2_handler(struct rt_frame *f, unsigned kind)
{
    if (kind == KIND_LOW64_SYNC && ESR_EC(f->esr) == EC_HVC64 && f->x[0] == CMD_DONE) {
        rt_summary("buserr");
        rt_exit();
    }
    rt_taken_record(&t2, f, kind);
    resume(f);
}

static void el1_handler(struct rt_frame *f, unsigned kind)
{
    rt_taken_record(&t1, f, kind);
    resume(f);
}

/* Run one instruction with x0 = base (x2 = 1 as an index); return its PC. */
#define TRY(insn, base)                                                                            \
    ({                                                                                             \
        uint64_t _pc;                                                                              \
        register uint64_t _x0 __asm__("x0") = (base);                                              \
        register uint64_t _x2 __asm__("x2") = 1;                                                   \
        __asm__ volatile("adr %0, 1f\n1: " insn "\n"                                               \
                         : "=&r"(_pc), "+r"(_x0), "+r"(_x2)                                        \
                         :                                                                         \
                         : "x1", "x30", "memory");                                                 \
        x0_after = _x0;                                                                            \
        _pc;                                                                                       \
    })

static void clear(void)
{
    rt_taken_clear(&t1);
    rt_taken_clear(&t2);
}

/* One data abort was taken at `el` (and nothing elsewhere) for the
 * instruction at pc, with FAR = va and the given WnR. */
static void check_dabt(unsigned el, const char *what, uint64_t pc, uint64_t va, bool wnr,
                       bool check_isv0)
{
    volatile struct rt_taken *t = el == 1 ? &t1 : &t2, *o = el == 1 ? &t2 : &t1;
    unsigned iss = ESR_ISS(t->esr);
    rt_printf("EL%u %s: ESR 0x%lx FAR 0x%lx ISV %u\n", el, what, (unsigned long)t->esr,
              (unsigned long)t->far, (iss & ISS_ISV) ? 1 : 0);
    rt_check(t->n == 1 && o->n == 0 && t->kind == KIND_CUR_SPX_SYNC,
             "EL%u %s: one abort, at EL%u (kind %u)", el, what, el, t->kind);
    rt_check(ESR_EC(t->esr) == EC_DABT_CUR && (t->esr & ESR_IL) && (iss & 0x3f) == DFSC_SEA &&
                 !(iss & ISS_EA) && !(iss & ISS_FNV) && !!(iss & ISS_WNR) == wnr,
             "EL%u %s: EC 0x25, IL, DFSC 0x10, EA 0, FnV 0, WnR %u", el, what, wnr);
    rt_check(!check_isv0 || !(iss & ISS_ISV), "EL%u %s: ISV 0", el, what);
    rt_check(t->far == va && t->elr == pc, "EL%u %s: FAR = VA 0x%lx, ELR = the instruction", el,
             what, (unsigned long)va);
}

static void check_iabt(unsigned el, const char *what, uint64_t va)
{
    volatile struct rt_taken *t = el == 1 ? &t1 : &t2, *o = el == 1 ? &t2 : &t1;
    rt_printf("EL%u %s: ESR 0x%lx FAR 0x%lx ELR 0x%lx\n", el, what, (unsigned long)t->esr,
              (unsigned long)t->far, (unsigned long)t->elr);
    rt_check(t->n == 1 && o->n == 0 && t->kind == KIND_CUR_SPX_SYNC &&
                 t->esr == ESR_VAL(EC_IABT_CUR, DFSC_SEA) && t->far == va && t->elr == va,
             "EL%u %s: instruction abort EC 0x21, IFSC 0x10, FAR = ELR = 0x%lx", el, what,
             (unsigned long)va);
}

/* The same cases at EL1 and at EL2; at EL2 a single-register access may
 * carry an instruction syndrome (printed), at EL1 ISV is 0. */
static void run_cases(unsigned el)
{
    bool isv0 = el == 1;
    uint64_t pc;

    clear();
    pc = TRY("ldrb w1, [x0]", HOLE);
    check_dabt(el, "ldrb w1, [x0]", pc, HOLE, false, isv0);
    clear();
    pc = TRY("ldrh w1, [x0, #2]", HOLE);
    check_dabt(el, "ldrh w1, [x0, #2]", pc, HOLE + 2, false, isv0);
    clear();
    pc = TRY("ldr w1, [x0, #4]", HOLE);
    check_dabt(el, "ldr w1, [x0, #4]", pc, HOLE + 4, false, isv0);
    clear();
    pc = TRY("ldr x1, [x0, #0x18]", HOLE);
    check_dabt(el, "ldr x1, [x0, #0x18]", pc, HOLE + 0x18, false, isv0);
    clear();
    pc = TRY("strb w2, [x0, #1]", HOLE);
    check_dabt(el, "strb w2, [x0, #1]", pc, HOLE + 1, true, isv0);
    clear();
    pc = TRY("strh w2, [x0, #6]", HOLE);
    check_dabt(el, "strh w2, [x0, #6]", pc, HOLE + 6, true, isv0);
    clear();
    pc = TRY("str w2, [x0, #0x20]", HOLE);
    check_dabt(el, "str w2, [x0, #0x20]", pc, HOLE + 0x20, true, isv0);
    clear();
    pc = TRY("str x2, [x0, #0x28]", HOLE);
    check_dabt(el, "str x2, [x0, #0x28]", pc, HOLE + 0x28, true, isv0);
    clear();
    pc = TRY("ldr x1, [x0, x2, lsl #3]", HOLE);
    check_dabt(el, "ldr x1, [x0, x2, lsl #3]", pc, HOLE + 8, false, isv0);
    clear();
    pc = TRY("ldur w1, [x0, #-4]", HOLE + 0x40);
    check_dabt(el, "ldur w1, [x0, #-4]", pc, HOLE + 0x3c, false, isv0);

    /* Writeback forms: no syndrome (ISV 0), and the base is not written. */
    clear();
    pc = TRY("ldr x1, [x0, #16]!", HOLE);
    check_dabt(el, "ldr x1, [x0, #16]!", pc, HOLE + 16, false, true);
    rt_check(x0_after == HOLE, "EL%u pre-index: x0 not written back", el);
    clear();
    pc = TRY("str x2, [x0], #16", HOLE + 0x80);
    check_dabt(el, "str x2, [x0], #16", pc, HOLE + 0x80, true, true);
    rt_check(x0_after == HOLE + 0x80, "EL%u post-index: x0 not written back", el);

    /* Pairs: no syndrome. A pair straddling the end of RAM faults on its
     * second register, at the first byte past RAM. */
    clear();
    pc = TRY("ldp x1, x2, [x0, #0x30]", HOLE);
    check_dabt(el, "ldp x1, x2, [x0, #0x30]", pc, HOLE + 0x30, false, true);
    clear();
    pc = TRY("stp x2, x2, [x0, #-16]", HOLE + 0x100);
    check_dabt(el, "stp x2, x2, [x0, #-16]", pc, HOLE + 0xf0, true, true);
    clear();
    pc = TRY("ldp x1, x2, [x0]", RAM_END - 8);
    check_dabt(el, "ldp x1, x2, [x0] across the end of RAM", pc, RAM_END, false, true);

    /* An instruction fetch from the hole. */
    clear();
    TRY("blr x0", HOLE + 0x200);
    check_iabt(el, "blr into the hole", HOLE + 0x200);
}

static void guest_main(uint64_t arg)
{
    (void)arg;
    rt_set_el1_handler(el1_handler);
    SYSREG_WRITE(vbar_el1, (uint64_t)el1_vectors);
    ISB();
    rt_check(rt_current_el() == 1, "guest running at EL%u", rt_current_el());
    run_cases(1);
    rt_hvc(CMD_DONE, 0, 0, 0);
    for (;;)
        ;
}

int main(uint64_t dtb)
{
    (void)dtb;
    rt_set_el2_handler(el2_handler);
    run_cases(2);
    /* HCR_EL2: RW = 1 (EL1 is AArch64), VM = 0 (no stage 2), TGE = 0. */
    SYSREG_WRITE(hcr_el2, HCR_RW);
    ISB();
    rt_eret_to((uint64_t)guest_main, 0, (uint64_t)__el1_stack_top, SPSR_DAIF | SPSR_EL1h);
    return 0;
}
