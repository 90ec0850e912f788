/* Unit tests for hypervisor/core/vgic_emu: the emulated GICD/GICR with
 * per-VM INTID ownership. Offsets from the GICv3 spec (IHI 0069) 12.9-12.11:
 * GICD_CTLR 0x0, GICD_TYPER 0x4, GICD_ISENABLER<n> 0x100, GICD_ICENABLER<n>
 * 0x180, GICD_IPRIORITYR<n> 0x400, GICD_ICFGR<n> 0xc00, GICD_IROUTER<n>
 * 0x6000; GICR_TYPER 0x8, GICR_WAKER 0x14, GICR_ISENABLER0 0x10100,
 * GICR_IPRIORITYR<n> 0x10400 (per 0x20000 frame). */
#include <check.h>

#include "check_run.h"
#include <string.h>

#include "core/vgic_emu.h"

static struct vgic_emu e;
static struct vgic_emu_effect eff;

static void setup(void)
{
    vgic_emu_init(&e, 2, 27);
    vgic_emu_own(&e, 40); /* its UART's SPI */
    memset(&eff, 0, sizeof eff);
}

static uint64_t rd(bool gicr, uint32_t off, unsigned width)
{
    uint64_t v = 0xdead;
    int r = gicr ? vgic_emu_redist(&e, off, false, width, &v, &eff)
                 : vgic_emu_dist(&e, off, false, width, &v, &eff);
    ck_assert_int_eq(r, 0);
    return v;
}

static void wr(bool gicr, uint32_t off, unsigned width, uint64_t v)
{
    int r = gicr ? vgic_emu_redist(&e, off, true, width, &v, &eff)
                 : vgic_emu_dist(&e, off, true, width, &v, &eff);
    ck_assert_int_eq(r, 0);
}

START_TEST(ownership)
{
    for (unsigned i = 0; i < 16; i++)
        ck_assert(vgic_emu_owns(&e, i)); /* SGIs */
    ck_assert(vgic_emu_owns(&e, 27));
    ck_assert(!vgic_emu_owns(&e, 26)); /* the hypervisor's timer */
    ck_assert(vgic_emu_owns(&e, 40));
    ck_assert(!vgic_emu_owns(&e, 41));
    ck_assert(!vgic_emu_owns(&e, 5000));
}
END_TEST

START_TEST(enable_own_spi)
{
    /* ISENABLER1 covers INTIDs 32-63: bit 8 = INTID 40. */
    wr(false, 0x104, 4, 1u << 8);
    ck_assert(!eff.violation);
    ck_assert_uint_eq(eff.enable_bank, 1);
    ck_assert_uint_eq(eff.enable_on, 1u << 8);
    ck_assert(vgic_emu_enabled(&e, 0, 40));
    ck_assert_uint_eq(rd(false, 0x104, 4), 1u << 8);
    memset(&eff, 0, sizeof eff);
    wr(false, 0x184, 4, 1u << 8); /* ICENABLER1 */
    ck_assert_uint_eq(eff.enable_bank, 1);
    ck_assert_uint_eq(eff.enable_off, 1u << 8);
    ck_assert(!vgic_emu_enabled(&e, 0, 40));
}
END_TEST

START_TEST(foreign_spi_refused_as_a_whole)
{
    /* INTID 40 (own) and 41 (not own) in one write: nothing applies. */
    wr(false, 0x104, 4, (1u << 8) | (1u << 9));
    ck_assert(eff.violation);
    ck_assert_uint_eq(eff.intid, 41);
    ck_assert(!vgic_emu_enabled(&e, 0, 40));
    ck_assert_uint_eq(eff.enable_on, 0);
    /* Priority byte of INTID 41, a word covering 40-43, routing, config. */
    memset(&eff, 0, sizeof eff);
    wr(false, 0x400 + 41, 1, 0x10);
    ck_assert(eff.violation && eff.intid == 41);
    memset(&eff, 0, sizeof eff);
    wr(false, 0x400 + 40, 4, 0x10101010);
    ck_assert(eff.violation && eff.intid == 41);
    ck_assert_uint_eq(vgic_emu_priority(&e, 0, 40), 0);
    memset(&eff, 0, sizeof eff);
    wr(false, 0x6000 + 8 * 41, 8, 0);
    ck_assert(eff.violation && eff.intid == 41);
    memset(&eff, 0, sizeof eff);
    wr(false, 0xc08, 4, 2u << 18); /* ICFGR2: INTID 32 + 9 = 41 edge */
    ck_assert(eff.violation && eff.intid == 41);
    /* Its own priority byte works; others read as zero. */
    memset(&eff, 0, sizeof eff);
    wr(false, 0x400 + 40, 1, 0x80);
    ck_assert(!eff.violation);
    ck_assert_uint_eq(vgic_emu_priority(&e, 0, 40), 0x80);
    ck_assert_uint_eq(rd(false, 0x400 + 40, 4), 0x80);
}
END_TEST

