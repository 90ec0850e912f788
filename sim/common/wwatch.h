/* wwatch: a write-watch on host memory, so that a cached result derived from
 * some bytes (the isolation checker's stage-2 tables, sim/mmu/iso.c) can be
 * revalidated without re-reading the bytes.
 *
 * A watched range is made read-only with mprotect(). The first store to it
 * (from C code, or from the engine: guest RAM is a host mapping given to
 * Unicorn with uc_mem_map_ptr, and its stores go straight to those pages)
 * raises SIGSEGV; the handler finds the range, marks it dirty, makes its
 * pages writable again and returns, so the store is retried and succeeds.
 * hv_ww_test_and_clear() reports the mark and re-protects the range.
 *
 * Process-wide state, by necessity: a signal handler has no context pointer.
 * It is one static registry in wwatch.c (fixed slots, touched by the handler
 * only through sig_atomic_t fields), used from one thread at a time.
 *
 * A fault outside every watched range is not ours: the handler restores the
 * previously installed SIGSEGV action (ASan's, or the default) and returns,
 * so the faulting instruction runs again and that handler reports it.
 *
 * Everything can fail (no slot left, unaligned range, mprotect refused, the
 * handler could not be installed, e.g. under a sanitizer that forbids it):
 * callers must then fall back to comparing the bytes. */
#ifndef HV_COMMON_WWATCH_H
#define HV_COMMON_WWATCH_H

#include <stdbool.h>
#include <stddef.h>

/* Install the handler (once). 0 when the watch can be used, else -1. */
int hv_ww_init(void);

/* Watch [p, p + len): p and len must be multiples of the host page size.
 * Returns a handle >= 0, or -1 (not watched: compare the bytes instead). */
int hv_ww_watch(void *p, size_t len);

/* The same, keeping a copy of each page as it was before its first store
 * since the last clear: the handler copies the page into snap (len bytes,
 * owned by the caller, untouched until a page is written) before making it
 * writable. A cached result can then be checked against the written pages
 * only, without a copy taken up front. -1 also when the per-page marks
 * cannot be allocated. */
int hv_ww_watch_snap(void *p, size_t len, void *snap);
/* The bytes of the page holding byte `off` as they were before its first
 * store since the last clear (pointer to byte `off` in the snapshot), or
 * NULL when the page was not written (its bytes are the live ones) or no
 * snapshot is known (no snap, broken range, bad handle). */
const void *hv_ww_page_before(int h, size_t off);
/* Could the range not be re-protected (or is h not an active watch)? Then
 * neither marks nor snapshots can be trusted. */
bool hv_ww_broken(int h);
/* Stop watching; the pages become writable again unless another active
 * watch covers them. h < 0 is ignored. */
void hv_ww_unwatch(int h);

/* Was the range written since it was watched or last tested? Clears the
 * mark and makes the range read-only again. Returns true also when the
 * range could not be re-protected (from then on it is reported dirty on
 * every test, so callers keep comparing bytes: correctness first). */
bool hv_ww_test_and_clear(int h);

/* The same in two steps, to compare only what was written: was the range
 * written (or is it broken) since the last clear? Was the page holding
 * byte `off` of the range written? (true when unknown.) Then clear the
 * marks and re-protect the range. */
bool hv_ww_dirty(int h);
bool hv_ww_page_dirty(int h, size_t off);
void hv_ww_clear(int h);

/* Number of write faults handled since start (for tests and benchmarks). */
unsigned long hv_ww_faults(void);

#endif
