/* The isolation checker (sim/mmu/iso.h) on hand-built stage-2 tables in a
 * host buffer. Descriptor encodings from the Arm ARM D8.3 ("VMSAv8-64
 * translation table format descriptors"): bits[1:0] 0b11 table/page, 0b01
 * block; MemAttr[5:2], S2AP[7:6] (bit 6 read, bit 7 write), AF[10], XN[54].
 * Table geometry from AArch64.S2StartLevel: 4K granule, VTCR_EL2.T0SZ = 32
 * and SL0 = 1 start at level 1 with 4 entries (IPA[31:30]). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "common/wwatch.h"
#include "mmu/iso.h"

#define MEM_BASE 0x40000000ull
#define MEM_SIZE (8ull << 20)

/* Page-aligned like guest RAM (an mmap), so that the write-watch can
 * protect the table pages when a test passes `map`. */
static _Alignas(4096) uint8_t mem[MEM_SIZE];

static int rd(void *ctx, uint64_t pa, void *buf, size_t len)
{
    (void)ctx;
    if (pa < MEM_BASE || pa - MEM_BASE > MEM_SIZE - len)
        return -1;
    memcpy(buf, mem + (pa - MEM_BASE), len);
    return 0;
}

static void put(uint64_t pa, uint64_t v)
{
    memcpy(mem + (pa - MEM_BASE), &v, 8);
}

#define TABLE 3ull
#define BLOCK 1ull
#define PAGE  3ull
#define AF    (1ull << 10)
#define RW    (3ull << 6)
#define RO    (1ull << 6)
#define XN    (1ull << 54)
#define NORM  (0xfull << 2)

/* Tables at fixed PAs in the buffer. */
#define L1 0x40000000ull /* 4 entries (32 bytes), aligned to 32 */
#define L2 0x40001000ull
#define L3 0x40002000ull

/* VTCR_EL2: T0SZ 32, SL0 1, TG0 4K, PS 40 bits. */
#define VTCR_4K (32ull | (1ull << 6) | (2ull << 16) | (1ull << 31))

static struct hv_mmu_regs regs(uint64_t vttbr, uint64_t vtcr)
{
    struct hv_mmu_regs r;
    memset(&r, 0, sizeof(r));
    r.hcr_el2 = 1; /* VM */
    r.vtcr_el2 = vtcr;
    r.vttbr_el2 = vttbr;
    r.pa_bits = 44;
    return r;
}

/* IPA 0 -> 2 MiB block at PA 0x40200000 (RW); IPA 0x200000 -> L3:
 * pages 0..3 -> PA 0x40400000.. (RW, contiguous: one run), page 4 invalid,
 * page 5 -> PA 0x40410000 read-only, page 6 AF = 0, page 7 S2AP = 00 and XN
 * (no access), page 8 reserved-looking 0b01 at level 3. */
static void build_basic(void)
{
    memset(mem, 0, sizeof(mem));
    put(L1, L2 | TABLE);
    put(L2, 0x40200000ull | BLOCK | NORM | RW | AF);
    put(L2 + 8, L3 | TABLE);
    for (unsigned i = 0; i < 4; i++)
        put(L3 + 8 * i, (0x40400000ull + 0x1000 * i) | PAGE | NORM | RW | AF);
    put(L3 + 8 * 5, 0x40410000ull | PAGE | NORM | RO | AF);
    put(L3 + 8 * 6, 0x40411000ull | PAGE | NORM | RW);
    put(L3 + 8 * 7, 0x40412000ull | PAGE | NORM | XN | AF);
    put(L3 + 8 * 8, 0x40413000ull | 1 | NORM | RW | AF);
}

START_TEST(test_enumerate_runs_and_tables)
{
    struct hv_iso_s2 s;
    memset(&s, 0, sizeof(s));
    build_basic();
    struct hv_mmu_regs r = regs(L1 | (1ull << 48), VTCR_4K);
    ck_assert_int_eq(hv_iso_enumerate(&r, rd, NULL, &s), 0);
    /* The block and the four pages continue each other in IPA and PA with
     * the same permissions: one run. Then the read-only page. */
    ck_assert_uint_eq(s.nruns, 2);
    ck_assert_uint_eq(s.runs[0].ipa, 0);
    ck_assert_uint_eq(s.runs[0].pa, 0x40200000ull);
    ck_assert_uint_eq(s.runs[0].size, (2ull << 20) + 0x4000);
    ck_assert_uint_eq(s.runs[0].perms, HV_MMU_R | HV_MMU_W | HV_MMU_X);
    ck_assert_uint_eq(s.runs[1].ipa, 0x205000ull);
    ck_assert_uint_eq(s.runs[1].pa, 0x40410000ull);
    ck_assert_uint_eq(s.runs[1].size, 0x1000ull);
    ck_assert_uint_eq(s.runs[1].perms, HV_MMU_R | HV_MMU_X);
    /* Level 1 (4 entries = 32 bytes), level 2, level 3. */
    ck_assert_uint_eq(s.ntables, 3);
    ck_assert_uint_eq(s.tables[0].pa, L1);
    ck_assert_uint_eq(s.tables[0].size, 32);
    ck_assert_uint_eq(s.tables[1].pa, L2);
    ck_assert_uint_eq(s.tables[1].size, 4096);
    ck_assert_uint_eq(s.tables[2].pa, L3);
    ck_assert_uint_eq(s.descriptors, 4 + 512 + 512);
    hv_iso_s2_free(&s);
}
END_TEST

