#define _GNU_SOURCE
#include "uc_internals.h"

#include "fp_trap.h"

#include <stddef.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* QEMU functions exported by libunicorn.so.2 / libunicorn.a (2.1.1). Types are
 * reduced to what we pass: CPUState and CPUARMState stay opaque. */
extern void *qemu_get_cpu_aarch64(struct uc_struct *uc, int index);
extern void arm_cpu_do_interrupt_aarch64(void *cs);
extern void (*cpu_interrupt_handler)(void *cs, int mask);
extern void cpu_reset_interrupt(void *cs, int mask);
extern void cpu_exit(void *cs);
extern void raise_exception_aarch64(void *env, uint32_t excp, uint32_t syndrome, uint32_t target_el)
    __attribute__((noreturn));
extern int cpu_memory_rw_debug_aarch64(void *cs, uint64_t addr, void *buf, uint64_t len,
                                       bool is_write);
extern void pmu_pre_el_change_aarch64(void *cpu, void *opaque);
/* Bus errors. MemTxAttrs is a 32-bit bit-field struct (include/exec/memattrs.h),
 * passed like a uint32_t; MMUAccessType is an int enum; MemTxResult a uint32_t. */
extern bool cpu_restore_state_aarch64(void *cs, uintptr_t host_pc, bool will_exit);
extern void cpu_loop_exit_aarch64(void *cs) __attribute__((noreturn));
extern int arm_mmu_idx_aarch64(void *env);
extern void arm_cpu_do_transaction_failed_aarch64(void *cs, uint64_t physaddr, uint64_t addr,
                                                  unsigned size, int access_type, int mmu_idx,
                                                  uint32_t attrs, uint32_t response,
                                                  uintptr_t retaddr) __attribute__((noreturn));
extern void pmu_post_el_change_aarch64(void *cpu, void *opaque);
extern void *find_memory_mapping_aarch64(struct uc_struct *uc, uint64_t address);
/* Instruction cache maintenance. abi_ptr, ram_addr_t and tb_page_addr_t
 * are uint64_t here; MMUAccessType is an int enum (HV_UCI_LOAD/FETCH). */
extern void *tlb_vaddr_to_host_aarch64(void *env, uint64_t addr, int access_type, int mmu_idx);
extern uint64_t qemu_ram_addr_from_host_aarch64(struct uc_struct *uc, void *ptr);
extern void tb_invalidate_phys_range_aarch64(struct uc_struct *uc, uint64_t start, uint64_t end);
extern void memory_region_set_readonly_aarch64(void *mr, bool readonly);

/* How far past CPUState we look for env and the hook lists. ARMCPU in 2.1.1
 * holds env at about cs + 0xa350 and the hook lists some KiB after it. */
#define SCAN_BYTES 0x40000

/* Read host memory that may not be mapped, without faulting. */
static bool safe_read(const void *addr, void *out, size_t len)
{
    struct iovec local = {out, len};
    struct iovec remote = {(void *)addr, len};
    return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)len;
}

/* ARMELChangeHookFn trampolines: keep QEMU's PMU bookkeeping, then ours. */
static void pre_trampoline(void *cpu, void *opaque)
{
    struct hv_uci *uci = opaque;
    pmu_pre_el_change_aarch64(cpu, NULL);
    uci->pre(uci->opaque);
}

static void post_trampoline(void *cpu, void *opaque)
{
    struct hv_uci *uci = opaque;
    pmu_post_el_change_aarch64(cpu, NULL);
    uci->post(uci->opaque);
}

static int find_env(uc_engine *uc, struct hv_uci *uci, struct hv_err *err)
{
    static const uint64_t magic[8] = {
        0x68760000c0ffee00ull, 0x68760000c0ffee11ull, 0x68760000c0ffee22ull, 0x68760000c0ffee33ull,
        0x68760000c0ffee44ull, 0x68760000c0ffee55ull, 0x68760000c0ffee66ull, 0x68760000c0ffee77ull,
    };
    uint64_t saved[8];
    uint8_t *base = uci->cs;
    uint8_t *buf;
    size_t got = 0;
    int found = -1;

    for (int i = 0; i < 8; i++) {
        uc_reg_read(uc, UC_ARM64_REG_X0 + i, &saved[i]);
        uc_reg_write(uc, UC_ARM64_REG_X0 + i, &magic[i]);
    }
    /* Copy what is readable of the scan window in 4 KiB steps. */
    buf = calloc(1, SCAN_BYTES);
    if (!buf)
        return hv_err_set(err, "out of memory");
    while (got < SCAN_BYTES && safe_read(base + got, buf + got, 4096))
        got += 4096;
    for (size_t off = 0; off + sizeof(magic) <= got; off += 8) {
        if (memcmp(buf + off, magic, sizeof(magic)) == 0) {
            found = (int)off;
            break;
        }
    }
    free(buf);
    for (int i = 0; i < 8; i++)
        uc_reg_write(uc, UC_ARM64_REG_X0 + i, &saved[i]);
    /* xregs[] follows uint32_t regs[16]. */
    if (found < 64)
        return hv_err_set(err, "Unicorn self-test: CPUARMState not found after CPUState "
                               "(is this Unicorn 2.1.1?)");
    uci->env = base + found - 64;
    uci->pc = (uint64_t *)((uint8_t *)uci->env + 64 + 32 * 8);
    uci->pstate = (uint32_t *)((uint8_t *)uci->env + 64 + 32 * 8 + 8);

    /* Validate: env->pc and env->pstate must follow UC_ARM64_REG_PC/PSTATE. */
    uint64_t pc = 0x4000123400ull, rpc;
    uc_reg_write(uc, UC_ARM64_REG_PC, &pc);
    uc_reg_read(uc, UC_ARM64_REG_PC, &rpc);
    uint32_t ps = 0;
    uc_reg_read(uc, UC_ARM64_REG_PSTATE, &ps);
    if (*uci->pc != pc || rpc != pc || ((*uci->pstate ^ ps) & 0xf) != 0)
        return hv_err_set(err, "Unicorn self-test: env->pc/pstate layout differs from QEMU 5.0's");
    return 0;
}

/* QLIST_HEAD is one pointer to the first entry; each ARMELChangeHook starts
 * with {hook, opaque}. QEMU registered exactly one pre and one post hook (the
 * PMU's) for cortex-a72, so each list head points at an entry whose first
 * word is the PMU function. The two heads are adjacent in ARMCPU. */
static int find_hooks(struct hv_uci *uci, struct hv_err *err)
{
    uint8_t *base = uci->cs;
    void **pre = NULL, **post = NULL;

    for (size_t off = 0; off + 16 <= SCAN_BYTES; off += 8) {
        void *head[2], *first[2];
        if (!safe_read(base + off, head, sizeof(head)))
            break;
        if (!head[0] || !head[1] || ((uintptr_t)head[0] & 7) || ((uintptr_t)head[1] & 7))
            continue;
        if (!safe_read(head[0], &first[0], sizeof(void *)) ||
            !safe_read(head[1], &first[1], sizeof(void *)))
            continue;
        if (first[0] == (void *)pmu_pre_el_change_aarch64 &&
            first[1] == (void *)pmu_post_el_change_aarch64) {
            pre = head[0];
            post = head[1];
            break;
        }
    }
    if (!pre)
        return hv_err_set(err, "Unicorn self-test: QEMU's EL-change hook lists not found "
                               "(is this Unicorn 2.1.1 with cortex-a72?)");
    uci->pre_hook_entry = pre;
    uci->post_hook_entry = post;
    return 0;
}

/* ---- the code-page TLB reset after each translation ------------------------
 *
 * After translating a block, Unicorn 2.1.1's tb_gen_code() calls
 * tlb_reset_dirty_by_vaddr(cpu, page, len) to mark every softmmu TLB entry
 * that maps the block's page(s) for writing TLB_NOTDIRTY again, so that the
 * next store to that code goes through notdirty_write() and invalidates the
 * translation (self-modifying code). Its loop visits every entry of every
 * TLB: 12 MMU modes x (64..4 Ki entries + 8 victim entries), thousands per
 * translated block; in the Linux boot it was ~10 % of the run
 * (docs/benchmarks.md). QEMU 7.2 has no such scan.
 *
 * hv_uci_tlb_reset() does the same with the entries that can map those
 * pages: QEMU 5.0's softmmu stores the entry of virtual page p only at
 * index (p >> TARGET_PAGE_BITS) & (n - 1) of a mode's table
 * (tlb_set_page_with_attrs, tlb_index), or in that mode's victim TLB
 * (victim_tlb_hit swaps the two); a table is emptied whenever it is resized.
 * So per mode it tests one entry per page of the range plus the 8 victim
 * entries, with the same test as Unicorn's tlb_reset_dirty_range_by_vaddr_
 * locked(). The hvsim executable links Unicorn statically with
 * -Wl,--wrap=tlb_reset_dirty_by_vaddr_aarch64 (tools/CMakeLists.txt), which
 * sends translate-all.o's call here; other executables keep Unicorn's own
 * function. If the layout check below fails, Unicorn's own runs.
 *
 * Layout (Unicorn 2.1.1, QEMU 5.0 include/exec/cpu-defs.h, x86-64 host):
 * ARMCPU has CPUNegativeOffsetState neg = { CPUTLB tlb; IcountDecr
 * icount_decr; } just before env, CPUTLB ends with CPUTLBDescFast
 * f[NB_MMU_MODES = 12] (16 bytes each: mask, table) after CPUTLBDesc
 * d[12] (696 bytes each, the victim table vtable[8] at +48), and CPUState
 * holds env_ptr followed by icount_decr_ptr = &neg.icount_decr. */
