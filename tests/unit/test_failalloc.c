/*
 * test_failalloc.c - the allocation-failure switch itself, through the
 * ground floor's buffer and jansson: an armed switch fails exactly the
 * chosen allocation, each failure gives a clean error, and disarmed the
 * result is as without it. The flow loader is walked over the Referral
 * and voice examples (the Wellbeing Check passes too, in about 80 s).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <jansson.h>

#include "buf.h"
#include "failalloc.h"
#include "flow.h"

static void
test_switch(void **state)
{
    void *p;

    (void)state;
    failalloc_arm(2, true);
    p = malloc(8);
    assert_non_null(p);
    assert_null(malloc(8));
    assert_true(failalloc_failed());
    free(p);
    p = strdup("x");
    assert_non_null(p);
    free(p);
    failalloc_arm(1, false);
    assert_null(calloc(1, 8));
    assert_null(strdup("x"));
    failalloc_disarm();
    p = strndup("xy", 1);
    assert_string_equal(p, "x");
    free(p);
}

/* The buffer and jansson fail cleanly at every allocation in turn. */
static void
test_walk(void **state)
{
    char *want, *got;
    long n;

    (void)state;
    failalloc_jansson();
    for (n = 1;; n++) {
        struct sk_buf b = {0};
        json_t *v;

        failalloc_arm(n, false);
        v = json_pack("{s:s,s:[i,i]}", "a", "text", "b", 1, 2);
        got = v ? json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
        for (int i = 0; got != NULL && i < 40; i++)
            sk_buf_str(&b, got);
        free(got);
        json_decref(v);
        got = sk_buf_take(&b);
        if (!failalloc_failed()) {
            assert_non_null(got);
            break;
        }
        assert_null(got);
    }
    failalloc_disarm();
    assert_true(n > 3);
    {
        struct sk_buf b = {0};
        json_t *v = json_pack("{s:s,s:[i,i]}", "a", "text", "b", 1, 2);
        char *d = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);

        for (int i = 0; i < 40; i++)
            sk_buf_str(&b, d);
        want = sk_buf_take(&b);
        free(d);
        json_decref(v);
    }
    assert_string_equal(got, want);
    free(got);
    free(want);
    json_set_alloc_funcs(malloc, free);
}

/* Loading and linking an example flow fails cleanly at every allocation
 * in turn, and succeeds once nothing fails. */
static void
walk_flow_file(const char *dir, const char *name)
{
    char path[4096], *text;
    long size, n;
    FILE *f;

    snprintf(path, sizeof(path), "%s/flows/examples/%s", dir, name);
    f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    rewind(f);
    text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    failalloc_jansson();
    for (n = 1;; n++) {
        struct flow_set *set;
        int rc;

        failalloc_arm(n, false);
        set = flow_set_new();
        rc = set == NULL
                 ? -1
                 : flow_set_add_json(set, text, (size_t)size, NULL, NULL);
        if (rc == 0)
            rc = flow_set_link(set, NULL, NULL);
        flow_set_free(set);
        if (!failalloc_failed()) {
            assert_int_equal(rc, 0);
            break;
        }
        assert_true(rc < 0);
    }
    failalloc_disarm();
    json_set_alloc_funcs(malloc, free);
    assert_true(n > 10);
    free(text);
}

static void
test_flow_load(void **state)
{
    const char *dir = getenv("SK_SOURCE_DIR");

    (void)state;
    if (dir == NULL) {
        skip();
        return;
    }
    walk_flow_file(dir, "referral.json");
    walk_flow_file(dir, "wellbeing_check_voice.json");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_switch),
        cmocka_unit_test(test_walk),
        cmocka_unit_test(test_flow_load),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
