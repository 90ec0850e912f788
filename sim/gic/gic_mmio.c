/* hvsim GICv3: the distributor (GICD) and redistributor (GICR) MMIO frames.
 *
 * Each frame is a const table of register regions sorted by offset, looked
 * up with bsearch (as KVM's vgic_register_region tables): a region is one
 * register or a range of per-interrupt registers with bits_per_irq bits per
 * INTID (GIC spec 12.9 "The GIC Distributor register descriptions", 12.10
 * and 12.11 for the redistributor's RD_base and SGI_base frames).
 *
 * Access rules (GIC spec 12.1.3 "GIC memory-mapped register access"): every
 * register takes 32-bit accesses; GICD_IPRIORITYR<n> (and GICR_IPRIORITYR<n>)
 * also take byte accesses; the 64-bit registers (GICD_IROUTER<n>,
 * GICR_TYPER) take 64-bit accesses or 32-bit accesses to either half. A
 * 64-bit CPU store arrives as two 4-byte callbacks (unicorn.md), which the
 * half-register merge handles. Anything else, and every offset not in a
 * table, reads as zero, ignores writes and reports HV_EV_GUEST_ERROR.
 *
 * With GICD_CTLR.ARE=1 (fixed here), the GICD registers for INTIDs 0-31 are
 * RAZ/WI: SGIs and PPIs are programmed in each PE's redistributor. With
 * GICD_CTLR.DS=1, GICD_IGRPMODR/GICR_IGRPMODR0 and the NSACRs are RAZ/WI.
 */
#include "gic_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define W8  1u
#define W32 4u
#define W64 8u

#define GICR_FRAME     0x10000u /* RD_base and SGI_base frames are 64 KiB each */
#define GICR_PE_STRIDE 0x20000u

/* Per-interrupt fields (struct gic_reg.arg). */
enum gic_field {
    F_NONE,
    F_GROUP,
    F_SENABLE,
    F_CENABLE,
    F_SPEND,
    F_CPEND,
    F_SACTIVE,
    F_CACTIVE,
    F_PRIO,
    F_CFG,
    F_ROUTER,
};

/* One access, as a region handler sees it. */
struct gic_acc {
    struct hv_gic *g;
    unsigned pe;    /* redistributor accesses: the PE; GICD: 0 */
    bool dist;      /* through the distributor */
    unsigned intid; /* per-IRQ regions: first INTID covered */
    uint32_t off;   /* per-IRQ: byte offset inside the INTID's unit; else inside the region */
    unsigned size;
    uintptr_t arg;
};

struct gic_reg {
    uint32_t off, len;   /* bytes [off, off + len) */
    uint8_t bpi;         /* bits per interrupt; 0 for a single register */
    uint8_t widths;      /* allowed access sizes (W8 | W32 | W64) */
    bool razwi;          /* architecturally RAZ/WI in this configuration: no report */
    uint16_t intid_base; /* INTID of the region's first unit */
    const char *name;
    uint64_t (*read)(const struct gic_acc *a);          /* NULL: RAZ */
    void (*write)(const struct gic_acc *a, uint64_t v); /* NULL: read-only */
    uintptr_t arg;
};

/* ---- 64-bit registers seen through 32-bit halves ------------------------- */

static uint64_t sub64(uint64_t full, uint32_t off, unsigned size)
{
    if (size == 8)
        return full;
    return (full >> ((off & 4) * 8)) & 0xffffffffu;
}

static uint64_t merge64(uint64_t old, uint32_t off, unsigned size, uint64_t v)
{
    if (size == 8)
        return v;
    unsigned sh = (off & 4) * 8;
    return (old & ~(0xffffffffull << sh)) | ((v & 0xffffffffu) << sh);
}

/* ---- per-interrupt registers ------------------------------------------------ */

/* The bank for a per-IRQ access, or NULL when the registers are RAZ/WI:
 * INTIDs 0-31 through the distributor (ARE=1), unimplemented INTIDs. */
