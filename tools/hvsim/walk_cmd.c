/* hvsim CLI: `hvsim walk`, a translation-table walk of the running machine,
 * step by step, as a text table or a Graphviz picture
 * (docs/teaching/walk.md). */
#define _GNU_SOURCE
#include "walk_cmd.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arm_esr.h"
#include "common/observer.h"
#include "cpu_el2/cpu.h"
#include "mmu/mmu.h"
#include "mmu/mmu_cpu.h"
#include "platform/loader.h"
#include "platform/machine.h"
#include "platform/platform.h"

#define EXIT_USAGE 1
#define MAX_STEPS  64 /* at most 24 + 4 + 4 descriptor reads in a walk */

enum regime { R_EL10, R_EL10_S1, R_EL2, R_S2 };

static const struct {
    const char *name;
    const char *title;
} regimes[] = {
    [R_EL10] = {"el10", "EL1&0 regime, stage 1 then stage 2 (VA -> IPA -> PA)"},
    [R_EL10_S1] = {"el10-s1", "EL1&0 regime, stage 1 only (VA -> IPA)"},
    [R_EL2] = {"el2", "EL2 regime, one stage (VA -> PA)"},
    [R_S2] = {"s2", "stage 2 of the EL1&0 regime (IPA -> PA)"},
};

struct walk_opts {
    const char *platform;
    uint64_t ram_size;
    uint64_t max_insns;
    bool at_fault;
    bool have_addr, have_regime, have_access, have_el;
    uint64_t addr;
    enum regime regime;
    enum hv_mmu_acc_type access;
    unsigned el;
    bool dot;
    const char *image;
};

static int usage_err(const char *fmt, const char *arg)
{
    fprintf(stderr, "hvsim walk: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(try 'hvsim --help')\n");
    return EXIT_USAGE;
}

/* ---- the stop point --------------------------------------------------------- */

struct fault_watch {
    struct hv_machine *m;
    bool seen;
    struct hv_event ev;
};

/* Instruction or data abort (Arm ARM D17.2.37: EC 0x20/0x21, 0x24/0x25). */
static bool is_abort(uint32_t esr)
{
    unsigned ec = esr >> 26;
    return ec == 0x20 || ec == 0x21 || ec == 0x24 || ec == 0x25;
}

static void on_exc(void *ctx, const struct hv_event *ev)
{
    struct fault_watch *w = ctx;
    if (w->seen || ev->type != HV_EV_EXC_TAKEN || ev->u.exc.kind != HV_EXC_SYNC ||
        !is_abort(ev->u.exc.esr))
        return;
    w->seen = true;
    w->ev = *ev;
    hv_machine_request_stop(w->m, "the first instruction or data abort was taken");
}

/* ---- collecting the steps --------------------------------------------------- */

struct steps {
    struct hv_mmu_step s[MAX_STEPS];
    unsigned n;
    bool s1_ipa; /* stage 2 is on: stage-1 table addresses are IPAs */
};

static void on_step(void *ctx, const struct hv_mmu_step *st)
{
    struct steps *s = ctx;
    if (s->n < MAX_STEPS)
        s->s[s->n++] = *st;
}

static const char *perm_str(uint8_t p, char *b)
{
    b[0] = p & HV_MMU_R ? 'R' : '-';
    b[1] = p & HV_MMU_W ? 'W' : '-';
    b[2] = p & HV_MMU_X ? 'X' : '-';
    b[3] = 0;
    return b;
}

static const char *access_name(enum hv_mmu_acc_type t)
{
    return t == HV_MMU_WRITE ? "write" : t == HV_MMU_EXEC ? "instruction fetch" : "read";
}

