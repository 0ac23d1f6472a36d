/*
 * xval.h - values of the flow expression language, held as jansson values.
 *
 * A value is a json_t: string, number (integer or real), boolean, null,
 * array or object. Two conventions sit on top of plain JSON, as in goflow:
 *  - an object with the key "__error__" (a string) is an error value;
 *  - an object with the key "__default__" renders as that member when it is
 *    turned into text (so @results.age renders as its value, @input as its
 *    text). Keys starting "__" are never visible as properties.
 * Pure; any thread.
 */
#ifndef SK_XVAL_H
#define SK_XVAL_H

#include <jansson.h>
#include <stdbool.h>

/* A new error value with a formatted message. NULL only when out of memory. */
json_t *xval_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whether v is an error value; xval_error_msg gives its message or NULL. */
bool xval_is_error(const json_t *v);
const char *xval_error_msg(const json_t *v);

/* The value an object stands for when rendered (its __default__), or v. */
const json_t *xval_resolve(const json_t *v);

/*
 * Renders v as text the way goflow does: strings as they are, integers and
 * decimals without exponent or trailing zeros ("2", "2.5"), booleans as
 * "true"/"false", null and errors as "", objects by their __default__;
 * other containers not as JSON but as goflow writes them: an array as
 * "[1, x, true]", an object as "{bar: x, foo: 1}" (keys sorted, "__" keys
 * hidden), items rendered the same way.
 * Returns a malloc'd string (caller frees), NULL only when out of memory.
 */
char *xval_to_text(const json_t *v);

/* goflow truthiness: "", 0, false, null, empty array/object and errors are
 * false; everything else is true. */
bool xval_truthy(const json_t *v);

/* Parses text as a decimal number (goflow rules: optional sign, digits,
 * optional fraction; surrounding space allowed). 0 on success. */
int xval_parse_number(const char *text, double *out);

/* A number value: integer when d is whole and small enough, else real. */
json_t *xval_number(double d);

#endif