#define UCI_TLB_MODES       12
#define UCI_TLB_FAST_SIZE   16
#define UCI_TLB_DESC_SIZE   696
#define UCI_TLB_DESC_VTABLE 48
#define UCI_TLB_DESC_IOTLB  688
#define UCI_TLB_VTLB_SIZE   8
#define UCI_TLB_ENTRY_BITS  6  /* sizeof(CPUTLBEntry) == 64 */
#define UCI_TLB_ADDR_WRITE  8  /* offsetof(CPUTLBEntry, addr_write) */
#define UCI_TLB_MAX_BITS    22 /* CPU_TLB_DYN_MAX_BITS on a 64-bit host */
/* QEMU 5.0 include/exec/cpu-all.h with TARGET_PAGE_BITS_MIN = 10 (Arm). */
#define UCI_TLB_INVALID_MASK  (1u << 9)
#define UCI_TLB_NOTDIRTY      (1u << 8)
#define UCI_TLB_MMIO          (1u << 7)
#define UCI_TLB_DISCARD_WRITE (1u << 4)

/* Offset of neg.tlb.f[0] from the CPUState: a constant of the library's
 * structure layout, the same for every engine of the process. 0 until
 * hv_uci_init() has checked it (then Unicorn's own function runs). */
static ptrdiff_t tlb_fast_off;
/* TARGET_PAGE_BITS: Unicorn 2.1.1 leaves AArch64 at TARGET_PAGE_BITS_MIN,
 * 10 (1 KiB pages), unless the page size is set before the engine starts
 * (hv_uci_set_page_size). It is kept per process: if two engines with
 * different page sizes are checked, the fast path is turned off (tlb_mixed)
 * and Unicorn's own scan runs for both. */
static unsigned tlb_page_bits;
static bool tlb_mixed;

struct uci_tlb_fast {
    uintptr_t mask; /* (n_entries - 1) << UCI_TLB_ENTRY_BITS */
    uint8_t *table;
};

static bool tlb_layout_ok(const uint8_t *fast)
{
    for (unsigned m = 0; m < UCI_TLB_MODES; m++) {
        struct uci_tlb_fast f;
        void *iotlb;
        const uint8_t *d = fast - (UCI_TLB_MODES - m) * UCI_TLB_DESC_SIZE;
        if (!safe_read(fast + m * UCI_TLB_FAST_SIZE, &f, sizeof(f)) ||
            !safe_read(d + UCI_TLB_DESC_IOTLB, &iotlb, sizeof(iotlb)))
            return false;
        uintptr_t n = (f.mask >> UCI_TLB_ENTRY_BITS) + 1;
        if ((f.mask & ((1u << UCI_TLB_ENTRY_BITS) - 1)) || n < 64 ||
            n > (UINT64_C(1) << UCI_TLB_MAX_BITS) || (n & (n - 1)) || !f.table || !iotlb)
            return false;
    }
    return true;
}

/* uc_ctl_get_page_size() without its macro, whose (2 << 30) overflows an int
 * (UBSan): UC_CTL_READ(UC_CTL_UC_PAGE_SIZE, 1) spelled in unsigned. */
uint32_t hv_uci_page_size(uc_engine *uc)
{
    uint32_t page = 0;
    uint32_t ctl = (uint32_t)UC_CTL_UC_PAGE_SIZE | (1u << 26) | ((uint32_t)UC_CTL_IO_READ << 30);
    if (uc_ctl(uc, (uc_control_type)ctl, &page) != UC_ERR_OK)
        return 0;
    return page;
}

/* ---- engine page size ------------------------------------------------------
 *
 * Unicorn 2.1.1 (include/uc_priv.h) declares, in struct uc_struct,
 *     TargetPageBits *init_target_page;
 *     int target_bits;   // User defined page bits by uc_ctl
 *     int cpu_model;
 * finalize_target_page_bits() (qemu/exec-vary.c), run once when the engine
 * initialises (cpu_exec_init_all), takes target_bits as TARGET_PAGE_BITS if
 * it is not 0, else TARGET_PAGE_BITS_MIN (10 for Arm); target_page_init()
 * then sets uc->target_page_size/align, which uc_mem_map() and
 * uc_mmio_map() check alignment against. The TLB flag bits use
 * TARGET_PAGE_BITS_MIN, so they do not move (see the TLB reset above).
 *
 * uc_ctl_set_page_size() writes target_bits only for UC_ARCH_ARM (the same
 * struct), so the offset is found without a constant: on a scratch 32-bit
 * Arm engine, the one int that reads 0 after uc_open() and changes by
 * exactly log2(b / a) when the control sets page size a, then b. (2.1.1
 * stores log2(size) + 1 there; the search accepts log2(size) too, in case
 * a later Unicorn fixes that.) Checks, each of which refuses 4 KiB pages:
 *  - exactly one such int, and the int after it is cpu_model (it follows
 *    uc_ctl_set_cpu_model) and the pointer before it init_target_page
 *    (NULL until the engine initialises, non-NULL after);
 *  - a scratch AArch64 engine left alone reports 1 KiB pages (bits 10);
 *  - a scratch AArch64 engine with target_bits = 12 reports 4 KiB pages,
 *    still reads 12 there, refuses a 1 KiB mapping, accepts a 4 KiB one
 *    and runs code from it. */
#define PS_SCAN_MAX (1u << 20) /* more than any uc_struct (2.1.1's is a few KiB) */

static long tb_off = -1;   /* offset of target_bits; -1: not (yet) found */
static const char *tb_why; /* why not, if the search failed */
static bool tb_searched;

/* The engine's own allocation (uc_open callocs struct uc_struct), so that
 * the search reads only that. */
static size_t ps_size(const uc_engine *uc)
{
    size_t n = malloc_usable_size((void *)uc);
    return n < PS_SCAN_MAX ? n : PS_SCAN_MAX;
}

static bool ps_snap(const uc_engine *uc, uint8_t *buf, size_t n)
{
    return safe_read(uc, buf, n);
}

static int32_t ps_int(const uint8_t *buf, long off)
{
    int32_t v;
    memcpy(&v, buf + off, sizeof(v));
    return v;
}

/* Find target_bits on a scratch UC_ARCH_ARM engine (never initialised). */
static const char *ps_find(long *off)
{
    uc_engine *uc = NULL;
    uint8_t *s0 = NULL, *s1 = NULL, *s2 = NULL;
    const char *why = NULL;
    long found = -1;
    int n = 0;
    size_t size = 0;
    if (uc_open(UC_ARCH_ARM, UC_MODE_ARM, &uc) != UC_ERR_OK) {
        why = "cannot open a scratch 32-bit Arm engine";
        goto out;
    }
    size = ps_size(uc);
    s0 = malloc(size);
    s1 = malloc(size);
    s2 = malloc(size);
    if (!s0 || !s1 || !s2) {
        why = "out of memory";
        goto out;
    }
    if (!ps_snap(uc, s0, size) || uc_ctl_set_page_size(uc, 1u << 11) != UC_ERR_OK ||
        !ps_snap(uc, s1, size) || uc_ctl_set_page_size(uc, 1u << 14) != UC_ERR_OK ||
        !ps_snap(uc, s2, size)) {
        why = "uc_ctl_set_page_size() failed on a 32-bit Arm engine";
        goto out;
    }
    for (long o = 8; o + 8 <= (long)size; o += 4) {
        int32_t a = ps_int(s0, o), b = ps_int(s1, o), c = ps_int(s2, o);
        if (a == 0 && (b == 11 || b == 12) && c == b + 3) {
            found = o;
            n++;
        }
    }
    if (n != 1) {
        why = n ? "more than one candidate for uc->target_bits" : "uc->target_bits not found";
        goto out;
    }
    void *itp;
    memcpy(&itp, s2 + found - 8, sizeof(itp));
    if (uc_ctl_set_cpu_model(uc, UC_CPU_ARM_CORTEX_A15) != UC_ERR_OK || !ps_snap(uc, s1, size) ||
        ps_int(s1, found + 4) != UC_CPU_ARM_CORTEX_A15 || itp != NULL || found % 8) {
        why = "the fields around uc->target_bits are not init_target_page and cpu_model";
        goto out;
    }
    *off = found;
out:
    if (uc)
        uc_close(uc);
    free(s0);
    free(s1);
    free(s2);
    return why;
}