/* A step's decoded meaning, one line. */
static void step_meaning(const struct hv_mmu_step *s, bool s1_ipa, char *b, size_t n)
{
    switch (s->kind) {
    case HV_MMU_DESC_TABLE:
        snprintf(b, n, "table -> next table at %s0x%" PRIx64, s->stage == 1 && s1_ipa ? "IPA " : "",
                 s->out);
        break;
    case HV_MMU_DESC_BLOCK:
    case HV_MMU_DESC_PAGE:
        if (s->stage == 1)
            snprintf(b, n, "%s of %" PRIu64 " KiB -> 0x%" PRIx64 " AttrIndx %u AP %u%u AF %u%s%s",
                     s->kind == HV_MMU_DESC_BLOCK ? "block" : "page", s->size >> 10, s->out,
                     s->attr, (s->ap >> 1) & 1, s->ap & 1, s->af, s->pxn ? " PXN" : "",
                     s->xn ? " UXN" : "");
        else
            snprintf(b, n, "%s of %" PRIu64 " KiB -> 0x%" PRIx64 " MemAttr 0x%x S2AP %u%u AF %u%s",
                     s->kind == HV_MMU_DESC_BLOCK ? "block" : "page", s->size >> 10, s->out,
                     s->attr, (s->ap >> 1) & 1, s->ap & 1, s->af, s->xn ? " XN" : "");
        break;
    case HV_MMU_DESC_INVALID:
        snprintf(b, n, "invalid (bit 0 = 0)");
        break;
    case HV_MMU_DESC_RESERVED:
        snprintf(b, n, "reserved encoding");
        break;
    case HV_MMU_DESC_UNREAD:
        snprintf(b, n, "unreadable: nothing at this PA");
        break;
    }
}

/* In the el10-s1 view, the stage-2 steps of the final IPA are not shown. */
static bool shown(enum regime r, const struct hv_mmu_step *s)
{
    return !(r == R_EL10_S1 && s->stage == 2 && !s->s1ptw);
}

static void fault_text(const struct hv_mmu_fault *f, char *b, size_t n)
{
    int k = snprintf(b, n, "stage-%u %s fault at level %d%s, FSC 0x%02x (%s), taken to EL%u",
                     f->stage, hv_mmu_fault_name(f->type), f->level,
                     f->s1ptw ? " on a stage-1 table walk (S1PTW = 1)" : "", f->fsc,
                     hv_fsc_name(f->fsc), f->target_el);
    if (f->ipa_valid && k > 0 && (size_t)k < n)
        snprintf(b + k, n - (size_t)k, ", IPA 0x%" PRIx64 " (HPFAR_EL2 0x%" PRIx64 ")", f->ipa,
                 hv_mmu_hpfar(f));
}

