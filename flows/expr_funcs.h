/*
 * expr_funcs.h - private to the expression language's functions
 * (expr_funcs.c and expr_fn_*.c): the built-in functions and the date and
 * time helpers they share, beside what expr_int.h gives the evaluator too.
 * Pure; any thread.
 */
#ifndef SK_EXPR_FUNCS_H
#define SK_EXPR_FUNCS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "expr.h"
#include "expr_int.h"
#include "utf8.h"

/* ---------------------------------------------------------------------
 * Dates and times, shared by expr_funcs.c and expr_fn_time.c (expr_dt.c)
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

/* t set to the UTC wall clock of the instant secs (off 0, has_time);
 * the day of the week of t's date, 0 for Sunday. */
void exprf_dt_from_epoch(int64_t secs, int us, struct exprf_dt *t);
int exprf_dt_weekday(const struct exprf_dt *t);

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
 * allow_time), or an error value; NULL when out of memory. */
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
json_t *exprf_concat(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_sort(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_sum(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_unique(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_filter(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_foreach(const struct expr_env *env, json_t *const *a, size_t n);
json_t *exprf_foreach_value(const struct expr_env *env, json_t *const *a,
                            size_t n);

#endif