/* A scratch AArch64 engine with target_bits = bits (0: left alone) must
 * report 1 << (bits ? bits : 10) byte pages and work with them. */
static const char *ps_check(long off, int32_t bits)
{
    static const uint32_t code[] = {0xd2800540, 0xd503201f}; /* movz x0, #42; nop */
    uc_engine *uc = NULL;
    const char *why = NULL;
    uint32_t want = 1u << (bits ? bits : 10);
    uint64_t pc, x0 = 0;
    void *itp = (void *)1;
    if (uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &uc) != UC_ERR_OK)
        return "cannot open a scratch AArch64 engine";
    uint8_t *f = (uint8_t *)uc + off;
    int32_t cur = -1;
    if ((size_t)off + sizeof(cur) > ps_size(uc)) {
        why = "an AArch64 engine is smaller than the offset found";
        goto out;
    }
    if (!safe_read(f, &cur, sizeof(cur)) || cur != 0 || !safe_read(f - 8, &itp, sizeof(itp)) ||
        itp != NULL) {
        why = "a fresh AArch64 engine does not read target_bits = 0";
        goto out;
    }
    if (bits)
        memcpy(f, &bits, sizeof(bits));
    if (uc_ctl_set_cpu_model(uc, UC_CPU_ARM64_A72) != UC_ERR_OK ||
        uc_reg_read(uc, UC_ARM64_REG_PC, &pc) != UC_ERR_OK) {
        why = "a scratch AArch64 engine did not start";
        goto out;
    }
    memcpy(&cur, f, sizeof(cur));
    memcpy(&itp, f - 8, sizeof(itp));
    if (hv_uci_page_size(uc) != want || cur != bits || !itp) {
        why = bits ? "an AArch64 engine given target_bits = 12 does not report 4 KiB pages"
                   : "an AArch64 engine does not report Unicorn 2.1.1's 1 KiB pages";
        goto out;
    }
    if (want > 1024 && uc_mem_map(uc, 0x400, 0x400, UC_PROT_ALL) != UC_ERR_ARG) {
        why = "an AArch64 engine with 4 KiB pages accepted a 1 KiB mapping";
        goto out;
    }
    if (uc_mem_map(uc, 0x10000, want, UC_PROT_ALL) != UC_ERR_OK ||
        uc_mem_write(uc, 0x10000, code, sizeof(code)) != UC_ERR_OK ||
        uc_emu_start(uc, 0x10000, 0x10008, 0, 0) != UC_ERR_OK ||
        uc_reg_read(uc, UC_ARM64_REG_X0, &x0) != UC_ERR_OK || x0 != 42) {
        why = "an AArch64 engine with the new page size did not run a test program";
        goto out;
    }
out:
    uc_close(uc);
    return why;
}

long hv_uci_target_bits_offset(const char **why)
{
    if (!tb_searched) {
        tb_searched = true;
        long off = -1;
        tb_why = ps_find(&off);
        if (!tb_why)
            tb_why = ps_check(off, 0);
        if (!tb_why)
            tb_why = ps_check(off, 12);
        if (!tb_why)
            tb_off = off;
    }
    if (why)
        *why = tb_why;
    return tb_off;
}

uint32_t hv_uci_set_page_size(uc_engine *uc, uint32_t size, char *notice, size_t cap)
{
    const char *why = NULL;
    if (notice && cap)
        notice[0] = 0;
    if (size == 1024)
        return 1024;
    if (size != 4096) {
        why = "only 1024 and 4096 are supported";
    } else if (hv_uci_target_bits_offset(&why) >= 0 &&
               (size_t)tb_off + sizeof(int32_t) > ps_size(uc)) {
        why = "the engine is smaller than the offset found";
    } else if (tb_off >= 0) {
        uint8_t *f = (uint8_t *)uc + tb_off;
        int32_t cur = -1, bits = 12;
        void *itp = (void *)1;
        /* Not yet initialised: target_bits unset, init_target_page NULL. */
        if (safe_read(f, &cur, sizeof(cur)) && cur == 0 && safe_read(f - 8, &itp, sizeof(itp)) &&
            itp == NULL) {
            memcpy(f, &bits, sizeof(bits));
            return 4096;
        }
        why = "the engine was already initialised";
    }
    if (notice && cap)
        snprintf(notice, cap, "engine pages stay 1 KiB instead of %u bytes: %s", (unsigned)size,
                 why);
    return 1024;
}

/* Find neg.tlb.f[] through cs->icount_decr_ptr, which follows cs->env_ptr,
 * and check every mode's descriptor. Leaves the fast path off otherwise. */
static void find_tlb(uc_engine *uc, struct hv_uci *uci)
{
    const uint8_t *base = uci->cs;
    uint32_t page = hv_uci_page_size(uc);
    if (page < 1024 || page > 65536 || (page & (page - 1))) {
        tlb_mixed = tlb_fast_off != 0;
        return;
    }
    if (tlb_fast_off) {
        if ((1u << tlb_page_bits) != page)
            tlb_mixed = true;
        return;
    }
    for (size_t off = 0; base + off + 16 <= (const uint8_t *)uci->env; off += 8) {
        void *w[2];
        if (!safe_read(base + off, w, sizeof(w)))
            return;
        if (w[0] != uci->env)
            continue;
        const uint8_t *icount = w[1];
        if (icount <= base || icount >= (const uint8_t *)uci->env ||
            (const uint8_t *)uci->env - icount > 64)
            return;
        const uint8_t *fast = icount - UCI_TLB_MODES * UCI_TLB_FAST_SIZE;
        if (tlb_layout_ok(fast)) {
            tlb_page_bits = (unsigned)__builtin_ctz(page);
            tlb_fast_off = fast - base;
        }
        return;
    }
}

bool hv_uci_tlb_reset_fast(void)
{
    return tlb_fast_off != 0 && !tlb_mixed;
}

/* tlb_reset_dirty_range_by_vaddr_locked()'s test on one entry. */
static inline void tlb_reset_entry(uint8_t *e, uint64_t start, uint64_t length)
{
    uint64_t *aw = (uint64_t *)(e + UCI_TLB_ADDR_WRITE);
    uint64_t a = *aw;
    if ((a & (UCI_TLB_INVALID_MASK | UCI_TLB_MMIO | UCI_TLB_DISCARD_WRITE | UCI_TLB_NOTDIRTY)) ==
            0 &&
        ((a & ~(((uint64_t)1 << tlb_page_bits) - 1)) - start) < length)
        *aw = a | UCI_TLB_NOTDIRTY;
}

void __real_tlb_reset_dirty_by_vaddr_aarch64(void *cs, uint64_t start, uint64_t length)
    __attribute__((weak));
void __wrap_tlb_reset_dirty_by_vaddr_aarch64(void *cs, uint64_t start, uint64_t length);

void hv_uci_tlb_reset(void *cs, uint64_t start, uint64_t length)
{
    /* tb_gen_code passes a page-aligned start and at most two pages. */
    if ((start & ((1u << tlb_page_bits) - 1)) || length > (8u << tlb_page_bits)) {
        if (__real_tlb_reset_dirty_by_vaddr_aarch64)
            __real_tlb_reset_dirty_by_vaddr_aarch64(cs, start, length);
        return;
    }
    struct uci_tlb_fast *fast = (struct uci_tlb_fast *)((uint8_t *)cs + tlb_fast_off);
    uint8_t *d = (uint8_t *)fast - UCI_TLB_MODES * UCI_TLB_DESC_SIZE;
    for (unsigned m = 0; m < UCI_TLB_MODES; m++, d += UCI_TLB_DESC_SIZE) {
        uintptr_t nmask = fast[m].mask >> UCI_TLB_ENTRY_BITS;
        for (uint64_t p = start; p - start < length; p += 1u << tlb_page_bits)
            tlb_reset_entry(fast[m].table + (((p >> tlb_page_bits) & nmask) << UCI_TLB_ENTRY_BITS),
                            start, length);
        for (unsigned v = 0; v < UCI_TLB_VTLB_SIZE; v++)
            tlb_reset_entry(d + UCI_TLB_DESC_VTABLE + ((size_t)v << UCI_TLB_ENTRY_BITS), start,
                            length);
    }
}

