/* The walker against the engine: random but valid translation tables, and
 * many accesses under them (docs/mmu.md, "Differential test").
 *
 * This image is half of the test; tests/diff/mmu_diff.c is the other half.
 * The hypervisor (EL2, MMU off) builds one random setup after another in the
 * table pool, and enters EL1, which makes the setup's accesses. Around each
 * access the EL1 code tells the host what it does with two HVCs:
 *   HVC x0 = 1 (announce): x1 = VA, x2 = op (0 LDR, 1 STR, 2 LDTR, 3 STTR),
 *                          x3 = the value a store writes;
 *   the access itself, into/from x2 (a fault skips it: ELR += 4);
 *   HVC x0 = 2 (done):     x2 = the value loaded.
 * The host runs the walker at the "done" HVC over the same registers and
 * memory and checks that the engine did exactly what the walker predicts:
 * the PA read or written (every word of the 32 MiB window at 0x46000000
 * holds its own address, stores write unique tokens), or the abort: target
 * EL, DFSC, S1PTW, FAR, HPFAR.
 *
 * Setups rotate through three kinds, each with a random granule (4K, 16K,
 * 64K) and random input sizes and start levels:
 *   A  stage 1 only (HCR_EL2.VM = 0);
 *   B  stage 2 only (SCTLR_EL1.M = 0), concatenated start tables included;
 *   C  both: stage-1 tables are read through stage 2, some of them through
 *      IPA aliases that stage 2 maps read-only, write-only, without AF, or
 *      not at all (faults on the stage-1 walk, S1PTW = 1).
 * Leaves are blocks at every level that allows them and pages, with random
 * AP/S2AP, APTable, MemAttr and AF; invalid and reserved descriptors
 * (a block where none is allowed, 0b01 at level 3) are planted on purpose.
 *
 * No access can reach a PA with nothing behind it: every leaf's output is
 * in RAM (run with -m 1G), and only leaves inside the window are writable,
 * so stores never touch this image or its tables.
 *
 * The PRNG is xorshift64* with a fixed seed: the same image gives the same
 * setups and accesses on every run.
 */
#include "rt.h"

#define NSETUPS   120
#define NACCESS   100
#define POOL_BASE 0x42000000ul /* tables: 64 MiB */
#define POOL_END  0x46000000ul
#define WIN_BASE  0x46000000ul /* the marker window: 32 MiB */
#define WIN_SIZE  0x02000000ul
#define RAM_BASE  0x40000000ul
#define RSV_BASE  0x40000000ul /* identity-mapped for the EL1 code, excluded from random VAs */
#define RSV_END   0x80000000ul
#define RSV_MAP   0x08000000ul  /* the part mapped: image, pool, window */
#define IPA_TEST  0x100000000ul /* stage-1 outputs in setup C: [4 GiB, 8 GiB) */
#define IPA_ALIAS 0x80000000ul  /* aliases of stage-1 tables in setup C */

#define HCR_VM (1ul << 0)
#define HCR_RW (1ul << 31)

#define HVC_ANNOUNCE 1
#define HVC_DONE     2
#define HVC_NEXT     3

/* ---- PRNG ------------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ul;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545f4914f6cdd1dul;
}

static uint64_t below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

/* ---- table pool -------------------------------------------------------------- */

static uint64_t pool_next;

static uint64_t alloc_table(uint64_t size)
{
    uint64_t pa = (pool_next + size - 1) & ~(size - 1);
    if (pa + size > POOL_END) {
        rt_check(false, "table pool exhausted");
        rt_summary("mmudiff");
        rt_exit();
    }
    pool_next = pa + size;
    volatile uint64_t *t = (volatile uint64_t *)pa;
    for (uint64_t i = 0; i < size / 8; i++)
        t[i] = 0;
    return pa;
}

/* ---- one stage's tables ------------------------------------------------------- */

struct tree {
    int stage;
    unsigned gbits, stride, iasize;
    int startlevel;
    uint64_t base; /* PA of the start table */
    unsigned start_entries;
};

