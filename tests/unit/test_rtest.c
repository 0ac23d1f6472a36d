/*
 * test_rtest.c - router tests: goflow's own unit table and documented
 * examples (read from SK_FIXTURES), goflow cases the table lost, and our
 * own cases for Arabic, French, emoji and odd input.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "err.h"
#include "rtest.h"
#include "xval.h"

/* goflow's test environment (flows/routers/cases/tests_test.go) */
static const struct rtest_env goflow_env = {.now_ms = 1523453070123,
                                            .timezone = "Africa/Kigali",
                                            .date_format = "DD-MM-YYYY",
                                            .country = "RW",
                                            .collation = "default"};

enum want { W_MATCH, W_FALSE, W_ERROR };

/* Runs name on n arguments (references taken; NULL stands for nil). */
static json_t *
vcall(const char *name, const struct rtest_env *env, int n, va_list ap)
{
    json_t *args[8] = {NULL};
    json_t *res = NULL;
    int rc;

    assert_true(n <= 8);
    for (int i = 0; i < n; i++)
        args[i] = va_arg(ap, json_t *);
    rc = rtest_call(name, args, (size_t)n, env, &res);
    for (int i = 0; i < n; i++)
        json_decref(args[i]);
    assert_int_equal(rc, 0);
    assert_non_null(res);
    return res;
}

/* Whether res is what we want; prints why not. */
static bool
result_is(const char *label, const json_t *res, enum want want,
          const char *text)
{
    char *got = NULL;
    bool ok;

    switch (want) {
    case W_ERROR:
        ok = xval_is_error(res);
        break;
    case W_FALSE:
        ok = json_is_false(res);
        break;
    default:
        ok = json_is_object(res) &&
             json_is_true(json_object_get(res, "__default__"));
        if (ok) {
            got = xval_to_text(json_object_get(res, "match"));
            ok = got != NULL && strcmp(got, text) == 0;
        }
        break;
    }
    if (!ok) {
        char *dump = json_dumps(res, JSON_ENCODE_ANY | JSON_COMPACT);

        print_error("%s: want %s \"%s\", got %s\n", label,
                    want == W_ERROR   ? "error"
                    : want == W_FALSE ? "false"
                                      : "match",
                    text ? text : "", dump ? dump : "?");
        free(dump);
    }
    free(got);
    return ok;
}

static void
expect(const char *name, const struct rtest_env *env, enum want want,
       const char *text, int n, ...)
{
    va_list ap;
    json_t *res;
    bool ok;

    va_start(ap, n);
    res = vcall(name, env, n, ap);
    va_end(ap);
    ok = result_is(name, res, want, text);
    json_decref(res);
    assert_true(ok);
}

#define S(s) json_string(s)
#define MATCH(name, text, n, ...)                                              \
    expect(name, &goflow_env, W_MATCH, text, n, __VA_ARGS__)
#define NOMATCH(name, n, ...)                                                  \
    expect(name, &goflow_env, W_FALSE, NULL, n, __VA_ARGS__)
#define ERROR(name, n, ...)                                                    \
    expect(name, &goflow_env, W_ERROR, NULL, n, __VA_ARGS__)

/* ------------------------------------------------------- goflow's table */

static bool
out_of_scope(const char *test)
{
    return strcmp(test, "has_state") == 0 ||
           strcmp(test, "has_district") == 0 || strcmp(test, "has_ward") == 0;
}

