/* hvsim: the platform description: the built-in "virt" platform, validation,
 * look-up helpers. The device-tree side (loading platform files, generating
 * the DTB) is in platform_dt.c. docs/platform.md is the user-facing
 * description of everything here.
 */
#include "platform.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* --- the built-in "virt" platform ----------------------------------------
 *
 * Addresses follow QEMU 7.2's "virt" machine (hw/arm/virt.c, base_memmap and
 * a15irqmap) for every device both have, so that images written for
 * `qemu-system-aarch64 -M virt,virtualization=on,gic-version=3` find their
 * console and interrupt controller where they expect them. Devices QEMU does
 * not have (UARTs 1-3, CRU, GRF) sit in the hole QEMU leaves between
 * SECURE_GPIO (0x090b0000) and the virtio-mmio transports (0x0a000000), on
 * SPIs QEMU does not use for a non-secure, device-tree-booted machine.
 * docs/platform.md has the full table side by side with QEMU's.
 */
#define MIB (1024ull * 1024ull)

/* QEMU virt GIC_DIST / GIC_REDIST. Each GICv3 redistributor is two 64 KiB
 * frames (RD_base and SGI_base, GICv3 architecture spec IHI 0069, 12.10). */
#define VIRT_GICD_BASE 0x08000000ull
#define VIRT_GICD_SIZE 0x10000ull
#define VIRT_GICR_BASE 0x080A0000ull

static int builtin_virt(struct hv_platform *p)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->name, sizeof(p->name), "virt");
    snprintf(p->model, sizeof(p->model), "hvsim virt");
    /* QEMU virt's root compatible; Linux and U-Boot accept any value. */
    snprintf(p->compatible, sizeof(p->compatible), "linux,dummy-virt");
    p->ram_base = 0x40000000ull; /* QEMU VIRT_MEM */
    p->ram_size = 128 * MIB;     /* QEMU's default -m */
    /* QEMU's VIRT_SECURE_MEM slot, which QEMU does not map for non-secure
     * software: nothing a non-secure image expects lives here. */
    p->rom_base = 0x0e000000ull;
    p->rom_size = 0x1000;
    p->ncpus = 1;
    p->timer_freq_hz = 62500000; /* QEMU's default CNTFRQ_EL0 (GTIMER_SCALE 16 ns) */

    static const struct hv_plat_dev devs[] = {
        {"gic", HV_DEV_GICV3, VIRT_GICD_BASE, VIRT_GICD_SIZE, VIRT_GICR_BASE,
         HV_PLAT_GICR_STRIDE * 1 /* ncpus */, -1, 0},
        /* QEMU VIRT_UART, SPI 1; apb-pclk is 24 MHz in QEMU's DTB. */
        {"uart0", HV_DEV_PL011, 0x09000000ull, 0x1000, 0, 0, 1, HV_PLAT_PL011_HZ},
        {"uart1", HV_DEV_PL011, 0x09100000ull, 0x1000, 0, 0, 8, HV_PLAT_PL011_HZ},
        {"uart2", HV_DEV_PL011, 0x09110000ull, 0x1000, 0, 0, 9, HV_PLAT_PL011_HZ},
        {"uart3", HV_DEV_PL011, 0x09120000ull, 0x1000, 0, 0, 10, HV_PLAT_PL011_HZ},
        {"cru", HV_DEV_CRU, 0x09200000ull, 0x10000, 0, 0, -1, 0},
        {"grf", HV_DEV_SYSCON, 0x09210000ull, 0x10000, 0, 0, -1, 0},
        /* hvsim's I2C controller (docs/soc.md), SPI 11 (INTID 43). */
        {"i2c0", HV_DEV_I2C, 0x09130000ull, 0x1000, 0, 0, 11, 0},
        {"evtport", HV_DEV_EVTPORT, 0x09300000ull, 0x1000, 0, 0, -1, 0},
    };
    p->ndevs = sizeof(devs) / sizeof(devs[0]);
    memcpy(p->devs, devs, sizeof(devs));
    return 0;
}

int hv_platform_builtin(const char *name, struct hv_platform *p, struct hv_err *err)
{
    if (!p)
        return hv_err_set(err, "no platform to fill");
    if (!name)
        return hv_err_set(err, "no built-in platform name given (known: virt)");
    if (strcmp(name, "virt") == 0)
        return builtin_virt(p);
    return hv_err_set(err, "unknown built-in platform \"%s\" (known: virt)", name);
}

/* --- look-ups --------------------------------------------------------------- */

