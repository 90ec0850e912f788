/* Unit tests for hypervisor/core/vgic_lr: list-register allocation with an
 * overflow queue. LR encodings are from the GICv3 spec (ICH_LR<n>_EL2:
 * State[63:62], HW[61], Group[60], Priority[55:48], pINTID[41:32],
 * vINTID[31:0]); priority ordering from GICv3 4.8 (lower value = higher
 * priority). */
#include <check.h>

#include "check_run.h"
#include <stdint.h>

#include "core/vgic_lr.h"

/* An active interrupt in the queue: its EOI is seen through EOIcount
 * (ICH_HCR_EL2.LRENPIE), its DIR trapped (TDIR). */
#define WANT_ACTIVE (VGIC_WANT_LRENPIE | VGIC_WANT_TDIR)

static struct vgic_irq irq(uint32_t intid, uint8_t prio)
{
    return (struct vgic_irq){intid, prio, false, 0, false, 0};
}

START_TEST(encode_hw_and_sw)
{
    struct vgic_irq t = {27, 0xa0, true, 27, false, 0};
    /* pending (01), HW, group 1, prio 0xa0, pINTID 27, vINTID 27 */
    ck_assert_uint_eq(vgic_lr_encode(&t), UINT64_C(0x4000000000000000) |
                                              UINT64_C(0x2000000000000000) |
                                              UINT64_C(0x1000000000000000) | UINT64_C(0xa0) << 48 |
                                              UINT64_C(27) << 32 | 27);
    struct vgic_irq s = irq(40, 0x80);
    ck_assert_uint_eq(vgic_lr_encode(&s), UINT64_C(0x5080000000000028));
    struct vgic_irq back;
    vgic_lr_decode(vgic_lr_encode(&t), &back);
    ck_assert_uint_eq(back.intid, 27);
    ck_assert(back.hw);
    ck_assert_uint_eq(back.pintid, 27);
    ck_assert_uint_eq(back.prio, 0xa0);
}
END_TEST

START_TEST(fills_free_lrs_then_queues)
{
    struct vgic_lrs s;
    vgic_lrs_init(&s, 4); /* QEMU's GICv3: 4 list registers */
    uint32_t dirty = 0;
    for (uint32_t i = 0; i < 4; i++) {
        struct vgic_irq q = irq(32 + i, 0x80);
        ck_assert_int_eq(vgic_lrs_inject(&s, &q, &dirty), VGIC_INJ_LR);
    }
    ck_assert_uint_eq(dirty, 0xf);
    ck_assert(!vgic_lrs_want_underflow(&s));
    /* Equal priority: the fifth and sixth wait, in order. */
    struct vgic_irq e = irq(40, 0x80), f = irq(41, 0x80);
    ck_assert_int_eq(vgic_lrs_inject(&s, &e, NULL), VGIC_INJ_QUEUED);
    ck_assert_int_eq(vgic_lrs_inject(&s, &f, NULL), VGIC_INJ_QUEUED);
    ck_assert_uint_eq(s.nq, 2);
    ck_assert(vgic_lrs_want_underflow(&s));
    /* Already pending: in an LR, or queued. */
    struct vgic_irq again = irq(33, 0x80);
    ck_assert_int_eq(vgic_lrs_inject(&s, &again, NULL), VGIC_INJ_ALREADY);
    ck_assert_int_eq(vgic_lrs_inject(&s, &f, NULL), VGIC_INJ_ALREADY);
    ck_assert_uint_eq(s.nq, 2);

    /* The guest handled LRs 1 and 3 (state back to invalid): refill puts
     * the queued ones there, first come first. */
    s.lr[1] = 0;
    s.lr[3] = 0;
    ck_assert_uint_eq(vgic_lrs_refill(&s), (1u << 1) | (1u << 3));
    ck_assert_uint_eq((uint32_t)s.lr[1], 40);
    ck_assert_uint_eq((uint32_t)s.lr[3], 41);
    ck_assert_uint_eq(s.nq, 0);
    ck_assert(!vgic_lrs_want_underflow(&s));
}
END_TEST

