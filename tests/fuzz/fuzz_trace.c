/* libFuzzer harness for the trace reader (sim/trace/trace_read.c).
 *
 * The input is a trace file. It is read to its end or its first damage; every
 * event decoded is rendered by `trace show` (hv_event_format) and `trace json`
 * (hv_trace_event_json). Besides ASan/UBSan, it checks the reader's
 * contract:
 *  - an error is one line "offset N: ..." with N within the input, and the
 *    reader keeps returning it;
 *  - the events decoded, recorded again with the writer and read back, come
 *    out the same (field by field), and the rewrite reads to its end;
 *  - a JSON object starts with {"type": and ends with }.
 * Then it runs the analyses of `hvsim trace stats|perfetto|diff`
 * (trace_analyze.c) on the same input, and checks that:
 *  - each reports damage exactly when the reader did, with the same error;
 *  - the Perfetto output is closed ("]}" at its end) even on damage, and
 *    its brackets balance outside strings;
 *  - the input diffed against itself is identical (or damaged), and diffed
 *    against its rewrite is identical when it reads cleanly;
 *  - an event compared with itself is the same event.
 *
 * Each input is run twice: as it is, and with its checksums made right
 * (fix_sums), so that mutations reach the record decoders.
 *
 * Build and run: see tests/fuzz/README.md.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/evfmt.h"
#include "trace/trace.h"

#define MAX_EVENTS 4096

static void check_err(const struct hv_err *err, size_t size)
{
    size_t off;
    if (sscanf(err->msg, "offset %zu:", &off) != 1 || off > size || strchr(err->msg, '\n')) {
        fprintf(stderr, "bad error message for a %zu-byte input: '%s'\n", size, err->msg);
        abort();
    }
}

static void same(const struct hv_event *a, const struct hv_event *b)
{
    if (a->type != b->type || a->pe != b->pe || a->el != b->el || a->pc != b->pc ||
        a->icount != b->icount || a->vtime != b->vtime)
        abort();
    const struct hv_trace_evdesc *d = hv_trace_desc_by_type(a->type);
    for (unsigned i = 0; i < d->nfields; i++) {
        const struct hv_trace_field *f = &hv_trace_fields[d->first_field + i];
        const char *pa = (const char *)a + f->offset, *pb = (const char *)b + f->offset;
        if (f->kind == HV_TF_STR) {
            const char *sa, *sb;
            memcpy(&sa, pa, sizeof(sa));
            memcpy(&sb, pb, sizeof(sb));
            /* The writer cuts strings at 4096 bytes and at a NUL. */
            if (strncmp(sa, sb, 4096) != 0)
                abort();
            continue;
        }
        size_t n = f->kind == HV_TF_BOOL || f->kind == HV_TF_U8   ? 1
                   : f->kind == HV_TF_U32 || f->kind == HV_TF_I32 ? 4
                                                                  : 8;
        if (memcmp(pa, pb, n) != 0) {
            fprintf(stderr, "field %s of %s differs after a rewrite\n", f->name, d->name);
            abort();
        }
    }
}

/* Brackets and braces balance outside JSON strings, and close at the end. */
static void check_json_shape(const char *s, size_t len)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == 0)
            abort();
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (c == '"')
            in_str = true;
        else if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']')
            if (--depth < 0)
                abort();
    }
    if (depth != 0 || in_str || len < 4 || memcmp(s + len - 3, "]}\n", 3) != 0) {
        fprintf(stderr, "perfetto output is not closed JSON\n");
        abort();
    }
}

