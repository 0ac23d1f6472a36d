/*
 * expr_fn_text.c - the built-in functions over text, encoded text (URNs,
 * attachments), JSON and formatting, and the random numbers, with goflow's
 * semantics.
 *
 * regex_match() uses PCRE2 with goflow's flags (case-insensitive,
 * multi-line) and a match limit, so no pattern runs away. rand() takes its
 * randomness from expr_env.rand_state, never from the system. Pure; any
 * thread.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <utf8proc.h>

#include "expr_funcs.h"
#include "html_entities.h"
#include "phone.h"
#include "xval.h"

/* Steps one regular expression match may take. */
#define REGEX_MATCH_LIMIT 100000

/* The text of a[i] in *out (malloc'd), or a new error value. */
static json_t *
arg_text(json_t *const *a, size_t i, char **out)
{
    return exprf_to_text(a[i], out);
}

/* The texts of a[0] and a[1] in *s1 and *s2 (malloc'd), or a new error
 * value (the first argument's error first) with neither set. */
static json_t *
arg_texts(json_t *const *a, char **s1, char **s2)
{
    json_t *e;

    *s1 = *s2 = NULL;
    if ((e = arg_text(a, 0, s1)) != NULL)
        return e;
    if ((e = arg_text(a, 1, s2)) != NULL) {
        free(*s1);
        *s1 = NULL;
    }
    return e;
}

/* Consumes b: a text value, or an error when it failed or grew too long. */
static json_t *
buf_text(struct sk_buf *b)
{
    json_t *v;

    if (b->fail || b->len > EXPR_MAX_TEXT)
        v = b->fail ? NULL : xval_error("text too long");
    else
        v = json_string(b->s ? b->s : "");
    free(b->s);
    return v;
}

/* ---------------------------------------------------------------------
 * Text
 */

json_t *
exprf_clean(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct sk_buf b = {0};
    char *s = NULL;
    json_t *e = arg_text(a, 0, &s);
    size_t len, i = 0, k;

    (void)env;
    (void)n;
    if (e != NULL)
        return e;
    len = strlen(s);
    sk_buf_add(&b, "", 0);
    while (i < len) {
        int32_t cp = sk_utf8_next(s + i, len - i, &k);
        utf8proc_category_t c = utf8proc_category(cp < 0 ? 0xFFFD : cp);

        /* goflow drops every "other" character: Cc, Cf, Cs, Co, Cn */
        if (cp >= 0 && c != UTF8PROC_CATEGORY_CC && c != UTF8PROC_CATEGORY_CF &&
            c != UTF8PROC_CATEGORY_CS && c != UTF8PROC_CATEGORY_CO &&
            c != UTF8PROC_CATEGORY_CN)
            sk_buf_add(&b, s + i, k);
        i += k;
    }
    free(s);
    return buf_text(&b);
}

/* The named reference at p (after the '&'), as Go's html package reads
 * one: the longest run of letters and digits, with a ';' after it if
 * there is one, when HTML5 has that name; else the longest name of 2 to
 * HTML_ENTITY_MAX_BARE characters it starts with that HTML5 also knows
 * without a ';' ("&ampx" is "&x"). 1 or 2 code points in cp, with *len
 * the bytes taken after the '&'; 0 when there is none. */
static int
named_entity(const char *p, int32_t cp[2], size_t *len)
{
    size_t n = 0, k;
    int count;

    while (isalnum((unsigned char)p[n]))
        n++;
    if (p[n] == ';')
        n++;
    if (n == 0)
        return 0;
    if ((count = html_entity_lookup(p, n, cp)) > 0) {
        *len = n;
        return count;
    }
    for (k = n - 1 < HTML_ENTITY_MAX_BARE ? n - 1 : HTML_ENTITY_MAX_BARE; k > 1;
         k--)
        if ((count = html_entity_lookup(p, k, cp)) > 0) {
            *len = k;
            return count;
        }
    return 0;
}

/*
 * The character reference at s ("&..."): its one or two code points in cp
 * and its length in *len; 0 when s does not start one goflow would decode.
 */
