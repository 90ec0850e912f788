/* See pgtable.h. Descriptor formats: Arm ARM D8.3 (VMSAv8-64 translation
 * table format descriptors); level shifts for the 4 KiB granule: level 1
 * resolves IA[38:30], level 2 IA[29:21], level 3 IA[20:12]. */
#include "pgtable.h"

static unsigned level_shift(unsigned level)
{
    return 12 + 9 * (3 - level);
}

static unsigned index_of(const struct pt *t, unsigned level, uint64_t ia)
{
    unsigned bits = level == t->start_level ? t->ia_bits - level_shift(level) : 9;
    return (unsigned)((ia >> level_shift(level)) & ((UINT64_C(1) << bits) - 1));
}

uint64_t pt_s1_el2_attrs(enum pt_mem mem)
{
    /* Device memory is never executable (the Arm ARM makes instruction
     * fetches from Device memory CONSTRAINED UNPREDICTABLE otherwise). */
    if (mem == PT_MEM_DEVICE)
        return PT_AF | PT_S1_ATTRIDX(0) | PT_XN;
    return PT_AF | PT_SH_INNER | PT_S1_ATTRIDX(1);
}

uint64_t pt_s2_attrs(enum pt_mem mem, bool writable, bool executable)
{
    uint64_t a = PT_AF | (writable ? PT_S2AP_RW : PT_S2AP_RO);
    if (mem == PT_MEM_DEVICE)
        a |= UINT64_C(0x1) << 2; /* MemAttr 0b0001: Device-nGnRE */
    else
        a |= (UINT64_C(0xf) << 2) | PT_SH_INNER; /* Normal, WB, inner shareable */
    if (!executable || mem == PT_MEM_DEVICE)
        a |= UINT64_C(2) << 53; /* XN[1:0] = 0b10: not executable at EL1/EL0 */
    return a;
}

const char *pt_strerror(int err)
{
    switch (err) {
    case PT_OK:
        return "ok";
    case PT_EINVAL:
        return "invalid range (alignment, size or beyond the input-address size)";
    case PT_EEXIST:
        return "range already mapped";
    case PT_ENOMEM:
        return "out of page-table pages";
    default:
        return "unknown error";
    }
}

int pt_init(struct pt *t, const struct pt_alloc *a, unsigned ia_bits)
{
    if (ia_bits < 25 || ia_bits > 39 || !a || !a->alloc_page)
        return PT_EINVAL;
    t->alloc = a;
    t->ia_bits = ia_bits;
    t->start_level = ia_bits > 30 ? 1 : 2;
    t->root = a->alloc_page(a->ctx);
    if (!t->root)
        return PT_ENOMEM;
    t->root_pa = a->to_pa(a->ctx, t->root);
    return PT_OK;
}

/* Is any part of [ia, ia+size) mapped? Walks only the tables that exist. */
static bool range_mapped(const struct pt *t, uint64_t ia, uint64_t size)
{
    uint64_t end = ia + size;
    while (ia < end) {
        uint64_t *table = t->root;
        unsigned level = t->start_level;
        for (;;) {
            uint64_t d = table[index_of(t, level, ia)];
            uint64_t span = UINT64_C(1) << level_shift(level);
            if (!(d & PT_VALID)) {
                ia = (ia & ~(span - 1)) + span;
                break;
            }
            if (level == 3 || !(d & PT_TABLE))
                return true;
            table = t->alloc->to_ptr(t->alloc->ctx, d & PT_ADDR_MASK);
            level++;
        }
    }
    return false;
}

static int map_one(struct pt *t, uint64_t ia, uint64_t pa, unsigned leaf_level, uint64_t attrs)
{
    uint64_t *table = t->root;
    for (unsigned level = t->start_level; level < leaf_level; level++) {
        uint64_t *slot = &table[index_of(t, level, ia)];
        if (!(*slot & PT_VALID)) {
            uint64_t *next = t->alloc->alloc_page(t->alloc->ctx);
            if (!next)
                return PT_ENOMEM;
            *slot = t->alloc->to_pa(t->alloc->ctx, next) | PT_TABLE | PT_VALID;
        }
        table = t->alloc->to_ptr(t->alloc->ctx, *slot & PT_ADDR_MASK);
    }
    uint64_t type = leaf_level == 3 ? (PT_TABLE | PT_VALID) : PT_VALID;
    table[index_of(t, leaf_level, ia)] = (pa & PT_ADDR_MASK) | (attrs & PT_ATTRS_MASK) | type;
    return PT_OK;
}

