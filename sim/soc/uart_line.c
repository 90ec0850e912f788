/* hvsim: a serial line with mismatched bit clocks. See uart_line.h. */
#include "uart_line.h"

/* The level of transmitted bit j. */
static int level(uint8_t byte, const struct hv_line_frame *f, uint64_t j)
{
    if (j == 0)
        return 0; /* start bit */
    if (j <= f->data_bits)
        return (byte >> (j - 1)) & 1;
    if (f->parity && j == f->data_bits + 1u) {
        unsigned ones = 0;
        for (unsigned i = 0; i < f->data_bits; i++)
            ones += (byte >> i) & 1;
        /* Even parity: the parity bit makes the count of ones even. */
        return f->even ? (int)(ones & 1) : (int)(~ones & 1);
    }
    return 1; /* stop bits, then the idle line */
}

enum hv_line_result hv_line_char(uint8_t byte, const struct hv_line_frame *f,
                                 struct hv_line_rate tx, struct hv_line_rate rx, uint8_t *out)
{
    uint8_t got = 0;

    *out = 0;
    /* Sample k reads transmitted bit floor((2k + 1) tx / (2 rx)), with
     * tx = tx.num / tx.den and rx = rx.num / rx.den. */
    unsigned __int128 scale_num = (unsigned __int128)tx.num * rx.den;
    unsigned __int128 scale_den = (unsigned __int128)2 * tx.den * rx.num;
    for (unsigned k = 0; k <= 9; k++) {
        uint64_t j = (uint64_t)(((unsigned __int128)(2 * k + 1) * scale_num) / scale_den);
        int b = level(byte, f, j);
        if (k == 0 && b)
            return HV_LINE_NOSTART;
        if (k >= 1 && k <= 8)
            got |= (uint8_t)(b << (k - 1));
        if (k == 9) {
            *out = got;
            if (!b)
                return HV_LINE_FRAMING;
        }
    }
    return got == byte && f->data_bits == 8 ? HV_LINE_OK : HV_LINE_GARBLED;
}

struct hv_line_rate hv_line_pl011_rate(uint64_t uartclk_hz, uint32_t ibrd, uint32_t fbrd)
{
    struct hv_line_rate r = {0, 0};

    /* TRM 3.3.6: BAUDDIV = UARTCLK / (16 x baud) = IBRD + FBRD / 64, so
     * baud = UARTCLK x 4 / (64 IBRD + FBRD). IBRD = 0 is invalid (no
     * transmission); FBRD is then ignored. */
    if ((ibrd & 0xffff) == 0 || uartclk_hz == 0)
        return r;
    r.num = uartclk_hz * 4;
    r.den = 64ull * (ibrd & 0xffff) + (fbrd & 0x3f);
    return r;
}

struct hv_line_frame hv_line_pl011_frame(uint32_t lcr_h)
{
    struct hv_line_frame f;
    f.data_bits = 5 + ((lcr_h >> 5) & 3);
    f.parity = (lcr_h >> 1) & 1;
    f.even = (lcr_h >> 2) & 1;
    f.two_stop = (lcr_h >> 3) & 1;
    return f;
}
