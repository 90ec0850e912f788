/* hvsim: the device-tree side of the platform description.
 *
 *  - hv_platform_load_file / hv_platform_from_dtb: read a platform file (a
 *    .dts compiled by the `dtc` program, or a .dtb) into a struct
 *    hv_platform. The blob is untrusted: it is checked with fdt_check_full
 *    before any other libfdt call, every property length is checked before
 *    its cells are read, and anything hvsim would not honour is an error
 *    rather than silently dropped.
 *  - hv_platform_build_dtb: generate the DTB handed to the image, following
 *    what QEMU 7.2 produces for
 *    `-M virt,virtualization=on,gic-version=3 -cpu cortex-a72`.
 *
 * All parsing and generation goes through libfdt; the format itself is the
 * Devicetree Specification v0.4 (cited "DT spec" below), the node contents
 * the Linux bindings under Documentation/devicetree/bindings.
 * docs/platform.md is the user-facing description.
 */
#include "platform.h"

#include <hvsim/rk3568_cru.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libfdt.h>

extern char **environ;

/* Platform files are a few KiB; anything this large is not one. */
#define DTB_MAX_LEN (16u << 20)
/* Generated DTBs start at this size and double on -FDT_ERR_NOSPACE. */
#define DTB_FIRST_LEN 4096
#define PATH_BUF      256

/* Phandles of generated nodes. QEMU virt allocates from 0x8000 upwards
 * (qemu_fdt_alloc_phandle): apb-pclk 0x8000, GIC 0x8002. hvsim keeps those
 * two so the output reads like QEMU's; the rest are hvsim's own. */
#define PH_APB_PCLK 0x8000u
#define PH_GIC      0x8002u
#define PH_UARTCLK  0x8100u /* + index of a distinct non-24 MHz UART clock */
#define PH_DEV      0x8200u /* + device index (CRU, GRF) */
#define PH_PMUCRU   0x8300u /* the PMUCRU part of the CRU window (docs/soc.md) */
#define PH_PCFG     0x8301u /* pinctrl: pcfg-pull-none */
#define PH_PINGRP   0x8310u /* + enum rk_dev: its pin group */

/* Linux include/dt-bindings/interrupt-controller/arm-gic.h and
 * irq.h: the three-cell GIC specifier <type number flags>. */
#define GIC_SPI       0u
#define GIC_PPI       1u
#define IRQ_LEVEL_HI  4u
#define IRQ_SENSE_MSK 0xfu

/* ======================================================================
 * Parsing
 * ====================================================================== */

struct pctx {
    const void *fdt;
    struct hv_platform *p;
    struct hv_err *err;
    unsigned n_pl011, n_gic, n_cru, n_grf, n_i2c, n_evtport;
    int mem_node;  /* offset of the memory node seen, or -1 */
    int cpus_node; /* offset of /cpus, or -1 */
    char path[PATH_BUF], path2[PATH_BUF];
};

/* Strings hvsim keeps (names, model, compatible) are printable ASCII, as
 * the DT spec's node and property names are (2.2.1, 2.2.4). */
static bool printable_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

/* s made safe for a one-line message: bytes outside printable ASCII become
 * \xNN, so a hostile blob cannot put a newline or a terminal escape into
 * hvsim's output. Truncated to fit out[n]. */
static const char *printable(const char *s, char *out, size_t n)
{
    size_t o = 0;
    for (; *s && o + 5 < n; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch >= 0x20 && ch < 0x7f && ch != '\\')
            out[o++] = (char)ch;
        else
            o += (size_t)snprintf(out + o, n - o, "\\x%02x", ch);
    }
    out[o] = '\0';
    return out;
}

/* The full path of a node for messages ("/pl011@9000000"). */
static const char *npath(const struct pctx *c, int node, char *buf)
{
    char raw[PATH_BUF];
    if (fdt_get_path(c->fdt, node, raw, sizeof(raw)) < 0)
        snprintf(raw, sizeof(raw), "<node at offset %d>", node);
    return printable(raw, buf, PATH_BUF);
}

static const char *P(struct pctx *c, int node)
{
    return npath(c, node, c->path);
}

static bool is_hvsim_key(const char *name)
{
    return strncmp(name, "hvsim,", 6) == 0;
}

/* Keys hvsim reads, all on the root node (docs/platform.md). */
static bool known_root_key(const char *name)
{
    return strcmp(name, "hvsim,name") == 0 || strcmp(name, "hvsim,rom") == 0 ||
           strcmp(name, "hvsim,timer-frequency") == 0;
}

/* A node's name without its unit address equals `base` (DT spec 2.2.1). */
static bool name_is(const char *name, const char *base)
{
    size_t n = strlen(base);
    return strncmp(name, base, n) == 0 && (name[n] == '\0' || name[n] == '@');
}

/* Keys of the regions under /hvsim-ownership (docs/platform.md). */
#define OWNERSHIP_NODE "hvsim-ownership"
static bool known_owner_key(const char *name)
{
    return strcmp(name, "hvsim,owner") == 0 || strcmp(name, "hvsim,vmid") == 0 ||
           strcmp(name, "hvsim,vmids") == 0;
}

/* A child of /hvsim-ownership. */
static bool is_owner_region(const struct pctx *c, int node)
{
    int parent = fdt_parent_offset(c->fdt, node);
    if (parent <= 0 || fdt_parent_offset(c->fdt, parent) != 0)
        return false;
    const char *pname = fdt_get_name(c->fdt, parent, NULL);
    return pname && strcmp(pname, OWNERSHIP_NODE) == 0;
}

static bool compat(const struct pctx *c, int node, const char *s)
{
    return fdt_node_check_compatible(c->fdt, node, s) == 0;
}

/* Every hvsim,* property anywhere in the tree must be one hvsim reads, so a
 * misspelt key is an error rather than silently ignored. */
static int check_hvsim_keys(struct pctx *c)
{
    int node;
    for (node = 0; node >= 0; node = fdt_next_node(c->fdt, node, NULL)) {
        int prop;
        fdt_for_each_property_offset(prop, c->fdt, node)
        {
            const char *name;
            int len;
            if (!fdt_getprop_by_offset(c->fdt, prop, &name, &len))
                return hv_err_set(c->err, "bad property at %s: %s", P(c, node), fdt_strerror(len));
            if (is_hvsim_key(name) && !(node == 0 && known_root_key(name)) &&
                !(known_owner_key(name) && is_owner_region(c, node))) {
                char safe[128];
                return hv_err_set(c->err, "unknown platform key %s at %s",
                                  printable(name, safe, sizeof(safe)), P(c, node));
            }
        }
        if (prop != -FDT_ERR_NOTFOUND)
            return hv_err_set(c->err, "bad property list at %s: %s", P(c, node),
                              fdt_strerror(prop));
    }
    if (node != -FDT_ERR_NOTFOUND)
        return hv_err_set(c->err, "bad node structure: %s", fdt_strerror(node));
    return 0;
}

/* A u32 property (DT spec 2.2.4.1: <u32> is exactly 4 bytes). *present
 * tells whether it exists; a missing property is an error when present is
 * NULL. */
static int get_u32(struct pctx *c, int node, const char *prop, uint32_t *v, bool *present)
{
    int len;
    const fdt32_t *d = fdt_getprop(c->fdt, node, prop, &len);
    if (present)
        *present = d != NULL;
    if (!d) {
        if (present && len == -FDT_ERR_NOTFOUND)
            return 0;
        if (len == -FDT_ERR_NOTFOUND)
            return hv_err_set(c->err, "missing property %s at %s", prop, P(c, node));
        return hv_err_set(c->err, "bad property %s at %s: %s", prop, P(c, node), fdt_strerror(len));
    }
    if (len != 4)
        return hv_err_set(c->err, "malformed %s at %s: %d bytes, expected a 4-byte u32", prop,
                          P(c, node), len);
    *v = fdt32_ld(d);
    return 0;
}

/* clock-frequency may be <u32> or <u64> (DT spec 2.3 / 3.8); hvsim needs it
 * to fit in 32 bits and be nonzero. */
