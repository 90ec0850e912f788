/* SPIs through the distributor (GICv3 spec IHI 0069, chapter 12.9, GICD_*
 * registers, and 4.1 "Interrupt lifecycle"): software-pended SPIs delivered
 * by priority, cleared by ICPENDR, disabled by ICENABLER; and a device SPI,
 * the PL011's TX interrupt (UARTINTR on SPI 1 = INTID 33 on virt). Taken at
 * EL2 with HCR_EL2.IMO=1 (Arm ARM D1.13.2). */
#include "rt.h"

#define GICD            0x08000000ul
#define GICD_CTLR       0x0000
#define GICD_IGROUPR    0x0080
#define GICD_ISENABLER  0x0100
#define GICD_ICENABLER  0x0180
#define GICD_ISPENDR    0x0200
#define GICD_ICPENDR    0x0280
#define GICD_ISACTIVER  0x0300
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR      0x0c00
#define GICD_IROUTER    0x6000
#define GICR_RD         0x080A0000ul
#define GICR_WAKER      0x0014
#define UART_IMSC       0x038
#define UART_RIS        0x03c
#define UART_ICR        0x044
#define UART_TXIM       (1u << 5)
#define HCR_IMO         (1ul << 4)
#define HCR_RW          (1ul << 31)
#define SPURIOUS        1023u

static volatile unsigned seen[8], nseen;

static void gicd_bit(unsigned reg, unsigned intid)
{
    mmio_write32(GICD + reg + 4 * (intid / 32), 1u << (intid % 32));
}

static bool gicd_test(unsigned reg, unsigned intid)
{
    return (mmio_read32(GICD + reg + 4 * (intid / 32)) >> (intid % 32)) & 1;
}

static void on_irq(struct rt_frame *f, unsigned kind)
{
    (void)f;
    if (kind != 5) {
        rt_printf("unexpected exception kind %u\n", kind);
        rt_summary("gic_spi");
        rt_exit();
    }
    uint32_t id = (uint32_t)SYSREG_READ(icc_iar1_el1) & 0xffffff;
    if (nseen < 8)
        seen[nseen++] = id;
    if (id == 33) /* the UART: clear its TX interrupt at the source */
        mmio_write32(UART0_BASE + UART_ICR, UART_TXIM);
    if (id != SPURIOUS)
        SYSREG_WRITE(icc_eoir1_el1, id);
    ISB();
}

static void setup_spi(unsigned intid, uint8_t prio)
{
    /* IGROUPR is a plain read/write register, not a set/clear pair. */
    uintptr_t grp = GICD + GICD_IGROUPR + 4 * (intid / 32);
    mmio_write32(grp, mmio_read32(grp) | 1u << (intid % 32)); /* group 1 */
    *(volatile uint8_t *)(GICD + GICD_IPRIORITYR + intid) = prio;
    /* IROUTER: Interrupt_Routing_Mode 0, affinity 0.0.0.0 (this PE). */
    *(volatile uint64_t *)(GICD + GICD_IROUTER + 8 * intid) = 0;
    gicd_bit(GICD_ISENABLER, intid);
}

/* Open an IRQ window long enough for several interrupts in a row: after each
 * ERET a PE may retire a few instructions before it takes the next pending
 * interrupt (QEMU retires one), so a two-instruction window is not enough. */
static void take(void)
{
    __asm__ volatile("msr daifclr, #2\n isb" ::: "memory");
    for (volatile int i = 0; i < 64; i++)
        ;
    __asm__ volatile("msr daifset, #2\n isb" ::: "memory");
}

int main(uint64_t dtb)
{
    (void)dtb;
    rt_set_el2_handler(on_irq);
    SYSREG_WRITE(hcr_el2, HCR_RW | HCR_IMO);
    mmio_write32(GICD + GICD_CTLR, 0x12); /* ARE, EnableGrp1 */
    mmio_write32(GICR_RD + GICR_WAKER, mmio_read32(GICR_RD + GICR_WAKER) & ~2u);
    while (mmio_read32(GICR_RD + GICR_WAKER) & 4u)
        ;
    SYSREG_WRITE(icc_sre_el2, SYSREG_READ(icc_sre_el2) | 0x9);
    ISB();
    SYSREG_WRITE(icc_pmr_el1, 0xff);
    SYSREG_WRITE(icc_igrpen1_el1, 1);
    ISB();

    /* Three SPIs made pending by software while IRQs are masked, then taken
     * highest priority first (lower value = higher priority). */
    setup_spi(40, 0xa0);
    setup_spi(41, 0x60);
    setup_spi(70, 0x80);
    gicd_bit(GICD_ISPENDR, 40);
    gicd_bit(GICD_ISPENDR, 41);
    gicd_bit(GICD_ISPENDR, 70);
    rt_check(gicd_test(GICD_ISPENDR, 40) && gicd_test(GICD_ISPENDR, 70), "SPIs 40, 70 pending");
    rt_check((SYSREG_READ(icc_hppir1_el1) & 0xffffff) == 41, "HPPIR1 = 41 (priority 0x60)");
    nseen = 0;
    take();
    rt_check(nseen == 3 && seen[0] == 41 && seen[1] == 70 && seen[2] == 40,
             "taken in priority order: %u %u %u", seen[0], seen[1], seen[2]);
    rt_check(!gicd_test(GICD_ISPENDR, 40) && !gicd_test(GICD_ISACTIVER, 40),
             "SPI 40 neither pending nor active after EOI");

    /* ICPENDR removes a pending SPI before it is taken. */
    gicd_bit(GICD_ISPENDR, 40);
    gicd_bit(GICD_ICPENDR, 40);
    nseen = 0;
    take();
    rt_check(nseen == 0 && !gicd_test(GICD_ISPENDR, 40), "ICPENDR: nothing taken");

    /* A disabled SPI stays pending and is not signalled. */
    gicd_bit(GICD_ICENABLER, 41);
    gicd_bit(GICD_ISPENDR, 41);
    nseen = 0;
    take();
    rt_check(nseen == 0 && gicd_test(GICD_ISPENDR, 41), "disabled SPI 41 stays pending");
    rt_check((SYSREG_READ(icc_iar1_el1) & 0xffffff) == SPURIOUS, "IAR1 reads 1023 (spurious)");
    gicd_bit(GICD_ISENABLER, 41);
    take();
    rt_check(nseen == 1 && seen[0] == 41, "enabled again: SPI 41 taken");

    /* Edge-triggered configuration (GICD_ICFGR: 2 bits per INTID, bit 1 =
     * edge) reads back. */
    mmio_write32(GICD + GICD_ICFGR + 4 * (70 / 16), 2u << (2 * (70 % 16)));
    rt_check(((mmio_read32(GICD + GICD_ICFGR + 4 * (70 / 16)) >> (2 * (70 % 16))) & 3) == 2,
             "ICFGR: SPI 70 edge-triggered");

    /* A device SPI: the PL011's TX interrupt (PL011 TRM: TXIS is set when
     * the transmit FIFO drains past its trigger level) on INTID 33. */
    setup_spi(33, 0x90);
    mmio_write32(UART0_BASE + UART_ICR, 0x7ff);
    mmio_write32(UART0_BASE + UART_IMSC, UART_TXIM);
    rt_puts("tx\n");
    DSB();
    for (volatile int i = 0; i < 10000; i++)
        ;
    nseen = 0;
    take();
    mmio_write32(UART0_BASE + UART_IMSC, 0);
    rt_check(nseen >= 1 && seen[0] == 33, "UART0 TX interrupt taken as INTID 33 (%u taken)", nseen);
    rt_summary("gic_spi");
    return 0;
}