static unsigned lsb_of(const struct tree *t, int level)
{
    return t->gbits + (unsigned)(3 - level) * t->stride;
}

static unsigned index_of(const struct tree *t, uint64_t ia, int level)
{
    unsigned lsb = lsb_of(t, level);
    unsigned width = level == t->startlevel ? t->iasize - lsb : t->stride;
    return (unsigned)((ia >> lsb) & ((1ul << width) - 1));
}

static bool block_ok(unsigned gbits, int level)
{
    return gbits == 12 ? (level == 1 || level == 2) : level == 2;
}

/* Stage-1 table addresses in setup C may be IPA aliases (see alias_table). */
static struct tree s1, s2;
static int setup_kind; /* 0 A, 1 B, 2 C */
static uint64_t alias_next;
static bool no_alias; /* the reserved map's tables are never aliased */

static uint64_t alias_table(uint64_t table_pa);
static uint64_t alias_pa_of(uint64_t ipa);

/* The descriptor slot for ia at `level`, creating tables on the way. NULL if
 * a leaf or a planted invalid entry is in the way. */
static volatile uint64_t *slot(struct tree *t, uint64_t ia, int level)
{
    uint64_t table = t->base; /* PA */
    for (int l = t->startlevel;; l++) {
        volatile uint64_t *d = (volatile uint64_t *)(table + 8ul * index_of(t, ia, l));
        if (l == level)
            return *d == 0 ? d : NULL;
        uint64_t v = *d;
        if (v == 0) {
            uint64_t next = alloc_table(1ul << t->gbits);
            uint64_t ref = next;
            if (t->stage == 1 && setup_kind == 2 && !no_alias && below(4) == 0)
                ref = alias_table(next);
            uint64_t desc = ref | 3;
            if (t->stage == 1 && !no_alias && below(4) == 0)
                desc |= below(4) << 61; /* APTable */
            *d = desc;
            table = next;
            continue;
        }
        if ((v & 3) != 3 || l == 3)
            return NULL;
        /* A table we made: its PA is either the address (no alias) or the
         * one recorded for the alias. */
        uint64_t a = v & 0xfffffffff000ul & ~((1ul << t->gbits) - 1);
        if (a >= IPA_ALIAS && a < IPA_TEST)
            a = alias_pa_of(a);
        table = a;
    }
}

/* Aliases: IPA -> PA of the stage-1 table behind it. */
#define MAX_ALIAS 256
static uint64_t alias_ipa[MAX_ALIAS], alias_pa[MAX_ALIAS];
static unsigned nalias;

static uint64_t alias_pa_of(uint64_t ipa)
{
    for (unsigned i = 0; i < nalias; i++)
        if (alias_ipa[i] == ipa)
            return alias_pa[i];
    return ipa;
}

/* Stage-2 leaf for the alias of a stage-1 table: readable (most), or
 * write-only, without AF, or absent: a stage-2 fault on the stage-1 walk. */
static uint64_t alias_table(uint64_t table_pa)
{
    uint64_t s2size = 1ul << s2.gbits;
    uint64_t span = s2size > (1ul << s1.gbits) ? s2size : (1ul << s1.gbits);
    if (nalias >= MAX_ALIAS)
        return table_pa;
    uint64_t ipa = IPA_ALIAS + alias_next;
    alias_next += span;
    uint64_t off = table_pa & (s2size - 1);
    unsigned kind = (unsigned)below(10);
    if (kind != 9) {                                       /* 9: no stage-2 mapping at all */
        uint64_t ap = kind == 7 ? (2ul << 6) : (1ul << 6); /* 7: write-only */
        uint64_t af = kind == 8 ? 0 : (1ul << 10);         /* 8: AF = 0 */
        for (uint64_t p = 0; p < (1ul << s1.gbits) + off; p += s2size) {
            volatile uint64_t *d = slot(&s2, ipa + p, 3);
            if (!d)
                return table_pa;
            *d = ((table_pa - off) + p) | 3 | (0xful << 2) | ap | af;
        }
    }
    alias_ipa[nalias] = ipa + off;
    alias_pa[nalias] = table_pa;
    nalias++;
    return ipa + off;
}

