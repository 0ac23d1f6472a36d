/*
 * dlr.h - delivery reports: POST /c/NAME/status. The channel type checks
 * the secret or signature and parses the report; a final report (sent,
 * delivered, failed) is written to the message's outbox row by a store
 * job, and the provider gets 200 "{}" only after that COMMIT (also when
 * the report names no row we know, or the provider would retry it for
 * ever). An interim report, a type without a report parser or a service
 * without an outbox is acknowledged at once with nothing stored. A report
 * the store cannot take yet gets 503 "busy, try again", so the provider
 * sends it again.
 *
 * Threads. dlr_status() and the job's done callback run on the event
 * loop (main) thread; the store job itself is outbox.c's, on the writer
 * thread, and reads nothing of the context.
 */
#ifndef SK_DLR_H
#define SK_DLR_H

#include <stddef.h>

struct channel_type;
struct config;
struct evhttp_request;
struct http_server;
struct metrics;
struct outbox;

/* What delivery reports run with; set up before the loop runs and kept
 * until every job submitted has reported back. */
struct dlr_ctx {
    const struct config *cfg;                /* the channels, by index */
    const struct channel_type *const *types; /* by config index */
    struct http_server *http;                /* replies go through it */
    struct metrics *metrics;                 /* errors by channel */
    struct outbox *outbox; /* NULL: final reports are not stored */
    /* The owner's count of store jobs in flight: one more for each job
     * submitted, one less as its reply is sent, after which
     * settled(settled_arg) is called (e.g. to end the loop when stopping). */
    int *pending;
    void (*settled)(void *arg);
    void *settled_arg;
};

/* The "status" route (an http_route_fn; arg is the struct dlr_ctx): sends
 * exactly one reply to req, now or after the store job. */
void dlr_status(void *arg, struct evhttp_request *req, size_t ch, double t0);

#endif
