/* hvsim: image loaders (ELF64 AArch64, Linux arm64 Image, raw binaries).
 *
 * The design rule is "validate everything, then copy": every loader first
 * checks the whole image against the file length and the target's memory
 * windows without touching guest memory, and only then copies bytes. A
 * rejected image therefore leaves guest memory exactly as it was, and no
 * write can land outside a window.
 *
 * All multi-byte fields are decoded explicitly as little-endian (the only
 * byte order hvsim accepts for AArch64 images), so the code does not depend
 * on the host's byte order or on the alignment of `data`. Every sum of two
 * untrusted 64-bit values goes through add_ok(), because a file can hold any
 * value in any field.
 *
 * Choices loader.h leaves open, made here:
 *  - ELF ET_DYN is accepted, with p_paddr taken as absolute (no relocation,
 *    no load bias), like ET_EXEC. PT_INTERP is refused (not a static image).
 *    PT_LOADs with p_memsz 0 occupy nothing and are skipped. "segment N" in
 *    messages is the program header index N (as in `readelf -l`).
 *  - e_entry must lie in [p_paddr, p_paddr + p_memsz) of a loaded segment.
 *  - A Linux Image with image_size 0 (before v3.17) goes to text_offset
 *    0x80000 whatever its header says, as booting.rst prescribes and QEMU
 *    does; the file size is its size. Window 0 is RAM.
 *  - On any error *out and guest memory are left untouched.
 *  - hv_read_file reads an empty file successfully (len 0, *data still to be
 *    freed); hv_load_image then says "empty image".
 *  - hv_parse_u64 rejects decimal numbers with a leading 0 ("010"): C reads
 *    them as octal, so either reading would surprise someone. *out is only
 *    written on success.
 *
 * References:
 *  - ELF: System V ABI "gABI" chapter 4 (ELF header) and 5 (program header),
 *    ELF for the Arm 64-bit Architecture (AArch64 ELF ABI): EM_AARCH64 = 183.
 *  - Linux arm64 Image: Documentation/arch/arm64/booting.rst, "Call the kernel
 *    image", the 64-byte header.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "loader.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

/* hv_read_file refuses anything bigger: no guest RAM hvsim models is that
 * large, and it bounds the malloc a bad path (say /dev/zero) can cause. */
#define HV_READ_FILE_MAX GiB

/* ---- little helpers ------------------------------------------------------ */

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] | (uint16_t)((uint16_t)p[1] << 8));
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* *sum = a + b unless that wraps around 2^64. */
static bool add_ok(uint64_t a, uint64_t b, uint64_t *sum)
{
    if (b > UINT64_MAX - a)
        return false;
    *sum = a + b;
    return true;
}

/* [a0, a0+as) and [b0, b0+bs) intersect; both ends are known not to wrap. */
static bool ranges_overlap(uint64_t a0, uint64_t as, uint64_t b0, uint64_t bs)
{
    if (as == 0 || bs == 0)
        return false;
    return a0 < b0 + bs && b0 < a0 + as;
}

static const char *kind_name(enum hv_image_kind k)
{
    switch (k) {
    case HV_IMAGE_ELF:
        return "ELF";
    case HV_IMAGE_LINUX:
        return "Linux Image";
    case HV_IMAGE_RAW:
        return "raw";
    case HV_IMAGE_AUTO:
        break;
    }
    return "auto";
}

/* ---- the target's memory windows ----------------------------------------- */

/* Window 0 is RAM by the contract of loader.h (its base is the Linux
 * placement base); the others (flash/ROM for --bios) are named by index. */
static int window_desc(const struct hv_mem_target *t, unsigned i, char *buf, size_t n)
{
    const struct hv_mem_window *w = &t->win[i];
    if (i == 0)
        return snprintf(buf, n, "RAM [0x%llx, 0x%llx)", (unsigned long long)w->pa,
                        (unsigned long long)(w->pa + w->size));
    return snprintf(buf, n, "memory window %u [0x%llx, 0x%llx)", i, (unsigned long long)w->pa,
                    (unsigned long long)(w->pa + w->size));
}

/* The target comes from hvsim itself, not from the image, but a bad one
 * would turn the bounds checks below into lies, so check it once. */
