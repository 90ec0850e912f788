/* The emulated EL1 physical timer of one vCPU (CNTP_CTL/CVAL/TVAL_EL0).
 *
 * The hypervisor clears CNTHCTL_EL2.EL1PCEN, so every EL1 (and EL0)
 * access to these registers traps to EL2 (EC 0x18; Arm ARM D19.12,
 * "CNTP_CTL_EL0": "if EL2Enabled() && CNTHCTL_EL2.EL1PCEN == '0' then
 * AArch64.SystemAccessTrap(EL2, 0x18)"), and the real EL1 physical timer,
 * which all VMs would share, is never touched. Each vCPU has this state
 * instead; it compares against the physical count CNTPCT_EL0 (no per-VM
 * offset: see docs/hypervisor.md, "The EL1 physical timer"), which EL1
 * still reads directly (CNTHCTL_EL2.EL1PCTEN = 1).
 *
 * Pure state and arithmetic (host-testable, tests/unit/test_hyp_vptimer.c):
 * vm/vptimer.c schedules the deadline on the hypervisor's CNTHP queue and
 * injects PPI 30 through the list registers. */
#ifndef HYP_VPTIMER_H
#define HYP_VPTIMER_H

#include <stdbool.h>
#include <stdint.h>

/* CNTP_CTL_EL0 (D19.12): ENABLE [0], IMASK [1], ISTATUS [2] (RO). */
#define VPT_CTL_ENABLE  (1u << 0)
#define VPT_CTL_IMASK   (1u << 1)
#define VPT_CTL_ISTATUS (1u << 2)

struct vptimer {
    uint32_t ctl;  /* ENABLE and IMASK; ISTATUS is computed on reads */
    uint64_t cval; /* CompareValue */
};

/* The three registers, by op2 of their encoding (op0 3, op1 3, CRn 14,
 * CRm 2): TVAL op2 0, CTL op2 1, CVAL op2 2. */
enum vptimer_reg { VPT_TVAL = 0, VPT_CTL = 1, VPT_CVAL = 2 };

/* The register an MRS/MSR trap's ISS (ESR_EL2, EC 0x18: Op0 [21:20],
 * Op2 [19:17], Op1 [16:14], CRn [13:10], CRm [4:1]) names, or -1 if it is
 * not one of the EL1 physical timer's. */
int vptimer_reg_of_iss(uint32_t iss);

void vptimer_reset(struct vptimer *t);

/* ISTATUS (D11.2.4): ENABLE and the condition Counter - CompareValue >= 0
 * (unsigned 64-bit compare: Counter >= CompareValue). */
bool vptimer_istatus(const struct vptimer *t, uint64_t count);
/* The timer's interrupt output: ISTATUS and not IMASK. */
bool vptimer_output(const struct vptimer *t, uint64_t count);

/* MRS: CTL with ISTATUS; CVAL; TVAL = (CVAL - Counter)<31:0>, bits [63:32]
 * read as zero (RES0). */
uint64_t vptimer_read(const struct vptimer *t, enum vptimer_reg r, uint64_t count);
/* MSR: CTL keeps ENABLE and IMASK; CVAL as written; TVAL sets CVAL =
 * Counter + SignExtend(value<31:0>) (D11.2.4), modulo 2^64. */
void vptimer_write(struct vptimer *t, enum vptimer_reg r, uint64_t value, uint64_t count);

/* The physical count at which the output will rise, or UINT64_MAX when it
 * is already up or cannot rise without another register write (disabled
 * or masked). */
uint64_t vptimer_deadline(const struct vptimer *t, uint64_t count);

#endif
