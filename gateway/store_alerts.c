/*
 * store_alerts.c - the store layer's queries on safeguarding alerts (the
 * alerts table of migration 3): recorded by the inbound step when a child
 * discloses harm (safeguard.c), claimed and written back by the notifier
 * (notify.c), listed by `sikiliza alerts` and read by `sikiliza reveal`.
 *
 * Like every store_tx function these run inside a job, on the writer
 * thread (see store.h). Statements are prepared per call: alerts are rare,
 * and the notifier asks at most once per poll while one is due.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_int.h"

#define ALERT_COLUMNS                                                          \
    "id, created_at, contact_key, channel, language, category, status,"        \
    " attempts, next_attempt_at"

static void
alert_log(sqlite3 *db, const char *what)
{
    sk_log(LOG_WARNING, "alerts", "%s: %s", what, sqlite3_errmsg(db));
}

static void
row_read(sqlite3_stmt *s, struct store_alert_row *row)
{
    row->id = sqlite3_column_int64(s, 0);
    row->created_at = sqlite3_column_int64(s, 1);
    row->contact_key = (const char *)sqlite3_column_text(s, 2);
    row->channel = (const char *)sqlite3_column_text(s, 3);
    row->language = (const char *)sqlite3_column_text(s, 4);
    row->category = (const char *)sqlite3_column_text(s, 5);
    row->status = (const char *)sqlite3_column_text(s, 6);
    row->attempts = sqlite3_column_int(s, 7);
    row->next_attempt_at = sqlite3_column_int64(s, 8);
}

/* Steps the prepared s, calling fn for each row; finalizes s. */
static int
walk(sqlite3 *db, sqlite3_stmt *s, store_alert_row_fn fn, void *arg,
     const char *what)
{
    struct store_alert_row row;
    int rc = 0, step;

    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        row_read(s, &row);
        if ((rc = fn(arg, &row)) != 0)
            break;
    }
    if (rc == 0 && step != SQLITE_DONE) {
        alert_log(db, what);
        rc = SK_EIO;
    }
    sqlite3_finalize(s);
    return rc;
}

int64_t
store_alert_add(struct store_tx *tx, int64_t now_ms, const char *contact_key,
                const char *channel, const char *language, const char *category)
{
    static const char sql[] =
        "INSERT INTO alerts (created_at, contact_key, channel, language,"
        " category, next_attempt_at, updated_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?1, ?1)";
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;
    int64_t rc = SK_EIO;

    if (contact_key == NULL || channel == NULL || category == NULL)
        return SK_EINVAL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_int64(s, 1, now_ms);
    sqlite3_bind_text(s, 2, contact_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, channel, -1, SQLITE_STATIC);
    if (language != NULL)
        sqlite3_bind_text(s, 4, language, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 4);
    sqlite3_bind_text(s, 5, category, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_DONE)
        rc = sqlite3_last_insert_rowid(db);
out:
    if (rc < 0)
        alert_log(db, "insert");
    sqlite3_finalize(s);
    return rc;
}

int
store_alert_list(struct store_tx *tx, store_alert_row_fn fn, void *arg)
{
    static const char sql[] = "SELECT " ALERT_COLUMNS " FROM alerts"
                              " ORDER BY id";
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;

    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        alert_log(db, "list");
        return SK_EIO;
    }
    return walk(db, s, fn, arg, "list");
}

int
store_alert_contact(struct store_tx *tx, int64_t id,
                    char key[STORE_ALERT_KEY_MAX])
{
    static const char sql[] = "SELECT contact_key FROM alerts WHERE id = ?1";
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;
    const char *k;
    int rc = SK_EIO, step;

    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_int64(s, 1, id);
    step = sqlite3_step(s);
    if (step == SQLITE_DONE) {
        rc = SK_ENOENT;
    } else if (step == SQLITE_ROW) {
        k = (const char *)sqlite3_column_text(s, 0);
        if (k != NULL && strlen(k) < STORE_ALERT_KEY_MAX) {
            snprintf(key, STORE_ALERT_KEY_MAX, "%s", k);
            rc = 0;
        }
    }
out:
    if (rc == SK_EIO)
        alert_log(db, "contact");
    sqlite3_finalize(s);
    return rc;
}

int
store_alert_due(struct store_tx *tx, int64_t now_ms, int limit,
                store_alert_row_fn fn, void *arg)
{
    static const char sql[] =
        "SELECT " ALERT_COLUMNS " FROM alerts WHERE status = 'pending'"
        " AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2";
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;

    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        alert_log(db, "due");
        return SK_EIO;
    }
    sqlite3_bind_int64(s, 1, now_ms);
    sqlite3_bind_int(s, 2, limit);
    return walk(db, s, fn, arg, "due");
}

int
store_alert_move(struct store_tx *tx, int64_t id, const char *from,
                 const char *to, int attempts_delta, int64_t next_at,
                 int64_t now_ms)
{
    static const char sql[] =
        "UPDATE alerts SET status = ?3, attempts = attempts + ?4,"
        " next_attempt_at = CASE WHEN ?5 >= 0 THEN ?5 ELSE next_attempt_at"
        " END, updated_at = ?6 WHERE id = ?1 AND status = ?2";
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;
    int rc = SK_EIO;

    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, to, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, attempts_delta);
    sqlite3_bind_int64(s, 5, next_at);
    sqlite3_bind_int64(s, 6, now_ms);
    if (sqlite3_step(s) == SQLITE_DONE)
        rc = sqlite3_changes(db);
out:
    if (rc < 0)
        alert_log(db, "update");
    sqlite3_finalize(s);
    return rc;
}

int
store_alert_recover(struct store_tx *tx, int64_t now_ms)
{
    static const char sql[] =
        "UPDATE alerts SET status = 'pending', next_attempt_at = ?1,"
        " updated_at = ?1 WHERE status = 'sending'";
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;
    int rc = SK_EIO;

    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_int64(s, 1, now_ms);
    if (sqlite3_step(s) == SQLITE_DONE)
        rc = sqlite3_changes(db);
out:
    if (rc < 0)
        alert_log(db, "recover");
    sqlite3_finalize(s);
    return rc;
}

int
store_alert_next_due(struct store_tx *tx, int64_t *at)
{
    static const char sql[] = "SELECT min(next_attempt_at) FROM alerts"
                              " WHERE status = 'pending'";
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;
    int rc = SK_EIO;

    *at = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_step(s) == SQLITE_ROW) {
        if (sqlite3_column_type(s, 0) != SQLITE_NULL)
            *at = sqlite3_column_int64(s, 0);
        rc = 0;
    }
out:
    if (rc < 0)
        alert_log(db, "next due");
    sqlite3_finalize(s);
    return rc;
}

int
store_alert_count_contact(struct store_tx *tx, const char *contact_key,
                          int64_t *n)
{
    static const char sql[] =
        "SELECT count(*) FROM alerts WHERE contact_key = ?1";
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;
    int rc = SK_EIO;

    *n = 0;
    if (contact_key == NULL || contact_key[0] == '\0')
        return SK_EINVAL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_text(s, 1, contact_key, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
        *n = sqlite3_column_int64(s, 0);
        rc = 0;
    }
out:
    if (rc < 0)
        alert_log(db, "count");
    sqlite3_finalize(s);
    return rc;
}
