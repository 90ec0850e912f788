/* hvsim GICv3: state shared by the model's source files (not a public API).
 *
 * References: "GIC architecture specification, GICv3 and GICv4", Arm IHI 0069
 * ("GIC spec" below): chapter 4 "Physical Interrupt Handling and
 * Prioritization", chapter 6 "Virtual interrupt handling and
 * prioritization", chapter 12 "Programmers' model" (register descriptions)
 * and the "Pseudocode" chapter (function names quoted in comments).
 *
 * Interrupt state is kept as 32-bit bitmaps per bank of 32 INTIDs, so that
 * the bit-per-interrupt registers (GICD_ISENABLER<n>, ...) are plain word
 * operations and the search for the highest-priority pending interrupt can
 * skip whole words with nothing pending.
 */
#ifndef HV_GIC_INTERNAL_H
#define HV_GIC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu_el2/cpu.h"
#include "gic.h"

#define GIC_MAX_PES        8
#define GIC_MAX_LRS        16
#define GIC_NUM_PRIVATE    32 /* SGIs 0-15 and PPIs 16-31, per PE */
#define GIC_INTID_SPURIOUS 1023u
#define GIC_MAINT_PPI      25 /* the maintenance interrupt, as QEMU virt and GIC-500 */
#define GIC_VPRI_BITS      5  /* virtual priority/preemption bits (ICH_VTR_EL2) */

/* One bank of 32 interrupts. pending = latch | (level & ~edge): the latch is
 * the pending state set by an edge, by GICD_ISPENDR or by an SGI; a
 * level-sensitive interrupt is also pending while its input is asserted
 * (GIC spec 4.1.2 "Interrupt lifecycle", level-sensitive interrupts). */
struct gic_bank {
    uint32_t group;  /* GICD_IGROUPR: 0 Group 0 (FIQ), 1 Group 1 (IRQ) */
    uint32_t enable; /* GICD_ISENABLER */
    uint32_t latch;  /* pending latch */
    uint32_t level;  /* input line level */
    uint32_t active; /* GICD_ISACTIVER */
    uint32_t edge;   /* GICD_ICFGR Int_config[1]: 1 edge-triggered */
    uint8_t prio[32];
};

static inline uint32_t gic_bank_pending(const struct gic_bank *b)
{
    return b->latch | (b->level & ~b->edge);
}

/* The highest-priority pending interrupt of a PE, as the CPU interface sees
 * it (QEMU's "hppi"). prio 0xff with intid SPURIOUS: none. */
struct gic_hppi {
    unsigned intid;
    uint8_t prio;
    uint8_t group;
};

struct hv_gic;

/* One PE: its redistributor, its physical CPU interface and its virtual
 * CPU interface (ICH_* state). */
struct gic_pe {
    struct hv_gic *g;
    unsigned idx;
    struct hv_cpu *cpu; /* NULL: no PE attached (lines go nowhere) */

    /* Redistributor. */
    struct gic_bank priv; /* INTIDs 0..31 */
    bool sleep;           /* GICR_WAKER.ProcessorSleep */

    /* Physical CPU interface (ICC_*). */
    uint8_t pmr;
    uint8_t bpr[2];
    bool cbpr, eoimode;
    bool igrpen[2];
    uint32_t apr[2][4]; /* ICC_AP0R<n>_EL1, ICC_AP1R<n>_EL1 */
    struct gic_hppi hppi;

    /* Virtual CPU interface (ICH_*). */
    uint32_t ich_hcr;
    uint32_t ich_vmcr;
    uint64_t lr[GIC_MAX_LRS];
    uint32_t ich_apr[2][4];
    bool maint; /* maintenance interrupt output level */
};

struct hv_gic {
    struct hv_gic_config cfg;
    struct hv_obs *obs;
    unsigned prebits; /* physical preemption bits */
    unsigned naprs;   /* ICC_AP<g>R<n>_EL1 registers implemented */

    uint32_t ctlr;        /* GICD_CTLR: EnableGrp0 / EnableGrp1 (ARE, DS read as 1) */
    struct gic_bank *spi; /* nspis / 32 banks, INTID 32 + 32 * i */
    uint64_t *irouter;    /* GICD_IROUTER<n>, per SPI */
    unsigned nspi_banks;

