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
#include <stddef.h>
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

/* QEMU 5.0 include/exec/cpu-all.h and target/arm/cpu.h interrupt_request bits
 * (the shared notes once gave vIRQ as 0x80: that is CPU_INTERRUPT_DEBUG, which
 * makes Unicorn stop the CPU for good). */
enum {
    HV_CPU_INTERRUPT_HARD = 0x2,
    HV_CPU_INTERRUPT_FIQ = 0x10,
    HV_CPU_INTERRUPT_VIRQ = 0x40, /* CPU_INTERRUPT_TGT_EXT_2; 0x80 is CPU_INTERRUPT_DEBUG */
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
    /* Bus errors (hv_uci_bus_init): &cs->mem_io_pc, the host return address
     * of the load/store whose MMIO access is in progress, and &env->aarch64. */
    uintptr_t *mem_io_pc;
    uint32_t *aarch64;
    /* Instruction cache maintenance (hv_uci_ic_va, hv_uci_ic_all): the
     * engine, the smallest I-cache line (CTR_EL0.IminLine) and the RAM
     * given to the engine, as host buffers. */
    uc_engine *uc;
    uint64_t ic_line;
    struct hv_uci_ram *ram;
    size_t nram;
    uint64_t ic_va_seen, ic_all_seen; /* IC instructions served (tests, benchmarks) */
    /* Engine pages that may hold blocks (ram_addr >> page_bits), from
     * Unicorn's tlb_protect_code() where it is wrapped (code_tracked):
     * IC IALLU then visits these instead of all RAM. */
    bool code_tracked;
    unsigned page_bits;
    uint64_t *code_bits; /* bitmap over page indexes */
    size_t code_words;
    uint64_t *code_list; /* the indexes set, in the order seen */
    size_t ncode, capcode;
};

struct hv_uci_ram {
    void *host;
    uint64_t size;
};

/* Find cs/env, install the EL-change hooks. Call before the first run. */
int hv_uci_init(uc_engine *uc, struct hv_uci *uci, hv_uci_el_hook pre, hv_uci_el_hook post,
                void *opaque, struct hv_err *err);

/* Undo hv_uci_init's registration (before uc_close). */
void hv_uci_fini(struct hv_uci *uci);

/* ---- instruction cache maintenance: self-modifying code ------------------
 *
 * Unicorn 2.1.1 misses some rewrites of translated code (docs/differences.md,
 * "Self-modifying code"): its store path stops watching a page for code
 * writes after any store to it, while blocks remain there. The Arm ARM
 * (B2.4.4, "Concurrent modification and execution of instructions")
 * requires software to invalidate the instruction cache (IC IVAU or
 * IC IALLU/IALLUIS, then DSB and ISB) before a rewritten instruction must be
 * executed, so hvsim drops the translated blocks there: the ones on the
 * physical I-cache line of an IC IVAU, every one for IC IALLU(IS).
 *
 * The hvsim executable gets these calls from Unicorn's own access check of
 * the IC instructions (-Wl,--wrap=helper_access_check_cp_reg_aarch64,
 * tools/CMakeLists.txt): no cost for other system instructions. In other
 * executables (shared Unicorn, no wrap), hv_uci_ic_wrapped() is false and
 * the CPU model calls them from its UC_HOOK_INSN SYS hook instead. */
bool hv_uci_ic_wrapped(void);
/* Register a RAM mapping's host buffer (hv_cpu_map_ram). */
int hv_uci_add_ram(struct hv_uci *uci, void *host, uint64_t size);
/* IC IVAU (AArch32 ICIMVAU): invalidate the blocks on the line of va,
 * translated in the current regime. */
void hv_uci_ic_va(struct hv_uci *uci, uint64_t va);
/* IC IALLU / IC IALLUIS (ICIALLU / ICIALLUIS): invalidate every block:
 * those of the pages that gained a block since the last one where the
 * engine's tlb_protect_code() is wrapped (the CLI), else every RAM page. */
void hv_uci_ic_all(struct hv_uci *uci);
/* From a UC_HOOK_INSN SYS hook: serve cp if it is IC IVAU, IC IALLU or
 * IC IALLUIS (cp->val is Xt); false for any other SYS instruction. */
bool hv_uci_ic_sys(struct hv_uci *uci, const uc_arm64_cp_reg *cp);

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
/* Make the RAM region mapped at pa a ROM for the engine: QEMU then marks its
 * TLB entries TLB_DISCARD_WRITE, so a store that gets past Unicorn's
 * write-protection hook (which returns "handled") is dropped, not stored. */
int hv_uci_set_readonly(uc_engine *uc, uint64_t pa, struct hv_err *err);

int hv_uci_read_debug(struct hv_uci *uci, uint64_t va, void *buf, uint64_t len);

/* Unicorn's tlb_reset_dirty_by_vaddr() (run after each translation) done on
 * the entries that can map the range instead of on every TLB entry; see
 * uc_internals.c. The hvsim executable routes Unicorn's call here with
 * -Wl,--wrap; hv_uci_tlb_reset_fast() says whether hv_uci_init() found and
 * checked the TLB layout (otherwise Unicorn's own function runs). */
