/* hvsim CLI: `hvsim run --trace FILE` (the recorder's set-up) and
 * `hvsim trace show|json|info FILE` (the reader). docs/trace-format.md. */
#define _GNU_SOURCE
#include "trace_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/evfmt.h"
#include "cpu_el2/cpu.h"
#include "cpu_el2/sysreg.h"
#include "platform/loader.h"
#include "trace/trace.h"

#define EXIT_USAGE 1

struct hv_trace_cli {
    const char *path;
    FILE *f;
    struct hv_trace_writer *w;
    char stdin_tmp[64]; /* the temporary file holding stdin's UART input */
};

/* An image's bytes for its hash: mapped (the page cache's pages, no copy
 * and no zeroed buffer: reading a 450 KiB image was a few percent of a
 * short traced run), or read when it cannot be mapped (an empty file, a
 * pipe). *mapped says how to release it (release_bytes). */
static int image_bytes(const char *path, uint8_t **data, size_t *len, bool *mapped,
                       struct hv_err *err)
{
    struct stat st;
    int fd = open(path, O_RDONLY);
    *mapped = false;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            close(fd);
            *data = p;
            *len = (size_t)st.st_size;
            *mapped = true;
            return 0;
        }
    }
    if (fd >= 0)
        close(fd);
    return hv_read_file(path, data, len, err);
}

static void release_bytes(uint8_t *data, size_t len, bool mapped)
{
    if (mapped)
        munmap(data, len);
    else
        free(data);
}

static int fail_begin(struct hv_trace_cli *t, const char *what)
{
    fprintf(stderr, "hvsim: trace %s: %s\n", t->path, what);
    if (t->f)
        fclose(t->f);
    if (t->stdin_tmp[0])
        unlink(t->stdin_tmp);
    free(t);
    return EXIT_USAGE;
}

int hv_trace_cli_begin(struct hv_trace_cli **out, const char *path, uint32_t mask, int argc,
                       char **argv, struct hv_machine_opts *o, const struct hv_platform *plat,
                       struct hv_obs *obs)
{
    struct hv_trace_image images[1 + HV_MAX_LOADS];
    struct hv_trace_input inputs[HV_MAX_UARTS];
    uint8_t *idata[1 + HV_MAX_LOADS] = {0}, *indata[HV_MAX_UARTS] = {0};
    size_t ilen[1 + HV_MAX_LOADS] = {0};
    bool imapped[1 + HV_MAX_LOADS] = {0};
    const char **args = NULL;
    struct hv_trace_header h;
    struct hv_err err;
    void *dtb = NULL;
    size_t dtb_len = 0;
    int rc = 0;

    *out = NULL;
    if (!path)
        return 0;
    struct hv_trace_cli *t = calloc(1, sizeof(*t));
    if (!t)
        return EXIT_USAGE;
    t->path = path;
    memset(&h, 0, sizeof(h));
    h.hvsim_version = HVSIM_VERSION;
    h.platform_name = plat->name;
    h.event_mask = mask;

    /* The platform, as the canonical DTB hvsim generates from it. */
    struct hv_dtb_opts dopts = {0};
    if (hv_platform_build_dtb(plat, &dopts, &dtb, &dtb_len, &err) == 0) {
        h.platform_desc = dtb;
        h.platform_len = dtb_len;
    }

    /* The images, hashed over their bytes. An unreadable one is left out:
     * the machine reports it. */
    for (unsigned i = 0; i <= o->nloads && i <= HV_MAX_LOADS; i++) {
        const char *spec = i == 0 ? o->image : o->loads[i - 1].path;
        if (!spec)
            continue; /* --bios without an IMAGE */
        char *alloc = NULL;
        const char *file = spec;
        uint64_t addr = i == 0 ? 0 : o->loads[i - 1].addr;
        size_t len;
        if (i == 0 && strchr(spec, '@')) {
            if (hv_parse_file_at(spec, &alloc, &addr, &err))
                continue;
            file = alloc;
        }
        if (image_bytes(file, &idata[h.nimages], &len, &imapped[h.nimages], &err) == 0) {
            ilen[h.nimages] = len;
            images[h.nimages] = (struct hv_trace_image){.role = i ? 1 : 0,
                                                        .addr = addr,
                                                        .path = spec,
                                                        .data = idata[h.nimages],
                                                        .len = len};
            h.nimages++;
        }
        free(alloc);
    }
    h.images = images;

