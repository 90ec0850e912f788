/* hvsim trace: the analyses behind `hvsim trace diff|stats|perfetto`
 * (docs/traces.md). They read events through the reader and walk the
 * events.def table for fields, so a new event type shows up in every view
 * without a change here.
 *
 * Interrupt delivery comes from the GIC's own events (format version 2,
 * docs/trace-format.md) when the trace recorded them (`irq`, `lr` and
 * `virq` in its event mask):
 *  - a physical interrupt asserted: `irq` op 0 (INTID, PE);
 *  - its acknowledge: `irq` op 1, an ICC_IAR read (at EL2 with a
 *    hypervisor; at EL1 without one, where it is the guest's own);
 *  - an injection: `lr` with State pending; it continues the flow of the
 *    physical INTID it forwards (HW: pINTID) or of the same number;
 *  - the guest's acknowledge: `virq` op 0 of the injected vINTID.
 * LR occupancy follows the `lr` writes and the GIC's own changes (`virq`:
 * an acknowledge makes a pending LR active, a deactivation clears Active).
 *
 * Older traces (version 1, or recorded without those types) fall back to
 * the derivation from the GIC's system-register events:
 *  - a physical IRQ: an IRQ exception taken to EL2 that is not virtual;
 *  - its acknowledge: an ICC_IAR0/1_EL1 read at EL2, value = the INTID
 *    (GICv3 12.2.13/14; 1020..1023 are special, not an acknowledge);
 *  - an injection: a write to ICH_LR<n>_EL2 with State pending (GICv3
 *    12.4.10: vINTID [31:0], pINTID [44:32], Priority [55:48], Group [60],
 *    HW [61], State [63:62]);
 *  - the guest's acknowledge: an ICC_IAR0/1_EL1 read below EL2 returning a
 *    vINTID that was injected (with HCR_EL2.IMO/FMO the read is the virtual
 *    ICV_IAR, 12.3.3);
 *  - LR occupancy: the LRs whose last value written or read by the
 *    hypervisor has a non-zero State.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../common/arm_esr.h"
#include "../common/evfmt.h"
#include "trace.h"

/* ---- comparing events ---------------------------------------------------- */

static size_t field_size(const struct hv_trace_field *f)
{
    switch (f->kind) {
    case HV_TF_BOOL:
    case HV_TF_U8:
        return 1;
    case HV_TF_U32:
    case HV_TF_I32:
        return 4;
    default:
        return 8;
    }
}

const char *hv_trace_event_cmp(const struct hv_event *a, const struct hv_event *b)
{
    if (a->type != b->type)
        return "type";
    if (a->icount != b->icount)
        return "icount";
    if (a->vtime != b->vtime)
        return "vtime";
    if (a->pe != b->pe)
        return "pe";
    if (a->el != b->el)
        return "el";
    if (a->pc != b->pc)
        return "pc";
    const struct hv_trace_evdesc *d = hv_trace_desc_by_type(a->type);
    if (!d)
        return NULL;
    for (unsigned i = 0; i < d->nfields; i++) {
        const struct hv_trace_field *f = &hv_trace_fields[d->first_field + i];
        const char *pa = (const char *)a + f->offset, *pb = (const char *)b + f->offset;
        if (f->kind == HV_TF_STR) {
            const char *sa, *sb;
            memcpy(&sa, pa, sizeof(sa));
            memcpy(&sb, pb, sizeof(sb));
            /* The writer keeps at most 4096 bytes of a string. */
            if (strncmp(sa ? sa : "", sb ? sb : "", 4096) != 0)
                return f->name;
        } else if (f->kind == HV_TF_BOOL) {
            bool x, y;
            memcpy(&x, pa, 1);
            memcpy(&y, pb, 1);
            if (x != y)
                return f->name;
        } else if (memcmp(pa, pb, field_size(f)) != 0) {
            return f->name;
        }
    }
    return NULL;
}

/* ---- diff ------------------------------------------------------------------ */

#define DIFF_RING 64

static void diff_line(FILE *out, const char *mark, uint64_t idx, const struct hv_event *ev)
{
    char line[1024];
    hv_event_format(ev, line, sizeof(line));
    fprintf(out, "%s #%-7" PRIu64 " icount %-10" PRIu64 " %s\n", mark, idx, ev->icount, line);
}

