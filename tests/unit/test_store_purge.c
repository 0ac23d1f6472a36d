/*
 * test_store_purge.c - what erasure and the retention purge do to
 * safeguarding alerts (store_purge.c): DELETE unlinks a child's alerts and
 * takes the contact's short reference out of their on-call SMS, in the
 * file and its WAL; the purge deletes alerts older than retention, except
 * one being notified. Files only under a temporary directory.
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
#include <sqlite3.h>

#include "store.h"
#include "tmpdir.h"

#define KEY_A "a1b2c3d4aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define KEY_B "e5f6a7b8bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define STAFF_A                                                                \
    "Safeguarding alert 1: self_harm, language eng, channel demo, contact "    \
    "a1b2c3d4. See sikiliza alerts; the number only through sikiliza "         \
    "reveal."

struct fx {
    char dir[256];
    char path[320];
    struct store *st;
};

static int
setup(void **state)
{
    struct fx *x = calloc(1, sizeof(*x));
    char err[SK_ERR_LEN] = "";

    assert_non_null(x);
    tmpdir_make(x->dir, sizeof(x->dir), "test_store_purge");
    snprintf(x->path, sizeof(x->path), "%s/s.db", x->dir);
    x->st = store_open(x->path, NULL, 16, err);
    assert_non_null(x->st);
    *state = x;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *x = *state;

    store_close(x->st);
    tmpdir_remove(x->dir);
    free(x);
    return 0;
}

static int64_t
raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int64_t v = -1;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* Whether the file at path holds needle anywhere. */
static bool
file_holds(const char *path, const char *needle)
{
    FILE *fp = fopen(path, "rb");
    size_t n = strlen(needle), len = 0, cap = 1 << 16, got;
    char *buf = malloc(cap), *p;
    bool found = false;

    assert_non_null(buf);
    if (fp == NULL) {
        free(buf);
        return false;
    }
    while ((got = fread(buf + len, 1, cap - len, fp)) > 0) {
        len += got;
        if (len == cap) {
            p = realloc(buf, cap *= 2);
            assert_non_null(p);
            buf = p;
        }
    }
    fclose(fp);
    for (size_t i = 0; i + n <= len && !found; i++)
        found = memcmp(buf + i, needle, n) == 0;
    free(buf);
    return found;
}

/* Whether the database or its WAL holds needle. */
static bool
files_hold(const struct fx *x, const char *needle)
{
    char wal[340];

    snprintf(wal, sizeof(wal), "%s-wal", x->path);
    return file_holds(x->path, needle) || file_holds(wal, needle);
}

/* Two children's alerts: A's at 1000 with its on-call SMS, B's at 9000. */
static int
alerts_job(struct store_tx *tx, void *arg)
{
    int rc;

    (void)arg;
    if (store_alert_add(tx, 1000, KEY_A, "demo", "eng", "self_harm") != 1 ||
        store_alert_add(tx, 9000, KEY_B, "demo", "fra", "violence") != 2)
        return SK_EIO;
    rc = store_outbox_put(tx, "oncall", "one-time-key-1", STAFF_A, 1000, NULL);
    return rc;
}

static int
erase_job(struct store_tx *tx, void *arg)
{
    return store_contact_erase(tx, arg);
}

struct counted {
    const char *key;
    int64_t n;
};

static int
count_job(struct store_tx *tx, void *arg)
{
    struct counted *c = arg;

    return store_alert_count_contact(tx, c->key, &c->n);
}

struct purged {
    int64_t before;
    struct store_purge_counts n;
};

static int
purge_job(struct store_tx *tx, void *arg)
{
    struct purged *p = arg;

    return store_purge(tx, p->before, 0, p->before, &p->n);
}

static int
sending_job(struct store_tx *tx, void *arg)
{
    (void)arg;
    return store_alert_move(tx, 2, "pending", "sending", 1, -1, 9500) == 1
               ? 0
               : SK_EIO;
}

/* DELETE: the child's alerts stay, naming no one; their on-call SMS lose
 * the short reference; nothing of it is left in the file or the WAL. */
static void
test_erase_unlinks_alerts(void **state)
{
    struct fx *x = *state;
    struct counted c = {KEY_A, 0};

    assert_int_equal(store_call(x->st, alerts_job, NULL), 0);
    assert_int_equal(store_call(x->st, count_job, &c), 0);
    assert_int_equal(c.n, 1);
    assert_true(files_hold(x, "contact a1b2c3d4."));
    assert_int_equal(store_call(x->st, erase_job, KEY_A), 0);
    assert_int_equal(store_call(x->st, count_job, &c), 0);
    assert_int_equal(c.n, 0);
    assert_int_equal(raw_int(x->path,
                             "SELECT count(*) FROM alerts WHERE id = 1 AND "
                             "contact_key = '' AND category = 'self_harm'"),
                     1);
    assert_int_equal(raw_int(x->path, "SELECT count(*) FROM outbox WHERE "
                                      "text LIKE '%contact erased.%'"),
                     1);
    assert_false(files_hold(x, "contact a1b2c3d4."));
    assert_false(files_hold(x, KEY_A));
    /* the other child's alert is untouched */
    c.key = KEY_B;
    assert_int_equal(store_call(x->st, count_job, &c), 0);
    assert_int_equal(c.n, 1);
    /* an empty key names nobody */
    c.key = "";
    assert_int_equal(store_call(x->st, count_job, &c), SK_EINVAL);
}

/* Retention: alerts older than the cut-off go with their on-call SMS;
 * newer ones, and one being notified, stay. */
static void
test_purge_ages_out_alerts(void **state)
{
    struct fx *x = *state;
    struct purged p = {.before = 5000};

    assert_int_equal(store_call(x->st, alerts_job, NULL), 0);
    assert_int_equal(store_call(x->st, purge_job, &p), 0);
    assert_int_equal(p.n.alerts, 1);
    assert_int_equal(p.n.outbox, 1);
    assert_int_equal(raw_int(x->path, "SELECT group_concat(id) FROM alerts"),
                     2);
    assert_false(files_hold(x, "contact a1b2c3d4."));
    assert_false(files_hold(x, KEY_A));
    /* B's alert is being notified: it stays past the cut-off until the
     * attempt has ended */
    assert_int_equal(store_call(x->st, sending_job, NULL), 0);
    p = (struct purged){.before = 20000};
    assert_int_equal(store_call(x->st, purge_job, &p), 0);
    assert_int_equal(p.n.alerts, 0);
    assert_int_equal(raw_int(x->path, "SELECT count(*) FROM alerts"), 1);
    store_close(x->st);
    {
        sqlite3 *db = NULL;

        assert_int_equal(sqlite3_open(x->path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db,
                                      "UPDATE alerts SET status = 'notified'",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
        sqlite3_close(db);
    }
    {
        char err[SK_ERR_LEN] = "";

        x->st = store_open(x->path, NULL, 16, err);
        assert_non_null(x->st);
    }
    assert_int_equal(store_call(x->st, purge_job, &p), 0);
    assert_int_equal(p.n.alerts, 1);
    assert_int_equal(raw_int(x->path, "SELECT count(*) FROM alerts"), 0);
    assert_false(files_hold(x, KEY_B));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_erase_unlinks_alerts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_purge_ages_out_alerts, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
