/* hvsim: the machine and its deterministic run loop. See machine.h. */
#define _DEFAULT_SOURCE
#include "machine.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../common/evq.h"
#include "../common/clock.h"
#include "../common/evfmt.h"
#include "../cpu_el2/cpu.h"
#include "../gic/gic.h"
#include "../mmu/iso.h"
#include "../mmu/mmu_cpu.h"
#include "../timer/timer.h"
#include "machine_soc.h"
#include "evtport.h"
#include "pl011.h"
#include "psci.h"

struct hv_uart {
    struct hv_machine *m;
    struct hv_pl011 *pl;
    unsigned port;
    const struct hv_plat_dev *pd;
    FILE *out;
    bool own_out;
    bool prefix; /* prefix each line with "[uartN] " */
    bool at_line_start;
    /* A tagged (prefixed) UART's line so far: written whole at its LF, so
     * that UARTs sharing stdout never split each other's lines. */
    char *line;
    size_t line_len, line_cap;
    uint8_t *in;
    size_t in_len, in_pos;
    uint64_t byte_ns;
};

/* A platform device hvsim does not model yet: reads as zero, ignores writes,
 * and says so at run time (once per device) through an UNIMPL event. */
struct hv_unimpl_dev {
    struct hv_machine *m;
    const struct hv_plat_dev *pd;
    bool reported;
};

struct hv_machine {
    struct hv_platform plat;
    struct hv_obs *obs;
    struct hv_cpu *cpu;
    struct hv_timer *timer;
    struct hv_gic *gic;    /* NULL if the platform has no GICv3 */
    struct hv_clock clock; /* virtual time and the event queue, for the models */
    uint8_t *ram;
    uint8_t *rom;
    uint8_t *flash; /* --bios: HV_FLASH_SIZE bytes at HV_FLASH_BASE, read-only */
    struct hv_evq evq;

    uint64_t idle_ns; /* virtual time spent asleep in WFI */
    uint32_t mips;
    uint64_t max_insns;

    bool stop;
    bool bus_stop;            /* --on-bus-error=stop */
    bool suspend;             /* PSCI CPU_SUSPEND: wait for an interrupt once stopped */
    uint64_t bus_last_icount; /* icount at the last bus error */
    unsigned bus_repeats;     /* bus errors in a row without progress */
    enum hv_stop_reason reason;
    char detail[256];

    struct hv_uart uarts[HV_MAX_UARTS];
    /* stdout's untagged console (UART0) is in the middle of a line: the
     * tagged UARTs' complete lines wait in held until it ends it. */
    bool console_mid_line;
    char *held;
    size_t held_len, held_cap;
    unsigned nuarts;
    struct hv_unimpl_dev unimpl[HV_PLAT_MAX_DEVS];
    struct hv_evtport *evtport; /* NULL if the platform has none */
    unsigned nunimpl;
    struct hv_msoc *msoc; /* CRU, GRF and the devices behind them; NULL without */

    struct hv_loaded_image images[2 + HV_MAX_LOADS]; /* image, --load..., --initrd */
    unsigned nimages;
    void *dtb;
    size_t dtb_len;
    uint64_t dtb_addr;
    uint64_t initrd_start, initrd_end; /* 0/0: no --initrd */

    void (*progress)(void *ctx, uint64_t icount, uint64_t vtime_ns);
    void *progress_ctx;
    struct hv_iso *iso;   /* NULL: the platform names no owners */
    bool violation_stop;  /* --on-violation=stop */
    char bus_detail[256]; /* the last bus error, for the stop report */
    uint64_t progress_every;
};

static const struct {
    const char *name;
    int status;
} stop_info[] = {
    [HV_STOP_SYSTEM_OFF] = {"system-off", 0},
    [HV_STOP_SYSTEM_RESET] = {"system-reset", 5},
    [HV_STOP_MAX_INSNS] = {"max-insns", 3},
    [HV_STOP_MAX_TIME] = {"max-time", 3},
    [HV_STOP_BUS_ERROR] = {"bus-error", 4},
    [HV_STOP_IDLE_FOREVER] = {"idle-forever", 4},
    [HV_STOP_CPU_OFF] = {"cpu-off", 4},
    [HV_STOP_ENGINE] = {"engine-error", 2},
    [HV_STOP_ISOLATION] = {"isolation-violation", 6},
    [HV_STOP_REQUESTED] = {"requested", 3},
};

int hv_stop_status(enum hv_stop_reason r)
{
    return stop_info[r].status;
}

const char *hv_stop_name(enum hv_stop_reason r)
{
    return stop_info[r].name;
}

/* ---- virtual time ------------------------------------------------------- */

uint64_t hv_machine_icount(const struct hv_machine *m)
{
    return hv_cpu_icount(m->cpu);
}

uint64_t hv_machine_vtime(const struct hv_machine *m)
{
    /* 1 instruction = 1000/mips ns; with the default 1000 MIPS, 1 ns. Every
     * traced event asks: the 128-bit division (a library call) only when
     * 64 bits could overflow. */
    uint64_t n = hv_cpu_icount(m->cpu);
    if (m->mips == 1000)
        return m->idle_ns + n;
    if (n <= UINT64_MAX / 1000u)
        return m->idle_ns + n * 1000u / m->mips;
    unsigned __int128 busy = (unsigned __int128)n * 1000u / m->mips;
    return m->idle_ns + (uint64_t)busy;
}

/* The retired-instruction count at which virtual time reaches t. */
static uint64_t icount_at(const struct hv_machine *m, uint64_t t)
{
    if (t == UINT64_MAX)
        return UINT64_MAX;
    if (t <= m->idle_ns)
        return 0;
    unsigned __int128 n = ((unsigned __int128)(t - m->idle_ns) * m->mips + 999u) / 1000u;
    return n > UINT64_MAX ? UINT64_MAX : (uint64_t)n;
}

static void update_deadline(struct hv_machine *m)
{
    uint64_t d = icount_at(m, hv_evq_next(&m->evq));
    if (m->max_insns && m->max_insns < d)
        d = m->max_insns;
    hv_cpu_set_deadline(m->cpu, d);
}

