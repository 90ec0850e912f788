/* hvsim: the ARMv8 generic timer, driven by virtual time. See timer.h for
 * the contract and docs/timer.md for the model.
 *
 * References are to the Arm ARM (DDI 0487):
 *   D11.1  "About the Generic Timer", D11.2 "The AArch64 view of the Generic
 *          Timer" (D11.2.1 the counter, D11.2.2 the virtual counter and
 *          CNTVOFF_EL2, D11.2.4 "Operation of the CompareValue views and the
 *          TimerValue views of the timers");
 *   D19.12 "Generic Timer registers": the register descriptions and their
 *          MRS/MSR accessibility pseudocode, which hv_timer_access_decide()
 *          transcribes for HCR_EL2.E2H = 0;
 *   D17.2.37 ESR_ELx (EC 0x18, raised by the CPU for HV_SR_TRAP_EL2).
 *
 * Scope: AArch64 at every EL, no VHE (FEAT_VHE: the cortex-a72 Unicorn
 * model does not implement it, so HCR_EL2.E2H is RES0 there; if a guest
 * ever manages to set it, it is reported once as HV_EV_UNIMPL and the
 * E2H = 0 behaviour is kept), no FEAT_ECV, no event stream, no secure
 * physical timer (CNTPS_*, left to QEMU, which follows host time).
 */
#include "timer.h"

#include <stdlib.h>
#include <string.h>

#include "../cpu_el2/cpu.h"

#define NS_PER_S 1000000000u

/* CNTx_CTL_EL0 / CNTHP_CTL_EL2 (D19.12: CNTP_CTL_EL0 etc.). */
#define CTL_ENABLE  (1u << 0)
#define CTL_IMASK   (1u << 1)
#define CTL_ISTATUS (1u << 2) /* RO: computed, never stored */

/* CNTKCTL_EL1 (D19.12.x CNTKCTL_EL1): EL0PCTEN[0], EL0VCTEN[1], EVNTEN[2],
 * EVNTDIR[3], EVNTI[7:4], EL0VTEN[8], EL0PTEN[9]; the rest is RES0 without
 * FEAT_ECV/FEAT_VHE. */
#define KCTL_EL0PCTEN (1u << 0)
#define KCTL_EL0VCTEN (1u << 1)
#define KCTL_EL0VTEN  (1u << 8)
#define KCTL_EL0PTEN  (1u << 9)
#define KCTL_MASK     0x3ffu

/* CNTHCTL_EL2 with HCR_EL2.E2H = 0: EL1PCTEN[0], EL1PCEN[1], EVNTEN[2],
 * EVNTDIR[3], EVNTI[7:4]; the rest is RES0 on an ARMv8.0 PE. */
#define HCTL_EL1PCTEN (1u << 0)
#define HCTL_EL1PCEN  (1u << 1)
#define HCTL_MASK     0xffu

#define HCR_TGE (1ull << 27)
#define HCR_E2H (1ull << 34)
#define SCR_NS  (1ull << 0)

#define ENC_HCR_EL2 HV_SYSREG(3, 4, 1, 1, 0)
#define ENC_SCR_EL3 HV_SYSREG(3, 6, 1, 1, 0)

/* hvsim's PE always implements EL3 (its boot ROM runs there), so EL2 is not
 * the highest EL and CNTFRQ_EL0 is read-only at EL2. QEMU virt with
 * virtualization=on and no secure=on has no EL3 and lets EL2 write it. */
#define HVSIM_HAVE_EL3 true

static const unsigned ppi_of[HV_TIMER__COUNT] = {
    [HV_TIMER_EL1_PHYS] = HV_TIMER_PPI_EL1_PHYS,
    [HV_TIMER_VIRT] = HV_TIMER_PPI_VIRT,
    [HV_TIMER_EL2_PHYS] = HV_TIMER_PPI_EL2_PHYS,
};

static const char *const timer_name[HV_TIMER__COUNT] = {"EL1 physical", "virtual", "EL2 physical"};

struct hv_timer;

