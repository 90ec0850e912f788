/* The walk-through image that `hvsim demo` runs, until the real hypervisor
 * exists. One image holds a miniature hypervisor (EL2) and its guest (EL1):
 *
 *   1. the hypervisor builds a stage-2 translation (4 KiB granule, 32-bit
 *      IPA space) that maps the guest's RAM and the UART, and enters the
 *      guest at EL1 with ERET;
 *   2. the guest makes a hypercall (HVC #0x42), answered at EL2;
 *   3. the guest reads IPA 0x80000000, which stage 2 does not map: a
 *      stage-2 data abort that the hypervisor emulates as a device read;
 *   4. the hypervisor raises a virtual IRQ (HCR_EL2.VI) that the guest takes
 *      at EL1 when it unmasks interrupts;
 *   5. the guest says it is done and the hypervisor powers off through PSCI.
 *
 * It runs the same on hvsim and on QEMU virt (virtualization=on).
 */
#include "rt.h"

#define HCR_VM  (1ul << 0)
#define HCR_FMO (1ul << 3)
#define HCR_IMO (1ul << 4)
#define HCR_AMO (1ul << 5)
#define HCR_VI  (1ul << 7)
#define HCR_RW  (1ul << 31)

#define HVC_HELLO    0x42
#define HVC_WANT_IRQ 1
#define HVC_ACK_IRQ  2
#define HVC_DONE     3

#define MMIO_IPA 0x80000000ul

