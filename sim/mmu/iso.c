/* hvsim: the isolation checker. See iso.h and docs/mmu.md. */
#include "iso.h"
#include "common/wwatch.h"

#include <stdlib.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the table reader assumes a little-endian host (descriptors are little-endian)"
#endif

#define FINAL_LEVEL 3
#define OA_MASK     ((UINT64_C(1) << 48) - 1) /* no FEAT_LPA, as in mmu.c */
#define NCACHE      16
/* The largest table: 16 concatenated 64 KiB start tables. Pages are sorted
 * by start, so a run beyond the last start plus this cannot meet one. */
#define HV_ISO_MAX_TABLE_BYTES (16u << 16)
#define HCR_VM                 (UINT64_C(1) << 0)
#define HCR_DC                 (UINT64_C(1) << 12)

static inline uint64_t lowmask(unsigned n)
{
    return n >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << n) - 1;
}

uint32_t hv_iso_vmid(uint64_t vttbr, uint64_t vtcr)
{
    /* VTTBR_EL2.VMID: [55:48], or [63:48] when VTCR_EL2.VS (bit 19) selects
     * 16-bit VMIDs (FEAT_VMID16). */
    return (uint32_t)((vttbr >> 48) & ((vtcr >> 19) & 1 ? 0xffff : 0xff));
}

/* ---- enumeration ---------------------------------------------------------- */

/* Tables already read in this enumeration, by (PA, size): a table that the
 * tables point to from many places is read and kept once. */
struct seen {
    uint64_t pa;
    uint32_t bytes, idx; /* bytes == 0: empty slot */
};

struct enumer {
    const struct hv_mmu_s2_geom *g;
    hv_iso_read_fn read;
    hv_iso_map_fn map; /* optional: tables read in place, not copied */
    void *ctx;
    struct hv_iso_s2 *out;
    struct hv_iso_chunk *cur; /* the chunk being filled */
    struct seen *seen;
    size_t nseen, cap_seen; /* cap_seen: a power of two */
    bool oom;
    bool summarize; /* final-level tables may become struct hv_iso_sum */
};

static size_t seen_slot(const struct enumer *e, uint64_t pa, uint32_t bytes)
{
    size_t mask = e->cap_seen - 1;
    size_t i = (size_t)((pa >> 12) * UINT64_C(0x9e3779b97f4a7c15) >> 20) & mask;
    while (e->seen[i].bytes && !(e->seen[i].pa == pa && e->seen[i].bytes == bytes))
        i = (i + 1) & mask;
    return i;
}

/* The index of the table at (pa, bytes) in out->tables, or -1 if new. */
static long seen_find(const struct enumer *e, uint64_t pa, uint32_t bytes)
{
    if (!e->cap_seen)
        return -1;
    size_t i = seen_slot(e, pa, bytes);
    return e->seen[i].bytes ? (long)e->seen[i].idx : -1;
}

static bool seen_add(struct enumer *e, uint64_t pa, uint32_t bytes, uint32_t idx)
{
    if (2 * (e->nseen + 1) > e->cap_seen) {
        size_t cap = e->cap_seen ? 2 * e->cap_seen : 256;
        struct seen *old = e->seen;
        size_t oldcap = e->cap_seen;
        e->seen = calloc(cap, sizeof(*e->seen));
        if (!e->seen) {
            e->seen = old;
            return false;
        }
        e->cap_seen = cap;
        for (size_t k = 0; k < oldcap; k++)
            if (old[k].bytes)
                e->seen[seen_slot(e, old[k].pa, old[k].bytes)] = old[k];
        free(old);
    }
    e->seen[seen_slot(e, pa, bytes)] = (struct seen){pa, bytes, idx};
    e->nseen++;
    return true;
}

/* Table contents live in chunks that never move (no copying as they fill),
 * and are reused by the next enumeration of the same cache entry. */
struct hv_iso_chunk {
    struct hv_iso_chunk *next;
    size_t used, cap;
    uint8_t data[];
};
#define CHUNK_MIN (1u << 20)

