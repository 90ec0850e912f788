/* libFuzzer harness for the PL011 model (sim/platform/pl011.c).
 *
 * The input is a sequence of 8-byte records:
 *
 *   byte 0     op: bits 2:0 select the action (below); bit 7 turns the
 *              offset into a huge one (~offset), beyond the 4 KiB window
 *   bytes 1-2  offset, little-endian (0..0xFFFF: the window and past it)
 *   byte 3     size: bits 1:0 pick 1, 2, 4 or 8 (the sizes the bus passes);
 *              if bit 7 is set, the raw byte & 0x7F is used (0, 3, 100...)
 *   bytes 4-7  value, little-endian (write data, or the received byte)
 *
 * Actions: 0, 1 read; 2, 3 write; 4 hv_pl011_rx; 5 hv_pl011_rx_idle;
 * 6 hv_pl011_reset; 7 hv_pl011_rx_ready. A trailing partial record is
 * ignored.
 *
 * Two devices run the same records: A with io callbacks and an observer that
 * wants every event, B with neither. Every read must return the same value on
 * both (observing must not change behaviour), and after every record the
 * harness checks invariants of A: events are well formed and match the access
 * that caused them, the IRQ callback only reports changes and agrees with
 * MIS, MIS == RIS & IMSC, FR is consistent, and the counters agree with the
 * callbacks and events. Any violation aborts, which libFuzzer reports.
 *
 * Build (see tests/fuzz/README.md):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I sim \
 *     tests/fuzz/fuzz_mmio_pl011.c sim/platform/pl011.c \
 *     sim/common/observer.c sim/common/hv_err.c -o /tmp/fuzz_pl011
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/pl011.h"

#define PORT 7u
#define NAME "uart0"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* What the harness expects the next MMIO event to describe. */
struct expect {
    bool active;
    uint64_t offset;
    unsigned size;
    bool is_write;
    uint64_t value; /* writes: the value written */
};

struct harness {
    struct expect exp;
    unsigned mmio_events;     /* MMIO events for the current access */
    uint64_t last_mmio_value; /* the value a read event reported */
    uint64_t tx_callbacks;    /* io.tx calls */
    uint64_t tx_events;       /* HV_EV_UART_TX events */
    int last_tx_event;        /* the byte of the last UART_TX event, or -1 */
    uint64_t guest_error_events;
    bool irq_level;
    uint64_t irq_calls;
};

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * size)) - 1;
}

static bool size_ok(unsigned size)
{
    return size == 1 || size == 2 || size == 4;
}

static void on_tx(void *ctx, unsigned port, uint8_t byte)
{
    struct harness *h = ctx;

    CHECK(port == PORT);
    /* The UART_TX event comes first, with the same byte. */
    CHECK(h->tx_events == h->tx_callbacks + 1);
    CHECK(h->last_tx_event == byte);
    h->tx_callbacks++;
}

static void on_irq(void *ctx, unsigned port, bool level)
{
    struct harness *h = ctx;

    CHECK(port == PORT);
    CHECK(level != h->irq_level); /* changes only */
    h->irq_level = level;
    h->irq_calls++;
}

static void check_text(const struct hv_event *ev)
{
    const char *t = ev->u.text.text;

    CHECK(t != NULL);
    CHECK(strlen(t) < 256);
    CHECK(strchr(t, '\n') == NULL);
    CHECK(strncmp(t, NAME ": ", strlen(NAME) + 2) == 0);
    CHECK(strlen(t) > strlen(NAME) + 2);
}

static void on_event(void *ctx, const struct hv_event *ev)
{
    struct harness *h = ctx;

    CHECK((unsigned)ev->type < HV_EV__COUNT);
    switch (ev->type) {
    case HV_EV_MMIO:
        CHECK(h->exp.active);
        CHECK(ev->u.mmio.device != NULL && strcmp(ev->u.mmio.device, NAME) == 0);
        CHECK(ev->u.mmio.pa == h->exp.offset);
        CHECK(ev->u.mmio.size == (h->exp.size > 255 ? 255 : h->exp.size));
        CHECK(ev->u.mmio.is_write == h->exp.is_write);
        if (h->exp.is_write) {
            CHECK(ev->u.mmio.value == h->exp.value);
        } else {
            /* A read returns no more than its width, and 0 when refused. */
            CHECK((ev->u.mmio.value & ~size_mask(h->exp.size)) == 0);
            if (!size_ok(h->exp.size) || h->exp.offset >= 0x1000 || h->exp.offset % h->exp.size)
                CHECK(ev->u.mmio.value == 0);
        }
        h->last_mmio_value = ev->u.mmio.value;
        h->mmio_events++;
        break;
    case HV_EV_UART_TX:
        CHECK(ev->u.uart.port == PORT);
        /* Only a DR write can transmit. */
        CHECK(h->exp.active && h->exp.is_write && (h->exp.offset & ~UINT64_C(3)) == 0);
        h->last_tx_event = ev->u.uart.byte;
        h->tx_events++;
        break;
    case HV_EV_GUEST_ERROR:
        check_text(ev);
        h->guest_error_events++;
        break;
    case HV_EV_UNIMPL:
        check_text(ev);
        break;
    default:
        /* The UART emits nothing else. */
        CHECK(0);
    }
}

struct rig {
    struct harness h;
    struct hv_obs obs;
    struct hv_pl011 *a, *b;
};

static uint32_t rd32(struct rig *r, uint64_t off)
{
    r->h.exp = (struct expect){.active = true, .offset = off, .size = 4};
    r->h.mmio_events = 0;
    uint32_t va = (uint32_t)hv_pl011_read(r->a, off, 4);
    CHECK(r->h.mmio_events == 1);
    r->h.exp.active = false;
    return va;
}

