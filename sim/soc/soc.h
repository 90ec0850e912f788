/* hvsim: the RK3568-style clock/reset unit (CRU) and system-control block
 * (GRF), and the effective state they give the devices that depend on them.
 *
 * Registers and fields come from one table, include/hvsim/rk3568_cru.h,
 * shared with the hypervisor's permission logic. docs/soc.md describes the
 * modelled subset, the reset state, the device dependencies and the effects.
 *
 * The model knows nothing about the CPU engine: the machine passes who made
 * each access (struct hv_soc_who). It never prints: every access is an
 * HV_EV_SOC_REG event, every change of a device's effective state an
 * HV_EV_DEV_STATE event plus a call to io.dev_changed, and bad accesses are
 * guest-error (or, for real registers hvsim does not model, unimpl) events.
 */
#ifndef HV_SOC_H
#define HV_SOC_H

#include <stdbool.h>
#include <stdint.h>

#include <hvsim/rk3568_cru.h>

#include "../common/clock.h"
#include "../common/observer.h"

struct hv_soc;

/* Who made an access: for the observer only. */
struct hv_soc_who {
    uint8_t pe, el;
    uint64_t pc;
};

/* What a device gets from the CRU and the GRF. */
struct hv_soc_devstate {
    bool pclk_on;     /* its bus (APB) clock runs: its registers answer */
    uint64_t fclk_hz; /* its functional clock; 0 = stopped */
    bool in_reset;    /* one of its soft resets is asserted */
    bool tx_muxed;    /* its output pin is routed to it (UART TX, I2C SCL+SDA) */
    bool rx_muxed;    /* its input pin is routed to it (UART RX, I2C SCL+SDA) */
};

struct hv_soc_io {
    void *ctx;
    /* A device's effective state changed (called after the register
     * write took effect). NULL: nobody listens. */
    void (*dev_changed)(void *ctx, enum rk_dev d, const struct hv_soc_devstate *old,
                        const struct hv_soc_devstate *now);
};

/* Health of a device over a run, for the end-of-run summary. The SoC model
 * keeps the time and mux counters; the machine adds the traffic. */
struct hv_soc_health {
    uint64_t reset_ns;    /* virtual time held in reset */
    uint64_t gated_ns;    /* virtual time with the functional or bus clock stopped */
    uint64_t mux_changes; /* times its pin routing changed */
    uint64_t tx_bytes, rx_bytes;
    uint64_t framing_errors;     /* characters the receiving end saw with a bad stop bit */
    uint64_t garbled;            /* characters received with a different value */
    uint64_t lost;               /* characters that never reached the other end */
    uint64_t i2c_ok, i2c_failed; /* I2C transfers */
};

/* clk may be NULL (unit tests without time): then no time is accounted. */
struct hv_soc *hv_soc_create(const struct hv_soc_io *io, struct hv_obs *obs,
                             const struct hv_clock *clk);
void hv_soc_destroy(struct hv_soc *s);

/* Accesses to the blocks' windows (offset within the window). Registers are
 * 32-bit: other sizes and misaligned accesses are guest errors (RAZ/WI). */
uint64_t hv_soc_read(struct hv_soc *s, enum rk_block b, const struct hv_soc_who *who, uint64_t off,
                     unsigned size);
void hv_soc_write(struct hv_soc *s, enum rk_block b, const struct hv_soc_who *who, uint64_t off,
                  unsigned size, uint64_t value);

/* The current effective state of a device. */
void hv_soc_devstate(const struct hv_soc *s, enum rk_dev d, struct hv_soc_devstate *st);
/* The raw value of a modelled register. */
uint32_t hv_soc_reg(const struct hv_soc *s, enum rk_reg_id r);

/* Health counters (time counters are brought up to date first). */
struct hv_soc_health *hv_soc_health(struct hv_soc *s, enum rk_dev d);

/* Pure clock arithmetic, exposed for the unit tests: the rate of a device's
 * functional clock from a register file indexed by enum rk_reg_id. */
uint64_t hv_soc_fclk_hz(const uint32_t regs[RK_R__COUNT], enum rk_dev d);

#endif
