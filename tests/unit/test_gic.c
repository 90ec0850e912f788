/* Unit tests for sim/gic: the GICv3 model through its public interface. A
 * real (unbooted, EL1) struct hv_cpu carries the CPU interface; MMIO goes
 * through hv_gic_dist_* / hv_gic_redist_*, system registers through the
 * registered descriptors (access() then read()/write(), as the CPU does).
 * Offsets, encodings and reset values are written out here from the GIC
 * spec (Arm IHI 0069) and from QEMU 7.2 virt, not shared with the model. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_el2/cpu.h"
#include "gic/gic.h"

/* Unicorn 2.1.1 leaks a few bytes per engine inside libunicorn itself; only
 * that library's leaks are suppressed (as test_timer.c). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libunicorn.so\n";
}
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}

/* ---- offsets (GIC spec 12.9-12.11) and encodings (12.2-12.4) ------------ */

enum {
    GICD_CTLR = 0x0,
    GICD_TYPER = 0x4,
    GICD_IIDR = 0x8,
    GICD_IGROUPR = 0x80,
    GICD_ISENABLER = 0x100,
    GICD_ICENABLER = 0x180,
    GICD_ISPENDR = 0x200,
    GICD_ICPENDR = 0x280,
    GICD_ISACTIVER = 0x300,
    GICD_ICACTIVER = 0x380,
    GICD_IPRIORITYR = 0x400,
    GICD_ICFGR = 0xc00,
    GICD_IGRPMODR = 0xd00,
    GICD_IROUTER = 0x6000,
    GICD_PIDR2 = 0xffe8,
    GICR_CTLR = 0x0,
    GICR_IIDR = 0x4,
    GICR_TYPER = 0x8,
    GICR_WAKER = 0x14,
    GICR_PIDR2 = 0xffe8,
    SGI = 0x10000,
};

#define ENC(op1, crn, crm, op2) HV_SYSREG(3, op1, crn, crm, op2)
#define ICC_PMR                 ENC(0, 4, 6, 0)
#define ICC_IAR0                ENC(0, 12, 8, 0)
#define ICC_EOIR0               ENC(0, 12, 8, 1)
#define ICC_HPPIR0              ENC(0, 12, 8, 2)
#define ICC_BPR0                ENC(0, 12, 8, 3)
#define ICC_AP0R0               ENC(0, 12, 8, 4)
#define ICC_AP1R0               ENC(0, 12, 9, 0)
#define ICC_DIR                 ENC(0, 12, 11, 1)
#define ICC_RPR                 ENC(0, 12, 11, 3)
#define ICC_SGI1R               ENC(0, 12, 11, 5)
#define ICC_ASGI1R              ENC(0, 12, 11, 6)
#define ICC_SGI0R               ENC(0, 12, 11, 7)
#define ICC_IAR1                ENC(0, 12, 12, 0)
#define ICC_EOIR1               ENC(0, 12, 12, 1)
#define ICC_HPPIR1              ENC(0, 12, 12, 2)
#define ICC_BPR1                ENC(0, 12, 12, 3)
#define ICC_CTLR                ENC(0, 12, 12, 4)
#define ICC_SRE                 ENC(0, 12, 12, 5)
#define ICC_IGRPEN0             ENC(0, 12, 12, 6)
#define ICC_IGRPEN1             ENC(0, 12, 12, 7)
#define ICC_SRE_EL2             ENC(4, 12, 9, 5)
#define ICH_AP0R0               ENC(4, 12, 8, 0)
#define ICH_AP1R0               ENC(4, 12, 9, 0)
#define ICH_HCR                 ENC(4, 12, 11, 0)
#define ICH_VTR                 ENC(4, 12, 11, 1)
#define ICH_MISR                ENC(4, 12, 11, 2)
#define ICH_EISR                ENC(4, 12, 11, 3)
#define ICH_ELRSR               ENC(4, 12, 11, 5)
#define ICH_VMCR                ENC(4, 12, 11, 7)
#define ICH_LR(n)               ENC(4, 12, 12 + (n) / 8, (n) % 8)
#define HCR_EL2                 ENC(4, 1, 1, 0)
#define SCR_EL3                 ENC(6, 1, 1, 0)

#define HCR_FMO (1ull << 3)
#define HCR_IMO (1ull << 4)

/* ICH_LR<n>_EL2 fields. */
#define LR_PENDING       (1ull << 62)
#define LR_ACTIVE        (1ull << 63)
#define LR_HW            (1ull << 61)
#define LR_G1            (1ull << 60)
#define LR_EOI           (1ull << 41)
#define LR(vintid, prio) ((uint64_t)(vintid) | ((uint64_t)(prio) << 48))
#define LR_PINTID(p)     ((uint64_t)(p) << 32)

/* ICH_HCR_EL2 bits. */
#define ICH_EN      (1u << 0)
#define ICH_UIE     (1u << 1)
#define ICH_LRENPIE (1u << 2)
#define ICH_NPIE    (1u << 3)
#define ICH_V0EIE   (1u << 4)
#define ICH_V0DIE   (1u << 5)
#define ICH_V1EIE   (1u << 6)
#define ICH_V1DIE   (1u << 7)
#define ICH_TC      (1u << 10)
#define ICH_TALL0   (1u << 11)
#define ICH_TALL1   (1u << 12)
#define ICH_TDIR    (1u << 14)

/* ---- fixture -------------------------------------------------------------- */

struct rec {
    unsigned nev[HV_EV__COUNT];
    char last_text[256];
    struct hv_ev_mmio last_mmio;
    unsigned irq_ops[8]; /* HV_EV_IRQ events by op */
    struct hv_ev_irq last_irq;
};

static struct hv_obs obs;
static struct rec rec;
static struct hv_cpu *cpu;
static struct hv_gic *gic;

static void on_event(void *ctx, const struct hv_event *ev)
{
    struct rec *r = ctx;
    r->nev[ev->type]++;
    if (ev->type == HV_EV_GUEST_ERROR || ev->type == HV_EV_UNIMPL)
        snprintf(r->last_text, sizeof(r->last_text), "%s", ev->u.text.text);
    if (ev->type == HV_EV_MMIO)
        r->last_mmio = ev->u.mmio;
    if (ev->type == HV_EV_IRQ) {
        r->irq_ops[ev->u.irq.op & 7]++;
        r->last_irq = ev->u.irq;
    }
}

static const struct hv_gic_config qemu_cfg = {.nspis = 224, .nlrs = 4, .pri_bits = 5, .ncpus = 1};

static void make(const struct hv_gic_config *cfg)
{
    struct hv_err err;
    memset(&rec, 0, sizeof(rec));
    hv_obs_init(&obs);
    ck_assert_int_eq(hv_obs_subscribe(&obs, HV_EV_ALL, on_event, &rec), 0);
    ck_assert_int_eq(hv_cpu_create(&cpu, &obs, NULL, &err), 0);
    /* EL1 in Non-secure state with EL2 enabled, as after hvsim's boot ROM
     * (SCR_EL3 = NS | RES1 | HCE | RW): the ICC routing and traps depend on
     * EL2Enabled(). */
    ck_assert_int_eq(hv_cpu_sysreg_set(cpu, SCR_EL3, 0x531), 0);
    ck_assert_msg(hv_gic_create(&gic, cfg, cpu, &obs, &err) == 0, "%s", err.msg);
}

static void setup(void)
{
    make(&qemu_cfg);
}

static void teardown(void)
{
    hv_gic_destroy(gic);
    hv_cpu_destroy(cpu);
    gic = NULL;
    cpu = NULL;
}

static uint32_t dr(uint64_t off)
{
    return (uint32_t)hv_gic_dist_read(gic, off, 4);
}
static void dw(uint64_t off, uint32_t v)
{
    hv_gic_dist_write(gic, off, 4, v);
}
static uint32_t rr(uint64_t off)
{
    return (uint32_t)hv_gic_redist_read(gic, off, 4);
}
static void rw(uint64_t off, uint32_t v)
{
    hv_gic_redist_write(gic, off, 4, v);
}

static const struct hv_sysreg_desc *desc(uint32_t enc)
{
    const struct hv_sysreg_desc *d = hv_cpu_find_sysreg(cpu, enc);
    ck_assert_msg(d != NULL, "encoding 0x%x not registered", enc);
    return d;
}

