#include "evfmt.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "arm_esr.h"
#include "disasm.h"

static const char *const kind_names[4] = {"sync", "IRQ", "FIQ", "SError"};
static const char *const decision_names[8] = {"ok",          "UNDEF", "trap to EL2", "trap to EL3",
                                              "trap to EL1", "?",     "?",           "?"};

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
    case HV_EV_ISOLATION:
        snprintf(buf, len, "isolation: vm %u refused %s: addr 0x%" PRIx64 " info 0x%" PRIx64,
                 ev->u.iso.vm, ev->u.iso.kind_name ? ev->u.iso.kind_name : "?", ev->u.iso.addr,
                 ev->u.iso.info);
        break;
    default:
        snprintf(buf, len, "event %d", (int)ev->type);
    }
}

void hv_event_format(const struct hv_event *ev, char *buf, size_t len)
{
    char body[400];
    hv_event_body(ev, body, sizeof(body));
    snprintf(buf, len, "[%12" PRIu64 " ns] %s", ev->vtime, body);
}
