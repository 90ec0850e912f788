/* Unit tests for sim/platform/pl011: the PL011 UART model against the TRM
 * (ARM DDI 0183G) register map, FIFO, interrupt and width rules. Events are
 * checked as structured data through an observer subscriber. */
#include <check.h>

#include "check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/pl011.h"

/* Offsets and bits, written out here rather than shared with the model so the
 * tests check the TRM's numbers, not the model's. */
enum {
    DR = 0x000,
    RSR = 0x004,
    FR = 0x018,
    ILPR = 0x020,
    IBRD = 0x024,
    FBRD = 0x028,
    LCR_H = 0x02C,
    CR = 0x030,
    IFLS = 0x034,
    IMSC = 0x038,
    RIS = 0x03C,
    MIS = 0x040,
    ICR = 0x044,
    DMACR = 0x048,
};
#define FEN    0x10u
#define RXIS   (1u << 4)
#define TXIS   (1u << 5)
#define RTIS   (1u << 6)
#define OEIS   (1u << 10)
#define F_RXFE 0x10u
#define F_RXFF 0x40u
#define F_TXFE 0x80u

#define MAX_LOG 64

/* Everything the model reported: callbacks and observer events. */
struct rec {
    uint8_t tx[256];
    unsigned ntx, tx_port;
    bool irq_log[MAX_LOG];
    unsigned nirq;
    unsigned nev[HV_EV__COUNT];
    char last_text[256];
    struct hv_ev_mmio last_mmio;
    char last_mmio_dev[32];
    struct hv_ev_uart last_uart;
};

static void on_tx(void *ctx, unsigned port, uint8_t byte)
{
    struct rec *r = ctx;
    if (r->ntx < sizeof(r->tx))
        r->tx[r->ntx] = byte;
    r->ntx++;
    r->tx_port = port;
}

static void on_irq(void *ctx, unsigned port, bool level)
{
    struct rec *r = ctx;
    (void)port;
    if (r->nirq < MAX_LOG)
        r->irq_log[r->nirq] = level;
    r->nirq++;
}

static void on_event(void *ctx, const struct hv_event *ev)
{
    struct rec *r = ctx;
    r->nev[ev->type]++;
    switch (ev->type) {
    case HV_EV_GUEST_ERROR:
    case HV_EV_UNIMPL:
        snprintf(r->last_text, sizeof(r->last_text), "%s", ev->u.text.text);
        break;
    case HV_EV_MMIO:
        r->last_mmio = ev->u.mmio;
        snprintf(r->last_mmio_dev, sizeof(r->last_mmio_dev), "%s", ev->u.mmio.device);
        r->last_mmio.device = NULL;
        break;
    case HV_EV_UART_TX:
        r->last_uart = ev->u.uart;
        break;
    default:
        break;
    }
}

static struct hv_obs obs;
static struct rec rec;
static struct hv_pl011 *u;

static void setup(void)
{
    struct hv_pl011_io io = {.ctx = &rec, .tx = on_tx, .irq = on_irq};
    memset(&rec, 0, sizeof(rec));
    hv_obs_init(&obs);
    ck_assert_int_eq(hv_obs_subscribe(&obs, HV_EV_ALL, on_event, &rec), 0);
    u = hv_pl011_create(3, "uart0", &io, &obs);
    ck_assert_ptr_nonnull(u);
}

static void teardown(void)
{
    hv_pl011_destroy(u);
    u = NULL;
}

static uint32_t rd(uint64_t off)
{
    return (uint32_t)hv_pl011_read(u, off, 4);
}

static void wr(uint64_t off, uint32_t v)
{
    hv_pl011_write(u, off, 4, v);
}

static uint64_t guest_errors(void)
{
    struct hv_pl011_stats s;
    hv_pl011_stats(u, &s);
    return s.guest_errors;
}

/* UARTEN|TXE|RXE, FIFOs on, all interrupts masked. */
static void enable_fifo(void)
{
    wr(CR, 0x301);
    wr(LCR_H, FEN | 0x60);
}

static const struct {
    uint32_t off, val;
} id_regs[] = {
    {0xFE0, 0x11}, {0xFE4, 0x10}, {0xFE8, 0x14}, {0xFEC, 0x00},
    {0xFF0, 0x0D}, {0xFF4, 0xF0}, {0xFF8, 0x05}, {0xFFC, 0xB1},
};

