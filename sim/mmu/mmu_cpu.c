/* hvsim: the walker on the running machine. See mmu_cpu.h. */
#include "mmu_cpu.h"

#include <string.h>

/* Encodings (Arm ARM D19, op0:op1:CRn:CRm:op2). */
#define ENC_SCTLR_EL1        HV_SYSREG(3, 0, 1, 0, 0)
#define ENC_TTBR0_EL1        HV_SYSREG(3, 0, 2, 0, 0)
#define ENC_TTBR1_EL1        HV_SYSREG(3, 0, 2, 0, 1)
#define ENC_TCR_EL1          HV_SYSREG(3, 0, 2, 0, 2)
#define ENC_MAIR_EL1         HV_SYSREG(3, 0, 10, 2, 0)
#define ENC_SCTLR_EL2        HV_SYSREG(3, 4, 1, 0, 0)
#define ENC_HCR_EL2          HV_SYSREG(3, 4, 1, 1, 0)
#define ENC_TTBR0_EL2        HV_SYSREG(3, 4, 2, 0, 0)
#define ENC_TCR_EL2          HV_SYSREG(3, 4, 2, 0, 2)
#define ENC_VTTBR_EL2        HV_SYSREG(3, 4, 2, 1, 0)
#define ENC_VTCR_EL2         HV_SYSREG(3, 4, 2, 1, 2)
#define ENC_MAIR_EL2         HV_SYSREG(3, 4, 10, 2, 0)
#define ENC_ID_AA64MMFR0_EL1 HV_SYSREG(3, 0, 0, 7, 0)

int hv_mmu_regs_from_cpu(struct hv_cpu *cpu, struct hv_mmu_regs *r)
{
    static const struct {
        uint32_t enc;
        size_t off;
    } map[] = {
        {ENC_SCTLR_EL1, offsetof(struct hv_mmu_regs, sctlr_el1)},
        {ENC_TCR_EL1, offsetof(struct hv_mmu_regs, tcr_el1)},
        {ENC_TTBR0_EL1, offsetof(struct hv_mmu_regs, ttbr0_el1)},
        {ENC_TTBR1_EL1, offsetof(struct hv_mmu_regs, ttbr1_el1)},
        {ENC_MAIR_EL1, offsetof(struct hv_mmu_regs, mair_el1)},
        {ENC_SCTLR_EL2, offsetof(struct hv_mmu_regs, sctlr_el2)},
        {ENC_TCR_EL2, offsetof(struct hv_mmu_regs, tcr_el2)},
        {ENC_TTBR0_EL2, offsetof(struct hv_mmu_regs, ttbr0_el2)},
        {ENC_MAIR_EL2, offsetof(struct hv_mmu_regs, mair_el2)},
        {ENC_HCR_EL2, offsetof(struct hv_mmu_regs, hcr_el2)},
        {ENC_VTCR_EL2, offsetof(struct hv_mmu_regs, vtcr_el2)},
        {ENC_VTTBR_EL2, offsetof(struct hv_mmu_regs, vttbr_el2)},
    };
    memset(r, 0, sizeof(*r));
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        uint64_t v;
        if (hv_cpu_sysreg_get(cpu, map[i].enc, &v))
            return -1;
        memcpy((char *)r + map[i].off, &v, sizeof(v));
    }
    uint64_t mmfr0;
    if (hv_cpu_sysreg_get(cpu, ENC_ID_AA64MMFR0_EL1, &mmfr0))
        return -1;
    r->pa_bits = hv_mmu_parange_bits((unsigned)(mmfr0 & 0xf));
    return 0;
}

int hv_mmu_cpu_read64(void *ctx, uint64_t pa, uint64_t *out)
{
    uint8_t b[8];
    if (hv_cpu_read_pa(ctx, pa, b, 8))
        return -1;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | b[i]; /* descriptors are little-endian (SCTLR.EE = 0) */
    *out = v;
    return 0;
}

int hv_mmu_from_cpu(struct hv_cpu *cpu, struct hv_mmu *m)
{
    memset(m, 0, sizeof(*m));
    m->read64 = hv_mmu_cpu_read64;
    m->mem_ctx = cpu;
    return hv_mmu_regs_from_cpu(cpu, &m->regs);
}
