/* Unit tests for sim/soc: the RK3568-style CRU and GRF (hiword-mask writes,
 * clock arithmetic, resets, pin routing, bad accesses) and the serial line
 * model. Offsets are written out from the RK3568 numbers (clk-rk3568.c,
 * rk3568-cru.h), not taken from the model's table, so the table is checked
 * too. */
#include <check.h>

#include "check_run.h"
#include <stdio.h>
#include <string.h>

#include "soc/soc.h"
#include "soc/uart_line.h"

#define CRU_CLKSEL54    0x1d8u  /* CLKSEL_CON(54): UART2 src div 6:0, src sel 9:8, sclk sel 13:12 */
#define CRU_CLKSEL55    0x1dcu  /* CLKSEL_CON(55): UART2 fractional divider */
#define CRU_CLKGATE28   0x370u  /* CLKGATE_CON(28): 0 pclk_uart2, 1 src, 2 frac, 3 sclk_uart2 */
#define CRU_SOFTRST25   0x464u  /* SOFTRST_CON(25): 0 P_UART2 (ID 400), 1 S_UART2 (401) */
#define PMUCRU_GATE1    0x8184u /* PMU_CLKGATE_CON(1): 0 pclk_i2c0, 1 clk_i2c0 */
#define PMUCRU_CLKSEL3  0x810cu /* PMU_CLKSEL_CON(3): clk_i2c0 div 6:0 */
#define PMUCRU_RST0     0x8200u /* PMU_SOFTRST_CON(0): 3 P_I2C0, 4 I2C0 */
#define GRF_IOFUNC3     0x30cu  /* GRF_IOFUNC_SEL3: 11:10 UART2 M0/M1 */
#define PMUGRF_GPIO0D_L 0x8018u /* GPIO0_D0 2:0 (UART2 RX = 1), GPIO0_D1 6:4 (UART2 TX = 1) */

struct rec {
    unsigned nev[HV_EV__COUNT];
    struct hv_ev_soc_reg last_soc;
    char last_text[256];
    unsigned changed[RK_DEV__COUNT];
    struct hv_soc_devstate last_old, last_now;
};

static void on_event(void *ctx, const struct hv_event *ev)
{
    struct rec *r = ctx;
    r->nev[ev->type]++;
    if (ev->type == HV_EV_SOC_REG)
        r->last_soc = ev->u.soc;
    if (ev->type == HV_EV_GUEST_ERROR || ev->type == HV_EV_UNIMPL)
        snprintf(r->last_text, sizeof(r->last_text), "%s", ev->u.text.text);
}

static void on_changed(void *ctx, enum rk_dev d, const struct hv_soc_devstate *old,
                       const struct hv_soc_devstate *now)
{
    struct rec *r = ctx;
    r->changed[d]++;
    r->last_old = *old;
    r->last_now = *now;
}

static struct rec R;
static struct hv_obs OBS;
static const struct hv_soc_who WHO = {.pe = 0, .el = 1, .pc = 0x1000};

static struct hv_soc *mk(void)
{
    struct hv_soc_io io = {.ctx = &R, .dev_changed = on_changed};
    memset(&R, 0, sizeof(R));
    hv_obs_init(&OBS);
    hv_obs_subscribe(&OBS, HV_EV_ALL, on_event, &R);
    struct hv_soc *s = hv_soc_create(&io, &OBS, NULL);
    ck_assert_ptr_nonnull(s);
    return s;
}

static void wr(struct hv_soc *s, enum rk_block b, uint32_t off, uint32_t v)
{
    hv_soc_write(s, b, &WHO, off, 4, v);
}

static uint32_t rd(struct hv_soc *s, enum rk_block b, uint32_t off)
{
    return (uint32_t)hv_soc_read(s, b, &WHO, off, 4);
}

/* ---- hiword mask ---------------------------------------------------------- */

START_TEST(test_hiword_only_enabled_bits)
{
    struct hv_soc *s = mk();
    ck_assert_uint_eq(rd(s, RK_BLK_CRU, CRU_CLKGATE28), 0); /* every gate open */
    /* Set bit 3 (sclk_uart2 gated) with enable bit 19: only bit 3 changes,
     * even though the low half asks for bits 0-7. */
    wr(s, RK_BLK_CRU, CRU_CLKGATE28, (1u << 19) | 0xff);
    ck_assert_uint_eq(rd(s, RK_BLK_CRU, CRU_CLKGATE28), 0x8);
    /* Clearing bit 3 needs its enable too; other bits' enables keep them. */
    wr(s, RK_BLK_CRU, CRU_CLKGATE28, (1u << 19) | (1u << 16) | 0x1);
    ck_assert_uint_eq(R.last_soc.old, 0x8);
    ck_assert_uint_eq(R.last_soc.new_value, 0x1);
    ck_assert_uint_eq(R.last_soc.wmask, 0x9);
    ck_assert_str_eq(R.last_soc.name, "CLKGATE_CON28");
    ck_assert(R.last_soc.is_write);
    ck_assert_uint_eq(rd(s, RK_BLK_CRU, CRU_CLKGATE28), 0x1);
    hv_soc_destroy(s);
}
END_TEST

