/* hvsim benchmark workload: deterministic compute with the stage-1 MMU on.
 *
 * Runs at EL2 (hvsim, QEMU virt,virtualization=on) or at EL1 (bare Unicorn,
 * see entry.S), turns on the stage-1 MMU of the EL it runs at, then repeats
 * WL_ROUNDS rounds of a mix of
 *   - integer work: a multiply/rotate/xor hash chain with some divisions;
 *   - memory work: fill, Fisher-Yates shuffle and 4-pass radix sort of
 *     128 Ki words (two 512 KiB arrays), a random single cycle through
 *     512 Ki nodes (4 MiB) built with Sattolo's shuffle and chased, and a
 *     64x64 integer matrix multiply;
 *   - branchy work: a sieve of Eratosthenes over 512 Ki flags and a small
 *     bytecode interpreter (switch dispatch) running a Collatz program.
 * Each round is seeded differently, so no round repeats another. The image
 * prints "CHECKSUM <hex>" over the UART, stores the value in bench_checksum
 * (so that a harness without a UART can read it back), and ends in
 * bench_done(), which powers off with PSCI SYSTEM_OFF.
 *
 * WL_ROUNDS sets the length: one round is about 52 M instructions, plus
 * about 2.5 M of start-up (mostly clearing .bss). */
#include "rt.h"

#ifndef WL_ROUNDS
#define WL_ROUNDS 28
#endif

#define HASH_ITERS (1u << 19)
#define SORT_N     (1u << 17)
#define LIST_N     (1u << 19)
#define LIST_STEPS (1u << 19)
#define MAT_N      64
#define SIEVE_N    (1u << 19)
#define VM_STARTS  600u

volatile uint64_t bench_checksum;

/* ---- MMU: identity map, 4 KiB granule, 32-bit VA (level 1 start) -------- */

#define PT_TABLE   3ull
#define PT_BLOCK   1ull
#define PT_ATTR(i) ((uint64_t)(i) << 2)
#define PT_SH_IS   (3ull << 8)
#define PT_AF      (1ull << 10)
#define PT_XN      (1ull << 54)
#define ATTR_DEV   0 /* MAIR attr0: Device-nGnRnE */
#define ATTR_NORM  1 /* MAIR attr1: Normal, inner/outer write-back RW-allocate */
#define MAIR_VALUE 0xff00ull

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x08000000ull
#define BLOCK_2M 0x200000ull