size_t hv_uci_tlb_copy(void *cs, void *buf, size_t cap)
{
    if (!tlb_fast_off)
        return 0;
    struct uci_tlb_fast *fast = (struct uci_tlb_fast *)((uint8_t *)cs + tlb_fast_off);
    uint8_t *d = (uint8_t *)fast - UCI_TLB_MODES * UCI_TLB_DESC_SIZE;
    size_t need = UCI_TLB_MODES * UCI_TLB_DESC_SIZE, o = 0;
    for (unsigned m = 0; m < UCI_TLB_MODES; m++)
        need += ((fast[m].mask >> UCI_TLB_ENTRY_BITS) + 1) << UCI_TLB_ENTRY_BITS;
    if (!buf || cap < need)
        return need;
    for (unsigned m = 0; m < UCI_TLB_MODES; m++) {
        size_t n = ((fast[m].mask >> UCI_TLB_ENTRY_BITS) + 1) << UCI_TLB_ENTRY_BITS;
        memcpy((uint8_t *)buf + o, fast[m].table, n);
        o += n;
    }
    memcpy((uint8_t *)buf + o, d, UCI_TLB_MODES * UCI_TLB_DESC_SIZE);
    return need;
}

void __wrap_tlb_reset_dirty_by_vaddr_aarch64(void *cs, uint64_t start, uint64_t length)
{
    if (!hv_uci_tlb_reset_fast()) {
        __real_tlb_reset_dirty_by_vaddr_aarch64(cs, start, length);
        return;
    }
    hv_uci_tlb_reset(cs, start, length);
#ifdef HVSIM_TLB_RESET_CHECK
    /* Verification build (cmake -DHVSIM_TLB_RESET_CHECK=ON): Unicorn's own
     * full scan after ours must find nothing left to mark. */
    struct uci_tlb_fast *fast = (struct uci_tlb_fast *)((uint8_t *)cs + tlb_fast_off);
    uint8_t *d0 = (uint8_t *)fast - UCI_TLB_MODES * UCI_TLB_DESC_SIZE;
    size_t sizes[UCI_TLB_MODES], total = 0;
    for (unsigned m = 0; m < UCI_TLB_MODES; m++)
        total += sizes[m] = ((fast[m].mask >> UCI_TLB_ENTRY_BITS) + 1) << UCI_TLB_ENTRY_BITS;
    uint8_t *snap = malloc(total + UCI_TLB_MODES * UCI_TLB_DESC_SIZE);
    if (!snap)
        abort();
    size_t o = 0;
    for (unsigned m = 0; m < UCI_TLB_MODES; m++, o += sizes[m - 1])
        memcpy(snap + o, fast[m].table, sizes[m]);
    memcpy(snap + o, d0, UCI_TLB_MODES * UCI_TLB_DESC_SIZE);
    __real_tlb_reset_dirty_by_vaddr_aarch64(cs, start, length);
    o = 0;
    bool same = true;
    for (unsigned m = 0; m < UCI_TLB_MODES; m++, o += sizes[m - 1])
        same = same && memcmp(snap + o, fast[m].table, sizes[m]) == 0;
    same = same && memcmp(snap + o, d0, UCI_TLB_MODES * UCI_TLB_DESC_SIZE) == 0;
    free(snap);
    if (!same) {
        fprintf(stderr, "hvsim: TLB reset check failed at 0x%llx+0x%llx\n",
                (unsigned long long)start, (unsigned long long)length);
        abort();
    }
    static unsigned long checked;
    if ((++checked & 0x3fff) == 0)
        fprintf(stderr, "hvsim: TLB reset check: %lu translations checked\n", checked);
#endif
}

/* ---- FP/SIMD access traps ----------------------------------------------------
 *
 * QEMU decides at translation time whether an FP/SIMD instruction traps:
 * its cached translation flags (env->hflags, TBFLAG_ANY.FPEXC_EL, bits
 * [23:22]) hold fp_exception_el(env, el), recomputed at every rebuild
 * (after each system-register write, exception entry and return), and the
 * translator emits the EC 0x07 exception in front of the first FP/SIMD
 * instruction, or MRS/MSR of FPCR/FPSR, when it is not 0. Translated blocks
 * are looked up with the flags, so the check costs nothing per instruction.
 *
 * Unicorn 2.1.1 (qemu/target/arm/helper.c) reduced fp_exception_el() to
 * "return 0": no FP/SIMD instruction ever traps. Both the static and the
 * shared library call it through its global symbol (a PLT32 relocation, a
 * PLT call), never inlined, so hvsim supplies it: every executable linked
 * with hvsim_sim gets "-u hv_uci_fp_exception_el
 * --defsym=fp_exception_el_aarch64=hv_uci_fp_exception_el"
 * (sim/CMakeLists.txt). In a static link the symbol assignment overrides
 * the archive's definition; in a dynamic one the executable's symbol is
 * exported and preempts the library's. The decision itself is
 * hv_fp_trap_el() (fp_trap.h); here it only reads the registers from env.
 *
 * Their offsets in CPUARMState are found once per process by writing
 * values through UC_ARM64_REG_CP_REG and looking for them in env, then
 * checked against QEMU 5.0's layout (cpacr_el1 is followed by cptr_el[4],
 * hcr_el2 by scr_el3). Each engine then checks the whole chain: with
 * CPACR_EL1.FPEN = 0 and then CPTR_EL3.TFP = 1 its translation flags must
 * carry the trap EL the decision gives. Until the offsets are known the
 * function answers 0, as Unicorn's did. */
#define FP_ENV_SCAN        0x4000 /* env->cp15 lies within the first KiB of env */
#define TB_FPEXC_EL(flags) (((flags) >> 22) & 3)

extern void cpu_get_tb_cpu_state_aarch64(void *env, uint64_t *pc, uint64_t *cs_base,
                                         uint32_t *flags);
/* Unicorn's symbol, which hvsim's link maps to hv_uci_fp_exception_el. */
extern int fp_exception_el_aarch64(void *env, int cur_el);

enum { FP_CPACR, FP_CPTR2, FP_CPTR3, FP_HCR, FP_SCR, FP__N };
static const struct {
    uint8_t op0, op1, crn, crm, op2;
    uint64_t a, b; /* two probe values, XORed into the register's value */
} fp_probe[FP__N] = {
    [FP_CPACR] = {3, 0, 1, 0, 2, 0x6876000000100000ull, 0x6876000000200000ull},
    [FP_CPTR2] = {3, 4, 1, 1, 2, 0x6876000100000400ull, 0x6876000200000400ull},
    [FP_CPTR3] = {3, 6, 1, 1, 2, 0x6876000300000400ull, 0x6876000400000400ull},
    /* HCR_EL2.TWI (13) / TWE (14), SCR_EL3.TWI (12) / TWE (13): bits
     * every write keeps and that change nothing until a WFI runs. */
    [FP_HCR] = {3, 4, 1, 1, 0, 1ull << 13, 1ull << 14},
    [FP_SCR] = {3, 6, 1, 1, 0, 1ull << 12, 1ull << 13},
};
static long fp_off[FP__N];
static bool fp_off_ok;

static int fp_cp(uc_engine *uc, unsigned r, uint64_t *v, bool write)
{
    uc_arm64_cp_reg cp = {.op0 = fp_probe[r].op0,
                          .op1 = fp_probe[r].op1,
                          .crn = fp_probe[r].crn,
                          .crm = fp_probe[r].crm,
                          .op2 = fp_probe[r].op2,
                          .val = write ? *v : 0};
    if ((write ? uc_reg_write(uc, UC_ARM64_REG_CP_REG, &cp)
               : uc_reg_read(uc, UC_ARM64_REG_CP_REG, &cp)) != UC_ERR_OK)
        return -1;
    *v = cp.val;
    return 0;
}

static uint64_t env_u64(const uint8_t *env, long off)
{
    uint64_t v;
    memcpy(&v, env + off, sizeof(v));
    return v;
}

static struct hv_fp_ctl fp_ctl_of(const uint8_t *env)
{
    struct hv_fp_ctl c = {
        .cpacr_el1 = env_u64(env, fp_off[FP_CPACR]),
        .cptr_el2 = env_u64(env, fp_off[FP_CPTR2]),
        .cptr_el3 = env_u64(env, fp_off[FP_CPTR3]),
        .hcr_el2 = env_u64(env, fp_off[FP_HCR]),
        .scr_el3 = env_u64(env, fp_off[FP_SCR]),
    };
    return c;
}

int hv_uci_fp_exception_el(void *env, int cur_el);
int hv_uci_fp_exception_el(void *env, int cur_el)
{
    if (!fp_off_ok)
        return 0;
    struct hv_fp_ctl c = fp_ctl_of(env);
    return (int)hv_fp_trap_el(&c, (unsigned)cur_el & 3);
}

/* Find register r in env: the one 8-byte slot that reads back the value
 * written with probe a, then with probe b. */
