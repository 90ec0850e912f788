/* Unit tests for hypervisor/core/vdev_perm, built for the host: per-VM
 * permissions over CRU/GRF fields, the bits applied to the real block (hiword
 * masks honoured), the VM's view, and violation records. The last tests
 * apply the decisions to the simulator's CRU/GRF model (sim/soc) to show
 * that a refused write leaves the other VM's device untouched. Bit numbers
 * are the RK3568's (docs/soc.md), written out here. */
#include <check.h>

#include "check_run.h"
#include <string.h>

#include "soc/soc.h"
#include "vdev_perm.h"

#define CLKGATE28   0x370u  /* 0-3 UART2 (pclk, src, frac, sclk), 4-7 UART3, 8-15 UART4/5 */
#define CLKGATE26   0x368u  /* bit 1 pclk_bus, shared */
#define CLKSEL55    0x1dcu  /* UART2 fractional divider, plain 32-bit */
#define PMUGRF_0D_L 0x8018u /* GPIO0_D0 2:0, D1 6:4 (UART2), D2 10:8, D3 14:12 */
#define PMUGRF_0B_L 0x8008u /* GPIO0_B1 6:4, B2 10:8 (I2C0) */

enum { VM1 = 1, VM2 = 2 };

static struct vdev_perm_table T;

static void setup(void)
{
    vdev_perm_init(&T);
    ck_assert_int_eq(vdev_perm_grant_dev(&T, VM1, RK_DEV_UART2), 0);
    ck_assert_int_eq(vdev_perm_grant_dev(&T, VM2, RK_DEV_UART3), 0);
    ck_assert_int_eq(vdev_perm_grant_dev(&T, VM2, RK_DEV_I2C0), 0);
}

START_TEST(test_default_deny)
{
    struct vdev_decision d;
    vdev_perm_init(&T);
    ck_assert_int_eq(vdev_perm_write(&T, 0, RK_BLK_CRU, CLKGATE28, 0x00080008, 0, 0, &d),
                     RK_R_CLKGATE28);
    ck_assert(!d.apply);
    ck_assert_uint_eq(d.hw_mask, 0);
    ck_assert_uint_eq(d.view, 0);
    ck_assert_uint_eq(d.nviol, 1);
    ck_assert_uint_eq(d.viol[0].vm, 0);
    ck_assert_uint_eq(d.viol[0].reg, RK_R_CLKGATE28);
    ck_assert_uint_eq(d.viol[0].field, RK_F_SCLK_UART2_GATE);
    ck_assert_uint_eq(d.viol[0].attempted, 1);
    ck_assert_uint_eq(d.viol[0].bits, 0x8);
}
END_TEST

START_TEST(test_owner_applies_exact_bits)
{
    struct vdev_decision d;
    setup();
    vdev_perm_write(&T, VM1, RK_BLK_CRU, CLKGATE28, 0x00080008, 0x0, 0x0, &d);
    ck_assert(d.apply);
    ck_assert_uint_eq(d.hw_mask, 0x8);
    ck_assert_uint_eq(d.hw_value, 0x00080008);
    ck_assert_uint_eq(d.view, 0x8);
    ck_assert_uint_eq(d.nviol, 0);
}
END_TEST

START_TEST(test_mixed_write_split)
{
    struct vdev_decision d;
    setup();
    /* VM1 enables bits 0, 3 (its UART2) and 7 (UART3's sclk, VM2's) and
     * asks to set all three: only 0 and 3 reach the hardware, with enables
     * for exactly those bits, so bit 7 is not even rewritten. */
    vdev_perm_write(&T, VM1, RK_BLK_CRU, CLKGATE28, 0x00890089, 0x0, 0x0, &d);
    ck_assert_uint_eq(d.hw_mask, 0x09);
    ck_assert_uint_eq(d.hw_value, 0x00090009);
    ck_assert_uint_eq(d.view, 0x09);
    ck_assert_uint_eq(d.nviol, 1);
    ck_assert_uint_eq(d.viol[0].field, RK_F_SCLK_UART3_GATE);
    ck_assert_uint_eq(d.viol[0].attempted, 1);
    ck_assert_uint_eq(d.viol[0].vm, VM1);
}
END_TEST

