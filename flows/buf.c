/*
 * buf.c - the bounded growable text buffer (see buf.h). The capacity
 * doubles from 64 bytes, so n additions cost O(n) copies; the limit is
 * checked before any allocation, so a buffer never holds more than its
 * max. Pure; any thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "buf.h"

static size_t
buf_limit(const struct sk_buf *b)
{
    return b->max != 0 ? b->max : SK_BUF_MAX;
}

/* Room for n more bytes and the NUL; sets fail when there is none. */
static bool
buf_reserve(struct sk_buf *b, size_t n)
{
    size_t limit = buf_limit(b), cap;
    char *p;

    if (b->fail)
        return false;
    if (n > limit || b->len > limit - n) {
        b->fail = true;
        return false;
    }
    if (b->len + n + 1 <= b->cap)
        return true;
    cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1)
        cap *= 2;
    if (cap > limit + 1)
        cap = limit + 1;
    p = realloc(b->s, cap);
    if (p == NULL) {
        b->fail = true;
        return false;
    }
    b->s = p;
    b->cap = cap;
    return true;
}

void
sk_buf_add(struct sk_buf *b, const char *s, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    if (n > 0)
        memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void
sk_buf_str(struct sk_buf *b, const char *s)
{
    sk_buf_add(b, s, strlen(s));
}

void
sk_buf_addc(struct sk_buf *b, char c)
{
    sk_buf_add(b, &c, 1);
}

void
sk_buf_cp(struct sk_buf *b, int32_t cp)
{
    utf8proc_uint8_t enc[4];
    utf8proc_ssize_t n = utf8proc_encode_char(cp, enc);

    sk_buf_add(b, (const char *)enc, (size_t)n);
}

void
sk_buf_printf(struct sk_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->fail)
        return;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->fail = true;
        return;
    }
    if (!buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *
sk_buf_take(struct sk_buf *b)
{
    char *s;

    sk_buf_add(b, "", 0);
    s = b->fail ? NULL : b->s;
    if (s == NULL)
        free(b->s);
    *b = (struct sk_buf){.max = b->max};
    return s;
}

void
sk_buf_free(struct sk_buf *b)
{
    free(b->s);
    *b = (struct sk_buf){.max = b->max};
}

void
sk_buf_wipe(struct sk_buf *b)
{
    if (b->s != NULL)
        explicit_bzero(b->s, b->cap);
    sk_buf_free(b);
}
