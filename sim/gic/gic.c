/* hvsim GICv3: life cycle, interrupt inputs and the output recomputation.
 * See gic.h for the model and gic_internal.h for the state layout. */
#include "gic_internal.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reports -------------------------------------------------------------- */

unsigned gic_pe_el(const struct gic_pe *pe)
{
    return pe->cpu ? hv_cpu_el(pe->cpu) : 0;
}

static void text_event(struct hv_gic *g, enum hv_ev_type t, const char *fmt, va_list ap)
{
    char buf[200];
    if (!hv_obs_wants(g->obs, t))
        return;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    hv_obs_text(g->obs, t, 0, 0, "gic: %s", buf);
}

void gic_guest_error(struct hv_gic *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_event(g, HV_EV_GUEST_ERROR, fmt, ap);
    va_end(ap);
}

void gic_unimpl(struct hv_gic *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_event(g, HV_EV_UNIMPL, fmt, ap);
    va_end(ap);
}

void gic_emit(struct gic_pe *pe, struct hv_event *ev)
{
    ev->pe = (uint8_t)pe->idx;
    ev->el = (uint8_t)gic_pe_el(pe);
    ev->pc = pe->cpu ? hv_cpu_access_pc(pe->cpu) : 0;
    hv_obs_emit(pe->g->obs, ev);
}

void gic_emit_irq_bits(struct hv_gic *g, unsigned pe, unsigned base, uint32_t bits,
                       enum hv_irq_op op)
{
    if (!bits || !hv_obs_wants(g->obs, HV_EV_IRQ))
        return;
    struct gic_bank *b = gic_bank_of(g, pe, base);
    if (!b)
        return;
    /* SPIs are delivered to PE 0 (GICD_IROUTER is only honoured for one PE
     * today, docs/gic.md); the event's common part is that PE's. */
    struct gic_pe *p = &g->pe[base < GIC_NUM_PRIVATE ? pe : 0];
    while (bits) {
        unsigned i = (unsigned)__builtin_ctz(bits);
        bits &= bits - 1;
        struct hv_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = HV_EV_IRQ;
        ev.u.irq.op = (uint8_t)op;
        ev.u.irq.intid = base + i;
        ev.u.irq.group = (uint8_t)((b->group >> i) & 1);
        ev.u.irq.prio = b->prio[i];
        ev.u.irq.target = (uint8_t)p->idx;
        gic_emit(p, &ev);
    }
}

struct gic_pe *gic_pe_of(void *ctx, const struct hv_cpu *cpu)
{
    struct hv_gic *g = ctx;
    for (unsigned i = 1; i < g->cfg.ncpus; i++)
        if (g->pe[i].cpu == cpu)
            return &g->pe[i];
    return &g->pe[0];
}

/* ---- interrupt state -------------------------------------------------------- */

bool gic_intid_valid(const struct hv_gic *g, unsigned intid)
{
    return intid < GIC_NUM_PRIVATE + g->cfg.nspis;
}

/* The bank holding intid: the PE's redistributor for SGIs/PPIs (GIC spec
 * 12.11, GICR_* SGI_base frame), the distributor for SPIs. NULL for INTIDs
 * that are not implemented. */
struct gic_bank *gic_bank_of(struct hv_gic *g, unsigned pe, unsigned intid)
{
    if (intid < GIC_NUM_PRIVATE)
        return pe < g->cfg.ncpus ? &g->pe[pe].priv : NULL;
    if (!gic_intid_valid(g, intid))
        return NULL;
    return &g->spi[(intid - GIC_NUM_PRIVATE) / 32];
}

/* Recompute every output after a state change: for each PE, the virtual
 * interface first (its maintenance interrupt is PPI 25, an input of the
 * same PE's redistributor), then the highest-priority pending physical
 * interrupt and the IRQ/FIQ lines. With GICD_CTLR.DS=1 there is one
 * Security state: Group 0 is signalled as FIQ and Group 1 as IRQ (GIC spec
 * 4.6.2 "Interrupt assignment to IRQ and FIQ signals"). */
