/* The DTB hand-over: both hvsim and QEMU virt place a flattened device tree
 * at the start of RAM (0x40000000) for an image linked at 0x40200000.
 * x0 differs (hvsim passes the address like firmware does; QEMU passes 0 for
 * a bare ELF), so only the blob itself is checked. */
#include "rt.h"

static uint32_t be32(const volatile uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int main(uint64_t x0)
{
    const volatile uint8_t *dtb = (const volatile uint8_t *)0x40000000ul;
    rt_check(x0 == 0 || x0 == 0x40000000ul, "x0 is 0 or the DTB address");
    /* Devicetree Specification 5.2: magic 0xd00dfeed, big-endian header. */
    rt_check(be32(dtb) == 0xd00dfeedu, "FDT magic at the start of RAM");
    uint32_t total = be32(dtb + 4), version = be32(dtb + 20);
    rt_check(total > 40 && total < 0x200000, "totalsize is plausible");
    rt_check(version == 17, "FDT version 17");
    rt_summary("dtb");
    return 0;
}
