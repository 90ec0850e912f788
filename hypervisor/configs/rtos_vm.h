/* The rtos VM, as every configuration that has one describes it (included
 * by the configurations in configs/): 4 MiB of RAM at IPA
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
        .timer_advance_ns = 2000, .ram = {.ipa = 0x40000000, .pa = 0x44000000, .size = 0x400000},  \
        .console = {.uart = 1, .ipa = 0x09000000}, .image = &rtos_image, .load_ipa = 0x40000000,   \
        .entry_ipa = 0x40000000, __VA_ARGS__                                                       \
    }

/* The second VM of the test configurations (configs/lat.c, configs/nest.c):
 * a guest made to exercise one path of the hypervisor next to the rtos,
 * one vCPU below the rtos's priority, 2 MiB of RAM at IPA 0x40000000 (PA
 * 0x45000000), its console on UART2 with that UART's CRU/GRF fields, and
 * its embedded image. */
#define HYP_VM_TEST_GUEST(name_, image_)                                                           \
    {                                                                                              \
        .name = (name_), .id = 2, .priority = 5, .nr_vcpus = 1, .slice_us = 1000,                  \
        .ram = {.ipa = 0x40000000, .pa = 0x45000000, .size = 0x200000},                            \
        .console = {.uart = 2, .ipa = 0x09000000}, .clk = {.devs = RK_DEV_BIT(RK_DEV_UART2)},      \
        .image = (image_), .load_ipa = 0x40000000, .entry_ipa = 0x40000000,                        \
    }

#endif
