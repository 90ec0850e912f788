/* hvsim: the one description of the modelled RK3568 clock/reset (CRU) and
 * system-control (GRF) registers and fields, shared by the simulator
 * (sim/soc/) and the hypervisor's permission logic (hypervisor/core/
 * vdev_perm). Header-only and freestanding: <stdint.h> only, no libc, no
 * functions with external linkage.
 *
 * Offsets and bit positions are those of the Rockchip RK3568 as the Linux
 * kernel describes them (drivers/clk/rockchip/clk-rk3568.c for the clock
 * tree, include/dt-bindings/clock/rk3568-cru.h for the clock and reset IDs,
 * where reset ID = SOFTRST_CON index * 16 + bit; drivers/pinctrl/
 * pinctrl-rockchip.c and rk3568-pinctrl.dtsi for the IOMUX). docs/soc.md has
 * the same table for people.
 *
 * One hvsim layout choice: the RK3568 has separate PMUCRU and PMUGRF blocks
 * (I2C0's clocks and reset, and the IOMUX of GPIO0, where UART2 and I2C0
 * have their pins). The platform has one `cru` and one `grf` window of
 * 64 KiB, so the PMU block's registers appear at +0x8000 in the window of
 * their main block, at their own offsets (PMUCRU 0x184 -> cru + 0x8184).
 *
 * Rockchip's "hiword mask" (every CRU/GRF register except the fractional
 * dividers): bits 31:16 of a write are a write enable for bits 15:0. A
 * write changes bit n only if bit n+16 is set; bits 31:16 read as 0.
 */
#ifndef HVSIM_RK3568_CRU_H
#define HVSIM_RK3568_CRU_H

#include <stdint.h>

/* ---- register offsets ----------------------------------------------------- */

#define RK3568_PMU_BLOCK_OFF 0x8000u /* hvsim: PMUCRU / PMUGRF inside the window */

#define RK3568_CRU_CLKSEL_CON(x)     (0x100u + 4u * (x))
#define RK3568_CRU_CLKGATE_CON(x)    (0x300u + 4u * (x))
#define RK3568_CRU_SOFTRST_CON(x)    (0x400u + 4u * (x))
#define RK3568_PMUCRU_CLKSEL_CON(x)  (RK3568_PMU_BLOCK_OFF + 0x100u + 4u * (x))
#define RK3568_PMUCRU_CLKGATE_CON(x) (RK3568_PMU_BLOCK_OFF + 0x180u + 4u * (x))
#define RK3568_PMUCRU_SOFTRST_CON(x) (RK3568_PMU_BLOCK_OFF + 0x200u + 4u * (x))

#define RK3568_GRF_GPIO1A_IOMUX_L    0x000u
#define RK3568_GRF_GPIO2B_IOMUX_L    0x028u
#define RK3568_GRF_GPIO2B_IOMUX_H    0x02cu
#define RK3568_GRF_IOFUNC_SEL3       0x30cu
#define RK3568_PMUGRF_GPIO0B_IOMUX_L (RK3568_PMU_BLOCK_OFF + 0x008u)
#define RK3568_PMUGRF_GPIO0D_IOMUX_L (RK3568_PMU_BLOCK_OFF + 0x018u)

/* Fixed clock sources (Hz): the oscillator and the PLL rates Linux's
 * rk3568.dtsi assigns (assigned-clock-rates of the cru and pmucru nodes).
 * hvsim does not model PLL_CON: the PLLs are locked at these rates. */
#define RK3568_XIN24M_HZ  24000000u
#define RK3568_GPLL_HZ    1188000000u
#define RK3568_CPLL_HZ    1000000000u
#define RK3568_PPLL_HZ    200000000u
#define RK3568_USB480M_HZ 480000000u

/* ---- the devices that depend on the fields --------------------------------- */

enum rk_dev { RK_DEV_UART1, RK_DEV_UART2, RK_DEV_UART3, RK_DEV_I2C0, RK_DEV_TIMER0, RK_DEV__COUNT };
#define RK_DEV_BIT(d) (1u << (d))

static const char *const rk_dev_names[RK_DEV__COUNT] = {
    [RK_DEV_UART1] = "uart1", [RK_DEV_UART2] = "uart2",   [RK_DEV_UART3] = "uart3",
    [RK_DEV_I2C0] = "i2c0",   [RK_DEV_TIMER0] = "timer0",
};

