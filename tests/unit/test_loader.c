/* Unit tests for sim/platform/loader.c: ELF64, Linux arm64 Image and raw
 * loading into a two-window target, the errors for every malformed input,
 * and the strict number / FILE@ADDR parsers.
 *
 * ELF files are built in memory from <elf.h> structs (struct test_elf lays
 * out the file exactly: header at 0, program headers at 0x40, payload after),
 * so each test says precisely which field is wrong. The structs are written
 * in host byte order, which is what an ELFDATA2LSB file needs on the
 * little-endian hosts hvsim supports.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <check.h>

#include "check_run.h"
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/loader.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "test images are built in host order");

#define RAM_BASE   0x40000000ull
#define RAM_SIZE   0x400000ull /* 4 MiB: room for a Linux Image at +2 MiB */
#define FLASH_BASE 0x0ull
#define FLASH_SIZE 0x10000ull
#define POISON     0xa5

static uint8_t ram[RAM_SIZE];
static uint8_t flash[FLASH_SIZE];
static struct hv_mem_target tgt;
static struct hv_loaded_image out;
static struct hv_err err;

static void setup(void)
{
    memset(ram, POISON, sizeof(ram));
    memset(flash, POISON, sizeof(flash));
    memset(&tgt, 0, sizeof(tgt));
    tgt.win[0] = (struct hv_mem_window){.pa = RAM_BASE, .size = RAM_SIZE, .host = ram};
    tgt.win[1] = (struct hv_mem_window){.pa = FLASH_BASE, .size = FLASH_SIZE, .host = flash};
    tgt.nwin = 2;
    memset(&out, 0x5a, sizeof(out));
    memset(&err, 0, sizeof(err));
}

static void teardown(void)
{
}

/* Count bytes of [off, off+n) of a window that are no longer POISON. */
static size_t touched(const uint8_t *w, size_t off, size_t n)
{
    size_t c = 0;
    for (size_t i = off; i < off + n; i++)
        c += w[i] != POISON;
    return c;
}

static bool untouched(void)
{
    return touched(ram, 0, sizeof(ram)) == 0 && touched(flash, 0, sizeof(flash)) == 0;
}

static int load(const void *data, size_t len, enum hv_image_kind kind, uint64_t raw_addr,
                const struct hv_loaded_image *already, unsigned nalready)
{
    return hv_load_image(data, len, kind, raw_addr, &tgt, already, nalready, &out, &err);
}

/* A failing load: -1, the exact message, and guest memory unchanged. */
#define ck_load_fails(data, len, kind, raw, want)                                                  \
    do {                                                                                           \
        ck_assert_int_eq(load((data), (len), (kind), (raw), NULL, 0), -1);                         \
        ck_assert_str_eq(err.msg, (want));                                                         \
        ck_assert(untouched());                                                                    \
    } while (0)

/* ---- in-memory ELF files ------------------------------------------------- */

#define MAX_PH 20

struct test_elf {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[MAX_PH];
    uint8_t data[4096];
};

#define DATA_OFF ((uint64_t)offsetof(struct test_elf, data))

static struct test_elf elf;

static void elf_init(unsigned phnum, uint64_t entry)
{
    memset(&elf, 0, sizeof(elf));
    memcpy(elf.eh.e_ident, ELFMAG, SELFMAG);
    elf.eh.e_ident[EI_CLASS] = ELFCLASS64;
    elf.eh.e_ident[EI_DATA] = ELFDATA2LSB;
    elf.eh.e_ident[EI_VERSION] = EV_CURRENT;
    elf.eh.e_type = ET_EXEC;
    elf.eh.e_machine = EM_AARCH64;
    elf.eh.e_version = EV_CURRENT;
    elf.eh.e_entry = entry;
    elf.eh.e_phoff = offsetof(struct test_elf, ph);
    elf.eh.e_ehsize = sizeof(Elf64_Ehdr);
    elf.eh.e_phentsize = sizeof(Elf64_Phdr);
    elf.eh.e_phnum = (Elf64_Half)phnum;
}

/* Program header i: a PT_LOAD by default, file bytes at data[doff]. */
static void elf_seg(unsigned i, uint64_t doff, uint64_t pa, uint64_t filesz, uint64_t memsz)
{
    elf.ph[i] = (Elf64_Phdr){.p_type = PT_LOAD,
                             .p_flags = PF_R | PF_X,
                             .p_offset = DATA_OFF + doff,
                             .p_vaddr = pa,
                             .p_paddr = pa,
                             .p_filesz = filesz,
                             .p_memsz = memsz,
                             .p_align = 0x1000};
}

static int load_elf(void)
{
    return load(&elf, sizeof(elf), HV_IMAGE_AUTO, 0, NULL, 0);
}

/* The valid image most tests start from and break one field of:
 * segment 0: 0x20 bytes of code at 0x40000000, entry at +4;
 * segment 1: 0x10 file bytes at 0x40010000 plus 0xf0 bytes of .bss. */
static void elf_two_segments(void)
{
    elf_init(3, RAM_BASE + 4);
    for (unsigned i = 0; i < 0x20; i++)
        elf.data[i] = (uint8_t)(0x10 + i);
    for (unsigned i = 0; i < 0x10; i++)
        elf.data[0x100 + i] = (uint8_t)(0x80 + i);
    elf_seg(0, 0, RAM_BASE, 0x20, 0x20);
    elf.ph[1] = (Elf64_Phdr){.p_type = PT_NOTE, .p_offset = 0xdead0000, .p_filesz = 0x10};
    elf_seg(2, 0x100, RAM_BASE + 0x10000, 0x10, 0x100);
}

