/* See vgic_emu.h. */
#include "vgic_emu.h"

#include <stddef.h>

#define BIT(n) (1u << ((n) % 32))

void vgic_emu_init(struct vgic_emu *e, unsigned nr_vcpus, unsigned vtimer_ppi)
{
    *e = (struct vgic_emu){0};
    e->nr_vcpus = nr_vcpus > VGIC_MAX_VCPUS ? VGIC_MAX_VCPUS : nr_vcpus;
    e->vtimer_ppi = vtimer_ppi;
    e->owned[0] = 0xffffu | BIT(vtimer_ppi); /* SGIs and the virtual timer */
    vgic_emu_reset_cpus(e);                  /* the redistributors' reset values */
}

void vgic_emu_reset_intids(struct vgic_emu *e, unsigned first, unsigned n)
{
    unsigned end = first + n < VGIC_NR_INTIDS ? first + n : VGIC_NR_INTIDS;
    for (unsigned w = first / 32; w * 32 < end; w++) {
        e->enabled[w] = 0;
        e->latch[w] = 0;
        e->cfg[2 * w] = 0;
        if (2 * w + 1 < sizeof e->cfg / sizeof e->cfg[0])
            e->cfg[2 * w + 1] = 0;
    }
    for (unsigned i = first; i < end; i++) {
        e->prio[i] = 0;
        e->router[i] = 0;
    }
}

void vgic_emu_reset_cpus(struct vgic_emu *e)
{
    e->ctlr = 0;
    for (unsigned v = 0; v < VGIC_MAX_VCPUS; v++) {
        e->r_enabled[v] = e->r_cfg1[v] = e->r_latch[v] = 0;
        for (unsigned i = 0; i < 32; i++)
            e->r_prio[v][i] = 0;
        e->r_waker[v] = 0x6; /* ProcessorSleep, ChildrenAsleep (reset) */
    }
}

void vgic_emu_own(struct vgic_emu *e, unsigned intid)
{
    if (intid < VGIC_NR_INTIDS)
        e->owned[intid / 32] |= BIT(intid);
}

void vgic_emu_set_latch(struct vgic_emu *e, unsigned vcpu, unsigned intid, bool pending)
{
    uint32_t *w = intid < 32               ? (vcpu < e->nr_vcpus ? &e->r_latch[vcpu] : NULL)
                  : intid < VGIC_NR_INTIDS ? &e->latch[intid / 32]
                                           : NULL;
    if (!w || !vgic_emu_owns(e, intid))
        return;
    if (pending)
        *w |= BIT(intid);
    else
        *w &= ~BIT(intid);
}

uint32_t vgic_emu_latch_bank(const struct vgic_emu *e, unsigned vcpu, unsigned bank)
{
    if (bank == 0)
        return vcpu < e->nr_vcpus ? e->r_latch[vcpu] : 0;
    return bank < VGIC_NR_INTIDS / 32 + 1 ? e->latch[bank] : 0;
}

bool vgic_emu_owns(const struct vgic_emu *e, unsigned intid)
{
    return intid < VGIC_NR_INTIDS && (e->owned[intid / 32] & BIT(intid));
}

/* The first INTID in [first, first + n) whose bit is set in mask and that
 * the VM does not own, or -1. */
static int foreign(const struct vgic_emu *e, unsigned first, unsigned n, uint64_t mask)
{
    if (e->unowned_wi)
        return -1; /* the unowned bits are WI: masked where applied */
    /* Only the bits set, lowest first (a guest's flood of refused writes
     * costs one test per bit written, not one per bit of the register). */
    uint64_t m = n >= 64 ? mask : mask & ((UINT64_C(1) << n) - 1);
    for (; m; m &= m - 1) {
        unsigned i = (unsigned)__builtin_ctzll(m);
        if (!vgic_emu_owns(e, first + i))
            return (int)(first + i);
    }
    return -1;
}

static uint32_t owned_mask(const struct vgic_emu *e, unsigned first32)
{
    return first32 / 32 < VGIC_NR_INTIDS / 32 + 1 ? e->owned[first32 / 32] : 0;
}

static void refuse(struct vgic_emu_effect *eff, int intid)
{
    eff->violation = true;
    eff->intid = (unsigned)intid;
}

