/*
 * test_audio.c - decode and condition: every WAV encoding a provider may
 * send, written by libsndfile from a known tone, decodes to mono at the
 * asked rate with the tone's energy; empty, corrupt, truncated, huge and
 * wrong-format input is refused with the right code.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sndfile.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "audio.h"

/* Writes a 440 Hz tone of secs seconds to a temp file; returns its bytes. */
static unsigned char *
make_tone(int format, int rate, int channels, double secs, size_t *len)
{
    char path[] = "/tmp/sk-audio-XXXXXX";
    int fd = mkstemp(path);
    SF_INFO info = {0};
    SNDFILE *sf;
    size_t frames = (size_t)(rate * secs);
    float *buf = calloc(frames * (size_t)channels, sizeof(*buf));
    struct audio_limits lim;
    void *data = NULL;
    char err[SK_ERR_LEN] = "";

    assert_true(fd >= 0);
    close(fd);
    assert_non_null(buf);
    for (size_t i = 0; i < frames; i++)
        for (int c = 0; c < channels; c++)
            buf[i * (size_t)channels + (size_t)c] =
                0.5f * (float)sin(2 * M_PI * 440.0 * (double)i / rate);
    info.samplerate = rate;
    info.channels = channels;
    info.format = format;
    sf = sf_open(path, SFM_WRITE, &info);
    assert_non_null(sf);
    assert_int_equal(sf_writef_float(sf, buf, (sf_count_t)frames),
                     (sf_count_t)frames);
    sf_close(sf);
    free(buf);
    audio_limits_default(&lim);
    lim.max_bytes = 64u << 20;
    assert_int_equal(audio_read_file(path, &lim, &data, len, err), 0);
    unlink(path);
    return data;
}

static double
rms(const struct audio_pcm *pcm)
{
    double s = 0;

    for (size_t i = 0; i < pcm->nsamples; i++)
        s += (double)pcm->samples[i] * pcm->samples[i];
    return sqrt(s / (double)pcm->nsamples) / 32768.0;
}

static void
check_format(int format, int rate, int channels)
{
    struct audio_limits lim;
    struct audio_pcm pcm;
    char err[SK_ERR_LEN] = "";
    size_t len;
    unsigned char *data = make_tone(format, rate, channels, 1.0, &len);

    audio_limits_default(&lim);
    assert_int_equal(audio_decode(data, len, &lim, 16000, &pcm, err), 0);
    assert_int_equal(pcm.rate, 16000);
    assert_int_equal(pcm.src_rate, rate);
    assert_int_equal(pcm.src_channels, channels);
    /* one second, give or take the resampler's edges */
    assert_true(pcm.nsamples > 15900 && pcm.nsamples < 16100);
    /* a 0.5 amplitude sine has an RMS of 0.354 */
    assert_true(fabs(rms(&pcm) - 0.354) < 0.03);
    audio_pcm_free(&pcm);
    free(data);
}

static void
test_formats(void **state)
{
    (void)state;
    check_format(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1);
    check_format(SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 8000, 1);
    check_format(SF_FORMAT_WAV | SF_FORMAT_PCM_24, 16000, 1);
    check_format(SF_FORMAT_WAV | SF_FORMAT_PCM_32, 44100, 2);
    check_format(SF_FORMAT_WAV | SF_FORMAT_FLOAT, 22050, 1);
    check_format(SF_FORMAT_WAV | SF_FORMAT_ULAW, 8000, 1);
    check_format(SF_FORMAT_WAV | SF_FORMAT_ALAW, 8000, 2);
    check_format(SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 16000, 1);
}

static void
test_mp3(void **state)
{
    SF_FORMAT_INFO fi = {.format = SF_FORMAT_MPEG};

    (void)state;
    if (sf_command(NULL, SFC_GET_FORMAT_INFO, &fi, sizeof(fi)) != 0) {
        skip(); /* libsndfile built without MPEG */
        return;
    }
    check_format(SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 16000, 1);
}

static void
test_refused(void **state)
{
    struct audio_limits lim;
    struct audio_pcm pcm;
    char err[SK_ERR_LEN];
    size_t len;
    unsigned char *data =
        make_tone(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 2.0, &len);
    static const char text[] = "this is not audio at all, just some text";

    (void)state;
    audio_limits_default(&lim);
    err[0] = '\0';
    assert_int_equal(audio_decode(data, 0, &lim, 16000, &pcm, err), SK_EINVAL);
    err[0] = '\0';
    assert_int_equal(audio_decode(text, sizeof(text), &lim, 16000, &pcm, err),
                     SK_EINVAL);
    assert_non_null(strstr(err, "not a recording"));
    /* truncated inside the header */
    err[0] = '\0';
    assert_int_equal(audio_decode(data, 20, &lim, 16000, &pcm, err), SK_EINVAL);
    /* corrupt: the data chunk claims ten hours (libsndfile clamps it) */
    {
        unsigned char *bad = malloc(len);
        uint32_t huge = 8000u * 2u * 36000u;

        assert_non_null(bad);
        memcpy(bad, data, len);
        memcpy(bad + 40, &huge, 4);
        err[0] = '\0';
        /* refused, or clamped to the bytes really there: never ten hours */
        if (audio_decode(bad, len, &lim, 16000, &pcm, err) == 0) {
            assert_true(pcm.nsamples <= 2 * 16000 + 100);
            audio_pcm_free(&pcm);
        }
        free(bad);
    }
    /* too long, too big, too many channels */
    lim.max_seconds = 1.0;
    err[0] = '\0';
    assert_int_equal(audio_decode(data, len, &lim, 16000, &pcm, err),
                     SK_ELIMIT);
    audio_limits_default(&lim);
    lim.max_bytes = len - 1;
    err[0] = '\0';
    assert_int_equal(audio_decode(data, len, &lim, 16000, &pcm, err),
                     SK_ELIMIT);
    audio_limits_default(&lim);
    lim.max_channels = 0;
    err[0] = '\0';
    assert_int_equal(audio_decode(data, len, &lim, 16000, &pcm, err),
                     SK_ELIMIT);
    audio_limits_default(&lim);
    lim.min_rate = 16000;
    err[0] = '\0';
    assert_int_equal(audio_decode(data, len, &lim, 16000, &pcm, err),
                     SK_ELIMIT);
    /* a truncated body still decodes what is there, shorter */
    audio_limits_default(&lim);
    err[0] = '\0';
    assert_int_equal(audio_decode(data, len / 2, &lim, 8000, &pcm, err), 0);
    assert_true(pcm.nsamples < 8000 && pcm.nsamples > 7000);
    audio_pcm_free(&pcm);
    free(data);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_mp3),
        cmocka_unit_test(test_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
