/* hvsim: RK3568-style CRU and GRF, and the devices' effective state. See
 * soc.h and docs/soc.md. The register and field table is
 * include/hvsim/rk3568_cru.h; this file holds the access decision (which
 * bits a write may change), the effect (the new register value), and the
 * derivation of each device's clock, reset and pin state from the fields.
 */
#include "soc.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dev_track {
    struct hv_soc_devstate st;
    uint64_t since_ns; /* virtual time of the last accounting */
};

struct hv_soc {
    uint32_t regs[RK_R__COUNT];
    struct hv_soc_io io;
    struct hv_obs *obs;
    struct hv_clock clk;
    bool has_clk;
    struct dev_track dev[RK_DEV__COUNT];
    struct hv_soc_health health[RK_DEV__COUNT];
};

/* ---- the device dependencies ------------------------------------------------ */

#define NO_FIELD 0xff

/* The fields a UART depends on (clk-rk3568.c, see rk3568_cru.h). */
struct uart_deps {
    uint8_t src_div, src_sel, sclk_sel, frac;
    uint8_t pclk_gate, src_gate, frac_gate, sclk_gate;
    uint8_t srst_p, srst_s;
    uint8_t tx_pin, rx_pin, io_sel;
};

static const struct uart_deps uart_deps[3] = {
    {RK_F_UART1_SRC_DIV, RK_F_UART1_SRC_SEL, RK_F_UART1_SCLK_SEL, RK_F_UART1_FRAC,
     RK_F_PCLK_UART1_GATE, RK_F_CLK_UART1_SRC_GATE, RK_F_CLK_UART1_FRAC_GATE, RK_F_SCLK_UART1_GATE,
     RK_F_SRST_P_UART1, RK_F_SRST_S_UART1, RK_F_GPIO2B4_SEL, RK_F_GPIO2B3_SEL, NO_FIELD},
    {RK_F_UART2_SRC_DIV, RK_F_UART2_SRC_SEL, RK_F_UART2_SCLK_SEL, RK_F_UART2_FRAC,
     RK_F_PCLK_UART2_GATE, RK_F_CLK_UART2_SRC_GATE, RK_F_CLK_UART2_FRAC_GATE, RK_F_SCLK_UART2_GATE,
     RK_F_SRST_P_UART2, RK_F_SRST_S_UART2, RK_F_GPIO0D1_SEL, RK_F_GPIO0D0_SEL, RK_F_UART2_IO_SEL},
    {RK_F_UART3_SRC_DIV, RK_F_UART3_SRC_SEL, RK_F_UART3_SCLK_SEL, RK_F_UART3_FRAC,
     RK_F_PCLK_UART3_GATE, RK_F_CLK_UART3_SRC_GATE, RK_F_CLK_UART3_FRAC_GATE, RK_F_SCLK_UART3_GATE,
     RK_F_SRST_P_UART3, RK_F_SRST_S_UART3, RK_F_GPIO1A1_SEL, RK_F_GPIO1A0_SEL, NO_FIELD},
};

static uint32_t fget(const uint32_t regs[RK_R__COUNT], unsigned f)
{
    const struct rk_field_desc *d = &rk3568_fields[f];
    return rk_field_get(d, regs[d->reg]);
}

/* A field's pin or interface select connects the device. */
static bool routed(const uint32_t regs[RK_R__COUNT], unsigned f)
{
    return fget(regs, f) == rk3568_fields[f].dev_func;
}

/* clk_uartN_frac: a fractional divider, rate = parent * num / den. The
 * Rockchip fractional divider can only divide: a zero denominator or a
 * numerator above the denominator gives no clock (docs/soc.md). */
static uint64_t frac_hz(uint64_t parent, uint32_t v)
{
    uint32_t num = v >> 16, den = v & 0xffff;
    if (den == 0 || num == 0 || num > den)
        return 0;
    return parent * num / den;
}