static enum hv_sysreg_decision acc(uint32_t enc, bool is_write)
{
    const struct hv_sysreg_desc *d = desc(enc);
    return d->access ? d->access(gic, cpu, d, is_write) : HV_SR_OK;
}

static uint64_t srd(uint32_t enc)
{
    const struct hv_sysreg_desc *d = desc(enc);
    ck_assert_int_eq(acc(enc, false), HV_SR_OK);
    ck_assert_ptr_nonnull(d->read);
    return d->read(gic, cpu, d);
}

static void swr(uint32_t enc, uint64_t v)
{
    const struct hv_sysreg_desc *d = desc(enc);
    ck_assert_int_eq(acc(enc, true), HV_SR_OK);
    ck_assert_ptr_nonnull(d->write);
    d->write(gic, cpu, d, v);
}

static void set_hcr(uint64_t v)
{
    ck_assert_int_eq(hv_cpu_sysreg_set(cpu, HCR_EL2, v), 0);
}

static bool irq(void)
{
    return hv_cpu_line(cpu, HV_LINE_IRQ);
}
static bool fiq(void)
{
    return hv_cpu_line(cpu, HV_LINE_FIQ);
}
static bool virq(void)
{
    return hv_cpu_line(cpu, HV_LINE_VIRQ);
}
static bool vfiq(void)
{
    return hv_cpu_line(cpu, HV_LINE_VFIQ);
}

static void set_prio(unsigned intid, uint8_t p)
{
    if (intid < 32)
        hv_gic_redist_write(gic, SGI + GICD_IPRIORITYR + intid, 1, p);
    else
        hv_gic_dist_write(gic, GICD_IPRIORITYR + intid, 1, p);
}

/* Configure an SPI: group, priority, enabled. */
static void spi_setup(unsigned intid, unsigned grp, uint8_t prio)
{
    uint32_t bit = 1u << (intid % 32);
    uint64_t w = (intid / 32) * 4;
    dw(GICD_IGROUPR + w, grp ? (dr(GICD_IGROUPR + w) | bit) : (dr(GICD_IGROUPR + w) & ~bit));
    set_prio(intid, prio);
    dw(GICD_ISENABLER + w, bit);
}

static void spi_pend(unsigned intid)
{
    dw(GICD_ISPENDR + (intid / 32) * 4, 1u << (intid % 32));
}

static bool spi_bit(uint64_t reg, unsigned intid)
{
    return (dr(reg + (intid / 32) * 4) >> (intid % 32)) & 1;
}

/* Both groups on in the distributor and the CPU interface, no masking. */
static void enable_all(void)
{
    dw(GICD_CTLR, 0x3);
    swr(ICC_PMR, 0xff);
    swr(ICC_IGRPEN0, 1);
    swr(ICC_IGRPEN1, 1);
}

/* ---- distributor and redistributor registers ------------------------------ */

START_TEST(test_id_and_reset_values)
{
    /* As read on QEMU 7.2 virt (256 INTIDs = 224 SPIs), except LPIS. */
    ck_assert_uint_eq(dr(GICD_CTLR), 0x50);
    dw(GICD_CTLR, 0xffffffff);
    ck_assert_uint_eq(dr(GICD_CTLR), 0x53);
    dw(GICD_CTLR, 0);
    ck_assert_uint_eq(dr(GICD_CTLR), 0x50);
    ck_assert_uint_eq(dr(GICD_TYPER), 0x3780007); /* QEMU 0x37a0007 has LPIS */
    ck_assert_uint_eq(dr(GICD_IIDR), 0x43b);
    ck_assert_uint_eq(dr(GICD_PIDR2), 0x3b); /* ArchRev 3 */
    ck_assert_uint_eq(dr(0xffd0), 0x44);
    ck_assert_uint_eq(dr(0xfffc), 0xb1);
    ck_assert_uint_eq(rr(GICR_PIDR2), 0x3b);
    ck_assert_uint_eq(rr(GICR_IIDR), 0x43b);
    ck_assert_uint_eq(rr(GICR_TYPER), 0x10); /* Last, Processor_Number 0 */
    ck_assert_uint_eq(rr(GICR_TYPER + 4), 0);
    ck_assert_uint_eq(hv_gic_redist_read(gic, GICR_TYPER, 8), 0x10);
    ck_assert_uint_eq(rr(GICR_CTLR), 0);
    /* WAKER: ProcessorSleep/ChildrenAsleep handshake. */
    ck_assert_uint_eq(rr(GICR_WAKER), 0x6);
    rw(GICR_WAKER, 0);
    ck_assert_uint_eq(rr(GICR_WAKER), 0);
    rw(GICR_WAKER, 2);
    ck_assert_uint_eq(rr(GICR_WAKER), 0x6);
    /* SGIs are edge (RO), PPIs and SPIs configurable, Int_config[0] RES0. */
    ck_assert_uint_eq(rr(SGI + GICD_ICFGR), 0xaaaaaaaa);
    rw(SGI + GICD_ICFGR, 0);
    ck_assert_uint_eq(rr(SGI + GICD_ICFGR), 0xaaaaaaaa);
    rw(SGI + GICD_ICFGR + 4, 0xffffffff);
    ck_assert_uint_eq(rr(SGI + GICD_ICFGR + 4), 0xaaaaaaaa);
    dw(GICD_ICFGR + 8, 0xffffffff);
    ck_assert_uint_eq(dr(GICD_ICFGR + 8), 0xaaaaaaaa);
    /* DS=1: IGRPMODR RAZ/WI; ARE=1: GICD registers of INTIDs 0-31 RAZ/WI. */
    dw(GICD_IGRPMODR + 4, 0xffffffff);
    ck_assert_uint_eq(dr(GICD_IGRPMODR + 4), 0);
    rw(SGI + GICD_IGRPMODR, 0xffffffff);
    ck_assert_uint_eq(rr(SGI + GICD_IGRPMODR), 0);
    dw(GICD_IGROUPR, 0xffffffff);
    dw(GICD_ISENABLER, 0xffffffff);
    dw(GICD_IPRIORITYR, 0xffffffff);
    ck_assert_uint_eq(dr(GICD_IGROUPR), 0);
    ck_assert_uint_eq(dr(GICD_ISENABLER), 0);
    ck_assert_uint_eq(dr(GICD_IPRIORITYR), 0);
    ck_assert_uint_eq(rr(SGI + GICD_IGROUPR), 0);
    /* ... and the SPI ones work. */
    dw(GICD_IGROUPR + 4, 0xffffffff);
    ck_assert_uint_eq(dr(GICD_IGROUPR + 4), 0xffffffff);
    /* Registers of INTIDs past ITLinesNumber are RAZ/WI. */
    dw(GICD_ISENABLER + 0x20, 0xffffffff);
    ck_assert_uint_eq(dr(GICD_ISENABLER + 0x20), 0);
    ck_assert_uint_eq(rec.nev[HV_EV_GUEST_ERROR], 0);
}
END_TEST

START_TEST(test_enable_pending_active_state)
{
    /* Set/clear pairs act on the same state, one bit per INTID. */
    dw(GICD_ISENABLER + 4, 0x00000005);
    dw(GICD_ISENABLER + 4, 0x00000100);
    ck_assert_uint_eq(dr(GICD_ISENABLER + 4), 0x105);
    ck_assert_uint_eq(dr(GICD_ICENABLER + 4), 0x105);
    dw(GICD_ICENABLER + 4, 0x1);
    ck_assert_uint_eq(dr(GICD_ISENABLER + 4), 0x104);
    dw(GICD_ISPENDR + 4, 0xf0);
    dw(GICD_ICPENDR + 4, 0x30);
    ck_assert_uint_eq(dr(GICD_ISPENDR + 4), 0xc0);
    ck_assert_uint_eq(dr(GICD_ICPENDR + 4), 0xc0);
    dw(GICD_ISACTIVER + 4, 0x3);
    dw(GICD_ICACTIVER + 4, 0x1);
    ck_assert_uint_eq(dr(GICD_ISACTIVER + 4), 0x2);
    ck_assert_uint_eq(dr(GICD_ICACTIVER + 4), 0x2);
    /* Redistributor: same for SGIs/PPIs. */
    rw(SGI + GICD_ISENABLER, 0x80000001);
    rw(SGI + GICD_ICENABLER, 0x1);
    ck_assert_uint_eq(rr(SGI + GICD_ISENABLER), 0x80000000);
    rw(SGI + GICD_ISPENDR, 0x2);
    ck_assert_uint_eq(rr(SGI + GICD_ISPENDR), 0x2);
    rw(SGI + GICD_ICPENDR, 0x2);
    ck_assert_uint_eq(rr(SGI + GICD_ISPENDR), 0);
}
END_TEST

