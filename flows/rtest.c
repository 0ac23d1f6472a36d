/*
 * rtest.c - the router tests (see rtest.h), following goflow's
 * flows/routers/cases/tests.go.
 *
 * Each test is a function of its arguments; a table gives the argument
 * counts, checked before the call as goflow's function wrappers do.
 * Text arguments are converted with xval_to_text(); an error value given
 * as an argument is passed on as the result (has_error excepted).
 * Regular expressions (has_pattern, has_email, number finding) use PCRE2,
 * compiled per call with a match limit, so there is no shared state.
 * Words are compared after collation: case folding (utf8proc), and for the
 * "arabic_variants" collation NFKC plus goflow's Arabic/Persian letter
 * mapping first. Pure; any thread.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>
#include <utf8proc.h>

#include "calendar.h"
#include "err.h"
#include "rtest.h"
#include "text.h"
#include "tod.h"
#include "tz.h"
#include "xval.h"

#define RE_MATCH_LIMIT 200000
#define RE_DEPTH_LIMIT 5000

typedef json_t *(*rtest_fn)(json_t *const *args, size_t nargs,
                            const struct rtest_env *env);

/* ---------------------------------------------------------------- values */

/* A match result; takes the reference to match (and extra). */
static json_t *
result_match(json_t *match, json_t *extra)
{
    json_t *r = json_object();

    if (r == NULL || match == NULL ||
        json_object_set_new(r, "__default__", json_true()) != 0 ||
        json_object_set(r, "match", match) != 0 ||
        (extra != NULL && json_object_set(r, "extra", extra) != 0)) {
        json_decref(r);
        r = NULL;
    }
    json_decref(match);
    json_decref(extra);
    return r;
}

static json_t *
result_text(const char *s)
{
    return result_match(json_string(s), NULL);
}

static json_t *
result_false(void)
{
    return json_false();
}

/* The error value v stands for, or NULL when it is none. */
static const json_t *
as_error(const json_t *v)
{
    if (xval_is_error(v))
        return v;
    if (xval_is_error(xval_resolve(v)))
        return xval_resolve(v);
    return NULL;
}

static json_t *
copy_error(const json_t *e)
{
    return json_deep_copy(e);
}

/*
 * Converts args[i] to text in *out (valid UTF-8). Returns 0, or -1 with
 * *res set to the result to return (the argument's error, or NULL when out
 * of memory).
 */
static int
arg_text(json_t *const *args, size_t i, char **out, json_t **res)
{
    const json_t *e = as_error(args[i]);
    char *raw;

    *out = NULL;
    if (e != NULL) {
        *res = copy_error(e);
        return -1;
    }
    raw = xval_to_text(args[i]);
    if (raw != NULL) {
        *out = text_sanitize(raw);
        free(raw);
    }
    if (*out == NULL) {
        *res = NULL;
        return -1;
    }
    return 0;
}

/* Strict decimal: [-+]digits[.digits] or [-+].digits, ASCII only. */
static int
parse_decimal(const char *s, double *out)
{
    const char *p = s;
    size_t before = 0, after = 0;

    if (*p == '-' || *p == '+')
        p++;
    while (isdigit((unsigned char)p[before]))
        before++;
    p += before;
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)p[after]))
            after++;
        p += after;
        if (after == 0)
            return -1;
    }
    if (*p != '\0' || before + after == 0)
        return -1;
    *out = strtod(s, NULL);
    return isfinite(*out) ? 0 : -1; /* out of range is no number */
}

/* Converts args[i] to a number as goflow's ToXNumber; as arg_text. */
static int
arg_number(json_t *const *args, size_t i, double *out, json_t **res)
{
    const json_t *v = xval_resolve(args[i]);
    const json_t *e = as_error(args[i]);
    char *digits, *trimmed;
    int rc = -1;

    if (e != NULL) {
        *res = copy_error(e);
        return -1;
    }
    if (json_is_integer(v)) {
        *out = (double)json_integer_value(v);
        return 0;
    }
    if (json_is_real(v)) {
        *out = json_real_value(v);
        return 0;
    }
    if (!json_is_string(v)) {
        *res = xval_error("unable to convert %s to a number",
                          v == NULL || json_is_null(v) ? "null" : "value");
        return -1;
    }
    digits = text_ascii_digits(json_string_value(v));
    trimmed = digits ? text_trim(digits) : NULL;
    if (trimmed != NULL && parse_decimal(trimmed, out) == 0)
        rc = 0;
    else if (trimmed != NULL)
        *res = xval_error("unable to convert text to a number");
    else
        *res = NULL;
    free(digits);
    free(trimmed);
    return rc;
}

/* ----------------------------------------------------------------- regex */

struct re {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mc;
};

static void
re_free(struct re *re)
{
    pcre2_match_data_free(re->md);
    pcre2_match_context_free(re->mc);
    pcre2_code_free(re->code);
}

/* Compiles pattern (UTF); 0, SK_EINVAL for a bad pattern, SK_ENOMEM. */
static int
re_compile(struct re *re, const char *pattern, uint32_t opts)
{
    int errcode;
    PCRE2_SIZE erroff;

    memset(re, 0, sizeof(*re));
    re->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                             opts | PCRE2_UTF, &errcode, &erroff, NULL);
    if (re->code == NULL)
        return errcode == PCRE2_ERROR_NOMEMORY ? SK_ENOMEM : SK_EINVAL;
    re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
    re->mc = pcre2_match_context_create(NULL);
    if (re->md == NULL || re->mc == NULL) {
        re_free(re);
        return SK_ENOMEM;
    }
    pcre2_set_match_limit(re->mc, RE_MATCH_LIMIT);
    pcre2_set_depth_limit(re->mc, RE_DEPTH_LIMIT);
    return 0;
}

/* Matches from offset; > 0 matched, 0 no match, < 0 a limit was hit. */
static int
re_exec(struct re *re, const char *subject, size_t offset)
{
    int rc = pcre2_match(re->code, (PCRE2_SPTR)subject, strlen(subject), offset,
                         0, re->md, re->mc);

    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    return rc == 0 ? 1 : rc;
}

