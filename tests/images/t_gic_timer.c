/* Generic timer interrupts through the GICv3 to an EL2 handler (Arm ARM DDI
 * 0487 D11 "The Generic Timer in AArch64 state"; Arm IHI 0069 GICv3).
 *
 * Each timer drives a level-sensitive PPI (D11.2.4 "Timers": the interrupt
 * output is asserted while ENABLE = 1, IMASK = 0 and ISTATUS = 1, i.e. the
 * timer condition CVAL <= count holds). QEMU virt and hvsim wire them as
 * (Server Base System Architecture PPI assignments): EL2 physical timer
 * CNTHP -> PPI 26, EL1 physical CNTP -> 30, virtual CNTV -> 27.
 *
 * Routing: HCR_EL2.IMO = 1, so physical IRQs are taken at EL2 (DDI 0487
 * D1.13); the image stays at EL2 with HCR_EL2.E2H = 0, where CNTP_*_EL0 and
 * CNTV_*_EL0 are the EL1 timers. CNTVOFF_EL2 = 0.
 *
 * For each timer:
 *   - WFI with PSTATE.I = 0: the interrupt wakes the PE and is taken; the
 *     handler sees ICC_IAR1_EL1 = the PPI, the PPI active and (level still
 *     high) pending in GICR_ISACTIVER0/ISPENDR0; it disables the timer and
 *     EOIs: nothing pending or active afterwards;
 *   - WFI with PSTATE.I = 1: WFI still wakes up on the pending (masked)
 *     interrupt (DDI 0487 D1.16 "Wait For Interrupt": a WFI wake-up event
 *     is any physical IRQ that would be taken if not masked by PSTATE);
 *     ISR_EL1.I (read at EL2: the physical IRQ) is 1, HPPIR1/IAR1 give the
 *     PPI;
 *   - level sensitivity (IHI 0069 4.1 "Interrupt lifecycle", level-
 *     sensitive): a handler that EOIs without clearing the timer condition
 *     is entered again at once; the second entry disables the timer;
 *   - CNTx_CTL.IMASK = 1 deasserts the output although ISTATUS = 1: not
 *     pending at the redistributor, IAR1 = 1023.
 * No counter values are printed (they differ between hvsim and QEMU).
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

#define SPURIOUS 1023u

#define CTL_ENABLE  1ul
#define CTL_IMASK   2ul
#define CTL_ISTATUS 4ul

#define ONE_MS 62500ul /* CNTFRQ 62.5 MHz */

#define ISR_I (1ul << 7)

enum { T_HYP, T_PHYS, T_VIRT };
static const char *const tname[] = {"CNTHP (EL2 phys)", "CNTP (EL1 phys)", "CNTV (virtual)"};
static const unsigned tppi[] = {26, 30, 27};

static volatile unsigned cur; /* timer under test */
static volatile unsigned n_irq, again;
static volatile uint32_t h_id, h_act, h_pend;
static volatile bool level_mode;

static uint64_t ctl_read(unsigned t)
{
    switch (t) {
    case T_HYP:
        return SYSREG_READ(cnthp_ctl_el2);
    case T_PHYS:
        return SYSREG_READ(cntp_ctl_el0);
    default:
        return SYSREG_READ(cntv_ctl_el0);
    }
}

static void ctl_write(unsigned t, uint64_t v)
{
    switch (t) {
    case T_HYP:
        SYSREG_WRITE(cnthp_ctl_el2, v);
        break;
    case T_PHYS:
        SYSREG_WRITE(cntp_ctl_el0, v);
        break;
    default:
        SYSREG_WRITE(cntv_ctl_el0, v);
        break;
    }
    ISB();
}

/* TVAL write: CVAL = count + TVAL (D11.2.4). */
static void tval_write(unsigned t, uint64_t v)
{
    switch (t) {
    case T_HYP:
        SYSREG_WRITE(cnthp_tval_el2, v);
        break;
    case T_PHYS:
        SYSREG_WRITE(cntp_tval_el0, v);
        break;
    default:
        SYSREG_WRITE(cntv_tval_el0, v);
        break;
    }
    ISB();
}