/* ---- registers ------------------------------------------------------------- */

enum rk_block { RK_BLK_CRU, RK_BLK_GRF };

struct rk_reg_desc {
    uint8_t block;    /* enum rk_block */
    uint8_t hiword;   /* 1: bits 31:16 are the write enable of bits 15:0 */
    uint16_t off;     /* offset in the block's window */
    const char *name; /* the TRM / Linux name */
    uint32_t reset;   /* value at hand-over from the boot ROM (docs/soc.md) */
    uint32_t impl;    /* implemented bits; others read as zero, writes ignored */
};

enum rk_reg_id {
    RK_R_CLKSEL50,
    RK_R_CLKSEL52,
    RK_R_CLKSEL53,
    RK_R_CLKSEL54,
    RK_R_CLKSEL55,
    RK_R_CLKSEL56,
    RK_R_CLKSEL57,
    RK_R_CLKGATE26,
    RK_R_CLKGATE27,
    RK_R_CLKGATE28,
    RK_R_CLKGATE32,
    RK_R_SOFTRST24,
    RK_R_SOFTRST25,
    RK_R_PMU_CLKSEL2,
    RK_R_PMU_CLKSEL3,
    RK_R_PMU_CLKGATE0,
    RK_R_PMU_CLKGATE1,
    RK_R_PMU_SOFTRST0,
    RK_R_GRF_GPIO1A_L,
    RK_R_GRF_GPIO2B_L,
    RK_R_GRF_GPIO2B_H,
    RK_R_GRF_IOFUNC_SEL3,
    RK_R_PMUGRF_GPIO0B_L,
    RK_R_PMUGRF_GPIO0D_L,
    RK_R__COUNT
};

/* Sorted by block, then offset (the models binary-search it). Reset values:
 * every gate open (a CLKGATE bit set means "clock disabled"), no reset
 * asserted (a SOFTRST bit set means "held in reset"), every UART's sclk
 * taken from xin24m, and the UART and I2C0 pins muxed to their devices:
 * the state a boot ROM hands over, so software that never touches the CRU
 * and GRF (every image that also runs on QEMU virt) sees working devices. */
