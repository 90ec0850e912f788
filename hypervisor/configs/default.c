/* The default configuration: an RTOS VM and a GPOS VM. The RTOS outranks
 * the GPOS. Each VM sees RAM at IPA 0x40000000 and its console (a PL011)
 * at IPA 0x09000000, like QEMU virt: on hvsim that console is UART1 /
 * UART2 passed through; on QEMU (one UART) it is emulated and multiplexed
 * onto UART0 with a "[name] " prefix. PAs are inside the first 128 MiB of
 * RAM at 0x40000000, which both hvsim's and QEMU's virt have. */
#include "../core/vm_config.h"

extern const uint8_t guest_rtos_start[], guest_rtos_end[];
extern const uint8_t guest_gpos_start[], guest_gpos_end[];

static const struct hyp_image rtos_image = {guest_rtos_start, guest_rtos_end};
static const struct hyp_image gpos_image = {guest_gpos_start, guest_gpos_end};

static const struct hyp_vm_config vms[] = {
    {
        .name = "rtos",
        .id = 1,
        .priority = 20,
        .nr_vcpus = 1,
        .slice_us = 1000,
        .ram = {.ipa = 0x40000000, .pa = 0x44000000, .size = 0x400000},
        .console = {.uart = 1, .ipa = 0x09000000},
        .image = &rtos_image,
        .load_ipa = 0x40000000,
        .entry_ipa = 0x40000000,
    },
    {
        .name = "gpos",
        .id = 2,
        .priority = 10,
        .nr_vcpus = 2,
        .slice_us = 2000,
        .ram = {.ipa = 0x40000000, .pa = 0x44800000, .size = 0x800000},
        .console = {.uart = 2, .ipa = 0x09000000},
        .image = &gpos_image,
        .load_ipa = 0x40000000,
        .entry_ipa = 0x40000000,
    },
};

const struct hyp_config hyp_default_config = {
    .name = "default",
    .vms = vms,
    .nr_vms = sizeof vms / sizeof vms[0],
};
