/* The world switch of everything a guest sees besides its GPRs: EL1/EL0
 * system registers, FP/SIMD (eager: saved and restored on every vCPU
 * switch, never on a plain trap, since the hypervisor itself never uses
 * FP/SIMD after boot), the virtual timer, the vGIC (list registers, VMCR,
 * active priorities) and the VM's stage 2 (VTTBR_EL2 with its VMID) and
 * CNTVOFF_EL2. GPRs, PC and PSTATE are saved on every trap by
 * arch/entry.S. Exception injection follows the Arm ARM's
 * AArch64.TakeException pseudocode for an exception taken to EL1. */
#include <stddef.h>

#include "../arch/sysreg.h"
#include "../hyp.h"
#include "../lib/fmt.h"
#include "gicregs.h"

void hyp_vcpu_put(struct hyp *h, struct vcpu *v)
{
    hyp_el1_save(&v->el1);
    hyp_fp_save(&v->fp);

    /* Virtual timer: save, then stop it so that it cannot fire for the
     * next vCPU (which restores its own). */
    v->cntv_ctl = read_sysreg(cntv_ctl_el0);
    v->cntv_cval = read_sysreg(cntv_cval_el0);
    write_sysreg(cntv_ctl_el0, 0);

    /* vGIC. ICH_ELRSR_EL2 (GICv3 12.5.6) tells which LRs hold nothing:
     * only the others are read and cleared, so that every LR is invalid
     * once the vCPU is out and hyp_vcpu_load writes only the LRs it uses.
     * ELRSR is an indirect view of the LRs, which this trap may just have
     * written (an injection): hence the ISB before reading it.
     * A HW list register for the timer PPI keeps the physical PPI active:
     * that active state belongs to this vCPU, so it is saved and cleared,
     * and set again when the vCPU is loaded. */
    bool hw_timer = false;
    isb();
    uint64_t empty = READ(ICH_ELRSR_EL2);
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
    v->vmcr = READ(ICH_VMCR_EL2);
    v->ap0r0 = READ(ICH_AP0R0_EL2);
    v->ap1r0 = READ(ICH_AP1R0_EL2);
    v->ppi27_active = hw_timer && hyp_gic_ppi_active(h, h->plat.ppi_virt);
    if (v->ppi27_active || v->vtimer_held)
        hyp_gic_set_ppi_active(h, h->plat.ppi_virt, false);
    v->vtimer_held = false;
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

static bool lrs_empty(const struct vgic_lrs *s)
{
    for (unsigned i = 0; i < s->nr_lrs; i++)
        if (s->lr[i])
            return false;
    return true;
}

void hyp_vcpu_load(struct hyp *h, struct vcpu *v)
{
    struct vm *vm = v->vm;
    write_sysreg_native(vttbr_el2, vm->vttbr);
    write_sysreg(cntvoff_el2, vm->cntvoff);
    write_sysreg(S3_0_C4_C6_0, vm->pmr); /* ICC_PMR_EL1: see vm/vgic.c spi_priority */
    write_sysreg_native(vmpidr_el2, UINT64_C(0x80000000) | v->idx); /* MPIDR.U = 0, Aff0 = vCPU */
    hyp_el1_restore(&v->el1);
    hyp_fp_restore(&v->fp);

    /* Its virtual timer, if its condition already holds (ENABLE = 1,
     * IMASK = 0, CNTPCT - CNTVOFF >= CVAL: D11.2.4), is injected now, with
     * the HW bit, and the physical PPI is made active before the timer is
     * restored, so that it is not signalled to EL2: otherwise the ERET
     * below would be followed at once by a physical IRQ, a second trip
     * through the hypervisor only to inject it (a vCPU woken by its timer
     * deadline is the common case). The guest's deactivation of the
     * virtual interrupt deactivates the physical PPI (HW = 1). */
    unsigned vt = h->plat.ppi_virt;
    if (!v->ppi27_active && (v->cntv_ctl & 3) == 1 && vgic_emu_enabled(&vm->vgic, v->idx, vt) &&
        hyp_now() - vm->cntvoff >= v->cntv_cval) {
        struct vgic_irq irq = {vt, vgic_emu_priority(&vm->vgic, v->idx, vt), true, (uint16_t)vt, false};
        enum vgic_inject_result r = VGIC_INJ_LR;
        if (!v->vgic.nq && lrs_empty(&v->vgic))
            v->vgic.lr[0] = vgic_lr_encode(&irq); /* the usual case: nothing else pending */
        else
            r = vgic_lrs_inject(&v->vgic, &irq, NULL);
        if (r != VGIC_INJ_ALREADY && r != VGIC_INJ_DROPPED) {
            vm->st.injections++;
            v->ppi27_active = true;
        }
    }
    if (v->ppi27_active)
        hyp_gic_set_ppi_active(h, vt, true);
    if (v->vgic.nq)
        vgic_lrs_refill(&v->vgic);
    /* Every LR is invalid here (hyp_vcpu_put): write the used ones. */
    for (unsigned i = 0; i < v->vgic.nr_lrs; i++)
        if (v->vgic.lr[i])
            ich_lr_write(i, v->vgic.lr[i]);
    WRITE(ICH_VMCR_EL2, v->vmcr);
    WRITE(ICH_AP0R0_EL2, v->ap0r0);
    WRITE(ICH_AP1R0_EL2, v->ap1r0);
    WRITE(ICH_HCR_EL2, ICH_HCR_EN | (vgic_lrs_want_underflow(&v->vgic) ? ICH_HCR_UIE : 0));

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