static uint64_t uart_fclk(const uint32_t regs[RK_R__COUNT], const struct uart_deps *u)
{
    static const uint64_t src_parent[4] = {RK3568_GPLL_HZ, RK3568_CPLL_HZ, RK3568_USB480M_HZ, 0};
    uint64_t src = fget(regs, u->src_gate)
                       ? 0
                       : src_parent[fget(regs, u->src_sel) & 3] / (fget(regs, u->src_div) + 1);
    uint64_t hz;

    switch (fget(regs, u->sclk_sel)) {
    case 0: /* clk_uartN_src */
        hz = src;
        break;
    case 1: /* clk_uartN_frac */
        hz = fget(regs, u->frac_gate) ? 0 : frac_hz(src, fget(regs, u->frac));
        break;
    case 2: /* xin24m */
        hz = RK3568_XIN24M_HZ;
        break;
    default: /* reserved selector: no clock */
        hz = 0;
        break;
    }
    return fget(regs, u->sclk_gate) ? 0 : hz;
}

uint64_t hv_soc_fclk_hz(const uint32_t regs[RK_R__COUNT], enum rk_dev d)
{
    switch (d) {
    case RK_DEV_UART1:
    case RK_DEV_UART2:
    case RK_DEV_UART3:
        return uart_fclk(regs, &uart_deps[d - RK_DEV_UART1]);
    case RK_DEV_I2C0: {
        /* clk_i2c0 = clk_pdpmu (ppll or gpll) / (div + 1). */
        uint64_t p = fget(regs, RK_F_CLK_PDPMU_SEL) ? RK3568_GPLL_HZ : RK3568_PPLL_HZ;
        return fget(regs, RK_F_CLK_I2C0_GATE) ? 0 : p / (fget(regs, RK_F_CLK_I2C0_DIV) + 1);
    }
    case RK_DEV_TIMER0:
        return fget(regs, RK_F_CLK_TIMER0_GATE) ? 0 : RK3568_XIN24M_HZ;
    case RK_DEV__COUNT:
        break;
    }
    return 0;
}

static void compute(const uint32_t regs[RK_R__COUNT], enum rk_dev d, struct hv_soc_devstate *st)
{
    memset(st, 0, sizeof(*st));
    st->fclk_hz = hv_soc_fclk_hz(regs, d);
    switch (d) {
    case RK_DEV_UART1:
    case RK_DEV_UART2:
    case RK_DEV_UART3: {
        const struct uart_deps *u = &uart_deps[d - RK_DEV_UART1];
        bool sel = u->io_sel == NO_FIELD || routed(regs, u->io_sel);
        st->pclk_on = !fget(regs, RK_F_PCLK_BUS_GATE) && !fget(regs, u->pclk_gate);
        st->in_reset = fget(regs, u->srst_p) || fget(regs, u->srst_s);
        st->tx_muxed = sel && routed(regs, u->tx_pin);
        st->rx_muxed = sel && routed(regs, u->rx_pin);
        break;
    }
    case RK_DEV_I2C0:
        st->pclk_on = !fget(regs, RK_F_PCLK_PDPMU_GATE) && !fget(regs, RK_F_PCLK_I2C0_GATE);
        st->in_reset = fget(regs, RK_F_SRST_P_I2C0) || fget(regs, RK_F_SRST_I2C0);
        /* I2C needs both lines: SCL and SDA. */
        st->tx_muxed = st->rx_muxed =
            routed(regs, RK_F_GPIO0B1_SEL) && routed(regs, RK_F_GPIO0B2_SEL);
        break;
    case RK_DEV_TIMER0:
        st->pclk_on = !fget(regs, RK_F_PCLK_BUS_GATE) && !fget(regs, RK_F_PCLK_TIMER_GATE);
        st->in_reset = fget(regs, RK_F_SRST_P_TIMER) || fget(regs, RK_F_SRST_TIMER0);
        st->tx_muxed = st->rx_muxed = true; /* no pins */
        break;
    case RK_DEV__COUNT:
        break;
    }
}

