/* hvsim: the simple I2C controller and its 24C02 EEPROM. See i2c.h. */
#include "i2c.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define R_CTRL    0x00u
#define R_CMD     0x04u
#define R_SADDR   0x08u
#define R_LEN     0x0Cu
#define R_STATUS  0x10u
#define R_CLKDIV  0x14u
#define R_TXDATA0 0x20u
#define R_TXDATA1 0x24u
#define R_RXDATA0 0x30u
#define R_RXDATA1 0x34u

#define CTRL_EN  (1u << 0)
#define CTRL_IEN (1u << 1)
#define ST_BUSY  (1u << 0)
#define ST_DONE  (1u << 1)
#define ST_NACK  (1u << 2)
#define ST_ERR   (1u << 3)

#define EEPROM_PAGE 8u

struct hv_i2c {
    char name[32];
    struct hv_i2c_io io;
    struct hv_obs *obs;
    struct hv_clock clk;
    bool has_clk;

    uint32_t ctrl, saddr, len, status, clkdiv;
    uint8_t tx[8], rx[8];
    bool irq_level;

    /* The transfer in flight, in functional-clock cycles. */
    uint64_t cycles_left;
    uint64_t seg_start_ns; /* when the current stretch of cycles started */
    uint64_t event;        /* the scheduled completion, 0 if none */

    uint64_t fclk_hz;
    bool pins;

    uint8_t eeprom[HV_I2C_EEPROM_SIZE];
    uint8_t ptr; /* the EEPROM's address counter */
};