static uint8_t *chunk_alloc(struct hv_iso_s2 *o, struct hv_iso_chunk **cur, size_t n)
{
    struct hv_iso_chunk *c = *cur;
    while (c && c->cap - c->used < n) {
        c = c->next;
        *cur = c;
    }
    if (!c) {
        size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
        c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->cap = cap;
        c->used = 0;
        c->next = o->chunks; /* at the head: searched from *cur onwards */
        o->chunks = c;
        *cur = c;
    }
    uint8_t *p = c->data + c->used;
    c->used += n;
    return p;
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

/* Stage-2 permissions: S2AP[0] (bit 6) read, S2AP[1] (bit 7) write, XN
 * (bit 54) execute-never (AArch64.S2CheckPermissions; no FEAT_XNX). */
static uint8_t s2_perms(uint64_t d)
{
    return (uint8_t)(((d >> 6) & 1 ? HV_MMU_R : 0) | ((d >> 7) & 1 ? HV_MMU_W : 0) |
                     ((d >> 54) & 1 ? 0 : HV_MMU_X));
}

static bool add_run(struct hv_iso_s2 *o, uint64_t ipa, uint64_t pa, uint64_t size, uint8_t perms)
{
    if (o->nruns) {
        struct hv_iso_run *r = &o->runs[o->nruns - 1];
        if (r->ipa + r->size == ipa && r->pa + r->size == pa && r->perms == perms) {
            r->size += size;
            return true;
        }
    }
    if (!grow((void **)&o->runs, &o->cap_runs, o->nruns < 1024 ? 1024 : o->nruns + 1,
              sizeof(*o->runs)))
        return false;
    o->runs[o->nruns++] = (struct hv_iso_run){ipa, pa, size, perms};
    return true;
}

static void walk_table(struct enumer *e, uint64_t table, int level, uint64_t ipa_base, unsigned n);

/* Decode the n descriptors of one table at `level` (each maps 2^lsb bytes
 * from ipa_base on) into e->out's runs, descending into next-level tables
 * (never from the final level). */
static void decode_table(struct enumer *e, const uint8_t *buf, int level, unsigned lsb,
                         uint64_t ipa_base, unsigned n)
{
    const uint64_t size = UINT64_C(1) << lsb;
    struct hv_iso_s2 *o = e->out;
    /* The descriptor that would continue the last leaf exactly (next OA,
     * same attributes): the common case of a linear map costs one compare. */
    uint64_t expect = 0;
    for (unsigned i = 0; i < n && !e->oom; i++) {
        uint64_t desc;
        memcpy(&desc, buf + 8 * (size_t)i, 8);
        if (desc == expect && expect) {
            o->runs[o->nruns - 1].size += size;
            expect += size;
            continue;
        }
        expect = 0;
        if ((desc & 1) == 0)
            continue; /* invalid */
        uint64_t ipa = ipa_base + ((uint64_t)i << lsb);
        if (level < FINAL_LEVEL && (desc & 2)) {
            uint64_t next = desc & OA_MASK & ~lowmask(e->g->gbits);
            walk_table(e, next, level + 1, ipa, 1u << e->g->stride);
            continue;
        }
        if ((desc & 3) == 1 && level == FINAL_LEVEL)
            continue; /* reserved at level 3: a Translation fault, in the engine too */
        /* Conservative where the engine is more permissive than the
         * architecture (docs/differences.md, found by tests/unit/
         * test_mmudiff.c): QEMU 5.0 takes a block where the granule allows
         * none (4K level 0, 16K/64K level 1) as a block, and does not check
         * output addresses against the size limits, so these count as
         * mappings here even though AArch64.S2Walk faults on them. */
        uint64_t oa = desc & OA_MASK & ~lowmask(lsb);
        if (((desc >> 10) & 1) == 0)
            continue; /* AF = 0: Access flag fault on every access */
        uint8_t p = s2_perms(desc);
        if (p == 0)
            continue; /* no access of any kind */
        if (!add_run(o, ipa, oa, size, p)) {
            e->oom = true;
            return;
        }
        if (((oa + size) & ~OA_MASK) == 0)
            expect = desc + size;
    }
}

/* AND and OR of n descriptors, with the compiler's vector extension (GCC
 * and Clang; SSE2 on any x86-64, NEON on AArch64): the loop only loads,
 * two descriptors a lane, four lanes in flight. */
typedef uint64_t v2u64 __attribute__((vector_size(16)));

static void and_or(const uint64_t *d, unsigned n, uint64_t *all, uint64_t *any)
{
    v2u64 a0 = {~UINT64_C(0), ~UINT64_C(0)}, a1 = a0, a2 = a0, a3 = a0;
    v2u64 o0 = {0, 0}, o1 = o0, o2 = o0, o3 = o0;
    unsigned i = 0;
    for (; i + 8 <= n; i += 8) {
        v2u64 x0, x1, x2, x3;
        memcpy(&x0, d + i, 16);
        memcpy(&x1, d + i + 2, 16);
        memcpy(&x2, d + i + 4, 16);
        memcpy(&x3, d + i + 6, 16);
        a0 &= x0;
        a1 &= x1;
        a2 &= x2;
        a3 &= x3;
        o0 |= x0;
        o1 |= x1;
        o2 |= x2;
        o3 |= x3;
    }
    v2u64 a = a0 & a1 & a2 & a3, o = o0 | o1 | o2 | o3;
    uint64_t ra = a[0] & a[1], ro = o[0] | o[1];
    for (; i < n; i++) {
        ra &= d[i];
        ro |= d[i];
    }
    *all = ra;
    *any = ro;
}

/* The checker's fast path for a final-level table (struct hv_iso_sum): one
 * pass of AND and OR over the raw descriptors. When every descriptor has
 * bits[1:0] = 0b11 and AF set, and all agree on every bit outside the
 * output address, they are all page mappings with the same permissions.
 * Every output address then has all the bits of the AND and none outside
 * the OR, so it lies in [AND, OR] (a bound, exact for an aligned linear
 * table or an aligned scattered block; tighten() narrows it to the true
 * minimum and maximum when the bound alone is not clean). Returns false
 * (decode exactly) when the descriptors are not uniform. */
static bool summarize(struct enumer *e, const uint8_t *buf, unsigned lsb, uint64_t ipa_base,
                      unsigned n, uint32_t table)
{
    const uint64_t *d = (const uint64_t *)(const void *)buf; /* chunk or host page: aligned */
    uint64_t all, any;
    and_or(d, n, &all, &any);
    const uint64_t size = UINT64_C(1) << lsb;
    const uint64_t oa_bits = OA_MASK & ~lowmask(lsb);
    if (n == 0 || (all & 0x403) != 0x403 || ((all ^ any) & ~oa_bits) != 0)
        return false;
    uint8_t p = s2_perms(all);
    if (p == 0)
        return false;
    struct hv_iso_s2 *o = e->out;
    if (!grow((void **)&o->sums, &o->cap_sums, o->nsums + 1, sizeof(*o->sums))) {
        e->oom = true;
        return true;
    }
    o->sums[o->nsums++] =
        (struct hv_iso_sum){ipa_base, all & oa_bits, (any & oa_bits) + size, table, p};
    return true;
}

/* The least and greatest output address of a summarised table: with the
 * other bits equal, the integer order of the descriptors is that of their
 * output addresses. */
static void tighten(const uint8_t *buf, unsigned n, unsigned lsb, uint64_t *lo, uint64_t *hi)
{
    const uint64_t *d = (const uint64_t *)(const void *)buf;
    uint64_t mn = ~UINT64_C(0), mx = 0;
    for (unsigned i = 0; i < n; i++) {
        mn = d[i] < mn ? d[i] : mn;
        mx = d[i] > mx ? d[i] : mx;
    }
    const uint64_t oa_bits = OA_MASK & ~lowmask(lsb);
    *lo = mn & oa_bits;
    *hi = (mx & oa_bits) + (UINT64_C(1) << lsb);
}

/* One table of n descriptors at `table`, translating IPAs from ipa_base, as
 * AArch64.S2Walk reads them; recursion depth is at most 4 (levels only
 * increase), whatever the tables hold. The table's bytes are read in place
 * when e->map gives a host pointer (the checker then watches or copies
 * them), else copied into a chunk: what the loop decodes, and what later
 * VM entries compare with. */
static void walk_table(struct enumer *e, uint64_t table, int level, uint64_t ipa_base, unsigned n)
{
    const struct hv_mmu_s2_geom *g = e->g;
    struct hv_iso_s2 *o = e->out;
    size_t bytes = (size_t)n * 8;

    if (o->descriptors + n > HV_ISO_MAX_DESCRIPTORS) {
        o->truncated = true;
        return;
    }
    const uint8_t *buf;
    long known = seen_find(e, table, (uint32_t)bytes);
    if (known >= 0) {
        buf = o->tables[known].bytes;
        if (!o->tables[known].readable)
            return;
    } else {
        const uint8_t *host = e->map ? e->map(e->ctx, table, bytes) : NULL;
        uint8_t *nb = NULL;
        if (!grow((void **)&o->tables, &o->cap_tables, o->ntables + 1, sizeof(*o->tables)) ||
            (!host && !(nb = chunk_alloc(o, &e->cur, bytes))) ||
            !seen_add(e, table, (uint32_t)bytes, (uint32_t)o->ntables)) {
            e->oom = true;
            return;
        }
        if (host) {
            /* Plain RAM: decoded where it lies; the checker watches it or
             * copies it afterwards (watch_tables), before anything runs. */
            o->tables[o->ntables++] = (struct hv_iso_table){table, bytes, host, true, true};
            buf = host;
        } else {
            bool ok = e->read(e->ctx, table, nb, bytes) == 0;
            /* An unreadable table: every walk through it aborts, nothing is
             * mapped. Kept as zeros, as the change check reads it. */
            if (!ok)
                memset(nb, 0, bytes);
            o->tables[o->ntables++] = (struct hv_iso_table){table, bytes, nb, ok, false};
            if (!ok)
                return;
            buf = nb;
        }
    }
    o->descriptors += n;

    const unsigned lsb = g->gbits + (unsigned)(FINAL_LEVEL - level) * g->stride;
    if (e->summarize && level == FINAL_LEVEL &&
        summarize(e, buf, lsb, ipa_base, n, (uint32_t)(known >= 0 ? known : (long)o->ntables - 1)))
        return;
    decode_table(e, buf, level, lsb, ipa_base, n);
}

static int enumerate(const struct hv_mmu_regs *r, hv_iso_read_fn read, hv_iso_map_fn map, void *ctx,
                     struct hv_iso_s2 *out, bool summarize)
{
    struct hv_mmu_s2_geom g;
    struct enumer e;
    out->nruns = out->ntables = out->nsums = 0;
    out->descriptors = 0;
    for (struct hv_iso_chunk *c = out->chunks; c; c = c->next)
        c->used = 0;
    out->truncated = false;
    if (hv_mmu_s2_geometry(r, &g) < 0)
        return 0; /* every IPA faults at level 0 */
    memset(&e, 0, sizeof(e));
    e.g = &g;
    e.read = read;
    e.map = map;
    e.ctx = ctx;
    e.out = out;
    e.cur = out->chunks;
    e.summarize = summarize;
    out->leaf_lsb = g.gbits;
    walk_table(&e, g.base, g.startlevel, 0, g.start_entries);
    free(e.seen);
    return e.oom ? -1 : 0;
}

int hv_iso_enumerate(const struct hv_mmu_regs *r, hv_iso_read_fn read, void *ctx,
                     struct hv_iso_s2 *out)
{
    return enumerate(r, read, NULL, ctx, out, false);
}

void hv_iso_s2_free(struct hv_iso_s2 *s)
{
    free(s->runs);
    free(s->sums);
    free(s->tables);
    while (s->chunks) {
        struct hv_iso_chunk *n = s->chunks->next;
        free(s->chunks);
        s->chunks = n;
    }
    memset(s, 0, sizeof(*s));
}

/* ---- the checker ----------------------------------------------------------- */

struct cache_ent {
    bool valid, stale;
    uint64_t vttbr, vtcr;
    unsigned pa_bits;
    uint32_t vmid;
    uint64_t last_use;
    struct hv_iso_s2 s2;
    /* Write-watch handles (common/wwatch.h) of s2.tables[i], or -1 where
     * the page is compared byte by byte; NULL when nothing is watched.
     * woff[i]: the table's offset in its watch; snap: the watches'
     * snapshot buffers. */
    int *ww;
    size_t *woff, *wend; /* wend[i], i first of a watch: one past its last */
    uint8_t *snap;
    /* hv_ww_faults() when the watches were last known clean: no write
     * fault since means no watch of this entry was written. */
    unsigned long faults_seen;
};

/* A table page of some cached stage 2, for the writable-table check. */
struct tpage {
    uint64_t pa, size;
    uint32_t vmid;
};

struct hv_iso {
    struct hv_iso_config cfg;
    struct hv_plat_owner owners[HV_PLAT_MAX_OWNERS]; /* sorted by base */
    unsigned nowners;
    struct cache_ent c[NCACHE];
    uint64_t tick;
    bool no_s2_reported;
    unsigned budget;                  /* reports left in this check */
    const struct hv_plat_owner *hint; /* the region the last checked run was in */
    uint8_t *tmp;
    size_t tmp_cap;
    struct hv_iso_s2 xs; /* a summarised table decoded exactly (runs only) */
    struct hv_iso_stats st;
};

int hv_iso_create(struct hv_iso **out, const struct hv_iso_config *c)
{
    struct hv_iso *iso = calloc(1, sizeof(*iso));
    *out = NULL;
    if (!iso || c->nowners > HV_PLAT_MAX_OWNERS) {
        free(iso);
        return -1;
    }
    iso->cfg = *c;
    if (!iso->cfg.max_reports)
        iso->cfg.max_reports = 32;
    /* Insertion sort by base: at most 32 regions. */
    for (unsigned i = 0; i < c->nowners; i++) {
        unsigned j = iso->nowners++;
        while (j > 0 && iso->owners[j - 1].base > c->owners[i].base) {
            iso->owners[j] = iso->owners[j - 1];
            j--;
        }
        iso->owners[j] = c->owners[i];
    }
    *out = iso;
    return 0;
}

static void unwatch_tables(struct cache_ent *e)
{
    if (!e->ww)
        return;
    for (size_t i = 0; i < e->s2.ntables; i++)
        if (e->ww[i] >= 0 && (i == 0 || e->ww[i - 1] != e->ww[i]))
            hv_ww_unwatch(e->ww[i]);
    free(e->ww);
    free(e->woff);
    free(e->wend);
    free(e->snap);
    e->ww = NULL;
    e->woff = NULL;
    e->wend = NULL;
    e->snap = NULL;
}

/* Right after an enumeration (nothing has run since): watch the host pages
 * of the entry's tables, so that a later entry only compares the bytes of
 * pages written since. Tables that follow each other in host memory share
 * one watch (one mprotect, one flag to test): a hypervisor's page allocator
 * usually hands them out in a row. A watched table is not copied: the watch
 * keeps a page's bytes when it is first written (hv_ww_watch_snap), into a
 * buffer that is not touched until then. A table read in place that cannot
 * be watched (no usable watch, a start table smaller than a host page) is
 * copied now, and compared on every entry. False when out of memory. */
static bool watch_tables(struct hv_iso *iso, struct cache_ent *e)
{
    size_t n = e->s2.ntables;
    if (n && iso->cfg.map && !iso->cfg.no_watch && hv_ww_init() == 0) {
        size_t total = 0;
        for (size_t i = 0; i < n; i++)
            total += e->s2.tables[i].size;
        e->ww = malloc(n * sizeof(*e->ww));
        e->woff = malloc(n * sizeof(*e->woff));
        e->wend = malloc(n * sizeof(*e->wend));
        e->snap = malloc(total);
        if (!e->ww || !e->woff || !e->wend || !e->snap) {
            /* No watch (nothing watched yet): the tables are copied below. */
            free(e->ww);
            free(e->woff);
            free(e->wend);
            free(e->snap);
            e->ww = NULL;
            e->woff = e->wend = NULL;
            e->snap = NULL;
        }
    }
    for (size_t i = 0, soff = 0; e->ww && i < n;) {
        const struct hv_iso_table *t = &e->s2.tables[i];
        const uint8_t *host = iso->cfg.map(iso->cfg.read_ctx, t->pa, t->size);
        size_t j = i + 1, len = t->size;
        while (host && j < n) {
            const struct hv_iso_table *u = &e->s2.tables[j];
            if (u->pa != t->pa + len ||
                iso->cfg.map(iso->cfg.read_ctx, u->pa, u->size) != host + len)
                break;
            len += u->size;
            j++;
        }
        int h = host ? hv_ww_watch_snap((void *)(uintptr_t)host, len, e->snap + soff) : -1;
        for (size_t k = i; k < j; k++) {
            e->ww[k] = h;
            e->woff[k] = (size_t)(e->s2.tables[k].pa - t->pa);
        }
        e->wend[i] = j;
        soff += len;
        i = j;
    }
    struct hv_iso_chunk *cur = e->s2.chunks;
    for (size_t i = 0; i < n; i++) {
        struct hv_iso_table *t = &e->s2.tables[i];
        if (!t->inplace || (e->ww && e->ww[i] >= 0))
            continue;
        uint8_t *copy = chunk_alloc(&e->s2, &cur, t->size);
        if (!copy)
            return false;
        memcpy(copy, t->bytes, t->size);
        t->bytes = copy;
        t->inplace = false;
    }
    e->faults_seen = hv_ww_faults();
    return true;
}

/* The bytes of table i as they were enumerated: the copy, or for a watched
 * table the live bytes with each page written since replaced by the
 * watch's snapshot of it (in iso->tmp). NULL when out of memory. */
static const uint8_t *table_before(struct hv_iso *iso, const struct cache_ent *e, size_t i)
{
    const struct hv_iso_table *t = &e->s2.tables[i];
    if (!e->ww || e->ww[i] < 0 || !hv_ww_dirty(e->ww[i]))
        return t->bytes;
    if (!grow((void **)&iso->tmp, &iso->tmp_cap, t->size, 1))
        return NULL;
    for (uint64_t o = 0; o < t->size; o += 4096) {
        size_t len = t->size - o < 4096 ? (size_t)(t->size - o) : 4096;
        const void *b = hv_ww_page_before(e->ww[i], e->woff[i] + (size_t)o);
        memcpy(iso->tmp + o, b ? b : t->bytes + o, len);
    }
    return iso->tmp;
}

static void drop(struct cache_ent *e)
{
    unwatch_tables(e);
    hv_iso_s2_free(&e->s2);
    memset(e, 0, sizeof(*e));
}

void hv_iso_destroy(struct hv_iso *iso)
{
    if (!iso)
        return;
    for (int i = 0; i < NCACHE; i++)
        drop(&iso->c[i]);
    hv_iso_s2_free(&iso->xs);
    free(iso->tmp);
    free(iso);
}

void hv_iso_get_stats(const struct hv_iso *iso, struct hv_iso_stats *st)
{
    *st = iso->st;
}

void hv_iso_invalidate(struct hv_iso *iso, uint32_t vmid, bool all)
{
    for (int i = 0; i < NCACHE; i++)
        if (iso->c[i].valid && (all || iso->c[i].vmid == vmid))
            iso->c[i].stale = true;
}

static void report(struct hv_iso *iso, const struct hv_iso_violation *v)
{
    iso->st.violations++;
    if (iso->budget == 0) {
        iso->st.suppressed++;
        return;
    }
    iso->budget--;
    if (iso->cfg.report)
        iso->cfg.report(iso->cfg.report_ctx, v);
}

static void foreign(struct hv_iso *iso, uint32_t vmid, const struct hv_iso_run *r, uint64_t pa,
                    uint64_t end, const struct hv_plat_owner *o)
{
    struct hv_iso_violation v = {.kind = HV_ISO_FOREIGN,
                                 .vmid = vmid,
                                 .ipa = r->ipa + (pa - r->pa),
                                 .pa = pa,
                                 .size = end - pa,
                                 .perms = r->perms,
                                 .owner = o};
    report(iso, &v);
}

/* Split the run's PA range along the ownership regions; report every piece
 * VM vmid may not map (owned by someone else, or by no region). */
static void check_owners(struct hv_iso *iso, uint32_t vmid, const struct hv_iso_run *r)
{
    uint64_t cur = r->pa, end = r->pa + r->size;
    /* Fast path: the run lies inside the region the last run ended in and
     * the VM may map it (the common case: a VM's RAM is one region). */
    const struct hv_plat_owner *h = iso->hint;
    if (h && cur >= h->base && end <= h->base + h->size && end > cur && hv_owner_allows(h, vmid))
        return;
    for (unsigned i = 0; i < iso->nowners && cur < end; i++) {
        const struct hv_plat_owner *o = &iso->owners[i];
        uint64_t oend = o->base + o->size;
        if (oend <= cur)
            continue;
        if (o->base >= end)
            break;
        if (o->base > cur)
            foreign(iso, vmid, r, cur, o->base, NULL);
        uint64_t a = o->base > cur ? o->base : cur;
        uint64_t b = oend < end ? oend : end;
        if (!hv_owner_allows(o, vmid))
            foreign(iso, vmid, r, a, b, o);
        iso->hint = o;
        cur = b;
    }
    if (cur < end)
        foreign(iso, vmid, r, cur, end, NULL);
}

/* Report the parts of a writable run that are table pages in t[0..n). */
static void check_tables(struct hv_iso *iso, uint32_t vmid, const struct hv_iso_run *r,
                         const struct tpage *t, size_t n)
{
    if (!(r->perms & HV_MMU_W) || n == 0)
        return;
    uint64_t end = r->pa + r->size;
    /* Outside the span of all the table pages: nothing to look up. */
    if (end <= t[0].pa || r->pa >= t[n - 1].pa + t[n - 1].size + HV_ISO_MAX_TABLE_BYTES)
        return;
    /* t is sorted by pa; find the first page that may overlap. */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t[mid].pa + t[mid].size <= r->pa)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < n && t[i].pa < end; i++) {
        if (t[i].pa + t[i].size <= r->pa)
            continue;
        uint64_t a = t[i].pa > r->pa ? t[i].pa : r->pa;
        uint64_t b = t[i].pa + t[i].size < end ? t[i].pa + t[i].size : end;
        struct hv_iso_violation v = {.kind = HV_ISO_TABLE,
                                     .vmid = vmid,
                                     .ipa = r->ipa + (a - r->pa),
                                     .pa = a,
                                     .size = b - a,
                                     .perms = r->perms,
                                     .table_vmid = t[i].vmid};
        report(iso, &v);
    }
}

