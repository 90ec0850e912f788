/* hvsim GICv3: the physical CPU interface, ICC_*_EL1 / ICC_SRE_EL2 as system
 * registers (GIC spec 12.2 "AArch64 System register descriptions of the CPU
 * interface"), and the access routing to the virtual interface (ICV_*).
 *
 * One Security state (GICD_CTLR.DS=1): Group 0 interrupts are FIQs, Group 1
 * interrupts (Non-secure Group 1 in the spec's terms) are IRQs. ICC_SRE_ELx
 * read as QEMU's (SRE, DFB, DIB and, at EL2, Enable fixed at 1), so the
 * legacy memory-mapped CPU interface does not exist. The EL3 registers
 * (ICC_CTLR_EL3, ICC_SRE_EL3, ICC_IGRPEN1_EL3) are not registered: the only
 * EL3 code is hvsim's boot ROM, and QEMU virt without secure=on has no EL3.
 *
 * Prioritization follows the GIC spec 4.8 ("Interrupt prioritization") and
 * the pseudocode functions named at each helper: the highest-priority
 * pending interrupt is signalled when its priority is higher than the
 * priority mask (ICC_PMR_EL1) and its group priority (GroupBits(), from the
 * BPR) is higher than the running priority, which is the highest priority
 * recorded in the active priority registers ICC_AP0R/AP1R.
 */
#include "gic_internal.h"

#include <stddef.h>

#define ENC_HCR_EL2 HV_SYSREG(3, 4, 1, 1, 0)
#define ENC_SCR_EL3 HV_SYSREG(3, 6, 1, 1, 0)
#define HCR_FMO     (1ull << 3)
#define HCR_IMO     (1ull << 4)
#define HCR_TGE     (1ull << 27)

#define ICH_HCR_TC    (1u << 10)
#define ICH_HCR_TALL0 (1u << 11)
#define ICH_HCR_TALL1 (1u << 12)
#define ICH_HCR_TDIR  (1u << 14)

/* ICC_CTLR_EL1 (12.2.6): A3V [15], IDbits [13:11] = 1 (24 bits, as QEMU),
 * PRIbits [10:8], EOImode [1], CBPR [0]. */
#define ICC_CTLR_CBPR    (1u << 0)
#define ICC_CTLR_EOIMODE (1u << 1)

/* ---- the access decision ------------------------------------------------------ */

enum hv_gic_route hv_gic_route_access(enum hv_gic_regclass rc, const struct hv_gic_pe_state *s)
{
    if (s->el == 0)
        return HV_GIC_UNDEF; /* no ICC_* register is accessible at EL0 */
    if (rc == HV_GIC_RC_EL2)
        return s->el >= 2 ? HV_GIC_PHYS : HV_GIC_UNDEF;
    if (s->el >= 2 || !s->el2_enabled)
        return HV_GIC_PHYS;

    /* EL1 with EL2 enabled. HCR_EL2.TGE=1 makes FMO/IMO behave as 1 for all
     * purposes other than a direct read (Arm ARM D13, HCR_EL2.TGE). */
    uint64_t hcr = s->hcr_el2;
    if (hcr & HCR_TGE)
        hcr |= HCR_FMO | HCR_IMO;
    bool fmo = hcr & HCR_FMO, imo = hcr & HCR_IMO;
    uint32_t ich = s->ich_hcr_el2;

