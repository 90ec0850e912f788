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
bool hyp_console_dirty;
static bool cr_sent; /* the next character is a LF whose CR went out */

/* Messages are recorded, not formatted, in the handler (hyp_printf): the
 * format, its arguments as 64-bit values, and where in the text they
 * belong (the ring's head then). The drain formats them. A %s argument
 * must then outlive the record: only strings in the image's text, rodata
 * and data (names, literals, the configuration) are recorded; a message
 * with another string (a stack buffer) is formatted at once. */
#define REC_ARGS 8
#define RECS     256u /* a power of two */
struct rec {
    const char *fmt;
    uint32_t pos; /* ring position (head) at which the message belongs */
    uint16_t n;
    bool line; /* a console line: a[1] is its slot (hyp_console_line) */
    uint64_t a[REC_ARGS];
};
static struct rec recs[RECS];
static uint32_t rhead, rtail;
static char stage[256]; /* a piece of the record being sent, formatted */
static uint32_t stage_pos, stage_len;

/* What each conversion reads (va_arg), per format: parsed once per format
 * string (a small cache keyed by its address), so that recording a
 * message costs a few instructions per argument. */
enum { K_INT, K_LONG, K_PTR, K_STR, K_BAD };
struct sig {
    const char *fmt;
    uint8_t n, k[REC_ARGS];
};
static struct sig sigs[32];

static const struct sig *sig_of(const char *fmt)
{
    struct sig *g = &sigs[((uintptr_t)fmt >> 3) % (sizeof sigs / sizeof sigs[0])];
    if (g->fmt == fmt)
        return g;
    struct sig t = {fmt, 0, {0}};
    for (const char *p = fmt; *p; p++) {
        if (*p != '%')
            continue;
        p++;
        while (*p == '-' || *p == '0' || (*p >= '1' && *p <= '9'))
            p++;
        int lng = 0;
        while (*p == 'l' || *p == 'z') {
            lng++;
            p++;
        }
        uint8_t k;
        switch (*p) {
        case 'd':
        case 'i':
        case 'u':
        case 'x':
        case 'X':
        case 'c':
            k = lng ? K_LONG : K_INT;
            break;
        case 'p':
            k = K_PTR;
            break;
        case 's':
            k = K_STR;
            break;
        case '%':
            continue;
        default:
            k = K_BAD; /* (including a format ending in '%') */
            break;
        }
        if (k == K_BAD || t.n == REC_ARGS) {
            t.n = 0xff;
            break;
        }
        t.k[t.n++] = k;
        if (!*p)
            break;
    }
    *g = t;
    return g;
}

extern const char __hyp_start[], __bss_start[];

static bool record(const char *fmt, va_list ap)
{
    const struct sig *g = sig_of(fmt);
    if (g->n == 0xff || rhead - rtail == RECS)
        return false;
    struct rec *r = &recs[rhead % RECS];
    for (unsigned i = 0; i < g->n; i++) {
        switch (g->k[i]) {
        case K_INT:
            r->a[i] = va_arg(ap, unsigned);
            break;
        case K_LONG:
            r->a[i] = va_arg(ap, uint64_t);
            break;
        case K_PTR:
            r->a[i] = (uint64_t)(uintptr_t)va_arg(ap, void *);
            break;
        default: {
            const char *str = va_arg(ap, const char *);
            if ((uintptr_t)str < (uintptr_t)__hyp_start || (uintptr_t)str >= (uintptr_t)__bss_start)
                return false; /* not constant: formatted now */
            r->a[i] = (uint64_t)(uintptr_t)str;
            break;
        }
        }
    }
    r->fmt = fmt;
    r->n = g->n;
    r->line = false;
    r->pos = head;
    rhead++;
    hyp_console_dirty = true;
    return true;
}

