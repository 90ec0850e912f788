/* libFuzzer harness for sim/gic: random sequences of distributor and
 * redistributor MMIO accesses, ICC_* / ICH_* / ICV_* system-register accesses
 * through the descriptors the model registers with a real struct hv_cpu
 * (access(), then read() or write(), as the CPU's MSR/MRS path does), SPI and
 * PPI input changes, and HCR_EL2.{IMO,FMO} changes (which switch the EL1
 * view between ICC and ICV).
 *
 * Input: a sequence of 12-byte records
 *     op:u8  a:u8  b:u16 (little endian)  value:u64 (little endian)
 * op % 9:
 *   0/1  GICD read/write: offset b (+ 0x10000 * (a & 1): past the window),
 *        size sizes[(a >> 1) % 6]
 *   2/3  GICR read/write: offset b | (a & 0x1f) << 16 (RD_base, SGI_base and
 *        the frames of PEs without a CPU, and past them), size sizes[(a >> 5) % 6]
 *   4/5  system register read/write: the (b % n)-th registered GICv3
 *        encoding; the write value is `value`. The PE sits at EL1 (the CPU
 *        is never run), where ICH_* and ICC_SRE_EL2 UNDEF: with a & 1 the
 *        access check is skipped and read()/write() called directly, as at
 *        EL2 (and as tests/unit/test_gic.c writes ICH_* registers)
 *   6    HCR_EL2 = value & (IMO | FMO) (the routing the access checks use)
 *   7    hv_gic_set_spi(b % 260, a & 1)  (out-of-range SPIs included)
 *   8    hv_gic_set_ppi(a % 3, b % 40, value & 1)  (bad PE / INTID included)
 *
 * Besides ASan/UBSan, the harness aborts when:
 *   - an MMIO read returns bits beyond its access size;
 *   - an HV_EV_MMIO event has a NULL device, or a read value beyond its size;
 *   - a physical ICC_IAR0/1 or HPPIR0/1 read (HCR_EL2.IMO = FMO = 0) returns
 *     an INTID that does not exist (not < 32 + nspis and not 1020..1023);
 *   - ICH_ELRSR_EL2 / ICH_EISR_EL2 show an LR that does not exist, or
 *     ICH_MISR_EL2 a bit above 7;
 *   - the IRQ or FIQ line is asserted while GICD_CTLR enables no group.
 *
 * Speed: creating a Unicorn engine costs ~60 ms, so one struct hv_cpu serves
 * the whole process. A first model registers the ICC/ICH descriptors with
 * it (there is no way to unregister them); every input then gets a fresh
 * model created without a CPU and attached to PE 0 by hand, and the
 * descriptors are called with that model as their ctx (they find their PE
 * from ctx and the CPU, as the CPU's MSR/MRS path would with the first). The
 * CPU's lines and HCR_EL2 are reset before each input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_el2/cpu.h"
#include "cpu_el2/sysreg.h"
#include "gic/gic.h"
#include "gic/gic_internal.h" /* struct hv_gic: attach a fresh model to the CPU */

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libunicorn.so\n";
}

#define NSPIS 224
#define NLRS  4

#define ENC(op1, crn, crm, op2) HV_SYSREG(3, op1, crn, crm, op2)
#define HCR_EL2                 ENC(4, 1, 1, 0)
#define SCR_EL3                 ENC(6, 1, 1, 0)
#define ICC_IAR0                ENC(0, 12, 8, 0)
#define ICC_HPPIR0              ENC(0, 12, 8, 2)
#define ICC_IAR1                ENC(0, 12, 12, 0)
#define ICC_HPPIR1              ENC(0, 12, 12, 2)
#define ICH_MISR                ENC(4, 12, 11, 2)
#define ICH_EISR                ENC(4, 12, 11, 3)
#define ICH_ELRSR               ENC(4, 12, 11, 5)
#define HCR_FMO                 (1ull << 3)
#define HCR_IMO                 (1ull << 4)

static const unsigned sizes[6] = {1, 2, 4, 8, 3, 0};

static void fail(const char *what, unsigned long long a, unsigned long long b)
{
    fprintf(stderr, "fuzz_gic: %s (0x%llx, 0x%llx)\n", what, a, b);
    abort();
}

static bool fits(uint64_t v, unsigned size)
{
    return size >= 8 || (v >> (size * 8)) == 0;
}

static void on_event(void *ctx, const struct hv_event *ev)
{
    (void)ctx;
    if (ev->type != HV_EV_MMIO)
        return;
    if (!ev->u.mmio.device)
        fail("HV_EV_MMIO without a device", ev->u.mmio.pa, 0);
    if (!ev->u.mmio.is_write && !fits(ev->u.mmio.value, ev->u.mmio.size))
        fail("HV_EV_MMIO read value wider than its size", ev->u.mmio.value, ev->u.mmio.size);
}

/* The GICv3 encodings the model registered (ICC_* at crn 4 and 12, ICH_*). */
static uint32_t encs[512];
static unsigned nencs;

static void collect(struct hv_cpu *cpu)
{
    static const unsigned crns[] = {4, 12};
    nencs = 0;
    for (unsigned op1 = 0; op1 < 8; op1++)
        for (unsigned c = 0; c < 2; c++)
            for (unsigned crm = 0; crm < 16; crm++)
                for (unsigned op2 = 0; op2 < 8; op2++) {
                    uint32_t e = ENC(op1, crns[c], crm, op2);
                    if (hv_cpu_find_sysreg(cpu, e) && nencs < 512)
                        encs[nencs++] = e;
                }
}