static void el2_handler(struct rt_frame *f, unsigned kind)
{
    if (kind != KIND_CUR_SPX_IRQ) {
        rt_printf("unexpected exception kind %u ESR 0x%lx\n", kind, (unsigned long)f->esr);
        rt_summary("gic_timer");
        rt_exit();
    }
    uint32_t id = (uint32_t)SYSREG_READ(icc_iar1_el1) & 0xffffff;
    n_irq++;
    if (n_irq == 1) {
        h_id = id;
        h_act = mmio_read32(GICR_SGI + GICR_ISACTIVER0);
        h_pend = mmio_read32(GICR_SGI + GICR_ISPENDR0);
    } else if (id != h_id) {
        again = 1000 + id; /* a different INTID: reported by the check */
    }
    /* Level mode: leave the timer firing on the first entry. */
    if (!level_mode || n_irq >= 2)
        ctl_write(cur, 0);
    if (id != SPURIOUS) {
        SYSREG_WRITE(icc_eoir1_el1, id);
        ISB();
    }
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
    SYSREG_WRITE(icc_ctlr_el1, 0);
    SYSREG_WRITE(icc_igrpen1_el1, 1);
    ISB();
    uint32_t ppis = (1u << 26) | (1u << 27) | (1u << 30);
    mmio_write32(GICR_SGI + GICR_IGROUPR0, ppis);
    for (unsigned i = 0; i < 3; i++)
        *(volatile uint8_t *)(GICR_SGI + GICR_IPRIORITYR + tppi[i]) = 0xa0;
    mmio_write32(GICR_SGI + GICR_ISENABLER0, ppis);
    DSB();
}

static uint32_t ppi_bits(uint32_t v)
{
    return v & ((1u << 26) | (1u << 27) | (1u << 30));
}