START_TEST(test_elf_two_segments_bss_entry)
{
    elf_two_segments();
    ck_assert_int_eq(load_elf(), 0);
    ck_assert_int_eq(out.kind, HV_IMAGE_ELF);
    ck_assert_uint_eq(out.entry, RAM_BASE + 4);
    ck_assert_uint_eq(out.nsegs, 2);
    ck_assert_uint_eq(out.segs[0].pa, RAM_BASE);
    ck_assert_uint_eq(out.segs[0].filesz, 0x20);
    ck_assert_uint_eq(out.segs[0].memsz, 0x20);
    ck_assert_uint_eq(out.segs[1].pa, RAM_BASE + 0x10000);
    ck_assert_uint_eq(out.segs[1].filesz, 0x10);
    ck_assert_uint_eq(out.segs[1].memsz, 0x100);
    ck_assert_uint_eq(out.lowest, RAM_BASE);
    ck_assert_uint_eq(out.highest, RAM_BASE + 0x10100);
    /* The file bytes, then .bss zeroed, and nothing else written. */
    ck_assert_mem_eq(ram, elf.data, 0x20);
    ck_assert_mem_eq(ram + 0x10000, elf.data + 0x100, 0x10);
    for (unsigned i = 0x10010; i < 0x10100; i++)
        ck_assert_uint_eq(ram[i], 0);
    ck_assert_uint_eq(touched(ram, 0x20, 0x10000 - 0x20), 0);
    ck_assert_uint_eq(touched(ram, 0x10100, RAM_SIZE - 0x10100), 0);
    ck_assert_uint_eq(touched(flash, 0, FLASH_SIZE), 0);
}
END_TEST

START_TEST(test_elf_into_second_window_and_empty_segment_skipped)
{
    elf_init(2, 0x100);
    elf.data[0] = 0x42;
    elf_seg(0, 0, 0x100, 1, 1);
    elf_seg(1, 0, RAM_BASE, 0, 0); /* p_memsz 0: occupies nothing */
    ck_assert_int_eq(load(&elf, sizeof(elf), HV_IMAGE_ELF, 0, NULL, 0), 0);
    ck_assert_uint_eq(out.nsegs, 1);
    ck_assert_uint_eq(out.entry, 0x100);
    ck_assert_uint_eq(flash[0x100], 0x42);
    ck_assert_uint_eq(touched(ram, 0, RAM_SIZE), 0);
}
END_TEST

START_TEST(test_elf_dyn_uses_paddr_as_absolute)
{
    elf_two_segments();
    elf.eh.e_type = ET_DYN;
    ck_assert_int_eq(load_elf(), 0);
    ck_assert_uint_eq(out.segs[0].pa, RAM_BASE);
    ck_assert_uint_eq(out.entry, RAM_BASE + 4);
}
END_TEST

START_TEST(test_elf_entry_outside_segments)
{
    elf_two_segments();
    elf.eh.e_entry = RAM_BASE + 0x20; /* one past the end of segment 0 */
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_AUTO, 0,
                  "entry point 0x40000020 is not inside any loaded segment");
    elf_two_segments();
    elf.ph[0].p_vaddr = 0xffff800000000000ull; /* linked for the MMU on */
    elf.eh.e_entry = 0xffff800000000004ull;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_AUTO, 0,
                  "entry point 0xffff800000000004 is a virtual address (inside segment 0's "
                  "p_vaddr range), not inside any loaded segment's physical range; hvsim "
                  "starts with the MMU off");
}
END_TEST

START_TEST(test_elf_segment_outside_ram)
{
    elf_two_segments();
    elf.ph[2].p_paddr = RAM_BASE + RAM_SIZE + 0x100000;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "segment 2 [0x40500000, 0x40500100) lies outside RAM [0x40000000, 0x40400000) "
                  "and memory window 1 [0x0, 0x10000)");
    /* With RAM alone, the message of the documentation. */
    tgt.nwin = 1;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "segment 2 [0x40500000, 0x40500100) lies outside RAM [0x40000000, 0x40400000)");
}
END_TEST

START_TEST(test_elf_segment_straddles_end_of_ram)
{
    elf_two_segments();
    elf.ph[2].p_paddr = RAM_BASE + RAM_SIZE - 0x80; /* 0x80 of its 0x100 bytes stick out */
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "segment 2 [0x403fff80, 0x40400080) runs past the end of RAM [0x40000000, "
                  "0x40400000)");
    elf_two_segments();
    elf.ph[0].p_paddr = RAM_BASE - 0x10;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "segment 0 [0x3ffffff0, 0x40000010) starts below RAM [0x40000000, 0x40400000)");
}
END_TEST

START_TEST(test_elf_segment_across_two_adjacent_windows)
{
    /* Two windows back to back still are two windows: a segment must lie in
     * one, since their host memory is not contiguous. */
    static uint8_t more[0x1000];
    memset(more, POISON, sizeof(more));
    tgt.win[1] = (struct hv_mem_window){.pa = RAM_BASE + RAM_SIZE, .size = 0x1000, .host = more};
    elf_two_segments();
    elf.ph[2].p_paddr = RAM_BASE + RAM_SIZE - 0x80;
    ck_assert_int_eq(load_elf(), -1);
    ck_assert_str_eq(err.msg, "segment 2 [0x403fff80, 0x40400080) runs past the end of RAM "
                              "[0x40000000, 0x40400000)");
    ck_assert_uint_eq(touched(more, 0, sizeof(more)), 0);
    ck_assert_uint_eq(touched(ram, 0, RAM_SIZE), 0);
}
END_TEST

