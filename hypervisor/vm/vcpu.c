/* The world switch of everything a guest sees besides its GPRs: EL1/EL0
 * system registers, FP/SIMD (lazily: see "FP/SIMD" below), the virtual
 * timer, the vGIC (list registers, VMCR, active priorities) and the VM's
 * stage 2 (VTTBR_EL2 with its VMID) and CNTVOFF_EL2. GPRs, PC and PSTATE are saved on every trap by
 * arch/entry.S. Exception injection follows the Arm ARM's
 * AArch64.TakeException pseudocode for an exception taken to EL1. */
#include <stddef.h>

#include "../arch/sysreg.h"
#include "../hyp.h"
#include "../lib/fmt.h"
#include "gicregs.h"

/* The LRs in use (ICH_ELRSR_EL2 bit clear) read into the vCPU's state and
 * cleared, the others recorded empty. Returns whether one of them holds
 * the virtual timer with the HW bit (pending or active). Off the common
 * path: a vCPU switched out has usually nothing in its LRs. */
static bool __attribute__((noinline)) put_lrs(struct hyp *h, struct vcpu *v, uint64_t empty)
{
    bool hw_timer = false;
    for (unsigned i = 0; i < v->vgic.nr_lrs; i++) {
        if (empty & (UINT64_C(1) << i)) {
            v->vgic.lr[i] = 0;
            continue;
        }
        v->vgic.lr[i] = ich_lr_read(i);
        if ((v->vgic.lr[i] & LR_HW) && (v->vgic.lr[i] & LR_STATE_MASK) &&
            ((v->vgic.lr[i] >> 32) & 0x3ff) == h->plat.ppi_virt)
            hw_timer = true;
        ich_lr_write(i, 0);
    }
    return hw_timer;
}

/* The physical PPI 27's active state at switch-out: see hyp_vcpu_put. */
static void __attribute__((noinline)) put_timer_ppi(struct hyp *h, struct vcpu *v, bool hw_timer)
{
    v->ppi27_active = hw_timer && hyp_gic_ppi_active(h, h->plat.ppi_virt);
    if (v->ppi27_active || v->vtimer_held)
        hyp_gic_set_ppi_active(h, h->plat.ppi_virt, false);
    v->vtimer_held = false;
}

/* FP/SIMD: lazy switching (issue 7 item 4: "lazy or eager, documented").
 *
 * The PE's V0-V31, FPCR and FPSR belong to one vCPU at a time, h->fp_owner
 * (or to nobody). A vCPU switch does not touch them: it only sets
 * CPTR_EL2.TFP (D13.2.31) for the vCPU about to run, 0 if it is the owner,
 * 1 otherwise (hyp_fp_arm, at the end of every scheduling pass). The first
 * FP/SIMD instruction of a vCPU that is not the owner then traps to EL2
 * (EC 0x07, AArch64.CheckFPAdvSIMDTrap; the instruction is not executed,
 * ELR_EL2 points at it): hyp_fp_trap saves the owner's registers into its
 * struct fp_ctx, loads the trapping vCPU's and makes it the owner; the
 * ERET re-executes the instruction. A vCPU that never uses FP/SIMD (the
 * rtos) never pays for it; one that does pays one trap per time slice
 * after another FP/SIMD user ran. The world switch saves 22 and restores
 * 22 instructions' worth less (the preempted-IRQ path of
 * docs/hypervisor.md, "Measured costs").
 *
 * Isolation: a vCPU that is not the owner never sees the owner's values:
 * every FP/SIMD access, MRS/MSR FPCR/FPSR included, traps before it
 * executes. A guest's CPACR_EL1.FPEN trap comes first (it is taken to EL1,
 * AArch64.CheckFPAdvSIMDEnabled): the hypervisor sees only accesses the
 * guest itself allows.
 *
 * The hypervisor's own FP/SIMD use: it is built with -mgeneral-regs-only;
 * libfdt (Debian's build) uses SIMD registers in two functions, and runs
 * only at boot, before any vCPU owns the registers (CPTR_EL2.TFP = 0 from
 * _start). Should EL2 code use FP/SIMD later while TFP = 1, the trap
 * (hyp_fp_trap_el2, from hyp_self_trap) saves the owner's registers
 * first, so that no guest's lazily held values are lost, and the next
 * scheduling pass traps FP/SIMD again for every vCPU. While the owner
 * runs or traps (TFP = 0) the hypervisor must not use FP/SIMD at all.
 *
 * A vCPU reset (PSCI CPU_ON, a VM reset) or a VM switched off gives up the
 * registers (hyp_fp_forget): its next use loads its fresh struct fp_ctx. */
