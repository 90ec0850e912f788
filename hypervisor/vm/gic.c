/* The physical GICv3, owned by the hypervisor: distributor, this PE's
 * redistributor and the EL2 CPU interface. Guests never see it: they get
 * the virtual CPU interface (ICV_*, through HCR_EL2.IMO) and list
 * registers filled by vm/vgic.c. Register offsets: GICv3 spec (IHI 0069)
 * chapter 12. Physical interrupts use EOImode = 1 (ICC_CTLR_EL1.EOImode):
 * EOIR only drops priority, so an interrupt forwarded to a guest with the
 * LR HW bit stays active until the guest deactivates it. */
#include "../arch/sysreg.h"
#include "../hyp.h"
#include "gicregs.h"

#define GICD_CTLR       0x0000
#define GICD_IGROUPR    0x0080
#define GICD_ISENABLER  0x0100
#define GICD_IPRIORITYR 0x0400
#define GICD_IROUTER    0x6000
#define GICR_WAKER      0x0014

#define HYP_IRQ_PRIO 0xa0

void hyp_gic_init(struct hyp *h)
{
    uint64_t d = h->plat.gicd, r = h->plat.gicr;
    /* Affinity routing, group 1 (GICD_CTLR with DS = 1: ARE bit 4,
     * EnableGrp1 bit 1); RWP (bit 31) says when the write took effect. */
    mmio_w32(d + GICD_CTLR, 1u << 4 | 1u << 1);
    while (mmio_r32(d + GICD_CTLR) & (1u << 31))
        ;
    /* Wake this PE's redistributor (GICR_WAKER.ProcessorSleep = 0, then
     * wait for ChildrenAsleep = 0). Single PE: the first frame is ours. */
    mmio_w32(r + GICR_WAKER, mmio_r32(r + GICR_WAKER) & ~(1u << 1));
    while (mmio_r32(r + GICR_WAKER) & (1u << 2))
        ;
    mmio_w32(r + GICR_IGROUPR0, 0xffffffffu);

    write_sysreg(S3_4_C12_C9_5, 0xf); /* ICC_SRE_EL2: SRE, DFB, DIB, Enable */
    isb();
    write_sysreg(S3_0_C4_C6_0, 0xff);      /* ICC_PMR_EL1 */
    write_sysreg(S3_0_C12_C12_3, 0);       /* ICC_BPR1_EL1 */
    write_sysreg(S3_0_C12_C12_4, 1u << 1); /* ICC_CTLR_EL1.EOImode = 1 */
    write_sysreg(S3_0_C12_C12_7, 1);       /* ICC_IGRPEN1_EL1 */
    isb();

    h->nr_lrs = (unsigned)(read_sysreg(S3_4_C12_C11_1) & 0x1f) + 1; /* ICH_VTR_EL2.ListRegs */
    if (h->nr_lrs > VGIC_MAX_LRS)
        h->nr_lrs = VGIC_MAX_LRS;
    /* The LRs' reset values are UNKNOWN (GICv3 12.5.9); hyp_vcpu_load
     * expects every LR invalid before it loads the first vCPU. */
    for (unsigned i = 0; i < h->nr_lrs; i++)
        ich_lr_write(i, 0);
    write_sysreg(S3_4_C12_C11_0, 1); /* ICH_HCR_EL2.En */
    isb();
}

static void set_prio(uint64_t reg_base, unsigned intid)
{
    volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)(reg_base + intid);
    *p = HYP_IRQ_PRIO;
}

void hyp_gic_enable_ppi(struct hyp *h, unsigned intid)
{
    set_prio(h->plat.gicr + GICR_IPRIORITYR, intid);
    mmio_w32(h->plat.gicr + GICR_ISENABLER0, 1u << intid);
}

void hyp_gic_enable_spi(struct hyp *h, unsigned intid)
{
    uint64_t d = h->plat.gicd;
    mmio_w32(d + GICD_IGROUPR + 4 * (intid / 32),
             mmio_r32(d + GICD_IGROUPR + 4 * (intid / 32)) | 1u << (intid % 32));
    set_prio(d + GICD_IPRIORITYR, intid);
    mmio_w64(d + GICD_IROUTER + 8 * (uint64_t)intid, 0); /* PE 0.0.0.0 */
    mmio_w32(d + GICD_ISENABLER + 4 * (intid / 32), 1u << (intid % 32));
}

void hyp_gic_disable_spi(struct hyp *h, unsigned intid)
{
    /* GICD_ICENABLER<n> at 0x180 */
    mmio_w32(h->plat.gicd + 0x180 + 4 * (intid / 32), 1u << (intid % 32));
}

void hyp_gic_deactivate_spi(struct hyp *h, unsigned intid)
{
    /* GICD_ICACTIVER<n> at 0x380 (GICv3 12.9.4) */
    mmio_w32(h->plat.gicd + 0x380 + 4 * (intid / 32), 1u << (intid % 32));
}

void hyp_gic_activate_spi(struct hyp *h, unsigned intid)
{
    /* GICD_ISACTIVER<n> at 0x300 (GICv3 12.9.x) */
    mmio_w32(h->plat.gicd + 0x300 + 4 * (intid / 32), 1u << (intid % 32));
}

/* GICD_ISPENDR<n> (0x200) / GICR_ISPENDR0 (SGI_base + 0x200): whether the
 * physical interrupt is pending (a level asserted while it is active reads
 * pending: active and pending, GICv3 4.1.2). */
bool hyp_gic_pending(struct hyp *h, unsigned intid)
{
    uint64_t r =
        intid < 32 ? h->plat.gicr + SGI_BASE + 0x200 : h->plat.gicd + 0x200 + 4 * (intid / 32);
    return (mmio_r32(r) >> (intid % 32)) & 1;
}

/* GICD_ISPENDR/ICPENDR<n> (0x200/0x280) or GICR_ISPENDR0/ICPENDR0 of
 * this PE: set or clear the pending state of a physical interrupt (for a
 * level-sensitive one, ICPENDR clears only the software latch: an
 * asserted level keeps it pending; GICv3 4.1.2). */
void hyp_gic_set_pending(struct hyp *h, unsigned intid, bool pending)
{
    uint32_t off = pending ? 0x200 : 0x280;
    uint64_t r = intid < 32 ? h->plat.gicr + SGI_BASE + off : h->plat.gicd + off + 4 * (intid / 32);
    mmio_w32(r, 1u << (intid % 32));
}

bool hyp_gic_ppi_active(struct hyp *h, unsigned intid)
{
    return (mmio_r32(h->plat.gicr + GICR_ISACTIVER0) >> intid) & 1;
}

void hyp_gic_set_ppi_active(struct hyp *h, unsigned intid, bool active)
{
    mmio_w32(h->plat.gicr + (active ? GICR_ISACTIVER0 : GICR_ICACTIVER0), 1u << intid);
}

/* GICD_IPRIORITYR<n> (GICv3 12.9.22): one byte per INTID, lower values
 * are higher priority. */
void hyp_gic_set_spi_priority(struct hyp *h, unsigned intid, uint8_t prio)
{
    volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)(h->plat.gicd + GICD_IPRIORITYR + intid);
    *p = prio;
}