START_TEST(test_elf_overlapping_segments)
{
    elf_two_segments();
    elf.ph[2].p_paddr = RAM_BASE + 0x1f; /* last byte of segment 0 */
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "segment 2 [0x4000001f, 0x4000011f) overlaps segment 0 [0x40000000, "
                  "0x40000020)");
    /* Touching is fine. */
    elf.ph[2].p_paddr = RAM_BASE + 0x20;
    ck_assert_int_eq(load_elf(), 0);
}
END_TEST

START_TEST(test_elf_overlaps_already_loaded)
{
    struct hv_loaded_image prev[2] = {0};
    prev[0].kind = HV_IMAGE_RAW;
    prev[0].nsegs = 1;
    prev[0].segs[0].pa = 0x0;
    prev[0].segs[0].memsz = 0x1000;
    prev[1].kind = HV_IMAGE_LINUX;
    prev[1].nsegs = 1;
    prev[1].segs[0].pa = RAM_BASE + 0x100ff;
    prev[1].segs[0].memsz = 0x1;
    elf_two_segments();
    ck_assert_int_eq(load(&elf, sizeof(elf), HV_IMAGE_ELF, 0, prev, 2), -1);
    ck_assert_str_eq(err.msg, "segment 2 [0x40010000, 0x40010100) overlaps image 1 loaded "
                              "earlier (Linux Image, segment 0 [0x400100ff, 0x40010100))");
    ck_assert(untouched());
    /* Just below it is fine; nalready = 1 hides image 1. */
    ck_assert_int_eq(load(&elf, sizeof(elf), HV_IMAGE_ELF, 0, prev, 1), 0);
}
END_TEST

START_TEST(test_elf_file_range_beyond_file)
{
    elf_two_segments();
    elf.ph[2].p_offset = sizeof(elf) - 0xf; /* needs 0x10 bytes, 0xf exist */
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "segment 2: p_offset 0x1491 + p_filesz 0x10 runs past the end of the "
                  "0x14a0-byte file");
    elf.ph[2].p_offset = sizeof(elf) - 0x10; /* exactly to the end: fine */
    ck_assert_int_eq(load_elf(), 0);
}
END_TEST

START_TEST(test_elf_filesz_above_memsz)
{
    elf_two_segments();
    elf.ph[0].p_filesz = 0x21;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "segment 0: p_filesz 0x21 is larger than p_memsz 0x20");
}
END_TEST

START_TEST(test_elf_huge_values_overflow)
{
    elf_two_segments();
    elf.ph[0].p_offset = UINT64_MAX - 0x8; /* + p_filesz 0x20 wraps */
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "segment 0: p_offset 0xfffffffffffffff7 + p_filesz 0x20 runs past the end "
                  "of the 0x14a0-byte file");
    elf_two_segments();
    elf.ph[2].p_paddr = UINT64_MAX - 0x7f; /* + p_memsz 0x100 wraps */
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "segment 2 at 0xffffffffffffff80 with size 0x100 wraps past the end of the "
                  "64-bit address space");
    elf_two_segments();
    elf.ph[2].p_filesz = 0;
    elf.ph[2].p_memsz = UINT64_MAX;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "segment 2 at 0x40010000 with size 0xffffffffffffffff wraps past the end of "
                  "the 64-bit address space");
    elf_two_segments();
    elf.ph[2].p_paddr = 0x10; /* in flash, but 2^64 - 0x20 bytes long */
    elf.ph[2].p_filesz = 0;
    elf.ph[2].p_memsz = UINT64_MAX - 0x1f;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "segment 2 [0x10, 0xfffffffffffffff0) runs past the end of memory window 1 "
                  "[0x0, 0x10000)");
    elf_two_segments();
    elf.eh.e_phoff = UINT64_MAX - 0x10;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "truncated ELF: program headers at e_phoff 0xffffffffffffffef (0x3 x 0x38 "
                  "bytes) run past the end of the 0x14a0-byte file");
    elf_two_segments();
    elf.eh.e_entry = UINT64_MAX;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "entry point 0xffffffffffffffff is not inside any loaded segment");
}
END_TEST

START_TEST(test_elf_wrong_class_machine_endian)
{
    elf_two_segments();
    elf.eh.e_ident[EI_CLASS] = ELFCLASS32;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_AUTO, 0,
                  "32-bit ELF (ELFCLASS32), not ELF64: AArch64 images are ELF64");
    elf.eh.e_ident[EI_CLASS] = 7;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_AUTO, 0,
                  "invalid ELF class 0x7 in e_ident[EI_CLASS] (expected 2, ELF64)");

    elf_two_segments();
    elf.eh.e_ident[EI_DATA] = ELFDATA2MSB;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_AUTO, 0,
                  "big-endian ELF (ELFDATA2MSB): hvsim runs little-endian AArch64 images only");

    elf_two_segments();
    elf.eh.e_machine = EM_X86_64;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_AUTO, 0,
                  "ELF for machine 62 (x86-64), not AArch64 (183)");
    elf.eh.e_machine = EM_ARM;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_AUTO, 0,
                  "ELF for machine 40 (ARM (32-bit)), not AArch64 (183)");
    elf.eh.e_machine = EM_RISCV;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_AUTO, 0,
                  "ELF for machine 243 (RISC-V), not AArch64 (183)");
    elf.eh.e_machine = 999;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_AUTO, 0, "ELF for machine 999, not AArch64 (183)");
}
END_TEST

