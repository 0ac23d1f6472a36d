/*
 * expr_int.h - private to the expression language: what the evaluator
 * (expr.c) and the built-in functions (expr_funcs.c, expr_fn_*.c) both
 * use: the function table's entry points (expr_funcs.c), the value
 * conversions and function values (expr_conv.c). It names struct expr_env only
 * by pointer and does not include expr.h, so that expr.c and the functions'
 * header do not include each other. Pure; any thread.
 */
#ifndef SK_EXPR_INT_H
#define SK_EXPR_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct expr_env;

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

/*
 * Out of memory where only a value can be returned (the conversions
 * above): an error value marked as such. The evaluator never lets one
 * through as a flow error: a function result or an expression that is one
 * becomes NULL (out of memory), so the engine fails the step. NULL when
 * even it cannot be made, which means the same.
 */
json_t *exprf_oom(void);
bool exprf_is_oom(const json_t *v);

/* The error value "unable to convert DESCRIBED to what" for v. */
json_t *exprf_convert_error(const json_t *v, const char *what);

/* How goflow names a value in messages: "foo" quoted, numbers as is. */
char *exprf_describe(const json_t *v);

/* Case-insensitive property of an object ("__" keys hidden), or NULL. */
json_t *exprf_get(const json_t *obj, const char *key);

/*
 * Function values (goflow's XFunction), as passed to filter() and
 * foreach(): an object {"__func__": NAME} for a built-in or a router test
 * (rendered as its name), or an anonymous function "(x) => x + 1" with
 * "__func__": "" and its parameters, body source and captured arguments
 * (rendered as "<anon>"). The evaluator (expr.c) makes them, and calls one
 * for a built-in through expr_env.apply, which it sets before each call:
 * the functions never call the evaluator by name.
 */
bool exprf_is_function(const json_t *v);

/* The argument counts of the built-in NAME (lower case): *max is -1 when
 * there is no upper bound. False when there is no such built-in. */
bool exprf_arity(const char *name, int *min, int *max);

/* Whether NAME (lower case) is a built-in function. */
bool exprf_is_builtin(const char *name);

/* goflow's equality of two values (same type and value). */
bool exprf_equals(const json_t *a, const json_t *b);

#endif
