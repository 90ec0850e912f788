/* Self-modifying code: instructions written by the PE, made visible with
 * the cache maintenance the Arm ARM requires (B2.4.4 "Concurrent
 * modification and execution of instructions" and the D7 cache maintenance
 * sequence: DC CVAU, DSB ISH, IC IVAU, DSB ISH, A64_ISB), must be the ones
 * executed afterwards.
 *
 * It is here for the engine's page size (docs/architecture.md, "Engine
 * pages"): the engine tracks code for invalidation per target page, and an
 * A64 block ends at a target page boundary. So the cases put code and the
 * stores that change it in the same 4 KiB page but in different 1 KiB
 * quarters, have one routine run across a 1 KiB boundary that is not a
 * 4 KiB one (one block with 4 KiB engine pages, two with 1 KiB), and have a
 * routine change an instruction later in its own block. Every expected
 * value follows from the instructions written; the test runs on QEMU too
 * (differential). */
#include "rt.h"

#define MOVZ_W0(imm)  (0x52800000u | ((uint32_t)(imm) << 5))
#define ADD_W0_W0(im) (0x11000000u | ((uint32_t)(im) << 10)) /* add w0, w0, #im */
#define RET           0xd65f03c0u
#define NOP           0xd503201fu
#define STR_W1_X2     0xb9000041u /* str w1, [x2] */
#define DC_CVAU_X2    0xd50b7b22u
#define IC_IVAU_X2    0xd50b7522u
#define A64_DSB_ISH   0xd5033b9fu
#define A64_ISB       0xd5033fdfu

/* Two 4 KiB pages of code space (RAM is executable with the MMU off). */
static uint32_t code[2048] __attribute__((aligned(4096)));

typedef uint32_t (*fn0)(void);
typedef uint32_t (*fn_patch)(uint64_t unused, uint32_t insn, uint32_t *where);

static uint32_t call(unsigned at)
{
    return ((fn0)(uintptr_t)&code[at])();
}

int main(uint64_t dtb)
{
    (void)dtb;

    /* 1. Write a routine, run it, rewrite it, run it again. */
    code[0] = MOVZ_W0(1);
    code[1] = RET;
    rt_sync_code(&code[0], 2);
    rt_check(call(0) == 1, "first routine returns 1");
    code[0] = MOVZ_W0(2);
    rt_sync_code(&code[0], 1);
    rt_check(call(0) == 2, "rewritten routine returns 2");

    /* 2. Code at 2 KiB into the first page; data stores to the second page
     * leave it intact, and rewriting it is seen. (Data stores to the page
     * that holds the code: u_smc_page.c, a known Unicorn 2.1.1 defect.) */
    code[512] = MOVZ_W0(3);
    code[513] = RET;
    rt_sync_code(&code[512], 2);
    rt_check(call(512) == 3, "routine at +2 KiB returns 3");
    for (unsigned i = 1800; i < 1816; i++)
        code[i] = 0xdeadbeefu;
    rt_sync_code(&code[1800], 16);
    rt_check(call(512) == 3, "data stores in the next page leave it returning 3");
    code[512] = MOVZ_W0(4);
    rt_sync_code(&code[512], 1);
    rt_check(call(512) == 4, "rewritten routine at +2 KiB returns 4");

    /* 3. A routine across the 1 KiB boundary at +3 KiB (inside the first
     * 4 KiB page), then its instruction after the boundary rewritten. */
    code[766] = MOVZ_W0(7);
    code[767] = NOP;
    code[768] = ADD_W0_W0(1);
    code[769] = RET;
    rt_sync_code(&code[766], 4);
    rt_check(call(766) == 8, "routine across +3 KiB returns 8");
    code[768] = ADD_W0_W0(2);
    rt_sync_code(&code[768], 1);
    rt_check(call(766) == 9, "its second part rewritten: returns 9");

    /* 4. The same across the 4 KiB page boundary. */
    code[1022] = MOVZ_W0(10);
    code[1023] = NOP;
    code[1024] = ADD_W0_W0(1);
    code[1025] = RET;
    rt_sync_code(&code[1022], 4);
    rt_check(call(1022) == 11, "routine across the page boundary returns 11");
    code[1024] = ADD_W0_W0(5);
    rt_sync_code(&code[1024], 1);
    rt_check(call(1022) == 15, "its part in the next page rewritten: returns 15");

    /* 5. A routine that rewrites an instruction of its own block: the
     * store, the maintenance sequence, then the rewritten instruction. */
    static const uint32_t patcher[] = {
        STR_W1_X2, DC_CVAU_X2, A64_DSB_ISH, IC_IVAU_X2, A64_DSB_ISH, A64_ISB, MOVZ_W0(5), RET,
    };
    for (unsigned i = 0; i < 8; i++)
        code[1100 + i] = patcher[i];
    rt_sync_code(&code[1100], 8);
    fn_patch f = (fn_patch)(uintptr_t)&code[1100];
    rt_check(f(0, MOVZ_W0(5), &code[1106]) == 5, "self-patching routine, unchanged: 5");
    rt_check(f(0, MOVZ_W0(6), &code[1106]) == 6, "self-patching routine sees its store: 6");
    rt_check(f(0, MOVZ_W0(12), &code[1106]) == 12, "and again: 12");

    rt_summary("smc_code");
    return 0;
}
