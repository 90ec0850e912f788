/* hvsim: the FP/SIMD access-trap decision. See fp_trap.h. */
#include "fp_trap.h"

#include <stdbool.h>

unsigned hv_fp_trap_el(const struct hv_fp_ctl *c, unsigned el)
{
    /* EL2Enabled(): this PE has EL2 and EL3 and no Secure EL2. */
    bool el2_enabled = (c->scr_el3 & HV_FP_SCR_NS) != 0;
    bool e2h = el2_enabled && (c->hcr_el2 & HV_FP_HCR_E2H);
    bool tge = el2_enabled && (c->hcr_el2 & HV_FP_HCR_TGE);

    /* AArch64.CheckFPEnabled: CPACR_EL1 at EL0 and EL1, unless EL0 is in
     * the EL2&0 host regime (IsInHost(): E2H and TGE both set). FPEN 0b00
     * and 0b10 trap EL0 and EL1, 0b01 traps EL0 only, 0b11 traps nothing. */
    if (el <= 1 && !(e2h && tge)) {
        unsigned fpen = (unsigned)(c->cpacr_el1 >> HV_CPACR_FPEN_SHIFT) & 3;
        if ((fpen & 1) == 0 || (fpen == 1 && el == 0))
            return 1;
    }

    /* AArch64.CheckFPAdvSIMDTrap: CPTR_EL2 at EL0, EL1 and EL2 when EL2 is
     * enabled. With E2H == 1 it has CPACR_EL1's FPEN layout, where 0b01
     * traps EL0 only in the host regime (TGE == 1); otherwise TFP traps. */
    if (el <= 2 && el2_enabled) {
        if (e2h) {
            unsigned fpen = (unsigned)(c->cptr_el2 >> HV_CPTR_EL2_FPEN_SHIFT) & 3;
            if ((fpen & 1) == 0 || (fpen == 1 && el == 0 && tge))
                return 2;
        } else if (c->cptr_el2 & HV_CPTR_TFP) {
            return 2;
        }
    }

    /* CPTR_EL3.TFP traps every EL to EL3. */
    if (c->cptr_el3 & HV_CPTR_TFP)
        return 3;
    return 0;
}
