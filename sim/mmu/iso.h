/* hvsim: the isolation checker (docs/mmu.md, "The isolation checker").
 *
 * The platform names who owns each PA range (struct hv_plat_owner: the
 * hypervisor, VM n, memory shared by some VMs, a device assigned to VM n).
 * Each time the PE enters EL1/EL0 (an ERET from EL2), the machine hands the
 * checker the stage-2 registers. When that stage 2 is new or may have
 * changed, the checker enumerates every mapping it holds (all IPAs, by
 * reading the tables, not by translating address by address) and checks:
 *   - each mapping's PA range against ownership: a PA the VM may not map is
 *     a violation (HV_ISO_FOREIGN), with the owner named;
 *   - each writable mapping against the table pages of every stage 2 it
 *     knows (this VM's and the others'): a VM that can write a stage-2
 *     table can rewrite its own walls (HV_ISO_TABLE);
 *   - entering EL1/EL0 with stage 2 off (HCR_EL2.VM = 0) gives the VM every
 *     PA (HV_ISO_NO_STAGE2).
 *
 * Cost: the result is cached per (VTTBR_EL2, VTCR_EL2). With a host mapping
 * of RAM (hv_iso_map_fn) the tables are read in place and write-watched
 * (common/wwatch.h): a VM entry with a cached stage 2 costs a counter
 * compare when nothing was written, and a compare of the written pages
 * with their snapshot otherwise; without one, the tables are copied and
 * compared on every entry. It re-enumerates only if they changed or a TLB
 * invalidation of stage 2 (TLBI IPAS2*, VMALLS12E1*, ALLE1*) came since.
 * Enumeration reads each descriptor once: linear in the number of
 * descriptors; a final-level table of uniform page descriptors is checked
 * as a whole from the AND and OR of its descriptors (struct hv_iso_sum),
 * and decoded page by page only when that bound is not clean.
 *
 * Pure logic: memory comes through a read callback, violations leave
 * through a report callback; no Unicorn, no printing.
 */
#ifndef HV_ISO_H
#define HV_ISO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/observer.h"
#include "../platform/platform.h"
#include "mmu.h"

struct hv_iso;

/* Read len bytes of physical memory; nonzero if any of it cannot be read. */
typedef int (*hv_iso_read_fn)(void *ctx, uint64_t pa, void *buf, size_t len);
/* Optional: a host pointer to [pa, pa + len) if that is plain memory (RAM),
 * else NULL. Lets a VM entry compare the tables in place. */
typedef const void *(*hv_iso_map_fn)(void *ctx, uint64_t pa, size_t len);

/* One violation. owner is NULL when no region names the PA. */
struct hv_iso_violation {
    enum hv_iso_kind kind;
    uint32_t vmid;
    uint64_t ipa, pa, size;
    uint8_t perms; /* HV_MMU_R/W/X of the stage-2 mapping */
    const struct hv_plat_owner *owner;
    uint32_t table_vmid; /* HV_ISO_TABLE */
};

typedef void (*hv_iso_report_fn)(void *ctx, const struct hv_iso_violation *v);

struct hv_iso_config {
    const struct hv_plat_owner *owners; /* validated (disjoint); copied */
    unsigned nowners;
    hv_iso_read_fn read;
    hv_iso_map_fn map; /* optional; same ctx as read */
    void *read_ctx;
    hv_iso_report_fn report;
    void *report_ctx;
    unsigned max_reports; /* per check; 0 = 32. The rest are counted. */
    /* Compare every table page on every entry instead of write-watching
     * the mapped ones (common/wwatch.h); the benchmark's baseline. */
    bool no_watch;
};

/* One maximal run of stage-2 mappings: contiguous IPAs to contiguous PAs
 * with the same permissions. */
struct hv_iso_run {
    uint64_t ipa, pa, size;
    uint8_t perms;
};

/* A stage-2 table (the start table counts once, concatenated or not), and
 * its contents when it was read. */
struct hv_iso_table {
    uint64_t pa, size;
    const uint8_t *bytes;
    bool readable; /* false: the read failed, bytes are zeros */
    /* The checker only: bytes point into the RAM itself (hv_iso_map_fn), not
     * to a copy. Write-watched then (sim/common/wwatch.h), so that the
     * bytes as enumerated are the live ones, or the watch's snapshot of a
     * page written since. */
    bool inplace;
};

