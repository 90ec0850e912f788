/* See mmio_decode.h. ISS bit positions from the Arm ARM, ESR_ELx ISS for a
 * Data Abort: ISV[24], SAS[23:22], SSE[21], SRT[20:16], SF[15], AR[14],
 * EA[9], CM[8], S1PTW[7], WnR[6]. HPFAR_EL2.FIPA[39:4] holds IPA[51:12]
 * (FEAT_LPA) or IPA[47:12]; FAR_EL2 gives the page offset. */
#include "mmio_decode.h"

const char *hyp_mmio_strerror(int err)
{
    switch (err) {
    case HYP_MMIO_OK:
        return "ok";
    case HYP_MMIO_NOT_DABT:
        return "not a data abort from a lower exception level";
    case HYP_MMIO_NO_SYNDROME:
        return "no instruction syndrome (ISV=0): the access cannot be emulated";
    case HYP_MMIO_S1PTW:
        return "stage-2 fault on a stage-1 table walk";
    case HYP_MMIO_CACHE_OP:
        return "cache maintenance on an emulated device";
    case HYP_MMIO_EXTERNAL:
        return "external abort";
    default:
        return "unknown error";
    }
}

int hyp_mmio_decode(uint64_t esr, uint64_t far, uint64_t hpfar, struct hyp_mmio *m)
{
    if (ESR_EC(esr) != EC_DABT_LOW)
        return HYP_MMIO_NOT_DABT;
    uint32_t iss = (uint32_t)(esr & 0x1ffffff);
    if (iss & (1u << 9))
        return HYP_MMIO_EXTERNAL;
    if (iss & (1u << 7))
        return HYP_MMIO_S1PTW;
    if (iss & (1u << 8))
        return HYP_MMIO_CACHE_OP;
    if (!(iss & (1u << 24)))
        return HYP_MMIO_NO_SYNDROME;
    m->ipa = ((hpfar >> 4) & UINT64_C(0xffffffffff)) << 12 | (far & 0xfff);
    m->width = 1u << ((iss >> 22) & 3);
    m->sign_extend = (iss >> 21) & 1;
    m->reg = (iss >> 16) & 31;
    m->reg64 = (iss >> 15) & 1;
    m->acqrel = (iss >> 14) & 1;
    m->write = (iss >> 6) & 1;
    return HYP_MMIO_OK;
}

static uint64_t width_mask(unsigned width)
{
    return width >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << (8 * width)) - 1;
}

uint64_t hyp_mmio_load_value(const struct hyp_mmio *m, uint64_t raw)
{
    uint64_t v = raw & width_mask(m->width);
    if (m->sign_extend && m->width < 8) {
        uint64_t sign = UINT64_C(1) << (8 * m->width - 1);
        v = (v ^ sign) - sign; /* two's complement sign extension to 64 bits */
    }
    if (!m->reg64)
        v &= UINT64_C(0xffffffff);
    return v;
}

uint64_t hyp_mmio_store_value(const struct hyp_mmio *m, uint64_t xt)
{
    if (m->reg == 31)
        return 0;
    return xt & width_mask(m->width);
}