struct one_timer {
    struct hv_timer *t;
    enum hv_timer_id id;
    uint32_t ctl;      /* ENABLE and IMASK only */
    uint64_t cval;     /* CompareValue */
    uint64_t sched_id; /* pending clock callback, 0 if none */
    bool out;          /* the level last given to io.ppi */
};

struct hv_timer {
    struct hv_cpu *cpu;
    struct hv_clock clock;
    struct hv_timer_io io;
    struct hv_obs *obs;
    uint64_t freq;   /* the system counter's real rate, Hz */
    uint64_t cntfrq; /* CNTFRQ_EL0: what software is told (D19.12: "not interpreted by hardware") */
    uint64_t cntvoff; /* CNTVOFF_EL2 */
    uint64_t cntkctl; /* CNTKCTL_EL1 */
    uint64_t cnthctl; /* CNTHCTL_EL2 */
    struct one_timer tm[HV_TIMER__COUNT];
    bool e2h_reported;
};

/* ---- the counter --------------------------------------------------------- */

/* D11.1.2 "The system counter": a 64-bit count at a fixed frequency. Here it
 * is a pure function of virtual time, so runs are reproducible:
 * count = floor(now_ns * freq / 1e9), in 128 bits, truncated to 64. */
static uint64_t count_at(const struct hv_timer *t, uint64_t ns)
{
    return (uint64_t)((unsigned __int128)ns * t->freq / NS_PER_S);
}

/* The first virtual time at which count_at() >= c: ceil(c * 1e9 / freq).
 * Returns false if that is beyond the 64-bit nanosecond range. */
static bool time_of_count(const struct hv_timer *t, uint64_t c, uint64_t *ns)
{
    unsigned __int128 n = ((unsigned __int128)c * NS_PER_S + t->freq - 1) / t->freq;
    if (n > UINT64_MAX)
        return false;
    *ns = (uint64_t)n;
    return true;
}

uint64_t hv_timer_count(const struct hv_timer *t)
{
    return count_at(t, t->clock.now(t->clock.ctx));
}

/* The offset between the physical count and the count a timer compares
 * against: CNTVOFF_EL2 for the virtual timer (D11.2.2; with E2H = 0 at every
 * EL, as in the CNTVCT_EL0 pseudocode when HaveEL(EL2)), 0 otherwise. */
static uint64_t offset_of(const struct hv_timer *t, enum hv_timer_id id)
{
    return id == HV_TIMER_VIRT ? t->cntvoff : 0;
}

/* D11.2.4: the timer condition is met when (Counter - Offset) - CompareValue
 * >= 0, the subtraction taken as unsigned 64-bit, i.e. Counter - Offset >=
 * CompareValue (QEMU's gt_recalc_timer does the same). */
static bool condition_met(const struct hv_timer *t, enum hv_timer_id id, uint64_t count)
{
    return count - offset_of(t, id) >= t->tm[id].cval;
}

static bool istatus(const struct hv_timer *t, enum hv_timer_id id, uint64_t count)
{
    return (t->tm[id].ctl & CTL_ENABLE) && condition_met(t, id, count);
}

bool hv_timer_output(const struct hv_timer *t, enum hv_timer_id id)
{
    return t->tm[id].out;
}

/* ---- events ----------------------------------------------------------------- */

/* HV_EV_TIMER: a timer programmed (a CTL, CVAL, TVAL or CNTVOFF_EL2 write)
 * or fired (its output rose). The count is the one the timer compares
 * with CVAL (D11.2.4: Counter - Offset). */
static void emit_timer(struct hv_timer *t, enum hv_timer_id id, enum hv_timer_op op)
{
    if (!hv_obs_wants(t->obs, HV_EV_TIMER))
        return;
    uint64_t count = hv_timer_count(t);
    struct hv_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = HV_EV_TIMER;
    if (t->cpu) {
        ev.el = (uint8_t)hv_cpu_el(t->cpu);
        ev.pc = hv_cpu_access_pc(t->cpu);
    }
    ev.u.timer.op = (uint8_t)op;
    ev.u.timer.timer = (uint8_t)id;
    ev.u.timer.ctl = t->tm[id].ctl | (istatus(t, id, count) ? CTL_ISTATUS : 0);
    ev.u.timer.cval = t->tm[id].cval;
    ev.u.timer.count = count - offset_of(t, id);
    hv_obs_emit(t->obs, &ev);
}

