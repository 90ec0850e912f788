/* hvsim: one ARMv8-A PE on Unicorn 2.1.1. See cpu.h for the contract and
 * ../shared/notes/unicorn.md for the verified techniques used here. */
#include "cpu.h"

#include <stdlib.h>
#include <string.h>

#include <unicorn/unicorn.h>

#include "uc_internals.h"

#define SYSREG_SPACE      (1u << 16)
#define MAX_SYSREG_TABLES 16

struct sysreg_slot {
    const struct hv_sysreg_desc *desc;
    void *ctx;
};

struct mmio_thunk {
    struct hv_cpu *cpu;
    hv_mmio_read_fn rd;
    hv_mmio_write_fn wr;
    void *ctx;
    struct mmio_thunk *next;
};

/* A PA range with nothing behind it (see "bus errors" below). */
struct bus_hole {
    struct hv_cpu *cpu;
    uint64_t base, size;
};

struct hv_cpu {
    uc_engine *uc;
    struct hv_uci uci;
    uint32_t page_size;    /* the engine's target page size */
    char page_notice[160]; /* why it is not the one asked for ("" if it is) */
    struct hv_obs *obs;
    struct hv_cpu_callbacks cb;

    /* Virtual time base: retired instructions. next_check is the smaller of
     * the owner's deadline and 0 when internal work is pending, so the block
     * hook's fast path is one add and one compare. */
    uint64_t icount;
    uint64_t deadline;
    uint64_t next_check;
    uint64_t blk_addr; /* the translated block being executed */
    uint32_t blk_size;
    /* Inside a system-register hook: the PC of the MRS/MSR being served
     * (hv_cpu_icount, "exact counts inside a block"). MMIO thunks have
     * access_ra instead. */
    uint64_t insn_pc;
    bool insn_pc_valid;
    /* The current MMIO access's PC once looked up (hv_cpu_access_pc): an
     * event reads the time twice (icount, vtime), each a lookup otherwise. */
    uint64_t access_pc;
    bool access_pc_known;

    bool lines[HV_LINE__COUNT];
    bool relevel;           /* re-assert vIRQ/vFIQ after a native HCR_EL2 write */
    bool kick;              /* an input line changed: leave at the next block start */
    unsigned gaps_reported; /* engine gaps already reported (check_engine_gaps) */
    bool stop_requested;
    bool bus_error;
    bool booted;
    bool boot_runaway;

    /* Exception observation (EL-change hooks). */
    unsigned pre_el;
    uint64_t pre_pc;
    bool delivering_sync;
    /* Instruction words at pre_pc - 4 and pre_pc, read through the source
     * EL's translation regime before the exception changes it. */
    uint32_t pre_insn[2];
    bool pre_insn_ok[2];

    /* hv_cpu_vmreg's cache: bit r of vmreg_valid set when vmreg[r] holds
     * the engine's value. vmreg_settle: icount + 1 when an MSR to one of
     * them was seen in the current block (the hook runs before the engine
     * writes): until the next block is counted, which changes icount, the
     * engine is read and nothing is cached; 0 when none. Kept off the
     * per-block path (on_block) on purpose. */
    uint64_t vmreg[HV_VMREG__COUNT];
    unsigned vmreg_valid;
    uint64_t vmreg_settle;
    bool vmreg_nocache;

    uint16_t *sysreg_map; /* encoding -> 1 + index into slots, or 0 */
    struct sysreg_slot *slots;
    size_t nslots, cap_slots;

    uc_hook h_block, h_intr, h_mrs, h_msr, h_sys, h_unmapped;

    struct mmio_thunk *thunks; /* one per MMIO window; Unicorn keeps pointers */

    /* Bus errors (docs/cpu-bus-errors.md). */
    struct bus_hole *holes; /* catch-all MMIO regions over every PA hole */
    size_t nholes;
    bool bus_stop;      /* --on-bus-error=stop: stop instead of aborting */
    bool fnv_pending;   /* the abort being delivered has no valid FAR */
    bool noisv_pending; /* ... and its instruction wrote back its base: ISV = 0 */
    bool in_debug;      /* a debugger-style read is in progress */
    bool hole_touched;  /* ... and it reached a hole */
    /* In an MMIO callback: the access's host return address (hv_cpu_access_pc). */
    uintptr_t access_ra;
    uintptr_t last_access_ra; /* the last device access's (split accesses: mmio_begin) */
    uc_hook h_fetch_prot;
    uc_hook h_write_prot; /* writes to read-only windows (ROM, flash) */
};

/* ---- small helpers ----------------------------------------------------- */

static int cp_rw(struct hv_cpu *cpu, uint32_t enc, uint64_t *v, bool write)
{
    uc_arm64_cp_reg cp = {
        .op0 = HV_SYSREG_OP0(enc),
        .op1 = HV_SYSREG_OP1(enc),
        .crn = HV_SYSREG_CRN(enc),
        .crm = HV_SYSREG_CRM(enc),
        .op2 = HV_SYSREG_OP2(enc),
        .val = write ? *v : 0,
    };
    if (write)
        cpu->vmreg_valid = 0; /* (hv_cpu_vmreg) */
    uc_err e = write ? uc_reg_write(cpu->uc, UC_ARM64_REG_CP_REG, &cp)
                     : uc_reg_read(cpu->uc, UC_ARM64_REG_CP_REG, &cp);
    if (e != UC_ERR_OK)
        return -1;
    if (!write)
        *v = cp.val;
    return 0;
}

/* The encodings of enum hv_cpu_vmreg (Arm ARM D17.2: HCR_EL2, VTTBR_EL2,
 * VTCR_EL2, VMPIDR_EL2). */
static const uint32_t vmreg_enc[HV_VMREG__COUNT] = {
    HV_SYSREG(3, 4, 1, 1, 0),
    HV_SYSREG(3, 4, 2, 1, 0),
    HV_SYSREG(3, 4, 2, 1, 2),
    HV_SYSREG(3, 4, 0, 0, 5),
};

static bool is_vmreg_enc(uint32_t enc)
{
    for (unsigned r = 0; r < HV_VMREG__COUNT; r++)
        if (enc == vmreg_enc[r])
            return true;
    return false;
}

static uint64_t sysreg_or0(struct hv_cpu *cpu, uint32_t enc)
{
    uint64_t v = 0;
    cp_rw(cpu, enc, &v, false);
    return v;
}

#define ENC_SCR_EL3   HV_SYSREG(3, 6, 1, 1, 0)
#define ENC_VBAR_EL3  HV_SYSREG(3, 6, 12, 0, 0)
#define ENC_HCR_EL2   HV_SYSREG(3, 4, 1, 1, 0)
#define ENC_HPFAR_EL2 HV_SYSREG(3, 4, 6, 0, 4)

static const uint32_t enc_vbar[4] = {0, HV_SYSREG(3, 0, 12, 0, 0), HV_SYSREG(3, 4, 12, 0, 0),
                                     HV_SYSREG(3, 6, 12, 0, 0)};
static const uint32_t enc_esr[4] = {0, HV_SYSREG(3, 0, 5, 2, 0), HV_SYSREG(3, 4, 5, 2, 0),
                                    HV_SYSREG(3, 6, 5, 2, 0)};
static const uint32_t enc_far[4] = {0, HV_SYSREG(3, 0, 6, 0, 0), HV_SYSREG(3, 4, 6, 0, 0),
                                    HV_SYSREG(3, 6, 6, 0, 0)};
static const uint32_t enc_elr[4] = {0, HV_SYSREG(3, 0, 4, 0, 1), HV_SYSREG(3, 4, 4, 0, 1),
                                    HV_SYSREG(3, 6, 4, 0, 1)};
static const uint32_t enc_spsr[4] = {0, HV_SYSREG(3, 0, 4, 0, 0), HV_SYSREG(3, 4, 4, 0, 0),
                                     HV_SYSREG(3, 6, 4, 0, 0)};

#define HCR_FMO (1ull << 3)
#define HCR_IMO (1ull << 4)
#define HCR_VF  (1ull << 6)
#define HCR_VI  (1ull << 7)
#define HCR_TGE (1ull << 27)

static void update_next_check(struct hv_cpu *cpu)
{
    cpu->next_check = (cpu->relevel || cpu->stop_requested || cpu->kick) ? 0 : cpu->deadline;
}

/* ---- virtual time: the block hook --------------------------------------- */

static void apply_lines(struct hv_cpu *cpu);

/* Runs at the start of every translated block, before any of its
 * instructions. size/4 is the number of A64 instructions in it: a cheap,
 * deterministic count (unicorn.md). icount is the number retired before the
 * block, so a deadline is served at the first block boundary at or after it. */
static void on_block(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
    struct hv_cpu *cpu = ud;
    (void)uc;
    cpu->blk_addr = addr;
    cpu->blk_size = size;
    cpu->insn_pc_valid = false; /* (a hook left by an exception) */
    if (__builtin_expect(cpu->icount < cpu->next_check, 1)) {
        cpu->icount += size >> 2;
        return;
    }
    if (cpu->relevel) {
        cpu->relevel = false;
        apply_lines(cpu);
    }
    if (cpu->icount >= cpu->deadline) {
        if (!cpu->booted) {
            /* The boot ROM is a dozen instructions: running on means the
             * engine does not behave as the self-test expects. */
            cpu->boot_runaway = true;
            cpu->stop_requested = true;
        } else if (cpu->cb.deadline) {
            cpu->cb.deadline(cpu->cb.ctx, cpu);
        }
    }
    /* Leave the engine here (or at an exception entry, on_intr), and only
     * here, when an input line changed or a stop was asked for. This hook
     * runs just before the block's own exit check (gen_tb_start), so the
     * engine leaves before any instruction of the block has run and later
     * re-enters the block at its start. Leaving from anywhere else is wrong:
     * Unicorn checks for an exit request after every load and store
     * (check_exit_request), and on that exit it restores the PC to the start
     * of the block, so the part of the block that already ran (an MMIO
     * store, a GIC system-register write) would run twice
     * (docs/architecture.md). The block has not run: it is not counted. */
    if (cpu->stop_requested || cpu->kick) {
        cpu->kick = false;
        if (cpu->stop_requested)
            uc_emu_stop(cpu->uc);
        else
            hv_uci_exit(&cpu->uci);
    } else {
        cpu->icount += size >> 2;
    }
    update_next_check(cpu);
}

