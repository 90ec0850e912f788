/* rogue: a guest that attacks the others, in a fixed, deterministic script.
 * Every attack must be refused by the hypervisor and recorded, and must
 * leave rtos and gpos unaffected (tests/e2e/test_hypervisor.py compares
 * their output with a run without rogue). Output lines:
 *   rogue: <attack>: <what the guest saw>
 *   rogue: cru|grf <register> <- <value>: readback=<value> (what=...)
 *   STATUS rogue faults=<n> ...
 * then it resets itself (PSCI SYSTEM_RESET of this VM only) and, in its
 * second life, reads back its own CRU fields (the reset must have put them
 * back to their reset values) and crashes itself (an exception at its own
 * exception vector), which the hypervisor turns into stopping this VM only. (PSCI SYSTEM_OFF of one
 * VM is what rtos and gpos end with: each stops only itself.) */
#include "../grt/grt.h"

#include <hvsim/rk3568_cru.h>

static volatile uint32_t faults;
static volatile uint64_t last_esr;
static uint32_t irqs;

void grt_irq(void)
{
    uint32_t intid = grt_iar();
    irqs++;
    if (intid < 1020)
        grt_eoi(intid);
}

/* A synchronous exception: count it and skip the faulting instruction. */
uint64_t grt_sync(uint64_t esr, uint64_t elr, uint64_t far)
{
    (void)far;
    faults++;
    last_esr = esr;
    return elr + 4;
}

void secondary_main(uint64_t ctx)
{
    (void)ctx;
}

static void report(const char *what)
{
    grt_printf("rogue: %s: faults=%u ec=0x%02x\n", what, faults, (unsigned)(last_esr >> 26));
}

#define W32(a, v) (*(volatile uint32_t *)(uintptr_t)(a) = (v))
#define R32(a)    (*(volatile uint32_t *)(uintptr_t)(a))
#define GICD      0x08000000ul
#define GICR      0x080a0000ul

/* CRU/SYSCON attacks on the other VMs' devices (rtos: uart1; gpos: uart2
 * and i2c0) and on the shared bus clock: gate their clocks, assert their
 * resets, change their dividers and clock sources, re-mux their pins.
 * The hypervisor refuses each field it does not own (one refusal event per
 * field) and keeps its view: every refused write reads back unchanged.
 * Then writes to its own UART3's fields, which are applied (its console
 * keeps running from xin24m: the source divider and the fractional gate
 * are off its sclk path). */
struct clk_attack {
    enum rk_reg_id reg;
    uint32_t value;
    const char *what;
};

static const struct clk_attack clk_attacks_tab[] = {
    {RK_R_CLKGATE27, 0xf000f000u, "gate uart1 (rtos)"},
    {RK_R_CLKGATE28, 0x000f000fu, "gate uart2 (gpos)"},
    {RK_R_PMU_CLKGATE1, 0x00030003u, "gate i2c0 (gpos)"},
    {RK_R_CLKGATE26, 0x00020002u, "gate pclk_bus (shared)"},
    {RK_R_SOFTRST24, 0x0c000c00u, "reset uart1"},
    {RK_R_SOFTRST25, 0x00030003u, "reset uart2"},
    {RK_R_PMU_SOFTRST0, 0x00180018u, "reset i2c0"},
    {RK_R_CLKSEL52, 0x307f0005u, "uart1 sclk source and divider"},
    {RK_R_CLKSEL55, 0x00010001u, "uart2 fractional divider"},
    {RK_R_PMU_CLKSEL3, 0x007f007fu, "i2c0 divider"},
    {RK_R_GRF_GPIO2B_L, 0x70000000u, "re-mux uart1 rx to GPIO"},
    {RK_R_GRF_GPIO2B_H, 0x00070000u, "re-mux uart1 tx to GPIO"},
    {RK_R_PMUGRF_GPIO0D_L, 0x00770000u, "re-mux uart2 pins to GPIO"},
    {RK_R_GRF_IOFUNC_SEL3, 0x0c000400u, "uart2 to its M1 pins"},
    {RK_R_PMUGRF_GPIO0B_L, 0x07700000u, "re-mux i2c0 pins to GPIO"},
    /* mixed: uart2's source gate (refused) with its own uart3 fractional gate */
    {RK_R_CLKGATE28, 0x00420042u, "gate uart2 src + own uart3 frac"},
    {RK_R_CLKGATE28, 0x00400000u, "ungate own uart3 frac"},
    {RK_R_CLKSEL56, 0x007f0003u, "own uart3 source divider"},
    /* left so for its reset to undo: its frac gate closed, the divider 3 */
    {RK_R_CLKGATE28, 0x00400040u, "gate own uart3 frac"},
};

