/* PSCI over SMC from EL2 (Arm DEN0022 "Power State Coordination Interface",
 * issue D / PSCI 1.1; SMC Calling Convention DEN0028).
 *
 * On QEMU virt with virtualization=on there is no EL3: QEMU answers PSCI SMCs
 * itself (conduit SMC). hvsim answers them in its firmware model. Both must
 * return the same values for the calls below. Expected values come from
 * DEN0022:
 *   5.1.1  PSCI_VERSION: bits[31:16] major, bits[15:0] minor.
 *   5.1.4  CPU_ON: ALREADY_ON (-4) if the target is on, INVALID_PARAMETERS (-2)
 *          if target_cpu does not name a PE.
 *   5.1.5  AFFINITY_INFO: 0 = ON, 1 = OFF, 2 = ON_PENDING; -2 for a bad
 *          affinity. Lowest affinity level (x2) 0.
 *   5.1.7  MIGRATE_INFO_TYPE: 2 = "Trusted OS is either not present or does
 *          not require migration".
 *   5.1.14 PSCI_FEATURES: 0 (no feature flags) for an implemented function,
 *          NOT_SUPPORTED (-1) otherwise.
 */
#include "rt.h"

#define PSCI_VERSION          0x84000000u
#define PSCI_CPU_ON_64        0xc4000003u
#define PSCI_AFFINITY_INFO_64 0xc4000004u
#define PSCI_MIGRATE_INFO     0x84000006u
#define PSCI_SYSTEM_OFF       0x84000008u
#define PSCI_FEATURES         0x8400000au
/* A function ID in the PSCI range (0x84000000-0x8400001f) that DEN0022 does
 * not define. Only PSCI_FEATURES is asked about it: an SMC with an unknown ID
 * is outside what QEMU answers (it makes the SMC UNDEF without EL3). */
#define PSCI_UNDEFINED_FN 0x8400001fu

#define PSCI_SUCCESS            0
#define PSCI_NOT_SUPPORTED      (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_ALREADY_ON         (-4)

static void check_ret(const char *what, uint64_t got, int64_t want)
{
    rt_check((int64_t)got == want, "%s = %ld (want %ld)", what, (long)(int64_t)got, (long)want);
}

static void entry_never_run(void)
{
    for (;;)
        ;
}

int main(uint64_t dtb)
{
    (void)dtb;
    uint64_t r;
    uint64_t entry = (uint64_t)entry_never_run;

    /* PSCI_VERSION: the implementation reports PSCI 1.1 (major 1, minor 1). */
    r = rt_smc(PSCI_VERSION, 0, 0, 0);
    rt_check(((uint32_t)r >> 16) == 1 && ((uint32_t)r & 0xffff) == 1, "PSCI_VERSION = 0x%x (1.1)",
             (unsigned)r);

    /* PSCI_FEATURES: mandatory functions and PSCI_FEATURES itself are
     * implemented; an undefined function ID is NOT_SUPPORTED. */
    check_ret("PSCI_FEATURES(SYSTEM_OFF)", rt_smc(PSCI_FEATURES, PSCI_SYSTEM_OFF, 0, 0),
              PSCI_SUCCESS);
    check_ret("PSCI_FEATURES(CPU_ON_64)", rt_smc(PSCI_FEATURES, PSCI_CPU_ON_64, 0, 0),
              PSCI_SUCCESS);
    check_ret("PSCI_FEATURES(AFFINITY_INFO_64)", rt_smc(PSCI_FEATURES, PSCI_AFFINITY_INFO_64, 0, 0),
              PSCI_SUCCESS);
    check_ret("PSCI_FEATURES(PSCI_FEATURES)", rt_smc(PSCI_FEATURES, PSCI_FEATURES, 0, 0),
              PSCI_SUCCESS);
    check_ret("PSCI_FEATURES(0x8400001f)", rt_smc(PSCI_FEATURES, PSCI_UNDEFINED_FN, 0, 0),
              PSCI_NOT_SUPPORTED);

    /* CPU_ON: MPIDR 0 is the calling PE, already on; MPIDR 1 names no PE on a
     * one-CPU machine. */
    check_ret("CPU_ON(mpidr 0)", rt_smc(PSCI_CPU_ON_64, 0, entry, 0), PSCI_ALREADY_ON);
    check_ret("CPU_ON(mpidr 1)", rt_smc(PSCI_CPU_ON_64, 1, entry, 0), PSCI_INVALID_PARAMETERS);

    /* AFFINITY_INFO at affinity level 0: PE 0 is ON (0); PE 1 does not exist. */
    check_ret("AFFINITY_INFO(mpidr 0)", rt_smc(PSCI_AFFINITY_INFO_64, 0, 0, 0), 0);
    check_ret("AFFINITY_INFO(mpidr 1)", rt_smc(PSCI_AFFINITY_INFO_64, 1, 0, 0),
              PSCI_INVALID_PARAMETERS);

    /* MIGRATE_INFO_TYPE: no Trusted OS. */
    check_ret("MIGRATE_INFO_TYPE", rt_smc(PSCI_MIGRATE_INFO, 0, 0, 0), 2);
    /* DEN0022 5.1.4: MPIDR bits other than Aff3..Aff0 must be zero; bit 31
     * (RES1 in MPIDR_EL1) is not part of the target. */
    check_ret("CPU_ON(mpidr 0x80000000)", rt_smc(PSCI_CPU_ON_64, 0x80000000ul, entry, 0),
              PSCI_INVALID_PARAMETERS);
    /* Above affinity level 0 the instance containing PE 0 is ON. */
    check_ret("AFFINITY_INFO(mpidr 1, level 1)", rt_smc(PSCI_AFFINITY_INFO_64, 1, 1, 0), 0);
    /* CPU_SUSPEND with power_state bits [31:17] set: not a state offered. */
    check_ret("CPU_SUSPEND(0xffff0000)", rt_smc(0xc4000001ul, 0xffff0000ul, entry, 0),
              PSCI_INVALID_PARAMETERS);

    rt_summary("psci");
    return 0;
}
