/* hvsim GICv3: the virtual CPU interface (GIC spec chapter 6 "Virtual
 * interrupt handling and prioritization", 12.4 "AArch64 virtualization
 * control System registers", 12.3 "AArch64 virtual CPU interface System
 * registers").
 *
 * The hypervisor programs ICH_*_EL2: list registers ICH_LR<n>_EL2 hold the
 * virtual interrupts (vINTID, pINTID, HW, Group, Priority, State), and
 * ICH_VMCR_EL2 holds the guest's view of the virtual CPU interface. EL1
 * reaches that view through the ICC_* encodings when HCR_EL2.IMO/FMO route
 * them there (gic_cpuif.c): these are the ICV_* registers implemented here,
 * following the pseudocode functions named at each one
 * (HighestPriorityVirtualInterrupt, CanSignalVirtualInterrupt,
 * VirtualReadIAR, VirtualWriteEOIR, VirtualWriteDIR, ...).
 *
 * Outputs: the vIRQ (Group 1) and vFIQ (Group 0) lines, and the maintenance
 * interrupt, PPI 25, level-sensitive, asserted while ICH_HCR_EL2.En = 1 and
 * ICH_MISR_EL2 != 0.
 *
 * Values as QEMU virt (read there): ICH_VTR_EL2 = 0x90b80000 | (nLRs - 1):
 * PRIbits = PREbits = 5, IDbits = 24 bits, A3V, nV4, TDS; ICH_VMCR_EL2 resets
 * to 0x004c0008 (VBPR0 = 2, VBPR1 = 3: the minimums; VFIQEn reads 1).
 */
#include "gic_internal.h"

#include <string.h>

/* ICH_LR<n>_EL2 (12.4.10). */
#define LR_VINTID(lr)     ((unsigned)((lr)&0xffffffffu))
#define LR_PINTID(lr)     ((unsigned)(((lr) >> 32) & 0x1fff))
#define LR_EOI            (1ull << 41) /* pINTID bit 9 when HW = 0 */
#define LR_PRIO(lr)       ((unsigned)(((lr) >> 48) & 0xff))
#define LR_GROUP          (1ull << 60)
#define LR_HW             (1ull << 61)
#define LR_PENDING        (1ull << 62)
#define LR_ACTIVE         (1ull << 63)
#define LR_STATE_MASK     (LR_PENDING | LR_ACTIVE)
#define LR_IS_PENDING(lr) (((lr)&LR_STATE_MASK) == LR_PENDING)

/* ICH_HCR_EL2 (12.4.4). */
#define HCR_EN             (1u << 0)
#define HCR_UIE            (1u << 1)
#define HCR_LRENPIE        (1u << 2)
#define HCR_NPIE           (1u << 3)
#define HCR_VGRP0EIE       (1u << 4)
#define HCR_VGRP0DIE       (1u << 5)
#define HCR_VGRP1EIE       (1u << 6)
#define HCR_VGRP1DIE       (1u << 7)
#define HCR_EOICOUNT_SHIFT 27
/* Writable bits, as QEMU (0xffffffff reads 0xf8007cff): EOIcount, TDIR,
 * TSEI, TALL1, TALL0, TC and the enables. */
#define HCR_WMASK 0xf8007cffu

/* ICH_MISR_EL2 (12.4.9). */
#define MISR_EOI    (1u << 0)
#define MISR_U      (1u << 1)
#define MISR_LRENP  (1u << 2)
#define MISR_NP     (1u << 3)
#define MISR_VGRP0E (1u << 4)
#define MISR_VGRP0D (1u << 5)
#define MISR_VGRP1E (1u << 6)
#define MISR_VGRP1D (1u << 7)

