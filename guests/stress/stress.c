/* stress: a guest that keeps the hypervisor busy with its most expensive
 * traps, so that interrupts are asserted while the hypervisor handles one
 * (the "during another VM's trap" latency of issue 7; bench/run_hyp.py
 * --lat and tests/e2e/test_hyp_latency.py measure it on
 * hypervisor-lat.elf: rtos + stress).
 *
 * Each life (it resets itself with PSCI SYSTEM_RESET of this VM, LIVES
 * times, then powers off):
 *   - its own virtual timer every PERIOD_US µs, a period prime to its
 *     loop, so that the physical PPI 27 is asserted at ever different
 *     points of its traps (each one a sample of the blocking time);
 *   - ROUNDS rounds of: a refused vGIC write (GICD_ISENABLER1 bit 8,
 *     INTID 40, which it does not own), a null hypercall, a vCRU read,
 *     a vCRU write of CLKGATE_CON27 whose four fields (uart1's gates,
 *     rtos's) are refused, an applied write of its own UART2's pclk gate
 *     (closed in odd rounds, open in even ones, while the UART is idle) read
 *     back, so that a write the hypervisor abandons at a preemption point
 *     and then loses shows as `lost` (it must re-execute it), a
 *     VM_INFO hypercall, and every 64th round a console hypercall (a line
 *     the hypervisor prints on UART0);
 *   - then the reset (PSCI SYSTEM_RESET: the image and DTB reloaded, its
 *     vCRU/vGRF fields and vGIC reset).
 * A set of its own virtual timer's pending state (GICR_ISPENDR0 bit 27,
 * set_pending_ppi27): the hypervisor makes the physical PPI 27 pending
 * (the timer is forwarded with the HW bit), and PPI 27 is banked per PE,
 * not per vCPU. Sets land at ever different points relative to the rtos's
 * 1-ms tick, so that some tick is asserted between the set and the
 * hypervisor's acknowledge and switches this vCPU out: the pending state
 * must leave with it (hyp_vcpu_put / hyp_vcpu_load, docs/hypervisor.md),
 * not be given to the rtos (which counts a timer interrupt it takes with
 * its own timer condition false: `not_due` in its STATUS line). Each set
 * must give this VM exactly one virtual IRQ 27, taken while its timer is
 * masked (CNTV_CTL_EL0.IMASK: only a set can signal then); a set with none
 * or more than one, or an IRQ 27 taken with its timer neither masked nor
 * firing, counts in `pend_bad`.
 *
 * Output: "stress: life N" per life, "stress: lost L" for a life in which
 * L applied vCRU writes were not seen on read-back (none expected),
 * "stress: pend_bad B" for a life in which B sets went wrong (none
 * expected), and "STATUS stress lives=N irqs=M lost=L pends=P pend_bad=B
 * sink=S" at the end (the last life's counts). Where there is no vCRU
 * (QEMU), the vCRU accesses are left out. */
#include "../grt/grt.h"

#include <hvsim/rk3568_cru.h>

#define LIVES     12
#define ROUNDS    3500
#define PERIOD_US 37
#define SETS      1    /* sets of its own PPI 27 pending per round */
#define SET_WAIT  4096 /* loop turns a set's interrupt may take to come */

/* CNTV_CTL_EL0: ENABLE, IMASK, ISTATUS (the timer's condition and its
 * output, Arm ARM D11.2.4) */
#define CTL_ENABLE  1u
#define CTL_IMASK   2u
#define CTL_ISTATUS 4u
/* Its redistributor's SGI_base frame, GICR_ISPENDR0 (GICv3 12.11.x). */
#define GICR_SGI_BASE(cpu) (GICR_BASE + 0x20000ul * (cpu) + 0x10000ul)
#define GICR_ISPENDR0      0x200

#define W32(a, v) (*(volatile uint32_t *)(uintptr_t)(a) = (v))
#define R32(a)    (*(volatile uint32_t *)(uintptr_t)(a))

static volatile uint32_t irqs;
static uint32_t lost; /* this life's; .bss starts at zero after each reset */
static uint64_t period;
static volatile uint32_t set_irqs; /* IRQ 27 taken with the timer masked: a set's */
static volatile uint32_t stray;    /* IRQ 27 neither a set's nor its timer's */
static uint32_t pends, pend_bad;

void grt_irq(void)
{
    uint32_t intid = grt_iar();
    if (intid == 27) {
        /* Its timer's output is its condition (ISTATUS) unless masked
         * (D11.2.4); masked, only a software-set pending state signals. */
        uint64_t ctl = SYSREG_R(cntv_ctl_el0);
        if (ctl & CTL_IMASK) {
            set_irqs++;
        } else if (ctl & CTL_ISTATUS) {
            irqs++;
            SYSREG_W(cntv_tval_el0, period);
        } else {
            stray++;
        }
    }
    if (intid < 1020)
        grt_eoi(intid);
}

