/* gpos: a general-purpose guest with two vCPUs. vCPU 0 counts primes
 * (a sieve), starts vCPU 1 with PSCI CPU_ON and waits for it with the
 * yield hypercall; vCPU 1 computes a CRC-32 and stops with CPU_OFF. Then
 * vCPU 0 sleeps on its virtual timer a few times, says hello through the
 * console hypercall, and powers its VM off. vCPU 0's console output is
 * interrupt-driven where its UART raises its interrupt (a passthrough
 * PL011: hvsim), polled where it does not (QEMU's emulated one); the text
 * is the same. Output lines:
 *   gpos: start vm=<id> vcpus=<n> prio=<p> dtb=ok
 *   gpos: primes below 20000: <n>
 *   gpos: cpu1 ctx=0x<hex> crc32=<hex>
 *   gpos: cpu1 done, joined
 *   gpos: sleep <k>
 *   STATUS gpos-fp kept=<0|1>   (its FP/SIMD registers across the sleeps)
 *   gpos: rx bytes=<n> crc32=<hex> line=<text>
 *   gpos: ptimer ctl masked=0x<hex> off=0x<hex>
 *   gpos: ptimer sleep <k>
 *   STATUS gpos-ptimer sleeps=<k> early=<n>
 *   STATUS gpos-ipi rounds=<r> pings=<n> pongs=<n>
 *   STATUS gpos-vgic-state pending=<0|1> cleared=<0|1> set=<0|1> active=<0|1> taken=<n>
 *   STATUS gpos-vgic-latch pending=<0|1> taken=<n> enabled_taken=<n> sgi=<0|1>
 *          cleared_taken=<n>
 *   STATUS gpos-vgic-active set=<0|1> held=<0|1> cleared=<0|1> taken=<n>
 *   STATUS gpos-vgic-hw pending=<0|1> active=<0|1> level=<0|1> refired=<0|1> taken=<n>
 *          set=<0|1> group1_only=<0|1>
 *   STATUS gpos-uart mode=irq|polled irqs=<n> rx_irqs=<n>
 *   STATUS gpos primes=<n> crc32=<hex> sleeps=<k>
 */
#include "../grt/grt.h"

#include <hvsim/rk3568_cru.h>

#define SIEVE_N      20000
#define GPOS_FP_SEED UINT64_C(0x67706f73) /* "gpos" */

static uint8_t composite[SIEVE_N];
static volatile uint32_t crc_result;
static volatile uint32_t cpu1_done;
static volatile uint32_t timer_fired;
static volatile uint32_t ptimer_fired, ptimer_early;
static volatile uint32_t pings, pongs, cpu1_ready, cpu1_ipi_done;

/* Virtual SGIs between its two vCPUs (ICC_SGI1R_EL1, trapped and sent by
 * the hypervisor): vCPU 0 pings vCPU 1 with SGI 1, vCPU 1 answers with
 * SGI 2. ICC_SGI1R_EL1 (GICv3 12.2.22): INTID [27:24], TargetList [15:0]
 * (bit n = Aff0 n in cluster 0.0.0). */
#define SGI_PING   1
#define SGI_PONG   2
#define IPI_ROUNDS 4
#define IPI_CTX    0x1b1

#define SGI_SELF 3
#define SGI_DIS  4 /* set pending while disabled */
#define SGI_CLR  5 /* sent while disabled, then cleared */
#define SGI_ACT  6 /* set active through ISACTIVER0 */
static volatile uint32_t self_taken, self_active, dis_taken, clr_taken, act_taken;

/* A register of this vCPU's redistributor SGI_base frame. */
static uint32_t gicr_sgi_read(unsigned off)
{
    uint64_t sgi = GICR_BASE + 0x20000ul * (SYSREG_R(mpidr_el1) & 0xff) + 0x10000;
    return *(volatile uint32_t *)(sgi + off);
}
static void gicr_sgi_write(unsigned off, uint32_t v)
{
    uint64_t sgi = GICR_BASE + 0x20000ul * (SYSREG_R(mpidr_el1) & 0xff) + 0x10000;
    *(volatile uint32_t *)(sgi + off) = v;
}

