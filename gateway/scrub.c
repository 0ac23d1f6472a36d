/*
 * scrub.c - free text made safe for an export (see scrub.h).
 *
 * Two passes over the text, each writing a new copy.
 *
 * The first cuts the text into pieces: runs of bytes that are neither
 * white space nor a bracket, quote, comma, semicolon or similar (none of
 * which appears in an e-mail address, a host name or a usual URL). Each
 * piece, less trailing sentence punctuation, is looked at whole: an '@'
 * inside with a '.' after it is an e-mail address, "://" or a leading
 * "www." a URL, a host name of two or more labels ending in letters (with
 * or without a port and a path) a bare domain, a leading '@' a handle.
 *
 * The second finds number-like runs: digits (ASCII, Arabic-Indic,
 * Extended Arabic-Indic, full-width) with at most three separators
 * (space, dash, dot, slash, brackets) between them, optionally starting
 * with '+' or '('. A run of SCRUB_MIN_DIGITS or more digits is a phone
 * number or an identifier and goes; "116 111" and "3 a camp" stay.
 * Placeholders hold no digit, so the second pass leaves the first's alone.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "scrub.h"

#define SEP_MAX 3 /* separators allowed between two digits of a number */

static bool
is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

/* Bytes that end a piece: none is found in addresses, hosts or paths. */
static bool
is_cut(unsigned char c)
{
    return is_space(c) || strchr("\"'<>()[]{},;`|\\", c) != NULL;
}

static bool
is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_alnum(unsigned char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

/* Whether s[0..n) is a host name: two or more labels of letters, digits
 * and dashes, the last one letters only (two or more). */
static bool
is_host(const char *s, size_t n)
{
    size_t i, labels = 0, len = 0, last = 0;
    bool last_alpha = true;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '.') {
            if (len == 0)
                return false;
            labels++;
            len = 0;
            last_alpha = true;
            continue;
        }
        if (!is_alnum(c) && c != '-')
            return false;
        if (!is_alpha(c))
            last_alpha = false;
        len++;
        last = len;
    }
    if (len == 0)
        return false;
    return labels >= 1 && last_alpha && last >= 2;
}

/* Whether piece p[0..n) (no cut bytes) is a bare domain, maybe with a
 * port and a path: "example.org", "example.org:8080/x?y". */
static bool
is_domain(const char *p, size_t n)
{
    size_t host = 0;

    while (host < n && strchr("/?#:", p[host]) == NULL)
        host++;
    return is_host(p, host);
}

static bool
has_prefix_ci(const char *p, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);

    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++) {
        char c = p[i];

        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != prefix[i])
            return false;
    }
    return true;
}

static bool
contains(const char *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);

    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, needle, k) == 0)
            return true;
    return false;
}

/* The placeholder for piece p[0..n), or NULL to keep it. */
static const char *
piece_kind(const char *p, size_t n)
{
    const char *at = memchr(p, '@', n);

    if (at != NULL && at > p) {
        size_t rest = n - (size_t)(at - p) - 1;
        const char *dot = memchr(at + 1, '.', rest);

        if (dot != NULL && dot > at + 1 && dot < p + n - 1)
            return "[email]";
    }
    if (contains(p, n, "://") || has_prefix_ci(p, n, "www."))
        return "[url]";
    if (n >= 3 && p[0] == '@') {
        size_t i;

        for (i = 1; i < n; i++)
            if (!is_alnum((unsigned char)p[i]) && p[i] != '_' && p[i] != '.')
                break;
        if (i == n)
            return "[handle]";
    }
    if (is_domain(p, n))
        return "[url]";
    return NULL;
}