struct hv_iso_chunk; /* storage for the tables' contents */

/* The checker's summary of one final-level table whose descriptors all map
 * (valid, AF = 1, some permission) with identical attributes and differ
 * only in their output addresses: the pages lie somewhere in [lo, hi).
 * When that whole range is allowed to the VM (and holds no table page, if
 * writable) every page is; otherwise the table is decoded exactly again
 * (from tables[table].bytes) and its runs checked one by one. */
struct hv_iso_sum {
    uint64_t ipa, lo, hi; /* ipa: the table's first IPA; [lo, hi): a bound */
    uint32_t table;       /* index in hv_iso_s2.tables */
    uint8_t perms;
};

/* Everything one stage 2 maps. */
struct hv_iso_s2 {
    struct hv_iso_run *runs;
    size_t nruns, cap_runs;
    struct hv_iso_table *tables;
    size_t ntables, cap_tables;
    struct hv_iso_sum *sums; /* the checker's summarised tables (not runs) */
    size_t nsums, cap_sums;
    unsigned leaf_lsb;           /* log2 of the granule: what a final-level descriptor maps */
    struct hv_iso_chunk *chunks; /* reused by the next enumeration */
    uint64_t descriptors;        /* descriptors read */
    bool truncated;              /* stopped at HV_ISO_MAX_DESCRIPTORS */
};

/* An enumeration reads at most this many descriptors (16 GiB mapped in
 * 4 KiB pages; any amount in blocks); past it the stage 2 is checked up to
 * there and flagged as truncated. Tables that reuse one table page at many
 * places could otherwise name up to 2^36 pages. Each distinct table page is
 * copied once however often it is reached. */
#define HV_ISO_MAX_DESCRIPTORS (4u << 20)

/* Enumerate the stage 2 that r describes (VTCR_EL2, VTTBR_EL2, pa_bits):
 * every mapping the PE can use (valid, AF = 1, some permission), following
 * AArch64.S2Walk's descriptor rules, except that it errs towards the
 * engine where the engine is more permissive: blocks at levels that allow
 * none and output addresses beyond VTCR_EL2.PS count as mappings (see
 * docs/differences.md). Returns 0, or -1 when out of memory. Unreadable
 * tables map nothing. */
int hv_iso_enumerate(const struct hv_mmu_regs *r, hv_iso_read_fn read, void *ctx,
                     struct hv_iso_s2 *out);
void hv_iso_s2_free(struct hv_iso_s2 *s);

int hv_iso_create(struct hv_iso **out, const struct hv_iso_config *c);
void hv_iso_destroy(struct hv_iso *iso);

/* The PE enters EL1/EL0 with these registers (hcr_el2, vtcr_el2, vttbr_el2,
 * pa_bits are used). Reports new violations; returns their number (0 when
 * the cached result still holds), or -1 when out of memory. */
int hv_iso_enter(struct hv_iso *iso, const struct hv_mmu_regs *r);

/* A TLB invalidation that affects stage 2 was executed: for the VM vmid, or
 * for every VM. The next entry of those VMs re-enumerates. */
void hv_iso_invalidate(struct hv_iso *iso, uint32_t vmid, bool all);

struct hv_iso_stats {
    bool last_truncated;  /* the last enumeration stopped at HV_ISO_MAX_DESCRIPTORS */
    uint64_t entries;     /* hv_iso_enter calls */
    uint64_t walks;       /* enumerations */
    uint64_t hits;        /* entries answered from the cache */
    uint64_t descriptors; /* descriptors read by enumerations */
    uint64_t violations;  /* found (reported or not) */
    uint64_t suppressed;  /* found but over max_reports */
    uint64_t expanded;    /* summarised tables decoded exactly (not clean) */
};
void hv_iso_get_stats(const struct hv_iso *iso, struct hv_iso_stats *st);

/* The VMID in VTTBR_EL2: bits [55:48], or [63:48] with VTCR_EL2.VS. */
uint32_t hv_iso_vmid(uint64_t vttbr, uint64_t vtcr);

#endif
