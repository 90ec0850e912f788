/* hvsim: the command-line interface. The only place that prints to the
 * user's terminal and decides exit statuses (docs/cli.md). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/evfmt.h"
#include "common/observer.h"
#include "cpu_el2/cpu.h"
#include "demo.h"
#include "platform/loader.h"
#include "platform/machine.h"
#include "platform/platform.h"
#include "cli.h"
#include "replay.h"
#include "trace_cmd.h"
#include "walk_cmd.h"

/* Under LeakSanitizer (the test build): Unicorn 2.1.1 keeps a few
 * allocations past uc_close(). They are not ours; see tests/lsan.supp.
 * Linked statically (the CLI, CMakeLists.txt), LSan's stack stops at the
 * Unicorn function that allocated (libunicorn.a has no frame pointers):
 * its QEMU functions all end in _aarch64 (none of hvsim's do), and
 * g_array_new is its bundled glib's (hvsim uses no glib). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libunicorn.so\nleak:_aarch64\nleak:g_array_new\n";
}

/* Exit statuses (docs/cli.md). Run outcomes come from hv_stop_status(). */
#define EXIT_USAGE  1
#define EXIT_ENGINE 2

static const char usage_text[] =
    "usage: hvsim run [options] IMAGE | hvsim run [options] --bios FILE\n"
    "       hvsim demo [--trace FILE [--trace-events EVENTS]]\n"
    "       hvsim replay TRACE [--image PATH]... [--trace NEW] [-v]  (docs/traces.md)\n"
    "       hvsim trace show|json|info|stats|perfetto FILE [options]\n"
    "       hvsim trace diff A B [options]  (hvsim trace --help, docs/traces.md)\n"
    "       hvsim walk (--max-insns N | --at fault) [--addr ADDR] [--regime el10|el10-s1|el2|s2]\n"
    "                  [--access r|w|x] [--el 0|1] [--format text|dot] [--platform P] IMAGE\n"
    "                  a translation-table walk, step by step (docs/teaching/walk.md)\n"
    "       hvsim --help | --version\n"
    "\n"
    "IMAGE is an AArch64 ELF, a Linux arm64 Image, or FILE@ADDR for a raw binary.\n"
    "It starts at EL2h, entered from hvsim's EL3 boot ROM, with x0 = the DTB address.\n"
    "\n"
    "run options:\n"
    "  --platform FILE|NAME   platform description (.dts/.dtb), or a built-in name\n"
    "                         (default: virt)\n"
    "  -m SIZE                RAM size (e.g. 256M); default: the platform's\n"
    "  --load FILE@ADDR       also load a raw file at a physical address (repeatable)\n"
    "  --append ARGS          kernel command line (/chosen/bootargs)\n"
    "  --bios FILE            firmware (e.g. U-Boot) in the flash at 0x0, entered there at\n"
    "                         EL2, with the DTB at the start of RAM; replaces IMAGE\n"
    "  --initrd FILE          initial ramdisk, placed as QEMU places it\n"
    "                         (/chosen/linux,initrd-start/end)\n"
    "  --dtb-out FILE         write the generated DTB to FILE\n"
    "  --uart N=FILE          UART N output to FILE ('-' = stdout without prefix)\n"
    "  --uart-in N=FILE       feed FILE to UART N's receiver ('-' = all of stdin)\n"
    "  --uart-in-start TIME   virtual time of the first input byte (default 0)\n"
    "  --max-insns N          stop after N retired instructions (exit status 3)\n"
    "  --max-time TIME        stop at virtual time TIME, e.g. 10ms, 2s (exit status 3)\n"
    "  --mips N               instructions per virtual microsecond (default 1000)\n"
    "  --on-bus-error=abort|stop  access to a PA with nothing mapped: synchronous external\n"
    "                         abort to the guest (default), or stop the run (status 4)\n"
    "  --on-violation=log|stop  an isolation violation (platforms that name owners,\n"
    "                         docs/mmu.md): report it (default), or also stop (status 6)\n"
    "  --log EVENTS           print events to stderr: exc,eret,sysreg,mmio,bus,uart,\n"
    "                         psci,wfi,guest-error,unimpl,stop,soc,devstate,isolation\n"
    "                         or all\n"
    "  --trace FILE           record a binary trace of the run (docs/trace-format.md)\n"
    "  --trace-events EVENTS  the event types to record (default all), as for --log\n"
    "  --uart-rate BAUD       the bit rate the terminals on the UARTs use (8N1; default\n"
    "                         115200): input pacing, and the rate uart1..3's output\n"
    "                         must match (docs/soc.md)\n"
    "  --health               print the device-health summary of the CRU/GRF-dependent\n"
    "                         devices at the end (to stderr)\n"
    "  --engine-page-size N   the engine's (TCG's) page size: 4096 (default) or 1024,\n"
    "                         Unicorn's own; moves block boundaries, not the guest's\n"
    "                         granule (docs/architecture.md, \"Engine pages\")\n"
    "  -q, --quiet            no status line and no end-of-run report\n"
    "\n"
    "exit status: 0 powered off (PSCI SYSTEM_OFF), 1 bad input or usage,\n"
    "2 engine failure, 3 --max-insns/--max-time reached, 4 guest stuck (bus error,\n"
    "WFI forever, CPU_OFF), 5 guest asked for SYSTEM_RESET, 6 isolation violation\n"
    "(--on-violation=stop). See docs/cli.md.\n";

