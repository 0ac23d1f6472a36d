/*
 * store_audit.c - the store layer's queries on the audit log: who looked
 * at children's answers or a reply address, when and why. Written by
 * exports, reveals and the admin API; read by `sikiliza audit`.
 *
 * These functions run inside a job, on the writer thread, like every
 * store_tx function (see store.h). Rows are only ever added: nothing in
 * the product updates or deletes the audit log.
 */
#include <inttypes.h>
#include <stdio.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_int.h"

static void
bind_opt(sqlite3_stmt *s, int i, const char *v)
{
    if (v != NULL)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

int64_t
store_audit_add(struct store_tx *tx, int64_t now_ms, const char *actor,
                const char *action, const char *subject, const char *reason)
{
    static const char sql[] = "INSERT INTO audit (at, actor, action, subject,"
                              " reason) VALUES (?1, ?2, ?3, ?4, ?5)";
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;
    int64_t rc = SK_EIO;

    if (actor == NULL || action == NULL)
        return SK_EINVAL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_int64(s, 1, now_ms);
    sqlite3_bind_text(s, 2, actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, action, -1, SQLITE_STATIC);
    bind_opt(s, 4, subject);
    bind_opt(s, 5, reason);
    if (sqlite3_step(s) == SQLITE_DONE)
        rc = sqlite3_last_insert_rowid(db);
out:
    if (rc < 0)
        sk_log(LOG_WARNING, "audit", "insert: %s", sqlite3_errmsg(db));
    sqlite3_finalize(s);
    return rc;
}

int
store_audit_list(struct store_tx *tx, int64_t since_ms,
                 int (*fn)(void *arg, const struct store_audit_row *row),
                 void *arg)
{
    static const char sql[] = "SELECT id, at, actor, action, subject, reason"
                              " FROM audit WHERE at >= ?1 ORDER BY id";
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;
    struct store_audit_row row;
    int rc = SK_EIO, step;

    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_int64(s, 1, since_ms);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        row.id = sqlite3_column_int64(s, 0);
        row.at_ms = sqlite3_column_int64(s, 1);
        row.actor = (const char *)sqlite3_column_text(s, 2);
        row.action = (const char *)sqlite3_column_text(s, 3);
        row.subject = (const char *)sqlite3_column_text(s, 4);
        row.reason = (const char *)sqlite3_column_text(s, 5);
        if ((rc = fn(arg, &row)) != 0)
            goto out;
    }
    rc = step == SQLITE_DONE ? 0 : SK_EIO;
out:
    if (rc == SK_EIO)
        sk_log(LOG_WARNING, "audit", "list: %s", sqlite3_errmsg(db));
    sqlite3_finalize(s);
    return rc;
}
