/* See vm_config.h. */
#include "vm_config.h"

#include "core_fmt.h"

const char *hyp_dev_kind_name(enum hyp_dev_kind k)
{
    switch (k) {
    case HYP_DEV_UART:
        return "uart";
    case HYP_DEV_GIC:
        return "gic";
    case HYP_DEV_CRU:
        return "cru";
    case HYP_DEV_GRF:
        return "grf";
    case HYP_DEV_EVTPORT:
        return "event-port";
    case HYP_DEV_I2C:
        return "i2c";
    default:
        return "none";
    }
}

const struct hyp_plat_dev *hyp_plat_find(const struct hyp_plat *p, enum hyp_dev_kind kind,
                                         unsigned index)
{
    for (unsigned i = 0; i < p->ndevs; i++)
        if (p->devs[i].kind == kind && p->devs[i].index == index)
            return &p->devs[i];
    return NULL;
}

bool hyp_console_is_passthrough(const struct hyp_vm_config *vm, const struct hyp_plat *p)
{
    return vm->console.uart != 0 && hyp_plat_find(p, HYP_DEV_UART, vm->console.uart) != NULL;
}

/* [a, a+as) and [b, b+bs) intersect; sizes are nonzero and do not wrap. */
static bool overlaps(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
    return a < b + bs && b < a + as;
}

static bool wraps(uint64_t base, uint64_t size)
{
    return size - 1 > UINT64_MAX - base;
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        core_snprintf(err, errlen, __VA_ARGS__);                                                   \
        return -1;                                                                                 \
    } while (0)

/* One IPA window of a VM, for the overlap check. */
struct window {
    const char *what;
    unsigned n;
    uint64_t ipa, size;
};

