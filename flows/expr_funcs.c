/*
 * expr_funcs.c - the built-in functions of the expression language, with
 * goflow's names, argument orders and (where known) error messages.
 *
 * Each function takes its evaluated arguments, which may be error values,
 * and returns a new value. Conversions propagate an argument's error, so
 * upper(1 / 0) is an error. Text is UTF-8 and handled per code point with
 * utf8proc. Dates are held as text, as goflow renders them: a datetime as
 * "2019-01-02T15:04:05.000000+02:00" and a date as "2019-01-02"; they are
 * read and shown in the env's zone (tz.h gives its offsets). The clock is
 * expr_env.now_ms, never the system's.
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "calendar.h"
#include "expr_funcs.h"
#include "hex.h"
#include "tz.h"
#include "xval.h"

typedef json_t *(*func_fn)(const struct expr_env *env, json_t *const *args,
                           size_t n);

struct func {
    const char *name;
    int min, max; /* argument counts; max -1 means any */
    func_fn fn;
};

/* sk_buf_add() within EXPR_MAX_TEXT: a function never builds longer
 * text (fail is set instead). */
static void
buf_add(struct sk_buf *b, const char *s, size_t n)
{
    if (!b->fail && b->len + n > EXPR_MAX_TEXT) {
        b->fail = true;
        b->len = EXPR_MAX_TEXT + 1; /* too long, not out of memory */
    }
    sk_buf_add(b, s, n);
}

static void
buf_cp(struct sk_buf *b, utf8proc_int32_t cp)
{
    utf8proc_uint8_t enc[4];
    utf8proc_ssize_t n = utf8proc_encode_char(cp, enc);

    buf_add(b, (const char *)enc, (size_t)n);
}

/* Consumes the buffer: a text value, an error when it grew too long, or
 * NULL when it ran out of memory. */
static json_t *
buf_value(struct sk_buf *b)
{
    json_t *v;

    if (b->fail)
        v = b->len > EXPR_MAX_TEXT ? xval_error("text too long") : NULL;
    else
        v = json_string(b->s ? b->s : "");
    free(b->s);
    return v;
}

/* The code point at s (length *n); invalid bytes read as U+FFFD. */
static utf8proc_int32_t
next_cp(const char *s, size_t len, size_t *n)
{
    int32_t cp = sk_utf8_next(s, len, n);

    return cp < 0 ? 0xFFFD : cp;
}

static size_t
cp_count(const char *s)
{
    size_t len = strlen(s), i = 0, count = 0, n;

    while (i < len) {
        next_cp(s + i, len - i, &n);
        i += n;
        count++;
    }
    return count;
}

/* Byte offset of code point number idx (or the end). */
static size_t
cp_offset(const char *s, size_t idx)
{
    size_t len = strlen(s), i = 0, n;

    while (i < len && idx > 0) {
        next_cp(s + i, len - i, &n);
        i += n;
        idx--;
    }
    return i;
}

/* The first error among the arguments, as a new reference, or NULL. */
static json_t *
first_error(json_t *const *args, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (xval_is_error(args[i]))
            return json_incref(args[i]);
    return NULL;
}

/* ---------------------------------------------------------------------
 * Text
 */

typedef utf8proc_int32_t (*case_fn)(utf8proc_int32_t);

static json_t *
map_case(json_t *arg, case_fn f)
{
    struct sk_buf b = {0};
    char *s = NULL;
    json_t *e = exprf_to_text(arg, &s);
    size_t len, i = 0, n;

    if (e != NULL)
        return e;
    len = strlen(s);
    buf_add(&b, "", 0);
    while (i < len) {
        buf_cp(&b, f(next_cp(s + i, len - i, &n)));
        i += n;
    }
    free(s);
    return buf_value(&b);
}

static json_t *
f_upper(const struct expr_env *env, json_t *const *a, size_t n)
{
    (void)env;
    (void)n;
    return map_case(a[0], utf8proc_toupper);
}

static json_t *
f_lower(const struct expr_env *env, json_t *const *a, size_t n)
{
    (void)env;
    (void)n;
    return map_case(a[0], utf8proc_tolower);
}

static bool
is_letter_or_digit(utf8proc_int32_t cp)
{
    utf8proc_category_t c = utf8proc_category(cp);

    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
           (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO) ||
           cp == '_';
}

/* Go's strings.Title on lower-cased text: words start after separators. */
static json_t *
f_title(const struct expr_env *env, json_t *const *a, size_t nargs)
{
    struct sk_buf b = {0};
    char *s = NULL;
    json_t *e = exprf_to_text(a[0], &s);
    size_t len, i = 0, n;
    bool start = true;

    (void)env;
    (void)nargs;
    if (e != NULL)
        return e;
    len = strlen(s);
    buf_add(&b, "", 0);
    while (i < len) {
        utf8proc_int32_t cp = utf8proc_tolower(next_cp(s + i, len - i, &n));
        bool sep;

        if (cp < 0x80)
            sep = !is_letter_or_digit(cp);
        else
            sep = utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
        buf_cp(&b, start ? utf8proc_totitle(cp) : cp);
        start = sep;
        i += n;
    }
    free(s);
    return buf_value(&b);
}

static json_t *
f_text_length(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *s = NULL;
    json_t *e = exprf_to_text(a[0], &s);

    (void)env;
    (void)n;
    if (e != NULL)
        return e;
    e = json_integer((json_int_t)cp_count(s));
    free(s);
    return e;
}

/* A list of words, each malloc'd. */
struct words {
    char **w;
    size_t n, cap;
    bool fail;
};

static void
words_add(struct words *ws, const char *s, size_t n)
{
    char *w;

    if (ws->fail)
        return;
    if (ws->n == ws->cap) {
        size_t cap = ws->cap ? ws->cap * 2 : 8;
        char **p = realloc(ws->w, cap * sizeof(*p));

        if (p == NULL) {
            ws->fail = true;
            return;
        }
        ws->w = p;
        ws->cap = cap;
    }
    w = strndup(s, n);
    if (w == NULL) {
        ws->fail = true;
        return;
    }
    ws->w[ws->n++] = w;
}

static void
words_free(struct words *ws)
{
    for (size_t i = 0; i < ws->n; i++)
        free(ws->w[i]);
    free(ws->w);
}

static bool
is_word_cp(utf8proc_int32_t cp)
{
    utf8proc_category_t c = utf8proc_category(cp);

    return is_letter_or_digit(cp) || cp == '\'' ||
           (c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME);
}