START_TEST(test_hiword_no_mask_is_ignored_and_reported)
{
    struct hv_soc *s = mk();
    wr(s, RK_BLK_CRU, CRU_CLKGATE28, 0x000f);
    ck_assert_uint_eq(rd(s, RK_BLK_CRU, CRU_CLKGATE28), 0);
    ck_assert_uint_eq(R.nev[HV_EV_GUEST_ERROR], 1);
    ck_assert_ptr_nonnull(strstr(R.last_text, "no write-enable bits"));
    ck_assert_uint_eq(R.changed[RK_DEV_UART2], 0);
    hv_soc_destroy(s);
}
END_TEST

START_TEST(test_unimplemented_bits_ignored)
{
    struct hv_soc *s = mk();
    /* CLKSEL_CON(54) implements 13:12, 9:8, 6:0. Bit 7 is not implemented. */
    wr(s, RK_BLK_CRU, CRU_CLKSEL54, 0x00800080);
    ck_assert_uint_eq(rd(s, RK_BLK_CRU, CRU_CLKSEL54), 0x2000); /* reset value kept */
    ck_assert_uint_eq(R.nev[HV_EV_GUEST_ERROR], 1);
    ck_assert_ptr_nonnull(strstr(R.last_text, "unimplemented bits 0x0080"));
    hv_soc_destroy(s);
}
END_TEST

START_TEST(test_frac_register_has_no_hiword)
{
    struct hv_soc *s = mk();
    /* The fractional divider is a plain 32-bit register: num 31:16, den 15:0. */
    wr(s, RK_BLK_CRU, CRU_CLKSEL55, 0x00030064);
    ck_assert_uint_eq(rd(s, RK_BLK_CRU, CRU_CLKSEL55), 0x00030064);
    ck_assert_uint_eq(R.nev[HV_EV_GUEST_ERROR], 0);
    hv_soc_destroy(s);
}
END_TEST

START_TEST(test_bad_accesses)
{
    struct hv_soc *s = mk();
    /* Narrow, misaligned: RAZ/WI with a guest error. */
    ck_assert_uint_eq(hv_soc_read(s, RK_BLK_CRU, &WHO, CRU_CLKGATE28, 2), 0);
    hv_soc_write(s, RK_BLK_CRU, &WHO, CRU_CLKGATE28 + 1, 4, 0xffffffff);
    ck_assert_uint_eq(R.nev[HV_EV_GUEST_ERROR], 2);
    ck_assert_uint_eq(rd(s, RK_BLK_CRU, CRU_CLKGATE28), 0);
    /* A real register hvsim does not model (CLKGATE_CON(0)): unimpl. */
    ck_assert_uint_eq(rd(s, RK_BLK_CRU, 0x300), 0);
    ck_assert_uint_eq(R.nev[HV_EV_UNIMPL], 1);
    /* A reserved offset: guest error. */
    wr(s, RK_BLK_CRU, 0x7000, 0xffffffff);
    ck_assert_uint_eq(R.nev[HV_EV_GUEST_ERROR], 3);
    ck_assert_ptr_nonnull(strstr(R.last_text, "reserved offset 0x7000"));
    /* Every access is visible. */
    ck_assert_uint_eq(R.nev[HV_EV_SOC_REG], 5);
    hv_soc_destroy(s);
}
END_TEST

/* ---- clocks ---------------------------------------------------------------------- */

START_TEST(test_reset_state_boot_rom)
{
    struct hv_soc *s = mk();
    for (unsigned d = RK_DEV_UART1; d <= RK_DEV_UART3; d++) {
        struct hv_soc_devstate st;
        hv_soc_devstate(s, (enum rk_dev)d, &st);
        ck_assert(st.pclk_on);
        ck_assert_uint_eq(st.fclk_hz, 24000000); /* sclk from xin24m */
        ck_assert(!st.in_reset);
        ck_assert(st.tx_muxed && st.rx_muxed);
    }
    struct hv_soc_devstate st;
    hv_soc_devstate(s, RK_DEV_I2C0, &st);
    ck_assert_uint_eq(st.fclk_hz, 50000000); /* ppll 200 MHz / (3 + 1) */
    ck_assert(st.pclk_on && !st.in_reset && st.tx_muxed);
    hv_soc_devstate(s, RK_DEV_TIMER0, &st);
    ck_assert_uint_eq(st.fclk_hz, 24000000);
    hv_soc_destroy(s);
}
END_TEST

