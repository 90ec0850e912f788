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
            v->slice_full = h->freq / 1000000 * h->vms[i].cfg->slice_us;
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

/* The CNTHP tick: a blocked vCPU's deadline or the end of a slice. The
 * scheduler pass that follows (hyp_schedule) wakes the vCPUs whose
 * deadline has passed. */
void hyp_sched_tick(struct hyp *h)
{
    uint64_t now = hyp_now();
    if (h->ptimer_next <= now) /* emulated EL1 physical timers (vm/vptimer.c) */
        for (unsigned k = 0; k < nr_all(h); k++)
            if (at(h, k)->ptimer_at <= now)
                hyp_ptimer_update(h, at(h, k));
    struct vcpu *cur = h->current;
    if (cur && now >= cur->slice_end)
        h->rotate = true;
    h->resched = true;
}

/* What one pass over the configured vCPUs finds (sched_pass). */
struct sched_pass {
    struct vcpu *best;  /* the vCPU to run, or NULL */
    uint64_t next_wake; /* earliest deadline of a vCPU left blocked (not h->current) */
    unsigned at_best;   /* runnable vCPUs with best's priority, best included */
};

/* A blocked vCPU whose virtual timer deadline has passed becomes runnable
 * (WFI ends when the timer fires); otherwise its deadline is noted. Not
 * for h->current, whose timer fields are saved only by hyp_vcpu_put. */
static void wake_if_due(struct vcpu *c, uint64_t now, uint64_t *next_wake)
{
    uint64_t d = deadline(c);
    if (d <= now)
        c->state = VCPU_RUNNABLE;
    else if (d < *next_wake)
        *next_wake = d;
}

/* The scheduling decision, in one pass over the configured vCPUs (the
 * tick's wake-ups, the choice and what the next CNTHP event needs cost one
 * walk, not three): the runnable vCPU of highest priority runs; prev keeps
 * the PE among equals unless rotate, then the next equal one after it in
 * order takes over. */
static void sched_pass(struct hyp *h, struct vcpu *prev, bool rotate, uint64_t now,
                       struct sched_pass *p)
{
    unsigned n = h->nall, k = prev ? index_of(h, prev) : n - 1;
    p->next_wake = UINT64_MAX;
    if (prev && prev != h->current && !prev->vm->off && prev->state == VCPU_BLOCKED)
        wake_if_due(prev, now, &p->next_wake);
    struct vcpu *best = prev && runnable(prev) ? prev : NULL;
    unsigned at_best = best != NULL;
    for (unsigned i = 1; i < n + (prev == NULL); i++) {
        k = k + 1 == n ? 0 : k + 1;
        struct vcpu *c = at(h, k);
        if (c->vm->off)
            continue;
        if (c->state == VCPU_BLOCKED && c != h->current)
            wake_if_due(c, now, &p->next_wake);
        if (c->state != VCPU_RUNNABLE)
            continue;
        if (!best || prio(c) > prio(best)) {
            best = c;
            at_best = 1;
        } else if (prio(c) == prio(best)) {
            at_best++;
            if (rotate && best == prev)
                best = c;
        }
    }
    p->best = best;
    p->at_best = at_best;
}

/* Program CNTHP for the next event: the earliest deadline of a blocked
 * vCPU, or the end of the running vCPU's slice when an equal-priority
 * vCPU waits (only then does the slice matter). No ISB: the ERET into a
 * vCPU synchronizes these writes; idle() puts one before its WFI. */
static void program(const struct hyp *h, struct vcpu *cur, uint64_t next, bool equal_waits)
{
    if (h->ptimer_next < next) /* emulated EL1 physical timers, running or not */
        next = h->ptimer_next;
    if (cur && equal_waits && cur->slice_end < next)
        next = cur->slice_end;
    if (next == UINT64_MAX) {
        write_sysreg(cnthp_ctl_el2, 0);
    } else {
        write_sysreg(cnthp_cval_el2, next);
        write_sysreg(cnthp_ctl_el2, 1); /* ENABLE, IMASK = 0 */
    }
}

