/* hvsim-only image (QEMU virt has no CRU, GRF or I2C0): the effects of the
 * RK3568-style CRU and GRF on the devices behind them (docs/soc.md),
 * driven from EL2 like a careless or malicious VM would.
 *
 * UART2 (0x09110000) prints one tagged line per phase; what reaches its
 * terminal is checked by tests/e2e/test_soc.py (run with --uart 2=FILE):
 *   A  baseline                           -> arrives
 *   B  sclk_uart2 gated (CLKGATE_CON28.3)  -> held in the TX FIFO, sent when ungated
 *   C  sclk from gpll / 25 = 47.52 MHz     -> garbled or dropped at 115200
 *   D  sclk from cpll / 42 = 23.81 MHz     -> arrives (-0.8%, within tolerance)
 *   E  GPIO0_D1 muxed to GPIO              -> nothing
 *   F  UART2_IO_SEL = M1 (other pins)      -> nothing
 *   G  after a soft reset and re-init      -> arrives
 *   H  sclk_uart2 selector 3 (reserved)    -> held, sent when restored
 *   I  everything restored                 -> arrives
 * This image checks what software sees itself (register read-back, reset
 * clearing the PL011, RAZ with the bus clock gated, I2C status bits) and
 * prints RESULT on UART0. Last, it prints what UART2 received with a wrong
 * divider (rx_phase), which the e2e test compares with its line model. */
#include "rt.h"

#define CRU  0x09200000ul
#define GRF  0x09210000ul
#define U2   0x09110000ul
#define I2C0 0x09130000ul
#define GICD 0x08000000ul

/* RK3568 offsets (clk-rk3568.c, rk3568-cru.h, pinctrl): see docs/soc.md. */
#define CRU_CLKSEL54    0x1d8u
#define CRU_CLKGATE28   0x370u
#define CRU_SOFTRST25   0x464u
#define PMUCRU_CLKSEL2  0x8108u
#define PMUCRU_CLKGATE1 0x8184u
#define PMUCRU_SOFTRST0 0x8200u
#define GRF_IOFUNC_SEL3 0x30cu
#define PMUGRF_GPIO0B_L 0x8008u
#define PMUGRF_GPIO0D_L 0x8018u
#define HIWORD(mask, v) (((uint32_t)(mask) << 16) | (v))

#define UART_DR   0x00u
#define UART_IBRD 0x24u
#define UART_FBRD 0x28u
#define UART_LCRH 0x2cu
#define UART_CR   0x30u

#define I2C_CTRL   0x00u
#define I2C_CMD    0x04u
#define I2C_SADDR  0x08u
#define I2C_LEN    0x0cu
#define I2C_STATUS 0x10u
#define I2C_CLKDIV 0x14u
#define I2C_TX0    0x20u
#define I2C_TX1    0x24u
#define I2C_RX0    0x30u
#define ST_BUSY    1u
#define ST_DONE    2u
#define ST_NACK    4u
#define TIMEOUT    0x80000000u

static void cru(uint32_t off, uint32_t v)
{
    mmio_write32(CRU + off, v);
}

static void grf(uint32_t off, uint32_t v)
{
    mmio_write32(GRF + off, v);
}

static void u2_init(void)
{
    /* 115200 8N1 from a 24 MHz UARTCLK: PL011 TRM 3.3.6, 13.02 -> 13, 1. */
    mmio_write32(U2 + UART_CR, 0);
    mmio_write32(U2 + UART_IBRD, 13);
    mmio_write32(U2 + UART_FBRD, 1);
    mmio_write32(U2 + UART_LCRH, 0x70);
    mmio_write32(U2 + UART_CR, 0x301);
}

static void u2_puts(const char *s)
{
    for (; *s; s++)
        mmio_write32(U2 + UART_DR, (uint8_t)*s);
}

static uint64_t cntpct(void)
{
    ISB();
    return SYSREG_READ(cntpct_el0);
}

