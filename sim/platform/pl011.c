/* hvsim: ARM PrimeCell UART (PL011), after the "PrimeCell UART (PL011)
 * Technical Reference Manual" r1p5, ARM DDI 0183G ("TRM" below). Section
 * numbers are those of DDI 0183G: 3.2 is the register summary, 3.3.n the
 * register descriptions, 3.4.n the interrupt descriptions.
 *
 * Modelling decisions (each one is explained where it is implemented):
 *
 *  - Transmission is instantaneous (pl011.h): the TX FIFO is empty, so
 *    FR.TXFE=1, FR.TXFF=0, FR.BUSY=0, and TXIS is set after every byte sent
 *    (tx_out). A DR write with UARTEN or TXE clear is dropped and reported.
 *    The exception is a stopped UARTCLK (hv_pl011_set_uartclk, driven by
 *    the machine's CRU model): characters then wait in the TX FIFO.
 *  - RX: a 32-entry FIFO (LCR_H.FEN=1) or a 1-entry holding register (FEN=0);
 *    entries keep the 4 error flags that DR returns in bits 11:8. RXIS follows
 *    the UARTIFLS trigger level (not QEMU's "any byte" shortcut), RTIS comes
 *    from hv_pl011_rx_idle().
 *  - Loopback (CR.LBE) feeds transmitted bytes to the receiver. It is the only
 *    way a byte can reach a full receiver, so it is the only source of
 *    overruns (rx_overruns); hv_pl011_rx() refuses instead, and its caller
 *    retries.
 *  - Line errors: a framing error comes only from the machine's serial-line
 *    model (hv_pl011_rx_framing_error: DR.FE, RSR.FE once read, FERIS).
 *    Parity and break errors, IrDA, modem-status inputs, hardware
 *    flow control and DMA are not modelled: PE/BE never occur, FR's
 *    CTS/DSR/DCD/RI read 0, UARTDMACR is stored and enabling DMA reports
 *    "unimplemented".
 *  - Access widths: see hv_pl011_read(). Bad accesses read as zero, writes
 *    are ignored, and a guest-error event names them.
 *  - HV_EV_MMIO events carry the offset within the 4 KiB window in `pa`: the
 *    model does not know where the bus put it (the device name says which).
 */
#include "pl011.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PL011_WINDOW     0x1000u
#define PL011_FIFO_DEPTH 32u

/* Register offsets (TRM 3.2, Table 3-1). */
#define PL011_DR    0x000u
#define PL011_RSR   0x004u /* RSR on read, ECR on write */
#define PL011_FR    0x018u
#define PL011_ILPR  0x020u
#define PL011_IBRD  0x024u
#define PL011_FBRD  0x028u
#define PL011_LCR_H 0x02Cu
#define PL011_CR    0x030u
#define PL011_IFLS  0x034u
#define PL011_IMSC  0x038u
#define PL011_RIS   0x03Cu
#define PL011_MIS   0x040u
#define PL011_ICR   0x044u
#define PL011_DMACR 0x048u
/* Registers below this offset may have storage in hv_pl011.reg[]. */
#define PL011_STORE_END 0x04Cu

/* UARTDR read: error flags above the data byte (TRM 3.3.1). */
#define DR_FE (1u << 8)
#define DR_PE (1u << 9)
#define DR_BE (1u << 10)
#define DR_OE (1u << 11)

/* UARTRSR (TRM 3.3.2): the same flags in bits 3:0. */
#define RSR_OE (1u << 3)

/* UARTFR (TRM 3.3.3). */
#define FR_BUSY (1u << 3)
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define FR_RXFF (1u << 6)
#define FR_TXFE (1u << 7)

/* UARTLCR_H (TRM 3.3.7). */
#define LCR_H_FEN (1u << 4)

/* UARTCR (TRM 3.3.8). Bits 6:3 are reserved. */
#define CR_UARTEN (1u << 0)
#define CR_LBE    (1u << 7)
#define CR_TXE    (1u << 8)
#define CR_RXE    (1u << 9)

/* UARTDMACR (TRM 3.3.14). */
#define DMACR_RXDMAE (1u << 0)
#define DMACR_TXDMAE (1u << 1)

