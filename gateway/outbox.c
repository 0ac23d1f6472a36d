/*
 * outbox.c - sends the store's outbox rows through provider APIs.
 *
 * Design. Everything here runs on the loop thread except the job
 * functions (ob_*_job), which run on the store's writer thread and touch
 * only their own job struct and the channel table, read-only once
 * outbox_start() has run.
 *
 * A persistent evtimer (or outbox_kick()) submits one claim job at a time
 * for at most max_parallel - busy rows, and never a row while an earlier
 * row of the same contact and channel is queued or sending (a contact's
 * messages leave one at a time, in order; a retry holds the later ones). The
 * claim job selects due queued rows, fails those without a channel or a vault
 * entry, opens the vault entry of the others and marks them 'sending' with
 * attempts + 1. Its done callback runs after that COMMIT, so only then are
 * requests built and started (through httpc); the clear address is wiped as
 * soon as the request is built. Each response is classified and written back by
 * one write-back job (UPDATE ... WHERE status = 'sending'). A write-back the
 * store cannot take yet (queue full, commit failed) waits in ob->unsaved
 * and is submitted again on the next tick; once stopped, outbox_free()
 * saves it with store_call(), after the loop has stopped: outbox_stop()
 * runs on the loop while it still serves and never waits for the store.
 *
 * A row counts as busy from its claim until its write-back has
 * committed. Cancelled requests (outbox_stop()) write nothing back: the
 * row stays 'sending' and start-up recovery decides, never a resend.
 *
 * The transaction that moves a row to a final state (sent, delivered,
 * failed) also deletes the vault entry of a one-time key (ob_forget()).
 *
 * Store jobs in flight hold ob->jobs; outbox_free() frees at once when
 * there are none, otherwise the last done callback frees.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <time.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "outbox.h"
#include "privacy.h"
#include "wallclock.h"

_Static_assert(OUTBOX_MAX_CHANNELS <= STORE_OUTBOX_MAX_CHANNELS,
               "a claim names every channel");

#define OB_WB_TRIES 3 /* write-back attempts, then give up */

struct ob_chan {
    char *name;
    struct outbox_channel cb; /* cb.name points at name */
    struct outbox_stats stats;
};

struct ob_row {
    TAILQ_ENTRY(ob_row) link;
    struct outbox *ob;
    int64_t id;
    int chan; /* index into ob->chans, -1 when not registered */
    char key[PRIVACY_KEY_HEX];
    char *text;
    char *address; /* clear; wiped by ob_row_free() */
    int attempts;  /* including the one claimed */
    /* the write-back */
    const char *to; /* new status */
    int attempts_delta;
    int64_t next_at;
    char ext_id[OUTBOX_EXTID_MAX];
    int wb_tries;
};
TAILQ_HEAD(ob_row_list, ob_row);

struct outbox {
    struct event_base *base;
    struct store *st;
    const struct privacy *p;
    struct outbox_opts opts;
    struct httpc *h;
    struct event *timer;
    struct ob_chan chans[OUTBOX_MAX_CHANNELS];
    int n_chans;
    struct ob_row_list unsaved; /* write-backs waiting for the store */
    uint64_t rng;
    int busy;     /* rows claimed and not yet written back */
    int jobs;     /* store jobs whose done has not run */
    bool started; /* recovery done */
    bool claiming;
    struct ob_claim *claim; /* the claim job in flight, or NULL */
    bool closing;           /* outbox_stop() has run */
    bool freed;             /* outbox_free() has run: the last job frees */
};

struct ob_claim {
    struct outbox *ob;
    int limit;
    int64_t now;
    int found;                       /* rows selected */
    bool unclaimed;                  /* outbox_free() put its rows back */
    struct ob_row_list rows;         /* claimed, to send */
    int failed[OUTBOX_MAX_CHANNELS]; /* failed by the claim itself */
};

struct ob_dlr {
    struct outbox *ob;
    char *channel, *external_id; /* external_id NULL: by row id */
    int64_t id;
    enum outbox_dlr status;
    bool changed; /* a row changed (set by the job) */
    store_done_fn done;
    void *arg;
    int64_t now;
};

static void ob_writeback(struct outbox *ob, struct ob_row *row);

static void
ob_wipe_free(char *s)
{
    if (s == NULL)
        return;
    explicit_bzero(s, strlen(s));
    free(s);
}

static void
ob_row_free(struct ob_row *row)
{
    if (row == NULL)
        return;
    ob_wipe_free(row->address);
    ob_wipe_free(row->text);
    free(row);
}

