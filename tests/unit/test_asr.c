/*
 * test_asr.c - the PocketSphinx decoder on real recorded speech from
 * pocketsphinx-testdata (skipped when it is not installed): a cards/
 * recording through its grammar, the open language model on a librivox/
 * sentence, and silence heard as nothing. Bad configurations fail with a
 * message. Closed sets (asr_transcribe_choices): a cards/ recording among
 * decoy phrases, the same set again from the cache and after the cache
 * has turned over, silence and noise not understood, unknown words left
 * out, the dictionary trimmed to the set; the shipped word lists.
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
#include "asr_lexicon.h"
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

static const char *const cards[] = {
    "ten of clubs",
    "four queen of clubs",
    "seven of clubs",
    "five five",
    "eight of spades four of clubs seven of hearts",
    "eight of spades four of clubs seven of spades",
};

static struct asr *
new_choices(void)
{
    struct asr_config cfg = {.rate = 16000, .choices = 1};
    char err[SK_ERR_LEN] = "";
    struct asr *asr = asr_new(&cfg, err);

    assert_non_null(asr);
    return asr;
}

static void
test_choices_cards(void **state)
{
    struct asr_choices ch = {.lang = "eng", .phrases = cards, .n = 6};
    char err[SK_ERR_LEN] = "", text[256];
    struct audio_pcm pcm;
    struct asr *asr;
    double conf;

    (void)state;
    if (access(DATA "/cards/005.wav", R_OK) != 0) {
        skip();
        return;
    }
    asr = new_choices();
    assert_int_equal(load(DATA "/cards/005.wav", 16000, &pcm), 0);
    assert_int_equal(asr_transcribe_choices(asr, pcm.samples, pcm.nsamples, &ch,
                                            text, sizeof(text), &conf, err),
                     0);
    assert_string_equal(text, cards[4]);
    assert_true(conf >= ASR_MIN_CONFIDENCE && conf <= 1.0);
    /* a closed-set decoder has no open mode */
    assert_int_equal(asr_transcribe(asr, pcm.samples, pcm.nsamples, text,
                                    sizeof(text), &conf, err),
                     SK_EINVAL);
    audio_pcm_free(&pcm);
    asr_free(asr);
}

static void
test_choices_cache(void **state)
{
    const char *one[2],
        *mixed[] = {"ten of clubs", "xqzzyv of clubs", "five five"};
    struct asr_choices ch = {.phrases = cards, .n = 5};
    char err[SK_ERR_LEN] = "", text[256];
    struct audio_pcm pcm;
    struct asr *asr;
    double conf;

    (void)state;
    if (access(DATA "/cards/001.wav", R_OK) != 0) {
        skip();
        return;
    }
    asr = new_choices();
    assert_int_equal(load(DATA "/cards/001.wav", 16000, &pcm), 0);
    /* the set, then more sets than the cache holds, then the set again */
    for (int round = 0; round < 2; round++) {
        assert_int_equal(asr_transcribe_choices(asr, pcm.samples, pcm.nsamples,
                                                &ch, text, sizeof(text), &conf,
                                                err),
                         0);
        assert_string_equal(text, "ten of clubs");
        for (int i = 0; round == 0 && i < ASR_GRAMMAR_CACHE + 2; i++) {
            struct asr_choices other = {.phrases = one, .n = 2};

            one[0] = cards[i % 6];
            one[1] = i % 2 ? "yes" : "no";
            assert_int_equal(asr_transcribe_choices(asr, pcm.samples,
                                                    pcm.nsamples, &other, text,
                                                    sizeof(text), &conf, err),
                             0);
        }
    }
    /* a phrase with a word no list knows is left out, the rest heard */
    ch.phrases = mixed;
    ch.n = 3;
    assert_int_equal(asr_transcribe_choices(asr, pcm.samples, pcm.nsamples, &ch,
                                            text, sizeof(text), &conf, err),
                     0);
    assert_string_equal(text, "ten of clubs");
    /* none known: refused with a message */
    ch.phrases = mixed + 1;
    ch.n = 1;
    err[0] = '\0';
    assert_int_equal(asr_transcribe_choices(asr, pcm.samples, pcm.nsamples, &ch,
                                            text, sizeof(text), &conf, err),
                     SK_EINVAL);
    assert_non_null(strstr(err, "pronunciation"));
    ch.n = 0;
    assert_int_equal(asr_transcribe_choices(asr, pcm.samples, pcm.nsamples, &ch,
                                            text, sizeof(text), &conf, err),
                     SK_EINVAL);
    audio_pcm_free(&pcm);
    asr_free(asr);
}

