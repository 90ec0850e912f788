/* Unit tests of the trace format (sim/trace, traces/events.def): the event
 * table, the docs against the table, round trips with extreme values, and
 * damaged input (truncation at every offset, wrong magic and version,
 * corrupted blocks). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "common/observer.h"
#include "trace/trace.h"

/* ---- helpers ------------------------------------------------------------ */

static const char *const test_argv[] = {"--trace-events", "all", "x.elf"};
static const uint8_t uart_bytes[] = {'h', 'i', 0, 0xff};

/* Record evs into a memory buffer (*out, malloc'ed). */
static size_t record(const struct hv_event *evs, unsigned n, size_t block, uint8_t **out)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct hv_trace_image img = {.role = 0, .path = "x.elf", .data = "ELF!", .len = 4};
    struct hv_trace_input in = {
        .port = 1, .start_ns = 1000, .baud = 9600, .data = uart_bytes, .len = 4};
    struct hv_trace_header h = {.hvsim_version = "9.9.9",
                                .platform_name = "virt",
                                .platform_desc = "desc",
                                .platform_len = 4,
                                .images = &img,
                                .nimages = 1,
                                .argc = 3,
                                .argv = test_argv,
                                .inputs = &in,
                                .ninputs = 1,
                                .event_mask = HV_EV_ALL};
    struct hv_trace_writer *w;
    struct hv_err err;
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(hv_trace_writer_open(&w, f, &h, &err), 0);
    if (block)
        hv_trace_writer_set_block_size(w, block);
    for (unsigned i = 0; i < n; i++)
        hv_trace_record(w, &evs[i]);
    ck_assert_uint_eq(hv_trace_writer_events(w), n);
    ck_assert_int_eq(hv_trace_writer_close(w, &err), 0);
    fclose(f);
    *out = (uint8_t *)buf;
    return len;
}

static void same_event(const struct hv_event *a, const struct hv_event *b)
{
    ck_assert_int_eq(a->type, b->type);
    ck_assert_uint_eq(a->pe, b->pe);
    ck_assert_uint_eq(a->el, b->el);
    ck_assert_uint_eq(a->pc, b->pc);
    ck_assert_uint_eq(a->icount, b->icount);
    ck_assert_uint_eq(a->vtime, b->vtime);
    const struct hv_trace_evdesc *d = hv_trace_desc_by_type(a->type);
    ck_assert_ptr_nonnull(d);
    for (unsigned i = 0; i < d->nfields; i++) {
        const struct hv_trace_field *f = &hv_trace_fields[d->first_field + i];
        const char *pa = (const char *)a + f->offset, *pb = (const char *)b + f->offset;
        if (f->kind == HV_TF_STR) {
            const char *sa, *sb;
            memcpy(&sa, pa, sizeof(sa));
            memcpy(&sb, pb, sizeof(sb));
            ck_assert_str_eq(sa ? sa : "", sb);
            continue;
        }
        size_t n = f->kind == HV_TF_BOOL || f->kind == HV_TF_U8   ? 1
                   : f->kind == HV_TF_U32 || f->kind == HV_TF_I32 ? 4
                                                                  : 8;
        ck_assert_msg(memcmp(pa, pb, n) == 0, "field %s of %s differs", f->name, d->name);
    }
}

/* Fill every field of an event of type t from a pattern: 0, all ones,
 * the sign bit, alternating bits. */