static void diff_headers(const struct hv_trace_info *a, const struct hv_trace_info *b, FILE *out)
{
    if (strcmp(a->hvsim_version ? a->hvsim_version : "", b->hvsim_version ? b->hvsim_version : ""))
        fprintf(out, "header: hvsim version %s vs %s\n", a->hvsim_version, b->hvsim_version);
    if (a->platform_hash != b->platform_hash)
        fprintf(out, "header: platform %s fnv1a64=%016" PRIx64 " vs %s fnv1a64=%016" PRIx64 "\n",
                a->platform_name, a->platform_hash, b->platform_name, b->platform_hash);
    for (unsigned i = 0; i < a->nimages || i < b->nimages; i++) {
        if (i >= a->nimages || i >= b->nimages) {
            fprintf(out, "header: image %u only in %s\n", i, i >= a->nimages ? "B" : "A");
            continue;
        }
        if (a->images[i].hash != b->images[i].hash || a->images[i].addr != b->images[i].addr)
            fprintf(out,
                    "header: image %u %s fnv1a64=%016" PRIx64 " vs %s fnv1a64=%016" PRIx64 "\n", i,
                    a->images[i].path, a->images[i].hash, b->images[i].path, b->images[i].hash);
    }
    bool same_opts = a->argc == b->argc;
    for (unsigned i = 0; same_opts && i < a->argc; i++)
        same_opts = strcmp(a->argv[i], b->argv[i]) == 0;
    if (!same_opts) {
        fprintf(out, "header: options differ:\n  A:");
        for (unsigned i = 0; i < a->argc; i++)
            fprintf(out, " %s", a->argv[i]);
        fprintf(out, "\n  B:");
        for (unsigned i = 0; i < b->argc; i++)
            fprintf(out, " %s", b->argv[i]);
        fprintf(out, "\n");
    }
    bool same_in = a->ninputs == b->ninputs;
    for (unsigned i = 0; same_in && i < a->ninputs; i++)
        same_in = a->inputs[i].port == b->inputs[i].port &&
                  a->inputs[i].start_ns == b->inputs[i].start_ns &&
                  a->inputs[i].baud == b->inputs[i].baud && a->inputs[i].len == b->inputs[i].len &&
                  memcmp(a->inputs[i].data, b->inputs[i].data, a->inputs[i].len) == 0;
    if (!same_in)
        fprintf(out, "header: UART inputs differ (%u vs %u inputs)\n", a->ninputs, b->ninputs);
    if (a->event_mask != b->event_mask)
        fprintf(out, "header: recorded event types differ (mask 0x%x vs 0x%x)\n", a->event_mask,
                b->event_mask);
}

int hv_trace_diff(struct hv_trace_reader *a, struct hv_trace_reader *b, const char *name_a,
                  const char *name_b, unsigned context, FILE *out, struct hv_err *err)
{
    struct hv_event ring[DIFF_RING], ea, eb;
    struct hv_err ea_err, eb_err;
    uint64_t idx = 0;

    if (context >= DIFF_RING)
        context = DIFF_RING - 1;
    fprintf(out, "A: %s\nB: %s\n", name_a, name_b);
    diff_headers(hv_trace_reader_info(a), hv_trace_reader_info(b), out);
    for (;; idx++) {
        int ra = hv_trace_next(a, &ea, &ea_err);
        int rb = hv_trace_next(b, &eb, &eb_err);
        if (ra < 0 || rb < 0) {
            fprintf(out, "identical for the first %" PRIu64 " events, then %s is damaged\n", idx,
                    ra < 0 ? "A" : "B");
            return hv_err_set(err, "%s: %s", ra < 0 ? name_a : name_b,
                              ra < 0 ? ea_err.msg : eb_err.msg);
        }
        if (ra == 0 && rb == 0) {
            fprintf(out, "identical: %" PRIu64 " events\n", idx);
            return 0;
        }
        const char *what = ra == 0 || rb == 0 ? NULL : hv_trace_event_cmp(&ea, &eb);
        if (ra == 1 && rb == 1 && !what) {
            /* The same event attributed to another VM or vCPU. */
            uint32_t vma, vcpua, vmb, vcpub;
            hv_trace_reader_context(a, &vma, &vcpua);
            hv_trace_reader_context(b, &vmb, &vcpub);
            if (vma != vmb)
                what = "vm";
            else if (vcpua != vcpub)
                what = "vcpu";
        }
        if (ra == 1 && rb == 1 && !what) {
            ring[idx % DIFF_RING] = ea;
            continue;
        }
        /* The first divergence. */
        if (ra == 0 || rb == 0) {
            const struct hv_event *more = ra ? &ea : &eb;
            fprintf(out,
                    "first divergence at event #%" PRIu64 ": %s ends after %" PRIu64
                    " events, %s goes on (vtime %" PRIu64 " ns, icount %" PRIu64 ")\n",
                    idx, ra ? "B" : "A", idx, ra ? "A" : "B", more->vtime, more->icount);
        } else {
            fprintf(out,
                    "first divergence at event #%" PRIu64 " (A: vtime %" PRIu64
                    " ns, icount %" PRIu64 "; B: vtime %" PRIu64 " ns, icount %" PRIu64
                    "): %s differs\n",
                    idx, ea.vtime, ea.icount, eb.vtime, eb.icount, what);
        }
        uint64_t first = idx > context ? idx - context : 0;
        for (uint64_t i = first; i < idx; i++)
            diff_line(out, " ", i, &ring[i % DIFF_RING]);
        if (ra == 1)
            diff_line(out, "-", idx, &ea);
        if (rb == 1)
            diff_line(out, "+", idx, &eb);
        /* What follows in each, to see whether they realign. */
        for (unsigned k = 1; k <= context && ra == 1; k++) {
            if ((ra = hv_trace_next(a, &ea, &ea_err)) != 1)
                break;
            diff_line(out, "-", idx + k, &ea);
        }
        for (unsigned k = 1; k <= context && rb == 1; k++) {
            if ((rb = hv_trace_next(b, &eb, &eb_err)) != 1)
                break;
            diff_line(out, "+", idx + k, &eb);
        }
        return 1;
    }
}

