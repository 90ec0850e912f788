/* Unit tests for sim/mmu: the VMSAv8-64 translation-table walker.
 *
 * Tables are built in a plain host buffer that stands for PA 0..4 MiB; the
 * read callback indexes it. Every expected value is worked out from the Arm
 * ARM (D8.1-D8.4, the J1 pseudocode, the ESR_ELx DFSC encodings), written
 * down here by hand, never taken from the walker's own output. */
#include <check.h>

#include "check_run.h"
#include <stdlib.h>
#include <string.h>

#include "mmu/mmu.h"

/* ---- Guest "RAM" and descriptor builders -------------------------------- */

#define RAM_SIZE (UINT64_C(4) << 20)
static uint64_t ram[RAM_SIZE / 8];
static unsigned nreads;

static int ram_read(void *ctx, uint64_t pa, uint64_t *out)
{
    (void)ctx;
    nreads++;
    if (pa >= RAM_SIZE || (pa & 7))
        return -1;
    *out = ram[pa / 8];
    return 0;
}

static void put(uint64_t pa, uint64_t v)
{
    ram[pa / 8] = v;
}

#define AF          (UINT64_C(1) << 10)
#define SH_INNER    (UINT64_C(3) << 8)
#define AP(x)       ((uint64_t)(x) << 6)
#define PXN         (UINT64_C(1) << 53)
#define UXN         (UINT64_C(1) << 54)
#define TABLE(a)    ((uint64_t)(a) | 3)
#define BLOCK(a, i) ((uint64_t)(a) | AF | SH_INNER | ((uint64_t)(i) << 2) | 1)
#define PAGE(a, i)  ((uint64_t)(a) | AF | SH_INNER | ((uint64_t)(i) << 2) | 3)
/* Stage 2 leaves: MemAttr[3:0] at [5:2], S2AP at [7:6]. */
#define S2BLOCK(a, ma, s2ap) ((uint64_t)(a) | AF | SH_INNER | ((uint64_t)(ma) << 2) | AP(s2ap) | 1)
#define S2PAGE(a, ma, s2ap)  ((uint64_t)(a) | AF | SH_INNER | ((uint64_t)(ma) << 2) | AP(s2ap) | 3)

/* TCR_EL1: T0SZ[5:0], EPD0[7], TG0[15:14] (0 4K, 1 64K, 2 16K), T1SZ[21:16],
 * EPD1[23], TG1[31:30] (1 16K, 2 4K, 3 64K), IPS[34:32], TBI0[37], TBI1[38]. */
#define TCR_T0SZ(x) ((uint64_t)(x))
#define TCR_TG0_64K (UINT64_C(1) << 14)
#define TCR_TG0_16K (UINT64_C(2) << 14)
#define TCR_T1SZ(x) ((uint64_t)(x) << 16)
#define TCR_EPD0    (UINT64_C(1) << 7)
#define TCR_EPD1    (UINT64_C(1) << 23)
#define TCR_TG1_4K  (UINT64_C(2) << 30)
#define TCR_IPS(x)  ((uint64_t)(x) << 32)
#define TCR_TBI0    (UINT64_C(1) << 37)

#define SCTLR_M   UINT64_C(1)
#define SCTLR_C   (UINT64_C(1) << 2)
#define SCTLR_I   (UINT64_C(1) << 12)
#define SCTLR_WXN (UINT64_C(1) << 19)

#define HCR_VM  UINT64_C(1)
#define HCR_PTW (UINT64_C(1) << 2)
#define HCR_DC  (UINT64_C(1) << 12)

/* VTCR_EL2: T0SZ[5:0], SL0[7:6], TG0[15:14], PS[18:16]. */
#define VTCR(t0sz, sl0, tg0)                                                                       \
    ((uint64_t)(t0sz) | ((uint64_t)(sl0) << 6) | ((uint64_t)(tg0) << 14) | (UINT64_C(5) << 16))

/* MAIR_EL1: Attr0 0x00 Device-nGnRnE, Attr1 0x04 Device-nGnRE, Attr2 0xff
 * Normal WB RA WA, Attr3 0x44 Normal NC, Attr4 0xbb Normal WT RA WA, Attr5
 * 0x0c Device-GRE, Attr6 0x77 Normal WB transient RA WA, Attr7 0xf4 outer WB
 * inner NC. */
#define MAIR UINT64_C(0xf4770cbb44ff0400)

static struct hv_mmu mk(uint64_t tcr, uint64_t ttbr0)
{
    struct hv_mmu m = {.read64 = ram_read};
    m.regs.sctlr_el1 = SCTLR_M | SCTLR_C | SCTLR_I;
    m.regs.tcr_el1 = tcr;
    m.regs.ttbr0_el1 = ttbr0;
    m.regs.mair_el1 = MAIR;
    return m;
}

static int xlate(const struct hv_mmu *m, uint64_t va, enum hv_mmu_acc_type t, unsigned el,
                 struct hv_mmu_result *r)
{
    struct hv_mmu_access a = {.va = va, .type = t, .el = el};
    nreads = 0;
    return hv_mmu_translate(m, &a, r);
}

#define ck_fault(r, typ, stg, lvl, fscv)                                                           \
    do {                                                                                           \
        ck_assert_int_eq((r).fault.type, (typ));                                                   \
        ck_assert_uint_eq((r).fault.stage, (stg));                                                 \
        ck_assert_int_eq((r).fault.level, (lvl));                                                  \
        ck_assert_uint_eq((r).fault.fsc, (fscv));                                                  \
    } while (0)

static void setup(void)
{
    memset(ram, 0, sizeof(ram));
    nreads = 0;
}

/* Step recorder. */
static struct hv_mmu_step steps[64];
static unsigned nsteps;

static void record(void *ctx, const struct hv_mmu_step *s)
{
    (void)ctx;
    if (nsteps < 64)
        steps[nsteps] = *s;
    nsteps++;
}

/* ---- 4K granule ------------------------------------------------------- */

/* 4K, T0SZ=25: a 39-bit VA, start level 1 (AArch64.S1StartLevel: 3 -
 * (38 - 12) / 9 = 1). L1 index VA[38:30], L2 index VA[29:21]; a level-2
 * block maps 2 MiB: VA 0x40201234 → L1[1] → L2[1] = block 0x40600000 →
 * PA 0x40601234. */
static void build_4k_l2_block(void)
{
    put(0x1000 + 1 * 8, TABLE(0x2000));
    put(0x2000 + 1 * 8, BLOCK(0x40600000, 2) | AP(0));
}

START_TEST(test_4k_level2_block)
{
    struct hv_mmu m = mk(TCR_T0SZ(25) | TCR_IPS(5) | TCR_EPD1, 0x1000);
    struct hv_mmu_result r;
    build_4k_l2_block();
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), 0);
    ck_assert_uint_eq(r.pa, 0x40601234);
    ck_assert_uint_eq(r.size, 2u << 20);
    ck_assert_uint_eq(nreads, 2);
    /* AP[2:1] = 00: EL1 read/write, no EL0 data access; executable at EL1,
     * and execute-only at EL0 since UXN = 0 (EL0 execute permission does not
     * depend on EL0 read permission: AArch64.S1DirectBasePermissions). */
    ck_assert_uint_eq(r.perms.priv, HV_MMU_R | HV_MMU_W | HV_MMU_X);
    ck_assert_uint_eq(r.perms.unpriv, HV_MMU_X);
    ck_assert_int_eq(r.attr.type, HV_MMU_MEM_NORMAL);
    ck_assert_int_eq(r.attr.inner.cache, HV_MMU_CACHE_WB);
    ck_assert_int_eq(r.attr.sh, HV_MMU_SH_INNER);
    ck_assert_uint_eq(r.fault.type, HV_MMU_FAULT_NONE);
    /* EL0 has no access: Permission fault, level 2, DFSC 0b001110. */
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 0, &r), -1);
    ck_fault(r, HV_MMU_FAULT_PERMISSION, 1, 2, 0x0e);
    ck_assert_uint_eq(r.fault.target_el, 1);
    ck_assert(!r.fault.s1ptw);
}
END_TEST