static void send_sgi(unsigned intid, unsigned vcpu)
{
    SYSREG_W(S3_0_C12_C11_5, (uint64_t)intid << 24 | 1u << vcpu); /* ICC_SGI1R_EL1 */
}

static inline uint64_t cntpct(void)
{
    __asm__ volatile("isb" ::: "memory");
    return SYSREG_R(cntpct_el0);
}

/* Wait until *v != old, in WFI with IRQs masked and a short unmasked
 * window after each wake-up (a pending interrupt ends WFI even while
 * masked, D1.6.2), so an interrupt that arrives between the check and the
 * WFI is never missed. */
static void wait_change(volatile uint32_t *v, uint32_t old)
{
    __asm__ volatile("msr daifset, #2" ::: "memory");
    while (*v == old)
        __asm__ volatile("wfi\n\tmsr daifclr, #2\n\tisb\n\tmsr daifset, #2" ::: "memory");
    __asm__ volatile("msr daifclr, #2" ::: "memory");
}

/* SGI/PPI configuration in this vCPU's redistributor frame (GICR SGI_base:
 * IGROUPR0 0x80, ISENABLER0 0x100, IPRIORITYR 0x400): Group 1, priority
 * prio, enabled. */
static void gicr_enable(unsigned intid, uint8_t prio)
{
    uint64_t sgi = GICR_BASE + 0x20000ul * (SYSREG_R(mpidr_el1) & 0xff) + 0x10000;
    *(volatile uint8_t *)(sgi + 0x400 + intid) = prio;
    *(volatile uint32_t *)(sgi + 0x80) = *(volatile uint32_t *)(sgi + 0x80) | 1u << intid;
    *(volatile uint32_t *)(sgi + 0x100) = 1u << intid;
}

void grt_irq(void)
{
    uint32_t intid = grt_iar();
    if (grt_console_irq(intid)) {
        /* its UART's TX interrupt: the ring refilled the FIFO */
    } else if (intid == 27) {
        SYSREG_W(cntv_ctl_el0, 0); /* one-shot */
        timer_fired++;
    } else if (intid == 30) {
        /* The EL1 physical timer: taken no earlier than its compare value. */
        if (cntpct() < SYSREG_R(cntp_cval_el0))
            ptimer_early++;
        SYSREG_W(cntp_ctl_el0, 0); /* one-shot: the level falls */
        ptimer_fired++;
    } else if (intid == SGI_PING) {
        pings++;
        send_sgi(SGI_PONG, 0);
    } else if (intid == SGI_PONG) {
        pongs++;
    } else if (intid == SGI_DIS) {
        dis_taken++;
    } else if (intid == SGI_CLR) {
        clr_taken++;
    } else if (intid == SGI_ACT) {
        act_taken++;
    } else if (intid == SGI_SELF) {
        /* GICR_ISACTIVER0 of its own frame shows it active while handled. */
        self_active = (gicr_sgi_read(0x300) >> SGI_SELF) & 1;
        self_taken++;
    }
    if (intid < 1020)
        grt_eoi(intid);
}

uint64_t grt_sync(uint64_t esr, uint64_t elr, uint64_t far)
{
    grt_printf("gpos: unexpected synchronous exception esr=0x%llx elr=0x%llx far=0x%llx\n",
               (unsigned long long)esr, (unsigned long long)elr, (unsigned long long)far);
    grt_system_off();
}

/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) of bytes i & 0xff
 * for i in [0, 65536): zlib.crc32 of that buffer. */
static uint32_t crc32_byte(uint32_t crc, uint8_t byte)
{
    crc ^= byte;
    for (int b = 0; b < 8; b++)
        crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    return crc;
}