/* vdev_perm_write_reg, given the register vdev_perm_find returns, decides
 * exactly as vdev_perm_write (the hypervisor's trap searches once); a
 * register number out of range is an unknown register. The same mixed
 * write as above: bits 0 and 3 applied, bit 7 (UART3's) refused. */
START_TEST(test_write_reg_same_decision)
{
    struct vdev_decision d;
    setup();
    int r = vdev_perm_find(RK_BLK_CRU, CLKGATE28);
    ck_assert_int_eq(r, RK_R_CLKGATE28);
    ck_assert_int_eq(vdev_perm_write_reg(&T, VM1, r, 0x00890089, 0x0, 0x0, &d), r);
    ck_assert_uint_eq(d.hw_mask, 0x09);
    ck_assert_uint_eq(d.hw_value, 0x00090009);
    ck_assert_uint_eq(d.view, 0x09);
    ck_assert_uint_eq(d.nviol, 1);
    ck_assert_uint_eq(d.viol[0].field, RK_F_SCLK_UART3_GATE);
    ck_assert_int_eq(vdev_perm_write_reg(&T, VM1, -1, 0x00890089, 0, 0x5, &d), -1);
    ck_assert(!d.apply);
    ck_assert_uint_eq(d.view, 0x5);
    ck_assert_int_eq(vdev_perm_write_reg(&T, VM1, RK_R__COUNT, 0x00890089, 0, 0x5, &d), -1);
    ck_assert(!d.apply);
    ck_assert_uint_eq(d.nviol, 0);
}
END_TEST

START_TEST(test_unowned_and_shared_bits)
{
    struct vdev_decision d;
    setup();
    /* Bit 8 of CLKGATE28 gates UART4, which no field describes. */
    vdev_perm_write(&T, VM1, RK_BLK_CRU, CLKGATE28, 0x01000100, 0, 0, &d);
    ck_assert(!d.apply);
    ck_assert_uint_eq(d.nviol, 1);
    ck_assert_uint_eq(d.viol[0].field, VDEV_FIELD_UNOWNED);
    ck_assert_uint_eq(d.viol[0].bits, 0x100);
    /* pclk_bus feeds UART1-3 and the timer: never granted per device. */
    ck_assert(!vdev_perm_allowed(&T, VM1, RK_F_PCLK_BUS_GATE));
    vdev_perm_write(&T, VM1, RK_BLK_CRU, CLKGATE26, 0x00020002, 0, 0, &d);
    ck_assert(!d.apply);
    ck_assert_uint_eq(d.viol[0].field, RK_F_PCLK_BUS_GATE);
}
END_TEST

START_TEST(test_plain_register_rmw)
{
    struct vdev_decision d;
    setup();
    /* The fractional divider has no hiword mask: the owner's write is a
     * read-modify-write of the hardware value over its bits (all 32). */
    vdev_perm_write(&T, VM1, RK_BLK_CRU, CLKSEL55, 0x00010002, 0x000400c6, 0x000400c6, &d);
    ck_assert(d.apply);
    ck_assert_uint_eq(d.hw_value, 0x00010002);
    ck_assert_uint_eq(d.view, 0x00010002);
    /* VM2 does not own it: refused whole, the attempted value recorded. */
    vdev_perm_write(&T, VM2, RK_BLK_CRU, CLKSEL55, 0x00010002, 0x000400c6, 0x000400c6, &d);
    ck_assert(!d.apply);
    ck_assert_uint_eq(d.view, 0x000400c6);
    ck_assert_uint_eq(d.nviol, 1);
    ck_assert_uint_eq(d.viol[0].field, RK_F_UART2_FRAC);
    ck_assert_uint_eq(d.viol[0].attempted, 0x00010002);
}
END_TEST

START_TEST(test_iomux_fields)
{
    struct vdev_decision d;
    setup();
    /* VM2 (I2C0, UART3) tries to take UART2's TX pin to GPIO. */
    vdev_perm_write(&T, VM2, RK_BLK_GRF, PMUGRF_0D_L, 0x00700000, 0x0011, 0x0011, &d);
    ck_assert(!d.apply);
    ck_assert_uint_eq(d.viol[0].field, RK_F_GPIO0D1_SEL);
    ck_assert_uint_eq(d.viol[0].attempted, 0);
    ck_assert_uint_eq(d.view, 0x0011);
    /* VM2 re-muxes its own I2C0 SCL: allowed. */
    vdev_perm_write(&T, VM2, RK_BLK_GRF, PMUGRF_0B_L, 0x00700000, 0x0110, 0x0110, &d);
    ck_assert(d.apply);
    ck_assert_uint_eq(d.hw_value, 0x00700000);
    ck_assert_uint_eq(d.view, 0x0100);
}
END_TEST

