#include "arm_esr.h"

#include <stdbool.h>
#include <stdio.h>

/* Exception classes, Arm ARM D17.2.37 table "ESR_ELx.EC". */
static const char *const ec_names[64] = {
    [0x00] = "UNKNOWN",     [0x01] = "WFx",         [0x03] = "CP15_32",     [0x04] = "CP15_64",
    [0x05] = "CP14_MR",     [0x06] = "CP14_LS",     [0x07] = "FP_ASIMD",    [0x08] = "CP10_ID",
    [0x09] = "PAC",         [0x0c] = "CP14_64",     [0x0d] = "BTI",         [0x0e] = "ILL",
    [0x11] = "SVC32",       [0x12] = "HVC32",       [0x13] = "SMC32",       [0x15] = "SVC64",
    [0x16] = "HVC64",       [0x17] = "SMC64",       [0x18] = "SYS64",       [0x19] = "SVE",
    [0x1a] = "ERET",        [0x1f] = "IMP_DEF",     [0x20] = "IABT_LOW",    [0x21] = "IABT_CUR",
    [0x22] = "PC_ALIGN",    [0x24] = "DABT_LOW",    [0x25] = "DABT_CUR",    [0x26] = "SP_ALIGN",
    [0x28] = "FP_EXC32",    [0x2c] = "FP_EXC64",    [0x2f] = "SERROR",      [0x30] = "BREAKPT_LOW",
    [0x31] = "BREAKPT_CUR", [0x32] = "SOFTSTP_LOW", [0x33] = "SOFTSTP_CUR", [0x34] = "WATCHPT_LOW",
    [0x35] = "WATCHPT_CUR", [0x38] = "BKPT32",      [0x3a] = "VECTOR32",    [0x3c] = "BRK64",
};

const char *hv_ec_name(unsigned ec)
{
    const char *n = ec < 64 ? ec_names[ec] : NULL;
    return n ? n : "RESERVED";
}

/* DFSC/IFSC values, Arm ARM D17.2.37 "ISS encoding for an exception from a
 * Data Abort". */
const char *hv_fsc_name(unsigned fsc)
{
    switch (fsc & 0x3f) {
    case 0x00:
    case 0x01:
    case 0x02:
    case 0x03:
        return "address size fault";
    case 0x04:
    case 0x05:
    case 0x06:
    case 0x07:
        return "translation fault";
    case 0x09:
    case 0x0a:
    case 0x0b:
        return "access flag fault";
    case 0x0d:
    case 0x0e:
    case 0x0f:
        return "permission fault";
    case 0x10:
        return "synchronous external abort";
    case 0x14:
    case 0x15:
    case 0x16:
    case 0x17:
        return "synchronous external abort on table walk";
    case 0x21:
        return "alignment fault";
    case 0x30:
        return "TLB conflict abort";
    default:
        return "other fault";
    }
}

static unsigned fsc_level(unsigned fsc)
{
    return fsc & 3;
}

void hv_esr_describe(uint32_t esr, char *buf, size_t len)
{
    unsigned ec = esr >> 26;
    uint32_t iss = esr & 0x1ffffff;

    switch (ec) {
    case 0x15:
    case 0x16:
    case 0x17:
        snprintf(buf, len, "imm16=0x%x", iss & 0xffff);
        break;
    case 0x01:
        snprintf(buf, len, "%s", (iss & 1) ? "WFE" : "WFI");
        break;
    case 0x18:
        snprintf(buf, len, "%s S%u_%u_C%u_C%u_%u, x%u", (iss & 1) ? "MRS" : "MSR", (iss >> 20) & 3,
                 (iss >> 14) & 7, (iss >> 10) & 15, (iss >> 1) & 15, (iss >> 17) & 7,
                 (iss >> 5) & 31);
        break;
    case 0x20:
    case 0x21:
    case 0x24:
    case 0x25: {
        unsigned fsc = iss & 0x3f;
        bool is_data = ec >= 0x24;
        int n = snprintf(buf, len, "%s", hv_fsc_name(fsc));
        if (n < 0 || (size_t)n >= len)
            return;
        if (fsc < 0x10 || (fsc >= 0x14 && fsc <= 0x17))
            n += snprintf(buf + n, len - (size_t)n, " level %u", fsc_level(fsc));
        if (n >= 0 && (size_t)n < len && is_data) {
            if (iss & (1u << 24))
                n += snprintf(buf + n, len - (size_t)n, ", %s %u bytes x%u",
                              (iss & (1u << 6)) ? "write" : "read", 1u << ((iss >> 22) & 3),
                              (iss >> 16) & 31);
            else if ((size_t)n < len)
                n += snprintf(buf + n, len - (size_t)n, ", %s",
                              (iss & (1u << 6)) ? "write" : "read");
        }
        /* CM (bit 8): the fault came from a cache maintenance or address
         * translation instruction, which report WnR=1. */
        if (n >= 0 && (size_t)n < len && is_data && (iss & (1u << 8)))
            n += snprintf(buf + n, len - (size_t)n, " (cache maintenance or AT)");
        if (n >= 0 && (size_t)n < len && (iss & (1u << 7)))
            snprintf(buf + n, len - (size_t)n, ", on stage-1 walk (S1PTW)");
        break;
    }
    default:
        snprintf(buf, len, "ISS=0x%x", iss);
    }
}
