/*
 * test_expr.c - the expression language: templates, operators, lookups,
 * functions, errors, snake case, and robustness against any input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "err.h"
#include "expr.h"
#include "xval.h"

static const char context_json[] =
    "{\"input\": {\"__default__\": \"yes I do\", \"text\": \"yes I do\"},"
    " \"results\": {"
    "   \"feel_safe\": {\"__default__\": \"yes\", \"value\": \"yes\","
    "                 \"category\": \"Yes\", \"name\": \"Feel Safe\"},"
    "   \"age\": {\"__default__\": \"23\", \"value\": \"23\","
    "           \"category\": \"Valid\"}},"
    " \"contact\": {\"language\": \"fra\", \"name\": \"Ben Haggerty\","
    "             \"fields\": {\"age\": 23}},"
    " \"fields\": {\"age\": 23, \"Gender\": \"F\", \"empty\": null},"
    " \"run\": {\"status\": \"active\"},"
    " \"flow\": {\"name\": \"Wellbeing Check\"},"
    " \"locals\": {\"list\": [\"a\", \"b\", \"c\"], \"n\": 2.5}}";

/* 2019-10-07T15:21:30.123Z, a Monday */
#define NOW_MS 1570461690123LL

/* A stand-in for the router tests, which live in another module. */
static int
fake_call(void *arg, const char *name, json_t *const *args, size_t nargs,
          json_t **result)
{
    int *calls = arg;

    (*calls)++;
    if (strcmp(name, "has_text") == 0 && nargs == 1) {
        const char *s = json_string_value(xval_resolve(args[0]));

        if (s != NULL && s[0] != '\0')
            *result = json_pack("{s:b,s:s}", "__default__", 1, "match", s);
        else
            *result = json_false();
        return 0;
    }
    if (strcmp(name, "has_error") == 0 && nargs == 1) {
        if (xval_is_error(args[0]))
            *result = json_pack("{s:b,s:s}", "__default__", 1, "match",
                                xval_error_msg(args[0]));
        else
            *result = json_false();
        return 0;
    }
    if (strcmp(name, "broken") == 0)
        return SK_EINVAL;
    if (strcmp(name, "fail") == 0) {
        *result = xval_error("boom");
        return 0;
    }
    return SK_ENOENT;
}

struct fixture {
    json_t *context;
    struct expr_env env;
    int calls;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    json_error_t jerr;

    if (f == NULL)
        return -1;
    f->context = json_loads(context_json, 0, &jerr);
    if (f->context == NULL) {
        fprintf(stderr, "context: %s\n", jerr.text);
        free(f);
        return -1;
    }
    f->env.context = f->context;
    f->env.call = fake_call;
    f->env.call_arg = &f->calls;
    f->env.now_ms = NOW_MS;
    f->env.date_format = "DD-MM-YYYY";
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    json_decref(f->context);
    free(f);
    return 0;
}

/* Renders tpl and checks the text and the first error ("" for none). */
static void
check_tpl(const struct expr_env *env, const char *tpl, const char *want,
          const char *want_err)
{
    char err[SK_ERR_LEN] = "";
    char *out = expr_template(env, tpl, err);

    assert_non_null(out);
    if (strcmp(out, want) != 0 || strcmp(err, want_err) != 0)
        fail_msg("template %s: got \"%s\" (err \"%s\"), want \"%s\" "
                 "(err \"%s\")",
                 tpl, out, err, want, want_err);
    free(out);
}

/* Evaluates expr and checks its value rendered as text. */
static void
check_text(const struct expr_env *env, const char *expr, const char *want)
{
    json_t *v = expr_eval(env, expr);
    char *s;

    assert_non_null(v);
    if (xval_is_error(v))
        fail_msg("%s: unexpected error \"%s\"", expr, xval_error_msg(v));
    s = xval_to_text(v);
    assert_non_null(s);
    if (strcmp(s, want) != 0)
        fail_msg("%s: got \"%s\", want \"%s\"", expr, s, want);
    free(s);
    json_decref(v);
}

/* Evaluates expr and checks it is an error (with this message if given). */
static void
check_error(const struct expr_env *env, const char *expr, const char *want)
{
    json_t *v = expr_eval(env, expr);

    assert_non_null(v);
    if (!xval_is_error(v))
        fail_msg("%s: expected an error", expr);
    if (want != NULL && strcmp(xval_error_msg(v), want) != 0)
        fail_msg("%s: got error \"%s\", want \"%s\"", expr, xval_error_msg(v),
                 want);
    json_decref(v);
}

/* Evaluates expr and checks the JSON type and text of the value. */
static void
check_type(const struct expr_env *env, const char *expr, json_type type)
{
    json_t *v = expr_eval(env, expr);

    assert_non_null(v);
    if (json_typeof(v) != type)
        fail_msg("%s: type %d, want %d", expr, json_typeof(v), type);
    json_decref(v);
}

