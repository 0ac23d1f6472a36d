/*
 * optout.h - the contact's own controls: STOP (opt out) and DELETE (erase
 * everything held on them), the words that trigger them and what they
 * do to the store beyond store_contact_erase().
 *
 * Word lists are matched as children type them: case, diacritics (marks,
 * after compatibility decomposition), punctuation, symbols and emoji do
 * not count, and a message matches when every word of it is a list word
 * ("Stop!", "STOP STOP", "Arrête !", "توقف." do; "stop hitting me" does
 * not). The store functions run inside a store job (writer thread); the
 * rest is pure, any thread.
 */
#ifndef SK_OPTOUT_H
#define SK_OPTOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "privacy.h"
#include "store.h"

/* Folds words[0..n) into out[0..n) (malloc'd each; free them with
 * optout_words_free): each word decomposed, case-folded and stripped of
 * marks, punctuation and symbols; the words of an entry of several are
 * joined by one space; an entry of nothing but those is "" and matches
 * nothing. Returns 0 or SK_ENOMEM (then nothing is left). */
int optout_fold_words(char *const *words, size_t n, char **out);
void optout_words_free(char **folded, size_t n);

/* The index of the folded entry text is, folded the same way, or else the
 * index of the entry its first word is when every word of text is one;
 * -1 when neither (and for a text with no word). */
int optout_match(char *const *folded, size_t n, const char *text);

/* What a message that holds only opt-out words asks for. */
enum optout_ask { OPTOUT_NONE, OPTOUT_STOP, OPTOUT_ERASE };

/*
 * OPTOUT_ERASE when text matches a delete entry (optout_match()) or
 * every word of it is a stop or a delete word with at least one delete
 * word ("stop delete": the stronger wins); OPTOUT_STOP when it matches a
 * stop entry; else OPTOUT_NONE. *word: the index of the deciding entry
 * in del (ERASE) or stop (STOP), -1 for NONE.
 */
enum optout_ask optout_classify(char *const *stop, size_t n_stop,
                                char *const *del, size_t n_del,
                                const char *text, int *word);

/* The language (ISO 639-3) of a built-in STOP or DELETE word, given
 * folded (as the lists hold it), or NULL: what a first message, with no
 * language yet, is answered in. */
const char *optout_word_lang(const char *word);

#define OPTOUT_STOP_REPLY_MAX 512

/* The confirmation of STOP, in lang (ISO 639-3) else English, into buf;
 * kw, when not NULL, is named in capitals as the word that starts again
 * (the first keyword of the flows' triggers). Returns buf. */
const char *optout_stop_reply(const char *lang, const char *kw,
                              char buf[OPTOUT_STOP_REPLY_MAX]);

/* The confirmation of an erasure, in lang (ISO 639-3), else in the
 * language of the word that asked for it (one of the built-in ones),
 * else English. */
const char *optout_erase_reply(const char *lang, const char *word);

/* DELETE: erases everything held under key and, when it is another
 * key, under legacy_key (the key the number had before numbers were
 * made E.164; "" or NULL for none). See store_contact_erase(). */
int optout_erase(struct store_tx *tx, const char *key, const char *legacy_key);

/*
 * After DELETE: the erasing message's own dedupe row, so a provider's
 * retry gets reply again and is not erased and confirmed twice. It is
 * kept under dedupe_id (privacy_dedupe_id(): not the provider's id),
 * with no contact key and its time cut to the day; none when dedupe_id
 * is "" or NULL.
 */
int optout_erased_dedupe(struct store_tx *tx, const char *channel,
                         const char *dedupe_id, const char *reply,
                         int64_t now_ms);

/* After STOP: the contact's queued outbox rows become 'failed' (never
 * sent), *n how many. Rows being sent already are not taken back. */
int optout_cancel_queued(struct store_tx *tx, const char *contact_key,
                         int64_t now_ms, int *n);

/* A random key, shaped like a contact key but linked to no one, for the
 * one message sent after an erasure on a channel that replies through
 * the outbox. 0 or SK_EIO. */
int optout_random_key(char out[PRIVACY_KEY_HEX]);

#endif
