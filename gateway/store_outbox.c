/*
 * store_outbox.c - the store layer's queries on the outbox table and the
 * counts the send caps read, for outbox.c, optout.c and caps.c.
 *
 * Design. These functions run inside a job, on the writer thread, like
 * every store_tx function (see store.h). They speak the outbox's words
 * (claim due rows, move a row from one status to another, apply a
 * delivery report) so that the modules above never hold a statement or a
 * database handle: a second backend would implement this file again and
 * nothing above it would change. Row callbacks see borrowed strings that
 * live until they return; a callback must not write to the store (the
 * statement is still stepping), so callers collect first and write after.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_int.h"

int
store_outbox_move(struct store_tx *tx, int64_t id, const char *from,
                  const char *to, int attempts_delta, int64_t next_at,
                  const char *external_id, int64_t now_ms)
{
    static const char sql[] =
        "UPDATE outbox SET status = ?3, attempts = attempts + ?4,"
        " next_attempt_at = CASE WHEN ?5 >= 0 THEN ?5 ELSE next_attempt_at"
        " END, external_id = coalesce(?6, external_id), updated_at = ?7"
        " WHERE id = ?1 AND status = ?2";
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
    if (external_id != NULL)
        sqlite3_bind_text(s, 6, external_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, now_ms);
    if (sqlite3_step(s) == SQLITE_DONE)
        rc = sqlite3_changes(db);
out:
    if (rc < 0)
        sk_log(LOG_WARNING, "outbox", "update id=%" PRId64 ": %s", id,
               sqlite3_errmsg(db));
    sqlite3_finalize(s);
    return rc;
}

int
store_outbox_stopped_since(struct store_tx *tx, int64_t id)
{
    static const char sql[] =
        "SELECT EXISTS (SELECT 1 FROM outbox AS o"
        " JOIN contacts AS c ON c.key = o.contact_key AND c.opted_out <> 0"
        " WHERE o.id = ?1 AND EXISTS (SELECT 1 FROM outbox AS e"
        " WHERE e.contact_key = o.contact_key AND e.id > o.id))";
    sqlite3_stmt *s = NULL;
    int rc = SK_EIO;

    if (sqlite3_prepare_v2(store_tx_sqlite(tx), sql, -1, &s, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int64(s, 1, id);
        if (sqlite3_step(s) == SQLITE_ROW)
            rc = sqlite3_column_int(s, 0) != 0;
    }
    sqlite3_finalize(s);
    return rc;
}

/* Steps s, calling fn with each row (columns id, channel, contact_key,
 * text, attempts; text may be absent). 0, fn's rc, or SK_EIO. */
static int
outbox_rows(sqlite3_stmt *s, store_outbox_row_fn fn, void *arg)
{
    struct store_outbox_row r;
    int src, rc;

    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        r.id = sqlite3_column_int64(s, 0);
        r.channel = (const char *)sqlite3_column_text(s, 1);
        r.contact_key = (const char *)sqlite3_column_text(s, 2);
        r.text = sqlite3_column_count(s) > 3
                     ? (const char *)sqlite3_column_text(s, 3)
                     : NULL;
        r.attempts = sqlite3_column_count(s) > 4 ? sqlite3_column_int(s, 4) : 0;
        if ((rc = fn(arg, &r)) != 0)
            return rc;
    }
    return src == SQLITE_DONE ? 0 : SK_EIO;
}

int
store_outbox_sending(struct store_tx *tx, store_outbox_row_fn fn, void *arg)
{
    sqlite3_stmt *s = NULL;
    int rc = SK_EIO;

    if (sqlite3_prepare_v2(store_tx_sqlite(tx),
                           "SELECT id, channel, contact_key FROM outbox"
                           " WHERE status = 'sending'",
                           -1, &s, NULL) == SQLITE_OK)
        rc = outbox_rows(s, fn, arg);
    sqlite3_finalize(s);
    return rc;
}

/* The claim query for n channels (?3 .. ?n+2), malloc'd, or NULL. Rows of
 * channels not listed stay queued: another version or configuration may
 * send them; they must not block the others. */
