/* libFuzzer harness for the CRU/GRF model and the I2C controller
 * (sim/soc/soc.c, sim/soc/i2c.c): a guest's arbitrary register accesses.
 *
 * The input is a sequence of 8-byte records:
 *
 *   byte 0     op: bits 1:0 pick the target: 0 CRU, 1 GRF, 2 I2C, 3 the
 *              environment (I2C clock and pins from the SoC model, then a
 *              virtual-time step that runs due I2C events); bit 2 = write
 *   bytes 1-2  offset, little-endian (0..0xFFFF: the 64 KiB windows)
 *   byte 3     size: bits 1:0 pick 1, 2, 4 or 8
 *   bytes 4-7  value, little-endian
 *
 * After every record the harness checks: one HV_EV_SOC_REG per CRU/GRF
 * access, naming the offset and the direction; a hiword write changed no
 * bit outside its enables (new ^ old is within wmask, wmask within the
 * enables) and the register reads back the event's new value; a read of a
 * modelled register has no bit outside the implemented ones; the devs
 * field names exactly the devices whose state changed; every devstate
 * event matches the device's state. The I2C controller must never crash,
 * report BUSY without a pending completion when its clock runs, or read a
 * bit outside its registers' fields. Any violation aborts.
 *
 * Build (see tests/fuzz/README.md):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I sim -I include \
 *     tests/fuzz/fuzz_mmio_soc.c sim/soc/soc.c sim/soc/i2c.c \
 *     sim/common/observer.c -o /tmp/fuzz_soc
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soc/i2c.h"
#include "soc/soc.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A tiny event queue standing in for the machine's virtual time. */
struct vt {
    uint64_t now;
    uint64_t when;
    hv_clock_cb cb;
    void *cb_ctx;
    uint64_t id;
};

static uint64_t vt_now(void *ctx)
{
    return ((struct vt *)ctx)->now;
}

static uint64_t vt_schedule(void *ctx, uint64_t when, hv_clock_cb cb, void *cb_ctx)
{
    struct vt *v = ctx;
    v->when = when;
    v->cb = cb;
    v->cb_ctx = cb_ctx;
    return ++v->id;
}

static void vt_cancel(void *ctx, uint64_t id)
{
    struct vt *v = ctx;
    if (id == v->id)
        v->cb = NULL;
}

struct harness {
    unsigned soc_events;
    struct hv_ev_soc_reg last;
    unsigned devstate_events;
    uint32_t devstate_seen; /* RK_DEV_BIT of devstate events since the access */
    struct hv_soc *soc;
};

static void on_event(void *ctx, const struct hv_event *ev)
{
    struct harness *h = ctx;
    if (ev->type == HV_EV_SOC_REG) {
        h->soc_events++;
        h->last = ev->u.soc;
    } else if (ev->type == HV_EV_DEV_STATE) {
        h->devstate_events++;
        CHECK(ev->u.dev.device != NULL);
        for (unsigned d = 0; d < RK_DEV__COUNT; d++) {
            if (strcmp(ev->u.dev.device, rk_dev_names[d]) != 0)
                continue;
            struct hv_soc_devstate st;
            hv_soc_devstate(h->soc, (enum rk_dev)d, &st);
            CHECK(st.fclk_hz == ev->u.dev.fclk_hz && st.pclk_on == ev->u.dev.pclk_on &&
                  st.in_reset == ev->u.dev.in_reset);
            h->devstate_seen |= RK_DEV_BIT(d);
        }
    } else if (ev->type == HV_EV_GUEST_ERROR || ev->type == HV_EV_UNIMPL) {
        CHECK(ev->u.text.text && !strchr(ev->u.text.text, '\n'));
    }
}

static bool same(const struct hv_soc_devstate *a, const struct hv_soc_devstate *b)
{
    return a->pclk_on == b->pclk_on && a->fclk_hz == b->fclk_hz && a->in_reset == b->in_reset &&
           a->tx_muxed == b->tx_muxed && a->rx_muxed == b->rx_muxed;
}

