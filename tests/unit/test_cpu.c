/* Unit tests for sim/cpu_el2 that need no image: sysreg table rules, ISS
 * packing, the disassembler. Image-driven CPU tests are end-to-end (pytest). */
#include <check.h>

#include "check_run.h"
#include <stdlib.h>
#include <string.h>

#include "cpu_el2/cpu.h"
#include "cpu_el2/uc_internals.h"

START_TEST(test_sysreg_pack)
{
    /* ICC_IAR1_EL1 is op0=3 op1=0 CRn=12 CRm=12 op2=0. */
    uint32_t e = HV_SYSREG(3, 0, 12, 12, 0);
    ck_assert_uint_eq(HV_SYSREG_OP0(e), 3);
    ck_assert_uint_eq(HV_SYSREG_OP1(e), 0);
    ck_assert_uint_eq(HV_SYSREG_CRN(e), 12);
    ck_assert_uint_eq(HV_SYSREG_CRM(e), 12);
    ck_assert_uint_eq(HV_SYSREG_OP2(e), 0);
    /* Arm ARM D17.2.37 / the notes: MRS x0, ICC_IAR1_EL1 trapped to EL2
     * reads ESR_EL2 = 0x62303019 (EC 0x18, IL, ISS below). */
    uint32_t esr = (0x18u << 26) | (1u << 25) | hv_sysreg_trap_iss(e, 0, true);
    ck_assert_uint_eq(esr, 0x62303019u);
}
END_TEST

static uint64_t rd_const(void *ctx, struct hv_cpu *cpu, const struct hv_sysreg_desc *d)
{
    (void)ctx;
    (void)cpu;
    return d->arg;
}

static const struct hv_sysreg_desc table_a[] = {
    {.enc = HV_SYSREG(3, 0, 12, 12, 0), .name = "A", .read = rd_const, .arg = 1},
};
static const struct hv_sysreg_desc table_dup[] = {
    {.enc = HV_SYSREG(3, 0, 12, 12, 0), .name = "DUP", .read = rd_const, .arg = 2},
};

START_TEST(test_sysreg_register_rejects_duplicates)
{
    struct hv_cpu *cpu;
    struct hv_err err;
    ck_assert_int_eq(hv_cpu_create(&cpu, NULL, NULL, &err), 0);
    ck_assert_int_eq(hv_cpu_register_sysregs(cpu, table_a, 1, NULL, &err), 0);
    ck_assert_ptr_eq(hv_cpu_find_sysreg(cpu, HV_SYSREG(3, 0, 12, 12, 0)), &table_a[0]);
    ck_assert_ptr_null(hv_cpu_find_sysreg(cpu, HV_SYSREG(3, 0, 12, 12, 1)));
    ck_assert_int_eq(hv_cpu_register_sysregs(cpu, table_dup, 1, NULL, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "already registered as A"));
    hv_cpu_destroy(cpu);
}
END_TEST

/* Unicorn 2.1.1's own function, which hv_uci_tlb_reset() replaces in the
 * hvsim CLI (exported by libunicorn; this test links it unwrapped). */
void tlb_reset_dirty_by_vaddr_aarch64(void *cs, uint64_t start, uint64_t length);

static void no_el_hook(void *opaque)
{
    (void)opaque;
}

/* hv_uci_tlb_reset must leave the TLBs as Unicorn's full scan would: after
 * it, Unicorn's scan finds nothing left to mark, and it did mark the
 * entries of pages the guest has stored to (so the test can fail). */
/* The engine page sizes the TLB reset is checked with (loop index). */
static const uint32_t tlb_pages[] = {1024, 4096};

