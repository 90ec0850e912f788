/* hvsim: a VMSAv8-64 translation-table walker (Arm ARM D8 "The AArch64
 * Virtual Memory System Architecture"), independent of Unicorn.
 *
 * It follows the Arm ARM J1 pseudocode: AArch64.FullTranslate,
 * AArch64.S1Translate (AArch64.FirstStageTranslation in older issues),
 * AArch64.S2Translate (AArch64.SecondStageTranslation), AArch64.S1Walk /
 * AArch64.S2Walk (AArch64.TranslationTableWalk), AArch64.S1StartLevel,
 * AArch64.S2StartLevel, AArch64.S2InvalidSL, AArch64.S2InconsistentSL,
 * AArch64.VAIsOutOfRange, AArch64.IPAIsOutOfRange, AArch64.S1CheckPermissions,
 * AArch64.S2CheckPermissions and S2CombineS1MemAttrs.
 *
 * Covered: 4K/16K/64K granules, TxSZ 16..39 (clamped), all start levels,
 * stage-2 SL0 with concatenated start tables, TTBR0/TTBR1 by VA[55], TBI,
 * EPD0/EPD1, stage 1 for EL1&0 and EL2 (non-VHE), stage 2 (VTCR_EL2/VTTBR_EL2)
 * including the stage-2 translation of every stage-1 table address,
 * hierarchical table attributes, AP/UXN/PXN/WXN, S2AP/XN, AF (no hardware
 * update), address size checks against IPS/PS, MAIR decoding, attribute
 * combining, HCR_EL2.VM/DC/PTW/CD/ID. Everything else and every
 * IMPLEMENTATION DEFINED choice is listed in docs/mmu.md.
 *
 * The walker is a pure function of a register description and a memory-read
 * callback: no globals, no allocation, no Unicorn. The machine fills
 * struct hv_mmu_regs from hv_cpu_sysreg_get() and reads through
 * hv_cpu_read_pa(); unit tests index a host buffer. Every walk ends after at
 * most 4 levels per stage (levels only increase), whatever the tables hold.
 */
#ifndef HV_MMU_H
#define HV_MMU_H

#include <stdbool.h>
#include <stdint.h>

/* ---- Inputs ------------------------------------------------------------ */

/* The system registers that control translation. Fields are raw register
 * values; bits the walker does not use are ignored. */
struct hv_mmu_regs {
    /* EL1&0 stage 1 (Arm ARM D8.1, D8.2). */
    uint64_t sctlr_el1, tcr_el1, ttbr0_el1, ttbr1_el1, mair_el1;
    /* EL2 stage 1, non-VHE (HCR_EL2.E2H is ignored: see docs/mmu.md). */
    uint64_t sctlr_el2, tcr_el2, ttbr0_el2, mair_el2;
    /* Stage 2 of the EL1&0 regime, and the HCR_EL2 controls that matter:
     * VM (bit 0), PTW (2), DC (12), CD (32), ID (33). */
    uint64_t hcr_el2, vtcr_el2, vttbr_el2;
    /* Implemented physical address size in bits (PAMax(), from
     * ID_AA64MMFR0_EL1.PARange: see hv_mmu_parange_bits). 0 means 48; other
     * values are clamped to 32..48 (FEAT_LPA is not modelled). */
    unsigned pa_bits;
};

/* Read one little-endian 64-bit descriptor at a physical address. Returns
 * nonzero when the read fails: the walker reports a synchronous External
 * abort on the translation table walk. */
typedef int (*hv_mmu_read64_fn)(void *ctx, uint64_t pa, uint64_t *out);

enum hv_mmu_desc_kind {
    HV_MMU_DESC_INVALID,  /* bit[0] == 0 */
    HV_MMU_DESC_RESERVED, /* 0b01 at level 3, or a block where blocks are not allowed */
    HV_MMU_DESC_TABLE,
    HV_MMU_DESC_BLOCK,
    HV_MMU_DESC_PAGE,
    HV_MMU_DESC_UNREAD, /* the read callback failed (external abort) */
};

/* One descriptor fetch, reported in walk order. Stage-2 steps that translate
 * a stage-1 table address have s1ptw set and come before the stage-1 step
 * that reads the descriptor. */
