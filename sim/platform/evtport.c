/* See evtport.h. The decision (which register, which width) is apart from
 * the effect (staging a field, emitting the event). */
#include "evtport.h"

#include <inttypes.h>
#include <stdlib.h>

struct hv_evtport {
    struct hv_evtport_io io;
    struct hv_obs *obs;
    uint32_t vm, kind;
    uint64_t addr, info;
};

struct hv_evtport *hv_evtport_create(const struct hv_evtport_io *io, struct hv_obs *obs)
{
    struct hv_evtport *p = calloc(1, sizeof(*p));
    if (p) {
        p->io = *io;
        p->obs = obs;
    }
    return p;
}

void hv_evtport_destroy(struct hv_evtport *p)
{
    free(p);
}

const char *hv_evtport_kind_name(uint32_t kind)
{
    switch (kind) {
    case HV_EVTPORT_MEMORY:
        return "memory";
    case HV_EVTPORT_VGIC:
        return "vgic";
    case HV_EVTPORT_FETCH:
        return "fetch";
    case HV_EVTPORT_CRASH:
        return "crash";
    case HV_EVTPORT_OTHER:
        return "other";
    case HV_EVTPORT_CRU:
        return "cru";
    case HV_EVTPORT_GRF:
        return "grf";
    case HV_EVTPORT_IRQ:
        return "irq";
    case HV_EVTPORT_SGI:
        return "sgi";
    default:
        return "unknown";
    }
}

enum reg {
    R_BAD,
    R_MAGIC,
    R_VERSION,
    R_VM,
    R_KIND,
    R_ADDR_LO,
    R_ADDR_HI,
    R_ADDR,
    R_INFO_LO,
    R_INFO_HI,
    R_INFO,
    R_COMMIT
};

static enum reg decode(uint64_t off, unsigned size)
{
    if (size == 4) {
        switch (off) {
        case 0x00:
            return R_MAGIC;
        case 0x04:
            return R_VERSION;
        case 0x10:
            return R_VM;
        case 0x14:
            return R_KIND;
        case 0x18:
            return R_ADDR_LO;
        case 0x1c:
            return R_ADDR_HI;
        case 0x20:
            return R_INFO_LO;
        case 0x24:
            return R_INFO_HI;
        case 0x28:
            return R_COMMIT;
        default:
            return R_BAD;
        }
    }
    if (size == 8) {
        switch (off) {
        case 0x18:
            return R_ADDR;
        case 0x20:
            return R_INFO;
        case 0x28:
            return R_COMMIT;
        default:
            return R_BAD;
        }
    }
    return R_BAD;
}

static void bad(struct hv_evtport *p, const char *what, uint64_t off, unsigned size)
{
    hv_obs_text(p->obs, HV_EV_GUEST_ERROR, p->io.el(p->io.ctx), p->io.pc(p->io.ctx),
                "event port: %u-byte %s at +0x%" PRIx64 " (no such register) ignored", size, what,
                off);
}

uint64_t hv_evtport_read(void *ctx, uint64_t off, unsigned size)
{
    struct hv_evtport *p = ctx;
    switch (decode(off, size)) {
    case R_MAGIC:
        return HV_EVTPORT_MAGIC;
    case R_VERSION:
        return 1;
    case R_VM:
        return p->vm;
    case R_KIND:
        return p->kind;
    case R_ADDR_LO:
        return (uint32_t)p->addr;
    case R_ADDR_HI:
        return p->addr >> 32;
    case R_ADDR:
        return p->addr;
    case R_INFO_LO:
        return (uint32_t)p->info;
    case R_INFO_HI:
        return p->info >> 32;
    case R_INFO:
        return p->info;
    case R_COMMIT:
        return 0;
    case R_BAD:
        break;
    }
    bad(p, "read", off, size);
    return 0;
}

static void commit(struct hv_evtport *p)
{
    struct hv_event ev = {0};
    ev.type = HV_EV_REFUSAL;
    ev.el = p->io.el(p->io.ctx);
    ev.pc = p->io.pc(p->io.ctx);
    ev.u.refusal.vm = p->vm;
    ev.u.refusal.kind = p->kind;
    ev.u.refusal.addr = p->addr;
    ev.u.refusal.info = p->info;
    ev.u.refusal.kind_name = hv_evtport_kind_name(p->kind);
    hv_obs_emit(p->obs, &ev);
    p->vm = p->kind = 0;
    p->addr = p->info = 0;
}

void hv_evtport_write(void *ctx, uint64_t off, unsigned size, uint64_t v)
{
    struct hv_evtport *p = ctx;
    switch (decode(off, size)) {
    case R_VM:
        p->vm = (uint32_t)v;
        return;
    case R_KIND:
        p->kind = (uint32_t)v;
        return;
    case R_ADDR_LO:
        p->addr = (p->addr & ~UINT64_C(0xffffffff)) | (uint32_t)v;
        return;
    case R_ADDR_HI:
        p->addr = (p->addr & UINT64_C(0xffffffff)) | v << 32;
        return;
    case R_ADDR:
        p->addr = v;
        return;
    case R_INFO_LO:
        p->info = (p->info & ~UINT64_C(0xffffffff)) | (uint32_t)v;
        return;
    case R_INFO_HI:
        p->info = (p->info & UINT64_C(0xffffffff)) | v << 32;
        return;
    case R_INFO:
        p->info = v;
        return;
    case R_COMMIT:
        commit(p);
        return;
    case R_MAGIC:
    case R_VERSION:
    case R_BAD:
        break;
    }
    bad(p, "write", off, size);
}
