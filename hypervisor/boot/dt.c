/* The platform from the DTB, read with libfdt (Debian's libfdt.a for
 * arm64). What is taken: /memory, the GICv3 (GICD and GICR), the timer's
 * PPIs, every arm,pl011 (in DTB order, the first is the console unless
 * /chosen/stdout-path names another), the PSCI conduit, and the optional
 * CRU, GRF and hvsim event port. Bindings: Linux
 * Documentation/devicetree/bindings (arm,gic-v3.yaml, arm,arch_timer.yaml,
 * arm,pl011.yaml, arm/psci.yaml). */
#include <libfdt.h>

#include "../hyp.h"
#include "../lib/fmt.h"

static uint64_t cells(const fdt32_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 32 | fdt32_to_cpu(p[i]);
    return v;
}

/* The idx-th <addr size> of node's reg, with the parent's cell sizes. */
static int reg_of(const void *fdt, int node, int idx, uint64_t *base, uint64_t *size)
{
    int parent = fdt_parent_offset(fdt, node);
    int ac = fdt_address_cells(fdt, parent), sc = fdt_size_cells(fdt, parent);
    if (ac < 1 || ac > 2 || sc < 0 || sc > 2)
        return -1;
    int len;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
    int per = ac + sc;
    if (!reg || len < (idx + 1) * per * 4)
        return -1;
    reg += idx * per;
    *base = cells(reg, ac);
    *size = cells(reg + ac, sc);
    return 0;
}

/* The interrupt of a node as an INTID: <type num flags>, type 0 SPI
 * (INTID 32 + num), 1 PPI (INTID 16 + num). */
static int intid_of(const void *fdt, int node, int idx)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, "interrupts", &len);
    if (!p || len < (idx + 1) * 12)
        return -1;
    uint32_t type = fdt32_to_cpu(p[idx * 3]), num = fdt32_to_cpu(p[idx * 3 + 1]);
    if (type == 0 && num <= 987)
        return (int)(32 + num);
    if (type == 1 && num < 16)
        return (int)(16 + num);
    return -1;
}

static int first_compatible(const void *fdt, const char *const *compat)
{
    for (; *compat; compat++) {
        int n = fdt_node_offset_by_compatible(fdt, -1, *compat);
        if (n >= 0)
            return n;
    }
    return -FDT_ERR_NOTFOUND;
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        hyp_snprintf(err, errlen, __VA_ARGS__);                                                    \
        return -1;                                                                                 \
    } while (0)

