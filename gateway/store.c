/*
 * store.c - durable state in sqlite, written by one thread in groups.
 *
 * Design. store_open() opens one connection (no per-connection mutex:
 * only one thread uses it at a time), checks that WAL and synchronous=FULL
 * really took, applies the forward-only migrations, then hands the
 * connection to the writer thread, which alone touches it from then on.
 *
 * Producers (the event loop through store_submit(), any other thread
 * through store_call()) append jobs to a bounded queue guarded by st->mu.
 * The writer takes everything queued (up to BATCH_MAX jobs), opens one
 * BEGIN IMMEDIATE, runs each job inside its own SAVEPOINT (rolled back
 * alone when the job returns < 0) and ends with one COMMIT, so one fsync
 * serves the whole group. If the COMMIT fails (disk full, I/O error) the
 * group is rolled back and every job in it gets SK_EIO. Should sqlite
 * abandon the transaction on its own in the middle of a group (it may on
 * SQLITE_FULL, IOERR, NOMEM), the jobs run so far get SK_EIO and the rest
 * start again in a fresh transaction.
 *
 * Done callbacks of store_submit() jobs are put on a done list and one
 * event, made with fd -1 on the caller's base, is activated from the
 * writer thread; its callback drains the list on the loop thread. A
 * store_call() caller sleeps on st->call_cv until the writer marks its job
 * finished.
 *
 * store_close() stops intake, lets the writer run and commit everything
 * still queued, joins it, then calls any done callback the loop has not
 * delivered yet directly, on the closing thread, before freeing.
 *
 * One writer per database. Two gateways on one file would both send the
 * outbox, so store_open() first takes an exclusive flock() on "<db>.lock"
 * and writes its pid there; the lock is held until store_close() (the
 * kernel drops it if the process dies). sqlite's own exclusive locking
 * mode is not used: it would shut out WAL readers such as the sqlite3
 * shell. The lock file is never removed: unlinking it would let a third
 * process lock a new file while the second still holds the old one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_int.h"
#include "wallclock.h"

#define BATCH_MAX       256
#define BUSY_TIMEOUT_MS 5000
#define SCRUB_BUSY_MS   200  /* a scrub waits this long for readers */
#define SCRUB_RETRY_MS  1000 /* then tries again this much later */

/* Forward-only migrations: step i takes the schema from version i to
 * version i + 1. Never edit a step that has shipped; append a new one. */
static const char *const store_migrations[] = {
    /* 1: the first schema. No table holds a phone number: contacts are
     * known only by their key, a hex HMAC of the URN. */
    "CREATE TABLE inbound ("
    "  channel     TEXT NOT NULL,"
    "  external_id TEXT NOT NULL,"
    "  contact_key TEXT NOT NULL,"
    "  received_at INTEGER NOT NULL,"
    "  reply       TEXT,"
    "  UNIQUE (channel, external_id));"
    "CREATE INDEX inbound_contact ON inbound (contact_key);"
    "CREATE INDEX inbound_received ON inbound (received_at);"
    "CREATE TABLE contacts ("
    "  key        TEXT PRIMARY KEY,"
    "  session    TEXT,"
    "  channel    TEXT,"
    "  opted_out  INTEGER NOT NULL DEFAULT 0,"
    "  timeout_at INTEGER NOT NULL DEFAULT 0,"
    "  expires_at INTEGER NOT NULL DEFAULT 0,"
    "  first_seen INTEGER NOT NULL,"
    "  last_seen  INTEGER NOT NULL);"
    "CREATE INDEX contacts_timeout ON contacts (timeout_at);"
    "CREATE INDEX contacts_expires ON contacts (expires_at);"
    "CREATE TABLE results ("
    "  id          INTEGER PRIMARY KEY,"
    "  contact_key TEXT NOT NULL,"
    "  flow_uuid   TEXT NOT NULL,"
    "  flow_name   TEXT NOT NULL,"
    "  name        TEXT NOT NULL,"
    "  value       TEXT,"
    "  category    TEXT,"
    "  input       TEXT,"
    "  created_at  INTEGER NOT NULL);"
    "CREATE INDEX results_flow ON results (flow_uuid, created_at);"
    "CREATE INDEX results_created ON results (created_at);"
    "CREATE INDEX results_contact ON results (contact_key);"
    "CREATE TABLE outbox ("
    "  id              INTEGER PRIMARY KEY,"
    "  channel         TEXT NOT NULL,"
    "  contact_key     TEXT NOT NULL,"
    "  text            TEXT NOT NULL,"
    "  status          TEXT NOT NULL DEFAULT 'queued' CHECK (status IN"
    "    ('queued', 'sending', 'sent', 'delivered', 'failed')),"
    "  attempts        INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at INTEGER NOT NULL,"
    "  external_id     TEXT,"
    "  created_at      INTEGER NOT NULL,"
    "  updated_at      INTEGER NOT NULL);"
    "CREATE INDEX outbox_due ON outbox (status, next_attempt_at);"
    "CREATE INDEX outbox_contact ON outbox (contact_key);"
    "CREATE INDEX outbox_external ON outbox (channel, external_id);"
    "CREATE TABLE vault ("
    "  contact_key TEXT PRIMARY KEY,"
    "  blob        BLOB NOT NULL,"
    "  updated_at  INTEGER NOT NULL,"
    "  expires_at  INTEGER NOT NULL);"
    "CREATE INDEX vault_expires ON vault (expires_at);",
    /* 2: the audit log. Who looked at children's answers or a reply
     * address, when and why: exports, reveals, admin calls. subject names
     * what was touched (an alert id, an export's format and flow), never
     * a number or a text. */
    "CREATE TABLE audit ("
    "  id      INTEGER PRIMARY KEY,"
    "  at      INTEGER NOT NULL,"
    "  actor   TEXT NOT NULL,"
    "  action  TEXT NOT NULL,"
    "  subject TEXT,"
    "  reason  TEXT);"
    "CREATE INDEX audit_at ON audit (at);",
    /* 3: recordings of children's spoken answers, sealed (AES-256-GCM
     * under the recording key, privacy.h): 16-bit mono PCM at rate Hz,
     * linked to the answer by flow and result name. Erased with the
     * contact, purged with the retention policy. */
    "CREATE TABLE recordings ("
    "  id              INTEGER PRIMARY KEY,"
    "  contact_key     TEXT NOT NULL,"
    "  flow_uuid       TEXT NOT NULL,"
    "  result_name     TEXT NOT NULL,"
    "  rate            INTEGER NOT NULL,"
    "  samples         INTEGER NOT NULL,"
    "  needs_listening INTEGER NOT NULL DEFAULT 0,"
    "  blob            BLOB NOT NULL,"
    "  created_at      INTEGER NOT NULL);"
    "CREATE INDEX recordings_contact ON recordings (contact_key);"
    "CREATE INDEX recordings_created ON recordings (created_at);",
    /* 4: erasure and retention (store_purge.c). The dedupe rows earlier
     * erasures left without a contact key still held the provider's
     * message ids, which the provider can link back to the number: they
     * go. The purge finds old rows by these times. */
    "DELETE FROM inbound WHERE contact_key = '';"
    "CREATE INDEX contacts_last_seen ON contacts (last_seen);"
    "CREATE INDEX outbox_created ON outbox (created_at);"
    "CREATE INDEX vault_updated ON vault (updated_at);",
    /* 5: what an export tells of an answer besides the answer, as one
     * JSON object: {"language": the contact's, "channel_type": the
     * channel's, "flow_revision": the definition's}. One column, not
     * three: each ALTER TABLE makes sqlite re-read the whole schema, and
     * later fields of the kind join this object without a migration.
     * Rows from before stay NULL (exported with those fields empty). */
    "ALTER TABLE results ADD COLUMN meta TEXT;",
    /* 6: safeguarding alerts (store_alerts.c). A row says that a child
     * disclosed harm: when, on which channel, in which language and of
     * what kind. It holds no text: the notification carries the alert id
     * and the contact's short reference, and a reveal (audited) reads the
     * reply address from the vault. pending -> sending -> notified; a
     * receiver that fails leaves it pending for a later attempt. No
     * index: alerts are few, and each is read a handful of times. */
    "CREATE TABLE alerts ("
    "  id              INTEGER PRIMARY KEY,"
    "  created_at      INTEGER NOT NULL,"
    "  contact_key     TEXT NOT NULL,"
    "  channel         TEXT NOT NULL,"
    "  language        TEXT,"
    "  category        TEXT NOT NULL,"
    "  status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN"
    "    ('pending', 'sending', 'notified')),"
    "  attempts        INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at INTEGER NOT NULL,"
    "  updated_at      INTEGER NOT NULL);",
    /* 7: when a contact whose survey has ended was last sent the kind
     * reply (store_afterword.c); goes with the contact row. */
    "ALTER TABLE contacts ADD COLUMN afterword_at INTEGER NOT NULL"
    " DEFAULT 0;",
    /* 8: the erasure log (store_purge.c, store_backup.c): every erasure
     * (DELETE) and retention purge, so that a restore replays those made
     * after its backup was taken. An erasure row holds the SHA-256 of the
     * contact key, never the key itself (no row holds an erased child's
     * key); a purge row holds its cut-offs. Kept retention_days. */
    "CREATE TABLE erasure_log ("
    "  id              INTEGER PRIMARY KEY,"
    "  at              INTEGER NOT NULL,"
    "  key_hash        TEXT,"
    "  before_ms       INTEGER,"
    "  vault_before_ms INTEGER);"
    "CREATE INDEX erasure_log_at ON erasure_log (at);",
    /* 9: dedupe by (channel, external_id, contact_key): a provider id
     * replayed by another contact is a new message of that contact, never
     * answered with the first contact's reply (inbound.c). */
    "CREATE TABLE inbound_v9 ("
    "  channel     TEXT NOT NULL,"
    "  external_id TEXT NOT NULL,"
    "  contact_key TEXT NOT NULL,"
    "  received_at INTEGER NOT NULL,"
    "  reply       TEXT,"
    "  UNIQUE (channel, external_id, contact_key));"
    "INSERT INTO inbound_v9 SELECT channel, external_id, contact_key,"
    "  received_at, reply FROM inbound;"
    "DROP TABLE inbound;"
    "ALTER TABLE inbound_v9 RENAME TO inbound;"
    "CREATE INDEX inbound_contact ON inbound (contact_key);"
    "CREATE INDEX inbound_received ON inbound (received_at);",
};
#define SCHEMA_VERSION                                                         \
    ((int)(sizeof(store_migrations) / sizeof(store_migrations[0])))