static int
ob_chan_find(const struct outbox *ob, const char *name)
{
    int i;

    for (i = 0; i < ob->n_chans; i++)
        if (strcmp(ob->chans[i].name, name) == 0)
            return i;
    return -1;
}

static void
ob_destroy(struct outbox *ob)
{
    int i;

    for (i = 0; i < ob->n_chans; i++)
        free(ob->chans[i].name);
    free(ob);
}

/* Tells opts.report about a row's committed outcome. */
static void
ob_report(struct outbox *ob, int chan, enum outbox_verdict v)
{
    if (ob->opts.report != NULL && !ob->closing)
        ob->opts.report(ob->opts.report_arg, ob->chans[chan].name, v);
}

/* Called at the end of every store done callback. */
static void
ob_job_done(struct outbox *ob)
{
    ob->jobs--;
    if (ob->freed && ob->jobs == 0)
        ob_destroy(ob);
}

/* xorshift64*: jitter only, no secrecy needed. */
static double
ob_random(struct outbox *ob)
{
    uint64_t x = ob->rng;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    ob->rng = x;
    return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

int64_t
outbox_retry_delay(int64_t base_ms, int64_t max_ms, int attempts,
                   int64_t retry_after_ms, double r)
{
    int64_t d = base_ms;
    int i;

    for (i = 1; i < attempts && d < max_ms; i++)
        d *= 2;
    if (d > max_ms)
        d = max_ms;
    d = (int64_t)((double)d * (0.8 + 0.4 * r));
    if (retry_after_ms > d)
        d = retry_after_ms;
    return d;
}

/* The delay before retry number `attempts` (1 after the first failure). */
static int64_t
ob_backoff(struct outbox *ob, int attempts, int64_t retry_after_ms)
{
    return outbox_retry_delay(ob->opts.backoff_base_ms, ob->opts.backoff_max_ms,
                              attempts, retry_after_ms, ob_random(ob));
}

/* --- row updates (writer thread) ---------------------------------------- */

/* store_outbox_move(): 0 or 1 rows changed, or SK_EIO. */
static int
ob_update(struct store_tx *tx, int64_t id, const char *from, const char *to,
          int delta, int64_t next_at, const char *ext, int64_t now)
{
    return store_outbox_move(tx, id, from, to, delta, next_at, ext, now);
}

/*
 * A row of contact key has reached a final state (sent, delivered,
 * failed). When the key is a one-time key (no contact, nothing more
 * queued: a DELETE confirmation's), its vault entry goes now, in the
 * transaction that records the result, not when the entry expires a day
 * later: the child asked us to erase everything. 0 or a negative SK_E*.
 */
static int
ob_forget(struct store_tx *tx, const char *key)
{
    int n = store_vault_forget(tx, key);

    if (n > 0)
        sk_log(LOG_INFO, "outbox", "contact=%.8s: one-time address deleted",
               key);
    return n < 0 ? n : 0;
}

/* --- start-up recovery --------------------------------------------------- */

struct ob_lost {
    int64_t id;
    char key[PRIVACY_KEY_HEX];
    bool requeue;
};

struct ob_lost_list {
    struct outbox *ob;
    struct ob_lost *v;
    size_t n, cap;
};

/* Collects a row left 'sending' (the store is still reading). */
static int
ob_lost_add(void *arg, const struct store_outbox_row *row)
{
    struct ob_lost_list *l = arg;
    struct ob_lost *nv, *r;
    int c;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;

        if ((nv = realloc(l->v, cap * sizeof(*nv))) == NULL)
            return SK_ENOMEM;
        l->v = nv;
        l->cap = cap;
    }
    r = &l->v[l->n++];
    r->id = row->id;
    c = ob_chan_find(l->ob, row->channel);
    r->requeue = c >= 0 && l->ob->chans[c].cb.idempotent;
    snprintf(r->key, sizeof(r->key), "%s", row->contact_key);
    return 0;
}

