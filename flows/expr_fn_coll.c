/*
 * expr_fn_coll.c - the built-in functions over arrays and objects, with
 * goflow's semantics: object(), keys(), extract(), slice(), sort(), concat(),
 * ... and the ones that take a function value (filter, foreach, foreach_value),
 * which call it through expr_env.apply: the evaluator sets it, so these
 * functions never call the evaluator by name.
 *
 * An object with a __default__ (a result, the contact) is an object here: its
 * "__" keys are never visible. Pure; any thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr_funcs.h"
#include "xval.h"

/* Sets *err to v's own error value, or else to "unable to convert V to
 * WHAT"; NULL (for the to_*() below to return). */
static json_t *
convert_fail(const json_t *v, const char *what, json_t **err)
{
    *err = xval_is_error(v) ? json_incref((json_t *)v)
                            : exprf_convert_error(v, what);
    return NULL;
}

/* The array v stands for (null is empty), or an error value in *err. */
static json_t *
to_array(const json_t *v, json_t **err)
{
    const json_t *r = xval_resolve(v);

    *err = NULL;
    if (xval_is_error(v))
        return convert_fail(v, "an array", err);
    if (json_is_array(r))
        return json_incref((json_t *)r);
    if (r == NULL || json_is_null(r))
        return json_array();
    return convert_fail(v, "an array", err);
}

/* Whether an object is a plain value here (not a function or an error). */
static bool
is_object(const json_t *v)
{
    return json_is_object(v) && !xval_is_error(v) && !exprf_is_function(v);
}

