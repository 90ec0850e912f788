/* bench_walk: how fast the sim/mmu walker translates (docs/mmu.md).
 *
 * usage: bench_walk [WALKS]       (default 20,000,000)
 *
 * A warm single-stage walk: EL1&0, 4 KiB granule, T0SZ = 16 (start level 0,
 * four levels), 512 pages in one level-3 table, tables in a host buffer read
 * through the same kind of callback the unit tests use. Every walk reads 4
 * descriptors and returns a PA; the PAs are summed and checked so that the
 * work cannot be optimised away. Prints one parseable line:
 *
 *   WALKS <n> SECONDS <wall> WALKS_PER_SECOND <n/wall> CPU_SECONDS <cpu>
 *   WALKS_PER_CPU_SECOND <n/cpu>
 *
 * (on one line). The CPU-time rate is the one to compare with the target: on
 * a shared machine the wall-clock rate also measures the other processes.
 * Target: at least 20 million walks per second (non-sanitized build). */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmu/mmu.h"

#define MEM_SIZE (64u * 1024)
static uint64_t mem[MEM_SIZE / 8];

static int mem_read(void *ctx, uint64_t pa, uint64_t *out)
{
    (void)ctx;
    if (pa >= MEM_SIZE)
        return -1;
    *out = mem[pa / 8];
    return 0;
}

static double now(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    uint64_t walks = argc > 1 ? strtoull(argv[1], NULL, 0) : 20000000u;
    const uint64_t af = 1u << 10, sh = 3u << 8, attr2 = 2u << 2;
    /* L0 at 0x0000, L1 at 0x1000, L2 at 0x2000, L3 at 0x3000; VA
     * 0x0000_0040_0000_0000 + i * 4K (L0[0], L1[1], L2[0], L3[i]) → PA
     * 0x80000000 + i * 4K. */
    mem[0x0000 / 8 + 0] = 0x1000 | 3;
    mem[0x1000 / 8 + 1] = 0x2000 | 3;
    mem[0x2000 / 8 + 0] = 0x3000 | 3;
    for (uint64_t i = 0; i < 512; i++)
        mem[0x3000 / 8 + i] = (0x80000000u + i * 4096) | af | sh | attr2 | 3;

    struct hv_mmu m = {
        .regs =
            {
                .sctlr_el1 = 1 | (1u << 2) | (1u << 12),
                .tcr_el1 = 16 | (UINT64_C(5) << 32) | (UINT64_C(1) << 23),
                .ttbr0_el1 = 0,
                .mair_el1 = 0xff0400,
            },
        .read64 = mem_read,
    };
    struct hv_mmu_access a = {.type = HV_MMU_READ, .el = 1};
    struct hv_mmu_result r;
    uint64_t sum = 0, want = 0;

    double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
    for (uint64_t n = 0; n < walks; n++) {
        uint64_t i = n & 511;
        a.va = (UINT64_C(1) << 30) + i * 4096 + (n & 0xff8);
        if (hv_mmu_translate(&m, &a, &r) != 0) {
            fprintf(stderr, "bench_walk: unexpected %s fault at VA 0x%" PRIx64 "\n",
                    hv_mmu_fault_name(r.fault.type), a.va);
            return 1;
        }
        sum += r.pa;
        want += 0x80000000u + i * 4096 + (n & 0xff8);
    }
    double secs = now(CLOCK_MONOTONIC) - t0, cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
    if (sum != want) {
        fprintf(stderr, "bench_walk: wrong PAs (sum %" PRIx64 ", want %" PRIx64 ")\n", sum, want);
        return 1;
    }
    printf("WALKS %" PRIu64 " SECONDS %.3f WALKS_PER_SECOND %.0f CPU_SECONDS %.3f "
           "WALKS_PER_CPU_SECOND %.0f\n",
           walks, secs, secs > 0 ? (double)walks / secs : 0.0, cpu,
           cpu > 0 ? (double)walks / cpu : 0.0);
    return 0;
}