static bool
is_symbol(utf8proc_int32_t cp)
{
    utf8proc_category_t c = utf8proc_category(cp);

    return c >= UTF8PROC_CATEGORY_SM && c <= UTF8PROC_CATEGORY_SO;
}

/*
 * Splits text into words as goflow does: runs of letters, marks, digits,
 * "_" and "'"; each symbol (an emoji, "$", "+") is a word of its own. With
 * delims, the text is split at any of those characters instead and empty words
 * dropped.
 */
static void
tokenize(const char *s, const char *delims, struct words *ws)
{
    size_t len = strlen(s), i = 0, start = 0, n;
    bool in = false;

    while (i < len) {
        utf8proc_int32_t cp = next_cp(s + i, len - i, &n);
        bool word;

        if (delims != NULL) {
            char enc[5] = {0};

            memcpy(enc, s + i, n);
            word = strstr(delims, enc) == NULL;
        } else {
            word = is_word_cp(cp);
            if (!word && is_symbol(cp)) {
                if (in)
                    words_add(ws, s + start, i - start);
                in = false;
                words_add(ws, s + i, n);
                i += n;
                continue;
            }
        }
        if (word && !in) {
            start = i;
            in = true;
        } else if (!word && in) {
            words_add(ws, s + start, i - start);
            in = false;
        }
        i += n;
    }
    if (in)
        words_add(ws, s + start, len - start);
}

/* Text args[0] split into words, with optional delimiters args[di]. */
static json_t *
get_words(json_t *const *a, size_t n, size_t di, struct words *ws, char **text)
{
    char *delims = NULL;
    json_t *e = exprf_to_text(a[0], text);

    if (e != NULL)
        return e;
    if (n > di && !json_is_null(a[di])) {
        e = exprf_to_text(a[di], &delims);
        if (e != NULL) {
            free(*text);
            *text = NULL;
            return e;
        }
    }
    tokenize(*text, delims, ws);
    free(delims);
    if (ws->fail) {
        words_free(ws);
        free(*text);
        *text = NULL;
        return exprf_oom();
    }
    return NULL;
}

static json_t *
f_word(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct words ws = {0};
    char *text = NULL;
    long long idx = 0, off;
    json_t *e = exprf_to_int(a[1], &idx);

    (void)env;
    if (e != NULL)
        return e;
    if ((e = get_words(a, n, 2, &ws, &text)) != NULL)
        return e;
    off = idx < 0 ? idx + (long long)ws.n : idx;
    if (off < 0 || off >= (long long)ws.n)
        e = xval_error("index %lld is out of range for the number of words %zu",
                       idx, ws.n);
    else
        e = json_string(ws.w[off]);
    words_free(&ws);
    free(text);
    return e;
}

static json_t *
f_word_count(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct words ws = {0};
    char *text = NULL;
    json_t *e;

    (void)env;
    if ((e = get_words(a, n, 1, &ws, &text)) != NULL)
        return e;
    e = json_integer((json_int_t)ws.n);
    words_free(&ws);
    free(text);
    return e;
}

static json_t *
f_word_slice(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct words ws = {0};
    struct sk_buf b = {0};
    char *text = NULL;
    long long start, end = -1;
    json_t *e = exprf_to_int(a[1], &start);

    (void)env;
    if (e != NULL)
        return e;
    if (start < 0)
        return xval_error("must start with a positive index");
    if (n > 2 && (e = exprf_to_int(a[2], &end)) != NULL)
        return e;
    if (end > 0 && end <= start)
        return xval_error("must have a end which is greater than the start");
    if ((e = get_words(a, n, 3, &ws, &text)) != NULL)
        return e;
    if (end < 0 || end > (long long)ws.n)
        end = (long long)ws.n;
    buf_add(&b, "", 0);
    for (long long i = start; i < end; i++) {
        if (i > start)
            buf_add(&b, " ", 1);
        buf_add(&b, ws.w[i], strlen(ws.w[i]));
    }
    words_free(&ws);
    free(text);
    return buf_value(&b);
}

static json_t *
f_remove_first_word(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct words ws = {0};
    char *text = NULL;
    json_t *e;
    const char *rest;

    (void)env;
    if ((e = get_words(a, n, 1, &ws, &text)) != NULL)
        return e;
    if (ws.n == 0) {
        e = json_string("");
    } else {
        rest = strstr(text, ws.w[0]) + strlen(ws.w[0]);
        while (*rest == ' ')
            rest++;
        e = json_string(rest);
    }
    words_free(&ws);
    free(text);
    return e;
}

static char *
trim_space(char *s)
{
    size_t len = strlen(s), k = 0;

    while (len > 0 && isspace((unsigned char)s[len - 1]))
        s[--len] = '\0';
    while (isspace((unsigned char)s[k]))
        k++;
    memmove(s, s + k, len - k + 1);
    return s;
}

static json_t *
f_field(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *text = NULL, *sep = NULL;
    long long idx, k = 0;
    json_t *e;
    const char *p;

    (void)env;
    (void)n;
    if ((e = exprf_to_text(a[0], &text)) != NULL)
        return e;
    if ((e = exprf_to_int(a[1], &idx)) != NULL)
        goto out;
    if (idx < 0) {
        e = xval_error("cannot use a negative index");
        goto out;
    }
    if ((e = exprf_to_text(a[2], &sep)) != NULL)
        goto out;
    p = text;
    for (;;) {
        const char *q = sep[0] ? strstr(p, sep) : NULL;
        size_t flen = q ? (size_t)(q - p) : strlen(p);

        if (sep[0] == '\0' && *p) { /* Go splits "" into characters */
            size_t cn;

            next_cp(p, strlen(p), &cn);
            flen = cn;
            q = p + cn;
        }
        /* splitting on a space ignores empty fields */
        if (!(strcmp(sep, " ") == 0 && flen == 0)) {
            if (k == idx) {
                char *f = strndup(p, flen);

                e = f ? json_string(trim_space(f)) : NULL;
                free(f);
                goto out;
            }
            k++;
        }
        if (q == NULL || (sep[0] == '\0' && *q == '\0'))
            break;
        p = q + strlen(sep);
    }
    e = json_string("");
out:
    free(text);
    free(sep);
    return e;
}

