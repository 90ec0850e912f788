/* See grt.h. */
#include "grt.h"

#include <stdarg.h>

#include "../../hypervisor/lib/fmt.h"

static inline uint32_t rd(unsigned off)
{
    return *(volatile uint32_t *)(GRT_UART + off);
}
static inline void wr(unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(GRT_UART + off) = v;
}

/* PL011 TRM: 115200 8N1 from the 24 MHz UARTCLK (IBRD 13, FBRD 1),
 * FIFOs on (LCR_H 0x70), UARTEN | TXE | RXE (CR 0x301). */
void grt_console_init(void)
{
    wr(0x30, 0);
    wr(0x24, 13);
    wr(0x28, 1);
    wr(0x2c, 0x70);
    wr(0x30, 0x301);
}

void grt_putc(char c)
{
    if (c == '\n')
        grt_putc('\r');
    while (rd(0x18) & (1u << 5)) /* TXFF */
        ;
    wr(0x00, (uint8_t)c);
}

/* The interrupt-driven console (grt_console_irq_init). PL011 TRM (DDI
 * 0183): IMSC 0x038, MIS 0x040, ICR 0x044; bit 5 of each is the transmit
 * interrupt (TXIM/TXMIS/TXIC); FR.TXFF is bit 5 of 0x018. With the FIFOs on
 * and UARTIFLS.TXIFLSEL at its reset value (1/2), TXIS means the TX FIFO
 * has drained to half full or less (TRM 3.4.3), so half a FIFO (8 of 16
 * bytes) fits without asking FR; TXFF is still checked. The UART's SPI is
 * routed to vCPU 0 (the hypervisor injects it there), so only vCPU 0 uses
 * the ring; the other vCPUs write polled, and since vCPU 0 waits for its
 * ring to drain before grt_printf returns, their lines never interleave. */
#define TX_IRQ   (1u << 5)
#define TX_CHUNK 8u
#define RING     256u
static uint8_t ring[RING];
static volatile uint32_t ring_head, ring_tail; /* free-running indices */
static volatile bool tx_busy;
static bool irq_mode;
static uint32_t irq_intid;
static volatile uint32_t irq_count;

/* Move up to TX_CHUNK bytes from the ring into the TX FIFO; when the ring
 * is empty, mask TXIM (the transmit interrupt stays asserted while TXIS is
 * set, so it must be masked, not just left). Runs with IRQs masked. */
static void tx_fill(void)
{
    unsigned n = 0;
    while (ring_tail != ring_head && n < TX_CHUNK && !(rd(0x18) & (1u << 5))) {
        wr(0x00, ring[ring_tail % RING]);
        ring_tail = ring_tail + 1;
        n++;
    }
    if (ring_tail == ring_head) {
        wr(0x38, rd(0x38) & ~TX_IRQ);
        tx_busy = false;
    }
}

bool grt_console_irq_init(uint32_t intid)
{
    struct grt_hvc_ret vd = grt_hvc(HYP_VDEV_INFO, 0, 0, 0);
    if (!(vd.x0 & 2))
        return false; /* an emulated console without interrupts: poll */
    wr(0x38, 0);      /* all PL011 interrupts masked */
    wr(0x44, 0x7ff);  /* and cleared */
    /* Its SPI in the VM's distributor: Group 1 (GICD_IGROUPR<n>), priority
     * 0xa0 (GICD_IPRIORITYR<n>, byte access), enabled (GICD_ISENABLER<n>),
     * GICv3 8.9. GICD_IROUTER<n> keeps its reset value 0: vCPU 0. */
    volatile uint32_t *igroupr = (volatile uint32_t *)(GICD_BASE + 0x80 + 4 * (intid / 32));
    *igroupr = *igroupr | 1u << (intid % 32);
    *(volatile uint8_t *)(GICD_BASE + 0x400 + intid) = 0xa0;
    *(volatile uint32_t *)(GICD_BASE + 0x100 + 4 * (intid / 32)) = 1u << (intid % 32);
    irq_intid = intid;
    irq_mode = true;
    return true;
}