static uint32_t crc32_pattern(void)
{
    uint32_t crc = 0xffffffffu;
    for (uint32_t i = 0; i < 65536; i++)
        crc = crc32_byte(crc, (uint8_t)i);
    return ~crc;
}

/* One line of input from its console, received with interrupts where the
 * console raises them (hvsim's passthrough PL011; the input comes from
 * `hvsim run --uart-in 2=FILE`): it waits, in WFI, until a line feed or
 * carriage return arrives or RX_WAIT_MS of its virtual time pass, then
 * prints the line (printable ASCII, at most RX_MAX bytes), its length and
 * its CRC-32. Without input, and on QEMU (the emulated console receives
 * nothing: it does not wait at all), the line is empty: bytes=0
 * crc32=00000000, the same text on both. */
#define RX_MAX     48
#define RX_WAIT_MS 5

static void rx_line(void)
{
    char line[RX_MAX + 1];
    unsigned n = 0;
    bool eol = false;
    if (grt_console_rx_irq_enable()) {
        uint32_t before = timer_fired;
        SYSREG_W(cntv_cval_el0, grt_cntvct() + SYSREG_R(cntfrq_el0) / 1000 * RX_WAIT_MS);
        SYSREG_W(cntv_ctl_el0, 1);
        for (;;) {
            /* IRQs masked between the check and WFI (a pending interrupt
             * still ends WFI, Arm ARM D1.6.2): no wake-up is lost. */
            __asm__ volatile("msr daifset, #2" ::: "memory");
            char c;
            while (!eol && grt_console_rx(&c, 1) == 1) {
                if (c == '\n' || c == '\r')
                    eol = true;
                else if (n < RX_MAX && c >= 0x20 && c < 0x7f)
                    line[n++] = c;
            }
            if (eol || timer_fired != before)
                break;
            __asm__ volatile("wfi\n\tmsr daifclr, #2\n\tisb" ::: "memory");
        }
        SYSREG_W(cntv_ctl_el0, 0);
        __asm__ volatile("msr daifclr, #2" ::: "memory");
    }
    line[n] = 0;
    uint32_t crc = 0xffffffffu;
    for (unsigned i = 0; i < n; i++)
        crc = crc32_byte(crc, (uint8_t)line[i]);
    grt_printf("gpos: rx bytes=%u crc32=%08x line=%s\n", n, ~crc, line);
}

/* vCPU 1's second start: answer IPI_ROUNDS pings, then stop. */
static void ipi_responder(void)
{
    grt_gic_init();
    gicr_enable(SGI_PING, 0x90);
    __asm__ volatile("dmb ish" ::: "memory");
    cpu1_ready = 1;
    while (pings < IPI_ROUNDS)
        wait_change(&pings, pings);
    __asm__ volatile("msr daifset, #2\n\tdmb ish" ::: "memory");
    cpu1_ipi_done = 1;
}

void secondary_main(uint64_t ctx)
{
    if (ctx == IPI_CTX) {
        ipi_responder();
        return;
    }
    uint32_t crc = crc32_pattern();
    grt_printf("gpos: cpu1 ctx=0x%llx crc32=%08x\n", (unsigned long long)ctx, crc);
    crc_result = crc;
    __asm__ volatile("dmb ish" ::: "memory");
    cpu1_done = 1;
}

static unsigned count_primes(void)
{
    unsigned n = 0;
    for (unsigned i = 2; i < SIEVE_N; i++) {
        if (composite[i])
            continue;
        n++;
        for (unsigned j = i * 2; j < SIEVE_N; j += i)
            composite[j] = 1;
    }
    return n;
}

/* Its I2C controller (hvsim,simple-i2c, docs/soc.md) with the 24C02 EEPROM
 * at 0x50, brought up through its own fields of the virtual CRU/GRF: open
 * the clock gates, release the resets, set clk_i2c0's divider, mux the
 * pins to I2C0; then write four bytes and read five back. On a platform
 * without the CRU/GRF (QEMU virt) there is neither a vCRU nor an I2C: the
 * hypervisor's VDEV_INFO says so and this is skipped with a line saying it. */