/* ---- leaves ------------------------------------------------------------------ */

struct leaf {
    uint64_t ia, size, oa;
};
#define MAX_LEAVES 96
static struct leaf s1_leaves[MAX_LEAVES], s2_leaves[MAX_LEAVES];
static unsigned n_s1, n_s2;
/* Setup C: VAs whose IPA stage 2 maps (an S1 leaf and an S2 leaf inside it). */
static uint64_t hints[MAX_LEAVES];
static unsigned n_hints;

/* A random leaf level for the granule: a block level or 3. */
static int leaf_level(const struct tree *t)
{
    int lv[4], n = 0;
    for (int l = t->startlevel; l <= 3; l++)
        if (l == 3 || block_ok(t->gbits, l))
            lv[n++] = l;
    return lv[below((uint64_t)n)];
}

/* An output address for a leaf of `size` bytes: inside the window when it
 * fits (then writable), else a RAM-aligned block (then read-only). */
static uint64_t leaf_oa(uint64_t size, bool *in_window)
{
    if (size <= WIN_SIZE) {
        *in_window = true;
        return WIN_BASE + (below(WIN_SIZE / size) * size);
    }
    *in_window = false;
    return size >= (1ul << 30) ? RAM_BASE : RAM_BASE + below(2) * size;
}

static uint64_t rand_ia(const struct tree *t)
{
    for (;;) {
        uint64_t ia = rnd() & ((1ul << t->iasize) - 1);
        if (ia < RSV_BASE || ia >= RSV_END)
            return ia;
    }
}

/* Stage-1 leaf at VA: output PA (A) or an IPA in the test space (C). */
static void add_s1_leaf(uint64_t va)
{
    int level = leaf_level(&s1);
    uint64_t size = 1ul << lsb_of(&s1, level);
    va &= ~(size - 1);
    if (va < RSV_END && va + size > RSV_BASE)
        return;
    volatile uint64_t *d = slot(&s1, va, level);
    if (!d || n_s1 >= MAX_LEAVES)
        return;
    bool win = true;
    uint64_t oa;
    if (setup_kind == 2)
        oa = IPA_TEST + below((1ul << 32) / size) * size;
    else
        oa = leaf_oa(size, &win);
    uint64_t ap = below(4);
    if (!win)
        ap |= 2; /* read-only: AP[2] = 1 */
    uint64_t desc = oa | (level == 3 ? 3 : 1) | (below(2) << 2) | (ap << 6) | (3ul << 8) |
                    (below(8) ? (1ul << 10) : 0);
    *d = desc;
    s1_leaves[n_s1++] = (struct leaf){va, size, oa};
}

static void add_s2_leaf(uint64_t ipa, int level)
{
    uint64_t size = 1ul << lsb_of(&s2, level);
    ipa &= ~(size - 1);
    if (ipa < RSV_END && ipa + size > RSV_BASE)
        return;
    volatile uint64_t *d = slot(&s2, ipa, level);
    if (!d || n_s2 >= MAX_LEAVES)
        return;
    bool win;
    uint64_t oa = leaf_oa(size, &win);
    uint64_t s2ap = below(4);
    if (!win)
        s2ap &= 1;                               /* never writable outside the window */
    uint64_t memattr = below(4) ? 0xful : 0x1ul; /* Normal WB or Device-nGnRE */
    uint64_t desc = oa | (level == 3 ? 3 : 1) | (memattr << 2) | (s2ap << 6) | (3ul << 8) |
                    (below(8) ? (1ul << 10) : 0);
    *d = desc;
    s2_leaves[n_s2++] = (struct leaf){ipa, size, oa};
}