/* ---- recomputing a timer --------------------------------------------------- */

static void on_deadline(void *ctx, uint64_t now);

/* The next physical count at which the output of timer id can change, or
 * false if never within the 64-bit count. Only the compare can change it:
 *   - not met: when Counter - Offset reaches CVAL, cval - v counts later
 *     (v < cval, so v reaches cval before it could wrap);
 *   - met: only if Counter - Offset wraps back to 0, which happens when the
 *     physical count reaches Offset (possible when CNTVOFF > count); the
 *     callback then re-evaluates (the condition holds again if CVAL = 0).
 * The physical count itself does not wrap in 2^64 counts (~9000 years at
 * 62.5 MHz): a target past UINT64_MAX is never scheduled. */
static bool next_change(const struct hv_timer *t, enum hv_timer_id id, uint64_t count,
                        uint64_t *target)
{
    uint64_t off = offset_of(t, id), v = count - off, cval = t->tm[id].cval;
    if (v < cval) {
        uint64_t d = cval - v;
        if (count > UINT64_MAX - d)
            return false;
        *target = count + d;
        return true;
    }
    if (off > count && cval != 0) {
        *target = off;
        return true;
    }
    return false;
}

/* Bring timer id up to date at the current time: drive its output and
 * (re)schedule the clock callback for its next change. Called after every
 * write that can move the condition (CTL, CVAL, TVAL, CNTVOFF) and from the
 * callback itself. */
static void recompute(struct hv_timer *t, enum hv_timer_id id)
{
    struct one_timer *tm = &t->tm[id];
    uint64_t count = hv_timer_count(t);
    bool out = istatus(t, id, count) && !(tm->ctl & CTL_IMASK);

    if (tm->sched_id) {
        t->clock.cancel(t->clock.ctx, tm->sched_id);
        tm->sched_id = 0;
    }
    /* A callback is needed only while the output can change: ENABLE and not
     * IMASK. ISTATUS itself is computed on each read, so a masked timer
     * needs none; unmasking calls recompute() again. */
    if ((tm->ctl & CTL_ENABLE) && !(tm->ctl & CTL_IMASK)) {
        uint64_t target, when;
        if (next_change(t, id, count, &target) && time_of_count(t, target, &when))
            tm->sched_id = t->clock.schedule(t->clock.ctx, when, on_deadline, tm);
    }
    if (out != tm->out) {
        tm->out = out;
        if (out)
            emit_timer(t, id, HV_TIMER_FIRED);
        if (t->io.ppi)
            t->io.ppi(t->io.ctx, ppi_of[id], out);
    }
}

static void on_deadline(void *ctx, uint64_t now)
{
    struct one_timer *tm = ctx;
    (void)now; /* recompute() reads the clock itself: one time source */
    tm->sched_id = 0;
    recompute(tm->t, tm->id);
}

/* ---- access decisions ------------------------------------------------------ */

/* The EL0 trap of the CNTKCTL_EL1 controls: AArch64.SystemAccessTrap(EL1,
 * 0x18), or to EL2 when EL2Enabled() && HCR_EL2.TGE == '1'. */
static enum hv_timer_decision el0_kctl_trap(const struct hv_timer_pe_state *pe)
{
    return (pe->el2_enabled && (pe->hcr_el2 & HCR_TGE)) ? HV_TIMER_TRAP_EL2 : HV_TIMER_TRAP_EL1;
}

/* One transcription of the D19.12 accessibility pseudocode per register
 * class, with ELIsInHost() false (E2H = 0) and FEAT_ECV absent. */