static void
test_template_paths(void **state)
{
    struct fixture *f = *state;
    const struct expr_env *env = &f->env;

    check_tpl(env, "You said @input.text", "You said yes I do", "");
    check_tpl(env, "You said @input", "You said yes I do", "");
    check_tpl(env, "@results.feel_safe", "yes", "");
    check_tpl(env, "@results.feel_safe.category!", "Yes!", "");
    check_tpl(env, "@results.feel_safe.", "yes.", "");
    check_tpl(env, "Age @fields.age. Next", "Age 23. Next", "");
    check_tpl(env, "@contact.language/@run.status/@flow.name",
              "fra/active/Wellbeing Check", "");
    check_tpl(env, "@CONTACT.Language", "fra", "");
    check_tpl(env, "@fields.gender", "F", "");
    check_tpl(env, "mail me@example.org now", "mail me@example.org now", "");
    check_tpl(env, "@@contact @@", "@contact @", "");
    check_tpl(env, "50 @ 2 @", "50 @ 2 @", "");
    check_tpl(env, "@ @!", "@ @!", "");
    check_tpl(env, "", "", "");
    check_tpl(env, "no refs at all", "no refs at all", "");
    check_tpl(env, "caf\xc3\xa9 @flow.name", "caf\xc3\xa9 Wellbeing Check", "");
    check_tpl(env, "@fields.empty|", "|", "");
    check_tpl(env, "x @contact.nope y", "x  y",
              "object has no property 'nope'");
    /* a known top-level name that the context lacks is an error */
    check_tpl(env, "[@parent.x]", "[]", "context has no property 'parent'");
    /* the first error wins */
    check_tpl(env, "@contact.a @contact.b", " ", "object has no property 'a'");
}

static void
test_template_expressions(void **state)
{
    struct fixture *f = *state;
    const struct expr_env *env = &f->env;

    check_tpl(env, "@(1 + 2) items", "3 items", "");
    check_tpl(env, "@(upper(contact.name))", "BEN HAGGERTY", "");
    check_tpl(env, "@(\"a)b\")", "a)b", "");
    check_tpl(env, "@(\"(\" & \")\")!", "()!", "");
    check_tpl(env, "@((1 + 2) * 3)", "9", "");
    check_tpl(env, "a @(1 / 0) b", "a  b", "division by zero");
    check_tpl(env, "open @(1 + (2", "open @(1 + (2", "");
    check_tpl(env, "open @(\"abc", "open @(\"abc", "");
    check_tpl(env, "bad @(1 +) end", "bad  end",
              "syntax error at end of input");
    check_tpl(env, "@(\"hi\" & \" \" & fields.age)", "hi 23", "");
    /* containers render as goflow renders them, not as JSON */
    check_tpl(env, "@locals.list", "[a, b, c]", "");
    check_tpl(env, "@(array(1, \"x\", true))", "[1, x, true]", "");
    check_tpl(env, "@contact.fields", "{age: 23}", "");
    check_tpl(env, "@results", "{age: 23, feel_safe: yes}", "");
    check_tpl(env, "@(array())", "[]", "");
}

/* Checks expr_template_value: the JSON of the value and the error. */
static void
check_value(const struct expr_env *env, const char *tpl, const char *want,
            const char *want_err)
{
    char err[SK_ERR_LEN] = "";
    json_t *v = expr_template_value(env, tpl, err);
    char *js;

    assert_non_null(v);
    js = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(js);
    if (strcmp(js, want) != 0 || strcmp(err, want_err) != 0)
        fail_msg("value %s: got %s (err \"%s\"), want %s (err \"%s\")", tpl, js,
                 err, want, want_err);
    free(js);
    json_decref(v);
}

static void
test_template_value(void **state)
{
    struct fixture *f = *state;
    const struct expr_env *env = &f->env;

    check_value(env, "@fields.age", "23", "");
    check_value(env, "  @(fields.age + 1) ", "24", "");
    check_value(env, "@(1 = 1)", "true", "");
    check_value(env, "@locals.list", "[\"a\",\"b\",\"c\"]", "");
    check_value(env, "@results.feel_safe.category", "\"Yes\"", "");
    check_value(env, "@fields.age.", "\"23.\"", "");
    check_value(env, "@fields.age years", "\"23 years\"", "");
    check_value(env, "me@example.org", "\"me@example.org\"", "");
    check_value(env, "plain", "\"plain\"", "");
    check_value(env, "", "\"\"", "");
    check_value(env, "@(1 / 0)", "{\"__error__\":\"division by zero\"}",
                "division by zero");
}

static void
test_operators(void **state)
{
    struct fixture *f = *state;
    const struct expr_env *env = &f->env;

    check_text(env, "1 + 2 * 3", "7");
    check_text(env, "(1 + 2) * 3", "9");
    check_text(env, "2 ^ 8", "256");
    check_text(env, "2 ^ 3 ^ 2", "64");
    check_text(env, "-2 ^ 2", "4");
    check_text(env, "7 - 2 - 1", "4");
    check_text(env, "3 / 2", "1.5");
    check_text(env, "4 / 2", "2");
    check_text(env, "1.25 + 1.25", "2.5");
    check_text(env, "-fields.age", "-23");
    check_text(env, "fields.age + 10", "33");
    check_text(env, "\"3\" * \"4\"", "12");
    check_text(env, "results.age.value + 1", "24");
    check_text(env, "results.age + 1", "24");
    check_text(env, "\"hello\" & \" \" & \"bar\"", "hello bar");
    check_text(env, "\"hello\" & null", "hello");
    check_text(env, "1 + 2 & \"x\"", "3x");
    check_text(env, "1 = 1", "true");
    check_text(env, "1 = \"1\"", "true");
    check_text(env, "1.0 = \"1\"", "true");
    check_text(env, "\"hello\" = \"hello\"", "true");
    check_text(env, "\"hello\" = \"Hello\"", "false");
    check_text(env, "\"a\" != \"b\"", "true");
    check_text(env, "2 < 3", "true");
    check_text(env, "3 <= 3", "true");
    check_text(env, "4 > 3", "true");
    check_text(env, "2 >= 3", "false");
    check_text(env, "\"10\" > 9", "true");
    check_text(env, "1 + 1 = 2", "true");
    check_text(env, "TRUE", "true");
    check_text(env, "false", "false");
    check_text(env, "null", "");
    check_text(env, "\"say \\\"hi\\\"\"", "say \"hi\"");
    check_text(env, "\"a\\\\b\"", "a\\b");
    check_type(env, "1 + 1", JSON_INTEGER);
    check_type(env, "1 = 1", JSON_TRUE);
    check_type(env, "\"x\"", JSON_STRING);
    check_error(env, "1 / 0", "division by zero");
    check_error(env, "\"abc\" + 1", "unable to convert \"abc\" to a number");
    check_error(env, "-\"x\"", "unable to convert \"x\" to a number");
    check_error(env, "\"foo\" > \"bar\"", NULL);
    check_error(env, "(1 / 0) & \"x\"", "division by zero");
    check_error(env, "(1 / 0) = 1", "division by zero");
}

