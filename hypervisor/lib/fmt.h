/* A small vsnprintf for the freestanding hypervisor: %d %i %u %x %X %c %s
 * %p %%, flags '-' and '0', a width, and the l/ll/z length modifiers. */
#ifndef HYP_FMT_H
#define HYP_FMT_H
#include <stdarg.h>
#include <stddef.h>

int hyp_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int hyp_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