/* ---- interrupt delivery, derived from GIC register events ------------------ */

static bool is_iar(const char *name)
{
    return name && (strcmp(name, "ICC_IAR1_EL1") == 0 || strcmp(name, "ICC_IAR0_EL1") == 0);
}

/* ICH_LR<n>_EL2: n, or -1. */
static int lr_index(const char *name)
{
    unsigned n;
    char tail[8];
    if (!name || sscanf(name, "ICH_LR%u%7s", &n, tail) != 2 || strcmp(tail, "_EL2") != 0 || n > 15)
        return -1;
    return (int)n;
}

#define LR_STATE(v)  ((unsigned)((v) >> 62))
#define LR_VINTID(v) ((uint32_t)(v))
#define LR_PINTID(v) ((uint32_t)(((v) >> 32) & 0x1fff))
#define LR_HW(v)     (((v) >> 61) & 1)
#define MAX_PE       256
#define MAX_PENDING  64

/* One interrupt on its way: physical IRQ -> acknowledge at EL2 ->
 * injection -> guest acknowledge. Times are virtual ns. */
struct irq_flow {
    uint64_t id;
    uint64_t t_irq; /* the physical IRQ taken (0: none, injected without one) */
    uint64_t t_inject;
    uint32_t intid; /* physical INTID until injected, then the vINTID */
    uint8_t stage;  /* 0 taken (asserted), 1 acknowledged at EL2, 2 injected */
    uint8_t pe;
};

struct deliver {
    bool dedicated; /* the trace has irq/lr/virq events: use them */
    struct irq_flow fl[MAX_PENDING];
    unsigned n;
    uint64_t next_id;
    uint64_t lrs[MAX_PE][16];
    /* What the last event did: for the views. */
    enum { D_NONE, D_IRQ, D_ACK, D_INJECT, D_GUEST_ACK, D_PHYS_DONE } what;
    struct irq_flow cur; /* the flow concerned */
    int lr_changed_pe;   /* the PE whose LR occupancy changed, or -1 */
};

static void fl_remove(struct deliver *d, unsigned i)
{
    d->fl[i] = d->fl[--d->n];
}

static struct irq_flow *fl_add(struct deliver *d)
{
    if (d->n == MAX_PENDING) /* forget the oldest: its IRQ was never followed up */
        fl_remove(d, 0);
    struct irq_flow *f = &d->fl[d->n++];
    memset(f, 0, sizeof(*f));
    f->id = ++d->next_id;
    return f;
}

static unsigned lr_occupancy(const struct deliver *d, unsigned pe)
{
    unsigned n = 0;
    for (unsigned i = 0; i < 16; i++)
        n += LR_STATE(d->lrs[pe][i]) != 0;
    return n;
}

static void deliver_init(struct deliver *d, const struct hv_trace_reader *r)
{
    const struct hv_trace_info *in = hv_trace_reader_info(r);
    uint32_t need = HV_EV_BIT(HV_EV_IRQ) | HV_EV_BIT(HV_EV_LR) | HV_EV_BIT(HV_EV_VIRQ);
    d->dedicated = in && (in->event_mask & need) == need;
}

static struct irq_flow *fl_find(struct deliver *d, uint8_t stage, uint32_t intid, uint8_t pe)
{
    for (unsigned i = 0; i < d->n; i++)
        if (d->fl[i].stage == stage && d->fl[i].intid == intid && d->fl[i].pe == pe)
            return &d->fl[i];
    return NULL;
}

static void lr_set(struct deliver *d, uint8_t pe, unsigned lr, uint64_t v)
{
    uint64_t old = d->lrs[pe][lr & 15];
    d->lrs[pe][lr & 15] = v;
    if ((LR_STATE(old) != 0) != (LR_STATE(v) != 0))
        d->lr_changed_pe = pe;
}

