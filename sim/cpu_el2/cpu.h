/* hvsim: one ARMv8-A PE (EL0-EL3, AArch64) on Unicorn 2.1.1.
 *
 * This module is the only place in hvsim that knows about Unicorn. It gives
 * the rest of the simulator:
 *   - memory mapping (RAM, ROM, MMIO callbacks);
 *   - a firmware-style boot: the PE leaves reset in an EL3 boot ROM that
 *     hands over to the image at EL2h with x0 = DTB (see bootrom in cpu.c);
 *   - architecturally exact exception entry for every synchronous exception
 *     (QEMU's own arm_cpu_do_interrupt does the entry, see uc_internals.h);
 *   - input lines IRQ/FIQ/vIRQ/vFIQ that interrupt controllers drive;
 *   - the table-driven system-register layer (sysreg.h);
 *   - the retired-instruction count that virtual time is built on, and a
 *     deadline at which the owner's callback runs (timers, UART input);
 *   - observer events for each exception taken, each ERET and each
 *     module-handled register access.
 */
#ifndef HV_CPU_H
#define HV_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/disasm.h"
#include "../common/hv_err.h"
#include "../common/observer.h"
#include "sysreg.h"

struct hv_cpu;

enum hv_cpu_line { HV_LINE_IRQ, HV_LINE_FIQ, HV_LINE_VIRQ, HV_LINE_VFIQ, HV_LINE__COUNT };

/* Why hv_cpu_run() returned. */
enum hv_cpu_stop {
    HV_CPU_STOP_REQUESTED, /* hv_cpu_request_stop() was called from a callback */
    HV_CPU_STOP_WFI,       /* the PE executed WFI with nothing pending: it sleeps */
    HV_CPU_STOP_BUS_ERROR, /* an access to a PA with nothing mapped (reported) */
    HV_CPU_STOP_ENGINE,    /* the engine failed (message in err) */
};

struct hv_cpu_callbacks {
    void *ctx;
    /* Runs (from inside execution) once the retired-instruction count reaches
     * the deadline set with hv_cpu_set_deadline(). It may drive lines, set a
     * new deadline and request a stop. */
    void (*deadline)(void *ctx, struct hv_cpu *cpu);
    /* An SMC taken to EL3 once the image runs. Return true if the firmware
     * model answered it (registers updated; execution continues after the
     * SMC), false to deliver it to the EL3 vector. */
    bool (*smc)(void *ctx, struct hv_cpu *cpu);
    /* A load, store or instruction fetch reached a PA with nothing mapped.
     * Called with the PC (hv_cpu_pc) at the faulting instruction, before the
     * PE takes the synchronous external abort, or, in stop mode (and above
     * the 48-bit PA space), before hv_cpu_run() returns
     * HV_CPU_STOP_BUS_ERROR. See docs/cpu-bus-errors.md. */
    void (*bus_error)(void *ctx, struct hv_cpu *cpu, const struct hv_ev_bus_error *be);
    /* An ERET (after the boot ROM) just completed: the PE is at to_el, at
     * the target address. Optional. */
    void (*eret)(void *ctx, struct hv_cpu *cpu, unsigned from_el, unsigned to_el);
    /* A system instruction (SYS: TLBI, DC, IC, AT; op0 = 1) is about to run
     * with QEMU's own behaviour; xt is the value of its Xt operand. It
     * must not change the PE's state. Optional: without it (at
     * hv_cpu_create) SYS instructions are not hooked at all. */
    void (*sys_insn)(void *ctx, struct hv_cpu *cpu, uint32_t enc, uint64_t xt);
};

int hv_cpu_create(struct hv_cpu **out, struct hv_obs *obs, const struct hv_cpu_callbacks *cb,
                  struct hv_err *err);
/* The same with the engine's (TCG's) page size: 0 for the default (4096),
 * or 1024 for Unicorn 2.1.1's own AArch64 choice (docs/architecture.md,
 * "Engine pages"). The guest's translation granule is not affected. */
int hv_cpu_create_paged(struct hv_cpu **out, struct hv_obs *obs, const struct hv_cpu_callbacks *cb,
                        uint32_t page_size, struct hv_err *err);
/* The engine page size in use, and why it is not the one asked for (NULL if
 * it is): the 4 KiB self-check failed and the engine kept 1 KiB pages. */
uint32_t hv_cpu_page_size(const struct hv_cpu *cpu);
const char *hv_cpu_page_notice(const struct hv_cpu *cpu);
void hv_cpu_destroy(struct hv_cpu *cpu);

/* Memory. host must stay valid for the CPU's life; size and pa are 4 KiB
 * aligned. */
int hv_cpu_map_ram(struct hv_cpu *cpu, uint64_t pa, uint64_t size, void *host, bool readonly,
                   struct hv_err *err);
typedef uint64_t (*hv_mmio_read_fn)(void *ctx, uint64_t offset, unsigned size);
typedef void (*hv_mmio_write_fn)(void *ctx, uint64_t offset, unsigned size, uint64_t value);
int hv_cpu_map_mmio(struct hv_cpu *cpu, uint64_t pa, uint64_t size, hv_mmio_read_fn rd,
                    hv_mmio_write_fn wr, void *ctx, struct hv_err *err);

/* What an access to a PA with nothing mapped does: false (default) = a
 * synchronous external abort to the guest, as QEMU's virt machine; true =
 * report and stop the run at the faulting instruction. */