/* A synchronous exception ends its block early: take back the instructions
 * of the block that did not retire. QEMU has already set env->pc to the
 * faulting instruction (aborts, UNDEF, traps) or past it (SVC/HVC/SMC, which
 * complete), so everything from env->pc to the block's end did not run. */
static void correct_icount(struct hv_cpu *cpu)
{
    uint64_t pc = *cpu->uci.pc;
    cpu->insn_pc_valid = false; /* icount is exact from here on */
    uint64_t end = cpu->blk_addr + cpu->blk_size;
    if (pc >= cpu->blk_addr && pc < end)
        cpu->icount -= (end - pc) >> 2;
}

/* ---- exception observation ---------------------------------------------- */

static void bus_fix_syndrome(struct hv_cpu *cpu, unsigned el);
static bool abort_insn_writes_back(struct hv_cpu *cpu);

static void on_pre_el_change(void *opaque)
{
    struct hv_cpu *cpu = opaque;
    cpu->vmreg_valid = 0; /* (hv_cpu_vmreg) */
    cpu->pre_el = hv_uci_el(&cpu->uci);
    cpu->pre_pc = *cpu->uci.pc;
    if (cpu->delivering_sync && cpu->booted && hv_obs_wants(cpu->obs, HV_EV_EXC_TAKEN)) {
        for (int i = 0; i < 2; i++)
            cpu->pre_insn_ok[i] =
                hv_cpu_read_va(cpu, cpu->pre_pc - 4 + 4 * (uint64_t)i, &cpu->pre_insn[i], 4) == 0;
    }
}

/* Exception classes whose preferred return address is the next instruction
 * (Arm ARM D1.10.1 "preferred exception return address"). */
static bool ec_returns_past(uint32_t ec)
{
    return ec == 0x11 || ec == 0x12 || ec == 0x13 || ec == 0x15 || ec == 0x16 || ec == 0x17;
}

static void on_post_el_change(void *opaque)
{
    struct hv_cpu *cpu = opaque;
    cpu->vmreg_valid = 0; /* (hv_cpu_vmreg) */
    unsigned el = hv_uci_el(&cpu->uci);
    uint64_t pc = *cpu->uci.pc;
    bool entry;
    int kind = HV_EXC_SYNC;

    if (cpu->delivering_sync && (cpu->fnv_pending || cpu->noisv_pending))
        bus_fix_syndrome(cpu, el);
    if (cpu->delivering_sync) {
        entry = true;
    } else if (el != cpu->pre_el) {
        entry = el > cpu->pre_el;
    } else {
        /* Same EL: an asynchronous exception lands on an IRQ/FIQ/SError
         * vector of VBAR_ELx; an ERET to exactly such an address does not
         * happen in practice. */
        uint64_t off = pc - sysreg_or0(cpu, enc_vbar[el]);
        entry = off < 0x800 && (off & 0x7f) == 0 && ((off >> 7) & 3) != 0;
    }
    if (entry && !cpu->delivering_sync) {
        uint64_t off = pc - sysreg_or0(cpu, enc_vbar[el]);
        kind = (int)((off >> 7) & 3);
    }

    /* The boot ROM's own SMC from EL1 and ERET are an artifact of Unicorn's
     * reset state (a real PE resets at EL3): not reported. */
    if (!cpu->booted)
        return;
    if (!entry && cpu->cb.eret)
        cpu->cb.eret(cpu->cb.ctx, cpu, cpu->pre_el, el);
    if (entry && hv_obs_wants(cpu->obs, HV_EV_EXC_TAKEN)) {
        struct hv_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = HV_EV_EXC_TAKEN;
        ev.el = (uint8_t)cpu->pre_el;
        ev.u.exc.from_el = (uint8_t)cpu->pre_el;
        ev.u.exc.to_el = (uint8_t)el;
        ev.u.exc.kind = (uint8_t)kind;
        ev.u.exc.elr = sysreg_or0(cpu, enc_elr[el]);
        ev.u.exc.spsr = sysreg_or0(cpu, enc_spsr[el]);
        ev.u.exc.vector = pc;
        ev.pc = ev.u.exc.elr;
        if (kind == HV_EXC_SYNC) {
            ev.u.exc.esr = (uint32_t)sysreg_or0(cpu, enc_esr[el]);
            ev.u.exc.far = sysreg_or0(cpu, enc_far[el]);
            if (el == 2)
                ev.u.exc.hpfar = sysreg_or0(cpu, ENC_HPFAR_EL2);
            /* The faulting instruction: env->pc pointed at it, or just past
             * it for the classes whose return address is the next one. */
            int which = ec_returns_past(ev.u.exc.esr >> 26) ? 0 : 1;
            ev.pc = cpu->pre_pc - 4 + 4 * (uint64_t)which;
            ev.u.exc.insn = cpu->pre_insn[which];
            ev.u.exc.has_insn = cpu->pre_insn_ok[which];
        } else if (el == 1) {
            /* IRQ/FIQ taken to EL1 while HCR_EL2.IMO/FMO route the physical
             * ones to EL2 must be virtual (Arm ARM D1.13.2). */
            uint64_t hcr = sysreg_or0(cpu, ENC_HCR_EL2);
            uint64_t bit = kind == HV_EXC_FIQ ? HCR_FMO : HCR_IMO;
            ev.u.exc.virt = (hcr & bit) && !(hcr & HCR_TGE) && kind != HV_EXC_SERROR;
        }
        hv_obs_emit(cpu->obs, &ev);
    } else if (!entry && hv_obs_wants(cpu->obs, HV_EV_ERET)) {
        struct hv_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = HV_EV_ERET;
        ev.el = (uint8_t)cpu->pre_el;
        ev.pc = cpu->pre_pc;
        ev.u.eret.from_el = (uint8_t)cpu->pre_el;
        ev.u.eret.to_el = (uint8_t)el;
        ev.u.eret.pc = pc;
        uint32_t ps = 0;
        uc_reg_read(cpu->uc, UC_ARM64_REG_PSTATE, &ps);
        ev.u.eret.spsr = ps;
        hv_obs_emit(cpu->obs, &ev);
    }
}

/* ---- synchronous exceptions --------------------------------------------- */

static void on_intr(uc_engine *uc, uint32_t intno, void *ud)
{
    struct hv_cpu *cpu = ud;
    (void)uc;

    correct_icount(cpu);
    /* After the boot ROM, an SMC that reaches EL3 is a firmware call (PSCI,
     * SMCCC). There is no EL3 software: the firmware model answers it. The
     * PC already points past the SMC. */
    if (!(intno == HV_EXCP_SMC && cpu->booted && cpu->cb.smc && cpu->cb.smc(cpu->cb.ctx, cpu))) {
        if (intno == HV_EXCP_DATA_ABORT)
            cpu->noisv_pending = abort_insn_writes_back(cpu);
        cpu->delivering_sync = true;
        hv_uci_do_interrupt(&cpu->uci);
        cpu->delivering_sync = false;
    }
    /* An exception boundary is the other safe place to leave: no block is
     * running, and a PE that keeps faulting on its vector fetch never
     * reaches a block start (the abort-loop guard in machine.c). */
    if (cpu->stop_requested)
        uc_emu_stop(cpu->uc);
}

/* ---- system registers ---------------------------------------------------- */

static unsigned rt_of(uc_arm64_reg reg)
{
    if (reg >= UC_ARM64_REG_X0 && reg <= UC_ARM64_REG_X28)
        return (unsigned)(reg - UC_ARM64_REG_X0);
    if (reg == UC_ARM64_REG_X29)
        return 29;
    if (reg == UC_ARM64_REG_X30)
        return 30;
    return 31; /* XZR */
}

/* The default exception target for an UNDEF: EL1 from EL0 (EL2 if
 * HCR_EL2.TGE), otherwise the current EL (Arm ARM D1.10.4). */
static unsigned undef_target(struct hv_cpu *cpu, unsigned el)
{
    if (el == 0)
        return (sysreg_or0(cpu, ENC_HCR_EL2) & HCR_TGE) ? 2 : 1;
    return el;
}

static void emit_sysreg(struct hv_cpu *cpu, const struct hv_sysreg_desc *d, uint32_t enc,
                        bool is_write, uint64_t value, enum hv_sysreg_decision dec)
{
    struct hv_event ev;
    if (!hv_obs_wants(cpu->obs, HV_EV_SYSREG))
        return;
    memset(&ev, 0, sizeof(ev));
    ev.type = HV_EV_SYSREG;
    ev.el = (uint8_t)hv_uci_el(&cpu->uci);
    ev.pc = *cpu->uci.pc;
    ev.u.sysreg.enc = enc;
    ev.u.sysreg.name = d->name;
    ev.u.sysreg.is_write = is_write;
    ev.u.sysreg.value = value;
    ev.u.sysreg.decision = (uint8_t)dec;
    hv_obs_emit(cpu->obs, &ev);
}

