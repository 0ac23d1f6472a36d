/*
 * utf8.c - UTF-8 steps (see utf8.h). Forward steps decode with utf8proc,
 * so invalid input is reported; back steps, prefixes and counts look only
 * at the lead/continuation structure, so they never fail. Pure; any
 * thread.
 */
#include <stdbool.h>

#include <utf8proc.h>

#include "utf8.h"

static bool
is_cont(char c)
{
    return ((unsigned char)c & 0xC0) == 0x80;
}

int32_t
sk_utf8_next(const char *s, size_t len, size_t *n)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t r;

    r = utf8proc_iterate((const utf8proc_uint8_t *)s,
                         (utf8proc_ssize_t)(len > 4 ? 4 : len), &cp);
    if (r <= 0) {
        *n = 1;
        return -1;
    }
    *n = (size_t)r;
    return cp;
}

size_t
sk_utf8_back(const char *s, size_t i)
{
    if (i == 0)
        return 0;
    i--;
    while (i > 0 && is_cont(s[i]))
        i--;
    return i;
}

size_t
sk_utf8_prefix(const char *s, size_t len, size_t max)
{
    size_t i, count = 0;

    for (i = 0; i < len; i++) {
        if (is_cont(s[i]))
            continue;
        if (count == max)
            return i;
        count++;
    }
    return len;
}

size_t
sk_utf8_count(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        if (!is_cont(*s))
            n++;
    return n;
}