static int
ob_recover_job(struct store_tx *tx, void *arg)
{
    struct outbox *ob = arg;
    struct ob_lost_list l = {.ob = ob};
    int64_t now = wallclock_ms();
    struct ob_lost *r;
    const char *why;
    size_t i;
    int rc;

    if ((rc = store_outbox_sending(tx, ob_lost_add, &l)) != 0)
        goto out;
    rc = SK_EIO;
    for (i = 0; i < l.n; i++) {
        int stopped, forgot;

        r = &l.v[i];
        stopped = r->requeue ? store_outbox_stopped_since(tx, r->id) : 0;
        if (stopped < 0)
            goto out;
        why = !r->requeue   ? "failed"
              : stopped > 0 ? "failed: opted out"
                            : "queued again (idempotent channel)";
        if (stopped > 0)
            r->requeue = false; /* opted out since: never again */
        sk_log(LOG_WARNING, "outbox",
               "id=%" PRId64 " contact=%.8s: unknown after restart, %s", r->id,
               r->key, why);
        if (ob_update(tx, r->id, "sending", r->requeue ? "queued" : "failed", 0,
                      r->requeue ? now : -1, NULL, now) < 0)
            goto out;
        if (!r->requeue && (forgot = ob_forget(tx, r->key)) != 0) {
            rc = forgot;
            goto out;
        }
    }
    rc = 0;
out:
    free(l.v);
    return rc;
}

static void
ob_recover_done(void *arg, int rc)
{
    struct outbox *ob = arg;

    if (!ob->closing) {
        if (rc != 0)
            sk_log(LOG_ERR, "outbox", "recovery failed: %s", sk_strerror(rc));
        /* Even so: rows left 'sending' are never claimed again. */
        ob->started = true;
        outbox_kick(ob);
    }
    ob_job_done(ob);
}

/* --- claim --------------------------------------------------------------- */

/* Opens the vault entry of row into row->address; 0, SK_ENOENT when it is
 * gone or unreadable, or another SK_E* on a store failure. */
static int
ob_claim_address(struct store_tx *tx, struct outbox *ob, struct ob_row *row,
                 int64_t now)
{
    unsigned char *blob = NULL;
    size_t len = 0;
    int rc = store_vault_get(tx, row->key, &blob, &len, now);

    if (rc != 0)
        return rc;
    row->address = privacy_open_blob(ob->p, row->key, blob, len);
    free(blob);
    if (row->address == NULL) {
        sk_log(LOG_WARNING, "outbox",
               "id=%" PRId64 " contact=%.8s: vault entry unreadable", row->id,
               row->key);
        return SK_ENOENT;
    }
    return 0;
}

struct ob_found {
    struct ob_claim *cl;
    struct ob_row_list *rows;
};

/* Collects a due row (the store is still reading). */
static int
ob_found_add(void *arg, const struct store_outbox_row *r)
{
    struct ob_found *f = arg;
    struct outbox *ob = f->cl->ob;
    struct ob_row *row = calloc(1, sizeof(*row));

    if (row == NULL || r->channel == NULL || r->contact_key == NULL ||
        r->text == NULL || (row->text = strdup(r->text)) == NULL) {
        ob_row_free(row);
        return SK_ENOMEM;
    }
    row->ob = ob;
    row->id = r->id;
    row->chan = ob_chan_find(ob, r->channel);
    snprintf(row->key, sizeof(row->key), "%s", r->contact_key);
    row->attempts = r->attempts + 1;
    TAILQ_INSERT_TAIL(f->rows, row, link);
    f->cl->found++;
    return 0;
}

static int
ob_claim_job(struct store_tx *tx, void *arg)
{
    struct ob_claim *cl = arg;
    struct outbox *ob = cl->ob;
    struct ob_row_list found = TAILQ_HEAD_INITIALIZER(found);
    struct ob_found f = {cl, &found};
    const char *names[OUTBOX_MAX_CHANNELS];
    struct ob_row *row;
    int rc, n;

    for (n = 0; n < ob->n_chans; n++)
        names[n] = ob->chans[n].name;
    rc = store_outbox_due(tx, cl->now, cl->limit, names, (size_t)ob->n_chans,
                          ob_found_add, &f);
    if (rc != 0)
        goto out;

    while ((row = TAILQ_FIRST(&found)) != NULL) {
        TAILQ_REMOVE(&found, row, link);
        if (row->chan < 0) {
            sk_log(LOG_WARNING, "outbox",
                   "id=%" PRId64 " contact=%.8s: channel not configured,"
                   " failed",
                   row->id, row->key);
            rc = ob_update(tx, row->id, "queued", "failed", 0, -1, NULL,
                           cl->now);
            if (rc >= 0)
                rc = ob_forget(tx, row->key);
            ob_row_free(row);
            if (rc < 0)
                goto out;
            continue;
        }
        rc = ob_claim_address(tx, ob, row, cl->now);
        if (rc == SK_ENOENT) {
            sk_log(LOG_WARNING, "outbox",
                   "id=%" PRId64 " contact=%.8s: no address, failed", row->id,
                   row->key);
            n = ob_update(tx, row->id, "queued", "failed", 0, -1, NULL,
                          cl->now);
            if (n >= 0)
                n = ob_forget(tx, row->key);
            cl->failed[row->chan]++;
            ob_row_free(row);
            if (n < 0) {
                rc = n;
                goto out;
            }
            continue;
        }
        if (rc != 0) {
            ob_row_free(row);
            goto out;
        }
        n = ob_update(tx, row->id, "queued", "sending", 1, -1, NULL, cl->now);
        if (n < 0) {
            rc = n;
            ob_row_free(row);
            goto out;
        }
        TAILQ_INSERT_TAIL(&cl->rows, row, link);
    }
    rc = 0;
out:
    while ((row = TAILQ_FIRST(&found)) != NULL) {
        TAILQ_REMOVE(&found, row, link);
        ob_row_free(row);
    }
    return rc;
}

