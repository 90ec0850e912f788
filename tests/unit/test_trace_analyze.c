/* Unit tests of the trace analyses (sim/trace/trace_analyze.c): event
 * comparison over every field of events.def, `trace diff`, `trace stats` and
 * `trace perfetto` on a hand-built run whose expected numbers follow from
 * its event times and from the definitions in docs/traces.md. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "common/observer.h"
#include "trace/trace.h"

/* ---- a small run -------------------------------------------------------- */

/* GICv3 12.4.10: State [63:62] = 01 (pending), HW [61], Group [60],
 * Priority [55:48], pINTID [44:32], vINTID [31:0]. */
#define LR_PENDING_HW_27                                                                           \
    ((1ull << 62) | (1ull << 61) | (1ull << 60) | (0xa0ull << 48) | (27ull << 32) | 27)

static struct hv_event ev_at(enum hv_ev_type t, uint64_t time, uint8_t el)
{
    struct hv_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = t;
    ev.vtime = ev.icount = time;
    ev.el = el;
    ev.pc = 0x40200000 + time;
    return ev;
}

static struct hv_event exc(uint64_t t, uint8_t from, uint8_t to, uint8_t kind, uint8_t virt,
                           uint32_t esr)
{
    struct hv_event ev = ev_at(HV_EV_EXC_TAKEN, t, from);
    ev.u.exc.from_el = from;
    ev.u.exc.to_el = to;
    ev.u.exc.kind = kind;
    ev.u.exc.virt = virt;
    ev.u.exc.esr = esr;
    return ev;
}

static struct hv_event eret(uint64_t t, uint8_t from, uint8_t to)
{
    struct hv_event ev = ev_at(HV_EV_ERET, t, from);
    ev.u.eret.from_el = from;
    ev.u.eret.to_el = to;
    return ev;
}

static struct hv_event sysreg(uint64_t t, uint8_t el, const char *name, bool w, uint64_t v)
{
    struct hv_event ev = ev_at(HV_EV_SYSREG, t, el);
    ev.u.sysreg.name = name;
    ev.u.sysreg.is_write = w;
    ev.u.sysreg.value = v;
    return ev;
}

#define NRUN 13
static struct hv_event run[NRUN];

static void make_run(void)
{
    unsigned n = 0;
    struct hv_event m = ev_at(HV_EV_MMIO, 0, 0); /* a device: no EL known */
    m.u.mmio.device = "uart0";
    m.u.mmio.size = 4;
    run[n++] = m;
    run[n++] = eret(100, 2, 1);
    run[n++] = exc(200, 1, 2, HV_EXC_IRQ, 0, 0);                      /* physical IRQ */
    run[n++] = sysreg(230, 2, "ICC_IAR1_EL1", false, 27);             /* acknowledged */
    run[n++] = sysreg(250, 2, "ICH_LR0_EL2", true, LR_PENDING_HW_27); /* injected */
    run[n++] = eret(300, 2, 1);
    run[n++] = exc(320, 1, 1, HV_EXC_IRQ, 1, 0);            /* virtual IRQ */
    run[n++] = sysreg(350, 1, "ICC_IAR1_EL1", false, 27);   /* guest ack */
    run[n++] = exc(400, 1, 2, HV_EXC_SYNC, 0, 0x16u << 26); /* HVC */
    struct hv_event b = ev_at(HV_EV_BUS_ERROR, 450, 2);
    b.u.bus.pa = 0x90c0000;
    b.u.bus.size = 1;
    run[n++] = b;
    run[n++] = sysreg(460, 2, "ICH_LR0_EL2", false, 0); /* the LR is free again */
    run[n++] = eret(500, 2, 1);
    struct hv_event s = ev_at(HV_EV_RUN_STOP, 600, 1);
    run[n++] = s;
    ck_assert_uint_eq(n, NRUN);
}

/* The same kind of delivery told by the GIC's own events (format version
 * 2): PPI 27 asserted at 190, taken at EL2 at 200, acknowledged there at
 * 230, injected (HW) at 250, acknowledged by the guest at 350 and
 * deactivated at 380; then SPI 33 asserted at 400 and acknowledged at EL1
 * at 420, with no hypervisor in the loop. */