static int check_target(const struct hv_mem_target *t, struct hv_err *err)
{
    if (!t)
        return hv_err_set(err, "no target memory given to the loader");
    if (t->nwin == 0 || t->nwin > sizeof(t->win) / sizeof(t->win[0]))
        return hv_err_set(err, "target has %u memory windows (expected 1 to %zu)", t->nwin,
                          sizeof(t->win) / sizeof(t->win[0]));
    for (unsigned i = 0; i < t->nwin; i++) {
        const struct hv_mem_window *w = &t->win[i];
        uint64_t end;
        /* The end must be representable so that [pa, pa+size) can be
         * compared and printed without wrapping. */
        if (!add_ok(w->pa, w->size, &end))
            return hv_err_set(err,
                              "memory window %u at 0x%llx with size 0x%llx wraps past the "
                              "end of the 64-bit address space",
                              i, (unsigned long long)w->pa, (unsigned long long)w->size);
        if (w->size > SIZE_MAX)
            return hv_err_set(err, "memory window %u size 0x%llx does not fit in host memory", i,
                              (unsigned long long)w->size);
        if (w->size && !w->host)
            return hv_err_set(err, "memory window %u [0x%llx, 0x%llx) has no host memory", i,
                              (unsigned long long)w->pa, (unsigned long long)end);
    }
    return 0;
}

/* Index of the window that holds all of [pa, pa+size), or -1. size > 0 and
 * pa + size does not wrap (checked by the caller). */
static int find_window(const struct hv_mem_target *t, uint64_t pa, uint64_t size)
{
    for (unsigned i = 0; i < t->nwin; i++) {
        const struct hv_mem_window *w = &t->win[i];
        if (pa >= w->pa && pa - w->pa <= w->size && size <= w->size - (pa - w->pa))
            return (int)i;
    }
    return -1;
}

/* The error for a range [pa, pa+size) that is not inside one window: say
 * which window it sticks out of, or list them all if it touches none. */
static int range_outside_error(const struct hv_mem_target *t, const char *what, uint64_t pa,
                               uint64_t size, struct hv_err *err)
{
    char wins[400];
    size_t used = 0;
    uint64_t end = pa + size;

    /* Sticking out of the window that holds its start, or starting below
     * one it reaches into. */
    for (unsigned i = 0; i < t->nwin; i++) {
        const struct hv_mem_window *w = &t->win[i];
        if (pa >= w->pa && pa - w->pa < w->size) {
            window_desc(t, i, wins, sizeof(wins));
            return hv_err_set(err, "%s [0x%llx, 0x%llx) runs past the end of %s", what,
                              (unsigned long long)pa, (unsigned long long)end, wins);
        }
    }
    for (unsigned i = 0; i < t->nwin; i++) {
        const struct hv_mem_window *w = &t->win[i];
        if (ranges_overlap(pa, size, w->pa, w->size)) {
            window_desc(t, i, wins, sizeof(wins));
            return hv_err_set(err, "%s [0x%llx, 0x%llx) starts below %s", what,
                              (unsigned long long)pa, (unsigned long long)end, wins);
        }
    }
    wins[0] = '\0';
    for (unsigned i = 0; i < t->nwin && used < sizeof(wins); i++) {
        const char *sep = i == 0 ? "" : (i + 1 == t->nwin ? " and " : ", ");
        int n = snprintf(wins + used, sizeof(wins) - used, "%s", sep);
        if (n > 0)
            used += (size_t)n;
        if (used < sizeof(wins)) {
            n = window_desc(t, i, wins + used, sizeof(wins) - used);
            if (n > 0)
                used += (size_t)n;
        }
    }
    return hv_err_set(err, "%s [0x%llx, 0x%llx) lies outside %s", what, (unsigned long long)pa,
                      (unsigned long long)end, wins);
}

/* Check that [pa, pa+size) neither wraps nor leaves one window. */
static int check_range(const struct hv_mem_target *t, const char *what, uint64_t pa, uint64_t size,
                       struct hv_err *err)
{
    uint64_t end;
    if (!add_ok(pa, size, &end))
        return hv_err_set(err,
                          "%s at 0x%llx with size 0x%llx wraps past the end of the 64-bit "
                          "address space",
                          what, (unsigned long long)pa, (unsigned long long)size);
    if (find_window(t, pa, size) < 0)
        return range_outside_error(t, what, pa, size, err);
    return 0;
}

/* Check [pa, pa+size) against every segment of the images loaded before. */
static int check_already(const char *what, uint64_t pa, uint64_t size,
                         const struct hv_loaded_image *already, unsigned nalready,
                         struct hv_err *err)
{
    if (!already)
        return 0;
    for (unsigned i = 0; i < nalready; i++) {
        const struct hv_loaded_image *a = &already[i];
        unsigned n = a->nsegs < HV_LOADER_MAX_SEGS ? a->nsegs : HV_LOADER_MAX_SEGS;
        for (unsigned j = 0; j < n; j++) {
            uint64_t apa = a->segs[j].pa, asz = a->segs[j].memsz, aend;
            if (!add_ok(apa, asz, &aend))
                continue; /* cannot come from this loader */
            if (ranges_overlap(pa, size, apa, asz))
                return hv_err_set(err,
                                  "%s [0x%llx, 0x%llx) overlaps image %u loaded earlier (%s, "
                                  "segment %u [0x%llx, 0x%llx))",
                                  what, (unsigned long long)pa, (unsigned long long)(pa + size), i,
                                  kind_name(a->kind), j, (unsigned long long)apa,
                                  (unsigned long long)aend);
        }
    }
    return 0;
}