static void report(struct hv_i2c *c, enum hv_ev_type t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(struct hv_i2c *c, enum hv_ev_type t, const char *fmt, ...)
{
    char buf[200];
    va_list ap;
    if (!hv_obs_wants(c->obs, t))
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    hv_obs_text(c->obs, t, 0, 0, "%s: %s", c->name, buf);
}

static void emit_mmio(struct hv_i2c *c, uint64_t off, unsigned size, uint64_t v, bool w)
{
    struct hv_event ev;
    if (!hv_obs_wants(c->obs, HV_EV_MMIO))
        return;
    memset(&ev, 0, sizeof(ev));
    ev.type = HV_EV_MMIO;
    ev.u.mmio.pa = off;
    ev.u.mmio.value = v;
    ev.u.mmio.device = c->name;
    ev.u.mmio.size = size > 255 ? 255 : (uint8_t)size;
    ev.u.mmio.is_write = w;
    hv_obs_emit(c->obs, &ev);
}

static void update_irq(struct hv_i2c *c)
{
    bool level = (c->ctrl & CTRL_IEN) && (c->status & ST_DONE);
    if (level == c->irq_level)
        return;
    c->irq_level = level;
    if (c->io.irq)
        c->io.irq(c->io.ctx, level);
}

static uint64_t now_ns(const struct hv_i2c *c)
{
    return c->has_clk ? c->clk.now(c->clk.ctx) : 0;
}

static void cancel(struct hv_i2c *c)
{
    if (c->event && c->has_clk)
        c->clk.cancel(c->clk.ctx, c->event);
    c->event = 0;
}

/* ---- the bus and the EEPROM ------------------------------------------------- */

static uint64_t scl_hz(const struct hv_i2c *c)
{
    return c->fclk_hz / (2ull * ((c->clkdiv & 0xffff) + 1));
}

/* The transaction itself, at its end. Returns true if every byte was
 * acknowledged. */
static bool run_transaction(struct hv_i2c *c)
{
    unsigned wlen = c->len & 0xf, rlen = (c->len >> 8) & 0xf;

    /* Lines not routed to us float high: the address byte's ACK bit reads
     * 1 (UM10204 3.1.6). A target clocked beyond its maximum SCL does not
     * see a valid address either. */
    if (!c->pins || scl_hz(c) > HV_I2C_MAX_SCL_HZ || (c->saddr & 0x7f) != HV_I2C_EEPROM_ADDR)
        return false;
    if (wlen > 0) {
        /* 24C02 byte/page write: the first byte is the word address; the
         * following ones are written at it, the low 3 bits wrapping within
         * the 8-byte page. */
        c->ptr = c->tx[0];
        for (unsigned i = 1; i < wlen; i++) {
            c->eeprom[c->ptr] = c->tx[i];
            c->ptr = (uint8_t)((c->ptr & ~(EEPROM_PAGE - 1)) | ((c->ptr + 1) & (EEPROM_PAGE - 1)));
        }
    }
    /* Sequential read from the address counter, wrapping at the end. */
    for (unsigned i = 0; i < rlen; i++)
        c->rx[i] = c->eeprom[c->ptr++];
    return true;
}

static void complete(struct hv_i2c *c)
{
    bool ok = run_transaction(c);
    c->status &= ~ST_BUSY;
    c->status |= ST_DONE | (ok ? 0 : ST_NACK);
    c->cycles_left = 0;
    if (c->io.done)
        c->io.done(c->io.ctx, ok);
    update_irq(c);
}

static void on_event(void *ctx, uint64_t now)
{
    struct hv_i2c *c = ctx;
    (void)now;
    c->event = 0;
    complete(c);
}

/* (Re)schedule the rest of the transfer at the current clock. With no
 * clock the state machine waits. */
static void schedule(struct hv_i2c *c)
{
    cancel(c);
    c->seg_start_ns = now_ns(c);
    if (!(c->status & ST_BUSY) || c->fclk_hz == 0)
        return;
    if (!c->has_clk) {
        complete(c);
        return;
    }
    uint64_t ns =
        (uint64_t)(((unsigned __int128)c->cycles_left * 1000000000u + c->fclk_hz - 1) / c->fclk_hz);
    c->event = c->clk.schedule(c->clk.ctx, c->seg_start_ns + ns, on_event, c);
}

/* Cycles run since the current stretch started, at the old clock. */
static void settle(struct hv_i2c *c)
{
    if (!(c->status & ST_BUSY) || c->fclk_hz == 0)
        return;
    uint64_t dt = now_ns(c) - c->seg_start_ns;
    uint64_t done = (uint64_t)((unsigned __int128)dt * c->fclk_hz / 1000000000u);
    c->cycles_left = done >= c->cycles_left ? 1 : c->cycles_left - done;
}

void hv_i2c_set_env(struct hv_i2c *c, uint64_t fclk_hz, bool pins)
{
    settle(c);
    c->fclk_hz = fclk_hz;
    c->pins = pins;
    if (c->status & ST_BUSY)
        schedule(c);
}

static void start(struct hv_i2c *c)
{
    unsigned wlen = c->len & 0xf, rlen = (c->len >> 8) & 0xf;

    if (!(c->ctrl & CTRL_EN) || (c->status & ST_BUSY) || wlen > 8 || rlen > 8) {
        report(c, HV_EV_GUEST_ERROR,
               "START refused (CTRL=0x%" PRIx32 " STATUS=0x%" PRIx32 " LEN=0x%" PRIx32
               "): needs EN, not BUSY, lengths 0..8; STATUS.ERR set",
               c->ctrl, c->status, c->len);
        c->status |= ST_ERR;
        return;
    }
    /* Bytes on the bus: address+W (+ data), then address+R (+ data) after
     * a repeated START; 9 SCL periods each, plus START and STOP. */
    unsigned bytes = 1 + wlen + (rlen ? 1 + rlen : 0);
    unsigned periods = 9 * bytes + 2 + (rlen ? 1 : 0);
    c->status = (c->status & ~(ST_DONE | ST_NACK | ST_ERR)) | ST_BUSY;
    memset(c->rx, 0, sizeof(c->rx));
    c->cycles_left = (uint64_t)periods * 2 * ((c->clkdiv & 0xffff) + 1);
    update_irq(c);
    schedule(c);
}

/* ---- registers ------------------------------------------------------------------ */

static uint32_t get4(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void put4(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

uint64_t hv_i2c_read(void *opaque, uint64_t off, unsigned size)
{
    struct hv_i2c *c = opaque;
    uint32_t v = 0;

    if (size != 4 || (off & 3)) {
        report(c, HV_EV_GUEST_ERROR, "%u-byte read at 0x%" PRIx64 ": registers are 32-bit", size,
               off);
    } else {
        switch (off) {
        case R_CTRL:
            v = c->ctrl;
            break;
        case R_CMD:
            v = 0;
            break;
        case R_SADDR:
            v = c->saddr;
            break;
        case R_LEN:
            v = c->len;
            break;
        case R_STATUS:
            v = c->status;
            break;
        case R_CLKDIV:
            v = c->clkdiv;
            break;
        case R_TXDATA0:
        case R_TXDATA1:
            v = get4(&c->tx[off - R_TXDATA0]);
            break;
        case R_RXDATA0:
        case R_RXDATA1:
            v = get4(&c->rx[off - R_RXDATA0]);
            break;
        default:
            report(c, HV_EV_GUEST_ERROR, "read of reserved offset 0x%" PRIx64 " (RAZ)", off);
        }
    }
    emit_mmio(c, off, size, v, false);
    return v;
}

void hv_i2c_write(void *opaque, uint64_t off, unsigned size, uint64_t value)
{
    struct hv_i2c *c = opaque;
    uint32_t v = (uint32_t)value;

    emit_mmio(c, off, size, value, true);
    if (size != 4 || (off & 3)) {
        report(c, HV_EV_GUEST_ERROR, "%u-byte write at 0x%" PRIx64 ": registers are 32-bit", size,
               off);
        return;
    }
    switch (off) {
    case R_CTRL:
        c->ctrl = v & (CTRL_EN | CTRL_IEN);
        update_irq(c);
        break;
    case R_CMD:
        if (v & 1)
            start(c);
        break;
    case R_SADDR:
        c->saddr = v & 0x7f;
        break;
    case R_LEN:
        c->len = v & 0xf0f;
        break;
    case R_STATUS:
        c->status &= ~(v & (ST_DONE | ST_NACK | ST_ERR));
        update_irq(c);
        break;
    case R_CLKDIV:
        c->clkdiv = v & 0xffff;
        break;
    case R_TXDATA0:
    case R_TXDATA1:
        put4(&c->tx[off - R_TXDATA0], v);
        break;
    case R_RXDATA0:
    case R_RXDATA1:
        report(c, HV_EV_GUEST_ERROR, "write to read-only RXDATA at 0x%" PRIx64 " (ignored)", off);
        break;
    default:
        report(c, HV_EV_GUEST_ERROR, "write to reserved offset 0x%" PRIx64 " (ignored)", off);
    }
}

/* ---- the device ------------------------------------------------------------------ */

struct hv_i2c *hv_i2c_create(const char *name, const struct hv_i2c_io *io, struct hv_obs *obs,
                             const struct hv_clock *clk)
{
    struct hv_i2c *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    snprintf(c->name, sizeof(c->name), "%s", name ? name : "i2c");
    if (io)
        c->io = *io;
    c->obs = obs;
    if (clk) {
        c->clk = *clk;
        c->has_clk = true;
    }
    for (unsigned i = 0; i < HV_I2C_EEPROM_SIZE; i++)
        c->eeprom[i] = (uint8_t)(i ^ 0xA5);
    c->pins = true;
    hv_i2c_reset(c);
    return c;
}

void hv_i2c_destroy(struct hv_i2c *c)
{
    if (!c)
        return;
    cancel(c);
    free(c);
}

/* Every register to 0 (CLKDIV included), the transfer abandoned. The
 * EEPROM is another chip: its contents and address counter stay. */
void hv_i2c_reset(struct hv_i2c *c)
{
    cancel(c);
    c->ctrl = c->saddr = c->len = c->status = c->clkdiv = 0;
    memset(c->tx, 0, sizeof(c->tx));
    memset(c->rx, 0, sizeof(c->rx));
    c->cycles_left = 0;
    update_irq(c);
}

uint8_t hv_i2c_eeprom_byte(const struct hv_i2c *c, unsigned addr)
{
    return c->eeprom[addr % HV_I2C_EEPROM_SIZE];
}
