/* GICv3 virtualization: list registers, the ICV_* view, maintenance
 * interrupts, HW forwarding and the TALL1 trap (Arm IHI 0069 GICv3 chapter 6
 * "Virtual interrupt handling and prioritization" and the ICH_*_EL2 register
 * descriptions; Arm ARM DDI 0487).
 *
 * EL2 is the hypervisor: HCR_EL2.IMO = FMO = 1 route physical IRQ/FIQ to EL2
 * and make the EL1 guest's ICC_* Group 1/common register accesses use the
 * virtual CPU interface (ICV_*, IHI 0069 chapter 6 and the ICV_* register
 * descriptions); ICH_HCR_EL2.En = 1 enables it. The guest (EL1h, MMU and
 * stage 2 off) drives the test and asks EL2 for ICH_* accesses with HVC #0
 * (x0 = command). Checks print at EL1.
 *
 * List register layout (IHI 0069, ICH_LR<n>_EL2): vINTID[31:0],
 * pINTID[44:32] (with HW = 0, bit 41 is EOI: maintenance on deactivation),
 * Priority[55:48], Group[60], HW[61], State[63:62] (01 pending, 10 active).
 * ICH_ELRSR_EL2 bit n: LR n has no interrupt (State 00 and not HW = 0 with
 * EOI = 1); ICH_EISR_EL2 bit n: State 00, HW = 0, EOI = 1. ICH_MISR_EL2: EOI
 * bit 0 (EISR != 0), U bit 1 (ICH_HCR_EL2.UIE and at most one LR valid).
 * The maintenance interrupt is PPI 25, asserted while ICH_HCR_EL2.En = 1 and
 * ICH_MISR_EL2 != 0 (level; IHI 0069 "Maintenance interrupts").
 *
 * Needs hvsim with the vIRQ line fix: until sim/cpu_el2/uc_internals.h maps
 * HV_CPU_INTERRUPT_VIRQ to QEMU's CPU_INTERRUPT_VIRQ (0x40; it is 0x80,
 * CPU_INTERRUPT_DEBUG), the first list register made pending hangs hvsim.
 */
#include "rt_extra.h"

#define GICD     0x08000000ul
#define GICR_RD  0x080A0000ul
#define GICR_SGI 0x080B0000ul

#define GICR_WAKER      0x0014
#define GICR_IGROUPR0   0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_ISPENDR0   0x0200
#define GICR_ISACTIVER0 0x0300
#define GICR_IPRIORITYR 0x0400

#define SPURIOUS  1023u
#define PPI_MAINT 25u
#define PPI_VTIMER 27u

#define LR_PENDING (1ul << 62)
#define LR_ACTIVE  (2ul << 62)
#define LR_GROUP1  (1ul << 60)
#define LR_HW      (1ul << 61)
#define LR_EOI     (1ul << 41)
#define LR_PRIO(p) ((uint64_t)(p) << 48)
#define LR_PINTID(p) ((uint64_t)(p) << 32)

#define ICH_HCR_EN    (1ul << 0)
#define ICH_HCR_UIE   (1ul << 1)
#define ICH_HCR_TALL1 (1ul << 12)

#define MISR_EOI (1ul << 0)
#define MISR_U   (1ul << 1)

/* ISS of a trapped MRS/MSR (DDI 0487 D17.2.37): Op0[21:20] Op2[19:17]
 * Op1[16:14] CRn[13:10] Rt[9:5] CRm[4:1] Direction[0] (1 = read). */
#define SYS_ISS(op0, op1, crn, crm, op2, rt, rd)                                                   \
    (((op0) << 20) | ((op2) << 17) | ((op1) << 14) | ((crn) << 10) | ((rt) << 5) | ((crm) << 1) |  \
     (rd))

