/* GICv3 physical CPU interface at EL2, driven with SGIs to self (Arm IHI
 * 0069 "GIC architecture specification", GICv3; Arm ARM DDI 0487).
 *
 * Routing: at EL2 with HCR_EL2.TGE = 0, a physical IRQ is taken to EL2 only
 * when HCR_EL2.IMO = 1 (DDI 0487 D1.13 "Asynchronous exception routing",
 * table "Routing when both EL3 and EL2 are implemented"); with IMO = 0 it
 * targets EL1 and is masked at EL2. So the image runs at EL2 with IMO = FMO
 * = 1 and takes its IRQs at the EL2 "current EL, SPx" IRQ vector.
 *
 * Set-up (IHI 0069 chapter 4 and the register descriptions): GICD_CTLR.ARE
 * + EnableGrp1 (DS = 1: one Security state), the GICR_WAKER handshake (ProcessorSleep = 0, wait for
 * ChildrenAsleep = 0), ICC_SRE_EL2.{SRE,Enable} and ICC_SRE_EL1.SRE, ICC_PMR
 * 0xff, ICC_BPR1, ICC_IGRPEN1_EL1 = 1; SGIs 0-15 Group 1 (GICR_IGROUPR0)
 * and enabled (GICR_ISENABLER0). SGIs are generated with ICC_SGI1R_EL1
 * (IHI 0069 ICC_SGI1R_EL1: INTID[27:24], Aff1[23:16], TargetList[15:0]; PE 0 has
 * affinity 0.0.0.0, so TargetList bit 0 targets this PE).
 *
 * Priorities: the CPU interface implements 5 bits (IHI 0069 4.8:
 * priority[7:3]); all priorities below use only those bits so that an
 * implementation keeping all 8 bits in IPRIORITYR orders them the same.
 */
#include "rt_extra.h"

#define GICD     0x08000000ul
#define GICR_RD  0x080A0000ul
#define GICR_SGI 0x080B0000ul

#define GICD_CTLR       0x0000
#define GICR_WAKER      0x0014
#define GICR_IGROUPR0   0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_ICPENDR0   0x0280
#define GICR_ISACTIVER0 0x0300
#define GICR_ICACTIVER0 0x0380
#define GICR_IPRIORITYR 0x0400

#define SPURIOUS 1023u

static volatile unsigned depth;
static volatile unsigned n_log;
static volatile uint32_t log_id[16], log_rpr[16], log_depth[16];
static volatile uint32_t in_hppir, in_ap1r0, after_rpr;
static volatile unsigned unexpected;

enum { M_PLAIN, M_NEST };
static volatile unsigned mode;

static inline void sgi(unsigned intid)
{
    /* ICC_SGI1R_EL1: INTID[27:24], TargetList[15:0] bit 0 = Aff0 0. */
    SYSREG_WRITE(icc_sgi1r_el1, ((uint64_t)intid << 24) | 1);
    ISB();
}

static void set_prio(unsigned intid, uint8_t prio)
{
    *(volatile uint8_t *)(GICR_SGI + GICR_IPRIORITYR + intid) = prio;
    DSB();
}

static void spin(void)
{
    for (volatile int i = 0; i < 2000; i++)
        ;
}

static uint32_t read_iar(void)
{
    uint32_t v = (uint32_t)SYSREG_READ(icc_iar1_el1) & 0xffffff;
    return v;
}

static void eoi(uint32_t id)
{
    SYSREG_WRITE(icc_eoir1_el1, id);
    ISB();
}

