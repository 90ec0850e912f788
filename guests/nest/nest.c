/* nest: a guest that nests more active interrupts than the hypervisor has
 * list registers (issue 7, vGIC overflow: "refill on underflow / EOI
 * maintenance interrupts", "active state preserved across vCPU
 * switches"). hypervisor-nest.elf runs it next to the rtos (whose 1 ms
 * tick switches it out and in at ever different nesting depths).
 *
 * Its 16 SGIs get 16 distinct priorities, SGI i at PRIO(i) = 0xf0 - 0x10 i
 * (GICv3 4.8: a lower value is a higher priority; distinct group
 * priorities with any binary point the virtual CPU interface allows, its
 * minimum VBPR1 being 3 or less with 5 priority bits). Each round sends
 * SGI 0 to itself; the handler of SGI i, with interrupts unmasked, sends
 * SGI i + 1, which preempts it at once (its priority is higher than the
 * running priority), and waits for it to be handled before it EOIs its own
 * (EOImode 0: priority drop and deactivation). So 16 interrupts are active
 * at once, in the virtual CPU interface's active priorities and in the
 * hypervisor's LRs or pending queue (the QEMU and hvsim GICs have 4 LRs:
 * ICH_VTR_EL2.ListRegs = 3), and the EOIs then come from the highest
 * priority down, most of them for interrupts that no LR holds.
 *
 * The last round uses EOImode 1 (ICC_CTLR_EL1.EOImode: the EOI drops the
 * priority, a write of ICC_DIR_EL1 deactivates), the others EOImode 0.
 *
 * Checks (each one a pass or a fail), for each level i of each round:
 *   - SGI i is taken exactly once;
 *   - it is taken nested i deep (in SGI i - 1's handler: it was delivered
 *     as soon as it was sent, not held back behind LRs full of active
 *     interrupts);
 *   - ICC_RPR_EL1 at its entry is PRIO(i) (GICv3 4.8.x, the running
 *     priority is the highest active priority);
 *   - after its EOI, ICC_RPR_EL1 is PRIO(i - 1), 0xff after the last
 *     (the priority drop);
 *   - with EOImode 1, after its EOI GICR_ISACTIVER0 still shows it active
 *     (priority drop only);
 *   - after its EOI (EOImode 0) or its DIR (EOImode 1), GICR_ISACTIVER0
 *     shows it inactive (deactivated, GICv3 4.1.1);
 * and per round: afterwards no SGI pending or active (GICR_ISPENDR0,
 * GICR_ISACTIVER0); and at the end: no other interrupt taken.
 * A level that waits more than WAIT_US for the next one gives up (a fail),
 * so a hypervisor that cannot deliver never hangs the guest.
 * Output: "RESULT nest pass=N fail=F" (N = ROUNDS * (LEVELS * 5 + 1) +
 * LEVELS + 1 when everything holds), then PSCI SYSTEM_OFF of this VM. */
#include "../grt/grt.h"

#define LEVELS  16
#define ROUNDS  4
#define WAIT_US 5000
#define PRIO(i) (0xf0u - 0x10u * (unsigned)(i))

#define ICC_SGI1R_EL1 S3_0_C12_C11_5
#define ICC_RPR_EL1   S3_0_C12_C11_3
#define ICC_DIR_EL1   S3_0_C12_C11_1
#define ICC_CTLR_EL1  S3_0_C12_C12_4

/* MMIO through plain LDR/STR (no writeback addressing, which a compiler
 * may choose for a loop and which gives the hypervisor no syndrome to
 * emulate: ESR_EL2.ISV = 0). */
static inline uint32_t R32(uintptr_t a)
{
    uint32_t v;
    __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return v;
}
static inline void W32(uintptr_t a, uint32_t v)
{
    __asm__ volatile("str %w0, [%1]" ::"r"(v), "r"(a) : "memory");
}

/* This vCPU's redistributor, SGI_base frame (GICv3 12.10, 12.11). */
#define RD_SGI          (GICR_BASE + 0x10000ul)
#define GICR_IGROUPR0   (RD_SGI + 0x080)
#define GICR_ISENABLER0 (RD_SGI + 0x100)
#define GICR_ISPENDR0   (RD_SGI + 0x200)
#define GICR_ISACTIVER0 (RD_SGI + 0x300)
#define GICR_IPRIORITYR (RD_SGI + 0x400)

static unsigned pass, fail;
static volatile unsigned depth;
static volatile uint32_t taken[LEVELS], done[LEVELS];
static uint32_t other_irqs;
static uint64_t dwell; /* counter ticks each level waits before it nests */
static bool split;     /* this round's EOImode (ICC_CTLR_EL1.EOImode): 1 = EOIR, then DIR */
static uint64_t ticks_per_us;

