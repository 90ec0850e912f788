/* hvsim trace: the event table (from traces/events.def), the hashes and the
 * JSON rendering shared by the recorder, the reader and the CLI. */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <zlib.h>

#include "../common/evfmt.h"
#include "trace.h"

const struct hv_trace_field hv_trace_fields[] = {
#define HV_TRACE_FIELD(t, path, nm, k, e, f, d)                                                    \
    {.type = (t),                                                                                  \
     .name = (nm),                                                                                 \
     .doc = (d),                                                                                   \
     .offset = offsetof(struct hv_event, path),                                                    \
     .kind = HV_TF_##k,                                                                            \
     .enc = HV_TF_##e,                                                                             \
     .fmt = HV_TF_##f},
#include "../../traces/events.def"
};
const unsigned hv_trace_nfields = sizeof(hv_trace_fields) / sizeof(hv_trace_fields[0]);

/* The fields of each event are contiguous in the table; the first/count are
 * filled by walking it once (hv_trace_desc_*). */
static struct hv_trace_evdesc events_rw[] = {
#define HV_TRACE_EVENT(i, t, nm, d) {.id = (i), .type = (t), .name = (nm), .doc = (d)},
#include "../../traces/events.def"
};

const unsigned hv_trace_nevents = sizeof(events_rw) / sizeof(events_rw[0]);

static const struct hv_trace_evdesc *by_type[HV_EV__COUNT];
static const struct hv_trace_evdesc *by_id[64];
static int table_ready;

static void table_init(void)
{
    if (table_ready)
        return;
    for (unsigned e = 0; e < hv_trace_nevents; e++) {
        struct hv_trace_evdesc *d = &events_rw[e];
        d->first_field = hv_trace_nfields;
        d->nfields = 0;
        for (unsigned f = 0; f < hv_trace_nfields; f++) {
            if (hv_trace_fields[f].type != d->type)
                continue;
            if (d->nfields == 0)
                d->first_field = f;
            d->nfields++;
        }
        if ((unsigned)d->type < HV_EV__COUNT)
            by_type[d->type] = d;
        if (d->id < 64)
            by_id[d->id] = d;
    }
    table_ready = 1;
}

const struct hv_trace_evdesc *hv_trace_desc_by_type(enum hv_ev_type t)
{
    table_init();
    return (unsigned)t < HV_EV__COUNT ? by_type[t] : NULL;
}

const struct hv_trace_evdesc *hv_trace_event_at(unsigned i)
{
    table_init();
    return i < hv_trace_nevents ? &events_rw[i] : NULL;
}

const struct hv_trace_evdesc *hv_trace_desc_by_id(unsigned id)
{
    table_init();
    return id < 64 ? by_id[id] : NULL;
}

uint64_t hv_fnv1a64(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

uint32_t hv_fnv1a32(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t h = 0x811c9dc5u;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x01000193u;
    }
    return h;
}

uint32_t hv_trace_crc32(const void *data, size_t len)
{
    /* zlib's crc32_z (size_t length), not crc32: the static libunicorn.a
     * defines a global, byte-at-a-time `crc32` of its own, and the linker
     * bound our calls to it rather than to zlib's (same CRC-32, about a
     * fifth of the speed: 11 % of a traced uart_rx run). crc32_z has no
     * such twin. */
    return (uint32_t)crc32_z(crc32_z(0L, Z_NULL, 0), data, len);
}

uint32_t hv_trace_block_sum(unsigned version, const void *data, size_t len)
{
    return version >= HV_TRACE_V3_CRC ? hv_trace_crc32(data, len) : hv_fnv1a32(data, len);
}

/* ---- JSON --------------------------------------------------------------- */

struct jbuf {
    char *p;
    size_t len, n; /* n: wanted so far */
};

static void jputc(struct jbuf *b, char c)
{
    if (b->n + 1 < b->len)
        b->p[b->n] = c;
    b->n++;
}

static void jputs(struct jbuf *b, const char *s)
{
    while (*s)
        jputc(b, *s++);
}

static void jprintf(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jprintf(struct jbuf *b, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    jputs(b, tmp);
}

/* A JSON string. Bytes >= 0x80 are written as \u00XX (their Latin-1
 * reading), so the output is always valid JSON even for non-UTF-8 input. */
static void jstr(struct jbuf *b, const char *s)
{
    jputc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; s && *p; p++) {
        if (*p == '"' || *p == '\\') {
            jputc(b, '\\');
            jputc(b, (char)*p);
        } else if (*p < 0x20 || *p >= 0x7f) {
            jprintf(b, "\\u%04x", *p);
        } else {
            jputc(b, (char)*p);
        }
    }
    jputc(b, '"');
}

int hv_trace_event_json(const struct hv_event *ev, char *buf, size_t len)
{
    struct jbuf b = {.p = buf, .len = len, .n = 0};
    const struct hv_trace_evdesc *d = hv_trace_desc_by_type(ev->type);
    char body[512];

    jputs(&b, "{\"type\":");
    jstr(&b, d ? d->name : "?");
    jprintf(&b, ",\"vtime\":%" PRIu64 ",\"icount\":%" PRIu64, ev->vtime, ev->icount);
    jprintf(&b, ",\"pe\":%u,\"el\":%u,\"pc\":\"0x%" PRIx64 "\"", ev->pe, ev->el, ev->pc);
    for (unsigned i = 0; d && i < d->nfields; i++) {
        const struct hv_trace_field *f = &hv_trace_fields[d->first_field + i];
        const char *p = (const char *)ev + f->offset;
        uint64_t u = 0;
        int64_t s = 0;
        jputc(&b, ',');
        jstr(&b, f->name);
        jputc(&b, ':');
        switch (f->kind) {
        case HV_TF_BOOL: {
            bool v;
            memcpy(&v, p, sizeof(v));
            u = v;
        } break;
        case HV_TF_U8: {
            uint8_t v;
            memcpy(&v, p, sizeof(v));
            u = v;
        } break;
        case HV_TF_U32: {
            uint32_t v;
            memcpy(&v, p, sizeof(v));
            u = v;
        } break;
        case HV_TF_U64:
            memcpy(&u, p, sizeof(u));
            break;
        case HV_TF_I32: {
            int v;
            memcpy(&v, p, sizeof(v));
            s = v;
        } break;
        case HV_TF_I64:
            memcpy(&s, p, sizeof(s));
            break;
        case HV_TF_STR: {
            const char *v;
            memcpy(&v, p, sizeof(v));
            if (v)
                jstr(&b, v);
            else
                jputs(&b, "null");
            continue;
        }
        }
        if (f->kind == HV_TF_I32 || f->kind == HV_TF_I64)
            jprintf(&b, "%" PRId64, s);
        else if (f->fmt == HV_TF_HEX)
            jprintf(&b, "\"0x%" PRIx64 "\"", u);
        else
            jprintf(&b, "%" PRIu64, u);
    }
    hv_event_body(ev, body, sizeof(body));
    jputs(&b, ",\"text\":");
    jstr(&b, body);
    jputc(&b, '}');
    if (len)
        buf[b.n < len ? b.n : len - 1] = '\0';
    return (int)b.n;
}