/* Tables store_count() may name; the index picks a cached statement. */
static const char *const store_tables[] = {"inbound", "contacts", "results",
                                           "outbox", "vault"};
#define NTABLES ((int)(sizeof(store_tables) / sizeof(store_tables[0])))

/* Cached statements of the write connection. */
enum {
    Q_BEGIN,
    Q_COMMIT,
    Q_ROLLBACK,
    Q_SAVEPOINT,
    Q_RELEASE,
    Q_ROLLBACK_TO,
    Q_INBOUND_GET,
    Q_INBOUND_PUT,
    Q_CONTACT_GET,
    Q_CONTACT_PUT,
    Q_RESULT_PUT,
    Q_OUTBOX_PUT,
    Q_VAULT_PUT,
    Q_VAULT_GET,
    Q_VAULT_PURGE,
    Q_VAULT_FORGET,
    Q_DUE,
    Q_COUNT, /* NTABLES slots from here, one per table */
    Q_MAX = Q_COUNT + NTABLES
};

static const char *const store_sql[Q_COUNT] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_SAVEPOINT] = "SAVEPOINT job",
    [Q_RELEASE] = "RELEASE job",
    [Q_ROLLBACK_TO] = "ROLLBACK TO job",
    [Q_INBOUND_GET] = "SELECT reply FROM inbound"
                      " WHERE channel = ?1 AND external_id = ?2"
                      " AND (?3 IS NULL OR contact_key = ?3)",
    [Q_INBOUND_PUT] = "INSERT INTO inbound (channel, external_id,"
                      " contact_key, received_at, reply)"
                      " VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_CONTACT_GET] = "SELECT session, channel, opted_out, timeout_at,"
                      " expires_at, last_seen FROM contacts WHERE key = ?1",
    [Q_CONTACT_PUT] =
        "INSERT INTO contacts (key, session, channel, opted_out, timeout_at,"
        " expires_at, first_seen, last_seen)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
        " ON CONFLICT (key) DO UPDATE SET session = excluded.session,"
        " channel = excluded.channel, opted_out = excluded.opted_out,"
        " timeout_at = excluded.timeout_at, expires_at = excluded.expires_at,"
        " last_seen = excluded.last_seen",
    [Q_RESULT_PUT] = "INSERT INTO results (contact_key, flow_uuid, flow_name,"
                     " name, value, category, input, created_at, meta)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, CASE WHEN"
                     " ?9 IS NULL AND ?10 IS NULL AND ?11 IS NULL THEN NULL"
                     " ELSE json_object('language', ?9, 'channel_type', ?10,"
                     " 'flow_revision', ?11) END)",
    [Q_OUTBOX_PUT] = "INSERT INTO outbox (channel, contact_key, text,"
                     " status, attempts, next_attempt_at, created_at,"
                     " updated_at) VALUES (?1, ?2, ?3, 'queued', 0, ?4, ?4,"
                     " ?4)",
    [Q_VAULT_PUT] = "INSERT INTO vault (contact_key, blob, updated_at,"
                    " expires_at) VALUES (?1, ?2, ?3, ?4)"
                    " ON CONFLICT (contact_key) DO UPDATE SET"
                    " blob = excluded.blob, updated_at = excluded.updated_at,"
                    " expires_at = excluded.expires_at",
    [Q_VAULT_GET] = "SELECT blob FROM vault WHERE contact_key = ?1"
                    " AND expires_at > ?2",
    [Q_VAULT_PURGE] = "DELETE FROM vault WHERE rowid IN (SELECT rowid"
                      " FROM vault WHERE expires_at <= ?1 LIMIT ?2)",
    /* A one-time key (a DELETE confirmation's): no contact, nothing
     * left to send. A contact's own entry stays until it expires. */
    [Q_VAULT_FORGET] = "DELETE FROM vault WHERE contact_key = ?1"
                       " AND NOT EXISTS (SELECT 1 FROM contacts"
                       " WHERE key = ?1)"
                       " AND NOT EXISTS (SELECT 1 FROM outbox"
                       " WHERE contact_key = ?1"
                       " AND status IN ('queued', 'sending'))",
    [Q_DUE] = "SELECT key FROM contacts"
              " WHERE timeout_at BETWEEN 1 AND ?1"
              " OR expires_at BETWEEN 1 AND ?1 LIMIT ?2",
};

