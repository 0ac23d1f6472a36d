/*
 * app.c - `sikiliza serve`: setup, the loop side of the inbound pipeline
 * and shutdown. Delivery reports are dlr.c's;
 * their route is registered here.
 *
 * Inbound pipeline. On the loop (app_receive): the channel type checks the
 * secret or signature and parses the request; the phone number becomes the
 * contact key (privacy_contact_key) and a sealed vault blob
 * (privacy_seal), and is wiped. What goes to the store job holds no clear
 * number: the key, the blob, the text and the provider's id.
 * On the writer thread (inbound_run() in inbound.c), in one transaction:
 * dedupe, load the contact, opt-out handling, one engine step, save answers,
 * session, vault entry and the inbound row with its reply. Back on the loop
 * (inbound_done), after COMMIT, the reply is rendered and sent; on any
 * failure the provider gets 5xx and nothing is acknowledged.
 *
 * Timeouts and expiry. A one-second timer (sweep.c) submits a sweep job
 * that resumes every due session with FLOW_RESUME_TIMEOUT or
 * FLOW_RESUME_EXPIRE; what those runs send goes to the outbox. A daily
 * timer (purge.c) applies the retention policy.
 *
 * Shutdown. SIGTERM/SIGINT closes the listening socket and stops the
 * timer; once every submitted job has reported back, the loop ends and
 * everything is freed in reverse order of setup.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <jansson.h>

#include "admin.h"
#include "app.h"
#include "caps.h"
#include "channel.h"
#include "dlr.h"
#include "flow.h"
#include "flowload.h"
#include "http.h"
#include "inbound.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "optout.h"
#include "outbox.h"
#include "preflight.h"
#include "privacy.h"
#include "prompts.h"
#include "purge.h"
#include "safeguard.h"
#include "sending.h"
#include "store.h"
#include "sweep.h"
#include "text.h"
#include "ussd.h"
#include "voice.h"
#include "voicewire.h"
#include "wallclock.h"
#include "webreq.h"
#include "zone.h"

static void
send_reply(struct sk_app *app, struct evhttp_request *req, double t0, size_t ch,
           const struct channel_reply *r)
{
    (void)ch;
    http_send(app->http, req, t0, r->code, r->content_type, r->body,
              r->body_len);
}

static void
send_error(struct sk_app *app, struct evhttp_request *req, double t0, size_t ch,
           int code, const char *reason)
{
    webreq_error(app->http, app->types[ch], &app->cfg->channels[ch], req, t0,
                 code, reason);
}

static void
maybe_stop(struct sk_app *app)
{
    struct timeval flush = {0, 200000}; /* let the last replies go out */

    if (app->stopping && app->pending == 0)
        event_base_loopexit(app->base, &flush);
}

/* A job of another part (delivery reports) has reported back. */
static void
app_settled(void *arg)
{
    maybe_stop(arg);
}

/* Renders the stored reply (a JSON array of texts) for the channel. */
static int
render_texts(struct sk_app *app, size_t ch, const char *reply,
             struct channel_reply *out, size_t *count)
{
    /* "" when a row was stored without a reply (or erased since) */
    json_t *arr =
        json_loads(reply != NULL && reply[0] != '\0' ? reply : "[]", 0, NULL);
    const char **texts = NULL;
    size_t i, n;
    int rc;

    if (!json_is_array(arr)) {
        json_decref(arr);
        return SK_EINVAL;
    }
    n = json_array_size(arr);
    if (n > 0 && (texts = calloc(n, sizeof(*texts))) == NULL) {
        json_decref(arr);
        return SK_ENOMEM;
    }
    for (i = 0; i < n; i++) {
        texts[i] = json_string_value(json_array_get(arr, i));
        if (texts[i] == NULL)
            texts[i] = "";
    }
    rc = app->types[ch]->render(&app->cfg->channels[ch], texts, n, out);
    free(texts);
    json_decref(arr);
    *count = n;
    return rc;
}

/* Counts what the caps dropped; the per-inbound cap is logged here, the
 * others where they were applied. */
static void
inbound_capped(struct sk_app *app, const struct inbound_job *job)
{
    int k;

    if (job->dropped > 0) {
        metrics_capped(app->metrics, job->ch, CAPS_PER_INBOUND, job->dropped);
        sk_log(LOG_WARNING, "caps",
               "channel=%s contact=%.8s dropped=%zu cap=%s (%d an inbound)",
               app->cfg->channels[job->ch].name, job->key, job->dropped,
               caps_name(CAPS_PER_INBOUND), app->cfg->max_replies_per_inbound);
    }
    for (k = 0; k < CAPS_COUNT; k++)
        if (job->capped[k] > 0)
            metrics_capped(app->metrics, job->ch, k, job->capped[k]);
}

