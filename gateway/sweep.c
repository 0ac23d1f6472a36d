/*
 * sweep.c - the store step of the timeout sweep (see sweep.h): resumes
 * every due session with FLOW_RESUME_TIMEOUT or FLOW_RESUME_EXPIRE and
 * puts what those runs send into the outbox, then deletes expired reply
 * addresses. It runs on the store's writer thread and reads only the
 * inbound context, as the inbound step does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "caps.h"
#include "flow.h"
#include "inbound.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "safeguard.h"
#include "store.h"
#include "sweep.h"

#define VAULT_PURGE_LIMIT 256 /* expired vault rows per sweep */

/* The config index of channel name, or SIZE_MAX. */
static size_t
channel_index(const struct inbound_ctx *ctx, const char *name)
{
    size_t i;

    for (i = 0; name != NULL && i < ctx->cfg->n_channels; i++)
        if (strcmp(ctx->cfg->channels[i].name, name) == 0)
            return i;
    return SIZE_MAX;
}

static void
sweep_collect(void *arg, const char *key)
{
    struct sweep_job *job = arg;

    if (job->n < SWEEP_LIMIT && strlen(key) < PRIVACY_KEY_HEX)
        strcpy(job->keys[job->n++], key);
}

/* Resumes one due contact. Store errors are returned; engine errors are
 * logged and the contact's wait cleared, so it is not retried forever. */
static int
sweep_contact(struct store_tx *tx, struct sweep_job *job, const char *key,
              int64_t now)
{
    const struct inbound_ctx *ctx = job->ctx;
    struct store_contact c;
    struct flow_session *s = NULL;
    const struct flow *waiting = NULL;
    struct inbound_origin origin;
    json_t *events = NULL, *texts = NULL;
    char err[SK_ERR_LEN] = "";
    size_t i, dropped = 0, ch;
    int rc;

    memset(&c, 0, sizeof(c));
    rc = store_contact_get(tx, key, &c);
    if (rc == SK_ENOENT)
        return 0;
    if (rc != 0)
        return rc;
    if (c.session != NULL)
        s = flow_session_load(c.session, err);
    if (s != NULL && inbound_session_env(ctx, s) != 0) {
        rc = SK_ENOMEM;
        goto out;
    }
    if (s == NULL || c.opted_out || flow_session_status(s) != FLOW_WAITING) {
        /* nothing to resume: clear the wait so it is not due again */
        c.timeout_at = c.expires_at = 0;
        rc = store_contact_put(tx, key, &c);
        goto out;
    }
    {
        struct flow_resume r = {FLOW_RESUME_TIMEOUT, NULL};
        const char *id = flow_session_flow(s);

        if (c.expires_at != 0 && c.expires_at <= now)
            r.type = FLOW_RESUME_EXPIRE;
        waiting = id != NULL ? flow_set_find(ctx->flows, id) : NULL;
        events = json_array();
        texts = json_array();
        if (events == NULL || texts == NULL) {
            rc = SK_ENOMEM;
            goto out;
        }
        rc = flow_resume(ctx->flows, s, &r, now, events, err);
    }
    if (rc == SK_ENOMEM)
        goto out;
    if (rc != 0) {
        sk_log(LOG_WARNING, "sweep", "contact=%.8s resume failed: %s", key,
               sk_strerror(rc));
        c.timeout_at = c.expires_at = 0;
        rc = store_contact_put(tx, key, &c);
        goto out;
    }
    ch = channel_index(ctx, c.channel);
    origin.language = flow_session_language(s);
    origin.channel_type =
        ch < CONFIG_MAX_CHANNELS ? ctx->cfg->channels[ch].type : NULL;
    rc = inbound_record_events_as(
        tx, ctx, key, &origin, events, waiting, now, texts,
        (size_t)ctx->cfg->max_replies_per_inbound, &dropped);
    if (rc == 0 && dropped > 0) {
        sk_log(LOG_WARNING, "caps",
               "channel=%s contact=%.8s dropped=%zu cap=%s (%d an inbound)",
               c.channel != NULL ? c.channel : "-", key, dropped,
               caps_name(CAPS_PER_INBOUND), ctx->cfg->max_replies_per_inbound);
        if (ch < CONFIG_MAX_CHANNELS)
            job->capped[ch][CAPS_PER_INBOUND] += dropped;
    }
    if (rc == 0 && ch < CONFIG_MAX_CHANNELS)
        rc = caps_apply_safe(ctx->caps, tx, ch, key, texts, now,
                             safeguard_referral_run(ctx->safeguard, s),
                             flow_set_global(ctx->flows, "helpline"),
                             job->capped[ch]);
    for (i = 0; rc == 0 && i < json_array_size(texts); i++) {
        if (c.channel == NULL)
            break;
        rc = store_outbox_put(tx, c.channel, key,
                              json_string_value(json_array_get(texts, i)), now,
                              NULL);
    }
    if (rc == 0)
        rc = inbound_save_contact(tx, ctx, key, &c, s, NULL, now, false);
    if (rc == 0)
        job->resumed++;
out:
    json_decref(events);
    json_decref(texts);
    flow_session_free(s);
    store_contact_clear(&c);
    return rc;
}

