#include "hv_err.h"

#include <stdio.h>
#include <string.h>

int hv_err_set(struct hv_err *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return -1;
}

int hv_err_prefix(struct hv_err *err, const char *fmt, ...)
{
    if (err) {
        char old[sizeof(err->msg)];
        char pre[sizeof(err->msg)];
        va_list ap;
        memcpy(old, err->msg, sizeof(old));
        va_start(ap, fmt);
        vsnprintf(pre, sizeof(pre), fmt, ap);
        va_end(ap);
        size_t n = strlen(pre);
        if (n > sizeof(err->msg) - 3)
            n = sizeof(err->msg) - 3;
        memcpy(err->msg, pre, n);
        memcpy(err->msg + n, ": ", 2);
        n += 2;
        size_t m = strlen(old);
        if (m > sizeof(err->msg) - 1 - n)
            m = sizeof(err->msg) - 1 - n;
        memcpy(err->msg + n, old, m);
        err->msg[n + m] = '\0';
    }
    return -1;
}