START_TEST(test_tlb_reset_matches_unicorn)
{
    /* x1 = 0x40010000; 64 times: str x2, [x1]; x1 += 1 KiB. Then nop. */
    static const uint32_t code[] = {0xd2a80021, 0xd2800802, 0xf9000022, 0x91100021,
                                    0xf1000442, 0x54ffffa1, 0xd503201f};
    uc_engine *uc;
    struct hv_uci uci;
    struct hv_err err;

    ck_assert_int_eq(uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &uc), UC_ERR_OK);
    ck_assert_uint_eq(hv_uci_set_page_size(uc, tlb_pages[_i], NULL, 0), tlb_pages[_i]);
    ck_assert_int_eq(uc_mem_map(uc, 0x40000000, 0x100000, UC_PROT_ALL), UC_ERR_OK);
    ck_assert_int_eq(uc_mem_write(uc, 0x40000000, code, sizeof(code)), UC_ERR_OK);
    ck_assert_int_eq(hv_uci_init(uc, &uci, no_el_hook, no_el_hook, NULL, &err), 0);
    ck_assert(hv_uci_tlb_reset_fast());
    uint32_t page = hv_uci_page_size(uc);
    ck_assert_uint_eq(page, tlb_pages[_i]);
    ck_assert_int_eq(uc_emu_start(uc, 0x40000000, 0x40000018, 0, 0), UC_ERR_OK);

    size_t n = hv_uci_tlb_copy(uci.cs, NULL, 0);
    ck_assert_uint_gt(n, 0);
    uint8_t *before = malloc(n), *ours = malloc(n), *theirs = malloc(n);
    ck_assert(before && ours && theirs);
    const struct {
        uint64_t start, len;
        bool marks; /* the range holds pages the guest stored to */
    } cases[] = {
        {0x40010000, 8, true},                   /* the first stored-to page */
        {0x40010000 + 4 * page, page + 8, true}, /* two pages */
        {0x40010000 + 63 * 1024, 8, true},       /* the last one */
        {0x40010000, 8, false},                  /* again: already marked */
        {0x50000000, 2 * page, false},           /* nothing mapped there */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t start = cases[i].start & ~(uint64_t)(page - 1);
        uint64_t len = cases[i].start - start + cases[i].len;
        ck_assert_uint_eq(hv_uci_tlb_copy(uci.cs, before, n), n);
        hv_uci_tlb_reset(uci.cs, start, len);
        ck_assert_uint_eq(hv_uci_tlb_copy(uci.cs, ours, n), n);
        tlb_reset_dirty_by_vaddr_aarch64(uci.cs, start, len);
        ck_assert_uint_eq(hv_uci_tlb_copy(uci.cs, theirs, n), n);
        ck_assert_msg(memcmp(ours, theirs, n) == 0, "case %zu: Unicorn's scan found more", i);
        ck_assert_msg((memcmp(before, ours, n) != 0) == cases[i].marks, "case %zu", i);
    }
    free(before);
    free(ours);
    free(theirs);
    uc_close(uc);
}
END_TEST

/* The engine page size (docs/architecture.md, "Engine pages"): 4 KiB by
 * default, 1 KiB on request, and a refusal that keeps Unicorn's 1 KiB when
 * the request cannot be honoured. The target page size decides what the
 * engine can map: with 4 KiB pages a 1 KiB mapping must be refused. */
START_TEST(test_engine_page_size)
{
    struct hv_cpu *cpu;
    struct hv_err err;
    const char *why = "unset";
    ck_assert_int_ge(hv_uci_target_bits_offset(&why), 8);
    ck_assert_ptr_null(why);

    ck_assert_int_eq(hv_cpu_create(&cpu, NULL, NULL, &err), 0);
    ck_assert_uint_eq(hv_cpu_page_size(cpu), 4096);
    ck_assert_ptr_null(hv_cpu_page_notice(cpu));
    static uint8_t ram[0x2000] __attribute__((aligned(4096)));
    ck_assert_int_eq(hv_cpu_map_ram(cpu, 0x40000400, 0x400, ram, false, &err), -1);
    ck_assert_int_eq(hv_cpu_map_ram(cpu, 0x40000000, 0x1000, ram, false, &err), 0);
    hv_cpu_destroy(cpu);

    ck_assert_int_eq(hv_cpu_create_paged(&cpu, NULL, NULL, 1024, &err), 0);
    ck_assert_uint_eq(hv_cpu_page_size(cpu), 1024);
    ck_assert_ptr_null(hv_cpu_page_notice(cpu));
    ck_assert_int_eq(hv_cpu_map_ram(cpu, 0x40000400, 0x400, ram, false, &err), 0);
    hv_cpu_destroy(cpu);

    /* Refusals: a size other than 1024/4096, an engine already started. */
    char notice[160];
    uc_engine *uc;
    uint64_t pc;
    ck_assert_int_eq(uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &uc), UC_ERR_OK);
    ck_assert_uint_eq(hv_uci_set_page_size(uc, 2048, notice, sizeof(notice)), 1024);
    ck_assert_ptr_nonnull(strstr(notice, "only 1024 and 4096"));
    ck_assert_int_eq(uc_reg_read(uc, UC_ARM64_REG_PC, &pc), UC_ERR_OK);
    ck_assert_uint_eq(hv_uci_set_page_size(uc, 4096, notice, sizeof(notice)), 1024);
    ck_assert_ptr_nonnull(strstr(notice, "already initialised"));
    ck_assert_uint_eq(hv_uci_page_size(uc), 1024);
    uc_close(uc);
}
END_TEST

/* Self-modifying code (uc_internals.h, "instruction cache maintenance"):
 * a routine stores data next to itself, rewrites its own first instruction
 * (movz w0, #1 -> #2), runs DC CVAU, DSB, IC, DSB, ISB and branches back to
 * it once. Served through hv_uci_ic_sys() from a SYS hook (what hv_cpu does
 * where the access check is not wrapped, as in this test's shared
 * Unicorn), the second pass returns 2. The control run without the hook
 * shows the Unicorn 2.1.1 defect the service exists for: it returns 1. */