struct hv_mmu_step {
    uint8_t stage;      /* 1 or 2 */
    int8_t level;       /* 0..3 */
    bool s1ptw;         /* stage-2 step made for a stage-1 table walk */
    uint64_t ia;        /* the input address of this stage (VA, or IPA) */
    uint64_t table;     /* base of the table (an IPA for stage 1 under stage 2) */
    unsigned index;     /* entry index in that table */
    uint64_t desc_addr; /* table + 8 * index (an IPA for stage 1 under stage 2) */
    uint64_t desc_pa;   /* the physical address actually read */
    uint64_t desc;      /* the value read (0 when kind == UNREAD) */
    enum hv_mmu_desc_kind kind;
    /* Decoded meaning. out: next-level table address (TABLE) or output
     * address of the block/page with the input offset applied (BLOCK/PAGE). */
    uint64_t out;
    uint64_t size; /* bytes mapped by a block/page descriptor */
    /* Leaf attributes: stage 1 AttrIndx, AP[2:1], SH, AF, nG, Contiguous,
     * PXN, UXN/XN; stage 2 MemAttr[3:0], S2AP, SH, AF, Contiguous, XN. */
    uint8_t attr, ap, sh, af, ng, contig, pxn, xn;
    /* Table attributes (stage 1): APTable[1:0], UXNTable/XNTable, PXNTable. */
    uint8_t ap_table, xn_table, pxn_table;
};

typedef void (*hv_mmu_step_fn)(void *ctx, const struct hv_mmu_step *step);

/* The walker's whole context: registers, memory, optional step report. */
struct hv_mmu {
    struct hv_mmu_regs regs;
    hv_mmu_read64_fn read64;
    void *mem_ctx;
    hv_mmu_step_fn step; /* optional: NULL costs nothing */
    void *step_ctx;
};

enum hv_mmu_acc_type { HV_MMU_READ, HV_MMU_WRITE, HV_MMU_EXEC };

/* One access. el selects the regime: 0 and 1 → EL1&0 (plus stage 2 when
 * HCR_EL2.VM or DC is set), 2 → EL2 (stage 1 only; EL3's regime is not
 * modelled and larger values also mean EL2). unpriv marks LDTR/STTR
 * at EL1, checked with EL0 permissions (Arm ARM D8.4). */
struct hv_mmu_access {
    uint64_t va;
    enum hv_mmu_acc_type type;
    unsigned el;
    bool unpriv;
};

/* ---- Outputs ----------------------------------------------------------- */

enum hv_mmu_fault_type {
    HV_MMU_FAULT_NONE,
    HV_MMU_FAULT_TRANSLATION,
    HV_MMU_FAULT_ACCESS_FLAG,
    HV_MMU_FAULT_PERMISSION,
    HV_MMU_FAULT_ADDRESS_SIZE,
    HV_MMU_FAULT_EXT_ABORT_WALK, /* synchronous External abort on a table walk */
};

/* The fault exactly as the architecture reports it (ESR_ELx, FAR, HPFAR). */
struct hv_mmu_fault {
    enum hv_mmu_fault_type type;
    uint8_t stage;     /* 1 or 2 */
    int8_t level;      /* 0..3 */
    bool s1ptw;        /* ESR ISS.S1PTW: stage-2 fault on a stage-1 table walk */
    bool ipa_valid;    /* ipa is meaningful (every stage-2 fault) */
    uint64_t ipa;      /* faulting IPA (table descriptor IPA when s1ptw); HPFAR_EL2 */
    uint8_t fsc;       /* DFSC/IFSC, ESR ISS[5:0] (Arm ARM D17 ESR_ELx) */
    uint8_t target_el; /* 2 for stage-2 faults and EL2-regime faults, else 1 */
};

enum hv_mmu_memtype { HV_MMU_MEM_DEVICE, HV_MMU_MEM_NORMAL };
/* Device types in order of decreasing restriction. */
enum hv_mmu_device { HV_MMU_DEV_nGnRnE, HV_MMU_DEV_nGnRE, HV_MMU_DEV_nGRE, HV_MMU_DEV_GRE };
/* Cacheability in order of increasing "cachedness" (combining keeps the lower). */
enum hv_mmu_cache { HV_MMU_CACHE_NC, HV_MMU_CACHE_WT, HV_MMU_CACHE_WB };
/* Shareability, by the SH[1:0] encoding. */
enum hv_mmu_sh { HV_MMU_SH_NON = 0, HV_MMU_SH_OUTER = 2, HV_MMU_SH_INNER = 3 };