START_TEST(test_no_enables_and_unknown)
{
    struct vdev_decision d;
    setup();
    /* No write-enable bits: nothing wanted, nothing refused. */
    vdev_perm_write(&T, VM1, RK_BLK_CRU, CLKGATE28, 0x000000ff, 0, 0x5, &d);
    ck_assert(!d.apply);
    ck_assert_uint_eq(d.nviol, 0);
    ck_assert_uint_eq(d.view, 0x5);
    ck_assert_int_eq(vdev_perm_write(&T, VM1, RK_BLK_CRU, 0x7000, 0xffffffff, 0, 0, &d), -1);
    ck_assert(!d.apply);
    ck_assert_int_eq(vdev_perm_write(&T, VDEV_MAX_VMS, RK_BLK_CRU, CLKGATE28, 0x10001, 0, 0, &d),
                     -1);
    ck_assert_int_eq(vdev_perm_grant(&T, VDEV_MAX_VMS, RK_F_SRST_I2C0), -1);
    ck_assert_int_eq(vdev_perm_grant(&T, 0, RK_F__COUNT), -1);
}
END_TEST

START_TEST(test_many_violations_counted)
{
    struct vdev_decision d;
    vdev_perm_init(&T);
    /* Every field of CLKGATE28 (8) plus the unowned bits: 9 refusals, the
     * first VDEV_MAX_VIOL recorded. */
    vdev_perm_write(&T, 0, RK_BLK_CRU, CLKGATE28, 0xffffffff, 0, 0, &d);
    ck_assert_uint_eq(d.nviol, 9);
    ck_assert_uint_eq(d.viol[VDEV_MAX_VIOL - 1].reg, RK_R_CLKGATE28);
}
END_TEST

START_TEST(test_read_view)
{
    setup();
    /* VM1 sees the live hardware for its bits (0-3), its view for others. */
    ck_assert_uint_eq(vdev_perm_read(&T, VM1, RK_R_CLKGATE28, 0x00f5, 0x0000), 0x0005);
    ck_assert_uint_eq(vdev_perm_read(&T, VM2, RK_R_CLKGATE28, 0x00f5, 0x0000), 0x00f0);
}
END_TEST

/* The register lookup is a binary search of rk3568_regs: every modelled
 * register is found at its own (block, offset), offsets between and around
 * them are not, and the same offset in the other block is not either. */
START_TEST(test_find_every_register)
{
    for (unsigned r = 0; r < RK_R__COUNT; r++) {
        ck_assert_int_eq(vdev_perm_find(rk3568_regs[r].block, rk3568_regs[r].off), (int)r);
        ck_assert_int_eq(vdev_perm_find(rk3568_regs[r].block, rk3568_regs[r].off + 2u), -1);
    }
    ck_assert_int_eq(vdev_perm_find(RK_BLK_CRU, 0x0), -1);       /* PLL_CON0: not modelled */
    ck_assert_int_eq(vdev_perm_find(RK_BLK_CRU, 0xfffc), -1);    /* past the last */
    ck_assert_int_eq(vdev_perm_find(RK_BLK_GRF, CLKGATE28), -1); /* a CRU offset in the GRF */
    ck_assert_int_eq(vdev_perm_find(RK_BLK_CRU, 0x30c), -1);     /* a GRF offset in the CRU */
    ck_assert_int_eq(vdev_perm_find(RK_BLK_GRF, 0x30c), RK_R_GRF_IOFUNC_SEL3);
}
END_TEST

/* The per-register index gives the same answers as a scan of the whole
 * field table: for each register, its fields in table order, the union of
 * their bits, and the bits a VM owns after single-field and per-device
 * grants. */