static void
test_lookups(void **state)
{
    struct fixture *f = *state;
    const struct expr_env *env = &f->env;

    check_text(env, "contact.fields.age", "23");
    check_text(env, "contact[\"name\"]", "Ben Haggerty");
    check_text(env, "contact[\"NAME\"]", "Ben Haggerty");
    check_text(env, "contact[\"nope\"]", "");
    check_text(env, "locals.list[0]", "a");
    check_text(env, "locals.list[-1]", "c");
    check_text(env, "locals.list[\"1\"]", "b");
    check_text(env, "locals.list.2", "c");
    check_text(env, "locals.list", "[a, b, c]");
    check_text(env, "results.feel_safe.name", "Feel Safe");
    check_text(env, "RESULTS.Feel_Safe.Category", "Yes");
    check_text(env, "has_text(\"x\").match", "x");
    check_text(env, "has_text(input.text).match", "yes I do");
    check_error(env, "contact.nope", "object has no property 'nope'");
    check_error(env, "contact.nope.deeper", "object has no property 'nope'");
    check_error(env, "contact.name.first",
                "\"Ben Haggerty\" doesn't support lookups");
    check_error(env, "locals.list[3]", "index 3 out of range for 3 items");
    check_error(env, "locals.list[\"x\"]",
                "unable to convert \"x\" to a number");
    check_error(env, "xxxxx", "context has no property 'xxxxx'");
    /* "__" keys are never properties */
    check_error(env, "results.feel_safe.__default__", NULL);
}

static void
test_calls(void **state)
{
    struct fixture *f = *state;
    const struct expr_env *env = &f->env;
    struct expr_env bare = f->env;

    f->calls = 0;
    check_text(env, "has_text(\"hi\")", "true");
    check_text(env, "HAS_TEXT(\"hi\").match", "hi");
    assert_int_equal(f->calls, 2);
    /* errors reach the router tests as values */
    check_text(env, "has_error(1 / 0).match", "division by zero");
    check_text(env, "has_error(contact.x).match", "object has no property 'x'");
    check_error(env, "fail()", "error calling fail(...): boom");
    check_error(env, "nosuch(1)", "unknown function: nosuch");
    check_error(env, "broken()", "error calling broken(...): EINVAL");
    bare.call = NULL;
    check_error(&bare, "has_text(\"x\")", "unknown function: has_text");
    check_error(env, "upper(1, 2)",
                "error calling upper(...): need 1 argument(s), got 2");
    check_error(env, "upper(1 / 0)",
                "error calling upper(...): division by zero");
}