    uint64_t gicd_pa, gicr_pa; /* for HV_EV_MMIO (hv_gic_set_mmio_base) */
    bool updating;
    struct gic_pe pe[GIC_MAX_PES];
};

#define GICD_CTLR_ENGRP0 (1u << 0)
#define GICD_CTLR_ENGRP1 (1u << 1)
#define GICD_CTLR_ARE    (1u << 4)
#define GICD_CTLR_DS     (1u << 6)

/* gic.c */
/* The PE whose CPU interface a system-register callback serves: descriptors
 * are registered with ctx = the struct hv_gic * (as the timer does), so
 * tests can call them with the public handle. */
struct gic_pe *gic_pe_of(void *ctx, const struct hv_cpu *cpu);
struct gic_bank *gic_bank_of(struct hv_gic *g, unsigned pe, unsigned intid);
bool gic_intid_valid(const struct hv_gic *g, unsigned intid);
void gic_update(struct hv_gic *g);
void gic_guest_error(struct hv_gic *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gic_unimpl(struct hv_gic *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
unsigned gic_pe_el(const struct gic_pe *pe);
/* Observer events (docs/trace-format.md: irq, lr, virq, maint). Each fills
 * the common part from the PE (its EL, the PC of the access being served)
 * and costs one test when nobody subscribed. */
void gic_emit(struct gic_pe *pe, struct hv_event *ev);
/* HV_EV_IRQ for every INTID in `bits` of the bank holding `base` (a
 * multiple of 32) as seen by PE pe. */
void gic_emit_irq_bits(struct hv_gic *g, unsigned pe, unsigned base, uint32_t bits,
                       enum hv_irq_op op);

/* gic_mmio.c: our own check of the register tables (sorted, disjoint). */
bool gic_mmio_tables_ok(void);

/* gic_cpuif.c: the physical CPU interface. */
void gic_cpuif_reset(struct gic_pe *pe);
int gic_cpuif_register(struct gic_pe *pe, struct hv_err *err);
struct gic_hppi gic_cpuif_compute_hppi(struct gic_pe *pe);
bool gic_cpuif_can_signal(const struct gic_pe *pe);
void gic_deactivate(struct gic_pe *pe, unsigned intid);

/* gic_virt.c: the virtual CPU interface. */
void gic_virt_reset(struct gic_pe *pe);
int gic_virt_register(struct gic_pe *pe, struct hv_err *err);
/* vIRQ/vFIQ levels and the maintenance interrupt condition. */
void gic_virt_outputs(const struct gic_pe *pe, bool *virq, bool *vfiq, bool *maint);
/* ICV_* effects, called by the ICC descriptors when the access goes to the
 * virtual interface (HCR_EL2.IMO/FMO at EL1). grp: 0 or 1. */
uint64_t gic_icv_iar(struct gic_pe *pe, unsigned grp);
void gic_icv_eoir(struct gic_pe *pe, unsigned grp, uint64_t v);
void gic_icv_dir(struct gic_pe *pe, uint64_t v);
uint64_t gic_icv_hppir(struct gic_pe *pe, unsigned grp);
uint64_t gic_icv_bpr_read(struct gic_pe *pe, unsigned grp);
void gic_icv_bpr_write(struct gic_pe *pe, unsigned grp, uint64_t v);
uint64_t gic_icv_pmr_read(struct gic_pe *pe);
void gic_icv_pmr_write(struct gic_pe *pe, uint64_t v);
uint64_t gic_icv_rpr(struct gic_pe *pe);
uint64_t gic_icv_ctlr_read(struct gic_pe *pe);
void gic_icv_ctlr_write(struct gic_pe *pe, uint64_t v);
uint64_t gic_icv_igrpen_read(struct gic_pe *pe, unsigned grp);
void gic_icv_igrpen_write(struct gic_pe *pe, unsigned grp, uint64_t v);
uint64_t gic_icv_apr_read(struct gic_pe *pe, unsigned grp, unsigned n);
void gic_icv_apr_write(struct gic_pe *pe, unsigned grp, unsigned n, uint64_t v);
/* ICH_MISR_EL2: the maintenance interrupt's causes (for HV_EV_MAINT). */
uint32_t gic_virt_misr(const struct gic_pe *pe);
/* The hypervisor's view, for the ICC descriptors' route decision. */
uint32_t gic_ich_hcr(const struct gic_pe *pe);

#endif