static void print_text(const struct walk_opts *w, const struct hv_mmu *m, const struct steps *st,
                       int rc, const struct hv_mmu_result *res, bool s1_only_ok)
{
    const struct hv_mmu_regs *r = &m->regs;
    char meaning[160], p1[4], p2[4], p3[4], p4[4];
    printf("%s 0x%" PRIx64 ": %s, %s", w->regime == R_S2 ? "IPA" : "VA", w->addr,
           regimes[w->regime].title, access_name(w->access));
    if (w->regime == R_EL10 || w->regime == R_EL10_S1)
        printf(" at EL%u", w->el);
    printf("\n");
    if (w->regime == R_EL2)
        printf("  SCTLR_EL2 0x%" PRIx64 "  TCR_EL2 0x%" PRIx64 "  TTBR0_EL2 0x%" PRIx64
               "  MAIR_EL2 0x%" PRIx64 "\n",
               r->sctlr_el2, r->tcr_el2, r->ttbr0_el2, r->mair_el2);
    if (w->regime == R_EL10 || w->regime == R_EL10_S1)
        printf("  SCTLR_EL1 0x%" PRIx64 "  TCR_EL1 0x%" PRIx64 "  TTBR0_EL1 0x%" PRIx64
               "  TTBR1_EL1 0x%" PRIx64 "  MAIR_EL1 0x%" PRIx64 "\n",
               r->sctlr_el1, r->tcr_el1, r->ttbr0_el1, r->ttbr1_el1, r->mair_el1);
    if (w->regime != R_EL2)
        printf("  HCR_EL2 0x%" PRIx64 " (VM %u)  VTCR_EL2 0x%" PRIx64 "  VTTBR_EL2 0x%" PRIx64
               "  PAMax %u bits\n",
               r->hcr_el2, (unsigned)(r->hcr_el2 & 1), r->vtcr_el2, r->vttbr_el2, r->pa_bits);
    printf("\n %-3s %-5s %-3s %-18s %-18s %-5s %-18s %-18s %-18s %s\n", "#", "stage", "lvl",
           "input", "table", "index", "descriptor at", "read at PA", "descriptor", "meaning");
    unsigned k = 0;
    for (unsigned i = 0; i < st->n; i++) {
        const struct hv_mmu_step *s = &st->s[i];
        if (!shown(w->regime, s))
            continue;
        step_meaning(s, st->s1_ipa, meaning, sizeof(meaning));
        char stage[8];
        snprintf(stage, sizeof(stage), "%s%u", s->s1ptw ? "  S" : "S", s->stage);
        printf(" %-3u %-5s %-3d 0x%-16" PRIx64 " 0x%-16" PRIx64 " %-5u 0x%-16" PRIx64
               " 0x%-16" PRIx64 " 0x%016" PRIx64 " %s%s\n",
               ++k, stage, s->level, s->ia, s->table, s->index, s->desc_addr, s->desc_pa, s->desc,
               meaning, s->s1ptw ? "  [stage 2 of a stage-1 table address]" : "");
    }
    if (k == 0)
        printf(" (no descriptor was read: the translation is off, or it faulted before the "
               "first read)\n");
    printf("\n");
    if (rc == 0 || s1_only_ok) {
        if (w->regime == R_EL10_S1) {
            printf("result: IPA 0x%" PRIx64 ", stage-1 permissions EL1 %s EL0 %s\n", res->ipa,
                   perm_str(res->s1_perms.priv, p1), perm_str(res->s1_perms.unpriv, p2));
            return;
        }
        printf("result: PA 0x%" PRIx64, res->pa);
        if (w->regime == R_EL10 && res->s2_enabled)
            printf(" (IPA 0x%" PRIx64 ")", res->ipa);
        printf(", mapping of %" PRIu64 " KiB, %s", res->size >> 10,
               res->attr.type == HV_MMU_MEM_DEVICE ? "Device" : "Normal");
        if (w->regime == R_EL2)
            printf(", permissions EL2 %s\n", perm_str(res->perms.priv, p1));
        else
            printf(", permissions EL1 %s EL0 %s (stage 1 EL1 %s, stage 2 %s)\n",
                   perm_str(res->perms.priv, p1), perm_str(res->perms.unpriv, p2),
                   perm_str(res->s1_perms.priv, p3), perm_str(res->s2_perms.priv, p4));
        if (!res->s1_enabled && w->regime != R_S2)
            printf("        (stage 1 is off: the VA is the output address)\n");
        if (w->regime == R_EL10 && !res->s2_enabled)
            printf("        (stage 2 is off: HCR_EL2.VM = 0, the IPA is the PA)\n");
        return;
    }
    fault_text(&res->fault, meaning, sizeof(meaning));
    printf("result: FAULT: %s\n", meaning);
}

/* ---- Graphviz ---------------------------------------------------------------- */

static void dot_node(const struct hv_mmu_step *s, bool s1_ipa, unsigned id)
{
    char meaning[160];
    step_meaning(s, s1_ipa, meaning, sizeof(meaning));
    const char *fill = s->stage == 1 ? "#cfe2ff" : "#ffe0b3";
    if (s->kind == HV_MMU_DESC_INVALID || s->kind == HV_MMU_DESC_RESERVED ||
        s->kind == HV_MMU_DESC_UNREAD)
        fill = "#ffb3b3";
    char pa[40] = "";
    bool ipa = s->stage == 1 && s1_ipa;
    if (ipa)
        snprintf(pa, sizeof(pa), " = PA 0x%" PRIx64, s->desc_pa);
    printf("    n%u [shape=box, style=filled, fillcolor=\"%s\", label=\"stage %u, level %d\\n"
           "table 0x%" PRIx64 ", entry %u\\ndescriptor at %s0x%" PRIx64 "%s\\n0x%016" PRIx64
           "\\n%s\"];\n",
           id, fill, s->stage, s->level, s->table, s->index, ipa ? "IPA " : "PA ", s->desc_addr, pa,
           s->desc, meaning);
}