static const struct rk_reg_desc rk3568_regs[RK_R__COUNT] = {
    [RK_R_CLKSEL50] = {RK_BLK_CRU, 1, RK3568_CRU_CLKSEL_CON(50), "CLKSEL_CON50", 0x0000, 0x0033},
    [RK_R_CLKSEL52] = {RK_BLK_CRU, 1, RK3568_CRU_CLKSEL_CON(52), "CLKSEL_CON52", 0x2000, 0x337f},
    [RK_R_CLKSEL53] = {RK_BLK_CRU, 0, RK3568_CRU_CLKSEL_CON(53), "CLKSEL_CON53", 0x000400c6,
                       0xffffffff},
    [RK_R_CLKSEL54] = {RK_BLK_CRU, 1, RK3568_CRU_CLKSEL_CON(54), "CLKSEL_CON54", 0x2000, 0x337f},
    [RK_R_CLKSEL55] = {RK_BLK_CRU, 0, RK3568_CRU_CLKSEL_CON(55), "CLKSEL_CON55", 0x000400c6,
                       0xffffffff},
    [RK_R_CLKSEL56] = {RK_BLK_CRU, 1, RK3568_CRU_CLKSEL_CON(56), "CLKSEL_CON56", 0x2000, 0x337f},
    [RK_R_CLKSEL57] = {RK_BLK_CRU, 0, RK3568_CRU_CLKSEL_CON(57), "CLKSEL_CON57", 0x000400c6,
                       0xffffffff},
    [RK_R_CLKGATE26] = {RK_BLK_CRU, 1, RK3568_CRU_CLKGATE_CON(26), "CLKGATE_CON26", 0, 0xffff},
    [RK_R_CLKGATE27] = {RK_BLK_CRU, 1, RK3568_CRU_CLKGATE_CON(27), "CLKGATE_CON27", 0, 0xffff},
    [RK_R_CLKGATE28] = {RK_BLK_CRU, 1, RK3568_CRU_CLKGATE_CON(28), "CLKGATE_CON28", 0, 0xffff},
    [RK_R_CLKGATE32] = {RK_BLK_CRU, 1, RK3568_CRU_CLKGATE_CON(32), "CLKGATE_CON32", 0, 0xffff},
    [RK_R_SOFTRST24] = {RK_BLK_CRU, 1, RK3568_CRU_SOFTRST_CON(24), "SOFTRST_CON24", 0, 0xffff},
    [RK_R_SOFTRST25] = {RK_BLK_CRU, 1, RK3568_CRU_SOFTRST_CON(25), "SOFTRST_CON25", 0, 0xffff},
    [RK_R_PMU_CLKSEL2] = {RK_BLK_CRU, 1, RK3568_PMUCRU_CLKSEL_CON(2), "PMU_CLKSEL_CON2", 0x0003,
                          0x801f},
    [RK_R_PMU_CLKSEL3] = {RK_BLK_CRU, 1, RK3568_PMUCRU_CLKSEL_CON(3), "PMU_CLKSEL_CON3", 0x0003,
                          0x007f},
    [RK_R_PMU_CLKGATE0] = {RK_BLK_CRU, 1, RK3568_PMUCRU_CLKGATE_CON(0), "PMU_CLKGATE_CON0", 0,
                           0xffff},
    [RK_R_PMU_CLKGATE1] = {RK_BLK_CRU, 1, RK3568_PMUCRU_CLKGATE_CON(1), "PMU_CLKGATE_CON1", 0,
                           0xffff},
    [RK_R_PMU_SOFTRST0] = {RK_BLK_CRU, 1, RK3568_PMUCRU_SOFTRST_CON(0), "PMU_SOFTRST_CON0", 0,
                           0xffff},
    [RK_R_GRF_GPIO1A_L] = {RK_BLK_GRF, 1, RK3568_GRF_GPIO1A_IOMUX_L, "GRF_GPIO1A_IOMUX_L", 0x0022,
                           0x7777},
    [RK_R_GRF_GPIO2B_L] = {RK_BLK_GRF, 1, RK3568_GRF_GPIO2B_IOMUX_L, "GRF_GPIO2B_IOMUX_L", 0x2000,
                           0x7777},
    [RK_R_GRF_GPIO2B_H] = {RK_BLK_GRF, 1, RK3568_GRF_GPIO2B_IOMUX_H, "GRF_GPIO2B_IOMUX_H", 0x0002,
                           0x7777},
    [RK_R_GRF_IOFUNC_SEL3] = {RK_BLK_GRF, 1, RK3568_GRF_IOFUNC_SEL3, "GRF_IOFUNC_SEL3", 0x0000,
                              0xffff},
    [RK_R_PMUGRF_GPIO0B_L] = {RK_BLK_GRF, 1, RK3568_PMUGRF_GPIO0B_IOMUX_L, "PMU_GRF_GPIO0B_IOMUX_L",
                              0x0110, 0x7777},
    [RK_R_PMUGRF_GPIO0D_L] = {RK_BLK_GRF, 1, RK3568_PMUGRF_GPIO0D_IOMUX_L, "PMU_GRF_GPIO0D_IOMUX_L",
                              0x0011, 0x7777},
};

/* ---- fields ------------------------------------------------------------------ */

enum rk_field_kind {
    RK_FK_GATE,  /* 1 bit, 1 = clock gated (disabled) */
    RK_FK_RESET, /* 1 bit, 1 = held in reset */
    RK_FK_MUX,   /* clock source select; values >= nvalues are reserved */
    RK_FK_DIV,   /* integer divider: rate = parent / (value + 1) */
    RK_FK_FRAC,  /* 32 bits: numerator 31:16, denominator 15:0 */
    RK_FK_IOMUX, /* pin function: 0 = GPIO, dev_func = the device's function */
    RK_FK_SEL,   /* an interface select (which pin group a device uses) */
};

struct rk_field_desc {
    uint8_t reg;      /* enum rk_reg_id */
    uint8_t shift;    /* lowest bit */
    uint8_t width;    /* bits */
    uint8_t kind;     /* enum rk_field_kind */
    uint8_t nvalues;  /* MUX/SEL: valid selector values 0..nvalues-1; IOMUX: 8 */
    uint8_t dev_func; /* IOMUX/SEL: the value that connects the device */
    uint16_t devs;    /* RK_DEV_BIT()s of the devices that depend on it */
    const char *name;
};

