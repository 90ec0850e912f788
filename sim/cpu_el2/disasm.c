/* hvsim: disassembly at a PC and system-register names for reports. */
#include <stdio.h>
#include <string.h>

#include "../common/disasm.h"
#include "cpu.h"

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