/* Does the region holding lo hold all of [lo, hi), and may VM vmid map it? */
static bool range_allowed(struct hv_iso *iso, uint32_t vmid, uint64_t lo, uint64_t hi)
{
    const struct hv_plat_owner *h = iso->hint;
    if (!(h && lo >= h->base && lo - h->base < h->size)) {
        h = NULL;
        for (unsigned i = 0; i < iso->nowners && !h; i++)
            if (lo >= iso->owners[i].base && lo - iso->owners[i].base < iso->owners[i].size)
                h = &iso->owners[i];
        if (!h)
            return false;
        iso->hint = h;
    }
    return hi - h->base <= h->size && hv_owner_allows(h, vmid);
}

/* Does any page of t[0..n) (sorted by pa) overlap [lo, hi)? */
static bool tables_overlap(const struct tpage *t, size_t n, uint64_t lo, uint64_t hi)
{
    if (n == 0 || hi <= t[0].pa || lo >= t[n - 1].pa + t[n - 1].size + HV_ISO_MAX_TABLE_BYTES)
        return false;
    size_t a = 0, b = n;
    while (a < b) {
        size_t mid = (a + b) / 2;
        if (t[mid].pa + t[mid].size <= lo)
            a = mid + 1;
        else
            b = mid;
    }
    for (size_t i = a; i < n && t[i].pa < hi; i++)
        if (t[i].pa + t[i].size > lo)
            return true;
    return false;
}

