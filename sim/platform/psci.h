/* hvsim: the firmware model's PSCI and SMCCC answers (Arm DEN0022 "Power
 * State Coordination Interface" 1.1, DEN0028 "SMC Calling Convention").
 *
 * hvsim has no EL3 software: an SMC that reaches EL3 after boot is answered
 * here, the way QEMU answers PSCI calls itself on virt with
 * virtualization=on. Pure logic, unit-tested on the host.
 */
#ifndef HV_PSCI_H
#define HV_PSCI_H

#include <stdbool.h>
#include <stdint.h>

#define PSCI_VERSION_FN        0x84000000u
#define PSCI_CPU_SUSPEND_32    0x84000001u
#define PSCI_CPU_SUSPEND_64    0xc4000001u
#define PSCI_CPU_OFF           0x84000002u
#define PSCI_CPU_ON_32         0x84000003u
#define PSCI_CPU_ON_64         0xc4000003u
#define PSCI_AFFINITY_INFO_32  0x84000004u
#define PSCI_AFFINITY_INFO_64  0xc4000004u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF        0x84000008u
#define PSCI_SYSTEM_RESET      0x84000009u
#define PSCI_FEATURES          0x8400000au
#define SMCCC_VERSION          0x80000000u

/* Return codes (DEN0022 5.2.2). */
#define PSCI_SUCCESS            0
#define PSCI_NOT_SUPPORTED      (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_DENIED             (-3)
#define PSCI_ALREADY_ON         (-4)

enum hv_psci_action {
    HV_PSCI_CONTINUE,     /* return to the caller with x0 = ret */
    HV_PSCI_SYSTEM_OFF,   /* end the run: powered off */
    HV_PSCI_SYSTEM_RESET, /* end the run: reset requested */
    HV_PSCI_CPU_OFF,      /* the calling PE turned itself off */
    HV_PSCI_SUSPEND,      /* return x0 = ret, then wait for an interrupt as in WFI */
};

struct hv_psci_result {
    int64_t ret;
    enum hv_psci_action action;
    const char *name; /* "SYSTEM_OFF", or "unknown" */
    bool known;       /* a function this model implements */
};

/* Answer one call. x0 is the function ID (SMC32 IDs use only w0), x1..x3
 * its arguments; ncpus is the number of PEs that exist (MPIDR Aff0 0..n-1). */
void hv_psci_call(uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3, unsigned ncpus,
                  struct hv_psci_result *r);

#endif