/* ICH_VMCR_EL2 (12.4.12). */
#define VMCR_VENG0       (1u << 0)
#define VMCR_VENG1       (1u << 1)
#define VMCR_VFIQEN      (1u << 3)
#define VMCR_VCBPR       (1u << 4)
#define VMCR_VEOIM       (1u << 9)
#define VMCR_VBPR1_SHIFT 18
#define VMCR_VBPR0_SHIFT 21
#define VMCR_VPMR_SHIFT  24
#define VMCR_WMASK       (0xff000000u | (7u << 21) | (7u << 18) | VMCR_VEOIM | VMCR_VCBPR | 3u)

#define VMIN_BPR  (7u - GIC_VPRI_BITS)
#define NUM_VAPRS 1u /* 2^(PREbits - 5) */

/* ---- helpers ---------------------------------------------------------------------- */

static unsigned vbpr(const struct gic_pe *pe, unsigned grp)
{
    return (pe->ich_vmcr >> (grp ? VMCR_VBPR1_SHIFT : VMCR_VBPR0_SHIFT)) & 7;
}

static void set_vbpr(struct gic_pe *pe, unsigned grp, unsigned v)
{
    unsigned min = VMIN_BPR + grp;
    unsigned sh = grp ? VMCR_VBPR1_SHIFT : VMCR_VBPR0_SHIFT;
    v &= 7;
    if (v < min)
        v = min;
    pe->ich_vmcr = (pe->ich_vmcr & ~(7u << sh)) | (v << sh);
}

static unsigned vpmr(const struct gic_pe *pe)
{
    return pe->ich_vmcr >> VMCR_VPMR_SHIFT;
}

/* VGroupBits(): as GroupBits() with the VMCR's VBPR0/VBPR1/VCBPR. */
static uint32_t vgprio_mask(const struct gic_pe *pe, unsigned grp)
{
    unsigned bpr = (grp == 0 || (pe->ich_vmcr & VMCR_VCBPR)) ? vbpr(pe, 0) : vbpr(pe, 1) - 1u;
    return (0xffu << (bpr + 1)) & 0xffu;
}

/* VPriorityGroup / the virtual running priority from ICH_AP0R/AP1R. */
static unsigned highest_active_vprio(const struct gic_pe *pe)
{
    for (unsigned i = 0; i < NUM_VAPRS; i++) {
        uint32_t apr = pe->ich_apr[0][i] | pe->ich_apr[1][i];
        if (apr)
            return ((i * 32 + (unsigned)__builtin_ctz(apr)) << (8 - GIC_VPRI_BITS)) & 0xff;
    }
    return 0xff;
}

/* HighestPriorityVirtualInterrupt(): the pending LR with the highest
 * priority whose group is enabled (VENG0/VENG1); ties to the lowest LR
 * index; priority 0xff is never reported. -1 if none. */
static int hppvi_index(const struct gic_pe *pe)
{
    int idx = -1;
    unsigned prio = 0xff;
    for (unsigned i = 0; i < pe->g->cfg.nlrs; i++) {
        uint64_t lr = pe->lr[i];
        if (!LR_IS_PENDING(lr))
            continue;
        if (!(pe->ich_vmcr & ((lr & LR_GROUP) ? VMCR_VENG1 : VMCR_VENG0)))
            continue;
        if (LR_PRIO(lr) < prio) {
            prio = LR_PRIO(lr);
            idx = (int)i;
        }
    }
    return idx;
}

/* CanSignalVirtualInterrupt(): the interface is enabled (ICH_HCR_EL2.En),
 * the priority is above VPMR, and the group priority is above the virtual
 * running priority. */
static bool can_signal_virtual(const struct gic_pe *pe, uint64_t lr)
{
    if (!(pe->ich_hcr & HCR_EN))
        return false;
    if (LR_PRIO(lr) >= vpmr(pe))
        return false;
    unsigned rprio = highest_active_vprio(pe);
    if (rprio == 0xff)
        return true;
    uint32_t mask = vgprio_mask(pe, (lr & LR_GROUP) ? 1 : 0);
    return (LR_PRIO(lr) & mask) < (rprio & mask);
}