/* Invariants of A that hold between any two records. Only registers without
 * read side effects are read, on A only; B is not read, which is fine since
 * these reads change nothing. */
static void check_invariants(struct rig *r)
{
    struct hv_pl011_stats s;
    uint32_t fr = rd32(r, 0x018), ris = rd32(r, 0x03C), imsc = rd32(r, 0x038);
    uint32_t mis = rd32(r, 0x040);

    CHECK((ris & ~0x7FFu) == 0);
    CHECK((imsc & ~0x7FFu) == 0);
    CHECK(mis == (ris & imsc));
    CHECK(r->h.irq_level == (mis != 0));
    /* TXFE=1, TXFF=0, BUSY=0: transmission is instantaneous. */
    CHECK((fr & 0xA8u) == 0x80u);
    /* Never both empty and full. */
    CHECK((fr & 0x50u) != 0x50u);
    CHECK((fr & ~0x1FFu) == 0);
    if (hv_pl011_rx_ready(r->a))
        CHECK(!(fr & 0x40u));
    /* Modem status inputs are not modelled. */
    CHECK((fr & 0x107u) == 0);

    hv_pl011_stats(r->a, &s);
    CHECK(s.tx_bytes == r->h.tx_callbacks);
    CHECK(s.tx_bytes == r->h.tx_events);
    CHECK(s.guest_errors == r->h.guest_error_events);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rig r;
    struct hv_pl011_io io;

    memset(&r, 0, sizeof(r));
    r.h.last_tx_event = -1;
    hv_obs_init(&r.obs);
    if (hv_obs_subscribe(&r.obs, HV_EV_ALL, on_event, &r.h) != 0)
        abort();
    io = (struct hv_pl011_io){.ctx = &r.h, .tx = on_tx, .irq = on_irq};
    r.a = hv_pl011_create(PORT, NAME, &io, &r.obs);
    r.b = hv_pl011_create(PORT, NAME, NULL, NULL);
    CHECK(r.a && r.b);
    check_invariants(&r);

    for (size_t i = 0; i + 8 <= size; i += 8) {
        const uint8_t *p = data + i;
        unsigned op = p[0] & 7;
        uint64_t off = (uint64_t)p[1] | ((uint64_t)p[2] << 8);
        unsigned sz = (p[3] & 0x80) ? (p[3] & 0x7Fu) : (1u << (p[3] & 3));
        uint32_t val = (uint32_t)p[4] | ((uint32_t)p[5] << 8) | ((uint32_t)p[6] << 16) |
                       ((uint32_t)p[7] << 24);
        struct hv_pl011_stats before, after;

        if (p[0] & 0x80)
            off = ~off;
        hv_pl011_stats(r.a, &before);
        switch (op) {
        case 0:
        case 1: {
            r.h.exp = (struct expect){.active = true, .offset = off, .size = sz};
            r.h.mmio_events = 0;
            uint64_t va = hv_pl011_read(r.a, off, sz);
            uint64_t vb = hv_pl011_read(r.b, off, sz);
            CHECK(r.h.mmio_events == 1);
            CHECK(r.h.last_mmio_value == va);
            CHECK(va == vb);
            break;
        }
        case 2:
        case 3:
            r.h.exp = (struct expect){
                .active = true, .offset = off, .size = sz, .is_write = true, .value = val};
            r.h.mmio_events = 0;
            hv_pl011_write(r.a, off, sz, val);
            hv_pl011_write(r.b, off, sz, val);
            CHECK(r.h.mmio_events == 1);
            break;
        case 4: {
            bool ready = hv_pl011_rx_ready(r.a);
            bool ta = hv_pl011_rx(r.a, (uint8_t)val);
            bool tb = hv_pl011_rx(r.b, (uint8_t)val);
            CHECK(ta == ready && ta == tb);
            hv_pl011_stats(r.a, &after);
            CHECK(after.rx_bytes == before.rx_bytes + (ta ? 1 : 0));
            /* hv_pl011_rx refuses rather than overrunning. */
            CHECK(after.rx_overruns == before.rx_overruns);
            break;
        }
        case 5:
            hv_pl011_rx_idle(r.a);
            hv_pl011_rx_idle(r.b);
            break;
        case 6:
            hv_pl011_reset(r.a);
            hv_pl011_reset(r.b);
            CHECK(!r.h.irq_level);
            CHECK(rd32(&r, 0x030) == 0x300);
            CHECK(rd32(&r, 0x034) == 0x12);
            CHECK(rd32(&r, 0x018) == 0x90);
            break;
        case 7:
            CHECK(hv_pl011_rx_ready(r.a) == hv_pl011_rx_ready(r.b));
            break;
        }
        r.h.exp.active = false;

        hv_pl011_stats(r.a, &after);
        /* Counters only grow, by at most one byte per record. */
        CHECK(after.tx_bytes >= before.tx_bytes && after.tx_bytes - before.tx_bytes <= 1);
        CHECK(after.rx_bytes >= before.rx_bytes && after.rx_bytes - before.rx_bytes <= 1);
        CHECK(after.rx_overruns >= before.rx_overruns);
        CHECK(after.guest_errors >= before.guest_errors);
        check_invariants(&r);
    }

    /* A and B saw the same accesses: their counters agree. */
    struct hv_pl011_stats sa, sb;
    hv_pl011_stats(r.a, &sa);
    hv_pl011_stats(r.b, &sb);
    CHECK(sa.tx_bytes == sb.tx_bytes && sa.rx_bytes == sb.rx_bytes &&
          sa.rx_overruns == sb.rx_overruns && sa.guest_errors == sb.guest_errors);
    hv_pl011_destroy(r.a);
    hv_pl011_destroy(r.b);
    return 0;
}