#define I2C_CTRL    0x00
#define I2C_CMD     0x04
#define I2C_SADDR   0x08
#define I2C_LEN     0x0c
#define I2C_STATUS  0x10
#define I2C_CLKDIV  0x14
#define I2C_TXDATA0 0x20
#define I2C_TXDATA1 0x24
#define I2C_RXDATA0 0x30
#define I2C_RXDATA1 0x34
#define I2C_ST_BUSY 1u
#define I2C_ST_DONE 2u
#define I2C_ST_NACK 4u
#define I2C_ST_ERR  8u
#define EEPROM_ADDR 0x50
#define EEPROM_WORD 0x10

#define W32(a, v) (*(volatile uint32_t *)(uintptr_t)(a) = (v))
#define R32(a)    (*(volatile uint32_t *)(uintptr_t)(a))

static uint32_t clk_write(uint64_t cru, uint64_t grf, enum rk_reg_id r, uint32_t v)
{
    const struct rk_reg_desc *d = &rk3568_regs[r];
    uint64_t a = (d->block == RK_BLK_CRU ? cru : grf) + d->off;
    W32(a, v);
    return R32(a);
}

/* One transfer: nw bytes written (tx), then nr read into rx. Returns the
 * final STATUS. */
static uint32_t i2c_xfer(uint64_t i2c, const uint8_t *tx, unsigned nw, uint8_t *rx, unsigned nr)
{
    uint32_t t[2] = {0, 0};
    for (unsigned i = 0; i < nw; i++)
        t[i / 4] |= (uint32_t)tx[i] << (8 * (i % 4));
    W32(i2c + I2C_STATUS, I2C_ST_DONE | I2C_ST_NACK | I2C_ST_ERR);
    W32(i2c + I2C_SADDR, EEPROM_ADDR);
    W32(i2c + I2C_TXDATA0, t[0]);
    W32(i2c + I2C_TXDATA1, t[1]);
    W32(i2c + I2C_LEN, nw | nr << 8);
    W32(i2c + I2C_CMD, 1);
    uint32_t st;
    for (unsigned spin = 0; spin < 1000000; spin++) {
        st = R32(i2c + I2C_STATUS);
        if (st & (I2C_ST_DONE | I2C_ST_ERR))
            break;
    }
    uint32_t r[2] = {R32(i2c + I2C_RXDATA0), R32(i2c + I2C_RXDATA1)};
    for (unsigned i = 0; i < nr; i++)
        rx[i] = (uint8_t)(r[i / 4] >> (8 * (i % 4)));
    return st;
}