static void
test_router_cases(void **state)
{
    const char *dir = getenv("SK_FIXTURES");
    char path[4096];
    json_error_t jerr;
    json_t *cases, *c;
    size_t i, run = 0, scope = 0, lossy = 0, missing = 0, failed = 0;

    (void)state;
    if (dir == NULL) {
        skip();
        return;
    }
    snprintf(path, sizeof(path), "%s/goflow/router_cases.json", dir);
    cases = json_load_file(path, 0, &jerr);
    if (cases == NULL) {
        print_message("router_cases: %s: %s (skipped)\n", path, jerr.text);
        skip();
        return;
    }
    json_array_foreach(cases, i, c)
    {
        const char *test = json_string_value(json_object_get(c, "test"));
        json_t *args = json_object_get(c, "args");
        json_t *argv[8] = {NULL};
        struct rtest_env env = goflow_env;
        enum want want;
        size_t n = 0, j;
        json_t *a, *res = NULL;
        char label[160];

        assert_non_null(test);
        if (out_of_scope(test)) {
            scope++;
            continue;
        }
        /* the table lost has_pattern's pattern argument (a Go raw string) */
        if (strcmp(test, "has_pattern") == 0 && json_array_size(args) == 0) {
            lossy++;
            continue;
        }
        if (!rtest_known(test)) {
            missing++;
            continue;
        }
        env.collation = json_string_value(json_object_get(c, "collation"));
        argv[n++] = json_object_get(c, "input");
        json_array_foreach(args, j, a)
        {
            assert_true(n < 8);
            argv[n++] = a;
        }
        if (json_is_true(json_object_get(c, "error")))
            want = W_ERROR;
        else if (json_is_true(json_object_get(c, "match")))
            want = W_MATCH;
        else
            want = W_FALSE;
        assert_int_equal(rtest_call(test, argv, n, &env, &res), 0);
        snprintf(label, sizeof(label), "case %zu %s(\"%.40s\")", i, test,
                 json_string_value(argv[0]));
        if (!result_is(label, res, want,
                       json_string_value(json_object_get(c, "value"))))
            failed++;
        json_decref(res);
        run++;
    }
    json_decref(cases);
    print_message("router_cases: %zu run, %zu failed, %zu out of scope "
                  "(locations), %zu lossy rows, %zu not implemented\n",
                  run, failed, scope, lossy, missing);
    assert_int_equal(failed, 0);
    assert_true(run >= 100);
}

/* ------------------------------------------------ documented examples */

/* Parses a literal argument at *p: "string" or number. */
static json_t *
parse_literal(const char **p)
{
    const char *s = *p;

    while (*s == ' ')
        s++;
    if (*s == '"') {
        char buf[512];
        size_t n = 0;

        for (s++; *s != '"'; s++) {
            if (*s == '\0' || n + 2 >= sizeof(buf))
                return NULL;
            if (*s == '\\' && s[1] != '\0') {
                s++;
                switch (*s) {
                case 'n':
                    buf[n++] = '\n';
                    break;
                case 't':
                    buf[n++] = '\t';
                    break;
                case '"':
                case '\\':
                    buf[n++] = *s;
                    break;
                default:
                    buf[n++] = '\\';
                    buf[n++] = *s;
                }
            } else {
                buf[n++] = *s;
            }
        }
        *p = s + 1;
        return json_stringn(buf, n);
    }
    if (*s == '-' || (*s >= '0' && *s <= '9')) {
        char *end;
        double d = strtod(s, &end);

        *p = end;
        return xval_number(d);
    }
    return NULL;
}

/* goflow's rendering of an object of texts: {0: a, 1: b} (sorted keys). */
static char *
render_object(const json_t *obj)
{
    char *out = calloc(1, 1024);
    const char *keys[16];
    size_t nk = 0;
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)obj, k, v)
    {
        if (nk < 16)
            keys[nk++] = k;
    }
    for (size_t i = 1; i < nk; i++)
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *t = keys[j];

            keys[j] = keys[j - 1];
            keys[j - 1] = t;
        }
    strcat(out, "{");
    for (size_t i = 0; i < nk; i++) {
        char *t = xval_to_text(json_object_get(obj, keys[i]));

        snprintf(out + strlen(out), 1024 - strlen(out), "%s%s: %s",
                 i ? ", " : "", keys[i], t);
        free(t);
    }
    strcat(out, "}");
    return out;
}

/*
 * now_ms holds milliseconds: "13:24:30.123456" is compared as
 * "13:24:30.123000", in both strings.
 */
static void
mask_micros(char *want, char *got)
{
    char *p;

    p = strchr(want, '.');
    if (p != NULL && strlen(p) >= 7)
        memcpy(p + 4, "000", 3);
    p = strchr(got, '.');
    if (p != NULL && strlen(p) >= 7)
        memcpy(p + 4, "000", 3);
}

/*
 * Runs one line; returns 1 passed, 0 failed, -1 skipped (not literal or
 * not implemented).
 */
