/* bench_iso: what the isolation checker costs, against the demo's run time
 * measured in the same process (docs/mmu.md, "The isolation checker").
 *
 * usage: bench_iso [DEMO_ELF [DEMO2_ELF]]   (defaults: the build's images/demo.elf
 *        and images/hypervisor.elf)
 *
 * 1. The demo (build/images/demo.elf) runs in-process on the built-in virt
 *    platform, 10 times (machine creation, run, teardown); the median CPU
 *    time is the baseline DEMO_MS. An observer counts its VM entries (ERETs
 *    to EL1/EL0). DEMO_PROCESS_MS is the CPU time of the whole
 *    `hvsim run -q demo.elf` process (start-up included), median of 5.
 * 2. A VM with 1 GiB mapped in 4 KiB pages (4K granule, 32-bit IPA, 512
 *    level-3 tables: 2 MiB of tables, 262,144 page descriptors) is checked
 *    by sim/mmu/iso against an ownership map that allows all of it:
 *    - a first entry (enumeration and checks), once with the pages mapping
 *      1 GiB of contiguous PA (one run), once with the pages scattered over
 *      the 1 GiB (262,144 runs: the worst case for the ownership checks);
 *    - a later entry with the tables unchanged (the cached case: a memcmp
 *      of the 2 MiB of tables).
 *    - a re-walk after a TLBI (the cache entry's memory is reused).
 * 3. The cost of checking the demo's VM entries if the demo's VM had 1 GiB
 *    in 4 KiB pages: one first entry + (entries - 1) cached entries, for the
 *    linear map (RATIO_CONTIG) and the scattered one (RATIO_SCATTER).
 *    Prints one parseable line:
 *
 *    ISO DEMO_MS <ms> DEMO_PROCESS_MS <ms> VM_ENTRIES <n> WALK_CONTIG_MS <ms>
 *    WALK_SCATTER_MS <ms> REWALK_SCATTER_MS <ms> HIT_MS <ms> RATIO_CONTIG <r>
 *    RATIO_SCATTER <r> RATIO_CONTIG_PROCESS <r> RATIO_SCATTER_PROCESS <r>
 *
 * (on one line), then the write-watch line (sim/common/wwatch.h):
 *
 *    ISO_WATCH HIT_MEMCMP_MS <ms> HIT_WATCH_MS <ms> WRITE_HIT_MS <ms>
 *    RATIO_SCATTER_MEMCMP <r> HYP_MS <ms> HYP_VM_ENTRIES <n>
 *    HYP_RATIO_SCATTER_MEMCMP <r> HYP_RATIO_SCATTER <r> HYP_RATIO_CONTIG <r>
 *
 * then one line per configuration (demo in-process, demo as a process,
 * hypervisor demo; linear and scattered map), every number from this run:
 *
 *    ISO_RATIO <demo> <map> RUN_MS <ms> VM_ENTRIES <n> FIRST_MS <ms>
 *    HIT_MS <ms> CHECK_MS <ms> RATIO <r>
 *
 * (CHECK_MS = FIRST_MS + (VM_ENTRIES - 1) * HIT_MS; RATIO = CHECK_MS /
 * RUN_MS), and ISO_WORST RATIO <r>: the largest of them, against the target.
 *
 * HIT_MS = HIT_WATCH_MS is a cached entry with the tables watched (no page
 * written); HIT_MEMCMP_MS the same without the watch (every page compared,
 * the path used when the watch is unavailable); WRITE_HIT_MS an entry after
 * one same-value store into a table page (the write fault, then the
 * compare of the written watch's tables). HYP_* run the hypervisor demo
 * (DEMO2_ELF, default images/hypervisor.elf) in-process the same way, and
 * are first entry + (entries - 1) cached entries over its run time.
 * Target (issue 4): < 0.01. CPU time
 * (CLOCK_PROCESS_CPUTIME_ID) throughout: this machine is shared. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/observer.h"
#include "mmu/iso.h"
#include "platform/machine.h"
#include "platform/platform.h"

#ifndef HV_IMAGES_DIR
#define HV_IMAGES_DIR "build/images"
#endif

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return v[n / 2];
}

/* ---- the demo ------------------------------------------------------------------ */