static void stop_run(struct hv_machine *m, enum hv_stop_reason r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void stop_run(struct hv_machine *m, enum hv_stop_reason r, const char *fmt, ...)
{
    va_list ap;
    if (m->stop)
        return; /* the first reason wins */
    m->stop = true;
    m->reason = r;
    va_start(ap, fmt);
    vsnprintf(m->detail, sizeof(m->detail), fmt, ap);
    va_end(ap);
    hv_cpu_request_stop(m->cpu);
}

/* Called by the CPU from its block hook once icount reaches the deadline. */
static void on_deadline(void *ctx, struct hv_cpu *cpu)
{
    struct hv_machine *m = ctx;
    hv_evq_run_due(&m->evq, hv_machine_vtime(m));
    if (m->max_insns && hv_cpu_icount(cpu) >= m->max_insns)
        stop_run(m, HV_STOP_MAX_INSNS, "--max-insns %" PRIu64 " reached", m->max_insns);
    update_deadline(m);
}

static void on_max_time(void *ctx, uint64_t now)
{
    struct hv_machine *m = ctx;
    stop_run(m, HV_STOP_MAX_TIME, "--max-time reached at %" PRIu64 " ns of virtual time", now);
}

static void on_progress(void *ctx, uint64_t now)
{
    struct hv_machine *m = ctx;
    if (m->progress)
        m->progress(m->progress_ctx, hv_cpu_icount(m->cpu), now);
    hv_evq_add(&m->evq, now + m->progress_every, on_progress, m);
}

void hv_machine_set_progress(struct hv_machine *m,
                             void (*fn)(void *ctx, uint64_t icount, uint64_t vtime_ns), void *ctx,
                             uint64_t every_ns)
{
    m->progress = fn;
    m->progress_ctx = ctx;
    m->progress_every = every_ns ? every_ns : 10000000;
    if (fn)
        hv_evq_add(&m->evq, hv_machine_vtime(m) + m->progress_every, on_progress, m);
}

/* ---- firmware: SMC to EL3 ------------------------------------------------- */

static bool on_smc(void *ctx, struct hv_cpu *cpu)
{
    struct hv_machine *m = ctx;
    struct hv_psci_result r;
    uint64_t x[4];

    for (unsigned i = 0; i < 4; i++)
        x[i] = hv_cpu_x(cpu, i);
    hv_psci_call(x[0], x[1], x[2], x[3], m->plat.ncpus, &r);
    if (hv_obs_wants(m->obs, HV_EV_PSCI)) {
        struct hv_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = HV_EV_PSCI;
        ev.el = (uint8_t)hv_cpu_el(cpu);
        ev.pc = hv_cpu_pc(cpu) - 4;
        ev.u.psci.fn = x[0];
        ev.u.psci.a1 = x[1];
        ev.u.psci.a2 = x[2];
        ev.u.psci.a3 = x[3];
        ev.u.psci.ret = r.ret;
        ev.u.psci.name = r.name;
        hv_obs_emit(m->obs, &ev);
    }
    if (!r.known)
        hv_obs_text(m->obs, HV_EV_UNIMPL, (uint8_t)hv_cpu_el(cpu), hv_cpu_pc(cpu) - 4,
                    "SMC function 0x%08" PRIx32 " is not implemented by the firmware model: "
                    "returned NOT_SUPPORTED",
                    (uint32_t)x[0]);
    switch (r.action) {
    case HV_PSCI_CONTINUE:
        hv_cpu_set_x(cpu, 0, (uint64_t)r.ret);
        break;
    case HV_PSCI_SUSPEND:
        hv_cpu_set_x(cpu, 0, (uint64_t)r.ret);
        m->suspend = true;
        hv_cpu_request_stop(cpu);
        break;
    case HV_PSCI_SYSTEM_OFF:
        stop_run(m, HV_STOP_SYSTEM_OFF, "the guest called PSCI SYSTEM_OFF");
        break;
    case HV_PSCI_SYSTEM_RESET:
        stop_run(m, HV_STOP_SYSTEM_RESET,
                 "the guest called PSCI SYSTEM_RESET: rebooting is not implemented, the run ends");
        break;
    case HV_PSCI_CPU_OFF:
        stop_run(m, HV_STOP_CPU_OFF, "the only PE called PSCI CPU_OFF: nothing is left running");
        break;
    }
    return true;
}

static void on_bus_error(void *ctx, struct hv_cpu *cpu, const struct hv_ev_bus_error *be)
{
    struct hv_machine *m = ctx;
    char dis[96];
    uint64_t pc = hv_cpu_pc(cpu);
    unsigned el = hv_cpu_el(cpu);

    char va[40];

    /* The CPU calls this with the PC at the faulting instruction. */
    hv_cpu_disasm(cpu, pc, dis, sizeof(dis));
    if (be->va_valid)
        snprintf(va, sizeof(va), "VA 0x%" PRIx64, be->va);
    else
        snprintf(va, sizeof(va), "VA unknown");
    snprintf(m->bus_detail, sizeof(m->bus_detail),
             "%u-byte %s at PA 0x%" PRIx64 " (%s): nothing is mapped there; EL%u, PC 0x%" PRIx64
             ": %s",
             be->size,
             be->is_fetch   ? "instruction fetch"
             : be->is_write ? "write"
                            : "read",
             be->pa, va, el, pc, dis);
    if (hv_obs_wants(m->obs, HV_EV_BUS_ERROR)) {
        struct hv_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = HV_EV_BUS_ERROR;
        ev.el = (uint8_t)el;
        ev.pc = pc;
        ev.u.bus = *be;
        hv_obs_emit(m->obs, &ev);
    }
    /* A PE whose abort vector itself lies in a hole (or faults at once)
     * takes external aborts forever without retiring an instruction, so
     * neither --max-insns nor --max-time would end the run. */
    uint64_t now_icount = hv_cpu_icount(cpu);
    m->bus_repeats = now_icount == m->bus_last_icount ? m->bus_repeats + 1 : 0;
    m->bus_last_icount = now_icount;
    if (m->bus_repeats >= 64) {
        stop_run(m, HV_STOP_BUS_ERROR,
                 "the PE is stuck taking external aborts without retiring an instruction (64 in "
                 "a row; its vector is probably unmapped). Last: %s",
                 m->bus_detail);
        return;
    }
    /* --on-bus-error=abort: the PE now takes a synchronous external abort,
     * as on QEMU's virt machine. Say so once per distinct access (the CLI
     * reports guest errors by default). --on-bus-error=stop: the CPU stops
     * and hv_machine_run() ends the run with bus_detail. */
    if (!m->bus_stop)
        hv_obs_text(m->obs, HV_EV_GUEST_ERROR, (uint8_t)el, pc,
                    "%s; answered with a synchronous external abort%s", m->bus_detail,
                    be->va_valid ? "" : " (ESR.FnV = 1: FAR not valid)");
}

/* ---- the isolation checker (docs/mmu.md) --------------------------------- */

int hv_machine_read_pa(void *ctx, uint64_t pa, void *buf, size_t len)
{
    struct hv_machine *m = ctx;
    if (pa >= m->plat.ram_base && len <= m->plat.ram_size &&
        pa - m->plat.ram_base <= m->plat.ram_size - len) {
        memcpy(buf, m->ram + (pa - m->plat.ram_base), len);
        return 0;
    }
    return hv_cpu_read_pa(m->cpu, pa, buf, len);
}

static const void *map_ram(void *ctx, uint64_t pa, size_t len)
{
    struct hv_machine *m = ctx;
    if (pa >= m->plat.ram_base && len <= m->plat.ram_size &&
        pa - m->plat.ram_base <= m->plat.ram_size - len)
        return m->ram + (pa - m->plat.ram_base);
    return NULL;
}

static void on_violation(void *ctx, const struct hv_iso_violation *v)
{
    struct hv_machine *m = ctx;
    struct hv_event ev;
    const struct hv_plat_owner *o = v->owner;
    memset(&ev, 0, sizeof(ev));
    ev.type = HV_EV_ISOLATION;
    ev.el = (uint8_t)hv_cpu_el(m->cpu);
    ev.pc = hv_cpu_pc(m->cpu);
    ev.u.iso.kind = (uint8_t)v->kind;
    ev.u.iso.perms = v->perms;
    ev.u.iso.vmid = v->vmid;
    ev.u.iso.ipa = v->ipa;
    ev.u.iso.pa = v->pa;
    ev.u.iso.size = v->size;
    ev.u.iso.owner = o ? o->name : "-";
    ev.u.iso.owner_kind = o ? hv_owner_kind_name(o->kind) : "none";
    ev.u.iso.owner_vmid = o && (o->kind == HV_OWNER_VM || o->kind == HV_OWNER_DEVICE) ? o->vmid : 0;
    ev.u.iso.table_vmid = v->table_vmid;
    if (hv_obs_wants(m->obs, HV_EV_ISOLATION))
        hv_obs_emit(m->obs, &ev);
    if (m->violation_stop) {
        char body[400];
        hv_event_body(&ev, body, sizeof(body));
        stop_run(m, HV_STOP_ISOLATION, "%s", body);
    }
}

/* Every ERET to EL1/EL0 enters a VM with the stage 2 installed now. */
static void on_eret(void *ctx, struct hv_cpu *cpu, unsigned from_el, unsigned to_el)
{
    struct hv_machine *m = ctx;
    struct hv_mmu_regs r;
    (void)from_el;
    if (!m->iso || to_el > 1)
        return;
    if (hv_mmu_regs_from_cpu(cpu, &r)) {
        hv_obs_text(m->obs, HV_EV_UNIMPL, (uint8_t)to_el, hv_cpu_pc(cpu),
                    "the isolation checker could not read the stage-2 registers: this VM entry "
                    "is not checked");
        return;
    }
    /* EL0 with HCR_EL2.TGE = 1 is the host's EL0 (Arm ARM D1.13: the
     * EL1&0 regime is not in use), not a VM. */
    if (to_el == 0 && (r.hcr_el2 & (UINT64_C(1) << 27)))
        return;
    if (hv_iso_enter(m->iso, &r) < 0) {
        hv_obs_text(m->obs, HV_EV_UNIMPL, (uint8_t)to_el, hv_cpu_pc(cpu),
                    "the isolation checker ran out of memory: this VM entry is not checked");
        return;
    }
    struct hv_iso_stats st;
    hv_iso_get_stats(m->iso, &st);
    if (st.last_truncated)
        hv_obs_text(m->obs, HV_EV_UNIMPL, (uint8_t)to_el, hv_cpu_pc(cpu),
                    "the stage 2 of VMID %u has more than %u descriptors (counting tables "
                    "reached more than once): the isolation checker checked only those",
                    (unsigned)hv_iso_vmid(r.vttbr_el2, r.vtcr_el2), HV_ISO_MAX_DESCRIPTORS);
}

/* TLB invalidations that affect stage 2 (Arm ARM C5.5 "A64 system
 * instructions for TLB maintenance"): by IPA and by VMID apply to the VMID
 * in VTTBR_EL2 now; ALLE1 to every VMID. */
#define TLBI(crm, op2) HV_SYSREG(1, 4, 8, crm, op2)
static void on_sys_insn(void *ctx, struct hv_cpu *cpu, uint32_t enc, uint64_t xt)
{
    struct hv_machine *m = ctx;
    (void)xt;
    if (!m->iso)
        return;
    bool vm = enc == TLBI(0, 1) || enc == TLBI(0, 5) || enc == TLBI(4, 1) || enc == TLBI(4, 5) ||
              enc == TLBI(3, 6) || enc == TLBI(7, 6);
    bool all = enc == TLBI(3, 4) || enc == TLBI(7, 4);
    if (!vm && !all)
        return;
    uint64_t vttbr = 0, vtcr = 0;
    hv_cpu_sysreg_get(cpu, HV_SYSREG(3, 4, 2, 1, 0), &vttbr);
    hv_cpu_sysreg_get(cpu, HV_SYSREG(3, 4, 2, 1, 2), &vtcr);
    hv_iso_invalidate(m->iso, hv_iso_vmid(vttbr, vtcr), all);
}

struct hv_iso *hv_machine_iso(struct hv_machine *m)
{
    return m->iso;
}

void hv_machine_request_stop(struct hv_machine *m, const char *detail)
{
    stop_run(m, HV_STOP_REQUESTED, "%s", detail ? detail : "stop point reached");
}

/* ---- UARTs ------------------------------------------------------------------ */

/* Room for n more bytes in a growable buffer. */
static bool grow(char **buf, size_t *len, size_t *cap, size_t n)
{
    if (*len + n <= *cap)
        return true;
    size_t c = *cap ? *cap : 256;
    while (c < *len + n)
        c *= 2;
    char *b = realloc(*buf, c);
    if (!b)
        return false;
    *buf = b;
    *cap = c;
    return true;
}

/* A tagged UART's line (complete, or the rest at the end of the run), with
 * its "[uartN] " tag: on stdout now, or held while UART0's console is in
 * the middle of a line there (a guest's line inside the hypervisor's
 * would break both). */
static void tagged_line(struct hv_machine *m, struct hv_uart *u)
{
    char tag[24];
    int t = snprintf(tag, sizeof tag, "[uart%u] ", u->port);
    if (m->console_mid_line &&
        grow(&m->held, &m->held_len, &m->held_cap, (size_t)t + u->line_len)) {
        memcpy(m->held + m->held_len, tag, (size_t)t);
        memcpy(m->held + m->held_len + t, u->line, u->line_len);
        m->held_len += (size_t)t + u->line_len;
    } else {
        fputs(tag, u->out);
        fwrite(u->line, 1, u->line_len, u->out);
        if (u->out == stdout)
            fflush(stdout);
    }
    u->line_len = 0;
}

static void uart_tx(void *ctx, unsigned port, uint8_t byte)
{
    struct hv_machine *m = ctx;
    struct hv_uart *u = &m->uarts[port];
    /* A UART behind the CRU/GRF: the character crosses the line model. */
    if (!hv_msoc_uart_tx(m->msoc, port, byte, &byte))
        return;
    if (u->prefix && grow(&u->line, &u->line_len, &u->line_cap, 1)) {
        u->line[u->line_len++] = (char)byte;
        if (byte == '\n')
            tagged_line(m, u);
        return;
    }
    if (u->prefix && u->at_line_start)
        fprintf(u->out, "[uart%u] ", port);
    fputc(byte, u->out);
    u->at_line_start = byte == '\n';
    if (u->out == stdout && !u->prefix) {
        m->console_mid_line = byte != '\n';
        if (!m->console_mid_line && m->held_len) {
            fwrite(m->held, 1, m->held_len, stdout);
            m->held_len = 0;
        }
    }
    if (byte == '\n' && u->out == stdout)
        fflush(stdout);
}

/* PL011 TRM 3.4.2: the receive timeout fires when the FIFO is not empty and
 * no byte has arrived for 32 bit periods (3.2 byte times at 8N1). */
static void uart_rx_idle_event(void *ctx, uint64_t now)
{
    struct hv_uart *u = ctx;
    (void)now;
    hv_pl011_rx_idle(u->pl);
}

static void uart_rx_event(void *ctx, uint64_t now)
{
    struct hv_uart *u = ctx;
    if (u->in_pos >= u->in_len)
        return;
    uint8_t byte;
    if (hv_pl011_rx_ready(u->pl)) {
        /* Not ready: the byte waits with the sender. Otherwise it crosses
         * the line (docs/soc.md; unchanged for UARTs outside the SoC). */
        switch (hv_msoc_uart_rx(u->m->msoc, u->port, u->in[u->in_pos], &byte)) {
        case HV_MSOC_RX_LOST:
            u->in_pos++;
            break;
        case HV_MSOC_RX_OK:
            u->in_pos += hv_pl011_rx(u->pl, byte);
            break;
        case HV_MSOC_RX_FRAMING:
            u->in_pos += hv_pl011_rx_framing_error(u->pl, byte);
            break;
        }
    }
    if (u->in_pos < u->in_len)
        hv_evq_add(&u->m->evq, now + u->byte_ns, uart_rx_event, u);
    else
        hv_evq_add(&u->m->evq, now + u->byte_ns * 32 / 10, uart_rx_idle_event, u);
}

static uint64_t unimpl_read(void *ctx, uint64_t off, unsigned size)
{
    struct hv_unimpl_dev *d = ctx;
    if (!d->reported) {
        d->reported = true;
        hv_obs_text(d->m->obs, HV_EV_UNIMPL, (uint8_t)hv_cpu_el(d->m->cpu), hv_cpu_pc(d->m->cpu),
                    "%s (%s at 0x%" PRIx64 ") is not modelled yet: %u-byte read at +0x%" PRIx64
                    " reads as zero, writes are ignored",
                    d->pd->name, hv_dev_type_name(d->pd->type), d->pd->base, size, off);
    }
    return 0;
}

static void unimpl_write(void *ctx, uint64_t off, unsigned size, uint64_t v)
{
    (void)v;
    unimpl_read(ctx, off, size);
}

/* ---- the isolation-event port ---------------------------------------------- */

static uint8_t evtport_el(void *ctx)
{
    struct hv_machine *m = ctx;
    return (uint8_t)hv_cpu_el(m->cpu);
}

static uint64_t evtport_pc(void *ctx)
{
    struct hv_machine *m = ctx;
    return hv_cpu_pc(m->cpu);
}

static int setup_evtport(struct hv_machine *m, const struct hv_plat_dev *pd, struct hv_obs *obs,
                         struct hv_err *err)
{
    if (m->evtport)
        return hv_err_set(err, "%s: only one event port is supported", pd->name);
    struct hv_evtport_io io = {.ctx = m, .el = evtport_el, .pc = evtport_pc};
    m->evtport = hv_evtport_create(&io, obs);
    if (!m->evtport)
        return hv_err_set(err, "out of memory");
    return hv_cpu_map_mmio(m->cpu, pd->base, pd->size, hv_evtport_read, hv_evtport_write,
                           m->evtport, err);
}

/* ---- construction --------------------------------------------------------- */

static void *map_zeroed(uint64_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* A PL011's combined interrupt output (UARTINTR) is its SPI. */
static void uart_irq(void *ctx, unsigned port, bool level)
{
    struct hv_machine *m = ctx;
    const struct hv_plat_dev *pd = m->uarts[port].pd;
    if (m->gic && pd && pd->irq >= 0)
        hv_gic_set_spi(m->gic, (unsigned)pd->irq, level);
}

/* The GICv3 of the platform: distributor and redistributors as MMIO, its
 * CPU interface as system registers. 224 SPIs: GICD_TYPER.ITLinesNumber = 7,
 * 256 INTIDs in all, as QEMU virt's GIC. */
static int setup_gic(struct hv_machine *m, struct hv_obs *obs, struct hv_err *err)
{
    const struct hv_plat_dev *gd = hv_platform_find(&m->plat, HV_DEV_GICV3, 0);
    struct hv_gic_config gc = {.nspis = 224, .nlrs = 4, .pri_bits = 5, .ncpus = 1};

    if (!gd)
        return 0;
    if (hv_gic_create(&m->gic, &gc, m->cpu, obs, err))
        return hv_err_prefix(err, "%s", gd->name);
    hv_gic_set_mmio_base(m->gic, gd->base, gd->base2);
    if (hv_cpu_map_mmio(m->cpu, gd->base, gd->size, hv_gic_dist_read, hv_gic_dist_write, m->gic,
                        err) ||
        hv_cpu_map_mmio(m->cpu, gd->base2, gd->size2, hv_gic_redist_read, hv_gic_redist_write,
                        m->gic, err))
        return hv_err_prefix(err, "%s", gd->name);
    return 0;
}

static int setup_uarts(struct hv_machine *m, const struct hv_machine_opts *o, struct hv_err *err)
{
    const struct hv_plat_dev *pd;
    uint32_t baud = o->uart_baud ? o->uart_baud : 115200;

    for (unsigned n = 0; (pd = hv_platform_find(&m->plat, HV_DEV_PL011, n)) != NULL; n++) {
        if (n >= HV_MAX_UARTS)
            return hv_err_set(err, "more than %d UARTs", HV_MAX_UARTS);
        struct hv_uart *u = &m->uarts[n];
        struct hv_pl011_io io = {.ctx = m, .tx = uart_tx, .irq = uart_irq};
        u->m = m;
        u->port = n;
        u->pd = pd;
        u->at_line_start = true;
        u->byte_ns = 10ull * 1000000000ull / baud; /* 8N1: 10 bit times */
        u->pl = hv_pl011_create(n, pd->name, &io, m->obs);
        if (!u->pl)
            return hv_err_set(err, "out of memory");
        m->nuarts = n + 1;
        const char *route = o->uart_out[n];
        if (!route || strcmp(route, "-") == 0) {
            u->out = stdout;
            /* UART0 is the console and prints as is; others are tagged so
             * that interleaved output stays readable. */
            u->prefix = route == NULL && n != 0;
        } else {
            u->out = fopen(route, "wb");
            if (!u->out)
                return hv_err_set(err, "cannot open %s for uart%u output: %s", route, n,
                                  strerror(errno));
            u->own_out = true;
        }
        hv_mmio_read_fn rd = hv_pl011_read;
        hv_mmio_write_fn wr = hv_pl011_write;
        void *mctx = u->pl;
        hv_msoc_attach_uart(m->msoc, n, pd, u->pl, &rd, &wr, &mctx);
        if (hv_cpu_map_mmio(m->cpu, pd->base, pd->size, rd, wr, mctx, err))
            return hv_err_prefix(err, "%s", pd->name);
        if (n == 0) {
            /* Firmware hands over with its console enabled (TF-A's
             * console_pl011_register, U-Boot's pl01x driver): 115200 8N1
             * from the 24 MHz UARTCLK (IBRD 13, FBRD 1), FIFOs on,
             * UARTEN | TXE | RXE. PL011 TRM 3.3.6: BRD = UARTCLK / (16 x baud). */
            hv_pl011_write(u->pl, 0x24, 4, 13);
            hv_pl011_write(u->pl, 0x28, 4, 1);
            hv_pl011_write(u->pl, 0x2c, 4, 0x70);
            hv_pl011_write(u->pl, 0x30, 4, 0x301);
        }
        const char *in = o->uart_in[n];
        if (in) {
            struct hv_err e2;
            size_t len = 0;
            if (strcmp(in, "-") == 0) {
                /* All of stdin, read before the run: the input schedule is
                 * then fixed and the run deterministic. */
                size_t cap = 0;
                int c;
                while ((c = getchar()) != EOF) {
                    if (len == cap) {
                        cap = cap ? cap * 2 : 4096;
                        uint8_t *p = realloc(u->in, cap);
                        if (!p)
                            return hv_err_set(err, "out of memory reading stdin");
                        u->in = p;
                    }
                    u->in[len++] = (uint8_t)c;
                }
            } else if (hv_read_file(in, &u->in, &len, &e2)) {
                return hv_err_set(err, "uart%u input: %s", n, e2.msg);
            }
            u->in_len = len;
            if (len)
                hv_evq_add(&m->evq, o->uart_in_start_ns, uart_rx_event, u);
        }
    }
    for (unsigned n = 0; n < HV_MAX_UARTS; n++)
        if ((o->uart_out[n] || o->uart_in[n]) && n >= m->nuarts)
            return hv_err_set(err, "uart%u does not exist on platform %s (it has %u)", n,
                              m->plat.name, m->nuarts);
    return 0;
}

/* The initrd goes where QEMU's arm boot code (hw/arm/boot.c) puts it, so a
 * kernel finds it at the same address on both: RAM base + min(RAM / 2,
 * 128 MiB), moved up past the images if they reach that far; its extent goes
 * to /chosen/linux,initrd-start/end in the DTB. */
static int load_initrd(struct hv_machine *m, const char *path, const struct hv_mem_target *t,
                       struct hv_err *err)
{
    uint64_t half = m->plat.ram_size / 2, addr;
    uint8_t *data;
    size_t len;

    addr = m->plat.ram_base + (half < (128ull << 20) ? half : (128ull << 20));
    for (unsigned i = 0; i < m->nimages; i++)
        if (m->images[i].highest > addr)
            addr = (m->images[i].highest + 0xfffu) & ~0xfffull;
    if (hv_read_file(path, &data, &len, err))
        return hv_err_prefix(err, "--initrd");
    if (len == 0) {
        free(data);
        return hv_err_set(err, "--initrd %s: the file is empty", path);
    }
    if (addr + len > m->plat.ram_base + m->plat.ram_size) {
        free(data);
        return hv_err_set(err,
                          "--initrd %s: %zu bytes do not fit in RAM at 0x%" PRIx64
                          " (RAM ends at 0x%" PRIx64 "; try a larger -m)",
                          path, len, addr, m->plat.ram_base + m->plat.ram_size);
    }
    int rc = hv_load_image(data, len, HV_IMAGE_RAW, addr, t, m->images, m->nimages,
                           &m->images[m->nimages], err);
    free(data);
    if (rc)
        return hv_err_prefix(err, "--initrd %s", path);
    m->initrd_start = addr;
    m->initrd_end = addr + len;
    m->nimages++;
    return 0;
}

/* --bios: the firmware goes into flash bank 0 at PA 0, where QEMU virt's
 * -bios puts it and where U-Boot's qemu_arm64 build runs from, and the PE
 * enters it there. The flash is read-only (reads as the image, writes are
 * ignored and logged: no CFI command set), and it is not in the DTB. */
static int load_bios(struct hv_machine *m, const char *path, struct hv_err *err)
{
    struct hv_mem_target t = {.nwin = 1};
    uint8_t *data;
    size_t len;

    m->flash = map_zeroed(HV_FLASH_SIZE);
    if (!m->flash)
        return hv_err_set(err, "cannot allocate the %u MiB flash for --bios", HV_FLASH_SIZE >> 20);
    if (hv_read_file(path, &data, &len, err))
        return hv_err_prefix(err, "--bios");
    if (len == 0 || len > HV_FLASH_SIZE) {
        free(data);
        return hv_err_set(err, "--bios %s: %zu bytes; the flash holds 1 to %u bytes", path, len,
                          HV_FLASH_SIZE);
    }
    t.win[0].pa = HV_FLASH_BASE;
    t.win[0].size = HV_FLASH_SIZE;
    t.win[0].host = m->flash;
    int rc = hv_load_image(data, len, HV_IMAGE_RAW, HV_FLASH_BASE, &t, NULL, 0, &m->images[0], err);
    free(data);
    if (rc)
        return hv_err_prefix(err, "--bios %s", path);
    m->nimages = 1;
    if (hv_cpu_map_ram(m->cpu, HV_FLASH_BASE, HV_FLASH_SIZE, m->flash, true, err))
        return hv_err_prefix(err, "--bios: the flash window at 0x%x+%u MiB", HV_FLASH_BASE,
                             HV_FLASH_SIZE >> 20);
    return 0;
}

static int load_images(struct hv_machine *m, const struct hv_machine_opts *o, struct hv_err *err)
{
    struct hv_mem_target t = {.nwin = 1};
    t.win[0].pa = m->plat.ram_base;
    t.win[0].size = m->plat.ram_size;
    t.win[0].host = m->ram;

    if (o->bios && load_bios(m, o->bios, err))
        return -1;
    for (unsigned i = o->image ? 0 : 1; i <= o->nloads; i++) {
        const char *path;
        uint64_t addr = 0;
        char *alloc = NULL;
        enum hv_image_kind kind = HV_IMAGE_AUTO;
        uint8_t *data;
        size_t len;

        if (i == 0) {
            path = o->image;
            if (strchr(path, '@')) {
                if (hv_parse_file_at(path, &alloc, &addr, err))
                    return -1;
                path = alloc;
                kind = HV_IMAGE_RAW;
            }
        } else {
            path = o->loads[i - 1].path;
            addr = o->loads[i - 1].addr;
            kind = HV_IMAGE_RAW;
        }
        if (hv_read_file(path, &data, &len, err)) {
            free(alloc);
            return -1;
        }
        int rc = hv_load_image(data, len, kind, addr, &t, m->images, m->nimages,
                               &m->images[m->nimages], err);
        free(data);
        if (rc) {
            hv_err_prefix(err, "%s", path);
            free(alloc);
            return -1;
        }
        free(alloc);
        m->nimages++;
    }
    return o->initrd ? load_initrd(m, o->initrd, &t, err) : 0;
}

/* Place the DTB at the start of RAM, where QEMU puts it for bare-metal
 * images, if it fits below every loaded image; otherwise at the top of RAM.
 * Either way x0 holds its address at entry. */
static int place_dtb(struct hv_machine *m, const struct hv_machine_opts *o, struct hv_err *err)
{
    struct hv_dtb_opts dopts = {
        .bootargs = o->bootargs,
        .initrd_start = m->initrd_start,
        .initrd_end = m->initrd_end,
    };
    uint64_t lowest = m->plat.ram_base + m->plat.ram_size;

    if (hv_platform_build_dtb(&m->plat, &dopts, &m->dtb, &m->dtb_len, err))
        return hv_err_prefix(err, "generating the DTB");
    for (unsigned i = 0; i < m->nimages; i++)
        if (m->images[i].lowest >= m->plat.ram_base && m->images[i].lowest < lowest)
            lowest = m->images[i].lowest; /* RAM images only (not --bios in flash) */
    if (m->plat.ram_base + m->dtb_len <= lowest) {
        m->dtb_addr = m->plat.ram_base;
    } else {
        uint64_t top = (m->plat.ram_base + m->plat.ram_size - m->dtb_len) & ~0xfffull;
        for (unsigned i = 0; i < m->nimages; i++)
            if (top < m->images[i].highest && top + m->dtb_len > m->images[i].lowest)
                return hv_err_set(err, "no room for the %zu-byte DTB: the images fill RAM",
                                  m->dtb_len);
        m->dtb_addr = top;
    }
    memcpy(m->ram + (m->dtb_addr - m->plat.ram_base), m->dtb, m->dtb_len);
    if (o->dtb_out) {
        FILE *f = fopen(o->dtb_out, "wb");
        if (!f || fwrite(m->dtb, 1, m->dtb_len, f) != m->dtb_len) {
            if (f)
                fclose(f);
            return hv_err_set(err, "cannot write %s: %s", o->dtb_out, strerror(errno));
        }
        if (fclose(f))
            return hv_err_set(err, "cannot write %s: %s", o->dtb_out, strerror(errno));
    }
    return 0;
}

/* The models' view of virtual time (sim/common/clock.h). A model may
 * schedule from inside execution (a timer register write), so the CPU's
 * deadline is recomputed at once. */
static uint64_t mclock_now(void *ctx)
{
    return hv_machine_vtime(ctx);
}

static uint64_t mclock_schedule(void *ctx, uint64_t when, hv_clock_cb cb, void *cb_ctx)
{
    struct hv_machine *m = ctx;
    uint64_t id = hv_evq_add(&m->evq, when, cb, cb_ctx);
    update_deadline(m);
    return id;
}

static void mclock_cancel(void *ctx, uint64_t id)
{
    struct hv_machine *m = ctx;
    hv_evq_cancel(&m->evq, id);
    update_deadline(m);
}

/* A timer output changed level: it is a PPI of the interrupt controller. */
static void timer_ppi(void *ctx, unsigned intid, bool level)
{
    struct hv_machine *m = ctx;
    if (m->gic)
        hv_gic_set_ppi(m->gic, 0, intid, level);
}

static uint64_t clock_icount(void *ctx)
{
    return hv_machine_icount(ctx);
}

static uint64_t clock_vtime(void *ctx)
{
    return hv_machine_vtime(ctx);
}

int hv_machine_create(struct hv_machine **out, const struct hv_machine_opts *o, struct hv_obs *obs,
                      struct hv_err *err)
{
    struct hv_machine *m = calloc(1, sizeof(*m));
    struct hv_cpu_callbacks cb;

    *out = NULL;
    if (!m)
        return hv_err_set(err, "out of memory");
    m->plat = *o->platform;
    m->obs = obs;
    m->mips = o->mips ? o->mips : 1000;
    m->max_insns = o->max_insns;
    hv_evq_init(&m->evq);
    if (hv_platform_validate(&m->plat, err))
        goto fail;

    memset(&cb, 0, sizeof(cb));
    cb.ctx = m;
    cb.deadline = on_deadline;
    cb.smc = on_smc;
    cb.bus_error = on_bus_error;
    cb.eret = on_eret;
    /* Stage-2 TLBIs matter only to the isolation checker. */
    cb.sys_insn = m->plat.nowners ? on_sys_insn : NULL;
    if (hv_cpu_create_paged(&m->cpu, obs, &cb, o->engine_page_size, err))
        goto fail;
    m->bus_stop = o->on_bus_error == HV_BUS_ERROR_STOP;
    hv_cpu_set_bus_error_stop(m->cpu, m->bus_stop);
    if (obs) {
        struct hv_obs_clock clk = {.icount = clock_icount, .vtime = clock_vtime, .ctx = m};
        hv_obs_set_clock(obs, &clk);
    }
    m->clock.ctx = m;
    m->clock.now = mclock_now;
    m->clock.schedule = mclock_schedule;
    m->clock.cancel = mclock_cancel;
    {
        struct hv_timer_config tcfg = {.freq_hz = m->plat.timer_freq_hz};
        struct hv_timer_io tio = {.ctx = m, .ppi = timer_ppi};
        if (hv_timer_create(&m->timer, &tcfg, m->cpu, &m->clock, &tio, obs, err))
            goto fail;
    }

    m->ram = map_zeroed(m->plat.ram_size);
    m->rom = map_zeroed(m->plat.rom_size);
    if (!m->ram || !m->rom) {
        hv_err_set(err, "cannot allocate %" PRIu64 " MiB of guest RAM", m->plat.ram_size >> 20);
        goto fail;
    }
    if (hv_cpu_map_ram(m->cpu, m->plat.ram_base, m->plat.ram_size, m->ram, false, err) ||
        hv_cpu_map_ram(m->cpu, m->plat.rom_base, m->plat.rom_size, m->rom, false, err))
        goto fail;
    if (setup_gic(m, obs, err))
        goto fail;
    {
        struct hv_msoc_env senv = {.cpu = m->cpu,
                                   .gic = m->gic,
                                   .obs = obs,
                                   .clock = &m->clock,
                                   .plat = &m->plat,
                                   .line_baud = o->uart_baud ? o->uart_baud : 115200};
        if (hv_msoc_create(&m->msoc, &senv, err))
            goto fail;
    }
    if (setup_uarts(m, o, err))
        goto fail;
    for (unsigned i = 0; i < m->plat.ndevs; i++) {
        const struct hv_plat_dev *pd = &m->plat.devs[i];
        if (pd->type == HV_DEV_PL011 || pd->type == HV_DEV_GICV3 || hv_msoc_maps(m->msoc, pd))
            continue;
        if (pd->type == HV_DEV_EVTPORT) {
            if (setup_evtport(m, pd, obs, err))
                goto fail;
            continue;
        }
        struct hv_unimpl_dev *d = &m->unimpl[m->nunimpl++];
        d->m = m;
        d->pd = pd;
        if (hv_cpu_map_mmio(m->cpu, pd->base, pd->size, unimpl_read, unimpl_write, d, err))
            goto fail;
        if (pd->size2 &&
            hv_cpu_map_mmio(m->cpu, pd->base2, pd->size2, unimpl_read, unimpl_write, d, err))
            goto fail;
    }
    if (load_images(m, o, err) || place_dtb(m, o, err))
        goto fail;
    if (o->max_time_ns)
        hv_evq_add(&m->evq, o->max_time_ns, on_max_time, m);
    if (m->plat.nowners) {
        struct hv_iso_config ic = {.owners = m->plat.owners,
                                   .nowners = m->plat.nowners,
                                   .read = hv_machine_read_pa,
                                   .map = map_ram,
                                   .read_ctx = m,
                                   .report = on_violation,
                                   .report_ctx = m};
        if (hv_iso_create(&m->iso, &ic)) {
            hv_err_set(err, "out of memory for the isolation checker");
            goto fail;
        }
        m->violation_stop = o->on_violation == HV_VIOLATION_STOP;
    }

    struct hv_cpu_boot boot = {
        .rom_pa = m->plat.rom_base,
        .rom_host = m->rom,
        .entry = m->images[0].entry,
        .x = {m->dtb_addr, 0, 0, 0},
    };
    if (hv_cpu_boot(m->cpu, &boot, err))
        goto fail;
    *out = m;
    return 0;
fail:
    hv_machine_destroy(m);
    return -1;
}

void hv_machine_destroy(struct hv_machine *m)
{
    if (!m)
        return;
    /* The timer first: cancelling its queued events recomputes the CPU's
     * deadline, so the CPU must still exist (a guest that powers off with a
     * timer armed, as Linux does). */
    hv_timer_destroy(m->timer);
    hv_cpu_destroy(m->cpu);
    hv_iso_destroy(m->iso);
    hv_gic_destroy(m->gic);
    hv_msoc_destroy(m->msoc);
    hv_evtport_destroy(m->evtport);
    /* What the tagged UARTs still hold: lines held behind UART0's, then
     * any unfinished line (as it would have appeared). */
    if (m->held_len)
        fwrite(m->held, 1, m->held_len, stdout);
    free(m->held);
    m->console_mid_line = false;
    for (unsigned i = 0; i < m->nuarts; i++) {
        struct hv_uart *u = &m->uarts[i];
        if (u->line_len)
            tagged_line(m, u);
        free(u->line);
    }
    for (unsigned i = 0; i < m->nuarts; i++) {
        struct hv_uart *u = &m->uarts[i];
        hv_pl011_destroy(u->pl);
        if (u->own_out)
            fclose(u->out);
        else if (u->out)
            fflush(u->out);
        free(u->in);
    }
    if (m->ram)
        munmap(m->ram, m->plat.ram_size);
    if (m->rom)
        munmap(m->rom, m->plat.rom_size);
    if (m->flash)
        munmap(m->flash, HV_FLASH_SIZE);
    free(m->dtb);
    hv_evq_free(&m->evq);
    free(m);
}

/* ---- the run loop --------------------------------------------------------- */

/* The PE executed WFI with no interrupt pending (QEMU only halts then, see
 * helper_wfi): sleep until the next event in virtual time. */
static void sleep_until_event(struct hv_machine *m)
{
    uint64_t now = hv_machine_vtime(m);
    uint64_t next = hv_evq_next(&m->evq);

    if (next == UINT64_MAX) {
        stop_run(m, HV_STOP_IDLE_FOREVER,
                 "the PE waits for an interrupt (%s at PC 0x%" PRIx64 ", EL%u) with no interrupt "
                 "and no event pending: it would sleep forever",
                 m->suspend ? "PSCI CPU_SUSPEND" : "WFI", hv_cpu_pc(m->cpu) - 4, hv_cpu_el(m->cpu));
        return;
    }
    if (next > now) {
        m->idle_ns += next - now;
        if (hv_obs_wants(m->obs, HV_EV_WFI)) {
            struct hv_event ev;
            memset(&ev, 0, sizeof(ev));
            ev.type = HV_EV_WFI;
            ev.el = (uint8_t)hv_cpu_el(m->cpu);
            ev.pc = hv_cpu_pc(m->cpu) - 4;
            ev.u.wfi.slept_ns = next - now;
            hv_obs_emit(m->obs, &ev);
        }
    }
    hv_evq_run_due(&m->evq, hv_machine_vtime(m));
    update_deadline(m);
}

int hv_machine_run(struct hv_machine *m, struct hv_run_result *res, struct hv_err *err)
{
    memset(res, 0, sizeof(*res));
    while (!m->stop) {
        enum hv_cpu_stop why;
        update_deadline(m);
        if (hv_cpu_run(m->cpu, &why, err)) {
            stop_run(m, HV_STOP_ENGINE, "%s", err->msg);
            break;
        }
        if (m->suspend && !m->stop) {
            /* As WFI: no sleep if an interrupt line is already asserted. */
            bool pending = false;
            for (int l = 0; l < HV_LINE__COUNT; l++)
                pending |= hv_cpu_line(m->cpu, (enum hv_cpu_line)l);
            if (!pending)
                sleep_until_event(m);
            m->suspend = false;
        } else if (why == HV_CPU_STOP_WFI && !m->stop) {
            sleep_until_event(m);
        }
        /* A bus error the CPU stopped at (--on-bus-error=stop, or a PA above
         * the engine's 48-bit space): on_bus_error has the details. */
        if (why == HV_CPU_STOP_BUS_ERROR)
            stop_run(m, HV_STOP_BUS_ERROR, "%s", m->bus_detail);
        /* REQUESTED: m->stop is already set by the callback that caused it
         * (or, for a deadline, nothing is left to do but continue). */
    }
    res->reason = m->reason;
    res->status = hv_stop_status(m->reason);
    res->icount = hv_cpu_icount(m->cpu);
    res->vtime_ns = hv_machine_vtime(m);
    res->pc = hv_cpu_pc(m->cpu);
    res->el = hv_cpu_el(m->cpu);
    snprintf(res->detail, sizeof(res->detail), "%s", m->detail);
    for (unsigned i = 0; i < m->nuarts; i++)
        fflush(m->uarts[i].out);
    if (hv_obs_wants(m->obs, HV_EV_RUN_STOP)) {
        struct hv_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = HV_EV_RUN_STOP;
        ev.el = (uint8_t)res->el;
        ev.pc = res->pc;
        ev.u.stop.reason = (int)res->reason;
        ev.u.stop.status = res->status;
        hv_obs_emit(m->obs, &ev);
    }
    return 0;
}

struct hv_cpu *hv_machine_cpu(struct hv_machine *m)
{
    return m->cpu;
}

const struct hv_loaded_image *hv_machine_image(const struct hv_machine *m)
{
    return &m->images[0];
}

uint64_t hv_machine_dtb_addr(const struct hv_machine *m)
{
    return m->dtb_addr;
}

bool hv_machine_health(struct hv_machine *m, unsigned nth, struct hv_dev_health *h)
{
    struct hv_soc_health sh;
    const char *name;
    if (!hv_msoc_health(m->msoc, nth, &name, &sh))
        return false;
    h->name = name;
    h->line_baud = hv_msoc_line_baud(m->msoc);
    h->tx_bytes = sh.tx_bytes;
    h->rx_bytes = sh.rx_bytes;
    h->framing_errors = sh.framing_errors;
    h->garbled = sh.garbled;
    h->lost = sh.lost;
    h->reset_ns = sh.reset_ns;
    h->gated_ns = sh.gated_ns;
    h->mux_changes = sh.mux_changes;
    h->i2c_ok = sh.i2c_ok;
    h->i2c_failed = sh.i2c_failed;
    return true;
}