/* Copy filesz bytes of src to pa and zero the rest up to memsz. The range
 * was checked by check_range() before anything was written. */
static void copy_in(const struct hv_mem_target *t, uint64_t pa, const uint8_t *src, uint64_t filesz,
                    uint64_t memsz)
{
    int i = find_window(t, pa, memsz);
    if (i < 0) /* unreachable after check_range(); never write blindly */
        return;
    uint8_t *dst = t->win[i].host + (size_t)(pa - t->win[i].pa);
    if (filesz)
        memcpy(dst, src, (size_t)filesz);
    if (memsz > filesz)
        memset(dst + filesz, 0, (size_t)(memsz - filesz));
}

static void set_bounds(struct hv_loaded_image *img)
{
    img->lowest = UINT64_MAX;
    img->highest = 0;
    for (unsigned i = 0; i < img->nsegs; i++) {
        if (img->segs[i].pa < img->lowest)
            img->lowest = img->segs[i].pa;
        if (img->segs[i].pa + img->segs[i].memsz > img->highest)
            img->highest = img->segs[i].pa + img->segs[i].memsz;
    }
}

/* ---- detection ------------------------------------------------------------ */

/* booting.rst: "magic: 0x644d5241", i.e. the bytes "ARM\x64", at 0x38. */
#define ARM64_IMAGE_MAGIC     0x644d5241u
#define ARM64_IMAGE_MAGIC_OFF 0x38
#define ARM64_IMAGE_HDR_SIZE  64

static bool is_elf(const uint8_t *data, size_t len)
{
    return len >= SELFMAG && memcmp(data, ELFMAG, SELFMAG) == 0;
}

static bool is_linux(const uint8_t *data, size_t len)
{
    return len >= ARM64_IMAGE_HDR_SIZE && le32(data + ARM64_IMAGE_MAGIC_OFF) == ARM64_IMAGE_MAGIC;
}

enum hv_image_kind hv_image_detect(const uint8_t *data, size_t len)
{
    if (!data)
        return HV_IMAGE_RAW;
    if (is_elf(data, len))
        return HV_IMAGE_ELF;
    if (is_linux(data, len))
        return HV_IMAGE_LINUX;
    return HV_IMAGE_RAW;
}

/* ---- ELF64 ------------------------------------------------------------------ */

static const char *machine_name(unsigned m)
{
    switch (m) {
    case EM_X86_64:
        return "x86-64";
    case EM_386:
        return "i386";
    case EM_ARM:
        return "ARM (32-bit)";
    case EM_RISCV:
        return "RISC-V";
    case EM_PPC64:
        return "PowerPC64";
    case EM_MIPS:
        return "MIPS";
    default:
        return NULL;
    }
}

/* Decode the ELF header. Elf64_Ehdr in <elf.h> has the exact file layout
 * (gABI: no padding), so offsetof gives each field's file offset. */
static void get_ehdr(const uint8_t *d, Elf64_Ehdr *e)
{
    memcpy(e->e_ident, d, EI_NIDENT);
    e->e_type = le16(d + offsetof(Elf64_Ehdr, e_type));
    e->e_machine = le16(d + offsetof(Elf64_Ehdr, e_machine));
    e->e_version = le32(d + offsetof(Elf64_Ehdr, e_version));
    e->e_entry = le64(d + offsetof(Elf64_Ehdr, e_entry));
    e->e_phoff = le64(d + offsetof(Elf64_Ehdr, e_phoff));
    e->e_shoff = le64(d + offsetof(Elf64_Ehdr, e_shoff));
    e->e_flags = le32(d + offsetof(Elf64_Ehdr, e_flags));
    e->e_ehsize = le16(d + offsetof(Elf64_Ehdr, e_ehsize));
    e->e_phentsize = le16(d + offsetof(Elf64_Ehdr, e_phentsize));
    e->e_phnum = le16(d + offsetof(Elf64_Ehdr, e_phnum));
    e->e_shentsize = le16(d + offsetof(Elf64_Ehdr, e_shentsize));
    e->e_shnum = le16(d + offsetof(Elf64_Ehdr, e_shnum));
    e->e_shstrndx = le16(d + offsetof(Elf64_Ehdr, e_shstrndx));
}

