/*
 * voice.c - voice calls (see voice.h): the loop side of every callback of
 * a call, and the store job that asks a question again.
 *
 * A callback is read by the channel type (verify, parse_call); which step
 * it is comes from the path (/voice, /voice/gather, /voice/record,
 * /voice/timeout, /voice/status) and the step number n in the query, which
 * the answer of the step before put into its URLs: the inbound row of
 * "CALLID#n" dedupes the step, so a provider's retry gets the same answer
 * and is not counted twice. The call's first step is n = 0.
 *
 * Steps go to the store as inbound jobs (inbound_run()); the job's reply
 * is the stored next step (voicestep.h), rendered here for the provider
 * after COMMIT. A recording that cannot be heard goes to ask_again_run():
 * the step before is answered again, with "sorry" first and the keypad
 * instead of the recording.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "asr.h"
#include "channel.h"
#include "config.h"
#include "flow.h"
#include "flow_wait.h"
#include "http.h"
#include "inbound.h"
#include "log.h"
#include "metrics.h"
#include "optout.h"
#include "privacy.h"
#include "recording.h"
#include "store.h"
#include "voice.h"
#include "voicerec.h"
#include "voicestep.h"
#include "webreq.h"

#define VOICE_MAX_STEP  10000 /* steps of one call */
#define VOICE_ID_MAX    (CHANNEL_MAX_ID + 16)
#define VOICE_HOLD_MS   4000  /* a held request is answered by then */
#define VOICE_POLL_S    1     /* the pause before the poll comes back */
#define VOICE_MAX_POLLS 4     /* then the call is asked again */
#define VOICE_PARK_MS   15000 /* an answer waits this long for its poll */
#define VOICE_PATH_MAX  192

enum voice_kind {
    VK_START,   /* POST /c/NAME/voice: the call comes in */
    VK_GATHER,  /* keys pressed */
    VK_RECORD,  /* a recording (or a key that ended it) */
    VK_TIMEOUT, /* nothing given before the wait's timeout */
    VK_STATUS,  /* the call's status callback */
    VK_POLL,    /* back for the answer to a recording being heard */
    VK_UNKNOWN
};

/* One step of a call on its way through the store. */
struct voice_job {
    struct inbound_job in;
    struct voice_ctx *vc;
    struct evhttp_request *req; /* NULL while parked between polls */
    double t0;
    unsigned n;        /* the step number of this callback */
    bool end;          /* the call is over: answered with an empty 200 */
    bool ask_again;    /* ask_again_run(): answer step n - 1 again */
    bool hear;         /* a recording to hear first */
    char *again_reply; /* what ask_again_run() found */
    /* a recording to hear (voice_ctx fetch and rec are set) */
    char *recording_url;
    struct event *hold;     /* answers "sorry" when hearing takes long */
    bool gave_up;           /* the hold has answered: drop what comes */
    const char *heard_note; /* for the log: how the recording went */
    bool listen_only;       /* an open answer in a language not heard: kept */
    char lang[8];           /* the waiting run's language, or "" */
    struct flow_choices choices; /* its closed set, or none */
    /* parked: the provider was told to poll (vc->parked lists it) */
    bool parked, ready; /* ready: the answer is in, for the next poll */
    int ready_rc, polls;
    bool poll; /* poll_run(): a poll for an answer not parked */
    struct voice_job *next_parked;
    struct audio_pcm pcm; /* the heard recording, to keep beside its result */
    bool kept;            /* hear_run(): stored in the recordings table */
};

static void
voice_job_free(struct voice_job *vj)
{
    if (vj == NULL)
        return;
    inbound_job_clear(&vj->in);
    free(vj->again_reply);
    free(vj->recording_url);
    flow_choices_clear(&vj->choices);
    audio_pcm_free(&vj->pcm);
    if (vj->hold != NULL)
        event_free(vj->hold);
    free(vj);
}

static void
voice_error(const struct voice_ctx *vc, struct evhttp_request *req, double t0,
            size_t ch, int code, const char *reason)
{
    webreq_error(vc->http, vc->types[ch], &vc->cfg->channels[ch], req, t0, code,
                 reason);
}

/* The flow a call on channel cc starts: the channel's flow when it is a
 * voice flow, else the first voice flow loaded; NULL when there is none. */
static const struct flow *
voice_flow(const struct flow_set *set, const struct config_channel *cc)
{
    const struct flow *f =
        cc->flow != NULL ? flow_set_find(set, cc->flow) : NULL;
    size_t i;

    if (f != NULL && strcmp(flow_type(f), "voice") == 0)
        return f;
    for (i = 0; i < flow_set_count(set); i++)
        if (strcmp(flow_type(flow_set_at(set, i)), "voice") == 0)
            return flow_set_at(set, i);
    return NULL;
}