/* May VM vmid map all of [lo, hi) with perms, table pages t[0..n) aside? */
static bool sum_clean(struct hv_iso *iso, uint32_t vmid, uint8_t perms, uint64_t lo, uint64_t hi,
                      const struct tpage *t, size_t n)
{
    return range_allowed(iso, vmid, lo, hi) &&
           !((perms & HV_MMU_W) && tables_overlap(t, n, lo, hi));
}

/* Decode the summarised table exactly into iso->xs.runs. */
static bool expand(struct hv_iso *iso, const struct hv_iso_s2 *s2, const struct hv_iso_sum *sm,
                   const uint8_t *bytes)
{
    const struct hv_iso_table *t = &s2->tables[sm->table];
    struct enumer x;
    if (!bytes)
        return false;
    memset(&x, 0, sizeof(x));
    x.out = &iso->xs;
    iso->xs.nruns = 0;
    decode_table(&x, bytes, FINAL_LEVEL, s2->leaf_lsb, sm->ipa, (unsigned)(t->size / 8));
    return !x.oom;
}

/* A summarised table of the VM being entered: ownership and table pages as
 * for its runs. The summary range answers when it is clean; otherwise the
 * table is decoded and its runs checked exactly, as without the summary. */
static bool check_sum(struct hv_iso *iso, uint32_t vmid, const struct hv_iso_s2 *s2,
                      const struct hv_iso_sum *sm, const struct tpage *t, size_t n)
{
    if (sum_clean(iso, vmid, sm->perms, sm->lo, sm->hi, t, n))
        return true;
    const struct hv_iso_table *tb = &s2->tables[sm->table];
    uint64_t lo, hi;
    tighten(tb->bytes, (unsigned)(tb->size / 8), s2->leaf_lsb, &lo, &hi);
    if (sum_clean(iso, vmid, sm->perms, lo, hi, t, n))
        return true;
    iso->st.expanded++;
    /* Just enumerated: the bytes are as read (nothing ran since). */
    if (!expand(iso, s2, sm, s2->tables[sm->table].bytes))
        return false;
    for (size_t i = 0; i < iso->xs.nruns; i++) {
        check_owners(iso, vmid, &iso->xs.runs[i]);
        check_tables(iso, vmid, &iso->xs.runs[i], t, n);
    }
    return true;
}