bool hv_uci_tlb_reset_fast(void);
/* The engine's TARGET_PAGE_SIZE (1024 for AArch64 in Unicorn 2.1.1 unless
 * hv_uci_set_page_size() changed it); 0 if the query fails. */
uint32_t hv_uci_page_size(uc_engine *uc);

/* ---- engine (TCG) page size (docs/architecture.md, "Engine pages") --------
 *
 * Unicorn 2.1.1 runs AArch64 with QEMU's smallest Arm target page, 1 KiB
 * (TARGET_PAGE_BITS_MIN), and its uc_ctl_set_page_size() accepts only
 * UC_ARCH_ARM. hvsim sets uc->target_bits, which finalize_target_page_bits()
 * reads when the engine initialises, as that control does for 32-bit Arm.
 * The field's offset is found and checked once per process on scratch
 * engines (see uc_internals.c); if any check fails the engine keeps 1 KiB
 * pages and a one-line notice says why. */
#define HV_UCI_PAGE_DEFAULT 4096u
/* Ask a fresh engine (before any call that initialises it) for target pages
 * of size bytes: 1024 (Unicorn's own choice) or 4096. Returns the page size
 * the engine will have; if that is not size, notice (cap bytes) says why. */
uint32_t hv_uci_set_page_size(uc_engine *uc, uint32_t size, char *notice, size_t cap);
/* For tests: the offset of uc->target_bits found (negative: not found, with
 * the reason in why). */
long hv_uci_target_bits_offset(const char **why);
void hv_uci_tlb_reset(void *cs, uint64_t start, uint64_t length);
/* For tests: copy every mode's TLB table, then the TLB descriptors (with
 * the victim TLBs), into buf; returns the size needed (0 if the layout was
 * not found; nothing is copied if cap is smaller). */
size_t hv_uci_tlb_copy(void *cs, void *buf, size_t cap);

/* ---- bus errors: synchronous external aborts (docs/cpu-bus-errors.md) ----
 *
 * hvsim maps catch-all MMIO regions over every PA hole. Unicorn runs their
 * callbacks inside QEMU's io_readx()/io_writex(), which store the host
 * return address of the guest load/store in cs->mem_io_pc just before.
 * With it, QEMU's own arm_cpu_do_transaction_failed() restores the guest
 * state of the faulting instruction and delivers the abort, exactly as
 * QEMU does for an unassigned address (MEMTX_DECODE_ERROR). */

/* mem_io_pc value meaning "no load/store of the CPU is in progress": hvsim
 * writes it after every MMIO callback, so that a callback reached by another
 * path (a translation table walk, a debugger read) is recognised. */
#define HV_UCI_NO_IO_PC ((uintptr_t)1)

/* Find cs->mem_io_pc and check the whole abort path on a scratch engine
 * (once per process), then arm uci. Fails with a message if Unicorn
 * differs. */
int hv_uci_bus_init(struct hv_uci *uci, struct hv_err *err);

/* The host return address of the access in progress (or 0 or
 * HV_UCI_NO_IO_PC); reading resets it to HV_UCI_NO_IO_PC. */
static inline uintptr_t hv_uci_take_io_pc(struct hv_uci *uci)
{
    uintptr_t ra = *uci->mem_io_pc;
    *uci->mem_io_pc = HV_UCI_NO_IO_PC;
    return ra;
}
static inline void hv_uci_clear_io_pc(struct hv_uci *uci)
{
    *uci->mem_io_pc = HV_UCI_NO_IO_PC;
}

/* QEMU's cpu_restore_state(): env->pc (and the syndrome template) of the
 * instruction whose code contains host_pc. False if host_pc is not in
 * translated code. */
bool hv_uci_restore_state(struct hv_uci *uci, uintptr_t host_pc);

/* The PC of the instruction whose code contains host_pc, without changing
 * the PE's PC: cpu_restore_state(will_exit = false) on a copy. Its side
 * effect on the syndrome template is harmless: QEMU restores the template
 * again before any exception that uses it. False if host_pc is not in
 * translated code. */
bool hv_uci_peek_pc(struct hv_uci *uci, uintptr_t host_pc, uint64_t *pc);

/* True if the PE is in AArch64 state (env->aarch64). */
static inline bool hv_uci_is_a64(const struct hv_uci *uci)
{
    return *uci->aarch64 != 0;
}

/* QEMU's core MMU index of the current translation regime:
 * arm_to_core_mmu_idx(arm_mmu_idx(env)). */
int hv_uci_core_mmu_idx(struct hv_uci *uci);

enum hv_uci_access { HV_UCI_LOAD = 0, HV_UCI_STORE = 1, HV_UCI_FETCH = 2 }; /* MMUAccessType */

/* QEMU's arm_cpu_do_transaction_failed() with MEMTX_DECODE_ERROR: restore
 * the state at host_pc (0 during translation: env->pc is already the
 * fetch address) and take the synchronous external abort for va. Does not
 * return. */
void hv_uci_external_abort(struct hv_uci *uci, uint64_t pa, uint64_t va, unsigned size,
                           enum hv_uci_access access, uintptr_t host_pc) __attribute__((noreturn));

/* QEMU's cpu_loop_exit(): leave the translated code now (state must have
 * been restored). Does not return. */
void hv_uci_loop_exit(struct hv_uci *uci) __attribute__((noreturn));

#endif
