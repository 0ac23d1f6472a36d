/*
 * test_func_examples.c - every documented example of goflow's expression
 * functions ($SK_FIXTURES/goflow/function_doc_examples.txt, one
 * "@(EXPR) -> OUTPUT" a line, ERROR where goflow gives an error), evaluated
 * in goflow's documented test environment (its test/session.go): day-first
 * dates, time zone America/Guayaquil, "now" 2018-04-11T13:24:30.123456
 * there, and the context its examples read (the contact Ryan Lewis, his
 * URNs, groups and fields).
 *
 * Outputs are compared exactly. The examples not run are listed in
 * skipped[] with the reason; the random ones are checked for range and
 * repeatability instead of value (goflow's come from Go's own generator).
 * The counts are asserted, so a lost or added example cannot pass
 * silently. Without SK_FIXTURES the test is skipped with a message.
 */
#include <stdbool.h>
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

/* Examples in the fixture, and of them those run for their exact output. */
#define EXAMPLES_TOTAL 299
#define EXAMPLES_RUN   292
#define EXAMPLES_RAND  4

/* 2018-04-11T13:24:30.123-05:00 */
#define NOW_MS 1523471070123LL

/* What goflow's example session puts in the context, as far as the
 * examples read it. */
static const char context_json[] =
    "{\"contact\": {\"__default__\": \"Ryan Lewis\","
    "  \"uuid\": \"5d76d86b-3bb9-4d5a-b822-c9d86f5d8e4f\","
    "  \"id\": \"1234567\", \"name\": \"Ryan Lewis\","
    "  \"first_name\": \"Ryan\", \"language\": \"eng\","
    "  \"timezone\": \"America/Guayaquil\","
    "  \"urn\": \"tel:+12024561111?channel="
    "57f1078f-88aa-46f4-a59a-948a5739c03d\","
    "  \"urns\": [\"tel:+12024561111?channel="
    "57f1078f-88aa-46f4-a59a-948a5739c03d\","
    "    \"twitterid:54784326227#nyaruka\", \"mailto:foo@bar.com\"],"
    "  \"groups\": [{\"uuid\": \"b7cf0d83-f1c9-411c-96fd-c511a4cfa86d\","
    "                \"name\": \"Testers\"},"
    "               {\"uuid\": \"4f1f98fc-27a7-4a69-bbdb-24744ba739a9\","
    "                \"name\": \"Males\"}],"
    "  \"fields\": {\"gender\": \"Male\", \"age\": null,"
    "    \"join_date\": \"2017-12-02T00:00:00.000000-02:00\","
    "    \"activation_token\": \"AACC55\", \"state\": null,"
    "    \"not_set\": null, \"language\": null}},"
    " \"urns\": {\"tel\": \"tel:+12024561111?channel="
    "57f1078f-88aa-46f4-a59a-948a5739c03d\","
    "  \"twitterid\": \"twitterid:54784326227#nyaruka\","
    "  \"mailto\": \"mailto:foo@bar.com\"},"
    " \"fields\": {\"gender\": \"Male\", \"activation_token\": \"AACC55\"},"
    " \"run\": {\"status\": \"active\"}}";

/*
 * Examples not run for their output, by a prefix of their expression or by
 * a function they call ("fn:NAME"), each with the reason.
 */
static const struct {
    const char *match, *reason;
} skipped[] = {
    {"@(now())", "the clock is in milliseconds; goflow's example shows "
                 "microseconds"},
    {"fn:prompt", "an LLM call, out of scope (refused with an error)"},
    {"fn:rand", "random: checked for range and repeatability"},
    {"fn:rand_between", "random: checked for range and repeatability"},
    {NULL, NULL},
};

/* The one zone with daylight saving time the examples name, with its rule
 * as the zone database's file for it ends (see tz.h). */
static const char *
zone_rule(void *arg, const char *name)
{
    (void)arg;
    return strcmp(name, "America/Los_Angeles") == 0 ? "PST8PDT,M3.2.0,M11.1.0"
                                                    : NULL;
}

struct fixture {
    json_t *ctx;
    uint64_t rand_state;
    struct expr_env env;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    json_error_t jerr;

    assert_non_null(f);
    f->ctx = json_loads(context_json, 0, &jerr);
    assert_non_null(f->ctx);
    f->rand_state = 42;
    f->env = (struct expr_env){
        .context = f->ctx,
        .now_ms = NOW_MS,
        .timezone = "America/Guayaquil",
        .date_format = "DD-MM-YYYY",
        .rand_state = &f->rand_state,
        .zone_rule = zone_rule,
    };
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    json_decref(f->ctx);
    free(f);
    return 0;
}