/* The step of a callback from its path after /c/NAME/voice. */
static enum voice_kind
voice_kind(const char *rest)
{
    static const struct {
        const char *path;
        enum voice_kind kind;
    } kinds[] = {
        {"", VK_START},         {"/gather", VK_GATHER},
        {"/record", VK_RECORD}, {"/timeout", VK_TIMEOUT},
        {"/status", VK_STATUS}, {"/poll", VK_POLL},
    };
    size_t i;

    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(rest, kinds[i].path) == 0)
            return kinds[i].kind;
    return VK_UNKNOWN;
}

/* Reads the kind from the request's path and n from its query ("n=3"):
 * 0, or SK_EINVAL for a path or step that is not ours. */
static int
voice_where(struct evhttp_request *req, enum voice_kind *kind, unsigned *n)
{
    const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
    const char *path = u != NULL ? evhttp_uri_get_path(u) : NULL;
    const char *query = u != NULL ? evhttp_uri_get_query(u) : NULL;
    const char *rest, *v;
    struct evkeyvalq q;
    char *end;
    long step = 0;

    *n = 0;
    if (path == NULL || strncmp(path, "/c/", 3) != 0 ||
        (rest = strchr(path + 3, '/')) == NULL ||
        strncmp(rest, "/voice", 6) != 0)
        return SK_EINVAL;
    *kind = voice_kind(rest + 6);
    if (*kind == VK_UNKNOWN)
        return SK_EINVAL;
    if (query != NULL && evhttp_parse_query_str(query, &q) == 0) {
        if ((v = evhttp_find_header(&q, "n")) != NULL) {
            step = strtol(v, &end, 10);
            if (*end != '\0' || step < 0 || step > VOICE_MAX_STEP)
                step = -1;
        }
        evhttp_clear_headers(&q);
    }
    if (step < 0)
        return SK_EINVAL;
    if (*kind != VK_START && *kind != VK_STATUS && step == 0)
        return SK_EINVAL; /* a later step always has its number */
    *n = (unsigned)step;
    return 0;
}

/* --- after COMMIT -------------------------------------------------------- */

static void
park_unlink(struct voice_job *vj)
{
    struct voice_job **p;

    if (!vj->parked)
        return;
    for (p = &vj->vc->parked; *p != NULL; p = &(*p)->next_parked)
        if (*p == vj) {
            *p = vj->next_parked;
            break;
        }
    vj->parked = false;
}

/* Answers req with a short pause and a redirect to the poll URL of step
 * n of channel ch. */
static void
poll_reply(const struct voice_ctx *vc, size_t ch, struct evhttp_request *req,
           double t0, unsigned n)
{
    const struct config_channel *cc = &vc->cfg->channels[ch];
    struct channel_voice v;
    struct channel_reply r;
    char path[VOICE_PATH_MAX];

    memset(&v, 0, sizeof(v));
    snprintf(path, sizeof(path), "/c/%s/voice/poll?n=%u", cc->name, n);
    v.next = CHANNEL_VOICE_POLL;
    v.pause_s = VOICE_POLL_S;
    v.action = path;
    if (vc->types[ch]->render_call(cc, &v, &r) != 0) {
        voice_error(vc, req, t0, ch, HTTP_INTERNAL, "internal error");
        return;
    }
    http_send(vc->http, req, t0, r.code, r.content_type, r.body, r.body_len);
    channel_reply_clear(&r);
}

/* The job has reported back: one less in flight, and it is freed. */
static void
voice_finish(struct voice_job *vj)
{
    const struct voice_ctx *vc = vj->vc;

    park_unlink(vj);
    if (vj->hold != NULL)
        event_free(vj->hold);
    vj->hold = NULL;
    (*vc->pending)--;
    if (vc->settled != NULL)
        vc->settled(vc->settled_arg);
    voice_job_free(vj);
}

/* What the step did, for the log. */
static const char *
step_status(const struct voice_job *vj)
{
    const char *st = vj->in.status;

    if (vj->ask_again)
        return "asked_again";
    if (vj->end && (st == NULL || strcmp(st, "no_call_run") != 0))
        return "call_over";
    return st != NULL ? st : "-";
}

/* Sends the answer of the step (rc 0) or an error, once: a request the
 * hold already answered (vj->req NULL) gets nothing more. */