START_TEST(test_elf_bad_header_fields)
{
    elf_two_segments();
    elf.eh.e_ident[EI_VERSION] = 0;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "unsupported ELF version 0x0 in e_ident[EI_VERSION] (expected 1)");
    elf_two_segments();
    elf.eh.e_version = 2;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0, "unsupported ELF e_version 0x2 (expected 1)");
    elf_two_segments();
    elf.eh.e_type = ET_REL;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "ELF type 1 (ET_REL, a relocatable object), not an executable: link it first");
    elf.eh.e_type = ET_CORE;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "ELF type 4 (ET_CORE, a core dump), not an executable");
    elf.eh.e_type = 0xfe00;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "ELF type 0xfe00, not an executable (ET_EXEC or ET_DYN)");
    elf_two_segments();
    elf.eh.e_ehsize = 52;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0, "ELF e_ehsize 0x34, expected 0x40 for ELF64");
    elf_two_segments();
    elf.eh.e_phentsize = sizeof(Elf32_Phdr);
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "ELF e_phentsize 0x20, expected 0x38 for ELF64");
    elf_two_segments();
    elf.eh.e_phnum = 0;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "ELF has no program headers (e_phnum = 0), so nothing to load");
    elf.eh.e_phnum = PN_XNUM;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "ELF e_phnum is PN_XNUM (0xffff): too many program headers");
    /* A raw file that is not ELF, forced to ELF. */
    ck_load_fails("hello", 5, HV_IMAGE_ELF, 0, "not an ELF file (no \\x7fELF magic at offset 0)");
}
END_TEST

START_TEST(test_elf_no_pt_load_interp_too_many)
{
    elf_two_segments();
    elf.ph[0].p_type = PT_NOTE;
    elf.ph[2].p_type = PT_DYNAMIC;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "ELF has no loadable segments (no PT_LOAD with p_memsz > 0)");

    elf_two_segments();
    elf.ph[1].p_type = PT_INTERP;
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "ELF asks for a program interpreter (PT_INTERP in segment 1): hvsim loads "
                  "only static images");

    elf_init(17, RAM_BASE);
    for (unsigned i = 0; i < 17; i++)
        elf_seg(i, 0, RAM_BASE + i * 0x1000, 0x10, 0x10);
    ck_load_fails(&elf, sizeof(elf), HV_IMAGE_ELF, 0,
                  "ELF has more than 16 non-empty PT_LOAD segments");
    elf.eh.e_phnum = 16;
    ck_assert_int_eq(load_elf(), 0);
    ck_assert_uint_eq(out.nsegs, 16);
    ck_assert_uint_eq(out.highest, RAM_BASE + 15 * 0x1000 + 0x10);
}
END_TEST

START_TEST(test_elf_truncated_program_headers)
{
    elf_two_segments();
    size_t need = DATA_OFF - sizeof(elf.ph) + 3 * sizeof(Elf64_Phdr); /* 0x40 + 3 * 0x38 */
    ck_assert_uint_eq(need, 0xe8);
    ck_load_fails(&elf, need - 1, HV_IMAGE_ELF, 0,
                  "truncated ELF: program headers at e_phoff 0x40 (0x3 x 0x38 bytes) run past "
                  "the end of the 0xe7-byte file");
    /* Headers complete but the segment data is cut off. */
    ck_load_fails(&elf, need, HV_IMAGE_ELF, 0,
                  "segment 0: p_offset 0x4a0 + p_filesz 0x20 runs past the end of the 0xe8-byte "
                  "file");
}
END_TEST

/* A header prefix of every length below 64 bytes fails cleanly, for an ELF
 * and a Linux Image, whatever kind the caller asks for. */
START_TEST(test_truncated_headers_every_length)
{
    static uint8_t linux_hdr[64];
    memset(linux_hdr, 0, sizeof(linux_hdr));
    linux_hdr[0x10] = 0x10; /* image_size 0x10 */
    memcpy(linux_hdr + 0x38, "ARM\x64", 4);
    elf_two_segments();
    const enum hv_image_kind kinds[] = {HV_IMAGE_AUTO, HV_IMAGE_ELF, HV_IMAGE_LINUX};
    for (size_t len = 0; len < 64; len++) {
        for (unsigned k = 0; k < 3; k++) {
            /* A heap copy of exactly len bytes: ASan sees any overread. */
            uint8_t *e = malloc(len ? len : 1), *l = malloc(len ? len : 1);
            memcpy(e, &elf, len);
            memcpy(l, linux_hdr, len);
            err.msg[0] = '\0';
            ck_assert_int_eq(load(e, len, kinds[k], 0, NULL, 0), -1);
            ck_assert_uint_ne(strlen(err.msg), 0);
            ck_assert_ptr_null(strchr(err.msg, '\n'));
            err.msg[0] = '\0';
            ck_assert_int_eq(load(l, len, kinds[k], 0, NULL, 0), -1);
            ck_assert_uint_ne(strlen(err.msg), 0);
            free(e);
            free(l);
        }
    }
    ck_assert(untouched());
    /* Spot checks of the exact messages. */
    ck_load_fails(&elf, 0, HV_IMAGE_ELF, 0, "empty image (0 bytes)");
    ck_load_fails(&elf, 3, HV_IMAGE_ELF, 0, "not an ELF file (no \\x7fELF magic at offset 0)");
    ck_load_fails(&elf, 10, HV_IMAGE_ELF, 0,
                  "truncated ELF: 0xa bytes, shorter than the 0x10-byte e_ident");
    ck_load_fails(&elf, 63, HV_IMAGE_AUTO, 0,
                  "truncated ELF: 0x3f bytes, shorter than the 0x40-byte ELF64 header");
    ck_load_fails(linux_hdr, 63, HV_IMAGE_LINUX, 0,
                  "truncated arm64 Linux Image: 0x3f bytes, shorter than the 0x40-byte header");
    ck_load_fails(linux_hdr, 63, HV_IMAGE_AUTO, 0,
                  "unrecognized image format (not ELF, not an arm64 Linux Image); for a raw "
                  "binary use FILE@ADDR");
}
END_TEST