    switch (rc) {
    case HV_GIC_RC_G0:
        if (ich & ICH_HCR_TALL0)
            return HV_GIC_TRAP_EL2;
        return fmo ? HV_GIC_VIRT : HV_GIC_PHYS;
    case HV_GIC_RC_G1:
        if (ich & ICH_HCR_TALL1)
            return HV_GIC_TRAP_EL2;
        return imo ? HV_GIC_VIRT : HV_GIC_PHYS;
    case HV_GIC_RC_DIR:
        /* ICC_DIR_EL1: TDIR first, then TC (ICH_HCR_EL2.TDIR, 12.4.6). */
        if (ich & (ICH_HCR_TDIR | ICH_HCR_TC))
            return HV_GIC_TRAP_EL2;
        return (fmo || imo) ? HV_GIC_VIRT : HV_GIC_PHYS;
    case HV_GIC_RC_COMMON:
        if (ich & ICH_HCR_TC)
            return HV_GIC_TRAP_EL2;
        return (fmo || imo) ? HV_GIC_VIRT : HV_GIC_PHYS;
    case HV_GIC_RC_SGI:
        /* There is no ICV_SGI*R: a guest's SGI is the hypervisor's to
         * emulate (ICC_SGI1R_EL1 pseudocode). */
        if ((ich & ICH_HCR_TC) || fmo || imo)
            return HV_GIC_TRAP_EL2;
        return HV_GIC_PHYS;
    case HV_GIC_RC_SRE_EL1:
        /* ICC_SRE_EL2.Enable is fixed at 1: EL1 may always use it. */
        return HV_GIC_PHYS;
    case HV_GIC_RC_EL2:
        break;
    }
    return HV_GIC_UNDEF;
}

/* The class of each descriptor: low byte of d->arg; the register index
 * (AP<g>R<n>, LR<n>) is in the next byte. */
#define ARG(rc, n) ((uintptr_t)(rc) | ((uintptr_t)(n) << 8))
#define ARG_RC(d)  ((enum hv_gic_regclass)((d)->arg & 0xff))
#define ARG_N(d)   ((unsigned)(((d)->arg >> 8) & 0xff))

static enum hv_gic_route route_now(const struct gic_pe *pe, struct hv_cpu *cpu,
                                   enum hv_gic_regclass rc)
{
    struct hv_gic_pe_state s = {.el = hv_cpu_el(cpu)};
    if (s.el == 1) {
        uint64_t scr = 0;
        hv_cpu_sysreg_get(cpu, ENC_HCR_EL2, &s.hcr_el2);
        s.el2_enabled = hv_cpu_sysreg_get(cpu, ENC_SCR_EL3, &scr) == 0 && (scr & 1);
        s.ich_hcr_el2 = gic_ich_hcr(pe);
    }
    return hv_gic_route_access(rc, &s);
}

static enum hv_sysreg_decision icc_access(void *ctx, struct hv_cpu *cpu,
                                          const struct hv_sysreg_desc *d, bool is_write)
{
    (void)is_write;
    switch (route_now(gic_pe_of(ctx, cpu), cpu, ARG_RC(d))) {
    case HV_GIC_PHYS:
    case HV_GIC_VIRT:
        return HV_SR_OK;
    case HV_GIC_TRAP_EL2:
        return HV_SR_TRAP_EL2;
    case HV_GIC_UNDEF:
        break;
    }
    return HV_SR_UNDEF;
}

static bool virt(struct gic_pe *pe, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    return route_now(pe, cpu, ARG_RC(d)) == HV_GIC_VIRT;
}

/* ---- priorities -------------------------------------------------------------- */

static unsigned min_bpr(const struct hv_gic *g)
{
    return 7 - g->prebits;
}

/* GroupBits(): the mask of the group priority bits of an interrupt of group
 * grp. BPR n means group priority = bits [7:n+1]; ICC_BPR1_EL1 is one more
 * than the equivalent BPR0 value (so a Group 1 interrupt uses BPR1 - 1),
 * unless CBPR makes Group 1 use ICC_BPR0_EL1 as is (12.2.3, 12.2.4). */
static uint32_t gprio_mask(const struct gic_pe *pe, unsigned grp)
{
    unsigned bpr = (grp == 0 || pe->cbpr) ? pe->bpr[0] : pe->bpr[1] - 1u;
    return (0xffu << (bpr + 1)) & 0xffu;
}

/* The running priority: the highest priority set in ICC_AP0R/AP1R (bit n of
 * the APRs is group priority n << (8 - PREbits)), or 0xff (idle). */
static unsigned highest_active_prio(const struct gic_pe *pe)
{
    const struct hv_gic *g = pe->g;
    for (unsigned i = 0; i < g->naprs; i++) {
        uint32_t apr = pe->apr[0][i] | pe->apr[1][i];
        if (apr)
            return ((i * 32 + (unsigned)__builtin_ctz(apr)) << (8 - g->prebits)) & 0xff;
    }
    return 0xff;
}

