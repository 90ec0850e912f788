/* hvsim replay TRACE: run again what a trace recorded and check, event by
 * event, that the run is the same (docs/traces.md, "Replaying").
 *
 * The trace's header holds all a run depends on: the `hvsim run` options,
 * the images (path, load address, FNV-1a 64 of their bytes), the platform
 * (the hash of its generated DTB) and every external input (the UART input
 * bytes and their schedule). The replay parses the recorded options with
 * `hvsim run`'s own parser, finds each image at its recorded path (or where
 * --image says), refuses one whose bytes hash differently, feeds the
 * recorded UART input, and subscribes a comparator for the recorded event
 * types. The comparator reads the recorded events in step with the new run
 * and stops the run at the first event that differs.
 */
#define _GNU_SOURCE
#include "replay.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "common/evfmt.h"
#include "platform/loader.h"
#include "trace/trace.h"
#include "trace_cmd.h"

#define EXIT_USAGE    1
#define EXIT_DIVERGED 6

static const char replay_usage[] =
    "usage: hvsim replay TRACE [--image PATH]... [--trace NEW] [-v]\n"
    "  --image PATH   the images, in the order of the trace's header (hvsim trace info),\n"
    "                 instead of their recorded paths; their hashes must match\n"
    "  --trace NEW    record the replay too\n"
    "  -v             show the replayed run's UART output on stdout\n"
    "exit status: 0 identical, 1 bad input (trace, image, platform), 2 engine failure,\n"
    "6 the run diverged from the recording.\n";

struct replay {
    struct hv_trace_reader *r;
    const struct hv_trace_info *info;
    struct hv_machine *m;
    uint64_t matched; /* events compared equal */
    bool diverged, damaged, ended, verbose;
    const char *field; /* the first field that differs; NULL: one side ended */
    bool have_exp, have_got;
    struct hv_event exp, got;
    char exp_line[1024], got_line[1024];
    struct hv_err derr;
};

static void stop(struct replay *rp, const char *why)
{
    if (rp->m)
        hv_machine_request_stop(rp->m, why);
}

static void on_event(void *ctx, const struct hv_event *ev)
{
    struct replay *rp = ctx;
    struct hv_event exp;
    if (rp->diverged || rp->damaged || rp->ended)
        return;
    int rc = hv_trace_next(rp->r, &exp, &rp->derr);
    if (rc < 0) {
        rp->damaged = true;
        stop(rp, "the recording is damaged: nothing more to compare with");
        return;
    }
    const char *field = rc == 1 ? hv_trace_event_cmp(&exp, ev) : NULL;
    if (rc == 1 && !field && rp->m) {
        /* The VM the recording attributes the event to, against the VM it
         * belongs to now (the recorder's own rule, trace_cmd.c). */
        uint32_t rvm, rvcpu, vm = 0, vcpu = 0;
        hv_trace_reader_context(rp->r, &rvm, &rvcpu);
        hv_trace_cli_vm_of(hv_machine_cpu(rp->m), ev, &vm, &vcpu);
        if (!vm)
            vcpu = 0;
        field = rvm != vm ? "vm" : rvcpu != vcpu ? "vcpu" : NULL;
    }
    if (rc == 1 && !field) {
        rp->matched++;
        return;
    }
    rp->diverged = true;
    rp->field = field;
    rp->have_exp = rc == 1;
    rp->have_got = true;
    if (rp->have_exp) {
        rp->exp = exp;
        hv_event_format(&exp, rp->exp_line, sizeof(rp->exp_line));
    }
    rp->got = *ev;
    hv_event_format(ev, rp->got_line, sizeof(rp->got_line));
    stop(rp, "the replay diverged from the recording");
}