static void usage(FILE *f)
{
    fputs(usage_text, f);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "hvsim: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(try 'hvsim --help')\n");
    return EXIT_USAGE;
}

/* TIME: a number with a unit ns, us, ms or s (default ns). */
static int parse_time(const char *s, uint64_t *ns)
{
    char num[32];
    size_t n = strspn(s, "0123456789xXabcdefABCDEF");
    const char *unit = s + n;
    uint64_t v, mul;

    if (n == 0 || n >= sizeof(num))
        return -1;
    /* Units first, so that "10s" is not read as hex. */
    if (strcmp(unit, "") == 0 || strcmp(unit, "ns") == 0)
        mul = 1;
    else if (strcmp(unit, "us") == 0)
        mul = 1000;
    else if (strcmp(unit, "ms") == 0)
        mul = 1000000;
    else if (strcmp(unit, "s") == 0)
        mul = 1000000000;
    else
        return -1;
    memcpy(num, s, n);
    num[n] = 0;
    if (hv_parse_u64(num, false, &v) || (v && mul > UINT64_MAX / v))
        return -1;
    *ns = v * mul;
    return 0;
}

static int parse_port_assign(const char *s, unsigned *port, const char **val)
{
    const char *eq = strchr(s, '=');
    char num[16];
    uint64_t p;
    if (!eq || eq == s || (size_t)(eq - s) >= sizeof(num) || !eq[1])
        return -1;
    memcpy(num, s, (size_t)(eq - s));
    num[eq - s] = 0;
    if (hv_parse_u64(num, false, &p) || p >= HV_MAX_UARTS)
        return -1;
    *port = (unsigned)p;
    *val = eq + 1;
    return 0;
}

/* ---- event log and status line ---------------------------------------- */

static void log_event(void *ctx, const struct hv_event *ev)
{
    char line[512];
    (void)ctx;
    hv_event_format(ev, line, sizeof(line));
    fprintf(stderr, "hvsim: %s\n", line);
}

/* Guest errors and unimplemented features are always reported, once per
 * distinct message, so a guest hammering a register does not flood. */
struct report_ctx {
    char seen[64][160];
    unsigned nseen;
    unsigned suppressed;
};