/* An inbound job with what the loop needs to reply. */
struct recv_job {
    struct inbound_job in;
    struct sk_app *app;
    struct evhttp_request *req;
    double t0;
};

static void
recv_job_free(struct recv_job *rj)
{
    if (rj == NULL)
        return;
    inbound_job_clear(&rj->in);
    free(rj);
}

static int
recv_run(struct store_tx *tx, void *arg)
{
    struct recv_job *rj = arg;

    return inbound_run(tx, &rj->in);
}

static void
inbound_done(void *arg, int rc)
{
    struct recv_job *rj = arg;
    struct inbound_job *job = &rj->in;
    struct sk_app *app = rj->app;
    const char *chname = app->cfg->channels[job->ch].name;
    struct channel_reply r;
    char pages[32] = "";
    size_t n = 0;

    app->pending--;
    if (job->ussd_pages > 1)
        snprintf(pages, sizeof(pages), " pages=%zu", job->ussd_pages);
    if (rc == 0 && job->queued > 0)
        outbox_kick(app->outbox);
    if (rc == 0 && job->alert_id > 0) {
        notify_kick(app->notify);
        outbox_kick(app->outbox); /* on-call SMS */
    }
    if (rc == 0)
        rc = job->ussd ? ussd_render(job->reply, &r, &n)
                       : render_texts(app, job->ch, job->reply, &r, &n);
    if (rc == 0) {
        send_reply(app, rj->req, rj->t0, job->ch, &r);
        channel_reply_clear(&r);
        if (strcmp(job->status, "duplicate") != 0) {
            metrics_message_in(app->metrics, job->ch);
            metrics_messages_out(app->metrics, job->ch, n);
            inbound_capped(app, job);
        }
        sk_log(LOG_INFO, "inbound",
               "channel=%s contact=%.8s status=%s "
               "replies=%zu queued=%zu%s%s%s",
               chname, job->key, job->status, n, job->queued,
               job->ussd ? " ussd=1" : "", pages,
               job->dropped > 0 || job->capped[CAPS_CONTACT_DAY] > 0 ||
                       job->capped[CAPS_CHANNEL_MINUTE] > 0
                   ? " (capped)"
                   : "");
    } else {
        int busy = rc == SK_EBUSY;

        metrics_error(app->metrics, job->ch,
                      busy              ? METRICS_ERR_BUSY
                      : rc == SK_EIO    ? METRICS_ERR_STORE
                      : rc == SK_ENOMEM ? METRICS_ERR_INTERNAL
                                        : METRICS_ERR_ENGINE);
        sk_log(LOG_WARNING, "inbound", "channel=%s contact=%.8s failed: %s",
               chname, job->key, sk_strerror(rc));
        send_error(app, rj->req, rj->t0, job->ch,
                   busy ? HTTP_SERVUNAVAIL : HTTP_INTERNAL,
                   busy ? "busy, try again" : "internal error");
    }
    recv_job_free(rj);
    maybe_stop(app);
}

/* What an erasure needs of the message while the number is in memory:
 * the key the number had before numbers were made E.164 (when another)
 * and the keyed hash of the provider's id (see store_purge.c). */
static int
app_erase_ids(struct sk_app *app, struct inbound_job *job, const char *chname,
              const struct sk_inbound *in)
{
    int rc = privacy_legacy_key(app->priv, in->urn, job->legacy_key);

    if (rc == 0 && strcmp(job->legacy_key, job->key) == 0)
        job->legacy_key[0] = '\0';
    if (rc == 0 && in->external_id != NULL)
        rc = privacy_dedupe_id(app->priv, chname, in->external_id,
                               job->dedupe_id);
    return rc;
}

/* The inbound pipeline of app_receive() and app_ussd(): verify, parse,
 * pseudonymise, submit the store job. */