static void
test_text_functions(void **state)
{
    struct fixture *f = *state;
    const struct expr_env *env = &f->env;

    check_text(env, "upper(\"Asdf\")", "ASDF");
    check_text(env, "upper(123)", "123");
    check_text(env, "lower(\"HellO\")", "hello");
    check_text(env, "upper(\"\xc3\xa9t\xc3\xa9\")", "\xc3\x89T\xc3\x89");
    check_text(env,
               "lower(\"\xc3\x89"
               "COLE\")",
               "\xc3\xa9"
               "cole");
    check_text(env, "title(\"ryan lewis\")", "Ryan Lewis");
    check_text(env, "title(\"RYAN LEWIS\")", "Ryan Lewis");
    check_text(env, "title(\"\xc3\xa9mile zola\")", "\xc3\x89mile Zola");
    check_text(env, "title(123)", "123");
    check_text(env, "text_length(\"abc\")", "3");
    check_text(env, "text_length(\"\xc3\xa9t\xc3\xa9\")", "3");
    check_text(env, "word(\"bee cat dog\", 0)", "bee");
    check_text(env, "word(\"bee.cat,dog\", 1)", "cat");
    check_text(env, "word(\"bee.cat,dog\", -1)", "dog");
    check_text(env, "word(\"bee.*cat,dog\", 1, \".*=|\")", "cat,dog");
    check_text(env, "word(\"O'Grady O'Flaggerty\", 1, \" \")", "O'Flaggerty");
    check_error(env, "word(\"a b\", 2)",
                "error calling word(...): index 2 is out of range for the "
                "number of words 2");
    check_text(env, "word_count(\"foo bar\")", "2");
    check_text(env, "word_count(10)", "1");
    check_text(env, "word_count(\"\")", "0");
    check_text(env,
               "word_count(\"\xf0\x9f\x98\x80\xf0\x9f\x98\x83\xf0\x9f\x98\x84"
               "\")",
               "3");
    check_text(env, "word_count(\"bee.*cat,dog\", \".*=|\")", "2");
    check_text(env, "word_count(\"I'm $5+\")", "4");
    check_text(env, "word(\"I'm $5+\", 0)", "I'm");
    check_text(env, "word(\"I'm $5+\", -1)", "+");
    check_text(env, "word_slice(\"bee cat dog\", 0, 1)", "bee");
    check_text(env, "word_slice(\"bee cat dog\", 0, 2)", "bee cat");
    check_text(env, "word_slice(\"bee cat dog\", 1, -1)", "cat dog");
    check_text(env, "word_slice(\"bee cat dog\", 1)", "cat dog");
    check_text(env, "word_slice(\"bee cat dog\", 3, 10)", "");
    check_text(env, "word_slice(\"bee.*cat,dog\", 1, -1, \".*=|,\")",
               "cat dog");
    check_error(env, "word_slice(\"a b\", -1)", NULL);
    check_text(env, "remove_first_word(\"foo bar\")", "bar");
    check_text(env, "remove_first_word(\"Hi there. I'm a flow!\")",
               "there. I'm a flow!");
    check_text(env, "field(\"a,b,c\", 1, \",\")", "b");
    check_text(env, "field(\"a,,b,c\", 1, \",\")", "");
    check_text(env, "field(\"a   b c\", 1, \" \")", "b");
    check_text(env, "field(\"a,b\", 5, \",\")", "");
    check_error(env, "field(\"a,b,c\", \"foo\", \",\")", NULL);
    check_error(env, "field(\"a,b,c\", -1, \",\")", NULL);
    check_text(env, "replace(\"foo bar foo\", \"foo\", \"zap\")",
               "zap bar zap");
    check_text(env, "replace(\"foo bar foo\", \"foo\", \"zap\", 1)",
               "zap bar foo");
    check_text(env, "replace(\"foo bar\", \"baz\", \"zap\")", "foo bar");
    check_text(env, "replace(\"ab\", \"\", \"-\")", "-a-b-");
    check_text(env, "trim(\"  hi there \")", "hi there");
    check_text(env, "trim(\"**hi**\", \"*\")", "hi");
    check_text(env, "trim_left(\"  hi \")", "hi ");
    check_text(env, "trim_right(\"  hi \")", "  hi");
    check_text(env, "left(\"hello\", 2)", "he");
    check_text(env, "right(\"hello\", 3)", "llo");
    check_text(env, "mid(\"hello\", 2, 3)", "ell");
    check_text(env, "left(\"h\xc3\xa9llo\", 2)", "h\xc3\xa9");
    check_text(env, "text_slice(\"hello\", 2)", "llo");
    check_text(env, "text_slice(\"hello\", 1, 3)", "el");
    check_text(env, "text_slice(\"hello\", -3, -1)", "ll");
    check_text(env, "text_slice(\"hello\", 7)", "");
    check_text(env, "join(split(\"a.b.c\", \".\"), \" \")", "a b c");
    check_text(env, "join(locals.list, \"|\")", "a|b|c");
    check_text(env, "count(split(\"a|b,c  d\", \" .|,\"))", "4");
    check_text(env, "split(\"a.b.c.\", \".\")[2]", "c");
    check_text(env, "join(split(\"a  b\"), \"+\")", "a+b");
    check_text(env, "repeat(\"*\", 3)", "***");
    check_text(env, "code(\"a\")", "97");
    check_text(env, "char(33)", "!");
    check_text(env, "url_encode(\"two & words\")", "two%20%26%20words");
    check_text(env, "percent(0.54234)", "54%");
    check_text(env, "percent(1.2)", "120%");
    check_error(env, "percent(\"foo\")", NULL);
    check_text(env, "format_number(31337)", "31,337"); /* as goflow */
    check_text(env, "format_number(31337, 0, false)", "31337");
    check_text(env, "format_number(-1234567.891, 1)", "-1,234,567.9");
    check_text(env, "format_number(12.5, 0)", "13");
}

/* concat() joins exactly two arrays, as goflow's; html_decode() knows
 * every HTML5 named reference, read as Go's html package reads them. */
static void
test_concat_and_html_decode(void **state)
{
    struct fixture *f = *state;
    const struct expr_env *env = &f->env;

    check_text(env, "concat(array(\"a\", \"b\"), array(\"c\", \"d\"))",
               "[a, b, c, d]");
    check_text(env, "unique(concat(array(1, 2, 3), array(3, 4)))",
               "[1, 2, 3, 4]");
    check_text(env, "concat(array(1), null)", "[1]");
    check_error(env, "concat(\"a\", 1, true)",
                "error calling concat(...): need 2 argument(s), got 3");
    check_error(env, "concat(array(1))",
                "error calling concat(...): need 2 argument(s), got 1");
    check_error(env, "concat(\"a\", array(1))",
                "error calling concat(...): unable to convert \"a\" to an "
                "array");
    check_error(env, "concat(array(1), 1 / 0)", NULL);

    check_text(env, "html_decode(\"Red &amp; Blue\")", "Red & Blue");
    check_text(env, "html_decode(\"5 + 10\")", "5 + 10");
    check_text(env, "html_decode(\"&Aacute;frica &hearts; &ZeroWidthSpace;\")",
               "\xc3\x81"
               "frica \xe2\x99\xa5 \xe2\x80\x8b");
    /* two code points */
    check_text(env, "html_decode(\"&NotEqualTilde; &fjlig;\")",
               "\xe2\x89\x82\xcc\xb8 fj");
    /* the legacy names also without ';', the longest that fits */
    check_text(env, "html_decode(\"&amp &ampx &lt3 &notit;\")",
               "& &x <3 \xc2\xac"
               "it;");
    /* a name HTML5 does not have stays as it is */
    check_text(env, "html_decode(\"&bogus; &Amp; & &;\")",
               "&bogus; &Amp; & &;");
    check_text(env, "html_decode(\"&#65;&#x42;&#0;\")", "AB\xef\xbf\xbd");
    check_text(env, "html_decode(\"a&nbsp;b\")", "a b");
}

