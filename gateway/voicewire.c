/*
 * voicewire.c - the recording side of voice calls in `serve` (see
 * voicewire.h): one ASR pool and decoder thread for every voice channel,
 * one HTTP client, and a media policy per channel that takes calls.
 *
 * Deleting the provider's copy (delete_recordings) goes through the same
 * client and policy as the fetch (fetch_delete()), to the recording's
 * resource at the provider's API (the type's media_drop_url), with the
 * media API's credentials. A delete that fails is tried again a few times,
 * later and later; the log names the channel and the status, never the URL (it
 * holds the account and the recording).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "asrpool.h"
#include "channel.h"
#include "config.h"
#include "fetch.h"
#include "httpc.h"
#include "log.h"
#include "media.h"
#include "voice.h"
#include "voicerec.h"
#include "voicewire.h"

#define VOICEWIRE_FETCHES 4    /* recordings fetched at once */
#define WIRE_DROP_TRIES   4    /* deletes of one recording, at most */
#define WIRE_DROP_FIRST_S 1    /* the wait before the first retry, then x4 */
#define WIRE_DROP_URL_MAX 2048 /* a recording's resource URL */

struct wire_drop;

struct voicewire {
    struct asrpool *pool;
    struct voicerec *rec;
    struct httpc *http;
    struct event_base *base;
    const struct config *cfg;
    size_t n_channels;
    struct media_policy *media; /* by config index; unused for non-voice */
    bool *voice;                /* which channels take calls */
    /* the types' media API keys (media_key), by config index, or NULL */
    const struct channel_type *const *types;
    void **media_key;
    const struct config_channel *cfg_channels;
    bool *drops;               /* which delete their recordings */
    struct wire_drop *pending; /* deletes in flight or waiting to retry */
    bool closing;
};

#define VOICEWIRE_TOKEN_MAX 4096 /* a media API token (media_token) */

/* One recording to delete at the provider. */
struct wire_drop {
    struct voicewire *vw;
    size_t ch;
    char url[WIRE_DROP_URL_MAX];
    int tries;
    struct event *retry;
    struct wire_drop *next;
};

static void
drop_free(struct wire_drop *d)
{
    struct wire_drop **p;

    for (p = &d->vw->pending; *p != NULL; p = &(*p)->next)
        if (*p == d) {
            *p = d->next;
            break;
        }
    if (d->retry != NULL)
        event_free(d->retry);
    free(d);
}

static void drop_start(struct wire_drop *d);

static void
drop_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    drop_start(arg);
}

/* A try failed (status 0: no answer): later again, or given up. */
static void
drop_failed(struct wire_drop *d, int status, const char *kind)
{
    const char *chname = d->vw->cfg->channels[d->ch].name;
    struct timeval tv = {WIRE_DROP_FIRST_S, 0};
    bool final = status >= 400 && status < 500 && status != 429;
    int i;

    if (d->vw->closing) {
        drop_free(d);
        return;
    }
    if (status == 404) { /* gone already */
        sk_log(LOG_INFO, "voice",
               "channel=%s recording already gone at the provider", chname);
        drop_free(d);
        return;
    }
    if (final || d->tries >= WIRE_DROP_TRIES) {
        sk_log(LOG_WARNING, "voice",
               "channel=%s recording not deleted at the provider (%s, "
               "HTTP %d) after %d tries",
               chname, kind, status, d->tries);
        drop_free(d);
        return;
    }
    sk_log(LOG_INFO, "voice",
           "channel=%s deleting a recording at the provider failed (%s, "
           "HTTP %d): trying again",
           chname, kind, status);
    for (i = 1; i < d->tries; i++)
        tv.tv_sec *= 4;
    if (d->retry == NULL &&
        (d->retry = evtimer_new(d->vw->base, drop_retry, d)) == NULL) {
        drop_free(d);
        return;
    }
    evtimer_add(d->retry, &tv);
}

