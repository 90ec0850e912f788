/* The device tree each VM gets: only what it owns (its RAM, its vCPUs, the
 * emulated GICv3, the virtual timer, its console UART, PSCI through HVC,
 * its virtual CRU/GRF when it has them, its passthrough I2C controller).
 * Built with libfdt's sequential-write API; host-testable (the unit test
 * builds it with the system libfdt and reads it back). */
#ifndef HYP_VM_DTB_H
#define HYP_VM_DTB_H

#include <stdbool.h>
#include <stddef.h>

#include "vm_config.h"

/* Timer PPIs as INTIDs (secure physical, non-secure physical, virtual,
 * hypervisor), as the platform's DTB gives them; the UART clock in Hz;
 * whether the VM has a virtual CRU/GRF (the platform has the blocks); the
 * platform's devices, to describe the VM's passthrough devices (NULL: none
 * is described). */
struct hyp_vm_dtb_plat {
    unsigned ppi_sec, ppi_phys, ppi_virt, ppi_hyp, ppi_maint;
    unsigned uart_hz;
    bool vclk;
    const struct hyp_plat *view;
};

/* Write the VM's DTB into buf (size bytes). Returns its size, or a
 * negative libfdt error (-FDT_ERR_NOSPACE when buf is too small). */
int hyp_vm_dtb_build(const struct hyp_vm_config *vm, const struct hyp_vm_dtb_plat *p, void *buf,
                     size_t size);

#endif