static void report_event(void *ctx, const struct hv_event *ev)
{
    struct report_ctx *r = ctx;
    char body[400];
    hv_event_body(ev, body, sizeof(body));
    for (unsigned i = 0; i < r->nseen; i++)
        if (strncmp(r->seen[i], body, sizeof(r->seen[i]) - 1) == 0) {
            r->suppressed++;
            return;
        }
    if (r->nseen < 64) {
        char *slot = r->seen[r->nseen++];
        size_t n = strnlen(body, sizeof(r->seen[0]) - 1);
        memcpy(slot, body, n);
        slot[n] = '\0';
    }
    fprintf(stderr, "hvsim: %s\n", body);
}

struct status_ctx {
    struct timespec start, last;
    bool shown;
};

static double since(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Host time is read here, in the CLI, only to pace the display; it never
 * reaches the simulation. */
static void status_line(void *ctx, uint64_t icount, uint64_t vtime)
{
    struct status_ctx *s = ctx;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (since(&s->last, &now) < 0.25)
        return;
    s->last = now;
    double wall = since(&s->start, &now);
    fprintf(stderr, "\r\033[K[hvsim] %.3f G insns  %.0f MIPS  virtual %.3f s", (double)icount / 1e9,
            wall > 0 ? (double)icount / wall / 1e6 : 0.0, (double)vtime / 1e9);
    s->shown = true;
}

/* ---- run ------------------------------------------------------------------ */

/* --health: one line per CRU/GRF-dependent device (docs/soc.md). */
static void print_health(struct hv_machine *m)
{
    struct hv_dev_health h;
    if (!hv_machine_health(m, 0, &h)) {
        fprintf(stderr, "device health: the platform has no CRU/GRF-dependent devices\n");
        return;
    }
    fprintf(stderr, "device health (CRU/GRF-dependent devices; line rate %" PRIu32 " 8N1):\n",
            h.line_baud);
    fprintf(stderr, "  %-7s %9s %9s %8s %8s %8s %12s %12s %6s %9s\n", "device", "tx", "rx",
            "framing", "garbled", "lost", "reset_ns", "gated_ns", "mux", "i2c ok/bad");
    for (unsigned i = 0; hv_machine_health(m, i, &h); i++)
        fprintf(stderr,
                "  %-7s %9" PRIu64 " %9" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %12" PRIu64
                " %12" PRIu64 " %6" PRIu64 " %4" PRIu64 "/%" PRIu64 "\n",
                h.name, h.tx_bytes, h.rx_bytes, h.framing_errors, h.garbled, h.lost, h.reset_ns,
                h.gated_ns, h.mux_changes, h.i2c_ok, h.i2c_failed);
}

int hv_cli_run_machine(struct hv_machine_opts *o, const struct run_cli *c, struct hv_obs *obs,
                       bool report)
{
    struct hv_platform plat;
    struct hv_err err;
    struct hv_machine *m;
    struct hv_run_result res;
    static struct report_ctx rep;
    struct status_ctx st;

    const char *pname = c->platform ? c->platform : "virt";
    if (strchr(pname, '/') || strchr(pname, '.')) {
        if (hv_platform_load_file(pname, &plat, &err)) {
            fprintf(stderr, "hvsim: platform %s: %s\n", pname, err.msg);
            return EXIT_USAGE;
        }
    } else if (hv_platform_builtin(pname, &plat, &err)) {
        fprintf(stderr, "hvsim: %s\n", err.msg);
        return EXIT_USAGE;
    }
    if (c->ram_size)
        plat.ram_size = c->ram_size;
    o->platform = &plat;

    if (c->log_mask)
        hv_obs_subscribe(obs, c->log_mask, log_event, NULL);
    hv_obs_subscribe(
        obs,
        (HV_EV_BIT(HV_EV_GUEST_ERROR) | HV_EV_BIT(HV_EV_UNIMPL) | HV_EV_BIT(HV_EV_ISOLATION)) &
            ~c->log_mask,
        report_event, &rep);

    if (c->before_machine) {
        int rc = c->before_machine(c->hook_ctx, o, &plat, obs);
        if (rc)
            return rc;
    }
    struct hv_trace_cli *trace;
    if (hv_trace_cli_begin(&trace, c->trace_path, c->trace_mask, c->argc, c->argv, o, &plat, obs))
        return EXIT_USAGE;
    if (hv_machine_create(&m, o, obs, &err)) {
        fprintf(stderr, "hvsim: %s\n", err.msg);
        return hv_trace_cli_end(trace, EXIT_USAGE);
    }
    const char *page_notice = hv_cpu_page_notice(hv_machine_cpu(m));
    if (page_notice)
        fprintf(stderr, "hvsim: note: %s\n", page_notice);
    hv_trace_cli_attach(trace, m);
    if (c->on_machine)
        c->on_machine(c->hook_ctx, m);
    memset(&st, 0, sizeof(st));
    if (!c->quiet && isatty(STDERR_FILENO)) {
        clock_gettime(CLOCK_MONOTONIC, &st.start);
        st.last = st.start;
        hv_machine_set_progress(m, status_line, &st, 50000000);
    }
    if (hv_machine_run(m, &res, &err)) {
        fprintf(stderr, "hvsim: %s\n", err.msg);
        hv_machine_destroy(m);
        return hv_trace_cli_end(trace, EXIT_ENGINE);
    }
    if (st.shown)
        fprintf(stderr, "\r\033[K");
    if (report && (!c->quiet || res.status != 0))
        fprintf(stderr, "hvsim: %s after %" PRIu64 " instructions, %" PRIu64 " ns virtual: %s\n",
                hv_stop_name(res.reason), res.icount, res.vtime_ns, res.detail);
    if (rep.suppressed && !c->quiet)
        fprintf(stderr, "hvsim: (%u repeated reports suppressed)\n", rep.suppressed);
    if (c->health)
        print_health(m);
    hv_machine_destroy(m);
    return hv_trace_cli_end(trace, res.status);
}

/* Used by the demo: run one image on the default platform, quietly, as
 * `hvsim run -q IMAGE` (which its trace records as the options). */
int hv_cli_run_machine_image(const char *image, const char *trace, uint32_t trace_mask,
                             struct hv_obs *obs, int *status)
{
    struct hv_machine_opts o;
    struct run_cli c;
    char *argv[] = {"-q", (char *)image};
    memset(&o, 0, sizeof(o));
    memset(&c, 0, sizeof(c));
    o.image = image;
    c.quiet = true;
    c.trace_path = trace;
    c.trace_mask = trace_mask;
    c.argc = 2;
    c.argv = argv;
    *status = hv_cli_run_machine(&o, &c, obs, true);
    return *status != 0;
}

int hv_cli_parse_run(int argc, char **argv, struct hv_machine_opts *o, struct run_cli *c,
                     char *allocs[HV_MAX_LOADS])
{
    memset(o, 0, sizeof(*o));
    memset(c, 0, sizeof(*c));
    c->trace_mask = HV_EV_ALL;
    c->argc = argc;
    c->argv = argv;

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned port;
        const char *pv;
#define NEED_ARG()                                                                                 \
    do {                                                                                           \
        if (!v)                                                                                    \
            return usage_error("option %s needs an argument", a);                                  \
        i++;                                                                                       \
    } while (0)
        if (strcmp(a, "--platform") == 0) {
            NEED_ARG();
            c->platform = v;
        } else if (strcmp(a, "-m") == 0) {
            NEED_ARG();
            if (hv_parse_u64(v, true, &c->ram_size) || c->ram_size == 0)
                return usage_error("malformed size for -m: '%s'", v);
            if (c->ram_size < 4096) /* plain numbers are MiB, as in QEMU */
                c->ram_size <<= 20;
        } else if (strcmp(a, "--load") == 0) {
            NEED_ARG();
            struct hv_err err;
            if (o->nloads >= HV_MAX_LOADS)
                return usage_error("too many --load options (max %s)", "8");
            if (hv_parse_file_at(v, &allocs[o->nloads], &o->loads[o->nloads].addr, &err))
                return usage_error("--load: %s", err.msg);
            o->loads[o->nloads].path = allocs[o->nloads];
            o->nloads++;
        } else if (strcmp(a, "--append") == 0) {
            NEED_ARG();
            o->bootargs = v;
        } else if (strcmp(a, "--bios") == 0) {
            NEED_ARG();
            o->bios = v;
        } else if (strcmp(a, "--initrd") == 0) {
            NEED_ARG();
            o->initrd = v;
        } else if (strcmp(a, "--dtb-out") == 0) {
            NEED_ARG();
            o->dtb_out = v;
        } else if (strcmp(a, "--uart") == 0) {
            NEED_ARG();
            if (parse_port_assign(v, &port, &pv))
                return usage_error("--uart wants N=FILE with N < 8, not '%s'", v);
            o->uart_out[port] = pv;
        } else if (strcmp(a, "--uart-in") == 0) {
            NEED_ARG();
            if (parse_port_assign(v, &port, &pv))
                return usage_error("--uart-in wants N=FILE with N < 8, not '%s'", v);
            o->uart_in[port] = pv;
        } else if (strcmp(a, "--uart-in-start") == 0) {
            NEED_ARG();
            if (parse_time(v, &o->uart_in_start_ns))
                return usage_error("malformed time '%s' (e.g. 500us, 10ms, 1s)", v);
        } else if (strcmp(a, "--max-insns") == 0) {
            NEED_ARG();
            if (hv_parse_u64(v, true, &o->max_insns) || o->max_insns == 0)
                return usage_error("malformed instruction count '%s'", v);
        } else if (strcmp(a, "--max-time") == 0) {
            NEED_ARG();
            if (parse_time(v, &o->max_time_ns) || o->max_time_ns == 0)
                return usage_error("malformed time '%s' (e.g. 500us, 10ms, 1s)", v);
        } else if (strcmp(a, "--mips") == 0) {
            NEED_ARG();
            uint64_t mips;
            if (hv_parse_u64(v, false, &mips) || mips == 0 || mips > 1000000)
                return usage_error("--mips wants 1..1000000, not '%s'", v);
            o->mips = (uint32_t)mips;
        } else if (strcmp(a, "--on-bus-error") == 0 || strncmp(a, "--on-bus-error=", 15) == 0) {
            const char *mode = a[14] == '=' ? a + 15 : v;
            if (a[14] != '=')
                NEED_ARG();
            if (strcmp(mode, "abort") == 0)
                o->on_bus_error = HV_BUS_ERROR_ABORT;
            else if (strcmp(mode, "stop") == 0)
                o->on_bus_error = HV_BUS_ERROR_STOP;
            else
                return usage_error("--on-bus-error wants abort or stop, not '%s'", mode);
        } else if (strcmp(a, "--on-violation") == 0 || strncmp(a, "--on-violation=", 15) == 0) {
            const char *mode = a[14] == '=' ? a + 15 : v;
            if (a[14] != '=')
                NEED_ARG();
            if (strcmp(mode, "log") == 0)
                o->on_violation = HV_VIOLATION_LOG;
            else if (strcmp(mode, "stop") == 0)
                o->on_violation = HV_VIOLATION_STOP;
            else
                return usage_error("--on-violation wants log or stop, not '%s'", mode);
        } else if (strcmp(a, "--log") == 0) {
            NEED_ARG();
            if (hv_ev_parse_mask(v, &c->log_mask))
                return usage_error("unknown event name in '%s'", v);
        } else if (strcmp(a, "--trace") == 0) {
            NEED_ARG();
            c->trace_path = v;
        } else if (strcmp(a, "--trace-events") == 0) {
            NEED_ARG();
            if (hv_ev_parse_mask(v, &c->trace_mask))
                return usage_error("unknown event name in '%s'", v);
        } else if (strcmp(a, "--uart-rate") == 0) {
            NEED_ARG();
            uint64_t baud;
            if (hv_parse_u64(v, false, &baud) || baud < 50 || baud > 20000000)
                return usage_error("--uart-rate wants a bit rate 50..20000000, not '%s'", v);
            o->uart_baud = (uint32_t)baud;
        } else if (strcmp(a, "--engine-page-size") == 0) {
            NEED_ARG();
            uint64_t ps;
            if (hv_parse_u64(v, false, &ps) || (ps != 1024 && ps != 4096))
                return usage_error("--engine-page-size wants 1024 or 4096, not '%s'", v);
            o->engine_page_size = (uint32_t)ps;
        } else if (strcmp(a, "--health") == 0) {
            c->health = true;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            c->quiet = true;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option %s", a);
        } else if (o->image) {
            return usage_error("more than one IMAGE given ('%s')", a);
        } else {
            o->image = a;
        }
#undef NEED_ARG
    }
    if (!o->image && !o->bios)
        return usage_error("%s", "no IMAGE given");
    if (o->image && o->bios)
        return usage_error("--bios runs the firmware from flash: give other files with --load "
                           "FILE@ADDR, not as IMAGE ('%s')",
                           o->image);
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    struct hv_machine_opts o;
    struct run_cli c;
    struct hv_obs obs;
    char *allocs[HV_MAX_LOADS] = {0};
    int rc;

    hv_obs_init(&obs);
    rc = hv_cli_parse_run(argc, argv, &o, &c, allocs);
    if (rc == 0)
        rc = hv_cli_run_machine(&o, &c, &obs, true);
    for (unsigned i = 0; i < HV_MAX_LOADS; i++)
        free(allocs[i]);
    return rc;
}

