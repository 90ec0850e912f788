/* The default configuration: an RTOS VM, a GPOS VM and a rogue VM that
 * attacks them (built without it, -DHYP_CONFIG_DUO, as hypervisor-duo.elf,
 * the reference run for the isolation test). The RTOS outranks the GPOS,
 * which outranks the rogue. Each VM sees RAM at IPA 0x40000000 and its console (a PL011)
 * at IPA 0x09000000, like QEMU virt: on hvsim that console is UART1 /
 * UART2 passed through; on QEMU (one UART) it is emulated and multiplexed
 * onto UART0 with a "[name] " prefix. PAs are inside the first 128 MiB of
 * RAM at 0x40000000, which both hvsim's and QEMU's virt have. */
#include "../core/vm_config.h"
#include "rtos_vm.h"

#include <hvsim/rk3568_cru.h>

extern const uint8_t guest_gpos_start[], guest_gpos_end[];
extern const uint8_t guest_rogue_start[], guest_rogue_end[];

static const struct hyp_image gpos_image = {guest_gpos_start, guest_gpos_end};
#ifndef HYP_CONFIG_DUO
static const struct hyp_image rogue_image = {guest_rogue_start, guest_rogue_end};
#endif

static const struct hyp_vm_config vms[] = {
    /* configs/rtos_vm.h, with its console's clocks, reset and pins */
    HYP_VM_RTOS(.clk = {.devs = RK_DEV_BIT(RK_DEV_UART1)}),
    {
        .name = "gpos",
        .id = 2,
        .priority = 10,
        .nr_vcpus = 2,
        .slice_us = 2000,
        /* switched in ahead of its timer deadline when it would preempt
         * rogue (vm/sched.c), as the rtos is: 2 us covers the blocking
         * time the design bounds (tests/e2e/test_hyp_latency.py: at most
         * 1020 instructions) plus a vCPU switch (~540) */
        .timer_advance_ns = 2000,
        .ram = {.ipa = 0x40000000, .pa = 0x44800000, .size = 0x800000},
        /* Its console's interrupt, as configs/linux.c passes it: virtual SPI
         * 1 (INTID 33, QEMU virt's UART SPI), injected with the HW bit for
         * UART2's physical SPI. gpos transmits from the TX interrupt. */
        .console = {.uart = 2, .ipa = 0x09000000, .virq = 33},
        /* its console and its I2C controller (with the 24C02 behind it) */
        .clk = {.devs = RK_DEV_BIT(RK_DEV_UART2) | RK_DEV_BIT(RK_DEV_I2C0)},
        .pt = {{.kind = HYP_DEV_I2C, .index = 0, .ipa = 0x09130000, .optional = true}},
        .image = &gpos_image,
        .load_ipa = 0x40000000,
        .entry_ipa = 0x40000000,
    },
#ifndef HYP_CONFIG_DUO
    {
        .name = "rogue",
        .id = 3,
        .priority = 5,
        .nr_vcpus = 1,
        .slice_us = 1000,
        .ram = {.ipa = 0x40000000, .pa = 0x45000000, .size = 0x200000},
        /* Its console's interrupt too (virtual SPI 1, UART3's SPI with the HW
         * bit): rogue turns it into an interrupt storm. */
        .console = {.uart = 3, .ipa = 0x09000000, .virq = 33},
        .clk = {.devs = RK_DEV_BIT(RK_DEV_UART3)},
        .image = &rogue_image,
        .load_ipa = 0x40000000,
        .entry_ipa = 0x40000000,
    },
#endif
};

const struct hyp_config hyp_default_config = {
#ifdef HYP_CONFIG_DUO
    .name = "duo",
#else
    .name = "default",
#endif
    .vms = vms,
    .nr_vms = sizeof vms / sizeof vms[0],
};