static void get_phdr(const uint8_t *d, Elf64_Phdr *p)
{
    p->p_type = le32(d + offsetof(Elf64_Phdr, p_type));
    p->p_flags = le32(d + offsetof(Elf64_Phdr, p_flags));
    p->p_offset = le64(d + offsetof(Elf64_Phdr, p_offset));
    p->p_vaddr = le64(d + offsetof(Elf64_Phdr, p_vaddr));
    p->p_paddr = le64(d + offsetof(Elf64_Phdr, p_paddr));
    p->p_filesz = le64(d + offsetof(Elf64_Phdr, p_filesz));
    p->p_memsz = le64(d + offsetof(Elf64_Phdr, p_memsz));
    p->p_align = le64(d + offsetof(Elf64_Phdr, p_align));
}

/* The identification bytes and the header fields that say "this is an
 * ELF64 little-endian AArch64 executable"; each wrong one gets its own
 * message because "not AArch64" is the most common user mistake. */
static int elf_check_header(const uint8_t *data, size_t len, Elf64_Ehdr *eh, struct hv_err *err)
{
    if (len == 0)
        return hv_err_set(err, "empty image (0 bytes)");
    if (!is_elf(data, len))
        return hv_err_set(err, "not an ELF file (no \\x7fELF magic at offset 0)");
    if (len < EI_NIDENT)
        return hv_err_set(err,
                          "truncated ELF: 0x%zx bytes, shorter than the 0x%x-byte "
                          "e_ident",
                          len, EI_NIDENT);
    /* e_ident[EI_CLASS]: ELFCLASS64 is the only class with AArch64 code. */
    if (data[EI_CLASS] == ELFCLASS32)
        return hv_err_set(err, "32-bit ELF (ELFCLASS32), not ELF64: AArch64 images are ELF64");
    if (data[EI_CLASS] != ELFCLASS64)
        return hv_err_set(err, "invalid ELF class 0x%x in e_ident[EI_CLASS] (expected 2, ELF64)",
                          data[EI_CLASS]);
    /* e_ident[EI_DATA]: hvsim's CPU runs little-endian (SCTLR_ELx.EE = 0). */
    if (data[EI_DATA] == ELFDATA2MSB)
        return hv_err_set(err, "big-endian ELF (ELFDATA2MSB): hvsim runs little-endian AArch64 "
                               "images only");
    if (data[EI_DATA] != ELFDATA2LSB)
        return hv_err_set(err,
                          "invalid ELF data encoding 0x%x in e_ident[EI_DATA] (expected 1, "
                          "little-endian)",
                          data[EI_DATA]);
    if (data[EI_VERSION] != EV_CURRENT)
        return hv_err_set(err, "unsupported ELF version 0x%x in e_ident[EI_VERSION] (expected 1)",
                          data[EI_VERSION]);
    if (len < sizeof(Elf64_Ehdr))
        return hv_err_set(err,
                          "truncated ELF: 0x%zx bytes, shorter than the 0x%zx-byte ELF64 "
                          "header",
                          len, sizeof(Elf64_Ehdr));
    get_ehdr(data, eh);
    if (eh->e_machine != EM_AARCH64) {
        const char *name = machine_name(eh->e_machine);
        if (name)
            return hv_err_set(err, "ELF for machine %u (%s), not AArch64 (%u)", eh->e_machine, name,
                              EM_AARCH64);
        return hv_err_set(err, "ELF for machine %u, not AArch64 (%u)", eh->e_machine, EM_AARCH64);
    }
    if (eh->e_version != EV_CURRENT)
        return hv_err_set(err, "unsupported ELF e_version 0x%x (expected 1)", eh->e_version);
    /* ET_EXEC is the normal case. ET_DYN (a PIE) is accepted, but hvsim
     * applies no relocations and no load bias: its p_paddr values are taken
     * as absolute physical addresses, exactly as for ET_EXEC. A PIE linked
     * at 0 therefore has to be linked for the target's memory map. */
    if (eh->e_type == ET_REL)
        return hv_err_set(err, "ELF type 1 (ET_REL, a relocatable object), not an executable: "
                               "link it first");
    if (eh->e_type == ET_CORE)
        return hv_err_set(err, "ELF type 4 (ET_CORE, a core dump), not an executable");
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
        return hv_err_set(err, "ELF type 0x%x, not an executable (ET_EXEC or ET_DYN)", eh->e_type);
    if (eh->e_ehsize != sizeof(Elf64_Ehdr))
        return hv_err_set(err, "ELF e_ehsize 0x%x, expected 0x%zx for ELF64", eh->e_ehsize,
                          sizeof(Elf64_Ehdr));
    return 0;
}

