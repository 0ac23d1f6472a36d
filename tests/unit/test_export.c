/*
 * test_export.c - the export formats from rows and counts made in memory:
 * CSV quoting, BOM and neutralised cells, JSONL, the FLOIP package, the
 * XLSX workbook (read back with unzip when it is installed), suppressed
 * summaries, pseudonyms, and the atomic, never-overwriting output.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <jansson.h>

#include "export.h"
#include "failalloc.h"
#include "store.h"

struct fx {
    char dir[256];
    char path[512];
};

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");

    assert_non_null(fx);
    snprintf(fx->dir, sizeof(fx->dir), "%s/sk-test-export.XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    assert_non_null(mkdtemp(fx->dir));
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;
    char cmd[300];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
    assert_int_equal(system(cmd), 0);
    free(fx);
    return 0;
}

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static const struct store_export_row rows[] = {
    {1, "aaaa", "u1", "Wellbeing Check", 3, "Feel Safe", "1", "Very Safe", "1",
     86400000LL * 20000 + 3600000 * 5, "eng", "kannel"},
    {2, "aaaa", "u1", "Wellbeing Check", 3, "Help Most",
     "=HYPERLINK(\"http://x.example/a\") call 0712 345 678", "Has Text",
     "=HYPERLINK(\"http://x.example/a\") call 0712 345 678", 86400000LL * 20000,
     "eng", "kannel"},
    {3, "bbbb", "u1", "Wellbeing Check", 0, "Help Most", "a, \"b\"\nc",
     "Has Text", "a, \"b\"\nc", 86400000LL * 20001, NULL, NULL},
};

static struct export *
open_ok(struct fx *fx, enum export_format f, const char *name, bool bom)
{
    struct export_opts o = {.format = f, .bom = bom, .min_cell = 5};
    char err[SK_ERR_LEN] = "";
    struct export *x;
    int rc;

    memset(o.key, 7, sizeof(o.key));
    o.created_ms = 86400000LL * 20002;
    o.title = "Wellbeing Check";
    snprintf(fx->path, sizeof(fx->path), "%s/%s", fx->dir, name);
    x = export_open(&o, fx->path, &rc, err);
    assert_non_null(x);
    assert_int_equal(rc, 0);
    return x;
}

static void
write_rows(struct export *x)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_int_equal(export_row(x, &rows[i]), 0);
}

static void
test_csv(void **state)
{
    struct fx *fx = *state;
    struct export *x = open_ok(fx, EXPORT_CSV, "a.csv", true);
    char err[SK_ERR_LEN] = "", id[EXPORT_PSEUDONYM_HEX], *s, want[256];
    unsigned char key[EXPORT_KEY_LEN];
    struct stat st;

    /* nothing at the destination until the end */
    assert_int_not_equal(stat(fx->path, &st), 0);
    write_rows(x);
    assert_int_not_equal(stat(fx->path, &st), 0);
    assert_int_equal(export_finish(x, err), 0);
    s = slurp(fx->path);
    assert_memory_equal(s, "\xef\xbb\xbf", 3);
    assert_non_null(strstr(s, "contact,flow,flow_revision,result,category,"
                              "value,input,date,language,channel\r\n"));
    memset(key, 7, sizeof(key));
    export_pseudonym(key, "aaaa", id);
    snprintf(want, sizeof(want),
             "%s,Wellbeing Check,3,Feel Safe,Very Safe,1,1,2024-10-04,eng,"
             "kannel\r\n",
             id);
    assert_non_null(strstr(s, want));
    /* scrubbed, neutralised, quoted */
    assert_non_null(strstr(s, "\"'=HYPERLINK(\"\"[url]\"\") call [phone]\""));
    assert_null(strstr(s, "0712"));
    assert_null(strstr(s, "x.example"));
    /* a comma, quotes and a line break in one field; no revision, no
     * language: empty */
    assert_null(strstr(s, ",0,Help Most"));
    assert_non_null(strstr(s, "Wellbeing Check,,Help Most,Has Text,"
                              "\"a, \"\"b\"\"\nc\",\"a, \"\"b\"\"\nc\","
                              "2024-10-05,,\r\n"));
    /* never the contact key */
    assert_null(strstr(s, "aaaa"));
    assert_null(strstr(s, "bbbb"));
    free(s);
}