START_TEST(test_index_matches_scan)
{
    vdev_perm_init(&T);
    ck_assert_int_eq(vdev_perm_grant(&T, 3, RK_F_UART1_FRAC), 0);
    ck_assert_int_eq(vdev_perm_grant(&T, 3, RK_F_GPIO0B2_SEL), 0);
    ck_assert_int_eq(vdev_perm_grant_dev(&T, 4, RK_DEV_I2C0), 0);
    ck_assert_int_eq(vdev_perm_grant(&T, VDEV_MAX_VMS, RK_F_UART1_FRAC), -1);
    ck_assert_int_eq(vdev_perm_grant(&T, 0, RK_F__COUNT), -1);
    unsigned total = 0;
    for (unsigned r = 0; r < RK_R__COUNT; r++) {
        unsigned i = T.first[r];
        uint32_t any = 0;
        for (unsigned f = 0; f < RK_F__COUNT; f++) {
            if (rk3568_fields[f].reg != r)
                continue;
            ck_assert_uint_lt(i, T.first[r + 1]);
            ck_assert_uint_eq(T.fields[i++], f);
            any |= rk_field_mask(&rk3568_fields[f]);
        }
        ck_assert_uint_eq(i, T.first[r + 1]);
        ck_assert_uint_eq(T.any_field[r], any);
        total += T.first[r + 1] - T.first[r];
        for (unsigned vm = 0; vm < VDEV_MAX_VMS; vm++) {
            uint32_t own = 0;
            for (unsigned f = 0; f < RK_F__COUNT; f++)
                if (rk3568_fields[f].reg == r && vdev_perm_allowed(&T, vm, (enum rk_field_id)f))
                    own |= rk_field_mask(&rk3568_fields[f]);
            ck_assert_uint_eq(T.own[vm][r], own);
        }
    }
    ck_assert_uint_eq(total, RK_F__COUNT);
    /* Spelled out: the fractional divider is all 32 bits, GPIO0_B2 is
     * bits 10:8; I2C0's PMU_CLKGATE_CON1 fields are bits 0 and 1. */
    ck_assert_uint_eq(T.own[3][RK_R_CLKSEL53], 0xffffffffu);
    ck_assert_uint_eq(T.own[3][RK_R_PMUGRF_GPIO0B_L], 0x0700u);
    ck_assert_uint_eq(T.own[4][RK_R_PMU_CLKGATE1], 0x3u);
    ck_assert_uint_eq(T.own[4][RK_R_PMUGRF_GPIO0B_L], 0x0770u);
    ck_assert_uint_eq(T.own[0][RK_R_CLKGATE28], 0);
}
END_TEST

/* VM reset: only the owned bits go back, by a hiword write whose enables
 * are exactly them (CLKGATE28: VM1 owns UART2's bits 3:0, VM2 UART3's 7:4);
 * a plain register (the fractional divider) by read-modify-write; nothing
 * is written when the owned bits already hold their reset values or the
 * VM owns no bit of the register. */
START_TEST(test_reset_owned_bits)
{
    uint32_t w = 0xdeadbeef;
    setup();
    ck_assert(vdev_perm_reset(&T, VM1, RK_R_CLKGATE28, 0x0000, 0x00f5, &w));
    ck_assert_uint_eq(w, 0x000f0000); /* bits 3:0 <- 0, 7:4 not enabled */
    ck_assert(vdev_perm_reset(&T, VM2, RK_R_CLKGATE28, 0x0000, 0x00f5, &w));
    ck_assert_uint_eq(w, 0x00f00000);
    w = 0xdeadbeef;
    ck_assert(!vdev_perm_reset(&T, VM1, RK_R_CLKGATE28, 0x0000, 0x00f0, &w));
    ck_assert_uint_eq(w, 0xdeadbeef);
    ck_assert(!vdev_perm_reset(&T, VM1, RK_R_CLKGATE27, 0x0000, 0xf000, &w)); /* UART1's */
    ck_assert(vdev_perm_reset(&T, VM1, RK_R_CLKSEL55, 0x000400c6, 0x00010001, &w));
    ck_assert_uint_eq(w, 0x000400c6);
    ck_assert(!vdev_perm_reset(&T, VM2, RK_R_CLKSEL55, 0x000400c6, 0x00010001, &w));
    /* Applied to the model: VM2's reset brings back UART3's gates, UART2's
     * gate (VM1's, closed) stays as it is. */
    struct hv_soc *s = hv_soc_create(NULL, NULL, NULL);
    hv_soc_write(s, RK_BLK_CRU, NULL, CLKGATE28, 4, 0x00880088);
    ck_assert(vdev_perm_reset(&T, VM2, RK_R_CLKGATE28, rk3568_regs[RK_R_CLKGATE28].reset,
                              hv_soc_reg(s, RK_R_CLKGATE28), &w));
    hv_soc_write(s, RK_BLK_CRU, NULL, CLKGATE28, 4, w);
    ck_assert_uint_eq(hv_soc_reg(s, RK_R_CLKGATE28), 0x0008);
    hv_soc_destroy(s);
}
END_TEST