static void
receive(struct sk_app *app, struct evhttp_request *req, size_t ch, double t0,
        bool ussd)
{
    const struct config_channel *cc = &app->cfg->channels[ch];
    const struct channel_type *t = app->types[ch];
    struct channel_request creq;
    struct sk_inbound in = {0};
    struct recv_job *rj = NULL;
    struct inbound_job *job = NULL;
    char err[SK_ERR_LEN] = "", *body = NULL;
    bool start = false;
    int rc, word;

    if (webreq_copy(req, &creq, &body) != 0) {
        metrics_error(app->metrics, ch, METRICS_ERR_INTERNAL);
        send_error(app, req, t0, ch, HTTP_INTERNAL, "out of memory");
        return;
    }
    if (t->verify(cc, &creq) != 0) {
        webreq_body_free(&creq, body);
        metrics_error(app->metrics, ch, METRICS_ERR_DENIED);
        sk_log(LOG_WARNING, "inbound", "channel=%s denied: %s", cc->name,
               t->denied_as != NULL ? t->denied_as : "bad secret");
        send_error(app, req, t0, ch, 403, "forbidden");
        return;
    }
    rc = ussd ? t->parse_ussd(cc, &creq, &in, &start, err)
              : t->parse(cc, &creq, &in, err);
    webreq_body_free(&creq, body);
    if (rc != 0) {
        metrics_error(app->metrics, ch,
                      rc == SK_EINVAL ? METRICS_ERR_BAD_REQUEST
                                      : METRICS_ERR_INTERNAL);
        if (rc == SK_EINVAL) /* a fixed keyword: err may quote values */
            sk_log(LOG_INFO, "inbound", "channel=%s bad request: %s", cc->name,
                   channel_bad_kind(err));
        else
            sk_log(LOG_WARNING, "inbound", "channel=%s request failed: %s",
                   cc->name, sk_strerror(rc));
        send_error(app, req, t0, ch,
                   rc == SK_EINVAL ? HTTP_BADREQUEST : HTTP_INTERNAL,
                   rc == SK_EINVAL ? err : "out of memory");
        return;
    }
    if ((rj = calloc(1, sizeof(*rj))) != NULL) {
        job = &rj->in;
        inbound_job_init(job, &app->inbound, ch);
    }
    rc = job != NULL ? privacy_contact_key(app->priv, in.urn, job->key)
                     : SK_ENOMEM;
    if (rc == SK_EINVAL || rc == SK_ELIMIT) {
        channel_inbound_clear(&in);
        recv_job_free(rj);
        metrics_error(app->metrics, ch, METRICS_ERR_BAD_REQUEST);
        sk_log(LOG_INFO, "inbound", "channel=%s bad request: %s", cc->name,
               rc == SK_ELIMIT ? "too_long" : "not_phone_number");
        send_error(app, req, t0, ch, HTTP_BADREQUEST,
                   ussd ? "\"phoneNumber\" is not a valid phone number"
                        : "\"from\" is not a valid phone number");
        return;
    }
    if (rc == 0) /* for DELETE (store_purge.c) */
        rc = app_erase_ids(app, job, cc->name, &in);
    if (rc == 0 && !ussd && !t->sync_reply &&
        optout_classify(app->stop_folded, app->n_stop, app->delete_folded,
                        app->n_delete, in.text, &word) == OPTOUT_ERASE) {
        /* DELETE: the confirmation needs an address not tied to the key */
        rc = optout_random_key(job->erase_key);
        if (rc == 0 &&
            (job->erase_vault = privacy_seal(app->priv, job->erase_key, in.urn,
                                             &job->erase_vault_len)) == NULL)
            rc = SK_ENOMEM;
    }
    if (rc != 0 || (job->vault = privacy_seal(app->priv, job->key, in.urn,
                                              &job->vault_len)) == NULL) {
        channel_inbound_clear(&in);
        recv_job_free(rj);
        metrics_error(app->metrics, ch, METRICS_ERR_INTERNAL);
        send_error(app, req, t0, ch, HTTP_INTERNAL, "internal error");
        return;
    }
    rj->app = app;
    rj->req = req;
    rj->t0 = t0;
    job->text = in.text;
    job->external_id = in.external_id;
    job->ussd = ussd;
    job->ussd_start = start;
    in.text = in.external_id = NULL;
    channel_inbound_clear(&in); /* wipes the number */
    if (store_submit(app->store, recv_run, inbound_done, rj) != 0) {
        metrics_error(app->metrics, ch, METRICS_ERR_BUSY);
        sk_log(LOG_WARNING, "inbound", "channel=%s contact=%.8s store busy",
               cc->name, job->key);
        recv_job_free(rj); /* inbound_done() will never run */
        send_error(app, req, t0, ch, HTTP_SERVUNAVAIL, "busy, try again");
        return;
    }
    app->pending++;
}