static void fill(struct hv_event *ev, enum hv_ev_type t, unsigned pat, const char *str)
{
    static const uint64_t v64[] = {0, UINT64_MAX, 1ull << 63, 0x5555555555555555ull,
                                   0x7fffffffffffffffull};
    uint64_t v = v64[pat % 5];
    const struct hv_trace_evdesc *d = hv_trace_desc_by_type(t);
    memset(ev, 0, sizeof(*ev));
    ev->type = t;
    ev->pe = (uint8_t)(pat * 97);
    ev->el = pat & 3;
    ev->pc = v ^ pat;
    ev->icount = v64[(pat + 1) % 5];
    ev->vtime = v64[(pat + 2) % 5];
    for (unsigned i = 0; i < d->nfields; i++) {
        const struct hv_trace_field *f = &hv_trace_fields[d->first_field + i];
        char *p = (char *)ev + f->offset;
        switch (f->kind) {
        case HV_TF_BOOL: {
            bool b = (pat + i) & 1;
            memcpy(p, &b, sizeof(b));
        } break;
        case HV_TF_U8: {
            uint8_t b = (uint8_t)(v >> i);
            memcpy(p, &b, 1);
        } break;
        case HV_TF_U32: {
            uint32_t x = (uint32_t)(v >> i);
            memcpy(p, &x, 4);
        } break;
        case HV_TF_U64: {
            uint64_t x = v ^ i;
            memcpy(p, &x, 8);
        } break;
        case HV_TF_I32: {
            int x = pat % 3 == 0 ? INT32_MIN : pat % 3 == 1 ? INT32_MAX : -1;
            memcpy(p, &x, 4);
        } break;
        case HV_TF_I64: {
            int64_t x = pat % 3 == 0 ? INT64_MIN : pat % 3 == 1 ? INT64_MAX : -1;
            memcpy(p, &x, 8);
        } break;
        case HV_TF_STR:
            memcpy(p, &str, sizeof(str));
            break;
        }
    }
}

static const char *const strs[] = {"", "uart0", "CNTV_CTL_EL0", "quote \" back \\ tab \t \x01",
                                   "\xc3\xa9t\xe9"};

#define NEV (HV_EV__COUNT * 10)
static struct hv_event evs[NEV];

static unsigned make_events(void)
{
    unsigned n = 0;
    for (unsigned pat = 0; pat < 10; pat++)
        for (unsigned t = 0; t < HV_EV__COUNT; t++)
            fill(&evs[n++], (enum hv_ev_type)t, pat, strs[(pat + t) % 5]);
    return n;
}

/* ---- the table ---------------------------------------------------------- */

START_TEST(test_table)
{
    unsigned seen_ids = 0, total = 0;
    ck_assert_uint_eq(hv_trace_nevents, HV_EV__COUNT);
    for (unsigned t = 0; t < HV_EV__COUNT; t++) {
        const struct hv_trace_evdesc *d = hv_trace_desc_by_type((enum hv_ev_type)t);
        ck_assert_msg(d != NULL, "event type %u is not in traces/events.def", t);
        ck_assert_str_eq(d->name, hv_ev_type_name((enum hv_ev_type)t));
        ck_assert(d->id >= 1 && d->id < HV_TR_STRING);
        ck_assert_msg(!(seen_ids & (1u << d->id)), "id %u used twice", d->id);
        seen_ids |= 1u << d->id;
        ck_assert_ptr_eq(hv_trace_desc_by_id(d->id), d);
        ck_assert_uint_gt(d->nfields, 0);
        for (unsigned i = 0; i < d->nfields; i++) {
            const struct hv_trace_field *f = &hv_trace_fields[d->first_field + i];
            ck_assert_int_eq(f->type, d->type); /* contiguous */
            ck_assert(f->offset < sizeof(struct hv_event));
            ck_assert(f->doc && f->doc[0]);
            /* DELTA only for varint kinds. */
            ck_assert(f->enc == HV_TF_PLAIN || f->kind == HV_TF_U32 || f->kind == HV_TF_U64);
            for (unsigned j = 0; j < i; j++)
                ck_assert_str_ne(f->name, hv_trace_fields[d->first_field + j].name);
        }
        total += d->nfields;
    }
    ck_assert_uint_eq(total, hv_trace_nfields);
}
END_TEST

/* docs/trace-format.md has a "### `name`" section per event, naming each
 * field as `field`. */
START_TEST(test_docs_cover_table)
{
    FILE *f = fopen(HV_SOURCE_DIR "/docs/trace-format.md", "r");
    static char doc[1 << 17];
    ck_assert_ptr_nonnull(f);
    size_t n = fread(doc, 1, sizeof(doc) - 1, f);
    fclose(f);
    doc[n] = 0;
    for (unsigned e = 0; e < hv_trace_nevents; e++) {
        const struct hv_trace_evdesc *d = hv_trace_event_at(e);
        char head[64], key[64];
        snprintf(head, sizeof(head), "\n### `%s`", d->name);
        const char *sec = strstr(doc, head);
        ck_assert_msg(sec, "docs/trace-format.md has no section %s", head + 1);
        const char *end = strstr(sec + 1, "\n##");
        size_t slen = end ? (size_t)(end - sec) : strlen(sec);
        char *s = strndup(sec, slen);
        char id[16];
        snprintf(id, sizeof(id), "kind %u", d->id);
        ck_assert_msg(strstr(s, id), "section %s does not give its record %s", head + 1, id);
        for (unsigned i = 0; i < d->nfields; i++) {
            snprintf(key, sizeof(key), "`%s`", hv_trace_fields[d->first_field + i].name);
            ck_assert_msg(strstr(s, key), "section %s does not document field %s", head + 1, key);
        }
        free(s);
    }
}
END_TEST

