/*
 * purge.h - the retention policy: answers, messages, sessions idle past,
 * outbox rows (and recordings) older than [privacy] retention_days, and
 * reply addresses older than vault_days, deleted from the file and its
 * WAL at once (store_purge()), with an audit row (action "purge") that
 * holds counts only.
 *
 * Threads. purge_run() is a store job (writer thread). `sikiliza purge`
 * runs it through store_call(); `serve` through the daily timer made by
 * purge_timer_new(), whose functions all run on the event loop thread.
 */
#ifndef SK_PURGE_H
#define SK_PURGE_H

#include <stdint.h>

#include "store.h"

struct config;
struct event_base;
struct purge_timer;

#define PURGE_DAY_MS 86400000LL

/* One purge: cfg, now_ms and actor are set by the caller, the rest by
 * purge_run(). */
struct purge_job {
    const struct config *cfg; /* retention_days, vault_days */
    int64_t now_ms;           /* Unix ms */
    const char *actor;        /* the audit row's actor: "serve", "cli:USER" */
    struct store_purge_counts n;
};

/* Store job (arg: struct purge_job): applies the policy at now_ms and
 * writes the audit row. 0 or a negative SK_E*. */
int purge_run(struct store_tx *tx, void *arg);

/* "results=N inbound=N contacts=N outbox=N vault=N" into buf. */
void purge_counts_text(const struct store_purge_counts *n, char *buf,
                       size_t len);

/*
 * The daily purge of `serve`: the first a few seconds after start, then
 * every day. Each run is a store job; *pending counts it while it is in
 * flight, and settled(arg) is called once it has reported back (the
 * owner may be stopping). NULL when out of memory.
 */
struct purge_timer *purge_timer_new(struct event_base *base, struct store *st,
                                    const struct config *cfg, int *pending,
                                    void (*settled)(void *arg), void *arg);
/* No more runs; a run in flight still reports back. */
void purge_timer_stop(struct purge_timer *pt);
/* NULL is a no-op. Call it once no run is in flight. */
void purge_timer_free(struct purge_timer *pt);

#endif
