/* A "hypervisor" that gets stage 2 wrong on purpose, for the isolation
 * checker (docs/mmu.md). Run with tests/e2e/iso.dts, which says:
 *   hyp     0x40000000 +32 MiB  hypervisor (this image, DTB)
 *   vm1ram  0x44000000 +16 MiB  VM 1
 *   vm2ram  0x45000000 +16 MiB  VM 2
 *   shm     0x46000000 +64 KiB  shared by VMs 1 and 2
 *   con     0x09000000 +4 KiB   device assigned to VM 1 (uart0)
 * Each step changes a stage 2 and enters the VM (ERET); the VM runs
 * "hvc #0; b ." from its own RAM and comes back. hvsim's isolation events
 * (stderr) are what tests/e2e/test_iso.py checks; this image prints what it
 * installed at each step, and RESULT at the end.
 *
 *   step 1  VM 1, VMID 1: IPA 0 -> vm1ram (2 MiB block), IPA 0x09000000 ->
 *           con, IPA 0x10000000 -> shm. Nothing wrong.
 *   step 2  add IPA 0x200000 -> PA 0x45000000 (a page of VM 2), then
 *           TLBI IPAS2E1IS + ERET: one violation, owner vm2ram (VM 2).
 *   step 3  remove it again (TLBI IPAS2E1IS): nothing wrong.
 *   step 4  add IPA 0x300000 -> the page holding VM 1's own level-3 table,
 *           writable: a table violation (VM 1's table); installed without
 *           TLBI (a new entry needs none), found because the table page
 *           changed.
 *   step 5  VM 2, VMID 2 (a new VTTBR): IPA 0 -> vm2ram, IPA 0x200000 ->
 *           PA 0x40000000 read-only (the hypervisor): one violation, owner
 *           hyp (hypervisor).
 *   step 6  back to VM 1 unchanged (VTTBR of step 4): cached, nothing new.
 */
#include "rt.h"

#define VM1_RAM 0x44000000ul
#define VM2_RAM 0x45000000ul
#define SHM     0x46000000ul

#define S2_TABLE  3ul
#define S2_BLOCK  1ul
#define S2_PAGE   3ul
#define S2_NORMAL (0xful << 2)
#define S2_DEVICE (0x1ul << 2)
#define S2_RO     (1ul << 6)
#define S2_RW     (3ul << 6)
#define S2_AF     (1ul << 10)
#define HCR_VM    (1ul << 0)
#define HCR_RW    (1ul << 31)

/* VM 1's tables live in VM 1's RAM (at +8 MiB); VM 2's in its own. */
#define VM1_TABLES (VM1_RAM + 0x800000ul)
#define VM2_TABLES (VM2_RAM + 0x800000ul)

static uint64_t *tab(uint64_t base, unsigned n)
{
    return (uint64_t *)(base + 0x1000ul * n);
}

static void zero(uint64_t *t)
{
    for (unsigned i = 0; i < 512; i++)
        t[i] = 0;
}

/* Level 1 at +0, level 2 (IPA 0..1 GiB) at +1, level 3 (IPA 0..2 MiB
 * beyond the block: IPA 0x200000..0x400000) at +2, level 2 for the UART
 * and the shared page at +3/+4. 4K granule, 32-bit IPA, start level 1. */
static void build_vm(uint64_t tables, uint64_t ram)
{
    for (unsigned i = 0; i < 6; i++)
        zero(tab(tables, i));
    uint64_t *l1 = tab(tables, 0), *l2 = tab(tables, 1), *l3 = tab(tables, 2);
    uint64_t *l3dev = tab(tables, 3), *l3shm = tab(tables, 4);
    l1[0] = (uint64_t)l2 | S2_TABLE;
    l2[0] = ram | S2_BLOCK | S2_NORMAL | S2_RW | S2_AF; /* IPA 0: 2 MiB of own RAM */
    l2[1] = (uint64_t)l3 | S2_TABLE;                    /* IPA 0x200000: pages */
    l2[0x09000000ul >> 21] = (uint64_t)l3dev | S2_TABLE;
    l2[0x10000000ul >> 21] = (uint64_t)l3shm | S2_TABLE;
    (void)l3;
    l3shm[0] = SHM | S2_PAGE | S2_NORMAL | S2_RW | S2_AF;
    if (ram == VM1_RAM)
        l3dev[0] = 0x09000000ul | S2_PAGE | S2_DEVICE | S2_RW | S2_AF;
    /* The VM's code: hvc #0; b .-4 at IPA 0. */
    volatile uint32_t *code = (volatile uint32_t *)ram;
    code[0] = 0xd4000002u;
    code[1] = 0x17ffffffu;
    DSB();
}