/* ---- round trips -------------------------------------------------------- */

static void round_trip(size_t block)
{
    unsigned n = make_events();
    uint8_t *buf;
    size_t len = record(evs, n, block, &buf);
    struct hv_trace_reader *r;
    struct hv_err err;
    struct hv_event ev;

    ck_assert_int_eq(hv_trace_reader_open(&r, buf, len, &err), 0);
    const struct hv_trace_info *in = hv_trace_reader_info(r);
    ck_assert_uint_eq(in->version, HV_TRACE_VERSION);
    ck_assert_str_eq(in->hvsim_version, "9.9.9");
    ck_assert_str_eq(in->platform_name, "virt");
    ck_assert_uint_eq(in->platform_hash, hv_fnv1a64("desc", 4));
    ck_assert_uint_eq(in->nimages, 1);
    ck_assert_str_eq(in->images[0].path, "x.elf");
    ck_assert_uint_eq(in->images[0].size, 4);
    ck_assert_uint_eq(in->images[0].hash, hv_fnv1a64("ELF!", 4));
    ck_assert_uint_eq(in->argc, 3);
    ck_assert_str_eq(in->argv[2], "x.elf");
    ck_assert_uint_eq(in->ninputs, 1);
    ck_assert_uint_eq(in->inputs[0].port, 1);
    ck_assert_uint_eq(in->inputs[0].start_ns, 1000);
    ck_assert_uint_eq(in->inputs[0].baud, 9600);
    ck_assert_uint_eq(in->inputs[0].len, 4);
    ck_assert_mem_eq(in->inputs[0].data, uart_bytes, 4);
    ck_assert_uint_eq(in->event_mask, HV_EV_ALL);
    for (unsigned i = 0; i < n; i++) {
        ck_assert_int_eq(hv_trace_next(r, &ev, &err), 1);
        same_event(&evs[i], &ev);
    }
    ck_assert_msg(hv_trace_next(r, &ev, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(hv_trace_next(r, &ev, &err), 0);
    hv_trace_reader_free(r);
    free(buf);
}

START_TEST(test_round_trip_one_block)
{
    round_trip(0);
}
END_TEST

START_TEST(test_round_trip_tiny_blocks)
{
    round_trip(1); /* one event per block: delta state resets each time */
}
END_TEST

START_TEST(test_fnv)
{
    /* Published FNV-1a test vectors. */
    ck_assert_uint_eq(hv_fnv1a64("", 0), 0xcbf29ce484222325ull);
    ck_assert_uint_eq(hv_fnv1a64("a", 1), 0xaf63dc4c8601ec8cull);
    ck_assert_uint_eq(hv_fnv1a32("a", 1), 0xe40c292cu);
    /* The CRC-32 check value (ISO-HDLC: zlib, PNG, Ethernet). */
    ck_assert_uint_eq(hv_trace_crc32("123456789", 9), 0xcbf43926u);
    ck_assert_uint_eq(hv_trace_crc32("", 0), 0);
}
END_TEST

START_TEST(test_deterministic)
{
    unsigned n = make_events();
    uint8_t *a, *b;
    size_t la = record(evs, n, 64, &a), lb = record(evs, n, 64, &b);
    ck_assert_uint_eq(la, lb);
    ck_assert_mem_eq(a, b, la);
    free(a);
    free(b);
}
END_TEST

/* ---- damage ------------------------------------------------------------- */

/* Read all of data[0..len): the events read before the error, and the error. */
static int read_all(const uint8_t *data, size_t len, unsigned *nev, struct hv_err *err)
{
    struct hv_trace_reader *r;
    struct hv_event ev;
    int rc;
    *nev = 0;
    if (hv_trace_reader_open(&r, data, len, err))
        return -1;
    while ((rc = hv_trace_next(r, &ev, err)) == 1)
        (*nev)++;
    hv_trace_reader_free(r);
    return rc;
}

static size_t err_offset(const struct hv_err *err)
{
    size_t off;
    ck_assert_msg(sscanf(err->msg, "offset %zu:", &off) == 1, "no offset in '%s'", err->msg);
    return off;
}

START_TEST(test_truncation_every_offset)
{
    unsigned n = make_events();
    uint8_t *buf;
    size_t len = record(evs, n, 200, &buf);
    unsigned prev = 0;
    for (size_t cut = 0; cut < len; cut++) {
        /* A copy of exactly `cut` bytes, so ASan sees any read past it. */
        uint8_t *c = malloc(cut ? cut : 1);
        memcpy(c, buf, cut);
        unsigned got;
        struct hv_err err;
        ck_assert_int_eq(read_all(c, cut, &got, &err), -1);
        size_t off = err_offset(&err);
        ck_assert_msg(off <= cut, "cut %zu: error at offset %zu: %s", cut, off, err.msg);
        ck_assert_msg(strstr(err.msg, "expected"), "'%s' does not say what was expected", err.msg);
        ck_assert_uint_ge(got, prev); /* a longer prefix never gives fewer events */
        ck_assert_uint_le(got, n);
        prev = got;
        free(c);
    }
    ck_assert_uint_gt(prev, n / 2); /* whole blocks survive */
    free(buf);
}
END_TEST

/* A version-3 trace rewritten as version `v` (1 or 2), as the writer of
 * that version made it: no header checksum, FNV-1a 32 block checksums
 * (docs/trace-format.md, "Versions"). In place; returns the new length. */
static uint64_t varint_at(const uint8_t *p, size_t *pos)
{
    uint64_t v = 0;
    for (unsigned sh = 0;; sh += 7) {
        uint8_t b = p[(*pos)++];
        v |= (uint64_t)(b & 0x7f) << sh;
        if (!(b & 0x80))
            return v;
    }
}

static size_t downgrade(uint8_t *buf, size_t len, unsigned v)
{
    size_t hend = 16 + (size_t)(buf[12] | buf[13] << 8 | buf[14] << 16 | (uint32_t)buf[15] << 24);
    ck_assert_uint_eq(buf[8], 3);
    buf[8] = (uint8_t)v;
    memmove(buf + hend, buf + hend + 4, len - hend - 4);
    len -= 4;
    size_t pos = hend;
    while (pos < len && buf[pos] == HV_TR_BLOCK) {
        pos++;
        uint64_t plen = varint_at(buf, &pos);
        varint_at(buf, &pos);
        uint32_t sum = hv_fnv1a32(buf + pos + 4, (size_t)plen);
        for (unsigned i = 0; i < 4; i++)
            buf[pos + i] = (uint8_t)(sum >> (8 * i));
        pos += 4 + (size_t)plen;
    }
    ck_assert_uint_eq(buf[pos], HV_TR_END);
    return len;
}

START_TEST(test_wrong_magic_version_flags)
{
    unsigned n = make_events();
    uint8_t *buf;
    size_t len = record(evs, n, 0, &buf);
    struct hv_err err;
    unsigned got;

    buf[0] = 'X';
    ck_assert_int_eq(read_all(buf, len, &got, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "offset 0: not an hvsim trace"));
    buf[0] = 'H';
    buf[8] = 4;
    ck_assert_int_eq(read_all(buf, len, &got, &err), -1);
    ck_assert_str_eq(err.msg, "offset 8: unsupported format version 4: expected 1 to 3");
    buf[8] = 3;
    /* The header checksum covers the fixed header too. */
    buf[10] = 1;
    ck_assert_int_eq(read_all(buf, len, &got, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "offset 10: unknown header flags"));
    buf[10] = 0;
    buf[20] ^= 1;
    ck_assert_int_eq(read_all(buf, len, &got, &err), -1);
    ck_assert_msg(strstr(err.msg, "header checksum"), "%s", err.msg);
    buf[20] ^= 1;
    ck_assert_int_eq(read_all(buf, len, &got, &err), 0);
    ck_assert_uint_eq(got, n);
    /* Version 2 (FNV-1a 32 blocks, no header checksum) is still read. */
    uint8_t *v2 = malloc(len);
    memcpy(v2, buf, len);
    size_t len2 = downgrade(v2, len, 2);
    ck_assert_int_eq(read_all(v2, len2, &got, &err), 0);
    ck_assert_uint_eq(got, n);
    /* A version-2 file read as version 3 fails: its blocks' checksums are
     * not CRC-32s (and it has no header checksum). */
    v2[8] = 3;
    ck_assert_int_eq(read_all(v2, len2, &got, &err), -1);
    ck_assert_msg(strstr(err.msg, "checksum"), "%s", err.msg);
    free(v2);
    /* Version 1 is read, but it has no record kinds 14-18: the first irq
     * event (make_events() emits the types in enum order) is refused. */
    len = downgrade(buf, len, 1);
    ck_assert_int_eq(read_all(buf, len, &got, &err), -1);
    ck_assert_msg(strstr(err.msg, "kind 14 (irq) is not in format version 1: expected version 2"),
                  "%s", err.msg);
    ck_assert_uint_le(got, HV_EV_IRQ);
    buf[8] = 2;
    ck_assert_int_eq(read_all(buf, len, &got, &err), 0);
    ck_assert_uint_eq(got, n);
    free(buf);
}
END_TEST

START_TEST(test_corrupted_block)
{
    unsigned n = make_events();
    uint8_t *buf;
    size_t len = record(evs, n, 300, &buf);
    struct hv_trace_reader *r;
    struct hv_err err;
    unsigned got;
    char want[64];

    ck_assert_int_eq(hv_trace_reader_open(&r, buf, len, &err), 0);
    size_t hend = hv_trace_reader_info(r)->header_end;
    hv_trace_reader_free(r);
    /* A byte inside the first block's payload: no event of it is returned. */
    buf[hend + 10] ^= 0x40;
    ck_assert_int_eq(read_all(buf, len, &got, &err), -1);
    ck_assert_uint_eq(got, 0);
    snprintf(want, sizeof(want), "offset %zu: block checksum", hend);
    ck_assert_msg(strstr(err.msg, want), "'%s'", err.msg);
    buf[hend + 10] ^= 0x40;
    /* Every single-byte change anywhere is caught (the blocks' and, from
     * version 3, the header's checksums), and never crashes the reader. */
    for (size_t i = 0; i < len; i++) {
        for (unsigned bit = 0; bit < 8; bit += 3) {
            buf[i] ^= (uint8_t)(1u << bit);
            int rc = read_all(buf, len, &got, &err);
            if (rc < 0)
                ck_assert_uint_le(err_offset(&err), len);
            else
                ck_abort_msg("a change at offset %zu (bit %u) went unnoticed", i, bit);
            buf[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* The end record must come last. */
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, buf, len);
    longer[len] = 0;
    ck_assert_int_eq(read_all(longer, len + 1, &got, &err), -1);
    ck_assert_uint_eq(got, n);
    ck_assert_ptr_nonnull(strstr(err.msg, "after the end record"));
    free(longer);
    free(buf);
}
END_TEST

START_TEST(test_json)
{
    struct hv_event ev;
    char buf[1024];
    fill(&ev, HV_EV_GUEST_ERROR, 0, "a \"quoted\"\n\x01 text \xe9");
    int n = hv_trace_event_json(&ev, buf, sizeof(buf));
    ck_assert_int_eq(n, (int)strlen(buf));
    ck_assert_ptr_nonnull(strstr(buf, "\"type\":\"guest-error\""));
    ck_assert_ptr_nonnull(strstr(buf, "\"text\":\"a \\\"quoted\\\"\\u000a\\u0001 text \\u00e9\""));
    ck_assert_int_eq(buf[n - 1], '}');
    /* Truncated output is still terminated, and the length wanted is told. */
    char small[10];
    ck_assert_int_eq(hv_trace_event_json(&ev, small, sizeof(small)), n);
    ck_assert_uint_eq(strlen(small), 9);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("trace");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_table);
    tcase_add_test(tc, test_docs_cover_table);
    tcase_add_test(tc, test_fnv);
    tcase_add_test(tc, test_round_trip_one_block);
    tcase_add_test(tc, test_round_trip_tiny_blocks);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_truncation_every_offset);
    tcase_add_test(tc, test_wrong_magic_version_flags);
    tcase_add_test(tc, test_corrupted_block);
    tcase_add_test(tc, test_json);
    suite_add_tcase(s, tc);
    return hv_check_run(s);
}
