/*
 * rtest.h - the router tests of the flow spec (has_text, has_number_between,
 * has_any_word, ...) with goflow's semantics. Pure; any thread.
 *
 * A test takes its operand and arguments as values (see xval.h) and
 * returns a value:
 *   - no match:   false
 *   - match:      {"__default__": true, "match": VALUE, "extra": {...}}
 *                 ("extra" only when the test has one, e.g. has_pattern's
 *                 groups); VALUE is what goflow returns as the match
 *   - bad call:   an error value (wrong argument count, bad pattern, ...)
 * The router uses "match" as the category's input value.
 */
#ifndef SK_RTEST_H
#define SK_RTEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct rtest_env {
    int64_t now_ms;          /* unix milliseconds, for dates */
    const char *timezone;    /* IANA name; NULL means UTC */
    const char *date_format; /* "DD-MM-YYYY" (default) or "MM-DD-YYYY" */
    const char *country;     /* ISO 3166 alpha-2 for has_phone; may be NULL */
    const char *collation;   /* "default" or "arabic_variants"; NULL default */
    const char *tz_rule;     /* POSIX TZ rule of timezone, or NULL (tz.h) */
};

/*
 * Dates (has_date*, has_time) are read and compared in the env's zone: the
 * zone database is not read here (no I/O), so a zone with daylight saving
 * time needs its POSIX TZ rule in tz_rule (see tz.h); without one, UTC,
 * fixed offsets ("+03:00", "UTC+3", "Etc/GMT-3") and a built-in table of
 * zones without DST (Africa/Kigali, Africa/Nairobi, ...) are known by
 * name, and any other name is taken as UTC.
 */

/* Whether name is a router test this build supports. */
bool rtest_known(const char *name);

/* The argument counts of test name, the operand included; false when
 * there is no such test. */
bool rtest_arity(const char *name, int *min, int *max);

/*
 * Runs test name on args[0] (the operand) with args[1..nargs-1]. env may be
 * NULL (defaults). Returns 0 and a new reference in *result, or SK_ENOENT
 * for an unknown test (nothing set). Usable as an expr_call_fn via
 * rtest_expr_call(), with a struct rtest_env * as arg.
 */
int rtest_call(const char *name, json_t *const *args, size_t nargs,
               const struct rtest_env *env, json_t **result);
int rtest_expr_call(void *env, const char *name, json_t *const *args,
                    size_t nargs, json_t **result);

#endif