int hyp_dt_parse(const void *dtb, struct hyp_platform *p, char *err, size_t errlen)
{
    int r = fdt_check_header(dtb);
    if (r)
        FAIL("bad DTB at %p: %s", dtb, fdt_strerror(r));
    p->dtb = dtb;
    p->dtb_size = fdt_totalsize(dtb);
    const char *model = fdt_getprop(dtb, 0, "model", NULL);
    hyp_snprintf(p->model, sizeof p->model, "%s", model ? model : "(no model)");

    /* Memory: the first node with device_type = "memory". */
    int mem = fdt_node_offset_by_prop_value(dtb, -1, "device_type", "memory", 7);
    if (mem < 0 || reg_of(dtb, mem, 0, &p->ram_base, &p->ram_size))
        FAIL("DTB has no usable /memory node");

    static const char *const gic_compat[] = {"arm,gic-v3", NULL};
    int gic = first_compatible(dtb, gic_compat);
    if (gic < 0)
        FAIL("DTB has no arm,gic-v3 node: this hypervisor needs a GICv3");
    if (reg_of(dtb, gic, 0, &p->gicd, &p->gicd_size) ||
        reg_of(dtb, gic, 1, &p->gicr, &p->gicr_size))
        FAIL("GICv3 node without GICD and GICR reg ranges");
    int maint = intid_of(dtb, gic, 0);
    p->ppi_maint = maint > 0 ? (unsigned)maint : 25;

    static const char *const timer_compat[] = {"arm,armv8-timer", "arm,armv7-timer", NULL};
    int timer = first_compatible(dtb, timer_compat);
    if (timer < 0)
        FAIL("DTB has no arm,armv8-timer node");
    /* interrupts: secure phys, non-secure phys, virtual, hypervisor. */
    int ns = intid_of(dtb, timer, 1), virt = intid_of(dtb, timer, 2),
        hypt = intid_of(dtb, timer, 3);
    if (ns < 16 || virt < 16 || hypt < 16 || ns > 31 || virt > 31 || hypt > 31)
        FAIL("timer node: expected 4 PPIs (secure, non-secure, virtual, hypervisor)");
    int sec = intid_of(dtb, timer, 0);
    p->ppi_sec = sec >= 16 && sec <= 31 ? (unsigned)sec : 29;
    p->ppi_phys = (unsigned)ns;
    p->ppi_virt = (unsigned)virt;
    p->ppi_hyp = (unsigned)hypt;

    /* UARTs, in DTB order. */
    p->nuarts = 0;
    for (int n = fdt_node_offset_by_compatible(dtb, -1, "arm,pl011"); n >= 0;
         n = fdt_node_offset_by_compatible(dtb, n, "arm,pl011")) {
        const char *status = fdt_getprop(dtb, n, "status", NULL);
        if (status && strcmp(status, "okay") && strcmp(status, "ok"))
            continue; /* e.g. QEMU's secure UART with secure=on */
        if (p->nuarts == HYP_MAX_UARTS)
            break;
        struct hyp_uart *u = &p->uart[p->nuarts];
        if (reg_of(dtb, n, 0, &u->base, &u->size))
            FAIL("pl011 node %s without reg", fdt_get_name(dtb, n, NULL));
        u->intid = intid_of(dtb, n, 0);
        p->nuarts++;
    }
    if (p->nuarts == 0)
        FAIL("DTB has no arm,pl011 UART for the console");
    /* /chosen/stdout-path names the console; make it UART 0. */
    int chosen = fdt_path_offset(dtb, "/chosen");
    const char *sp = chosen >= 0 ? fdt_getprop(dtb, chosen, "stdout-path", NULL) : NULL;
    if (sp) {
        char path[96];
        unsigned k = 0;
        while (sp[k] && sp[k] != ':' && k < sizeof path - 1) {
            path[k] = sp[k];
            k++;
        }
        path[k] = 0;
        int con = fdt_path_offset(dtb, path);
        uint64_t cb, cs;
        if (con >= 0 && !reg_of(dtb, con, 0, &cb, &cs)) {
            for (unsigned i = 1; i < p->nuarts; i++)
                if (p->uart[i].base == cb) {
                    struct hyp_uart t = p->uart[0];
                    p->uart[0] = p->uart[i];
                    p->uart[i] = t;
                }
        }
    }

    /* /chosen/bootargs: the hypervisor's own options (one so far). */
    p->timer_advance_ns = -1;
    const char *args = chosen >= 0 ? fdt_getprop(dtb, chosen, "bootargs", NULL) : NULL;
    static const char opt[] = "hyp.timer_advance_ns=";
    for (const char *a = args; a && *a; a++) {
        if ((a != args && a[-1] != ' ') || strncmp(a, opt, sizeof opt - 1))
            continue;
        const char *d = a + sizeof opt - 1;
        int64_t v = 0;
        while (*d >= '0' && *d <= '9' && v <= HYP_TIMER_ADVANCE_MAX_NS)
            v = v * 10 + (*d++ - '0');
        if (d == a + sizeof opt - 1 || (*d && *d != ' ') || v > HYP_TIMER_ADVANCE_MAX_NS)
            FAIL("bootargs: %s: a number of ns up to %u expected", opt, HYP_TIMER_ADVANCE_MAX_NS);
        p->timer_advance_ns = v;
    }

    static const char *const psci_compat[] = {"arm,psci-1.0", "arm,psci-0.2", "arm,psci", NULL};
    int psci = first_compatible(dtb, psci_compat);
    p->have_psci = psci >= 0;
    if (psci >= 0) {
        const char *method = fdt_getprop(dtb, psci, "method", NULL);
        p->psci_smc = method && !strcmp(method, "smc");
    }

    /* Optional blocks. */
    int n = fdt_node_offset_by_compatible(dtb, -1, "rockchip,rk3568-cru");
    if (n >= 0)
        reg_of(dtb, n, 0, &p->cru, &p->cru_size);
    n = fdt_node_offset_by_compatible(dtb, -1, "rockchip,rk3568-grf");
    if (n >= 0)
        reg_of(dtb, n, 0, &p->grf, &p->grf_size);
    n = fdt_node_offset_by_compatible(dtb, -1, "hvsim,simple-i2c");
    p->i2c_intid = -1;
    if (n >= 0 && !reg_of(dtb, n, 0, &p->i2c, &p->i2c_size))
        p->i2c_intid = intid_of(dtb, n, 0);
    n = fdt_node_offset_by_compatible(dtb, -1, "hvsim,event-port");
    if (n >= 0)
        reg_of(dtb, n, 0, &p->evtport, &p->evtport_size);
    return 0;
}