/* A level-1 block maps 1 GiB: VA 0x80123456 (L1 index 2) → 0xc0000000. */
START_TEST(test_4k_level1_block)
{
    struct hv_mmu m = mk(TCR_T0SZ(25) | TCR_IPS(5), 0x1000);
    struct hv_mmu_result r;
    put(0x1000 + 2 * 8, BLOCK(0xc0000000, 2));
    ck_assert_int_eq(xlate(&m, 0x80123456, HV_MMU_READ, 1, &r), 0);
    ck_assert_uint_eq(r.pa, 0xc0123456);
    ck_assert_uint_eq(r.size, 1u << 30);
    ck_assert_uint_eq(nreads, 1);
}
END_TEST

/* 4K, T0SZ=16: 48-bit VA, start level 0, four levels to a 4 KiB page. VA
 * with indexes L0=2 (VA[47:39]), L1=3, L2=4, L3=5, offset 0xabc. The step
 * report lists levels 0..3, those indexes and descriptor addresses
 * table + 8 * index. */
START_TEST(test_4k_four_levels_and_steps)
{
    struct hv_mmu m = mk(TCR_T0SZ(16) | TCR_IPS(5), 0x10000);
    struct hv_mmu_result r;
    uint64_t va = (UINT64_C(2) << 39) | (UINT64_C(3) << 30) | (UINT64_C(4) << 21) |
                  (UINT64_C(5) << 12) | 0xabc;
    put(0x10000 + 2 * 8, TABLE(0x11000));
    put(0x11000 + 3 * 8, TABLE(0x12000));
    put(0x12000 + 4 * 8, TABLE(0x13000));
    put(0x13000 + 5 * 8, PAGE(0x76543000, 2) | AP(1));
    m.step = record;
    nsteps = 0;
    ck_assert_int_eq(xlate(&m, va, HV_MMU_READ, 0, &r), 0);
    ck_assert_uint_eq(r.pa, 0x76543abc);
    ck_assert_uint_eq(r.size, 4096);
    ck_assert_uint_eq(nreads, 4);
    ck_assert_uint_eq(nsteps, 4);
    static const uint64_t tables[4] = {0x10000, 0x11000, 0x12000, 0x13000};
    for (unsigned i = 0; i < 4; i++) {
        ck_assert_uint_eq(steps[i].stage, 1);
        ck_assert_int_eq(steps[i].level, (int)i);
        ck_assert_uint_eq(steps[i].index, i + 2);
        ck_assert_uint_eq(steps[i].table, tables[i]);
        ck_assert_uint_eq(steps[i].desc_addr, tables[i] + 8 * (i + 2));
        ck_assert_uint_eq(steps[i].desc_pa, tables[i] + 8 * (i + 2));
        ck_assert_int_eq(steps[i].kind, i < 3 ? HV_MMU_DESC_TABLE : HV_MMU_DESC_PAGE);
    }
    ck_assert_uint_eq(steps[0].out, 0x11000);
    ck_assert_uint_eq(steps[3].out, 0x76543abc);
    ck_assert_uint_eq(steps[3].ap, 1);
    ck_assert_uint_eq(steps[3].attr, 2);
    ck_assert_uint_eq(steps[3].af, 1);
    /* AP = 01: EL0 and EL1 read/write; EL1 may not execute EL0-writable
     * memory (Arm ARM D8.4), EL0 may. */
    ck_assert_uint_eq(r.perms.unpriv, HV_MMU_R | HV_MMU_W | HV_MMU_X);
    ck_assert_uint_eq(r.perms.priv, HV_MMU_R | HV_MMU_W);
}
END_TEST

/* Invalid descriptors at each level: Translation fault at that level,
 * DFSC 0b0001LL. Level 0 blocks (4K) and 0b01 at level 3 are reserved. */
