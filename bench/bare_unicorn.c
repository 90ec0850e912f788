/* bare_unicorn: the benchmark baseline. Runs a benchmark image on Unicorn
 * with no hooks at all (docs/benchmarks.md), to show what hvsim's run loop
 * costs on top of the engine.
 *
 * usage: bare_unicorn [--hook-block] [--hooks-like-hvsim] [--engine-page-size N] IMAGE.elf
 *
 * The image's PT_LOAD segments go into 128 MiB of RAM at 0x40000000; a RAM
 * page at 0x09000000 stands in for the PL011 (FR reads 0, so the runtime
 * never waits; DR writes just land in RAM). The PE starts at EL1 (Unicorn's
 * reset EL) at the ELF entry and runs until the PC reaches the image's
 * bench_done symbol, in one uc_emu_start. Afterwards the image's
 * bench_checksum global is read back from RAM and printed as
 * "CHECKSUM <hex>", the line the image prints on the UART elsewhere.
 *
 * --hook-block adds one empty UC_HOOK_BLOCK callback that counts
 * instructions (size / 4), and --hooks-like-hvsim adds the set of hooks
 * sim/cpu_el2/cpu.c installs (block, interrupt, MRS, MSR, unmapped memory),
 * with trivial bodies: both exist to split hvsim's overhead into "what the
 * hooks cost inside Unicorn" and "what hvsim's own code costs".
 *
 * The engine gets the page size hvsim gives it (4096 by default, as
 * hv_cpu_create does; docs/architecture.md, "Engine pages"), so that the
 * baseline differs from hvsim only by hvsim's own work; --engine-page-size
 * 1024 leaves Unicorn's own 1 KiB. */
#define _GNU_SOURCE
#include <elf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unicorn/unicorn.h>

#include "cpu_el2/uc_internals.h"

#define RAM_BASE  0x40000000ull
#define RAM_SIZE  0x08000000ull
#define UART_BASE 0x09000000ull
#define PAGE      0x1000ull

struct image {
    uint8_t *data;
    size_t len;
    uint64_t entry;
    uint64_t done;     /* bench_done */
    uint64_t checksum; /* bench_checksum */
};

static int fail(const char *fmt, const char *arg)
{
    fprintf(stderr, "bare_unicorn: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return 1;
}

static int read_file(const char *path, struct image *im)
{
    FILE *f = fopen(path, "rb");
    long n;
    if (!f)
        return -1;
    if (fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET)) {
        fclose(f);
        return -1;
    }
    im->data = malloc((size_t)n);
    if (!im->data || fread(im->data, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        return -1;
    }
    im->len = (size_t)n;
    fclose(f);
    return 0;
}

static bool in_file(const struct image *im, uint64_t off, uint64_t size)
{
    return off <= im->len && size <= im->len - off;
}

/* ELF64 little-endian AArch64 only; the benchmark images are ours. */
static const char *parse_elf(struct image *im)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)im->data;
    if (im->len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_AARCH64)
        return "not an ELF64 AArch64 image";
    if (eh->e_phentsize != sizeof(Elf64_Phdr) ||
        !in_file(im, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)) ||
        eh->e_shentsize != sizeof(Elf64_Shdr) ||
        !in_file(im, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
        return "malformed ELF headers";
    im->entry = eh->e_entry;

    const Elf64_Shdr *sh = (const Elf64_Shdr *)(im->data + eh->e_shoff);
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
            continue;
        const Elf64_Shdr *strs = &sh[sh[i].sh_link];
        if (!in_file(im, sh[i].sh_offset, sh[i].sh_size) ||
            !in_file(im, strs->sh_offset, strs->sh_size))
            return "malformed symbol table";
        const Elf64_Sym *sym = (const Elf64_Sym *)(im->data + sh[i].sh_offset);
        const char *names = (const char *)im->data + strs->sh_offset;
        for (size_t k = 0; k < sh[i].sh_size / sizeof(Elf64_Sym); k++) {
            if (sym[k].st_name >= strs->sh_size)
                continue;
            const char *nm = names + sym[k].st_name;
            if (strnlen(nm, strs->sh_size - sym[k].st_name) == strs->sh_size - sym[k].st_name)
                continue;
            if (strcmp(nm, "bench_done") == 0)
                im->done = sym[k].st_value;
            else if (strcmp(nm, "bench_checksum") == 0)
                im->checksum = sym[k].st_value;
        }
    }
    if (!im->done)
        return "no bench_done symbol (is this a benchmark image?)";
    return NULL;
}

