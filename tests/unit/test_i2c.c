/* Unit tests for sim/soc/i2c: hvsim's I2C controller (register model in
 * docs/soc.md) and its 24C02 EEPROM, with a hand-driven virtual clock. Bus
 * timing is the I2C-bus specification's 9 SCL periods per byte; the EEPROM
 * behaviour is a 24C02 datasheet's (256 bytes, 8-byte page write, 400 kHz). */
#include <check.h>

#include "check_run.h"
#include <stdio.h>
#include <string.h>

#include "soc/i2c.h"

enum { CTRL = 0x00, CMD = 0x04, SADDR = 0x08, LEN = 0x0c, STATUS = 0x10, CLKDIV = 0x14 };
enum { TX0 = 0x20, TX1 = 0x24, RX0 = 0x30, RX1 = 0x34 };
#define BUSY 1u
#define DONE 2u
#define NACK 4u
#define ERR  8u

/* A one-slot virtual clock. */
static struct {
    uint64_t now, when;
    hv_clock_cb cb;
    void *ctx;
    uint64_t id;
} vt;

static uint64_t vt_now(void *c)
{
    (void)c;
    return vt.now;
}

static uint64_t vt_sched(void *c, uint64_t when, hv_clock_cb cb, void *ctx)
{
    (void)c;
    vt.when = when;
    vt.cb = cb;
    vt.ctx = ctx;
    return ++vt.id;
}

static void vt_cancel(void *c, uint64_t id)
{
    (void)c;
    if (id == vt.id)
        vt.cb = NULL;
}

/* Advance to t, running the completion if it is due. */
static void advance(uint64_t t)
{
    vt.now = t;
    if (vt.cb && vt.when <= t) {
        hv_clock_cb cb = vt.cb;
        vt.cb = NULL;
        cb(vt.ctx, t);
    }
}

static struct {
    bool irq;
    unsigned nirq, ok, bad, guest_errors;
} R;

static void on_irq(void *c, bool level)
{
    (void)c;
    R.irq = level;
    R.nirq++;
}

static void on_done(void *c, bool ok)
{
    (void)c;
    if (ok)
        R.ok++;
    else
        R.bad++;
}

static void on_event(void *c, const struct hv_event *ev)
{
    (void)c;
    if (ev->type == HV_EV_GUEST_ERROR)
        R.guest_errors++;
}

static struct hv_obs OBS;
static struct hv_i2c *I;

static void setup(void)
{
    struct hv_clock clk = {.now = vt_now, .schedule = vt_sched, .cancel = vt_cancel};
    struct hv_i2c_io io = {.irq = on_irq, .done = on_done};
    memset(&vt, 0, sizeof(vt));
    memset(&R, 0, sizeof(R));
    hv_obs_init(&OBS);
    hv_obs_subscribe(&OBS, HV_EV_ALL, on_event, NULL);
    I = hv_i2c_create("i2c0", &io, &OBS, &clk);
    ck_assert_ptr_nonnull(I);
    hv_i2c_set_env(I, 50000000, true); /* clk_i2c0 50 MHz, pins routed */
}

static void teardown(void)
{
    hv_i2c_destroy(I);
}

static uint32_t rd(uint32_t off)
{
    return (uint32_t)hv_i2c_read(I, off, 4);
}

static void wr(uint32_t off, uint32_t v)
{
    hv_i2c_write(I, off, 4, v);
}

/* 100 kHz: 50 MHz / (2 x 250). */
static void start(unsigned addr, unsigned wlen, unsigned rlen, uint32_t tx0, uint32_t tx1)
{
    wr(CLKDIV, 249);
    wr(CTRL, 1);
    wr(SADDR, addr);
    wr(TX0, tx0);
    wr(TX1, tx1);
    wr(LEN, wlen | rlen << 8);
    wr(CMD, 1);
}

