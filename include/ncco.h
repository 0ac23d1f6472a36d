/*
 * ncco.h - a writer of Vonage Call Control Objects (NCCO): the JSON array
 * of actions the Vonage Voice API runs for a call. The Vonage channel type
 * renders what a call does next with it (gateway/channels/vonage_voice.c).
 *
 * Every string goes through jansson, so text is always valid JSON; values
 * are kept within the ranges Vonage takes (noted at each field). A failed
 * addition (no memory) sticks: ncco_dump() then returns NULL, so a caller
 * checks once, at the end. Pure; any thread may use its own NCCO.
 */
#ifndef SK_NCCO_H
#define SK_NCCO_H

#include <stdbool.h>
#include <stddef.h>

struct ncco; /* opaque */

/* An empty NCCO, or NULL without memory. */
struct ncco *ncco_new(void);
void ncco_free(struct ncco *n); /* NULL is a no-op */

/* A "talk" action speaking text; language (a Vonage language code such as
 * "fr-FR") left out when NULL. barge_in: a key press stops it (needed
 * before an input). */
void ncco_talk(struct ncco *n, const char *text, const char *language,
               bool barge_in);

/* A "stream" action playing the audio file at url. */
void ncco_stream(struct ncco *n, const char *url, bool barge_in);

/* An "input" action: what the caller gives goes, as a POST of JSON, to
 * event_url, whose answer is the call's next NCCO. */
struct ncco_input {
    const char *event_url;
    int max_digits;      /* keys to take, 1..20; 0: 20 */
    bool submit_on_hash; /* '#' ends the keys */
    int timeout_s;       /* silence after the last key, 1..10 */
    /* speech: the caller's voice is captured too, and its audio saved
     * (the event carries speech.recording_url) */
    bool speech;
    const char *language; /* speech language (Vonage code), or NULL */
    int speech_max_s;     /* longest answer, 1..60 */
    int speech_silence_s; /* silence that ends the answer, 1..10 */
    int speech_start_s;   /* silence before giving up, 1..60 */
};
void ncco_input(struct ncco *n, const struct ncco_input *in);

/* The NCCO as JSON text (malloc'd, *len its length), or NULL when an
 * addition failed or there is no memory. */
char *ncco_dump(const struct ncco *n, size_t *len);

#endif