/* The delivery steps from the GIC's own events (see the top of the file). */
static void deliver_dedicated(struct deliver *d, const struct hv_event *ev)
{
    switch (ev->type) {
    case HV_EV_IRQ: {
        const struct hv_ev_irq *q = &ev->u.irq;
        if (q->op == HV_IRQ_ASSERT) {
            struct irq_flow *f = fl_find(d, 0, q->intid, q->target);
            if (f) /* asserted again before anyone acknowledged it: restart */
                fl_remove(d, (unsigned)(f - d->fl));
            f = fl_add(d);
            f->t_irq = ev->vtime ? ev->vtime : 1; /* 0 means "no IRQ" */
            f->pe = q->target;
            f->intid = q->intid;
            d->what = D_IRQ;
            d->cur = *f;
        } else if (q->op == HV_IRQ_DEASSERT) {
            /* Withdrawn before anyone acknowledged it: no delivery to time. */
            struct irq_flow *f = fl_find(d, 0, q->intid, q->target);
            if (f && f->stage == 0)
                fl_remove(d, (unsigned)(f - d->fl));
        } else if (q->op == HV_IRQ_ACK) {
            struct irq_flow *f = fl_find(d, 0, q->intid, q->target);
            if (!f)
                return;
            d->cur = *f;
            d->cur.t_inject = ev->vtime; /* (the acknowledge time, for the views) */
            if (ev->el < 2) {
                /* No hypervisor in the loop: this is the guest's own. */
                d->what = D_PHYS_DONE;
                fl_remove(d, (unsigned)(f - d->fl));
            } else {
                f->stage = 1;
                d->what = D_ACK;
            }
        }
        return;
    }
    case HV_EV_LR: {
        const struct hv_ev_lr *l = &ev->u.lr;
        lr_set(d, ev->pe, l->lr, l->new_value);
        if (l->state != 1 /* pending */)
            return;
        uint32_t match = l->hw ? l->pintid : l->vintid;
        struct irq_flow *f = fl_find(d, 1, match, ev->pe);
        if (!f)
            f = fl_find(d, 0, match, ev->pe); /* injected without an acknowledge */
        if (!f) {
            f = fl_add(d);
            f->pe = ev->pe;
        }
        f->stage = 2;
        f->intid = l->vintid;
        f->t_inject = ev->vtime;
        d->what = D_INJECT;
        d->cur = *f;
        return;
    }
    case HV_EV_VIRQ: {
        const struct hv_ev_virq *q = &ev->u.virq;
        if (q->lr != 0xff) {
            uint64_t v = d->lrs[ev->pe][q->lr & 15];
            if (q->op == HV_VIRQ_ACK && LR_STATE(v) & 1)
                v = (v & ~(3ull << 62)) | (2ull << 62); /* pending -> active */
            else if (q->op == HV_VIRQ_DEACT)
                v &= ~(2ull << 62);
            lr_set(d, ev->pe, q->lr, v);
        }
        if (q->op != HV_VIRQ_ACK || q->vintid >= 1020)
            return;
        struct irq_flow *f = fl_find(d, 2, q->vintid, ev->pe);
        if (!f)
            return;
        d->what = D_GUEST_ACK;
        d->cur = *f;
        fl_remove(d, (unsigned)(f - d->fl));
        return;
    }
    default:
        return;
    }
}

static void deliver_step(struct deliver *d, const struct hv_event *ev)
{
    d->what = D_NONE;
    d->lr_changed_pe = -1;
    if (d->dedicated) {
        deliver_dedicated(d, ev);
        return;
    }
    if (ev->type == HV_EV_EXC_TAKEN && ev->u.exc.kind == HV_EXC_IRQ && !ev->u.exc.virt &&
        ev->u.exc.to_el == 2) {
        struct irq_flow *f = fl_add(d);
        f->t_irq = ev->vtime;
        f->pe = ev->pe;
        f->intid = UINT32_MAX; /* known at the acknowledge */
        d->what = D_IRQ;
        d->cur = *f;
        return;
    }
    if (ev->type != HV_EV_SYSREG)
        return;
    const struct hv_ev_sysreg *s = &ev->u.sysreg;
    if (s->decision != HV_SR_OK)
        return;
    int lr = lr_index(s->name);
    if (lr >= 0) {
        uint64_t old = d->lrs[ev->pe][lr];
        d->lrs[ev->pe][lr] = s->value;
        if ((LR_STATE(old) != 0) != (LR_STATE(s->value) != 0))
            d->lr_changed_pe = ev->pe;
        if (!s->is_write || LR_STATE(s->value) != 1 /* pending */)
            return;
        /* An injection: the flow of the physical INTID it forwards (HW) or
         * of the same number, if one was acknowledged at EL2. */
        uint32_t match = LR_HW(s->value) ? LR_PINTID(s->value) : LR_VINTID(s->value);
        struct irq_flow *f = NULL;
        for (unsigned i = 0; i < d->n; i++)
            if (d->fl[i].stage == 1 && d->fl[i].intid == match && d->fl[i].pe == ev->pe) {
                f = &d->fl[i];
                break;
            }
        if (!f) {
            f = fl_add(d);
            f->pe = ev->pe;
        }
        f->stage = 2;
        f->intid = LR_VINTID(s->value);
        f->t_inject = ev->vtime;
        d->what = D_INJECT;
        d->cur = *f;
        return;
    }
    if (!is_iar(s->name) || s->is_write || s->value >= 1020)
        return;
    if (ev->el == 2) {
        /* The oldest IRQ taken on this PE and not acknowledged yet. */
        for (unsigned i = 0; i < d->n; i++)
            if (d->fl[i].stage == 0 && d->fl[i].pe == ev->pe) {
                d->fl[i].stage = 1;
                d->fl[i].intid = (uint32_t)s->value;
                d->what = D_ACK;
                d->cur = d->fl[i];
                d->cur.t_inject = ev->vtime; /* (the acknowledge time, for the views) */
                return;
            }
        return;
    }
    for (unsigned i = 0; i < d->n; i++)
        if (d->fl[i].stage == 2 && d->fl[i].intid == (uint32_t)s->value && d->fl[i].pe == ev->pe) {
            d->what = D_GUEST_ACK;
            d->cur = d->fl[i];
            fl_remove(d, i);
            return;
        }
}