static struct gic_bank *acc_bank(const struct gic_acc *a)
{
    if (a->dist && a->intid < GIC_NUM_PRIVATE)
        return NULL;
    return gic_bank_of(a->g, a->pe, a->intid);
}

static uint32_t *bank_field(struct gic_bank *b, uintptr_t f)
{
    switch (f) {
    case F_GROUP:
        return &b->group;
    case F_SENABLE:
    case F_CENABLE:
        return &b->enable;
    case F_SACTIVE:
    case F_CACTIVE:
        return &b->active;
    default:
        return NULL;
    }
}

/* GICD_IGROUPR, I[SC]ENABLER, I[SC]PENDR, I[SC]ACTIVER: one bit per INTID. */
static uint64_t bits_read(const struct gic_acc *a)
{
    struct gic_bank *b = acc_bank(a);
    if (!b)
        return 0;
    if (a->arg == F_SPEND || a->arg == F_CPEND)
        return gic_bank_pending(b);
    return *bank_field(b, a->arg);
}

static void bits_write(const struct gic_acc *a, uint64_t v64)
{
    struct gic_bank *b = acc_bank(a);
    uint32_t v = (uint32_t)v64;
    if (!b)
        return;
    switch (a->arg) {
    case F_GROUP:
        b->group = v;
        break;
    case F_SENABLE:
    case F_SACTIVE:
        *bank_field(b, a->arg) |= v;
        break;
    case F_CENABLE:
    case F_CACTIVE:
        *bank_field(b, a->arg) &= ~v;
        break;
    case F_SPEND: {
        uint32_t was = gic_bank_pending(b);
        b->latch |= v;
        gic_emit_irq_bits(a->g, a->pe, a->intid & ~31u, gic_bank_pending(b) & ~was, HV_IRQ_ASSERT);
        break;
    }
    case F_CPEND: {
        /* Clears the latch only: a level-sensitive interrupt whose input
         * is still asserted stays pending (GICD_ICPENDR<n>). */
        uint32_t was = gic_bank_pending(b);
        b->latch &= ~v;
        gic_emit_irq_bits(a->g, a->pe, a->intid & ~31u, was & ~gic_bank_pending(b),
                          HV_IRQ_DEASSERT);
        break;
    }
    }
    gic_update(a->g);
}

/* GICD_IPRIORITYR<n>: one byte per INTID; unimplemented low-order priority
 * bits are RAZ/WI (GIC spec 4.8 "Interrupt prioritization"). */
static uint64_t prio_read(const struct gic_acc *a)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < a->size; i++) {
        struct gic_acc one = *a;
        one.intid = a->intid + i;
        struct gic_bank *b = acc_bank(&one);
        if (b)
            v |= (uint64_t)b->prio[one.intid % 32] << (8 * i);
    }
    return v;
}

static void prio_write(const struct gic_acc *a, uint64_t v)
{
    uint8_t mask = (uint8_t)(0xffu << (8 - a->g->cfg.pri_bits));
    for (unsigned i = 0; i < a->size; i++) {
        struct gic_acc one = *a;
        one.intid = a->intid + i;
        struct gic_bank *b = acc_bank(&one);
        if (b)
            b->prio[one.intid % 32] = (uint8_t)(v >> (8 * i)) & mask;
    }
    gic_update(a->g);
}

/* GICD_ICFGR<n>: two bits per INTID, Int_config[1] = edge-triggered,
 * Int_config[0] RES0. SGIs are always edge-triggered (read-only). */
static uint64_t cfg_read(const struct gic_acc *a)
{
    struct gic_bank *b = acc_bank(a);
    uint32_t v = 0;
    if (!b)
        return 0;
    unsigned first = a->intid % 32;
    for (unsigned i = 0; i < 16; i++)
        if (b->edge & (1u << (first + i)))
            v |= 2u << (2 * i);
    return v;
}

