/* hvsim: a serial line between two ends whose bit clocks may differ.
 *
 * A character leaves the transmitter as a waveform (start bit 0, data bits
 * LSB first, optional parity, stop bits 1, then the idle level 1), one bit
 * every 1/tx_rate seconds. The receiver, an 8N1 UART at rx_rate, finds the
 * falling edge of the start bit and samples the line in the middle of each
 * of its own bit periods (PL011 TRM 3.4.1 describes the receiver's
 * mid-bit sampling with 16x oversampling; we sample at the exact middle).
 * Sample k (0 = start, 1..8 = data, 9 = stop) therefore reads transmitted
 * bit floor((k + 0.5) * tx_rate / rx_rate).
 *
 * With equal rates every sample reads its own bit. The stop sample still
 * lands inside the transmitted stop bit while 9 <= 9.5 r < 10, r being
 * tx_rate / rx_rate: the tolerance is about -5.3% .. +5.2%. Beyond it the
 * character is garbled (data samples read the wrong bits) or has a framing
 * error (the stop sample reads 0), or the start sample reads 1 and the
 * receiver never sees a character. All of it is integer arithmetic:
 * deterministic.
 *
 * Rates are rationals num/den bits per second, so that a PL011's
 * UARTCLK / (16 x (IBRD + FBRD/64)) = UARTCLK x 4 / (64 IBRD + FBRD) is
 * exact.
 */
#ifndef HV_UART_LINE_H
#define HV_UART_LINE_H

#include <stdbool.h>
#include <stdint.h>

struct hv_line_frame {
    unsigned data_bits; /* 5..8 */
    bool parity;        /* a parity bit follows the data */
    bool even;          /* even parity (else odd) */
    bool two_stop;      /* two stop bits */
};

struct hv_line_rate {
    uint64_t num, den; /* bits per second = num / den; den != 0 */
};

enum hv_line_result {
    HV_LINE_OK,      /* received as sent */
    HV_LINE_GARBLED, /* received, with another value */
    HV_LINE_FRAMING, /* the stop sample read 0: framing error */
    HV_LINE_NOSTART, /* the start sample read 1: no character seen */
};

/* One character from a transmitter with frame *f at tx to an 8N1 receiver
 * at rx. *out gets the byte received (HV_LINE_OK, GARBLED, FRAMING). */
enum hv_line_result hv_line_char(uint8_t byte, const struct hv_line_frame *f,
                                 struct hv_line_rate tx, struct hv_line_rate rx, uint8_t *out);

/* The PL011's bit rate from UARTCLK and the divisor (TRM 3.3.6). den is 0
 * (no rate) when IBRD is 0. */
struct hv_line_rate hv_line_pl011_rate(uint64_t uartclk_hz, uint32_t ibrd, uint32_t fbrd);

/* The frame a PL011's UARTLCR_H describes (TRM 3.3.7: WLEN 6:5, STP2 3,
 * EPS 2, PEN 1). */
struct hv_line_frame hv_line_pl011_frame(uint32_t lcr_h);

#endif