    /* The external inputs: each UART's input bytes and their schedule. */
    for (unsigned n = 0; n < HV_MAX_UARTS; n++) {
        const char *in = o->uart_in[n];
        size_t len = 0;
        if (!in)
            continue;
        if (strcmp(in, "-") == 0) {
            size_t cap = 0;
            int c;
            while ((c = getchar()) != EOF) {
                if (len == cap) {
                    cap = cap ? cap * 2 : 4096;
                    uint8_t *p = realloc(indata[h.ninputs], cap);
                    if (!p) {
                        rc = fail_begin(t, "out of memory reading stdin");
                        goto out;
                    }
                    indata[h.ninputs] = p;
                }
                indata[h.ninputs][len++] = (uint8_t)c;
            }
            /* The machine reads stdin itself; give it the bytes read here. */
            const char *tmp = getenv("TMPDIR");
            snprintf(t->stdin_tmp, sizeof(t->stdin_tmp), "%s/hvsim-stdin-XXXXXX",
                     tmp && strlen(tmp) < 32 ? tmp : "/tmp");
            int fd = mkstemp(t->stdin_tmp);
            if (fd < 0 || (len && write(fd, indata[h.ninputs], len) != (ssize_t)len)) {
                if (fd >= 0)
                    close(fd);
                rc = fail_begin(t, "cannot keep stdin in a temporary file");
                goto out;
            }
            close(fd);
            o->uart_in[n] = t->stdin_tmp;
        } else if (hv_read_file(in, &indata[h.ninputs], &len, &err)) {
            continue; /* the machine reports it */
        }
        inputs[h.ninputs] = (struct hv_trace_input){.port = (uint8_t)n,
                                                    .start_ns = o->uart_in_start_ns,
                                                    .baud = o->uart_baud,
                                                    .data = indata[h.ninputs],
                                                    .len = len};
        h.ninputs++;
    }
    h.inputs = inputs;

    /* The options as given, without `--trace FILE`: where the trace goes
     * does not change the run, and two recordings must be identical. */
    args = calloc((size_t)argc + 1, sizeof(*args));
    if (!args) {
        rc = fail_begin(t, "out of memory");
        goto out;
    }
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--trace") == 0 && i + 1 < argc) {
            i++;
            continue;
        }
        args[h.argc++] = argv[i];
    }
    h.argv = args;

    t->f = fopen(path, "wb");
    if (!t->f) {
        rc = fail_begin(t, strerror(errno));
        goto out;
    }
    if (hv_trace_writer_open(&t->w, t->f, &h, &err)) {
        rc = fail_begin(t, err.msg);
        goto out;
    }
    if (hv_obs_subscribe(obs, mask, hv_trace_record, t->w)) {
        hv_trace_writer_close(t->w, NULL);
        rc = fail_begin(t, "too many observers");
        goto out;
    }
    *out = t;
out:
    free(args);
    free(dtb);
    for (unsigned i = 0; i < 1 + HV_MAX_LOADS; i++)
        if (idata[i])
            release_bytes(idata[i], ilen[i], imapped[i]);
    for (unsigned i = 0; i < HV_MAX_UARTS; i++)
        free(indata[i]);
    return rc;
}

/* The VM an event belongs to, from the architecture: below EL2 with stage 2
 * on (HCR_EL2.VM), the VMID in VTTBR_EL2 (Arm ARM D17.2: VMID[15:8] counts
 * only with VTCR_EL2.VS = 1) and, for the vCPU, the affinity the hypervisor
 * gives it in VMPIDR_EL2 (Aff2:Aff1:Aff0). A world switch belongs to its
 * VM: an exception to the VM it leaves, an exception return to the VM it
 * enters (the event is emitted once the return is done, so the registers
 * are those the hypervisor set up for it). */
