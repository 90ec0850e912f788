/* Decoding a stage-2 data abort taken to EL2 into an MMIO access that the
 * hypervisor can emulate. Only the syndrome is used (ISV = 1): the
 * hypervisor never reads guest instructions. Arm ARM D13.2.37 (ESR_EL2,
 * "ISS encoding for an exception from a Data Abort") and D13.2.54
 * (HPFAR_EL2). Host-testable. */
#ifndef HYP_MMIO_DECODE_H
#define HYP_MMIO_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#define ESR_EC_SHIFT 26
#define ESR_EC(esr)  ((unsigned)((esr) >> ESR_EC_SHIFT) & 0x3f)
#define ESR_IL       (UINT64_C(1) << 25)
#define EC_DABT_LOW  0x24u

struct hyp_mmio {
    uint64_t ipa;     /* the faulting IPA, byte exact */
    unsigned width;   /* 1, 2, 4 or 8 bytes (SAS) */
    unsigned reg;     /* transfer register Xt (SRT); 31 = XZR/WZR */
    bool write;       /* WnR */
    bool sign_extend; /* SSE: a load that sign-extends (LDRSB, LDRSH, LDRSW) */
    bool reg64;       /* SF: the register is 64-bit (X) rather than 32-bit (W) */
    bool acqrel;      /* AR: load-acquire / store-release semantics */
};

enum hyp_mmio_err {
    HYP_MMIO_OK = 0,
    HYP_MMIO_NOT_DABT = -1,    /* EC is not 0x24 (data abort from a lower EL) */
    HYP_MMIO_NO_SYNDROME = -2, /* ISV = 0: no instruction syndrome (e.g. LDP, post-index) */
    HYP_MMIO_S1PTW = -3,       /* a stage-2 fault on a stage-1 table walk, not an access */
    HYP_MMIO_CACHE_OP = -4,    /* CM = 1: a cache-maintenance instruction */
    HYP_MMIO_EXTERNAL = -5,    /* EA = 1: an external abort, HPFAR not valid */
};

const char *hyp_mmio_strerror(int err);

/* Decode esr/far/hpfar into *m. */
int hyp_mmio_decode(uint64_t esr, uint64_t far, uint64_t hpfar, struct hyp_mmio *m);

/* The value to write to Xt for a load that returned raw (the low `width`
 * bytes are used): sign-extended when SSE says so, to 32 bits when SF = 0
 * (the upper half of Xt is then zero: a W-register write). */
uint64_t hyp_mmio_load_value(const struct hyp_mmio *m, uint64_t raw);

/* The bytes a store writes: the low `width` bytes of Xt (0 for XZR). */
uint64_t hyp_mmio_store_value(const struct hyp_mmio *m, uint64_t xt);

#endif
