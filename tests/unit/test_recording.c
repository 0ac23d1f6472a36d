/*
 * test_recording.c - recordings sealed at rest in a real store: a round
 * trip through the database, a tampered blob (in the database and in
 * memory) and a row changed around its blob refused, another key refused,
 * the contact's erasure and the retention purge removing them, and no
 * audio in clear in the database file.
 */
#define _GNU_SOURCE /* memmem */
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <sqlite3.h>

#include "audio.h"
#include "privacy.h"
#include "recording.h"
#include "store.h"
#include "store_int.h"

#define NSAMP 8000
#define KEY_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define KEY_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

struct fx {
    char dir[256];
    char db[300];
    char key[300], key2[300];
    struct store *st;
    struct privacy *p, *p2;
    struct audio_pcm pcm;
};

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");
    char err[SK_ERR_LEN] = "";
    size_t i;

    assert_non_null(fx);
    snprintf(fx->dir, sizeof(fx->dir), "%s/sk_rec_XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->db, sizeof(fx->db), "%s/s.db", fx->dir);
    snprintf(fx->key, sizeof(fx->key), "%s/secret.key", fx->dir);
    snprintf(fx->key2, sizeof(fx->key2), "%s/other.key", fx->dir);
    assert_int_equal(privacy_keygen(fx->key, err), 0);
    assert_int_equal(privacy_keygen(fx->key2, err), 0);
    fx->p = privacy_open(fx->key, err);
    fx->p2 = privacy_open(fx->key2, err);
    assert_non_null(fx->p);
    assert_non_null(fx->p2);
    fx->st = store_open(fx->db, NULL, 16, err);
    assert_non_null(fx->st);
    /* one second of a recognisable pattern, at 8 kHz */
    fx->pcm.samples = malloc(NSAMP * sizeof(int16_t));
    assert_non_null(fx->pcm.samples);
    for (i = 0; i < NSAMP; i++)
        fx->pcm.samples[i] = (int16_t)((i * 7919) % 65536 - 32768);
    fx->pcm.nsamples = NSAMP;
    fx->pcm.rate = 8000;
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;

    store_close(fx->st);
    privacy_close(fx->p);
    privacy_close(fx->p2);
    audio_pcm_free(&fx->pcm);
    nftw(fx->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

/* --- jobs ---------------------------------------------------------------- */

struct job {
    struct fx *fx;
    const struct privacy *p;
    const char *contact_key;
    int64_t id;
    int64_t now_ms;
    int rc;
    int64_t n;
    struct audio_pcm out;
    struct store_recording meta;
};

static int
put_job(struct store_tx *tx, void *arg)
{
    struct job *j = arg;
    struct recording_ref ref = {.contact_key = j->contact_key,
                                .flow_uuid =
                                    "8f1a1b7e-2d1c-4e2a-9a53-3b3c1d7e0a11",
                                .result_name = "Feel Safe"};

    j->id = recording_store(tx, j->p, &ref, &j->fx->pcm, j->now_ms);
    return j->id > 0 ? 0 : (int)j->id;
}

static int
load_job(struct store_tx *tx, void *arg)
{
    struct job *j = arg;

    j->rc = recording_load(tx, j->p, j->id, &j->out, &j->meta);
    return 0;
}

static int
count_job(struct store_tx *tx, void *arg)
{
    struct job *j = arg;

    return store_recordings_count(tx, j->contact_key, &j->n);
}

static int
erase_job(struct store_tx *tx, void *arg)
{
    struct job *j = arg;

    return store_contact_erase(tx, j->contact_key);
}

static int
purge_job(struct store_tx *tx, void *arg)
{
    struct job *j = arg;

    j->n = store_recordings_purge(tx, j->now_ms);
    return j->n < 0 ? (int)j->n : 0;
}

/* Flips one byte in the middle of recording id's blob, behind the store's
 * back. */
static int
tamper_job(struct store_tx *tx, void *arg)
{
    struct job *j = arg;
    sqlite3_stmt *s = NULL;
    const char sql[] = "UPDATE recordings SET blob = substr(blob, 1, 100)"
                       " || x'5a' || substr(blob, 102) WHERE id = ?1";

    assert_int_equal(sqlite3_prepare_v2(store_tx_sqlite(tx), sql, -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(s, 1, j->id);
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    return 0;
}

static int64_t
put(struct fx *fx, const char *contact_key, int64_t now_ms)
{
    struct job j = {
        .fx = fx, .p = fx->p, .contact_key = contact_key, .now_ms = now_ms};

    assert_int_equal(store_call(fx->st, put_job, &j), 0);
    assert_true(j.id > 0);
    return j.id;
}

static int
load(struct fx *fx, const struct privacy *p, int64_t id, struct job *j)
{
    memset(j, 0, sizeof(*j));
    j->fx = fx;
    j->p = p;
    j->id = id;
    assert_int_equal(store_call(fx->st, load_job, j), 0);
    return j->rc;
}

static int64_t
count(struct fx *fx, const char *contact_key)
{
    struct job j = {.fx = fx, .contact_key = contact_key};

    assert_int_equal(store_call(fx->st, count_job, &j), 0);
    return j.n;
}

/* --- tests --------------------------------------------------------------- */

static void
test_round_trip(void **state)
{
    struct fx *fx = *state;
    int64_t id = put(fx, KEY_A, 1700000000000);
    struct job j;

    assert_int_equal(load(fx, fx->p, id, &j), 0);
    assert_int_equal(j.out.nsamples, NSAMP);
    assert_int_equal(j.out.rate, 8000);
    assert_memory_equal(j.out.samples, fx->pcm.samples,
                        NSAMP * sizeof(int16_t));
    assert_string_equal(j.meta.contact_key, KEY_A);
    assert_string_equal(j.meta.result_name, "Feel Safe");
    assert_int_equal(j.meta.created_at, 1700000000000);
    assert_null(j.meta.blob);
    audio_pcm_free(&j.out);
    store_recording_clear(&j.meta);

    /* another key file's recording key does not open it */
    assert_int_equal(load(fx, fx->p2, id, &j), SK_EDENIED);
    assert_null(j.out.samples);
    assert_int_equal(load(fx, fx->p, id + 100, &j), SK_ENOENT);
}

static void
test_no_clear_audio_on_disk(void **state)
{
    struct fx *fx = *state;
    unsigned char *file;
    FILE *f;
    long len;
    char err[SK_ERR_LEN] = "";

    put(fx, KEY_A, 1700000000000);
    store_close(fx->st); /* checkpoints the WAL into the file */
    fx->st = NULL;
    f = fopen(fx->db, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    file = malloc((size_t)len);
    assert_non_null(file);
    assert_int_equal(fread(file, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    /* 32 samples of the pattern, as they would lie in clear */
    assert_null(memmem(file, (size_t)len, fx->pcm.samples + 1000, 64));
    free(file);
    fx->st = store_open(fx->db, NULL, 16, err);
    assert_non_null(fx->st);
}

static void
test_tampered_refused(void **state)
{
    struct fx *fx = *state;
    int64_t id = put(fx, KEY_A, 1700000000000);
    struct recording_ref ref = {
        .contact_key = KEY_A, .flow_uuid = "f", .result_name = "Feel Safe"};
    struct store_recording row;
    struct audio_pcm out;
    struct job j;
    char *name;

    /* in the database */
    memset(&j, 0, sizeof(j));
    j.id = id;
    assert_int_equal(store_call(fx->st, tamper_job, &j), 0);
    assert_int_equal(load(fx, fx->p, id, &j), SK_EDENIED);
    assert_null(j.out.samples);

    /* in memory: the blob, or the row around it */
    assert_int_equal(recording_seal(fx->p, &ref, &fx->pcm, 5, &row), 0);
    assert_int_equal(row.blob_len, NSAMP * 2 + PRIVACY_SEAL_OVERHEAD);
    assert_int_equal(recording_open(fx->p, &row, &out), 0);
    audio_pcm_free(&out);
    row.blob[row.blob_len - 1] ^= 1; /* the tag */
    assert_int_equal(recording_open(fx->p, &row, &out), SK_EDENIED);
    row.blob[row.blob_len - 1] ^= 1;
    row.blob[0] ^= 1; /* the nonce */
    assert_int_equal(recording_open(fx->p, &row, &out), SK_EDENIED);
    row.blob[0] ^= 1;
    name = row.contact_key;
    row.contact_key = (char *)KEY_B; /* moved to another contact */
    assert_int_equal(recording_open(fx->p, &row, &out), SK_EDENIED);
    row.contact_key = name;
    row.rate = 16000; /* its metadata changed */
    assert_int_equal(recording_open(fx->p, &row, &out), SK_EDENIED);
    row.rate = 8000;
    row.blob_len = 10; /* cut short */
    assert_int_equal(recording_open(fx->p, &row, &out), SK_EDENIED);
    assert_null(out.samples);
    store_recording_clear(&row);

    /* nothing to seal */
    out.nsamples = 0;
    out.samples = NULL;
    out.rate = 8000;
    assert_int_equal(recording_seal(fx->p, &ref, &out, 5, &row), SK_EINVAL);
}

static void
test_erase_and_purge(void **state)
{
    struct fx *fx = *state;
    struct job j = {.fx = fx};
    int64_t a1 = put(fx, KEY_A, 1000);

    put(fx, KEY_A, 2000);
    put(fx, KEY_B, 1000);
    put(fx, KEY_B, 3000);
    assert_int_equal(count(fx, KEY_A), 2);
    assert_int_equal(count(fx, NULL), 4);

    j.contact_key = KEY_A;
    assert_int_equal(store_call(fx->st, erase_job, &j), 0);
    assert_int_equal(count(fx, KEY_A), 0);
    assert_int_equal(count(fx, KEY_B), 2);
    assert_int_equal(load(fx, fx->p, a1, &j), SK_ENOENT);

    /* the purge takes what is older than its cut-off, nothing else */
    j.now_ms = 3000;
    assert_int_equal(store_call(fx->st, purge_job, &j), 0);
    assert_int_equal(j.n, 1);
    assert_int_equal(count(fx, KEY_B), 1);
    assert_int_equal(store_call(fx->st, purge_job, &j), 0);
    assert_int_equal(j.n, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_clear_audio_on_disk, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tampered_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase_and_purge, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