/* ------------------------------------------------------------- collation */

struct cmap {
    int32_t from, to;
};

/* goflow's envs/collation.go arabicVariants table. */
static const struct cmap arabic_variants[] = {
    {0x0660, 0x06F0}, {0x0661, 0x06F1}, {0x0662, 0x06F2}, {0x0663, 0x06F3},
    {0x0664, 0x06F4}, {0x0665, 0x06F5}, {0x0666, 0x06F6}, {0x0667, 0x06F7},
    {0x0668, 0x06F8}, {0x0669, 0x06F9}, {0x0622, 0x0627}, {0x0649, 0x06CC},
    {0x064A, 0x06CC}, {0x06D0, 0x06CC}, {0x06CD, 0x06CC}, {0x0626, 0x06CC},
    {0x0643, 0x06A9}, {0x06AB, 0x06A9}, {0x067C, 0x062A}, {0x0689, 0x062F},
    {0x0693, 0x0631}, {0x06BC, 0x0646}, {0x069A, 0x0634},
};

static utf8proc_int32_t
arabic_map(utf8proc_int32_t cp, void *data)
{
    (void)data;
    for (size_t i = 0; i < sizeof(arabic_variants) / sizeof(*arabic_variants);
         i++)
        if (arabic_variants[i].from == cp)
            return arabic_variants[i].to;
    return cp;
}

/* The form of word used for comparison. */
static char *
collate(const char *word, bool arabic)
{
    utf8proc_uint8_t *mapped = NULL;
    char *folded;

    if (!arabic)
        return text_fold(word);
    /* NFKC, then the letter mapping, then case folding */
    if (utf8proc_map((const utf8proc_uint8_t *)word, 0, &mapped,
                     UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                         UTF8PROC_COMPAT) < 0)
        return NULL;
    {
        utf8proc_uint8_t *remapped = NULL;

        if (utf8proc_map_custom(mapped, 0, &remapped,
                                UTF8PROC_NULLTERM | UTF8PROC_STABLE |
                                    UTF8PROC_COMPOSE,
                                arabic_map, NULL) < 0) {
            free(mapped);
            return NULL;
        }
        free(mapped);
        folded = text_fold((const char *)remapped);
        free(remapped);
    }
    return folded;
}

static bool
env_arabic(const struct rtest_env *env)
{
    return env != NULL && env->collation != NULL &&
           strcmp(env->collation, "arabic_variants") == 0;
}

/* ----------------------------------------------------------- word tests */

struct tokens {
    char **orig; /* words of the operand as written */
    char **hays; /* ... collated */
    char **pins; /* words of the test, collated */
    size_t nhay, npin;
};

static void
tokens_free(struct tokens *t)
{
    text_words_free(t->orig);
    text_words_free(t->hays);
    text_words_free(t->pins);
}

/* Collated copies of words (NULL-terminated); NULL when out of memory. */
static char **
collate_all(char **words, size_t n, bool arabic)
{
    char **out = calloc(n + 1, sizeof(*out));

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        out[i] = collate(words[i], arabic);
        if (out[i] == NULL) {
            text_words_free(out);
            return NULL;
        }
    }
    return out;
}

static int
tokens_make(struct tokens *t, const char *text, const char *test,
            const struct rtest_env *env)
{
    bool arabic = env_arabic(env);
    char *hay = text_trim(text), *needle = text_trim(test);
    char **pins = NULL;
    int rc = SK_ENOMEM;

    memset(t, 0, sizeof(*t));
    if (hay == NULL || needle == NULL)
        goto done;
    t->orig = text_words(hay, &t->nhay);
    pins = text_words(needle, &t->npin);
    if (t->orig == NULL || pins == NULL)
        goto done;
    t->hays = collate_all(t->orig, t->nhay, arabic);
    t->pins = collate_all(pins, t->npin, arabic);
    if (t->hays == NULL || t->pins == NULL)
        goto done;
    rc = 0;
done:
    text_words_free(pins);
    free(hay);
    free(needle);
    if (rc != 0)
        tokens_free(t);
    return rc;
}

/* Joins words with single spaces into a match result. */
static json_t *
result_words(char **words, size_t n)
{
    size_t len = 1;
    char *s;
    json_t *r;

    for (size_t i = 0; i < n; i++)
        len += strlen(words[i]) + 1;
    s = malloc(len);
    if (s == NULL)
        return NULL;
    s[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strcat(s, " ");
        strcat(s, words[i]);
    }
    r = result_text(s);
    free(s);
    return r;
}

enum word_test { WT_PHRASE, WT_ONLY_PHRASE, WT_ANY, WT_ALL };

static json_t *
word_test_run(const struct tokens *t, enum word_test kind)
{
    char **matches = calloc(t->nhay + t->npin + 1, sizeof(*matches));
    size_t nm = 0, idx = 0;
    json_t *r = NULL;
    bool ok = false;

    if (matches == NULL)
        return NULL;
    switch (kind) {
    case WT_PHRASE:
        /* goflow restarts the phrase at the word after a mismatch */
        if (t->npin == 0) {
            ok = true;
            break;
        }
        for (size_t i = 0; i < t->nhay && idx < t->npin; i++) {
            if (strcmp(t->hays[i], t->pins[idx]) == 0)
                matches[idx++] = t->orig[i];
            else
                idx = 0;
        }
        ok = idx == t->npin;
        nm = idx;
        break;
    case WT_ONLY_PHRASE:
        ok = t->nhay == t->npin;
        for (size_t i = 0; ok && i < t->nhay; i++) {
            ok = strcmp(t->hays[i], t->pins[i]) == 0;
            matches[nm++] = t->orig[i];
        }
        break;
    case WT_ANY:
    case WT_ALL: {
        bool *seen = calloc(t->npin + 1, sizeof(*seen));

        if (seen == NULL)
            goto done;
        for (size_t i = 0; i < t->nhay; i++) {
            bool hit = false;

            for (size_t j = 0; j < t->npin; j++) {
                if (strcmp(t->hays[i], t->pins[j]) == 0) {
                    hit = true;
                    seen[j] = true;
                }
            }
            if (hit)
                matches[nm++] = t->orig[i];
        }
        if (kind == WT_ANY) {
            ok = nm > 0;
        } else {
            ok = true;
            for (size_t j = 0; j < t->npin; j++)
                ok = ok && seen[j];
        }
        free(seen);
        break;
    }
    }
    r = ok ? result_words(matches, nm) : result_false();
done:
    free(matches);
    return r;
}

