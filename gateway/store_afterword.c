/*
 * store_afterword.c - the store layer's queries for the afterword (see
 * afterword.h): when a contact whose survey has ended was last sent the
 * kind reply, kept in the contact's row (erased and purged with it).
 *
 * These functions run inside a job, on the writer thread, like every
 * store_tx function (see store.h).
 */
#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_int.h"

int
store_afterword_get(struct store_tx *tx, const char *contact_key,
                    int64_t *at_ms)
{
    static const char sql[] =
        "SELECT afterword_at FROM contacts WHERE key = ?1";
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;
    int rc = SK_EIO, step;

    *at_ms = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_text(s, 1, contact_key, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        *at_ms = sqlite3_column_int64(s, 0);
        rc = 0;
    } else if (step == SQLITE_DONE) {
        rc = SK_ENOENT;
    }
out:
    if (rc == SK_EIO)
        sk_log(LOG_WARNING, "afterword", "select: %s", sqlite3_errmsg(db));
    sqlite3_finalize(s);
    return rc;
}

int
store_afterword_put(struct store_tx *tx, const char *contact_key, int64_t at_ms)
{
    static const char sql[] =
        "UPDATE contacts SET afterword_at = ?1 WHERE key = ?2";
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;
    int rc = SK_EIO;

    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_int64(s, 1, at_ms);
    sqlite3_bind_text(s, 2, contact_key, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_DONE)
        rc = sqlite3_changes(db) > 0 ? 0 : SK_ENOENT;
out:
    if (rc == SK_EIO)
        sk_log(LOG_WARNING, "afterword", "update: %s", sqlite3_errmsg(db));
    sqlite3_finalize(s);
    return rc;
}
