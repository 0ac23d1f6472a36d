/*
 * test_voicerec.c - a recording heard off the loop, with a real event
 * loop, a real decoder pool and a cards/ recording (skipped without
 * pocketsphinx-testdata): the transcript comes back on the loop thread;
 * corrupt audio ends with SK_EINVAL; with one worker and a queue of one,
 * recordings past what the pool takes end with SK_EBUSY, never hang, and
 * each reports once.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "asrpool.h"
#include "audio.h"
#include "voicerec.h"

#define DATA    "/usr/share/pocketsphinx/test/data"
#define GRAMMAR DATA "/cards/cards.gram"
#define WAV     DATA "/cards/005.wav"
#define SAID    "eight of spades four of clubs seven of hearts"

/* The loop runs while it has events: a timer stands for the gateway's
 * listening socket. */
static void
tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

static struct event *
keep_alive(struct event_base *base)
{
    struct timeval second = {1, 0};
    struct event *ev = event_new(base, -1, EV_PERSIST, tick, NULL);

    assert_non_null(ev);
    assert_int_equal(event_add(ev, &second), 0);
    return ev;
}

struct seen {
    struct event_base *base;
    pthread_t loop;
    int done, right, invalid, busy, unheard, expect;
};

static void
on_heard(void *arg, int rc, const char *text, double confidence,
         struct audio_pcm *pcm)
{
    struct seen *s = arg;

    /* the decoded audio comes back with a transcript (or unheard, when
     * listen_only), and only then */
    if (rc == 0)
        assert_true(pcm->samples != NULL && pcm->nsamples > 16000);
    else
        assert_null(pcm->samples);

    assert_true(pthread_equal(pthread_self(), s->loop));
    s->done++;
    if (rc == 0 && strcmp(text, SAID) == 0 && confidence > 0)
        s->right++;
    else if (rc == SK_EINVAL)
        s->invalid++;
    else if (rc == SK_EBUSY)
        s->busy++;
    else if (rc == 0 && text[0] == '\0' && confidence == 0)
        s->unheard++;
    if (s->done == s->expect)
        event_base_loopbreak(s->base);
}

static void *
read_wav(size_t *len)
{
    struct audio_limits lim;
    char err[SK_ERR_LEN] = "";
    void *data;

    audio_limits_default(&lim);
    assert_int_equal(audio_read_file(WAV, &lim, &data, len, err), 0);
    return data;
}

static struct asrpool *
pool_new(int workers, int depth)
{
    struct asr_config cfg = {.grammar = GRAMMAR, .rate = 16000};
    char err[SK_ERR_LEN] = "";
    struct asrpool *p = asrpool_new(&cfg, workers, depth, err);

    if (p == NULL)
        fail_msg("asrpool_new: %s", err);
    return p;
}

static void
test_heard_on_loop(void **state)
{
    struct seen s = {0};
    struct asrpool *pool;
    struct voicerec *vr;
    char err[SK_ERR_LEN] = "";
    static const char *const cards[] = {"eight of spades", "seven"};
    const struct voicerec_set set = {"eng", cards, 2, false};
    struct event *alive;
    size_t len;
    void *data, *junk;

    (void)state;
    if (access(WAV, R_OK) != 0)
        skip();
    s.base = event_base_new();
    s.loop = pthread_self();
    pool = pool_new(1, 4);
    vr = voicerec_new(s.base, pool, 16000, err);
    assert_non_null(vr);
    data = read_wav(&len);
    assert_int_equal(voicerec_hear(vr, data, len, NULL, on_heard, &s), 0);
    junk = strdup("RIFF not really a wave file at all");
    assert_int_equal(voicerec_hear(vr, junk, strlen(junk), &set, on_heard, &s),
                     0);
    s.expect = 2;
    assert_int_equal(s.done, 0); /* never from inside voicerec_hear */
    alive = keep_alive(s.base);
    event_base_dispatch(s.base);
    event_free(alive);
    assert_int_equal(s.done, 2);
    assert_int_equal(s.right, 1);
    assert_int_equal(s.invalid, 1);
    voicerec_free(vr);
    asrpool_free(pool);
    event_base_free(s.base);
    voicerec_free(NULL);
}

/* listen_only: the audio is decoded and handed back, nothing is heard
 * (a language the recogniser does not know); bad audio is still refused. */
static void
test_listen_only(void **state)
{
    struct seen s = {0};
    struct asrpool *pool;
    struct voicerec *vr;
    char err[SK_ERR_LEN] = "";
    const struct voicerec_set set = {"fra", NULL, 0, true};
    struct event *alive;
    size_t len;
    void *data, *junk;

    (void)state;
    if (access(WAV, R_OK) != 0)
        skip();
    s.base = event_base_new();
    s.loop = pthread_self();
    pool = pool_new(1, 4);
    vr = voicerec_new(s.base, pool, 16000, err);
    assert_non_null(vr);
    data = read_wav(&len);
    assert_int_equal(voicerec_hear(vr, data, len, &set, on_heard, &s), 0);
    junk = strdup("RIFF not really a wave file at all");
    assert_int_equal(voicerec_hear(vr, junk, strlen(junk), &set, on_heard, &s),
                     0);
    s.expect = 2;
    alive = keep_alive(s.base);
    event_base_dispatch(s.base);
    event_free(alive);
    assert_int_equal(s.done, 2);
    assert_int_equal(s.right, 0);
    assert_int_equal(s.unheard, 1);
    assert_int_equal(s.invalid, 1);
    voicerec_free(vr);
    asrpool_free(pool);
    event_base_free(s.base);
}

static void
test_full_pool(void **state)
{
    struct seen s = {0};
    struct asrpool *pool;
    struct voicerec *vr;
    char err[SK_ERR_LEN] = "";
    struct event *alive;
    size_t len;
    int i, accepted = 0;

    (void)state;
    if (access(WAV, R_OK) != 0)
        skip();
    s.base = event_base_new();
    s.loop = pthread_self();
    pool = pool_new(1, 1);
    vr = voicerec_new(s.base, pool, 16000, err);
    assert_non_null(vr);
    for (i = 0; i < 10; i++) {
        void *data = read_wav(&len);
        int rc = voicerec_hear(vr, data, len, NULL, on_heard, &s);

        assert_true(rc == 0 || rc == SK_EBUSY);
        accepted += rc == 0;
    }
    s.expect = accepted;
    alive = keep_alive(s.base);
    event_base_dispatch(s.base);
    event_free(alive);
    assert_int_equal(s.done, accepted);
    /* one decodes, one waits: the rest of what was decoded is busy */
    assert_true(s.right >= 1);
    assert_true(s.busy >= 1);
    assert_int_equal(s.right + s.busy, accepted);
    voicerec_free(vr);
    asrpool_free(pool);
    event_base_free(s.base);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heard_on_loop),
        cmocka_unit_test(test_listen_only),
        cmocka_unit_test(test_full_pool),
    };

    evthread_use_pthreads();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
