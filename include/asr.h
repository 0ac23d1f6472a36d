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

/* Transcripts of a lower posterior than this become "not understood". */
#define ASR_MIN_CONFIDENCE 0.5

struct asr_config {
    const char *model;   /* acoustic model directory; NULL: ASR_MODEL */
    const char *dict;    /* pronunciation dictionary; NULL: ASR_DICT */
    const char *lm;      /* language model; NULL: ASR_LM */
    const char *grammar; /* JSGF file; NULL: language-model mode */
    int rate;            /* 16000, or 8000 for the telephone band */
};

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
 * confidence. Returns SK_EIO when the decoder fails.
 */
int asr_transcribe(struct asr *asr, const int16_t *samples, size_t n,
                   char *text, size_t cap, double *confidence,
                   char err[SK_ERR_LEN]);

#endif