/* ---- the EL of a PE ------------------------------------------------------- */

/* Only exception entries and returns are trusted for the EL: device models
 * (the UART, the GIC's MMIO) do not know the PE's EL and report 0. A PE
 * starts at EL2, where hvsim enters the image. */
static unsigned pe_el_before(const struct hv_event *ev, unsigned tracked)
{
    if (ev->type == HV_EV_EXC_TAKEN)
        return ev->u.exc.from_el & 3;
    if (ev->type == HV_EV_ERET)
        return ev->u.eret.from_el & 3;
    return tracked;
}

static unsigned pe_el_after(const struct hv_event *ev, unsigned before)
{
    if (ev->type == HV_EV_EXC_TAKEN)
        return ev->u.exc.to_el & 3;
    if (ev->type == HV_EV_ERET)
        return ev->u.eret.to_el & 3;
    return before;
}

/* ---- stats ----------------------------------------------------------------- */

struct dist {
    uint64_t *v;
    size_t n, cap;
};

static void dist_add(struct dist *d, uint64_t x)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        uint64_t *p = realloc(d->v, cap * sizeof(*p));
        if (!p)
            return;
        d->v = p;
        d->cap = cap;
    }
    d->v[d->n++] = x;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void dist_print(FILE *out, const char *name, struct dist *d)
{
    fprintf(out, "  %-34s ", name);
    if (!d->n) {
        fprintf(out, "none\n");
        return;
    }
    qsort(d->v, d->n, sizeof(*d->v), cmp_u64);
    /* Nearest-rank percentiles. */
#define PCT(p) d->v[(d->n * (p) + 99) / 100 ? (d->n * (p) + 99) / 100 - 1 : 0]
    fprintf(out,
            "n=%zu min=%" PRIu64 " p50=%" PRIu64 " p90=%" PRIu64 " p99=%" PRIu64 " max=%" PRIu64
            " ns\n",
            d->n, d->v[0], PCT(50), PCT(90), PCT(99), d->v[d->n - 1]);
#undef PCT
}

/* Per group (a VM, or an EL when no VM is known). */
struct group {
    uint64_t traps[4][4][64]; /* from EL, to EL, EC: synchronous exceptions */
    uint64_t async[4][2];     /* kind (IRQ, FIQ, SError), virtual */
    uint64_t time_ns[4];      /* virtual time spent at each EL */
    uint64_t injections, guest_acks, violations;
    uint64_t by_type[64];
    bool used;
};

#define MAX_GROUPS 64

struct pe_state {
    bool seen;
    uint8_t el;
    uint64_t t;
};

static unsigned group_of(uint32_t vm, uint8_t el)
{
    /* Group 0..3: no VM known, by EL; 4 + k: VM with VMID k (capped). */
    if (!vm)
        return el & 3;
    return 4 + (vm - 1 < MAX_GROUPS - 5 ? vm - 1 : MAX_GROUPS - 5);
}

/* Violations: bus errors, and any event type whose name says so (the MMU
 * checker's and the hypervisor's reports, as they are added). */
static bool is_violation(enum hv_ev_type t)
{
    const char *n = hv_ev_type_name(t);
    return t == HV_EV_BUS_ERROR ||
           (n && (strstr(n, "violation") || strstr(n, "isolation") || strstr(n, "refusal")));
}