/* Architectural features the engine (QEMU 5.0's TCG) does not implement:
 * say so, once each, when a guest turns them on (docs/differences.md). */
#define ENC_SCTLR_EL1 HV_SYSREG(3, 0, 1, 0, 0)
#define ENC_SCTLR_EL2 HV_SYSREG(3, 4, 1, 0, 0)
#define SCTLR_A       (1ull << 1)
#define HCR_AMO       (1ull << 5)
#define HCR_VSE       (1ull << 8)

static void check_engine_gaps(struct hv_cpu *cpu, uint32_t enc, uint64_t v)
{
    const char *what = NULL;
    unsigned bit = 0;
    if ((enc == ENC_SCTLR_EL1 || enc == ENC_SCTLR_EL2) && (v & SCTLR_A)) {
        what = "alignment checking of ordinary loads and stores (SCTLR_ELx.A=1) is not enforced "
               "by the engine; exclusives and atomics still fault when misaligned";
        bit = 1;
    } else if (enc == ENC_HCR_EL2 && (v & HCR_VSE) && (v & HCR_AMO)) {
        what = "virtual SError (HCR_EL2.VSE) is not implemented by the engine: it stays pending "
               "and is never taken";
        bit = 2;
    }
    if (what && !(cpu->gaps_reported & bit)) {
        cpu->gaps_reported |= bit;
        hv_obs_text(cpu->obs, HV_EV_UNIMPL, (uint8_t)hv_uci_el(&cpu->uci), *cpu->uci.pc, "%s",
                    what);
    }
}

static uint32_t on_sysreg_served(struct hv_cpu *cpu, uc_arm64_reg reg, const uc_arm64_cp_reg *cp,
                                 bool is_write, uint32_t enc, uint16_t idx);

static uint32_t on_sysreg(struct hv_cpu *cpu, uc_arm64_reg reg, const uc_arm64_cp_reg *cp,
                          bool is_write)
{
    uint32_t enc = HV_SYSREG(cp->op0, cp->op1, cp->crn, cp->crm, cp->op2);
    uint16_t idx = cpu->sysreg_map[enc];
    uint32_t rc;

    /* Events and counter reads from here on see the count at this
     * instruction, not at the end of its block (hv_cpu_icount). An
     * exception raised below leaves through on_intr, which clears it. */
    cpu->insn_pc = *cpu->uci.pc;
    cpu->insn_pc_valid = true;
    /* The engine writes the register after this hook (if at all): until the
     * next block starts, hv_cpu_vmreg reads the engine, so an event emitted
     * in between, here or later in this block, sees what the engine holds. */
    if (is_write && is_vmreg_enc(enc)) {
        cpu->vmreg_valid = 0;
        cpu->vmreg_settle = cpu->icount + 1;
    }
    rc = on_sysreg_served(cpu, reg, cp, is_write, enc, idx);
    cpu->insn_pc_valid = false;
    return rc;
}

static uint32_t on_sysreg_served(struct hv_cpu *cpu, uc_arm64_reg reg, const uc_arm64_cp_reg *cp,
                                 bool is_write, uint32_t enc, uint16_t idx)
{
    if (!idx) {
        if (is_write)
            check_engine_gaps(cpu, enc, cp->val);
        /* Not ours: QEMU's behaviour applies. A native HCR_EL2 write makes
         * QEMU recompute its vIRQ/vFIQ lines from HCR_EL2.VI/VF alone, so
         * re-assert ours at the next block (unicorn.md, "Virtual interrupts"). */
        if (is_write && enc == ENC_HCR_EL2 &&
            (cpu->lines[HV_LINE_VIRQ] || cpu->lines[HV_LINE_VFIQ])) {
            cpu->relevel = true;
            update_next_check(cpu);
        }
        return 0;
    }

    const struct sysreg_slot *s = &cpu->slots[idx - 1];
    const struct hv_sysreg_desc *d = s->desc;
    unsigned el = hv_uci_el(&cpu->uci);
    enum hv_sysreg_decision dec = d->access ? d->access(s->ctx, cpu, d, is_write) : HV_SR_OK;
    unsigned rt = rt_of(reg);

    if (dec == HV_SR_OK && ((is_write && !d->write) || (!is_write && !d->read)))
        dec = HV_SR_UNDEF;
    emit_sysreg(cpu, d, enc, is_write, is_write ? cp->val : 0, dec);

    switch (dec) {
    case HV_SR_OK:
        break;
    case HV_SR_UNDEF:
        /* EC 0x00, IL=1: "Unknown reason" (Arm ARM D17.2.37). */
        hv_uci_raise(&cpu->uci, HV_EXCP_UDEF, 1u << 25, undef_target(cpu, el));
    case HV_SR_TRAP_EL1:
    case HV_SR_TRAP_EL2:
    case HV_SR_TRAP_EL3:
        /* EC 0x18 "Trapped MSR, MRS or System instruction" with the ISS of
         * Arm ARM D17.2.37, taken to the EL the access check chose. */
        hv_uci_raise(&cpu->uci, HV_EXCP_UDEF,
                     (0x18u << 26) | (1u << 25) | hv_sysreg_trap_iss(enc, rt, !is_write),
                     dec == HV_SR_TRAP_EL1   ? 1
                     : dec == HV_SR_TRAP_EL2 ? 2
                                             : 3);
    }

    if (is_write) {
        d->write(s->ctx, cpu, d, cp->val);
    } else {
        uint64_t v = d->read(s->ctx, cpu, d);
        if (rt != 31)
            uc_reg_write(cpu->uc, reg, &v);
        if (hv_obs_wants(cpu->obs, HV_EV_SYSREG)) {
            /* Report the value read too. */
            emit_sysreg(cpu, d, enc, false, v, HV_SR_OK);
        }
    }
    /* Skip QEMU's own handling: Unicorn branches to a label after the code
     * QEMU generated for the instruction.
     *  - When QEMU does not know the encoding (ICC_*, ICH_*) or refuses it
     *    at this EL, that code is an UNDEF that ends the block, and the
     *    label falls into the block's exit path, which restores the PC to
     *    the block's start and re-executes it. So move past the instruction
     *    ourselves: writing the PC sets Unicorn's quit_request, which keeps
     *    the PC we set (cpu_tb_exec).
     *  - Otherwise (a register QEMU knows, e.g. CNTFRQ_EL0) the block goes
     *    on after the label, and the PC must not be written: the exit that
     *    the write requests would come later in the block (after its next
     *    load or store), resume at the PC we wrote, and run the rest of the
     *    block twice (t_sysreg_tail). The instruction ends the block exactly
     *    in the first case; an MSR that QEMU knows ends it too (DISAS_UPDATE),
     *    where the write is harmless. */
    uint64_t next = *cpu->uci.pc + 4;
    if (next == cpu->blk_addr + cpu->blk_size)
        uc_reg_write(cpu->uc, UC_ARM64_REG_PC, &next);
    return 1;
}

static uint32_t on_mrs(uc_engine *uc, uc_arm64_reg reg, const uc_arm64_cp_reg *cp, void *ud)
{
    (void)uc;
    return on_sysreg(ud, reg, cp, false);
}

static uint32_t on_msr(uc_engine *uc, uc_arm64_reg reg, const uc_arm64_cp_reg *cp, void *ud)
{
    (void)uc;
    return on_sysreg(ud, reg, cp, true);
}

/* SYS instructions (TLBI, DC, IC, AT) keep QEMU's behaviour; the owner only
 * observes them (the isolation checker watches stage-2 TLB invalidations).
 * Without the wrapped access check (hv_uci_ic_wrapped), the IC instructions
 * are served here: this hook runs before QEMU's access check, so an IC that
 * then traps has dropped blocks for nothing, which is harmless. */
static uint32_t on_sys(uc_engine *uc, uc_arm64_reg reg, const uc_arm64_cp_reg *cp, void *ud)
{
    struct hv_cpu *cpu = ud;
    (void)uc;
    if (!hv_uci_ic_wrapped())
        hv_uci_ic_sys(&cpu->uci, cp);
    if (cpu->cb.sys_insn && cpu->booted) {
        unsigned rt = rt_of(reg);
        cpu->cb.sys_insn(cpu->cb.ctx, cpu, HV_SYSREG(cp->op0, cp->op1, cp->crn, cp->crm, cp->op2),
                         rt == 31 ? 0 : hv_cpu_x(cpu, rt));
    }
    return 0;
}

int hv_cpu_register_sysregs(struct hv_cpu *cpu, const struct hv_sysreg_desc *table, size_t n,
                            void *ctx, struct hv_err *err)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t enc = table[i].enc;
        if (enc >= SYSREG_SPACE)
            return hv_err_set(err, "system register %s: encoding 0x%x out of range", table[i].name,
                              enc);
        if (cpu->sysreg_map[enc])
            return hv_err_set(err, "system register %s: encoding already registered as %s",
                              table[i].name, cpu->slots[cpu->sysreg_map[enc] - 1].desc->name);
    }
    if (cpu->nslots + n >= 0xffff)
        return hv_err_set(err, "too many system registers");
    if (cpu->nslots + n > cpu->cap_slots) {
        size_t cap = (cpu->nslots + n) * 2;
        struct sysreg_slot *s = realloc(cpu->slots, cap * sizeof(*s));
        if (!s)
            return hv_err_set(err, "out of memory");
        cpu->slots = s;
        cpu->cap_slots = cap;
    }
    for (size_t i = 0; i < n; i++) {
        cpu->slots[cpu->nslots].desc = &table[i];
        cpu->slots[cpu->nslots].ctx = ctx;
        cpu->sysreg_map[table[i].enc] = (uint16_t)(++cpu->nslots);
    }
    return 0;
}

