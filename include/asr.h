/*
 * asr.h - speech recognition with PocketSphinx.
 *
 * One struct asr is one decoder: in language-model mode it transcribes
 * open speech; given a JSGF grammar it only hears the grammar's sentences.
 * The decoder runs at 16 kHz (the model's rate) or, for telephone audio,
 * at 8 kHz with the filter bank cut to the telephone band (200-3500 Hz).
 * PocketSphinx's own log goes to /dev/null, so no transcript reaches a
 * log.
 *
 * A decoder is not thread-safe: each thread uses its own (asrpool.h gives
 * one to each worker). asr_new and asr_transcribe are slow: never call
 * them on the event loop.
 */
#ifndef SK_ASR_H
#define SK_ASR_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define ASR_MODEL "/usr/share/pocketsphinx/model/en-us/en-us"
#define ASR_DICT  "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"
#define ASR_LM    "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin"

/*
 * Transcripts of a lower confidence than this become "not understood"
 * (asr_config.min_confidence overrides it).
 */
#define ASR_MIN_CONFIDENCE 0.5

struct asr_config {
    const char *model;     /* acoustic model directory; NULL: ASR_MODEL */
    const char *dict;      /* pronunciation dictionary; NULL: ASR_DICT */
    const char *lm;        /* language model; NULL: ASR_LM */
    const char *grammar;   /* JSGF file; NULL: language-model mode */
    int rate;              /* 16000, or 8000 for the telephone band */
    int choices;           /* nonzero: a closed-set decoder (see below) */
    double min_confidence; /* 0: ASR_MIN_CONFIDENCE; in (0, 1] otherwise */
};

/*
 * A closed set asked for one utterance: phrases (one or more words each,
 * in language lang, ISO 639-3; NULL or "eng" is English) of which the
 * speaker says one. Words are matched in lower case; a digit ("1", "١")
 * stands for the number's word in the language.
 */
struct asr_choices {
    const char *lang;
    const char *const *phrases;
    size_t n;
};

/* At most this many phrases, of at most ASR_MAX_PHRASE_WORDS words. */
#define ASR_MAX_CHOICES      64
#define ASR_MAX_PHRASE_WORDS 16

struct asr;

/* Loads a decoder; NULL with err filled when a file is missing or bad. */
struct asr *asr_new(const struct asr_config *cfg, char err[SK_ERR_LEN]);

/* Frees the decoder; NULL is a no-op. */
void asr_free(struct asr *asr);

/* The rate, in Hz, the samples given to asr_transcribe must have. */
int asr_rate(const struct asr *asr);

/*
 * Transcribes n mono samples at asr_rate(). On success returns 0, writes
 * the transcript (lower case words, "" when nothing was understood) to
 * text[0..cap) and the decoder's posterior 0..1 to *confidence; a
 * transcript below ASR_MIN_CONFIDENCE is returned as "" with its
 * confidence. Returns SK_EIO when the decoder fails, SK_EINVAL on a
 * closed-set decoder (it needs asr_transcribe_choices).
 */
int asr_transcribe(struct asr *asr, const int16_t *samples, size_t n,
                   char *text, size_t cap, double *confidence,
                   char err[SK_ERR_LEN]);

/*
 * A closed-set decoder (cfg->choices) starts with a dictionary of only the
 * model's fillers and about 250 everyday English words, about 10 MB, and
 * ignores cfg->lm and cfg->grammar. asr_transcribe_choices() decodes one
 * utterance against a grammar of choices' phrases: their words are looked
 * up (asr_lexicon.h) and added to the dictionary the first time, and the
 * grammar is kept for the next utterance with the same set (the last
 * ASR_GRAMMAR_CACHE sets), so switching between a flow's questions costs
 * nothing.
 *
 * Whether the speaker said one of the phrases at all is judged by the
 * everyday words: the grammar offers them beside the phrases, each with
 * the prior 10^(-8 (1 - min_confidence)) (1e-4 at the default 0.5), and
 * when one of them explains the audio best the answer is "" ("not
 * understood"), so a word outside the set, noise or a doubtful answer is
 * not turned into the nearest choice. Then the heard phrase must beat the
 * best path of the same grammar without it by a margin per frame (3.0 *
 * min_confidence in the decoder's log units), so two choices the audio
 * fits about as well give "" rather than a guess. The audio is decoded
 * with a low white noise floor (2% of its peak): telephone audio at
 * 16 kHz has nothing above 4 kHz and synthetic audio digital silence,
 * which the model hears badly. English words also get telephone-band
 * variants of their pronunciations (asr_lexicon.h). A higher
 * min_confidence rejects more. Same returns as asr_transcribe, and
 * SK_EINVAL when the decoder is
 * not a closed-set one, choices is empty or too big, or no phrase has a
 * known pronunciation.
 */
#define ASR_GRAMMAR_CACHE 8

int asr_transcribe_choices(struct asr *asr, const int16_t *samples, size_t n,
                           const struct asr_choices *choices, char *text,
                           size_t cap, double *confidence,
                           char err[SK_ERR_LEN]);

#endif
