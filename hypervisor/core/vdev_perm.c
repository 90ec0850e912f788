/* hvsim hypervisor: CRU/GRF permission decisions. See vdev_perm.h. */
#include "vdev_perm.h"

void vdev_perm_init(struct vdev_perm_table *t)
{
    for (unsigned vm = 0; vm < VDEV_MAX_VMS; vm++) {
        t->allowed[vm] = 0; /* default deny */
        for (unsigned r = 0; r < RK_R__COUNT; r++)
            t->own[vm][r] = 0;
    }
    /* The index: a counting sort of the field ids by register. */
    unsigned n = 0;
    for (unsigned r = 0; r < RK_R__COUNT; r++) {
        t->first[r] = (uint8_t)n;
        t->any_field[r] = 0;
        for (unsigned f = 0; f < RK_F__COUNT; f++)
            if (rk3568_fields[f].reg == r) {
                t->fields[n++] = (uint8_t)f;
                t->any_field[r] |= rk_field_mask(&rk3568_fields[f]);
            }
    }
    t->first[RK_R__COUNT] = (uint8_t)n;
}

int vdev_perm_grant(struct vdev_perm_table *t, unsigned vm, enum rk_field_id f)
{
    if (vm >= VDEV_MAX_VMS || (unsigned)f >= RK_F__COUNT)
        return -1;
    t->allowed[vm] |= (uint64_t)1 << f;
    t->own[vm][rk3568_fields[f].reg] |= rk_field_mask(&rk3568_fields[f]);
    return 0;
}

int vdev_perm_grant_dev(struct vdev_perm_table *t, unsigned vm, enum rk_dev d)
{
    if (vm >= VDEV_MAX_VMS || (unsigned)d >= RK_DEV__COUNT)
        return -1;
    for (unsigned f = 0; f < RK_F__COUNT; f++)
        if (rk3568_fields[f].devs == RK_DEV_BIT(d))
            vdev_perm_grant(t, vm, (enum rk_field_id)f);
    return 0;
}

bool vdev_perm_allowed(const struct vdev_perm_table *t, unsigned vm, enum rk_field_id f)
{
    return vm < VDEV_MAX_VMS && (unsigned)f < RK_F__COUNT && ((t->allowed[vm] >> f) & 1);
}

int vdev_perm_find(enum rk_block b, uint32_t off)
{
    /* rk3568_regs is sorted by block, then offset: binary search. */
    unsigned lo = 0, hi = RK_R__COUNT;
    uint32_t key = (uint32_t)b << 16 | off;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        uint32_t k = (uint32_t)rk3568_regs[mid].block << 16 | rk3568_regs[mid].off;
        if (k == key)
            return (int)mid;
        if (k < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static void add_viol(struct vdev_decision *d, unsigned vm, unsigned r, unsigned field,
                     uint32_t attempted, uint32_t bits)
{
    if (d->nviol < VDEV_MAX_VIOL) {
        struct vdev_violation *v = &d->viol[d->nviol];
        v->vm = (uint8_t)vm;
        v->reg = (uint8_t)r;
        v->field = (uint8_t)field;
        v->attempted = attempted;
        v->bits = bits;
    }
    d->nviol++;
}

int vdev_perm_write(const struct vdev_perm_table *t, unsigned vm, enum rk_block b, uint32_t off,
                    uint32_t value, uint32_t hw_current, uint32_t view_current,
                    struct vdev_decision *d)
{
    return vdev_perm_write_reg(t, vm, vdev_perm_find(b, off), value, hw_current, view_current, d);
}

int vdev_perm_write_reg(const struct vdev_perm_table *t, unsigned vm, int r, uint32_t value,
                        uint32_t hw_current, uint32_t view_current, struct vdev_decision *d)
{
    d->reg = r;
    d->apply = false;
    d->hw_mask = 0;
    d->hw_value = 0;
    d->view = view_current;
    d->nviol = 0;
    if (r < 0 || r >= RK_R__COUNT || vm >= VDEV_MAX_VMS)
        return d->reg = -1;

    const struct rk_reg_desc *rd = &rk3568_regs[r];
    /* The bits this write asks to change: a hiword write's enables (Rockchip
     * convention), every implemented bit of a plain register. */
    uint32_t want = rd->hiword ? (value >> 16) & rd->impl : rd->impl;
    uint32_t own = t->own[vm][r];
    uint32_t ok = want & own;
    /* The value as the VM meant it: its view with the enabled bits replaced. */
    uint32_t meant = (view_current & ~want) | (value & want);

    if (want & ~own) /* something refused: which fields (this register's only) */
        for (unsigned i = t->first[r]; i < t->first[r + 1]; i++) {
            unsigned f = t->fields[i];
            const struct rk_field_desc *fd = &rk3568_fields[f];
            uint32_t fm = rk_field_mask(fd);
            if (!(want & fm) || vdev_perm_allowed(t, vm, (enum rk_field_id)f))
                continue;
            add_viol(d, vm, (unsigned)r, f, rk_field_get(fd, meant), want & fm);
        }
    /* Implemented bits no field describes (other devices' gates in a shared
     * CLKGATE register, unmodelled IOMUX pins): nobody owns them. */
    uint32_t any_field = t->any_field[r];
    if (want & ~any_field)
        add_viol(d, vm, (unsigned)r, VDEV_FIELD_UNOWNED, meant & want & ~any_field,
                 want & ~any_field);

    d->hw_mask = ok;
    d->apply = ok != 0;
    if (rd->hiword)
        d->hw_value = (ok << 16) | (value & ok);
    else
        d->hw_value = (hw_current & ~ok) | (value & ok);
    d->view = (view_current & ~ok) | (value & ok);
    return r;
}

uint32_t vdev_perm_read(const struct vdev_perm_table *t, unsigned vm, enum rk_reg_id r,
                        uint32_t hw_current, uint32_t view_current)
{
    if ((unsigned)r >= RK_R__COUNT)
        return 0;
    uint32_t own = vm < VDEV_MAX_VMS ? t->own[vm][r] : 0;
    return ((hw_current & own) | (view_current & ~own)) & rk3568_regs[r].impl;
}

bool vdev_perm_reset(const struct vdev_perm_table *t, unsigned vm, enum rk_reg_id r, uint32_t reset,
                     uint32_t hw_current, uint32_t *hw_value)
{
    if (vm >= VDEV_MAX_VMS || (unsigned)r >= RK_R__COUNT)
        return false;
    const struct rk_reg_desc *rd = &rk3568_regs[r];
    uint32_t own = t->own[vm][r] & rd->impl;
    if (((hw_current ^ reset) & own) == 0)
        return false;
    if (rd->hiword)
        *hw_value = own << 16 | (reset & own);
    else
        *hw_value = (hw_current & ~own) | (reset & own);
    return true;
}