static json_t *
f_replace(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *text = NULL, *needle = NULL, *repl = NULL;
    long long count = -1;
    struct sk_buf b = {0};
    json_t *e;
    const char *p;

    (void)env;
    if ((e = exprf_to_text(a[0], &text)) != NULL)
        return e;
    if ((e = exprf_to_text(a[1], &needle)) != NULL)
        goto out;
    if ((e = exprf_to_text(a[2], &repl)) != NULL)
        goto out;
    if (n > 3 && (e = exprf_to_int(a[3], &count)) != NULL)
        goto out;
    buf_add(&b, "", 0);
    p = text;
    while (*p && count != 0) {
        const char *q;

        if (needle[0] == '\0') { /* Go: insert before each character */
            size_t cn;

            next_cp(p, strlen(p), &cn);
            buf_add(&b, repl, strlen(repl));
            buf_add(&b, p, cn);
            p += cn;
            count--;
            continue;
        }
        q = strstr(p, needle);
        if (q == NULL)
            break;
        buf_add(&b, p, (size_t)(q - p));
        buf_add(&b, repl, strlen(repl));
        p = q + strlen(needle);
        count--;
    }
    if (needle[0] == '\0' && *p == '\0' && count != 0)
        buf_add(&b, repl, strlen(repl));
    buf_add(&b, p, strlen(p));
    e = buf_value(&b);
out:
    free(text);
    free(needle);
    free(repl);
    return e;
}

/* trim, trim_left, trim_right: whitespace or the given characters. */
static json_t *
do_trim(json_t *const *a, size_t n, bool left, bool right)
{
    char *text = NULL, *chars = NULL;
    json_t *e;
    size_t len, start = 0, end, cn;

    if ((e = exprf_to_text(a[0], &text)) != NULL)
        return e;
    if (n > 1 && (e = exprf_to_text(a[1], &chars)) != NULL) {
        free(text);
        return e;
    }
    len = strlen(text);
    end = len;
    while (left && start < end) {
        utf8proc_int32_t cp = next_cp(text + start, end - start, &cn);
        char enc[5] = {0};

        memcpy(enc, text + start, cn);
        if (chars ? strstr(chars, enc) == NULL
                  : !(utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS ||
                      (cp < 0x80 && isspace(cp)) || cp == 0x85))
            break;
        start += cn;
    }
    while (right && end > start) {
        size_t k = start + sk_utf8_back(text + start, end - start);
        utf8proc_int32_t cp;
        char enc[5] = {0};

        cp = next_cp(text + k, end - k, &cn);
        memcpy(enc, text + k, cn < 4 ? cn : 4);
        if (chars ? strstr(chars, enc) == NULL
                  : !(utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS ||
                      (cp < 0x80 && isspace(cp)) || cp == 0x85))
            break;
        end = k;
    }
    e = json_stringn(text + start, end - start);
    free(text);
    free(chars);
    return e;
}

static json_t *
f_trim(const struct expr_env *env, json_t *const *a, size_t n)
{
    (void)env;
    return do_trim(a, n, true, true);
}

static json_t *
f_trim_left(const struct expr_env *env, json_t *const *a, size_t n)
{
    (void)env;
    return do_trim(a, n, true, false);
}

static json_t *
f_trim_right(const struct expr_env *env, json_t *const *a, size_t n)
{
    (void)env;
    return do_trim(a, n, false, true);
}

/* Code points [start, end) of text; negative bounds count from the end. */
static json_t *
slice(const char *text, long long start, long long end)
{
    long long len = (long long)cp_count(text);
    size_t b, e;

    if (start < 0)
        start += len;
    if (end < 0)
        end += len;
    if (start < 0)
        start = 0;
    if (end > len)
        end = len;
    if (start >= end)
        return json_string("");
    b = cp_offset(text, (size_t)start);
    e = cp_offset(text, (size_t)end);
    return json_stringn(text + b, e - b);
}

static json_t *
f_text_slice(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *text = NULL;
    long long start, end = 0;
    json_t *e;

    (void)env;
    if ((e = exprf_to_text(a[0], &text)) != NULL)
        return e;
    if ((e = exprf_to_int(a[1], &start)) == NULL &&
        (n < 3 || (e = exprf_to_int(a[2], &end)) == NULL))
        e = slice(text, start, n < 3 ? (long long)cp_count(text) : end);
    free(text);
    return e;
}

/* Legacy left(text, count), right(text, count) and mid(text, start, n). */
static json_t *
f_left(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *text = NULL;
    long long count;
    json_t *e;

    (void)env;
    (void)n;
    if ((e = exprf_to_text(a[0], &text)) != NULL)
        return e;
    if ((e = exprf_to_int(a[1], &count)) == NULL)
        e = count < 0 ? xval_error("can't take a negative count")
                      : slice(text, 0, count);
    free(text);
    return e;
}

static json_t *
f_right(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *text = NULL;
    long long count, len;
    json_t *e;

    (void)env;
    (void)n;
    if ((e = exprf_to_text(a[0], &text)) != NULL)
        return e;
    len = (long long)cp_count(text);
    if ((e = exprf_to_int(a[1], &count)) == NULL)
        e = count < 0 ? xval_error("can't take a negative count")
                      : slice(text, count > len ? 0 : len - count, len);
    free(text);
    return e;
}

static json_t *
f_mid(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *text = NULL;
    long long start, count;
    json_t *e;

    (void)env;
    (void)n;
    if ((e = exprf_to_text(a[0], &text)) != NULL)
        return e;
    if ((e = exprf_to_int(a[1], &start)) == NULL &&
        (e = exprf_to_int(a[2], &count)) == NULL) {
        if (start < 1)
            e = xval_error("must start with a positive index");
        else if (count < 0)
            e = xval_error("can't take a negative count");
        else
            e = slice(text, start - 1, start - 1 + count);
    }
    free(text);
    return e;
}

static json_t *
f_split(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct words ws = {0};
    char *text = NULL;
    json_t *e, *arr;

    (void)env;
    if (n > 1 && xval_is_error(a[1]))
        return json_incref(a[1]);
    if (n < 2) { /* no delimiters: split at spaces */
        json_t *args[2] = {a[0], NULL};

        args[1] = json_string(" ");
        e = args[1] ? get_words(args, 2, 1, &ws, &text) : NULL;
        json_decref(args[1]);
        if (args[1] == NULL)
            return exprf_oom();
    } else {
        e = get_words(a, 2, 1, &ws, &text);
    }
    if (e != NULL)
        return e;
    arr = json_array();
    for (size_t i = 0; arr != NULL && i < ws.n; i++)
        json_array_append_new(arr, json_string(ws.w[i]));
    words_free(&ws);
    free(text);
    return arr;
}

