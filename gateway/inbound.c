/*
 * inbound.c - the store step of one inbound message (see inbound.h).
 *
 * Everything here runs on the store's writer thread, inside the job's
 * transaction, and reads only the job and its read-only context: the
 * config, the flows, the caps, the time-zone rule and the opt-out words.
 * Replies are not sent here: the job keeps them (job->reply), the loop
 * renders them for the provider once the transaction has committed.
 *
 * The order is fixed: a duplicate (same channel and provider id) gets the
 * stored reply and nothing else happens; a USSD "more" answer shows the
 * next page; then DELETE erases the contact, STOP opts it out, a
 * disclosure of harm starts the referral (safeguard.h), else the
 * engine takes one step (a keyword starts its flow, a waiting run
 * resumes, a contact whose survey has ended (or who disclosed harm) gets
 * the afterword when a keyword can start it again, otherwise the channel's flow
 * starts); answers are stored, the caps applied, texts for asynchronous
 * channels go to the outbox, and the contact, session, vault entry and inbound
 * row are saved.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "afterword.h"
#include "caps.h"
#include "channel.h"
#include "flow.h"
#include "inbound.h"
#include "log.h"
#include "optout.h"
#include "safeguard.h"
#include "store.h"
#include "ussd.h"
#include "voicestep.h"
#include "zone.h"

#define FLOW_STACK_MAX 32 /* nested runs tracked */
#define MS_PER_DAY     86400000LL
#define USSD_IDLE_MS   (5 * 60 * 1000) /* an abandoned USSD run expires */