/* ---- Linux arm64 Image ---------------------------------------------------- */

static uint8_t kimg[8192];

/* A 64-byte booting.rst header followed by payload, file length len. */
static void linux_image(uint64_t text_offset, uint64_t image_size, uint64_t flags, size_t len)
{
    memset(kimg, 0, sizeof(kimg));
    for (size_t i = 64; i < len; i++)
        kimg[i] = (uint8_t)(i * 7 + 1);
    memcpy(kimg + 0x0, "\x0f\x00\x00\x14", 4); /* code0: b +0x3c (the usual "b stext") */
    memcpy(kimg + 0x8, &text_offset, 8);
    memcpy(kimg + 0x10, &image_size, 8);
    memcpy(kimg + 0x18, &flags, 8);
    memcpy(kimg + 0x38, "ARM\x64", 4);
}

START_TEST(test_linux_text_offset_0_goes_to_2mib)
{
    linux_image(0, 0x3000, 0xa, 0x1000); /* flags: 4K pages, anywhere */
    ck_assert_int_eq(hv_image_detect(kimg, 0x1000), HV_IMAGE_LINUX);
    ck_assert_int_eq(load(kimg, 0x1000, HV_IMAGE_AUTO, 0, NULL, 0), 0);
    ck_assert_int_eq(out.kind, HV_IMAGE_LINUX);
    ck_assert_uint_eq(out.entry, RAM_BASE + 0x200000);
    ck_assert_uint_eq(out.nsegs, 1);
    ck_assert_uint_eq(out.segs[0].pa, RAM_BASE + 0x200000);
    ck_assert_uint_eq(out.segs[0].filesz, 0x1000);
    ck_assert_uint_eq(out.segs[0].memsz, 0x3000);
    ck_assert_uint_eq(out.lowest, RAM_BASE + 0x200000);
    ck_assert_uint_eq(out.highest, RAM_BASE + 0x203000);
    ck_assert_mem_eq(ram + 0x200000, kimg, 0x1000);
    for (unsigned i = 0x201000; i < 0x203000; i++) /* image_size beyond the file: zero */
        ck_assert_uint_eq(ram[i], 0);
    ck_assert_uint_eq(touched(ram, 0, 0x200000), 0);
    ck_assert_uint_eq(touched(ram, 0x203000, RAM_SIZE - 0x203000), 0);
}
END_TEST

START_TEST(test_linux_text_offset_0x80000)
{
    linux_image(0x80000, 0x800, 0, 0x1000); /* image_size below the file size */
    ck_assert_int_eq(load(kimg, 0x1000, HV_IMAGE_LINUX, 0, NULL, 0), 0);
    ck_assert_uint_eq(out.entry, RAM_BASE + 0x80000);
    ck_assert_uint_eq(out.segs[0].memsz, 0x1000);
    ck_assert_mem_eq(ram + 0x80000, kimg, 0x1000);
    ck_assert_uint_eq(touched(ram, 0, 0x80000), 0);
    ck_assert_uint_eq(touched(ram, 0x81000, RAM_SIZE - 0x81000), 0);
    /* text_offset 0xfff is still below 4 KiB: moved up by 2 MiB too. */
    linux_image(0xfff, 0x800, 0, 0x1000);
    memset(ram, POISON, sizeof(ram));
    ck_assert_int_eq(load(kimg, 0x1000, HV_IMAGE_LINUX, 0, NULL, 0), 0);
    ck_assert_uint_eq(out.entry, RAM_BASE + 0x200fff);
    /* 0x1000 is not. */
    linux_image(0x1000, 0x800, 0, 0x1000);
    memset(ram, POISON, sizeof(ram));
    ck_assert_int_eq(load(kimg, 0x1000, HV_IMAGE_LINUX, 0, NULL, 0), 0);
    ck_assert_uint_eq(out.entry, RAM_BASE + 0x1000);
}
END_TEST

START_TEST(test_linux_old_kernel_image_size_0)
{
    /* Pre-3.17: image_size 0, text_offset assumed 0x80000 whatever it says. */
    linux_image(0x12345678, 0, 0, 0x900);
    ck_assert_int_eq(load(kimg, 0x900, HV_IMAGE_AUTO, 0, NULL, 0), 0);
    ck_assert_uint_eq(out.entry, RAM_BASE + 0x80000);
    ck_assert_uint_eq(out.segs[0].memsz, 0x900);
    ck_assert_uint_eq(out.highest, RAM_BASE + 0x80900);
}
END_TEST

