/* hvsim trace: the reader. It works on the whole trace in memory, checks
 * every length against what remains, and reports the first damage as
 * "offset N: <what was found>, expected <what>". Nothing it reads is
 * trusted: every count is bounded by the bytes that could hold it.
 * docs/trace-format.md. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

#define MAX_ITEMS 256 /* images and UART inputs, each */

struct hv_trace_reader {
    const uint8_t *d;
    size_t size, pos;
    struct hv_trace_info info;
    int state; /* 0 running, 1 ended, -1 failed */
    struct hv_err saved;
    /* The current block. */
    bool in_block;
    size_t blk_off, blk_end;
    uint64_t blk_declared, blk_seen;
    uint64_t events, blocks;
    /* Delta state, reset at every block. */
    uint64_t icount, vtime, pc;
    uint8_t pe;
    uint32_t vm, vcpu; /* the context record's VM (0: unknown; VMID + 1) */
    uint64_t *last;
    /* The string table. */
    char **strs;
    size_t nstrs, strcap;
};

static int fail(struct hv_trace_reader *r, struct hv_err *err, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct hv_trace_reader *r, struct hv_err *err, size_t off, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (r) {
        r->state = -1;
        hv_err_set(&r->saved, "offset %zu: %s", off, msg);
    }
    return hv_err_set(err, "offset %zu: %s", off, msg);
}

/* A cursor bounded by `end`. */
struct cur {
    const uint8_t *d;
    size_t pos, end;
};

/* 0, or -1 with *bad_off set: truncated (bad = 1) or overlong (bad = 2). */
static int getvar(struct cur *c, uint64_t *v, int *bad)
{
    uint64_t x = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (c->pos >= c->end) {
            *bad = 1;
            return -1;
        }
        uint8_t b = c->d[c->pos++];
        if (i == 9 && b > 1) {
            *bad = 2;
            return -1;
        }
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    *bad = 2;
    return -1;
}

static uint64_t unzigzag(uint64_t z)
{
    return (z >> 1) ^ (0 - (z & 1));
}

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Read a varint field `what`; on failure report it. */
#define VAR(c, v, what, ctx)                                                                       \
    do {                                                                                           \
        size_t at_ = (c)->pos;                                                                     \
        int bad_ = 0;                                                                              \
        if (getvar((c), (v), &bad_))                                                               \
            return fail(r, err, bad_ == 1 ? (c)->end : at_,                                        \
                        bad_ == 1 ? "truncated %s: expected the varint %s"                         \
                                  : "malformed %s: the varint %s is longer than 64 bits",          \
                        (ctx), (what));                                                            \
    } while (0)

static char *dupn(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = 0;
    }
    return s;
}

static const char *const item_names[] = {
    [HV_TI_HVSIM_VERSION] = "hvsim-version",
    [HV_TI_PLATFORM] = "platform",
    [HV_TI_IMAGE] = "image",
    [HV_TI_OPTIONS] = "options",
    [HV_TI_UART_INPUT] = "uart-input",
    [HV_TI_EVENT_MASK] = "event-mask",
};