static void el2_handler(struct rt_frame *f, unsigned kind)
{
    (void)f;
    if (kind != KIND_CUR_SPX_IRQ) {
        unexpected++;
        rt_printf("unexpected exception kind %u ESR 0x%lx\n", kind, (unsigned long)f->esr);
        rt_summary("gic_sgi");
        rt_exit();
    }
    depth++;
    uint32_t id = read_iar();
    unsigned i = n_log;
    if (i < 16) {
        log_id[i] = id;
        log_rpr[i] = (uint32_t)SYSREG_READ(icc_rpr_el1);
        log_depth[i] = depth;
        n_log = i + 1;
    }
    if (mode == M_NEST && id == 5) {
        /* Active at 0xa0: a higher-priority SGI 6 (0x80) preempts, an
         * equal (7, 0xa0) or lower (8, 0xc0) one does not (IHI 0069 4.8
         * "Preemption": only a group priority higher than the running
         * priority preempts). */
        sgi(8);
        sgi(7);
        sgi(6);
        in_hppir = (uint32_t)SYSREG_READ(icc_hppir1_el1) & 0xffffff;
        in_ap1r0 = (uint32_t)SYSREG_READ(icc_ap1r0_el1);
        __asm__ volatile("msr daifclr, #2\nisb" ::: "memory");
        spin();
        __asm__ volatile("msr daifset, #2\nisb" ::: "memory");
        after_rpr = (uint32_t)SYSREG_READ(icc_rpr_el1);
    }
    if (id != SPURIOUS)
        eoi(id);
    depth--;
}

static void unmask_spin_mask(void)
{
    __asm__ volatile("msr daifclr, #2\nisb" ::: "memory");
    spin();
    __asm__ volatile("msr daifset, #2\nisb" ::: "memory");
}

static void log_clear(void)
{
    n_log = 0;
    for (int i = 0; i < 16; i++)
        log_id[i] = log_rpr[i] = log_depth[i] = 0;
}

static bool log_is(unsigned n, const uint32_t *ids, const uint32_t *rprs, const uint32_t *depths)
{
    if (n_log != n)
        return false;
    for (unsigned i = 0; i < n; i++)
        if (log_id[i] != ids[i] || log_rpr[i] != rprs[i] || log_depth[i] != depths[i])
            return false;
    return true;
}

static void log_print(const char *what)
{
    rt_printf("  %s:", what);
    for (unsigned i = 0; i < n_log && i < 16; i++)
        rt_printf(" %u/0x%x/%u", log_id[i], log_rpr[i], log_depth[i]);
    rt_printf("\n");
}

static void gic_init(void)
{
    /* GICD_CTLR: ARE (bit 4, RAO with DS = 1 on both models), EnableGrp1
     * (bit 1), EnableGrp0 (bit 0); wait for RWP (bit 31) to clear. */
    mmio_write32(GICD + GICD_CTLR, 0x13);
    while (mmio_read32(GICD + GICD_CTLR) & (1u << 31))
        ;
    /* GICR_WAKER: clear ProcessorSleep (bit 1), then ChildrenAsleep (bit 2)
     * reads 0 (IHI 0069 GICR_WAKER). */
    mmio_write32(GICR_RD + GICR_WAKER, mmio_read32(GICR_RD + GICR_WAKER) & ~2u);
    while (mmio_read32(GICR_RD + GICR_WAKER) & 4u)
        ;
    /* System register interface: ICC_SRE_EL2.Enable (bit 3) lets EL1 use
     * ICC_SRE_EL1; SRE (bit 0) selects the system registers. */
    SYSREG_WRITE(icc_sre_el2, SYSREG_READ(icc_sre_el2) | 0x9);
    ISB();
    SYSREG_WRITE(icc_sre_el1, SYSREG_READ(icc_sre_el1) | 0x1);
    ISB();
    SYSREG_WRITE(icc_pmr_el1, 0xff);
    SYSREG_WRITE(icc_bpr1_el1, 0); /* clamps to the minimum (ICC_BPR1_EL1) */
    SYSREG_WRITE(icc_ctlr_el1, 0); /* EOImode 0, CBPR 0 */
    SYSREG_WRITE(icc_igrpen1_el1, 1);
    ISB();
    mmio_write32(GICR_SGI + GICR_IGROUPR0, 0xffff); /* SGIs Group 1 */
    for (unsigned i = 0; i < 16; i++)
        set_prio(i, 0xa0);
    mmio_write32(GICR_SGI + GICR_ISENABLER0, 0xffff);
    DSB();
}