static void
voice_answer(struct voice_job *vj, int rc)
{
    const struct voice_ctx *vc = vj->vc;
    struct inbound_job *job = &vj->in;
    const struct config_channel *cc = &vc->cfg->channels[job->ch];
    struct channel_reply r;

    if (vj->req == NULL)
        return;
    if (rc == 0 && vj->end) {
        http_send(vc->http, vj->req, vj->t0, HTTP_OK, "text/plain", "", 0);
    } else if (rc == 0) {
        const char *lang = NULL;
        json_t *o = vj->ask_again ? json_loads(vj->again_reply, 0, NULL) : NULL;

        if (o != NULL)
            lang = json_string_value(json_object_get(o, "lang"));
        rc = voicestep_render(vc->types[job->ch], cc, cc->name,
                              vj->ask_again ? vj->again_reply : job->reply,
                              vj->ask_again ? vj->n - 1 : vj->n,
                              vj->ask_again ? voicestep_sorry(lang) : NULL,
                              vj->ask_again, &r);
        json_decref(o);
        if (rc == 0) {
            http_send(vc->http, vj->req, vj->t0, r.code, r.content_type, r.body,
                      r.body_len);
            channel_reply_clear(&r);
        }
    }
    if (rc == 0) {
        if (job->status != NULL && strcmp(job->status, "duplicate") != 0)
            metrics_message_in(vc->metrics, job->ch);
        sk_log(LOG_INFO, "voice", "channel=%s contact=%.8s step=%u status=%s",
               cc->name, job->key, vj->n, step_status(vj));
        if (vj->heard_note != NULL)
            sk_log(LOG_INFO, "voice", "channel=%s contact=%.8s step=%u %s",
                   cc->name, job->key, vj->n, vj->heard_note);
    } else {
        metrics_error(vc->metrics, job->ch,
                      rc == SK_EBUSY ? METRICS_ERR_BUSY : METRICS_ERR_ENGINE);
        sk_log(LOG_WARNING, "voice", "channel=%s contact=%.8s failed: %s",
               cc->name, job->key, sk_strerror(rc));
        voice_error(vc, vj->req, vj->t0, job->ch, HTTP_INTERNAL,
                    "internal error");
    }
    vj->req = NULL;
}

/* After COMMIT: the provider's copy of a recording we hold, or one the
 * child said STOP in, is deleted (when the channel says so). */
static void
voice_drop(struct voice_job *vj)
{
    const struct voice_ctx *vc = vj->vc;
    const char *st = vj->in.status;
    bool stopped = st != NULL &&
                   (strcmp(st, "opted_out") == 0 || strcmp(st, "erased") == 0);

    if (vc->drop == NULL || vj->recording_url == NULL ||
        (!vj->kept && !stopped))
        return;
    vc->drop(vc->fetch_arg, vj->in.ch, vj->recording_url);
    free(vj->recording_url);
    vj->recording_url = NULL; /* once */
}

static void
voice_done(void *arg, int rc)
{
    struct voice_job *vj = arg;
    struct timeval park = {VOICE_PARK_MS / 1000, 0};

    if (rc == 0)
        voice_drop(vj);
    if (vj->parked && vj->req == NULL) {
        /* the provider is between two polls: the next one takes it */
        vj->ready = true;
        vj->ready_rc = rc;
        if (vj->hold != NULL)
            evtimer_add(vj->hold, &park);
        return;
    }
    voice_answer(vj, rc);
    voice_finish(vj);
}

/* --- store jobs (writer thread) ------------------------------------------ */

static int
voice_run(struct store_tx *tx, void *arg)
{
    struct voice_job *vj = arg;

    return inbound_run(tx, &vj->in);
}

/* The question of step n - 1 again (its stored answer), for a recording
 * that cannot be heard. When there is none (the step before is unknown),
 * the recording goes to the flow as an empty answer. */
static int
ask_again_run(struct store_tx *tx, void *arg)
{
    struct voice_job *vj = arg;
    struct inbound_job *job = &vj->in;
    char id[VOICE_ID_MAX], *call = job->external_id, *hash;
    int rc;

    hash = strrchr(call, '#');
    if (hash == NULL)
        return SK_EINVAL;
    snprintf(id, sizeof(id), "%.*s#%u", (int)(hash - call), call, vj->n - 1);
    rc = store_inbound_get(tx, job->ctx->cfg->channels[job->ch].name, id,
                           &vj->again_reply);
    if (rc == 0)
        return 0;
    if (rc != SK_ENOENT)
        return rc;
    vj->ask_again = false;
    return inbound_run(tx, job);
}

/* Writer thread: a call that is over expires the run waiting for it, a
 * voice flow's; a run of another kind (an SMS survey the child is in) is
 * no call's and goes on. */
