/*
 * asrpool.c - worker threads, one decoder each, over a bounded FIFO.
 *
 * One mutex guards the ring of jobs; workers wait on a condition variable
 * and decode outside the lock. Decoders are built in asrpool_new on the
 * calling thread, so a bad model fails there with a message, not later in
 * a worker. Shutdown sets a flag, wakes everyone, lets the workers drain
 * the queue and joins them.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "asrpool.h"

#define POOL_MAX_WORKERS 16
#define POOL_MAX_DEPTH   1024

struct job {
    int16_t *samples;
    size_t n;
    asrpool_done_fn done;
    void *arg;
};

struct worker {
    struct asrpool *pool;
    struct asr *asr;
    pthread_t thread;
    int started;
};

struct asrpool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *ring;
    int depth, head, count, stopping, nworkers;
    struct worker workers[POOL_MAX_WORKERS];
};

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
        rc = asr_transcribe(w->asr, job.samples, job.n, text, sizeof(text),
                            &conf, err);
        free(job.samples);
        job.done(rc, rc == 0 ? text : "", conf, job.arg);
    }
}

struct asrpool *
asrpool_new(const struct asr_config *cfg, int workers, int depth,
            char err[SK_ERR_LEN])
{
    struct asrpool *pool;

    if (workers < 1 || workers > POOL_MAX_WORKERS || depth < 1 ||
        depth > POOL_MAX_DEPTH) {
        sk_seterr(err, "asrpool: %d workers, depth %d (1..%d, 1..%d)", workers,
                  depth, POOL_MAX_WORKERS, POOL_MAX_DEPTH);
        return NULL;
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
    for (int i = 0; i < workers; i++) {
        struct worker *w = &pool->workers[i];

        w->pool = pool;
        pool->nworkers = i + 1;
        w->asr = asr_new(cfg, err);
        if (w->asr == NULL)
            goto fail;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            sk_seterr(err, "%s", "asrpool: cannot start a thread");
            goto fail;
        }
        w->started = 1;
    }
    return pool;
fail:
    asrpool_free(pool);
    return NULL;
}

int
asrpool_submit(struct asrpool *pool, int16_t *samples, size_t n,
               asrpool_done_fn done, void *arg)
{
    int rc = SK_EBUSY;

    pthread_mutex_lock(&pool->mu);
    if (pool->count < pool->depth && !pool->stopping) {
        struct job *j = &pool->ring[(pool->head + pool->count) % pool->depth];

        j->samples = samples;
        j->n = n;
        j->done = done;
        j->arg = arg;
        pool->count++;
        pthread_cond_signal(&pool->cv);
        rc = 0;
    }
    pthread_mutex_unlock(&pool->mu);
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
    }
    pthread_cond_destroy(&pool->cv);
    pthread_mutex_destroy(&pool->mu);
    free(pool->ring);
    free(pool);
}
