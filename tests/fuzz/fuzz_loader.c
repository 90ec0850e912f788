/* libFuzzer harness for sim/platform/loader.c.
 *
 * The input bytes are fed, as an image, to hv_image_detect and to
 * hv_load_image (AUTO, then RAW at an address taken from the input, then
 * the AUTO result again with the first load as `already`), and, as a
 * NUL-terminated string, to hv_parse_u64 and hv_parse_file_at. The target
 * is two windows: RAM, 1 MiB at 0x40000000, and 64 KiB at 0x0.
 *
 * Besides ASan/UBSan, it checks the loader's contract itself:
 *  - a failed load writes no guest byte and leaves a one-line message;
 *  - a successful load writes only inside the segments it reports, which lie
 *    in one window, do not overlap, and contain the entry point.
 * Guest memory is kept filled with POISON between runs to make that cheap.
 *
 * Build and run: see tests/fuzz/README.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/loader.h"

#define RAM_BASE   0x40000000ull
#define RAM_SIZE   (1ull << 20)
#define FLASH_BASE 0x0ull
#define FLASH_SIZE (64ull << 10)
#define POISON     0xa5

static uint8_t ram[RAM_SIZE];
static uint8_t flash[FLASH_SIZE];
static uint8_t poison_ref[RAM_SIZE];
static struct hv_mem_target tgt;

static void init_once(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    memset(ram, POISON, sizeof(ram));
    memset(flash, POISON, sizeof(flash));
    memset(poison_ref, POISON, sizeof(poison_ref));
    tgt.win[0] = (struct hv_mem_window){.pa = RAM_BASE, .size = RAM_SIZE, .host = ram};
    tgt.win[1] = (struct hv_mem_window){.pa = FLASH_BASE, .size = FLASH_SIZE, .host = flash};
    tgt.nwin = 2;
}

static void fail(const char *why)
{
    fprintf(stderr, "fuzz_loader: contract broken: %s\n", why);
    abort();
}

static void check_err(const struct hv_err *err)
{
    size_t n = strnlen(err->msg, sizeof(err->msg));
    if (n == 0 || n == sizeof(err->msg))
        fail("empty or unterminated error message");
    if (memchr(err->msg, '\n', n))
        fail("error message is not one line");
}

static uint8_t *host_of(uint64_t pa, uint64_t size)
{
    for (unsigned i = 0; i < tgt.nwin; i++) {
        const struct hv_mem_window *w = &tgt.win[i];
        if (pa >= w->pa && pa - w->pa <= w->size && size <= w->size - (pa - w->pa))
            return w->host + (pa - w->pa);
    }
    return NULL;
}

/* Check a successful load, then re-poison what it wrote. */
static void check_loaded(const struct hv_loaded_image *img)
{
    bool entry_in = false;
    if (img->nsegs == 0 || img->nsegs > HV_LOADER_MAX_SEGS)
        fail("bad segment count");
    if (img->lowest >= img->highest)
        fail("empty [lowest, highest)");
    for (unsigned i = 0; i < img->nsegs; i++) {
        uint64_t pa = img->segs[i].pa, sz = img->segs[i].memsz;
        if (sz == 0 || img->segs[i].filesz > sz)
            fail("bad segment sizes");
        if (!host_of(pa, sz))
            fail("segment not inside one window");
        if (pa < img->lowest || pa + sz > img->highest)
            fail("segment outside [lowest, highest)");
        for (unsigned j = 0; j < i; j++)
            if (pa < img->segs[j].pa + img->segs[j].memsz && img->segs[j].pa < pa + sz)
                fail("segments overlap");
        if (img->entry >= pa && img->entry - pa < sz)
            entry_in = true;
        /* The bytes past filesz were zeroed. */
        const uint8_t *h = host_of(pa, sz);
        for (uint64_t k = img->segs[i].filesz; k < sz; k++)
            if (h[k] != 0)
                fail("bss not zeroed");
    }
    if (!entry_in)
        fail("entry outside the loaded segments");
}

static void repoison(const struct hv_loaded_image *img)
{
    for (unsigned i = 0; i < img->nsegs; i++)
        memset(host_of(img->segs[i].pa, img->segs[i].memsz), POISON, img->segs[i].memsz);
}

/* Nothing outside the reported segments was written. */
static void check_clean(void)
{
    if (memcmp(ram, poison_ref, sizeof(ram)) != 0 || memcmp(flash, poison_ref, sizeof(flash)))
        fail("guest memory written outside the reported segments");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hv_loaded_image img, img2;
    struct hv_err err;

    init_once();
    (void)hv_image_detect(data, size);

    /* AUTO. */
    memset(&err, 0, sizeof(err));
    int rc = hv_load_image(data, size, HV_IMAGE_AUTO, 0, &tgt, NULL, 0, &img, &err);
    if (rc == 0) {
        check_loaded(&img);
        /* Loading the same image again on top of itself must fail (it
         * overlaps `already`), without writing anything. */
        memset(&err, 0, sizeof(err));
        if (hv_load_image(data, size, HV_IMAGE_AUTO, 0, &tgt, &img, 1, &img2, &err) == 0)
            fail("reloading over `already` succeeded");
        check_err(&err);
        repoison(&img);
    } else {
        check_err(&err);
    }
    check_clean();

    /* RAW at an address chosen by the input: near the start or the end of
     * either window, so both fits and overruns happen. */
    uint64_t addr = 0;
    if (size >= 4) {
        uint32_t v = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                     (uint32_t)data[size - 1] << 24;
        uint64_t base = (v & 1) ? RAM_BASE : FLASH_BASE;
        uint64_t wsize = (v & 1) ? RAM_SIZE : FLASH_SIZE;
        uint64_t off = (v >> 2) & 0xffff;
        addr = (v & 2) ? base + wsize - off : base + off;
    }
    memset(&err, 0, sizeof(err));
    rc = hv_load_image(data, size, HV_IMAGE_RAW, addr, &tgt, NULL, 0, &img, &err);
    if (rc == 0) {
        check_loaded(&img);
        if (img.entry != addr || img.segs[0].filesz != size ||
            memcmp(host_of(addr, size), data, size) != 0)
            fail("raw image not copied as is");
        repoison(&img);
    } else {
        check_err(&err);
    }
    check_clean();

    /* The parsers, on a NUL-terminated copy. */
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    uint64_t v = 0;
    (void)hv_parse_u64(s, true, &v);
    (void)hv_parse_u64(s, false, &v);
    char *path = NULL;
    memset(&err, 0, sizeof(err));
    if (hv_parse_file_at(s, &path, &v, &err) == 0) {
        if (!path || !*path || strlen(path) >= strlen(s) || s[strlen(path)] != '@')
            fail("bad FILE@ADDR split");
        free(path);
    } else {
        if (path)
            fail("path allocated on error");
        check_err(&err);
    }
    free(s);
    return 0;
}