START_TEST(test_divider_arithmetic)
{
    struct hv_soc *s = mk();
    struct hv_soc_devstate st;
    /* sclk_uart2 from clk_uart2_src (sel 0), src from cpll (1) / (41 + 1). */
    wr(s, RK_BLK_CRU, CRU_CLKSEL54, 0x337f0000u | (0u << 12) | (1u << 8) | 41u);
    hv_soc_devstate(s, RK_DEV_UART2, &st);
    ck_assert_uint_eq(st.fclk_hz, 1000000000ull / 42);
    /* gpll (0) / (98 + 1) = 12 MHz. */
    wr(s, RK_BLK_CRU, CRU_CLKSEL54, 0x037f0000u | 98u);
    hv_soc_devstate(s, RK_DEV_UART2, &st);
    ck_assert_uint_eq(st.fclk_hz, 12000000);
    /* usb480m (2) / (19 + 1) = 24 MHz. */
    wr(s, RK_BLK_CRU, CRU_CLKSEL54, 0x037f0000u | (2u << 8) | 19u);
    hv_soc_devstate(s, RK_DEV_UART2, &st);
    ck_assert_uint_eq(st.fclk_hz, 24000000);
    /* frac (sel 1): 24 MHz x 1 / 2. */
    wr(s, RK_BLK_CRU, CRU_CLKSEL55, 0x00010002);
    wr(s, RK_BLK_CRU, CRU_CLKSEL54, 0x30001000u);
    hv_soc_devstate(s, RK_DEV_UART2, &st);
    ck_assert_uint_eq(st.fclk_hz, 12000000);
    /* A fraction above 1 cannot be made: no clock, guest error. */
    unsigned ge = R.nev[HV_EV_GUEST_ERROR];
    wr(s, RK_BLK_CRU, CRU_CLKSEL55, 0x00030002);
    hv_soc_devstate(s, RK_DEV_UART2, &st);
    ck_assert_uint_eq(st.fclk_hz, 0);
    ck_assert_uint_eq(R.nev[HV_EV_GUEST_ERROR], ge + 1);
    /* Out-of-range selector 3: stored, no clock, guest error. */
    wr(s, RK_BLK_CRU, CRU_CLKSEL54, 0x30003000u);
    ck_assert_uint_eq(rd(s, RK_BLK_CRU, CRU_CLKSEL54) >> 12 & 3, 3);
    hv_soc_devstate(s, RK_DEV_UART2, &st);
    ck_assert_uint_eq(st.fclk_hz, 0);
    ck_assert_ptr_nonnull(strstr(R.last_text, "reserved selector"));
    /* I2C0: clk_pdpmu from gpll (PMU_CLKSEL_CON(2).15), div 98: 12 MHz. */
    wr(s, RK_BLK_CRU, 0x8108, 0x80008000u);
    wr(s, RK_BLK_CRU, PMUCRU_CLKSEL3, 0x007f0000u | 98u);
    hv_soc_devstate(s, RK_DEV_I2C0, &st);
    ck_assert_uint_eq(st.fclk_hz, 12000000);
    hv_soc_destroy(s);
}
END_TEST