static void analyses(const uint8_t *data, size_t size, bool damaged, const char *damage,
                     const char *rewrite, size_t rewrite_len, bool complete)
{
    struct hv_trace_reader *r, *r2;
    struct hv_err err;
    char *buf;
    size_t len;
    FILE *f;

    for (int which = 0; which < 2; which++) {
        if (hv_trace_reader_open(&r, data, size, &err))
            abort();
        buf = NULL;
        len = 0;
        if (!(f = open_memstream(&buf, &len)))
            abort();
        int got =
            which ? hv_trace_perfetto(r, f, (uint32_t)size, &err) : hv_trace_stats(r, f, &err);
        fclose(f);
        if ((got < 0) != damaged || (damaged && strcmp(err.msg, damage) != 0)) {
            fprintf(stderr, "%s: %d, reader damaged=%d\n", which ? "perfetto" : "stats", got,
                    damaged);
            abort();
        }
        if (which)
            check_json_shape(buf, len);
        free(buf);
        hv_trace_reader_free(r);
    }

    /* Against itself, and against the rewrite of what was read. */
    for (int which = 0; which < (complete ? 2 : 1); which++) {
        if (hv_trace_reader_open(&r, data, size, &err))
            abort();
        if (which ? hv_trace_reader_open(&r2, rewrite, rewrite_len, &err)
                  : hv_trace_reader_open(&r2, data, size, &err))
            abort();
        buf = NULL;
        len = 0;
        if (!(f = open_memstream(&buf, &len)))
            abort();
        int d = hv_trace_diff(r, r2, "a", "b", (unsigned)(size % 80), f, &err);
        fclose(f);
        if (d == 1 || (d == 0 && damaged) || (d < 0 && !damaged)) {
            fprintf(stderr, "diff against the %s: %d (damaged=%d)\n%s", which ? "rewrite" : "input",
                    d, damaged, buf);
            abort();
        }
        free(buf);
        hv_trace_reader_free(r);
        hv_trace_reader_free(r2);
    }
}

/* The rewrite records each event with the VM context it was read with. */
struct replay_ctx {
    uint32_t (*ctx)[2];
    unsigned i;
};

static void replay_vm(void *c, const struct hv_event *ev, uint32_t *vm, uint32_t *vcpu)
{
    struct replay_ctx *r = c;
    (void)ev;
    *vm = r->ctx[r->i][0];
    *vcpu = r->ctx[r->i][1];
    r->i++;
}

/* A copy of the input whose checksums are made right (the header's CRC-32
 * from version 3 on, and each block's that lies whole in the input), as far
 * as its structure goes: otherwise nearly every mutation stops at a
 * checksum, and the record decoders (kinds 1-49, among them 14-18: irq, lr,
 * virq, maint, timer) would see only the seeds. Returns NULL when there is
 * nothing to fix. */
static bool getvar_at(const uint8_t *d, size_t size, size_t *pos, uint64_t *v)
{
    *v = 0;
    for (unsigned sh = 0; sh < 70 && *pos < size; sh += 7) {
        uint8_t b = d[(*pos)++];
        *v |= (uint64_t)(b & 0x7f) << (sh < 64 ? sh : 63);
        if (!(b & 0x80))
            return true;
    }
    return false;
}

static uint8_t *fix_sums(const uint8_t *data, size_t size)
{
    if (size < 16 || memcmp(data, HV_TRACE_MAGIC, 8) != 0)
        return NULL;
    unsigned version = data[8] | (unsigned)data[9] << 8;
    uint64_t hl =
        data[12] | (uint64_t)data[13] << 8 | (uint64_t)data[14] << 16 | (uint64_t)data[15] << 24;
    if (hl > size - 16)
        return NULL;
    uint8_t *d = malloc(size);
    if (!d)
        abort();
    memcpy(d, data, size);
    size_t pos = 16 + (size_t)hl;
    if (version >= HV_TRACE_V3_CRC) {
        if (size - pos < 4)
            return d;
        uint32_t sum = hv_trace_crc32(d, pos);
        for (unsigned i = 0; i < 4; i++)
            d[pos + i] = (uint8_t)(sum >> (8 * i));
        pos += 4;
    }
    while (pos < size && d[pos] == HV_TR_BLOCK) {
        uint64_t plen, nev;
        pos++;
        if (!getvar_at(d, size, &pos, &plen) || !getvar_at(d, size, &pos, &nev) || size - pos < 4 ||
            plen > size - pos - 4)
            break;
        uint32_t sum = hv_trace_block_sum(version, d + pos + 4, (size_t)plen);
        for (unsigned i = 0; i < 4; i++)
            d[pos + i] = (uint8_t)(sum >> (8 * i));
        pos += 4 + (size_t)plen;
    }
    return d;
}