/* --- sending ------------------------------------------------------------- */

static void
ob_send_done(void *arg, const struct httpc_resp *resp)
{
    struct ob_row *row = arg;
    struct outbox *ob = row->ob;
    struct ob_chan *ch = &ob->chans[row->chan];
    struct outbox_result res;
    int64_t now = wallclock_ms(), delay;

    if (resp->error != NULL && strcmp(resp->error, "cancelled") == 0) {
        /* Shutting down: the provider may have it; leave it 'sending'. */
        ob->busy--;
        ob_row_free(row);
        return;
    }
    memset(&res, 0, sizeof(res));
    res.retry_after_ms = -1;
    if (ch->cb.result != NULL)
        ch->cb.result(ch->cb.arg, ch->name, resp, &res);
    else
        outbox_default_result(NULL, ch->name, resp, &res);
    res.external_id[sizeof(res.external_id) - 1] = '\0';
    row->next_at = -1;
    switch (res.verdict) {
    case OUTBOX_SENT:
        row->to = "sent";
        snprintf(row->ext_id, sizeof(row->ext_id), "%s", res.external_id);
        break;
    case OUTBOX_RETRY:
        if (row->attempts >= ob->opts.max_attempts) {
            row->to = "failed";
            break;
        }
        row->to = "queued";
        delay = ob_backoff(ob, row->attempts, res.retry_after_ms);
        row->next_at = now + delay;
        break;
    default:
        row->to = "failed";
        break;
    }
    sk_log(strcmp(row->to, "sent") == 0 ? LOG_INFO : LOG_WARNING, "outbox",
           "id=%" PRId64 " contact=%.8s channel=%s attempt=%d: %s"
           " (http=%d%s%s, %s, %" PRId64 " ms)%s",
           row->id, row->key, ch->name, row->attempts, row->to, resp->status,
           resp->error ? " " : "", resp->error ? resp->error : "",
           res.reason ? res.reason : "-", resp->elapsed_ms,
           res.verdict == OUTBOX_RETRY && row->next_at < 0
               ? " after the last attempt"
               : "");
    ob_writeback(ob, row);
}

/* Builds and starts the request of a freshly claimed row. */
static void
ob_send(struct outbox *ob, struct ob_row *row)
{
    struct ob_chan *ch = &ob->chans[row->chan];
    struct httpc_req req;
    int rc;

    memset(&req, 0, sizeof(req));
    rc = ch->cb.build(ch->cb.arg, ch->name, row->address, row->text, row->id,
                      &req);
    ob_wipe_free(row->address);
    row->address = NULL;
    if (rc != 0) {
        sk_log(LOG_WARNING, "outbox",
               "id=%" PRId64 " contact=%.8s channel=%s: cannot build the"
               " request (%s), failed",
               row->id, row->key, ch->name, sk_strerror(rc));
        row->to = "failed";
        row->next_at = -1;
        ob_writeback(ob, row);
        return;
    }
    rc = httpc_request(ob->h, &req, ob_send_done, row);
    if (ch->cb.release != NULL)
        ch->cb.release(ch->cb.arg, &req);
    if (rc != 0) {
        /* Never started: give the attempt back and try again later. */
        sk_log(LOG_WARNING, "outbox",
               "id=%" PRId64 " contact=%.8s channel=%s: not started (%s)",
               row->id, row->key, ch->name, sk_strerror(rc));
        row->to = rc == SK_EINVAL ? "failed" : "queued";
        row->attempts_delta = rc == SK_EINVAL ? 0 : -1;
        row->next_at = wallclock_ms() + ob->opts.backoff_base_ms;
        ob_writeback(ob, row);
    }
}