static uint64_t pt_l1[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t pt_l2_low[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t pt_l2_ram[512] __attribute__((aligned(4096), section(".pgtables")));

#define SCTLR_M   (1ull << 0)
#define SCTLR_A   (1ull << 1)
#define SCTLR_C   (1ull << 2)
#define SCTLR_I   (1ull << 12)
#define SCTLR_WXN (1ull << 19)
#define SCTLR_EE  (1ull << 25)

/* T0SZ=32 (4 GiB), IRGN0/ORGN0 write-back, inner shareable, TG0 4 KiB. */
#define TCR_COMMON (32ull | (1ull << 8) | (1ull << 10) | (3ull << 12))
/* TCR_EL2 (E2H=0): bits 31 and 23 are RES1; PS=0 (32-bit PA). */
#define TCR_EL2_VALUE (TCR_COMMON | (1ull << 31) | (1ull << 23))
/* TCR_EL1: EPD1 (no TTBR1 walks), TG1 4 KiB, IPS=0. */
#define TCR_EL1_VALUE (TCR_COMMON | (1ull << 23) | (2ull << 30))

static unsigned current_el(void)
{
    return (unsigned)((SYSREG_READ(CurrentEL) >> 2) & 3);
}

static void mmu_on(void)
{
    unsigned el = current_el();
    uint64_t uart_blk = UART0_BASE & ~(BLOCK_2M - 1);

    pt_l1[0] = (uint64_t)(uintptr_t)pt_l2_low | PT_TABLE;
    pt_l1[1] = (uint64_t)(uintptr_t)pt_l2_ram | PT_TABLE;
    pt_l2_low[uart_blk / BLOCK_2M] = uart_blk | PT_BLOCK | PT_ATTR(ATTR_DEV) | PT_AF | PT_XN;
    for (uint64_t i = 0; i < RAM_SIZE / BLOCK_2M; i++)
        pt_l2_ram[i] = (RAM_BASE + i * BLOCK_2M) | PT_BLOCK | PT_ATTR(ATTR_NORM) | PT_SH_IS | PT_AF;
    DSB();

    if (el == 2) {
        SYSREG_WRITE(mair_el2, MAIR_VALUE);
        SYSREG_WRITE(tcr_el2, TCR_EL2_VALUE);
        SYSREG_WRITE(ttbr0_el2, (uint64_t)(uintptr_t)pt_l1);
        ISB();
        __asm__ volatile("tlbi alle2\n dsb sy\n isb" ::: "memory");
        uint64_t s = SYSREG_READ(sctlr_el2);
        s = (s | SCTLR_M | SCTLR_C | SCTLR_I) & ~(SCTLR_A | SCTLR_WXN | SCTLR_EE);
        SYSREG_WRITE(sctlr_el2, s);
    } else {
        SYSREG_WRITE(mair_el1, MAIR_VALUE);
        SYSREG_WRITE(tcr_el1, TCR_EL1_VALUE);
        SYSREG_WRITE(ttbr0_el1, (uint64_t)(uintptr_t)pt_l1);
        ISB();
        __asm__ volatile("tlbi vmalle1\n dsb sy\n isb" ::: "memory");
        uint64_t s = SYSREG_READ(sctlr_el1);
        s = (s | SCTLR_M | SCTLR_C | SCTLR_I) & ~(SCTLR_A | SCTLR_WXN | SCTLR_EE);
        SYSREG_WRITE(sctlr_el1, s);
    }
    ISB();
}

/* ---- helpers ------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

struct rng {
    uint64_t s;
};

static uint32_t rng_next(struct rng *r)
{
    /* xorshift64* */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (uint32_t)((r->s * 0x2545f4914f6cdd1dull) >> 32);
}

/* A uniform-enough index in [0, n) without a division. */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((uint64_t)rng_next(r) * n) >> 32);
}

/* ---- integer ------------------------------------------------------------- */

static uint64_t part_hash(uint64_t seed)
{
    uint64_t h = seed ^ 0xcbf29ce484222325ull;
    uint64_t acc = 0;
    for (uint32_t i = 0; i < HASH_ITERS; i++) {
        h ^= i;
        h *= 0x100000001b3ull;
        h ^= h >> 29;
        h = (h << 13) | (h >> 51);
        h += 0x9e3779b97f4a7c15ull;
        if ((i & 15) == 0)
            acc += h / ((h >> 40) | 1);
    }
    return h ^ acc;
}

/* ---- memory -------------------------------------------------------------- */

static uint32_t sort_a[SORT_N], sort_b[SORT_N];

static uint64_t part_sort(uint64_t seed)
{
    struct rng r = {seed | 1};
    uint32_t count[256];
    uint64_t sum = 0;

    for (uint32_t i = 0; i < SORT_N; i++)
        sort_a[i] = rng_next(&r);
    for (uint32_t i = SORT_N - 1; i > 0; i--) {
        uint32_t j = rng_below(&r, i + 1);
        uint32_t t = sort_a[i];
        sort_a[i] = sort_a[j];
        sort_a[j] = t;
    }
    for (unsigned shift = 0; shift < 32; shift += 8) {
        uint32_t *src = (shift & 8) ? sort_b : sort_a;
        uint32_t *dst = (shift & 8) ? sort_a : sort_b;
        uint32_t pos = 0;
        for (unsigned d = 0; d < 256; d++)
            count[d] = 0;
        for (uint32_t i = 0; i < SORT_N; i++)
            count[(src[i] >> shift) & 0xff]++;
        for (unsigned d = 0; d < 256; d++) {
            uint32_t c = count[d];
            count[d] = pos;
            pos += c;
        }
        for (uint32_t i = 0; i < SORT_N; i++) {
            uint32_t v = src[i];
            dst[count[(v >> shift) & 0xff]++] = v;
        }
    }
    /* Four passes: the result is back in sort_a. Check it and fold it. */
    for (uint32_t i = 0; i < SORT_N; i++) {
        if (i && sort_a[i - 1] > sort_a[i])
            sum += 0x100000000ull; /* never, if the sort is right */
        sum = sum * 31 + sort_a[i];
    }
    return sum;
}

