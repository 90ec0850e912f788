/* The virtual CRU and GRF (issue 7 item 8): full virtualization plus
 * fine-grained access monitoring.
 *
 *   VM (EL1)                     hypervisor (EL2)                       real block
 *   str w1, [vCRU + off]  -->  stage-2 abort (nothing mapped there)
 *                              trap_dabt -> hyp_vclk_mmio
 *                              vdev_perm_write(table, vm, off, value,
 *                                              hw, view)
 *                                permitted bits ----- hiword write ----> CRU/GRF
 *                                refused fields ----> event port (cru/grf),
 *                                                     counted, printed
 *                              view[reg] = decision.view
 *   ldr w1, [vCRU + off]  -->  vdev_perm_read: its own fields live from
 *                              the hardware, every other bit from its view
 *
 * Each VM has a view of every modelled register (struct vm.vclk_view).
 * The reset values are the registers as the hypervisor found them at boot
 * (h->clk_boot: the boot ROM's or firmware's hand-over; on hvsim the reset
 * column of docs/soc.md's table). A VM reset (at boot, and at its PSCI
 * SYSTEM_RESET) sets its view to them and puts the real fields it owns
 * back to them, with hiword writes whose enables are exactly its bits:
 * a reset VM finds its devices' clocks, resets and pins as a freshly
 * booted board has them, and no other VM's field is written. A refused write
 * changes nothing in hardware and nothing in the view (the VM reads back
 * what it had), so a driver that checks its writes sees a register that
 * ignores them, never another VM's values. The decision is
 * core/vdev_perm.c (host-tested); this file applies it.
 *
 * Registers are 32-bit (Rockchip TRM: CRU and GRF registers are accessed
 * as words); any other width or a misaligned access is refused like an
 * access outside the VM's devices (an external abort). Offsets the model
 * does not describe read as zero; writes to them are refused and reported
 * with field 0xff (nobody owns them). */
#include "../hyp.h"

static unsigned vm_index(const struct vm *vm)
{
    return (unsigned)(vm - vm->hyp->vms);
}

static volatile uint32_t *hw_reg(struct hyp *h, unsigned r)
{
    const struct rk_reg_desc *d = &rk3568_regs[r];
    uint64_t base = d->block == RK_BLK_CRU ? h->plat.cru : h->plat.grf;
    return (volatile uint32_t *)(uintptr_t)(base + d->off);
}

void hyp_vclk_init(struct hyp *h)
{
    vdev_perm_init(&h->clk_perm);
    if (h->plat.cru && h->plat.grf)
        for (unsigned r = 0; r < RK_R__COUNT; r++)
            h->clk_boot[r] = *hw_reg(h, r) & rk3568_regs[r].impl;
    for (unsigned i = 0; i < h->cfg->nr_vms && i < VDEV_MAX_VMS; i++) {
        const struct hyp_vm_config *c = &h->cfg->vms[i];
        for (unsigned d = 0; d < RK_DEV__COUNT; d++)
            if (c->clk.devs & RK_DEV_BIT(d))
                vdev_perm_grant_dev(&h->clk_perm, i, (enum rk_dev)d);
        for (unsigned f = 0; f < RK_F__COUNT; f++)
            if ((c->clk.fields >> f) & 1)
                vdev_perm_grant(&h->clk_perm, i, (enum rk_field_id)f);
    }
}

void hyp_vclk_reset(struct vm *vm, unsigned from, unsigned to)
{
    struct hyp *h = vm->hyp;
    vm->vclk = h->plat.cru && h->plat.grf && vm_index(vm) < VDEV_MAX_VMS;
    if (!vm->vclk)
        return;
    unsigned idx = vm_index(vm);
    for (unsigned r = from; r < to && r < RK_R__COUNT; r++) {
        volatile uint32_t *hw = hw_reg(h, r);
        uint32_t w;
        if (vdev_perm_reset(&h->clk_perm, idx, (enum rk_reg_id)r, h->clk_boot[r], *hw, &w)) {
            *hw = w;
            vm->st.clk_restored++;
        }
        vm->vclk_view[r] = h->clk_boot[r];
    }
}

