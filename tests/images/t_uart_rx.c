/* UART receive: read what arrives on UART0 for a while and echo it back.
 * Without input (QEMU, or hvsim without --uart-in) it prints "rx: []";
 * tests/e2e/test_cli.py feeds bytes with --uart-in and checks the echo. */
#include "rt.h"

#define UART_FR (UART0_BASE + 0x18)
#define FR_RXFE (1u << 4)

int main(uint64_t dtb)
{
    char buf[64];
    unsigned n = 0;
    (void)dtb;
    /* Poll for up to ~2M iterations (about 2 ms of hvsim virtual time at
     * the default 1000 MIPS, enough for ~20 bytes at 115200 baud). */
    for (unsigned spin = 0; spin < 2000000 && n < sizeof(buf) - 1; spin++) {
        if (!(mmio_read32(UART_FR) & FR_RXFE)) {
            buf[n++] = (char)(mmio_read32(UART0_BASE) & 0xff);
            spin = 0;
        }
    }
    buf[n] = 0;
    rt_printf("rx: [%s]\n", buf);
    rt_check(true, "receiver polled");
    rt_summary("uart_rx");
    return 0;
}