static void check_reset_values(void)
{
    ck_assert_uint_eq(rd(RSR), 0);
    ck_assert_uint_eq(rd(FR), 0x90); /* TXFE | RXFE */
    ck_assert_uint_eq(rd(ILPR), 0);
    ck_assert_uint_eq(rd(IBRD), 0);
    ck_assert_uint_eq(rd(FBRD), 0);
    ck_assert_uint_eq(rd(LCR_H), 0);
    ck_assert_uint_eq(rd(CR), 0x300);
    ck_assert_uint_eq(rd(IFLS), 0x12);
    ck_assert_uint_eq(rd(IMSC), 0);
    ck_assert_uint_eq(rd(RIS), 0);
    ck_assert_uint_eq(rd(MIS), 0);
    ck_assert_uint_eq(rd(DMACR), 0);
    for (size_t i = 0; i < sizeof(id_regs) / sizeof(id_regs[0]); i++)
        ck_assert_uint_eq(rd(id_regs[i].off), id_regs[i].val);
    ck_assert_uint_eq(rd(DR), 0); /* empty FIFO */
}

START_TEST(test_reset_values)
{
    check_reset_values();
    ck_assert_uint_eq(guest_errors(), 0);
    ck_assert_uint_eq(rec.nirq, 0);
}
END_TEST

START_TEST(test_reset_restores)
{
    enable_fifo();
    wr(IMSC, RXIS);
    wr(IBRD, 0x1234);
    wr(FBRD, 0x15);
    wr(ILPR, 0x42);
    wr(IFLS, 0x00); /* RX trigger 1/8 = 4 bytes */
    for (int i = 0; i < 4; i++)
        ck_assert(hv_pl011_rx(u, (uint8_t)i));
    ck_assert_uint_eq(rec.nirq, 1);
    ck_assert(rec.irq_log[0]);
    hv_pl011_reset(u);
    /* UARTINTR falls with the reset, and the FIFO is empty. */
    ck_assert_uint_eq(rec.nirq, 2);
    ck_assert(!rec.irq_log[1]);
    check_reset_values();
    /* Counters survive the reset. */
    struct hv_pl011_stats s;
    hv_pl011_stats(u, &s);
    ck_assert_uint_eq(s.rx_bytes, 4);
}
END_TEST

/* Walk the whole 4 KiB window: exactly the 22 TRM registers are accessible;
 * every other word is reserved and reads as zero with one guest error. */
START_TEST(test_window_walk)
{
    static const uint32_t readable[] = {DR,    RSR,   FR,    ILPR,  IBRD,  FBRD,  LCR_H,
                                        CR,    IFLS,  IMSC,  RIS,   MIS,   DMACR, 0xFE0,
                                        0xFE4, 0xFE8, 0xFEC, 0xFF0, 0xFF4, 0xFF8, 0xFFC};
    unsigned reserved = 0;
    for (uint32_t off = 0; off < 0x1000; off += 4) {
        bool known = off == ICR;
        for (size_t i = 0; i < sizeof(readable) / sizeof(readable[0]); i++)
            known |= readable[i] == off;
        uint64_t before = guest_errors();
        uint32_t v = rd(off);
        if (!known) {
            ck_assert_uint_eq(v, 0);
            reserved++;
        }
        /* Reserved words and the write-only ICR are guest errors. */
        ck_assert_uint_eq(guest_errors() - before, (!known || off == ICR) ? 1 : 0);
    }
    ck_assert_uint_eq(reserved, 1024 - 22);
    ck_assert_uint_eq(rec.nev[HV_EV_GUEST_ERROR], 1024 - 22 + 1);
    ck_assert_uint_eq(rec.nev[HV_EV_MMIO], 1024);
}
END_TEST

START_TEST(test_tx_enabled)
{
    wr(CR, 0x301);
    wr(DR, 0x41);
    wr(DR, 0x1FF42); /* only bits 7:0 are the character */
    ck_assert_uint_eq(rec.ntx, 2);
    ck_assert_uint_eq(rec.tx[0], 0x41);
    ck_assert_uint_eq(rec.tx[1], 0x42);
    ck_assert_uint_eq(rec.tx_port, 3);
    ck_assert_uint_eq(rec.nev[HV_EV_UART_TX], 2);
    ck_assert_uint_eq(rec.last_uart.port, 3);
    ck_assert_uint_eq(rec.last_uart.byte, 0x42);
    ck_assert_uint_eq(rd(FR), 0x90); /* TX never fills, never busy */
    ck_assert_uint_eq(rd(RIS), TXIS);
    struct hv_pl011_stats s;
    hv_pl011_stats(u, &s);
    ck_assert_uint_eq(s.tx_bytes, 2);
    ck_assert_uint_eq(s.guest_errors, 0);
}
END_TEST