static void
test_pseudonyms(void **state)
{
    unsigned char k1[EXPORT_KEY_LEN], k2[EXPORT_KEY_LEN];
    char a[EXPORT_PSEUDONYM_HEX], b[EXPORT_PSEUDONYM_HEX];
    char c[EXPORT_PSEUDONYM_HEX];

    (void)state;
    memset(k1, 1, sizeof(k1));
    memset(k2, 2, sizeof(k2));
    export_pseudonym(k1, "aaaa", a);
    export_pseudonym(k1, "aaaa", b);
    export_pseudonym(k2, "aaaa", c);
    assert_int_equal(strlen(a), 16);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    export_pseudonym(k1, "bbbb", b);
    assert_string_not_equal(a, b);
}

static void
test_jsonl(void **state)
{
    struct fx *fx = *state;
    struct export *x = open_ok(fx, EXPORT_JSONL, "a.jsonl", false);
    char err[SK_ERR_LEN] = "", *s, *line, *save = NULL;
    json_error_t je;
    int n = 0;

    write_rows(x);
    assert_int_equal(export_finish(x, err), 0);
    s = slurp(fx->path);
    for (line = strtok_r(s, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save), n++) {
        json_t *o = json_loads(line, 0, &je);

        assert_non_null(o);
        assert_int_equal(
            strlen(json_string_value(json_object_get(o, "contact"))), 16);
        if (n == 1) {
            /* JSON is not a spreadsheet: scrubbed, not neutralised */
            assert_string_equal(json_string_value(json_object_get(o, "input")),
                                "=HYPERLINK(\"[url]\") call [phone]");
            assert_int_equal(
                json_integer_value(json_object_get(o, "flow_revision")), 3);
        }
        if (n == 2) {
            assert_true(json_is_null(json_object_get(o, "flow_revision")));
            assert_true(json_is_null(json_object_get(o, "language")));
            assert_string_equal(json_string_value(json_object_get(o, "date")),
                                "2024-10-05");
        }
        json_decref(o);
    }
    assert_int_equal(n, 3);
    free(s);
}

static void
test_floip(void **state)
{
    struct fx *fx = *state;
    struct export *x = open_ok(fx, EXPORT_FLOIP, "pkg", false);
    char err[SK_ERR_LEN] = "", path[600];
    json_error_t je;
    json_t *d, *r, *q;

    write_rows(x);
    assert_int_equal(export_finish(x, err), 0);
    snprintf(path, sizeof(path), "%s/datapackage.json", fx->path);
    assert_non_null(d = json_load_file(path, 0, &je));
    assert_string_equal(json_string_value(json_object_get(d, "profile")),
                        "flow-results-package");
    assert_string_equal(json_string_value(json_object_get(d, "name")),
                        "wellbeing-check");
    r = json_array_get(json_object_get(d, "resources"), 0);
    assert_string_equal(json_string_value(json_object_get(r, "profile")),
                        "flow-results-data");
    assert_int_equal(json_array_size(json_object_get(
                         json_object_get(r, "schema"), "fields")),
                     7);
    q = json_object_get(json_object_get(r, "schema"), "questions");
    assert_non_null(json_object_get(q, "feel_safe"));
    assert_non_null(json_object_get(q, "help_most"));
    assert_int_equal(
        json_array_size(json_object_get(
            json_object_get(json_object_get(q, "help_most"), "type_options"),
            "choices")),
        1);
    json_decref(d);
    snprintf(path, sizeof(path), "%s/responses.json", fx->path);
    assert_non_null(d = json_load_file(path, 0, &je));
    assert_int_equal(json_array_size(d), 3);
    r = json_array_get(d, 0);
    assert_int_equal(json_array_size(r), 7);
    assert_string_equal(json_string_value(json_array_get(r, 0)),
                        "2024-10-04T00:00:00+00:00");
    assert_int_equal(json_integer_value(json_array_get(r, 1)), 1);
    assert_string_equal(json_string_value(json_array_get(r, 4)), "feel_safe");
    assert_string_equal(json_string_value(json_array_get(r, 5)), "Very Safe");
    json_decref(d);
}

static void
add_count(struct export *x, const char *result, const char *cat,
          const char *group, int64_t n)
{
    struct store_export_count c = {"Wellbeing Check", result, cat, group, n};

    assert_int_equal(export_count(x, &c), 0);
}