#define NGIC 13
static struct hv_event gic_run[NGIC];

static struct hv_event irq_ev(uint64_t t, uint8_t el, uint8_t op, uint32_t intid)
{
    struct hv_event ev = ev_at(HV_EV_IRQ, t, el);
    ev.u.irq.op = op;
    ev.u.irq.intid = intid;
    ev.u.irq.group = 1;
    ev.u.irq.prio = 0xa0;
    return ev;
}

static struct hv_event virq_ev(uint64_t t, uint8_t op, uint32_t vintid, uint8_t lr)
{
    struct hv_event ev = ev_at(HV_EV_VIRQ, t, 1);
    ev.u.virq.op = op;
    ev.u.virq.vintid = vintid;
    ev.u.virq.lr = lr;
    ev.u.virq.group = 1;
    ev.u.virq.prio = 0xa0;
    ev.u.virq.hw = true;
    ev.u.virq.pintid = vintid;
    return ev;
}

static void make_gic_run(void)
{
    unsigned n = 0;
    gic_run[n++] = eret(100, 2, 1);
    gic_run[n++] = irq_ev(190, 1, HV_IRQ_ASSERT, 27);
    gic_run[n++] = exc(200, 1, 2, HV_EXC_IRQ, 0, 0);
    gic_run[n++] = irq_ev(230, 2, HV_IRQ_ACK, 27);
    struct hv_event l = ev_at(HV_EV_LR, 250, 2);
    l.u.lr.lr = 0;
    l.u.lr.new_value = LR_PENDING_HW_27;
    l.u.lr.vintid = l.u.lr.pintid = 27;
    l.u.lr.hw = true;
    l.u.lr.state = 1;
    l.u.lr.prio = 0xa0;
    l.u.lr.group = 1;
    gic_run[n++] = l;
    gic_run[n++] = eret(300, 2, 1);
    gic_run[n++] = exc(320, 1, 1, HV_EXC_IRQ, 1, 0);
    gic_run[n++] = virq_ev(350, HV_VIRQ_ACK, 27, 0);
    gic_run[n++] = virq_ev(380, HV_VIRQ_DEACT, 27, 0);
    gic_run[n++] = irq_ev(381, 1, HV_IRQ_DEACT, 27);
    gic_run[n++] = irq_ev(400, 1, HV_IRQ_ASSERT, 33);
    gic_run[n++] = irq_ev(420, 1, HV_IRQ_ACK, 33);
    gic_run[n++] = ev_at(HV_EV_RUN_STOP, 600, 1);
    ck_assert_uint_eq(n, NGIC);
}

/* A VM for the events below EL2 (the recorder's context records). */
static void vm_below_el2(void *ctx, const struct hv_event *ev, uint32_t *vm, uint32_t *vcpu)
{
    (void)ctx;
    unsigned el = ev->type == HV_EV_EXC_TAKEN ? ev->u.exc.from_el
                  : ev->type == HV_EV_ERET    ? ev->u.eret.to_el
                                              : ev->el;
    if (el < 2) {
        *vm = 5; /* VMID 4 */
        *vcpu = 3;
    }
}

static bool with_vm;

/* The types the recording says it holds. The hand-built runs of version 1
 * (make_run) have no GIC events, and their mask says so: the analyses then
 * derive delivery from the register accesses. make_gic_run() records all. */
#define V1_TYPES                                                                                   \
    (HV_EV_ALL & ~(HV_EV_BIT(HV_EV_IRQ) | HV_EV_BIT(HV_EV_LR) | HV_EV_BIT(HV_EV_VIRQ) |            \
                   HV_EV_BIT(HV_EV_MAINT) | HV_EV_BIT(HV_EV_TIMER)))
static uint32_t rec_mask = V1_TYPES;