START_TEST(test_priority_bytes_and_bits)
{
    /* Byte access; 5 implemented bits: 0xff reads 0xf8. */
    hv_gic_dist_write(gic, GICD_IPRIORITYR + 33, 1, 0x12);
    ck_assert_uint_eq(dr(GICD_IPRIORITYR + 32), 0x1000);
    dw(GICD_IPRIORITYR + 36, 0xffffffff);
    ck_assert_uint_eq(dr(GICD_IPRIORITYR + 36), 0xf8f8f8f8);
    ck_assert_uint_eq(hv_gic_dist_read(gic, GICD_IPRIORITYR + 37, 1), 0xf8);
    hv_gic_redist_write(gic, SGI + GICD_IPRIORITYR + 30, 1, 0xa5);
    ck_assert_uint_eq(rr(SGI + GICD_IPRIORITYR + 28), 0x00a00000);
    ck_assert_uint_eq(rec.nev[HV_EV_GUEST_ERROR], 0);
}
END_TEST

START_TEST(test_irouter_64bit_merge)
{
    uint64_t r33 = GICD_IROUTER + 33 * 8;
    /* A 64-bit store arrives as two 4-byte halves. */
    dw(r33, 0xffffffff);
    dw(r33 + 4, 0xffffffff);
    /* Aff3 [39:32], Aff2..0 [23:0]; IRM (No1N=1) and the rest RES0. */
    ck_assert_uint_eq(hv_gic_dist_read(gic, r33, 8), 0xff00ffffffull);
    ck_assert_uint_eq(dr(r33), 0x00ffffff);
    ck_assert_uint_eq(dr(r33 + 4), 0xff);
    hv_gic_dist_write(gic, r33, 8, 0x0000000100000000ull);
    ck_assert_uint_eq(dr(r33), 0);
    ck_assert_uint_eq(dr(r33 + 4), 1);
    /* Routed to affinity 1.0.0.0: no such PE, never signalled. */
    enable_all();
    spi_setup(33, 1, 0x80);
    spi_pend(33);
    ck_assert(!irq());
    ck_assert_uint_eq(srd(ICC_HPPIR1), 1023);
    /* Back to PE 0 (lower half only): signalled. */
    dw(r33 + 4, 0);
    ck_assert(irq());
    ck_assert_uint_eq(srd(ICC_HPPIR1), 33);
    /* IROUTER<n> for n < 32 does not exist (reserved). */
    ck_assert_uint_eq(dr(GICD_IROUTER + 8), 0);
    ck_assert_uint_eq(rec.nev[HV_EV_GUEST_ERROR], 1);
}
END_TEST

START_TEST(test_bad_accesses_never_crash)
{
    static const uint64_t offs[] = {0x14,   0x40,          0x7c,    0xf04,         0x1000, 0x5ffc,
                                    0x7fe0, 0xfff0 + 0x10, 0x10000, 0xffffffffull, ~0ull};
    static const unsigned sizes[] = {0, 1, 2, 3, 4, 8, 16};
    for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
        for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
            hv_gic_dist_write(gic, offs[i], sizes[j], ~0ull);
            ck_assert_uint_eq(hv_gic_dist_read(gic, offs[i], sizes[j]), 0);
            hv_gic_redist_write(gic, offs[i] + 0x20000, sizes[j], ~0ull);
            ck_assert_uint_eq(hv_gic_redist_read(gic, offs[i] + 0x20000, sizes[j]), 0);
        }
    unsigned before = rec.nev[HV_EV_GUEST_ERROR];
    /* Wrong widths on real registers: 2 bytes, 8 bytes to a 32-bit one,
     * a byte to a bit register, unaligned. */
    hv_gic_dist_write(gic, GICD_CTLR, 2, 0x3);
    hv_gic_dist_write(gic, GICD_CTLR, 8, 0x3);
    hv_gic_dist_write(gic, GICD_ISENABLER + 4, 1, 0xff);
    hv_gic_dist_write(gic, GICD_IPRIORITYR + 33, 4, 0xffffffff);
    ck_assert_uint_eq(rec.nev[HV_EV_GUEST_ERROR], before + 4);
    ck_assert_uint_eq(dr(GICD_CTLR), 0x50);
    ck_assert_uint_eq(dr(GICD_ISENABLER + 4), 0);
    ck_assert_uint_eq(dr(GICD_IPRIORITYR + 32), 0);
    ck_assert_ptr_nonnull(strstr(rec.last_text, "bad width"));
    /* Writes to read-only registers are ignored and reported. */
    dw(GICD_TYPER, 0);
    ck_assert_uint_eq(dr(GICD_TYPER), 0x3780007);
    ck_assert_ptr_nonnull(strstr(rec.last_text, "read-only GICD_TYPER"));
    rw(GICR_TYPER, 0xffffffff);
    ck_assert_uint_eq(rr(GICR_TYPER), 0x10);
    ck_assert_uint_eq(rec.nev[HV_EV_GUEST_ERROR], before + 6);
}
END_TEST

START_TEST(test_mmio_events)
{
    hv_gic_set_mmio_base(gic, 0x08000000, 0x080a0000);
    dw(GICD_CTLR, 0x2);
    ck_assert_uint_eq(rec.last_mmio.pa, 0x08000000);
    ck_assert(rec.last_mmio.is_write);
    ck_assert_str_eq(rec.last_mmio.device, "gicd");
    ck_assert_uint_eq(rr(SGI + GICD_ICFGR), 0xaaaaaaaa);
    ck_assert_uint_eq(rec.last_mmio.pa, 0x080a0000 + SGI + GICD_ICFGR);
    ck_assert_uint_eq(rec.last_mmio.value, 0xaaaaaaaa);
    ck_assert_uint_eq(rec.last_mmio.size, 4);
    ck_assert(!rec.last_mmio.is_write);
    ck_assert_str_eq(rec.last_mmio.device, "gicr");
}
END_TEST

START_TEST(test_bad_configs)
{
    struct hv_gic *g2;
    struct hv_err err;
    struct hv_gic_config c = qemu_cfg;
    c.nspis = 100;
    ck_assert_int_eq(hv_gic_create(&g2, &c, cpu, NULL, &err), -1);
    c = qemu_cfg;
    c.nlrs = 17;
    ck_assert_int_eq(hv_gic_create(&g2, &c, cpu, NULL, &err), -1);
    c = qemu_cfg;
    c.pri_bits = 3;
    ck_assert_int_eq(hv_gic_create(&g2, &c, cpu, NULL, &err), -1);
    c = qemu_cfg;
    c.ncpus = 0;
    ck_assert_int_eq(hv_gic_create(&g2, &c, cpu, NULL, &err), -1);
    /* A second GIC on the same PE: its registers are taken. */
    ck_assert_int_eq(hv_gic_create(&g2, &qemu_cfg, cpu, NULL, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "already registered"));
}
END_TEST

/* ---- the physical CPU interface ------------------------------------------------ */