enum rk_field_id {
    RK_F_PCLK_BUS_SEL,
    RK_F_UART1_SRC_DIV,
    RK_F_UART1_SRC_SEL,
    RK_F_UART1_SCLK_SEL,
    RK_F_UART1_FRAC,
    RK_F_UART2_SRC_DIV,
    RK_F_UART2_SRC_SEL,
    RK_F_UART2_SCLK_SEL,
    RK_F_UART2_FRAC,
    RK_F_UART3_SRC_DIV,
    RK_F_UART3_SRC_SEL,
    RK_F_UART3_SCLK_SEL,
    RK_F_UART3_FRAC,
    RK_F_PCLK_BUS_GATE,
    RK_F_PCLK_UART1_GATE,
    RK_F_CLK_UART1_SRC_GATE,
    RK_F_CLK_UART1_FRAC_GATE,
    RK_F_SCLK_UART1_GATE,
    RK_F_PCLK_UART2_GATE,
    RK_F_CLK_UART2_SRC_GATE,
    RK_F_CLK_UART2_FRAC_GATE,
    RK_F_SCLK_UART2_GATE,
    RK_F_PCLK_UART3_GATE,
    RK_F_CLK_UART3_SRC_GATE,
    RK_F_CLK_UART3_FRAC_GATE,
    RK_F_SCLK_UART3_GATE,
    RK_F_PCLK_TIMER_GATE,
    RK_F_CLK_TIMER0_GATE,
    RK_F_SRST_P_TIMER,
    RK_F_SRST_TIMER0,
    RK_F_SRST_P_UART1,
    RK_F_SRST_S_UART1,
    RK_F_SRST_P_UART2,
    RK_F_SRST_S_UART2,
    RK_F_SRST_P_UART3,
    RK_F_SRST_S_UART3,
    RK_F_PCLK_PDPMU_DIV,
    RK_F_CLK_PDPMU_SEL,
    RK_F_CLK_I2C0_DIV,
    RK_F_PCLK_PDPMU_GATE,
    RK_F_PCLK_I2C0_GATE,
    RK_F_CLK_I2C0_GATE,
    RK_F_SRST_P_I2C0,
    RK_F_SRST_I2C0,
    RK_F_GPIO1A0_SEL, /* UART3_RX_M0, function 2 */
    RK_F_GPIO1A1_SEL, /* UART3_TX_M0, function 2 */
    RK_F_GPIO2B3_SEL, /* UART1_RX_M0, function 2 */
    RK_F_GPIO2B4_SEL, /* UART1_TX_M0, function 2 */
    RK_F_UART2_IO_SEL,
    RK_F_GPIO0B1_SEL, /* I2C0_SCL, function 1 */
    RK_F_GPIO0B2_SEL, /* I2C0_SDA, function 1 */
    RK_F_GPIO0D0_SEL, /* UART2_RX_M0, function 1 */
    RK_F_GPIO0D1_SEL, /* UART2_TX_M0, function 1 */
    RK_F__COUNT
};

#define RK_U1 RK_DEV_BIT(RK_DEV_UART1)
#define RK_U2 RK_DEV_BIT(RK_DEV_UART2)
#define RK_U3 RK_DEV_BIT(RK_DEV_UART3)
#define RK_I0 RK_DEV_BIT(RK_DEV_I2C0)
#define RK_T0 RK_DEV_BIT(RK_DEV_TIMER0)

/* clk-rk3568.c: pclk_bus = COMPOSITE_NODIV(CLKSEL_CON(50) 5:4, gate 26.1),
 * parents gpll_100m, gpll_75m, cpll_50m, xin24m; clk_uartN_src =
 * COMPOSITE(CLKSEL_CON(52+2(N-1)) mux 9:8 of gpll/cpll/usb480m, div 6:0);
 * clk_uartN_frac = CLKSEL_CON(53+2(N-1)); sclk_uartN_mux 13:12 of src,
 * frac, xin24m; gates CLKGATE_CON(27) 12-15 (UART1), 28 0-3 / 4-7
 * (UART2/3), 32.3 pclk_timer, 32.4 clk_timer0 (from xin24m). PMUCRU:
 * clk_pdpmu mux PMU_CLKSEL_CON(2).15 (ppll, gpll), pclk_pdpmu div 4:0,
 * clk_i2c0 div PMU_CLKSEL_CON(3) 6:0 of clk_pdpmu, gates PMU_CLKGATE_CON(0).2
 * and (1).0/1. Resets: rk3568-cru.h IDs 387-395 and 400-403 (SOFTRST_CON24,
 * 25), PMU IDs 3-4 (PMU_SOFTRST_CON0). */