static void
ob_claim_done(void *arg, int rc)
{
    struct ob_claim *cl = arg;
    struct outbox *ob = cl->ob;
    struct ob_row *row;
    bool more = rc == 0 && cl->found == cl->limit;
    int i;

    ob->claiming = false;
    ob->claim = NULL;
    if (rc != 0)
        sk_log(LOG_WARNING, "outbox", "claim failed: %s", sk_strerror(rc));
    for (i = 0; rc == 0 && i < ob->n_chans; i++) {
        ob->chans[i].stats.failed += (uint64_t)cl->failed[i];
        while (cl->failed[i]-- > 0)
            ob_report(ob, i, OUTBOX_FAILED);
    }
    while ((row = TAILQ_FIRST(&cl->rows)) != NULL) {
        TAILQ_REMOVE(&cl->rows, row, link);
        if (rc != 0) { /* rolled back: the rows are still queued */
            ob_row_free(row);
            continue;
        }
        if (ob->closing && cl->unclaimed) {
            ob_row_free(row); /* outbox_free() put it back already */
            continue;
        }
        ob->busy++;
        if (ob->closing) { /* claimed, never sent: put it back */
            ob_wipe_free(row->address);
            row->address = NULL;
            row->to = "queued";
            row->attempts_delta = -1;
            row->next_at = wallclock_ms();
            ob_writeback(ob, row);
        } else
            ob_send(ob, row);
    }
    free(cl);
    if (more && !ob->closing)
        outbox_kick(ob);
    ob_job_done(ob);
}

/* Submits a claim job when there is room and none is running. */
static void
ob_claim(struct outbox *ob)
{
    struct ob_claim *cl;
    int rc;

    if (!ob->started || ob->closing || ob->claiming ||
        ob->busy >= ob->opts.max_parallel)
        return;
    cl = calloc(1, sizeof(*cl));
    if (cl == NULL)
        return;
    cl->ob = ob;
    cl->limit = ob->opts.max_parallel - ob->busy;
    cl->now = wallclock_ms();
    TAILQ_INIT(&cl->rows);
    rc = store_submit(ob->st, ob_claim_job, ob_claim_done, cl);
    if (rc != 0) {
        free(cl);
        return;
    }
    /* busy only falls until its done: the limit stays right. */
    ob->claiming = true;
    ob->claim = cl;
    ob->jobs++;
}

/* --- write-back ---------------------------------------------------------- */

static int
ob_wb_job(struct store_tx *tx, void *arg)
{
    struct ob_row *row = arg;
    int n;

    if (strcmp(row->to, "queued") == 0) {
        if ((n = store_outbox_stopped_since(tx, row->id)) < 0)
            return n;
        if (n > 0) {
            sk_log(LOG_INFO, "outbox",
                   "id=%" PRId64 " contact=%.8s: opted out, not retried",
                   row->id, row->key);
            row->to = "failed";
            row->next_at = -1;
        }
    }
    n = ob_update(tx, row->id, "sending", row->to, row->attempts_delta,
                  row->next_at, row->ext_id[0] != '\0' ? row->ext_id : NULL,
                  wallclock_ms());
    if (n < 0)
        return n;
    return strcmp(row->to, "queued") != 0 ? ob_forget(tx, row->key) : 0;
}

static void
ob_wb_done(void *arg, int rc)
{
    struct ob_row *row = arg;
    struct outbox *ob = row->ob;
    struct outbox_stats *stats =
        row->chan >= 0 ? &ob->chans[row->chan].stats : NULL;

    /* Not saved: the next tick tries again, or outbox_free() once
     * stopping. */
    if (rc != 0 && !ob->freed && ++row->wb_tries < OB_WB_TRIES) {
        TAILQ_INSERT_TAIL(&ob->unsaved, row, link);
        ob_job_done(ob);
        return;
    }
    if (rc != 0)
        sk_log(LOG_ERR, "outbox",
               "id=%" PRId64 ": result not saved (%s), left 'sending'", row->id,
               sk_strerror(rc));
    else if (stats != NULL && row->attempts_delta == 0) {
        if (strcmp(row->to, "sent") == 0)
            stats->sent++;
        else if (strcmp(row->to, "queued") == 0)
            stats->retried++;
        else
            stats->failed++;
        ob_report(ob, row->chan,
                  strcmp(row->to, "sent") == 0     ? OUTBOX_SENT
                  : strcmp(row->to, "queued") == 0 ? OUTBOX_RETRY
                                                   : OUTBOX_FAILED);
    }
    ob->busy--;
    ob_row_free(row);
    if (!ob->closing)
        outbox_kick(ob);
    ob_job_done(ob);
}