static char *
outbox_due_sql(size_t n)
{
    static const char head[] =
        "SELECT id, channel, contact_key, text, attempts FROM outbox"
        " WHERE status = 'queued' AND next_attempt_at <= ?1"
        /* one row per contact at a time, in order: a child reads the
         * messages of a step in the order the flow sent them */
        " AND NOT EXISTS (SELECT 1 FROM outbox AS e"
        " WHERE e.contact_key = outbox.contact_key"
        " AND e.channel = outbox.channel AND e.id < outbox.id"
        " AND e.status IN ('queued', 'sending'))"
        " AND channel IN (";
    static const char tail[] = ") ORDER BY next_attempt_at, id LIMIT ?2";
    size_t len = sizeof(head) + sizeof(tail) + 8 * n + 8;
    char *sql = malloc(len);
    size_t off;

    if (sql == NULL)
        return NULL;
    off = (size_t)snprintf(sql, len, "%s", head);
    if (n == 0)
        off += (size_t)snprintf(sql + off, len - off, "NULL");
    for (size_t i = 0; i < n; i++)
        off += (size_t)snprintf(sql + off, len - off, "%s?%zu",
                                i > 0 ? ", " : "", i + 3);
    snprintf(sql + off, len - off, "%s", tail);
    return sql;
}

