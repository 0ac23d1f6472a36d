/*
 * app.c - `sikiliza serve`: setup, the inbound pipeline, the timeout sweep
 * and shutdown.
 *
 * Inbound pipeline. On the loop (app_receive): the channel type checks the
 * secret or signature and parses the request; the phone number becomes the
 * contact key (privacy_contact_key) and a sealed vault blob
 * (privacy_seal), and is wiped. What goes to the store job holds no clear
 * number: the key, the blob, the text and the provider's id.
 * On the writer thread (inbound_run), in one transaction: dedupe, load
 * the contact, opt-out handling, one engine step, save answers, session,
 * vault entry and the inbound row with its reply. Back on the loop
 * (inbound_done), after COMMIT, the reply is rendered and sent; on any
 * failure the provider gets 5xx and nothing is acknowledged.
 *
 * Timeouts and expiry. A one-second timer submits a sweep job that
 * resumes every due session with FLOW_RESUME_TIMEOUT or
 * FLOW_RESUME_EXPIRE; what those runs send goes to the outbox.
 *
 * Shutdown. SIGTERM/SIGINT closes the listening socket and stops the
 * timer; once every submitted job has reported back, the loop ends and
 * everything is freed in reverse order of setup.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <jansson.h>

#include "app.h"
#include "caps.h"
#include "channel.h"
#include "flow.h"
#include "flowload.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "optout.h"
#include "outbox.h"
#include "privacy.h"
#include "store.h"
#include "text.h"
#include "zone.h"

#define SWEEP_LIMIT       64  /* contacts per sweep job */
#define VAULT_PURGE_LIMIT 256 /* expired vault rows per sweep */
#define FLOW_STACK_MAX    32  /* nested runs tracked */
#define MS_PER_DAY        86400000LL
#define USSD_IDLE_MS      (5 * 60 * 1000) /* an abandoned USSD run expires */

int64_t
app_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- the engine step and its events -------------------------------------- */

static const char *
event_str(const json_t *ev, const char *key)
{
    return json_string_value(json_object_get(ev, key));
}

/* The flow an event's "flow" member names: a name, or {"uuid","name"}. */
static const struct flow *
event_flow(const struct sk_app *app, const json_t *ev)
{
    const json_t *v = json_object_get(ev, "flow");

    if (json_is_string(v))
        return flow_set_find(app->flows, json_string_value(v));
    if (json_is_object(v)) {
        const char *id = event_str(v, "uuid");

        return flow_set_find(app->flows,
                             id != NULL ? id : event_str(v, "name"));
    }
    return NULL;
}

/*
 * Stores each run_result_changed of events as an answer, attributed to the
 * flow whose run produced it (tracked through run_started/run_ended; the
 * stack starts with the flow that was waiting, if any), and appends each
 * msg_created text to texts, at most cap of them (*dropped counts the
 * rest).
 */