/* ICH_EISR_EL2 (12.4.3): LRs with no pending/active state, HW = 0 and EOI = 1
 * (an EOI maintenance interrupt is wanted for them). */
static uint32_t eisr(const struct gic_pe *pe)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < pe->g->cfg.nlrs; i++)
        if ((pe->lr[i] & (LR_STATE_MASK | LR_HW | LR_EOI)) == LR_EOI)
            v |= 1u << i;
    return v;
}

/* ICH_ELRSR_EL2 (12.4.5): LRs that hold no interrupt and need no EOI
 * maintenance. */
static uint32_t elrsr(const struct gic_pe *pe)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < pe->g->cfg.nlrs; i++) {
        uint64_t lr = pe->lr[i];
        if (!(lr & LR_STATE_MASK) && ((lr & LR_HW) || !(lr & LR_EOI)))
            v |= 1u << i;
    }
    return v;
}

/* ICH_MISR_EL2 (12.4.9): the maintenance interrupt conditions. */
static uint32_t misr(const struct gic_pe *pe)
{
    uint32_t hcr = pe->ich_hcr, vmcr = pe->ich_vmcr, v = 0;
    unsigned valid = 0;
    bool pending = false;
    for (unsigned i = 0; i < pe->g->cfg.nlrs; i++) {
        if (pe->lr[i] & LR_STATE_MASK)
            valid++;
        if (LR_IS_PENDING(pe->lr[i]))
            pending = true;
    }
    if (eisr(pe))
        v |= MISR_EOI;
    if ((hcr & HCR_UIE) && valid < 2) /* underflow: zero or one valid LR */
        v |= MISR_U;
    if ((hcr & HCR_LRENPIE) && (hcr >> HCR_EOICOUNT_SHIFT))
        v |= MISR_LRENP;
    if ((hcr & HCR_NPIE) && !pending)
        v |= MISR_NP;
    if ((hcr & HCR_VGRP0EIE) && (vmcr & VMCR_VENG0))
        v |= MISR_VGRP0E;
    if ((hcr & HCR_VGRP0DIE) && !(vmcr & VMCR_VENG0))
        v |= MISR_VGRP0D;
    if ((hcr & HCR_VGRP1EIE) && (vmcr & VMCR_VENG1))
        v |= MISR_VGRP1E;
    if ((hcr & HCR_VGRP1DIE) && !(vmcr & VMCR_VENG1))
        v |= MISR_VGRP1D;
    return v;
}

uint32_t gic_virt_misr(const struct gic_pe *pe)
{
    return misr(pe);
}

/* HV_EV_VIRQ: the guest's side of an injection (GIC spec 6.5 "Virtual CPU
 * interface"). idx < 0: no LR holds the vINTID. */
static void emit_virq(struct gic_pe *pe, enum hv_virq_op op, unsigned vintid, unsigned grp, int idx)
{
    if (!hv_obs_wants(pe->g->obs, HV_EV_VIRQ))
        return;
    struct hv_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = HV_EV_VIRQ;
    ev.u.virq.op = (uint8_t)op;
    ev.u.virq.vintid = vintid;
    ev.u.virq.group = (uint8_t)grp;
    ev.u.virq.lr = 0xff;
    if (idx >= 0) {
        uint64_t lr = pe->lr[idx];
        ev.u.virq.lr = (uint8_t)idx;
        ev.u.virq.prio = (uint8_t)LR_PRIO(lr);
        ev.u.virq.group = (lr & LR_GROUP) ? 1 : 0;
        ev.u.virq.hw = (lr & LR_HW) != 0;
        if (lr & LR_HW)
            ev.u.virq.pintid = LR_PINTID(lr);
    }
    gic_emit(pe, &ev);
}