static void i2c_eeprom(void)
{
    struct grt_hvc_ret vd = grt_hvc(HYP_VDEV_INFO, 0, 0, 0);
    if (!(vd.x0 & 1) || !vd.x3) {
        grt_printf("gpos: i2c0: no vCRU/vGRF or I2C on this platform: skipped\n");
        return;
    }
    uint64_t cru = vd.x1, grf = vd.x2, i2c = vd.x3;
    /* Its fields only (hypervisor/configs/default.c: uart2 and i2c0). */
    uint32_t g0 = clk_write(cru, grf, RK_R_PMU_CLKGATE0, 0x00040000u); /* pclk_pdpmu on */
    uint32_t g1 = clk_write(cru, grf, RK_R_PMU_CLKGATE1, 0x00030000u); /* pclk/clk_i2c0 on */
    uint32_t rs = clk_write(cru, grf, RK_R_PMU_SOFTRST0, 0x00180000u); /* out of reset */
    /* clk_i2c0 = ppll 200 MHz / (3 + 1) = 50 MHz */
    uint32_t dv = clk_write(cru, grf, RK_R_PMU_CLKSEL3, 0x007f0003u);
    uint32_t mx = clk_write(cru, grf, RK_R_PMUGRF_GPIO0B_L, 0x07700110u); /* SCL, SDA = I2C0 */
    grt_printf("gpos: i2c0 clk gate0=0x%x gate1=0x%x reset=0x%x div=0x%x pins=0x%x\n", (unsigned)g0,
               (unsigned)g1, (unsigned)rs, (unsigned)dv, (unsigned)mx);
    W32(i2c + I2C_CLKDIV, 62); /* SCL = 50 MHz / 126: about 397 kHz */
    W32(i2c + I2C_CTRL, 1);
    static const uint8_t wr[5] = {EEPROM_WORD, 'g', 'p', 'o', 's'};
    uint8_t rd[5] = {0};
    uint32_t sw = i2c_xfer(i2c, wr, 5, rd, 0);
    uint32_t sr = i2c_xfer(i2c, wr, 1, rd, 5);
    /* The four bytes written, then byte 0x14 at its power-on value
     * (0x14 XOR 0xA5 = 0xb1). */
    unsigned ok = !(sw & (I2C_ST_NACK | I2C_ST_ERR)) && !(sr & (I2C_ST_NACK | I2C_ST_ERR)) &&
                  rd[0] == 'g' && rd[1] == 'p' && rd[2] == 'o' && rd[3] == 's' &&
                  rd[4] == (0x14 ^ 0xa5);
    grt_printf("gpos: i2c0 eeprom@0x50[0x%02x] wrote 67706f73 status=0x%x read "
               "%02x%02x%02x%02x%02x status=0x%x\n",
               EEPROM_WORD, (unsigned)sw, rd[0], rd[1], rd[2], rd[3], rd[4], (unsigned)sr);
    grt_printf("STATUS gpos-i2c ok=%u\n", ok);
}

/* Its EL1 physical timer (CNTP_*: emulated per vCPU by the hypervisor,
 * compared against the physical count; PPI 30): ISTATUS with the timer
 * masked, then two one-shot sleeps, one programmed through CVAL, one
 * through TVAL (D11.2.4). */
static unsigned ptimer_sleeps(void)
{
    gicr_enable(30, 0xa0);
    SYSREG_W(cntp_cval_el0, 0);
    SYSREG_W(cntp_ctl_el0, 3); /* ENABLE, IMASK: the condition holds, no interrupt */
    uint64_t masked = SYSREG_R(cntp_ctl_el0);
    SYSREG_W(cntp_ctl_el0, 0);
    uint64_t off = SYSREG_R(cntp_ctl_el0);
    grt_printf("gpos: ptimer ctl masked=0x%llx off=0x%llx\n", (unsigned long long)masked,
               (unsigned long long)off);
    uint64_t period = SYSREG_R(cntfrq_el0) / 1000 * 2; /* 2 ms */
    unsigned sleeps = 0;
    for (unsigned k = 1; k <= 2; k++) {
        uint32_t before = ptimer_fired;
        if (k == 1)
            SYSREG_W(cntp_cval_el0, cntpct() + period);
        else
            SYSREG_W(cntp_tval_el0, period);
        SYSREG_W(cntp_ctl_el0, 1);
        wait_change(&ptimer_fired, before);
        sleeps++;
        grt_printf("gpos: ptimer sleep %u\n", k);
    }
    grt_printf("STATUS gpos-ptimer sleeps=%u early=%u\n", sleeps, (unsigned)ptimer_early);
    return sleeps;
}

/* IPI_ROUNDS ping-pongs with vCPU 1, started again for this. */
static void ipi_pingpong(void)
{
    gicr_enable(SGI_PONG, 0x90);
    struct grt_hvc_ret r = grt_hvc(PSCI_CPU_ON, 1, (uint64_t)(uintptr_t)grt_secondary, IPI_CTX);
    if (r.x0 != 0)
        grt_printf("gpos: CPU_ON for the IPIs failed: %lld\n", (long long)r.x0);
    while (!cpu1_ready)
        grt_hvc(HYP_YIELD, 0, 0, 0);
    unsigned rounds = 0;
    for (unsigned k = 1; k <= IPI_ROUNDS; k++) {
        uint32_t before = pongs;
        send_sgi(SGI_PING, 1);
        wait_change(&pongs, before);
        rounds++;
    }
    while (!cpu1_ipi_done)
        grt_hvc(HYP_YIELD, 0, 0, 0);
    grt_printf("STATUS gpos-ipi rounds=%u pings=%u pongs=%u\n", rounds, (unsigned)pings,
               (unsigned)pongs);
}

