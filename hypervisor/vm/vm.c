/* VMs from the static configuration: stage-2 tables (4 KiB granule, 32-bit
 * IPA, VMID = the VM's id), guest RAM loaded with the embedded image,
 * vCPU 0 started at the entry point, the others off until PSCI CPU_ON. */
#include <libfdt.h>

#include "../arch/sysreg.h"
#include "../core/vm_dtb.h"
#include "../hyp.h"
#include "../lib/fmt.h"

/* SCTLR_EL1 reset value for a guest: MMU and caches off, RES1 bits
 * 29, 28, 23, 22, 20, 11 (D13.2.113, for ARMv8.0). */
#define SCTLR_EL1_RESET UINT64_C(0x30d00800)

void hyp_vcpu_reset(struct vcpu *v, uint64_t pc, uint64_t x0)
{
    struct hyp *h = v->vm->hyp;
    v->r = (struct vcpu_regs){0};
    v->r.x[0] = x0;
    v->r.pc = pc;
    v->r.pstate = 0x3c5; /* EL1h, DAIF masked */
    v->hvc_done = 0;
    v->el1 = (struct el1_ctx){0};
    v->el1.sctlr = SCTLR_EL1_RESET;
    v->fp = (struct fp_ctx){0};
    hyp_fp_forget(h, v); /* the PE's registers are not its fresh ones */
    v->cntv_ctl = 0;
    v->cntv_cval = 0;
    vgic_lrs_init(&v->vgic, h->nr_lrs);
    /* ICH_VMCR_EL2: VPMR = 0 (everything masked until the guest writes
     * ICC_PMR_EL1), groups disabled until ICC_IGRPEN1_EL1. */
    v->vmcr = 0;
    v->ap0r0 = v->ap1r0 = 0;
    v->ppi27_active = false;
    v->vtimer_held = false;
    if (v->ppi27_swpend && h->current == v) /* its software-set PPI 27: dropped */
        hyp_gic_set_pending(h, h->plat.ppi_virt, false);
    v->ppi27_swpend = v->ppi27_repend = false;
    hyp_ptimer_reset(v);
}

bool hyp_vm_ipa_to_pa(struct vm *vm, uint64_t ipa, uint64_t *pa)
{
    const struct hyp_vm_config *c = vm->cfg;
    if (ipa >= c->ram.ipa && ipa - c->ram.ipa < c->ram.size) {
        *pa = c->ram.pa + (ipa - c->ram.ipa);
        return true;
    }
    for (unsigned s = 0; s < HYP_MAX_SHARED; s++) {
        const struct hyp_mem_region *r = &c->shared[s];
        if (r->size && ipa >= r->ipa && ipa - r->ipa < r->size) {
            *pa = r->pa + (ipa - r->ipa);
            return true;
        }
    }
    return false;
}

/* The isolation-event port (hvsim only: used when the DTB lists an
 * "hvsim,event-port"): stage VM, KIND, ADDR, INFO, then COMMIT; hvsim
 * records one "isolation" event per commit (docs/hypervisor.md). */
void hyp_event_port(struct hyp *h, unsigned vm_id, enum hyp_event_kind kind, uint64_t addr,
                    uint64_t info)
{
    hyp_commit(h);
    uint64_t p = h->plat.evtport;
    if (!p)
        return;
    mmio_w32(p + 0x10, vm_id);
    mmio_w32(p + 0x14, (uint32_t)kind);
    mmio_w64(p + 0x18, addr);
    mmio_w64(p + 0x20, info);
    mmio_w32(p + 0x28, 1);
}

/* An isolation violation: counted, reported on the event port, and the
 * first few printed with the address and the syndrome (or the value
 * written). */
void hyp_violation(struct vm *vm, enum hyp_event_kind kind, const char *what, uint64_t a,
                   uint64_t b)
{
    hyp_commit(vm->hyp);
    vm->st.violations++;
    hyp_event_port(vm->hyp, vm->cfg->id, kind, a, b);
    if (vm->st.violations <= HYP_VIOLATIONS_PRINTED)
        hyp_printf("hyp: vm %s: refused: %s (0x%llx, 0x%llx)\n", vm->cfg->name, what,
                   (unsigned long long)a, (unsigned long long)b);
}

