#include "rt.h"

static rt_handler el2_handler;
static rt_handler el1_handler;
static unsigned n_pass, n_fail;

void rt_set_el2_handler(rt_handler h)
{
    el2_handler = h;
}

void rt_set_el1_handler(rt_handler h)
{
    el1_handler = h;
}

static void unexpected(struct rt_frame *f, unsigned kind, unsigned el)
{
    rt_printf("UNEXPECTED exception at EL%u kind %u ESR 0x%lx ELR 0x%lx FAR 0x%lx\n", el, kind,
              (unsigned long)f->esr, (unsigned long)f->elr, (unsigned long)f->far);
    rt_printf("RESULT unexpected-exception pass=%u fail=%u\n", n_pass, n_fail + 1);
    rt_exit();
}

void rt_handle_el2(struct rt_frame *f, unsigned kind)
{
    if (!el2_handler)
        unexpected(f, kind, 2);
    el2_handler(f, kind);
}

void rt_handle_el1(struct rt_frame *f, unsigned kind)
{
    if (!el1_handler)
        unexpected(f, kind, 1);
    el1_handler(f, kind);
}

void rt_putc(char c)
{
    /* PL011: wait while TXFF (FR bit 5), then write DR. */
    while (mmio_read32(UART0_BASE + 0x18) & (1u << 5))
        ;
    mmio_write32(UART0_BASE, (uint8_t)c);
}

void rt_puts(const char *s)
{
    while (*s)
        rt_putc(*s++);
}

static void put_num(unsigned long long v, unsigned base, int width, char pad, bool neg)
{
    char buf[24];
    int n = 0;
    do {
        unsigned d = (unsigned)(v % base);
        buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    if (neg)
        buf[n++] = '-';
    while (width-- > n)
        rt_putc(pad);
    while (n)
        rt_putc(buf[--n]);
}

static void vprint(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            rt_putc(*fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, lng = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') {
            lng++;
            fmt++;
        }
        switch (*fmt) {
        case 'd': {
            long long v = lng ? va_arg(ap, long) : va_arg(ap, int);
            put_num(v < 0 ? -(unsigned long long)v : (unsigned long long)v, 10, width, pad, v < 0);
            break;
        }
        case 'u':
            put_num(lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, width, pad, false);
            break;
        case 'x':
            put_num(lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, width, pad, false);
            break;
        case 'p':
            rt_puts("0x");
            put_num((uintptr_t)va_arg(ap, void *), 16, width, pad, false);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            rt_puts(s ? s : "(null)");
            break;
        }
        case 'c':
            rt_putc((char)va_arg(ap, int));
            break;
        case '%':
            rt_putc('%');
            break;
        default:
            rt_putc('?');
        }
    }
}

int rt_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint(fmt, ap);
    va_end(ap);
    return 0;
}

void rt_check(bool ok, const char *fmt, ...)
{
    va_list ap;
    rt_puts(ok ? "ok   " : "FAIL ");
    va_start(ap, fmt);
    vprint(fmt, ap);
    va_end(ap);
    rt_putc('\n');
    if (ok)
        n_pass++;
    else
        n_fail++;
}

void rt_summary(const char *name)
{
    rt_printf("RESULT %s pass=%u fail=%u\n", name, n_pass, n_fail);
}

uint64_t rt_smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"memory");
    return x0;
}

uint64_t rt_hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"memory");
    return x0;
}

/* PSCI SYSTEM_OFF over SMC: QEMU virt (virtualization=on) and hvsim both
 * answer it in firmware and end the run with status 0. */
void rt_exit(void)
{
    rt_smc(0x84000008u, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}