START_TEST(test_4k_translation_faults_each_level)
{
    struct hv_mmu m = mk(TCR_T0SZ(16) | TCR_IPS(5), 0x10000);
    struct hv_mmu_result r;
    ck_assert_int_eq(xlate(&m, 0, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 0, 0x04);
    put(0x10000, TABLE(0x11000));
    ck_assert_int_eq(xlate(&m, 0, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 1, 0x05);
    put(0x11000, TABLE(0x12000));
    ck_assert_int_eq(xlate(&m, 0, HV_MMU_WRITE, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 2, 0x06);
    put(0x12000, TABLE(0x13000));
    ck_assert_int_eq(xlate(&m, 0, HV_MMU_EXEC, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 3, 0x07);
    /* 0b01 at level 3 is reserved: a level 3 Translation fault. */
    put(0x13000, 0x40000000 | AF | 1);
    ck_assert_int_eq(xlate(&m, 0, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 3, 0x07);
    /* A block at level 0 does not exist with 4K (without FEAT_LPA2). */
    put(0x10000, BLOCK(0, 2));
    ck_assert_int_eq(xlate(&m, 0, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 0, 0x04);
    /* 0b10 (bit 0 clear) is invalid whatever else is set. */
    put(0x10000, ~UINT64_C(1));
    ck_assert_int_eq(xlate(&m, 0, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 0, 0x04);
}
END_TEST

/* ---- 16K and 64K granules --------------------------------------------- */

/* 16K, T0SZ=17: iasize 47, start level 3 - (46 - 14) / 11 = 1. L1 index
 * VA[46:36], L2 VA[35:25], L3 VA[24:14]; a page is 16 KiB, a level-2
 * block 32 MiB. */
START_TEST(test_16k_page_and_block)
{
    struct hv_mmu m = mk(TCR_T0SZ(17) | TCR_TG0_16K | TCR_IPS(5), 0x20000);
    struct hv_mmu_result r;
    uint64_t va = (UINT64_C(1) << 36) | (UINT64_C(2) << 25) | (UINT64_C(3) << 14) | 0x1234;
    put(0x20000 + 1 * 8, TABLE(0x24000));
    put(0x24000 + 2 * 8, TABLE(0x28000));
    put(0x28000 + 3 * 8, PAGE(0x12348000, 2));
    m.step = record;
    nsteps = 0;
    ck_assert_int_eq(xlate(&m, va, HV_MMU_READ, 1, &r), 0);
    ck_assert_uint_eq(r.pa, 0x12349234);
    ck_assert_uint_eq(r.size, 16384);
    ck_assert_uint_eq(nsteps, 3);
    ck_assert_int_eq(steps[0].level, 1);
    ck_assert_uint_eq(steps[0].index, 1);
    ck_assert_int_eq(steps[2].level, 3);
    ck_assert_uint_eq(steps[2].index, 3);
    /* Level-2 block: 32 MiB. */
    put(0x24000 + 5 * 8, BLOCK(0x40000000, 2));
    va = (UINT64_C(1) << 36) | (UINT64_C(5) << 25) | 0x123456;
    ck_assert_int_eq(xlate(&m, va, HV_MMU_READ, 1, &r), 0);
    ck_assert_uint_eq(r.pa, 0x40123456);
    ck_assert_uint_eq(r.size, 32u << 20);
    /* A level-1 block needs FEAT_LPA2 with 16K: Translation fault level 1. */
    put(0x20000 + 6 * 8, BLOCK(0x1000000000, 2));
    ck_assert_int_eq(xlate(&m, UINT64_C(6) << 36, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 1, 0x05);
}
END_TEST

/* 16K, T0SZ=16: iasize 48, start level 0 whose table has 2 entries,
 * indexed by VA[47]. */
START_TEST(test_16k_level0)
{
    struct hv_mmu m = mk(TCR_T0SZ(16) | TCR_TG0_16K | TCR_IPS(5), 0x20000);
    struct hv_mmu_result r;
    m.step = record;
    nsteps = 0;
    put(0x20000 + 8, TABLE(0x24000));
    ck_assert_int_eq(xlate(&m, UINT64_C(1) << 47, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 1, 0x05);
    ck_assert_uint_eq(nsteps, 2);
    ck_assert_int_eq(steps[0].level, 0);
    ck_assert_uint_eq(steps[0].index, 1);
    ck_assert_int_eq(steps[1].level, 1);
    ck_assert_uint_eq(steps[1].table, 0x24000);
}
END_TEST

/* 64K, T0SZ=22: iasize 42, start level 3 - (41 - 16) / 13 = 2. L2 index
 * VA[41:29], L3 VA[28:16]; a page is 64 KiB, a level-2 block 512 MiB. */
START_TEST(test_64k_page_and_block)
{
    struct hv_mmu m = mk(TCR_T0SZ(22) | TCR_TG0_64K | TCR_IPS(5), 0x30000);
    struct hv_mmu_result r;
    uint64_t va = (UINT64_C(3) << 29) | (UINT64_C(7) << 16) | 0x4321;
    put(0x30000 + 3 * 8, TABLE(0x40000));
    put(0x40000 + 7 * 8, PAGE(0x55550000, 2));
    ck_assert_int_eq(xlate(&m, va, HV_MMU_READ, 1, &r), 0);
    ck_assert_uint_eq(r.pa, 0x55554321);
    ck_assert_uint_eq(r.size, 65536);
    put(0x30000 + 1 * 8, BLOCK(0x60000000, 2));
    ck_assert_int_eq(xlate(&m, (UINT64_C(1) << 29) | 0x1234567, HV_MMU_READ, 1, &r), 0);
    ck_assert_uint_eq(r.pa, 0x61234567);
    ck_assert_uint_eq(r.size, 512u << 20);
    /* With 64K, descriptor bits[15:12] are OA[51:48] (FEAT_LPA): set, with a
     * 48-bit PA, they are an Address size fault at the descriptor's level. */
    put(0x40000 + 7 * 8, PAGE(0x55550000, 2) | (UINT64_C(1) << 12));
    ck_assert_int_eq(xlate(&m, va, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_ADDRESS_SIZE, 1, 3, 0x03);
}
END_TEST

/* 64K, T0SZ=16: start level 1 with a 64-entry table indexed by VA[47:42]. */
START_TEST(test_64k_level1)
{
    struct hv_mmu m = mk(TCR_T0SZ(16) | TCR_TG0_64K | TCR_IPS(5), 0x30000);
    struct hv_mmu_result r;
    m.step = record;
    nsteps = 0;
    ck_assert_int_eq(xlate(&m, UINT64_C(0x3f) << 42, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 1, 0x05);
    ck_assert_uint_eq(nsteps, 1);
    ck_assert_uint_eq(steps[0].index, 63);
    ck_assert_uint_eq(steps[0].desc_addr, 0x30000 + 63 * 8);
    /* A level-1 block needs 52-bit PAs with 64K: Translation fault. */
    put(0x30000 + 63 * 8, BLOCK(0, 2));
    ck_assert_int_eq(xlate(&m, UINT64_C(0x3f) << 42, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 1, 0x05);
}
END_TEST

/* ---- VA ranges ----------------------------------------------------------- */

/* TTBR1 covers VA[63:39] all ones (T1SZ=25), chosen by VA[55]. The hole
 * between the ranges, and a VA[55]=1 address not all ones above bit 39,
 * are level 0 Translation faults (AArch64.VAIsOutOfRange). */
START_TEST(test_ttbr1_and_va_ranges)
{
    struct hv_mmu m = mk(TCR_T0SZ(25) | TCR_T1SZ(25) | TCR_TG1_4K | TCR_IPS(5), 0x1000);
    struct hv_mmu_result r;
    m.regs.ttbr1_el1 = 0x50000;
    build_4k_l2_block();
    put(0x50000 + 1 * 8, TABLE(0x51000));
    put(0x51000 + 1 * 8, BLOCK(0x40a00000, 2));
    ck_assert_int_eq(xlate(&m, UINT64_C(0xffffff8040201234), HV_MMU_READ, 1, &r), 0);
    ck_assert_uint_eq(r.pa, 0x40a01234);
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), 0);
    ck_assert_uint_eq(r.pa, 0x40601234);
    ck_assert_int_eq(xlate(&m, UINT64_C(0x0000008000000000), HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 0, 0x04);
    ck_assert_uint_eq(nreads, 0);
    ck_assert_int_eq(xlate(&m, UINT64_C(0xffff000000000000), HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 0, 0x04);
    ck_assert_int_eq(xlate(&m, UINT64_C(0x0080000040201234), HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 0, 0x04);
    /* EPD1: walks through TTBR1 disabled → level 0 Translation fault. */
    m.regs.tcr_el1 |= TCR_EPD1;
    ck_assert_int_eq(xlate(&m, UINT64_C(0xffffff8040201234), HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 0, 0x04);
    m.regs.tcr_el1 |= TCR_EPD0;
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 0, 0x04);
}
END_TEST

/* TBI0: the top byte is ignored (AddrTop = 55); without it the tag puts
 * the VA out of range. */
START_TEST(test_tbi)
{
    struct hv_mmu m = mk(TCR_T0SZ(25) | TCR_IPS(5), 0x1000);
    struct hv_mmu_result r;
    build_4k_l2_block();
    ck_assert_int_eq(xlate(&m, UINT64_C(0x5a00000040201234), HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 0, 0x04);
    m.regs.tcr_el1 |= TCR_TBI0;
    ck_assert_int_eq(xlate(&m, UINT64_C(0x5a00000040201234), HV_MMU_READ, 1, &r), 0);
    ck_assert_uint_eq(r.pa, 0x40601234);
}
END_TEST

/* Out-of-range TxSZ is clamped (documented choice): T0SZ=0 acts as 16,
 * T0SZ=63 as 39 (start level 2 with 4K: 3 - (24 - 12) / 9 = 2). */
START_TEST(test_txsz_clamped)
{
    struct hv_mmu m = mk(TCR_T0SZ(63) | TCR_IPS(5), 0x1000);
    struct hv_mmu_result r;
    /* T0SZ=39 → 25-bit VA, L2 index VA[24:21]. */
    put(0x1000 + 3 * 8, BLOCK(0x40000000, 2));
    ck_assert_int_eq(xlate(&m, (UINT64_C(3) << 21) | 0x55, HV_MMU_READ, 1, &r), 0);
    ck_assert_uint_eq(r.pa, 0x40000055);
    ck_assert_int_eq(xlate(&m, UINT64_C(1) << 25, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 0, 0x04);
    m.regs.tcr_el1 = TCR_T0SZ(0) | TCR_IPS(5);
    ck_assert_int_eq(xlate(&m, UINT64_C(1) << 48, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 0, 0x04);
    ck_assert_int_eq(xlate(&m, UINT64_C(1) << 47, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 0, 0x04); /* L0[256] invalid */
    ck_assert_uint_eq(nreads, 1);
}
END_TEST

/* ---- Permissions, AF ----------------------------------------------------- */

static void build_pages(void)
{
    put(0x1000, TABLE(0x2000));
    put(0x2000, TABLE(0x3000));
    put(0x3000 + 0 * 8, PAGE(0x100000, 2) | AP(0));
    put(0x3000 + 1 * 8, PAGE(0x101000, 2) | AP(1));
    put(0x3000 + 2 * 8, PAGE(0x102000, 2) | AP(2));
    put(0x3000 + 3 * 8, PAGE(0x103000, 2) | AP(3));
    put(0x3000 + 4 * 8, PAGE(0x104000, 2) | AP(0) | PXN);
    put(0x3000 + 5 * 8, PAGE(0x105000, 2) | AP(3) | UXN);
    put(0x3000 + 6 * 8, (PAGE(0x106000, 2) | AP(0)) & ~AF);
    put(0x3000 + 7 * 8, (PAGE(0x107000, 2) | AP(2)) & ~AF);
}

START_TEST(test_s1_permissions)
{
    struct hv_mmu m = mk(TCR_T0SZ(25) | TCR_IPS(5), 0x1000);
    struct hv_mmu_result r;
    struct hv_mmu_access ldtr = {.va = 0x0000, .type = HV_MMU_READ, .el = 1, .unpriv = true};
    build_pages();
    /* AP=00 */
    ck_assert_int_eq(xlate(&m, 0x0000, HV_MMU_WRITE, 1, &r), 0);
    ck_assert_int_eq(xlate(&m, 0x0000, HV_MMU_EXEC, 1, &r), 0);
    ck_assert_int_eq(xlate(&m, 0x0000, HV_MMU_READ, 0, &r), -1);
    ck_fault(r, HV_MMU_FAULT_PERMISSION, 1, 3, 0x0f);
    ck_assert_int_eq(hv_mmu_translate(&m, &ldtr, &r), -1); /* LDTR: EL0 rules */
    ck_fault(r, HV_MMU_FAULT_PERMISSION, 1, 3, 0x0f);
    /* AP=01: EL0 RW; EL1 cannot execute EL0-writable memory. */
    ck_assert_int_eq(xlate(&m, 0x1000, HV_MMU_WRITE, 0, &r), 0);
    ck_assert_int_eq(xlate(&m, 0x1000, HV_MMU_EXEC, 0, &r), 0);
    ck_assert_int_eq(xlate(&m, 0x1000, HV_MMU_EXEC, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_PERMISSION, 1, 3, 0x0f);
    /* AP=10: EL1 read-only. */
    ck_assert_int_eq(xlate(&m, 0x2000, HV_MMU_READ, 1, &r), 0);
    ck_assert_uint_eq(r.perms.priv, HV_MMU_R | HV_MMU_X);
    ck_assert_int_eq(xlate(&m, 0x2000, HV_MMU_WRITE, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_PERMISSION, 1, 3, 0x0f);
    /* AP=11: read-only at both. */
    ck_assert_int_eq(xlate(&m, 0x3000, HV_MMU_READ, 0, &r), 0);
    ck_assert_uint_eq(r.perms.unpriv, HV_MMU_R | HV_MMU_X);
    ck_assert_int_eq(xlate(&m, 0x3000, HV_MMU_WRITE, 0, &r), -1);
    ldtr.va = 0x3000;
    ck_assert_int_eq(hv_mmu_translate(&m, &ldtr, &r), 0);
    /* PXN / UXN */
    ck_assert_int_eq(xlate(&m, 0x4000, HV_MMU_EXEC, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_PERMISSION, 1, 3, 0x0f);
    ck_assert_int_eq(xlate(&m, 0x5000, HV_MMU_EXEC, 0, &r), -1);
    ck_assert_int_eq(xlate(&m, 0x5000, HV_MMU_EXEC, 1, &r), 0);
    /* WXN: writable memory is execute-never. */
    m.regs.sctlr_el1 |= SCTLR_WXN;
    ck_assert_int_eq(xlate(&m, 0x0000, HV_MMU_EXEC, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_PERMISSION, 1, 3, 0x0f);
    ck_assert_int_eq(xlate(&m, 0x2000, HV_MMU_EXEC, 1, &r), 0);
}
END_TEST

/* AF = 0 is an Access flag fault at the leaf's level (no hardware update),
 * and it takes priority over a Permission fault. */
START_TEST(test_access_flag)
{
    struct hv_mmu m = mk(TCR_T0SZ(25) | TCR_IPS(5), 0x1000);
    struct hv_mmu_result r;
    build_pages();
    ck_assert_int_eq(xlate(&m, 0x6000, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_ACCESS_FLAG, 1, 3, 0x0b);
    ck_assert_int_eq(xlate(&m, 0x7000, HV_MMU_WRITE, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_ACCESS_FLAG, 1, 3, 0x0b);
    put(0x2000 + 8, BLOCK(0x40000000, 2) & ~AF);
    ck_assert_int_eq(xlate(&m, 0x200000, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_ACCESS_FLAG, 1, 2, 0x0a);
}
END_TEST

/* Hierarchical attributes: APTable[1] (bit 62) forces read-only,
 * APTable[0] (61) removes EL0 access, UXNTable (60), PXNTable (59). */
START_TEST(test_table_attributes)
{
    struct hv_mmu m = mk(TCR_T0SZ(25) | TCR_IPS(5), 0x1000);
    struct hv_mmu_result r;
    put(0x1000, TABLE(0x2000));
    put(0x2000 + 0 * 8, TABLE(0x3000) | (UINT64_C(2) << 61));
    put(0x2000 + 1 * 8, TABLE(0x4000) | (UINT64_C(1) << 61));
    put(0x2000 + 2 * 8, TABLE(0x5000) | (UINT64_C(1) << 60));
    put(0x2000 + 3 * 8, TABLE(0x6000) | (UINT64_C(1) << 59));
    put(0x3000, PAGE(0x100000, 2) | AP(1));
    put(0x4000, PAGE(0x100000, 2) | AP(1));
    put(0x5000, PAGE(0x100000, 2) | AP(3));
    put(0x6000, PAGE(0x100000, 2) | AP(0));
    ck_assert_int_eq(xlate(&m, 0x000000, HV_MMU_WRITE, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_PERMISSION, 1, 3, 0x0f);
    ck_assert_int_eq(xlate(&m, 0x000000, HV_MMU_READ, 0, &r), 0);
    ck_assert_int_eq(xlate(&m, 0x200000, HV_MMU_READ, 0, &r), -1);
    ck_assert_int_eq(xlate(&m, 0x200000, HV_MMU_WRITE, 1, &r), 0);
    ck_assert_int_eq(xlate(&m, 0x400000, HV_MMU_EXEC, 0, &r), -1);
    ck_assert_int_eq(xlate(&m, 0x400000, HV_MMU_EXEC, 1, &r), 0);
    ck_assert_int_eq(xlate(&m, 0x600000, HV_MMU_EXEC, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_PERMISSION, 1, 3, 0x0f);
}
END_TEST

/* ---- Address size, external abort, MAIR --------------------------------- */

START_TEST(test_address_size_faults)
{
    /* IPS = 0b000: 32-bit output. */
    struct hv_mmu m = mk(TCR_T0SZ(25) | TCR_IPS(0), 0x1000);
    struct hv_mmu_result r;
    put(0x1000 + 8, TABLE(0x2000));
    put(0x2000 + 8, BLOCK(UINT64_C(0x100000000), 2));
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_ADDRESS_SIZE, 1, 2, 0x02);
    /* A next-level table above 4 GiB: at the table descriptor's level. */
    put(0x1000 + 8, TABLE(UINT64_C(0x200000000)));
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_ADDRESS_SIZE, 1, 1, 0x01);
    /* TTBR0 above the range: level 0 Address size fault, before any read. */
    m.regs.ttbr0_el1 = UINT64_C(0x100001000);
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_ADDRESS_SIZE, 1, 0, 0x00);
    ck_assert_uint_eq(nreads, 0);
    /* IPS = 48 bits but PAMax = 36: capped (AArch64.PhysicalAddressSize). */
    m.regs.tcr_el1 = TCR_T0SZ(25) | TCR_IPS(5);
    m.regs.ttbr0_el1 = 0x1000;
    m.regs.pa_bits = 36;
    put(0x1000 + 8, TABLE(0x2000));
    put(0x2000 + 8, BLOCK(UINT64_C(0x1000000000), 2));
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_ADDRESS_SIZE, 1, 2, 0x02);
    /* ASID bits in TTBR[63:48] are not part of the base address. */
    m.regs.pa_bits = 48;
    m.regs.ttbr0_el1 = 0x1000 | (UINT64_C(0xabcd) << 48);
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), 0);
}
END_TEST

/* Tables outside RAM: the read callback fails → synchronous External abort
 * on the translation table walk, DFSC 0b0101LL. */
START_TEST(test_external_abort_on_walk)
{
    struct hv_mmu m = mk(TCR_T0SZ(25) | TCR_IPS(5), 0x80000000);
    struct hv_mmu_result r;
    m.step = record;
    nsteps = 0;
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_EXT_ABORT_WALK, 1, 1, 0x15);
    ck_assert_uint_eq(nsteps, 1);
    ck_assert_int_eq(steps[0].kind, HV_MMU_DESC_UNREAD);
    m.regs.ttbr0_el1 = 0x1000;
    put(0x1000 + 8, TABLE(0x90000000));
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_EXT_ABORT_WALK, 1, 2, 0x16);
}
END_TEST

START_TEST(test_mair_decoding)
{
    struct hv_mmu m = mk(TCR_T0SZ(25) | TCR_IPS(5), 0x1000);
    struct hv_mmu_result r;
    put(0x1000, TABLE(0x2000));
    put(0x2000, TABLE(0x3000));
    for (unsigned i = 0; i < 8; i++)
        put(0x3000 + 8 * i, PAGE(0x100000 + 0x1000 * i, i));
    /* Attr0 0x00: Device-nGnRnE, always Outer Shareable. */
    ck_assert_int_eq(xlate(&m, 0x0000, HV_MMU_READ, 1, &r), 0);
    ck_assert_int_eq(r.attr.type, HV_MMU_MEM_DEVICE);
    ck_assert_int_eq(r.attr.device, HV_MMU_DEV_nGnRnE);
    ck_assert_int_eq(r.attr.sh, HV_MMU_SH_OUTER);
    ck_assert_uint_eq(r.mair_attr, 0x00);
    /* Attr1 0x04: Device-nGnRE. */
    ck_assert_int_eq(xlate(&m, 0x1000, HV_MMU_READ, 1, &r), 0);
    ck_assert_int_eq(r.attr.device, HV_MMU_DEV_nGnRE);
    /* Attr2 0xff: Normal Inner/Outer WB non-transient RA WA; SH from the
     * descriptor (Inner). */
    ck_assert_int_eq(xlate(&m, 0x2000, HV_MMU_READ, 1, &r), 0);
    ck_assert_int_eq(r.attr.type, HV_MMU_MEM_NORMAL);
    ck_assert_int_eq(r.attr.inner.cache, HV_MMU_CACHE_WB);
    ck_assert_int_eq(r.attr.outer.cache, HV_MMU_CACHE_WB);
    ck_assert(r.attr.inner.ra && r.attr.inner.wa && !r.attr.inner.transient);
    ck_assert_int_eq(r.attr.sh, HV_MMU_SH_INNER);
    ck_assert_uint_eq(r.mair_attr, 0xff);
    /* Attr3 0x44: Normal NC; Inner+Outer NC is effectively Outer Shareable. */
    ck_assert_int_eq(xlate(&m, 0x3000, HV_MMU_READ, 1, &r), 0);
    ck_assert_int_eq(r.attr.inner.cache, HV_MMU_CACHE_NC);
    ck_assert_int_eq(r.attr.outer.cache, HV_MMU_CACHE_NC);
    ck_assert_int_eq(r.attr.sh, HV_MMU_SH_OUTER);
    /* Attr4 0xbb: WT non-transient RA WA. */
    ck_assert_int_eq(xlate(&m, 0x4000, HV_MMU_READ, 1, &r), 0);
    ck_assert_int_eq(r.attr.inner.cache, HV_MMU_CACHE_WT);
    ck_assert(r.attr.inner.ra && r.attr.inner.wa && !r.attr.inner.transient);
    /* Attr5 0x0c: Device-GRE. */
    ck_assert_int_eq(xlate(&m, 0x5000, HV_MMU_READ, 1, &r), 0);
    ck_assert_int_eq(r.attr.type, HV_MMU_MEM_DEVICE);
    ck_assert_int_eq(r.attr.device, HV_MMU_DEV_GRE);
    /* Attr6 0x77: WB transient RA WA. */
    ck_assert_int_eq(xlate(&m, 0x6000, HV_MMU_READ, 1, &r), 0);
    ck_assert_int_eq(r.attr.inner.cache, HV_MMU_CACHE_WB);
    ck_assert(r.attr.inner.transient);
    /* Attr7 0xf4: outer WB, inner NC. */
    ck_assert_int_eq(xlate(&m, 0x7000, HV_MMU_READ, 1, &r), 0);
    ck_assert_int_eq(r.attr.outer.cache, HV_MMU_CACHE_WB);
    ck_assert_int_eq(r.attr.inner.cache, HV_MMU_CACHE_NC);
    /* SCTLR_EL1.C = 0: Normal data accesses are Non-cacheable; fetches
     * follow SCTLR_EL1.I. */
    m.regs.sctlr_el1 = SCTLR_M | SCTLR_I;
    ck_assert_int_eq(xlate(&m, 0x2000, HV_MMU_READ, 1, &r), 0);
    ck_assert_int_eq(r.attr.inner.cache, HV_MMU_CACHE_NC);
    ck_assert_int_eq(xlate(&m, 0x2000, HV_MMU_EXEC, 1, &r), 0);
    ck_assert_int_eq(r.attr.inner.cache, HV_MMU_CACHE_WB);
}
END_TEST

/* Stage 1 off (SCTLR_EL1.M = 0): flat; data Device-nGnRnE, fetches Normal
 * (NC with SCTLR.I = 0); VA[63:PAMax] nonzero → level 0 Address size. */
START_TEST(test_s1_disabled)
{
    struct hv_mmu m = mk(0, 0);
    struct hv_mmu_result r;
    m.regs.sctlr_el1 = 0;
    ck_assert_int_eq(xlate(&m, 0x12345678, HV_MMU_READ, 0, &r), 0);
    ck_assert_uint_eq(r.pa, 0x12345678);
    ck_assert(!r.s1_enabled);
    ck_assert_int_eq(r.attr.type, HV_MMU_MEM_DEVICE);
    ck_assert_int_eq(r.attr.device, HV_MMU_DEV_nGnRnE);
    ck_assert_int_eq(xlate(&m, 0x12345678, HV_MMU_EXEC, 1, &r), 0);
    ck_assert_int_eq(r.attr.type, HV_MMU_MEM_NORMAL);
    ck_assert_int_eq(r.attr.inner.cache, HV_MMU_CACHE_NC);
    ck_assert_int_eq(xlate(&m, UINT64_C(1) << 48, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_ADDRESS_SIZE, 1, 0, 0x00);
    ck_assert_uint_eq(nreads, 0);
}
END_TEST

/* EL2 (non-VHE): one VA range from TTBR0_EL2, AP[1] ignored, XN = bit 54,
 * no stage 2 even with HCR_EL2.VM. */
START_TEST(test_el2_regime)
{
    struct hv_mmu m = mk(0, 0);
    struct hv_mmu_result r;
    m.regs.sctlr_el2 = SCTLR_M | SCTLR_C | SCTLR_I;
    m.regs.tcr_el2 = 25 | (UINT64_C(5) << 16);
    m.regs.ttbr0_el2 = 0x60000;
    m.regs.mair_el2 = 0xff;
    m.regs.hcr_el2 = HCR_VM;
    m.regs.vtcr_el2 = ~UINT64_C(0);
    put(0x60000 + 8, TABLE(0x61000));
    put(0x61000 + 8, BLOCK(0x40800000, 0) | AP(1));
    put(0x61000 + 16, BLOCK(0x40a00000, 0) | AP(2) | UXN);
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_WRITE, 2, &r), 0);
    ck_assert_uint_eq(r.pa, 0x40801234);
    ck_assert(!r.s2_enabled);
    ck_assert_uint_eq(r.perms.priv, HV_MMU_R | HV_MMU_W | HV_MMU_X);
    ck_assert_uint_eq(r.perms.unpriv, 0);
    ck_assert_int_eq(xlate(&m, 0x40401234, HV_MMU_EXEC, 2, &r), -1);
    ck_fault(r, HV_MMU_FAULT_PERMISSION, 1, 2, 0x0e);
    ck_assert_uint_eq(r.fault.target_el, 2);
    ck_assert_int_eq(xlate(&m, 0x40401234, HV_MMU_WRITE, 2, &r), -1);
    /* VA[55] = 1 is not a second range at EL2. */
    ck_assert_int_eq(xlate(&m, UINT64_C(0xffffff8040201234), HV_MMU_READ, 2, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 0, 0x04);
}
END_TEST

/* ---- Stage 2 ------------------------------------------------------------- */

/* Stage 2: 4K, T0SZ=24 (40-bit IPA), SL0=01 → start level 1. A level-1
 * table resolves IPA[38:30] only, so the start level needs IPA[39:30]:
 * 2 concatenated level-1 tables (8 KiB at VTTBR = 0x100000), indexed by
 * IPA[39:30]. IPA 0x80_4020_1234: L1 index 0x201 → descriptor at
 * 0x100000 + 0x201 * 8 = 0x101008 (in the second table); L2 index 1, L3
 * index 1 → page 0x0a0bc000 → PA 0x0a0bc234.
 *
 * Stage 1: 4K, T0SZ=25, tables at IPA 0x1000/0x2000, which stage 2 maps
 * flat (IPA 0..2 MiB → PA 0..2 MiB, a level-2 block). VA 0x40201234 →
 * IPA 0x80_4020_1234. */
#define VTTBR 0x100000
static struct hv_mmu mk_nested(void)
{
    struct hv_mmu m = mk(TCR_T0SZ(25) | TCR_IPS(5), 0x1000);
    m.regs.hcr_el2 = HCR_VM;
    m.regs.vtcr_el2 = VTCR(24, 1, 0);
    m.regs.vttbr_el2 = VTTBR | (UINT64_C(7) << 48); /* VMID 7 */
    put(0x1000 + 8, TABLE(0x2000));
    put(0x2000 + 8, BLOCK(UINT64_C(0x8040200000), 2) | AP(0));
    put(VTTBR + 0 * 8, TABLE(0x102000));
    put(0x102000 + 0 * 8, S2BLOCK(0, 0xf, 3));
    put(VTTBR + 0x201 * 8, TABLE(0x103000));
    put(0x103000 + 1 * 8, TABLE(0x104000));
    put(0x104000 + 1 * 8, S2PAGE(0x0a0bc000, 0xf, 3));
    return m;
}

START_TEST(test_nested_walk_and_steps)
{
    struct hv_mmu m = mk_nested();
    struct hv_mmu_result r;
    m.step = record;
    nsteps = 0;
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), 0);
    ck_assert_uint_eq(r.ipa, UINT64_C(0x8040201234));
    ck_assert_uint_eq(r.pa, 0x0a0bc234);
    ck_assert(r.s1_enabled && r.s2_enabled);
    ck_assert_uint_eq(r.size, 4096);
    /* 2 stage-2 steps per stage-1 table read, 2 stage-1 steps, 3 final
     * stage-2 steps. */
    ck_assert_uint_eq(nsteps, 9);
    ck_assert_uint_eq(nreads, 9);
    static const struct {
        uint8_t stage;
        int8_t level;
        bool s1ptw;
        unsigned index;
        uint64_t desc_addr;
    } want[9] = {
        {2, 1, true, 0, VTTBR},         {2, 2, true, 0, 0x102000},  {1, 1, false, 1, 0x1008},
        {2, 1, true, 0, VTTBR},         {2, 2, true, 0, 0x102000},  {1, 2, false, 1, 0x2008},
        {2, 1, false, 0x201, 0x101008}, {2, 2, false, 1, 0x103008}, {2, 3, false, 1, 0x104008},
    };
    for (unsigned i = 0; i < 9; i++) {
        ck_assert_uint_eq(steps[i].stage, want[i].stage);
        ck_assert_int_eq(steps[i].level, want[i].level);
        ck_assert_int_eq(steps[i].s1ptw, want[i].s1ptw);
        ck_assert_uint_eq(steps[i].index, want[i].index);
        ck_assert_uint_eq(steps[i].desc_addr, want[i].desc_addr);
    }
    ck_assert_uint_eq(steps[0].ia, 0x1008); /* translating the S1 descriptor IPA */
    ck_assert_uint_eq(steps[2].desc_pa, 0x1008);
    ck_assert_uint_eq(steps[6].table, VTTBR);
}
END_TEST

/* A stage-2 fault on a stage-1 table address: stage 2, S1PTW, the IPA of
 * the stage-1 descriptor (for HPFAR_EL2), the stage-2 level, to EL2. */
START_TEST(test_s1ptw_fault)
{
    struct hv_mmu m = mk_nested();
    struct hv_mmu_result r;
    put(0x1000 + 8, TABLE(0x200000)); /* stage-1 L2 table at IPA 2 MiB: unmapped */
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 2, 2, 0x06);
    ck_assert(r.fault.s1ptw);
    ck_assert(r.fault.ipa_valid);
    ck_assert_uint_eq(r.fault.ipa, 0x200008);
    ck_assert_uint_eq(hv_mmu_hpfar(&r.fault), 0x2000);
    ck_assert_uint_eq(r.fault.target_el, 2);
    /* Stage 2 not readable (S2AP = 00) where the stage-1 tables live:
     * stage-2 Permission fault with S1PTW at the first table read. */
    m = mk_nested();
    put(0x102000, S2BLOCK(0, 0xf, 0));
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_PERMISSION, 2, 2, 0x0e);
    ck_assert(r.fault.s1ptw);
    ck_assert_uint_eq(r.fault.ipa, 0x1008);
    /* HCR_EL2.PTW: stage-1 tables in stage-2 Device memory → Permission
     * fault; without PTW the walk proceeds. */
    m = mk_nested();
    put(0x102000, S2BLOCK(0, 0x0, 3));
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), 0);
    m.regs.hcr_el2 |= HCR_PTW;
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_PERMISSION, 2, 2, 0x0e);
    ck_assert(r.fault.s1ptw);
    /* Stage-2 walk reads outside RAM: External abort on the stage-2 walk,
     * still S1PTW. */
    m = mk_nested();
    put(VTTBR, TABLE(0x900000));
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_EXT_ABORT_WALK, 2, 2, 0x16);
    ck_assert(r.fault.s1ptw);
}
END_TEST

/* Faults on the final IPA: stage 2, no S1PTW, IPA reported. Permissions
 * combine: stage 1 RWX (AP=00) with S2AP = 01 (read-only) → R and X. */
START_TEST(test_s2_final_faults_and_perms)
{
    struct hv_mmu m = mk_nested();
    struct hv_mmu_result r;
    put(0x104000 + 8, S2PAGE(0x0a0bc000, 0xf, 1));
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), 0);
    ck_assert_uint_eq(r.s1_perms.priv, HV_MMU_R | HV_MMU_W | HV_MMU_X);
    ck_assert_uint_eq(r.s2_perms.priv, HV_MMU_R | HV_MMU_X);
    ck_assert_uint_eq(r.perms.priv, HV_MMU_R | HV_MMU_X);
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_WRITE, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_PERMISSION, 2, 3, 0x0f);
    ck_assert(!r.fault.s1ptw);
    ck_assert_uint_eq(r.fault.ipa, UINT64_C(0x8040201234));
    ck_assert_uint_eq(hv_mmu_hpfar(&r.fault), UINT64_C(0x8040201) << 4);
    /* XN at stage 2. */
    put(0x104000 + 8, S2PAGE(0x0a0bc000, 0xf, 3) | UXN);
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_EXEC, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_PERMISSION, 2, 3, 0x0f);
    /* AF = 0 at stage 2. */
    put(0x104000 + 8, S2PAGE(0x0a0bc000, 0xf, 3) & ~AF);
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_ACCESS_FLAG, 2, 3, 0x0b);
    /* A stage-1 Permission fault comes before any stage-2 walk of the IPA. */
    put(0x104000 + 8, 0);
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 0, &r), -1);
    ck_fault(r, HV_MMU_FAULT_PERMISSION, 1, 2, 0x0e);
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 2, 3, 0x07);
}
END_TEST

/* Stage-2 configuration checks (AArch64.S2InvalidSL,
 * AArch64.S2InconsistentSL, AArch64.IPAIsOutOfRange): level 0
 * stage-2 Translation faults. */
START_TEST(test_s2_start_level_checks)
{
    struct hv_mmu m = mk_nested();
    struct hv_mmu_result r;
    /* T0SZ=24, SL0=00 (level 2): at most 9*1 + 12 + 1 + 8 + 4 = 34 bits. */
    m.regs.vtcr_el2 = VTCR(24, 0, 0);
    ck_assert_int_eq(hv_mmu_translate_ipa(&m, 0x1000, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 2, 0, 0x04);
    ck_assert_uint_eq(r.fault.ipa, 0x1000);
    /* The same through a stage-1 walk: the first table read faults, S1PTW. */
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 2, 0, 0x04);
    ck_assert(r.fault.s1ptw);
    ck_assert_uint_eq(r.fault.ipa, 0x1008);
    /* SL0 = 11 is reserved with 4K (no FEAT_TTST). */
    m.regs.vtcr_el2 = VTCR(24, 3, 0);
    ck_assert_int_eq(hv_mmu_translate_ipa(&m, 0x1000, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 2, 0, 0x04);
    /* IPA beyond 2^40. */
    m.regs.vtcr_el2 = VTCR(24, 1, 0);
    ck_assert_int_eq(hv_mmu_translate_ipa(&m, UINT64_C(1) << 40, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 2, 0, 0x04);
    ck_assert_uint_eq(r.fault.ipa, UINT64_C(1) << 40);
    /* SL0 = 10 (level 0) with T0SZ=24: 3*9 + 12 + 1 = 40 bits, valid with
     * PAMax >= 44: one level-0 entry per IPA[39]. */
    m.regs.vtcr_el2 = VTCR(24, 2, 0);
    m.step = record;
    nsteps = 0;
    ck_assert_int_eq(hv_mmu_translate_ipa(&m, UINT64_C(0x8040201234), HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 2, 0, 0x04);
    ck_assert_uint_eq(nsteps, 1);
    ck_assert_int_eq(steps[0].level, 0);
    ck_assert_uint_eq(steps[0].index, 1);
    m.regs.pa_bits = 40; /* level 0 start needs PAMax >= 44 */
    nsteps = 0;
    ck_assert_int_eq(hv_mmu_translate_ipa(&m, UINT64_C(0x8040201234), HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 2, 0, 0x04);
    ck_assert_uint_eq(nsteps, 0);
}
END_TEST

/* 16K stage 2, T0SZ=24 (40 bits), SL0=01 (start level 2): level 2 resolves
 * IPA[35:25] (11 bits) of the 15 needed (IPA[39:25]) → 16 concatenated
 * tables, 256 KiB at VTTBR. IPA 0xf0_0000_4000: index 0x7800 → descriptor
 * at VTTBR + 0x3c000; a 32 MiB block. */
START_TEST(test_s2_16k_sixteen_concatenated)
{
    struct hv_mmu m = mk(0, 0);
    struct hv_mmu_result r;
    m.regs.hcr_el2 = HCR_VM;
    m.regs.vtcr_el2 = VTCR(24, 1, 2);
    m.regs.vttbr_el2 = 0x200000;
    put(0x200000 + 0x7800 * 8, S2BLOCK(0x42000000, 0xf, 3));
    ck_assert_int_eq(hv_mmu_translate_ipa(&m, UINT64_C(0xf000004000), HV_MMU_READ, 1, &r), 0);
    ck_assert_uint_eq(r.pa, 0x42004000);
    ck_assert_uint_eq(r.size, 32u << 20);
    /* 64K stage 2, T0SZ=22 (42 bits), SL0=01 (level 2): 13 bits, one table. */
    m.regs.vtcr_el2 = VTCR(22, 1, 1);
    m.regs.vttbr_el2 = 0x300000;
    put(0x300000 + 0x1fff * 8, S2BLOCK(0x60000000, 0xf, 3));
    ck_assert_int_eq(
        hv_mmu_translate_ipa(&m, (UINT64_C(0x1fff) << 29) | 0x12345, HV_MMU_READ, 1, &r), 0);
    ck_assert_uint_eq(r.pa, 0x60012345);
}
END_TEST

/* S2CombineS1MemAttrs (FWB = 0): Device wins and the stronger Device type;
 * the less cacheable Normal type; the more shareable. */
START_TEST(test_s2_attribute_combining)
{
    struct hv_mmu m = mk_nested();
    struct hv_mmu_result r;
    /* S1 Normal WB (Attr2) + S2 Device-nGnRE (MemAttr 0b0001). */
    put(0x104000 + 8, S2PAGE(0x0a0bc000, 0x1, 3));
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), 0);
    ck_assert_int_eq(r.attr.type, HV_MMU_MEM_DEVICE);
    ck_assert_int_eq(r.attr.device, HV_MMU_DEV_nGnRE);
    ck_assert_int_eq(r.attr.sh, HV_MMU_SH_OUTER);
    /* S1 Device-GRE (Attr5) + S2 Device-nGnRnE (0b0000) → nGnRnE. */
    put(0x2000 + 8, BLOCK(UINT64_C(0x8040200000), 5));
    put(0x104000 + 8, S2PAGE(0x0a0bc000, 0x0, 3));
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), 0);
    ck_assert_int_eq(r.attr.device, HV_MMU_DEV_nGnRnE);
    /* S1 WB + S2 Normal NC (0b0101) → NC. */
    put(0x2000 + 8, BLOCK(UINT64_C(0x8040200000), 2));
    put(0x104000 + 8, S2PAGE(0x0a0bc000, 0x5, 3));
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), 0);
    ck_assert_int_eq(r.attr.type, HV_MMU_MEM_NORMAL);
    ck_assert_int_eq(r.attr.inner.cache, HV_MMU_CACHE_NC);
    ck_assert_int_eq(r.attr.outer.cache, HV_MMU_CACHE_NC);
    /* S1 WB Non-shareable + S2 WT (0b1010) Inner Shareable → WT with
     * stage 1's allocation hints, Inner Shareable. */
    put(0x2000 + 8, BLOCK(UINT64_C(0x8040200000), 2) & ~SH_INNER);
    put(0x104000 + 8, S2PAGE(0x0a0bc000, 0xa, 3));
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), 0);
    ck_assert_int_eq(r.attr.inner.cache, HV_MMU_CACHE_WT);
    ck_assert_int_eq(r.attr.outer.cache, HV_MMU_CACHE_WT);
    ck_assert(r.attr.inner.ra && r.attr.inner.wa);
    ck_assert_int_eq(r.attr.sh, HV_MMU_SH_INNER);
}
END_TEST