static int before_machine(void *ctx, struct hv_machine_opts *o, const struct hv_platform *plat,
                          struct hv_obs *obs)
{
    struct replay *rp = ctx;
    struct hv_dtb_opts dopts = {0};
    struct hv_err err;
    void *dtb = NULL;
    size_t len = 0;
    /* Nothing the recorded run wrote is overwritten: the UARTs' output goes
     * to stdout (-v) or nowhere. */
    unsigned nuarts = 0;
    for (unsigned i = 0; i < plat->ndevs; i++)
        nuarts += plat->devs[i].type == HV_DEV_PL011;
    for (unsigned n = 0; n < HV_MAX_UARTS; n++)
        o->uart_out[n] = n >= nuarts ? NULL : rp->verbose ? "-" : "/dev/null";
    if (hv_platform_build_dtb(plat, &dopts, &dtb, &len, &err)) {
        fprintf(stderr, "hvsim: replay: platform %s: %s\n", plat->name, err.msg);
        return EXIT_USAGE;
    }
    uint64_t h = hv_fnv1a64(dtb, len);
    free(dtb);
    if (h != rp->info->platform_hash) {
        fprintf(stderr,
                "hvsim: replay: platform %s: its DTB hashes to fnv1a64=%016" PRIx64
                ": expected %016" PRIx64 " (the recorded platform %s)\n",
                plat->name, h, rp->info->platform_hash, rp->info->platform_name);
        return EXIT_USAGE;
    }
    if (hv_obs_subscribe(obs, rp->info->event_mask, on_event, rp)) {
        fprintf(stderr, "hvsim: replay: too many observers\n");
        return EXIT_USAGE;
    }
    return 0;
}

static void on_machine(void *ctx, struct hv_machine *m)
{
    ((struct replay *)ctx)->m = m;
}

/* Check the image i of the header against the file at path: 0, or 1 with
 * a message. */
static int check_image(const struct hv_trace_info *in, unsigned i, const char *file, bool given)
{
    uint8_t *data;
    size_t len;
    struct hv_err err;
    if (hv_read_file(file, &data, &len, &err)) {
        fprintf(stderr, "hvsim: replay: image %u: %s%s\n", i, err.msg,
                given ? "" : " (give it with --image PATH)");
        return EXIT_USAGE;
    }
    uint64_t h = hv_fnv1a64(data, len);
    free(data);
    if (h != in->images[i].hash || len != in->images[i].size) {
        fprintf(stderr,
                "hvsim: replay: image %u: %s has %zu bytes hashing to fnv1a64=%016" PRIx64
                ": expected %" PRIu64 " bytes, %016" PRIx64 " (the recorded %s)\n",
                i, file, len, h, in->images[i].size, in->images[i].hash, in->images[i].path);
        return EXIT_USAGE;
    }
    return 0;
}

