/* hvsim: the VMSAv8-64 translation-table walker (see mmu.h, docs/mmu.md).
 *
 * Structure, following the Arm ARM J1 pseudocode (aarch64/translation/):
 *   hv_mmu_translate      AArch64.FullTranslate
 *     s1_translate        AArch64.S1Translate (older issues:
 *                         AArch64.FirstStageTranslation), AArch64.S1DisabledOutput
 *     s2_translate        AArch64.S2Translate (AArch64.SecondStageTranslation)
 *       walk              AArch64.S1Walk / AArch64.S2Walk (AArch64.TranslationTableWalk)
 *       s2_ptw            the stage-2 translation of each stage-1 descriptor
 *                         address (AccessType_TTW), with HCR_EL2.PTW
 *
 * Only architectural state enters: the registers in struct hv_mmu_regs and
 * the descriptors read through the callback. Shifts are bounded everywhere so
 * that any register or descriptor value is safe; every loop advances the level
 * and stops at level 3, so a walk reads at most 4 descriptors per stage (at
 * most 4 + 4 * 5 = 24 with stage 2 on every stage-1 table address).
 */
#include "mmu.h"

#include <string.h>

#define FINAL_LEVEL 3

/* HCR_EL2 bits (Arm ARM D19 HCR_EL2). */
#define HCR_VM  (UINT64_C(1) << 0)
#define HCR_PTW (UINT64_C(1) << 2)
#define HCR_DC  (UINT64_C(1) << 12)
#define HCR_CD  (UINT64_C(1) << 32)
#define HCR_ID  (UINT64_C(1) << 33)

/* SCTLR_ELx bits. */
#define SCTLR_M   (UINT64_C(1) << 0)
#define SCTLR_C   (UINT64_C(1) << 2)
#define SCTLR_I   (UINT64_C(1) << 12)
#define SCTLR_WXN (UINT64_C(1) << 19)

static inline uint64_t lowmask(unsigned n)
{
    return n >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << n) - 1;
}

static inline unsigned field(uint64_t v, unsigned lsb, unsigned width)
{
    return (unsigned)((v >> lsb) & lowmask(width));
}

/* Output addresses are 48 bits: FEAT_LPA (52-bit PA) is not modelled. */
#define OA_MASK (lowmask(48))

/* The parameters of one stage's walk (the pseudocode's S1TTWParams /
 * S2TTWParams after TxSZ clamping and start-level computation). */
struct walkparams {
    uint8_t stage;  /* 1 or 2 */
    uint8_t gbits;  /* log2 granule: 12, 14, 16 */
    uint8_t stride; /* gbits - 3: index bits per level */
    uint8_t iasize; /* 64 - TxSZ */
    uint8_t oasize; /* IPS/PS, capped at PAMax */
    int8_t startlevel;
    uint64_t base; /* start table (TTBR/VTTBR BADDR, aligned per the table size) */
};

/* What a walk found (the pseudocode's TTWState). */
struct walkstate {
    int level;
    uint64_t desc; /* leaf descriptor */
    uint64_t oa;   /* output address, input offset applied */
    unsigned blockbits;
    unsigned ap_table, xn_table, pxn_table; /* accumulated stage-1 table attributes */
};

/* ---- Small decoders ------------------------------------------------------ */

unsigned hv_mmu_parange_bits(unsigned parange)
{
    static const uint8_t bits[6] = {32, 36, 40, 42, 44, 48};
    return parange < 6 ? bits[parange] : 48;
}

static unsigned pamax(const struct hv_mmu_regs *r)
{
    unsigned b = r->pa_bits ? r->pa_bits : 48;
    return b < 32 ? 32 : b > 48 ? 48 : b;
}

/* AArch64.PhysicalAddressSize: the IPS/PS encoding, capped at PAMax().
 * 0b110 (52 bits, FEAT_LPA) and the reserved 0b111 are capped to PAMax too. */
static unsigned ps_bits(unsigned ps, unsigned pa_max)
{
    static const uint8_t enc[8] = {32, 36, 40, 42, 44, 48, 52, 52};
    unsigned b = enc[ps & 7];
    return b > pa_max ? pa_max : b;
}

/* TCR_ELx.TG0 / VTCR_EL2.TG0: 00 4K, 01 64K, 10 16K. The reserved 11 is an
 * IMPLEMENTATION DEFINED choice of an implemented size: hvsim takes 4K
 * (AArch64.S1DecodeTG0 / AArch64.S2DecodeTG0). */
static unsigned tg0_bits(unsigned tg0)
{
    static const uint8_t bits[4] = {12, 16, 14, 12};
    return bits[tg0 & 3];
}

/* TCR_EL1.TG1: 01 16K, 10 4K, 11 64K; reserved 00 → 4K (AArch64.S1DecodeTG1). */
static unsigned tg1_bits(unsigned tg1)
{
    static const uint8_t bits[4] = {12, 14, 12, 16};
    return bits[tg1 & 3];
}

/* AArch64.S1StartLevel: FINAL_LEVEL - ((iasize - 1 - granulebits) DIV stride). */
static int s1_start_level(unsigned iasize, unsigned gbits)
{
    /* Constant divisors: a division instruction is a tenth of a walk. */
    switch (gbits) {
    case 12:
        return FINAL_LEVEL - (int)((iasize - 1 - 12) / 9);
    case 14:
        return FINAL_LEVEL - (int)((iasize - 1 - 14) / 11);
    default:
        return FINAL_LEVEL - (int)((iasize - 1 - 16) / 13);
    }
}

/* Blocks allowed (AArch64.BlockDescSupported without FEAT_LPA/LPA2): 4K at
 * levels 1 and 2, 16K and 64K at level 2 only (Arm ARM D8.3). */