/* Writes row's outcome back (consumes row). */
static void
ob_writeback(struct outbox *ob, struct ob_row *row)
{
    if (store_submit(ob->st, ob_wb_job, ob_wb_done, row) == 0) {
        ob->jobs++;
        return;
    }
    if (!ob->freed) { /* the next tick, or outbox_free(), saves it */
        TAILQ_INSERT_TAIL(&ob->unsaved, row, link);
        return;
    }
    sk_log(LOG_WARNING, "outbox", "id=%" PRId64 ": closing, left 'sending'",
           row->id);
    ob->busy--;
    ob_row_free(row);
}

static void
ob_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct outbox *ob = arg;
    struct ob_row_list again = TAILQ_HEAD_INITIALIZER(again);
    struct ob_row *row;

    (void)fd;
    (void)what;
    TAILQ_CONCAT(&again, &ob->unsaved, link);
    while ((row = TAILQ_FIRST(&again)) != NULL) {
        TAILQ_REMOVE(&again, row, link);
        ob_writeback(ob, row);
    }
    ob_claim(ob);
}

/* --- delivery reports ---------------------------------------------------- */

/* A report has moved a row of key to a final state. */
static int
ob_forget_cb(void *arg, const char *key)
{
    return ob_forget(arg, key);
}

/* outbox_delivery_tx(), and *changed says whether a row changed. */
static int
ob_delivery(struct store_tx *tx, const char *channel, const char *external_id,
            int64_t id, enum outbox_dlr status, int64_t now_ms, bool *changed)
{
    int rc = store_outbox_report(tx, channel, external_id, id,
                                 status == OUTBOX_DLR_DELIVERED, now_ms,
                                 ob_forget_cb, tx);

    if (rc == 1)
        *changed = true;
    return rc == 1 ? 0 : rc;
}

int
outbox_delivery_tx(struct store_tx *tx, const char *channel,
                   const char *external_id, enum outbox_dlr status,
                   int64_t now_ms)
{
    bool changed = false;

    if (external_id == NULL)
        return SK_EINVAL;
    return ob_delivery(tx, channel, external_id, 0, status, now_ms, &changed);
}

int
outbox_delivery_row_tx(struct store_tx *tx, const char *channel, int64_t id,
                       enum outbox_dlr status, int64_t now_ms)
{
    bool changed = false;

    return ob_delivery(tx, channel, NULL, id, status, now_ms, &changed);
}

static int
ob_dlr_job(struct store_tx *tx, void *arg)
{
    struct ob_dlr *d = arg;

    return ob_delivery(tx, d->channel, d->external_id, d->id, d->status, d->now,
                       &d->changed);
}

static void
ob_dlr_done(void *arg, int rc)
{
    struct ob_dlr *d = arg;
    struct outbox *ob = d->ob;
    int c = ob_chan_find(ob, d->channel);

    if (rc == 0 && d->changed && c >= 0) {
        if (d->status == OUTBOX_DLR_DELIVERED)
            ob->chans[c].stats.delivered++;
        else
            ob->chans[c].stats.undelivered++;
    }
    if (d->done != NULL)
        d->done(d->arg, rc);
    free(d->channel);
    free(d->external_id);
    free(d);
    ob_job_done(ob);
}

/* Submits a delivery report job (external_id NULL: by row id). */
static int
ob_dlr_submit(struct outbox *ob, const char *channel, const char *external_id,
              int64_t id, enum outbox_dlr status, store_done_fn done, void *arg)
{
    struct ob_dlr *d;
    int rc = SK_ENOMEM;

    if (ob == NULL || ob->freed)
        return SK_ESTATE;
    if (channel == NULL ||
        (external_id != NULL
             ? external_id[0] == '\0' || strlen(external_id) >= OUTBOX_EXTID_MAX
             : id <= 0))
        return SK_EINVAL;
    d = calloc(1, sizeof(*d));
    if (d == NULL)
        return SK_ENOMEM;
    d->ob = ob;
    d->id = id;
    d->status = status;
    d->done = done;
    d->arg = arg;
    d->now = wallclock_ms();
    d->channel = strdup(channel);
    if (d->channel == NULL)
        goto fail;
    if (external_id != NULL && (d->external_id = strdup(external_id)) == NULL)
        goto fail;
    rc = store_submit(ob->st, ob_dlr_job, ob_dlr_done, d);
    if (rc != 0)
        goto fail;
    ob->jobs++;
    return 0;
fail:
    free(d->channel);
    free(d->external_id);
    free(d);
    return rc;
}