static int cmp_tpage(const void *a, const void *b)
{
    const struct tpage *x = a, *y = b;
    return x->pa < y->pa ? -1 : x->pa > y->pa ? 1 : (x->vmid < y->vmid ? -1 : x->vmid > y->vmid);
}

/* The table pages to check against, sorted: those of `only` (when not
 * NULL), or those of every cached stage 2 except older ones of `vm`'s VMID
 * (no longer installed: their pages may have become ordinary memory). */
static struct tpage *gather(struct hv_iso *iso, const struct cache_ent *only,
                            const struct cache_ent *vm, size_t *n)
{
    size_t total = 0;
    for (int i = 0; i < NCACHE; i++)
        if (iso->c[i].valid && (!only || &iso->c[i] == only) &&
            !(vm && &iso->c[i] != vm && iso->c[i].vmid == vm->vmid))
            total += iso->c[i].s2.ntables;
    struct tpage *t = malloc((total ? total : 1) * sizeof(*t));
    if (!t)
        return NULL;
    size_t k = 0;
    for (int i = 0; i < NCACHE; i++) {
        const struct cache_ent *e = &iso->c[i];
        if (!e->valid || (only && e != only) || (vm && e != vm && e->vmid == vm->vmid))
            continue;
        for (size_t j = 0; j < e->s2.ntables; j++)
            t[k++] = (struct tpage){e->s2.tables[j].pa, e->s2.tables[j].size, e->vmid};
    }
    /* Usually sorted already (a hypervisor allocates tables upwards, and
     * they are listed in walk order): then one pass instead of a sort. */
    size_t u = 1;
    while (u < k && cmp_tpage(&t[u - 1], &t[u]) <= 0)
        u++;
    if (u < k)
        qsort(t, k, sizeof(*t), cmp_tpage);
    *n = k;
    return t;
}

