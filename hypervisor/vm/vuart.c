/* The emulated VM console: a PL011 subset at the console IPA, for
 * platforms where the VM's UART does not exist (QEMU virt has one UART).
 * Output goes to the hypervisor's console, one line at a time, prefixed
 * with "[<vm name>] " so that the VMs' streams stay apart. Registers
 * (PL011 TRM, DDI 0183): DR 0x000 (TX), FR 0x018 (reads TXFE|RXFE:
 * never full, nothing to receive), IBRD 0x024, FBRD 0x028, LCR_H 0x02c,
 * CR 0x030, IMSC 0x038 (stored), ICR 0x044 (ignored), the PrimeCell ID
 * registers 0xfe0-0xffc. Anything else reads as zero, ignores writes and
 * is logged. */
#include "../hyp.h"

static void flush(struct vm *vm)
{
    /* "[name] line\n", without formatting: this runs in trap handlers */
    vm->line[vm->line_len] = 0;
    if (hyp_console_line(vm->cfg->name, vm->line, vm->line_len)) {
        vm->line_len = 0;
        return;
    }
    hyp_putc('[');
    hyp_puts(vm->cfg->name);
    hyp_puts("] ");
    hyp_puts(vm->line);
    hyp_putc('\n');
    vm->line_len = 0;
}

void hyp_vm_console_putc(struct vm *vm, char c)
{
    if (c == '\r')
        return;
    if (c == '\n') {
        flush(vm);
        return;
    }
    vm->line[vm->line_len++] = c;
    if (vm->line_len == HYP_CONSOLE_LINE)
        flush(vm);
}

static const uint8_t pl011_id[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

bool hyp_vuart_mmio(struct vm *vm, uint64_t ipa, bool write, unsigned width, uint64_t *val)
{
    const struct hyp_vm_config *c = vm->cfg;
    if (vm->console_passthrough || ipa < c->console.ipa || ipa >= c->console.ipa + 0x1000)
        return false;
    unsigned off = (unsigned)(ipa - c->console.ipa);
    (void)width;
    if (write) {
        uint32_t v = (uint32_t)*val;
        switch (off) {
        case 0x000:
            hyp_vm_console_putc(vm, (char)(v & 0xff));
            break;
        case 0x024:
            vm->vuart_ibrd = v & 0xffff;
            break;
        case 0x028:
            vm->vuart_fbrd = v & 0x3f;
            break;
        case 0x02c:
            vm->vuart_lcr = v & 0xff;
            break;
        case 0x030:
            vm->vuart_cr = v & 0xffff;
            break;
        case 0x038:
            vm->vuart_imsc = v & 0x7ff;
            break;
        case 0x044:
            break;
        default:
            hyp_printf("hyp: vm %s: vuart write 0x%x to offset 0x%x ignored\n", c->name, v, off);
            break;
        }
        return true;
    }
    uint64_t r = 0;
    switch (off) {
    case 0x000:
        r = 0;
        break;
    case 0x018:
        r = 1u << 7 | 1u << 4;
        break; /* TXFE, RXFE */
    case 0x024:
        r = vm->vuart_ibrd;
        break;
    case 0x028:
        r = vm->vuart_fbrd;
        break;
    case 0x02c:
        r = vm->vuart_lcr;
        break;
    case 0x030:
        r = vm->vuart_cr;
        break;
    case 0x038:
        r = vm->vuart_imsc;
        break;
    default:
        if (off >= 0xfe0 && off <= 0xffc && !(off & 3))
            r = pl011_id[(off - 0xfe0) / 4];
        else
            hyp_printf("hyp: vm %s: vuart read of offset 0x%x: 0\n", c->name, off);
        break;
    }
    *val = r;
    return true;
}