START_TEST(test_linux_larger_than_ram)
{
    linux_image(0, RAM_SIZE + 1, 0, 0x100);
    ck_load_fails(kimg, 0x100, HV_IMAGE_AUTO, 0,
                  "arm64 Linux Image needs 0x400001 bytes (file 0x100, image_size 0x400001): "
                  "larger than RAM [0x40000000, 0x40400000) of 0x400000 bytes");
    /* Smaller than RAM, but not from text_offset on. */
    linux_image(0x80000, RAM_SIZE - 0x1000, 0, 0x100);
    ck_load_fails(kimg, 0x100, HV_IMAGE_AUTO, 0,
                  "arm64 Linux Image at 0x40080000 (RAM base + text_offset 0x80000) with "
                  "0x3ff000 bytes does not fit in RAM [0x40000000, 0x40400000)");
    linux_image(UINT64_MAX - 0x10, 0x100, 0, 0x100);
    ck_load_fails(kimg, 0x100, HV_IMAGE_AUTO, 0,
                  "arm64 Linux Image text_offset 0xffffffffffffffef puts it past the end of the "
                  "64-bit address space");
    linux_image(UINT64_MAX - RAM_BASE - 0x10, 0x100, 0, 0x100);
    ck_load_fails(kimg, 0x100, HV_IMAGE_AUTO, 0,
                  "arm64 Linux Image at 0xffffffffffffffef (RAM base + text_offset "
                  "0xffffffffbfffffef) with 0x100 bytes does not fit in RAM [0x40000000, "
                  "0x40400000)");
}
END_TEST

START_TEST(test_linux_bad_header)
{
    linux_image(0, 0x1000, 1, 0x100); /* flags bit 0: big-endian kernel */
    ck_load_fails(kimg, 0x100, HV_IMAGE_AUTO, 0,
                  "big-endian arm64 Linux Image (flags bit 0 set): hvsim runs little-endian "
                  "kernels only");
    linux_image(0, 0x1000, 0, 0x100);
    kimg[0x3b] = 0x65;
    ck_assert_int_eq(hv_image_detect(kimg, 0x100), HV_IMAGE_RAW);
    ck_load_fails(kimg, 0x100, HV_IMAGE_LINUX, 0,
                  "not an arm64 Linux Image: magic at 0x38 is 0x654d5241, expected 0x644d5241 "
                  "(\"ARM\\x64\")");
}
END_TEST

START_TEST(test_linux_overlaps_already)
{
    struct hv_loaded_image prev = {.kind = HV_IMAGE_ELF, .nsegs = 1};
    prev.segs[0].pa = RAM_BASE + 0x200100;
    prev.segs[0].memsz = 0x10;
    linux_image(0, 0x1000, 0, 0x100);
    ck_assert_int_eq(load(kimg, 0x100, HV_IMAGE_AUTO, 0, &prev, 1), -1);
    ck_assert_str_eq(err.msg, "arm64 Linux Image [0x40200000, 0x40201000) overlaps image 0 "
                              "loaded earlier (ELF, segment 0 [0x40200100, 0x40200110))");
    ck_assert(untouched());
}
END_TEST

/* ---- raw and AUTO --------------------------------------------------------- */

START_TEST(test_raw_at_address)
{
    static const uint8_t blob[5] = {1, 2, 3, 4, 5};
    ck_assert_int_eq(load(blob, 5, HV_IMAGE_RAW, RAM_BASE + 0x123, NULL, 0), 0);
    ck_assert_int_eq(out.kind, HV_IMAGE_RAW);
    ck_assert_uint_eq(out.entry, RAM_BASE + 0x123);
    ck_assert_uint_eq(out.nsegs, 1);
    ck_assert_uint_eq(out.segs[0].filesz, 5);
    ck_assert_uint_eq(out.segs[0].memsz, 5);
    ck_assert_uint_eq(out.lowest, RAM_BASE + 0x123);
    ck_assert_uint_eq(out.highest, RAM_BASE + 0x128);
    ck_assert_mem_eq(ram + 0x123, blob, 5);
    ck_assert_uint_eq(touched(ram, 0, 0x123), 0);
    ck_assert_uint_eq(touched(ram, 0x128, RAM_SIZE - 0x128), 0);
    /* The last bytes of flash. */
    ck_assert_int_eq(load(blob, 5, HV_IMAGE_RAW, FLASH_SIZE - 5, NULL, 0), 0);
    ck_assert_mem_eq(flash + FLASH_SIZE - 5, blob, 5);
    /* An ELF forced to RAW is copied as bytes. */
    elf_two_segments();
    ck_assert_int_eq(load(&elf, 0x40, HV_IMAGE_RAW, RAM_BASE + 0x1000, NULL, 0), 0);
    ck_assert_mem_eq(ram + 0x1000, &elf, 0x40);
}
END_TEST

START_TEST(test_raw_beyond_ram)
{
    static const uint8_t blob[0x10] = {0};
    ck_load_fails(blob, 0x10, HV_IMAGE_RAW, RAM_BASE + RAM_SIZE - 8,
                  "raw image [0x403ffff8, 0x40400008) runs past the end of RAM [0x40000000, "
                  "0x40400000)");
    ck_load_fails(blob, 0x10, HV_IMAGE_RAW, 0x80000000,
                  "raw image [0x80000000, 0x80000010) lies outside RAM [0x40000000, "
                  "0x40400000) and memory window 1 [0x0, 0x10000)");
    ck_load_fails(blob, 0x10, HV_IMAGE_RAW, UINT64_MAX - 7,
                  "raw image at 0xfffffffffffffff8 with size 0x10 wraps past the end of the "
                  "64-bit address space");
    ck_load_fails(blob, 0, HV_IMAGE_RAW, RAM_BASE, "empty image (0 bytes)");
}
END_TEST