const struct hv_sysreg_desc *hv_cpu_find_sysreg(const struct hv_cpu *cpu, uint32_t enc)
{
    uint16_t idx = enc < SYSREG_SPACE ? cpu->sysreg_map[enc] : 0;
    return idx ? cpu->slots[idx - 1].desc : NULL;
}

/* ---- bus errors: accesses to PAs with nothing behind them ------------------
 *
 * Every PA hole below HOLE_LIMIT is covered by a catch-all MMIO region
 * (map_holes). A guest load or store that reaches one is answered as QEMU
 * 7.2's virt machine answers an access to an unassigned address: with a
 * synchronous external abort (Arm ARM D1.10.4 / D17.2.37: data abort EC
 * 0x24/0x25, DFSC 0b010000; instruction abort EC 0x20/0x21, IFSC 0b010000;
 * FAR_ELx = the VA), taken to the EL that exception_target_el() chooses,
 * by QEMU's own arm_cpu_do_transaction_failed() (uc_internals.h). With
 * --on-bus-error=stop the run stops at the faulting instruction instead.
 * Either way the owner's bus_error callback reports PA, VA, PC and EL.
 * Mechanism, self-tests and limitations: docs/cpu-bus-errors.md. */

/* Unicorn's ARM64 physical address space (TARGET_PHYS_ADDR_SPACE_BITS 48).
 * Above it, UC_HOOK_MEM_UNMAPPED still stops the run with a report. */
#define HOLE_LIMIT (1ull << 48)

static void bus_report(struct hv_cpu *cpu, const struct hv_ev_bus_error *be)
{
    if (cpu->cb.bus_error)
        cpu->cb.bus_error(cpu->cb.ctx, cpu, be);
}

/* Beyond HOLE_LIMIT (only reachable with the MMU off): report and stop. */
static bool on_unmapped(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
                        void *ud)
{
    struct hv_cpu *cpu = ud;
    struct hv_ev_bus_error be;
    (void)uc;
    (void)value;
    memset(&be, 0, sizeof(be));
    be.pa = addr;
    be.size = (uint8_t)size;
    be.is_write = type == UC_MEM_WRITE_UNMAPPED;
    be.is_fetch = type == UC_MEM_FETCH_UNMAPPED;
    cpu->bus_error = true;
    bus_report(cpu, &be);
    return false; /* Unicorn stops the run */
}

static uint64_t reg_or_sp(struct hv_cpu *cpu, unsigned n)
{
    uint64_t v = 0;
    if (n == 31)
        uc_reg_read(cpu->uc, UC_ARM64_REG_SP, &v);
    else
        v = hv_cpu_x(cpu, n);
    return v;
}

static uint64_t reg_or_zr(struct hv_cpu *cpu, unsigned n)
{
    return n == 31 ? 0 : hv_cpu_x(cpu, n);
}

static uint64_t sext(uint64_t v, unsigned bits)
{
    return (uint64_t)((int64_t)(v << (64 - bits)) >> (64 - bits));
}

/* The bytes [*start, *start + *len) that the A64 load/store `insn` at pc
 * accesses (Arm ARM C4.1.66 "Loads and Stores" encodings, ARMv8.0 as on
 * Cortex-A72, plus DC ZVA). Registers are read before writeback: QEMU
 * writes the base back after the access, and loads into a temporary
 * first when Rt == Rn. False for anything else. */
struct ldst {
    uint64_t start; /* first byte accessed */
    unsigned len;   /* bytes accessed in all */
    unsigned elem;  /* bytes of one register's access */
    bool wback;     /* base register writeback */
};

static bool ldst_span(struct hv_cpu *cpu, uint32_t insn, uint64_t pc, struct ldst *a)
{
    uint64_t *start = &a->start;
    unsigned *len = &a->len;
    a->wback = false;
    unsigned rn = (insn >> 5) & 31;
    unsigned size = insn >> 30, v = (insn >> 26) & 1, opc = (insn >> 22) & 3;

    if ((insn & 0xffffffe0u) == 0xd50b7420u) { /* DC ZVA, Xt: 64-byte block (DCZID_EL0) */
        *start = reg_or_zr(cpu, insn & 31) & ~63ull;
        *len = a->elem = 64;
        return true;
    }
    if ((insn & 0xbfbf0000u) == 0x0c000000u || (insn & 0xbfa00000u) == 0x0c800000u) {
        /* Advanced SIMD load/store multiple structures (post-index too). */
        static const int8_t nregs[16] = {4, -1, 4, -1, 3, -1, 3, 1, 2, -1, 2, -1, -1, -1, -1, -1};
        int n = nregs[(insn >> 12) & 15];
        if (n < 0)
            return false;
        *start = reg_or_sp(cpu, rn);
        a->elem = (insn >> 30) & 1 ? 16 : 8;
        *len = (unsigned)n * a->elem;
        a->wback = (insn >> 23) & 1;
        return true;
    }
    if ((insn & 0xbf9f0000u) == 0x0d000000u || (insn & 0xbf800000u) == 0x0d800000u) {
        /* Advanced SIMD load/store single structure (and LDnR). */
        unsigned selem = ((((insn >> 13) & 1) << 1) | ((insn >> 21) & 1)) + 1;
        unsigned scale = (insn >> 14) & 3, sz = (insn >> 10) & 3;
        unsigned eb = scale == 3 ? 1u << sz : scale == 2 ? ((sz & 1) ? 8 : 4) : 1u << scale;
        *start = reg_or_sp(cpu, rn);
        *len = selem * eb;
        a->elem = eb;
        a->wback = (insn >> 23) & 1;
        return true;
    }
    if ((insn & 0x3f000000u) == 0x08000000u) {
        /* Load/store exclusive, load-acquire/store-release; o1 = pair. */
        bool pair = (insn >> 21) & 1 && !((insn >> 23) & 1);
        *start = reg_or_sp(cpu, rn);
        a->elem = 1u << size;
        *len = a->elem * (pair ? 2 : 1);
        return true;
    }
    if ((insn & 0x3b000000u) == 0x18000000u) { /* load register (literal) */
        static const uint8_t gp[4] = {4, 8, 4, 0}, fp[4] = {4, 8, 16, 0};
        unsigned n = v ? fp[size] : gp[size];
        if (!n)
            return false; /* PRFM: no access */
        *start = pc + (sext((insn >> 5) & 0x7ffff, 19) << 2);
        *len = a->elem = n;
        return true;
    }
    if ((insn & 0x38000000u) == 0x28000000u) { /* load/store pair */
        unsigned idx = (insn >> 23) & 3, scale;
        if (v)
            scale = 2 + size;
        else
            scale = (size & 2) ? 3 : 2;
        if (scale > 4)
            return false;
        uint64_t off = sext((insn >> 15) & 0x7f, 7) << scale;
        *start = reg_or_sp(cpu, rn) + (idx == 1 ? 0 : off); /* 1: post-index */
        a->elem = 1u << scale;
        *len = 2u << scale;
        a->wback = idx == 1 || idx == 3;
        return true;
    }
    if ((insn & 0x3a000000u) == 0x38000000u) { /* load/store register */
        unsigned n = (v && (opc & 2) && size == 0) ? 16 : 1u << size, lg = 0;
        while ((1u << lg) < n)
            lg++;
        if (!v && size == 3 && opc == 2)
            return false; /* PRFM/PRFUM: no access */
        uint64_t base = reg_or_sp(cpu, rn);
        if ((insn >> 24) & 1) { /* unsigned offset */
            *start = base + (((insn >> 10) & 0xfff) << lg);
        } else if (!((insn >> 21) & 1)) { /* imm9: unscaled, post, unprivileged, pre */
            unsigned op4 = (insn >> 10) & 3;
            *start = base + (op4 == 1 ? 0 : sext((insn >> 12) & 0x1ff, 9));
            a->wback = op4 == 1 || op4 == 3;
        } else if (((insn >> 10) & 3) == 2) { /* register offset */
            unsigned option = (insn >> 13) & 7;
            uint64_t m = reg_or_zr(cpu, (insn >> 16) & 31);
            if (option == 2)
                m = (uint32_t)m;
            else if (option == 6)
                m = (uint64_t)(int64_t)(int32_t)m;
            else if (option != 3 && option != 7)
                return false;
            *start = base + (m << (((insn >> 12) & 1) ? lg : 0));
        } else {
            return false; /* atomic memory operations (LSE): not on Cortex-A72 */
        }
        *len = a->elem = n;
        return true;
    }
    return false;
}

/* The VA of the faulting access: the byte of the instruction's access whose
 * page offset is the PA's (translation keeps bits [11:0] at every granule).
 * For a pair, a multi-register access or a split unaligned one this picks the
 * part that reached the hole, as QEMU's io_readx() reports it. */
static bool fault_va(struct hv_cpu *cpu, uint64_t pc, uint64_t pa, uint64_t *va, struct ldst *a)
{
    uint32_t insn;
    if (!hv_uci_is_a64(&cpu->uci) || hv_cpu_read_va(cpu, pc, &insn, 4) ||
        !ldst_span(cpu, insn, pc, a))
        return false;
    uint64_t k = (pa - a->start) & 0xfff;
    if (k >= a->len)
        return false;
    *va = a->start + k;
    return true;
}