static void cfg_write(const struct gic_acc *a, uint64_t v)
{
    struct gic_bank *b = acc_bank(a);
    if (!b || a->intid < 16)
        return; /* GICR_ICFGR0 (SGIs) is read-only */
    unsigned first = a->intid % 32;
    for (unsigned i = 0; i < 16; i++) {
        uint32_t bit = 1u << (first + i);
        if (v & (2u << (2 * i)))
            b->edge |= bit;
        else
            b->edge &= ~bit;
    }
    gic_update(a->g);
}

/* GICD_IROUTER<n> (GIC spec 12.9.22): Aff3 [39:32], IRM [31], Aff2..Aff0
 * [23:0]. GICD_TYPER.No1N=1, so IRM is RES0 here; other bits RES0. */
#define IROUTER_MASK 0xff00ffffffull

static uint64_t router_read(const struct gic_acc *a)
{
    if (!gic_intid_valid(a->g, a->intid))
        return 0;
    return sub64(a->g->irouter[a->intid - GIC_NUM_PRIVATE], a->off, a->size);
}

static void router_write(const struct gic_acc *a, uint64_t v)
{
    if (!gic_intid_valid(a->g, a->intid))
        return;
    uint64_t *r = &a->g->irouter[a->intid - GIC_NUM_PRIVATE];
    *r = merge64(*r, a->off, a->size, v) & IROUTER_MASK;
    gic_update(a->g);
}

/* ---- distributor single registers ------------------------------------------------ */

/* QEMU virt's identification values (read from QEMU 7.2): GICD/GICR_IIDR =
 * 0x43b (Arm as implementer), the PrimeCell-style ID block with PIDR2.ArchRev
 * = 3 (GICv3) at 0xFFD0..0xFFFC (PIDR4..7, PIDR0..3, CIDR0..3). */
#define GIC_IIDR 0x43bu
static const uint8_t gicd_ids[12] = {0x44, 0, 0, 0, 0x92, 0xb4, 0x3b, 0, 0x0d, 0xf0, 0x05, 0xb1};
static const uint8_t gicr_ids[12] = {0x44, 0, 0, 0, 0x93, 0xb4, 0x3b, 0, 0x0d, 0xf0, 0x05, 0xb1};

static uint64_t gicd_ctlr_read(const struct gic_acc *a)
{
    /* ARE (bit 4) and DS (bit 6) are RAO/WI; RWP (bit 31) reads 0 because
     * writes take effect at once. */
    return a->g->ctlr | GICD_CTLR_ARE | GICD_CTLR_DS;
}

static void gicd_ctlr_write(const struct gic_acc *a, uint64_t v)
{
    a->g->ctlr = (uint32_t)v & (GICD_CTLR_ENGRP0 | GICD_CTLR_ENGRP1);
    gic_update(a->g);
}

static uint64_t gicd_typer_read(const struct gic_acc *a)
{
    /* No1N [25] = 1, A3V [24] = 1, IDbits [23:19] = 15 (as QEMU), LPIS [17]
     * = 0 (no LPIs, no ITS), MBIS [16] = 0, SecurityExtn [10] = 0 (DS=1),
     * CPUNumber [7:5] = 0 (ARE=1), ITLinesNumber [4:0]. */
    unsigned itl = (GIC_NUM_PRIVATE + a->g->cfg.nspis) / 32 - 1;
    return (1u << 25) | (1u << 24) | (15u << 19) | itl;
}

static uint64_t const_read(const struct gic_acc *a)
{
    return a->arg;
}

static uint64_t id_read(const struct gic_acc *a)
{
    const uint8_t *ids = (const uint8_t *)a->arg;
    return ids[a->off / 4];
}

/* ---- redistributor RD_base registers ---------------------------------------- */

