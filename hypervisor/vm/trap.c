/* Traps from guests: one dispatch table by exception class (ESR_EL2.EC,
 * Arm ARM D13.2.37), and a default handler for every class not in it,
 * which injects UNDEF into the guest and logs the event: the hypervisor
 * survives whatever a guest does. */
#include "../arch/sysreg.h"
#include "../hyp.h"

#define EC_UNKNOWN  0x00
#define EC_WFX      0x01
#define EC_FP       0x07
#define EC_HVC64    0x16
#define EC_SMC64    0x17
#define EC_SYS64    0x18
#define EC_IABT_LOW 0x20

typedef void (*trap_fn)(struct hyp *h, struct vcpu *v, uint64_t esr);

static void log_once(struct vm *vm, unsigned ec, const char *what, uint64_t pc, uint64_t esr)
{
    /* Every event is counted; the first few of each class are printed. */
    if (vm->st.traps[ec] <= 3)
        hyp_printf("hyp: vm %s: %s at pc 0x%llx (esr 0x%llx): UNDEF injected\n", vm->cfg->name,
                   what, (unsigned long long)pc, (unsigned long long)esr);
}

static void trap_default(struct hyp *h, struct vcpu *v, uint64_t esr)
{
    (void)h;
    log_once(v->vm, ESR_EC(esr), "unhandled exception class", v->r.pc, esr);
    hyp_inject_undef(v);
}

/* WFI blocks until an interrupt or the vCPU's timer; WFE yields
 * (ESR ISS bit 0: TI, 0 = WFI, 1 = WFE). */
static void trap_wfx(struct hyp *h, struct vcpu *v, uint64_t esr)
{
    v->r.pc += 4;
#ifdef HYP_TEST_EL2_FP
    /* Test image only (hypervisor-fpguard.elf, tests/e2e/test_hypervisor.py):
     * EL2 code uses FP/SIMD in every WFI trap of a vCPU that does not own
     * the FP/SIMD registers, i.e. with CPTR_EL2.TFP = 1: the lazy switch's
     * safety net (vm/vcpu.c, hyp_fp_trap_el2) must keep the guests' values. */
    if (h->fp_owner != v)
        __asm__ volatile("msr fpcr, xzr\n\tmovi v0.2d, #0\n\tmovi v31.2d, #0" ::: "memory");
#endif
    if (esr & 1) {
        hyp_sched_yield(h);
        return;
    }
    if (!hyp_vgic_pending(h, v))
        hyp_sched_block(h, v);
}

/* FP/SIMD access trapped by CPTR_EL2.TFP: lazy switching (vm/vcpu.c).
 * The instruction is re-executed (ELR_EL2 points at it). */
static void trap_fp(struct hyp *h, struct vcpu *v, uint64_t esr)
{
    (void)esr;
    hyp_fp_trap(h, v);
}

static void trap_hvc(struct hyp *h, struct vcpu *v, uint64_t esr)
{
    (void)esr;
    hyp_hvc(h, v, false); /* ELR_EL2 already points after the HVC */
}

static void trap_smc(struct hyp *h, struct vcpu *v, uint64_t esr)
{
    (void)esr;
    v->r.pc += 4; /* a trapped SMC returns to itself (ELR = the SMC) */
    hyp_hvc(h, v, true);
}

/* MSR/MRS traps (ISS: Op0[21:20] Op2[19:17] Op1[16:14] CRn[13:10]
 * Rt[9:5] CRm[4:1] Direction[0], 1 = read).
 *  - The EL1 physical timer (CNTHCTL_EL2.EL1PCEN = 0 traps CNTP_CTL/CVAL/
 *    TVAL_EL0): emulated per vCPU (vm/vptimer.c).
 *  - ICC_SGI0R_EL1, ICC_SGI1R_EL1, ICC_ASGI1R_EL1 writes (trapped by
 *    HCR_EL2.IMO/FMO, GICv3 12.2.20-22): the vGIC sends virtual SGIs to
 *    the VM's own vCPUs (vm/vgic.c).
 *  - ICC_DIR_EL1 writes (trapped by ICH_HCR_EL2.TDIR while an active
 *    interrupt is out of the list registers, GICv3 12.4.4): emulated by
 *    the vGIC (vm/vgic.c hyp_vgic_dir).
 *  - Anything else is refused with UNDEF. */