static const char *fp_find_one(uc_engine *uc, const uint8_t *env, unsigned r, long *off,
                               uint8_t *s1, uint8_t *s2)
{
    uint64_t orig, va, vb, v;
    const char *why = NULL;
    if (fp_cp(uc, r, &orig, false))
        return "cannot read the register through UC_ARM64_REG_CP_REG";
    va = orig ^ fp_probe[r].a;
    vb = orig ^ fp_probe[r].b;
    if (fp_cp(uc, r, &va, true) || fp_cp(uc, r, &va, false) || !safe_read(env, s1, FP_ENV_SCAN) ||
        fp_cp(uc, r, &vb, true) || fp_cp(uc, r, &vb, false) || !safe_read(env, s2, FP_ENV_SCAN))
        why = "cannot write the register through UC_ARM64_REG_CP_REG";
    v = orig;
    fp_cp(uc, r, &v, true);
    if (why)
        return why;
    if (va == vb || va == orig || vb == orig)
        return "a probe value did not stick";
    long found = -1;
    int n = 0;
    for (long o = 0; o + 8 <= FP_ENV_SCAN; o += 8)
        if (env_u64(s1, o) == va && env_u64(s2, o) == vb) {
            found = o;
            n++;
        }
    if (n != 1)
        return n ? "found at more than one place in CPUARMState" : "not found in CPUARMState";
    *off = found;
    return NULL;
}

static int fp_find(uc_engine *uc, const uint8_t *env, struct hv_err *err)
{
    static const char *const names[FP__N] = {"CPACR_EL1", "CPTR_EL2", "CPTR_EL3", "HCR_EL2",
                                             "SCR_EL3"};
    uint8_t *s1 = malloc(FP_ENV_SCAN), *s2 = malloc(FP_ENV_SCAN);
    long off[FP__N];
    int rc = 0;
    if (!s1 || !s2) {
        rc = hv_err_set(err, "out of memory");
        goto out;
    }
    for (unsigned r = 0; r < FP__N && !rc; r++) {
        const char *why = fp_find_one(uc, env, r, &off[r], s1, s2);
        if (why)
            rc = hv_err_set(err, "Unicorn self-test (FP/SIMD traps): %s %s", names[r], why);
    }
    /* QEMU 5.0 target/arm/cpu.h: uint64_t cpacr_el1; uint64_t cptr_el[4];
     * ... uint64_t hcr_el2; uint64_t scr_el3. */
    if (!rc && (off[FP_CPTR2] != off[FP_CPACR] + 24 || off[FP_CPTR3] != off[FP_CPACR] + 32 ||
                off[FP_SCR] != off[FP_HCR] + 8))
        rc = hv_err_set(err, "Unicorn self-test (FP/SIMD traps): CPACR_EL1, CPTR_ELx, HCR_EL2 "
                             "and SCR_EL3 are not laid out as in QEMU 5.0");
    if (!rc) {
        memcpy(fp_off, off, sizeof(fp_off));
        fp_off_ok = true;
    }
out:
    free(s1);
    free(s2);
    return rc;
}

/* The FPEXC_EL of the engine's translation flags after control registers
 * were written (each write through UC_ARM64_REG_CP_REG rebuilds them). */
static unsigned fp_flags_el(void *env)
{
    uint64_t pc, cs_base;
    uint32_t flags = 0;
    cpu_get_tb_cpu_state_aarch64(env, &pc, &cs_base, &flags);
    return TB_FPEXC_EL(flags);
}

static int fp_init(uc_engine *uc, struct hv_uci *uci, struct hv_err *err)
{
    static const char link_hint[] = "Unicorn self-test (FP/SIMD traps): the engine's "
                                    "fp_exception_el() is not hvsim's (link the executable with "
                                    "hvsim_sim's link options, sim/CMakeLists.txt)";
    /* Through volatile: the compiler may fold the comparison of two
     * distinct declarations to "different". */
    void *volatile theirs = (void *)fp_exception_el_aarch64;
    void *volatile ours = (void *)hv_uci_fp_exception_el;
    if (theirs != ours)
        return hv_err_set(err, link_hint);
    if (!fp_off_ok && fp_find(uc, uci->env, err))
        return -1;
    /* The chain, on this engine: CPACR_EL1.FPEN = 0 traps EL1 to EL1,
     * CPTR_EL3.TFP = 1 with FPEN = 0b11 traps every EL to EL3. */
    uint64_t save[FP__N], v;
    unsigned el = hv_uci_el(uci), got1, got3, got0, want0;
    for (unsigned r = 0; r < FP__N; r++)
        if (fp_cp(uc, r, &save[r], false))
            return hv_err_set(err, "Unicorn self-test (FP/SIMD traps): cannot read a register");
    v = 0;
    fp_cp(uc, FP_CPTR2, &v, true);
    fp_cp(uc, FP_CPACR, &v, true);
    got1 = fp_flags_el(uci->env);
    v = 3ull << HV_CPACR_FPEN_SHIFT;
    fp_cp(uc, FP_CPACR, &v, true);
    v = HV_CPTR_TFP;
    fp_cp(uc, FP_CPTR3, &v, true);
    got3 = fp_flags_el(uci->env);
    for (unsigned r = 0; r < FP__N; r++)
        fp_cp(uc, r, &save[r], true);
    got0 = fp_flags_el(uci->env);
    struct hv_fp_ctl c = fp_ctl_of(uci->env);
    want0 = hv_fp_trap_el(&c, el);
    if (el != 1 || got1 != 1 || got3 != 3 || got0 != want0)
        return hv_err_set(err,
                          "%s: at EL%u the translation flags' trap EL was %u, %u, %u "
                          "(want EL1: 1, 3, %u)",
                          link_hint, el, got1, got3, got0, want0);
    return 0;
}

/* ---- instruction cache maintenance -----------------------------------------
 *
 * Why (Unicorn 2.1.1, QEMU 5.0's softmmu): QEMU marks a page's TLB write
 * entries TLB_NOTDIRTY while the physical page holds translated code, so
 * that every store there goes through notdirty_write() and
 * tb_invalidate_phys_page_fast(); it drops the flag (tlb_set_dirty) only
 * once no block is left on the page (tlb_unprotect_code sets the page's
 * DIRTY_MEMORY_CODE bit, and cpu_physical_memory_is_clean() turns false).
 * Unicorn removed the dirty bitmap (cpu_physical_memory_is_clean() is
 * always true, the set/clear functions are empty) and its notdirty_write()
 * calls tlb_set_dirty() after every such store, even while blocks remain;
 * only the next translation on that virtual page (tb_gen_code,
 * tlb_reset_dirty_by_vaddr) or a new TLB entry sets the flag again. So
 * after one store to an engine page with code (data next to code, or one
 * rewritten instruction of several), later stores through that TLB entry
 * go straight to RAM and leave stale blocks; likewise a store through
 * another virtual alias whose entry is already dirty.
 *
 * The fix follows the architecture: software that rewrites instructions
 * must invalidate them from the instruction cache before they are
 * guaranteed to be fetched (Arm ARM B2.4.4; CTR_EL0.DIC is 0 on
 * cortex-a72), so IC IVAU drops the blocks on the physical line of its VA
 * and IC IALLU(IS) every block. Both run inside the instruction's helper,
 * in the middle of a block that may itself be dropped:
 * tb_invalidate_phys_range() only unlinks blocks (hash table, page lists,
 * the CPU's jump cache, jumps into them); their host code stays until a
 * tb_flush, so the rest of the current block runs, and the next lookup
 * translates again. The ISB that must follow ends the block in QEMU's
 * translator, so the first instruction after it comes from a new lookup.
 *
 * The engine of an env is found in a small registry (hv_uci_init). */
static struct hv_uci **ic_reg;
static size_t ic_nreg, ic_capreg;

static struct hv_uci *ic_find(const void *env)
{
    for (size_t i = 0; i < ic_nreg; i++)
        if (ic_reg[i]->env == env)
            return ic_reg[i];
    return NULL;
}

static int ic_register(struct hv_uci *uci)
{
    for (size_t i = 0; i < ic_nreg; i++)
        if (ic_reg[i]->env == uci->env) {
            ic_reg[i] = uci;
            return 0;
        }
    if (ic_nreg == ic_capreg) {
        size_t cap = ic_capreg ? ic_capreg * 2 : 8;
        struct hv_uci **r = realloc(ic_reg, cap * sizeof(*r));
        if (!r)
            return -1;
        ic_reg = r;
        ic_capreg = cap;
    }
    ic_reg[ic_nreg++] = uci;
    return 0;
}

void hv_uci_fini(struct hv_uci *uci)
{
    for (size_t i = 0; i < ic_nreg; i++)
        if (ic_reg[i] == uci) {
            ic_reg[i] = ic_reg[--ic_nreg];
            break;
        }
    if (!ic_nreg) {
        free(ic_reg);
        ic_reg = NULL;
        ic_capreg = 0;
    }
    free(uci->ram);
    free(uci->code_bits);
    free(uci->code_list);
    uci->ram = NULL;
    uci->nram = 0;
    uci->code_bits = uci->code_list = NULL;
    uci->code_words = uci->ncode = uci->capcode = 0;
    uci->code_tracked = false;
}

