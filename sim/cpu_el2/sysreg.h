/* hvsim: the table-driven system-register layer.
 *
 * A module (GIC, timer, ...) describes the system registers it implements as a
 * const table of struct hv_sysreg_desc and registers it with the CPU. Every
 * MRS/MSR whose encoding is in a registered table is handed to that entry:
 * first its access() check decides (OK, UNDEF, trap to EL2 or EL3, following
 * the Arm ARM pseudocode of that register), and only if it says OK does the
 * read()/write() effect run. The decision and the effect are kept apart, as in
 * QEMU's ARMCPRegInfo.accessfn and KVM's sys_reg_desc.
 *
 * Encodings nobody registers keep QEMU's own behaviour, including its UNDEFs
 * and its architectural traps.
 */
#ifndef HV_SYSREG_H
#define HV_SYSREG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/hv_err.h"
#include "../common/observer.h"

/* Pack an encoding the way the MRS/MSR instruction does (op0:op1:CRn:CRm:op2),
 * which is also the layout of Linux's sys_reg(). Fits in 16 bits. */
#define HV_SYSREG(op0, op1, crn, crm, op2)                                                         \
    ((uint32_t)((((op0)&3) << 14) | (((op1)&7) << 11) | (((crn)&15) << 7) | (((crm)&15) << 3) |    \
                ((op2)&7)))
#define HV_SYSREG_OP0(e) (((e) >> 14) & 3)
#define HV_SYSREG_OP1(e) (((e) >> 11) & 7)
#define HV_SYSREG_CRN(e) (((e) >> 7) & 15)
#define HV_SYSREG_CRM(e) (((e) >> 3) & 15)
#define HV_SYSREG_OP2(e) ((e)&7)

struct hv_cpu;
struct hv_sysreg_desc;

/* The access check. Pure decision, no side effects. */
typedef enum hv_sysreg_decision (*hv_sysreg_access_fn)(void *ctx, struct hv_cpu *cpu,
                                                       const struct hv_sysreg_desc *d,
                                                       bool is_write);
typedef uint64_t (*hv_sysreg_read_fn)(void *ctx, struct hv_cpu *cpu,
                                      const struct hv_sysreg_desc *d);
typedef void (*hv_sysreg_write_fn)(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d,
                                   uint64_t value);

struct hv_sysreg_desc {
    uint32_t enc;
    const char *name;
    hv_sysreg_access_fn access; /* NULL: always OK */
    hv_sysreg_read_fn read;     /* NULL: write-only, a read UNDEFs */
    hv_sysreg_write_fn write;   /* NULL: read-only, a write UNDEFs */
    uintptr_t arg;              /* per-entry datum (e.g. a list register index) */
};

/* Register a table; ctx is passed to its callbacks. Fails if an encoding is
 * registered twice. The table must outlive the CPU. */
int hv_cpu_register_sysregs(struct hv_cpu *cpu, const struct hv_sysreg_desc *table, size_t n,
                            void *ctx, struct hv_err *err);

/* Look up a registered encoding (NULL if none). */
const struct hv_sysreg_desc *hv_cpu_find_sysreg(const struct hv_cpu *cpu, uint32_t enc);

/* ISS of an EC=0x18 trapped MSR/MRS/System instruction (Arm ARM D17.2.37,
 * "ISS encoding for an exception from MSR, MRS, or System instruction"). */
static inline uint32_t hv_sysreg_trap_iss(uint32_t enc, unsigned rt, bool is_read)
{
    return (HV_SYSREG_OP0(enc) << 20) | (HV_SYSREG_OP2(enc) << 17) | (HV_SYSREG_OP1(enc) << 14) |
           (HV_SYSREG_CRN(enc) << 10) | ((rt & 31) << 5) | (HV_SYSREG_CRM(enc) << 1) |
           (is_read ? 1u : 0u);
}

/* Name of a well-known encoding ("HCR_EL2"), or NULL. Used for reports. */
const char *hv_sysreg_name(uint32_t enc);

#endif