static void trap_sysreg(struct hyp *h, struct vcpu *v, uint64_t esr)
{
    unsigned op0 = (esr >> 20) & 3, op2 = (esr >> 17) & 7, op1 = (esr >> 14) & 7;
    unsigned crn = (esr >> 10) & 15, crm = (esr >> 1) & 15, rt = (esr >> 5) & 31;
    bool read = esr & 1;
    struct vm *vm = v->vm;
    if (op0 == 3 && op1 == 0 && crn == 12 && crm == 11 && op2 >= 5 && !read) {
        /* op2 5: ICC_SGI1R_EL1, 6: ICC_ASGI1R_EL1 (group 1), 7: ICC_SGI0R_EL1. */
        hyp_vgic_sgi_write(h, v, op2 == 7 ? 0 : 1, rt == 31 ? 0 : v->r.x[rt]);
        v->r.pc += 4;
        return;
    }
    if (op0 == 3 && op1 == 0 && crn == 12 && crm == 11 && op2 == 1 && !read) {
        /* ICC_DIR_EL1, trapped by ICH_HCR_EL2.TDIR (vm/vgic.c). */
        hyp_vgic_dir(h, v, rt == 31 ? 0 : v->r.x[rt]);
        v->r.pc += 4;
        return;
    }
    int ptr = vptimer_reg_of_iss((uint32_t)esr);
    if (ptr >= 0) {
        hyp_ptimer_sysreg(h, v, (enum vptimer_reg)ptr, read, rt);
        v->r.pc += 4;
        return;
    }
    if (vm->st.traps[EC_SYS64] <= 3)
        hyp_printf("hyp: vm %s: %s S%u_%u_C%u_C%u_%u at pc 0x%llx refused: UNDEF injected\n",
                   vm->cfg->name, read ? "mrs" : "msr", op0, op1, crn, crm, op2,
                   (unsigned long long)v->r.pc);
    hyp_inject_undef(v);
}

static void trap_iabt(struct hyp *h, struct vcpu *v, uint64_t esr)
{
    (void)h;
    uint64_t far = read_sysreg(far_el2);
    hyp_violation(v->vm, HYP_EV_FETCH, "instruction fetch outside the VM's memory", far, esr);
    hyp_inject_undef(v);
}

/* Data aborts: MMIO emulation for the VM's emulated devices; anything
 * else is an access outside what the VM owns: refused (an external abort
 * for the guest, as an access to nothing gives) and recorded. */
static void trap_dabt(struct hyp *h, struct vcpu *v, uint64_t esr)
{
    uint64_t far = read_sysreg(far_el2), hpfar = read_sysreg(hpfar_el2);
    struct hyp_mmio m;
    int r = hyp_mmio_decode(esr, far, hpfar, &m);
    /* Preemption point: only the syndrome was read. An interrupt pending
     * now is served first and the access is re-executed (ELR_EL2 still
     * points at it), which the guest cannot tell from an access that
     * trapped a little later. */
    if (hyp_preempt_point(h))
        return;
    if (r == HYP_MMIO_OK) {
        uint64_t val = m.write ? hyp_mmio_store_value(&m, m.reg == 31 ? 0 : v->r.x[m.reg]) : 0;
        /* The vCRU/vGRF first: its window test is two compares, while
         * hyp_vgic_mmio prepares a whole effect record before its own. */
        int g = hyp_vclk_mmio(v->vm, m.ipa, m.write, m.width, &val);
        if (h->redo != HYP_REDO_NONE)
            return; /* abandoned at its preemption point (a vCRU/vGRF write) */
        if (g == 0) {
            g = hyp_vgic_mmio(v, m.ipa, m.write, m.width, &val);
            if (h->redo != HYP_REDO_NONE)
                return; /* abandoned at a preemption point (a refused write, a state register) */
            if (g < 0) {
                hyp_violation(v->vm, HYP_EV_VGIC,
                              "emulated GIC access of a width or alignment the GIC refuses", m.ipa,
                              esr);
                hyp_inject_dabt(v, far);
                return;
            }
        } else if (g < 0) { /* the vCRU/vGRF: registers are words */
            hyp_violation(v->vm, HYP_EV_MEMORY, "CRU/GRF access that is not an aligned word", m.ipa,
                          esr);
            hyp_inject_dabt(v, far);
            return;
        }
        if (g > 0 || hyp_vuart_mmio(v->vm, m.ipa, m.write, m.width, &val)) {
            if (!m.write && m.reg != 31)
                v->r.x[m.reg] = hyp_mmio_load_value(&m, val);
            v->r.pc += 4;
            return;
        }
        hyp_violation(v->vm, HYP_EV_MEMORY,
                      m.write ? "write outside the VM's memory and devices"
                              : "read outside the VM's memory and devices",
                      m.ipa, esr);
    } else {
        uint64_t ipa = ((hpfar >> 4) & UINT64_C(0xffffffffff)) << 12 | (far & 0xfff);
        hyp_violation(v->vm, HYP_EV_MEMORY, hyp_mmio_strerror(r), ipa, esr);
    }
    hyp_inject_dabt(v, far);
}