enum job_kind { JOB_SUBMIT, JOB_CALL };

struct job {
    TAILQ_ENTRY(job) link;
    enum job_kind kind;
    store_job_fn fn;
    store_done_fn done; /* JOB_SUBMIT only */
    void *arg;
    int rc;
    bool finished; /* JOB_CALL: set by the writer under st->mu */
};
TAILQ_HEAD(job_list, job);

struct store_tx {
    struct store *st;
    sqlite3 *db;
    sqlite3_stmt *stmt[Q_MAX];
    bool scrub; /* a job deleted personal data: scrub after COMMIT */
};

struct store {
    char *path;
    int version;
    int lock_fd;        /* flock()ed "<path>.lock", or -1 */
    struct store_tx tx; /* the write connection; writer thread only */

    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t work_cv;
    pthread_cond_t call_cv;
    struct job_list queue;
    int queued;
    int queue_depth;
    bool closing;
    struct job_list done; /* submitted jobs waiting for the loop */
    uint64_t commits;

    struct event *done_ev; /* NULL when base was NULL */
    pthread_t writer;
    bool writer_started;
    bool sync_ok; /* mu, cvs initialised */
    /* the scrub after an erasure could not truncate the WAL yet (a
     * reader holds an older snapshot): the writer tries again; mu */
    bool scrub_pending;
    uint64_t scrub_retries; /* mu */
};

/* --- statements ---------------------------------------------------------- */

/* Maps a sqlite result code (extended codes on) to an SK_E* value. */
static int
store_rc(int src)
{
    switch (src) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return SK_EEXIST;
    case SQLITE_TOOBIG:
        return SK_ELIMIT;
    default:
        break;
    }
    switch (src & 0xff) {
    case SQLITE_NOMEM:
        return SK_ENOMEM;
    case SQLITE_CONSTRAINT:
        return SK_EINVAL;
    default:
        return SK_EIO;
    }
}

static sqlite3_stmt *
store_stmt(struct store_tx *tx, int q)
{
    const char *sql = q < Q_COUNT ? store_sql[q] : NULL;
    char count_sql[64];

    /* Once sqlite has dropped the group's transaction (it may on
     * SQLITE_FULL, IOERR, NOMEM), a job's further writes would each commit
     * on their own: refuse them, the group is failed anyway. */
    if (q > Q_ROLLBACK_TO && sqlite3_get_autocommit(tx->db)) {
        sk_log(LOG_WARNING, "store", "no transaction: the group was lost");
        return NULL;
    }
    if (tx->stmt[q] != NULL)
        return tx->stmt[q];
    if (q >= Q_COUNT) {
        snprintf(count_sql, sizeof(count_sql), "SELECT count(*) FROM %s",
                 store_tables[q - Q_COUNT]);
        sql = count_sql;
    }
    if (sqlite3_prepare_v3(tx->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                           &tx->stmt[q], NULL) != SQLITE_OK) {
        sk_log(LOG_ERR, "store", "prepare %d: %s", q, sqlite3_errmsg(tx->db));
        tx->stmt[q] = NULL;
    }
    return tx->stmt[q];
}

static void
store_stmt_done(sqlite3_stmt *s)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

/* Steps a statement that returns no rows, then resets it. */
static int
store_step_done(struct store_tx *tx, sqlite3_stmt *s)
{
    int src = sqlite3_step(s);
    int rc;

    if (src == SQLITE_DONE) {
        store_stmt_done(s);
        return 0;
    }
    src = sqlite3_extended_errcode(tx->db);
    rc = store_rc(src);
    if (rc != SK_EEXIST)
        sk_log(LOG_WARNING, "store", "step: %s (%d)", sqlite3_errmsg(tx->db),
               src);
    store_stmt_done(s);
    return rc;
}

/* Runs one of the cached transaction-control statements. */
static int
store_ctl(struct store_tx *tx, int q)
{
    sqlite3_stmt *s = store_stmt(tx, q);

    return s != NULL ? store_step_done(tx, s) : SK_EIO;
}

static int
store_bind_text(sqlite3_stmt *s, int i, const char *text)
{
    int src = text != NULL ? sqlite3_bind_text(s, i, text, -1, SQLITE_STATIC)
                           : sqlite3_bind_null(s, i);

    return src == SQLITE_OK ? 0 : store_rc(src);
}

static int
store_bind_i64(sqlite3_stmt *s, int i, int64_t v)
{
    int src = sqlite3_bind_int64(s, i, v);

    return src == SQLITE_OK ? 0 : store_rc(src);
}

/* A malloc'd copy of a TEXT column, or NULL (*rc says whether that is
 * because the column was NULL or memory ran out). */
static char *
store_column_dup(sqlite3_stmt *s, int col, int *rc)
{
    const unsigned char *text = sqlite3_column_text(s, col);
    char *copy;

    if (text == NULL)
        return NULL;
    copy = strdup((const char *)text);
    if (copy == NULL)
        *rc = SK_ENOMEM;
    return copy;
}

/* --- the writer ---------------------------------------------------------- */

/*
 * Runs jobs from the front of *batch inside one transaction. Jobs that are
 * finished (committed, failed) move to *out with their rc. Returns having
 * moved at least one job.
 */