static uint32_t ic_hook(uc_engine *uc, uc_arm64_reg reg, const uc_arm64_cp_reg *cp, void *ud)
{
    (void)uc;
    (void)reg;
    hv_uci_ic_sys(ud, cp);
    return 0;
}

START_TEST(test_ic_drops_rewritten_block)
{
    enum { IVAU, IALLU, IALLUIS, NONE };
    static const uint32_t ic_insn[] = {0xd50b7521 /* ic ivau, x1 */, 0xd508751f /* ic iallu */,
                                       0xd508711f /* ic ialluis */, 0xd50b7521};
    unsigned kind = (unsigned)_i % 4;
    uint32_t page = tlb_pages[_i / 4];
    const uint32_t code[] = {
        0x52800020,                /* movz w0, #1 (rewritten to movz w0, #2) */
        0xb902003f,                /* str wzr, [x1, #512] */
        0xb9000022,                /* str w2, [x1] */
        0xd50b7b21,                /* dc cvau, x1 */
        0xd5033b9f,                /* dsb ish */
        ic_insn[kind], 0xd5033b9f, /* dsb ish */
        0xd5033fdf,                /* isb */
        0x35000063,                /* cbnz w3, ret */
        0x52800023,                /* movz w3, #1 */
        0x17fffff6,                /* b first */
        0xd65f03c0,                /* ret */
    };
    static uint8_t ram[0x2000] __attribute__((aligned(4096)));
    const uint64_t base = 0x40000000, at = base + 0x100, done = base + 0xf00;
    uc_engine *uc;
    struct hv_uci uci;
    struct hv_err err;
    uc_hook h;

    memset(ram, 0, sizeof(ram));
    memcpy(ram + 0x100, code, sizeof(code));
    ck_assert_int_eq(uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &uc), UC_ERR_OK);
    ck_assert_uint_eq(hv_uci_set_page_size(uc, page, NULL, 0), page);
    ck_assert_int_eq(uc_mem_map_ptr(uc, base, sizeof(ram), UC_PROT_ALL, ram), UC_ERR_OK);
    ck_assert_int_eq(hv_uci_init(uc, &uci, no_el_hook, no_el_hook, NULL, &err), 0);
    ck_assert_int_eq(hv_uci_add_ram(&uci, ram, sizeof(ram)), 0);
    if (kind != NONE)
        ck_assert_int_eq(
            uc_hook_add(uc, &h, UC_HOOK_INSN, (void *)ic_hook, &uci, 1, 0, UC_ARM64_INS_SYS),
            UC_ERR_OK);
    uint64_t x1 = at, x2 = 0x52800040 /* movz w0, #2 */, x3 = 0, lr = done, x0 = 0;
    uc_reg_write(uc, UC_ARM64_REG_X1, &x1);
    uc_reg_write(uc, UC_ARM64_REG_X2, &x2);
    uc_reg_write(uc, UC_ARM64_REG_X3, &x3);
    uc_reg_write(uc, UC_ARM64_REG_X30, &lr);
    ck_assert_int_eq(uc_emu_start(uc, at, done, 0, 0), UC_ERR_OK);
    uc_reg_read(uc, UC_ARM64_REG_X0, &x0);
    ck_assert_uint_eq(x0, kind == NONE ? 1 : 2);
    if (kind == IVAU)
        ck_assert_uint_eq(uci.ic_va_seen, 2);
    if (kind == IALLU || kind == IALLUIS)
        ck_assert_uint_eq(uci.ic_all_seen, 2);
    hv_uci_fini(&uci);
    uc_close(uc);
}
END_TEST

START_TEST(test_disasm)
{
    char buf[64];
    hv_disasm_word(0xd4000842u, 0x1000, buf, sizeof(buf)); /* hvc #0x42 */
    ck_assert_str_eq(buf, "hvc #0x42");
    hv_disasm_word(0xd69f03e0u, 0x1000, buf, sizeof(buf));
    ck_assert_str_eq(buf, "eret");
    hv_disasm_word(0xffffffffu, 0x1000, buf, sizeof(buf));
    ck_assert_str_eq(buf, ".inst 0xffffffff");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cpu");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_sysreg_pack);
    tcase_add_test(tc, test_sysreg_register_rejects_duplicates);
    tcase_add_test(tc, test_disasm);
    tcase_add_loop_test(tc, test_tlb_reset_matches_unicorn, 0, 2);
    tcase_add_test(tc, test_engine_page_size);
    tcase_add_loop_test(tc, test_ic_drops_rewritten_block, 0, 8);
    suite_add_tcase(s, tc);
    return hv_check_run(s);
}
