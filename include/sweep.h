/*
 * sweep.h - the timeout sweep's store step: every due session (a wait
 * timed out or a run expired) is resumed, what it sends goes to the
 * outbox, and expired reply addresses are deleted.
 *
 * Threads. The sweep timer (sweep_timer_new(), event loop thread) zeroes
 * a job, sets ctx and submits sweep_run() to the store once a second, one
 * job at a time; sweep_run() runs on the writer thread; the timer reads
 * the counts in the done callback, on the loop.
 */
#ifndef SK_SWEEP_H
#define SK_SWEEP_H

#include <stdint.h>

#include "caps.h"
#include "config.h"
#include "privacy.h"

struct event_base;
struct inbound_ctx;
struct metrics;
struct outbox;
struct store;
struct store_tx;

#define SWEEP_LIMIT 64 /* contacts per sweep job */

/* One sweep: the fields after ctx are set by sweep_run(). */
struct sweep_job {
    const struct inbound_ctx *ctx; /* set by the caller */
    char keys[SWEEP_LIMIT][PRIVACY_KEY_HEX];
    int n;
    int resumed;
    int purged; /* expired vault entries deleted */
    /* messages dropped by caps, by channel index */
    uint64_t capped[CONFIG_MAX_CHANNELS][CAPS_COUNT];
};

/* Writer thread, inside a store job (arg is the struct sweep_job): at
 * most SWEEP_LIMIT due contacts. Store errors are returned; engine errors
 * are logged and the contact's wait cleared. */
int sweep_run(struct store_tx *tx, void *arg);

/* --- the timer (event loop thread) ------------------------------------- */

/* What the timer reads; borrowed, alive until sweep_timer_free(). Each
 * tick also kicks the outbox (NULL: none). pending is the owner's count
 * of store jobs in flight: a sweep adds one while it runs, and settled(arg)
 * is called when it has reported back (the owner may stop then). */
struct sweep_deps {
    struct store *store;
    const struct inbound_ctx *ctx;
    struct outbox *outbox;
    struct metrics *metrics;
    size_t n_channels;
    int *pending;
    void (*settled)(void *arg);
    void *arg;
};
struct sweep_timer;

/* Starts the once-a-second sweep on base; NULL when out of memory. */
struct sweep_timer *sweep_timer_new(struct event_base *base,
                                    const struct sweep_deps *deps);
/* No sweep starts after this (one in flight still reports). */
void sweep_timer_stop(struct sweep_timer *t);
/* NULL is a no-op; after the store has run its callbacks. */
void sweep_timer_free(struct sweep_timer *t);

#endif