static void
store_run_group(struct store *st, struct job_list *batch, struct job_list *out)
{
    struct store_tx *tx = &st->tx;
    struct job_list ran = TAILQ_HEAD_INITIALIZER(ran);
    struct job *job;
    bool lost = false; /* sqlite dropped the transaction */
    int rc;

    if (store_ctl(tx, Q_BEGIN) != 0) {
        sk_log(LOG_ERR, "store", "begin failed: %s", sqlite3_errmsg(tx->db));
        while ((job = TAILQ_FIRST(batch)) != NULL) {
            TAILQ_REMOVE(batch, job, link);
            job->rc = SK_EIO;
            TAILQ_INSERT_TAIL(out, job, link);
        }
        return;
    }
    while (!lost && (job = TAILQ_FIRST(batch)) != NULL) {
        TAILQ_REMOVE(batch, job, link);
        TAILQ_INSERT_TAIL(&ran, job, link);
        if (store_ctl(tx, Q_SAVEPOINT) != 0) {
            job->rc = SK_EIO;
            lost = sqlite3_get_autocommit(tx->db) != 0;
            continue;
        }
        job->rc = job->fn(tx, job->arg);
        if (sqlite3_get_autocommit(tx->db)) {
            lost = true; /* sqlite rolled everything back itself */
            break;
        }
        if (job->rc < 0)
            rc = store_ctl(tx, Q_ROLLBACK_TO);
        else
            rc = 0;
        if (rc == 0)
            rc = store_ctl(tx, Q_RELEASE);
        if (rc != 0) {
            job->rc = SK_EIO;
            lost = sqlite3_get_autocommit(tx->db) != 0;
        }
    }
    if (!lost && store_ctl(tx, Q_COMMIT) != 0) {
        sk_log(LOG_ERR, "store", "commit failed: %s", sqlite3_errmsg(tx->db));
        if (!sqlite3_get_autocommit(tx->db))
            store_ctl(tx, Q_ROLLBACK);
        lost = true;
    }
    if (lost) {
        sk_log(LOG_ERR, "store", "group of jobs rolled back");
        if (!sqlite3_get_autocommit(tx->db))
            store_ctl(tx, Q_ROLLBACK);
    } else {
        pthread_mutex_lock(&st->mu);
        st->commits++;
        pthread_mutex_unlock(&st->mu);
    }
    while ((job = TAILQ_FIRST(&ran)) != NULL) {
        TAILQ_REMOVE(&ran, job, link);
        if (lost)
            job->rc = SK_EIO;
        TAILQ_INSERT_TAIL(out, job, link);
    }
}

/* Hands finished jobs back: store_call() waiters are woken, submitted
 * jobs go to the done list and the loop is woken once. */
static void
store_deliver(struct store *st, struct job_list *out)
{
    struct job *job;
    bool wake = false;

    pthread_mutex_lock(&st->mu);
    while ((job = TAILQ_FIRST(out)) != NULL) {
        TAILQ_REMOVE(out, job, link);
        if (job->kind == JOB_CALL) {
            job->finished = true; /* the caller owns job from here */
        } else {
            TAILQ_INSERT_TAIL(&st->done, job, link);
            wake = true;
        }
    }
    pthread_cond_broadcast(&st->call_cv);
    pthread_mutex_unlock(&st->mu);
    if (wake && st->done_ev != NULL)
        event_active(st->done_ev, EV_READ, 0);
}

/*
 * Writer thread: makes what the last transactions deleted unreadable in
 * the file and in the WAL. secure_delete (set at open) has overwritten
 * the deleted cells and freed pages with zeros in the new page images;
 * the incremental vacuum gives the freed pages back to the file system;
 * the truncating checkpoint copies every page into the database and
 * empties the WAL, where older images of the same pages (every version
 * of a session, every answer as first written) would otherwise stay
 * until overwritten. A reader on an older snapshot (a command beside
 * `serve`, the sqlite3 shell) keeps the checkpoint from finishing: then
 * the writer tries again every SCRUB_RETRY_MS and says so in the log,
 * without naming whose data waits.
 */
static void
store_scrub(struct store *st)
{
    sqlite3 *db = st->tx.db;
    int src, frames = -1, copied = -1;
    bool was;

    st->tx.scrub = false;
    if (sqlite3_exec(db, "PRAGMA incremental_vacuum", NULL, NULL, NULL) !=
        SQLITE_OK)
        sk_log(LOG_WARNING, "store", "incremental vacuum: %s",
               sqlite3_errmsg(db));
    sqlite3_busy_timeout(db, SCRUB_BUSY_MS);
    src = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
                                    &frames, &copied);
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    pthread_mutex_lock(&st->mu);
    was = st->scrub_pending;
    st->scrub_pending = src != SQLITE_OK;
    if (st->scrub_pending)
        st->scrub_retries++;
    pthread_mutex_unlock(&st->mu);
    if (src != SQLITE_OK && !was)
        sk_log(LOG_WARNING, "store",
               "erased data is still in the WAL (%s): a reader holds an "
               "older snapshot; retrying every %d ms",
               sqlite3_errstr(src), SCRUB_RETRY_MS);
    else if (src == SQLITE_OK && was)
        sk_log(LOG_INFO, "store", "WAL truncated: erased data is gone");
}

/* Waits on work_cv for at most ms (st->mu held). True when the time ran
 * out, false when woken. */
static bool
store_wait_ms(struct store *st, int ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return pthread_cond_timedwait(&st->work_cv, &st->mu, &ts) != 0;
}

static void *
store_writer(void *arg)
{
    struct store *st = arg;
    struct job_list batch = TAILQ_HEAD_INITIALIZER(batch);
    struct job_list out = TAILQ_HEAD_INITIALIZER(out);
    struct job *job;
    int n;

    pthread_mutex_lock(&st->mu);
    for (;;) {
        while (TAILQ_EMPTY(&st->queue) && !st->closing) {
            if (!st->scrub_pending) {
                pthread_cond_wait(&st->work_cv, &st->mu);
                continue;
            }
            if (store_wait_ms(st, SCRUB_RETRY_MS) && !st->closing &&
                TAILQ_EMPTY(&st->queue)) {
                pthread_mutex_unlock(&st->mu);
                store_scrub(st);
                pthread_mutex_lock(&st->mu);
            }
        }
        if (TAILQ_EMPTY(&st->queue))
            break; /* closing and drained */
        for (n = 0; n < BATCH_MAX && (job = TAILQ_FIRST(&st->queue)); n++) {
            TAILQ_REMOVE(&st->queue, job, link);
            TAILQ_INSERT_TAIL(&batch, job, link);
            if (job->kind == JOB_SUBMIT)
                st->queued--;
        }
        pthread_mutex_unlock(&st->mu);
        while (!TAILQ_EMPTY(&batch))
            store_run_group(st, &batch, &out);
        /* what a job erased is gone from the file and the WAL before
         * anyone hears that it is done */
        if (st->tx.scrub)
            store_scrub(st);
        store_deliver(st, &out);
        pthread_mutex_lock(&st->mu);
    }
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

/* Loop thread: calls the done callbacks the writer has queued. */
static void
store_done_cb(evutil_socket_t fd, short what, void *arg)
{
    struct store *st = arg;
    struct job_list list = TAILQ_HEAD_INITIALIZER(list);
    struct job *job;

    (void)fd;
    (void)what;
    pthread_mutex_lock(&st->mu);
    TAILQ_CONCAT(&list, &st->done, link);
    pthread_mutex_unlock(&st->mu);
    while ((job = TAILQ_FIRST(&list)) != NULL) {
        TAILQ_REMOVE(&list, job, link);
        if (job->done != NULL)
            job->done(job->arg, job->rc);
        free(job);
    }
}

/* --- open and close ------------------------------------------------------ */

/* A missing directory is reported by name instead of sqlite's "unable to
 * open database file". */
static int
store_check_dir(const char *path, char err[SK_ERR_LEN])
{
    const char *slash = strrchr(path, '/');
    char *dir;
    struct stat sb;
    int rc = 0;

    if (slash == NULL || slash == path)
        return 0; /* the current or the root directory */
    dir = strndup(path, (size_t)(slash - path));
    if (dir == NULL) {
        sk_seterr(err, "store %s: out of memory", path);
        return SK_ENOMEM;
    }
    if (stat(dir, &sb) != 0) {
        sk_seterr(err, "store %s: directory %s: %s", path, dir,
                  strerror(errno));
        rc = SK_ENOENT;
    } else if (!S_ISDIR(sb.st_mode)) {
        sk_seterr(err, "store %s: %s is not a directory", path, dir);
        rc = SK_ENOENT;
    }
    free(dir);
    return rc;
}

/* Runs a pragma and returns its one-row answer as text in buf. */
static int
store_pragma(sqlite3 *db, const char *sql, char *buf, size_t len)
{
    sqlite3_stmt *s = NULL;
    int rc = SK_EIO;

    buf[0] = '\0';
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_step(s) == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(s, 0);

        snprintf(buf, len, "%s", v != NULL ? (const char *)v : "");
        rc = 0;
    }
out:
    sqlite3_finalize(s);
    return rc;
}

