/* Idle benchmark (issue 5 target): a 1 ms tick from the EL2 physical timer
 * (CNTHP, PPI 26) through the GIC, for IDLE_TICKS ticks. Between ticks the
 * PE either sleeps in WFI (the default) or spins on a flag (IDLE_SPIN). On
 * hvsim, WFI lets the run loop jump straight to the next timer deadline, so
 * the sleeping image should cost a tiny fraction of the spinning one:
 * bench/run_idle.py compares the two. Both print the same tick count. */
#include "rt.h"

#define GICD            0x08000000ul
#define GICR_RD         0x080A0000ul
#define GICR_SGI        0x080B0000ul
#define GICR_WAKER      0x0014
#define GICR_IGROUPR0   0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_IPRIORITYR 0x0400
#define PPI_CNTHP       26
#define ONE_MS          62500ul /* CNTFRQ_EL0 = 62.5 MHz on virt */
#define HCR_IMO         (1ul << 4)
#define HCR_RW          (1ul << 31)

#ifndef IDLE_TICKS
#define IDLE_TICKS 2000
#endif

static volatile unsigned ticks;

static void on_irq(struct rt_frame *f, unsigned kind)
{
    (void)f;
    if (kind != 5) { /* IRQ, current EL with SPx */
        rt_printf("unexpected exception kind %u\n", kind);
        rt_exit();
    }
    uint32_t id = (uint32_t)SYSREG_READ(icc_iar1_el1) & 0xffffff;
    if (id == PPI_CNTHP) {
        ticks++;
        /* Next tick 1 ms after the previous deadline: no drift. */
        SYSREG_WRITE(cnthp_cval_el2, SYSREG_READ(cnthp_cval_el2) + ONE_MS);
    }
    if (id != 1023)
        SYSREG_WRITE(icc_eoir1_el1, id);
    ISB();
}

static void gic_init(void)
{
    /* GICv3 spec 12.9.4 GICD_CTLR (ARE, EnableGrp1), 12.11.40 GICR_WAKER. */
    mmio_write32(GICD, 0x12);
    mmio_write32(GICR_RD + GICR_WAKER, mmio_read32(GICR_RD + GICR_WAKER) & ~2u);
    while (mmio_read32(GICR_RD + GICR_WAKER) & 4u)
        ;
    SYSREG_WRITE(icc_sre_el2, SYSREG_READ(icc_sre_el2) | 0x9);
    ISB();
    SYSREG_WRITE(icc_pmr_el1, 0xff);
    SYSREG_WRITE(icc_igrpen1_el1, 1);
    mmio_write32(GICR_SGI + GICR_IGROUPR0, 1u << PPI_CNTHP);
    *(volatile uint8_t *)(GICR_SGI + GICR_IPRIORITYR + PPI_CNTHP) = 0x80;
    mmio_write32(GICR_SGI + GICR_ISENABLER0, 1u << PPI_CNTHP);
    ISB();
}

int main(uint64_t dtb)
{
    (void)dtb;
    rt_set_el2_handler(on_irq);
    /* Physical IRQs are taken to EL2 only with HCR_EL2.IMO set (D1.13.2). */
    SYSREG_WRITE(hcr_el2, HCR_RW | HCR_IMO);
    gic_init();
    SYSREG_WRITE(cnthp_cval_el2, SYSREG_READ(cntpct_el0) + ONE_MS);
    SYSREG_WRITE(cnthp_ctl_el2, 1); /* ENABLE */
    ISB();
    __asm__ volatile("msr daifclr, #2" ::: "memory");
    while (ticks < IDLE_TICKS) {
#ifdef IDLE_SPIN
        __asm__ volatile("" ::: "memory");
#else
        __asm__ volatile("wfi" ::: "memory");
#endif
    }
    __asm__ volatile("msr daifset, #2" ::: "memory");
    SYSREG_WRITE(cnthp_ctl_el2, 0);
    rt_printf("IDLE ticks=%u\n", ticks);
    rt_exit();
    return 0;
}
