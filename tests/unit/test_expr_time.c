/*
 * test_expr_time.c - the date and time functions: goflow's documented
 * examples of them (function_doc_examples.txt, read through SK_FIXTURES)
 * in goflow's documented environment, and focused cases.
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

#include "expr.h"
#include "xval.h"

/* Zones other than the env's, as the gateway reads them from the zone
 * database: the rules of the two the examples and cases name. */
static const char *
zone_rule(void *arg, const char *name)
{
    (void)arg;
    if (strcmp(name, "America/Los_Angeles") == 0)
        return "PST8PDT,M3.2.0,M11.1.0";
    if (strcmp(name, "Europe/Paris") == 0)
        return "CET-1CEST,M3.5.0,M10.5.0/3";
    return NULL;
}

/* goflow's doc session: 2018-04-11T13:24:30.123Z-05:00 in Guayaquil */
static const struct expr_env doc_env = {.now_ms = 1523471070123LL,
                                        .timezone = "America/Guayaquil",
                                        .date_format = "DD-MM-YYYY",
                                        .zone_rule = zone_rule};

/* The same without a way to look zones up. */
static const struct expr_env bare_env = {.now_ms = 1523471070123LL,
                                         .timezone = "America/Guayaquil",
                                         .date_format = "DD-MM-YYYY"};

/* The functions whose examples run here. */
static const char *const mine[] = {"date",
                                   "datetime",
                                   "datetime_add",
                                   "datetime_diff",
                                   "epoch",
                                   "format_date",
                                   "weekday",
                                   "today",
                                   "time",
                                   "time_from_parts",
                                   "date_from_parts",
                                   "week_number",
                                   "tz",
                                   "tz_offset",
                                   "replace_time",
                                   "datetime_from_epoch",
                                   "format_datetime",
                                   "format_time",
                                   "parse_datetime",
                                   "parse_time"};

static bool
is_mine(const char *line)
{
    for (size_t i = 0; i < sizeof(mine) / sizeof(mine[0]); i++) {
        size_t n = strlen(mine[i]);

        if (strncmp(line + 2, mine[i], n) == 0 && line[2 + n] == '(')
            return true;
    }
    return false;
}

/* Runs one "@(EXPR) -> WANT" line; true when it gives WANT. */
static bool
run_line(char *line)
{
    char *arrow = strstr(line, ") -> ");
    const char *want;
    json_t *v;
    char *s;
    bool ok;

    if (arrow == NULL)
        return false;
    *arrow = '\0';
    want = arrow + 5;
    v = expr_eval(&doc_env, line + 2);
    assert_non_null(v);
    if (strcmp(want, "ERROR") == 0) {
        ok = xval_is_error(v);
        s = NULL;
    } else {
        s = xval_to_text(v);
        ok = !xval_is_error(v) && s != NULL && strcmp(s, want) == 0;
    }
    if (!ok)
        fprintf(stderr, "FAIL %s: got \"%s\" (%s), want \"%s\"\n", line + 2,
                s ? s : "", xval_is_error(v) ? xval_error_msg(v) : "", want);
    free(s);
    json_decref(v);
    return ok;
}

static void
test_doc_examples(void **state)
{
    const char *dir = getenv("SK_FIXTURES");
    char path[2048], line[2048];
    int run = 0, passed = 0;
    FILE *fp;

    (void)state;
    if (dir == NULL || dir[0] == '\0') {
        print_message("SK_FIXTURES unset: goflow examples skipped\n");
        skip();
    }
    snprintf(path, sizeof(path), "%s/goflow/function_doc_examples.txt", dir);
    fp = fopen(path, "r");
    if (fp == NULL) {
        print_message("%s missing: goflow examples skipped\n", path);
        skip();
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "@(", 2) != 0 || !is_mine(line))
            continue;
        run++;
        passed += run_line(line);
    }
    fclose(fp);
    assert_int_equal(run, 71);
    assert_int_equal(passed, run);
}