START_TEST(higher_priority_evicts_lowest_pending)
{
    struct vgic_lrs s;
    vgic_lrs_init(&s, 2);
    struct vgic_irq a = irq(32, 0x80), b = irq(33, 0xc0), c = irq(34, 0x40);
    vgic_lrs_inject(&s, &a, NULL);
    vgic_lrs_inject(&s, &b, NULL);
    uint32_t dirty = 0;
    ck_assert_int_eq(vgic_lrs_inject(&s, &c, &dirty), VGIC_INJ_EVICTED);
    ck_assert_uint_eq(dirty, 1u << 1); /* b (0xc0) was the lowest priority */
    ck_assert_uint_eq((uint32_t)s.lr[1], 34);
    ck_assert_uint_eq(s.nq, 1);
    ck_assert_uint_eq(s.queue[0].intid, 33);
    ck_assert_uint_eq(s.evictions, 1);
    /* Lower than everything in the LRs: queued, behind by priority. */
    struct vgic_irq d = irq(35, 0xe0), e = irq(36, 0xa0);
    ck_assert_int_eq(vgic_lrs_inject(&s, &d, NULL), VGIC_INJ_QUEUED);
    ck_assert_int_eq(vgic_lrs_inject(&s, &e, NULL), VGIC_INJ_QUEUED);
    ck_assert_uint_eq(s.queue[0].intid, 36); /* 0xa0 */
    ck_assert_uint_eq(s.queue[1].intid, 33); /* 0xc0 */
    ck_assert_uint_eq(s.queue[2].intid, 35); /* 0xe0 */
}
END_TEST

START_TEST(active_lrs_kept_for_lower_priority)
{
    struct vgic_lrs s;
    vgic_lrs_init(&s, 1);
    struct vgic_irq a = irq(32, 0xc0), b = irq(33, 0xf0);
    vgic_lrs_inject(&s, &a, NULL);
    /* The guest acknowledged it: active (10), no longer pending. A lower
     * priority one cannot preempt it: it waits. */
    s.lr[0] = (s.lr[0] & ~LR_STATE_MASK) | LR_ACTIVE;
    ck_assert_int_eq(vgic_lrs_inject(&s, &b, NULL), VGIC_INJ_QUEUED);
    ck_assert_uint_eq(vgic_lrs_maint(&s), VGIC_WANT_UIE);
    /* The same software interrupt again while active: pending + active. */
    ck_assert_int_eq(vgic_lrs_inject(&s, &a, NULL), VGIC_INJ_LR);
    ck_assert_uint_eq(s.lr[0] & LR_STATE_MASK, LR_PENDING | LR_ACTIVE);
    /* A HW interrupt cannot fire again before its deactivation. */
    struct vgic_irq t = {27, 0xa0, true, 27, false, 0};
    struct vgic_lrs h;
    vgic_lrs_init(&h, 1);
    vgic_lrs_inject(&h, &t, NULL);
    h.lr[0] = (h.lr[0] & ~LR_STATE_MASK) | LR_ACTIVE;
    ck_assert_int_eq(vgic_lrs_inject(&h, &t, NULL), VGIC_INJ_ALREADY);
    ck_assert_uint_eq(h.lr[0] & LR_STATE_MASK, LR_ACTIVE);
}
END_TEST

START_TEST(queue_full_drops_and_counts)
{
    struct vgic_lrs s;
    vgic_lrs_init(&s, 1);
    for (uint32_t i = 0; i < 1 + VGIC_QUEUE; i++) {
        struct vgic_irq q = irq(100 + i, 0x80);
        ck_assert_int_ne(vgic_lrs_inject(&s, &q, NULL), VGIC_INJ_DROPPED);
    }
    struct vgic_irq over = irq(500, 0x80);
    ck_assert_int_eq(vgic_lrs_inject(&s, &over, NULL), VGIC_INJ_DROPPED);
    ck_assert_uint_eq(s.dropped, 1);
    /* More LRs than the architecture's 16 are clamped. */
    vgic_lrs_init(&s, 40);
    ck_assert_uint_eq(s.nr_lrs, 16);
}
END_TEST

/* LR.EOI (bit 41) is meaningful with HW = 0 only: there it asks for the
 * EOI maintenance interrupt (ICH_EISR_EL2); with HW = 1 those bits are
 * the pINTID. */