/* Pass one: addresses, URLs, domains and handles. */
static void
scrub_pieces(struct sk_buf *b, const char *s)
{
    size_t i = 0, n = strlen(s);

    while (i < n) {
        size_t start = i, end, core;
        const char *kind;

        if (is_cut((unsigned char)s[i])) {
            sk_buf_addc(b, s[i++]);
            continue;
        }
        while (i < n && !is_cut((unsigned char)s[i]))
            i++;
        end = i;
        core = end;
        while (core > start && strchr(".:!?", s[core - 1]) != NULL)
            core--;
        kind = core > start ? piece_kind(s + start, core - start) : NULL;
        if (kind != NULL) {
            sk_buf_str(b, kind);
            sk_buf_add(b, s + core, end - core);
        } else {
            sk_buf_add(b, s + start, end - start);
        }
    }
}

/* The length of the digit at s (ASCII, Arabic-Indic, Extended
 * Arabic-Indic, full-width), or 0. */
static size_t
digit_len(const unsigned char *s)
{
    if (s[0] >= '0' && s[0] <= '9')
        return 1;
    if (s[0] == 0xd9 && s[1] >= 0xa0 && s[1] <= 0xa9)
        return 2;
    if (s[0] == 0xdb && s[1] >= 0xb0 && s[1] <= 0xb9)
        return 2;
    if (s[0] == 0xef && s[1] == 0xbc && s[2] >= 0x90 && s[2] <= 0x99)
        return 3;
    return 0;
}

static bool
is_sep(unsigned char c)
{
    return c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')';
}

/*
 * The number-like run starting at s: its length in bytes (0 when s does
 * not start one) and, in *digits, how many digits it holds.
 */
static size_t
number_run(const unsigned char *s, size_t *digits)
{
    size_t i = 0, end = 0, d;

    *digits = 0;
    if ((s[0] == '+' || s[0] == '(') && digit_len(s + 1) > 0)
        i = 1;
    if (digit_len(s + i) == 0)
        return 0;
    for (;;) {
        size_t seps = 0;

        while ((d = digit_len(s + i)) > 0) {
            i += d;
            (*digits)++;
        }
        end = i;
        while (seps < SEP_MAX && is_sep(s[i + seps]))
            seps++;
        if (seps == 0 || digit_len(s + i + seps) == 0)
            break;
        i += seps;
    }
    return end;
}

/* Pass two: phone numbers and long digit runs. */
static void
scrub_numbers(struct sk_buf *b, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, run, digits;

    while (u[i] != '\0') {
        run = number_run(u + i, &digits);
        if (run == 0) {
            sk_buf_addc(b, s[i++]);
        } else if (digits >= SCRUB_MIN_DIGITS) {
            sk_buf_str(b, "[phone]");
            i += run;
        } else {
            sk_buf_add(b, s + i, run);
            i += run;
        }
    }
}

char *
scrub_text(const char *text, bool *oom)
{
    struct sk_buf b = {0};
    char *first, *out;

    if (text == NULL)
        return NULL;
    sk_buf_str(&b, "");
    scrub_pieces(&b, text);
    if ((first = sk_buf_take(&b)) == NULL) {
        *oom = true;
        return NULL;
    }
    sk_buf_str(&b, "");
    scrub_numbers(&b, first);
    free(first);
    if ((out = sk_buf_take(&b)) == NULL)
        *oom = true;
    return out;
}

bool
scrub_cell_needs(const char *text)
{
    const char *p = text;

    if (p == NULL || *p == '\0')
        return false;
    if (*p == '\t' || *p == '\r')
        return true;
    while (*p == ' ')
        p++;
    return *p != '\0' && strchr("=+-@\t\r", *p) != NULL;
}

char *
scrub_cell(const char *cell, bool *oom)
{
    size_t n;
    char *out;

    if (cell == NULL)
        return NULL;
    n = strlen(cell);
    if ((out = malloc(n + 2)) == NULL) {
        *oom = true;
        return NULL;
    }
    if (scrub_cell_needs(cell)) {
        out[0] = '\'';
        memcpy(out + 1, cell, n + 1);
    } else {
        memcpy(out, cell, n + 1);
    }
    return out;
}