static void copy_words(uint8_t *dst, const uint8_t *src, uint64_t n)
{
    uint64_t i = 0;
    if (!(((uintptr_t)dst | (uintptr_t)src) & 7))
        for (; i + 8 <= n; i += 8)
            *(uint64_t *)(void *)(dst + i) = *(const uint64_t *)(const void *)(src + i);
    for (; i < n; i++)
        dst[i] = src[i];
}

static void clean_range(uint64_t pa, uint64_t size)
{
    for (uint64_t a = pa & ~UINT64_C(63); a < pa + size; a += 64)
        __asm__ volatile("dc cvac, %0" ::"r"(a) : "memory");
}

/* A reset of a running VM (PSCI SYSTEM_RESET) is a warm reset: its image
 * and DTB are written again, the rest of its RAM keeps what the VM left
 * there (its own data only; real boards keep RAM across a warm reset, and
 * the guests clear their own .bss). The hypervisor does this work with
 * interrupts masked, so it must stay short: clearing and cleaning a whole
 * 2 MiB RAM costs ~800,000 instructions, which would delay the RTOS's
 * timer interrupt far past its bound (docs/hypervisor.md, "Latency
 * bound"); copying a 12 KiB image in words and cleaning only what was
 * written costs a few thousand. */
/* One chunk of a region copied into the VM's RAM and cleaned to the point
 * of coherency (the guest starts with its MMU and caches off): the bytes
 * [pos, pos + RESET_CHUNK) of n. Returns the next position. */
#define RESET_CHUNK 256u
static uint64_t copy_chunk(uint64_t pa, const uint8_t *src, uint64_t n, uint64_t pos)
{
    uint64_t len = n - pos < RESET_CHUNK ? n - pos : RESET_CHUNK;
    copy_words((uint8_t *)(uintptr_t)(pa + pos), src + pos, len);
    clean_range(pa + pos, len);
    return pos + len;
}

static void load_image(struct vm *vm)
{
    const struct hyp_vm_config *c = vm->cfg;
    uint8_t *ram = (uint8_t *)(uintptr_t)c->ram.pa;
    if (c->preloaded) {
        /* The loader put the image (and initrd) in its RAM: only the DTB
         * is written, and cleaned to the point of coherency for a guest
         * that starts with its MMU off. */
        uint8_t *d = ram + c->ram.size - HYP_VM_DTB_SIZE;
        for (unsigned i = 0; i < vm->dtb_size; i++)
            d[i] = vm->dtb[i];
        for (uint64_t a = 0; a < HYP_VM_DTB_SIZE; a += 64)
            __asm__ volatile("dc cvac, %0" ::"r"(d + a) : "memory");
        dsb(ish);
        return;
    }
    for (uint64_t i = 0; i < c->ram.size; i += 8)
        *(uint64_t *)(void *)(ram + i) = 0;
    uint8_t *dst = ram + (c->load_ipa - c->ram.ipa);
    for (const uint8_t *s = c->image->start; s < c->image->end; s++)
        *dst++ = *s;
    uint8_t *d = ram + c->ram.size - HYP_VM_DTB_SIZE;
    for (unsigned i = 0; i < vm->dtb_size; i++)
        d[i] = vm->dtb[i];
    /* The guest starts with its MMU and caches off: clean the image to
     * the point of coherency and invalidate the instruction cache. */
    for (uint64_t a = c->ram.pa; a < c->ram.pa + c->ram.size; a += 64)
        __asm__ volatile("dc cvac, %0" ::"r"(a) : "memory");
    dsb(ish);
    __asm__ volatile("ic ialluis" ::: "memory");
    dsb(ish);
    isb();
}

