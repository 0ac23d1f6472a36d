/*
 * xval.c - expression values on top of jansson (see xval.h). Pure.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "utf8.h"
#include "xval.h"

json_t *
xval_error(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(msg)) {
        /* truncated: never leave half a UTF-8 sequence at the end */
        size_t k = sk_utf8_back(msg, strlen(msg));

        if (((unsigned char)msg[k] & 0xC0) == 0xC0)
            msg[k] = '\0'; /* the last sequence may be cut: drop it */
    }
    return json_pack("{s:s}", "__error__", msg);
}

bool
xval_is_error(const json_t *v)
{
    return json_is_object(v) && json_is_string(json_object_get(v, "__error__"));
}

const char *
xval_error_msg(const json_t *v)
{
    if (!xval_is_error(v))
        return NULL;
    return json_string_value(json_object_get(v, "__error__"));
}

const json_t *
xval_resolve(const json_t *v)
{
    int depth = 0;

    while (json_is_object(v) && depth++ < 8) {
        const json_t *d = json_object_get(v, "__default__");

        if (d == NULL)
            break;
        v = d;
    }
    return v;
}

/* Formats a double without exponent and without trailing zeros. */
static char *
number_text(double d)
{
    char buf[64];
    size_t n;

    if (isnan(d) || isinf(d))
        return strdup("0");
    if (d == floor(d) && fabs(d) < 1e15) {
        snprintf(buf, sizeof(buf), "%.0f", d);
        if (strcmp(buf, "-0") == 0)
            strcpy(buf, "0");
        return strdup(buf);
    }
    /* the fewest decimals (up to 10) that read back as d, so a decimal
     * written in the source shows as written: 1497286619.123456 */
    for (int places = 1; places <= 10; places++) {
        snprintf(buf, sizeof(buf), "%.*f", places, d);
        if (strtod(buf, NULL) == d)
            return strdup(buf);
    }
    snprintf(buf, sizeof(buf), "%.10f", d);
    n = strlen(buf);
    while (n > 0 && buf[n - 1] == '0')
        buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '.')
        buf[--n] = '\0';
    return strdup(buf);
}

/* Containers nested deeper than this render as "..." */
#define XVAL_MAX_DEPTH 48

static char *scalar_text(const json_t *v);
static void render_value(struct sk_buf *b, const json_t *v, int depth);

static int
key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * goflow renders a container as text, not JSON: an array as "[1, x, true]",
 * an object (without a default) as "{bar: x, foo: 1}" with its keys sorted
 * and "__" keys hidden; items are rendered the same way.
 */
static void
render_container(struct sk_buf *b, const json_t *v, int depth)
{
    const char **keys;
    const char *key;
    json_t *item;
    size_t i, n = 0;

    if (depth >= XVAL_MAX_DEPTH) {
        sk_buf_add(b, "...", 3);
        return;
    }
    if (json_is_array(v)) {
        sk_buf_add(b, "[", 1);
        json_array_foreach(v, i, item)
        {
            if (i > 0)
                sk_buf_add(b, ", ", 2);
            render_value(b, item, depth + 1);
        }
        sk_buf_add(b, "]", 1);
        return;
    }
    keys = calloc(json_object_size(v) + 1, sizeof(*keys));
    if (keys == NULL) {
        b->fail = true;
        return;
    }
    json_object_foreach((json_t *)v, key, item)
    {
        if (strncmp(key, "__", 2) != 0)
            keys[n++] = key;
    }
    qsort(keys, n, sizeof(*keys), key_cmp);
    sk_buf_add(b, "{", 1);
    for (i = 0; i < n; i++) {
        if (i > 0)
            sk_buf_add(b, ", ", 2);
        sk_buf_add(b, keys[i], strlen(keys[i]));
        sk_buf_add(b, ": ", 2);
        render_value(b, json_object_get(v, keys[i]), depth + 1);
    }
    sk_buf_add(b, "}", 1);
    free(keys);
}

static void
render_value(struct sk_buf *b, const json_t *v, int depth)
{
    char *text;

    v = xval_resolve(v);
    if (v != NULL && !xval_is_error(v) &&
        (json_is_array(v) || json_is_object(v))) {
        render_container(b, v, depth);
        return;
    }
    text = scalar_text(v);
    if (text == NULL)
        b->fail = true;
    else
        sk_buf_add(b, text, strlen(text));
    free(text);
}

/* The text of a value that is not a container (v resolved). */
static char *
scalar_text(const json_t *v)
{
    if (v == NULL || json_is_null(v) || xval_is_error(v))
        return strdup("");
    switch (json_typeof(v)) {
    case JSON_STRING:
        return strdup(json_string_value(v));
    case JSON_INTEGER: {
        char buf[32];

        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
        return strdup(buf);
    }
    case JSON_REAL:
        return number_text(json_real_value(v));
    case JSON_TRUE:
        return strdup("true");
    case JSON_FALSE:
        return strdup("false");
    default:
        return strdup("");
    }
}

char *
xval_to_text(const json_t *v)
{
    struct sk_buf b = {0};

    v = xval_resolve(v);
    if (v == NULL || xval_is_error(v) ||
        !(json_is_array(v) || json_is_object(v)))
        return scalar_text(v);
    render_container(&b, v, 0);
    return sk_buf_take(&b);
}

bool
xval_truthy(const json_t *v)
{
    v = xval_resolve(v);
    if (v == NULL || xval_is_error(v))
        return false;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0.0;
    case JSON_TRUE:
        return true;
    case JSON_FALSE:
    case JSON_NULL:
        return false;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_OBJECT:
        return json_object_size(v) > 0;
    }
    return false;
}

int
xval_parse_number(const char *text, double *out)
{
    const char *p = text;
    char *end;
    int digits = 0;

    while (isspace((unsigned char)*p))
        p++;
    /* only plain decimals: no hex, no exponent, no inf/nan */
    for (const char *q = (*p == '-' || *p == '+') ? p + 1 : p; *q; q++) {
        if (isdigit((unsigned char)*q))
            digits++;
        else if (*q != '.' && !isspace((unsigned char)*q))
            return -1;
    }
    if (digits == 0)
        return -1;
    *out = strtod(p, &end);
    if (end == p)
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    return *end == '\0' ? 0 : -1;
}

json_t *
xval_number(double d)
{
    if (d == floor(d) && fabs(d) < 9e15)
        return json_integer((json_int_t)d);
    return json_real(d);
}
