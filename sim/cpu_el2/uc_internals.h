/* hvsim: every use of QEMU internals that Unicorn 2.1.1 exports, in one place.
 *
 * Unicorn's API has no notion of exception levels, interrupt lines or
 * exception entry. Its shared library does export QEMU's own functions with
 * an _aarch64 suffix; using them lets hvsim rely on QEMU's architecture code
 * (routing by SCR_EL3/HCR_EL2, ESR/FAR/HPFAR/ELR/SPSR, vector offsets) rather
 * than re-implementing it. See ../shared/notes/unicorn.md.
 *
 * Each assumption is checked at start-up by hv_uci_init() and hv_cpu_boot()'s
 * self-test; a mismatch stops hvsim with a message naming the assumption.
 */
#ifndef HV_UC_INTERNALS_H
#define HV_UC_INTERNALS_H

#include <stdbool.h>
#include <stdint.h>

#include <unicorn/unicorn.h>

#include "../common/hv_err.h"

/* QEMU 5.0 target/arm/cpu.h exception numbers, as seen by UC_HOOK_INTR. */
enum {
    HV_EXCP_UDEF = 1,
    HV_EXCP_SWI = 2,
    HV_EXCP_PREFETCH_ABORT = 3,
    HV_EXCP_DATA_ABORT = 4,
    HV_EXCP_IRQ = 5,
    HV_EXCP_FIQ = 6,
    HV_EXCP_BKPT = 7,
    HV_EXCP_HVC = 11,
    HV_EXCP_HYP_TRAP = 12,
    HV_EXCP_SMC = 13,
    HV_EXCP_VIRQ = 14,
    HV_EXCP_VFIQ = 15,
};

/* QEMU 5.0 include/hw/core/cpu.h and target/arm/cpu.h interrupt_request bits. */
enum {
    HV_CPU_INTERRUPT_HARD = 0x2,
    HV_CPU_INTERRUPT_FIQ = 0x10,
    HV_CPU_INTERRUPT_VIRQ = 0x80,
    HV_CPU_INTERRUPT_VFIQ = 0x200,
};

typedef void (*hv_uci_el_hook)(void *opaque);

struct hv_uci {
    void *cs;  /* CPUState * (also ARMCPU *) */
    void *env; /* CPUARMState * */
    /* env->pc and env->pstate: CPUARMState begins with uint32_t regs[16],
     * uint64_t xregs[32], uint64_t pc, uint32_t pstate. */
    uint64_t *pc;
    uint32_t *pstate;
    /* The two ARMELChangeHook entries QEMU registered for its PMU, which we
     * take over (they still call the PMU functions). */
    void **pre_hook_entry;
    void **post_hook_entry;
    hv_uci_el_hook pre, post;
    void *opaque;
};

/* Find cs/env, install the EL-change hooks. Call before the first run. */
int hv_uci_init(uc_engine *uc, struct hv_uci *uci, hv_uci_el_hook pre, hv_uci_el_hook post,
                void *opaque, struct hv_err *err);

/* PSTATE.EL of the running PE: one load, usable on hot paths. */
static inline unsigned hv_uci_el(const struct hv_uci *uci)
{
    return (*uci->pstate >> 2) & 3;
}

/* Perform QEMU's architectural exception entry for the pending exception
 * (inside a UC_HOOK_INTR callback). */
void hv_uci_do_interrupt(struct hv_uci *uci);
/* Assert / deassert interrupt_request bits (HV_CPU_INTERRUPT_*). */
void hv_uci_interrupt(struct hv_uci *uci, int mask);
void hv_uci_reset_interrupt(struct hv_uci *uci, int mask);
/* Make the CPU leave its translated-block chain at the next boundary. */
void hv_uci_exit(struct hv_uci *uci);
/* Raise a synchronous exception; does not return (longjmps into the engine). */
void hv_uci_raise(struct hv_uci *uci, uint32_t excp, uint32_t syndrome, uint32_t target_el)
    __attribute__((noreturn));
/* Debugger-style read through the current translation regime. */
int hv_uci_read_debug(struct hv_uci *uci, uint64_t va, void *buf, uint64_t len);

#endif