/* Invalid-but-nonzero and reserved descriptors, planted on purpose. */
static void plant_bad(struct tree *t)
{
    uint64_t ia = rand_ia(t);
    int level = t->startlevel + (int)below((uint64_t)(4 - t->startlevel));
    volatile uint64_t *d = slot(t, ia, level);
    if (!d)
        return;
    unsigned k = (unsigned)below(3);
    if (k == 0)
        *d = (rnd() & ~1ul) | 2; /* bit 0 = 0: invalid, whatever else is set */
    else if (k == 1 && level == 3)
        *d = WIN_BASE | 1 | (1ul << 10); /* 0b01 at level 3: reserved */
    else if (!block_ok(t->gbits, level) && level < 3)
        *d = 1 | (3ul << 6); /* AF = 0: no access reaches memory even if taken as a block */
}

/* Identity map of [RSV_BASE, RSV_BASE + RSV_MAP) with level-2 blocks. */
static void map_reserved(struct tree *t)
{
    uint64_t size = 1ul << lsb_of(t, 2);
    no_alias = true;
    for (uint64_t a = RSV_BASE; a < RSV_BASE + RSV_MAP; a += size) {
        volatile uint64_t *d = slot(t, a, 2);
        if (!d)
            continue;
        if (t->stage == 1)
            *d = a | 1 | (0ul << 2) | (3ul << 8) | (1ul << 10); /* EL1 RW, MAIR attr 0 */
        else
            *d = a | 1 | (0xful << 2) | (3ul << 6) | (3ul << 8) | (1ul << 10);
    }
    no_alias = false;
}

/* ---- setups ------------------------------------------------------------------ */

static const unsigned gran_bits[3] = {12, 14, 16};
static uint64_t tcr_tg0(unsigned gbits)
{
    return gbits == 12 ? 0ul : gbits == 16 ? 1ul : 2ul; /* TG0: 00 4K, 01 64K, 10 16K */
}

struct access {
    uint64_t va;
    uint64_t op;
    uint64_t token;
};
static struct access accesses[NACCESS];
static unsigned setup_no;
static uint64_t token_no;
static uint64_t sctlr1, tcr1, ttbr0, hcr, vtcr, vttbr;

static void new_s1(void)
{
    unsigned g = gran_bits[below(3)];
    unsigned t0sz = 16 + (unsigned)below(17); /* 16..32: VA of 48..32 bits */
    s1.stage = 1;
    s1.gbits = g;
    s1.stride = g - 3;
    s1.iasize = 64 - t0sz;
    s1.startlevel = 3 - (int)((s1.iasize - 1 - g) / s1.stride); /* AArch64.S1StartLevel */
    unsigned lsb = lsb_of(&s1, s1.startlevel);
    s1.start_entries = 1u << (s1.iasize - lsb);
    uint64_t tsize = (uint64_t)s1.start_entries * 8;
    s1.base = alloc_table(tsize < 64 ? 64 : tsize);
    /* IPS: 48 bits mostly; 32 bits sometimes, which makes every output
     * above 4 GiB (setup C's IPAs) an Address size fault. */
    uint64_t ips = (setup_kind == 2 && below(8) == 0) ? 0ul : 5ul;
    tcr1 = t0sz | (tcr_tg0(g) << 14) | (1ul << 23) /* EPD1 */ | (ips << 32);
    ttbr0 = s1.base;
    sctlr1 = (1ul << 0) | (3ul << 28) | (3ul << 22) | (1ul << 20) | (1ul << 11); /* M + RES1 */
}