int hv_trace_stats(struct hv_trace_reader *r, FILE *out, struct hv_err *err)
{
    struct group *g = calloc(MAX_GROUPS, sizeof(*g));
    struct pe_state *pes = calloc(MAX_PE, sizeof(*pes));
    struct deliver *dl = calloc(1, sizeof(*dl));
    struct dist lat_ack = {0}, lat_guest = {0}, lat_e2e = {0}, lat_phys = {0};
    struct hv_event ev;
    uint64_t nev = 0, t_first = 0, t_last = 0;
    bool any_vm = false;
    int got;

    if (!g || !pes || !dl) {
        free(g);
        free(pes);
        free(dl);
        return hv_err_set(err, "out of memory");
    }
    deliver_init(dl, r);
    while ((got = hv_trace_next(r, &ev, err)) == 1) {
        uint32_t vm, vcpu;
        hv_trace_reader_context(r, &vm, &vcpu);
        any_vm |= vm != 0;
        if (!nev)
            t_first = ev.vtime;
        if (ev.vtime > t_last)
            t_last = ev.vtime;
        nev++;
        struct pe_state *p = &pes[ev.pe];
        /* Time: from the PE's previous event to this one, at the EL it was
         * at (the EL after an exception entry or return). */
        if (p->seen && ev.vtime >= p->t) {
            /* The PE was at p->el since its last event: in the VM of this
             * event if that is below EL2. */
            unsigned el_int = p->el & 3;
            g[group_of(el_int < 2 ? vm : 0, (uint8_t)el_int)].time_ns[el_int] += ev.vtime - p->t;
        }
        if (!p->seen)
            p->el = 2; /* hvsim enters the image at EL2 */
        p->seen = true;
        unsigned el = pe_el_before(&ev, p->el);
        unsigned gi = group_of(vm, (uint8_t)el);
        struct group *G = &g[gi];
        G->used = true;
        G->by_type[ev.type & 63]++;
        if (ev.type == HV_EV_EXC_TAKEN) {
            const struct hv_ev_exc *x = &ev.u.exc;
            if (x->kind == HV_EXC_SYNC)
                G->traps[x->from_el & 3][x->to_el & 3][(x->esr >> 26) & 63]++;
            else
                G->async[x->kind & 3][x->virt ? 1 : 0]++;
        }
        if (is_violation(ev.type))
            G->violations++;
        deliver_step(dl, &ev);
        switch (dl->what) {
        case D_ACK:
            dist_add(&lat_ack, dl->cur.t_inject - dl->cur.t_irq);
            break;
        case D_INJECT:
            G->injections++;
            break;
        case D_GUEST_ACK:
            G->guest_acks++;
            dist_add(&lat_guest, ev.vtime - dl->cur.t_inject);
            if (dl->cur.t_irq)
                dist_add(&lat_e2e, ev.vtime - dl->cur.t_irq);
            break;
        case D_PHYS_DONE:
            dist_add(&lat_phys, dl->cur.t_inject - dl->cur.t_irq);
            break;
        default:
            break;
        }
        if (ev.vtime > p->t) /* (a trapped access can be 1 ns after its exception) */
            p->t = ev.vtime;
        p->el = (uint8_t)pe_el_after(&ev, el);
    }

    fprintf(out, "events: %" PRIu64 ", virtual time %" PRIu64 " .. %" PRIu64 " ns%s\n", nev,
            t_first, t_last, got < 0 ? " (PARTIAL: the trace is damaged, see the error)" : "");
    fprintf(out, "grouped by: %s\n",
            any_vm ? "VM (context records), events without one by EL"
                   : "EL (the trace has no VM information)");
    for (unsigned gi = 0; gi < MAX_GROUPS; gi++) {
        struct group *G = &g[gi];
        uint64_t total = 0;
        for (unsigned e = 0; e < 4; e++)
            total += G->time_ns[e];
        if (!G->used && !total)
            continue;
        if (gi < 4)
            fprintf(out, "\n%s EL%u:\n", any_vm ? "no VM," : "", gi);
        else
            fprintf(out, "\nVM %u%s:\n", gi - 4, gi == MAX_GROUPS - 1 ? " and above" : "");
        fprintf(out, "  time:");
        for (unsigned e = 0; e < 4; e++)
            if (G->time_ns[e])
                fprintf(out, " EL%u %" PRIu64 " ns (%.1f%%)", e, G->time_ns[e],
                        100.0 * (double)G->time_ns[e] /
                            (double)(t_last - t_first ? t_last - t_first : 1));
        fprintf(out, "%s\n", total ? "" : " none");
        for (unsigned f = 0; f < 4; f++)
            for (unsigned t = 0; t < 4; t++)
                for (unsigned ec = 0; ec < 64; ec++)
                    if (G->traps[f][t][ec])
                        fprintf(out, "  trap EL%u -> EL%u %-10s EC 0x%02x: %" PRIu64 "\n", f, t,
                                hv_ec_name(ec), ec, G->traps[f][t][ec]);
        static const char *const kinds[] = {"sync", "IRQ", "FIQ", "SError"};
        for (unsigned k = 1; k < 4; k++)
            for (unsigned v = 0; v < 2; v++)
                if (G->async[k][v])
                    fprintf(out, "  interrupt %s%s taken: %" PRIu64 "\n", v ? "virtual " : "",
                            kinds[k], G->async[k][v]);
        fprintf(out, "  injections (LR writes, pending): %" PRIu64 "\n", G->injections);
        fprintf(out, "  guest acknowledges of injected interrupts: %" PRIu64 "\n", G->guest_acks);
        fprintf(out, "  violations: %" PRIu64 "\n", G->violations);
        fprintf(out, "  events:");
        for (unsigned t = 0; t < 64; t++)
            if (G->by_type[t])
                fprintf(out, " %s=%" PRIu64, hv_ev_type_name((enum hv_ev_type)t), G->by_type[t]);
        fprintf(out, "\n");
    }
    if (dl->dedicated) {
        fprintf(out, "\ninterrupt latencies (virtual time, from the GIC's events):\n");
        dist_print(out, "asserted -> acknowledged at EL2", &lat_ack);
        dist_print(out, "injection -> guest acknowledge", &lat_guest);
        dist_print(out, "asserted -> guest ack (injected)", &lat_e2e);
        dist_print(out, "asserted -> acknowledged below EL2", &lat_phys);
    } else {
        fprintf(out, "\ninterrupt latencies (virtual time, derived from register accesses):\n");
        dist_print(out, "IRQ taken at EL2 -> acknowledge", &lat_ack);
        dist_print(out, "injection -> guest acknowledge", &lat_guest);
        dist_print(out, "IRQ taken at EL2 -> guest ack", &lat_e2e);
    }
    free(lat_phys.v);
    free(lat_ack.v);
    free(lat_guest.v);
    free(lat_e2e.v);
    free(g);
    free(pes);
    free(dl);
    return got < 0 ? -1 : 0;
}