/* HCR_EL2.DC: stage 1 behaves as disabled with Normal WB attributes, and
 * stage 2 is on even with VM = 0. */
START_TEST(test_hcr_dc)
{
    struct hv_mmu m = mk_nested();
    struct hv_mmu_result r;
    m.regs.hcr_el2 = HCR_DC;
    put(VTTBR + 0, TABLE(0x102000));
    ck_assert_int_eq(xlate(&m, 0x123456, HV_MMU_READ, 1, &r), 0);
    ck_assert(!r.s1_enabled && r.s2_enabled);
    ck_assert_uint_eq(r.pa, 0x123456);
    ck_assert_int_eq(r.attr.type, HV_MMU_MEM_NORMAL);
    ck_assert_int_eq(r.attr.inner.cache, HV_MMU_CACHE_WB);
    ck_assert_int_eq(xlate(&m, 0x400000, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 2, 2, 0x06);
    ck_assert_uint_eq(r.fault.ipa, 0x400000);
}
END_TEST

/* A stage-1 descriptor read that fails after stage 2 translated its IPA
 * is a stage-1 External abort on the walk (no S1PTW). */
START_TEST(test_s1_external_abort_under_s2)
{
    struct hv_mmu m = mk_nested();
    struct hv_mmu_result r;
    /* Stage 2 maps IPA 0..2 MiB to PA 0x800000.. (outside RAM). */
    put(0x102000, S2BLOCK(0x800000, 0xf, 3));
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_EXT_ABORT_WALK, 1, 1, 0x15);
    ck_assert(!r.fault.s1ptw);
    ck_assert_uint_eq(r.fault.target_el, 1);
}
END_TEST