/* The picture, top to bottom, in the order the hardware works:
 *   VA -> [stage 2 of the start table's IPA] -> stage-1 level n -> [stage 2
 *   of the next table's IPA] -> stage-1 level n+1 ... -> IPA -> [stage 2 of
 *   the output IPA] -> PA (or the fault).
 * Stage-1 steps are blue boxes, stage-2 steps orange, the step where the
 * walk stopped red; each nested stage-2 walk is a dashed cluster that says
 * which IPA it translates. */
static void print_dot(const struct walk_opts *w, const struct steps *st, int rc,
                      const struct hv_mmu_result *res, bool s1_only_ok)
{
    char buf[200];
    const char *in_name = w->regime == R_S2 ? "IPA" : "VA";
    printf("digraph walk {\n");
    printf("  rankdir=TB; node [fontname=\"monospace\", fontsize=10]; "
           "edge [fontname=\"sans\", fontsize=9];\n");
    printf("  label=\"%s 0x%" PRIx64 ": %s, %s\"; labelloc=t;\n", in_name, w->addr,
           regimes[w->regime].title, access_name(w->access));
    printf("  legend [shape=note, label=\"blue: stage-1 descriptors (VA -> IPA)\\norange: "
           "stage-2 descriptors (IPA -> PA)\\nred: where the walk stopped\\ndashed boxes: "
           "stage 2 translating the IPA of a\\nstage-1 table before the descriptor is read\"];\n");
    printf("  in [shape=box, style=bold, label=\"%s 0x%" PRIx64 "\"];\n", in_name, w->addr);

    char prev[16] = "in"; /* the last node of the main chain */
    unsigned prev_s1 = 0; /* the last stage-1 node, for "next level" */
    unsigned cl = 0;
    bool final_open = false;
    for (unsigned i = 0; i < st->n;) {
        const struct hv_mmu_step *s = &st->s[i];
        if (!shown(w->regime, s)) {
            i++;
            continue;
        }
        if (s->stage == 2 && s->s1ptw) {
            /* One nested stage-2 walk: consecutive s1ptw steps with one ia. */
            unsigned j = i;
            while (j < st->n && st->s[j].stage == 2 && st->s[j].s1ptw && st->s[j].ia == s->ia)
                j++;
            printf("  subgraph cluster_ptw%u { style=dashed; color=\"#cc7a00\"; label=\"stage 2 "
                   "translates IPA 0x%" PRIx64 ",\\nwhere the next stage-1 descriptor is\";\n",
                   ++cl, s->ia);
            for (unsigned k = i; k < j; k++)
                dot_node(&st->s[k], st->s1_ipa, k + 1);
            printf("  }\n");
            printf("  %s -> n%u [color=\"#cc7a00\", label=\"%s\"];\n", prev, i + 1,
                   prev_s1 ? "the next table address is an IPA" : "TTBR0_EL1 holds an IPA");
            for (unsigned k = i + 1; k < j; k++)
                printf("  n%u -> n%u [color=\"#cc7a00\", label=\"next level\"];\n", k, k + 1);
            snprintf(prev, sizeof(prev), "n%u", j);
            i = j;
            continue;
        }
        unsigned id = i + 1;
        if (s->stage == 2 && w->regime == R_EL10 && !final_open) {
            printf("  ipa [shape=box, style=bold, label=\"IPA 0x%" PRIx64 "\"];\n", s->ia);
            printf("  %s -> ipa [label=\"%s\"];\n", prev,
                   prev_s1 ? "stage-1 output" : "stage 1 is off: IPA = VA");
            snprintf(prev, sizeof(prev), "ipa");
            printf("  subgraph cluster_final { style=solid; color=\"#cc7a00\"; label=\"stage 2: "
                   "IPA -> PA\"; }\n");
            final_open = true;
        }
        if (final_open)
            printf("  subgraph cluster_final {\n");
        dot_node(s, st->s1_ipa, id);
        if (final_open)
            printf("  }\n");
        bool after_ptw = prev[0] == 'n' && st->s[atoi(prev + 1) - 1].s1ptw;
        if (after_ptw)
            printf("  %s -> n%u [color=\"#cc7a00\", label=\"descriptor at PA 0x%" PRIx64 "\"];\n",
                   prev, id, s->desc_pa);
        else
            printf("  %s -> n%u [label=\"%s\"];\n", prev, id,
                   strcmp(prev, "in") == 0
                       ? (s->stage == 1 ? "TTBR: start table" : "VTTBR: start table")
                   : strcmp(prev, "ipa") == 0 ? "VTTBR_EL2: start table"
                                              : "next level");
        if (s->stage == 1 && prev_s1 && after_ptw)
            printf("  n%u -> n%u [style=dotted, color=\"#3366cc\", constraint=false, "
                   "label=\"next level\"];\n",
                   prev_s1, id);
        if (s->stage == 1)
            prev_s1 = id;
        snprintf(prev, sizeof(prev), "n%u", id);
        i++;
    }
    if (rc == 0 || s1_only_ok) {
        if (w->regime == R_EL10_S1)
            snprintf(buf, sizeof(buf), "IPA 0x%" PRIx64, res->ipa);
        else
            snprintf(buf, sizeof(buf), "PA 0x%" PRIx64, res->pa);
        printf("  out [shape=box, style=\"bold,filled\", fillcolor=\"#c8f7c5\", label=\"%s\"];\n",
               buf);
    } else {
        char f[200];
        fault_text(&res->fault, f, sizeof(f));
        printf("  out [shape=box, style=\"bold,filled\", fillcolor=\"#ffb3b3\", label=\"FAULT\\n"
               "%s\"];\n",
               f);
    }
    printf("  %s -> out%s;\n", prev,
           strcmp(prev, "in") == 0 ? " [label=\"no descriptor read\"]" : "");
    printf("}\n");
}