void hv_cpu_set_bus_error_stop(struct hv_cpu *cpu, bool stop);

struct hv_cpu_boot {
    uint64_t rom_pa; /* 4 KiB of RAM-like memory for the EL3 boot ROM (mapped by caller) */
    void *rom_host;  /* host pointer to it */
    uint64_t entry;  /* where the image starts, at EL2h */
    uint64_t x[4];   /* x0..x3 at entry (x0 = DTB) */
};

/* Reset the PE into the boot ROM, run it, and check the Unicorn assumptions
 * this module relies on (self-test). On return the PE is at EL2h at entry.
 * Every RAM/ROM/MMIO mapping must be made before: the boot covers the PA
 * holes left with catch-all regions (bus errors). */
int hv_cpu_boot(struct hv_cpu *cpu, const struct hv_cpu_boot *boot, struct hv_err *err);

/* Execute until a stop (see enum hv_cpu_stop). */
int hv_cpu_run(struct hv_cpu *cpu, enum hv_cpu_stop *why, struct hv_err *err);
/* From a callback: leave hv_cpu_run() at the next block boundary. */
void hv_cpu_request_stop(struct hv_cpu *cpu);

/* Retired instructions since reset. Counted per translated block, corrected
 * at synchronous exceptions so that an aborted instruction is not counted. */
uint64_t hv_cpu_icount(const struct hv_cpu *cpu);
void hv_cpu_set_deadline(struct hv_cpu *cpu, uint64_t icount);
/* Account instructions that did not run on the engine (e.g. WFI sleep is
 * accounted in time, not here). Only for the machine's idle bookkeeping. */

/* Input lines. Level-sensitive: the line stays asserted until cleared. */
void hv_cpu_set_line(struct hv_cpu *cpu, enum hv_cpu_line line, bool level);
bool hv_cpu_line(const struct hv_cpu *cpu, enum hv_cpu_line line);

/* State. */
uint64_t hv_cpu_x(struct hv_cpu *cpu, unsigned n); /* x0..x30 */
void hv_cpu_set_x(struct hv_cpu *cpu, unsigned n, uint64_t v);
uint64_t hv_cpu_pc(struct hv_cpu *cpu);
/* Inside an MMIO callback: the PC of the load or store being served (the PC
 * hv_cpu_pc gives there is the start of its translation block). Elsewhere,
 * or if it cannot be found, hv_cpu_pc. */
uint64_t hv_cpu_access_pc(struct hv_cpu *cpu);
void hv_cpu_set_pc(struct hv_cpu *cpu, uint64_t pc);
unsigned hv_cpu_el(struct hv_cpu *cpu);
uint64_t hv_cpu_pstate(struct hv_cpu *cpu);
/* A system register by encoding, through QEMU's raw accessors (not the
 * module table). Only for registers QEMU backs with state (HCR_EL2, VBAR_ELx,
 * ESR_ELx, ...): Unicorn 2.1.1 asserts on computed ones such as CurrentEL. */
int hv_cpu_sysreg_get(struct hv_cpu *cpu, uint32_t enc, uint64_t *v);
int hv_cpu_sysreg_set(struct hv_cpu *cpu, uint32_t enc, uint64_t v);
/* The registers that say which VM and vCPU run (the trace's context
 * records, tools/hvsim/trace_cmd.c): HCR_EL2, VTTBR_EL2, VTCR_EL2 and
 * VMPIDR_EL2. hv_cpu_vmreg returns exactly what hv_cpu_sysreg_get would,
 * from a cache: an engine read costs ~100 ns and a traced run asks for
 * every event. Only an MSR (or hv_cpu_sysreg_set) changes these registers;
 * the cache is dropped at an MSR to one of them (and ignored until the next
 * block starts, since the hook runs before the engine writes), at every
 * hv_cpu_sysreg_set, and at every exception entry and return. */
enum hv_cpu_vmreg { HV_VMREG_HCR, HV_VMREG_VTTBR, HV_VMREG_VTCR, HV_VMREG_VMPIDR, HV_VMREG__COUNT };
int hv_cpu_vmreg(struct hv_cpu *cpu, enum hv_cpu_vmreg r, uint64_t *v);
/* Off: every hv_cpu_vmreg reads the engine (HVSIM_NO_VMREG_CACHE=1 in the
 * CLI; the tests compare both). On by default. */
void hv_cpu_set_vmreg_cache(struct hv_cpu *cpu, bool on);
/* Read memory through the current translation regime (as a debugger does). */
int hv_cpu_read_va(struct hv_cpu *cpu, uint64_t va, void *buf, size_t len);
/* Read physical memory. */
int hv_cpu_read_pa(struct hv_cpu *cpu, uint64_t pa, void *buf, size_t len);

/* Raise a synchronous exception from inside a system-register callback, with
 * a chosen syndrome, to target_el. The current instruction does not retire. */
void hv_cpu_raise_sysreg_trap(struct hv_cpu *cpu, uint32_t esr, unsigned target_el);

/* Disassemble the instruction at a VA (through the current translation).
 * Writes e.g. "hvc #0x42" or "<unreadable>"; always NUL-terminates. */
void hv_cpu_disasm(struct hv_cpu *cpu, uint64_t va, char *buf, size_t len);

/* The Unicorn library version in use ("2.1.1"). */
const char *hv_cpu_engine_version(void);

#endif