enum {
    CMD_LR_WRITE = 1, /* x1 = n, x2 = value */
    CMD_LR_READ,      /* x1 = n -> x0 */
    CMD_ICH_READ,     /* x1 = which -> x0 */
    CMD_HCR_WRITE,    /* ICH_HCR_EL2 = x1 */
    CMD_REFILL,       /* underflow test: LRs <- x1..x1+3, queue the next x2 - 4, UIE = 1 */
    CMD_DONE,
};
enum { R_MISR, R_EISR, R_ELRSR, R_HCR, R_VTR };

/* ---- EL2 (hypervisor) ------------------------------------------------------- */

static volatile unsigned n_maint, n_p27, n_el2_other;
static volatile uint64_t m_misr, m_eisr, m_elrsr, p27_active;
static volatile unsigned q_next, q_end; /* refill queue: vINTIDs q_next..q_end-1 */
static volatile struct rt_taken t2;     /* trapped guest accesses */

static uint64_t lr_read(unsigned n)
{
    switch (n) {
    case 0:
        return SYSREG_READ(ich_lr0_el2);
    case 1:
        return SYSREG_READ(ich_lr1_el2);
    case 2:
        return SYSREG_READ(ich_lr2_el2);
    default:
        return SYSREG_READ(ich_lr3_el2);
    }
}

static void lr_write(unsigned n, uint64_t v)
{
    switch (n) {
    case 0:
        SYSREG_WRITE(ich_lr0_el2, v);
        break;
    case 1:
        SYSREG_WRITE(ich_lr1_el2, v);
        break;
    case 2:
        SYSREG_WRITE(ich_lr2_el2, v);
        break;
    default:
        SYSREG_WRITE(ich_lr3_el2, v);
        break;
    }
    ISB();
}

static uint64_t vlr(unsigned vintid, unsigned prio)
{
    return LR_PENDING | LR_GROUP1 | LR_PRIO(prio) | vintid;
}

/* Fill the empty LRs (ICH_ELRSR_EL2) from the queue, lowest LR first. */
static void refill(void)
{
    uint64_t elrsr = SYSREG_READ(ich_elrsr_el2);
    for (unsigned n = 0; n < 4 && q_next < q_end; n++)
        if (elrsr & (1u << n))
            lr_write(n, vlr(q_next++, 0xa0));
}

static void el2_irq(void)
{
    uint32_t id = (uint32_t)SYSREG_READ(icc_iar1_el1) & 0xffffff;
    if (id == PPI_MAINT) {
        n_maint++;
        m_misr = SYSREG_READ(ich_misr_el2);
        m_eisr = SYSREG_READ(ich_eisr_el2);
        m_elrsr = SYSREG_READ(ich_elrsr_el2);
        /* EOI maintenance: retire the LRs whose EOI bit fired. */
        for (unsigned n = 0; n < 4; n++)
            if (m_eisr & (1u << n))
                lr_write(n, 0);
        /* Underflow: refill; stop asking once the queue is empty (otherwise
         * U stays asserted and the level-sensitive PPI 25 fires again). */
        if (m_misr & MISR_U) {
            refill();
            if (q_next >= q_end)
                SYSREG_WRITE(ich_hcr_el2, SYSREG_READ(ich_hcr_el2) & ~ICH_HCR_UIE);
        }
        ISB();
        /* EL2 runs with ICC_CTLR_EL1.EOImode = 1: drop, then deactivate. */
        SYSREG_WRITE(icc_eoir1_el1, id);
        SYSREG_WRITE(icc_dir_el1, id);
        ISB();
    } else if (id == PPI_VTIMER) {
        /* Forward the physical virtual-timer interrupt: priority drop only
         * (EOImode 1), the interrupt stays active at the redistributor, and
         * an LR with HW = 1, pINTID 27 lets the guest's deactivation of
         * vINTID 27 deactivate it (IHI 0069 chapter 6, hardware
         * (HW = 1) interrupts; pseudocode VirtualWriteEOIR). */
        n_p27++;
        SYSREG_WRITE(icc_eoir1_el1, id);
        ISB();
        p27_active = mmio_read32(GICR_SGI + GICR_ISACTIVER0) & (1u << PPI_VTIMER);
        lr_write(0, LR_PENDING | LR_HW | LR_GROUP1 | LR_PRIO(0xa0) | LR_PINTID(PPI_VTIMER) |
                        PPI_VTIMER);
    } else {
        n_el2_other++;
        if (id != SPURIOUS) {
            SYSREG_WRITE(icc_eoir1_el1, id);
            SYSREG_WRITE(icc_dir_el1, id);
            ISB();
        }
    }
}

