/*
 * voicestep.h - the next step of a voice call, between the engine and the
 * channel types: what a call step answers is stored (in the inbound row,
 * so a retried callback gets the same answer) as a small JSON document
 * made from the step's events and the session's wait, and rendered for
 * the provider (the channel type's render_call) when the answer is sent.
 *
 *   {"prompts":[{"text":"...","audio_url":"..."}],   audio_url if any
 *    "lang":"fra",                                   the run's language
 *    "wait":{"kind":"digits","digits":1,"finish":"#","timeout":10}}
 *                         or "kind":"audio"; no "wait": the call ends
 *    "reask":true         the question again after a recording that was
 *                         not understood: "sorry" is spoken first
 *
 * Threads: voicestep_prompt_add() and voicestep_answer() run on the store's
 * writer thread (inbound.c), voicestep_render() on the loop (voice.c); all
 * are pure and share nothing.
 */
#ifndef SK_VOICESTEP_H
#define SK_VOICESTEP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "channel.h"
#include "err.h"

struct flow_set;
struct flow_session;

/* The answer a recording stands for when it is kept, not transcribed (a
 * language the recogniser does not know): the run's input, so the result
 * says the recording needs listening to. */
#define VOICESTEP_NEEDS_LISTENING "[needs listening]"

/* Silence (seconds) that ends a recording, and its longest length. */
#define VOICESTEP_RECORD_SILENCE_S 5
#define VOICESTEP_RECORD_MAX_S     60
/* The keypad wait of a wait with no timeout of its own. */
#define VOICESTEP_GATHER_TIMEOUT_S 10

/* Appends the prompt of an ivr_created event ev to texts as {"text",
 * "audio_url"}, counting it in *dropped past cap. 0 or SK_ENOMEM. */
int voicestep_prompt_add(json_t *texts, const json_t *ev, size_t cap,
                         size_t *dropped);

/*
 * The stored answer of a call step into *reply (malloc'd): the prompts of
 * texts (strings, e.g. a STOP reply, and prompts voicestep_prompt_add()
 * made), and the wait of s unless ended (the contact opted out or was
 * erased): then the call ends after the prompts. 0 or SK_ENOMEM.
 */
int voicestep_answer(const struct flow_set *set, const struct flow_session *s,
                     bool ended, const json_t *texts, char **reply);

/*
 * Renders reply (made by voicestep_answer) as channel t's answer for the
 * call step n of channel chname: the wait's answer goes to
 * /c/CHNAME/voice/gather?n=N+1 (keys) or /record?n=N+1 (a recording),
 * nothing given to /timeout?n=N+1. before, when not NULL, is spoken first
 * (e.g. "Sorry, I did not hear that"; a "reask" reply has that by
 * itself); keypad makes a recording wait a
 * keypad one (when recordings cannot be heard). 0, SK_EINVAL for a reply
 * that is not one, SK_ENOMEM.
 */
int voicestep_render(const struct channel_type *t,
                     const struct config_channel *ch, const char *chname,
                     const char *reply, unsigned n, const char *before,
                     bool keypad, struct channel_reply *out);

/* "Sorry, I did not hear that." in lang (eng, fra, swa, ara, spa, por;
 * English otherwise). Static. */
const char *voicestep_sorry(const char *lang);

#endif