START_TEST(test_icc_values)
{
    ck_assert_uint_eq(srd(ICC_SRE), 0x7);
    ck_assert_uint_eq(srd(ICC_CTLR), 0x8c00);
    swr(ICC_CTLR, 0xffffffff);
    ck_assert_uint_eq(srd(ICC_CTLR), 0x8c03);
    swr(ICC_CTLR, 0);
    ck_assert_uint_eq(srd(ICC_PMR), 0);
    swr(ICC_PMR, 0xff);
    ck_assert_uint_eq(srd(ICC_PMR), 0xf8);
    ck_assert_uint_eq(srd(ICC_BPR0), 2);
    ck_assert_uint_eq(srd(ICC_BPR1), 3);
    swr(ICC_BPR0, 0);
    swr(ICC_BPR1, 0);
    ck_assert_uint_eq(srd(ICC_BPR0), 2);
    ck_assert_uint_eq(srd(ICC_BPR1), 3);
    swr(ICC_BPR0, 7);
    ck_assert_uint_eq(srd(ICC_BPR0), 7);
    swr(ICC_IGRPEN1, 0xff);
    ck_assert_uint_eq(srd(ICC_IGRPEN1), 1);
    ck_assert_uint_eq(srd(ICC_RPR), 0xff);
    ck_assert_uint_eq(srd(ICC_HPPIR0), 1023);
    ck_assert_uint_eq(srd(ICC_IAR1), 1023);
    swr(ICC_AP1R0, 0xffffffff);
    ck_assert_uint_eq(srd(ICC_AP1R0), 0xffffffff);
    ck_assert_uint_eq(srd(ICC_RPR), 0);
    swr(ICC_AP1R0, 0);
    /* 5 priority bits: one AP<g>R register each. */
    ck_assert_ptr_null(hv_cpu_find_sysreg(cpu, ENC(0, 12, 9, 1)));
    ck_assert_ptr_null(hv_cpu_find_sysreg(cpu, ENC(0, 12, 8, 5)));
    /* Read-only and write-only registers have no write/read effect: the
     * CPU UNDEFs those (sysreg.h). */
    ck_assert_ptr_null(desc(ICC_IAR1)->write);
    ck_assert_ptr_null(desc(ICC_EOIR1)->read);
    ck_assert_ptr_null(desc(ICC_SGI1R)->read);
}
END_TEST

START_TEST(test_priority_and_preemption)
{
    enable_all();
    spi_setup(40, 1, 0x80);
    spi_setup(41, 1, 0x40);
    spi_pend(40);
    spi_pend(41);
    ck_assert(irq() && !fiq());
    ck_assert_uint_eq(srd(ICC_HPPIR1), 41);
    ck_assert_uint_eq(srd(ICC_IAR1), 41);
    ck_assert_uint_eq(srd(ICC_RPR), 0x40);
    ck_assert(spi_bit(GICD_ISACTIVER, 41) && !spi_bit(GICD_ISPENDR, 41));
    /* 40 (0x80) cannot preempt 41 (0x40). */
    ck_assert(!irq());
    ck_assert_uint_eq(srd(ICC_IAR1), 1023);
    ck_assert_uint_eq(srd(ICC_HPPIR1), 40); /* HPPIR ignores the running priority */
    /* 42 (0x20) can. */
    spi_setup(42, 1, 0x20);
    spi_pend(42);
    ck_assert(irq());
    ck_assert_uint_eq(srd(ICC_IAR1), 42);
    ck_assert_uint_eq(srd(ICC_RPR), 0x20);
    ck_assert_uint_eq(srd(ICC_AP1R0), (1u << (0x20 >> 3)) | (1u << (0x40 >> 3)));
    swr(ICC_EOIR1, 42);
    ck_assert_uint_eq(srd(ICC_RPR), 0x40);
    ck_assert(!spi_bit(GICD_ISACTIVER, 42));
    swr(ICC_EOIR1, 41);
    ck_assert_uint_eq(srd(ICC_RPR), 0xff);
    ck_assert(irq());
    ck_assert_uint_eq(srd(ICC_IAR1), 40);
    swr(ICC_EOIR1, 40);
    ck_assert(!irq());
    /* Equal priority: the lowest INTID first. */
    spi_setup(50, 1, 0x60);
    spi_setup(45, 1, 0x60);
    spi_pend(50);
    spi_pend(45);
    ck_assert_uint_eq(srd(ICC_IAR1), 45);
    /* PMR masks: priority must be strictly higher than the mask. */
    swr(ICC_EOIR1, 45);
    swr(ICC_PMR, 0x60);
    ck_assert(!irq());
    ck_assert_uint_eq(srd(ICC_IAR1), 1023);
    swr(ICC_PMR, 0x68);
    ck_assert(irq());
    /* Disabled: in the distributor, the CPU interface, or the INTID. */
    dw(GICD_CTLR, 0x1);
    ck_assert(!irq());
    dw(GICD_CTLR, 0x3);
    swr(ICC_IGRPEN1, 0);
    ck_assert(!irq());
    swr(ICC_IGRPEN1, 1);
    dw(GICD_ICENABLER + 4, (1u << (50 - 32)) | (1u << (45 - 32)));
    ck_assert(!irq());
}
END_TEST

START_TEST(test_group0_is_fiq)
{
    enable_all();
    spi_setup(60, 0, 0x80);
    spi_pend(60);
    ck_assert(fiq() && !irq());
    ck_assert_uint_eq(srd(ICC_HPPIR1), 1023);
    ck_assert_uint_eq(srd(ICC_IAR1), 1023);
    ck_assert_uint_eq(srd(ICC_HPPIR0), 60);
    ck_assert_uint_eq(srd(ICC_IAR0), 60);
    ck_assert(!fiq());
    /* EOIR1 does not drop a Group 0 priority. */
    swr(ICC_EOIR1, 60);
    ck_assert_uint_eq(srd(ICC_RPR), 0x80);
    swr(ICC_EOIR0, 60);
    ck_assert_uint_eq(srd(ICC_RPR), 0xff);
    ck_assert(!spi_bit(GICD_ISACTIVER, 60));
    ck_assert_uint_eq(srd(ICC_AP0R0), 0);
}
END_TEST

START_TEST(test_bpr_grouping)
{
    enable_all();
    spi_setup(40, 1, 0x78);
    spi_pend(40);
    ck_assert_uint_eq(srd(ICC_IAR1), 40); /* BPR1 = 3: group priority [7:3] */
    ck_assert_uint_eq(srd(ICC_RPR), 0x78);
    spi_setup(41, 1, 0x48);
    spi_pend(41);
    ck_assert(irq()); /* 0x48 < 0x78 */
    /* BPR1 = 6: group priority [7:6]: 0x48 and 0x78 are both 0x40. */
    swr(ICC_BPR1, 6);
    ck_assert(!irq());
    swr(ICC_BPR1, 3);
    ck_assert(irq());
    /* CBPR: Group 1 uses BPR0 as is; BPR1 reads BPR0 + 1, ignores writes. */
    swr(ICC_BPR0, 5); /* [7:6] */
    swr(ICC_CTLR, 1);
    ck_assert(!irq());
    ck_assert_uint_eq(srd(ICC_BPR1), 6);
    swr(ICC_BPR1, 3);
    ck_assert_uint_eq(srd(ICC_BPR1), 6);
    swr(ICC_BPR0, 7);
    ck_assert_uint_eq(srd(ICC_BPR1), 7);
    swr(ICC_BPR0, 2);
    ck_assert(irq());
    /* The APR records the group priority at activation. */
    ck_assert_uint_eq(srd(ICC_IAR1), 41);
    ck_assert_uint_eq(srd(ICC_RPR), 0x48);
    swr(ICC_EOIR1, 41);
    swr(ICC_EOIR1, 40);
    swr(ICC_BPR0, 5); /* [7:6]: 0x78 runs at 0x40 */
    spi_pend(40);
    ck_assert_uint_eq(srd(ICC_IAR1), 40);
    ck_assert_uint_eq(srd(ICC_RPR), 0x40);
}
END_TEST

START_TEST(test_eoimode1_and_dir)
{
    enable_all();
    swr(ICC_CTLR, 2); /* EOImode = 1 */
    spi_setup(70, 1, 0x80);
    spi_pend(70);
    ck_assert_uint_eq(srd(ICC_IAR1), 70);
    swr(ICC_EOIR1, 70);
    /* Priority dropped, still active. */
    ck_assert_uint_eq(srd(ICC_RPR), 0xff);
    ck_assert(spi_bit(GICD_ISACTIVER, 70));
    spi_pend(70);
    ck_assert(!irq()); /* active and pending: not signalled again */
    swr(ICC_DIR, 70);
    ck_assert(!spi_bit(GICD_ISACTIVER, 70));
    ck_assert(irq());
    /* With EOImode = 0 a DIR write is ignored and reported. */
    ck_assert_uint_eq(srd(ICC_IAR1), 70);
    swr(ICC_CTLR, 0);
    unsigned ge = rec.nev[HV_EV_GUEST_ERROR];
    swr(ICC_DIR, 70);
    ck_assert(spi_bit(GICD_ISACTIVER, 70));
    ck_assert_uint_eq(rec.nev[HV_EV_GUEST_ERROR], ge + 1);
    swr(ICC_EOIR1, 70);
    ck_assert(!spi_bit(GICD_ISACTIVER, 70));
    /* EOI with nothing active, of special and absent INTIDs: ignored. */
    swr(ICC_EOIR1, 70);
    swr(ICC_EOIR1, 1023);
    swr(ICC_EOIR1, 5000);
    swr(ICC_DIR, 1023);
    ck_assert_uint_eq(srd(ICC_RPR), 0xff);
}
END_TEST