static json_t *
words_test(json_t *const *args, const struct rtest_env *env,
           enum word_test kind)
{
    char *text = NULL, *test = NULL;
    struct tokens t;
    json_t *r = NULL;

    if (arg_text(args, 0, &text, &r) != 0 || arg_text(args, 1, &test, &r))
        goto done;
    if (tokens_make(&t, text, test, env) != 0)
        goto done;
    r = word_test_run(&t, kind);
    tokens_free(&t);
done:
    free(text);
    free(test);
    return r;
}

static json_t *
t_has_phrase(json_t *const *a, size_t n, const struct rtest_env *env)
{
    (void)n;
    return words_test(a, env, WT_PHRASE);
}

static json_t *
t_has_only_phrase(json_t *const *a, size_t n, const struct rtest_env *env)
{
    (void)n;
    return words_test(a, env, WT_ONLY_PHRASE);
}

static json_t *
t_has_any_word(json_t *const *a, size_t n, const struct rtest_env *env)
{
    (void)n;
    return words_test(a, env, WT_ANY);
}

static json_t *
t_has_all_words(json_t *const *a, size_t n, const struct rtest_env *env)
{
    (void)n;
    return words_test(a, env, WT_ALL);
}

/* ----------------------------------------------------------- text tests */

static json_t *
t_has_error(json_t *const *a, size_t n, const struct rtest_env *env)
{
    const json_t *e = as_error(a[0]);

    (void)n;
    (void)env;
    if (e == NULL)
        return result_false();
    return result_text(xval_error_msg(e));
}

static json_t *
t_has_text(json_t *const *a, size_t n, const struct rtest_env *env)
{
    char *text, *trimmed;
    json_t *r;

    (void)n;
    (void)env;
    if (arg_text(a, 0, &text, &r) != 0)
        return r;
    trimmed = text_trim(text);
    free(text);
    if (trimmed == NULL)
        return NULL;
    r = trimmed[0] != '\0' ? result_text(trimmed) : result_false();
    free(trimmed);
    return r;
}

static json_t *
t_has_only_text(json_t *const *a, size_t n, const struct rtest_env *env)
{
    char *t1 = NULL, *t2 = NULL;
    json_t *r = NULL;

    (void)n;
    (void)env;
    if (arg_text(a, 0, &t1, &r) != 0 || arg_text(a, 1, &t2, &r) != 0)
        goto done;
    r = strcmp(t1, t2) == 0 ? result_text(t1) : result_false();
done:
    free(t1);
    free(t2);
    return r;
}

static json_t *
t_has_beginning(json_t *const *a, size_t n, const struct rtest_env *env)
{
    char *t1 = NULL, *t2 = NULL, *hay = NULL, *pin = NULL, *seg = NULL;
    char *fseg = NULL, *fpin = NULL;
    json_t *r = NULL;
    size_t plen;

    (void)n;
    if (arg_text(a, 0, &t1, &r) != 0 || arg_text(a, 1, &t2, &r) != 0)
        goto done;
    hay = text_trim(t1);
    pin = text_trim(t2);
    if (hay == NULL || pin == NULL)
        goto done;
    plen = strlen(pin);
    if (hay[0] == '\0' || plen == 0 || strlen(hay) < plen ||
        !text_valid_utf8(hay, plen)) {
        r = result_false();
        goto done;
    }
    /* the same number of bytes, compared after collation */
    seg = strndup(hay, plen);
    fseg = seg ? collate(seg, env_arabic(env)) : NULL;
    fpin = collate(pin, env_arabic(env));
    if (fseg == NULL || fpin == NULL)
        goto done;
    r = strcmp(fseg, fpin) == 0 ? result_text(seg) : result_false();
done:
    free(t1);
    free(t2);
    free(hay);
    free(pin);
    free(seg);
    free(fseg);
    free(fpin);
    return r;
}

static json_t *
t_has_pattern(json_t *const *a, size_t n, const struct rtest_env *env)
{
    char *text = NULL, *pat = NULL, *trimmed = NULL;
    json_t *r = NULL, *extra = NULL;
    struct re re;
    uint32_t groups = 0;
    PCRE2_SIZE *ov;
    int rc;

    (void)n;
    (void)env;
    if (arg_text(a, 0, &text, &r) != 0 || arg_text(a, 1, &pat, &r) != 0)
        goto done;
    trimmed = text_trim(pat);
    if (trimmed == NULL)
        goto done;
    rc = re_compile(&re, trimmed, PCRE2_CASELESS | PCRE2_MULTILINE);
    if (rc == SK_EINVAL)
        r = xval_error("must be called with a valid regular expression");
    if (rc != 0)
        goto done;
    rc = re_exec(&re, text, 0);
    if (rc < 0) {
        r = xval_error("regular expression is too complex");
    } else if (rc == 0) {
        r = result_false();
    } else {
        pcre2_pattern_info(re.code, PCRE2_INFO_CAPTURECOUNT, &groups);
        ov = pcre2_get_ovector_pointer(re.md);
        extra = json_object();
        for (uint32_t g = 0; extra != NULL && g <= groups; g++) {
            char key[16];
            json_t *s;

            snprintf(key, sizeof(key), "%u", g);
            if ((int)g < rc && ov[2 * g] != PCRE2_UNSET)
                s = json_stringn(text + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
            else
                s = json_string("");
            if (json_object_set_new(extra, key, s) != 0) {
                json_decref(extra);
                extra = NULL;
            }
        }
        if (extra != NULL)
            r = result_match(json_stringn(text + ov[0], ov[1] - ov[0]), extra);
    }
    re_free(&re);
done:
    free(text);
    free(pat);
    free(trimmed);
    return r;
}

static json_t *
t_has_email(json_t *const *a, size_t n, const struct rtest_env *env)
{
    static const char pattern[] =
        "([\\pL\\pN][-_+$~.\\pL\\pN]*)@([\\pL\\pN][-_\\pL\\pN]*)"
        "(\\.[\\pL\\pN][-_\\pL\\pN]*)+";
    char *text;
    json_t *r = NULL;
    struct re re;
    int rc;

    (void)n;
    (void)env;
    if (arg_text(a, 0, &text, &r) != 0)
        return r;
    if (re_compile(&re, pattern, 0) != 0)
        goto done;
    rc = re_exec(&re, text, 0);
    if (rc > 0) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re.md);

        r = result_match(json_stringn(text + ov[0], ov[1] - ov[0]), NULL);
    } else {
        r = result_false();
    }
    re_free(&re);