static void
test_summary(void **state)
{
    struct fx *fx = *state;
    struct export *x = open_ok(fx, EXPORT_SUMMARY, "s.csv", false);
    char err[SK_ERR_LEN] = "", *s;

    /* the issue's case: a category with 3 answers beside one of 12 */
    add_count(x, "Feel Safe", "Not Safe", "", 3);
    add_count(x, "Feel Safe", "Very Safe", "", 12);
    add_count(x, "School", "", "", 9);
    add_count(x, "School", "Yes", "", 20);
    assert_int_equal(export_finish(x, err), 0);
    s = slurp(fx->path);
    assert_string_equal(s, "flow,result,category,count\r\n"
                           "Wellbeing Check,Feel Safe,Not Safe,suppressed\r\n"
                           "Wellbeing Check,Feel Safe,Very Safe,suppressed\r\n"
                           "Wellbeing Check,Feel Safe,(total),15\r\n"
                           "Wellbeing Check,School,(none),9\r\n"
                           "Wellbeing Check,School,Yes,20\r\n"
                           "Wellbeing Check,School,(total),29\r\n");
    free(s);
}

static void
test_summary_by(void **state)
{
    struct fx *fx = *state;
    struct export_opts o = {
        .format = EXPORT_SUMMARY, .min_cell = 5, .by = "Age Band"};
    char err[SK_ERR_LEN] = "", *s;
    struct export *x;
    int rc;

    snprintf(fx->path, sizeof(fx->path), "%s/by.csv", fx->dir);
    assert_non_null(x = export_open(&o, fx->path, &rc, err));
    add_count(x, "Feel Safe", "No", "10-13", 6);
    add_count(x, "Feel Safe", "No", "14-17", 7);
    add_count(x, "Feel Safe", "Yes", "10-13", 2);
    add_count(x, "Feel Safe", "Yes", "14-17", 30);
    assert_int_equal(export_finish(x, err), 0);
    s = slurp(fx->path);
    assert_non_null(strstr(s, "flow,result,Age Band,category,count\r\n"));
    assert_non_null(strstr(s, "Feel Safe,10-13,Yes,suppressed\r\n"));
    /* the 2 cannot be had from its row or its column */
    assert_non_null(strstr(s, "Feel Safe,10-13,No,suppressed\r\n"));
    assert_non_null(strstr(s, "Feel Safe,14-17,Yes,suppressed\r\n"));
    assert_non_null(strstr(s, "Feel Safe,(all),(total),45\r\n"));
    free(s);
}

static void
test_xlsx(void **state)
{
    struct fx *fx = *state;
    struct export *x = open_ok(fx, EXPORT_XLSX, "a.xlsx", false);
    struct store_export_row other = rows[0];
    char err[SK_ERR_LEN] = "", cmd[1200], *s;

    write_rows(x);
    /* a flow whose name Excel would refuse as a sheet name */
    other.flow_name = "Check: [a/b]? 'x' and a name far past 31 chars";
    assert_int_equal(export_row(x, &other), 0);
    add_count(x, "Feel Safe", "Very Safe", "", 9);
    assert_int_equal(export_finish(x, err), 0);
    if (system("command -v unzip >/dev/null 2>&1") != 0) {
        skip();
    }
    snprintf(cmd, sizeof(cmd), "unzip -p %s > %s/x.xml", fx->path, fx->dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "%s/x.xml", fx->dir);
    s = slurp(cmd);
    assert_non_null(strstr(s, "<sheet name=\"Summary\""));
    assert_non_null(strstr(s, "<sheet name=\"Wellbeing Check\""));
    /* [ ] : ? / become '_', cut at 31 characters */
    assert_true(strstr(s, "<sheet name=\"Check_ _a_b__ 'x' and a name fa\"") !=
                    NULL ||
                strstr(s, "<sheet name=\"Check_ _a_b__ &apos;x&apos; and a "
                          "name fa\"") != NULL);
    assert_non_null(strstr(s, "'=HYPERLINK("));
    assert_null(strstr(s, "0712"));
    assert_null(strstr(s, "<f>"));
    free(s);
}