static bool intid_ok(uint64_t v)
{
    return v < 32 + NSPIS || (v >= 1020 && v <= 1023);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct hv_gic_config cfg = {
        .nspis = NSPIS, .nlrs = NLRS, .pri_bits = 5, .ncpus = 1};
    static struct hv_obs obs;
    static struct hv_cpu *cpu;
    static struct hv_gic *first;
    struct hv_err err;
    struct hv_gic *gic;
    uint64_t hcr = 0;

    if (size > 12 * 512)
        return -1;
    if (!cpu) {
        hv_obs_init(&obs);
        if (hv_obs_subscribe(&obs, HV_EV_ALL, on_event, NULL))
            fail("subscribe", 0, 0);
        if (hv_cpu_create(&cpu, &obs, NULL, &err))
            fail("hv_cpu_create", 0, 0);
        /* Non-secure EL1 with EL2 enabled (SCR_EL3 = NS | RES1 | HCE | RW),
         * as after hvsim's boot ROM and as tests/unit/test_gic.c. */
        if (hv_cpu_sysreg_set(cpu, SCR_EL3, 0x531))
            fail("sysreg_set", 0, 0);
        if (hv_gic_create(&first, &cfg, cpu, &obs, &err))
            fail("hv_gic_create", 0, 0);
        collect(cpu);
        if (!nencs)
            fail("no GICv3 system registers registered", 0, 0);
    }
    if (hv_cpu_sysreg_set(cpu, HCR_EL2, 0))
        fail("sysreg_set", 0, 0);
    for (int l = 0; l < HV_LINE__COUNT; l++)
        hv_cpu_set_line(cpu, (enum hv_cpu_line)l, false);
    if (hv_gic_create(&gic, &cfg, NULL, &obs, &err))
        fail("hv_gic_create", 0, 0);
    gic->pe[0].cpu = cpu;
    gic_update(gic);

    for (size_t i = 0; i + 12 <= size; i += 12) {
        const uint8_t *r = data + i;
        unsigned op = r[0] % 9, a = r[1];
        unsigned b = (unsigned)r[2] | (unsigned)r[3] << 8;
        uint64_t value;
        memcpy(&value, r + 4, 8);
        switch (op) {
        case 0:
        case 1: {
            uint64_t off = b + 0x10000ull * (a & 1);
            unsigned sz = sizes[(a >> 1) % 6];
            if (op == 0) {
                uint64_t v = hv_gic_dist_read(gic, off, sz);
                if (!fits(v, sz))
                    fail("GICD read wider than its size", off, v);
            } else {
                hv_gic_dist_write(gic, off, sz, value);
            }
            break;
        }
        case 2:
        case 3: {
            uint64_t off = b | (uint64_t)(a & 0x1f) << 16;
            unsigned sz = sizes[(a >> 5) % 6];
            if (op == 2) {
                uint64_t v = hv_gic_redist_read(gic, off, sz);
                if (!fits(v, sz))
                    fail("GICR read wider than its size", off, v);
            } else {
                hv_gic_redist_write(gic, off, sz, value);
            }
            break;
        }
        case 4:
        case 5: {
            uint32_t e = encs[b % nencs];
            const struct hv_sysreg_desc *d = hv_cpu_find_sysreg(cpu, e);
            bool is_write = op == 5;
            enum hv_sysreg_decision dec =
                d->access && !(a & 1) ? d->access(gic, cpu, d, is_write) : HV_SR_OK;
            if (dec != HV_SR_OK)
                break; /* UNDEF or trap: the CPU would not call read/write */
            if (is_write) {
                if (d->write)
                    d->write(gic, cpu, d, value);
                break;
            }
            if (!d->read)
                break;
            uint64_t v = d->read(gic, cpu, d);
            bool physical = !(hcr & (HCR_IMO | HCR_FMO)) && !(a & 1);
            if (physical && (e == ICC_IAR0 || e == ICC_IAR1 || e == ICC_HPPIR0 ||
                             e == ICC_HPPIR1) && !intid_ok(v & 0xffffff))
                fail("physical IAR/HPPIR returned a non-existent INTID", e, v);
            if ((e == ICH_ELRSR || e == ICH_EISR) && (v >> NLRS))
                fail("ICH_ELRSR/EISR shows a list register that does not exist", e, v);
            if (e == ICH_MISR && (v >> 8))
                fail("ICH_MISR_EL2 bit above 7", e, v);
            break;
        }
        case 6:
            hcr = value & (HCR_IMO | HCR_FMO);
            if (hv_cpu_sysreg_set(cpu, HCR_EL2, hcr))
                fail("HCR_EL2 set", hcr, 0);
            break;
        case 7:
            hv_gic_set_spi(gic, b % 260, a & 1);
            break;
        case 8:
            hv_gic_set_ppi(gic, a % 3, b % 40, value & 1);
            break;
        }
        /* GICD_CTLR.EnableGrp0/EnableGrp1 both 0: no physical interrupt is
         * forwarded to any CPU interface (IHI 0069 GICD_CTLR). */
        uint32_t ctlr = (uint32_t)hv_gic_dist_read(gic, 0, 4);
        if (!(ctlr & 3) && (hv_cpu_line(cpu, HV_LINE_IRQ) || hv_cpu_line(cpu, HV_LINE_FIQ)))
            fail("IRQ/FIQ asserted with both groups disabled in GICD_CTLR", ctlr, i / 12);
    }

    hv_gic_destroy(gic);
    return 0;
}