static void one_input(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one_input(data, size);
    uint8_t *fixed = fix_sums(data, size);
    if (fixed) {
        if (memcmp(fixed, data, size) != 0)
            one_input(fixed, size);
        free(fixed);
    }
    return 0;
}

static void one_input(const uint8_t *data, size_t size)
{
    static struct hv_event evs[MAX_EVENTS];
    static uint32_t ctx[MAX_EVENTS][2]; /* each event's VM and vCPU */
    struct replay_ctx rc_ctx = {ctx, 0};
    struct hv_trace_reader *r;
    struct hv_err err;
    struct hv_event ev;
    char line[4096];
    unsigned n = 0, total = 0;
    int rc;

    if (hv_trace_reader_open(&r, data, size, &err)) {
        check_err(&err, size);
        return;
    }
    while ((rc = hv_trace_next(r, &ev, &err)) == 1) {
        hv_event_format(&ev, line, sizeof(line));
        int jl = hv_trace_event_json(&ev, line, sizeof(line));
        if (jl < 10 || strncmp(line, "{\"type\":", 8) != 0 ||
            ((size_t)jl < sizeof(line) && line[jl - 1] != '}'))
            abort();
        total++;
        if (n < MAX_EVENTS) {
            hv_trace_reader_context(r, &ctx[n][0], &ctx[n][1]);
            evs[n++] = ev; /* its strings live as long as r */
        }
    }
    if (rc < 0) {
        check_err(&err, size);
        struct hv_err again;
        if (hv_trace_next(r, &ev, &again) != -1 || strcmp(again.msg, err.msg) != 0)
            abort();
    }

    /* Rewrite what was read, and read it back. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct hv_trace_writer *w;
    struct hv_trace_header h = {
        .hvsim_version = "fuzz", .platform_name = "p", .event_mask = HV_EV_ALL};
    if (!f || hv_trace_writer_open(&w, f, &h, &err))
        abort();
    hv_trace_writer_set_block_size(w, 1 + size % 512);
    hv_trace_writer_set_vm_fn(w, replay_vm, &rc_ctx);
    for (unsigned i = 0; i < n; i++)
        hv_trace_record(w, &evs[i]);
    if (hv_trace_writer_close(w, &err))
        abort();
    fclose(f);
    struct hv_trace_reader *r2;
    if (hv_trace_reader_open(&r2, buf, len, &err))
        abort();
    for (unsigned i = 0; i < n; i++) {
        if (hv_trace_next(r2, &ev, &err) != 1) {
            fprintf(stderr, "rewrite: %s\n", err.msg);
            abort();
        }
        same(&evs[i], &ev);
        uint32_t vm, vcpu;
        hv_trace_reader_context(r2, &vm, &vcpu);
        if (vm != ctx[i][0] || (vm && vcpu != ctx[i][1])) {
            fprintf(stderr, "event %u: VM %u vCPU %u after a rewrite, %u %u before\n", i, vm, vcpu,
                    ctx[i][0], ctx[i][1]);
            abort();
        }
    }
    if (hv_trace_next(r2, &ev, &err) != 0)
        abort();
    hv_trace_reader_free(r2);

    for (unsigned i = 0; i < n; i++)
        if (hv_trace_event_cmp(&evs[i], &evs[i]) != NULL)
            abort();
    bool damaged = rc < 0;
    analyses(data, size, damaged, damaged ? err.msg : NULL, buf, len, total <= MAX_EVENTS);
    free(buf);
    hv_trace_reader_free(r);
}