/* Silence, then white noise (a fixed generator): "" through yes/no. */
static void
test_choices_not_understood(void **state)
{
    const char *yn[] = {"yes", "no"};
    struct asr_choices ch = {.phrases = yn, .n = 2};
    char err[SK_ERR_LEN] = "", text[64];
    int16_t *s = calloc(16000, sizeof(*s));
    uint32_t x = 12345;
    struct asr *asr;
    double conf;

    (void)state;
    assert_non_null(s);
    if (access(ASR_DICT, R_OK) != 0) {
        free(s);
        skip();
        return;
    }
    asr = new_choices();
    assert_int_equal(asr_transcribe_choices(asr, s, 16000, &ch, text,
                                            sizeof(text), &conf, err),
                     0);
    assert_string_equal(text, "");
    for (int i = 0; i < 16000; i++) {
        x = x * 1103515245u + 12345u;
        s[i] = (int16_t)((int)(x >> 16 & 0x3fff) - 0x2000);
    }
    assert_int_equal(asr_transcribe_choices(asr, s, 16000, &ch, text,
                                            sizeof(text), &conf, err),
                     0);
    assert_string_equal(text, "");
    asr_free(asr);
    free(s);
}

static void
test_lexicon(void **state)
{
    struct asr_lexicon_entry e[6] = {{.word = "oui"},  {.word = "1"},
                                     {.word = "zéro"}, {.word = "camp"},
                                     {.word = "qqxv"}, {.word = "٣"}};
    char err[SK_ERR_LEN] = "";

    (void)state;
    if (access(ASR_DICT, R_OK) != 0) {
        skip();
        return;
    }
    assert_int_equal(asr_lexicon_lookup("fra", ASR_DICT, e, 6, err), 0);
    assert_string_equal(e[0].phones, "W IY\nW EY");
    assert_string_equal(e[1].phones, "AH N\nER N"); /* "un" */
    assert_string_equal(e[2].phones, "Z EY R OW");
    assert_int_equal(e[3].nprons, 2);
    assert_int_equal(e[4].nprons, 0);
    assert_string_equal(e[5].phones, "T R W AA"); /* "trois" */
    /* English comes from cmudict, its variants too */
    snprintf(e[0].word, sizeof(e[0].word), "%s", "one");
    snprintf(e[1].word, sizeof(e[1].word), "%s", "7");
    assert_int_equal(asr_lexicon_lookup("eng", ASR_DICT, e, 2, err), 0);
    assert_string_equal(e[0].phones, "W AH N\nHH W AH N");
    /* with the telephone band's variant: a leading S also as TH */
    assert_string_equal(e[1].phones, "S EH V AH N\nTH EH V AH N");
    snprintf(e[0].word, sizeof(e[0].word), "%s", "ndiyo");
    assert_int_equal(asr_lexicon_lookup("swa", ASR_DICT, e, 1, err), 0);
    assert_int_equal(e[0].nprons, 2);
    snprintf(e[0].word, sizeof(e[0].word), "%s", "نعم");
    assert_int_equal(asr_lexicon_lookup("ara", ASR_DICT, e, 1, err), 0);
    assert_int_equal(e[0].nprons, 2);
    assert_true(asr_lexicon_is_english(NULL) && asr_lexicon_is_english("eng"));
    assert_false(asr_lexicon_is_english("fra"));
    assert_int_equal(asr_lexicon_lookup("eng", "/nonexistent.dict", e, 1, err),
                     SK_EIO);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cards),
        cmocka_unit_test(test_language_model),
        cmocka_unit_test(test_silence),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_choices_cards),
        cmocka_unit_test(test_choices_cache),
        cmocka_unit_test(test_choices_not_understood),
        cmocka_unit_test(test_lexicon),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