struct node {
    uint32_t next;
    uint32_t val;
};

static struct node nodes[LIST_N];

static uint64_t part_list(uint64_t seed)
{
    struct rng r = {seed ^ 0x5bd1e995ull};
    uint64_t sum = 0;
    uint32_t p = 0;

    for (uint32_t i = 0; i < LIST_N; i++) {
        nodes[i].next = i;
        nodes[i].val = i * 2654435761u;
    }
    /* Sattolo: a random permutation with a single cycle through all nodes. */
    for (uint32_t i = LIST_N - 1; i > 0; i--) {
        uint32_t j = rng_below(&r, i);
        uint32_t t = nodes[i].next;
        nodes[i].next = nodes[j].next;
        nodes[j].next = t;
    }
    for (uint32_t s = 0; s < LIST_STEPS; s++) {
        p = nodes[p].next;
        sum += nodes[p].val;
        nodes[p].val ^= (uint32_t)sum;
    }
    return sum ^ p;
}

static uint32_t mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N], mat_c[MAT_N][MAT_N];

static uint64_t part_matmul(uint64_t seed)
{
    struct rng r = {seed + 0x1234567ull};
    uint64_t sum = 0;

    for (unsigned i = 0; i < MAT_N; i++)
        for (unsigned j = 0; j < MAT_N; j++) {
            mat_a[i][j] = rng_next(&r) & 0xffff;
            mat_b[i][j] = rng_next(&r) & 0xffff;
        }
    for (unsigned i = 0; i < MAT_N; i++)
        for (unsigned j = 0; j < MAT_N; j++) {
            uint32_t acc = 0;
            for (unsigned k = 0; k < MAT_N; k++)
                acc += mat_a[i][k] * mat_b[k][j];
            mat_c[i][j] = acc;
        }
    for (unsigned i = 0; i < MAT_N; i++)
        for (unsigned j = 0; j < MAT_N; j++)
            sum = sum * 131 + mat_c[i][j];
    return sum;
}

/* ---- branchy ------------------------------------------------------------- */

static uint8_t sieve[SIEVE_N];

static uint64_t part_sieve(uint64_t seed)
{
    uint32_t limit = SIEVE_N - (uint32_t)(seed & 0xffff);
    uint64_t count = 0, sum = 0;

    for (uint32_t i = 0; i < limit; i++)
        sieve[i] = 1;
    sieve[0] = sieve[1] = 0;
    for (uint32_t i = 2; i * i < limit; i++) {
        if (!sieve[i])
            continue;
        for (uint32_t j = i * i; j < limit; j += i)
            sieve[j] = 0;
    }
    for (uint32_t i = 0; i < limit; i++) {
        if (sieve[i]) {
            count++;
            sum += i;
        }
    }
    return (count << 32) ^ sum;
}

enum vm_op { OP_LI, OP_MOV, OP_ADDI, OP_ANDI, OP_MULI, OP_SHRI, OP_JZ, OP_JNZ, OP_JMP, OP_HALT };

struct vm_insn {
    uint8_t op, a, b;
    int32_t imm;
};