static void
drop_done(void *arg, const struct fetch_result *res)
{
    struct wire_drop *d = arg;

    if (res->error != NULL) {
        drop_failed(d, res->status, res->error);
        return;
    }
    sk_log(LOG_INFO, "voice", "channel=%s recording deleted at the provider",
           d->vw->cfg->channels[d->ch].name);
    drop_free(d);
}

/* One try of d. */
static void
drop_start(struct wire_drop *d)
{
    struct voicewire *vw = d->vw;
    int rc;

    d->tries++;
    rc = fetch_delete(vw->http, &vw->media[d->ch].policy, d->url, drop_done, d);
    if (rc == SK_EINVAL) {
        sk_log(LOG_WARNING, "voice",
               "channel=%s recording not deleted at the provider: its URL "
               "is refused",
               vw->cfg->channels[d->ch].name);
        drop_free(d);
    } else if (rc != 0) {
        drop_failed(d, 0, rc == SK_EBUSY ? "busy" : "not started");
    }
}

/* voice_ctx's drop: the provider's copy of recording url of channel ch. */
static void
wire_drop(void *arg, size_t ch, const char *url)
{
    struct voicewire *vw = arg;
    struct wire_drop *d;

    if (ch >= vw->n_channels || !vw->drops[ch] || vw->closing)
        return;
    if ((d = calloc(1, sizeof(*d))) == NULL)
        return;
    d->vw = vw;
    d->ch = ch;
    if (vw->types[ch]->media_drop_url(url, d->url, sizeof(d->url)) != 0) {
        free(d);
        return;
    }
    d->next = vw->pending;
    vw->pending = d;
    drop_start(d);
}

/* Which voice channels delete their recordings: delete_recordings (yes
 * by default) on a type that can; set explicitly on one that cannot, a
 * warning. */
static void
wire_drops(struct voicewire *vw, const struct config *cfg)
{
    size_t ch;

    for (ch = 0; ch < cfg->n_channels; ch++) {
        const struct config_channel *cc = &cfg->channels[ch];
        const char *set = config_channel_value(cc, "delete_recordings");

        if (!vw->voice[ch] || !cc->delete_recordings)
            continue;
        if (vw->types[ch]->media_drop_url != NULL)
            vw->drops[ch] = true;
        else if (set != NULL)
            sk_log(LOG_WARNING, "config",
                   "%s: channel '%s': delete_recordings has no effect: %s "
                   "recordings are not deleted at the provider by the "
                   "gateway, they stay there",
                   cfg->file, cc->name, cc->type);
    }
}

/* voice_ctx's fetch: url of a recording of channel ch, under its policy. */
static int
wire_fetch(void *arg, size_t ch, const char *url, fetch_done_fn done,
           void *done_arg)
{
    struct voicewire *vw = arg;
    struct fetch_policy pol;
    char token[VOICEWIRE_TOKEN_MAX];
    int rc;

    if (ch >= vw->n_channels || !vw->voice[ch])
        return SK_EINVAL;
    if (vw->media_key[ch] == NULL)
        return fetch_get(vw->http, &vw->media[ch].policy, url, done, done_arg);
    /* a token of its own for this fetch (fetch_get() copies it) */
    pol = vw->media[ch].policy;
    rc = vw->types[ch]->media_token(vw->cfg_channels + ch, vw->media_key[ch],
                                    (int64_t)time(NULL), token, sizeof(token));
    if (rc != 0)
        return rc == SK_ENOMEM ? rc : SK_EINVAL;
    pol.bearer = token;
    rc = fetch_get(vw->http, &pol, url, done, done_arg);
    explicit_bzero(token, sizeof(token));
    return rc;
}

/* Loads channel ch's media API key when its type takes one: 0, or
 * SK_EINVAL with err. */
static int
wire_media_key(struct voicewire *vw, size_t ch, const struct config_channel *cc,
               char err[SK_ERR_LEN])
{
    const struct channel_type *t = vw->types[ch];

    if (t->media_key == NULL || t->media_token == NULL)
        return 0;
    return t->media_key(cc, &vw->media_key[ch], err) != 0 ? SK_EINVAL : 0;
}