START_TEST(test_level_vs_edge)
{
    enable_all();
    spi_setup(80, 1, 0x80); /* level-sensitive (reset) = SPI 48 */
    hv_gic_set_spi(gic, 48, true);
    ck_assert(spi_bit(GICD_ISPENDR, 80) && irq());
    /* ICPENDR does not clear a level that is still asserted. */
    dw(GICD_ICPENDR + 8, 1u << 16);
    ck_assert(spi_bit(GICD_ISPENDR, 80));
    ck_assert_uint_eq(srd(ICC_IAR1), 80);
    /* Active and pending while the input stays high. */
    ck_assert(spi_bit(GICD_ISPENDR, 80) && spi_bit(GICD_ISACTIVER, 80));
    swr(ICC_EOIR1, 80);
    ck_assert(irq());
    hv_gic_set_spi(gic, 48, false);
    ck_assert(!spi_bit(GICD_ISPENDR, 80) && !irq());
    /* A software-pended level interrupt stays pending until acknowledged. */
    spi_pend(80);
    ck_assert(irq());
    ck_assert_uint_eq(srd(ICC_IAR1), 80);
    ck_assert(!spi_bit(GICD_ISPENDR, 80));
    swr(ICC_EOIR1, 80);

    /* Edge: a rising edge latches. */
    dw(GICD_ICFGR + 20, 2u << 0); /* INTID 80 = ICFGR5 field 0 */
    hv_gic_set_spi(gic, 48, true);
    ck_assert(spi_bit(GICD_ISPENDR, 80));
    ck_assert_uint_eq(srd(ICC_IAR1), 80);
    ck_assert(!spi_bit(GICD_ISPENDR, 80)); /* input still high, latch cleared */
    hv_gic_set_spi(gic, 48, true);         /* no edge */
    ck_assert(!spi_bit(GICD_ISPENDR, 80));
    hv_gic_set_spi(gic, 48, false);
    hv_gic_set_spi(gic, 48, true); /* edge while active: active and pending */
    ck_assert(spi_bit(GICD_ISPENDR, 80) && spi_bit(GICD_ISACTIVER, 80));
    swr(ICC_EOIR1, 80);
    ck_assert_uint_eq(srd(ICC_IAR1), 80);
    swr(ICC_EOIR1, 80);
    hv_gic_set_spi(gic, 48, false);
    hv_gic_set_spi(gic, 48, true);
    dw(GICD_ICPENDR + 8, 1u << 16); /* ICPENDR clears an edge latch */
    ck_assert(!spi_bit(GICD_ISPENDR, 80) && !irq());

    /* Inputs that do not exist are reported, not fatal. */
    hv_gic_set_spi(gic, 224, true);
    hv_gic_set_ppi(gic, 0, 5, true);
    hv_gic_set_ppi(gic, 1, 30, true);
    hv_gic_set_ppi(gic, 0, 25, true); /* the maintenance interrupt is internal */
    ck_assert_uint_eq(rec.nev[HV_EV_UNIMPL], 4);
}
END_TEST

/* HV_IRQ_DEASSERT: an interrupt stops being pending without an acknowledge
 * (GIC spec 4.1.2): a level-sensitive input falls, or ICPENDR clears the
 * pending latch; not when the pending state survives (a level still high),
 * nor when an acknowledge takes it (that is HV_IRQ_ACK). */
START_TEST(test_deassert_events)
{
    enable_all();
    spi_setup(80, 1, 0x80); /* level-sensitive (reset) = SPI 48 */
    hv_gic_set_spi(gic, 48, true);
    ck_assert_uint_eq(rec.irq_ops[HV_IRQ_ASSERT], 1);
    /* ICPENDR on a level still asserted: still pending, no event. */
    dw(GICD_ICPENDR + 8, 1u << 16);
    ck_assert(spi_bit(GICD_ISPENDR, 80));
    ck_assert_uint_eq(rec.irq_ops[HV_IRQ_DEASSERT], 0);
    /* The line falls before anyone acknowledged it: withdrawn. */
    hv_gic_set_spi(gic, 48, false);
    ck_assert(!spi_bit(GICD_ISPENDR, 80) && !irq());
    ck_assert_uint_eq(rec.irq_ops[HV_IRQ_DEASSERT], 1);
    ck_assert_uint_eq(rec.last_irq.intid, 80);
    ck_assert_uint_eq(rec.last_irq.prio, 0x80);
    ck_assert_uint_eq(rec.last_irq.group, 1);
    /* Pended by software, cleared by software. */
    spi_pend(80);
    ck_assert_uint_eq(rec.irq_ops[HV_IRQ_ASSERT], 2);
    dw(GICD_ICPENDR + 8, 1u << 16);
    ck_assert(!spi_bit(GICD_ISPENDR, 80));
    ck_assert_uint_eq(rec.irq_ops[HV_IRQ_DEASSERT], 2);
    /* ICPENDR of an interrupt that is not pending: nothing. */
    dw(GICD_ICPENDR + 8, 1u << 16);
    ck_assert_uint_eq(rec.irq_ops[HV_IRQ_DEASSERT], 2);
    /* An acknowledge takes a software-pended interrupt: ACK, not DEASSERT. */
    spi_pend(80);
    ck_assert_uint_eq(srd(ICC_IAR1), 80);
    ck_assert_uint_eq(rec.irq_ops[HV_IRQ_ACK], 1);
    ck_assert_uint_eq(rec.irq_ops[HV_IRQ_DEASSERT], 2);
    swr(ICC_EOIR1, 80);
    /* Edge-triggered: the line falling leaves the latch (still pending). */
    dw(GICD_ICFGR + 20, 2u << 0);
    hv_gic_set_spi(gic, 48, true);
    hv_gic_set_spi(gic, 48, false);
    ck_assert(spi_bit(GICD_ISPENDR, 80));
    ck_assert_uint_eq(rec.irq_ops[HV_IRQ_DEASSERT], 2);
    /* A PPI line (GICR_ICPENDR0 clears a PPI's latch likewise). */
    hv_gic_set_ppi(gic, 0, 27, true);
    unsigned asserted = rec.irq_ops[HV_IRQ_ASSERT];
    hv_gic_set_ppi(gic, 0, 27, false);
    ck_assert_uint_eq(rec.irq_ops[HV_IRQ_DEASSERT], 3);
    ck_assert_uint_eq(rec.last_irq.intid, 27);
    ck_assert_uint_eq(rec.irq_ops[HV_IRQ_ASSERT], asserted);
}
END_TEST

START_TEST(test_ppi_input)
{
    enable_all();
    rw(SGI + GICD_IGROUPR, 1u << 30);
    set_prio(30, 0xa0);
    rw(SGI + GICD_ISENABLER, 1u << 30);
    hv_gic_ppi_pe0(gic, 30, true); /* the timer's callback shape */
    ck_assert(irq());
    ck_assert_uint_eq(rr(SGI + GICD_ISPENDR), 1u << 30);
    ck_assert_uint_eq(srd(ICC_IAR1), 30);
    hv_gic_set_ppi(gic, 0, 30, false);
    swr(ICC_EOIR1, 30);
    ck_assert(!irq());
    ck_assert_uint_eq(rr(SGI + GICD_ISACTIVER), 0);
}
END_TEST