static void el2_handler(struct rt_frame *f, unsigned kind)
{
    if (kind == KIND_LOW64_IRQ) {
        el2_irq();
        return;
    }
    unsigned ec = ESR_EC(f->esr);
    if (kind == KIND_LOW64_SYNC && ec == EC_HVC64 && ESR_ISS(f->esr) == 0) {
        switch (f->x[0]) {
        case CMD_LR_WRITE:
            lr_write((unsigned)f->x[1], f->x[2]);
            return;
        case CMD_LR_READ:
            f->x[0] = lr_read((unsigned)f->x[1]);
            return;
        case CMD_ICH_READ:
            switch (f->x[1]) {
            case R_MISR:
                f->x[0] = SYSREG_READ(ich_misr_el2);
                break;
            case R_EISR:
                f->x[0] = SYSREG_READ(ich_eisr_el2);
                break;
            case R_ELRSR:
                f->x[0] = SYSREG_READ(ich_elrsr_el2);
                break;
            case R_HCR:
                f->x[0] = SYSREG_READ(ich_hcr_el2);
                break;
            default:
                f->x[0] = SYSREG_READ(ich_vtr_el2);
                break;
            }
            return;
        case CMD_HCR_WRITE:
            SYSREG_WRITE(ich_hcr_el2, f->x[1]);
            ISB();
            return;
        case CMD_REFILL:
            q_next = (unsigned)f->x[1];
            q_end = q_next + (unsigned)f->x[2];
            refill();
            SYSREG_WRITE(ich_hcr_el2, SYSREG_READ(ich_hcr_el2) | ICH_HCR_UIE);
            ISB();
            return;
        case CMD_DONE:
            rt_summary("gic_lr");
            rt_exit();
        }
    }
    /* A trapped ICC/ICV access: record it, emulate an MRS as reading 1023
     * and step over the instruction (a trap returns to itself). */
    rt_taken_record(&t2, f, kind);
    if (kind == KIND_LOW64_SYNC && ec == EC_SYS64) {
        unsigned rt = (ESR_ISS(f->esr) >> 5) & 31;
        if ((f->esr & 1) && rt < 31)
            f->x[rt] = SPURIOUS;
        f->elr += 4;
        return;
    }
    rt_printf("unexpected exception at EL2: kind %u ESR 0x%lx ELR 0x%lx\n", kind,
              (unsigned long)f->esr, (unsigned long)f->elr);
    rt_summary("gic_lr");
    rt_exit();
}

/* ---- EL1 (guest) ------------------------------------------------------------ */

static volatile unsigned n_v;
static volatile uint32_t v_id[16], v_rpr[16];
static volatile uint64_t v_lr_after_ack, v_act_before;
static volatile bool v_timer_mode;

static void spin(void)
{
    for (volatile int i = 0; i < 2000; i++)
        ;
}

