#include "disasm.h"

#include <stdio.h>

#include <capstone/capstone.h>

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