done:
    free(text);
    return r;
}

static json_t *
t_has_category(json_t *const *a, size_t n, const struct rtest_env *env)
{
    const json_t *res = a[0];
    const char *category;
    json_t *r = NULL;

    (void)env;
    if (as_error(a[0]) != NULL)
        return copy_error(as_error(a[0]));
    /* a result: an object with at least a name and a category */
    if (!json_is_object(res) || !json_is_string(json_object_get(res, "name")) ||
        !json_is_string(json_object_get(res, "category")))
        return xval_error("first argument must be a result");
    category = json_string_value(json_object_get(res, "category"));
    for (size_t i = 1; i < n; i++) {
        char *cat;

        if (arg_text(a, i, &cat, &r) != 0)
            return r;
        if (strcmp(cat, category) == 0) {
            free(cat);
            return result_text(category);
        }
        free(cat);
    }
    return result_false();
}

/* -------------------------------------------------------- number tests */

enum num_test { NT_ANY, NT_LT, NT_LTE, NT_EQ, NT_GTE, NT_GT, NT_BETWEEN };

static bool
num_check(enum num_test kind, double v, double t1, double t2)
{
    switch (kind) {
    case NT_ANY:
        return true;
    case NT_LT:
        return v < t1;
    case NT_LTE:
        return v <= t1;
    case NT_EQ:
        return v == t1;
    case NT_GTE:
        return v >= t1;
    case NT_GT:
        return v > t1;
    case NT_BETWEEN:
        return v >= t1 && v <= t2;
    }
    return false;
}

/* Parses one candidate found in text as goflow's ParseNumber does. */
static int
candidate_number(const char *cand, size_t len, double *out)
{
    char *copy = strndup(cand, len), *digits = NULL, *trimmed = NULL;
    size_t j = 0;
    int rc = -1;

    if (copy == NULL)
        return -1;
    for (size_t i = 0; copy[i] != '\0'; i++) /* drop digit grouping */
        if (copy[i] != ',')
            copy[j++] = copy[i];
    copy[j] = '\0';
    digits = text_ascii_digits(copy);
    trimmed = digits ? text_trim(digits) : NULL;
    if (trimmed != NULL && parse_decimal(trimmed, out) == 0)
        rc = 0;
    free(copy);
    free(digits);
    free(trimmed);
    return rc;
}

static json_t *
number_test(const char *text, enum num_test kind, double t1, double t2)
{
    static const char pattern[] =
        "[-+]?([\\pN,]+(\\.[\\pN]+)?|(\\W|^)\\.[\\pN]+)";
    struct re re;
    size_t off = 0;
    json_t *r = NULL;

    if (re_compile(&re, pattern, 0) != 0)
        return NULL;
    for (;;) {
        int rc = re_exec(&re, text, off);
        PCRE2_SIZE *ov;
        double v;

        if (rc <= 0) {
            r = result_false();
            break;
        }
        ov = pcre2_get_ovector_pointer(re.md);
        if (candidate_number(text + ov[0], ov[1] - ov[0], &v) == 0 &&
            num_check(kind, v, t1, t2)) {
            r = result_match(xval_number(v), NULL);
            break;
        }
        if (ov[1] <= off) /* cannot happen: no empty matches */
            break;
        off = ov[1];
    }
    re_free(&re);
    return r;
}

static json_t *
numbers(json_t *const *a, size_t nnum, enum num_test kind)
{
    char *text;
    double t[2] = {0, 0};
    json_t *r = NULL;

    if (arg_text(a, 0, &text, &r) != 0)
        return r;
    for (size_t i = 0; i < nnum; i++) {
        if (arg_number(a, i + 1, &t[i], &r) != 0) {
            free(text);
            return r;
        }
    }
    r = number_test(text, kind, t[0], t[1]);
    free(text);
    return r;
}

#define NUMBER_TEST(fn, nnum, kind)                                            \
    static json_t *fn(json_t *const *a, size_t n, const struct rtest_env *env) \
    {                                                                          \
        (void)n;                                                               \
        (void)env;                                                             \
        return numbers(a, nnum, kind);                                         \
    }

NUMBER_TEST(t_has_number, 0, NT_ANY)
NUMBER_TEST(t_has_number_lt, 1, NT_LT)
NUMBER_TEST(t_has_number_lte, 1, NT_LTE)
NUMBER_TEST(t_has_number_eq, 1, NT_EQ)
NUMBER_TEST(t_has_number_gte, 1, NT_GTE)
NUMBER_TEST(t_has_number_gt, 1, NT_GT)
NUMBER_TEST(t_has_number_between, 2, NT_BETWEEN)

/* ---------------------------------------------------------------- phone */