/* ---- perfetto (Chrome trace-event JSON) ------------------------------------ */

/* Timestamps are in microseconds; virtual ns are written exactly as
 * <us>.<3 digits>. */
static void ts(FILE *out, uint64_t ns)
{
    fprintf(out, "\"ts\":%" PRIu64 ".%03u", ns / 1000, (unsigned)(ns % 1000));
}

static void slice_name(char *buf, size_t len, uint32_t vm, uint32_t vcpu, unsigned el)
{
    if (vm && el < 2)
        snprintf(buf, len, "VM %u vCPU %u (EL%u)", vm - 1, vcpu, el);
    else
        snprintf(buf, len, "%s",
                 el == 3   ? "EL3 firmware"
                 : el == 2 ? "EL2 hypervisor"
                 : el == 1 ? "EL1 guest"
                           : "EL0 guest");
}

struct pf_pe {
    bool open, seen;
    uint64_t t; /* the last time drawn */
    char name[64];
    uint8_t el;
    uint32_t vm;
};

int hv_trace_perfetto(struct hv_trace_reader *r, FILE *out, uint32_t instant_mask,
                      struct hv_err *err)
{
    struct pf_pe *pes = calloc(MAX_PE, sizeof(*pes));
    struct deliver *dl = calloc(1, sizeof(*dl));
    struct hv_event ev;
    char json[2048], *big = NULL;
    uint64_t t_last = 0;
    bool first = true;
    int got;