/* ---- the command ------------------------------------------------------------- */

static int parse(int argc, char **argv, struct walk_opts *w)
{
    memset(w, 0, sizeof(*w));
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED()                                                                                     \
    do {                                                                                           \
        if (!v)                                                                                    \
            return usage_err("option %s needs an argument", a);                                    \
        i++;                                                                                       \
    } while (0)
        if (strcmp(a, "--platform") == 0) {
            NEED();
            w->platform = v;
        } else if (strcmp(a, "-m") == 0) {
            NEED();
            if (hv_parse_u64(v, true, &w->ram_size) || w->ram_size == 0)
                return usage_err("malformed size for -m: '%s'", v);
            if (w->ram_size < 4096)
                w->ram_size <<= 20;
        } else if (strcmp(a, "--max-insns") == 0) {
            NEED();
            if (hv_parse_u64(v, true, &w->max_insns) || w->max_insns == 0)
                return usage_err("malformed instruction count '%s'", v);
        } else if (strcmp(a, "--at") == 0) {
            NEED();
            if (strcmp(v, "fault") != 0)
                return usage_err("--at takes 'fault' (the first instruction or data abort), "
                                 "not '%s'",
                                 v);
            w->at_fault = true;
        } else if (strcmp(a, "--addr") == 0) {
            NEED();
            if (hv_parse_u64(v, false, &w->addr))
                return usage_err("malformed address '%s' (e.g. 0x40201234)", v);
            w->have_addr = true;
        } else if (strcmp(a, "--regime") == 0) {
            NEED();
            unsigned k;
            for (k = 0; k < sizeof(regimes) / sizeof(regimes[0]); k++)
                if (strcmp(v, regimes[k].name) == 0)
                    break;
            if (k == sizeof(regimes) / sizeof(regimes[0]))
                return usage_err("unknown regime '%s' (el10, el10-s1, el2 or s2)", v);
            w->regime = (enum regime)k;
            w->have_regime = true;
        } else if (strcmp(a, "--access") == 0) {
            NEED();
            if (strcmp(v, "r") == 0 || strcmp(v, "read") == 0)
                w->access = HV_MMU_READ;
            else if (strcmp(v, "w") == 0 || strcmp(v, "write") == 0)
                w->access = HV_MMU_WRITE;
            else if (strcmp(v, "x") == 0 || strcmp(v, "exec") == 0)
                w->access = HV_MMU_EXEC;
            else
                return usage_err("--access wants r, w or x, not '%s'", v);
            w->have_access = true;
        } else if (strcmp(a, "--el") == 0) {
            NEED();
            if (strcmp(v, "0") == 0 || strcmp(v, "1") == 0)
                w->el = (unsigned)(v[0] - '0');
            else
                return usage_err("--el wants 0 or 1 (the EL1&0 regime), not '%s'", v);
            w->have_el = true;
        } else if (strcmp(a, "--format") == 0) {
            NEED();
            if (strcmp(v, "dot") == 0)
                w->dot = true;
            else if (strcmp(v, "text") != 0)
                return usage_err("--format wants text or dot, not '%s'", v);
        } else if (a[0] == '-' && a[1]) {
            return usage_err("unknown option %s", a);
        } else if (w->image) {
            return usage_err("more than one IMAGE given ('%s')", a);
        } else {
            w->image = a;
        }
#undef NEED
    }
    if (!w->image)
        return usage_err("%s", "no IMAGE given");
    if (!w->at_fault && !w->max_insns)
        return usage_err("%s", "say where to stop: --max-insns N or --at fault");
    if (w->at_fault && w->max_insns)
        return usage_err("%s", "--max-insns and --at fault exclude each other");
    if (!w->at_fault && !w->have_addr)
        return usage_err("%s", "no address given (--addr ADDR)");
    if (w->have_el && w->have_regime && w->regime != R_EL10 && w->regime != R_EL10_S1)
        return usage_err("--el applies to the el10 and el10-s1 regimes, not %s",
                         regimes[w->regime].name);
    return 0;
}