int hv_replay_cmd(int argc, char **argv)
{
    const char *file = NULL, *retrace = NULL;
    const char *images[1 + HV_MAX_LOADS] = {0};
    unsigned nimages = 0;
    bool verbose = false;
    struct hv_err err;

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "--image") == 0 || strcmp(a, "--trace") == 0) && i + 1 >= argc) {
            fprintf(stderr, "hvsim: replay: option %s needs an argument\n%s", a, replay_usage);
            return EXIT_USAGE;
        }
        if (strcmp(a, "--image") == 0) {
            if (nimages == 1 + HV_MAX_LOADS) {
                fprintf(stderr, "hvsim: replay: too many --image options\n");
                return EXIT_USAGE;
            }
            images[nimages++] = argv[++i];
        } else if (strcmp(a, "--trace") == 0) {
            retrace = argv[++i];
        } else if (strcmp(a, "-v") == 0) {
            verbose = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(replay_usage, stdout);
            return 0;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "hvsim: replay: unknown option %s\n%s", a, replay_usage);
            return EXIT_USAGE;
        } else if (file) {
            fprintf(stderr, "hvsim: replay: more than one TRACE given ('%s')\n%s", a, replay_usage);
            return EXIT_USAGE;
        } else {
            file = a;
        }
    }
    if (!file) {
        fprintf(stderr, "hvsim: replay: no TRACE given\n%s", replay_usage);
        return EXIT_USAGE;
    }

    uint8_t *data = NULL;
    size_t size;
    struct replay rp;
    memset(&rp, 0, sizeof(rp));
    if (hv_read_file(file, &data, &size, &err)) {
        fprintf(stderr, "hvsim: %s\n", err.msg);
        return EXIT_USAGE;
    }
    if (hv_trace_reader_open(&rp.r, data, size, &err)) {
        fprintf(stderr, "hvsim: %s: %s\n", file, err.msg);
        free(data);
        return EXIT_USAGE;
    }
    rp.info = hv_trace_reader_info(rp.r);
    const struct hv_trace_info *in = rp.info;
    int rc = 0;
    char *allocs[HV_MAX_LOADS] = {0};
    char *specs[1 + HV_MAX_LOADS] = {0};
    char tmps[HV_MAX_UARTS][64];
    unsigned ntmps = 0;
    struct hv_machine_opts o;
    struct run_cli c;

    if (strcmp(in->hvsim_version ? in->hvsim_version : "", HVSIM_VERSION) != 0)
        fprintf(stderr, "hvsim: replay: %s was recorded by hvsim %s; this is hvsim %s\n", file,
                in->hvsim_version, HVSIM_VERSION);
    if (nimages > in->nimages) {
        fprintf(stderr, "hvsim: replay: %u --image options for %u recorded images\n", nimages,
                in->nimages);
        rc = EXIT_USAGE;
        goto out;
    }
    /* The recorded options, through `hvsim run`'s parser. */
    rc = hv_cli_parse_run((int)in->argc, in->argv, &o, &c, allocs);
    if (rc) {
        fprintf(stderr, "hvsim: replay: %s: the recorded options are not valid\n", file);
        goto out;
    }
    unsigned nloads = 0;
    for (unsigned i = 0; i < in->nimages; i++)
        nloads += in->images[i].role == 1;
    if (in->nimages == 0 || in->images[0].role != 0 || nloads != o.nloads) {
        fprintf(stderr,
                "hvsim: replay: %s: the header records %u images: expected the main image and "
                "the %u --load files of its options\n",
                file, in->nimages, o.nloads);
        rc = EXIT_USAGE;
        goto out;
    }
    /* The images: at the recorded path or --image's, with the same bytes. */
    for (unsigned i = 0; i < in->nimages; i++) {
        const char *given = i < nimages ? images[i] : NULL;
        const char *path = given ? given : in->images[i].path;
        char *fileonly = NULL;
        uint64_t addr;
        if (i == 0 && !given && strchr(path, '@')) {
            if (hv_parse_file_at(path, &fileonly, &addr, &err)) {
                fprintf(stderr, "hvsim: replay: image 0: %s\n", err.msg);
                rc = EXIT_USAGE;
                goto out;
            }
        }
        rc = check_image(in, i, fileonly ? fileonly : path, given != NULL);
        free(fileonly);
        if (rc)
            goto out;
        if (i == 0) {
            if (given && in->images[0].addr && strchr(in->images[0].path, '@')) {
                /* A raw image: FILE@ADDR with the recorded address. */
                if (asprintf(&specs[0], "%s@0x%" PRIx64, given, in->images[0].addr) < 0) {
                    rc = EXIT_USAGE;
                    goto out;
                }
                o.image = specs[0];
            } else {
                o.image = path;
            }
        } else {
            o.loads[i - 1].path = path;
            o.loads[i - 1].addr = in->images[i].addr;
        }
    }
    /* The recorded UART input, whatever the options named. */
    for (unsigned n = 0; n < HV_MAX_UARTS; n++)
        o.uart_in[n] = NULL;
    for (unsigned i = 0; i < in->ninputs; i++) {
        const char *tmp = getenv("TMPDIR");
        unsigned port = in->inputs[i].port;
        if (port >= HV_MAX_UARTS || ntmps == HV_MAX_UARTS) {
            fprintf(stderr, "hvsim: replay: %s: UART input for port %u: expected 0..%u\n", file,
                    port, HV_MAX_UARTS - 1);
            rc = EXIT_USAGE;
            goto out;
        }
        snprintf(tmps[ntmps], sizeof(tmps[0]), "%s/hvsim-replay-XXXXXX",
                 tmp && strlen(tmp) < 32 ? tmp : "/tmp");
        int fd = mkstemp(tmps[ntmps]);
        if (fd < 0) {
            fprintf(stderr, "hvsim: replay: temporary file: %s\n", strerror(errno));
            rc = EXIT_USAGE;
            goto out;
        }
        ntmps++;
        size_t len = in->inputs[i].len;
        if (len && write(fd, in->inputs[i].data, len) != (ssize_t)len) {
            close(fd);
            fprintf(stderr, "hvsim: replay: temporary file: %s\n", strerror(errno));
            rc = EXIT_USAGE;
            goto out;
        }
        close(fd);
        o.uart_in[port] = tmps[ntmps - 1];
        o.uart_in_start_ns = in->inputs[i].start_ns;
        o.uart_baud = in->inputs[i].baud;
    }
    rp.verbose = verbose;
    o.dtb_out = NULL;
    c.log_mask = 0;
    c.quiet = true;
    c.trace_path = retrace;
    c.before_machine = before_machine;
    c.on_machine = on_machine;
    c.hook_ctx = &rp;

    struct hv_obs obs;
    hv_obs_init(&obs);
    int status = hv_cli_run_machine(&o, &c, &obs, false);
    if (!rp.m) { /* the machine was never built: the message is out */
        rc = status ? status : EXIT_USAGE;
        goto out;
    }
    if (!rp.diverged && !rp.damaged) {
        struct hv_event exp;
        int more = hv_trace_next(rp.r, &exp, &rp.derr);
        if (more < 0) {
            rp.damaged = true;
        } else if (more == 1) {
            rp.diverged = true;
            rp.have_exp = true;
            rp.exp = exp;
            hv_event_format(&exp, rp.exp_line, sizeof(rp.exp_line));
        }
    }
    if (rp.diverged) {
        const struct hv_event *at = rp.have_exp ? &rp.exp : &rp.got;
        printf("replay: %s: first divergence at event #%" PRIu64 " (vtime %" PRIu64
               " ns, icount %" PRIu64 "): ",
               file, rp.matched, at->vtime, at->icount);
        if (rp.have_exp && rp.have_got)
            printf("%s differs\n", rp.field);
        else if (rp.have_exp)
            printf("the replayed run ended, the recording goes on\n");
        else
            printf("the recording ends here, the replayed run goes on\n");
        printf("  expected: %s\n  got:      %s\n", rp.have_exp ? rp.exp_line : "(no more events)",
               rp.have_got ? rp.got_line : "(no more events)");
        printf("  (%" PRIu64 " events matched before it; see hvsim trace diff to compare two "
               "recordings)\n",
               rp.matched);
        rc = EXIT_DIVERGED;
    } else if (rp.damaged) {
        printf("replay: %s: the first %" PRIu64 " events are identical; the rest of the recording "
               "cannot be compared\n",
               file, rp.matched);
        fprintf(stderr, "hvsim: %s: %s\n", file, rp.derr.msg);
        rc = EXIT_USAGE;
    } else if (status == 2) {
        rc = status;
    } else {
        printf("replay: %s: identical, %" PRIu64 " events verified\n", file, rp.matched);
        rc = 0;
    }
out:
    for (unsigned i = 0; i < ntmps; i++)
        unlink(tmps[i]);
    for (unsigned i = 0; i < HV_MAX_LOADS; i++)
        free(allocs[i]);
    free(specs[0]);
    hv_trace_reader_free(rp.r);
    free(data);
    return rc;
}