START_TEST(test_enumerate_concatenated_and_64k)
{
    struct hv_iso_s2 s;
    memset(&s, 0, sizeof(s));
    memset(mem, 0, sizeof(mem));
    /* T0SZ 24 (40-bit IPA), SL0 1: level 1 resolves IPA[39:30], 1024
     * entries, two concatenated 4 KiB tables (8 KiB aligned). Entry 0x201
     * (in the second table) is a 1 GiB block. */
    put(L1 + 8 * 0x201, 0x80000000ull | BLOCK | NORM | RW | AF);
    struct hv_mmu_regs r = regs(L1, 24ull | (1ull << 6) | (2ull << 16));
    ck_assert_int_eq(hv_iso_enumerate(&r, rd, NULL, &s), 0);
    ck_assert_uint_eq(s.nruns, 1);
    ck_assert_uint_eq(s.runs[0].ipa, 0x8040000000ull);
    ck_assert_uint_eq(s.runs[0].pa, 0x80000000ull);
    ck_assert_uint_eq(s.runs[0].size, 1ull << 30);
    ck_assert_uint_eq(s.tables[0].size, 8192);

    /* 64K granule (TG0 = 0b01), T0SZ 32: SL0 = 1 starts at level 3 - 1 = 2,
     * resolving IPA[31:29] (8 entries); an entry is a 512 MiB block. */
    memset(mem, 0, sizeof(mem));
    put(L1 + 8 * 1, 0x40000000ull | BLOCK | NORM | RO | AF);
    r = regs(L1, 32ull | (1ull << 6) | (1ull << 14) | (2ull << 16));
    ck_assert_int_eq(hv_iso_enumerate(&r, rd, NULL, &s), 0);
    ck_assert_uint_eq(s.nruns, 1);
    ck_assert_uint_eq(s.runs[0].ipa, 0x20000000ull);
    ck_assert_uint_eq(s.runs[0].size, 512ull << 20);
    ck_assert_uint_eq(s.tables[0].size, 64);
    hv_iso_s2_free(&s);
}
END_TEST

START_TEST(test_enumerate_loops_terminate)
{
    struct hv_iso_s2 s;
    memset(&s, 0, sizeof(s));
    memset(mem, 0, sizeof(mem));
    /* Every level points back at the same 4 KiB page: the walk still ends
     * at level 3 (levels only increase), reading it as L2 and L3. */
    put(L1, L2 | TABLE);
    for (unsigned i = 0; i < 512; i++)
        put(L2 + 8 * i, L2 | TABLE);
    struct hv_mmu_regs r = regs(L1, VTCR_4K);
    ck_assert_int_eq(hv_iso_enumerate(&r, rd, NULL, &s), 0);
    /* At level 3, L2's entries read as pages (0b11) of PA L2 itself, with
     * AF = 0: nothing usable is mapped. The page was reached 513 times (once
     * as level 2, 512 times as level 3) and is kept once per size. */
    ck_assert_uint_eq(s.ntables, 2);
    ck_assert_uint_eq(s.nruns, 0);
    ck_assert(!s.truncated);
    ck_assert_uint_eq(s.descriptors, 4 + 512 + 512 * 512);
    hv_iso_s2_free(&s);
}
END_TEST

/* ---- the checker --------------------------------------------------------------- */

#define MAXV 16
struct got {
    struct hv_iso_violation v[MAXV];
    unsigned n;
};

static void report(void *ctx, const struct hv_iso_violation *v)
{
    struct got *g = ctx;
    if (g->n < MAXV)
        g->v[g->n] = *v;
    g->n++;
}

static struct hv_plat_owner own(const char *name, uint64_t base, uint64_t size,
                                enum hv_owner_kind k, uint32_t vmid)
{
    struct hv_plat_owner o;
    memset(&o, 0, sizeof(o));
    snprintf(o.name, sizeof(o.name), "%s", name);
    o.base = base;
    o.size = size;
    o.kind = k;
    o.vmid = vmid;
    o.vms_all = true;
    return o;
}

static struct hv_iso *make(struct got *g, struct hv_plat_owner *o, unsigned n)
{
    struct hv_iso *iso;
    struct hv_iso_config c = {
        .owners = o, .nowners = n, .read = rd, .report = report, .report_ctx = g};
    memset(g, 0, sizeof(*g));
    ck_assert_int_eq(hv_iso_create(&iso, &c), 0);
    return iso;
}

START_TEST(test_owned_memory_is_fine_and_foreign_is_reported)
{
    struct got g;
    build_basic();
    /* VM 1 owns [0x40200000, 0x40400000) and [0x40400000, 0x40410000);
     * 0x40410000.. belongs to VM 2. */
    struct hv_plat_owner o[] = {
        own("vm2", 0x40410000ull, 0x10000, HV_OWNER_VM, 2),
        own("vm1a", 0x40200000ull, 0x200000, HV_OWNER_VM, 1),
        own("vm1b", 0x40400000ull, 0x10000, HV_OWNER_VM, 1),
        own("tables", MEM_BASE, 0x200000, HV_OWNER_HYP, 0),
    };
    struct hv_iso *iso = make(&g, o, 4);
    struct hv_mmu_regs r = regs(L1 | (1ull << 48), VTCR_4K);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 1);
    ck_assert_uint_eq(g.n, 1);
    ck_assert_int_eq(g.v[0].kind, HV_ISO_FOREIGN);
    ck_assert_uint_eq(g.v[0].vmid, 1);
    ck_assert_uint_eq(g.v[0].ipa, 0x205000ull);
    ck_assert_uint_eq(g.v[0].pa, 0x40410000ull);
    ck_assert_uint_eq(g.v[0].size, 0x1000ull);
    ck_assert_str_eq(g.v[0].owner->name, "vm2");
    ck_assert_uint_eq(g.v[0].perms, HV_MMU_R | HV_MMU_X);
    hv_iso_destroy(iso);

    /* The same tables entered as VM 2: everything but the RO page is
     * foreign; the 2 MiB block and the 4-page run each once. */
    iso = make(&g, o, 4);
    r = regs(L1 | (2ull << 48), VTCR_4K);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 2);
    ck_assert_str_eq(g.v[0].owner->name, "vm1a");
    ck_assert_uint_eq(g.v[0].size, 2ull << 20);
    ck_assert_str_eq(g.v[1].owner->name, "vm1b");
    ck_assert_uint_eq(g.v[1].size, 0x4000ull);
    hv_iso_destroy(iso);
}
END_TEST