/* The group of the highest-priority active interrupt (lowest APR bit),
 * Group 0 on a tie; -1 if none. */
static int highest_active_group(const struct gic_pe *pe)
{
    for (unsigned i = 0; i < pe->g->naprs; i++) {
        unsigned c0 = pe->apr[0][i] ? (unsigned)__builtin_ctz(pe->apr[0][i]) : 32;
        unsigned c1 = pe->apr[1][i] ? (unsigned)__builtin_ctz(pe->apr[1][i]) : 32;
        if (c1 < c0)
            return 1;
        if (c0 < 32)
            return 0;
    }
    return -1;
}

static bool routed_to(const struct hv_gic *g, unsigned intid, unsigned pe)
{
    /* GICD_IROUTER<n>: PE n has affinity 0.0.0.n. */
    return g->irouter[intid - GIC_NUM_PRIVATE] == pe;
}

/* The highest-priority pending interrupt for a PE: pending, enabled, not
 * active, its group enabled in GICD_CTLR and, for SPIs, routed to the PE.
 * Ties go to the lowest INTID (the choice is IMPLEMENTATION DEFINED; QEMU
 * does the same). */
struct gic_hppi gic_cpuif_compute_hppi(struct gic_pe *pe)
{
    struct hv_gic *g = pe->g;
    struct gic_hppi best = {.intid = GIC_INTID_SPURIOUS, .prio = 0xff, .group = 0};
    uint32_t gmask0 = (g->ctlr & GICD_CTLR_ENGRP0) ? ~0u : 0;
    uint32_t gmask1 = (g->ctlr & GICD_CTLR_ENGRP1) ? ~0u : 0;

    for (unsigned bi = 0; bi <= g->nspi_banks; bi++) {
        const struct gic_bank *b = bi == 0 ? &pe->priv : &g->spi[bi - 1];
        uint32_t cand = gic_bank_pending(b) & b->enable & ~b->active &
                        ((b->group & gmask1) | (~b->group & gmask0));
        while (cand) {
            unsigned bit = (unsigned)__builtin_ctz(cand);
            unsigned intid = bi * 32 + bit;
            cand &= cand - 1;
            if (b->prio[bit] >= best.prio)
                continue;
            if (bi && !routed_to(g, intid, pe->idx))
                continue;
            best.intid = intid;
            best.prio = b->prio[bit];
            best.group = (b->group >> bit) & 1;
        }
    }
    return best;
}

/* The signalling condition (QEMU's icc_hppi_can_preempt; GIC spec 4.8.5
 * "Preemption"): group enabled at the CPU interface, priority above the
 * mask, group priority above the running priority. */
bool gic_cpuif_can_signal(const struct gic_pe *pe)
{
    const struct gic_hppi *h = &pe->hppi;
    if (h->intid == GIC_INTID_SPURIOUS || !pe->igrpen[h->group])
        return false;
    if (h->prio >= pe->pmr)
        return false;
    unsigned rprio = highest_active_prio(pe);
    if (rprio == 0xff)
        return true;
    uint32_t mask = gprio_mask(pe, h->group);
    return (h->prio & mask) < (rprio & mask);
}

void gic_deactivate(struct gic_pe *pe, unsigned intid)
{
    struct gic_bank *b = gic_bank_of(pe->g, pe->idx, intid);
    if (!b)
        return;
    uint32_t bit = 1u << (intid % 32);
    gic_emit_irq_bits(pe->g, pe->idx, intid & ~31u, b->active & bit, HV_IRQ_DEACT);
    b->active &= ~bit;
}

/* ---- ICC_IAR / EOIR / DIR / HPPIR ----------------------------------------------- */

/* The INTID that HPPIR<grp> reports (CheckGroup0ForSpecialIdentifiers /
 * CheckGroup1ForSpecialIdentifiers with one Security state): the pending
 * interrupt if it belongs to grp and its group is enabled, 1023 otherwise;
 * at EL3 a Group 1 interrupt shows as 1021 through the Group 0 registers. */
