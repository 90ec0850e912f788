/* The isolation-event port: a 4 KiB MMIO device ("hvsim,event-port" in the
 * DTB) through which software under test, here the hypervisor, reports a
 * refused access so that hvsim's log and trace record it. Software stages
 * VM, KIND, ADDR and INFO, then writes COMMIT; each commit emits one
 * HV_EV_REFUSAL event. QEMU has no such device: the hypervisor uses it
 * only when its DTB lists it. Register map (32-bit registers, 64-bit ones
 * also as two 32-bit halves):
 *   0x00 MAGIC   RO  0x50455648 ("HVEP")
 *   0x04 VERSION RO  1
 *   0x10 VM      RW
 *   0x14 KIND    RW  enum hv_evtport_kind
 *   0x18 ADDR    RW  64-bit
 *   0x20 INFO    RW  64-bit
 *   0x28 COMMIT  WO  emit the event, then clear VM..INFO
 * Other offsets, widths other than 4 and 8, or misaligned accesses are
 * reported as guest errors and ignored (reads as zero). */
#ifndef HV_EVTPORT_H
#define HV_EVTPORT_H

#include <stdint.h>

#include "common/observer.h"

#define HV_EVTPORT_MAGIC 0x50455648u

enum hv_evtport_kind {
    HV_EVTPORT_MEMORY = 1, /* access outside the VM's memory and devices */
    HV_EVTPORT_VGIC = 2,   /* interrupt controller: an INTID it does not own */
    HV_EVTPORT_FETCH = 3,  /* instruction fetch outside its memory */
    HV_EVTPORT_CRASH = 4,  /* the VM was stopped */
    HV_EVTPORT_OTHER = 5,
    HV_EVTPORT_CRU = 6, /* a CRU field the VM does not own: ADDR = register offset in the
                         * cru window, INFO = field id << 32 | the attempted field value */
    HV_EVTPORT_GRF = 7, /* the same for the GRF (SYSCON: IOMUX, IO selects) */
    HV_EVTPORT_IRQ = 8, /* an interrupt storm from a passthrough device: ADDR = the physical
                         * INTID masked, INFO = virtual INTID << 32 | the budget exceeded */
    HV_EVTPORT_SGI = 9, /* an SGI to a target outside the VM: ADDR = INTID, INFO = the
                         * ICC_SGI0R/SGI1R/ASGI1R_EL1 value written */
};

struct hv_evtport_io {
    void *ctx;
    uint8_t (*el)(void *ctx);
    uint64_t (*pc)(void *ctx);
};

struct hv_evtport;

struct hv_evtport *hv_evtport_create(const struct hv_evtport_io *io, struct hv_obs *obs);
void hv_evtport_destroy(struct hv_evtport *p);
const char *hv_evtport_kind_name(uint32_t kind);

/* MMIO callbacks (hv_mmio_read_fn / hv_mmio_write_fn), ctx = the port. */
uint64_t hv_evtport_read(void *ctx, uint64_t off, unsigned size);
void hv_evtport_write(void *ctx, uint64_t off, unsigned size, uint64_t value);

#endif
