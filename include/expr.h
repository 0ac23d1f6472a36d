/*
 * expr.h - the RapidPro/goflow expression language. Pure; any thread.
 *
 * A template is text with "@path.to.value" references and "@(expression)"
 * blocks; "@@" is a literal "@". References are looked up in a context
 * object (see xval.h for __default__ and errors), for example:
 *   {"input":   {"__default__": <text>, "text": "yes"},
 *    "results": {"feel_safe": {"__default__": <value>, "value": "yes",
 *                              "category": "Yes", "name": "Feel Safe"}},
 *    "contact": {"language": "fra", "fields": {...}},
 *    "fields":  {...}, "run": {...}, "flow": {...}}
 * Keys are matched case-insensitively as in goflow (results are keyed by
 * their snaked name: "Feel Safe" -> "feel_safe").
 */
#ifndef SK_EXPR_H
#define SK_EXPR_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"

/*
 * Functions the expression language does not define itself (the router
 * tests) are passed to call(). It returns 0 and sets *result (a new
 * reference, maybe an error value), or SK_ENOENT for an unknown name.
 */
typedef int (*expr_call_fn)(void *arg, const char *name, json_t *const *args,
                            size_t nargs, json_t **result);

struct expr_env {
    const json_t *context; /* root object; borrowed */
    expr_call_fn call;     /* may be NULL */
    void *call_arg;
    int64_t now_ms;          /* for now() and today(); unix milliseconds */
    const char *timezone;    /* IANA name; NULL means UTC (see tz.h) */
    const char *date_format; /* "DD-MM-YYYY" (default) or "MM-DD-YYYY" */
    const char *tz_rule;     /* POSIX TZ rule of timezone, or NULL (tz.h) */
    /* The POSIX TZ rule of another zone given by name (format_datetime,
     * parse_datetime), borrowed for the call, or NULL when unknown. NULL
     * leaves only UTC, the env's zone and the names tz.h knows. */
    const char *(*zone_rule)(void *arg, const char *name);
    void *zone_arg;
    /* rand() and rand_between() draw from this state (splitmix64) and
     * advance it, so a given seed repeats; NULL makes them an error. */
    uint64_t *rand_state;
    int depth; /* nesting of anonymous function calls; leave 0 */
    /* Set by the evaluator before it calls a built-in function; leave
     * NULL. How filter() and foreach() call a function value: a new value
     * (maybe an error value), NULL only when out of memory. */
    json_t *(*apply)(const struct expr_env *env, const json_t *fn,
                     json_t *const *args, size_t n);
};

/*
 * Dates and times are read and shown in the env's zone, as goflow does:
 * now() is "2018-04-11T13:24:30.123000-05:00" in America/Guayaquil, a
 * date or time without an offset is taken in the zone, and today(),
 * format_date() and format_datetime() use its wall clock. A zone with
 * daylight saving time needs its rule in tz_rule; see tz.h for the names
 * known without one.
 */

/*
 * Evaluates a template into a malloc'd string. Errors inside @(...) render
 * as "" and the first error message is written to err (may be NULL).
 * Returns NULL only when out of memory.
 */
char *expr_template(const struct expr_env *env, const char *tpl,
                    char err[SK_ERR_LEN]);

/*
 * Like expr_template, but a template that is a single @path or @(...)
 * (surrounding spaces allowed) gives that value itself, not its text: a
 * number stays a number, an error stays an error value (its message also
 * goes to err). Any other template gives its text as a string value.
 * NULL only when out of memory.
 */
json_t *expr_template_value(const struct expr_env *env, const char *tpl,
                            char err[SK_ERR_LEN]);

/*
 * Evaluates one expression (the text inside @(...), no leading @) and
 * returns a new value, which may be an error value. NULL only when out of
 * memory.
 */
json_t *expr_eval(const struct expr_env *env, const char *expr);

/*
 * What expr_check() finds while it reads a template's expressions without
 * evaluating them (either callback may be NULL):
 *   call(arg, name, nargs): a call of the function NAME (lower case, not an
 *     anonymous function's parameter) with nargs arguments;
 *   ref(arg, parts, n): a context path such as results.age.value, as its
 *     first n (1 to 3) parts, lower case ("results", "age", "value").
 */
struct expr_check_fns {
    void (*call)(void *arg, const char *name, size_t nargs);
    void (*ref)(void *arg, const char *const *parts, size_t n);
};

/*
 * Reads every expression of template tpl as expr_template() would, calling
 * nothing. Returns 0, SK_EINVAL with the first syntax error in err (e.g.
 * "syntax error at end of input in \"@(results.age + )\""; an "@(" never
 * closed, which expr_template() shows as it is, is one too), or SK_ENOMEM.
 * Error values only evaluation would find (a missing key, a bad argument)
 * are not errors here.
 */
int expr_check(const char *tpl, const struct expr_check_fns *fns, void *arg,
               char err[SK_ERR_LEN]);

/* The snaked key goflow uses for a result name: "Feel Safe" -> "feel_safe". */
char *expr_snake(const char *name);

#endif