static bool block_allowed(unsigned gbits, int level)
{
    return gbits == 12 ? (level == 1 || level == 2) : level == 2;
}

/* The output-address range check (AArch64.OAOutOfRange). With the 64K
 * granule, descriptor bits[15:12] hold OA[51:48] (FEAT_LPA); as PAMax < 52
 * here, any of them set is out of range (the ARMv8.0 pseudocode's
 * "largegrain && !IsZero(desc<15:12>)"). */
static bool oa_out_of_range(uint64_t oa, unsigned oasize)
{
    return oasize < 64 && (oa & OA_MASK) >> oasize != 0;
}

static bool desc_oa_out_of_range(uint64_t desc, uint64_t oa, unsigned gbits, unsigned oasize)
{
    if (gbits == 16 && field(desc, 12, 4) != 0)
        return true;
    return oa_out_of_range(oa, oasize);
}

/* MAIR_ELx Attr<n> nibble for Normal memory (Arm ARM D19 MAIR_EL1):
 * 0b00RW (RW != 0) WT transient, 0b0100 NC, 0b01RW (RW != 0) WB transient,
 * 0b10RW WT, 0b11RW WB; R = read-allocate, W = write-allocate. An inner
 * 0b0000 under a Normal outer is UNPREDICTABLE: hvsim treats it as NC. */
static struct hv_mmu_cacheattr mair_nibble(unsigned n)
{
#define NC_                                                                                        \
    {                                                                                              \
        .cache = HV_MMU_CACHE_NC                                                                   \
    }
#define CA_(c, r, w, t)                                                                            \
    {                                                                                              \
        .cache = HV_MMU_CACHE_##c, .ra = r, .wa = w, .transient = t                                \
    }
    static const struct hv_mmu_cacheattr dec[16] = {
        NC_,
        CA_(WT, false, true, true), /* 0b0000, 0b0001 */
        CA_(WT, true, false, true),
        CA_(WT, true, true, true),
        NC_,
        CA_(WB, false, true, true), /* 0b0100, 0b0101 */
        CA_(WB, true, false, true),
        CA_(WB, true, true, true),
        CA_(WT, false, false, false),
        CA_(WT, false, true, false), /* 0b10RW */
        CA_(WT, true, false, false),
        CA_(WT, true, true, false),
        CA_(WB, false, false, false),
        CA_(WB, false, true, false), /* 0b11RW */
        CA_(WB, true, false, false),
        CA_(WB, true, true, false),
    };
#undef NC_
#undef CA_
    return dec[n & 15];
}

/* One MAIR byte. 0b0000ddxx is Device (dd: nGnRnE, nGnRE, nGRE, GRE; xx != 0
 * is UNPREDICTABLE, decoded as dd); anything else is Normal outer:inner. */
static void mair_decode(unsigned a, unsigned sh, struct hv_mmu_memattr *ma)
{
    memset(ma, 0, sizeof(*ma));
    if ((a & 0xf0) == 0) {
        ma->type = HV_MMU_MEM_DEVICE;
        ma->device = (uint8_t)((a >> 2) & 3);
    } else {
        ma->type = HV_MMU_MEM_NORMAL;
        ma->outer = mair_nibble(a >> 4);
        ma->inner = mair_nibble(a & 0xf);
    }
    ma->sh = (uint8_t)sh;
}

/* Stage-2 MemAttr[3:0] (Arm ARM D8 "Stage 2 memory type and Cacheability
 * attributes", FWB off): [3:2] == 00 → Device, [1:0] the type; otherwise
 * Normal, outer [3:2] and inner [1:0] with 01 NC, 10 WT, 11 WB (inner 00
 * under a Normal outer is UNPREDICTABLE: NC). */
static void s2_memattr_decode(unsigned ma4, unsigned sh, struct hv_mmu_memattr *ma)
{
    static const uint8_t cache[4] = {HV_MMU_CACHE_NC, HV_MMU_CACHE_NC, HV_MMU_CACHE_WT,
                                     HV_MMU_CACHE_WB};
    memset(ma, 0, sizeof(*ma));
    if ((ma4 >> 2) == 0) {
        ma->type = HV_MMU_MEM_DEVICE;
        ma->device = (uint8_t)(ma4 & 3);
    } else {
        ma->type = HV_MMU_MEM_NORMAL;
        ma->outer.cache = cache[ma4 >> 2];
        ma->inner.cache = cache[ma4 & 3];
    }
    ma->sh = (uint8_t)sh;
}

/* NormalNCMemAttr(). */
static void normal_nc(struct hv_mmu_memattr *ma)
{
    memset(ma, 0, sizeof(*ma));
    ma->type = HV_MMU_MEM_NORMAL;
    ma->sh = HV_MMU_SH_OUTER;
}

/* EffectiveShareability: Device and Normal Inner-NC Outer-NC are Outer
 * Shareable; the reserved SH encoding 0b01 is CONSTRAINED UNPREDICTABLE:
 * hvsim takes Non-shareable. */
static uint8_t effective_sh(const struct hv_mmu_memattr *ma)
{
    if (ma->type == HV_MMU_MEM_DEVICE ||
        (ma->inner.cache == HV_MMU_CACHE_NC && ma->outer.cache == HV_MMU_CACHE_NC))
        return HV_MMU_SH_OUTER;
    return ma->sh == 1 ? HV_MMU_SH_NON : ma->sh;
}

