#include "psci.h"

#include <string.h>

/* The PE with MPIDR affinity `mpidr` exists. DEN0022 5.1.4: the target is
 * Aff3[39:32]:Aff2[23:16]:Aff1[15:8]:Aff0[7:0]; every other bit must be
 * zero. hvsim's PEs are Aff0 = 0..n-1 of cluster 0. */
static bool pe_exists(uint64_t mpidr, unsigned ncpus)
{
    return (mpidr & ~0xffull) == 0 && (mpidr & 0xff) < ncpus;
}

void hv_psci_call(uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3, unsigned ncpus,
                  struct hv_psci_result *r)
{
    /* SMCCC 2.5: bit 30 selects SMC64; SMC32 calls pass the ID in w0. */
    uint32_t fn = (uint32_t)x0;
    (void)x3;

    memset(r, 0, sizeof(*r));
    r->action = HV_PSCI_CONTINUE;
    r->known = true;
    switch (fn) {
    case PSCI_VERSION_FN:
        r->name = "PSCI_VERSION";
        r->ret = 0x10001; /* PSCI 1.1, as QEMU 7.2 reports */
        break;
    case PSCI_FEATURES:
        r->name = "PSCI_FEATURES";
        switch ((uint32_t)x1) {
        case PSCI_VERSION_FN:
        case PSCI_CPU_SUSPEND_32:
        case PSCI_CPU_SUSPEND_64:
        case PSCI_CPU_OFF:
        case PSCI_CPU_ON_32:
        case PSCI_CPU_ON_64:
        case PSCI_AFFINITY_INFO_32:
        case PSCI_AFFINITY_INFO_64:
        case PSCI_MIGRATE_INFO_TYPE:
        case PSCI_SYSTEM_OFF:
        case PSCI_SYSTEM_RESET:
        case PSCI_FEATURES:
            r->ret = PSCI_SUCCESS;
            break;
        default:
            r->ret = PSCI_NOT_SUPPORTED;
        }
        break;
    case PSCI_CPU_SUSPEND_32:
    case PSCI_CPU_SUSPEND_64:
        /* Only standby is offered: the PE waits for an interrupt as in WFI
         * and returns SUCCESS (DEN0022 5.4), as QEMU does. Power-down and
         * affinity levels are not: a power_state with bits above StateID
         * (original format: StateType[16], bits [31:17]) is refused. */
        r->name = "CPU_SUSPEND";
        if ((uint32_t)x1 & 0xfffe0000u) {
            r->ret = PSCI_INVALID_PARAMETERS;
        } else {
            r->ret = PSCI_SUCCESS;
            r->action = HV_PSCI_SUSPEND;
        }
        break;
    case PSCI_CPU_OFF:
        r->name = "CPU_OFF";
        r->action = HV_PSCI_CPU_OFF;
        r->ret = PSCI_SUCCESS;
        break;
    case PSCI_CPU_ON_32:
    case PSCI_CPU_ON_64:
        /* hvsim runs one PE: CPU_ON is answered honestly. The only PE is
         * already on; any other MPIDR names no PE. */
        r->name = "CPU_ON";
        r->ret = pe_exists(x1, ncpus)
                     ? (ncpus == 1 || (x1 & 0xff) == 0 ? PSCI_ALREADY_ON : PSCI_DENIED)
                     : PSCI_INVALID_PARAMETERS;
        break;
    case PSCI_AFFINITY_INFO_32:
    case PSCI_AFFINITY_INFO_64:
        r->name = "AFFINITY_INFO";
        /* 0 = ON, 1 = OFF (DEN0022 5.7). Only PE 0 runs. Above level 0
         * the instance holds PE 0, so it is ON (as QEMU answers). */
        if (x2 != 0)
            r->ret = 0;
        else
            r->ret = pe_exists(x1, ncpus) ? ((x1 & 0xff) == 0 ? 0 : 1) : PSCI_INVALID_PARAMETERS;
        break;
    case PSCI_MIGRATE_INFO_TYPE:
        r->name = "MIGRATE_INFO_TYPE";
        r->ret = 2; /* Trusted OS not present or does not require migration */
        break;
    case PSCI_SYSTEM_OFF:
        r->name = "SYSTEM_OFF";
        r->action = HV_PSCI_SYSTEM_OFF;
        break;
    case PSCI_SYSTEM_RESET:
        r->name = "SYSTEM_RESET";
        r->action = HV_PSCI_SYSTEM_RESET;
        break;
    default:
        /* SMCCC: an unknown function returns NOT_SUPPORTED (-1) in w0, as
         * TF-A does. (QEMU without EL3 makes a non-PSCI SMC UNDEF instead:
         * documented difference, docs/cpu.md.) */
        r->name = "unknown";
        r->known = false;
        r->ret = PSCI_NOT_SUPPORTED;
    }
}