/* The refusal of a database a newer sikiliza has migrated. */
static void
schema_newer(char err[SK_ERR_LEN], const char *path, int version)
{
    sk_seterr(err,
              "%s: store schema %d is newer than this sikiliza (%d): "
              "upgrade sikiliza or restore a backup",
              path, version, SCHEMA_VERSION);
}

int
store_check_file(const char *path, char err[SK_ERR_LEN])
{
    sqlite3 *db = NULL;
    char v[32];
    int rc = 0;

    if (access(path, F_OK) != 0)
        return 0; /* serve makes a new one */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        store_pragma(db, "PRAGMA user_version", v, sizeof(v)) != 0) {
        sk_seterr(err, "%s: %s", path,
                  db != NULL ? sqlite3_errmsg(db) : "out of memory");
        rc = SK_EIO;
    } else if (atoi(v) > SCHEMA_VERSION) {
        schema_newer(err, path, atoi(v));
        rc = SK_ESTATE;
    }
    sqlite3_close(db);
    return rc;
}

static int
store_configure(struct store *st, char err[SK_ERR_LEN])
{
    sqlite3 *db = st->tx.db;
    char v[32];

    sqlite3_extended_result_codes(db, 1);
    if (sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS) != SQLITE_OK ||
        /* freed pages can be given back after an erasure; takes effect
         * on a new file only (store_vacuum_mode() converts an old one) */
        sqlite3_exec(db, "PRAGMA auto_vacuum = INCREMENTAL", NULL, NULL,
                     NULL) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) !=
            SQLITE_OK ||
        /* erased answers (DELETE, purge) leave no copy in free pages */
        sqlite3_exec(db, "PRAGMA secure_delete = ON", NULL, NULL, NULL) !=
            SQLITE_OK)
        goto fail;
    if (store_pragma(db, "PRAGMA journal_mode = WAL", v, sizeof(v)) != 0)
        goto fail;
    if (store_pragma(db, "PRAGMA journal_mode", v, sizeof(v)) != 0)
        goto fail;
    if (strcmp(v, "wal") != 0) {
        sk_seterr(err, "store %s: journal_mode is %s, not wal", st->path, v);
        return SK_EIO;
    }
    if (sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) !=
            SQLITE_OK ||
        store_pragma(db, "PRAGMA synchronous", v, sizeof(v)) != 0)
        goto fail;
    if (strcmp(v, "2") != 0) {
        sk_seterr(err, "store %s: synchronous is %s, not 2 (FULL)", st->path,
                  v);
        return SK_EIO;
    }
    if (store_pragma(db, "PRAGMA foreign_keys", v, sizeof(v)) != 0)
        goto fail;
    if (strcmp(v, "1") != 0) {
        sk_seterr(err, "store %s: foreign_keys did not turn on", st->path);
        return SK_EIO;
    }
    return 0;
fail:
    sk_seterr(err, "store %s: %s", st->path, sqlite3_errmsg(db));
    return SK_EIO;
}

/* Applies the missing migration steps in one transaction (one fsync for
 * a new store): all of them or, when one fails, none. */
static int
store_migrate(struct store *st, char err[SK_ERR_LEN])
{
    sqlite3 *db = st->tx.db;
    char v[32], sql[64];
    int version, from;

    if (store_pragma(db, "PRAGMA user_version", v, sizeof(v)) != 0) {
        sk_seterr(err, "store %s: %s", st->path, sqlite3_errmsg(db));
        return SK_EIO;
    }
    version = from = atoi(v);
    if (version > SCHEMA_VERSION) {
        schema_newer(err, st->path, version);
        return SK_ESTATE;
    }
    if (version == SCHEMA_VERSION)
        goto done;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    for (; version < SCHEMA_VERSION; version++)
        if (sqlite3_exec(db, store_migrations[version], NULL, NULL, NULL) !=
            SQLITE_OK)
            goto fail;
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SCHEMA_VERSION);
    version--; /* a failing COMMIT is the last step's */
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    for (version = from; version < SCHEMA_VERSION; version++)
        sk_log(LOG_INFO, "store", "migrated to schema %d", version + 1);
done:
    st->version = version;
    return 0;
fail:
    sk_seterr(err, "store %s: migration to schema %d failed: %s", st->path,
              version + 1, sqlite3_errmsg(db));
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return SK_EIO;
}

/* A store made before incremental vacuum was set has auto_vacuum off,
 * which only a VACUUM can change: the serving writer does it once. */
static int
store_vacuum_mode(struct store *st, char err[SK_ERR_LEN])
{
    sqlite3 *db = st->tx.db;
    char v[32];

    if (store_pragma(db, "PRAGMA auto_vacuum", v, sizeof(v)) != 0)
        goto fail;
    if (strcmp(v, "2") == 0)
        return 0;
    if (sqlite3_exec(db, "PRAGMA auto_vacuum = INCREMENTAL", NULL, NULL,
                     NULL) != SQLITE_OK ||
        sqlite3_exec(db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    sk_log(LOG_INFO, "store", "auto_vacuum set to incremental");
    return 0;
fail:
    sk_seterr(err, "store %s: cannot set incremental vacuum: %s", st->path,
              sqlite3_errmsg(db));
    return SK_EIO;
}

/*
 * Takes the writer's lock beside the database: flock() on "<path>.lock",
 * then writes our pid there for the message a second process gives.
 * Returns the lock's descriptor, SK_EBUSY when another process holds it,
 * or SK_EIO. Also for `restore`, which holds it while it works.
 */
int
store_lock_take(const char *path, char err[SK_ERR_LEN])
{
    char *lock = NULL, buf[32];
    ssize_t n;
    long pid;
    int fd = -1, rc = SK_EIO;

    if ((lock = malloc(strlen(path) + sizeof(".lock"))) == NULL) {
        sk_seterr(err, "store %s: out of memory", path);
        return SK_ENOMEM;
    }
    sprintf(lock, "%s.lock", path);
    fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd < 0) {
        sk_seterr(err, "store %s: lock file %s: %s", path, lock,
                  strerror(errno));
        goto out;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) {
            sk_seterr(err, "store %s: lock file %s: %s", path, lock,
                      strerror(errno));
            goto out;
        }
        n = pread(fd, buf, sizeof(buf) - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
        pid = strtol(buf, NULL, 10);
        if (pid > 0)
            sk_seterr(err,
                      "database %s is in use by another sikiliza serve "
                      "(pid %ld)",
                      path, pid);
        else
            sk_seterr(err, "database %s is in use by another sikiliza serve",
                      path);
        rc = SK_EBUSY;
        goto out;
    }
    n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
        sk_seterr(err, "store %s: lock file %s: %s", path, lock,
                  strerror(errno));
        goto out;
    }
    rc = fd;
out:
    if (rc < 0 && fd >= 0)
        close(fd);
    free(lock);
    return rc;
}

