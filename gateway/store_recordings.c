/*
 * store_recordings.c - the store layer's queries on the recordings table
 * (recording.c seals and opens what goes in; this file only moves rows).
 *
 * Recordings are kept in the database rather than as files beside it: a
 * recording and the answer it belongs to commit in one transaction, an
 * erasure or a purge removes them in the same one (no file left behind
 * by a crash between the two), and a backup is one file. The blob is
 * sealed before it reaches the store, so the database never holds audio
 * in clear. store_contact_erase() (store.c) deletes a contact's rows. These
 * functions run inside a job, on the writer thread, like every store_tx
 * function (see store.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_int.h"

static void
rec_warn(struct store_tx *tx, const char *what)
{
    sk_log(LOG_WARNING, "store", "recordings %s: %s", what,
           sqlite3_errmsg(store_tx_sqlite(tx)));
}

int64_t
store_recording_put(struct store_tx *tx, const struct store_recording *r)
{
    static const char sql[] =
        "INSERT INTO recordings (contact_key, flow_uuid, result_name, rate,"
        " samples, needs_listening, blob, created_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;
    int64_t rc = SK_EIO;

    if (r == NULL || r->contact_key == NULL || r->flow_uuid == NULL ||
        r->result_name == NULL || r->blob == NULL || r->blob_len == 0 ||
        r->blob_len > INT32_MAX)
        return SK_EINVAL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_text(s, 1, r->contact_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, r->flow_uuid, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, r->result_name, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, r->rate);
    sqlite3_bind_int64(s, 5, r->samples);
    sqlite3_bind_int(s, 6, r->needs_listening ? 1 : 0);
    sqlite3_bind_blob(s, 7, r->blob, (int)r->blob_len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 8, r->created_at);
    if (sqlite3_step(s) == SQLITE_DONE)
        rc = sqlite3_last_insert_rowid(db);
out:
    if (rc < 0)
        rec_warn(tx, "insert");
    sqlite3_finalize(s);
    return rc;
}

static char *
rec_text(sqlite3_stmt *s, int col, bool *ok)
{
    const char *t = (const char *)sqlite3_column_text(s, col);
    char *d = strdup(t != NULL ? t : "");

    if (d == NULL)
        *ok = false;
    return d;
}

/* Copies the row s stands on into r. */
static int
rec_fill(sqlite3_stmt *s, struct store_recording *r)
{
    const void *b;
    bool ok = true;
    int n;

    r->id = sqlite3_column_int64(s, 0);
    r->contact_key = rec_text(s, 1, &ok);
    r->flow_uuid = rec_text(s, 2, &ok);
    r->result_name = rec_text(s, 3, &ok);
    r->rate = sqlite3_column_int(s, 4);
    r->samples = sqlite3_column_int64(s, 5);
    r->needs_listening = sqlite3_column_int(s, 6) != 0;
    b = sqlite3_column_blob(s, 7);
    n = sqlite3_column_bytes(s, 7);
    r->created_at = sqlite3_column_int64(s, 8);
    if (b != NULL && n > 0) {
        r->blob = malloc((size_t)n);
        if (r->blob == NULL)
            ok = false;
        else {
            memcpy(r->blob, b, (size_t)n);
            r->blob_len = (size_t)n;
        }
    }
    if (!ok) {
        store_recording_clear(r);
        return SK_ENOMEM;
    }
    return 0;
}

int
store_recording_get(struct store_tx *tx, int64_t id, struct store_recording *r)
{
    static const char sql[] =
        "SELECT id, contact_key, flow_uuid, result_name, rate, samples,"
        " needs_listening, blob, created_at FROM recordings WHERE id = ?1";
    sqlite3_stmt *s = NULL;
    int rc = SK_EIO, step;

    memset(r, 0, sizeof(*r));
    if (sqlite3_prepare_v2(store_tx_sqlite(tx), sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_int64(s, 1, id);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        rc = rec_fill(s, r);
    else if (step == SQLITE_DONE)
        rc = SK_ENOENT;
out:
    if (rc == SK_EIO)
        rec_warn(tx, "select");
    sqlite3_finalize(s);
    return rc;
}

void
store_recording_clear(struct store_recording *r)
{
    if (r == NULL)
        return;
    free(r->contact_key);
    free(r->flow_uuid);
    free(r->result_name);
    free(r->blob);
    memset(r, 0, sizeof(*r));
}

int
store_recordings_purge(struct store_tx *tx, int64_t before_ms)
{
    static const char sql[] = "DELETE FROM recordings WHERE created_at < ?1";
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;
    int rc = SK_EIO;

    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_int64(s, 1, before_ms);
    if (sqlite3_step(s) == SQLITE_DONE)
        rc = sqlite3_changes(db);
out:
    if (rc < 0)
        rec_warn(tx, "delete");
    sqlite3_finalize(s);
    return rc;
}

int
store_recordings_count(struct store_tx *tx, const char *contact_key, int64_t *n)
{
    static const char sql[] = "SELECT count(*) FROM recordings"
                              " WHERE ?1 IS NULL OR contact_key = ?1";
    sqlite3_stmt *s = NULL;
    int rc = SK_EIO;

    *n = 0;
    if (sqlite3_prepare_v2(store_tx_sqlite(tx), sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    if (contact_key != NULL)
        sqlite3_bind_text(s, 1, contact_key, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
        *n = sqlite3_column_int64(s, 0);
        rc = 0;
    }
out:
    if (rc < 0)
        rec_warn(tx, "count");
    sqlite3_finalize(s);
    return rc;
}
