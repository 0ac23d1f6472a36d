/*
 * metrics.h - the gateway's counters and its request-duration histogram,
 * rendered in the Prometheus text exposition format for GET /metrics.
 *
 * Counters are indexed by channel (the position of the channel in the
 * config). Updated and rendered on the event loop thread only.
 */
#ifndef SK_METRICS_H
#define SK_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kinds of errors counted in sikiliza_errors_total{channel,kind}. */
enum metrics_error {
    METRICS_ERR_BAD_REQUEST, /* "bad_request": 400 */
    METRICS_ERR_DENIED,      /* "denied": wrong secret or signature */
    METRICS_ERR_BUSY,        /* "busy": store queue full, shutting down */
    METRICS_ERR_STORE,       /* "store": the transaction failed */
    METRICS_ERR_ENGINE,      /* "engine": a flow step failed */
    METRICS_ERR_INTERNAL,    /* "internal": out of memory and such */
    METRICS_ERR_SEND,        /* "send": an outbox message was not taken */
    METRICS_ERR_COUNT
};

struct metrics;

/* names[0..n) are the channel names (copied). NULL when out of memory. */
struct metrics *metrics_new(const char *const *names, size_t n);
void metrics_free(struct metrics *m); /* NULL is a no-op */

/* ch is a channel index; out-of-range indexes are ignored. */
void metrics_message_in(struct metrics *m, size_t ch);
void metrics_messages_out(struct metrics *m, size_t ch, uint64_t n);
void metrics_error(struct metrics *m, size_t ch, enum metrics_error kind);
/* n messages were not sent because of a cap (an enum caps_kind, caps.h):
 * sikiliza_messages_capped_total{channel,cap}. */
void metrics_capped(struct metrics *m, size_t ch, int cap, uint64_t n);
/* The store's scrub after an erasure or a purge (store_scrub_pending()):
 * whether it waits for a reader now, and how many times it had to. */
void metrics_store_scrub(struct metrics *m, bool pending, uint64_t waits);
/* One HTTP request took seconds, from its arrival to its reply. */
void metrics_observe_request(struct metrics *m, double seconds);

/* The Prometheus text of all metrics: malloc'd, NULL when out of memory.
 * store_commits is the store's group COMMIT count so far. */
char *metrics_render(const struct metrics *m, uint64_t store_commits);

#endif