static void count_entry(void *ctx, const struct hv_event *ev)
{
    if (ev->type == HV_EV_ERET && ev->u.eret.to_el <= 1)
        (*(unsigned *)ctx)++;
}

static double run_demo(const char *image, unsigned *entries)
{
    struct hv_platform plat;
    struct hv_machine_opts o;
    struct hv_err err;
    struct hv_obs obs;
    struct hv_machine *m;
    struct hv_run_result res;

    if (hv_platform_builtin("virt", &plat, &err))
        exit(2);
    memset(&o, 0, sizeof(o));
    o.platform = &plat;
    o.image = image;
    for (unsigned u = 0; u < 4; u++) /* virt's uart0..3 */
        o.uart_out[u] = "/dev/null";
    hv_obs_init(&obs);
    *entries = 0;
    hv_obs_subscribe(&obs, HV_EV_BIT(HV_EV_ERET), count_entry, entries);
    double t0 = cpu_now();
    if (hv_machine_create(&m, &o, &obs, &err) || hv_machine_run(m, &res, &err)) {
        fprintf(stderr, "bench_iso: demo: %s\n", err.msg);
        exit(2);
    }
    hv_machine_destroy(m);
    double t = cpu_now() - t0;
    if (res.status != 0) {
        fprintf(stderr, "bench_iso: the demo ended with status %d: %s\n", res.status, res.detail);
        exit(2);
    }
    return t;
}

/* The whole `hvsim run -q demo.elf` process, as a user runs it: CPU time
 * (user + system) of the child, from wait4. */
static double run_demo_process(const char *hvsim, const char *image)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execl(hvsim, hvsim, "run", "-q", image, (char *)NULL);
        _exit(127);
    }
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

/* ---- a 1 GiB stage 2 in 4 KiB pages --------------------------------------------- */

#define TBL_PA  0x10000000ull /* tables: L1 (32 bytes, in its own page), L2, 512 x L3 */
#define NL3     512u
#define TBL_LEN ((2u + NL3) * 4096u)
#define DATA_PA 0x40000000ull                                       /* the 1 GiB the VM owns */
#define VTCR    (32ull | (1ull << 6) | (2ull << 16) | (1ull << 31)) /* 4K, T0SZ 32, level 1 */

static uint8_t *tables;

static int rd(void *ctx, uint64_t pa, void *buf, size_t len)
{
    (void)ctx;
    if (pa < TBL_PA || pa - TBL_PA > TBL_LEN - len)
        return -1;
    memcpy(buf, tables + (pa - TBL_PA), len);
    return 0;
}

static const void *map(void *ctx, uint64_t pa, size_t len)
{
    (void)ctx;
    if (pa < TBL_PA || pa - TBL_PA > TBL_LEN - len)
        return NULL;
    return tables + (pa - TBL_PA);
}

static void put(uint64_t pa, uint64_t v)
{
    memcpy(tables + (pa - TBL_PA), &v, 8);
}

/* Page i maps PA DATA_PA + 4K * f(i): identity (contiguous), or an odd
 * multiplier modulo 2^18 (a permutation: no two neighbours are adjacent). */
static void build(bool scatter)
{
    const uint64_t page = 3 | (0xfull << 2) | (3ull << 6) | (3ull << 8) | (1ull << 10);
    memset(tables, 0, TBL_LEN);
    uint64_t l1 = TBL_PA, l2 = TBL_PA + 4096;
    put(l1 + 8, l2 | 3); /* IPA 0x40000000: level-1 entry 1 */
    for (unsigned t = 0; t < NL3; t++) {
        uint64_t l3 = TBL_PA + 8192 + 4096ull * t;
        put(l2 + 8 * t, l3 | 3);
        for (unsigned e = 0; e < 512; e++) {
            uint64_t i = (uint64_t)t * 512 + e;
            uint64_t f = scatter ? (i * 40503u) & (NL3 * 512 - 1) : i;
            put(l3 + 8 * e, (DATA_PA + (f << 12)) | page);
        }
    }
}

