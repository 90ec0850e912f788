/* VMSAv8-64 helpers for test images: descriptor bits for stage 1 and stage 2
 * (4 KiB granule), syndrome field packing, TLB and address-translation
 * instructions. Header only; every helper is static inline.
 *
 * References are to the Arm ARM (DDI 0487): D8 "The AArch64 Virtual Memory
 * System Architecture" ("Translation table descriptor formats"), D17.2.37
 * ESR_ELx ISS encodings for Instruction and Data Aborts, and the register
 * descriptions of HPFAR_EL2 and PAR_EL1. */
#ifndef MMU_HELPERS_H
#define MMU_HELPERS_H

#include <stdint.h>

/* ---- descriptors (D8) ----------------------------------------------------- */

/* bits[1:0]: 0b11 = table (levels 0-2) or page (level 3); 0b01 = block. */
#define PTE_TABLE 3ul
#define PTE_PAGE  3ul
#define PTE_BLOCK 1ul

/* Stage 1 lower attributes: AttrIndx[4:2] (into MAIR_ELx), AP[7:6],
 * SH[9:8], AF[10]; upper: PXN[53], UXN/XN[54]. */
#define S1_ATTR(i)   ((uint64_t)(i) << 2)
#define S1_AP_RW_EL1 (0ul << 6) /* AP[2:1] = 00: EL1 RW, EL0 none */
#define S1_AP_RO_EL1 (2ul << 6) /* AP[2:1] = 10: EL1 RO, EL0 none */
#define S1_SH_INNER  (3ul << 8)
#define S1_AF        (1ul << 10)
#define S1_PXN       (1ul << 53)
#define S1_UXN       (1ul << 54)

/* Stage 2 lower attributes: MemAttr[5:2], S2AP[7:6], SH[9:8], AF[10];
 * upper: XN[54]. MemAttr 0b1111 = Normal Outer/Inner Write-Back,
 * 0b0001 = Device-nGnRE. */
#define S2_MEM_NORMAL_WB (0xful << 2)
#define S2_MEM_DEVICE    (0x1ul << 2)
#define S2AP_RO          (1ul << 6) /* S2AP = 01: read-only */
#define S2AP_RW          (3ul << 6) /* S2AP = 11: read/write */
#define S2_SH_INNER      (3ul << 8)
#define S2_AF            (1ul << 10)
#define S2_XN            (1ul << 54)

/* ---- syndromes (D17.2.37) ------------------------------------------------ */

#define EC_IABT_LOW 0x20u /* Instruction Abort from a lower EL */
#define EC_IABT_CUR 0x21u /* Instruction Abort taken without a change in EL */
#define EC_DABT_LOW 0x24u /* Data Abort from a lower EL */
#define EC_DABT_CUR 0x25u /* Data Abort taken without a change in EL */

#define ESR_EC(ec) ((uint64_t)(ec) << 26)
#define ESR_IL     (1ul << 25)
#define ESR_ISV    (1ul << 24)
#define ESR_SAS(s) ((uint64_t)(s) << 22) /* 0 byte, 1 half, 2 word, 3 dword */
#define ESR_SSE    (1ul << 21)
#define ESR_SRT(r) ((uint64_t)(r) << 16)
#define ESR_SF     (1ul << 15)
#define ESR_CM     (1ul << 8)
#define ESR_S1PTW  (1ul << 7)
#define ESR_WNR    (1ul << 6)

/* Fault status codes (DFSC/IFSC, and PAR_EL1.FST): the low two bits are the
 * level at which the fault was found. */
#define FSC_TRANS(l) (0x04u | (l))
#define FSC_AF(l)    (0x08u | (l))
#define FSC_PERM(l)  (0x0cu | (l))

/* HPFAR_EL2.FIPA[43:4] holds IPA[51:12] (HPFAR_EL2 register description). */
static inline uint64_t hpfar_of(uint64_t ipa)
{
    return (ipa >> 12) << 4;
}

/* ---- PAR_EL1 (register description) --------------------------------------- */

#define PAR_F       1ul
#define PAR_PA_MASK 0x0000fffffffff000ul /* PA[47:12] when F == 0 */
#define PAR_SH(p)   (((p) >> 7) & 3u)
#define PAR_ATTR(p) ((unsigned)((p) >> 56))
#define PAR_FST(p)  ((unsigned)(((p) >> 1) & 0x3f)) /* when F == 1 */
#define PAR_PTW     (1ul << 8)                      /* when F == 1 */
#define PAR_S       (1ul << 9)                      /* when F == 1 */

/* ---- barriers and maintenance -------------------------------------------- */

static inline void dsb_ish(void)
{
    __asm__ volatile("dsb ish" ::: "memory");
}

static inline void dsb_ishst(void)
{
    __asm__ volatile("dsb ishst" ::: "memory");
}

static inline void isb(void)
{
    __asm__ volatile("isb" ::: "memory");
}

/* Clean and invalidate data cache lines to the point of coherency over
 * [start, start + len), assuming 64-byte lines (the minimum CTR_EL0.DminLine
 * reports on the Cortex-A72 is 64 bytes; a smaller step is still correct). */
static inline void dc_civac_range(const void *start, uint64_t len)
{
    for (uint64_t a = (uint64_t)start & ~63ul; a < (uint64_t)start + len; a += 64)
        __asm__ volatile("dc civac, %0" ::"r"(a) : "memory");
    dsb_ish();
}

/* TLBI VAE1IS: stage 1 entries for one VA (current VMID), all levels. */
static inline void tlbi_vae1is(uint64_t va)
{
    __asm__ volatile("tlbi vae1is, %0" ::"r"((va >> 12) & 0xffffffffffful) : "memory");
}

/* TLBI IPAS2E1IS: stage 2 entries for one IPA (current VMID); Xt[35:0]
 * holds IPA[47:12]. */
static inline void tlbi_ipas2e1is(uint64_t ipa)
{
    __asm__ volatile("tlbi ipas2e1is, %0" ::"r"((ipa >> 12) & 0xffffffffful) : "memory");
}

static inline void tlbi_vmalle1is(void)
{
    __asm__ volatile("tlbi vmalle1is" ::: "memory");
}

static inline void tlbi_vmalls12e1is(void)
{
    __asm__ volatile("tlbi vmalls12e1is" ::: "memory");
}

/* Address translation instructions (A64 AT S1E1R / AT S12E1R): the result
 * is in PAR_EL1, read after an ISB that orders it after the AT. */
static inline uint64_t at_s1e1r(uint64_t va)
{
    uint64_t par;
    __asm__ volatile("at s1e1r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(va) : "memory");
    return par;
}

static inline uint64_t at_s1e1w(uint64_t va)
{
    uint64_t par;
    __asm__ volatile("at s1e1w, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(va) : "memory");
    return par;
}

static inline uint64_t at_s12e1r(uint64_t va)
{
    uint64_t par;
    __asm__ volatile("at s12e1r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(va) : "memory");
    return par;
}

#endif