static json_t *
f_join(const struct expr_env *env, json_t *const *a, size_t n)
{
    const json_t *arr = xval_resolve(a[0]);
    char *sep = NULL;
    struct sk_buf b = {0};
    json_t *e;

    (void)env;
    (void)n;
    if (xval_is_error(a[0]))
        return json_incref(a[0]);
    if (!json_is_array(arr))
        return exprf_convert_error(arr, "an array");
    if ((e = exprf_to_text(a[1], &sep)) != NULL)
        return e;
    buf_add(&b, "", 0);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        char *s = NULL;

        if ((e = exprf_to_text(json_array_get(arr, i), &s)) != NULL) {
            free(b.s);
            free(sep);
            return e;
        }
        if (i > 0)
            buf_add(&b, sep, strlen(sep));
        buf_add(&b, s, strlen(s));
        free(s);
    }
    free(sep);
    return buf_value(&b);
}

static json_t *
f_repeat(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *text = NULL;
    long long count;
    struct sk_buf b = {0};
    json_t *e;

    (void)env;
    (void)n;
    if ((e = exprf_to_text(a[0], &text)) != NULL)
        return e;
    if ((e = exprf_to_int(a[1], &count)) != NULL) {
        free(text);
        return e;
    }
    if (count < 0) {
        free(text);
        return xval_error("must be called with a positive integer, got %lld",
                          count);
    }
    buf_add(&b, "", 0);
    for (long long i = 0; i < count && !b.fail; i++)
        buf_add(&b, text, strlen(text));
    free(text);
    return buf_value(&b);
}

static json_t *
f_code(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *text = NULL;
    json_t *e;
    size_t cn;

    (void)env;
    (void)n;
    if ((e = exprf_to_text(a[0], &text)) != NULL)
        return e;
    if (text[0] == '\0')
        e = xval_error("requires a string of at least one character");
    else
        e = json_integer(next_cp(text, strlen(text), &cn));
    free(text);
    return e;
}

static json_t *
f_char(const struct expr_env *env, json_t *const *a, size_t n)
{
    long long code = 0;
    struct sk_buf b = {0};
    json_t *e;

    (void)env;
    (void)n;
    if ((e = exprf_to_int(a[0], &code)) != NULL)
        return e;
    if (!utf8proc_codepoint_valid((utf8proc_int32_t)code))
        return xval_error("%lld is not a valid character code", code);
    buf_cp(&b, (utf8proc_int32_t)code);
    return buf_value(&b);
}

static json_t *
f_url_encode(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *text = NULL;
    struct sk_buf b = {0};
    json_t *e;

    (void)env;
    (void)n;
    if ((e = exprf_to_text(a[0], &text)) != NULL)
        return e;
    buf_add(&b, "", 0);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        char hex[4];

        if (isalnum(*p) || strchr("-_.~", *p)) {
            buf_add(&b, (const char *)p, 1);
        } else {
            sk_hex_pct(hex, *p);
            buf_add(&b, hex, 3);
        }
    }
    free(text);
    return buf_value(&b);
}

/* ---------------------------------------------------------------------
 * Numbers
 */

/* Rounds half away from zero at 10^-places, forgiving binary noise. */
static double
round_places(double x, long long places, int mode)
{
    double m = pow(10.0, (double)places), y = x * m;

    if (isinf(y) || isnan(y))
        return x;
    if (mode < 0)
        y = floor(y + 1e-9);
    else if (mode > 0)
        y = ceil(y - 1e-9);
    else
        y = round(y + copysign(1e-9, y));
    return y / m;
}

static json_t *
rounding(json_t *const *a, size_t n, int mode)
{
    double x;
    long long places = 0;
    json_t *e;

    if ((e = exprf_to_number(a[0], &x)) != NULL)
        return e;
    if (n > 1 && (e = exprf_to_int(a[1], &places)) != NULL)
        return e;
    if (places > 15 || places < -15)
        return xval_error("number of places out of range");
    return xval_number(round_places(x, places, mode));
}

static json_t *
f_round(const struct expr_env *env, json_t *const *a, size_t n)
{
    (void)env;
    return rounding(a, n, 0);
}

static json_t *
f_round_up(const struct expr_env *env, json_t *const *a, size_t n)
{
    (void)env;
    return rounding(a, n, 1);
}

static json_t *
f_round_down(const struct expr_env *env, json_t *const *a, size_t n)
{
    (void)env;
    return rounding(a, n, -1);
}

static json_t *
f_abs(const struct expr_env *env, json_t *const *a, size_t n)
{
    double x;
    json_t *e;

    (void)env;
    (void)n;
    if ((e = exprf_to_number(a[0], &x)) != NULL)
        return e;
    return xval_number(fabs(x));
}

static json_t *
extreme(json_t *const *a, size_t n, int sign, bool mean)
{
    double best = 0, sum = 0, x;
    json_t *e;

    for (size_t i = 0; i < n; i++) {
        if ((e = exprf_to_number(a[i], &x)) != NULL)
            return e;
        if (i == 0 || (x - best) * sign > 0)
            best = x;
        sum += x;
    }
    return xval_number(mean ? sum / (double)n : best);
}

static json_t *
f_max(const struct expr_env *env, json_t *const *a, size_t n)
{
    (void)env;
    return extreme(a, n, 1, false);
}

static json_t *
f_min(const struct expr_env *env, json_t *const *a, size_t n)
{
    (void)env;
    return extreme(a, n, -1, false);
}

static json_t *
f_mean(const struct expr_env *env, json_t *const *a, size_t n)
{
    (void)env;
    return extreme(a, n, 1, true);
}

static json_t *
f_mod(const struct expr_env *env, json_t *const *a, size_t n)
{
    double x, y;
    json_t *e;

    (void)env;
    (void)n;
    if ((e = exprf_to_number(a[0], &x)) != NULL)
        return e;
    if ((e = exprf_to_number(a[1], &y)) != NULL)
        return e;
    if (y == 0)
        return xval_error("division by zero");
    return xval_number(fmod(x, y));
}

static json_t *
f_percent(const struct expr_env *env, json_t *const *a, size_t n)
{
    double x;
    json_t *e;
    char buf[64];

    (void)env;
    (void)n;
    if ((e = exprf_to_number(a[0], &x)) != NULL)
        return e;
    x = round_places(x * 100, 0, 0);
    if (fabs(x) > 1e15)
        return xval_error("number out of range");
    snprintf(buf, sizeof(buf), "%.0f%%", x == 0 ? 0.0 : x);
    return json_string(buf);
}

