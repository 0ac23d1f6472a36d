/*
 * test_store.c - the store on real files in a temporary directory:
 * migrations, pragmas, durability, dedupe, group commit with per-job
 * rollback, commit failure, back-pressure, done delivery on the loop, the
 * store_tx queries, and close with work still queued.
 */
#define _XOPEN_SOURCE 700
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <sqlite3.h>

#include "store.h"
#include "store_int.h"
#include "tmpdir.h"

#define KEY_A "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define KEY_B "b1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"

/*
 * cmocka's asserts may only fail on the test's own thread. Job functions
 * run on the writer thread, so they check with these: report, then make
 * the job fail with SK_EINVAL, which the test thread asserts against.
 */
#define CK(cond)                                                               \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                    \
            return SK_EINVAL;                                                  \
        }                                                                      \
    } while (0)
#define CK_INT(a, b) CK((int64_t)(a) == (int64_t)(b))
#define CK_STR(a, b) CK((a) != NULL && strcmp((a), (b)) == 0)

struct fx {
    char dir[256];
    char path[300];
    struct event_base *base;
    struct event *tick; /* keeps EVLOOP_ONCE from returning at once */
};

/* --- fixture ------------------------------------------------------------- */

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");
    struct timeval tv = {0, 10000};

    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "%s/sk_store_XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->path, sizeof(fx->path), "%s/sikiliza.db", fx->dir);
    fx->base = event_base_new();
    if (fx->base == NULL)
        return -1;
    fx->tick = event_new(fx->base, -1, EV_PERSIST, tick_cb, NULL);
    if (fx->tick == NULL || event_add(fx->tick, &tv) != 0)
        return -1;
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;

    event_free(fx->tick);
    event_base_free(fx->base);
    tmpdir_remove(fx->dir);
    free(fx);
    return 0;
}

static struct store *
open_ok(struct fx *fx, struct event_base *base, int depth)
{
    char err[SK_ERR_LEN] = "";
    struct store *st = store_open(fx->path, base, depth, err);

    if (st == NULL)
        fail_msg("store_open: %s", err);
    assert_string_equal(err, "");
    return st;
}

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the loop until *counter reaches want (fails after 20 s). */
static void
loop_until(struct fx *fx, const int *counter, int want)
{
    int64_t deadline = now_ms() + 20000;

    while (*counter < want) {
        event_base_loop(fx->base, EVLOOP_ONCE);
        if (now_ms() > deadline)
            fail_msg("loop: %d of %d dones", *counter, want);
    }
}

/* Reads one integer with a plain connection of the test's own. */
static int64_t
raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int64_t v = -1;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void
raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* --- jobs ---------------------------------------------------------------- */

/* A job that holds the writer until the test opens the gate. */
struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool entered, open;
    int *total; /* bumped by gate_done, may be NULL */
    int dones, done_rc;
};

static void
gate_init(struct gate *g)
{
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    g->entered = g->open = false;
    g->total = NULL;
    g->dones = 0;
    g->done_rc = -1;
}

static void
gate_destroy(struct gate *g)
{
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}

static int
gate_job(struct store_tx *tx, void *arg)
{
    struct gate *g = arg;

    (void)tx;
    pthread_mutex_lock(&g->mu);
    g->entered = true;
    pthread_cond_broadcast(&g->cv);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    return 0;
}

static void
gate_wait_entered(struct gate *g)
{
    pthread_mutex_lock(&g->mu);
    while (!g->entered)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

static void
gate_open(struct gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->open = true;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

/* A counted job: stores one inbound row, then returns ret. */
struct cjob {
    int n;
    int ret;       /* what fn returns after writing */
    int fn_rc;     /* what the put returned */
    int ran;       /* fn calls */
    int dones;     /* done calls */
    int done_rc;   /* rc given to done */
    int *total;    /* dones over all jobs (loop thread only) */
    pthread_t thr; /* thread done ran on */
};

static int
cjob_fn(struct store_tx *tx, void *arg)
{
    struct cjob *j = arg;
    char id[32];

    j->ran++;
    snprintf(id, sizeof(id), "m%d", j->n);
    j->fn_rc = store_inbound_put(tx, "demo", id, KEY_A, "ok", 1000 + j->n);
    return j->fn_rc != 0 ? j->fn_rc : j->ret;
}

static void
cjob_done(void *arg, int rc)
{
    struct cjob *j = arg;

    j->dones++;
    j->done_rc = rc;
    j->thr = pthread_self();
    if (j->total != NULL)
        (*j->total)++;
}

static void
gate_done(void *arg, int rc)
{
    struct gate *g = arg;

    g->dones++;
    g->done_rc = rc;
    if (g->total != NULL)
        (*g->total)++;
}

struct counts {
    int64_t inbound, contacts, results, outbox, vault;
};

static int
counts_job(struct store_tx *tx, void *arg)
{
    struct counts *c = arg;
    int rc;

    if ((rc = store_count(tx, "inbound", &c->inbound)) != 0 ||
        (rc = store_count(tx, "contacts", &c->contacts)) != 0 ||
        (rc = store_count(tx, "results", &c->results)) != 0 ||
        (rc = store_count(tx, "outbox", &c->outbox)) != 0 ||
        (rc = store_count(tx, "vault", &c->vault)) != 0)
        return rc;
    return 0;
}

static struct counts
counts(struct store *st)
{
    struct counts c;

    memset(&c, 0xff, sizeof(c));
    assert_int_equal(store_call(st, counts_job, &c), 0);
    return c;
}

/* --- tests --------------------------------------------------------------- */

static int
bad_count_job(struct store_tx *tx, void *arg)
{
    int64_t n = 7;

    (void)arg;
    CK_INT(store_count(tx, "sqlite_master; DROP TABLE x", &n), SK_EINVAL);
    CK_INT(store_count(tx, NULL, &n), SK_EINVAL);
    return 0;
}

/* The schema this build migrates to: bump it with every new step. */
#define SCHEMA_NOW 9

static void
test_migrations(void **state)
{
    struct fx *fx = *state;
    char err[SK_ERR_LEN] = "", want[128];
    struct store *st = open_ok(fx, NULL, 8);
    struct counts c;

    assert_int_equal(store_schema_version(st), SCHEMA_NOW);
    c = counts(st);
    assert_int_equal(c.inbound + c.contacts + c.results + c.outbox + c.vault,
                     0);
    assert_int_equal(store_call(st, bad_count_job, NULL), 0);
    store_close(st);
    assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), SCHEMA_NOW);
    assert_int_equal(raw_int(fx->path,
                             "SELECT count(*) FROM sqlite_master WHERE "
                             "type = 'table' AND name IN ('inbound', "
                             "'contacts', 'results', 'outbox', 'vault')"),
                     5);

    /* Reopening an up-to-date file applies nothing. */
    st = open_ok(fx, NULL, 8);
    assert_int_equal(store_schema_version(st), SCHEMA_NOW);
    store_close(st);

    /* A file from a newer build is refused, untouched. */
    raw_exec(fx->path, "PRAGMA user_version = 70");
    assert_null(store_open(fx->path, NULL, 8, err));
    snprintf(want, sizeof(want),
             "store schema 70 is newer than this sikiliza (%d): upgrade "
             "sikiliza or restore a backup",
             SCHEMA_NOW);
    assert_non_null(strstr(err, want));
    assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), 70);
}