START_TEST(test_tx_disabled)
{
    /* Reset: TXE=1 but UARTEN=0. */
    wr(DR, 'x');
    ck_assert_uint_eq(rec.ntx, 0);
    ck_assert_uint_eq(guest_errors(), 1);
    ck_assert_str_eq(rec.last_text, "uart0: DR write while transmitter disabled (CR=0x300)");
    /* UARTEN=1 but TXE=0. */
    wr(CR, 0x201);
    wr(DR, 'y');
    ck_assert_uint_eq(rec.ntx, 0);
    ck_assert_uint_eq(guest_errors(), 2);
    ck_assert_str_eq(rec.last_text, "uart0: DR write while transmitter disabled (CR=0x201)");
    /* A dropped byte does not raise TXIS, and is not counted. */
    ck_assert_uint_eq(rd(RIS), 0);
    struct hv_pl011_stats s;
    hv_pl011_stats(u, &s);
    ck_assert_uint_eq(s.tx_bytes, 0);
    ck_assert_uint_eq(rec.nev[HV_EV_UART_TX], 0);
    /* Enabling the UART does not set TXIS either (TRM: transition-based). */
    wr(CR, 0x301);
    ck_assert_uint_eq(rd(RIS), 0);
    wr(DR, 'z');
    ck_assert_uint_eq(rec.ntx, 1);
    ck_assert_uint_eq(rec.tx[0], 'z');
}
END_TEST

START_TEST(test_rx_fifo_order_and_flags)
{
    enable_fifo();
    ck_assert_uint_eq(rd(FR), 0x90);
    for (unsigned i = 0; i < 32; i++) {
        ck_assert(hv_pl011_rx_ready(u));
        ck_assert(hv_pl011_rx(u, (uint8_t)(0xA0 + i)));
        uint32_t fr = rd(FR);
        ck_assert_uint_eq(fr & F_RXFE, 0);
        ck_assert_uint_eq(fr & F_RXFF, i == 31 ? F_RXFF : 0);
    }
    ck_assert(!hv_pl011_rx_ready(u));
    ck_assert(!hv_pl011_rx(u, 0xFF));
    for (unsigned i = 0; i < 32; i++) {
        ck_assert_uint_eq(rd(DR), 0xA0 + i);
        ck_assert_uint_eq(rd(FR) & F_RXFF, 0);
        ck_assert_uint_eq(rd(FR) & F_RXFE, i == 31 ? F_RXFE : 0);
    }
    ck_assert_uint_eq(rd(DR), 0); /* empty */
    struct hv_pl011_stats s;
    hv_pl011_stats(u, &s);
    ck_assert_uint_eq(s.rx_bytes, 32);
    ck_assert_uint_eq(s.rx_overruns, 0);
    ck_assert_uint_eq(s.guest_errors, 0);
}
END_TEST

/* A character with a framing error (from the machine's line model): TRM
 * 3.3.1 DR.FE (bit 8) with the data, 3.3.2 RSR.FE (bit 0) once it is read,
 * 3.3.11 FERIS (bit 7), which drives UARTINTR when FEIM is set. */
START_TEST(test_rx_framing_error)
{
    enable_fifo();
    wr(IMSC, 1u << 7);
    ck_assert(hv_pl011_rx(u, 0x41));
    ck_assert(hv_pl011_rx_framing_error(u, 0x5A));
    ck_assert_uint_eq(rd(RIS) & (1u << 7), 1u << 7);
    ck_assert(rec.nirq > 0 && rec.irq_log[rec.nirq - 1]);
    ck_assert_uint_eq(rd(DR), 0x41);
    ck_assert_uint_eq(rd(RSR), 0);
    ck_assert_uint_eq(rd(DR), 0x15A);
    ck_assert_uint_eq(rd(RSR), 0x1);
    wr(ICR, 1u << 7);
    ck_assert_uint_eq(rd(RIS) & (1u << 7), 0);
    ck_assert(!rec.irq_log[rec.nirq - 1]);
    /* A disabled receiver takes nothing, flagged or not. */
    wr(CR, 0);
    ck_assert(!hv_pl011_rx_framing_error(u, 0x5A));
}
END_TEST

/* UARTCLK stopped: characters wait in the TX FIFO (FR.BUSY, not TXFE; TXFF
 * at 32), a 33rd is lost, and they leave in order when the clock runs. */