/* A data abort (any: translation, permission, access flag, alignment,
 * stage 1 or 2) on a load/store with base writeback has no instruction
 * syndrome (D17.2.37 ISV: "excluding those with writeback"). QEMU 5.0's
 * translator records one for the immediate pre/post-index forms (QEMU 7.2
 * does not), so a hypervisor would emulate such an access without its
 * writeback: the guest's loop over a device with `strb w0, [x1], #1`
 * never ends. The syndrome is fixed on entry (bus_fix_syndrome). The PC
 * is the faulting instruction here (QEMU restored it before raising). */
static bool abort_insn_writes_back(struct hv_cpu *cpu)
{
    uint32_t insn;
    struct ldst a = {0};
    uint64_t pc = *cpu->uci.pc;
    return hv_uci_is_a64(&cpu->uci) && !hv_cpu_read_va(cpu, pc, &insn, 4) &&
           ldst_span(cpu, insn, pc, &a) && a.wback;
}

/* A load or store reached a hole. */
static void bus_access_at(struct hv_cpu *cpu, uint64_t pa, unsigned size, bool is_write)
{
    uintptr_t ra = hv_uci_take_io_pc(&cpu->uci);
    struct hv_ev_bus_error be;

    cpu->hole_touched = true;
    if (cpu->in_debug)
        return; /* a debugger-style read: hv_cpu_read_va/pa fail */
    if (ra == HV_UCI_NO_IO_PC || ra == 0 || !hv_uci_restore_state(&cpu->uci, ra)) {
        /* Not a load/store of the PE: a translation table walk (or AT). QEMU
         * would report a synchronous external abort on the walk; Unicorn's
         * walker cannot be told, so the descriptor reads as zero (a
         * translation fault follows). */
        hv_obs_text(cpu->obs, HV_EV_GUEST_ERROR, (uint8_t)hv_uci_el(&cpu->uci), *cpu->uci.pc,
                    "%u-byte %s at PA 0x%llx outside the PE's loads and stores (a translation "
                    "table walk?): nothing is mapped there, %s",
                    size, is_write ? "write" : "read", (unsigned long long)pa,
                    is_write ? "ignored"
                             : "read as zero (QEMU would take an external abort on "
                               "the walk)");
        return;
    }
    /* env->pc is now the faulting instruction (cpu_restore_state). */
    memset(&be, 0, sizeof(be));
    be.pa = pa;
    be.size = (uint8_t)size;
    be.is_write = is_write;
    struct ldst a = {0};
    be.va_valid = fault_va(cpu, *cpu->uci.pc, pa, &be.va, &a);
    if (be.va_valid && a.elem < 256)
        be.size = (uint8_t)a.elem; /* Unicorn splits an 8-byte MMIO access in two */
    bus_report(cpu, &be);
    if (cpu->bus_stop) {
        correct_icount(cpu); /* the instruction does not retire */
        cpu->bus_error = true;
        uc_emu_stop(cpu->uc);
        hv_uci_loop_exit(&cpu->uci);
    }
    /* If the VA is unknown, FAR is UNKNOWN and ESR.FnV = 1 (Arm ARM
     * D17.2.37, ISS for a data abort: FnV is permitted for a synchronous
     * external abort): bus_fix_fnv() applies it on entry. */
    cpu->fnv_pending = !be.va_valid; /* (ISV for writeback: on_intr, as for every data abort) */
    hv_uci_external_abort(&cpu->uci, pa, be.va_valid ? be.va : 0, size,
                          is_write ? HV_UCI_STORE : HV_UCI_LOAD, ra);
}

static uint64_t hole_read(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
    struct bus_hole *h = ud;
    (void)uc;
    bus_access_at(h->cpu, h->base + off, size, false);
    return 0;
}

static void hole_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *ud)
{
    struct bus_hole *h = ud;
    (void)uc;
    (void)v;
    bus_access_at(h->cpu, h->base + off, size, true);
}

static bool in_hole(const struct hv_cpu *cpu, uint64_t pa)
{
    for (size_t i = 0; i < cpu->nholes; i++)
        if (pa - cpu->holes[i].base < cpu->holes[i].size)
            return true;
    return false;
}

/* An instruction fetch from a PA without EXEC: Unicorn calls this while
 * translating the block at env->pc (the one-instruction-per-page MMIO
 * translation of QEMU 5.0 reads its first instruction at env->pc). */
static bool on_fetch_prot(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
                          void *ud)
{
    struct hv_cpu *cpu = ud;
    struct hv_ev_bus_error be;
    uint64_t pc = *cpu->uci.pc;
    (void)uc;
    (void)type;
    (void)value;
    if (!in_hole(cpu, addr))
        return false; /* a device window: Unicorn stops with "fetch protected" */
    memset(&be, 0, sizeof(be));
    be.pa = addr;
    be.size = (uint8_t)size;
    be.is_fetch = true;
    be.va = pc;
    be.va_valid = ((pc ^ addr) & 0xfff) == 0;
    bus_report(cpu, &be);
    if (cpu->bus_stop) {
        cpu->bus_error = true;
        return false; /* Unicorn stops before the instruction */
    }
    /* Prefetch abort, IFSC 0x10 (QEMU: syn_insn_abort). No host return
     * address: the fault is raised during translation. */
    cpu->fnv_pending = !be.va_valid;
    hv_uci_external_abort(&cpu->uci, addr, pc, (unsigned)size, HV_UCI_FETCH, 0);
}

/* Called from the EL-change hook once QEMU has written ESR/FAR:
 * - FnV: the VA is unknown, FAR_ELx is UNKNOWN (written as 0) and
 *   ISS.FnV = 1 (D17.2.37);
 * - a load/store with writeback has no instruction syndrome (D17.2.37 ISV:
 *   "excluding those with writeback"). QEMU 5.0's translator records one
 *   for the immediate pre/post-index forms; QEMU 7.2 does not: clear
 *   ISS[24:14] (ISV, SAS, SSE, SRT, SF, AR). */
static void bus_fix_syndrome(struct hv_cpu *cpu, unsigned el)
{
    uint64_t esr = 0, zero = 0;
    bool fnv = cpu->fnv_pending, noisv = cpu->noisv_pending;
    cpu->fnv_pending = cpu->noisv_pending = false;
    if (el == 0 || cp_rw(cpu, enc_esr[el], &esr, false))
        return;
    if (noisv)
        esr &= ~(0x7ffull << 14);
    if (fnv) {
        esr |= 1u << 10; /* ISS.FnV */
        cp_rw(cpu, enc_far[el], &zero, true);
    }
    cp_rw(cpu, enc_esr[el], &esr, true);
}

/* Cover every PA below HOLE_LIMIT that nothing is mapped at. */
static int map_holes(struct hv_cpu *cpu, struct hv_err *err)
{
    uc_mem_region *r = NULL;
    uint32_t n = 0;
    if (uc_mem_regions(cpu->uc, &r, &n) != UC_ERR_OK)
        return hv_err_set(err, "cannot list the engine's memory map");
    /* Unicorn keeps the list sorted by address. At most n + 1 holes. */
    cpu->holes = calloc((size_t)n + 1, sizeof(*cpu->holes));
    if (!cpu->holes) {
        uc_free(r);
        return hv_err_set(err, "out of memory");
    }
    uint64_t at = 0;
    for (uint32_t i = 0; i <= n && at < HOLE_LIMIT; i++) {
        uint64_t next = i < n ? r[i].begin : HOLE_LIMIT;
        if (next > HOLE_LIMIT)
            next = HOLE_LIMIT;
        if (next > at) {
            struct bus_hole *h = &cpu->holes[cpu->nholes];
            h->cpu = cpu;
            h->base = at;
            h->size = next - at;
            uc_err e = uc_mmio_map(cpu->uc, h->base, h->size, hole_read, h, hole_write, h);
            if (e != UC_ERR_OK) {
                uc_free(r);
                return hv_err_set(err, "map the PA hole 0x%llx+0x%llx: %s",
                                  (unsigned long long)h->base, (unsigned long long)h->size,
                                  uc_strerror(e));
            }
            cpu->nholes++;
        }
        if (i < n && r[i].end + 1 > at)
            at = r[i].end + 1;
    }
    uc_free(r);
    return 0;
}

void hv_cpu_set_bus_error_stop(struct hv_cpu *cpu, bool stop)
{
    cpu->bus_stop = stop;
}

/* ---- interrupt lines ------------------------------------------------------ */

static const int line_mask[HV_LINE__COUNT] = {
    [HV_LINE_IRQ] = HV_CPU_INTERRUPT_HARD,
    [HV_LINE_FIQ] = HV_CPU_INTERRUPT_FIQ,
    [HV_LINE_VIRQ] = HV_CPU_INTERRUPT_VIRQ,
    [HV_LINE_VFIQ] = HV_CPU_INTERRUPT_VFIQ,
};

/* Make QEMU's interrupt_request match our lines. vIRQ/vFIQ are also driven
 * by HCR_EL2.VI/VF (Arm ARM D1.13.4): the virtual line is their OR. */
static void apply_lines(struct hv_cpu *cpu)
{
    uint64_t hcr = sysreg_or0(cpu, ENC_HCR_EL2);
    for (int l = 0; l < HV_LINE__COUNT; l++) {
        bool level = cpu->lines[l];
        if (l == HV_LINE_VIRQ)
            level = level || (hcr & HCR_VI);
        if (l == HV_LINE_VFIQ)
            level = level || (hcr & HCR_VF);
        if (level)
            hv_uci_interrupt(&cpu->uci, line_mask[l]);
        else
            hv_uci_reset_interrupt(&cpu->uci, line_mask[l]);
    }
    /* QEMU looks at interrupt_request only between chained blocks once
     * asked to leave: do that at the next block start (on_block). */
    cpu->kick = true;
    update_next_check(cpu);
}