static const char *load_segments(const struct image *im, uint8_t *ram)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)im->data;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(im->data + eh->e_phoff);
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
            continue;
        uint64_t pa = ph[i].p_paddr;
        if (ph[i].p_filesz > ph[i].p_memsz || pa < RAM_BASE || ph[i].p_memsz > RAM_SIZE ||
            pa - RAM_BASE > RAM_SIZE - ph[i].p_memsz ||
            !in_file(im, ph[i].p_offset, ph[i].p_filesz))
            return "a PT_LOAD segment lies outside RAM or the file";
        memcpy(ram + (pa - RAM_BASE), im->data + ph[i].p_offset, ph[i].p_filesz);
        /* The rest (bss) is already zero: RAM comes from calloc. */
    }
    return NULL;
}

/* ---- optional hooks (analysis only) -------------------------------------- */

static uint64_t icount;

static void hook_block(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
    (void)uc;
    (void)addr;
    (void)ud;
    icount += size >> 2;
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *ud)
{
    (void)ud;
    fprintf(stderr, "bare_unicorn: unexpected exception %u\n", intno);
    uc_emu_stop(uc);
}

static uint32_t hook_sysreg(uc_engine *uc, uc_arm64_reg reg, const uc_arm64_cp_reg *cp, void *ud)
{
    (void)uc;
    (void)reg;
    (void)cp;
    (void)ud;
    return 0; /* QEMU handles it */
}

static bool hook_unmapped(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
                          void *ud)
{
    (void)uc;
    (void)type;
    (void)size;
    (void)value;
    (void)ud;
    fprintf(stderr, "bare_unicorn: unmapped access at 0x%" PRIx64 "\n", addr);
    return false;
}