void hv_trace_cli_vm_of(void *ctx, const struct hv_event *ev, uint32_t *vm, uint32_t *vcpu)
{
    struct hv_cpu *cpu = ctx;
    unsigned el = ev->type == HV_EV_EXC_TAKEN ? ev->u.exc.from_el
                  : ev->type == HV_EV_ERET    ? ev->u.eret.to_el
                                              : hv_cpu_el(cpu);
    uint64_t hcr, vttbr, vtcr, vmpidr;
    if (el >= 2 || hv_cpu_vmreg(cpu, HV_VMREG_HCR, &hcr) || !(hcr & 1) ||
        hv_cpu_vmreg(cpu, HV_VMREG_VTTBR, &vttbr) || hv_cpu_vmreg(cpu, HV_VMREG_VTCR, &vtcr))
        return;
    uint32_t vmid = (uint32_t)(vttbr >> 48) & ((vtcr >> 19) & 1 ? 0xffff : 0xff);
    *vm = vmid + 1;
    if (hv_cpu_vmreg(cpu, HV_VMREG_VMPIDR, &vmpidr) == 0)
        *vcpu = (uint32_t)(vmpidr & 0xffffff);
}

void hv_trace_cli_attach(struct hv_trace_cli *t, struct hv_machine *m)
{
    if (!t)
        return;
    /* HVSIM_NO_VMREG_CACHE=1: read the registers from the engine at every
     * event; tests/e2e/test_trace.py checks that the trace is the same. */
    const char *nc = getenv("HVSIM_NO_VMREG_CACHE");
    if (nc && strcmp(nc, "0") != 0)
        hv_cpu_set_vmreg_cache(hv_machine_cpu(m), false);
    hv_trace_writer_set_vm_fn(t->w, hv_trace_cli_vm_of, hv_machine_cpu(m));
}

int hv_trace_cli_end(struct hv_trace_cli *t, int status)
{
    struct hv_err err;
    if (!t)
        return status;
    int bad = hv_trace_writer_close(t->w, &err);
    if (fclose(t->f) != 0 && !bad) {
        bad = -1;
        snprintf(err.msg, sizeof(err.msg), "%s", strerror(errno));
    }
    if (bad) {
        fprintf(stderr, "hvsim: trace %s: %s\n", t->path, err.msg);
        if (status == 0)
            status = EXIT_USAGE;
    }
    if (t->stdin_tmp[0])
        unlink(t->stdin_tmp);
    free(t);
    return status;
}

/* ---- hvsim trace ... -------------------------------------------------- */

static const char trace_usage[] =
    "usage: hvsim trace show FILE [--events LIST] [--vm N] [--from TIME] [--to TIME] [-o OUT]\n"
    "       hvsim trace json FILE [--events LIST] [--vm N] [--from TIME] [--to TIME] [-o OUT]\n"
    "       hvsim trace info FILE [-o OUT]\n"
    "       hvsim trace stats FILE [-o OUT]\n"
    "       hvsim trace perfetto FILE [--events LIST] [-o OUT]   (Chrome trace-event JSON;\n"
    "                              --events: the types drawn as instants, default all)\n"
    "       hvsim trace diff A B [--context N] [-o OUT]   (exit 0 same, 2 different)\n"
    "TIME is virtual time: ns, or with a unit (us, ms, s); --from and --to are inclusive.\n"
    "--vm N keeps the events of VMID N; --vm none those with no VM known.\n"
    "See docs/traces.md.\n";

static int tusage(const char *fmt, const char *arg)
{
    fprintf(stderr, "hvsim: trace: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", trace_usage);
    return EXIT_USAGE;
}