START_TEST(test_unowned_gap_and_partial_overlap)
{
    struct got g;
    build_basic();
    /* Only half of the 2 MiB block is VM 1's; the rest belongs to no one. */
    struct hv_plat_owner o[] = {
        own("half", 0x40200000ull, 0x100000, HV_OWNER_VM, 1),
        own("pages", 0x40400000ull, 0x20000, HV_OWNER_VM, 1),
    };
    struct hv_iso *iso = make(&g, o, 2);
    struct hv_mmu_regs r = regs(L1 | (1ull << 48), VTCR_4K);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 1);
    ck_assert_ptr_null(g.v[0].owner);
    ck_assert_uint_eq(g.v[0].ipa, 0x100000ull);
    ck_assert_uint_eq(g.v[0].pa, 0x40300000ull);
    ck_assert_uint_eq(g.v[0].size, 0x100000ull);
    hv_iso_destroy(iso);
}
END_TEST

START_TEST(test_shared_and_device_regions)
{
    struct got g;
    build_basic();
    struct hv_plat_owner o[] = {
        own("shm", 0x40200000ull, 0x200000, HV_OWNER_SHARED, 0),
        own("dev", 0x40400000ull, 0x20000, HV_OWNER_DEVICE, 3),
    };
    o[0].vms_all = false;
    o[0].vms[0] = (1u << 1) | (1u << 3); /* VMs 1 and 3 */
    struct hv_iso *iso = make(&g, o, 2);
    struct hv_mmu_regs r = regs(L1 | (3ull << 48), VTCR_4K);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 0); /* VM 3: shared + its device */
    hv_iso_destroy(iso);
    iso = make(&g, o, 2);
    r = regs(L1 | (1ull << 48), VTCR_4K); /* VM 1: shared yes, device of VM 3 no */
    ck_assert_int_eq(hv_iso_enter(iso, &r), 2);
    ck_assert_str_eq(g.v[0].owner->name, "dev");
    ck_assert_uint_eq(g.v[0].size, 0x4000ull);
    ck_assert_str_eq(g.v[1].owner->name, "dev");
    hv_iso_destroy(iso);
    iso = make(&g, o, 2);
    r = regs(L1 | (2ull << 48), VTCR_4K); /* VM 2: not in the shared set */
    ck_assert_int_eq(hv_iso_enter(iso, &r), 3);
    ck_assert_str_eq(g.v[0].owner->name, "shm");
    hv_iso_destroy(iso);
}
END_TEST

START_TEST(test_writable_table_pages)
{
    struct got g;
    build_basic();
    /* VM 1 owns everything in the buffer, tables included, and maps its own
     * level-3 table read/write at IPA 0x209000: a table violation. A
     * read-only mapping of level 2 at 0x20a000 is fine. */
    put(L3 + 8 * 9, L3 | PAGE | NORM | RW | AF);
    put(L3 + 8 * 10, L2 | PAGE | NORM | RO | AF);
    struct hv_plat_owner o[] = {own("vm1", MEM_BASE, MEM_SIZE, HV_OWNER_VM, 1)};
    struct hv_iso *iso = make(&g, o, 1);
    struct hv_mmu_regs r = regs(L1 | (1ull << 48), VTCR_4K);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 1);
    ck_assert_int_eq(g.v[0].kind, HV_ISO_TABLE);
    ck_assert_uint_eq(g.v[0].ipa, 0x209000ull);
    ck_assert_uint_eq(g.v[0].pa, L3);
    ck_assert_uint_eq(g.v[0].size, 0x1000ull);
    ck_assert_uint_eq(g.v[0].table_vmid, 1);
    hv_iso_destroy(iso);
}
END_TEST

START_TEST(test_other_vms_tables)
{
    struct got g;
    build_basic();
    /* VM 2's stage 2 (at 0x40100000) maps VM 1's level-3 table writable. */
    uint64_t l1b = 0x40100000ull, l2b = 0x40101000ull;
    put(l1b, l2b | TABLE);
    put(l2b + 8 * 5, (L3 & ~0x1fffffull) | BLOCK | NORM | RW | AF); /* IPA 0xa00000 */
    struct hv_plat_owner o[] = {own("all", MEM_BASE, MEM_SIZE, HV_OWNER_SHARED, 0)};
    struct hv_iso *iso = make(&g, o, 1);
    struct hv_mmu_regs r1 = regs(L1 | (1ull << 48), VTCR_4K);
    struct hv_mmu_regs r2 = regs(l1b | (2ull << 48), VTCR_4K);
    ck_assert_int_eq(hv_iso_enter(iso, &r1), 0);
    /* VM 2 enters: its block covers every table page of both VMs. */
    int n = hv_iso_enter(iso, &r2);
    ck_assert_int_eq(n, 5);
    unsigned of_vm1 = 0;
    for (unsigned i = 0; i < g.n && i < MAXV; i++) {
        ck_assert_int_eq(g.v[i].kind, HV_ISO_TABLE);
        ck_assert_uint_eq(g.v[i].vmid, 2);
        of_vm1 += g.v[i].table_vmid == 1;
    }
    ck_assert_uint_eq(of_vm1, 3); /* VM 1's L1, L2, L3 */
    hv_iso_destroy(iso);
}
END_TEST

