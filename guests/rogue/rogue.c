/* rogue: a guest that attacks the others, in a fixed, deterministic script.
 * Every attack must be refused by the hypervisor and recorded, and must
 * leave rtos and gpos unaffected (tests/e2e/test_hypervisor.py compares
 * their output with a run without rogue). Output lines:
 *   rogue: <attack>: <what the guest saw>
 *   STATUS rogue faults=<n> ...
 * then it crashes itself (an exception at its own exception vector), which
 * the hypervisor turns into stopping this VM only. (PSCI SYSTEM_OFF of one
 * VM is what rtos and gpos end with: each stops only itself.) */
#include "../grt/grt.h"

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

int main(void)
{
    grt_console_init();
    grt_printf("rogue: start dtb=%s\n", grt_dtb_status());

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

    /* Trapped instructions: the EL1 physical timer, SMC to firmware. */
    __asm__ volatile("msr cntp_ctl_el0, %0" ::"r"(1ul));
    report("msr cntp_ctl_el0");
    register uint64_t x0 __asm__("x0") = 0x82000000u; /* an SMC no one implements */
    __asm__ volatile("smc #0" : "+r"(x0)::"x1", "x2", "x3", "memory");
    grt_printf("rogue: smc 0x82000000 returned %lld\n", (long long)x0);

    /* Flood: hypercalls and refused vGIC writes. */
    for (unsigned i = 0; i < 1000; i++)
        grt_hvc(HYP_NULL, 0, 0, 0);
    for (unsigned i = 0; i < 200; i++)
        W32(GICD + 0x104, 1u << 9); /* INTID 41 */
    grt_printf("rogue: flood done\n");

    /* PSCI for vCPUs it does not have. */
    struct grt_hvc_ret r = grt_hvc(PSCI_CPU_ON, 7, 0x40000000, 0);
    grt_printf("rogue: CPU_ON 7 returned %lld\n", (long long)r.x0);
    grt_printf("STATUS rogue faults=%u irqs=%u\n", faults, irqs);

    /* Crash: exception vectors at an address with nothing behind it, then
     * an undefined instruction. */
    SYSREG_W(vbar_el1, 0x10000000ul);
    __asm__ volatile("udf #0");
    grt_printf("rogue: survived its crash (never reached)\n");
    return 0;
}