/* Do the table pages still hold what they held at enumeration? */
static bool unchanged(struct hv_iso *iso, struct cache_ent *e)
{
    /* No write fault anywhere since this entry's watches were last clean:
     * none of them is dirty (a watch that could not be re-protected is
     * never kept, below), so only unwatched tables need a look. */
    unsigned long faults = hv_ww_faults();
    bool quiet = faults == e->faults_seen;
    for (size_t i = 0; i < e->s2.ntables; i++) {
        const struct hv_iso_table *t = &e->s2.tables[i];
        /* A watch (common/wwatch.h) covers tables i..j-1, contiguous in PA
         * and host memory, read in place (t->bytes is the RAM). Not written
         * since the last check: unchanged, without reading a byte. Written:
         * compare each written page with the watch's snapshot of it (its
         * bytes before the first store), then clear and re-protect. A store
         * that put the same bytes back changes nothing: the answer is the
         * memcmp's. A range that could not be re-protected has no reliable
         * marks: enumerate again (which watches anew). */
        if (e->ww && e->ww[i] >= 0) {
            int h = e->ww[i];
            size_t j = e->wend[i];
            if (!quiet && hv_ww_dirty(h)) {
                if (hv_ww_broken(h))
                    return false;
                for (size_t k = i; k < j; k++) {
                    const struct hv_iso_table *u = &e->s2.tables[k];
                    for (uint64_t o = 0; o < u->size; o += 4096) {
                        const void *b = hv_ww_page_before(h, e->woff[k] + (size_t)o);
                        size_t len = u->size - o < 4096 ? (size_t)(u->size - o) : 4096;
                        if (b && memcmp(u->bytes + o, b, len) != 0)
                            return false;
                    }
                }
                hv_ww_clear(h);
                if (hv_ww_broken(h))
                    return false; /* not re-protected: enumerate and watch anew */
            }
            i = j - 1;
            continue;
        }
        const void *host = iso->cfg.map ? iso->cfg.map(iso->cfg.read_ctx, t->pa, t->size) : NULL;
        if (!host) {
            if (!grow((void **)&iso->tmp, &iso->tmp_cap, t->size, 1))
                return false;
            if (iso->cfg.read(iso->cfg.read_ctx, t->pa, iso->tmp, t->size))
                memset(iso->tmp, 0, t->size);
            host = iso->tmp;
        }
        if (memcmp(host, t->bytes, t->size) != 0)
            return false;
    }
    e->faults_seen = faults;
    return true;
}