START_TEST(eoi_bit_for_virtual_only)
{
    struct vgic_irq p = {30, 0xa0, false, 0, true, 0};
    ck_assert_uint_eq(vgic_lr_encode(&p), UINT64_C(0x50a002000000001e));
    struct vgic_irq back;
    vgic_lr_decode(vgic_lr_encode(&p), &back);
    ck_assert(back.eoi && !back.hw && back.intid == 30);
    struct vgic_irq hw = {27, 0xa0, true, 27, true, 0}; /* eoi ignored with HW */
    ck_assert_uint_eq(vgic_lr_encode(&hw) & LR_EOI, 0);
    vgic_lr_decode(vgic_lr_encode(&hw), &back);
    ck_assert(!back.eoi);
    /* Deactivated by the guest (state invalid), EOI = 1: waiting for the
     * EOI maintenance interrupt (ICH_EISR_EL2), so not free (ICH_ELRSR_EL2
     * says the same) until the hypervisor clears it. */
    struct vgic_lrs s;
    vgic_lrs_init(&s, 1);
    s.lr[0] = vgic_lr_encode(&p) & ~LR_STATE_MASK;
    struct vgic_irq q = {40, 0x80, false, 0, false, 0};
    ck_assert_int_eq(vgic_lrs_inject(&s, &q, NULL), VGIC_INJ_QUEUED);
    ck_assert_uint_eq(vgic_lrs_refill(&s), 0);
    s.lr[0] = 0; /* the maintenance handler freed it */
    ck_assert_uint_eq(vgic_lrs_refill(&s), 1);
    ck_assert_uint_eq((uint32_t)s.lr[0], 40);
}
END_TEST

/* A level that fell: a pending-only LR becomes invalid, pending and active
 * becomes active, a queued entry goes; other INTIDs and HW LRs stay. */
START_TEST(retract_pending)
{
    struct vgic_lrs s;
    vgic_lrs_init(&s, 2);
    struct vgic_irq a = irq(30, 0xa0), b = irq(31, 0xa0), c = irq(30, 0x80);
    vgic_lrs_inject(&s, &a, NULL);
    vgic_lrs_inject(&s, &b, NULL);
    ck_assert_uint_eq(vgic_lrs_retract(&s, 30), 1);
    ck_assert_uint_eq(s.lr[0], 0);
    ck_assert_uint_eq(s.lr[1] & LR_STATE_MASK, LR_PENDING);
    /* pending and active -> active */
    vgic_lrs_inject(&s, &a, NULL);
    s.lr[0] = (s.lr[0] & ~LR_STATE_MASK) | LR_ACTIVE | LR_PENDING;
    ck_assert_uint_eq(vgic_lrs_retract(&s, 30), 1);
    ck_assert_uint_eq(s.lr[0] & LR_STATE_MASK, LR_ACTIVE);
    /* nothing pending: nothing written */
    ck_assert_uint_eq(vgic_lrs_retract(&s, 30), 0);
    /* queued: dropped from the queue */
    struct vgic_irq d = irq(40, 0xc0);
    ck_assert_int_eq(vgic_lrs_inject(&s, &d, NULL), VGIC_INJ_QUEUED);
    s.lr[0] = 0;
    s.lr[1] = vgic_lr_encode(&b) | LR_ACTIVE;
    vgic_lrs_inject(&s, &c, NULL); /* free LR 0 */
    ck_assert_uint_eq(s.nq, 1);
    ck_assert_uint_eq(vgic_lrs_retract(&s, 40), 0);
    ck_assert_uint_eq(s.nq, 0);
    /* HW LRs are never retracted (the physical interrupt owns the state). */
    struct vgic_lrs h;
    vgic_lrs_init(&h, 1);
    struct vgic_irq t = {27, 0xa0, true, 27, false, 0};
    vgic_lrs_inject(&h, &t, NULL);
    ck_assert_uint_eq(vgic_lrs_retract(&h, 27), 0);
    ck_assert_uint_eq(h.lr[0] & LR_STATE_MASK, LR_PENDING);
}
END_TEST

static uint64_t st(uint64_t lr)
{
    return lr & LR_STATE_MASK;
}

/* GICD_ISACTIVER: an interrupt in an LR becomes active there (pending and
 * active for a software one; active only for a HW one, whose pending state
 * is the physical interrupt's); one held nowhere gets an LR in the active
 * state; ICACTIVER takes it back (an LR with no state left is invalid). */