/*
 * Country calling codes with their national (trunk) prefix and the
 * possible lengths of a national significant number, after libphonenumber's
 * metadata (a number is accepted when its length is possible, as goflow
 * does). Calling codes are prefix-free.
 */
struct country {
    char iso[3];
    char cc[4];
    char trunk[2];
    unsigned char min, max;
};

static const struct country countries[] = {
    {"US", "1", "1", 10, 10},  {"RU", "7", "8", 10, 10},
    {"EG", "20", "0", 8, 10},  {"ZA", "27", "0", 9, 9},
    {"GR", "30", "", 10, 10},  {"NL", "31", "0", 9, 9},
    {"BE", "32", "0", 8, 9},   {"FR", "33", "0", 9, 9},
    {"ES", "34", "", 9, 9},    {"HU", "36", "", 8, 9},
    {"IT", "39", "", 6, 12},   {"RO", "40", "0", 9, 9},
    {"CH", "41", "0", 9, 9},   {"AT", "43", "0", 4, 13},
    {"GB", "44", "0", 7, 10},  {"DK", "45", "", 8, 8},
    {"SE", "46", "0", 7, 13},  {"NO", "47", "", 5, 8},
    {"PL", "48", "", 9, 9},    {"DE", "49", "0", 5, 15},
    {"PE", "51", "0", 8, 9},   {"MX", "52", "", 10, 10},
    {"CU", "53", "0", 6, 8},   {"AR", "54", "0", 10, 11},
    {"BR", "55", "0", 10, 11}, {"CL", "56", "", 9, 9},
    {"CO", "57", "0", 8, 10},  {"VE", "58", "0", 10, 10},
    {"MY", "60", "0", 8, 10},  {"AU", "61", "0", 9, 9},
    {"ID", "62", "0", 7, 12},  {"PH", "63", "0", 8, 10},
    {"NZ", "64", "0", 8, 10},  {"SG", "65", "", 8, 8},
    {"TH", "66", "0", 8, 9},   {"JP", "81", "0", 9, 10},
    {"KR", "82", "0", 8, 10},  {"VN", "84", "0", 9, 10},
    {"CN", "86", "0", 10, 11}, {"TR", "90", "0", 10, 10},
    {"IN", "91", "0", 10, 10}, {"PK", "92", "0", 9, 10},
    {"AF", "93", "0", 9, 9},   {"LK", "94", "0", 9, 9},
    {"MM", "95", "0", 7, 10},  {"IR", "98", "0", 10, 10},
    {"SS", "211", "0", 9, 9},  {"MA", "212", "0", 9, 9},
    {"DZ", "213", "0", 8, 9},  {"TN", "216", "", 8, 8},
    {"LY", "218", "0", 9, 9},  {"GM", "220", "", 7, 7},
    {"SN", "221", "", 9, 9},   {"MR", "222", "", 8, 8},
    {"ML", "223", "", 8, 8},   {"GN", "224", "", 8, 9},
    {"CI", "225", "", 8, 10},  {"BF", "226", "", 8, 8},
    {"NE", "227", "", 8, 8},   {"TG", "228", "", 8, 8},
    {"BJ", "229", "", 8, 10},  {"MU", "230", "", 7, 8},
    {"LR", "231", "0", 7, 9},  {"SL", "232", "0", 8, 8},
    {"GH", "233", "0", 9, 9},  {"NG", "234", "0", 8, 10},
    {"TD", "235", "", 8, 8},   {"CF", "236", "", 8, 8},
    {"CM", "237", "", 8, 9},   {"CV", "238", "", 7, 7},
    {"GQ", "240", "", 9, 9},   {"GA", "241", "0", 7, 8},
    {"CG", "242", "", 9, 9},   {"CD", "243", "0", 7, 9},
    {"AO", "244", "", 9, 9},   {"SC", "248", "", 7, 7},
    {"SD", "249", "0", 9, 9},  {"RW", "250", "0", 8, 9},
    {"ET", "251", "0", 9, 9},  {"SO", "252", "0", 7, 9},
    {"DJ", "253", "", 8, 8},   {"KE", "254", "0", 7, 10},
    {"TZ", "255", "0", 9, 9},  {"UG", "256", "0", 9, 9},
    {"BI", "257", "", 8, 8},   {"MZ", "258", "", 8, 9},
    {"ZM", "260", "0", 9, 9},  {"MG", "261", "0", 9, 9},
    {"ZW", "263", "0", 5, 10}, {"NA", "264", "0", 8, 9},
    {"MW", "265", "0", 7, 9},  {"LS", "266", "", 8, 8},
    {"BW", "267", "", 7, 8},   {"SZ", "268", "", 8, 8},
    {"KM", "269", "", 7, 7},   {"ER", "291", "0", 7, 7},
    {"UA", "380", "0", 9, 9},  {"GT", "502", "", 8, 8},
    {"SV", "503", "", 7, 8},   {"HN", "504", "", 8, 8},
    {"NI", "505", "", 8, 8},   {"CR", "506", "", 8, 8},
    {"PA", "507", "", 7, 8},   {"HT", "509", "", 8, 8},
    {"BO", "591", "0", 8, 8},  {"EC", "593", "0", 8, 9},
    {"PY", "595", "0", 9, 9},  {"UY", "598", "0", 8, 8},
    {"BD", "880", "0", 6, 10}, {"LB", "961", "0", 7, 8},
    {"JO", "962", "0", 8, 9},  {"SY", "963", "0", 8, 9},
    {"IQ", "964", "0", 8, 10}, {"KW", "965", "", 7, 8},
    {"SA", "966", "0", 9, 9},  {"YE", "967", "0", 7, 9},
    {"OM", "968", "", 8, 8},   {"PS", "970", "0", 8, 9},
    {"AE", "971", "0", 8, 9},  {"IL", "972", "0", 8, 9},
    {"BH", "973", "", 8, 8},   {"QA", "974", "", 7, 8},
    {"NP", "977", "0", 8, 10}, {"CA", "1", "1", 10, 10},
};

