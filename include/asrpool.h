/*
 * asrpool.h - a bounded pool of transcription worker threads.
 *
 * Each worker owns one decoder (asr.h), all built from the same
 * configuration. asrpool_submit() queues a job and returns at once:
 * SK_EBUSY when the queue is full (the gateway answers 503), never
 * blocking. The job's callback runs on the worker thread that decoded it;
 * a gateway callback should only hand the result to the loop (for example
 * with event_active()).
 *
 * asrpool_new, asrpool_submit and asrpool_free are called from one thread
 * (the loop); callbacks come from the workers.
 */
#ifndef SK_ASRPOOL_H
#define SK_ASRPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "asr.h"
#include "err.h"

struct asrpool;

/*
 * Called once per accepted job on a worker thread: rc is 0 or the SK_E*
 * of the decoder; text is valid only during the call.
 */
typedef void (*asrpool_done_fn)(int rc, const char *text, double confidence,
                                void *arg);

/* Starts workers (1..16) decoders with a queue of depth (1..1024). */
struct asrpool *asrpool_new(const struct asr_config *cfg, int workers,
                            int depth, char err[SK_ERR_LEN]);

/*
 * Queues samples (n, at asr_rate of the configuration; the pool takes
 * ownership: they are freed with free() after decoding) and returns 0, or
 * SK_EBUSY when the queue is full, SK_ENOMEM: then done is never called
 * and the samples stay the caller's.
 */
int asrpool_submit(struct asrpool *pool, int16_t *samples, size_t n,
                   asrpool_done_fn done, void *arg);

/* Finishes the queued jobs, joins the workers, frees; NULL is a no-op. */
void asrpool_free(struct asrpool *pool);

#endif