static void
test_failed_migration_leaves_nothing(void **state)
{
    struct fx *fx = *state;
    char err[SK_ERR_LEN] = "";

    /* A stray table makes step 1 fail half-way: none of it may stay. */
    raw_exec(fx->path, "CREATE TABLE outbox (x)");
    assert_null(store_open(fx->path, NULL, 8, err));
    assert_non_null(strstr(err, "migration to schema 1 failed"));
    assert_non_null(strstr(err, "outbox"));
    assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), 0);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM sqlite_master "
                                       "WHERE name IN ('inbound', "
                                       "'contacts', 'results')"),
                     0);
}

/* One writer per database: a second store_open() on the same file is
 * refused, naming the holder's pid, until the first closes. */
static void
test_second_writer_refused(void **state)
{
    struct fx *fx = *state;
    char err[SK_ERR_LEN] = "", want[600], path[400];
    struct store *st = open_ok(fx, NULL, 8);
    struct stat sb;

    assert_null(store_open(fx->path, NULL, 8, err));
    snprintf(want, sizeof(want),
             "database %s is in use by another sikiliza serve (pid %ld)",
             fx->path, (long)getpid());
    assert_string_equal(err, want);
    /* the lock file is private to the service */
    snprintf(path, sizeof(path), "%s.lock", fx->path);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0077, 0);
    store_close(st);

    st = open_ok(fx, NULL, 8);
    store_close(st);
}

struct audit_seen {
    int n;
    int64_t first_id;
    char text[512];
};

static int
audit_seen_row(void *arg, const struct store_audit_row *row)
{
    struct audit_seen *a = arg;
    size_t len = strlen(a->text);

    if (a->n++ == 0)
        a->first_id = row->id;
    snprintf(a->text + len, sizeof(a->text) - len, "%lld|%s|%s|%s|%s;",
             (long long)row->at_ms, row->actor, row->action,
             row->subject != NULL ? row->subject : "-",
             row->reason != NULL ? row->reason : "-");
    return 0;
}

static int
audit_add_job(struct store_tx *tx, void *arg)
{
    (void)arg;
    CK(store_audit_add(tx, 1000, "cli:ana", "export", "csv flow=All", NULL) >
       0);
    CK(store_audit_add(tx, 2000, "cli:ben", "reveal", "alert 7",
                       "child in danger") > 0);
    CK_INT(store_audit_add(tx, 3000, NULL, "reveal", NULL, NULL), SK_EINVAL);
    return 0;
}

static int
audit_list_job(struct store_tx *tx, void *arg)
{
    return store_audit_list(tx, 0, audit_seen_row, arg);
}

static int
audit_since_job(struct store_tx *tx, void *arg)
{
    return store_audit_list(tx, 1500, audit_seen_row, arg);
}

/* The audit log keeps rows in order; a command beside a serving gateway
 * (store_open_shared) reads and writes it without the writer's lock. */
static void
test_audit_and_shared_open(void **state)
{
    struct fx *fx = *state;
    char err[SK_ERR_LEN] = "";
    struct store *st = open_ok(fx, NULL, 8), *cli;
    struct audit_seen a = {0}, b = {0};

    cli = store_open_shared(fx->path, err);
    assert_non_null(cli);
    assert_int_equal(store_call(cli, audit_add_job, NULL), 0);
    store_close(cli);
    assert_int_equal(store_call(st, audit_list_job, &a), 0);
    assert_int_equal(a.n, 2);
    assert_string_equal(a.text, "1000|cli:ana|export|csv flow=All|-;"
                                "2000|cli:ben|reveal|alert 7|child in "
                                "danger;");
    assert_int_equal(store_call(st, audit_since_job, &b), 0);
    assert_int_equal(b.n, 1);
    assert_true(b.first_id > a.first_id);
    store_close(st);
}

struct pragmas {
    int64_t sync, fk, secure_delete;
    char mode[16];
};

static int
pragma_job(struct store_tx *tx, void *arg)
{
    struct pragmas *p = arg;
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;

    CK(db != NULL);
    CK_INT(sqlite3_prepare_v2(db,
                              "SELECT * FROM pragma_synchronous, "
                              "pragma_foreign_keys, pragma_journal_mode, "
                              "pragma_secure_delete",
                              -1, &s, NULL),
           SQLITE_OK);
    CK_INT(sqlite3_step(s), SQLITE_ROW);
    p->sync = sqlite3_column_int64(s, 0);
    p->fk = sqlite3_column_int64(s, 1);
    snprintf(p->mode, sizeof(p->mode), "%s", sqlite3_column_text(s, 2));
    p->secure_delete = sqlite3_column_int64(s, 3);
    sqlite3_finalize(s);
    return 0;
}

static void
test_pragmas_and_open_errors(void **state)
{
    struct fx *fx = *state;
    char err[SK_ERR_LEN] = "", path[400];
    struct store *st = open_ok(fx, NULL, 8);
    struct pragmas p = {0};
    struct stat sb;

    assert_int_equal(store_call(st, pragma_job, &p), 0);
    assert_int_equal(p.sync, 2); /* FULL */
    assert_int_equal(p.fk, 1);
    assert_string_equal(p.mode, "wal");
    assert_int_equal(p.secure_delete, 1); /* erased rows leave no copy */
    /* A new database file and its WAL are private to the service. */
    assert_int_equal(stat(fx->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0077, 0);
    snprintf(path, sizeof(path), "%s-wal", fx->path);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0077, 0);
    store_close(st);

    /* WAL cannot take on an in-memory database: refused, not ignored. */
    assert_null(store_open(":memory:", NULL, 8, err));
    assert_non_null(strstr(err, "journal_mode is memory, not wal"));

    /* A missing directory is named, and nothing is created. */
    err[0] = '\0';
    snprintf(path, sizeof(path), "%s/nope/x.db", fx->dir);
    assert_null(store_open(path, NULL, 8, err));
    snprintf(path, sizeof(path), "directory %s/nope:", fx->dir);
    assert_non_null(strstr(err, path));

    err[0] = '\0';
    assert_null(store_open(fx->path, NULL, 0, err));
    assert_string_not_equal(err, "");
    store_close(NULL);
}