void gic_virt_outputs(const struct gic_pe *pe, bool *virq, bool *vfiq, bool *maint)
{
    int idx = hppvi_index(pe);
    *virq = *vfiq = false;
    if (idx >= 0 && can_signal_virtual(pe, pe->lr[idx])) {
        if (pe->lr[idx] & LR_GROUP)
            *virq = true;
        else
            *vfiq = true;
    }
    *maint = (pe->ich_hcr & HCR_EN) && misr(pe) != 0;
}

uint32_t gic_ich_hcr(const struct gic_pe *pe)
{
    return pe->ich_hcr;
}

/* FindActiveVirtualInterrupt(): the LR holding vINTID in an active state. */
static int find_active(const struct gic_pe *pe, unsigned intid)
{
    for (unsigned i = 0; i < pe->g->cfg.nlrs; i++)
        if ((pe->lr[i] & LR_ACTIVE) && LR_VINTID(pe->lr[i]) == intid)
            return (int)i;
    return -1;
}

/* Deactivate an LR; with HW = 1 the physical interrupt pINTID is deactivated
 * as well (GIC spec 6.2.2 "Virtual interrupts with a physical
 * counterpart"), unless pINTID is a special INTID. */
static void deactivate_lr(struct gic_pe *pe, unsigned idx)
{
    uint64_t lr = pe->lr[idx];
    emit_virq(pe, HV_VIRQ_DEACT, LR_VINTID(lr), (lr & LR_GROUP) ? 1 : 0, (int)idx);
    if ((lr & LR_HW) && LR_PINTID(lr) < 1020)
        gic_deactivate(pe, LR_PINTID(lr));
    pe->lr[idx] = lr & ~LR_ACTIVE;
}

static void inc_eoicount(struct gic_pe *pe)
{
    uint32_t c = ((pe->ich_hcr >> HCR_EOICOUNT_SHIFT) + 1) & 0x1f;
    pe->ich_hcr = (pe->ich_hcr & ~(0x1fu << HCR_EOICOUNT_SHIFT)) | (c << HCR_EOICOUNT_SHIFT);
}

/* Drop the highest active virtual priority (Group 0 first on a tie) and
 * return it, 0xff if nothing was active. */
static unsigned drop_vprio(struct gic_pe *pe)
{
    for (unsigned i = 0; i < NUM_VAPRS; i++) {
        uint32_t *a0 = &pe->ich_apr[0][i], *a1 = &pe->ich_apr[1][i];
        if (!*a0 && !*a1)
            continue;
        unsigned c0 = *a0 ? (unsigned)__builtin_ctz(*a0) : 32;
        unsigned c1 = *a1 ? (unsigned)__builtin_ctz(*a1) : 32;
        if (c0 <= c1) {
            *a0 &= *a0 - 1;
            return ((i * 32 + c0) << (8 - GIC_VPRI_BITS)) & 0xff;
        }
        *a1 &= *a1 - 1;
        return ((i * 32 + c1) << (8 - GIC_VPRI_BITS)) & 0xff;
    }
    return 0xff;
}

/* ---- ICV_* (EL1 with HCR_EL2.IMO/FMO) ------------------------------------------------ */

/* VirtualReadIAR0/1: acknowledge the highest-priority pending virtual
 * interrupt of this group if it can be signalled: Pending -> Active and its
 * group priority set in ICH_AP<g>R. A special vINTID (1020-1023) in an LR
 * is returned as is and the LR becomes invalid. */