/* The pool from [asr]; NULL with err naming the key to look at. */
static struct asrpool *
wire_pool(const struct config *cfg, char err[SK_ERR_LEN])
{
    struct asr_config ac = {
        .model = cfg->asr_model,
        .dict = cfg->asr_dict,
        .lm = cfg->asr_lm,
        .rate = VOICEWIRE_RATE,
        .min_confidence = cfg->asr_min_confidence,
    };
    int workers = cfg->asr_workers < 1    ? 1
                  : cfg->asr_workers > 16 ? 16
                                          : cfg->asr_workers;
    char why[SK_ERR_LEN] = "";
    struct asrpool *pool = asrpool_new(&ac, workers, VOICEREC_DEPTH, why);

    if (pool == NULL)
        sk_seterr(err,
                  "%s: [asr] model, dict or lm: the recogniser did not "
                  "start: %s",
                  cfg->file, why);
    return pool;
}

int
voicewire_start(struct voicewire **out, const struct config *cfg,
                const struct channel_type *const *types,
                struct event_base *base, struct voice_ctx *vc,
                char err[SK_ERR_LEN])
{
    struct voicewire *vw;
    size_t ch, n_voice = 0;

    *out = NULL;
    for (ch = 0; ch < cfg->n_channels; ch++)
        if (types[ch] != NULL && types[ch]->parse_call != NULL)
            n_voice++;
    if (n_voice == 0)
        return 0;
    if ((vw = calloc(1, sizeof(*vw))) == NULL ||
        (vw->media = calloc(cfg->n_channels, sizeof(*vw->media))) == NULL ||
        (vw->voice = calloc(cfg->n_channels, sizeof(*vw->voice))) == NULL ||
        (vw->media_key = calloc(cfg->n_channels, sizeof(void *))) == NULL ||
        (vw->drops = calloc(cfg->n_channels, sizeof(*vw->drops))) == NULL) {
        voicewire_free(vw);
        sk_seterr(err, "out of memory");
        return SK_ENOMEM;
    }
    vw->n_channels = cfg->n_channels;
    vw->types = types;
    vw->cfg_channels = cfg->channels;
    vw->cfg = cfg;
    vw->base = base;
    for (ch = 0; ch < cfg->n_channels; ch++) {
        if (types[ch] == NULL || types[ch]->parse_call == NULL)
            continue;
        if (media_policy_init(&vw->media[ch], &cfg->channels[ch], err) != 0 ||
            wire_media_key(vw, ch, &cfg->channels[ch], err) != 0) {
            voicewire_free(vw);
            return SK_EINVAL;
        }
        vw->voice[ch] = true;
    }
    wire_drops(vw, cfg);
    if ((vw->pool = wire_pool(cfg, err)) == NULL ||
        (vw->rec = voicerec_new(base, vw->pool, VOICEWIRE_RATE, err)) == NULL ||
        (vw->http = httpc_new(base, VOICEWIRE_FETCHES, err)) == NULL) {
        voicewire_free(vw);
        return SK_EIO;
    }
    vc->fetch = wire_fetch;
    vc->fetch_arg = vw;
    vc->drop = wire_drop;
    vc->rec = vw->rec;
    vc->base = base;
    *out = vw;
    return 0;
}

void
voicewire_free(struct voicewire *vw)
{
    if (vw == NULL)
        return;
    vw->closing = true;
    httpc_free(vw->http);       /* fetches and deletes in flight: cancelled */
    while (vw->pending != NULL) /* deletes waiting to retry */
        drop_free(vw->pending);
    voicerec_free(vw->rec); /* before its pool */
    asrpool_free(vw->pool);
    for (size_t ch = 0; vw->media_key != NULL && ch < vw->n_channels; ch++)
        if (vw->media_key[ch] != NULL)
            vw->types[ch]->media_key_free(vw->media_key[ch]);
    free(vw->media_key);
    free(vw->media);
    free(vw->voice);
    free(vw->drops);
    free(vw);
}
