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
 * Output: "stress: life N" per life, "stress: lost L" for a life in which
 * L applied vCRU writes were not seen on read-back (none expected), and
 * "STATUS stress lives=N irqs=M lost=L sink=S" at the end. Where there is no vCRU (QEMU), the vCRU
 * accesses are left out. */
#include "../grt/grt.h"

#include <hvsim/rk3568_cru.h>

#define LIVES     12
#define ROUNDS    3500
#define PERIOD_US 37

#define W32(a, v) (*(volatile uint32_t *)(uintptr_t)(a) = (v))
#define R32(a)    (*(volatile uint32_t *)(uintptr_t)(a))

static volatile uint32_t irqs;
static uint32_t lost; /* this life's; .bss starts at zero after each reset */
static uint64_t period;

void grt_irq(void)
{
    uint32_t intid = grt_iar();
    if (intid == 27) {
        irqs++;
        SYSREG_W(cntv_tval_el0, period);
    }
    if (intid < 1020)
        grt_eoi(intid);
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
        if (r % 64 == 0)
            grt_hvc(HYP_CONSOLE_WRITE, (uint64_t)(uintptr_t)line, sizeof line - 1, 0);
    }
    SYSREG_W(cntv_ctl_el0, 0);
    if (cru)
        W32(cru + g28->off, 0x00010000u); /* pclk open again for the output below */
    if (lost)
        grt_printf("stress: lost %u\n", lost);
    if (life + 1 < LIVES)
        grt_hvc(PSCI_SYSTEM_RESET, 0, 0, 0);
    grt_printf("STATUS stress lives=%llu irqs=%u lost=%u sink=%u\n", (unsigned long long)life + 1,
               irqs, lost, sink);
    return 0;
}
