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

#endif
