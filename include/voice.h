/*
 * voice.h - voice calls through the gateway: POST /c/NAME/voice (a call
 * comes in) and POST /c/NAME/voice/... (its later callbacks: gather,
 * record, timeout, status), for channel types with voice hooks
 * (channel_type.h parse_call and render_call; 404 for the others).
 *
 * Each callback of a call is one step of the same inbound pipeline as an
 * SMS (inbound.h): the caller's number becomes the contact key at the
 * edge, and in one store transaction the step is deduplicated (by the
 * call's id and the step number the callback URL carries), DELETE and STOP
 * are honoured, the engine steps, answers are stored; the provider gets
 * the call's next step (voicestep.h) only after COMMIT. The call's first
 * step starts the channel's flow when it is a voice flow, else the first
 * voice flow loaded. A gather that timed out resumes the wait with its
 * timeout; a call that is over (status callback, or the provider saying
 * so) expires the waiting run.
 *
 * Recordings (the answer to a wait with the audio hint): a key pressed
 * during the recording is the answer. A recording alone is fetched
 * (fetch.h: only from the channel's media hosts), decoded and transcribed
 * off the loop (voicerec.h), and the transcript is the answer, while the
 * provider's request is held; a closed set of answers is heard against its
 * words (in the languages the lexicon has), an open answer in a language
 * the recogniser does not know (it knows English) is fetched and decoded
 * but not transcribed: the answer is VOICESTEP_NEEDS_LISTENING and its
 * audio is kept, marked needs_listening. A recording that is not understood
 * gets "sorry" and the question again, spoken or keyed, once (stored as
 * the step's answer, marked "reask", so a retry and a restart know it); a
 * second one not understood goes to the flow as an empty answer (Other).
 * A recording that cannot be fetched or decoded, or a full recogniser,
 * gets "sorry" and the question again, to be answered on the keypad. A
 * heard answer's audio is sealed and stored beside the result it went to
 * (recording.h); once that step is committed (or the child said STOP)
 * the provider's copy is deleted when the channel says so (drop). The
 * words of STOP in the call's language are heard with every closed set,
 * and a spoken STOP opts out as a typed one does. Hearing that takes longer
 * than a few seconds answers the held request with a short pause and a redirect
 * to POST /c/NAME/voice/poll?n=N, which answers when the flow has moved on
 * (held again meanwhile); after a few polls the question is asked again.
 * Hearing is on when the context has fetch, rec and base (voicewire.c:
 * fetch_get() under the channel's media policy, voicerec_new() on an ASR
 * pool); without them every recording alone is asked again on the keypad.
 *
 * Threads. voice_route() and the done callbacks run on the event loop;
 * the store jobs on the store's writer thread read only the context,
 * which is read-only while jobs run (but for parked, the loop's own).
 */
#ifndef SK_VOICE_H
#define SK_VOICE_H

#include <stddef.h>

#include "fetch.h"

struct channel_type;
struct config;
struct evhttp_request;
struct http_server;
struct inbound_ctx;
struct metrics;
struct privacy;
struct store;
struct voicerec;
struct voice_job;

/* What voice calls run with; set up before the loop runs and kept until
 * every job submitted has reported back. */
struct voice_ctx {
    const struct config *cfg;
    const struct channel_type *const *types; /* by config index */
    const struct inbound_ctx *inbound;       /* what inbound jobs read */
    struct http_server *http;
    struct metrics *metrics;
    struct store *store;
    struct privacy *priv;
    /* The owner's count of store jobs in flight (see dlr.h). */
    int *pending;
    void (*settled)(void *arg);
    void *settled_arg;
    /* Hearing recordings: fetch starts fetching url, a recording of
     * channel ch, reporting to done (0, or SK_EINVAL when the URL is
     * refused, SK_EBUSY, SK_ENOMEM: then done is never called); rec
     * decodes and transcribes it; base runs the hold timers. With fetch
     * or rec NULL, recordings are not heard. */
    int (*fetch)(void *fetch_arg, size_t ch, const char *url,
                 fetch_done_fn done, void *arg);
    void *fetch_arg;
    /* Deleting the provider's copy of recording url of channel ch once
     * the step that heard it is committed (voicewire.c, by the channel's
     * delete_recordings); called with fetch_arg, it retries and logs by
     * itself. NULL: recordings are left at the provider. */
    void (*drop)(void *fetch_arg, size_t ch, const char *url);
    struct voicerec *rec;
    struct event_base *base;
    /* voice.c's own: steps whose answer the provider polls for */
    struct voice_job *parked;
};

/* The "voice" and "voice/" routes (an http_route_fn; arg is the struct
 * voice_ctx): sends exactly one reply to req, now or after the store job. */
void voice_route(void *arg, struct evhttp_request *req, size_t ch, double t0);

#endif