/* POST /c/NAME/receive: inbound messages; ch is the channel's config
 * index. Sends exactly one reply to req. */
static void
app_receive(void *arg, struct evhttp_request *req, size_t ch, double t0)
{
    receive(arg, req, ch, t0, false);
}

/* POST /c/NAME/ussd: one step of a USSD session (404 for channel types
 * without USSD). The first step starts the channel's flow, or [flows]
 * default, as a new run that interrupts any earlier one of the contact;
 * later steps resume it with the child's latest answer. The answer is
 * "CON ..." while the run waits, else "END ...", one USSD screen long;
 * what does not fit comes on pages ("00 More"), the answer 00 showing the
 * next one without resuming the run. A retried step (same sessionId and
 * text) gets the same answer. */
static void
app_ussd(void *arg, struct evhttp_request *req, size_t ch, double t0)
{
    struct sk_app *app = arg;

    if (app->types[ch]->parse_ussd == NULL) {
        send_error(app, req, t0, ch, HTTP_NOTFOUND, "no USSD on this channel");
        return;
    }
    receive(app, req, ch, t0, true);
}

/* --- the HTTP routes ------------------------------------------------------
 */

/* http.c's channel callback: NAME of /c/NAME/... by config index. */
static int
app_channel(void *arg, const char *name, size_t *index, bool *allow_get)
{
    struct sk_app *app = arg;
    const struct config_channel *ch = config_channel(app->cfg, name);

    if (ch == NULL)
        return SK_ENOENT;
    *index = (size_t)(ch - app->cfg->channels);
    *allow_get = app->types[*index]->allow_get;
    return 0;
}

/* /healthz: ready while the store is open and no stop was asked for. */
static bool
app_ready(void *arg)
{
    struct sk_app *app = arg;

    return app->store != NULL && !app->stopping;
}

/* GET /metrics: the duration of this request is counted from the next. */
static void
app_metrics_page(void *arg, struct evhttp_request *req, double t0)
{
    struct sk_app *app = arg;
    uint64_t waits = 0;
    char *text;

    if (app->store != NULL) /* erasure: the WAL waits for a reader */
        metrics_store_scrub(app->metrics,
                            store_scrub_pending(app->store, &waits), waits);
    text = metrics_render(app->metrics,
                          app->store != NULL ? store_commits(app->store) : 0);

    if (text == NULL) {
        http_send(app->http, req, t0, HTTP_INTERNAL,
                  "text/plain; charset=utf-8", "out of memory\n", 14);
        return;
    }
    http_send(app->http, req, t0, HTTP_OK, "text/plain; version=0.0.4", text,
              strlen(text));
    free(text);
}

/* Binds [server] listen and registers every route (see http.h). */
static int
app_http_start(struct sk_app *app, struct dlr_ctx *dlr, struct voice_ctx *vc,
               char err[SK_ERR_LEN])
{
    const struct config *cfg = app->cfg;
    struct http_limits lim = {
        .listen = cfg->listen,
        .source = cfg->file,
        .max_body = cfg->max_body,
        .max_headers = cfg->max_headers,
        .timeout_seconds = cfg->timeout_seconds,
        .max_connections = cfg->max_connections,
    };
    struct http_server *h = http_start(app->base, &lim, app->metrics, err);

    if (h == NULL)
        return SK_EIO;
    app->http = h;
    http_set_channels(h, app_channel, app);
    http_set_ready(h, app_ready, app);
    dlr->cfg = cfg;
    dlr->types = app->types;
    dlr->http = h;
    dlr->metrics = app->metrics;
    dlr->pending = &app->pending;
    dlr->settled = app_settled;
    dlr->settled_arg = app;
    vc->cfg = cfg;
    vc->types = app->types;
    vc->inbound = &app->inbound;
    vc->http = h;
    vc->metrics = app->metrics;
    vc->store = app->store;
    vc->priv = app->priv;
    vc->pending = &app->pending;
    vc->settled = app_settled;
    vc->settled_arg = app;
    if (http_route(h, "receive", app_receive, app) != 0 ||
        http_route(h, "voice", voice_route, vc) != 0 ||
        http_route(h, "voice/", voice_route, vc) != 0 ||
        http_route(h, "status", dlr_status, dlr) != 0 ||
        http_route(h, "ussd", app_ussd, app) != 0 ||
        http_page(h, "/metrics", app_metrics_page, app) != 0) {
        sk_seterr(err, "out of memory");
        return SK_ENOMEM;
    }
    if (cfg->prompts_dir != NULL) {
        app->prompts = prompts_load(cfg->prompts_dir, err);
        if (app->prompts == NULL || prompts_serve(app->prompts, h) != 0) {
            sk_seterr(err, "prompts: cannot serve them");
            return SK_EIO;
        }
    }
    return 0;
}

