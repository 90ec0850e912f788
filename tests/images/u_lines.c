/* hvsim-only image (not differential: QEMU has no way to drive the PE's
 * IRQ/FIQ inputs without programming its GIC). tests/unit/test_machine.c
 * asserts a physical IRQ or FIQ line on the PE and feeds one mode byte on
 * UART0; the image reports where the interrupt is taken, which checks the
 * routing rules of Arm ARM D1.13.2 ("Asynchronous exception routing"):
 *   a: HCR_EL2.IMO=1, running at EL1 -> IRQ to EL2 (lower-EL vector)
 *   b: HCR_EL2.IMO=0, running at EL1 -> IRQ to EL1
 *   c: HCR_EL2.FMO=1, running at EL1 -> FIQ to EL2
 *   d: HCR_EL2.FMO=0, running at EL1 -> FIQ to EL1
 *   e: HCR_EL2.IMO=1, running at EL2 with PSTATE.I=0 -> IRQ to EL2 (current)
 *   f: HCR_EL2.IMO=0, running at EL2 -> not taken (EL1 is below EL2) */
#include "rt.h"

#define HCR_FMO (1ul << 3)
#define HCR_IMO (1ul << 4)
#define HCR_RW  (1ul << 31)

static const char *const kinds[16] = {
    "sync/SP0", "IRQ/SP0",    "FIQ/SP0",    "SError/SP0", "sync/SPx",  "IRQ/SPx",
    "FIQ/SPx",  "SError/SPx", "sync/lower", "IRQ/lower",  "FIQ/lower", "SError/lower",
};

static void at_el2(struct rt_frame *f, unsigned kind)
{
    (void)f;
    rt_printf("taken at EL2: %s\n", kinds[kind & 15]);
    rt_summary("lines");
    rt_exit();
}

static void at_el1(struct rt_frame *f, unsigned kind)
{
    (void)f;
    rt_printf("taken at EL1: %s\n", kinds[kind & 15]);
    rt_summary("lines");
    rt_exit(); /* SMC from EL1 with HCR_EL2.TSC=0 reaches the firmware */
}

static void guest(uint64_t arg)
{
    (void)arg;
    SYSREG_WRITE(vbar_el1, (uint64_t)el1_vectors);
    ISB();
    __asm__ volatile("msr daifclr, #3\n isb" ::: "memory");
    for (volatile int i = 0; i < 100000; i++)
        ;
    rt_puts("not taken at EL1\n");
    rt_summary("lines");
    rt_exit();
}

int main(uint64_t dtb)
{
    (void)dtb;
    while (mmio_read32(UART0_BASE + 0x18) & (1u << 4))
        ;
    char mode = (char)mmio_read32(UART0_BASE);
    uint64_t hcr = HCR_RW;
    if (mode == 'a' || mode == 'e')
        hcr |= HCR_IMO;
    if (mode == 'c')
        hcr |= HCR_FMO;
    rt_set_el2_handler(at_el2);
    rt_set_el1_handler(at_el1);
    rt_check(true, "mode %c", mode);
    SYSREG_WRITE(hcr_el2, hcr);
    ISB();
    if (mode == 'e' || mode == 'f') {
        __asm__ volatile("msr daifclr, #3\n isb" ::: "memory");
        for (volatile int i = 0; i < 100000; i++)
            ;
        rt_puts("not taken at EL2\n");
        rt_summary("lines");
        return 0;
    }
    rt_eret_to((uint64_t)guest, 0, (uint64_t)__el1_stack_top, 0x3c5);
    return 0;
}
