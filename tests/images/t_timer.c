/* The generic timer (Arm ARM DDI 0487, D11 "The Generic Timer in AArch64
 * state"; registers in D19.12).
 *
 * Counter values differ between hvsim (virtual time) and QEMU (host time),
 * so this image prints only relations that hold on both:
 *   - CNTFRQ_EL0 is 62.5 MHz (QEMU virt's frequency);
 *   - CNTPCT_EL0 never goes backwards and advances;
 *   - CNTVCT_EL0 = CNTPCT_EL0 - CNTVOFF_EL2 (at EL2 with HCR_EL2.E2H = 0 and at
 *     EL1), bracketed by two CNTPCT reads, also when CNTVOFF > count;
 *   - for each timer (EL2 physical, EL1 physical, virtual): TVAL/CVAL
 *     arithmetic (D11.2.4), ISTATUS clear before the deadline and set once
 *     polling passes it, IMASK not affecting ISTATUS, a negative TVAL;
 *   - at EL1: CNTHCTL_EL2.EL1PCTEN traps CNTPCT_EL0 and EL1PCEN traps
 *     CNTP_*_EL0 to EL2 with EC 0x18 and the MRS/MSR ISS (D17.2.37), the EL2
 *     registers and a CNTFRQ_EL0 write are UNDEFINED at EL1.
 * No interrupts: outputs are observed through ISTATUS only.
 *
 * Not tested here (see docs/timer.md): EL0 accesses (QEMU 7.2 traps
 * CNTKCTL_EL1-controlled EL0 accesses to EL1 with EC 0x18, hvsim with EC 0x00
 * until the sysreg layer has a trap-to-EL1 decision; and QEMU 7.2 checks
 * CNTHCTL_EL2.EL1PCEN instead of EL1PCTEN for EL0 CNTPCT_EL0 reads), and a
 * CNTFRQ_EL0 write at EL2 (QEMU virt has no EL3, so EL2 is the highest EL and
 * may write it; hvsim has EL3, so it UNDEFs).
 */
#include "rt_extra.h"

#define FREQ        62500000ul
#define CTL_ENABLE  1ul
#define CTL_IMASK   2ul
#define CTL_ISTATUS 4ul

/* Wait at most 1 s of counter time for an ISTATUS that should come after
 * ~10 us (625 ticks). */
#define POLL_LIMIT FREQ
#define SHORT_TVAL 625ul
#define LONG_TVAL  6250000ul /* 100 ms: never reached while the image runs */

#define HVC_SET_CNTHCTL 1
#define HVC_DONE        2

/* ISS of a trapped MRS/MSR (D17.2.37): Op0[21:20] Op2[19:17] Op1[16:14]
 * CRn[13:10] Rt[9:5] CRm[4:1] Direction[0] (1 = read). */
#define SYS_ISS(op0, op1, crn, crm, op2, rt, rd)                                                   \
    (((op0) << 20) | ((op2) << 17) | ((op1) << 14) | ((crn) << 10) | ((rt) << 5) | ((crm) << 1) |  \
     (rd))

static volatile struct rt_taken t1, t2; /* taken at EL1 / EL2 */
static volatile uint64_t guest_cntvoff;

static inline uint64_t cntpct(void)
{
    ISB(); /* reads of the counter are not ordered without it (D11.2.2) */
    return SYSREG_READ(cntpct_el0);
}

static inline uint64_t cntvct(void)
{
    ISB();
    return SYSREG_READ(cntvct_el0);
}

/* ---- the counter ----------------------------------------------------------- */

static void counter_tests(void)
{
    uint64_t first = cntpct(), prev = first, cur;
    bool mono = true;
    for (int i = 0; i < 200; i++) {
        cur = cntpct();
        mono = mono && cur >= prev;
        prev = cur;
    }
    rt_check(mono, "CNTPCT_EL0 never decreases over 200 reads");
    for (volatile int i = 0; i < 20000; i++)
        ;
    rt_check(cntpct() > first, "CNTPCT_EL0 advances");
    rt_check(SYSREG_READ(cntfrq_el0) == FREQ, "CNTFRQ_EL0 = %lu",
             (unsigned long)SYSREG_READ(cntfrq_el0));
}