enum hv_timer_decision hv_timer_access_decide(enum hv_timer_regclass rc, bool is_write,
                                              const struct hv_timer_pe_state *pe)
{
    unsigned el = pe->el;
    bool el2 = pe->el2_enabled;

    switch (rc) {
    case HV_TIMER_RC_CNTFRQ:
        /* MSR CNTFRQ_EL0: "if IsHighestEL(PSTATE.EL) then CNTFRQ_EL0 = X[t]
         * else UNDEFINED" -- no trap check. (QEMU 7.2 checks the EL0 trap
         * first; only the syndrome of an EL0 write differs.) */
        if (is_write) {
            unsigned highest = pe->have_el3 ? 3 : 2;
            return el == highest ? HV_TIMER_OK : HV_TIMER_UNDEF;
        }
        /* MRS CNTFRQ_EL0: EL0 needs CNTKCTL_EL1.<EL0PCTEN,EL0VCTEN> != '00'. */
        if (el == 0 && !(pe->cntkctl & (KCTL_EL0PCTEN | KCTL_EL0VCTEN)))
            return el0_kctl_trap(pe);
        return HV_TIMER_OK;

    case HV_TIMER_RC_PCT:
        /* CNTPCT_EL0 is read-only: MSR to it is an unallocated encoding,
         * UNDEFINED before any trap check. */
        if (is_write)
            return HV_TIMER_UNDEF;
        /* MRS CNTPCT_EL0: EL0 checks CNTKCTL_EL1.EL0PCTEN, then EL0 and EL1
         * check CNTHCTL_EL2.EL1PCTEN (bit 0 with E2H = 0). Older releases of
         * the register XML said EL1PCEN for the EL0 case; QEMU 7.2 still
         * does (fixed in QEMU 8.2): see docs/timer.md. */
        if (el == 0 && !(pe->cntkctl & KCTL_EL0PCTEN))
            return el0_kctl_trap(pe);
        if (el <= 1 && el2 && !(pe->cnthctl & HCTL_EL1PCTEN))
            return HV_TIMER_TRAP_EL2;
        return HV_TIMER_OK;

    case HV_TIMER_RC_VCT:
        if (is_write)
            return HV_TIMER_UNDEF;
        /* MRS CNTVCT_EL0: only EL0 is controlled (CNTKCTL_EL1.EL0VCTEN);
         * CNTHCTL_EL2.EL1TVCT needs FEAT_ECV. */
        if (el == 0 && !(pe->cntkctl & KCTL_EL0VCTEN))
            return el0_kctl_trap(pe);
        return HV_TIMER_OK;

    case HV_TIMER_RC_PTIMER:
        /* CNTP_CTL/CVAL/TVAL_EL0: EL0 checks CNTKCTL_EL1.EL0PTEN, then EL0
         * and EL1 check CNTHCTL_EL2.EL1PCEN (bit 1 with E2H = 0). */
        if (el == 0 && !(pe->cntkctl & KCTL_EL0PTEN))
            return el0_kctl_trap(pe);
        if (el <= 1 && el2 && !(pe->cnthctl & HCTL_EL1PCEN))
            return HV_TIMER_TRAP_EL2;
        return HV_TIMER_OK;

    case HV_TIMER_RC_VTIMER:
        /* CNTV_CTL/CVAL/TVAL_EL0: EL0 checks CNTKCTL_EL1.EL0VTEN; nothing
         * traps EL1 without FEAT_ECV (CNTHCTL_EL2.EL1TVT). */
        if (el == 0 && !(pe->cntkctl & KCTL_EL0VTEN))
            return el0_kctl_trap(pe);
        return HV_TIMER_OK;

    case HV_TIMER_RC_KCTL:
        /* CNTKCTL_EL1: "if PSTATE.EL == EL0 then UNDEFINED". (The CPU
         * routes an EL0 UNDEF to EL2 when HCR_EL2.TGE = 1.) */
        return el == 0 ? HV_TIMER_UNDEF : HV_TIMER_OK;

    case HV_TIMER_RC_EL2:
        /* CNTHCTL_EL2, CNTVOFF_EL2, CNTHP_*_EL2: UNDEFINED at EL0 and EL1.
         * (At EL3 with EL2 present they are accessible.) */
        return el <= 1 ? HV_TIMER_UNDEF : HV_TIMER_OK;
    }
    return HV_TIMER_UNDEF;
}

/* ---- the register table ---------------------------------------------------- */