int64_t
inbound_now(const struct inbound_ctx *ctx)
{
    struct timespec ts;

    if (ctx->now != NULL)
        return ctx->now();
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
inbound_job_init(struct inbound_job *job, const struct inbound_ctx *ctx,
                 size_t ch)
{
    memset(job, 0, sizeof(*job));
    job->ctx = ctx;
    job->ch = ch;
}

void
inbound_job_clear(struct inbound_job *job)
{
    if (job == NULL)
        return;
    free(job->vault);
    free(job->erase_vault);
    free(job->text);
    free(job->external_id);
    free(job->reply);
    memset(job, 0, sizeof(*job));
}

/* --- the engine step and its events -------------------------------------- */

static const char *
event_str(const json_t *ev, const char *key)
{
    return json_string_value(json_object_get(ev, key));
}

/* The flow an event's "flow" member names: a name, or {"uuid","name"}. */
static const struct flow *
event_flow(const struct inbound_ctx *ctx, const json_t *ev)
{
    const json_t *v = json_object_get(ev, "flow");

    if (json_is_string(v))
        return flow_set_find(ctx->flows, json_string_value(v));
    if (json_is_object(v)) {
        const char *id = event_str(v, "uuid");

        return flow_set_find(ctx->flows,
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
int
inbound_record_events(struct store_tx *tx, const struct inbound_ctx *ctx,
                      const char *key, const json_t *events,
                      const struct flow *waiting, int64_t now, json_t *texts,
                      size_t cap, size_t *dropped)
{
    return inbound_record_events_as(tx, ctx, key, NULL, events, waiting, now,
                                    texts, cap, dropped);
}

int
inbound_record_events_as(struct store_tx *tx, const struct inbound_ctx *ctx,
                         const char *key, const struct inbound_origin *origin,
                         const json_t *events, const struct flow *waiting,
                         int64_t now, json_t *texts, size_t cap,
                         size_t *dropped)
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
                stack[depth++] = event_flow(ctx, ev);
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
        } else if (strcmp(type, "ivr_created") == 0) {
            if ((rc = voicestep_prompt_add(texts, ev, cap, dropped)) != 0)
                return rc;
        } else if (strcmp(type, "run_result_changed") == 0) {
            const struct flow *f = event_flow(ctx, ev);

            if (f == NULL && depth > 0)
                f = stack[depth - 1];
            struct store_result r = {
                .contact_key = key,
                .flow_uuid = f != NULL ? flow_uuid(f) : "",
                .flow_name = f != NULL ? flow_name(f) : "",
                .flow_revision = f != NULL ? flow_revision(f) : 0,
                .name = event_str(ev, "name"),
                .value = event_str(ev, "value"),
                .category = event_str(ev, "category"),
                .input = event_str(ev, "input"),
                .language = origin != NULL ? origin->language : NULL,
                .channel_type = origin != NULL ? origin->channel_type : NULL,
            };

            rc = store_result_add(tx, &r, now);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/* Saves the session and its wait times into c and the store. A run that
 * waits in a USSD session (ussd) has no timeout and expires after
 * USSD_IDLE_MS: a session the child left must not carry on by SMS. */
int
inbound_save_contact(struct store_tx *tx, const struct inbound_ctx *ctx,
                     const char *key, struct store_contact *c,
                     const struct flow_session *s, const char *channel,
                     int64_t now, bool ussd)
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
            c->expires_at = now + (int64_t)ctx->cfg->expire_minutes * 60000;
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

static const struct flow *
default_flow(const struct inbound_ctx *ctx, const struct config_channel *ch)
{
    const char *name = ch->flow != NULL ? ch->flow : ctx->cfg->default_flow;

    return name != NULL ? flow_set_find(ctx->flows, name) : NULL;
}

/* Gives s the environment of [flows]: timezone (with its rule), date
 * format and country, as dates and phone numbers in flows read them. */
int
inbound_session_env(const struct inbound_ctx *ctx, struct flow_session *s)
{
    const struct config *cfg = ctx->cfg;

    if (flow_session_set_env(s, cfg->timezone, cfg->date_format,
                             cfg->country) != 0 ||
        flow_session_set_tz_rule(s, ctx->tz_rule) != 0)
        return SK_ENOMEM;
    if (ctx->zones != NULL)
        flow_session_set_zone_lookup(s, zone_cache_rule, ctx->zones);
    return 0;
}

/* Replaces *sp by a session with no run, keeping the contact's language. */
static int
reset_session(const struct inbound_ctx *ctx, struct flow_session **sp,
              int64_t now, const void *salt)
{
    struct flow_session *fresh =
        flow_session_new(flow_session_language(*sp), make_seed(now, salt));

    if (fresh == NULL || inbound_session_env(ctx, fresh) != 0) {
        flow_session_free(fresh);
        return SK_ENOMEM;
    }
    flow_session_free(*sp);
    *sp = fresh;
    return 0;
}

/* DELETE (erase: word indexes the delete words) or STOP (word indexes
 * the stop words), with the one confirmation in texts. */
static int
inbound_optout(struct store_tx *tx, struct inbound_job *job,
               enum optout_ask ask, int word, struct store_contact *c,
               struct flow_session **sp, json_t *texts, int64_t now,
               bool *keep_vault)
{
    const struct inbound_ctx *ctx = job->ctx;
    const char *lang = flow_session_language(*sp), *reply;
    char stop_text[OPTOUT_STOP_REPLY_MAX];
    int rc, cancelled;

    *keep_vault = false;
    if (ask == OPTOUT_ERASE) {
        reply = optout_erase_reply(lang, ctx->delete_folded[word]);
        if ((rc = optout_erase(tx, job->key, job->legacy_key)) != 0)
            return rc;
        job->erased = true;
        job->status = "erased";
    } else {
        if (reset_session(ctx, sp, now, job) != 0)
            return SK_ENOMEM;
        lang = flow_session_language(*sp); /* the old session is freed */
        if (lang == NULL) /* a first message: the word's language */
            lang = optout_word_lang(ctx->stop_folded[word]);
        rc = optout_cancel_queued(tx, job->key, now, &cancelled);
        if (rc != 0)
            return rc;
        if (cancelled > 0)
            sk_log(LOG_INFO, "inbound",
                   "contact=%.8s cancelled=%d queued messages (opted out)",
                   job->key, cancelled);
        c->opted_out = true;
        job->status = "opted_out";
        reply = optout_stop_reply(lang, flow_set_keyword_at(ctx->flows, 0),
                                  stop_text);
    }
    return json_array_append_new(texts, json_string(reply)) == 0 ? 0
                                                                 : SK_ENOMEM;
}

/* A disclosure (safeguard_take()): the referral's events are recorded as
 * an engine step's. 1 when the text was one, 0 when not, or SK_E*. */
static int
inbound_disclosure(struct store_tx *tx, struct inbound_job *job,
                   struct store_contact *c, struct flow_session *s,
                   json_t *texts, int64_t now)
{
    const struct inbound_ctx *ctx = job->ctx;
    json_t *events;
    int rc = safeguard_take(ctx->safeguard, tx, job->text, s, job->key,
                            ctx->cfg->channels[job->ch].name, now, &events,
                            &job->alert_id);

    if (rc <= 0)
        return rc;
    c->opted_out = false;
    job->status = "disclosure";
    rc = inbound_record_events(tx, ctx, job->key, events, NULL, now, texts,
                               (size_t)ctx->cfg->max_replies_per_inbound,
                               &job->dropped);
    json_decref(events);
    return rc == 0 ? 1 : rc;
}

/* The engine step for one message. Runs on the writer thread. */
static int
inbound_step(struct store_tx *tx, struct inbound_job *job,
             struct store_contact *c, struct flow_session **sp, json_t *texts,
             int64_t now, bool *keep_vault)
{
    const struct inbound_ctx *ctx = job->ctx;
    const struct config_channel *ch = &ctx->cfg->channels[job->ch];
    const struct flow *f = job->start_flow, *waiting = NULL;
    struct inbound_origin origin;
    json_t *events;
    char err[SK_ERR_LEN] = "";
    int rc = 0, word;
    bool manual = job->ussd_start || job->start_flow != NULL;
    enum optout_ask ask =
        optout_classify(ctx->stop_folded, ctx->n_stop, ctx->delete_folded,
                        ctx->n_delete, job->text, &word);

    if (ask != OPTOUT_NONE)
        return inbound_optout(tx, job, ask, word, c, sp, texts, now,
                              keep_vault);
    if (!job->ussd_start &&
        (rc = inbound_disclosure(tx, job, c, *sp, texts, now)) != 0)
        return rc > 0 ? 0 : rc;
    /* USSD and keypad answers are no keywords. Dialling in starts the
     * channel's flow (a call: its voice flow) as a keyword would: a new run,
     * interrupting any other, and an opted-out child taking part again. */
    if (manual) {
        if (f == NULL && (f = default_flow(ctx, ch)) == NULL) {
            job->status = "no_flow";
            return 0;
        }
    } else if (!job->ussd && !job->voice) {
        f = flow_set_match_keyword(ctx->flows, job->text);
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
        job->status = manual ? "started" : "keyword";
        rc = flow_start(ctx->flows, *sp, f, manual ? NULL : job->text, now,
                        events, err);
    } else {
        bool resumed = false;

        if (flow_session_status(*sp) == FLOW_WAITING) {
            struct flow_resume r = {job->resume, job->text};
            const char *id = flow_session_flow(*sp);

            waiting = id != NULL ? flow_set_find(ctx->flows, id) : NULL;
            job->status = "resumed";
            rc = waiting != NULL
                     ? flow_resume(ctx->flows, *sp, &r, now, events, err)
                     : SK_ENOENT;
            if (rc != 0 && rc != SK_ENOMEM) {
                /* e.g. the flow was removed since: start afresh rather
                 * than fail this contact's every message */
                sk_log(LOG_WARNING, "inbound",
                       "contact=%.8s cannot resume (%s), starting afresh",
                       job->key, sk_strerror(rc));
                rc = reset_session(ctx, sp, now, job);
                json_array_clear(events);
                waiting = NULL;
            } else {
                resumed = rc == 0;
            }
        }
        bool due = false; /* the survey has ended, or a disclosure */

        if (rc == 0 && !resumed && !job->ussd && !job->voice &&
            flow_set_keyword_at(ctx->flows, 0) != NULL)
            rc = afterword_due(tx, job->key, *sp, &due);
        if (rc == 0 && due) {
            bool sent; /* no restart (afterword.c) */

            json_decref(events);
            rc = afterword_reply(tx, job->key, flow_session_language(*sp),
                                 ctx->flows, now, texts, &sent);
            job->status = sent ? "afterword" : "afterword_quiet";
            return rc;
        }
        if (rc == 0 && !resumed && job->voice)
            job->status = "not_waiting"; /* a call starts as it rings */
        else if (rc == 0 && !resumed) {
            if ((f = default_flow(ctx, ch)) != NULL) {
                job->status = "started";
                rc =
                    flow_start(ctx->flows, *sp, f, job->text, now, events, err);
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
    origin.language = flow_session_language(*sp);
    origin.channel_type = ch->type;
    rc = inbound_record_events_as(
        tx, ctx, job->key, &origin, events, waiting, now, texts,
        (size_t)ctx->cfg->max_replies_per_inbound, &job->dropped);
    json_decref(events);
    return rc;
}

static int queue_texts(struct store_tx *tx, const char *channel,
                       const char *key, const json_t *texts, int64_t now);

/* After DELETE: the confirmation goes out under no contact key, and the
 * dedupe row keeps no key, no provider id and no exact time either
 * (optout_erased_dedupe()). */
static int
inbound_erased(struct store_tx *tx, struct inbound_job *job, json_t *texts,
               int64_t now)
{
    const struct inbound_ctx *ctx = job->ctx;
    const char *chname = ctx->cfg->channels[job->ch].name;
    int rc;

    if (!job->ussd && !job->voice && !ctx->types[job->ch]->sync_reply) {
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
    /* a USSD answer is already in job->reply (see inbound_ussd_answer()) */
    if (job->reply == NULL &&
        (job->reply = json_dumps(texts, JSON_COMPACT)) == NULL)
        return SK_ENOMEM;
    return optout_erased_dedupe(tx, chname, job->dedupe_id, job->reply, now);
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

/*
 * The stored reply of a USSD step, in job->reply: {"screen": pages[0]},
 * the answer given now (and to a retry of the step), with, when there are
 * more pages, "rest": pages[1..n) and "contact": the key of the child they
 * are for. The next step shows rest[0] if its answer is the more key (see
 * inbound_ussd_next_page()); the pages live in the inbound row, nowhere else.
 */
static int
ussd_store_reply(struct inbound_job *job, const char *const *pages, size_t n)
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
inbound_ussd_answer(struct inbound_job *job, const struct store_contact *c,
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
    rc = ussd_store_reply(job, (const char *const *)pages.v, pages.n);
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
inbound_ussd_next_page(struct store_tx *tx, struct inbound_job *job,
                       int64_t now, bool *shown)
{
    const char *chname = job->ctx->cfg->channels[job->ch].name;
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
    rc = ussd_store_reply(job, pages, n);
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

/* --- the loop side ------------------------------------------------------- */

int
inbound_run(struct store_tx *tx, void *arg)
{
    struct inbound_job *job = arg;
    const struct inbound_ctx *ctx = job->ctx;
    const struct config_channel *ch = &ctx->cfg->channels[job->ch];
    struct store_contact c;
    struct flow_session *s = NULL;
    json_t *texts = NULL;
    char err[SK_ERR_LEN] = "";
    char *prev = NULL;
    int64_t now = inbound_now(ctx);
    bool keep_vault = true;
    int rc;

    memset(&c, 0, sizeof(c));
    /* a replay is answered only to the same contact; another contact that
     * sends the same id is a new message (no other child's reply) */
    rc =
        store_inbound_get_mine(tx, ch->name, job->external_id, job->key, &prev);
    if (rc == SK_ENOENT && job->dedupe_id[0] != '\0') /* an erased DELETE */
        rc = store_inbound_get(tx, ch->name, job->dedupe_id, &prev);
    if (rc == 0) {
        job->reply = prev;
        job->status = "duplicate";
        return 0;
    }
    if (rc != SK_ENOENT)
        return rc;
    if (job->ussd && !job->ussd_start) {
        bool shown;

        if ((rc = inbound_ussd_next_page(tx, job, now, &shown)) != 0 || shown)
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
    if (s == NULL || texts == NULL || inbound_session_env(ctx, s) != 0) {
        rc = SK_ENOMEM;
        goto out;
    }
    rc = inbound_step(tx, job, &c, &s, texts, now, &keep_vault);
    if (rc == 0 && !job->ussd && !job->voice) /* a screen or call is no SMS */
        rc = caps_apply_safe(
            ctx->caps, tx, job->ch, job->key, texts, now,
            job->alert_id > 0 || safeguard_referral_run(ctx->safeguard, s),
            flow_set_global(ctx->flows, "helpline"), job->capped);
    if (rc == 0 && job->erased) {
        c.opted_out = true; /* a USSD session ends with the confirmation */
        if (job->ussd)
            rc = inbound_ussd_answer(job, &c, s, texts);
        else if (job->voice)
            rc = voicestep_answer(ctx->flows, s, true, texts, &job->reply);
        if (rc == 0)
            rc = inbound_erased(tx, job, texts, now);
    }
    if (rc != 0 || job->erased)
        goto out;
    if (job->ussd) {
        /* the answer is the USSD pages, whatever the SMS side does */
        rc = inbound_ussd_answer(job, &c, s, texts);
        if (rc != 0)
            goto out;
    } else if (job->voice) {
        rc = voicestep_answer(ctx->flows, s, c.opted_out, texts, &job->reply);
        if (rc != 0)
            goto out;
    } else if (!ctx->types[job->ch]->sync_reply && json_array_size(texts) > 0) {
        /* the provider takes no reply in its webhook response: every
         * message goes through the outbox, which needs the address */
        rc = queue_texts(tx, ch->name, job->key, texts, now);
        if (rc != 0)
            goto out;
        job->queued = json_array_size(texts);
        json_array_clear(texts);
        keep_vault = true;
    }
    rc = inbound_save_contact(tx, ctx, job->key, &c, s, ch->name, now,
                              job->ussd || job->voice);
    if (rc == 0 && keep_vault)
        rc = store_vault_put(tx, job->key, job->vault, job->vault_len,
                             now + (int64_t)ctx->cfg->vault_days * MS_PER_DAY);
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
