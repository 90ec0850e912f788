/* hvsim trace: the recorder. Records are encoded into a block buffer; a
 * whole block (header, length, checksum, payload) is written and flushed
 * when it reaches the block size, at the end of the run and after a stop
 * event, so a killed run leaves a file of whole blocks (plus at most one
 * partial block, which readers detect). docs/trace-format.md. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

#define MAX_STR 4096 /* longer strings are cut (events carry one-line texts) */

struct str_slot {
    uint64_t hash;
    char *s; /* NULL: empty slot */
    uint32_t id;
};

struct hv_trace_writer {
    FILE *f;
    int werr; /* errno of the first failed write, or -1 */
    uint8_t *buf;
    size_t len, cap, block_size;
    uint32_t block_events;
    uint64_t events, blocks;
    /* Delta state, reset at every block start. */
    uint64_t icount, vtime, pc;
    uint8_t pe;
    uint32_t vm, vcpu;
    /* The previous value of every DELTA field, in its event type's slot. */
    struct hv_event prev[HV_EV__COUNT];
    hv_trace_vm_fn vm_fn;
    void *vm_ctx;
    /* The string table: open addressing, power-of-two size. */
    struct str_slot *strs;
    size_t strcap, nstrs;
    /* The last strings seen, by address: models pass the same constant
     * (a device or register name) again and again. A hit is confirmed by
     * comparing the bytes, since a model may also reuse a buffer. */
    struct {
        const char *ptr;
        const char *copy; /* the table's copy */
        uint32_t id;
    } recent[64];
};

/* ---- byte buffer ------------------------------------------------------ */

static int grow_slow(struct hv_trace_writer *w, size_t more);

static inline int grow(struct hv_trace_writer *w, size_t more)
{
    if (__builtin_expect(w->len + more <= w->cap, 1))
        return 0;
    return grow_slow(w, more);
}

static int grow_slow(struct hv_trace_writer *w, size_t more)
{
    size_t cap = w->cap ? w->cap : 8192;
    while (cap < w->len + more)
        cap *= 2;
    uint8_t *p = realloc(w->buf, cap);
    if (!p) {
        if (w->werr == 0)
            w->werr = ENOMEM;
        return -1;
    }
    w->buf = p;
    w->cap = cap;
    return 0;
}

static void put8(struct hv_trace_writer *w, uint8_t b)
{
    if (grow(w, 1) == 0)
        w->buf[w->len++] = b;
}

static void putbytes(struct hv_trace_writer *w, const void *p, size_t n)
{
    if (n && grow(w, n) == 0) {
        memcpy(w->buf + w->len, p, n);
        w->len += n;
    }
}

static void putvar(struct hv_trace_writer *w, uint64_t v)
{
    if (grow(w, 10))
        return;
    uint8_t *p = w->buf + w->len;
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    w->len = (size_t)(p - w->buf);
}

static uint64_t zigzag(uint64_t d)
{
    return (d << 1) ^ (0 - (d >> 63));
}

static void putle(struct hv_trace_writer *w, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        put8(w, (uint8_t)(v >> (8 * i)));
}

/* ---- header ----------------------------------------------------------- */

/* A header item: tag, length, payload (built in w->buf after `mark`). */
static size_t item_begin(struct hv_trace_writer *w)
{
    return w->len;
}

static void item_end(struct hv_trace_writer *w, size_t mark, unsigned tag)
{
    /* Move the payload behind its tag and varint length. */
    size_t plen = w->len - mark;
    uint8_t hdr[20];
    size_t hn = 0;
    uint64_t v = tag;
    do {
        hdr[hn++] = (uint8_t)((v >= 0x80 ? 0x80 : 0) | (v & 0x7f));
        v >>= 7;
    } while (v);
    v = plen;
    do {
        hdr[hn++] = (uint8_t)((v >= 0x80 ? 0x80 : 0) | (v & 0x7f));
        v >>= 7;
    } while (v);
    if (grow(w, hn))
        return;
    memmove(w->buf + mark + hn, w->buf + mark, plen);
    memcpy(w->buf + mark, hdr, hn);
    w->len += hn;
}