/* ---- main ------------------------------------------------------------------- */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cp_write(uc_engine *uc, unsigned op0, unsigned op1, unsigned crn, unsigned crm,
                    unsigned op2, uint64_t v)
{
    uc_arm64_cp_reg cp = {.crn = crn, .crm = crm, .op0 = op0, .op1 = op1, .op2 = op2, .val = v};
    return uc_reg_write(uc, UC_ARM64_REG_CP_REG, &cp) == UC_ERR_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct image im = {0};
    const char *path = NULL, *msg;
    bool block_hook = false, hvsim_hooks = false;
    uint32_t page_size = HV_UCI_PAGE_DEFAULT;
    char notice[160];
    uc_engine *uc;
    uc_err e;
    uint8_t *ram, *uart;
    uc_hook h;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--hook-block") == 0)
            block_hook = true;
        else if (strcmp(argv[i], "--hooks-like-hvsim") == 0)
            hvsim_hooks = true;
        else if (strcmp(argv[i], "--engine-page-size") == 0 && i + 1 < argc)
            page_size = (uint32_t)strtoul(argv[++i], NULL, 0);
        else if (argv[i][0] == '-' || path)
            return fail("usage: bare_unicorn [--hook-block] [--hooks-like-hvsim] "
                        "[--engine-page-size N] IMAGE.elf%s",
                        "");
        else
            path = argv[i];
    }
    if (!path)
        return fail("usage: bare_unicorn [--hook-block] [--hooks-like-hvsim] "
                    "[--engine-page-size N] IMAGE.elf%s",
                    "");
    if (read_file(path, &im))
        return fail("cannot read %s", path);
    if ((msg = parse_elf(&im)))
        return fail("%s", msg);

    ram = calloc(1, RAM_SIZE);
    uart = aligned_alloc(PAGE, PAGE);
    if (!ram || !uart)
        return fail("%s", "out of memory");
    memset(uart, 0, PAGE);
    if ((msg = load_segments(&im, ram)))
        return fail("%s", msg);

    double t0 = now();
    if ((e = uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &uc)) != UC_ERR_OK)
        return fail("uc_open: %s", uc_strerror(e));
    if (hv_uci_set_page_size(uc, page_size, notice, sizeof(notice)) != page_size)
        return fail("%s", notice);
    if ((e = uc_ctl_set_cpu_model(uc, UC_CPU_ARM64_A72)) != UC_ERR_OK ||
        (e = uc_mem_map_ptr(uc, RAM_BASE, RAM_SIZE, UC_PROT_ALL, ram)) != UC_ERR_OK ||
        (e = uc_mem_map_ptr(uc, UART_BASE, PAGE, UC_PROT_READ | UC_PROT_WRITE, uart)) != UC_ERR_OK)
        return fail("set-up: %s", uc_strerror(e));
    /* As firmware would leave it: EL1 is AArch64 (SCR_EL3.RW, HCR_EL2.RW) and
     * non-secure. Unicorn resets with RW=0, and QEMU's translation-regime
     * code would then read EL1's translation tables in the AArch32 format. */
    if (cp_write(uc, 3, 6, 1, 1, 0, 0x531) || cp_write(uc, 3, 4, 1, 1, 0, 1ull << 31))
        return fail("%s", "cannot write SCR_EL3/HCR_EL2");

    if (block_hook || hvsim_hooks)
        uc_hook_add(uc, &h, UC_HOOK_BLOCK, (void *)hook_block, NULL, 1, 0);
    if (hvsim_hooks) {
        uc_hook_add(uc, &h, UC_HOOK_INTR, (void *)hook_intr, NULL, 1, 0);
        uc_hook_add(uc, &h, UC_HOOK_INSN, (void *)hook_sysreg, NULL, 1, 0, UC_ARM64_INS_MRS);
        uc_hook_add(uc, &h, UC_HOOK_INSN, (void *)hook_sysreg, NULL, 1, 0, UC_ARM64_INS_MSR);
        uc_hook_add(uc, &h, UC_HOOK_MEM_UNMAPPED, (void *)hook_unmapped, NULL, 1, 0);
    }

    double t1 = now();
    e = uc_emu_start(uc, im.entry, im.done, 0, 0);
    double t2 = now();

    uint64_t pc = 0;
    uc_reg_read(uc, UC_ARM64_REG_PC, &pc);
    if (e != UC_ERR_OK || pc != im.done) {
        fprintf(stderr,
                "bare_unicorn: stopped at PC 0x%" PRIx64 " (bench_done is 0x%" PRIx64 "): %s\n", pc,
                im.done, uc_strerror(e));
        return 1;
    }
    /* The image turned on the stage-1 MMU of EL1: say whether it stuck. */
    uc_arm64_cp_reg sctlr = {.crn = 1, .crm = 0, .op0 = 3, .op1 = 0, .op2 = 0};
    uc_reg_read(uc, UC_ARM64_REG_CP_REG, &sctlr);
    if (im.checksum >= RAM_BASE && im.checksum + 8 <= RAM_BASE + RAM_SIZE) {
        uint64_t cs;
        memcpy(&cs, ram + (im.checksum - RAM_BASE), sizeof(cs));
        printf("CHECKSUM %016" PRIx64 "\n", cs);
    }
    fprintf(stderr,
            "bare_unicorn: reached bench_done at EL1 (stage-1 MMU %s); set-up %.3f s, "
            "uc_emu_start %.3f s",
            (sctlr.val & 1) ? "on" : "OFF", t1 - t0, t2 - t1);
    if (block_hook || hvsim_hooks)
        fprintf(stderr, ", %" PRIu64 " instructions", icount);
    fputc('\n', stderr);
    uc_close(uc);
    free(uart);
    free(ram);
    free(im.data);
    return 0;
}