static void
test_logic_and_numbers(void **state)
{
    struct fixture *f = *state;
    const struct expr_env *env = &f->env;

    check_text(env, "if(1 = 1, \"foo\", \"bar\")", "foo");
    check_text(env, "if(\"\", \"foo\", \"bar\")", "bar");
    check_text(env, "if(\"FALSE\", \"foo\", \"bar\")", "bar");
    check_error(env, "if(\"foo\" > \"bar\", \"foo\", \"bar\")", NULL);
    check_text(env, "and(true, 1, \"x\")", "true");
    check_text(env, "and(true, false, true)", "false");
    check_text(env, "or(false, 0, \"\")", "false");
    check_text(env, "or(false, \"x\")", "true");
    check_text(env, "not(false)", "true");
    check_text(env, "not(\"x\")", "false");
    check_text(env, "default(undeclared.var, \"default\")", "default");
    check_text(env, "default(contact.name, \"x\")", "Ben Haggerty");
    check_text(env, "default(fields.empty, \"none\")", "none");
    check_text(env, "default(\"\", \"none\")", "none");
    check_text(env, "default(1 / 0, \"oops\")", "oops");
    check_text(env, "round(12)", "12");
    check_text(env, "round(12.141)", "12");
    check_text(env, "round(12.6)", "13");
    check_text(env, "round(12.141, 2)", "12.14");
    check_text(env, "round(12.146, 2)", "12.15");
    check_text(env, "round(12.146, -1)", "10");
    check_text(env, "round(2.675, 2)", "2.68");
    check_text(env, "round(-2.5)", "-3");
    check_error(env, "round(\"notnum\", 2)", NULL);
    check_text(env, "round_up(12.141)", "13");
    check_text(env, "round_up(12)", "12");
    check_text(env, "round_up(12.141, 2)", "12.15");
    check_text(env, "round_down(12.6)", "12");
    check_text(env, "round_down(12.146, 2)", "12.14");
    check_text(env, "abs(-10)", "10");
    check_text(env, "abs(10.5)", "10.5");
    check_text(env, "max(1, -1, 10)", "10");
    check_text(env, "min(2, 2, -10)", "-10");
    check_text(env, "max(\"3\", 2)", "3");
    check_error(env, "max(1, 10, \"foo\")", NULL);
    check_text(env, "mean(1, 2, 6)", "3");
    check_text(env, "mod(5, 2)", "1");
    check_text(env, "text(3 = 3)", "true");
    check_type(env, "text(12)", JSON_STRING);
    check_text(env, "number(\"123.45000\")", "123.45");
    check_type(env, "number(\"12\")", JSON_INTEGER);
    check_error(env, "number(\"what?\")",
                "error calling number(...): unable to convert \"what?\" to a "
                "number");
    check_text(env, "boolean(\"FALSE\")", "false");
    check_text(env, "boolean(locals.list)", "true");
    check_text(env, "count(locals.list)", "3");
    check_text(env, "count(contact)", "3");
    check_text(env, "length(\"abc\")", "3");
    check_text(env, "length(locals.list)", "3");
    check_text(env, "is_error(1 / 0)", "true");
    check_text(env, "locals.n * 2", "5");
    check_error(env, "word(\"a b\", 3000000000)",
                "error calling word(...): number value 3000000000 is out of "
                "range for an integer");
}

static void
test_dates(void **state)
{
    struct fixture *f = *state;
    struct expr_env us = f->env;
    const struct expr_env *env = &f->env;

    check_text(env, "now()", "2019-10-07T15:21:30.123000Z");
    check_text(env, "today()", "2019-10-07");
    check_text(env, "datetime(\"1979-07-18\")", "1979-07-18T00:00:00.000000Z");
    check_text(env, "datetime(\"1979-07-18T10:30:45.123456Z\")",
               "1979-07-18T10:30:45.123456Z");
    check_text(env, "datetime(\"2019-01-01T01:00:00+02:00\")",
               "2019-01-01T01:00:00.000000+02:00");
    check_text(env, "datetime(\"10/05/2010\")", "2010-05-10T00:00:00.000000Z");
    check_text(env, "datetime(\"10/05/2010 14:30\")",
               "2010-05-10T14:30:00.000000Z");
    check_error(env, "datetime(\"foo\")",
                "error calling datetime(...): unable to convert \"foo\" to a "
                "datetime");
    check_error(env, "datetime(\"31/02/2010\")", NULL);
    check_text(env, "datetime_add(\"2017-01-15\", 5, \"D\")",
               "2017-01-20T00:00:00.000000Z");
    check_text(env, "datetime_add(\"2017-01-15 10:45\", 30, \"m\")",
               "2017-01-15T11:15:00.000000Z");
    check_text(env, "datetime_add(\"2017-01-15\", -2, \"M\")",
               "2016-11-15T00:00:00.000000Z");
    check_text(env, "datetime_add(\"2020-02-29\", 1, \"Y\")",
               "2021-03-01T00:00:00.000000Z");
    check_text(env, "datetime_add(now(), 1, \"W\")",
               "2019-10-14T15:21:30.123000Z");
    check_error(env, "datetime_add(now(), 1, \"x\")", NULL);
    check_text(env, "format_date(\"1979-07-18T15:00:00.000000Z\")",
               "18-07-1979");
    check_text(env, "format_date(\"1979-07-18\", \"YYYY-MM-DD\")",
               "1979-07-18");
    check_text(env, "format_date(today(), \"EEEE, D MMMM YY\")",
               "Monday, 7 October 19");
    check_text(env, "format_datetime(now())", "07-10-2019 15:21");
    check_text(env, "format_datetime(now(), \"YYYY-MM-DDTtt:mm:ss.fffZ\")",
               "2019-10-07T15:21:30.123Z");
    check_text(env, "format_datetime(now(), \"h:mm aa\")", "3:21 pm");
    check_text(env, "format_datetime(now(), \"hh AA ZZZ\", \"UTC\")",
               "03 PM +00:00");
    check_error(env, "format_datetime(now(), \"YYYY qq\")", NULL);
    check_text(env, "weekday(today())", "1");
    check_text(env, "datetime_diff(\"2017-01-15\", \"2017-01-17\", \"D\")",
               "2");
    check_text(env, "datetime_diff(\"2017-01-15\", \"2017-05-15\", \"W\")",
               "17");
    check_text(env, "datetime_diff(\"2017-01-15\", \"2017-05-15\", \"M\")",
               "4");
    check_text(env,
               "datetime_diff(\"2017-01-17 10:50\", \"2017-01-17 12:30\", "
               "\"h\")",
               "1");
    check_text(env, "datetime_diff(\"2017-01-17\", \"2015-12-17\", \"Y\")",
               "-2");
    check_error(env, "datetime_diff(now(), now(), \"q\")", NULL);
    check_text(env, "datetime_from_epoch(1497286619)",
               "2017-06-12T16:56:59.000000Z");
    check_text(env, "datetime_from_epoch(1497286619.5)",
               "2017-06-12T16:56:59.500000Z");
    check_text(env, "epoch(\"1970-01-02\")", "86400");
    us.now_ms = INT64_MIN;
    check_text(&us, "today()", "0001-01-01");
    us.now_ms = INT64_MAX;
    check_text(&us, "today()", "9999-12-31");
    check_text(env, "datetime_from_epoch(-1)", "1969-12-31T23:59:59.000000Z");
    us.now_ms = NOW_MS;
    us.date_format = "MM-DD-YYYY";
    check_text(&us, "format_date(\"1979-07-18\")", "07-18-1979");
    check_text(&us, "datetime(\"10/05/2010\")", "2010-10-05T00:00:00.000000Z");
}