static int parse_item(struct hv_trace_reader *r, uint64_t tag, struct cur *c, struct hv_err *err)
{
    struct hv_trace_info *in = &r->info;
    const char *what = tag < 7 ? item_names[tag] : "?";
    char ctx[48];
    snprintf(ctx, sizeof(ctx), "%s header item", what);

    switch (tag) {
    case HV_TI_HVSIM_VERSION:
        in->hvsim_version = dupn(c->d + c->pos, c->end - c->pos);
        c->pos = c->end;
        break;
    case HV_TI_PLATFORM:
        if (c->end - c->pos < 8)
            return fail(r, err, c->end, "truncated %s: expected the 8-byte platform hash", ctx);
        in->platform_hash = le(c->d + c->pos, 8);
        c->pos += 8;
        in->platform_name = dupn(c->d + c->pos, c->end - c->pos);
        c->pos = c->end;
        break;
    case HV_TI_IMAGE: {
        if (in->nimages >= MAX_ITEMS)
            return fail(r, err, c->pos, "more than %d image items", MAX_ITEMS);
        void *p = realloc(in->images, (in->nimages + 1) * sizeof(*in->images));
        if (!p)
            return fail(r, err, c->pos, "out of memory");
        in->images = p;
        memset(&in->images[in->nimages], 0, sizeof(*in->images));
        in->nimages++;
        if (c->pos >= c->end)
            return fail(r, err, c->end, "truncated %s: expected the role byte", ctx);
        in->images[in->nimages - 1].role = c->d[c->pos++];
        VAR(c, &in->images[in->nimages - 1].addr, "load address", ctx);
        VAR(c, &in->images[in->nimages - 1].size, "image size", ctx);
        if (c->end - c->pos < 8)
            return fail(r, err, c->end, "truncated %s: expected the 8-byte image hash", ctx);
        in->images[in->nimages - 1].hash = le(c->d + c->pos, 8);
        c->pos += 8;
        in->images[in->nimages - 1].path = dupn(c->d + c->pos, c->end - c->pos);
        c->pos = c->end;
    } break;
    case HV_TI_OPTIONS: {
        uint64_t n;
        VAR(c, &n, "argument count", ctx);
        if (n > c->end - c->pos)
            return fail(r, err, c->pos - 1,
                        "%s: %" PRIu64 " arguments cannot fit in the %zu bytes left", ctx, n,
                        c->end - c->pos);
        in->argv = calloc(n + 1, sizeof(char *));
        if (!in->argv)
            return fail(r, err, c->pos, "out of memory");
        for (uint64_t i = 0; i < n; i++) {
            uint64_t len;
            VAR(c, &len, "argument length", ctx);
            if (len > c->end - c->pos)
                return fail(r, err, c->end,
                            "truncated %s: expected %" PRIu64 " bytes of argument %" PRIu64, ctx,
                            len, i);
            in->argv[i] = dupn(c->d + c->pos, len);
            in->argc = (unsigned)i + 1;
            c->pos += len;
        }
    } break;
    case HV_TI_UART_INPUT: {
        if (in->ninputs >= MAX_ITEMS)
            return fail(r, err, c->pos, "more than %d uart-input items", MAX_ITEMS);
        void *p = realloc(in->inputs, (in->ninputs + 1) * sizeof(*in->inputs));
        if (!p)
            return fail(r, err, c->pos, "out of memory");
        in->inputs = p;
        memset(&in->inputs[in->ninputs], 0, sizeof(*in->inputs));
        in->ninputs++;
        if (c->pos >= c->end)
            return fail(r, err, c->end, "truncated %s: expected the port byte", ctx);
        in->inputs[in->ninputs - 1].port = c->d[c->pos++];
        uint64_t baud, len;
        VAR(c, &in->inputs[in->ninputs - 1].start_ns, "start time", ctx);
        VAR(c, &baud, "baud rate", ctx);
        if (baud > UINT32_MAX)
            return fail(r, err, c->pos - 1, "%s: baud rate %" PRIu64 " out of range", ctx, baud);
        in->inputs[in->ninputs - 1].baud = (uint32_t)baud;
        VAR(c, &len, "input length", ctx);
        if (len > c->end - c->pos)
            return fail(r, err, c->end, "truncated %s: expected %" PRIu64 " input bytes", ctx, len);
        in->inputs[in->ninputs - 1].data = c->d + c->pos;
        in->inputs[in->ninputs - 1].len = len;
        c->pos += len;
    } break;
    case HV_TI_EVENT_MASK: {
        uint64_t m;
        VAR(c, &m, "event mask", ctx);
        for (unsigned id = 0; id < 64; id++) {
            if (!(m & (1ull << id)))
                continue;
            const struct hv_trace_evdesc *d = hv_trace_desc_by_id(id);
            if (!d)
                return fail(r, err, c->pos - 1, "%s: bit %u names no event type", ctx, id);
            in->event_mask |= HV_EV_BIT(d->type);
        }
    } break;
    default:
        c->pos = c->end; /* an item from a later minor revision: skipped */
        return 0;
    }
    if (c->pos != c->end)
        return fail(r, err, c->pos, "%s: %zu unexpected bytes after its fields", ctx,
                    c->end - c->pos);
    return 0;
}