static void silence_uarts(struct hv_machine_opts *o, const struct hv_platform *p)
{
    for (unsigned n = 0; n < HV_MAX_UARTS && hv_platform_find(p, HV_DEV_PL011, n); n++)
        o->uart_out[n] = "/dev/null";
}

int hv_walk_cmd(int argc, char **argv)
{
    struct walk_opts w;
    struct hv_platform plat;
    struct hv_machine_opts o;
    struct hv_obs obs;
    struct hv_err err;
    struct hv_machine *m;
    struct fault_watch fw;
    int rc = parse(argc, argv, &w);
    if (rc)
        return rc;

    const char *pname = w.platform ? w.platform : "virt";
    if (strchr(pname, '/') || strchr(pname, '.')) {
        if (hv_platform_load_file(pname, &plat, &err)) {
            fprintf(stderr, "hvsim walk: platform %s: %s\n", pname, err.msg);
            return EXIT_USAGE;
        }
    } else if (hv_platform_builtin(pname, &plat, &err)) {
        fprintf(stderr, "hvsim walk: %s\n", err.msg);
        return EXIT_USAGE;
    }
    if (w.ram_size)
        plat.ram_size = w.ram_size;
    memset(&o, 0, sizeof(o));
    o.platform = &plat;
    o.image = w.image;
    o.max_insns = w.max_insns;
    silence_uarts(&o, &plat);
    hv_obs_init(&obs);
    if (hv_machine_create(&m, &o, &obs, &err)) {
        fprintf(stderr, "hvsim walk: %s\n", err.msg);
        return EXIT_USAGE;
    }
    memset(&fw, 0, sizeof(fw));
    fw.m = m;
    if (w.at_fault)
        hv_obs_subscribe(&obs, HV_EV_BIT(HV_EV_EXC_TAKEN), on_exc, &fw);

    struct hv_run_result res;
    if (hv_machine_run(m, &res, &err)) {
        fprintf(stderr, "hvsim walk: %s\n", err.msg);
        hv_machine_destroy(m);
        return 2;
    }
    if (w.at_fault && !fw.seen) {
        fprintf(stderr,
                "hvsim walk: no instruction or data abort happened: the run ended first (%s "
                "after %" PRIu64 " instructions: %s)\n",
                hv_stop_name(res.reason), res.icount, res.detail);
        hv_machine_destroy(m);
        return EXIT_USAGE;
    }
    if (!w.at_fault && res.reason != HV_STOP_MAX_INSNS) {
        fprintf(stderr,
                "hvsim walk: the run ended before instruction %" PRIu64 " (%s after %" PRIu64
                " instructions: %s): no machine state to walk\n",
                w.max_insns, hv_stop_name(res.reason), res.icount, res.detail);
        hv_machine_destroy(m);
        return EXIT_USAGE;
    }

    /* The fault decides the defaults: its address (FAR), its regime and its
     * access type (ESR: instruction abort, or ISS.WnR). */
    struct hv_cpu *cpu = hv_machine_cpu(m);
    if (w.at_fault) {
        const struct hv_ev_exc *x = &fw.ev.u.exc;
        unsigned ec = x->esr >> 26;
        fprintf(stderr,
                "hvsim walk: stopped at the first abort: EL%u -> EL%u, ESR 0x%08" PRIx32
                " (%s), FAR 0x%" PRIx64 ", HPFAR_EL2 0x%" PRIx64 ", after %" PRIu64
                " instructions\n",
                x->from_el, x->to_el, x->esr, hv_ec_name(ec), x->far, x->hpfar, res.icount);
        if (!w.have_addr)
            w.addr = x->far;
        if (!w.have_regime)
            w.regime = x->from_el >= 2 ? R_EL2 : R_EL10;
        if (!w.have_el)
            w.el = x->from_el >= 2 ? 1 : x->from_el;
        if (!w.have_access)
            w.access = (ec == 0x20 || ec == 0x21) ? HV_MMU_EXEC
                       : ((x->esr >> 6) & 1) != 0 ? HV_MMU_WRITE
                                                  : HV_MMU_READ;
    } else {
        if (!w.have_regime)
            w.regime = hv_cpu_el(cpu) >= 2 ? R_EL2 : R_EL10;
        if (!w.have_el)
            w.el = hv_cpu_el(cpu) < 2 ? hv_cpu_el(cpu) : 1;
        fprintf(stderr,
                "hvsim walk: stopped after %" PRIu64 " instructions at EL%u, PC 0x%" PRIx64 "\n",
                res.icount, res.el, res.pc);
    }

    struct hv_mmu mmu;
    struct steps st;
    if (hv_mmu_from_cpu(cpu, &mmu)) {
        fprintf(stderr, "hvsim walk: cannot read the translation registers\n");
        hv_machine_destroy(m);
        return 2;
    }
    st.n = 0;
    st.s1_ipa = (w.regime == R_EL10 || w.regime == R_EL10_S1) && (mmu.regs.hcr_el2 & 1);
    mmu.step = on_step;
    mmu.step_ctx = &st;
    struct hv_mmu_result r;
    bool s1_only_ok = false;
    if (w.regime == R_S2) {
        if (!(mmu.regs.hcr_el2 & 1))
            fprintf(stderr, "hvsim walk: note: stage 2 is off now (HCR_EL2.VM = 0); showing the "
                            "walk the VTCR_EL2/VTTBR_EL2 tables would do\n");
        mmu.regs.hcr_el2 |= 1;
        rc = hv_mmu_translate_ipa(&mmu, w.addr, w.access, 1, &r);
    } else {
        struct hv_mmu_access acc = {
            .va = w.addr, .type = w.access, .el = w.regime == R_EL2 ? 2 : w.el};
        rc = hv_mmu_translate(&mmu, &acc, &r);
        /* el10-s1: a fault of the final stage 2 means stage 1 succeeded. */
        s1_only_ok = w.regime == R_EL10_S1 && rc < 0 && r.fault.stage == 2 && !r.fault.s1ptw;
    }
    if (w.dot)
        print_dot(&w, &st, rc, &r, s1_only_ok);
    else
        print_text(&w, &mmu, &st, rc, &r, s1_only_ok);
    hv_machine_destroy(m);
    return 0;
}