int main(uint64_t dtb)
{
    (void)dtb;
    uint32_t v;
    rt_set_el2_handler(el2_handler);
    __asm__ volatile("msr daifset, #0xf\nisb" ::: "memory");
    SYSREG_WRITE(hcr_el2, HCR_RW | HCR_IMO | HCR_FMO);
    ISB();
    gic_init();

    rt_check((SYSREG_READ(icc_sre_el2) & 0x9) == 0x9 && (SYSREG_READ(icc_sre_el1) & 1),
             "ICC_SRE_EL2.{SRE,Enable} and ICC_SRE_EL1.SRE set");
    /* BPR minimums (IHI 0069 ICC_BPR0_EL1 / ICC_BPR1_EL1): with 5 priority bits the
     * smallest BPR0 is 2 (group priority [7:3]) and BPR1's is one more, 3;
     * a write below the minimum reads back the minimum. */
    v = (uint32_t)SYSREG_READ(icc_bpr1_el1);
    rt_check(v == 3, "ICC_BPR1_EL1 written 0 reads the minimum 3 (%u)", v);
    v = (uint32_t)SYSREG_READ(icc_pmr_el1);
    rt_check(v == 0xf8, "ICC_PMR_EL1 0xff reads 0x%x (5 priority bits: 0xf8)", v);

    /* 1. Nothing pending: IAR1 and HPPIR1 return the special INTID 1023
     * (IHI 0069 "Special INTIDs"), RPR is idle 0xff (ICC_RPR_EL1). */
    v = read_iar();
    rt_check(v == SPURIOUS, "nothing pending: ICC_IAR1_EL1 = %u (1023)", v);
    v = (uint32_t)SYSREG_READ(icc_hppir1_el1);
    rt_check(v == SPURIOUS, "nothing pending: ICC_HPPIR1_EL1 = %u (1023)", v);
    v = (uint32_t)SYSREG_READ(icc_rpr_el1);
    rt_check(v == 0xff, "idle: ICC_RPR_EL1 = 0x%x (0xff)", v);

    /* 2. Delivery order by priority (4.8 "Interrupt prioritization"): SGIs
     * 1 (0xa0), 2 (0x80), 3 (0xc0) made pending while PSTATE.I = 1; HPPIR1
     * shows the highest (2); once unmasked they are taken 2, 1, 3, each with
     * RPR = its own priority while handled. */
    set_prio(1, 0xa0);
    set_prio(2, 0x80);
    set_prio(3, 0xc0);
    sgi(1);
    sgi(3);
    sgi(2);
    v = (uint32_t)SYSREG_READ(icc_hppir1_el1);
    rt_check(v == 2, "3 SGIs pending, masked: ICC_HPPIR1_EL1 = %u (2, priority 0x80)", v);
    v = mmio_read32(GICR_SGI + 0x200);
    rt_check((v & 0xffff) == 0xe, "GICR_ISPENDR0 = 0x%x (0xe: SGIs 1-3)", v & 0xffff);
    log_clear();
    mode = M_PLAIN;
    unmask_spin_mask();
    {
        static const uint32_t ids[] = {2, 1, 3}, rprs[] = {0x80, 0xa0, 0xc0}, d[] = {1, 1, 1};
        bool ok = log_is(3, ids, rprs, d);
        rt_check(ok, "taken in priority order 2, 1, 3 with RPR = own priority, not nested");
        if (!ok)
            log_print("id/rpr/depth");
    }
    v = mmio_read32(GICR_SGI + GICR_ISACTIVER0) | mmio_read32(GICR_SGI + 0x200);
    rt_check((v & 0xffff) == 0, "after EOIs: no SGI pending or active (0x%x)", v & 0xffff);

    /* 3. Equal priority: ties go to the lowest INTID (4.8: the choice among
     * equal priorities is IMPLEMENTATION DEFINED; both models pick the lowest INTID). */
    set_prio(9, 0xa0);
    set_prio(4, 0xa0);
    sgi(9);
    sgi(4);
    log_clear();
    unmask_spin_mask();
    {
        static const uint32_t ids[] = {4, 9}, rprs[] = {0xa0, 0xa0}, d[] = {1, 1};
        bool ok = log_is(2, ids, rprs, d);
        rt_check(ok, "equal priorities: taken 4 then 9");
        if (!ok)
            log_print("id/rpr/depth");
    }

    /* 4. Preemption (4.8 "Preemption"): while SGI 5 (0xa0) is active and PSTATE.I is
     * cleared in its handler, SGI 6 (0x80) preempts (nested, RPR 0x80), SGIs
     * 7 (0xa0, equal) and 8 (0xc0, lower) wait until SGI 5's EOI, then are
     * taken in priority order. */
    set_prio(5, 0xa0);
    set_prio(6, 0x80);
    set_prio(7, 0xa0);
    set_prio(8, 0xc0);
    log_clear();
    mode = M_NEST;
    sgi(5);
    unmask_spin_mask();
    mode = M_PLAIN;
    {
        static const uint32_t ids[] = {5, 6, 7, 8}, rprs[] = {0xa0, 0x80, 0xa0, 0xc0},
                              d[] = {1, 2, 1, 1};
        bool ok = log_is(4, ids, rprs, d);
        rt_check(ok, "SGI 6 (0x80) preempts active 5 (0xa0); 7 (0xa0), 8 (0xc0) wait");
        if (!ok)
            log_print("id/rpr/depth");
    }
    rt_check(in_hppir == 6, "in SGI 5's handler, 6/7/8 pending: ICC_HPPIR1_EL1 = %u (6)",
             in_hppir);
    /* ICC_AP1R0_EL1's layout is IMPLEMENTATION DEFINED, but it is non-zero
     * while an interrupt is active and 0 when none is (ICC_AP1R<n>_EL1). */
    rt_check(in_ap1r0 != 0, "ICC_AP1R0_EL1 non-zero while SGI 5 is active");
    rt_check(after_rpr == 0xa0, "after the nested EOI the running priority drops back to 0x%x "
             "(0xa0)", after_rpr);
    v = (uint32_t)SYSREG_READ(icc_ap1r0_el1);
    rt_check(v == 0, "ICC_AP1R0_EL1 = 0x%x after all EOIs", v);

    /* 5. Group priority and the binary point (4.8 "Preemption", "Priority grouping"; pseudocode
     * GroupBits()): only the group priority preempts. With ICC_BPR1_EL1 = 4
     * the Group 1 group priority is priority[7:4] (for Group 1, BPR1 value N
     * gives [7:N], Table 4-8 / GroupBits uses BPR1 - 1): 0xa8 (group 0xa0)
     * preempts an active 0xb8 (group 0xb0). With BPR1 = 5 (group [7:5]) both
     * are group 0xa0 and 0xa8 does not preempt. Polled with IAR1 at PSTATE.I
     * = 1: IAR1 returns 1023 for an interrupt that cannot preempt. */
    set_prio(10, 0xb8);
    set_prio(11, 0xa8);
    SYSREG_WRITE(icc_bpr1_el1, 4);
    ISB();
    sgi(10);
    v = read_iar();
    sgi(11);
    uint32_t v2 = read_iar();
    rt_check(v == 10 && v2 == 11, "BPR1 4: IAR1 %u, then with 10 (0xb8) active IAR1 %u (11)", v,
             v2);
    eoi(v2);
    eoi(v);
    SYSREG_WRITE(icc_bpr1_el1, 5);
    ISB();
    sgi(10);
    v = read_iar();
    sgi(11);
    v2 = read_iar();
    rt_check(v == 10 && v2 == SPURIOUS,
             "BPR1 5: IAR1 %u, then with 10 (0xb8) active IAR1 %u (1023, same group 0xa0)", v, v2);
    v2 = (uint32_t)SYSREG_READ(icc_hppir1_el1);
    rt_check(v2 == 11, "  ... ICC_HPPIR1_EL1 still shows 11 (%u)", v2);
    eoi(v);
    v = read_iar();
    rt_check(v == 11, "after EOI of 10: IAR1 = %u (11)", v);
    eoi(v);
    SYSREG_WRITE(icc_bpr1_el1, 0);
    ISB();

    /* 6. EOImode = 1 (ICC_CTLR_EL1 bit 1): EOIR1 only drops the
     * running priority; the interrupt stays active (GICR_ISACTIVER0) until
     * ICC_DIR_EL1 deactivates it (4.1 "Priority drop and interrupt
     * deactivation"). An active interrupt made pending again is not
     * signalled until it is deactivated. */
    SYSREG_WRITE(icc_ctlr_el1, 2);
    ISB();
    v = (uint32_t)SYSREG_READ(icc_ctlr_el1);
    rt_check(v & 2, "ICC_CTLR_EL1.EOImode = 1");
    set_prio(12, 0x90);
    sgi(12);
    v = read_iar();
    rt_check(v == 12, "EOImode 1: IAR1 = %u (12)", v);
    eoi(v);
    v = (uint32_t)SYSREG_READ(icc_rpr_el1);
    rt_check(v == 0xff, "after EOIR1 (priority drop): RPR = 0x%x (0xff)", v);
    v = mmio_read32(GICR_SGI + GICR_ISACTIVER0);
    rt_check(v == (1u << 12), "after EOIR1: GICR_ISACTIVER0 = 0x%x (0x1000, still active)", v);
    sgi(12);
    v = read_iar();
    rt_check(v == SPURIOUS, "12 pending again while active: IAR1 = %u (1023)", v);
    SYSREG_WRITE(icc_dir_el1, 12);
    ISB();
    v = mmio_read32(GICR_SGI + GICR_ISACTIVER0);
    uint32_t p = mmio_read32(GICR_SGI + 0x200);
    rt_check(v == 0 && (p & 0xffff) == (1u << 12),
             "after ICC_DIR_EL1: ISACTIVER0 = 0x%x (0), ISPENDR0 = 0x%x (0x1000)", v, p & 0xffff);
    v = read_iar();
    rt_check(v == 12, "after DIR: the pending 12 is acknowledged (%u)", v);
    eoi(v);
    SYSREG_WRITE(icc_dir_el1, v);
    ISB();
    v = mmio_read32(GICR_SGI + GICR_ISACTIVER0);
    rt_check(v == 0, "EOIR1 + DIR: ISACTIVER0 = 0x%x (0)", v);
    SYSREG_WRITE(icc_ctlr_el1, 0);
    ISB();

    /* 7. Masking by ICC_PMR_EL1 (4.8 "Priority masking"): an interrupt is
     * signalled only if its priority is higher (numerically lower) than the
     * PMR. PMR = 0x80 masks an SGI at 0x80: not taken with PSTATE.I = 0, IAR1
     * returns 1023, HPPIR1 (which ignores the PMR: ICC_HPPIR1_EL1) shows it. PMR =
     * 0x88 lets it through. */
    set_prio(13, 0x80);
    SYSREG_WRITE(icc_pmr_el1, 0x80);
    ISB();
    log_clear();
    sgi(13);
    unmask_spin_mask();
    rt_check(n_log == 0, "PMR 0x80, SGI 13 at 0x80, PSTATE.I = 0: not taken (%u)", n_log);
    v = (uint32_t)SYSREG_READ(icc_hppir1_el1);
    v2 = read_iar();
    rt_check(v == 13 && v2 == SPURIOUS, "  ... HPPIR1 = %u (13), IAR1 = %u (1023)", v, v2);
    SYSREG_WRITE(icc_pmr_el1, 0x88);
    ISB();
    unmask_spin_mask();
    rt_check(n_log == 1 && log_id[0] == 13, "PMR 0x88: SGI 13 taken (%u taken, id %u)", n_log,
             log_id[0]);
    SYSREG_WRITE(icc_pmr_el1, 0xff);

    /* 8. ICC_IGRPEN1_EL1 = 0 disables Group 1 at the CPU interface: IAR1
     * returns 1023 (pseudocode: the group must be enabled). */
    SYSREG_WRITE(icc_igrpen1_el1, 0);
    ISB();
    sgi(14);
    v = read_iar();
    rt_check(v == SPURIOUS, "IGRPEN1 = 0: IAR1 = %u (1023)", v);
    SYSREG_WRITE(icc_igrpen1_el1, 1);
    ISB();
    v = read_iar();
    rt_check(v == 14, "IGRPEN1 = 1: IAR1 = %u (14)", v);
    eoi(v);

    v = mmio_read32(GICR_SGI + GICR_ISACTIVER0) | mmio_read32(GICR_SGI + 0x200);
    rt_check((v & 0xffff) == 0 && unexpected == 0, "end: no SGI pending or active (0x%x)",
             v & 0xffff);
    rt_summary("gic_sgi");
    return 0;
}