static int load_elf(const uint8_t *data, size_t len, const struct hv_mem_target *t,
                    const struct hv_loaded_image *already, unsigned nalready,
                    struct hv_loaded_image *img, struct hv_err *err)
{
    Elf64_Ehdr eh = {0};
    uint64_t ph_bytes, ph_end;
    /* Program header index (the "segment N" of every message) and file
     * offset of each PT_LOAD kept, for the copy pass. */
    unsigned idx[HV_LOADER_MAX_SEGS];
    uint64_t off[HV_LOADER_MAX_SEGS];
    char what[32];

    if (elf_check_header(data, len, &eh, err))
        return -1;

    /* Program header table: e_phnum entries of e_phentsize bytes at
     * e_phoff. e_phentsize must be the ELF64 size, or the fields would be
     * read at the wrong offsets. */
    if (eh.e_phnum == 0)
        return hv_err_set(err, "ELF has no program headers (e_phnum = 0), so nothing to load");
    if (eh.e_phnum == PN_XNUM)
        return hv_err_set(err, "ELF e_phnum is PN_XNUM (0xffff): too many program headers");
    if (eh.e_phentsize != sizeof(Elf64_Phdr))
        return hv_err_set(err, "ELF e_phentsize 0x%x, expected 0x%zx for ELF64", eh.e_phentsize,
                          sizeof(Elf64_Phdr));
    ph_bytes = (uint64_t)eh.e_phnum * eh.e_phentsize; /* <= 0xfffe * 0x38: no overflow */
    if (!add_ok(eh.e_phoff, ph_bytes, &ph_end) || ph_end > len)
        return hv_err_set(err,
                          "truncated ELF: program headers at e_phoff 0x%llx (0x%x x 0x%x "
                          "bytes) run past the end of the 0x%zx-byte file",
                          (unsigned long long)eh.e_phoff, eh.e_phnum, eh.e_phentsize, len);

    img->nsegs = 0;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        uint64_t file_end;
        get_phdr(data + eh.e_phoff + (uint64_t)i * sizeof(Elf64_Phdr), &ph);
        if (ph.p_type == PT_INTERP)
            return hv_err_set(err,
                              "ELF asks for a program interpreter (PT_INTERP in segment "
                              "%u): hvsim loads only static images",
                              i);
        if (ph.p_type != PT_LOAD)
            continue;
        snprintf(what, sizeof(what), "segment %u", i);
        /* gABI: "p_filesz ... may be zero"; "p_memsz ... may be zero";
         * "The file size may not be larger than the memory size." */
        if (ph.p_filesz > ph.p_memsz)
            return hv_err_set(err, "%s: p_filesz 0x%llx is larger than p_memsz 0x%llx", what,
                              (unsigned long long)ph.p_filesz, (unsigned long long)ph.p_memsz);
        /* The file bytes [p_offset, p_offset + p_filesz) must exist. */
        if (!add_ok(ph.p_offset, ph.p_filesz, &file_end) || file_end > len)
            return hv_err_set(err,
                              "%s: p_offset 0x%llx + p_filesz 0x%llx runs past the end of the "
                              "0x%zx-byte file",
                              what, (unsigned long long)ph.p_offset,
                              (unsigned long long)ph.p_filesz, len);
        if (ph.p_memsz == 0)
            continue; /* occupies no memory: nothing to load or check */
        /* hvsim starts with the MMU off, so segments go to their physical
         * address p_paddr (p_vaddr is where the image maps itself later). */
        if (check_range(t, what, ph.p_paddr, ph.p_memsz, err))
            return -1;
        if (img->nsegs == HV_LOADER_MAX_SEGS)
            return hv_err_set(err, "ELF has more than %d non-empty PT_LOAD segments",
                              HV_LOADER_MAX_SEGS);
        for (unsigned j = 0; j < img->nsegs; j++)
            if (ranges_overlap(ph.p_paddr, ph.p_memsz, img->segs[j].pa, img->segs[j].memsz))
                return hv_err_set(err, "%s [0x%llx, 0x%llx) overlaps segment %u [0x%llx, 0x%llx)",
                                  what, (unsigned long long)ph.p_paddr,
                                  (unsigned long long)(ph.p_paddr + ph.p_memsz), idx[j],
                                  (unsigned long long)img->segs[j].pa,
                                  (unsigned long long)(img->segs[j].pa + img->segs[j].memsz));
        if (check_already(what, ph.p_paddr, ph.p_memsz, already, nalready, err))
            return -1;
        idx[img->nsegs] = i;
        off[img->nsegs] = ph.p_offset;
        img->segs[img->nsegs].pa = ph.p_paddr;
        img->segs[img->nsegs].filesz = ph.p_filesz;
        img->segs[img->nsegs].memsz = ph.p_memsz;
        img->nsegs++;
    }
    if (img->nsegs == 0)
        return hv_err_set(err, "ELF has no loadable segments (no PT_LOAD with p_memsz > 0)");

    /* e_entry is where the CPU starts; with the MMU off it must be a
     * physical address inside what was loaded, or the first instruction
     * fetch would hit unloaded (or no) memory. */
    bool entry_ok = false;
    for (unsigned j = 0; j < img->nsegs; j++)
        if (eh.e_entry >= img->segs[j].pa && eh.e_entry - img->segs[j].pa < img->segs[j].memsz)
            entry_ok = true;
    if (!entry_ok) {
        /* Say so if it is a virtual address (p_vaddr != p_paddr), the
         * usual reason: an image linked to run with the MMU on. */
        for (unsigned i = 0; i < eh.e_phnum; i++) {
            Elf64_Phdr ph;
            get_phdr(data + eh.e_phoff + (uint64_t)i * sizeof(Elf64_Phdr), &ph);
            if (ph.p_type == PT_LOAD && ph.p_vaddr != ph.p_paddr && eh.e_entry >= ph.p_vaddr &&
                eh.e_entry - ph.p_vaddr < ph.p_memsz)
                return hv_err_set(err,
                                  "entry point 0x%llx is a virtual address (inside segment "
                                  "%u's p_vaddr range), not inside any loaded segment's "
                                  "physical range; hvsim starts with the MMU off",
                                  (unsigned long long)eh.e_entry, i);
        }
        return hv_err_set(err, "entry point 0x%llx is not inside any loaded segment",
                          (unsigned long long)eh.e_entry);
    }

    /* Everything checked: now copy, and zero each segment's tail
     * (p_memsz - p_filesz bytes, the .bss: gABI "the extra bytes ... are
     * defined to hold the value 0"). */
    for (unsigned j = 0; j < img->nsegs; j++)
        copy_in(t, img->segs[j].pa, data + off[j], img->segs[j].filesz, img->segs[j].memsz);
    img->entry = eh.e_entry;
    return 0;
}