static int
fill_job(struct store_tx *tx, void *arg)
{
    const char *key = arg;
    struct store_contact c = {.session = "{\"runs\":[]}",
                              .channel = "demo",
                              .timeout_at = 5000,
                              .last_seen = 1000};
    static const unsigned char blob[] = {0, 1, 2, 0xff};
    int64_t id = 0;
    int rc;

    if ((rc = store_inbound_put(tx, "demo", key, key, "hello", 1000)) != 0 ||
        (rc = store_contact_put(tx, key, &c)) != 0 ||
        (rc = store_result_put(tx, key, "f-uuid", "Wellbeing Check",
                               "Feel Safe", "yes", "Yes", "yes I do", 1000)) !=
            0 ||
        (rc = store_outbox_put(tx, "demo", key, "Thanks", 1000, &id)) != 0 ||
        (rc = store_vault_put(tx, key, blob, sizeof(blob), INT64_MAX)) != 0)
        return rc;
    CK(id > 0);
    return 0;
}

static int
check_fill_job(struct store_tx *tx, void *arg)
{
    const char *key = arg;
    struct store_contact c;
    unsigned char *blob = NULL;
    size_t len = 0;
    char *reply = NULL;

    CK_INT(store_inbound_get(tx, "demo", key, &reply), 0);
    CK_STR(reply, "hello");
    free(reply);
    CK_INT(store_contact_get(tx, key, &c), 0);
    CK_STR(c.session, "{\"runs\":[]}");
    CK_STR(c.channel, "demo");
    CK_INT(c.timeout_at, 5000);
    store_contact_clear(&c);
    CK_INT(store_vault_get(tx, key, &blob, &len, 2000), 0);
    CK_INT(len, 4);
    CK_INT(blob[3], 0xff);
    free(blob);
    return 0;
}

static void
test_reopen_keeps_data(void **state)
{
    struct fx *fx = *state;
    struct store *st = open_ok(fx, NULL, 8);
    struct counts c;

    assert_int_equal(store_call(st, fill_job, KEY_A), 0);
    store_close(st);
    st = open_ok(fx, NULL, 8);
    c = counts(st);
    assert_int_equal(c.inbound, 1);
    assert_int_equal(c.contacts, 1);
    assert_int_equal(c.results, 1);
    assert_int_equal(c.outbox, 1);
    assert_int_equal(c.vault, 1);
    assert_int_equal(store_call(st, check_fill_job, KEY_A), 0);
    store_close(st);
    /* Strings went in as TEXT, the sealed address as a BLOB. */
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM results WHERE "
                                       "typeof(value) = 'text' AND "
                                       "typeof(contact_key) = 'text'"),
                     1);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM vault WHERE "
                                       "typeof(blob) = 'blob'"),
                     1);
}

struct dup {
    const char *channel, *id, *reply;
};

static int
dup_put_job(struct store_tx *tx, void *arg)
{
    struct dup *d = arg;

    return store_inbound_put(tx, d->channel, d->id, KEY_A, d->reply, 1);
}

static int
dup_get_job(struct store_tx *tx, void *arg)
{
    struct dup *d = arg;
    char *reply = NULL;
    int rc = store_inbound_get(tx, d->channel, d->id, &reply);

    if (rc == 0) {
        CK_STR(reply, d->reply);
        free(reply);
    } else {
        CK(reply == NULL);
    }
    return rc;
}

static void
test_inbound_dedupe(void **state)
{
    struct fx *fx = *state;
    struct store *st = open_ok(fx, NULL, 8);
    struct dup first = {"demo", "ext-1", "first reply"};
    struct dup again = {"demo", "ext-1", "second reply"};
    struct dup other = {"kannel", "ext-1", NULL};
    struct dup none = {"demo", "ext-2", NULL};

    assert_int_equal(store_call(st, dup_get_job, &first), SK_ENOENT);
    assert_int_equal(store_call(st, dup_put_job, &first), 0);
    assert_int_equal(store_call(st, dup_put_job, &again), SK_EEXIST);
    assert_int_equal(store_call(st, dup_get_job, &first), 0);
    /* The same id on another channel is another message; a NULL reply
     * reads back as "". */
    assert_int_equal(store_call(st, dup_put_job, &other), 0);
    other.reply = "";
    assert_int_equal(store_call(st, dup_get_job, &other), 0);
    assert_int_equal(store_call(st, dup_get_job, &none), SK_ENOENT);
    assert_int_equal(counts(st).inbound, 2);
    store_close(st);
}

static void
test_failing_job_rolls_back_alone(void **state)
{
    struct fx *fx = *state;
    struct store *st = open_ok(fx, fx->base, 64);
    struct gate g;
    struct cjob j[5];
    int total = 0, i;
    uint64_t commits;
    struct dup d = {"demo", NULL, "ok"};
    char id[8];

    gate_init(&g);
    g.total = &total;
    memset(j, 0, sizeof(j));
    for (i = 0; i < 5; i++) {
        j[i].n = i;
        j[i].total = &total;
    }
    j[1].ret = SK_EINVAL; /* writes, then fails */
    j[3].n = 2;           /* the same message as j[2]: a duplicate */
    assert_int_equal(store_submit(st, gate_job, gate_done, &g), 0);
    gate_wait_entered(&g);
    commits = store_commits(st);
    for (i = 0; i < 5; i++)
        assert_int_equal(store_submit(st, cjob_fn, cjob_done, &j[i]), 0);
    gate_open(&g);
    loop_until(fx, &total, 6);

    for (i = 0; i < 5; i++) {
        assert_int_equal(j[i].ran, 1);
        assert_int_equal(j[i].dones, 1);
        assert_true(pthread_equal(j[i].thr, pthread_self()));
    }
    assert_int_equal(j[0].done_rc, 0);
    assert_int_equal(j[1].fn_rc, 0);
    assert_int_equal(j[1].done_rc, SK_EINVAL);
    assert_int_equal(j[2].done_rc, 0);
    assert_int_equal(j[3].done_rc, SK_EEXIST);
    assert_int_equal(j[4].done_rc, 0);
    /* One commit for the gate's group, one for the five. */
    assert_int_equal(store_commits(st) - commits, 2);
    assert_int_equal(counts(st).inbound, 3);
    for (i = 0; i < 5; i++) {
        snprintf(id, sizeof(id), "m%d", i);
        d.id = id;
        assert_int_equal(store_call(st, dup_get_job, &d),
                         i == 1 || i == 3 ? SK_ENOENT : 0);
    }
    store_close(st);
    gate_destroy(&g);
}

static int
fk_violation_job(struct store_tx *tx, void *arg)
{
    (void)arg;
    /* Deferred: the statement succeeds, the COMMIT will not. */
    return sqlite3_exec(store_tx_sqlite(tx),
                        "INSERT INTO t_child (p) VALUES (42)", NULL, NULL,
                        NULL) == SQLITE_OK
               ? 0
               : SK_EIO;
}

