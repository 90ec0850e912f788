/* hvsim: the ARMv8 generic timer (Arm ARM D11 "The Generic Timer in
 * AArch64 state"), driven by virtual time.
 *
 * It owns, through the CPU's system-register table, CNTFRQ_EL0,
 * CNTPCT_EL0, CNTVCT_EL0, CNTVOFF_EL2, CNTKCTL_EL1, CNTHCTL_EL2, the EL1
 * physical timer (CNTP_CTL/CVAL/TVAL_EL0), the virtual timer
 * (CNTV_CTL/CVAL/TVAL_EL0) and the EL2 physical timer (CNTHP_CTL/CVAL/
 * TVAL_EL2), including their EL0/EL1 access traps. Unicorn's own versions of
 * these registers follow host time and never fire, so none of them is left to
 * QEMU.
 *
 * The counter is CNTPCT = now_ns * freq / 1e9 (now_ns: virtual time), so it
 * is deterministic. Each timer's ISTATUS condition drives a level-sensitive
 * output (PPI 30 EL1 physical, 27 virtual, 26 EL2 physical, as on QEMU virt)
 * through io->ppi; deadlines are scheduled on the virtual clock so that a PE
 * sleeping in WFI wakes exactly when a timer fires.
 */
#ifndef HV_TIMER_H
#define HV_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/clock.h"
#include "../common/hv_err.h"
#include "../common/observer.h"

struct hv_cpu;
struct hv_timer;

#define HV_TIMER_PPI_EL1_PHYS 30
#define HV_TIMER_PPI_VIRT     27
#define HV_TIMER_PPI_EL2_PHYS 26

enum hv_timer_id { HV_TIMER_EL1_PHYS, HV_TIMER_VIRT, HV_TIMER_EL2_PHYS, HV_TIMER__COUNT };

struct hv_timer_io {
    void *ctx;
    /* A timer's output changed level; intid is its PPI INTID. */
    void (*ppi)(void *ctx, unsigned intid, bool level);
};

struct hv_timer_config {
    uint64_t freq_hz; /* CNTFRQ_EL0, e.g. 62500000 (QEMU virt's) */
};

/* Create the timer and register its system registers with cpu. */
int hv_timer_create(struct hv_timer **out, const struct hv_timer_config *cfg, struct hv_cpu *cpu,
                    const struct hv_clock *clock, const struct hv_timer_io *io, struct hv_obs *obs,
                    struct hv_err *err);
void hv_timer_destroy(struct hv_timer *t);

/* The physical count now (CNTPCT_EL0). */
uint64_t hv_timer_count(const struct hv_timer *t);
/* Output level of one timer (ENABLE && !IMASK && ISTATUS). */
bool hv_timer_output(const struct hv_timer *t, enum hv_timer_id id);
/* "EL1 physical", "virtual", "EL2 physical" (for reports). */
const char *hv_timer_name(enum hv_timer_id id);

/* ---- The access decision, as a pure function (for unit tests) ----------
 *
 * The descriptors' access() callbacks gather the PE state and call this. It
 * follows the MRS/MSR pseudocode of each register in the Arm ARM (DDI 0487,
 * D19.12 "Generic Timer registers") with HCR_EL2.E2H = 0 (see timer.c). */
enum hv_timer_regclass {
    HV_TIMER_RC_CNTFRQ, /* CNTFRQ_EL0 */
    HV_TIMER_RC_PCT,    /* CNTPCT_EL0 (read-only) */
    HV_TIMER_RC_VCT,    /* CNTVCT_EL0 (read-only) */
    HV_TIMER_RC_PTIMER, /* CNTP_CTL/CVAL/TVAL_EL0 */
    HV_TIMER_RC_VTIMER, /* CNTV_CTL/CVAL/TVAL_EL0 */
    HV_TIMER_RC_KCTL,   /* CNTKCTL_EL1 */
    HV_TIMER_RC_EL2,    /* CNTHCTL_EL2, CNTVOFF_EL2, CNTHP_CTL/CVAL/TVAL_EL2 */
};

/* The outcome in the pseudocode's own terms. TRAP_EL1 is
 * AArch64.SystemAccessTrap(EL1, 0x18); the CPU's sysreg layer has no such
 * decision yet, so the descriptors report it as HV_SR_UNDEF (see timer.c). */
enum hv_timer_decision {
    HV_TIMER_OK,
    HV_TIMER_UNDEF,
    HV_TIMER_TRAP_EL1,
    HV_TIMER_TRAP_EL2,
};

struct hv_timer_pe_state {
    unsigned el;      /* PSTATE.EL */
    bool el2_enabled; /* EL2Enabled(): SCR_EL3.NS (no FEAT_SEL2 here) */
    bool have_el3;    /* HaveEL(EL3): decides IsHighestEL(EL2) for CNTFRQ_EL0 */
    uint64_t hcr_el2; /* only TGE is used (E2H is taken as 0) */
    uint64_t cntkctl; /* CNTKCTL_EL1 */
    uint64_t cnthctl; /* CNTHCTL_EL2 */
};

enum hv_timer_decision hv_timer_access_decide(enum hv_timer_regclass rc, bool is_write,
                                              const struct hv_timer_pe_state *pe);

#endif