START_TEST(test_reset_values_and_masks)
{
    for (uint32_t off = 0; off <= 0x34; off += 4)
        if (off != 0x18 && off != 0x1c && off != 0x28 && off != 0x2c)
            ck_assert_uint_eq(rd(off), 0);
    wr(CTRL, 0xffffffff);
    ck_assert_uint_eq(rd(CTRL), 3);
    wr(SADDR, 0xffffffff);
    ck_assert_uint_eq(rd(SADDR), 0x7f);
    wr(LEN, 0xffffffff);
    ck_assert_uint_eq(rd(LEN), 0xf0f);
    wr(CLKDIV, 0xffffffff);
    ck_assert_uint_eq(rd(CLKDIV), 0xffff);
    ck_assert_uint_eq(R.guest_errors, 0);
}
END_TEST

START_TEST(test_write_then_read_timing)
{
    /* Write word address 0x10 and 3 data bytes: 5 bytes x 9 + START + STOP
     * = 47 SCL periods of 10 us = 470 us. */
    start(0x50, 4, 0, 0x33221110u, 0);
    ck_assert_uint_eq(rd(STATUS), BUSY);
    advance(469999);
    ck_assert_uint_eq(rd(STATUS), BUSY);
    advance(470000);
    ck_assert_uint_eq(rd(STATUS), DONE);
    ck_assert_uint_eq(R.ok, 1);
    ck_assert_uint_eq(hv_i2c_eeprom_byte(I, 0x10), 0x11);
    ck_assert_uint_eq(hv_i2c_eeprom_byte(I, 0x12), 0x33);
    ck_assert_uint_eq(hv_i2c_eeprom_byte(I, 0x13), 0x13 ^ 0xA5);
    /* Random read: address+W, word address, repeated START, address+R, 4
     * data bytes: 7 x 9 + 3 = 66 periods. */
    wr(STATUS, DONE);
    vt.now = 1000000;
    start(0x50, 1, 4, 0x10, 0);
    advance(1000000 + 659999);
    ck_assert_uint_eq(rd(STATUS), BUSY);
    advance(1000000 + 660000);
    ck_assert_uint_eq(rd(STATUS), DONE);
    ck_assert_uint_eq(rd(RX0), ((0x13 ^ 0xA5u) << 24) | 0x332211u);
}
END_TEST

START_TEST(test_page_wrap_and_sequential_read)
{
    /* A page write starting at 0x06 wraps within the page 0x00-0x07. */
    start(0x50, 5, 0, 0x03020106u, 0x04);
    advance(1000000);
    ck_assert_uint_eq(hv_i2c_eeprom_byte(I, 0x06), 0x01);
    ck_assert_uint_eq(hv_i2c_eeprom_byte(I, 0x07), 0x02);
    ck_assert_uint_eq(hv_i2c_eeprom_byte(I, 0x00), 0x03);
    ck_assert_uint_eq(hv_i2c_eeprom_byte(I, 0x01), 0x04);
    ck_assert_uint_eq(hv_i2c_eeprom_byte(I, 0x08), 0x08 ^ 0xA5);
    /* Sequential read from 0xFE wraps to 0x00. */
    start(0x50, 1, 3, 0xfe, 0);
    advance(2000000);
    ck_assert_uint_eq(rd(RX0), 0x03u << 16 | (0xff ^ 0xA5) << 8 | (0xfe ^ 0xA5));
}
END_TEST

START_TEST(test_nack_cases)
{
    start(0x51, 1, 1, 0, 0); /* nobody at 0x51 */
    advance(1000000);
    ck_assert_uint_eq(rd(STATUS), DONE | NACK);
    hv_i2c_set_env(I, 50000000, false); /* pins elsewhere: lines float high */
    start(0x50, 1, 1, 0, 0);
    advance(2000000);
    ck_assert_uint_eq(rd(STATUS), DONE | NACK);
    hv_i2c_set_env(I, 50000000, true);
    /* CLKDIV 61: 50 MHz / 124 = 403 kHz, above the 24C02's 400 kHz. */
    start(0x50, 1, 1, 0, 0);
    wr(CLKDIV, 61);
    advance(3000000);
    ck_assert_uint_eq(rd(STATUS), DONE | NACK);
    ck_assert_uint_eq(R.bad, 3);
    /* CLKDIV 62: 396.8 kHz is fine. */
    wr(CLKDIV, 62);
    wr(LEN, 0x101);
    wr(CMD, 1);
    advance(4000000);
    ck_assert_uint_eq(rd(STATUS), DONE);
}
END_TEST