static size_t record(const struct hv_event *evs, unsigned n, uint8_t **out)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    const char *argv[] = {"x.elf"};
    struct hv_trace_image img = {.role = 0, .path = "x.elf", .data = "ELF!", .len = 4};
    struct hv_trace_header h = {.hvsim_version = "9.9.9",
                                .platform_name = "virt",
                                .images = &img,
                                .nimages = 1,
                                .argc = 1,
                                .argv = argv,
                                .event_mask = rec_mask};
    struct hv_trace_writer *w;
    struct hv_err err;
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(hv_trace_writer_open(&w, f, &h, &err), 0);
    hv_trace_writer_set_block_size(w, 64);
    if (with_vm)
        hv_trace_writer_set_vm_fn(w, vm_below_el2, NULL);
    for (unsigned i = 0; i < n; i++)
        hv_trace_record(w, &evs[i]);
    ck_assert_int_eq(hv_trace_writer_close(w, &err), 0);
    fclose(f);
    *out = (uint8_t *)buf;
    return len;
}

/* Run an analysis on a trace; returns its output (malloc'ed) and status. */
enum which { STATS, PERFETTO };

static char *analyse(enum which wh, const uint8_t *data, size_t len, int *rc, struct hv_err *err)
{
    struct hv_trace_reader *r;
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    ck_assert_int_eq(hv_trace_reader_open(&r, data, len, err), 0);
    *rc = wh == STATS ? hv_trace_stats(r, f, err) : hv_trace_perfetto(r, f, HV_EV_ALL, err);
    fclose(f);
    hv_trace_reader_free(r);
    return buf;
}