/* The drain's side: the record being sent is formatted into stage piece
 * by piece (a run of literal text or a %s string, up to PIECE characters,
 * or one other conversion, given to hyp_snprintf with the argument's
 * type), as the drain needs characters: the drain checks ISR_EL1.I
 * between two characters, so formatting a message is no longer one unit
 * that keeps an interrupt waiting (~900 instructions) but pieces of ~200
 * at most. Writers may record messages between two pieces: the record is
 * copied (and its argument kinds with it: the signature cache may be
 * overwritten meanwhile). */
#define PIECE 16u
static struct rec cur;     /* the record being formatted */
static struct sig cur_sig; /* its argument kinds */
static const char *cur_p;  /* the next character of its format, NULL: none */
static const char *str_p;  /* a %s argument being copied, NULL: none */
static uint32_t cur_arg;

/* Console lines ("[name] text\n", hyp_console_line) are records of this
 * format whose text is in a line slot, freed when the record is formatted. */
static const char line_fmt[] = "[%s] %s\n";
#define LINES    8u /* a power of two */
#define LINE_MAX 128u
static uint64_t lines[LINES][LINE_MAX / 8];
static uint32_t lhead, ltail;

static void stage_start(const struct rec *r)
{
    cur = *r;
    cur_sig = *sig_of(r->fmt);
    cur_p = r->fmt;
    cur_arg = 0;
    str_p = NULL;
}

static void stage_more(void)
{
    uint32_t o = 0;
    if (str_p) {
        while (*str_p && o < PIECE)
            stage[o++] = *str_p++;
        if (!*str_p)
            str_p = NULL;
    } else if (!*cur_p) {
        cur_p = NULL; /* done */
        if (cur.line)
            ltail++; /* its line slot is free again */
    } else if (*cur_p != '%') {
        while (*cur_p && *cur_p != '%' && o < PIECE)
            stage[o++] = *cur_p++;
    } else {
        const char *p = cur_p;
        char spec[16];
        unsigned sl = 0;
        spec[sl++] = *p++;
        while (*p && sl < sizeof spec - 2 &&
               (*p == '-' || *p == '0' || (*p >= '1' && *p <= '9') || *p == 'l' || *p == 'z'))
            spec[sl++] = *p++;
        spec[sl++] = *p;
        spec[sl] = 0;
        cur_p = *p ? p + 1 : p;
        int w;
        if (*p == '%') {
            w = hyp_snprintf(stage, sizeof stage, "%%");
        } else {
            uint64_t a = cur_arg < cur.n ? cur.a[cur_arg] : 0;
            unsigned k = cur_arg < cur_sig.n ? cur_sig.k[cur_arg] : K_INT;
            cur_arg++;
            if (k == K_STR && sl == 2) { /* a plain %s: copied in pieces */
                str_p = a ? (const char *)(uintptr_t)a : "(null)";
                w = 0;
            } else if (k == K_STR) {
                w = hyp_snprintf(stage, sizeof stage, spec, (const char *)(uintptr_t)a);
            } else if (k == K_PTR) {
                w = hyp_snprintf(stage, sizeof stage, spec, (void *)(uintptr_t)a);
            } else if (k == K_LONG) {
                w = hyp_snprintf(stage, sizeof stage, spec, (unsigned long long)a);
            } else {
                w = hyp_snprintf(stage, sizeof stage, spec, (unsigned)a);
            }
        }
        o = w < 0 ? 0 : (uint32_t)w < sizeof stage ? (uint32_t)w : (uint32_t)sizeof stage - 1;
    }
    stage_pos = 0;
    stage_len = o;
}

/* The next character to send, -1 for none: the staged piece's, the
 * record's next piece, the ring's up to the next record's position, or
 * the next record started. */
static int peek(void)
{
    for (;;) {
        if (stage_pos < stage_len)
            return (unsigned char)stage[stage_pos];
        if (cur_p) {
            stage_more();
            continue;
        }
        if (rtail != rhead && recs[rtail % RECS].pos == tail) {
            stage_start(&recs[rtail % RECS]);
            rtail++;
            continue;
        }
        return tail != head ? (unsigned char)ring[tail % LOG_SIZE] : -1;
    }
}

