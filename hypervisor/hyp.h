/* The hypervisor's state: the platform found in the DTB, the VMs and their
 * vCPUs, the scheduler. One instance (struct hyp) exists per system; every
 * function takes it (or a vCPU/VM that points back to it) explicitly. */
#ifndef HYP_H
#define HYP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/sysreg.h"
#include "core/irq_rate.h"
#include "core/mmio_decode.h"
#include "core/pgtable.h"
#include "core/sched_mask.h"
#include "core/vdev_perm.h"
#include "core/vgic_emu.h"
#include "core/vgic_lr.h"
#include "core/vm_config.h"
#include "core/vptimer.h"
#include "core/wake_queue.h"

#define HYP_MAX_UARTS    8
#define HYP_S2_POOL      96 /* 4 KiB pages for all stage-2 and EL2 tables */
#define HYP_CONSOLE_LINE 120

/* Registers saved on every trap; layout fixed by arch/entry.S. */
struct vcpu_regs {
    uint64_t x[31];
    uint64_t pc;     /* ELR_EL2 */
    uint64_t pstate; /* SPSR_EL2 */
};

/* EL1 (and EL0) system registers, switched with the vCPU. */
struct el1_ctx {
    uint64_t sctlr, ttbr0, ttbr1, tcr, mair, amair, vbar, contextidr;
    uint64_t tpidr_el1, tpidr_el0, tpidrro_el0, sp_el0, sp_el1, elr, spsr;
    uint64_t esr, far, afsr0, afsr1, par, cpacr, cntkctl, csselr, mdscr;
};

struct fp_ctx {
    __uint128_t q[32];
    uint64_t fpsr, fpcr;
} __attribute__((aligned(16)));

enum vcpu_state {
    VCPU_OFF,      /* not started (CPU_ON) or CPU_OFF / VM off */
    VCPU_RUNNABLE, /* ready or running */
    VCPU_BLOCKED,  /* WFI with nothing pending: waits for its timer or an IRQ */
};

struct vm;

struct vcpu {
    struct vcpu_regs r; /* must stay first (arch/entry.S) */
    struct el1_ctx el1;
    struct fp_ctx fp;
    uint64_t cntv_ctl, cntv_cval;
    struct vgic_lrs vgic; /* list registers and the overflow queue */
    uint64_t vmcr, ap0r0, ap1r0;
    bool ppi27_active; /* physical PPI 27 was active (HW LR) when switched out */
    /* The guest set its virtual timer pending through GICR_ISPENDR0, which
     * made the physical PPI 27 pending (vm/vgic.c): until the hypervisor
     * acknowledges it, that pending state is this vCPU's, and a switch
     * must take it along (hyp_vcpu_put / hyp_vcpu_load), or the next
     * vCPU would be given it. */
    bool ppi27_swpend;
    bool ppi27_repend; /* taken along at switch-out: set again at load */
    /* Its virtual timer fired while it had INTID 27 disabled: the
     * physical PPI is kept active (so that the level does not signal
     * again) until the guest enables INTID 27, which delivers it. */
    bool vtimer_held;
    /* Its emulated EL1 physical timer (vm/vptimer.c) and the physical
     * count at which its output rises (on the CNTHP queue), or UINT64_MAX. */
    struct vptimer ptimer;
    uint64_t ptimer_at;
    uint64_t hvc_done; /* bytes of a restarted console hypercall written so far (vm/hvc.c) */
    struct vm *vm;
    unsigned idx;          /* vCPU number in its VM (MPIDR Aff0) */
    unsigned sched_idx;    /* its index in hyp.all (core/sched_mask.h numbering) */
    uint32_t sched_bit;    /* 1 << sched_idx */
    enum vcpu_state state; /* changed by hyp_sched_set_state only (the masks follow it) */
    uint64_t slice_end;    /* physical count at which its slice ends */
    uint64_t slice_left;   /* rest of the slice kept while preempted, or 0 */
    uint64_t slice_full;   /* its VM's time slice, in counter ticks */
};

