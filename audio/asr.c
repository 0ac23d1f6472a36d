/*
 * asr.c - one PocketSphinx decoder (0.8+5prealpha, the ps_* API).
 *
 * The decoder is configured once through cmd_ln_init. For 8 kHz input the
 * front end is set to the telephone band (-samprate 8000, -nfft 256,
 * -lowerf 200, -upperf 3500) instead of upsampling, which leaves the
 * model's high filters empty. A whole utterance is decoded at once; the
 * confidence is the mean posterior of the best path's words from the
 * lattice (ps_seg_prob), so a grammar that "hears" its nearest word in noise
 * says how doubtful it is and the caller gets "" instead of a wrong answer.
 * Filler words (<sil>, [NOISE], ...) never reach the transcript.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pocketsphinx.h>

#include "asr.h"

struct asr {
    ps_decoder_t *ps;
    int rate;
};

/*
 * The model's feat.params sets a 130-6800 Hz filter bank, which 8 kHz
 * input cannot have, and PocketSphinx lets that file override the
 * command line. For 8 kHz the file is skipped (-featparams /dev/null) and
 * its settings are given here, with the band cut to the telephone's.
 */
#define FEAT_ARGS                                                              \
    "-nfilt", "25", "-transform", "dct", "-lifter", "22", "-feat",             \
        "1s_c_d_dd", "-svspec", "0-12/13-25/26-38", "-agc", "none", "-cmn",    \
        "batch", "-varnorm", "no", "-cmninit",                                 \
        "41.00,-5.29,-0.12,5.09,2.48,-4.07,-1.37,-1.78,-5.08,-2.05,-6.45,"     \
        "-1.42,1.17"
#define TEL_ARGS                                                               \
    "-featparams", "/dev/null", FEAT_ARGS, "-samprate", "8000", "-nfft",       \
        "256", "-lowerf", "200", "-upperf", "3500"

static cmd_ln_t *
make_config(const struct asr_config *cfg)
{
    const char *model = cfg->model ? cfg->model : ASR_MODEL;
    const char *dict = cfg->dict ? cfg->dict : ASR_DICT;
    const char *lm = cfg->lm ? cfg->lm : ASR_LM;
    const char *mode = cfg->grammar ? "-jsgf" : "-lm";
    const char *file = cfg->grammar ? cfg->grammar : lm;

    if (cfg->rate == 8000)
        return cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", model, "-dict", dict,
                           mode, file, TEL_ARGS, "-logfn", "/dev/null",
                           "-bestpath", "yes", NULL);
    return cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", model, "-dict", dict,
                       mode, file, "-logfn", "/dev/null", "-bestpath", "yes",
                       NULL);
}

struct asr *
asr_new(const struct asr_config *cfg, char err[SK_ERR_LEN])
{
    struct asr *asr;
    cmd_ln_t *config;
    FILE *f;

    if (cfg->rate != 8000 && cfg->rate != 16000) {
        sk_seterr(err, "asr: rate %d Hz (8000 or 16000)", cfg->rate);
        return NULL;
    }
    if (cfg->grammar != NULL) {
        /* PocketSphinx would abort on a missing grammar: check first */
        f = fopen(cfg->grammar, "r");
        if (f == NULL) {
            sk_seterr(err, "asr: cannot read grammar %s", cfg->grammar);
            return NULL;
        }
        fclose(f);
    }
    asr = calloc(1, sizeof(*asr));
    if (asr == NULL) {
        sk_seterr(err, "%s", "asr: out of memory");
        return NULL;
    }
    asr->rate = cfg->rate;
    config = make_config(cfg);
    if (config != NULL) {
        asr->ps = ps_init(config);
        cmd_ln_free_r(config); /* the decoder holds its own reference */
    }
    if (asr->ps == NULL) {
        sk_seterr(err, "asr: cannot load the model, dictionary or %s",
                  cfg->grammar ? "grammar" : "language model");
        free(asr);
        return NULL;
    }
    return asr;
}

void
asr_free(struct asr *asr)
{
    if (asr == NULL)
        return;
    ps_free(asr->ps);
    free(asr);
}

int
asr_rate(const struct asr *asr)
{
    return asr->rate;
}

static int
is_filler(const char *w)
{
    return w[0] == '<' || w[0] == '[' || strcmp(w, "++garbage++") == 0;
}

/*
 * Copies the best path's words, dropping fillers and "(2)" variants, and
 * returns their mean posterior (0 when there are none).
 */
static double
copy_words(ps_decoder_t *ps, char *text, size_t cap)
{
    logmath_t *lmath = ps_get_logmath(ps);
    size_t used = 0;
    double sum = 0;
    int nwords = 0;

    text[0] = '\0';
    for (ps_seg_t *seg = ps_seg_iter(ps); seg != NULL; seg = ps_seg_next(seg)) {
        const char *w = ps_seg_word(seg);
        size_t wl = strcspn(w, "(");
        int32 ascr, lscr, lback;

        if (is_filler(w) || wl == 0 || used + wl + 2 > cap)
            continue;
        if (used > 0)
            text[used++] = ' ';
        memcpy(text + used, w, wl);
        used += wl;
        text[used] = '\0';
        sum += logmath_exp(lmath, ps_seg_prob(seg, &ascr, &lscr, &lback));
        nwords++;
    }
    return nwords > 0 ? sum / nwords : 0;
}

int
asr_transcribe(struct asr *asr, const int16_t *samples, size_t n, char *text,
               size_t cap, double *confidence, char err[SK_ERR_LEN])
{
    int32 score;
    double p;

    if (cap > 0)
        text[0] = '\0';
    *confidence = 0;
    if (cap == 0 || ps_start_utt(asr->ps) < 0 ||
        ps_process_raw(asr->ps, samples, n, FALSE, TRUE) < 0 ||
        ps_end_utt(asr->ps) < 0) {
        sk_seterr(err, "%s", "asr: decoder failed");
        return SK_EIO;
    }
    if (ps_get_hyp(asr->ps, &score) == NULL)
        return 0;
    p = copy_words(asr->ps, text, cap);
    p = p < 0 ? 0 : p > 1 ? 1 : p;
    *confidence = p;
    if (p < ASR_MIN_CONFIDENCE)
        text[0] = '\0';
    return 0;
}
