/*
 * test_log.c - the log's line formats (text, json, journal), levels, the
 * hold that puts start-up warnings after the problems, the journald check
 * and plural forms. stderr is pointed at a temporary file per test and
 * read back.
 */
#define _XOPEN_SOURCE 700 /* setenv(), mkstemp() */

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

#include "log.h"

struct fx {
    char path[64];
    int saved; /* the real stderr */
    int fd;
    char text[8192];
};

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");

    if (fx == NULL)
        return -1;
    snprintf(fx->path, sizeof(fx->path), "%s/sk-log-XXXXXX",
             tmp != NULL && strlen(tmp) < 40 ? tmp : "/tmp");
    fx->fd = mkstemp(fx->path);
    fx->saved = dup(STDERR_FILENO);
    if (fx->fd < 0 || fx->saved < 0 || dup2(fx->fd, STDERR_FILENO) < 0)
        return -1;
    sk_log_set_level(LOG_INFO);
    sk_log_set_format(SK_LOG_TEXT);
    unsetenv("JOURNAL_STREAM");
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;

    dup2(fx->saved, STDERR_FILENO);
    close(fx->saved);
    close(fx->fd);
    unlink(fx->path);
    free(fx);
    sk_log_set_format(SK_LOG_TEXT);
    return 0;
}

/* What was logged since setup. */
static const char *
logged(struct fx *fx)
{
    ssize_t n = pread(fx->fd, fx->text, sizeof(fx->text) - 1, 0);

    fx->text[n > 0 ? n : 0] = '\0';
    return fx->text;
}

static void
test_text(void **state)
{
    struct fx *fx = *state;
    const char *t;

    sk_log(LOG_WARNING, "serve", "channel=%s x=%d", "demo", 3);
    sk_log(LOG_DEBUG, "serve", "not shown at info");
    sk_log(LOG_ERR, "store", "failed");
    t = logged(fx);
    /* 2026-01-02T03:04:05.678Z warn serve: ... */
    assert_int_equal(strlen(t), 2 * 25 +
                                    strlen("warn serve: channel=demo "
                                           "x=3\n") +
                                    strlen("error store: failed\n"));
    assert_true(t[4] == '-' && t[10] == 'T' && t[23] == 'Z' && t[24] == ' ');
    assert_memory_equal(t + 25, "warn serve: channel=demo x=3\n", 29);
    assert_non_null(strstr(t, "Z error store: failed\n"));
    assert_null(strstr(t, "not shown"));
}

static void
test_json(void **state)
{
    struct fx *fx = *state;
    json_error_t e;
    json_t *o;
    char line[2048];
    const char *t, *nl;
    int lines = 0;

    sk_log_set_format(SK_LOG_JSON);
    sk_log(LOG_INFO, "serve", "listening on %s (1 channel)", "127.0.0.1:1");
    sk_log(LOG_WARNING, "a\"b", "quote \" backslash \\ tab\t nl\n end");
    t = logged(fx);
    for (; (nl = strchr(t, '\n')) != NULL; t = nl + 1, lines++) {
        assert_true((size_t)(nl - t) < sizeof(line));
        memcpy(line, t, (size_t)(nl - t));
        line[nl - t] = '\0';
        o = json_loads(line, 0, &e);
        assert_non_null(o);
        assert_true(json_is_string(json_object_get(o, "time")));
        assert_int_equal(strlen(json_string_value(json_object_get(o, "time"))),
                         24);
        if (lines == 0) {
            assert_string_equal(json_string_value(json_object_get(o, "level")),
                                "info");
            assert_string_equal(json_string_value(json_object_get(o, "area")),
                                "serve");
            assert_string_equal(
                json_string_value(json_object_get(o, "message")),
                "listening on 127.0.0.1:1 (1 channel)");
        } else {
            assert_string_equal(json_string_value(json_object_get(o, "level")),
                                "warn");
            assert_string_equal(json_string_value(json_object_get(o, "area")),
                                "a\"b");
            assert_string_equal(
                json_string_value(json_object_get(o, "message")),
                "quote \" backslash \\ tab\t nl\n end");
        }
        assert_int_equal(json_object_size(o), 4);
        json_decref(o);
    }
    assert_int_equal(lines, 2);
    assert_string_equal(t, "");
}