START_TEST(test_sgi)
{
    enable_all();
    rw(SGI + GICD_IGROUPR, 0x000f); /* SGIs 0-3 Group 1, 4-15 Group 0 */
    rw(SGI + GICD_ISENABLER, 0xffff);
    set_prio(3, 0x80);
    set_prio(5, 0x80);
    /* SGI1R: INTID 3, TargetList = PE 0. */
    swr(ICC_SGI1R, (3ull << 24) | 1);
    ck_assert(irq());
    ck_assert_uint_eq(srd(ICC_IAR1), 3);
    swr(ICC_EOIR1, 3);
    /* Not forwarded: wrong group, other targets, IRM (all but self),
     * another Aff1 or range selector. */
    swr(ICC_SGI0R, (3ull << 24) | 1);
    swr(ICC_SGI1R, (5ull << 24) | 1);
    swr(ICC_SGI1R, (3ull << 24) | 2);
    swr(ICC_SGI1R, (3ull << 24) | (1ull << 40));
    swr(ICC_SGI1R, (3ull << 24) | (1ull << 16) | 1);
    swr(ICC_SGI1R, (3ull << 24) | (1ull << 44) | 1);
    ck_assert_uint_eq(rr(SGI + GICD_ISPENDR), 0);
    /* SGI0R for a Group 0 SGI: FIQ. */
    swr(ICC_SGI0R, (5ull << 24) | 1);
    ck_assert(fiq());
    ck_assert_uint_eq(srd(ICC_IAR0), 5);
    swr(ICC_EOIR0, 5);
    /* ASGI1R with one Security state: Group 0 SGIs only (as QEMU). */
    swr(ICC_ASGI1R, (3ull << 24) | 1);
    ck_assert_uint_eq(rr(SGI + GICD_ISPENDR), 0);
    swr(ICC_ASGI1R, (5ull << 24) | 1);
    ck_assert_uint_eq(rr(SGI + GICD_ISPENDR), 1u << 5);
}
END_TEST

/* ---- access decisions -------------------------------------------------------------- */

START_TEST(test_route_pure)
{
    struct hv_gic_pe_state s = {.el = 0, .el2_enabled = true};
    for (int rc = HV_GIC_RC_G0; rc <= HV_GIC_RC_EL2; rc++)
        ck_assert_int_eq(hv_gic_route_access(rc, &s), HV_GIC_UNDEF);
    s.el = 1;
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_EL2, &s), HV_GIC_UNDEF);
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_G1, &s), HV_GIC_PHYS);
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_SGI, &s), HV_GIC_PHYS);
    s.hcr_el2 = HCR_IMO;
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_G1, &s), HV_GIC_VIRT);
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_G0, &s), HV_GIC_PHYS);
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_COMMON, &s), HV_GIC_VIRT);
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_DIR, &s), HV_GIC_VIRT);
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_SGI, &s), HV_GIC_TRAP_EL2);
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_SRE_EL1, &s), HV_GIC_PHYS);
    s.hcr_el2 = HCR_FMO;
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_G1, &s), HV_GIC_PHYS);
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_G0, &s), HV_GIC_VIRT);
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_COMMON, &s), HV_GIC_VIRT);
    s.hcr_el2 = 1ull << 27; /* TGE: FMO/IMO behave as 1 */
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_G1, &s), HV_GIC_VIRT);
    s.hcr_el2 = 0;
    s.ich_hcr_el2 = ICH_TALL1;
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_G1, &s), HV_GIC_TRAP_EL2);
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_G0, &s), HV_GIC_PHYS);
    s.ich_hcr_el2 = ICH_TALL0;
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_G0, &s), HV_GIC_TRAP_EL2);
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_COMMON, &s), HV_GIC_PHYS);
    s.ich_hcr_el2 = ICH_TC;
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_COMMON, &s), HV_GIC_TRAP_EL2);
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_DIR, &s), HV_GIC_TRAP_EL2);
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_SGI, &s), HV_GIC_TRAP_EL2);
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_G1, &s), HV_GIC_PHYS);
    s.ich_hcr_el2 = ICH_TDIR;
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_DIR, &s), HV_GIC_TRAP_EL2);
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_COMMON, &s), HV_GIC_PHYS);
    /* The traps are EL1's only; EL2 always gets the physical interface. */
    s.ich_hcr_el2 = ICH_TC | ICH_TALL0 | ICH_TALL1 | ICH_TDIR;
    s.hcr_el2 = HCR_IMO | HCR_FMO;
    for (unsigned el = 2; el <= 3; el++) {
        s.el = el;
        for (int rc = HV_GIC_RC_G0; rc <= HV_GIC_RC_EL2; rc++)
            ck_assert_int_eq(hv_gic_route_access(rc, &s), HV_GIC_PHYS);
    }
    /* EL2 disabled (SCR_EL3.NS = 0): no routing, no traps. */
    s.el = 1;
    s.el2_enabled = false;
    ck_assert_int_eq(hv_gic_route_access(HV_GIC_RC_G1, &s), HV_GIC_PHYS);
}
END_TEST

START_TEST(test_descriptor_access_traps)
{
    /* The PE is at EL1: ICH_* and ICC_SRE_EL2 UNDEF. */
    ck_assert_int_eq(acc(ICH_HCR, false), HV_SR_UNDEF);
    ck_assert_int_eq(acc(ICH_LR(0), true), HV_SR_UNDEF);
    ck_assert_int_eq(acc(ICC_SRE_EL2, false), HV_SR_UNDEF);
    ck_assert_int_eq(acc(ICC_IAR1, false), HV_SR_OK);
    /* ICH_HCR_EL2 trap bits (set through the descriptor, bypassing the EL
     * check: the decision only reads state). */
    const struct hv_sysreg_desc *hcr = desc(ICH_HCR);
    hcr->write(gic, cpu, hcr, ICH_TALL1);
    ck_assert_int_eq(acc(ICC_IAR1, false), HV_SR_TRAP_EL2);
    ck_assert_int_eq(acc(ICC_IGRPEN1, true), HV_SR_TRAP_EL2);
    ck_assert_int_eq(acc(ICC_IAR0, false), HV_SR_OK);
    hcr->write(gic, cpu, hcr, ICH_TC);
    ck_assert_int_eq(acc(ICC_PMR, true), HV_SR_TRAP_EL2);
    ck_assert_int_eq(acc(ICC_SGI1R, true), HV_SR_TRAP_EL2);
    hcr->write(gic, cpu, hcr, ICH_TDIR);
    ck_assert_int_eq(acc(ICC_DIR, true), HV_SR_TRAP_EL2);
    ck_assert_int_eq(acc(ICC_PMR, true), HV_SR_OK);
    hcr->write(gic, cpu, hcr, 0);
    /* HCR_EL2.IMO: SGI writes trap, the rest goes to ICV_*. */
    set_hcr(HCR_IMO);
    ck_assert_int_eq(acc(ICC_SGI1R, true), HV_SR_TRAP_EL2);
    ck_assert_int_eq(acc(ICC_IAR1, false), HV_SR_OK);
    set_hcr(0);
}
END_TEST

/* ---- the virtual CPU interface ---------------------------------------------------- */

/* ICH_* writes from the test: the PE sits at EL1, so call write() directly. */
static void ich_wr(uint32_t enc, uint64_t v)
{
    const struct hv_sysreg_desc *d = desc(enc);
    d->write(gic, cpu, d, v);
}
static uint64_t ich_rd(uint32_t enc)
{
    const struct hv_sysreg_desc *d = desc(enc);
    return d->read(gic, cpu, d);
}

/* Virtual interface on, both groups enabled, no mask; EL1 sees ICV_*. */
static void virt_on(void)
{
    ich_wr(ICH_VMCR, 0xff000003); /* VPMR 0xff, VENG0, VENG1 */
    ich_wr(ICH_HCR, ICH_EN);
    set_hcr(HCR_IMO | HCR_FMO);
}

