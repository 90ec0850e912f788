/* hvsim demo: the narrator. It subscribes to the observer and prints one
 * explanatory line per world switch, trap and interrupt, interleaved (on
 * stdout) with what the image prints on its UART. */
#include "demo.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/arm_esr.h"
#include "common/evfmt.h"
#include "common/observer.h"
#include "cli.h"
#include "platform/machine.h"

struct narrator {
    unsigned exc_by_ec[64];
    unsigned irqs, erets, psci;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("    >> ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

static void narrate(void *ctx, const struct hv_event *ev)
{
    struct narrator *n = ctx;
    char body[400];

    switch (ev->type) {
    case HV_EV_ERET:
        n->erets++;
        if (ev->u.eret.to_el < ev->u.eret.from_el)
            say("ERET: EL%u -> EL%u, resuming at 0x%" PRIx64 "%s", ev->u.eret.from_el,
                ev->u.eret.to_el, ev->u.eret.pc,
                n->erets == 1 ? " (the hypervisor enters its guest)" : "");
        break;
    case HV_EV_EXC_TAKEN: {
        const struct hv_ev_exc *x = &ev->u.exc;
        if (x->kind != HV_EXC_SYNC) {
            n->irqs++;
            say("%s%s taken at EL%u (from EL%u)%s", x->virt ? "virtual " : "",
                x->kind == HV_EXC_IRQ   ? "IRQ"
                : x->kind == HV_EXC_FIQ ? "FIQ"
                                        : "SError",
                x->to_el, x->from_el,
                x->virt ? ": HCR_EL2.VI is set and the guest unmasked IRQs" : "");
            break;
        }
        unsigned ec = x->esr >> 26;
        n->exc_by_ec[ec]++;
        hv_event_body(ev, body, sizeof(body));
        if (ec == 0x16)
            say("hypercall: the guest's HVC traps to EL2 (ESR_EL2=0x%08x, EC=HVC64)", x->esr);
        else if (ec == 0x24 && x->to_el == 2)
            say("stage-2 fault: IPA 0x%" PRIx64 " has no stage-2 mapping, so EL2 takes a data "
                "abort (ESR_EL2=0x%08x, HPFAR_EL2=0x%" PRIx64 ")",
                (x->hpfar >> 4) << 12 | (x->far & 0xfff), x->esr, x->hpfar);
        else
            say("exception: %s", body);
        break;
    }
    case HV_EV_PSCI:
        n->psci++;
        say("firmware: PSCI %s answered by hvsim's EL3 model", ev->u.psci.name);
        break;
    default:
        break;
    }
}

int hv_demo_run(const char *image, const char *trace, uint32_t trace_mask)
{
    struct narrator n;
    struct hv_obs obs;
    int status = 0;

    memset(&n, 0, sizeof(n));
    hv_obs_init(&obs);
    hv_obs_subscribe(&obs,
                     HV_EV_BIT(HV_EV_EXC_TAKEN) | HV_EV_BIT(HV_EV_ERET) | HV_EV_BIT(HV_EV_PSCI),
                     narrate, &n);
    puts("hvsim demo: a miniature hypervisor at EL2 and its guest at EL1 on the virt platform.");
    puts("Lines starting with '>>' are hvsim explaining what the PE just did; the rest is the");
    puts("image's own UART output.\n");
    fflush(stdout);
    if (hv_cli_run_machine_image(image, trace, trace_mask, &obs, &status))
        return status;
    printf("\nsummary: %u ERETs, %u interrupts taken, %u PSCI calls; synchronous exceptions:",
           n.erets, n.irqs, n.psci);
    for (unsigned ec = 0; ec < 64; ec++)
        if (n.exc_by_ec[ec])
            printf(" %s x%u", hv_ec_name(ec), n.exc_by_ec[ec]);
    printf("\n");
    return status;
}