static uint64_t gicr_typer_read(const struct gic_acc *a)
{
    /* GIC spec 12.10.33: Affinity [63:32] = Aff3.Aff2.Aff1.Aff0 of the PE
     * (PE n has Aff0 = n), Processor_Number [23:8], Last [4]; PLPIS = 0. */
    uint64_t last = a->pe == a->g->cfg.ncpus - 1;
    uint64_t v = ((uint64_t)a->pe << 32) | ((uint64_t)a->pe << 8) | (last << 4);
    return sub64(v, a->off, a->size);
}

static uint64_t gicr_waker_read(const struct gic_acc *a)
{
    /* ChildrenAsleep [2] follows ProcessorSleep [1] at once: there is no
     * power management to wait for (GIC spec 12.10.37). */
    return a->g->pe[a->pe].sleep ? 0x6 : 0;
}

static void gicr_waker_write(const struct gic_acc *a, uint64_t v)
{
    a->g->pe[a->pe].sleep = v & 2;
}

static void wi(const struct gic_acc *a, uint64_t v)
{
    (void)a;
    (void)v;
}

/* ---- the tables ------------------------------------------------------------------ */

#define REG(o, l, w, nm, rd, wr, ag)                                                               \
    {                                                                                              \
        .off = (o), .len = (l), .widths = (w), .name = (nm), .read = (rd), .write = (wr),          \
        .arg = (uintptr_t)(ag)                                                                     \
    }
#define IRQREG(o, l, b, w, base, nm, rd, wr, f)                                                    \
    {                                                                                              \
        .off = (o), .len = (l), .bpi = (b), .widths = (w), .intid_base = (base), .name = (nm),     \
        .read = (rd), .write = (wr), .arg = (f)                                                    \
    }
#define RAZWI(o, l, w, nm)                                                                         \
    {                                                                                              \
        .off = (o), .len = (l), .widths = (w), .razwi = true, .name = (nm), .write = wi            \
    }

/* GIC spec 12.9, Table 12-25 "Distributor register map". */
static const struct gic_reg gicd_regs[] = {
    REG(0x0000, 4, W32, "GICD_CTLR", gicd_ctlr_read, gicd_ctlr_write, 0),
    REG(0x0004, 4, W32, "GICD_TYPER", gicd_typer_read, NULL, 0),
    REG(0x0008, 4, W32, "GICD_IIDR", const_read, NULL, GIC_IIDR),
    REG(0x000c, 4, W32, "GICD_TYPER2", const_read, NULL, 0),
    RAZWI(0x0010, 4, W32, "GICD_STATUSR"),
    IRQREG(0x0080, 0x80, 1, W32, 0, "GICD_IGROUPR", bits_read, bits_write, F_GROUP),
    IRQREG(0x0100, 0x80, 1, W32, 0, "GICD_ISENABLER", bits_read, bits_write, F_SENABLE),
    IRQREG(0x0180, 0x80, 1, W32, 0, "GICD_ICENABLER", bits_read, bits_write, F_CENABLE),
    IRQREG(0x0200, 0x80, 1, W32, 0, "GICD_ISPENDR", bits_read, bits_write, F_SPEND),
    IRQREG(0x0280, 0x80, 1, W32, 0, "GICD_ICPENDR", bits_read, bits_write, F_CPEND),
    IRQREG(0x0300, 0x80, 1, W32, 0, "GICD_ISACTIVER", bits_read, bits_write, F_SACTIVE),
    IRQREG(0x0380, 0x80, 1, W32, 0, "GICD_ICACTIVER", bits_read, bits_write, F_CACTIVE),
    IRQREG(0x0400, 0x3fc, 8, W8 | W32, 0, "GICD_IPRIORITYR", prio_read, prio_write, F_PRIO),
    /* ARE=1: ITARGETSR, SGIR, C/SPENDSGIR are RES0; DS=1: IGRPMODR and
     * NSACR are RAZ/WI (12.9.15, 12.9.24). */
    RAZWI(0x0800, 0x400, W8 | W32, "GICD_ITARGETSR"),
    IRQREG(0x0c00, 0x100, 2, W32, 0, "GICD_ICFGR", cfg_read, cfg_write, F_CFG),
    RAZWI(0x0d00, 0x80, W32, "GICD_IGRPMODR"),
    RAZWI(0x0e00, 0x100, W32, "GICD_NSACR"),
    RAZWI(0x0f00, 4, W32, "GICD_SGIR"),
    RAZWI(0x0f10, 0x10, W8 | W32, "GICD_CPENDSGIR"),
    RAZWI(0x0f20, 0x10, W8 | W32, "GICD_SPENDSGIR"),
    IRQREG(0x6100, 0x1ee0, 64, W32 | W64, 32, "GICD_IROUTER", router_read, router_write, F_ROUTER),
    REG(0xffd0, 0x30, W32, "GICD_PIDR/CIDR", id_read, NULL, gicd_ids),
};