#define NCOUNTRIES (sizeof(countries) / sizeof(*countries))

static const struct country *
country_by_iso(const char *iso)
{
    if (iso == NULL || strlen(iso) != 2)
        return NULL;
    for (size_t i = 0; i < NCOUNTRIES; i++)
        if (toupper((unsigned char)iso[0]) == countries[i].iso[0] &&
            toupper((unsigned char)iso[1]) == countries[i].iso[1])
            return &countries[i];
    return NULL;
}

static const struct country *
country_by_prefix(const char *digits)
{
    for (size_t i = 0; i < NCOUNTRIES; i++)
        if (strncmp(digits, countries[i].cc, strlen(countries[i].cc)) == 0)
            return &countries[i];
    return NULL;
}

static bool
possible(const struct country *c, size_t len)
{
    return len >= c->min && len <= c->max;
}

/* E.164 of a national significant number; 0 or -1. */
static int
e164(const struct country *c, const char *nsn, char *out, size_t size)
{
    if (!possible(c, strlen(nsn)))
        return -1;
    snprintf(out, size, "+%s%s", c->cc, nsn);
    return 0;
}

/* Parses one candidate as a number of country iso (may be ""). */
static int
parse_phone(const char *cand, const char *iso, char *out, size_t size)
{
    char digits[32];
    size_t nd = 0;
    bool plus = false;
    const struct country *c;
    const char *nsn;

    while (*cand == ' ')
        cand++;
    if (*cand == '+') {
        plus = true;
        cand++;
    }
    for (; *cand != '\0'; cand++) {
        if (isdigit((unsigned char)*cand)) {
            if (nd + 1 >= sizeof(digits))
                return -1;
            digits[nd++] = *cand;
        }
    }
    digits[nd] = '\0';
    if (nd < 5)
        return -1;
    c = country_by_iso(iso);
    if (!plus && strncmp(digits, "00", 2) == 0 &&
        (c == NULL || strcmp(c->cc, "1") != 0)) {
        plus = true; /* the usual international prefix */
        memmove(digits, digits + 2, nd - 1);
        nd -= 2;
    }
    if (plus) {
        c = country_by_prefix(digits);
        if (c == NULL)
            return -1;
        return e164(c, digits + strlen(c->cc), out, size);
    }
    if (c == NULL)
        return -1;
    nsn = digits;
    if (c->trunk[0] != '\0' && digits[0] == c->trunk[0] && possible(c, nd - 1))
        nsn = digits + 1;
    if (!possible(c, strlen(nsn)) && strncmp(digits, c->cc, strlen(c->cc)) == 0)
        nsn = digits + strlen(c->cc); /* written with its country code */
    return e164(c, nsn, out, size);
}

static bool
phone_char(char ch)
{
    return isdigit((unsigned char)ch) || ch == ' ' || ch == '.' || ch == '-' ||
           ch == '(' || ch == ')';
}

static json_t *
t_has_phone(json_t *const *a, size_t n, const struct rtest_env *env)
{
    char *text = NULL, *country = NULL, num[40];
    const char *p;
    json_t *r = NULL;

    if (arg_text(a, 0, &text, &r) != 0)
        return r;
    if (n > 1 && arg_text(a, 1, &country, &r) != 0)
        goto done;
    if (n == 1 && env != NULL && env->country != NULL) {
        country = strdup(env->country);
        if (country == NULL)
            goto done;
    }
    /* candidates: \+?[\d .\-()]{5,}, leftmost first */
    for (p = text; *p != '\0';) {
        const char *s = p + (*p == '+');
        size_t len = 0;

        while (phone_char(s[len]))
            len++;
        if (len >= 5) {
            char *cand = strndup(p, (size_t)(s - p) + len);

            if (cand == NULL)
                goto done;
            if (parse_phone(cand, country ? country : "", num, sizeof(num)) ==
                0) {
                free(cand);
                r = result_text(num);
                goto done;
            }
            free(cand);
            p = s + len;
        } else {
            p++;
        }
    }
    r = result_false();
done:
    free(text);
    free(country);
    return r;
}

/* ---------------------------------------------------------------- dates */

/* A moment as wall-clock fields at a UTC offset. */
struct dt {
    int y, mo, d, h, mi, s, us;
    int off; /* seconds east of UTC */
};

/* The env's UTC offset in seconds at the instant utc (see tz.h). */
static int
env_offset(const struct rtest_env *env, int64_t utc)
{
    if (env == NULL)
        return 0;
    return tz_offset(env->timezone, env->tz_rule, utc);
}

/* The env's UTC offset for a wall-clock time (as if UTC) there. */
static int
env_local_offset(const struct rtest_env *env, int64_t local)
{
    if (env == NULL)
        return 0;
    return tz_local_offset(env->timezone, env->tz_rule, local);
}

/* Seconds since the epoch of t's wall clock at its offset. */
static int64_t
dt_epoch(const struct dt *t)
{
    struct calendar_tm tm = {t->y, t->mo, t->d, t->h, t->mi, t->s};

    return calendar_to_epoch(&tm) - t->off;
}

/* The wall clock at offset off of a moment secs after the epoch. */
static void
dt_from_epoch(int64_t secs, int off, struct dt *t)
{
    struct calendar_tm tm;

    calendar_from_epoch(secs + off, &tm);
    t->y = tm.y;
    t->mo = tm.mo;
    t->d = tm.d;
    t->h = tm.h;
    t->mi = tm.mi;
    t->s = tm.s;
    t->off = off;
}

/* t moved to offset off (same moment). */
static void
dt_at(struct dt *t, int off)
{
    dt_from_epoch(dt_epoch(t), off, t);
}

static void
env_now(const struct rtest_env *env, struct dt *t)
{
    int64_t ms = env ? env->now_ms : 0;
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);

    memset(t, 0, sizeof(*t));
    dt_from_epoch(secs, env_offset(env, secs), t);
    t->us = (int)(ms - secs * 1000) * 1000;
}

