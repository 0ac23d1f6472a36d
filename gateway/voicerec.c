/*
 * voicerec.c - a recording heard off the loop (see voicerec.h).
 *
 * Each job owns an event on the loop's base. The decoding thread takes
 * jobs from a ring under one mutex, decodes outside it and activates the
 * job's event; the loop then hands the samples to the ASR pool, whose
 * worker stores the transcript in the job and activates the event again;
 * the loop then calls done and frees the job. A job is touched by one
 * thread at a time: whoever activates its event lets go of it.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "asrpool.h"
#include "audio.h"
#include "voicerec.h"

enum rec_stage { REC_DECODING, REC_DECODED, REC_HEARD };

struct rec_job {
    struct voicerec *vr;
    struct event *ev;
    enum rec_stage stage;
    void *data;
    size_t len;
    struct audio_pcm pcm;
    struct audio_pcm kept; /* a copy of pcm for done, while the pool
                            * holds pcm's samples */
    int rc;
    char text[VOICEREC_TEXT_MAX];
    double confidence;
    voicerec_done_fn done;
    void *arg;
    char lang[8]; /* the closed set, copied; n_phrases 0 for none */
    char **phrases;
    size_t n_phrases;
    bool listen_only; /* decoded, kept, not heard */
};

struct voicerec {
    struct event_base *base;
    struct asrpool *pool;
    int rate;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct rec_job *ring[VOICEREC_DEPTH];
    int head, count;
    bool stopping;
};

static void
job_free(struct rec_job *j)
{
    size_t i;

    if (j == NULL)
        return;
    for (i = 0; i < j->n_phrases; i++)
        free(j->phrases[i]);
    free(j->phrases);
    if (j->ev != NULL)
        event_free(j->ev);
    free(j->data);
    audio_pcm_free(&j->pcm);
    audio_pcm_free(&j->kept);
    free(j);
}

static void
job_finish(struct rec_job *j)
{
    if (j->rc != 0)
        audio_pcm_free(&j->kept);
    j->done(j->arg, j->rc, j->rc == 0 ? j->text : "", j->confidence, &j->kept);
    job_free(j);
}

/* ASR worker thread: the transcript is in; back to the loop. */
static void
heard(int rc, const char *text, double confidence, void *arg)
{
    struct rec_job *j = arg;

    j->rc = rc;
    j->confidence = confidence;
    if (rc == 0 && text != NULL)
        snprintf(j->text, sizeof(j->text), "%s", text);
    j->stage = REC_HEARD;
    event_active(j->ev, 0, 0);
}

/* Loop: a stage of job arg is done. */
static void
job_event(evutil_socket_t fd, short what, void *arg)
{
    struct rec_job *j = arg;
    int rc;

    (void)fd;
    (void)what;
    if (j->stage == REC_HEARD || j->rc != 0) {
        job_finish(j);
        return;
    }
    if (j->listen_only) { /* decoded: done takes the audio, unheard */
        j->kept = j->pcm;
        memset(&j->pcm, 0, sizeof(j->pcm));
        job_finish(j);
        return;
    }
    /* decoded: the pool takes the samples over when it accepts them (done
     * gets a copy); a closed set is heard against its words */
    j->kept = j->pcm;
    j->kept.samples = malloc(j->pcm.nsamples * sizeof(*j->pcm.samples) + 1);
    if (j->kept.samples == NULL) {
        memset(&j->kept, 0, sizeof(j->kept));
        j->rc = SK_ENOMEM;
        job_finish(j);
        return;
    }
    memcpy(j->kept.samples, j->pcm.samples,
           j->pcm.nsamples * sizeof(*j->pcm.samples));
    if (j->n_phrases > 0) {
        struct asr_choices c = {
            .lang = j->lang[0] != '\0' ? j->lang : NULL,
            .phrases = (const char *const *)j->phrases,
            .n = j->n_phrases,
        };

        rc = asrpool_submit_choices(j->vr->pool, j->pcm.samples,
                                    j->pcm.nsamples, &c, heard, j);
    } else {
        rc = asrpool_submit(j->vr->pool, j->pcm.samples, j->pcm.nsamples, heard,
                            j);
    }
    if (rc != 0) {
        j->rc = rc;
        job_finish(j);
        return;
    }
    memset(&j->pcm, 0, sizeof(j->pcm));
}

