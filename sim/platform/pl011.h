/* hvsim: ARM PrimeCell UART (PL011), as in the "PrimeCell UART (PL011)
 * Technical Reference Manual" r1p5 (ARM DDI 0183G).
 *
 * Registers: DR, RSR/ECR, FR, ILPR, IBRD, FBRD, LCR_H, CR, IFLS, IMSC, RIS,
 * MIS, ICR, DMACR and the PrimeCell/peripheral ID registers at 0xFE0-0xFFC
 * (Linux's AMBA bus probes them). 32-entry TX and RX FIFOs (LCR_H.FEN), or
 * 1-entry holding registers when FIFOs are disabled. Interrupts: RX, TX, RT
 * (receive timeout) and the error bits, combined into one level output.
 *
 * Transmission is instantaneous in virtual time: a byte written to DR while
 * CR.UARTEN and CR.TXE are set leaves through the tx callback at once, so TX
 * never fills, unless UARTCLK is stopped (hv_pl011_set_uartclk). The line
 * rate is modelled by the machine (sim/soc/uart_line.h, docs/soc.md).
 *
 * A guest's bad access (unknown offset, wrong width) reads as zero / ignores
 * the write and emits a guest-error event; it never crashes.
 */
#ifndef HV_PL011_H
#define HV_PL011_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/observer.h"

struct hv_pl011;

struct hv_pl011_io {
    void *ctx;
    /* A byte left the transmitter. */
    void (*tx)(void *ctx, unsigned port, uint8_t byte);
    /* The combined interrupt output changed level (UARTINTR). NULL: not
     * wired (no interrupt controller yet). */
    void (*irq)(void *ctx, unsigned port, bool level);
};

struct hv_pl011 *hv_pl011_create(unsigned port, const char *name, const struct hv_pl011_io *io,
                                 struct hv_obs *obs);
void hv_pl011_destroy(struct hv_pl011 *u);
void hv_pl011_reset(struct hv_pl011 *u);

/* MMIO, offset within the 4 KiB window. Sizes 1, 2, 4 and 8 are accepted by
 * the bus; the PL011 registers are 32-bit. 8- and 16-bit accesses aligned to
 * their size are served without complaint (Linux's earlycon writes DR with
 * writeb): a narrow read returns that part of the register (with the full
 * read's side effects, as on APB), a narrow write changes only its bytes.
 * 64-bit, other sizes, misaligned and reserved accesses are guest errors:
 * read as zero, write ignored. The HV_EV_MMIO events the model emits carry
 * the offset, not the absolute address, in u.mmio.pa. */
uint64_t hv_pl011_read(void *u, uint64_t offset, unsigned size);
void hv_pl011_write(void *u, uint64_t offset, unsigned size, uint64_t value);

/* Deliver a received byte. Returns false (byte not taken) if the receiver is
 * disabled or its FIFO is full: the caller keeps it and retries later. */
bool hv_pl011_rx(struct hv_pl011 *u, uint8_t byte);
/* The same for a character whose stop bit was 0 (the machine's serial-line
 * model, sim/soc/uart_line.h): it enters the FIFO with DR.FE set and raises
 * FERIS (TRM 3.3.1, 3.3.11). */
bool hv_pl011_rx_framing_error(struct hv_pl011 *u, uint8_t byte);
/* Whether hv_pl011_rx would take a byte now. */
bool hv_pl011_rx_ready(const struct hv_pl011 *u);

/* The receive-timeout interrupt (RTIS) fires when the RX FIFO is not empty
 * and nothing arrived for 32 bit periods. The machine calls this when that
 * much virtual time has passed since the last byte. */
void hv_pl011_rx_idle(struct hv_pl011 *u);

/* UARTCLK stops (running = false) or runs again. Without it nothing is
 * transmitted: characters written wait in the TX FIFO (32 entries, 1 with
 * FEN = 0; FR.BUSY, FR.TXFF) and leave in order when it runs again; a
 * write to a full FIFO is lost. A reset empties the FIFO. Only the
 * machine's CRU model stops the clock; it runs from creation. */
void hv_pl011_set_uartclk(struct hv_pl011 *u, bool running);

/* The line settings the machine's serial-line model needs (TRM 3.3.6,
 * 3.3.7): IBRD, FBRD and LCR_H as stored, without side effects or events. */
void hv_pl011_line(const struct hv_pl011 *u, uint32_t *ibrd, uint32_t *fbrd, uint32_t *lcr_h);

/* Counters for the end-of-run summary (kept across hv_pl011_reset).
 * rx_overruns only counts loopback (CR.LBE) bytes that met a full FIFO:
 * hv_pl011_rx refuses instead of overrunning. */
struct hv_pl011_stats {
    uint64_t tx_bytes, rx_bytes, rx_overruns, guest_errors;
};
void hv_pl011_stats(const struct hv_pl011 *u, struct hv_pl011_stats *s);

#endif