START_TEST(test_replaced_tables_become_memory)
{
    struct got g;
    build_basic();
    /* VM 1 first runs with tables at L1.. (0x40000000..0x40003000). The
     * hypervisor then gives it new tables at 0x40100000 and hands the old
     * table pages to VM 1 as RAM (IPA 0xa00000: a 2 MiB RW block over
     * 0x40000000). The old pages are no longer tables: no violation. */
    struct hv_plat_owner o[] = {own("vm1", MEM_BASE, MEM_SIZE, HV_OWNER_VM, 1)};
    struct hv_iso *iso = make(&g, o, 1);
    struct hv_mmu_regs r1 = regs(L1 | (1ull << 48), VTCR_4K);
    ck_assert_int_eq(hv_iso_enter(iso, &r1), 0);
    uint64_t l1b = 0x40100000ull, l2b = 0x40101000ull;
    put(l1b, l2b | TABLE);
    put(l2b + 8 * 5, MEM_BASE | BLOCK | NORM | RW | AF);
    struct hv_mmu_regs r2 = regs(l1b | (1ull << 48), VTCR_4K);
    /* The new tables themselves are inside that block: 2 violations. */
    ck_assert_int_eq(hv_iso_enter(iso, &r2), 2);
    for (unsigned i = 0; i < 2; i++) {
        ck_assert_int_eq(g.v[i].kind, HV_ISO_TABLE);
        ck_assert(g.v[i].pa == l1b || g.v[i].pa == l2b);
    }
    hv_iso_destroy(iso);
}
END_TEST

START_TEST(test_cache_and_invalidation)
{
    struct got g;
    struct hv_iso_stats st;
    build_basic();
    struct hv_plat_owner o[] = {own("all", MEM_BASE, 1ull << 30, HV_OWNER_VM, 1)};
    struct hv_iso *iso = make(&g, o, 1);
    struct hv_mmu_regs r = regs(L1 | (1ull << 48), VTCR_4K);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 0);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 0);
    hv_iso_get_stats(iso, &st);
    ck_assert_uint_eq(st.walks, 1);
    ck_assert_uint_eq(st.hits, 1);
    /* A TLBI for this VM: the next entry re-walks. */
    hv_iso_invalidate(iso, 1, false);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 0);
    hv_iso_get_stats(iso, &st);
    ck_assert_uint_eq(st.walks, 2);
    /* A TLBI for another VM does not. */
    hv_iso_invalidate(iso, 5, false);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 0);
    hv_iso_get_stats(iso, &st);
    ck_assert_uint_eq(st.walks, 2);
    /* A new entry in a table page without TLBI: found by the page check. */
    put(L3 + 8 * 20, 0x80000000ull | PAGE | NORM | RW | AF); /* outside "all" */
    ck_assert_int_eq(hv_iso_enter(iso, &r), 1);
    ck_assert_ptr_null(g.v[0].owner);
    ck_assert_uint_eq(g.v[0].ipa, 0x214000ull);
    hv_iso_get_stats(iso, &st);
    ck_assert_uint_eq(st.walks, 3);
    /* Another VTTBR (same tables, VMID 1 -> other base bits): a new entry. */
    struct hv_mmu_regs r2 = regs(L1 | (1ull << 48) | 1 /* CnP */, VTCR_4K);
    hv_iso_enter(iso, &r2);
    hv_iso_get_stats(iso, &st);
    ck_assert_uint_eq(st.walks, 4);
    hv_iso_destroy(iso);
}
END_TEST

static const void *mp(void *ctx, uint64_t pa, size_t len)
{
    (void)ctx;
    if (pa < MEM_BASE || pa - MEM_BASE > MEM_SIZE - len)
        return NULL;
    return mem + (pa - MEM_BASE);
}

/* With a host mapping the table pages are write-watched (common/wwatch.h):
 * the answers must be those of the byte comparison. */
START_TEST(test_cache_with_write_watch)
{
    struct got g;
    struct hv_iso_stats st;
    build_basic();
    struct hv_plat_owner o[] = {own("all", MEM_BASE, 1ull << 30, HV_OWNER_VM, 1)};
    struct hv_iso *iso;
    struct hv_iso_config c = {
        .owners = o, .nowners = 1, .read = rd, .map = mp, .report = report, .report_ctx = &g};
    memset(&g, 0, sizeof(g));
    ck_assert_int_eq(hv_iso_create(&iso, &c), 0);
    struct hv_mmu_regs r = regs(L1 | (1ull << 48), VTCR_4K);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 0);
    ck_assert_int_eq(hv_ww_init(), 0); /* the watch is usable here */
    unsigned long f0 = hv_ww_faults();
    ck_assert_int_eq(hv_iso_enter(iso, &r), 0);
    /* A store elsewhere in memory: no fault, still a hit. */
    put(0x40400000ull, 0x1234);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 0);
    ck_assert_uint_eq(hv_ww_faults(), f0);
    /* The same bytes stored into a table: a fault, a compare, a hit. */
    put(L3, 0x40400000ull | PAGE | NORM | RW | AF);
    ck_assert_uint_eq(hv_ww_faults(), f0 + 1);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 0);
    hv_iso_get_stats(iso, &st);
    ck_assert_uint_eq(st.walks, 1);
    ck_assert_uint_eq(st.hits, 3);
    /* A new mapping of foreign memory in the level-3 table: found. */
    put(L3 + 8 * 20, 0x80000000ull | PAGE | NORM | RW | AF);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 1);
    ck_assert_uint_eq(g.v[0].ipa, 0x214000ull);
    ck_assert_uint_eq(g.v[0].pa, 0x80000000ull);
    /* And one in the level-1 table (the same watch as the level-3 one). */
    put(L1 + 8, 0x80000000ull | BLOCK | NORM | RW | AF); /* IPA 1 GiB */
    ck_assert_int_eq(hv_iso_enter(iso, &r), 2);
    hv_iso_get_stats(iso, &st);
    ck_assert_uint_eq(st.walks, 3);
    hv_iso_destroy(iso);
    /* Destroyed: the pages are writable without faults again. */
    f0 = hv_ww_faults();
    memset(mem, 0, 3 * 4096);
    ck_assert_uint_eq(hv_ww_faults(), f0);
}
END_TEST