static void
test_commit_failure_fails_group(void **state)
{
    struct fx *fx = *state;
    struct store *st;
    struct gate g;
    struct cjob a = {.n = 1}, c = {.n = 2};
    struct cjob after = {.n = 3};
    int total = 0;
    uint64_t commits;

    /* A table whose foreign key is checked only at COMMIT gives a COMMIT
     * that fails the way a full disk would: after every job has run. */
    raw_exec(fx->path,
             "CREATE TABLE t_parent (id INTEGER PRIMARY KEY);"
             "CREATE TABLE t_child (p INTEGER REFERENCES t_parent (id)"
             " DEFERRABLE INITIALLY DEFERRED);");
    st = open_ok(fx, fx->base, 64);
    gate_init(&g);
    g.total = &total;
    a.total = c.total = after.total = &total;
    assert_int_equal(store_submit(st, gate_job, gate_done, &g), 0);
    gate_wait_entered(&g);
    commits = store_commits(st);
    assert_int_equal(store_submit(st, cjob_fn, cjob_done, &a), 0);
    assert_int_equal(store_submit(st, fk_violation_job, NULL, NULL), 0);
    assert_int_equal(store_submit(st, cjob_fn, cjob_done, &c), 0);
    gate_open(&g);
    loop_until(fx, &total, 3);
    assert_int_equal(a.fn_rc, 0);
    assert_int_equal(a.done_rc, SK_EIO);
    assert_int_equal(c.done_rc, SK_EIO);
    assert_int_equal(store_commits(st) - commits, 1); /* the gate's */
    assert_int_equal(counts(st).inbound, 0);

    /* The store goes on working. */
    assert_int_equal(store_submit(st, cjob_fn, cjob_done, &after), 0);
    loop_until(fx, &total, 4);
    assert_int_equal(after.done_rc, 0);
    assert_int_equal(counts(st).inbound, 1);
    store_close(st);
    gate_destroy(&g);
}

static int
abandon_job(struct store_tx *tx, void *arg)
{
    (void)arg;
    /* What sqlite does by itself on some SQLITE_FULL / IOERR / NOMEM:
     * the whole transaction is gone, not just this job's savepoint. */
    CK_INT(sqlite3_exec(store_tx_sqlite(tx), "ROLLBACK", NULL, NULL, NULL),
           SQLITE_OK);
    /* Writing on would commit outside any group: refused. */
    CK_INT(store_inbound_put(tx, "demo", "after-loss", KEY_A, NULL, 1), SK_EIO);
    return 0;
}

static void
test_lost_transaction_mid_group(void **state)
{
    struct fx *fx = *state;
    struct store *st = open_ok(fx, fx->base, 64);
    struct gate g;
    struct cjob a = {.n = 1}, c = {.n = 2};
    int total = 0;
    uint64_t commits;

    gate_init(&g);
    g.total = &total;
    a.total = c.total = &total;
    assert_int_equal(store_submit(st, gate_job, gate_done, &g), 0);
    gate_wait_entered(&g);
    commits = store_commits(st);
    assert_int_equal(store_submit(st, cjob_fn, cjob_done, &a), 0);
    assert_int_equal(store_submit(st, abandon_job, NULL, NULL), 0);
    assert_int_equal(store_submit(st, cjob_fn, cjob_done, &c), 0);
    gate_open(&g);
    loop_until(fx, &total, 3);
    /* a ran in the lost transaction; c runs again in a fresh one. */
    assert_int_equal(a.done_rc, SK_EIO);
    assert_int_equal(c.ran, 1);
    assert_int_equal(c.done_rc, 0);
    /* The gate's group and c's: the lost one does not count. */
    assert_int_equal(store_commits(st) - commits, 2);
    assert_int_equal(counts(st).inbound, 1);
    store_close(st);
    gate_destroy(&g);
}

/* Fills the "disk": the database may not grow past its current size. */
static int
disk_full_job(struct store_tx *tx, void *arg)
{
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;
    char sql[64], *big;
    int rc, pages = 0;

    (void)arg;
    CK_INT(sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &s, NULL),
           SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        pages = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    CK(pages > 0);
    snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %d", pages);
    CK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    big = malloc(1 << 20);
    if (big == NULL)
        return SK_ENOMEM;
    memset(big, 'x', (1 << 20) - 1);
    big[(1 << 20) - 1] = '\0';
    rc = store_result_put(tx, KEY_B, "f", "F", "big", big, NULL, NULL, 1);
    free(big);
    CK_INT(sqlite3_exec(db, "PRAGMA max_page_count = 1073741823", NULL, NULL,
                        NULL),
           SQLITE_OK);
    return rc;
}

static void
test_disk_full(void **state)
{
    struct fx *fx = *state;
    struct store *st = open_ok(fx, fx->base, 64);
    struct gate g;
    struct cjob a = {.n = 1}, c = {.n = 2};
    int total = 0;

    gate_init(&g);
    g.total = &total;
    a.total = c.total = &total;
    assert_int_equal(store_submit(st, gate_job, gate_done, &g), 0);
    gate_wait_entered(&g);
    assert_int_equal(store_submit(st, cjob_fn, cjob_done, &a), 0);
    assert_int_equal(store_submit(st, disk_full_job, NULL, NULL), 0);
    assert_int_equal(store_submit(st, cjob_fn, cjob_done, &c), 0);
    gate_open(&g);
    loop_until(fx, &total, 3);
    assert_int_equal(store_call(st, disk_full_job, NULL), SK_EIO);
    /* Whatever sqlite chose to roll back, the answers tell the truth: a
     * job that got 0 has its row, one that got an error has none. */
    assert_int_equal(counts(st).results, 0);
    assert_int_equal(counts(st).inbound, (a.done_rc == 0) + (c.done_rc == 0));
    assert_int_equal(c.done_rc, 0);
    store_close(st);
    gate_destroy(&g);
}

#define NTHREADS 8
#define PER_THR  250

struct producer {
    struct store *st;
    struct cjob *jobs;
    int busy; /* EBUSY answers seen */
    int err;  /* other answers */
};

static void *
producer_main(void *arg)
{
    struct producer *p = arg;
    int i, rc;

    for (i = 0; i < PER_THR; i++) {
        while ((rc = store_submit(p->st, cjob_fn, cjob_done, &p->jobs[i])) ==
               SK_EBUSY) {
            p->busy++;
            usleep(200);
        }
        if (rc != 0)
            p->err++;
    }
    return NULL;
}