static void put_lstr(struct hv_trace_writer *w, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    putvar(w, n);
    putbytes(w, s, n);
}

static void write_out(struct hv_trace_writer *w, const void *p, size_t n)
{
    if (w->werr)
        return;
    if (fwrite(p, 1, n, w->f) != n || fflush(w->f) != 0)
        w->werr = errno ? errno : EIO;
}

int hv_trace_writer_open(struct hv_trace_writer **out, FILE *f, const struct hv_trace_header *h,
                         struct hv_err *err)
{
    struct hv_trace_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return hv_err_set(err, "out of memory");
    w->f = f;
    w->block_size = 4096;

    /* Fixed part: magic, version, flags, header length (patched below). */
    putbytes(w, HV_TRACE_MAGIC, 8);
    putle(w, HV_TRACE_VERSION, 2);
    putle(w, 0, 2);
    putle(w, 0, 4);

    size_t m = item_begin(w);
    putbytes(w, h->hvsim_version, h->hvsim_version ? strlen(h->hvsim_version) : 0);
    item_end(w, m, HV_TI_HVSIM_VERSION);

    m = item_begin(w);
    putle(w, hv_fnv1a64(h->platform_desc, h->platform_len), 8);
    putbytes(w, h->platform_name, h->platform_name ? strlen(h->platform_name) : 0);
    item_end(w, m, HV_TI_PLATFORM);

    for (unsigned i = 0; i < h->nimages; i++) {
        const struct hv_trace_image *im = &h->images[i];
        m = item_begin(w);
        put8(w, im->role);
        putvar(w, im->addr);
        putvar(w, im->len);
        putle(w, hv_fnv1a64(im->data, im->len), 8);
        putbytes(w, im->path, im->path ? strlen(im->path) : 0);
        item_end(w, m, HV_TI_IMAGE);
    }

    m = item_begin(w);
    putvar(w, h->argc);
    for (unsigned i = 0; i < h->argc; i++)
        put_lstr(w, h->argv[i]);
    item_end(w, m, HV_TI_OPTIONS);

    for (unsigned i = 0; i < h->ninputs; i++) {
        const struct hv_trace_input *in = &h->inputs[i];
        m = item_begin(w);
        put8(w, in->port);
        putvar(w, in->start_ns);
        putvar(w, in->baud);
        putvar(w, in->len);
        putbytes(w, in->data, in->len);
        item_end(w, m, HV_TI_UART_INPUT);
    }

    uint64_t idmask = 0;
    for (unsigned t = 0; t < HV_EV__COUNT; t++) {
        const struct hv_trace_evdesc *d = hv_trace_desc_by_type((enum hv_ev_type)t);
        if (d && (h->event_mask & HV_EV_BIT(t)))
            idmask |= 1ull << d->id;
    }
    m = item_begin(w);
    putvar(w, idmask);
    item_end(w, m, HV_TI_EVENT_MASK);

    if (w->werr) {
        int e = w->werr;
        free(w->buf);
        free(w);
        return hv_err_set(err, "writing the trace header: %s", strerror(e));
    }
    uint32_t hl = (uint32_t)(w->len - 16);
    for (unsigned i = 0; i < 4; i++)
        w->buf[12 + i] = (uint8_t)(hl >> (8 * i));
    /* Version 3: the header's own checksum, over everything before it. */
    putle(w, hv_trace_crc32(w->buf, w->len), 4);
    write_out(w, w->buf, w->len);
    w->len = 0;
    if (w->werr) {
        int e = w->werr;
        free(w->buf);
        free(w);
        return hv_err_set(err, "writing the trace header: %s", strerror(e));
    }
    *out = w;
    return 0;
}

void hv_trace_writer_set_vm_fn(struct hv_trace_writer *w, hv_trace_vm_fn fn, void *ctx)
{
    w->vm_fn = fn;
    w->vm_ctx = ctx;
}