/* The object v stands for (null is empty), or an error value in *err. */
static json_t *
to_object(const json_t *v, json_t **err)
{
    *err = NULL;
    if (xval_is_error(v))
        return convert_fail(v, "an object", err);
    if (is_object(v))
        return json_incref((json_t *)v);
    if (v == NULL || json_is_null(v))
        return json_object();
    return convert_fail(v, "an object", err);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The visible keys of an object, sorted, in a malloc'd array of borrowed
 * strings (*count of them); NULL with *count 0 when there are none or no
 * memory (*oom says which).
 */
static const char **
sorted_keys(const json_t *obj, size_t *count, bool *oom)
{
    const char **keys, *k;
    size_t n = 0;
    json_t *v;

    *count = 0;
    *oom = false;
    if (json_object_size(obj) == 0)
        return NULL;
    keys = malloc(json_object_size(obj) * sizeof(*keys));
    if (keys == NULL) {
        *oom = true;
        return NULL;
    }
    json_object_foreach((json_t *)obj, k, v)
    {
        if (strncmp(k, "__", 2) != 0)
            keys[n++] = k;
    }
    qsort(keys, n, sizeof(*keys), cmp_str);
    *count = n;
    return keys;
}

bool
exprf_equals(const json_t *a, const json_t *b)
{
    a = xval_resolve(a);
    b = xval_resolve(b);
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    if (exprf_is_function(a) || exprf_is_function(b)) {
        const char *x = json_string_value(json_object_get(a, "__func__"));
        const char *y = json_string_value(json_object_get(b, "__func__"));

        return x && y && x[0] != '\0' && strcmp(x, y) == 0;
    }
    return json_equal((json_t *)a, (json_t *)b);
}

json_t *
exprf_object(const struct expr_env *env, json_t *const *a, size_t n)
{
    json_t *obj;

    (void)env;
    for (size_t i = 0; i < n; i++)
        if (xval_is_error(a[i]))
            return json_incref(a[i]);
    if (n % 2 != 0)
        return xval_error("requires an even number of arguments");
    obj = json_object();
    for (size_t i = 0; obj != NULL && i < n; i += 2) {
        char *key = NULL;
        json_t *e = exprf_to_text(a[i], &key);

        if (e != NULL) {
            json_decref(obj);
            return e;
        }
        if (json_object_set(obj, key, a[i + 1]) != 0) {
            json_decref(obj);
            obj = NULL;
        }
        free(key);
    }
    return obj;
}

json_t *
exprf_keys(const struct expr_env *env, json_t *const *a, size_t n)
{
    json_t *err, *obj = to_object(a[0], &err), *res;
    const char **keys;
    size_t count;
    bool oom;

    (void)env;
    (void)n;
    if (obj == NULL)
        return err;
    keys = sorted_keys(obj, &count, &oom);
    res = oom ? NULL : json_array();
    for (size_t i = 0; res != NULL && i < count; i++)
        if (json_array_append_new(res, json_string(keys[i])) != 0) {
            json_decref(res);
            res = NULL;
        }
    free(keys);
    json_decref(obj);
    return res;
}

json_t *
exprf_extract(const struct expr_env *env, json_t *const *a, size_t n)
{
    json_t *err, *obj = to_object(a[0], &err), *v;
    char *prop = NULL;

    (void)env;
    (void)n;
    if (obj == NULL)
        return err;
    if ((err = exprf_to_text(a[1], &prop)) != NULL) {
        json_decref(obj);
        return err;
    }
    v = exprf_get(obj, prop);
    v = v ? json_incref(v) : json_null();
    free(prop);
    json_decref(obj);
    return v;
}

json_t *
exprf_extract_object(const struct expr_env *env, json_t *const *a, size_t n)
{
    json_t *err, *obj = to_object(a[0], &err), *res;

    (void)env;
    if (obj == NULL)
        return err;
    res = json_object();
    for (size_t i = 1; res != NULL && i < n; i++) {
        char *prop = NULL;
        json_t *v;

        if ((err = exprf_to_text(a[i], &prop)) != NULL) {
            json_decref(res);
            res = err;
            break;
        }
        v = exprf_get(obj, prop);
        if (json_object_set_new(res, prop, v ? json_incref(v) : json_null()) !=
            0) {
            json_decref(res);
            res = NULL;
        }
        free(prop);
    }
    json_decref(obj);
    return res;
}

/* An index as goflow's slice() reads it: negative from the end, clamped. */
static size_t
clamp_index(long long i, size_t len)
{
    if (i < 0)
        i += (long long)len;
    if (i < 0)
        return 0;
    if ((unsigned long long)i > len)
        return len;
    return (size_t)i;
}

json_t *
exprf_slice(const struct expr_env *env, json_t *const *a, size_t n)
{
    json_t *err, *arr = to_array(a[0], &err), *res;
    long long start, end;
    size_t from, to;

    (void)env;
    if (arr == NULL)
        return err;
    end = (long long)json_array_size(arr);
    if ((err = exprf_to_int(a[1], &start)) != NULL ||
        (n == 3 && (err = exprf_to_int(a[2], &end)) != NULL)) {
        json_decref(arr);
        return err;
    }
    from = clamp_index(start, json_array_size(arr));
    to = clamp_index(end, json_array_size(arr));
    res = json_array();
    for (size_t i = from; res != NULL && i < to; i++)
        if (json_array_append(res, json_array_get(arr, i)) != 0) {
            json_decref(res);
            res = NULL;
        }
    json_decref(arr);
    return res;
}

json_t *
exprf_contains(const struct expr_env *env, json_t *const *a, size_t n)
{
    json_t *err, *arr = to_array(a[0], &err);
    bool found = false;

    (void)env;
    (void)n;
    if (arr == NULL)
        return err;
    if (xval_is_error(a[1])) {
        json_decref(arr);
        return json_incref(a[1]);
    }
    for (size_t i = 0; !found && i < json_array_size(arr); i++)
        found = exprf_equals(json_array_get(arr, i), a[1]);
    json_decref(arr);
    return json_boolean(found);
}

/* goflow's concat(array1, array2): array2's items after array1's; null is
 * an empty array, any other value that is no array an error. */
json_t *
exprf_concat(const struct expr_env *env, json_t *const *a, size_t n)
{
    json_t *err, *first, *second, *res;

    (void)env;
    (void)n;
    if ((first = to_array(a[0], &err)) == NULL)
        return err;
    if ((second = to_array(a[1], &err)) == NULL) {
        json_decref(first);
        return err;
    }
    res = json_array();
    if (res != NULL && (json_array_extend(res, first) != 0 ||
                        json_array_extend(res, second) != 0)) {
        json_decref(res);
        res = NULL;
    }
    json_decref(first);
    json_decref(second);
    return res;
}

json_t *
exprf_reverse(const struct expr_env *env, json_t *const *a, size_t n)
{
    json_t *err, *arr = to_array(a[0], &err), *res;
    size_t len;

    (void)env;
    (void)n;
    if (arr == NULL)
        return err;
    len = json_array_size(arr);
    res = json_array();
    for (size_t i = 0; res != NULL && i < len; i++)
        if (json_array_append(res, json_array_get(arr, len - 1 - i)) != 0) {
            json_decref(res);
            res = NULL;
        }
    json_decref(arr);
    return res;
}

/* One item to sort: its value and where it was, so the sort is stable. */
struct sort_item {
    json_t *v;
    size_t at;
};

static int
cmp_items(const void *x, const void *y)
{
    const struct sort_item *a = x, *b = y;
    const json_t *u = xval_resolve(a->v), *w = xval_resolve(b->v);
    int c = 0;

    if (json_is_number(u)) {
        double p = json_number_value(u), q = json_number_value(w);

        c = p < q ? -1 : p > q;
    } else if (json_is_string(u)) {
        c = strcmp(json_string_value(u), json_string_value(w));
    } else if (json_is_boolean(u)) {
        c = (int)json_is_true(u) - (int)json_is_true(w);
    }
    if (c == 0)
        c = a->at < b->at ? -1 : a->at > b->at;
    return c;
}

/* goflow's type of a sortable value: 1 number, 2 text, 3 boolean, else 0. */
static int
sort_kind(const json_t *v)
{
    v = xval_resolve(v);
    if (json_is_number(v))
        return 1;
    if (json_is_string(v))
        return 2;
    if (json_is_boolean(v))
        return 3;
    return 0;
}

json_t *
exprf_sort(const struct expr_env *env, json_t *const *a, size_t n)
{
    json_t *err, *arr = to_array(a[0], &err), *res = NULL;
    size_t len;
    struct sort_item *items;

    (void)env;
    (void)n;
    if (arr == NULL)
        return err;
    len = json_array_size(arr);
    items = calloc(len ? len : 1, sizeof(*items));
    if (items == NULL)
        goto out;
    for (size_t i = 0; i < len; i++) {
        items[i].v = json_array_get(arr, i);
        items[i].at = i;
        if (len > 1 && sort_kind(items[i].v) == 0) {
            char *d = exprf_describe(items[i].v);

            res = xval_error("%s isn't a comparable type", d ? d : "value");
            free(d);
            goto out;
        }
        if (len > 1 && sort_kind(items[i].v) != sort_kind(items[0].v)) {
            res = xval_error("can't sort array of different types");
            goto out;
        }
    }
    qsort(items, len, sizeof(*items), cmp_items);
    res = json_array();
    for (size_t i = 0; res != NULL && i < len; i++)
        if (json_array_append(res, items[i].v) != 0) {
            json_decref(res);
            res = NULL;
        }
out:
    free(items);
    json_decref(arr);
    return res;
}

json_t *
exprf_sum(const struct expr_env *env, json_t *const *a, size_t n)
{
    json_t *err, *arr = to_array(a[0], &err);
    double total = 0;

    (void)env;
    (void)n;
    if (arr == NULL)
        return err;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        double x;

        if ((err = exprf_to_number(json_array_get(arr, i), &x)) != NULL) {
            json_decref(arr);
            return err;
        }
        total += x;
    }
    json_decref(arr);
    return xval_number(total);
}