static unsigned count(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* ---- comparison --------------------------------------------------------- */

START_TEST(test_cmp_every_field)
{
    for (unsigned i = 0; i < hv_trace_nevents; i++) {
        const struct hv_trace_evdesc *d = hv_trace_event_at(i);
        struct hv_event a, b;
        memset(&a, 0, sizeof(a));
        a.type = d->type;
        const char *s1 = "one", *s2 = "two";
        for (unsigned k = 0; k < d->nfields; k++) {
            const struct hv_trace_field *f = &hv_trace_fields[d->first_field + k];
            if (f->kind == HV_TF_STR)
                memcpy((char *)&a + f->offset, &s1, sizeof(s1));
        }
        b = a;
        ck_assert_ptr_null(hv_trace_event_cmp(&a, &b));
        /* Strings compare by content, not by address. */
        char copy[] = "one";
        for (unsigned k = 0; k < d->nfields; k++) {
            const struct hv_trace_field *f = &hv_trace_fields[d->first_field + k];
            struct hv_event c = a;
            char *p = (char *)&c + f->offset;
            if (f->kind == HV_TF_STR) {
                const char *cp = copy;
                memcpy(p, &cp, sizeof(cp));
                ck_assert_ptr_null(hv_trace_event_cmp(&a, &c));
                memcpy(p, &s2, sizeof(s2));
            } else if (f->kind == HV_TF_BOOL) {
                bool t = true;
                memcpy(p, &t, 1);
            } else {
                p[0] ^= 1;
            }
            const char *what = hv_trace_event_cmp(&a, &c);
            ck_assert_msg(what && strcmp(what, f->name) == 0, "%s.%s: got %s", d->name, f->name,
                          what ? what : "(same)");
        }
    }
    struct hv_event a = ev_at(HV_EV_WFI, 5, 1), b = a;
    b.vtime++;
    ck_assert_str_eq(hv_trace_event_cmp(&a, &b), "vtime");
    b = a;
    b.pe = 1;
    ck_assert_str_eq(hv_trace_event_cmp(&a, &b), "pe");
    b = a;
    b.type = HV_EV_UART_TX;
    ck_assert_str_eq(hv_trace_event_cmp(&a, &b), "type");
}
END_TEST

/* ---- diff --------------------------------------------------------------- */

static int diff(const uint8_t *a, size_t la, const uint8_t *b, size_t lb, unsigned ctx, char **out,
                struct hv_err *err)
{
    struct hv_trace_reader *ra, *rb;
    size_t len = 0;
    FILE *f = open_memstream(out, &len);
    ck_assert_int_eq(hv_trace_reader_open(&ra, a, la, err), 0);
    ck_assert_int_eq(hv_trace_reader_open(&rb, b, lb, err), 0);
    int rc = hv_trace_diff(ra, rb, "A", "B", ctx, f, err);
    fclose(f);
    hv_trace_reader_free(ra);
    hv_trace_reader_free(rb);
    return rc;
}

START_TEST(test_diff)
{
    uint8_t *a, *b;
    char *out;
    struct hv_err err;
    make_run();
    size_t la = record(run, NRUN, &a);
    ck_assert_int_eq(diff(a, la, a, la, 3, &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "identical: 13 events"));
    free(out);

    /* The HVC (event #8) with another ESR. */
    run[8].u.exc.esr ^= 1;
    size_t lb = record(run, NRUN, &b);
    ck_assert_int_eq(diff(a, la, b, lb, 2, &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(out, "first divergence at event #8 (A: vtime 400 ns"));
    ck_assert_ptr_nonnull(strstr(out, "esr differs"));
    /* Two events of context before, the pair, two after in each. */
    ck_assert_uint_eq(count(out, "\n  #"), 2);
    ck_assert_uint_eq(count(out, "\n- #"), 3);
    ck_assert_uint_eq(count(out, "\n+ #"), 3);
    ck_assert_ptr_nonnull(strstr(out, "\n- #8 "));
    free(out);
    free(b);

    /* One trace shorter than the other. */
    make_run();
    lb = record(run, NRUN - 2, &b);
    ck_assert_int_eq(diff(a, la, b, lb, 0, &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(out, "event #11: B ends after 11 events, A goes on"));
    free(out);
    free(b);

    /* The same events, attributed to a VM in B (vm_below_el2 puts the
     * device access #0, whose event says EL 0, in it): they differ there. */
    with_vm = true;
    lb = record(run, NRUN, &b);
    with_vm = false;
    ck_assert_int_eq(diff(a, la, b, lb, 0, &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(out, "first divergence at event #0 "));
    ck_assert_ptr_nonnull(strstr(out, "vm differs"));
    free(out);
    free(b);

    /* A damaged B: the events before the damage agree, then an error. */
    ck_assert_int_eq(diff(a, la, a, la - 3, 0, &out, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "B: offset "));
    free(out);
    free(a);
}
END_TEST

/* ---- stats -------------------------------------------------------------- */

START_TEST(test_stats)
{
    uint8_t *t;
    int rc;
    struct hv_err err;
    make_run();
    size_t len = record(run, NRUN, &t);
    char *s = analyse(STATS, t, len, &rc, &err);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(s, "events: 13, virtual time 0 .. 600 ns\n"));
    ck_assert_ptr_nonnull(strstr(s, "grouped by: EL (the trace has no VM information)"));
    /* EL2 0..100, 200..300, 400..500; EL1 the rest. */
    ck_assert_ptr_nonnull(strstr(s, "EL1 300 ns (50.0%)"));
    ck_assert_ptr_nonnull(strstr(s, "EL2 300 ns (50.0%)"));
    ck_assert_ptr_nonnull(strstr(s, "trap EL1 -> EL2 HVC64      EC 0x16: 1\n"));
    ck_assert_ptr_nonnull(strstr(s, "interrupt IRQ taken: 1\n"));
    ck_assert_ptr_nonnull(strstr(s, "interrupt virtual IRQ taken: 1\n"));
    ck_assert_ptr_nonnull(strstr(s, "injections (LR writes, pending): 1\n"));
    ck_assert_ptr_nonnull(strstr(s, "guest acknowledges of injected interrupts: 1\n"));
    ck_assert_ptr_nonnull(strstr(s, "violations: 1\n"));
    ck_assert_ptr_nonnull(
        strstr(s, "IRQ taken at EL2 -> acknowledge    n=1 min=30 p50=30 p90=30 p99=30 max=30 ns"));
    ck_assert_ptr_nonnull(strstr(
        s, "injection -> guest acknowledge     n=1 min=100 p50=100 p90=100 p99=100 max=100 ns"));
    ck_assert_ptr_nonnull(strstr(
        s, "IRQ taken at EL2 -> guest ack      n=1 min=150 p50=150 p90=150 p99=150 max=150 ns"));
    /* The device access at t=0 counts at EL2, where the PE starts. */
    ck_assert_ptr_nonnull(strstr(s, "mmio=1"));
    free(s);

    /* Damaged: partial statistics and the reader's error. */
    s = analyse(STATS, t, len - 1, &rc, &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_nonnull(strstr(s, "PARTIAL"));
    ck_assert_ptr_nonnull(strstr(err.msg, "offset "));
    free(s);
    free(t);
}
END_TEST

START_TEST(test_stats_gic_events)
{
    uint8_t *t;
    int rc;
    struct hv_err err;
    make_gic_run();
    rec_mask = HV_EV_ALL;
    size_t len = record(gic_run, NGIC, &t);
    rec_mask = V1_TYPES;
    char *s = analyse(STATS, t, len, &rc, &err);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(s, "from the GIC's events"));
    ck_assert_ptr_nonnull(strstr(s, "injections (LR writes, pending): 1\n"));
    ck_assert_ptr_nonnull(strstr(s, "guest acknowledges of injected interrupts: 1\n"));
    /* 190 -> 230; 250 -> 350; 190 -> 350; 400 -> 420. */
    ck_assert_ptr_nonnull(
        strstr(s, "asserted -> acknowledged at EL2    n=1 min=40 p50=40 p90=40 p99=40 max=40 ns"));
    ck_assert_ptr_nonnull(strstr(
        s, "injection -> guest acknowledge     n=1 min=100 p50=100 p90=100 p99=100 max=100 ns"));
    ck_assert_ptr_nonnull(strstr(
        s, "asserted -> guest ack (injected)   n=1 min=160 p50=160 p90=160 p99=160 max=160 ns"));
    ck_assert_ptr_nonnull(
        strstr(s, "asserted -> acknowledged below EL2 n=1 min=20 p50=20 p90=20 p99=20 max=20 ns"));
    free(s);

    /* The same events in a trace whose mask lacks them (as --trace-events
     * exc,sysreg would give) are not used: the old derivation finds no
     * ICC/ICH accesses, so no delivery. */
    free(t);
    rec_mask = V1_TYPES | HV_EV_BIT(HV_EV_IRQ);
    len = record(gic_run, NGIC, &t);
    rec_mask = V1_TYPES;
    s = analyse(STATS, t, len, &rc, &err);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(s, "derived from register accesses"));
    ck_assert_ptr_nonnull(strstr(s, "injection -> guest acknowledge     none"));
    free(s);
    free(t);
}
END_TEST

START_TEST(test_perfetto_gic_events)
{
    uint8_t *t;
    int rc;
    struct hv_err err;
    make_gic_run();
    rec_mask = HV_EV_ALL;
    size_t len = record(gic_run, NGIC, &t);
    rec_mask = V1_TYPES;
    char *s = analyse(PERFETTO, t, len, &rc, &err);
    ck_assert_int_eq(rc, 0);
    /* Flow 1: asserted (s), acknowledged at EL2 and injected (t), guest
     * acknowledge (f). Flow 2: asserted (s), acknowledged at EL1 (f). */
    ck_assert_ptr_nonnull(strstr(s, "{\"ph\":\"s\",\"name\":\"interrupt\",\"cat\":\"irq\",\"id\":1,"
                                    "\"pid\":1,\"tid\":0,\"ts\":0.190}"));
    ck_assert_ptr_nonnull(strstr(s, "{\"ph\":\"t\",\"name\":\"interrupt\",\"cat\":\"irq\",\"id\":1,"
                                    "\"pid\":1,\"tid\":0,\"ts\":0.230}"));
    ck_assert_ptr_nonnull(strstr(s, "{\"ph\":\"t\",\"name\":\"interrupt\",\"cat\":\"irq\",\"id\":1,"
                                    "\"pid\":1,\"tid\":0,\"ts\":0.250}"));
    ck_assert_ptr_nonnull(strstr(s, "\"ph\":\"f\",\"name\":\"interrupt\",\"cat\":\"irq\",\"id\":1,"
                                    "\"pid\":1,\"tid\":0,\"bp\":\"e\",\"ts\":0.350}"));
    ck_assert_ptr_nonnull(strstr(s, "{\"ph\":\"s\",\"name\":\"interrupt\",\"cat\":\"irq\",\"id\":2,"
                                    "\"pid\":1,\"tid\":0,\"ts\":0.400}"));
    ck_assert_ptr_nonnull(strstr(s, "\"ph\":\"f\",\"name\":\"interrupt\",\"cat\":\"irq\",\"id\":2,"
                                    "\"pid\":1,\"tid\":0,\"bp\":\"e\",\"ts\":0.420}"));
    ck_assert_uint_eq(count(s, "\"ph\":\"s\""), 2);
    ck_assert_uint_eq(count(s, "\"ph\":\"t\""), 2);
    ck_assert_uint_eq(count(s, "\"ph\":\"f\""), 2);
    /* The LR counter from the lr event (1) and the guest's deactivation (0),
     * with no hypervisor read of the LR. */
    ck_assert_ptr_nonnull(strstr(s, "\"ts\":0.250,\"args\":{\"lrs\":1}"));
    ck_assert_ptr_nonnull(strstr(s, "\"ts\":0.380,\"args\":{\"lrs\":0}"));
    ck_assert_uint_eq(count(s, "\"name\":\"LRs in use PE0\""), 2);
    free(s);
    free(t);
}
END_TEST

/* ---- perfetto ----------------------------------------------------------- */

START_TEST(test_perfetto)
{
    uint8_t *t;
    int rc;
    struct hv_err err;
    make_run();
    size_t len = record(run, NRUN, &t);
    char *s = analyse(PERFETTO, t, len, &rc, &err);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(s, "\"traceEvents\":["));
    ck_assert_uint_eq(count(s, "\"ph\":\"B\""), count(s, "\"ph\":\"E\""));
    /* EL2 at the start, then EL1, EL2, EL1 (the virtual IRQ stays at EL1),
     * EL2, EL1: six slices. */
    ck_assert_uint_eq(count(s, "\"ph\":\"B\""), 6);
    ck_assert_uint_eq(count(s, "\"name\":\"EL2 hypervisor\""), 3);
    ck_assert_uint_eq(count(s, "\"ph\":\"i\""), NRUN);
    ck_assert_ptr_nonnull(strstr(s, "\"name\":\"trap HVC64 EL1->EL2\""));
    ck_assert_ptr_nonnull(strstr(s, "\"name\":\"virtual IRQ EL1->EL1\""));
    /* One flow: IRQ taken (s), acknowledged and injected (t), guest ack (f). */
    ck_assert_ptr_nonnull(strstr(s, "{\"ph\":\"s\",\"name\":\"interrupt\",\"cat\":\"irq\",\"id\":1,"
                                    "\"pid\":1,\"tid\":0,\"ts\":0.200}"));
    ck_assert_uint_eq(count(s, "\"ph\":\"t\""), 2);
    ck_assert_ptr_nonnull(strstr(s, "\"ph\":\"f\",\"name\":\"interrupt\",\"cat\":\"irq\",\"id\":1,"
                                    "\"pid\":1,\"tid\":0,\"bp\":\"e\",\"ts\":0.350}"));
    /* The LR counter: 1 when injected, 0 when read back free. */
    ck_assert_ptr_nonnull(strstr(s, "\"ts\":0.250,\"args\":{\"lrs\":1}"));
    ck_assert_ptr_nonnull(strstr(s, "\"ts\":0.460,\"args\":{\"lrs\":0}"));
    ck_assert_str_eq(s + strlen(s) - 3, "]}\n");
    free(s);

    /* Damaged: still a closed document. */
    s = analyse(PERFETTO, t, len - 1, &rc, &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_str_eq(s + strlen(s) - 3, "]}\n");
    ck_assert_uint_eq(count(s, "\"ph\":\"B\""), count(s, "\"ph\":\"E\""));
    free(s);
    free(t);
}
END_TEST

START_TEST(test_perfetto_time_never_goes_back)
{
    /* A trapped access is stamped after the exception it causes (the CPU
     * counts a block's instructions when it starts): drawn at the
     * exception's time, its args keep the recorded one. */
    /* Order as recorded: the access (100) first, then the trap (99). */
    struct hv_event evs[3] = {sysreg(100, 1, "ICC_IAR1_EL1", false, 0),
                              exc(99, 1, 2, HV_EXC_SYNC, 0, 0x18u << 26), eret(150, 2, 1)};
    evs[0].u.sysreg.decision = HV_SR_TRAP_EL2;
    uint8_t *t;
    int rc;
    struct hv_err err;
    size_t len = record(evs, 3, &t);
    char *s = analyse(PERFETTO, t, len, &rc, &err);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_null(strstr(s, "\"ts\":0.099"));
    ck_assert_ptr_nonnull(strstr(s, "\"vtime\":99,"));
    free(s);
    free(t);
}
END_TEST

START_TEST(test_vm_context)
{
    uint8_t *t;
    int rc;
    struct hv_err err;
    make_run();
    with_vm = true;
    size_t len = record(run, NRUN, &t);
    with_vm = false;
    /* The reader gives each event its context. */
    struct hv_trace_reader *r;
    struct hv_event ev;
    ck_assert_int_eq(hv_trace_reader_open(&r, t, len, &err), 0);
    for (unsigned i = 0; i < NRUN; i++) {
        uint32_t vm, vcpu;
        ck_assert_int_eq(hv_trace_next(r, &ev, &err), 1);
        hv_trace_reader_context(r, &vm, &vcpu);
        uint32_t evm = 0, evcpu = 0;
        vm_below_el2(NULL, &run[i], &evm, &evcpu);
        ck_assert_uint_eq(vm, evm);
        ck_assert_uint_eq(vcpu, evcpu);
    }
    hv_trace_reader_free(r);

    char *s = analyse(STATS, t, len, &rc, &err);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(s, "grouped by: VM"));
    /* VM 4: the time at EL1 (300 ns), the HVC it left by, both IRQs taken
     * from it, and its guest acknowledge. */
    const char *vm4 = strstr(s, "\nVM 4:\n");
    ck_assert_ptr_nonnull(vm4);
    ck_assert_ptr_nonnull(strstr(vm4, "time: EL1 300 ns (50.0%)\n"));
    ck_assert_ptr_nonnull(strstr(vm4, "trap EL1 -> EL2 HVC64      EC 0x16: 1\n"));
    ck_assert_ptr_nonnull(strstr(vm4, "guest acknowledges of injected interrupts: 1\n"));
    ck_assert_ptr_nonnull(strstr(s, "no VM, EL2:\n  time: EL2 300 ns (50.0%)\n"));
    free(s);

    s = analyse(PERFETTO, t, len, &rc, &err);
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(count(s, "\"ph\":\"B\",\"name\":\"VM 4 vCPU 3 (EL1)\""), 3);
    ck_assert_uint_eq(count(s, "\"ph\":\"B\",\"name\":\"EL1 guest\""), 0);
    free(s);
    free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trace_analyze");
    TCase *tc = tcase_create("trace_analyze");
    tcase_add_test(tc, test_cmp_every_field);
    tcase_add_test(tc, test_diff);
    tcase_add_test(tc, test_stats);
    tcase_add_test(tc, test_perfetto);
    tcase_add_test(tc, test_stats_gic_events);
    tcase_add_test(tc, test_perfetto_gic_events);
    tcase_add_test(tc, test_perfetto_time_never_goes_back);
    tcase_add_test(tc, test_vm_context);
    suite_add_tcase(s, tc);
    return hv_check_run(s);
}