static int
end_run(struct store_tx *tx, void *arg)
{
    struct voice_job *vj = arg;
    struct inbound_job *job = &vj->in;
    struct store_contact c;
    struct flow_session *s = NULL;
    const struct flow *f = NULL;
    const char *id;
    char err[SK_ERR_LEN];
    int rc;

    memset(&c, 0, sizeof(c));
    rc = store_contact_get(tx, job->key, &c);
    if (rc == 0 && c.session != NULL &&
        (s = flow_session_load(c.session, err)) != NULL &&
        (id = flow_session_flow(s)) != NULL)
        f = flow_set_find(job->ctx->flows, id);
    flow_session_free(s);
    store_contact_clear(&c);
    if (rc != 0 && rc != SK_ENOENT)
        return rc;
    if (f == NULL || strcmp(flow_type(f), "voice") != 0) {
        job->status = "no_call_run";
        return 0;
    }
    return inbound_run(tx, job);
}

/* --- hearing a recording --------------------------------------------------
 *
 * peek (store) -> fetch (loop, libcurl) -> decode and transcribe
 * (voicerec.h: its thread, then the ASR pool) -> the step with the
 * transcript as the answer (store) -> the answer. The provider's request
 * is held meanwhile; when hearing takes longer than VOICE_HOLD_MS, or
 * fails, the call hears "sorry" and the question again, on the keypad.
 */

/* Adds to c the STOP words (folded, as configured) of lang, and "stop"
 * (said in every language), so that a spoken STOP is heard; words the
 * set has already are not added twice. 0 or SK_ENOMEM. */
static int
hear_stop_words(const struct inbound_ctx *ctx, const char *lang,
                struct flow_choices *c)
{
    size_t i, k;

    for (i = 0; i < ctx->n_stop && c->n < ASR_MAX_CHOICES; i++) {
        const char *w = ctx->stop_folded[i], *wl = optout_word_lang(w);
        char **v;

        if (strcmp(w, "stop") != 0 && (wl == NULL || strcmp(wl, lang) != 0))
            continue;
        for (k = 0; k < c->n && strcmp(c->v[k], w) != 0; k++)
            ;
        if (k < c->n)
            continue;
        if ((v = realloc(c->v, (c->n + 1) * sizeof(*v))) == NULL)
            return SK_ENOMEM;
        c->v = v;
        if ((c->v[c->n] = strdup(w)) == NULL)
            return SK_ENOMEM;
        c->n++;
    }
    return 0;
}

/* Writer thread: the waiting run's language and closed set (with the
 * STOP words), read from the contact's stored session (none when it is
 * not waiting). */
static int
hear_peek_wait(struct store_tx *tx, struct voice_job *vj)
{
    const struct flow_set *set = vj->in.ctx->flows;
    struct store_contact c;
    struct flow_session *s = NULL;
    struct flow_wait w;
    char err[SK_ERR_LEN];
    int rc;

    memset(&c, 0, sizeof(c));
    rc = store_contact_get(tx, vj->in.key, &c);
    if (rc != 0)
        return rc == SK_ENOENT ? 0 : rc;
    if (c.session != NULL && (s = flow_session_load(c.session, err)) != NULL &&
        flow_wait_get(set, s, &w) == 0) {
        snprintf(vj->lang, sizeof(vj->lang), "%s", w.lang);
        rc = flow_wait_choices(set, s, w.lang, &vj->choices);
        if (rc == 0 && vj->choices.n > 0)
            rc = hear_stop_words(vj->in.ctx, w.lang, &vj->choices);
        rc = rc == SK_ENOENT ? 0 : rc;
    }
    flow_session_free(s);
    store_contact_clear(&c);
    return rc;
}

/* Writer thread: what the store holds of this step and the one before.
 * 1 when this step was answered already (a provider's retry: job->reply
 * is its answer); else 0 with vj->again_reply the answer of step n - 1,
 * SK_ENOENT when there is none, or another SK_E*. */
static int
stored_steps(struct store_tx *tx, struct voice_job *vj)
{
    struct inbound_job *job = &vj->in;
    const char *chname = job->ctx->cfg->channels[job->ch].name;
    char id[VOICE_ID_MAX], *call = job->external_id, *hash;
    int rc;

    rc = store_inbound_get(tx, chname, call, &job->reply);
    if (rc == 0) {
        job->status = "duplicate";
        return 1;
    }
    if (rc != SK_ENOENT || (hash = strrchr(call, '#')) == NULL)
        return rc != SK_ENOENT ? rc : SK_EINVAL;
    snprintf(id, sizeof(id), "%.*s#%u", (int)(hash - call), call, vj->n - 1);
    return store_inbound_get(tx, chname, id, &vj->again_reply);
}