static void
test_snake(void **state)
{
    static const char *const cases[][2] = {
        {"Feel Safe", "feel_safe"},
        {"  Age  ", "age"},
        {"What's your name?", "what_s_your_name"},
        {"Hello__World", "hello__world"},
        {"__x__", "x"},
        {"\xc3\x89t\xc3\xa9 2", "\xc3\xa9t\xc3\xa9_2"},
        {"!!!", ""},
        {"", ""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = expr_snake(cases[i][0]);

        assert_non_null(s);
        if (strcmp(s, cases[i][1]) != 0)
            fail_msg("snake(%s) = %s, want %s", cases[i][0], s, cases[i][1]);
        free(s);
    }
}

/*
 * goflow's documented has_error() examples: the router test is faked, the
 * errors it reports come from this module and must read as goflow's.
 */
static void
test_goflow_examples(void **state)
{
    struct fixture *f = *state;
    const char *dir = getenv("SK_FIXTURES");
    char path[1024], line[1024];
    FILE *fp;
    int checked = 0;

    if (dir == NULL) {
        printf("SK_FIXTURES not set: skipping goflow examples\n");
        skip();
    }
    snprintf(path, sizeof(path), "%s/goflow/router_doc_examples.txt", dir);
    fp = fopen(path, "r");
    if (fp == NULL) {
        printf("%s missing: skipping goflow examples\n", path);
        skip();
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        char *arrow = strstr(line, " -> ");
        char *want;

        if (strncmp(line, "@(has_error(", 12) != 0 || arrow == NULL)
            continue;
        *arrow = '\0';
        want = arrow + 4;
        want[strcspn(want, "\n")] = '\0';
        check_tpl(&f->env, line, want, "");
        checked++;
    }
    fclose(fp);
    assert_true(checked >= 4);
}

/* Evaluating anything must give a value or text, never a crash. */
static void
feed(const struct expr_env *env, const char *s)
{
    char err[SK_ERR_LEN] = "";
    json_t *v = expr_eval(env, s);
    char *out = expr_template(env, s, err);

    assert_non_null(v);
    assert_non_null(out);
    json_decref(v);
    free(out);
}

static void
test_robust(void **state)
{
    struct fixture *f = *state;
    const struct expr_env *env = &f->env;
    static const char *const seeds[] = {
        "@(if(and(1 = 1, \"a\" & \"b\" != \"c\"), upper(contact.name), "
        "word_slice(\"a b c\", 1, -1)))",
        "@(format_datetime(datetime_add(now(), -3, \"D\"), \"YYYY-MM-DD\"))",
        "x @results.feel_safe.category @(locals.list[1 + 1]) "
        "@(has_text(\"a\").match) @@ y",
        "@(replace(field(\"a,b\", 0, \",\"), \"a\", \"\\\"\") & -2 ^ 0.5)",
        "@(round(1.5, 2) >= max(1, \"2\", 3) / (4 - 4))",
    };
    static const char charset[] = "@()[].,\"\\&+-*/^=<>! 0123456789abcxyz_";
    unsigned int rng = 12345;
    char buf[256];
    char *big;
    size_t n;

    /* every prefix of every seed, as template and as expression */
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        size_t len = strlen(seeds[i]);

        for (size_t k = 0; k <= len && k < sizeof(buf); k++) {
            memcpy(buf, seeds[i], k);
            buf[k] = '\0';
            feed(env, buf);
            feed(env, buf + (k > 2 ? 2 : 0));
        }
    }
    /* random mutations of the seeds and random strings */
    for (int round = 0; round < 3000; round++) {
        const char *seed = seeds[round % 5];

        n = strlen(seed);
        if (n >= sizeof(buf))
            n = sizeof(buf) - 1;
        memcpy(buf, seed, n);
        buf[n] = '\0';
        for (int m = 0; m < 4; m++) {
            rng = rng * 1103515245u + 12345u;
            buf[(rng >> 8) % n] = charset[(rng >> 16) % (sizeof(charset) - 1)];
        }
        if (round % 3 == 0) {
            rng = rng * 1103515245u + 12345u;
            buf[(rng >> 8) % n] = (char)(0x80 | ((rng >> 16) & 0x7f));
        }
        feed(env, buf);
        feed(env, strchr(buf, '(') ? strchr(buf, '(') + 1 : buf);
    }

    /* deep nesting is capped */
    n = 100000;
    big = malloc(2 * n + 16);
    assert_non_null(big);
    memset(big, '(', n);
    strcpy(big + n, "1");
    memset(big + n + 1, ')', n);
    big[2 * n + 1] = '\0';
    check_error(env, big, "expression nested too deeply");
    memset(big, '-', n);
    strcpy(big + n, "1");
    check_error(env, big, NULL);
    big[0] = '@';
    big[1] = '(';
    memset(big + 2, '(', n - 2);
    strcpy(big + n, "1");
    memset(big + n + 1, ')', n);
    big[2 * n + 1] = '\0';
    feed(env, big);
    /* a long chain of operators and a huge literal */
    for (size_t k = 0; k + 2 < 2 * n; k += 2) {
        big[k] = '1';
        big[k + 1] = '+';
    }
    big[2 * n - 2] = '1';
    big[2 * n - 1] = '\0';
    check_text(env, big, "100000");
    memset(big, 'a', 2 * n);
    big[0] = '@';
    big[2 * n] = '\0';
    feed(env, big);
    free(big);
    check_error(env, "", NULL);
    check_error(env, "\"unterminated", NULL);
    check_error(env, "upper(", NULL);
    check_error(env, "1 2", NULL);
    check_error(env, "a.", NULL);
    check_error(env, "locals.list[0", NULL);
    check_error(env, "!", NULL);
    /* no env at all: built-ins still work, names are unknown */
    {
        char err[SK_ERR_LEN] = "";
        char *out = expr_template(NULL, "@(upper(\"a\")) @contact.x", err);
        json_t *v = expr_eval(NULL, "contact");

        assert_non_null(out);
        assert_string_equal(out, "A ");
        assert_string_equal(err, "context has no property 'contact'");
        assert_true(xval_is_error(v));
        free(out);
        json_decref(v);
    }
}