static unsigned hppir_value(struct gic_pe *pe, unsigned grp)
{
    const struct gic_hppi *h = &pe->hppi;
    if (h->intid == GIC_INTID_SPURIOUS || !pe->igrpen[h->group])
        return GIC_INTID_SPURIOUS;
    if (h->group != grp) {
        if (grp == 0 && gic_pe_el(pe) == 3)
            return 1021;
        return GIC_INTID_SPURIOUS;
    }
    return h->intid;
}

/* ICC_IAR0/1_EL1 (12.2.13, 12.2.14): acknowledge the highest-priority
 * pending interrupt if it can be signalled: it becomes active (and stays
 * pending if level-sensitive with the input still asserted), and its group
 * priority is recorded in the APRs, which raises the running priority. */
static unsigned phys_iar(struct gic_pe *pe, unsigned grp)
{
    unsigned intid = gic_cpuif_can_signal(pe) ? hppir_value(pe, grp) : GIC_INTID_SPURIOUS;
    if (intid >= 1020)
        return intid;
    struct gic_bank *b = gic_bank_of(pe->g, pe->idx, intid);
    uint32_t bit = 1u << (intid % 32);
    unsigned gprio = pe->hppi.prio & gprio_mask(pe, pe->hppi.group);
    unsigned aprbit = gprio >> (8 - pe->g->prebits);
    pe->apr[pe->hppi.group][aprbit / 32] |= 1u << (aprbit % 32);
    gic_emit_irq_bits(pe->g, pe->idx, intid & ~31u, bit, HV_IRQ_ACK);
    b->active |= bit;
    b->latch &= ~bit;
    gic_update(pe->g);
    return intid;
}

/* ICC_EOIR0/1_EL1 (12.2.9, 12.2.10): priority drop of the highest active
 * priority, which must belong to the register's group, and with EOImode=0
 * deactivation of the written INTID as well. Writes of special INTIDs or of
 * unimplemented ones are ignored, as are EOIs with nothing active (the
 * behaviour is UNPREDICTABLE; QEMU also ignores them). */
static void phys_eoir(struct gic_pe *pe, unsigned grp, uint64_t v)
{
    unsigned intid = (unsigned)(v & 0xffffff);
    if (intid >= 1020 || !gic_intid_valid(pe->g, intid))
        return;
    int hag = highest_active_group(pe);
    if (hag < 0) {
        gic_guest_error(pe->g, "ICC_EOIR%u_EL1 of INTID %u with no active interrupt", grp, intid);
        return;
    }
    if ((unsigned)hag != grp)
        return;
    for (unsigned i = 0; i < pe->g->naprs; i++) {
        if (pe->apr[grp][i]) {
            pe->apr[grp][i] &= pe->apr[grp][i] - 1; /* clear the lowest set bit */
            break;
        }
    }
    gic_emit_irq_bits(pe->g, pe->idx, intid & ~31u, 1u << (intid % 32), HV_IRQ_EOI);
    if (!pe->eoimode)
        gic_deactivate(pe, intid);
    gic_update(pe->g);
}

/* ICC_DIR_EL1 (12.2.7): deactivation alone, meaningful with EOImode=1. */
static void phys_dir(struct gic_pe *pe, uint64_t v)
{
    unsigned intid = (unsigned)(v & 0xffffff);
    if (!pe->eoimode) {
        gic_guest_error(pe->g, "ICC_DIR_EL1 write (INTID %u) with EOImode=0: ignored", intid);
        return;
    }
    if (intid >= 1020 || !gic_intid_valid(pe->g, intid))
        return;
    gic_deactivate(pe, intid);
    gic_update(pe->g);
}

/* ---- SGIs ------------------------------------------------------------------------- */

/* ICC_SGI0R/SGI1R/ASGI1R_EL1 (12.2.20-22): TargetList [15:0], Aff1 [23:16],
 * INTID [27:24], Aff2 [39:32], IRM [40], RS [47:44], Aff3 [55:48]. An SGI
 * is forwarded to a target only if its configured group matches the one
 * the register generates; with DS=1 from Non-secure state, as QEMU:
 * SGI0R -> Group 0, SGI1R -> Group 1, ASGI1R -> Group 0 only. */