/* Writer thread: a retried record callback is a duplicate; else the
 * question it answers, the stored answer of step n - 1, and what the
 * waiting run listens for. */
static int
hear_peek_run(struct store_tx *tx, void *arg)
{
    struct voice_job *vj = arg;
    int rc = stored_steps(tx, vj);

    if (rc == 1)
        return 0;
    if (rc != 0 && rc != SK_ENOENT)
        return rc;
    return hear_peek_wait(tx, vj);
}

/* Writer thread, after the step: the heard audio is sealed and stored
 * beside the first answer the step stored (answers above before); a step
 * that stored none (STOP, a retry) keeps no audio. */
static int
hear_keep(struct store_tx *tx, struct voice_job *vj, int64_t before)
{
    struct inbound_job *job = &vj->in;
    struct recording_ref ref;
    char *uuid = NULL, *name = NULL;
    int64_t id;
    int rc;

    if (vj->pcm.samples == NULL || vj->pcm.nsamples == 0 ||
        (job->status != NULL && strcmp(job->status, "duplicate") == 0) ||
        job->erased)
        return 0;
    rc = store_voice_result_after(tx, job->key, before, &id, &uuid, &name);
    if (rc != 0)
        return rc == SK_ENOENT ? 0 : rc;
    memset(&ref, 0, sizeof(ref));
    ref.contact_key = job->key;
    ref.flow_uuid = uuid;
    ref.result_name = name;
    ref.needs_listening = vj->listen_only;
    id = recording_store(tx, vj->vc->priv, &ref, &vj->pcm,
                         inbound_now(job->ctx));
    free(uuid);
    free(name);
    if (id < 0)
        return (int)id;
    vj->kept = true;
    return 0;
}

/* Writer thread: the step with the transcript as the answer, and its
 * audio kept. */
static int
hear_run(struct store_tx *tx, void *arg)
{
    struct voice_job *vj = arg;
    int64_t before = 0;
    int rc = vj->pcm.samples != NULL
                 ? store_voice_last_result(tx, vj->in.key, &before)
                 : 0;

    if (rc != 0 && rc != SK_ENOENT)
        return rc;
    rc = inbound_run(tx, &vj->in);
    return rc != 0 ? rc : hear_keep(tx, vj, before);
}

/* Writer thread: a recording not understood. The first time for this
 * question, the question again (spoken or keyed), stored as step n's
 * answer marked "reask": a retried callback gets it and a restart knows
 * it; the second time (the answer of step n - 1 is that), the empty
 * answer goes to the flow, which routes it to Other. */
static int
reask_run(struct store_tx *tx, void *arg)
{
    struct voice_job *vj = arg;
    struct inbound_job *job = &vj->in;
    const char *chname = job->ctx->cfg->channels[job->ch].name;
    json_t *o;
    int rc = store_inbound_get(tx, chname, job->external_id, &job->reply);

    if (rc == 0) {
        job->status = "duplicate";
        return 0;
    }
    if (rc != SK_ENOENT)
        return rc;
    if ((o = json_loads(vj->again_reply, 0, NULL)) == NULL)
        return SK_EINVAL;
    if (json_is_true(json_object_get(o, "reask"))) {
        json_decref(o);
        vj->heard_note = "not understood twice: no answer";
        return inbound_run(tx, job);
    }
    rc = json_object_set_new(o, "reask", json_true()) == 0 &&
                 (job->reply = json_dumps(o, JSON_COMPACT)) != NULL
             ? 0
             : SK_ENOMEM;
    json_decref(o);
    if (rc == 0)
        rc = store_inbound_put(tx, chname, job->external_id, job->key,
                               job->reply, inbound_now(job->ctx));
    if (rc == 0) {
        job->status = "reasked";
        vj->heard_note = "not understood: asked again";
    }
    return rc;
}

/* The step fn (voice_run, hear_run, reask_run) with job->text as the
 * answer. */
static void
hear_submit(struct voice_job *vj, store_job_fn fn)
{
    if (vj->hold != NULL)
        event_del(vj->hold);
    if (store_submit(vj->vc->store, fn, voice_done, vj) != 0) {
        voice_answer(vj, SK_EBUSY);
        voice_finish(vj);
    }
}

/* The recording cannot be heard: "sorry" and the question again, on the
 * keypad (not understood: spoken or keyed, once, see reask_run()); without
 * the question, the flow takes it as no answer. */
static void
hear_fail(struct voice_job *vj, const char *why)
{
    vj->heard_note = why;
    if (vj->again_reply == NULL) {
        hear_submit(vj, voice_run);
        return;
    }
    if (strcmp(why, "not understood") == 0) {
        hear_submit(vj, reask_run);
        return;
    }
    vj->ask_again = true;
    voice_answer(vj, 0);
    voice_finish(vj);
}

