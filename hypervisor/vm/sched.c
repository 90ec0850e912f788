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
 * - No pass over the vCPUs on the way (interrupts are masked in the
 *   hypervisor): the runnable vCPUs are a bit mask in priority order, the
 *   choice is core/sched_mask.h's few bit operations; a blocked vCPU's
 *   deadline is computed once, when it is switched out, into a queue
 *   sorted by deadline (core/wake_queue.h): the tick takes the due ones
 *   from its head.
 *
 * - Timer advance (per VM, `timer_advance_ns`; KVM's lapic_timer_advance_ns
 *   does the same for a guest's LAPIC timer): a blocked vCPU's deadline is
 *   looked at `advance` early (its wake queue key is deadline - advance).
 *   It is then "armed": if it outranks what would run (or the PE has
 *   nothing to run), it is switched in at once and the PE waits in WFI
 *   with it loaded, its virtual timer live; its own PPI 27 ends the wait
 *   at the deadline and takes the short path of a loaded vCPU (ack,
 *   inject, ERET). The switch and whatever the hypervisor was doing when
 *   the tick came (its blocking time) are then spent before the deadline
 *   instead of after it. An armed vCPU that does not outrank the choice
 *   stays in the queue with its real deadline and wakes there as without
 *   an advance. The cost: the PE idles up to `advance` per deadline,
 *   time lower VMs lose (0.2 % for the rtos's 1 ms tick at 2 us).
 *
 * CNTVOFF policy (per VM): a VM's virtual counter excludes the time during
 * which it was preempted, i.e. it had a runnable vCPU but none of its vCPUs
 * ran. Time spent blocked in WFI is not excluded: the guest asked to wait,
 * and its timer deadlines are honoured in real time. */
#include "../arch/sysreg.h"
#include "../hyp.h"

_Static_assert(HYP_MAX_VMS *HYP_MAX_VCPUS <= SCHED_MASK_MAX, "the scheduler's masks are 32 bits");

static bool runnable(const struct vcpu *v)
{
    return v->state == VCPU_RUNNABLE && !v->vm->off;
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

/* Its key in h->blocked: the deadline less its VM's advance, or the
 * deadline itself once armed (then it wakes there, as without one). */
static uint64_t wake_key(const struct hyp *h, const struct vcpu *v)
{
    uint64_t d = deadline(v), a = v->vm->advance;
    if (d == UINT64_MAX || (h->armed & v->sched_bit))
        return d;
    return d > a ? d - a : 0;
}

/* The configured vCPUs are numbered by priority, highest first, equal
 * priorities in configuration order (a stable insertion), as
 * core/sched_mask.h expects; the masks are built from the states the VMs'
 * creation gave them. */
void hyp_sched_init(struct hyp *h)
{
    h->nall = 0;
    for (unsigned i = 0; i < h->nvms; i++)
        for (unsigned k = 0; k < h->vms[i].cfg->nr_vcpus; k++) {
            struct vcpu *v = &h->vms[i].vcpu[k];
            v->slice_full = h->freq / 1000000 * h->vms[i].cfg->slice_us;
            uint64_t ns = h->plat.timer_advance_ns >= 0 ? (uint64_t)h->plat.timer_advance_ns
                                                        : h->vms[i].cfg->timer_advance_ns;
            h->vms[i].advance = h->freq * ns / 1000000000u;
            unsigned j = h->nall++;
            while (j > 0 && h->all[j - 1]->vm->cfg->priority < h->vms[i].cfg->priority) {
                h->all[j] = h->all[j - 1];
                j--;
            }
            h->all[j] = v;
        }
    h->runnable = 0;
    h->armed = 0;
    h->advanced = 0;
    wake_queue_init(&h->blocked);
    for (unsigned k = 0; k < h->nvms; k++)
        h->vms[k].sched_mask = 0;
    for (unsigned k = 0; k < h->nall; k++) {
        struct vcpu *v = h->all[k];
        v->sched_idx = k;
        v->sched_bit = 1u << k;
        v->vm->sched_mask |= v->sched_bit;
        if (v->vm->advance)
            h->advanced |= v->sched_bit;
        h->peers[k] = 0;
        for (unsigned j = 0; j < h->nall; j++)
            if (h->all[j]->vm->cfg->priority == v->vm->cfg->priority)
                h->peers[k] |= 1u << j;
        if (runnable(v))
            h->runnable |= v->sched_bit;
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

/* Every change of a vCPU's state goes through here, so that the runnable
 * and blocked masks stay exact. A vCPU enters h->blocked only when it is
 * switched out blocked (switch_to: its timer is saved then). */
void hyp_sched_set_state(struct hyp *h, struct vcpu *v, enum vcpu_state s)
{
    uint32_t bit = v->sched_bit;
    v->state = s;
    if (s == VCPU_RUNNABLE && !v->vm->off)
        h->runnable |= bit;
    else
        h->runnable &= ~bit;
    if (s != VCPU_BLOCKED) {
        h->armed &= ~bit;
        if (h->blocked.members & bit) /* bit 0: a vCPU not configured */
            wake_queue_remove(&h->blocked, v->sched_idx);
    }
}

void hyp_sched_wake(struct hyp *h, struct vcpu *v)
{
    if (v->state == VCPU_BLOCKED) {
        hyp_sched_set_state(h, v, VCPU_RUNNABLE);
        h->resched = true;
    }
}

void hyp_sched_block(struct hyp *h, struct vcpu *v)
{
    hyp_sched_set_state(h, v, VCPU_BLOCKED);
    h->resched = true;
}

void hyp_sched_yield(struct hyp *h)
{
    h->rotate = true;
    h->resched = true;
}

/* The CNTHP tick: a blocked vCPU's deadline, an emulated EL1 physical
 * timer's or the end of a slice. The scheduler pass that follows
 * (hyp_schedule) wakes the vCPUs whose deadline has passed. */
static void __attribute__((noinline)) ptimers_due(struct hyp *h, uint64_t now)
{
    for (unsigned k = 0; k < h->nall; k++)
        if (h->all[k]->ptimer_at <= now)
            hyp_ptimer_update(h, h->all[k]);
}

void hyp_sched_tick(struct hyp *h)
{
    uint64_t now = hyp_now();
    if (h->ptimer_next <= now) /* emulated EL1 physical timers (vm/vptimer.c) */
        ptimers_due(h, now);
    struct vcpu *cur = h->current;
    if (cur && now >= cur->slice_end)
        h->rotate = true;
    h->resched = true;
}

/* The blocked vCPUs whose wake key has passed: those whose deadline has
 * passed become runnable (WFI ends when the timer fires); those within
 * their VM's advance of it become armed and go back into the queue at
 * their deadline. Called only when the earliest key has passed. Inline
 * (as switch_to): both are on the preemption path, where a call's
 * prologue and epilogue are measured (docs/hypervisor.md, "Measured
 * costs"). */
static inline __attribute__((always_inline)) void wake_due(struct hyp *h, uint64_t now)
{
    uint32_t due = wake_queue_pop_due(&h->blocked, now);
    /* The ones without an advance, or armed already: their deadline. */
    uint32_t woken = due & ~(h->advanced & ~h->armed);
    h->armed &= ~woken;
    h->runnable |= woken;
    for (uint32_t w = woken; w; w &= w - 1)
        h->all[__builtin_ctz(w)]->state = VCPU_RUNNABLE;
    for (due &= ~woken; due; due &= due - 1) {
        unsigned k = (unsigned)__builtin_ctz(due);
        struct vcpu *v = h->all[k];
        uint64_t d = deadline(v);
        if (d > now && !(h->armed & v->sched_bit)) {
            h->armed |= v->sched_bit;
            wake_queue_insert(&h->blocked, k, d);
            continue;
        }
        h->armed &= ~v->sched_bit;
        h->runnable |= v->sched_bit;
        v->state = VCPU_RUNNABLE;
    }
}

/* The armed vCPU to switch in instead of `best` (NULL: the PE has nothing
 * to run): the highest armed one, if it outranks best. The numbering is
 * by priority (core/sched_mask.h), so the lowest armed bit is the
 * highest; an equal does not preempt at a deadline either. */
static struct vcpu *armed_over(const struct hyp *h, const struct vcpu *best)
{
    if (__builtin_expect(!h->armed, 1))
        return NULL;
    struct vcpu *a = h->all[__builtin_ctz(h->armed)];
    if (best && a->vm->cfg->priority <= best->vm->cfg->priority)
        return NULL;
    return a;
}

/* Program CNTHP for the next event: the earliest deadline of a blocked
 * vCPU, or the end of the running vCPU's slice when an equal-priority
 * vCPU waits (only then does the slice matter). No ISB: the ERET into a
 * vCPU synchronizes these writes; idle() puts one before its WFI. */
static void program(const struct hyp *h, struct vcpu *cur, bool equal_waits)
{
    uint64_t next = wake_queue_next(&h->blocked);
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

static struct vcpu *pick(struct hyp *h, struct vcpu *prev, bool rotate, bool *others)
{
    struct sched_pick p =
        sched_mask_pick(h->runnable, h->peers, prev ? (int)prev->sched_idx : -1, rotate, h->nall);
    *others = p.others;
    return p.best < 0 ? NULL : h->all[p.best];
}

static inline __attribute__((always_inline)) void switch_to(struct hyp *h, struct vcpu *prev,
                                                            struct vcpu *next, uint64_t now)
{
    if (prev) {
        hyp_vcpu_put(h, prev);
        if (prev->state == VCPU_BLOCKED) {
            /* Its timer was saved just now: it joins the blocked set with
             * its deadline. */
            wake_queue_insert(&h->blocked, prev->sched_idx, wake_key(h, prev));
            prev->slice_left = 0;
        } else {
            /* Preempted (still runnable): it keeps the rest of its slice. */
            prev->slice_left = runnable(prev) && prev->slice_end > now ? prev->slice_end - now : 0;
        }
        if ((!next || next->vm != prev->vm) && (h->runnable & prev->vm->sched_mask))
            prev->vm->preempted_at = now;
    }
    h->current = next;
    if (!next)
        return;
    /* An armed vCPU (timer advance) comes in blocked: out of the queue,
     * its timer is live in the PE from here on. */
    if (h->blocked.members & next->sched_bit)
        wake_queue_remove(&h->blocked, next->sched_idx);
    struct vm *vm = next->vm;
    if ((!prev || prev->vm != vm) && vm->preempted_at) {
        vm->cntvoff += now - vm->preempted_at;
        vm->preempted_at = 0;
        /* Its blocked vCPUs' deadlines moved with its virtual counter. */
        for (uint32_t m = h->blocked.members & vm->sched_mask; m; m &= m - 1) {
            unsigned k = (unsigned)__builtin_ctz(m);
            wake_queue_insert(&h->blocked, k, wake_key(h, h->all[k]));
        }
    }
    vm->st.switches_in++;
    h->world_switches++;
    hyp_vcpu_load(h, next);
}

/* The PE waits: nothing can run, or an armed vCPU outranks what can
 * (`best`, a first choice). WFI (interrupts stay masked at EL2; a pending
 * one still ends WFI) until the tick or an interrupt changes that. While
 * it waits, either nothing is loaded (every blocked vCPU is in
 * h->blocked) or the armed vCPU is, its virtual timer live in the PE: its
 * PPI 27 at the deadline ends the wait, and hyp_irq injects it and makes
 * the vCPU runnable. Returns the vCPU to run, which may be loaded. */
static struct vcpu *__attribute__((noinline)) wait(struct hyp *h, struct vcpu *best, bool *others)
{
    for (;;) {
        struct vcpu *a = armed_over(h, best);
        if (!a && best)
            break;
        uint64_t now = hyp_now();
        if (!a) {
            if (h->current)
                switch_to(h, h->current, NULL, now);
            if (!(h->runnable | h->blocked.members))
                hyp_system_off(h);
        } else if (a != h->current) {
            /* Its deadline cannot move at this load: a VM whose counter
             * is stopped (preempted_at, CNTVOFF policy) has a runnable
             * vCPU of a's priority, which a does not outrank. */
            switch_to(h, h->current, a, now);
            a->vm->st.armed++;
            /* Loaded after its deadline (the advance was too short for
             * the path this time): hyp_vcpu_load injected its timer. */
            if (hyp_now() >= deadline(a))
                a->vm->st.armed_late++;
            if (hyp_vgic_pending(h, a))
                hyp_sched_wake(h, a);
        }
        if (!a || a->state != VCPU_RUNNABLE) {
            /* The log ring (lib/console.c) goes out now, the PE has
             * nothing else to do; an interrupt stops it (it then ends the
             * WFI). Not while an armed vCPU waits: a piece of the drain
             * (up to ~200 instructions) would delay its deadline. */
            if (!a)
                (void)hyp_console_drain(true);
            program(h, NULL, false);
            /* every interrupt may wake it: open the priority mask that
             * the last vCPU's VM had (ICC_PMR_EL1, vm/vgic.c spi_priority) */
            write_sysreg(S3_0_C4_C6_0, 0xff);
            /* The timer must see the new CNTHP_CVAL/CTL (an indirect
             * read) before the PE waits for it: a context synchronization
             * event. */
            isb();
            wfi();
            hyp_irq(h, h->current);
            now = hyp_now();
            if (a && a == h->current && a->state == VCPU_BLOCKED) {
                /* The tick's end-of-slice test (hyp_sched_tick) is not
                 * for a vCPU that waits. Its deadline passed, but its
                 * timer did not wake it (INTID 27 disabled in its vGIC:
                 * the PPI is held, vm/vgic.c): wake it as the queue
                 * would have. */
                h->rotate = false;
                if (now >= deadline(a))
                    hyp_sched_wake(h, a);
            }
        }
        if (now >= wake_queue_next(&h->blocked))
            wake_due(h, now);
        best = pick(h, NULL, false, others);
    }
    if (best == h->current) /* loaded armed: the mask is its VM's again */
        write_sysreg(S3_0_C4_C6_0, best->vm->pmr);
    return best;
}

struct vcpu *hyp_schedule(struct hyp *h, struct vcpu *prev, bool preempted)
{
    (void)preempted;
    bool rotate = h->rotate, others;
    h->resched = false;
    h->rotate = false;
    uint64_t now = hyp_now();
    if (now >= wake_queue_next(&h->blocked))
        wake_due(h, now);
    struct vcpu *next = pick(h, prev, rotate, &others);
    if (!next || h->armed) {
        next = wait(h, next, &others);
        now = hyp_now();
    }
    if (next != h->current)
        switch_to(h, h->current, next, now);
    if (next != prev || rotate) {
        uint64_t left = next != prev && next->slice_left ? next->slice_left : next->slice_full;
        next->slice_end = now + left;
        next->slice_left = 0;
    }
    program(h, next, others);
    hyp_fp_arm(h, next);
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
        uint64_t evictions = 0;
        for (unsigned k = 0; k < vm->cfg->nr_vcpus; k++)
            evictions += vm->vcpu[k].vgic.evictions;
        if (evictions || vm->st.eoi_deact || vm->st.eoi_unmatched || vm->st.dir_traps)
            hyp_printf("hyp: vm %s: list registers: evictions=%llu eoicount=%llu dir=%llu "
                       "unmatched=%llu\n", /* vm/vgic.c */
                       vm->cfg->name, (unsigned long long)evictions,
                       (unsigned long long)vm->st.eoi_deact, (unsigned long long)vm->st.dir_traps,
                       (unsigned long long)vm->st.eoi_unmatched);
        if (vm->st.irq_storms)
            hyp_printf("hyp: vm %s: interrupt storms=%llu dropped=%llu\n", vm->cfg->name,
                       (unsigned long long)vm->st.irq_storms,
                       (unsigned long long)vm->st.irq_dropped);
        if (vm->advance)
            hyp_printf("hyp: vm %s: timer advance %llu ticks: armed=%llu late=%llu\n",
                       vm->cfg->name, (unsigned long long)vm->advance,
                       (unsigned long long)vm->st.armed, (unsigned long long)vm->st.armed_late);
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