static int
num_at(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Reads YYYY-MM-DD at s (a valid date); 0 or -1. */
static int
iso_date(const char *s, int *y, int *m, int *d)
{
    if (strnlen(s, 10) < 10)
        return -1;
    *y = num_at(s, 4);
    if (*y < 0 || s[4] != '-' || s[7] != '-')
        return -1;
    *m = num_at(s + 5, 2);
    *d = num_at(s + 8, 2);
    if (*m < 1 || *m > 12 || *d < 1 || *d > calendar_days_in_month(*y, *m))
        return -1;
    return 0;
}

/* The whole of s as ISO 8601 YYYY-MM-DDThh:mm[:ss[.f]](Z|+hh:mm). */
static int
iso_datetime(const char *s, struct dt *t)
{
    const char *p = s + 16;
    int minutes;

    memset(t, 0, sizeof(*t));
    if (strlen(s) < 17 || iso_date(s, &t->y, &t->mo, &t->d) != 0 ||
        s[10] != 'T' || s[13] != ':')
        return -1;
    t->h = num_at(s + 11, 2);
    t->mi = num_at(s + 14, 2);
    if (t->h < 0 || t->h > 23 || t->mi < 0 || t->mi > 59)
        return -1;
    if (*p == ':') {
        t->s = num_at(p + 1, 2);
        if (t->s < 0 || t->s > 59)
            return -1;
        p += 3;
        if (*p == '.' || *p == ',') {
            int digits = 0, us = 0;

            for (p++; isdigit((unsigned char)*p); p++, digits++)
                if (digits < 6)
                    us = us * 10 + (*p - '0');
            if (digits == 0)
                return -1;
            for (; digits < 6; digits++)
                us *= 10;
            t->us = us;
        }
    }
    if (strcmp(p, "Z") == 0) {
        t->off = 0;
        return 0;
    }
    if (strlen(p) != 6 || p[3] != ':' || tz_parse_offset(p, &minutes) != 0)
        return -1;
    t->off = minutes * 60;
    return 0;
}

/* Finds a date in s by the env's date format; sets *rest past it. */
static int
find_date(const char *s, const struct rtest_env *env, int cur_year, int *y,
          int *m, int *d, const char **rest)
{
    static const char dmy[] = "\\b([0-9]{1,2})[-.\\\\/_ ]([0-9]{1,2})"
                              "[-.\\\\/_ ]([0-9]{4}|[0-9]{2})\\b";
    static const char ymd[] = "\\b([0-9]{4}|[0-9]{2})[-.\\\\/_ ]([0-9]{1,2})"
                              "[-.\\\\/_ ]([0-9]{1,2})\\b";
    const char *fmt = env && env->date_format ? env->date_format : "DD-MM-YYYY";
    int gd = 1, gm = 2, gy = 3, found = -1;
    const char *pattern = dmy;
    struct re re;
    size_t off = 0;

    if (iso_date(s, y, m, d) == 0) {
        *rest = s + 10;
        return 0;
    }
    if (strcmp(fmt, "MM-DD-YYYY") == 0) {
        gd = 2;
        gm = 1;
    } else if (strcmp(fmt, "YYYY-MM-DD") == 0) {
        pattern = ymd;
        gy = 1;
        gd = 3;
    }
    if (re_compile(&re, pattern, 0) != 0)
        return -1;
    while (found != 0 && re_exec(&re, s, off) > 0) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re.md);
        size_t ylen = ov[2 * gy + 1] - ov[2 * gy];
        int day = num_at(s + ov[2 * gd], (int)(ov[2 * gd + 1] - ov[2 * gd]));
        int month = num_at(s + ov[2 * gm], (int)(ov[2 * gm + 1] - ov[2 * gm]));
        int year = num_at(s + ov[2 * gy], (int)ylen);

        if (ylen == 2)
            year += year > cur_year % 1000 ? 1900 : 2000;
        if (month >= 1 && month <= 12 && day >= 1 &&
            day <= calendar_days_in_month(year, month)) {
            *y = year;
            *m = month;
            *d = day;
            *rest = s + ov[1];
            found = 0;
        }
        off = ov[1];
    }
    re_free(&re);
    return found;
}

/*
 * goflow's DateTimeFromString: a whole ISO 8601 datetime, or a date in
 * the env's format followed by an optional time (else now's time when
 * fill, midnight otherwise), in the env's zone.
 */
static int
datetime_from_text(const char *text, const struct rtest_env *env, bool fill,
                   struct dt *t)
{
    char *digits = text_ascii_digits(text), *s;
    const char *rest;
    struct dt now;
    struct tod tod;
    int rc = -1;

    if (digits == NULL)
        return -1;
    s = text_trim(digits);
    free(digits);
    if (s == NULL)
        return -1;
    env_now(env, &now);
    if (iso_datetime(s, t) == 0) {
        rc = 0;
        goto done;
    }
    memset(t, 0, sizeof(*t));
    if (find_date(s, env, now.y, &t->y, &t->mo, &t->d, &rest) != 0)
        goto done;
    if (tod_find(rest, &tod) == 0) {
        t->h = tod.h;
        t->mi = tod.mi;
        t->s = tod.s;
        t->us = tod.us;
    } else if (fill) {
        t->h = now.h;
        t->mi = now.mi;
        t->s = now.s;
        t->us = now.us;
    }
    t->off = 0;
    t->off = env_local_offset(env, dt_epoch(t));
    rc = 0;
done:
    free(s);
    return rc;
}

static json_t *
dt_value(const struct dt *t)
{
    char buf[64], zone[8] = "Z";
    int off = t->off < 0 ? -t->off : t->off;

    if (t->off != 0)
        snprintf(zone, sizeof(zone), "%c%02d:%02d", t->off < 0 ? '-' : '+',
                 off / 3600 % 100, off % 3600 / 60);
    snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06d%s",
             t->y % 10000, t->mo, t->d, t->h, t->mi, t->s, t->us, zone);
    return json_string(buf);
}

