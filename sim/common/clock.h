/* hvsim: the virtual clock that models use to read time and schedule
 * deadlines, without knowing the machine. Time is in nanoseconds of virtual
 * time (see docs/architecture.md, "Virtual time"). */
#ifndef HV_CLOCK_H
#define HV_CLOCK_H

#include <stdint.h>

typedef void (*hv_clock_cb)(void *ctx, uint64_t now);

struct hv_clock {
    void *ctx;
    uint64_t (*now)(void *ctx);
    /* Run cb(cb_ctx, now) once virtual time reaches `when`; returns an id
     * (never 0) for cancel, or 0 on failure. */
    uint64_t (*schedule)(void *ctx, uint64_t when, hv_clock_cb cb, void *cb_ctx);
    void (*cancel)(void *ctx, uint64_t id);
};

#endif