/* format_number(number [, places [, humanize]]): 31337 -> "31,337.00" */
static json_t *
f_format_number(const struct expr_env *env, json_t *const *a, size_t n)
{
    double x;
    long long places = 2;
    bool human = true;
    char digits[64];
    struct sk_buf b = {0};
    json_t *e;
    const char *dot, *p;
    size_t intlen;

    (void)env;
    if ((e = exprf_to_number(a[0], &x)) != NULL)
        return e;
    if (n > 1 && (e = exprf_to_int(a[1], &places)) != NULL)
        return e;
    if (n > 2 && (e = exprf_to_bool(a[2], &human)) != NULL)
        return e;
    if (places < 0 || places > 9)
        return xval_error("must take 0-9 number of places, got %lld", places);
    if (fabs(x) > 1e15)
        return xval_error("number out of range");
    if (n > 1) {
        x = round_places(x, places, 0);
        snprintf(digits, sizeof(digits), "%.*f", (int)places, fabs(x));
    } else { /* goflow: without places, as many as the number has */
        json_t *num = xval_number(fabs(x));
        char *t = num ? xval_to_text(num) : NULL;

        json_decref(num);
        if (t == NULL)
            return NULL;
        snprintf(digits, sizeof(digits), "%s", t);
        free(t);
    }
    buf_add(&b, "", 0);
    if (x < 0)
        buf_add(&b, "-", 1);
    dot = strchr(digits, '.');
    intlen = dot ? (size_t)(dot - digits) : strlen(digits);
    for (p = digits; (size_t)(p - digits) < intlen; p++) {
        size_t left = intlen - (size_t)(p - digits);

        if (human && p != digits && left % 3 == 0)
            buf_add(&b, ",", 1);
        buf_add(&b, p, 1);
    }
    if (dot != NULL)
        buf_add(&b, dot, strlen(dot));
    return buf_value(&b);
}

/* ---------------------------------------------------------------------
 * Logic, types and utilities
 */

static json_t *
f_if(const struct expr_env *env, json_t *const *a, size_t n)
{
    bool t = false;
    json_t *e;

    (void)env;
    (void)n;
    if ((e = exprf_to_bool(a[0], &t)) != NULL)
        return e;
    return json_incref(t ? a[1] : a[2]);
}

static json_t *
logic(json_t *const *a, size_t n, bool stop_on)
{
    bool t;
    json_t *e;

    for (size_t i = 0; i < n; i++) {
        if ((e = exprf_to_bool(a[i], &t)) != NULL)
            return e;
        if (t == stop_on)
            return json_boolean(stop_on);
    }
    return json_boolean(!stop_on);
}

static json_t *
f_and(const struct expr_env *env, json_t *const *a, size_t n)
{
    (void)env;
    return logic(a, n, false);
}

static json_t *
f_or(const struct expr_env *env, json_t *const *a, size_t n)
{
    (void)env;
    return logic(a, n, true);
}

static json_t *
f_not(const struct expr_env *env, json_t *const *a, size_t n)
{
    bool t;
    json_t *e;

    (void)env;
    (void)n;
    if ((e = exprf_to_bool(a[0], &t)) != NULL)
        return e;
    return json_boolean(!t);
}

static bool
is_empty(const json_t *v)
{
    v = xval_resolve(v);
    if (v == NULL || json_is_null(v))
        return true;
    if (json_is_string(v))
        return json_string_length(v) == 0;
    if (json_is_array(v))
        return json_array_size(v) == 0;
    if (json_is_object(v))
        return json_object_size(v) == 0;
    return false;
}

static json_t *
f_default(const struct expr_env *env, json_t *const *a, size_t n)
{
    (void)env;
    (void)n;
    if (xval_is_error(a[0]) || is_empty(a[0]))
        return json_incref(a[1]);
    return json_incref(a[0]);
}

static json_t *
f_is_error(const struct expr_env *env, json_t *const *a, size_t n)
{
    (void)env;
    (void)n;
    return json_boolean(xval_is_error(a[0]));
}

static json_t *
f_text(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *s = NULL;
    json_t *e;

    (void)env;
    (void)n;
    if ((e = exprf_to_text(a[0], &s)) != NULL)
        return e;
    e = json_string(s);
    free(s);
    return e;
}

static json_t *
f_number(const struct expr_env *env, json_t *const *a, size_t n)
{
    double x;
    json_t *e;

    (void)env;
    (void)n;
    if ((e = exprf_to_number(a[0], &x)) != NULL)
        return e;
    return xval_number(x);
}

static json_t *
f_boolean(const struct expr_env *env, json_t *const *a, size_t n)
{
    bool t;
    json_t *e;

    (void)env;
    (void)n;
    if ((e = exprf_to_bool(a[0], &t)) != NULL)
        return e;
    return json_boolean(t);
}

static json_t *
f_count(const struct expr_env *env, json_t *const *a, size_t n)
{
    const json_t *v = xval_resolve(a[0]);
    size_t count = 0;
    const char *k;
    json_t *x;

    (void)env;
    (void)n;
    if (xval_is_error(a[0]))
        return json_incref(a[0]);
    if (json_is_array(v))
        return json_integer((json_int_t)json_array_size(v));
    /* an object with a default counts its properties, not the default */
    if (json_is_object(a[0])) {
        json_object_foreach(a[0], k, x)
        {
            if (strncmp(k, "__", 2) != 0)
                count++;
        }
        return json_integer((json_int_t)count);
    }
    return xval_error("value isn't countable");
}

/* Legacy length(): items of an array, else characters of its text. */
static json_t *
f_length(const struct expr_env *env, json_t *const *a, size_t n)
{
    if (json_is_array(xval_resolve(a[0])))
        return f_count(env, a, n);
    return f_text_length(env, a, n);
}

static json_t *
f_array(const struct expr_env *env, json_t *const *a, size_t n)
{
    json_t *arr, *e = first_error(a, n);

    (void)env;
    if (e != NULL)
        return e;
    arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++)
        json_array_append(arr, a[i]);
    return arr;
}

/* ---------------------------------------------------------------------
 * Dates and times (UTC)
 */