static double time_first_entry(const struct hv_iso_config *c, struct hv_mmu_regs *r, size_t *runs)
{
    double v[9];
    for (unsigned k = 0; k < 9; k++) {
        struct hv_iso *iso;
        if (hv_iso_create(&iso, c))
            exit(2);
        double t0 = cpu_now();
        int n = hv_iso_enter(iso, r);
        v[k] = cpu_now() - t0;
        if (n != 0) {
            fprintf(stderr, "bench_iso: %d unexpected violations\n", n);
            exit(2);
        }
        struct hv_iso_stats st;
        hv_iso_get_stats(iso, &st);
        if (st.descriptors != 4 + 512 + 512ull * NL3)
            exit(2);
        (void)runs;
        hv_iso_destroy(iso);
    }
    return median(v, 9);
}

int main(int argc, char **argv)
{
    const char *image = argc > 1 ? argv[1] : HV_IMAGES_DIR "/demo.elf";
    const char *hyp_image = argc > 2 ? argv[2] : HV_IMAGES_DIR "/hypervisor.elf";
    unsigned entries = 0;
    double d[10];
    for (unsigned k = 0; k < 10; k++)
        d[k] = run_demo(image, &entries);
    double demo = median(d, 10);
    double dp[5];
    for (unsigned k = 0; k < 5; k++)
        dp[k] = run_demo_process(HV_IMAGES_DIR "/../hvsim", image);
    double demo_proc = median(dp, 5);

    /* Page-aligned, like guest RAM (an mmap): the write-watch protects
     * whole host pages. */
    void *tm = mmap(NULL, TBL_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (tm == MAP_FAILED)
        return 2;
    tables = tm;
    struct hv_plat_owner own;
    memset(&own, 0, sizeof(own));
    snprintf(own.name, sizeof(own.name), "vm1");
    own.base = DATA_PA;
    own.size = 1ull << 30;
    own.kind = HV_OWNER_VM;
    own.vmid = 1;
    struct hv_iso_config c = {.owners = &own, .nowners = 1, .read = rd, .map = map};
    struct hv_mmu_regs r;
    memset(&r, 0, sizeof(r));
    r.hcr_el2 = 1;
    r.vtcr_el2 = VTCR;
    r.vttbr_el2 = TBL_PA | (1ull << 48);
    r.pa_bits = 44;

    /* A warm-up round first: the first 2 MiB a fresh process allocates
     * costs page faults (about 2.5 ms here) that later rounds reuse. */
    build(true);
    (void)time_first_entry(&c, &r, NULL);
    double walk_scatter = time_first_entry(&c, &r, NULL);
    build(false);
    double walk_contig = time_first_entry(&c, &r, NULL);

    /* The cached case and the re-walk, on the scattered layout. */
    build(true);
    struct hv_iso *iso;
    if (hv_iso_create(&iso, &c) || hv_iso_enter(iso, &r) != 0)
        return 2;
    /* 21 batches of 100 entries: one entry is near the clock's resolution. */
    double h[21];
    for (unsigned k = 0; k < 21; k++) {
        double t0 = cpu_now();
        for (unsigned j = 0; j < 100; j++)
            hv_iso_enter(iso, &r);
        h[k] = (cpu_now() - t0) / 100;
    }
    struct hv_iso_stats st;
    hv_iso_get_stats(iso, &st);
    if (st.walks != 1 || st.hits != 2100)
        return 2;
    double hit = median(h, 21);
    /* One store to a watched table page between two entries: the write
     * fault, then that page's memcmp and re-protection. */
    double wh[21];
    for (unsigned k = 0; k < 21; k++) {
        volatile uint8_t *b = tables + 8192 + 4096u * (k % NL3);
        double t0 = cpu_now();
        b[7] = b[7]; /* same value: the tables stay as they were */
        hv_iso_enter(iso, &r);
        wh[k] = cpu_now() - t0;
    }
    hv_iso_get_stats(iso, &st);
    if (st.walks != 1 || st.hits != 2121)
        return 2;
    double write_hit = median(wh, 21);
    /* A re-walk after a TLBI: the cache entry's buffers are reused. */
    double w[9];
    for (unsigned k = 0; k < 9; k++) {
        hv_iso_invalidate(iso, 1, false);
        double t0 = cpu_now();
        hv_iso_enter(iso, &r);
        w[k] = cpu_now() - t0;
    }
    hv_iso_destroy(iso);
    double rewalk = median(w, 9);

    /* The same cached case without the watch: a memcmp of every page. */
    struct hv_iso_config cm = c;
    cm.no_watch = true;
    if (hv_iso_create(&iso, &cm) || hv_iso_enter(iso, &r) != 0)
        return 2;
    for (unsigned k = 0; k < 21; k++) {
        double t0 = cpu_now();
        for (unsigned j = 0; j < 10; j++)
            hv_iso_enter(iso, &r);
        h[k] = (cpu_now() - t0) / 10;
    }
    hv_iso_destroy(iso);
    double hit_memcmp = median(h, 21);

    /* The hypervisor demo: the same cost against its run time. */
    unsigned hentries = 0;
    for (unsigned k = 0; k < 10; k++)
        d[k] = run_demo(hyp_image, &hentries);
    double hyp = median(d, 10);

    double hits = (entries > 1 ? entries - 1 : 0) * hit;
    double hyp_hits = (hentries > 1 ? hentries - 1 : 0) * hit;
    double hyp_hits_memcmp = (hentries > 1 ? hentries - 1 : 0) * hit_memcmp;
    printf("ISO DEMO_MS %.3f DEMO_PROCESS_MS %.3f VM_ENTRIES %u WALK_CONTIG_MS %.3f "
           "WALK_SCATTER_MS %.3f REWALK_SCATTER_MS %.3f HIT_MS %.6f RATIO_CONTIG %.4f "
           "RATIO_SCATTER %.4f RATIO_CONTIG_PROCESS %.4f RATIO_SCATTER_PROCESS %.4f\n",
           demo * 1e3, demo_proc * 1e3, entries, walk_contig * 1e3, walk_scatter * 1e3,
           rewalk * 1e3, hit * 1e3, (walk_contig + hits) / demo, (walk_scatter + hits) / demo,
           (walk_contig + hits) / demo_proc, (walk_scatter + hits) / demo_proc);
    printf("ISO_WATCH HIT_MEMCMP_MS %.4f HIT_WATCH_MS %.6f WRITE_HIT_MS %.4f RATIO_SCATTER_MEMCMP "
           "%.4f "
           "HYP_MS %.3f HYP_VM_ENTRIES %u HYP_RATIO_SCATTER_MEMCMP %.4f HYP_RATIO_SCATTER %.4f "
           "HYP_RATIO_CONTIG %.4f\n",
           hit_memcmp * 1e3, hit * 1e3, write_hit * 1e3,
           (walk_scatter + (entries > 1 ? entries - 1 : 0) * hit_memcmp) / demo, hyp * 1e3,
           hentries, (walk_scatter + hyp_hits_memcmp) / hyp, (walk_scatter + hyp_hits) / hyp,
           (walk_contig + hyp_hits) / hyp);
    /* One line per configuration, all from this run: the check's cost
     * (first check + cached entries) over that configuration's run time. */
    struct {
        const char *demo, *map;
        double run, first;
        unsigned n;
    } cfg[] = {
        {"demo", "linear", demo, walk_contig, entries},
        {"demo", "scattered", demo, walk_scatter, entries},
        {"demo-process", "linear", demo_proc, walk_contig, entries},
        {"demo-process", "scattered", demo_proc, walk_scatter, entries},
        {"hypervisor", "linear", hyp, walk_contig, hentries},
        {"hypervisor", "scattered", hyp, walk_scatter, hentries},
    };
    double worst = 0;
    for (unsigned k = 0; k < sizeof(cfg) / sizeof(cfg[0]); k++) {
        double cost = cfg[k].first + (cfg[k].n > 1 ? cfg[k].n - 1 : 0) * hit;
        double ratio = cost / cfg[k].run;
        worst = ratio > worst ? ratio : worst;
        printf("ISO_RATIO %-12s %-9s RUN_MS %8.3f VM_ENTRIES %5u FIRST_MS %.3f HIT_MS %.6f "
               "CHECK_MS %.3f RATIO %.4f\n",
               cfg[k].demo, cfg[k].map, cfg[k].run * 1e3, cfg[k].n, cfg[k].first * 1e3, hit * 1e3,
               cost * 1e3, ratio);
    }
    printf("ISO_WORST RATIO %.4f TARGET 0.0100 %s\n", worst, worst < 0.01 ? "met" : "missed");
    munmap(tables, TBL_LEN);
    return 0;
}