enum reg_kind {
    R_CNTFRQ,
    R_CNTPCT,
    R_CNTVCT,
    R_CNTVOFF,
    R_CNTKCTL,
    R_CNTHCTL,
    R_CTL,
    R_CVAL,
    R_TVAL
};

/* desc->arg: kind | timer << 8 | regclass << 16. */
#define ARG(kind, timer, rc)                                                                       \
    ((uintptr_t)(kind) | ((uintptr_t)(timer) << 8) | ((uintptr_t)(rc) << 16))
#define ARG_KIND(a)  ((enum reg_kind)((a)&0xff))
#define ARG_TIMER(a) ((enum hv_timer_id)(((a) >> 8) & 0xff))
#define ARG_RC(a)    ((enum hv_timer_regclass)(((a) >> 16) & 0xff))

static void gather_pe_state(struct hv_timer *t, struct hv_cpu *cpu, struct hv_timer_pe_state *pe)
{
    uint64_t scr = 0;
    memset(pe, 0, sizeof(*pe));
    pe->el = hv_cpu_el(cpu);
    pe->have_el3 = HVSIM_HAVE_EL3;
    /* HCR_EL2 and SCR_EL3 are backed by QEMU state: safe to read raw. */
    if (hv_cpu_sysreg_get(cpu, ENC_HCR_EL2, &pe->hcr_el2))
        pe->hcr_el2 = 0;
    if (hv_cpu_sysreg_get(cpu, ENC_SCR_EL3, &scr))
        scr = SCR_NS;
    /* EL2Enabled(): EL2 implemented and (Non-secure, or FEAT_SEL2 enabled);
     * the cortex-a72 has no FEAT_SEL2. */
    pe->el2_enabled = (scr & SCR_NS) != 0;
    pe->cntkctl = t->cntkctl;
    pe->cnthctl = t->cnthctl;
}

/* The thin wrapper the CPU calls: gather state, decide, map. */
static enum hv_sysreg_decision reg_access(void *ctx, struct hv_cpu *cpu,
                                          const struct hv_sysreg_desc *d, bool is_write)
{
    struct hv_timer_pe_state pe;
    gather_pe_state(ctx, cpu, &pe);
    switch (hv_timer_access_decide(ARG_RC(d->arg), is_write, &pe)) {
    case HV_TIMER_OK:
        return HV_SR_OK;
    case HV_TIMER_TRAP_EL2:
        return HV_SR_TRAP_EL2;
    case HV_TIMER_TRAP_EL1:
        /* EC 0x18 to EL1: EL0 access refused by CNTKCTL_EL1. */
        return HV_SR_TRAP_EL1;
    case HV_TIMER_UNDEF:
        break;
    }
    return HV_SR_UNDEF;
}

/* VHE is not modelled: say so once if a guest runs with HCR_EL2.E2H = 1. */
static void check_e2h(struct hv_timer *t, struct hv_cpu *cpu)
{
    uint64_t hcr = 0;
    if (t->e2h_reported || hv_cpu_sysreg_get(cpu, ENC_HCR_EL2, &hcr) || !(hcr & HCR_E2H))
        return;
    t->e2h_reported = true;
    hv_obs_text(t->obs, HV_EV_UNIMPL, (uint8_t)hv_cpu_el(cpu), hv_cpu_pc(cpu),
                "generic timer: HCR_EL2.E2H=1 (VHE) is not modelled; timer registers keep "
                "their E2H=0 behaviour");
}

static uint64_t reg_read(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    struct hv_timer *t = ctx;
    enum hv_timer_id id = ARG_TIMER(d->arg);
    uint64_t count;

    check_e2h(t, cpu);
    switch (ARG_KIND(d->arg)) {
    case R_CNTFRQ:
        return t->cntfrq;
    case R_CNTPCT:
        return hv_timer_count(t);
    case R_CNTVCT:
        /* PhysicalCountInt() - CNTVOFF_EL2 at every EL when E2H = 0. */
        return hv_timer_count(t) - t->cntvoff;
    case R_CNTVOFF:
        return t->cntvoff;
    case R_CNTKCTL:
        return t->cntkctl;
    case R_CNTHCTL:
        return t->cnthctl;
    case R_CTL:
        count = hv_timer_count(t);
        return t->tm[id].ctl | (istatus(t, id, count) ? CTL_ISTATUS : 0);
    case R_CVAL:
        return t->tm[id].cval;
    case R_TVAL:
        /* D11.2.4: TimerValue = (CompareValue - (Counter - Offset))<31:0>,
         * bits [63:32] RES0 (read as zero, as on QEMU). */
        count = hv_timer_count(t);
        return (uint32_t)(t->tm[id].cval - (count - offset_of(t, id)));
    }
    return 0;
}