static void
test_no_overwrite(void **state)
{
    struct fx *fx = *state;
    struct export_opts o = {.format = EXPORT_CSV};
    char err[SK_ERR_LEN] = "", *s;
    struct export *x;
    FILE *f;
    int rc;

    snprintf(fx->path, sizeof(fx->path), "%s/there.csv", fx->dir);
    assert_non_null(f = fopen(fx->path, "w"));
    fputs("keep me", f);
    fclose(f);
    assert_null(export_open(&o, fx->path, &rc, err));
    assert_int_equal(rc, SK_EEXIST);
    assert_non_null(strstr(err, "refusing to overwrite"));
    /* a file that appears while the export runs is not replaced either */
    snprintf(fx->path, sizeof(fx->path), "%s/late.csv", fx->dir);
    assert_non_null(x = export_open(&o, fx->path, &rc, err));
    assert_non_null(f = fopen(fx->path, "w"));
    fputs("keep me", f);
    fclose(f);
    assert_int_equal(export_finish(x, err), SK_EEXIST);
    s = slurp(fx->path);
    assert_string_equal(s, "keep me");
    free(s);
    /* an aborted export leaves nothing */
    snprintf(fx->path, sizeof(fx->path), "%s/gone.csv", fx->dir);
    assert_non_null(x = export_open(&o, fx->path, &rc, err));
    write_rows(x);
    export_abort(x);
    snprintf(err, sizeof(err), "ls %s | grep -v -e there.csv -e late.csv",
             fx->dir);
    assert_int_not_equal(system(err), 0); /* nothing else in the dir */
}

static void
test_formats(void **state)
{
    enum export_format f;

    (void)state;
    assert_int_equal(export_format_parse("floip", &f), 0);
    assert_int_equal(f, EXPORT_FLOIP);
    assert_string_equal(export_format_name(f), "floip");
    assert_int_equal(export_format_parse("pdf", &f), SK_EINVAL);
    assert_int_equal(export_format_parse(NULL, &f), SK_EINVAL);
    assert_true(export_wants_rows(EXPORT_XLSX));
    assert_true(export_wants_counts(EXPORT_XLSX));
    assert_false(export_wants_rows(EXPORT_SUMMARY));
    assert_false(export_wants_counts(EXPORT_CSV));
}

/* Every allocation of an export fails in turn: each time a clean error,
 * nothing at the destination, no temporary output left, no leak. */
static void
walk_format(struct fx *fx, enum export_format fmt)
{
    struct export_opts o = {.format = fmt, .min_cell = 5, .title = "F"};
    char err[SK_ERR_LEN], cmd[600];
    struct stat st;
    long n;

    snprintf(fx->path, sizeof(fx->path), "%s/walk", fx->dir);
    for (n = 1;; n++) {
        struct export *x;
        int rc = 0;

        err[0] = '\0';
        failalloc_arm(n, false);
        x = export_open(&o, fx->path, &rc, err);
        if (x != NULL) {
            if (export_wants_rows(fmt))
                for (size_t i = 0; rc == 0 && i < 3; i++)
                    rc = export_row(x, &rows[i]);
            if (export_wants_counts(fmt)) {
                struct store_export_count c = {"F", "R", "A", "", 3};

                rc = rc != 0 ? rc : export_count(x, &c);
                c.category = "B";
                rc = rc != 0 ? rc : export_count(x, &c);
            }
            if (rc == 0)
                rc = export_finish(x, err);
            else
                export_abort(x);
        }
        if (!failalloc_failed()) {
            failalloc_disarm();
            assert_int_equal(rc, 0);
            break;
        }
        failalloc_disarm();
        if (rc == 0 && x != NULL && stat(fx->path, &st) == 0)
            fail_msg("allocation %ld failed but the export succeeded", n);
        assert_int_not_equal(rc, 0);
        assert_int_not_equal(stat(fx->path, &st), 0);
        snprintf(cmd, sizeof(cmd), "ls %s | grep -q tmp-", fx->dir);
        if (system(cmd) == 0)
            fail_msg("allocation %ld left a temporary output", n);
    }
    print_message("%s: %ld allocations, each failed in turn\n",
                  export_format_name(fmt), n - 1);
    assert_true(n > 5);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->path);
    assert_int_equal(system(cmd), 0);
}

static void
test_failalloc(void **state)
{
    struct fx *fx = *state;

    failalloc_jansson();
    walk_format(fx, EXPORT_CSV);
    walk_format(fx, EXPORT_JSONL);
    walk_format(fx, EXPORT_FLOIP);
    walk_format(fx, EXPORT_SUMMARY);
    walk_format(fx, EXPORT_XLSX);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
        cmocka_unit_test(test_pseudonyms),
        cmocka_unit_test_setup_teardown(test_jsonl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_floip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summary_by, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xlsx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_overwrite, setup, teardown),
        cmocka_unit_test(test_formats),
        cmocka_unit_test_setup_teardown(test_failalloc, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
