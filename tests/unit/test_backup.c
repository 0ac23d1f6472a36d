/*
 * test_backup.c - the backup file (backup.h) and the store's part of a
 * backup and a restore (store_backup.c): a round trip; a wrong
 * passphrase, a changed byte, a cut file, chunks moved or dropped, bytes
 * appended, each refused with a clear error and no file left behind; the
 * passphrase file's checks; the online copy and its checks (integrity,
 * a schema newer than the build); the erasure log, which names no key,
 * replayed on a copy taken before the erasure.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <event2/thread.h>
#include <sqlite3.h>

#include "backup.h"
#include "store.h"
#include "tmpdir.h"

#define PASS    "correct horse battery staple"
#define DB_LEN  (3 * BACKUP_CHUNK + 1234) /* three full chunks, a short last */
#define KEY_A   "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define KEY_B   "b1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define CHUNK_N (4 + BACKUP_CHUNK + 16) /* one full chunk on disk */

/* Cheap for tests; the file names its own cost. */
static const struct backup_kdf kdf = {1, 64, 1};

struct fx {
    char dir[256];
    char db[300], key[300], bak[300], out[300];
};

static void
write_file(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
}

/* The file at path into a malloc'd buffer, its size in *n. */
static unsigned char *
read_file(const char *path, size_t *n)
{
    struct stat sb;
    unsigned char *p;
    int fd = open(path, O_RDONLY);

    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &sb), 0);
    p = malloc((size_t)sb.st_size + 1);
    assert_non_null(p);
    assert_int_equal(read(fd, p, (size_t)sb.st_size), sb.st_size);
    close(fd);
    *n = (size_t)sb.st_size;
    return p;
}

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    unsigned char *data = malloc(DB_LEN);
    size_t i;

    if (fx == NULL || data == NULL)
        return -1;
    tmpdir_make(fx->dir, sizeof(fx->dir), "sk_backup");
    snprintf(fx->db, sizeof(fx->db), "%s/in.db", fx->dir);
    snprintf(fx->key, sizeof(fx->key), "%s/in.key", fx->dir);
    snprintf(fx->bak, sizeof(fx->bak), "%s/b.bak", fx->dir);
    snprintf(fx->out, sizeof(fx->out), "%s/out", fx->dir);
    for (i = 0; i < DB_LEN; i++)
        data[i] = (unsigned char)(i * 7 + i / 251);
    write_file(fx->db, data, DB_LEN);
    write_file(fx->key, KEY_A "\n", 65);
    free(data);
    if (mkdir(fx->out, 0700) != 0)
        return -1;
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;

    tmpdir_remove(fx->dir);
    free(fx);
    return 0;
}