static int
run_doc_line(const char *line)
{
    /* goflow's doc environment: 2018-04-11T13:24:30.123456-05:00 */
    const struct rtest_env env = {.now_ms = 1523471070123,
                                  .timezone = "America/Guayaquil",
                                  .date_format = "DD-MM-YYYY"};
    char name[64], want[512];
    const char *p = line, *arrow;
    json_t *args[8] = {NULL}, *res = NULL;
    size_t n = 0, len;
    const char *member = NULL;
    int ok = -1;

    if (strncmp(p, "@(", 2) != 0)
        return -1;
    p += 2;
    len = strcspn(p, "(");
    if (p[len] != '(' || len >= sizeof(name))
        return -1;
    memcpy(name, p, len);
    name[len] = '\0';
    p += len + 1;
    while (*p != ')') {
        json_t *a = parse_literal(&p);

        if (a == NULL || n == 8) {
            json_decref(a);
            goto done;
        }
        args[n++] = a;
        while (*p == ' ')
            p++;
        if (*p == ',')
            p++;
        else if (*p != ')')
            goto done;
    }
    p++;
    if (strncmp(p, ".match", 6) == 0) {
        member = "match";
        p += 6;
    } else if (strncmp(p, ".extra", 6) == 0) {
        member = "extra";
        p += 6;
    }
    arrow = strstr(p, ") ->");
    if (arrow != p)
        goto done;
    snprintf(want, sizeof(want), "%s", arrow[4] == ' ' ? arrow + 5 : "");
    want[strcspn(want, "\r\n")] = '\0';
    if (!rtest_known(name))
        goto done;
    assert_int_equal(rtest_call(name, args, n, &env, &res), 0);
    if (strcmp(want, "ERROR") == 0) {
        ok = xval_is_error(res);
    } else if (member == NULL) {
        ok = !xval_is_error(res) &&
             strcmp(xval_truthy(res) ? "true" : "false", want) == 0;
    } else {
        const json_t *m = json_is_object(res) && !xval_is_error(res)
                              ? json_object_get(res, member)
                              : NULL;
        char *got = m == NULL                 ? strdup("")
                    : strcmp(member, "extra") ? xval_to_text(m)
                                              : render_object(m);

        if (strncmp(name, "has_date", 8) == 0)
            mask_micros(want, got);
        ok = strcmp(got, want) == 0;
        if (!ok)
            print_error("doc: %s: got \"%s\"\n", line, got);
        free(got);
    }
    if (!ok && member == NULL)
        print_error("doc: %s: wrong result\n", line);
done:
    for (size_t i = 0; i < n; i++)
        json_decref(args[i]);
    json_decref(res);
    return ok;
}

static void
test_doc_examples(void **state)
{
    const char *dir = getenv("SK_FIXTURES");
    char path[4096], line[1024];
    size_t run = 0, skipped = 0, failed = 0;
    FILE *f;

    (void)state;
    if (dir == NULL) {
        skip();
        return;
    }
    snprintf(path, sizeof(path), "%s/goflow/router_doc_examples.txt", dir);
    f = fopen(path, "r");
    if (f == NULL) {
        print_message("doc examples: %s missing (skipped)\n", path);
        skip();
        return;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        int r = run_doc_line(line);

        if (r < 0)
            skipped++;
        else
            run++;
        if (r == 0)
            failed++;
    }
    fclose(f);
    print_message("doc examples: %zu run, %zu failed, %zu skipped "
                  "(non-literal or not implemented)\n",
                  run, failed, skipped);
    assert_int_equal(failed, 0);
    assert_true(run >= 60);
}

/* -------------------------------------- goflow cases the table lost */