/* Stop every vCPU of the VM whose state might be in the PE. */
static void unload(struct vm *vm)
{
    struct hyp *h = vm->hyp;
    if (h->current && h->current->vm == vm) {
        hyp_vcpu_put(h, h->current);
        h->current = NULL;
    }
    h->resched = true;
}

void hyp_vm_reset(struct vm *vm)
{
    if (vm->cfg->preloaded && vm->loaded) {
        /* Its image came from the loader and may have been overwritten by
         * the guest: there is nothing to reload it from. */
        hyp_vm_off(vm, "reset of a preloaded VM: its image cannot be reloaded");
        return;
    }
    hyp_commit(vm->hyp);
    bool booted = vm->loaded; /* a reset, not its first start */
    unload(vm);
    vm->resets++;
    /* Its configured vCPUs only: the others never run (CPU_ON refuses
     * them) and keep their boot state; each reset costs a few hundred
     * instructions with interrupts masked. */
    for (unsigned i = 0; i < vm->cfg->nr_vcpus && i < HYP_MAX_VCPUS; i++) {
        uint64_t dtb_ipa = vm->cfg->ram.ipa + vm->cfg->ram.size - HYP_VM_DTB_SIZE;
        hyp_vcpu_reset(&vm->vcpu[i], vm->cfg->entry_ipa, i == 0 ? dtb_ipa : 0);
        hyp_sched_set_state(vm->hyp, &vm->vcpu[i], i == 0 ? VCPU_RUNNABLE : VCPU_OFF);
    }
    vm->cntvoff = hyp_now();
    vm->preempted_at = 0;
    irq_rate_set_rearm_all(&vm->irq_rate);
    if (!booted) { /* at boot, before any VM runs: all at once */
        load_image(vm);
        vm->loaded = true;
        hyp_vclk_reset(vm, 0, RK_R__COUNT);
        return;
    }
    /* A warm reset: the rest is done in chunks by hyp_vm_reset_step, on
     * the way into the VM's vCPU 0 (hyp_vm_reset_finish), between which
     * a pending interrupt is served. */
    vm->reset_step = RESET_SPIS;
    vm->reset_pos = 0;
}

/* One chunk of a warm reset, each a few hundred instructions at most;
 * returns whether more remain. The VM's vCPUs are already reset (their
 * registers, timers, list registers) and nothing of the VM runs until the
 * last chunk: what the chunks write (its passthrough SPIs, its emulated
 * GIC, its RAM, its CRU/GRF fields) no one else reads meanwhile. */
bool hyp_vm_reset_step(struct vm *vm)
{
    struct hyp *h = vm->hyp;
    const struct hyp_vm_config *c = vm->cfg;
    uint64_t nspi = sizeof vm->spi_pintid / sizeof vm->spi_pintid[0];
    switch (vm->reset_step) {
    case RESET_SPIS: /* its passthrough SPIs masked and deactivated, 32 at a time */
        vm->reset_pos = hyp_vgic_reset_spis(h, vm, (unsigned)vm->reset_pos, 32);
        if (vm->reset_pos >= nspi) {
            vm->reset_step = RESET_VGIC;
            vm->reset_pos = 0;
        }
        break;
    case RESET_VGIC: /* its emulated distributor (64 INTIDs at a time), then redistributors */
        if (vm->reset_pos >= VGIC_NR_INTIDS) {
            hyp_vgic_reset(h, vm, (unsigned)vm->reset_pos, 0);
            vm->reset_step = RESET_IMAGE;
            vm->reset_pos = 0;
        } else {
            vm->reset_pos = hyp_vgic_reset(h, vm, (unsigned)vm->reset_pos, 64);
        }
        break;
    case RESET_IMAGE: /* its image written again */
        vm->reset_pos = copy_chunk(c->ram.pa + (c->load_ipa - c->ram.ipa), c->image->start,
                                   (uint64_t)(c->image->end - c->image->start), vm->reset_pos);
        if (vm->reset_pos >= (uint64_t)(c->image->end - c->image->start)) {
            vm->reset_step = RESET_DTB;
            vm->reset_pos = 0;
        }
        break;
    case RESET_DTB: /* and its DTB */
        vm->reset_pos = copy_chunk(c->ram.pa + c->ram.size - HYP_VM_DTB_SIZE, vm->dtb, vm->dtb_size,
                                   vm->reset_pos);
        if (vm->reset_pos >= vm->dtb_size) {
            dsb(ish);
            __asm__ volatile("ic ialluis" ::: "memory");
            dsb(ish);
            isb();
            vm->reset_step = RESET_VCLK;
            vm->reset_pos = 0;
        }
        break;
    case RESET_VCLK: /* its CRU/GRF view and real fields, 4 registers at a time */
        hyp_vclk_reset(vm, (unsigned)vm->reset_pos, (unsigned)vm->reset_pos + 4);
        vm->reset_pos += 4;
        if (vm->reset_pos >= RK_R__COUNT)
            vm->reset_step = RESET_DONE;
        break;
    default:
        vm->reset_step = RESET_DONE;
        break;
    }
    return vm->reset_step != RESET_DONE;
}

