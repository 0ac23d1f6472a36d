/*
 * text.c - Unicode text helpers (see text.h), built on utf8proc.
 *
 * Every function first makes sure it walks valid UTF-8: invalid bytes
 * and NULs in the input are read as U+FFFD, so odd input never fails a
 * router test, it just does not match. Word splitting follows goflow's
 * tokenizer: a run of letters, marks, numbers, '_' and '\'' is a word,
 * every symbol (math, currency, modifier, other: emoji) is a word of its
 * own, anything else separates words. Pure, no globals: any thread.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "buf.h"
#include "text.h"

#define REPLACEMENT 0xFFFD

/*
 * Decodes one code point at s (len bytes left); invalid bytes and NUL
 * count as one U+FFFD each. Returns the bytes used (>= 1).
 */
static size_t
next_cp(const char *s, size_t len, int32_t *cp)
{
    utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s,
                                          (utf8proc_ssize_t)len, cp);

    if (n <= 0 || *cp == 0) {
        *cp = REPLACEMENT;
        return 1;
    }
    return (size_t)n;
}

bool
text_valid_utf8(const char *s, size_t len)
{
    size_t i = 0;

    if (s == NULL)
        return len == 0;
    while (i < len) {
        int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(len - i), &cp);

        if (n <= 0 || cp == 0)
            return false;
        i += (size_t)n;
    }
    return true;
}

char *
text_sanitize(const char *s)
{
    struct sk_buf b = {0};
    size_t len = s ? strlen(s) : 0;

    if (text_valid_utf8(s, len))
        return strdup(s ? s : "");
    for (size_t i = 0; i < len;) {
        int32_t cp;

        i += next_cp(s + i, len - i, &cp);
        sk_buf_cp(&b, cp);
    }
    return sk_buf_take(&b);
}

char *
text_fold(const char *s)
{
    char *clean = text_sanitize(s);
    utf8proc_uint8_t *out = NULL;
    utf8proc_ssize_t n;

    if (clean == NULL)
        return NULL;
    n = utf8proc_map((const utf8proc_uint8_t *)clean, 0, &out,
                     UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                         UTF8PROC_CASEFOLD);
    free(clean);
    if (n < 0)
        return NULL; /* only out of memory: the input is valid */
    return (char *)out;
}

/* The value 0-9 of a decimal digit cp (category Nd). Unicode keeps every
 * set of decimal digits contiguous and in order, starting at zero. */
static int
digit_value(int32_t cp)
{
    int steps = 0;

    while (steps < 100 && cp - steps - 1 >= 0 &&
           utf8proc_category(cp - steps - 1) == UTF8PROC_CATEGORY_ND)
        steps++;
    return steps % 10;
}

char *
text_ascii_digits(const char *s)
{
    struct sk_buf b = {0};
    size_t len = s ? strlen(s) : 0;

    for (size_t i = 0; i < len;) {
        int32_t cp;
        size_t n = next_cp(s + i, len - i, &cp);

        if (cp >= 0x80 && utf8proc_category(cp) == UTF8PROC_CATEGORY_ND) {
            char d = (char)('0' + digit_value(cp));

            sk_buf_add(&b, &d, 1);
        } else if (cp == REPLACEMENT) {
            sk_buf_cp(&b, cp);
        } else {
            sk_buf_add(&b, s + i, n);
        }
        i += n;
    }
    return sk_buf_take(&b);
}

/* Unicode White_Space, as Go's unicode.IsSpace. */
static bool
is_space(int32_t cp)
{
    utf8proc_category_t c;

    if ((cp >= 9 && cp <= 13) || cp == ' ' || cp == 0x85)
        return true;
    c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL ||
           c == UTF8PROC_CATEGORY_ZP;
}

char *
text_trim(const char *s)
{
    char *clean = text_sanitize(s);
    size_t len, start = 0, end = 0;
    char *out;

    if (clean == NULL)
        return NULL;
    len = strlen(clean);
    for (size_t i = 0; i < len;) {
        int32_t cp;
        size_t n = next_cp(clean + i, len - i, &cp);

        if (!is_space(cp)) {
            if (end == 0)
                start = i;
            end = i + n;
        }
        i += n;
    }
    out = strndup(clean + start, end - start);
    free(clean);
    return out;
}

enum cls { CLS_SEP, CLS_WORD, CLS_SYMBOL };

static enum cls
classify(int32_t cp)
{
    if (cp == '_' || cp == '\'')
        return CLS_WORD;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return CLS_WORD;
    case UTF8PROC_CATEGORY_SM:
    case UTF8PROC_CATEGORY_SC:
    case UTF8PROC_CATEGORY_SK:
    case UTF8PROC_CATEGORY_SO:
        return CLS_SYMBOL;
    default:
        return CLS_SEP;
    }
}