/* CNTVCT = CNTPCT - CNTVOFF, bracketed by two physical reads. */
static bool vct_bracketed(uint64_t off)
{
    uint64_t p1 = cntpct(), v = cntvct(), p2 = cntpct();
    return p1 <= v + off && v + off <= p2;
}

static void cntvoff_tests(void)
{
    SYSREG_WRITE(cntvoff_el2, 0);
    ISB();
    rt_check(vct_bracketed(0), "EL2: CNTVOFF_EL2 = 0: CNTVCT_EL0 = CNTPCT_EL0");
    SYSREG_WRITE(cntvoff_el2, 0x100000);
    ISB();
    rt_check(SYSREG_READ(cntvoff_el2) == 0x100000, "EL2: CNTVOFF_EL2 reads back 0x100000");
    rt_check(vct_bracketed(0x100000), "EL2 (E2H=0): CNTVCT_EL0 = CNTPCT_EL0 - CNTVOFF_EL2");
    /* An offset larger than the count: the virtual count wraps modulo 2^64. */
    uint64_t big = cntpct() + (1ul << 40);
    SYSREG_WRITE(cntvoff_el2, big);
    ISB();
    uint64_t v = cntvct();
    rt_check(vct_bracketed(big) && v > (1ul << 63),
             "EL2: CNTVOFF_EL2 > count: CNTVCT_EL0 = CNTPCT_EL0 - CNTVOFF_EL2 (wrapped)");
    SYSREG_WRITE(cntvoff_el2, 0x100000);
    ISB();
}

/* ---- the three timers (one body, instantiated per register set) ------------ */

/* off: what the timer compares against is CNTPCT - off. */
#define DEFINE_TIMER_TESTS(fn, label, ctl, cval, tval)                                             \
    static void fn(uint64_t off)                                                                   \
    {                                                                                              \
        uint64_t p1, p2, c, v, end;                                                                \
        /* The largest CVAL whose physical deadline CVAL + off fits in 64 bits:                    \
         * QEMU 7.2 computes that sum without overflow checks and, when it wraps,                  \
         * re-fires its host timer forever (a livelock, not a guest-visible                        \
         * result). For the physical timers (off = 0) this is 2^64 - 1.          */                \
        SYSREG_WRITE(ctl, 0);                                                                      \
        SYSREG_WRITE(cval, ~0ul - off);                                                            \
        SYSREG_WRITE(ctl, CTL_ENABLE);                                                             \
        ISB();                                                                                     \
        rt_check(SYSREG_READ(ctl) == CTL_ENABLE && SYSREG_READ(cval) == ~0ul - off,                \
                 label ": CVAL = 2^64-1 - offset: ENABLE, ISTATUS clear");                         \
        /* TVAL write: CVAL = (count - off) + TVAL; TVAL reads CVAL - count. */                    \
        p1 = cntpct();                                                                             \
        SYSREG_WRITE(tval, LONG_TVAL);                                                             \
        ISB();                                                                                     \
        p2 = cntpct();                                                                             \
        c = SYSREG_READ(cval);                                                                     \
        v = SYSREG_READ(tval);                                                                     \
        rt_check(c >= p1 - off + LONG_TVAL && c <= p2 - off + LONG_TVAL,                           \
                 label ": TVAL write sets CVAL = count + TVAL");                                   \
        rt_check(v > 0 && v <= LONG_TVAL, label ": TVAL reads back (0, 6250000]");                 \
        rt_check(SYSREG_READ(ctl) == CTL_ENABLE, label ": before the deadline: ISTATUS clear");    \
        /* A short deadline: ISTATUS sets once the count passes CVAL. */                           \
        SYSREG_WRITE(tval, SHORT_TVAL);                                                            \
        ISB();                                                                                     \
        end = cntpct() + POLL_LIMIT;                                                               \
        while (!(SYSREG_READ(ctl) & CTL_ISTATUS) && cntpct() < end)                                \
            ;                                                                                      \
        c = SYSREG_READ(cval);                                                                     \
        rt_check(SYSREG_READ(ctl) == (CTL_ENABLE | CTL_ISTATUS) && cntpct() - off >= c,            \
                 label ": polled past the deadline: CTL = ENABLE|ISTATUS, count >= CVAL");         \
        rt_check((int32_t)SYSREG_READ(tval) <= 0, label ": after the deadline TVAL <= 0");         \
        /* IMASK masks the output only, not ISTATUS. */                                            \
        SYSREG_WRITE(ctl, CTL_ENABLE | CTL_IMASK);                                                 \
        SYSREG_WRITE(tval, SHORT_TVAL);                                                            \
        ISB();                                                                                     \
        end = cntpct() + POLL_LIMIT;                                                               \
        while (!(SYSREG_READ(ctl) & CTL_ISTATUS) && cntpct() < end)                                \
            ;                                                                                      \
        rt_check(SYSREG_READ(ctl) == (CTL_ENABLE | CTL_IMASK | CTL_ISTATUS),                       \
                 label ": IMASK set: ISTATUS still sets (CTL = 7)");                               \
        /* A negative TVAL puts CVAL in the past: met at once. */                                  \
        p1 = cntpct();                                                                             \
        SYSREG_WRITE(tval, (uint32_t)-1000);                                                       \
        ISB();                                                                                     \
        p2 = cntpct();                                                                             \
        c = SYSREG_READ(cval);                                                                     \
        rt_check(c >= p1 - off - 1000 && c <= p2 - off - 1000 &&                                   \
                     (int32_t)SYSREG_READ(tval) <= -1000 &&                                        \
                     SYSREG_READ(ctl) == (CTL_ENABLE | CTL_IMASK | CTL_ISTATUS),                   \
                 label ": TVAL = -1000: CVAL = count - 1000, ISTATUS set at once");                \
        /* ENABLE = 0: ISTATUS reads 0 (UNKNOWN in the Arm ARM; 0 on both models). */              \
        SYSREG_WRITE(ctl, 0);                                                                      \
        ISB();                                                                                     \
        rt_check(SYSREG_READ(ctl) == 0, label ": disabled: CTL reads 0");                          \
    }