/* Byte-per-INTID fields (IPRIORITYR): width 1 or 4. */
static int bytes_access(const struct vgic_emu *e, uint8_t *field, unsigned first, bool write,
                        unsigned width, uint64_t *val, struct vgic_emu_effect *eff)
{
    if (width != 1 && width != 4)
        return -1;
    if (write) {
        uint64_t touched = width == 1 ? 1 : 0xf;
        int f = foreign(e, first, width, touched);
        if (f >= 0) {
            refuse(eff, f);
            return 0;
        }
        for (unsigned i = 0; i < width; i++)
            if (vgic_emu_owns(e, first + i))
                field[first + i] = (uint8_t)(*val >> (8 * i));
        return 0;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < width; i++)
        if (vgic_emu_owns(e, first + i))
            v |= (uint64_t)field[first + i] << (8 * i);
    *val = v;
    return 0;
}

int vgic_emu_dist(struct vgic_emu *e, uint32_t off, bool write, unsigned width, uint64_t *val,
                  struct vgic_emu_effect *eff)
{
    if (off >= 0x400 && off < 0x800) /* GICD_IPRIORITYR<n>: byte accessible */
        return off - 0x400 < 32 ? (write ? 0 : (*val = 0, 0))
                                : bytes_access(e, e->prio, off - 0x400, write, width, val, eff);
    if (off >= 0x6000 && off < 0x6000 + 8 * VGIC_NR_INTIDS) { /* GICD_IROUTER<n> */
        unsigned n = (off - 0x6000) / 8;
        if ((width != 8 && width != 4) || (off & (width - 1)) || n < 32)
            return n < 32 ? (write ? 0 : (*val = 0, 0)) : -1;
        if (write) {
            if (!vgic_emu_owns(e, n)) {
                if (!e->unowned_wi)
                    refuse(eff, (int)n);
                return 0;
            }
            /* Aff0 of one of its own vCPUs, or IRM: keep what fits. */
            e->router[n] = *val & UINT64_C(0x80000000ff);
        } else {
            *val = vgic_emu_owns(e, n) ? e->router[n] : 0;
        }
        return 0;
    }
    if (width != 4 || (off & 3))
        return -1;
    uint32_t v = (uint32_t)*val;
    unsigned bank = 0, first = 0;
    switch (off) {
    case 0x0000: /* GICD_CTLR: DS = 1 (one security state), ARE RAO */
        /* EnableGrp1 (bit 1) only: the VM's GIC offers Group 1 alone,
         * so EnableGrp0 (bit 0) is RAZ/WI; see GICD_IGROUPR below. */
        if (write)
            e->ctlr = v & 0x2;
        else
            *val = e->ctlr | 1u << 4 | 1u << 6;
        return 0;
    case 0x0004: /* GICD_TYPER: IDbits = 9 (10 bits), ITLinesNumber for 1020 INTIDs */
        if (!write)
            *val = 9u << 19 | 30u;
        return 0;
    case 0x000c: /* GICD_TYPER2 (GICv3.1): no vPEs, no vSGIs: zero, not an unknown offset */
        if (!write)
            *val = 0;
        return 0;
    case 0x0008: /* GICD_IIDR: Arm */
        if (!write)
            *val = 0x43b;
        return 0;
    case 0xffe8: /* GICD_PIDR2: ArchRev 3 */
        if (!write)
            *val = 0x3b;
        return 0;
    default:
        break;
    }
    /* Bit-per-INTID registers, n = 1..31 (n = 0 is the SGIs/PPIs, RES0 with
     * affinity routing: those live in the redistributor). */
    static const struct {
        uint32_t base;
        int kind; /* 0 group, 1 set-enable, 2 clear-enable, else enum vgic_state_op + 2 */
    } regs[] = {{0x080, 0},
                {0x100, 1},
                {0x180, 2},
                {0x200, 2 + VGIC_STATE_SET_PENDING},
                {0x280, 2 + VGIC_STATE_CLR_PENDING},
                {0x300, 2 + VGIC_STATE_SET_ACTIVE},
                {0x380, 2 + VGIC_STATE_CLR_ACTIVE}};
    for (unsigned r = 0; r < sizeof regs / sizeof regs[0]; r++) {
        if (off < regs[r].base || off >= regs[r].base + 0x80)
            continue;
        bank = (off - regs[r].base) / 4;
        first = bank * 32;
        if (bank == 0 || first >= VGIC_NR_INTIDS) {
            if (!write)
                *val = 0;
            return 0;
        }
        if (write) {
            int f = foreign(e, first, 32, v);
            if (f >= 0) {
                refuse(eff, f);
                return 0;
            }
        }
        uint32_t own = owned_mask(e, first);
        v &= own; /* bits of INTIDs it does not own are WI */
        switch (regs[r].kind) {
        case 0:
            /* GICD_IGROUPR<n> (12.9.15): every owned INTID is Group 1 (the
             * VM's vGIC delivers Group 1 only: LR.Group = 1, no virtual
             * FIQs), so its bits are RAO/WI: the guest sees on reading
             * back that a Group 0 setting did not take (guests write whole
             * registers: a 0 bit is no request worth reporting). */
            if (!write)
                *val = own;
            return 0;
        case 1:
        case 2:
            if (write) {
                uint32_t old = e->enabled[bank];
                e->enabled[bank] = regs[r].kind == 1 ? old | v : old & ~v;
                eff->enable_bank = bank;
                eff->enable_on = e->enabled[bank] & ~old;
                eff->enable_off = old & ~e->enabled[bank];
            } else {
                *val = e->enabled[bank] & own;
            }
            return 0;
        default:
            /* Pending/active state lives in the list registers: the
             * hypervisor reads or changes it there (its own INTIDs only;
             * SPIs are delivered to vCPU 0). */
            eff->state_op = (enum vgic_state_op)(regs[r].kind - 2);
            eff->state_read = !write;
            eff->state_bank = bank;
            eff->state_vcpu = 0;
            eff->state_mask = write ? v : own;
            if (!write)
                *val = 0;
            return 0;
        }
    }
    if (off >= 0xc00 && off < 0xd00) { /* GICD_ICFGR<n>: 2 bits per INTID */
        unsigned n = (off - 0xc00) / 4;
        first = n * 16;
        if (n < 2 || first >= VGIC_NR_INTIDS) {
            if (!write)
                *val = 0;
            return 0;
        }
        if (write) {
            uint64_t touched = 0;
            for (unsigned i = 0; i < 16; i++)
                if ((v >> (2 * i)) & 3)
                    touched |= UINT64_C(1) << i;
            int f = foreign(e, first, 16, touched);
            if (f >= 0) {
                refuse(eff, f);
                return 0;
            }
            uint32_t m = 0;
            for (unsigned i = 0; i < 16; i++)
                if (vgic_emu_owns(e, first + i))
                    m |= 3u << (2 * i);
            e->cfg[n] = (e->cfg[n] & ~m) | (v & m & 0xaaaaaaaau); /* Int_config[1] only */
        } else {
            uint32_t m = 0;
            for (unsigned i = 0; i < 16; i++)
                if (vgic_emu_owns(e, first + i))
                    m |= 3u << (2 * i);
            *val = e->cfg[n] & m;
        }
        return 0;
    }
    eff->unknown = true;
    if (!write)
        *val = 0;
    return 0;
}