static int get_freq(struct pctx *c, int node, uint32_t *hz)
{
    int len;
    const void *d = fdt_getprop(c->fdt, node, "clock-frequency", &len);
    if (!d)
        return hv_err_set(c->err, "missing property clock-frequency at %s", P(c, node));
    uint64_t v;
    if (len == 4)
        v = fdt32_ld(d);
    else if (len == 8)
        v = fdt64_ld(d);
    else
        return hv_err_set(c->err, "malformed clock-frequency at %s: %d bytes, expected 4 or 8",
                          P(c, node), len);
    if (v == 0 || v > UINT32_MAX)
        return hv_err_set(c->err, "clock-frequency at %s is %" PRIu64 " Hz (1..%" PRIu32 ")",
                          P(c, node), v, UINT32_MAX);
    *hz = (uint32_t)v;
    return 0;
}

/* A property holding exactly one NUL-terminated string that fits out[n]. */
static int get_string(struct pctx *c, int node, const char *prop, char *out, size_t n,
                      bool *present)
{
    int len;
    const char *d = fdt_getprop(c->fdt, node, prop, &len);
    if (present)
        *present = d != NULL;
    if (!d) {
        if (present && len == -FDT_ERR_NOTFOUND)
            return 0;
        if (len == -FDT_ERR_NOTFOUND)
            return hv_err_set(c->err, "missing property %s at %s", prop, P(c, node));
        return hv_err_set(c->err, "bad property %s at %s: %s", prop, P(c, node), fdt_strerror(len));
    }
    if (len < 1 || d[len - 1] != '\0' || strlen(d) + 1 != (size_t)len)
        return hv_err_set(c->err, "malformed %s at %s: expected one NUL-terminated string", prop,
                          P(c, node));
    if ((size_t)len > n)
        return hv_err_set(c->err, "%s at %s is %d characters, at most %zu", prop, P(c, node),
                          len - 1, n - 1);
    if (!printable_ascii(d))
        return hv_err_set(c->err, "%s at %s has a character outside printable ASCII", prop,
                          P(c, node));
    memcpy(out, d, (size_t)len);
    return 0;
}

/* The first string of a string list (compatible), or NULL if malformed. */
static const char *first_string(struct pctx *c, int node, const char *prop)
{
    int len;
    return fdt_stringlist_get(c->fdt, node, prop, 0, &len);
}

struct range {
    uint64_t base, size;
};

/* A reg-style property with #address-cells = #size-cells = 2 (the only
 * layout hvsim accepts at the root): n entries of 16 bytes, big-endian
 * (DT spec 2.3.6). Returns the entry count (>= 1), or -1 with err set. */
static int get_reg(struct pctx *c, int node, const char *prop, struct range *r, int max)
{
    int len;
    const uint8_t *d = fdt_getprop(c->fdt, node, prop, &len);
    if (!d) {
        if (len == -FDT_ERR_NOTFOUND)
            return hv_err_set(c->err, "missing property %s at %s", prop, P(c, node));
        return hv_err_set(c->err, "bad property %s at %s: %s", prop, P(c, node), fdt_strerror(len));
    }
    if (len == 0 || len % 16 != 0)
        return hv_err_set(c->err,
                          "malformed %s at %s: %d bytes, not a nonzero multiple of 16 "
                          "(<address size> with #address-cells = #size-cells = 2)",
                          prop, P(c, node), len);
    int n = len / 16;
    for (int i = 0; i < n && i < max; i++) {
        r[i].base = fdt64_ld((const fdt64_t *)(d + 16 * i));
        r[i].size = fdt64_ld((const fdt64_t *)(d + 16 * i + 8));
    }
    return n;
}

static struct hv_plat_dev *new_dev(struct pctx *c, int node, enum hv_dev_type t)
{
    if (c->p->ndevs >= HV_PLAT_MAX_DEVS) {
        hv_err_set(c->err, "too many devices at %s (hvsim holds at most %d)", P(c, node),
                   HV_PLAT_MAX_DEVS);
        return NULL;
    }
    struct hv_plat_dev *d = &c->p->devs[c->p->ndevs++];
    memset(d, 0, sizeof(*d));
    d->type = t;
    d->irq = -1;
    /* Device names are assigned, not read: uart0, uart1, ... in the order
     * the PL011 nodes appear; gic, cru, grf for the first of each other
     * kind and gic1, cru1, ... after that (docs/platform.md). */
    unsigned *count = t == HV_DEV_PL011     ? &c->n_pl011
                      : t == HV_DEV_GICV3   ? &c->n_gic
                      : t == HV_DEV_CRU     ? &c->n_cru
                      : t == HV_DEV_I2C     ? &c->n_i2c
                      : t == HV_DEV_EVTPORT ? &c->n_evtport
                                            : &c->n_grf;
    const char *stem = t == HV_DEV_PL011     ? "uart"
                       : t == HV_DEV_GICV3   ? "gic"
                       : t == HV_DEV_CRU     ? "cru"
                       : t == HV_DEV_I2C     ? "i2c"
                       : t == HV_DEV_EVTPORT ? "evtport"
                                             : "grf";
    if (t == HV_DEV_PL011 || t == HV_DEV_I2C || *count > 0)
        snprintf(d->name, sizeof(d->name), "%s%u", stem, *count);
    else
        snprintf(d->name, sizeof(d->name), "%s", stem);
    (*count)++;
    return d;
}

/* The one-window devices: PL011, CRU, GRF. */
static int dev_reg1(struct pctx *c, int node, struct hv_plat_dev *d)
{
    struct range r[1];
    int n = get_reg(c, node, "reg", r, 1);
    if (n < 0)
        return -1;
    if (n != 1)
        return hv_err_set(c->err, "reg at %s has %d ranges, expected 1", P(c, node), n);
    d->base = r[0].base;
    d->size = r[0].size;
    return 0;
}

/* The PL011's UARTCLK from its `clocks` phandle list. Linux's binding
 * (arm,pl011.yaml) names the clocks "uartclk", "apb_pclk"; the UART clock
 * is the "uartclk" entry, or the first one without clock-names. hvsim
 * resolves it only to a fixed-clock (clock/fixed-clock.yaml), as QEMU's
 * apb-pclk. */
static int pl011_clocks(struct pctx *c, int node, uint32_t *hz)
{
    int len;
    const fdt32_t *cells = fdt_getprop(c->fdt, node, "clocks", &len);
    if (!cells)
        return hv_err_set(c->err, "bad property clocks at %s: %s", P(c, node), fdt_strerror(len));
    if (len == 0 || len % 4 != 0)
        return hv_err_set(c->err, "malformed clocks at %s: %d bytes, not a multiple of 4",
                          P(c, node), len);
    int want = 0;
    if (fdt_getprop(c->fdt, node, "clock-names", NULL)) {
        want = fdt_stringlist_search(c->fdt, node, "clock-names", "uartclk");
        if (want < 0)
            return hv_err_set(c->err, "clock-names at %s has no \"uartclk\"", P(c, node));
    }
    int ncells = len / 4, pos = 0;
    for (int i = 0;; i++) {
        if (pos >= ncells)
            return hv_err_set(c->err, "clocks at %s has no entry %d (uartclk)", P(c, node), want);
        uint32_t ph = fdt32_ld(&cells[pos]);
        int prov = fdt_node_offset_by_phandle(c->fdt, ph);
        if (prov < 0)
            return hv_err_set(c->err, "clocks at %s: no node has phandle 0x%" PRIx32, P(c, node),
                              ph);
        uint32_t cc;
        if (get_u32(c, prov, "#clock-cells", &cc, NULL))
            return hv_err_prefix(c->err, "clocks at %s", P(c, node));
        if (cc > 8)
            return hv_err_set(c->err, "#clock-cells at %s is %" PRIu32, npath(c, prov, c->path2),
                              cc);
        if (i == want) {
            /* A UART clocked by the CRU gets its rate from the CRU model at
             * run time; the platform records the CRU's reset rate, xin24m
             * (docs/soc.md). */
            if (compat(c, prov, "rockchip,rk3568-cru") && cc == 1) {
                *hz = HV_PLAT_PL011_HZ;
                return 0;
            }
            if (!compat(c, prov, "fixed-clock") || cc != 0)
                return hv_err_set(c->err, "clocks at %s: %s is not a fixed-clock", P(c, node),
                                  npath(c, prov, c->path2));
            return get_freq(c, prov, hz);
        }
        pos += 1 + (int)cc;
    }
}