int hv_iso_enter(struct hv_iso *iso, const struct hv_mmu_regs *r)
{
    iso->st.entries++;
    iso->budget = iso->cfg.max_reports;
    uint32_t vmid = hv_iso_vmid(r->vttbr_el2, r->vtcr_el2);

    if ((r->hcr_el2 & (HCR_VM | HCR_DC)) == 0) {
        if (iso->no_s2_reported)
            return 0;
        iso->no_s2_reported = true;
        struct hv_iso_violation v = {.kind = HV_ISO_NO_STAGE2, .vmid = vmid};
        report(iso, &v);
        return 1;
    }
    iso->no_s2_reported = false;

    struct cache_ent *e = NULL, *victim = &iso->c[0];
    for (int i = 0; i < NCACHE; i++) {
        struct cache_ent *c = &iso->c[i];
        if (c->valid && c->vttbr == r->vttbr_el2 && c->vtcr == r->vtcr_el2 &&
            c->pa_bits == r->pa_bits) {
            e = c;
            break;
        }
        if (!c->valid || (victim->valid && c->last_use < victim->last_use))
            victim = c;
    }
    iso->tick++;
    if (e && !e->stale && unchanged(iso, e)) {
        e->last_use = iso->tick;
        iso->st.hits++;
        return 0;
    }
    if (!e) {
        drop(victim);
        e = victim;
    }
    uint64_t before = iso->st.violations;
    unwatch_tables(e);
    if (enumerate(r, iso->cfg.read, iso->cfg.map, iso->cfg.read_ctx, &e->s2, true) ||
        !watch_tables(iso, e)) {
        drop(e);
        return -1;
    }
    e->valid = true;
    e->stale = false;
    e->vttbr = r->vttbr_el2;
    e->vtcr = r->vtcr_el2;
    e->pa_bits = r->pa_bits;
    e->vmid = vmid;
    e->last_use = iso->tick;
    iso->st.walks++;
    iso->st.descriptors += e->s2.descriptors;
    iso->st.last_truncated = e->s2.truncated;

    size_t nall, nmine;
    struct tpage *all = gather(iso, NULL, e, &nall);
    struct tpage *mine = gather(iso, e, NULL, &nmine);
    if (!all || !mine) {
        free(all);
        free(mine);
        return -1;
    }
    /* This VM: ownership, and writable table pages of any known stage 2. */
    bool ok = true;
    for (size_t i = 0; i < e->s2.nruns; i++) {
        check_owners(iso, vmid, &e->s2.runs[i]);
        check_tables(iso, vmid, &e->s2.runs[i], all, nall);
    }
    for (size_t i = 0; i < e->s2.nsums && ok; i++)
        ok = check_sum(iso, vmid, &e->s2, &e->s2.sums[i], all, nall);
    /* The other known VMs: can they write this stage 2's tables? */
    for (int k = 0; k < NCACHE; k++) {
        const struct cache_ent *o = &iso->c[k];
        /* An older stage 2 of the same VM is not checked against its
         * replacement, nor the other way round: only one of them can be
         * installed for that VM at a time. */
        if (!o->valid || o == e || o->vmid == e->vmid)
            continue;
        for (size_t i = 0; i < o->s2.nruns; i++)
            check_tables(iso, o->vmid, &o->s2.runs[i], mine, nmine);
        for (size_t i = 0; i < o->s2.nsums && ok; i++) {
            const struct hv_iso_sum *sm = &o->s2.sums[i];
            if (!(sm->perms & HV_MMU_W) || !tables_overlap(mine, nmine, sm->lo, sm->hi))
                continue;
            const uint8_t *bytes = table_before(iso, o, sm->table);
            uint64_t lo, hi;
            if (!bytes) {
                ok = false;
                break;
            }
            tighten(bytes, (unsigned)(o->s2.tables[sm->table].size / 8), o->s2.leaf_lsb, &lo, &hi);
            if (!tables_overlap(mine, nmine, lo, hi))
                continue;
            iso->st.expanded++;
            ok = expand(iso, &o->s2, sm, bytes);
            for (size_t j = 0; ok && j < iso->xs.nruns; j++)
                check_tables(iso, o->vmid, &iso->xs.runs[j], mine, nmine);
        }
    }
    free(all);
    free(mine);
    if (!ok) {
        drop(e);
        return -1;
    }
    return (int)(iso->st.violations - before);
}