static void el1_handler(struct rt_frame *f, unsigned kind)
{
    if (kind != KIND_CUR_SPX_IRQ) {
        rt_printf("unexpected exception at EL1: kind %u ESR 0x%lx ELR 0x%lx\n", kind,
                  (unsigned long)f->esr, (unsigned long)f->elr);
        rt_hvc(CMD_DONE, 0, 0, 0);
    }
    /* HCR_EL2.IMO = 1: this is ICV_IAR1_EL1 (pseudocode VirtualReadIAR). */
    uint32_t id = (uint32_t)SYSREG_READ(icc_iar1_el1) & 0xffffff;
    unsigned i = n_v;
    if (i < 16) {
        v_id[i] = id;
        v_rpr[i] = (uint32_t)SYSREG_READ(icc_rpr_el1);
        n_v = i + 1;
    }
    if (i == 0)
        v_lr_after_ack = rt_hvc(CMD_LR_READ, 1, 0, 0);
    if (v_timer_mode && id == PPI_VTIMER) {
        v_act_before = mmio_read32(GICR_SGI + GICR_ISACTIVER0) & (1u << PPI_VTIMER);
        SYSREG_WRITE(cntv_ctl_el0, 0); /* the guest's timer handler: stop it */
        ISB();
    }
    if (id != SPURIOUS) {
        SYSREG_WRITE(icc_eoir1_el1, id); /* ICV_EOIR1_EL1, EOImode 0: drop + deactivate */
        ISB();
    }
    /* Let a maintenance interrupt this EOI causes be taken to EL2 before the
     * next virtual interrupt is acknowledged. */
    spin();
}

static void vclear(void)
{
    n_v = 0;
    for (int i = 0; i < 16; i++)
        v_id[i] = v_rpr[i] = 0;
}

static void unmask_spin_mask(void)
{
    __asm__ volatile("msr daifclr, #2\nisb" ::: "memory");
    spin();
    spin();
    __asm__ volatile("msr daifset, #2\nisb" ::: "memory");
}

static uint64_t ich(unsigned which)
{
    return rt_hvc(CMD_ICH_READ, which, 0, 0);
}