/* Stage-2 address size: VTCR_EL2.PS = 0b000 (32 bits). An output above
 * 4 GiB faults at the leaf's level; VTTBR above 4 GiB at level 0. */
START_TEST(test_s2_address_size)
{
    struct hv_mmu m = mk_nested();
    struct hv_mmu_result r;
    m.regs.vtcr_el2 = VTCR(24, 1, 0) & ~(UINT64_C(7) << 16);
    put(0x104000 + 8, S2PAGE(UINT64_C(0x10a0bc000), 0xf, 3));
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_ADDRESS_SIZE, 2, 3, 0x03);
    ck_assert_uint_eq(r.fault.ipa, UINT64_C(0x8040201234));
    m.regs.vttbr_el2 = UINT64_C(0x100100000);
    ck_assert_int_eq(hv_mmu_translate_ipa(&m, 0x1000, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_ADDRESS_SIZE, 2, 0, 0x00);
}
END_TEST

/* Stage-2 T0SZ below 64 - PAMax is clamped (documented choice): T0SZ=16
 * with PAMax = 40 acts as T0SZ=24, so SL0 = 01 is consistent and the
 * nested example still translates. */
START_TEST(test_s2_t0sz_clamped_to_pamax)
{
    struct hv_mmu m = mk_nested();
    struct hv_mmu_result r;
    m.regs.pa_bits = 40;
    m.regs.vtcr_el2 = VTCR(16, 1, 0);
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), 0);
    ck_assert_uint_eq(r.pa, 0x0a0bc234);
}
END_TEST