/* Bit intid of a GICR_..R0 register of its own SGI_base frame. */
static unsigned gicr_bit(unsigned off, unsigned intid)
{
    return (gicr_sgi_read(off) >> intid) & 1;
}

/* IRQs unmasked for a while: an interrupt that can be signalled is taken. */
static void irq_window(void)
{
    __asm__ volatile("msr daifclr, #2\n\tisb" ::: "memory");
    for (unsigned spin = 0; spin < 1000; spin++)
        __asm__ volatile("isb" ::: "memory");
    __asm__ volatile("msr daifset, #2" ::: "memory");
}

#define GICR_ISPENDR0   0x200
#define GICR_ICPENDR0   0x280
#define GICR_ISACTIVER0 0x300
#define GICR_ICACTIVER0 0x380
#define GICR_ICENABLER0 0x180

/* The pending and active state through its redistributor (GICv3 12.11:
 * GICR_ISPENDR0 0x200, ICPENDR0 0x280, ISACTIVER0 0x300, ICACTIVER0 0x380
 * at SGI_base), each expected value from the GICv3 spec:
 *  - an SGI to itself with IRQs masked is pending; ICPENDR0 takes it back;
 *    ISPENDR0 makes it pending again; unmasked, it is taken once, and is
 *    active in its handler;
 *  - pending and enable are independent (4.1.2): ISPENDR0 of a disabled
 *    SGI reads pending and is not taken; enabled, it is taken once; an SGI
 *    sent to itself while disabled is pending too, and ICPENDR0 clears it:
 *    enabled afterwards, it is not taken;
 *  - ISACTIVER0 makes an SGI active; sent then, it is pending and active
 *    and not signalled (an active interrupt is not signalled again until
 *    deactivated); ICACTIVER0 deactivates it, and it is taken;
 *  - its virtual timer (PPI 27, forwarded with the HW bit): asserted with
 *    IRQs masked it reads pending; set active through ISACTIVER0 it reads
 *    active, and, its level still asserted, pending too; ICACTIVER0
 *    deactivates it (the physical interrupt with it): the level, still
 *    asserted, makes it pending again, and it is taken once unmasked;
 *    ISPENDR0 of it with the timer off reads pending and is taken once;
 *  - the vGIC offers Group 1 only: GICR_IGROUPR0 reads 1 for an SGI after
 *    0 is written, GICD_CTLR.EnableGrp0 reads 0 after 1 is written. */