START_TEST(test_ich_values)
{
    ck_assert_uint_eq(ich_rd(ICH_VTR), 0x90b80003);
    ck_assert_uint_eq(ich_rd(ICH_VMCR), 0x4c0008);
    ich_wr(ICH_VMCR, 0xff000002);
    ck_assert_uint_eq(ich_rd(ICH_VMCR), 0xff4c000a);
    ich_wr(ICH_VMCR, 0xffffffff);
    ck_assert_uint_eq(ich_rd(ICH_VMCR), 0xfffc021b);
    ich_wr(ICH_HCR, 0xffffffff);
    ck_assert_uint_eq(ich_rd(ICH_HCR), 0xf8007cff);
    ich_wr(ICH_HCR, 0);
    ck_assert_uint_eq(ich_rd(ICH_ELRSR), 0xf);
    ich_wr(ICH_LR(0), ~0ull);
    ck_assert_uint_eq(ich_rd(ICH_LR(0)), 0xfff8ffffffffffffull);
    ck_assert_uint_eq(ich_rd(ICH_ELRSR), 0xe);
    ich_wr(ICH_LR(0), 0);
    ich_wr(ICH_AP1R0, 0xffffffff);
    ck_assert_uint_eq(ich_rd(ICH_AP1R0), 0xffffffff);
    ich_wr(ICH_AP1R0, 0);
    /* Only 4 LRs and one AP<g>R each. */
    ck_assert_ptr_null(hv_cpu_find_sysreg(cpu, ICH_LR(4)));
    ck_assert_ptr_null(hv_cpu_find_sysreg(cpu, ENC(4, 12, 8, 1)));
    /* ICV view. */
    virt_on();
    ck_assert_uint_eq(srd(ICC_CTLR), 0x8c00);
    swr(ICC_PMR, 0xff);
    ck_assert_uint_eq(srd(ICC_PMR), 0xf8);
    ck_assert_uint_eq(ich_rd(ICH_VMCR) >> 24, 0xf8);
    swr(ICC_BPR0, 0);
    swr(ICC_BPR1, 0);
    ck_assert_uint_eq(srd(ICC_BPR0), 2);
    ck_assert_uint_eq(srd(ICC_BPR1), 3);
    swr(ICC_CTLR, 3);
    ck_assert_uint_eq(srd(ICC_CTLR), 0x8c03);
    ck_assert_uint_eq(ich_rd(ICH_VMCR) & 0x210, 0x210);
    ck_assert_uint_eq(srd(ICC_BPR1), 3); /* VCBPR: VBPR0 + 1 */
    swr(ICC_IGRPEN1, 0);
    ck_assert_uint_eq(ich_rd(ICH_VMCR) & 2, 0);
    ck_assert_uint_eq(srd(ICC_IGRPEN1), 0);
    /* The physical interface was not touched. */
    set_hcr(0);
    ck_assert_uint_eq(srd(ICC_PMR), 0);
    ck_assert_uint_eq(srd(ICC_CTLR), 0x8c00);
}
END_TEST

START_TEST(test_lr_state_machine)
{
    virt_on();
    ck_assert(!virq() && !vfiq());
    ich_wr(ICH_LR(1), LR_PENDING | LR_G1 | LR(50, 0x80));
    ck_assert(virq() && !vfiq());
    ck_assert_uint_eq(ich_rd(ICH_ELRSR), 0xd);
    ck_assert_uint_eq(srd(ICC_HPPIR1), 50);
    ck_assert_uint_eq(srd(ICC_HPPIR0), 1023);
    ck_assert_uint_eq(srd(ICC_IAR0), 1023);
    ck_assert_uint_eq(srd(ICC_IAR1), 50);
    ck_assert_uint_eq(ich_rd(ICH_LR(1)) >> 62, 2); /* Active */
    ck_assert_uint_eq(srd(ICC_RPR), 0x80);
    ck_assert_uint_eq(ich_rd(ICH_AP1R0), 1u << (0x80 >> 3));
    ck_assert(!virq());
    /* Pending again while active: active+pending, not signalled. */
    ich_wr(ICH_LR(1), ich_rd(ICH_LR(1)) | LR_PENDING);
    ck_assert(!virq());
    swr(ICC_EOIR1, 50);
    ck_assert_uint_eq(ich_rd(ICH_LR(1)) >> 62, 1); /* Pending */
    ck_assert(virq());
    ck_assert_uint_eq(srd(ICC_IAR1), 50);
    swr(ICC_EOIR1, 50);
    ck_assert_uint_eq(ich_rd(ICH_LR(1)) >> 62, 0);
    ck_assert_uint_eq(ich_rd(ICH_ELRSR), 0xf);
    ck_assert_uint_eq(srd(ICC_RPR), 0xff);

    /* Group 0 LR -> vFIQ; priority order and VPMR; virtual preemption. */
    ich_wr(ICH_LR(0), LR_PENDING | LR(20, 0x90));
    ich_wr(ICH_LR(2), LR_PENDING | LR_G1 | LR(21, 0x40));
    ck_assert(virq() && !vfiq()); /* 0x40 beats 0x90 */
    swr(ICC_PMR, 0x40);
    ck_assert(!virq() && !vfiq());
    swr(ICC_PMR, 0xa0);
    ck_assert_uint_eq(srd(ICC_IAR1), 21);
    ck_assert(!virq() && !vfiq()); /* 0x90 cannot preempt 0x40 */
    ich_wr(ICH_LR(3), LR_PENDING | LR(22, 0x10));
    ck_assert(vfiq());
    ck_assert_uint_eq(srd(ICC_IAR0), 22);
    ck_assert_uint_eq(srd(ICC_RPR), 0x10);
    swr(ICC_EOIR0, 22);
    swr(ICC_EOIR1, 21);
    ck_assert(vfiq());
    ck_assert_uint_eq(srd(ICC_IAR0), 20);
    swr(ICC_EOIR0, 20);
    ck_assert(!virq() && !vfiq());
    /* Groups disabled in the VMCR, or the interface disabled: no signal. */
    ich_wr(ICH_LR(0), LR_PENDING | LR_G1 | LR(23, 0x40));
    ck_assert(virq());
    swr(ICC_IGRPEN1, 0);
    ck_assert(!virq());
    swr(ICC_IGRPEN1, 1);
    ich_wr(ICH_HCR, 0);
    ck_assert(!virq());
    ich_wr(ICH_HCR, ICH_EN);
    ck_assert(virq());
    /* A special vINTID: returned, and the LR becomes invalid. */
    ich_wr(ICH_LR(0), LR_PENDING | LR_G1 | LR(1022, 0x40));
    ck_assert_uint_eq(srd(ICC_IAR1), 1022);
    ck_assert_uint_eq(ich_rd(ICH_LR(0)) >> 62, 0);
    ck_assert_uint_eq(srd(ICC_RPR), 0xff);
}
END_TEST

START_TEST(test_veoim_and_dir)
{
    virt_on();
    swr(ICC_CTLR, 2); /* VEOIM */
    ich_wr(ICH_LR(0), LR_PENDING | LR_G1 | LR(33, 0x80));
    ck_assert_uint_eq(srd(ICC_IAR1), 33);
    swr(ICC_EOIR1, 33);
    ck_assert_uint_eq(srd(ICC_RPR), 0xff);
    ck_assert_uint_eq(ich_rd(ICH_LR(0)) >> 62, 2); /* still active */
    swr(ICC_DIR, 33);
    ck_assert_uint_eq(ich_rd(ICH_LR(0)) >> 62, 0);
    /* DIR of an INTID in no LR: EOIcount. */
    swr(ICC_DIR, 99);
    ck_assert_uint_eq(ich_rd(ICH_HCR) >> 27, 1);
    /* VEOIM = 0: DIR ignored. */
    swr(ICC_CTLR, 0);
    swr(ICC_DIR, 99);
    ck_assert_uint_eq(ich_rd(ICH_HCR) >> 27, 1);
    /* VEOIM = 1: an EOIR of an INTID in no LR only drops the priority; it
     * would not have deactivated anything, so EOIcount stays (ICH_HCR_EL2
     * EOIcount, GICv3 12.4.4); its DIR is what counts. */
    ich_wr(ICH_HCR, ICH_EN);
    swr(ICC_CTLR, 2);
    ich_wr(ICH_AP1R0, 1u << 16); /* as if vINTID 77 had been taken at 0x80 */
    swr(ICC_EOIR1, 77);
    ck_assert_uint_eq(srd(ICC_RPR), 0xff);
    ck_assert_uint_eq(ich_rd(ICH_HCR) >> 27, 0);
    swr(ICC_DIR, 77);
    ck_assert_uint_eq(ich_rd(ICH_HCR) >> 27, 1);
    /* VEOIM = 0: the same EOIR counts (it would have deactivated 77). */
    ich_wr(ICH_HCR, ICH_EN);
    swr(ICC_CTLR, 0);
    ich_wr(ICH_AP1R0, 1u << 16);
    swr(ICC_EOIR1, 77);
    ck_assert_uint_eq(ich_rd(ICH_HCR) >> 27, 1);
    /* An EOIR with no active priority is not a successful write (no
     * priority drop): nothing counted. */
    swr(ICC_EOIR1, 77);
    ck_assert_uint_eq(ich_rd(ICH_HCR) >> 27, 1);
}
END_TEST

