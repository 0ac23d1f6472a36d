/*
 * store_export.c - the store layer's queries for exports: the answers,
 * streamed one row at a time, and the counts the summaries are made of.
 *
 * An export reads through a read-only connection of its own, not the
 * writer's: a long export must not hold the write lock that a serving
 * gateway's writer waits for. In WAL mode a reader sees one snapshot for
 * the whole of its read transaction, never blocks the writer and is not
 * blocked by it, so rows and counts of one export agree with each other
 * while the gateway goes on answering children.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"

#define READER_BUSY_MS    5000
#define READER_MIN_SCHEMA 3 /* results.meta */

struct store_reader {
    sqlite3 *db;
};

static const char *
col_text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

/* Leaves the connection inside a read transaction that holds a snapshot:
 * BEGIN is deferred, so a first read starts it. */
static int
reader_begin(sqlite3 *db, char err[SK_ERR_LEN])
{
    sqlite3_stmt *s = NULL;
    int version = -1;

    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) !=
            SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW)
        goto fail;
    version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (version < READER_MIN_SCHEMA) {
        sk_seterr(err, "database schema %d is older than this build's (%d)",
                  version, READER_MIN_SCHEMA);
        return SK_EINVAL;
    }
    return 0;
fail:
    sk_seterr(err, "cannot read the database: %s", sqlite3_errmsg(db));
    sqlite3_finalize(s);
    return SK_EIO;
}

struct store_reader *
store_reader_open(const char *path, char err[SK_ERR_LEN])
{
    struct store_reader *r = calloc(1, sizeof(*r));

    if (r == NULL) {
        sk_seterr(err, "out of memory");
        return NULL;
    }
    if (sqlite3_open_v2(path, &r->db,
                        SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        sk_seterr(err, "store %s: %s", path,
                  r->db != NULL ? sqlite3_errmsg(r->db) : "out of memory");
        store_reader_close(r);
        return NULL;
    }
    sqlite3_busy_timeout(r->db, READER_BUSY_MS);
    if (reader_begin(r->db, err) != 0) {
        store_reader_close(r);
        return NULL;
    }
    return r;
}

void
store_reader_close(struct store_reader *r)
{
    if (r == NULL)
        return;
    if (r->db != NULL && !sqlite3_get_autocommit(r->db))
        sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(r->db);
    free(r);
}

/* Binds the filter as ?1 (since) and ?2 (flow name or UUID, or NULL). */
static void
bind_filter(sqlite3_stmt *s, const struct store_export_filter *f)
{
    sqlite3_bind_int64(s, 1, f->since_ms);
    if (f->flow != NULL)
        sqlite3_bind_text(s, 2, f->flow, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 2);
}

int
store_export_rows(struct store_reader *r, const struct store_export_filter *f,
                  int (*fn)(void *arg, const struct store_export_row *row),
                  void *arg, char err[SK_ERR_LEN])
{
    static const char sql[] =
        "SELECT id, contact_key, flow_uuid, flow_name,"
        " json_extract(meta, '$.flow_revision'), name, value, category,"
        " input, created_at, json_extract(meta, '$.language'),"
        " json_extract(meta, '$.channel_type')"
        " FROM results WHERE created_at >= ?1"
        " AND (?2 IS NULL OR flow_name = ?2 OR flow_uuid = ?2)"
        " ORDER BY flow_name, created_at, id";
    sqlite3_stmt *s = NULL;
    struct store_export_row row;
    int rc = SK_EIO, step;

    if (sqlite3_prepare_v2(r->db, sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    bind_filter(s, f);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        row.id = sqlite3_column_int64(s, 0);
        row.contact_key = col_text(s, 1);
        row.flow_uuid = col_text(s, 2);
        row.flow_name = col_text(s, 3);
        row.flow_revision = sqlite3_column_int64(s, 4);
        row.name = col_text(s, 5);
        row.value = col_text(s, 6);
        row.category = col_text(s, 7);
        row.input = col_text(s, 8);
        row.created_at = sqlite3_column_int64(s, 9);
        row.language = col_text(s, 10);
        row.channel_type = col_text(s, 11);
        if ((rc = fn(arg, &row)) != 0)
            goto done;
    }
    rc = step == SQLITE_DONE ? 0 : SK_EIO;
out:
    if (rc == SK_EIO)
        sk_seterr(err, "reading answers: %s", sqlite3_errmsg(r->db));
done:
    sqlite3_finalize(s);
    return rc;
}

int
store_export_counts(struct store_reader *r, const struct store_export_filter *f,
                    const char *by,
                    int (*fn)(void *arg,
                              const struct store_export_count *count),
                    void *arg, char err[SK_ERR_LEN])
{
    /* each child's latest answer to each result of each flow */
    static const char sql[] =
        "WITH latest AS (SELECT contact_key, flow_name, name, category"
        "  FROM results WHERE id IN (SELECT max(id) FROM results"
        "  WHERE created_at >= ?1"
        "  AND (?2 IS NULL OR flow_name = ?2 OR flow_uuid = ?2)"
        "  GROUP BY contact_key, flow_name, name))"
        " SELECT l.flow_name, l.name, coalesce(l.category, ''),"
        " coalesce(b.category, ''), count(*)"
        " FROM latest l LEFT JOIN latest b ON b.contact_key = l.contact_key"
        " AND b.flow_name = l.flow_name AND b.name = ?3"
        " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4";
    sqlite3_stmt *s = NULL;
    struct store_export_count c;
    int rc = SK_EIO, step;

    if (sqlite3_prepare_v2(r->db, sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    bind_filter(s, f);
    if (by != NULL)
        sqlite3_bind_text(s, 3, by, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 3);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        c.flow_name = col_text(s, 0);
        c.result = col_text(s, 1);
        c.category = col_text(s, 2);
        c.group = col_text(s, 3);
        c.n = sqlite3_column_int64(s, 4);
        if ((rc = fn(arg, &c)) != 0)
            goto done;
    }
    rc = step == SQLITE_DONE ? 0 : SK_EIO;
out:
    if (rc == SK_EIO)
        sk_seterr(err, "counting answers: %s", sqlite3_errmsg(r->db));
done:
    sqlite3_finalize(s);
    return rc;
}