/* An optional `interrupts`: one level-high GIC SPI. */
static int parse_spi(struct pctx *c, int node, struct hv_plat_dev *d, const char *what)
{
    if (fdt_getprop(c->fdt, node, "interrupts-extended", NULL))
        return hv_err_set(c->err, "interrupts-extended at %s is not supported; use interrupts",
                          P(c, node));
    int len;
    const fdt32_t *irq = fdt_getprop(c->fdt, node, "interrupts", &len);
    if (irq) {
        /* One GIC specifier <type number flags>, arm,gic-v3.yaml. */
        if (len != 12)
            return hv_err_set(c->err,
                              "malformed interrupts at %s: %d bytes, expected 12 "
                              "(one <type number flags> GIC specifier)",
                              P(c, node), len);
        uint32_t type = fdt32_ld(&irq[0]), num = fdt32_ld(&irq[1]), flags = fdt32_ld(&irq[2]);
        if (type != GIC_SPI)
            return hv_err_set(c->err, "interrupts at %s: type %" PRIu32 " is not a GIC SPI (0)",
                              P(c, node), type);
        if (num > HV_PLAT_SPI_MAX)
            return hv_err_set(c->err, "interrupts at %s: SPI %" PRIu32 " out of range 0..%d",
                              P(c, node), num, HV_PLAT_SPI_MAX);
        /* UARTINTR is an active-HIGH level signal (PL011 TRM 2.8); so is
         * hvsim's I2C controller's. */
        if ((flags & IRQ_SENSE_MSK) != IRQ_LEVEL_HI)
            return hv_err_set(
                c->err, "interrupts at %s: flags 0x%" PRIx32 ", the %s interrupt is level-high (4)",
                P(c, node), flags, what);
        d->irq = (int)num;
    } else if (len != -FDT_ERR_NOTFOUND) {
        return hv_err_set(c->err, "bad property interrupts at %s: %s", P(c, node),
                          fdt_strerror(len));
    }

    return 0;
}

static int parse_pl011(struct pctx *c, int node)
{
    struct hv_plat_dev *d = new_dev(c, node, HV_DEV_PL011);
    if (!d || dev_reg1(c, node, d))
        return -1;

    if (parse_spi(c, node, d, "PL011"))
        return -1;

    /* `clocks` is what Linux uses; clock-frequency is the simple form;
     * without either, QEMU virt's 24 MHz. */
    if (fdt_getprop(c->fdt, node, "clocks", NULL))
        return pl011_clocks(c, node, &d->clock_hz);
    if (fdt_getprop(c->fdt, node, "clock-frequency", NULL))
        return get_freq(c, node, &d->clock_hz);
    d->clock_hz = HV_PLAT_PL011_HZ;
    return 0;
}

static int parse_i2c(struct pctx *c, int node)
{
    struct hv_plat_dev *d = new_dev(c, node, HV_DEV_I2C);
    if (!d || dev_reg1(c, node, d))
        return -1;
    return parse_spi(c, node, d, "I2C");
}

static int parse_gic(struct pctx *c, int node)
{
    struct hv_plat_dev *d = new_dev(c, node, HV_DEV_GICV3);
    if (!d)
        return -1;
    uint32_t nrd;
    bool have;
    if (get_u32(c, node, "#redistributor-regions", &nrd, &have))
        return -1;
    if (have && nrd != 1)
        return hv_err_set(c->err, "#redistributor-regions at %s is %" PRIu32 "; hvsim models 1",
                          P(c, node), nrd);
    /* arm,gic-v3.yaml: reg = GICD, then the redistributor region(s), then
     * optional GICv2-compatibility GICC/GICH/GICV, which hvsim has not. */
    struct range r[2];
    int n = get_reg(c, node, "reg", r, 2);
    if (n < 0)
        return -1;
    if (n != 2)
        return hv_err_set(c->err, "reg at %s has %d ranges, expected 2 (GICD, GICR)", P(c, node),
                          n);
    d->base = r[0].base;
    d->size = r[0].size;
    d->base2 = r[1].base;
    d->size2 = r[1].size;
    return 0;
}

static int parse_simple(struct pctx *c, int node, enum hv_dev_type t)
{
    struct hv_plat_dev *d = new_dev(c, node, t);
    return d ? dev_reg1(c, node, d) : -1;
}

static int unknown_node(struct pctx *c, int node)
{
    int len;
    if (!fdt_getprop(c->fdt, node, "compatible", &len))
        return hv_err_set(c->err, "unknown node %s (hvsim models no such node)", P(c, node));
    const char *s = first_string(c, node, "compatible");
    if (!s)
        return hv_err_set(c->err, "malformed compatible at %s", P(c, node));
    char safe[128];
    return hv_err_set(c->err, "unknown device compatible \"%s\" at %s",
                      printable(s, safe, sizeof(safe)), P(c, node));
}

static int parse_memory(struct pctx *c, int node)
{
    char dt[16];
    bool have;
    if (get_string(c, node, "device_type", dt, sizeof(dt), &have))
        return -1;
    if (!have || strcmp(dt, "memory") != 0)
        return hv_err_set(c->err, "%s: device_type must be \"memory\"", P(c, node));
    if (c->mem_node >= 0)
        return hv_err_set(c->err, "only one RAM bank supported: %s and %s",
                          npath(c, c->mem_node, c->path2), P(c, node));
    c->mem_node = node;
    struct range r[1];
    int n = get_reg(c, node, "reg", r, 1);
    if (n < 0)
        return -1;
    if (n != 1)
        return hv_err_set(c->err, "only one RAM bank supported: reg at %s has %d ranges",
                          P(c, node), n);
    c->p->ram_base = r[0].base;
    c->p->ram_size = r[0].size;
    return 0;
}

/* /hvsim-ownership: who owns each PA range, for the isolation checker.
 * Each child is one region: reg (one range), hvsim,owner = "hypervisor",
 * "vm", "shared" or "device", hvsim,vmid = <n> (vm, device), and for shared
 * regions an optional hvsim,vmids = <n ...> (absent: every VM). */
static int parse_ownership(struct pctx *c, int node)
{
    struct hv_platform *p = c->p;
    int child;
    if (p->nowners)
        return hv_err_set(c->err, "a second /%s node at %s", OWNERSHIP_NODE, P(c, node));
    fdt_for_each_subnode(child, c->fdt, node)
    {
        if (p->nowners >= HV_PLAT_MAX_OWNERS)
            return hv_err_set(c->err, "more than %d ownership regions under %s", HV_PLAT_MAX_OWNERS,
                              P(c, node));
        struct hv_plat_owner *o = &p->owners[p->nowners];
        memset(o, 0, sizeof(*o));
        int len;
        const char *name = fdt_get_name(c->fdt, child, &len);
        if (!name)
            return hv_err_set(c->err, "bad node name under %s: %s", P(c, node), fdt_strerror(len));
        size_t n = strcspn(name, "@");
        if (n == 0 || n >= sizeof(o->name) || !printable_ascii(name))
            return hv_err_set(c->err, "ownership region name at %s: 1 to %zu printable characters",
                              P(c, child), sizeof(o->name) - 1);
        memcpy(o->name, name, n);
        o->name[n] = '\0';
        struct range r[1];
        int nr = get_reg(c, child, "reg", r, 1);
        if (nr < 0)
            return -1;
        if (nr != 1)
            return hv_err_set(c->err, "reg at %s has %d ranges, expected 1", P(c, child), nr);
        o->base = r[0].base;
        o->size = r[0].size;
        char kind[16];
        if (get_string(c, child, "hvsim,owner", kind, sizeof(kind), NULL))
            return -1;
        unsigned k;
        for (k = 0; k < HV_OWNER__COUNT; k++)
            if (strcmp(kind, hv_owner_kind_name((enum hv_owner_kind)k)) == 0)
                break;
        if (k == HV_OWNER__COUNT)
            return hv_err_set(c->err,
                              "hvsim,owner at %s is \"%s\": expected hypervisor, vm, shared or "
                              "device",
                              P(c, child), kind);
        o->kind = (enum hv_owner_kind)k;
        bool have;
        if (get_u32(c, child, "hvsim,vmid", &o->vmid, &have))
            return -1;
        if ((o->kind == HV_OWNER_VM || o->kind == HV_OWNER_DEVICE) != have)
            return hv_err_set(c->err, "hvsim,vmid at %s: %s", P(c, child),
                              have ? "only vm and device regions have one"
                                   : "a vm or device region needs one");
        const uint8_t *d = fdt_getprop(c->fdt, child, "hvsim,vmids", &len);
        if (d && o->kind != HV_OWNER_SHARED)
            return hv_err_set(c->err, "hvsim,vmids at %s: only shared regions have one",
                              P(c, child));
        o->vms_all = o->kind == HV_OWNER_SHARED && !d;
        if (d) {
            if (len < 0 || len % 4 != 0)
                return hv_err_set(c->err,
                                  "malformed hvsim,vmids at %s: %d bytes, not a list of u32",
                                  P(c, child), len);
            for (int i = 0; i < len / 4; i++) {
                uint32_t v = fdt32_ld((const fdt32_t *)(d + 4 * i));
                if (v > HV_PLAT_MAX_VMID)
                    return hv_err_set(c->err, "hvsim,vmids at %s: VMID %" PRIu32 " > %d",
                                      P(c, child), v, HV_PLAT_MAX_VMID);
                o->vms[v / 8] |= (uint8_t)(1u << (v % 8));
            }
        }
        if (fdt_first_subnode(c->fdt, child) >= 0)
            return unknown_node(c, fdt_first_subnode(c->fdt, child));
        p->nowners++;
    }
    if (child != -FDT_ERR_NOTFOUND)
        return hv_err_set(c->err, "bad node under %s: %s", P(c, node), fdt_strerror(child));
    return 0;
}

