/*
 * outbox.h - the persistent send queue (the store's outbox table).
 *
 * Messages to send later are rows put with store_outbox_put() inside
 * whatever store job produced them; the outbox sends them through each
 * channel's provider API, at most once per attempt, with retries.
 *
 * A row goes queued -> sending -> sent -> delivered (or failed). Rows
 * are claimed by a store job that marks them 'sending' and counts the
 * attempt in a committed transaction BEFORE any request is made; only
 * then is the reply address read from the vault (cleared after the
 * request is built) and the request started. So a crash after the
 * provider accepted a message never sends it twice: at start-up, rows
 * still 'sending' become 'failed' (logged as "unknown after restart"),
 * unless their channel declares idempotent sends, in which case they are
 * queued again. The result is written back by another store job.
 *
 * Retry policy of outbox_default_result(): 2xx sent; 408, 429, 5xx and
 * transport errors (timeout, connect, ...) retry; other statuses fail.
 * A retry waits backoff_base_ms * 2^(attempts-1), capped at
 * backoff_max_ms, +-20% jitter, and at least the provider's Retry-After.
 * After max_attempts attempts the row fails.
 *
 * Loop thread only, except outbox_delivery_tx() (inside a store job) and
 * outbox_default_result() (pure). Logs show the row id, the channel and
 * the first 8 hex digits of the contact key; never address or text.
 */
#ifndef SK_OUTBOX_H
#define SK_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "httpc.h"
#include "outbox_types.h"
#include "store.h"

#define OUTBOX_MAX_CHANNELS 32

struct event_base;
struct privacy;
struct outbox;

enum outbox_verdict { OUTBOX_SENT, OUTBOX_RETRY, OUTBOX_FAILED };

struct outbox_opts {         /* a zero field takes the default */
    int max_parallel;        /* rows being sent at once; 8 */
    int max_attempts;        /* then failed; 6 */
    int poll_ms;             /* look for due rows this often; 500 */
    int64_t backoff_base_ms; /* first retry delay; 5000 */
    int64_t backoff_max_ms;  /* longest retry delay; 3600000 */
    /* Optional, on the loop, once a row's outcome has committed: one
     * attempt was sent, will be retried, or the row failed for good. */
    void (*report)(void *arg, const char *channel, enum outbox_verdict v);
    void *report_arg;
};

/* What a classifier decides about one provider response. */
struct outbox_result {
    enum outbox_verdict verdict;
    char external_id[OUTBOX_EXTID_MAX]; /* provider's id, "" when none */
    int64_t retry_after_ms;             /* -1: the backoff alone */
    const char *reason;                 /* static text for the log */
};

struct outbox_channel {
    const char *name;          /* the channel name in outbox rows; copied */
    outbox_build_fn build;     /* required */
    outbox_release_fn release; /* NULL: nothing to free */
    outbox_result_fn result;   /* NULL: outbox_default_result */
    void *arg;                 /* for the three callbacks */
    bool idempotent; /* the provider dedupes resends of a row (e.g. by the
                      * row id): 'sending' rows are requeued at start-up */
};

/* Per-channel counters since outbox_new(), for metrics. */
struct outbox_stats {
    uint64_t sent;        /* accepted by the provider */
    uint64_t retried;     /* attempts that will be retried */
    uint64_t failed;      /* rows that gave up */
    uint64_t delivered;   /* delivery reports: delivered */
    uint64_t undelivered; /* delivery reports: failed */
};

/*
 * Makes an outbox (and its own struct httpc) on base. store must have been
 * opened with the same base; p opens vault entries. Nothing is sent before
 * outbox_start(). NULL with err on failure.
 */
struct outbox *outbox_new(struct event_base *base, struct store *st,
                          const struct privacy *p,
                          const struct outbox_opts *opts, char err[SK_ERR_LEN]);

/* Registers a channel; only before outbox_start(). SK_EEXIST, SK_EINVAL,
 * SK_ELIMIT (more than OUTBOX_MAX_CHANNELS), SK_ESTATE once started. */
int outbox_add_channel(struct outbox *ob, const struct outbox_channel *ch);

/* Recovers rows left 'sending' by an earlier run, then starts polling.
 * Rows of channels not registered stay queued (and are not in the way). */
int outbox_start(struct outbox *ob);

/* Looks for due rows now (call after committing new outbox rows). */
void outbox_kick(struct outbox *ob);

/*
 * Stops sending (outbox_free() does it too): no more claims, requests in
 * flight are cancelled (their rows stay 'sending', so they are never sent
 * twice). It never waits for the store, so the loop may call it while it
 * still serves: a claim whose done callback runs later puts its rows back
 * in the queue, and results the store could not take yet are saved by
 * outbox_free(). Delivery reports are still taken. NULL and a second call
 * are no-ops.
 */
void outbox_stop(struct outbox *ob);

/*
 * Stops (as outbox_stop()) and frees: cancels requests in flight (their rows
 * stay 'sending', so they are never sent twice) and frees. Rows claimed but not
 * yet sent go back to the queue and results not yet saved are saved: for that
 * it may wait for one store commit (store_call()), so call it at shutdown, once
 * the loop has stopped, and before store_close(). Store jobs still pending keep
 * a part of the outbox alive until their done callbacks have run (store_close()
 * runs them). NULL is a no-op.
 */
void outbox_free(struct outbox *ob);

/*
 * A delivery report for the row sent on channel with the provider's
 * external_id: 'sent' becomes 'delivered' or 'failed' ('failed' may also
 * become 'delivered'; other states stay). Returns 0 or SK_ENOENT when no
 * row has that id. The _tx form runs inside a store job; the other
 * submits one and calls done(arg, rc) after the commit (done may be NULL;
 * on a nonzero return it is never called).
 */
int outbox_delivery_tx(struct store_tx *tx, const char *channel,
                       const char *external_id, enum outbox_dlr status,
                       int64_t now_ms);
int outbox_delivery(struct outbox *ob, const char *channel,
                    const char *external_id, enum outbox_dlr status,
                    store_done_fn done, void *arg);

/* The same for providers whose reports carry our row id (e.g. a
 * report URL built with the id given to the builder). A report may then
 * arrive before the result is written back: 'sending' rows change too. */
int outbox_delivery_row_tx(struct store_tx *tx, const char *channel, int64_t id,
                           enum outbox_dlr status, int64_t now_ms);
int outbox_delivery_row(struct outbox *ob, const char *channel, int64_t id,
                        enum outbox_dlr status, store_done_fn done, void *arg);

/* Counters of one channel; SK_ENOENT when it is not registered. */
int outbox_stats(const struct outbox *ob, const char *channel,
                 struct outbox_stats *out);
/* Rows claimed and not yet written back. */
int outbox_in_flight(const struct outbox *ob);

/* The default classifier (see the top of this file). */
void outbox_default_result(void *arg, const char *channel,
                           const struct httpc_resp *resp,
                           struct outbox_result *res);

/* The retry policy's delay (see the top of this file) before retry
 * number attempts (1 after the first failure): base_ms doubled per
 * attempt up to max_ms, times 0.8 + 0.4 * r (r in [0, 1), the jitter),
 * and at least retry_after_ms. Pure; for other queues that retry the
 * same way (safeguarding alerts, notify.h). */
int64_t outbox_retry_delay(int64_t base_ms, int64_t max_ms, int attempts,
                           int64_t retry_after_ms, double r);

/* A release function for a req whose method, url, body, user, password,
 * headers (each and the array) are malloc'd or NULL: wipes the body and
 * password, frees everything, zeroes req. */
void outbox_req_free(void *arg, struct httpc_req *req);

#endif
