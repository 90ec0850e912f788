/* wwatch: write-watch by mprotect + SIGSEGV (see wwatch.h). */
#define _GNU_SOURCE
#include "common/wwatch.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The registry: the one piece of process-wide state (the handler has no
 * context). A slot is in use when `active` is set; the handler reads
 * base/len/active/pages and writes dirty and the page marks only. 8192 slots cover 16 cached
 * stage 2s of 1 GiB in 4 KiB pages (514 table pages each). */
#define WW_SLOTS 8192

struct ww_slot {
    volatile sig_atomic_t active;
    volatile sig_atomic_t dirty;
    volatile sig_atomic_t broken;  /* could not be re-protected */
    volatile unsigned char *pages; /* a mark per written page, or NULL */
    unsigned char *snap;           /* hv_ww_watch_snap: the pages before their first write */
    uintptr_t base;
    size_t len;
};

static struct ww_slot slots[WW_SLOTS];
static size_t nslots_used; /* high-water mark: slots[0..nslots_used) */
static volatile sig_atomic_t installed;
static int init_state; /* 0 not tried, 1 ok, -1 unavailable */
static struct sigaction prev;
static volatile unsigned long nfaults;
static size_t pagesz;

static bool overlaps(const struct ww_slot *s, uintptr_t a, uintptr_t b)
{
    return s->base < b && a < s->base + s->len;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    uintptr_t a = (uintptr_t)si->si_addr;
    bool ours = false;
    if (installed && si->si_code == SEGV_ACCERR) {
        for (size_t i = 0; i < nslots_used; i++) {
            struct ww_slot *s = &slots[i];
            if (s->active && a >= s->base && a - s->base < s->len) {
                size_t pg = (a - s->base) / pagesz;
                /* The page is still read-only here: its bytes are those of
                 * the last clear. Keep them before the store lands (memcpy
                 * is async-signal-safe, POSIX.1-2017 2.4.3). */
                if (s->pages && !s->pages[pg] && s->snap)
                    memcpy(s->snap + pg * pagesz, (const void *)(s->base + pg * pagesz), pagesz);
                if (s->pages)
                    s->pages[pg] = 1;
                s->dirty = 1;
                ours = true;
            }
        }
    }
    if (ours) {
        /* Unprotect just the faulting page; the other pages of the range
         * stay watched until the next test re-protects the whole range. */
        uintptr_t pg = a & ~(uintptr_t)(pagesz - 1);
        if (mprotect((void *)pg, pagesz, PROT_READ | PROT_WRITE) == 0) {
            nfaults++;
            return;
        }
    }
    /* Not ours: give the fault back to whoever handled it before us. The
     * faulting instruction runs again on return and raises it anew. */
    installed = 0;
    sigaction(sig, &prev, NULL);
}

int hv_ww_init(void)
{
    if (init_state)
        return init_state > 0 ? 0 : -1;
    init_state = -1;
    long ps = sysconf(_SC_PAGESIZE);
    if (ps <= 0)
        return -1;
    pagesz = (size_t)ps;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &prev))
        return -1;
    /* A sanitizer may silently keep its own handler (ASan without
     * allow_user_segv_handler): check that ours is the one installed. */
    struct sigaction now;
    if (sigaction(SIGSEGV, NULL, &now) || !(now.sa_flags & SA_SIGINFO) ||
        now.sa_sigaction != on_segv)
        return -1;
    installed = 1;
    init_state = 1;
    return 0;
}

static bool reinstall(void)
{
    /* After an unrelated fault we stepped aside; if the process survived it
     * (a handler that recovered), take SIGSEGV back before watching again. */
    if (installed)
        return true;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &prev))
        return false;
    installed = 1;
    return true;
}

int hv_ww_watch(void *p, size_t len)
{
    return hv_ww_watch_snap(p, len, NULL);
}

