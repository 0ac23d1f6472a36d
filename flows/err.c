/*
 * err.c - the error buffer helper. Pure; any thread.
 */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"

void
sk_seterr(char *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || err[0] != '\0')
        return; /* the first cause wins */
    va_start(ap, fmt);
    vsnprintf(err, SK_ERR_LEN, fmt, ap);
    va_end(ap);
}

const char *
sk_strerror(int rc)
{
    switch (rc) {
    case SK_OK:
        return "OK";
    case SK_EINVAL:
        return "EINVAL";
    case SK_ENOMEM:
        return "ENOMEM";
    case SK_EIO:
        return "EIO";
    case SK_ENOENT:
        return "ENOENT";
    case SK_EBUSY:
        return "EBUSY";
    case SK_EEXIST:
        return "EEXIST";
    case SK_ELIMIT:
        return "ELIMIT";
    case SK_EDENIED:
        return "EDENIED";
    case SK_ESTATE:
        return "ESTATE";
    default:
        return "EUNKNOWN";
    }
}
