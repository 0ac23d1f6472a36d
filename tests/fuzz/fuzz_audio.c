/*
 * fuzz_audio.c - libFuzzer target: the audio decode front end
 * (audio_probe, audio_decode through sf_open_virtual), as a fetched
 * recording reaches it.
 *
 * Limits are kept small (1 MB, 10 s) so each input decodes fast. A decoded
 * recording must have a sample count that fits its duration at the rate
 * asked for. One thread (libFuzzer's).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "audio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct audio_limits lim;
    struct audio_info info;
    struct audio_pcm pcm = {0};
    char err[SK_ERR_LEN];

    audio_limits_default(&lim);
    lim.max_bytes = 1 << 20;
    lim.max_seconds = 10;
    audio_probe(data, size, &info, err);
    if (audio_decode(data, size, &lim, 8000, &pcm, err) == 0) {
        /* 10 s at 8 kHz, with room for the resampler's rounding */
        if (pcm.rate != 8000 || pcm.nsamples > 8000 * 10 + 64)
            abort();
        audio_pcm_free(&pcm);
    }
    return 0;
}