START_TEST(test_tx_held_without_uartclk)
{
    enable_fifo();
    hv_pl011_set_uartclk(u, false);
    for (unsigned i = 0; i < 33; i++)
        wr(DR, 'a' + i % 26);
    ck_assert_uint_eq(rec.ntx, 0);
    ck_assert_uint_eq(rd(FR) & 0xa8, 0x28); /* BUSY, TXFF, not TXFE */
    ck_assert_uint_eq(guest_errors(), 1);
    hv_pl011_set_uartclk(u, true);
    ck_assert_uint_eq(rec.ntx, 32);
    ck_assert_uint_eq(rec.tx[0], 'a');
    ck_assert_uint_eq(rec.tx[31], 'a' + 31 % 26);
    ck_assert_uint_eq(rd(FR) & 0xa8, 0x80);
    /* A reset while held empties the FIFO. */
    hv_pl011_set_uartclk(u, false);
    wr(DR, 'z');
    hv_pl011_reset(u);
    hv_pl011_set_uartclk(u, true);
    ck_assert_uint_eq(rec.ntx, 32);
}
END_TEST

START_TEST(test_rx_fifo_wraps)
{
    enable_fifo();
    unsigned next_in = 0, next_out = 0;
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 20; i++)
            ck_assert(hv_pl011_rx(u, (uint8_t)next_in++));
        for (int i = 0; i < 20; i++)
            ck_assert_uint_eq(rd(DR), (uint8_t)next_out++);
    }
    ck_assert_uint_eq(rd(FR), 0x90);
}
END_TEST

START_TEST(test_rx_holding_register)
{
    wr(CR, 0x301); /* FEN=0: a 1-byte holding register */
    ck_assert(hv_pl011_rx(u, 'a'));
    ck_assert_uint_eq(rd(FR), F_TXFE | F_RXFF);
    ck_assert(!hv_pl011_rx_ready(u));
    ck_assert(!hv_pl011_rx(u, 'b'));
    ck_assert_uint_eq(rd(DR), 'a');
    ck_assert_uint_eq(rd(FR), 0x90);
    ck_assert(hv_pl011_rx(u, 'c'));
    ck_assert_uint_eq(rd(DR), 'c');
}
END_TEST

START_TEST(test_rx_disabled)
{
    /* Reset: RXE=1 but UARTEN=0. */
    ck_assert(!hv_pl011_rx_ready(u));
    ck_assert(!hv_pl011_rx(u, 'a'));
    wr(CR, 0x101); /* UARTEN, TXE, no RXE */
    ck_assert(!hv_pl011_rx(u, 'a'));
    wr(CR, 0x381); /* UARTEN, TXE, RXE, LBE: the line is disconnected */
    ck_assert(!hv_pl011_rx(u, 'a'));
    wr(CR, 0x301);
    ck_assert(hv_pl011_rx(u, 'a'));
    struct hv_pl011_stats s;
    hv_pl011_stats(u, &s);
    ck_assert_uint_eq(s.rx_bytes, 1);
}
END_TEST

/* RXIS asserts when the fill reaches the IFLS level: 4, 8, 16, 24, 28 of 32. */
START_TEST(test_rx_trigger_levels)
{
    static const unsigned level[5] = {4, 8, 16, 24, 28};
    unsigned sel = (unsigned)_i;

    enable_fifo();
    wr(IFLS, (sel << 3) | 2); /* TX field kept at 1/2 */
    ck_assert_uint_eq(rd(IFLS), (sel << 3) | 2);
    for (unsigned n = 1; n <= level[sel]; n++) {
        ck_assert(hv_pl011_rx(u, (uint8_t)n));
        ck_assert_uint_eq(rd(RIS) & RXIS, n == level[sel] ? RXIS : 0);
    }
    /* Reading below the level clears it. */
    rd(DR);
    ck_assert_uint_eq(rd(RIS) & RXIS, 0);
    ck_assert_uint_eq(guest_errors(), 0);
}
END_TEST

START_TEST(test_rx_trigger_no_fifo)
{
    wr(CR, 0x301);
    wr(IFLS, 0x20); /* 7/8: irrelevant without FIFOs */
    ck_assert(hv_pl011_rx(u, 'q'));
    ck_assert_uint_eq(rd(RIS), RXIS);
    ck_assert_uint_eq(rd(DR), 'q');
    ck_assert_uint_eq(rd(RIS), 0);
}
END_TEST

START_TEST(test_ifls_reserved)
{
    wr(IFLS, 0x2D); /* RX b101, TX b101: reserved */
    ck_assert_uint_eq(rd(IFLS), 0x2D);
    ck_assert_uint_eq(guest_errors(), 1);
    ck_assert_ptr_nonnull(strstr(rec.last_text, "reserved trigger level"));
    /* Acts as 1/2 = 16 bytes. */
    enable_fifo();
    for (int i = 0; i < 15; i++)
        hv_pl011_rx(u, 0);
    ck_assert_uint_eq(rd(RIS) & RXIS, 0);
    hv_pl011_rx(u, 0);
    ck_assert_uint_eq(rd(RIS) & RXIS, RXIS);
}
END_TEST