static void
now_dt(const struct expr_env *env, struct exprf_dt *t)
{
    int64_t ms = env->now_ms, secs;

    /* keep the clock within years 1..9999 */
    if (ms < -62135596800000LL)
        ms = -62135596800000LL;
    if (ms > 253402300799999LL)
        ms = 253402300799999LL;
    secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    exprf_dt_in_env(env, secs, (int)(ms - secs * 1000) * 1000, t);
}

/* The env's clock as a datetime, or as a date without with_time. */
static json_t *
now_value(const struct expr_env *env, bool with_time)
{
    struct exprf_dt t = {0};

    now_dt(env, &t);
    return exprf_dt_value(&t, with_time);
}

/* v as a datetime, or as a date without with_time; the error names the
 * type asked for. */
static json_t *
dt_arg_value(const struct expr_env *env, const json_t *v, bool with_time)
{
    struct exprf_dt t = {0};
    json_t *e;

    if ((e = exprf_to_dt(env, v, &t, with_time ? "a datetime" : "a date")) !=
        NULL)
        return e;
    return exprf_dt_value(&t, with_time);
}

static json_t *
f_now(const struct expr_env *env, json_t *const *a, size_t n)
{
    (void)a;
    (void)n;
    return now_value(env, true);
}

static json_t *
f_today(const struct expr_env *env, json_t *const *a, size_t n)
{
    (void)a;
    (void)n;
    return now_value(env, false);
}

static json_t *
f_datetime(const struct expr_env *env, json_t *const *a, size_t n)
{
    (void)n;
    return dt_arg_value(env, a[0], true);
}

static json_t *
f_date(const struct expr_env *env, json_t *const *a, size_t n)
{
    (void)n;
    return dt_arg_value(env, a[0], false);
}

static json_t *
f_weekday(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct exprf_dt t = {0};
    json_t *e;

    (void)n;
    if ((e = exprf_to_dt(env, a[0], &t, "a date")) != NULL)
        return e;
    return json_integer(exprf_dt_weekday(&t));
}

static json_t *
f_epoch(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct exprf_dt t = {0};
    json_t *e;

    (void)n;
    if ((e = exprf_to_dt(env, a[0], &t, "a datetime")) != NULL)
        return e;
    return xval_number((double)exprf_dt_epoch(&t) + t.us / 1e6);
}

/* datetime_add(datetime, offset, unit): units Y M W D h m s. */
static json_t *
f_datetime_add(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct exprf_dt t = {0};
    long long off;
    char *unit = NULL;
    json_t *e;
    int64_t secs = 0;

    (void)n;
    if ((e = exprf_to_dt(env, a[0], &t, "a datetime")) != NULL)
        return e;
    if ((e = exprf_to_int(a[1], &off)) != NULL)
        return e;
    if ((e = exprf_to_text(a[2], &unit)) != NULL)
        return e;
    if (strcmp(unit, "Y") == 0 || strcmp(unit, "M") == 0) {
        long long months =
            t.y * 12LL + (t.mo - 1) + (unit[0] == 'Y' ? off * 12 : off);

        if (months < 12 || months >= 10000 * 12LL) {
            e = xval_error("date out of range");
            goto out;
        }
        t.y = (int)(months / 12);
        t.mo = (int)(months % 12) + 1;
        if (t.d >
            calendar_days_in_month(t.y, t.mo)) /* Go normalises: Jan 31 + 1M */
            secs = (t.d - calendar_days_in_month(t.y, t.mo)) * 86400LL,
            t.d = calendar_days_in_month(t.y, t.mo);
    } else if (strlen(unit) == 1 && strchr("WDhms", unit[0])) {
        static const int64_t per[] = {604800, 86400, 3600, 60, 1};

        secs = off * per[strchr("WDhms", unit[0]) - "WDhms"];
    } else {
        e = xval_error("unknown unit: %s, must be one of s, m, h, D, W, M, Y",
                       unit);
        goto out;
    }
    if (strchr("YMWD", unit[0]) != NULL) {
        /* on the calendar, as Go's AddDate: the wall clock stays */
        int64_t wall;

        t.off = 0;
        wall = exprf_dt_epoch(&t) + secs;
        secs = wall - tz_local_offset(env->timezone, env->tz_rule, wall);
    } else {
        secs += exprf_dt_epoch(&t);
    }
    if (secs < -62135596800LL || secs > 253402300799LL) {
        e = xval_error("date out of range");
        goto out;
    }
    exprf_dt_in_env(env, secs, t.us, &t);
    e = exprf_dt_value(&t, true);
out:
    free(unit);
    return e;
}

/* date plus a whole number of days (its integer part), for legacy_add. */
static json_t *
add_days(const struct expr_env *env, json_t *date, double days)
{
    json_t *args[3], *r = NULL;

    days = trunc(days);
    if (!(days >= INT32_MIN && days <= INT32_MAX))
        return xval_error("cannot operate on integers greater than 32 bit");
    args[0] = date;
    args[1] = xval_number(days);
    args[2] = json_string("D");
    if (args[1] != NULL && args[2] != NULL)
        r = f_datetime_add(env, args, 3);
    json_decref(args[1]);
    json_decref(args[2]);
    return r;
}

/*
 * legacy_add(a, b): the "+" of legacy expressions, which migration keeps
 * where it cannot tell the operands' types, as goflow has it: a date and
 * a number add that many days (on the calendar, the wall clock kept);
 * two dates are an error; anything else adds as numbers.
 */
static json_t *
f_legacy_add(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct exprf_dt t;
    json_t *dt[2], *num[2], *r;
    double v[2] = {0, 0};

    (void)n;
    for (int i = 0; i < 2; i++) {
        dt[i] = exprf_to_dt(env, a[i], &t, "a datetime");
        num[i] = exprf_to_number(a[i], &v[i]);
    }
    if (exprf_is_oom(dt[0]) || exprf_is_oom(dt[1]) || exprf_is_oom(num[0]) ||
        exprf_is_oom(num[1]))
        r = exprf_oom();
    else if (dt[0] == NULL && dt[1] == NULL)
        r = xval_error("cannot operate on two dates");
    else if (dt[0] == NULL && num[1] == NULL)
        r = add_days(env, a[0], v[1]);
    else if (dt[1] == NULL && num[0] == NULL)
        r = add_days(env, a[1], v[0]);
    else if (num[0] != NULL || num[1] != NULL)
        r = json_incref(num[0] != NULL ? num[0] : num[1]);
    else
        r = xval_number(v[0] + v[1]);
    for (int i = 0; i < 2; i++) {
        json_decref(dt[i]);
        json_decref(num[i]);
    }
    return r;
}

