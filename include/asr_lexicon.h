/*
 * asr_lexicon.h - pronunciations for closed-set grammars.
 *
 * The decoder's acoustic model is US English, but a closed set (yes/no,
 * digits, a router's words) can be heard in another language when its
 * words are spelled in the model's phone set. The project ships word lists
 * for French (fra), Swahili (swa) and Arabic (ara, in Arabic script and in
 * Latin transliteration): yes, no, the digits zero..ten and the words of
 * the example flows' closed sets, written in the en-us model's phones (the
 * CMU set: AA AE AH ... ZH) from espeak-ng's phonemes through the map in
 * asr_lexicon.c. English words come from the model's own dictionary
 * (cmudict), read once per new word.
 *
 * A digit token ("1", "١") stands for the number's word in the language.
 * All functions are pure or read files: any thread may call them.
 */
#ifndef SK_ASR_LEXICON_H
#define SK_ASR_LEXICON_H

#include <stddef.h>

#include "err.h"

/* Longest word and pronunciation kept, in bytes, with the NUL. */
#define ASR_LEXICON_WORD   64
#define ASR_LEXICON_PHONES 128

/* One looked-up word: its pronunciations, one per line ("N OW\nN AO"). */
struct asr_lexicon_entry {
    char word[ASR_LEXICON_WORD]; /* as asked (lower case) */
    char phones[4 * ASR_LEXICON_PHONES];
    int nprons; /* 0: not found */
};

/*
 * True when lang (ISO 639-3: "eng", "fra", ...) is English, or NULL/"" (the
 * model's own language).
 */
int asr_lexicon_is_english(const char *lang);

/*
 * Fills the pronunciations of entries[0..n) (their word set, nprons 0) in
 * lang: for a language other than English the shipped list is asked
 * first; what is still missing is looked up in the cmudict file at
 * dict_path (English spellings, the fallback for names and loan words).
 * English words also get the telephone band's variants of their
 * pronunciations: a leading S or Z also as TH, a final one also dropped
 * ("six" S IH K S also as TH IH K S, S IH K, TH IH K).
 * Returns 0 (entries not found keep nprons 0) or SK_EIO when dict_path
 * cannot be read.
 */
int asr_lexicon_lookup(const char *lang, const char *dict_path,
                       struct asr_lexicon_entry *entries, size_t n,
                       char err[SK_ERR_LEN]);

#endif