START_TEST(test_rtis)
{
    enable_fifo();
    hv_pl011_rx_idle(u); /* empty FIFO: no timeout */
    ck_assert_uint_eq(rd(RIS), 0);
    ck_assert(hv_pl011_rx(u, '1'));
    ck_assert(hv_pl011_rx(u, '2'));
    ck_assert_uint_eq(rd(RIS), 0); /* below the 1/2 trigger */
    hv_pl011_rx_idle(u);
    ck_assert_uint_eq(rd(RIS), RTIS);
    ck_assert_uint_eq(rd(DR), '1');
    ck_assert_uint_eq(rd(RIS), RTIS); /* not empty yet */
    ck_assert_uint_eq(rd(DR), '2');
    ck_assert_uint_eq(rd(RIS), 0); /* emptied: RTIS clears */
    /* ICR clears it too. */
    hv_pl011_rx(u, '3');
    hv_pl011_rx_idle(u);
    ck_assert_uint_eq(rd(RIS), RTIS);
    wr(ICR, RTIS);
    ck_assert_uint_eq(rd(RIS), 0);
}
END_TEST

START_TEST(test_mis_and_irq_edges)
{
    wr(CR, 0x301);
    wr(DR, 'a'); /* TXIS raw, masked */
    ck_assert_uint_eq(rd(RIS), TXIS);
    ck_assert_uint_eq(rd(MIS), 0);
    ck_assert_uint_eq(rec.nirq, 0);
    wr(IMSC, TXIS | RXIS);
    ck_assert_uint_eq(rd(MIS), TXIS);
    ck_assert_uint_eq(rec.nirq, 1);
    ck_assert(rec.irq_log[0]);
    /* Another source while high: no new edge. */
    hv_pl011_rx(u, 'b');
    ck_assert_uint_eq(rd(RIS), TXIS | RXIS);
    ck_assert_uint_eq(rd(MIS), TXIS | RXIS);
    wr(DR, 'c');
    ck_assert_uint_eq(rec.nirq, 1);
    wr(ICR, TXIS);
    ck_assert_uint_eq(rd(MIS), RXIS);
    ck_assert_uint_eq(rec.nirq, 1);
    rd(DR); /* clears RXIS: the output falls */
    ck_assert_uint_eq(rd(MIS), 0);
    ck_assert_uint_eq(rec.nirq, 2);
    ck_assert(!rec.irq_log[1]);
    /* Masking a pending interrupt lowers the output, unmasking raises it. */
    wr(DR, 'd');
    ck_assert_uint_eq(rec.nirq, 3);
    ck_assert(rec.irq_log[2]);
    wr(IMSC, 0);
    ck_assert_uint_eq(rec.nirq, 4);
    ck_assert(!rec.irq_log[3]);
    ck_assert_uint_eq(rd(RIS), TXIS);
    ck_assert_uint_eq(rd(MIS), 0);
}
END_TEST

START_TEST(test_icr_clears)
{
    wr(CR, 0x301);
    wr(DR, 'a');
    hv_pl011_rx(u, 'b');
    hv_pl011_rx_idle(u);
    ck_assert_uint_eq(rd(RIS), TXIS | RXIS | RTIS);
    wr(ICR, 0); /* writing 0 has no effect */
    ck_assert_uint_eq(rd(RIS), TXIS | RXIS | RTIS);
    wr(ICR, RXIS);
    ck_assert_uint_eq(rd(RIS), TXIS | RTIS);
    wr(ICR, 0xFFFFFFFF);
    ck_assert_uint_eq(rd(RIS), 0);
    /* ICR is write-only: reads as zero, guest error. */
    ck_assert_uint_eq(guest_errors(), 0);
    ck_assert_uint_eq(rd(ICR), 0);
    ck_assert_uint_eq(guest_errors(), 1);
    ck_assert_str_eq(rec.last_text, "uart0: read of write-only register ICR");
}
END_TEST