int vgic_emu_redist(struct vgic_emu *e, uint32_t off, bool write, unsigned width, uint64_t *val,
                    struct vgic_emu_effect *eff)
{
    unsigned vcpu = off / VGICR_STRIDE;
    off %= VGICR_STRIDE;
    if (vcpu >= e->nr_vcpus)
        return -1;
    if (off >= 0x10400 && off < 0x10420) /* GICR_IPRIORITYR<n> (SGIs, PPIs) */
        return bytes_access(e, e->r_prio[vcpu], off - 0x10400, write, width, val, eff);
    if (off == 0x0008) { /* GICR_TYPER: Processor_Number, Affinity = Aff0, Last */
        if (width == 4 || width == 8) {
            if (!write) {
                uint64_t t = (uint64_t)vcpu << 32 | (uint64_t)vcpu << 8 |
                             (vcpu + 1 == e->nr_vcpus ? 1u << 4 : 0);
                *val = width == 8 ? t : (uint32_t)t;
            }
            return 0;
        }
        return -1;
    }
    if (off == 0x000c && width == 4) { /* GICR_TYPER[63:32] */
        if (!write)
            *val = vcpu;
        return 0;
    }
    if (width != 4 || (off & 3))
        return -1;
    uint32_t v = (uint32_t)*val;
    switch (off) {
    case 0x0000:      /* GICR_CTLR */
    case 0x10080 + 0: /* GICR_IGROUPR0 */
        break;
    case 0x0004: /* GICR_IIDR */
        if (!write)
            *val = 0x43b;
        return 0;
    case 0x0014: /* GICR_WAKER: ChildrenAsleep follows ProcessorSleep */
        if (write)
            e->r_waker[vcpu] = (v & 2) ? 0x6 : 0;
        else
            *val = e->r_waker[vcpu];
        return 0;
    case 0xffe8: /* GICR_PIDR2 */
        if (!write)
            *val = 0x3b;
        return 0;
    default:
        break;
    }
    uint32_t own = e->owned[0];
    switch (off) {
    case 0x0000:
        if (!write)
            *val = 0;
        return 0;
    case 0x10080: /* GICR_IGROUPR0 */
    case 0x10100: /* GICR_ISENABLER0 */
    case 0x10180: /* GICR_ICENABLER0 */
    case 0x10c04: /* GICR_ICFGR1 (PPIs) */
        if (write) {
            uint64_t touched = v;
            if (off == 0x10c04) {
                touched = 0;
                for (unsigned i = 0; i < 16; i++)
                    if ((v >> (2 * i)) & 3)
                        touched |= UINT64_C(1) << (16 + i);
            }
            int f = foreign(e, 0, 32, touched);
            if (f >= 0) {
                refuse(eff, f);
                return 0;
            }
            /* Bits of INTIDs it does not own are WI. */
            if (off == 0x10080) {
                /* GICR_IGROUPR0: RAO/WI, as GICD_IGROUPR */
            } else if (off == 0x10100) {
                eff->ppi_enable_on |= v & own & ~e->r_enabled[vcpu];
                eff->ppi_vcpu = vcpu;
                e->r_enabled[vcpu] |= v & own;
            } else if (off == 0x10180) {
                eff->ppi_enable_off |= v & own & e->r_enabled[vcpu];
                eff->ppi_vcpu = vcpu;
                e->r_enabled[vcpu] &= ~(v & own);
            } else {
                uint32_t m = 0;
                for (unsigned i = 0; i < 16; i++)
                    if (own & (1u << (16 + i)))
                        m |= 3u << (2 * i);
                e->r_cfg1[vcpu] = (e->r_cfg1[vcpu] & ~m) | (v & m & 0xaaaaaaaau);
            }
        } else {
            *val = off == 0x10080   ? own
                   : off == 0x10c04 ? e->r_cfg1[vcpu]
                                    : e->r_enabled[vcpu] & own;
        }
        return 0;
    case 0x10200: /* GICR_ISPENDR0 */
    case 0x10280: /* GICR_ICPENDR0 */
    case 0x10300: /* GICR_ISACTIVER0 */
    case 0x10380: /* GICR_ICACTIVER0 */
        if (write) {
            int f = foreign(e, 0, 32, v);
            if (f >= 0) {
                refuse(eff, f);
                return 0;
            }
        } else {
            *val = 0;
        }
        eff->state_op = (enum vgic_state_op)(VGIC_STATE_SET_PENDING + (off - 0x10200) / 0x80);
        eff->state_read = !write;
        eff->state_bank = 0;
        eff->state_vcpu = vcpu;
        eff->state_mask = write ? v & own : own;
        return 0;
    case 0x10c00: /* GICR_ICFGR0: SGIs are always edge-triggered (RO) */
        if (!write)
            *val = 0xaaaaaaaau;
        return 0;
    default:
        eff->unknown = true;
        if (!write)
            *val = 0;
        return 0;
    }
}

uint32_t vgic_emu_sgi_targets(const struct vgic_emu *e, unsigned self, uint64_t sgi1r,
                              unsigned *intid)
{
    uint32_t all = (1u << e->nr_vcpus) - 1;
    *intid = (unsigned)(sgi1r >> 24) & 15;
    if ((sgi1r >> 40) & 1)
        return all & ~(1u << self);
    uint64_t aff = sgi1r & (UINT64_C(0xff) << 16 | UINT64_C(0xff) << 32 | UINT64_C(0xf) << 44 |
                            UINT64_C(0xff) << 48);
    return aff ? 0 : (uint32_t)sgi1r & 0xffff & all;
}

bool vgic_emu_sgi_outside(const struct vgic_emu *e, uint64_t sgir)
{
    uint32_t list = (uint32_t)sgir & 0xffff;
    if ((sgir >> 40) & 1 || !list)
        return false; /* IRM = 1: the VM's other vCPUs; an empty list: nobody */
    uint64_t aff = sgir & (UINT64_C(0xff) << 16 | UINT64_C(0xff) << 32 | UINT64_C(0xf) << 44 |
                           UINT64_C(0xff) << 48);
    return aff != 0 || (list >> e->nr_vcpus) != 0;
}