/* datetime_diff(datetime1, datetime2, unit): datetime2 - datetime1. */
static json_t *
f_datetime_diff(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct exprf_dt t1, t2, d1, d2;
    char *unit = NULL;
    json_t *e;
    long long diff;

    (void)n;
    if ((e = exprf_to_dt(env, a[0], &t1, "a datetime")) != NULL)
        return e;
    if ((e = exprf_to_dt(env, a[1], &t2, "a datetime")) != NULL)
        return e;
    if ((e = exprf_to_text(a[2], &unit)) != NULL)
        return e;
    d1 = t1;
    d2 = t2;
    d1.h = d1.mi = d1.s = d2.h = d2.mi = d2.s = 0;
    d1.off = d2.off = 0; /* whole days on the calendar */
    if (strcmp(unit, "Y") == 0)
        diff = t2.y - t1.y;
    else if (strcmp(unit, "M") == 0)
        diff = (t2.y - t1.y) * 12LL + (t2.mo - t1.mo);
    else if (strcmp(unit, "W") == 0)
        diff = (exprf_dt_epoch(&d2) - exprf_dt_epoch(&d1)) / (7 * 86400);
    else if (strcmp(unit, "D") == 0)
        diff = (exprf_dt_epoch(&d2) - exprf_dt_epoch(&d1)) / 86400;
    else if (strcmp(unit, "h") == 0)
        diff = (exprf_dt_epoch(&t2) - exprf_dt_epoch(&t1)) / 3600;
    else if (strcmp(unit, "m") == 0)
        diff = (exprf_dt_epoch(&t2) - exprf_dt_epoch(&t1)) / 60;
    else if (strcmp(unit, "s") == 0)
        diff = exprf_dt_epoch(&t2) - exprf_dt_epoch(&t1);
    else
        diff = LLONG_MIN;
    if (diff == LLONG_MIN)
        e = xval_error("unknown unit: %s, must be one of s, m, h, D, W, M, Y",
                       unit);
    else
        e = json_integer(diff);
    free(unit);
    return e;
}

static json_t *
f_datetime_from_epoch(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct exprf_dt t = {0};
    double secs;
    json_t *e;

    (void)env;
    (void)n;
    if ((e = exprf_to_number(a[0], &secs)) != NULL)
        return e;
    if (secs < -62135596800.0 || secs > 253402300799.0)
        return xval_error("date out of range");
    exprf_dt_in_env(env, (int64_t)floor(secs),
                    (int)((secs - floor(secs)) * 1e6 + 0.5) % 1000000, &t);
    return exprf_dt_value(&t, true);
}

static const char *
env_date_format(const struct expr_env *env)
{
    return env->date_format ? env->date_format : "DD-MM-YYYY";
}

static json_t *
f_format_date(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct exprf_dt t = {0};
    char *fmt = NULL;
    json_t *e;

    if ((e = exprf_to_dt(env, a[0], &t, "a date")) != NULL)
        return e;
    if (n > 1 && (e = exprf_to_text(a[1], &fmt)) != NULL)
        return e;
    if ((e = exprf_layout_check(fmt ? fmt : env_date_format(env),
                                EXPRF_LAYOUT_DATE, false)) == NULL)
        e = exprf_format_dt(&t, fmt ? fmt : env_date_format(env), false);
    free(fmt);
    return e;
}

static json_t *
f_format_datetime(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct exprf_dt t = {0};
    char *fmt = NULL, *tz = NULL, deflt[64];
    json_t *e;

    if ((e = exprf_to_dt(env, a[0], &t, "a datetime")) != NULL)
        return e;
    if (n > 1 && (e = exprf_to_text(a[1], &fmt)) != NULL)
        return e;
    if (n > 2 && (e = exprf_to_text(a[2], &tz)) != NULL)
        goto out;
    if (tz == NULL || tz[0] == '\0') /* goflow shows it in the env's zone */
        exprf_dt_in_env(env, exprf_dt_epoch(&t), t.us, &t);
    else {
        /* another zone: UTC, the env's own, or one known by name */
        int64_t secs = exprf_dt_epoch(&t);
        const char *rule;
        int off;

        if (exprf_zone_lookup(env, tz, &rule) != 0) {
            e = xval_error("unknown time zone %s", tz);
            goto out;
        }
        off = tz_offset(tz, rule, secs);
        exprf_dt_from_epoch(secs + off, t.us, &t);
        t.off = off;
    }
    snprintf(deflt, sizeof(deflt), "%s tt:mm", env_date_format(env));
    if ((e = exprf_layout_check(fmt ? fmt : deflt,
                                EXPRF_LAYOUT_DATE | EXPRF_LAYOUT_TIME |
                                    EXPRF_LAYOUT_ZONE,
                                false)) == NULL)
        e = exprf_format_dt(&t, fmt ? fmt : deflt, true);
out:
    free(fmt);
    free(tz);
    return e;
}

/* Whether s is exactly a date ("2019-01-02") or, with time, a datetime as
 * the date functions write them ("2019-01-02T15:04:05.000000-05:00"). */
