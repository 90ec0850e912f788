/* Unit tests for hypervisor/core/pgtable: the 4 KiB-granule table builder
 * behind every VM's stage-2 tables and the hypervisor's own EL2 map.
 * Expected descriptors are written from the Arm ARM (D8.3 descriptor
 * formats, D8.5.5 stage-2 MemAttr, D13.2.151 VTCR_EL2), not from the
 * builder's output. A host pool stands for physical memory: the "PA" of a
 * table page is its host address. */
#include <check.h>

#include "check_run.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/pgtable.h"

#define POOL_PAGES 32
static uint64_t (*pool)[512];
static unsigned pool_used, pool_limit;

static void *alloc_page(void *ctx)
{
    (void)ctx;
    if (pool_used >= pool_limit)
        return NULL;
    memset(pool[pool_used], 0, 4096);
    return pool[pool_used++];
}
static uint64_t to_pa(void *ctx, const void *p)
{
    (void)ctx;
    return (uint64_t)(uintptr_t)p;
}
static void *to_ptr(void *ctx, uint64_t pa)
{
    (void)ctx;
    return (void *)(uintptr_t)pa;
}
static const struct pt_alloc A = {NULL, alloc_page, to_pa, to_ptr};

static void setup(void)
{
    pool = aligned_alloc(4096, POOL_PAGES * 4096);
    ck_assert_ptr_nonnull(pool);
    pool_used = 0;
    pool_limit = POOL_PAGES;
}
static void teardown(void)
{
    free(pool);
}

START_TEST(s2_attrs_encodings)
{
    /* Normal RW executable: AF(10) | SH=11(9:8) | S2AP=11(7:6) | MemAttr=1111(5:2) */
    ck_assert_uint_eq(pt_s2_attrs(PT_MEM_NORMAL, true, true), 0x400 | 0x300 | 0xc0 | 0x3c);
    /* Normal RO non-executable: S2AP=01, XN[54:53]=10 */
    ck_assert_uint_eq(pt_s2_attrs(PT_MEM_NORMAL, false, false),
                      0x400 | 0x300 | 0x40 | 0x3c | (UINT64_C(1) << 54));
    /* Device-nGnRE: MemAttr=0001, never executable */
    ck_assert_uint_eq(pt_s2_attrs(PT_MEM_DEVICE, true, true),
                      0x400 | 0xc0 | 0x04 | (UINT64_C(1) << 54));
    /* EL2 stage 1: AttrIndx 0 device (+XN), 1 normal inner shareable. */
    ck_assert_uint_eq(pt_s1_el2_attrs(PT_MEM_DEVICE), 0x400 | (UINT64_C(1) << 54));
    ck_assert_uint_eq(pt_s1_el2_attrs(PT_MEM_NORMAL), 0x400 | 0x300 | (1u << 2));
}
END_TEST

START_TEST(vtcr_for_32bit_ipa)
{
    struct pt t;
    ck_assert_int_eq(pt_init(&t, &A, 32), PT_OK);
    ck_assert_uint_eq(t.start_level, 1);
    /* T0SZ=32, SL0=01, IRGN0=01, ORGN0=01, SH0=11, TG0=00, PS=010 (40 bits), RES1[31] */
    ck_assert_uint_eq(pt_vtcr(&t, 2),
                      32 | 1 << 6 | 1 << 8 | 1 << 10 | 3 << 12 | 2 << 16 | UINT64_C(1) << 31);
    /* PARange 0b0110 (52 bits) is clamped to 48 bits (0b101) for 4 KiB. */
    ck_assert_uint_eq((pt_vtcr(&t, 6) >> 16) & 7, 5);
}
END_TEST