START_TEST(set_and_clear_active)
{
    struct vgic_lrs s;
    vgic_lrs_init(&s, 4);
    struct vgic_irq a = irq(3, 0x90), t = {27, 0xa0, true, 27, false, 0};
    vgic_lrs_inject(&s, &a, NULL);
    vgic_lrs_inject(&s, &t, NULL);
    ck_assert_uint_eq(vgic_lrs_set_active(&s, &a), 1u << 0);
    ck_assert_uint_eq(st(s.lr[0]), LR_PENDING | LR_ACTIVE);
    ck_assert_uint_eq(vgic_lrs_set_active(&s, &a), 0); /* already: nothing written */
    ck_assert_uint_eq(vgic_lrs_set_active(&s, &t), 1u << 1);
    ck_assert_uint_eq(st(s.lr[1]), LR_ACTIVE);
    ck_assert(s.lr[1] & LR_HW);
    uint32_t p, act;
    vgic_lrs_state(&s, 0, &p, &act);
    ck_assert_uint_eq(p, 1u << 3);
    ck_assert_uint_eq(act, 1u << 3 | 1u << 27);
    /* held nowhere: an LR, active only */
    struct vgic_irq b = irq(6, 0x90);
    ck_assert_uint_eq(vgic_lrs_set_active(&s, &b), 1u << 2);
    ck_assert_uint_eq(st(s.lr[2]), LR_ACTIVE);
    ck_assert_uint_eq((uint32_t)s.lr[2], 6);
    /* a software interrupt injected while active: pending and active */
    ck_assert_int_eq(vgic_lrs_inject(&s, &b, NULL), VGIC_INJ_LR);
    ck_assert_uint_eq(st(s.lr[2]), LR_PENDING | LR_ACTIVE);
    /* ICACTIVER: pending and active -> pending; a HW one reports its
     * pINTID and its LR becomes invalid */
    int hwp;
    ck_assert_uint_eq(vgic_lrs_clear_active(&s, 6, &hwp), 1u << 2);
    ck_assert_int_eq(hwp, -1);
    ck_assert_uint_eq(st(s.lr[2]), LR_PENDING);
    ck_assert_uint_eq(vgic_lrs_clear_active(&s, 27, &hwp), 1u << 1);
    ck_assert_int_eq(hwp, 27);
    ck_assert_uint_eq(s.lr[1], 0);
    ck_assert_uint_eq(vgic_lrs_clear_active(&s, 27, &hwp), 0); /* not active */
    ck_assert_int_eq(hwp, -1);
    /* an active-only software LR with EOI = 1 stays for the EOI
     * maintenance interrupt (ICH_EISR_EL2), as a guest deactivation leaves
     * it */
    struct vgic_irq e = {30, 0xa0, false, 0, true, 0};
    vgic_lrs_init(&s, 1);
    vgic_lrs_set_active(&s, &e);
    vgic_lrs_clear_active(&s, 30, &hwp);
    ck_assert_uint_eq(st(s.lr[0]), 0);
    ck_assert(s.lr[0] & LR_EOI);
}
END_TEST

/* ISACTIVER with every LR busy: the lowest-priority pending-only LR goes
 * to the queue (the active interrupt needs an LR for the guest to
 * deactivate it); with every LR active, it waits at the head of the queue,
 * ahead of pending entries of higher priority, and refill takes it first. */