static void new_s2(void)
{
    unsigned g = gran_bits[below(3)];
    unsigned stride = g - 3;
    for (;;) {
        unsigned t0sz = 20 + (unsigned)below(12); /* 20..31: IPA of 44..33 bits */
        unsigned iasize = 64 - t0sz;
        int sl = (int)below(4);
        if (g == 12 && sl == 3)
            continue;
        if (g != 12 && sl == 0)
            continue;
        unsigned min = (unsigned)(3 - sl) * stride + g + 1, max = min + stride - 1 + 4;
        if (iasize < min || iasize > max)
            continue; /* AArch64.S2InconsistentSL */
        s2.stage = 2;
        s2.gbits = g;
        s2.stride = stride;
        s2.iasize = iasize;
        s2.startlevel = sl;
        unsigned lsb = lsb_of(&s2, sl);
        s2.start_entries = 1u << (iasize - lsb);
        uint64_t tsize = (uint64_t)s2.start_entries * 8;
        s2.base = alloc_table(tsize < 64 ? 64 : tsize);
        uint64_t sl0 = g == 12 ? (uint64_t)(2 - sl) : (uint64_t)(3 - sl);
        uint64_t ps = below(2) ? 4ul : 2ul; /* 44 or 40 bits: every OA is in RAM */
        vtcr = t0sz | (sl0 << 6) | (tcr_tg0(g) << 14) | (ps << 16) | (1ul << 31);
        vttbr = s2.base | ((uint64_t)(1 + below(200)) << 48);
        return;
    }
}

static void build_setup(void)
{
    setup_kind = (int)(setup_no % 3);
    pool_next = POOL_BASE;
    n_s1 = n_s2 = n_hints = nalias = 0;
    alias_next = 0;
    sctlr1 = (3ul << 28) | (3ul << 22) | (1ul << 20) | (1ul << 11); /* RES1 bits, MMU off */
    tcr1 = ttbr0 = 0;
    hcr = HCR_RW;
    vtcr = vttbr = 0;
    if (setup_kind != 0) {
        new_s2();
        hcr |= HCR_VM;
        map_reserved(&s2);
    }
    if (setup_kind != 1) {
        new_s1();
        map_reserved(&s1);
    }
    for (unsigned i = 0; i < 24; i++) {
        if (setup_kind != 1) {
            add_s1_leaf(rand_ia(&s1));
            if (setup_kind == 2 && n_s1) {
                /* Map part of the new leaf's IPA range at stage 2. */
                const struct leaf *l = &s1_leaves[n_s1 - 1];
                uint64_t off = below(l->size) & ~7ul;
                unsigned before = n_s2;
                add_s2_leaf(l->oa + off, leaf_level(&s2));
                if (n_s2 > before && n_hints < MAX_LEAVES)
                    hints[n_hints++] = l->ia + off;
            }
        } else {
            add_s2_leaf(rand_ia(&s2), leaf_level(&s2));
        }
    }
    for (unsigned i = 0; i < 4; i++) {
        if (setup_kind != 1)
            plant_bad(&s1);
        if (setup_kind != 0)
            plant_bad(&s2);
    }

    /* The accesses: mostly inside leaves, some anywhere. */
    const struct tree *t = setup_kind == 1 ? &s2 : &s1;
    const struct leaf *lv = setup_kind == 1 ? s2_leaves : s1_leaves;
    unsigned nl = setup_kind == 1 ? n_s2 : n_s1;
    for (unsigned i = 0; i < NACCESS; i++) {
        uint64_t va, r = below(10);
        if (setup_kind == 2 && n_hints && r < 6) {
            va = hints[below(n_hints)] + (below(64) << 3);
        } else if (nl && r < 8) {
            const struct leaf *l = &lv[below(nl)];
            va = l->ia + (below(l->size) & ~7ul);
        } else {
            va = rand_ia(t) & ~7ul;
        }
        accesses[i].va = va;
        accesses[i].op = below(4);
        accesses[i].token = 0xa5a5000000000000ul | ++token_no;
    }
}

/* ---- EL1 ---------------------------------------------------------------------- */

static void el1_handler(struct rt_frame *f, unsigned kind)
{
    if (kind == 4 && (f->esr >> 26) == 0x25) { /* data abort at EL1: skip the access */
        f->elr += 4;
        return;
    }
    rt_hvc(HVC_NEXT, 1, kind, f->esr); /* unexpected: report and give up */
}

