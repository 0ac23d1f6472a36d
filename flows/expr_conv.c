/*
 * expr_conv.c - what the evaluator (expr.c) and the built-in functions
 * share: goflow's conversions of values to numbers, integers, text and
 * booleans, how a value is named in messages, case-insensitive property
 * lookup and function values. It calls neither the evaluator nor any
 * function, so both can use it. Pure; any thread.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr_int.h"
#include "xval.h"

json_t *
exprf_get(const json_t *obj, const char *key)
{
    const char *k;
    json_t *v;

    if (!json_is_object(obj) || key == NULL || strncmp(key, "__", 2) == 0)
        return NULL;
    v = json_object_get(obj, key);
    if (v != NULL)
        return v;
    json_object_foreach((json_t *)obj, k, v)
    {
        if (strcasecmp(k, key) == 0)
            return v;
    }
    return NULL;
}

char *
exprf_describe(const json_t *v)
{
    v = xval_resolve(v);
    if (v == NULL || json_is_null(v))
        return strdup("null");
    if (json_is_string(v))
        return json_dumps(v, JSON_ENCODE_ANY);
    if (json_is_array(v))
        return strdup("array");
    if (json_is_object(v))
        return strdup("object");
    return xval_to_text(v);
}

json_t *
exprf_convert_error(const json_t *v, const char *what)
{
    char *d = exprf_describe(v);
    json_t *e = xval_error("unable to convert %s to %s", d ? d : "value", what);

    free(d);
    return e;
}

json_t *
exprf_to_number(const json_t *v, double *out)
{
    if (xval_is_error(v))
        return json_incref((json_t *)v);
    v = xval_resolve(v);
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return NULL;
    }
    if (json_is_string(v) && xval_parse_number(json_string_value(v), out) == 0)
        return NULL;
    return exprf_convert_error(v, "a number");
}

json_t *
exprf_to_int(const json_t *v, long long *out)
{
    double d;
    json_t *e = exprf_to_number(v, &d);

    if (e != NULL)
        return e;
    if (d >= 2147483648.0 || d <= -2147483649.0) {
        char *t = xval_to_text(xval_resolve(v));

        e = xval_error("number value %s is out of range for an integer",
                       t ? t : "");
        free(t);
        return e;
    }
    *out = (long long)trunc(d);
    return NULL;
}

json_t *
exprf_to_text(const json_t *v, char **out)
{
    if (xval_is_error(v))
        return json_incref((json_t *)v);
    *out = xval_to_text(v);
    return *out == NULL ? exprf_oom() : NULL;
}

json_t *
exprf_to_bool(const json_t *v, bool *out)
{
    const json_t *r;

    if (xval_is_error(v))
        return json_incref((json_t *)v);
    r = xval_resolve(v);
    /* goflow: the text "false" is falsy, in any case */
    if (json_is_string(r) && strcasecmp(json_string_value(r), "false") == 0)
        *out = false;
    else
        *out = xval_truthy(v);
    return NULL;
}

bool
exprf_is_function(const json_t *v)
{
    return json_is_object(v) && json_is_string(json_object_get(v, "__func__"));
}

json_t *
exprf_oom(void)
{
    json_t *e = xval_error("out of memory");

    if (e != NULL && json_object_set_new(e, "__oom__", json_true()) != 0) {
        json_decref(e);
        e = NULL;
    }
    return e;
}

bool
exprf_is_oom(const json_t *v)
{
    return xval_is_error(v) && json_is_true(json_object_get(v, "__oom__"));
}