static void gen_sgi(struct gic_pe *src, uint64_t v, unsigned grp)
{
    struct hv_gic *g = src->g;
    unsigned intid = (unsigned)(v >> 24) & 0xf;
    bool irm = (v >> 40) & 1;
    unsigned rs = (unsigned)(v >> 44) & 0xf;
    bool upper_aff = ((v >> 16) & 0xff) || ((v >> 32) & 0xff) || ((v >> 48) & 0xff);

    for (unsigned p = 0; p < g->cfg.ncpus; p++) {
        if (irm) {
            if (p == src->idx)
                continue;
        } else {
            if (upper_aff || p < rs * 16 || p >= rs * 16 + 16 || !((v >> (p - rs * 16)) & 1))
                continue;
        }
        struct gic_bank *b = &g->pe[p].priv;
        if (((b->group >> intid) & 1) != grp)
            continue;
        uint32_t was = gic_bank_pending(b);
        b->latch |= 1u << intid;
        gic_emit_irq_bits(g, p, 0, gic_bank_pending(b) & ~was, HV_IRQ_ASSERT);
    }
    gic_update(g);
}

/* ---- descriptor callbacks ------------------------------------------------------- */

#define PE(ctx) gic_pe_of(ctx, cpu)

static uint64_t rd_iar(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    unsigned grp = ARG_RC(d) == HV_GIC_RC_G1;
    if (virt(PE(ctx), cpu, d))
        return gic_icv_iar(PE(ctx), grp);
    return phys_iar(PE(ctx), grp);
}

static void wr_eoir(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d, uint64_t v)
{
    unsigned grp = ARG_RC(d) == HV_GIC_RC_G1;
    if (virt(PE(ctx), cpu, d))
        gic_icv_eoir(PE(ctx), grp, v);
    else
        phys_eoir(PE(ctx), grp, v);
}

static void wr_dir(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d, uint64_t v)
{
    if (virt(PE(ctx), cpu, d))
        gic_icv_dir(PE(ctx), v);
    else
        phys_dir(PE(ctx), v);
}

static uint64_t rd_hppir(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    unsigned grp = ARG_RC(d) == HV_GIC_RC_G1;
    if (virt(PE(ctx), cpu, d))
        return gic_icv_hppir(PE(ctx), grp);
    return hppir_value(PE(ctx), grp);
}

/* ICC_BPR0/1_EL1 (12.2.3, 12.2.4): values below the minimum (7 - PREbits for
 * BPR0, one more for BPR1) are raised to it. With CBPR=1, BPR1 reads as
 * BPR0 + 1 (saturated at 7) and ignores writes. */
static uint64_t rd_bpr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    struct gic_pe *pe = PE(ctx);
    unsigned grp = ARG_RC(d) == HV_GIC_RC_G1;
    if (virt(pe, cpu, d))
        return gic_icv_bpr_read(pe, grp);
    if (grp == 1 && pe->cbpr)
        return pe->bpr[0] + 1u > 7 ? 7 : pe->bpr[0] + 1u;
    return pe->bpr[grp];
}

static void wr_bpr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d, uint64_t v)
{
    struct gic_pe *pe = PE(ctx);
    unsigned grp = ARG_RC(d) == HV_GIC_RC_G1;
    if (virt(pe, cpu, d)) {
        gic_icv_bpr_write(pe, grp, v);
        return;
    }
    if (grp == 1 && pe->cbpr)
        return;
    unsigned min = min_bpr(pe->g) + grp;
    unsigned val = (unsigned)(v & 7);
    pe->bpr[grp] = (uint8_t)(val < min ? min : val);
    gic_update(pe->g);
}

/* ICC_PMR_EL1 (12.2.18): unimplemented low-order bits RAZ/WI (0xff reads
 * 0xf8 with 5 priority bits, as on QEMU). */