/*
 * The hold timer. With a request held: hearing takes long, so the
 * provider is told to pause and poll (the job is parked), or, after
 * VOICE_MAX_POLLS polls, the call is asked again and what comes later is
 * dropped. Parked with no request: no poll came in time, the job goes.
 */
static void
hear_hold(evutil_socket_t fd, short what, void *arg)
{
    struct voice_job *vj = arg;
    struct voice_ctx *vc = vj->vc;
    struct timeval park = {VOICE_PARK_MS / 1000, 0};

    (void)fd;
    (void)what;
    if (vj->req == NULL) {
        park_unlink(vj);
        if (vj->ready)
            voice_finish(vj);
        else
            vj->gave_up = true; /* dropped when hearing reports */
        return;
    }
    if (vj->polls >= VOICE_MAX_POLLS) {
        park_unlink(vj);
        vj->gave_up = true;
        vj->heard_note = "took too long";
        vj->ask_again = true;
        voice_answer(vj, 0);
        return;
    }
    vj->polls++;
    poll_reply(vc, vj->in.ch, vj->req, vj->t0, vj->n);
    vj->req = NULL;
    if (!vj->parked) {
        vj->next_parked = vc->parked;
        vc->parked = vj;
        vj->parked = true;
    }
    evtimer_add(vj->hold, &park);
}

/* Writer thread: a poll for a step that is not parked (answered since,
 * or the gateway restarted): its stored answer, else the question again;
 * else the call ends. */
static int
poll_run(struct store_tx *tx, void *arg)
{
    struct voice_job *vj = arg;
    struct inbound_job *job = &vj->in;
    int rc = stored_steps(tx, vj);

    if (rc == 1)
        return 0;
    if (rc == 0) {
        vj->ask_again = true;
        return 0;
    }
    job->status = "not_waiting";
    job->reply = strdup("{\"prompts\":[]}");
    return rc != SK_ENOENT ? rc : job->reply != NULL ? 0 : SK_ENOMEM;
}

/* POST /c/NAME/voice/poll?n=N: the answer to a parked step when it is
 * in, else the request is held again. Returns true when req is taken
 * here; false: no step is parked, the caller runs poll_run(). */
static bool
poll_parked(struct voice_ctx *vc, struct evhttp_request *req, double t0,
            size_t ch, const char *call_id, unsigned n)
{
    struct timeval hold = {VOICE_HOLD_MS / 1000, 0};
    struct voice_job *vj;
    char id[VOICE_ID_MAX];

    snprintf(id, sizeof(id), "%s#%u", call_id, n);
    for (vj = vc->parked; vj != NULL; vj = vj->next_parked)
        if (vj->in.ch == ch && strcmp(vj->in.external_id, id) == 0)
            break;
    if (vj == NULL)
        return false;
    if (vj->req != NULL) { /* a second poll at once: come back */
        poll_reply(vc, ch, req, t0, n);
        return true;
    }
    vj->req = req;
    vj->t0 = t0;
    if (vj->ready) {
        park_unlink(vj);
        voice_answer(vj, vj->ready_rc);
        voice_finish(vj);
        return true;
    }
    if (vj->hold != NULL)
        evtimer_add(vj->hold, &hold);
    return true;
}

static void
hear_heard(void *arg, int rc, const char *text, double confidence,
           struct audio_pcm *pcm)
{
    struct voice_job *vj = arg;

    if (vj->gave_up) {
        voice_finish(vj);
        return;
    }
    if (rc != 0) {
        hear_fail(vj, rc == SK_EBUSY ? "recogniser busy" : "not audio");
        return;
    }
    if (text[0] == '\0' && !vj->listen_only) {
        hear_fail(vj, "not understood");
        return;
    }
    free(vj->in.text);
    if ((vj->in.text = strdup(vj->listen_only ? VOICESTEP_NEEDS_LISTENING
                                              : text)) == NULL) {
        vj->in.text = strdup("");
        hear_fail(vj, "out of memory");
        return;
    }
    vj->heard_note = vj->listen_only     ? "kept: needs listening (not heard)"
                     : confidence >= 0.8 ? "heard (confidence 0.8 or more)"
                                         : "heard (confidence below 0.8)";
    vj->pcm = *pcm; /* kept beside the answer */
    memset(pcm, 0, sizeof(*pcm));
    hear_submit(vj, hear_run);
}