static void test_timer(unsigned t)
{
    unsigned ppi = tppi[t];
    const char *n = tname[t];
    uint32_t bit = 1u << ppi, v;
    cur = t;

    /* 1. WFI with PSTATE.I = 0. The wait re-checks n_irq before each WFI;
     * the timer is 1 ms ahead, far beyond the few instructions between the
     * check and the WFI. */
    n_irq = 0;
    again = 0;
    level_mode = false;
    ctl_write(t, 0);
    tval_write(t, ONE_MS);
    ctl_write(t, CTL_ENABLE);
    __asm__ volatile("msr daifclr, #2\nisb" ::: "memory");
    while (n_irq == 0)
        __asm__ volatile("wfi" ::: "memory");
    __asm__ volatile("msr daifset, #2\nisb" ::: "memory");
    rt_check(n_irq == 1 && h_id == ppi, "%s: WFI unmasked: handler ran once, IAR1 = %u (%u)", n,
             h_id, ppi);
    rt_check((h_act & bit) && (h_pend & bit),
             "%s: in handler: PPI active and (level high) pending: %d %d", n, !!(h_act & bit),
             !!(h_pend & bit));
    v = ppi_bits(mmio_read32(GICR_SGI + GICR_ISACTIVER0) | mmio_read32(GICR_SGI + GICR_ISPENDR0));
    rt_check(v == 0, "%s: timer disabled + EOI: nothing pending or active (0x%x)", n, v);

    /* 2. WFI with PSTATE.I = 1: wakes up, not taken. */
    n_irq = 0;
    tval_write(t, ONE_MS);
    ctl_write(t, CTL_ENABLE);
    __asm__ volatile("wfi" ::: "memory");
    uint64_t ctl = ctl_read(t);
    uint64_t isr = SYSREG_READ(isr_el1);
    rt_check((ctl & CTL_ISTATUS) && (isr & ISR_I) && n_irq == 0,
             "%s: WFI masked woke up: ISTATUS %d, ISR_EL1.I %d, not taken (%u)", n,
             !!(ctl & CTL_ISTATUS), !!(isr & ISR_I), n_irq);
    v = (uint32_t)SYSREG_READ(icc_hppir1_el1);
    uint32_t id = (uint32_t)SYSREG_READ(icc_iar1_el1) & 0xffffff;
    rt_check(v == ppi && id == ppi, "%s: HPPIR1 = %u, IAR1 = %u (%u)", n, v, id, ppi);
    ctl_write(t, 0);
    SYSREG_WRITE(icc_eoir1_el1, id);
    ISB();
    isr = SYSREG_READ(isr_el1);
    v = ppi_bits(mmio_read32(GICR_SGI + GICR_ISACTIVER0) | mmio_read32(GICR_SGI + GICR_ISPENDR0));
    rt_check(v == 0 && !(isr & ISR_I), "%s: disabled + EOI: idle (0x%x), ISR_EL1.I %d", n, v,
             !!(isr & ISR_I));

    /* 3. Level sensitivity: the condition holds at once (TVAL = 0); the
     * first handler EOIs without touching the timer, so the PPI is pending
     * again after the deactivation and taken a second time. */
    n_irq = 0;
    level_mode = true;
    tval_write(t, 0);
    ctl_write(t, CTL_ENABLE);
    __asm__ volatile("msr daifclr, #2\nisb" ::: "memory");
    for (volatile int i = 0; i < 2000 && n_irq < 2; i++)
        ;
    __asm__ volatile("msr daifset, #2\nisb" ::: "memory");
    level_mode = false;
    rt_check(n_irq == 2 && again == 0, "%s: condition still true after EOI: taken again (%u "
             "entries, want 2)", n, n_irq);

    /* 4. IMASK = 1: ISTATUS = 1 but the output is low. */
    tval_write(t, 0);
    ctl_write(t, CTL_ENABLE | CTL_IMASK);
    ctl = ctl_read(t);
    v = mmio_read32(GICR_SGI + GICR_ISPENDR0) & bit;
    id = (uint32_t)SYSREG_READ(icc_iar1_el1) & 0xffffff;
    rt_check((ctl & CTL_ISTATUS) && v == 0 && id == SPURIOUS,
             "%s: IMASK 1: ISTATUS %d, not pending (0x%x), IAR1 %u (1023)", n,
             !!(ctl & CTL_ISTATUS), v, id);
    ctl_write(t, CTL_ENABLE);
    v = mmio_read32(GICR_SGI + GICR_ISPENDR0) & bit;
    rt_check(v == bit, "%s: IMASK 0: pending (0x%x)", n, v);
    ctl_write(t, 0);
    v = mmio_read32(GICR_SGI + GICR_ISPENDR0) & bit;
    rt_check(v == 0, "%s: ENABLE 0: not pending (0x%x)", n, v);
}

int main(uint64_t dtb)
{
    (void)dtb;
    rt_set_el2_handler(el2_handler);
    __asm__ volatile("msr daifset, #0xf\nisb" ::: "memory");
    SYSREG_WRITE(hcr_el2, HCR_RW | HCR_IMO | HCR_FMO);
    SYSREG_WRITE(cntvoff_el2, 0);
    SYSREG_WRITE(cnthp_ctl_el2, 0);
    SYSREG_WRITE(cntp_ctl_el0, 0);
    SYSREG_WRITE(cntv_ctl_el0, 0);
    ISB();
    gic_init();

    uint32_t v = ppi_bits(mmio_read32(GICR_SGI + GICR_ISPENDR0));
    rt_check(v == 0, "timers disabled: PPIs 26/27/30 not pending (0x%x)", v);
    test_timer(T_HYP);
    test_timer(T_PHYS);
    test_timer(T_VIRT);
    rt_summary("gic_timer");
    return 0;
}