/* Stage-2 tables: level 1 (4 x 1 GiB), two level 2 tables, one level 3. */
static uint64_t s2_l1[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t s2_l2_low[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t s2_l2_ram[512] __attribute__((aligned(4096), section(".pgtables")));
static uint64_t s2_l3_uart[512] __attribute__((aligned(4096), section(".pgtables")));

/* Stage-2 descriptor fields (Arm ARM D8.3, "VMSAv8-64 translation table
 * format descriptors"): MemAttr[5:2], S2AP[7:6], SH[9:8], AF[10]. */
#define S2_TABLE  3ul
#define S2_BLOCK  1ul
#define S2_PAGE   3ul
#define S2_NORMAL (0xful << 2)
#define S2_DEVICE (0x1ul << 2)
#define S2_RW     (3ul << 6)
#define S2_INNER  (3ul << 8)
#define S2_AF     (1ul << 10)

static volatile int virq_seen;

static void build_stage2(void)
{
    /* IPA 0x40000000..0x40400000 -> same PA: the image and its stacks. */
    s2_l1[0] = (uint64_t)s2_l2_low | S2_TABLE;
    s2_l1[1] = (uint64_t)s2_l2_ram | S2_TABLE;
    for (unsigned i = 0; i < 2; i++)
        s2_l2_ram[i] = (0x40000000ul + (i << 21)) | S2_BLOCK | S2_NORMAL | S2_RW | S2_INNER | S2_AF;
    /* IPA 0x09000000 -> the PL011, one 4 KiB device page. */
    s2_l2_low[0x09000000ul >> 21] = (uint64_t)s2_l3_uart | S2_TABLE;
    s2_l3_uart[0] = 0x09000000ul | S2_PAGE | S2_DEVICE | S2_RW | S2_AF;
    DSB();

    /* VTCR_EL2: T0SZ=32 (4 GiB IPA), SL0=1 (start at level 1), inner/outer
     * write-back, inner shareable, TG0=4 KiB, PS=0 (32-bit PA). */
    SYSREG_WRITE(vtcr_el2,
                 32ul | (1ul << 6) | (1ul << 8) | (1ul << 10) | (3ul << 12) | (1ul << 31));
    SYSREG_WRITE(vttbr_el2, (uint64_t)s2_l1 | (1ul << 48)); /* VMID 1 */
    ISB();
    __asm__ volatile("tlbi vmalls12e1\n dsb sy\n isb" ::: "memory");
}

/* ---- the guest, at EL1 --------------------------------------------------- */

static void guest_vectors_handler(struct rt_frame *f, unsigned kind)
{
    (void)f;
    if (kind == 5) { /* IRQ, current EL with SPx */
        rt_puts("[guest] took a virtual IRQ at EL1\n");
        virq_seen = 1;
        rt_hvc(HVC_ACK_IRQ, 0, 0, 0);
        return;
    }
    rt_printf("[guest] unexpected exception kind %u\n", kind);
    rt_hvc(HVC_DONE, 1, 0, 0);
}

static void guest_main(uint64_t arg)
{
    (void)arg;
    rt_set_el1_handler(guest_vectors_handler);
    SYSREG_WRITE(vbar_el1, (uint64_t)el1_vectors);
    ISB();
    rt_printf("[guest] hello from EL%u\n", (unsigned)((SYSREG_READ(CurrentEL) >> 2) & 3));

    uint64_t r = rt_hvc(HVC_HELLO, 7, 0, 0);
    rt_printf("[guest] hypercall returned %u\n", (unsigned)r);

    uint32_t v = *(volatile uint32_t *)MMIO_IPA;
    rt_printf("[guest] read 0x%x from IPA 0x%lx (emulated by the hypervisor)\n", v, MMIO_IPA);

    rt_hvc(HVC_WANT_IRQ, 0, 0, 0);
    __asm__ volatile("msr daifclr, #2\n isb" ::: "memory");
    while (!virq_seen)
        ;
    __asm__ volatile("msr daifset, #2" ::: "memory");
    rt_hvc(HVC_DONE, 0, 0, 0);
    for (;;)
        ;
}

/* ---- the hypervisor, at EL2 -------------------------------------------------- */

static void hyp_handler(struct rt_frame *f, unsigned kind)
{
    unsigned ec = (unsigned)(f->esr >> 26);
    if (kind != 8) { /* anything but a synchronous exception from EL1 */
        rt_printf("[hyp] unexpected exception kind %u ESR 0x%lx\n", kind, (unsigned long)f->esr);
        rt_exit();
    }
    if (ec == 0x16) { /* HVC from AArch64 */
        switch (f->x[0]) {
        case HVC_HELLO:
            rt_printf("[hyp] hypercall 0x42 from the guest with x1=%lu\n", (unsigned long)f->x[1]);
            f->x[0] = f->x[1] * 6;
            break;
        case HVC_WANT_IRQ:
            rt_puts("[hyp] injecting a virtual IRQ (HCR_EL2.VI)\n");
            SYSREG_WRITE(hcr_el2, SYSREG_READ(hcr_el2) | HCR_VI);
            break;
        case HVC_ACK_IRQ:
            SYSREG_WRITE(hcr_el2, SYSREG_READ(hcr_el2) & ~HCR_VI);
            break;
        case HVC_DONE:
            rt_printf("[hyp] guest finished (status %lu), powering off\n", (unsigned long)f->x[1]);
            rt_summary("demo");
            rt_exit();
        default:
            rt_printf("[hyp] unknown hypercall %lu\n", (unsigned long)f->x[0]);
        }
        return;
    }
    if (ec == 0x24) { /* data abort from a lower EL: stage 2 */
        uint64_t ipa = ((SYSREG_READ(hpfar_el2) >> 4) << 12) | (f->far & 0xfff);
        unsigned srt = (unsigned)((f->esr >> 16) & 31);
        bool isv = (f->esr >> 24) & 1;
        rt_printf("[hyp] stage-2 fault at IPA 0x%lx: emulating a device register\n",
                  (unsigned long)ipa);
        rt_check(isv && ipa == MMIO_IPA, "stage-2 abort reports ISV and the IPA");
        if (isv && srt < 31)
            f->x[srt] = 0x1234;
        f->elr += 4;
        return;
    }
    rt_printf("[hyp] unexpected EC 0x%x\n", ec);
    rt_exit();
}

int main(uint64_t dtb)
{
    (void)dtb;
    rt_printf("[hyp] hypervisor running at EL%u\n", (unsigned)((SYSREG_READ(CurrentEL) >> 2) & 3));
    rt_set_el2_handler(hyp_handler);
    build_stage2();
    SYSREG_WRITE(hcr_el2, HCR_VM | HCR_RW | HCR_IMO | HCR_FMO | HCR_AMO);
    ISB();
    rt_puts("[hyp] stage 2 on, entering the guest at EL1\n");
    /* SPSR: EL1h with D, A, I, F masked. */
    rt_eret_to((uint64_t)guest_main, 0, (uint64_t)__el1_stack_top, 0x3c5);
    return 0;
}
