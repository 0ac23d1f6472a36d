/*
 * test_failalloc.c - the allocation-failure switch itself, through the
 * ground floor's buffer and jansson: an armed switch fails exactly the
 * chosen allocation, each failure gives a clean error, and disarmed the
 * result is as without it.
 */
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <jansson.h>

#include "buf.h"
#include "failalloc.h"

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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_switch),
        cmocka_unit_test(test_walk),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