/* ---- Linux arm64 Image -------------------------------------------------- */

/* booting.rst, "Call the kernel image": the 64-byte header is
 *   u32 code0; u32 code1;  u64 text_offset;  u64 image_size;  u64 flags;
 *   u64 res2; u64 res3; u64 res4;  u32 magic = 0x644d5241;  u32 res5;
 * all little-endian (since v3.17). */
#define ARM64_TEXT_OFFSET_OFF 0x08
#define ARM64_IMAGE_SIZE_OFF  0x10
#define ARM64_FLAGS_OFF       0x18
#define ARM64_FLAG_BE         (UINT64_C(1) << 0) /* bit 0: kernel endianness, 1 = BE */

/* QEMU (hw/arm/boot.c) keeps its boot stub in the first 4 KiB of RAM and
 * moves an Image that asks for a text_offset below that up by 2 MiB;
 * booting.rst allows it, since an Image asks only for an offset from any
 * 2 MiB-aligned base. */
#define LINUX_STUB_SIZE  (4 * KiB)
#define LINUX_STUB_SHIFT (2 * MiB)
/* booting.rst: "Where image_size is zero, text_offset can be assumed to be
 * 0x80000" (kernels before v3.17, whose header fields may even be in the
 * kernel's byte order). */
#define LINUX_OLD_TEXT_OFFSET 0x80000

static int load_linux(const uint8_t *data, size_t len, const struct hv_mem_target *t,
                      const struct hv_loaded_image *already, unsigned nalready,
                      struct hv_loaded_image *img, struct hv_err *err)
{
    uint64_t text_offset, image_size, flags, occupied, load;
    const struct hv_mem_window *ram = &t->win[0];

    if (len == 0)
        return hv_err_set(err, "empty image (0 bytes)");
    if (len < ARM64_IMAGE_HDR_SIZE)
        return hv_err_set(err,
                          "truncated arm64 Linux Image: 0x%zx bytes, shorter than the "
                          "0x%x-byte header",
                          len, ARM64_IMAGE_HDR_SIZE);
    if (!is_linux(data, len))
        return hv_err_set(err,
                          "not an arm64 Linux Image: magic at 0x38 is 0x%08x, expected "
                          "0x%08x (\"ARM\\x64\")",
                          le32(data + ARM64_IMAGE_MAGIC_OFF), ARM64_IMAGE_MAGIC);
    text_offset = le64(data + ARM64_TEXT_OFFSET_OFF);
    image_size = le64(data + ARM64_IMAGE_SIZE_OFF);
    flags = le64(data + ARM64_FLAGS_OFF);