/* Decisions applied to the simulator's CRU/GRF: VM2's attack on UART2
 * changes nothing for UART2; VM1's own gate works. */
static void apply(struct hv_soc *s, enum rk_block b, uint32_t off, const struct vdev_decision *d)
{
    if (d->apply)
        hv_soc_write(s, b, NULL, off, 4, d->hw_value);
}

START_TEST(test_isolation_on_model)
{
    struct hv_soc *s = hv_soc_create(NULL, NULL, NULL);
    struct hv_soc_devstate st;
    struct vdev_decision d;
    uint32_t view2 = hv_soc_reg(s, RK_R_CLKGATE28);
    setup();
    /* VM2 gates UART2's sclk, resets it and steals its pin. */
    vdev_perm_write(&T, VM2, RK_BLK_CRU, CLKGATE28, 0x00080008, hv_soc_reg(s, RK_R_CLKGATE28),
                    view2, &d);
    apply(s, RK_BLK_CRU, CLKGATE28, &d);
    ck_assert_uint_eq(d.view, view2); /* VM2's view consistent: unchanged */
    vdev_perm_write(&T, VM2, RK_BLK_CRU, 0x464, 0x00030003, hv_soc_reg(s, RK_R_SOFTRST25), 0, &d);
    apply(s, RK_BLK_CRU, 0x464, &d);
    vdev_perm_write(&T, VM2, RK_BLK_GRF, PMUGRF_0D_L, 0x00700000,
                    hv_soc_reg(s, RK_R_PMUGRF_GPIO0D_L), 0x0011, &d);
    apply(s, RK_BLK_GRF, PMUGRF_0D_L, &d);
    hv_soc_devstate(s, RK_DEV_UART2, &st);
    ck_assert_uint_eq(st.fclk_hz, 24000000);
    ck_assert(!st.in_reset && st.tx_muxed && st.pclk_on);
    /* VM2 gating its own UART3 in the same register works, and only it. */
    vdev_perm_write(&T, VM2, RK_BLK_CRU, CLKGATE28, 0x00880088, hv_soc_reg(s, RK_R_CLKGATE28),
                    view2, &d);
    apply(s, RK_BLK_CRU, CLKGATE28, &d);
    ck_assert_uint_eq(d.hw_value, 0x00800080);
    hv_soc_devstate(s, RK_DEV_UART3, &st);
    ck_assert_uint_eq(st.fclk_hz, 0);
    hv_soc_devstate(s, RK_DEV_UART2, &st);
    ck_assert_uint_eq(st.fclk_hz, 24000000);
    hv_soc_destroy(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("vdev_perm");
    TCase *t = tcase_create("decide");
    tcase_add_test(t, test_default_deny);
    tcase_add_test(t, test_owner_applies_exact_bits);
    tcase_add_test(t, test_mixed_write_split);
    tcase_add_test(t, test_write_reg_same_decision);
    tcase_add_test(t, test_unowned_and_shared_bits);
    tcase_add_test(t, test_plain_register_rmw);
    tcase_add_test(t, test_iomux_fields);
    tcase_add_test(t, test_no_enables_and_unknown);
    tcase_add_test(t, test_many_violations_counted);
    tcase_add_test(t, test_read_view);
    tcase_add_test(t, test_isolation_on_model);
    tcase_add_test(t, test_find_every_register);
    tcase_add_test(t, test_index_matches_scan);
    tcase_add_test(t, test_reset_owned_bits);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return hv_check_run(suite());
}