static void vgic_state_check(void)
{
    gicr_enable(SGI_SELF, 0x90);
    __asm__ volatile("msr daifset, #2" ::: "memory");
    send_sgi(SGI_SELF, 0);
    unsigned pending = gicr_bit(GICR_ISPENDR0, SGI_SELF);
    gicr_sgi_write(GICR_ICPENDR0, 1u << SGI_SELF);
    unsigned cleared = !gicr_bit(GICR_ISPENDR0, SGI_SELF);
    gicr_sgi_write(GICR_ISPENDR0, 1u << SGI_SELF);
    unsigned set = gicr_bit(GICR_ISPENDR0, SGI_SELF);
    __asm__ volatile("msr daifclr, #2\n\tisb" ::: "memory");
    for (unsigned spin = 0; spin < 1000 && !self_taken; spin++)
        __asm__ volatile("isb" ::: "memory");
    __asm__ volatile("msr daifset, #2" ::: "memory");

    /* Disabled, set pending. */
    gicr_enable(SGI_DIS, 0x90);
    gicr_sgi_write(GICR_ICENABLER0, 1u << SGI_DIS);
    gicr_sgi_write(GICR_ISPENDR0, 1u << SGI_DIS);
    unsigned dis_pending = gicr_bit(GICR_ISPENDR0, SGI_DIS);
    irq_window();
    unsigned dis_taken_before = dis_taken;
    gicr_enable(SGI_DIS, 0x90);
    irq_window();
    /* Disabled, sent, cleared. */
    gicr_enable(SGI_CLR, 0x90);
    gicr_sgi_write(GICR_ICENABLER0, 1u << SGI_CLR);
    send_sgi(SGI_CLR, 0);
    unsigned sgi_latched = gicr_bit(GICR_ISPENDR0, SGI_CLR);
    gicr_sgi_write(GICR_ICPENDR0, 1u << SGI_CLR);
    sgi_latched &= !gicr_bit(GICR_ISPENDR0, SGI_CLR);
    gicr_enable(SGI_CLR, 0x90);
    irq_window();

    /* Active through ISACTIVER0. */
    gicr_enable(SGI_ACT, 0x90);
    gicr_sgi_write(GICR_ISACTIVER0, 1u << SGI_ACT);
    unsigned act_set = gicr_bit(GICR_ISACTIVER0, SGI_ACT);
    send_sgi(SGI_ACT, 0);
    irq_window();
    unsigned act_held =
        !act_taken && gicr_bit(GICR_ISPENDR0, SGI_ACT) && gicr_bit(GICR_ISACTIVER0, SGI_ACT);
    gicr_sgi_write(GICR_ICACTIVER0, 1u << SGI_ACT);
    unsigned act_cleared = !gicr_bit(GICR_ISACTIVER0, SGI_ACT);
    irq_window();

    /* Its virtual timer: HW-forwarded, its physical PPI follows. */
    uint32_t fired = timer_fired;
    SYSREG_W(cntv_cval_el0, 0);
    SYSREG_W(cntv_ctl_el0, 1); /* condition met at once: the level rises */
    unsigned hw_pending = 0;
    for (unsigned spin = 0; spin < 1000 && !hw_pending; spin++)
        hw_pending = gicr_bit(GICR_ISPENDR0, 27);
    gicr_sgi_write(GICR_ISACTIVER0, 1u << 27);
    unsigned hw_active = gicr_bit(GICR_ISACTIVER0, 27);
    unsigned hw_level = gicr_bit(GICR_ISPENDR0, 27);
    gicr_sgi_write(GICR_ICACTIVER0, 1u << 27);
    unsigned hw_refired = 0;
    for (unsigned spin = 0; spin < 1000 && !hw_refired; spin++)
        hw_refired = gicr_bit(GICR_ISPENDR0, 27) && !gicr_bit(GICR_ISACTIVER0, 27);
    irq_window(); /* taken: the handler stops the timer */
    unsigned hw_taken = timer_fired - fired;
    /* ISPENDR0 of its timer with the timer off (no level): pending
     * (software), then taken once unmasked. */
    fired = timer_fired;
    gicr_sgi_write(GICR_ISPENDR0, 1u << 27);
    unsigned hw_set = gicr_bit(GICR_ISPENDR0, 27);
    irq_window();
    hw_set &= timer_fired - fired == 1 && !gicr_bit(GICR_ISPENDR0, 27);

    /* Group 1 only. */
    gicr_sgi_write(0x80, gicr_sgi_read(0x80) & ~(1u << SGI_ACT));
    volatile uint32_t *gicd_ctlr = (volatile uint32_t *)GICD_BASE;
    *gicd_ctlr = *gicd_ctlr | 1u;
    unsigned group1_only = gicr_bit(0x80, SGI_ACT) && !(*gicd_ctlr & 1u);
    __asm__ volatile("msr daifclr, #2" ::: "memory");

    /* One line each, under the emulated console's 120 characters (QEMU). */
    grt_printf("STATUS gpos-vgic-state pending=%u cleared=%u set=%u active=%u taken=%u\n", pending,
               cleared, set, (unsigned)self_active, (unsigned)self_taken);
    grt_printf("STATUS gpos-vgic-latch pending=%u taken=%u enabled_taken=%u sgi=%u "
               "cleared_taken=%u\n",
               dis_pending, dis_taken_before, (unsigned)dis_taken - dis_taken_before, sgi_latched,
               (unsigned)clr_taken);
    grt_printf("STATUS gpos-vgic-active set=%u held=%u cleared=%u taken=%u\n", act_set, act_held,
               act_cleared, (unsigned)act_taken);
    grt_printf("STATUS gpos-vgic-hw pending=%u active=%u level=%u refired=%u taken=%u set=%u "
               "group1_only=%u\n",
               hw_pending, hw_active, hw_level, hw_refired, hw_taken, hw_set, group1_only);
}