START_TEST(redistributor_ppis)
{
    /* vCPU 1's frame: enable the virtual timer (27). */
    wr(true, 0x20000 + 0x10100, 4, 1u << 27);
    ck_assert(!eff.violation);
    ck_assert(vgic_emu_enabled(&e, 1, 27));
    ck_assert(!vgic_emu_enabled(&e, 0, 27));
    ck_assert_uint_eq(eff.ppi_enable_on, 1u << 27); /* newly enabled, in vCPU 1's frame */
    ck_assert_uint_eq(eff.ppi_vcpu, 1);
    memset(&eff, 0, sizeof eff);
    wr(true, 0x20000 + 0x10100, 4, 1u << 27); /* already enabled: nothing new */
    ck_assert_uint_eq(eff.ppi_enable_on, 0);
    /* The hypervisor's timer PPI 26 and the EL1 physical timer 30: refused. */
    wr(true, 0x10100, 4, 1u << 26);
    ck_assert(eff.violation && eff.intid == 26);
    ck_assert(!vgic_emu_enabled(&e, 0, 26));
    memset(&eff, 0, sizeof eff);
    wr(true, 0x10400 + 27, 1, 0xa0);
    ck_assert_uint_eq(vgic_emu_priority(&e, 0, 27), 0xa0);
    /* GICR_TYPER: Processor_Number [23:8], Aff0 [39:32], Last [4]. */
    ck_assert_uint_eq(rd(true, 0x8, 8), 0);
    ck_assert_uint_eq(rd(true, 0x20000 + 0x8, 8), UINT64_C(1) << 32 | 1u << 8 | 1u << 4);
    /* GICR_WAKER: ProcessorSleep and ChildrenAsleep until woken. */
    ck_assert_uint_eq(rd(true, 0x14, 4), 6);
    wr(true, 0x14, 4, 0);
    ck_assert_uint_eq(rd(true, 0x14, 4), 0);
    /* A frame beyond its vCPUs, and a bad width: refused by the GIC. */
    uint64_t v = 0;
    ck_assert_int_eq(vgic_emu_redist(&e, 2 * 0x20000 + 0x14, false, 4, &v, &eff), -1);
    ck_assert_int_eq(vgic_emu_redist(&e, 0x10100, true, 2, &v, &eff), -1);
}
END_TEST

START_TEST(identification)
{
    ck_assert_uint_eq(rd(false, 0x0, 4) & 0x50, 0x50); /* ARE, DS */
    wr(false, 0x0, 4, 2);
    ck_assert_uint_eq(rd(false, 0x0, 4), 0x52);
    ck_assert_uint_eq(rd(false, 0x4, 4), 9u << 19 | 30);
    ck_assert_uint_eq(rd(false, 0xffe8, 4), 0x3b);
    ck_assert_uint_eq(rd(true, 0xffe8, 4), 0x3b);
    ck_assert_uint_eq(rd(false, 0xc, 4), 0); /* GICD_TYPER2: nothing of GICv4.1 */
    ck_assert(!eff.unknown);
    /* An offset not modelled: read as zero and reported. */
    ck_assert_uint_eq(rd(false, 0x2000, 4), 0);
    ck_assert(eff.unknown);
}
END_TEST

/* A VM whose unowned INTIDs are not implemented (RAZ/WI, GICv3 12.1.x):
 * Linux's irq-gic-v3 writes every INTID GICD_TYPER advertises. */