static void
test_concurrent_submit(void **state)
{
    struct fx *fx = *state;
    struct store *st = open_ok(fx, fx->base, 128);
    struct cjob *jobs = calloc(NTHREADS * PER_THR, sizeof(*jobs));
    struct producer prod[NTHREADS];
    pthread_t thr[NTHREADS];
    int total = 0, i;
    uint64_t commits = store_commits(st);

    assert_non_null(jobs);
    for (i = 0; i < NTHREADS * PER_THR; i++) {
        jobs[i].n = i;
        jobs[i].total = &total;
    }
    for (i = 0; i < NTHREADS; i++) {
        prod[i] = (struct producer){st, jobs + i * PER_THR, 0, 0};
        assert_int_equal(pthread_create(&thr[i], NULL, producer_main, &prod[i]),
                         0);
    }
    loop_until(fx, &total, NTHREADS * PER_THR);
    for (i = 0; i < NTHREADS; i++) {
        pthread_join(thr[i], NULL);
        assert_int_equal(prod[i].err, 0);
    }
    for (i = 0; i < NTHREADS * PER_THR; i++) {
        assert_int_equal(jobs[i].ran, 1);
        assert_int_equal(jobs[i].dones, 1);
        assert_int_equal(jobs[i].done_rc, 0);
        assert_true(pthread_equal(jobs[i].thr, pthread_self()));
    }
    commits = store_commits(st) - commits;
    assert_true(commits >= 1);
    assert_true(commits < NTHREADS * PER_THR); /* grouped */
    assert_int_equal(counts(st).inbound, NTHREADS * PER_THR);
    store_close(st);
    free(jobs);
}

static void
test_queue_full(void **state)
{
    struct fx *fx = *state;
    struct store *st = open_ok(fx, fx->base, 4);
    struct gate g;
    struct cjob j[5];
    int total = 0, i;

    gate_init(&g);
    g.total = &total;
    memset(j, 0, sizeof(j));
    for (i = 0; i < 5; i++) {
        j[i].n = i;
        j[i].total = &total;
    }
    assert_int_equal(store_submit(st, gate_job, gate_done, &g), 0);
    gate_wait_entered(&g); /* the writer holds it; the queue is empty */
    for (i = 0; i < 4; i++)
        assert_int_equal(store_submit(st, cjob_fn, cjob_done, &j[i]), 0);
    assert_int_equal(store_submit(st, cjob_fn, cjob_done, &j[4]), SK_EBUSY);
    gate_open(&g);
    loop_until(fx, &total, 5);
    for (i = 0; i < 4; i++)
        assert_int_equal(j[i].dones, 1);
    assert_int_equal(j[4].ran, 0);
    assert_int_equal(j[4].dones, 0);
    /* Room again once the writer has taken them. */
    assert_int_equal(store_submit(st, cjob_fn, cjob_done, &j[4]), 0);
    loop_until(fx, &total, 6);
    assert_int_equal(j[4].done_rc, 0);
    store_close(st);
    gate_destroy(&g);
}

static int
ret_job(struct store_tx *tx, void *arg)
{
    (void)tx;
    return *(int *)arg;
}

static int
nested_call_job(struct store_tx *tx, void *arg)
{
    struct store *st = arg;
    int zero = 0;

    (void)tx;
    return store_call(st, ret_job, &zero) == SK_ESTATE ? 0 : SK_EIO;
}

struct caller {
    struct store *st;
    int base, ok;
};

static void *
caller_main(void *arg)
{
    struct caller *c = arg;
    struct cjob j;
    int i;

    for (i = 0; i < 20; i++) {
        memset(&j, 0, sizeof(j));
        j.n = c->base + i;
        if (store_call(c->st, cjob_fn, &j) == 0 && j.ran == 1)
            c->ok++;
    }
    return NULL;
}

static void
test_store_call(void **state)
{
    struct fx *fx = *state;
    struct store *st = open_ok(fx, NULL, 1);
    int v = 0;
    struct caller c[4];
    pthread_t thr[4];
    int i;

    assert_int_equal(store_call(st, ret_job, &v), 0);
    v = SK_ENOENT;
    assert_int_equal(store_call(st, ret_job, &v), SK_ENOENT);
    assert_int_equal(store_call(st, NULL, NULL), SK_EINVAL);
    assert_int_equal(store_call(st, nested_call_job, st), 0);
    /* Without a base there is no loop to deliver done callbacks. */
    assert_int_equal(store_submit(st, ret_job, NULL, &v), SK_EINVAL);
    /* Blocked callers do not count against the queue depth of 1. */
    for (i = 0; i < 4; i++) {
        c[i] = (struct caller){st, i * 100, 0};
        assert_int_equal(pthread_create(&thr[i], NULL, caller_main, &c[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(thr[i], NULL);
        assert_int_equal(c[i].ok, 20);
    }
    assert_int_equal(counts(st).inbound, 80);
    store_close(st);
}

struct contact_check {
    const char *key;
    int step;
};

static int
contact_job(struct store_tx *tx, void *arg)
{
    struct contact_check *cc = arg;
    struct store_contact c = {.session = "{\"s\":1}",
                              .channel = "kannel",
                              .opted_out = true,
                              .timeout_at = 111,
                              .expires_at = 222,
                              .last_seen = 333};
    struct store_contact got;

    CK_INT(store_contact_get(tx, cc->key, &got), SK_ENOENT);
    CK(got.session == NULL);
    CK_INT(store_contact_put(tx, cc->key, &c), 0);
    CK_INT(store_contact_get(tx, cc->key, &got), 0);
    CK_STR(got.session, "{\"s\":1}");
    CK_STR(got.channel, "kannel");
    CK(got.opted_out);
    CK_INT(got.timeout_at, 111);
    CK_INT(got.expires_at, 222);
    CK_INT(got.last_seen, 333);
    store_contact_clear(&got);
    CK(got.session == NULL);

    /* Update: NULLs stay NULL, first_seen stays. */
    c = (struct store_contact){.last_seen = 444};
    CK_INT(store_contact_put(tx, cc->key, &c), 0);
    CK_INT(store_contact_get(tx, cc->key, &got), 0);
    CK(got.session == NULL);
    CK(got.channel == NULL);
    CK(!got.opted_out);
    CK_INT(got.timeout_at, 0);
    CK_INT(got.last_seen, 444);
    store_contact_clear(&got);
    store_contact_clear(NULL);
    return 0;
}

static int
erase_job(struct store_tx *tx, void *arg)
{
    return store_contact_erase(tx, arg);
}

static int
erased_check_job(struct store_tx *tx, void *arg)
{
    struct store_contact got;
    unsigned char *blob = NULL;
    size_t len = 0;
    char *reply = NULL;

    (void)arg;
    CK_INT(store_contact_get(tx, KEY_A, &got), SK_ENOENT);
    CK_INT(store_vault_get(tx, KEY_A, &blob, &len, 0), SK_ENOENT);
    /* The dedupe row went too, with the provider's id. */
    CK_INT(store_inbound_get(tx, "demo", KEY_A, &reply), SK_ENOENT);
    CK(reply == NULL);
    CK_INT(store_contact_get(tx, KEY_B, &got), 0);
    store_contact_clear(&got);
    return 0;
}

/* Dedupe cannot cross contacts: a provider id that another contact used
 * is not that contact's replay, and each keeps its own reply. */
static int
dedupe_mine_job(struct store_tx *tx, void *arg)
{
    char *reply = NULL;

    (void)arg;
    CK_INT(store_inbound_put(tx, "demo", "m1", KEY_A, "for A", 1), 0);
    CK_INT(store_inbound_get_mine(tx, "demo", "m1", KEY_B, &reply), SK_ENOENT);
    CK(reply == NULL);
    CK_INT(store_inbound_put(tx, "demo", "m1", KEY_B, "for B", 2), 0);
    CK_INT(store_inbound_put(tx, "demo", "m1", KEY_A, "again", 3), SK_EEXIST);
    CK_INT(store_inbound_get_mine(tx, "demo", "m1", KEY_A, &reply), 0);
    CK_STR(reply, "for A");
    free(reply);
    CK_INT(store_inbound_get_mine(tx, "demo", "m1", KEY_B, &reply), 0);
    CK_STR(reply, "for B");
    free(reply);
    return 0;
}

static void
test_dedupe_per_contact(void **state)
{
    struct fx *fx = *state;
    struct store *st = open_ok(fx, NULL, 8);

    assert_int_equal(store_call(st, dedupe_mine_job, NULL), 0);
    store_close(st);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM inbound WHERE"
                                       " external_id = 'm1'"),
                     2);
}

static void
test_contact_round_trip_and_erase(void **state)
{
    struct fx *fx = *state;
    struct store *st = open_ok(fx, NULL, 8);
    struct contact_check cc = {KEY_A, 0};
    struct counts c;

    assert_int_equal(store_call(st, contact_job, &cc), 0);
    assert_int_equal(store_call(st, fill_job, KEY_A), 0);
    assert_int_equal(store_call(st, fill_job, KEY_B), 0);
    store_close(st);
    assert_int_equal(
        raw_int(fx->path,
                "SELECT first_seen FROM contacts WHERE key = '" KEY_A "'"),
        333);
    st = open_ok(fx, NULL, 8);
    assert_int_equal(store_call(st, erase_job, KEY_A), 0);
    assert_int_equal(store_call(st, erased_check_job, NULL), 0);
    c = counts(st);
    assert_int_equal(c.contacts, 1);
    assert_int_equal(c.results, 1);
    assert_int_equal(c.outbox, 1);
    assert_int_equal(c.vault, 1);
    assert_int_equal(c.inbound, 1);
    assert_int_equal(store_call(st, erase_job, ""), SK_EINVAL);
    store_close(st);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM inbound WHERE "
                                       "contact_key = '" KEY_A "'"),
                     0);
}