/* The env check() and check_err() evaluate in. */
static const struct expr_env *env = &doc_env;

static void
check(const char *expr, const char *want)
{
    json_t *v = expr_eval(env, expr);
    char *s = xval_to_text(v);

    assert_non_null(s);
    if (xval_is_error(v) || strcmp(s, want) != 0)
        fail_msg("%s: got \"%s\" %s, want \"%s\"", expr, s,
                 xval_is_error(v) ? xval_error_msg(v) : "", want);
    free(s);
    json_decref(v);
}

static void
check_err(const char *expr, const char *want)
{
    json_t *v = expr_eval(env, expr);

    assert_true(xval_is_error(v));
    if (strstr(xval_error_msg(v), want) == NULL)
        fail_msg("%s: got error \"%s\", want \"%s\"", expr, xval_error_msg(v),
                 want);
    json_decref(v);
}

static void
test_focused(void **state)
{
    (void)state;
    check("time(7)", "07:00:00.000000");
    check("time(24)", "00:00:00.000000");
    check("time(\"2pm\")", "14:00:00.000000");
    check("time(\"at 10:30:45.5\")", "10:30:45.500000");
    check_err("time(\"25:00\")", "unable to convert \"25:00\" to a time");
    check_err("time_from_parts(1, 60, 0)",
              "invalid value for minute, must be 0-59");
    check_err("time_from_parts(1, 0, -1)",
              "invalid value for second, must be 0-59");
    check("date_from_parts(2024, 2, 29)", "2024-02-29");
    check("date_from_parts(2023, 12, 32)", "2024-01-01");
    check_err("date_from_parts(2017, 0, 1)",
              "invalid value for month, must be 1-12");
    check("week_number(\"2017-01-01\")", "2");
    check("tz(\"2017-01-15T02:15:18+03:00\")", "");
    check("tz(\"2017-01-15T02:15:18-05:00\")", "America/Guayaquil");
    check("tz_offset(\"2017-01-15T02:15:18+05:30\")", "+0530");
    check("replace_time(\"2017-01-15T02:15:18Z\", \"10:30\")",
          "2017-01-15T10:30:00.000000Z");
    check("replace_time(\"2017-01-15\", 9)",
          "2017-01-15T09:00:00.000000-05:00");
}

