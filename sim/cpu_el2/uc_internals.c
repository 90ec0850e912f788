#define _GNU_SOURCE
#include "uc_internals.h"

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
extern void raise_exception_aarch64(void *env, uint32_t excp, uint32_t syndrome,
                                    uint32_t target_el) __attribute__((noreturn));
extern int cpu_memory_rw_debug_aarch64(void *cs, uint64_t addr, void *buf, uint64_t len,
                                       bool is_write);
extern void pmu_pre_el_change_aarch64(void *cpu, void *opaque);
extern void pmu_post_el_change_aarch64(void *cpu, void *opaque);

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
        0x68760000c0ffee00ull, 0x68760000c0ffee11ull, 0x68760000c0ffee22ull,
        0x68760000c0ffee33ull, 0x68760000c0ffee44ull, 0x68760000c0ffee55ull,
        0x68760000c0ffee66ull, 0x68760000c0ffee77ull,
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
    if (find_env(uc, uci, err) || find_hooks(uci, err))
        return -1;
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

int hv_uci_read_debug(struct hv_uci *uci, uint64_t va, void *buf, uint64_t len)
{
    return cpu_memory_rw_debug_aarch64(uci->cs, va, buf, len, false);
}
