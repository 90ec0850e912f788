/* Traps of the SGI generation registers from EL1 (GICv3, IHI 0069:
 * ICC_SGI0R_EL1, ICC_SGI1R_EL1, ICC_ASGI1R_EL1 in 12.2.20-22, whose
 * AArch64 MSR pseudocode traps a write at EL1 to EL2 when EL2 is enabled
 * and HCR_EL2.FMO or HCR_EL2.IMO is 1 (there are no ICV_ forms of these
 * registers: a hypervisor emulates its guests' SGIs), or when
 * ICH_HCR_EL2.TC is 1 (12.4.6: TC traps the common registers, the SGI
 * registers among them). A trapped write is EC 0x18 with the MRS/MSR ISS
 * (Arm ARM D17.2.37: Op0 3, Op1 0, CRn 12, CRm 11, Op2 5/6/7, Rt,
 * Direction 0) and ELR_EL2 = the MSR.
 *
 * The hypervisor (hypervisor/vm/trap.c) relies on exactly this. The
 * untrapped case (HCR_EL2.{IMO,FMO} = 0, TC = 0) would send a physical SGI
 * and is not probed here. */
#include "rt_extra.h"

#define CMD_SET    1 /* HCR_EL2 = RW | x1, ICH_HCR_EL2 = x2 */
#define CMD_DONE   2
#define ICH_HCR_TC (1ul << 10)

#define SYS_ISS(op0, op1, crn, crm, op2, rt, rd)                                                   \
    (((op0) << 20) | ((op2) << 17) | ((op1) << 14) | ((crn) << 10) | ((rt) << 5) | ((crm) << 1) |  \
     (rd))

static volatile struct rt_taken t1, t2;    /* taken at EL1 / EL2 */
static volatile uint64_t trapped_rt_value; /* X[Rt] of the trapped MSR */

#define SGI_VALUE 0x01000002ul /* INTID 1, TargetList bit 1 */

/* One MSR from xN (N = 5, 6 or 7, which all hold SGI_VALUE) at a known PC. */
#define PROBE(insn)                                                                                \
    ({                                                                                             \
        uint64_t _pc;                                                                              \
        rt_taken_clear(&t1);                                                                       \
        rt_taken_clear(&t2);                                                                       \
        trapped_rt_value = 0;                                                                      \
        __asm__ volatile("mov x5, %1\n\tmov x6, %1\n\tmov x7, %1\n\tadr %0, 1f\n1: " insn "\n"     \
                         : "=&r"(_pc)                                                              \
                         : "r"(SGI_VALUE)                                                          \
                         : "x5", "x6", "x7", "memory");                                            \
        _pc;                                                                                       \
    })

static void expect_trap_el2(const char *cfg, const char *what, uint64_t pc, uint32_t iss)
{
    uint64_t want = ESR_VAL(EC_SYS64, iss);
    rt_check(t1.n == 0 && t2.n == 1 && t2.kind == KIND_LOW64_SYNC && t2.esr == want &&
                 t2.elr == pc && trapped_rt_value == SGI_VALUE,
             "[EL1] %s: %s: trapped to EL2, ESR_EL2 0x%lx (want 0x%lx)", cfg, what,
             (unsigned long)t2.esr, (unsigned long)want);
}

static void set(uint64_t hcr, uint64_t ich_hcr)
{
    rt_hvc(CMD_SET, hcr, ich_hcr, 0);
}

static void el1_handler(struct rt_frame *f, unsigned kind)
{
    rt_taken_record(&t1, f, kind);
    f->elr += 4;
}

#define ISS_SGI1R_X5  SYS_ISS(3, 0, 12, 11, 5, 5, 0)
#define ISS_ASGI1R_X6 SYS_ISS(3, 0, 12, 11, 6, 6, 0)
#define ISS_SGI0R_X7  SYS_ISS(3, 0, 12, 11, 7, 7, 0)

static void probe_all(const char *cfg)
{
    uint64_t pc;
    pc = PROBE("msr S3_0_C12_C11_5, x5");
    expect_trap_el2(cfg, "MSR ICC_SGI1R_EL1, x5", pc, ISS_SGI1R_X5);
    pc = PROBE("msr S3_0_C12_C11_6, x6");
    expect_trap_el2(cfg, "MSR ICC_ASGI1R_EL1, x6", pc, ISS_ASGI1R_X6);
    pc = PROBE("msr S3_0_C12_C11_7, x7");
    expect_trap_el2(cfg, "MSR ICC_SGI0R_EL1, x7", pc, ISS_SGI0R_X7);
}

static void guest_main(uint64_t arg)
{
    (void)arg;
    rt_set_el1_handler(el1_handler);
    SYSREG_WRITE(vbar_el1, (uint64_t)el1_vectors);
    ISB();

    set(HCR_IMO, 0);
    probe_all("HCR_EL2.IMO=1");
    set(HCR_FMO, 0);
    probe_all("HCR_EL2.FMO=1");
    set(HCR_IMO | HCR_FMO, 0);
    probe_all("HCR_EL2.IMO=FMO=1");
    set(0, ICH_HCR_TC);
    probe_all("ICH_HCR_EL2.TC=1");
    set(HCR_IMO, ICH_HCR_TC);
    probe_all("HCR_EL2.IMO=1, TC=1");

    rt_hvc(CMD_DONE, 0, 0, 0);
    for (;;)
        ;
}

static void el2_handler(struct rt_frame *f, unsigned kind)
{
    if (kind == KIND_LOW64_SYNC && ESR_EC(f->esr) == EC_HVC64) {
        switch (f->x[0]) {
        case CMD_SET:
            SYSREG_WRITE(hcr_el2, HCR_RW | f->x[1]);
            SYSREG_WRITE(S3_4_C12_C11_0, f->x[2]); /* ICH_HCR_EL2 */
            ISB();
            return;
        case CMD_DONE:
            SYSREG_WRITE(S3_4_C12_C11_0, 0);
            rt_summary("sgi_trap");
            rt_exit();
        }
    }
    rt_taken_record(&t2, f, kind);
    if (kind == KIND_LOW64_SYNC && ESR_EC(f->esr) == EC_SYS64) {
        unsigned rt = (f->esr >> 5) & 31;
        trapped_rt_value = rt == 31 ? 0 : f->x[rt];
        f->elr += 4;
        return;
    }
    rt_check(false, "unexpected exception at EL2: kind %u ESR 0x%lx ELR 0x%lx", kind,
             (unsigned long)f->esr, (unsigned long)f->elr);
    rt_summary("sgi_trap");
    rt_exit();
}

int main(uint64_t dtb)
{
    (void)dtb;
    rt_set_el2_handler(el2_handler);
    rt_check(rt_current_el() == 2, "running at EL%u", rt_current_el());
    SYSREG_WRITE(hcr_el2, HCR_RW);
    ISB();
    rt_eret_to((uint64_t)guest_main, 0, (uint64_t)__el1_stack_top, 0x3c5);
    return 0;
}