/* Starts the admin API when [server] admin_listen is set (admin.h). */
static int
app_admin_start(struct sk_app *app, char err[SK_ERR_LEN])
{
    struct admin_deps d = {
        .cfg = app->cfg,
        .flows = app->flows,
        .store = app->store,
        .base = app->base,
        .pending = &app->pending,
        .settled = app_settled,
        .settled_arg = app,
    };

    if (app->cfg->admin_listen == NULL)
        return 0;
    app->admin = admin_start(&d, err);
    return app->admin != NULL ? 0 : SK_EINVAL;
}

/* Starts the outbox (none when no channel sends on its own); delivery
 * reports are stored through it. */
static int
app_outbox_start(struct sk_app *app, struct dlr_ctx *dlr, char err[SK_ERR_LEN])
{
    app->sending.cfg = app->cfg;
    app->sending.metrics = app->metrics;
    app->outbox = sending_outbox_new(&app->sending, app->types, app->base,
                                     app->store, app->priv, err);
    if (app->outbox == NULL && err[0] != '\0')
        return SK_EIO;
    dlr->outbox = app->outbox;
    return 0;
}

/* --- setup and shutdown ----------------------------------------------------
 */

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct sk_app *app = arg;

    (void)what;
    if (app->stopping)
        return;
    sk_log(LOG_INFO, "serve", "signal %d: stopping (%d %s in flight)", (int)sig,
           app->pending, sk_plural(app->pending, "job", "jobs"));
    app->stopping = true;
    http_stop_intake(app->http);
    admin_stop_intake(app->admin);
    outbox_stop(app->outbox);
    notify_stop(app->notify);
    sweep_timer_stop(app->sweep);
    purge_timer_stop(app->purge);
    maybe_stop(app);
}

static void
libevent_log(int severity, const char *msg)
{
    sk_log(severity >= EVENT_LOG_ERR    ? LOG_ERR
           : severity >= EVENT_LOG_WARN ? LOG_WARNING
                                        : LOG_DEBUG,
           "libevent", "%s", msg);
}

void
app_free(struct sk_app *app)
{
    sweep_timer_free(app->sweep);
    purge_timer_free(app->purge);
    if (app->sig_term != NULL)
        event_free(app->sig_term);
    if (app->sig_int != NULL)
        event_free(app->sig_int);
    /* The loop has stopped: outbox_free() may wait for one commit, so it
     * runs while the store is open; its jobs still queued keep what they
     * need of it alive until store_close() has run their callbacks. */
    outbox_free(app->outbox);
    app->outbox = NULL;
    notify_stop(app->notify); /* its jobs still queued send nothing */
    store_close(app->store);  /* runs what is queued, joins the writer */
    app->store = NULL;
    admin_free(app->admin);         /* after the store has answered its jobs */
    voicewire_free(app->voicewire); /* its jobs have all reported */
    app->voicewire = NULL;
    notify_free(app->notify);
    safeguard_free(app->safeguard);
    http_free(app->http);
    prompts_free(app->prompts);
    metrics_free(app->metrics);
    if (app->base != NULL)
        event_base_free(app->base);
    flow_set_free(app->flows);
    privacy_close(app->priv);
    free(app->tz_rule);
    zone_cache_free(app->zones);
    optout_words_free(app->stop_folded, app->n_stop);
    optout_words_free(app->delete_folded, app->n_delete);
    caps_free(app->caps);
    config_free(app->cfg);
}

/* What the writer-thread step reads (inbound.h), all set up by now. */
static void
app_inbound_ctx(struct sk_app *app)
{
    struct inbound_ctx *in = &app->inbound;

    in->cfg = app->cfg;
    in->flows = app->flows;
    in->caps = app->caps;
    in->types = app->types;
    in->tz_rule = app->tz_rule;
    in->zones = app->zones;
    in->stop_folded = app->stop_folded;
    in->n_stop = app->n_stop;
    in->delete_folded = app->delete_folded;
    in->n_delete = app->n_delete;
    in->safeguard = app->safeguard;
}

