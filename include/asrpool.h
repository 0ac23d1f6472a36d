/*
 * asrpool.h - a bounded pool of transcription worker threads.
 *
 * Each worker owns its decoders (asr.h), all built from the same
 * configuration: a closed-set decoder (small: its dictionary holds only
 * the words asked for) for asrpool_submit_choices(), and the
 * configuration's grammar or language-model decoder for asrpool_submit()
 * and open answers. A grammar decoder is loaded at start; the language
 * model's (about 100 MB with the whole dictionary) the first time a worker
 * gets an open answer, so a pool that only hears closed sets stays small.
 * asrpool_submit() queues a job and returns at once: SK_EBUSY when the queue is
 * full (the gateway answers 503), never blocking. The job's callback runs on
 * the worker thread that decoded it; a gateway callback should only hand the
 * result to the loop (for example with event_active()).
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

/*
 * Starts workers (1..16) threads with a queue of depth (1..1024);
 * cfg->choices is ignored (every worker has both kinds of decoder).
 */
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

/*
 * Queues samples as asrpool_submit() does, decoded against choices (a
 * closed set: copied, so the caller's may go at once) or, with choices
 * NULL, through the open language model. done gets "" as text when the
 * answer was not understood (doubtful, or not one of the choices). Same
 * returns as asrpool_submit, and SK_EINVAL for choices that are empty or
 * over ASR_MAX_CHOICES (done is not called then either).
 */
int asrpool_submit_choices(struct asrpool *pool, int16_t *samples, size_t n,
                           const struct asr_choices *choices,
                           asrpool_done_fn done, void *arg);

/* Finishes the queued jobs, joins the workers, frees; NULL is a no-op. */
void asrpool_free(struct asrpool *pool);

#endif