int pt_map(struct pt *t, uint64_t ia, uint64_t pa, uint64_t size, uint64_t attrs)
{
    uint64_t limit = UINT64_C(1) << t->ia_bits;
    if (size == 0 || (ia | pa | size) & (PT_PAGE_SIZE - 1) || ia >= limit || size > limit - ia ||
        pa > PT_ADDR_MASK || size - 1 > PT_ADDR_MASK - pa)
        return PT_EINVAL;
    if (range_mapped(t, ia, size))
        return PT_EEXIST;
    while (size) {
        bool block = t->start_level <= 2 && !((ia | pa) & (PT_BLOCK_2M - 1)) && size >= PT_BLOCK_2M;
        int r = map_one(t, ia, pa, block ? 2 : 3, attrs);
        if (r)
            return r;
        uint64_t step = block ? PT_BLOCK_2M : PT_PAGE_SIZE;
        ia += step;
        pa += step;
        size -= step;
    }
    return PT_OK;
}

bool pt_lookup(const struct pt *t, uint64_t ia, uint64_t *pa, uint64_t *attrs, unsigned *level)
{
    if (ia >> t->ia_bits)
        return false;
    uint64_t *table = t->root;
    for (unsigned l = t->start_level; l <= 3; l++) {
        uint64_t d = table[index_of(t, l, ia)];
        if (!(d & PT_VALID))
            return false;
        if (l < 3 && (d & PT_TABLE)) {
            table = t->alloc->to_ptr(t->alloc->ctx, d & PT_ADDR_MASK);
            continue;
        }
        if (l == 3 && !(d & PT_TABLE))
            return false; /* reserved encoding at level 3 */
        uint64_t span = UINT64_C(1) << level_shift(l);
        if (pa)
            *pa = ((d & PT_ADDR_MASK) & ~(span - 1)) | (ia & (span - 1));
        if (attrs)
            *attrs = d & PT_ATTRS_MASK;
        if (level)
            *level = l;
        return true;
    }
    return false;
}

static unsigned ps_field(unsigned parange)
{
    /* PS/IPS use the PARange encoding (0..6); stay within 48 bits (5),
     * the largest size the 4 KiB granule's descriptors hold without
     * FEAT_LPA. */
    return parange > 5 ? 5 : parange;
}

uint64_t pt_vtcr(const struct pt *t, unsigned parange)
{
    /* VTCR_EL2 (D13.2.151): T0SZ = 64 - ia_bits; SL0 for TG0 = 4 KiB:
     * 0b01 = start at level 1, 0b00 = level 2; IRGN0/ORGN0 = 0b01 (WB RA WA),
     * SH0 = 0b11; TG0 = 0b00; PS [18:16]; RES1 bit 31. */
    uint64_t sl0 = t->start_level == 1 ? 1 : 0;
    return (uint64_t)(64 - t->ia_bits) | sl0 << 6 | UINT64_C(1) << 8 | UINT64_C(1) << 10 |
           UINT64_C(3) << 12 | (uint64_t)ps_field(parange) << 16 | UINT64_C(1) << 31;
}

uint64_t pt_tcr_el2(const struct pt *t, unsigned parange)
{
    /* TCR_EL2 with E2H = 0 (D13.2.120): T0SZ, IRGN0/ORGN0 WB, SH0 inner,
     * TG0 4 KiB, PS [18:16]; RES1 bits 31 and 23. */
    return (uint64_t)(64 - t->ia_bits) | UINT64_C(1) << 8 | UINT64_C(1) << 10 | UINT64_C(3) << 12 |
           (uint64_t)ps_field(parange) << 16 | UINT64_C(1) << 23 | UINT64_C(1) << 31;
}
