/* hvsim: the machine's SoC side. See machine_soc.h and docs/soc.md. */
#include "machine_soc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../soc/i2c.h"
#include "../soc/soc.h"
#include "../soc/uart_line.h"

struct link {
    struct hv_msoc *s;
    enum rk_dev dev;
    const struct hv_plat_dev *pd;
    struct hv_pl011 *pl; /* UARTs */
    bool used;
};

struct hv_msoc {
    struct hv_msoc_env env;
    struct hv_clock clock;
    struct hv_soc *soc;
    struct hv_i2c *i2c;
    const struct hv_plat_dev *cru, *grf, *i2c_pd;
    struct link link[RK_DEV__COUNT];
    int port_dev[16]; /* UART port -> enum rk_dev, or -1 */
};

static struct hv_soc_who who(struct hv_msoc *s)
{
    struct hv_soc_who w = {0, (uint8_t)hv_cpu_el(s->env.cpu), hv_cpu_access_pc(s->env.cpu)};
    return w;
}

/* ---- the CRU and GRF windows -------------------------------------------------- */

static uint64_t cru_read(void *ctx, uint64_t off, unsigned size)
{
    struct hv_msoc *s = ctx;
    struct hv_soc_who w = who(s);
    return hv_soc_read(s->soc, RK_BLK_CRU, &w, off, size);
}

static void cru_write(void *ctx, uint64_t off, unsigned size, uint64_t v)
{
    struct hv_msoc *s = ctx;
    struct hv_soc_who w = who(s);
    hv_soc_write(s->soc, RK_BLK_CRU, &w, off, size, v);
}

static uint64_t grf_read(void *ctx, uint64_t off, unsigned size)
{
    struct hv_msoc *s = ctx;
    struct hv_soc_who w = who(s);
    return hv_soc_read(s->soc, RK_BLK_GRF, &w, off, size);
}

static void grf_write(void *ctx, uint64_t off, unsigned size, uint64_t v)
{
    struct hv_msoc *s = ctx;
    struct hv_soc_who w = who(s);
    hv_soc_write(s->soc, RK_BLK_GRF, &w, off, size, v);
}

/* ---- gated device accesses ------------------------------------------------------- */

/* On silicon an APB access to a block whose pclk is gated never completes
 * (the bus hangs); hvsim answers RAZ/WI and reports it. A block held in
 * reset keeps its reset values: reads see them, writes are lost. */
static bool access_ok(struct link *l, uint64_t off, bool is_write)
{
    struct hv_msoc *s = l->s;
    struct hv_soc_devstate st;
    hv_soc_devstate(s->soc, l->dev, &st);
    if (!st.pclk_on) {
        hv_obs_text(s->env.obs, HV_EV_GUEST_ERROR, (uint8_t)hv_cpu_el(s->env.cpu),
                    hv_cpu_access_pc(s->env.cpu),
                    "%s: %s at offset 0x%" PRIx64
                    " with its bus clock gated in the CRU (silicon would stall the bus): RAZ/WI",
                    l->pd->name, is_write ? "write" : "read", off);
        return false;
    }
    if (is_write && st.in_reset) {
        hv_obs_text(s->env.obs, HV_EV_GUEST_ERROR, (uint8_t)hv_cpu_el(s->env.cpu),
                    hv_cpu_access_pc(s->env.cpu),
                    "%s: write at offset 0x%" PRIx64
                    " while the device is held in reset by the CRU: ignored",
                    l->pd->name, off);
        return false;
    }
    return true;
}

static uint64_t uart_read(void *ctx, uint64_t off, unsigned size)
{
    struct link *l = ctx;
    return access_ok(l, off, false) ? hv_pl011_read(l->pl, off, size) : 0;
}

static void uart_write(void *ctx, uint64_t off, unsigned size, uint64_t v)
{
    struct link *l = ctx;
    if (access_ok(l, off, true))
        hv_pl011_write(l->pl, off, size, v);
}

static uint64_t i2c_read(void *ctx, uint64_t off, unsigned size)
{
    struct link *l = ctx;
    return access_ok(l, off, false) ? hv_i2c_read(l->s->i2c, off, size) : 0;
}

static void i2c_write(void *ctx, uint64_t off, unsigned size, uint64_t v)
{
    struct link *l = ctx;
    if (access_ok(l, off, true))
        hv_i2c_write(l->s->i2c, off, size, v);
}

/* ---- effects of CRU/GRF changes ---------------------------------------------------- */