START_TEST(test_narrow_access)
{
    wr(CR, 0x301);
    /* earlycon: strb to DR, ldrb from FR. */
    hv_pl011_write(u, DR, 1, 'E');
    ck_assert_uint_eq(rec.ntx, 1);
    ck_assert_uint_eq(rec.tx[0], 'E');
    ck_assert_uint_eq(hv_pl011_read(u, FR, 1), 0x90);
    hv_pl011_write(u, DR, 2, 0x146); /* strh: byte 0x46 */
    ck_assert_uint_eq(rec.ntx, 2);
    ck_assert_uint_eq(rec.tx[1], 0x46);
    /* Bytes and halves of CR = 0x301. */
    ck_assert_uint_eq(hv_pl011_read(u, CR, 2), 0x301);
    ck_assert_uint_eq(hv_pl011_read(u, CR, 1), 0x01);
    ck_assert_uint_eq(hv_pl011_read(u, CR + 1, 1), 0x03);
    ck_assert_uint_eq(hv_pl011_read(u, CR + 2, 2), 0);
    /* A byte write changes only its byte. */
    hv_pl011_write(u, CR + 1, 1, 0x01); /* TXE only */
    ck_assert_uint_eq(rd(CR), 0x101);
    hv_pl011_write(u, IBRD, 1, 0xCD);
    hv_pl011_write(u, IBRD + 1, 1, 0xAB);
    ck_assert_uint_eq(rd(IBRD), 0xABCD);
    hv_pl011_write(u, IBRD + 2, 2, 0xFFFF); /* reserved bits 31:16 */
    ck_assert_uint_eq(rd(IBRD), 0xABCD);
    ck_assert_uint_eq(guest_errors(), 0);
    /* A DR write that misses bits 7:0 carries no character. */
    hv_pl011_write(u, DR + 1, 1, 'X');
    ck_assert_uint_eq(rec.ntx, 2);
    ck_assert_uint_eq(guest_errors(), 1);
    /* A byte read of DR pops, like the bus's full read. */
    enable_fifo();
    ck_assert(hv_pl011_rx(u, 'r'));
    ck_assert(hv_pl011_rx(u, 's'));
    ck_assert_uint_eq(hv_pl011_read(u, DR, 1), 'r');
    ck_assert_uint_eq(hv_pl011_read(u, DR, 1), 's');
    ck_assert_uint_eq(hv_pl011_read(u, FR, 1), 0x90);
    /* ICR by bytes and halves: only the written 1s clear. */
    wr(LCR_H, 0); /* FEN=0: one byte raises RXIS */
    ck_assert(hv_pl011_rx(u, 't'));
    wr(DR, 'u');
    ck_assert_uint_eq(rd(RIS), TXIS | RXIS);
    hv_pl011_write(u, ICR + 2, 2, 0xFFFF); /* bits 31:16: nothing */
    ck_assert_uint_eq(rd(RIS), TXIS | RXIS);
    hv_pl011_write(u, ICR, 1, TXIS);
    ck_assert_uint_eq(rd(RIS), RXIS);
}
END_TEST

START_TEST(test_bad_widths)
{
    wr(CR, 0x301);
    ck_assert_uint_eq(hv_pl011_read(u, CR, 8), 0);
    ck_assert_uint_eq(guest_errors(), 1);
    ck_assert_str_eq(rec.last_text, "uart0: 8-byte read at offset 0x30 (registers are 32-bit)");
    hv_pl011_write(u, DR, 8, 'A');
    ck_assert_uint_eq(rec.ntx, 0);
    ck_assert_uint_eq(guest_errors(), 2);
    hv_pl011_write(u, IBRD, 8, 0x55);
    ck_assert_uint_eq(rd(IBRD), 0);
    /* Misaligned. */
    ck_assert_uint_eq(hv_pl011_read(u, CR + 1, 2), 0);
    ck_assert_uint_eq(hv_pl011_read(u, CR + 2, 4), 0);
    hv_pl011_write(u, IBRD + 1, 4, 0x55);
    ck_assert_uint_eq(rd(IBRD), 0);
    ck_assert_str_eq(rec.last_text, "uart0: misaligned 4-byte write at offset 0x25");
    /* Odd sizes. */
    ck_assert_uint_eq(hv_pl011_read(u, CR, 3), 0);
    ck_assert_uint_eq(hv_pl011_read(u, CR, 0), 0);
    hv_pl011_write(u, DR, 16, 'B');
    ck_assert_uint_eq(rec.ntx, 0);
    ck_assert_uint_eq(guest_errors(), 9);
    ck_assert_uint_eq(rec.nev[HV_EV_GUEST_ERROR], 9);
}
END_TEST

START_TEST(test_reserved_raz_wi)
{
    static const uint64_t offs[] = {0x008, 0x01C, 0x04C, 0x080, 0x08C, 0x100, 0xFCC, 0xFD0};
    for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
        wr(offs[i], 0xFFFFFFFF);
        ck_assert_uint_eq(rd(offs[i]), 0);
    }
    ck_assert_uint_eq(rec.nev[HV_EV_GUEST_ERROR], 16);
    ck_assert_uint_eq(guest_errors(), 16);
    ck_assert_str_eq(rec.last_text, "uart0: read of reserved offset 0xfd0");
    /* Beyond the window (the bus never sends these, but no crash). */
    ck_assert_uint_eq(hv_pl011_read(u, 0x1000, 4), 0);
    ck_assert_uint_eq(hv_pl011_read(u, UINT64_MAX - 3, 4), 0);
    hv_pl011_write(u, UINT64_MAX - 3, 4, 1);
    ck_assert_uint_eq(guest_errors(), 19);
    /* Nothing else changed. */
    check_reset_values();
}
END_TEST