START_TEST(map_2m_blocks_and_pages)
{
    struct pt t;
    ck_assert_int_eq(pt_init(&t, &A, 32), PT_OK);
    uint64_t ram = pt_s2_attrs(PT_MEM_NORMAL, true, true);
    /* 4 MiB + 8 KiB at IPA 0x40000000 -> PA 0x44000000: two 2 MiB blocks
     * then two pages. */
    ck_assert_int_eq(pt_map(&t, 0x40000000, 0x44000000, 0x402000, ram), PT_OK);
    /* Level-1 index of 0x40000000 is 1: a table descriptor. */
    ck_assert_uint_eq(t.root[1] & 3, 3);
    uint64_t *l2 = (uint64_t *)(uintptr_t)(t.root[1] & PT_ADDR_MASK);
    /* Level-2 entries 0 and 1 are blocks (bits[1:0] = 01) with the
     * output address and the attributes. */
    ck_assert_uint_eq(l2[0], 0x44000000 | ram | 1);
    ck_assert_uint_eq(l2[1], 0x44200000 | ram | 1);
    ck_assert_uint_eq(l2[2] & 3, 3); /* a table for the last 8 KiB */
    uint64_t *l3 = (uint64_t *)(uintptr_t)(l2[2] & PT_ADDR_MASK);
    ck_assert_uint_eq(l3[0], 0x44400000 | ram | 3);
    ck_assert_uint_eq(l3[1], 0x44401000 | ram | 3);
    ck_assert_uint_eq(l3[2], 0);

    uint64_t pa, attrs;
    unsigned level;
    ck_assert(pt_lookup(&t, 0x40123456, &pa, &attrs, &level));
    ck_assert_uint_eq(pa, 0x44123456);
    ck_assert_uint_eq(level, 2);
    ck_assert_uint_eq(attrs, ram);
    ck_assert(pt_lookup(&t, 0x40401ffc, &pa, NULL, &level));
    ck_assert_uint_eq(pa, 0x44401ffc);
    ck_assert_uint_eq(level, 3);
    ck_assert(!pt_lookup(&t, 0x40402000, &pa, NULL, NULL));
    ck_assert(!pt_lookup(&t, 0x3ffff000, &pa, NULL, NULL));
    ck_assert(!pt_lookup(&t, UINT64_C(0x100000000), &pa, NULL, NULL));
}
END_TEST

START_TEST(unaligned_pa_uses_pages)
{
    struct pt t;
    ck_assert_int_eq(pt_init(&t, &A, 32), PT_OK);
    /* IPA 2 MiB aligned, PA only 4 KiB aligned: no block is possible. */
    ck_assert_int_eq(pt_map(&t, 0x40000000, 0x44001000, 0x200000, 0), PT_OK);
    uint64_t pa;
    unsigned level;
    ck_assert(pt_lookup(&t, 0x401ff000, &pa, NULL, &level));
    ck_assert_uint_eq(pa, 0x44200000);
    ck_assert_uint_eq(level, 3);
}
END_TEST

START_TEST(device_page)
{
    struct pt t;
    ck_assert_int_eq(pt_init(&t, &A, 32), PT_OK);
    uint64_t dev = pt_s2_attrs(PT_MEM_DEVICE, true, false);
    ck_assert_int_eq(pt_map(&t, 0x09000000, 0x09100000, 0x1000, dev), PT_OK);
    uint64_t pa, attrs;
    ck_assert(pt_lookup(&t, 0x09000018, &pa, &attrs, NULL));
    ck_assert_uint_eq(pa, 0x09100018);
    ck_assert_uint_eq((attrs >> 2) & 0xf, 1); /* MemAttr Device-nGnRE */
    ck_assert(!pt_lookup(&t, 0x09001000, &pa, NULL, NULL));
}
END_TEST