    if (!pes || !dl) {
        free(pes);
        free(dl);
        return hv_err_set(err, "out of memory");
    }
    deliver_init(dl, r);
    fprintf(out, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"source\":\"hvsim trace perfetto\","
                 "\"time\":\"virtual\"},\"traceEvents\":[\n");
#define SEP() (first ? (first = false, "") : ",\n")
    fprintf(out,
            "%s{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"tid\":0,"
            "\"args\":{\"name\":\"hvsim machine\"}}",
            SEP());
    while ((got = hv_trace_next(r, &ev, err)) == 1) {
        uint32_t vm, vcpu;
        struct pf_pe *p = &pes[ev.pe];
        hv_trace_reader_context(r, &vm, &vcpu);
        /* Viewers want time to go forward on a track. An event's time is
         * not always in order: the CPU counts a translated block's
         * instructions when the block starts and takes back the ones that
         * did not run at a synchronous exception, so an event inside a block
         * (a trapped MRS) can be 1 ns later than the exception it causes.
         * Such an event is drawn at the time of the one before it; its args
         * keep the recorded time. */
        uint64_t t = p->seen && ev.vtime < p->t ? p->t : ev.vtime;
        p->t = t;
        if (t > t_last)
            t_last = t;
        if (!p->seen)
            fprintf(out,
                    "%s{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":%u,"
                    "\"args\":{\"name\":\"PE%u\"}}",
                    SEP(), ev.pe, ev.pe);
        /* The EL the PE is at before this event: open its slice. */
        if (!p->seen)
            p->el = 2; /* hvsim enters the image at EL2 */
        p->seen = true;
        unsigned el_before = pe_el_before(&ev, p->el);
        unsigned el_after = pe_el_after(&ev, el_before);
        char name[64];
        slice_name(name, sizeof(name), vm, vcpu, el_before);
        if (!p->open || strcmp(p->name, name) != 0) {
            if (p->open) {
                fprintf(out, "%s{\"ph\":\"E\",\"pid\":1,\"tid\":%u,", SEP(), ev.pe);
                ts(out, t);
                fprintf(out, "}");
            }
            fprintf(out, "%s{\"ph\":\"B\",\"name\":\"%s\",\"cat\":\"el\",\"pid\":1,\"tid\":%u,",
                    SEP(), name, ev.pe);
            ts(out, t);
            fprintf(out, "}");
            p->open = true;
            snprintf(p->name, sizeof(p->name), "%s", name);
        }

        /* Every event (of instant_mask) is an instant on its PE's track,
         * its fields as args. */
        if (instant_mask & HV_EV_BIT(ev.type)) {
            char label[160];
            if (ev.type == HV_EV_EXC_TAKEN) {
                const struct hv_ev_exc *x = &ev.u.exc;
                static const char *const kinds[] = {"sync", "IRQ", "FIQ", "SError"};
                if (x->kind == HV_EXC_SYNC)
                    snprintf(label, sizeof(label), "trap %s EL%u->EL%u", hv_ec_name(x->esr >> 26),
                             x->from_el, x->to_el);
                else
                    snprintf(label, sizeof(label), "%s%s EL%u->EL%u", x->virt ? "virtual " : "",
                             kinds[x->kind & 3], x->from_el, x->to_el);
            } else if (ev.type == HV_EV_ERET) {
                snprintf(label, sizeof(label), "eret EL%u->EL%u", ev.u.eret.from_el,
                         ev.u.eret.to_el);
            } else if (ev.type == HV_EV_SYSREG && ev.u.sysreg.name) {
                snprintf(label, sizeof(label), "%s %.40s", ev.u.sysreg.is_write ? "msr" : "mrs",
                         ev.u.sysreg.name);
            } else {
                snprintf(label, sizeof(label), "%s", hv_ev_type_name(ev.type));
            }
            int jl = hv_trace_event_json(&ev, json, sizeof(json));
            const char *args = jl < 0 ? "{}" : json;
            if (jl >= 0 && (size_t)jl >= sizeof(json)) {
                free(big);
                big = malloc((size_t)jl + 1);
                if (big)
                    hv_trace_event_json(&ev, big, (size_t)jl + 1);
                args = big ? big : "{}";
            }
            /* Label: plain ASCII from our tables (EC names, register names). */
            for (char *c = label; *c; c++)
                if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
                    *c = '?';
            fprintf(
                out,
                "%s{\"ph\":\"i\",\"s\":\"t\",\"name\":\"%s\",\"cat\":\"%s\",\"pid\":1,\"tid\":%u,",
                SEP(), label, hv_ev_type_name(ev.type), ev.pe);
            ts(out, t);
            fprintf(out, ",\"args\":%s}", args);
        }

        /* Interrupt delivery: flows and LR occupancy. */
        deliver_step(dl, &ev);
        const char *ph = NULL;
        switch (dl->what) {
        case D_IRQ:
            ph = "s";
            break;
        case D_ACK:
            ph = "t";
            break;
        case D_INJECT:
            ph = dl->cur.t_irq ? "t" : "s";
            break;
        case D_GUEST_ACK:
        case D_PHYS_DONE:
            ph = "f";
            break;
        default:
            break;
        }
        if (ph) {
            fprintf(out,
                    "%s{\"ph\":\"%s\",\"name\":\"interrupt\",\"cat\":\"irq\",\"id\":%" PRIu64
                    ",\"pid\":1,\"tid\":%u,%s",
                    SEP(), ph, dl->cur.id, ev.pe, ph[0] == 'f' ? "\"bp\":\"e\"," : "");
            ts(out, t);
            fprintf(out, "}");
        }
        if (dl->lr_changed_pe >= 0) {
            fprintf(out, "%s{\"ph\":\"C\",\"name\":\"LRs in use PE%d\",\"pid\":1,\"tid\":%d,",
                    SEP(), dl->lr_changed_pe, dl->lr_changed_pe);
            ts(out, t);
            fprintf(out, ",\"args\":{\"lrs\":%u}}", lr_occupancy(dl, (unsigned)dl->lr_changed_pe));
        }

        /* After the event: the EL it leads to. */
        if (el_after != el_before) {
            slice_name(name, sizeof(name), vm, vcpu, el_after);
            fprintf(out, "%s{\"ph\":\"E\",\"pid\":1,\"tid\":%u,", SEP(), ev.pe);
            ts(out, t);
            fprintf(out, "}%s{\"ph\":\"B\",\"name\":\"%s\",\"cat\":\"el\",\"pid\":1,\"tid\":%u,",
                    SEP(), name, ev.pe);
            ts(out, t);
            fprintf(out, "}");
            snprintf(p->name, sizeof(p->name), "%s", name);
        }
        p->el = (uint8_t)el_after;
    }
    /* Close the slices still open at the last event. */
    for (unsigned i = 0; i < MAX_PE; i++)
        if (pes[i].open) {
            fprintf(out, "%s{\"ph\":\"E\",\"pid\":1,\"tid\":%u,", SEP(), i);
            ts(out, t_last);
            fprintf(out, "}");
        }
#undef SEP
    fprintf(out, "\n]}\n");
    free(big);
    free(pes);
    free(dl);
    return got < 0 ? -1 : 0;
}