#define CPTR_EL2_RES1 UINT64_C(0x33ff) /* bits 13, 12, 9:0 (E2H = 0) */
#define CPTR_EL2_TFP  (UINT64_C(1) << 10)

void hyp_fp_arm(struct hyp *h, struct vcpu *next)
{
    write_sysreg(cptr_el2, next == h->fp_owner ? CPTR_EL2_RES1 : CPTR_EL2_RES1 | CPTR_EL2_TFP);
    /* No ISB: the ERET into the vCPU synchronizes it; no EL2 code after
     * it uses FP/SIMD. */
}

/* Give the PE's FP/SIMD registers to EL2 code or to `to`: the owner's
 * values saved first. TFP = 0 must take effect before the first FP/SIMD
 * instruction here (a direct write, an indirect effect at this EL: ISB). */
static void fp_take(struct hyp *h, struct vcpu *to)
{
    write_sysreg(cptr_el2, CPTR_EL2_RES1);
    isb();
    if (h->fp_owner)
        hyp_fp_save(&h->fp_owner->fp);
    if (to)
        hyp_fp_restore(&to->fp);
    h->fp_owner = to;
}

void hyp_fp_trap(struct hyp *h, struct vcpu *v)
{
    /* The owner cannot trap (it runs with TFP = 0): should it, its live
     * registers must not be overwritten by its stale saved ones. */
    if (h->fp_owner == v) {
        write_sysreg(cptr_el2, CPTR_EL2_RES1);
        return;
    }
    fp_take(h, v);
}

void hyp_fp_trap_el2(struct hyp *h)
{
    fp_take(h, NULL);
    /* TFP stays 0 for the rest of this trap; the scheduling pass before
     * the ERET sets it again (hyp_fp_arm: nobody owns the registers). */
    h->resched = true;
}

void hyp_fp_forget(struct hyp *h, struct vcpu *v)
{
    if (h->fp_owner == v)
        h->fp_owner = NULL;
}

void hyp_vcpu_put(struct hyp *h, struct vcpu *v)
{
    hyp_el1_save(&v->el1);

    /* Virtual timer: save, then stop it so that it cannot fire for the
     * next vCPU (which restores its own). */
    v->cntv_ctl = read_sysreg(cntv_ctl_el0);
    v->cntv_cval = read_sysreg(cntv_cval_el0);
    write_sysreg(cntv_ctl_el0, 0);
    /* A software-set pending PPI 27 not yet acknowledged (see struct
     * vcpu.ppi27_swpend) leaves with this vCPU: its software latch
     * cleared (GICR_ICPENDR0 clears the latch only, GICv3 4.1.2; the
     * timer's level, now stopped, is restored with the timer at load). */
    if (__builtin_expect(v->ppi27_swpend, 0)) {
        v->ppi27_swpend = false;
        v->ppi27_repend = hyp_gic_pending(h, h->plat.ppi_virt);
        if (v->ppi27_repend)
            hyp_gic_set_pending(h, h->plat.ppi_virt, false);
    }

    /* vGIC. ICH_ELRSR_EL2 (GICv3 12.5.6) tells which LRs hold nothing:
     * only the others are read and cleared, so that every LR is invalid
     * once the vCPU is out and hyp_vcpu_load writes only the LRs it uses.
     * ELRSR is an indirect view of the LRs, which this trap may just have
     * written (an injection): hence the ISB before reading it. With none
     * in use (the usual case), the saved LRs are only recorded empty: the
     * first four unrolled (entries past nr_lrs are always 0).
     * A HW list register for the timer PPI keeps the physical PPI active:
     * that active state belongs to this vCPU, so it is saved and cleared,
     * and set again when the vCPU is loaded. */
    bool hw_timer = false;
    isb();
    uint64_t empty = READ(ICH_ELRSR_EL2);
    unsigned nr = v->vgic.nr_lrs;
    if ((~empty & ((UINT64_C(1) << nr) - 1)) == 0) {
        _Static_assert(VGIC_MAX_LRS >= 4, "four saved LRs at least");
        v->vgic.lr[0] = v->vgic.lr[1] = v->vgic.lr[2] = v->vgic.lr[3] = 0;
        for (unsigned i = 4; i < nr; i++)
            v->vgic.lr[i] = 0;
    } else {
        hw_timer = put_lrs(h, v, empty);
    }
    v->vmcr = READ(ICH_VMCR_EL2);
    v->ap0r0 = READ(ICH_AP0R0_EL2);
    v->ap1r0 = READ(ICH_AP1R0_EL2);
    if (hw_timer || v->vtimer_held)
        put_timer_ppi(h, v, hw_timer);
    else
        v->ppi27_active = false;
    /* EOIs of active interrupts out of the LRs not yet seen (the guest's
     * last instructions): consumed before the write below clears
     * ICH_HCR_EL2.EOIcount (vm/vgic.c hyp_vgic_eoicount). */
    if (__builtin_expect(v->vgic.nq != 0, 0))
        hyp_vgic_eoicount(h, v);
    /* No UIE while no vCPU is loaded (the LRs are invalid: an underflow
     * maintenance interrupt would fire for nothing). VMCR and the active
     * priorities are left: hyp_vcpu_load writes them before any ERET. */
    WRITE(ICH_HCR_EL2, ICH_HCR_EN);
}