/* GIC spec 12.10, Table 12-27 "RD_base frame register map". */
static const struct gic_reg gicr_rd_regs[] = {
    /* GICR_CTLR: EnableLPIs is RES0 without LPIs; RWP/UWP read 0. */
    REG(0x0000, 4, W32, "GICR_CTLR", const_read, wi, 0),
    REG(0x0004, 4, W32, "GICR_IIDR", const_read, NULL, GIC_IIDR),
    REG(0x0008, 8, W32 | W64, "GICR_TYPER", gicr_typer_read, NULL, 0),
    RAZWI(0x0010, 4, W32, "GICR_STATUSR"),
    REG(0x0014, 4, W32, "GICR_WAKER", gicr_waker_read, gicr_waker_write, 0),
    /* LPI registers: LPIs are not implemented (GICR_TYPER.PLPIS=0). */
    RAZWI(0x0040, 8, W32 | W64, "GICR_SETLPIR"),
    RAZWI(0x0048, 8, W32 | W64, "GICR_CLRLPIR"),
    RAZWI(0x0070, 8, W32 | W64, "GICR_PROPBASER"),
    RAZWI(0x0078, 8, W32 | W64, "GICR_PENDBASER"),
    RAZWI(0x00a0, 8, W32 | W64, "GICR_INVLPIR"),
    RAZWI(0x00b0, 8, W32 | W64, "GICR_INVALLR"),
    RAZWI(0x00c0, 4, W32, "GICR_SYNCR"),
    REG(0xffd0, 0x30, W32, "GICR_PIDR/CIDR", id_read, NULL, gicr_ids),
};

/* GIC spec 12.11, Table 12-29 "SGI_base frame register map". */
static const struct gic_reg gicr_sgi_regs[] = {
    IRQREG(0x0080, 4, 1, W32, 0, "GICR_IGROUPR0", bits_read, bits_write, F_GROUP),
    IRQREG(0x0100, 4, 1, W32, 0, "GICR_ISENABLER0", bits_read, bits_write, F_SENABLE),
    IRQREG(0x0180, 4, 1, W32, 0, "GICR_ICENABLER0", bits_read, bits_write, F_CENABLE),
    IRQREG(0x0200, 4, 1, W32, 0, "GICR_ISPENDR0", bits_read, bits_write, F_SPEND),
    IRQREG(0x0280, 4, 1, W32, 0, "GICR_ICPENDR0", bits_read, bits_write, F_CPEND),
    IRQREG(0x0300, 4, 1, W32, 0, "GICR_ISACTIVER0", bits_read, bits_write, F_SACTIVE),
    IRQREG(0x0380, 4, 1, W32, 0, "GICR_ICACTIVER0", bits_read, bits_write, F_CACTIVE),
    IRQREG(0x0400, 0x20, 8, W8 | W32, 0, "GICR_IPRIORITYR", prio_read, prio_write, F_PRIO),
    IRQREG(0x0c00, 8, 2, W32, 0, "GICR_ICFGR", cfg_read, cfg_write, F_CFG),
    RAZWI(0x0d00, 4, W32, "GICR_IGRPMODR0"),
    RAZWI(0x0e00, 4, W32, "GICR_NSACR"),
};