START_TEST(unowned_intids_raz_wi)
{
    e.unowned_wi = true;
    /* GICD_ISENABLER1 = ~0: only INTID 40 (bit 8) becomes enabled. */
    wr(false, 0x104, 4, 0xffffffffu);
    ck_assert(!eff.violation);
    ck_assert_uint_eq(eff.enable_bank, 1);
    ck_assert_uint_eq(eff.enable_on, 1u << 8);
    ck_assert_uint_eq(rd(false, 0x104, 4), 1u << 8);
    ck_assert(!vgic_emu_enabled(&e, 0, 41));
    /* GICD_ICENABLER1 = ~0 disables it again. */
    memset(&eff, 0, sizeof eff);
    wr(false, 0x184, 4, 0xffffffffu);
    ck_assert(!eff.violation);
    ck_assert_uint_eq(eff.enable_bank, 1);
    ck_assert_uint_eq(eff.enable_off, 1u << 8);
    ck_assert(!vgic_emu_enabled(&e, 0, 40));
    /* GICD_IGROUPR1 = ~0 reads back only the owned bit. */
    wr(false, 0x084, 4, 0xffffffffu);
    ck_assert_uint_eq(rd(false, 0x084, 4), 1u << 8);
    /* GICD_IPRIORITYR10 (INTIDs 40-43) = 0xa0 each: only 40 keeps it. */
    wr(false, 0x400 + 40, 4, 0xa0a0a0a0u);
    ck_assert_uint_eq(vgic_emu_priority(&e, 0, 40), 0xa0);
    ck_assert_uint_eq(vgic_emu_priority(&e, 0, 41), 0);
    ck_assert_uint_eq(rd(false, 0x400 + 40, 4), 0xa0);
    /* GICD_ICFGR2 (INTIDs 32-47) all edge: INTID 40's Int_config[1] (bit
     * 17) only. */
    wr(false, 0xc08, 4, 0xaaaaaaaau);
    ck_assert_uint_eq(rd(false, 0xc08, 4), 2u << 16);
    /* GICD_IROUTER41: WI, reads zero; IROUTER40 keeps Aff0. */
    wr(false, 0x6000 + 8 * 41, 8, 1);
    ck_assert_uint_eq(rd(false, 0x6000 + 8 * 41, 8), 0);
    wr(false, 0x6000 + 8 * 40, 8, 1);
    ck_assert_uint_eq(rd(false, 0x6000 + 8 * 40, 8), 1);
    /* GICR: ICENABLER0 = 0xffff0000 (every PPI), ISENABLER0 = 0xffff (the
     * SGIs) and the virtual timer 27, IGROUPR0 = ~0. */
    wr(true, 0x10100, 4, 0xffffffffu);
    ck_assert_uint_eq(rd(true, 0x10100, 4), 0xffffu | 1u << 27);
    wr(true, 0x10180, 4, 0xffff0000u);
    ck_assert_uint_eq(rd(true, 0x10100, 4), 0xffffu);
    wr(true, 0x10080, 4, 0xffffffffu);
    ck_assert_uint_eq(rd(true, 0x10080, 4), 0xffffu | 1u << 27);
    /* GICR_ICFGR1 (PPIs 16-31) = all edge: only 27 (bits 23:22) holds. */
    wr(true, 0x10c04, 4, 0xaaaaaaaau);
    ck_assert_uint_eq(rd(true, 0x10c04, 4), 2u << 22);
    /* GICR_IPRIORITYR6 (PPIs 24-27): only 27's byte. */
    wr(true, 0x10400 + 24, 4, 0x90909090u);
    ck_assert_uint_eq(rd(true, 0x10400 + 24, 4), 0x90u << 24);
    ck_assert(!eff.violation);
}
END_TEST

START_TEST(sgi_targets)
{
    unsigned intid;
    /* 2 vCPUs. TargetList {0,1}, INTID 5. */
    ck_assert_uint_eq(vgic_emu_sgi_targets(&e, 0, 5u << 24 | 3, &intid), 3);
    ck_assert_uint_eq(intid, 5);
    /* TargetList bits beyond the VM's vCPUs select nothing. */
    ck_assert_uint_eq(vgic_emu_sgi_targets(&e, 0, 1u << 24 | 0xfffc, &intid), 0);
    /* IRM = 1: everyone but self. */
    ck_assert_uint_eq(vgic_emu_sgi_targets(&e, 1, UINT64_C(1) << 40, &intid), 1);
    /* Another cluster (Aff1 = 1) or range (RS = 1): none of its vCPUs. */
    ck_assert_uint_eq(vgic_emu_sgi_targets(&e, 0, 1u << 16 | 1, &intid), 0);
    ck_assert_uint_eq(vgic_emu_sgi_targets(&e, 0, UINT64_C(1) << 44 | 1, &intid), 0);
}
END_TEST

/* A target outside the VM (2 vCPUs, Aff0 0 and 1 in cluster 0.0.0, range
 * 0): a TargetList bit at 2 or beyond, or any bit in another cluster
 * (Aff1, Aff2, Aff3) or range (RS). IRM = 1 and an empty list are not. */