DEFINE_TIMER_TESTS(el2_phys_tests, "EL2 physical (CNTHP)", cnthp_ctl_el2, cnthp_cval_el2,
                   cnthp_tval_el2)
DEFINE_TIMER_TESTS(el1_phys_tests, "EL1 physical (CNTP)", cntp_ctl_el0, cntp_cval_el0,
                   cntp_tval_el0)
DEFINE_TIMER_TESTS(virt_tests, "virtual (CNTV)", cntv_ctl_el0, cntv_cval_el0, cntv_tval_el0)

/* ---- EL1: traps and UNDEFs --------------------------------------------------- */

/* Run one instruction at a known PC. Registers x5-x13 are named by the
 * probes (so that the ISS Rt is known) and clobbered here. */
#define PROBE(insn)                                                                                \
    ({                                                                                             \
        uint64_t _pc;                                                                              \
        rt_taken_clear(&t1);                                                                       \
        rt_taken_clear(&t2);                                                                       \
        __asm__ volatile("adr %0, 1f\n1: " insn "\n"                                               \
                         : "=r"(_pc)                                                               \
                         :                                                                         \
                         : "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "memory");    \
        _pc;                                                                                       \
    })

static void expect_trap_el2(const char *what, uint64_t pc, uint32_t iss)
{
    uint64_t want = ESR_VAL(EC_SYS64, iss);
    rt_check(t1.n == 0 && t2.n == 1 && t2.kind == KIND_LOW64_SYNC && t2.esr == want && t2.elr == pc,
             "[EL1] %s: trapped to EL2, ESR_EL2 0x%lx (want 0x%lx)", what, (unsigned long)t2.esr,
             (unsigned long)want);
}

static void expect_undef_el1(const char *what, uint64_t pc)
{
    rt_check(t2.n == 0 && t1.n == 1 && t1.kind == KIND_CUR_SPX_SYNC &&
                 t1.esr == ESR_VAL(EC_UNKNOWN, 0) && t1.elr == pc,
             "[EL1] %s: UNDEFINED, ESR_EL1 0x%lx", what, (unsigned long)t1.esr);
}

static void expect_ok(const char *what)
{
    rt_check(t1.n == 0 && t2.n == 0, "[EL1] %s: allowed", what);
}

#define ISS_CNTPCT_X5   SYS_ISS(3, 3, 14, 0, 1, 5, 1)
#define ISS_CNTP_CTL_X6 SYS_ISS(3, 3, 14, 2, 1, 6, 1)
#define ISS_CNTP_TVAL_W SYS_ISS(3, 3, 14, 2, 0, 7, 0)
#define ISS_CNTP_CVAL_W SYS_ISS(3, 3, 14, 2, 2, 8, 0)
#define ISS_CNTP_CVAL_R SYS_ISS(3, 3, 14, 2, 2, 9, 1)
#define ISS_CNTP_TVAL_R SYS_ISS(3, 3, 14, 2, 0, 10, 1)

static void set_cnthctl(uint64_t v)
{
    rt_hvc(HVC_SET_CNTHCTL, v, 0, 0);
}

static void el1_handler(struct rt_frame *f, unsigned kind)
{
    rt_taken_record(&t1, f, kind);
    f->elr += 4;
}

static void guest_main(uint64_t arg)
{
    uint64_t pc;
    (void)arg;
    rt_set_el1_handler(el1_handler);
    SYSREG_WRITE(vbar_el1, (uint64_t)el1_vectors);
    ISB();

    /* CNTHCTL_EL2 = 0: both EL1 physical controls off. */
    set_cnthctl(0);
    pc = PROBE("mrs x5, cntpct_el0");
    expect_trap_el2("CNTHCTL_EL2=0: MRS x5, CNTPCT_EL0", pc, ISS_CNTPCT_X5);
    pc = PROBE("mrs x6, cntp_ctl_el0");
    expect_trap_el2("CNTHCTL_EL2=0: MRS x6, CNTP_CTL_EL0", pc, ISS_CNTP_CTL_X6);
    pc = PROBE("msr cntp_tval_el0, x7");
    expect_trap_el2("CNTHCTL_EL2=0: MSR CNTP_TVAL_EL0, x7", pc, ISS_CNTP_TVAL_W);
    pc = PROBE("msr cntp_cval_el0, x8");
    expect_trap_el2("CNTHCTL_EL2=0: MSR CNTP_CVAL_EL0, x8", pc, ISS_CNTP_CVAL_W);
    pc = PROBE("mrs x9, cntp_cval_el0");
    expect_trap_el2("CNTHCTL_EL2=0: MRS x9, CNTP_CVAL_EL0", pc, ISS_CNTP_CVAL_R);
    pc = PROBE("mrs x10, cntp_tval_el0");
    expect_trap_el2("CNTHCTL_EL2=0: MRS x10, CNTP_TVAL_EL0", pc, ISS_CNTP_TVAL_R);
    PROBE("mrs x8, cntvct_el0");
    expect_ok("CNTHCTL_EL2=0: MRS CNTVCT_EL0");
    PROBE("mrs x9, cntv_ctl_el0");
    expect_ok("CNTHCTL_EL2=0: MRS CNTV_CTL_EL0");
    PROBE("mrs x10, cntfrq_el0");
    expect_ok("CNTHCTL_EL2=0: MRS CNTFRQ_EL0");

    /* EL1PCTEN (bit 0) alone: the counter, not the timer. */
    set_cnthctl(1);
    PROBE("mrs x5, cntpct_el0");
    expect_ok("CNTHCTL_EL2=1 (EL1PCTEN): MRS CNTPCT_EL0");
    pc = PROBE("mrs x6, cntp_ctl_el0");
    expect_trap_el2("CNTHCTL_EL2=1 (EL1PCTEN): MRS x6, CNTP_CTL_EL0", pc, ISS_CNTP_CTL_X6);

    /* EL1PCEN (bit 1) alone: the timer, not the counter. */
    set_cnthctl(2);
    pc = PROBE("mrs x5, cntpct_el0");
    expect_trap_el2("CNTHCTL_EL2=2 (EL1PCEN): MRS x5, CNTPCT_EL0", pc, ISS_CNTPCT_X5);
    PROBE("mrs x6, cntp_ctl_el0");
    expect_ok("CNTHCTL_EL2=2 (EL1PCEN): MRS CNTP_CTL_EL0");

    set_cnthctl(3);
    PROBE("mrs x5, cntpct_el0");
    expect_ok("CNTHCTL_EL2=3: MRS CNTPCT_EL0");

    /* EL2 registers, and CNTFRQ_EL0 writes (writable only at the highest
     * EL), are UNDEFINED at EL1: EC 0x00 taken to EL1. */
    pc = PROBE("mrs x10, cnthctl_el2");
    expect_undef_el1("MRS CNTHCTL_EL2", pc);
    pc = PROBE("mrs x11, cntvoff_el2");
    expect_undef_el1("MRS CNTVOFF_EL2", pc);
    pc = PROBE("msr cnthp_ctl_el2, x12");
    expect_undef_el1("MSR CNTHP_CTL_EL2", pc);
    pc = PROBE("msr cntfrq_el0, x13");
    expect_undef_el1("MSR CNTFRQ_EL0", pc);

    /* CNTKCTL_EL1 is EL1's own (bits used: EL0PCTEN, EL0VCTEN). */
    SYSREG_WRITE(cntkctl_el1, 3);
    ISB();
    rt_check(SYSREG_READ(cntkctl_el1) == 3, "[EL1] CNTKCTL_EL1 reads back 3");

    /* The virtual count at EL1 includes CNTVOFF_EL2, and the timers work at
     * EL1 with both controls on. */
    rt_check(vct_bracketed(guest_cntvoff), "[EL1] CNTVCT_EL0 = CNTPCT_EL0 - CNTVOFF_EL2");
    virt_tests(guest_cntvoff);
    el1_phys_tests(0);

    rt_hvc(HVC_DONE, 0, 0, 0);
    for (;;)
        ;
}

static void el2_handler(struct rt_frame *f, unsigned kind)
{
    unsigned ec = ESR_EC(f->esr);
    if (kind == KIND_LOW64_SYNC && ec == EC_HVC64) {
        switch (f->x[0]) {
        case HVC_SET_CNTHCTL:
            SYSREG_WRITE(cnthctl_el2, f->x[1]);
            ISB();
            return;
        case HVC_DONE:
            rt_summary("timer");
            rt_exit();
        }
    }
    rt_taken_record(&t2, f, kind);
    if (kind == KIND_LOW64_SYNC && ec == EC_SYS64) {
        f->elr += 4;
        return;
    }
    rt_check(false, "unexpected exception at EL2: kind %u ESR 0x%lx ELR 0x%lx", kind,
             (unsigned long)f->esr, (unsigned long)f->elr);
    rt_summary("timer");
    rt_exit();
}

int main(uint64_t dtb)
{
    (void)dtb;
    rt_set_el2_handler(el2_handler);
    rt_check(rt_current_el() == 2, "running at EL%u", rt_current_el());

    counter_tests();
    cntvoff_tests();
    el2_phys_tests(0);
    el1_phys_tests(0);
    /* The virtual timer with a non-zero CNTVOFF_EL2 below the count, so
     * that the virtual count does not wrap: with a wrapped count, CVAL =
     * count + TVAL wraps too and the result would depend on how far the
     * count has got (host time on QEMU). The wrapped case is unit-tested. */
    uint64_t off = cntpct() / 2;
    SYSREG_WRITE(cntvoff_el2, off);
    ISB();
    virt_tests(off);

    /* Enter EL1 (AArch64, no stage 2) with another virtual offset. */
    guest_cntvoff = cntpct() / 3;
    SYSREG_WRITE(cntvoff_el2, guest_cntvoff);
    SYSREG_WRITE(hcr_el2, HCR_RW);
    ISB();
    rt_eret_to((uint64_t)guest_main, 0, (uint64_t)__el1_stack_top, 0x3c5);
    return 0;
}
