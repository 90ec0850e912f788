/* hvsim: a GICv3 (Arm IHI 0069, "GIC architecture specification, GICv3 and
 * GICv4") with one redistributor per PE and the virtualization extensions.
 *
 *  - Distributor (GICD) and redistributors (GICR: RD_base + SGI_base frames)
 *    as MMIO, described by const register tables;
 *  - the physical CPU interface ICC_*_EL1/EL2/EL3 as system registers;
 *  - the virtual CPU interface: ICH_*_EL2 registers (list registers, VMCR,
 *    MISR, EISR, ELRSR, AP0R/AP1R) and the ICV_* view that EL1 gets when
 *    HCR_EL2.IMO/FMO are set, with the maintenance interrupt (PPI 25);
 *  - outputs: the PE's IRQ/FIQ lines and vIRQ/vFIQ lines (hv_cpu_set_line);
 *  - inputs: SPIs from devices and PPIs from the timer (level-sensitive, or
 *    edge per GICD_ICFGR/GICR_ICFGR1).
 * Security: one security state, GICD_CTLR.DS=1 (as QEMU virt with
 * virtualization=on and no EL3 software), documented in docs/gic.md. LPIs
 * and the ITS are not implemented (GICD_TYPER.LPIS=0).
 */
#ifndef HV_GIC_H
#define HV_GIC_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/hv_err.h"
#include "../common/observer.h"

struct hv_cpu;
struct hv_gic;

struct hv_gic_config {
    unsigned nspis;    /* SPIs, a multiple of 32, >= 64 (GICD_TYPER.ITLinesNumber) */
    unsigned nlrs;     /* list registers, 1..16 (default 4, as GIC-500/600) */
    unsigned pri_bits; /* implemented priority bits, 4..8 (QEMU: 5) */
    unsigned ncpus;    /* redistributors (1 for now) */
};

int hv_gic_create(struct hv_gic **out, const struct hv_gic_config *cfg, struct hv_cpu *cpu,
                  struct hv_obs *obs, struct hv_err *err);
void hv_gic_destroy(struct hv_gic *g);

/* MMIO windows (ctx = the struct hv_gic *): 64 KiB distributor and a
 * 128 KiB-per-PE redistributor region; offsets relative to their bases. */
uint64_t hv_gic_dist_read(void *g, uint64_t offset, unsigned size);
void hv_gic_dist_write(void *g, uint64_t offset, unsigned size, uint64_t value);
uint64_t hv_gic_redist_read(void *g, uint64_t offset, unsigned size);
void hv_gic_redist_write(void *g, uint64_t offset, unsigned size, uint64_t value);

/* Interrupt inputs. spi: 0..nspis-1 (INTID 32 + spi); ppi: INTID 16..31. */
void hv_gic_set_spi(struct hv_gic *g, unsigned spi, bool level);
void hv_gic_set_ppi(struct hv_gic *g, unsigned cpu, unsigned intid, bool level);

/* ---- Additions (sim/gic) --------------------------------------------------- */

/* hv_gic_set_ppi() for PE 0 with the signature of struct hv_timer_io.ppi
 * (ctx = the struct hv_gic *), so the machine can wire the timer directly. */
void hv_gic_ppi_pe0(void *g, unsigned intid, bool level);

/* Where the bus put the windows: HV_EV_MMIO events then carry absolute PAs
 * (base + offset). Until called, they carry offsets within each window. */
void hv_gic_set_mmio_base(struct hv_gic *g, uint64_t gicd_pa, uint64_t gicr_pa);

/* ---- The ICC_* access decision, as a pure function (for unit tests) ------
 *
 * The ICC descriptors' access() callbacks gather the PE state and call this.
 * It follows the register pseudocode of the GIC spec (IHI 0069, 12.2 "AArch64
 * System register descriptions of the CPU interface"): at EL0 every ICC_*
 * and ICH_* register UNDEFs; at EL1 ICH_HCR_EL2.TALL0 / TALL1 / TC / TDIR
 * trap to EL2, and HCR_EL2.FMO (Group 0 registers), IMO (Group 1 registers)
 * or either (CTLR, PMR, RPR, DIR) send the access to the virtual interface
 * ICV_*; ICC_SGI*R_EL1 writes trap to EL2 when IMO or FMO is set. */
enum hv_gic_regclass {
    HV_GIC_RC_G0,      /* IAR0, EOIR0, HPPIR0, BPR0, AP0R<n>, IGRPEN0 */
    HV_GIC_RC_G1,      /* IAR1, EOIR1, HPPIR1, BPR1, AP1R<n>, IGRPEN1 */
    HV_GIC_RC_COMMON,  /* CTLR, PMR, RPR */
    HV_GIC_RC_DIR,     /* DIR */
    HV_GIC_RC_SGI,     /* SGI0R, SGI1R, ASGI1R */
    HV_GIC_RC_SRE_EL1, /* ICC_SRE_EL1 */
    HV_GIC_RC_EL2,     /* ICC_SRE_EL2 and every ICH_*_EL2 */
};
enum hv_gic_route { HV_GIC_PHYS, HV_GIC_VIRT, HV_GIC_UNDEF, HV_GIC_TRAP_EL2 };
struct hv_gic_pe_state {
    unsigned el;          /* PSTATE.EL */
    bool el2_enabled;     /* EL2Enabled(): SCR_EL3.NS here */
    uint64_t hcr_el2;     /* FMO, IMO, TGE are used */
    uint32_t ich_hcr_el2; /* TC, TALL0, TALL1, TDIR are used */
};
enum hv_gic_route hv_gic_route_access(enum hv_gic_regclass rc, const struct hv_gic_pe_state *s);

#endif