START_TEST(sgi_outside)
{
    ck_assert(!vgic_emu_sgi_outside(&e, 5u << 24 | 3));
    ck_assert(vgic_emu_sgi_outside(&e, 5u << 24 | 4));
    ck_assert(vgic_emu_sgi_outside(&e, 1u << 16 | 1));
    ck_assert(vgic_emu_sgi_outside(&e, UINT64_C(1) << 32 | 1));
    ck_assert(vgic_emu_sgi_outside(&e, UINT64_C(1) << 48 | 1));
    ck_assert(vgic_emu_sgi_outside(&e, UINT64_C(1) << 44 | 1));
    ck_assert(!vgic_emu_sgi_outside(&e, UINT64_C(1) << 40 | 1u << 16));
    ck_assert(!vgic_emu_sgi_outside(&e, 1u << 16));
}
END_TEST

/* Pending/active registers (GICv3 12.9.x GICD_ISPENDR<n> 0x200, ICPENDR
 * 0x280, ISACTIVER 0x300, ICACTIVER 0x380; GICR_..0 at SGI_base + the same
 * offsets): ownership as for the enables; the state itself is the
 * hypervisor's to complete (state_op, bank, vCPU, owned bits). */
START_TEST(pending_active_registers)
{
    /* SPI bank 1 (INTIDs 32-63): it owns 40. */
    wr(false, 0x200 + 4, 4, 1u << 8);
    ck_assert(!eff.violation);
    ck_assert_int_eq(eff.state_op, VGIC_STATE_SET_PENDING);
    ck_assert(!eff.state_read);
    ck_assert_uint_eq(eff.state_bank, 1);
    ck_assert_uint_eq(eff.state_mask, 1u << 8);
    memset(&eff, 0, sizeof eff);
    ck_assert_uint_eq(rd(false, 0x300 + 4, 4), 0);
    ck_assert_int_eq(eff.state_op, VGIC_STATE_SET_ACTIVE);
    ck_assert(eff.state_read);
    ck_assert_uint_eq(eff.state_mask, 1u << 8); /* the owned bits */
    /* Another VM's SPI (41): refused as a whole, no state operation. */
    memset(&eff, 0, sizeof eff);
    wr(false, 0x280 + 4, 4, 3u << 8);
    ck_assert(eff.violation);
    ck_assert_uint_eq(eff.intid, 41);
    /* Redistributor of vCPU 1: SGI 3 and the virtual timer are its own,
     * PPI 26 (the hypervisor's) is not. */
    memset(&eff, 0, sizeof eff);
    wr(true, 0x20000 + 0x10380, 4, 1u << 3 | 1u << 27);
    ck_assert(!eff.violation);
    ck_assert_int_eq(eff.state_op, VGIC_STATE_CLR_ACTIVE);
    ck_assert_uint_eq(eff.state_vcpu, 1);
    ck_assert_uint_eq(eff.state_bank, 0);
    ck_assert_uint_eq(eff.state_mask, 1u << 3 | 1u << 27);
    memset(&eff, 0, sizeof eff);
    wr(true, 0x10200, 4, 1u << 26);
    ck_assert(eff.violation);
    ck_assert_uint_eq(eff.intid, 26);
    memset(&eff, 0, sizeof eff);
    ck_assert_uint_eq(rd(true, 0x10280, 4), 0);
    ck_assert_int_eq(eff.state_op, VGIC_STATE_CLR_PENDING);
    ck_assert_uint_eq(eff.state_mask, 0xffffu | 1u << 27);
}
END_TEST

/* Group 1 only (the VM's LRs have Group = 1, no virtual FIQs): the IGROUPR
 * bits of owned INTIDs are RAO/WI, those of other INTIDs RAZ; GICD_CTLR
 * keeps EnableGrp1 (bit 1) and has EnableGrp0 (bit 0) RAZ/WI. */
START_TEST(group1_only)
{
    ck_assert_uint_eq(rd(false, 0x80 + 4, 4), 1u << 8); /* IGROUPR1: INTID 40 */
    wr(false, 0x80 + 4, 4, 0);
    ck_assert(!eff.violation);
    ck_assert_uint_eq(rd(false, 0x80 + 4, 4), 1u << 8);
    ck_assert_uint_eq(rd(true, 0x10080, 4), 0xffffu | 1u << 27);
    wr(true, 0x10080, 4, 0);
    ck_assert_uint_eq(rd(true, 0x10080, 4), 0xffffu | 1u << 27);
    wr(false, 0x0, 4, 3);
    ck_assert_uint_eq(rd(false, 0x0, 4) & 3, 2);
    wr(false, 0x0, 4, 1);
    ck_assert_uint_eq(rd(false, 0x0, 4) & 3, 0);
    /* another VM's INTID in IGROUPR: refused as for the enables */
    wr(false, 0x80 + 4, 4, 1u << 9);
    ck_assert(eff.violation);
    ck_assert_uint_eq(eff.intid, 41);
}
END_TEST