START_TEST(test_auto_garbage)
{
    static const char garbage[] = "this is not a kernel, just some text\n";
    ck_assert_int_eq(hv_image_detect((const uint8_t *)garbage, sizeof(garbage)), HV_IMAGE_RAW);
    ck_load_fails(garbage, sizeof(garbage), HV_IMAGE_AUTO, 0,
                  "unrecognized image format (not ELF, not an arm64 Linux Image); for a raw "
                  "binary use FILE@ADDR");
    ck_load_fails(garbage, 0, HV_IMAGE_AUTO, 0, "empty image (0 bytes)");
    ck_assert_int_eq(hv_image_detect(NULL, 0), HV_IMAGE_RAW);
    ck_assert_int_eq(hv_image_detect((const uint8_t *)"\x7f"
                                                      "EL",
                                     3),
                     HV_IMAGE_RAW);
    ck_assert_int_eq(hv_image_detect((const uint8_t *)"\x7f"
                                                      "ELF",
                                     4),
                     HV_IMAGE_ELF);
}
END_TEST

START_TEST(test_bad_target)
{
    static const uint8_t blob[4] = {0};
    tgt.nwin = 0;
    ck_load_fails(blob, 4, HV_IMAGE_RAW, 0, "target has 0 memory windows (expected 1 to 4)");
    tgt.nwin = 2;
    tgt.win[1].pa = UINT64_MAX;
    ck_load_fails(blob, 4, HV_IMAGE_RAW, 0,
                  "memory window 1 at 0xffffffffffffffff with size 0x10000 wraps past the end "
                  "of the 64-bit address space");
    tgt.win[1].pa = 0;
    tgt.win[1].host = NULL;
    ck_load_fails(blob, 4, HV_IMAGE_RAW, 0, "memory window 1 [0x0, 0x10000) has no host memory");
}
END_TEST

/* ---- parsers -------------------------------------------------------------- */

START_TEST(test_parse_u64_table)
{
    static const struct {
        const char *s;
        bool suffix;
        int rc;
        uint64_t v;
    } t[] = {
        {"0", false, 0, 0},
        {"16", false, 0, 16},
        {"0x10", false, 0, 16},
        {"0X10", false, 0, 16},
        {"0xdeadBEEF", false, 0, 0xdeadbeef},
        {"18446744073709551615", false, 0, UINT64_MAX},
        {"0xffffffffffffffff", false, 0, UINT64_MAX},
        {"4K", true, 0, 4096},
        {"4k", true, 0, 4096},
        {"128M", true, 0, 128ull << 20},
        {"1G", true, 0, 1ull << 30},
        {"0x10K", true, 0, 0x4000},
        {"0K", true, 0, 0},
        {"17179869183G", true, 0, 17179869183ull << 30}, /* 2^64 - 2^30 */
        {"17179869184G", true, -1, 0},                   /* 2^64: suffix overflow */
        {"0x40000000000000K", true, -1, 0},
        {"4K", false, -1, 0}, /* suffix not allowed */
        {"", true, -1, 0},
        {"0x", true, -1, 0},
        {"0xg", false, -1, 0},
        {"12abc", true, -1, 0},
        {"-1", true, -1, 0},
        {"+1", true, -1, 0},
        {" 1", true, -1, 0},
        {"1 ", true, -1, 0},
        {"99999999999999999999", false, -1, 0},
        {"18446744073709551616", false, -1, 0},
        {"0x10000000000000000", false, -1, 0},
        {"16E", true, -1, 0},
        {"1KK", true, -1, 0},
        {"K", true, -1, 0},
        {"010", false, -1, 0}, /* octal in C: ambiguous, rejected */
        {"1.5", true, -1, 0},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        uint64_t v = 0x1234;
        int rc = hv_parse_u64(t[i].s, t[i].suffix, &v);
        ck_assert_msg(rc == t[i].rc, "hv_parse_u64(\"%s\", %d) returned %d, expected %d", t[i].s,
                      t[i].suffix, rc, t[i].rc);
        ck_assert_msg(v == (t[i].rc == 0 ? t[i].v : 0x1234),
                      "hv_parse_u64(\"%s\") gave 0x%llx, expected 0x%llx", t[i].s,
                      (unsigned long long)v, (unsigned long long)t[i].v);
    }
    uint64_t v;
    ck_assert_int_eq(hv_parse_u64(NULL, true, &v), -1);
}
END_TEST