static void
hear_fetched(void *arg, const struct fetch_result *res)
{
    struct voice_job *vj = arg;
    struct voicerec_set set;
    void *copy;

    if (vj->gave_up) {
        voice_finish(vj);
        return;
    }
    if (res->error != NULL || res->body == NULL || res->len == 0) {
        hear_fail(vj, "recording not fetched");
        return;
    }
    if ((copy = malloc(res->len)) == NULL) {
        hear_fail(vj, "out of memory");
        return;
    }
    memcpy(copy, res->body, res->len);
    set.lang = vj->lang;
    set.phrases = (const char *const *)vj->choices.v;
    set.n = vj->choices.n;
    set.listen_only = vj->listen_only;
    if (voicerec_hear(vj->vc->rec, copy, res->len,
                      set.n > 0 || set.listen_only ? &set : NULL, hear_heard,
                      vj) != 0)
        hear_fail(vj, "recogniser busy");
}

static void
hear_peek_done(void *arg, int rc)
{
    struct voice_job *vj = arg;
    const struct voice_ctx *vc = vj->vc;
    struct timeval hold = {VOICE_HOLD_MS / 1000, 0};

    if (rc != 0 ||
        (vj->in.status != NULL && strcmp(vj->in.status, "duplicate") == 0)) {
        voice_done(vj, rc);
        return;
    }
    if (vj->again_reply == NULL || vj->lang[0] == '\0') {
        hear_submit(vj, voice_run); /* no question known: an empty answer */
        return;
    }
    if (strcmp(vj->lang, "eng") != 0 && vj->choices.n == 0) {
        /* open answers: the recogniser knows English only, no made-up
         * transcript (closed sets are heard in every language the
         * lexicon has words for) */
        vj->listen_only = true;
    }
    rc = vc->fetch(vc->fetch_arg, vj->in.ch, vj->recording_url, hear_fetched,
                   vj);
    if (rc != 0) {
        hear_fail(vj, rc == SK_EINVAL ? "recording refused"
                                      : "recording not fetched");
        return;
    }
    vj->hold = evtimer_new(vc->base, hear_hold, vj);
    if (vj->hold != NULL)
        evtimer_add(vj->hold, &hold);
}

/* --- the route ----------------------------------------------------------- */

/* Fills vj's inbound job from the call: the contact key and sealed
 * address, the text and the step id. 0, SK_EINVAL (not a phone number),
 * SK_ENOMEM. */
static int
voice_job_fill(struct voice_job *vj, const struct channel_call *call,
               const char *text)
{
    struct inbound_job *job = &vj->in;
    char id[VOICE_ID_MAX];
    int rc;

    rc = privacy_contact_key(vj->vc->priv, call->urn, job->key);
    if (rc != 0)
        return rc == SK_ENOMEM ? rc : SK_EINVAL;
    job->vault =
        privacy_seal(vj->vc->priv, job->key, call->urn, &job->vault_len);
    if (vj->end)
        snprintf(id, sizeof(id), "%s#end", call->call_id);
    else
        snprintf(id, sizeof(id), "%s#%u", call->call_id, vj->n);
    job->external_id = strdup(id);
    job->text = strdup(text != NULL ? text : "");
    if (vj->hear)
        vj->recording_url = strdup(call->recording_url);
    if (job->vault == NULL || job->external_id == NULL || job->text == NULL ||
        (vj->hear && vj->recording_url == NULL))
        return SK_ENOMEM;
    return 0;
}

/* Decides what the step does from its kind and the call. */
static void
voice_plan(struct voice_job *vj, enum voice_kind kind,
           const struct channel_call *call, const char **text)
{
    struct inbound_job *job = &vj->in;

    job->voice = true;
    job->resume = FLOW_RESUME_MSG;
    *text = call->digits;
    if (call->no_input != CHANNEL_INPUT_GIVEN) /* one URL for both */
        kind =
            call->no_input == CHANNEL_NO_INPUT_TIMEOUT ? VK_TIMEOUT : VK_GATHER;
    if (call->ended || kind == VK_STATUS) {
        vj->end = true;
        job->resume = FLOW_RESUME_EXPIRE;
        *text = NULL;
    } else if (kind == VK_START) {
        job->start_flow =
            voice_flow(job->ctx->flows, &job->ctx->cfg->channels[job->ch]);
    } else if (kind == VK_POLL) {
        vj->poll = true;
    } else if (kind == VK_TIMEOUT) {
        job->resume = FLOW_RESUME_TIMEOUT;
        *text = NULL;
    } else if (kind == VK_RECORD && call->digits == NULL) {
        const struct voice_ctx *vc = vj->vc;

        /* a recording alone: heard when the gateway can, else asked
         * again on the keypad */
        if (vc->fetch != NULL && vc->rec != NULL && call->recording_url != NULL)
            vj->hear = true;
        else
            vj->ask_again = true;
    }
}