void hv_trace_writer_set_block_size(struct hv_trace_writer *w, size_t bytes)
{
    w->block_size = bytes ? bytes : 1;
}

uint64_t hv_trace_writer_events(const struct hv_trace_writer *w)
{
    return w->events;
}

/* ---- blocks ----------------------------------------------------------- */

static void reset_block_state(struct hv_trace_writer *w)
{
    w->icount = w->vtime = w->pc = 0;
    w->pe = 0;
    w->vm = w->vcpu = 0;
    memset(w->prev, 0, sizeof(w->prev));
    w->block_events = 0;
}

static void flush_block(struct hv_trace_writer *w)
{
    uint8_t hdr[32];
    size_t hn = 0;
    uint64_t v;

    if (w->len == 0)
        return;
    hdr[hn++] = HV_TR_BLOCK;
    for (v = w->len; v >= 0x80; v >>= 7)
        hdr[hn++] = (uint8_t)(v | 0x80);
    hdr[hn++] = (uint8_t)v;
    for (v = w->block_events; v >= 0x80; v >>= 7)
        hdr[hn++] = (uint8_t)(v | 0x80);
    hdr[hn++] = (uint8_t)v;
    uint32_t sum = hv_trace_crc32(w->buf, w->len);
    for (unsigned i = 0; i < 4; i++)
        hdr[hn++] = (uint8_t)(sum >> (8 * i));
    /* One fwrite for the whole block, so a kill rarely splits it. */
    if (grow(w, hn) == 0) {
        memmove(w->buf + hn, w->buf, w->len);
        memcpy(w->buf, hdr, hn);
        write_out(w, w->buf, w->len + hn);
    }
    w->len = 0;
    w->blocks++;
    reset_block_state(w);
}

/* The id of s in the string table, defining it in the current block first
 * if it is new. */
static uint32_t string_id_slow(struct hv_trace_writer *w, const char *s, const char **copy_out);

/* strcmp(a, b) == 0, inline: the strings are short names (uart0), and a
 * library call per string field was a tenth of the recording cost. */
static inline bool same_str(const char *a, const char *b)
{
    while (*a == *b) {
        if (!*a)
            return true;
        a++;
        b++;
    }
    return false;
}

static uint32_t string_id(struct hv_trace_writer *w, const char *s)
{
    unsigned k = (unsigned)(((uintptr_t)s >> 3) ^ ((uintptr_t)s >> 9)) & 63;
    if (w->recent[k].ptr == s && same_str(w->recent[k].copy, s))
        return w->recent[k].id;
    const char *copy = NULL;
    uint32_t id = string_id_slow(w, s, &copy);
    if (copy && strlen(s) < MAX_STR) {
        w->recent[k].ptr = s;
        w->recent[k].copy = copy;
        w->recent[k].id = id;
    }
    return id;
}

static uint32_t string_id_slow(struct hv_trace_writer *w, const char *s, const char **copy_out)
{
    size_t n = strnlen(s, MAX_STR);
    uint64_t h = hv_fnv1a64(s, n);

    if (w->nstrs * 2 >= w->strcap) {
        size_t ncap = w->strcap ? w->strcap * 2 : 256;
        struct str_slot *t = calloc(ncap, sizeof(*t));
        if (!t) {
            if (!w->werr)
                w->werr = ENOMEM;
            return 0;
        }
        for (size_t i = 0; i < w->strcap; i++) {
            if (!w->strs[i].s)
                continue;
            size_t j = w->strs[i].hash & (ncap - 1);
            while (t[j].s)
                j = (j + 1) & (ncap - 1);
            t[j] = w->strs[i];
        }
        free(w->strs);
        w->strs = t;
        w->strcap = ncap;
    }
    size_t j = h & (w->strcap - 1);
    for (; w->strs[j].s; j = (j + 1) & (w->strcap - 1))
        if (w->strs[j].hash == h && strncmp(w->strs[j].s, s, n) == 0 && w->strs[j].s[n] == 0) {
            *copy_out = w->strs[j].s;
            return w->strs[j].id;
        }
    char *copy = malloc(n + 1);
    if (!copy) {
        if (!w->werr)
            w->werr = ENOMEM;
        return 0;
    }
    memcpy(copy, s, n);
    copy[n] = 0;
    w->strs[j].hash = h;
    w->strs[j].s = copy;
    w->strs[j].id = (uint32_t)w->nstrs++;
    *copy_out = copy;
    put8(w, HV_TR_STRING);
    putvar(w, n);
    putbytes(w, copy, n);
    return w->strs[j].id;
}