static bool same(const struct hv_soc_devstate *a, const struct hv_soc_devstate *b)
{
    return a->pclk_on == b->pclk_on && a->fclk_hz == b->fclk_hz && a->in_reset == b->in_reset &&
           a->tx_muxed == b->tx_muxed && a->rx_muxed == b->rx_muxed;
}

/* ---- health accounting ------------------------------------------------------ */

static uint64_t now_ns(const struct hv_soc *s)
{
    return s->has_clk ? s->clk.now(s->clk.ctx) : 0;
}

static void account(struct hv_soc *s, enum rk_dev d)
{
    struct dev_track *t = &s->dev[d];
    uint64_t now = now_ns(s);
    uint64_t dt = now > t->since_ns ? now - t->since_ns : 0;

    if (t->st.in_reset)
        s->health[d].reset_ns += dt;
    if (!t->st.pclk_on || t->st.fclk_hz == 0)
        s->health[d].gated_ns += dt;
    t->since_ns = now;
}

struct hv_soc_health *hv_soc_health(struct hv_soc *s, enum rk_dev d)
{
    account(s, d);
    return &s->health[d];
}

/* ---- reporting ---------------------------------------------------------------- */

static void report(struct hv_soc *s, enum hv_ev_type t, const struct hv_soc_who *who,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void report(struct hv_soc *s, enum hv_ev_type t, const struct hv_soc_who *who,
                   const char *fmt, ...)
{
    char buf[220];
    va_list ap;

    if (!hv_obs_wants(s->obs, t))
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    hv_obs_text(s->obs, t, who ? who->el : 0, who ? who->pc : 0, "%s", buf);
}

static void emit_access(struct hv_soc *s, const struct hv_soc_who *who, enum rk_block b,
                        const struct hv_ev_soc_reg *r)
{
    struct hv_event ev;

    (void)b;
    if (!hv_obs_wants(s->obs, HV_EV_SOC_REG))
        return;
    memset(&ev, 0, sizeof(ev));
    ev.type = HV_EV_SOC_REG;
    if (who) {
        ev.pe = who->pe;
        ev.el = who->el;
        ev.pc = who->pc;
    }
    ev.u.soc = *r;
    hv_obs_emit(s->obs, &ev);
}

static void emit_devstate(struct hv_soc *s, const struct hv_soc_who *who, enum rk_dev d)
{
    struct hv_event ev;

    if (!hv_obs_wants(s->obs, HV_EV_DEV_STATE))
        return;
    memset(&ev, 0, sizeof(ev));
    ev.type = HV_EV_DEV_STATE;
    if (who) {
        ev.pe = who->pe;
        ev.el = who->el;
        ev.pc = who->pc;
    }
    ev.u.dev.device = rk_dev_names[d];
    ev.u.dev.fclk_hz = s->dev[d].st.fclk_hz;
    ev.u.dev.pclk_on = s->dev[d].st.pclk_on;
    ev.u.dev.in_reset = s->dev[d].st.in_reset;
    ev.u.dev.tx_muxed = s->dev[d].st.tx_muxed;
    ev.u.dev.rx_muxed = s->dev[d].st.rx_muxed;
    hv_obs_emit(s->obs, &ev);
}

/* ---- the model ------------------------------------------------------------------ */

struct hv_soc *hv_soc_create(const struct hv_soc_io *io, struct hv_obs *obs,
                             const struct hv_clock *clk)
{
    struct hv_soc *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (io)
        s->io = *io;
    s->obs = obs;
    if (clk) {
        s->clk = *clk;
        s->has_clk = true;
    }
    for (unsigned r = 0; r < RK_R__COUNT; r++)
        s->regs[r] = rk3568_regs[r].reset;
    for (unsigned d = 0; d < RK_DEV__COUNT; d++) {
        compute(s->regs, (enum rk_dev)d, &s->dev[d].st);
        s->dev[d].since_ns = now_ns(s);
    }
    return s;
}

void hv_soc_destroy(struct hv_soc *s)
{
    free(s);
}

static int find_reg(enum rk_block b, uint64_t off)
{
    for (unsigned r = 0; r < RK_R__COUNT; r++)
        if (rk3568_regs[r].block == b && rk3568_regs[r].off == off)
            return (int)r;
    return -1;
}

/* A real RK3568 register hvsim does not model (in a range the TRM fills),
 * as opposed to a reserved offset. Both are RAZ/WI; the first is reported
 * as unimplemented, the second as a guest error. */
static bool real_but_unmodelled(enum rk_block b, uint64_t off)
{
    uint64_t o = off & (RK3568_PMU_BLOCK_OFF - 1);
    bool pmu = off >= RK3568_PMU_BLOCK_OFF;

    if (b == RK_BLK_GRF)
        return pmu ? o < 0x200 : o < 0x800;
    if (pmu) /* PMUCRU: PLL_CON, MODE_CON0, CLKSEL_CON0-9, CLKGATE_CON0-2, SOFTRST_CON0-1 */
        return o < 0x84 || (o >= 0x100 && o < 0x128) || (o >= 0x180 && o < 0x18c) ||
               (o >= 0x200 && o < 0x208);
    /* CRU: PLL_CON/MODE/MISC, CLKSEL_CON0-84, CLKGATE_CON0-35, SOFTRST_CON0-29 */
    return o < 0xc8 || (o >= 0x100 && o < 0x254) || (o >= 0x300 && o < 0x390) ||
           (o >= 0x400 && o < 0x478);
}

static const char *block_name(enum rk_block b)
{
    return b == RK_BLK_CRU ? "cru" : "grf";
}

/* Validates the access shape. Returns the register index, -1 to ignore. */
static int decode(struct hv_soc *s, enum rk_block b, const struct hv_soc_who *who, uint64_t off,
                  unsigned size, bool is_write)
{
    const char *what = is_write ? "write" : "read";
    int r;

    if (size != 4 || (off & 3)) {
        report(s, HV_EV_GUEST_ERROR, who,
               "%s: %u-byte %s at offset 0x%" PRIx64 ": registers are 32-bit, accessed aligned "
               "(RAZ/WI)",
               block_name(b), size, what, off);
        return -1;
    }
    r = find_reg(b, off);
    if (r >= 0)
        return r;
    if (real_but_unmodelled(b, off))
        report(s, HV_EV_UNIMPL, who,
               "%s: %s of offset 0x%" PRIx64 ", a register hvsim does not model (RAZ/WI)",
               block_name(b), what, off);
    else
        report(s, HV_EV_GUEST_ERROR, who, "%s: %s of reserved offset 0x%" PRIx64 " (RAZ/WI)",
               block_name(b), what, off);
    return -1;
}

uint64_t hv_soc_read(struct hv_soc *s, enum rk_block b, const struct hv_soc_who *who, uint64_t off,
                     unsigned size)
{
    struct hv_ev_soc_reg ev = {.block = block_name(b), .off = (uint32_t)off};
    int r = decode(s, b, who, off, size, false);
    uint32_t v = 0;

    if (r >= 0) {
        /* A hiword register's write-enable half reads as zero. */
        v = s->regs[r];
        ev.name = rk3568_regs[r].name;
    }
    ev.value = v;
    ev.old = ev.new_value = v;
    emit_access(s, who, b, &ev);
    return v;
}

/* The access decision for a write: which bits it may change, and why others
 * are refused. Pure: reports go through the caller. */
struct wdecision {
    uint32_t wmask;     /* bits to change */
    uint32_t newv;      /* the register after the write */
    bool no_enables;    /* hiword: bits 31:16 all zero */
    uint32_t unimpl_en; /* hiword: enables on unimplemented bits (ignored) */
};

static void decide(const struct rk_reg_desc *rd, uint32_t old, uint32_t value, struct wdecision *w)
{
    memset(w, 0, sizeof(*w));
    if (rd->hiword) {
        uint32_t en = value >> 16;
        w->no_enables = en == 0;
        w->unimpl_en = en & ~rd->impl & 0xffff;
        w->wmask = en & rd->impl;
    } else {
        w->wmask = rd->impl;
    }
    w->newv = (old & ~w->wmask) | (value & w->wmask);
}

void hv_soc_write(struct hv_soc *s, enum rk_block b, const struct hv_soc_who *who, uint64_t off,
                  unsigned size, uint64_t value)
{
    struct hv_ev_soc_reg ev = {.block = block_name(b), .off = (uint32_t)off, .is_write = true};
    struct hv_soc_devstate before[RK_DEV__COUNT];
    struct wdecision w;
    int r = decode(s, b, who, off, size, true);
    uint32_t v = (uint32_t)value;

    ev.value = v;
    if (r < 0) {
        emit_access(s, who, b, &ev);
        return;
    }
    const struct rk_reg_desc *rd = &rk3568_regs[r];
    ev.name = rd->name;
    ev.old = s->regs[r];
    decide(rd, s->regs[r], v, &w);
    if (w.no_enables)
        report(s, HV_EV_GUEST_ERROR, who,
               "%s %s: write 0x%08" PRIx32 " has no write-enable bits (31:16): ignored",
               block_name(b), rd->name, v);
    else if (w.unimpl_en)
        report(s, HV_EV_GUEST_ERROR, who,
               "%s %s: write 0x%08" PRIx32 " enables unimplemented bits 0x%04" PRIx32
               ": those are ignored",
               block_name(b), rd->name, v, w.unimpl_en);
    s->regs[r] = w.newv;

    /* Selectors and dividers the write touched that select nothing. */
    for (unsigned f = 0; f < RK_F__COUNT; f++) {
        const struct rk_field_desc *fd = &rk3568_fields[f];
        if (fd->reg != r || !(rk_field_mask(fd) & w.wmask))
            continue;
        uint32_t fv = rk_field_get(fd, w.newv);
        if ((fd->kind == RK_FK_MUX || fd->kind == RK_FK_SEL) && fv >= fd->nvalues)
            report(s, HV_EV_GUEST_ERROR, who,
                   "%s %s: %s = %" PRIu32 " is a reserved selector (valid 0..%u): %s",
                   block_name(b), rd->name, fd->name, fv, fd->nvalues - 1u,
                   fd->kind == RK_FK_MUX ? "the clock stops" : "the device loses its pins");
        if (fd->kind == RK_FK_FRAC &&
            ((fv & 0xffff) == 0 || (fv >> 16) == 0 || (fv >> 16) > (fv & 0xffff)))
            report(s, HV_EV_GUEST_ERROR, who,
                   "%s %s: %s = 0x%08" PRIx32 " (numerator/denominator) does not divide: the "
                   "clock stops",
                   block_name(b), rd->name, fd->name, fv);
    }

    /* Which devices changed. */
    uint32_t devs = 0;
    for (unsigned d = 0; d < RK_DEV__COUNT; d++) {
        before[d] = s->dev[d].st;
        struct hv_soc_devstate now;
        compute(s->regs, (enum rk_dev)d, &now);
        if (!same(&now, &before[d])) {
            devs |= RK_DEV_BIT(d);
            account(s, (enum rk_dev)d);
            if (now.tx_muxed != before[d].tx_muxed || now.rx_muxed != before[d].rx_muxed)
                s->health[d].mux_changes++;
            s->dev[d].st = now;
        }
    }
    ev.new_value = w.newv;
    ev.wmask = w.wmask;
    ev.devs = devs;
    emit_access(s, who, b, &ev);
    for (unsigned d = 0; d < RK_DEV__COUNT; d++) {
        if (!(devs & RK_DEV_BIT(d)))
            continue;
        emit_devstate(s, who, (enum rk_dev)d);
        if (s->io.dev_changed)
            s->io.dev_changed(s->io.ctx, (enum rk_dev)d, &before[d], &s->dev[d].st);
    }
}

void hv_soc_devstate(const struct hv_soc *s, enum rk_dev d, struct hv_soc_devstate *st)
{
    *st = s->dev[d].st;
}

uint32_t hv_soc_reg(const struct hv_soc *s, enum rk_reg_id r)
{
    return s->regs[r];
}
