/* VMSAv8-64 translation tables with the 4 KiB granule, for both the EL2
 * stage-1 regime (the hypervisor's own identity map) and stage 2 (one per
 * VM). The builder knows only the table format (Arm ARM D8.3, "Translation
 * table descriptor formats"); callers give the leaf attributes
 * (pt_s1_el2_attrs / pt_s2_attrs). Host-testable: page allocation and the
 * table-address <-> pointer conversion go through struct pt_alloc. */
#ifndef HYP_PGTABLE_H
#define HYP_PGTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PT_PAGE_SIZE 4096u
#define PT_BLOCK_2M  (UINT64_C(1) << 21)

/* Descriptor bits (Arm ARM D8.3.1, D8.3.2). */
#define PT_VALID      (UINT64_C(1) << 0)
#define PT_TABLE      (UINT64_C(1) << 1) /* table (level < 3) or page (level 3) */
#define PT_AF         (UINT64_C(1) << 10)
#define PT_SH_INNER   (UINT64_C(3) << 8)
#define PT_XN         (UINT64_C(1) << 54) /* EL2 regime XN; stage 2 XN[1] (all ELs) */
#define PT_ADDR_MASK  UINT64_C(0x0000fffffffff000)
#define PT_ATTRS_MASK (UINT64_C(0xfff0000000000ffc))

/* Memory kinds the hypervisor maps. */
enum pt_mem { PT_MEM_NORMAL, PT_MEM_DEVICE };

/* EL2 stage 1: MAIR_EL2 index 0 = Device-nGnRE (0x04), index 1 = Normal
 * write-back RW-allocate inner/outer (0xff); AP[2:1] = 00 (RW at EL2). */
#define PT_MAIR_EL2      UINT64_C(0xff04)
#define PT_S1_ATTRIDX(i) ((uint64_t)(i) << 2)
uint64_t pt_s1_el2_attrs(enum pt_mem mem);

/* Stage 2: MemAttr[5:2] (D8.5.5, "Stage 2 memory type and Cacheability
 * attributes when FWB is disabled"): 0b1111 Normal WB, 0b0001 Device-nGnRE.
 * S2AP[7:6]: 0b01 read-only, 0b10 write-only, 0b11 read/write. */
#define PT_S2AP_RO UINT64_C(0x40)
#define PT_S2AP_RW UINT64_C(0xc0)
uint64_t pt_s2_attrs(enum pt_mem mem, bool writable, bool executable);

struct pt_alloc {
    void *ctx;
    /* A zeroed, 4 KiB-aligned page, or NULL when out of pages. */
    void *(*alloc_page)(void *ctx);
    /* Output address of a table page, and back. */
    uint64_t (*to_pa)(void *ctx, const void *page);
    void *(*to_ptr)(void *ctx, uint64_t pa);
};

struct pt {
    uint64_t *root;
    uint64_t root_pa;
    unsigned ia_bits;     /* input-address size, 25..39 (one start table) */
    unsigned start_level; /* 1 for ia_bits > 30, else 2 */
    const struct pt_alloc *alloc;
};

enum pt_err {
    PT_OK = 0,
    PT_EINVAL = -1, /* misaligned, zero size, beyond ia_bits, bad PA */
    PT_EEXIST = -2, /* part of the range is already mapped */
    PT_ENOMEM = -3, /* the page allocator ran out */
};

const char *pt_strerror(int err);

/* A table with input addresses of ia_bits bits. Its root is one page (no
 * concatenation): ia_bits 31..39 start at level 1, 25..30 at level 2. */
int pt_init(struct pt *t, const struct pt_alloc *a, unsigned ia_bits);

/* Map [ia, ia + size) to [pa, ...) with the given leaf attributes, with
 * 2 MiB blocks where both addresses and the remaining size allow it, else
 * 4 KiB pages. Never replaces an existing mapping (PT_EEXIST), and leaves
 * the table unchanged on any error except PT_ENOMEM (where the part mapped
 * before the allocator ran out stays mapped; the caller discards the
 * table). */
int pt_map(struct pt *t, uint64_t ia, uint64_t pa, uint64_t size, uint64_t attrs);

/* Software walk: the output address for ia, its leaf attributes and the
 * level of the leaf. Returns false when ia is not mapped. */
bool pt_lookup(const struct pt *t, uint64_t ia, uint64_t *pa, uint64_t *attrs, unsigned *level);

/* The VTCR_EL2 value for a stage-2 table t (4 KiB granule, inner-shareable
 * write-back walks), with the physical-address size field PS from
 * ID_AA64MMFR0_EL1.PARange. */
uint64_t pt_vtcr(const struct pt *t, unsigned parange);

/* The TCR_EL2 value (non-VHE) for an EL2 stage-1 table t. */
uint64_t pt_tcr_el2(const struct pt *t, unsigned parange);

#endif