/* Set its own virtual timer's pending state through GICR_ISPENDR0 (GICv3
 * 12.11.x; 4.1.2: the pending state of a level-sensitive interrupt set by
 * software lasts until it is acknowledged) with the timer's output masked,
 * and count whether exactly one IRQ 27 follows. On hvsim and QEMU the
 * interrupt comes before the guest's next instruction, or at the next
 * load of this vCPU if it was switched out first; SET_WAIT turns are far
 * more than that. After the first, the wait goes on as long again (16
 * turns at least) for a second one: a set delivered twice. */
static void set_pending_ppi27(uint64_t sgi)
{
    SYSREG_W(cntv_ctl_el0, CTL_ENABLE | CTL_IMASK);
    uint32_t before = set_irqs;
    W32(sgi + GICR_ISPENDR0, 1u << 27);
    unsigned turns = 0;
    while (set_irqs == before && turns < SET_WAIT)
        turns++;
    for (unsigned k = turns; k < 2 * turns + 16 && set_irqs == before + 1; k++)
        __asm__ volatile("" ::: "memory");
    uint32_t got = set_irqs - before;
    SYSREG_W(cntv_ctl_el0, CTL_ENABLE);
    pends++;
    if (got != 1)
        pend_bad++;
}

uint64_t grt_sync(uint64_t esr, uint64_t elr, uint64_t far)
{
    (void)esr;
    (void)far;
    return elr + 4;
}

void secondary_main(uint64_t ctx)
{
    (void)ctx;
}

static char line[] = "stress: a console hypercall line, printed by the hypervisor on UART0 "
                     "(0123456789abcdefghijklmnopqrstuvwxyz)\n";

int main(void)
{
    grt_console_init();
    uint64_t life = grt_hvc(HYP_VM_RESETS, 0, 0, 0).x0;
    grt_printf("stress: life %llu\n", (unsigned long long)life);
    struct grt_hvc_ret vd = grt_hvc(HYP_VDEV_INFO, 0, 0, 0);
    uint64_t cru = vd.x0 & 1 ? vd.x1 : 0;
    uint64_t sgi = GICR_SGI_BASE(SYSREG_R(mpidr_el1) & 0xff);
    period = SYSREG_R(cntfrq_el0) / 1000000 * PERIOD_US;
    grt_gic_init();
    SYSREG_W(cntv_tval_el0, period);
    SYSREG_W(cntv_ctl_el0, 1);
    grt_irq_enable();
    uint32_t sink = 0;
    const struct rk_reg_desc *g27 = &rk3568_regs[RK_R_CLKGATE27];
    const struct rk_reg_desc *g28 = &rk3568_regs[RK_R_CLKGATE28];
    if (cru) /* UART2 idle (PL011 FR.BUSY, bit 3): its pclk gate is toggled below */
        while (R32(GRT_UART + 0x18) & (1u << 3))
            ;
    for (unsigned r = 0; r < ROUNDS; r++) {
        W32(GICD_BASE + 0x104, 1u << 8);
        grt_hvc(HYP_NULL, 0, 0, 0);
        if (cru) {
            uint32_t closed = r & 1;
            sink += R32(cru + g27->off);
            W32(cru + g27->off, 0xf000f000u);          /* uart1's four gates: refused */
            W32(cru + g28->off, 0x00010000u | closed); /* pclk_uart2_en: applied */
            if ((R32(cru + g28->off) & 1u) != closed)
                lost++;
        }
        grt_hvc(HYP_VM_INFO, 0, 0, 0);
        for (unsigned k = 0; k < SETS; k++)
            set_pending_ppi27(sgi);
        if (r % 64 == 0)
            grt_hvc(HYP_CONSOLE_WRITE, (uint64_t)(uintptr_t)line, sizeof line - 1, 0);
    }
    /* IRQs masked first: an IRQ 27 of its timer already on its way would
     * otherwise be taken with the timer off, and count as stray. */
    __asm__ volatile("msr daifset, #2" ::: "memory");
    SYSREG_W(cntv_ctl_el0, 0);
    if (cru)
        W32(cru + g28->off, 0x00010000u); /* pclk open again for the output below */
    if (lost)
        grt_printf("stress: lost %u\n", lost);
    pend_bad += stray;
    if (pend_bad)
        grt_printf("stress: pend_bad %u\n", pend_bad);
    if (life + 1 < LIVES)
        grt_hvc(PSCI_SYSTEM_RESET, 0, 0, 0);
    grt_printf("STATUS stress lives=%llu irqs=%u lost=%u pends=%u pend_bad=%u sink=%u\n",
               (unsigned long long)life + 1, irqs, lost, pends, pend_bad, sink);
    return 0;
}