/* S2CombineS1AttrHints: the less cacheable type; the hints are stage 1's. */
static struct hv_mmu_cacheattr combine_cache(struct hv_mmu_cacheattr s1, struct hv_mmu_cacheattr s2)
{
    struct hv_mmu_cacheattr c = s1;
    if (s2.cache < s1.cache)
        c.cache = s2.cache;
    if (c.cache == HV_MMU_CACHE_NC)
        c.ra = c.wa = c.transient = false;
    return c;
}

/* S2CombineS1MemAttrs with HCR_EL2.FWB == 0 (Arm ARM D8 "Combining the stage 1
 * and stage 2 attributes"): Device wins, and the more restrictive Device type;
 * the less cacheable Normal type; the more shareable shareability. */
static void combine_attrs(const struct hv_mmu_memattr *s1, const struct hv_mmu_memattr *s2,
                          struct hv_mmu_memattr *out)
{
    memset(out, 0, sizeof(*out));
    if (s1->type == HV_MMU_MEM_DEVICE || s2->type == HV_MMU_MEM_DEVICE) {
        out->type = HV_MMU_MEM_DEVICE;
        if (s1->type == HV_MMU_MEM_DEVICE && s2->type == HV_MMU_MEM_DEVICE)
            out->device = s1->device < s2->device ? s1->device : s2->device;
        else
            out->device = s1->type == HV_MMU_MEM_DEVICE ? s1->device : s2->device;
    } else {
        out->type = HV_MMU_MEM_NORMAL;
        out->inner = combine_cache(s1->inner, s2->inner);
        out->outer = combine_cache(s1->outer, s2->outer);
    }
    /* S2CombineS1Shareability: Outer > Inner > Non. */
    uint8_t a = effective_sh(s1), b = effective_sh(s2);
    if (a == HV_MMU_SH_OUTER || b == HV_MMU_SH_OUTER)
        out->sh = HV_MMU_SH_OUTER;
    else if (a == HV_MMU_SH_INNER || b == HV_MMU_SH_INNER)
        out->sh = HV_MMU_SH_INNER;
    else
        out->sh = HV_MMU_SH_NON;
    out->sh = effective_sh(out);
}

/* ---- Faults -------------------------------------------------------------- */

/* DFSC/IFSC (ESR_ELx ISS[5:0], long-descriptor format): 0b0000LL address
 * size, 0b0001LL translation, 0b0010LL access flag, 0b0011LL permission,
 * 0b0101LL synchronous External abort on a translation table walk. */
static uint8_t fsc_of(enum hv_mmu_fault_type t, int level)
{
    static const uint8_t base[] = {
        [HV_MMU_FAULT_NONE] = 0,
        [HV_MMU_FAULT_TRANSLATION] = 0x04,
        [HV_MMU_FAULT_ACCESS_FLAG] = 0x08,
        [HV_MMU_FAULT_PERMISSION] = 0x0c,
        [HV_MMU_FAULT_ADDRESS_SIZE] = 0x00,
        [HV_MMU_FAULT_EXT_ABORT_WALK] = 0x14,
    };
    return (uint8_t)(base[t] | ((unsigned)level & 3));
}

/* Record a fault; stage-2 details (ipa, s1ptw) are filled by the caller. */
static int set_fault(struct hv_mmu_fault *f, enum hv_mmu_fault_type t, unsigned stage, int level)
{
    f->type = t;
    f->stage = (uint8_t)stage;
    f->level = (int8_t)level;
    f->fsc = fsc_of(t, level);
    return -1;
}

