/* hvsim: the binary trace format (docs/trace-format.md): the recorder, which
 * is an observer subscriber writing a stream of blocks, and the reader, which
 * decodes a trace held in memory back into struct hv_event.
 *
 * The event types and their fields are declared once, in traces/events.def;
 * the encoder, the decoder and the JSON writer all walk that table.
 */
#ifndef HV_TRACE_H
#define HV_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/hv_err.h"
#include "../common/observer.h"

#define HV_TRACE_MAGIC "HVSTRACE"
/* Version 2 added record kinds 14-18 (irq, lr, virq, maint, timer). A
 * version-1 file is a version-2 file without them, so both are read; a
 * version-1 file holding one of them is refused. Version 3 checksums the
 * header (a CRC-32 after its items) and the blocks with CRC-32 instead of
 * FNV-1a 32, which cost a tenth of the recording time (docs/trace-format.md,
 * "Versions"). All three are read. */
#define HV_TRACE_VERSION       3
#define HV_TRACE_VERSION_MIN   1
#define HV_TRACE_V3_CRC        3  /* the first version with CRC-32 checksums */
#define HV_TRACE_V2_FIRST_KIND 14 /* the first record kind of version 2 */
#define HV_TRACE_V2_LAST_KIND  18

/* Header item tags (docs/trace-format.md, "Header items"). */
enum hv_trace_item {
    HV_TI_HVSIM_VERSION = 1,
    HV_TI_PLATFORM = 2,
    HV_TI_IMAGE = 3,
    HV_TI_OPTIONS = 4,
    HV_TI_UART_INPUT = 5,
    HV_TI_EVENT_MASK = 6,
};

/* Record kinds inside a block (the low 6 bits of the tag byte); 1..47 are
 * events (traces/events.def). */
#define HV_TR_STRING  48
#define HV_TR_CONTEXT 49
/* Top-level items after the header. */
#define HV_TR_BLOCK 0x42 /* 'B' */
#define HV_TR_END   0x45 /* 'E' */

/* ---- the event table ---------------------------------------------------- */

enum hv_tf_kind { HV_TF_BOOL, HV_TF_U8, HV_TF_U32, HV_TF_U64, HV_TF_I32, HV_TF_I64, HV_TF_STR };
enum hv_tf_enc { HV_TF_PLAIN, HV_TF_DELTA };
enum hv_tf_fmt { HV_TF_DEC, HV_TF_HEX };

struct hv_trace_field {
    enum hv_ev_type type;
    const char *name;
    const char *doc;
    size_t offset; /* in struct hv_event */
    uint8_t kind, enc, fmt;
};

struct hv_trace_evdesc {
    unsigned id; /* record kind in the file */
    enum hv_ev_type type;
    const char *name;
    const char *doc;
    unsigned first_field, nfields; /* into hv_trace_fields[] */
};

extern const struct hv_trace_field hv_trace_fields[];
extern const unsigned hv_trace_nfields;
extern const unsigned hv_trace_nevents;
/* The ith event descriptor (0 <= i < hv_trace_nevents), fields resolved. */
const struct hv_trace_evdesc *hv_trace_event_at(unsigned i);

/* The descriptor of an event type, or of a record kind; NULL if none. */
const struct hv_trace_evdesc *hv_trace_desc_by_type(enum hv_ev_type t);
const struct hv_trace_evdesc *hv_trace_desc_by_id(unsigned id);

/* FNV-1a, 64 and 32 bits, over bytes (the image and platform hashes, and the
 * block checksums). */
uint64_t hv_fnv1a64(const void *data, size_t len);
uint32_t hv_fnv1a32(const void *data, size_t len);
/* CRC-32 (ISO-HDLC, as zlib's crc32() and Python's zlib.crc32) over bytes:
 * the header and block checksums from version 3 on. */
uint32_t hv_trace_crc32(const void *data, size_t len);
/* A block payload's checksum in format version `version`. */
uint32_t hv_trace_block_sum(unsigned version, const void *data, size_t len);

/* ---- recording ------------------------------------------------------------ */

struct hv_trace_image {
    uint8_t role;     /* 0: the main image, 1: a --load file */
    uint64_t addr;    /* FILE@ADDR's address; 0 when the format decides */
    const char *path; /* as given on the command line */
    const void *data;
    size_t len;
};

struct hv_trace_input {
    uint8_t port;
    uint64_t start_ns; /* virtual time of the first byte */
    uint32_t baud;     /* pacing, 10 bits per byte; 0: the default (115200) */
    const void *data;
    size_t len;
};

struct hv_trace_header {
    const char *hvsim_version;
    const char *platform_name;
    const void *platform_desc; /* canonical platform description (its DTB) */
    size_t platform_len;
    const struct hv_trace_image *images;
    unsigned nimages;
    unsigned argc;
    const char *const *argv; /* the options, as given */
    const struct hv_trace_input *inputs;
    unsigned ninputs;
    uint32_t event_mask; /* HV_EV_BIT()s of the recorded types */
};

struct hv_trace_writer;

/* Write the header to f and return a recorder; f stays the caller's. */
int hv_trace_writer_open(struct hv_trace_writer **w, FILE *f, const struct hv_trace_header *h,
                         struct hv_err *err);