const struct hv_plat_dev *hv_platform_find(const struct hv_platform *p, enum hv_dev_type t,
                                           unsigned nth)
{
    if (!p)
        return NULL;
    unsigned n = p->ndevs < HV_PLAT_MAX_DEVS ? p->ndevs : HV_PLAT_MAX_DEVS;
    for (unsigned i = 0; i < n; i++) {
        if (p->devs[i].type == t) {
            if (nth == 0)
                return &p->devs[i];
            nth--;
        }
    }
    return NULL;
}

int hv_platform_soc_dev(const struct hv_platform *p, const struct hv_plat_dev *d)
{
    static const char *const names[] = {"uart1", "uart2", "uart3", "i2c0"};
    if (!p || !d || !hv_platform_find(p, HV_DEV_CRU, 0) || !hv_platform_find(p, HV_DEV_SYSCON, 0))
        return -1;
    /* A UART given another clock than the CRU's xin24m (a fixed-clock at
     * another rate in a platform file) stays outside the CRU: the DTB could
     * not say both, and the round trip must keep the platform. */
    for (int i = 0; i < 4; i++)
        if (strcmp(d->name, names[i]) == 0 && (d->type == (i < 3 ? HV_DEV_PL011 : HV_DEV_I2C)) &&
            (i == 3 || d->clock_hz == HV_PLAT_PL011_HZ))
            return i; /* RK_DEV_UART1 + i, RK_DEV_I2C0 = 3 */
    return -1;
}

const char *hv_dev_type_name(enum hv_dev_type t)
{
    switch (t) {
    case HV_DEV_PL011:
        return "pl011";
    case HV_DEV_GICV3:
        return "gicv3";
    case HV_DEV_CRU:
        return "cru";
    case HV_DEV_SYSCON:
        return "syscon";
    case HV_DEV_I2C:
        return "i2c";
    case HV_DEV_EVTPORT:
        return "event-port";
    case HV_DEV__COUNT:
        break;
    }
    return "unknown";
}

const char *hv_owner_kind_name(enum hv_owner_kind k)
{
    switch (k) {
    case HV_OWNER_HYP:
        return "hypervisor";
    case HV_OWNER_VM:
        return "vm";
    case HV_OWNER_SHARED:
        return "shared";
    case HV_OWNER_DEVICE:
        return "device";
    case HV_OWNER__COUNT:
        break;
    }
    return "unknown";
}

bool hv_owner_allows(const struct hv_plat_owner *o, uint32_t vmid)
{
    switch (o->kind) {
    case HV_OWNER_VM:
    case HV_OWNER_DEVICE:
        return o->vmid == vmid;
    case HV_OWNER_SHARED:
        return o->vms_all || (vmid <= HV_PLAT_MAX_VMID && (o->vms[vmid / 8] >> (vmid % 8)) & 1);
    default:
        return false;
    }
}

/* --- validation ------------------------------------------------------------- */

#define PAGE 0x1000ull

/* A named physical window, for the overlap check and its messages. */
struct win {
    char label[HV_PLAT_NAME_LEN + 8];
    uint64_t base, size;
};

static bool aligned(uint64_t v)
{
    return (v & (PAGE - 1)) == 0;
}

/* Windows must end at or below 2^64 - 1 so that [base, base + size) is
 * representable; a size that wraps the address space is an error. */
static bool wraps(uint64_t base, uint64_t size)
{
    return size > UINT64_MAX - base;
}

static bool terminated(const char *s, size_t n)
{
    return memchr(s, '\0', n) != NULL;
}

/* Names, model and compatible end up in messages and in the DTB: printable
 * ASCII only, so they can hold no newline or terminal escape. */
static bool printable_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

/* Checks one window: nonzero, 4 KiB aligned, no wrap. `what` names it. */
static int check_window(const char *what, uint64_t base, uint64_t size, struct hv_err *err)
{
    if (size == 0)
        return hv_err_set(err, "%s has size 0", what);
    if (!aligned(base) || !aligned(size))
        return hv_err_set(err, "%s [0x%" PRIx64 ", +0x%" PRIx64 ") is not 4 KiB aligned", what,
                          base, size);
    if (wraps(base, size))
        return hv_err_set(err, "%s at 0x%" PRIx64 " size 0x%" PRIx64 " wraps past 2^64", what, base,
                          size);
    return 0;
}

