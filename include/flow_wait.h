/*
 * flow_wait.h - what a waiting run asks for, for the channels that must
 * tell the phone network before the answer comes (voice calls): the
 * wait's hint (a keypad answer of so many digits or up to a terminator,
 * or a recording), its timeout, the language the run speaks, and the
 * closed set of words its router can tell apart, so that a speech
 * recogniser may listen for those words only.
 *
 * Pure, like the rest of the engine: no I/O, no clock. Any thread, on a
 * session used by one thread at a time.
 */
#ifndef SK_FLOW_WAIT_H
#define SK_FLOW_WAIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

enum flow_wait_kind {
    FLOW_WAIT_TEXT,   /* no hint: a message */
    FLOW_WAIT_DIGITS, /* the "digits" hint: keys on the keypad */
    FLOW_WAIT_AUDIO   /* the "audio" hint: a recording */
};

#define FLOW_WAIT_MAX_DIGITS 32 /* a count past this reads as none */

struct flow_wait {
    enum flow_wait_kind kind;
    int digits;              /* DIGITS: how many keys, 0 when not fixed */
    char terminator[8];      /* DIGITS: the key that ends the answer, or "" */
    int64_t timeout_s;       /* the wait's timeout, 0 when none */
    const char *lang;        /* the language the run speaks (ISO 639-3):
                              * the contact's when the flow has it, else
                              * the flow's own; lives with the set */
    const struct flow *flow; /* the waiting flow */
};

/*
 * Fills w with the wait of s's waiting run. Returns 0, or SK_ENOENT when
 * s is not waiting or its flow or node is not in set.
 */
int flow_wait_get(const struct flow_set *set, const struct flow_session *s,
                  struct flow_wait *w);

/*
 * The language f speaks to a contact whose language is lang (NULL: none):
 * lang when f is written or translated in it, else f's own. Static, lives
 * with f.
 */
const char *flow_wait_lang(const struct flow *f, const char *lang);

/* A closed set of answers: distinct words or phrases, case-folded. */
struct flow_choices {
    char **v;
    size_t n;
};

/*
 * The closed set of words of the waiting router of s, as the run reads
 * them in language lang (its translations of the cases' arguments; NULL:
 * the language flow_wait_get() gives): every word of has_any_word and
 * has_all_words, every phrase of has_phrase, has_only_phrase and
 * has_only_text, and the numbers of has_number_eq and has_number_between
 * (0 to 10 at most) as words of lang where it is known (eng, fra, swa, ara)
 * - digits alone are no spoken word. A keypad digit in the arguments
 * ("1 one yes") is read the same way. Returns 0 with out filled (free
 * with flow_choices_clear()), SK_ENOENT when s is not waiting or any case
 * of the router takes open answers (has_text, a regex, a template
 * argument ...), or SK_ENOMEM; out is empty on failure.
 */
int flow_wait_choices(const struct flow_set *set, const struct flow_session *s,
                      const char *lang, struct flow_choices *out);
void flow_choices_clear(struct flow_choices *c);

/* The word of number 0..10 in lang (eng, fra, swa, ara), or NULL. */
const char *flow_wait_number_word(const char *lang, int n);

#endif
