/* The hypervisor console: UART0 (a PL011), polled. PL011 TRM (DDI 0183):
 * UARTDR at 0x000, UARTFR at 0x018 with TXFF = bit 5.
 *
 * Once the VMs run (hyp_console_defer), nothing is written to the UART
 * where it is produced: every character (the hypervisor's messages, the
 * console hypercall, the emulated consoles' lines) goes into one log ring,
 * in order, and the ring is drained where the time costs no interrupt
 * latency: in the idle loop and at the end of a synchronous trap, one
 * character at a time, stopping as soon as a physical interrupt is pending
 * (ISR_EL1.I), and at the end of a trap also when the UART's transmit
 * FIFO is full (the idle loop waits for it). A trap handler that prints thus costs a few
 * instructions per character instead of the UART's polling loop, and the text on UART0 is the same,
 * in the same order (docs/hypervisor.md, "Interrupt latency"). A full ring makes the writer send
 * its oldest character itself (the behaviour before the ring, counted: hyp_console_stalls). */
#include <stdarg.h>

#include "../arch/sysreg.h"
#include "../hyp.h"
#include "fmt.h"

#define LOG_SIZE 16384u /* a power of two */

static uint64_t uart0;
static bool deferred;
static char ring[LOG_SIZE];
static uint32_t head, tail; /* free-running: tail..head is the text not yet sent */
static uint64_t stalls;
static bool cr_sent; /* the ring's next character is a LF whose CR went out */

void hyp_console_init(uint64_t base)
{
    uart0 = base;
}

static void uart_putc(char c)
{
    if (!uart0)
        return;
    if (c == '\n')
        uart_putc('\r');
    while (mmio_r32(uart0 + 0x18) & (1u << 5))
        ;
    mmio_w32(uart0, (uint8_t)c);
}

void hyp_console_defer(bool on)
{
    if (!on)
        hyp_console_flush();
    deferred = on;
}

void hyp_putc(char c)
{
    hyp_commit(&g_hyp); /* a message is a side effect (preemption points) */
    if (!deferred) {
        uart_putc(c);
        return;
    }
    if (head - tail == LOG_SIZE) {
        hyp_console_flush(); /* full: the writer waits, as before the ring */
        stalls++;
    }
    ring[head++ % LOG_SIZE] = c;
}

bool hyp_console_pending(void)
{
    return head != tail;
}

/* PL011 UARTFR.TXFF: the transmit FIFO is full (a character takes its
 * time on the line: hvsim models the baud rate). */
static bool tx_full(void)
{
    return uart0 && (mmio_r32(uart0 + 0x18) & (1u << 5));
}

bool hyp_console_drain(bool wait)
{
    while (tail != head) {
        if (hyp_irq_pending())
            return false;
        if (tx_full()) {
            if (!wait)
                return true; /* the rest at the next drain */
            continue;        /* idle: wait for the FIFO, or an interrupt */
        }
        char c = ring[tail % LOG_SIZE];
        if (c == '\n' && !cr_sent) {
            mmio_w32(uart0, '\r');
            cr_sent = true;
            continue;
        }
        cr_sent = false;
        tail++;
        if (uart0)
            mmio_w32(uart0, (uint8_t)c);
    }
    return true;
}

void hyp_console_flush(void)
{
    if (cr_sent && tail != head) { /* a LF whose CR went out */
        cr_sent = false;
        tail++;
        while (tx_full())
            ;
        if (uart0)
            mmio_w32(uart0, '\n');
    }
    while (tail != head)
        uart_putc(ring[tail++ % LOG_SIZE]);
}

uint64_t hyp_console_stalls(void)
{
    return stalls;
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
    hyp_console_defer(false);
    hyp_printf("hyp: PANIC: %s\n", why);
    /* Power off through PSCI if we can, so that a test run ends. */
    if (g_hyp.plat.have_psci && g_hyp.plat.psci_smc)
        hyp_smc(0x84000008u, 0, 0, 0);
    for (;;)
        wfi();
}