static int parse_ns(const char *s, uint64_t *ns)
{
    static const struct {
        const char *unit;
        uint64_t mul;
    } units[] = {{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}};
    size_t n = strspn(s, "0123456789");
    char num[32];
    uint64_t v, mul = 1;
    if (n == 0 || n >= sizeof(num))
        return -1;
    if (s[n]) {
        mul = 0;
        for (unsigned i = 0; i < 4; i++)
            if (strcmp(s + n, units[i].unit) == 0)
                mul = units[i].mul;
        if (!mul)
            return -1;
    }
    memcpy(num, s, n);
    num[n] = 0;
    if (hv_parse_u64(num, false, &v) || (v && mul > UINT64_MAX / v))
        return -1;
    *ns = v * mul;
    return 0;
}

static void print_info(FILE *out, const struct hv_trace_info *in, size_t size, uint64_t nev)
{
    fprintf(out, "format version: %u\nhvsim version: %s\n", in->version,
            in->hvsim_version ? in->hvsim_version : "");
    fprintf(out, "platform: %s fnv1a64=%016" PRIx64 "\n", in->platform_name, in->platform_hash);
    for (unsigned i = 0; i < in->nimages; i++)
        fprintf(out, "image: %s %s addr=0x%" PRIx64 " size=%" PRIu64 " fnv1a64=%016" PRIx64 "\n",
                in->images[i].role ? "load" : "main", in->images[i].path, in->images[i].addr,
                in->images[i].size, in->images[i].hash);
    fprintf(out, "options:");
    for (unsigned i = 0; i < in->argc; i++)
        fprintf(out, " %s", in->argv[i]);
    fprintf(out, "\n");
    for (unsigned i = 0; i < in->ninputs; i++)
        fprintf(out, "uart input: port %u, %zu bytes from %" PRIu64 " ns, baud %u\n",
                in->inputs[i].port, in->inputs[i].len, in->inputs[i].start_ns,
                in->inputs[i].baud ? in->inputs[i].baud : 115200);
    fprintf(out, "events recorded:");
    for (unsigned t = 0; t < HV_EV__COUNT; t++)
        if (in->event_mask & HV_EV_BIT(t))
            fprintf(out, " %s", hv_ev_type_name((enum hv_ev_type)t));
    fprintf(out, "\nevents: %" PRIu64 "\nbytes: %zu\n", nev, size);
    if (nev)
        fprintf(out, "bytes per event: %.2f\n", (double)size / (double)nev);
}

/* A trace's bytes: mapped when the file is a regular one (no copy of a
 * large trace), otherwise read (a pipe). */
struct tbytes {
    uint8_t *data;
    size_t size;
    bool mapped;
};

/* A mapped file that shrinks under us (another recording truncating it)
 * raises SIGBUS on the next access: say so and stop, rather than crash. */
static void on_sigbus(int sig)
{
    static const char msg[] = "hvsim: the trace file shrank while it was being read (is a "
                              "recording writing to it?)\n";
    (void)sig;
    if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
        _exit(EXIT_USAGE);
    _exit(EXIT_USAGE);
}

static int load_trace(const char *file, struct tbytes *t, struct hv_err *err)
{
    struct stat st;
    memset(t, 0, sizeof(*t));
    int fd = open(file, O_RDONLY);
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            signal(SIGBUS, on_sigbus);
            close(fd);
            t->data = p;
            t->size = (size_t)st.st_size;
            t->mapped = true;
            return 0;
        }
    }
    if (fd >= 0)
        close(fd);
    return hv_read_file(file, &t->data, &t->size, err);
}

static void unload_trace(struct tbytes *t)
{
    if (t->mapped)
        munmap(t->data, t->size);
    else
        free(t->data);
    t->data = NULL;
}