/* The observer callback (ctx: the writer). Errors are kept for close. */
void hv_trace_record(void *ctx, const struct hv_event *ev);
/* Flush the last block, write the end record and free w. Returns -1 if any
 * write failed since open. */
int hv_trace_writer_close(struct hv_trace_writer *w, struct hv_err *err);
uint64_t hv_trace_writer_events(const struct hv_trace_writer *w);
/* Flush when a block's payload reaches this many bytes (default 4096). */
void hv_trace_writer_set_block_size(struct hv_trace_writer *w, size_t bytes);
/* Where the recorder learns the VM of an event, for the context records:
 * *vm = 0 (not known, or not in a VM) or VMID + 1, and *vcpu. Without one,
 * every event is recorded with VM 0. */
typedef void (*hv_trace_vm_fn)(void *ctx, const struct hv_event *ev, uint32_t *vm, uint32_t *vcpu);
void hv_trace_writer_set_vm_fn(struct hv_trace_writer *w, hv_trace_vm_fn fn, void *ctx);

/* ---- reading -------------------------------------------------------------- */

struct hv_trace_info {
    unsigned version;
    char *hvsim_version;
    char *platform_name;
    uint64_t platform_hash;
    struct {
        uint8_t role;
        uint64_t addr, size, hash;
        char *path;
    } * images;
    unsigned nimages;
    char **argv;
    unsigned argc;
    struct {
        uint8_t port;
        uint64_t start_ns;
        uint32_t baud;
        const uint8_t *data; /* into the trace bytes */
        size_t len;
    } * inputs;
    unsigned ninputs;
    uint32_t event_mask; /* HV_EV_BIT()s */
    size_t header_end;   /* offset of the first block */
};

struct hv_trace_reader;

/* Parse the header of the trace in data[0..len) (which must outlive the
 * reader). On error, *r is NULL and err says where and what. */
int hv_trace_reader_open(struct hv_trace_reader **r, const void *data, size_t len,
                         struct hv_err *err);
const struct hv_trace_info *hv_trace_reader_info(const struct hv_trace_reader *r);
/* The next event: 1 and *ev filled (its strings live as long as the reader),
 * 0 at the end record, -1 on damage (err: "offset N: ..."); after -1 every
 * call returns -1 again. A block is checked whole (length, checksum) before
 * any of its events is returned. */
int hv_trace_next(struct hv_trace_reader *r, struct hv_event *ev, struct hv_err *err);
/* The offset of the next byte the reader will look at. */
size_t hv_trace_reader_offset(const struct hv_trace_reader *r);
void hv_trace_reader_free(struct hv_trace_reader *r);
/* The VM context of the last event returned: vm 0 when unknown, otherwise
 * VMID + 1 (the context record, docs/trace-format.md), and its vCPU. */
void hv_trace_reader_context(const struct hv_trace_reader *r, uint32_t *vm, uint32_t *vcpu);
/* Events returned so far. */
uint64_t hv_trace_reader_events(const struct hv_trace_reader *r);

/* One JSON object (no newline) for ev: "type", "vtime", "icount", "pe", "el",
 * "pc", the fields of events.def, and "text" (hv_event_body). Returns the
 * length it wanted, as snprintf. */
int hv_trace_event_json(const struct hv_event *ev, char *buf, size_t len);

/* ---- analysis (trace_analyze.c): hvsim trace diff|stats|perfetto ---------- */

/* NULL if a and b are the same event (type, PE, EL, pc, icount, vtime and
 * every field of events.def, strings by content); otherwise the name of the
 * first difference ("type", "pe", "el", "pc", "icount", "vtime" or a field
 * name). */
const char *hv_trace_event_cmp(const struct hv_event *a, const struct hv_event *b);

/* Read two traces in step and write the first divergent event (by
 * hv_trace_event_cmp, then its VM and vCPU: "vm", "vcpu") with `context`
 * events before and after it (and the header items that differ). Returns 0
 * if the events are identical, 1 if they diverge, -1 if a trace is damaged
 * before a divergence is found (err: which trace, offset, what). */
int hv_trace_diff(struct hv_trace_reader *a, struct hv_trace_reader *b, const char *name_a,
                  const char *name_b, unsigned context, FILE *out, struct hv_err *err);

/* Read the trace to its end and write the statistics (per VM when the
 * context records say, otherwise per EL): traps by class, time per EL,
 * injections, interrupt latencies, violations, event counts. On damage the
 * statistics of the events before it are written, marked partial, and -1
 * is returned (err). */
int hv_trace_stats(struct hv_trace_reader *r, FILE *out, struct hv_err *err);

/* Write the trace as Chrome trace-event JSON (ui.perfetto.dev,
 * chrome://tracing): EL (or VM) slices per PE, instants for every event,
 * flows from a physical IRQ to its injection and the guest's acknowledge,
 * counters of list-register occupancy. Only the event types in
 * instant_mask (HV_EV_BIT()s) get an instant; slices, flows and counters
 * always use every event. On damage the JSON is still closed (the events
 * before it) and -1 is returned (err). */
int hv_trace_perfetto(struct hv_trace_reader *r, FILE *out, uint32_t instant_mask,
                      struct hv_err *err);

#endif
