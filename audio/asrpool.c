/*
 * asrpool.c - worker threads, one decoder each, over a bounded FIFO.
 *
 * One mutex guards the ring of jobs; workers wait on a condition variable
 * and decode outside the lock. The closed-set decoders (and a fixed
 * grammar's) are built in asrpool_new on the calling thread, so a bad
 * model fails there with a message, not later in a worker; a worker loads
 * the language model itself on its first open answer (its file is
 * checked at start). A job's choices are one block: the struct, the
 * phrase pointers and the strings, freed with the job. Shutdown sets a flag,
 * wakes everyone, lets the workers drain the queue and joins them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asrpool.h"

#define POOL_MAX_WORKERS 16
#define POOL_MAX_DEPTH   1024

struct job {
    int16_t *samples;
    size_t n;
    struct asr_choices *choices; /* NULL: the configuration's decoder */
    asrpool_done_fn done;
    void *arg;
};

struct worker {
    struct asrpool *pool;
    struct asr *asr;  /* the configuration's grammar or language model */
    struct asr *casr; /* closed sets */
    pthread_t thread;
    int started;
};

struct asrpool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *ring;
    struct asr_config cfg; /* for a worker's late language model */
    char *model, *dict, *lm;
    int depth, head, count, stopping, nworkers;
    struct worker workers[POOL_MAX_WORKERS];
};

/* Decodes one job with the decoder it asks for (loading the LM if needed). */
static int
run_job(struct worker *w, const struct job *job, char *text, size_t cap,
        double *conf, char err[SK_ERR_LEN])
{
    if (job->choices != NULL)
        return asr_transcribe_choices(w->casr, job->samples, job->n,
                                      job->choices, text, cap, conf, err);
    if (w->asr == NULL && (w->asr = asr_new(&w->pool->cfg, err)) == NULL)
        return SK_EIO;
    return asr_transcribe(w->asr, job->samples, job->n, text, cap, conf, err);
}

static void *
worker_main(void *p)
{
    struct worker *w = p;
    struct asrpool *pool = w->pool;

    for (;;) {
        struct job job;
        char text[1024], err[SK_ERR_LEN] = "";
        double conf = 0;
        int rc;

        pthread_mutex_lock(&pool->mu);
        while (pool->count == 0 && !pool->stopping)
            pthread_cond_wait(&pool->cv, &pool->mu);
        if (pool->count == 0) {
            pthread_mutex_unlock(&pool->mu);
            return NULL;
        }
        job = pool->ring[pool->head];
        pool->head = (pool->head + 1) % pool->depth;
        pool->count--;
        pthread_mutex_unlock(&pool->mu);
        rc = run_job(w, &job, text, sizeof(text), &conf, err);
        free(job.samples);
        free(job.choices);
        job.done(rc, rc == 0 ? text : "", conf, job.arg);
    }
}

/* Keeps copies of the configuration's paths for the workers. */
static int
keep_config(struct asrpool *pool, const struct asr_config *cfg)
{
    pool->cfg = *cfg;
    pool->cfg.choices = 0;
    pool->cfg.grammar = NULL; /* a grammar decoder is built at start */
    if ((cfg->model && (pool->model = strdup(cfg->model)) == NULL) ||
        (cfg->dict && (pool->dict = strdup(cfg->dict)) == NULL) ||
        (cfg->lm && (pool->lm = strdup(cfg->lm)) == NULL))
        return -1;
    pool->cfg.model = pool->model;
    pool->cfg.dict = pool->dict;
    pool->cfg.lm = pool->lm;
    return 0;
}

/* Builds worker i's decoders and starts its thread. */
static int
start_worker(struct asrpool *pool, int i, const struct asr_config *cfg,
             char err[SK_ERR_LEN])
{
    struct worker *w = &pool->workers[i];
    struct asr_config ccfg = *cfg;

    w->pool = pool;
    pool->nworkers = i + 1;
    ccfg.choices = 1;
    if ((w->casr = asr_new(&ccfg, err)) == NULL)
        return -1;
    if (cfg->grammar != NULL) {
        ccfg.choices = 0;
        if ((w->asr = asr_new(&ccfg, err)) == NULL)
            return -1;
    }
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        sk_seterr(err, "%s", "asrpool: cannot start a thread");
        return -1;
    }
    w->started = 1;
    return 0;
}