START_TEST(test_gates)
{
    struct hv_soc *s = mk();
    struct hv_soc_devstate st;
    wr(s, RK_BLK_CRU, CRU_CLKGATE28, 0x00080008); /* sclk_uart2 off */
    hv_soc_devstate(s, RK_DEV_UART2, &st);
    ck_assert_uint_eq(st.fclk_hz, 0);
    ck_assert(st.pclk_on);
    ck_assert_uint_eq(R.changed[RK_DEV_UART2], 1);
    ck_assert_uint_eq(R.changed[RK_DEV_UART1] + R.changed[RK_DEV_UART3], 0);
    ck_assert_uint_eq(R.last_soc.devs, RK_DEV_BIT(RK_DEV_UART2));
    ck_assert_uint_eq(R.nev[HV_EV_DEV_STATE], 1);
    /* The src gate does not matter while sclk comes from xin24m... */
    wr(s, RK_BLK_CRU, CRU_CLKGATE28, 0x000a0002); /* sclk on, src off */
    hv_soc_devstate(s, RK_DEV_UART2, &st);
    ck_assert_uint_eq(st.fclk_hz, 24000000);
    /* ...but does once sclk comes from src. */
    wr(s, RK_BLK_CRU, CRU_CLKSEL54, 0x30000000u);
    hv_soc_devstate(s, RK_DEV_UART2, &st);
    ck_assert_uint_eq(st.fclk_hz, 0);
    /* pclk_uart2 off: registers stop answering. */
    wr(s, RK_BLK_CRU, CRU_CLKGATE28, 0x00010001);
    hv_soc_devstate(s, RK_DEV_UART2, &st);
    ck_assert(!st.pclk_on);
    /* I2C0 gate in the PMUCRU. */
    wr(s, RK_BLK_CRU, PMUCRU_GATE1, 0x00020002);
    hv_soc_devstate(s, RK_DEV_I2C0, &st);
    ck_assert_uint_eq(st.fclk_hz, 0);
    hv_soc_destroy(s);
}
END_TEST

START_TEST(test_resets)
{
    struct hv_soc *s = mk();
    struct hv_soc_devstate st;
    wr(s, RK_BLK_CRU, CRU_SOFTRST25, 0x00020002); /* S_UART2 */
    hv_soc_devstate(s, RK_DEV_UART2, &st);
    ck_assert(st.in_reset);
    ck_assert(!R.last_old.in_reset && R.last_now.in_reset);
    hv_soc_devstate(s, RK_DEV_UART3, &st);
    ck_assert(!st.in_reset);
    wr(s, RK_BLK_CRU, CRU_SOFTRST25, 0x00020000);
    hv_soc_devstate(s, RK_DEV_UART2, &st);
    ck_assert(!st.in_reset);
    ck_assert_uint_eq(R.changed[RK_DEV_UART2], 2);
    /* I2C0: PMU_SOFTRST_CON(0) bit 4 = SRST_I2C0 (PMU reset ID 4). */
    wr(s, RK_BLK_CRU, PMUCRU_RST0, 0x00100010);
    hv_soc_devstate(s, RK_DEV_I2C0, &st);
    ck_assert(st.in_reset);
    hv_soc_destroy(s);
}
END_TEST

/* ---- pins ------------------------------------------------------------------------- */

START_TEST(test_iomux)
{
    struct hv_soc *s = mk();
    struct hv_soc_devstate st;
    ck_assert_uint_eq(rd(s, RK_BLK_GRF, PMUGRF_GPIO0D_L), 0x0011);
    /* GPIO0_D1 to GPIO (function 0): UART2 TX leaves its pin. */
    wr(s, RK_BLK_GRF, PMUGRF_GPIO0D_L, 0x00700000);
    hv_soc_devstate(s, RK_DEV_UART2, &st);
    ck_assert(!st.tx_muxed);
    ck_assert(st.rx_muxed);
    ck_assert_uint_eq(hv_soc_health(s, RK_DEV_UART2)->mux_changes, 1);
    wr(s, RK_BLK_GRF, PMUGRF_GPIO0D_L, 0x00700010);
    hv_soc_devstate(s, RK_DEV_UART2, &st);
    ck_assert(st.tx_muxed);
    /* UART2_IO_SEL = M1: the M0 pins no longer carry UART2. */
    wr(s, RK_BLK_GRF, GRF_IOFUNC3, 0x0c000400);
    hv_soc_devstate(s, RK_DEV_UART2, &st);
    ck_assert(!st.tx_muxed && !st.rx_muxed);
    /* Reserved select value 3: guest error, stays disconnected. */
    wr(s, RK_BLK_GRF, GRF_IOFUNC3, 0x0c000c00);
    ck_assert_ptr_nonnull(strstr(R.last_text, "reserved selector"));
    ck_assert_uint_eq(hv_soc_health(s, RK_DEV_UART2)->mux_changes, 3);
    hv_soc_destroy(s);
}
END_TEST

/* ---- the serial line ---------------------------------------------------------------- */

static const struct hv_line_frame F8N1 = {8, false, false, false};

START_TEST(test_line_same_rate)
{
    struct hv_line_rate r = {115200, 1};
    for (unsigned b = 0; b < 256; b++) {
        uint8_t out;
        ck_assert_int_eq(hv_line_char((uint8_t)b, &F8N1, r, r, &out), HV_LINE_OK);
        ck_assert_uint_eq(out, b);
    }
}
END_TEST