/* --- erasure leaves no byte; retention ---------------------------------- */

/* Whether the file at path holds needle (a missing file holds nothing). */
static bool
file_holds(const char *path, const char *needle)
{
    FILE *fp = fopen(path, "rb");
    size_t n = strlen(needle), len = 0, cap = 0, got;
    char *buf = NULL, *p;
    bool found = false;

    if (fp == NULL)
        return false;
    for (;;) {
        if (len + 65536 > cap) {
            cap = (len + 65536) * 2;
            p = realloc(buf, cap);
            assert_non_null(p);
            buf = p;
        }
        got = fread(buf + len, 1, cap - len, fp);
        if (got == 0)
            break;
        len += got;
    }
    fclose(fp);
    for (size_t i = 0; n > 0 && i + n <= len && !found; i++)
        found = memcmp(buf + i, needle, n) == 0;
    free(buf);
    return found;
}

/* Whether the database, its WAL or its shared memory holds needle. */
static bool
store_files_hold(const struct fx *fx, const char *needle)
{
    char p[320];

    if (file_holds(fx->path, needle))
        return true;
    snprintf(p, sizeof(p), "%s-wal", fx->path);
    if (file_holds(p, needle))
        return true;
    snprintf(p, sizeof(p), "%s-shm", fx->path);
    return file_holds(p, needle);
}

struct seeded {
    const char *key;
    const char *seed; /* put in every answer, session and message */
    int rounds;
    int calls; /* jobs run so far, for unique message ids */
};

/* A child answering rounds times: each round rewrites the session (a new
 * page image in the WAL every time) and adds an answer and a message. */
static int
seeded_job(struct store_tx *tx, void *arg)
{
    struct seeded *sd = arg;
    char session[600], id[96], input[96];
    struct store_contact c = {.channel = "demo", .last_seen = 1000};
    int rc, i;

    for (i = 0; i < sd->rounds; i++) {
        snprintf(session, sizeof(session),
                 "{\"runs\":[{\"input\":\"%s-%d\"}],\"pad\":\"%0400d\"}",
                 sd->seed, i, i);
        snprintf(id, sizeof(id), "SM%s%d-%d", sd->seed, sd->calls, i);
        snprintf(input, sizeof(input), "%s answer %d", sd->seed, i);
        c.session = session;
        if ((rc = store_contact_put(tx, sd->key, &c)) != 0 ||
            (rc = store_inbound_put(tx, "demo", id, sd->key, "[]", 1000)) !=
                0 ||
            (rc = store_result_put(tx, sd->key, "f-uuid", "Wellbeing Check",
                                   "Feel Safe", input, "Other", input, 1000)) !=
                0 ||
            (rc = store_outbox_put(tx, "demo", sd->key, input, 1000, NULL)) !=
                0 ||
            (rc = store_vault_put(tx, sd->key, (const unsigned char *)input,
                                  strlen(input), INT64_MAX)) != 0)
            return rc;
    }
    sd->calls++;
    return 0;
}

static void
test_erase_leaves_no_byte(void **state)
{
    struct fx *fx = *state;
    struct store *st = open_ok(fx, NULL, 8);
    struct seeded a = {KEY_A, "zq7seedA", 20, 0}, b = {KEY_B, "zq7seedB", 3, 0};
    int i;

    /* new stores give freed pages back */
    assert_int_equal(raw_int(fx->path, "PRAGMA auto_vacuum"), 2);
    for (i = 0; i < 3; i++) /* in separate commits: more page images */
        assert_int_equal(store_call(st, seeded_job, &a), 0);
    assert_int_equal(store_call(st, seeded_job, &b), 0);
    assert_true(store_files_hold(fx, "zq7seedA"));
    assert_true(store_files_hold(fx, KEY_A));
    assert_int_equal(store_call(st, erase_job, KEY_A), 0);
    /* gone from the file, the WAL and the shm while the store is open */
    assert_false(store_files_hold(fx, "zq7seedA"));
    assert_false(store_files_hold(fx, "SMzq7seedA"));
    assert_false(store_files_hold(fx, KEY_A));
    assert_false(store_scrub_pending(st, NULL));
    /* the other child's data is still there */
    assert_true(store_files_hold(fx, "zq7seedB answer 2"));
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM results WHERE "
                                       "contact_key = '" KEY_B "'"),
                     3);
    store_close(st);
}

/* A reader on an older snapshot keeps the WAL from being truncated: the
 * scrub waits, says so, and finishes once the reader lets go. */