static int check_vm(const struct hyp_vm_config *vm, const struct hyp_plat *p, char *err,
                    size_t errlen)
{
    const char *n = vm->name;
    uint64_t ipa_limit = UINT64_C(1) << HYP_IPA_BITS;
    if (vm->nr_vcpus < 1 || vm->nr_vcpus > HYP_MAX_VCPUS)
        FAIL("vm %s: %u vCPUs, must be 1 to %u", n, vm->nr_vcpus, HYP_MAX_VCPUS);
    if (vm->slice_us == 0)
        FAIL("vm %s: time slice is 0", n);
    if (vm->timer_advance_ns > HYP_TIMER_ADVANCE_MAX_NS)
        FAIL("vm %s: timer advance %u ns, at most %u", n, vm->timer_advance_ns,
             HYP_TIMER_ADVANCE_MAX_NS);

    /* RAM */
    const struct hyp_mem_region *r = &vm->ram;
    if (r->size == 0 || ((r->ipa | r->pa | r->size) & 0xfff) || wraps(r->pa, r->size))
        FAIL("vm %s: RAM ipa 0x%llx pa 0x%llx size 0x%llx must be nonzero and 4 KiB aligned", n,
             (unsigned long long)r->ipa, (unsigned long long)r->pa, (unsigned long long)r->size);
    if (r->pa < p->ram_base || r->pa - p->ram_base + r->size > p->ram_size || r->size > p->ram_size)
        FAIL("vm %s: RAM [0x%llx,0x%llx) is outside the platform RAM [0x%llx,0x%llx)", n,
             (unsigned long long)r->pa, (unsigned long long)(r->pa + r->size),
             (unsigned long long)p->ram_base, (unsigned long long)(p->ram_base + p->ram_size));
    if (overlaps(r->pa, r->size, p->hyp_base, p->hyp_size))
        FAIL("vm %s: RAM [0x%llx,0x%llx) overlaps the hypervisor's memory [0x%llx,0x%llx)", n,
             (unsigned long long)r->pa, (unsigned long long)(r->pa + r->size),
             (unsigned long long)p->hyp_base, (unsigned long long)(p->hyp_base + p->hyp_size));
    for (unsigned s = 0; s < HYP_MAX_SHARED; s++) {
        const struct hyp_mem_region *sh = &vm->shared[s];
        if (!sh->size)
            continue;
        if ((sh->ipa | sh->pa | sh->size) & 0xfff || wraps(sh->pa, sh->size) ||
            sh->pa < p->ram_base || sh->pa - p->ram_base + sh->size > p->ram_size)
            FAIL("vm %s: shared region %u [0x%llx,+0x%llx) must be 4 KiB aligned and in RAM", n, s,
                 (unsigned long long)sh->pa, (unsigned long long)sh->size);
        if (overlaps(sh->pa, sh->size, p->hyp_base, p->hyp_size))
            FAIL("vm %s: shared region %u overlaps the hypervisor's memory", n, s);
    }

    /* Image */
    if (vm->preloaded ? vm->image != NULL : (!vm->image || vm->image->end <= vm->image->start))
        FAIL("vm %s: %s", n,
             vm->preloaded ? "a preloaded VM has no embedded image" : "no guest image");
    uint64_t isz = vm->preloaded ? 4 : (uint64_t)(vm->image->end - vm->image->start);
    if (r->size <= HYP_VM_DTB_SIZE || vm->load_ipa < r->ipa ||
        vm->load_ipa - r->ipa > r->size - HYP_VM_DTB_SIZE ||
        isz > r->size - HYP_VM_DTB_SIZE - (vm->load_ipa - r->ipa))
        FAIL("vm %s: image (%llu bytes at ipa 0x%llx) does not fit its RAM below its DTB", n,
             (unsigned long long)isz, (unsigned long long)vm->load_ipa);
    if (vm->entry_ipa < r->ipa || vm->entry_ipa >= r->ipa + r->size || (vm->entry_ipa & 3))
        FAIL("vm %s: entry point ipa 0x%llx is not an aligned address in its RAM", n,
             (unsigned long long)vm->entry_ipa);

    if (vm->initrd.size &&
        (vm->initrd.ipa < r->ipa || vm->initrd.ipa - r->ipa > r->size - HYP_VM_DTB_SIZE ||
         vm->initrd.size > r->size - HYP_VM_DTB_SIZE - (vm->initrd.ipa - r->ipa)))
        FAIL("vm %s: initrd window [0x%llx,+0x%llx) is not in its RAM below its DTB", n,
             (unsigned long long)vm->initrd.ipa, (unsigned long long)vm->initrd.size);

    /* IPA windows of this VM: RAM, shared, console, passthrough, emulated. */
    struct window w[3 + HYP_MAX_SHARED + 1 + HYP_MAX_PT_DEVS + HYP_MAX_EMU_DEVS];
    unsigned nw = 0;
    w[nw++] = (struct window){"vGICD", 0, HYP_VGICD_IPA, 0x10000};
    w[nw++] = (struct window){"vGICR", 0, HYP_VGICR_IPA, HYP_VGICR_STRIDE * vm->nr_vcpus};
    w[nw++] = (struct window){"RAM", 0, r->ipa, r->size};
    for (unsigned s = 0; s < HYP_MAX_SHARED; s++)
        if (vm->shared[s].size)
            w[nw++] = (struct window){"shared region", s, vm->shared[s].ipa, vm->shared[s].size};
    if (vm->console.uart == 0 && vm->console.ipa == 0)
        FAIL("vm %s: no console", n);
    if (vm->console.uart == 0)
        FAIL("vm %s: console uart0 is the hypervisor's own console", n);
    const struct hyp_plat_dev *cu = hyp_plat_find(p, HYP_DEV_UART, vm->console.uart);
    w[nw++] = (struct window){"console", vm->console.uart, vm->console.ipa, cu ? cu->size : 0x1000};
    for (unsigned i = 0; i < HYP_MAX_PT_DEVS; i++) {
        const struct hyp_pt_dev *d = &vm->pt[i];
        if (d->kind == HYP_DEV_NONE)
            continue;
        const struct hyp_plat_dev *pd = hyp_plat_find(p, d->kind, d->index);
        if (!pd && d->optional)
            continue;
        if (!pd)
            FAIL("vm %s: passthrough device %s%u does not exist on this platform", n,
                 hyp_dev_kind_name(d->kind), d->index);
        if (d->kind == HYP_DEV_GIC || (d->kind == HYP_DEV_UART && d->index == 0) ||
            d->kind == HYP_DEV_EVTPORT)
            FAIL("vm %s: %s%u belongs to the hypervisor and cannot be passed through", n,
                 hyp_dev_kind_name(d->kind), d->index);
        if (d->kind == HYP_DEV_UART && d->index == vm->console.uart)
            FAIL("vm %s: uart%u is its console and also listed as a passthrough device", n,
                 d->index);
        w[nw++] = (struct window){hyp_dev_kind_name(d->kind), d->index, d->ipa, pd->size};
    }
    for (unsigned i = 0; i < HYP_MAX_EMU_DEVS; i++) {
        const struct hyp_emu_dev *e = &vm->emu[i];
        if (e->kind == HYP_EMU_NONE)
            continue;
        if (e->kind != HYP_EMU_VUART)
            FAIL("vm %s: emulated device %u has unknown kind %d", n, i, (int)e->kind);
        w[nw++] = (struct window){"emulated device", i, e->ipa, e->size};
    }
    for (unsigned i = 0; i < nw; i++) {
        if (w[i].size == 0 || ((w[i].ipa | w[i].size) & 0xfff) || w[i].ipa >= ipa_limit ||
            w[i].size > ipa_limit - w[i].ipa)
            FAIL("vm %s: %s %u at ipa 0x%llx size 0x%llx is not 4 KiB aligned inside the "
                 "%u-bit IPA space",
                 n, w[i].what, w[i].n, (unsigned long long)w[i].ipa, (unsigned long long)w[i].size,
                 HYP_IPA_BITS);
        for (unsigned j = 0; j < i; j++)
            if (overlaps(w[i].ipa, w[i].size, w[j].ipa, w[j].size))
                FAIL("vm %s: %s %u at ipa 0x%llx overlaps %s %u at ipa 0x%llx", n, w[i].what,
                     w[i].n, (unsigned long long)w[i].ipa, w[j].what, w[j].n,
                     (unsigned long long)w[j].ipa);
    }

    /* Virtual INTIDs of this VM: unique and SPIs. */
    unsigned virqs[1 + HYP_MAX_PT_DEVS + HYP_MAX_EMU_DEVS];
    unsigned nv = 0;
    if (vm->console.virq)
        virqs[nv++] = vm->console.virq;
    for (unsigned i = 0; i < HYP_MAX_PT_DEVS; i++) {
        const struct hyp_pt_dev *d = &vm->pt[i];
        if (d->kind == HYP_DEV_NONE)
            continue;
        const struct hyp_plat_dev *pd = hyp_plat_find(p, d->kind, d->index);
        if (!pd) /* an optional device the platform lacks */
            continue;
        if (d->virq && pd->intid < 0)
            FAIL("vm %s: %s%u has no interrupt to deliver as INTID %u", n,
                 hyp_dev_kind_name(d->kind), d->index, d->virq);
        if (pd->intid >= 0)
            virqs[nv++] = d->virq ? d->virq : (unsigned)pd->intid;
    }
    for (unsigned i = 0; i < HYP_MAX_EMU_DEVS; i++)
        if (vm->emu[i].kind != HYP_EMU_NONE && vm->emu[i].virq)
            virqs[nv++] = vm->emu[i].virq;
    for (unsigned i = 0; i < nv; i++) {
        if (virqs[i] < HYP_INTID_SPI_FIRST || virqs[i] > HYP_INTID_SPI_LAST)
            FAIL("vm %s: virtual INTID %u is not an SPI (32 to 1019)", n, virqs[i]);
        for (unsigned j = 0; j < i; j++)
            if (virqs[i] == virqs[j])
                FAIL("vm %s: virtual INTID %u is used twice", n, virqs[i]);
    }
    return 0;
}