/* Appends s[from, to) as a new word; false when out of memory. */
static bool
push_word(char ***words, size_t *n, size_t *cap, const char *s, size_t from,
          size_t to)
{
    char *w;

    if (*n + 2 > *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        char **nw = realloc(*words, ncap * sizeof(*nw));

        if (nw == NULL)
            return false;
        *words = nw;
        *cap = ncap;
        (*words)[*n] = NULL;
    }
    w = strndup(s + from, to - from);
    if (w == NULL)
        return false;
    (*words)[(*n)++] = w;
    (*words)[*n] = NULL;
    return true;
}

char **
text_words(const char *s, size_t *n)
{
    char *clean = text_sanitize(s);
    char **words = NULL;
    size_t count = 0, cap = 0, len, start = 0;
    bool in_word = false;

    *n = 0;
    if (clean == NULL)
        return NULL;
    len = strlen(clean);
    for (size_t i = 0; i < len;) {
        int32_t cp;
        size_t used = next_cp(clean + i, len - i, &cp);
        enum cls c = classify(cp);

        if (in_word && c != CLS_WORD) {
            if (!push_word(&words, &count, &cap, clean, start, i))
                goto fail;
            in_word = false;
        }
        if (c == CLS_WORD && !in_word) {
            start = i;
            in_word = true;
        } else if (c == CLS_SYMBOL) {
            if (!push_word(&words, &count, &cap, clean, i, i + used))
                goto fail;
        }
        i += used;
    }
    if (in_word && !push_word(&words, &count, &cap, clean, start, len))
        goto fail;
    if (words == NULL) {
        words = calloc(1, sizeof(*words));
        if (words == NULL)
            goto fail;
    }
    free(clean);
    *n = count;
    return words;
fail:
    free(clean);
    text_words_free(words);
    return NULL;
}

void
text_words_free(char **words)
{
    if (words == NULL)
        return;
    for (size_t i = 0; words[i] != NULL; i++)
        free(words[i]);
    free(words);
}

int
text_digits_value(const char *s, size_t n)
{
    int v = 0;

    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* Whether cp is an apostrophe as phones type it: ' and its typographic
 * forms, which text_words() would read as separators. */
static bool
is_apostrophe(int32_t cp)
{
    return cp == '\'' || cp == 0x2019 || cp == 0x2018 || cp == 0x02BC ||
           cp == 0x02B9 || cp == 0x2032 || cp == 0xFF07;
}

/* s with every apostrophe turned into '\'' (so it joins its word). */
static char *
plain_apostrophes(const char *s)
{
    struct sk_buf b = {0};
    char *clean = text_sanitize(s);
    size_t len, i;

    if (clean == NULL)
        return NULL;
    len = strlen(clean);
    for (i = 0; i < len;) {
        int32_t cp;
        size_t used = next_cp(clean + i, len - i, &cp);

        if (is_apostrophe(cp))
            sk_buf_addc(&b, '\'');
        else
            sk_buf_add(&b, clean + i, used);
        i += used;
    }
    free(clean);
    if (b.s == NULL && !b.fail)
        return strdup("");
    return sk_buf_take(&b);
}

/* One word loosely: decomposed, folded, marks and apostrophes gone. "" for
 * a symbol or a word of marks alone; NULL when out of memory. */
static char *
loose_word(const char *w)
{
    utf8proc_uint8_t *out = NULL;
    int32_t cp;
    size_t i, j;

    if (utf8proc_iterate((const utf8proc_uint8_t *)w, -1, &cp) > 0 &&
        classify(cp) == CLS_SYMBOL)
        return strdup("");
    if (utf8proc_map((const utf8proc_uint8_t *)w, 0, &out,
                     UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT |
                         UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD |
                         UTF8PROC_STRIPMARK) < 0)
        return NULL; /* only out of memory: the words are valid UTF-8 */
    for (i = j = 0; out[i] != '\0'; i++)
        if (out[i] != '\'')
            out[j++] = out[i];
    out[j] = '\0';
    return (char *)out;
}

char **
text_words_loose(const char *s, size_t *n)
{
    char *plain = plain_apostrophes(s);
    size_t k, m = 0, count = 0;
    char **w;

    *n = 0;
    if (plain == NULL)
        return NULL;
    w = text_words(plain, &count);
    free(plain);
    for (k = 0; w != NULL && k < count; k++) {
        char *f = loose_word(w[k]);

        free(w[k]);
        w[k] = NULL;
        if (f == NULL) {
            while (++k < count)
                free(w[k]);
            w[m] = NULL;
            text_words_free(w);
            return NULL;
        }
        if (f[0] == '\0')
            free(f);
        else
            w[m++] = f;
    }
    if (w != NULL)
        w[m] = NULL;
    *n = m;
    return w;
}
