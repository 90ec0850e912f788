/* hvsim: one-line text rendering of observer events, shared by the CLI's
 * --log output and the demo narrator. */
#ifndef HV_EVFMT_H
#define HV_EVFMT_H

#include <stddef.h>

#include "observer.h"

/* "EL1 -> EL2  sync HVC64 ESR=0x5a000042 imm16=0x42  ELR=0x... at 0x... (hvc #0x42)" */
void hv_event_format(const struct hv_event *ev, char *buf, size_t len);
/* Just the body, without the time stamp prefix. */
void hv_event_body(const struct hv_event *ev, char *buf, size_t len);
/* An ICH_LR<n>_EL2 value in words (GIC spec 12.4.10), for the lr event. */
void hv_lr_describe(uint64_t lr, char *buf, size_t len);

#endif