int
outbox_delivery(struct outbox *ob, const char *channel, const char *external_id,
                enum outbox_dlr status, store_done_fn done, void *arg)
{
    if (external_id == NULL)
        return SK_EINVAL;
    return ob_dlr_submit(ob, channel, external_id, 0, status, done, arg);
}

int
outbox_delivery_row(struct outbox *ob, const char *channel, int64_t id,
                    enum outbox_dlr status, store_done_fn done, void *arg)
{
    return ob_dlr_submit(ob, channel, NULL, id, status, done, arg);
}

/* --- public -------------------------------------------------------------- */

void
outbox_default_result(void *arg, const char *channel,
                      const struct httpc_resp *resp, struct outbox_result *res)
{
    (void)arg;
    (void)channel;
    res->retry_after_ms = resp->retry_after_ms;
    if (resp->error != NULL) {
        /* A bad URL will not get better; the rest may. */
        res->verdict =
            strcmp(resp->error, "url") == 0 ? OUTBOX_FAILED : OUTBOX_RETRY;
        res->reason = "transport error";
    } else if (resp->status >= 200 && resp->status < 300) {
        res->verdict = OUTBOX_SENT;
        res->reason = "accepted";
    } else if (resp->status == 408 || resp->status == 429 ||
               resp->status >= 500) {
        res->verdict = OUTBOX_RETRY;
        res->reason = resp->status == 429 ? "rate limited" : "provider error";
    } else {
        res->verdict = OUTBOX_FAILED;
        res->reason = "rejected";
    }
}

void
outbox_req_free(void *arg, struct httpc_req *req)
{
    size_t i;

    (void)arg;
    if (req == NULL)
        return;
    if (req->body != NULL)
        explicit_bzero((void *)req->body, req->body_len);
    if (req->password != NULL)
        explicit_bzero((void *)req->password, strlen(req->password));
    for (i = 0; req->headers != NULL && i < req->n_headers; i++)
        ob_wipe_free((char *)req->headers[i]);
    free((void *)req->headers);
    free((void *)req->method);
    free((void *)req->url);
    free((void *)req->body);
    free((void *)req->user);
    free((void *)req->password);
    memset(req, 0, sizeof(*req));
}

struct outbox *
outbox_new(struct event_base *base, struct store *st, const struct privacy *p,
           const struct outbox_opts *opts, char err[SK_ERR_LEN])
{
    struct outbox *ob;
    struct timeval tv;

    if (base == NULL || st == NULL || p == NULL) {
        sk_seterr(err, "outbox: no event base, store or key");
        return NULL;
    }
    ob = calloc(1, sizeof(*ob));
    if (ob == NULL) {
        sk_seterr(err, "outbox: out of memory");
        return NULL;
    }
    ob->base = base;
    ob->st = st;
    ob->p = p;
    TAILQ_INIT(&ob->unsaved);
    if (opts != NULL)
        ob->opts = *opts;
    if (ob->opts.max_parallel <= 0)
        ob->opts.max_parallel = 8;
    if (ob->opts.max_attempts <= 0)
        ob->opts.max_attempts = 6;
    if (ob->opts.poll_ms <= 0)
        ob->opts.poll_ms = 500;
    if (ob->opts.backoff_base_ms <= 0)
        ob->opts.backoff_base_ms = 5000;
    if (ob->opts.backoff_max_ms <= 0)
        ob->opts.backoff_max_ms = 3600 * 1000;
    if (ob->opts.backoff_max_ms < ob->opts.backoff_base_ms)
        ob->opts.backoff_max_ms = ob->opts.backoff_base_ms;
    if (getrandom(&ob->rng, sizeof(ob->rng), GRND_NONBLOCK) !=
        (ssize_t)sizeof(ob->rng))
        ob->rng = (uint64_t)wallclock_ms() ^ (uint64_t)(uintptr_t)ob;
    ob->rng |= 1; /* xorshift must not start at 0 */
    ob->h = httpc_new(base, ob->opts.max_parallel, err);
    if (ob->h == NULL)
        goto fail;
    if (!httpc_dns_async())
        sk_log(LOG_WARNING, "outbox",
               "libcurl has no asynchronous resolver: DNS may block");
    ob->timer = event_new(base, -1, EV_PERSIST, ob_tick_cb, ob);
    tv.tv_sec = ob->opts.poll_ms / 1000;
    tv.tv_usec = (ob->opts.poll_ms % 1000) * 1000;
    if (ob->timer == NULL || event_add(ob->timer, &tv) != 0) {
        sk_seterr(err, "outbox: cannot make the timer");
        goto fail;
    }
    return ob;
fail:
    httpc_free(ob->h);
    if (ob->timer != NULL)
        event_free(ob->timer);
    free(ob);
    return NULL;
}

