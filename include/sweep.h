/*
 * sweep.h - the timeout sweep's store step: every due session (a wait
 * timed out or a run expired) is resumed, what it sends goes to the
 * outbox, and expired reply addresses are deleted.
 *
 * Threads. The event loop zeroes a job, sets ctx and submits sweep_run()
 * to the store (once a second, one job at a time); sweep_run() runs on
 * the writer thread; the loop reads the counts in the done callback.
 */
#ifndef SK_SWEEP_H
#define SK_SWEEP_H

#include <stdint.h>

#include "caps.h"
#include "config.h"
#include "privacy.h"

struct inbound_ctx;
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

#endif