uint64_t gic_icv_iar(struct gic_pe *pe, unsigned grp)
{
    int idx = hppvi_index(pe);
    unsigned intid = GIC_INTID_SPURIOUS;
    if (idx >= 0) {
        uint64_t *lr = &pe->lr[idx];
        unsigned lgrp = (*lr & LR_GROUP) ? 1 : 0;
        if (lgrp == grp && can_signal_virtual(pe, *lr)) {
            intid = LR_VINTID(*lr);
            if (intid >= 1020 && intid <= 1023) {
                *lr &= ~LR_PENDING;
            } else {
                unsigned gprio = LR_PRIO(*lr) & vgprio_mask(pe, grp);
                unsigned bit = gprio >> (8 - GIC_VPRI_BITS);
                pe->ich_apr[grp][bit / 32] |= 1u << (bit % 32);
                *lr = (*lr & ~LR_PENDING) | LR_ACTIVE;
            }
        }
    }
    emit_virq(pe, HV_VIRQ_ACK, intid, grp, intid == GIC_INTID_SPURIOUS ? -1 : idx);
    gic_update(pe->g);
    return intid;
}

/* VirtualWriteEOIR0/1: priority drop, then (VEOIM = 0) deactivation of the
 * LR holding the INTID. An EOI for an INTID in no LR counts in
 * ICH_HCR_EL2.EOIcount (and may raise the LRENP maintenance interrupt)
 * only with VEOIM = 0: EOIcount (GICv3 12.4.4, ICH_HCR_EL2) counts the
 * writes to a virtual EOIR or DIR that "would have resulted in a virtual
 * interrupt deactivation", and with VEOIM = 1 an EOIR only drops the
 * priority (its DIR is counted instead, gic_icv_dir); nor does an LPI
 * (no active state to count). QEMU (8.x, icv_eoir_write) counts such an
 * EOIR with VEOIM = 1 too: an EOI and its DIR then count twice there. As
 * QEMU, the priority is dropped before the checks, and an EOI with nothing
 * active is not a successful write and is ignored (CONSTRAINED
 * UNPREDICTABLE). */
void gic_icv_eoir(struct gic_pe *pe, unsigned grp, uint64_t v)
{
    unsigned intid = (unsigned)(v & 0xffffff);
    if (intid >= 1020 && intid <= 1023)
        return;
    unsigned drop = drop_vprio(pe);
    if (drop == 0xff) {
        gic_guest_error(pe->g, "ICV_EOIR%u_EL1 of vINTID %u with no active interrupt", grp, intid);
        return;
    }
    int idx = find_active(pe, intid);
    emit_virq(pe, HV_VIRQ_EOI, intid, grp, idx);
    if (idx < 0) {
        if (intid < 8192 && !(pe->ich_vmcr & VMCR_VEOIM))
            inc_eoicount(pe);
    } else {
        uint64_t lr = pe->lr[idx];
        unsigned lgrp = (lr & LR_GROUP) ? 1 : 0;
        if (lgrp == grp && (LR_PRIO(lr) & vgprio_mask(pe, grp)) == drop) {
            if (!(pe->ich_vmcr & VMCR_VEOIM))
                deactivate_lr(pe, (unsigned)idx);
        }
    }
    gic_update(pe->g);
}

/* VirtualWriteDIR: with VEOIM = 1, deactivate the LR holding the INTID, or
 * count it in EOIcount if no LR does. */
void gic_icv_dir(struct gic_pe *pe, uint64_t v)
{
    unsigned intid = (unsigned)(v & 0xffffff);
    if (intid >= 1020)
        return;
    if (!(pe->ich_vmcr & VMCR_VEOIM)) {
        gic_guest_error(pe->g, "ICV_DIR_EL1 write (vINTID %u) with VEOIM=0: ignored", intid);
        return;
    }
    int idx = find_active(pe, intid);
    if (idx < 0) {
        emit_virq(pe, HV_VIRQ_DEACT, intid, 1, -1);
        inc_eoicount(pe);
    } else
        deactivate_lr(pe, (unsigned)idx);
    gic_update(pe->g);
}

/* VirtualReadHPPIR0/1. */
uint64_t gic_icv_hppir(struct gic_pe *pe, unsigned grp)
{
    int idx = hppvi_index(pe);
    if (idx < 0 || ((pe->lr[idx] & LR_GROUP) ? 1u : 0u) != grp)
        return GIC_INTID_SPURIOUS;
    return LR_VINTID(pe->lr[idx]);
}