/* Whether expression e calls function name (as a whole word). */
static bool
calls(const char *e, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = strstr(e, name); p != NULL; p = strstr(p + 1, name)) {
        char before = p == e ? ' ' : p[-1];

        if (p[n] == '(' && before != '_' && !(before >= 'a' && before <= 'z'))
            return true;
    }
    return false;
}

static const char *
skip_reason(const char *expr)
{
    for (size_t i = 0; skipped[i].match != NULL; i++) {
        const char *m = skipped[i].match;

        if (strncmp(m, "fn:", 3) == 0 ? calls(expr, m + 3)
                                      : strncmp(expr, m, strlen(m)) == 0)
            return skipped[i].reason;
    }
    return NULL;
}

/* The fixture's escapes in an expected output: "\x20" is a space. */
static void
unescape(char *s)
{
    char *w = s;

    for (char *r = s; *r;) {
        if (strncmp(r, "\\x20", 4) == 0) {
            *w++ = ' ';
            r += 4;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

/* Runs one example; true when it gives the documented output. */
static bool
run_example(const struct expr_env *env, const char *expr, const char *want)
{
    char err[SK_ERR_LEN] = "";
    bool ok;

    if (strcmp(want, "ERROR") == 0) {
        json_t *v = expr_template_value(env, expr, err);

        assert_non_null(v);
        ok = xval_is_error(v);
        if (!ok)
            printf("FAIL %s: want an error, got a value\n", expr);
        json_decref(v);
    } else {
        char *got = expr_template(env, expr, err);

        assert_non_null(got);
        ok = strcmp(got, want) == 0 && err[0] == '\0';
        if (!ok)
            printf("FAIL %s: want \"%s\", got \"%s\" (%s)\n", expr, want, got,
                   err);
        free(got);
    }
    return ok;
}

/* The random examples: values in range, the same for the same seed. */
static void
check_random(const struct expr_env *env, const char *expr)
{
    uint64_t seed = *env->rand_state;
    json_t *v1, *v2;
    double x;

    v1 = expr_template_value(env, expr, NULL);
    *env->rand_state = seed;
    v2 = expr_template_value(env, expr, NULL);
    assert_non_null(v1);
    assert_non_null(v2);
    assert_true(json_is_number(v1));
    assert_true(json_equal(v1, v2));
    x = json_number_value(v1);
    if (strstr(expr, "rand_between") != NULL) {
        assert_true(json_is_integer(v1));
        assert_true(x >= 1 && x <= 10);
    } else {
        assert_true(x >= 0 && x < 1);
    }
    json_decref(v1);
    json_decref(v2);
}

static void
test_function_examples(void **state)
{
    struct fixture *f = *state;
    const char *dir = getenv("SK_FIXTURES");
    char path[1024], line[2048];
    int total = 0, run = 0, passed = 0, random = 0, other = 0;
    FILE *fp;

    if (dir == NULL || dir[0] == '\0') {
        printf("SK_FIXTURES not set: skipping goflow function examples\n");
        skip();
    }
    snprintf(path, sizeof(path), "%s/goflow/function_doc_examples.txt", dir);
    fp = fopen(path, "r");
    if (fp == NULL) {
        printf("%s missing: skipping goflow function examples\n", path);
        skip();
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        char *arrow, *want;
        const char *reason;

        line[strcspn(line, "\n")] = '\0';
        if (line[0] != '@' || (arrow = strstr(line, " ->")) == NULL)
            continue;
        total++;
        *arrow = '\0';
        want = arrow + 3;
        if (*want == ' ')
            want++;
        unescape(want);
        reason = skip_reason(line);
        if (reason != NULL && strncmp(reason, "random", 6) == 0) {
            check_random(&f->env, line);
            random++;
        } else if (reason != NULL) {
            other++;
        } else {
            run++;
            passed += run_example(&f->env, line, want);
        }
    }
    fclose(fp);
    printf("function examples: %d in the fixture, %d run, %d passed, "
           "%d random checked, %d skipped\n",
           total, run, passed, random, other);
    assert_int_equal(total, EXAMPLES_TOTAL);
    assert_int_equal(random, EXAMPLES_RAND);
    assert_int_equal(run, EXAMPLES_RUN);
    assert_int_equal(passed, run);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_function_examples, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