static int check_dev(const struct hv_platform *p, unsigned i, struct hv_err *err)
{
    const struct hv_plat_dev *d = &p->devs[i];
    if (!terminated(d->name, sizeof(d->name)))
        return hv_err_set(err, "device %u: name is not NUL-terminated", i);
    if (d->name[0] == '\0')
        return hv_err_set(err, "device %u has an empty name", i);
    if (!printable_ascii(d->name))
        return hv_err_set(err, "device %u: name has a character outside printable ASCII", i);
    if ((unsigned)d->type >= HV_DEV__COUNT)
        return hv_err_set(err, "%s: unknown device type %d", d->name, (int)d->type);
    if (check_window(d->name, d->base, d->size, err))
        return -1;
    if (d->type == HV_DEV_PL011 && d->size < 0x1000)
        return hv_err_set(err, "%s: PL011 window 0x%" PRIx64 " is smaller than 0x1000", d->name,
                          d->size);
    if (d->type == HV_DEV_GICV3) {
        char what[HV_PLAT_NAME_LEN + 8];
        snprintf(what, sizeof(what), "%s GICR", d->name);
        if (check_window(what, d->base2, d->size2, err))
            return -1;
        /* One redistributor (RD_base + SGI_base, 2 x 64 KiB) per PE. */
        if (d->size2 % HV_PLAT_GICR_STRIDE != 0 || d->size2 / HV_PLAT_GICR_STRIDE < p->ncpus)
            return hv_err_set(
                err, "%s: GICR region size 0x%" PRIx64 " does not hold %u redistributors of 0x%llx",
                d->name, d->size2, p->ncpus, (unsigned long long)HV_PLAT_GICR_STRIDE);
    } else if (d->base2 != 0 || d->size2 != 0) {
        return hv_err_set(err, "%s: a second window (base2/size2) is only for a GICv3", d->name);
    }
    if (d->type == HV_DEV_PL011 || d->type == HV_DEV_I2C) {
        if (d->irq != -1 && (d->irq < 0 || d->irq > HV_PLAT_SPI_MAX))
            return hv_err_set(err, "%s: SPI %d out of range 0..%d", d->name, d->irq,
                              HV_PLAT_SPI_MAX);
        if (d->type == HV_DEV_PL011 && d->clock_hz == 0)
            return hv_err_set(err, "%s: PL011 clock is 0 Hz", d->name);
        if (d->type == HV_DEV_I2C && d->clock_hz != 0)
            return hv_err_set(err, "%s: clock_hz is only for a PL011", d->name);
        if (d->type == HV_DEV_I2C && d->size < 0x1000)
            return hv_err_set(err, "%s: I2C window 0x%" PRIx64 " is smaller than 0x1000", d->name,
                              d->size);
    } else {
        /* The DTB generator gives GIC, CRU and GRF no interrupts property,
         * so a value here could not be described to the guest. */
        if (d->irq != -1)
            return hv_err_set(err, "%s: a %s has no SPI (irq %d, expected -1)", d->name,
                              hv_dev_type_name(d->type), d->irq);
        if (d->clock_hz != 0)
            return hv_err_set(err, "%s: clock_hz is only for a PL011", d->name);
    }
    return 0;
}