START_TEST(set_active_needs_an_lr)
{
    struct vgic_lrs s;
    vgic_lrs_init(&s, 2);
    struct vgic_irq a = irq(40, 0x80), b = irq(41, 0xc0), c = irq(42, 0xa0);
    vgic_lrs_inject(&s, &a, NULL);
    vgic_lrs_inject(&s, &b, NULL);
    ck_assert_uint_eq(vgic_lrs_set_active(&s, &c), 1u << 1); /* 41 (0xc0) evicted */
    ck_assert_uint_eq((uint32_t)s.lr[1], 42);
    ck_assert_uint_eq(st(s.lr[1]), LR_ACTIVE);
    ck_assert_uint_eq(s.nq, 1);
    ck_assert_uint_eq(s.queue[0].intid, 41);
    /* a queued one set active: taken out of the queue into an LR (pending
     * and active), evicting 40 */
    ck_assert_uint_eq(vgic_lrs_set_active(&s, &b), 1u << 0);
    ck_assert_uint_eq((uint32_t)s.lr[0], 41);
    ck_assert_uint_eq(st(s.lr[0]), LR_PENDING | LR_ACTIVE);
    ck_assert_uint_eq(s.nq, 1);
    ck_assert_uint_eq(s.queue[0].intid, 40);
    /* every LR active: queued, ahead of 40 although 40 outranks it */
    struct vgic_irq d = irq(43, 0xf0);
    ck_assert_uint_eq(vgic_lrs_set_active(&s, &d), 0);
    ck_assert_uint_eq(s.nq, 2);
    ck_assert_uint_eq(s.queue[0].intid, 43);
    uint32_t p, act;
    vgic_lrs_state(&s, 32, &p, &act);
    ck_assert_uint_eq(act, 1u << 9 | 1u << 10 | 1u << 11);
    ck_assert_uint_eq(p, 1u << 8 | 1u << 9);
    /* an LR frees: refill gives it to the pending one (the guest has to
     * see it; the active one's EOI is seen through EOIcount) */
    ck_assert_uint_eq(vgic_lrs_maint(&s), VGIC_WANT_UIE | WANT_ACTIVE);
    s.lr[1] = 0;
    ck_assert_uint_eq(vgic_lrs_refill(&s), 1u << 1);
    ck_assert_uint_eq((uint32_t)s.lr[1], 40);
    ck_assert_uint_eq(st(s.lr[1]), LR_PENDING);
    ck_assert_uint_eq(s.nq, 1);
    ck_assert_uint_eq(vgic_lrs_maint(&s), WANT_ACTIVE);
    /* ICACTIVER of a queued active-only entry removes it */
    int hwp;
    ck_assert_uint_eq(vgic_lrs_clear_active(&s, 43, &hwp), 0);
    ck_assert_int_eq(hwp, -1);
    ck_assert_uint_eq(s.nq, 0);
    ck_assert_uint_eq(vgic_lrs_maint(&s), 0);
}
END_TEST

/* The guest nests: it acknowledges each interrupt (LR pending -> active,
 * as VirtualReadIAR does) before the next, higher-priority one comes. */
static void ack(struct vgic_lrs *s, uint32_t intid)
{
    for (unsigned i = 0; i < s->nr_lrs; i++)
        if ((uint32_t)s->lr[i] == intid && st(s->lr[i]) == LR_PENDING) {
            s->lr[i] = (s->lr[i] & ~LR_STATE_MASK) | LR_ACTIVE;
            return;
        }
    ck_abort_msg("INTID %u not pending in an LR", intid);
}

/* More nested active interrupts than LRs: a higher-priority pending one
 * takes the LR of the lowest-priority active one (GICv3 4.8: the guest
 * must see it), which waits in the queue, active; its EOI is then seen
 * through EOIcount (GICv3 4.10.4), highest priority first. */