#define NREGS(t) (sizeof(t) / sizeof((t)[0]))

struct gic_frame {
    const struct gic_reg *regs;
    size_t n;
    const char *device;
};

static const struct gic_frame frame_gicd = {gicd_regs, NREGS(gicd_regs), "gicd"};
static const struct gic_frame frame_rd = {gicr_rd_regs, NREGS(gicr_rd_regs), "gicr"};
static const struct gic_frame frame_sgi = {gicr_sgi_regs, NREGS(gicr_sgi_regs), "gicr"};

static int reg_cmp(const void *key, const void *elem)
{
    uint32_t off = *(const uint32_t *)key;
    const struct gic_reg *r = elem;
    if (off < r->off)
        return -1;
    if (off >= r->off + r->len)
        return 1;
    return 0;
}

static const struct gic_reg *lookup(const struct gic_frame *f, uint32_t off)
{
    return bsearch(&off, f->regs, f->n, sizeof(f->regs[0]), reg_cmp);
}

/* ---- dispatch ----------------------------------------------------------------------- */

static void emit_mmio(struct hv_gic *g, const char *dev, uint64_t pa, unsigned size, uint64_t v,
                      bool is_write)
{
    struct hv_event ev;
    if (!hv_obs_wants(g->obs, HV_EV_MMIO))
        return;
    memset(&ev, 0, sizeof(ev));
    ev.type = HV_EV_MMIO;
    ev.u.mmio.pa = pa;
    ev.u.mmio.value = v;
    ev.u.mmio.device = dev;
    ev.u.mmio.size = (uint8_t)size;
    ev.u.mmio.is_write = is_write;
    hv_obs_emit(g->obs, &ev);
}

/* Validate the access and fill a; false: a bad access (already reported). */
static bool decode(struct hv_gic *g, const struct gic_frame *f, unsigned pe, bool dist,
                   uint64_t off, unsigned size, bool is_write, uint64_t pa,
                   const struct gic_reg **out, struct gic_acc *a)
{
    const struct gic_reg *r = off < 0x10000 ? lookup(f, (uint32_t)off) : NULL;
    const char *what = is_write ? "write" : "read";

    if (!r) {
        gic_guest_error(g, "%s of %u bytes at reserved %s offset 0x%llx (pa 0x%llx)", what, size,
                        f->device, (unsigned long long)off, (unsigned long long)pa);
        return false;
    }
    if (size == 0 || size > 8 || (size & (size - 1)) || !(r->widths & size) || (off & (size - 1))) {
        gic_guest_error(g, "%s of %u bytes at %s+0x%llx (%s): bad width or alignment", what, size,
                        f->device, (unsigned long long)off, r->name);
        return false;
    }
    uint32_t rel = (uint32_t)off - r->off;
    memset(a, 0, sizeof(*a));
    a->g = g;
    a->pe = pe;
    a->dist = dist;
    a->size = size;
    a->arg = r->arg;
    if (r->bpi) {
        unsigned unit = r->bpi >= 8 ? r->bpi / 8 : 1; /* bytes per INTID, or 1 */
        a->intid = r->intid_base + (r->bpi >= 8 ? rel / unit : rel * 8 / r->bpi);
        a->off = rel % unit;
    } else {
        a->off = rel;
    }
    *out = r;
    return true;
}

static uint64_t do_read(struct hv_gic *g, const struct gic_frame *f, unsigned pe, bool dist,
                        uint64_t off, unsigned size, uint64_t pa)
{
    const struct gic_reg *r;
    struct gic_acc a;
    uint64_t v = 0;
    if (decode(g, f, pe, dist, off, size, false, pa, &r, &a) && r->read)
        v = r->read(&a);
    if (size < 8)
        v &= (1ull << (8 * size)) - 1;
    emit_mmio(g, f->device, pa, size, v, false);
    return v;
}