START_TEST(test_read_only_writes)
{
    enable_fifo();
    hv_pl011_rx(u, 'a');
    wr(DR + 0, 0); /* TXIS */
    static const uint64_t ro[] = {FR, RIS, MIS, 0xFE0, 0xFFC};
    uint32_t before[5];
    for (int i = 0; i < 5; i++)
        before[i] = rd(ro[i]);
    for (int i = 0; i < 5; i++)
        wr(ro[i], 0);
    for (int i = 0; i < 5; i++)
        ck_assert_uint_eq(rd(ro[i]), before[i]);
    ck_assert_uint_eq(guest_errors(), 5);
    ck_assert_str_eq(rec.last_text, "uart0: write of read-only register PCellID3");
}
END_TEST

/* Write 0xffffffff, read back the implemented bits (TRM 3.3). */
START_TEST(test_register_masks)
{
    static const struct {
        uint32_t off, mask;
    } m[] = {
        {ILPR, 0xFF}, {IBRD, 0xFFFF}, {FBRD, 0x3F},  {LCR_H, 0xFF},
        {CR, 0xFF87}, {IFLS, 0x3F},   {IMSC, 0x7FF}, {DMACR, 0x7},
    };
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        wr(m[i].off, 0xFFFFFFFF);
        ck_assert_uint_eq(rd(m[i].off), m[i].mask);
        wr(m[i].off, 0);
        ck_assert_uint_eq(rd(m[i].off), 0);
    }
    /* Enabling DMA is reported as unimplemented, not as a guest error. */
    ck_assert_uint_eq(rec.nev[HV_EV_UNIMPL], 1);
    /* IFLS 0x3F holds reserved encodings: the only guest error. */
    ck_assert_uint_eq(guest_errors(), 1);
}
END_TEST

START_TEST(test_mmio_events)
{
    wr(CR, 0x301);
    ck_assert_uint_eq(rec.nev[HV_EV_MMIO], 1);
    ck_assert_str_eq(rec.last_mmio_dev, "uart0");
    ck_assert_uint_eq(rec.last_mmio.pa, CR);
    ck_assert_uint_eq(rec.last_mmio.value, 0x301);
    ck_assert_uint_eq(rec.last_mmio.size, 4);
    ck_assert(rec.last_mmio.is_write);
    ck_assert_uint_eq(hv_pl011_read(u, FR, 1), 0x90);
    ck_assert_uint_eq(rec.nev[HV_EV_MMIO], 2);
    ck_assert_uint_eq(rec.last_mmio.pa, FR);
    ck_assert_uint_eq(rec.last_mmio.value, 0x90);
    ck_assert_uint_eq(rec.last_mmio.size, 1);
    ck_assert(!rec.last_mmio.is_write);
    /* Bad accesses are events too. */
    hv_pl011_read(u, 0x800, 8);
    ck_assert_uint_eq(rec.nev[HV_EV_MMIO], 3);
    ck_assert_uint_eq(rec.last_mmio.pa, 0x800);
    ck_assert_uint_eq(rec.last_mmio.size, 8);
}
END_TEST

START_TEST(test_rsr_ecr_and_loopback_overrun)
{
    wr(CR, 0x381); /* UARTEN, LBE, TXE, RXE; FEN=0: 1-byte holding register */
    wr(IMSC, OEIS);
    wr(DR, 'a'); /* looped back into the receiver, not out */
    ck_assert_uint_eq(rec.ntx, 0);
    ck_assert_uint_eq(rec.nev[HV_EV_UART_TX], 0);
    ck_assert_uint_eq(rd(FR), F_TXFE | F_RXFF);
    ck_assert_uint_eq(rec.nirq, 0);
    wr(DR, 'b');                     /* the holding register is full: overrun, 'b' is lost */
    ck_assert_uint_eq(rd(RSR), 0x8); /* OE */
    ck_assert_uint_eq(rd(RIS) & OEIS, OEIS);
    ck_assert_uint_eq(rec.nirq, 1);
    ck_assert(rec.irq_log[0]);
    ck_assert_uint_eq(rd(DR), 'a');
    wr(DR, 'c'); /* the first character after the overrun carries DR.OE */
    ck_assert_uint_eq(rd(DR), 0x800 | 'c');
    wr(RSR, 0); /* ECR: any write clears */
    ck_assert_uint_eq(rd(RSR), 0);
    wr(ICR, OEIS);
    ck_assert_uint_eq(rec.nirq, 2);
    ck_assert(!rec.irq_log[1]);
    struct hv_pl011_stats s;
    hv_pl011_stats(u, &s);
    ck_assert_uint_eq(s.tx_bytes, 0);
    ck_assert_uint_eq(s.rx_bytes, 2);
    ck_assert_uint_eq(s.rx_overruns, 1);
    ck_assert_uint_eq(s.guest_errors, 0);
    /* Loopback with the receiver disabled: the byte is simply lost. */
    wr(CR, 0x181);
    wr(DR, 'd');
    ck_assert_uint_eq(rd(FR), 0x90);
    ck_assert_uint_eq(rec.ntx, 0);
}
END_TEST