static const struct rk_field_desc rk3568_fields[RK_F__COUNT] = {
    [RK_F_PCLK_BUS_SEL] = {RK_R_CLKSEL50, 4, 2, RK_FK_MUX, 4, 0, RK_U1 | RK_U2 | RK_U3 | RK_T0,
                           "pclk_bus_sel"},
    [RK_F_UART1_SRC_DIV] = {RK_R_CLKSEL52, 0, 7, RK_FK_DIV, 0, 0, RK_U1, "clk_uart1_src_div"},
    [RK_F_UART1_SRC_SEL] = {RK_R_CLKSEL52, 8, 2, RK_FK_MUX, 3, 0, RK_U1, "clk_uart1_src_sel"},
    [RK_F_UART1_SCLK_SEL] = {RK_R_CLKSEL52, 12, 2, RK_FK_MUX, 3, 0, RK_U1, "sclk_uart1_sel"},
    [RK_F_UART1_FRAC] = {RK_R_CLKSEL53, 0, 32, RK_FK_FRAC, 0, 0, RK_U1, "clk_uart1_frac"},
    [RK_F_UART2_SRC_DIV] = {RK_R_CLKSEL54, 0, 7, RK_FK_DIV, 0, 0, RK_U2, "clk_uart2_src_div"},
    [RK_F_UART2_SRC_SEL] = {RK_R_CLKSEL54, 8, 2, RK_FK_MUX, 3, 0, RK_U2, "clk_uart2_src_sel"},
    [RK_F_UART2_SCLK_SEL] = {RK_R_CLKSEL54, 12, 2, RK_FK_MUX, 3, 0, RK_U2, "sclk_uart2_sel"},
    [RK_F_UART2_FRAC] = {RK_R_CLKSEL55, 0, 32, RK_FK_FRAC, 0, 0, RK_U2, "clk_uart2_frac"},
    [RK_F_UART3_SRC_DIV] = {RK_R_CLKSEL56, 0, 7, RK_FK_DIV, 0, 0, RK_U3, "clk_uart3_src_div"},
    [RK_F_UART3_SRC_SEL] = {RK_R_CLKSEL56, 8, 2, RK_FK_MUX, 3, 0, RK_U3, "clk_uart3_src_sel"},
    [RK_F_UART3_SCLK_SEL] = {RK_R_CLKSEL56, 12, 2, RK_FK_MUX, 3, 0, RK_U3, "sclk_uart3_sel"},
    [RK_F_UART3_FRAC] = {RK_R_CLKSEL57, 0, 32, RK_FK_FRAC, 0, 0, RK_U3, "clk_uart3_frac"},
    [RK_F_PCLK_BUS_GATE] = {RK_R_CLKGATE26, 1, 1, RK_FK_GATE, 0, 0, RK_U1 | RK_U2 | RK_U3 | RK_T0,
                            "pclk_bus_en"},
    [RK_F_PCLK_UART1_GATE] = {RK_R_CLKGATE27, 12, 1, RK_FK_GATE, 0, 0, RK_U1, "pclk_uart1_en"},
    [RK_F_CLK_UART1_SRC_GATE] = {RK_R_CLKGATE27, 13, 1, RK_FK_GATE, 0, 0, RK_U1,
                                 "clk_uart1_src_en"},
    [RK_F_CLK_UART1_FRAC_GATE] = {RK_R_CLKGATE27, 14, 1, RK_FK_GATE, 0, 0, RK_U1,
                                  "clk_uart1_frac_en"},
    [RK_F_SCLK_UART1_GATE] = {RK_R_CLKGATE27, 15, 1, RK_FK_GATE, 0, 0, RK_U1, "sclk_uart1_en"},
    [RK_F_PCLK_UART2_GATE] = {RK_R_CLKGATE28, 0, 1, RK_FK_GATE, 0, 0, RK_U2, "pclk_uart2_en"},
    [RK_F_CLK_UART2_SRC_GATE] = {RK_R_CLKGATE28, 1, 1, RK_FK_GATE, 0, 0, RK_U2, "clk_uart2_src_en"},
    [RK_F_CLK_UART2_FRAC_GATE] = {RK_R_CLKGATE28, 2, 1, RK_FK_GATE, 0, 0, RK_U2,
                                  "clk_uart2_frac_en"},
    [RK_F_SCLK_UART2_GATE] = {RK_R_CLKGATE28, 3, 1, RK_FK_GATE, 0, 0, RK_U2, "sclk_uart2_en"},
    [RK_F_PCLK_UART3_GATE] = {RK_R_CLKGATE28, 4, 1, RK_FK_GATE, 0, 0, RK_U3, "pclk_uart3_en"},
    [RK_F_CLK_UART3_SRC_GATE] = {RK_R_CLKGATE28, 5, 1, RK_FK_GATE, 0, 0, RK_U3, "clk_uart3_src_en"},
    [RK_F_CLK_UART3_FRAC_GATE] = {RK_R_CLKGATE28, 6, 1, RK_FK_GATE, 0, 0, RK_U3,
                                  "clk_uart3_frac_en"},
    [RK_F_SCLK_UART3_GATE] = {RK_R_CLKGATE28, 7, 1, RK_FK_GATE, 0, 0, RK_U3, "sclk_uart3_en"},
    [RK_F_PCLK_TIMER_GATE] = {RK_R_CLKGATE32, 3, 1, RK_FK_GATE, 0, 0, RK_T0, "pclk_timer_en"},
    [RK_F_CLK_TIMER0_GATE] = {RK_R_CLKGATE32, 4, 1, RK_FK_GATE, 0, 0, RK_T0, "clk_timer0_en"},
    [RK_F_SRST_P_TIMER] = {RK_R_SOFTRST24, 3, 1, RK_FK_RESET, 0, 0, RK_T0, "srst_p_timer"},
    [RK_F_SRST_TIMER0] = {RK_R_SOFTRST24, 4, 1, RK_FK_RESET, 0, 0, RK_T0, "srst_timer0"},
    [RK_F_SRST_P_UART1] = {RK_R_SOFTRST24, 10, 1, RK_FK_RESET, 0, 0, RK_U1, "srst_p_uart1"},
    [RK_F_SRST_S_UART1] = {RK_R_SOFTRST24, 11, 1, RK_FK_RESET, 0, 0, RK_U1, "srst_s_uart1"},
    [RK_F_SRST_P_UART2] = {RK_R_SOFTRST25, 0, 1, RK_FK_RESET, 0, 0, RK_U2, "srst_p_uart2"},
    [RK_F_SRST_S_UART2] = {RK_R_SOFTRST25, 1, 1, RK_FK_RESET, 0, 0, RK_U2, "srst_s_uart2"},
    [RK_F_SRST_P_UART3] = {RK_R_SOFTRST25, 2, 1, RK_FK_RESET, 0, 0, RK_U3, "srst_p_uart3"},
    [RK_F_SRST_S_UART3] = {RK_R_SOFTRST25, 3, 1, RK_FK_RESET, 0, 0, RK_U3, "srst_s_uart3"},
    [RK_F_PCLK_PDPMU_DIV] = {RK_R_PMU_CLKSEL2, 0, 5, RK_FK_DIV, 0, 0, RK_I0, "pclk_pdpmu_div"},
    [RK_F_CLK_PDPMU_SEL] = {RK_R_PMU_CLKSEL2, 15, 1, RK_FK_MUX, 2, 0, RK_I0, "clk_pdpmu_sel"},
    [RK_F_CLK_I2C0_DIV] = {RK_R_PMU_CLKSEL3, 0, 7, RK_FK_DIV, 0, 0, RK_I0, "clk_i2c0_div"},
    [RK_F_PCLK_PDPMU_GATE] = {RK_R_PMU_CLKGATE0, 2, 1, RK_FK_GATE, 0, 0, RK_I0, "pclk_pdpmu_en"},
    [RK_F_PCLK_I2C0_GATE] = {RK_R_PMU_CLKGATE1, 0, 1, RK_FK_GATE, 0, 0, RK_I0, "pclk_i2c0_en"},
    [RK_F_CLK_I2C0_GATE] = {RK_R_PMU_CLKGATE1, 1, 1, RK_FK_GATE, 0, 0, RK_I0, "clk_i2c0_en"},
    [RK_F_SRST_P_I2C0] = {RK_R_PMU_SOFTRST0, 3, 1, RK_FK_RESET, 0, 0, RK_I0, "srst_p_i2c0"},
    [RK_F_SRST_I2C0] = {RK_R_PMU_SOFTRST0, 4, 1, RK_FK_RESET, 0, 0, RK_I0, "srst_i2c0"},
    [RK_F_GPIO1A0_SEL] = {RK_R_GRF_GPIO1A_L, 0, 3, RK_FK_IOMUX, 8, 2, RK_U3, "gpio1a0_sel"},
    [RK_F_GPIO1A1_SEL] = {RK_R_GRF_GPIO1A_L, 4, 3, RK_FK_IOMUX, 8, 2, RK_U3, "gpio1a1_sel"},
    [RK_F_GPIO2B3_SEL] = {RK_R_GRF_GPIO2B_L, 12, 3, RK_FK_IOMUX, 8, 2, RK_U1, "gpio2b3_sel"},
    [RK_F_GPIO2B4_SEL] = {RK_R_GRF_GPIO2B_H, 0, 3, RK_FK_IOMUX, 8, 2, RK_U1, "gpio2b4_sel"},
    /* GRF_IOFUNC_SEL3 11:10: UART2 pins M0 (GPIO0_D0/D1) = 0, M1 = 1. */
    [RK_F_UART2_IO_SEL] = {RK_R_GRF_IOFUNC_SEL3, 10, 2, RK_FK_SEL, 2, 0, RK_U2, "uart2_io_sel"},
    [RK_F_GPIO0B1_SEL] = {RK_R_PMUGRF_GPIO0B_L, 4, 3, RK_FK_IOMUX, 8, 1, RK_I0, "gpio0b1_sel"},
    [RK_F_GPIO0B2_SEL] = {RK_R_PMUGRF_GPIO0B_L, 8, 3, RK_FK_IOMUX, 8, 1, RK_I0, "gpio0b2_sel"},
    [RK_F_GPIO0D0_SEL] = {RK_R_PMUGRF_GPIO0D_L, 0, 3, RK_FK_IOMUX, 8, 1, RK_U2, "gpio0d0_sel"},
    [RK_F_GPIO0D1_SEL] = {RK_R_PMUGRF_GPIO0D_L, 4, 3, RK_FK_IOMUX, 8, 1, RK_U2, "gpio0d1_sel"},
};