START_TEST(test_parse_file_at)
{
    char *path = (char *)1;
    uint64_t addr = 0;
    ck_assert_int_eq(hv_parse_file_at("a@b@0x1000", &path, &addr, &err), 0);
    ck_assert_str_eq(path, "a@b");
    ck_assert_uint_eq(addr, 0x1000);
    free(path);
    ck_assert_int_eq(hv_parse_file_at("/x/fw.bin@1073741824", &path, &addr, &err), 0);
    ck_assert_str_eq(path, "/x/fw.bin");
    ck_assert_uint_eq(addr, 0x40000000);
    free(path);

    ck_assert_int_eq(hv_parse_file_at("fw.bin", &path, &addr, &err), -1);
    ck_assert_ptr_null(path);
    ck_assert_str_eq(err.msg, "expected FILE@ADDR, got 'fw.bin' (no '@')");
    ck_assert_int_eq(hv_parse_file_at("@0x1000", &path, &addr, &err), -1);
    ck_assert_str_eq(err.msg, "expected FILE@ADDR, got '@0x1000' (empty file name)");
    ck_assert_int_eq(hv_parse_file_at("fw.bin@", &path, &addr, &err), -1);
    ck_assert_str_eq(err.msg, "malformed address '' in 'fw.bin@' (expected 0x hex or decimal)");
    ck_assert_int_eq(hv_parse_file_at("fw.bin@0x40000000junk", &path, &addr, &err), -1);
    ck_assert_str_eq(err.msg, "malformed address '0x40000000junk' in 'fw.bin@0x40000000junk' "
                              "(expected 0x hex or decimal)");
    ck_assert_int_eq(hv_parse_file_at("a@0x1000@", &path, &addr, &err), -1);
    ck_assert_int_eq(hv_parse_file_at("fw@1G", &path, &addr, &err), -1);
    ck_assert_ptr_null(path);
    ck_assert_uint_eq(addr, 0x40000000); /* unchanged on error */
    /* Control characters do not break the one-line message. */
    ck_assert_int_eq(hv_parse_file_at("a\nb", &path, &addr, &err), -1);
    ck_assert_str_eq(err.msg, "expected FILE@ADDR, got 'a?b' (no '@')");
}
END_TEST

/* ---- files ------------------------------------------------------------------ */

static char tmpdir[64];

static void make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/hvsim-test-loader-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

START_TEST(test_read_file)
{
    char path[128];
    uint8_t *data = NULL;
    size_t len = 99;
    make_tmpdir();

    snprintf(path, sizeof(path), "%s/missing", tmpdir);
    ck_assert_int_eq(hv_read_file(path, &data, &len, &err), -1);
    char want[256];
    snprintf(want, sizeof(want), "cannot open %s: %s", path, strerror(ENOENT));
    ck_assert_str_eq(err.msg, want);

    ck_assert_int_eq(hv_read_file(tmpdir, &data, &len, &err), -1);
    snprintf(want, sizeof(want), "cannot read %s: it is a directory", tmpdir);
    ck_assert_str_eq(err.msg, want);

    snprintf(path, sizeof(path), "%s/f.bin", tmpdir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite("\x7f"
                             "ELF\0\1",
                             1, 6, f),
                      6);
    fclose(f);
    ck_assert_int_eq(hv_read_file(path, &data, &len, &err), 0);
    ck_assert_uint_eq(len, 6);
    ck_assert_mem_eq(data,
                     "\x7f"
                     "ELF\0\1",
                     6);
    free(data);

    /* An empty file reads fine (len 0); loading it is the error. */
    f = fopen(path, "wb");
    fclose(f);
    data = NULL;
    ck_assert_int_eq(hv_read_file(path, &data, &len, &err), 0);
    ck_assert_uint_eq(len, 0);
    ck_assert_ptr_nonnull(data);
    ck_load_fails(data, len, HV_IMAGE_AUTO, 0, "empty image (0 bytes)");
    free(data);

    /* 1 GiB + 1 (sparse: no disk space used). */
    ck_assert_int_eq(truncate(path, (1ll << 30) + 1), 0);
    ck_assert_int_eq(hv_read_file(path, &data, &len, &err), -1);
    snprintf(want, sizeof(want), "%s is 0x40000001 bytes, larger than the 1 GiB limit", path);
    ck_assert_str_eq(err.msg, want);
    unlink(path);
    rmdir(tmpdir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loader");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_elf_two_segments_bss_entry);
    tcase_add_test(tc, test_elf_into_second_window_and_empty_segment_skipped);
    tcase_add_test(tc, test_elf_dyn_uses_paddr_as_absolute);
    tcase_add_test(tc, test_elf_entry_outside_segments);
    tcase_add_test(tc, test_elf_segment_outside_ram);
    tcase_add_test(tc, test_elf_segment_straddles_end_of_ram);
    tcase_add_test(tc, test_elf_segment_across_two_adjacent_windows);
    tcase_add_test(tc, test_elf_overlapping_segments);
    tcase_add_test(tc, test_elf_overlaps_already_loaded);
    tcase_add_test(tc, test_elf_file_range_beyond_file);
    tcase_add_test(tc, test_elf_filesz_above_memsz);
    tcase_add_test(tc, test_elf_huge_values_overflow);
    tcase_add_test(tc, test_elf_wrong_class_machine_endian);
    tcase_add_test(tc, test_elf_bad_header_fields);
    tcase_add_test(tc, test_elf_no_pt_load_interp_too_many);
    tcase_add_test(tc, test_elf_truncated_program_headers);
    tcase_add_test(tc, test_truncated_headers_every_length);
    tcase_add_test(tc, test_linux_text_offset_0_goes_to_2mib);
    tcase_add_test(tc, test_linux_text_offset_0x80000);
    tcase_add_test(tc, test_linux_old_kernel_image_size_0);
    tcase_add_test(tc, test_linux_larger_than_ram);
    tcase_add_test(tc, test_linux_bad_header);
    tcase_add_test(tc, test_linux_overlaps_already);
    tcase_add_test(tc, test_raw_at_address);
    tcase_add_test(tc, test_raw_beyond_ram);
    tcase_add_test(tc, test_auto_garbage);
    tcase_add_test(tc, test_bad_target);
    tcase_add_test(tc, test_parse_u64_table);
    tcase_add_test(tc, test_parse_file_at);
    tcase_add_test(tc, test_read_file);
    suite_add_tcase(s, tc);
    return hv_check_run(s);
}