/* Start a transfer and wait for it like a driver: poll STATUS until DONE,
 * give up after 2 ms (CNTFRQ_EL0 ticks). */
static uint32_t i2c_xfer(unsigned wlen, unsigned rlen, uint32_t tx0, uint32_t tx1)
{
    mmio_write32(I2C0 + I2C_STATUS, 0xe); /* clear DONE, NACK, ERR */
    mmio_write32(I2C0 + I2C_SADDR, 0x50);
    mmio_write32(I2C0 + I2C_TX0, tx0);
    mmio_write32(I2C0 + I2C_TX1, tx1);
    mmio_write32(I2C0 + I2C_LEN, wlen | rlen << 8);
    mmio_write32(I2C0 + I2C_CMD, 1);
    uint64_t t0 = cntpct(), limit = SYSREG_READ(cntfrq_el0) / 500;
    for (;;) {
        uint32_t st = mmio_read32(I2C0 + I2C_STATUS);
        if (st & ST_DONE)
            return st;
        if (cntpct() - t0 > limit)
            return st | TIMEOUT;
        for (volatile int i = 0; i < 200; i++)
            ;
    }
}

static void i2c_init(void)
{
    /* 50 MHz clk_i2c0 (ppll / 4): SCL = 50e6 / (2 (62 + 1)) = 396.8 kHz. */
    mmio_write32(I2C0 + I2C_CLKDIV, 62);
    mmio_write32(I2C0 + I2C_CTRL, 1);
}

static void uart_phases(void)
{
    u2_init();
    u2_puts("A:hello\n");

    cru(CRU_CLKGATE28, HIWORD(1u << 3, 1u << 3)); /* gate sclk_uart2 */
    u2_puts("B:gated\n");
    /* PL011 TRM 3.3.3: BUSY (bit 3) while characters wait, TXFE (7) clear. */
    rt_check((mmio_read32(U2 + 0x18) & 0x88) == 0x08, "sclk gated: FR.BUSY, TX FIFO not empty");
    cru(CRU_CLKGATE28, HIWORD(1u << 3, 0));
    rt_check((mmio_read32(U2 + 0x18) & 0x88) == 0x80, "sclk back: the TX FIFO drained");

    /* CLKSEL_CON(54): sclk sel 13:12 = 0 (clk_uart2_src), src sel 9:8 = 0
     * (gpll 1188 MHz), div 6:0 = 24: 47.52 MHz, 1.98x too fast. */
    cru(CRU_CLKSEL54, HIWORD(0x337f, 24));
    u2_puts("C:fast\n");
    /* cpll 1000 MHz / 42 = 23.81 MHz: 0.8% slow, inside the tolerance. */
    cru(CRU_CLKSEL54, HIWORD(0x337f, 1u << 8 | 41));
    u2_puts("D:close\n");
    cru(CRU_CLKSEL54, HIWORD(0x3000, 2u << 12)); /* back to xin24m */

    grf(PMUGRF_GPIO0D_L, HIWORD(0x70, 0)); /* GPIO0_D1 (UART2_TX_M0) -> GPIO */
    u2_puts("E:gpio\n");
    grf(PMUGRF_GPIO0D_L, HIWORD(0x70, 1u << 4));
    grf(GRF_IOFUNC_SEL3, HIWORD(0xc00, 1u << 10)); /* UART2 to its M1 pins */
    u2_puts("F:m1\n");
    grf(GRF_IOFUNC_SEL3, HIWORD(0xc00, 0));

    /* Soft reset: the PL011 returns to its reset values (TRM 3.2: CR 0x300,
     * IBRD 0); writes while in reset are lost. */
    cru(CRU_SOFTRST25, HIWORD(3, 3));
    rt_check(mmio_read32(U2 + UART_CR) == 0x300, "uart2 in reset: CR reads its reset value 0x300");
    rt_check(mmio_read32(U2 + UART_IBRD) == 0, "uart2 in reset: IBRD cleared");
    mmio_write32(U2 + UART_IBRD, 13);
    rt_check(mmio_read32(U2 + UART_IBRD) == 0, "uart2 in reset: a write is lost");
    cru(CRU_SOFTRST25, HIWORD(3, 0));
    u2_puts("lost: the UART is disabled after its reset\n");
    u2_init();
    u2_puts("G:healed\n");

    /* pclk_uart2 gated: the registers read as zero (hvsim's RAZ/WI for an
     * access silicon would stall on). */
    cru(CRU_CLKGATE28, HIWORD(1, 1));
    rt_check(mmio_read32(U2 + UART_IBRD) == 0, "pclk_uart2 gated: IBRD reads 0");
    cru(CRU_CLKGATE28, HIWORD(1, 0));
    rt_check(mmio_read32(U2 + UART_IBRD) == 13, "pclk_uart2 back: IBRD reads 13");

    /* Bad input: no write-enable bits, a reserved offset, a reserved
     * selector. */
    cru(CRU_CLKGATE28, 0x000f);
    rt_check(mmio_read32(CRU + CRU_CLKGATE28) == 0, "a write without mask bits is ignored");
    rt_check(mmio_read32(CRU + 0x7000) == 0, "a reserved CRU offset reads 0");
    cru(CRU_CLKSEL54, HIWORD(0x3000, 3u << 12));
    rt_check((mmio_read32(CRU + CRU_CLKSEL54) >> 12 & 3) == 3, "selector 3 is stored");
    u2_puts("H:reserved\n");
    cru(CRU_CLKSEL54, HIWORD(0x3000, 2u << 12));
    u2_puts("I:restored\n");
}

