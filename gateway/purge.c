/*
 * purge.c - the retention policy (see purge.h): the store job that
 * applies it, and the daily timer of `serve`.
 *
 * The cut-offs are now minus retention_days for answers, messages,
 * sessions and outbox rows, and now minus vault_days for reply addresses
 * (an entry expired before that is deleted by the sweep already). What
 * went is written to the audit log as counts, never as keys, and the
 * writer scrubs the file and the WAL after the COMMIT (store_purge()).
 *
 * The timer fires PURGE_FIRST_S after start, so a gateway that restarts
 * often still purges, then every day. A run in flight is never doubled:
 * the next tick waits for it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "purge.h"
#include "wallclock.h"

#define PURGE_FIRST_S 5

void
purge_counts_text(const struct store_purge_counts *n, char *buf, size_t len)
{
    snprintf(buf, len,
             "results=%lld inbound=%lld contacts=%lld outbox=%lld "
             "vault=%lld recordings=%lld alerts=%lld",
             (long long)n->results, (long long)n->inbound,
             (long long)n->contacts, (long long)n->outbox, (long long)n->vault,
             (long long)n->recordings, (long long)n->alerts);
}

int
purge_run(struct store_tx *tx, void *arg)
{
    struct purge_job *job = arg;
    const struct config *cfg = job->cfg;
    int64_t before = job->now_ms - (int64_t)cfg->retention_days * PURGE_DAY_MS;
    int64_t vault_before =
        job->now_ms - (int64_t)cfg->vault_days * PURGE_DAY_MS;
    char subject[64], counts[256];
    int64_t id;
    int rc;

    rc = store_purge(tx, before, vault_before, job->now_ms, &job->n);
    if (rc != 0)
        return rc;
    snprintf(subject, sizeof(subject), "retention_days=%d vault_days=%d",
             cfg->retention_days, cfg->vault_days);
    purge_counts_text(&job->n, counts, sizeof(counts));
    id = store_audit_add(tx, job->now_ms, job->actor, "purge", subject, counts);
    return id < 0 ? (int)id : 0;
}

/* --- the daily timer (event loop thread) --------------------------------- */

struct purge_timer {
    struct event *ev;
    struct store *st;
    const struct config *cfg;
    int *pending;
    void (*settled)(void *arg);
    void *arg;
    bool running; /* a job is in flight */
    bool stopped;
    struct purge_job job;
};

static int
purge_timer_run(struct store_tx *tx, void *arg)
{
    struct purge_timer *pt = arg;

    return purge_run(tx, &pt->job);
}

static void
purge_done(void *arg, int rc)
{
    struct purge_timer *pt = arg;
    char counts[256];

    pt->running = false;
    (*pt->pending)--;
    if (rc != 0) {
        sk_log(LOG_WARNING, "purge", "failed: %s", sk_strerror(rc));
    } else {
        purge_counts_text(&pt->job.n, counts, sizeof(counts));
        sk_log(LOG_INFO, "purge", "retention_days=%d vault_days=%d %s",
               pt->cfg->retention_days, pt->cfg->vault_days, counts);
    }
    pt->settled(pt->arg);
}

static void
purge_tick(evutil_socket_t fd, short what, void *arg)
{
    struct purge_timer *pt = arg;
    struct timeval day = {PURGE_DAY_MS / 1000, 0}, retry = {60, 0};

    (void)fd;
    (void)what;
    if (pt->stopped)
        return;
    if (pt->running) { /* the last one is still running: soon again */
        event_add(pt->ev, &retry);
        return;
    }
    pt->job.cfg = pt->cfg;
    pt->job.now_ms = wallclock_ms();
    pt->job.actor = "serve";
    if (store_submit(pt->st, purge_timer_run, purge_done, pt) != 0) {
        sk_log(LOG_WARNING, "purge", "store busy: trying again in %lds",
               (long)retry.tv_sec);
        event_add(pt->ev, &retry);
        return;
    }
    pt->running = true;
    (*pt->pending)++;
    event_add(pt->ev, &day);
}

struct purge_timer *
purge_timer_new(struct event_base *base, struct store *st,
                const struct config *cfg, int *pending,
                void (*settled)(void *arg), void *arg)
{
    struct purge_timer *pt = calloc(1, sizeof(*pt));
    struct timeval first = {PURGE_FIRST_S, 0};

    if (pt == NULL)
        return NULL;
    pt->st = st;
    pt->cfg = cfg;
    pt->pending = pending;
    pt->settled = settled;
    pt->arg = arg;
    pt->ev = event_new(base, -1, 0, purge_tick, pt);
    if (pt->ev == NULL || event_add(pt->ev, &first) != 0) {
        purge_timer_free(pt);
        return NULL;
    }
    return pt;
}

void
purge_timer_stop(struct purge_timer *pt)
{
    if (pt == NULL)
        return;
    pt->stopped = true;
    event_del(pt->ev);
}

void
purge_timer_free(struct purge_timer *pt)
{
    if (pt == NULL)
        return;
    if (pt->ev != NULL)
        event_free(pt->ev);
    free(pt);
}