void hv_cpu_set_line(struct hv_cpu *cpu, enum hv_cpu_line line, bool level)
{
    if ((unsigned)line >= HV_LINE__COUNT || cpu->lines[line] == level)
        return;
    cpu->lines[line] = level;
    apply_lines(cpu);
}

bool hv_cpu_line(const struct hv_cpu *cpu, enum hv_cpu_line line)
{
    return (unsigned)line < HV_LINE__COUNT && cpu->lines[line];
}

/* ---- life cycle ------------------------------------------------------------ */

const char *hv_cpu_engine_version(void)
{
    static char buf[32];
    unsigned maj, min;
    uc_version(&maj, &min);
    snprintf(buf, sizeof(buf), "%u.%u", maj, min);
    return buf;
}

static int uc_check(uc_err e, struct hv_err *err, const char *what)
{
    if (e == UC_ERR_OK)
        return 0;
    return hv_err_set(err, "%s: %s", what, uc_strerror(e));
}

int hv_cpu_create(struct hv_cpu **out, struct hv_obs *obs, const struct hv_cpu_callbacks *cb,
                  struct hv_err *err)
{
    return hv_cpu_create_paged(out, obs, cb, 0, err);
}

uint32_t hv_cpu_page_size(const struct hv_cpu *cpu)
{
    return cpu->page_size;
}

const char *hv_cpu_page_notice(const struct hv_cpu *cpu)
{
    return cpu->page_notice[0] ? cpu->page_notice : NULL;
}

int hv_cpu_create_paged(struct hv_cpu **out, struct hv_obs *obs, const struct hv_cpu_callbacks *cb,
                        uint32_t page_size, struct hv_err *err)
{
    struct hv_cpu *cpu = calloc(1, sizeof(*cpu));
    unsigned maj, min;

    *out = NULL;
    if (!cpu)
        return hv_err_set(err, "out of memory");
    cpu->sysreg_map = calloc(SYSREG_SPACE, sizeof(uint16_t));
    if (!cpu->sysreg_map) {
        free(cpu);
        return hv_err_set(err, "out of memory");
    }
    cpu->obs = obs;
    if (cb)
        cpu->cb = *cb;
    cpu->deadline = UINT64_MAX;
    update_next_check(cpu);

    /* 2.0.x marks every RAM page clean forever: each store takes the slow
     * path (upstream #1970). Refuse it rather than run 25x slower. */
    uc_version(&maj, &min);
    if (maj < 2 || (maj == 2 && min < 1)) {
        free(cpu->sysreg_map);
        free(cpu);
        return hv_err_set(err, "Unicorn %u.%u found; hvsim needs 2.1.1 (see docs/build.md)", maj,
                          min);
    }

    if (uc_check(uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &cpu->uc), err, "uc_open"))
        goto fail;
    if (uc_check(uc_ctl_set_cpu_model(cpu->uc, UC_CPU_ARM64_A72), err, "select cortex-a72"))
        goto fail;
    /* Before anything initialises the engine: 4 KiB target pages, as QEMU
     * 7.2 uses for AArch64, unless asked otherwise or the check fails. */
    cpu->page_size = hv_uci_set_page_size(cpu->uc, page_size ? page_size : HV_UCI_PAGE_DEFAULT,
                                          cpu->page_notice, sizeof(cpu->page_notice));
    /* Use the exits API with no exits, so that no address (not even 0,
     * where U-Boot lives) ends a run. */
    /* 256 MiB of translated code instead of Unicorn's default 1 GiB: a full
     * code buffer is flushed (and zeroed) when it fills, and 1 GiB made every
     * run touch a gigabyte of host memory. */
    if (uc_check(uc_ctl_set_tcg_buffer_size(cpu->uc, 256u << 20), err, "set TCG buffer size"))
        goto fail;
    if (uc_check(uc_ctl_exits_enable(cpu->uc), err, "enable exits"))
        goto fail;
    if (hv_uci_init(cpu->uc, &cpu->uci, on_pre_el_change, on_post_el_change, cpu, err) ||
        hv_uci_bus_init(&cpu->uci, err))
        goto fail;
    if (hv_uci_page_size(cpu->uc) != cpu->page_size) {
        hv_err_set(err, "Unicorn self-test: the engine runs with %u-byte pages, not %u",
                   (unsigned)hv_uci_page_size(cpu->uc), (unsigned)cpu->page_size);
        goto fail;
    }
    if (uc_check(uc_hook_add(cpu->uc, &cpu->h_block, UC_HOOK_BLOCK, (void *)on_block, cpu, 1, 0),
                 err, "block hook") ||
        uc_check(uc_hook_add(cpu->uc, &cpu->h_intr, UC_HOOK_INTR, (void *)on_intr, cpu, 1, 0), err,
                 "interrupt hook") ||
        uc_check(uc_hook_add(cpu->uc, &cpu->h_mrs, UC_HOOK_INSN, (void *)on_mrs, cpu, 1, 0,
                             UC_ARM64_INS_MRS),
                 err, "MRS hook") ||
        uc_check(uc_hook_add(cpu->uc, &cpu->h_msr, UC_HOOK_INSN, (void *)on_msr, cpu, 1, 0,
                             UC_ARM64_INS_MSR),
                 err, "MSR hook") ||
        /* SYS instructions (DC ZVA in every memset) are hooked only for an
         * owner that watches them, or to serve IC instructions where the
         * engine's access check is not wrapped (uc_internals.h). */
        ((cpu->cb.sys_insn || !hv_uci_ic_wrapped()) &&
         uc_check(uc_hook_add(cpu->uc, &cpu->h_sys, UC_HOOK_INSN, (void *)on_sys, cpu, 1, 0,
                              UC_ARM64_INS_SYS),
                  err, "SYS hook")) ||
        uc_check(uc_hook_add(cpu->uc, &cpu->h_unmapped, UC_HOOK_MEM_UNMAPPED, (void *)on_unmapped,
                             cpu, 1, 0),
                 err, "unmapped-memory hook") ||
        uc_check(uc_hook_add(cpu->uc, &cpu->h_fetch_prot, UC_HOOK_MEM_FETCH_PROT,
                             (void *)on_fetch_prot, cpu, 1, 0),
                 err, "fetch-protection hook"))
        goto fail;
    *out = cpu;
    return 0;
fail:
    hv_cpu_destroy(cpu);
    return -1;
}

void hv_cpu_destroy(struct hv_cpu *cpu)
{
    if (!cpu)
        return;
    hv_uci_fini(&cpu->uci);
    if (cpu->uc)
        uc_close(cpu->uc);
    while (cpu->thunks) {
        struct mmio_thunk *t = cpu->thunks;
        cpu->thunks = t->next;
        free(t);
    }
    free(cpu->holes);
    free(cpu->slots);
    free(cpu->sysreg_map);
    free(cpu);
}

/* A store to a read-only window (ROM, flash in read-array mode): the bus
 * ignores it, as a ROM does (QEMU's ROM regions discard writes too). Report
 * it as a guest error and let it through Unicorn's check; the region is
 * marked read-only for QEMU (hv_uci_set_readonly), which drops the store. */
static bool on_write_prot(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
                          void *ud)
{
    struct hv_cpu *cpu = ud;
    (void)uc;
    (void)type;
    hv_obs_text(cpu->obs, HV_EV_GUEST_ERROR, (uint8_t)hv_uci_el(&cpu->uci), *cpu->uci.pc,
                "%d-byte write of 0x%llx to read-only memory at PA 0x%llx: ignored", size,
                (unsigned long long)value, (unsigned long long)addr);
    return true;
}

int hv_cpu_map_ram(struct hv_cpu *cpu, uint64_t pa, uint64_t size, void *host, bool readonly,
                   struct hv_err *err)
{
    uint32_t perms = readonly ? (UC_PROT_READ | UC_PROT_EXEC) : UC_PROT_ALL;
    uc_err e = uc_mem_map_ptr(cpu->uc, pa, size, perms, host);
    if (e != UC_ERR_OK)
        return hv_err_set(err, "map RAM at 0x%llx+0x%llx: %s", (unsigned long long)pa,
                          (unsigned long long)size, uc_strerror(e));
    if (hv_uci_add_ram(&cpu->uci, host, size))
        return hv_err_set(err, "out of memory");
    if (!readonly)
        return 0;
    if (hv_uci_set_readonly(cpu->uc, pa, err))
        return -1;
    if (!cpu->h_write_prot) {
        e = uc_hook_add(cpu->uc, &cpu->h_write_prot, UC_HOOK_MEM_WRITE_PROT, (void *)on_write_prot,
                        cpu, 1, 0);
        if (e != UC_ERR_OK)
            return hv_err_set(err, "write-protection hook: %s", uc_strerror(e));
    }
    return 0;
}

/* A device access is not a bus error: see hv_uci_clear_io_pc(). Its host
 * return address is kept for hv_cpu_access_pc() and hv_cpu_icount(). QEMU
 * sets it once per load or store (io_readx/io_writex), but an access wider
 * than the device's callbacks (a 64-bit store to GICD_IROUTER) reaches us
 * as two 4-byte calls within that one dispatch: the second finds it taken
 * already and is the same instruction, so it reuses the first's. */
static void mmio_begin(struct hv_cpu *cpu)
{
    uintptr_t ra = hv_uci_take_io_pc(&cpu->uci);
    if (ra == HV_UCI_NO_IO_PC) {
        ra = cpu->last_access_ra ? cpu->last_access_ra : HV_UCI_NO_IO_PC;
        cpu->last_access_ra = 0; /* a split is two calls: reuse once */
    } else {
        cpu->last_access_ra = ra;
    }
    cpu->access_ra = ra;
    cpu->access_pc_known = false;
}