/* /cpus: each cpu or cpu@N child is one PE (Linux arm/cpus.yaml); cpu-map
 * (topology, arm/cpu-topology.txt) is ignored. */
static int parse_cpus(struct pctx *c, int node)
{
    if (c->cpus_node >= 0)
        return hv_err_set(c->err, "two /cpus nodes");
    c->cpus_node = node;
    int child;
    fdt_for_each_subnode(child, c->fdt, node)
    {
        const char *name = fdt_get_name(c->fdt, child, NULL);
        if (!name)
            return hv_err_set(c->err, "bad node under %s", P(c, node));
        if (name_is(name, "cpu")) {
            if (c->p->ncpus < UINT32_MAX)
                c->p->ncpus++;
        } else if (strcmp(name, "cpu-map") != 0) {
            return unknown_node(c, child);
        }
    }
    if (child != -FDT_ERR_NOTFOUND)
        return hv_err_set(c->err, "bad node under %s: %s", P(c, node), fdt_strerror(child));
    if (c->p->ncpus == 0)
        return hv_err_set(c->err, "no cpu nodes under %s", P(c, node));
    return 0;
}

/* Nodes hvsim generates itself (so reads past): chosen, aliases, psci, the
 * architected timer, fixed clocks (referenced from `clocks`), and dtc -@'s
 * __symbols__. */
static bool ignored_node(struct pctx *c, int node, const char *name)
{
    static const char *const names[] = {"chosen",   "aliases",     "psci",   "timer",
                                        "apb-pclk", "__symbols__", "pinctrl"};
    static const char *const compats[] = {"arm,armv8-timer",
                                          "arm,armv7-timer",
                                          "fixed-clock",
                                          "arm,psci",
                                          "arm,psci-0.2",
                                          "arm,psci-1.0",
                                          "rockchip,rk3568-pinctrl",
                                          "rockchip,rk3568-pmucru"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (name_is(name, names[i]))
            return true;
    for (size_t i = 0; i < sizeof(compats) / sizeof(compats[0]); i++)
        if (compat(c, node, compats[i]))
            return true;
    return false;
}

static bool is_memory_type(struct pctx *c, int node)
{
    int len;
    const char *dt = fdt_getprop(c->fdt, node, "device_type", &len);
    return dt && len == sizeof("memory") && memcmp(dt, "memory", sizeof("memory")) == 0;
}

static int parse_root(struct pctx *c)
{
    struct hv_platform *p = c->p;
    uint32_t ac, sc;
    if (get_u32(c, 0, "#address-cells", &ac, NULL) || get_u32(c, 0, "#size-cells", &sc, NULL))
        return -1;
    if (ac != 2 || sc != 2)
        return hv_err_set(c->err,
                          "#address-cells = <%" PRIu32 ">, #size-cells = <%" PRIu32
                          "> at /; hvsim platform files use <2> and <2>",
                          ac, sc);
    /* DT spec 3.2: model and compatible are required root properties. */
    if (get_string(c, 0, "model", p->model, sizeof(p->model), NULL))
        return -1;
    const char *cs = first_string(c, 0, "compatible");
    if (!cs) {
        if (get_string(c, 0, "compatible", p->compatible, sizeof(p->compatible), NULL) == 0)
            hv_err_set(c->err, "malformed compatible at /");
        return -1;
    }
    if (strlen(cs) >= sizeof(p->compatible))
        return hv_err_set(c->err, "compatible at / is longer than %zu characters",
                          sizeof(p->compatible) - 1);
    if (!printable_ascii(cs))
        return hv_err_set(c->err, "compatible at / has a character outside printable ASCII");
    /* Only the first (most specific) string is kept. */
    memcpy(p->compatible, cs, strlen(cs) + 1);

    bool have;
    if (get_string(c, 0, "hvsim,name", p->name, sizeof(p->name), &have))
        return -1;
    if (!have)
        snprintf(p->name, sizeof(p->name), "custom");
    struct range rom[1];
    int n = get_reg(c, 0, "hvsim,rom", rom, 1);
    if (n < 0)
        return -1;
    if (n != 1)
        return hv_err_set(c->err, "hvsim,rom at / has %d ranges, expected 1 <address size>", n);
    p->rom_base = rom[0].base;
    p->rom_size = rom[0].size;
    if (get_u32(c, 0, "hvsim,timer-frequency", &p->timer_freq_hz, &have))
        return -1;
    if (!have)
        p->timer_freq_hz = 62500000; /* QEMU's default CNTFRQ_EL0 */

    int node;
    fdt_for_each_subnode(node, c->fdt, 0)
    {
        int len;
        const char *name = fdt_get_name(c->fdt, node, &len);
        if (!name)
            return hv_err_set(c->err, "bad node name under /: %s", fdt_strerror(len));
        int rc;
        if (ignored_node(c, node, name))
            continue;
        if (name_is(name, "memory") || is_memory_type(c, node)) {
            /* device_type is deprecated except on memory and cpu nodes
             * (DT spec 2.3.11); a memory node is named memory@... and
             * has device_type "memory" (DT spec 3.4). */
            rc = parse_memory(c, node);
        } else if (strcmp(name, "cpus") == 0) {
            rc = parse_cpus(c, node);
        } else if (strcmp(name, OWNERSHIP_NODE) == 0) {
            rc = parse_ownership(c, node);
        } else if (compat(c, node, "arm,pl011")) {
            rc = parse_pl011(c, node);
        } else if (compat(c, node, "arm,gic-v3")) {
            rc = parse_gic(c, node);
        } else if (compat(c, node, "rockchip,rk3568-cru")) {
            rc = parse_simple(c, node, HV_DEV_CRU);
        } else if (compat(c, node, "rockchip,rk3568-grf")) {
            rc = parse_simple(c, node, HV_DEV_SYSCON);
        } else if (compat(c, node, "hvsim,simple-i2c")) {
            rc = parse_i2c(c, node);
        } else if (compat(c, node, "hvsim,event-port")) {
            rc = parse_simple(c, node, HV_DEV_EVTPORT);
        } else {
            rc = unknown_node(c, node);
        }
        if (rc)
            return -1;
        /* Devices are leaves: hvsim models no child nodes (a GIC ITS, a
         * GRF's simple-mfd children, ...). */
        if (strcmp(name, "cpus") != 0 && strcmp(name, OWNERSHIP_NODE) != 0) {
            int child = fdt_first_subnode(c->fdt, node);
            if (child >= 0)
                return unknown_node(c, child);
        }
    }
    if (node != -FDT_ERR_NOTFOUND)
        return hv_err_set(c->err, "bad node under /: %s", fdt_strerror(node));
    if (c->mem_node < 0)
        return hv_err_set(c->err, "no memory node (device_type = \"memory\") under /");
    if (c->cpus_node < 0)
        return hv_err_set(c->err, "no /cpus node");
    return 0;
}

/* libfdt 1.6.1 (Debian 12) adds a property's untrusted length to an int
 * offset in fdt_next_tag without checking it (fixed upstream by 7359034
 * "libfdt: prevent integer overflow in fdt_next_tag"): a length of
 * 0xfffffff4 brings the walk back to the same tag, and fdt_check_full never
 * returns. Walk the tags once with libfdt's own fdt_next_tag and refuse a
 * blob whose walk does not move forward; every later libfdt walk follows
 * the same chain of offsets. The caller has checked the header and that
 * totalsize fits the buffer. */
static bool tags_advance(const void *fdt)
{
    int off = 0, next;
    for (;;) {
        uint32_t tag = fdt_next_tag(fdt, off, &next);
        if (tag == FDT_END)
            return true; /* the end, or an error fdt_check_full reports */
        if (next <= off)
            return false;
        off = next;
    }
}

int hv_platform_from_dtb(const void *blob, size_t len, struct hv_platform *p, struct hv_err *err)
{
    if (!blob || !p)
        return hv_err_set(err, "no DTB or no platform to fill");
    if (len < sizeof(struct fdt_header))
        return hv_err_set(err, "truncated DTB: %zu bytes, the header alone is %zu", len,
                          sizeof(struct fdt_header));
    if (len > DTB_MAX_LEN)
        return hv_err_set(err, "DTB of %zu bytes is too large (at most %u)", len, DTB_MAX_LEN);

    /* libfdt wants the blob 8-byte aligned (FDT_ERR_ALIGNMENT); malloc is. */
    void *fdt = malloc(len);
    if (!fdt)
        return hv_err_set(err, "out of memory for a %zu-byte DTB", len);
    memcpy(fdt, blob, len);

    int rc = fdt_check_header(fdt);
    if (rc == -FDT_ERR_BADMAGIC) {
        hv_err_set(err, "not a DTB (magic 0x%08" PRIx32 ", expected 0x%08x)", fdt_magic(fdt),
                   FDT_MAGIC);
        goto fail;
    }
    if (rc < 0) {
        hv_err_set(err, "invalid DTB header: %s", fdt_strerror(rc));
        goto fail;
    }
    /* libfdt 1.6.1 (Debian 12) dereferences NULL in fdt_check_full for a
     * pre-v16 blob whose root name has no '/' (fixed upstream by
     * fda71da "libfdt: Handle failed get_name() on BEGIN_NODE"), and does
     * not check block alignment (fixed by 8d15a63). v16 is from 2005 and
     * dtc writes v17; DT spec 5.1 requires the reservation block to be
     * 8-byte and the structure block 4-byte aligned. */
    if (fdt_version(fdt) < 16) {
        hv_err_set(err, "DTB version %" PRIu32 " is older than 16", fdt_version(fdt));
        goto fail;
    }
    if (fdt_off_mem_rsvmap(fdt) % 8 != 0 || fdt_off_dt_struct(fdt) % 4 != 0) {
        hv_err_set(err, "invalid DTB: misaligned memory reservation or structure block");
        goto fail;
    }
    if (fdt_totalsize(fdt) > len) {
        hv_err_set(err, "invalid DTB: %s (header says %" PRIu32 " bytes, have %zu)",
                   fdt_strerror(-FDT_ERR_TRUNCATED), fdt_totalsize(fdt), len);
        goto fail;
    }
    if (!tags_advance(fdt)) {
        hv_err_set(err, "invalid DTB: a property length wraps the structure block");
        goto fail;
    }
    rc = fdt_check_full(fdt, len);
    if (rc < 0) {
        hv_err_set(err, "invalid DTB: %s", fdt_strerror(rc));
        goto fail;
    }

    struct hv_platform tmp;
    memset(&tmp, 0, sizeof(tmp));
    struct pctx c = {.fdt = fdt, .p = &tmp, .err = err, .mem_node = -1, .cpus_node = -1};
    if (check_hvsim_keys(&c) || parse_root(&c))
        goto fail;
    free(fdt);
    if (hv_platform_validate(&tmp, err))
        return -1;
    *p = tmp;
    return 0;
fail:
    free(fdt);
    return -1;
}

/* ======================================================================
 * Files
 * ====================================================================== */

static int read_all(const char *path, uint8_t **data, size_t *len, struct hv_err *err)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return hv_err_set(err, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return hv_err_set(err, "not a regular file");
    }
    if ((uintmax_t)st.st_size > DTB_MAX_LEN) {
        close(fd);
        return hv_err_set(err, "file of %jd bytes is too large for a platform file (at most %u)",
                          (intmax_t)st.st_size, DTB_MAX_LEN);
    }
    size_t cap = (size_t)st.st_size, n = 0;
    uint8_t *buf = malloc(cap ? cap : 1);
    if (!buf) {
        close(fd);
        return hv_err_set(err, "out of memory");
    }
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return hv_err_set(err, "read error: %s", strerror(e));
        }
        if (r == 0)
            break; /* shrank while reading: take what is there */
        n += (size_t)r;
    }
    close(fd);
    *data = buf;
    *len = n;
    return 0;
}

