/* hvsim: the observer interface, the one way events leave the models.
 *
 * Models never print. They fill a struct hv_event and hand it to the observer
 * hub; subscribers (the CLI's console log, the demo narrator, the trace
 * recorder, tests) decide what to do with it. Each subscriber gives a mask of
 * the event types it wants, and emitters test hv_obs_wants() first, so an
 * event nobody wants costs one load and a branch.
 */
#ifndef HV_OBSERVER_H
#define HV_OBSERVER_H

#include <stdbool.h>
#include <stdint.h>

enum hv_ev_type {
    HV_EV_EXC_TAKEN,   /* an exception was taken (sync or async) */
    HV_EV_ERET,        /* an exception return was executed */
    HV_EV_SYSREG,      /* a system register handled by a simulated module */
    HV_EV_MMIO,        /* a device register access */
    HV_EV_BUS_ERROR,   /* an access to a PA with nothing behind it */
    HV_EV_UART_TX,     /* a byte left a UART */
    HV_EV_PSCI,        /* a PSCI call answered by the firmware model */
    HV_EV_WFI,         /* the PE idled in WFI (virtual time skipped) */
    HV_EV_GUEST_ERROR, /* the guest did something architecturally wrong */
    HV_EV_UNIMPL,      /* the guest used something hvsim does not implement */
    HV_EV_RUN_STOP,    /* the run ended */
    HV_EV_SOC_REG,     /* a CRU/GRF register access (sim/soc) */
    HV_EV_DEV_STATE,   /* a device's clock, reset or pin state changed (sim/soc) */
    HV_EV_ISOLATION,   /* a VM's stage 2 maps memory it does not own (docs/mmu.md) */
    HV_EV_REFUSAL,     /* a hypervisor reported a refused access (event port) */
    HV_EV_IRQ,         /* a physical interrupt: asserted, acknowledged, EOI'd, deactivated */
    HV_EV_LR,          /* a list register written by the hypervisor (an injection) */
    HV_EV_VIRQ,        /* a virtual interrupt acknowledged, EOI'd or deactivated by the guest */
    HV_EV_MAINT,       /* the maintenance interrupt changed level (sim/gic) */
    HV_EV_TIMER,       /* a generic timer was programmed or fired (sim/timer) */
    HV_EV__COUNT
};

#define HV_EV_BIT(t) (1u << (t))
#define HV_EV_ALL    ((1u << HV_EV__COUNT) - 1)

/* Exception kinds, as in the vector offset groups (Arm ARM D1.10.2). */
enum hv_exc_kind { HV_EXC_SYNC = 0, HV_EXC_IRQ = 1, HV_EXC_FIQ = 2, HV_EXC_SERROR = 3 };

struct hv_ev_exc {
    uint8_t from_el, to_el;
    uint8_t kind;    /* enum hv_exc_kind */
    uint8_t virt;    /* async: 1 if a virtual interrupt (vIRQ/vFIQ) */
    uint32_t esr;    /* ESR_ELx of the target EL (sync only) */
    uint64_t far;    /* FAR_ELx (aborts) */
    uint64_t hpfar;  /* HPFAR_EL2 (stage-2 aborts to EL2) */
    uint64_t elr;    /* ELR_ELx: the preferred return address */
    uint64_t spsr;   /* SPSR_ELx */
    uint64_t vector; /* the PC after entry */
    uint32_t insn;   /* sync: the instruction at ev.pc, if has_insn */
    bool has_insn;
};

struct hv_ev_eret {
    uint8_t from_el, to_el;
    uint64_t pc;   /* where execution resumed */
    uint64_t spsr; /* PSTATE restored */
};

enum hv_sysreg_decision {
    HV_SR_OK = 0,
    HV_SR_UNDEF,    /* EC 0x00 to the default target (Arm ARM D1.10.4) */
    HV_SR_TRAP_EL2, /* EC 0x18 to EL2 */
    HV_SR_TRAP_EL3, /* EC 0x18 to EL3 */
    HV_SR_TRAP_EL1, /* EC 0x18 to EL1 (e.g. EL0 accesses controlled by CNTKCTL_EL1) */
};

struct hv_ev_sysreg {
    uint32_t enc; /* op0:op1:CRn:CRm:op2 packed, see sysreg.h */
    const char *name;
    bool is_write;
    uint64_t value;
    uint8_t decision; /* enum hv_sysreg_decision */
};

struct hv_ev_mmio {
    uint64_t pa;
    uint64_t value;
    const char *device;
    uint8_t size;
    bool is_write;
};

struct hv_ev_bus_error {
    uint64_t pa;
    uint64_t va;
    bool va_valid;
    bool is_write;
    bool is_fetch;
    uint8_t size;
};

struct hv_ev_uart {
    uint8_t port;
    uint8_t byte;
};

struct hv_ev_psci {
    uint64_t fn, a1, a2, a3;
    int64_t ret;
    const char *name;
};