json_t *
exprf_unique(const struct expr_env *env, json_t *const *a, size_t n)
{
    json_t *err, *arr = to_array(a[0], &err), *res;

    (void)env;
    (void)n;
    if (arr == NULL)
        return err;
    res = json_array();
    for (size_t i = 0; res != NULL && i < json_array_size(arr); i++) {
        json_t *v = json_array_get(arr, i);
        bool seen = false;

        for (size_t j = 0; !seen && j < json_array_size(res); j++)
            seen = exprf_equals(v, json_array_get(res, j));
        if (!seen && json_array_append(res, v) != 0) {
            json_decref(res);
            res = NULL;
        }
    }
    json_decref(arr);
    return res;
}

/* The function value a[i] must be, or a new error value in *err. */
static const json_t *
to_function(const json_t *v, json_t **err)
{
    char *d;

    *err = NULL;
    if (xval_is_error(v))
        return convert_fail(v, "a function", err);
    if (exprf_is_function(v))
        return v;
    d = exprf_describe(v);
    *err = xval_error("%s is not a function", d ? d : "value");
    free(d);
    return NULL;
}

/* a[0] as a collection (by to: to_array or to_object) and a[1] as a
 * function: true with *coll (a new reference) and *fn set, else false with
 * the error value in *err. */