static bool
looks_like_date(const char *s, bool with_time)
{
    static const char date[] = "dddd-dd-dd";
    static const char dtime[] = "Tdd:dd:dd.dddddd";
    size_t i;

    for (i = 0; date[i]; i++)
        if (date[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != date[i])
            return false;
    if (!with_time)
        return s[i] == '\0';
    s += i;
    for (i = 0; dtime[i]; i++)
        if (dtime[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != dtime[i])
            return false;
    s += i;
    return strcmp(s, "Z") == 0 ||
           ((s[0] == '+' || s[0] == '-') && strlen(s) == 6 && s[3] == ':');
}

static json_t *
f_format(const struct expr_env *env, json_t *const *a, size_t n)
{
    const json_t *v = xval_resolve(a[0]);
    func_fn f = NULL;
    char *s = NULL;
    json_t *e;

    (void)n;
    if (xval_is_error(a[0]))
        return json_incref(a[0]);
    if (json_is_number(v))
        f = f_format_number;
    else if (json_is_string(v) && looks_like_date(json_string_value(v), true))
        f = f_format_datetime;
    else if (json_is_string(v) && looks_like_date(json_string_value(v), false))
        f = f_format_date;
    if (f != NULL)
        return f(env, (json_t *const *)&v, 1);
    if ((e = exprf_to_text(a[0], &s)) != NULL)
        return e;
    e = json_string(s);
    free(s);
    return e;
}

/* ---------------------------------------------------------------------
 * The table
 */

static const struct func funcs[] = {
    /* type conversion */
    {"text", 1, 1, f_text},
    {"number", 1, 1, f_number},
    {"boolean", 1, 1, f_boolean},
    {"array", 0, -1, f_array},
    {"date", 1, 1, f_date},
    {"datetime", 1, 1, f_datetime},
    /* text */
    {"upper", 1, 1, f_upper},
    {"lower", 1, 1, f_lower},
    {"title", 1, 1, f_title},
    {"text_length", 1, 1, f_text_length},
    {"word", 2, 3, f_word},
    {"word_count", 1, 2, f_word_count},
    {"word_slice", 2, 4, f_word_slice},
    {"remove_first_word", 1, 1, f_remove_first_word},
    {"field", 3, 3, f_field},
    {"replace", 3, 4, f_replace},
    {"trim", 1, 2, f_trim},
    {"trim_left", 1, 2, f_trim_left},
    {"trim_right", 1, 2, f_trim_right},
    {"text_slice", 2, 3, f_text_slice},
    {"left", 2, 2, f_left},
    {"right", 2, 2, f_right},
    {"mid", 3, 3, f_mid},
    {"split", 1, 2, f_split},
    {"join", 2, 2, f_join},
    {"concat", 2, 2, exprf_concat},
    {"repeat", 2, 2, f_repeat},
    {"code", 1, 1, f_code},
    {"char", 1, 1, f_char},
    {"url_encode", 1, 1, f_url_encode},
    {"percent", 1, 1, f_percent},
    {"format_number", 1, 3, f_format_number},
    /* logic */
    {"if", 3, 3, f_if},
    {"and", 1, -1, f_and},
    {"or", 1, -1, f_or},
    {"not", 1, 1, f_not},
    /* numbers */
    {"round", 1, 2, f_round},
    {"round_up", 1, 2, f_round_up},
    {"round_down", 1, 2, f_round_down},
    {"abs", 1, 1, f_abs},
    {"max", 1, -1, f_max},
    {"min", 1, -1, f_min},
    {"mean", 1, -1, f_mean},
    {"mod", 2, 2, f_mod},
    /* dates */
    {"now", 0, 0, f_now},
    {"today", 0, 0, f_today},
    {"datetime_add", 3, 3, f_datetime_add},
    {"datetime_diff", 3, 3, f_datetime_diff},
    {"legacy_add", 2, 2, f_legacy_add},
    {"datetime_from_epoch", 1, 1, f_datetime_from_epoch},
    {"format_date", 1, 2, f_format_date},
    {"format_datetime", 1, 3, f_format_datetime},
    {"format_time", 1, 2, exprf_format_time},
    {"parse_datetime", 2, 3, exprf_parse_datetime},
    {"parse_time", 2, 2, exprf_parse_time},
    {"weekday", 1, 1, f_weekday},
    {"epoch", 1, 1, f_epoch},
    {"time", 1, 1, exprf_time},
    {"time_from_parts", 3, 3, exprf_time_from_parts},
    {"date_from_parts", 3, 3, exprf_date_from_parts},
    {"week_number", 1, 1, exprf_week_number},
    {"tz", 1, 1, exprf_tz},
    {"tz_offset", 1, 1, exprf_tz_offset},
    {"replace_time", 2, 2, exprf_replace_time},
    /* utility */
    {"default", 2, 2, f_default},
    {"is_error", 1, 1, f_is_error},
    {"count", 1, 1, f_count},
    {"length", 1, 1, f_length},
    {"read_chars", 1, 1, exprf_read_chars},
    {"extract", 2, 2, exprf_extract},
    {"extract_object", 2, -1, exprf_extract_object},
    {"foreach", 2, -1, exprf_foreach},
    {"foreach_value", 2, -1, exprf_foreach_value},
    {"keys", 1, 1, exprf_keys},
    /* text (expr_fn_text.c) */
    {"clean", 1, 1, exprf_clean},
    {"regex_match", 2, 3, exprf_regex_match},
    {"text_compare", 2, 2, exprf_text_compare},
    {"html_decode", 1, 1, exprf_html_decode},
    {"rand", 0, 0, exprf_rand},
    {"rand_between", 2, 2, exprf_rand_between},
    {"urn_parts", 1, 1, exprf_urn_parts},
    {"attachment_parts", 1, 1, exprf_attachment_parts},
    {"json", 1, 1, exprf_json},
    {"parse_json", 1, 1, exprf_parse_json},
    {"format", 1, 1, f_format},
    {"format_location", 1, 1, exprf_format_location},
    {"format_urn", 1, 1, exprf_format_urn},
    /* arrays and objects (expr_fn_coll.c) */
    {"object", 0, -1, exprf_object},
    {"slice", 2, 3, exprf_slice},
    {"contains", 2, 2, exprf_contains},
    {"reverse", 1, 1, exprf_reverse},
    {"sort", 1, 1, exprf_sort},
    {"sum", 1, 1, exprf_sum},
    {"unique", 1, 1, exprf_unique},
    {"filter", 2, 2, exprf_filter},
};

bool
exprf_is_builtin(const char *name)
{
    for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
        if (strcmp(funcs[i].name, name) == 0)
            return true;
    return false;
}

bool
exprf_arity(const char *name, int *min, int *max)
{
    for (size_t i = 0; name != NULL && i < sizeof(funcs) / sizeof(funcs[0]);
         i++)
        if (strcmp(funcs[i].name, name) == 0) {
            *min = funcs[i].min;
            *max = funcs[i].max;
            return true;
        }
    return false;
}

json_t *
exprf_call(const struct expr_env *env, const char *name, json_t *const *args,
           size_t nargs, bool *found)
{
    const struct func *f = NULL;
    size_t n = nargs;

    for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
        if (strcmp(funcs[i].name, name) == 0) {
            f = &funcs[i];
            break;
        }
    }
    *found = f != NULL;
    if (f == NULL)
        return NULL;
    if (f->min == f->max && n != (size_t)f->min)
        return xval_error("need %d argument(s), got %zu", f->min, n);
    if (f->max < 0 && n < (size_t)f->min)
        return xval_error("need at least %d argument(s), got %zu", f->min, n);
    if (f->max >= 0 && (n < (size_t)f->min || n > (size_t)f->max))
        return xval_error("need %d to %d argument(s), got %zu", f->min, f->max,
                          n);
    return f->fn(env, args, n);
}