static int
store_lock(struct store *st, char err[SK_ERR_LEN])
{
    int fd;

    if (strcmp(st->path, ":memory:") == 0)
        return 0; /* nothing on disk to share */
    if ((fd = store_lock_take(st->path, err)) < 0)
        return fd;
    st->lock_fd = fd;
    return 0;
}

static struct store *
store_open_mode(const char *path, struct event_base *base, int queue_depth,
                bool lock, char err[SK_ERR_LEN])
{
    struct store *st = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    sigset_t all, old;
    struct stat sb;
    bool existed;
    int rc;

    if (path == NULL || path[0] == '\0' || queue_depth < 1) {
        sk_seterr(err, "store: a path and a queue depth >= 1 are needed");
        return NULL;
    }
    if (sqlite3_threadsafe() == 0) {
        sk_seterr(err, "store: this sqlite was built without thread support");
        return NULL;
    }
    if (store_check_dir(path, err) != 0)
        return NULL;
    existed = stat(path, &sb) == 0 || strcmp(path, ":memory:") == 0;
    if ((st = calloc(1, sizeof(*st))) == NULL)
        goto nomem;
    st->lock_fd = -1;
    if ((st->path = strdup(path)) == NULL)
        goto nomem;
    st->tx.st = st;
    st->queue_depth = queue_depth;
    TAILQ_INIT(&st->queue);
    TAILQ_INIT(&st->done);
    if (pthread_mutex_init(&st->mu, NULL) != 0)
        goto nomem;
    if (pthread_cond_init(&st->work_cv, NULL) != 0) {
        pthread_mutex_destroy(&st->mu);
        goto nomem;
    }
    if (pthread_cond_init(&st->call_cv, NULL) != 0) {
        pthread_cond_destroy(&st->work_cv);
        pthread_mutex_destroy(&st->mu);
        goto nomem;
    }
    st->sync_ok = true;
    if (lock && store_lock(st, err) != 0)
        goto fail;
    if (sqlite3_open_v2(path, &st->tx.db, flags, NULL) != SQLITE_OK) {
        sk_seterr(err, "store %s: %s", path,
                  st->tx.db != NULL ? sqlite3_errmsg(st->tx.db)
                                    : "out of memory");
        goto fail;
    }
    /* It holds children's answers: a new file is private to the service.
     * sqlite gives the -wal and -shm files, made later, the same mode. */
    if (!existed && chmod(path, S_IRUSR | S_IWUSR) != 0) {
        sk_seterr(err, "store %s: chmod: %s", path, strerror(errno));
        goto fail;
    }
    if (store_configure(st, err) != 0 || store_migrate(st, err) != 0 ||
        (lock && store_vacuum_mode(st, err) != 0))
        goto fail;
    if (base != NULL) {
        st->done_ev = event_new(base, -1, 0, store_done_cb, st);
        if (st->done_ev == NULL)
            goto nomem;
    }
    /* Signals belong to the loop thread: the writer blocks them all. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&st->writer, NULL, store_writer, st);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        sk_seterr(err, "store %s: cannot start the writer thread", path);
        goto fail;
    }
    st->writer_started = true;
    return st;
nomem:
    sk_seterr(err, "store %s: out of memory", path);
fail:
    store_close(st);
    return NULL;
}

struct store *
store_open(const char *path, struct event_base *base, int queue_depth,
           char err[SK_ERR_LEN])
{
    return store_open_mode(path, base, queue_depth, true, err);
}

struct store *
store_open_shared(const char *path, char err[SK_ERR_LEN])
{
    return store_open_mode(path, NULL, 4, false, err);
}

int
store_schema_latest(void)
{
    return SCHEMA_VERSION;
}

void
store_close(struct store *st)
{
    struct job *job;
    int q;

    if (st == NULL)
        return;
    if (st->writer_started) {
        pthread_mutex_lock(&st->mu);
        st->closing = true;
        pthread_cond_broadcast(&st->work_cv);
        pthread_mutex_unlock(&st->mu);
        pthread_join(st->writer, NULL);
    }
    /* The writer has delivered every job; call what the loop has not. */
    while ((job = TAILQ_FIRST(&st->done)) != NULL) {
        TAILQ_REMOVE(&st->done, job, link);
        if (job->done != NULL)
            job->done(job->arg, job->rc);
        free(job);
    }
    if (st->done_ev != NULL)
        event_free(st->done_ev);
    for (q = 0; q < Q_MAX; q++)
        sqlite3_finalize(st->tx.stmt[q]);
    if (st->tx.db != NULL && sqlite3_close(st->tx.db) != SQLITE_OK)
        sk_log(LOG_ERR, "store", "close: %s", sqlite3_errmsg(st->tx.db));
    if (st->sync_ok) {
        pthread_cond_destroy(&st->call_cv);
        pthread_cond_destroy(&st->work_cv);
        pthread_mutex_destroy(&st->mu);
    }
    if (st->lock_fd >= 0)
        close(st->lock_fd); /* drops the flock */
    free(st->path);
    free(st);
}

int
store_schema_version(struct store *st)
{
    return st->version;
}

uint64_t
store_commits(struct store *st)
{
    uint64_t n;

    pthread_mutex_lock(&st->mu);
    n = st->commits;
    pthread_mutex_unlock(&st->mu);
    return n;
}

bool
store_scrub_pending(struct store *st, uint64_t *retries)
{
    bool pending;

    pthread_mutex_lock(&st->mu);
    pending = st->scrub_pending;
    if (retries != NULL)
        *retries = st->scrub_retries;
    pthread_mutex_unlock(&st->mu);
    return pending;
}

/* --- producers ----------------------------------------------------------- */

int
store_submit(struct store *st, store_job_fn fn, store_done_fn done, void *arg)
{
    struct job *job;

    if (fn == NULL || st->done_ev == NULL)
        return SK_EINVAL;
    job = calloc(1, sizeof(*job));
    if (job == NULL)
        return SK_ENOMEM;
    job->kind = JOB_SUBMIT;
    job->fn = fn;
    job->done = done;
    job->arg = arg;
    pthread_mutex_lock(&st->mu);
    if (st->closing || st->queued >= st->queue_depth) {
        pthread_mutex_unlock(&st->mu);
        free(job);
        return SK_EBUSY;
    }
    TAILQ_INSERT_TAIL(&st->queue, job, link);
    st->queued++;
    pthread_cond_signal(&st->work_cv);
    pthread_mutex_unlock(&st->mu);
    return 0;
}