int hv_uci_add_ram(struct hv_uci *uci, void *host, uint64_t size)
{
    struct hv_uci_ram *r = realloc(uci->ram, (uci->nram + 1) * sizeof(*r));
    if (!r)
        return -1;
    uci->ram = r;
    r[uci->nram++] = (struct hv_uci_ram){host, size};
    return 0;
}

/* The blocks on the physical line that holds va in the current regime.
 * The VA is translated as a load (IC IVAU needs no execute permission: Linux
 * invalidates through its non-executable linear map), else as a fetch,
 * through the TLB or, on a miss, a non-faulting walk (tlb_fill with
 * probe = true), as QEMU's own tlb_vaddr_to_host() does; a VA that does not
 * translate to RAM has no blocks to drop. */
void hv_uci_ic_va(struct hv_uci *uci, uint64_t va)
{
    uint64_t line = va & ~(uci->ic_line - 1);
    int idx = hv_uci_core_mmu_idx(uci);
    uci->ic_va_seen++;
    void *host = tlb_vaddr_to_host_aarch64(uci->env, line, HV_UCI_LOAD, idx);
    if (!host)
        host = tlb_vaddr_to_host_aarch64(uci->env, line, HV_UCI_FETCH, idx);
    if (!host)
        return;
    uint64_t ram = qemu_ram_addr_from_host_aarch64((struct uc_struct *)uci->uc, host);
    if (ram == ~(uint64_t)0)
        return;
    tb_invalidate_phys_range_aarch64((struct uc_struct *)uci->uc, ram, ram + uci->ic_line);
}

/* Every block. QEMU's tb_page_add() calls tlb_protect_code() with the
 * page's ram address whenever a page without blocks gains one (in QEMU, to
 * start watching it for code writes; a no-op in Unicorn 2.1.1). The CLI
 * wraps that call (ic_protect): every page that holds blocks was recorded
 * when it gained its first, so IC IALLU drops the blocks of the recorded
 * pages and forgets them, each of them now empty; a page emptied otherwise
 * stays recorded, which only costs a lookup. Elsewhere, every RAM mapping
 * is visited (blocks exist only in RAM; a read-only ROM window is RAM to
 * the engine too): about 1.2 ms for 256 MiB in 4 KiB pages. */
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

void hv_uci_ic_all(struct hv_uci *uci)
{
    struct uc_struct *uc = (struct uc_struct *)uci->uc;
    uci->ic_all_seen++;
    if (uci->code_tracked) {
        /* In address order, one call per run of adjacent pages. */
        qsort(uci->code_list, uci->ncode, sizeof(*uci->code_list), cmp_u64);
        for (size_t i = 0, j; i < uci->ncode; i = j) {
            for (j = i + 1; j < uci->ncode && uci->code_list[j] == uci->code_list[j - 1] + 1; j++)
                ;
            tb_invalidate_phys_range_aarch64(uc, uci->code_list[i] << uci->page_bits,
                                             (uci->code_list[j - 1] + 1) << uci->page_bits);
        }
        for (size_t i = 0; i < uci->ncode; i++)
            uci->code_bits[uci->code_list[i] / 64] = 0;
        uci->ncode = 0;
        return;
    }
    for (size_t i = 0; i < uci->nram; i++) {
        uint64_t ram = qemu_ram_addr_from_host_aarch64(uc, uci->ram[i].host);
        if (ram != ~(uint64_t)0)
            tb_invalidate_phys_range_aarch64(uc, ram, ram + uci->ram[i].size);
    }
}

/* Record a page that gained its first block; false if out of memory (then
 * tracking is given up for this engine and IC IALLU visits all RAM). */
static bool ic_record(struct hv_uci *uci, uint64_t ram_addr)
{
    uint64_t pg = ram_addr >> uci->page_bits;
    if (pg / 64 >= uci->code_words) {
        size_t n = uci->code_words ? uci->code_words : 64;
        while (pg / 64 >= n)
            n *= 2;
        uint64_t *b = realloc(uci->code_bits, n * sizeof(*b));
        if (!b)
            return false;
        memset(b + uci->code_words, 0, (n - uci->code_words) * sizeof(*b));
        uci->code_bits = b;
        uci->code_words = n;
    }
    uint64_t bit = UINT64_C(1) << (pg % 64);
    if (uci->code_bits[pg / 64] & bit)
        return true;
    if (uci->ncode == uci->capcode) {
        size_t cap = uci->capcode ? uci->capcode * 2 : 256;
        uint64_t *l = realloc(uci->code_list, cap * sizeof(*l));
        if (!l)
            return false;
        uci->code_list = l;
        uci->capcode = cap;
    }
    uci->code_bits[pg / 64] |= bit;
    uci->code_list[uci->ncode++] = pg;
    return true;
}

void __real_tlb_protect_code_aarch64(struct uc_struct *uc, uint64_t ram_addr) __attribute__((weak));
void __wrap_tlb_protect_code_aarch64(struct uc_struct *uc, uint64_t ram_addr);

void __wrap_tlb_protect_code_aarch64(struct uc_struct *uc, uint64_t ram_addr)
{
    __real_tlb_protect_code_aarch64(uc, ram_addr);
    for (size_t i = 0; i < ic_nreg; i++)
        if (ic_reg[i]->uc == (uc_engine *)uc) {
            if (ic_reg[i]->code_tracked && !ic_record(ic_reg[i], ram_addr))
                ic_reg[i]->code_tracked = false;
            return;
        }
}

/* Which instruction-cache maintenance a system instruction is (Arm ARM
 * C5.3 "A64 system instructions for cache maintenance"; G8 for the AArch32
 * CP15 forms, whose opc1 is 0 throughout): IC IVAU / ICIMVAU by address,
 * IC IALLU / ICIALLU and IC IALLUIS / ICIALLUIS all. One decoder for the
 * SYS hook and the access-check wrapper below. */
enum ic_op { IC_NONE, IC_VA, IC_ALL };

static enum ic_op ic_op_of(unsigned op1, unsigned crn, unsigned crm, unsigned op2, bool a32)
{
    if (crn != 7)
        return IC_NONE;
    if (crm == 5 && op2 == 1 && op1 == (a32 ? 0u : 3u))
        return IC_VA;
    if ((crm == 5 || crm == 1) && op2 == 0 && op1 == 0)
        return IC_ALL;
    return IC_NONE;
}

bool hv_uci_ic_sys(struct hv_uci *uci, const uc_arm64_cp_reg *cp)
{
    enum ic_op op = cp->op0 == 1 ? ic_op_of(cp->op1, cp->crn, cp->crm, cp->op2, false) : IC_NONE;
    if (op == IC_VA)
        hv_uci_ic_va(uci, cp->val);
    else if (op == IC_ALL)
        hv_uci_ic_all(uci);
    return op != IC_NONE;
}

/* QEMU calls helper_access_check_cp_reg() before every system instruction
 * whose register description has an access function (accessfn): the IC
 * instructions have aa64_cacheop_pou_access (traps by HCR_EL2.TPU,
 * SCTLR_EL1.UCI), as do DC CVAU, DC ZVA and a few dozen registers. Its
 * syndrome argument is the one a trap would report: EC 0x18 (AArch64 MSR,
 * MRS, SYS: Arm ARM D17.2.37, ISS Op0 [21:20], Op2 [19:17], Op1 [16:14],
 * CRn [13:10], Rt [9:5], CRm [4:1], Direction [0]) or EC 0x03 (AArch32
 * MCR/MRC to CP15, the same fields without Op0, Cond in [23:20]). When the
 * real check returns (no trap), the instruction executes: then the IC ones
 * are served here. */
#define SYN_EC(s)     ((s) >> 26)
#define SYN_EC_SYSREG 0x18u
#define SYN_EC_CP15RT 0x03u

void __real_helper_access_check_cp_reg_aarch64(void *env, void *rip, uint32_t syndrome,
                                               uint32_t isread) __attribute__((weak));
void __wrap_helper_access_check_cp_reg_aarch64(void *env, void *rip, uint32_t syndrome,
                                               uint32_t isread);

bool hv_uci_ic_wrapped(void)
{
    return __real_helper_access_check_cp_reg_aarch64 != NULL;
}

