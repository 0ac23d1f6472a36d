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
 * Recordings (the answer to a wait with the audio hint) are not heard yet:
 * a key pressed during the recording is the answer; a recording alone
 * gets "sorry" and the question again, to be answered on the keypad.
 *
 * Threads. voice_route() and the done callbacks run on the event loop;
 * the store jobs on the store's writer thread read only the context,
 * which is read-only while jobs run.
 */
#ifndef SK_VOICE_H
#define SK_VOICE_H

#include <stddef.h>

struct channel_type;
struct config;
struct evhttp_request;
struct http_server;
struct inbound_ctx;
struct metrics;
struct privacy;
struct store;

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
};

/* The "voice" and "voice/" routes (an http_route_fn; arg is the struct
 * voice_ctx): sends exactly one reply to req, now or after the store job. */
void voice_route(void *arg, struct evhttp_request *req, size_t ch, double t0);

#endif