static bool
coll_and_fn(json_t *const *a, json_t *(*to)(const json_t *, json_t **),
            json_t **coll, const json_t **fn, json_t **err)
{
    if ((*coll = to(a[0], err)) == NULL)
        return false;
    if ((*fn = to_function(a[1], err)) == NULL) {
        json_decref(*coll);
        *coll = NULL;
        return false;
    }
    return true;
}

/* Calls the function value fn through the evaluator's expr_env.apply. */
static json_t *
call_fn(const struct expr_env *env, const json_t *fn, json_t *const *args,
        size_t n)
{
    if (env == NULL || env->apply == NULL)
        return xval_error("function values cannot be called here");
    return env->apply(env, fn, args, n);
}

json_t *
exprf_filter(const struct expr_env *env, json_t *const *a, size_t n)
{
    json_t *err, *arr, *res;
    const json_t *fn;

    (void)n;
    if (!coll_and_fn(a, to_array, &arr, &fn, &err))
        return err;
    res = json_array();
    for (size_t i = 0; res != NULL && i < json_array_size(arr); i++) {
        json_t *item = json_array_get(arr, i);
        json_t *keep = call_fn(env, fn, &item, 1);
        bool t = false;

        err = keep ? exprf_to_bool(keep, &t) : NULL;
        json_decref(keep);
        if (keep == NULL || err != NULL) {
            json_decref(res);
            res = err;
            break;
        }
        if (t && json_array_append(res, item) != 0) {
            json_decref(res);
            res = NULL;
        }
    }
    json_decref(arr);
    return res;
}

/*
 * Calls fn with item and the extra arguments a[2..n): a new value (maybe
 * an error value), NULL when out of memory.
 */
static json_t *
apply_with(const struct expr_env *env, const json_t *fn, json_t *item,
           json_t *const *a, size_t n)
{
    json_t *args[64];
    size_t k = 0;

    args[k++] = item;
    for (size_t i = 2; i < n && k < sizeof(args) / sizeof(args[0]); i++)
        args[k++] = a[i];
    return call_fn(env, fn, args, k);
}

json_t *
exprf_foreach(const struct expr_env *env, json_t *const *a, size_t n)
{
    json_t *err, *arr, *res;
    const json_t *fn;

    if (!coll_and_fn(a, to_array, &arr, &fn, &err))
        return err;
    res = json_array();
    for (size_t i = 0; res != NULL && i < json_array_size(arr); i++) {
        json_t *v = apply_with(env, fn, json_array_get(arr, i), a, n);

        if (v == NULL || xval_is_error(v)) {
            json_decref(res);
            res = v;
            break;
        }
        if (json_array_append_new(res, v) != 0) {
            json_decref(res);
            res = NULL;
        }
    }
    json_decref(arr);
    return res;
}

json_t *
exprf_foreach_value(const struct expr_env *env, json_t *const *a, size_t n)
{
    json_t *err, *obj, *res;
    const json_t *fn;
    const char **keys;
    size_t count;
    bool oom;

    if (!coll_and_fn(a, to_object, &obj, &fn, &err))
        return err;
    keys = sorted_keys(obj, &count, &oom);
    res = oom ? NULL : json_object();
    for (size_t i = 0; res != NULL && i < count; i++) {
        json_t *v = apply_with(env, fn, json_object_get(obj, keys[i]), a, n);

        if (v == NULL || xval_is_error(v)) {
            json_decref(res);
            res = v;
            break;
        }
        if (json_object_set_new(res, keys[i], v) != 0) {
            json_decref(res);
            res = NULL;
        }
    }
    free(keys);
    json_decref(obj);
    return res;
}
