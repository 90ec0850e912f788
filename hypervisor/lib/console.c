/* The hypervisor console: UART0 (a PL011), polled. PL011 TRM (DDI 0183):
 * UARTDR at 0x000, UARTFR at 0x018 with TXFF = bit 5. */
#include <stdarg.h>

#include "../arch/sysreg.h"
#include "../hyp.h"
#include "fmt.h"

static uint64_t uart0;

void hyp_console_init(uint64_t base)
{
    uart0 = base;
}

void hyp_putc(char c)
{
    if (!uart0)
        return;
    if (c == '\n')
        hyp_putc('\r');
    while (mmio_r32(uart0 + 0x18) & (1u << 5))
        ;
    mmio_w32(uart0, (uint8_t)c);
}

void hyp_puts(const char *s)
{
    while (*s)
        hyp_putc(*s++);
}

int hyp_printf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = hyp_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    hyp_puts(buf);
    return n;
}

void hyp_panic(const char *why)
{
    hyp_printf("hyp: PANIC: %s\n", why);
    /* Power off through PSCI if we can, so that a test run ends. */
    if (g_hyp.plat.have_psci && g_hyp.plat.psci_smc)
        hyp_smc(0x84000008u, 0, 0, 0);
    for (;;)
        wfi();
}