START_TEST(test_stage2_off_reported_once)
{
    struct got g;
    struct hv_plat_owner o[] = {own("all", MEM_BASE, MEM_SIZE, HV_OWNER_VM, 1)};
    struct hv_iso *iso = make(&g, o, 1);
    struct hv_mmu_regs r = regs(0, 0);
    r.hcr_el2 = 0;
    ck_assert_int_eq(hv_iso_enter(iso, &r), 1);
    ck_assert_int_eq(g.v[0].kind, HV_ISO_NO_STAGE2);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 0);
    hv_iso_destroy(iso);
}
END_TEST

START_TEST(test_report_cap)
{
    struct got g;
    struct hv_iso_stats st;
    memset(mem, 0, sizeof(mem));
    /* 40 separate foreign pages (every other page). */
    put(L1, L2 | TABLE);
    put(L2, L3 | TABLE);
    for (unsigned i = 0; i < 40; i++)
        put(L3 + 16 * i, (0x40400000ull + 0x2000 * i) | PAGE | NORM | RW | AF);
    struct hv_iso *iso;
    struct hv_iso_config c = {.read = rd, .report = report, .report_ctx = &g, .max_reports = 8};
    memset(&g, 0, sizeof(g));
    ck_assert_int_eq(hv_iso_create(&iso, &c), 0);
    struct hv_mmu_regs r = regs(L1 | (1ull << 48), VTCR_4K);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 40);
    ck_assert_uint_eq(g.n, 8);
    hv_iso_get_stats(iso, &st);
    ck_assert_uint_eq(st.suppressed, 32);
    hv_iso_destroy(iso);
}
END_TEST

START_TEST(test_enumerate_is_bounded)
{
    struct hv_iso_s2 s;
    memset(&s, 0, sizeof(s));
    memset(mem, 0, sizeof(mem));
    /* 4K, T0SZ 16, SL0 2: start level 0. T0SZ is clamped to 64 - PAMax =
     * 20 (AArch64.S2MinTxSZ with PAMax 44): a 44-bit IPA, 32 level-0
     * entries. Every entry of every level points at the same page, which
     * holds 512 table descriptors pointing to itself: 32 x 512 x 512
     * level-3 reads, more than the bound. */
    for (unsigned i = 0; i < 512; i++)
        put(L2 + 8 * i, L2 | TABLE);
    struct hv_mmu_regs r = regs(L2, 16ull | (2ull << 6) | (5ull << 16));
    ck_assert_int_eq(hv_iso_enumerate(&r, rd, NULL, &s), 0);
    ck_assert(s.truncated);
    ck_assert_uint_le(s.descriptors, HV_ISO_MAX_DESCRIPTORS);
    /* The page is kept twice: as the 256-byte start table and as a 4 KiB
     * table (reached 16,000 times, copied once). */
    ck_assert_uint_eq(s.ntables, 2);
    hv_iso_s2_free(&s);
}
END_TEST

START_TEST(test_vmid_width)
{
    /* VTTBR_EL2.VMID: bits [55:48]; [63:48] with VTCR_EL2.VS (bit 19). */
    ck_assert_uint_eq(hv_iso_vmid(0xab12000000000000ull, 0), 0x12);
    ck_assert_uint_eq(hv_iso_vmid(0xab12000000000000ull, 1ull << 19), 0xab12);
}
END_TEST

/* ---- 1 GiB in 4 KiB pages: the checker's per-table summaries ------------------ */

/* Tables in the upper half of the buffer: L1 (4 entries), L2, 512 x L3.
 * IPA [1 GiB, 2 GiB) maps, page i, to BIG_DATA + 4 KiB * f(i): f(i) = i
 * (linear) or i * 40503 mod 2^18 (a permutation: no two neighbours
 * adjacent). The data PAs lie outside the buffer: only ownership matters. */
#define BIG_L1   (MEM_BASE + (4ull << 20))
#define BIG_L2   (BIG_L1 + 0x1000)
#define BIG_L3   (BIG_L1 + 0x2000)
#define BIG_DATA 0x100000000ull
#define BIG_IPA  (1ull << 30)
#define BIG_PAGE (PAGE | NORM | RW | AF)

static uint64_t big_f(uint64_t i, bool scatter)
{
    return scatter ? (i * 40503u) & ((1u << 18) - 1) : i;
}

