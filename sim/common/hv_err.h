/* hvsim: error reporting for library code.
 *
 * Library code never exits and never prints: it returns a status and fills a
 * struct hv_err with one line that names the problem. Only main() decides what
 * to print and which exit status to use (see docs/cli.md).
 */
#ifndef HV_ERR_H
#define HV_ERR_H

#include <stdarg.h>

struct hv_err {
    char msg[512];
};

/* Fill err (if non-NULL) with a formatted message; always returns -1 so that
 * callers can write `return hv_err_set(err, "...")`. */
int hv_err_set(struct hv_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefix an existing message with more context ("loading x.elf: <old msg>"). */
int hv_err_prefix(struct hv_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