/* Per-VM counters for the summary. */
struct vm_stats {
    uint64_t traps[64]; /* by exception class */
    uint64_t irqs, injections, switches_in, violations, undefs;
    uint64_t clk_reads, clk_writes, clk_applied; /* its vCRU/vGRF accesses */
    uint64_t clk_refused;                        /* refused CRU/GRF fields */
    uint64_t clk_restored;                       /* CRU/GRF registers written back by its resets */
    uint64_t irq_storms;  /* passthrough SPIs masked for exceeding HYP_IRQ_BUDGET */
    uint64_t irq_dropped; /* passthrough interrupts not forwarded (over budget) */
    uint64_t sgis, sgis_refused, ptimer_fired; /* virtual SGIs sent; EL1 physical timer */
    uint64_t group0_refused; /* ICC_SGI0R_EL1 writes refused (its vGIC is Group 1 only) */
    /* Timer advance (vm/sched.c): its vCPUs switched in ahead of their
     * deadline, and how many of those loads came after the deadline (the
     * advance was too short for the hypervisor's path at that moment). */
    uint64_t armed, armed_late;
    /* Active interrupts out of the list registers deactivated through
     * ICH_HCR_EL2.EOIcount (vm/vgic.c hyp_vgic_eoicount), and EOIcounts
     * that could not be matched (nothing queued active). */
    uint64_t eoi_deact, eoi_unmatched;
    uint64_t dir_traps; /* ICC_DIR_EL1 writes trapped (TDIR) and emulated */
};

struct vm {
    const struct hyp_vm_config *cfg;
    struct hyp *hyp;
    struct vcpu vcpu[HYP_MAX_VCPUS];
    struct pt s2;
    uint64_t vttbr;
    uint64_t cntvoff;      /* CNTVOFF_EL2 for all its vCPUs */
    uint64_t preempted_at; /* physical count when preempted, or 0 */
    uint64_t advance;      /* cfg->timer_advance_ns in counter ticks (vm/sched.c) */
    uint32_t sched_mask;   /* its vCPUs' bits in the scheduler's masks */
    bool console_passthrough;
    bool off;
    bool loaded; /* its image is in its RAM (a preloaded VM: cannot be reloaded) */
    unsigned resets;
    /* A warm reset in progress (hyp_vm_reset_step): its step and where in
     * it; RESET_DONE when none. */
    enum { RESET_DONE, RESET_SPIS, RESET_VGIC, RESET_IMAGE, RESET_DTB, RESET_VCLK } reset_step;
    uint64_t reset_pos;
    /* Emulated PL011 console (when not passed through). */
    uint32_t vuart_cr, vuart_lcr, vuart_ibrd, vuart_fbrd, vuart_imsc;
    unsigned line_len;               /* its line, below */
    struct vgic_emu vgic;            /* its emulated GICD/GICR */
    bool vclk;                       /* it has a vCRU/vGRF (the platform has the blocks) */
    uint32_t vclk_view[RK_R__COUNT]; /* its view of every CRU/GRF register (vm/vcru.c) */
    struct irq_rate_set irq_rate;    /* its passthrough SPIs' interrupts per window (vm/vgic.c) */
    uint8_t spi_prio;                /* physical priority of its passthrough SPIs (vm/vgic.c) */
    /* The physical INTID behind each virtual SPI (passthrough), -1 for
     * none: found once at boot by hyp_vgic_setup, so that an enable write
     * does not search the configuration with interrupts masked. */
    int16_t spi_pintid[HYP_INTID_SPI_LAST + 1 - HYP_INTID_SPI_FIRST];
    uint8_t pmr; /* ICC_PMR_EL1 while it runs: lower VMs' SPIs stay pending */
    /* HYP_VDEV_INFO's answer (x0-x3), found at boot (hyp_hvc_setup): its
     * search of the platform's devices took thousands of instructions
     * with interrupts masked when done at the call. */
    uint64_t vdev_info[4];
    uint8_t dtb[HYP_VM_DTB_SIZE]; /* its DTB (core/vm_dtb.c), copied in at every reset */
    unsigned dtb_size;
    struct vm_stats st;
    /* The emulated console's line, last: fields the world switch reads
     * (vgic) stay at offsets a load instruction can address directly. */
    _Alignas(8) char line[128]; /* HYP_CONSOLE_LINE + 1, whole words (hyp_console_line) */
};

