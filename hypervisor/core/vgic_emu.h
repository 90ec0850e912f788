/* The emulated GICv3 distributor and redistributors a VM sees (trapped
 * through stage 2), with per-VM INTID ownership. Pure state and decisions
 * (host-testable): the caller applies the reported effects (physical
 * enables for passthrough SPIs, recording violations).
 *
 * A VM owns: the SGIs 0-15 and the virtual-timer PPI of its own vCPUs
 * (virtual-only), and the SPIs its configuration gives it (passthrough
 * devices, emulated devices). A write that would change the configuration
 * of any other INTID is refused as a whole (nothing of it is applied) and
 * reported; reads of INTIDs it does not own return zeros. Register map:
 * GICv3 spec (IHI 0069) 12.9 (GICD) and 12.10/12.11 (GICR RD_base and
 * SGI_base). */
#ifndef HYP_VGIC_EMU_H
#define HYP_VGIC_EMU_H

#include <stdbool.h>
#include <stdint.h>

#define VGIC_NR_INTIDS 1020 /* SGIs, PPIs, SPIs up to 1019 */
#define VGIC_MAX_VCPUS 4
#define VGICD_SIZE     0x10000u
#define VGICR_STRIDE   0x20000u

struct vgic_emu {
    unsigned nr_vcpus;
    /* false: a write touching an INTID the VM does not own is refused as a
     * whole and reported. true: INTIDs it does not own behave as not
     * implemented, their bits RAZ/WI (GICv3 12.1.x); the owned bits of the
     * same write are applied and nothing is reported (a guest such as
     * Linux initialises every INTID the distributor advertises). */
    bool unowned_wi;
    unsigned vtimer_ppi; /* INTID of the virtual timer (27) */
    uint32_t owned[VGIC_NR_INTIDS / 32 + 1];
    uint32_t ctlr;
    uint32_t enabled[VGIC_NR_INTIDS / 32 + 1]; /* SPIs; bank 0 unused */
    uint8_t prio[VGIC_NR_INTIDS];              /* SPIs */
    uint32_t cfg[VGIC_NR_INTIDS / 16 + 1];     /* SPIs */
    uint64_t router[VGIC_NR_INTIDS];           /* SPIs */
    /* Per vCPU: SGIs and PPIs (GICR SGI_base). */
    uint32_t r_enabled[VGIC_MAX_VCPUS], r_cfg1[VGIC_MAX_VCPUS];
    uint8_t r_prio[VGIC_MAX_VCPUS][32];
    uint32_t r_waker[VGIC_MAX_VCPUS];
    /* The pending state of owned interrupts the guest has disabled
     * (GICv3 4.1.2: an interrupt's pending state is independent of its
     * enable; a disabled one stays pending and is not forwarded to the
     * CPU interface): set by GICD_ISPENDR/GICR_ISPENDR0 or an SGI sent to
     * a disabled target, cleared by ICPENDR, delivered (through the LRs)
     * when the guest enables the INTID. Pending interrupts that are
     * enabled live in the list registers instead (vm/vgic.c). */
    uint32_t latch[VGIC_NR_INTIDS / 32 + 1]; /* SPIs; bank 0 unused */
    uint32_t r_latch[VGIC_MAX_VCPUS];        /* SGIs and PPIs */
};

enum vgic_state_op {
    VGIC_STATE_NONE,
    VGIC_STATE_SET_PENDING, /* ISPENDR */
    VGIC_STATE_CLR_PENDING, /* ICPENDR */
    VGIC_STATE_SET_ACTIVE,  /* ISACTIVER */
    VGIC_STATE_CLR_ACTIVE,  /* ICACTIVER */
};

/* What an access did that the hypervisor must act on. */
struct vgic_emu_effect {
    bool violation; /* a refused write */
    unsigned intid; /* the first INTID it touched that the VM does not own */
    /* A GICD_ISENABLER<n>/ICENABLER<n> write (a word: one bank of 32
     * SPIs, n = enable_bank): the SPIs it newly enabled or disabled. Small
     * on purpose: the hypervisor zeroes the record at every access, with
     * interrupts masked. */
    unsigned enable_bank;
    uint32_t enable_on, enable_off;
    /* A GICR_ISENABLER0 write: the SGIs/PPIs newly enabled in the frame of
     * vCPU ppi_vcpu (a level that was held while disabled is delivered). */
    uint32_t ppi_enable_on, ppi_enable_off;
    unsigned ppi_vcpu;
    bool unknown; /* an offset this model does not implement (RAZ/WI) */
    /* A pending/active register (GICD_ISPENDR/ICPENDR/ISACTIVER/ICACTIVER
     * <n>, GICR_..0): the state lives in the list registers, so the
     * hypervisor completes it. state_op says which register; state_bank is
     * the INTID bank (0: SGIs/PPIs of vCPU state_vcpu); state_mask, for a
     * write, the owned bits written as 1, for a read, the owned bits (the
     * hypervisor returns the state of those only). */
    enum vgic_state_op state_op;
    bool state_read;
    unsigned state_bank, state_vcpu;
    uint32_t state_mask;
};