static int find_reg(enum rk_block b, uint64_t off)
{
    for (unsigned r = 0; r < RK_R__COUNT; r++)
        if (rk3568_regs[r].block == b && rk3568_regs[r].off == off)
            return (int)r;
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned sizes[4] = {1, 2, 4, 8};
    struct harness h;
    struct hv_obs obs;
    struct vt vt;
    memset(&h, 0, sizeof(h));
    memset(&vt, 0, sizeof(vt));
    hv_obs_init(&obs);
    hv_obs_subscribe(&obs, HV_EV_ALL, on_event, &h);
    struct hv_clock clk = {.ctx = &vt, .now = vt_now, .schedule = vt_schedule, .cancel = vt_cancel};
    struct hv_soc *soc = hv_soc_create(NULL, &obs, &clk);
    struct hv_i2c *i2c = hv_i2c_create("i2c0", NULL, &obs, &clk);
    struct hv_soc_who who = {0, 1, 0};
    CHECK(soc && i2c);
    h.soc = soc;

    for (size_t p = 0; p + 8 <= size; p += 8) {
        const uint8_t *r = data + p;
        unsigned target = r[0] & 3;
        bool is_write = (r[0] >> 2) & 1;
        uint64_t off = (uint64_t)r[1] | (uint64_t)r[2] << 8;
        unsigned sz = sizes[r[3] & 3];
        uint32_t val =
            (uint32_t)r[4] | (uint32_t)r[5] << 8 | (uint32_t)r[6] << 16 | (uint32_t)r[7] << 24;

        if (target == 3) {
            struct hv_soc_devstate st;
            hv_soc_devstate(soc, RK_DEV_I2C0, &st);
            hv_i2c_set_env(i2c, st.in_reset ? 0 : st.fclk_hz, st.tx_muxed);
            vt.now += val & 0xfffff;
            if (vt.cb && vt.when <= vt.now) {
                hv_clock_cb cb = vt.cb;
                vt.cb = NULL;
                cb(vt.cb_ctx, vt.now);
            }
            if (st.fclk_hz && !st.in_reset && (hv_i2c_read(i2c, 0x10, 4) & 1))
                CHECK(vt.cb != NULL); /* BUSY with a clock: a completion is pending */
            continue;
        }
        if (target == 2) {
            if (is_write) {
                hv_i2c_write(i2c, off, sz, val);
            } else {
                uint64_t v = hv_i2c_read(i2c, off, sz);
                CHECK(v <= UINT32_MAX);
                if (off == 0x00)
                    CHECK((v & ~3u) == 0);
                if (off == 0x10)
                    CHECK((v & ~0xfu) == 0);
            }
            continue;
        }

        enum rk_block b = target == 0 ? RK_BLK_CRU : RK_BLK_GRF;
        struct hv_soc_devstate before[RK_DEV__COUNT], after;
        for (unsigned d = 0; d < RK_DEV__COUNT; d++)
            hv_soc_devstate(soc, (enum rk_dev)d, &before[d]);
        h.soc_events = 0;
        h.devstate_seen = 0;
        int reg = sz == 4 && !(off & 3) ? find_reg(b, off) : -1;
        uint32_t old = reg >= 0 ? hv_soc_reg(soc, (enum rk_reg_id)reg) : 0;
        if (is_write)
            hv_soc_write(soc, b, &who, off, sz, val);
        else {
            uint64_t v = hv_soc_read(soc, b, &who, off, sz);
            CHECK(reg >= 0 ? v == old && (v & ~(uint64_t)rk3568_regs[reg].impl) == 0 : v == 0);
        }
        CHECK(h.soc_events == 1);
        CHECK(h.last.off == (uint32_t)off && h.last.is_write == is_write);
        if (is_write && reg >= 0) {
            uint32_t now = hv_soc_reg(soc, (enum rk_reg_id)reg);
            const struct rk_reg_desc *rd = &rk3568_regs[reg];
            CHECK(h.last.old == old && h.last.new_value == now);
            CHECK(((old ^ now) & ~h.last.wmask) == 0);
            CHECK((now & ~rd->impl) == 0);
            if (rd->hiword)
                CHECK((h.last.wmask & ~(val >> 16)) == 0);
        } else if (is_write) {
            CHECK(h.last.devs == 0);
        }
        uint32_t changed = 0;
        for (unsigned d = 0; d < RK_DEV__COUNT; d++) {
            hv_soc_devstate(soc, (enum rk_dev)d, &after);
            if (!same(&after, &before[d]))
                changed |= RK_DEV_BIT(d);
        }
        CHECK(!is_write ? changed == 0 : changed == h.last.devs);
        CHECK(h.devstate_seen == changed);
    }
    hv_i2c_destroy(i2c);
    hv_soc_destroy(soc);
    return 0;
}