static void dev_changed(void *ctx, enum rk_dev d, const struct hv_soc_devstate *old,
                        const struct hv_soc_devstate *now)
{
    struct hv_msoc *s = ctx;
    struct link *l = &s->link[d];
    if (!l->used)
        return;
    /* Entering reset clears the device's registers (its reset values). */
    if (!old->in_reset && now->in_reset) {
        if (l->pl)
            hv_pl011_reset(l->pl);
        else if (d == RK_DEV_I2C0 && s->i2c)
            hv_i2c_reset(s->i2c);
    }
    if (d == RK_DEV_I2C0 && s->i2c)
        hv_i2c_set_env(s->i2c, now->in_reset ? 0 : now->fclk_hz, now->tx_muxed);
    /* A UART without sclk holds what is written in its TX FIFO. */
    if (l->pl)
        hv_pl011_set_uartclk(l->pl, now->fclk_hz != 0);
}

static void i2c_irq(void *ctx, bool level)
{
    struct hv_msoc *s = ctx;
    if (s->env.gic && s->i2c_pd && s->i2c_pd->irq >= 0)
        hv_gic_set_spi(s->env.gic, (unsigned)s->i2c_pd->irq, level);
}

static void i2c_done(void *ctx, bool ok)
{
    struct hv_msoc *s = ctx;
    struct hv_soc_health *h = hv_soc_health(s->soc, RK_DEV_I2C0);
    if (ok)
        h->i2c_ok++;
    else
        h->i2c_failed++;
}

/* ---- setup --------------------------------------------------------------------------- */

int hv_msoc_create(struct hv_msoc **out, const struct hv_msoc_env *env, struct hv_err *err)
{
    const struct hv_plat_dev *cru = hv_platform_find(env->plat, HV_DEV_CRU, 0);
    const struct hv_plat_dev *grf = hv_platform_find(env->plat, HV_DEV_SYSCON, 0);

    *out = NULL;
    if (!cru || !grf)
        return 0;
    struct hv_msoc *s = calloc(1, sizeof(*s));
    if (!s)
        return hv_err_set(err, "out of memory");
    s->env = *env;
    s->clock = *env->clock;
    s->cru = cru;
    s->grf = grf;
    for (unsigned i = 0; i < 16; i++)
        s->port_dev[i] = -1;
    struct hv_soc_io io = {.ctx = s, .dev_changed = dev_changed};
    s->soc = hv_soc_create(&io, env->obs, &s->clock);
    if (!s->soc) {
        free(s);
        return hv_err_set(err, "out of memory");
    }
    for (unsigned d = 0; d < RK_DEV__COUNT; d++) {
        s->link[d].s = s;
        s->link[d].dev = (enum rk_dev)d;
    }
    if (hv_cpu_map_mmio(env->cpu, cru->base, cru->size, cru_read, cru_write, s, err) ||
        hv_cpu_map_mmio(env->cpu, grf->base, grf->size, grf_read, grf_write, s, err)) {
        hv_msoc_destroy(s);
        return -1;
    }
    for (unsigned n = 0;; n++) {
        const struct hv_plat_dev *pd = hv_platform_find(env->plat, HV_DEV_I2C, n);
        if (!pd)
            break;
        if (hv_platform_soc_dev(env->plat, pd) != RK_DEV_I2C0)
            continue;
        struct hv_i2c_io iio = {.ctx = s, .irq = i2c_irq, .done = i2c_done};
        s->i2c = hv_i2c_create(pd->name, &iio, env->obs, &s->clock);
        if (!s->i2c) {
            hv_msoc_destroy(s);
            return hv_err_set(err, "out of memory");
        }
        s->i2c_pd = pd;
        struct link *l = &s->link[RK_DEV_I2C0];
        l->used = true;
        l->pd = pd;
        struct hv_soc_devstate st;
        hv_soc_devstate(s->soc, RK_DEV_I2C0, &st);
        hv_i2c_set_env(s->i2c, st.fclk_hz, st.tx_muxed);
        if (hv_cpu_map_mmio(env->cpu, pd->base, pd->size, i2c_read, i2c_write, l, err)) {
            hv_msoc_destroy(s);
            return -1;
        }
    }
    *out = s;
    return 0;
}

void hv_msoc_destroy(struct hv_msoc *s)
{
    if (!s)
        return;
    hv_i2c_destroy(s->i2c);
    hv_soc_destroy(s->soc);
    free(s);
}

bool hv_msoc_maps(const struct hv_msoc *s, const struct hv_plat_dev *pd)
{
    return s && (pd == s->cru || pd == s->grf || pd == s->i2c_pd);
}