struct asrpool *
asrpool_new(const struct asr_config *cfg, int workers, int depth,
            char err[SK_ERR_LEN])
{
    const char *lm = cfg->lm ? cfg->lm : ASR_LM;
    struct asrpool *pool;
    FILE *f;

    if (workers < 1 || workers > POOL_MAX_WORKERS || depth < 1 ||
        depth > POOL_MAX_DEPTH) {
        sk_seterr(err, "asrpool: %d workers, depth %d (1..%d, 1..%d)", workers,
                  depth, POOL_MAX_WORKERS, POOL_MAX_DEPTH);
        return NULL;
    }
    if (cfg->grammar == NULL) {
        /* the language model is loaded late: say now if it is missing */
        if ((f = fopen(lm, "r")) == NULL) {
            sk_seterr(err, "asrpool: cannot read the language model %s", lm);
            return NULL;
        }
        fclose(f);
    }
    pool = calloc(1, sizeof(*pool));
    if (pool == NULL ||
        (pool->ring = calloc((size_t)depth, sizeof(*pool->ring))) == NULL) {
        free(pool);
        sk_seterr(err, "%s", "asrpool: out of memory");
        return NULL;
    }
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->cv, NULL);
    pool->depth = depth;
    if (keep_config(pool, cfg) < 0) {
        sk_seterr(err, "%s", "asrpool: out of memory");
        goto fail;
    }
    for (int i = 0; i < workers; i++)
        if (start_worker(pool, i, cfg, err) < 0)
            goto fail;
    return pool;
fail:
    asrpool_free(pool);
    return NULL;
}

/* Queues one job; choices already copied (or NULL). */
static int
enqueue(struct asrpool *pool, int16_t *samples, size_t n,
        struct asr_choices *choices, asrpool_done_fn done, void *arg)
{
    int rc = SK_EBUSY;

    pthread_mutex_lock(&pool->mu);
    if (pool->count < pool->depth && !pool->stopping) {
        struct job *j = &pool->ring[(pool->head + pool->count) % pool->depth];

        j->samples = samples;
        j->n = n;
        j->choices = choices;
        j->done = done;
        j->arg = arg;
        pool->count++;
        pthread_cond_signal(&pool->cv);
        rc = 0;
    }
    pthread_mutex_unlock(&pool->mu);
    return rc;
}

int
asrpool_submit(struct asrpool *pool, int16_t *samples, size_t n,
               asrpool_done_fn done, void *arg)
{
    return enqueue(pool, samples, n, NULL, done, arg);
}

/* One block: the struct, then the phrase pointers, then the strings. */
static struct asr_choices *
copy_choices(const struct asr_choices *c)
{
    size_t size = sizeof(*c) + c->n * sizeof(char *), used;
    struct asr_choices *copy;
    const char **phrases;
    char *p;

    for (size_t i = 0; i < c->n; i++)
        size += strlen(c->phrases[i]) + 1;
    size += c->lang ? strlen(c->lang) + 1 : 0;
    if ((copy = malloc(size)) == NULL)
        return NULL;
    phrases = (const char **)(copy + 1);
    p = (char *)(phrases + c->n);
    used = 0;
    for (size_t i = 0; i < c->n; i++) {
        size_t len = strlen(c->phrases[i]) + 1;

        memcpy(p + used, c->phrases[i], len);
        phrases[i] = p + used;
        used += len;
    }
    copy->lang = NULL;
    if (c->lang != NULL) {
        memcpy(p + used, c->lang, strlen(c->lang) + 1);
        copy->lang = p + used;
    }
    copy->phrases = phrases;
    copy->n = c->n;
    return copy;
}

int
asrpool_submit_choices(struct asrpool *pool, int16_t *samples, size_t n,
                       const struct asr_choices *choices, asrpool_done_fn done,
                       void *arg)
{
    struct asr_choices *copy = NULL;
    int rc;

    if (choices != NULL) {
        if (choices->n == 0 || choices->n > ASR_MAX_CHOICES ||
            choices->phrases == NULL)
            return SK_EINVAL;
        for (size_t i = 0; i < choices->n; i++)
            if (choices->phrases[i] == NULL)
                return SK_EINVAL;
        if ((copy = copy_choices(choices)) == NULL)
            return SK_ENOMEM;
    }
    rc = enqueue(pool, samples, n, copy, done, arg);
    if (rc != 0)
        free(copy);
    return rc;
}

void
asrpool_free(struct asrpool *pool)
{
    if (pool == NULL)
        return;
    pthread_mutex_lock(&pool->mu);
    pool->stopping = 1;
    pthread_cond_broadcast(&pool->cv);
    pthread_mutex_unlock(&pool->mu);
    for (int i = 0; i < pool->nworkers; i++) {
        if (pool->workers[i].started)
            pthread_join(pool->workers[i].thread, NULL);
        asr_free(pool->workers[i].asr);
        asr_free(pool->workers[i].casr);
    }
    pthread_cond_destroy(&pool->cv);
    pthread_mutex_destroy(&pool->mu);
    free(pool->ring);
    free(pool->model);
    free(pool->dict);
    free(pool->lm);
    free(pool);
}