int hv_ww_watch_snap(void *p, size_t len, void *snap)
{
    if (hv_ww_init() || !len || ((uintptr_t)p | len) & (pagesz - 1) || !reinstall())
        return -1;
    size_t i = 0;
    while (i < nslots_used && slots[i].active)
        i++;
    if (i == WW_SLOTS)
        return -1;
    struct ww_slot *s = &slots[i];
    s->base = (uintptr_t)p;
    s->len = len;
    s->dirty = 0;
    s->broken = 0;
    s->pages = calloc(len / pagesz, 1); /* NULL: every page reads as written */
    if (snap && !s->pages)
        return -1; /* a snapshot needs the marks: when to take it */
    s->snap = snap;
    if (i == nslots_used)
        nslots_used++;
    s->active = 1;
    if (mprotect(p, len, PROT_READ)) {
        s->active = 0;
        free((void *)s->pages);
        s->pages = NULL;
        return -1;
    }
    return (int)i;
}

void hv_ww_unwatch(int h)
{
    if (h < 0 || (size_t)h >= nslots_used || !slots[h].active)
        return;
    struct ww_slot *s = &slots[h];
    s->active = 0;
    free((void *)s->pages);
    s->pages = NULL;
    s->snap = NULL;
    /* Restore write access, except where another active watch still needs
     * a page read-only (two cached stage 2s sharing a table): then page by
     * page. */
    bool any = false;
    for (size_t i = 0; i < nslots_used && !any; i++)
        any = slots[i].active && overlaps(&slots[i], s->base, s->base + s->len);
    if (!any) {
        mprotect((void *)s->base, s->len, PROT_READ | PROT_WRITE);
    } else {
        for (uintptr_t pg = s->base; pg < s->base + s->len; pg += pagesz) {
            bool shared = false;
            for (size_t i = 0; i < nslots_used && !shared; i++)
                shared = slots[i].active && overlaps(&slots[i], pg, pg + pagesz);
            if (!shared)
                mprotect((void *)pg, pagesz, PROT_READ | PROT_WRITE);
        }
    }
    while (nslots_used && !slots[nslots_used - 1].active)
        nslots_used--;
}

bool hv_ww_dirty(int h)
{
    if (h < 0 || (size_t)h >= nslots_used || !slots[h].active)
        return true;
    return slots[h].dirty || slots[h].broken;
}

const void *hv_ww_page_before(int h, size_t off)
{
    if (h < 0 || (size_t)h >= nslots_used || !slots[h].active)
        return NULL;
    const struct ww_slot *s = &slots[h];
    if (s->broken || !s->snap || !s->pages || off >= s->len || !s->pages[off / pagesz])
        return NULL;
    return s->snap + off;
}

bool hv_ww_broken(int h)
{
    return h < 0 || (size_t)h >= nslots_used || !slots[h].active || slots[h].broken;
}

bool hv_ww_page_dirty(int h, size_t off)
{
    if (h < 0 || (size_t)h >= nslots_used || !slots[h].active)
        return true;
    const struct ww_slot *s = &slots[h];
    if (s->broken || !s->pages || off >= s->len)
        return true;
    return s->pages[off / pagesz] != 0;
}

void hv_ww_clear(int h)
{
    if (h < 0 || (size_t)h >= nslots_used || !slots[h].active)
        return;
    struct ww_slot *s = &slots[h];
    if (!s->dirty)
        return;
    s->dirty = 0;
    if (!s->pages) {
        if (mprotect((void *)s->base, s->len, PROT_READ))
            s->broken = 1;
        return;
    }
    /* The handler made only the written pages writable: re-protect those,
     * a run of consecutive ones at a time (an mprotect costs per page). */
    size_t n = s->len / pagesz;
    for (size_t i = 0; i < n;) {
        if (!s->pages[i]) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && s->pages[j])
            s->pages[j++] = 0;
        if (mprotect((void *)(s->base + i * pagesz), (j - i) * pagesz, PROT_READ))
            s->broken = 1;
        i = j;
    }
}

bool hv_ww_test_and_clear(int h)
{
    bool d = hv_ww_dirty(h);
    hv_ww_clear(h);
    return d;
}

unsigned long hv_ww_faults(void)
{
    return nfaults;
}
