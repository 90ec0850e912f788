/* hvsim: image loaders. ELF64 AArch64 (PT_LOAD segments and entry), raw
 * binaries at an address, and the Linux arm64 Image format
 * (Documentation/arch/arm64/booting.rst: header, text_offset, image_size).
 *
 * Every input is untrusted: a missing, truncated, garbage or non-AArch64
 * image, a segment outside the target memory, overlapping segments or an
 * image larger than RAM each give a one-line error, never a crash.
 */
#ifndef HV_LOADER_H
#define HV_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/hv_err.h"

enum hv_image_kind { HV_IMAGE_AUTO, HV_IMAGE_ELF, HV_IMAGE_LINUX, HV_IMAGE_RAW };

/* Where images may be loaded: one or more host-backed physical windows
 * (RAM, and flash/ROM for --bios). */
struct hv_mem_window {
    uint64_t pa, size;
    uint8_t *host;
};

struct hv_mem_target {
    struct hv_mem_window win[4];
    unsigned nwin;
};

#define HV_LOADER_MAX_SEGS 16

struct hv_loaded_image {
    enum hv_image_kind kind;
    uint64_t entry;
    uint64_t lowest, highest; /* [lowest, highest) covers all loaded bytes */
    unsigned nsegs;
    struct {
        uint64_t pa, filesz, memsz;
    } segs[HV_LOADER_MAX_SEGS];
};

/* Detect the kind of an image in memory (ELF magic, arm64 Image magic at
 * offset 0x38), or HV_IMAGE_RAW if neither. */
enum hv_image_kind hv_image_detect(const uint8_t *data, size_t len);

/* Load an image held in memory into the target.
 *  - HV_IMAGE_ELF: PT_LOAD segments at their p_paddr; bss zeroed; entry = e_entry.
 *  - HV_IMAGE_LINUX: at ram_base + text_offset (+2 MiB when text_offset is
 *    below 4 KiB, as QEMU does); entry = load address.
 *  - HV_IMAGE_RAW: at raw_addr; entry = raw_addr.
 *  - HV_IMAGE_AUTO: ELF or Linux by magic; otherwise an error that suggests
 *    FILE@ADDR for raw binaries.
 * ram_base is the first RAM window's base (Linux placement).
 * `already` lists images loaded before (may be NULL): overlapping them is an
 * error too. */
int hv_load_image(const uint8_t *data, size_t len, enum hv_image_kind kind, uint64_t raw_addr,
                  const struct hv_mem_target *t, const struct hv_loaded_image *already,
                  unsigned nalready, struct hv_loaded_image *out, struct hv_err *err);

/* Read a whole file (max 1 GiB). *data is malloc'ed. */
int hv_read_file(const char *path, uint8_t **data, size_t *len, struct hv_err *err);

/* Parse "FILE@ADDR" (ADDR in C syntax: 0x.., decimal); returns 0 and splits,
 * or -1 with a message for a malformed address. path points into a copy the
 * caller frees (*path_alloc). */
int hv_parse_file_at(const char *spec, char **path_alloc, uint64_t *addr, struct hv_err *err);

/* Strict number parsing used by the CLI and the platform parser: decimal,
 * 0x hex, optional K/M/G suffix (binary units) when allow_suffix. */
int hv_parse_u64(const char *s, bool allow_suffix, uint64_t *out);

#endif