static void report(struct vm *vm, const struct vdev_violation *v, uint32_t off)
{
    const struct rk_reg_desc *rd = &rk3568_regs[v->reg];
    enum hyp_event_kind kind = rd->block == RK_BLK_CRU ? HYP_EV_CRU : HYP_EV_GRF;
    vm->st.violations++;
    vm->st.clk_refused++;
    hyp_event_port(vm->hyp, vm->cfg->id, kind, off, (uint64_t)v->field << 32 | v->attempted);
    if (vm->st.clk_refused <= 16)
        hyp_printf("hyp: vm %s: refused: %s %s (0x%04x) field %s <- 0x%x\n", vm->cfg->name,
                   rd->block == RK_BLK_CRU ? "cru" : "grf", rd->name, (unsigned)off,
                   v->field < RK_F__COUNT ? rk3568_fields[v->field].name : "(no field)",
                   (unsigned)v->attempted);
}

static void refuse_unknown(struct vm *vm, enum rk_block b, uint32_t off, uint32_t value)
{
    vm->st.violations++;
    vm->st.clk_refused++;
    hyp_event_port(vm->hyp, vm->cfg->id, b == RK_BLK_CRU ? HYP_EV_CRU : HYP_EV_GRF, off,
                   (uint64_t)VDEV_FIELD_UNOWNED << 32 | value);
    if (vm->st.clk_refused <= 16)
        hyp_printf("hyp: vm %s: refused: %s offset 0x%04x is not a modelled register (0x%x)\n",
                   vm->cfg->name, b == RK_BLK_CRU ? "cru" : "grf", (unsigned)off, (unsigned)value);
}

int hyp_vclk_mmio(struct vm *vm, uint64_t ipa, bool write, unsigned width, uint64_t *val)
{
    if (!vm->vclk)
        return 0;
    enum rk_block b;
    uint64_t off;
    if (ipa >= HYP_VCRU_IPA && ipa - HYP_VCRU_IPA < HYP_VCLK_SIZE) {
        b = RK_BLK_CRU;
        off = ipa - HYP_VCRU_IPA;
    } else if (ipa >= HYP_VGRF_IPA && ipa - HYP_VGRF_IPA < HYP_VCLK_SIZE) {
        b = RK_BLK_GRF;
        off = ipa - HYP_VGRF_IPA;
    } else {
        return 0;
    }
    if (width != 4 || (off & 3))
        return -1;
    struct hyp *h = vm->hyp;
    unsigned idx = vm_index(vm);
    int r = vdev_perm_find(b, (uint32_t)off);
    if (!write) {
        vm->st.clk_reads++;
        *val = r < 0 ? 0
                     : vdev_perm_read(&h->clk_perm, idx, (enum rk_reg_id)r, *hw_reg(h, (unsigned)r),
                                      vm->vclk_view[r]);
        return 1;
    }
    uint32_t value = (uint32_t)*val;
    if (r < 0) {
        vm->st.clk_writes++;
        refuse_unknown(vm, b, (uint32_t)off, value);
        return 1;
    }
    /* Preemption point: the register is found, nothing is decided yet. */
    if (hyp_preempt_point(h))
        return 1;
    volatile uint32_t *hw = hw_reg(h, (unsigned)r);
    struct vdev_decision d;
    vdev_perm_write_reg(&h->clk_perm, idx, r, value, *hw, vm->vclk_view[r], &d);
    /* Preemption point: the decision is made (vdev_perm_write reads the
     * tables, the register and the view and writes only d), nothing is
     * applied yet. Served first, the write is re-executed and decided
     * again. */
    if (hyp_preempt_point(h))
        return 1;
    hyp_commit(h);
    vm->st.clk_writes++;
    if (d.apply) {
        *hw = d.hw_value;
        vm->st.clk_applied++;
    }
    vm->vclk_view[r] = d.view;
    for (unsigned i = 0; i < d.nviol && i < VDEV_MAX_VIOL; i++)
        report(vm, &d.viol[i], (uint32_t)off);
    return 1;
}