void hv_msoc_attach_uart(struct hv_msoc *s, unsigned port, const struct hv_plat_dev *pd,
                         struct hv_pl011 *pl, hv_mmio_read_fn *rd, hv_mmio_write_fn *wr, void **ctx)
{
    if (!s || port >= 16)
        return;
    int d = hv_platform_soc_dev(s->env.plat, pd);
    if (d < RK_DEV_UART1 || d > RK_DEV_UART3)
        return;
    struct link *l = &s->link[d];
    l->used = true;
    l->pd = pd;
    l->pl = pl;
    s->port_dev[port] = d;
    *rd = uart_read;
    *wr = uart_write;
    *ctx = l;
    /* The boot ROM leaves the UART's divisor for 115200 at the 24 MHz
     * sclk it also selected (PL011 TRM 3.3.6: 24e6 / (16 x 115200) =
     * 13.02 -> IBRD 13, FBRD 1), 8N1 with FIFOs; the UART stays disabled. */
    hv_pl011_write(pl, 0x24, 4, 13);
    hv_pl011_write(pl, 0x28, 4, 1);
    hv_pl011_write(pl, 0x2c, 4, 0x70);
}

/* ---- the serial lines ----------------------------------------------------------------- */

static struct hv_line_rate uart_rate(struct link *l, const struct hv_soc_devstate *st,
                                     struct hv_line_frame *f)
{
    uint32_t ibrd, fbrd, lcr_h;
    hv_pl011_line(l->pl, &ibrd, &fbrd, &lcr_h);
    if (f)
        *f = hv_line_pl011_frame(lcr_h);
    return hv_line_pl011_rate(st->fclk_hz, ibrd, fbrd);
}

bool hv_msoc_uart_tx(struct hv_msoc *s, unsigned port, uint8_t byte, uint8_t *out)
{
    *out = byte;
    if (!s || port >= 16 || s->port_dev[port] < 0)
        return true;
    struct link *l = &s->link[s->port_dev[port]];
    struct hv_soc_health *h = hv_soc_health(s->soc, l->dev);
    struct hv_soc_devstate st;
    hv_soc_devstate(s->soc, l->dev, &st);
    struct hv_line_frame f;
    struct hv_line_rate tx = uart_rate(l, &st, &f);
    /* No divisor (IBRD 0) shifts nothing out; a pin muxed elsewhere
     * carries nothing from this UART. (With sclk stopped the PL011 holds
     * its characters and never gets here.) */
    if (st.in_reset || tx.den == 0 || !st.tx_muxed) {
        h->lost++;
        return false;
    }
    struct hv_line_rate rx = {s->env.line_baud, 1};
    switch (hv_line_char(byte, &f, tx, rx, out)) {
    case HV_LINE_OK:
        h->tx_bytes++;
        return true;
    case HV_LINE_GARBLED:
        h->tx_bytes++;
        h->garbled++;
        return true;
    case HV_LINE_FRAMING:
        /* The terminal drops a character whose stop bit is 0. */
        h->framing_errors++;
        return false;
    case HV_LINE_NOSTART:
        break;
    }
    h->lost++;
    return false;
}

enum hv_msoc_rx hv_msoc_uart_rx(struct hv_msoc *s, unsigned port, uint8_t byte, uint8_t *out)
{
    *out = byte;
    if (!s || port >= 16 || s->port_dev[port] < 0)
        return HV_MSOC_RX_OK;
    struct link *l = &s->link[s->port_dev[port]];
    struct hv_soc_health *h = hv_soc_health(s->soc, l->dev);
    struct hv_soc_devstate st;
    hv_soc_devstate(s->soc, l->dev, &st);
    struct hv_line_rate rxr = uart_rate(l, &st, NULL);
    if (st.in_reset || rxr.den == 0 || !st.rx_muxed) {
        h->lost++;
        return HV_MSOC_RX_LOST;
    }
    static const struct hv_line_frame f8n1 = {8, false, false, false};
    struct hv_line_rate tx = {s->env.line_baud, 1};
    switch (hv_line_char(byte, &f8n1, tx, rxr, out)) {
    case HV_LINE_OK:
        h->rx_bytes++;
        return HV_MSOC_RX_OK;
    case HV_LINE_GARBLED:
        h->rx_bytes++;
        h->garbled++;
        return HV_MSOC_RX_OK;
    case HV_LINE_FRAMING:
        /* The PL011 keeps the character and flags it (DR.FE, FERIS). */
        h->rx_bytes++;
        h->framing_errors++;
        return HV_MSOC_RX_FRAMING;
    case HV_LINE_NOSTART:
        break;
    }
    h->lost++;
    return HV_MSOC_RX_LOST;
}

bool hv_msoc_health(struct hv_msoc *s, unsigned nth, const char **name, struct hv_soc_health *out)
{
    for (unsigned d = 0; s && d < RK_DEV__COUNT; d++) {
        if (!s->link[d].used || nth-- > 0)
            continue;
        *name = s->link[d].pd->name;
        *out = *hv_soc_health(s->soc, (enum rk_dev)d);
        return true;
    }
    return false;
}

uint32_t hv_msoc_line_baud(const struct hv_msoc *s)
{
    return s ? s->env.line_baud : 0;
}