/* Called with the vCPU about to be entered (just chosen by the scheduler,
 * so loaded): if its VM is in a warm reset, the reset's chunks run first;
 * between two, a pending interrupt is served and the scheduler asked
 * again, which may enter another vCPU (the reset resumes when this VM is
 * chosen again). Returns the vCPU to enter. */
struct vcpu *hyp_vm_reset_finish(struct hyp *h, struct vcpu *next)
{
    while (next->vm->reset_step != RESET_DONE) {
        if (!hyp_vm_reset_step(next->vm))
            break;
        if (hyp_irq_pending()) {
            h->reset_preemptions++;
            hyp_irq(h, h->current);
            next = hyp_schedule(h, next, true);
        }
    }
    return next;
}

void hyp_vm_off(struct vm *vm, const char *why)
{
    hyp_commit(vm->hyp);
    unload(vm);
    vm->off = true;
    for (unsigned i = 0; i < HYP_MAX_VCPUS; i++)
        hyp_fp_forget(vm->hyp, &vm->vcpu[i]);
    for (unsigned i = 0; i < HYP_MAX_VCPUS; i++)
        hyp_sched_set_state(vm->hyp, &vm->vcpu[i], VCPU_OFF);
    if (vm->line_len)
        hyp_vm_console_putc(vm, '\n');
    hyp_printf("hyp: vm %s: off (%s)\n", vm->cfg->name, why);
}

static int map(struct vm *vm, uint64_t ipa, uint64_t pa, uint64_t size, uint64_t attrs,
               const char *what, char *err, size_t errlen)
{
    int r = pt_map(&vm->s2, ipa, pa, size, attrs);
    if (r)
        hyp_snprintf(err, errlen, "vm %s: stage-2 map of %s (ipa 0x%llx): %s", vm->cfg->name, what,
                     (unsigned long long)ipa, pt_strerror(r));
    return r;
}