static bool vm_has_runnable(struct vm *vm)
{
    for (unsigned i = 0; i < vm->cfg->nr_vcpus; i++)
        if (runnable(&vm->vcpu[i]))
            return true;
    return false;
}

static void switch_to(struct hyp *h, struct vcpu *prev, struct vcpu *next, uint64_t now)
{
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
static void idle(struct hyp *h, struct sched_pass *p)
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
        sched_pass(h, NULL, false, hyp_now(), p);
        if (p->best)
            return;
        /* The log ring (lib/console.c) goes out now, the PE has nothing
         * else to do; an interrupt stops it (it then ends the WFI). */
        (void)hyp_console_drain(true);
        program(h, NULL, p->next_wake, false);
        /* every interrupt may wake it: open the priority mask that the
         * last vCPU's VM had (ICC_PMR_EL1, vm/vgic.c spi_priority) */
        write_sysreg(S3_0_C4_C6_0, 0xff);
        /* The timer must see the new CNTHP_CVAL/CTL (an indirect read)
         * before the PE waits for it: a context synchronization event. */
        isb();
        wfi();
        hyp_irq(h, NULL);
    }
}

struct vcpu *hyp_schedule(struct hyp *h, struct vcpu *prev, bool preempted)
{
    (void)preempted;
    bool rotate = h->rotate;
    h->resched = false;
    h->rotate = false;
    uint64_t now = hyp_now();
    struct sched_pass p;
    sched_pass(h, prev, rotate, now, &p);
    struct vcpu *next = p.best;
    if (!next) {
        if (h->current)
            switch_to(h, h->current, NULL, now);
        idle(h, &p);
        next = p.best;
        now = hyp_now();
    }
    struct vcpu *out = h->current;
    if (next != out) {
        switch_to(h, out, next, now);
        /* The vCPU switched out, if blocked, had its timer saved only now. */
        if (out && out->state == VCPU_BLOCKED && !out->vm->off) {
            uint64_t d = deadline(out);
            if (d < p.next_wake)
                p.next_wake = d;
        }
    }
    if (next != prev || rotate) {
        uint64_t left = next != prev && next->slice_left ? next->slice_left : next->slice_full;
        next->slice_end = now + left;
        next->slice_left = 0;
    }
    program(h, next, p.next_wake, p.at_best > 1);
    return next;
}

void hyp_run(struct hyp *h)
{
    struct vcpu *v = hyp_schedule(h, NULL, false);
    if (v->vm->reset_step != RESET_DONE)
        v = hyp_vm_reset_finish(h, v);
    hyp_vcpu_enter(v);
}

void hyp_system_off(struct hyp *h)
{
    hyp_console_defer(false); /* the log ring first, then the summary directly */
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
        if (vm->st.irq_storms)
            hyp_printf("hyp: vm %s: interrupt storms=%llu dropped=%llu\n", vm->cfg->name,
                       (unsigned long long)vm->st.irq_storms,
                       (unsigned long long)vm->st.irq_dropped);
        if (vm->st.sgis || vm->st.sgis_refused || vm->st.ptimer_fired)
            hyp_printf("hyp: vm %s: sgis=%llu sgis_refused=%llu ptimer_irqs=%llu\n", vm->cfg->name,
                       (unsigned long long)vm->st.sgis, (unsigned long long)vm->st.sgis_refused,
                       (unsigned long long)vm->st.ptimer_fired);
        if (vm->vclk)
            hyp_printf(
                "hyp: vm %s: vclk reads=%llu writes=%llu applied=%llu refused=%llu "
                "restored=%llu\n",
                vm->cfg->name, (unsigned long long)vm->st.clk_reads,
                (unsigned long long)vm->st.clk_writes, (unsigned long long)vm->st.clk_applied,
                (unsigned long long)vm->st.clk_refused, (unsigned long long)vm->st.clk_restored);
    }
    hyp_printf("hyp: all VMs are off; system off\n");
    if (h->plat.have_psci && h->plat.psci_smc)
        hyp_smc(0x84000008u, 0, 0, 0);
    hyp_printf("hyp: no PSCI SMC conduit to power off; halting\n");
    for (;;)
        wfi();
}