/* Interrupt bits, shared by UARTIMSC/RIS/MIS/ICR (TRM 3.3.10-3.3.13). */
#define INT_RX  (1u << 4)
#define INT_TX  (1u << 5)
#define INT_RT  (1u << 6)
#define INT_FE  (1u << 7)
#define INT_OE  (1u << 10)
#define INT_ALL 0x7FFu

enum pl011_access { PL011_R = 1u << 0, PL011_W = 1u << 1, PL011_RW = PL011_R | PL011_W };

struct pl011_reg;
typedef uint32_t (*pl011_read_fn)(struct hv_pl011 *u, const struct pl011_reg *r);
/* val is already shifted into its byte lanes; lanes has 1s in the bytes the
 * access wrote (0xffffffff for a 32-bit access). */
typedef void (*pl011_write_fn)(struct hv_pl011 *u, const struct pl011_reg *r, uint32_t val,
                               uint32_t lanes);

struct pl011_reg {
    uint16_t off;
    const char *name;
    uint8_t access; /* enum pl011_access */
    uint32_t mask;  /* implemented bits; the rest read as zero */
    uint32_t reset; /* reset value (for the ID registers: the constant) */
    pl011_read_fn read;
    pl011_write_fn write;
};

struct hv_pl011 {
    unsigned port;
    char name[32];
    struct hv_pl011_io io;
    struct hv_obs *obs;
    /* Stored registers, indexed by offset / 4 (RSR, ILPR, IBRD, FBRD, LCR_H,
     * CR, IFLS, IMSC, RIS, DMACR). DR, FR, MIS and ICR have no storage. */
    uint32_t reg[PL011_STORE_END / 4];
    /* RX FIFO as a ring: entries are what a DR read returns (data 7:0, error
     * flags 11:8). With FEN=0 at most one entry is used. */
    uint16_t rx_fifo[PL011_FIFO_DEPTH];
    unsigned rx_head, rx_count;
    bool rx_pending_oe; /* an overrun happened: flag the next byte received */
    /* TX FIFO, used only while UARTCLK is stopped (hv_pl011_set_uartclk):
     * otherwise a character leaves as soon as it is written. */
    uint8_t tx_fifo[PL011_FIFO_DEPTH];
    unsigned tx_head, tx_count;
    bool clk_stopped;
    bool irq_level; /* UARTINTR as last reported through io.irq */
    struct hv_pl011_stats st;
};

/* --- reporting ------------------------------------------------------------ */