START_TEST(test_fen_change_flushes)
{
    enable_fifo();
    hv_pl011_rx(u, 1);
    hv_pl011_rx(u, 2);
    hv_pl011_rx_idle(u);
    ck_assert_uint_eq(rd(RIS), RTIS);
    wr(LCR_H, 0x60); /* FEN 1 -> 0 */
    ck_assert_uint_eq(rd(FR), 0x90);
    ck_assert_uint_eq(rd(RIS), 0);
    ck_assert(hv_pl011_rx(u, 3));
    ck_assert_uint_eq(rd(DR), 3);
    /* FEN 0 -> 1 flushes too. */
    ck_assert(hv_pl011_rx(u, 4));
    wr(LCR_H, 0x70);
    ck_assert_uint_eq(rd(FR), 0x90);
    /* Other LCR_H changes keep the FIFO. */
    ck_assert(hv_pl011_rx(u, 5));
    wr(LCR_H, 0x72);
    wr(LCR_H, 0x76);
    ck_assert_uint_eq(rd(DR), 5);
}
END_TEST

START_TEST(test_no_io_no_obs)
{
    struct hv_pl011 *v = hv_pl011_create(0, NULL, NULL, NULL);
    ck_assert_ptr_nonnull(v);
    hv_pl011_write(v, CR, 4, 0x301);
    hv_pl011_write(v, IMSC, 4, 0x7FF);
    hv_pl011_write(v, DR, 4, 'x');
    ck_assert(hv_pl011_rx(v, 'y'));
    hv_pl011_rx_idle(v);
    ck_assert_uint_eq(hv_pl011_read(v, MIS, 4), TXIS | RXIS | RTIS);
    hv_pl011_read(v, 0x4C, 4);
    struct hv_pl011_stats s;
    hv_pl011_stats(v, &s);
    ck_assert_uint_eq(s.tx_bytes, 1);
    ck_assert_uint_eq(s.rx_bytes, 1);
    ck_assert_uint_eq(s.guest_errors, 1);
    hv_pl011_destroy(v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pl011");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_reset_values);
    tcase_add_test(tc, test_reset_restores);
    tcase_add_test(tc, test_window_walk);
    tcase_add_test(tc, test_tx_enabled);
    tcase_add_test(tc, test_tx_disabled);
    tcase_add_test(tc, test_rx_fifo_order_and_flags);
    tcase_add_test(tc, test_rx_framing_error);
    tcase_add_test(tc, test_tx_held_without_uartclk);
    tcase_add_test(tc, test_rx_fifo_wraps);
    tcase_add_test(tc, test_rx_holding_register);
    tcase_add_test(tc, test_rx_disabled);
    tcase_add_loop_test(tc, test_rx_trigger_levels, 0, 5);
    tcase_add_test(tc, test_rx_trigger_no_fifo);
    tcase_add_test(tc, test_ifls_reserved);
    tcase_add_test(tc, test_rtis);
    tcase_add_test(tc, test_mis_and_irq_edges);
    tcase_add_test(tc, test_icr_clears);
    tcase_add_test(tc, test_narrow_access);
    tcase_add_test(tc, test_bad_widths);
    tcase_add_test(tc, test_reserved_raz_wi);
    tcase_add_test(tc, test_read_only_writes);
    tcase_add_test(tc, test_register_masks);
    tcase_add_test(tc, test_mmio_events);
    tcase_add_test(tc, test_rsr_ecr_and_loopback_overrun);
    tcase_add_test(tc, test_fen_change_flushes);
    tcase_add_test(tc, test_no_io_no_obs);
    suite_add_tcase(s, tc);
    return hv_check_run(s);
}