/* A message longer than a line is cut, and the line is still JSON. */
static void
test_json_long(void **state)
{
    struct fx *fx = *state;
    char big[3000];
    json_t *o;

    memset(big, '"', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    sk_log_set_format(SK_LOG_JSON);
    sk_log(LOG_INFO, "x", "%s", big);
    o = json_loads(logged(fx), JSON_DISABLE_EOF_CHECK, NULL);
    assert_non_null(o);
    assert_true(strlen(json_string_value(json_object_get(o, "message"))) > 100);
    json_decref(o);
}

static void
test_journal(void **state)
{
    struct fx *fx = *state;
    struct stat st;
    char js[64];

    assert_int_equal(sk_log_format_for(NULL), SK_LOG_TEXT);
    assert_int_equal(sk_log_format_for("text"), SK_LOG_TEXT);
    assert_int_equal(sk_log_format_for("json"), SK_LOG_JSON);
    assert_int_equal(sk_log_format_for("syslog"), -1);
    /* JOURNAL_STREAM naming another file: not the journal */
    setenv("JOURNAL_STREAM", "1:2", 1);
    assert_int_equal(sk_log_format_for("text"), SK_LOG_TEXT);
    assert_int_equal(fstat(STDERR_FILENO, &st), 0);
    snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", js, 1);
    assert_int_equal(sk_log_format_for("text"), SK_LOG_JOURNAL);
    assert_int_equal(sk_log_format_for(NULL), SK_LOG_JOURNAL);
    assert_int_equal(sk_log_format_for("json"), SK_LOG_JSON);
    unsetenv("JOURNAL_STREAM");

    sk_log_set_format(SK_LOG_JOURNAL);
    sk_log(LOG_WARNING, "serve", "w");
    sk_log(LOG_INFO, "inbound", "i");
    sk_log(LOG_ERR, "store", "e");
    assert_string_equal(logged(fx), "<4>warn serve: w\n<6>info inbound: i\n"
                                    "<3>error store: e\n");
}

struct seen {
    int n;
    char text[512];
};

static void
collect(void *arg, int level, const char *area, const char *message)
{
    struct seen *s = arg;
    size_t len = strlen(s->text);

    snprintf(s->text + len, sizeof(s->text) - len, "%d %s %s|", level, area,
             message);
    s->n++;
}

/* Held lines wait for the release, in order; a drain hands them over. */
static void
test_hold(void **state)
{
    struct fx *fx = *state;
    struct seen s = {0};

    sk_log_set_format(SK_LOG_JOURNAL);
    sk_log_hold();
    sk_log(LOG_WARNING, "serve", "first");
    sk_log(LOG_INFO, "serve", "second");
    sk_log(LOG_DEBUG, "serve", "below the level: never held");
    (void)!write(STDERR_FILENO, "problem\n", 8);
    sk_log_release();
    sk_log(LOG_INFO, "serve", "after");
    assert_string_equal(logged(fx), "problem\n<4>warn serve: first\n"
                                    "<6>info serve: second\n"
                                    "<6>info serve: after\n");

    sk_log_hold();
    sk_log(LOG_WARNING, "a", "one");
    sk_log(LOG_ERR, "b", "two");
    assert_int_equal(sk_log_drain(collect, &s), 2);
    assert_string_equal(s.text, "4 a one|3 b two|");
    assert_int_equal(sk_log_drain(collect, &s), 0); /* forgotten */
    assert_int_equal(s.n, 2);
}

/* More than the hold keeps: the first 128 stay, none is half-written. */
static void
test_hold_bounded(void **state)
{
    struct seen s = {0};
    char big[2000];

    (void)state;
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    sk_log_hold();
    for (int i = 0; i < 200; i++)
        sk_log(LOG_WARNING, "a", "%d", i);
    assert_int_equal(sk_log_drain(collect, &s), 128);
    sk_log_hold();
    sk_log(LOG_WARNING, "a", "%s", big);
    memset(&s, 0, sizeof(s));
    assert_int_equal(sk_log_drain(collect, &s), 1);
    assert_true(strlen(s.text) > 400);
}

static void
test_plural(void **state)
{
    (void)state;
    assert_string_equal(sk_plural(1, "channel", "channels"), "channel");
    assert_string_equal(sk_plural(0, "channel", "channels"), "channels");
    assert_string_equal(sk_plural(2, "flow", "flows"), "flows");
    assert_string_equal(sk_plural(-1, "day", "days"), "days");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plural, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
