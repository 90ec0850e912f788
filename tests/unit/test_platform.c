/* Unit tests for sim/platform/platform*.c: the built-in virt platform,
 * validation (one case per rule, checking the message names both parties),
 * DTB generation (read back with libfdt and checked by dtc), the
 * DTB -> platform round trip, platform files (.dts through dtc, .dtb) and
 * their error messages. docs/platform.md describes the rules tested here. */
#include <check.h>

#include "check_run.h"
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/platform.h"

#ifndef HV_SOURCE_DIR
#error "HV_SOURCE_DIR must name the source tree (tests/unit/CMakeLists.txt defines it)"
#endif

/* --- helpers ---------------------------------------------------------------- */

static struct hv_platform virt(void)
{
    struct hv_platform p;
    struct hv_err err;
    ck_assert_int_eq(hv_platform_builtin("virt", &p, &err), 0);
    return p;
}

static struct hv_plat_dev *dev(struct hv_platform *p, const char *name)
{
    for (unsigned i = 0; i < p->ndevs; i++)
        if (strcmp(p->devs[i].name, name) == 0)
            return &p->devs[i];
    ck_abort_msg("no device %s", name);
    return NULL;
}

static void assert_plat_eq(const struct hv_platform *a, const struct hv_platform *b)
{
    ck_assert_str_eq(a->name, b->name);
    ck_assert_str_eq(a->model, b->model);
    ck_assert_str_eq(a->compatible, b->compatible);
    ck_assert_uint_eq(a->ram_base, b->ram_base);
    ck_assert_uint_eq(a->ram_size, b->ram_size);
    ck_assert_uint_eq(a->rom_base, b->rom_base);
    ck_assert_uint_eq(a->rom_size, b->rom_size);
    ck_assert_uint_eq(a->ncpus, b->ncpus);
    ck_assert_uint_eq(a->timer_freq_hz, b->timer_freq_hz);
    ck_assert_uint_eq(a->ndevs, b->ndevs);
    for (unsigned i = 0; i < a->ndevs; i++) {
        const struct hv_plat_dev *x = &a->devs[i], *y = &b->devs[i];
        ck_assert_str_eq(x->name, y->name);
        ck_assert_int_eq(x->type, y->type);
        ck_assert_uint_eq(x->base, y->base);
        ck_assert_uint_eq(x->size, y->size);
        ck_assert_uint_eq(x->base2, y->base2);
        ck_assert_uint_eq(x->size2, y->size2);
        ck_assert_int_eq(x->irq, y->irq);
        ck_assert_uint_eq(x->clock_hz, y->clock_hz);
    }
    ck_assert_uint_eq(a->nowners, b->nowners);
    for (unsigned i = 0; i < a->nowners; i++) {
        const struct hv_plat_owner *x = &a->owners[i], *y = &b->owners[i];
        ck_assert_str_eq(x->name, y->name);
        ck_assert_uint_eq(x->base, y->base);
        ck_assert_uint_eq(x->size, y->size);
        ck_assert_int_eq(x->kind, y->kind);
        ck_assert_uint_eq(x->vmid, y->vmid);
        ck_assert_int_eq(x->vms_all, y->vms_all);
        ck_assert_int_eq(memcmp(x->vms, y->vms, sizeof(x->vms)), 0);
    }
}

/* A fresh temporary directory for files a test writes. */
static char tmpdir[64];