void __wrap_helper_access_check_cp_reg_aarch64(void *env, void *rip, uint32_t syndrome,
                                               uint32_t isread)
{
    /* May raise the trap (longjmp): then the instruction does not execute. */
    __real_helper_access_check_cp_reg_aarch64(env, rip, syndrome, isread);
    uint32_t ec = SYN_EC(syndrome);
    bool a32 = ec == SYN_EC_CP15RT;
    /* A write (Direction 0) and, for A64, Op0 1 (bits [21:20]; Cond there
     * for AArch32) */
    if ((!a32 && (ec != SYN_EC_SYSREG || ((syndrome >> 20) & 3) != 1)) || (syndrome & 1))
        return;
    enum ic_op op = ic_op_of((syndrome >> 14) & 7, (syndrome >> 10) & 15, (syndrome >> 1) & 15,
                             (syndrome >> 17) & 7, a32);
    if (op == IC_NONE)
        return;
    struct hv_uci *uci = ic_find(env);
    if (!uci)
        return; /* a scratch engine of the self-tests */
    if (op == IC_ALL) {
        hv_uci_ic_all(uci);
        return;
    }
    unsigned rt = (syndrome >> 5) & 31;
    /* CPUARMState: uint32_t regs[16]; uint64_t xregs[32]. XZR (31) reads 0. */
    uint64_t x;
    if (!a32)
        x = rt == 31 ? 0 : ((const uint64_t *)((const uint8_t *)env + 64))[rt];
    else
        x = ((const uint32_t *)env)[rt & 15];
    hv_uci_ic_va(uci, x);
}

int hv_uci_init(uc_engine *uc, struct hv_uci *uci, hv_uci_el_hook pre, hv_uci_el_hook post,
                void *opaque, struct hv_err *err)
{
    uint64_t pc;
    memset(uci, 0, sizeof(*uci));
    /* Unicorn creates its CPU lazily, at the first API call that needs it. */
    if (uc_reg_read(uc, UC_ARM64_REG_PC, &pc) != UC_ERR_OK)
        return hv_err_set(err, "Unicorn: cannot read the PC of a fresh engine");
    uci->cs = qemu_get_cpu_aarch64(uc, -1);
    if (!uci->cs)
        return hv_err_set(err, "Unicorn self-test: qemu_get_cpu_aarch64() returned no CPU");
    if (find_env(uc, uci, err) || find_hooks(uci, err) || fp_init(uc, uci, err))
        return -1;
    find_tlb(uc, uci);
    /* CTR_EL0.IminLine [3:0]: log2 of the smallest I-cache line in words. */
    uc_arm64_cp_reg ctr = {.op0 = 3, .op1 = 3, .crn = 0, .crm = 0, .op2 = 1};
    if (uc_reg_read(uc, UC_ARM64_REG_CP_REG, &ctr) != UC_ERR_OK)
        return hv_err_set(err, "Unicorn: cannot read CTR_EL0");
    uci->ic_line = 4u << (ctr.val & 0xf);
    uci->uc = uc;
    /* Before the engine's first translation: every page that gains a block
     * from now on is seen by the wrapped tlb_protect_code(). */
    uci->page_bits = (unsigned)__builtin_ctz(hv_uci_page_size(uc));
    uci->code_tracked = __real_tlb_protect_code_aarch64 != NULL && hv_uci_page_size(uc) != 0;
    if (ic_register(uci))
        return hv_err_set(err, "out of memory");
    uci->pre = pre;
    uci->post = post;
    uci->opaque = opaque;
    uci->pre_hook_entry[0] = (void *)pre_trampoline;
    uci->pre_hook_entry[1] = uci;
    uci->post_hook_entry[0] = (void *)post_trampoline;
    uci->post_hook_entry[1] = uci;
    return 0;
}

void hv_uci_do_interrupt(struct hv_uci *uci)
{
    arm_cpu_do_interrupt_aarch64(uci->cs);
}

void hv_uci_interrupt(struct hv_uci *uci, int mask)
{
    cpu_interrupt_handler(uci->cs, mask);
}

void hv_uci_reset_interrupt(struct hv_uci *uci, int mask)
{
    cpu_reset_interrupt(uci->cs, mask);
}

void hv_uci_exit(struct hv_uci *uci)
{
    cpu_exit(uci->cs);
}

void hv_uci_raise(struct hv_uci *uci, uint32_t excp, uint32_t syndrome, uint32_t target_el)
{
    raise_exception_aarch64(uci->env, excp, syndrome, target_el);
}

int hv_uci_set_readonly(uc_engine *uc, uint64_t pa, struct hv_err *err)
{
    void *mr = find_memory_mapping_aarch64((struct uc_struct *)uc, pa);
    if (!mr)
        return hv_err_set(err, "no memory region at PA 0x%llx to make read-only",
                          (unsigned long long)pa);
    memory_region_set_readonly_aarch64(mr, true);
    return 0;
}

int hv_uci_read_debug(struct hv_uci *uci, uint64_t va, void *buf, uint64_t len)
{
    return cpu_memory_rw_debug_aarch64(uci->cs, va, buf, len, false);
}

/* ---- bus errors ----------------------------------------------------------- */

#define MEMTX_DECODE_ERROR       2u   /* include/exec/memattrs.h: 1U << 1 */
#define ARM_MMU_IDX_COREIDX_MASK 0xf  /* target/arm/cpu.h: arm_to_core_mmu_idx() */
#define ARMMMUIDX_E10_1          0x12 /* target/arm/cpu.h: 2 | ARM_MMU_IDX_A */

bool hv_uci_restore_state(struct hv_uci *uci, uintptr_t host_pc)
{
    return cpu_restore_state_aarch64(uci->cs, host_pc, true);
}

bool hv_uci_peek_pc(struct hv_uci *uci, uintptr_t host_pc, uint64_t *pc)
{
    uint64_t saved = *uci->pc;
    bool ok = cpu_restore_state_aarch64(uci->cs, host_pc, false);
    *pc = *uci->pc;
    *uci->pc = saved;
    return ok;
}

int hv_uci_core_mmu_idx(struct hv_uci *uci)
{
    return arm_mmu_idx_aarch64(uci->env) & ARM_MMU_IDX_COREIDX_MASK;
}

void hv_uci_external_abort(struct hv_uci *uci, uint64_t pa, uint64_t va, unsigned size,
                           enum hv_uci_access access, uintptr_t host_pc)
{
    /* target/arm/tlb_helper.c: cpu_restore_state(); fi.type =
     * ARMFault_SyncExternal, fi.ea = 0 (decode error); arm_deliver_fault()
     * routes it (exception_target_el), builds the ESR (merge_syn_data_abort /
     * syn_insn_abort), sets FAR from va and longjmps to the CPU loop. */
    arm_cpu_do_transaction_failed_aarch64(uci->cs, pa, va, size, (int)access,
                                          hv_uci_core_mmu_idx(uci), 0, MEMTX_DECODE_ERROR, host_pc);
}

void hv_uci_loop_exit(struct hv_uci *uci)
{
    cpu_loop_exit_aarch64(uci->cs);
}

/* The self-test runs on a scratch engine at EL1 with the MMU off:
 *   RAM  0x1000: the probe programs; VBAR_EL1 = 0x1800
 *   MMIO 0x10000: the "hole" whose callbacks do what cpu.c does
 * Phase 1 finds mem_io_pc: two loads in one translated block each reach the
 * read callback; the CPUState word that changed between them, by a small
 * forward step, and that cpu_restore_state() maps back to exactly the two
 * load instructions, is mem_io_pc.
 * Phase 2 takes a load, a store and a fetch abort through the real path and
 * checks ESR_EL1/FAR_EL1/ELR_EL1 against the Arm ARM. */
#define PB_RAM  0x1000u
#define PB_HOLE 0x10000u
#define PB_VBAR 0x1800u
#define PB_SYNC (PB_VBAR + 0x200u) /* current EL with SP_ELx, synchronous */

struct probe {
    struct hv_uci uci;
    size_t scan; /* bytes of CPUState before env */
    uint8_t *snap;
    int phase, calls;
    size_t off;
    bool found;
};

static void probe_find(struct probe *p)
{
    const uint64_t *a = (const uint64_t *)p->snap, *b = (const uint64_t *)p->uci.cs;
    uint64_t pc = *p->uci.pc;
    for (size_t i = 0; i < p->scan / 8 && !p->found; i++) {
        if (a[i] == b[i] || !a[i] || !b[i] || b[i] < a[i] || b[i] - a[i] > 0x10000)
            continue;
        if (cpu_restore_state_aarch64(p->uci.cs, (uintptr_t)b[i], false) &&
            *p->uci.pc == PB_RAM + 0x0c &&
            cpu_restore_state_aarch64(p->uci.cs, (uintptr_t)a[i], false) &&
            *p->uci.pc == PB_RAM + 0x04) {
            p->off = i * 8;
            p->found = true;
        }
        *p->uci.pc = pc;
    }
}

