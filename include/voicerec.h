/*
 * voicerec.h - hearing a call's recording without blocking the loop: the
 * recording is decoded and resampled (audio.h) on a thread of its own,
 * transcribed on the ASR pool (asrpool.h), and the transcript reported
 * back on the event loop.
 *
 * Both queues are bounded: a job that finds either full ends with
 * SK_EBUSY (the caller answers the call another way), never waits.
 *
 * Threads. voicerec_new, voicerec_hear and voicerec_free run on the loop
 * thread; every done callback runs on the loop too, woken with
 * event_active() (the process must have called evthread_use_pthreads()
 * before making base; the jobs' events do not keep the loop running by
 * themselves: the gateway's listening socket does).
 */
#ifndef SK_VOICEREC_H
#define SK_VOICEREC_H

#include <stdbool.h>
#include <stddef.h>

#include "audio.h"
#include "err.h"

struct asrpool;
struct event_base;
struct voicerec;

#define VOICEREC_DEPTH    32   /* recordings waiting to be decoded */
#define VOICEREC_TEXT_MAX 1024 /* a transcript's bytes */

/*
 * Called once per accepted recording, on the loop: rc 0 with text ("" when
 * nothing was understood) and confidence 0..1; SK_EINVAL (empty, corrupt,
 * over-long or unknown audio), SK_EBUSY (the ASR pool is full), SK_EIO
 * (the decoder failed) or SK_ENOMEM with text "". pcm is the decoded
 * audio (rc 0; else empty), which done may take over (then it zeroes
 * *pcm); what it leaves is freed after it returns.
 */
typedef void (*voicerec_done_fn)(void *arg, int rc, const char *text,
                                 double confidence, struct audio_pcm *pcm);

/* Starts the decoding thread; the pool decodes at rate (its decoders'
 * rate). NULL with err on failure. */
struct voicerec *voicerec_new(struct event_base *base, struct asrpool *pool,
                              int rate, char err[SK_ERR_LEN]);

/* The answers a question takes, when they form a closed set (copied by
 * voicerec_hear()). */
struct voicerec_set {
    const char *lang;           /* ISO 639-3 */
    const char *const *phrases; /* words or phrases, case-folded */
    size_t n;
    /* decode only, nothing heard (a language the recogniser does not
     * know): done gets rc 0, text "" and the audio */
    bool listen_only;
};

/*
 * Takes data[0..len) (a recording in memory, malloc'd: consumed, freed
 * whatever happens) and hears it: against set when it is not NULL, else
 * with the open model; done(arg, ...) reports, never from inside this
 * call. Returns 0, or SK_EBUSY (the queue is full) or SK_ENOMEM, and then
 * done is never called.
 */
int voicerec_hear(struct voicerec *vr, void *data, size_t len,
                  const struct voicerec_set *set, voicerec_done_fn done,
                  void *arg);

/*
 * Stops the thread; recordings not decoded yet get done with SK_EBUSY.
 * Call it once every other accepted recording has reported (the gateway
 * waits for its jobs before it stops), then free the pool. NULL is a
 * no-op.
 */
void voicerec_free(struct voicerec *vr);

#endif