static void
test_goflow_patterns(void **state)
{
    json_t *res = NULL, *args[2];
    char *t;

    (void)state;
    MATCH("has_pattern", "<html>", 2, S("<html>x</html>"), S("<\\w+>"));
    MATCH("has_pattern", "html", 2, S("<html>x</html>"), S("HTML"));
    NOMATCH("has_pattern", 2, S("<html>x</html>"), S("(?-i)HTML"));
    MATCH("has_pattern", "12345", 2, S("12345"), S("\\A\\d{5}\\z"));
    NOMATCH("has_pattern", 2, S("12345 "), S("\\A\\d{5}\\z"));
    NOMATCH("has_pattern", 2, S(" 12345"), S("\\A\\d{5}\\z"));
    MATCH("has_pattern", "😀", 2, S("hi there 😀"), S("[\U0001F600-\U0001F64F]"));
    NOMATCH("has_pattern", 2, S("hi there"), S("[\U0001F600-\U0001F64F]"));
    MATCH("has_pattern", "😂", 2, S("hi there 😂"), S("[😀-🙏]"));
    ERROR("has_pattern", 2, S("<html>x</html>"), S("["));
    ERROR("has_pattern", 0, NULL);

    /* extra holds every group, unmatched ones as "" */
    args[0] = S("Buy cheese please");
    args[1] = S("buy (\\w+)( now)?");
    assert_int_equal(rtest_call("has_pattern", args, 2, NULL, &res), 0);
    t = xval_to_text(json_object_get(json_object_get(res, "extra"), "1"));
    assert_string_equal(t, "cheese");
    free(t);
    t = xval_to_text(json_object_get(json_object_get(res, "extra"), "2"));
    assert_string_equal(t, "");
    free(t);
    json_decref(res);
    json_decref(args[0]);
    json_decref(args[1]);

    /* a pattern that backtracks forever hits the limit, not the CPU */
    ERROR("has_pattern", 2, S("caaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab!"),
          S("^(\\w+\\s?)*$"));
}

static void
test_goflow_args(void **state)
{
    (void)state;
    NOMATCH("has_error", 1, S("hello"));
    NOMATCH("has_error", 1, NULL);
    MATCH("has_error", "I am error", 1, xval_error("I am error"));
    ERROR("has_error", 0, NULL);
    NOMATCH("has_text", 1, NULL);
    ERROR("has_text", 1, xval_error("any error"));
    ERROR("has_only_text", 2, S("hello"), xval_error("x"));
    ERROR("has_only_text", 2, xval_error("x"), S("hello"));
    NOMATCH("has_beginning", 2, NULL, S("hell"));
    NOMATCH("has_beginning", 2, S("hello"), NULL);
    ERROR("has_beginning", 2, xval_error("x"), xval_error("y"));
    ERROR("has_beginning", 0, NULL);
    NOMATCH("has_any_word", 2, S("but foo"), NULL);
    NOMATCH("has_any_word", 2, NULL, S("but foo"));
    ERROR("has_any_word", 0, NULL);
    ERROR("has_number_lt", 2, S("but foo"), json_false());
    ERROR("has_number_lt", 2, NULL, S("but foo"));
    ERROR("has_number_between", 3, S("but foo"), NULL, S("10"));
    ERROR("has_number_between", 3, NULL, S("but foo"), S("10"));
    MATCH("has_number_between", "24", 3, S("24ans"), json_integer(20),
          json_integer(24));
    NOMATCH("has_email", 1, NULL);
    ERROR("has_email", 0, NULL);
    ERROR("has_phone", 1, xval_error("x"));
    ERROR("has_phone", 2, S("3245"), xval_error("x"));
    NOMATCH("has_phone", 2, S("number"), NULL);
    ERROR("has_phone", 3, S("too"), S("many"), S("args"));
    ERROR("has_phone", 0, NULL);
    MATCH("has_value", "hello", 1, S(" hello "));
}

