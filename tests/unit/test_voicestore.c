/*
 * test_voicestore.c - the store queries voice calls use to keep a heard
 * recording beside the answer it went to (gateway/store_voice.c): the
 * newest answer of a contact before a step, and the first one the step
 * stored after it, never another contact's.
 */
#define _XOPEN_SOURCE 700 /* nftw, mkdtemp */

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "store.h"

#define KEY_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define KEY_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define FLOW  "8f1a1b7e-2d1c-4e2a-9a53-3b3c1d7e0a11"

struct fx {
    char dir[256];
    char db[300];
    struct store *st;
};

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");
    char err[SK_ERR_LEN] = "";

    assert_non_null(fx);
    snprintf(fx->dir, sizeof(fx->dir), "%s/sk_vstore_XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->db, sizeof(fx->db), "%s/s.db", fx->dir);
    fx->st = store_open(fx->db, NULL, 16, err);
    assert_non_null(fx->st);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;

    store_close(fx->st);
    nftw(fx->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

struct q {
    int rc_last, rc_after, rc_none;
    int64_t last, after, none;
    char *uuid, *name;
};

static int
put(struct store_tx *tx, const char *key, const char *name)
{
    return store_result_put(tx, key, FLOW, "Wellbeing", name, "yes", "Yes",
                            "yes", 1000);
}

/* A's first answer, then the newest of A before a step (B answering in
 * between), the step's two answers, and the first of them. */
static int
query_job(struct store_tx *tx, void *arg)
{
    struct q *q = arg;
    int64_t before;
    int rc;

    q->rc_none = store_voice_last_result(tx, KEY_A, &q->none);
    if ((rc = put(tx, KEY_A, "Language")) != 0 ||
        (rc = put(tx, KEY_B, "Other Child")) != 0)
        return rc;
    q->rc_last = store_voice_last_result(tx, KEY_A, &q->last);
    before = q->last;
    if ((rc = put(tx, KEY_B, "Between")) != 0 ||
        (rc = put(tx, KEY_A, "School")) != 0 ||
        (rc = put(tx, KEY_A, "School Note")) != 0)
        return rc;
    q->rc_after = store_voice_result_after(tx, KEY_A, before, &q->after,
                                           &q->uuid, &q->name);
    return 0;
}

/* Nothing after the newest: ENOENT, and the outputs cleared. */
static int
empty_job(struct store_tx *tx, void *arg)
{
    struct q *q = arg;
    int64_t last;
    int rc = store_voice_last_result(tx, KEY_A, &last);

    if (rc != 0)
        return rc;
    q->rc_after = store_voice_result_after(tx, KEY_A, last, &q->after, &q->uuid,
                                           &q->name);
    q->rc_none =
        store_voice_result_after(tx, KEY_B, last, &q->none, NULL, NULL);
    return 0;
}

static void
test_result_after(void **state)
{
    struct fx *fx = *state;
    struct q q;

    memset(&q, 0, sizeof(q));
    assert_int_equal(store_call(fx->st, query_job, &q), 0);
    assert_int_equal(q.rc_none, SK_ENOENT);
    assert_int_equal(q.none, 0);
    assert_int_equal(q.rc_last, 0);
    assert_true(q.last > 0);
    assert_int_equal(q.rc_after, 0);
    assert_true(q.after > q.last + 1); /* B's answer lies between */
    assert_string_equal(q.uuid, FLOW);
    assert_string_equal(q.name, "School"); /* the first, not the newest */
    free(q.uuid);
    free(q.name);

    memset(&q, 0, sizeof(q));
    q.uuid = q.name = (char *)"not cleared";
    assert_int_equal(store_call(fx->st, empty_job, &q), 0);
    assert_int_equal(q.rc_after, SK_ENOENT);
    assert_null(q.uuid);
    assert_null(q.name);
    assert_int_equal(q.after, 0);
    assert_int_equal(q.rc_none, SK_ENOENT); /* B has nothing after A's */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_result_after, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