/* arch/entry.S saves and restores struct el1_ctx as 24 consecutive
 * registers, in this order. */
_Static_assert(sizeof(struct el1_ctx) == 24 * 8, "struct el1_ctx: 24 registers");
_Static_assert(offsetof(struct el1_ctx, vbar) == 6 * 8 &&
                   offsetof(struct el1_ctx, tpidr_el1) == 8 * 8 &&
                   offsetof(struct el1_ctx, esr) == 15 * 8 &&
                   offsetof(struct el1_ctx, cntkctl) == 21 * 8 &&
                   offsetof(struct el1_ctx, mdscr) == 23 * 8,
               "struct el1_ctx: the order of arch/entry.S");

static bool lrs_from4_empty(const struct vgic_lrs *s)
{
    for (unsigned i = 4; i < s->nr_lrs; i++)
        if (s->lr[i])
            return false;
    return true;
}

/* The vCPU's virtual timer condition holds at load: inject it with the HW
 * bit (see hyp_vcpu_load). With nothing else pending, LR 0 is free (every
 * LR is invalid while the vCPU is out) and takes it directly; otherwise
 * the LR allocator decides. */
static void timer_at_load(struct vm *vm, struct vcpu *v, unsigned vt)
{
    struct vgic_lrs *s = &v->vgic;
    uint8_t prio = vgic_emu_ppi_priority(&vm->vgic, v->idx, vt);
    if (!s->nq && !(s->lr[0] | s->lr[1] | s->lr[2] | s->lr[3]) && lrs_from4_empty(s)) {
        const struct vgic_irq irq = {vt, prio, true, (uint16_t)vt, false, 0};
        s->lr[0] = vgic_lr_encode(&irq);
    } else {
        struct vgic_irq irq = {vt, prio, true, (uint16_t)vt, false, 0};
        enum vgic_inject_result r = vgic_lrs_inject(s, &irq, NULL);
        if (r == VGIC_INJ_ALREADY || r == VGIC_INJ_DROPPED)
            return;
    }
    vm->st.injections++;
    v->ppi27_active = true;
}