/* Receive with interrupts (grt_console_rx_irq_enable). PL011 TRM: IMSC bit
 * 4 RXIM (the RX FIFO at its trigger level, UARTIFLS.RXIFLSEL, 1/2 = 16 of
 * 32 entries at reset, TRM 3.4.2) and bit 6 RTIM (receive timeout: the FIFO
 * holds bytes below the level and the line was idle for 32 bit periods,
 * TRM 3.4.4); FR bit 4 RXFE; DR bits 7:0 the byte, 11:8 its error flags.
 * Each RX or RT interrupt drains the FIFO into a ring, which clears both
 * (reading the FIFO below the level / empty), and writes RXIC | RTIC. */
#define RX_IRQ (1u << 4)
#define RT_IRQ (1u << 6)
static uint8_t rx_ring[RING];
static volatile uint32_t rx_head, rx_tail; /* free-running indices */
static volatile uint32_t rx_irq_count, rx_errors, rx_lost;
static bool rx_mode;

static void rx_drain(void)
{
    while (!(rd(0x18) & (1u << 4))) {
        uint32_t d = rd(0x00);
        if (d & 0xf00)
            rx_errors = rx_errors + 1;
        if (rx_head - rx_tail < RING) {
            rx_ring[rx_head % RING] = (uint8_t)d;
            rx_head = rx_head + 1;
        } else {
            rx_lost = rx_lost + 1;
        }
    }
    wr(0x44, RX_IRQ | RT_IRQ);
}

bool grt_console_irq(uint32_t intid)
{
    if (!irq_mode || intid != irq_intid)
        return false;
    uint32_t mis = rd(0x40);
    if (rx_mode && (mis & (RX_IRQ | RT_IRQ))) {
        rx_irq_count = rx_irq_count + 1;
        rx_drain();
    }
    if (!(mis & (RX_IRQ | RT_IRQ)) || (mis & TX_IRQ))
        irq_count = irq_count + 1;
    if (mis & TX_IRQ) {
        wr(0x44, TX_IRQ); /* TXIC: the next byte written sets TXIS again */
        tx_fill();
    }
    return true;
}

uint32_t grt_console_rx_irqs(void)
{
    return rx_irq_count;
}

uint32_t grt_console_irqs(void)
{
    return irq_count;
}

static inline uint64_t irq_save(void)
{
    uint64_t daif;
    __asm__ volatile("mrs %0, daif\n\tmsr daifset, #2" : "=r"(daif)::"memory");
    return daif;
}
static inline void irq_restore(uint64_t daif)
{
    __asm__ volatile("msr daif, %0" ::"r"(daif) : "memory");
}

bool grt_console_rx_irq_enable(void)
{
    if (!irq_mode)
        return false;
    uint64_t daif = irq_save();
    rx_mode = true;
    wr(0x38, rd(0x38) | RX_IRQ | RT_IRQ);
    irq_restore(daif);
    return true;
}

unsigned grt_console_rx(char *buf, unsigned max)
{
    uint64_t daif = irq_save();
    unsigned n = 0;
    while (n < max && rx_tail != rx_head) {
        buf[n++] = (char)rx_ring[rx_tail % RING];
        rx_tail = rx_tail + 1;
    }
    irq_restore(daif);
    return n;
}

/* Start the transmitter on what is in the ring and wait until the TX
 * interrupt has emptied it: the first chunk is written here, then TXIM is
 * unmasked and each TX interrupt refills the FIFO. The wait is WFI with
 * IRQs masked (a pending interrupt ends WFI, Arm ARM D1.6.2 "Wait for
 * Interrupt"), then a short unmasked window in which it is taken: no
 * wake-up can be lost between the check and the WFI. */