/* The first line of dtc's stderr that reports an error ("Error: x.dts:3.1-2
 * syntax error", "ERROR (duplicate_node_names): ..."), else its first
 * non-empty line. */
static void first_error_line(char *text, char *out, size_t n)
{
    char *first = NULL;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (*line && !first)
            first = line;
        if (strstr(line, "Error") || strstr(line, "ERROR")) {
            first = line;
            break;
        }
        line = nl ? nl + 1 : NULL;
    }
    /* Copy at most n-1 bytes: dtc's line may be longer than the message. */
    size_t len = first ? strlen(first) : 0;
    if (n == 0)
        return;
    if (len > n - 1)
        len = n - 1;
    if (len)
        memcpy(out, first, len);
    out[len] = '\0';
}

/* Compile a .dts with `dtc -I dts -O dtb -o out src`: posix_spawnp (no
 * shell, so no quoting issues), stderr captured through a pipe. */
static int run_dtc(const char *src, const char *out, struct hv_err *err)
{
    int pfd[2];
    if (pipe(pfd) < 0)
        return hv_err_set(err, "pipe: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
    posix_spawn_file_actions_addclose(&fa, pfd[0]);
    if (pfd[1] != 2)
        posix_spawn_file_actions_addclose(&fa, pfd[1]);

    /* A relative path starting with '-' would read as an option. */
    char *srcarg = malloc(strlen(src) + 3);
    if (!srcarg) {
        posix_spawn_file_actions_destroy(&fa);
        close(pfd[0]);
        close(pfd[1]);
        return hv_err_set(err, "out of memory");
    }
    snprintf(srcarg, strlen(src) + 3, "%s%s", src[0] == '-' ? "./" : "", src);
    char *argv[] = {"dtc", "-I", "dts", "-O", "dtb", "-o", (char *)out, srcarg, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "dtc", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    free(srcarg);
    close(pfd[1]);
    if (rc != 0) {
        close(pfd[0]);
        if (rc == ENOENT)
            return hv_err_set(err, "dtc (the device-tree compiler) is not installed; it is needed "
                                   "for .dts platform files (Debian: apt install "
                                   "device-tree-compiler), or give a .dtb");
        return hv_err_set(err, "cannot run dtc: %s", strerror(rc));
    }

    char text[4096];
    size_t n = 0;
    for (;;) {
        char sink[512];
        char *dst = n < sizeof(text) - 1 ? text + n : sink;
        size_t room = n < sizeof(text) - 1 ? sizeof(text) - 1 - n : sizeof(sink);
        ssize_t r = read(pfd[0], dst, room);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (dst == text + n)
            n += (size_t)r;
    }
    text[n] = '\0';
    close(pfd[0]);

    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return hv_err_set(err, "waiting for dtc: %s", strerror(errno));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    char line[300], safe[400];
    first_error_line(text, line, sizeof(line));
    if (line[0])
        return hv_err_set(err, "dtc failed: %s", printable(line, safe, sizeof(safe)));
    if (WIFEXITED(status))
        return hv_err_set(err, "dtc failed with exit status %d", WEXITSTATUS(status));
    return hv_err_set(err, "dtc was killed by signal %d",
                      WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static const char *extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    return dot ? dot : "";
}

static int load(const char *path, struct hv_platform *p, struct hv_err *err)
{
    const char *ext = extension(path);
    uint8_t *data;
    size_t len;
    if (strcmp(ext, ".dts") == 0) {
        struct stat st;
        if (stat(path, &st) < 0)
            return hv_err_set(err, "cannot open: %s", strerror(errno));
        const char *dir = getenv("TMPDIR");
        if (!dir || !*dir)
            dir = "/tmp";
        char tmp[PATH_MAX];
        if (snprintf(tmp, sizeof(tmp), "%s/hvsim-platform-XXXXXX", dir) >= (int)sizeof(tmp))
            return hv_err_set(err, "TMPDIR is too long");
        int fd = mkstemp(tmp);
        if (fd < 0)
            return hv_err_set(err, "cannot create a temporary file in %s: %s", dir,
                              strerror(errno));
        close(fd);
        int rc = run_dtc(path, tmp, err);
        if (rc == 0)
            rc = read_all(tmp, &data, &len, err);
        unlink(tmp);
        if (rc)
            return -1;
    } else {
        if (read_all(path, &data, &len, err))
            return -1;
    }
    int rc = hv_platform_from_dtb(data, len, p, err);
    free(data);
    if (rc && strcmp(ext, ".dts") != 0 && strcmp(ext, ".dtb") != 0)
        return hv_err_prefix(err, "platform files are .dts or .dtb; read as a DTB");
    return rc;
}

int hv_platform_load_file(const char *path, struct hv_platform *p, struct hv_err *err)
{
    if (!path || !p)
        return hv_err_set(err, "no platform file or no platform to fill");
    /* The message does not repeat the path: the caller names the file
     * ("hvsim: platform x.dts: unknown platform key hvsim,foo at /"). */
    return load(path, p, err);
}

/* ======================================================================
 * Generation (libfdt sequential-write API)
 * ====================================================================== */

#define CK(x)                                                                                      \
    do {                                                                                           \
        int ck_ = (x);                                                                             \
        if (ck_ < 0)                                                                               \
            return ck_;                                                                            \
    } while (0)

static int prop_cells(void *fdt, const char *name, const uint32_t *v, int n)
{
    fdt32_t be[16];
    for (int i = 0; i < n; i++)
        be[i] = cpu_to_fdt32(v[i]);
    return fdt_property(fdt, name, be, n * (int)sizeof(be[0]));
}

/* <address size> pairs, #address-cells = #size-cells = 2. */
static int prop_reg(void *fdt, const char *name, const uint64_t *v, int n)
{
    fdt64_t be[4];
    for (int i = 0; i < n; i++)
        be[i] = cpu_to_fdt64(v[i]);
    return fdt_property(fdt, name, be, n * (int)sizeof(be[0]));
}

#define PROP_STRS(fdt, name, lit) fdt_property(fdt, name, lit, sizeof(lit))

static int begin_node_at(void *fdt, const char *stem, uint64_t addr)
{
    char name[64];
    snprintf(name, sizeof(name), "%s@%" PRIx64, stem, addr);
    return fdt_begin_node(fdt, name);
}

/* The distinct UART clock rates other than 24 MHz, in device order; each
 * gets its own fixed-clock node. Returns the count. */
static unsigned uart_clocks(const struct hv_platform *p, uint32_t *hz)
{
    unsigned n = 0;
    for (unsigned i = 0; i < p->ndevs; i++) {
        const struct hv_plat_dev *d = &p->devs[i];
        if (d->type != HV_DEV_PL011 || d->clock_hz == HV_PLAT_PL011_HZ)
            continue;
        unsigned k = 0;
        while (k < n && hz[k] != d->clock_hz)
            k++;
        if (k == n)
            hz[n++] = d->clock_hz;
    }
    return n;
}

static uint32_t uart_clock_phandle(const uint32_t *hz, unsigned n, uint32_t rate)
{
    for (unsigned k = 0; k < n; k++)
        if (hz[k] == rate)
            return PH_UARTCLK + k;
    return PH_APB_PCLK;
}

/* The CRU/GRF side of the DTB (docs/soc.md): the devices' clocks,
 * resets and pin groups, by the IDs of Linux's rk3568-cru.h and the pins of
 * rk3568-pinctrl.dtsi. The PMUCRU (I2C0's clocks and reset) is its own
 * provider, at +0x8000 in the cru window. */
struct soc_dt {
    uint32_t sclk, pclk, srst;
    bool pmu;            /* clocks and reset from the PMUCRU */
    uint32_t pins[2][2]; /* <bank pin> pairs; function from rk3568_fields */
    uint8_t func;
    const char *group;
};

static const struct soc_dt soc_dt[4] = {
    {RK3568_CLKID_SCLK_UART1,
     RK3568_CLKID_PCLK_UART1,
     RK3568_SRST_S_UART1,
     false,
     {{2, 11}, {2, 12}},
     2,
     "uart1m0-xfer"},
    {RK3568_CLKID_SCLK_UART2,
     RK3568_CLKID_PCLK_UART2,
     RK3568_SRST_S_UART2,
     false,
     {{0, 24}, {0, 25}},
     1,
     "uart2m0-xfer"},
    {RK3568_CLKID_SCLK_UART3,
     RK3568_CLKID_PCLK_UART3,
     RK3568_SRST_S_UART3,
     false,
     {{1, 0}, {1, 1}},
     2,
     "uart3m0-xfer"},
    {RK3568_PMUCLKID_CLK_I2C0,
     RK3568_PMUCLKID_PCLK_I2C0,
     RK3568_PMUSRST_I2C0,
     true,
     {{0, 9}, {0, 10}},
     1,
     "i2c0-xfer"},
};

static uint32_t dev_phandle(const struct hv_platform *p, const struct hv_plat_dev *d)
{
    return PH_DEV + (uint32_t)(d - p->devs);
}

static int emit_soc_refs(void *fdt, const struct hv_platform *p, int sd, bool uart)
{
    const struct soc_dt *t = &soc_dt[sd];
    uint32_t prov = t->pmu ? PH_PMUCRU : dev_phandle(p, hv_platform_find(p, HV_DEV_CRU, 0));
    uint32_t clocks[4] = {prov, t->sclk, prov, t->pclk};
    uint32_t resets[2] = {prov, t->srst};
    uint32_t pin = PH_PINGRP + (uint32_t)sd;
    int rc;
    if ((rc = prop_cells(fdt, "clocks", clocks, 4)) < 0)
        return rc;
    if (uart)
        rc = PROP_STRS(fdt, "clock-names", "uartclk\0apb_pclk");
    else
        rc = PROP_STRS(fdt, "clock-names", "i2c\0pclk");
    if (rc < 0 || (rc = prop_cells(fdt, "resets", resets, 2)) < 0)
        return rc;
    if ((rc = fdt_property_string(fdt, "pinctrl-names", "default")) < 0)
        return rc;
    return prop_cells(fdt, "pinctrl-0", &pin, 1);
}

/* The PMUCRU provider and the pin controller with one group per device. */
static int emit_soc_nodes(void *fdt, const struct hv_platform *p)
{
    const struct hv_plat_dev *cru = hv_platform_find(p, HV_DEV_CRU, 0);
    const struct hv_plat_dev *grf = hv_platform_find(p, HV_DEV_SYSCON, 0);
    int rc;
    if (!cru || !grf)
        return 0;
    uint64_t reg[2] = {cru->base + RK3568_PMU_BLOCK_OFF, cru->size - RK3568_PMU_BLOCK_OFF};
    if (cru->size <= RK3568_PMU_BLOCK_OFF)
        return 0;
    if ((rc = begin_node_at(fdt, "clock-controller", reg[0])) < 0 ||
        (rc = fdt_property_string(fdt, "compatible", "rockchip,rk3568-pmucru")) < 0 ||
        (rc = prop_reg(fdt, "reg", reg, 2)) < 0 ||
        (rc = fdt_property_u32(fdt, "#clock-cells", 1)) < 0 ||
        (rc = fdt_property_u32(fdt, "#reset-cells", 1)) < 0 ||
        (rc = fdt_property_u32(fdt, "phandle", PH_PMUCRU)) < 0 || (rc = fdt_end_node(fdt)) < 0)
        return rc;
    /* Linux pinctrl/rockchip,pinctrl.yaml: rockchip,pins = <bank pin
     * function &pcfg>. The PMU GRF is inside the grf window. */
    uint32_t g = dev_phandle(p, grf);
    if ((rc = fdt_begin_node(fdt, "pinctrl")) < 0 ||
        (rc = fdt_property_string(fdt, "compatible", "rockchip,rk3568-pinctrl")) < 0 ||
        (rc = prop_cells(fdt, "rockchip,grf", &g, 1)) < 0 ||
        (rc = prop_cells(fdt, "rockchip,pmu", &g, 1)) < 0 ||
        (rc = fdt_begin_node(fdt, "pcfg-pull-none")) < 0 ||
        (rc = fdt_property(fdt, "bias-disable", "", 0)) < 0 ||
        (rc = fdt_property_u32(fdt, "phandle", PH_PCFG)) < 0 || (rc = fdt_end_node(fdt)) < 0)
        return rc;
    for (int sd = 0; sd < 4; sd++) {
        const struct soc_dt *t = &soc_dt[sd];
        uint32_t pins[8];
        for (int k = 0; k < 2; k++) {
            pins[4 * k] = t->pins[k][0];
            pins[4 * k + 1] = t->pins[k][1];
            pins[4 * k + 2] = t->func;
            pins[4 * k + 3] = PH_PCFG;
        }
        if ((rc = fdt_begin_node(fdt, t->group)) < 0 ||
            (rc = prop_cells(fdt, "rockchip,pins", pins, 8)) < 0 ||
            (rc = fdt_property_u32(fdt, "phandle", PH_PINGRP + (uint32_t)sd)) < 0 ||
            (rc = fdt_end_node(fdt)) < 0)
            return rc;
    }
    return fdt_end_node(fdt);
}

static int emit(void *fdt, int size, const struct hv_platform *p, const struct hv_dtb_opts *o)
{
    const struct hv_plat_dev *gic = hv_platform_find(p, HV_DEV_GICV3, 0);
    const struct hv_plat_dev *con = hv_platform_find(p, HV_DEV_PL011, 0);
    char con_path[64];
    snprintf(con_path, sizeof(con_path), "/pl011@%" PRIx64, con->base);

    CK(fdt_create(fdt, size));
    CK(fdt_finish_reservemap(fdt));
    CK(fdt_begin_node(fdt, ""));

    /* Root (DT spec 3.2), as QEMU virt plus hvsim's own keys, which Linux
     * ignores and hv_platform_from_dtb reads back. */
    CK(fdt_property_u32(fdt, "#address-cells", 2));
    CK(fdt_property_u32(fdt, "#size-cells", 2));
    CK(fdt_property_string(fdt, "model", p->model));
    CK(fdt_property_string(fdt, "compatible", p->compatible));
    if (gic)
        CK(fdt_property_u32(fdt, "interrupt-parent", PH_GIC));
    CK(fdt_property_string(fdt, "hvsim,name", p->name));
    uint64_t rom[2] = {p->rom_base, p->rom_size};
    CK(prop_reg(fdt, "hvsim,rom", rom, 2));
    CK(fdt_property_u32(fdt, "hvsim,timer-frequency", p->timer_freq_hz));

    /* /chosen (DT spec 3.6; Linux chosen.txt). */
    CK(fdt_begin_node(fdt, "chosen"));
    CK(fdt_property_string(fdt, "stdout-path", o && o->stdout_path ? o->stdout_path : con_path));
    if (o && o->bootargs)
        CK(fdt_property_string(fdt, "bootargs", o->bootargs));
    if (o && (o->initrd_start || o->initrd_end)) {
        /* As QEMU: sized by the root #address-cells, i.e. u64. */
        CK(fdt_property_u64(fdt, "linux,initrd-start", o->initrd_start));
        CK(fdt_property_u64(fdt, "linux,initrd-end", o->initrd_end));
    }
    CK(fdt_end_node(fdt));

    /* /aliases (DT spec 3.3): serialN for the Nth PL011, so Linux's ttyAMA
     * numbering and U-Boot's serial sequence follow the platform order. */
    CK(fdt_begin_node(fdt, "aliases"));
    for (unsigned k = 0;; k++) {
        const struct hv_plat_dev *u = hv_platform_find(p, HV_DEV_PL011, k);
        if (!u)
            break;
        char alias[16], path[64];
        snprintf(alias, sizeof(alias), "serial%u", k);
        snprintf(path, sizeof(path), "/pl011@%" PRIx64, u->base);
        CK(fdt_property_string(fdt, alias, path));
    }
    CK(fdt_end_node(fdt));

    /* PSCI (Linux arm/psci.yaml) over SMC, to hvsim's EL3 firmware stub, as
     * QEMU virt with virtualization=on. The function IDs are the PSCI 0.2
     * SMC32/SMC64 ones QEMU lists for psci-0.1-only clients. */
    CK(fdt_begin_node(fdt, "psci"));
    CK(PROP_STRS(fdt, "compatible", "arm,psci-1.0\0arm,psci-0.2\0arm,psci"));
    CK(fdt_property_string(fdt, "method", "smc"));
    CK(fdt_property_u32(fdt, "cpu_suspend", 0xc4000001u));
    CK(fdt_property_u32(fdt, "cpu_off", 0x84000002u));
    CK(fdt_property_u32(fdt, "cpu_on", 0xc4000003u));
    CK(fdt_property_u32(fdt, "migrate", 0xc4000005u));
    CK(fdt_end_node(fdt));

    /* Memory (DT spec 3.4). */
    CK(begin_node_at(fdt, "memory", p->ram_base));
    CK(fdt_property_string(fdt, "device_type", "memory"));
    uint64_t ram[2] = {p->ram_base, p->ram_size};
    CK(prop_reg(fdt, "reg", ram, 2));
    CK(fdt_end_node(fdt));

    /* CPUs (DT spec 3.7, Linux arm/cpus.yaml): reg is MPIDR_EL1's affinity;
     * with at most 8 PEs QEMU's layout gives Aff0 = N, so one cell does. */
    CK(fdt_begin_node(fdt, "cpus"));
    CK(fdt_property_u32(fdt, "#address-cells", 1));
    CK(fdt_property_u32(fdt, "#size-cells", 0));
    for (uint32_t n = 0; n < p->ncpus; n++) {
        CK(begin_node_at(fdt, "cpu", n));
        CK(fdt_property_string(fdt, "device_type", "cpu"));
        CK(fdt_property_string(fdt, "compatible", "arm,cortex-a72"));
        CK(fdt_property_u32(fdt, "reg", n));
        CK(fdt_property_string(fdt, "enable-method", "psci"));
        CK(fdt_end_node(fdt));
    }
    CK(fdt_end_node(fdt));

    /* Architected timer (Linux timer/arm,arch_timer.yaml): secure phys PPI
     * 13, non-secure phys 14 (INTID 30), virtual 11 (INTID 27), hyp 10
     * (INTID 26), level-high. QEMU sets the GICv2 CPU-mask bits (0x104 for
     * one CPU) only with a GICv2; with gic-version=3 its flags are 4, and
     * the GICv3 binding reads only the sense bits. */
    CK(fdt_begin_node(fdt, "timer"));
    CK(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
    if (gic) {
        static const uint32_t ti[] = {GIC_PPI, 13, IRQ_LEVEL_HI, GIC_PPI, 14, IRQ_LEVEL_HI,
                                      GIC_PPI, 11, IRQ_LEVEL_HI, GIC_PPI, 10, IRQ_LEVEL_HI};
        CK(prop_cells(fdt, "interrupts", ti, 12));
    }
    CK(fdt_property(fdt, "always-on", "", 0));
    CK(fdt_end_node(fdt));

    /* QEMU virt's apb-pclk: the PL011 binding's clocks are optional on
     * paper but Linux's AMBA bus will not probe without apb_pclk. */
    CK(fdt_begin_node(fdt, "apb-pclk"));
    CK(fdt_property_string(fdt, "compatible", "fixed-clock"));
    CK(fdt_property_u32(fdt, "#clock-cells", 0));
    CK(fdt_property_u32(fdt, "clock-frequency", HV_PLAT_PL011_HZ));
    CK(fdt_property_string(fdt, "clock-output-names", "clk24mhz"));
    CK(fdt_property_u32(fdt, "phandle", PH_APB_PCLK));
    CK(fdt_end_node(fdt));

    /* UARTs clocked at another rate get one fixed-clock per rate. */
    uint32_t hz[HV_PLAT_MAX_DEVS];
    unsigned nhz = uart_clocks(p, hz);
    for (unsigned k = 0; k < nhz; k++) {
        char name[40];
        snprintf(name, sizeof(name), "uartclk-%" PRIu32, hz[k]);
        CK(fdt_begin_node(fdt, name));
        CK(fdt_property_string(fdt, "compatible", "fixed-clock"));
        CK(fdt_property_u32(fdt, "#clock-cells", 0));
        CK(fdt_property_u32(fdt, "clock-frequency", hz[k]));
        CK(fdt_property_string(fdt, "clock-output-names", name));
        CK(fdt_property_u32(fdt, "phandle", PH_UARTCLK + k));
        CK(fdt_end_node(fdt));
    }

    /* Devices, in platform order (hv_platform_from_dtb names them by
     * order of appearance, so the round trip keeps uart0 = uart0). */
    for (unsigned i = 0; i < p->ndevs; i++) {
        const struct hv_plat_dev *d = &p->devs[i];
        uint64_t reg[4] = {d->base, d->size, d->base2, d->size2};
        switch (d->type) {
        case HV_DEV_GICV3: {
            /* Linux interrupt-controller/arm,gic-v3.yaml, as QEMU. */
            static const uint32_t maint[] = {GIC_PPI, 9, IRQ_LEVEL_HI}; /* INTID 25 */
            CK(begin_node_at(fdt, "intc", d->base));
            CK(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
            CK(fdt_property_u32(fdt, "#interrupt-cells", 3));
            CK(fdt_property(fdt, "interrupt-controller", "", 0));
            CK(fdt_property_u32(fdt, "#address-cells", 2));
            CK(fdt_property_u32(fdt, "#size-cells", 2));
            CK(fdt_property(fdt, "ranges", "", 0));
            CK(prop_reg(fdt, "reg", reg, 4));
            CK(fdt_property_u32(fdt, "#redistributor-regions", 1));
            CK(prop_cells(fdt, "interrupts", maint, 3));
            CK(fdt_property_u32(fdt, "phandle", PH_GIC));
            break;
        }
        case HV_DEV_PL011: {
            /* Linux serial/arm,pl011.yaml, as QEMU's create_uart(). */
            uint32_t clk = uart_clock_phandle(hz, nhz, d->clock_hz);
            uint32_t clocks[2] = {clk, PH_APB_PCLK};
            CK(begin_node_at(fdt, "pl011", d->base));
            CK(PROP_STRS(fdt, "compatible", "arm,pl011\0arm,primecell"));
            CK(prop_reg(fdt, "reg", reg, 2));
            if (d->irq >= 0) {
                uint32_t spi[3] = {GIC_SPI, (uint32_t)d->irq, IRQ_LEVEL_HI};
                CK(prop_cells(fdt, "interrupts", spi, 3));
            }
            int sd = hv_platform_soc_dev(p, d);
            if (sd >= 0) {
                CK(emit_soc_refs(fdt, p, sd, true));
            } else {
                CK(prop_cells(fdt, "clocks", clocks, 2));
                CK(PROP_STRS(fdt, "clock-names", "uartclk\0apb_pclk"));
            }
            break;
        }
        case HV_DEV_I2C: {
            /* hvsim's simple I2C controller (docs/soc.md); the 24C02 at
             * address 0x50 is part of the model, not a child node. */
            CK(begin_node_at(fdt, "i2c", d->base));
            CK(fdt_property_string(fdt, "compatible", "hvsim,simple-i2c"));
            CK(prop_reg(fdt, "reg", reg, 2));
            if (d->irq >= 0) {
                uint32_t spi[3] = {GIC_SPI, (uint32_t)d->irq, IRQ_LEVEL_HI};
                CK(prop_cells(fdt, "interrupts", spi, 3));
            }
            int sd = hv_platform_soc_dev(p, d);
            if (sd >= 0)
                CK(emit_soc_refs(fdt, p, sd, false));
            break;
        }
        case HV_DEV_CRU:
            /* Linux clock/rockchip,rk3568-cru.yaml. The binding's clocks
             * (xin24m) and the devices' clocks/resets/pinctrl references
             * come with the CRU model. */
            CK(begin_node_at(fdt, "clock-controller", d->base));
            CK(fdt_property_string(fdt, "compatible", "rockchip,rk3568-cru"));
            CK(prop_reg(fdt, "reg", reg, 2));
            CK(fdt_property_u32(fdt, "#clock-cells", 1));
            CK(fdt_property_u32(fdt, "#reset-cells", 1));
            CK(fdt_property_u32(fdt, "phandle", PH_DEV + i));
            break;
        case HV_DEV_EVTPORT:
            /* hvsim's own binding: docs/hypervisor.md, "Event port". */
            CK(begin_node_at(fdt, "event-port", d->base));
            CK(fdt_property_string(fdt, "compatible", "hvsim,event-port"));
            CK(prop_reg(fdt, "reg", reg, 2));
            break;
        case HV_DEV_SYSCON:
            /* Linux soc/rockchip/grf.yaml. */
            CK(begin_node_at(fdt, "syscon", d->base));
            CK(PROP_STRS(fdt, "compatible", "rockchip,rk3568-grf\0syscon\0simple-mfd"));
            CK(prop_reg(fdt, "reg", reg, 2));
            CK(fdt_property_u32(fdt, "phandle", PH_DEV + i));
            break;
        case HV_DEV__COUNT:
            return -FDT_ERR_INTERNAL; /* excluded by hv_platform_validate */
        }
        CK(fdt_end_node(fdt));
    }

    CK(emit_soc_nodes(fdt, p));
    /* Ownership regions (hvsim's own node; no compatible, so an OS ignores it). */
    if (p->nowners) {
        CK(fdt_begin_node(fdt, OWNERSHIP_NODE));
        /* The children's reg is <addr size> in two cells each (DT spec 2.3.5). */
        CK(fdt_property_u32(fdt, "#address-cells", 2));
        CK(fdt_property_u32(fdt, "#size-cells", 2));
        for (unsigned i = 0; i < p->nowners; i++) {
            const struct hv_plat_owner *o = &p->owners[i];
            uint64_t reg[2] = {o->base, o->size};
            CK(begin_node_at(fdt, o->name, o->base));
            CK(prop_reg(fdt, "reg", reg, 2));
            CK(fdt_property_string(fdt, "hvsim,owner", hv_owner_kind_name(o->kind)));
            if (o->kind == HV_OWNER_VM || o->kind == HV_OWNER_DEVICE)
                CK(fdt_property_u32(fdt, "hvsim,vmid", o->vmid));
            if (o->kind == HV_OWNER_SHARED && !o->vms_all) {
                fdt32_t ids[HV_PLAT_MAX_VMID + 1];
                int n = 0;
                for (uint32_t v = 0; v <= HV_PLAT_MAX_VMID; v++)
                    if ((o->vms[v / 8] >> (v % 8)) & 1)
                        ids[n++] = cpu_to_fdt32(v);
                CK(fdt_property(fdt, "hvsim,vmids", ids, n * (int)sizeof(ids[0])));
            }
            CK(fdt_end_node(fdt));
        }
        CK(fdt_end_node(fdt));
    }

    CK(fdt_end_node(fdt));
    return fdt_finish(fdt);
}

int hv_platform_build_dtb(const struct hv_platform *p, const struct hv_dtb_opts *o, void **blob,
                          size_t *len, struct hv_err *err)
{
    if (!p || !blob || !len)
        return hv_err_set(err, "no platform or no output for the DTB");
    if (hv_platform_validate(p, err))
        return hv_err_prefix(err, "cannot build a DTB for an invalid platform");
    if (o && (o->initrd_start || o->initrd_end) && o->initrd_end < o->initrd_start)
        return hv_err_set(err, "initrd end 0x%" PRIx64 " is below its start 0x%" PRIx64,
                          o->initrd_end, o->initrd_start);
    const char *strs[] = {o ? o->bootargs : NULL, o ? o->stdout_path : NULL};
    for (size_t i = 0; i < 2; i++)
        if (strs[i] && strlen(strs[i]) > 65536)
            return hv_err_set(err, "%s longer than 64 KiB", i ? "stdout-path" : "bootargs");

    for (int size = DTB_FIRST_LEN; size <= (1 << 20); size *= 2) {
        /* Zeroed, so every byte of the output is defined: the same input
         * gives the same bytes. */
        void *buf = calloc(1, (size_t)size);
        if (!buf)
            return hv_err_set(err, "out of memory for the DTB");
        int rc = emit(buf, size, p, o);
        if (rc == -FDT_ERR_NOSPACE) {
            free(buf);
            continue;
        }
        if (rc < 0) {
            free(buf);
            return hv_err_set(err, "building the DTB: %s", fdt_strerror(rc));
        }
        size_t n = fdt_totalsize(buf);
        void *shrunk = realloc(buf, n);
        *blob = shrunk ? shrunk : buf;
        *len = n;
        return 0;
    }
    return hv_err_set(err, "the DTB does not fit in 1 MiB");
}