/* The directory of the hvsim executable (images are found next to it). */
static void exe_dir(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0) {
        snprintf(buf, len, ".");
        return;
    }
    buf[n] = 0;
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = 0;
}

static int cmd_demo(int argc, char **argv)
{
    char dir[PATH_MAX], image[PATH_MAX + 32];
    const char *env = getenv("HVSIM_DEMO_IMAGE");
    const char *trace = NULL;
    uint32_t trace_mask = HV_EV_ALL;
    for (int i = 0; i < argc; i++) {
        if ((strcmp(argv[i], "--trace") == 0 || strcmp(argv[i], "--trace-events") == 0) &&
            i + 1 >= argc)
            return usage_error("option %s needs an argument", argv[i]);
        if (strcmp(argv[i], "--trace") == 0) {
            trace = argv[++i];
        } else if (strcmp(argv[i], "--trace-events") == 0) {
            if (hv_ev_parse_mask(argv[++i], &trace_mask))
                return usage_error("unknown event name in '%s'", argv[i]);
        } else {
            return usage_error("'hvsim demo' takes only --trace FILE and --trace-events LIST "
                               "(got '%s')",
                               argv[i]);
        }
    }
    if (env) {
        snprintf(image, sizeof(image), "%s", env);
    } else {
        exe_dir(dir, sizeof(dir));
        snprintf(image, sizeof(image), "%s/images/demo.elf", dir);
    }
    if (access(image, R_OK) != 0) {
        fprintf(stderr, "hvsim: demo image %s not found (build it with 'make' first): %s\n", image,
                strerror(errno));
        return EXIT_USAGE;
    }
    return hv_demo_run(image, trace, trace_mask);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("hvsim %s (Unicorn %s)\n", HVSIM_VERSION, hv_cpu_engine_version());
        return 0;
    }
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 2, argv + 2);
    if (strcmp(argv[1], "trace") == 0)
        return hv_trace_cmd(argc - 2, argv + 2);
    if (strcmp(argv[1], "replay") == 0)
        return hv_replay_cmd(argc - 2, argv + 2);
    if (strcmp(argv[1], "walk") == 0)
        return hv_walk_cmd(argc - 2, argv + 2);
    if (strcmp(argv[1], "demo") == 0)
        return cmd_demo(argc - 2, argv + 2);
    return usage_error("unknown command '%s'", argv[1]);
}
