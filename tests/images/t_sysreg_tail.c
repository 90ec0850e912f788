/* Regression: the instructions after an MRS of a register hvsim models ran
 * twice when they shared its translated block. hvsim skipped the
 * instruction by writing the PC; for a register QEMU also knows (the timer's
 * CNT* registers), the rest of the block then ran on and the engine resumed
 * at the written PC, re-running it (found by the hypervisor: CNTFRQ / 1000
 * came out as CNTFRQ / 10^6). Each sequence below is one basic block:
 * the MRS, then increments that must happen exactly once. ICC_PMR_EL1 is
 * unknown to QEMU 5.0, so its MRS ends the block: the other path. */
#include "rt.h"

#define TAIL_AFTER(mrs)                                                                            \
    ({                                                                                             \
        uint64_t v_, n_ = 0;                                                                       \
        __asm__ volatile(mrs "\n add %1, %1, #1\n add %1, %1, #1\n add %1, %1, #1"                 \
                         : "=&r"(v_), "+r"(n_));                                                   \
        (void)v_;                                                                                  \
        n_;                                                                                        \
    })

int main(uint64_t dtb)
{
    (void)dtb;
    uint64_t n;

    n = TAIL_AFTER("mrs %0, cntfrq_el0");
    rt_check(n == 3, "MRS CNTFRQ_EL0 then 3 adds: %llu", (unsigned long long)n);
    n = TAIL_AFTER("mrs %0, cntvct_el0");
    rt_check(n == 3, "MRS CNTVCT_EL0 then 3 adds: %llu", (unsigned long long)n);
    n = TAIL_AFTER("mrs %0, cnthp_ctl_el2");
    rt_check(n == 3, "MRS CNTHP_CTL_EL2 then 3 adds: %llu", (unsigned long long)n);
    n = TAIL_AFTER("mrs %0, s3_0_c4_c6_0"); /* ICC_PMR_EL1 */
    rt_check(n == 3, "MRS ICC_PMR_EL1 then 3 adds: %llu", (unsigned long long)n);

    /* With a store in the tail: Unicorn checks for an exit request after
     * every load and store, which is where a pending exit would leave. */
    static volatile uint64_t sink;
    uint64_t m = 0;
    __asm__ volatile("mrs x9, cntfrq_el0\n"
                     "add %0, %0, #1\n"
                     "str %0, [%1]\n"
                     "add %0, %0, #1"
                     : "+r"(m)
                     : "r"(&sink)
                     : "x9", "memory");
    rt_check(m == 2 && sink == 1, "MRS CNTFRQ_EL0, add, store, add: %llu, stored %llu",
             (unsigned long long)m, (unsigned long long)sink);

    /* The hypervisor's case: the frequency in kHz from one block. */
    uint64_t f, khz;
    __asm__ volatile("mrs %0, cntfrq_el0\n"
                     "mov x9, #1000\n"
                     "udiv %1, %0, x9"
                     : "=&r"(f), "=&r"(khz)
                     :
                     : "x9");
    rt_check(khz * 1000 <= f && f - khz * 1000 < 1000, "CNTFRQ_EL0 / 1000 = %llu",
             (unsigned long long)khz);
    /* ID_AA64PFR0_EL1.GIC [27:24] = 1: the GICv3 system registers exist
     * (Arm ARM D17.2.64). hvsim models them, so it says so, as QEMU does
     * with a GICv3 attached; the other fields are the engine's. */
    uint64_t pfr0 = SYSREG_READ(id_aa64pfr0_el1);
    rt_check(((pfr0 >> 24) & 0xf) == 1, "ID_AA64PFR0_EL1.GIC = %llu",
             (unsigned long long)((pfr0 >> 24) & 0xf));
    rt_summary("sysreg_tail");
    return 0;
}
