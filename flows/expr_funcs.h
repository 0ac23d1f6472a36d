/*
 * expr_funcs.h - private to the expression language (expr.c and
 * expr_funcs.c): the built-in functions and the value conversions they and
 * the operators share. Pure; any thread.
 */
#ifndef SK_EXPR_FUNCS_H
#define SK_EXPR_FUNCS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "expr.h"
#include "utf8.h"

/* Longest text an operator or function may build (bytes). */
#define EXPR_MAX_TEXT (1024 * 1024)

/*
 * Calls the built-in function NAME (lower case). Returns a new value (maybe
 * an error value) and sets *found; *found is false when there is no such
 * built-in. NULL only when out of memory.
 */
json_t *exprf_call(const struct expr_env *env, const char *name,
                   json_t *const *args, size_t nargs, bool *found);

/*
 * Conversions as goflow does them. Each returns NULL on success, or a new
 * error value (the argument's own error, or "unable to convert ...").
 */
json_t *exprf_to_number(const json_t *v, double *out);
json_t *exprf_to_int(const json_t *v, long long *out);
json_t *exprf_to_text(const json_t *v, char **out); /* *out malloc'd */
json_t *exprf_to_bool(const json_t *v, bool *out);

/* How goflow names a value in messages: "foo" quoted, numbers as is. */
char *exprf_describe(const json_t *v);

/* Case-insensitive property of an object ("__" keys hidden), or NULL. */
json_t *exprf_get(const json_t *obj, const char *key);

/* ---------------------------------------------------------------------
 * Dates and times, shared by expr_funcs.c and expr_fn_time.c
 */

/* Where a datetime's offset came from, which tz() names. */
enum exprf_zone {
    EXPRF_ZONE_ENV,  /* none given: the env's zone */
    EXPRF_ZONE_UTC,  /* "Z" */
    EXPRF_ZONE_FIXED /* a numeric offset */
};

/* A wall-clock time at off seconds east of UTC. */
struct exprf_dt {
    int y, mo, d, h, mi, s, us;
    int off;
    bool has_time;
    enum exprf_zone zone;
};

/* v as a datetime (its text parsed as goflow does: an ISO datetime keeps
 * its offset, other text is read in the env's zone and date format), or
 * NULL; else a new error value that names what. */
json_t *exprf_to_dt(const struct expr_env *env, const json_t *v,
                    struct exprf_dt *t, const char *what);

/* t as a datetime value ("2018-04-11T13:24:30.123456-05:00") or, without
 * with_time, a date ("2018-04-11"). */
json_t *exprf_dt_value(const struct exprf_dt *t, bool with_time);

/* Seconds since the epoch of t; t moved to the env's zone at instant secs;
 * the env's offset at the instant utc. */
int64_t exprf_dt_epoch(const struct exprf_dt *t);
void exprf_dt_in_env(const struct expr_env *env, int64_t secs, int us,
                     struct exprf_dt *t);
int exprf_env_offset(const struct expr_env *env, int64_t utc);

/* The zone called name: 0 with *rule set for tz_offset() (NULL: by name),
 * or -1 when unknown. UTC (also ""), the env's zone, env->zone_rule, then
 * the names tz.h knows. */
int exprf_zone_lookup(const struct expr_env *env, const char *name,
                      const char **rule);

/* What a layout may hold: goflow's date, time and zone sequences. */
enum { EXPRF_LAYOUT_DATE = 1, EXPRF_LAYOUT_TIME = 2, EXPRF_LAYOUT_ZONE = 4 };

/* NULL when layout holds only the sequences types allows (when parsing,
 * only those that parse) and " :/.,T-_", else goflow's error value. */
json_t *exprf_layout_check(const char *layout, int types, bool parsing);

/* t formatted with goflow's layout letters (date ones only without
 * allow_time), or an error value. */
json_t *exprf_format_dt(const struct exprf_dt *t, const char *fmt,
                        bool allow_time);

/* The functions of expr_fn_time.c (see goflow's documentation). */
json_t *exprf_time(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_time_from_parts(const struct expr_env *env, json_t *const *a,
                              size_t n);
json_t *exprf_date_from_parts(const struct expr_env *env, json_t *const *a,
                              size_t n);
json_t *exprf_week_number(const struct expr_env *env, json_t *const *a,
                          size_t n);
json_t *exprf_tz(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_tz_offset(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_replace_time(const struct expr_env *env, json_t *const *a,
                           size_t n);
json_t *exprf_format_time(const struct expr_env *env, json_t *const *a,
                          size_t n);
json_t *exprf_parse_datetime(const struct expr_env *env, json_t *const *a,
                             size_t n);
json_t *exprf_parse_time(const struct expr_env *env, json_t *const *a,
                         size_t n);
/*
 * Function values (goflow's XFunction), as passed to filter() and
 * foreach(): an object {"__func__": NAME} for a built-in or a router test
 * (rendered as its name), or an anonymous function "(x) => x + 1" with
 * "__func__": "" and its parameters, body source and captured arguments
 * (rendered as "<anon>"). exprf_apply() calls one; expr.c defines them.
 */
bool exprf_is_function(const json_t *v);
json_t *exprf_apply(const struct expr_env *env, const json_t *fn,
                    json_t *const *args, size_t n);

/* The argument counts of the built-in NAME (lower case): *max is -1 when
 * there is no upper bound. False when there is no such built-in. */
bool exprf_arity(const char *name, int *min, int *max);

/* Whether NAME (lower case) is a built-in function. */
bool exprf_is_builtin(const char *name);

/* goflow's equality of two values (same type and value). */
bool exprf_equals(const json_t *a, const json_t *b);

/*
 * Built-in functions defined beside expr_funcs.c, each called with its
 * argument count already checked against the funcs[] table.
 * expr_fn_text.c: text, encoded text, JSON, formatting and randomness.
 */
json_t *exprf_clean(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_html_decode(const struct expr_env *env, json_t *const *a,
                          size_t n);
json_t *exprf_regex_match(const struct expr_env *env, json_t *const *a,
                          size_t n);
json_t *exprf_text_compare(const struct expr_env *env, json_t *const *a,
                           size_t n);
json_t *exprf_read_chars(const struct expr_env *env, json_t *const *a,
                         size_t n);
json_t *exprf_format_location(const struct expr_env *env, json_t *const *a,
                              size_t n);
json_t *exprf_urn_parts(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_format_urn(const struct expr_env *env, json_t *const *a,
                         size_t n);
json_t *exprf_attachment_parts(const struct expr_env *env, json_t *const *a,
                               size_t n);
json_t *exprf_json(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_parse_json(const struct expr_env *env, json_t *const *a,
                         size_t n);
json_t *exprf_format(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_rand(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_rand_between(const struct expr_env *env, json_t *const *a,
                           size_t n);
/* expr_fn_coll.c: arrays, objects and functions over them. */
json_t *exprf_object(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_keys(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_extract(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_extract_object(const struct expr_env *env, json_t *const *a,
                             size_t n);
json_t *exprf_slice(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_contains(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_reverse(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_sort(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_sum(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_unique(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_filter(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_foreach(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_foreach_value(const struct expr_env *env, json_t *const *a,
                            size_t n);

#endif