START_TEST(test_clock_stops_and_resumes)
{
    start(0x50, 1, 0, 0x10, 0); /* 2 x 9 + 2 = 20 periods = 200 us */
    advance(50000);
    hv_i2c_set_env(I, 0, true); /* gated after a quarter */
    advance(10000000);
    ck_assert_uint_eq(rd(STATUS), BUSY);
    hv_i2c_set_env(I, 50000000, true);
    /* The remaining 150 us run from the clock's return. */
    advance(10000000 + 149999);
    ck_assert_uint_eq(rd(STATUS), BUSY);
    advance(10000000 + 150000);
    ck_assert_uint_eq(rd(STATUS), DONE);
    /* A faster clock mid-transfer shortens the rest: 100 us at 50 MHz left,
     * then 100 MHz -> 50 us. */
    wr(STATUS, DONE);
    vt.now = 20000000;
    start(0x50, 1, 0, 0x10, 0);
    advance(20000000 + 100000);
    hv_i2c_set_env(I, 100000000, true);
    advance(20000000 + 149999);
    ck_assert_uint_eq(rd(STATUS), BUSY);
    advance(20000000 + 150000);
    ck_assert_uint_eq(rd(STATUS), DONE);
}
END_TEST

START_TEST(test_reset_abandons)
{
    start(0x50, 1, 0, 0x10, 0);
    hv_i2c_reset(I);
    ck_assert_ptr_null(vt.cb);
    for (uint32_t off = 0; off <= 0x14; off += 4)
        ck_assert_uint_eq(rd(off), 0);
    advance(10000000);
    ck_assert_uint_eq(rd(STATUS), 0);
    ck_assert_uint_eq(R.ok + R.bad, 0);
    /* The EEPROM is another chip: its contents stay. */
    ck_assert_uint_eq(hv_i2c_eeprom_byte(I, 0x10), 0x10 ^ 0xA5);
}
END_TEST

START_TEST(test_errors_and_irq)
{
    wr(CMD, 1); /* EN clear */
    ck_assert_uint_eq(rd(STATUS), ERR);
    ck_assert_uint_eq(R.guest_errors, 1);
    wr(STATUS, ERR);
    ck_assert_uint_eq(rd(STATUS), 0);
    wr(CTRL, 3); /* EN, IEN */
    wr(CLKDIV, 249);
    wr(SADDR, 0x50);
    wr(LEN, 0x009); /* 9 bytes to write: too many */
    wr(CMD, 1);
    ck_assert_uint_eq(rd(STATUS), ERR);
    wr(LEN, 0x001);
    wr(CMD, 1);
    wr(CMD, 1); /* while BUSY */
    ck_assert_uint_eq(rd(STATUS), BUSY | ERR);
    ck_assert(!R.irq);
    advance(1000000);
    ck_assert(R.irq); /* DONE with IEN */
    wr(STATUS, DONE | ERR);
    ck_assert(!R.irq);
    ck_assert_uint_eq(R.nirq, 2);
    /* Bad accesses. */
    unsigned ge = R.guest_errors;
    ck_assert_uint_eq(hv_i2c_read(I, STATUS, 2), 0);
    hv_i2c_write(I, CTRL, 1, 0);
    wr(RX0, 1);
    ck_assert_uint_eq(rd(0x100), 0);
    ck_assert_uint_eq(R.guest_errors, ge + 4);
    ck_assert_uint_eq(rd(CTRL), 3);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("i2c");
    TCase *t = tcase_create("i2c");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_reset_values_and_masks);
    tcase_add_test(t, test_write_then_read_timing);
    tcase_add_test(t, test_page_wrap_and_sequential_read);
    tcase_add_test(t, test_nack_cases);
    tcase_add_test(t, test_clock_stops_and_resumes);
    tcase_add_test(t, test_reset_abandons);
    tcase_add_test(t, test_errors_and_irq);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return hv_check_run(suite());
}