int hv_platform_validate(const struct hv_platform *p, struct hv_err *err)
{
    if (!p)
        return hv_err_set(err, "no platform");
    if (!terminated(p->name, sizeof(p->name)) || !terminated(p->model, sizeof(p->model)) ||
        !terminated(p->compatible, sizeof(p->compatible)))
        return hv_err_set(err, "platform name, model or compatible is not NUL-terminated");
    if (!printable_ascii(p->name) || !printable_ascii(p->model) || !printable_ascii(p->compatible))
        return hv_err_set(err, "platform name, model or compatible has a character outside "
                               "printable ASCII");
    if (p->ncpus < 1 || p->ncpus > HV_PLAT_MAX_CPUS)
        return hv_err_set(err, "ncpus %u out of range 1..%d", p->ncpus, HV_PLAT_MAX_CPUS);
    if (p->timer_freq_hz == 0)
        return hv_err_set(err, "timer frequency is 0 Hz");
    if (p->ram_size == 0)
        return hv_err_set(err, "RAM size is 0");
    if (check_window("RAM", p->ram_base, p->ram_size, err))
        return -1;
    if (p->rom_size == 0)
        return hv_err_set(err, "no boot ROM (rom_size 0)");
    if (check_window("ROM", p->rom_base, p->rom_size, err))
        return -1;
    if (p->ndevs > HV_PLAT_MAX_DEVS)
        return hv_err_set(err, "%u devices, at most %d", p->ndevs, HV_PLAT_MAX_DEVS);

    const struct hv_plat_dev *gic = NULL, *uart = NULL;
    for (unsigned i = 0; i < p->ndevs; i++) {
        const struct hv_plat_dev *d = &p->devs[i];
        if (check_dev(p, i, err))
            return -1;
        if (d->type == HV_DEV_GICV3) {
            if (gic)
                return hv_err_set(err, "at most one GICv3: %s and %s", gic->name, d->name);
            gic = d;
        }
        if (d->type == HV_DEV_PL011 && !uart)
            uart = d;
    }
    if (!uart)
        return hv_err_set(err, "no PL011 UART (the first one is the console)");

    for (unsigned i = 0; i < p->ndevs; i++)
        for (unsigned j = i + 1; j < p->ndevs; j++)
            if (strcmp(p->devs[i].name, p->devs[j].name) == 0)
                return hv_err_set(err, "two devices named %s (devices %u and %u)", p->devs[i].name,
                                  i, j);

    /* Every window, RAM and ROM included, must be disjoint: the machine maps
     * each one once and a guest access must reach exactly one model. */
    struct win ws[2 + 2 * HV_PLAT_MAX_DEVS];
    unsigned nw = 0;
    snprintf(ws[nw].label, sizeof(ws[nw].label), "RAM");
    ws[nw].base = p->ram_base;
    ws[nw++].size = p->ram_size;
    snprintf(ws[nw].label, sizeof(ws[nw].label), "ROM");
    ws[nw].base = p->rom_base;
    ws[nw++].size = p->rom_size;
    for (unsigned i = 0; i < p->ndevs; i++) {
        const struct hv_plat_dev *d = &p->devs[i];
        snprintf(ws[nw].label, sizeof(ws[nw].label), "%s", d->name);
        ws[nw].base = d->base;
        ws[nw++].size = d->size;
        if (d->type == HV_DEV_GICV3) {
            snprintf(ws[nw].label, sizeof(ws[nw].label), "%s GICR", d->name);
            ws[nw].base = d->base2;
            ws[nw++].size = d->size2;
        }
    }
    for (unsigned i = 0; i < nw; i++)
        for (unsigned j = i + 1; j < nw; j++)
            if (ws[i].base < ws[j].base + ws[j].size && ws[j].base < ws[i].base + ws[i].size)
                return hv_err_set(err,
                                  "%s [0x%" PRIx64 ",0x%" PRIx64 ") overlaps %s [0x%" PRIx64
                                  ",0x%" PRIx64 ")",
                                  ws[j].label, ws[j].base, ws[j].base + ws[j].size, ws[i].label,
                                  ws[i].base, ws[i].base + ws[i].size);

    /* Ownership regions: named, aligned, disjoint from each other (they may
     * lie anywhere: RAM, device windows, or PAs with nothing behind them). */
    if (p->nowners > HV_PLAT_MAX_OWNERS)
        return hv_err_set(err, "%u ownership regions, at most %d", p->nowners, HV_PLAT_MAX_OWNERS);
    for (unsigned i = 0; i < p->nowners; i++) {
        const struct hv_plat_owner *o = &p->owners[i];
        char what[HV_PLAT_NAME_LEN + 32];
        if (!terminated(o->name, sizeof(o->name)) || !o->name[0] || !printable_ascii(o->name))
            return hv_err_set(err, "ownership region %u has no printable name", i);
        snprintf(what, sizeof(what), "ownership region %s", o->name);
        if (check_window(what, o->base, o->size, err))
            return -1;
        if ((unsigned)o->kind >= HV_OWNER__COUNT)
            return hv_err_set(err, "%s: unknown owner kind %u", what, (unsigned)o->kind);
        if ((o->kind == HV_OWNER_VM || o->kind == HV_OWNER_DEVICE) && o->vmid > HV_PLAT_MAX_VMID)
            return hv_err_set(err, "%s: VMID %u out of range 0..%d", what, o->vmid,
                              HV_PLAT_MAX_VMID);
        for (unsigned j = 0; j < i; j++) {
            const struct hv_plat_owner *q = &p->owners[j];
            if (o->base < q->base + q->size && q->base < o->base + o->size)
                return hv_err_set(err,
                                  "ownership region %s [0x%" PRIx64 ",0x%" PRIx64
                                  ") overlaps %s [0x%" PRIx64 ",0x%" PRIx64 ")",
                                  o->name, o->base, o->base + o->size, q->name, q->base,
                                  q->base + q->size);
            if (strcmp(o->name, q->name) == 0)
                return hv_err_set(err, "two ownership regions named %s", o->name);
        }
    }

    for (unsigned i = 0; i < p->ndevs; i++) {
        const struct hv_plat_dev *a = &p->devs[i];
        if (a->irq < 0)
            continue;
        if (!gic)
            return hv_err_set(err, "%s uses SPI %d but the platform has no GICv3", a->name, a->irq);
        for (unsigned j = i + 1; j < p->ndevs; j++)
            if (p->devs[j].irq == a->irq)
                return hv_err_set(err, "%s and %s share SPI %d", a->name, p->devs[j].name, a->irq);
    }
    return 0;
}