struct hyp_uart {
    uint64_t base, size;
    int intid;
};

/* The platform, from the DTB. */
struct hyp_platform {
    const void *dtb;
    uint64_t dtb_size;
    uint64_t ram_base, ram_size;
    uint64_t gicd, gicd_size, gicr, gicr_size;
    unsigned ppi_sec, ppi_hyp, ppi_virt, ppi_phys; /* timer PPIs as INTIDs */
    unsigned ppi_maint;
    struct hyp_uart uart[HYP_MAX_UARTS];
    unsigned nuarts;
    bool psci_smc; /* PSCI conduit: true = SMC, false = HVC (unusable from EL2) */
    bool have_psci;
    uint64_t cru, grf, evtport; /* 0 when absent */
    uint64_t cru_size, grf_size, evtport_size;
    uint64_t i2c, i2c_size; /* hvsim,simple-i2c (i2c0), 0 when absent */
    int i2c_intid;
    char model[64];
    /* /chosen/bootargs "hyp.timer_advance_ns=N": every VM's timer advance
     * (vm/sched.c) instead of its configuration's; -1 when not given. The
     * right advance depends on the machine's speed, which the board's DT
     * (or hvsim's --append) knows and the const configuration does not. */
    int64_t timer_advance_ns;
};

struct hyp {
    struct hyp_platform plat;
    /* The scheduler's state first: the world switch and the tick read it,
     * and fields near the start take one instruction to address (the VMs
     * below are large). */
    struct vcpu *current; /* the vCPU whose state is in the PE, or NULL */
    bool resched;         /* something changed: run the scheduler before returning */
    bool rotate;          /* the current vCPU gives up its turn (yield) */
    uint32_t runnable;    /* state RUNNABLE (running or ready), VM not off */
    /* Blocked vCPUs within their VM's timer advance of their deadline
     * (vm/sched.c): switched in ahead of it if they outrank the choice. */
    uint32_t armed;
    uint32_t advanced;    /* the vCPUs whose VM has a timer advance */
    uint64_t ptimer_next; /* earliest vcpu.ptimer_at of all (vm/vptimer.c) */
    uint64_t world_switches;
    /* The vCPU whose FP/SIMD registers the PE holds (lazy switching,
     * vm/vcpu.c), or NULL: its own registers are up to date in no
     * struct fp_ctx but in the PE. */
    struct vcpu *fp_owner;
    /* Every configured vCPU by priority, highest first (core/sched_mask.h),
     * and the scheduler's masks over that numbering. */
    struct vcpu *all[HYP_MAX_VMS * HYP_MAX_VCPUS];
    unsigned nall;
    uint32_t peers[HYP_MAX_VMS * HYP_MAX_VCPUS]; /* per vCPU: the vCPUs of its priority */
    /* The vCPUs in state BLOCKED and switched out, by the physical count
     * at which their virtual timer fires (computed when switched out). */
    struct wake_queue blocked;
    struct hyp_plat view; /* for configuration validation */
    const struct hyp_config *cfg;
    struct vm vms[HYP_MAX_VMS];
    unsigned nvms;
    struct pt el2; /* the hypervisor's own stage-1 tables */
    unsigned parange;
    unsigned nr_lrs;
    uint64_t freq;                   /* CNTFRQ_EL0 */
    uint64_t hyp_tick;               /* physical ticks per hypervisor tick (1 ms) */
    struct vdev_perm_table clk_perm; /* CRU/GRF fields per VM (index in vms[]) */
    uint32_t clk_boot[RK_R__COUNT];  /* CRU/GRF at hand-over: what a VM reset restores */
    /* Preemption points (vm/trap.c): the trap being handled has made a
     * side effect (hyp_commit), or was abandoned at a point for a pending
     * interrupt. */
    bool committed;
    uint8_t redo;               /* HYP_REDO_*: the trap is to be re-executed by the guest */
    uint64_t preemptions;       /* traps abandoned at a preemption point */
    uint64_t reset_preemptions; /* VM resets interrupted (and resumed) */
};