const char *hv_mmu_fault_name(enum hv_mmu_fault_type t)
{
    static const char *const names[] = {
        [HV_MMU_FAULT_NONE] = "none",
        [HV_MMU_FAULT_TRANSLATION] = "translation",
        [HV_MMU_FAULT_ACCESS_FLAG] = "access flag",
        [HV_MMU_FAULT_PERMISSION] = "permission",
        [HV_MMU_FAULT_ADDRESS_SIZE] = "address size",
        [HV_MMU_FAULT_EXT_ABORT_WALK] = "external abort on walk",
    };
    return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

const char *hv_mmu_desc_kind_name(enum hv_mmu_desc_kind k)
{
    static const char *const names[] = {
        [HV_MMU_DESC_INVALID] = "invalid", [HV_MMU_DESC_RESERVED] = "reserved",
        [HV_MMU_DESC_TABLE] = "table",     [HV_MMU_DESC_BLOCK] = "block",
        [HV_MMU_DESC_PAGE] = "page",       [HV_MMU_DESC_UNREAD] = "unreadable",
    };
    return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

uint64_t hv_mmu_hpfar(const struct hv_mmu_fault *f)
{
    return ((f->ipa & OA_MASK) >> 12) << 4;
}

/* ---- The walk ------------------------------------------------------------ */

static int s2_ptw(const struct hv_mmu *m, uint64_t desc_ipa, uint64_t *pa, struct hv_mmu_fault *f);

static void report_step(const struct hv_mmu *m, const struct walkparams *wp, bool s1ptw,
                        uint64_t ia, int level, uint64_t table, unsigned index, uint64_t desc_addr,
                        uint64_t desc_pa, uint64_t desc, enum hv_mmu_desc_kind kind, uint64_t out,
                        unsigned outbits)
{
    struct hv_mmu_step s = {
        .stage = wp->stage,
        .level = (int8_t)level,
        .s1ptw = s1ptw,
        .ia = ia,
        .table = table,
        .index = index,
        .desc_addr = desc_addr,
        .desc_pa = desc_pa,
        .desc = desc,
        .kind = kind,
        .out = out,
    };
    if (kind == HV_MMU_DESC_TABLE) {
        s.ap_table = (uint8_t)field(desc, 61, 2);
        s.xn_table = (uint8_t)field(desc, 60, 1);
        s.pxn_table = (uint8_t)field(desc, 59, 1);
    } else if (kind == HV_MMU_DESC_BLOCK || kind == HV_MMU_DESC_PAGE) {
        s.size = UINT64_C(1) << outbits;
        s.attr = (uint8_t)field(desc, 2, wp->stage == 1 ? 3 : 4);
        s.ap = (uint8_t)field(desc, 6, 2);
        s.sh = (uint8_t)field(desc, 8, 2);
        s.af = (uint8_t)field(desc, 10, 1);
        s.ng = wp->stage == 1 ? (uint8_t)field(desc, 11, 1) : 0;
        s.contig = (uint8_t)field(desc, 52, 1);
        s.pxn = wp->stage == 1 ? (uint8_t)field(desc, 53, 1) : 0;
        s.xn = (uint8_t)field(desc, 54, 1);
    }
    m->step(m->step_ctx, &s);
}

/* AArch64.S1Walk / AArch64.S2Walk: from the start level to a leaf. For a
 * stage-1 walk under stage 2 (s2_tables), every descriptor address is an
 * IPA and goes through s2_ptw first. Checks, in the architectural priority
 * order for one level: translation (invalid/reserved), address size (next
 * table or output address), then access flag on the leaf (hardware AF
 * update is not modelled, so AF == 0 always faults). */
static int walk(const struct hv_mmu *m, const struct walkparams *wp, uint64_t ia, bool s2_tables,
                bool s1ptw, struct walkstate *ws, struct hv_mmu_fault *f)
{
    /* Locals, not wp/ws fields: the compiler must assume the callbacks may
     * change memory, and would reload them after every read. */
    const hv_mmu_read64_fn read64 = m->read64;
    void *const mem_ctx = m->mem_ctx;
    const unsigned gbits = wp->gbits, stride = wp->stride, oasize = wp->oasize;
    const int startlevel = wp->startlevel;
    const bool stage1 = wp->stage == 1;
    unsigned ap_table = 0, xn_table = 0, pxn_table = 0;
    int level = startlevel;
    uint64_t table = wp->base;

    for (;;) {
        unsigned lsb = gbits + (unsigned)(FINAL_LEVEL - level) * stride;
        unsigned width = level == startlevel ? wp->iasize - lsb : stride;
        unsigned index = (unsigned)((ia >> lsb) & lowmask(width));
        uint64_t desc_addr = table | ((uint64_t)index << 3);
        uint64_t desc_pa = desc_addr;
        uint64_t desc = 0;

        if (s2_tables && s2_ptw(m, desc_addr, &desc_pa, f) < 0)
            return -1;
        if (read64(mem_ctx, desc_pa, &desc) != 0) {
            if (m->step)
                report_step(m, wp, s1ptw, ia, level, table, index, desc_addr, desc_pa, 0,
                            HV_MMU_DESC_UNREAD, 0, 0);
            return set_fault(f, HV_MMU_FAULT_EXT_ABORT_WALK, wp->stage, level);
        }

        if ((desc & 1) == 0 || ((desc & 3) == 1 && !block_allowed(gbits, level))) {
            if (m->step)
                report_step(m, wp, s1ptw, ia, level, table, index, desc_addr, desc_pa, desc,
                            (desc & 1) ? HV_MMU_DESC_RESERVED : HV_MMU_DESC_INVALID, 0, 0);
            return set_fault(f, HV_MMU_FAULT_TRANSLATION, wp->stage, level);
        }

        if (level < FINAL_LEVEL && (desc & 2)) {
            /* Table descriptor: next-level table address desc[47:granulebits]. */
            uint64_t next = desc & OA_MASK & ~lowmask(gbits);
            if (m->step)
                report_step(m, wp, s1ptw, ia, level, table, index, desc_addr, desc_pa, desc,
                            HV_MMU_DESC_TABLE, next, 0);
            if (desc_oa_out_of_range(desc, next, gbits, oasize))
                return set_fault(f, HV_MMU_FAULT_ADDRESS_SIZE, wp->stage, level);
            if (stage1) {
                /* Hierarchical attributes (Arm ARM D8.4): APTable[62:61],
                 * UXNTable/XNTable[60], PXNTable[59]. Stage-2 table
                 * descriptors carry none. */
                ap_table |= field(desc, 61, 2);
                xn_table |= field(desc, 60, 1);
                pxn_table |= field(desc, 59, 1);
            }
            table = next;
            level++;
            continue;
        }

        /* Block (levels 1-2) or page (level 3, 0b11). */
        unsigned outbits = lsb;
        uint64_t oabase = desc & OA_MASK & ~lowmask(outbits);
        uint64_t oa = oabase | (ia & lowmask(outbits));
        if (m->step)
            report_step(m, wp, s1ptw, ia, level, table, index, desc_addr, desc_pa, desc,
                        level == FINAL_LEVEL ? HV_MMU_DESC_PAGE : HV_MMU_DESC_BLOCK, oa, outbits);
        if (desc_oa_out_of_range(desc, oabase, gbits, oasize))
            return set_fault(f, HV_MMU_FAULT_ADDRESS_SIZE, wp->stage, level);
        if (field(desc, 10, 1) == 0)
            return set_fault(f, HV_MMU_FAULT_ACCESS_FLAG, wp->stage, level);
        /* The Contiguous hint (bit 52) is accepted and has no effect: a
         * walker without a TLB translates each address on its own. */
        ws->level = level;
        ws->desc = desc;
        ws->oa = oa;
        ws->blockbits = outbits;
        ws->ap_table = ap_table;
        ws->xn_table = xn_table;
        ws->pxn_table = pxn_table;
        return 0;
    }
}

/* ---- Stage 2 ------------------------------------------------------------- */

/* AArch64.GetS2TTWParams + the VTCR_EL2 checks at the start of
 * AArch64.S2Translate: TxSZ clamping (AArch64.S2MinTxSZ = 64 - PAMax,
 * AArch64.MaxTxSZ = 39), AArch64.S2StartLevel, AArch64.S2InvalidSL and
 * AArch64.S2InconsistentSL. Returns false when the start level is invalid or
 * inconsistent (a stage-2 level 0 Translation fault). */
static bool s2_params(const struct hv_mmu_regs *r, struct walkparams *wp)
{
    uint64_t vtcr = r->vtcr_el2;
    unsigned pa_max = pamax(r);
    unsigned txsz = field(vtcr, 0, 6);
    unsigned sl0 = field(vtcr, 6, 2);
    unsigned gbits = tg0_bits(field(vtcr, 14, 2));
    unsigned min_txsz = 64 - pa_max;
    int sl;

    /* Out-of-range TxSZ: CONSTRAINED UNPREDICTABLE (Unpredictable_RESTnSZ);
     * hvsim takes the Constraint_FORCE choice and clamps. */
    if (txsz < min_txsz)
        txsz = min_txsz;
    else if (txsz > 39)
        txsz = 39;

    /* AArch64.S2StartLevel and AArch64.S2InvalidSL (no FEAT_TTST, no
     * FEAT_LPA2: SL0 = 0b11 is reserved for every granule). */
    if (sl0 == 3)
        return false;
    if (gbits == 12) {
        sl = 2 - (int)sl0;
        if (sl == 0 && pa_max < 44)
            return false;
    } else {
        sl = 3 - (int)sl0;
        if (sl == 1 && pa_max < (gbits == 14 ? 42u : 44u))
            return false;
    }

    /* AArch64.S2InconsistentSL: the start level must resolve at least one
     * bit and at most one stride plus 4 bits (16 concatenated tables). */
    unsigned stride = gbits - 3;
    unsigned iasize = 64 - txsz;
    unsigned sl_min_iasize = (unsigned)(FINAL_LEVEL - sl) * stride + gbits + 1;
    unsigned sl_max_iasize = sl_min_iasize + (stride - 1) + 4;
    if (iasize < sl_min_iasize || iasize > sl_max_iasize)
        return false;

    wp->stage = 2;
    wp->gbits = (uint8_t)gbits;
    wp->stride = (uint8_t)stride;
    wp->iasize = (uint8_t)iasize;
    wp->oasize = (uint8_t)ps_bits(field(vtcr, 16, 3), pa_max);
    wp->startlevel = (int8_t)sl;
    /* AArch64.S2TTBaseAddress: VTTBR_EL2.BADDR[47:tsize], where tsize is
     * log2 of the (possibly concatenated) start table's size. */
    unsigned tsize = iasize - ((unsigned)(FINAL_LEVEL - sl) * stride + gbits) + 3;
    wp->base = r->vttbr_el2 & OA_MASK & ~lowmask(tsize);
    return true;
}

int hv_mmu_s2_geometry(const struct hv_mmu_regs *r, struct hv_mmu_s2_geom *g)
{
    struct walkparams wp;
    if (!s2_params(r, &wp) || oa_out_of_range(wp.base, wp.oasize))
        return -1;
    g->gbits = wp.gbits;
    g->stride = wp.stride;
    g->startlevel = wp.startlevel;
    g->iasize = wp.iasize;
    g->oasize = wp.oasize;
    unsigned lsb = wp.gbits + (unsigned)(FINAL_LEVEL - wp.startlevel) * wp.stride;
    g->start_entries = 1u << (wp.iasize - lsb);
    g->base = wp.base;
    return 0;
}

static bool s2_enabled(const struct hv_mmu_regs *r)
{
    return (r->hcr_el2 & (HCR_VM | HCR_DC)) != 0;
}

static void s2_fault_info(struct hv_mmu_fault *f, uint64_t ipa, bool s1ptw)
{
    f->stage = 2;
    f->s1ptw = s1ptw;
    f->ipa_valid = true;
    f->ipa = ipa;
    f->target_el = 2;
}

/* The walk part of AArch64.S2Translate: the VTCR checks, the IPA range
 * check (AArch64.IPAIsOutOfRange), the base address size check, the walk. */
static int s2_walk(const struct hv_mmu *m, uint64_t ipa, bool s1ptw, struct walkstate *ws,
                   struct hv_mmu_fault *f)
{
    struct walkparams wp;
    int rc;
    if (!s2_params(&m->regs, &wp))
        rc = set_fault(f, HV_MMU_FAULT_TRANSLATION, 2, 0);
    else if ((ipa >> wp.iasize) != 0)
        rc = set_fault(f, HV_MMU_FAULT_TRANSLATION, 2, 0);
    else if (oa_out_of_range(wp.base, wp.oasize))
        rc = set_fault(f, HV_MMU_FAULT_ADDRESS_SIZE, 2, 0);
    else
        rc = walk(m, &wp, ipa, false, s1ptw, ws, f);
    if (rc < 0)
        s2_fault_info(f, ipa, s1ptw);
    return rc;
}

/* Stage-2 attributes of a leaf, with the AArch64.S2Translate adjustments:
 * instruction fetches from Device or with HCR_EL2.ID, and Normal data with
 * HCR_EL2.CD, are Normal Non-cacheable. */
static void s2_leaf_attrs(const struct hv_mmu_regs *r, const struct walkstate *ws,
                          enum hv_mmu_acc_type type, struct hv_mmu_memattr *ma)
{
    s2_memattr_decode(field(ws->desc, 2, 4), field(ws->desc, 8, 2), ma);
    if (type == HV_MMU_EXEC && (ma->type == HV_MMU_MEM_DEVICE || (r->hcr_el2 & HCR_ID)))
        normal_nc(ma);
    else if (type != HV_MMU_EXEC && ma->type == HV_MMU_MEM_NORMAL && (r->hcr_el2 & HCR_CD))
        normal_nc(ma);
}

/* Stage-2 permissions (AArch64.S2CheckPermissions, Arm ARM D8.4): S2AP[0]
 * (bit 6) read, S2AP[1] (bit 7) write, XN (bit 54) execute-never at EL0
 * and EL1. FEAT_XNX is not modelled: bit 53 is ignored. */
static uint8_t s2_perms(uint64_t desc)
{
    uint8_t p = 0;
    if (field(desc, 6, 1))
        p |= HV_MMU_R;
    if (field(desc, 7, 1))
        p |= HV_MMU_W;
    if (!field(desc, 54, 1))
        p |= HV_MMU_X;
    return p;
}

/* The stage-2 translation of a stage-1 descriptor address (AccessType_TTW):
 * a read, so S2AP[0] must allow reading; with HCR_EL2.PTW, a table in
 * stage-2 Device memory is a stage-2 Permission fault. All faults have
 * S1PTW set and report the descriptor's IPA. */
static int s2_ptw(const struct hv_mmu *m, uint64_t desc_ipa, uint64_t *pa, struct hv_mmu_fault *f)
{
    struct walkstate ws;
    if (s2_walk(m, desc_ipa, true, &ws, f) < 0)
        return -1;
    bool fault = (s2_perms(ws.desc) & HV_MMU_R) == 0;
    if (!fault && (m->regs.hcr_el2 & HCR_PTW) && field(ws.desc, 4, 2) == 0)
        fault = true; /* MemAttr[3:2] == 00: Device */
    if (fault) {
        set_fault(f, HV_MMU_FAULT_PERMISSION, 2, ws.level);
        s2_fault_info(f, desc_ipa, true);
        return -1;
    }
    *pa = ws.oa;
    return 0;
}

static bool allowed(uint8_t perms, enum hv_mmu_acc_type type)
{
    static const uint8_t need[] = {
        [HV_MMU_READ] = HV_MMU_R, [HV_MMU_WRITE] = HV_MMU_W, [HV_MMU_EXEC] = HV_MMU_X};
    /* An out-of-range type (a caller's bug) is checked as a read. */
    return (perms & ((unsigned)type < 3 ? need[type] : HV_MMU_R)) != 0;
}

/* AArch64.S2Translate for the final access: walk, permission check for the
 * accessing level, attribute combination with stage 1 (s1 == NULL: report
 * stage 2's own attributes). */
static int s2_translate(const struct hv_mmu *m, uint64_t ipa, enum hv_mmu_acc_type type,
                        const struct hv_mmu_memattr *s1, struct hv_mmu_result *res)
{
    struct walkstate ws;
    struct hv_mmu_memattr s2;
    if (s2_walk(m, ipa, false, &ws, &res->fault) < 0)
        return -1;
    uint8_t p = s2_perms(ws.desc);
    res->s2_perms.priv = res->s2_perms.unpriv = p; /* the same for EL0 and EL1 */
    res->perms.priv &= p;
    res->perms.unpriv &= p;
    if (!allowed(p, type)) {
        set_fault(&res->fault, HV_MMU_FAULT_PERMISSION, 2, ws.level);
        s2_fault_info(&res->fault, ipa, false);
        return -1;
    }
    s2_leaf_attrs(&m->regs, &ws, type, &s2);
    if (s1)
        combine_attrs(s1, &s2, &res->attr);
    else {
        res->attr = s2;
        res->attr.sh = effective_sh(&s2);
    }
    res->pa = ws.oa;
    uint64_t sz = UINT64_C(1) << ws.blockbits;
    if (res->size == 0 || sz < res->size)
        res->size = sz;
    return 0;
}

/* ---- Stage 1 ------------------------------------------------------------- */

/* Stage-1 permissions from the leaf and the table attributes
 * (AArch64.S1CheckPermissions / the ARMv8.0 AArch64.CheckPermission, Arm ARM
 * D8.4 "Memory access control"). EL1&0: AP[2] read-only, AP[1] EL0 access;
 * APTable[1] forces read-only, APTable[0] removes EL0 access; EL1 cannot
 * execute what EL0 can write; WXN makes writable memory execute-never. EL2
 * (one privilege level): AP[1], APTable[0] and PXN/PXNTable are ignored. */
static struct hv_mmu_perms s1_perms(const struct walkstate *ws, bool el2, bool wxn)
{
    struct hv_mmu_perms p;
    uint64_t d = ws->desc;
    bool ap2 = field(d, 7, 1) || (ws->ap_table & 2);
    if (el2) {
        bool w = !ap2;
        bool xn = field(d, 54, 1) || ws->xn_table || (wxn && w);
        p.priv = (uint8_t)(HV_MMU_R | (w ? HV_MMU_W : 0) | (xn ? 0 : HV_MMU_X));
        p.unpriv = 0;
        return p;
    }
    bool ap1 = field(d, 6, 1) && !(ws->ap_table & 1);
    bool priv_w = !ap2;
    bool user_r = ap1, user_w = ap1 && !ap2;
    bool user_xn = field(d, 54, 1) || ws->xn_table || (wxn && user_w);
    bool priv_xn = field(d, 53, 1) || ws->pxn_table || user_w || (wxn && priv_w);
    p.priv = (uint8_t)(HV_MMU_R | (priv_w ? HV_MMU_W : 0) | (priv_xn ? 0 : HV_MMU_X));
    p.unpriv =
        (uint8_t)((user_r ? HV_MMU_R : 0) | (user_w ? HV_MMU_W : 0) | (user_xn ? 0 : HV_MMU_X));
    return p;
}

/* The stage-1 attributes after the SCTLR_ELx.C/I adjustments of
 * AArch64.S1Translate: instruction fetches from Device or with I == 0, and
 * Normal data with C == 0, are Normal Non-cacheable. */
static void s1_adjust_attrs(uint64_t sctlr, enum hv_mmu_acc_type type, struct hv_mmu_memattr *ma)
{
    if (type == HV_MMU_EXEC && (ma->type == HV_MMU_MEM_DEVICE || !(sctlr & SCTLR_I)))
        normal_nc(ma);
    else if (type != HV_MMU_EXEC && ma->type == HV_MMU_MEM_NORMAL && !(sctlr & SCTLR_C))
        normal_nc(ma);
}

/* AArch64.S1DisabledOutput: a flat map. With HCR_EL2.DC, Normal WB RA WA
 * Non-shareable; otherwise data is Device-nGnRnE and instruction fetches are
 * Normal, WT if SCTLR_ELx.I else NC, Outer Shareable. VA[AddrTop:PAMax]
 * must be zero, or a stage-1 level 0 Address size fault. */
static int s1_disabled(const struct hv_mmu *m, const struct hv_mmu_access *acc, bool el2,
                       uint64_t sctlr, unsigned addrtop, struct hv_mmu_memattr *ma,
                       struct hv_mmu_result *res)
{
    unsigned pa_max = pamax(&m->regs);
    if ((acc->va & lowmask(addrtop + 1)) >> pa_max != 0)
        return set_fault(&res->fault, HV_MMU_FAULT_ADDRESS_SIZE, 1, 0);
    res->ipa = acc->va & lowmask(pa_max);
    memset(ma, 0, sizeof(*ma));
    if (!el2 && (m->regs.hcr_el2 & HCR_DC)) {
        struct hv_mmu_cacheattr wb = {.cache = HV_MMU_CACHE_WB, .ra = true, .wa = true};
        ma->type = HV_MMU_MEM_NORMAL;
        ma->inner = ma->outer = wb;
        ma->sh = HV_MMU_SH_NON;
    } else if (acc->type == HV_MMU_EXEC) {
        ma->type = HV_MMU_MEM_NORMAL;
        ma->inner.cache = ma->outer.cache = (sctlr & SCTLR_I) ? HV_MMU_CACHE_WT : HV_MMU_CACHE_NC;
        ma->sh = HV_MMU_SH_OUTER;
    } else {
        ma->type = HV_MMU_MEM_DEVICE;
        ma->device = HV_MMU_DEV_nGnRnE;
        ma->sh = HV_MMU_SH_OUTER;
    }
    struct hv_mmu_perms p = {.priv = HV_MMU_R | HV_MMU_W | HV_MMU_X,
                             .unpriv = el2 ? 0 : HV_MMU_R | HV_MMU_W | HV_MMU_X};
    res->s1_perms = p;
    res->perms = p;
    return 0;
}

/* AArch64.S1Translate with the MMU on. */
static int s1_translate(const struct hv_mmu *m, const struct hv_mmu_access *acc, bool el2,
                        bool unpriv, bool s2on, struct hv_mmu_memattr *ma,
                        struct hv_mmu_result *res)
{
    const struct hv_mmu_regs *r = &m->regs;
    uint64_t va = acc->va;
    struct hv_mmu_fault *f = &res->fault;
    struct walkparams wp;
    struct walkstate ws;
    unsigned txsz, gbits, tbi, epd, ips;
    uint64_t ttbr, mair, sctlr;
    bool upper = false;

    /* AArch64.GetS1TTWParams: the VA range is chosen by VA[55]. */
    if (el2) {
        uint64_t tcr = r->tcr_el2;
        txsz = field(tcr, 0, 6);
        gbits = tg0_bits(field(tcr, 14, 2));
        ips = field(tcr, 16, 3);
        tbi = field(tcr, 20, 1);
        epd = 0;
        ttbr = r->ttbr0_el2;
        mair = r->mair_el2;
        sctlr = r->sctlr_el2;
    } else {
        uint64_t tcr = r->tcr_el1;
        upper = field(va, 55, 1) != 0;
        txsz = upper ? field(tcr, 16, 6) : field(tcr, 0, 6);
        gbits = upper ? tg1_bits(field(tcr, 30, 2)) : tg0_bits(field(tcr, 14, 2));
        ips = field(tcr, 32, 3);
        tbi = upper ? field(tcr, 38, 1) : field(tcr, 37, 1);
        epd = upper ? field(tcr, 23, 1) : field(tcr, 7, 1);
        ttbr = upper ? r->ttbr1_el1 : r->ttbr0_el1;
        mair = r->mair_el1;
        sctlr = r->sctlr_el1;
    }

    /* TxSZ outside 16..39 (no FEAT_LVA, no FEAT_TTST): CONSTRAINED
     * UNPREDICTABLE (AArch64.S1TxSZFaults); hvsim clamps (Constraint_FORCE). */
    if (txsz < 16)
        txsz = 16;
    else if (txsz > 39)
        txsz = 39;
    wp.stage = 1;
    wp.gbits = (uint8_t)gbits;
    wp.stride = (uint8_t)(gbits - 3);
    wp.iasize = (uint8_t)(64 - txsz);
    wp.oasize = (uint8_t)ps_bits(ips, pamax(r));
    wp.startlevel = (int8_t)s1_start_level(wp.iasize, gbits);

    /* AArch64.VAIsOutOfRange: VA[AddrTop:iasize] all zeros (TTBR0, or
     * the only range at EL2) or all ones (TTBR1). AddrTop is 55 with TBI. */
    unsigned addrtop = tbi ? 55 : 63;
    uint64_t range = lowmask(addrtop + 1) & ~lowmask(wp.iasize);
    if (upper ? (va & range) != range : (va & range) != 0)
        return set_fault(f, HV_MMU_FAULT_TRANSLATION, 1, 0);
    /* TCR_EL1.EPDn: walks through this TTBR are disabled. */
    if (epd)
        return set_fault(f, HV_MMU_FAULT_TRANSLATION, 1, 0);

    /* AArch64.S1TTBaseAddress: TTBR[47:tsize], tsize = log2 of the start
     * table's size; ASID and CnP ignored. Out of the IPS range → a level 0
     * Address size fault. */
    unsigned tsize = wp.iasize - ((unsigned)(FINAL_LEVEL - wp.startlevel) * wp.stride + gbits) + 3;
    wp.base = ttbr & OA_MASK & ~lowmask(tsize);
    if (oa_out_of_range(wp.base, wp.oasize))
        return set_fault(f, HV_MMU_FAULT_ADDRESS_SIZE, 1, 0);

    if (walk(m, &wp, va, s2on, false, &ws, f) < 0)
        return -1;

    /* perms is stage 1's until stage 2 narrows it (s2_translate). Written
     * whole, from registers: re-reading the bytes would stall. */
    struct hv_mmu_perms p = s1_perms(&ws, el2, (sctlr & SCTLR_WXN) != 0);
    res->s1_perms = p;
    res->perms = p;
    if (!allowed(unpriv ? p.unpriv : p.priv, acc->type))
        return set_fault(f, HV_MMU_FAULT_PERMISSION, 1, ws.level);

    unsigned idx = field(ws.desc, 2, 3);
    res->mair_attr = (uint8_t)(mair >> (8 * idx));
    mair_decode(res->mair_attr, field(ws.desc, 8, 2), ma);
    s1_adjust_attrs(sctlr, acc->type, ma);
    res->ipa = ws.oa;
    res->size = UINT64_C(1) << ws.blockbits;
    return 0;
}

/* ---- Entry points -------------------------------------------------------- */

/* AArch64.FullTranslate: stage 1 of the regime, then stage 2 for EL1&0
 * when HCR_EL2.VM (or DC) is set. */
int hv_mmu_translate(const struct hv_mmu *m, const struct hv_mmu_access *acc,
                     struct hv_mmu_result *res)
{
    const struct hv_mmu_regs *r = &m->regs;
    bool el2 = acc->el >= 2;
    bool unpriv = !el2 && (acc->el == 0 || acc->unpriv);
    uint64_t sctlr = el2 ? r->sctlr_el2 : r->sctlr_el1;
    bool s2on = !el2 && s2_enabled(r);
    struct hv_mmu_memattr s1attr;
    /* Without stage 2, stage 1 decodes its attributes straight into the
     * result (copying the byte-built struct costs a store-forwarding stall). */
    struct hv_mmu_memattr *ma = s2on ? &s1attr : &res->attr;
    int rc;

    memset(res, 0, sizeof(*res));
    res->fault.target_el = el2 ? 2 : 1;
    res->s1_enabled = (sctlr & SCTLR_M) && !(s2on && (r->hcr_el2 & HCR_DC));
    res->s2_enabled = s2on;
    res->s2_perms.priv = HV_MMU_R | HV_MMU_W | HV_MMU_X;
    res->s2_perms.unpriv = el2 ? 0 : HV_MMU_R | HV_MMU_W | HV_MMU_X;

    if (res->s1_enabled) {
        rc = s1_translate(m, acc, el2, unpriv, s2on, ma, res);
    } else {
        unsigned tbi;
        if (el2)
            tbi = field(r->tcr_el2, 20, 1);
        else
            tbi = field(r->tcr_el1, field(acc->va, 55, 1) ? 38 : 37, 1);
        rc = s1_disabled(m, acc, el2, sctlr, tbi ? 55 : 63, ma, res);
    }
    if (rc < 0)
        return -1;

    if (s2on) {
        if (s2_translate(m, res->ipa, acc->type, &s1attr, res) < 0)
            return -1;
    } else {
        res->pa = res->ipa;
        res->attr.sh = effective_sh(&res->attr);
        if (res->size == 0)
            res->size = 4096;
    }
    return 0;
}

int hv_mmu_translate_ipa(const struct hv_mmu *m, uint64_t ipa, enum hv_mmu_acc_type type,
                         unsigned el, struct hv_mmu_result *res)
{
    /* Stage-2 permissions do not depend on the EL without FEAT_XNX; el is
     * in the API for when they do. */
    (void)el;
    memset(res, 0, sizeof(*res));
    res->fault.target_el = 2;
    res->ipa = ipa;
    res->s2_enabled = s2_enabled(&m->regs);
    res->s2_perms.priv = res->s2_perms.unpriv = HV_MMU_R | HV_MMU_W | HV_MMU_X;
    if (!res->s2_enabled) {
        struct hv_mmu_cacheattr wb = {.cache = HV_MMU_CACHE_WB, .ra = true, .wa = true};
        res->pa = ipa & OA_MASK;
        res->attr.type = HV_MMU_MEM_NORMAL;
        res->attr.inner = res->attr.outer = wb;
        res->attr.sh = HV_MMU_SH_INNER;
        res->size = 4096;
    } else if (s2_translate(m, ipa, type, NULL, res) < 0) {
        return -1;
    }
    res->perms = res->s2_perms;
    return 0;
}
