/*
 * safeguard.h - safeguarding: a child who tells of harm is answered with
 * help at once, and a person is told.
 *
 * Phrase lists, one per language, say what a disclosure looks like: each
 * phrase belongs to a category (sexual abuse, physical abuse or violence,
 * trafficking, forced work, debt bondage, self-harm or suicide, neglect or
 * no safe place). Built-in lists cover English, French, Arabic and
 * Swahili; files in the [safeguarding] phrases directory add phrases to
 * them or lists for other languages. Every inbound text and every
 * transcript is checked against every list (children mix languages),
 * with its words compared as text_words_loose() makes them: case,
 * accents and Arabic vowel marks, apostrophes, punctuation and emoji do
 * not count.
 *
 * A match (safeguard_take(), in the inbound step) interrupts the child's
 * run, starts the referral flow ([safeguarding] flow) or, without one,
 * sends the built-in referral message in the child's language, and
 * records an alert; the notifier (notify.h) tells the safeguarding lead.
 *
 * Threads. safeguard_new() runs on the main thread at start; the struct
 * is read-only afterwards, so safeguard_match() may run on any thread and
 * safeguard_take() on the store's writer thread, inside a job.
 */
#ifndef SK_SAFEGUARD_H
#define SK_SAFEGUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

struct channel_type;
struct flow;
struct flow_session;
struct privacy;
struct flow_set;
struct safeguard;
struct store_tx;

/* The free child helpline the built-in referral names by default. */
#define SAFEGUARD_HELPLINE "116 111"

/* Limits of the phrase files (and of the built-in lists). */
#define SAFEGUARD_LINE_MAX    512  /* bytes of one line */
#define SAFEGUARD_WORDS_MAX   16   /* words of one phrase */
#define SAFEGUARD_PHRASES_MAX 4096 /* phrases of one language */
#define SAFEGUARD_LANGS_MAX   32   /* languages */
#define SAFEGUARD_REPLY_MAX   512  /* bytes of the built-in referral */
#define SAFEGUARD_NUMBERS_MAX 8    /* on-call staff numbers */

struct safeguard_opts {
    const char *phrases; /* directory of LANG.txt files, or NULL */
    /* the referral flow: name or uuid in flows, or NULL for the built-in
     * message */
    const struct flow_set *flows;
    const char *flow;
    const char *helpline; /* named by the built-in message; NULL: default */
    /* on-call staff told of each alert by SMS through channel sms_channel
     * (a configured channel that can send): their numbers, sealed for the
     * outbox with priv; none when n_numbers is 0 */
    const struct privacy *priv;
    const char *sms_channel;
    const char *const *numbers;
    size_t n_numbers;
};

/*
 * Builds the lists (built-in, then the files of opts->phrases) and finds
 * the referral flow. NULL with err on failure: a phrase file's problem as
 * "FILE:LINE: reason", a missing directory or flow by name. opts may be
 * NULL (the built-in lists and message).
 */
struct safeguard *safeguard_new(const struct safeguard_opts *opts,
                                char err[SK_ERR_LEN]);
void safeguard_free(struct safeguard *sg); /* NULL is a no-op */

struct config;

/*
 * The safeguarding of cfg's [safeguarding] section (on, with the
 * built-in lists and message, when the file has none). NULL with err
 * empty when enabled = no (a warning is logged: disclosures then go
 * unanswered). NULL with err "FILE: [safeguarding] ...: reason" when the
 * section is wrong: a phrase file, a flow not in flows, a plain http
 * notify_url without notify_allow_http = yes, notify_numbers that are
 * not phone numbers or without a notify_channel that can send (types[i]
 * is channel i's type; priv seals the numbers). Logs what it will do.
 */
struct safeguard *safeguard_from_config(const struct config *cfg,
                                        const struct flow_set *flows,
                                        const struct privacy *priv,
                                        const struct channel_type *const *types,
                                        char err[SK_ERR_LEN]);

/* What a text matched: static or owned by sg, valid while sg lives. */
struct safeguard_match {
    const char *category; /* "sexual_abuse", "physical_abuse", ... */
    const char *language; /* the list's language (ISO 639-3) */
    size_t words;         /* words of the phrase that matched */
};

/*
 * Checks text (a message or a transcript) against every list: 1 with *m
 * set when a phrase occurs in it as consecutive words (the longest phrase
 * found wins), 0 when none does, SK_ENOMEM. Any thread.
 */
int safeguard_match(const struct safeguard *sg, const char *text,
                    struct safeguard_match *m);

/* Languages with a list, and the phrases of each (for start-up logs). */
size_t safeguard_languages(const struct safeguard *sg);
const char *safeguard_language_at(const struct safeguard *sg, size_t i,
                                  size_t *phrases);

/* The referral flow, or NULL when the built-in message is used. */
const struct flow *safeguard_referral_flow(const struct safeguard *sg);

/* Whether the last run of s is the referral flow's (waiting or ended):
 * what it sends is a safeguarding reply, which no cap drops (caps.h). */
bool safeguard_referral_run(const struct safeguard *sg,
                            const struct flow_session *s);

/*
 * The built-in referral message in lang (eng, fra, ara, swa; else
 * English), naming the helpline, into buf. Returns buf.
 */
const char *safeguard_referral_text(const struct safeguard *sg,
                                    const char *lang,
                                    char buf[SAFEGUARD_REPLY_MAX]);

/*
 * Writer thread, inside the inbound job (or a voice step with a
 * transcript): when text is a disclosure, interrupts s's run, starts the
 * referral (flow or built-in message; in s's language, which becomes the
 * matched list's when s has none) and records an alert for contact_key
 * on channel, with an SMS to each on-call number queued in the outbox
 * (opts->numbers). The engine events of that step are put into *events (a new
 * array the caller records and frees, as after flow_start()) and the
 * alert id into *alert_id. A child already answering the referral flow
 * is not started again: its message goes to that flow like any answer.
 * Returns 1 when it was a disclosure, 0 when not (nothing changed), or a
 * negative SK_E*.
 */
int safeguard_take(const struct safeguard *sg, struct store_tx *tx,
                   const char *text, struct flow_session *s,
                   const char *contact_key, const char *channel, int64_t now,
                   json_t **events, int64_t *alert_id);

#endif
