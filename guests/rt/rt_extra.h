/* Test-image runtime extras, header-only: architectural constants for the
 * exception and trap images (ESR_ELx fields, exception classes, HCR_EL2 and
 * SPSR bits) and a few small helpers. Values are from the Arm ARM (DDI 0487):
 * D17.2.37 ESR_ELx, D13 HCR_EL2, C5.2 SPSR_ELx. */
#ifndef RT_EXTRA_H
#define RT_EXTRA_H

#include "rt.h"

/* ESR_ELx: EC[31:26], IL[25], ISS[24:0]. */
#define ESR_EC(esr)  ((unsigned)(((esr) >> 26) & 0x3f))
#define ESR_IL       (1ul << 25)
#define ESR_ISS(esr) ((unsigned)((esr)&0x1ffffff))

/* Exception classes (D17.2.37, table "ESR_ELx.EC"). */
#define EC_UNKNOWN  0x00 /* UNDEFINED instructions, unallocated encodings */
#define EC_WFX      0x01 /* trapped WFI/WFE */
#define EC_SVC64    0x15
#define EC_HVC64    0x16
#define EC_SMC64    0x17 /* SMC trapped by HCR_EL2.TSC, or taken to EL3 */
#define EC_SYS64    0x18 /* trapped MSR/MRS/system instruction */
#define EC_IABT_LOW 0x20
#define EC_IABT_CUR 0x21
#define EC_DABT_LOW 0x24
#define EC_DABT_CUR 0x25
#define EC_SERROR   0x2f
#define EC_BRK64    0x3c

/* Build a full ESR value: EC, IL = 1 (32-bit instruction), ISS. */
#define ESR_VAL(ec, iss) (((uint64_t)(ec) << 26) | ESR_IL | (uint64_t)(iss))

/* HCR_EL2 bits (D13, HCR_EL2). */
#define HCR_VM   (1ul << 0)
#define HCR_FMO  (1ul << 3)
#define HCR_IMO  (1ul << 4)
#define HCR_AMO  (1ul << 5)
#define HCR_VF   (1ul << 6)
#define HCR_VI   (1ul << 7)
#define HCR_VSE  (1ul << 8)
#define HCR_TWI  (1ul << 13)
#define HCR_TWE  (1ul << 14)
#define HCR_TSC  (1ul << 19)
#define HCR_TVM  (1ul << 26)
#define HCR_TGE  (1ul << 27)
#define HCR_TRVM (1ul << 30)
#define HCR_RW   (1ul << 31)
#define HCR_E2H  (1ul << 34)

/* SPSR_ELx.M[3:0] for AArch64 (C5.2 SPSR_ELx): EL and SP selection. */
#define SPSR_M(spsr) ((unsigned)((spsr)&0x1f))
#define SPSR_EL0t    0x0
#define SPSR_EL1h    0x5
#define SPSR_EL2h    0x9
#define SPSR_DAIF    (0xful << 6)

/* struct rt_frame handler kinds: group * 4 + type. */
#define KIND_CUR_SP0_SYNC 0
#define KIND_CUR_SPX_SYNC 4
#define KIND_CUR_SPX_IRQ  5
#define KIND_CUR_SPX_FIQ  6
#define KIND_CUR_SPX_SERR 7
#define KIND_LOW64_SYNC   8
#define KIND_LOW64_IRQ    9
#define KIND_LOW64_FIQ    10
#define KIND_LOW64_SERR   11

static inline unsigned rt_current_el(void)
{
    return (unsigned)((SYSREG_READ(CurrentEL) >> 2) & 3);
}

/* Run one instruction (asm text) and return its address, for checks of the
 * exact ELR. The instruction may raise an exception; the handler decides
 * where execution resumes. */
#define RT_AT(insn)                                                                                \
    ({                                                                                             \
        uint64_t _pc;                                                                              \
        __asm__ volatile("adr %0, 1f\n1: " insn "\n" : "=r"(_pc)::"memory");                       \
        _pc;                                                                                       \
    })

/* One taken exception, as a handler saw it. Shared between ELs (the images
 * run with the MMU off, so every EL sees the same memory). */
struct rt_taken {
    unsigned n; /* exceptions taken since the last rt_taken_clear() */
    unsigned kind;
    uint64_t esr, elr, spsr, far;
};

static inline void rt_taken_clear(volatile struct rt_taken *t)
{
    t->n = 0;
    t->kind = ~0u;
    t->esr = t->elr = t->spsr = t->far = 0;
}

static inline void rt_taken_record(volatile struct rt_taken *t, const struct rt_frame *f,
                                   unsigned kind)
{
    t->n++;
    t->kind = kind;
    t->esr = f->esr;
    t->elr = f->elr;
    t->spsr = f->spsr;
    t->far = f->far;
}

#endif