static void
pack(struct fx *fx, const char *pass)
{
    struct backup_info info = {.created_ms = 1700000000123, .schema = 8};
    char err[SK_ERR_LEN] = "";
    struct backup_out *o;
    int fd = open(fx->bak, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(fd >= 0);
    o = backup_out_new(fd, pass, strlen(pass), &kdf, &info, err);
    if (o == NULL)
        fail_msg("backup_out_new: %s", err);
    assert_int_equal(backup_out_file(o, BACKUP_ENTRY_DB, fx->db, err), 0);
    assert_int_equal(backup_out_file(o, BACKUP_ENTRY_KEY, fx->key, err), 0);
    assert_int_equal(backup_out_finish(o, err), 0);
    backup_out_free(o);
    close(fd);
    assert_string_equal(err, "");
}

/* Unpacks fx->bak into fx->out; the rc, the message in err. */
static int
unpack(struct fx *fx, const char *pass, struct backup_info *info,
       char err[SK_ERR_LEN])
{
    int fd = open(fx->bak, O_RDONLY), rc;

    assert_true(fd >= 0);
    err[0] = '\0';
    rc = backup_unpack(fd, pass, strlen(pass), fx->out, info, err);
    close(fd);
    return rc;
}

/* How many files fx->out holds. */
static int
files_in_out(struct fx *fx)
{
    char path[400];
    int n = 0;

    snprintf(path, sizeof(path), "%s/%s", fx->out, BACKUP_DB_NAME);
    n += access(path, F_OK) == 0;
    snprintf(path, sizeof(path), "%s/%s", fx->out, BACKUP_KEY_NAME);
    n += access(path, F_OK) == 0;
    return n;
}

/* Unpacking must fail with SK_EINVAL, err holding want, nothing left. */
static void
refused(struct fx *fx, const char *pass, const char *want)
{
    struct backup_info info;
    char err[SK_ERR_LEN];

    assert_int_equal(unpack(fx, pass, &info, err), SK_EINVAL);
    if (strstr(err, want) == NULL)
        fail_msg("expected \"%s\" in: %s", want, err);
    assert_int_equal(files_in_out(fx), 0);
}

static void
test_round_trip(void **state)
{
    struct fx *fx = *state;
    struct backup_info info;
    char err[SK_ERR_LEN], path[400];
    unsigned char *a, *b;
    size_t na, nb;

    pack(fx, PASS);
    assert_int_equal(unpack(fx, PASS, &info, err), 0);
    assert_string_equal(err, "");
    assert_int_equal(info.created_ms, 1700000000123);
    assert_int_equal(info.schema, 8);
    assert_int_equal(info.db_bytes, DB_LEN);
    assert_true(info.has_key);
    snprintf(path, sizeof(path), "%s/%s", fx->out, BACKUP_DB_NAME);
    a = read_file(fx->db, &na);
    b = read_file(path, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
    snprintf(path, sizeof(path), "%s/%s", fx->out, BACKUP_KEY_NAME);
    b = read_file(path, &nb);
    assert_int_equal(nb, 65);
    assert_memory_equal(b, KEY_A, 64);
    free(b);
    /* nothing of the key or the data is in the file in clear */
    a = read_file(fx->bak, &na);
    for (nb = 0; nb + 16 <= na; nb++)
        assert_false(memcmp(a + nb, KEY_A, 16) == 0);
    free(a);
}

static void
test_wrong_passphrase(void **state)
{
    struct fx *fx = *state;

    pack(fx, PASS);
    refused(fx, "correct horse battery stapler", "wrong passphrase");
}

/* Flips one byte at off. */
static void
flip(struct fx *fx, size_t off)
{
    size_t n;
    unsigned char *p = read_file(fx->bak, &n);

    assert_true(off < n);
    p[off] ^= 0x20;
    write_file(fx->bak, p, n);
    free(p);
}

static void
test_tamper(void **state)
{
    struct fx *fx = *state;

    pack(fx, PASS);
    flip(fx, BACKUP_HEADER_LEN + 2 * CHUNK_N + 100); /* in chunk 2 */
    refused(fx, PASS, "chunk 2 is damaged or out of order");
    pack(fx, PASS);
    flip(fx, BACKUP_HEADER_LEN + CHUNK_N - 1); /* chunk 0's tag */
    refused(fx, PASS, "does not decrypt");
    pack(fx, PASS);
    flip(fx, 45); /* the time in the header: every chunk's AAD */
    refused(fx, PASS, "does not decrypt");
    pack(fx, PASS);
    flip(fx, 0); /* the magic */
    refused(fx, PASS, "not a sikiliza backup");
    pack(fx, PASS);
    flip(fx, BACKUP_HEADER_LEN + CHUNK_N + 1); /* chunk 1's length */
    refused(fx, PASS, "chunk 1 is damaged");
}

static void
cut(struct fx *fx, size_t len)
{
    assert_int_equal(truncate(fx->bak, (off_t)len), 0);
}

static void
test_truncate(void **state)
{
    struct fx *fx = *state;
    size_t n;

    pack(fx, PASS);
    free(read_file(fx->bak, &n));
    cut(fx, n - 1); /* the last tag's last byte */
    refused(fx, PASS, "cut short in chunk 3");
    pack(fx, PASS);
    cut(fx, BACKUP_HEADER_LEN + 3 * CHUNK_N); /* the final chunk dropped */
    refused(fx, PASS, "chunk 3 is missing");
    pack(fx, PASS);
    cut(fx, BACKUP_HEADER_LEN + CHUNK_N + 500);
    refused(fx, PASS, "cut short in chunk 1");
    pack(fx, PASS);
    cut(fx, 20);
    refused(fx, PASS, "not a sikiliza backup");
}

static void
test_reorder_and_append(void **state)
{
    struct fx *fx = *state;
    unsigned char *p, *tmp = malloc(CHUNK_N);
    size_t n;

    assert_non_null(tmp);
    pack(fx, PASS);
    p = read_file(fx->bak, &n);
    /* swap chunks 1 and 2 */
    memcpy(tmp, p + BACKUP_HEADER_LEN + CHUNK_N, CHUNK_N);
    memcpy(p + BACKUP_HEADER_LEN + CHUNK_N, p + BACKUP_HEADER_LEN + 2 * CHUNK_N,
           CHUNK_N);
    memcpy(p + BACKUP_HEADER_LEN + 2 * CHUNK_N, tmp, CHUNK_N);
    write_file(fx->bak, p, n);
    refused(fx, PASS, "chunk 1 is damaged or out of order");
    /* chunk 1 repeated in place of chunk 2 */
    pack(fx, PASS);
    free(p);
    p = read_file(fx->bak, &n);
    memcpy(p + BACKUP_HEADER_LEN + 2 * CHUNK_N, p + BACKUP_HEADER_LEN + CHUNK_N,
           CHUNK_N);
    write_file(fx->bak, p, n);
    refused(fx, PASS, "chunk 2 is damaged or out of order");
    /* a byte after the last chunk */
    pack(fx, PASS);
    free(p);
    p = read_file(fx->bak, &n);
    p[n] = 0;
    write_file(fx->bak, p, n + 1);
    refused(fx, PASS, "bytes after its last chunk");
    free(p);
    free(tmp);
}

static void
test_passphrase_file(void **state)
{
    struct fx *fx = *state;
    char path[400], pass[BACKUP_PASS_MAX], err[SK_ERR_LEN];
    size_t len = 0;

    snprintf(path, sizeof(path), "%s/pass", fx->dir);
    write_file(path, PASS "\n", strlen(PASS) + 1);
    err[0] = '\0';
    assert_int_equal(backup_passphrase_read(path, pass, &len, err), 0);
    assert_int_equal(len, strlen(PASS));
    assert_memory_equal(pass, PASS, len);
    chmod(path, 0644);
    assert_int_equal(backup_passphrase_read(path, pass, &len, err), SK_EINVAL);
    assert_non_null(strstr(err, "open to group or others"));
    unlink(path);
    write_file(path, "short\n", 6);
    err[0] = '\0';
    assert_int_equal(backup_passphrase_read(path, pass, &len, err), SK_EINVAL);
    assert_non_null(strstr(err, "must be 12 to"));
    write_file(path, PASS "\nsecond line\n", strlen(PASS) + 13);
    err[0] = '\0';
    assert_int_equal(backup_passphrase_read(path, pass, &len, err), SK_EINVAL);
    assert_non_null(strstr(err, "one line"));
}

/* --- the store's part ---------------------------------------------------- */

static int
results_job(struct store_tx *tx, void *arg)
{
    (void)arg;
    if (store_result_put(tx, KEY_A, "f-uuid", "Flow", "q1", "yes", "Yes", "yes",
                         1000) != 0 ||
        store_result_put(tx, KEY_B, "f-uuid", "Flow", "q1", "no", "No", "no",
                         1000) != 0)
        return SK_EIO;
    return 0;
}

static int
erase_job(struct store_tx *tx, void *arg)
{
    return store_contact_erase(tx, arg);
}

struct replay_job {
    const struct store_erasures *e;
    int64_t erased, results;
};

static int
replay_job(struct store_tx *tx, void *arg)
{
    struct replay_job *j = arg;
    int rc = store_erasures_replay(tx, j->e, &j->erased);

    return rc != 0 ? rc : store_count(tx, "results", &j->results);
}

/* count(*) of sql on the database at path. */
static int64_t
raw_count(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int64_t n = -1;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

static void
raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void
test_copy_and_replay(void **state)
{
    struct fx *fx = *state;
    char live[400], copy[400], err[SK_ERR_LEN] = "", hash[STORE_KEY_MAX];
    struct store_erasures e;
    struct replay_job rj = {0};
    struct store *st, *cp;
    int schema = 0;
    char sql[200];

    snprintf(live, sizeof(live), "%s/live.db", fx->dir);
    snprintf(copy, sizeof(copy), "%s/copy.db", fx->dir);
    st = store_open(live, NULL, 4, err);
    if (st == NULL)
        fail_msg("store_open: %s", err);
    assert_int_equal(store_call(st, results_job, NULL), 0);
    /* the copy, beside the open writer, as `serve` would hold it */
    assert_int_equal(store_backup_copy(live, copy, &schema, err), 0);
    assert_int_equal(schema, store_schema_latest());
    assert_int_equal(raw_count(copy, "SELECT count(*) FROM results"), 2);
    /* the copy refuses an existing file */
    assert_int_not_equal(store_backup_copy(live, copy, &schema, err), 0);
    err[0] = '\0';
    /* erased after the copy: the log names the key's hash, not the key */
    assert_int_equal(store_call(st, erase_job, KEY_A), 0);
    store_close(st);
    store_erasure_hash(KEY_A, hash);
    assert_int_equal(strlen(hash), 64);
    assert_string_not_equal(hash, KEY_A);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM erasure_log WHERE key_hash = '%s'", hash);
    assert_int_equal(raw_count(live, sql), 1);
    assert_int_equal(raw_count(live, "SELECT count(*) FROM erasure_log WHERE "
                                     "key_hash LIKE '%" KEY_A "%'"),
                     0);
    assert_int_equal(store_erasures_since(live, 0, &e, err), 0);
    assert_int_equal(e.n, 1);
    store_erasures_clear(&e);
    /* nothing logged after a time in the future */
    assert_int_equal(store_erasures_since(live, INT64_MAX, &e, err), 0);
    assert_int_equal(e.n, 0);
    store_erasures_clear(&e);
    /* the replay on the copy: the erased child's answer goes, B's stays */
    assert_int_equal(store_erasures_since(live, 0, &e, err), 0);
    cp = store_open(copy, NULL, 4, err);
    if (cp == NULL)
        fail_msg("store_open copy: %s", err);
    rj.e = &e;
    assert_int_equal(store_call(cp, replay_job, &rj), 0);
    store_close(cp);
    store_erasures_clear(&e);
    assert_int_equal(rj.erased, 1);
    assert_int_equal(rj.results, 1);
    assert_int_equal(raw_count(copy, "SELECT count(*) FROM results WHERE "
                                     "contact_key = '" KEY_B "'"),
                     1);
    assert_int_equal(store_backup_check(copy, &schema, err), 0);
    assert_string_equal(err, "");
}

static int
purge_job(struct store_tx *tx, void *arg)
{
    struct store_purge_counts n;

    (void)arg;
    return store_purge(tx, 2000, 2000, 3000, &n);
}

/* A retention purge after the copy reaches the copy at restore too. */
static void
test_purge_replay(void **state)
{
    struct fx *fx = *state;
    char live[400], copy[400], err[SK_ERR_LEN] = "";
    struct store_erasures e;
    struct replay_job rj = {0};
    struct store *st, *cp;
    int schema = 0;

    snprintf(live, sizeof(live), "%s/live.db", fx->dir);
    snprintf(copy, sizeof(copy), "%s/copy.db", fx->dir);
    st = store_open(live, NULL, 4, err);
    if (st == NULL)
        fail_msg("store_open: %s", err);
    assert_int_equal(store_call(st, results_job, NULL), 0); /* at 1000 */
    assert_int_equal(store_backup_copy(live, copy, &schema, err), 0);
    assert_int_equal(store_call(st, purge_job, NULL), 0);
    store_close(st);
    assert_int_equal(raw_count(live, "SELECT count(*) FROM results"), 0);
    assert_int_equal(store_erasures_since(live, 0, &e, err), 0);
    assert_int_equal(e.n, 0);
    assert_int_equal(e.before_ms, 2000);
    assert_int_equal(e.purge_at_ms, 3000);
    cp = store_open(copy, NULL, 4, err);
    if (cp == NULL)
        fail_msg("store_open copy: %s", err);
    rj.e = &e;
    assert_int_equal(store_call(cp, replay_job, &rj), 0);
    store_close(cp);
    store_erasures_clear(&e);
    assert_int_equal(rj.erased, 0);
    assert_int_equal(rj.results, 0);
}

static void
test_check_refuses(void **state)
{
    struct fx *fx = *state;
    char path[400], err[SK_ERR_LEN] = "";
    struct store_erasures e;
    int schema = 0;
    unsigned char junk[8192];

    snprintf(path, sizeof(path), "%s/new.db", fx->dir);
    raw_exec(path, "CREATE TABLE t (x); PRAGMA user_version = 999;");
    assert_int_equal(store_backup_check(path, &schema, err), SK_EINVAL);
    assert_non_null(strstr(err, "newer than this build"));
    /* a store from before the erasure log has none to replay */
    err[0] = '\0';
    assert_int_equal(store_erasures_since(path, 0, &e, err), 0);
    assert_int_equal(e.n, 0);
    store_erasures_clear(&e);
    /* a damaged file */
    snprintf(path, sizeof(path), "%s/bad.db", fx->dir);
    raw_exec(path, "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
    memset(junk, 0x5a, sizeof(junk));
    {
        int fd = open(path, O_WRONLY);
        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, junk, sizeof(junk), 4096), 4096 * 2);
        close(fd);
    }
    err[0] = '\0';
    assert_int_not_equal(store_backup_check(path, &schema, err), 0);
    assert_string_not_equal(err, "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_passphrase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reorder_and_append, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_passphrase_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_and_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purge_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_refuses, setup, teardown),
    };

    evthread_use_pthreads();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
