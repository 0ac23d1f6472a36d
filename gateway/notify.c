/*
 * notify.c - the alert webhook (see notify.h).
 *
 * Design. A small driver beside the outbox, built from the same parts:
 * the store for state, httpc for requests, the outbox's classifier
 * (outbox_default_result) and backoff (outbox_retry_delay). Everything
 * runs on the loop thread except the job functions (nt_*_job), which run
 * on the store's writer thread and touch only their own job struct.
 *
 * A persistent evtimer (or notify_kick()) submits one claim job at a time
 * when an alert may be due: the claim job, on its first run, turns
 * alerts left 'sending' into pending ones, then takes at most
 * NOTIFY_BATCH due alerts, marks them 'sending' with attempts + 1 and
 * asks for the next due time of those still pending. Only after that
 * COMMIT, in its done callback, are the requests started. Each answer is
 * written back by one job: 'notified', or pending again at now + backoff.
 * The timer claims again when the earliest due time has come, so an idle
 * gateway asks the store nothing; a new alert kicks it at once.
 *
 * Shutdown: notify_stop() ends claiming and sending; store_close() then
 * runs the jobs still queued (their done callbacks send nothing once
 * stopped), and notify_free() cancels requests in flight, whose alerts
 * stay 'sending' and are recovered at the next start.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "config.h"
#include "httpc.h"
#include "log.h"
#include "notify.h"
#include "outbox.h"
#include "store.h"
#include "wallclock.h"

struct notify {
    struct event_base *base;
    struct store *st;
    struct httpc *h;
    struct event *timer;
    char *url;
    struct notify_opts o;
    bool claiming;    /* a claim job is queued or running */
    bool recovered;   /* 'sending' alerts of an earlier run are pending */
    bool stopped;     /* notify_stop(): nothing more is claimed or sent */
    int64_t next_due; /* unix ms to claim at; -1: nothing pending */
    uint64_t rng;     /* jitter */
    uint64_t delivered;
};

/* One claimed alert, from the claim to its write-back. */
struct nt_alert {
    struct notify *n;
    int64_t id, created_at, next_at;
    int attempts;
    const char *to; /* the status written back */
    char contact[9], channel[64], language[8], category[32];
};

struct nt_claim {
    struct notify *n;
    bool recover;
    int64_t now, next_due;
    size_t count;
    struct nt_alert *v[NOTIFY_BATCH];
};