static void consume(void)
{
    if (stage_pos < stage_len)
        stage_pos++;
    else
        tail++;
}

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
    if (head - tail == LOG_SIZE || rhead - rtail == RECS) {
        hyp_console_flush(); /* full: the writer waits, as before the ring */
        stalls++;
    }
    ring[head++ % LOG_SIZE] = c;
    hyp_console_dirty = true;
}

bool hyp_console_pending(void)
{
    return head != tail || rhead != rtail || stage_pos < stage_len || cur_p;
}

/* PL011 UARTFR.TXFF: the transmit FIFO is full (a character takes its
 * time on the line: hvsim models the baud rate). */
static bool tx_full(void)
{
    return uart0 && (mmio_r32(uart0 + 0x18) & (1u << 5));
}

/* Sends one character (a LF as CR LF). */
static void send(bool wait_fifo)
{
    int c = peek();
    while (wait_fifo && tx_full())
        ;
    if (c == '\n' && !cr_sent) {
        if (uart0)
            mmio_w32(uart0, '\r');
        cr_sent = true;
        return;
    }
    cr_sent = false;
    consume();
    if (uart0)
        mmio_w32(uart0, (uint8_t)c);
}

bool hyp_console_drain(bool wait)
{
    for (;;) {
        /* The check first: peek may format a piece of a record. */
        if (hyp_irq_pending())
            return false;
        if (peek() < 0)
            break;
        if (tx_full()) {
            if (!wait)
                return true; /* the rest at the next drain */
            continue;        /* idle: wait for the FIFO, or an interrupt */
        }
        send(false);
    }
    hyp_console_dirty = false;
    return true;
}

void hyp_console_flush(void)
{
    while (peek() >= 0)
        send(true);
    hyp_console_dirty = false;
}

uint64_t hyp_console_stalls(void)
{
    return stalls;
}

void hyp_puts(const char *s)
{
    if (!deferred) {
        while (*s)
            hyp_putc(*s++);
        return;
    }
    /* Into the ring in one pass (a console line from a trap handler). */
    hyp_commit(&g_hyp);
    uint32_t h = head;
    for (; *s; s++) {
        if (h - tail == LOG_SIZE) {
            head = h;
            hyp_putc(*s); /* full: flushes, as hyp_putc does */
            h = head;
            continue;
        }
        ring[h++ % LOG_SIZE] = *s;
    }
    head = h;
    hyp_console_dirty = true;
}

bool hyp_console_line(const char *name, const char *text, unsigned len)
{
    if (!deferred || len >= LINE_MAX || lhead - ltail == LINES || rhead - rtail == RECS)
        return false;
    hyp_commit(&g_hyp); /* a message is a side effect (preemption points) */
    /* text is 8-byte aligned and at least LINE_MAX bytes (struct vm.line):
     * copied in words, ~15 for a full line. */
    uint64_t *d = lines[lhead % LINES];
    const uint64_t *src = (const uint64_t *)(const void *)text;
    for (unsigned i = 0; i <= len / 8; i++)
        d[i] = src[i];
    ((char *)d)[len] = 0;
    struct rec *r = &recs[rhead % RECS];
    r->fmt = line_fmt;
    r->n = 2;
    r->line = true;
    r->a[0] = (uint64_t)(uintptr_t)name;
    r->a[1] = (uint64_t)(uintptr_t)d;
    r->pos = head;
    rhead++;
    lhead++;
    hyp_console_dirty = true;
    return true;
}

int hyp_printf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    if (deferred) {
        hyp_commit(&g_hyp); /* a message is a side effect (preemption points) */
        va_start(ap, fmt);
        bool done = record(fmt, ap);
        va_end(ap);
        if (done)
            return 0; /* (no caller uses the length) */
    }
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
