#include "evfmt.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <hvsim/rk3568_cru.h>

#include "arm_esr.h"
#include "disasm.h"

static const char *const kind_names[4] = {"sync", "IRQ", "FIQ", "SError"};
static const char *const decision_names[8] = {"ok",          "UNDEF", "trap to EL2", "trap to EL3",
                                              "trap to EL1", "?",     "?",           "?"};

/* ICH_LR<n>_EL2 (GIC spec 12.4.10) in words: "vINTID 27 pending prio 0xa0
 * G1 HW pINTID 27", or "invalid" for an LR with State 0 and nothing in it. */
void hv_lr_describe(uint64_t lr, char *buf, size_t len)
{
    static const char *const states[4] = {"invalid", "pending", "active", "pending+active"};
    unsigned state = (unsigned)(lr >> 62);
    if (lr == 0) {
        snprintf(buf, len, "empty");
        return;
    }
    int n = snprintf(buf, len, "vINTID %" PRIu32 " %s prio 0x%02x G%u", (uint32_t)lr, states[state],
                     (unsigned)(lr >> 48) & 0xff, (unsigned)(lr >> 60) & 1);
    if (n > 0 && (size_t)n < len && ((lr >> 61) & 1))
        snprintf(buf + n, len - (size_t)n, " HW pINTID %u", (unsigned)(lr >> 32) & 0x1fff);
    else if (n > 0 && (size_t)n < len && ((lr >> 41) & 1))
        snprintf(buf + n, len - (size_t)n, " EOI-maint");
}