/* xorshift64*: jitter only, no secrecy needed. */
static double
nt_random(struct notify *n)
{
    uint64_t x = n->rng;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    n->rng = x;
    return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

/* Earlier of the due time known and at (-1: none). */
static void
nt_due_at(struct notify *n, int64_t at)
{
    if (at >= 0 && (n->next_due < 0 || at < n->next_due))
        n->next_due = at;
}

/* --- write-back ---------------------------------------------------------- */

static int
nt_wb_job(struct store_tx *tx, void *arg)
{
    struct nt_alert *a = arg;
    int rc = store_alert_move(tx, a->id, "sending", a->to, 0, a->next_at,
                              wallclock_ms());

    return rc < 0 ? rc : 0;
}

static void
nt_wb_done(void *arg, int rc)
{
    struct nt_alert *a = arg;
    struct notify *n = a->n;

    if (rc != 0) {
        /* it stays 'sending': the next claim recovers it */
        sk_log(LOG_ERR, "notify", "alert=%" PRId64 " write-back failed: %s",
               a->id, sk_strerror(rc));
        n->recovered = false;
        nt_due_at(n, wallclock_ms());
    } else if (strcmp(a->to, "pending") == 0) {
        nt_due_at(n, a->next_at);
    }
    free(a);
}

static void
nt_writeback(struct nt_alert *a, const char *to, int64_t next_at)
{
    struct notify *n = a->n;

    a->to = to;
    a->next_at = next_at;
    if (n->stopped || store_submit(n->st, nt_wb_job, nt_wb_done, a) != 0) {
        /* stays 'sending', sent again at the next start or claim */
        n->recovered = false;
        free(a);
    }
}

/* --- sending ------------------------------------------------------------- */

static void
nt_retry(struct nt_alert *a, int64_t retry_after_ms, const char *why,
         int status)
{
    struct notify *n = a->n;
    int64_t delay =
        outbox_retry_delay(n->o.backoff_base_ms, n->o.backoff_max_ms,
                           a->attempts, retry_after_ms, nt_random(n));

    sk_log(LOG_WARNING, "notify",
           "alert=%" PRId64 " not delivered (%s, status %d, attempt %d): "
           "again in %" PRId64 " ms",
           a->id, why, status, a->attempts, delay);
    nt_writeback(a, "pending", wallclock_ms() + delay);
}

static void
nt_send_done(void *arg, const struct httpc_resp *resp)
{
    struct nt_alert *a = arg;
    struct notify *n = a->n;
    struct outbox_result res;

    if (n->stopped) {
        free(a); /* stays 'sending': recovered at the next start */
        return;
    }
    memset(&res, 0, sizeof(res));
    res.retry_after_ms = -1;
    outbox_default_result(NULL, "alerts", resp, &res);
    if (res.verdict == OUTBOX_SENT) {
        n->delivered++;
        sk_log(LOG_INFO, "notify",
               "alert=%" PRId64 " notified (status %d, attempt %d)", a->id,
               resp->status, a->attempts);
        nt_writeback(a, "notified", -1);
    } else {
        /* a refusal may be a receiver being set up: never give up */
        nt_retry(a, res.retry_after_ms, res.reason, resp->status);
    }
}

/* The JSON body of a (malloc'd), or NULL. */
static char *
nt_body(const struct nt_alert *a)
{
    time_t t = (time_t)(a->created_at / 1000);
    struct tm tm;
    char when[32] = "";
    json_t *o;
    char *s;

    if (gmtime_r(&t, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    o = json_pack("{s:I,s:s,s:s?,s:s,s:s,s:s}", "alert_id", (json_int_t)a->id,
                  "contact", a->contact, "language",
                  a->language[0] != '\0' ? a->language : NULL, "category",
                  a->category, "time", when, "channel", a->channel);
    s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

static void
nt_send(struct nt_alert *a)
{
    static const char *const headers[] = {"Content-Type: application/json"};
    struct notify *n = a->n;
    struct httpc_req req;
    char *body = nt_body(a);
    int rc = SK_ENOMEM;

    if (body != NULL) {
        memset(&req, 0, sizeof(req));
        req.method = "POST";
        req.url = n->url;
        req.headers = headers;
        req.n_headers = 1;
        req.body = body;
        req.body_len = strlen(body);
        req.timeout_ms = n->o.timeout_ms;
        rc = httpc_request(n->h, &req, nt_send_done, a);
        free(body);
    }
    if (rc != 0)
        nt_retry(a, -1, sk_strerror(rc), 0);
}

/* --- claiming ------------------------------------------------------------ */

static int
nt_collect(void *arg, const struct store_alert_row *row)
{
    struct nt_claim *cl = arg;
    struct nt_alert *a;

    if (cl->count == NOTIFY_BATCH)
        return 0;
    if ((a = calloc(1, sizeof(*a))) == NULL)
        return SK_ENOMEM;
    a->n = cl->n;
    a->id = row->id;
    a->created_at = row->created_at;
    a->attempts = row->attempts + 1;
    snprintf(a->contact, sizeof(a->contact), "%.8s",
             row->contact_key != NULL ? row->contact_key : "");
    snprintf(a->channel, sizeof(a->channel), "%s",
             row->channel != NULL ? row->channel : "");
    snprintf(a->language, sizeof(a->language), "%s",
             row->language != NULL ? row->language : "");
    snprintf(a->category, sizeof(a->category), "%s",
             row->category != NULL ? row->category : "");
    cl->v[cl->count++] = a;
    return 0;
}

static void
nt_claim_clear(struct nt_claim *cl)
{
    for (size_t i = 0; i < cl->count; i++)
        free(cl->v[i]);
    cl->count = 0;
}

static int
nt_claim_job(struct store_tx *tx, void *arg)
{
    struct nt_claim *cl = arg;
    int rc;

    if (cl->recover && (rc = store_alert_recover(tx, cl->now)) < 0)
        return rc;
    if ((rc = store_alert_due(tx, cl->now, NOTIFY_BATCH, nt_collect, cl)) != 0)
        goto fail;
    for (size_t i = 0; i < cl->count; i++) {
        rc = store_alert_move(tx, cl->v[i]->id, "pending", "sending", 1, -1,
                              cl->now);
        if (rc < 0)
            goto fail;
    }
    if ((rc = store_alert_next_due(tx, &cl->next_due)) != 0)
        goto fail;
    return 0;
fail:
    nt_claim_clear(cl); /* rolled back: nothing was claimed */
    return rc;
}

static void
nt_claim_done(void *arg, int rc)
{
    struct nt_claim *cl = arg;
    struct notify *n = cl->n;

    n->claiming = false;
    if (rc != 0) {
        sk_log(LOG_ERR, "notify", "claim failed: %s", sk_strerror(rc));
        nt_claim_clear(cl);
        nt_due_at(n, wallclock_ms() + n->o.poll_ms);
    } else {
        if (cl->recover)
            n->recovered = true;
        n->next_due = cl->next_due;
    }
    for (size_t i = 0; i < cl->count; i++) {
        if (n->stopped)
            free(cl->v[i]); /* stays 'sending': sent at the next start */
        else
            nt_send(cl->v[i]);
    }
    free(cl);
}

static void
nt_claim(struct notify *n)
{
    struct nt_claim *cl;

    if (n->stopped || n->claiming)
        return;
    if ((cl = calloc(1, sizeof(*cl))) == NULL)
        return; /* the next tick tries again */
    cl->n = n;
    cl->recover = !n->recovered;
    cl->now = wallclock_ms();
    cl->next_due = -1;
    if (store_submit(n->st, nt_claim_job, nt_claim_done, cl) != 0) {
        free(cl); /* store busy: the next tick */
        return;
    }
    n->claiming = true;
}

static void
nt_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct notify *n = arg;

    (void)fd;
    (void)what;
    if (n->next_due >= 0 && wallclock_ms() >= n->next_due)
        nt_claim(n);
}

/* --- public -------------------------------------------------------------- */

struct notify *
notify_new(struct event_base *base, struct store *st,
           const struct notify_opts *opts, char err[SK_ERR_LEN])
{
    struct notify *n;
    struct timeval tv;

    if (base == NULL || st == NULL || opts == NULL || opts->url == NULL) {
        sk_seterr(err, "notify: no event base, store or url");
        return NULL;
    }
    if ((n = calloc(1, sizeof(*n))) == NULL ||
        (n->url = strdup(opts->url)) == NULL) {
        free(n);
        sk_seterr(err, "notify: out of memory");
        return NULL;
    }
    n->base = base;
    n->st = st;
    n->o = *opts;
    n->o.url = n->url;
    if (n->o.poll_ms <= 0)
        n->o.poll_ms = 500;
    if (n->o.backoff_base_ms <= 0)
        n->o.backoff_base_ms = 5000;
    if (n->o.backoff_max_ms < n->o.backoff_base_ms)
        n->o.backoff_max_ms =
            n->o.backoff_base_ms > 3600000 ? n->o.backoff_base_ms : 3600000;
    if (n->o.timeout_ms <= 0)
        n->o.timeout_ms = HTTPC_DEFAULT_TIMEOUT_MS;
    n->next_due = 0; /* look at once: alerts of an earlier run */
    if (getrandom(&n->rng, sizeof(n->rng), GRND_NONBLOCK) !=
        (ssize_t)sizeof(n->rng))
        n->rng = (uint64_t)wallclock_ms() ^ (uint64_t)(uintptr_t)n;
    n->rng |= 1;
    if ((n->h = httpc_new(base, NOTIFY_BATCH, err)) == NULL)
        goto fail;
    n->timer = event_new(base, -1, EV_PERSIST, nt_tick_cb, n);
    tv.tv_sec = n->o.poll_ms / 1000;
    tv.tv_usec = (n->o.poll_ms % 1000) * 1000;
    if (n->timer == NULL || event_add(n->timer, &tv) != 0) {
        sk_seterr(err, "notify: cannot make the timer");
        goto fail;
    }
    return n;
fail:
    notify_free(n);
    return NULL;
}

struct notify *
notify_from_config(const struct config *cfg, struct event_base *base,
                   struct store *st, char err[SK_ERR_LEN])
{
    struct notify_opts o = {
        .url = cfg->sg_notify_url,
        .poll_ms = cfg->outbox_poll_ms,
        .backoff_base_ms = cfg->outbox_backoff_base_ms,
        .backoff_max_ms = cfg->outbox_backoff_max_ms,
        .timeout_ms = cfg->outbox_timeout_ms,
    };

    if (!cfg->sg_enabled || cfg->sg_notify_url == NULL)
        return NULL;
    return notify_new(base, st, &o, err);
}

void
notify_kick(struct notify *n)
{
    if (n == NULL)
        return;
    n->next_due = 0;
    nt_claim(n);
}

void
notify_stop(struct notify *n)
{
    if (n == NULL)
        return;
    n->stopped = true;
    if (n->timer != NULL)
        event_del(n->timer);
}

void
notify_free(struct notify *n)
{
    if (n == NULL)
        return;
    notify_stop(n);
    httpc_free(n->h); /* in-flight callbacks see stopped and free */
    if (n->timer != NULL)
        event_free(n->timer);
    free(n->url);
    free(n);
}

uint64_t
notify_delivered(const struct notify *n)
{
    return n != NULL ? n->delivered : 0;
}