void
voice_route(void *arg, struct evhttp_request *req, size_t ch, double t0)
{
    struct voice_ctx *vc = arg;
    const struct channel_type *t = vc->types[ch];
    const struct config_channel *cc = &vc->cfg->channels[ch];
    struct channel_request creq;
    struct channel_call call;
    struct voice_job *vj = NULL;
    enum voice_kind kind;
    const char *text = NULL;
    char err[SK_ERR_LEN] = "", *body = NULL;
    unsigned n;
    int rc;

    if (t->parse_call == NULL || t->render_call == NULL) {
        voice_error(vc, req, t0, ch, HTTP_NOTFOUND, "no voice on this channel");
        return;
    }
    if (voice_where(req, &kind, &n) != 0) {
        voice_error(vc, req, t0, ch, HTTP_NOTFOUND, "not found");
        return;
    }
    if (webreq_copy(req, &creq, &body) != 0) {
        metrics_error(vc->metrics, ch, METRICS_ERR_INTERNAL);
        voice_error(vc, req, t0, ch, HTTP_INTERNAL, "out of memory");
        return;
    }
    if (t->verify(cc, &creq) != 0) {
        webreq_body_free(&creq, body);
        metrics_error(vc->metrics, ch, METRICS_ERR_DENIED);
        sk_log(LOG_WARNING, "voice", "channel=%s denied: %s", cc->name,
               t->denied_as != NULL ? t->denied_as : "bad secret");
        voice_error(vc, req, t0, ch, 403, "forbidden");
        return;
    }
    rc = t->parse_call(cc, &creq, &call, err);
    webreq_body_free(&creq, body);
    if (rc != 0) {
        metrics_error(vc->metrics, ch,
                      rc == SK_EINVAL ? METRICS_ERR_BAD_REQUEST
                                      : METRICS_ERR_INTERNAL);
        sk_log(LOG_INFO, "voice", "channel=%s bad request: %s", cc->name,
               rc == SK_EINVAL ? channel_bad_kind(err) : sk_strerror(rc));
        voice_error(vc, req, t0, ch,
                    rc == SK_EINVAL ? HTTP_BADREQUEST : HTTP_INTERNAL,
                    rc == SK_EINVAL ? err : "out of memory");
        return;
    }
    if (kind == VK_POLL && !call.ended &&
        poll_parked(vc, req, t0, ch, call.call_id, n)) {
        channel_call_clear(&call);
        return;
    }
    if (kind == VK_STATUS && !call.ended) {
        /* ringing, answered, in progress: nothing to do */
        channel_call_clear(&call);
        http_send(vc->http, req, t0, HTTP_OK, "text/plain", "", 0);
        return;
    }
    rc = SK_ENOMEM;
    if ((vj = calloc(1, sizeof(*vj))) != NULL) {
        inbound_job_init(&vj->in, vc->inbound, ch);
        vj->vc = vc;
        vj->req = req;
        vj->t0 = t0;
        vj->n = n;
        voice_plan(vj, kind, &call, &text);
        rc = voice_job_fill(vj, &call, text);
    }
    channel_call_clear(&call); /* wipes the number */
    if (rc == 0 && !vj->end && kind == VK_START && vj->in.start_flow == NULL) {
        sk_log(LOG_WARNING, "voice", "channel=%s no voice flow to start",
               cc->name);
        rc = SK_ENOENT;
    }
    if (rc == 0)
        rc = store_submit(vc->store,
                          vj->hear        ? hear_peek_run
                          : vj->end       ? end_run
                          : vj->poll      ? poll_run
                          : vj->ask_again ? ask_again_run
                                          : voice_run,
                          vj->hear ? hear_peek_done : voice_done, vj);
    if (rc != 0) {
        voice_job_free(vj); /* voice_done() will never run */
        metrics_error(vc->metrics, ch,
                      rc == SK_EBUSY    ? METRICS_ERR_BUSY
                      : rc == SK_EINVAL ? METRICS_ERR_BAD_REQUEST
                                        : METRICS_ERR_INTERNAL);
        voice_error(vc, req, t0, ch,
                    rc == SK_EBUSY    ? HTTP_SERVUNAVAIL
                    : rc == SK_EINVAL ? HTTP_BADREQUEST
                    : rc == SK_ENOENT ? HTTP_NOTFOUND
                                      : HTTP_INTERNAL,
                    rc == SK_EBUSY    ? "busy, try again"
                    : rc == SK_EINVAL ? "not a valid phone number"
                    : rc == SK_ENOENT ? "no voice flow"
                                      : "internal error");
        return;
    }
    (*vc->pending)++;
}