START_TEST(nesting_beyond_the_lrs)
{
    struct vgic_lrs s;
    vgic_lrs_init(&s, 4);
    for (uint32_t i = 0; i < 4; i++) {
        struct vgic_irq n = irq(i, (uint8_t)(0xc0 - 0x10 * i));
        ck_assert_int_eq(vgic_lrs_inject(&s, &n, NULL), VGIC_INJ_LR);
        ack(&s, i);
    }
    /* SGI 4 (0x80) outranks every active one: it evicts SGI 0 (0xc0). */
    struct vgic_irq n4 = irq(4, 0x80), n5 = irq(5, 0x70);
    uint32_t dirty = 0;
    ck_assert_int_eq(vgic_lrs_inject(&s, &n4, &dirty), VGIC_INJ_EVICTED);
    ck_assert_uint_eq(dirty, 1u << 0);
    ck_assert_uint_eq(s.lr[0], vgic_lr_encode(&n4));
    ck_assert_uint_eq(s.nq, 1);
    ck_assert_uint_eq(s.queue[0].intid, 0);
    ck_assert_uint_eq(vgic_irq_state(&s.queue[0]), 2); /* active */
    /* Only LRENPIE: no pending interrupt waits, so no refill is needed. */
    ck_assert_uint_eq(vgic_lrs_maint(&s), WANT_ACTIVE);
    ack(&s, 4);
    ck_assert_int_eq(vgic_lrs_inject(&s, &n5, NULL), VGIC_INJ_EVICTED); /* SGI 1 (0xb0) */
    ck_assert_uint_eq(s.queue[0].intid, 1);
    ck_assert_uint_eq(s.queue[1].intid, 0);
    uint32_t p, a;
    vgic_lrs_state(&s, 0, &p, &a);
    ck_assert_uint_eq(a, 0x1f);
    ck_assert_uint_eq(p, 1u << 5);
    /* The guest EOIs 5, 4, 3, 2 in their LRs, then 1 and 0, in no LR:
     * EOIcount 2 deactivates SGI 1 then SGI 0. */
    ack(&s, 5);
    for (unsigned i = 0; i < 4; i++)
        s.lr[i] = 0;
    struct vgic_irq done[4];
    ck_assert_uint_eq(vgic_lrs_eoi_count(&s, 1, done), 1);
    ck_assert_uint_eq(done[0].intid, 1);
    ck_assert_uint_eq(vgic_lrs_eoi_count(&s, 1, done), 1);
    ck_assert_uint_eq(done[0].intid, 0);
    ck_assert_uint_eq(s.nq, 0);
    ck_assert_uint_eq(vgic_lrs_maint(&s), 0);
    /* A count with nothing queued active: recorded, nothing else. */
    ck_assert_uint_eq(vgic_lrs_eoi_count(&s, 3, done), 0);
    ck_assert_uint_eq(s.eoi_unmatched, 3);
    vgic_lrs_state(&s, 0, &p, &a);
    ck_assert_uint_eq(a | p, 0);
}
END_TEST

/* Which active LRs may leave: a HW SPI's (its physical INTID is
 * deactivated by the caller, done[].pintid) but not a HW PPI's (the world
 * switch carries its banked active state with its LR) nor one asking for
 * the EOI maintenance interrupt (its deactivation must be seen, ICH_EISR).
 * A software one pending and active stays queued, pending, when its
 * active state goes. */
START_TEST(eviction_of_active_kinds)
{
    struct vgic_lrs s;
    vgic_lrs_init(&s, 4);
    struct vgic_irq spi = {40, 0xa0, true, 72, false, 0};
    struct vgic_irq ppi = {27, 0xf0, true, 27, false, 0};
    struct vgic_irq eoi = {30, 0xf0, false, 0, true, 0};
    struct vgic_irq sw = irq(3, 0xb0);
    vgic_lrs_inject(&s, &spi, NULL);
    vgic_lrs_inject(&s, &ppi, NULL);
    vgic_lrs_inject(&s, &eoi, NULL);
    vgic_lrs_inject(&s, &sw, NULL);
    ack(&s, 40);
    ack(&s, 27);
    ack(&s, 30);
    ack(&s, 3);
    ck_assert_int_eq(vgic_lrs_inject(&s, &sw, NULL), VGIC_INJ_LR); /* pending and active */
    /* 0x90: the PPI and the EOI one (0xf0) stay, SW 3 is pending and
     * active: the SPI (0xa0) goes. */
    struct vgic_irq x = irq(5, 0x90), y = irq(6, 0x98);
    ck_assert_int_eq(vgic_lrs_inject(&s, &x, NULL), VGIC_INJ_EVICTED);
    ck_assert_uint_eq(s.queue[0].intid, 40);
    /* Nothing else may leave: queued behind. */
    ck_assert_int_eq(vgic_lrs_inject(&s, &y, NULL), VGIC_INJ_QUEUED);
    ck_assert_uint_eq(vgic_lrs_maint(&s), VGIC_WANT_UIE | WANT_ACTIVE);
    struct vgic_irq done[2];
    ck_assert_uint_eq(vgic_lrs_eoi_count(&s, 1, done), 1);
    ck_assert(done[0].hw);
    ck_assert_uint_eq(done[0].pintid, 72);
    ck_assert_uint_eq(done[0].intid, 40);
    /* SW 3 pending and active, queued by hand as a set_active with every
     * LR busy would: EOIcount leaves it pending. */
    struct vgic_irq pa = irq(7, 0x10);
    pa.state = 3;
    s.queue[s.nq++] = pa;
    ck_assert_uint_eq(vgic_lrs_eoi_count(&s, 1, done), 1);
    ck_assert_uint_eq(done[0].intid, 7);
    ck_assert_uint_eq(s.nq, 2);
    ck_assert_uint_eq(s.queue[0].intid, 7);
    ck_assert_uint_eq(vgic_irq_state(&s.queue[0]), 1);
    ck_assert_uint_eq(vgic_lrs_maint(&s), VGIC_WANT_UIE);
}
END_TEST

