/* The scheduler of one PE: priority-based preemption with time slices.
 *
 * - The runnable vCPU with the highest VM priority runs. Among equals,
 *   round robin: the running one keeps the PE until its slice ends (or it
 *   yields, blocks or stops), then the next equal one in order takes over.
 *   A vCPU preempted by a higher-priority one keeps the rest of its slice
 *   (otherwise a frequently preempted vCPU would never let its equals run).
 * - The hypervisor's tick is the EL2 physical timer (CNTHP, PPI 26),
 *   programmed for the next event only: the end of the running vCPU's
 *   slice, the earliest virtual-timer deadline of a blocked vCPU, or the
 *   earliest deadline of any vCPU's emulated EL1 physical timer.
 * - WFI is trapped (HCR_EL2.TWI) and blocks the vCPU until its virtual
 *   timer fires or an interrupt is injected; WFE (HCR_EL2.TWE) and the
 *   yield hypercall give up the rest of the slice.
 *
 * CNTVOFF policy (per VM): a VM's virtual counter excludes the time during
 * which it was preempted, i.e. it had a runnable vCPU but none of its vCPUs
 * ran. Time spent blocked in WFI is not excluded: the guest asked to wait,
 * and its timer deadlines are honoured in real time. */
#include "../arch/sysreg.h"
#include "../hyp.h"

uint64_t hyp_now(void)
{
    isb();
    return read_sysreg(cntpct_el0);
}

/* The scheduler walks h->all, the configured vCPUs only (built once in
 * hyp_sched_init), so that its scans cost what the configuration has. */
static unsigned nr_all(struct hyp *h)
{
    return h->nall;
}

static struct vcpu *at(struct hyp *h, unsigned k)
{
    return h->all[k];
}

static unsigned index_of(struct hyp *h, struct vcpu *v)
{
    (void)h;
    return v->sched_idx;
}

static bool runnable(const struct vcpu *v)
{
    return v->state == VCPU_RUNNABLE && !v->vm->off;
}

static unsigned prio(const struct vcpu *v)
{
    return v->prio;
}

/* Physical count at which a blocked vCPU's virtual timer fires, or
 * UINT64_MAX. CNTV fires when CNTVCT = CNTPCT - CNTVOFF >= CVAL, with
 * ENABLE = 1 and IMASK = 0 (D11.2.4). */
static uint64_t deadline(const struct vcpu *v)
{
    if ((v->cntv_ctl & 3) != 1)
        return UINT64_MAX;
    uint64_t d = v->cntv_cval + v->vm->cntvoff;
    return d < v->cntv_cval ? UINT64_MAX : d;
}

void hyp_sched_init(struct hyp *h)
{
    h->nall = 0;
    for (unsigned i = 0; i < h->nvms; i++)
        for (unsigned k = 0; k < h->vms[i].cfg->nr_vcpus; k++) {
            struct vcpu *v = &h->vms[i].vcpu[k];
            v->sched_idx = h->nall;
            v->prio = h->vms[i].cfg->priority;
            h->all[h->nall++] = v;
        }
    h->ptimer_next = UINT64_MAX;
    for (unsigned k = 0; k < h->nall; k++)
        if (h->all[k]->ptimer_at < h->ptimer_next)
            h->ptimer_next = h->all[k]->ptimer_at;
    hyp_gic_enable_ppi(h, h->plat.ppi_hyp);
    hyp_gic_enable_ppi(h, h->plat.ppi_virt);
    hyp_gic_enable_ppi(h, h->plat.ppi_maint);
    write_sysreg(cnthp_ctl_el2, 0);
}

void hyp_sched_wake(struct hyp *h, struct vcpu *v)
{
    if (v->state == VCPU_BLOCKED) {
        v->state = VCPU_RUNNABLE;
        h->resched = true;
    }
}

void hyp_sched_block(struct hyp *h, struct vcpu *v)
{
    v->state = VCPU_BLOCKED;
    h->resched = true;
}

void hyp_sched_yield(struct hyp *h)
{
    h->rotate = true;
    h->resched = true;
}

void hyp_sched_tick(struct hyp *h)
{
    uint64_t now = hyp_now();
    for (unsigned k = 0; k < nr_all(h); k++) {
        struct vcpu *c = at(h, k);
        if (c->state == VCPU_BLOCKED && c != h->current && deadline(c) <= now)
            hyp_sched_wake(h, c);
    }
    if (h->ptimer_next <= now) /* emulated EL1 physical timers (vm/vptimer.c) */
        for (unsigned k = 0; k < nr_all(h); k++)
            if (at(h, k)->ptimer_at <= now)
                hyp_ptimer_update(h, at(h, k));
    struct vcpu *cur = h->current;
    if (cur && now >= cur->slice_end)
        h->rotate = true;
    h->resched = true;
}

void hyp_sched_program(struct hyp *h)
{
    uint64_t next = UINT64_MAX;
    struct vcpu *cur = h->current;
    bool equal_waits = false;
    for (unsigned k = 0; k < nr_all(h); k++) {
        struct vcpu *c = at(h, k);
        if (c == cur || c->vm->off)
            continue;
        if (c->state == VCPU_BLOCKED) {
            uint64_t d = deadline(c);
            if (d < next)
                next = d;
        } else if (cur && c->state == VCPU_RUNNABLE && prio(c) == prio(cur)) {
            equal_waits = true;
        }
    }
    if (h->ptimer_next < next) /* emulated EL1 physical timers, running or not */
        next = h->ptimer_next;
    /* The slice matters only when an equal-priority vCPU waits. */
    if (equal_waits && cur->slice_end < next)
        next = cur->slice_end;
    if (next == UINT64_MAX) {
        write_sysreg(cnthp_ctl_el2, 0);
    } else {
        write_sysreg(cnthp_cval_el2, next);
        write_sysreg(cnthp_ctl_el2, 1); /* ENABLE, IMASK = 0 */
    }
    isb();
}

