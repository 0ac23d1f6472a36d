/*
 * store_purge.c - the store layer's erasure (DELETE) and retention purge.
 *
 * Design. What the store holds on a child is found by the contact key.
 * contact_tables[] below is the one list of tables that hold contact
 * data and what erasure does to each: a part that adds such a table adds
 * its line there, and retention_sql[] its age rule, and DELETE and purge
 * reach it from then on.
 *
 * Erasure deletes rows; it does not unlink them. The dedupe rows go too,
 * with the provider's message ids and their times: a Twilio MessageSid or
 * a Kannel id, looked up at the provider, names the phone number, and
 * the times would let the provider's logs find it as well. Only the
 * erasing message needs recognising afterwards, so that the provider's
 * retry of the DELETE is answered as before and not erased and confirmed
 * twice: its dedupe row is written by the caller (inbound.c) under a
 * keyed hash of channel and id (privacy_dedupe_id(), a key of its own,
 * so the row cannot be matched to a provider's records without the key
 * file), with no contact key and its time cut to the day.
 *
 * The DELETE confirmation sent through the outbox goes under a one-time
 * key that names no one (optout.c); its row, with the fixed text and the
 * provider's id of that message, stays until the retention purge.
 *
 * Safeguarding alerts, once they are stored, keep their row through an
 * erasure (that a disclosure was made, when, of what kind and what
 * became of it, is the organisation's record) but lose the contact key
 * and any text: nothing leads from the alert back to the child (the
 * on-call SMS lose the contact's short reference too). The retention
 * purge deletes alerts older than retention_days. Stored
 * recordings are deleted with their rows.
 *
 * Deleted rows must also leave the bytes of the file and its WAL at
 * once: secure_delete is on for every connection (store.c), and every
 * function here that deleted something calls store_tx_scrub(), so the
 * writer vacuums and truncates the WAL right after the COMMIT.
 *
 * Each erasure and each purge also goes to the erasure log (schema 8):
 * a restore replays those made after its backup was taken
 * (store_backup.c), so that what a backup still holds of an erased child
 * or of expired answers does not come back. An erasure is logged by the
 * SHA-256 of the contact key, so no row holds the erased key; the log
 * keeps its rows retention_days, as long as a backup can hold anything
 * the retention purge would not remove at once.
 *
 * These functions run inside a job, on the writer thread (store.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "hex.h"

#include "log.h"
#include "store.h"
#include "store_int.h"

/* Every table that holds data on a contact, by the column naming it, and
 * the statement that erases it (?1 is the contact key). */
static const struct {
    const char *table;
    const char *sql;
} contact_tables[] = {
    {"inbound", "DELETE FROM inbound WHERE contact_key = ?1"},
    {"contacts", "DELETE FROM contacts WHERE key = ?1"},
    {"results", "DELETE FROM results WHERE contact_key = ?1"},
    {"outbox", "DELETE FROM outbox WHERE contact_key = ?1"},
    {"vault", "DELETE FROM vault WHERE contact_key = ?1"},
    {"recordings", "DELETE FROM recordings WHERE contact_key = ?1"},
    /* a safeguarding alert stays (what was disclosed, when, of what kind:
     * the organisation's record), unlinked from the child; it holds no
     * text */
    {"alerts", "UPDATE alerts SET contact_key = '' WHERE contact_key = ?1"},
    /* the on-call SMS of the child's alerts (safeguard.c, under one-time
     * keys) name the contact's short reference: it goes, the SMS stays */
    {"outbox", "UPDATE outbox SET text = replace(text, 'contact ' ||"
               " substr(?1, 1, 8) || '.', 'contact erased.')"
               " WHERE text LIKE 'Safeguarding alert %' AND"
               " instr(text, 'contact ' || substr(?1, 1, 8) || '.') > 0"},
};
#define N_CONTACT_TABLES (sizeof(contact_tables) / sizeof(contact_tables[0]))

/* The retention rules, in the order of struct store_purge_counts: ?1 is
 * the cut-off of answers and messages, ?2 of vault entries, ?3 now. A
 * row being sent stays until its attempt has ended. */
static const char *const retention_sql[] = {
    "DELETE FROM results WHERE created_at < ?1",
    "DELETE FROM inbound WHERE received_at < ?1",
    "DELETE FROM contacts WHERE last_seen < ?1",
    "DELETE FROM outbox WHERE created_at < ?1 AND status <> 'sending'",
    "DELETE FROM vault WHERE expires_at <= ?3 OR updated_at < ?2",
    "DELETE FROM recordings WHERE created_at < ?1",
    /* alerts age out like the answers; their on-call SMS are outbox rows
     * of the same time, gone by the outbox's rule above */
    "DELETE FROM alerts WHERE created_at < ?1 AND status <> 'sending'",
};
#define N_RETENTION (sizeof(retention_sql) / sizeof(retention_sql[0]))

/* Prepares sql on the job's connection; NULL (logged) when sqlite has
 * dropped the group's transaction: a write now would commit alone. */