int
outbox_add_channel(struct outbox *ob, const struct outbox_channel *ch)
{
    struct ob_chan *c;

    if (ob == NULL || ch == NULL || ch->name == NULL || ch->name[0] == '\0' ||
        ch->build == NULL)
        return SK_EINVAL;
    if (ob->started || ob->jobs > 0)
        return SK_ESTATE;
    if (ob_chan_find(ob, ch->name) >= 0)
        return SK_EEXIST;
    if (ob->n_chans == OUTBOX_MAX_CHANNELS)
        return SK_ELIMIT;
    c = &ob->chans[ob->n_chans];
    memset(c, 0, sizeof(*c));
    c->name = strdup(ch->name);
    if (c->name == NULL)
        return SK_ENOMEM;
    c->cb = *ch;
    c->cb.name = c->name;
    ob->n_chans++;
    return 0;
}

int
outbox_start(struct outbox *ob)
{
    int rc;

    if (ob == NULL || ob->started || ob->jobs > 0 || ob->closing)
        return SK_ESTATE;
    rc = store_submit(ob->st, ob_recover_job, ob_recover_done, ob);
    if (rc == 0)
        ob->jobs++;
    return rc;
}

void
outbox_kick(struct outbox *ob)
{
    if (ob != NULL && !ob->closing && ob->started)
        event_active(ob->timer, EV_TIMEOUT, 0);
}

/*
 * Writer thread, called by outbox_free() through store_call() while the
 * loop thread waits: puts the rows of a claim whose done callback has not
 * run back in the queue (they were never sent), and saves the results
 * that were waiting in ob->unsaved.
 */
static int
ob_flush_job(struct store_tx *tx, void *arg)
{
    struct outbox *ob = arg;
    struct ob_row *row;
    int64_t now = wallclock_ms();

    if (ob->claim != NULL)
        TAILQ_FOREACH (row, &ob->claim->rows, link) {
            if (ob_update(tx, row->id, "sending", "queued", -1, now, NULL,
                          now) < 0)
                return SK_EIO;
        }
    TAILQ_FOREACH (row, &ob->unsaved, link) {
        if (ob_update(tx, row->id, "sending", row->to, row->attempts_delta,
                      row->next_at, row->ext_id[0] ? row->ext_id : NULL,
                      now) < 0)
            return SK_EIO;
        if (strcmp(row->to, "queued") != 0 && ob_forget(tx, row->key) != 0)
            return SK_EIO;
    }
    return 0;
}

/* Loop thread, while serving: never waits for the store. */
void
outbox_stop(struct outbox *ob)
{
    if (ob == NULL || ob->closing)
        return;
    ob->closing = true;
    event_free(ob->timer);
    ob->timer = NULL;
    httpc_free(ob->h); /* cancelled rows stay 'sending' */
    ob->h = NULL;
}

void
outbox_free(struct outbox *ob)
{
    struct ob_row *row;
    int rc;

    if (ob == NULL)
        return;
    outbox_stop(ob);
    /* The loop has stopped: waiting for one commit is allowed here. */
    if (ob->claim != NULL || !TAILQ_EMPTY(&ob->unsaved)) {
        /* Jobs run in order: the claim job has run when this one does. */
        rc = store_call(ob->st, ob_flush_job, ob);
        if (rc == 0 && ob->claim != NULL)
            ob->claim->unclaimed = true;
        if (rc == 0)
            while ((row = TAILQ_FIRST(&ob->unsaved)) != NULL) {
                TAILQ_REMOVE(&ob->unsaved, row, link);
                ob->busy--;
                ob_row_free(row);
            }
    }
    while ((row = TAILQ_FIRST(&ob->unsaved)) != NULL) {
        TAILQ_REMOVE(&ob->unsaved, row, link);
        sk_log(LOG_WARNING, "outbox",
               "id=%" PRId64 ": closing, result not saved, left 'sending'",
               row->id);
        ob->busy--;
        ob_row_free(row);
    }
    ob->freed = true;
    if (ob->jobs == 0)
        ob_destroy(ob);
}

int
outbox_stats(const struct outbox *ob, const char *channel,
             struct outbox_stats *out)
{
    int c = ob != NULL && channel != NULL ? ob_chan_find(ob, channel) : -1;

    if (c < 0)
        return SK_ENOENT;
    *out = ob->chans[c].stats;
    return 0;
}

int
outbox_in_flight(const struct outbox *ob)
{
    return ob != NULL ? ob->busy : 0;
}