    if (image_size == 0) {
        /* Pre-3.17 kernel: no size in the header, and text_offset and flags
         * are not reliable; the file is the whole image. */
        text_offset = LINUX_OLD_TEXT_OFFSET;
        occupied = len;
    } else {
        if (flags & ARM64_FLAG_BE)
            return hv_err_set(err, "big-endian arm64 Linux Image (flags bit 0 set): hvsim runs "
                                   "little-endian kernels only");
        /* image_size covers the kernel's .bss, which the file omits; the
         * larger of the two is what the kernel will use. */
        occupied = image_size > len ? image_size : (uint64_t)len;
    }
    if (text_offset < LINUX_STUB_SIZE)
        text_offset += LINUX_STUB_SHIFT;

    if (occupied > ram->size)
        return hv_err_set(err,
                          "arm64 Linux Image needs 0x%llx bytes (file 0x%zx, image_size "
                          "0x%llx): larger than RAM [0x%llx, 0x%llx) of 0x%llx bytes",
                          (unsigned long long)occupied, len, (unsigned long long)image_size,
                          (unsigned long long)ram->pa, (unsigned long long)(ram->pa + ram->size),
                          (unsigned long long)ram->size);
    if (!add_ok(ram->pa, text_offset, &load))
        return hv_err_set(err,
                          "arm64 Linux Image text_offset 0x%llx puts it past the end of the "
                          "64-bit address space",
                          (unsigned long long)text_offset);
    /* It must fit in RAM itself, not in whatever window follows. */
    uint64_t end;
    if (!add_ok(load, occupied, &end) || load < ram->pa || end > ram->pa + ram->size)
        return hv_err_set(err,
                          "arm64 Linux Image at 0x%llx (RAM base + text_offset 0x%llx) with "
                          "0x%llx bytes does not fit in RAM [0x%llx, 0x%llx)",
                          (unsigned long long)load, (unsigned long long)text_offset,
                          (unsigned long long)occupied, (unsigned long long)ram->pa,
                          (unsigned long long)(ram->pa + ram->size));
    if (check_already("arm64 Linux Image", load, occupied, already, nalready, err))
        return -1;

    img->nsegs = 1;
    img->segs[0].pa = load;
    img->segs[0].filesz = len;
    img->segs[0].memsz = occupied;
    copy_in(t, load, data, len, occupied);
    img->entry = load; /* booting.rst: jump to the first instruction (code0) */
    return 0;
}

/* ---- raw binaries --------------------------------------------------------- */

static int load_raw(const uint8_t *data, size_t len, uint64_t addr, const struct hv_mem_target *t,
                    const struct hv_loaded_image *already, unsigned nalready,
                    struct hv_loaded_image *img, struct hv_err *err)
{
    if (len == 0)
        return hv_err_set(err, "empty image (0 bytes)");
    if (check_range(t, "raw image", addr, len, err))
        return -1;
    if (check_already("raw image", addr, len, already, nalready, err))
        return -1;
    img->nsegs = 1;
    img->segs[0].pa = addr;
    img->segs[0].filesz = len;
    img->segs[0].memsz = len;
    copy_in(t, addr, data, len, len);
    img->entry = addr;
    return 0;
}

int hv_load_image(const uint8_t *data, size_t len, enum hv_image_kind kind, uint64_t raw_addr,
                  const struct hv_mem_target *t, const struct hv_loaded_image *already,
                  unsigned nalready, struct hv_loaded_image *out, struct hv_err *err)
{
    struct hv_loaded_image img;
    int rc;

    if (!out)
        return hv_err_set(err, "no output given to the loader");
    if (!data && len)
        return hv_err_set(err, "no image data");
    if (check_target(t, err))
        return -1;
    if (len == 0)
        return hv_err_set(err, "empty image (0 bytes)");
    memset(&img, 0, sizeof(img));

    if (kind == HV_IMAGE_AUTO) {
        kind = hv_image_detect(data, len);
        if (kind == HV_IMAGE_RAW)
            return hv_err_set(err, "unrecognized image format (not ELF, not an arm64 Linux "
                                   "Image); for a raw binary use FILE@ADDR");
    }
    img.kind = kind;
    switch (kind) {
    case HV_IMAGE_ELF:
        rc = load_elf(data, len, t, already, nalready, &img, err);
        break;
    case HV_IMAGE_LINUX:
        rc = load_linux(data, len, t, already, nalready, &img, err);
        break;
    case HV_IMAGE_RAW:
        rc = load_raw(data, len, raw_addr, t, already, nalready, &img, err);
        break;
    default:
        return hv_err_set(err, "unknown image kind %d", (int)kind);
    }
    if (rc)
        return rc;
    set_bounds(&img);
    *out = img;
    return 0;
}

/* ---- files ------------------------------------------------------------------ */

