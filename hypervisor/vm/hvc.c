/* HVC (and trapped SMC) calls from guests, SMC Calling Convention
 * (DEN 0028): PSCI (DEN 0022) for the VM, and the hypervisor's own
 * calls in the vendor-specific hypervisor range (owner 6):
 *
 *   0x86000000 HYP_NULL          returns 0 (the benchmark's round trip)
 *   0x86000001 HYP_CONSOLE_WRITE x1 = IPA of the bytes, x2 = length (<= 256);
 *                                returns the number written
 *   0x86000002 HYP_YIELD         gives up the rest of the time slice
 *   0x86000003 HYP_VM_INFO       returns x0 = VM id, x1 = number of vCPUs,
 *                                x2 = this vCPU, x3 = priority
 *   0x86000004 HYP_VDEV_INFO     returns x0 = 1 and x1/x2 = the IPAs of its
 *                                vCRU/vGRF (vm/vcru.c), or x0 = 0: none;
 *                                x3 = the IPA of its I2C controller, or 0;
 *                                x0 bit 1: its console UART raises its
 *                                interrupt (passthrough with a virtual SPI)
 *   0x86000005 HYP_VM_RESETS     returns x0 = how many times this VM was
 *                                reset (PSCI SYSTEM_RESET) since boot
 *
 * PSCI is answered for the VM only: CPU_ON starts one of its own vCPUs,
 * SYSTEM_OFF / SYSTEM_RESET stop or restart that VM and nothing else. */
#include "../hyp.h"

#define PSCI_VERSION      0x84000000u
#define PSCI_CPU_OFF      0x84000002u
#define PSCI_CPU_ON_32    0x84000003u
#define PSCI_CPU_ON_64    0xc4000003u
#define PSCI_AFFINITY_32  0x84000004u
#define PSCI_AFFINITY_64  0xc4000004u
#define PSCI_SYSTEM_OFF   0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_FEATURES     0x8400000au

#define PSCI_SUCCESS        0
#define PSCI_NOT_SUPPORTED  -1
#define PSCI_INVALID_PARAMS -2
#define PSCI_ALREADY_ON     -4
#define SMCCC_NOT_SUPPORTED -1

#define HYP_NULL          0x86000000u
#define HYP_CONSOLE_WRITE 0x86000001u
#define HYP_YIELD         0x86000002u
#define HYP_VM_INFO       0x86000003u
#define HYP_VDEV_INFO     0x86000004u
#define HYP_VM_RESETS     0x86000005u

static bool psci_known(uint32_t fn)
{
    switch (fn) {
    case PSCI_VERSION:
    case PSCI_CPU_OFF:
    case PSCI_CPU_ON_32:
    case PSCI_CPU_ON_64:
    case PSCI_AFFINITY_32:
    case PSCI_AFFINITY_64:
    case PSCI_SYSTEM_OFF:
    case PSCI_SYSTEM_RESET:
    case PSCI_FEATURES:
        return true;
    default:
        return false;
    }
}

static int64_t cpu_on(struct hyp *h, struct vcpu *v, uint64_t target, uint64_t entry, uint64_t ctx)
{
    struct vm *vm = v->vm;
    /* Only Aff0 is used: vCPU n has MPIDR Aff0 = n (VMPIDR_EL2). */
    if (target >> 8 || target >= vm->cfg->nr_vcpus)
        return PSCI_INVALID_PARAMS;
    struct vcpu *t = &vm->vcpu[target];
    if (t->state != VCPU_OFF)
        return PSCI_ALREADY_ON;
    uint64_t pa;
    if (!hyp_vm_ipa_to_pa(vm, entry, &pa))
        return PSCI_INVALID_PARAMS;
    hyp_vcpu_reset(t, entry, ctx);
    hyp_sched_set_state(h, t, VCPU_RUNNABLE);
    h->resched = true;
    return PSCI_SUCCESS;
}

/* The console hypercall, restartable: up to 4 bytes per round (a round
 * costs ~35 instructions a byte; the line it may end is recorded:
 * hyp_console_line); between two, a pending interrupt ends this entry with the progress in the
 * guest's x1/x2 (the rest of its buffer) and in vcpu.hvc_done, and ELR
 * back at the HVC, which the guest then re-executes (x0 still holds the
 * function id; SMCCC lets a call change x1-x3). The last round returns
 * the total in x0. So a 256-byte line keeps interrupts waiting for one
 * round, not for the whole line. Returns false when restarted. */