static void tx_run(void)
{
    uint64_t daif = irq_save();
    tx_busy = true;
    tx_fill();
    if (tx_busy)
        wr(0x38, rd(0x38) | TX_IRQ);
    while (tx_busy) {
        __asm__ volatile("wfi\n\tmsr daifclr, #2\n\tisb\n\tmsr daifset, #2" ::: "memory");
    }
    irq_restore(daif);
}

static void ring_write(const char *p)
{
    for (; *p; p++) {
        if (*p == '\n') {
            if (ring_head - ring_tail == RING)
                tx_run();
            ring[ring_head % RING] = '\r';
            ring_head = ring_head + 1;
        }
        if (ring_head - ring_tail == RING)
            tx_run();
        ring[ring_head % RING] = (uint8_t)*p;
        ring_head = ring_head + 1;
    }
    tx_run();
}

int grt_printf(const char *fmt, ...)
{
    char buf[200];
    va_list ap;
    va_start(ap, fmt);
    int n = hyp_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (irq_mode && (SYSREG_R(mpidr_el1) & 0xff) == 0) {
        ring_write(buf);
        return n;
    }
    for (const char *p = buf; *p; p++)
        grt_putc(*p);
    return n;
}

void grt_system_off(void)
{
    grt_hvc(PSCI_SYSTEM_OFF, 0, 0, 0);
    for (;;)
        grt_wfi();
}

void grt_cpu_off(void)
{
    grt_hvc(PSCI_CPU_OFF, 0, 0, 0);
    for (;;)
        grt_wfi();
}

/* GICv3 CPU interface registers by encoding (ICC_PMR_EL1 S3_0_C4_C6_0,
 * ICC_IGRPEN1_EL1 S3_0_C12_C12_7, ICC_IAR1_EL1 S3_0_C12_C12_0,
 * ICC_EOIR1_EL1 S3_0_C12_C12_1, ICC_BPR1_EL1 S3_0_C12_C12_3). */
/* The VM's emulated GICv3 (at QEMU virt's addresses): enable group 1 in
 * GICD_CTLR, wake this vCPU's redistributor (GICR_WAKER), give the
 * virtual timer PPI (INTID 27) priority 0xa0 and enable it
 * (GICR_ISENABLER0). */
void grt_gic_init(void)
{
    uint64_t rd = GICR_BASE + 0x20000ul * (SYSREG_R(mpidr_el1) & 0xff);
    *(volatile uint32_t *)GICD_BASE = 0x2;
    *(volatile uint32_t *)(rd + 0x14) = 0;
    while (*(volatile uint32_t *)(rd + 0x14) & 4)
        ;
    *(volatile uint8_t *)(rd + 0x10400 + 27) = 0xa0;
    *(volatile uint32_t *)(rd + 0x10080) = 1u << 27;
    *(volatile uint32_t *)(rd + 0x10100) = 1u << 27;
    SYSREG_W(S3_0_C4_C6_0, 0xff);
    SYSREG_W(S3_0_C12_C12_3, 0);
    SYSREG_W(S3_0_C12_C12_7, 1);
    __asm__ volatile("isb" ::: "memory");
}

uint32_t grt_iar(void)
{
    return (uint32_t)SYSREG_R(S3_0_C12_C12_0);
}

void grt_eoi(uint32_t intid)
{
    SYSREG_W(S3_0_C12_C12_1, intid);
}

void grt_bad_exception(uint64_t esr, uint64_t elr);
void grt_bad_exception(uint64_t esr, uint64_t elr)
{
    grt_printf("guest: unexpected exception esr=0x%llx elr=0x%llx\n", (unsigned long long)esr,
               (unsigned long long)elr);
    grt_system_off();
}

struct grt_hvc_ret grt_hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"memory");
    return (struct grt_hvc_ret){x0, x1, x2, x3};
}

