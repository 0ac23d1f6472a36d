/*
 * test_asrpool.c - the worker pool with real decoders on a cards/
 * recording (skipped without pocketsphinx-testdata): one worker and a
 * queue of one take two jobs and refuse the rest at once with SK_EBUSY;
 * every accepted job reports the right transcript once through its
 * callback; two workers decode side by side; bad settings fail. Closed
 * sets through asrpool_submit_choices: the caller's choices may go at
 * once (the pool copies them), each worker keeps its grammars, and a job
 * without choices goes to the open language model.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "asrpool.h"
#include "audio.h"

#define DATA    "/usr/share/pocketsphinx/test/data"
#define GRAMMAR DATA "/cards/cards.gram"
#define WAV     DATA "/cards/005.wav"
#define SAID    "eight of spades four of clubs seven of hearts"

struct results {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, right;
};

static void
on_done(int rc, const char *text, double confidence, void *arg)
{
    struct results *r = arg;

    pthread_mutex_lock(&r->mu);
    r->done++;
    if (rc == 0 && strcmp(text, SAID) == 0 && confidence > 0)
        r->right++;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static int16_t *
load(size_t *n)
{
    struct audio_limits lim;
    struct audio_pcm pcm;
    char err[SK_ERR_LEN] = "";
    void *data;
    size_t len;

    audio_limits_default(&lim);
    assert_int_equal(audio_read_file(WAV, &lim, &data, &len, err), 0);
    assert_int_equal(audio_decode(data, len, &lim, 16000, &pcm, err), 0);
    free(data);
    *n = pcm.nsamples;
    return pcm.samples;
}

static void
run(int workers, int depth, int jobs, int *accepted)
{
    struct asr_config cfg = {.grammar = GRAMMAR, .rate = 16000};
    struct results r = {.done = 0};
    char err[SK_ERR_LEN] = "";
    struct asrpool *pool = asrpool_new(&cfg, workers, depth, err);
    size_t n;
    int16_t *orig = load(&n);

    assert_non_null(pool);
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    *accepted = 0;
    for (int i = 0; i < jobs; i++) {
        int16_t *copy = malloc(n * sizeof(*copy));
        int rc;

        assert_non_null(copy);
        memcpy(copy, orig, n * sizeof(*copy));
        rc = asrpool_submit(pool, copy, n, on_done, &r);
        if (rc == 0) {
            (*accepted)++;
        } else {
            assert_int_equal(rc, SK_EBUSY);
            free(copy); /* still ours */
        }
    }
    pthread_mutex_lock(&r.mu);
    while (r.done < *accepted)
        pthread_cond_wait(&r.cv, &r.mu);
    pthread_mutex_unlock(&r.mu);
    asrpool_free(pool);
    assert_int_equal(r.done, *accepted);
    assert_int_equal(r.right, *accepted);
    pthread_cond_destroy(&r.cv);
    pthread_mutex_destroy(&r.mu);
    free(orig);
}

static void
test_full_queue(void **state)
{
    int accepted;

    (void)state;
    if (access(WAV, R_OK) != 0) {
        skip();
        return;
    }
    /* a decode takes far longer than four submissions */
    run(1, 1, 4, &accepted);
    assert_true(accepted >= 1 && accepted <= 2);
}

static void
test_two_workers(void **state)
{
    int accepted;

    (void)state;
    if (access(WAV, R_OK) != 0) {
        skip();
        return;
    }
    run(2, 4, 3, &accepted);
    assert_int_equal(accepted, 3);
}

/* Submits the recording n times with a set built on the stack. */
static int
submit_cards(struct asrpool *pool, const int16_t *orig, size_t n,
             struct results *r, int with_choices)
{
    char buf[4][64];
    const char *phrases[4];
    struct asr_choices ch = {.lang = "eng", .phrases = phrases, .n = 4};
    int16_t *copy = malloc(n * sizeof(*copy));
    int rc;

    assert_non_null(copy);
    memcpy(copy, orig, n * sizeof(*copy));
    snprintf(buf[0], sizeof(buf[0]), "%s", "ten of clubs");
    snprintf(buf[1], sizeof(buf[1]), "%s", SAID);
    snprintf(buf[2], sizeof(buf[2]), "%s", "five five");
    snprintf(buf[3], sizeof(buf[3]), "%s", "seven of clubs");
    for (int i = 0; i < 4; i++)
        phrases[i] = buf[i];
    rc = asrpool_submit_choices(pool, copy, n, with_choices ? &ch : NULL,
                                on_done, r);
    /* the pool holds its own copy: the caller's set is gone now */
    memset(buf, 'x', sizeof(buf));
    if (rc != 0)
        free(copy);
    return rc;
}

static void
test_choices(void **state)
{
    struct asr_config cfg = {.rate = 16000};
    struct results r = {.done = 0};
    char err[SK_ERR_LEN] = "";
    struct asrpool *pool;
    const char *none[1] = {NULL};
    struct asr_choices bad = {.phrases = none, .n = 0};
    size_t n;
    int16_t *orig;

    (void)state;
    if (access(WAV, R_OK) != 0) {
        skip();
        return;
    }
    orig = load(&n);
    pool = asrpool_new(&cfg, 2, 8, err);
    assert_non_null(pool);
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    for (int i = 0; i < 4; i++)
        assert_int_equal(submit_cards(pool, orig, n, &r, 1), 0);
    /* refused before queueing: done is never called for these */
    assert_int_equal(asrpool_submit_choices(pool, orig, n, &bad, on_done, &r),
                     SK_EINVAL);
    bad.n = 1;
    assert_int_equal(asrpool_submit_choices(pool, orig, n, &bad, on_done, &r),
                     SK_EINVAL);
    pthread_mutex_lock(&r.mu);
    while (r.done < 4)
        pthread_cond_wait(&r.cv, &r.mu);
    pthread_mutex_unlock(&r.mu);
    assert_int_equal(r.right, 4);
    /* no choices: the open language model, loaded by the worker now */
    assert_int_equal(submit_cards(pool, orig, n, &r, 0), 0);
    asrpool_free(pool);
    assert_int_equal(r.done, 5);
    pthread_cond_destroy(&r.cv);
    pthread_mutex_destroy(&r.mu);
    free(orig);
}

static void
test_bad_settings(void **state)
{
    struct asr_config cfg = {.grammar = "/nonexistent.gram", .rate = 16000};
    char err[SK_ERR_LEN] = "";

    (void)state;
    assert_null(asrpool_new(&cfg, 0, 4, err));
    assert_non_null(strstr(err, "workers"));
    err[0] = '\0';
    assert_null(asrpool_new(&cfg, 2, 4, err));
    assert_non_null(strstr(err, "grammar"));
    cfg.grammar = NULL;
    cfg.lm = "/nonexistent.lm.bin";
    err[0] = '\0';
    assert_null(asrpool_new(&cfg, 1, 4, err));
    assert_non_null(strstr(err, "language model"));
    asrpool_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_queue),
        cmocka_unit_test(test_two_workers),
        cmocka_unit_test(test_bad_settings),
        cmocka_unit_test(test_choices),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
