/* hvsim: disassembly (Capstone) and system-register names for reports. */
#include <stdio.h>
#include <string.h>

#include <capstone/capstone.h>

#include "cpu.h"

void hv_disasm_word(uint32_t insn, uint64_t addr, char *buf, size_t len)
{
    csh h;
    cs_insn *ci = NULL;
    uint8_t bytes[4] = {(uint8_t)insn, (uint8_t)(insn >> 8), (uint8_t)(insn >> 16),
                        (uint8_t)(insn >> 24)};

    if (len == 0)
        return;
    if (cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &h) != CS_ERR_OK) {
        snprintf(buf, len, ".inst 0x%08x", insn);
        return;
    }
    if (cs_disasm(h, bytes, 4, addr, 1, &ci) == 1) {
        if (ci->op_str[0])
            snprintf(buf, len, "%s %s", ci->mnemonic, ci->op_str);
        else
            snprintf(buf, len, "%s", ci->mnemonic);
        cs_free(ci, 1);
    } else {
        snprintf(buf, len, ".inst 0x%08x", insn);
    }
    cs_close(&h);
}

void hv_cpu_disasm(struct hv_cpu *cpu, uint64_t va, char *buf, size_t len)
{
    uint32_t insn;
    if (hv_cpu_read_va(cpu, va, &insn, sizeof(insn)) != 0) {
        snprintf(buf, len, "<unreadable>");
        return;
    }
    hv_disasm_word(insn, va, buf, len);
}

/* Names of registers hvsim reports about; others print as S<op0>_<op1>_...*/
static const struct {
    uint32_t enc;
    const char *name;
} names[] = {
    {HV_SYSREG(3, 4, 1, 1, 0), "HCR_EL2"},     {HV_SYSREG(3, 6, 1, 1, 0), "SCR_EL3"},
    {HV_SYSREG(3, 0, 1, 0, 0), "SCTLR_EL1"},   {HV_SYSREG(3, 4, 1, 0, 0), "SCTLR_EL2"},
    {HV_SYSREG(3, 0, 2, 0, 0), "TTBR0_EL1"},   {HV_SYSREG(3, 0, 2, 0, 1), "TTBR1_EL1"},
    {HV_SYSREG(3, 0, 2, 0, 2), "TCR_EL1"},     {HV_SYSREG(3, 4, 2, 1, 0), "VTTBR_EL2"},
    {HV_SYSREG(3, 4, 2, 1, 2), "VTCR_EL2"},    {HV_SYSREG(3, 0, 10, 2, 0), "MAIR_EL1"},
    {HV_SYSREG(3, 0, 5, 2, 0), "ESR_EL1"},     {HV_SYSREG(3, 4, 5, 2, 0), "ESR_EL2"},
    {HV_SYSREG(3, 0, 6, 0, 0), "FAR_EL1"},     {HV_SYSREG(3, 4, 6, 0, 0), "FAR_EL2"},
    {HV_SYSREG(3, 4, 6, 0, 4), "HPFAR_EL2"},   {HV_SYSREG(3, 0, 12, 0, 0), "VBAR_EL1"},
    {HV_SYSREG(3, 4, 12, 0, 0), "VBAR_EL2"},   {HV_SYSREG(3, 0, 4, 0, 1), "ELR_EL1"},
    {HV_SYSREG(3, 4, 4, 0, 1), "ELR_EL2"},     {HV_SYSREG(3, 0, 4, 0, 0), "SPSR_EL1"},
    {HV_SYSREG(3, 4, 4, 0, 0), "SPSR_EL2"},    {HV_SYSREG(3, 0, 4, 2, 2), "CurrentEL"},
    {HV_SYSREG(3, 0, 0, 0, 5), "MPIDR_EL1"},   {HV_SYSREG(3, 3, 14, 0, 0), "CNTFRQ_EL0"},
    {HV_SYSREG(3, 3, 14, 0, 1), "CNTPCT_EL0"}, {HV_SYSREG(3, 3, 14, 0, 2), "CNTVCT_EL0"},
};

const char *hv_sysreg_name(uint32_t enc)
{
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].enc == enc)
            return names[i].name;
    return NULL;
}