struct hv_ev_wfi {
    uint64_t slept_ns; /* virtual time skipped */
};

struct hv_ev_text {
    const char *text; /* one line, no newline */
};

/* An isolation event reported by the software under test through the
 * event port (sim/platform/evtport.c). */
struct hv_ev_refusal {
    uint32_t vm;   /* the VM the hypervisor names */
    uint32_t kind; /* enum hv_evtport_kind (evtport.h) */
    uint64_t addr; /* what it touched: IPA, register, INTID */
    uint64_t info; /* kind-specific: ESR, value written */
    const char *kind_name;
};

struct hv_ev_stop {
    int reason; /* enum hv_stop_reason (machine.h) */
    int status; /* the exit status the run ends with */
};

/* A CRU or GRF access. For a write, `value` is what the guest wrote (with
 * its hiword enable bits), `wmask` the bits it was allowed to change, and
 * `devs` the RK_DEV_BIT()s (include/hvsim/rk3568_cru.h) of the devices
 * whose effective state changed as a result. */
struct hv_ev_soc_reg {
    const char *block; /* "cru" or "grf" */
    const char *name;  /* the register's name, or NULL if not modelled */
    uint32_t off;
    uint32_t value;
    uint32_t old, new_value;
    uint32_t wmask;
    uint32_t devs;
    bool is_write;
};

/* A device's effective state after a CRU/GRF change. */
struct hv_ev_dev_state {
    const char *device;
    uint64_t fclk_hz; /* functional clock rate, 0 if stopped */
    bool pclk_on;     /* bus clock: register access possible */
    bool in_reset;
    bool tx_muxed, rx_muxed; /* its pins are routed to it */
};

/* Isolation violations (sim/mmu/iso.h). */
enum hv_iso_kind {
    HV_ISO_FOREIGN,  /* the VM's stage 2 maps memory the VM does not own */
    HV_ISO_TABLE,    /* a stage-2 table page is writable through a stage 2 */
    HV_ISO_NO_STAGE2 /* EL1/EL0 entered with stage 2 off: the VM reaches every PA */
};

struct hv_ev_iso {
    uint8_t kind;           /* enum hv_iso_kind */
    uint8_t perms;          /* stage-2 permissions of the mapping: 1 R, 2 W, 4 X */
    uint32_t vmid;          /* the VM whose stage 2 maps it (VTTBR_EL2.VMID) */
    uint64_t ipa, pa;       /* the start of the offending range */
    uint64_t size;          /* its length in bytes */
    const char *owner;      /* the region it belongs to ("-" if no region names it) */
    const char *owner_kind; /* "hypervisor", "vm", "shared", "device", or "none" */
    uint32_t owner_vmid;    /* the owner's VM (owner_kind vm/device), else 0 */
    uint32_t table_vmid;    /* HV_ISO_TABLE: the VM whose stage-2 tables they are */
};

/* Physical interrupts (sim/gic). GIC spec 4.1.2 "Interrupt lifecycle". */
enum hv_irq_op {
    HV_IRQ_ASSERT = 0,   /* became pending: an input's rising level/edge, or an SGI */
    HV_IRQ_ACK = 1,      /* ICC_IAR0/1_EL1 read: pending -> active, priority raised */
    HV_IRQ_EOI = 2,      /* ICC_EOIR0/1_EL1 write: priority drop (and deactivation if EOImode 0) */
    HV_IRQ_DEACT = 3,    /* deactivated: ICC_DIR_EL1, EOIR with EOImode 0, or an HW LR's EOI */
    HV_IRQ_DEASSERT = 4, /* stopped being pending without an acknowledge: a level-sensitive
                          * input fell, or GICD_ICPENDR / GICR_ICPENDR0 cleared the latch */
};

struct hv_ev_irq {
    uint8_t op;     /* enum hv_irq_op */
    uint8_t group;  /* 0 or 1 */
    uint8_t prio;   /* the interrupt's priority (GICD_IPRIORITYR/GICR_IPRIORITYR) */
    uint8_t target; /* the PE (redistributor) it is pending on / acknowledged by */
    uint32_t intid;
};

/* A list-register write (ICH_LR<n>_EL2, GIC spec 12.4.10): the raw values
 * before and after, and the decode of the value after. */
struct hv_ev_lr {
    uint8_t lr;         /* n */
    uint64_t old;       /* the LR before the write */
    uint64_t new_value; /* the LR after it (unimplemented priority bits cleared) */
    uint32_t vintid;    /* after: vINTID [31:0] */
    uint32_t pintid;    /* after: pINTID [44:32] (HW = 1) */
    bool hw;            /* after: HW [61] */
    uint8_t state;      /* after: State [63:62]: 0 invalid, 1 pending, 2 active, 3 both */
    uint8_t prio;       /* after: Priority [55:48] */
    uint8_t group;      /* after: Group [60] */
};