void hv_event_body(const struct hv_event *ev, char *buf, size_t len)
{
    char extra[160], dis[96];

    switch (ev->type) {
    case HV_EV_EXC_TAKEN: {
        const struct hv_ev_exc *x = &ev->u.exc;
        if (x->kind == HV_EXC_SYNC) {
            hv_esr_describe(x->esr, extra, sizeof(extra));
            dis[0] = 0;
            if (x->has_insn) {
                char d[80];
                hv_disasm_word(x->insn, ev->pc, d, sizeof(d));
                snprintf(dis, sizeof(dis), " (%s)", d);
            }
            int n = snprintf(
                buf, len, "EL%u -> EL%u sync %s ESR=0x%08" PRIx32 " %s at 0x%" PRIx64 "%s",
                x->from_el, x->to_el, hv_ec_name(x->esr >> 26), x->esr, extra, ev->pc, dis);
            unsigned ec = x->esr >> 26;
            if (n > 0 && (size_t)n < len &&
                (ec == 0x20 || ec == 0x21 || ec == 0x24 || ec == 0x25)) {
                int m = snprintf(buf + n, len - (size_t)n, " FAR=0x%" PRIx64, x->far);
                /* HPFAR_EL2 holds IPA[47:12]. The page offset comes from FAR
                 * only when the fault is on the access itself: on a stage-1
                 * table walk (S1PTW) FAR is the VA being translated, not the
                 * table's IPA. */
                bool s1ptw = (x->esr >> 7) & 1;
                uint64_t ipa = (x->hpfar >> 4) << 12 | (s1ptw ? 0 : (x->far & 0xfff));
                if (m > 0 && (size_t)(n + m) < len && x->to_el == 2 && (ec == 0x20 || ec == 0x24))
                    snprintf(buf + n + m, len - (size_t)(n + m),
                             " HPFAR=0x%" PRIx64 " (IPA 0x%" PRIx64 "%s)", x->hpfar, ipa,
                             s1ptw ? ", the stage-1 table page" : "");
            }
        } else {
            snprintf(buf, len, "EL%u -> EL%u %s%s, interrupted at 0x%" PRIx64, x->from_el, x->to_el,
                     x->virt ? "virtual " : "", kind_names[x->kind & 3], x->elr);
        }
        break;
    }
    case HV_EV_ERET:
        snprintf(buf, len, "EL%u -> EL%u eret to 0x%" PRIx64, ev->u.eret.from_el, ev->u.eret.to_el,
                 ev->u.eret.pc);
        break;
    case HV_EV_SYSREG:
        snprintf(buf, len, "%s %s = 0x%" PRIx64 " at EL%u: %s",
                 ev->u.sysreg.is_write ? "MSR" : "MRS", ev->u.sysreg.name ? ev->u.sysreg.name : "?",
                 ev->u.sysreg.value, ev->el, decision_names[ev->u.sysreg.decision & 7]);
        break;
    case HV_EV_MMIO:
        snprintf(buf, len, "%s %s 0x%" PRIx64 " size %u value 0x%" PRIx64,
                 ev->u.mmio.device ? ev->u.mmio.device : "?",
                 ev->u.mmio.is_write ? "write" : "read", ev->u.mmio.pa, ev->u.mmio.size,
                 ev->u.mmio.value);
        break;
    case HV_EV_BUS_ERROR: {
        char va[32] = "VA unknown";
        if (ev->u.bus.va_valid)
            snprintf(va, sizeof(va), "VA 0x%" PRIx64, ev->u.bus.va);
        snprintf(buf, len,
                 "bus error: %s of %u bytes at PA 0x%" PRIx64 " (%s): nothing is mapped there; "
                 "PC 0x%" PRIx64 " EL%u",
                 ev->u.bus.is_fetch   ? "fetch"
                 : ev->u.bus.is_write ? "write"
                                      : "read",
                 ev->u.bus.size, ev->u.bus.pa, va, ev->pc, ev->el);
    } break;
    case HV_EV_UART_TX:
        snprintf(buf, len, "uart%u tx 0x%02x", ev->u.uart.port, ev->u.uart.byte);
        break;
    case HV_EV_PSCI:
        snprintf(buf, len, "PSCI %s (0x%" PRIx64 ") -> %" PRId64,
                 ev->u.psci.name ? ev->u.psci.name : "?", ev->u.psci.fn, ev->u.psci.ret);
        break;
    case HV_EV_WFI:
        snprintf(buf, len, "WFI: PE slept %" PRIu64 " ns of virtual time", ev->u.wfi.slept_ns);
        break;
    case HV_EV_GUEST_ERROR:
        snprintf(buf, len, "guest error: %s", ev->u.text.text);
        break;
    case HV_EV_UNIMPL:
        snprintf(buf, len, "unimplemented: %s", ev->u.text.text);
        break;
    case HV_EV_RUN_STOP:
        snprintf(buf, len, "run stopped (status %d)", ev->u.stop.status);
        break;
    case HV_EV_SOC_REG: {
        const struct hv_ev_soc_reg *r = &ev->u.soc;
        if (r->is_write)
            snprintf(buf, len,
                     "%s %s (0x%04" PRIx32 ") write 0x%08" PRIx32 " at EL%u: 0x%08" PRIx32
                     " -> 0x%08" PRIx32 " (mask 0x%04" PRIx32 ", devices 0x%" PRIx32 ")",
                     r->block ? r->block : "?", r->name ? r->name : "-", r->off, r->value, ev->el,
                     r->old, r->new_value, r->wmask, r->devs);
        else
            snprintf(buf, len, "%s %s (0x%04" PRIx32 ") read 0x%08" PRIx32 " at EL%u",
                     r->block ? r->block : "?", r->name ? r->name : "-", r->off, r->value, ev->el);
        break;
    }
    case HV_EV_DEV_STATE: {
        const struct hv_ev_dev_state *d = &ev->u.dev;
        snprintf(buf, len, "%s: bus clock %s, clock %" PRIu64 " Hz, %s, pins tx %s rx %s",
                 d->device ? d->device : "?", d->pclk_on ? "on" : "off", d->fclk_hz,
                 d->in_reset ? "in reset" : "out of reset", d->tx_muxed ? "muxed" : "not muxed",
                 d->rx_muxed ? "muxed" : "not muxed");
        break;
    }
    case HV_EV_ISOLATION: {
        const struct hv_ev_iso *v = &ev->u.iso;
        char perms[4] = {v->perms & 1 ? 'R' : '-', v->perms & 2 ? 'W' : '-',
                         v->perms & 4 ? 'X' : '-', 0};
        char whose[96];
        const char *ok = v->owner_kind ? v->owner_kind : "none";
        if (v->kind == HV_ISO_TABLE)
            snprintf(whose, sizeof(whose), "a stage-2 table page of VM %" PRIu32, v->table_vmid);
        else if (strcmp(ok, "vm") == 0 || strcmp(ok, "device") == 0)
            snprintf(whose, sizeof(whose), "owned by %s (%s of VM %" PRIu32 ")", v->owner, ok,
                     v->owner_vmid);
        else if (strcmp(ok, "none") == 0)
            snprintf(whose, sizeof(whose), "owned by no region");
        else
            snprintf(whose, sizeof(whose), "owned by %s (%s)", v->owner, ok);
        if (v->kind == HV_ISO_NO_STAGE2)
            snprintf(buf, len,
                     "isolation violation: EL%u entered with stage 2 off (HCR_EL2.VM = 0): VMID "
                     "%" PRIu32 " reaches every PA",
                     ev->el, v->vmid);
        else
            snprintf(buf, len,
                     "isolation violation: VM %" PRIu32 " maps IPA [0x%" PRIx64 ",0x%" PRIx64
                     ") -> PA [0x%" PRIx64 ",0x%" PRIx64 ") %s, %s",
                     v->vmid, v->ipa, v->ipa + v->size, v->pa, v->pa + v->size, perms, whose);
    } break;
    case HV_EV_REFUSAL: {
        /* CRU/GRF refusals (kinds 6, 7: sim/platform/evtport.h) also name
         * the register and the field, from the shared table. */
        extra[0] = 0;
        const struct hv_ev_refusal *r = &ev->u.refusal;
        if (r->kind == 6 || r->kind == 7) {
            unsigned blk = r->kind == 6 ? RK_BLK_CRU : RK_BLK_GRF, f = (unsigned)(r->info >> 32);
            const char *reg = "(unmodelled register)";
            for (unsigned i = 0; i < RK_R__COUNT; i++)
                if (rk3568_regs[i].block == blk && rk3568_regs[i].off == r->addr)
                    reg = rk3568_regs[i].name;
            snprintf(extra, sizeof extra, " (%s %s <- 0x%" PRIx32 ")", reg,
                     f < RK_F__COUNT ? rk3568_fields[f].name : "(no field)", (uint32_t)r->info);
        }
        snprintf(buf, len, "refusal: vm %u refused %s: addr 0x%" PRIx64 " info 0x%" PRIx64 "%s",
                 r->vm, r->kind_name ? r->kind_name : "?", r->addr, r->info, extra);
    } break;
    case HV_EV_IRQ: {
        static const char *const ops[5] = {"asserted", "acknowledged", "EOI (priority drop)",
                                           "deactivated", "deasserted"};
        const struct hv_ev_irq *q = &ev->u.irq;
        snprintf(buf, len, "irq %" PRIu32 " %s: group %u prio 0x%02x PE %u at EL%u", q->intid,
                 q->op < 5 ? ops[q->op] : "(unknown op)", q->group, q->prio, q->target, ev->el);
        break;
    }
    case HV_EV_LR: {
        const struct hv_ev_lr *l = &ev->u.lr;
        char before[96], after[96];
        hv_lr_describe(l->old, before, sizeof(before));
        hv_lr_describe(l->new_value, after, sizeof(after));
        snprintf(buf, len, "inject LR%u: %s -> %s", l->lr, before, after);
        break;
    }
    case HV_EV_VIRQ: {
        static const char *const ops[4] = {"acknowledged", "EOI (priority drop)", "deactivated",
                                           "?"};
        const struct hv_ev_virq *q = &ev->u.virq;
        char where[48] = "in no LR";
        if (q->lr != 0xff)
            snprintf(where, sizeof(where), "LR%u%s", q->lr, q->hw ? " HW" : "");
        if (q->hw && q->lr != 0xff)
            snprintf(where + strlen(where), sizeof(where) - strlen(where), " pINTID %" PRIu32,
                     q->pintid);
        snprintf(buf, len, "virq %" PRIu32 " %s by the guest: group %u prio 0x%02x, %s at EL%u",
                 q->vintid, ops[q->op & 3], q->group, q->prio, where, ev->el);
        break;
    }
    case HV_EV_MAINT: {
        static const char *const bits[8] = {"EOI",    "U",      "LRENP",  "NP",
                                            "VGrp0E", "VGrp0D", "VGrp1E", "VGrp1D"};
        char why[64] = "";
        size_t n = 0;
        for (unsigned i = 0; i < 8; i++)
            if ((ev->u.maint.misr >> i) & 1)
                n += (size_t)snprintf(why + n, sizeof(why) - n, "%s%s", n ? "," : "", bits[i]);
        snprintf(buf, len, "maintenance interrupt %s: MISR=0x%" PRIx32 "%s%s%s",
                 ev->u.maint.level ? "asserted" : "deasserted", ev->u.maint.misr, n ? " (" : "",
                 why, n ? ")" : "");
        break;
    }
    case HV_EV_TIMER: {
        static const char *const names[4] = {"EL1 physical", "virtual", "EL2 physical", "?"};
        const struct hv_ev_timer *t = &ev->u.timer;
        snprintf(buf, len,
                 "timer %s %s: CTL=0x%" PRIx32 " (%s%s) CVAL=0x%" PRIx64 " count=0x%" PRIx64,
                 names[t->timer & 3], t->op ? "fired" : "programmed", t->ctl,
                 (t->ctl & 1) ? "enabled" : "disabled", (t->ctl & 2) ? ", masked" : "", t->cval,
                 t->count);
        break;
    }
    default:
        snprintf(buf, len, "event %d", (int)ev->type);
    }
}