static void check(bool ok, const char *what, unsigned round, unsigned level)
{
    if (ok) {
        pass++;
        return;
    }
    fail++;
    if (fail <= 20)
        grt_printf("nest: FAIL round %u level %u: %s\n", round, level, what);
}

static unsigned round_no;

static void send_sgi(unsigned intid)
{
    /* ICC_SGI1R_EL1: INTID[27:24], TargetList[15:0] = vCPU 0 (Aff0 0). */
    SYSREG_W(ICC_SGI1R_EL1, (uint64_t)intid << 24 | 1u);
}

static void spin(uint64_t t)
{
    uint64_t end = grt_cntvct() + t;
    while (grt_cntvct() < end)
        ;
}

void grt_irq(void)
{
    uint32_t id = grt_iar();
    if (id >= 1020)
        return;
    if (id >= LEVELS) {
        other_irqs++;
        grt_eoi(id);
        return;
    }
    unsigned d = depth++;
    taken[id]++;
    check(d == id, "taken at the wrong nesting depth", round_no, id);
    check(SYSREG_R(ICC_RPR_EL1) == PRIO(id), "running priority at entry", round_no, id);
    if (id + 1 < LEVELS) {
        spin(dwell);
        send_sgi(id + 1);
        grt_irq_enable(); /* SGI id + 1 preempts here */
        uint64_t end = grt_cntvct() + WAIT_US * ticks_per_us;
        while (!done[id + 1] && grt_cntvct() < end)
            ;
        __asm__ volatile("msr daifset, #2" ::: "memory");
    }
    depth--;
    grt_eoi(id);
    check(SYSREG_R(ICC_RPR_EL1) == (id ? PRIO(id - 1) : 0xffu), "running priority after EOI",
          round_no, id);
    if (split) {
        /* EOImode 1: the EOI only dropped the priority (GICv3 4.1.1). */
        check(R32(GICR_ISACTIVER0) & (1u << id), "inactive before its DIR", round_no, id);
        SYSREG_W(ICC_DIR_EL1, id);
    }
    check(!(R32(GICR_ISACTIVER0) & (1u << id)), "still active after its EOI/DIR", round_no, id);
    done[id] = 1;
}

uint64_t grt_sync(uint64_t esr, uint64_t elr, uint64_t far)
{
    grt_printf("nest: unexpected exception esr 0x%llx elr 0x%llx far 0x%llx\n",
               (unsigned long long)esr, (unsigned long long)elr, (unsigned long long)far);
    fail++;
    return elr + 4;
}

void secondary_main(uint64_t ctx)
{
    (void)ctx;
}

int main(void)
{
    grt_console_init();
    grt_printf("nest: start: %u nested SGIs, %u rounds\n", LEVELS, ROUNDS);
    grt_gic_init();
    ticks_per_us = SYSREG_R(cntfrq_el0) / 1000000;
    W32(GICR_IGROUPR0, (1u << LEVELS) - 1);
    for (unsigned i = 0; i < LEVELS; i += 4) /* GICR_IPRIORITYR<n>: 4 INTIDs a word */
        W32(GICR_IPRIORITYR + i,
            PRIO(i) | PRIO(i + 1) << 8 | PRIO(i + 2) << 16 | PRIO(i + 3) << 24);
    W32(GICR_ISENABLER0, (1u << LEVELS) - 1);
    static const unsigned dwell_us[ROUNDS] = {0, 150, 370, 150};
    for (round_no = 0; round_no < ROUNDS; round_no++) {
        split = round_no == ROUNDS - 1; /* the last round with EOImode 1 */
        SYSREG_W(ICC_CTLR_EL1, split ? 2u : 0u);
        for (unsigned i = 0; i < LEVELS; i++)
            taken[i] = done[i] = 0;
        dwell = dwell_us[round_no] * ticks_per_us;
        send_sgi(0);
        grt_irq_enable();
        uint64_t end = grt_cntvct() + (LEVELS + 1) * (WAIT_US + dwell_us[round_no]) * ticks_per_us;
        while (!done[0] && grt_cntvct() < end) /* no WFI: the timeout must run */
            ;
        __asm__ volatile("msr daifset, #2" ::: "memory");
        for (unsigned i = 0; i < LEVELS; i++)
            check(taken[i] == 1, "not taken exactly once", round_no, i);
        uint32_t left = (R32(GICR_ISPENDR0) | R32(GICR_ISACTIVER0)) & ((1u << LEVELS) - 1);
        check(left == 0, "SGIs left pending or active", round_no, LEVELS);
        if (left)
            grt_printf("nest: round %u: left 0x%x\n", round_no, left);
    }
    check(other_irqs == 0, "other interrupts taken", ROUNDS, 0);
    grt_printf("RESULT nest pass=%u fail=%u\n", pass, fail);
    return 0;
}