static void reg_write(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d, uint64_t v)
{
    struct hv_timer *t = ctx;
    enum hv_timer_id id = ARG_TIMER(d->arg);

    check_e2h(t, cpu);
    switch (ARG_KIND(d->arg)) {
    case R_CNTFRQ:
        /* Bits [63:32] RES0. The count rate does not change: the register is
         * "not interpreted by hardware" (D19.12 CNTFRQ_EL0). */
        t->cntfrq = v & 0xffffffffu;
        return;
    case R_CNTPCT:
    case R_CNTVCT:
        return; /* never reached: no write callback in the table */
    case R_CNTVOFF:
        t->cntvoff = v;
        emit_timer(t, HV_TIMER_VIRT, HV_TIMER_PROGRAMMED);
        recompute(t, HV_TIMER_VIRT);
        return;
    case R_CNTKCTL:
        t->cntkctl = v & KCTL_MASK;
        return;
    case R_CNTHCTL:
        t->cnthctl = v & HCTL_MASK;
        return;
    case R_CTL:
        t->tm[id].ctl = (uint32_t)v & (CTL_ENABLE | CTL_IMASK);
        break;
    case R_CVAL:
        t->tm[id].cval = v;
        break;
    case R_TVAL:
        /* D11.2.4: CompareValue = (Counter - Offset) + SignExtend(TimerValue
         * <31:0>), modulo 2^64. */
        t->tm[id].cval = hv_timer_count(t) - offset_of(t, id) + (uint64_t)(int64_t)(int32_t)v;
        break;
    }
    emit_timer(t, id, HV_TIMER_PROGRAMMED);
    recompute(t, id);
}

#define RW .read = reg_read, .write = reg_write
#define RO .read = reg_read

/* Encodings: D19.12, each register's "Accessing" section (op0, op1, CRn,
 * CRm, op2). */