static uint64_t probe_read(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
    struct probe *p = ud;
    (void)uc;
    if (p->phase == 1) {
        if (++p->calls == 1)
            memcpy(p->snap, p->uci.cs, p->scan);
        else if (p->calls == 2)
            probe_find(p);
        return 0;
    }
    uintptr_t ra = hv_uci_take_io_pc(&p->uci);
    hv_uci_external_abort(&p->uci, PB_HOLE + off, PB_HOLE + off, size, HV_UCI_LOAD, ra);
}

static void probe_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *ud)
{
    struct probe *p = ud;
    (void)uc;
    (void)v;
    if (p->phase == 1)
        return;
    uintptr_t ra = hv_uci_take_io_pc(&p->uci);
    hv_uci_external_abort(&p->uci, PB_HOLE + off, PB_HOLE + off, size, HV_UCI_STORE, ra);
}

static bool probe_fetch(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t v,
                        void *ud)
{
    struct probe *p = ud;
    (void)uc;
    (void)type;
    (void)v;
    hv_uci_external_abort(&p->uci, addr, *p->uci.pc, (unsigned)size, HV_UCI_FETCH, 0);
}

static void probe_intr(uc_engine *uc, uint32_t intno, void *ud)
{
    struct probe *p = ud;
    (void)intno;
    arm_cpu_do_interrupt_aarch64(p->uci.cs);
    uc_emu_stop(uc); /* one exception per run */
}

/* Run from pc to the EL1 synchronous vector; check the syndrome left. */
static int probe_abort(uc_engine *uc, uint64_t pc, uint64_t want_esr, uint64_t want_far,
                       const char *what, struct hv_err *err)
{
    uint64_t esr = 0, far = 0, elr = 0, zero = 0;
    uc_reg_write(uc, UC_ARM64_REG_ESR_EL1, &zero);
    uc_err e = uc_emu_start(uc, pc, 0, 0, 0);
    uint64_t at = 0;
    uc_reg_read(uc, UC_ARM64_REG_PC, &at);
    if (at != PB_SYNC)
        e = e != UC_ERR_OK ? e : UC_ERR_EXCEPTION;
    uc_reg_read(uc, UC_ARM64_REG_ESR_EL1, &esr);
    uc_reg_read(uc, UC_ARM64_REG_FAR_EL1, &far);
    uc_reg_read(uc, UC_ARM64_REG_ELR_EL1, &elr);
    if (e != UC_ERR_OK || esr != want_esr || far != want_far || elr != pc)
        return hv_err_set(err,
                          "Unicorn self-test: a %s to an unassigned PA gave %s, ESR_EL1=0x%llx "
                          "FAR_EL1=0x%llx ELR_EL1=0x%llx (expected ESR 0x%llx FAR 0x%llx ELR "
                          "0x%llx)",
                          what, uc_strerror(e), (unsigned long long)esr, (unsigned long long)far,
                          (unsigned long long)elr, (unsigned long long)want_esr,
                          (unsigned long long)want_far, (unsigned long long)pc);
    return 0;
}

static int bus_selftest(size_t *off_out, struct hv_err *err)
{
    static const uint32_t code[] = {
        0xd2a00020, /* 0x00: movz x0, #0x1, lsl #16   (x0 = PB_HOLE) */
        0xb9400001, /* 0x04: ldr w1, [x0]               phase 1 */
        0xd503201f, /* 0x08: nop */
        0xb9400802, /* 0x0c: ldr w2, [x0, #8]           phase 1 */
        0xd503201f, /* 0x10: nop (end of phase 1) */
    };
    static const uint32_t ld = 0xf9400803; /* 0x100: ldr x3, [x0, #0x10] */
    static const uint32_t st = 0xf9000c03; /* 0x200: str x3, [x0, #0x18] */
    struct probe p;
    uc_engine *uc = NULL;
    uc_hook h1, h2;
    uint64_t v;
    int rc = -1;

    memset(&p, 0, sizeof(p));
    if (uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &uc) != UC_ERR_OK ||
        uc_ctl_set_cpu_model(uc, UC_CPU_ARM64_A72) != UC_ERR_OK ||
        uc_reg_read(uc, UC_ARM64_REG_PC, &v) != UC_ERR_OK) {
        hv_err_set(err, "Unicorn self-test: cannot open a scratch engine");
        goto out;
    }
    p.uci.cs = qemu_get_cpu_aarch64(uc, -1);
    if (!p.uci.cs || find_env(uc, &p.uci, err))
        goto out;
    p.scan = (size_t)((uint8_t *)p.uci.env - (uint8_t *)p.uci.cs) & ~(size_t)7;
    p.snap = malloc(p.scan);
    if (!p.snap) {
        hv_err_set(err, "out of memory");
        goto out;
    }
    if (uc_mem_map(uc, PB_RAM, 0x1000, UC_PROT_ALL) != UC_ERR_OK ||
        uc_mmio_map(uc, PB_HOLE, 0x1000, probe_read, &p, probe_write, &p) != UC_ERR_OK ||
        uc_mem_write(uc, PB_RAM, code, sizeof(code)) != UC_ERR_OK ||
        uc_mem_write(uc, PB_RAM + 0x100, &ld, 4) != UC_ERR_OK ||
        uc_mem_write(uc, PB_RAM + 0x200, &st, 4) != UC_ERR_OK ||
        uc_hook_add(uc, &h1, UC_HOOK_INTR, (void *)probe_intr, &p, 1, 0) != UC_ERR_OK ||
        uc_hook_add(uc, &h2, UC_HOOK_MEM_FETCH_PROT, (void *)probe_fetch, &p, 1, 0) != UC_ERR_OK) {
        hv_err_set(err, "Unicorn self-test: cannot set up the scratch engine");
        goto out;
    }

    /* Non-secure AArch64 EL1, as hv_cpu_boot() sets up (SCR_EL3 =
     * NS|RES1|HCE|RW, HCR_EL2.RW). */
    uc_arm64_cp_reg scr = {.op0 = 3, .op1 = 6, .crn = 1, .crm = 1, .op2 = 0, .val = 0x531};
    uc_reg_write(uc, UC_ARM64_REG_CP_REG, &scr);
    uc_arm64_cp_reg hcr = {.op0 = 3, .op1 = 4, .crn = 1, .crm = 1, .op2 = 0, .val = 1ull << 31};
    uc_reg_write(uc, UC_ARM64_REG_CP_REG, &hcr); /* HCR_EL2.RW: EL1 is AArch64 */
    p.phase = 1;
    if (uc_emu_start(uc, PB_RAM, PB_RAM + 0x10, 0, 0) != UC_ERR_OK || p.calls != 2 || !p.found) {
        hv_err_set(err,
                   "Unicorn self-test: CPUState.mem_io_pc not found (%d MMIO callbacks; is "
                   "this Unicorn 2.1.1?)",
                   p.calls);
        goto out;
    }
    p.uci.mem_io_pc = (uintptr_t *)((uint8_t *)p.uci.cs + p.off);
    hv_uci_clear_io_pc(&p.uci);
    if (hv_uci_core_mmu_idx(&p.uci) != (ARMMMUIDX_E10_1 & ARM_MMU_IDX_COREIDX_MASK)) {
        hv_err_set(err, "Unicorn self-test: arm_mmu_idx() at EL1 is 0x%x, not ARMMMUIdx_E10_1",
                   (unsigned)arm_mmu_idx_aarch64(p.uci.env));
        goto out;
    }

    /* Phase 2. Same-EL aborts at EL1 (Arm ARM D17.2.37): EC 0x25 data abort
     * / 0x21 instruction abort, IL = 1, ISV = 0 (not taken to EL2),
     * WnR = bit 6, xFSC = 0x10 synchronous external abort; FAR = the VA. */
    p.phase = 2;
    v = PB_VBAR;
    uc_reg_write(uc, UC_ARM64_REG_VBAR_EL1, &v);
    v = PB_HOLE;
    uc_reg_write(uc, UC_ARM64_REG_X0, &v);
    if (probe_abort(uc, PB_RAM + 0x100, 0x96000010, PB_HOLE + 0x10, "load", err) ||
        probe_abort(uc, PB_RAM + 0x200, 0x96000050, PB_HOLE + 0x18, "store", err) ||
        probe_abort(uc, PB_HOLE + 0x20, 0x86000010, PB_HOLE + 0x20, "fetch", err))
        goto out;
    *off_out = p.off;
    rc = 0;
out:
    if (uc)
        uc_close(uc);
    free(p.snap);
    return rc;
}

int hv_uci_bus_init(struct hv_uci *uci, struct hv_err *err)
{
    static size_t off;
    static bool done;
    if (!done) {
        if (bus_selftest(&off, err))
            return -1;
        done = true;
    }
    uci->mem_io_pc = (uintptr_t *)((uint8_t *)uci->cs + off);
    hv_uci_clear_io_pc(uci);
    /* CPUARMState: uint32_t pstate; uint32_t aarch64; (checked at boot) */
    uci->aarch64 = uci->pstate + 1;
    return 0;
}