START_TEST(test_line_tolerance)
{
    struct hv_line_rate rx = {115200, 1};
    uint8_t out;
    /* 9.5 r < 10 and 9.5 r >= 9: r in [0.9474, 1.0526). */
    struct hv_line_rate fast_ok = {115200 * 105, 100}, slow_ok = {115200 * 95, 100};
    struct hv_line_rate fast_bad = {115200 * 106, 100}, slow_bad = {115200 * 94, 100};
    ck_assert_int_eq(hv_line_char('U', &F8N1, fast_ok, rx, &out), HV_LINE_OK);
    ck_assert_int_eq(hv_line_char('U', &F8N1, slow_ok, rx, &out), HV_LINE_OK);
    /* Slow by 6%: sample 9 reads bit 8 = data bit 7 of 'A' (0x41) = 0. */
    ck_assert_int_eq(hv_line_char('A', &F8N1, slow_bad, rx, &out), HV_LINE_FRAMING);
    /* Fast by 6%: sample k reads bit floor((k + .5) 1.06); sample 8 reads
     * bit 9 (stop, 1) instead of data bit 7: 'A' (0x41) arrives as 0xC1. */
    ck_assert_int_eq(hv_line_char('A', &F8N1, fast_bad, rx, &out), HV_LINE_GARBLED);
    ck_assert_uint_eq(out, 0xC1);
}
END_TEST

START_TEST(test_line_double_rate)
{
    /* The transmitter runs twice as fast: sample k reads bit 2k + 1 (k >= 1
     * reads data bits 2, 4, 6 then stop/idle); sample 0 reads bit 1 = data
     * bit 0. 'B' = 0x42: bit 0 is 0, so the start is seen; samples 1..8 read
     * bits 3, 5, 7, 9, 11, ... = data 2, 4, 6, stop, idle... */
    struct hv_line_rate rx = {115200, 1}, tx = {230400, 1};
    uint8_t out;
    ck_assert_int_eq(hv_line_char('B', &F8N1, tx, rx, &out), HV_LINE_GARBLED);
    /* data bits 2, 4, 6 of 0x42 = 0, 0, 1; then five 1s: 0b11111100. */
    ck_assert_uint_eq(out, 0xFC);
    /* 'A' = 0x41: data bit 0 = 1, the start sample reads 1: no character. */
    ck_assert_int_eq(hv_line_char('A', &F8N1, tx, rx, &out), HV_LINE_NOSTART);
}
END_TEST

START_TEST(test_pl011_rate)
{
    /* TRM 3.3.6 example: 24 MHz, 115200 -> IBRD 13, FBRD 1 (BAUDDIV 13.02). */
    struct hv_line_rate r = hv_line_pl011_rate(24000000, 13, 1);
    ck_assert_uint_eq(r.num, 96000000);
    ck_assert_uint_eq(r.den, 833);
    /* 96e6 / 833 = 115246 bps: within tolerance of 115200. */
    uint8_t out;
    struct hv_line_rate rx = {115200, 1};
    ck_assert_int_eq(hv_line_char('x', &F8N1, r, rx, &out), HV_LINE_OK);
    ck_assert_uint_eq(hv_line_pl011_rate(24000000, 0, 5).den, 0);
    struct hv_line_frame f = hv_line_pl011_frame(0x70); /* WLEN 8, FEN */
    ck_assert_uint_eq(f.data_bits, 8);
    ck_assert(!f.parity);
    f = hv_line_pl011_frame(0x06); /* WLEN 5, PEN, EPS */
    ck_assert_uint_eq(f.data_bits, 5);
    ck_assert(f.parity && f.even);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("soc");
    TCase *t = tcase_create("hiword");
    tcase_add_test(t, test_hiword_only_enabled_bits);
    tcase_add_test(t, test_hiword_no_mask_is_ignored_and_reported);
    tcase_add_test(t, test_unimplemented_bits_ignored);
    tcase_add_test(t, test_frac_register_has_no_hiword);
    tcase_add_test(t, test_bad_accesses);
    suite_add_tcase(s, t);
    t = tcase_create("clocks");
    tcase_add_test(t, test_reset_state_boot_rom);
    tcase_add_test(t, test_divider_arithmetic);
    tcase_add_test(t, test_gates);
    tcase_add_test(t, test_resets);
    tcase_add_test(t, test_iomux);
    suite_add_tcase(s, t);
    t = tcase_create("line");
    tcase_add_test(t, test_line_same_rate);
    tcase_add_test(t, test_line_tolerance);
    tcase_add_test(t, test_line_double_rate);
    tcase_add_test(t, test_pl011_rate);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return hv_check_run(suite());
}