/* Read a whole trace file and open a reader on it; 0, or 1 with a message. */
static int open_trace(const char *file, struct tbytes *t, struct hv_trace_reader **r)
{
    struct hv_err err;
    *r = NULL;
    if (load_trace(file, t, &err)) {
        fprintf(stderr, "hvsim: %s\n", err.msg);
        return EXIT_USAGE;
    }
    if (hv_trace_reader_open(r, t->data, t->size, &err)) {
        fprintf(stderr, "hvsim: %s: %s\n", file, err.msg);
        unload_trace(t);
        return EXIT_USAGE;
    }
    return 0;
}

#define EXIT_DIFFERENT 2

static int cmd_diff(const char *fa, const char *fb, unsigned context, const char *outpath)
{
    struct tbytes da, db;
    struct hv_trace_reader *ra, *rb;
    struct hv_err err;
    if (open_trace(fa, &da, &ra))
        return EXIT_USAGE;
    if (open_trace(fb, &db, &rb)) {
        hv_trace_reader_free(ra);
        unload_trace(&da);
        return EXIT_USAGE;
    }
    FILE *out = stdout;
    int rc;
    if (outpath && !(out = fopen(outpath, "w"))) {
        fprintf(stderr, "hvsim: %s: %s\n", outpath, strerror(errno));
        rc = EXIT_USAGE;
    } else {
        int d = hv_trace_diff(ra, rb, fa, fb, context, out, &err);
        rc = d == 0 ? 0 : d == 1 ? EXIT_DIFFERENT : EXIT_USAGE;
        if (fflush(out) != 0 || ferror(out)) {
            fprintf(stderr, "hvsim: writing %s: %s\n", outpath ? outpath : "stdout",
                    strerror(errno));
            rc = EXIT_USAGE;
        }
        if (d < 0)
            fprintf(stderr, "hvsim: %s\n", err.msg);
        if (out != stdout)
            fclose(out);
    }
    hv_trace_reader_free(ra);
    hv_trace_reader_free(rb);
    unload_trace(&da);
    unload_trace(&db);
    return rc;
}