static void clk_attacks(void)
{
    struct grt_hvc_ret vd = grt_hvc(HYP_VDEV_INFO, 0, 0, 0);
    if (!(vd.x0 & 1)) {
        grt_printf("rogue: no vCRU/vGRF on this platform: CRU/SYSCON attacks skipped\n");
        return;
    }
    for (unsigned i = 0; i < sizeof clk_attacks_tab / sizeof clk_attacks_tab[0]; i++) {
        const struct clk_attack *a = &clk_attacks_tab[i];
        const struct rk_reg_desc *d = &rk3568_regs[a->reg];
        uint64_t addr = (d->block == RK_BLK_CRU ? vd.x1 : vd.x2) + d->off;
        W32(addr, a->value);
        grt_printf("rogue: %s %s <- 0x%08x: readback=0x%08x (%s)\n",
                   d->block == RK_BLK_CRU ? "cru" : "grf", d->name, (unsigned)a->value,
                   (unsigned)R32(addr), a->what);
    }
    /* A register the model does not describe (PLL_CON0 of the CRU). */
    W32(vd.x1 + 0x0, 0xffff0000u);
    grt_printf("rogue: cru offset 0x0000 <- 0xffff0000: readback=0x%08x (unmodelled)\n",
               (unsigned)R32(vd.x1));
}

/* A device interrupt storm: its own UART3's transmit interrupt unmasked
 * (TXIS is set: the UART has sent bytes, PL011 TRM 3.4.3) and never cleared
 * in the UART (no ICR write): each EOI deactivates the physical SPI, which
 * is still asserted and fires again at once. The hypervisor forwards at
 * most HYP_IRQ_BUDGET of them per window, then masks the SPI (a refusal
 * event) until rogue disables and re-enables it, which it does once. */
#define UART_IMSC 0x09000038ul
#define TXIM      (1u << 5)
#define CONS_IRQ  33u /* its console's virtual SPI (configs/default.c) */

static void spin(void)
{
    for (volatile unsigned i = 0; i < 200000; i++)
        ;
}

static void irq_flood(void)
{
    struct grt_hvc_ret vd = grt_hvc(HYP_VDEV_INFO, 0, 0, 0);
    if (!(vd.x0 & 2)) {
        grt_printf("rogue: no console interrupt on this platform: device flood skipped\n");
        return;
    }
    grt_gic_init();
    W32(GICD + 0x80 + 4 * (CONS_IRQ / 32),
        R32(GICD + 0x80 + 4 * (CONS_IRQ / 32)) | 1u << (CONS_IRQ % 32));
    *(volatile uint8_t *)(GICD + 0x400 + CONS_IRQ) = 0x80;
    W32(GICD + 0x100 + 4 * (CONS_IRQ / 32), 1u << (CONS_IRQ % 32)); /* ISENABLER */
    W32(UART_IMSC, R32(UART_IMSC) | TXIM);
    grt_irq_enable();
    spin();
    __asm__ volatile("msr daifset, #2" ::: "memory");
    uint32_t first = irqs;
    /* Re-arm it (GICD_ICENABLER, then ISENABLER), as a driver would: a new
     * budget, a second storm. */
    W32(GICD + 0x180 + 4 * (CONS_IRQ / 32), 1u << (CONS_IRQ % 32));
    W32(GICD + 0x100 + 4 * (CONS_IRQ / 32), 1u << (CONS_IRQ % 32));
    grt_irq_enable();
    spin();
    __asm__ volatile("msr daifset, #2" ::: "memory");
    grt_printf("rogue: device interrupt flood: irqs=%u, re-armed: irqs=%u\n", first, irqs - first);
}

/* After its reset: its own UART3 fields read back at their reset values
 * (docs/soc.md: CLKSEL_CON56 0x2000, CLKGATE_CON28 0), although it left
 * them changed. */
static void after_reset(uint64_t resets)
{
    struct grt_hvc_ret vd = grt_hvc(HYP_VDEV_INFO, 0, 0, 0);
    if (!(vd.x0 & 1)) {
        grt_printf("rogue: reset %u: no vCRU/vGRF on this platform\n", (unsigned)resets);
        return;
    }
    const struct rk_reg_desc *a = &rk3568_regs[RK_R_CLKSEL56], *b = &rk3568_regs[RK_R_CLKGATE28];
    grt_printf("rogue: reset %u: cru %s=0x%08x %s=0x%08x\n", (unsigned)resets, a->name,
               (unsigned)R32(vd.x1 + a->off), b->name, (unsigned)R32(vd.x1 + b->off));
}

static void crash(void)
{
    /* Crash: exception vectors at an address with nothing behind it, then
     * an undefined instruction. */
    SYSREG_W(vbar_el1, 0x10000000ul);
    __asm__ volatile("udf #0");
    grt_printf("rogue: survived its crash (never reached)\n");
}