static void
test_goflow_phone(void **state)
{
    static const char *const cases[][3] = {
        {"+250788123123", "", "+250788123123"},
        {"u812111005611", "ID", "+62812111005611"},
        {"oioas812111", "US", ""},
        {"+593979111111", "", "+593979111111"},
        {"0788123123", NULL, "+250788123123"}, /* env default: RW */
        {"0788123123", "RW", "+250788123123"},
        {"+250788123123", "RW", "+250788123123"},
        {"+12065551212", "RW", "+12065551212"},
        {"12065551212", "US", "+12065551212"},
        {"206 555 1212", "US", "+12065551212"},
        {"5912705", "US", ""},
        {"+10001112222", "US", "+10001112222"},
        {"0815 1053 7962", "ID", "+6281510537962"},
        {"0954 1053 7962", "ID", "+6295410537962"},
        {"0811-1005-611", "ID", "+628111005611"},
        {"10000", "US", ""},
        {"12067799294", "BW", ""},
        {"oui", "CD", ""},
        /* ours: East Africa, international prefix, a number in a sentence */
        {"0712 345 678", "KE", "+254712345678"},
        {"00256772123456", "UG", "+256772123456"},
        {"(0)788 123 123 please", "RW", "+250788123123"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char text[128];
        json_t *t;

        snprintf(text, sizeof(text), "my number is %s", cases[i][0]);
        t = S(text);
        if (cases[i][1] == NULL && cases[i][2][0] != '\0')
            MATCH("has_phone", cases[i][2], 1, t);
        else if (cases[i][2][0] != '\0')
            MATCH("has_phone", cases[i][2], 2, t, S(cases[i][1]));
        else
            NOMATCH("has_phone", 2, t, S(cases[i][1]));
    }
}

static void
test_goflow_dates(void **state)
{
    (void)state;
    /* now is 2018-04-11T13:24:30.123 UTC, 15:24:30 in Kigali */
    MATCH("has_date", "2017-10-01T15:24:30.123000+02:00", 1,
          S("last date was 1.10.2017"));
    MATCH("has_date", "1999-10-01T15:24:30.123000+02:00", 1,
          S("last date was 1.10.99"));
    MATCH("has_date_lt", "2017-10-01T15:24:30.123000+02:00", 2,
          S("last date was 1.10.2017"), S("3.10.2017"));
    ERROR("has_date_lt", 2, S("last date was 1.10.2017"), NULL);
    ERROR("has_date_lt", 2, NULL, S("but foo"));
    ERROR("has_date_lt", 0, NULL);
    MATCH("has_date_eq", "2017-10-01T15:24:30.123000+02:00", 2,
          S("last date was 1.10.2017"), S("1.10.2017"));
    MATCH("has_date_eq", "2017-10-01T23:55:55.123456+02:00", 2,
          S("2017-10-01T23:55:55.123456+02:00"), S("1.10.2017"));
    MATCH("has_date_gt", "2017-10-01T15:24:30.123000+02:00", 2,
          S("last date was 1.10.2017"), S("3.10.2016"));
    MATCH("has_time", "10:30:00.000000", 1, S("last time was 10:30"));
    ERROR("has_time", 0, NULL);

    /* ours: leap days, times after the date, other formats and zones */
    MATCH("has_date", "2024-02-29T15:24:30.123000+02:00", 1,
          S("born 29/02/2024"));
    NOMATCH("has_date", 1, S("born 29/02/2023"));
    MATCH("has_date", "2017-01-15T09:05:00.000000+02:00", 1,
          S("15-01-2017 at 9:05 am"));
    MATCH("has_date", "2017-01-15T00:00:00.000000+02:00", 1,
          S("15.01.2017 12am"));
    MATCH("has_date", "2017-01-15T15:24:30.123000+02:00", 1,
          S("التاريخ ١٥/٠١/٢٠١٧"));
    MATCH("has_time", "22:00:00.000000", 1, S("at 10 PM"));
    MATCH("has_time", "00:00:00.000000", 1, S("24:00"));
    MATCH("has_time", "10:30:45.500000", 1, S("10:30:45.5"));
    NOMATCH("has_time", 1, S("25:00"));
    {
        const struct rtest_env us = {.now_ms = 1523453070123,
                                     .timezone = "UTC-5",
                                     .date_format = "MM-DD-YYYY",
                                     .country = "US"};
        const struct rtest_env iso = {.now_ms = 1523453070123,
                                      .timezone = "Etc/GMT-3",
                                      .date_format = "YYYY-MM-DD"};

        expect("has_date", &us, W_MATCH, "2017-01-15T08:24:30.123000-05:00", 1,
               S("on 01/15/2017"));
        expect("has_date", &us, W_FALSE, NULL, 1, S("on 15/01/2017"));
        /* the 16th in UTC is the 15th in the env zone */
        expect("has_date_eq", &us, W_MATCH, "2017-01-16T04:30:00.000000Z", 2,
               S("2017-01-16T04:30:00Z"), S("01-15-2017"));
        expect("has_date", &iso, W_MATCH, "2017-01-15T16:24:30.123000+03:00", 1,
               S("le 2017/1/15"));
        expect("has_date", NULL, W_MATCH, "2017-01-15T00:00:00.000000Z", 1,
               S("15/01/2017"));
    }
}

/* ------------------------------------------------------- our own cases */

static void
test_languages(void **state)
{
    const struct rtest_env arabic = {.collation = "arabic_variants"};

    (void)state;
    /* French: accents fold with case, composed or not */
    MATCH("has_any_word", "SÉCURITÉ", 2, S("Je me sens EN SÉCURITÉ"),
          S("sécurité"));
    MATCH("has_any_word",
          "Se\xcc\x81"
          "curite\xcc\x81",
          2,
          S("Se\xcc\x81"
            "curite\xcc\x81"),
          S("sécurité"));
    NOMATCH("has_any_word", 2, S("Je me sens en sécurité"), S("securite"));
    MATCH("has_phrase", "PAS bien", 2, S("Je ne vais PAS bien."),
          S("pas bien"));
    MATCH("has_beginning", "Ça", 2, S("  Ça va"), S("ça"));
    MATCH("has_all_words", "Oui J'ai peur", 2, S("Oui, J'ai peur!"),
          S("j'ai oui peur"));
    MATCH("has_number", "12", 1, S("j'ai 12 ans"));
    /* Swahili */
    MATCH("has_any_word", "NDIYO", 2, S("NDIYO, niko salama"), S("ndiyo"));

    /* Arabic: digits of both scripts are numbers */
    MATCH("has_number", "35", 1, S("عمري ٣٥ سنة"));
    MATCH("has_number", "35", 1, S("۳۵"));
    MATCH("has_number_between", "12", 3, S("عمري ١٢"), S("10"), S("17"));
    MATCH("has_number_lt", "9", 2, S("٩"), S("١٠"));
    MATCH("has_any_word", "نعم", 2, S("نعم، أنا بخير"), S("نعم"));
    NOMATCH("has_any_word", 2, S("لا"), S("نعم"));
    /* arabic_variants: kaf and yeh forms, presentation forms */
    expect("has_any_word", &arabic, W_MATCH, "كاف", 2, S("كاف"), S("کاف"));
    expect("has_any_word", &arabic, W_MATCH,
           "\xef\xba\x8f\xef\xbb\x9d\xef"
           "\xaf\xbc",
           2, S("\xef\xba\x8f\xef\xbb\x9d\xef\xaf\xbc"), S("بلی"));
    expect("has_any_word", &arabic, W_MATCH, "YES", 2, S("YES"), S("yes"));
    NOMATCH("has_any_word", 2, S("كاف"), S("کاف"));

    /* emoji: each symbol is a word */
    MATCH("has_any_word", "👍 👍", 2, S("ok👍👍"), S("👍"));
    MATCH("has_all_words", "ok 👍", 2, S("ok👍"), S("👍 OK"));
    NOMATCH("has_any_word", 2, S("😀"), S("😢"));
    MATCH("has_text", "🙂", 1, S(" 🙂 "));
    MATCH("has_pattern", "😢", 2, S("je suis 😢"), S("[😀-🙏]"));
}

static void
test_odd_input(void **state)
{
    json_t *res = NULL, *args[2];

    (void)state;
    /* values of every type are text for text tests */
    MATCH("has_text", "123", 1, json_integer(123));
    MATCH("has_text", "2.5", 1, json_real(2.5));
    MATCH("has_text", "true", 1, json_true());
    MATCH("has_any_word", "true", 2, json_true(), S("TRUE"));
    MATCH("has_number", "7", 1, json_integer(7));
    MATCH("has_number_eq", "7", 2, S("7"), json_real(7.0));
    MATCH("has_text", "yes", 1,
          json_pack("{s:s,s:i}", "__default__", "yes", "x", 1));
    MATCH("has_any_word", "a", 2, json_pack("[s,s]", "a", "b"), S("a"));
    MATCH("has_text", "{}", 1, json_object());
    NOMATCH("has_any_word", 2, S(""), S(""));
    NOMATCH("has_number", 1, S("-.,,-"));
    NOMATCH("has_number", 1, S("½ ²"));
    NOMATCH("has_email", 1, S("@@@.."));
    NOMATCH("has_phone", 2, S("((((( ))))) ----- ....."), S("RW"));
    NOMATCH("has_phone", 2, S("0788123123"), S("XX"));
    NOMATCH("has_phone", 2, S("099999999999999999999999999"), S("RW"));
    /* invalid UTF-8 and NULs never crash, they just do not match */
    NOMATCH("has_any_word", 2, json_stringn_nocheck("\xff\xfe", 2), S("yes"));
    MATCH("has_any_word", "yes", 2, json_stringn_nocheck("yes\xc3", 4),
          S("YES"));
    MATCH("has_text", "a", 1, json_stringn("a\0b", 3)); /* ends at NUL */
    NOMATCH("has_beginning", 2, S("\xc3\xa9t\xc3\xa9"), S("e"));
    NOMATCH("has_pattern", 2, json_stringn_nocheck("\xff", 1), S("x"));
    MATCH("has_phrase", "", 2, S("anything"), S("  "));
    {
        char big[420];

        memset(big, '9', 400); /* beyond a double: not a number */
        big[400] = '\0';
        NOMATCH("has_number", 1, S(big));
        strcpy(big + 400, " or 7");
        MATCH("has_number", "7", 1, S(big));
    }
    NOMATCH("has_date", 1, S("2017-"));
    NOMATCH("has_date", 1, S("2017-10-0"));
    ERROR("has_date_eq", 2, S("1.10.2017"), S("2017-1"));
    ERROR("has_number_lt", 2, S("5"), json_stringn_nocheck("\xd9\xa3\xff", 3));

    /* unknown tests and no env */
    args[0] = S("x");
    assert_int_equal(rtest_call("has_nothing", args, 1, NULL, &res), SK_ENOENT);
    assert_false(rtest_known("has_nothing"));
    assert_false(rtest_known(NULL));
    assert_true(rtest_known("has_any_word"));
    args[1] = S("X");
    assert_int_equal(rtest_expr_call(NULL, "has_only_text", args, 2, &res), 0);
    assert_true(json_is_false(res));
    json_decref(res);
    json_decref(args[0]);
    json_decref(args[1]);
    /* has_category */
    MATCH("has_category", "Other", 3,
          json_pack("{s:s,s:s,s:s}", "name", "Response 1", "value", "hi",
                    "category", "Other"),
          S("Chicken"), S("Other"));
    NOMATCH("has_category", 2,
            json_pack("{s:s,s:s}", "name", "R", "category", "All Responses"),
            S("Chicken"));
    ERROR("has_category", 2, json_object(), S("Chicken"));
}

/* has_date and has_time in a zone with DST, from its POSIX rule */
static void
test_timezones(void **state)
{
    struct rtest_env paris = {.now_ms = 1719835200123LL, /* 2024-07-01 */
                              .timezone = "Europe/Paris",
                              .date_format = "DD-MM-YYYY",
                              .tz_rule = "CET-1CEST,M3.5.0,M10.5.0/3"};
    struct rtest_env nairobi = {.now_ms = 1719835200123LL,
                                .timezone = "Africa/Nairobi",
                                .date_format = "DD-MM-YYYY",
                                .tz_rule = "EAT-3"};

    (void)state;
    /* the time of day comes from now, on Paris's clock */
    expect("has_date", &paris, W_MATCH, "2024-07-15T14:00:00.123000+02:00", 1,
           S("15/07/2024"));
    expect("has_date", &paris, W_MATCH, "2024-01-15T10:30:00.000000+01:00", 1,
           S("15/01/2024 10:30"));
    /* 22:30 UTC on the 14th is the 15th in Paris in summer */
    expect("has_date_eq", &paris, W_MATCH, "2024-07-14T22:30:00.000000Z", 2,
           S("2024-07-14T22:30:00Z"), S("15-07-2024"));
    expect("has_date_eq", &paris, W_FALSE, NULL, 2, S("2024-01-14T22:30:00Z"),
           S("15-01-2024"));
    expect("has_date_lt", &paris, W_MATCH, "2024-07-01T14:00:00.123000+02:00",
           2, S("01/07/2024"), S("02-07-2024"));
    expect("has_time", &paris, W_MATCH, "10:30:00.000000", 1, S("10:30"));
    expect("has_date", &nairobi, W_MATCH, "2024-07-15T15:00:00.123000+03:00", 1,
           S("15/07/2024"));
    /* without a rule Paris is not known: UTC */
    paris.tz_rule = NULL;
    expect("has_date", &paris, W_MATCH, "2024-07-15T12:00:00.123000Z", 1,
           S("15/07/2024"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_router_cases),
        cmocka_unit_test(test_doc_examples),
        cmocka_unit_test(test_goflow_patterns),
        cmocka_unit_test(test_goflow_args),
        cmocka_unit_test(test_goflow_phone),
        cmocka_unit_test(test_goflow_dates),
        cmocka_unit_test(test_languages),
        cmocka_unit_test(test_timezones),
        cmocka_unit_test(test_odd_input),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
