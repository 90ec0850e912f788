/* hvsim: the FP/SIMD access-trap decision (Arm ARM DDI 0487, D13.2.30
 * CPACR_EL1, D13.2.31 CPTR_EL2, D13.2.32 CPTR_EL3; pseudocode
 * AArch64.CheckFPAdvSIMDEnabled, AArch64.CheckFPEnabled,
 * AArch64.CheckFPAdvSIMDTrap).
 *
 * Unicorn 2.1.1 replaced QEMU's fp_exception_el() with "return 0", so its
 * engine never traps an FP/SIMD instruction. hvsim supplies the function
 * again (uc_internals.c, docs/architecture.md "FP/SIMD access traps"): QEMU
 * calls it whenever it rebuilds its cached translation flags, and the
 * translator then emits the trap in front of the first FP/SIMD instruction
 * (or MRS/MSR of FPCR/FPSR) of a block, as QEMU 7.2 does. This header is
 * the decision only, a pure function of the control registers, so that it
 * can be tested on its own; the effect (the exception, and its rerouting to
 * EL2 with EC 0x00 under HCR_EL2.TGE) is QEMU's. */
#ifndef HV_FP_TRAP_H
#define HV_FP_TRAP_H

#include <stdint.h>

/* The control registers the decision reads, as the PE holds them. */
struct hv_fp_ctl {
    uint64_t cpacr_el1;
    uint64_t cptr_el2;
    uint64_t cptr_el3;
    uint64_t hcr_el2;
    uint64_t scr_el3;
};

#define HV_CPACR_FPEN_SHIFT    20           /* CPACR_EL1.FPEN, bits [21:20] */
#define HV_CPTR_EL2_FPEN_SHIFT 20           /* CPTR_EL2.FPEN when HCR_EL2.E2H == 1 */
#define HV_CPTR_TFP            (1ull << 10) /* CPTR_EL2.TFP (E2H == 0), CPTR_EL3.TFP */
#define HV_FP_HCR_TGE          (1ull << 27)
#define HV_FP_HCR_E2H          (1ull << 34)
#define HV_FP_SCR_NS           (1ull << 0)

/* The exception level an FP/SIMD instruction executed at EL el (0..3) is
 * trapped to, or 0 if it is allowed. This is the target_el that the
 * pseudocode passes to AArch64.AdvSIMDFPAccessTrap(): the CPACR_EL1 check
 * comes first (priority), then CPTR_EL2, then CPTR_EL3. A trap to EL1 from
 * EL0 with HCR_EL2.TGE == 1 is taken to EL2 with EC 0x00 by the exception
 * entry itself (AArch64.AdvSIMDFPAccessTrap's route_to_el2), not here.
 *
 * The PE modelled has EL2 and EL3, EL3 in AArch64 (so NSACR does not
 * apply) and no Secure EL2: EL2 is enabled when SCR_EL3.NS == 1. */
unsigned hv_fp_trap_el(const struct hv_fp_ctl *c, unsigned el);

#endif