static int
entity_at(const char *s, int32_t cp[2], size_t *len)
{
    const char *p = s + 1;
    char *end;
    long v;
    int count;

    if (*p == '#') {
        bool hex = p[1] == 'x' || p[1] == 'X';

        if (!(hex ? isxdigit((unsigned char)p[2])
                  : isdigit((unsigned char)p[1])))
            return 0;
        v = strtol(p + (hex ? 2 : 1), &end, hex ? 16 : 10);
        if (v <= 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            v = 0xFFFD;
        *len = (size_t)(end - s) + (*end == ';');
        cp[0] = (int32_t)v;
        return 1;
    }
    if ((count = named_entity(p, cp, len)) > 0)
        *len += 1; /* the '&' */
    return count;
}

json_t *
exprf_html_decode(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct sk_buf b = {0};
    char *s = NULL;
    json_t *e = arg_text(a, 0, &s);
    size_t i = 0, k;

    (void)env;
    (void)n;
    if (e != NULL)
        return e;
    sk_buf_add(&b, "", 0);
    while (s[i] != '\0') {
        int32_t cp[2];
        int count = s[i] == '&' ? entity_at(s + i, cp, &k) : 0;

        if (count == 0) {
            sk_buf_add(&b, s + i, 1);
            i++;
            continue;
        }
        for (int j = 0; j < count; j++)
            if (cp[j] == 0xA0) /* goflow: a non-breaking space is a space */
                sk_buf_add(&b, " ", 1);
            else
                sk_buf_cp(&b, cp[j]);
        i += k;
    }
    free(s);
    return buf_text(&b);
}

/* Group g of the first match of pattern in text, as a value. */
static json_t *
regex_group(const char *text, const char *pattern, long long g)
{
    pcre2_code *re;
    pcre2_match_data *md = NULL;
    pcre2_match_context *mc = NULL;
    PCRE2_SIZE erroff, *ov;
    json_t *res = NULL;
    int errcode, rc;

    re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                       PCRE2_CASELESS | PCRE2_MULTILINE | PCRE2_UTF, &errcode,
                       &erroff, NULL);
    if (re == NULL)
        return xval_error("invalid regular expression");
    md = pcre2_match_data_create_from_pattern(re, NULL);
    mc = pcre2_match_context_create(NULL);
    if (md == NULL || mc == NULL)
        goto out;
    pcre2_set_match_limit(mc, REGEX_MATCH_LIMIT);
    rc = pcre2_match(re, (PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED, 0, 0, md, mc);
    if (rc == PCRE2_ERROR_MATCHLIMIT) {
        res = xval_error("regular expression too complex");
        goto out;
    }
    if (rc < 0 || g < 0 || g >= (long long)pcre2_get_ovector_count(md) ||
        g > 0xFFFF) {
        res = xval_error("invalid regular expression group");
        goto out;
    }
    ov = pcre2_get_ovector_pointer(md);
    if (ov[2 * g] == PCRE2_UNSET)
        res = json_string("");
    else
        res = json_stringn(text + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
out:
    pcre2_match_context_free(mc);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return res;
}

json_t *
exprf_regex_match(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *text = NULL, *pattern = NULL;
    long long g = 0;
    json_t *e;

    (void)env;
    if ((e = arg_texts(a, &text, &pattern)) != NULL)
        return e;
    if (n < 3 || (e = exprf_to_int(a[2], &g)) == NULL)
        e = regex_group(text, pattern, g);
    free(text);
    free(pattern);
    return e;
}

json_t *
exprf_text_compare(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *s1 = NULL, *s2 = NULL;
    json_t *e;
    int c;

    (void)env;
    (void)n;
    if ((e = arg_texts(a, &s1, &s2)) != NULL)
        return e;
    c = strcmp(s1, s2);
    free(s1);
    free(s2);
    return json_integer(c < 0 ? -1 : c > 0);
}

/* Adds the code points s[from..to) (byte offsets in offs) spaced out. */
static void
add_spaced(struct sk_buf *b, const char *s, const size_t *offs, size_t from,
           size_t to)
{
    for (size_t j = from; j < to; j++) {
        if (j > from)
            sk_buf_add(b, " ", 1);
        sk_buf_add(b, s + offs[j], offs[j + 1] - offs[j]);
    }
}

json_t *
exprf_read_chars(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct sk_buf b = {0};
    char *s = NULL, *t;
    json_t *e = arg_text(a, 0, &s);
    size_t len, count = 0, i = 0, k, group = 1, *offs;

    (void)env;
    (void)n;
    if (e != NULL)
        return e;
    t = s + strspn(s, "+");
    len = strlen(t);
    offs = malloc((len + 1) * sizeof(*offs));
    if (offs == NULL) {
        free(s);
        return NULL;
    }
    while (i < len) { /* where each code point starts */
        offs[count++] = i;
        sk_utf8_next(t + i, len - i, &k);
        i += k;
    }
    offs[count] = len;
    if (count % 3 == 0)
        group = 3;
    else if (count % 4 == 0)
        group = 4;
    sk_buf_add(&b, "", 0);
    for (size_t j = 0; j < count && !b.fail; j += group) {
        if (j > 0)
            sk_buf_add(&b, " , ", 3);
        add_spaced(&b, t, offs, j, j + group);
        if (b.len > EXPR_MAX_TEXT)
            b.fail = true;
    }
    free(offs);
    free(s);
    return buf_text(&b);
}

json_t *
exprf_format_location(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *s = NULL, *last, *end;
    json_t *e = arg_text(a, 0, &s);

    (void)env;
    (void)n;
    if (e != NULL)
        return e;
    last = strrchr(s, '>');
    last = last ? last + 1 : s;
    while (isspace((unsigned char)*last))
        last++;
    end = last + strlen(last);
    while (end > last && isspace((unsigned char)end[-1]))
        *--end = '\0';
    e = json_string(last);
    free(s);
    return e;
}

/* ---------------------------------------------------------------------
 * URNs and attachments
 */

/* A URN's parts as gocommon's parser splits scheme:path?query#display. */
struct urn {
    char *scheme, *path, *query, *display; /* all in one malloc'd block */
};

/* Replaces the escapes gocommon writes (%23 %25 %3F) in place. */
static void
urn_unescape(char *s)
{
    char *w = s;

    for (char *r = s; *r;) {
        if (strncmp(r, "%23", 3) == 0 || strncmp(r, "%25", 3) == 0 ||
            strncasecmp(r, "%3F", 3) == 0) {
            *w++ = r[2] == '3' ? '#' : r[2] == '5' ? '%' : '?';
            r += 3;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

/* Parses text into u (u->scheme owns the block); NULL or an error value. */
static json_t *
urn_parse(const char *text, struct urn *u)
{
    size_t len = strlen(text), w[4] = {0, 0, 0, 0};
    char *block = malloc(4 * (len + 1)), *part[4];
    int state = 0;
    const char *why = NULL;

    if (block == NULL)
        return exprf_oom();
    for (int i = 0; i < 4; i++)
        part[i] = block + (size_t)i * (len + 1);
    for (const char *r = text; *r && why == NULL; r++) {
        if (*r == ':' && state == 0) {
            state = 1;
        } else if (*r == '?') {
            if (state == 1)
                state = 2;
            else
                why = "query component can only come after path component";
        } else if (*r == '#') {
            if (state == 1 || state == 2)
                state = 3;
            else
                why = "fragment component can only come after path or "
                      "query components";
        } else {
            part[state][w[state]++] = *r;
        }
    }
    for (int i = 0; i < 4; i++)
        part[i][w[i]] = '\0';
    if (why == NULL && w[0] == 0)
        why = "scheme cannot be empty";
    if (why == NULL && w[1] == 0)
        why = "path cannot be empty";
    if (why != NULL) {
        json_t *e = xval_error("%s is not a valid URN: %s", text, why);

        free(block);
        return e;
    }
    for (int i = 0; i < 4; i++)
        urn_unescape(part[i]);
    u->scheme = part[0];
    u->path = part[1];
    u->query = part[2];
    u->display = part[3];
    return NULL;
}

json_t *
exprf_urn_parts(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *s = NULL;
    struct urn u;
    json_t *e = arg_text(a, 0, &s);

    (void)env;
    (void)n;
    if (e != NULL)
        return e;
    if ((e = urn_parse(s, &u)) == NULL) {
        e = json_pack("{s:s, s:s, s:s}", "scheme", u.scheme, "path", u.path,
                      "display", u.display);
        free(u.scheme);
    }
    free(s);
    return e;
}

json_t *
exprf_format_urn(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *s = NULL, nat[64];
    struct urn u;
    json_t *e = arg_text(a, 0, &s);

    (void)env;
    (void)n;
    if (e != NULL)
        return e;
    if ((e = urn_parse(s, &u)) == NULL) {
        if (u.display[0] != '\0')
            e = json_string(u.display);
        else if (strcmp(u.scheme, "tel") == 0 &&
                 phone_national(u.path, nat, sizeof(nat)) == 0)
            e = json_string(nat); /* shown as at home: "0781 234 567" */
        else
            e = json_string(u.path);
        free(u.scheme);
    }
    free(s);
    return e;
}

/* Whether t is a content type as goflow's attachments have them. */
static bool
content_type(const char *t, size_t n)
{
    size_t i = 0, slash = 0;

    if ((n == 3 && strncmp(t, "geo", 3) == 0) ||
        (n == 11 && strncmp(t, "unavailable", 11) == 0))
        return true;
    while (i < n && (isalnum((unsigned char)t[i]) || t[i] == '_'))
        i++;
    if (i == 0 || i >= n || t[i] != '/')
        return false;
    slash = ++i;
    while (i < n && (isalnum((unsigned char)t[i]) || strchr("_-+.", t[i])))
        i++;
    return i == n && i > slash;
}

json_t *
exprf_attachment_parts(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *s = NULL, *colon;
    json_t *e = arg_text(a, 0, &s);

    (void)env;
    (void)n;
    if (e != NULL)
        return e;
    colon = strchr(s, ':');
    if (colon != NULL) {
        for (char *c = s; c < colon; c++)
            *c = (char)tolower((unsigned char)*c);
    }
    if (colon != NULL && content_type(s, (size_t)(colon - s)))
        e = json_pack("{s:s#, s:s}", "content_type", s, (int)(colon - s), "url",
                      colon + 1);
    else
        e = json_pack("{s:s, s:s}", "content_type", "", "url", s);
    free(s);
    return e;
}

/* ---------------------------------------------------------------------
 * JSON
 */

static void json_write(struct sk_buf *b, const json_t *v, int depth);

static void
json_write_object(struct sk_buf *b, const json_t *v, int depth)
{
    const char *k;
    json_t *x, *keys = json_array();
    bool first = true;

    if (keys == NULL) {
        b->fail = true;
        return;
    }
    json_object_foreach((json_t *)v, k, x)
    {
        if (strncmp(k, "__", 2) != 0)
            json_array_append_new(keys, json_string(k));
    }
    /* sorted as goflow's encoder writes them */
    for (size_t i = 1; i < json_array_size(keys); i++)
        for (size_t j = i; j > 0; j--) {
            json_t *p = json_array_get(keys, j - 1),
                   *q = json_array_get(keys, j);

            if (strcmp(json_string_value(p), json_string_value(q)) <= 0)
                break;
            json_incref(p);
            json_array_set(keys, j - 1, q);
            json_array_set_new(keys, j, p);
        }
    sk_buf_add(b, "{", 1);
    for (size_t i = 0; i < json_array_size(keys); i++) {
        json_t *key = json_array_get(keys, i);

        if (!first)
            sk_buf_add(b, ",", 1);
        first = false;
        json_write(b, key, depth + 1);
        sk_buf_add(b, ":", 1);
        json_write(b, json_object_get(v, json_string_value(key)), depth + 1);
    }
    sk_buf_add(b, "}", 1);
    json_decref(keys);
}

/* Writes v as goflow's JSON: compact, keys sorted, "__" keys hidden. */
static void
json_write(struct sk_buf *b, const json_t *v, int depth)
{
    char *s;

    if (depth > 64 || b->len > EXPR_MAX_TEXT) {
        b->fail = true;
        return;
    }
    if (exprf_is_function(v) || v == NULL || json_is_null(v)) {
        sk_buf_add(b, "null", 4);
    } else if (json_is_array(v)) {
        sk_buf_add(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i > 0)
                sk_buf_add(b, ",", 1);
            json_write(b, json_array_get(v, i), depth + 1);
        }
        sk_buf_add(b, "]", 1);
    } else if (json_is_object(v)) {
        json_write_object(b, v, depth);
    } else {
        s = json_is_string(v) ? json_dumps(v, JSON_ENCODE_ANY)
                              : xval_to_text(v);
        if (s == NULL)
            b->fail = true;
        else
            sk_buf_add(b, s, strlen(s));
        free(s);
    }
}

json_t *
exprf_json(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct sk_buf b = {0};

    (void)env;
    (void)n;
    if (xval_is_error(a[0]))
        return json_incref(a[0]);
    sk_buf_add(&b, "", 0);
    json_write(&b, a[0], 0);
    return buf_text(&b);
}

json_t *
exprf_parse_json(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *s = NULL;
    json_t *e = arg_text(a, 0, &s), *v;
    json_error_t jerr;

    (void)env;
    (void)n;
    if (e != NULL)
        return e;
    v = json_loads(s, JSON_DECODE_ANY, &jerr);
    free(s);
    if (v == NULL)
        return xval_error("unable to parse JSON: %s", jerr.text);
    return v;
}

/* ---------------------------------------------------------------------
 * Randomness
 */

/* The next random number in [0, 1) from the env's state (splitmix64). */
static bool
next_random(const struct expr_env *env, double *out)
{
    uint64_t z;

    if (env == NULL || env->rand_state == NULL)
        return false;
    z = (*env->rand_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    *out = (double)(z >> 11) * 0x1.0p-53;
    return true;
}

json_t *
exprf_rand(const struct expr_env *env, json_t *const *a, size_t n)
{
    double r;

    (void)a;
    (void)n;
    if (!next_random(env, &r))
        return xval_error("no source of randomness");
    return json_real(r);
}

json_t *
exprf_rand_between(const struct expr_env *env, json_t *const *a, size_t n)
{
    double lo, hi, r;
    json_t *e;

    (void)n;
    if ((e = exprf_to_number(a[0], &lo)) != NULL)
        return e;
    if ((e = exprf_to_number(a[1], &hi)) != NULL)
        return e;
    if (!next_random(env, &r))
        return xval_error("no source of randomness");
    return xval_number(floor(r * (hi - lo + 1) + lo));
}