int
store_call(struct store *st, store_job_fn fn, void *arg)
{
    struct job job = {.kind = JOB_CALL, .fn = fn, .arg = arg};

    if (fn == NULL)
        return SK_EINVAL;
    if (pthread_equal(pthread_self(), st->writer))
        return SK_ESTATE; /* from inside a job: it would wait for itself */
    pthread_mutex_lock(&st->mu);
    if (st->closing) {
        pthread_mutex_unlock(&st->mu);
        return SK_EBUSY;
    }
    TAILQ_INSERT_TAIL(&st->queue, &job, link);
    pthread_cond_signal(&st->work_cv);
    while (!job.finished)
        pthread_cond_wait(&st->call_cv, &st->mu);
    pthread_mutex_unlock(&st->mu);
    return job.rc;
}

/* --- inside a job -------------------------------------------------------- */

sqlite3 *
store_tx_sqlite(struct store_tx *tx)
{
    return tx->db;
}

void
store_tx_scrub(struct store_tx *tx)
{
    tx->scrub = true;
}

int
store_inbound_get(struct store_tx *tx, const char *channel,
                  const char *external_id, char **reply)
{
    return store_inbound_get_mine(tx, channel, external_id, NULL, reply);
}

int
store_inbound_get_mine(struct store_tx *tx, const char *channel,
                       const char *external_id, const char *contact_key,
                       char **reply)
{
    sqlite3_stmt *s = store_stmt(tx, Q_INBOUND_GET);
    int rc, src;

    *reply = NULL;
    if (channel == NULL || external_id == NULL)
        return SK_EINVAL;
    if (s == NULL)
        return SK_EIO;
    if ((rc = store_bind_text(s, 1, channel)) != 0 ||
        (rc = store_bind_text(s, 2, external_id)) != 0 ||
        (contact_key != NULL && (rc = store_bind_text(s, 3, contact_key)) != 0))
        goto out;
    src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        const unsigned char *text = sqlite3_column_text(s, 0);

        *reply = strdup(text != NULL ? (const char *)text : "");
        rc = *reply != NULL ? 0 : SK_ENOMEM;
    } else if (src == SQLITE_DONE) {
        rc = SK_ENOENT;
    } else {
        rc = store_rc(sqlite3_extended_errcode(tx->db));
    }
out:
    store_stmt_done(s);
    return rc;
}

int
store_inbound_put(struct store_tx *tx, const char *channel,
                  const char *external_id, const char *contact_key,
                  const char *reply, int64_t now_ms)
{
    sqlite3_stmt *s = store_stmt(tx, Q_INBOUND_PUT);
    int rc;

    if (channel == NULL || external_id == NULL || contact_key == NULL)
        return SK_EINVAL;
    if (s == NULL)
        return SK_EIO;
    if ((rc = store_bind_text(s, 1, channel)) != 0 ||
        (rc = store_bind_text(s, 2, external_id)) != 0 ||
        (rc = store_bind_text(s, 3, contact_key)) != 0 ||
        (rc = store_bind_i64(s, 4, now_ms)) != 0 ||
        (rc = store_bind_text(s, 5, reply)) != 0) {
        store_stmt_done(s);
        return rc;
    }
    return store_step_done(tx, s);
}

int
store_contact_get(struct store_tx *tx, const char *contact_key,
                  struct store_contact *c)
{
    sqlite3_stmt *s = store_stmt(tx, Q_CONTACT_GET);
    int rc = 0, src;

    memset(c, 0, sizeof(*c));
    if (contact_key == NULL)
        return SK_EINVAL;
    if (s == NULL)
        return SK_EIO;
    if ((rc = store_bind_text(s, 1, contact_key)) != 0)
        goto out;
    src = sqlite3_step(s);
    if (src == SQLITE_DONE) {
        rc = SK_ENOENT;
        goto out;
    }
    if (src != SQLITE_ROW) {
        rc = store_rc(sqlite3_extended_errcode(tx->db));
        goto out;
    }
    c->session = store_column_dup(s, 0, &rc);
    c->channel = store_column_dup(s, 1, &rc);
    c->opted_out = sqlite3_column_int(s, 2) != 0;
    c->timeout_at = sqlite3_column_int64(s, 3);
    c->expires_at = sqlite3_column_int64(s, 4);
    c->last_seen = sqlite3_column_int64(s, 5);
    if (rc != 0)
        store_contact_clear(c);
out:
    store_stmt_done(s);
    return rc;
}

int
store_contact_put(struct store_tx *tx, const char *contact_key,
                  const struct store_contact *c)
{
    sqlite3_stmt *s = store_stmt(tx, Q_CONTACT_PUT);
    int rc;

    if (contact_key == NULL || c == NULL)
        return SK_EINVAL;
    if (s == NULL)
        return SK_EIO;
    if ((rc = store_bind_text(s, 1, contact_key)) != 0 ||
        (rc = store_bind_text(s, 2, c->session)) != 0 ||
        (rc = store_bind_text(s, 3, c->channel)) != 0 ||
        (rc = store_bind_i64(s, 4, c->opted_out ? 1 : 0)) != 0 ||
        (rc = store_bind_i64(s, 5, c->timeout_at)) != 0 ||
        (rc = store_bind_i64(s, 6, c->expires_at)) != 0 ||
        (rc = store_bind_i64(s, 7, c->last_seen)) != 0) {
        store_stmt_done(s);
        return rc;
    }
    return store_step_done(tx, s);
}

void
store_contact_clear(struct store_contact *c)
{
    if (c == NULL)
        return;
    free(c->session);
    free(c->channel);
    memset(c, 0, sizeof(*c));
}

int
store_result_put(struct store_tx *tx, const char *contact_key,
                 const char *flow_uuid, const char *flow_name, const char *name,
                 const char *value, const char *category, const char *input,
                 int64_t now_ms)
{
    struct store_result r = {
        .contact_key = contact_key,
        .flow_uuid = flow_uuid,
        .flow_name = flow_name,
        .name = name,
        .value = value,
        .category = category,
        .input = input,
    };

    return store_result_add(tx, &r, now_ms);
}

int
store_result_add(struct store_tx *tx, const struct store_result *r,
                 int64_t now_ms)
{
    sqlite3_stmt *s = store_stmt(tx, Q_RESULT_PUT);
    int rc;

    if (r->contact_key == NULL || r->flow_uuid == NULL ||
        r->flow_name == NULL || r->name == NULL)
        return SK_EINVAL;
    if (s == NULL)
        return SK_EIO;
    if ((rc = store_bind_text(s, 1, r->contact_key)) != 0 ||
        (rc = store_bind_text(s, 2, r->flow_uuid)) != 0 ||
        (rc = store_bind_text(s, 3, r->flow_name)) != 0 ||
        (rc = store_bind_text(s, 4, r->name)) != 0 ||
        (rc = store_bind_text(s, 5, r->value)) != 0 ||
        (rc = store_bind_text(s, 6, r->category)) != 0 ||
        (rc = store_bind_text(s, 7, r->input)) != 0 ||
        (rc = store_bind_i64(s, 8, now_ms)) != 0 ||
        (rc = store_bind_text(s, 9, r->language)) != 0 ||
        (rc = store_bind_text(s, 10, r->channel_type)) != 0 ||
        (rc = r->flow_revision > 0 ? store_bind_i64(s, 11, r->flow_revision)
                                   : store_rc(sqlite3_bind_null(s, 11))) != 0) {
        store_stmt_done(s);
        return rc;
    }
    return store_step_done(tx, s);
}