static uint64_t mmio_read_thunk(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
    struct mmio_thunk *t = ud;
    (void)uc;
    mmio_begin(t->cpu);
    uint64_t v = t->rd(t->ctx, off, size);
    t->cpu->access_ra = 0;
    return v;
}

static void mmio_write_thunk(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *ud)
{
    struct mmio_thunk *t = ud;
    (void)uc;
    mmio_begin(t->cpu);
    t->wr(t->ctx, off, size, v);
    t->cpu->access_ra = 0;
}

int hv_cpu_map_mmio(struct hv_cpu *cpu, uint64_t pa, uint64_t size, hv_mmio_read_fn rd,
                    hv_mmio_write_fn wr, void *ctx, struct hv_err *err)
{
    /* The thunk lives as long as the engine: Unicorn keeps the pointer. */
    struct mmio_thunk *t = malloc(sizeof(*t));
    if (!t)
        return hv_err_set(err, "out of memory");
    t->cpu = cpu;
    t->rd = rd;
    t->wr = wr;
    t->ctx = ctx;
    uc_err e = uc_mmio_map(cpu->uc, pa, size, mmio_read_thunk, t, mmio_write_thunk, t);
    if (e != UC_ERR_OK) {
        free(t);
        return hv_err_set(err, "map MMIO at 0x%llx+0x%llx: %s", (unsigned long long)pa,
                          (unsigned long long)size, uc_strerror(e));
    }
    t->next = cpu->thunks;
    cpu->thunks = t;
    return 0;
}

/* ---- boot ----------------------------------------------------------------- */

/* A64 encodings used to assemble the boot ROM (Arm ARM C6). */
#define A64_SMC0     0xd4000003u
#define A64_HVC(imm) (0xd4000002u | ((uint32_t)(imm) << 5))
#define A64_ERET     0xd69f03e0u
#define A64_LDR_LIT(rt, byte_off)                                                                  \
    (0x58000000u | ((((uint32_t)(byte_off) / 4) & 0x7ffff) << 5) | (rt))
#define A64_MSR(enc, rt) (0xd5000000u | ((uint32_t)(enc) << 5) | (rt))
#define A64_MOVZ0(rd)    (0xd2800000u | (rd))

#define ROM_VBAR_EL2   0x000u /* self-test vectors: lower-EL sync at +0x400 */
#define ROM_VBAR_EL3   0x800u /* VBAR_EL3 = rom + 0x800 (2 KiB aligned) */
#define ROM_LOWER_SYNC (ROM_VBAR_EL3 + 0x400u)
#define ROM_LIT        0xe00u
#define ROM_PARK       0xf00u /* EL2 lands here (b .); hv_cpu_boot then sets PC = entry */
#define SELFTEST_IMM   0x5e1fu

/* Build the EL3 boot ROM. Unicorn leaves reset at EL1 (unicorn.md), so:
 *   rom+0x000 (EL1): hvc #0x5e1f -- self-test: EL1 -> EL2 through VBAR_EL2
 *   rom+0x004 (EL1): smc #0      -- to EL3 through VBAR_EL3
 *   rom+0x400 (EL2, VBAR_EL2 + lower-EL sync): eret back to rom+0x004
 *   VBAR_EL3+0x400 (lower EL, AArch64, synchronous):
 *     x0..x3 <- boot arguments; ELR_EL3 <- rom+0xf00; SPSR_EL3 <- EL2h, DAIF masked
 *     eret                         -- to EL2h, as firmware hands over
 *   rom+0xf00 (EL2): b .           -- the boot run's exit; the PC is then set to
 *                                     the entry, so no exit sits on the image.
 * Unicorn mishandles an exit at PA 0 (--bios entry): the first fetch there
 * took an instruction abort (address size fault, FAR 0xfffffffffffffc00). */
static void build_rom(uint8_t *rom, const struct hv_cpu_boot *b)
{
    uint32_t *w = (uint32_t *)rom;
    uint64_t *lit = (uint64_t *)(rom + ROM_LIT);
    unsigned pc = ROM_LOWER_SYNC / 4;

    memset(rom, 0, 4096);
    w[0] = A64_HVC(SELFTEST_IMM);
    w[1] = A64_SMC0;
    w[(ROM_VBAR_EL2 + 0x400u) / 4] = A64_ERET;
    lit[0] = b->x[0];
    lit[1] = b->x[1];
    lit[2] = b->x[2];
    lit[3] = b->x[3];
    lit[4] = b->rom_pa + ROM_PARK;
    w[ROM_PARK / 4] = 0x14000000u; /* b . */
    lit[5] = 0x3c9;                /* SPSR: M=EL2h (0b1001), D A I F set */
    for (unsigned r = 0; r < 4; r++, pc++)
        w[pc] = A64_LDR_LIT(r, ROM_LIT + 8 * r - pc * 4);
    w[pc] = A64_LDR_LIT(4, ROM_LIT + 32 - pc * 4);
    pc++;
    w[pc++] = A64_MSR(enc_elr[3], 4);
    w[pc] = A64_LDR_LIT(4, ROM_LIT + 40 - pc * 4);
    pc++;
    w[pc++] = A64_MSR(enc_spsr[3], 4);
    w[pc++] = A64_MOVZ0(4);
    w[pc++] = A64_ERET;
}

int hv_cpu_boot(struct hv_cpu *cpu, const struct hv_cpu_boot *b, struct hv_err *err)
{
    uint64_t v;
    uc_err e;

    if (b->rom_pa & 0xfff)
        return hv_err_set(err, "boot ROM at 0x%llx is not 4 KiB aligned",
                          (unsigned long long)b->rom_pa);
    build_rom(b->rom_host, b);
    if (!cpu->holes && map_holes(cpu, err))
        return -1;

    /* SCR_EL3 = NS | RES1(5:4) | HCE | RW: lower ELs non-secure, HVC enabled,
     * EL2 is AArch64 (unicorn.md: it resets as NS only, RW=0). */
    v = 0x531;
    if (cp_rw(cpu, ENC_SCR_EL3, &v, true))
        return hv_err_set(err, "Unicorn self-test: cannot write SCR_EL3");
    v = b->rom_pa + ROM_VBAR_EL3;
    if (cp_rw(cpu, ENC_VBAR_EL3, &v, true))
        return hv_err_set(err, "Unicorn self-test: cannot write VBAR_EL3");
    v = b->rom_pa + ROM_VBAR_EL2;
    if (cp_rw(cpu, enc_vbar[2], &v, true))
        return hv_err_set(err, "Unicorn self-test: cannot write VBAR_EL2");
    /* HCR_EL2.RW=1 for the self-test's ERET back to EL1: with RW=0 EL1 is
     * AArch32 and returning to AArch64 EL1h is an illegal return. */
    v = 1ull << 31;
    cp_rw(cpu, ENC_HCR_EL2, &v, true);

    /* Run the ROM until its ERET lands at the entry point (an exit). The run
     * is bounded by the block hook's instruction deadline, not by
     * uc_emu_start's count: a counted run installs a per-instruction hook
     * whose removal flushes, and zeroes, Unicorn's whole code buffer. */
    uint64_t saved_deadline = cpu->deadline;
    cpu->booted = false;
    cpu->boot_runaway = false;
    cpu->stop_requested = false;
    cpu->deadline = cpu->icount + 256;
    update_next_check(cpu);
    uint64_t exits[1] = {b->rom_pa + ROM_PARK};
    uc_ctl_set_exits(cpu->uc, exits, 1);
    e = uc_emu_start(cpu->uc, b->rom_pa, 0, 0, 0);
    cpu->insn_pc_valid = false;
    uc_ctl_set_exits(cpu->uc, NULL, 0);
    cpu->deadline = saved_deadline;
    update_next_check(cpu);
    if (e != UC_ERR_OK)
        return hv_err_set(err, "Unicorn self-test: boot ROM failed: %s", uc_strerror(e));
    if (cpu->boot_runaway)
        return hv_err_set(err,
                          "Unicorn self-test: the boot ROM did not reach the entry point "
                          "within 256 instructions (PC 0x%llx, EL%u)",
                          (unsigned long long)hv_cpu_pc(cpu), hv_cpu_el(cpu));

    /* Self-test: we must now be at EL2h, parked in the ROM, with x0 = the
     * DTB. Then go to the entry (outside a run, a PC write is plain). */
    if (hv_cpu_el(cpu) != 2 || hv_cpu_pc(cpu) != b->rom_pa + ROM_PARK ||
        hv_cpu_x(cpu, 0) != b->x[0])
        return hv_err_set(err,
                          "Unicorn self-test: boot ROM did not reach EL2 at 0x%llx "
                          "(EL%u, PC 0x%llx)",
                          (unsigned long long)(b->rom_pa + ROM_PARK), hv_cpu_el(cpu),
                          (unsigned long long)hv_cpu_pc(cpu));
    v = b->entry;
    if (uc_reg_write(cpu->uc, UC_ARM64_REG_PC, &v) != UC_ERR_OK || hv_cpu_pc(cpu) != b->entry)
        return hv_err_set(err, "Unicorn self-test: cannot set the PC to the entry 0x%llx",
                          (unsigned long long)b->entry);
    /* Self-test: the HVC round trip left the architectural syndrome of
     * "HVC #0x5e1f from AArch64" (EC 0x16, IL=1) and ELR_EL2 past it. Then
     * clear what it left behind, so that the image starts from reset values
     * as it would on QEMU. */
    uint64_t esr = sysreg_or0(cpu, enc_esr[2]), elr = sysreg_or0(cpu, enc_elr[2]);
    if (esr != ((0x16u << 26) | (1u << 25) | SELFTEST_IMM) || elr != b->rom_pa + 4)
        return hv_err_set(err,
                          "Unicorn self-test: HVC round trip gave ESR_EL2=0x%llx ELR_EL2=0x%llx "
                          "(expected 0x%x, 0x%llx)",
                          (unsigned long long)esr, (unsigned long long)elr,
                          (0x16u << 26) | (1u << 25) | SELFTEST_IMM,
                          (unsigned long long)(b->rom_pa + 4));
    /* Self-test for the bus-error path: EL2h is AArch64 (env->aarch64) and
     * its regime is ARMMMUIdx_E2 (core index 4, target/arm/cpu.h). */
    if (!hv_uci_is_a64(&cpu->uci) || hv_uci_core_mmu_idx(&cpu->uci) != 4)
        return hv_err_set(err,
                          "Unicorn self-test: at EL2 env->aarch64=%u, core MMU index %d "
                          "(expected 1 and 4)",
                          *cpu->uci.aarch64, hv_uci_core_mmu_idx(&cpu->uci));
    v = 0;
    cp_rw(cpu, ENC_HCR_EL2, &v, true);
    cp_rw(cpu, enc_esr[2], &v, true);
    cp_rw(cpu, enc_elr[2], &v, true);
    cp_rw(cpu, enc_spsr[2], &v, true);
    cp_rw(cpu, enc_vbar[2], &v, true);
    cp_rw(cpu, enc_esr[3], &v, true);
    cpu->booted = true;
    return 0;
}