static const struct hv_sysreg_desc timer_regs[] = {
    {HV_SYSREG(3, 3, 14, 0, 0), "CNTFRQ_EL0", reg_access, RW, ARG(R_CNTFRQ, 0, HV_TIMER_RC_CNTFRQ)},
    {HV_SYSREG(3, 3, 14, 0, 1), "CNTPCT_EL0", reg_access, RO, NULL,
     ARG(R_CNTPCT, 0, HV_TIMER_RC_PCT)},
    {HV_SYSREG(3, 3, 14, 0, 2), "CNTVCT_EL0", reg_access, RO, NULL,
     ARG(R_CNTVCT, 0, HV_TIMER_RC_VCT)},
    {HV_SYSREG(3, 4, 14, 0, 3), "CNTVOFF_EL2", reg_access, RW, ARG(R_CNTVOFF, 0, HV_TIMER_RC_EL2)},
    {HV_SYSREG(3, 0, 14, 1, 0), "CNTKCTL_EL1", reg_access, RW, ARG(R_CNTKCTL, 0, HV_TIMER_RC_KCTL)},
    {HV_SYSREG(3, 4, 14, 1, 0), "CNTHCTL_EL2", reg_access, RW, ARG(R_CNTHCTL, 0, HV_TIMER_RC_EL2)},
    {HV_SYSREG(3, 3, 14, 2, 0), "CNTP_TVAL_EL0", reg_access, RW,
     ARG(R_TVAL, HV_TIMER_EL1_PHYS, HV_TIMER_RC_PTIMER)},
    {HV_SYSREG(3, 3, 14, 2, 1), "CNTP_CTL_EL0", reg_access, RW,
     ARG(R_CTL, HV_TIMER_EL1_PHYS, HV_TIMER_RC_PTIMER)},
    {HV_SYSREG(3, 3, 14, 2, 2), "CNTP_CVAL_EL0", reg_access, RW,
     ARG(R_CVAL, HV_TIMER_EL1_PHYS, HV_TIMER_RC_PTIMER)},
    {HV_SYSREG(3, 3, 14, 3, 0), "CNTV_TVAL_EL0", reg_access, RW,
     ARG(R_TVAL, HV_TIMER_VIRT, HV_TIMER_RC_VTIMER)},
    {HV_SYSREG(3, 3, 14, 3, 1), "CNTV_CTL_EL0", reg_access, RW,
     ARG(R_CTL, HV_TIMER_VIRT, HV_TIMER_RC_VTIMER)},
    {HV_SYSREG(3, 3, 14, 3, 2), "CNTV_CVAL_EL0", reg_access, RW,
     ARG(R_CVAL, HV_TIMER_VIRT, HV_TIMER_RC_VTIMER)},
    {HV_SYSREG(3, 4, 14, 2, 0), "CNTHP_TVAL_EL2", reg_access, RW,
     ARG(R_TVAL, HV_TIMER_EL2_PHYS, HV_TIMER_RC_EL2)},
    {HV_SYSREG(3, 4, 14, 2, 1), "CNTHP_CTL_EL2", reg_access, RW,
     ARG(R_CTL, HV_TIMER_EL2_PHYS, HV_TIMER_RC_EL2)},
    {HV_SYSREG(3, 4, 14, 2, 2), "CNTHP_CVAL_EL2", reg_access, RW,
     ARG(R_CVAL, HV_TIMER_EL2_PHYS, HV_TIMER_RC_EL2)},
};

/* ---- life cycle -------------------------------------------------------------- */

int hv_timer_create(struct hv_timer **out, const struct hv_timer_config *cfg, struct hv_cpu *cpu,
                    const struct hv_clock *clock, const struct hv_timer_io *io, struct hv_obs *obs,
                    struct hv_err *err)
{
    *out = NULL;
    if (!cfg || cfg->freq_hz == 0 || cfg->freq_hz > UINT32_MAX)
        return hv_err_set(err, "generic timer: frequency must be 1..%u Hz (CNTFRQ_EL0 is 32 bits)",
                          UINT32_MAX);
    if (!clock || !clock->now || !clock->schedule || !clock->cancel)
        return hv_err_set(err, "generic timer: a virtual clock is required");

    struct hv_timer *t = calloc(1, sizeof(*t));
    if (!t)
        return hv_err_set(err, "out of memory");
    t->cpu = cpu;
    t->clock = *clock;
    if (io)
        t->io = *io;
    t->obs = obs;
    t->freq = cfg->freq_hz;
    /* Firmware programs CNTFRQ_EL0 at EL3 before handing over (D19.12:
     * "must be programmed ... as part of system initialization"); hvsim's
     * boot ROM does not, so the reset value is the configured frequency, as
     * QEMU does. Everything else resets to 0 (QEMU's reset values). */
    t->cntfrq = cfg->freq_hz;
    for (unsigned i = 0; i < HV_TIMER__COUNT; i++) {
        t->tm[i].t = t;
        t->tm[i].id = (enum hv_timer_id)i;
    }
    if (cpu && hv_cpu_register_sysregs(cpu, timer_regs, sizeof(timer_regs) / sizeof(timer_regs[0]),
                                       t, err)) {
        free(t);
        return -1;
    }
    *out = t;
    return 0;
}

void hv_timer_destroy(struct hv_timer *t)
{
    if (!t)
        return;
    for (unsigned i = 0; i < HV_TIMER__COUNT; i++)
        if (t->tm[i].sched_id)
            t->clock.cancel(t->clock.ctx, t->tm[i].sched_id);
    free(t);
}

const char *hv_timer_name(enum hv_timer_id id)
{
    return id < HV_TIMER__COUNT ? timer_name[id] : "?";
}
