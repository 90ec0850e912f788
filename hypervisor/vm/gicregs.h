/* GICv3 system registers by encoding (GICv3 spec 12.1, table 12-2/12-3),
 * so that any assembler accepts them. */
#ifndef HYP_GICREGS_H
#define HYP_GICREGS_H
#include "../arch/sysreg.h"

#define ICC_IAR1_EL1  S3_0_C12_C12_0
#define ICC_EOIR1_EL1 S3_0_C12_C12_1
#define ICC_DIR_EL1   S3_0_C12_C11_1
#define ICH_AP0R0_EL2 S3_4_C12_C8_0
#define ICH_AP1R0_EL2 S3_4_C12_C9_0
#define ICH_HCR_EL2   S3_4_C12_C11_0
#define ICH_MISR_EL2  S3_4_C12_C11_2
#define ICH_EISR_EL2  S3_4_C12_C11_3
#define ICH_ELRSR_EL2 S3_4_C12_C11_5
#define ICH_VMCR_EL2  S3_4_C12_C11_7

/* This PE's redistributor, SGI_base frame (GICv3 12.10, 12.11). */
#define SGI_BASE        0x10000
#define GICR_IGROUPR0   (SGI_BASE + 0x0080)
#define GICR_ISENABLER0 (SGI_BASE + 0x0100)
#define GICR_ISACTIVER0 (SGI_BASE + 0x0300)
#define GICR_ICACTIVER0 (SGI_BASE + 0x0380)
#define GICR_IPRIORITYR (SGI_BASE + 0x0400)

#define ICH_HCR_EN      (UINT64_C(1) << 0)
#define ICH_HCR_UIE     (UINT64_C(1) << 1)
#define ICH_HCR_LRENPIE (UINT64_C(1) << 2)
#define ICH_HCR_TDIR    (UINT64_C(1) << 14)
/* ICH_HCR_EL2.EOIcount[31:27] (GICv3 12.4.4) */
#define ICH_HCR_EOICOUNT_SHIFT 27
#define ICH_HCR_EOICOUNT_MASK  (UINT64_C(0x1f) << ICH_HCR_EOICOUNT_SHIFT)
#define ICH_VMCR_VEOIM         (UINT64_C(1) << 9) /* ICH_VMCR_EL2.VEOIM (12.4.12) */

#define READ(r)     read_sysreg(r)
#define WRITE(r, v) write_sysreg(r, v)

static inline uint64_t ich_lr_read(unsigned n)
{
    switch (n) {
    case 0:
        return READ(S3_4_C12_C12_0);
    case 1:
        return READ(S3_4_C12_C12_1);
    case 2:
        return READ(S3_4_C12_C12_2);
    case 3:
        return READ(S3_4_C12_C12_3);
    case 4:
        return READ(S3_4_C12_C12_4);
    case 5:
        return READ(S3_4_C12_C12_5);
    case 6:
        return READ(S3_4_C12_C12_6);
    case 7:
        return READ(S3_4_C12_C12_7);
    case 8:
        return READ(S3_4_C12_C13_0);
    case 9:
        return READ(S3_4_C12_C13_1);
    case 10:
        return READ(S3_4_C12_C13_2);
    case 11:
        return READ(S3_4_C12_C13_3);
    case 12:
        return READ(S3_4_C12_C13_4);
    case 13:
        return READ(S3_4_C12_C13_5);
    case 14:
        return READ(S3_4_C12_C13_6);
    default:
        return READ(S3_4_C12_C13_7);
    }
}

static inline void ich_lr_write(unsigned n, uint64_t v)
{
    switch (n) {
    case 0:
        WRITE(S3_4_C12_C12_0, v);
        break;
    case 1:
        WRITE(S3_4_C12_C12_1, v);
        break;
    case 2:
        WRITE(S3_4_C12_C12_2, v);
        break;
    case 3:
        WRITE(S3_4_C12_C12_3, v);
        break;
    case 4:
        WRITE(S3_4_C12_C12_4, v);
        break;
    case 5:
        WRITE(S3_4_C12_C12_5, v);
        break;
    case 6:
        WRITE(S3_4_C12_C12_6, v);
        break;
    case 7:
        WRITE(S3_4_C12_C12_7, v);
        break;
    case 8:
        WRITE(S3_4_C12_C13_0, v);
        break;
    case 9:
        WRITE(S3_4_C12_C13_1, v);
        break;
    case 10:
        WRITE(S3_4_C12_C13_2, v);
        break;
    case 11:
        WRITE(S3_4_C12_C13_3, v);
        break;
    case 12:
        WRITE(S3_4_C12_C13_4, v);
        break;
    case 13:
        WRITE(S3_4_C12_C13_5, v);
        break;
    case 14:
        WRITE(S3_4_C12_C13_6, v);
        break;
    default:
        WRITE(S3_4_C12_C13_7, v);
        break;
    }
}

#endif