/* ---- running ------------------------------------------------------------ */

void hv_cpu_request_stop(struct hv_cpu *cpu)
{
    /* Taken at the next block start (on_block), never mid-block. */
    cpu->stop_requested = true;
    update_next_check(cpu);
}

int hv_cpu_run(struct hv_cpu *cpu, enum hv_cpu_stop *why, struct hv_err *err)
{
    uint64_t pc = hv_cpu_pc(cpu);
    uc_err e;

    cpu->stop_requested = false;
    cpu->bus_error = false;
    update_next_check(cpu);
    if (cpu->icount >= cpu->deadline && cpu->cb.deadline) {
        /* A deadline already due (e.g. after a WFI sleep): serve it first. */
        cpu->cb.deadline(cpu->cb.ctx, cpu);
        update_next_check(cpu);
        if (cpu->stop_requested) {
            *why = HV_CPU_STOP_REQUESTED;
            return 0;
        }
    }
    e = uc_emu_start(cpu->uc, pc, 0, 0, 0);
    cpu->insn_pc_valid = false;
    if (cpu->bus_error) {
        *why = HV_CPU_STOP_BUS_ERROR;
        return 0;
    }
    if (e != UC_ERR_OK) {
        *why = HV_CPU_STOP_ENGINE;
        return hv_err_set(err, "engine stopped at PC 0x%llx (EL%u): %s",
                          (unsigned long long)hv_cpu_pc(cpu), hv_cpu_el(cpu), uc_strerror(e));
    }
    *why = cpu->stop_requested ? HV_CPU_STOP_REQUESTED : HV_CPU_STOP_WFI;
    cpu->stop_requested = false;
    cpu->last_access_ra = 0; /* the engine's return addresses are stale now */
    update_next_check(cpu);
    return 0;
}

/* The block hook counts a whole block when it starts (on_block), so inside
 * the block cpu->icount is the count at its end. While a hook serves one of
 * its instructions (an MMIO access, a modelled MRS/MSR), the count retired
 * before that instruction is known exactly from its PC: every A64
 * instruction is 4 bytes and a block is straight-line code, so
 *   exact = icount - (block end - PC) / 4.
 * Everything that reads the time there gets this count: events, the
 * machine's virtual time, and with it the counter the guest reads
 * (CNTPCT/CNTVCT, docs/timer.md). It never goes back: a later instruction
 * of the block has a larger PC, and the next block starts at the end
 * count. Outside such hooks icount is exact already (block starts,
 * exception entries after correct_icount, between runs). */
uint64_t hv_cpu_icount(const struct hv_cpu *cpu)
{
    uint64_t pc;
    if (__builtin_expect(cpu->access_ra != 0, 0)) {
        /* If the access's PC cannot be found, the end count (as before):
         * never the block's start, which could go back behind an earlier
         * exact count of the same block. */
        struct hv_cpu *c = (struct hv_cpu *)cpu; /* the lookup cache only */
        if (!c->access_pc_known) {
            if (c->access_ra == HV_UCI_NO_IO_PC || c->in_debug ||
                !hv_uci_peek_pc(&c->uci, c->access_ra, &c->access_pc))
                return c->icount;
            c->access_pc_known = true;
        }
        pc = c->access_pc;
    } else if (__builtin_expect(cpu->insn_pc_valid, 0))
        pc = cpu->insn_pc;
    else
        return cpu->icount;
    uint64_t end = cpu->blk_addr + cpu->blk_size;
    if (pc >= cpu->blk_addr && pc < end)
        return cpu->icount - ((end - pc) >> 2);
    return cpu->icount;
}

void hv_cpu_set_deadline(struct hv_cpu *cpu, uint64_t icount)
{
    cpu->deadline = icount;
    update_next_check(cpu);
}

/* ---- state ------------------------------------------------------------------ */

static uc_arm64_reg xreg_id(unsigned n)
{
    if (n <= 28)
        return (uc_arm64_reg)(UC_ARM64_REG_X0 + n);
    return n == 29 ? UC_ARM64_REG_X29 : UC_ARM64_REG_X30;
}

uint64_t hv_cpu_x(struct hv_cpu *cpu, unsigned n)
{
    uint64_t v = 0;
    if (n <= 30)
        uc_reg_read(cpu->uc, xreg_id(n), &v);
    return v;
}

void hv_cpu_set_x(struct hv_cpu *cpu, unsigned n, uint64_t v)
{
    if (n <= 30)
        uc_reg_write(cpu->uc, xreg_id(n), &v);
}

uint64_t hv_cpu_pc(struct hv_cpu *cpu)
{
    return *cpu->uci.pc;
}

uint64_t hv_cpu_access_pc(struct hv_cpu *cpu)
{
    uint64_t pc;
    uintptr_t ra = cpu->access_ra;
    if (ra == 0 || ra == HV_UCI_NO_IO_PC || cpu->in_debug)
        return hv_cpu_pc(cpu);
    if (cpu->access_pc_known)
        return cpu->access_pc;
    if (!hv_uci_peek_pc(&cpu->uci, ra, &pc))
        return hv_cpu_pc(cpu);
    cpu->access_pc = pc;
    cpu->access_pc_known = true;
    return pc;
}

void hv_cpu_set_pc(struct hv_cpu *cpu, uint64_t pc)
{
    uc_reg_write(cpu->uc, UC_ARM64_REG_PC, &pc);
}

unsigned hv_cpu_el(struct hv_cpu *cpu)
{
    return hv_uci_el(&cpu->uci);
}

uint64_t hv_cpu_pstate(struct hv_cpu *cpu)
{
    uint32_t ps = 0;
    uc_reg_read(cpu->uc, UC_ARM64_REG_PSTATE, &ps);
    return ps;
}

int hv_cpu_sysreg_get(struct hv_cpu *cpu, uint32_t enc, uint64_t *v)
{
    return cp_rw(cpu, enc, v, false);
}

int hv_cpu_sysreg_set(struct hv_cpu *cpu, uint32_t enc, uint64_t v)
{
    return cp_rw(cpu, enc, &v, true);
}

int hv_cpu_vmreg(struct hv_cpu *cpu, enum hv_cpu_vmreg r, uint64_t *v)
{
    unsigned bit = 1u << r;
    if (__builtin_expect((cpu->vmreg_valid & bit) != 0, 1)) {
        *v = cpu->vmreg[r];
        return 0;
    }
    if (cp_rw(cpu, vmreg_enc[r], v, false))
        return -1;
    if (cpu->vmreg_settle != cpu->icount + 1 && !cpu->vmreg_nocache) {
        cpu->vmreg[r] = *v;
        cpu->vmreg_valid |= bit;
    }
    return 0;
}

void hv_cpu_set_vmreg_cache(struct hv_cpu *cpu, bool on)
{
    cpu->vmreg_nocache = !on;
    cpu->vmreg_valid = 0;
}

/* Debugger-style reads fail where they reach a PA hole (whose catch-all
 * MMIO region would otherwise read as zero). */
int hv_cpu_read_va(struct hv_cpu *cpu, uint64_t va, void *buf, size_t len)
{
    bool nested = cpu->in_debug;
    cpu->in_debug = true;
    cpu->hole_touched = false;
    int rc = hv_uci_read_debug(&cpu->uci, va, buf, len);
    cpu->in_debug = nested;
    return rc == 0 && !cpu->hole_touched ? 0 : -1;
}

int hv_cpu_read_pa(struct hv_cpu *cpu, uint64_t pa, void *buf, size_t len)
{
    bool nested = cpu->in_debug;
    cpu->in_debug = true;
    cpu->hole_touched = false;
    uc_err e = uc_mem_read(cpu->uc, pa, buf, len);
    cpu->in_debug = nested;
    return e == UC_ERR_OK && !cpu->hole_touched ? 0 : -1;
}

void hv_cpu_raise_sysreg_trap(struct hv_cpu *cpu, uint32_t esr, unsigned target_el)
{
    hv_uci_raise(&cpu->uci, HV_EXCP_UDEF, esr, target_el);
}