static void report(struct hv_pl011 *u, enum hv_ev_type t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(struct hv_pl011 *u, enum hv_ev_type t, const char *fmt, ...)
{
    char buf[200];
    va_list ap;

    if (t == HV_EV_GUEST_ERROR)
        u->st.guest_errors++;
    if (!hv_obs_wants(u->obs, t))
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    /* The device does not know the PE state: el/pc 0, as for other devices. */
    hv_obs_text(u->obs, t, 0, 0, "%s: %s", u->name, buf);
}

static void emit_mmio(struct hv_pl011 *u, uint64_t offset, unsigned size, uint64_t value,
                      bool is_write)
{
    struct hv_event ev;

    if (!hv_obs_wants(u->obs, HV_EV_MMIO))
        return;
    memset(&ev, 0, sizeof(ev));
    ev.type = HV_EV_MMIO;
    ev.u.mmio.pa = offset; /* offset within the window, see the top comment */
    ev.u.mmio.value = value;
    ev.u.mmio.device = u->name;
    ev.u.mmio.size = size > UINT8_MAX ? UINT8_MAX : (uint8_t)size;
    ev.u.mmio.is_write = is_write;
    hv_obs_emit(u->obs, &ev);
}

/* UARTINTR is the OR of the masked interrupts (TRM 3.4.6): report changes. */
static void update_irq(struct hv_pl011 *u)
{
    bool level = (u->reg[PL011_RIS / 4] & u->reg[PL011_IMSC / 4]) != 0;

    if (level == u->irq_level)
        return;
    u->irq_level = level;
    if (u->io.irq)
        u->io.irq(u->io.ctx, u->port, level);
}

/* --- receive FIFO ------------------------------------------------------------ */

static bool fifo_enabled(const struct hv_pl011 *u)
{
    return (u->reg[PL011_LCR_H / 4] & LCR_H_FEN) != 0;
}

/* LCR_H.FEN=0 turns the FIFOs into 1-byte holding registers (TRM 3.3.7). */
static unsigned rx_depth(const struct hv_pl011 *u)
{
    return fifo_enabled(u) ? PL011_FIFO_DEPTH : 1;
}

/* The RX trigger level: UARTIFLS.RXIFLSEL (bits 5:3) selects "becomes >= 1/8,
 * 1/4, 1/2, 3/4, 7/8 full" (TRM 3.3.9); without FIFOs, one byte fills the
 * holding register (TRM 3.4.2). The reserved encodings b101-b111 act as the
 * reset value, 1/2 (a guest error is reported when they are written).
 *
 * QEMU instead raises RXIS on every byte, because Linux only drains the FIFO
 * on an interrupt. We follow the TRM: bytes below the trigger level are
 * reported by RTIS, which the machine raises through hv_pl011_rx_idle(). */
static unsigned rx_trigger(const struct hv_pl011 *u)
{
    static const uint8_t level[8] = {4, 8, 16, 24, 28, 16, 16, 16};

    if (!fifo_enabled(u))
        return 1;
    return level[(u->reg[PL011_IFLS / 4] >> 3) & 7];
}

static void rx_flush(struct hv_pl011 *u)
{
    u->rx_head = 0;
    u->rx_count = 0;
    u->rx_pending_oe = false;
    /* An empty FIFO cannot be at its trigger level or time out (TRM 3.4.2,
     * 3.4.4). */
    u->reg[PL011_RIS / 4] &= ~(INT_RX | INT_RT);
}

static bool receiver_enabled(const struct hv_pl011 *u)
{
    uint32_t cr = u->reg[PL011_CR / 4];

    /* TRM 3.3.8: reception needs both UARTEN and RXE. */
    return (cr & CR_UARTEN) && (cr & CR_RXE);
}

/* A character arrives at the receive FIFO (from the line or from loopback),
 * with the error flags of DR bits 11:8 the line gave it (DR_FE). The caller
 * has checked that the receiver is enabled. */
static bool rx_put(struct hv_pl011 *u, uint8_t byte, uint16_t flags)
{
    uint16_t entry = byte | flags;

    if (u->rx_count >= rx_depth(u)) {
        /* Overrun (TRM 3.3.1/3.3.2): the FIFO keeps its contents, the new
         * character is lost, RSR.OE and OEIS are set at once, and DR.OE flags
         * the next character that gets into the FIFO. */
        u->reg[PL011_RSR / 4] |= RSR_OE;
        u->reg[PL011_RIS / 4] |= INT_OE;
        u->rx_pending_oe = true;
        u->st.rx_overruns++;
        update_irq(u);
        return false;
    }
    if (u->rx_pending_oe)
        entry |= DR_OE;
    u->rx_pending_oe = false;
    u->rx_fifo[(u->rx_head + u->rx_count) % PL011_FIFO_DEPTH] = entry;
    u->rx_count++;
    u->st.rx_bytes++;
    /* TRM 3.3.10-3.3.11: FERIS is raised when the character with a framing
     * error is received (QEMU's pl011 does not model it). */
    if (flags & DR_FE)
        u->reg[PL011_RIS / 4] |= INT_FE;
    /* RXIS is set when the fill *reaches* the trigger level (TRM 3.4.2): on
     * the transition, as QEMU does, so an ICR write stays effective while
     * more bytes arrive above the level (RTIS reports those). */
    if (u->rx_count == rx_trigger(u))
        u->reg[PL011_RIS / 4] |= INT_RX;
    update_irq(u);
    return true;
}

/* --- register effects ------------------------------------------------------- */

static uint32_t merge(uint32_t old, uint32_t val, uint32_t lanes)
{
    return (old & ~lanes) | (val & lanes);
}

static uint32_t rd_store(struct hv_pl011 *u, const struct pl011_reg *r)
{
    return u->reg[r->off / 4];
}

static void wr_store(struct hv_pl011 *u, const struct pl011_reg *r, uint32_t val, uint32_t lanes)
{
    /* Reserved bits are "do not modify, read as zero" (TRM 3.3): drop them. */
    u->reg[r->off / 4] = merge(u->reg[r->off / 4], val, lanes) & r->mask;
}

static uint32_t rd_const(struct hv_pl011 *u, const struct pl011_reg *r)
{
    (void)u;
    return r->reset;
}

/* UARTDR read (TRM 3.3.1): pop the oldest character with its error flags.
 * The TRM leaves the value read from an empty FIFO unspecified, and QEMU
 * returns a stale entry; we return 0. It is not reported as a guest error:
 * drivers legitimately read DR to drain it, and the value is harmless. */
static uint32_t rd_dr(struct hv_pl011 *u, const struct pl011_reg *r)
{
    uint16_t v;

    (void)r;
    if (u->rx_count == 0)
        return 0;
    v = u->rx_fifo[u->rx_head];
    u->rx_head = (u->rx_head + 1) % PL011_FIFO_DEPTH;
    u->rx_count--;
    /* TRM 3.3.2: RSR holds the error status of the character just read; the
     * bits stay set until a write to ECR. */
    u->reg[PL011_RSR / 4] |= (v >> 8) & 0xFu;
    /* RXIS clears once the fill drops below the trigger level (TRM 3.4.2),
     * RTIS once the FIFO is empty (TRM 3.4.4). */
    if (u->rx_count < rx_trigger(u))
        u->reg[PL011_RIS / 4] &= ~INT_RX;
    if (u->rx_count == 0)
        u->reg[PL011_RIS / 4] &= ~INT_RT;
    update_irq(u);
    return v;
}

static void tx_out(struct hv_pl011 *u, uint8_t byte);

/* Transmit one byte. TRM 3.3.8: transmission needs UARTEN and TXE. */
static void tx_byte(struct hv_pl011 *u, uint8_t byte)
{
    uint32_t cr = u->reg[PL011_CR / 4];

    if (!(cr & CR_UARTEN) || !(cr & CR_TXE)) {
        /* Real hardware would queue the byte in the TX FIFO until the
         * transmitter is enabled; with an instantaneous transmitter there is
         * no FIFO to hold it, so it is dropped and the guest is told. */
        report(u, HV_EV_GUEST_ERROR, "DR write while transmitter disabled (CR=0x%" PRIx32 ")", cr);
        return;
    }
    if (u->clk_stopped) {
        /* Without UARTCLK the transmitter does not shift: the character
         * waits in the TX FIFO (FR.BUSY, FR.TXFF when full) and leaves when
         * the clock returns. A write to a full FIFO is lost (TRM 3.3.1). */
        if (u->tx_count >= (fifo_enabled(u) ? PL011_FIFO_DEPTH : 1u)) {
            report(u, HV_EV_GUEST_ERROR,
                   "DR write with the TX FIFO full (UARTCLK stopped): character lost");
            return;
        }
        u->tx_fifo[(u->tx_head + u->tx_count) % PL011_FIFO_DEPTH] = byte;
        u->tx_count++;
        return;
    }
    tx_out(u, byte);
}

/* The character leaves the transmitter (UARTCLK running). */
static void tx_out(struct hv_pl011 *u, uint8_t byte)
{
    uint32_t cr = u->reg[PL011_CR / 4];

    if (cr & CR_LBE) {
        /* TRM 3.3.8 LBE: UARTTXD is fed to the receive path instead of the
         * line, so the byte does not leave the UART. A disabled receiver
         * loses it; a full one overruns. */
        if (receiver_enabled(u))
            rx_put(u, byte, 0);
    } else {
        u->st.tx_bytes++;
        if (hv_obs_wants(u->obs, HV_EV_UART_TX)) {
            struct hv_event ev;
            memset(&ev, 0, sizeof(ev));
            ev.type = HV_EV_UART_TX;
            ev.u.uart.port = (uint8_t)u->port;
            ev.u.uart.byte = byte;
            hv_obs_emit(u->obs, &ev);
        }
        if (u->io.tx)
            u->io.tx(u->io.ctx, u->port, byte);
    }
    /* TXIS (TRM 3.4.3) is set when the TX FIFO level falls to the trigger
     * level or below (FEN=1), or when the holding register empties (FEN=0),
     * and is cleared by writes that fill it above the level, or by ICR. The
     * TRM notes it is based on that transition, not on the level: enabling
     * the UART with an empty FIFO does not set it. Our byte enters and leaves
     * the FIFO within this write, so every transmitted byte is such a
     * transition and leaves TXIS set; only ICR clears it. This is what
     * Linux's amba-pl011 relies on: it fills the FIFO, then unmasks TXIM and
     * waits for TXIS. QEMU sets TXIS on every DR write too. */
    u->reg[PL011_RIS / 4] |= INT_TX;
    update_irq(u);
}

static void wr_dr(struct hv_pl011 *u, const struct pl011_reg *r, uint32_t val, uint32_t lanes)
{
    (void)r;
    /* The character is DR bits 7:0 (TRM 3.3.1): a narrow write that does not
     * cover them carries no character. */
    if (!(lanes & 0xFFu)) {
        report(u, HV_EV_GUEST_ERROR, "DR write to bits 31:8 only, nothing sent");
        return;
    }
    tx_byte(u, (uint8_t)val);
}

/* UARTECR (TRM 3.3.2): any write clears the four error bits of UARTRSR. */
static void wr_ecr(struct hv_pl011 *u, const struct pl011_reg *r, uint32_t val, uint32_t lanes)
{
    (void)r;
    (void)val;
    (void)lanes;
    u->reg[PL011_RSR / 4] = 0;
}

/* UARTFR (TRM 3.3.3). Transmission being instantaneous, the TX FIFO is
 * empty and the UART not busy unless UARTCLK is stopped with characters
 * waiting. CTS/DSR/DCD/RI (modem inputs) read 0. */
static uint32_t rd_fr(struct hv_pl011 *u, const struct pl011_reg *r)
{
    uint32_t fr = u->tx_count ? FR_BUSY : FR_TXFE;

    (void)r;
    if (u->tx_count >= (fifo_enabled(u) ? PL011_FIFO_DEPTH : 1u))
        fr |= FR_TXFF;
    if (u->rx_count == 0)
        fr |= FR_RXFE;
    if (u->rx_count >= rx_depth(u))
        fr |= FR_RXFF;
    return fr;
}

static void wr_lcr_h(struct hv_pl011 *u, const struct pl011_reg *r, uint32_t val, uint32_t lanes)
{
    uint32_t old = u->reg[PL011_LCR_H / 4];

    wr_store(u, r, val, lanes);
    /* The TRM's CR programming sequence (TRM 3.3.8) flushes the transmit FIFO
     * by clearing FEN; we flush both FIFOs on any FEN change, as QEMU does,
     * which also keeps the RX fill within the new depth. BRK (send break) is
     * not modelled. */
    if ((old ^ u->reg[PL011_LCR_H / 4]) & LCR_H_FEN) {
        rx_flush(u);
        u->tx_count = 0;
        update_irq(u);
    }
}

static void wr_ifls(struct hv_pl011 *u, const struct pl011_reg *r, uint32_t val, uint32_t lanes)
{
    uint32_t v;

    wr_store(u, r, val, lanes);
    v = u->reg[PL011_IFLS / 4];
    /* TRM 3.3.9: b101-b111 are reserved in both fields. The bits are kept (the
     * register reads back what was written) but act as 1/2 (rx_trigger). The
     * new level takes effect on the next FIFO transition. */
    if ((v & 7) > 4 || ((v >> 3) & 7) > 4)
        report(u, HV_EV_GUEST_ERROR, "IFLS=0x%" PRIx32 " uses a reserved trigger level", v);
}

static void wr_imsc(struct hv_pl011 *u, const struct pl011_reg *r, uint32_t val, uint32_t lanes)
{
    wr_store(u, r, val, lanes);
    update_irq(u);
}

static uint32_t rd_mis(struct hv_pl011 *u, const struct pl011_reg *r)
{
    (void)r;
    /* TRM 3.3.12: the masked status is RIS AND IMSC. */
    return u->reg[PL011_RIS / 4] & u->reg[PL011_IMSC / 4];
}

static void wr_icr(struct hv_pl011 *u, const struct pl011_reg *r, uint32_t val, uint32_t lanes)
{
    /* TRM 3.3.13: writing 1 clears the interrupt, 0 has no effect. */
    u->reg[PL011_RIS / 4] &= ~(val & lanes & r->mask);
    update_irq(u);
}

static void wr_dmacr(struct hv_pl011 *u, const struct pl011_reg *r, uint32_t val, uint32_t lanes)
{
    wr_store(u, r, val, lanes);
    if (u->reg[PL011_DMACR / 4] & (DMACR_RXDMAE | DMACR_TXDMAE))
        report(u, HV_EV_UNIMPL, "DMA is not implemented (DMACR=0x%" PRIx32 ")",
               u->reg[PL011_DMACR / 4]);
}

/* The register map, sorted by offset (TRM 3.2, Table 3-1). Offsets 0x008-
 * 0x014, 0x01C, 0x04C-0x07C, 0x080-0x08C (test registers), 0x090-0xFCC and
 * 0xFD0-0xFDC (future ID expansion) are reserved and absent here.
 *
 * The ID registers (TRM 3.3.15, 3.3.16) are QEMU's "arm,pl011" values, so
 * PeriphID = 0x00141011: part 0x011, designer 0x41 (ARM), revision 1. Linux's
 * AMBA bus binds amba-pl011 on (PeriphID & 0x000FFFFF) == 0x00041011, and
 * needs CellID = 0xB105F00D to accept a PrimeCell at all. (Later revisions,
 * r1p5 included, report a higher PeriphID2[7:4]; the match ignores it.) */
static const struct pl011_reg pl011_regs[] = {
    {.off = PL011_DR,
     .name = "DR",
     .access = PL011_RW,
     .mask = 0xFFF,
     .read = rd_dr,
     .write = wr_dr},
    {.off = PL011_RSR,
     .name = "RSR/ECR",
     .access = PL011_RW,
     .mask = 0xF,
     .read = rd_store,
     .write = wr_ecr},
    {.off = PL011_FR, .name = "FR", .access = PL011_R, .mask = 0x1FF, .read = rd_fr},
    {.off = PL011_ILPR,
     .name = "ILPR",
     .access = PL011_RW,
     .mask = 0xFF,
     .read = rd_store,
     .write = wr_store},
    {.off = PL011_IBRD,
     .name = "IBRD",
     .access = PL011_RW,
     .mask = 0xFFFF,
     .read = rd_store,
     .write = wr_store},
    {.off = PL011_FBRD,
     .name = "FBRD",
     .access = PL011_RW,
     .mask = 0x3F,
     .read = rd_store,
     .write = wr_store},
    {.off = PL011_LCR_H,
     .name = "LCR_H",
     .access = PL011_RW,
     .mask = 0xFF,
     .read = rd_store,
     .write = wr_lcr_h},
    {.off = PL011_CR,
     .name = "CR",
     .access = PL011_RW,
     .mask = 0xFF87,
     .reset = 0x300,
     .read = rd_store,
     .write = wr_store},
    {.off = PL011_IFLS,
     .name = "IFLS",
     .access = PL011_RW,
     .mask = 0x3F,
     .reset = 0x12,
     .read = rd_store,
     .write = wr_ifls},
    {.off = PL011_IMSC,
     .name = "IMSC",
     .access = PL011_RW,
     .mask = INT_ALL,
     .read = rd_store,
     .write = wr_imsc},
    {.off = PL011_RIS, .name = "RIS", .access = PL011_R, .mask = INT_ALL, .read = rd_store},
    {.off = PL011_MIS, .name = "MIS", .access = PL011_R, .mask = INT_ALL, .read = rd_mis},
    {.off = PL011_ICR, .name = "ICR", .access = PL011_W, .mask = INT_ALL, .write = wr_icr},
    {.off = PL011_DMACR,
     .name = "DMACR",
     .access = PL011_RW,
     .mask = 0x7,
     .read = rd_store,
     .write = wr_dmacr},
    {.off = 0xFE0,
     .name = "PeriphID0",
     .access = PL011_R,
     .mask = 0xFF,
     .reset = 0x11,
     .read = rd_const},
    {.off = 0xFE4,
     .name = "PeriphID1",
     .access = PL011_R,
     .mask = 0xFF,
     .reset = 0x10,
     .read = rd_const},
    {.off = 0xFE8,
     .name = "PeriphID2",
     .access = PL011_R,
     .mask = 0xFF,
     .reset = 0x14,
     .read = rd_const},
    {.off = 0xFEC,
     .name = "PeriphID3",
     .access = PL011_R,
     .mask = 0xFF,
     .reset = 0x00,
     .read = rd_const},
    {.off = 0xFF0,
     .name = "PCellID0",
     .access = PL011_R,
     .mask = 0xFF,
     .reset = 0x0D,
     .read = rd_const},
    {.off = 0xFF4,
     .name = "PCellID1",
     .access = PL011_R,
     .mask = 0xFF,
     .reset = 0xF0,
     .read = rd_const},
    {.off = 0xFF8,
     .name = "PCellID2",
     .access = PL011_R,
     .mask = 0xFF,
     .reset = 0x05,
     .read = rd_const},
    {.off = 0xFFC,
     .name = "PCellID3",
     .access = PL011_R,
     .mask = 0xFF,
     .reset = 0xB1,
     .read = rd_const},
};

#define PL011_NREGS (sizeof(pl011_regs) / sizeof(pl011_regs[0]))

static int reg_cmp(const void *key, const void *elem)
{
    uint64_t off = *(const uint64_t *)key;
    const struct pl011_reg *r = elem;

    return off < r->off ? -1 : off > r->off ? 1 : 0;
}

static const struct pl011_reg *find_reg(uint64_t off)
{
    return bsearch(&off, pl011_regs, PL011_NREGS, sizeof(pl011_regs[0]), reg_cmp);
}

/* --- MMIO ----------------------------------------------------------------- */

static uint32_t size_mask(unsigned size)
{
    return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

/* Validate an access before acting on it. Returns the register, or NULL
 * (after reporting the guest error) if the access is to be ignored. */
static const struct pl011_reg *decode(struct hv_pl011 *u, uint64_t offset, unsigned size,
                                      bool is_write)
{
    const char *what = is_write ? "write" : "read";
    const struct pl011_reg *r;

    if (size != 1 && size != 2 && size != 4) {
        report(u, HV_EV_GUEST_ERROR, "%u-byte %s at offset 0x%" PRIx64 " (registers are 32-bit)",
               size, what, offset);
        return NULL;
    }
    if (offset % size) {
        report(u, HV_EV_GUEST_ERROR, "misaligned %u-byte %s at offset 0x%" PRIx64, size, what,
               offset);
        return NULL;
    }
    if (offset >= PL011_WINDOW) {
        report(u, HV_EV_GUEST_ERROR, "%s at offset 0x%" PRIx64 " outside the 4 KiB window", what,
               offset);
        return NULL;
    }
    r = find_reg(offset & ~(uint64_t)3);
    if (!r) {
        report(u, HV_EV_GUEST_ERROR, "%s of reserved offset 0x%03" PRIx64, what, offset);
        return NULL;
    }
    if (!(r->access & (is_write ? PL011_W : PL011_R))) {
        report(u, HV_EV_GUEST_ERROR, "%s of %s-only register %s", what, is_write ? "read" : "write",
               r->name);
        return NULL;
    }
    return r;
}

/* Widths. The PL011 sits on APB, whose transfers are 32 bits wide with no
 * byte strobes (APB2), so on hardware a narrow access is a whole-register
 * access with the data on the matching byte lanes. We serve 8-, 16- and 32-bit
 * accesses aligned to their size without a guest error, because real software
 * uses them: Linux's "pl011" earlycon writes DR with writeb() (mmio32 only
 * with iotype UPIO_MEM32) and bare-metal code reads FR with LDRB. QEMU serves
 * 1..4 bytes too (its memory core widens them to 32 bits).
 *  - A narrow read performs the register's full read, side effects included
 *    (a byte read of DR pops the FIFO, as on the bus), and returns its lanes.
 *  - A narrow write changes only its lanes of a stored register; the others
 *    keep their value. A DR write sends a character only if it covers bits
 *    7:0; ICR clears only the bits written as 1; any ECR write clears RSR.
 * 64-bit, other sizes and misaligned accesses are guest errors: RAZ/WI. */
uint64_t hv_pl011_read(void *opaque, uint64_t offset, unsigned size)
{
    struct hv_pl011 *u = opaque;
    const struct pl011_reg *r = decode(u, offset, size, false);
    uint64_t v = 0;

    if (r) {
        unsigned shift = 8 * (unsigned)(offset & 3);
        v = ((r->read(u, r) & r->mask) >> shift) & size_mask(size);
    }
    /* Reads are reported after the fact, with the value read. */
    emit_mmio(u, offset, size, v, false);
    return v;
}

void hv_pl011_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct hv_pl011 *u = opaque;
    const struct pl011_reg *r;

    /* Writes are reported before their effects (UART_TX, guest errors). */
    emit_mmio(u, offset, size, value, true);
    r = decode(u, offset, size, true);
    if (r) {
        unsigned shift = 8 * (unsigned)(offset & 3);
        uint32_t lanes = size_mask(size) << shift;
        r->write(u, r, ((uint32_t)value & size_mask(size)) << shift, lanes);
    }
}

/* --- the device --------------------------------------------------------------- */

struct hv_pl011 *hv_pl011_create(unsigned port, const char *name, const struct hv_pl011_io *io,
                                 struct hv_obs *obs)
{
    struct hv_pl011 *u;

    /* bsearch needs the table sorted, and decode() trusts the access flags:
     * check both, like KVM's sys_regs table check. */
    for (size_t i = 0; i < PL011_NREGS; i++) {
        assert(i == 0 || pl011_regs[i - 1].off < pl011_regs[i].off);
        assert(!(pl011_regs[i].access & PL011_R) == !pl011_regs[i].read);
        assert(!(pl011_regs[i].access & PL011_W) == !pl011_regs[i].write);
    }

    u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    u->port = port;
    snprintf(u->name, sizeof(u->name), "%s", name ? name : "pl011");
    if (io)
        u->io = *io;
    u->obs = obs;
    hv_pl011_reset(u);
    return u;
}

void hv_pl011_destroy(struct hv_pl011 *u)
{
    free(u);
}

/* Reset values (TRM 3.2, Table 3-1): CR 0x300 (TXE, RXE), IFLS 0x12 (1/2 and
 * 1/2), everything else 0; FIFOs empty. UARTINTR drops if it was high. The
 * statistics are counters for the whole run and survive a reset. */
void hv_pl011_reset(struct hv_pl011 *u)
{
    memset(u->reg, 0, sizeof(u->reg));
    for (size_t i = 0; i < PL011_NREGS; i++)
        if (pl011_regs[i].off < PL011_STORE_END)
            u->reg[pl011_regs[i].off / 4] = pl011_regs[i].reset;
    rx_flush(u);
    u->tx_head = u->tx_count = 0;
    update_irq(u);
}

/* UARTCLK stops or runs again (the machine's CRU model). Characters held in
 * the TX FIFO leave, in order, when it runs. */
void hv_pl011_set_uartclk(struct hv_pl011 *u, bool running)
{
    u->clk_stopped = !running;
    while (running && u->tx_count) {
        uint8_t b = u->tx_fifo[u->tx_head];
        u->tx_head = (u->tx_head + 1) % PL011_FIFO_DEPTH;
        u->tx_count--;
        tx_out(u, b);
    }
}

bool hv_pl011_rx_ready(const struct hv_pl011 *u)
{
    /* In loopback the receiver listens to the transmitter only (TRM 3.3.8
     * LBE): the line's byte waits with the caller until LBE is cleared. */
    return receiver_enabled(u) && !(u->reg[PL011_CR / 4] & CR_LBE) && u->rx_count < rx_depth(u);
}

bool hv_pl011_rx(struct hv_pl011 *u, uint8_t byte)
{
    if (!hv_pl011_rx_ready(u))
        return false;
    return rx_put(u, byte, 0);
}

/* RTIS (TRM 3.4.4): the FIFO is not empty and nothing arrived for 32 bit
 * periods. It stays set until the FIFO is emptied or ICR clears it. */
void hv_pl011_rx_idle(struct hv_pl011 *u)
{
    if (u->rx_count == 0)
        return;
    u->reg[PL011_RIS / 4] |= INT_RT;
    update_irq(u);
}

void hv_pl011_stats(const struct hv_pl011 *u, struct hv_pl011_stats *s)
{
    *s = u->st;
}

void hv_pl011_line(const struct hv_pl011 *u, uint32_t *ibrd, uint32_t *fbrd, uint32_t *lcr_h)
{
    *ibrd = u->reg[PL011_IBRD / 4];
    *fbrd = u->reg[PL011_FBRD / 4];
    *lcr_h = u->reg[PL011_LCR_H / 4];
}

bool hv_pl011_rx_framing_error(struct hv_pl011 *u, uint8_t byte)
{
    if (!hv_pl011_rx_ready(u))
        return false;
    return rx_put(u, byte, DR_FE);
}