int hv_trace_cmd(int argc, char **argv)
{
    const char *sub, *file = NULL, *outpath = NULL;
    uint32_t mask = HV_EV_ALL;
    uint64_t from = 0, to = UINT64_MAX;
    struct hv_err err;

    if (argc < 1)
        return tusage("%s", "no subcommand given");
    sub = argv[0];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        fputs(trace_usage, stdout);
        return 0;
    }
    bool show = strcmp(sub, "show") == 0, json = strcmp(sub, "json") == 0,
         info = strcmp(sub, "info") == 0, stats = strcmp(sub, "stats") == 0,
         perfetto = strcmp(sub, "perfetto") == 0, diff = strcmp(sub, "diff") == 0;
    const char *file_b = NULL;
    uint64_t context = 5;
    bool vm_filter = false;
    uint64_t vm_want = 0; /* as in the context record: 0 none, VMID + 1 */
    if (!show && !json && !info && !stats && !perfetto && !diff)
        return tusage("unknown subcommand '%s'", sub);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool filt = show || json;
        bool evfilt = filt || perfetto;
        if (strcmp(a, "-o") == 0 || (evfilt && strcmp(a, "--events") == 0) ||
            (filt &&
             (strcmp(a, "--from") == 0 || strcmp(a, "--to") == 0 || strcmp(a, "--vm") == 0)) ||
            (diff && strcmp(a, "--context") == 0)) {
            if (!v)
                return tusage("option %s needs an argument", a);
            i++;
            if (strcmp(a, "-o") == 0)
                outpath = v;
            else if (strcmp(a, "--events") == 0 && hv_ev_parse_mask(v, &mask))
                return tusage("unknown event name in '%s'", v);
            else if (strcmp(a, "--from") == 0 && parse_ns(v, &from))
                return tusage("malformed time '%s' (e.g. 1500, 10us, 2ms)", v);
            else if (strcmp(a, "--to") == 0 && parse_ns(v, &to))
                return tusage("malformed time '%s' (e.g. 1500, 10us, 2ms)", v);
            else if (strcmp(a, "--context") == 0 &&
                     (hv_parse_u64(v, false, &context) || context > 60))
                return tusage("--context wants 0..60, not '%s'", v);
            else if (strcmp(a, "--vm") == 0) {
                vm_filter = true;
                if (strcmp(v, "none") == 0)
                    vm_want = 0;
                else if (hv_parse_u64(v, false, &vm_want) || vm_want >= UINT32_MAX)
                    return tusage("--vm wants a VMID or 'none', not '%s'", v);
                else
                    vm_want++;
            }
        } else if (a[0] == '-' && a[1]) {
            return tusage("unknown option %s", a);
        } else if (!file) {
            file = a;
        } else if (diff && !file_b) {
            file_b = a;
        } else {
            return tusage("more than one FILE given ('%s')", a);
        }
    }
    if (!file || (diff && !file_b))
        return tusage("%s", diff ? "diff needs two FILEs" : "no FILE given");
    if (diff)
        return cmd_diff(file, file_b, (unsigned)context, outpath);

    struct tbytes tb;
    if (load_trace(file, &tb, &err)) {
        fprintf(stderr, "hvsim: %s\n", err.msg);
        return EXIT_USAGE;
    }
    uint8_t *data = tb.data;
    size_t size = tb.size;
    FILE *out = stdout;
    if (outpath && !(out = fopen(outpath, "w"))) {
        fprintf(stderr, "hvsim: %s: %s\n", outpath, strerror(errno));
        unload_trace(&tb);
        return EXIT_USAGE;
    }
    /* Large writes: show and json print millions of short lines. */
    static char outbuf[1 << 20];
    setvbuf(out, outbuf, _IOFBF, sizeof(outbuf));
    struct hv_trace_reader *r;
    int rc = 0;
    if (hv_trace_reader_open(&r, data, size, &err)) {
        fprintf(stderr, "hvsim: %s: %s\n", file, err.msg);
        rc = EXIT_USAGE;
    } else if (stats || perfetto) {
        int got = stats ? hv_trace_stats(r, out, &err) : hv_trace_perfetto(r, out, mask, &err);
        if (got < 0) {
            fflush(out);
            fprintf(stderr, "hvsim: %s: %s\n", file, err.msg);
            rc = EXIT_USAGE;
        }
        hv_trace_reader_free(r);
    } else {
        struct hv_event ev;
        char line[2048];
        uint64_t nev = 0;
        int got;
        while ((got = hv_trace_next(r, &ev, &err)) == 1) {
            nev++;
            if (info || !(mask & HV_EV_BIT(ev.type)) || ev.vtime < from || ev.vtime > to)
                continue;
            if (vm_filter) {
                uint32_t vm, vcpu;
                hv_trace_reader_context(r, &vm, &vcpu);
                if (vm != vm_want)
                    continue;
            }
            if (show)
                hv_event_format(&ev, line, sizeof(line));
            else if ((size_t)hv_trace_event_json(&ev, line, sizeof(line)) >= sizeof(line)) {
                /* Long strings: render into a buffer of the size needed. */
                size_t need = (size_t)hv_trace_event_json(&ev, NULL, 0) + 1;
                char *big = malloc(need);
                if (big) {
                    hv_trace_event_json(&ev, big, need);
                    fputs(big, out);
                    fputc('\n', out);
                    free(big);
                }
                continue;
            }
            fputs(line, out);
            fputc('\n', out);
        }
        if (info)
            print_info(out, hv_trace_reader_info(r), size, nev);
        if (got < 0) {
            fflush(out);
            fprintf(stderr, "hvsim: %s: %s\n", file, err.msg);
            rc = EXIT_USAGE;
        }
        hv_trace_reader_free(r);
    }
    if (fflush(out) != 0 || ferror(out)) {
        fprintf(stderr, "hvsim: writing %s: %s\n", outpath ? outpath : "stdout", strerror(errno));
        rc = EXIT_USAGE;
    }
    if (out != stdout)
        fclose(out);
    unload_trace(&tb);
    return rc;
}