struct hv_mmu_cacheattr {
    uint8_t cache; /* enum hv_mmu_cache */
    bool ra, wa, transient;
};

struct hv_mmu_memattr {
    uint8_t type;                         /* enum hv_mmu_memtype */
    uint8_t device;                       /* enum hv_mmu_device, when type == DEVICE */
    struct hv_mmu_cacheattr inner, outer; /* when type == NORMAL */
    uint8_t sh;                           /* enum hv_mmu_sh: effective shareability */
};

/* Permission bits. */
#define HV_MMU_R 1u
#define HV_MMU_W 2u
#define HV_MMU_X 4u

/* Effective permissions of the mapping: priv is EL1 (EL1&0 regime) or EL2
 * (EL2 regime); unpriv is EL0 (always 0 in the EL2 regime). */
struct hv_mmu_perms {
    uint8_t priv, unpriv;
};

struct hv_mmu_result {
    uint64_t pa;   /* output physical address */
    uint64_t ipa;  /* stage-1 output (== pa when stage 2 is off) */
    uint64_t size; /* bytes mapped around pa (smallest leaf of both stages) */
    bool s1_enabled, s2_enabled;
    struct hv_mmu_memattr attr; /* final, after combining stage 1 and 2 */
    uint8_t mair_attr;          /* stage 1 MAIR byte used (0 when stage 1 is off) */
    struct hv_mmu_perms s1_perms, s2_perms, perms; /* perms = s1 & s2 */
    struct hv_mmu_fault fault;                     /* type == NONE on success */
};

/* ---- The walker -------------------------------------------------------- */

/* Translate one access through the regime named by acc->el (AArch64.
 * FullTranslate). Returns 0 and fills res on success; returns -1 with
 * res->fault set on a fault. Never fails otherwise. */
int hv_mmu_translate(const struct hv_mmu *m, const struct hv_mmu_access *acc,
                     struct hv_mmu_result *res);

/* Stage 2 alone for an IPA (AArch64.S2Translate), e.g. for an isolation
 * check or HPFAR decoding. With stage 2 off, the IPA is returned as the PA
 * with Normal WB attributes. Same return convention. */
int hv_mmu_translate_ipa(const struct hv_mmu *m, uint64_t ipa, enum hv_mmu_acc_type type,
                         unsigned el, struct hv_mmu_result *res);

/* The shape of the stage-2 tables that VTCR_EL2/VTTBR_EL2 describe (the
 * parameters of AArch64.S2Walk), for code that enumerates them. */
struct hv_mmu_s2_geom {
    unsigned gbits;         /* log2 of the granule: 12, 14, 16 */
    unsigned stride;        /* gbits - 3 */
    int startlevel;         /* 0..3 */
    unsigned iasize;        /* IPA bits: 64 - T0SZ (clamped) */
    unsigned oasize;        /* output bits: VTCR_EL2.PS capped at PAMax */
    unsigned start_entries; /* descriptors in the (concatenated) start table */
    uint64_t base;          /* its PA */
};

/* Fill g. Returns -1 when the configuration faults at level 0 for every IPA
 * (invalid or inconsistent SL0, or a base beyond PS): nothing is mapped. */
int hv_mmu_s2_geometry(const struct hv_mmu_regs *r, struct hv_mmu_s2_geom *g);

/* ID_AA64MMFR0_EL1.PARange → PA bits (0b0000 → 32 ... 0b0101 → 48; larger
 * values → 48, as FEAT_LPA is not modelled). */
unsigned hv_mmu_parange_bits(unsigned parange);

/* HPFAR_EL2 value for a stage-2 fault: FIPA = IPA[47:12] in bits [39:4]. */
uint64_t hv_mmu_hpfar(const struct hv_mmu_fault *f);

/* Names for reports: "translation", "access flag", ...; "invalid", "table"... */
const char *hv_mmu_fault_name(enum hv_mmu_fault_type t);
const char *hv_mmu_desc_kind_name(enum hv_mmu_desc_kind k);

#endif