int hv_trace_reader_open(struct hv_trace_reader **out, const void *data, size_t len,
                         struct hv_err *err)
{
    struct hv_trace_reader *r = calloc(1, sizeof(*r));
    *out = NULL;
    if (!r)
        return hv_err_set(err, "out of memory");
    r->d = data;
    r->size = len;
    r->last = calloc(hv_trace_nfields, sizeof(*r->last));
    if (!r->last)
        goto bad_mem;

    if (len < 8 || !data || memcmp(data, HV_TRACE_MAGIC, 8) != 0) {
        if (len < 8 && (len == 0 || memcmp(data, HV_TRACE_MAGIC, len) == 0))
            fail(r, err, len, "truncated header: expected the magic \"HVSTRACE\" (8 bytes)");
        else
            fail(r, err, 0, "not an hvsim trace: expected the magic \"HVSTRACE\"");
        goto bad;
    }
    if (len < 16) {
        fail(r, err, len, "truncated header: expected 16 bytes of fixed header");
        goto bad;
    }
    r->info.version = (unsigned)le(r->d + 8, 2);
    if (r->info.version < HV_TRACE_VERSION_MIN || r->info.version > HV_TRACE_VERSION) {
        fail(r, err, 8, "unsupported format version %u: expected %d to %d", r->info.version,
             HV_TRACE_VERSION_MIN, HV_TRACE_VERSION);
        goto bad;
    }
    if (le(r->d + 10, 2) != 0) {
        fail(r, err, 10, "unknown header flags 0x%04x: expected 0", (unsigned)le(r->d + 10, 2));
        goto bad;
    }
    uint64_t hl = le(r->d + 12, 4);
    if (hl > len - 16) {
        fail(r, err, len,
             "truncated header: expected %" PRIu64 " header bytes up to offset %" PRIu64, hl,
             16 + hl);
        goto bad;
    }
    size_t hend = 16 + (size_t)hl;
    /* Version 3: a CRC-32 of the header follows its items; check it first,
     * so that a damaged header is reported as such. */
    size_t body = hend;
    if (r->info.version >= HV_TRACE_V3_CRC) {
        if (len - hend < 4) {
            fail(r, err, len, "truncated header: expected the 4-byte header checksum at offset %zu",
                 hend);
            goto bad;
        }
        uint32_t sum = (uint32_t)le(r->d + hend, 4);
        uint32_t got = hv_trace_crc32(r->d, hend);
        if (sum != got) {
            fail(r, err, hend,
                 "header checksum 0x%08x does not match the header (0x%08x): the %zu header "
                 "bytes are corrupted",
                 sum, got, hend);
            goto bad;
        }
        body = hend + 4;
    }
    struct cur c = {.d = r->d, .pos = 16, .end = hend};
    unsigned seen[8] = {0};
    while (c.pos < hend) {
        uint64_t tag, ilen;
        size_t at = c.pos;
        int bad = 0;
        if (getvar(&c, &tag, &bad) || getvar(&c, &ilen, &bad)) {
            fail(r, err, bad == 1 ? hend : at,
                 "%s header item at offset %zu: expected a varint tag and length",
                 bad == 1 ? "truncated" : "malformed", at);
            goto bad;
        }
        if (tag == 0) {
            fail(r, err, at, "header item tag 0: expected a tag from 1 on");
            goto bad;
        }
        if (ilen > hend - c.pos) {
            fail(r, err, hend, "truncated header item %" PRIu64 ": expected %" PRIu64 " bytes", tag,
                 ilen);
            goto bad;
        }
        if (tag <= HV_TI_EVENT_MASK) {
            if (seen[tag] && tag != HV_TI_IMAGE && tag != HV_TI_UART_INPUT) {
                fail(r, err, at, "a second %s header item: expected one", item_names[tag]);
                goto bad;
            }
            seen[tag]++;
        }
        struct cur ic = {.d = r->d, .pos = c.pos, .end = c.pos + (size_t)ilen};
        if (parse_item(r, tag, &ic, err))
            goto bad;
        c.pos = ic.end;
    }
    static const unsigned required[] = {HV_TI_HVSIM_VERSION, HV_TI_PLATFORM, HV_TI_OPTIONS,
                                        HV_TI_EVENT_MASK};
    for (unsigned i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if (!seen[required[i]]) {
            fail(r, err, hend, "the header has no %s item (tag %u): expected one",
                 item_names[required[i]], required[i]);
            goto bad;
        }
    if (!r->info.argv) {
        r->info.argv = calloc(1, sizeof(char *));
        if (!r->info.argv)
            goto bad_mem;
    }
    r->info.header_end = body;
    r->pos = body;
    *out = r;
    return 0;
bad_mem:
    hv_err_set(err, "out of memory");
bad:
    hv_trace_reader_free(r);
    return -1;
}

const struct hv_trace_info *hv_trace_reader_info(const struct hv_trace_reader *r)
{
    return &r->info;
}

size_t hv_trace_reader_offset(const struct hv_trace_reader *r)
{
    return r->pos;
}

static int add_string(struct hv_trace_reader *r, const uint8_t *p, size_t n)
{
    if (r->nstrs == r->strcap) {
        size_t ncap = r->strcap ? r->strcap * 2 : 64;
        char **t = realloc(r->strs, ncap * sizeof(*t));
        if (!t)
            return -1;
        r->strs = t;
        r->strcap = ncap;
    }
    char *s = dupn(p, n);
    if (!s)
        return -1;
    r->strs[r->nstrs++] = s;
    return 0;
}

/* Open the block at r->pos, or read the end record. 1: a block is open,
 * 0: the end, -1: damage. */
static int next_block(struct hv_trace_reader *r, struct hv_err *err)
{
    size_t at = r->pos;
    if (at >= r->size)
        return fail(r, err, at,
                    "the trace ends without its end record: expected a block ('B') or the end "
                    "record ('E') (was the recording cut short?)");
    uint8_t k = r->d[at];
    struct cur c = {.d = r->d, .pos = at + 1, .end = r->size};
    if (k == HV_TR_END) {
        uint64_t nev, nblk;
        VAR(&c, &nev, "event count", "end record");
        VAR(&c, &nblk, "block count", "end record");
        if (nev != r->events)
            return fail(r, err, at + 1,
                        "the end record counts %" PRIu64 " events: expected %" PRIu64
                        " (the events read)",
                        nev, r->events);
        if (nblk != r->blocks)
            return fail(r, err, at + 1,
                        "the end record counts %" PRIu64 " blocks: expected %" PRIu64, nblk,
                        r->blocks);
        if (c.pos != r->size)
            return fail(r, err, c.pos, "%zu bytes after the end record: expected the end of file",
                        r->size - c.pos);
        r->pos = c.pos;
        r->state = 1;
        return 0;
    }
    if (k != HV_TR_BLOCK)
        return fail(r, err, at,
                    "found byte 0x%02x: expected a block ('B', 0x42) or the end record ('E', "
                    "0x45)",
                    k);
    uint64_t plen, nev;
    VAR(&c, &plen, "payload length", "block header");
    VAR(&c, &nev, "event count", "block header");
    if (r->size - c.pos < 4)
        return fail(r, err, r->size, "truncated block header: expected the 4-byte checksum");
    uint32_t sum = (uint32_t)le(r->d + c.pos, 4);
    c.pos += 4;
    if (plen > r->size - c.pos)
        return fail(r, err, r->size,
                    "truncated block at offset %zu: expected %" PRIu64 " payload bytes, %zu remain",
                    at, plen, r->size - c.pos);
    if (plen == 0)
        return fail(r, err, at, "empty block: expected at least one record");
    uint32_t got = hv_trace_block_sum(r->info.version, r->d + c.pos, (size_t)plen);
    if (got != sum)
        return fail(
            r, err, at,
            "block checksum 0x%08x does not match its payload (0x%08x): the block of %" PRIu64
            " bytes at offset %zu is corrupted",
            sum, got, plen, c.pos);
    r->in_block = true;
    r->blk_off = at;
    r->blk_end = c.pos + (size_t)plen;
    r->blk_declared = nev;
    r->blk_seen = 0;
    r->icount = r->vtime = r->pc = 0;
    r->pe = 0;
    r->vm = r->vcpu = 0;
    memset(r->last, 0, hv_trace_nfields * sizeof(*r->last));
    r->pos = c.pos;
    return 1;
}

static int decode_event(struct hv_trace_reader *r, const struct hv_trace_evdesc *d, uint8_t el,
                        struct cur *c, struct hv_event *ev, struct hv_err *err)
{
    char ctx[48];
    uint64_t z;