/* TG1 has its own encoding: 0b01 16K, 0b11 64K. T1SZ=22 with 64K: start
 * level 2, L2 index VA[41:29]. */
START_TEST(test_tg1_encodings)
{
    struct hv_mmu m = mk(TCR_T0SZ(25) | TCR_T1SZ(22) | (UINT64_C(3) << 30) | TCR_IPS(5), 0x1000);
    struct hv_mmu_result r;
    m.regs.ttbr1_el1 = 0x30000;
    put(0x30000 + 5 * 8, BLOCK(0x60000000, 2));
    ck_assert_int_eq(
        xlate(&m, UINT64_C(0xfffffc0000000000) | (UINT64_C(5) << 29) | 0xabcde, HV_MMU_READ, 1, &r),
        0);
    ck_assert_uint_eq(r.pa, 0x600abcde);
    ck_assert_uint_eq(r.size, 512u << 20);
    /* 16K (TG1 = 0b01), T1SZ=17: start level 1, L1 index VA[46:36]. */
    m.regs.tcr_el1 = TCR_T0SZ(25) | TCR_T1SZ(17) | (UINT64_C(1) << 30) | TCR_IPS(5);
    m.regs.ttbr1_el1 = 0x20000;
    m.step = record;
    nsteps = 0;
    ck_assert_int_eq(
        xlate(&m, UINT64_C(0xffff800000000000) | (UINT64_C(9) << 36), HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_TRANSLATION, 1, 1, 0x05);
    ck_assert_uint_eq(nsteps, 1);
    ck_assert_uint_eq(steps[0].index, 9);
    ck_assert_int_eq(steps[0].kind, HV_MMU_DESC_INVALID);
}
END_TEST

/* HCR_EL2.ID / CD: stage 2 makes instruction fetches / data accesses
 * Normal Non-cacheable. */
START_TEST(test_hcr_cd_id)
{
    struct hv_mmu m = mk_nested();
    struct hv_mmu_result r;
    m.regs.hcr_el2 |= UINT64_C(1) << 33; /* ID */
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_EXEC, 1, &r), 0);
    ck_assert_int_eq(r.attr.inner.cache, HV_MMU_CACHE_NC);
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), 0);
    ck_assert_int_eq(r.attr.inner.cache, HV_MMU_CACHE_WB);
    m.regs.hcr_el2 |= UINT64_C(1) << 32; /* CD */
    ck_assert_int_eq(xlate(&m, 0x40201234, HV_MMU_READ, 1, &r), 0);
    ck_assert_int_eq(r.attr.inner.cache, HV_MMU_CACHE_NC);
    ck_assert_int_eq(r.attr.sh, HV_MMU_SH_OUTER);
}
END_TEST