/* ISR_EL1.I (Arm ARM D13.2.69): a physical IRQ is pending for the PE,
 * after the GIC's priority mask. At EL2 with PSTATE.I = 1 it is how the
 * hypervisor sees an interrupt waiting for it. */
static inline bool hyp_irq_pending(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, isr_el1" : "=r"(v)::"memory");
    return (v >> 7) & 1;
}

/* Preemption points (seL4's term) in trap handlers: a handler that has
 * made no side effect yet may give up when a physical interrupt is
 * pending; hyp_trap then serves the interrupt at once and the guest
 * re-executes the trapped instruction (ELR_EL2 unchanged), which traps
 * again. The rule "nothing before the point" is checked at run time in
 * every build: every side effect a handler can make before returning
 * (the event port, a message, an injection, a VM reset, the guest's PC
 * or registers) calls hyp_commit, and a point reached after one panics
 * (tests/e2e/test_hyp_latency.py runs the images that exercise them). */
void hyp_panic(const char *why) __attribute__((noreturn));
enum {
    HYP_REDO_NONE,
    HYP_REDO_ABANDONED, /* at a preemption point: nothing was done */
    HYP_REDO_RESTART,   /* a restartable operation kept its progress (vm/hvc.c) */
};
static inline void hyp_commit(struct hyp *h)
{
    h->committed = true;
}
static inline bool hyp_preempt_point(struct hyp *h)
{
    if (__builtin_expect(h->committed, 0))
        hyp_panic("preemption point after a side effect of the trap");
    if (!hyp_irq_pending())
        return false;
    h->redo = HYP_REDO_ABANDONED;
    return true;
}

/* lib/console.c: UART0, polled; once the VMs run, through a log ring
 * drained where it costs no interrupt latency. */
void hyp_console_init(uint64_t base);
void hyp_console_defer(bool on); /* off: flush the ring, then write directly */
bool hyp_console_pending(void);
bool hyp_console_drain(bool wait); /* wait: for a full FIFO; false: stopped for an interrupt */
extern bool hyp_console_dirty;     /* the log ring holds text or messages */
void hyp_console_flush(void);
uint64_t hyp_console_stalls(void);
void hyp_putc(char c);
void hyp_puts(const char *s);
/* A console line "[name] text\n" recorded without copying it into the
 * ring (~40 instructions, not ~10 a character): text is 8-byte aligned, of
 * at least 128 bytes (struct vm.line), len < 128, name constant. false:
 * not deferred or no room, the caller writes it itself. */
bool hyp_console_line(const char *name, const char *text, unsigned len);
int hyp_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hyp_panic(const char *why) __attribute__((noreturn));

/* boot/dt.c */
int hyp_dt_parse(const void *dtb, struct hyp_platform *p, char *err, size_t errlen);

/* boot/mmu.c */
void *hyp_page_alloc(void);
extern const struct pt_alloc hyp_pt_alloc;
void hyp_mmu_early(void);
int hyp_mmu_init(struct hyp *h, char *err, size_t errlen);