/* ICV_BPR0/1_EL1: VMCR.VBPR0/VBPR1; with VCBPR, BPR1 reads VBPR0 + 1
 * (saturated) and ignores writes. */
uint64_t gic_icv_bpr_read(struct gic_pe *pe, unsigned grp)
{
    if (grp == 1 && (pe->ich_vmcr & VMCR_VCBPR)) {
        unsigned b = vbpr(pe, 0) + 1;
        return b > 7 ? 7 : b;
    }
    return vbpr(pe, grp);
}

void gic_icv_bpr_write(struct gic_pe *pe, unsigned grp, uint64_t v)
{
    if (grp == 1 && (pe->ich_vmcr & VMCR_VCBPR))
        return;
    set_vbpr(pe, grp, (unsigned)v);
    gic_update(pe->g);
}

uint64_t gic_icv_pmr_read(struct gic_pe *pe)
{
    return vpmr(pe);
}

void gic_icv_pmr_write(struct gic_pe *pe, uint64_t v)
{
    uint32_t p = (uint32_t)v & (0xffu << (8 - GIC_VPRI_BITS)) & 0xff;
    pe->ich_vmcr = (pe->ich_vmcr & 0x00ffffffu) | (p << VMCR_VPMR_SHIFT);
    gic_update(pe->g);
}

uint64_t gic_icv_rpr(struct gic_pe *pe)
{
    return highest_active_vprio(pe);
}

/* ICV_CTLR_EL1: fixed fields as ICH_VTR_EL2 (A3V, IDbits, PRIbits = 4),
 * CBPR and EOImode are VMCR.VCBPR and VMCR.VEOIM. */
uint64_t gic_icv_ctlr_read(struct gic_pe *pe)
{
    uint64_t v = (1u << 15) | (1u << 11) | ((GIC_VPRI_BITS - 1u) << 8);
    if (pe->ich_vmcr & VMCR_VEOIM)
        v |= 2;
    if (pe->ich_vmcr & VMCR_VCBPR)
        v |= 1;
    return v;
}

void gic_icv_ctlr_write(struct gic_pe *pe, uint64_t v)
{
    pe->ich_vmcr &= ~(VMCR_VCBPR | VMCR_VEOIM);
    if (v & 1)
        pe->ich_vmcr |= VMCR_VCBPR;
    if (v & 2)
        pe->ich_vmcr |= VMCR_VEOIM;
    gic_update(pe->g);
}

uint64_t gic_icv_igrpen_read(struct gic_pe *pe, unsigned grp)
{
    return (pe->ich_vmcr & (grp ? VMCR_VENG1 : VMCR_VENG0)) ? 1 : 0;
}

void gic_icv_igrpen_write(struct gic_pe *pe, unsigned grp, uint64_t v)
{
    uint32_t bit = grp ? VMCR_VENG1 : VMCR_VENG0;
    pe->ich_vmcr = (v & 1) ? (pe->ich_vmcr | bit) : (pe->ich_vmcr & ~bit);
    gic_update(pe->g);
}

uint64_t gic_icv_apr_read(struct gic_pe *pe, unsigned grp, unsigned n)
{
    return n < NUM_VAPRS ? pe->ich_apr[grp][n] : 0;
}

void gic_icv_apr_write(struct gic_pe *pe, unsigned grp, unsigned n, uint64_t v)
{
    if (n < NUM_VAPRS)
        pe->ich_apr[grp][n] = (uint32_t)v;
    gic_update(pe->g);
}

/* ---- ICH_*_EL2 ------------------------------------------------------------------------ */