static int
record_events(struct store_tx *tx, const struct sk_app *app, const char *key,
              const json_t *events, const struct flow *waiting, int64_t now,
              json_t *texts, size_t cap, size_t *dropped)
{
    const struct flow *stack[FLOW_STACK_MAX];
    size_t depth = 0, i;
    int rc;

    if (waiting != NULL)
        stack[depth++] = waiting;
    for (i = 0; i < json_array_size(events); i++) {
        const json_t *ev = json_array_get(events, i);
        const char *type = event_str(ev, "type");

        if (type == NULL)
            continue;
        if (strcmp(type, "run_started") == 0) {
            if (depth < FLOW_STACK_MAX)
                stack[depth++] = event_flow(app, ev);
        } else if (strcmp(type, "run_ended") == 0) {
            if (depth > 0)
                depth--;
        } else if (strcmp(type, "msg_created") == 0) {
            const char *text = event_str(ev, "text");

            if (text == NULL)
                continue;
            if (json_array_size(texts) >= cap) {
                (*dropped)++;
                continue;
            }
            if (json_array_append_new(texts, json_string(text)) != 0)
                return SK_ENOMEM;
        } else if (strcmp(type, "run_result_changed") == 0) {
            const struct flow *f = event_flow(app, ev);

            if (f == NULL && depth > 0)
                f = stack[depth - 1];
            rc = store_result_put(tx, key, f != NULL ? flow_uuid(f) : "",
                                  f != NULL ? flow_name(f) : "",
                                  event_str(ev, "name"), event_str(ev, "value"),
                                  event_str(ev, "category"),
                                  event_str(ev, "input"), now);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/* Saves the session and its wait times into c and the store. A run that
 * waits in a USSD session (ussd) has no timeout and expires after
 * USSD_IDLE_MS: a session the child left must not carry on by SMS. */
static int
save_contact(struct store_tx *tx, const struct sk_app *app, const char *key,
             struct store_contact *c, const struct flow_session *s,
             const char *channel, int64_t now, bool ussd)
{
    char *dump = flow_session_dump(s);

    if (dump == NULL)
        return SK_ENOMEM;
    free(c->session);
    c->session = dump;
    if (channel != NULL &&
        (c->channel == NULL || strcmp(c->channel, channel) != 0)) {
        free(c->channel);
        if ((c->channel = strdup(channel)) == NULL)
            return SK_ENOMEM;
    }
    c->timeout_at = c->expires_at = 0;
    if (!c->opted_out && flow_session_status(s) == FLOW_WAITING) {
        c->timeout_at = flow_session_timeout_at(s);
        c->expires_at = flow_session_expires_at(s);
        if (c->expires_at == 0)
            c->expires_at = now + (int64_t)app->cfg->expire_minutes * 60000;
        if (ussd) {
            c->timeout_at = 0;
            if (c->expires_at > now + USSD_IDLE_MS)
                c->expires_at = now + USSD_IDLE_MS;
        }
    }
    c->last_seen = now;
    return store_contact_put(tx, key, c);
}

static uint64_t
make_seed(int64_t now, const void *salt)
{
    uint64_t x = (uint64_t)now ^ ((uint64_t)(uintptr_t)salt << 17);

    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* --- inbound ------------------------------------------------------------- */

struct inbound_job {
    struct sk_app *app;
    struct evhttp_request *req;
    double t0;
    size_t ch;
    char key[PRIVACY_KEY_HEX];
    unsigned char *vault;
    size_t vault_len;
    char *text;
    char *external_id;
    bool ussd;       /* a USSD session step: the reply is "CON/END ..." */
    bool ussd_start; /* the first step of a USSD session */
    /* set by inbound_run on the writer thread */
    char *reply;        /* JSON array of the texts to send */
    const char *status; /* for the log line */
    size_t dropped;
    size_t queued; /* texts put into the outbox (asynchronous channels) */
    uint64_t capped[CAPS_COUNT]; /* dropped by caps_apply() */
    bool erased;                 /* DELETE: the contact is gone */
    /* DELETE on a channel replying through the outbox: a one-time key and
     * the address sealed under it (see optout.c), else empty and NULL */
    char erase_key[PRIVACY_KEY_HEX];
    unsigned char *erase_vault;
    size_t erase_vault_len;
    size_t ussd_pages; /* screens of the USSD answer, this one included */
};

static void
inbound_job_free(struct inbound_job *job)
{
    if (job == NULL)
        return;
    free(job->vault);
    free(job->erase_vault);
    free(job->text);
    free(job->external_id);
    free(job->reply);
    free(job);
}

static const struct flow *
default_flow(const struct sk_app *app, const struct config_channel *ch)
{
    const char *name = ch->flow != NULL ? ch->flow : app->cfg->default_flow;

    return name != NULL ? flow_set_find(app->flows, name) : NULL;
}

/* Gives s the environment of [flows]: timezone (with its rule), date
 * format and country, as dates and phone numbers in flows read them. */
static int
session_env(const struct sk_app *app, struct flow_session *s)
{
    const struct config *cfg = app->cfg;

    if (flow_session_set_env(s, cfg->timezone, cfg->date_format,
                             cfg->country) != 0 ||
        flow_session_set_tz_rule(s, app->tz_rule) != 0)
        return SK_ENOMEM;
    flow_session_set_zone_lookup(s, zone_cache_rule, app->zones);
    return 0;
}

/* Replaces *sp by a session with no run, keeping the contact's language. */
static int
reset_session(const struct sk_app *app, struct flow_session **sp, int64_t now,
              const void *salt)
{
    struct flow_session *fresh =
        flow_session_new(flow_session_language(*sp), make_seed(now, salt));

    if (fresh == NULL || session_env(app, fresh) != 0) {
        flow_session_free(fresh);
        return SK_ENOMEM;
    }
    flow_session_free(*sp);
    *sp = fresh;
    return 0;
}

/* The engine step for one message. Runs on the writer thread. */
static int
inbound_step(struct store_tx *tx, struct inbound_job *job,
             struct store_contact *c, struct flow_session **sp, json_t *texts,
             int64_t now, bool *keep_vault)
{
    struct sk_app *app = job->app;
    const struct config_channel *ch = &app->cfg->channels[job->ch];
    const struct flow *f, *waiting = NULL;
    json_t *events;
    char err[SK_ERR_LEN] = "", stop_text[OPTOUT_STOP_REPLY_MAX];
    int rc = 0, word, cancelled;

    word = optout_match(app->delete_folded, app->n_delete, job->text);
    if (word >= 0) {
        const char *confirm = optout_erase_reply(flow_session_language(*sp),
                                                 app->delete_folded[word]);

        if ((rc = store_contact_erase(tx, job->key)) != 0)
            return rc;
        job->erased = true;
        *keep_vault = false;
        job->status = "erased";
        return json_array_append_new(texts, json_string(confirm)) == 0
                   ? 0
                   : SK_ENOMEM;
    }
    if (optout_match(app->stop_folded, app->n_stop, job->text) >= 0) {
        if (reset_session(app, sp, now, job) != 0)
            return SK_ENOMEM;
        rc = optout_cancel_queued(tx, job->key, now, &cancelled);
        if (rc != 0)
            return rc;
        if (cancelled > 0)
            sk_log(LOG_INFO, "inbound",
                   "contact=%.8s cancelled=%d queued messages (opted out)",
                   job->key, cancelled);
        c->opted_out = true;
        *keep_vault = false;
        job->status = "opted_out";
        return json_array_append_new(
                   texts,
                   json_string(optout_stop_reply(
                       flow_session_language(*sp),
                       flow_set_keyword_at(app->flows, 0), stop_text))) == 0
                   ? 0
                   : SK_ENOMEM;
    }
    /* USSD answers are menu choices, not keywords. Dialling in starts the
     * channel's flow as a keyword would: a new run, interrupting any run
     * the contact had by SMS, and an opted-out child taking part again. */
    if (job->ussd_start) {
        if ((f = default_flow(app, ch)) == NULL) {
            job->status = "no_flow";
            return 0;
        }
    } else {
        f = job->ussd ? NULL : flow_set_match_keyword(app->flows, job->text);
    }
    if (c->opted_out && f == NULL) {
        *keep_vault = false;
        job->status = "ignored";
        return 0;
    }
    if ((events = json_array()) == NULL)
        return SK_ENOMEM;
    if (f != NULL) {
        c->opted_out = false;
        job->status = job->ussd_start ? "started" : "keyword";
        rc = flow_start(app->flows, *sp, f, job->ussd_start ? NULL : job->text,
                        now, events, err);
    } else {
        bool resumed = false;

        if (flow_session_status(*sp) == FLOW_WAITING) {
            struct flow_resume r = {FLOW_RESUME_MSG, job->text};
            const char *id = flow_session_flow(*sp);

            waiting = id != NULL ? flow_set_find(app->flows, id) : NULL;
            job->status = "resumed";
            rc = waiting != NULL
                     ? flow_resume(app->flows, *sp, &r, now, events, err)
                     : SK_ENOENT;
            if (rc != 0 && rc != SK_ENOMEM) {
                /* e.g. the flow was removed since: start afresh rather
                 * than fail this contact's every message */
                sk_log(LOG_WARNING, "inbound",
                       "contact=%.8s cannot resume (%s), starting afresh",
                       job->key, sk_strerror(rc));
                rc = reset_session(app, sp, now, job);
                json_array_clear(events);
                waiting = NULL;
            } else {
                resumed = rc == 0;
            }
        }
        if (rc == 0 && !resumed) {
            if ((f = default_flow(app, ch)) != NULL) {
                job->status = "started";
                rc =
                    flow_start(app->flows, *sp, f, job->text, now, events, err);
            } else {
                job->status = "no_flow";
            }
        }
    }
    if (rc != 0) {
        /* err may quote flow content; the code is enough for the log */
        sk_log(LOG_WARNING, "inbound", "contact=%.8s flow step failed: %s",
               job->key, sk_strerror(rc));
        json_decref(events);
        return rc;
    }
    rc =
        record_events(tx, app, job->key, events, waiting, now, texts,
                      (size_t)app->cfg->max_replies_per_inbound, &job->dropped);
    json_decref(events);
    return rc;
}

static int queue_texts(struct store_tx *tx, const char *channel,
                       const char *key, const json_t *texts, int64_t now);

/* After DELETE: the confirmation goes out under no contact key, and the
 * dedupe row keeps no key either. */
static int
inbound_erased(struct store_tx *tx, struct inbound_job *job, json_t *texts,
               int64_t now)
{
    struct sk_app *app = job->app;
    const char *chname = app->cfg->channels[job->ch].name;
    int rc;

    if (!job->ussd && !app->types[job->ch]->sync_reply) {
        if (job->erase_vault != NULL && json_array_size(texts) > 0) {
            rc = queue_texts(tx, chname, job->erase_key, texts, now);
            if (rc == 0)
                rc = store_vault_put(tx, job->erase_key, job->erase_vault,
                                     job->erase_vault_len, now + MS_PER_DAY);
            if (rc != 0)
                return rc;
            job->queued = json_array_size(texts);
        }
        json_array_clear(texts);
    }
    /* a USSD answer is already in job->reply (see ussd_answer()) */
    if (job->reply == NULL &&
        (job->reply = json_dumps(texts, JSON_COMPACT)) == NULL)
        return SK_ENOMEM;
    return store_inbound_put(tx, chname, job->external_id, "", job->reply, now);
}

static const char *
ussd_goodbye(const char *lang)
{
    static const struct {
        const char *lang, *text;
    } texts[] = {
        {"eng", "Thank you. Goodbye."},
        {"fra", "Merci. Au revoir."},
        {"ara", "\xd8\xb4\xd9\x83\xd8\xb1\xd8\xa7. \xd9\x85\xd8\xb9 "
                "\xd8\xa7\xd9\x84\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85\xd8\xa9."},
        {"swa", "Asante. Kwaheri."},
        {"spa", "Gracias. Adi\xc3\xb3s."},
    };
    size_t i;

    for (i = 0; lang != NULL && i < sizeof(texts) / sizeof(texts[0]); i++)
        if (strcmp(texts[i].lang, lang) == 0)
            return texts[i].text;
    return texts[0].text;
}

/*
 * The stored reply of a USSD step, in job->reply: {"screen": pages[0]},
 * the answer given now (and to a retry of the step), with, when there are
 * more pages, "rest": pages[1..n) and "contact": the key of the child they
 * are for. The next step shows rest[0] if its answer is the more key (see
 * ussd_next_page()); the pages live in the inbound row, nowhere else.
 */
static int
ussd_reply(struct inbound_job *job, const char *const *pages, size_t n)
{
    json_t *o = json_object(), *rest = json_array();
    size_t i;
    int rc = SK_ENOMEM;

    if (o == NULL || rest == NULL ||
        json_object_set_new(o, "screen", json_string(pages[0])) != 0)
        goto out;
    for (i = 1; i < n; i++)
        if (json_array_append_new(rest, json_string(pages[i])) != 0)
            goto out;
    /* after DELETE nothing may tie the row to the child (its short
     * confirmations fit one screen, so no page is lost) */
    if (n > 1 && !job->erased &&
        (json_object_set(o, "rest", rest) != 0 ||
         json_object_set_new(o, "contact", json_string(job->key)) != 0))
        goto out;
    if ((job->reply = json_dumps(o, JSON_COMPACT)) != NULL)
        rc = 0;
    job->ussd_pages = n;
out:
    json_decref(rest);
    json_decref(o);
    return rc;
}

/* Lays the texts out on USSD pages (see channel_ussd_paginate()) and keeps
 * them in job->reply; texts is emptied. The last page is "CON ..." while
 * the run waits for the child, else "END ...". */
static int
ussd_answer(struct inbound_job *job, const struct store_contact *c,
            const struct flow_session *s, json_t *texts)
{
    size_t i, n = json_array_size(texts);
    const char **v = calloc(n > 0 ? n : 1, sizeof(*v));
    const char *lang = flow_session_language(s);
    bool more = !c->opted_out && flow_session_status(s) == FLOW_WAITING;
    struct channel_ussd_pages pages;
    int rc;

    if (v == NULL)
        return SK_ENOMEM;
    for (i = 0; i < n; i++)
        if ((v[i] = json_string_value(json_array_get(texts, i))) == NULL)
            v[i] = "";
    rc = channel_ussd_paginate(v, n, more, ussd_goodbye(lang),
                               channel_ussd_more_line(lang), &pages);
    free(v);
    if (rc != 0)
        return rc;
    free(job->reply);
    job->reply = NULL;
    rc = ussd_reply(job, (const char *const *)pages.v, pages.n);
    channel_ussd_pages_clear(&pages);
    json_array_clear(texts);
    return rc;
}

/*
 * A USSD step answered with the more key while the step before has pages
 * left for this child: the next page becomes this step's stored answer
 * and the flow is not resumed (*shown). Without pages left, the answer
 * goes to the flow like any other (*shown false).
 */
static int
ussd_next_page(struct store_tx *tx, struct inbound_job *job, int64_t now,
               bool *shown)
{
    const char *chname = job->app->cfg->channels[job->ch].name;
    const char **pages = NULL, *contact;
    char *prev_id, *prev = NULL;
    json_t *o, *rest;
    size_t i, n;
    int rc;

    *shown = false;
    if (strcmp(job->text, CHANNEL_USSD_MORE_KEY) != 0)
        return 0;
    if ((prev_id = channel_ussd_prev_id(job->external_id)) == NULL)
        return SK_ENOMEM; /* a later step always has a step before */
    rc = store_inbound_get(tx, chname, prev_id, &prev);
    free(prev_id);
    if (rc != 0)
        return rc == SK_ENOENT ? 0 : rc;
    o = json_loads(prev, 0, NULL);
    free(prev);
    rest = json_object_get(o, "rest");
    contact = json_string_value(json_object_get(o, "contact"));
    n = json_array_size(rest);
    if (n == 0 || contact == NULL || strcmp(contact, job->key) != 0) {
        json_decref(o);
        return 0;
    }
    if ((pages = calloc(n, sizeof(*pages))) == NULL) {
        json_decref(o);
        return SK_ENOMEM;
    }
    for (i = 0; i < n; i++)
        if ((pages[i] = json_string_value(json_array_get(rest, i))) == NULL)
            pages[i] = "";
    rc = ussd_reply(job, pages, n);
    free(pages);
    json_decref(o);
    if (rc == 0)
        rc = store_inbound_put(tx, chname, job->external_id, job->key,
                               job->reply, now);
    if (rc == 0) {
        job->status = "paged";
        *shown = true;
    }
    return rc;
}

/* Puts each text of the JSON array into the outbox. */
static int
queue_texts(struct store_tx *tx, const char *channel, const char *key,
            const json_t *texts, int64_t now)
{
    size_t i;
    int rc;

    for (i = 0; i < json_array_size(texts); i++) {
        const char *text = json_string_value(json_array_get(texts, i));

        if (text == NULL)
            continue;
        if ((rc = store_outbox_put(tx, channel, key, text, now, NULL)) != 0)
            return rc;
    }
    return 0;
}

static int
inbound_run(struct store_tx *tx, void *arg)
{
    struct inbound_job *job = arg;
    struct sk_app *app = job->app;
    const struct config_channel *ch = &app->cfg->channels[job->ch];
    struct store_contact c;
    struct flow_session *s = NULL;
    json_t *texts = NULL;
    char err[SK_ERR_LEN] = "";
    char *prev = NULL;
    int64_t now = app_now_ms();
    bool keep_vault = true;
    int rc;

    memset(&c, 0, sizeof(c));
    rc = store_inbound_get(tx, ch->name, job->external_id, &prev);
    if (rc == 0) {
        job->reply = prev;
        job->status = "duplicate";
        return 0;
    }
    if (rc != SK_ENOENT)
        return rc;
    if (job->ussd && !job->ussd_start) {
        bool shown;

        if ((rc = ussd_next_page(tx, job, now, &shown)) != 0 || shown)
            return rc;
    }
    rc = store_contact_get(tx, job->key, &c);
    if (rc == SK_ENOENT)
        memset(&c, 0, sizeof(c));
    else if (rc != 0)
        return rc;
    if (c.session != NULL) {
        s = flow_session_load(c.session, err);
        if (s == NULL)
            sk_log(LOG_WARNING, "inbound",
                   "contact=%.8s stored session unreadable, starting afresh",
                   job->key);
    }
    if (s == NULL)
        s = flow_session_new(NULL, make_seed(now, job));
    texts = json_array();
    if (s == NULL || texts == NULL || session_env(app, s) != 0) {
        rc = SK_ENOMEM;
        goto out;
    }
    rc = inbound_step(tx, job, &c, &s, texts, now, &keep_vault);
    if (rc == 0 && !job->ussd) /* a USSD screen is no SMS */
        rc = caps_apply(app->caps, tx, job->ch, job->key, texts, now,
                        job->capped);
    if (rc == 0 && job->erased) {
        c.opted_out = true; /* a USSD session ends with the confirmation */
        if (job->ussd)
            rc = ussd_answer(job, &c, s, texts);
        if (rc == 0)
            rc = inbound_erased(tx, job, texts, now);
    }
    if (rc != 0 || job->erased)
        goto out;
    if (job->ussd) {
        /* the answer is the USSD pages, whatever the SMS side does */
        rc = ussd_answer(job, &c, s, texts);
        if (rc != 0)
            goto out;
    } else if (!app->types[job->ch]->sync_reply && json_array_size(texts) > 0) {
        /* the provider takes no reply in its webhook response: every
         * message goes through the outbox, which needs the address */
        rc = queue_texts(tx, ch->name, job->key, texts, now);
        if (rc != 0)
            goto out;
        job->queued = json_array_size(texts);
        json_array_clear(texts);
        keep_vault = true;
    }
    rc = save_contact(tx, app, job->key, &c, s, ch->name, now, job->ussd);
    if (rc == 0 && keep_vault)
        rc = store_vault_put(tx, job->key, job->vault, job->vault_len,
                             now + (int64_t)app->cfg->vault_days * MS_PER_DAY);
    if (rc != 0)
        goto out;
    if (job->reply == NULL && /* set for USSD */
        (job->reply = json_dumps(texts, JSON_COMPACT)) == NULL) {
        rc = SK_ENOMEM;
        goto out;
    }
    rc = store_inbound_put(tx, ch->name, job->external_id, job->key, job->reply,
                           now);
out:
    json_decref(texts);
    flow_session_free(s);
    store_contact_clear(&c);
    return rc;
}

static void
send_reply(struct sk_app *app, struct evhttp_request *req, double t0, size_t ch,
           const struct channel_reply *r)
{
    (void)ch;
    http_send(app, req, t0, r->code, r->content_type, r->body, r->body_len);
}

static void
send_error(struct sk_app *app, struct evhttp_request *req, double t0, size_t ch,
           int code, const char *reason)
{
    const struct channel_type *t = app->types[ch];
    struct channel_reply r;

    if (t != NULL &&
        t->render_error(&app->cfg->channels[ch], code, reason, &r) == 0) {
        send_reply(app, req, t0, ch, &r);
        channel_reply_clear(&r);
        return;
    }
    http_send(app, req, t0, code, "text/plain; charset=utf-8", reason,
              strlen(reason));
}

static void
maybe_stop(struct sk_app *app)
{
    struct timeval flush = {0, 200000}; /* let the last replies go out */

    if (app->stopping && app->pending == 0)
        event_base_loopexit(app->base, &flush);
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

/* The stored answer of a USSD step, as text/plain: the "screen" of the
 * object ussd_reply() made, or the one string of the JSON array stored
 * before there were pages. */
static int
render_ussd(const char *reply, struct channel_reply *out, size_t *count)
{
    json_t *v = json_loads(reply != NULL ? reply : "", 0, NULL);
    const char *answer = json_is_array(v)
                             ? json_string_value(json_array_get(v, 0))
                             : json_string_value(json_object_get(v, "screen"));

    memset(out, 0, sizeof(*out));
    if (answer == NULL) {
        json_decref(v);
        return SK_EINVAL;
    }
    out->body = strdup(answer);
    json_decref(v);
    if (out->body == NULL)
        return SK_ENOMEM;
    out->code = HTTP_OK;
    out->content_type = "text/plain; charset=utf-8";
    out->body_len = strlen(out->body);
    *count = 1;
    return 0;
}

static void
inbound_done(void *arg, int rc)
{
    struct inbound_job *job = arg;
    struct sk_app *app = job->app;
    const char *chname = app->cfg->channels[job->ch].name;
    struct channel_reply r;
    char pages[32] = "";
    size_t n = 0;

    app->pending--;
    if (job->ussd_pages > 1)
        snprintf(pages, sizeof(pages), " pages=%zu", job->ussd_pages);
    if (rc == 0 && job->queued > 0)
        outbox_kick(app->outbox);
    if (rc == 0)
        rc = job->ussd ? render_ussd(job->reply, &r, &n)
                       : render_texts(app, job->ch, job->reply, &r, &n);
    if (rc == 0) {
        send_reply(app, job->req, job->t0, job->ch, &r);
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
        send_error(app, job->req, job->t0, job->ch,
                   busy ? HTTP_SERVUNAVAIL : HTTP_INTERNAL,
                   busy ? "busy, try again" : "internal error");
    }
    inbound_job_free(job);
    maybe_stop(app);
}

static const char *
req_header(void *arg, const char *name)
{
    return evhttp_find_header(
        evhttp_request_get_input_headers((struct evhttp_request *)arg), name);
}

/* A NUL-terminated copy of the request body (already size-limited). */
static char *
copy_body(struct evhttp_request *req, size_t *len)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    char *body = malloc(n + 1);

    if (body == NULL)
        return NULL;
    if (n > 0 && evbuffer_copyout(in, body, n) != (ev_ssize_t)n) {
        free(body);
        return NULL;
    }
    body[n] = '\0';
    *len = n;
    return body;
}

/* Wipes and frees the copy of a request body: it holds the number. */
static void
body_free(const struct channel_request *creq, char *body)
{
    if (body == NULL)
        return;
    explicit_bzero(body, creq->body_len);
    free(body);
}

static int
request_of(struct evhttp_request *req, struct channel_request *creq,
           char **body)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);

    memset(creq, 0, sizeof(*creq));
    if ((*body = copy_body(req, &creq->body_len)) == NULL)
        return SK_ENOMEM;
    creq->body = *body;
    creq->query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
    creq->uri = evhttp_request_get_uri(req);
    creq->content_type = req_header(req, "Content-Type");
    creq->header = req_header;
    creq->header_arg = req;
    return 0;
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
    struct inbound_job *job = NULL;
    char err[SK_ERR_LEN] = "", *body = NULL;
    bool start = false;
    int rc;

    if (request_of(req, &creq, &body) != 0) {
        metrics_error(app->metrics, ch, METRICS_ERR_INTERNAL);
        send_error(app, req, t0, ch, HTTP_INTERNAL, "out of memory");
        return;
    }
    if (t->verify(cc, &creq) != 0) {
        body_free(&creq, body);
        metrics_error(app->metrics, ch, METRICS_ERR_DENIED);
        sk_log(LOG_WARNING, "inbound", "channel=%s denied: bad secret",
               cc->name);
        send_error(app, req, t0, ch, 403, "forbidden");
        return;
    }
    rc = ussd ? t->parse_ussd(cc, &creq, &in, &start, err)
              : t->parse(cc, &creq, &in, err);
    body_free(&creq, body);
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
    job = calloc(1, sizeof(*job));
    rc = job != NULL ? privacy_contact_key(app->priv, in.urn, job->key)
                     : SK_ENOMEM;
    if (rc == SK_EINVAL || rc == SK_ELIMIT) {
        channel_inbound_clear(&in);
        inbound_job_free(job);
        metrics_error(app->metrics, ch, METRICS_ERR_BAD_REQUEST);
        sk_log(LOG_INFO, "inbound", "channel=%s bad request: %s", cc->name,
               rc == SK_ELIMIT ? "too_long" : "not_phone_number");
        send_error(app, req, t0, ch, HTTP_BADREQUEST,
                   ussd ? "\"phoneNumber\" is not a valid phone number"
                        : "\"from\" is not a valid phone number");
        return;
    }
    if (rc == 0 && !ussd && !t->sync_reply &&
        optout_match(app->delete_folded, app->n_delete, in.text) >= 0) {
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
        inbound_job_free(job);
        metrics_error(app->metrics, ch, METRICS_ERR_INTERNAL);
        send_error(app, req, t0, ch, HTTP_INTERNAL, "internal error");
        return;
    }
    job->app = app;
    job->req = req;
    job->t0 = t0;
    job->ch = ch;
    job->text = in.text;
    job->external_id = in.external_id;
    job->ussd = ussd;
    job->ussd_start = start;
    in.text = in.external_id = NULL;
    channel_inbound_clear(&in); /* wipes the number */
    if (store_submit(app->store, inbound_run, inbound_done, job) != 0) {
        metrics_error(app->metrics, ch, METRICS_ERR_BUSY);
        sk_log(LOG_WARNING, "inbound", "channel=%s contact=%.8s store busy",
               cc->name, job->key);
        inbound_job_free(job); /* inbound_done() will never run */
        send_error(app, req, t0, ch, HTTP_SERVUNAVAIL, "busy, try again");
        return;
    }
    app->pending++;
}

void
app_receive(struct sk_app *app, struct evhttp_request *req, size_t ch,
            double t0)
{
    receive(app, req, ch, t0, false);
}

void
app_ussd(struct sk_app *app, struct evhttp_request *req, size_t ch, double t0)
{
    if (app->types[ch]->parse_ussd == NULL) {
        send_error(app, req, t0, ch, HTTP_NOTFOUND, "no USSD on this channel");
        return;
    }
    receive(app, req, ch, t0, true);
}

struct status_job {
    struct sk_app *app;
    struct evhttp_request *req;
    double t0;
    size_t ch;
};

/* Loop: the delivery report is stored (or matched no row). */
static void
status_done(void *arg, int rc)
{
    struct status_job *job = arg;
    struct sk_app *app = job->app;

    app->pending--;
    if (rc == 0 || rc == SK_ENOENT) {
        /* a report for a row we do not know is still acknowledged, or
         * the provider would retry it for ever */
        http_send(app, job->req, job->t0, HTTP_OK, "application/json", "{}", 2);
    } else {
        metrics_error(app->metrics, job->ch, METRICS_ERR_STORE);
        send_error(app, job->req, job->t0, job->ch, HTTP_SERVUNAVAIL,
                   "busy, try again");
    }
    free(job);
    maybe_stop(app);
}

void
app_status(struct sk_app *app, struct evhttp_request *req, size_t ch, double t0)
{
    const struct config_channel *cc = &app->cfg->channels[ch];
    const struct channel_type *t = app->types[ch];
    struct channel_request creq;
    struct channel_status st;
    struct status_job *job;
    char err[SK_ERR_LEN] = "", *body = NULL;
    int rc;

    if (request_of(req, &creq, &body) != 0) {
        send_error(app, req, t0, ch, HTTP_INTERNAL, "out of memory");
        return;
    }
    if (t->verify(cc, &creq) != 0) {
        body_free(&creq, body);
        metrics_error(app->metrics, ch, METRICS_ERR_DENIED);
        send_error(app, req, t0, ch, 403, "forbidden");
        return;
    }
    memset(&st, 0, sizeof(st));
    rc = t->parse_status != NULL ? t->parse_status(cc, &creq, &st, err)
                                 : SK_ENOENT;
    body_free(&creq, body);
    if (rc == SK_EINVAL) {
        metrics_error(app->metrics, ch, METRICS_ERR_BAD_REQUEST);
        send_error(app, req, t0, ch, HTTP_BADREQUEST, err);
        return;
    }
    if (rc != 0 && rc != SK_ENOENT) {
        /* not stored: the provider must send the report again */
        metrics_error(app->metrics, ch, METRICS_ERR_INTERNAL);
        send_error(app, req, t0, ch, HTTP_INTERNAL, "internal error");
        return;
    }
    if (rc != 0 || !st.final || app->outbox == NULL) {
        /* nothing to record: no parser, an interim report, no outbox */
        http_send(app, req, t0, HTTP_OK, "application/json", "{}", 2);
        return;
    }
    if ((job = calloc(1, sizeof(*job))) == NULL) {
        send_error(app, req, t0, ch, HTTP_INTERNAL, "out of memory");
        return;
    }
    job->app = app;
    job->req = req;
    job->t0 = t0;
    job->ch = ch;
    if (st.row_id > 0)
        rc = outbox_delivery_row(app->outbox, cc->name, st.row_id, st.status,
                                 status_done, job);
    else
        rc = outbox_delivery(app->outbox, cc->name, st.external_id, st.status,
                             status_done, job);
    if (rc != 0) {
        free(job); /* status_done() will never run */
        metrics_error(app->metrics, ch, METRICS_ERR_BUSY);
        send_error(app, req, t0, ch, HTTP_SERVUNAVAIL, "busy, try again");
        return;
    }
    app->pending++;
}

/* --- timeouts and expiry ---------------------------------------------------
 */

struct sweep_job {
    struct sk_app *app;
    char keys[SWEEP_LIMIT][PRIVACY_KEY_HEX];
    int n;
    int resumed;
    int purged; /* expired vault entries deleted */
    /* messages dropped by caps, by channel index */
    uint64_t capped[CONFIG_MAX_CHANNELS][CAPS_COUNT];
};

/* The config index of channel name, or SIZE_MAX. */
static size_t
channel_index(const struct sk_app *app, const char *name)
{
    size_t i;

    for (i = 0; name != NULL && i < app->cfg->n_channels; i++)
        if (strcmp(app->cfg->channels[i].name, name) == 0)
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
    struct sk_app *app = job->app;
    struct store_contact c;
    struct flow_session *s = NULL;
    const struct flow *waiting = NULL;
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
    if (s != NULL && session_env(app, s) != 0) {
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
        waiting = id != NULL ? flow_set_find(app->flows, id) : NULL;
        events = json_array();
        texts = json_array();
        if (events == NULL || texts == NULL) {
            rc = SK_ENOMEM;
            goto out;
        }
        rc = flow_resume(app->flows, s, &r, now, events, err);
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
    rc = record_events(tx, app, key, events, waiting, now, texts,
                       (size_t)app->cfg->max_replies_per_inbound, &dropped);
    ch = channel_index(app, c.channel);
    if (rc == 0 && dropped > 0) {
        sk_log(LOG_WARNING, "caps",
               "channel=%s contact=%.8s dropped=%zu cap=%s (%d an inbound)",
               c.channel != NULL ? c.channel : "-", key, dropped,
               caps_name(CAPS_PER_INBOUND), app->cfg->max_replies_per_inbound);
        if (ch < CONFIG_MAX_CHANNELS)
            job->capped[ch][CAPS_PER_INBOUND] += dropped;
    }
    if (rc == 0 && ch < CONFIG_MAX_CHANNELS)
        rc = caps_apply(app->caps, tx, ch, key, texts, now, job->capped[ch]);
    for (i = 0; rc == 0 && i < json_array_size(texts); i++) {
        if (c.channel == NULL)
            break;
        rc = store_outbox_put(tx, c.channel, key,
                              json_string_value(json_array_get(texts, i)), now,
                              NULL);
    }
    if (rc == 0)
        rc = save_contact(tx, app, key, &c, s, NULL, now, false);
    if (rc == 0)
        job->resumed++;
out:
    json_decref(events);
    json_decref(texts);
    flow_session_free(s);
    store_contact_clear(&c);
    return rc;
}

static int
sweep_run(struct store_tx *tx, void *arg)
{
    struct sweep_job *job = arg;
    int64_t now = app_now_ms();
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

static void
sweep_done(void *arg, int rc)
{
    struct sweep_job *job = arg;
    struct sk_app *app = job->app;

    app->pending--;
    app->sweeping = false;
    for (size_t ch = 0; rc == 0 && ch < app->cfg->n_channels; ch++)
        for (int k = 0; k < CAPS_COUNT; k++)
            metrics_capped(app->metrics, ch, k, job->capped[ch][k]);
    if (rc != 0)
        sk_log(LOG_WARNING, "sweep", "failed: %s", sk_strerror(rc));
    else if (job->resumed > 0 || job->purged > 0)
        sk_log(LOG_INFO, "sweep", "resumed=%d expired_addresses=%d",
               job->resumed, job->purged);
    free(job);
    maybe_stop(app);
}

static void
sweep_tick(evutil_socket_t fd, short what, void *arg)
{
    struct sk_app *app = arg;
    struct sweep_job *job;

    (void)fd;
    (void)what;
    if (app->stopping)
        return;
    outbox_kick(app->outbox);
    if (app->sweeping)
        return;
    if ((job = calloc(1, sizeof(*job))) == NULL)
        return;
    job->app = app;
    if (store_submit(app->store, sweep_run, sweep_done, job) != 0) {
        free(job); /* busy: try on the next tick */
        return;
    }
    app->sweeping = true;
    app->pending++;
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
    sk_log(LOG_INFO, "serve", "signal %d: stopping (%d jobs in flight)",
           (int)sig, app->pending);
    app->stopping = true;
    http_stop_intake(app->http);
    outbox_stop(app->outbox);
    if (app->sweep_timer != NULL)
        event_del(app->sweep_timer);
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

#define SECRET_MIN 12 /* characters of a channel secret, at least */

/* What is wrong with a channel secret (it travels in webhook URLs, so it
 * must not be guessable), or NULL. Never quotes the secret. */
static const char *
secret_problem(const char *secret)
{
    /* the sample values of deploy/sikiliza.conf.example */
    static const char *const samples[] = {"change-me", "change-me-too",
                                          "change-me-as-well"};
    size_t i;

    for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
        if (strcasecmp(secret, samples[i]) == 0)
            return "is a sample value from the example configuration";
    if (strlen(secret) < SECRET_MIN)
        return "is too short (12 characters at least)";
    return NULL;
}

/* Checks what the config names: channel types, flows. 0 or SK_EINVAL. */
static int
check_config(struct sk_app *app)
{
    const struct config *cfg = app->cfg;
    char reason[SK_ERR_LEN];
    size_t i;
    int rc = 0;

    for (i = 0; i < cfg->n_channels; i++) {
        const struct config_channel *ch = &cfg->channels[i];

        app->types[i] = channel_find(ch->type);
        if (app->types[i] == NULL) {
            fprintf(stderr,
                    "%s: [channel %s]: type \"%s\" is not supported "
                    "yet\n",
                    cfg->file, ch->name, ch->type);
            rc = SK_EINVAL;
        } else if (ch->secret != NULL && secret_problem(ch->secret) != NULL) {
            fprintf(stderr,
                    "%s: [channel %s]: secret %s; use a random one, e.g. "
                    "from `openssl rand -hex 16`\n",
                    cfg->file, ch->name, secret_problem(ch->secret));
            rc = SK_EINVAL;
        } else if (app->types[i]->check != NULL &&
                   app->types[i]->check(ch, reason) != 0) {
            fprintf(stderr, "%s: [channel %s]: %s\n", cfg->file, ch->name,
                    reason);
            rc = SK_EINVAL;
        }
        if (app->types[i] != NULL && app->types[i]->can_send != NULL &&
            !app->types[i]->can_send(ch)) {
            if (!app->types[i]->sync_reply)
                sk_log(LOG_WARNING, "serve",
                       "channel=%s cannot send (missing credentials): its "
                       "SMS replies stay queued",
                       ch->name);
            else /* replies go back in the webhook answer, nothing else */
                sk_log(LOG_WARNING, "serve",
                       "channel=%s has no send_url: timeouts and reminders "
                       "for it stay queued",
                       ch->name);
        }
        if (ch->flow != NULL && flow_set_find(app->flows, ch->flow) == NULL) {
            fprintf(stderr, "%s: [channel %s]: flow \"%s\" not found in %s\n",
                    cfg->file, ch->name, ch->flow, cfg->flows_dir);
            rc = SK_EINVAL;
        }
    }
    if (cfg->default_flow != NULL &&
        flow_set_find(app->flows, cfg->default_flow) == NULL) {
        fprintf(stderr, "%s: [flows] default: flow \"%s\" not found in %s\n",
                cfg->file, cfg->default_flow, cfg->flows_dir);
        rc = SK_EINVAL;
    }
    app->n_stop = cfg->n_stop_words < CONFIG_MAX_WORDS ? cfg->n_stop_words
                                                       : CONFIG_MAX_WORDS;
    if (optout_fold_words(cfg->stop_words, app->n_stop, app->stop_folded) !=
        0) {
        app->n_stop = 0;
        return SK_ENOMEM;
    }
    if (optout_fold_words(cfg->delete_words, cfg->n_delete_words,
                          app->delete_folded) != 0)
        return SK_ENOMEM;
    app->n_delete = cfg->n_delete_words;
    return rc;
}

static void
app_free(struct sk_app *app)
{
    if (app->sweep_timer != NULL)
        event_free(app->sweep_timer);
    if (app->sig_term != NULL)
        event_free(app->sig_term);
    if (app->sig_int != NULL)
        event_free(app->sig_int);
    /* The loop has stopped: outbox_free() may wait for one commit, so it
     * runs while the store is open; its jobs still queued keep what they
     * need of it alive until store_close() has run their callbacks. */
    outbox_free(app->outbox);
    app->outbox = NULL;
    store_close(app->store); /* runs what is queued, joins the writer */
    app->store = NULL;
    http_free(app->http);
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

/* outbox_opts.report: an attempt's committed outcome, for the metrics. */
static void
outbox_report(void *arg, const char *channel, enum outbox_verdict v)
{
    struct sk_app *app = arg;
    size_t i;

    for (i = 0; i < app->cfg->n_channels; i++) {
        if (strcmp(app->cfg->channels[i].name, channel) != 0)
            continue;
        if (v == OUTBOX_SENT)
            metrics_messages_out(app->metrics, i, 1);
        else
            metrics_error(app->metrics, i, METRICS_ERR_SEND);
        return;
    }
}

/* The outbox, sending for every channel whose type can send on its own
 * (see channel.h). NULL with err empty when none. */
static struct outbox *
app_outbox_new(struct sk_app *app, char err[SK_ERR_LEN])
{
    const struct config *cfg = app->cfg;
    struct outbox_opts opts = {
        .max_parallel = cfg->outbox_max_parallel,
        .max_attempts = cfg->outbox_max_attempts,
        .poll_ms = cfg->outbox_poll_ms,
        .backoff_base_ms = cfg->outbox_backoff_base_ms,
        .backoff_max_ms = cfg->outbox_backoff_max_ms,
        .report = outbox_report,
        .report_arg = app,
    };
    struct outbox_channel oc;
    struct outbox *ob = NULL;
    size_t i;
    int rc;

    for (i = 0; i < app->cfg->n_channels; i++) {
        const struct config_channel *ch = &app->cfg->channels[i];
        const struct channel_type *t = app->types[i];

        if (t->build_send == NULL || (t->can_send != NULL && !t->can_send(ch)))
            continue;
        if (ob == NULL && (ob = outbox_new(app->base, app->store, app->priv,
                                           &opts, err)) == NULL)
            return NULL;
        memset(&oc, 0, sizeof(oc));
        oc.name = ch->name;
        oc.build = t->build_send;
        oc.release = outbox_req_free;
        oc.result = t->send_result;
        oc.idempotent = t->idempotent_send;
        oc.arg = (void *)ch;
        if ((rc = outbox_add_channel(ob, &oc)) != 0) {
            sk_seterr(err, "outbox: channel %s: %s", ch->name, sk_strerror(rc));
            outbox_free(ob);
            return NULL;
        }
    }
    if (ob != NULL && (rc = outbox_start(ob)) != 0) {
        sk_seterr(err, "outbox: %s", sk_strerror(rc));
        outbox_free(ob);
        return NULL;
    }
    return ob;
}

int
app_serve(const char *config_path)
{
    struct sk_app app;
    struct timeval second = {1, 0};
    const char *names[CONFIG_MAX_CHANNELS];
    char err[SK_ERR_LEN] = "";
    size_t i;
    int code = 3, rc;
    bool curl_ready = false;

    memset(&app, 0, sizeof(app));
    signal(SIGPIPE, SIG_IGN);
    app.cfg = config_load(config_path, err);
    if (app.cfg == NULL) {
        fprintf(stderr, "sikiliza serve: %s\n", err);
        return 1;
    }
    app.priv = privacy_open(app.cfg->key_file, err);
    if (app.priv == NULL) {
        fprintf(stderr, "sikiliza serve: %s\n", err);
        code = 1;
        goto out;
    }
    if ((app.flows = flow_set_new()) == NULL)
        goto nomem;
    rc = flowload_paths(app.flows, (const char *const *)&app.cfg->flows_dir, 1,
                        stderr, NULL);
    if (rc == SK_ENOMEM)
        goto nomem;
    if (rc != 0) {
        code = 1;
        goto out;
    }
    rc = check_config(&app);
    if (rc == SK_ENOMEM)
        goto nomem;
    if (rc != 0) {
        code = 1;
        goto out;
    }
    if (app.cfg->timezone != NULL &&
        (app.tz_rule = zone_rule(app.cfg->timezone, err)) == NULL) {
        fprintf(stderr, "sikiliza serve: %s: [flows] %s\n", app.cfg->file, err);
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
    caps_log_long_texts(app.flows, app.cfg->max_segments);

    /* process-wide set-up, once, before any thread starts */
    evthread_use_pthreads();
    event_set_log_callback(libevent_log);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
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
    app.http = http_start(&app, err);
    if (app.http == NULL) {
        fprintf(stderr, "sikiliza serve: %s\n", err);
        goto out;
    }
    app.outbox = app_outbox_new(&app, err);
    if (app.outbox == NULL && err[0] != '\0') {
        fprintf(stderr, "sikiliza serve: %s\n", err);
        goto out;
    }
    app.sweep_timer = event_new(app.base, -1, EV_PERSIST, sweep_tick, &app);
    app.sig_term = evsignal_new(app.base, SIGTERM, on_signal, &app);
    app.sig_int = evsignal_new(app.base, SIGINT, on_signal, &app);
    if (app.sweep_timer == NULL || app.sig_term == NULL ||
        app.sig_int == NULL || event_add(app.sweep_timer, &second) != 0 ||
        event_add(app.sig_term, NULL) != 0 || event_add(app.sig_int, NULL) != 0)
        goto nomem;
    sk_log(LOG_INFO, "serve",
           "listening on %s (%zu channels, %zu flows, store schema %d)",
           app.cfg->listen, app.cfg->n_channels, flow_set_count(app.flows),
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