int
store_outbox_put(struct store_tx *tx, const char *channel,
                 const char *contact_key, const char *text, int64_t now_ms,
                 int64_t *id)
{
    sqlite3_stmt *s = store_stmt(tx, Q_OUTBOX_PUT);
    int rc;

    if (channel == NULL || contact_key == NULL || text == NULL)
        return SK_EINVAL;
    if (s == NULL)
        return SK_EIO;
    if ((rc = store_bind_text(s, 1, channel)) != 0 ||
        (rc = store_bind_text(s, 2, contact_key)) != 0 ||
        (rc = store_bind_text(s, 3, text)) != 0 ||
        (rc = store_bind_i64(s, 4, now_ms)) != 0) {
        store_stmt_done(s);
        return rc;
    }
    if ((rc = store_step_done(tx, s)) != 0)
        return rc;
    if (id != NULL)
        *id = sqlite3_last_insert_rowid(tx->db);
    return 0;
}

int
store_vault_put(struct store_tx *tx, const char *contact_key,
                const unsigned char *blob, size_t len, int64_t expires_at)
{
    sqlite3_stmt *s = store_stmt(tx, Q_VAULT_PUT);
    int rc, src;

    if (contact_key == NULL || (blob == NULL && len > 0))
        return SK_EINVAL;
    if (s == NULL)
        return SK_EIO;
    /* A zero-length blob must still be a BLOB, not NULL. */
    src = sqlite3_bind_blob64(s, 2, blob != NULL ? (const void *)blob : "", len,
                              SQLITE_STATIC);
    if (src != SQLITE_OK) {
        store_stmt_done(s);
        return store_rc(src);
    }
    if ((rc = store_bind_text(s, 1, contact_key)) != 0 ||
        (rc = store_bind_i64(s, 3, wallclock_ms())) != 0 ||
        (rc = store_bind_i64(s, 4, expires_at)) != 0) {
        store_stmt_done(s);
        return rc;
    }
    return store_step_done(tx, s);
}

int
store_vault_get(struct store_tx *tx, const char *contact_key,
                unsigned char **blob, size_t *len, int64_t now_ms)
{
    sqlite3_stmt *s = store_stmt(tx, Q_VAULT_GET);
    int rc = 0, src, n;

    *blob = NULL;
    *len = 0;
    if (contact_key == NULL)
        return SK_EINVAL;
    if (s == NULL)
        return SK_EIO;
    if ((rc = store_bind_text(s, 1, contact_key)) != 0 ||
        (rc = store_bind_i64(s, 2, now_ms)) != 0)
        goto out;
    src = sqlite3_step(s);
    if (src == SQLITE_DONE) {
        rc = SK_ENOENT;
    } else if (src != SQLITE_ROW) {
        rc = store_rc(sqlite3_extended_errcode(tx->db));
    } else {
        const void *p = sqlite3_column_blob(s, 0);

        n = sqlite3_column_bytes(s, 0);
        *blob = malloc(n > 0 ? (size_t)n : 1);
        if (*blob == NULL) {
            rc = SK_ENOMEM;
            goto out;
        }
        if (n > 0)
            memcpy(*blob, p, (size_t)n);
        *len = (size_t)n;
    }
out:
    store_stmt_done(s);
    return rc;
}

int
store_vault_purge(struct store_tx *tx, int64_t now_ms, int limit)
{
    sqlite3_stmt *s = store_stmt(tx, Q_VAULT_PURGE);
    int rc;

    if (limit < 0)
        return SK_EINVAL;
    if (s == NULL)
        return SK_EIO;
    if ((rc = store_bind_i64(s, 1, now_ms)) != 0 ||
        (rc = store_bind_i64(s, 2, limit)) != 0) {
        store_stmt_done(s);
        return rc;
    }
    if ((rc = store_step_done(tx, s)) != 0)
        return rc;
    return sqlite3_changes(tx->db);
}

int
store_vault_forget(struct store_tx *tx, const char *contact_key)
{
    sqlite3_stmt *s = store_stmt(tx, Q_VAULT_FORGET);
    int rc;

    if (contact_key == NULL)
        return SK_EINVAL;
    if (s == NULL)
        return SK_EIO;
    if ((rc = store_bind_text(s, 1, contact_key)) != 0) {
        store_stmt_done(s);
        return rc;
    }
    if ((rc = store_step_done(tx, s)) != 0)
        return rc;
    return sqlite3_changes(tx->db);
}

int
store_due(struct store_tx *tx, int64_t now_ms, int limit,
          void (*fn)(void *arg, const char *contact_key), void *arg)
{
    sqlite3_stmt *s = store_stmt(tx, Q_DUE);
    char **keys = NULL;
    int n = 0, i, rc = 0, src = SQLITE_DONE;

    if (fn == NULL || limit < 0)
        return SK_EINVAL;
    if (limit == 0)
        return 0;
    if (s == NULL)
        return SK_EIO;
    keys = calloc((size_t)limit, sizeof(*keys));
    if (keys == NULL)
        return SK_ENOMEM;
    if ((rc = store_bind_i64(s, 1, now_ms)) != 0 ||
        (rc = store_bind_i64(s, 2, limit)) != 0)
        goto out;
    /* Collect first, so fn may write to contacts while we are not
     * stepping through them. */
    while (n < limit && (src = sqlite3_step(s)) == SQLITE_ROW) {
        keys[n] = store_column_dup(s, 0, &rc);
        if (keys[n] == NULL) {
            rc = rc != 0 ? rc : SK_EIO;
            goto out;
        }
        n++;
    }
    if (n < limit && src != SQLITE_DONE) {
        rc = store_rc(sqlite3_extended_errcode(tx->db));
        goto out;
    }
    store_stmt_done(s);
    for (i = 0; i < n; i++)
        fn(arg, keys[i]);
out:
    store_stmt_done(s);
    for (i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    return rc != 0 ? rc : n;
}

int
store_count(struct store_tx *tx, const char *table, int64_t *n)
{
    sqlite3_stmt *s;
    int i, rc;

    *n = 0;
    for (i = 0; i < NTABLES; i++)
        if (table != NULL && strcmp(table, store_tables[i]) == 0)
            break;
    if (i == NTABLES)
        return SK_EINVAL;
    if ((s = store_stmt(tx, Q_COUNT + i)) == NULL)
        return SK_EIO;
    if (sqlite3_step(s) == SQLITE_ROW) {
        *n = sqlite3_column_int64(s, 0);
        rc = 0;
    } else {
        rc = store_rc(sqlite3_extended_errcode(tx->db));
    }
    store_stmt_done(s);
    return rc;
}