static void do_write(struct hv_gic *g, const struct gic_frame *f, unsigned pe, bool dist,
                     uint64_t off, unsigned size, uint64_t v, uint64_t pa)
{
    const struct gic_reg *r;
    struct gic_acc a;
    if (size < 8)
        v &= (1ull << (8 * size)) - 1;
    emit_mmio(g, f->device, pa, size, v, true);
    if (!decode(g, f, pe, dist, off, size, true, pa, &r, &a))
        return;
    if (!r->write) {
        gic_guest_error(g, "write of 0x%llx to read-only %s", (unsigned long long)v, r->name);
        return;
    }
    r->write(&a, v);
}

uint64_t hv_gic_dist_read(void *ctx, uint64_t offset, unsigned size)
{
    struct hv_gic *g = ctx;
    return do_read(g, &frame_gicd, 0, true, offset, size, g->gicd_pa + offset);
}

void hv_gic_dist_write(void *ctx, uint64_t offset, unsigned size, uint64_t value)
{
    struct hv_gic *g = ctx;
    do_write(g, &frame_gicd, 0, true, offset, size, value, g->gicd_pa + offset);
}

/* The redistributor region: one 128 KiB block per PE, RD_base then
 * SGI_base. Offsets past the last PE are reserved. */
static const struct gic_frame *redist_frame(struct hv_gic *g, uint64_t *off, unsigned *pe)
{
    uint64_t p = *off / GICR_PE_STRIDE;
    if (p >= g->cfg.ncpus)
        return NULL;
    *pe = (unsigned)p;
    *off %= GICR_PE_STRIDE;
    if (*off >= GICR_FRAME) {
        *off -= GICR_FRAME;
        return &frame_sgi;
    }
    return &frame_rd;
}

uint64_t hv_gic_redist_read(void *ctx, uint64_t offset, unsigned size)
{
    struct hv_gic *g = ctx;
    uint64_t off = offset;
    unsigned pe = 0;
    const struct gic_frame *f = redist_frame(g, &off, &pe);
    if (!f) {
        gic_guest_error(g, "read of %u bytes at gicr+0x%llx: no redistributor there", size,
                        (unsigned long long)offset);
        emit_mmio(g, "gicr", g->gicr_pa + offset, size, 0, false);
        return 0;
    }
    return do_read(g, f, pe, false, off, size, g->gicr_pa + offset);
}

void hv_gic_redist_write(void *ctx, uint64_t offset, unsigned size, uint64_t value)
{
    struct hv_gic *g = ctx;
    uint64_t off = offset;
    unsigned pe = 0;
    const struct gic_frame *f = redist_frame(g, &off, &pe);
    if (!f) {
        gic_guest_error(g, "write of %u bytes at gicr+0x%llx: no redistributor there", size,
                        (unsigned long long)offset);
        emit_mmio(g, "gicr", g->gicr_pa + offset, size, value, true);
        return;
    }
    do_write(g, f, pe, false, off, size, value, g->gicr_pa + offset);
}

/* Our own consistency: every table sorted and without overlaps (bsearch
 * depends on it), per-IRQ regions a whole number of units. */
static bool frame_ok(const struct gic_frame *f)
{
    for (size_t i = 0; i < f->n; i++) {
        const struct gic_reg *r = &f->regs[i];
        if (i && f->regs[i - 1].off + f->regs[i - 1].len > r->off)
            return false;
        if (r->bpi >= 8 && r->len % (r->bpi / 8))
            return false;
    }
    return true;
}

bool gic_mmio_tables_ok(void)
{
    return frame_ok(&frame_gicd) && frame_ok(&frame_rd) && frame_ok(&frame_sgi);
}
