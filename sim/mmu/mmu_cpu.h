/* hvsim: the walker on the running machine. Fills struct hv_mmu from the
 * PE's system registers (hv_cpu_sysreg_get: the raw values) and reads
 * descriptors from physical memory (hv_cpu_read_pa). */
#ifndef HV_MMU_CPU_H
#define HV_MMU_CPU_H

#include "../cpu_el2/cpu.h"
#include "mmu.h"

/* The translation registers of the PE now: SCTLR/TCR/TTBR0/TTBR1/MAIR_EL1,
 * SCTLR/TCR/TTBR0/MAIR_EL2, HCR_EL2, VTCR_EL2, VTTBR_EL2, and PAMax from
 * ID_AA64MMFR0_EL1.PARange. Returns -1 if a register cannot be read. */
int hv_mmu_regs_from_cpu(struct hv_cpu *cpu, struct hv_mmu_regs *r);

/* A walker context on the PE: registers as above, reads through
 * hv_cpu_read_pa (a PA with nothing behind it fails the read: the walker
 * reports an External abort on the walk). step/step_ctx are left NULL. */
int hv_mmu_from_cpu(struct hv_cpu *cpu, struct hv_mmu *m);

/* The read64 callback used by hv_mmu_from_cpu (ctx = the struct hv_cpu). */
int hv_mmu_cpu_read64(void *ctx, uint64_t pa, uint64_t *out);

#endif