static const trap_fn ec_table[64] = {
    [EC_WFX] = trap_wfx,       [EC_FP] = trap_fp,        [EC_HVC64] = trap_hvc,
    [EC_SMC64] = trap_smc,     [EC_SYS64] = trap_sysreg, [EC_IABT_LOW] = trap_iabt,
    [EC_DABT_LOW] = trap_dabt,
};

/* The end of a synchronous trap, a preemption point too: the log ring is
 * drained while no interrupt is pending, and a pending interrupt (one
 * that arrived during the handler, or the one a preemption point
 * abandoned the handler for) is served at once, in this entry, when the
 * trapping vCPU goes on running: the same handling as the IRQ exception
 * the ERET would take, without the ERET and the entry. Otherwise (a
 * switch follows) the IRQ is taken right after the ERET. */
static void trap_exit(struct hyp *h, struct vcpu *v)
{
    if (hyp_console_dirty && h->redo == HYP_REDO_NONE)
        (void)hyp_console_drain(false); /* stops at a pending interrupt or a full FIFO */
    if (hyp_irq_pending() && !h->resched && v->state == VCPU_RUNNABLE && !v->vm->off &&
        h->current == v)
        hyp_irq(h, v);
}

struct vcpu *hyp_trap(struct vcpu *v, unsigned kind)
{
    struct hyp *h = &g_hyp;
    switch (kind & 3) {
    case 0: { /* synchronous */
        uint64_t esr = read_sysreg(esr_el2);
        unsigned ec = ESR_EC(esr);
        v->vm->st.traps[ec]++;
        h->committed = false;
        h->redo = HYP_REDO_NONE;
        trap_fn fn = ec_table[ec];
        (fn ? fn : trap_default)(h, v, esr);
        if (h->redo != HYP_REDO_NONE) {
            /* Nothing was done, or the progress was kept (a restartable
             * hypercall): the guest re-executes the instruction and
             * traps again, counted then. */
            v->vm->st.traps[ec]--;
            h->preemptions++;
        }
        trap_exit(h, v);
        break;
    }
    case 1: /* IRQ */
        hyp_irq(h, v);
        break;
    default: /* FIQ or SError: not routed to guests here */
        hyp_printf("hyp: vm %s: unexpected %s at pc 0x%llx\n", v->vm->cfg->name,
                   (kind & 3) == 2 ? "FIQ" : "SError", (unsigned long long)v->r.pc);
        break;
    }
    if (h->resched || v->vm->off || v->state != VCPU_RUNNABLE)
        v = hyp_schedule(h, v, true);
    if (v->vm->reset_step != RESET_DONE)
        v = hyp_vm_reset_finish(h, v);
    return v;
}

/* An exception taken at EL2 is a hypervisor bug, but for FP/SIMD use
 * trapped by CPTR_EL2.TFP (vm/vcpu.c, lazy FP/SIMD), which is handled:
 * the function returns and arch/entry.S re-executes the instruction. */
void hyp_self_trap(uint64_t *frame, unsigned kind);
void hyp_self_trap(uint64_t *frame, unsigned kind)
{
    if (kind == 4 && ESR_EC(read_sysreg(esr_el2)) == EC_FP) { /* current EL, SPx, synchronous */
        hyp_fp_trap_el2(&g_hyp);
        return;
    }
    hyp_printf("hyp: exception at EL2 (kind %u): esr 0x%llx elr 0x%llx far 0x%llx\n", kind,
               (unsigned long long)read_sysreg(esr_el2), (unsigned long long)frame[31],
               (unsigned long long)read_sysreg(far_el2));
    hyp_panic("exception in the hypervisor");
}
