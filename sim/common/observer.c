#include "observer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const ev_names[HV_EV__COUNT] = {
    [HV_EV_EXC_TAKEN] = "exc",
    [HV_EV_ERET] = "eret",
    [HV_EV_SYSREG] = "sysreg",
    [HV_EV_MMIO] = "mmio",
    [HV_EV_BUS_ERROR] = "bus",
    [HV_EV_UART_TX] = "uart",
    [HV_EV_PSCI] = "psci",
    [HV_EV_WFI] = "wfi",
    [HV_EV_GUEST_ERROR] = "guest-error",
    [HV_EV_UNIMPL] = "unimpl",
    [HV_EV_RUN_STOP] = "stop",
    [HV_EV_SOC_REG] = "soc",
    [HV_EV_DEV_STATE] = "devstate",
    [HV_EV_ISOLATION] = "isolation",
    [HV_EV_REFUSAL] = "refusal",
    [HV_EV_IRQ] = "irq",
    [HV_EV_LR] = "lr",
    [HV_EV_VIRQ] = "virq",
    [HV_EV_MAINT] = "maint",
    [HV_EV_TIMER] = "timer",
};

void hv_obs_init(struct hv_obs *obs)
{
    memset(obs, 0, sizeof(*obs));
}

int hv_obs_subscribe(struct hv_obs *obs, uint32_t mask, hv_obs_fn fn, void *ctx)
{
    if (obs->nsubs >= HV_OBS_MAX_SUBS)
        return -1;
    obs->subs[obs->nsubs].fn = fn;
    obs->subs[obs->nsubs].ctx = ctx;
    obs->subs[obs->nsubs].mask = mask;
    obs->nsubs++;
    obs->mask |= mask;
    return 0;
}

void hv_obs_set_clock(struct hv_obs *obs, const struct hv_obs_clock *clock)
{
    obs->clock = *clock;
}

void hv_obs_emit(struct hv_obs *obs, struct hv_event *ev)
{
    if (!obs)
        return;
    if (obs->clock.icount) {
        ev->icount = obs->clock.icount(obs->clock.ctx);
        ev->vtime = obs->clock.vtime(obs->clock.ctx);
    }
    for (unsigned i = 0; i < obs->nsubs; i++)
        if (obs->subs[i].mask & HV_EV_BIT(ev->type))
            obs->subs[i].fn(obs->subs[i].ctx, ev);
}

void hv_obs_text(struct hv_obs *obs, enum hv_ev_type t, uint8_t el, uint64_t pc, const char *fmt,
                 ...)
{
    char buf[256];
    struct hv_event ev;
    va_list ap;

    if (!hv_obs_wants(obs, t))
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    memset(&ev, 0, sizeof(ev));
    ev.type = t;
    ev.el = el;
    ev.pc = pc;
    ev.u.text.text = buf;
    hv_obs_emit(obs, &ev);
}

const char *hv_ev_type_name(enum hv_ev_type t)
{
    return (unsigned)t < HV_EV__COUNT ? ev_names[t] : "?";
}

int hv_ev_parse_mask(const char *list, uint32_t *mask)
{
    uint32_t m = 0;
    const char *p = list;

    while (*p) {
        size_t n = strcspn(p, ",");
        bool found = false;
        if (n == 3 && strncmp(p, "all", 3) == 0) {
            m |= HV_EV_ALL;
            found = true;
        }
        for (unsigned i = 0; i < HV_EV__COUNT && !found; i++) {
            if (strlen(ev_names[i]) == n && strncmp(p, ev_names[i], n) == 0) {
                m |= HV_EV_BIT(i);
                found = true;
            }
        }
        if (!found)
            return -1;
        p += n;
        if (*p == ',')
            p++;
    }
    *mask = m;
    return 0;
}
