/* Self-modifying code after a data store to the same engine page, run by
 * tests/e2e/test_engine_pages.py at both engine page sizes and on QEMU.
 *
 * The Arm ARM (B2.4.4; the D7 sequence DC CVAU, DSB ISH, IC IVAU, DSB ISH,
 * ISB) makes rewritten instructions visible once that sequence has run, so
 * every expected value below follows from the instructions written.
 * Unicorn 2.1.1's notdirty_write() (qemu/accel/tcg/cputlb.c) drops
 * TLB_NOTDIRTY from a page's write entry after any store to an executable
 * page, even while translated blocks remain on it (QEMU keeps it until the
 * page holds no code, tlb_unprotect_code()); only the next translation on
 * that page (tb_gen_code) sets it again. So once data is stored next to
 * code in one target page, a later store that rewrites that code does not
 * invalidate its translation. hvsim drops the blocks at the IC instruction
 * instead (docs/differences.md, "Self-modifying code"); without that, the
 * old instruction keeps running and the second check of cases 1-2 and the
 * checks of cases 3-5 fail (case 1 only with 4 KiB pages).
 * With 1 KiB engine pages the data must share the code's 1 KiB; with 4 KiB
 * pages, its 4 KiB.
 *
 * Cases 3-5 rewrite an instruction of the block that is running: the
 * routine stores data next to itself, rewrites its own first instruction,
 * invalidates it (IC IVAU, IC IALLU or IC IALLUIS), and after the ISB
 * branches back to that first instruction, whose block is the one that
 * did all this. */
#include "rt.h"

#define MOVZ_W0(imm) (0x52800000u | ((uint32_t)(imm) << 5))
#define RET          0xd65f03c0u

#define STR_WZR_X1_512 0xb902003fu /* str wzr, [x1, #512] */
#define STR_W2_X1      0xb9000022u /* str w2, [x1] */
#define DC_CVAU_X1     0xd50b7b21u
#define IC_IVAU_X1     0xd50b7521u
#define IC_IALLU       0xd508751fu
#define IC_IALLUIS     0xd508711fu
#define DSB_ISH        0xd5033b9fu
#define A64_ISB        0xd5033fdfu
#define CBNZ_W3_3      0x35000063u /* cbnz w3, . + 12 */
#define MOVZ_W3_1      0x52800023u
#define B_BACK(n)      (0x14000000u | ((0u - (uint32_t)(n)) & 0x3ffffffu)) /* b . - 4n */

static uint32_t code[1024] __attribute__((aligned(4096)));
/* Cases 3-5: three routines, one per KiB, each with its data word 512
 * bytes after its first instruction (the same 1 KiB). */
static uint32_t code2[1024] __attribute__((aligned(4096)));

static uint32_t call(unsigned at)
{
    return ((uint32_t(*)(void))(uintptr_t)&code[at])();
}

/* Code at word `at`, data stored at word `data`, then the code rewritten. */
static void one_case(unsigned at, unsigned data, uint32_t first, uint32_t second, const char *what)
{
    code[at] = MOVZ_W0(first);
    code[at + 1] = RET;
    rt_sync_code(&code[at], 2);
    rt_check(call(at) == first, "%s: routine returns %u", what, (unsigned)first);
    for (unsigned i = data; i < data + 8; i++)
        code[i] = 0xdeadbeefu;
    rt_sync_code(&code[data], 8);
    code[at] = MOVZ_W0(second);
    rt_sync_code(&code[at], 1);
    rt_check(call(at) == second, "%s: rewritten after a data store, returns %u", what,
             (unsigned)second);
}

/* x1 = &code2[at] (the first instruction), w2 = its new encoding, w3 = 0:
 *   0: movz w0, #first      rewritten by instruction 2
 *   1: str wzr, [x1, #512]  data in the same engine page
 *   2: str w2, [x1]
 *   3: dc cvau, x1; dsb ish; <ic>; dsb ish; isb   (3-7)
 *   8: cbnz w3, 11; movz w3, #1; b 0; ret */
static void own_block_case(unsigned at, uint32_t ic, uint32_t first, uint32_t second,
                           const char *what)
{
    static const unsigned n = 12;
    uint32_t r[12] = {MOVZ_W0(first), STR_WZR_X1_512, STR_W2_X1, DC_CVAU_X1, DSB_ISH,    ic,
                      DSB_ISH,        A64_ISB,        CBNZ_W3_3, MOVZ_W3_1,  B_BACK(10), RET};
    for (unsigned i = 0; i < n; i++)
        code2[at + i] = r[i];
    rt_sync_code(&code2[at], n);
    uint32_t got = ((uint32_t(*)(uint64_t, uint32_t *, uint32_t, uint32_t))(uintptr_t)&code2[at])(
        0, &code2[at], MOVZ_W0(second), 0);
    rt_check(got == second,
             "%s: a block that rewrote its own first instruction returns %u (got %u)", what,
             (unsigned)second, (unsigned)got);
}

int main(uint64_t dtb)
{
    (void)dtb;
    one_case(512, 16, 3, 4, "data in another 1 KiB of the code's 4 KiB");
    one_case(768, 800, 5, 6, "data in the code's 1 KiB");
    own_block_case(0, IC_IVAU_X1, 7, 8, "IC IVAU");
    own_block_case(256, IC_IALLU, 9, 10, "IC IALLU");
    own_block_case(512, IC_IALLUIS, 11, 12, "IC IALLUIS");
    rt_summary("smc_page");
    return 0;
}