void hyp_vcpu_load(struct hyp *h, struct vcpu *v)
{
    struct vm *vm = v->vm;
    write_sysreg_native(vttbr_el2, vm->vttbr);
    write_sysreg(cntvoff_el2, vm->cntvoff);
    write_sysreg(S3_0_C4_C6_0, vm->pmr); /* ICC_PMR_EL1: see vm/vgic.c spi_priority */
    write_sysreg_native(vmpidr_el2, UINT64_C(0x80000000) | v->idx); /* MPIDR.U = 0, Aff0 = vCPU */
    hyp_el1_restore(&v->el1);

    /* Its virtual timer, if its condition already holds (ENABLE = 1,
     * IMASK = 0, CNTPCT - CNTVOFF >= CVAL: D11.2.4), is injected now, with
     * the HW bit, and the physical PPI is made active before the timer is
     * restored, so that it is not signalled to EL2: otherwise the ERET
     * below would be followed at once by a physical IRQ, a second trip
     * through the hypervisor only to inject it (a vCPU woken by its timer
     * deadline is the common case). The guest's deactivation of the
     * virtual interrupt deactivates the physical PPI (HW = 1). */
    unsigned vt = h->plat.ppi_virt;
    if (!v->ppi27_active && (v->cntv_ctl & 3) == 1 && hyp_now() - vm->cntvoff >= v->cntv_cval &&
        vgic_emu_ppi_enabled(&vm->vgic, v->idx, vt))
        timer_at_load(vm, v, vt);
    if (v->ppi27_active) /* GICR_ISACTIVER0 (GICv3 12.11.9), vm/gic.c's */
        mmio_w32(h->plat.gicr + GICR_ISACTIVER0, 1u << vt);
    if (__builtin_expect(v->ppi27_repend, 0)) { /* taken along by hyp_vcpu_put */
        v->ppi27_repend = false;
        v->ppi27_swpend = true;
        hyp_gic_set_pending(h, vt, true);
    }
    if (v->vgic.nq)
        vgic_lrs_refill(&v->vgic);
    /* Every LR is invalid here (hyp_vcpu_put): write the used ones, the
     * first four unrolled (an entry past nr_lrs is always 0). */
    const uint64_t *lr = v->vgic.lr;
    if (lr[0])
        ich_lr_write(0, lr[0]);
    if (lr[1])
        ich_lr_write(1, lr[1]);
    if (lr[2])
        ich_lr_write(2, lr[2]);
    if (lr[3])
        ich_lr_write(3, lr[3]);
    for (unsigned i = 4; i < v->vgic.nr_lrs; i++)
        if (lr[i])
            ich_lr_write(i, lr[i]);
    WRITE(ICH_VMCR_EL2, v->vmcr);
    WRITE(ICH_AP0R0_EL2, v->ap0r0);
    WRITE(ICH_AP1R0_EL2, v->ap1r0);
    WRITE(ICH_HCR_EL2, ICH_HCR_EN | vgic_lrs_maint(&v->vgic));

    write_sysreg(cntv_cval_el0, v->cntv_cval);
    write_sysreg(cntv_ctl_el0, v->cntv_ctl);
    /* No ISB: everything above is for EL1 and takes effect by the ERET
     * that enters the vCPU, a context synchronization event. */
}

/* Take an exception to EL1 in the guest: ESR_EL1, FAR_EL1, ELR_EL1 and
 * SPSR_EL1 from the interrupted state, PSTATE = EL1h with DAIF masked, PC
 * at the vector: +0x200 from EL1 with SP_EL1 (current EL, SPx), +0x000
 * with SP_EL0, +0x400 from EL0 (lower EL, AArch64). */
static void take_to_el1(struct vcpu *v, uint64_t esr, uint64_t far, bool set_far)
{
    uint64_t mode = v->r.pstate & 0xf;
    uint64_t off = mode == 0x5 ? 0x200 : mode == 0x4 ? 0x000 : 0x400;
    uint64_t target = read_sysreg(vbar_el1) + off;
    if (v->r.pc == target) {
        /* The exception happened at the very vector it would go to: the
         * guest can never make progress. Stop this VM (only). */
        char why[96];
        hyp_snprintf(why, sizeof why, "crashed: exception at its own vector 0x%llx, esr 0x%llx",
                     (unsigned long long)target, (unsigned long long)esr);
        hyp_event_port(v->vm->hyp, v->vm->cfg->id, HYP_EV_CRASH, target, esr);
        hyp_vm_off(v->vm, why);
        return;
    }
    write_sysreg(esr_el1, esr);
    if (set_far)
        write_sysreg(far_el1, far);
    write_sysreg(elr_el1, v->r.pc);
    write_sysreg(spsr_el1, v->r.pstate);
    v->r.pc = target;
    v->r.pstate = 0x3c5;
}

void hyp_inject_undef(struct vcpu *v)
{
    hyp_commit(v->vm->hyp);
    v->vm->st.undefs++;
    /* EC 0x00 (Unknown reason), IL = 1. */
    take_to_el1(v, ESR_IL, 0, false);
}

void hyp_inject_dabt(struct vcpu *v, uint64_t va)
{
    hyp_commit(v->vm->hyp);
    /* EC 0x24 from EL0 or 0x25 from EL1, IL = 1, DFSC 0x10 (synchronous
     * external abort): what an access to nothing gives on QEMU virt. */
    uint64_t ec = (v->r.pstate & 0xf) == 0 ? 0x24 : 0x25;
    take_to_el1(v, ec << 26 | ESR_IL | 0x10, va, true);
}