static void
test_parse_format(void **state)
{
    (void)state;
    check("parse_datetime(\"2010-05-10 12:50\", \"YYYY-MM-DD tt:mm\")",
          "2010-05-10T12:50:00.000000-05:00");
    check("parse_datetime(\"10/5/10 7:05 PM\", \"DD/M/YY h:mm AA\")",
          "2010-05-10T19:05:00.000000-05:00");
    check("parse_datetime(\"2010-05-10T12:50:00+03:00\", "
          "\"YYYY-MM-DDTtt:mm:ssZ\")",
          "2010-05-10T12:50:00.000000+03:00");
    check("parse_datetime(\"2010-05-10T12:50Z\", \"YYYY-MM-DDTtt:mmZ\")",
          "2010-05-10T12:50:00.000000Z");
    check("parse_datetime(\"2010-05-10 12:50:30.123\", "
          "\"YYYY-MM-DD tt:mm:ss.fff\")",
          "2010-05-10T12:50:30.123000-05:00");
    /* a fraction the layout does not name is read after seconds, as Go's */
    check("parse_datetime(\"12:50:30.5 2010-05-10\", "
          "\"tt:mm:ss YYYY-MM-DD\")",
          "2010-05-10T12:50:30.500000-05:00");
    /* zones by name with DST: winter, summer, and a spring-forward gap */
    check("parse_datetime(\"2010-01-10 12:50\", \"YYYY-MM-DD tt:mm\", "
          "\"America/Los_Angeles\")",
          "2010-01-10T12:50:00.000000-08:00");
    check("parse_datetime(\"2021-03-28 02:30\", \"YYYY-MM-DD tt:mm\", "
          "\"Europe/Paris\")",
          "2021-03-28T03:30:00.000000+02:00");
    check("format_datetime(\"2021-07-01T12:00:00Z\", \"tt:mm ZZZ\", "
          "\"Europe/Paris\")",
          "14:00 +02:00");
    check("format_datetime(\"2021-12-01T12:00:00Z\", \"tt:mm Z\", \"UTC\")",
          "12:00 Z");
    check_err("parse_datetime(\"NOT DATE\", \"YYYY-MM-DD\")",
              "cannot parse 'NOT DATE' as 'YYYY'");
    check_err("parse_datetime(\"2010-13-01\", \"YYYY-MM-DD\")",
              "cannot parse '-01' as 'MM'");
    check_err("parse_datetime(\"2010-02-30\", \"YYYY-MM-DD\")",
              "cannot parse '' as ''");
    check_err("parse_datetime(\"2010-02-03 x\", \"YYYY-MM-DD\")",
              "cannot parse ' x' as ''");
    check_err("parse_datetime(\"May 2010\", \"MMM YYYY\")",
              "'MMM' is not valid in a datetime parsing layout");
    check("parse_datetime(\"2010-05-10 12:50\", \"YYYY-MM-DD tt:mm\", \"\")",
          "2010-05-10T12:50:00.000000Z"); /* "" is UTC, as Go's */
    check_err("parse_datetime(\"2010\", \"YYYY\", \"Mars/Base\")",
              "unknown time zone Mars/Base");
    check("parse_time(\"9:05\", \"t:mm\")", "09:05:00.000000");
    check("parse_time(\"12:05 am\", \"hh:mm aa\")", "00:05:00.000000");
    check("parse_time(\"23:59:59.123456\", \"tt:mm:ss.ffffff\")",
          "23:59:59.123456");
    check_err("parse_time(\"2:40 PM\", \"h:mm aa\")",
              "cannot parse 'PM' as 'aa'");
    check_err("parse_time(\"10:61\", \"tt:mm\")", "cannot parse '' as 'mm'");
    check_err("parse_time(\"2010\", \"YYYY\")",
              "'YYYY' is not valid in a time parsing layout");
    check("format_time(\"09:05:07.250000\", \"t h hh tt m mm s ss fff\")",
          "9 9 09 09 5 05 7 07 250");
    check("format_time(\"00:30\", \"h:mm AA\")", "12:30 AM");
    check_err("format_datetime(\"2010-05-10T19:50:00Z\", \"YYYY at tt\")",
              "'a' is not valid in a datetime formatting layout");
    check_err("format_date(\"2010-05-10\", \"YYYY tt\")",
              "'tt' is not valid in a date formatting layout");
    check_err("format_date(\"2010-05-10\", \"YYYY!\")",
              "'!' is not valid in a date formatting layout");
    check("format_date(\"2010-05-10\", \"EEEE, D MMMM YYYY\")",
          "Monday, 10 May 2010");
    check_err("format_time(\"10:30\", \"MMM\")",
              "'MMM' is not valid in a time formatting layout");
    check_err("format_time(\"10:30\", \"tt:mm Z\")",
              "'Z' is not valid in a time formatting layout");
}

/* Without a zone lookup, a zone with DST given by name is unknown. */
static void
test_no_lookup(void **state)
{
    (void)state;
    env = &bare_env;
    check_err("format_datetime(\"2010-05-10T19:50:00Z\", \"tt:mm\", "
              "\"America/Los_Angeles\")",
              "unknown time zone America/Los_Angeles");
    check("format_datetime(\"2010-05-10T19:50:00Z\", \"tt:mm\", "
          "\"Africa/Nairobi\")",
          "22:50");
    env = &doc_env;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_examples),
        cmocka_unit_test(test_focused),
        cmocka_unit_test(test_parse_format),
        cmocka_unit_test(test_no_lookup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
