/* The rtos VM, as every configuration that has one describes it (included
 * by configs/default.c and configs/linux.c only): 4 MiB of RAM at IPA
 * 0x40000000 (PA 0x44000000), one vCPU at the highest priority with a
 * 1 ms slice, its console on UART1 at IPA 0x09000000, its image embedded
 * (guest_rtos_start/end, from GUEST_RTOS_BIN in guests.S).
 *
 * HYP_VM_RTOS(...) is its initializer; the arguments add what differs
 * between configurations, as further designated initializers (default.c
 * gives it its console's CRU/GRF fields, .clk). */
#ifndef HYP_CONFIGS_RTOS_VM_H
#define HYP_CONFIGS_RTOS_VM_H
#include "../core/vm_config.h"

extern const uint8_t guest_rtos_start[], guest_rtos_end[];

static const struct hyp_image rtos_image = {guest_rtos_start, guest_rtos_end};

#define HYP_VM_RTOS(...)                                                                           \
    {                                                                                              \
        .name = "rtos", .id = 1, .priority = 20, .nr_vcpus = 1, .slice_us = 1000,                  \
        .timer_advance_ns = 1500, .ram = {.ipa = 0x40000000, .pa = 0x44000000, .size = 0x400000},  \
        .console = {.uart = 1, .ipa = 0x09000000}, .image = &rtos_image, .load_ipa = 0x40000000,   \
        .entry_ipa = 0x40000000, __VA_ARGS__                                                       \
    }

#endif