/* legacy_add(), the "+" of migrated legacy expressions: goflow's cases of
   its LegacyAdd (day-first in UTC, then month-first in Los Angeles). */
static void
test_legacy_add(void **state)
{
    struct fixture *f = *state;
    struct expr_env la = f->env;
    const char *big = "error calling legacy_add(...): cannot operate on "
                      "integers greater than 32 bit";

    check_text(&f->env, "legacy_add(\"01-12-2017\", 2)",
               "2017-12-03T00:00:00.000000Z");
    check_text(&f->env, "legacy_add(\"2\", \"01-12-2017 10:15:33pm\")",
               "2017-12-03T22:15:33.000000Z");
    check_text(&f->env, "legacy_add(\"2\", \"3.5\")", "5.5");
    check_text(&f->env, "legacy_add(2, -3.5)", "-1.5");
    check_text(&f->env, "legacy_add(\"01-12-2017\", 2.9)",
               "2017-12-03T00:00:00.000000Z"); /* the integer part */
    check_text(&f->env, "legacy_add(\"01-12-2017\", -2)",
               "2017-11-29T00:00:00.000000Z");
    check_text(&f->env, "legacy_add(now(), 1)", "2019-10-08T15:21:30.123000Z");
    check_error(&f->env,
                "legacy_add(\"01-12-2017 10:15:33pm\", \"01-12-2017\")",
                "error calling legacy_add(...): cannot operate on two dates");
    check_error(&f->env, "legacy_add(2147483648, \"01-12-2017 10:15:33pm\")",
                big);
    check_error(&f->env, "legacy_add(\"01-12-2017 10:15:33pm\", 2147483648)",
                big);
    check_error(&f->env,
                "legacy_add(18446744073709551618, \"01-12-2017 10:15:33pm\")",
                big);
    check_error(&f->env,
                "legacy_add(\"01-12-2017 10:15:33pm\", 18446744073709551618)",
                big);
    /* within 32 bits but past year 1: no such date */
    check_error(&f->env, "legacy_add(\"01-12-2017\", -2147483648)",
                "error calling legacy_add(...): date out of range");
    check_error(&f->env, "legacy_add(\"xxx\", \"10\")", NULL);
    check_error(&f->env, "legacy_add(\"10\", \"xxx\")", NULL);
    check_error(&f->env, "legacy_add()", NULL);
    check_error(&f->env, "legacy_add(1)", NULL);
    check_error(&f->env, "legacy_add(1, 2, 3)", NULL);
    check_error(&f->env, "legacy_add(1, contact.nothing)", NULL);
    /* a day on the calendar across daylight saving time keeps the clock */
    la.timezone = "America/Los_Angeles";
    la.tz_rule = "PST8PDT,M3.2.0,M11.1.0";
    la.date_format = "MM-DD-YYYY";
    check_text(&la, "legacy_add(\"03-10-2019 1:00am\", 1)",
               "2019-03-11T01:00:00.000000-07:00");
    check_text(&la, "legacy_add(\"11-03-2019 1:00am\", 1)",
               "2019-11-04T01:00:00.000000-08:00");
}

/* format_urn(): a tel URN in its country's national format (phone.h),
   others by their display or path, as goflow shows them. */
