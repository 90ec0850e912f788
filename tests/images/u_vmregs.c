/* hvsim-only image for tests/unit/test_vmregs.c: it rewrites the registers
 * that say which VM and vCPU run (HCR_EL2, VTTBR_EL2, VTCR_EL2, VMPIDR_EL2;
 * hv_cpu_vmreg caches them for the trace's context records) between events:
 * UART writes (mmio and uart events), HVCs from EL1 (exception entries and
 * returns), an MSR followed by a store in the same block, and an HCR_EL2
 * write with VSE and AMO set, which makes hvsim emit an `unimpl` event from
 * inside the MSR hook, before the engine has written the register. The
 * unit test compares the cached values with the engine's at every event. */
#include "rt.h"

#define HCR_VM  (1ul << 0)
#define HCR_AMO (1ul << 5)
#define HCR_VSE (1ul << 8)
#define HCR_RW  (1ul << 31)
#define VTCR_VS (1ul << 19)

static volatile uint64_t hvcs;

static void at_el2(struct rt_frame *f, unsigned kind)
{
    (void)kind;
    /* An HVC from the guest: change the VM registers in the handler, as a
     * hypervisor's world switch does, then return past the HVC. */
    uint64_t n = f->x[1];
    SYSREG_WRITE(vttbr_el2, (n & 0xff) << 48 | 0x1000);
    SYSREG_WRITE(vmpidr_el2, 0x80000000ul | (n & 3));
    rt_putc('h');
    hvcs++;
}

static void guest(uint64_t arg)
{
    (void)arg;
    for (uint64_t i = 0; i < 8; i++)
        rt_hvc(0, i + 40, 0, 0);
    rt_hvc(1, 0, 0, 0);
}

static void at_el2_exit(struct rt_frame *f, unsigned kind)
{
    if (f->x[0] == 1) {
        rt_check(hvcs == 8, "8 HVCs served");
        rt_summary("vmregs");
        rt_exit();
    }
    at_el2(f, kind);
}

int main(uint64_t dtb)
{
    (void)dtb;
    for (uint64_t i = 0; i < 16; i++) {
        SYSREG_WRITE(vttbr_el2, i << 48 | (i & 1 ? 1ul << 56 : 0));
        rt_putc('a');
        SYSREG_WRITE(vtcr_el2, i & 2 ? VTCR_VS : 0);
        rt_putc('b');
        SYSREG_WRITE(vmpidr_el2, 0x80000000ul | i);
        rt_putc('c');
        SYSREG_WRITE(hcr_el2, HCR_RW | (i & 1 ? HCR_VM : 0));
        rt_putc('d');
        /* An MSR and a store with no branch between them. */
        __asm__ volatile("msr vttbr_el2, %0\n str %w1, [%2]" ::"r"(i << 49), "r"('e'),
                         "r"(UART0_BASE)
                         : "memory");
    }
    /* hvsim reports VSE as not implemented from inside the MSR hook: an
     * event before the write, then one after it. */
    SYSREG_WRITE(hcr_el2, HCR_RW | HCR_VM | HCR_AMO | HCR_VSE);
    rt_putc('f');
    SYSREG_WRITE(hcr_el2, HCR_RW);
    rt_putc('\n');
    rt_set_el2_handler(at_el2_exit);
    rt_eret_to((uint64_t)guest, 0, (uint64_t)__el1_stack_top, 0x3c5);
    return 0;
}
