/* Self-modifying code after a data store to the same engine page: a known
 * defect of Unicorn 2.1.1, run by tests/e2e/test_engine_pages.py (expected
 * to fail on hvsim at both engine page sizes, and checked to pass on QEMU).
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
 * invalidate its translation, and the old instruction keeps running.
 * With 1 KiB engine pages the data must share the code's 1 KiB; with 4 KiB
 * pages, its 4 KiB: case 1 fails only with 4 KiB pages, case 2 with both. */
#include "rt.h"

#define MOVZ_W0(imm) (0x52800000u | ((uint32_t)(imm) << 5))
#define RET          0xd65f03c0u

static uint32_t code[1024] __attribute__((aligned(4096)));

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

int main(uint64_t dtb)
{
    (void)dtb;
    one_case(512, 16, 3, 4, "data in another 1 KiB of the code's 4 KiB");
    one_case(768, 800, 5, 6, "data in the code's 1 KiB");
    rt_summary("smc_page");
    return 0;
}
