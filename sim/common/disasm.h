/* hvsim: A64 disassembly of one instruction word (Capstone). */
#ifndef HV_DISASM_H
#define HV_DISASM_H

#include <stddef.h>
#include <stdint.h>

/* Writes e.g. "hvc #0x42", or ".inst 0x..." if it does not decode. */
void hv_disasm_word(uint32_t insn, uint64_t addr, char *buf, size_t len);

#endif