/* A free LR taken by a low-priority injection while a higher-priority
 * one waits in the queue (the guest freed LRs since the last
 * maintenance): the queued one is not left behind it. */
START_TEST(queued_pending_not_behind_a_free_lr)
{
    struct vgic_lrs s;
    vgic_lrs_init(&s, 2);
    struct vgic_irq a = irq(40, 0x80), b = irq(41, 0x80), c = irq(42, 0x90), d = irq(43, 0xe0);
    vgic_lrs_inject(&s, &a, NULL);
    vgic_lrs_inject(&s, &b, NULL);
    ck_assert_int_eq(vgic_lrs_inject(&s, &c, NULL), VGIC_INJ_QUEUED);
    s.lr[1] = 0; /* the guest handled 41 */
    uint32_t dirty = 0;
    ck_assert_int_eq(vgic_lrs_inject(&s, &d, &dirty), VGIC_INJ_QUEUED);
    ck_assert_uint_eq(dirty, 1u << 1);
    ck_assert_uint_eq((uint32_t)s.lr[1], 42);
    ck_assert_uint_eq(s.nq, 1);
    ck_assert_uint_eq(s.queue[0].intid, 43);
}
END_TEST

/* ICPENDR: a software interrupt's pending state goes (pending and active
 * -> active); a HW one leaves its LR and reports its pINTID (the physical
 * interrupt, acknowledged by the hypervisor, is to be deactivated). */
START_TEST(clear_pending_sw_and_hw)
{
    struct vgic_lrs s;
    vgic_lrs_init(&s, 2);
    struct vgic_irq a = irq(3, 0x90), t = {27, 0xa0, true, 27, false, 0}, q = irq(5, 0xf0);
    vgic_lrs_inject(&s, &a, NULL);
    vgic_lrs_inject(&s, &t, NULL);
    vgic_lrs_inject(&s, &q, NULL); /* queued */
    int hwp;
    bool was;
    ck_assert_uint_eq(vgic_lrs_clear_pending(&s, 27, &hwp, &was), 1u << 1);
    ck_assert(was);
    ck_assert_int_eq(hwp, 27);
    ck_assert_uint_eq(s.lr[1], 0);
    vgic_lrs_set_active(&s, &a);
    ck_assert_uint_eq(vgic_lrs_clear_pending(&s, 3, &hwp, &was), 1u << 0);
    ck_assert(was);
    ck_assert_int_eq(hwp, -1);
    ck_assert_uint_eq(st(s.lr[0]), LR_ACTIVE);
    ck_assert_uint_eq(vgic_lrs_clear_pending(&s, 3, &hwp, &was), 0);
    ck_assert(!was);
    ck_assert_uint_eq(vgic_lrs_clear_pending(&s, 5, &hwp, &was), 0);
    ck_assert(was);
    ck_assert_uint_eq(s.nq, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hyp_vgic_lr");
    TCase *tc = tcase_create("lr");
    tcase_add_test(tc, encode_hw_and_sw);
    tcase_add_test(tc, fills_free_lrs_then_queues);
    tcase_add_test(tc, higher_priority_evicts_lowest_pending);
    tcase_add_test(tc, active_lrs_kept_for_lower_priority);
    tcase_add_test(tc, queue_full_drops_and_counts);
    tcase_add_test(tc, eoi_bit_for_virtual_only);
    tcase_add_test(tc, retract_pending);
    tcase_add_test(tc, set_and_clear_active);
    tcase_add_test(tc, set_active_needs_an_lr);
    tcase_add_test(tc, clear_pending_sw_and_hw);
    tcase_add_test(tc, nesting_beyond_the_lrs);
    tcase_add_test(tc, eviction_of_active_kinds);
    tcase_add_test(tc, queued_pending_not_behind_a_free_lr);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return hv_check_run(suite());
}