static void tmp_setup(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/hvsim-test-platform-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

static const char *write_file(const char *name, const void *data, size_t len)
{
    static char path[128];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

/* A small valid platform file with pieces replaced or added:
 * root_extra (root properties), mem_reg (the memory node's reg cells),
 * uart_extra (properties of the one PL011), nodes (extra root children). */
static const char *write_dts(const char *root_extra, const char *mem_reg, const char *uart_extra,
                             const char *nodes)
{
    static char text[16384];
    snprintf(text, sizeof(text),
             "/dts-v1/;\n"
             "/ {\n"
             "  #address-cells = <2>;\n"
             "  #size-cells = <2>;\n"
             "  model = \"test\";\n"
             "  compatible = \"hvsim,test\";\n"
             "  interrupt-parent = <&gic>;\n"
             "  hvsim,rom = <0 0x0e000000 0 0x1000>;\n"
             "  %s\n"
             "  memory@40000000 { device_type = \"memory\"; reg = <%s>; };\n"
             "  cpus { #address-cells = <1>; #size-cells = <0>; cpu@0 { reg = <0>; }; };\n"
             "  gic: interrupt-controller@8000000 {\n"
             "    compatible = \"arm,gic-v3\"; #interrupt-cells = <3>; interrupt-controller;\n"
             "    #address-cells = <2>; #size-cells = <2>; ranges;\n"
             "    reg = <0 0x08000000 0 0x10000>, <0 0x080a0000 0 0x20000>;\n"
             "  };\n"
             "  serial@9000000 {\n"
             "    compatible = \"arm,pl011\", \"arm,primecell\";\n"
             "    reg = <0 0x09000000 0 0x1000>;\n"
             "    interrupts = <0 1 4>;\n"
             "    %s\n"
             "  };\n"
             "  %s\n"
             "};\n",
             root_extra ? root_extra : "", mem_reg ? mem_reg : "0 0x40000000 0 0x8000000",
             uart_extra ? uart_extra : "", nodes ? nodes : "");
    return write_file("p.dts", text, strlen(text));
}

static void expect_load_error(const char *path, const char *msg)
{
    struct hv_platform p;
    struct hv_err err = {{0}};
    ck_assert_int_eq(hv_platform_load_file(path, &p, &err), -1);
    ck_assert_msg(strstr(err.msg, msg) != NULL, "message \"%s\" does not contain \"%s\"", err.msg,
                  msg);
}

/* --- built-in platform ------------------------------------------------------ */

START_TEST(test_builtin_virt)
{
    struct hv_platform p = virt();
    ck_assert_str_eq(p.name, "virt");
    ck_assert_str_eq(p.model, "hvsim virt");
    ck_assert_str_eq(p.compatible, "linux,dummy-virt");
    ck_assert_uint_eq(p.ram_base, 0x40000000u);
    ck_assert_uint_eq(p.ram_size, 128u << 20);
    ck_assert_uint_eq(p.rom_base, 0x0e000000u);
    ck_assert_uint_eq(p.rom_size, 0x1000u);
    ck_assert_uint_eq(p.ncpus, 1);
    ck_assert_uint_eq(p.timer_freq_hz, 62500000u);

    const struct hv_plat_dev *g = hv_platform_find(&p, HV_DEV_GICV3, 0);
    ck_assert_ptr_nonnull(g);
    ck_assert_str_eq(g->name, "gic");
    ck_assert_uint_eq(g->base, 0x08000000u);
    ck_assert_uint_eq(g->size, 0x10000u);
    ck_assert_uint_eq(g->base2, 0x080A0000u);
    ck_assert_uint_eq(g->size2, 0x20000u);
    ck_assert_int_eq(g->irq, -1);

    static const struct {
        const char *name;
        uint64_t base;
        int spi;
    } uarts[] = {{"uart0", 0x09000000, 1},
                 {"uart1", 0x09100000, 8},
                 {"uart2", 0x09110000, 9},
                 {"uart3", 0x09120000, 10}};
    for (unsigned i = 0; i < 4; i++) {
        const struct hv_plat_dev *u = hv_platform_find(&p, HV_DEV_PL011, i);
        ck_assert_ptr_nonnull(u);
        ck_assert_str_eq(u->name, uarts[i].name);
        ck_assert_uint_eq(u->base, uarts[i].base);
        ck_assert_uint_eq(u->size, 0x1000u);
        ck_assert_int_eq(u->irq, uarts[i].spi);
        ck_assert_uint_eq(u->clock_hz, 24000000u);
    }
    ck_assert_ptr_null(hv_platform_find(&p, HV_DEV_PL011, 4));

    const struct hv_plat_dev *cru = hv_platform_find(&p, HV_DEV_CRU, 0);
    ck_assert_str_eq(cru->name, "cru");
    ck_assert_uint_eq(cru->base, 0x09200000u);
    ck_assert_uint_eq(cru->size, 0x10000u);
    ck_assert_int_eq(cru->irq, -1);
    const struct hv_plat_dev *grf = hv_platform_find(&p, HV_DEV_SYSCON, 0);
    ck_assert_str_eq(grf->name, "grf");
    ck_assert_uint_eq(grf->base, 0x09210000u);
    ck_assert_uint_eq(grf->size, 0x10000u);
    ck_assert_int_eq(grf->irq, -1);
    /* hvsim's I2C controller in the free gap after uart3, on SPI 11. */
    const struct hv_plat_dev *i2c = hv_platform_find(&p, HV_DEV_I2C, 0);
    ck_assert_str_eq(i2c->name, "i2c0");
    ck_assert_uint_eq(i2c->base, 0x09130000u);
    ck_assert_uint_eq(i2c->size, 0x1000u);
    ck_assert_int_eq(i2c->irq, 11);
    ck_assert_int_eq(hv_platform_soc_dev(&p, i2c), 3);
    ck_assert_int_eq(hv_platform_soc_dev(&p, hv_platform_find(&p, HV_DEV_PL011, 0)), -1);
    ck_assert_int_eq(hv_platform_soc_dev(&p, hv_platform_find(&p, HV_DEV_PL011, 2)), 1);
    /* A UART at another clock than the CRU's 24 MHz stays outside it (the
     * fuzzer's round-trip finding a9dc5359 in corpus/platform). */
    struct hv_platform q = p;
    for (unsigned i = 0; i < q.ndevs; i++)
        if (strcmp(q.devs[i].name, "uart3") == 0)
            q.devs[i].clock_hz = 24001024;
    ck_assert_int_eq(hv_platform_soc_dev(&q, hv_platform_find(&q, HV_DEV_PL011, 3)), -1);
    /* hvsim's isolation-event port (docs/hypervisor.md): no IRQ. */
    const struct hv_plat_dev *ep = hv_platform_find(&p, HV_DEV_EVTPORT, 0);
    ck_assert_str_eq(ep->name, "evtport");
    ck_assert_uint_eq(ep->base, 0x09300000u);
    ck_assert_uint_eq(ep->size, 0x1000u);
    ck_assert_int_eq(ep->irq, -1);
    ck_assert_uint_eq(p.ndevs, 9); /* GIC, uart0..3, CRU, GRF, i2c0, event port */

    struct hv_err err;
    ck_assert_int_eq(hv_platform_validate(&p, &err), 0);
}
END_TEST

START_TEST(test_builtin_unknown)
{
    struct hv_platform p;
    struct hv_err err;
    ck_assert_int_eq(hv_platform_builtin("rk3568", &p, &err), -1);
    ck_assert_str_eq(err.msg, "unknown built-in platform \"rk3568\" (known: virt)");
    ck_assert_int_eq(hv_platform_builtin(NULL, &p, &err), -1);
}
END_TEST

START_TEST(test_type_names)
{
    ck_assert_str_eq(hv_dev_type_name(HV_DEV_PL011), "pl011");
    ck_assert_str_eq(hv_dev_type_name(HV_DEV_GICV3), "gicv3");
    ck_assert_str_eq(hv_dev_type_name(HV_DEV_CRU), "cru");
    ck_assert_str_eq(hv_dev_type_name(HV_DEV_SYSCON), "syscon");
    ck_assert_str_eq(hv_dev_type_name(HV_DEV_EVTPORT), "event-port");
    ck_assert_str_eq(hv_dev_type_name(HV_DEV__COUNT), "unknown");
    ck_assert_ptr_null(hv_platform_find(NULL, HV_DEV_PL011, 0));
}
END_TEST

/* --- validation: one case per rule ------------------------------------------ */

struct bad_case {
    const char *what;
    void (*mutate)(struct hv_platform *p);
    const char *msg1, *msg2; /* both must appear in the message */
};

static void ram_size_zero(struct hv_platform *p)
{
    p->ram_size = 0;
}
static void ram_size_unaligned(struct hv_platform *p)
{
    p->ram_size += 0x800;
}
static void ram_base_unaligned(struct hv_platform *p)
{
    p->ram_base += 0x10;
}
static void rom_missing(struct hv_platform *p)
{
    p->rom_size = 0;
}
static void rom_unaligned(struct hv_platform *p)
{
    p->rom_base += 0x200;
}
static void dev_size_zero(struct hv_platform *p)
{
    dev(p, "uart1")->size = 0;
}
static void dev_base_unaligned(struct hv_platform *p)
{
    dev(p, "cru")->base += 0x100;
}
static void pl011_too_small(struct hv_platform *p)
{
    dev(p, "uart2")->size = 0x800;
}
static void uart_overlaps_gic(struct hv_platform *p)
{
    dev(p, "uart1")->base = 0x08001000;
}
static void cru_overlaps_gicr(struct hv_platform *p)
{
    dev(p, "cru")->base = 0x080a0000;
}
static void rom_overlaps_ram(struct hv_platform *p)
{
    p->rom_base = 0x47fff000;
}
static void grf_overlaps_ram(struct hv_platform *p)
{
    dev(p, "grf")->base = 0x40000000;
}
static void uarts_share_spi(struct hv_platform *p)
{
    dev(p, "uart2")->irq = 8;
}
static void spi_too_big(struct hv_platform *p)
{
    dev(p, "uart3")->irq = 988;
}
static void two_gics(struct hv_platform *p)
{
    struct hv_plat_dev *d = &p->devs[p->ndevs++];
    *d = *dev(p, "gic");
    snprintf(d->name, sizeof(d->name), "gic1");
    d->base = 0x10000000;
    d->base2 = 0x10100000;
}
static void no_pl011(struct hv_platform *p)
{
    unsigned n = 0;
    for (unsigned i = 0; i < p->ndevs; i++)
        if (p->devs[i].type != HV_DEV_PL011)
            p->devs[n++] = p->devs[i];
    p->ndevs = n;
}
static void duplicate_name(struct hv_platform *p)
{
    snprintf(dev(p, "uart3")->name, HV_PLAT_NAME_LEN, "uart1");
}
static void ncpus_zero(struct hv_platform *p)
{
    p->ncpus = 0;
}
static void ncpus_nine(struct hv_platform *p)
{
    p->ncpus = 9;
}
static void gicr_too_small(struct hv_platform *p)
{
    p->ncpus = 2; /* the builtin GICR region holds one redistributor */
}
static void dev_wraps(struct hv_platform *p)
{
    dev(p, "uart3")->base = 0xfffffffffffff000ull;
    dev(p, "uart3")->size = 0x2000;
}
static void ram_wraps(struct hv_platform *p)
{
    p->ram_base = 0xffffffff00000000ull;
    p->ram_size = 0x100000000ull;
}
static void cru_with_irq(struct hv_platform *p)
{
    dev(p, "cru")->irq = 20;
}
static void irq_without_gic(struct hv_platform *p)
{
    unsigned n = 0;
    for (unsigned i = 0; i < p->ndevs; i++)
        if (p->devs[i].type != HV_DEV_GICV3)
            p->devs[n++] = p->devs[i];
    p->ndevs = n;
}
static void uart_clock_zero(struct hv_platform *p)
{
    dev(p, "uart0")->clock_hz = 0;
}

static const struct bad_case bad_cases[] = {
    {"RAM size 0", ram_size_zero, "RAM size is 0", ""},
    {"RAM size unaligned", ram_size_unaligned, "RAM [0x40000000, +0x8000800)", "4 KiB aligned"},
    {"RAM base unaligned", ram_base_unaligned, "RAM [0x40000010", "4 KiB aligned"},
    {"no ROM", rom_missing, "no boot ROM", ""},
    {"ROM unaligned", rom_unaligned, "ROM [0xe000200", "4 KiB aligned"},
    {"device size 0", dev_size_zero, "uart1 has size 0", ""},
    {"device base unaligned", dev_base_unaligned, "cru [0x9200100", "4 KiB aligned"},
    {"PL011 window too small", pl011_too_small, "uart2", "0x800"},
    {"uart1 overlaps GICD", uart_overlaps_gic, "uart1 [0x8001000,0x8002000) overlaps",
     "gic [0x8000000,0x8010000)"},
    {"cru overlaps GICR", cru_overlaps_gicr, "cru [0x80a0000,0x80b0000) overlaps",
     "gic GICR [0x80a0000,0x80c0000)"},
    {"ROM overlaps RAM", rom_overlaps_ram, "ROM [0x47fff000,0x48000000) overlaps",
     "RAM [0x40000000,0x48000000)"},
    {"grf overlaps RAM", grf_overlaps_ram, "grf [0x40000000,0x40010000) overlaps", "RAM ["},
    {"shared SPI", uarts_share_spi, "uart1 and uart2 share SPI 8", ""},
    {"SPI out of range", spi_too_big, "uart3: SPI 988 out of range 0..987", ""},
    {"two GICv3", two_gics, "at most one GICv3: gic and gic1", ""},
    {"no PL011", no_pl011, "no PL011", ""},
    {"duplicate name", duplicate_name, "two devices named uart1", ""},
    {"ncpus 0", ncpus_zero, "ncpus 0 out of range 1..8", ""},
    {"ncpus 9", ncpus_nine, "ncpus 9 out of range 1..8", ""},
    {"GICR too small", gicr_too_small, "gic: GICR region size 0x20000", "2 redistributors"},
    {"device wraps", dev_wraps, "uart3 at 0xfffffffffffff000 size 0x2000 wraps", ""},
    {"RAM wraps", ram_wraps, "RAM at 0xffffffff00000000 size 0x100000000 wraps", ""},
    {"CRU with irq", cru_with_irq, "cru: a cru has no SPI (irq 20", ""},
    {"irq without GIC", irq_without_gic, "uart0 uses SPI 1 but the platform has no GICv3", ""},
    {"UART clock 0", uart_clock_zero, "uart0: PL011 clock is 0 Hz", ""},
};
#define N_BAD_CASES ((int)(sizeof(bad_cases) / sizeof(bad_cases[0])))

START_TEST(test_validate_rejects)
{
    const struct bad_case *c = &bad_cases[_i];
    struct hv_platform p = virt();
    struct hv_err err = {{0}};
    c->mutate(&p);
    ck_assert_msg(hv_platform_validate(&p, &err) == -1, "%s: accepted", c->what);
    ck_assert_msg(strstr(err.msg, c->msg1) && strstr(err.msg, c->msg2),
                  "%s: message \"%s\" lacks \"%s\" / \"%s\"", c->what, err.msg, c->msg1, c->msg2);
    /* The generator refuses what validation refuses. */
    void *blob = NULL;
    size_t len = 0;
    ck_assert_int_eq(hv_platform_build_dtb(&p, NULL, &blob, &len, &err), -1);
    ck_assert_ptr_null(blob);
}
END_TEST

START_TEST(test_validate_accepts_variants)
{
    struct hv_platform p = virt();
    struct hv_err err;
    p.ncpus = 8;
    dev(&p, "gic")->size2 = 8 * HV_PLAT_GICR_STRIDE;
    dev(&p, "uart3")->irq = -1;              /* a polled UART */
    dev(&p, "uart0")->irq = HV_PLAT_SPI_MAX; /* the last SPI */
    p.ram_size = 1ull << 30;
    ck_assert_msg(hv_platform_validate(&p, &err) == 0, "%s", err.msg);
    /* Adjacent windows touch but do not overlap. */
    dev(&p, "grf")->base = 0x09200000 + 0x10000;
    ck_assert_msg(hv_platform_validate(&p, &err) == 0, "%s", err.msg);
}
END_TEST

/* --- DTB generation --------------------------------------------------------- */

static void *build(const struct hv_platform *p, const struct hv_dtb_opts *o, size_t *len)
{
    void *blob = NULL;
    struct hv_err err;
    ck_assert_msg(hv_platform_build_dtb(p, o, &blob, len, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(fdt_check_full(blob, *len), 0);
    ck_assert_uint_eq(fdt_totalsize(blob), *len);
    return blob;
}

static int node(const void *fdt, const char *path)
{
    int off = fdt_path_offset(fdt, path);
    ck_assert_msg(off >= 0, "no node %s", path);
    return off;
}

/* The cells of a property, checked for length. */
static void assert_cells(const void *fdt, const char *path, const char *prop, const uint32_t *want,
                         int n)
{
    int len;
    const fdt32_t *v = fdt_getprop(fdt, node(fdt, path), prop, &len);
    ck_assert_msg(v != NULL, "%s has no %s", path, prop);
    ck_assert_int_eq(len, 4 * n);
    for (int i = 0; i < n; i++)
        ck_assert_msg(fdt32_to_cpu(v[i]) == want[i], "%s %s cell %d: 0x%x, want 0x%x", path, prop,
                      i, fdt32_to_cpu(v[i]), want[i]);
}

static void assert_str(const void *fdt, const char *path, const char *prop, const char *want)
{
    const char *v = fdt_getprop(fdt, node(fdt, path), prop, NULL);
    ck_assert_msg(v != NULL, "%s has no %s", path, prop);
    ck_assert_str_eq(v, want);
}

START_TEST(test_dtb_contents)
{
    struct hv_platform p = virt();
    struct hv_dtb_opts o = {.bootargs = "console=ttyAMA0 earlycon",
                            .initrd_start = 0x48000000,
                            .initrd_end = 0x48200000};
    size_t len;
    void *fdt = build(&p, &o, &len);

    static const uint32_t two[] = {2};
    assert_cells(fdt, "/", "#address-cells", two, 1);
    assert_cells(fdt, "/", "#size-cells", two, 1);
    assert_str(fdt, "/", "model", "hvsim virt");
    assert_str(fdt, "/", "compatible", "linux,dummy-virt");

    /* The GIC: GICD then GICR, 2+2 cells each; maintenance PPI 9. */
    int gic = node(fdt, "/intc@8000000");
    ck_assert_int_eq(fdt_node_check_compatible(fdt, gic, "arm,gic-v3"), 0);
    static const uint32_t gic_reg[] = {0, 0x08000000, 0, 0x10000, 0, 0x080a0000, 0, 0x20000};
    assert_cells(fdt, "/intc@8000000", "reg", gic_reg, 8);
    static const uint32_t three[] = {3};
    assert_cells(fdt, "/intc@8000000", "#interrupt-cells", three, 1);
    ck_assert_ptr_nonnull(fdt_getprop(fdt, gic, "interrupt-controller", NULL));
    static const uint32_t maint[] = {1, 9, 4};
    assert_cells(fdt, "/intc@8000000", "interrupts", maint, 3);
    uint32_t ph = fdt_get_phandle(fdt, gic);
    ck_assert_uint_ne(ph, 0);
    assert_cells(fdt, "/", "interrupt-parent", &ph, 1);

    /* Timer PPIs: secure 13, non-secure 14, virtual 11, hyp 10. */
    static const uint32_t timer[] = {1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4};
    assert_cells(fdt, "/timer", "interrupts", timer, 12);
    assert_str(fdt, "/timer", "compatible", "arm,armv8-timer");

    /* UARTs: SPI triples and the 24 MHz apb-pclk for both clocks. */
    static const uint32_t u0_irq[] = {0, 1, 4}, u1_irq[] = {0, 8, 4}, u3_irq[] = {0, 10, 4};
    assert_cells(fdt, "/pl011@9000000", "interrupts", u0_irq, 3);
    assert_cells(fdt, "/pl011@9100000", "interrupts", u1_irq, 3);
    assert_cells(fdt, "/pl011@9120000", "interrupts", u3_irq, 3);
    static const uint32_t u0_reg[] = {0, 0x09000000, 0, 0x1000};
    assert_cells(fdt, "/pl011@9000000", "reg", u0_reg, 4);
    uint32_t clk = fdt_get_phandle(fdt, node(fdt, "/apb-pclk"));
    uint32_t clocks[] = {clk, clk};
    assert_cells(fdt, "/pl011@9000000", "clocks", clocks, 2);
    static const uint32_t hz[] = {24000000};
    assert_cells(fdt, "/apb-pclk", "clock-frequency", hz, 1);
    ck_assert_int_eq(fdt_node_check_compatible(fdt, node(fdt, "/pl011@9000000"), "arm,primecell"),
                     0);

    /* chosen and aliases. */
    assert_str(fdt, "/chosen", "stdout-path", "/pl011@9000000");
    assert_str(fdt, "/chosen", "bootargs", "console=ttyAMA0 earlycon");
    static const uint32_t initrd_start[] = {0, 0x48000000}, initrd_end[] = {0, 0x48200000};
    assert_cells(fdt, "/chosen", "linux,initrd-start", initrd_start, 2);
    assert_cells(fdt, "/chosen", "linux,initrd-end", initrd_end, 2);
    assert_str(fdt, "/aliases", "serial0", "/pl011@9000000");
    assert_str(fdt, "/aliases", "serial1", "/pl011@9100000");
    assert_str(fdt, "/aliases", "serial3", "/pl011@9120000");

    /* PSCI over SMC, memory, the CPU, CRU and GRF. */
    assert_str(fdt, "/psci", "method", "smc");
    ck_assert_int_eq(fdt_node_check_compatible(fdt, node(fdt, "/psci"), "arm,psci-1.0"), 0);
    static const uint32_t cpu_on[] = {0xc4000003};
    assert_cells(fdt, "/psci", "cpu_on", cpu_on, 1);
    static const uint32_t mem[] = {0, 0x40000000, 0, 0x08000000};
    assert_cells(fdt, "/memory@40000000", "reg", mem, 4);
    assert_str(fdt, "/memory@40000000", "device_type", "memory");
    assert_str(fdt, "/cpus/cpu@0", "enable-method", "psci");
    assert_str(fdt, "/cpus/cpu@0", "compatible", "arm,cortex-a72");
    assert_str(fdt, "/clock-controller@9200000", "compatible", "rockchip,rk3568-cru");
    ck_assert_int_eq(fdt_node_check_compatible(fdt, node(fdt, "/syscon@9210000"), "syscon"), 0);
    free(fdt);
}
END_TEST

START_TEST(test_dtb_options)
{
    struct hv_platform p = virt();
    size_t len;
    /* No options: no bootargs, no initrd, stdout-path the first UART. */
    void *fdt = build(&p, NULL, &len);
    int chosen = node(fdt, "/chosen");
    ck_assert_ptr_null(fdt_getprop(fdt, chosen, "bootargs", NULL));
    ck_assert_ptr_null(fdt_getprop(fdt, chosen, "linux,initrd-start", NULL));
    assert_str(fdt, "/chosen", "stdout-path", "/pl011@9000000");
    free(fdt);

    struct hv_dtb_opts o = {.stdout_path = "serial1:115200n8"};
    fdt = build(&p, &o, &len);
    assert_str(fdt, "/chosen", "stdout-path", "serial1:115200n8");
    free(fdt);

    struct hv_err err;
    void *blob = NULL;
    o.initrd_start = 0x48000000;
    o.initrd_end = 0x47000000;
    ck_assert_int_eq(hv_platform_build_dtb(&p, &o, &blob, &len, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "initrd end 0x47000000 is below its start 0x48000000"));
}
END_TEST

/* A DTB larger than the first 4 KiB buffer: the generator grows it. */
START_TEST(test_dtb_grows)
{
    struct hv_platform p = virt();
    static char args[20001];
    memset(args, 'a', sizeof(args) - 1);
    struct hv_dtb_opts o = {.bootargs = args};
    size_t len;
    void *fdt = build(&p, &o, &len);
    ck_assert_uint_gt(len, 20000);
    assert_str(fdt, "/chosen", "bootargs", args);
    free(fdt);

    static char huge[70000];
    memset(huge, 'b', sizeof(huge) - 1);
    o.bootargs = huge;
    struct hv_err err;
    void *blob = NULL;
    ck_assert_int_eq(hv_platform_build_dtb(&p, &o, &blob, &len, &err), -1);
    ck_assert_str_eq(err.msg, "bootargs longer than 64 KiB");
}
END_TEST

START_TEST(test_dtb_deterministic)
{
    struct hv_platform p = virt();
    struct hv_dtb_opts o = {.bootargs = "x"};
    size_t l1, l2;
    void *a = build(&p, &o, &l1);
    void *b = build(&p, &o, &l2);
    ck_assert_uint_eq(l1, l2);
    ck_assert_int_eq(memcmp(a, b, l1), 0);
    free(a);
    free(b);
}
END_TEST

/* dtc decompiles the blob with no error and no warning. */
static void assert_dtc_clean(const void *blob, size_t len)
{
    const char *path = write_file("gen.dtb", blob, len);
    char out[160], cmd[512];
    snprintf(out, sizeof(out), "%s/dtc.err", tmpdir);
    snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts -o /dev/null '%s' 2>'%s'", path, out);
    int rc = system(cmd);
    struct stat st;
    ck_assert_int_eq(stat(out, &st), 0);
    if (rc != 0 || st.st_size != 0) {
        snprintf(cmd, sizeof(cmd), "cat '%s' >&2", out);
        (void)!system(cmd);
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(st.st_size, 0);
}

START_TEST(test_dtb_passes_dtc)
{
    struct hv_platform p = virt();
    struct hv_dtb_opts o = {
        .bootargs = "console=ttyAMA0", .initrd_start = 0x48000000, .initrd_end = 0x48001000};
    size_t len;
    void *fdt = build(&p, &o, &len);
    assert_dtc_clean(fdt, len);
    free(fdt);
}
END_TEST

START_TEST(test_round_trip_builtin)
{
    struct hv_platform p = virt(), q;
    struct hv_err err;
    size_t len;
    void *fdt = build(&p, NULL, &len);
    ck_assert_msg(hv_platform_from_dtb(fdt, len, &q, &err) == 0, "%s", err.msg);
    assert_plat_eq(&p, &q);
    free(fdt);
}
END_TEST

/* A platform unlike the builtin: 4 CPUs, a 1.8432 MHz UART, no CRU/GRF. */
START_TEST(test_round_trip_variant)
{
    struct hv_platform p = virt(), q;
    struct hv_err err;
    snprintf(p.name, sizeof(p.name), "board");
    snprintf(p.model, sizeof(p.model), "Some Board");
    snprintf(p.compatible, sizeof(p.compatible), "vendor,board");
    p.ncpus = 4;
    dev(&p, "gic")->size2 = 4 * HV_PLAT_GICR_STRIDE;
    dev(&p, "uart1")->clock_hz = 1843200;
    dev(&p, "uart2")->clock_hz = 1843200;
    dev(&p, "uart3")->irq = -1;
    p.ndevs -= 2; /* drop cru, grf */
    p.ram_base = 0x80000000;
    p.ram_size = 3ull << 30;
    p.timer_freq_hz = 24000000;
    size_t len;
    void *fdt = build(&p, NULL, &len);
    assert_dtc_clean(fdt, len);
    ck_assert_msg(hv_platform_from_dtb(fdt, len, &q, &err) == 0, "%s", err.msg);
    assert_plat_eq(&p, &q);
    ck_assert_int_ge(fdt_path_offset(fdt, "/uartclk-1843200"), 0);
    ck_assert_int_ge(fdt_path_offset(fdt, "/cpus/cpu@3"), 0);
    free(fdt);
}
END_TEST

/* Ownership regions (/hvsim-ownership): every kind, an explicit shared set,
 * an empty one, a VMID at the top of the range; the DTB carries them back. */
static struct hv_plat_owner owner(const char *name, uint64_t base, uint64_t size,
                                  enum hv_owner_kind k, uint32_t vmid)
{
    struct hv_plat_owner o;
    memset(&o, 0, sizeof(o));
    snprintf(o.name, sizeof(o.name), "%s", name);
    o.base = base;
    o.size = size;
    o.kind = k;
    o.vmid = vmid;
    o.vms_all = k == HV_OWNER_SHARED;
    return o;
}

START_TEST(test_round_trip_ownership)
{
    struct hv_platform p = virt(), q;
    struct hv_err err;
    p.owners[p.nowners++] = owner("hyp", 0x40000000, 0x1000000, HV_OWNER_HYP, 0);
    p.owners[p.nowners++] = owner("vm1", 0x41000000, 0x1000000, HV_OWNER_VM, 1);
    p.owners[p.nowners++] = owner("vm255", 0x42000000, 0x1000000, HV_OWNER_VM, 255);
    p.owners[p.nowners++] = owner("all", 0x43000000, 0x10000, HV_OWNER_SHARED, 0);
    p.owners[p.nowners] = owner("some", 0x43010000, 0x10000, HV_OWNER_SHARED, 0);
    p.owners[p.nowners].vms_all = false;
    p.owners[p.nowners++].vms[0] = 0x06; /* VMs 1 and 2 */
    p.owners[p.nowners] = owner("none", 0x43020000, 0x10000, HV_OWNER_SHARED, 0);
    p.owners[p.nowners++].vms_all = false;
    p.owners[p.nowners++] = owner("con", 0x09000000, 0x1000, HV_OWNER_DEVICE, 1);
    ck_assert_msg(hv_platform_validate(&p, &err) == 0, "%s", err.msg);
    size_t len;
    void *fdt = build(&p, NULL, &len);
    assert_dtc_clean(fdt, len);
    ck_assert_msg(hv_platform_from_dtb(fdt, len, &q, &err) == 0, "%s", err.msg);
    assert_plat_eq(&p, &q);
    free(fdt);
    /* Who may map what (hv_owner_allows). */
    ck_assert(!hv_owner_allows(&p.owners[0], 0));
    ck_assert(hv_owner_allows(&p.owners[1], 1) && !hv_owner_allows(&p.owners[1], 2));
    ck_assert(hv_owner_allows(&p.owners[3], 200));
    ck_assert(hv_owner_allows(&p.owners[4], 2) && !hv_owner_allows(&p.owners[4], 3));
    ck_assert(!hv_owner_allows(&p.owners[5], 1));
    ck_assert(hv_owner_allows(&p.owners[6], 1) && !hv_owner_allows(&p.owners[6], 0));
}
END_TEST

START_TEST(test_validate_ownership)
{
    struct hv_platform p = virt();
    struct hv_err err;
    p.owners[p.nowners++] = owner("a", 0x40000000, 0x2000, HV_OWNER_VM, 1);
    p.owners[p.nowners++] = owner("b", 0x40001000, 0x2000, HV_OWNER_VM, 2);
    ck_assert_int_eq(hv_platform_validate(&p, &err), -1);
    ck_assert_str_eq(err.msg, "ownership region b [0x40001000,0x40003000) overlaps a "
                              "[0x40000000,0x40002000)");
    p.owners[1].base = 0x40002000;
    p.owners[1].vmid = 256;
    ck_assert_int_eq(hv_platform_validate(&p, &err), -1);
    ck_assert_str_eq(err.msg, "ownership region b: VMID 256 out of range 0..255");
    p.owners[1].vmid = 2;
    p.owners[1].size = 0x1800;
    ck_assert_int_eq(hv_platform_validate(&p, &err), -1);
    ck_assert(strstr(err.msg, "is not 4 KiB aligned"));
    p.owners[1].size = 0x1000;
    snprintf(p.owners[1].name, sizeof(p.owners[1].name), "a");
    ck_assert_int_eq(hv_platform_validate(&p, &err), -1);
    ck_assert_str_eq(err.msg, "two ownership regions named a");
}
END_TEST

/* --- platform files ----------------------------------------------------------- */

START_TEST(test_load_virt_dts)
{
    struct hv_platform p = virt(), q;
    struct hv_err err;
    ck_assert_msg(hv_platform_load_file(HV_SOURCE_DIR "/platforms/virt.dts", &q, &err) == 0, "%s",
                  err.msg);
    assert_plat_eq(&p, &q);
}
END_TEST

START_TEST(test_load_dtb_file)
{
    struct hv_platform p = virt(), q;
    struct hv_err err;
    size_t len;
    void *fdt = build(&p, NULL, &len);
    const char *path = write_file("virt.dtb", fdt, len);
    ck_assert_msg(hv_platform_load_file(path, &q, &err) == 0, "%s", err.msg);
    assert_plat_eq(&p, &q);
    /* Any other extension is read as a DTB too. */
    path = write_file("virt.bin", fdt, len);
    ck_assert_msg(hv_platform_load_file(path, &q, &err) == 0, "%s", err.msg);
    free(fdt);
}
END_TEST

START_TEST(test_load_minimal_dts)
{
    struct hv_platform q;
    struct hv_err err;
    const char *path = write_dts(NULL, NULL, NULL, NULL);
    ck_assert_msg(hv_platform_load_file(path, &q, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(q.name, "custom"); /* no hvsim,name */
    ck_assert_str_eq(q.compatible, "hvsim,test");
    ck_assert_uint_eq(q.timer_freq_hz, 62500000u);
    ck_assert_uint_eq(q.ndevs, 2);
    ck_assert_str_eq(q.devs[0].name, "gic");
    ck_assert_str_eq(q.devs[1].name, "uart0");
    ck_assert_uint_eq(q.devs[1].clock_hz, 24000000u);
}
END_TEST

START_TEST(test_load_clock_frequency)
{
    struct hv_platform q;
    struct hv_err err;
    const char *path = write_dts(NULL, NULL, "clock-frequency = <1843200>;", NULL);
    ck_assert_msg(hv_platform_load_file(path, &q, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(q.devs[1].clock_hz, 1843200u);
    /* Via clocks/clock-names, the "uartclk" entry counts. */
    path =
        write_dts(NULL, NULL, "clocks = <&pclk>, <&uclk>; clock-names = \"apb_pclk\", \"uartclk\";",
                  "pclk: pclk { compatible = \"fixed-clock\"; #clock-cells = <0>;"
                  " clock-frequency = <24000000>; };"
                  "uclk: uclk { compatible = \"fixed-clock\"; #clock-cells = <0>;"
                  " clock-frequency = <7372800>; };");
    ck_assert_msg(hv_platform_load_file(path, &q, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(q.devs[1].clock_hz, 7372800u);
}
END_TEST

START_TEST(test_load_unknown_hvsim_key)
{
    expect_load_error(write_dts("hvsim,foo = <1>;", NULL, NULL, NULL),
                      "unknown platform key hvsim,foo at /");
}
END_TEST

START_TEST(test_load_unknown_hvsim_key_on_device)
{
    expect_load_error(write_dts(NULL, NULL, "hvsim,name = \"console\";", NULL),
                      "unknown platform key hvsim,name at /serial@9000000");
}
END_TEST

START_TEST(test_load_unknown_compatible)
{
    expect_load_error(write_dts(NULL, NULL, NULL,
                                "widget@9300000 { compatible = \"acme,widget\", \"acme,thing\";"
                                " reg = <0 0x09300000 0 0x1000>; };"),
                      "unknown device compatible \"acme,widget\" at /widget@9300000");
}
END_TEST

START_TEST(test_load_unknown_node)
{
    expect_load_error(write_dts(NULL, NULL, NULL, "reserved-memory { };"),
                      "unknown node /reserved-memory");
}
END_TEST

START_TEST(test_load_malformed_reg)
{
    expect_load_error(write_dts(NULL, NULL, NULL,
                                "serial@9100000 { compatible = \"arm,pl011\";"
                                " reg = <0 0x09100000 0x1000>; };"),
                      "malformed reg at /serial@9100000: 12 bytes");
}
END_TEST

START_TEST(test_load_two_ram_banks)
{
    expect_load_error(
        write_dts(NULL, "0 0x40000000 0 0x8000000 0 0x50000000 0 0x1000000", NULL, NULL),
        "only one RAM bank supported");
}
END_TEST

START_TEST(test_load_two_memory_nodes)
{
    expect_load_error(write_dts(NULL, NULL, NULL,
                                "memory@50000000 { device_type = \"memory\";"
                                " reg = <0 0x50000000 0 0x1000000>; };"),
                      "only one RAM bank supported: /memory@40000000 and /memory@50000000");
}
END_TEST

START_TEST(test_load_malformed_interrupts)
{
    expect_load_error(write_dts(NULL, NULL, NULL,
                                "serial@9100000 { compatible = \"arm,pl011\";"
                                " reg = <0 0x09100000 0 0x1000>; interrupts = <0 8 4 0 9 4>; };"),
                      "malformed interrupts at /serial@9100000: 24 bytes, expected 12");
}
END_TEST

START_TEST(test_load_ppi_interrupt)
{
    expect_load_error(write_dts(NULL, NULL, NULL,
                                "serial@9100000 { compatible = \"arm,pl011\";"
                                " reg = <0 0x09100000 0 0x1000>; interrupts = <1 8 4>; };"),
                      "interrupts at /serial@9100000: type 1 is not a GIC SPI");
}
END_TEST

START_TEST(test_load_bad_u32)
{
    expect_load_error(write_dts("hvsim,timer-frequency = /bits/ 64 <62500000>;", NULL, NULL, NULL),
                      "malformed hvsim,timer-frequency at /: 8 bytes, expected a 4-byte u32");
}
END_TEST

START_TEST(test_load_bad_cells)
{
    /* Edit the template's root #size-cells from <2> to <1>. */
    const char *path = write_dts(NULL, NULL, NULL, NULL);
    FILE *f = fopen(path, "r+");
    ck_assert_ptr_nonnull(f);
    char text[4096];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    char *ac = strstr(text, "#size-cells = <2>");
    ck_assert_ptr_nonnull(ac);
    ac[15] = '1';
    /* The regs below no longer match either; the cell sizes are reported. */
    expect_load_error(write_file("p.dts", text, n), "#size-cells = <1> at /");
}
END_TEST

START_TEST(test_load_too_many_devices)
{
    static char nodes[8192];
    size_t n = 0;
    for (unsigned i = 1; i <= HV_PLAT_MAX_DEVS; i++)
        n += (size_t)snprintf(
            nodes + n, sizeof(nodes) - n,
            "serial@%x { compatible = \"arm,pl011\"; reg = <0 0x%x 0 0x1000>; };\n",
            0x20000000 + 0x1000 * i, 0x20000000 + 0x1000 * i);
    /* gic + uart0 + 32 more: the 33rd device is refused. */
    expect_load_error(write_dts(NULL, NULL, NULL, nodes),
                      "too many devices at /serial@2001f000 (hvsim holds at most 32)");
}
END_TEST

START_TEST(test_load_validation_error)
{
    /* Parsed fine, then rejected by hv_platform_validate. */
    expect_load_error(write_dts(NULL, NULL, NULL,
                                "serial@9001000 { compatible = \"arm,pl011\";"
                                " reg = <0 0x09001000 0 0x1000>; interrupts = <0 1 4>; };"),
                      "uart0 and uart1 share SPI 1");
}
END_TEST

START_TEST(test_load_dtc_syntax_error)
{
    const char *text = "/dts-v1/;\n/ { model = \"x\" };\n";
    expect_load_error(write_file("bad.dts", text, strlen(text)), "dtc failed: Error:");
}
END_TEST

START_TEST(test_load_dtc_missing)
{
    const char *path = write_dts(NULL, NULL, NULL, NULL);
    char *old = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    ck_assert_int_eq(setenv("PATH", tmpdir, 1), 0);
    expect_load_error(path, "dtc (the device-tree compiler) is not installed");
    ck_assert_int_eq(setenv("PATH", old, 1), 0);
    free(old);
}
END_TEST

START_TEST(test_load_missing_file)
{
    expect_load_error("/nonexistent/p.dts", "cannot open: No such file or directory");
    expect_load_error("/nonexistent/p.dtb", "cannot open: No such file or directory");
}
END_TEST

START_TEST(test_load_truncated_dtb)
{
    struct hv_platform p = virt();
    size_t len;
    void *fdt = build(&p, NULL, &len);
    expect_load_error(write_file("t.dtb", fdt, len / 2), "invalid DTB: FDT_ERR_TRUNCATED");
    expect_load_error(write_file("h.dtb", fdt, 20), "truncated DTB: 20 bytes");
    free(fdt);
}
END_TEST

START_TEST(test_load_garbage)
{
    char junk[300];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (char)(i * 37 + 11);
    expect_load_error(write_file("g.dtb", junk, sizeof(junk)), "not a DTB (magic 0x");
    expect_load_error(write_file("g.txt", junk, sizeof(junk)),
                      "platform files are .dts or .dtb; read as a DTB: not a DTB");
}
END_TEST

/* Valid blobs with corrupted structure fail cleanly, never crash. */
START_TEST(test_from_dtb_corrupt)
{
    struct hv_platform p = virt(), q;
    struct hv_err err;
    size_t len;
    uint8_t *fdt = build(&p, NULL, &len);
    for (size_t off = 0; off < len; off += 7) {
        uint8_t save = fdt[off];
        fdt[off] ^= 0xa5;
        (void)hv_platform_from_dtb(fdt, len, &q, &err);
        fdt[off] = save;
    }
    ck_assert_int_eq(hv_platform_from_dtb(fdt, len, &q, &err), 0);

    /* A property length of 0xfffffff4 sends libfdt 1.6.1's tag walk back
     * to the same tag (fdt_check_full would never return): refused. The
     * first property follows the root's FDT_BEGIN_NODE and empty name. */
    uint8_t *prop = fdt + fdt_off_dt_struct(fdt) + 8;
    ck_assert_uint_eq(fdt32_to_cpu(*(fdt32_t *)prop), FDT_PROP);
    fdt32_t wrap = cpu_to_fdt32(0xfffffff4u), save_len;
    memcpy(&save_len, prop + 4, 4);
    memcpy(prop + 4, &wrap, 4);
    ck_assert_int_eq(hv_platform_from_dtb(fdt, len, &q, &err), -1);
    ck_assert_str_eq(err.msg, "invalid DTB: a property length wraps the structure block");
    memcpy(prop + 4, &save_len, 4);

    ck_assert_int_eq(hv_platform_from_dtb(fdt, 8, &q, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "truncated DTB"));
    free(fdt);
}
END_TEST

/* Names from the blob are escaped in messages: no newline can get through. */
START_TEST(test_from_dtb_escapes_names)
{
    char buf[2048];
    ck_assert_int_eq(fdt_create(buf, sizeof(buf)), 0);
    ck_assert_int_eq(fdt_finish_reservemap(buf), 0);
    ck_assert_int_eq(fdt_begin_node(buf, ""), 0);
    ck_assert_int_eq(fdt_property_u32(buf, "hvsim,bad\nkey\x1b", 1), 0);
    ck_assert_int_eq(fdt_end_node(buf), 0);
    ck_assert_int_eq(fdt_finish(buf), 0);
    struct hv_platform q;
    struct hv_err err;
    ck_assert_int_eq(hv_platform_from_dtb(buf, fdt_totalsize(buf), &q, &err), -1);
    ck_assert_str_eq(err.msg, "unknown platform key hvsim,bad\\x0akey\\x1b at /");

    /* A model with a control character is refused, not stored. */
    const char *path = write_dts(NULL, NULL, NULL, NULL);
    FILE *f = fopen(path, "r+");
    ck_assert_ptr_nonnull(f);
    char text[4096];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    char *m = strstr(text, "model = \"test\"");
    ck_assert_ptr_nonnull(m);
    memcpy(m, "model = \"\\t\"  ", 14);
    expect_load_error(write_file("p.dts", text, n),
                      "model at / has a character outside printable ASCII");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("platform");

    TCase *tc = tcase_create("builtin");
    tcase_add_test(tc, test_builtin_virt);
    tcase_add_test(tc, test_builtin_unknown);
    tcase_add_test(tc, test_type_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("validate");
    tcase_add_loop_test(tc, test_validate_rejects, 0, N_BAD_CASES);
    tcase_add_test(tc, test_validate_accepts_variants);
    suite_add_tcase(s, tc);

    tc = tcase_create("dtb");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, test_dtb_contents);
    tcase_add_test(tc, test_dtb_options);
    tcase_add_test(tc, test_dtb_grows);
    tcase_add_test(tc, test_dtb_deterministic);
    tcase_add_test(tc, test_dtb_passes_dtc);
    tcase_add_test(tc, test_round_trip_builtin);
    tcase_add_test(tc, test_round_trip_variant);
    tcase_add_test(tc, test_round_trip_ownership);
    tcase_add_test(tc, test_validate_ownership);
    tcase_add_test(tc, test_from_dtb_corrupt);
    tcase_add_test(tc, test_from_dtb_escapes_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_load_virt_dts);
    tcase_add_test(tc, test_load_dtb_file);
    tcase_add_test(tc, test_load_minimal_dts);
    tcase_add_test(tc, test_load_clock_frequency);
    tcase_add_test(tc, test_load_unknown_hvsim_key);
    tcase_add_test(tc, test_load_unknown_hvsim_key_on_device);
    tcase_add_test(tc, test_load_unknown_compatible);
    tcase_add_test(tc, test_load_unknown_node);
    tcase_add_test(tc, test_load_malformed_reg);
    tcase_add_test(tc, test_load_two_ram_banks);
    tcase_add_test(tc, test_load_two_memory_nodes);
    tcase_add_test(tc, test_load_malformed_interrupts);
    tcase_add_test(tc, test_load_ppi_interrupt);
    tcase_add_test(tc, test_load_bad_u32);
    tcase_add_test(tc, test_load_bad_cells);
    tcase_add_test(tc, test_load_too_many_devices);
    tcase_add_test(tc, test_load_validation_error);
    tcase_add_test(tc, test_load_dtc_syntax_error);
    tcase_add_test(tc, test_load_dtc_missing);
    tcase_add_test(tc, test_load_missing_file);
    tcase_add_test(tc, test_load_truncated_dtb);
    tcase_add_test(tc, test_load_garbage);
    suite_add_tcase(s, tc);

    return hv_check_run(s);
}