/* Hand-rolled formatting for the most frequent events (device accesses and
 * UART bytes), which `hvsim trace show` prints millions of: the same text as
 * the snprintf formats above, without their cost. */
static char *put_str(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

static char *put_hex(char *p, uint64_t v, unsigned min_digits)
{
    char t[16];
    unsigned n = 0;
    do {
        t[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    while (n < min_digits)
        t[n++] = '0';
    while (n)
        *p++ = t[--n];
    return p;
}

static char *put_dec(char *p, uint64_t v, unsigned width)
{
    char t[20];
    unsigned n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (unsigned i = n; i < width; i++)
        *p++ = ' ';
    while (n)
        *p++ = t[--n];
    return p;
}

/* Room for the prefix (34) and the longest fast-path body (a 31-byte device
 * name is cut at 64 by the check below). */
#define FAST_MIN_LEN 192

void hv_event_format(const struct hv_event *ev, char *buf, size_t len)
{
    char *p = buf;
    if (len < FAST_MIN_LEN) {
        int n = snprintf(buf, len, "[%12" PRIu64 " ns] ", ev->vtime);
        if (n >= 0 && (size_t)n < len)
            hv_event_body(ev, buf + n, len - (size_t)n);
        return;
    }
    /* "[%12" PRIu64 " ns] " */
    *p++ = '[';
    p = put_dec(p, ev->vtime, 12);
    p = put_str(p, " ns] ");
    size_t used = (size_t)(p - buf);
    const char *dev = ev->type == HV_EV_MMIO && ev->u.mmio.device ? ev->u.mmio.device : "?";
    if (ev->type == HV_EV_MMIO && strnlen(dev, 64) < 64) {
        /* "%s %s 0x%" PRIx64 " size %u value 0x%" PRIx64 */
        p = put_str(p, dev);
        p = put_str(p, ev->u.mmio.is_write ? " write 0x" : " read 0x");
        p = put_hex(p, ev->u.mmio.pa, 1);
        p = put_str(p, " size ");
        p = put_dec(p, ev->u.mmio.size, 0);
        p = put_str(p, " value 0x");
        p = put_hex(p, ev->u.mmio.value, 1);
        *p = 0;
    } else if (ev->type == HV_EV_UART_TX) {
        /* "uart%u tx 0x%02x" */
        p = put_str(p, "uart");
        p = put_dec(p, ev->u.uart.port, 0);
        p = put_str(p, " tx 0x");
        p = put_hex(p, ev->u.uart.byte, 2);
        *p = 0;
    } else {
        hv_event_body(ev, p, len - used);
    }
}