static void *
decode_main(void *p)
{
    struct voicerec *vr = p;
    struct audio_limits lim;

    audio_limits_default(&lim);
    for (;;) {
        struct rec_job *j;
        char err[SK_ERR_LEN];

        pthread_mutex_lock(&vr->mu);
        while (vr->count == 0 && !vr->stopping)
            pthread_cond_wait(&vr->cv, &vr->mu);
        if (vr->stopping) {
            pthread_mutex_unlock(&vr->mu);
            return NULL;
        }
        j = vr->ring[vr->head];
        vr->head = (vr->head + 1) % VOICEREC_DEPTH;
        vr->count--;
        pthread_mutex_unlock(&vr->mu);
        j->rc = audio_decode(j->data, j->len, &lim, vr->rate, &j->pcm, err);
        if (j->rc != 0 && j->rc != SK_ENOMEM)
            j->rc = SK_EINVAL; /* err may describe the child's audio */
        free(j->data);
        j->data = NULL;
        j->stage = REC_DECODED;
        event_active(j->ev, 0, 0);
    }
}

struct voicerec *
voicerec_new(struct event_base *base, struct asrpool *pool, int rate,
             char err[SK_ERR_LEN])
{
    struct voicerec *vr = calloc(1, sizeof(*vr));

    if (vr == NULL) {
        sk_seterr(err, "out of memory");
        return NULL;
    }
    vr->base = base;
    vr->pool = pool;
    vr->rate = rate;
    pthread_mutex_init(&vr->mu, NULL);
    pthread_cond_init(&vr->cv, NULL);
    if (pthread_create(&vr->thread, NULL, decode_main, vr) != 0) {
        sk_seterr(err, "cannot start the recording thread");
        voicerec_free(vr);
        return NULL;
    }
    vr->started = true;
    return vr;
}

/* Copies set into j. 0 or SK_ENOMEM. */
static int
job_set(struct rec_job *j, const struct voicerec_set *set)
{
    size_t i;

    if (set == NULL)
        return 0;
    j->listen_only = set->listen_only;
    if (set->n == 0)
        return 0;
    snprintf(j->lang, sizeof(j->lang), "%s", set->lang ? set->lang : "");
    if ((j->phrases = calloc(set->n, sizeof(*j->phrases))) == NULL)
        return SK_ENOMEM;
    for (i = 0; i < set->n; i++) {
        if ((j->phrases[i] = strdup(set->phrases[i])) == NULL)
            return SK_ENOMEM;
        j->n_phrases++;
    }
    return 0;
}

int
voicerec_hear(struct voicerec *vr, void *data, size_t len,
              const struct voicerec_set *set, voicerec_done_fn done, void *arg)
{
    struct rec_job *j = calloc(1, sizeof(*j));

    if (j == NULL) {
        free(data);
        return SK_ENOMEM;
    }
    if (job_set(j, set) != 0) {
        free(data);
        job_free(j);
        return SK_ENOMEM;
    }
    j->vr = vr;
    j->data = data;
    j->len = len;
    j->done = done;
    j->arg = arg;
    if ((j->ev = event_new(vr->base, -1, 0, job_event, j)) == NULL) {
        job_free(j);
        return SK_ENOMEM;
    }
    pthread_mutex_lock(&vr->mu);
    if (vr->count == VOICEREC_DEPTH || vr->stopping) {
        pthread_mutex_unlock(&vr->mu);
        job_free(j);
        return SK_EBUSY;
    }
    vr->ring[(vr->head + vr->count) % VOICEREC_DEPTH] = j;
    vr->count++;
    pthread_cond_signal(&vr->cv);
    pthread_mutex_unlock(&vr->mu);
    return 0;
}

void
voicerec_free(struct voicerec *vr)
{
    if (vr == NULL)
        return;
    pthread_mutex_lock(&vr->mu);
    vr->stopping = true;
    pthread_cond_broadcast(&vr->cv);
    pthread_mutex_unlock(&vr->mu);
    if (vr->started)
        pthread_join(vr->thread, NULL);
    /* what the thread did not take is answered busy; jobs it decoded or
     * the pool holds report through their events, still on the base */
    while (vr->count > 0) {
        struct rec_job *j = vr->ring[vr->head];

        vr->head = (vr->head + 1) % VOICEREC_DEPTH;
        vr->count--;
        j->rc = SK_EBUSY;
        job_finish(j);
    }
    pthread_mutex_destroy(&vr->mu);
    pthread_cond_destroy(&vr->cv);
    free(vr);
}