#define ACCESS(insn)                                                                               \
    __asm__ volatile("mov x0, #1\n mov x1, %0\n mov x2, %1\n mov x3, %2\n hvc #0\n" insn           \
                     "\n mov x0, #2\n hvc #0\n"                                                    \
                     :                                                                             \
                     : "r"(a->va), "r"(a->op), "r"(a->token)                                       \
                     : "x0", "x1", "x2", "x3", "memory")

static void guest_main(uint64_t arg)
{
    (void)arg;
    for (unsigned i = 0; i < NACCESS; i++) {
        const struct access *a = &accesses[i];
        switch (a->op) {
        case 0:
            ACCESS("ldr x2, [x1]");
            break;
        case 1:
            ACCESS("str x3, [x1]");
            break;
        case 2:
            ACCESS("ldtr x2, [x1]");
            break;
        default:
            ACCESS("sttr x3, [x1]");
            break;
        }
    }
    rt_hvc(HVC_NEXT, 0, 0, 0);
    for (;;)
        ;
}

/* ---- EL2 ---------------------------------------------------------------------- */

static void enter_setup(struct rt_frame *f)
{
    build_setup();
    SYSREG_WRITE(hcr_el2, hcr);
    SYSREG_WRITE(vtcr_el2, vtcr);
    SYSREG_WRITE(vttbr_el2, vttbr);
    SYSREG_WRITE(mair_el1, 0x04ff); /* attr 0 Normal WB, attr 1 Device-nGnRE */
    SYSREG_WRITE(tcr_el1, tcr1);
    SYSREG_WRITE(ttbr0_el1, ttbr0);
    SYSREG_WRITE(sctlr_el1, sctlr1);
    SYSREG_WRITE(vbar_el1, (uint64_t)el1_vectors);
    SYSREG_WRITE(sp_el1, (uint64_t)__el1_stack_top);
    __asm__ volatile("dsb sy\n tlbi alle1\n dsb sy\n isb" ::: "memory");
    f->elr = (uint64_t)guest_main;
    f->spsr = 0x3c5; /* EL1h, DAIF masked */
}

static void hyp_handler(struct rt_frame *f, unsigned kind)
{
    unsigned ec = (unsigned)(f->esr >> 26);
    if (kind == 8 && ec == 0x24) { /* stage-2 data abort: skip the access */
        f->elr += 4;
        return;
    }
    if (kind != 8 || ec != 0x16) {
        rt_printf("unexpected exception at EL2: kind %u ESR 0x%lx ELR 0x%lx FAR 0x%lx\n", kind,
                  (unsigned long)f->esr, (unsigned long)f->elr, (unsigned long)f->far);
        rt_check(false, "only HVCs and stage-2 data aborts reach EL2");
        rt_summary("mmudiff");
        rt_exit();
    }
    if (f->x[0] == HVC_ANNOUNCE || f->x[0] == HVC_DONE)
        return; /* for the host: see tests/diff/mmu_diff.c */
    if (f->x[0] == HVC_NEXT && f->x[1] != 0) {
        rt_printf("unexpected exception at EL1: kind %lu ESR 0x%lx (setup %u)\n",
                  (unsigned long)f->x[2], (unsigned long)f->x[3], setup_no);
        rt_check(false, "only data aborts reach EL1");
        rt_summary("mmudiff");
        rt_exit();
    }
    if (++setup_no == NSETUPS) {
        rt_check(true, "%u setups of %u accesses made", NSETUPS, NACCESS);
        rt_summary("mmudiff");
        rt_exit();
    }
    enter_setup(f);
}

int main(uint64_t dtb)
{
    (void)dtb;
    rt_set_el2_handler(hyp_handler);
    rt_set_el1_handler(el1_handler);
    /* Every word of the window holds its own address. */
    for (uint64_t a = WIN_BASE; a < WIN_BASE + WIN_SIZE; a += 8)
        *(volatile uint64_t *)a = a;
    struct rt_frame f;
    setup_no = 0;
    enter_setup(&f);
    rt_eret_to(f.elr, 0, (uint64_t)__el1_stack_top, f.spsr);
    return 0;
}