/* The pending latch of disabled interrupts (GICv3 4.1.2: pending and
 * enable are independent): per vCPU for SGIs/PPIs, one bank per 32 SPIs;
 * only owned INTIDs latch; GICR_ICENABLER0 reports what it disabled. */
START_TEST(pending_latch)
{
    vgic_emu_set_latch(&e, 1, 4, true);
    ck_assert(vgic_emu_latched(&e, 1, 4));
    ck_assert(!vgic_emu_latched(&e, 0, 4));
    ck_assert_uint_eq(vgic_emu_latch_bank(&e, 1, 0), 1u << 4);
    vgic_emu_set_latch(&e, 0, 40, true);
    vgic_emu_set_latch(&e, 0, 41, true); /* not its own: ignored */
    vgic_emu_set_latch(&e, 0, 26, true); /* not its own: ignored */
    ck_assert_uint_eq(vgic_emu_latch_bank(&e, 0, 1), 1u << 8);
    ck_assert_uint_eq(vgic_emu_latch_bank(&e, 0, 0), 0);
    vgic_emu_set_latch(&e, 1, 4, false);
    ck_assert(!vgic_emu_latched(&e, 1, 4));
    vgic_emu_set_latch(&e, 5, 4, true); /* no such vCPU */
    ck_assert_uint_eq(vgic_emu_latch_bank(&e, 5, 0), 0);
    /* ICENABLER0 of vCPU 1: only what was enabled is reported disabled */
    wr(true, 0x20000 + 0x10100, 4, 1u << 4);
    memset(&eff, 0, sizeof eff);
    wr(true, 0x20000 + 0x10180, 4, 1u << 4 | 1u << 5);
    ck_assert_uint_eq(eff.ppi_enable_off, 1u << 4);
    ck_assert_uint_eq(eff.ppi_vcpu, 1);
    /* a reset (vgic_emu_init) clears every latch */
    vgic_emu_init(&e, 2, 27);
    ck_assert_uint_eq(vgic_emu_latch_bank(&e, 0, 1), 0);
}
END_TEST

/* The reset in pieces equals vgic_emu_init with the ownership kept,
 * whatever state the guest left. */
START_TEST(reset_in_pieces)
{
    struct vgic_emu want;
    vgic_emu_init(&want, 2, 27);
    vgic_emu_own(&want, 40);
    /* the guest's state: everything it can write, and more */
    e.ctlr = 0x12;
    for (unsigned i = 0; i < VGIC_NR_INTIDS; i++) {
        e.prio[i] = (uint8_t)(i * 7 + 1);
        e.router[i] = i * 3 + 1;
    }
    for (unsigned w = 0; w < (VGIC_NR_INTIDS + 31) / 32; w++) /* banks of INTIDs that exist */
        e.latch[w] = e.enabled[w] = 0xa5a5a5a5u + w;
    for (unsigned w = 0; w < sizeof e.cfg / sizeof e.cfg[0]; w++)
        e.cfg[w] = 0x5a5a5a5au ^ w;
    for (unsigned v = 0; v < VGIC_MAX_VCPUS; v++) {
        e.r_latch[v] = e.r_enabled[v] = e.r_cfg1[v] = 0xffffffffu;
        e.r_waker[v] = 0;
        memset(e.r_prio[v], 0x80, sizeof e.r_prio[v]);
    }
    for (unsigned first = 0; first < VGIC_NR_INTIDS; first += 256)
        vgic_emu_reset_intids(&e, first, 256);
    vgic_emu_reset_cpus(&e);
    ck_assert_int_eq(memcmp(&e, &want, sizeof e), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hyp_vgic_emu");
    TCase *tc = tcase_create("emu");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, ownership);
    tcase_add_test(tc, enable_own_spi);
    tcase_add_test(tc, foreign_spi_refused_as_a_whole);
    tcase_add_test(tc, redistributor_ppis);
    tcase_add_test(tc, identification);
    tcase_add_test(tc, unowned_intids_raz_wi);
    tcase_add_test(tc, sgi_targets);
    tcase_add_test(tc, sgi_outside);
    tcase_add_test(tc, pending_active_registers);
    tcase_add_test(tc, group1_only);
    tcase_add_test(tc, pending_latch);
    tcase_add_test(tc, reset_in_pieces);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return hv_check_run(suite());
}
