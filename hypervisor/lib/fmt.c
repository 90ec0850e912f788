/* See fmt.h. Output is always NUL-terminated when size > 0; the return value
 * is the length the full output would have had (C11 7.21.6.5). */
#include "fmt.h"

#include <stdbool.h>
#include <stdint.h>

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width, bool left, char pad)
{
    int fill = width > (int)n ? width - (int)n : 0;
    if (!left)
        while (fill-- > 0)
            put(o, pad);
    for (size_t i = 0; i < n; i++)
        put(o, s[i]);
    if (left)
        while (fill-- > 0)
            put(o, ' ');
}

int hyp_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = {buf, size, 0};
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(&o, *p);
            continue;
        }
        p++;
        bool left = false, zero = false;
        for (;; p++) {
            if (*p == '-')
                left = true;
            else if (*p == '0')
                zero = true;
            else
                break;
        }
        int width = 0;
        while (*p >= '0' && *p <= '9')
            width = width * 10 + (*p++ - '0');
        int lng = 0;
        while (*p == 'l' || *p == 'z') {
            lng++;
            p++;
        }
        char tmp[24];
        size_t n = 0;
        switch (*p) {
        case 'd':
        case 'i': {
            int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            char rev[24];
            size_t k = 0;
            do {
                rev[k++] = (char)('0' + u % 10);
                u /= 10;
            } while (u);
            if (v < 0)
                tmp[n++] = '-';
            while (k)
                tmp[n++] = rev[--k];
            put_padded(&o, tmp, n, width, left, zero && !left ? '0' : ' ');
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'p': {
            uint64_t u;
            if (*p == 'p')
                u = (uint64_t)(uintptr_t)va_arg(ap, void *);
            else
                u = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            unsigned base = *p == 'u' ? 10 : 16;
            const char *digits = *p == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
            char rev[24];
            size_t k = 0;
            do {
                rev[k++] = digits[u % base];
                u /= base;
            } while (u);
            if (*p == 'p') {
                tmp[n++] = '0';
                tmp[n++] = 'x';
            }
            while (k)
                tmp[n++] = rev[--k];
            put_padded(&o, tmp, n, width, left, zero && !left ? '0' : ' ');
            break;
        }
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            put_padded(&o, tmp, 1, width, left, ' ');
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            size_t len = 0;
            while (s[len])
                len++;
            put_padded(&o, s, len, width, left, ' ');
            break;
        }
        case '%':
            put(&o, '%');
            break;
        case '\0':
            p--;
            break;
        default:
            put(&o, '%');
            put(&o, *p);
            break;
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int hyp_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = hyp_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