/* vm/gic.c: the physical GIC, owned by the hypervisor. */
void hyp_gic_init(struct hyp *h);
void hyp_gic_enable_ppi(struct hyp *h, unsigned intid);
void hyp_gic_enable_spi(struct hyp *h, unsigned intid);
void hyp_gic_disable_spi(struct hyp *h, unsigned intid);
void hyp_gic_deactivate_spi(struct hyp *h, unsigned intid);
void hyp_gic_activate_spi(struct hyp *h, unsigned intid);
bool hyp_gic_pending(struct hyp *h, unsigned intid);
void hyp_gic_set_pending(struct hyp *h, unsigned intid, bool pending);
void hyp_gic_set_spi_priority(struct hyp *h, unsigned intid, uint8_t prio);
void hyp_gic_set_ppi_active(struct hyp *h, unsigned intid, bool active);
bool hyp_gic_ppi_active(struct hyp *h, unsigned intid);

/* vm/vm.c */
int hyp_vms_create(struct hyp *h, char *err, size_t errlen);
void hyp_vm_reset(struct vm *vm);
bool hyp_vm_reset_step(struct vm *vm);
struct vcpu *hyp_vm_reset_finish(struct hyp *h, struct vcpu *next);
void hyp_vm_off(struct vm *vm, const char *why);
void hyp_vcpu_reset(struct vcpu *v, uint64_t pc, uint64_t x0);
bool hyp_vm_ipa_to_pa(struct vm *vm, uint64_t ipa, uint64_t *pa);
/* Kinds of isolation events, as the event port numbers them
 * (sim/platform/evtport.h). */
enum hyp_event_kind {
    HYP_EV_MEMORY = 1,
    HYP_EV_VGIC = 2,
    HYP_EV_FETCH = 3,
    HYP_EV_CRASH = 4,
    HYP_EV_CRU = 6, /* addr = register offset in the cru window, info = field << 32 | value */
    HYP_EV_GRF = 7, /* the same for the GRF */
    HYP_EV_IRQ = 8, /* an interrupt storm: addr = physical INTID, info = virtual INTID << 32 |
                     * the budget per window it exceeded (core/irq_rate.h) */
    HYP_EV_SGI = 9, /* addr = the SGI's INTID, info = the ICC_SGI*R_EL1 value */
};
void hyp_violation(struct vm *vm, enum hyp_event_kind kind, const char *what, uint64_t a,
                   uint64_t b);
/* hyp_violation prints the first HYP_VIOLATIONS_PRINTED violations of each
 * VM (every one is counted and sent to the event port). A caller that
 * builds its message with hyp_snprintf asks hyp_violation_printed first:
 * formatting costs hundreds of instructions, with interrupts masked, for a
 * line nobody prints (rogue's vGIC flood). */
#define HYP_VIOLATIONS_PRINTED 8
static inline bool hyp_violation_printed(const struct vm *vm)
{
    return vm->st.violations < HYP_VIOLATIONS_PRINTED;
}
void hyp_event_port(struct hyp *h, unsigned vm_id, enum hyp_event_kind kind, uint64_t addr,
                    uint64_t info);

/* vm/vcpu.c: the world switch of EL1 state. */
void hyp_vcpu_load(struct hyp *h, struct vcpu *v);
void hyp_vcpu_put(struct hyp *h, struct vcpu *v);
void hyp_inject_undef(struct vcpu *v);
/* Lazy FP/SIMD (vm/vcpu.c): CPTR_EL2 for the vCPU about to run, the trap
 * of a guest's first FP/SIMD access, and the hypervisor's own. */
void hyp_fp_arm(struct hyp *h, struct vcpu *next);
void hyp_fp_trap(struct hyp *h, struct vcpu *v);
void hyp_fp_trap_el2(struct hyp *h);
void hyp_fp_forget(struct hyp *h, struct vcpu *v);
void hyp_inject_dabt(struct vcpu *v, uint64_t va);

/* vm/vgic.c */
void hyp_vgic_inject(struct hyp *h, struct vcpu *v, unsigned vintid, unsigned prio, bool hw,
                     unsigned pintid);