void gic_update(struct hv_gic *g)
{
    if (g->updating)
        return;
    g->updating = true;
    for (unsigned i = 0; i < g->cfg.ncpus; i++) {
        struct gic_pe *pe = &g->pe[i];
        bool virq, vfiq, maint;

        gic_virt_outputs(pe, &virq, &vfiq, &maint);
        if (maint != pe->maint && hv_obs_wants(g->obs, HV_EV_MAINT)) {
            /* GIC spec 6.4.5 "Maintenance interrupts": the cause is in
             * ICH_MISR_EL2; the PPI itself (25) is this PE's input. */
            struct hv_event ev;
            memset(&ev, 0, sizeof(ev));
            ev.type = HV_EV_MAINT;
            ev.u.maint.level = maint;
            ev.u.maint.misr = gic_virt_misr(pe);
            gic_emit(pe, &ev);
        }
        pe->maint = maint;
        if (maint) {
            uint32_t was = gic_bank_pending(&pe->priv);
            pe->priv.level |= 1u << GIC_MAINT_PPI;
            gic_emit_irq_bits(g, i, 0, gic_bank_pending(&pe->priv) & ~was, HV_IRQ_ASSERT);
        } else {
            uint32_t was = gic_bank_pending(&pe->priv);
            pe->priv.level &= ~(1u << GIC_MAINT_PPI);
            gic_emit_irq_bits(g, i, 0, was & ~gic_bank_pending(&pe->priv), HV_IRQ_DEASSERT);
        }

        pe->hppi = gic_cpuif_compute_hppi(pe);
        bool sig = gic_cpuif_can_signal(pe);
        if (pe->cpu) {
            hv_cpu_set_line(pe->cpu, HV_LINE_FIQ, sig && pe->hppi.group == 0);
            hv_cpu_set_line(pe->cpu, HV_LINE_IRQ, sig && pe->hppi.group == 1);
            hv_cpu_set_line(pe->cpu, HV_LINE_VFIQ, vfiq);
            hv_cpu_set_line(pe->cpu, HV_LINE_VIRQ, virq);
        }
    }
    g->updating = false;
}

/* ---- inputs ------------------------------------------------------------------ */

/* A level change on an interrupt input. Edge-triggered: a rising edge sets
 * the pending latch. Level-sensitive: pending follows the level (see
 * gic_bank_pending). GIC spec 4.1.2. */
static void set_input(struct hv_gic *g, unsigned pe, unsigned intid, bool level)
{
    struct gic_bank *b = gic_bank_of(g, pe, intid);
    uint32_t bit = 1u << (intid % 32);
    if (!b)
        return;
    bool old = b->level & bit;
    if (old == level)
        return;
    uint32_t was_pending = gic_bank_pending(b);
    if (level) {
        b->level |= bit;
        if (b->edge & bit)
            b->latch |= bit;
    } else {
        b->level &= ~bit;
    }
    gic_emit_irq_bits(g, pe, intid & ~31u, gic_bank_pending(b) & ~was_pending & bit, HV_IRQ_ASSERT);
    /* A level-sensitive interrupt is pending only while its input is high
     * (GIC spec 4.1.2): the line falling withdraws it. */
    gic_emit_irq_bits(g, pe, intid & ~31u, was_pending & ~gic_bank_pending(b) & bit,
                      HV_IRQ_DEASSERT);
    gic_update(g);
}

void hv_gic_set_spi(struct hv_gic *g, unsigned spi, bool level)
{
    if (spi >= g->cfg.nspis) {
        gic_unimpl(g, "SPI %u (INTID %u) driven but only %u SPIs exist", spi, spi + GIC_NUM_PRIVATE,
                   g->cfg.nspis);
        return;
    }
    set_input(g, 0, GIC_NUM_PRIVATE + spi, level);
}

void hv_gic_set_ppi(struct hv_gic *g, unsigned cpu, unsigned intid, bool level)
{
    if (cpu >= g->cfg.ncpus || intid < 16 || intid >= GIC_NUM_PRIVATE || intid == GIC_MAINT_PPI) {
        gic_unimpl(g, "PPI input %u on PE %u does not exist", intid, cpu);
        return;
    }
    set_input(g, cpu, intid, level);
}

