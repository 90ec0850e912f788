/* The nesting configuration (hypervisor-nest.elf): the rtos VM and the
 * nest VM (guests/nest/nest.c), which nests more active interrupts than
 * the PE has list registers, so that the hypervisor's overflow paths run:
 * active interrupts evicted to the pending queue, their EOIs seen through
 * ICH_HCR_EL2.EOIcount (vm/vgic.c hyp_vgic_eoicount), and the rtos's tick
 * switching nest out and in with active interrupts in its LRs and queue.
 * tests/e2e/test_hyp_nest.py runs it on hvsim and QEMU. */
#include "../core/vm_config.h"
#include "rtos_vm.h"

#include <hvsim/rk3568_cru.h>

extern const uint8_t guest_nest_start[], guest_nest_end[];

static const struct hyp_image nest_image = {guest_nest_start, guest_nest_end};

static const struct hyp_vm_config vms[] = {
    HYP_VM_RTOS(.clk = {.devs = RK_DEV_BIT(RK_DEV_UART1)}),
    HYP_VM_TEST_GUEST("nest", &nest_image),
};

const struct hyp_config hyp_default_config = {
    .name = "nest",
    .vms = vms,
    .nr_vms = sizeof vms / sizeof vms[0],
};