/* The day of t in the env's zone, as a day number. */
static int64_t
env_day(const struct dt *t, const struct rtest_env *env)
{
    struct dt local = *t;

    dt_at(&local, env_offset(env, dt_epoch(t)));
    return calendar_days_from_civil(local.y, local.mo, local.d);
}

enum date_test { DT_ANY, DT_LT, DT_EQ, DT_GT };

static json_t *
dates(json_t *const *a, const struct rtest_env *env, enum date_test kind)
{
    char *text = NULL;
    struct dt value, test;
    json_t *r = NULL;
    int64_t vd, td;

    if (arg_text(a, 0, &text, &r) != 0)
        return r;
    if (kind != DT_ANY) {
        const json_t *v = xval_resolve(a[1]);

        if (as_error(a[1]) != NULL) {
            r = copy_error(as_error(a[1]));
            goto done;
        }
        if (!json_is_string(v) ||
            datetime_from_text(json_string_value(v), env, false, &test) != 0) {
            r = xval_error("unable to convert %s to a datetime",
                           json_is_string(v) ? "text" : "value");
            goto done;
        }
    }
    if (datetime_from_text(text, env, true, &value) != 0) {
        r = result_false();
        goto done;
    }
    vd = env_day(&value, env);
    td = kind == DT_ANY ? vd : env_day(&test, env);
    if ((kind == DT_ANY) || (kind == DT_LT && vd < td) ||
        (kind == DT_EQ && vd == td) || (kind == DT_GT && vd > td))
        r = result_match(dt_value(&value), NULL);
    else
        r = result_false();
done:
    free(text);
    return r;
}

#define DATE_TEST(fn, kind)                                                    \
    static json_t *fn(json_t *const *a, size_t n, const struct rtest_env *env) \
    {                                                                          \
        (void)n;                                                               \
        return dates(a, env, kind);                                            \
    }

DATE_TEST(t_has_date, DT_ANY)
DATE_TEST(t_has_date_lt, DT_LT)
DATE_TEST(t_has_date_eq, DT_EQ)
DATE_TEST(t_has_date_gt, DT_GT)

static json_t *
t_has_time(json_t *const *a, size_t n, const struct rtest_env *env)
{
    char *text, *digits;
    struct tod tod;
    json_t *r;
    int rc;

    (void)n;
    (void)env;
    if (arg_text(a, 0, &text, &r) != 0)
        return r;
    digits = text_ascii_digits(text);
    free(text);
    if (digits == NULL)
        return NULL;
    if ((rc = tod_find(digits, &tod)) == 0) {
        char buf[32];

        snprintf(buf, sizeof(buf), "%02d:%02d:%02d.%06d", tod.h, tod.mi, tod.s,
                 tod.us);
        r = result_text(buf);
    } else {
        r = rc == SK_ENOMEM ? NULL : result_false();
    }
    free(digits);
    return r;
}

/* ----------------------------------------------------------------- table */

struct rtest_def {
    const char *name;
    rtest_fn fn;
    unsigned char min, max; /* argument counts, operand included */
};

static const struct rtest_def tests[] = {
    {"has_error", t_has_error, 1, 1},
    {"has_text", t_has_text, 1, 1},
    {"has_value", t_has_text, 1, 1}, /* goflow: an alias of has_text */
    {"has_only_text", t_has_only_text, 2, 2},
    {"has_beginning", t_has_beginning, 2, 2},
    {"has_phrase", t_has_phrase, 2, 2},
    {"has_only_phrase", t_has_only_phrase, 2, 2},
    {"has_any_word", t_has_any_word, 2, 2},
    {"has_all_words", t_has_all_words, 2, 2},
    {"has_pattern", t_has_pattern, 2, 2},
    {"has_number", t_has_number, 1, 1},
    {"has_number_lt", t_has_number_lt, 2, 2},
    {"has_number_lte", t_has_number_lte, 2, 2},
    {"has_number_eq", t_has_number_eq, 2, 2},
    {"has_number_gte", t_has_number_gte, 2, 2},
    {"has_number_gt", t_has_number_gt, 2, 2},
    {"has_number_between", t_has_number_between, 3, 3},
    {"has_email", t_has_email, 1, 1},
    {"has_phone", t_has_phone, 1, 2},
    {"has_date", t_has_date, 1, 1},
    {"has_date_lt", t_has_date_lt, 2, 2},
    {"has_date_eq", t_has_date_eq, 2, 2},
    {"has_date_gt", t_has_date_gt, 2, 2},
    {"has_time", t_has_time, 1, 1},
    {"has_category", t_has_category, 2, 255},
};

static const struct rtest_def *
find_test(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(tests) / sizeof(*tests); i++)
        if (strcmp(tests[i].name, name) == 0)
            return &tests[i];
    return NULL;
}

bool
rtest_known(const char *name)
{
    return find_test(name) != NULL;
}

bool
rtest_arity(const char *name, int *min, int *max)
{
    const struct rtest_def *def = find_test(name);

    if (def == NULL)
        return false;
    *min = def->min;
    *max = def->max;
    return true;
}

int
rtest_call(const char *name, json_t *const *args, size_t nargs,
           const struct rtest_env *env, json_t **result)
{
    const struct rtest_def *def = find_test(name);
    json_t *r;

    if (def == NULL)
        return SK_ENOENT;
    if (nargs < def->min || nargs > def->max) {
        if (def->min == def->max)
            r = xval_error("need %u argument(s), got %zu", def->min, nargs);
        else
            r = xval_error("need %u to %u argument(s), got %zu", def->min,
                           def->max, nargs);
    } else {
        r = def->fn(args, nargs, env);
    }
    if (r == NULL)
        return SK_ENOMEM;
    *result = r;
    return 0;
}

int
rtest_expr_call(void *env, const char *name, json_t *const *args, size_t nargs,
                json_t **result)
{
    return rtest_call(name, args, nargs, env, result);
}