static void enter(uint64_t tables, unsigned vmid)
{
    SYSREG_WRITE(vtcr_el2,
                 32ul | (1ul << 6) | (1ul << 8) | (1ul << 10) | (3ul << 12) | (1ul << 31));
    SYSREG_WRITE(vttbr_el2, tables | ((uint64_t)vmid << 48));
    SYSREG_WRITE(hcr_el2, HCR_VM | HCR_RW);
    ISB();
}

static unsigned step;

static void hyp_handler(struct rt_frame *f, unsigned kind)
{
    unsigned ec = (unsigned)(f->esr >> 26);
    if (kind != 8 || ec != 0x16) {
        rt_printf("[hyp] unexpected exception kind %u ESR 0x%lx ELR 0x%lx\n", kind,
                  (unsigned long)f->esr, (unsigned long)f->elr);
        rt_check(false, "only HVCs from the VM");
        rt_summary("iso");
        rt_exit();
    }
    step++;
    rt_check(true, "VM entered and came back (step %u)", step);
    f->elr = 0; /* run the VM's hvc again */
    uint64_t *l3 = tab(VM1_TABLES, 2);
    switch (step) {
    case 1:
        rt_puts("[hyp] step 2: VM 1 also maps IPA 0x200000 -> PA 0x45000000 (VM 2's)\n");
        l3[0] = VM2_RAM | S2_PAGE | S2_NORMAL | S2_RW | S2_AF;
        DSB();
        __asm__ volatile("tlbi ipas2e1is, %0\n dsb ish\n isb" ::"r"(0x200000ul >> 12) : "memory");
        break;
    case 2:
        rt_puts("[hyp] step 3: VM 1 loses it again (TLBI IPAS2E1IS)\n");
        l3[0] = 0;
        DSB();
        __asm__ volatile("tlbi ipas2e1is, %0\n dsb ish\n isb" ::"r"(0x200000ul >> 12) : "memory");
        break;
    case 3:
        rt_puts("[hyp] step 4: VM 1 maps IPA 0x300000 -> its own level-3 table, writable "
                "(no TLBI: a new entry needs none)\n");
        l3[0x100] = (uint64_t)l3 | S2_PAGE | S2_NORMAL | S2_RW | S2_AF;
        DSB();
        break;
    case 4: {
        rt_puts("[hyp] step 5: VM 2 maps IPA 0x200000 -> PA 0x40000000 (the hypervisor), "
                "read-only\n");
        build_vm(VM2_TABLES, VM2_RAM);
        tab(VM2_TABLES, 2)[0] = 0x40000000ul | S2_PAGE | S2_NORMAL | S2_RO | S2_AF;
        DSB();
        enter(VM2_TABLES, 2);
        break;
    }
    case 5:
        rt_puts("[hyp] step 6: back to VM 1, unchanged\n");
        enter(VM1_TABLES, 1);
        break;
    default:
        rt_summary("iso");
        rt_exit();
    }
}

int main(uint64_t dtb)
{
    (void)dtb;
    rt_set_el2_handler(hyp_handler);
    rt_puts("[hyp] step 1: VM 1 with its own RAM, its UART and the shared page\n");
    build_vm(VM1_TABLES, VM1_RAM);
    enter(VM1_TABLES, 1);
    __asm__ volatile("tlbi vmalls12e1\n dsb sy\n isb" ::: "memory");
    rt_eret_to(0, 0, 0, 0x3c5);
    return 0;
}