int
store_outbox_due(struct store_tx *tx, int64_t now_ms, int limit,
                 const char *const *channels, size_t n_channels,
                 store_outbox_row_fn fn, void *arg)
{
    char *sql;
    sqlite3_stmt *s = NULL;
    int rc = SK_EIO;

    if (n_channels > STORE_OUTBOX_MAX_CHANNELS)
        return SK_EINVAL;
    if ((sql = outbox_due_sql(n_channels)) == NULL)
        return SK_ENOMEM;
    if (sqlite3_prepare_v2(store_tx_sqlite(tx), sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_int64(s, 1, now_ms);
    sqlite3_bind_int(s, 2, limit);
    for (size_t i = 0; i < n_channels; i++)
        sqlite3_bind_text(s, (int)i + 3, channels[i], -1, SQLITE_STATIC);
    rc = outbox_rows(s, fn, arg);
out:
    sqlite3_finalize(s);
    free(sql);
    return rc;
}

/* sql prepared with ?1 the channel and ?2 the row's external_id, or its id
 * when external_id is NULL; NULL on failure. */
static sqlite3_stmt *
dlr_prepare(sqlite3 *db, const char *sql, const char *channel,
            const char *external_id, int64_t id)
{
    sqlite3_stmt *s = NULL;

    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_text(s, 1, channel, -1, SQLITE_STATIC);
    if (external_id != NULL)
        sqlite3_bind_text(s, 2, external_id, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(s, 2, id);
    return s;
}

/* fn for each contact key that s selects (column 0); steps s to its end.
 * 0, SK_EIO or fn's rc. */
static int
dlr_each_key(sqlite3_stmt *s, store_outbox_key_fn fn, void *arg)
{
    char key[STORE_KEY_MAX];
    const unsigned char *k;
    int src = SQLITE_DONE, rc = 0;

    while (rc == 0 && (src = sqlite3_step(s)) == SQLITE_ROW) {
        if ((k = sqlite3_column_text(s, 0)) == NULL)
            continue;
        snprintf(key, sizeof(key), "%s", (const char *)k);
        rc = fn(arg, key);
    }
    return rc != 0 ? rc : src == SQLITE_DONE ? 0 : SK_EIO;
}

int
store_outbox_report(struct store_tx *tx, const char *channel,
                    const char *external_id, int64_t id, bool delivered,
                    int64_t now_ms, store_outbox_key_fn fn, void *arg)
{
    /* By external id: the row has been written back as sent. */
    static const char upd_ext[] =
        "UPDATE outbox SET status = ?3, updated_at = ?4"
        " WHERE channel = ?1 AND external_id = ?2 AND (status = 'sent'"
        " OR (status = 'failed' AND ?3 = 'delivered'))";
    static const char cnt_ext[] = "SELECT count(*) FROM outbox"
                                  " WHERE channel = ?1 AND external_id = ?2";
    /* By row id: the report may overtake the write-back ('sending'). */
    static const char upd_id[] =
        "UPDATE outbox SET status = ?3, updated_at = ?4"
        " WHERE channel = ?1 AND id = ?2 AND (status IN ('sent', 'sending')"
        " OR (status = 'failed' AND ?3 = 'delivered'))";
    static const char cnt_id[] = "SELECT count(*) FROM outbox"
                                 " WHERE channel = ?1 AND id = ?2";
    /* Whose rows a report has moved to a final state. */
    static const char key_ext[] = "SELECT DISTINCT contact_key FROM outbox"
                                  " WHERE channel = ?1 AND external_id = ?2";
    static const char key_id[] = "SELECT contact_key FROM outbox"
                                 " WHERE channel = ?1 AND id = ?2";
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;
    const char *to = delivered ? "delivered" : "failed";
    int rc = SK_EIO;

    if (channel == NULL ||
        (external_id != NULL ? external_id[0] == '\0' : id <= 0))
        return SK_EINVAL;
    if ((s = dlr_prepare(db, external_id ? upd_ext : upd_id, channel,
                         external_id, id)) == NULL)
        goto out;
    sqlite3_bind_text(s, 3, to, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, now_ms);
    if (sqlite3_step(s) != SQLITE_DONE)
        goto out;
    if (sqlite3_changes(db) > 0) {
        sqlite3_finalize(s);
        s = dlr_prepare(db, external_id ? key_ext : key_id, channel,
                        external_id, id);
        rc = s != NULL ? dlr_each_key(s, fn, arg) : SK_EIO;
        rc = rc == 0 ? 1 : rc;
        goto out;
    }
    sqlite3_finalize(s);
    s = NULL;
    if ((s = dlr_prepare(db, external_id ? cnt_ext : cnt_id, channel,
                         external_id, id)) == NULL)
        goto out;
    if (sqlite3_step(s) != SQLITE_ROW)
        goto out;
    /* A repeated or late report for a known row: nothing to change. */
    rc = sqlite3_column_int64(s, 0) > 0 ? 0 : SK_ENOENT;
out:
    if (rc == SK_EIO)
        sk_log(LOG_WARNING, "outbox", "delivery report: %s",
               sqlite3_errmsg(db));
    sqlite3_finalize(s);
    return rc;
}

/*
 * Runs sql (one statement) with ?1 = key and ?2 = t. A statement that
 * returns a row gives its first column in *out; one that changes rows
 * gives how many. 0, SK_ENOMEM or SK_EIO.
 */
static int
key_time_step(struct store_tx *tx, const char *sql, const char *key, int64_t t,
              int64_t *out)
{
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;
    int src, rc = SK_EIO;

    if (db == NULL || sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(s, 2, t) != SQLITE_OK)
        goto out;
    src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        *out = sqlite3_column_int64(s, 0);
        rc = 0;
    } else if (src == SQLITE_DONE) {
        *out = sqlite3_changes(db);
        rc = 0;
    } else if ((src & 0xff) == SQLITE_NOMEM) {
        rc = SK_ENOMEM;
    }
out:
    sqlite3_finalize(s);
    return rc;
}

int
store_outbox_cancel_queued(struct store_tx *tx, const char *contact_key,
                           int64_t now_ms, int *n)
{
    static const char sql[] = "UPDATE outbox SET status = 'failed',"
                              " updated_at = ?2"
                              " WHERE contact_key = ?1 AND status = 'queued'";
    int64_t changed = 0;
    int rc = key_time_step(tx, sql, contact_key, now_ms, &changed);

    *n = rc == 0 ? (int)changed : 0;
    return rc;
}

int
store_caps_count_since(struct store_tx *tx, const char *contact_key,
                       int64_t since_ms, int64_t *n)
{
    /* json_valid() guards rows whose reply is NULL or not an array */
    static const char sql[] =
        "SELECT (SELECT coalesce(sum(json_array_length(reply)), 0)"
        "   FROM inbound WHERE contact_key = ?1 AND received_at >= ?2"
        "   AND json_valid(reply) AND json_type(reply) = 'array')"
        " + (SELECT count(*) FROM outbox WHERE contact_key = ?1"
        "   AND created_at >= ?2 AND (status <> 'failed' OR attempts > 0))";

    return key_time_step(tx, sql, contact_key, since_ms, n);
}