static uint64_t vm_run(const struct vm_insn *prog, uint64_t *reg)
{
    uint32_t pc = 0;
    uint64_t steps = 0;
    for (;;) {
        const struct vm_insn *in = &prog[pc++];
        steps++;
        switch (in->op) {
        case OP_LI:
            reg[in->a] = (uint64_t)(int64_t)in->imm;
            break;
        case OP_MOV:
            reg[in->a] = reg[in->b];
            break;
        case OP_ADDI:
            reg[in->a] = reg[in->b] + (uint64_t)(int64_t)in->imm;
            break;
        case OP_ANDI:
            reg[in->a] = reg[in->b] & (uint64_t)(int64_t)in->imm;
            break;
        case OP_MULI:
            reg[in->a] = reg[in->b] * (uint64_t)(int64_t)in->imm;
            break;
        case OP_SHRI:
            reg[in->a] = reg[in->b] >> in->imm;
            break;
        case OP_JZ:
            if (!reg[in->a])
                pc = (uint32_t)in->imm;
            break;
        case OP_JNZ:
            if (reg[in->a])
                pc = (uint32_t)in->imm;
            break;
        case OP_JMP:
            pc = (uint32_t)in->imm;
            break;
        case OP_HALT:
        default:
            return steps;
        }
    }
}

static uint64_t part_vm(uint64_t seed)
{
    /* Total Collatz steps of VM_STARTS consecutive numbers. */
    const struct vm_insn prog[] = {
        /* 0 */ {OP_LI, 0, 0, (int32_t)(1000 + (seed & 0x3fff))},
        /* 1 */ {OP_LI, 5, 0, (int32_t)VM_STARTS},
        /* 2 */ {OP_LI, 6, 0, 0},
        /* 3 outer */ {OP_MOV, 1, 0, 0},
        /* 4 inner */ {OP_ADDI, 2, 1, -1},
        /* 5 */ {OP_JZ, 2, 0, 15},
        /* 6 */ {OP_ANDI, 3, 1, 1},
        /* 7 */ {OP_JZ, 3, 0, 12},
        /* 8 */ {OP_MULI, 1, 1, 3},
        /* 9 */ {OP_ADDI, 1, 1, 1},
        /* 10 */ {OP_ADDI, 6, 6, 1},
        /* 11 */ {OP_JMP, 0, 0, 4},
        /* 12 even */ {OP_SHRI, 1, 1, 1},
        /* 13 */ {OP_ADDI, 6, 6, 1},
        /* 14 */ {OP_JMP, 0, 0, 4},
        /* 15 done */ {OP_ADDI, 0, 0, 1},
        /* 16 */ {OP_ADDI, 5, 5, -1},
        /* 17 */ {OP_JNZ, 5, 0, 3},
        /* 18 */ {OP_HALT, 0, 0, 0},
    };
    uint64_t reg[8] = {0};
    uint64_t steps = vm_run(prog, reg);
    return (steps << 24) ^ reg[6] ^ (reg[0] << 48);
}

/* ---- main ------------------------------------------------------------------ */

__attribute__((noinline, noreturn)) void bench_done(void);

__attribute__((noinline, noreturn)) void bench_done(void)
{
    __asm__ volatile("" ::: "memory");
    rt_exit();
}

int main(uint64_t dtb)
{
    uint64_t seed = 0x243f6a8885a308d3ull;
    uint64_t cs = 0;

    (void)dtb;
    mmu_on();
    uint64_t sctlr = current_el() == 2 ? SYSREG_READ(sctlr_el2) : SYSREG_READ(sctlr_el1);
    rt_printf("workload: %u rounds at EL%u, stage-1 MMU %s\n", (unsigned)WL_ROUNDS, current_el(),
              (sctlr & SCTLR_M) ? "on" : "OFF");
    for (unsigned r = 0; r < WL_ROUNDS; r++) {
        seed = mix64(seed + r);
        cs = mix64(cs ^ part_hash(seed));
        cs = mix64(cs ^ part_sort(seed));
        cs = mix64(cs ^ part_list(seed));
        cs = mix64(cs ^ part_matmul(seed));
        cs = mix64(cs ^ part_sieve(seed));
        cs = mix64(cs ^ part_vm(seed));
    }
    bench_checksum = cs;
    rt_printf("CHECKSUM %016lx\n", (unsigned long)cs);
    bench_done();
}