static void
test_format_urn(void **state)
{
    struct fixture *f = *state;

    check_text(&f->env, "format_urn(\"tel:+250781234567\")", "0781 234 567");
    check_text(&f->env, "format_urn(\"tel:+12024561111\")", "(202) 456-1111");
    check_text(&f->env, "format_urn(\"tel:+254712345678?channel=x\")",
               "0712 345678");
    check_text(&f->env, "format_urn(\"tel:+905321234567\")", "0532 123 45 67");
    check_text(&f->env, "format_urn(\"tel:+96171123456\")", "71 123 456");
    /* no national format known, or not E.164: as it is */
    check_text(&f->env, "format_urn(\"tel:+390612345678\")", "+390612345678");
    check_text(&f->env, "format_urn(\"tel:0781234567\")", "0781234567");
    check_text(&f->env, "format_urn(\"twitter:134252511151#billy_bob\")",
               "billy_bob");
    check_text(&f->env, "format_urn(\"mailto:foo@bar.com\")", "foo@bar.com");
    check_error(&f->env, "format_urn(\"NOT URN\")", NULL);
}

/* Dates in the env's zone: Paris (a rule with DST) and Nairobi (fixed). */
static void
test_timezones(void **state)
{
    struct fixture *f = *state;
    struct expr_env paris = f->env, nairobi = f->env;

    paris.timezone = "Europe/Paris";
    paris.tz_rule = "CET-1CEST,M3.5.0,M10.5.0/3";
    paris.now_ms = 1719835200123LL; /* 2024-07-01T12:00:00.123Z */
    check_text(&paris, "now()", "2024-07-01T14:00:00.123000+02:00");
    check_text(&paris, "today()", "2024-07-01");
    check_text(&paris, "format_datetime(now(), \"YYYY-MM-DD tt:mm Z\")",
               "2024-07-01 14:00 +02:00");
    check_text(&paris, "format_datetime(now(), \"tt:mm Z\", \"UTC\")",
               "12:00 Z");
    check_text(&paris, "format_datetime(now(), \"tt:mm ZZZ\", \"UTC\")",
               "12:00 +00:00");
    check_text(&paris,
               "format_datetime(now(), \"tt:mm Z\", \"Africa/Nairobi\")",
               "15:00 +03:00");
    check_error(&paris, "format_datetime(now(), \"tt:mm\", \"Mars/Base\")",
                NULL);
    /* winter: CET */
    check_text(&paris, "format_datetime(\"2024-01-15T10:00:00Z\")",
               "15-01-2024 11:00");
    check_text(&paris, "datetime(\"2024-01-15T10:00:00Z\")",
               "2024-01-15T10:00:00.000000Z");
    /* no offset given: the wall clock is Paris's */
    check_text(&paris, "datetime(\"15/01/2024 10:00\")",
               "2024-01-15T10:00:00.000000+01:00");
    check_text(&paris, "epoch(\"15/01/2024 10:00\")", "1705309200");
    /* 02:30 on 2024-03-31 does not exist: 03:30 CEST, as goflow */
    check_text(&paris, "datetime(\"2024-03-31T02:30:00\")",
               "2024-03-31T03:30:00.000000+02:00");
    /* a day on the calendar keeps the wall clock; 24 hours do not */
    check_text(&paris, "datetime_add(\"30/03/2024 12:00\", 1, \"D\")",
               "2024-03-31T12:00:00.000000+02:00");
    check_text(&paris, "datetime_add(\"30/03/2024 12:00\", 24, \"h\")",
               "2024-03-31T13:00:00.000000+02:00");
    check_text(&paris, "datetime_diff(\"30/03/2024\", \"01/04/2024\", \"D\")",
               "2");
    check_text(&paris, "weekday(\"2024-03-31T23:30:00Z\")", "1"); /* Monday */
    /* just before midnight UTC is tomorrow in Paris */
    paris.now_ms = 1719876600000LL; /* 2024-07-01T23:30:00Z */
    check_text(&paris, "today()", "2024-07-02");
    check_text(&paris, "format_date(today())", "02-07-2024");

    nairobi.timezone = "Africa/Nairobi";
    nairobi.tz_rule = "EAT-3";
    nairobi.now_ms = 1719835200000LL;
    check_text(&nairobi, "now()", "2024-07-01T15:00:00.000000+03:00");
    nairobi.tz_rule = NULL; /* known by name too */
    check_text(&nairobi, "now()", "2024-07-01T15:00:00.000000+03:00");
    check_text(&nairobi, "datetime_from_epoch(0)",
               "1970-01-01T03:00:00.000000+03:00");
}

/* Function values and anonymous functions, where goflow is subtle. */
static void
test_function_values(void **state)
{
    struct fixture *f = *state;
    const struct expr_env *env = &f->env;

    /* an argument hides a context name; outer arguments are captured */
    check_text(env, "foreach(array(1, 2), (flow) => flow + 1)", "[2, 3]");
    check_text(env,
               "foreach(array(1, 2), (x) => join(foreach(array(10), "
               "(y) => x + y), \"\"))",
               "[11, 12]");
    check_text(env, "text(upper)", "upper");
    check_error(env, "foreach(array(1), (x, y) => x)", NULL);
    check_error(env, "filter(array(1), 3)", NULL);
    /* a function applied to itself is stopped, not run forever */
    check_error(env, "foreach(array((g) => g(g)), (g) => g(g))", NULL);
    check_error(env, "prompt(\"xx\")", "function prompt is not supported");
    /* without a random source rand() is an error, not a fixed number */
    check_error(env, "rand()",
                "error calling rand(...): no source of "
                "randomness");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_template_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_template_expressions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_template_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_operators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lookups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_functions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concat_and_html_decode, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_logic_and_numbers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_legacy_add, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_urn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timezones, setup, teardown),
        cmocka_unit_test(test_snake),
        cmocka_unit_test_setup_teardown(test_function_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_goflow_examples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_robust, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