START_TEST(test_hw_deactivates_physical)
{
    /* The hypervisor takes the physical SPI 90 with EOImode = 1 (priority
     * drop only), and hands it to the guest in an LR with HW = 1. */
    enable_all();
    swr(ICC_CTLR, 2);
    spi_setup(90, 1, 0x80);
    spi_pend(90);
    ck_assert_uint_eq(srd(ICC_IAR1), 90);
    swr(ICC_EOIR1, 90);
    ck_assert(spi_bit(GICD_ISACTIVER, 90));
    virt_on();
    ich_wr(ICH_LR(0), LR_PENDING | LR_G1 | LR_HW | LR_PINTID(90) | LR(40, 0x80));
    ck_assert_uint_eq(srd(ICC_IAR1), 40);
    swr(ICC_EOIR1, 40);
    ck_assert(!spi_bit(GICD_ISACTIVER, 90));
    ck_assert_uint_eq(ich_rd(ICH_LR(0)) >> 62, 0);
    /* A HW LR never asks for EOI maintenance. */
    ck_assert_uint_eq(ich_rd(ICH_EISR), 0);
    ck_assert_uint_eq(ich_rd(ICH_ELRSR) & 1, 1);
    /* Same with a PPI, through the redistributor, and with VEOIM + DIR. */
    set_hcr(0);
    rw(SGI + GICD_IGROUPR, 1u << 27);
    set_prio(27, 0x80);
    rw(SGI + GICD_ISENABLER, 1u << 27);
    hv_gic_set_ppi(gic, 0, 27, true);
    ck_assert_uint_eq(srd(ICC_IAR1), 27);
    swr(ICC_EOIR1, 27);
    hv_gic_set_ppi(gic, 0, 27, false);
    ck_assert_uint_eq(rr(SGI + GICD_ISACTIVER), 1u << 27);
    set_hcr(HCR_IMO | HCR_FMO);
    swr(ICC_CTLR, 2);
    ich_wr(ICH_LR(2), LR_PENDING | LR_G1 | LR_HW | LR_PINTID(27) | LR(27, 0x80));
    ck_assert_uint_eq(srd(ICC_IAR1), 27);
    swr(ICC_EOIR1, 27);
    ck_assert_uint_eq(rr(SGI + GICD_ISACTIVER), 1u << 27);
    swr(ICC_DIR, 27);
    ck_assert_uint_eq(rr(SGI + GICD_ISACTIVER), 0);
}
END_TEST

static bool maint_pending(void)
{
    return (rr(SGI + GICD_ISPENDR) >> 25) & 1;
}

START_TEST(test_maintenance)
{
    /* The hypervisor enables PPI 25 as a Group 1 interrupt. */
    enable_all();
    rw(SGI + GICD_IGROUPR, 1u << 25);
    set_prio(25, 0x20);
    rw(SGI + GICD_ISENABLER, 1u << 25);
    ck_assert_uint_eq(ich_rd(ICH_MISR), 0);
    ck_assert(!maint_pending());

    /* U: underflow (0 or 1 valid LRs), only with En. */
    ich_wr(ICH_HCR, ICH_UIE);
    ck_assert_uint_eq(ich_rd(ICH_MISR), 0x2);
    ck_assert(!maint_pending());
    ich_wr(ICH_HCR, ICH_UIE | ICH_EN);
    ck_assert(maint_pending() && irq());
    ich_wr(ICH_LR(0), LR_PENDING | LR_G1 | LR(40, 0x80));
    ck_assert_uint_eq(ich_rd(ICH_MISR), 0x2);
    ich_wr(ICH_LR(1), LR_PENDING | LR_G1 | LR(41, 0x80));
    ck_assert_uint_eq(ich_rd(ICH_MISR), 0);
    ck_assert(!maint_pending() && !irq()); /* level-sensitive: gone */

    /* NP: no LR in the Pending state. */
    ich_wr(ICH_HCR, ICH_NPIE | ICH_EN);
    ck_assert_uint_eq(ich_rd(ICH_MISR), 0);
    virt_on();
    ich_wr(ICH_HCR, ICH_NPIE | ICH_EN);
    ck_assert_uint_eq(srd(ICC_IAR1), 40);
    swr(ICC_EOIR1, 40);
    ck_assert_uint_eq(ich_rd(ICH_MISR), 0);
    ck_assert_uint_eq(srd(ICC_IAR1), 41);
    ck_assert_uint_eq(ich_rd(ICH_MISR), 0x8);
    ck_assert(maint_pending());

    /* EOI: an LR with EOI = 1 (HW = 0) deactivated by the guest. */
    ich_wr(ICH_HCR, ICH_EN);
    ich_wr(ICH_LR(1), ich_rd(ICH_LR(1)) | LR_EOI);
    swr(ICC_EOIR1, 41);
    ck_assert_uint_eq(ich_rd(ICH_EISR), 0x2);
    ck_assert_uint_eq(ich_rd(ICH_ELRSR) & 2, 0); /* not free until handled */
    ck_assert_uint_eq(ich_rd(ICH_MISR), 0x1);
    ck_assert(maint_pending());
    ich_wr(ICH_LR(1), 0);
    ck_assert_uint_eq(ich_rd(ICH_MISR), 0);

    /* LRENP: EOIs of INTIDs in no LR count in EOIcount. */
    ich_wr(ICH_HCR, ICH_EN | ICH_LRENPIE);
    ich_wr(ICH_LR(0), 0);
    ich_wr(ICH_AP1R0, 1u << 16); /* as if vINTID 77 had been taken at 0x80 */
    swr(ICC_EOIR1, 77);
    ck_assert_uint_eq(ich_rd(ICH_HCR) >> 27, 1);
    ck_assert_uint_eq(ich_rd(ICH_MISR), 0x4);
    ck_assert(maint_pending());
    /* EOIcount is 5 bits and wraps; the hypervisor clears it. */
    ich_wr(ICH_HCR, ICH_EN | ICH_LRENPIE | (31u << 27));
    ich_wr(ICH_AP1R0, 1u << 16);
    swr(ICC_EOIR1, 77);
    ck_assert_uint_eq(ich_rd(ICH_HCR), ICH_EN | ICH_LRENPIE);
    ck_assert_uint_eq(ich_rd(ICH_MISR), 0);

    /* VGrp0E/D, VGrp1E/D follow VENG0/VENG1. */
    ich_wr(ICH_HCR, ICH_EN | ICH_V0EIE | ICH_V0DIE | ICH_V1EIE | ICH_V1DIE);
    ich_wr(ICH_VMCR, 0xff000001);
    ck_assert_uint_eq(ich_rd(ICH_MISR), 0x10 | 0x80);
    ich_wr(ICH_VMCR, 0xff000002);
    ck_assert_uint_eq(ich_rd(ICH_MISR), 0x20 | 0x40);
    swr(ICC_IGRPEN0, 1); /* the guest's ICV_IGRPEN0 write changes it too */
    ck_assert_uint_eq(ich_rd(ICH_MISR), 0x10 | 0x40);
    ich_wr(ICH_HCR, 0);
    ck_assert(!maint_pending());
}
END_TEST

Suite *gic_suite(void);
Suite *gic_suite(void)
{
    Suite *s = suite_create("gic");
    TCase *tc = tcase_create("gic");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_id_and_reset_values);
    tcase_add_test(tc, test_enable_pending_active_state);
    tcase_add_test(tc, test_priority_bytes_and_bits);
    tcase_add_test(tc, test_irouter_64bit_merge);
    tcase_add_test(tc, test_bad_accesses_never_crash);
    tcase_add_test(tc, test_mmio_events);
    tcase_add_test(tc, test_bad_configs);
    tcase_add_test(tc, test_icc_values);
    tcase_add_test(tc, test_priority_and_preemption);
    tcase_add_test(tc, test_group0_is_fiq);
    tcase_add_test(tc, test_bpr_grouping);
    tcase_add_test(tc, test_eoimode1_and_dir);
    tcase_add_test(tc, test_level_vs_edge);
    tcase_add_test(tc, test_deassert_events);
    tcase_add_test(tc, test_ppi_input);
    tcase_add_test(tc, test_sgi);
    tcase_add_test(tc, test_route_pure);
    tcase_add_test(tc, test_descriptor_access_traps);
    tcase_add_test(tc, test_ich_values);
    tcase_add_test(tc, test_lr_state_machine);
    tcase_add_test(tc, test_veoim_and_dir);
    tcase_add_test(tc, test_hw_deactivates_physical);
    tcase_add_test(tc, test_maintenance);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(gic_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