static uint64_t rd_pmr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    if (virt(PE(ctx), cpu, d))
        return gic_icv_pmr_read(PE(ctx));
    return PE(ctx)->pmr;
}

static void wr_pmr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d, uint64_t v)
{
    struct gic_pe *pe = PE(ctx);
    if (virt(pe, cpu, d)) {
        gic_icv_pmr_write(pe, v);
        return;
    }
    pe->pmr = (uint8_t)(v & (0xffu << (8 - pe->g->cfg.pri_bits)));
    gic_update(pe->g);
}

/* ICC_RPR_EL1 (12.2.19): the running priority. */
static uint64_t rd_rpr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    if (virt(PE(ctx), cpu, d))
        return gic_icv_rpr(PE(ctx));
    return highest_active_prio(PE(ctx));
}

static uint64_t rd_ctlr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    struct gic_pe *pe = PE(ctx);
    if (virt(pe, cpu, d))
        return gic_icv_ctlr_read(pe);
    return (1u << 15) | (1u << 11) | ((pe->g->cfg.pri_bits - 1) << 8) |
           (pe->eoimode ? ICC_CTLR_EOIMODE : 0) | (pe->cbpr ? ICC_CTLR_CBPR : 0);
}

static void wr_ctlr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d, uint64_t v)
{
    struct gic_pe *pe = PE(ctx);
    if (virt(pe, cpu, d)) {
        gic_icv_ctlr_write(pe, v);
        return;
    }
    pe->cbpr = v & ICC_CTLR_CBPR;
    pe->eoimode = v & ICC_CTLR_EOIMODE;
    gic_update(pe->g);
}

static uint64_t rd_igrpen(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    unsigned grp = ARG_RC(d) == HV_GIC_RC_G1;
    if (virt(PE(ctx), cpu, d))
        return gic_icv_igrpen_read(PE(ctx), grp);
    return PE(ctx)->igrpen[grp];
}

static void wr_igrpen(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d, uint64_t v)
{
    struct gic_pe *pe = PE(ctx);
    unsigned grp = ARG_RC(d) == HV_GIC_RC_G1;
    if (virt(pe, cpu, d)) {
        gic_icv_igrpen_write(pe, grp, v);
        return;
    }
    pe->igrpen[grp] = v & 1;
    gic_update(pe->g);
}

/* ICC_AP0R<n>/AP1R<n>_EL1 (12.2.1, 12.2.2): software save/restore of the
 * active priorities; the layout is this model's (bit n = group priority
 * n << (8 - PREbits)), as the spec recommends. */
static uint64_t rd_apr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    unsigned grp = ARG_RC(d) == HV_GIC_RC_G1;
    if (virt(PE(ctx), cpu, d))
        return gic_icv_apr_read(PE(ctx), grp, ARG_N(d));
    return PE(ctx)->apr[grp][ARG_N(d)];
}

static void wr_apr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d, uint64_t v)
{
    struct gic_pe *pe = PE(ctx);
    unsigned grp = ARG_RC(d) == HV_GIC_RC_G1;
    if (virt(pe, cpu, d)) {
        gic_icv_apr_write(pe, grp, ARG_N(d), v);
        return;
    }
    pe->apr[grp][ARG_N(d)] = (uint32_t)v;
    gic_update(pe->g);
}

static void wr_sgi(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d, uint64_t v)
{
    /* arg's index byte: 0 SGI0R, 1 SGI1R, 2 ASGI1R. */
    unsigned which = ARG_N(d);
    gen_sgi(PE(ctx), v, which == 1 ? 1 : 0);
}

/* ICC_SRE_EL1 / EL2 (12.2.23, 12.2.24): SRE, DFB, DIB (and Enable at EL2)
 * are RAO/WI, as on QEMU (0x7 and 0xf). */
static uint64_t rd_sre(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    (void)ctx;
    (void)cpu;
    return ARG_RC(d) == HV_GIC_RC_EL2 ? 0xf : 0x7;
}

static void wr_sre(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d, uint64_t v)
{
    (void)ctx;
    (void)cpu;
    (void)d;
    (void)v;
}

/* ---- the table ------------------------------------------------------------------- */