static void build_big(bool scatter)
{
    memset(mem, 0, sizeof(mem));
    put(BIG_L1 + 8, BIG_L2 | TABLE);
    for (unsigned t = 0; t < 512; t++) {
        put(BIG_L2 + 8 * t, (BIG_L3 + 0x1000ull * t) | TABLE);
        for (unsigned e = 0; e < 512; e++)
            put(BIG_L3 + 0x1000ull * t + 8 * e,
                (BIG_DATA + (big_f(t * 512u + e, scatter) << 12)) | BIG_PAGE);
    }
}

/* The descriptor of page i (i = table * 512 + entry). */
static uint64_t big_desc_pa(uint64_t i)
{
    return BIG_L3 + 8 * i;
}

static struct hv_iso *make_mapped(struct got *g, struct hv_plat_owner *o, unsigned n, bool mapped)
{
    struct hv_iso *iso;
    struct hv_iso_config c = {.owners = o,
                              .nowners = n,
                              .read = rd,
                              .map = mapped ? mp : NULL,
                              .report = report,
                              .report_ctx = g};
    memset(g, 0, sizeof(*g));
    ck_assert_int_eq(hv_iso_create(&iso, &c), 0);
    return iso;
}

/* One foreign page among 262,144 scattered ones: exactly that page is
 * reported, and only its table is decoded page by page. With the tables
 * read in place and watched (mapped) and copied (not). */
START_TEST(test_big_scattered_one_foreign)
{
    for (int mapped = 0; mapped < 2; mapped++) {
        struct got g;
        struct hv_iso_stats st;
        build_big(true);
        uint64_t i = 300 * 512 + 7;
        put(big_desc_pa(i), (BIG_DATA + (1ull << 30)) | BIG_PAGE);
        struct hv_plat_owner o[] = {
            own("vm1", BIG_DATA, 1ull << 30, HV_OWNER_VM, 1),
            own("vm2", BIG_DATA + (1ull << 30), 1ull << 20, HV_OWNER_VM, 2),
            own("hyp", MEM_BASE, MEM_SIZE, HV_OWNER_HYP, 0),
        };
        struct hv_iso *iso = make_mapped(&g, o, 3, mapped);
        struct hv_mmu_regs r = regs(BIG_L1 | (1ull << 48), VTCR_4K);
        ck_assert_int_eq(hv_iso_enter(iso, &r), 1);
        ck_assert_int_eq(g.v[0].kind, HV_ISO_FOREIGN);
        ck_assert_uint_eq(g.v[0].ipa, BIG_IPA + (i << 12));
        ck_assert_uint_eq(g.v[0].pa, BIG_DATA + (1ull << 30));
        ck_assert_uint_eq(g.v[0].size, 0x1000);
        ck_assert_ptr_nonnull(g.v[0].owner);
        ck_assert_str_eq(g.v[0].owner->name, "vm2");
        hv_iso_get_stats(iso, &st);
        ck_assert_uint_eq(st.descriptors, 4 + 512 + 512 * 512);
        ck_assert_uint_eq(st.expanded, 1);
        hv_iso_destroy(iso);
    }
}
END_TEST

/* VM 1 owns the GiB but for one page in the middle, which VM 2 owns: every
 * scattered table's range spans the hole, so all are decoded exactly; the
 * one page mapping the hole is the one violation. */
START_TEST(test_big_scattered_region_hole)
{
    struct got g;
    build_big(true);
    const uint64_t hole = 0x12345; /* page number in the GiB */
    struct hv_plat_owner o[] = {
        own("vm1a", BIG_DATA, hole << 12, HV_OWNER_VM, 1),
        own("vm2", BIG_DATA + (hole << 12), 0x1000, HV_OWNER_VM, 2),
        own("vm1b", BIG_DATA + ((hole + 1) << 12), (1ull << 30) - ((hole + 1) << 12), HV_OWNER_VM,
            1),
    };
    uint64_t i = 0;
    while (big_f(i, true) != hole)
        i++;
    struct hv_iso *iso = make_mapped(&g, o, 3, true);
    struct hv_mmu_regs r = regs(BIG_L1 | (1ull << 48), VTCR_4K);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 1);
    ck_assert_uint_eq(g.v[0].ipa, BIG_IPA + (i << 12));
    ck_assert_uint_eq(g.v[0].pa, BIG_DATA + (hole << 12));
    ck_assert_uint_eq(g.v[0].size, 0x1000);
    ck_assert_str_eq(g.v[0].owner->name, "vm2");
    hv_iso_destroy(iso);
}
END_TEST

/* A linear GiB whose run is broken in the middle of a table: one page
 * maps a stage-2 table page of its own VM (writable: a table violation),
 * another maps memory nobody owns. */
START_TEST(test_big_linear_broken_in_the_middle)
{
    for (int mapped = 0; mapped < 2; mapped++) {
        struct got g;
        build_big(false);
        uint64_t a = 200 * 512 + 256, b = 201 * 512 + 100;
        uint64_t l3_5 = BIG_L3 + 5 * 0x1000;
        put(big_desc_pa(a), l3_5 | BIG_PAGE);
        put(big_desc_pa(b), 0x200000000ull | BIG_PAGE);
        struct hv_plat_owner o[] = {
            own("vm1", BIG_DATA, 1ull << 30, HV_OWNER_VM, 1),
            own("vm1tables", MEM_BASE, MEM_SIZE, HV_OWNER_VM, 1),
        };
        struct hv_iso *iso = make_mapped(&g, o, 2, mapped);
        struct hv_mmu_regs r = regs(BIG_L1 | (1ull << 48), VTCR_4K);
        ck_assert_int_eq(hv_iso_enter(iso, &r), 2);
        ck_assert_int_eq(g.v[0].kind, HV_ISO_TABLE);
        ck_assert_uint_eq(g.v[0].ipa, BIG_IPA + (a << 12));
        ck_assert_uint_eq(g.v[0].pa, l3_5);
        ck_assert_uint_eq(g.v[0].size, 0x1000);
        ck_assert_uint_eq(g.v[0].table_vmid, 1);
        ck_assert_int_eq(g.v[1].kind, HV_ISO_FOREIGN);
        ck_assert_uint_eq(g.v[1].ipa, BIG_IPA + (b << 12));
        ck_assert_uint_eq(g.v[1].pa, 0x200000000ull);
        ck_assert_ptr_eq(g.v[1].owner, NULL);
        hv_iso_destroy(iso);
    }
}
END_TEST