const char *grt_dtb_status(void)
{
    const volatile uint8_t *p = (const volatile uint8_t *)(uintptr_t)grt_dtb;
    if (!p)
        return "none";
    uint32_t magic = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    uint32_t version = (uint32_t)p[20] << 24 | (uint32_t)p[21] << 16 | (uint32_t)p[22] << 8 | p[23];
    return magic == 0xd00dfeedu && version == 17 ? "ok" : "bad";
}

/* The pattern of V<n>: two different 64-bit halves per register and per seed. */
static uint64_t fp_lo(uint64_t seed, unsigned n)
{
    return seed * (2 * n + 1) ^ UINT64_C(0x9e3779b97f4a7c15);
}

static uint64_t fp_hi(uint64_t seed, unsigned n)
{
    return ~(seed * (2 * n + 3)) + n;
}

/* FPCR: RMode (23:22), FZ (24), DN (25), AHP (26); FPSR: the cumulative
 * exception bits IOC..IXC (4:0), IDC (7) and QC (27). No FP/SIMD
 * arithmetic runs, so none of them changes by itself. */
#define FP_FPCR_MASK UINT64_C(0x07c00000)
#define FP_FPSR_MASK UINT64_C(0x0800009f)

#define FP_W(n)                                                                                    \
    __asm__ volatile("mov v" #n ".d[0], %0\n\tmov v" #n ".d[1], %1" ::"r"(fp_lo(seed, n)),         \
                     "r"(fp_hi(seed, n))                                                           \
                     : "v" #n)
#define FP_R(n)                                                                                    \
    do {                                                                                           \
        uint64_t lo, hi;                                                                           \
        __asm__ volatile("mov %0, v" #n ".d[0]\n\tmov %1, v" #n ".d[1]" : "=r"(lo), "=r"(hi));     \
        ok &= lo == fp_lo(seed, n) && hi == fp_hi(seed, n);                                        \
    } while (0)
#define FP_ALL(X)                                                                                  \
    X(0);                                                                                          \
    X(1);                                                                                          \
    X(2);                                                                                          \
    X(3);                                                                                          \
    X(4);                                                                                          \
    X(5);                                                                                          \
    X(6);                                                                                          \
    X(7);                                                                                          \
    X(8);                                                                                          \
    X(9);                                                                                          \
    X(10);                                                                                         \
    X(11);                                                                                         \
    X(12);                                                                                         \
    X(13);                                                                                         \
    X(14);                                                                                         \
    X(15);                                                                                         \
    X(16);                                                                                         \
    X(17);                                                                                         \
    X(18);                                                                                         \
    X(19);                                                                                         \
    X(20);                                                                                         \
    X(21);                                                                                         \
    X(22);                                                                                         \
    X(23);                                                                                         \
    X(24);                                                                                         \
    X(25);                                                                                         \
    X(26);                                                                                         \
    X(27);                                                                                         \
    X(28);                                                                                         \
    X(29);                                                                                         \
    X(30);                                                                                         \
    X(31)

void grt_fp_fill(uint64_t seed)
{
    /* CPACR_EL1.FPEN = 0b11 (D13.2.30): FP/SIMD at EL1 and EL0 not
     * trapped; its reset value (0) traps them to EL1. */
    SYSREG_W(cpacr_el1, SYSREG_R(cpacr_el1) | UINT64_C(3) << 20);
    FP_ALL(FP_W);
    SYSREG_W(fpcr, (seed << 22) & FP_FPCR_MASK);
    SYSREG_W(fpsr, (seed ^ (seed << 7) ^ (seed << 27)) & FP_FPSR_MASK);
}

bool grt_fp_check(uint64_t seed)
{
    bool ok = true;
    FP_ALL(FP_R);
    ok &= SYSREG_R(fpcr) == ((seed << 22) & FP_FPCR_MASK);
    ok &= SYSREG_R(fpsr) == ((seed ^ (seed << 7) ^ (seed << 27)) & FP_FPSR_MASK);
    return ok;
}