void hyp_vgic_maintenance(struct hyp *h, struct vcpu *v);
void hyp_vgic_eoicount(struct hyp *h, struct vcpu *v);
void hyp_vgic_dir(struct hyp *h, struct vcpu *v, uint64_t val);
bool hyp_vgic_pending(struct hyp *h, struct vcpu *v);
void hyp_irq(struct hyp *h, struct vcpu *v);
int hyp_vgic_mmio(struct vcpu *v, uint64_t ipa, bool write, unsigned width, uint64_t *val);
void hyp_vgic_setup(struct hyp *h, struct vm *vm);
unsigned hyp_vgic_reset(struct hyp *h, struct vm *vm, unsigned from, unsigned n);
unsigned hyp_vgic_reset_spis(struct hyp *h, struct vm *vm, unsigned from, unsigned n);
void hyp_vgic_sgi(struct hyp *h, struct vcpu *v, uint64_t icc_sgi1r);
/* A trapped write of ICC_SGI0R_EL1 (group 0), ICC_SGI1R_EL1 or
 * ICC_ASGI1R_EL1 (group 1). */
void hyp_vgic_sgi_write(struct hyp *h, struct vcpu *v, unsigned group, uint64_t val);
void hyp_vgic_inject_irq(struct hyp *h, struct vcpu *v, const struct vgic_irq *irq);
void hyp_vgic_retract(struct hyp *h, struct vcpu *v, unsigned vintid);

/* vm/vptimer.c: the emulated EL1 physical timer. */
void hyp_ptimer_reset(struct vcpu *v);
void hyp_ptimer_sysreg(struct hyp *h, struct vcpu *v, enum vptimer_reg r, bool read, unsigned rt);
void hyp_ptimer_update(struct hyp *h, struct vcpu *v);

/* vm/sched.c */
/* The physical count, read after an ISB so that it is not read early
 * (the counter read is not ordered with the instructions before it:
 * D11.2.2). Inline: the world switch reads it. */
static inline uint64_t hyp_now(void)
{
    isb();
    return read_sysreg(cntpct_el0);
}
void hyp_sched_init(struct hyp *h);
struct vcpu *hyp_schedule(struct hyp *h, struct vcpu *prev, bool preempted);
void hyp_sched_block(struct hyp *h, struct vcpu *v);
void hyp_sched_yield(struct hyp *h);
void hyp_sched_wake(struct hyp *h, struct vcpu *v);
void hyp_sched_set_state(struct hyp *h, struct vcpu *v, enum vcpu_state s);
void hyp_sched_tick(struct hyp *h);
bool hyp_sched_need_resched(struct hyp *h);
void hyp_run(struct hyp *h) __attribute__((noreturn));
void hyp_system_off(struct hyp *h) __attribute__((noreturn));

/* vm/trap.c */
struct vcpu *hyp_trap(struct vcpu *v, unsigned kind);

/* vm/hvc.c */
void hyp_hvc(struct hyp *h, struct vcpu *v, bool smc);
void hyp_hvc_setup(struct hyp *h, struct vm *vm); /* at boot, after its first reset */

/* vm/vuart.c */
bool hyp_vuart_mmio(struct vm *vm, uint64_t ipa, bool write, unsigned width, uint64_t *val);
void hyp_vm_console_putc(struct vm *vm, char c);

/* vm/vcru.c: the virtual CRU/GRF. */
void hyp_vclk_init(struct hyp *h);
void hyp_vclk_reset(struct vm *vm, unsigned from, unsigned to); /* registers [from, to) */
int hyp_vclk_mmio(struct vm *vm, uint64_t ipa, bool write, unsigned width, uint64_t *val);

/* arch/entry.S */
void hyp_vcpu_enter(struct vcpu *v) __attribute__((noreturn));
void hyp_el1_save(struct el1_ctx *c);
void hyp_el1_restore(const struct el1_ctx *c);
void hyp_fp_save(struct fp_ctx *f);
void hyp_fp_restore(const struct fp_ctx *f);
uint64_t hyp_smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);

extern struct hyp g_hyp;

#endif
