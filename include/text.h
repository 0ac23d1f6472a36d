/*
 * text.h - Unicode text helpers (utf8proc): validation, case folding, word
 * splitting as goflow does it, and digit normalisation (Arabic-Indic and
 * Eastern Arabic-Indic digits become ASCII). Part of the ground floor
 * (flows/): the engine uses them for router tests, the gateway for STOP
 * words and commands, and the audio code may use them for transcripts.
 * Pure; any thread. Every returned string is malloc'd and owned by the
 * caller. Stepping through UTF-8 byte by byte is in utf8.h.
 */
#ifndef SK_TEXT_H
#define SK_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Whether s holds len bytes of valid UTF-8 without NUL bytes. */
bool text_valid_utf8(const char *s, size_t len);

/* Copy that is valid UTF-8: invalid bytes become U+FFFD. */
char *text_sanitize(const char *s);

/* Case-folded copy (Unicode simple case folding, NFC). */
char *text_fold(const char *s);

/* Copy with all Unicode decimal digits turned into ASCII 0-9. */
char *text_ascii_digits(const char *s);

/* The value of the n ASCII digits at s, which the caller has checked are
 * digits (n small enough for an int: at most 9). */
int text_digits_value(const char *s, size_t n);

/* Copy with leading and trailing Unicode white space removed. */
char *text_trim(const char *s);

/*
 * Splits s into words the way goflow's tokenizer does: a run of letters,
 * marks, numbers, '_' and '\'' is a word; each symbol (math, currency,
 * modifier, other: emoji) is a word of its own; punctuation, space and
 * everything else separate words. Invalid UTF-8 reads as U+FFFD. Returns
 * a NULL-terminated malloc'd array of malloc'd words and sets *n (NULL
 * only when out of memory); free with text_words_free().
 */
char **text_words(const char *s, size_t *n);
void text_words_free(char **words);

/*
 * The words of s for matching as children type: text_words(), with each
 * word compatibility-decomposed, case-folded and stripped of marks
 * ("Frappé" and "FRAPPE" are "frappe", "تَوَقَّفْ" is "توقف", "إ" is
 * "ا") and its apostrophes dropped, typographic ones included ("m'a" and
 * "m’a" are "ma", "don't" is "dont"); symbols (emoji) and words of
 * nothing but marks are left out. Safeguarding phrases compare words this
 * way. Returns a NULL-terminated array (free with text_words_free()) and
 * sets *n; NULL only when out of memory.
 */
char **text_words_loose(const char *s, size_t *n);

#endif
