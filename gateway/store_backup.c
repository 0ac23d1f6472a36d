/*
 * store_backup.c - the store layer of `sikiliza backup` and `sikiliza
 * restore` (store.h): the online copy, the check of a restored file, and
 * the replay of the erasure log.
 *
 * Design. The copy runs on a connection of its own with sqlite's online
 * backup API, COPY_PAGES pages a step with a short sleep between steps.
 * In WAL mode a reader never blocks the writer, so `serve` keeps
 * committing; when it commits between two steps sqlite starts the copy
 * again, and after COPY_RESTARTS such restarts the rest is copied in one
 * step (one read snapshot, which still never blocks the writer), so a
 * busy gateway cannot starve the backup.
 *
 * The erasure log (schema 8, written by store_purge.c) names erased
 * contacts by the SHA-256 of their key. A restore reads the entries
 * logged since its backup began from the store it replaces, and the job
 * on the restored store hashes every contact key found there and erases
 * those the log names, then applies the furthest purge cut-offs. The
 * keys are looked for in every table of store_purge.c's contact_tables[].
 *
 * Main thread, except store_erasures_replay(), which runs inside a job.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_int.h"

#define COPY_PAGES    256
#define COPY_SLEEP_MS 5
#define COPY_RESTARTS 8
#define BUSY_MS       5000

/* Every contact key the restored store holds, wherever it is (the tables
 * of contact_tables[] in store_purge.c). */
static const char sql_keys[] =
    "SELECT key FROM contacts UNION SELECT contact_key FROM results"
    " UNION SELECT contact_key FROM inbound UNION SELECT contact_key FROM"
    " outbox UNION SELECT contact_key FROM vault UNION SELECT contact_key"
    " FROM recordings UNION SELECT contact_key FROM alerts";

static int
copy_steps(sqlite3_backup *b)
{
    int rc, restarts = 0, remaining = -1, now;

    for (;;) {
        rc = sqlite3_backup_step(b, restarts < COPY_RESTARTS ? COPY_PAGES : -1);
        if (rc == SQLITE_DONE)
            return 0;
        if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            return rc;
        now = sqlite3_backup_remaining(b);
        if (remaining >= 0 && now > remaining)
            restarts++;
        remaining = now;
        sqlite3_sleep(COPY_SLEEP_MS);
    }
}