#define CONSOLE_ROUND 4u
static bool console_write(struct hyp *h, struct vcpu *v)
{
    uint64_t *x = v->r.x;
    uint64_t ipa = x[1], len = x[2] > 256 - v->hvc_done ? 256 - v->hvc_done : x[2];
    uint64_t n = 0, pa = 0;
    for (; n < len; n++, pa++) {
        if (n && n % CONSOLE_ROUND == 0 && hyp_irq_pending()) {
            x[1] += n;
            x[2] -= n;
            v->hvc_done += n;
            v->r.pc -= 4; /* ELR_EL2 pointed after the HVC */
            h->redo = HYP_REDO_RESTART;
            return false;
        }
        /* translated once per 4 KiB page (a VM's regions are page-sized) */
        if ((n == 0 || ((ipa + n) & 0xfff) == 0) && !hyp_vm_ipa_to_pa(v->vm, ipa + n, &pa))
            break; /* only the VM's own RAM can be printed */
        hyp_vm_console_putc(v->vm, *(volatile char *)(uintptr_t)pa);
    }
    x[0] = v->hvc_done + n;
    v->hvc_done = 0;
    return true;
}

/* HYP_VDEV_INFO's answer, which does not change after boot. */
void hyp_hvc_setup(struct hyp *h, struct vm *vm)
{
    uint64_t *x = vm->vdev_info;
    x[0] = vm->vclk ? 1 : 0; /* bit 0: a vCRU at x1 and a vGRF at x2 (0: none, e.g. QEMU) */
    /* bit 1: its console raises its interrupt (a passthrough PL011 with
     * a virtual SPI); the emulated vuart raises none, so the guest polls */
    if (vm->console_passthrough && vm->cfg->console.virq) {
        const struct hyp_plat_dev *u = hyp_plat_find(&h->view, HYP_DEV_UART, vm->cfg->console.uart);
        if (u && u->intid >= 0)
            x[0] |= 2;
    }
    x[1] = vm->vclk ? HYP_VCRU_IPA : 0;
    x[2] = vm->vclk ? HYP_VGRF_IPA : 0;
    x[3] = 0;
    for (unsigned k = 0; k < HYP_MAX_PT_DEVS; k++) {
        const struct hyp_pt_dev *d = &vm->cfg->pt[k];
        if (d->kind == HYP_DEV_I2C && hyp_plat_find(&h->view, d->kind, d->index))
            x[3] = d->ipa; /* its passthrough I2C controller */
    }
}

void hyp_hvc(struct hyp *h, struct vcpu *v, bool smc)
{
    uint64_t *x = v->r.x;
    uint32_t fn = (uint32_t)x[0];
    (void)smc;
    switch (fn) {
    case HYP_NULL:
        x[0] = 0;
        return;
    case HYP_CONSOLE_WRITE:
        console_write(h, v);
        return;
    case HYP_YIELD:
        hyp_sched_yield(h);
        x[0] = 0;
        return;
    case HYP_VM_INFO:
        x[0] = v->vm->cfg->id;
        x[1] = v->vm->cfg->nr_vcpus;
        x[2] = v->idx;
        x[3] = v->vm->cfg->priority;
        return;
    case HYP_VDEV_INFO: /* found at boot (hyp_hvc_setup) */
        for (unsigned i = 0; i < 4; i++)
            x[i] = v->vm->vdev_info[i];
        return;
    case HYP_VM_RESETS:
        x[0] = v->vm->resets;
        return;
    case PSCI_VERSION:
        x[0] = 0x10000; /* PSCI 1.0 */
        return;
    case PSCI_FEATURES:
        x[0] = psci_known((uint32_t)x[1]) ? PSCI_SUCCESS : (uint64_t)(int64_t)PSCI_NOT_SUPPORTED;
        return;
    case PSCI_CPU_ON_32:
    case PSCI_CPU_ON_64:
        x[0] = (uint64_t)cpu_on(h, v, x[1], x[2], x[3]);
        return;
    case PSCI_AFFINITY_32:
    case PSCI_AFFINITY_64: {
        if (x[1] >> 8 || x[1] >= v->vm->cfg->nr_vcpus) {
            x[0] = (uint64_t)(int64_t)PSCI_INVALID_PARAMS;
            return;
        }
        x[0] = v->vm->vcpu[x[1]].state == VCPU_OFF ? 1 : 0; /* OFF = 1, ON = 0 */
        return;
    }
    case PSCI_CPU_OFF:
        hyp_sched_set_state(h, v, VCPU_OFF);
        h->resched = true;
        return;
    case PSCI_SYSTEM_OFF:
        hyp_vm_off(v->vm, "PSCI SYSTEM_OFF");
        return;
    case PSCI_SYSTEM_RESET:
        hyp_printf("hyp: vm %s: PSCI SYSTEM_RESET: restarting this VM\n", v->vm->cfg->name);
        hyp_vm_reset(v->vm);
        h->resched = true;
        return;
    default:
        if (v->vm->st.traps[0x16] + v->vm->st.traps[0x17] <= 8)
            hyp_printf("hyp: vm %s: unknown %s function 0x%x: NOT_SUPPORTED\n", v->vm->cfg->name,
                       smc ? "SMC" : "HVC", fn);
        x[0] = (uint64_t)(int64_t)SMCCC_NOT_SUPPORTED;
        return;
    }
}