    snprintf(ctx, sizeof(ctx), "%s record", d->name);
    memset(ev, 0, sizeof(*ev));
    ev->type = d->type;
    ev->el = el;
    ev->pe = r->pe;
    VAR(c, &z, "icount delta", ctx);
    r->icount += unzigzag(z);
    VAR(c, &z, "vtime delta", ctx);
    r->vtime += unzigzag(z);
    VAR(c, &z, "pc delta", ctx);
    r->pc += unzigzag(z);
    ev->icount = r->icount;
    ev->vtime = r->vtime;
    ev->pc = r->pc;
    for (unsigned i = 0; i < d->nfields; i++) {
        unsigned fi = d->first_field + i;
        const struct hv_trace_field *f = &hv_trace_fields[fi];
        char *p = (char *)ev + f->offset;
        size_t at = c->pos;
        uint64_t u;
        if (f->kind == HV_TF_BOOL || f->kind == HV_TF_U8) {
            if (c->pos >= c->end)
                return fail(r, err, c->end, "truncated %s: expected the byte %s", ctx, f->name);
            uint8_t b = c->d[c->pos++];
            if (f->kind == HV_TF_BOOL) {
                if (b > 1)
                    return fail(r, err, at, "%s: %s is %u: expected 0 or 1", ctx, f->name, b);
                bool v = b;
                memcpy(p, &v, sizeof(v));
            } else {
                memcpy(p, &b, 1);
            }
            continue;
        }
        VAR(c, &u, f->name, ctx);
        if (f->enc == HV_TF_DELTA) {
            u = r->last[fi] + unzigzag(u);
            r->last[fi] = u;
        }
        switch (f->kind) {
        case HV_TF_U32: {
            if (u > UINT32_MAX)
                return fail(r, err, at, "%s: %s is 0x%" PRIx64 ": expected 32 bits", ctx, f->name,
                            u);
            uint32_t v = (uint32_t)u;
            memcpy(p, &v, sizeof(v));
        } break;
        case HV_TF_U64:
            memcpy(p, &u, sizeof(u));
            break;
        case HV_TF_I32: {
            int64_t s = (int64_t)unzigzag(u);
            if (s < INT32_MIN || s > INT32_MAX)
                return fail(r, err, at, "%s: %s is %" PRId64 ": expected 32 bits", ctx, f->name, s);
            int v = (int)s;
            memcpy(p, &v, sizeof(v));
        } break;
        case HV_TF_I64: {
            int64_t v = (int64_t)unzigzag(u);
            memcpy(p, &v, sizeof(v));
        } break;
        case HV_TF_STR: {
            if (u >= r->nstrs)
                return fail(r, err, at,
                            "%s: %s is string %" PRIu64 ": expected an id below %zu (the strings "
                            "defined so far)",
                            ctx, f->name, u, r->nstrs);
            const char *s = r->strs[u];
            memcpy(p, &s, sizeof(s));
        } break;
        }
    }
    return 0;
}

int hv_trace_next(struct hv_trace_reader *r, struct hv_event *ev, struct hv_err *err)
{
    if (r->state == -1) {
        if (err)
            *err = r->saved;
        return -1;
    }
    if (r->state == 1)
        return 0;
    for (;;) {
        if (!r->in_block) {
            int rc = next_block(r, err);
            if (rc <= 0)
                return rc;
        }
        if (r->pos >= r->blk_end) {
            if (r->blk_seen != r->blk_declared)
                return fail(r, err, r->blk_off,
                            "the block holds %" PRIu64 " events: its header says %" PRIu64,
                            r->blk_seen, r->blk_declared);
            r->in_block = false;
            r->blocks++;
            continue;
        }
        size_t at = r->pos;
        struct cur c = {.d = r->d, .pos = at + 1, .end = r->blk_end};
        uint8_t tag = r->d[at];
        unsigned kind = tag & 0x3f, el = tag >> 6;
        if (kind == HV_TR_STRING || kind == HV_TR_CONTEXT) {
            if (el)
                return fail(r, err, at, "record tag 0x%02x: expected EL bits 0 in a %s record", tag,
                            kind == HV_TR_STRING ? "string" : "context");
            uint64_t a, b;
            if (kind == HV_TR_STRING) {
                VAR(&c, &a, "length", "string record");
                if (a > c.end - c.pos)
                    return fail(
                        r, err, c.end,
                        "truncated string record: expected %" PRIu64 " bytes inside its block", a);
                if (add_string(r, c.d + c.pos, (size_t)a))
                    return fail(r, err, at, "out of memory");
                c.pos += (size_t)a;
            } else {
                VAR(&c, &a, "PE", "context record");
                if (a > 255)
                    return fail(r, err, at + 1, "context record: PE %" PRIu64 ": expected 0..255",
                                a);
                VAR(&c, &b, "VM", "context record");
                uint64_t vcpu = 0;
                if (b != 0)
                    VAR(&c, &vcpu, "vCPU", "context record");
                if (b > UINT32_MAX || vcpu > UINT32_MAX)
                    return fail(r, err, at + 1,
                                "context record: VM %" PRIu64 " vCPU %" PRIu64 ": expected 32 bits",
                                b, vcpu);
                r->pe = (uint8_t)a;
                r->vm = (uint32_t)b;
                r->vcpu = (uint32_t)vcpu;
            }
            r->pos = c.pos;
            continue;
        }
        const struct hv_trace_evdesc *d = hv_trace_desc_by_id(kind);
        if (!d)
            return fail(r, err, at,
                        "record tag 0x%02x: kind %u is no event, string (48) or context (49) "
                        "record",
                        tag, kind);
        if (r->info.version < 2 && kind >= HV_TRACE_V2_FIRST_KIND && kind <= HV_TRACE_V2_LAST_KIND)
            return fail(r, err, at,
                        "record tag 0x%02x: kind %u (%s) is not in format version %u: expected "
                        "version 2",
                        tag, kind, d->name, r->info.version);
        if (r->blk_seen >= r->blk_declared)
            return fail(r, err, at,
                        "more events in the block at offset %zu than its header says (%" PRIu64 ")",
                        r->blk_off, r->blk_declared);
        if (decode_event(r, d, (uint8_t)el, &c, ev, err))
            return -1;
        r->pos = c.pos;
        r->blk_seen++;
        r->events++;
        return 1;
    }
}

void hv_trace_reader_context(const struct hv_trace_reader *r, uint32_t *vm, uint32_t *vcpu)
{
    *vm = r->vm;
    *vcpu = r->vcpu;
}

uint64_t hv_trace_reader_events(const struct hv_trace_reader *r)
{
    return r->events;
}

void hv_trace_reader_free(struct hv_trace_reader *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nstrs; i++)
        free(r->strs[i]);
    free(r->strs);
    free(r->last);
    free(r->info.hvsim_version);
    free(r->info.platform_name);
    for (unsigned i = 0; i < r->info.nimages; i++)
        free(r->info.images[i].path);
    free(r->info.images);
    if (r->info.argv)
        for (unsigned i = 0; i < r->info.argc; i++)
            free(r->info.argv[i]);
    free(r->info.argv);
    free(r->info.inputs);
    free(r);
}