/* Its console's virtual SPI (hypervisor/configs/default.c). */
#define UART_VIRQ 33

int main(void)
{
    grt_console_init();
    grt_gic_init();
    bool uart_irq = grt_console_irq_init(UART_VIRQ);
    struct grt_hvc_ret info = grt_hvc(HYP_VM_INFO, 0, 0, 0);
    grt_printf("gpos: start vm=%llu vcpus=%llu prio=%llu dtb=%s\n", (unsigned long long)info.x0,
               (unsigned long long)info.x1, (unsigned long long)info.x3, grt_dtb_status());
    unsigned primes = count_primes();
    grt_printf("gpos: primes below %u: %u\n", SIEVE_N, primes);

    struct grt_hvc_ret r = grt_hvc(PSCI_CPU_ON, 1, (uint64_t)(uintptr_t)grt_secondary, 0xc0ffee);
    if (r.x0 != 0)
        grt_printf("gpos: CPU_ON failed: %lld\n", (long long)r.x0);
    /* Join: yield the PE to vCPU 1 (a WFE would be trapped as a yield too,
     * but neither QEMU nor hvsim traps WFE: docs/differences.md). */
    while (!cpu1_done)
        grt_hvc(HYP_YIELD, 0, 0, 0);
    grt_printf("gpos: cpu1 done, joined\n");
    i2c_eeprom();

    grt_irq_enable();
    uint64_t period = SYSREG_R(cntfrq_el0) / 1000 * 3; /* 3 ms */
    unsigned sleeps = 0;
    /* Its FP/SIMD registers across the sleeps, while other VMs run (and
     * rogue writes its own: the hypervisor's lazy FP/SIMD switch). */
    grt_fp_fill(GPOS_FP_SEED);
    for (unsigned k = 1; k <= 3; k++) {
        uint32_t before = timer_fired;
        SYSREG_W(cntv_cval_el0, grt_cntvct() + period);
        SYSREG_W(cntv_ctl_el0, 1);
        while (timer_fired == before)
            grt_wfi();
        sleeps++;
        grt_printf("gpos: sleep %u\n", k);
    }
    grt_printf("STATUS gpos-fp kept=%u\n", (unsigned)grt_fp_check(GPOS_FP_SEED));
    rx_line();
    ptimer_sleeps();
    ipi_pingpong();
    vgic_state_check();
    static const char hello[] = "gpos: hello through the console hypercall\n";
    grt_hvc(HYP_CONSOLE_WRITE, (uint64_t)(uintptr_t)hello, sizeof hello - 1, 0);
    /* The count of TX interrupts before this line: it depends only on the
     * text written (one interrupt per TX_CHUNK-byte refill, grt.c). */
    uint32_t uart_irqs = grt_console_irqs();
    grt_printf("STATUS gpos-uart mode=%s irqs=%u rx_irqs=%u\n", uart_irq ? "irq" : "polled",
               (unsigned)uart_irqs, (unsigned)grt_console_rx_irqs());
    grt_printf("STATUS gpos primes=%u crc32=%08x sleeps=%u\n", primes, crc_result, sleeps);
    return 0;
}
