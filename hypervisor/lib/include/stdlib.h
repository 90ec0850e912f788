/* Freestanding stand-in for <stdlib.h>: only what libfdt uses. */
#ifndef HYP_STDLIB_H
#define HYP_STDLIB_H
#include <stddef.h>

unsigned long strtoul(const char *s, char **end, int base);

#endif
