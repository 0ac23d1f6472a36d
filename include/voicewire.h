/*
 * voicewire.h - what `serve` hears recordings with (gateway/voicewire.c):
 * when a channel's type takes calls, an ASR pool from [asr], the
 * recording decoder on it (voicerec.h), an HTTP client and each voice
 * channel's media policy (media.h) for fetch_get(); it fills the hearing
 * members of a struct voice_ctx (voice.h). Loop thread only.
 */
#ifndef SK_VOICEWIRE_H
#define SK_VOICEWIRE_H

#include "err.h"

struct channel_type;
struct config;
struct event_base;
struct voice_ctx;
struct voicewire;

#define VOICEWIRE_RATE 16000 /* what the decoders hear at (measured best) */

/*
 * Sets up hearing for cfg's voice channels (types by config index) and
 * points vc's fetch, fetch_arg, rec and base at it: 0 with *out NULL when
 * no channel takes calls; SK_EINVAL (a media_hosts value) or SK_EIO (the
 * recogniser did not start: err names the [asr] key to look at), or
 * SK_ENOMEM, with err.
 */
int voicewire_start(struct voicewire **out, const struct config *cfg,
                    const struct channel_type *const *types,
                    struct event_base *base, struct voice_ctx *vc,
                    char err[SK_ERR_LEN]);

/* Stops fetching and hearing: call it once every voice job has reported
 * back (the store closed), before the base is freed. NULL is a no-op. */
void voicewire_free(struct voicewire *vw);

#endif