START_TEST(refuses_overlap_and_bad_ranges)
{
    struct pt t;
    ck_assert_int_eq(pt_init(&t, &A, 32), PT_OK);
    ck_assert_int_eq(pt_map(&t, 0x40000000, 0x44000000, 0x200000, 0), PT_OK);
    /* Inside the block, at its end, and a page range touching it. */
    ck_assert_int_eq(pt_map(&t, 0x40100000, 0x50000000, 0x1000, 0), PT_EEXIST);
    ck_assert_int_eq(pt_map(&t, 0x3ffff000, 0x50000000, 0x2000, 0), PT_EEXIST);
    ck_assert_int_eq(pt_map(&t, 0x401ff000, 0x50000000, 0x1000, 0), PT_EEXIST);
    ck_assert_int_eq(pt_map(&t, 0x40200000, 0x50000000, 0x1000, 0), PT_OK);
    ck_assert_int_eq(pt_map(&t, 0x40200000, 0x50000000, 0x1000, 0), PT_EEXIST);
    /* Misaligned, zero, beyond 4 GiB, wrapping. */
    ck_assert_int_eq(pt_map(&t, 0x10000800, 0x50000000, 0x1000, 0), PT_EINVAL);
    ck_assert_int_eq(pt_map(&t, 0x10000000, 0x50000010, 0x1000, 0), PT_EINVAL);
    ck_assert_int_eq(pt_map(&t, 0x10000000, 0x50000000, 0, 0), PT_EINVAL);
    ck_assert_int_eq(pt_map(&t, 0xfffff000, 0x50000000, 0x2000, 0), PT_EINVAL);
    ck_assert_int_eq(pt_map(&t, UINT64_C(0x100000000), 0x50000000, 0x1000, 0), PT_EINVAL);
    ck_assert_int_eq(pt_map(&t, 0x10000000, UINT64_C(0x1000000000000), 0x1000, 0), PT_EINVAL);
    /* Attribute bits outside the attribute fields never reach the
     * descriptor (here: output-address bits and the type bits). */
    ck_assert_int_eq(pt_map(&t, 0x20000000, 0x60000000, 0x1000, UINT64_C(0x0000fffffffff003)),
                     PT_OK);
    uint64_t pa, attrs;
    ck_assert(pt_lookup(&t, 0x20000000, &pa, &attrs, NULL));
    ck_assert_uint_eq(pa, 0x60000000);
    ck_assert_uint_eq(attrs, 0);
}
END_TEST

START_TEST(out_of_pages)
{
    struct pt t;
    pool_limit = 2; /* the root and one level-2 table; no level-3 table */
    ck_assert_int_eq(pt_init(&t, &A, 32), PT_OK);
    ck_assert_int_eq(pt_map(&t, 0x40000000, 0x44000000, 0x200000, 0), PT_OK);
    ck_assert_int_eq(pt_map(&t, 0x40200000, 0x44200000, 0x1000, 0), PT_ENOMEM);
}
END_TEST

START_TEST(level2_start)
{
    struct pt t;
    ck_assert_int_eq(pt_init(&t, &A, 30), PT_OK);
    ck_assert_uint_eq(t.start_level, 2);
    ck_assert_uint_eq(pt_vtcr(&t, 2) & 0xff, 34); /* T0SZ 34, SL0 00 */
    ck_assert_int_eq(pt_map(&t, 0x3fe00000, 0x80000000, 0x200000, 0), PT_OK);
    ck_assert_uint_eq(t.root[511], 0x80000000 | 1);
    ck_assert_int_eq(pt_map(&t, 0x40000000, 0x80000000, 0x1000, 0), PT_EINVAL);
    ck_assert_int_eq(pt_init(&t, &A, 40), PT_EINVAL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hyp_stage2");
    TCase *tc = tcase_create("pgtable");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, s2_attrs_encodings);
    tcase_add_test(tc, vtcr_for_32bit_ipa);
    tcase_add_test(tc, map_2m_blocks_and_pages);
    tcase_add_test(tc, unaligned_pa_uses_pages);
    tcase_add_test(tc, device_page);
    tcase_add_test(tc, refuses_overlap_and_bad_ranges);
    tcase_add_test(tc, out_of_pages);
    tcase_add_test(tc, level2_start);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return hv_check_run(suite());
}