/* ---- per-type encoders, generated from traces/events.def ---------------- */

/* Unchecked writers: the caller reserved EVENT_MAX bytes. */
static inline uint8_t *pvar(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* The most an event record (with its context record) can take: tag, three
 * 10-byte deltas, at most 16 fields of at most 10 bytes, a context record
 * of three varints. Checked at compile time below. */
#define EVENT_MAX 256

/* The member a field names must have the width its kind encodes (the
 * generic encoder read exactly that many bytes). */
#define WIDTH_BOOL 1
#define WIDTH_U8   1
#define WIDTH_U32  4
#define WIDTH_U64  8
#define WIDTH_I32  4
#define WIDTH_I64  8
#define WIDTH_STR  sizeof(const char *)
#define CHECK_WIDTH(path, k)                                                                       \
    _Static_assert(sizeof(((const struct hv_event *)0)->path) == WIDTH_##k,                        \
                   "traces/events.def: the width of " #path " is not that of " #k);

/* One field, by kind and encoding (docs/trace-format.md, "Blocks"). DELTA
 * fields keep their previous value per event type in w->prev. */
#define ENC_BOOL_PLAIN(t, path) *p++ = ev->path ? 1 : 0;
#define ENC_U8_PLAIN(t, path)   *p++ = (uint8_t)ev->path;
#define ENC_U32_PLAIN(t, path)  p = pvar(p, (uint32_t)ev->path);
#define ENC_U64_PLAIN(t, path)  p = pvar(p, (uint64_t)ev->path);
#define ENC_I32_PLAIN(t, path)  p = pvar(p, zigzag((uint64_t)(int64_t)ev->path));
#define ENC_I64_PLAIN(t, path)  p = pvar(p, zigzag((uint64_t)(int64_t)ev->path));
#define ENC_STR_PLAIN(t, path)  p = pvar(p, sid[ns++]);
#define ENC_DELTA(t, path, ty)                                                                     \
    {                                                                                              \
        uint64_t u_ = (ty)ev->path;                                                                \
        p = pvar(p, zigzag(u_ - (ty)w->prev[t].path));                                             \
        w->prev[t].path = ev->path;                                                                \
    }
#define ENC_U32_DELTA(t, path) ENC_DELTA(t, path, uint32_t)
#define ENC_U64_DELTA(t, path) ENC_DELTA(t, path, uint64_t)

/* The string fields' ids, in field order. */
#define SID_BOOL(path)
#define SID_U8(path)
#define SID_U32(path)
#define SID_U64(path)
#define SID_I32(path)
#define SID_I64(path)
#define SID_STR(path) sid[ns++] = string_id(w, ev->path ? ev->path : "");

/* The string ids of ev's fields into sid[]; -1 for a type with no record
 * kind. */
static inline int event_strings(struct hv_trace_writer *w, const struct hv_event *ev, uint32_t *sid)
{
    unsigned ns = 0;
    switch (ev->type) {
    default:
        return -1;
#define HV_TRACE_EVENT(i, t, nm, d)                                                                \
    break;                                                                                         \
    case t:
#define HV_TRACE_FIELD(t, path, nm, k, e, f, d) SID_##k(path)
#include "../../traces/events.def"
        break;
    }
    (void)w;
    (void)ev;
    return (int)ns;
}

/* The tag, the common part and the fields of ev at p. */
static inline uint8_t *event_record(struct hv_trace_writer *w, const struct hv_event *ev,
                                    const uint32_t *sid, uint8_t *p)
{
    unsigned ns = 0;
    uint8_t el = (uint8_t)((ev->el & 3) << 6);
    switch (ev->type) {
    default:
        return p;
#define HV_TRACE_EVENT(i, t, nm, d)                                                                \
    break;                                                                                         \
    case t:                                                                                        \
        *p++ = (uint8_t)(el | (i));                                                                \
        p = pvar(p, zigzag(ev->icount - w->icount));                                               \
        p = pvar(p, zigzag(ev->vtime - w->vtime));                                                 \
        p = pvar(p, zigzag(ev->pc - w->pc));
#define HV_TRACE_FIELD(t, path, nm, k, e, f, d) ENC_##k##_##e(t, path) CHECK_WIDTH(path, k)
#include "../../traces/events.def"
        break;
    }
    (void)sid;
    (void)ns;
    w->icount = ev->icount;
    w->vtime = ev->vtime;
    w->pc = ev->pc;
    return p;
}

/* No event has more fields than EVENT_MAX allows, nor more strings than
 * hv_trace_record keeps ids for. */
enum {
    nf_begin_ = 0
#define HV_TRACE_EVENT(i, t, nm, d)             , nf_##i = 0
#define HV_TRACE_FIELD(t, path, nm, k, e, f, d) +1
#include "../../traces/events.def"
};
enum {
    ns_begin_ = 0
#define HV_TRACE_EVENT(i, t, nm, d)             , ns_##i = 0
#define HV_TRACE_FIELD(t, path, nm, k, e, f, d) +IS_STR_##k
#define IS_STR_BOOL                             0
#define IS_STR_U8                               0
#define IS_STR_U32                              0
#define IS_STR_U64                              0
#define IS_STR_I32                              0
#define IS_STR_I64                              0
#define IS_STR_STR                              1
#include "../../traces/events.def"
};
#define HV_TRACE_EVENT(i, t, nm, d)                                                                \
    _Static_assert(1 + 30 + 10 * nf_##i + 16 <= EVENT_MAX, "event " nm ": too many fields");       \
    _Static_assert(ns_##i <= 8, "event " nm ": more than 8 strings");
#include "../../traces/events.def"

void hv_trace_record(void *ctx, const struct hv_event *ev)
{
    struct hv_trace_writer *w = ctx;
    uint32_t sid[8] = {0};

    if (w->werr)
        return;
    /* Strings first: their definitions must precede the event. */
    if (event_strings(w, ev, sid) < 0)
        return;
    uint32_t vm = 0, vcpu = 0;
    if (w->vm_fn)
        w->vm_fn(w->vm_ctx, ev, &vm, &vcpu);
    if (!vm)
        vcpu = 0;
    if (grow(w, EVENT_MAX))
        return;
    uint8_t *p = w->buf + w->len;
    if (ev->pe != w->pe || vm != w->vm || vcpu != w->vcpu) {
        *p++ = HV_TR_CONTEXT;
        p = pvar(p, ev->pe);
        p = pvar(p, vm);
        if (vm)
            p = pvar(p, vcpu);
        w->pe = ev->pe;
        w->vm = vm;
        w->vcpu = vcpu;
    }
    p = event_record(w, ev, sid, p);
    w->len = (size_t)(p - w->buf);
    w->block_events++;
    w->events++;
    if (w->len >= w->block_size || ev->type == HV_EV_RUN_STOP)
        flush_block(w);
}

int hv_trace_writer_close(struct hv_trace_writer *w, struct hv_err *err)
{
    int rc = 0;
    if (!w)
        return 0;
    flush_block(w);
    put8(w, HV_TR_END);
    putvar(w, w->events);
    putvar(w, w->blocks);
    write_out(w, w->buf, w->len);
    if (w->werr)
        rc = hv_err_set(err, "writing the trace: %s", strerror(w->werr));
    for (size_t i = 0; i < w->strcap; i++)
        free(w->strs[i].s);
    free(w->strs);
    free(w->buf);
    free(w);
    return rc;
}
