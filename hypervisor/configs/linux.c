/* The Linux configuration (hypervisor-linux.elf): the rtos VM of the
 * default configuration, and a `linux` VM running an arm64 Linux kernel
 * with an initramfs. The kernel (tens of MiB) is not embedded: the VM is
 * preloaded, and the loader puts the kernel Image at the start of its RAM
 * and the initramfs in its initrd window (docs/linux.md):
 *
 *   hvsim run -m 256M --load Image@0x48000000 --load initrd.gz@0x4c000000 \
 *       build/images/hypervisor-linux.elf
 *
 * The kernel Image is placed at a 2 MiB-aligned address and entered at its
 * first byte with x0 = the DTB (Documentation/arch/arm64/booting.rst; its
 * text_offset is 0). PAs fit the first 256 MiB of RAM at 0x40000000. */
#include "../core/vm_config.h"
#include "rtos_vm.h"

static const struct hyp_vm_config vms[] = {
    /* configs/rtos_vm.h (GUEST_RTOS_BIN is rtos_long here); no vCRU
     * fields: this configuration gives no VM any. */
    HYP_VM_RTOS(),
    {
        .name = "linux",
        .id = 2,
        .priority = 10,
        .nr_vcpus = 1,
        .slice_us = 2000,
        /* 128 MiB at PA 0x48000000 */
        .ram = {.ipa = 0x40000000, .pa = 0x48000000, .size = 0x8000000},
        /* Its PL011 interrupt as QEMU virt's UART has it (SPI 1, INTID 33):
         * Linux's tty layer transmits user-space output from the TX
         * interrupt, only printk polls. */
        .console = {.uart = 2, .ipa = 0x09000000, .virq = 33},
        .preloaded = true,
        .load_ipa = 0x40000000,
        .entry_ipa = 0x40000000,
        /* The initramfs at IPA 0x44000000 (PA 0x4c000000), up to 8 MiB. */
        .initrd = {.ipa = 0x44000000, .size = 0x800000},
        .bootargs = "console=ttyAMA0,115200",
        .vgic_unowned_wi = true,
    },
};

const struct hyp_config hyp_default_config = {
    .name = "linux",
    .vms = vms,
    .nr_vms = sizeof vms / sizeof vms[0],
};