#define SR(nm, crm, op2, rc, n, rd, wr)                                                            \
    {                                                                                              \
        .enc = HV_SYSREG(3, 0, 12, crm, op2), .name = nm, .access = icc_access, .read = rd,        \
        .write = wr, .arg = ARG(rc, n)                                                             \
    }

static const struct hv_sysreg_desc icc_regs[] = {
    {.enc = HV_SYSREG(3, 0, 4, 6, 0),
     .name = "ICC_PMR_EL1",
     .access = icc_access,
     .read = rd_pmr,
     .write = wr_pmr,
     .arg = ARG(HV_GIC_RC_COMMON, 0)},
    SR("ICC_IAR0_EL1", 8, 0, HV_GIC_RC_G0, 0, rd_iar, NULL),
    SR("ICC_EOIR0_EL1", 8, 1, HV_GIC_RC_G0, 0, NULL, wr_eoir),
    SR("ICC_HPPIR0_EL1", 8, 2, HV_GIC_RC_G0, 0, rd_hppir, NULL),
    SR("ICC_BPR0_EL1", 8, 3, HV_GIC_RC_G0, 0, rd_bpr, wr_bpr),
    SR("ICC_DIR_EL1", 11, 1, HV_GIC_RC_DIR, 0, NULL, wr_dir),
    SR("ICC_RPR_EL1", 11, 3, HV_GIC_RC_COMMON, 0, rd_rpr, NULL),
    SR("ICC_SGI1R_EL1", 11, 5, HV_GIC_RC_SGI, 1, NULL, wr_sgi),
    SR("ICC_ASGI1R_EL1", 11, 6, HV_GIC_RC_SGI, 2, NULL, wr_sgi),
    SR("ICC_SGI0R_EL1", 11, 7, HV_GIC_RC_SGI, 0, NULL, wr_sgi),
    SR("ICC_IAR1_EL1", 12, 0, HV_GIC_RC_G1, 0, rd_iar, NULL),
    SR("ICC_EOIR1_EL1", 12, 1, HV_GIC_RC_G1, 0, NULL, wr_eoir),
    SR("ICC_HPPIR1_EL1", 12, 2, HV_GIC_RC_G1, 0, rd_hppir, NULL),
    SR("ICC_BPR1_EL1", 12, 3, HV_GIC_RC_G1, 0, rd_bpr, wr_bpr),
    SR("ICC_CTLR_EL1", 12, 4, HV_GIC_RC_COMMON, 0, rd_ctlr, wr_ctlr),
    SR("ICC_SRE_EL1", 12, 5, HV_GIC_RC_SRE_EL1, 0, rd_sre, wr_sre),
    SR("ICC_IGRPEN0_EL1", 12, 6, HV_GIC_RC_G0, 0, rd_igrpen, wr_igrpen),
    SR("ICC_IGRPEN1_EL1", 12, 7, HV_GIC_RC_G1, 0, rd_igrpen, wr_igrpen),
    {.enc = HV_SYSREG(3, 4, 12, 9, 5),
     .name = "ICC_SRE_EL2",
     .access = icc_access,
     .read = rd_sre,
     .write = wr_sre,
     .arg = ARG(HV_GIC_RC_EL2, 0)},
};

/* ICC_AP0R<n>_EL1 = (3,0,12,8,4+n), ICC_AP1R<n>_EL1 = (3,0,12,9,n); only
 * n < naprs exist (12.2.1): the first naprs entries of each table are
 * registered. */
static const struct hv_sysreg_desc icc_ap0r[] = {
    SR("ICC_AP0R0_EL1", 8, 4, HV_GIC_RC_G0, 0, rd_apr, wr_apr),
    SR("ICC_AP0R1_EL1", 8, 5, HV_GIC_RC_G0, 1, rd_apr, wr_apr),
    SR("ICC_AP0R2_EL1", 8, 6, HV_GIC_RC_G0, 2, rd_apr, wr_apr),
    SR("ICC_AP0R3_EL1", 8, 7, HV_GIC_RC_G0, 3, rd_apr, wr_apr),
};
static const struct hv_sysreg_desc icc_ap1r[] = {
    SR("ICC_AP1R0_EL1", 9, 0, HV_GIC_RC_G1, 0, rd_apr, wr_apr),
    SR("ICC_AP1R1_EL1", 9, 1, HV_GIC_RC_G1, 1, rd_apr, wr_apr),
    SR("ICC_AP1R2_EL1", 9, 2, HV_GIC_RC_G1, 2, rd_apr, wr_apr),
    SR("ICC_AP1R3_EL1", 9, 3, HV_GIC_RC_G1, 3, rd_apr, wr_apr),
};