int hv_read_file(const char *path, uint8_t **data, size_t *len, struct hv_err *err)
{
    struct stat st;
    uint8_t *buf = NULL;
    size_t cap, used = 0;
    int fd;

    if (!path || !data || !len)
        return hv_err_set(err, "hv_read_file: missing argument");
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return hv_err_set(err, "cannot open %s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return hv_err_set(err, "cannot stat %s: %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return hv_err_set(err, "cannot read %s: it is a directory", path);
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > HV_READ_FILE_MAX) {
        close(fd);
        return hv_err_set(err, "%s is 0x%llx bytes, larger than the 1 GiB limit", path,
                          (unsigned long long)st.st_size);
    }
    /* Read to EOF rather than trusting st_size, so pipes (<(...)) work and
     * a file that changes size is read consistently. */
    cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 64 * 1024;
    buf = malloc(cap);
    if (!buf) {
        close(fd);
        return hv_err_set(err, "cannot read %s: out of memory", path);
    }
    for (;;) {
        if (used == cap) {
            if (cap > HV_READ_FILE_MAX) {
                free(buf);
                close(fd);
                return hv_err_set(err, "%s is larger than the 1 GiB limit", path);
            }
            size_t ncap = cap * 2 > HV_READ_FILE_MAX + 1 ? HV_READ_FILE_MAX + 1 : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                close(fd);
                return hv_err_set(err, "cannot read %s: out of memory", path);
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + used, cap - used);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            close(fd);
            return hv_err_set(err, "cannot read %s: %s", path, strerror(e));
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    if (used > HV_READ_FILE_MAX) {
        free(buf);
        return hv_err_set(err, "%s is larger than the 1 GiB limit", path);
    }
    *data = buf; /* never NULL, even for an empty file: the caller frees */
    *len = used;
    return 0;
}

/* ---- numbers ---------------------------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Strict on purpose (strtoull would accept " -1" as 2^64-1): only
 * "0x" hex digits or decimal digits, then at most one K/M/G (KiB, MiB,
 * GiB; either case) when allow_suffix. A decimal number may not start with
 * 0 unless it is "0": in C "010" is octal 8, so accepting it as either 8
 * or 10 would surprise someone. */
int hv_parse_u64(const char *s, bool allow_suffix, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    const char *p;

    if (!s || !out || !*s)
        return -1;
    p = s;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    } else if (p[0] == '0' && p[1] >= '0' && p[1] <= '9') {
        return -1; /* octal-looking */
    }
    const char *digits = p;
    for (;; p++) {
        int d = hexval(*p);
        if (d < 0 || (unsigned)d >= base)
            break;
        if (v > (UINT64_MAX - (unsigned)d) / base)
            return -1; /* overflow */
        v = v * base + (unsigned)d;
    }
    if (p == digits)
        return -1; /* "", "0x", "-1", "K" */
    if (*p && allow_suffix) {
        unsigned shift;
        switch (*p) {
        case 'K':
        case 'k':
            shift = 10;
            break;
        case 'M':
        case 'm':
            shift = 20;
            break;
        case 'G':
        case 'g':
            shift = 30;
            break;
        default:
            return -1;
        }
        if (v > (UINT64_MAX >> shift))
            return -1; /* suffix overflow */
        v <<= shift;
        p++;
    }
    if (*p)
        return -1; /* trailing junk */
    *out = v;
    return 0;
}

/* Quote a user string for a one-line message: control characters become
 * '?' and long strings are cut, so the message stays one short line. */
static const char *quote(char *buf, size_t n, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 4 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (s[i]) {
        if (i > 3)
            i -= 3;
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}

int hv_parse_file_at(const char *spec, char **path_alloc, uint64_t *addr, struct hv_err *err)
{
    char q[128];
    char *copy, *at;
    uint64_t a;

    if (path_alloc)
        *path_alloc = NULL;
    if (!spec || !path_alloc || !addr)
        return hv_err_set(err, "hv_parse_file_at: missing argument");
    /* The LAST '@': a path may contain '@' ("a@b@0x1000"), a number never. */
    at = strrchr(spec, '@');
    if (!at)
        return hv_err_set(err, "expected FILE@ADDR, got '%s' (no '@')", quote(q, sizeof(q), spec));
    if (at == spec)
        return hv_err_set(err, "expected FILE@ADDR, got '%s' (empty file name)",
                          quote(q, sizeof(q), spec));
    if (hv_parse_u64(at + 1, false, &a) != 0)
        return hv_err_set(err, "malformed address '%s' in '%s' (expected 0x hex or decimal)",
                          quote(q, sizeof(q) / 2, at + 1),
                          quote(q + sizeof(q) / 2, sizeof(q) / 2, spec));
    copy = strdup(spec);
    if (!copy)
        return hv_err_set(err, "out of memory");
    copy[at - spec] = '\0';
    *path_alloc = copy;
    *addr = a;
    return 0;
}