/* The guest's virtual CPU interface (ICV_*_EL1, GIC spec 6.5). */
enum hv_virq_op {
    HV_VIRQ_ACK = 0,   /* ICV_IAR0/1_EL1 read */
    HV_VIRQ_EOI = 1,   /* ICV_EOIR0/1_EL1 write (priority drop; deactivation if VEOIM 0) */
    HV_VIRQ_DEACT = 2, /* ICV_DIR_EL1 write, or the deactivation part of an EOI */
};

struct hv_ev_virq {
    uint8_t op;      /* enum hv_virq_op */
    uint8_t group;   /* the LR's group (ACK: the register's) */
    uint8_t prio;    /* the LR's priority */
    uint8_t lr;      /* the list register, 0xff if none holds the vINTID */
    uint32_t vintid; /* the vINTID (1023: a spurious acknowledge) */
    uint32_t pintid; /* HW LRs: the physical INTID deactivated with it, else 0 */
    bool hw;         /* the LR's HW bit */
};

/* The maintenance interrupt (GIC spec 6.4.5): its level and ICH_MISR_EL2. */
struct hv_ev_maint {
    bool level;
    uint32_t misr; /* ICH_MISR_EL2 at the change: the cause (EOI, U, LRENP, NP, VGrp*) */
};

/* The generic timer (Arm ARM D11.2). */
enum hv_timer_op {
    HV_TIMER_PROGRAMMED = 0, /* CTL, CVAL or TVAL written (or CNTVOFF_EL2 for the virtual one) */
    HV_TIMER_FIRED = 1,      /* its output rose: condition met, enabled, not masked */
};

struct hv_ev_timer {
    uint8_t op;     /* enum hv_timer_op */
    uint8_t timer;  /* enum hv_timer_id (timer.h): 0 EL1 physical, 1 virtual, 2 EL2 physical */
    uint32_t ctl;   /* CNTx_CTL: ENABLE [0], IMASK [1], ISTATUS [2] */
    uint64_t cval;  /* CNTx_CVAL */
    uint64_t count; /* the count it compares: CNTPCT, or CNTVCT (= CNTPCT - CNTVOFF) */
};

struct hv_event {
    enum hv_ev_type type;
    uint8_t pe;
    uint8_t el;      /* the EL at the time of the event (before, for EXC/ERET) */
    uint64_t pc;     /* the PC of the instruction that caused it, when known */
    uint64_t icount; /* retired instructions */
    uint64_t vtime;  /* virtual time, ns */
    union {
        struct hv_ev_exc exc;
        struct hv_ev_eret eret;
        struct hv_ev_sysreg sysreg;
        struct hv_ev_mmio mmio;
        struct hv_ev_bus_error bus;
        struct hv_ev_uart uart;
        struct hv_ev_psci psci;
        struct hv_ev_wfi wfi;
        struct hv_ev_text text;
        struct hv_ev_stop stop;
        struct hv_ev_soc_reg soc;
        struct hv_ev_dev_state dev;
        struct hv_ev_iso iso;
        struct hv_ev_refusal refusal;
        struct hv_ev_irq irq;
        struct hv_ev_lr lr;
        struct hv_ev_virq virq;
        struct hv_ev_maint maint;
        struct hv_ev_timer timer;
    } u;
};

typedef void (*hv_obs_fn)(void *ctx, const struct hv_event *ev);

#define HV_OBS_MAX_SUBS 8

struct hv_obs_clock {
    uint64_t (*icount)(void *ctx);
    uint64_t (*vtime)(void *ctx);
    void *ctx;
};

struct hv_obs {
    struct {
        hv_obs_fn fn;
        void *ctx;
        uint32_t mask;
    } subs[HV_OBS_MAX_SUBS];
    unsigned nsubs;
    uint32_t mask; /* union of all subscribers' masks */
    struct hv_obs_clock clock;
};

void hv_obs_init(struct hv_obs *obs);
/* Returns 0, or -1 if HV_OBS_MAX_SUBS subscribers already exist. */
int hv_obs_subscribe(struct hv_obs *obs, uint32_t mask, hv_obs_fn fn, void *ctx);
void hv_obs_set_clock(struct hv_obs *obs, const struct hv_obs_clock *clock);

static inline bool hv_obs_wants(const struct hv_obs *obs, enum hv_ev_type t)
{
    return obs && (obs->mask & HV_EV_BIT(t));
}

/* Stamp icount/vtime (if unset) and deliver to every subscriber that wants it. */
void hv_obs_emit(struct hv_obs *obs, struct hv_event *ev);

/* Helpers for one-line text events (guest errors, unimplemented features). */
void hv_obs_text(struct hv_obs *obs, enum hv_ev_type t, uint8_t el, uint64_t pc, const char *fmt,
                 ...) __attribute__((format(printf, 5, 6)));

const char *hv_ev_type_name(enum hv_ev_type t);
/* Parse a comma-separated list of event type names ("exc,eret,mmio" or "all"). */
int hv_ev_parse_mask(const char *list, uint32_t *mask);

#endif