void gic_cpuif_reset(struct gic_pe *pe)
{
    /* QEMU virt at reset: PMR 0, BPR0/BPR1 at their minimums (2 and 3 with
     * 5 priority bits), groups disabled, EOImode 0, nothing active. */
    pe->pmr = 0;
    pe->bpr[0] = (uint8_t)min_bpr(pe->g);
    pe->bpr[1] = (uint8_t)(min_bpr(pe->g) + 1);
    pe->cbpr = pe->eoimode = false;
    pe->igrpen[0] = pe->igrpen[1] = false;
    for (unsigned i = 0; i < 4; i++)
        pe->apr[0][i] = pe->apr[1][i] = 0;
    pe->hppi.intid = GIC_INTID_SPURIOUS;
    pe->hppi.prio = 0xff;
    pe->hppi.group = 0;
}

/* ID_AA64PFR0_EL1.GIC, bits [27:24] (Arm ARM D17.2.64): 0b0001 when the
 * GICv3 system-register CPU interface is implemented. Unicorn's CPU has no
 * GIC, so QEMU 5.0 reports 0; QEMU 7.2 ORs in 1 when a GICv3 is attached
 * (id_aa64pfr0_read), and Linux reads it ("GIC system register CPU
 * interface"). The rest of the register is QEMU's. Access as for every ID
 * register: UNDEF at EL0 (no FEAT_IDST), a trap to EL2 from EL1 when
 * HCR_EL2.TID3 is set (D13.2.142); read-only. */
#define ENC_ID_AA64PFR0_EL1 HV_SYSREG(3, 0, 0, 4, 0)
#define HCR_TID3            (1ull << 18)
#define HCR_TGE             (1ull << 27)

static enum hv_sysreg_decision idreg_access(void *ctx, struct hv_cpu *cpu,
                                            const struct hv_sysreg_desc *d, bool is_write)
{
    (void)ctx;
    (void)d;
    (void)is_write;
    unsigned el = hv_cpu_el(cpu);
    uint64_t hcr = 0;
    if (el == 0)
        return HV_SR_UNDEF;
    if (el == 1 && hv_cpu_sysreg_get(cpu, ENC_HCR_EL2, &hcr) == 0 && (hcr & HCR_TID3) &&
        !(hcr & HCR_TGE))
        return HV_SR_TRAP_EL2;
    return HV_SR_OK;
}

static uint64_t rd_pfr0(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    (void)ctx;
    uint64_t v = 0;
    hv_cpu_sysreg_get(cpu, d->enc, &v); /* QEMU's own value */
    return (v & ~(0xfull << 24)) | (1ull << 24);
}

static const struct hv_sysreg_desc id_regs[] = {
    {.enc = ENC_ID_AA64PFR0_EL1,
     .name = "ID_AA64PFR0_EL1",
     .access = idreg_access,
     .read = rd_pfr0},
};

int gic_cpuif_register(struct gic_pe *pe, struct hv_err *err)
{
    size_t n = sizeof(icc_regs) / sizeof(icc_regs[0]);
    if (hv_cpu_register_sysregs(pe->cpu, id_regs, 1, pe->g, err) ||
        hv_cpu_register_sysregs(pe->cpu, icc_regs, n, pe->g, err) ||
        hv_cpu_register_sysregs(pe->cpu, icc_ap0r, pe->g->naprs, pe->g, err) ||
        hv_cpu_register_sysregs(pe->cpu, icc_ap1r, pe->g->naprs, pe->g, err))
        return -1;
    return 0;
}