/* ---- Robustness ---------------------------------------------------------- */

/* A table that points to itself: each level reads the same table, and at
 * level 3 the 0b11 entry is a page; the walk stops after 4 reads. */
START_TEST(test_self_referencing_table_terminates)
{
    struct hv_mmu m = mk(TCR_T0SZ(16) | TCR_IPS(5), 0x10000);
    struct hv_mmu_result r;
    put(0x10000, TABLE(0x10000));
    ck_assert_int_eq(xlate(&m, 0x123, HV_MMU_READ, 1, &r), -1);
    ck_fault(r, HV_MMU_FAULT_ACCESS_FLAG, 1, 3, 0x0b); /* TABLE() has AF = 0 */
    ck_assert_uint_eq(nreads, 4);
    put(0x10000, TABLE(0x10000) | AF);
    ck_assert_int_eq(xlate(&m, 0x123, HV_MMU_READ, 1, &r), 0);
    ck_assert_uint_eq(r.pa, 0x10123);
    ck_assert_uint_eq(nreads, 4);
}
END_TEST

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Garbage: random registers and random descriptors (mostly pointing back
 * into RAM so that walks go deep). Every result is either a translation or
 * an architectural fault whose DFSC matches its type and level; no walk
 * reads more than 4 + 4 * 5 descriptors. */
