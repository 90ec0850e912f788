/* hvsim: the machine's SoC side (internal to sim/platform). It owns the
 * CRU/GRF model (sim/soc/soc.h) and the I2C controller, maps their windows,
 * and puts the devices that depend on the CRU and GRF (uart1..uart3, i2c0;
 * hv_platform_soc_dev) behind them:
 *  - register accesses need the bus clock (else RAZ/WI and a guest error)
 *    and, for writes, the device out of reset (else ignored, guest error);
 *  - entering reset resets the device;
 *  - a UART's characters cross a serial line (sim/soc/uart_line.h) whose
 *    transmitter runs at the CRU clock and the PL011 divisor, and whose
 *    receiver, the attached terminal, expects the configured rate;
 *  - the I2C controller gets its clock and pin routing.
 * docs/soc.md describes the effects. uart0, the console, is never affected.
 */
#ifndef HV_MACHINE_SOC_H
#define HV_MACHINE_SOC_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/clock.h"
#include "../common/hv_err.h"
#include "../common/observer.h"
#include "../cpu_el2/cpu.h"
#include "../gic/gic.h"
#include "../soc/soc.h"
#include "pl011.h"
#include "platform.h"

struct hv_msoc;

struct hv_msoc_env {
    struct hv_cpu *cpu;
    struct hv_gic *gic; /* may be NULL */
    struct hv_obs *obs;
    const struct hv_clock *clock;
    const struct hv_platform *plat;
    uint32_t line_baud; /* the rate the attached terminals use (8N1) */
};

/* NULL in *out (and 0) if the platform has no CRU and GRF. */
int hv_msoc_create(struct hv_msoc **out, const struct hv_msoc_env *env, struct hv_err *err);
void hv_msoc_destroy(struct hv_msoc *s);

/* Whether the SoC side maps this platform device itself (cru, grf, i2c0). */
bool hv_msoc_maps(const struct hv_msoc *s, const struct hv_plat_dev *pd);

/* A UART is being set up: if it depends on the CRU/GRF, the MMIO callbacks are
 * replaced (rd, wr, ctx) by the gated accessors, and the boot ROM's divisor (115200 at
 * 24 MHz, 8N1 with FIFOs) is programmed. */
void hv_msoc_attach_uart(struct hv_msoc *s, unsigned port, const struct hv_plat_dev *pd,
                         struct hv_pl011 *pl, hv_mmio_read_fn *rd, hv_mmio_write_fn *wr,
                         void **ctx);

/* A byte left UART `port`'s transmitter. Returns true and sets *out if a
 * character reaches the terminal (possibly garbled); false if nothing does.
 * Ports that do not depend on the CRU pass unchanged. */
bool hv_msoc_uart_tx(struct hv_msoc *s, unsigned port, uint8_t byte, uint8_t *out);

/* A byte from the terminal reaches UART `port`'s pin. */
enum hv_msoc_rx {
    HV_MSOC_RX_LOST,    /* the receiver gets nothing */
    HV_MSOC_RX_OK,      /* it gets *out (possibly garbled) */
    HV_MSOC_RX_FRAMING, /* it gets *out with a framing error */
};
enum hv_msoc_rx hv_msoc_uart_rx(struct hv_msoc *s, unsigned port, uint8_t byte, uint8_t *out);

/* The health of the nth CRU/GRF-dependent device present, for the CLI's
 * --health. Returns false past the last one. */
bool hv_msoc_health(struct hv_msoc *s, unsigned nth, const char **name, struct hv_soc_health *out);
uint32_t hv_msoc_line_baud(const struct hv_msoc *s);

#endif
