/*
 * voicewire.c - the recording side of voice calls in `serve` (see
 * voicewire.h): one ASR pool and decoder thread for every voice channel,
 * one HTTP client, and a media policy per channel that takes calls.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asrpool.h"
#include "channel.h"
#include "config.h"
#include "fetch.h"
#include "httpc.h"
#include "media.h"
#include "voice.h"
#include "voicerec.h"
#include "voicewire.h"

#define VOICEWIRE_FETCHES 4 /* recordings fetched at once */

struct voicewire {
    struct asrpool *pool;
    struct voicerec *rec;
    struct httpc *http;
    size_t n_channels;
    struct media_policy *media; /* by config index; unused for non-voice */
    bool *voice;                /* which channels take calls */
    /* the types' media API keys (media_key), by config index, or NULL */
    const struct channel_type *const *types;
    void **media_key;
    const struct config_channel *cfg_channels;
};

#define VOICEWIRE_TOKEN_MAX 4096 /* a media API token (media_token) */

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
        (vw->media_key = calloc(cfg->n_channels, sizeof(void *))) == NULL) {
        voicewire_free(vw);
        sk_seterr(err, "out of memory");
        return SK_ENOMEM;
    }
    vw->n_channels = cfg->n_channels;
    vw->types = types;
    vw->cfg_channels = cfg->channels;
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
    if ((vw->pool = wire_pool(cfg, err)) == NULL ||
        (vw->rec = voicerec_new(base, vw->pool, VOICEWIRE_RATE, err)) == NULL ||
        (vw->http = httpc_new(base, VOICEWIRE_FETCHES, err)) == NULL) {
        voicewire_free(vw);
        return SK_EIO;
    }
    vc->fetch = wire_fetch;
    vc->fetch_arg = vw;
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
    httpc_free(vw->http);   /* fetches still in flight: cancelled */
    voicerec_free(vw->rec); /* before its pool */
    asrpool_free(vw->pool);
    for (size_t ch = 0; vw->media_key != NULL && ch < vw->n_channels; ch++)
        if (vw->media_key[ch] != NULL)
            vw->types[ch]->media_key_free(vw->media_key[ch]);
    free(vw->media_key);
    free(vw->media);
    free(vw->voice);
    free(vw);
}