static void i2c_phases(void)
{
    i2c_init();
    /* 24C02 page write at word address 0x10: 0x11, 0x22, 0x33. */
    uint32_t st = i2c_xfer(4, 0, 0x33221110u, 0);
    rt_check(st == ST_DONE, "eeprom write acknowledged (STATUS 0x%x)", st);
    st = i2c_xfer(1, 3, 0x10u, 0);
    rt_check(st == ST_DONE, "eeprom read acknowledged (STATUS 0x%x)", st);
    rt_check((mmio_read32(I2C0 + I2C_RX0) & 0xffffff) == 0x332211, "read back 11 22 33");
    st = i2c_xfer(1, 1, 0x40u, 0);
    /* Unwritten bytes hold i XOR 0xA5 (docs/soc.md): 0x40 -> 0xE5. */
    rt_check((mmio_read32(I2C0 + I2C_RX0) & 0xff) == 0xe5, "byte 0x40 reads 0xe5");

    /* pclk_i2c0 gated (PMU_CLKGATE_CON1 bit 0): registers read as zero. */
    cru(PMUCRU_CLKGATE1, HIWORD(1, 1));
    rt_check(mmio_read32(I2C0 + I2C_CLKDIV) == 0, "pclk_i2c0 gated: CLKDIV reads 0");
    cru(PMUCRU_CLKGATE1, HIWORD(1, 0));
    rt_check(mmio_read32(I2C0 + I2C_CLKDIV) == 62, "pclk_i2c0 back: CLKDIV reads 62");

    /* SRST_I2C0 (PMU_SOFTRST_CON0 bit 4): registers cleared, writes lost,
     * START never latches: the driver times out with STATUS 0. */
    cru(PMUCRU_SOFTRST0, HIWORD(1u << 4, 1u << 4));
    st = i2c_xfer(1, 1, 0x10u, 0);
    rt_check(st == TIMEOUT, "in reset: the transfer times out, STATUS 0 (0x%x)", st);
    cru(PMUCRU_SOFTRST0, HIWORD(1u << 4, 0));
    rt_check(mmio_read32(I2C0 + I2C_CLKDIV) == 0, "out of reset: CLKDIV was cleared");
    i2c_init();
    st = i2c_xfer(1, 1, 0x10u, 0);
    rt_check(st == ST_DONE && (mmio_read32(I2C0 + I2C_RX0) & 0xff) == 0x11,
             "re-initialised: the transfer works again");

    /* clk_i2c0 gated (PMU_CLKGATE_CON1 bit 1): the state machine stops,
     * BUSY stays; ungated, the transfer finishes. */
    cru(PMUCRU_CLKGATE1, HIWORD(2, 2));
    st = i2c_xfer(1, 1, 0x11u, 0);
    rt_check(st == (TIMEOUT | ST_BUSY), "clock gated: times out with BUSY (0x%x)", st);
    cru(PMUCRU_CLKGATE1, HIWORD(2, 0));
    uint64_t t0 = cntpct();
    while (!(mmio_read32(I2C0 + I2C_STATUS) & ST_DONE) && cntpct() - t0 < 1000000)
        ;
    rt_check(mmio_read32(I2C0 + I2C_STATUS) == ST_DONE &&
                 (mmio_read32(I2C0 + I2C_RX0) & 0xff) == 0x22,
             "clock back: the stalled transfer completes");

    /* GPIO0_B1 (I2C0_SCL) muxed to GPIO: no acknowledge. */
    grf(PMUGRF_GPIO0B_L, HIWORD(0x70, 0));
    st = i2c_xfer(1, 1, 0x10u, 0);
    rt_check(st == (ST_DONE | ST_NACK), "pins muxed away: NACK (0x%x)", st);
    grf(PMUGRF_GPIO0B_L, HIWORD(0x70, 1u << 4));

    /* clk_pdpmu from gpll (PMU_CLKSEL_CON2 bit 15): clk_i2c0 = 297 MHz,
     * SCL 2.36 MHz, beyond the EEPROM's 400 kHz: NACK. */
    cru(PMUCRU_CLKSEL2, HIWORD(0x8000, 0x8000));
    st = i2c_xfer(1, 1, 0x10u, 0);
    rt_check(st == (ST_DONE | ST_NACK), "clock too fast: NACK (0x%x)", st);
    cru(PMUCRU_CLKSEL2, HIWORD(0x8000, 0));
    st = i2c_xfer(1, 1, 0x10u, 0);
    rt_check(st == ST_DONE, "restored: acknowledged again (0x%x)", st);

    /* The interrupt: CTRL.IEN with DONE drives SPI 11 = INTID 43, seen
     * pending in GICD_ISPENDR1 bit 11 (GICv3 12.9.23). */
    mmio_write32(I2C0 + I2C_CTRL, 3);
    st = i2c_xfer(1, 0, 0x10u, 0);
    rt_check((mmio_read32(GICD + 0x204) >> 11) & 1, "DONE with IEN: INTID 43 pending");
    mmio_write32(I2C0 + I2C_STATUS, ST_DONE);
    rt_check(!((mmio_read32(GICD + 0x204) >> 11) & 1), "DONE cleared: INTID 43 no longer pending");
}

/* Receive with a wrong divider: the test feeds UART2 from 10 ms of virtual
 * time (--uart-in 2=FILE --uart-in-start 10ms); UART2's sclk is gpll / 25,
 * so its receiver samples 1.98x too fast. Each character received is
 * printed with its DR error flags (bit 8 FE), as "rx 0x1nn". */
static void rx_phase(void)
{
    uint64_t until = SYSREG_READ(cntfrq_el0) * 14 / 1000;
    u2_init();
    cru(CRU_CLKSEL54, HIWORD(0x337f, 24));
    while (cntpct() < until)
        for (volatile int i = 0; i < 2000; i++)
            ;
    while (!(mmio_read32(U2 + 0x18) & (1u << 4)))
        rt_printf("rx 0x%03x\n", mmio_read32(U2 + UART_DR) & 0xfff);
    cru(CRU_CLKSEL54, HIWORD(0x3000, 2u << 12));
}

int main(uint64_t dtb)
{
    (void)dtb;
    uart_phases();
    i2c_phases();
    rx_phase();
    rt_summary("soc");
    return 0;
}