static void guest_main(uint64_t arg)
{
    (void)arg;
    uint64_t v, v2;
    rt_set_el1_handler(el1_handler);
    SYSREG_WRITE(vbar_el1, (uint64_t)el1_vectors);
    /* The guest's own CPU interface set-up, all through ICV_* (VMCR). */
    SYSREG_WRITE(icc_pmr_el1, 0xff);
    SYSREG_WRITE(icc_bpr1_el1, 0);
    SYSREG_WRITE(icc_ctlr_el1, 0);
    SYSREG_WRITE(icc_igrpen1_el1, 1);
    ISB();

    /* ICH_VTR_EL2 (IHI 0069): ListRegs[4:0] = number of LRs - 1 = 3,
     * PREbits[28:26] = PRIbits[31:29] = 4 (5 bits). */
    v = ich(R_VTR);
    rt_check((v & 0x1f) == 3 && ((v >> 26) & 7) == 4 && ((v >> 29) & 7) == 4,
             "ICH_VTR_EL2: ListRegs %lu (3), PREbits %lu (4), PRIbits %lu (4)",
             (unsigned long)(v & 0x1f), (unsigned long)((v >> 26) & 7),
             (unsigned long)((v >> 29) & 7));
    v = (uint64_t)SYSREG_READ(icc_iar1_el1) & 0xffffff;
    rt_check(v == SPURIOUS, "no LR valid: ICV_IAR1_EL1 = %lu (1023)", (unsigned long)v);
    v = ich(R_ELRSR);
    rt_check(v == 0xf, "ICH_ELRSR_EL2 = 0x%lx (0xf: all 4 LRs empty)", (unsigned long)v);

    /* 1. Two virtual interrupts: vINTID 64 at 0xa0 in LR0, 65 at 0x80 in
     * LR1. ICV_HPPIR1 shows 65 (HighestPriorityVirtualInterrupt); taken in
     * priority order with ICV_RPR = the priority; after the ack, LR1's state
     * is active (VirtualReadIAR); after both EOIs the LRs are empty. */
    vclear();
    rt_hvc(CMD_LR_WRITE, 0, vlr(64, 0xa0), 0);
    rt_hvc(CMD_LR_WRITE, 1, vlr(65, 0x80), 0);
    v = ich(R_ELRSR);
    rt_check(v == 0xc, "LR0, LR1 pending: ICH_ELRSR_EL2 = 0x%lx (0xc)", (unsigned long)v);
    v = (uint64_t)SYSREG_READ(icc_hppir1_el1) & 0xffffff;
    rt_check(v == 65, "ICV_HPPIR1_EL1 = %lu (65)", (unsigned long)v);
    unmask_spin_mask();
    rt_check(n_v == 2 && v_id[0] == 65 && v_id[1] == 64 && v_rpr[0] == 0x80 && v_rpr[1] == 0xa0,
             "taken 65 (RPR 0x%x), then 64 (RPR 0x%x), %u in all", v_rpr[0], v_rpr[1], n_v);
    v = LR_ACTIVE | LR_GROUP1 | LR_PRIO(0x80) | 65;
    rt_check(v_lr_after_ack == v, "after ICV_IAR1: ICH_LR1_EL2 = 0x%lx (0x%lx, active)",
             (unsigned long)v_lr_after_ack, (unsigned long)v);
    v = rt_hvc(CMD_LR_READ, 0, 0, 0) | rt_hvc(CMD_LR_READ, 1, 0, 0);
    v2 = ich(R_ELRSR);
    rt_check((v >> 62) == 0 && v2 == 0xf, "after the EOIs: LR states 0 (%lu), ELRSR 0x%lx (0xf)",
             (unsigned long)(v >> 62), (unsigned long)v2);
    rt_check(n_maint == 0, "no maintenance interrupt without EOI/UIE (%u)", n_maint);

    /* 2. EOI maintenance: LR0 with EOI = 1 (HW = 0). The guest's deactivation
     * leaves State 00 with EOI = 1: EISR bit 0, MISR.EOI, not in ELRSR, and
     * PPI 25 is taken at EL2, which clears the LR. */
    vclear();
    rt_hvc(CMD_LR_WRITE, 0, vlr(70, 0x90) | LR_EOI, 0);
    unmask_spin_mask();
    rt_check(n_v == 1 && v_id[0] == 70, "EOI-bit LR: guest took %u (70)", v_id[0]);
    rt_check(n_maint == 1, "maintenance interrupt (PPI 25) taken at EL2 %u time(s) (1)", n_maint);
    rt_check(m_misr == MISR_EOI && m_eisr == 1 && m_elrsr == 0xe,
             "in it: ICH_MISR_EL2 0x%lx (0x1), EISR 0x%lx (0x1), ELRSR 0x%lx (0xe)",
             (unsigned long)m_misr, (unsigned long)m_eisr, (unsigned long)m_elrsr);
    v = ich(R_MISR);
    v2 = mmio_read32(GICR_SGI + GICR_ISPENDR0 ) & (1u << PPI_MAINT);
    rt_check(v == 0 && v2 == 0, "LR cleared: MISR 0x%lx, PPI 25 not pending (0x%lx)",
             (unsigned long)v, (unsigned long)v2);

    /* 3. Underflow with more interrupts than LRs: vINTIDs 80..85 (all 0xa0),
     * 80-83 in LR0-3, 84, 85 queued, ICH_HCR_EL2.UIE = 1. After the guest
     * deactivates 80, 81, 82 only LR3 is valid: MISR.U, PPI 25; EL2 refills
     * LR0, LR1 with 84, 85 and clears UIE. Equal priorities go to the lowest
     * LR index (both models), so the guest sees 80 81 82 84 85 83. */
    vclear();
    n_maint = 0;
    rt_hvc(CMD_REFILL, 80, 6, 0);
    v = ich(R_ELRSR);
    rt_check(v == 0, "4 LRs loaded: ELRSR 0x%lx (0), UIE set", (unsigned long)v);
    unmask_spin_mask();
    {
        static const uint32_t want[] = {80, 81, 82, 84, 85, 83};
        bool ok = n_v == 6;
        for (unsigned i = 0; ok && i < 6; i++)
            ok = v_id[i] == want[i];
        rt_check(ok, "all 6 delivered, order %u %u %u %u %u %u (80 81 82 84 85 83)", v_id[0],
                 v_id[1], v_id[2], v_id[3], v_id[4], v_id[5]);
    }
    rt_check(n_maint == 1 && m_misr == MISR_U && m_elrsr == 0x7,
             "underflow maintenance %u (1): MISR 0x%lx (0x2), ELRSR 0x%lx (0x7)", n_maint,
             (unsigned long)m_misr, (unsigned long)m_elrsr);
    v = ich(R_HCR);
    v2 = ich(R_ELRSR);
    rt_check(v == ICH_HCR_EN && v2 == 0xf, "end: ICH_HCR_EL2 0x%lx (0x1), ELRSR 0x%lx (0xf)",
             (unsigned long)v, (unsigned long)v2);

    /* 4. HW = 1: the virtual timer's physical PPI 27 goes to EL2 (IMO = 1),
     * which drops its priority (EOImode 1) and injects vINTID 27 with HW = 1,
     * pINTID 27. The guest sees 27, and PPI 27 is active at the
     * redistributor until the guest's ICV_EOIR1 deactivates it (HW = 1:
     * VirtualWriteEOIR deactivates the physical INTID). */
    vclear();
    n_maint = 0;
    v_timer_mode = true;
    SYSREG_WRITE(cntv_tval_el0, 0);
    SYSREG_WRITE(cntv_ctl_el0, 1);
    ISB();
    unmask_spin_mask();
    v_timer_mode = false;
    rt_check(n_p27 == 1 && p27_active, "PPI 27 taken at EL2 once (%u), active after its EOIR1 "
             "(%d)", n_p27, p27_active != 0);
    rt_check(n_v == 1 && v_id[0] == PPI_VTIMER, "guest took vINTID %u (27)", v_id[0]);
    rt_check(v_act_before != 0, "in the guest's handler GICR_ISACTIVER0 bit 27 = %d (1)",
             v_act_before != 0);
    v = mmio_read32(GICR_SGI + GICR_ISACTIVER0) & (1u << PPI_VTIMER);
    v2 = ich(R_ELRSR);
    rt_check(v == 0 && v2 == 0xf,
             "after the guest's EOI: ISACTIVER0 bit 27 = %d (0), ELRSR 0x%lx (0xf)", v != 0,
             (unsigned long)v2);
    rt_check(n_maint == 0 && n_el2_other == 0, "no maintenance (%u) or other IRQ (%u) at EL2",
             n_maint, n_el2_other);

    /* 5. ICH_HCR_EL2.TALL1 traps the guest's Group 1 ICV accesses to EL2
     * with EC 0x18 (IHI 0069 ICH_HCR_EL2.TALL1; DDI 0487 D17.2.37): ICC_IAR1_EL1 is op0 3, op1 0,
     * CRn 12, CRm 12, op2 0; ICC_EOIR1_EL1 op2 1. ICC_PMR_EL1 (common, only
     * ICH_HCR_EL2.TC traps it) is not trapped. */
    rt_hvc(CMD_HCR_WRITE, ICH_HCR_EN | ICH_HCR_TALL1, 0, 0);
    rt_hvc(CMD_LR_WRITE, 0, vlr(90, 0xa0), 0);
    rt_taken_clear(&t2);
    uint64_t pc;
    register uint64_t x5 __asm__("x5") = 0;
    __asm__ volatile("adr %0, 1f\n1: mrs x5, icc_iar1_el1" : "=r"(pc), "+r"(x5)::"memory");
    v = ESR_VAL(EC_SYS64, SYS_ISS(3, 0, 12, 12, 0, 5, 1));
    rt_check(t2.n == 1 && t2.esr == v && t2.elr == pc && x5 == SPURIOUS,
             "TALL1: MRS ICC_IAR1_EL1 traps: ESR_EL2 0x%lx (0x%lx), ELR = insn %d",
             (unsigned long)t2.esr, (unsigned long)v, t2.elr == pc);
    rt_taken_clear(&t2);
    x5 = 90;
    __asm__ volatile("adr %0, 1f\n1: msr icc_eoir1_el1, x5" : "=r"(pc), "+r"(x5)::"memory");
    v = ESR_VAL(EC_SYS64, SYS_ISS(3, 0, 12, 12, 1, 5, 0));
    rt_check(t2.n == 1 && t2.esr == v && t2.elr == pc,
             "TALL1: MSR ICC_EOIR1_EL1 traps: ESR_EL2 0x%lx (0x%lx), ELR = insn %d",
             (unsigned long)t2.esr, (unsigned long)v, t2.elr == pc);
    rt_taken_clear(&t2);
    v = SYSREG_READ(icc_pmr_el1);
    rt_check(t2.n == 0 && v == 0xf8, "TALL1: ICC_PMR_EL1 not trapped (%u), reads 0x%lx (0xf8)",
             t2.n, (unsigned long)v);
    v = rt_hvc(CMD_LR_READ, 0, 0, 0);
    rt_check(v == vlr(90, 0xa0), "LR0 still pending (the trapped IAR1 did not ack it)");
    rt_hvc(CMD_HCR_WRITE, ICH_HCR_EN, 0, 0);
    v = (uint64_t)SYSREG_READ(icc_iar1_el1) & 0xffffff;
    SYSREG_WRITE(icc_eoir1_el1, v);
    ISB();
    v2 = ich(R_ELRSR);
    rt_check(v == 90 && v2 == 0xf, "TALL1 = 0: IAR1 %lu (90), after EOI ELRSR 0x%lx (0xf)",
             (unsigned long)v, (unsigned long)v2);

    rt_hvc(CMD_DONE, 0, 0, 0);
    for (;;)
        ;
}