void hv_gic_ppi_pe0(void *g, unsigned intid, bool level)
{
    hv_gic_set_ppi(g, 0, intid, level);
}

void hv_gic_set_mmio_base(struct hv_gic *g, uint64_t gicd_pa, uint64_t gicr_pa)
{
    g->gicd_pa = gicd_pa;
    g->gicr_pa = gicr_pa;
}

/* ---- life cycle -------------------------------------------------------------- */

static void reset_bank(struct gic_bank *b)
{
    memset(b, 0, sizeof(*b));
}

int hv_gic_create(struct hv_gic **out, const struct hv_gic_config *cfg, struct hv_cpu *cpu,
                  struct hv_obs *obs, struct hv_err *err)
{
    *out = NULL;
    if (cfg->nspis < 32 || cfg->nspis % 32 || cfg->nspis > 960)
        return hv_err_set(err, "GIC: nspis %u: must be a multiple of 32 in 32..960", cfg->nspis);
    if (cfg->nlrs < 1 || cfg->nlrs > GIC_MAX_LRS)
        return hv_err_set(err, "GIC: nlrs %u: must be 1..%d", cfg->nlrs, GIC_MAX_LRS);
    if (cfg->pri_bits < 4 || cfg->pri_bits > 8)
        return hv_err_set(err, "GIC: pri_bits %u: must be 4..8", cfg->pri_bits);
    if (cfg->ncpus < 1 || cfg->ncpus > GIC_MAX_PES)
        return hv_err_set(err, "GIC: ncpus %u: must be 1..%d", cfg->ncpus, GIC_MAX_PES);

    /* Our own bug if the register tables are not sorted (bsearch). */
    assert(gic_mmio_tables_ok());

    struct hv_gic *g = calloc(1, sizeof(*g));
    if (!g)
        return hv_err_set(err, "out of memory");
    g->cfg = *cfg;
    g->obs = obs;
    /* Preemption bits: all priority bits up to 7 (GIC spec 12.1 "ICC_CTLR_EL1
     * PRIbits"; at most 128 preemption levels, ICC_AP<g>R<n> n < 4). */
    g->prebits = cfg->pri_bits > 7 ? 7 : cfg->pri_bits;
    g->naprs = g->prebits > 5 ? 1u << (g->prebits - 5) : 1;
    g->nspi_banks = cfg->nspis / 32;
    g->spi = calloc(g->nspi_banks, sizeof(*g->spi));
    g->irouter = calloc(cfg->nspis, sizeof(*g->irouter));
    if (!g->spi || !g->irouter) {
        hv_gic_destroy(g);
        return hv_err_set(err, "out of memory");
    }
    /* GICD_CTLR resets with ARE and DS set (RAO/WI), groups disabled: QEMU
     * virt reads 0x50 before software enables a group. */
    g->ctlr = 0;
    for (unsigned i = 0; i < g->nspi_banks; i++)
        reset_bank(&g->spi[i]);
    for (unsigned i = 0; i < cfg->ncpus; i++) {
        struct gic_pe *pe = &g->pe[i];
        pe->g = g;
        pe->idx = i;
        pe->cpu = i == 0 ? cpu : NULL;
        reset_bank(&pe->priv);
        /* SGIs are always edge-triggered (GICR_ICFGR0 reads 0xaaaaaaaa). */
        pe->priv.edge = 0xffff;
        pe->sleep = true; /* GICR_WAKER.ProcessorSleep resets to 1 */
        gic_cpuif_reset(pe);
        gic_virt_reset(pe);
        if (pe->cpu) {
            if (gic_cpuif_register(pe, err) || gic_virt_register(pe, err)) {
                hv_err_prefix(err, "GIC");
                hv_gic_destroy(g);
                return -1;
            }
        }
    }
    gic_update(g);
    *out = g;
    return 0;
}

void hv_gic_destroy(struct hv_gic *g)
{
    if (!g)
        return;
    free(g->spi);
    free(g->irouter);
    free(g);
}