static void
test_erase_waits_for_reader(void **state)
{
    struct fx *fx = *state;
    struct store *st = open_ok(fx, NULL, 8);
    struct seeded a = {KEY_A, "zq8seedA", 5, 0};
    sqlite3 *reader = NULL;
    int64_t deadline;
    uint64_t retries = 0;

    assert_int_equal(store_call(st, seeded_job, &a), 0);
    assert_int_equal(sqlite3_open(fx->path, &reader), SQLITE_OK);
    assert_int_equal(sqlite3_exec(reader,
                                  "BEGIN; SELECT count(*) FROM results;", NULL,
                                  NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(store_call(st, erase_job, KEY_A), 0);
    assert_true(store_scrub_pending(st, &retries));
    assert_true(retries >= 1);
    assert_int_equal(sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(reader);
    deadline = now_ms() + 20000;
    while (store_scrub_pending(st, NULL) && now_ms() < deadline)
        usleep(50000);
    assert_false(store_scrub_pending(st, NULL));
    assert_false(store_files_hold(fx, "zq8seedA"));
    assert_false(store_files_hold(fx, KEY_A));
    store_close(st);
}

/* A store made before incremental vacuum gets it at the next open. */
static void
test_old_store_gets_incremental_vacuum(void **state)
{
    struct fx *fx = *state;
    struct store *st = open_ok(fx, NULL, 8);

    store_close(st);
    raw_exec(fx->path, "PRAGMA auto_vacuum = NONE; VACUUM;");
    assert_int_equal(raw_int(fx->path, "PRAGMA auto_vacuum"), 0);
    st = open_ok(fx, NULL, 8);
    assert_int_equal(raw_int(fx->path, "PRAGMA auto_vacuum"), 2);
    store_close(st);
}

/* Rows of every kind, made at time t (the vault entry expiring at exp). */
struct aged {
    const char *key;
    int64_t t, exp;
};

static int
aged_job(struct store_tx *tx, void *arg)
{
    const struct aged *ag = arg;
    struct store_contact c = {.channel = "demo", .last_seen = ag->t};
    char id[80];
    int rc;

    snprintf(id, sizeof(id), "id-%s-%lld", ag->key, (long long)ag->t);
    if ((rc = store_inbound_put(tx, "demo", id, ag->key, "[]", ag->t)) != 0 ||
        (rc = store_contact_put(tx, ag->key, &c)) != 0 ||
        (rc = store_result_put(tx, ag->key, "f", "F", "n", "v", "c", "agedseed",
                               ag->t)) != 0 ||
        (rc = store_outbox_put(tx, "demo", ag->key, "agedseed", ag->t, NULL)) !=
            0 ||
        (rc = store_vault_put(tx, ag->key, (const unsigned char *)"x", 1,
                              ag->exp)) != 0)
        return rc;
    return 0;
}

struct purge_args {
    int64_t before, vault_before, now;
    struct store_purge_counts n;
};

static int
purge_job(struct store_tx *tx, void *arg)
{
    struct purge_args *pa = arg;

    return store_purge(tx, pa->before, pa->vault_before, pa->now, &pa->n);
}

static void
test_purge(void **state)
{
    struct fx *fx = *state;
    struct store *st = open_ok(fx, NULL, 8);
    struct aged old = {KEY_A, 1000, 1500}, recent = {KEY_B, 9000, INT64_MAX};
    struct purge_args pa = {.before = 5000, .vault_before = 0, .now = 2000};

    assert_int_equal(store_call(st, aged_job, &old), 0);
    assert_int_equal(store_call(st, aged_job, &recent), 0);
    assert_int_equal(store_call(st, purge_job, &pa), 0);
    assert_int_equal(pa.n.results, 1);
    assert_int_equal(pa.n.inbound, 1);
    assert_int_equal(pa.n.contacts, 1);
    assert_int_equal(pa.n.outbox, 1);
    assert_int_equal(pa.n.vault, 1); /* expired at 1500 <= now */
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM results WHERE "
                                       "contact_key = '" KEY_A "'"),
                     0);
    assert_int_equal(raw_int(fx->path,
                             "SELECT (SELECT count(*) FROM results) + (SELECT "
                             "count(*) FROM inbound) + (SELECT count(*) FROM "
                             "contacts) + (SELECT count(*) FROM outbox) + "
                             "(SELECT count(*) FROM vault)"),
                     5);
    assert_false(store_files_hold(fx, KEY_A));
    /* a second run finds nothing; a row being sent stays */
    assert_int_equal(store_call(st, purge_job, &pa), 0);
    assert_int_equal(pa.n.results + pa.n.inbound + pa.n.contacts + pa.n.outbox +
                         pa.n.vault,
                     0);
    store_close(st);
    raw_exec(fx->path, "UPDATE outbox SET status = 'sending'");
    st = open_ok(fx, NULL, 8);
    pa.before = 10000;
    pa.now = 10000;
    pa.vault_before = INT64_MAX; /* every entry is too old now */
    assert_int_equal(store_call(st, purge_job, &pa), 0);
    assert_int_equal(pa.n.results, 1);
    assert_int_equal(pa.n.outbox, 0);
    assert_int_equal(pa.n.vault, 1);
    store_close(st);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM outbox"), 1);
}

static int
vault_job(struct store_tx *tx, void *arg)
{
    static const unsigned char sealed[] = "\x01\x00sealed\xfe";
    unsigned char *blob = NULL;
    size_t len = 0;

    (void)arg;
    CK_INT(store_vault_put(tx, KEY_A, sealed, sizeof(sealed), 1000), 0);
    CK_INT(store_vault_get(tx, KEY_A, &blob, &len, 999), 0);
    CK_INT(len, sizeof(sealed));
    CK(memcmp(blob, sealed, len) == 0);
    free(blob);
    blob = (unsigned char *)"x";
    CK_INT(store_vault_get(tx, KEY_A, &blob, &len, 1000), SK_ENOENT);
    CK(blob == NULL);
    CK_INT(store_vault_get(tx, KEY_B, &blob, &len, 0), SK_ENOENT);
    /* A renewed address replaces the old one and lives on. */
    CK_INT(store_vault_put(tx, KEY_A, sealed, 3, 5000), 0);
    CK_INT(store_vault_get(tx, KEY_A, &blob, &len, 1000), 0);
    CK_INT(len, 3);
    free(blob);
    /* An empty blob is still a blob. */
    CK_INT(store_vault_put(tx, KEY_B, NULL, 0, 5000), 0);
    CK_INT(store_vault_get(tx, KEY_B, &blob, &len, 1000), 0);
    CK_INT(len, 0);
    free(blob);
    CK_INT(store_vault_put(tx, KEY_B, NULL, 3, 5000), SK_EINVAL);
    return 0;
}

/* Expired entries are deleted, at most limit at a time; others stay. */
static int
vault_purge_job(struct store_tx *tx, void *arg)
{
    static const char *const keys[] = {"p1", "p2", "p3", "p4"};
    static const int64_t expires[] = {100, 200, 300, 5000};
    int64_t n = 0;
    size_t i;

    (void)arg;
    for (i = 0; i < 4; i++)
        CK_INT(store_vault_put(tx, keys[i], (const unsigned char *)"b", 1,
                               expires[i]),
               0);
    CK_INT(store_vault_purge(tx, 50, 10), 0);
    CK_INT(store_vault_purge(tx, 300, 2), 2);
    CK_INT(store_vault_purge(tx, 300, 10), 1);
    CK_INT(store_vault_purge(tx, 300, 10), 0);
    CK_INT(store_vault_purge(tx, 300, -1), SK_EINVAL);
    CK_INT(store_count(tx, "vault", &n), 0);
    CK_INT(n, 1);
    return 0;
}

static void
test_vault_purge(void **state)
{
    struct fx *fx = *state;
    struct store *st = open_ok(fx, NULL, 8);

    assert_int_equal(store_call(st, vault_purge_job, NULL), 0);
    assert_int_equal(counts(st).vault, 1);
    store_close(st);
}

static void
test_vault_expiry(void **state)
{
    struct fx *fx = *state;
    struct store *st = open_ok(fx, NULL, 8);

    assert_int_equal(store_call(st, vault_job, NULL), 0);
    assert_int_equal(counts(st).vault, 2);
    store_close(st);
}

struct due {
    struct store_tx *tx;
    char seen[8][80];
    int n, bad;
};

static void
due_cb(void *arg, const char *key)
{
    struct due *d = arg;
    struct store_contact c;

    if (d->n >= 8) {
        d->bad++;
        return;
    }
    snprintf(d->seen[d->n++], sizeof(d->seen[0]), "%s", key);
    /* Writing from inside the callback is allowed. */
    if (store_contact_get(d->tx, key, &c) != 0) {
        d->bad++;
        return;
    }
    c.timeout_at = 0;
    c.expires_at = 0;
    if (store_contact_put(d->tx, key, &c) != 0)
        d->bad++;
    store_contact_clear(&c);
}

static void
noop_due(void *arg, const char *key)
{
    (void)arg;
    (void)key;
}

static int
due_job(struct store_tx *tx, void *arg)
{
    static const struct {
        const char *key;
        int64_t timeout_at, expires_at;
    } rows[] = {{"k1", 100, 0}, {"k2", 0, 200},   {"k3", 0, 0},
                {"k4", 500, 0}, {"k5", 900, 250}, {"k6", 300, 400}};
    struct due *d = arg;
    size_t i;

    d->tx = tx;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct store_contact c = {.timeout_at = rows[i].timeout_at,
                                  .expires_at = rows[i].expires_at,
                                  .last_seen = 1};

        CK_INT(store_contact_put(tx, rows[i].key, &c), 0);
    }
    CK_INT(store_due(tx, 50, 10, noop_due, NULL), 0);
    CK_INT(store_due(tx, 250, 2, noop_due, NULL), 2);
    CK_INT(store_due(tx, 250, 0, noop_due, NULL), 0);
    CK_INT(store_due(tx, 250, 10, NULL, NULL), SK_EINVAL);
    CK_INT(store_due(tx, 250, 10, due_cb, d), 3);
    CK_INT(d->bad, 0);
    /* Handled ones are no longer due. */
    CK_INT(store_due(tx, 250, 10, noop_due, NULL), 0);
    CK_INT(store_due(tx, 10000, 10, noop_due, NULL), 2);
    return 0;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void
test_due(void **state)
{
    struct fx *fx = *state;
    struct store *st = open_ok(fx, NULL, 8);
    struct due d;

    memset(&d, 0, sizeof(d));
    assert_int_equal(store_call(st, due_job, &d), 0);
    assert_int_equal(d.n, 3);
    qsort(d.seen, (size_t)d.n, sizeof(d.seen[0]), cmp_str);
    assert_string_equal(d.seen[0], "k1");
    assert_string_equal(d.seen[1], "k2");
    assert_string_equal(d.seen[2], "k5");
    store_close(st);
}

struct closer {
    struct store *st;
};

static void *
closer_main(void *arg)
{
    struct closer *c = arg;

    store_close(c->st);
    return NULL;
}

#define QUEUED 50
/* Submissions while the closer thread starts: it may not run at once on a
 * busy machine (one each 100 us or more: several seconds' worth). */
#define EXTRA 50000

static void
test_close_runs_queued(void **state)
{
    struct fx *fx = *state;
    struct store *st = open_ok(fx, fx->base, 100000);
    struct gate g;
    struct cjob *j = calloc(QUEUED + EXTRA, sizeof(*j));
    struct closer c = {st};
    pthread_t thr;
    int n = 0, i, rc;

    assert_non_null(j);
    gate_init(&g);
    assert_int_equal(store_submit(st, gate_job, gate_done, &g), 0);
    gate_wait_entered(&g);
    for (n = 0; n < QUEUED; n++) {
        j[n].n = n;
        assert_int_equal(store_submit(st, cjob_fn, cjob_done, &j[n]), 0);
    }
    /* Close from another thread while the writer is held: intake stops
     * (EBUSY) but everything accepted still runs. The loop is not run:
     * the dones come from store_close itself. */
    assert_int_equal(pthread_create(&thr, NULL, closer_main, &c), 0);
    for (;;) {
        assert_true(n < QUEUED + EXTRA);
        j[n].n = n;
        rc = store_submit(st, cjob_fn, cjob_done, &j[n]);
        if (rc == SK_EBUSY)
            break;
        assert_int_equal(rc, 0);
        n++;
        usleep(100);
    }
    gate_open(&g);
    pthread_join(thr, NULL);
    gate_destroy(&g);
    assert_int_equal(g.dones, 1);
    assert_int_equal(g.done_rc, 0);
    for (i = 0; i < n; i++) {
        assert_int_equal(j[i].ran, 1);
        assert_int_equal(j[i].dones, 1);
        assert_int_equal(j[i].done_rc, 0);
        assert_true(pthread_equal(j[i].thr, thr));
    }
    assert_int_equal(j[n].ran, 0);
    assert_int_equal(j[n].dones, 0);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM inbound"), n);
    free(j);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_migration_leaves_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_pragmas_and_open_errors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_second_writer_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_inbound_dedupe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failing_job_rolls_back_alone,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_failure_fails_group, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lost_transaction_mid_group, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_submit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_queue_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_contact_round_trip_and_erase,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase_leaves_no_byte, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_erase_waits_for_reader, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_old_store_gets_incremental_vacuum,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vault_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vault_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_due, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dedupe_per_contact, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_and_shared_open, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_close_runs_queued, setup,
                                        teardown),
    };

    evthread_use_pthreads();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
