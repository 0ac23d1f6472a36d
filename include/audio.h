/*
 * audio.h - decode and condition recorded audio.
 *
 * audio_decode() reads a whole recording held in memory (WAV with PCM
 * 8/16/24/32-bit, float, mu-law or A-law; MP3; anything else libsndfile
 * reads) through sf_open_virtual, checks the header against limits before
 * decoding a sample, mixes it down to mono and resamples it with
 * libsamplerate to the rate asked for. The result is 16-bit PCM.
 *
 * Decoding is slow work: call these from a worker thread, never from the
 * event loop. Any thread may call them; they share no state.
 */
#ifndef SK_AUDIO_H
#define SK_AUDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Limits a recording must fit before it is decoded. */
struct audio_limits {
    size_t max_bytes;       /* encoded size */
    double max_seconds;     /* duration the header claims */
    int max_channels;       /* channels in the file */
    int min_rate, max_rate; /* sample rate in the file, Hz */
};

/* Defaults: 8 MB, 120 s, 2 channels, 8000..48000 Hz. */
void audio_limits_default(struct audio_limits *lim);

struct audio_pcm {
    int16_t *samples; /* mono, at rate */
    size_t nsamples;
    int rate;
    int src_rate;     /* rate of the file */
    int src_channels; /* channels of the file */
};

/*
 * Decodes data[0..len) to mono 16-bit PCM at out_rate (8000..48000).
 * Returns 0 and fills *pcm (free with audio_pcm_free), or SK_EINVAL for
 * audio that is empty, corrupt or of an unknown format, SK_ELIMIT past a
 * limit, SK_ENOMEM; err says why.
 */
int audio_decode(const void *data, size_t len, const struct audio_limits *lim,
                 int out_rate, struct audio_pcm *pcm, char err[SK_ERR_LEN]);

/* Frees the samples and zeroes *pcm; NULL is a no-op. */
void audio_pcm_free(struct audio_pcm *pcm);

/* What a recording's header says, read without decoding a sample. */
struct audio_info {
    const char *container; /* "WAV", "FLAC", "OGG", "MP3", "AIFF", "AU",
                            * or "other"; static */
    bool wav;              /* a RIFF WAV (or WAVE_FORMAT_EXTENSIBLE) file */
    bool pcm16;            /* of 16-bit PCM samples */
    int rate;              /* Hz */
    int channels;
    int64_t frames;
};

/* Reads the header of data[0..len) into *info: 0, or SK_EINVAL (empty,
 * or nothing libsndfile reads) with err. */
int audio_probe(const void *data, size_t len, struct audio_info *info,
                char err[SK_ERR_LEN]);

/*
 * Reads the file at path (at most lim->max_bytes) into a malloc'd buffer.
 * Returns 0, SK_EIO, SK_ELIMIT or SK_ENOMEM.
 */
int audio_read_file(const char *path, const struct audio_limits *lim,
                    void **data, size_t *len, char err[SK_ERR_LEN]);

/*
 * Writes pcm as a 16-bit PCM mono WAV file at path (replacing it).
 * Returns 0 or SK_EIO.
 */
int audio_write_wav(const char *path, const struct audio_pcm *pcm,
                    char err[SK_ERR_LEN]);

#endif