/* The bits of a register that a field covers. */
static inline uint32_t rk_field_mask(const struct rk_field_desc *f)
{
    return f->width >= 32 ? 0xffffffffu : ((1u << f->width) - 1u) << f->shift;
}

static inline uint32_t rk_field_get(const struct rk_field_desc *f, uint32_t regval)
{
    return (regval & rk_field_mask(f)) >> f->shift;
}

/* A hiword-masked write (the Rockchip convention, see the top comment):
 * the bits enabled by value[31:16] take value[15:0]; the rest keep old. */
static inline uint32_t rk_hiword_apply(uint32_t old, uint32_t value)
{
    uint32_t en = value >> 16;
    return (old & ~en & 0xffffu) | (value & en);
}

/* Linux clock IDs (rk3568-cru.h) of the clocks the DT references, and the
 * reset IDs (SOFTRST index * 16 + bit). PMUCRU IDs are in their own space. */
#define RK3568_CLKID_PCLK_UART1   284
#define RK3568_CLKID_SCLK_UART1   287
#define RK3568_CLKID_PCLK_UART2   288
#define RK3568_CLKID_SCLK_UART2   291
#define RK3568_CLKID_PCLK_UART3   292
#define RK3568_CLKID_SCLK_UART3   295
#define RK3568_PMUCLKID_CLK_I2C0  7
#define RK3568_PMUCLKID_PCLK_I2C0 45
#define RK3568_SRST_P_UART1       394
#define RK3568_SRST_S_UART1       395
#define RK3568_SRST_P_UART2       400
#define RK3568_SRST_S_UART2       401
#define RK3568_SRST_P_UART3       402
#define RK3568_SRST_S_UART3       403
#define RK3568_PMUSRST_P_I2C0     3
#define RK3568_PMUSRST_I2C0       4

#endif