/* The log's line format: [server] log_format, journald's when stderr is
 * the journal. cfg may be NULL (the config did not load). */
static void
app_log_setup(const struct config *cfg)
{
    int f = sk_log_format_for(cfg != NULL ? cfg->log_format : NULL);

    if (f >= 0)
        sk_log_set_format((enum sk_log_format)f);
}

/* Process-wide set-up, once, before any thread starts. */
static int
app_process_init(void)
{
    evthread_use_pthreads();
    event_set_log_callback(libevent_log);
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : SK_ENOMEM;
}

int
app_serve(const char *config_path)
{
    struct sk_app app;
    struct dlr_ctx dlr;     /* used until app_free() has closed the store */
    struct voice_ctx voice; /* likewise */
    const char *names[CONFIG_MAX_CHANNELS];
    char err[SK_ERR_LEN] = "";
    size_t i;
    int code = 3, rc;
    bool curl_ready = false;

    memset(&app, 0, sizeof(app));
    memset(&dlr, 0, sizeof(dlr));
    memset(&voice, 0, sizeof(voice));
    signal(SIGPIPE, SIG_IGN);
    rc = app_check(&app, config_path, "serve");
    app_log_setup(app.cfg);
    sk_log_release(); /* the warnings, after the problems */
    if (rc == SK_ENOMEM)
        goto nomem;
    if (rc != 0) {
        code = 1;
        goto out;
    }
    if ((app.zones = zone_cache_new()) == NULL)
        goto nomem;
    for (i = 0; i < app.cfg->n_channels; i++)
        names[i] = app.cfg->channels[i].name;
    if ((app.metrics = metrics_new(names, app.cfg->n_channels)) == NULL)
        goto nomem;
    if ((app.caps = caps_new(app.cfg)) == NULL)
        goto nomem;
    app_inbound_ctx(&app);

    if (app_process_init() != 0)
        goto nomem;
    curl_ready = true;
    if ((app.base = event_base_new()) == NULL)
        goto nomem;
    app.store =
        store_open(app.cfg->store_path, app.base, app.cfg->queue_depth, err);
    if (app.store == NULL) {
        fprintf(stderr, "sikiliza serve: %s\n", err);
        goto out;
    }
    if (app_http_start(&app, &dlr, &voice, err) != 0 ||
        app_outbox_start(&app, &dlr, err) != 0 ||
        ((app.notify = notify_from_config(app.cfg, app.base, app.store, err)) ==
             NULL &&
         err[0] != '\0') ||
        app_admin_start(&app, err) != 0) {
        fprintf(stderr, "sikiliza serve: %s\n", err);
        goto out;
    }
    if (voicewire_start(&app.voicewire, app.cfg, app.types, app.base, &voice,
                        err) != 0) {
        fprintf(stderr, "sikiliza serve: %s\n", err);
        code = 1;
        goto out;
    }
    app.sweep = sweep_timer_new(
        app.base, &(struct sweep_deps){app.store, &app.inbound, app.outbox,
                                       app.metrics, app.cfg->n_channels,
                                       &app.pending, app_settled, &app});
    app.purge = purge_timer_new(app.base, app.store, app.cfg, &app.pending,
                                app_settled, &app);
    app.sig_term = evsignal_new(app.base, SIGTERM, on_signal, &app);
    app.sig_int = evsignal_new(app.base, SIGINT, on_signal, &app);
    if (app.sweep == NULL || app.purge == NULL || app.sig_term == NULL ||
        app.sig_int == NULL || event_add(app.sig_term, NULL) != 0 ||
        event_add(app.sig_int, NULL) != 0)
        goto nomem;
    sk_log(LOG_INFO, "serve",
           "listening on %s (%zu %s, %zu %s, store schema %d)", app.cfg->listen,
           app.cfg->n_channels,
           sk_plural((long long)app.cfg->n_channels, "channel", "channels"),
           flow_set_count(app.flows),
           sk_plural((long long)flow_set_count(app.flows), "flow", "flows"),
           store_schema_version(app.store));
    if (event_base_dispatch(app.base) < 0) {
        fprintf(stderr, "sikiliza serve: event loop failed\n");
        goto out;
    }
    sk_log(LOG_INFO, "serve", "stopped");
    code = 0;
    goto out;
nomem:
    fprintf(stderr, "sikiliza serve: out of memory\n");
    code = 3;
out:
    app_free(&app);
    if (curl_ready)
        curl_global_cleanup();
    libevent_global_shutdown();
    return code;
}