static struct vcpu *pick(struct hyp *h, struct vcpu *prev, bool rotate)
{
    struct vcpu *best = prev && runnable(prev) ? prev : NULL;
    unsigned n = nr_all(h), start = prev ? index_of(h, prev) : n - 1;
    for (unsigned k = 1; k <= n; k++) {
        struct vcpu *c = at(h, (start + k) % n);
        if (c == prev || !runnable(c))
            continue;
        if (!best || prio(c) > prio(best) || (rotate && best == prev && prio(c) == prio(best)))
            best = c;
    }
    return best;
}

static bool vm_has_runnable(struct vm *vm)
{
    for (unsigned i = 0; i < vm->cfg->nr_vcpus; i++)
        if (runnable(&vm->vcpu[i]))
            return true;
    return false;
}

static void switch_to(struct hyp *h, struct vcpu *prev, struct vcpu *next)
{
    uint64_t now = hyp_now();
    if (prev) {
        hyp_vcpu_put(h, prev);
        /* Preempted (still runnable): it keeps the rest of its slice. */
        prev->slice_left = runnable(prev) && prev->slice_end > now ? prev->slice_end - now : 0;
        if ((!next || next->vm != prev->vm) && vm_has_runnable(prev->vm))
            prev->vm->preempted_at = now;
    }
    h->current = next;
    if (!next)
        return;
    if ((!prev || prev->vm != next->vm) && next->vm->preempted_at) {
        next->vm->cntvoff += now - next->vm->preempted_at;
        next->vm->preempted_at = 0;
    }
    next->vm->st.switches_in++;
    h->world_switches++;
    hyp_vcpu_load(h, next);
}

/* Idle: no vCPU can run. Sleep in WFI (interrupts stay masked at EL2; a
 * pending one still ends WFI) until the tick or an interrupt makes a vCPU
 * runnable. */
static struct vcpu *idle(struct hyp *h)
{
    for (;;) {
        bool any = false;
        for (unsigned k = 0; k < nr_all(h); k++) {
            struct vcpu *c = at(h, k);
            if (c->state != VCPU_OFF && !c->vm->off)
                any = true;
        }
        if (!any)
            hyp_system_off(h);
        hyp_sched_program(h);
        wfi();
        hyp_irq(h, NULL);
        struct vcpu *n = pick(h, NULL, false);
        if (n)
            return n;
    }
}

struct vcpu *hyp_schedule(struct hyp *h, struct vcpu *prev, bool preempted)
{
    (void)preempted;
    bool rotate = h->rotate;
    h->resched = false;
    h->rotate = false;
    struct vcpu *next = pick(h, prev, rotate);
    if (!next) {
        if (h->current)
            switch_to(h, h->current, NULL);
        next = idle(h);
    }
    if (next != h->current)
        switch_to(h, h->current, next);
    if (next != prev || rotate) {
        uint64_t full = h->freq / 1000000 * next->vm->cfg->slice_us;
        uint64_t left = next != prev && next->slice_left ? next->slice_left : full;
        next->slice_end = hyp_now() + left;
        next->slice_left = 0;
    }
    hyp_sched_program(h);
    return next;
}

void hyp_run(struct hyp *h)
{
    struct vcpu *v = hyp_schedule(h, NULL, false);
    hyp_vcpu_enter(v);
}

void hyp_system_off(struct hyp *h)
{
    hyp_printf("hyp: summary: %llu world switches\n", (unsigned long long)h->world_switches);
    for (unsigned i = 0; i < h->nvms; i++) {
        struct vm *vm = &h->vms[i];
        hyp_printf("hyp: vm %s: switches=%llu irqs=%llu injections=%llu undef=%llu "
                   "violations=%llu resets=%u traps:",
                   vm->cfg->name, (unsigned long long)vm->st.switches_in,
                   (unsigned long long)vm->st.irqs, (unsigned long long)vm->st.injections,
                   (unsigned long long)vm->st.undefs, (unsigned long long)vm->st.violations,
                   vm->resets);
        for (unsigned ec = 0; ec < 64; ec++)
            if (vm->st.traps[ec])
                hyp_printf(" ec%02x=%llu", ec, (unsigned long long)vm->st.traps[ec]);
        hyp_printf("\n");
        if (vm->st.sgis || vm->st.sgis_refused || vm->st.ptimer_fired)
            hyp_printf("hyp: vm %s: sgis=%llu sgis_refused=%llu ptimer_irqs=%llu\n", vm->cfg->name,
                       (unsigned long long)vm->st.sgis, (unsigned long long)vm->st.sgis_refused,
                       (unsigned long long)vm->st.ptimer_fired);
        if (vm->vclk)
            hyp_printf("hyp: vm %s: vclk reads=%llu writes=%llu applied=%llu refused=%llu\n",
                       vm->cfg->name, (unsigned long long)vm->st.clk_reads,
                       (unsigned long long)vm->st.clk_writes,
                       (unsigned long long)vm->st.clk_applied,
                       (unsigned long long)vm->st.clk_refused);
    }
    hyp_printf("hyp: all VMs are off; system off\n");
    if (h->plat.have_psci && h->plat.psci_smc)
        hyp_smc(0x84000008u, 0, 0, 0);
    hyp_printf("hyp: no PSCI SMC conduit to power off; halting\n");
    for (;;)
        wfi();
}
