/*
 * store_voice.c - the store layer's query for voice calls (see store.h):
 * which answer a heard recording went to, so the sealed audio is kept
 * beside it.
 *
 * Inside a job, on the writer thread, like every store_tx function.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "store_int.h"

/* A copy of column i of s, or NULL. */
static char *
column_dup(sqlite3_stmt *s, int i)
{
    const unsigned char *v = sqlite3_column_text(s, i);

    return v != NULL ? strdup((const char *)v) : NULL;
}

int
store_voice_result_after(struct store_tx *tx, const char *contact_key,
                         int64_t after_id, int64_t *id, char **flow_uuid,
                         char **name)
{
    static const char sql[] =
        "SELECT id, flow_uuid, name FROM results"
        " WHERE contact_key = ?1 AND id > ?2 ORDER BY id LIMIT 1";
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;
    int rc = SK_EIO, step;

    *id = 0;
    if (flow_uuid != NULL)
        *flow_uuid = NULL;
    if (name != NULL)
        *name = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_text(s, 1, contact_key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, after_id);
    step = sqlite3_step(s);
    if (step == SQLITE_DONE) {
        rc = SK_ENOENT;
    } else if (step == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        rc = 0;
        if (flow_uuid != NULL && (*flow_uuid = column_dup(s, 1)) == NULL)
            rc = SK_ENOMEM;
        if (name != NULL && (*name = column_dup(s, 2)) == NULL)
            rc = SK_ENOMEM;
        if (rc != 0 && flow_uuid != NULL) {
            free(*flow_uuid);
            *flow_uuid = NULL;
        }
        if (rc != 0 && name != NULL) {
            free(*name);
            *name = NULL;
        }
    }
out:
    if (rc == SK_EIO)
        sk_log(LOG_WARNING, "voice", "select result: %s", sqlite3_errmsg(db));
    sqlite3_finalize(s);
    return rc;
}

int
store_voice_last_result(struct store_tx *tx, const char *contact_key,
                        int64_t *id)
{
    static const char sql[] =
        "SELECT max(id) FROM results WHERE contact_key = ?1";
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;
    int rc = SK_EIO;

    *id = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_text(s, 1, contact_key, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
        rc = sqlite3_column_type(s, 0) == SQLITE_NULL ? SK_ENOENT : 0;
        *id = sqlite3_column_int64(s, 0);
    }
out:
    if (rc == SK_EIO)
        sk_log(LOG_WARNING, "voice", "select result: %s", sqlite3_errmsg(db));
    sqlite3_finalize(s);
    return rc;
}