static sqlite3_stmt *
prepare(struct store_tx *tx, const char *sql)
{
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;

    if (sqlite3_get_autocommit(db)) {
        sk_log(LOG_WARNING, "store", "no transaction: the group was lost");
        return NULL;
    }
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        sk_log(LOG_ERR, "store", "prepare: %s", sqlite3_errmsg(db));
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}

/* Steps s to its end and finalizes it; the rows it changed, or SK_E*. */
static int64_t
finish(struct store_tx *tx, sqlite3_stmt *s, const char *what)
{
    sqlite3 *db = store_tx_sqlite(tx);
    int src = sqlite3_step(s);
    int64_t rc;

    if (src == SQLITE_DONE) {
        rc = sqlite3_changes(db);
    } else {
        sk_log(LOG_WARNING, "store", "%s: %s", what, sqlite3_errmsg(db));
        rc = (sqlite3_extended_errcode(db) & 0xff) == SQLITE_NOMEM ? SK_ENOMEM
                                                                   : SK_EIO;
    }
    sqlite3_finalize(s);
    return rc;
}

void
store_erasure_hash(const char *contact_key, char out[STORE_KEY_MAX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (EVP_Digest(contact_key, strlen(contact_key), md, &n, EVP_sha256(),
                   NULL) != 1 ||
        n != 32) {
        out[0] = '\0';
        return;
    }
    sk_hex_encode(md, 32, out);
}

/* Logs an erasure (key_hash) or a purge (its cut-offs) at now_ms. */
static int
erasure_log(struct store_tx *tx, int64_t now_ms, const char *key_hash,
            int64_t before_ms, int64_t vault_before_ms)
{
    sqlite3_stmt *s = prepare(tx, "INSERT INTO erasure_log (at, key_hash, "
                                  "before_ms, vault_before_ms) "
                                  "VALUES (?1, ?2, ?3, ?4)");
    int64_t rc;

    if (s == NULL)
        return SK_EIO;
    sqlite3_bind_int64(s, 1, now_ms);
    if (key_hash != NULL) {
        if (sqlite3_bind_text(s, 2, key_hash, -1, SQLITE_STATIC) != SQLITE_OK) {
            sqlite3_finalize(s);
            return SK_ENOMEM;
        }
    } else {
        sqlite3_bind_int64(s, 3, before_ms);
        sqlite3_bind_int64(s, 4, vault_before_ms);
    }
    rc = finish(tx, s, "erasure log");
    return rc < 0 ? (int)rc : 0;
}

int
store_contact_erase(struct store_tx *tx, const char *contact_key)
{
    char hash[STORE_KEY_MAX];
    struct timespec ts;
    sqlite3_stmt *s;
    int64_t rc;
    size_t i;

    if (contact_key == NULL || contact_key[0] == '\0')
        return SK_EINVAL;
    for (i = 0; i < N_CONTACT_TABLES; i++) {
        if ((s = prepare(tx, contact_tables[i].sql)) == NULL)
            return SK_EIO;
        if (sqlite3_bind_text(s, 1, contact_key, -1, SQLITE_STATIC) !=
            SQLITE_OK) {
            sqlite3_finalize(s);
            return SK_ENOMEM;
        }
        if ((rc = finish(tx, s, contact_tables[i].table)) < 0)
            return (int)rc;
    }
    store_erasure_hash(contact_key, hash);
    clock_gettime(CLOCK_REALTIME, &ts);
    rc = erasure_log(tx, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, hash,
                     0, 0);
    if (rc < 0)
        return (int)rc;
    store_tx_scrub(tx);
    return 0;
}

int
store_purge(struct store_tx *tx, int64_t before_ms, int64_t vault_before_ms,
            int64_t now_ms, struct store_purge_counts *n)
{
    int64_t *counts[N_RETENTION] = {&n->results, &n->inbound, &n->contacts,
                                    &n->outbox,  &n->vault,   &n->recordings,
                                    &n->alerts};
    int64_t any = 0, rc;
    sqlite3_stmt *s;
    size_t i;

    n->results = n->inbound = n->contacts = n->outbox = n->vault = 0;
    n->recordings = n->alerts = 0;
    for (i = 0; i < N_RETENTION; i++) {
        if ((s = prepare(tx, retention_sql[i])) == NULL)
            return SK_EIO;
        /* a statement without ?2 or ?3 ignores their binding */
        sqlite3_bind_int64(s, 1, before_ms);
        sqlite3_bind_int64(s, 2, vault_before_ms);
        sqlite3_bind_int64(s, 3, now_ms);
        if ((rc = finish(tx, s, "purge")) < 0)
            return (int)rc;
        *counts[i] = rc;
        any += rc;
    }
    if ((rc = erasure_log(tx, now_ms, NULL, before_ms, vault_before_ms)) < 0)
        return (int)rc;
    if ((s = prepare(tx, "DELETE FROM erasure_log WHERE at < ?1")) == NULL)
        return SK_EIO;
    sqlite3_bind_int64(s, 1, before_ms);
    if ((rc = finish(tx, s, "erasure log")) < 0)
        return (int)rc;
    if (any > 0)
        store_tx_scrub(tx);
    return 0;
}