/* Read in place and watched: a table page written after the check. The
 * same bytes stored back, or a change undone before the next entry, keep
 * the cached answer (the watch's snapshot of the page compares equal); a
 * real change is enumerated and its foreign page found. */
START_TEST(test_big_table_written_after_caching)
{
    struct got g;
    struct hv_iso_stats st;
    build_big(true);
    struct hv_plat_owner o[] = {own("vm1", BIG_DATA, 1ull << 30, HV_OWNER_VM, 1)};
    struct hv_iso *iso = make_mapped(&g, o, 1, true);
    struct hv_mmu_regs r = regs(BIG_L1 | (1ull << 48), VTCR_4K);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 0);
    ck_assert_int_eq(hv_ww_init(), 0);
    uint64_t i = 400 * 512 + 3, d = (BIG_DATA + (big_f(i, true) << 12)) | BIG_PAGE;
    put(big_desc_pa(i), d); /* the same value */
    ck_assert_int_eq(hv_iso_enter(iso, &r), 0);
    put(big_desc_pa(i), 0x80000000ull | BIG_PAGE); /* changed, then undone */
    put(big_desc_pa(i), d);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 0);
    hv_iso_get_stats(iso, &st);
    ck_assert_uint_eq(st.walks, 1);
    ck_assert_uint_eq(st.hits, 2);
    put(big_desc_pa(i), 0x80000000ull | BIG_PAGE);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 1);
    ck_assert_uint_eq(g.v[0].ipa, BIG_IPA + (i << 12));
    ck_assert_uint_eq(g.v[0].pa, 0x80000000ull);
    hv_iso_get_stats(iso, &st);
    ck_assert_uint_eq(st.walks, 2);
    /* Watched anew after the re-walk: a second change is found too (the
     * next page, to the next PA: one run of two pages). */
    memset(&g, 0, sizeof(g));
    put(big_desc_pa(i + 1), 0x80001000ull | BIG_PAGE);
    ck_assert_int_eq(hv_iso_enter(iso, &r), 1);
    ck_assert_uint_eq(g.v[0].ipa, BIG_IPA + (i << 12));
    ck_assert_uint_eq(g.v[0].size, 0x2000);
    hv_iso_destroy(iso);
}
END_TEST

/* VM 2 (scattered, in place) maps VM 1's level-3 table page writable, and
 * its own table is rewritten after its check, before VM 1 is first
 * entered: the cross-check uses VM 2's tables as they were checked (the
 * watch's snapshot), as VM 2 is re-checked only at its next entry. */
START_TEST(test_other_vm_summary_as_checked)
{
    struct got g;
    build_basic(); /* VM 1: tables at L1, L2, L3 */
    /* VM 2: L1 at +7 MiB, L2, one L3 mapping IPA [0, 2 MiB) to the 512
     * pages [MEM_BASE, +2 MiB), scattered; the page of L3 is among them. */
    uint64_t l1b = MEM_BASE + (7ull << 20), l2b = l1b + 0x1000, l3b = l1b + 0x2000;
    put(l1b, l2b | TABLE);
    put(l2b, l3b | TABLE);
    unsigned at = 0;
    for (unsigned e = 0; e < 512; e++) {
        unsigned f = (e * 37u) & 511;
        put(l3b + 8 * e, (MEM_BASE + 0x1000ull * f) | BIG_PAGE);
        if (MEM_BASE + 0x1000ull * f == L3)
            at = e;
    }
    struct hv_plat_owner o[] = {own("all", MEM_BASE, MEM_SIZE, HV_OWNER_SHARED, 0)};
    struct hv_iso *iso = make_mapped(&g, o, 1, true);
    struct hv_mmu_regs r1 = regs(L1 | (1ull << 48), VTCR_4K);
    struct hv_mmu_regs r2 = regs(l1b | (2ull << 48), VTCR_4K);
    /* VM 2 alone maps pages 0..511 of the buffer: L1, L2, L3 of VM 1 (not
     * yet known as tables); its own tables lie at 7 MiB, beyond what VM 1 maps: clean. */
    ck_assert_int_eq(hv_iso_enter(iso, &r2), 0);
    put(l3b + 8 * at, (MEM_BASE + 0x1ff000ull) | BIG_PAGE); /* rewritten */
    /* VM 1 enters: its L1, L2 and L3 are each mapped writable by VM 2. */
    ck_assert_int_eq(hv_iso_enter(iso, &r1), 3);
    bool saw_l3 = false;
    for (unsigned k = 0; k < 3; k++) {
        ck_assert_int_eq(g.v[k].kind, HV_ISO_TABLE);
        ck_assert_uint_eq(g.v[k].vmid, 2);
        ck_assert_uint_eq(g.v[k].table_vmid, 1);
        if (g.v[k].pa == L3) {
            saw_l3 = true;
            ck_assert_uint_eq(g.v[k].ipa, (uint64_t)at << 12);
        }
    }
    ck_assert(saw_l3);
    hv_iso_destroy(iso);
}
END_TEST

