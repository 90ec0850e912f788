/* The latency configuration (hypervisor-lat.elf): the rtos VM and the
 * stress VM, which keeps the hypervisor busy with its most expensive traps
 * (refused vGIC writes, vCRU refusals, hypercalls, console hypercalls,
 * its own reset) while the rtos ticks. bench/run_hyp.py --lat and
 * tests/e2e/test_hyp_latency.py measure, on it, how long an interrupt
 * waits while the hypervisor is busy (issue 7). */
#include "../core/vm_config.h"
#include "rtos_vm.h"

#include <hvsim/rk3568_cru.h>

extern const uint8_t guest_stress_start[], guest_stress_end[];

static const struct hyp_image stress_image = {guest_stress_start, guest_stress_end};

static const struct hyp_vm_config vms[] = {
    HYP_VM_RTOS(.clk = {.devs = RK_DEV_BIT(RK_DEV_UART1)}),
    HYP_VM_TEST_GUEST("stress", &stress_image),
};

const struct hyp_config hyp_default_config = {
    .name = "lat",
    .vms = vms,
    .nr_vms = sizeof vms / sizeof vms[0],
};