START_TEST(test_garbage_never_crashes)
{
    static const uint8_t fsc_base[] = {0, 0x04, 0x08, 0x0c, 0x00, 0x14};
    struct hv_mmu m = {.read64 = ram_read};
    struct hv_mmu_result r;
    unsigned ok = 0, faults = 0;
    for (unsigned round = 0; round < 20; round++) {
        for (size_t i = 0; i < 64 * 1024; i++) {
            uint64_t v = rnd();
            if (v & 0x30) /* mostly: valid-looking, pointing into RAM */
                v = (v & ~UINT64_C(0x0000fffffffff000)) | (v & (RAM_SIZE - 1) & ~UINT64_C(0xfff));
            ram[rnd() % (RAM_SIZE / 8)] = v;
        }
        for (unsigned i = 0; i < 2000; i++) {
            struct hv_mmu_access a = {.va = rnd(),
                                      .type = (enum hv_mmu_acc_type)(rnd() % 3),
                                      .el = (unsigned)(rnd() % 3),
                                      .unpriv = rnd() & 1};
            m.regs = (struct hv_mmu_regs){.sctlr_el1 = rnd(),
                                          .tcr_el1 = rnd(),
                                          .ttbr0_el1 = rnd() % RAM_SIZE,
                                          .ttbr1_el1 = rnd() % RAM_SIZE,
                                          .mair_el1 = rnd(),
                                          .sctlr_el2 = rnd(),
                                          .tcr_el2 = rnd(),
                                          .ttbr0_el2 = rnd() % RAM_SIZE,
                                          .mair_el2 = rnd(),
                                          .hcr_el2 = rnd(),
                                          .vtcr_el2 = rnd(),
                                          .vttbr_el2 = rnd() % RAM_SIZE,
                                          .pa_bits = (unsigned)(rnd() % 70)};
            if (rnd() & 1)
                a.va &= 0xffffffffffu;
            nreads = 0;
            if (hv_mmu_translate(&m, &a, &r) == 0) {
                ck_assert_int_eq(r.fault.type, HV_MMU_FAULT_NONE);
                ok++;
            } else {
                ck_assert(r.fault.type > HV_MMU_FAULT_NONE &&
                          r.fault.type <= HV_MMU_FAULT_EXT_ABORT_WALK);
                ck_assert(r.fault.level >= 0 && r.fault.level <= 3);
                ck_assert(r.fault.stage == 1 || r.fault.stage == 2);
                ck_assert_uint_eq(r.fault.fsc, fsc_base[r.fault.type] | (unsigned)r.fault.level);
                ck_assert(!r.fault.s1ptw || r.fault.stage == 2);
                faults++;
            }
            ck_assert_uint_le(nreads, 24);
        }
    }
    ck_assert_uint_gt(ok, 0);
    ck_assert_uint_gt(faults, 0);
}
END_TEST

START_TEST(test_helpers)
{
    ck_assert_uint_eq(hv_mmu_parange_bits(0), 32);
    ck_assert_uint_eq(hv_mmu_parange_bits(2), 40);
    ck_assert_uint_eq(hv_mmu_parange_bits(5), 48);
    ck_assert_uint_eq(hv_mmu_parange_bits(6), 48);
    ck_assert_str_eq(hv_mmu_fault_name(HV_MMU_FAULT_ACCESS_FLAG), "access flag");
    ck_assert_str_eq(hv_mmu_desc_kind_name(HV_MMU_DESC_BLOCK), "block");
    ck_assert_str_eq(hv_mmu_fault_name((enum hv_mmu_fault_type)99), "?");
}
END_TEST

static Suite *mmu_suite(void)
{
    Suite *s = suite_create("mmu");
    TCase *tc = tcase_create("walk");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_4k_level2_block);
    tcase_add_test(tc, test_4k_level1_block);
    tcase_add_test(tc, test_4k_four_levels_and_steps);
    tcase_add_test(tc, test_4k_translation_faults_each_level);
    tcase_add_test(tc, test_16k_page_and_block);
    tcase_add_test(tc, test_16k_level0);
    tcase_add_test(tc, test_64k_page_and_block);
    tcase_add_test(tc, test_64k_level1);
    tcase_add_test(tc, test_ttbr1_and_va_ranges);
    tcase_add_test(tc, test_tbi);
    tcase_add_test(tc, test_txsz_clamped);
    tcase_add_test(tc, test_s1_permissions);
    tcase_add_test(tc, test_access_flag);
    tcase_add_test(tc, test_table_attributes);
    tcase_add_test(tc, test_address_size_faults);
    tcase_add_test(tc, test_external_abort_on_walk);
    tcase_add_test(tc, test_mair_decoding);
    tcase_add_test(tc, test_s1_disabled);
    tcase_add_test(tc, test_el2_regime);
    tcase_add_test(tc, test_nested_walk_and_steps);
    tcase_add_test(tc, test_s1ptw_fault);
    tcase_add_test(tc, test_s2_final_faults_and_perms);
    tcase_add_test(tc, test_s2_start_level_checks);
    tcase_add_test(tc, test_s2_16k_sixteen_concatenated);
    tcase_add_test(tc, test_s2_attribute_combining);
    tcase_add_test(tc, test_hcr_dc);
    tcase_add_test(tc, test_s1_external_abort_under_s2);
    tcase_add_test(tc, test_s2_address_size);
    tcase_add_test(tc, test_s2_t0sz_clamped_to_pamax);
    tcase_add_test(tc, test_tg1_encodings);
    tcase_add_test(tc, test_hcr_cd_id);
    tcase_add_test(tc, test_self_referencing_table_terminates);
    tcase_add_test(tc, test_garbage_never_crashes);
    tcase_add_test(tc, test_helpers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return hv_check_run(mmu_suite());
}
