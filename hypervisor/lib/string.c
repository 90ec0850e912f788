/* C-library string functions for the freestanding hypervisor image.
 * memcpy and memset use 8-byte accesses when both ends are 8-byte aligned
 * (the compiler calls them for struct copies and zeroing on hot paths) and
 * byte accesses otherwise: the hypervisor is built with -mstrict-align.
 * libfdt.a (Debian's libfdt-dev:arm64) links against exactly this set, plus
 * strtoul. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
        for (; n >= 8; n -= 8, d += 8, s += 8)
            *(uint64_t *)(void *)d = *(const uint64_t *)(const void *)s;
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d == s || n == 0)
        return dst;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        d += n;
        s += n;
        while (n--)
            *--d = *--s;
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    if (((uintptr_t)d & 7) == 0) {
        uint64_t w = (uint8_t)c * UINT64_C(0x0101010101010101);
        for (; n >= 8; n -= 8, d += 8)
            *(uint64_t *)(void *)d = w;
    }
    while (n--)
        *d++ = (uint8_t)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const uint8_t *p = s;
    for (; n; n--, p++)
        if (*p == (uint8_t)c)
            return (void *)(uintptr_t)p;
    return NULL;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)(uintptr_t)s;
        if (!*s)
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;
    for (;; s++) {
        if (*s == (char)c)
            last = s;
        if (!*s)
            return (char *)(uintptr_t)last;
    }
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* C11 7.22.1.4, without locale and errno: saturates at ULONG_MAX. libfdt
 * uses it for unit addresses in node names. */
unsigned long strtoul(const char *s, char **end, int base)
{
    const char *p = s;
    while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
        p++;
    int neg = 0;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        digit_value(p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    unsigned long v = 0;
    int any = 0, over = 0;
    for (int d; (d = digit_value(*p)) < base; p++) {
        any = 1;
        if (v > (~0ul - (unsigned long)d) / (unsigned long)base)
            over = 1;
        v = v * (unsigned long)base + (unsigned long)d;
    }
    if (end)
        *end = (char *)(uintptr_t)(any ? p : s);
    if (over)
        return ~0ul;
    return neg ? (unsigned long)-(long)v : v;
}

/* libfdt.a is built with -fstack-protector-strong. A fixed canary is
 * enough to catch overruns; a failure stops the hypervisor (hyp_panic). */
uintptr_t __stack_chk_guard = 0x2f8e6d4cb1a30759ul;
void hyp_panic(const char *why) __attribute__((noreturn));
void __stack_chk_fail(void) __attribute__((noreturn));
void __stack_chk_fail(void)
{
    hyp_panic("stack smashing detected (in libfdt or the hypervisor)");
}