/* A linear table whose PAs start off a 2 MiB boundary: the AND/OR bound
 * of its descriptors, [0x40000000, 0x403ff000], reaches past the region
 * the VM owns; their true least and greatest PAs do not: clean, without a
 * page-by-page decode. One page more, past the region, is found. */
START_TEST(test_summary_bound_tightened)
{
    for (int extra = 0; extra < 2; extra++) {
        struct got g;
        struct hv_iso_stats st;
        memset(mem, 0, sizeof(mem));
        const uint64_t base = 0x80001000ull; /* outside the buffer: ownership only */
        put(L1, L2 | TABLE);
        put(L2, L3 | TABLE);
        for (unsigned e = 0; e < 512; e++)
            put(L3 + 8 * e, (base + 0x1000ull * e) | BIG_PAGE);
        if (extra)
            put(L3 + 8 * 511, (base + 0x1000ull * 512) | BIG_PAGE);
        struct hv_plat_owner o[] = {
            own("vm1", base, 511 * 0x1000ull + (extra ? 0 : 0x1000), HV_OWNER_VM, 1)};
        struct hv_iso *iso = make_mapped(&g, o, 1, false);
        struct hv_mmu_regs r = regs(L1 | (1ull << 48), VTCR_4K);
        ck_assert_int_eq(hv_iso_enter(iso, &r), extra);
        hv_iso_get_stats(iso, &st);
        ck_assert_uint_eq(st.expanded, extra);
        if (extra) {
            ck_assert_uint_eq(g.v[0].ipa, 511 * 0x1000ull);
            ck_assert_uint_eq(g.v[0].pa, base + 512 * 0x1000ull);
            ck_assert_uint_eq(g.v[0].size, 0x1000);
        }
        hv_iso_destroy(iso);
    }
}
END_TEST

/* Two watched stage 2s: a store into VM 2's tables is a write fault, so
 * VM 1's next entry looks at its own watches (clean: still a hit) and VM
 * 2's finds the change. */
START_TEST(test_fault_elsewhere_keeps_hit)
{
    struct got g;
    struct hv_iso_stats st;
    build_basic();
    uint64_t l1b = MEM_BASE + (7ull << 20), l2b = l1b + 0x1000, l3b = l1b + 0x2000;
    put(l1b, l2b | TABLE);
    put(l2b, l3b | TABLE);
    put(l3b, 0x40600000ull | BIG_PAGE);
    struct hv_plat_owner o[] = {own("all", MEM_BASE, MEM_SIZE, HV_OWNER_SHARED, 0)};
    struct hv_iso *iso = make_mapped(&g, o, 1, true);
    struct hv_mmu_regs r1 = regs(L1 | (1ull << 48), VTCR_4K);
    struct hv_mmu_regs r2 = regs(l1b | (2ull << 48), VTCR_4K);
    ck_assert_int_eq(hv_iso_enter(iso, &r1), 0);
    ck_assert_int_eq(hv_iso_enter(iso, &r2), 0);
    ck_assert_int_eq(hv_ww_init(), 0);
    unsigned long f0 = hv_ww_faults();
    put(l3b + 8, 0x80000000ull | BIG_PAGE); /* VM 2 now maps foreign memory */
    ck_assert_uint_eq(hv_ww_faults(), f0 + 1);
    ck_assert_int_eq(hv_iso_enter(iso, &r1), 0);
    hv_iso_get_stats(iso, &st);
    ck_assert_uint_eq(st.walks, 2);
    ck_assert_uint_eq(st.hits, 1);
    ck_assert_int_eq(hv_iso_enter(iso, &r2), 1);
    ck_assert_uint_eq(g.v[0].vmid, 2);
    ck_assert_uint_eq(g.v[0].pa, 0x80000000ull);
    hv_iso_destroy(iso);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("iso");
    TCase *tc = tcase_create("iso");
    tcase_add_test(tc, test_enumerate_runs_and_tables);
    tcase_add_test(tc, test_enumerate_concatenated_and_64k);
    tcase_add_test(tc, test_enumerate_loops_terminate);
    tcase_add_test(tc, test_owned_memory_is_fine_and_foreign_is_reported);
    tcase_add_test(tc, test_unowned_gap_and_partial_overlap);
    tcase_add_test(tc, test_shared_and_device_regions);
    tcase_add_test(tc, test_writable_table_pages);
    tcase_add_test(tc, test_other_vms_tables);
    tcase_add_test(tc, test_replaced_tables_become_memory);
    tcase_add_test(tc, test_cache_and_invalidation);
    tcase_add_test(tc, test_cache_with_write_watch);
    tcase_add_test(tc, test_stage2_off_reported_once);
    tcase_add_test(tc, test_report_cap);
    tcase_add_test(tc, test_enumerate_is_bounded);
    tcase_add_test(tc, test_vmid_width);
    tcase_add_test(tc, test_other_vm_summary_as_checked);
    tcase_add_test(tc, test_summary_bound_tightened);
    tcase_add_test(tc, test_fault_elsewhere_keeps_hit);
    suite_add_tcase(s, tc);
    /* 1 GiB in 4 KiB pages: 262,144 descriptors a check, under the
     * sanitizers on a shared machine. */
    TCase *big = tcase_create("big");
    tcase_set_timeout(big, 60);
    tcase_add_test(big, test_big_scattered_one_foreign);
    tcase_add_test(big, test_big_scattered_region_hole);
    tcase_add_test(big, test_big_linear_broken_in_the_middle);
    tcase_add_test(big, test_big_table_written_after_caching);
    suite_add_tcase(s, big);
    return hv_check_run(s);
}