/* Every ICH_* register is EL2-only: UNDEF at EL0 and EL1 (12.4). */
static enum hv_sysreg_decision ich_access(void *ctx, struct hv_cpu *cpu,
                                          const struct hv_sysreg_desc *d, bool is_write)
{
    (void)ctx;
    (void)d;
    (void)is_write;
    return hv_cpu_el(cpu) >= 2 ? HV_SR_OK : HV_SR_UNDEF;
}

#define PE(ctx) gic_pe_of(ctx, cpu)

static uint64_t rd_hcr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    (void)d;
    return PE(ctx)->ich_hcr;
}

static void wr_hcr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d, uint64_t v)
{
    (void)d;
    PE(ctx)->ich_hcr = (uint32_t)v & HCR_WMASK;
    gic_update(PE(ctx)->g);
}

static uint64_t rd_vtr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    (void)d;
    /* PRIbits [31:29] = 4, PREbits [28:26] = 4, IDbits [25:23] = 1, A3V [21],
     * nV4 [20], TDS [19], ListRegs [4:0]. */
    return 0x90b80000u | (PE(ctx)->g->cfg.nlrs - 1);
}

static uint64_t rd_misr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    (void)d;
    return misr(PE(ctx));
}

static uint64_t rd_eisr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    (void)d;
    return eisr(PE(ctx));
}

static uint64_t rd_elrsr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    (void)d;
    return elrsr(PE(ctx));
}

static uint64_t rd_vmcr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    (void)d;
    return PE(ctx)->ich_vmcr;
}

static void wr_vmcr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d, uint64_t v)
{
    struct gic_pe *pe = PE(ctx);
    (void)d;
    /* VFIQEn reads as 1 and VAckCtl as 0; binary points below their
     * minimums are raised to them (0xff000002 reads 0xff4c000a). */
    pe->ich_vmcr = ((uint32_t)v & VMCR_WMASK) | VMCR_VFIQEN;
    set_vbpr(pe, 0, vbpr(pe, 0));
    set_vbpr(pe, 1, vbpr(pe, 1));
    gic_update(pe->g);
}

static uint64_t rd_lr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    return PE(ctx)->lr[d->arg];
}

static void wr_lr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d, uint64_t v)
{
    /* Unimplemented low-order priority bits are RES0 (0xf8 with 5 bits). */
    uint64_t mask = ~((uint64_t)((1u << (8 - GIC_VPRI_BITS)) - 1) << 48);
    struct gic_pe *pe = PE(ctx);
    uint64_t old = pe->lr[d->arg];
    pe->lr[d->arg] = v & mask;
    if (hv_obs_wants(pe->g->obs, HV_EV_LR)) {
        /* The injection, as the hypervisor wrote it (GIC spec 12.4.10). */
        uint64_t lr = pe->lr[d->arg];
        struct hv_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = HV_EV_LR;
        ev.u.lr.lr = (uint8_t)d->arg;
        ev.u.lr.old = old;
        ev.u.lr.new_value = lr;
        ev.u.lr.vintid = LR_VINTID(lr);
        ev.u.lr.pintid = (lr & LR_HW) ? LR_PINTID(lr) : 0;
        ev.u.lr.hw = (lr & LR_HW) != 0;
        ev.u.lr.state = (uint8_t)(lr >> 62);
        ev.u.lr.prio = (uint8_t)LR_PRIO(lr);
        ev.u.lr.group = (lr & LR_GROUP) ? 1 : 0;
        gic_emit(pe, &ev);
    }
    gic_update(pe->g);
}

static uint64_t rd_ich_apr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    return PE(ctx)->ich_apr[d->arg >> 8][d->arg & 0xff];
}

static void wr_ich_apr(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d, uint64_t v)
{
    PE(ctx)->ich_apr[d->arg >> 8][d->arg & 0xff] = (uint32_t)v;
    gic_update(PE(ctx)->g);
}

#define ICH(nm, crm, op2, rd, wr, a)                                                               \
    {                                                                                              \
        .enc = HV_SYSREG(3, 4, 12, crm, op2), .name = nm, .access = ich_access, .read = rd,        \
        .write = wr, .arg = (a)                                                                    \
    }

