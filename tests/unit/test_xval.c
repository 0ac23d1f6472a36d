/*
 * test_xval.c - expression values: rendering, truthiness, numbers.
 */
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "xval.h"

static void
assert_text(json_t *v, const char *want)
{
    char *s = xval_to_text(v);

    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
    json_decref(v);
}

static void
test_render(void **state)
{
    (void)state;
    assert_text(json_string("hi"), "hi");
    assert_text(json_integer(42), "42");
    assert_text(json_real(2.5), "2.5");
    assert_text(json_real(3.0), "3");
    assert_text(json_real(-0.125), "-0.125");
    assert_text(json_true(), "true");
    assert_text(json_null(), "");
    assert_text(json_pack("{s:s,s:s}", "__default__", "yes", "x", "y"), "yes");
    assert_text(xval_error("boom %d", 1), "");
    /* containers as goflow writes them, not as JSON */
    assert_text(json_pack("[i,s,b,n]", 1, "a", 1), "[1, a, true, ]");
    assert_text(
        json_pack("{s:i,s:s,s:s}", "foo", 1, "bar", "x", "__hidden", "h"),
        "{bar: x, foo: 1}");
    assert_text(json_pack("{s:[f,{s:s}],s:{s:s,s:s}}", "b", 2.5, "z", "q", "a",
                          "__default__", "dflt", "k", "v"),
                "{a: dflt, b: [2.5, {z: q}]}");
    assert_text(json_array(), "[]");
    assert_text(json_object(), "{}");
}

static void
test_errors_and_truth(void **state)
{
    json_t *e = xval_error("bad %s", "thing");

    (void)state;
    assert_true(xval_is_error(e));
    assert_string_equal(xval_error_msg(e), "bad thing");
    assert_false(xval_truthy(e));
    json_decref(e);
    e = json_string("");
    assert_false(xval_truthy(e));
    json_decref(e);
    e = json_pack("{s:b}", "__default__", 1);
    assert_true(xval_truthy(e));
    json_decref(e);
}

static void
test_numbers(void **state)
{
    double d;

    (void)state;
    assert_int_equal(xval_parse_number(" 12.5 ", &d), 0);
    assert_true(d == 12.5);
    assert_int_equal(xval_parse_number("-3", &d), 0);
    assert_true(d == -3);
    assert_int_not_equal(xval_parse_number("1e5", &d), 0);
    assert_int_not_equal(xval_parse_number("0x10", &d), 0);
    assert_int_not_equal(xval_parse_number("abc", &d), 0);
    assert_int_not_equal(xval_parse_number("", &d), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_errors_and_truth),
        cmocka_unit_test(test_numbers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