void vgic_emu_init(struct vgic_emu *e, unsigned nr_vcpus, unsigned vtimer_ppi);
/* A reset in pieces, for a VM reset that must not keep interrupts waiting
 * for the whole structure (~10 KiB; docs/hypervisor.md, "Interrupt
 * latency: the hypervisor busy"): vgic_emu_reset_intids for INTIDs
 * [first, first + n) (first and n multiples of 32), then
 * vgic_emu_reset_cpus. Together: what vgic_emu_init gives, with the
 * ownership (owned, unowned_wi, nr_vcpus, vtimer_ppi) kept. */
void vgic_emu_reset_intids(struct vgic_emu *e, unsigned first, unsigned n);
void vgic_emu_reset_cpus(struct vgic_emu *e);
void vgic_emu_own(struct vgic_emu *e, unsigned intid);
bool vgic_emu_owns(const struct vgic_emu *e, unsigned intid);

/* Whether a virtual interrupt may be delivered: enabled by the guest
 * (vcpu matters for SGIs/PPIs). */
/* Inline: both are on the hypervisor's interrupt delivery path (the
 * virtual timer's injection at every vCPU load). */
static inline bool vgic_emu_enabled(const struct vgic_emu *e, unsigned vcpu, unsigned intid)
{
    if (intid < 32)
        return vcpu < e->nr_vcpus && (e->r_enabled[vcpu] & (1u << intid));
    return intid < VGIC_NR_INTIDS && (e->enabled[intid / 32] & (1u << (intid % 32)));
}

static inline uint8_t vgic_emu_priority(const struct vgic_emu *e, unsigned vcpu, unsigned intid)
{
    if (intid < 32)
        return vcpu < e->nr_vcpus ? e->r_prio[vcpu][intid] : 0xff;
    return intid < VGIC_NR_INTIDS ? e->prio[intid] : 0xff;
}

/* The same for a PPI (INTID 16-31) of a vCPU the VM has (vcpu < nr_vcpus,
 * the caller's guarantee): no range checks, for the world switch (the
 * virtual timer at every load). */
static inline bool vgic_emu_ppi_enabled(const struct vgic_emu *e, unsigned vcpu, unsigned ppi)
{
    return (e->r_enabled[vcpu] >> (ppi & 31)) & 1;
}

static inline uint8_t vgic_emu_ppi_priority(const struct vgic_emu *e, unsigned vcpu, unsigned ppi)
{
    return e->r_prio[vcpu][ppi & 31];
}

/* The pending latch of a disabled interrupt (see struct vgic_emu.latch);
 * vcpu matters for SGIs/PPIs. */
static inline bool vgic_emu_latched(const struct vgic_emu *e, unsigned vcpu, unsigned intid)
{
    if (intid < 32)
        return vcpu < e->nr_vcpus && (e->r_latch[vcpu] & (1u << intid));
    return intid < VGIC_NR_INTIDS && (e->latch[intid / 32] & (1u << (intid % 32)));
}
void vgic_emu_set_latch(struct vgic_emu *e, unsigned vcpu, unsigned intid, bool pending);
/* The latched bits of INTIDs [32 * bank, 32 * bank + 32) (bank 0: vCPU
 * vcpu's SGIs and PPIs). */
uint32_t vgic_emu_latch_bank(const struct vgic_emu *e, unsigned vcpu, unsigned bank);

/* The targets (bit n = vCPU n) and the INTID of a Group 1 SGI that vCPU
 * `self` requests by writing ICC_SGI1R_EL1 (GICv3 12.2.23: TargetList
 * [15:0], Aff1 [23:16], INTID [27:24], Aff2 [39:32], IRM [40], RS [47:44],
 * Aff3 [55:48]). The VM's vCPUs have MPIDR Aff0 = their index and Aff1-3 =
 * 0: IRM = 1 targets every vCPU but self; IRM = 0 the TargetList bits
 * within range 0 (RS = 0) of cluster 0.0.0; anything else targets none. */
uint32_t vgic_emu_sgi_targets(const struct vgic_emu *e, unsigned self, uint64_t sgi1r,
                              unsigned *intid);

/* Whether an ICC_SGI0R/SGI1R/ASGI1R_EL1 value names a target that is not
 * one of the VM's vCPUs (IRM = 0: a TargetList bit set in another
 * cluster (Aff1-3 != 0) or range (RS != 0), or a TargetList bit at or
 * beyond nr_vcpus). The hypervisor refuses such a request as a whole and
 * records it: a VM's SGIs never reach another VM. */
bool vgic_emu_sgi_outside(const struct vgic_emu *e, uint64_t sgir);

/* An access to the distributor (off in [0, VGICD_SIZE)) or to the
 * redistributor region (off in [0, nr_vcpus * VGICR_STRIDE)). width is 4
 * or 8 (8 only for GICD_IROUTER and GICR_TYPER), or 1 for the priority
 * bytes. Returns 0, or -1 for an access the GIC does not allow (bad width
 * or alignment: the caller injects an abort). */
int vgic_emu_dist(struct vgic_emu *e, uint32_t off, bool write, unsigned width, uint64_t *val,
                  struct vgic_emu_effect *eff);
int vgic_emu_redist(struct vgic_emu *e, uint32_t off, bool write, unsigned width, uint64_t *val,
                    struct vgic_emu_effect *eff);

#endif