/* Physical devices (and so their SPIs) a VM owns: its passthrough list
 * plus its console UART when the platform has it. */
static bool vm_owns(const struct hyp_vm_config *vm, const struct hyp_plat *p,
                    enum hyp_dev_kind kind, unsigned index)
{
    if (kind == HYP_DEV_UART && hyp_console_is_passthrough(vm, p) && vm->console.uart == index)
        return true;
    for (unsigned i = 0; i < HYP_MAX_PT_DEVS; i++)
        if (vm->pt[i].kind == kind && vm->pt[i].index == index)
            return true;
    return false;
}

int hyp_config_validate(const struct hyp_config *c, const struct hyp_plat *p, char *err,
                        size_t errlen)
{
    if (!c || !c->vms || c->nr_vms == 0)
        FAIL("configuration %s has no VMs", c && c->name ? c->name : "(unnamed)");
    if (c->nr_vms > HYP_MAX_VMS)
        FAIL("configuration %s has %u VMs, at most %u", c->name, c->nr_vms, HYP_MAX_VMS);
    for (unsigned i = 0; i < c->nr_vms; i++) {
        const struct hyp_vm_config *a = &c->vms[i];
        if (!a->name || !a->name[0])
            FAIL("vm %u has no name", i);
        if (a->id < 1 || a->id > 255)
            FAIL("vm %s: id %u, must be 1 to 255 (it is the VMID)", a->name, a->id);
        if (check_vm(a, p, err, errlen))
            return -1;
        for (unsigned j = 0; j < i; j++) {
            const struct hyp_vm_config *b = &c->vms[j];
            const char *an = a->name, *bn = b->name;
            unsigned k = 0;
            while (an[k] && an[k] == bn[k])
                k++;
            if (an[k] == bn[k])
                FAIL("vms %u and %u are both named %s", j, i, an);
            if (a->id == b->id)
                FAIL("vms %s and %s both have id %u", bn, an, a->id);
            if (overlaps(a->ram.pa, a->ram.size, b->ram.pa, b->ram.size))
                FAIL("vm %s RAM [0x%llx,0x%llx) overlaps vm %s RAM [0x%llx,0x%llx)", an,
                     (unsigned long long)a->ram.pa, (unsigned long long)(a->ram.pa + a->ram.size),
                     bn, (unsigned long long)b->ram.pa,
                     (unsigned long long)(b->ram.pa + b->ram.size));
            /* Shared regions: never over someone's private RAM; between two
             * VMs either disjoint or the very same region. */
            for (unsigned s = 0; s < HYP_MAX_SHARED; s++) {
                const struct hyp_mem_region *sa = &a->shared[s], *sb = &b->shared[s];
                if (sa->size && overlaps(sa->pa, sa->size, b->ram.pa, b->ram.size))
                    FAIL("vm %s shared region %u overlaps vm %s RAM", an, s, bn);
                if (sb->size && overlaps(sb->pa, sb->size, a->ram.pa, a->ram.size))
                    FAIL("vm %s shared region %u overlaps vm %s RAM", bn, s, an);
                for (unsigned t = 0; t < HYP_MAX_SHARED; t++) {
                    const struct hyp_mem_region *tb = &b->shared[t];
                    if (sa->size && tb->size && overlaps(sa->pa, sa->size, tb->pa, tb->size) &&
                        (sa->pa != tb->pa || sa->size != tb->size))
                        FAIL("vm %s shared region %u and vm %s shared region %u partly overlap", an,
                             s, bn, t);
                }
            }
            /* Device ownership: one owner per device (so per SPI too). */
            for (unsigned d = 0; d < p->ndevs; d++) {
                const struct hyp_plat_dev *pd = &p->devs[d];
                if (vm_owns(a, p, pd->kind, pd->index) && vm_owns(b, p, pd->kind, pd->index))
                    FAIL("%s%u is given to both vm %s and vm %s", hyp_dev_kind_name(pd->kind),
                         pd->index, bn, an);
            }
            /* CRU/GRF fields: one owner each (vm/vcru.c applies a VM's
             * writes to them; two owners could undo each other). */
            if (a->clk.devs & b->clk.devs)
                FAIL("the CRU/GRF fields of device mask 0x%x are given to both vm %s and vm %s",
                     (unsigned)(a->clk.devs & b->clk.devs), bn, an);
            if (a->clk.fields & b->clk.fields)
                FAIL("CRU/GRF fields 0x%llx are given to both vm %s and vm %s",
                     (unsigned long long)(a->clk.fields & b->clk.fields), bn, an);
        }
    }
    /* Two distinct devices on one SPI would let one VM's device raise the
     * other's interrupt. */
    for (unsigned i = 0; i < p->ndevs; i++)
        for (unsigned j = 0; j < i; j++)
            if (p->devs[i].intid >= 0 && p->devs[i].intid == p->devs[j].intid)
                FAIL("%s%u and %s%u share INTID %d", hyp_dev_kind_name(p->devs[j].kind),
                     p->devs[j].index, hyp_dev_kind_name(p->devs[i].kind), p->devs[i].index,
                     p->devs[i].intid);
    return 0;
}