int main(void)
{
    grt_console_init();
    grt_printf("rogue: start dtb=%s\n", grt_dtb_status());
    uint64_t resets = grt_hvc(HYP_VM_RESETS, 0, 0, 0).x0;
    if (resets) {
        after_reset(resets);
        crash();
        return 0;
    }

    /* Memory outside its own RAM: an IPA beyond it, the PA of gpos's RAM
     * and of rtos's UART used as IPAs. Each is a stage-2 fault. */
    (void)R32(0x50000000ul);
    report("read ipa 0x50000000");
    W32(0x44800000ul, 0xbad);
    report("write ipa 0x44800000 (gpos's RAM as a PA)");
    W32(0x09100000ul, 'X');
    report("write ipa 0x09100000 (uart1 as a PA)");

    /* The vGIC: other VMs' INTIDs and the hypervisor's PPIs. Refused
     * writes change nothing: read back as zero. */
    W32(GICD + 0x104, 1u << 8); /* ISENABLER1: INTID 40, rtos's UART1 on hvsim */
    grt_printf("rogue: enable INTID 40: readback=0x%x\n", R32(GICD + 0x104));
    *(volatile uint8_t *)(GICD + 0x400 + 41) = 0;
    grt_printf("rogue: priority of INTID 41: readback=0x%x\n", R32(GICD + 0x428));
    W32(GICR + 0x10100, 1u << 26); /* the hypervisor's timer PPI */
    grt_printf("rogue: enable PPI 26: readback=0x%x\n", R32(GICR + 0x10100));
    W32(GICR + 0x10180, 1u << 25); /* the maintenance interrupt */
    grt_printf("rogue: disable PPI 25: readback=0x%x\n", R32(GICR + 0x10100));
    /* SGIs to vCPUs outside its VM (ICC_SGI1R_EL1: INTID [27:24], Aff1
     * [23:16], TargetList [15:0], RS [47:44]; ICC_SGI0R_EL1 the same for
     * Group 0): a vCPU 1 it does not have (gpos's vCPU 1 has the same
     * Aff0), another cluster, another range. Each write is ignored and
     * recorded by the hypervisor; nothing faults. */
    SYSREG_W(S3_0_C12_C11_5, 1ul << 24 | 1u << 1);
    SYSREG_W(S3_0_C12_C11_5, 2ul << 24 | 1ul << 16 | 1u);
    SYSREG_W(S3_0_C12_C11_5, 3ul << 24 | 1ul << 44 | 1u);
    SYSREG_W(S3_0_C12_C11_7, 4ul << 24 | 1u << 1);
    report("4 SGIs to vCPUs outside its VM");
    /* A Group 0 SGI to itself (ICC_SGI0R_EL1): its vGIC offers Group 1
     * only, so this is refused and recorded too, not delivered. */
    SYSREG_W(S3_0_C12_C11_7, 5ul << 24 | 1u);
    report("a Group 0 SGI to itself");

    /* Another VM's interrupt state: make rtos's UART1 interrupt (INTID 40)
     * active, so that it would never be signalled again, pending, or
     * clear its active state while rtos handles it (GICD_ISACTIVER1,
     * ISPENDR1, ICACTIVER1). Each is refused; the state reads as zero. */
    W32(GICD + 0x304, 1u << 8);
    W32(GICD + 0x204, 1u << 8);
    W32(GICD + 0x384, 1u << 8);
    grt_printf("rogue: INTID 40 active/pending: readback=0x%x/0x%x\n", R32(GICD + 0x304),
               R32(GICD + 0x204));

    /* The EL1 physical timer: its own, emulated by the hypervisor (the
     * real one is shared by every VM and never given to a guest). Enabled
     * with CVAL = 0 its condition holds at once (ISTATUS = 1); it has INTID
     * 30 disabled, so nothing is delivered, to it or anyone. */
    SYSREG_W(cntp_cval_el0, 0);
    SYSREG_W(cntp_ctl_el0, 1);
    grt_printf("rogue: cntp_ctl_el0 <- 1 (cval 0): readback=0x%x faults=%u\n",
               (unsigned)SYSREG_R(cntp_ctl_el0), faults);
    SYSREG_W(cntp_ctl_el0, 0);

    /* Trapped instructions: SMC to firmware. */
    register uint64_t x0 __asm__("x0") = 0x82000000u; /* an SMC no one implements */
    __asm__ volatile("smc #0" : "+r"(x0)::"x1", "x2", "x3", "memory");
    grt_printf("rogue: smc 0x82000000 returned %lld\n", (long long)x0);

    /* Flood: hypercalls and refused vGIC writes. Its FP/SIMD registers
     * hold its own values meanwhile (gpos checks that its own survive:
     * the hypervisor's lazy FP/SIMD switch). */
    grt_fp_fill(0x726f677565); /* "rogue" */
    for (unsigned i = 0; i < 1000; i++)
        grt_hvc(HYP_NULL, 0, 0, 0);
    for (unsigned i = 0; i < 200; i++)
        W32(GICD + 0x104, 1u << 9); /* INTID 41 */
    grt_printf("rogue: flood done\n");

    irq_flood();
    clk_attacks();

    /* PSCI for vCPUs it does not have. */
    struct grt_hvc_ret r = grt_hvc(PSCI_CPU_ON, 7, 0x40000000, 0);
    grt_printf("rogue: CPU_ON 7 returned %lld\n", (long long)r.x0);
    grt_printf("STATUS rogue faults=%u irqs=%u\n", faults, irqs);

    /* Reset itself: the hypervisor restarts this VM only. */
    grt_hvc(PSCI_SYSTEM_RESET, 0, 0, 0);
    grt_printf("rogue: SYSTEM_RESET returned (never reached)\n");
    return 0;
}