int
store_backup_copy(const char *path, const char *dest, int *schema,
                  char err[SK_ERR_LEN])
{
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *b = NULL;
    int rc = SK_EIO, src_rc, fd;

    /* read-write without create: a WAL database needs its -shm */
    if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sk_seterr(err, "store %s: %s", path,
                  src != NULL ? sqlite3_errmsg(src) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(src, BUSY_MS);
    /* a new, private, empty file: sqlite takes it as a new database */
    if ((fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
        sk_seterr(err, "backup copy %s: %s", dest, strerror(errno));
        goto out;
    }
    close(fd);
    if (sqlite3_open_v2(dest, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sk_seterr(err, "backup copy %s: %s", dest,
                  dst != NULL ? sqlite3_errmsg(dst) : "out of memory");
        goto out;
    }
    if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
        sk_seterr(err, "backup of %s: %s", path, sqlite3_errmsg(dst));
        goto out;
    }
    src_rc = copy_steps(b);
    if (sqlite3_backup_finish(b) != SQLITE_OK || src_rc != 0) {
        sk_seterr(err, "backup of %s: %s", path, sqlite3_errmsg(dst));
        b = NULL;
        goto out;
    }
    b = NULL;
    rc = 0;
out:
    sqlite3_close(dst);
    sqlite3_close(src);
    if (rc == 0)
        rc = store_backup_check(dest, schema, err);
    return rc;
}

/* The single text of a one-row pragma into buf. */
static int
pragma_text(sqlite3 *db, const char *sql, char *buf, size_t size)
{
    sqlite3_stmt *s = NULL;
    const unsigned char *t;
    int rc = SK_EIO;

    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
        t = sqlite3_column_text(s, 0);
        snprintf(buf, size, "%s", t != NULL ? (const char *)t : "");
        rc = 0;
    }
    sqlite3_finalize(s);
    return rc;
}

int
store_backup_check(const char *path, int *schema, char err[SK_ERR_LEN])
{
    sqlite3 *db = NULL;
    char buf[256];
    int rc = SK_EIO;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sk_seterr(err, "database %s: %s", path,
                  db != NULL ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    if (pragma_text(db, "PRAGMA integrity_check", buf, sizeof(buf)) != 0 ||
        strcmp(buf, "ok") != 0) {
        sk_seterr(err, "database %s fails its integrity check: %s", path,
                  buf[0] != '\0' ? buf : sqlite3_errmsg(db));
        rc = SK_EINVAL;
        goto out;
    }
    if (pragma_text(db, "PRAGMA user_version", buf, sizeof(buf)) != 0)
        goto fail;
    *schema = atoi(buf);
    if (*schema > store_schema_latest()) {
        sk_seterr(err,
                  "database schema %d is newer than this build (%d): "
                  "restore it with a newer sikiliza",
                  *schema, store_schema_latest());
        rc = SK_EINVAL;
        goto out;
    }
    if (pragma_text(db, "PRAGMA journal_mode = DELETE", buf, sizeof(buf)) !=
            0 ||
        strcmp(buf, "delete") != 0)
        goto fail;
    rc = 0;
    goto out;
fail:
    sk_seterr(err, "database %s: %s", path, sqlite3_errmsg(db));
out:
    sqlite3_close(db);
    return rc;
}

static int
erasures_add(struct store_erasures *e, const char *hash)
{
    char(*grown)[STORE_KEY_MAX];
    size_t cap;

    if (strlen(hash) >= STORE_KEY_MAX)
        return SK_EINVAL; /* no key or hash is this long */
    if (e->n == e->cap) {
        cap = e->cap == 0 ? 64 : e->cap * 2;
        if ((grown = realloc(e->hashes, cap * sizeof(*grown))) == NULL)
            return SK_ENOMEM;
        e->hashes = grown;
        e->cap = cap;
    }
    snprintf(e->hashes[e->n++], STORE_KEY_MAX, "%s", hash);
    return 0;
}

static int
erasures_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

int
store_erasures_since(const char *path, int64_t since_ms,
                     struct store_erasures *e, char err[SK_ERR_LEN])
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    const unsigned char *h;
    int rc = SK_EIO, src;

    memset(e, 0, sizeof(*e));
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(db, BUSY_MS);
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM sqlite_master WHERE "
                           "name = 'erasure_log'",
                           -1, &s, NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW)
        goto fail;
    if (sqlite3_column_int(s, 0) == 0) {
        rc = 0; /* a store from before the log: nothing to replay */
        goto out;
    }
    sqlite3_finalize(s);
    if (sqlite3_prepare_v2(db,
                           "SELECT key_hash, before_ms, vault_before_ms, at "
                           "FROM erasure_log WHERE at >= ?1 ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(s, 1, since_ms);
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        if ((h = sqlite3_column_text(s, 0)) != NULL) {
            if (erasures_add(e, (const char *)h) != 0) {
                sk_seterr(err, "restore: out of memory");
                rc = SK_ENOMEM;
                goto out;
            }
            continue;
        }
        if (sqlite3_column_int64(s, 1) > e->before_ms)
            e->before_ms = sqlite3_column_int64(s, 1);
        if (sqlite3_column_int64(s, 2) > e->vault_before_ms)
            e->vault_before_ms = sqlite3_column_int64(s, 2);
        e->purge_at_ms = sqlite3_column_int64(s, 3);
    }
    if (src != SQLITE_DONE)
        goto fail;
    if (e->n > 1)
        qsort(e->hashes, e->n, sizeof(*e->hashes), erasures_cmp);
    rc = 0;
    goto out;
fail:
    sk_seterr(err, "erasure log of %s: %s", path,
              db != NULL ? sqlite3_errmsg(db) : "out of memory");
out:
    sqlite3_finalize(s);
    sqlite3_close(db);
    if (rc != 0)
        store_erasures_clear(e);
    return rc;
}

void
store_erasures_clear(struct store_erasures *e)
{
    free(e->hashes);
    memset(e, 0, sizeof(*e));
}

/* The keys of the restored store whose hash e names, collected first
 * (erasing while the query runs would change what it reads). */
static int
replay_keys(struct store_tx *tx, const struct store_erasures *e,
            struct store_erasures *keys)
{
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;
    char hash[STORE_KEY_MAX];
    const unsigned char *k;
    int rc = 0, src;

    if (sqlite3_prepare_v2(db, sql_keys, -1, &s, NULL) != SQLITE_OK) {
        sk_log(LOG_ERR, "store", "replay: %s", sqlite3_errmsg(db));
        return SK_EIO;
    }
    while (rc == 0 && (src = sqlite3_step(s)) == SQLITE_ROW) {
        k = sqlite3_column_text(s, 0);
        if (k == NULL || k[0] == '\0')
            continue;
        store_erasure_hash((const char *)k, hash);
        if (bsearch(hash, e->hashes, e->n, sizeof(*e->hashes), erasures_cmp) !=
            NULL)
            rc = erasures_add(keys, (const char *)k);
    }
    if (rc == 0 && src != SQLITE_DONE) {
        sk_log(LOG_ERR, "store", "replay: %s", sqlite3_errmsg(db));
        rc = SK_EIO;
    }
    sqlite3_finalize(s);
    return rc;
}

int
store_erasures_replay(struct store_tx *tx, const struct store_erasures *e,
                      int64_t *erased)
{
    struct store_erasures keys = {0};
    struct store_purge_counts n;
    size_t i;
    int rc = 0;

    *erased = 0;
    if (e->n > 0)
        rc = replay_keys(tx, e, &keys);
    for (i = 0; rc == 0 && i < keys.n; i++) {
        if ((rc = store_contact_erase(tx, keys.hashes[i])) == 0)
            (*erased)++;
    }
    store_erasures_clear(&keys);
    if (rc == 0 && e->purge_at_ms > 0)
        rc = store_purge(tx, e->before_ms, e->vault_before_ms, e->purge_at_ms,
                         &n);
    return rc;
}
