/* libFuzzer harness for sim/platform/platform*.c: the input is a DTB, given
 * to hv_platform_from_dtb. Besides ASan and UBSan, it aborts when the module
 * breaks its contract:
 *  - a rejected blob left no message, a multi-line one, or changed *p;
 *  - an accepted platform does not pass hv_platform_validate, cannot be
 *    turned into a DTB, or that DTB is not a valid blob;
 *  - the generated DTB does not parse back to the same platform (the round
 *    trip), or generating it twice gives different bytes.
 * tests/fuzz/README.md has the build and run commands. */
#include <libfdt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform.h"

static void fail(const char *why, const char *msg)
{
    fprintf(stderr, "fuzz_platform: %s%s%s\n", why, msg ? ": " : "", msg ? msg : "");
    abort();
}

static void check_msg(const struct hv_err *err)
{
    size_t n = strnlen(err->msg, sizeof(err->msg));
    if (n == 0 || n == sizeof(err->msg))
        fail("empty or unterminated error message", NULL);
    if (memchr(err->msg, '\n', n))
        fail("multi-line error message", err->msg);
}

static bool same(const struct hv_platform *a, const struct hv_platform *b)
{
    if (strcmp(a->name, b->name) || strcmp(a->model, b->model) ||
        strcmp(a->compatible, b->compatible) || a->ram_base != b->ram_base ||
        a->ram_size != b->ram_size || a->rom_base != b->rom_base || a->rom_size != b->rom_size ||
        a->ncpus != b->ncpus || a->timer_freq_hz != b->timer_freq_hz || a->ndevs != b->ndevs)
        return false;
    for (unsigned i = 0; i < a->ndevs; i++) {
        const struct hv_plat_dev *x = &a->devs[i], *y = &b->devs[i];
        if (strcmp(x->name, y->name) || x->type != y->type || x->base != y->base ||
            x->size != y->size || x->base2 != y->base2 || x->size2 != y->size2 ||
            x->irq != y->irq || x->clock_hz != y->clock_hz)
            return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hv_platform p, q, canary;
    struct hv_err err;

    memset(&canary, 0x5a, sizeof(canary));
    p = canary;
    memset(&err, 0, sizeof(err));
    if (hv_platform_from_dtb(data, size, &p, &err) != 0) {
        check_msg(&err);
        if (memcmp(&p, &canary, sizeof(p)) != 0)
            fail("a rejected DTB changed the platform", err.msg);
        return 0;
    }
    if (hv_platform_validate(&p, &err) != 0)
        fail("an accepted platform does not validate", err.msg);

    struct hv_dtb_opts o = {
        .bootargs = "console=ttyAMA0", .initrd_start = 0x48000000, .initrd_end = 0x48001000};
    void *b1 = NULL, *b2 = NULL;
    size_t l1 = 0, l2 = 0;
    if (hv_platform_build_dtb(&p, &o, &b1, &l1, &err) != 0)
        fail("an accepted platform gives no DTB", err.msg);
    if (fdt_check_full(b1, l1) != 0 || fdt_totalsize(b1) != l1)
        fail("the generated DTB is not valid", NULL);
    if (hv_platform_build_dtb(&p, &o, &b2, &l2, &err) != 0)
        fail("a second build failed", err.msg);
    if (l1 != l2 || memcmp(b1, b2, l1) != 0)
        fail("two builds differ", NULL);

    memset(&q, 0, sizeof(q));
    if (hv_platform_from_dtb(b1, l1, &q, &err) != 0)
        fail("the generated DTB does not parse back", err.msg);
    if (!same(&p, &q))
        fail("the round trip changed the platform", NULL);
    free(b1);
    free(b2);
    return 0;
}