static void gic_init(void)
{
    mmio_write32(GICD, 0x13); /* GICD_CTLR: ARE, EnableGrp1, EnableGrp0 */
    while (mmio_read32(GICD) & (1u << 31))
        ;
    mmio_write32(GICR_RD + GICR_WAKER, mmio_read32(GICR_RD + GICR_WAKER) & ~2u);
    while (mmio_read32(GICR_RD + GICR_WAKER) & 4u)
        ;
    SYSREG_WRITE(icc_sre_el2, SYSREG_READ(icc_sre_el2) | 0x9);
    ISB();
    SYSREG_WRITE(icc_sre_el1, SYSREG_READ(icc_sre_el1) | 0x1);
    ISB();
    SYSREG_WRITE(icc_pmr_el1, 0xff);
    SYSREG_WRITE(icc_ctlr_el1, 2); /* EOImode 1: priority drop and deactivation split */
    SYSREG_WRITE(icc_igrpen1_el1, 1);
    ISB();
    uint32_t ppis = (1u << PPI_MAINT) | (1u << PPI_VTIMER);
    mmio_write32(GICR_SGI + GICR_IGROUPR0, ppis);
    *(volatile uint8_t *)(GICR_SGI + GICR_IPRIORITYR + PPI_MAINT) = 0x80;
    *(volatile uint8_t *)(GICR_SGI + GICR_IPRIORITYR + PPI_VTIMER) = 0xa0;
    mmio_write32(GICR_SGI + GICR_ISENABLER0, ppis);
    DSB();
}

int main(uint64_t dtb)
{
    (void)dtb;
    rt_set_el2_handler(el2_handler);
    __asm__ volatile("msr daifset, #0xf\nisb" ::: "memory");
    SYSREG_WRITE(hcr_el2, HCR_RW | HCR_IMO | HCR_FMO);
    SYSREG_WRITE(cntvoff_el2, 0);
    SYSREG_WRITE(cntv_ctl_el0, 0);
    ISB();
    gic_init();
    for (unsigned n = 0; n < 4; n++)
        lr_write(n, 0);
    SYSREG_WRITE(ich_hcr_el2, ICH_HCR_EN);
    ISB();
    rt_eret_to((uint64_t)guest_main, 0, (uint64_t)__el1_stack_top, SPSR_DAIF | SPSR_EL1h);
    return 0;
}
