/* hvsim hypervisor: per-VM permissions over the shared CRU and GRF, at the
 * granularity of the fields in include/hvsim/rk3568_cru.h (issue 7 item 8,
 * "fine-grained access monitoring"; docs/soc.md describes the fields).
 *
 * The hypervisor traps a VM's accesses to its virtual CRU/GRF (stage 2)
 * and asks vdev_perm_write() what to do with a write. The answer is a
 * decision only; applying it (writing the real register, updating the
 * view, reporting the violations) is the caller's job:
 *  - hw_mask / hw_value: the exact bits to apply to the real block. For a
 *    hiword register hw_value is a hiword write whose enables are exactly
 *    the permitted bits, so other VMs' bits are never touched, not even
 *    rewritten with their current value; for a plain register (the
 *    fractional dividers) it is a read-modify-write of hw_current;
 *  - view: the VM's updated view of the register (what it reads back):
 *    permitted bits take the written value, refused bits keep the view;
 *  - violations: one record per refused field the write tried to change.
 *
 * Freestanding: <stdint.h> and <stdbool.h> only, no allocation, no libc.
 */
#ifndef HV_VDEV_PERM_H
#define HV_VDEV_PERM_H

#include <stdbool.h>
#include <stdint.h>

#include <hvsim/rk3568_cru.h>

#define VDEV_MAX_VMS       8
#define VDEV_MAX_VIOL      8
#define VDEV_FIELD_UNOWNED 0xffu /* implemented bits that belong to no field */

/* Which fields each VM may change: bit f of allowed[vm] = rk3568_fields[f].
 *
 * The per-register index: a trapped access concerns one register, so the
 * decision needs only that register's fields. vdev_perm_init() sorts the
 * field ids by register once (fields[first[r]] .. fields[first[r + 1] - 1]
 * are register r's, in field-table order), and every grant keeps own[vm][r]
 * (the bits of r the VM may change) up to date. A write then costs one pass
 * over its register's few fields (at most 6) instead of the whole table,
 * and a read one load. Filled at configuration time (hyp_vclk_init), only
 * read afterwards (the decision functions take a const table). */
struct vdev_perm_table {
    uint64_t allowed[VDEV_MAX_VMS];
    uint32_t own[VDEV_MAX_VMS][RK_R__COUNT]; /* bits of each register the VM owns */
    uint32_t any_field[RK_R__COUNT];         /* bits of each register some field describes */
    uint8_t first[RK_R__COUNT + 1];          /* register r's fields: fields[first[r]..] */
    uint8_t fields[RK_F__COUNT];             /* field ids sorted by register */
};

struct vdev_violation {
    uint8_t vm;
    uint8_t reg;        /* enum rk_reg_id */
    uint8_t field;      /* enum rk_field_id, or VDEV_FIELD_UNOWNED */
    uint32_t attempted; /* the field value the write asked for (bits, unshifted) */
    uint32_t bits;      /* the register bits refused */
};

struct vdev_decision {
    int reg;           /* enum rk_reg_id, or -1: not a modelled register */
    bool apply;        /* something goes to the hardware */
    uint32_t hw_mask;  /* register bits applied */
    uint32_t hw_value; /* the value to write to the real register */
    uint32_t view;     /* the VM's view after the write */
    unsigned nviol;    /* refused fields (the first VDEV_MAX_VIOL are recorded) */
    struct vdev_violation viol[VDEV_MAX_VIOL];
};

void vdev_perm_init(struct vdev_perm_table *t);
/* Grant one field. Returns -1 for a bad VM or field. */
int vdev_perm_grant(struct vdev_perm_table *t, unsigned vm, enum rk_field_id f);
/* Grant every field that only this device depends on (its gates, dividers,
 * selectors, resets and pins). Fields several devices share (pclk_bus) are
 * never granted this way: they stay the hypervisor's. */
int vdev_perm_grant_dev(struct vdev_perm_table *t, unsigned vm, enum rk_dev d);
bool vdev_perm_allowed(const struct vdev_perm_table *t, unsigned vm, enum rk_field_id f);

/* The register at (block, offset), or -1. */
int vdev_perm_find(enum rk_block b, uint32_t off);

/* Decide a 32-bit write of `value` by VM `vm` to (block, offset).
 * hw_current is the real register now, view_current the VM's view.
 * Returns d->reg (-1: unknown register, nothing applied, view unchanged). */
int vdev_perm_write(const struct vdev_perm_table *t, unsigned vm, enum rk_block b, uint32_t off,
                    uint32_t value, uint32_t hw_current, uint32_t view_current,
                    struct vdev_decision *d);
/* The same for register r (vdev_perm_find's answer, >= 0), for a caller
 * that has found it already (the hypervisor's trap: one search, not two). */
int vdev_perm_write_reg(const struct vdev_perm_table *t, unsigned vm, int r, uint32_t value,
                        uint32_t hw_current, uint32_t view_current, struct vdev_decision *d);

/* A VM reset (PSCI SYSTEM_RESET of that VM): the write that puts the bits
 * VM vm owns in register r back to their reset values (`reset`, the
 * register's value at hand-over) and touches no other bit. For a hiword
 * register it is a hiword write whose enables are exactly the owned bits;
 * for a plain one a read-modify-write of hw_current. Returns false, with
 * *hw_value untouched, when nothing needs writing (it owns no bit of r, or
 * they already hold their reset values). */
bool vdev_perm_reset(const struct vdev_perm_table *t, unsigned vm, enum rk_reg_id r, uint32_t reset,
                     uint32_t hw_current, uint32_t *hw_value);

/* What the VM reads: its fields live from the hardware, the rest from its
 * view. */
uint32_t vdev_perm_read(const struct vdev_perm_table *t, unsigned vm, enum rk_reg_id r,
                        uint32_t hw_current, uint32_t view_current);

#endif