static int build_stage2(struct hyp *h, struct vm *vm, char *err, size_t errlen)
{
    const struct hyp_vm_config *c = vm->cfg;
    if (pt_init(&vm->s2, &hyp_pt_alloc, HYP_IPA_BITS)) {
        hyp_snprintf(err, errlen, "vm %s: out of page-table pages", c->name);
        return -1;
    }
    uint64_t ram = pt_s2_attrs(PT_MEM_NORMAL, true, true);
    uint64_t dev = pt_s2_attrs(PT_MEM_DEVICE, true, false);
    if (map(vm, c->ram.ipa, c->ram.pa, c->ram.size, ram, "RAM", err, errlen))
        return -1;
    for (unsigned s = 0; s < HYP_MAX_SHARED; s++)
        if (c->shared[s].size && map(vm, c->shared[s].ipa, c->shared[s].pa, c->shared[s].size, ram,
                                     "shared region", err, errlen))
            return -1;
    vm->console_passthrough = hyp_console_is_passthrough(c, &h->view);
    if (vm->console_passthrough) {
        const struct hyp_plat_dev *d = hyp_plat_find(&h->view, HYP_DEV_UART, c->console.uart);
        if (map(vm, c->console.ipa, d->base, d->size, dev, "console UART", err, errlen))
            return -1;
    }
    for (unsigned i = 0; i < HYP_MAX_PT_DEVS; i++) {
        const struct hyp_pt_dev *p = &c->pt[i];
        if (p->kind == HYP_DEV_NONE)
            continue;
        const struct hyp_plat_dev *d = hyp_plat_find(&h->view, p->kind, p->index);
        if (!d) /* optional, and this platform lacks it (validated) */
            continue;
        if (map(vm, p->ipa, d->base, d->size, dev, hyp_dev_kind_name(p->kind), err, errlen))
            return -1;
    }
    /* Physical SPIs of passthrough devices are enabled when the guest
     * enables them in its emulated distributor (vm/vgic.c). */
    /* Emulated devices, and the emulated GICD/GICR, are left unmapped:
     * their accesses fault to EL2. */
    vm->vttbr = (uint64_t)c->id << 48 | vm->s2.root_pa;
    /* The tables are new, but this VMID may hold stale entries (a
     * previous configuration, firmware): invalidate all stage-1 and
     * stage-2 entries of the VMID (TLBI VMALLS12E1IS applies to the VMID
     * in VTTBR_EL2), after the table writes are visible (DSB ISHST). */
    dsb(ishst);
    write_sysreg(vttbr_el2, vm->vttbr);
    isb();
    __asm__ volatile("tlbi vmalls12e1is" ::: "memory");
    dsb(ish);
    isb();
    return 0;
}

int hyp_vms_create(struct hyp *h, char *err, size_t errlen)
{
    const struct hyp_config *cfg = h->cfg;
    h->nvms = cfg->nr_vms;
    for (unsigned i = 0; i < cfg->nr_vms; i++) {
        struct vm *vm = &h->vms[i];
        vm->cfg = &cfg->vms[i];
        vm->hyp = h;
        for (unsigned k = 0; k < HYP_MAX_VCPUS; k++) {
            vm->vcpu[k].vm = vm;
            vm->vcpu[k].idx = k;
        }
        if (build_stage2(h, vm, err, errlen))
            return -1;
        hyp_vgic_setup(h, vm);
        /* Its DTB: only what it owns. libfdt runs here, at boot, before any
         * guest state is loaded (it may use FP/SIMD registers). */
        struct hyp_vm_dtb_plat dp = {h->plat.ppi_sec,
                                     h->plat.ppi_phys,
                                     h->plat.ppi_virt,
                                     h->plat.ppi_hyp,
                                     h->plat.ppi_maint,
                                     24000000,
                                     h->plat.cru && h->plat.grf && i < VDEV_MAX_VMS,
                                     &h->view};
        int n = hyp_vm_dtb_build(vm->cfg, &dp, vm->dtb, sizeof vm->dtb);
        if (n < 0) {
            hyp_snprintf(err, errlen, "vm %s: building its DTB: %s", vm->cfg->name,
                         fdt_strerror(n));
            return -1;
        }
        vm->dtb_size = (unsigned)n;
        hyp_vm_reset(vm);
        vm->resets = 0;
        hyp_hvc_setup(h, vm);
        hyp_printf("hyp: vm %s: id %u, priority %u, %u vCPU(s), RAM ipa 0x%llx -> pa 0x%llx "
                   "(%llu MiB), console %s uart%u at ipa 0x%llx\n",
                   vm->cfg->name, vm->cfg->id, vm->cfg->priority, vm->cfg->nr_vcpus,
                   (unsigned long long)vm->cfg->ram.ipa, (unsigned long long)vm->cfg->ram.pa,
                   (unsigned long long)(vm->cfg->ram.size >> 20),
                   vm->console_passthrough ? "passthrough" : "emulated", vm->cfg->console.uart,
                   (unsigned long long)vm->cfg->console.ipa);
    }
    return 0;
}