static const struct hv_sysreg_desc ich_regs[] = {
    ICH("ICH_AP0R0_EL2", 8, 0, rd_ich_apr, wr_ich_apr, 0x000),
    ICH("ICH_AP1R0_EL2", 9, 0, rd_ich_apr, wr_ich_apr, 0x100),
    ICH("ICH_HCR_EL2", 11, 0, rd_hcr, wr_hcr, 0),
    ICH("ICH_VTR_EL2", 11, 1, rd_vtr, NULL, 0),
    ICH("ICH_MISR_EL2", 11, 2, rd_misr, NULL, 0),
    ICH("ICH_EISR_EL2", 11, 3, rd_eisr, NULL, 0),
    ICH("ICH_ELRSR_EL2", 11, 5, rd_elrsr, NULL, 0),
    ICH("ICH_VMCR_EL2", 11, 7, rd_vmcr, wr_vmcr, 0),
};

/* ICH_LR<n>_EL2 = (3,4,12,12+n/8,n%8); the first nlrs are registered, so the
 * others UNDEF as on hardware with fewer list registers. */
static const struct hv_sysreg_desc ich_lrs[GIC_MAX_LRS] = {
    ICH("ICH_LR0_EL2", 12, 0, rd_lr, wr_lr, 0),   ICH("ICH_LR1_EL2", 12, 1, rd_lr, wr_lr, 1),
    ICH("ICH_LR2_EL2", 12, 2, rd_lr, wr_lr, 2),   ICH("ICH_LR3_EL2", 12, 3, rd_lr, wr_lr, 3),
    ICH("ICH_LR4_EL2", 12, 4, rd_lr, wr_lr, 4),   ICH("ICH_LR5_EL2", 12, 5, rd_lr, wr_lr, 5),
    ICH("ICH_LR6_EL2", 12, 6, rd_lr, wr_lr, 6),   ICH("ICH_LR7_EL2", 12, 7, rd_lr, wr_lr, 7),
    ICH("ICH_LR8_EL2", 13, 0, rd_lr, wr_lr, 8),   ICH("ICH_LR9_EL2", 13, 1, rd_lr, wr_lr, 9),
    ICH("ICH_LR10_EL2", 13, 2, rd_lr, wr_lr, 10), ICH("ICH_LR11_EL2", 13, 3, rd_lr, wr_lr, 11),
    ICH("ICH_LR12_EL2", 13, 4, rd_lr, wr_lr, 12), ICH("ICH_LR13_EL2", 13, 5, rd_lr, wr_lr, 13),
    ICH("ICH_LR14_EL2", 13, 6, rd_lr, wr_lr, 14), ICH("ICH_LR15_EL2", 13, 7, rd_lr, wr_lr, 15),
};

void gic_virt_reset(struct gic_pe *pe)
{
    pe->ich_hcr = 0;
    pe->ich_vmcr =
        VMCR_VFIQEN | (VMIN_BPR << VMCR_VBPR0_SHIFT) | ((VMIN_BPR + 1) << VMCR_VBPR1_SHIFT);
    for (unsigned i = 0; i < GIC_MAX_LRS; i++)
        pe->lr[i] = 0;
    for (unsigned i = 0; i < 4; i++)
        pe->ich_apr[0][i] = pe->ich_apr[1][i] = 0;
    pe->maint = false;
}

int gic_virt_register(struct gic_pe *pe, struct hv_err *err)
{
    if (hv_cpu_register_sysregs(pe->cpu, ich_regs, sizeof(ich_regs) / sizeof(ich_regs[0]), pe->g,
                                err) ||
        hv_cpu_register_sysregs(pe->cpu, ich_lrs, pe->g->cfg.nlrs, pe->g, err))
        return -1;
    return 0;
}