int
sweep_run(struct store_tx *tx, void *arg)
{
    struct sweep_job *job = arg;
    int64_t now = inbound_now(job->ctx);
    int i, rc;

    rc = store_due(tx, now, SWEEP_LIMIT, sweep_collect, job);
    if (rc < 0)
        return rc;
    for (i = 0; i < job->n; i++)
        if ((rc = sweep_contact(tx, job, job->keys[i], now)) != 0)
            return rc;
    /* A reply address is kept vault_days after the last contact, no
     * longer: expired entries are deleted, not just left unread. */
    rc = store_vault_purge(tx, now, VAULT_PURGE_LIMIT);
    if (rc < 0)
        return rc;
    job->purged = rc;
    return 0;
}

/* --- the timer (event loop thread) ------------------------------------- */

struct sweep_timer {
    struct event *ev;
    struct sweep_deps d;
    bool sweeping; /* a sweep job is queued or running */
    bool stopped;
};

/* A sweep job with the timer its done callback reports to. */
struct sweep_run_job {
    struct sweep_job sw;
    struct sweep_timer *t;
};

static int
sweep_timer_run(struct store_tx *tx, void *arg)
{
    struct sweep_run_job *rj = arg;

    return sweep_run(tx, &rj->sw);
}

static void
sweep_timer_done(void *arg, int rc)
{
    struct sweep_run_job *rj = arg;
    struct sweep_job *job = &rj->sw;
    struct sweep_timer *t = rj->t;

    (*t->d.pending)--;
    t->sweeping = false;
    for (size_t ch = 0; rc == 0 && ch < t->d.n_channels; ch++)
        for (int k = 0; k < CAPS_COUNT; k++)
            metrics_capped(t->d.metrics, ch, k, job->capped[ch][k]);
    if (rc != 0)
        sk_log(LOG_WARNING, "sweep", "failed: %s", sk_strerror(rc));
    else if (job->resumed > 0 || job->purged > 0)
        sk_log(LOG_INFO, "sweep", "resumed=%d expired_addresses=%d",
               job->resumed, job->purged);
    free(rj);
    if (t->d.settled != NULL)
        t->d.settled(t->d.arg);
}

static void
sweep_timer_tick(evutil_socket_t fd, short what, void *arg)
{
    struct sweep_timer *t = arg;
    struct sweep_run_job *rj;

    (void)fd;
    (void)what;
    if (t->stopped)
        return;
    outbox_kick(t->d.outbox);
    if (t->sweeping || (rj = calloc(1, sizeof(*rj))) == NULL)
        return;
    rj->sw.ctx = t->d.ctx;
    rj->t = t;
    if (store_submit(t->d.store, sweep_timer_run, sweep_timer_done, rj) != 0) {
        free(rj); /* busy: try on the next tick */
        return;
    }
    t->sweeping = true;
    (*t->d.pending)++;
}

struct sweep_timer *
sweep_timer_new(struct event_base *base, const struct sweep_deps *deps)
{
    struct sweep_timer *t = calloc(1, sizeof(*t));
    struct timeval second = {1, 0};

    if (t == NULL)
        return NULL;
    t->d = *deps;
    t->ev = event_new(base, -1, EV_PERSIST, sweep_timer_tick, t);
    if (t->ev == NULL || event_add(t->ev, &second) != 0) {
        sweep_timer_free(t);
        return NULL;
    }
    return t;
}

void
sweep_timer_stop(struct sweep_timer *t)
{
    if (t == NULL)
        return;
    t->stopped = true;
    event_del(t->ev);
}

void
sweep_timer_free(struct sweep_timer *t)
{
    if (t == NULL)
        return;
    if (t->ev != NULL)
        event_free(t->ev);
    free(t);
}
