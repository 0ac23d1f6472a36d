/*
 * test_asr.c - the PocketSphinx decoder on real recorded speech from
 * pocketsphinx-testdata (skipped when it is not installed): a cards/
 * recording through its grammar, the open language model on a librivox/
 * sentence, and silence heard as nothing. Bad configurations fail with a
 * message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "asr.h"
#include "audio.h"

#define DATA "/usr/share/pocketsphinx/test/data"

static int
load(const char *path, int rate, struct audio_pcm *pcm)
{
    struct audio_limits lim;
    char err[SK_ERR_LEN] = "";
    void *data;
    size_t len;
    int rc;

    audio_limits_default(&lim);
    if (audio_read_file(path, &lim, &data, &len, err) != 0)
        return -1;
    rc = audio_decode(data, len, &lim, rate, pcm, err);
    free(data);
    return rc;
}

static void
transcribe(const char *grammar, const char *wav, char *text, size_t cap,
           double *conf)
{
    struct asr_config cfg = {.grammar = grammar, .rate = 16000};
    char err[SK_ERR_LEN] = "";
    struct asr *asr = asr_new(&cfg, err);
    struct audio_pcm pcm;

    assert_non_null(asr);
    assert_int_equal(load(wav, asr_rate(asr), &pcm), 0);
    assert_int_equal(
        asr_transcribe(asr, pcm.samples, pcm.nsamples, text, cap, conf, err),
        0);
    audio_pcm_free(&pcm);
    asr_free(asr);
}

static void
test_cards(void **state)
{
    char text[256];
    double conf;

    (void)state;
    if (access(DATA "/cards/001.wav", R_OK) != 0) {
        skip();
        return;
    }
    transcribe(DATA "/cards/cards.gram", DATA "/cards/005.wav", text,
               sizeof(text), &conf);
    assert_string_equal(text, "eight of spades four of clubs seven of hearts");
    assert_true(conf >= ASR_MIN_CONFIDENCE && conf <= 1.0);
}

static void
test_language_model(void **state)
{
    char text[256];
    double conf;

    (void)state;
    if (access(DATA "/librivox/transcription", R_OK) != 0) {
        skip();
        return;
    }
    transcribe(NULL,
               DATA "/librivox/sense_and_sensibility_01_austen_64kb-0930.wav",
               text, sizeof(text), &conf);
    /* "he might even have been made amiable himself" */
    assert_non_null(strstr(text, "he might"));
}

static void
test_silence(void **state)
{
    struct asr_config cfg = {.grammar = DATA "/cards/cards.gram",
                             .rate = 16000};
    char err[SK_ERR_LEN] = "", text[64];
    int16_t *zeros = calloc(16000, sizeof(*zeros));
    struct asr *asr;
    double conf = 1;

    (void)state;
    assert_non_null(zeros);
    if (access(cfg.grammar, R_OK) != 0) {
        free(zeros);
        skip();
        return;
    }
    asr = asr_new(&cfg, err);
    assert_non_null(asr);
    assert_int_equal(asr_rate(asr), 16000);
    assert_int_equal(
        asr_transcribe(asr, zeros, 16000, text, sizeof(text), &conf, err), 0);
    assert_string_equal(text, "");
    asr_free(asr);
    free(zeros);
}

static void
test_bad_config(void **state)
{
    struct asr_config cfg = {.grammar = "/nonexistent.gram", .rate = 16000};
    char err[SK_ERR_LEN] = "";

    (void)state;
    assert_null(asr_new(&cfg, err));
    assert_non_null(strstr(err, "grammar"));
    cfg.grammar = NULL;
    cfg.rate = 11025;
    err[0] = '\0';
    assert_null(asr_new(&cfg, err));
    assert_non_null(strstr(err, "rate"));
    asr_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cards),
        cmocka_unit_test(test_language_model),
        cmocka_unit_test(test_silence),
        cmocka_unit_test(test_bad_config),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
