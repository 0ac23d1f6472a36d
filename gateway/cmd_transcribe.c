/*
 * cmd_transcribe.c - `sikiliza transcribe AUDIO...`: decodes, conditions
 * and transcribes each file and prints transcript<TAB>confidence, through
 * the language model, a JSGF grammar or a closed set of choices (asr.h).
 * One decoder for all the files. Main thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asr.h"
#include "audio.h"
#include "cli.h"

static const char usage_transcribe[] =
    "usage: sikiliza transcribe AUDIO... [--grammar FILE.gram | --choices "
    "LIST\n"
    "                           [--lang CODE]] [--min-confidence X]\n"
    "                           [--model DIR] [--dict FILE] [--lm FILE]\n"
    "                           [--rate HZ]\n"
    "\n"
    "Transcribes a recording (WAV: PCM, float, mu-law, A-law; MP3; FLAC)\n"
    "with PocketSphinx on this machine and prints `transcript<TAB>"
    "confidence`,\n"
    "the confidence between 0 and 1 (with several files, each line starts\n"
    "with the file's path and a tab; the decoder is loaded once). What the\n"
    "decoder doubts (confidence below 0.5 unless --min-confidence says\n"
    "otherwise) prints as an empty transcript. Recordings over 120 s or\n"
    "8 MB are refused.\n"
    "\n"
    "  --grammar FILE  a JSGF grammar: only its sentences are heard\n"
    "  --choices LIST  a closed set, comma-separated (\"yes,no\", \"1,2,3\"):\n"
    "                  one of them is heard, or nothing when the answer is\n"
    "                  none of them or doubtful\n"
    "  --lang CODE     the language of --choices: eng (default), fra, swa,\n"
    "                  ara (pronunciations from the shipped word lists)\n"
    "  --min-confidence X  below X (0..1) the transcript is empty\n"
    "  --model DIR     acoustic model (default: the Debian en-us model)\n"
    "  --dict FILE     pronunciation dictionary (default: cmudict-en-us)\n"
    "  --lm FILE       language model without --grammar (default: en-us)\n"
    "  --rate HZ       decoder rate: 16000 (default; 8 kHz audio is\n"
    "                  resampled) or 8000 (a telephone-band front end)\n";

#define MAX_LIST 2048

/* Splits list at commas into phrases (in buf); -1 when over the limits. */
static int
split_choices(const char *list, char *buf, const char **phrases, size_t *n)
{
    size_t len = strlen(list);

    if (len >= MAX_LIST)
        return -1;
    memcpy(buf, list, len + 1);
    *n = 0;
    for (char *p = buf, *comma; p != NULL; p = comma) {
        comma = strchr(p, ',');
        if (comma != NULL)
            *comma++ = '\0';
        if (p[strspn(p, " ")] == '\0')
            continue;
        if (*n == ASR_MAX_CHOICES)
            return -1;
        phrases[(*n)++] = p;
    }
    return *n > 0 ? 0 : -1;
}

/* Runs the decoder on pcm: with choices when ch is not NULL. */
static int
run_decoder(struct asr *asr, const struct audio_pcm *pcm,
            const struct asr_choices *ch, char *text, size_t cap, double *conf,
            char err[SK_ERR_LEN])
{
    if (ch != NULL)
        return asr_transcribe_choices(asr, pcm->samples, pcm->nsamples, ch,
                                      text, cap, conf, err);
    return asr_transcribe(asr, pcm->samples, pcm->nsamples, text, cap, conf,
                          err);
}

/*
 * Decodes, conditions and transcribes one file; returns an exit code.
 * With named set, the line starts with the file's path and a tab.
 */
static int
transcribe_file(struct asr *asr, const char *path, int named,
                const struct asr_choices *ch)
{
    struct audio_limits lim;
    struct audio_pcm pcm = {0};
    char err[SK_ERR_LEN] = "", text[1024];
    void *data = NULL;
    size_t len = 0;
    double conf;
    int rc;

    audio_limits_default(&lim);
    rc = audio_read_file(path, &lim, &data, &len, err);
    if (rc == 0)
        rc = audio_decode(data, len, &lim, asr_rate(asr), &pcm, err);
    free(data);
    if (rc != 0) {
        fprintf(stderr, "sikiliza transcribe: %s: %s\n", path, err);
        /* a missing or unreadable AUDIO is the caller's input too */
        return rc == SK_ENOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_INVALID;
    }
    rc = run_decoder(asr, &pcm, ch, text, sizeof(text), &conf, err);
    audio_pcm_free(&pcm);
    if (rc != 0) {
        fprintf(stderr, "sikiliza transcribe: %s\n", err);
        return rc == SK_EINVAL ? CLI_EXIT_INVALID : CLI_EXIT_RUNTIME;
    }
    if (named)
        printf("%s\t", path);
    printf("%s\t%.2f\n", text, conf);
    return 0;
}

/* Loads the decoder once and transcribes every file; the first failure's
 * exit code is returned, after the other files. */
static int
transcribe_files(char **paths, int n, struct asr_config *cfg,
                 const struct asr_choices *ch)
{
    char err[SK_ERR_LEN] = "";
    struct asr *asr;
    int code = 0;

    if (cfg->rate == 0)
        cfg->rate = 16000; /* measured better than the 8 kHz front end */
    asr = asr_new(cfg, err);
    if (asr == NULL) {
        fprintf(stderr, "sikiliza transcribe: %s\n", err);
        return cfg->grammar != NULL ? CLI_EXIT_INVALID : CLI_EXIT_RUNTIME;
    }
    for (int i = 0; i < n; i++) {
        int rc = transcribe_file(asr, paths[i], n > 1, ch);

        if (code == 0)
            code = rc;
    }
    asr_free(asr);
    return code;
}

int
cmd_transcribe(int argc, char **argv)
{
    struct asr_config cfg = {0};
    const char *rate = NULL, *list = NULL, *lang = NULL;
    const char *minc = NULL, *phrases[ASR_MAX_CHOICES];
    struct asr_choices ch = {0};
    char buf[MAX_LIST], *end, **audio;
    int i, r, naudio = 0;

    /* AUDIO arguments are gathered in place at the front of argv */
    audio = argv + 1;

    for (i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_transcribe, stdout);
            return 0;
        }
        if ((r = cli_opt_value(argc, argv, &i, NULL, "--grammar",
                               &cfg.grammar)) ||
            (r = cli_opt_value(argc, argv, &i, NULL, "--model", &cfg.model)) ||
            (r = cli_opt_value(argc, argv, &i, NULL, "--dict", &cfg.dict)) ||
            (r = cli_opt_value(argc, argv, &i, NULL, "--lm", &cfg.lm)) ||
            (r = cli_opt_value(argc, argv, &i, NULL, "--rate", &rate)) ||
            (r = cli_opt_value(argc, argv, &i, NULL, "--choices", &list)) ||
            (r = cli_opt_value(argc, argv, &i, NULL, "--lang", &lang)) ||
            (r = cli_opt_value(argc, argv, &i, NULL, "--min-confidence",
                               &minc))) {
            if (r < 0)
                return cli_usage_error(usage_transcribe, "%s needs a value",
                                       argv[i]);
        } else if (argv[i][0] == '-') {
            return cli_usage_error(usage_transcribe, "unknown option \"%s\"",
                                   argv[i]);
        } else {
            audio[naudio++] = argv[i];
        }
    }
    if (naudio == 0)
        return cli_usage_error(usage_transcribe, "%s",
                               "transcribe needs AUDIO");
    if (rate != NULL) {
        if (strcmp(rate, "8000") != 0 && strcmp(rate, "16000") != 0)
            return cli_usage_error(usage_transcribe, "%s",
                                   "--rate is 8000 or 16000");
        cfg.rate = atoi(rate);
    }
    if (minc != NULL) {
        cfg.min_confidence = strtod(minc, &end);
        if (end == minc || *end != '\0' || !(cfg.min_confidence > 0) ||
            cfg.min_confidence > 1)
            return cli_usage_error(usage_transcribe, "%s",
                                   "--min-confidence is a number in (0, 1]");
    }
    if (list != NULL && cfg.grammar != NULL)
        return cli_usage_error(usage_transcribe, "%s",
                               "--choices and --grammar exclude each other");
    if (lang != NULL && list == NULL)
        return cli_usage_error(usage_transcribe, "%s",
                               "--lang needs --choices");
    if (list != NULL) {
        if (split_choices(list, buf, phrases, &ch.n) < 0)
            return cli_usage_error(usage_transcribe,
                                   "--choices takes 1 to %d phrases",
                                   ASR_MAX_CHOICES);
        ch.phrases = phrases;
        ch.lang = lang;
        cfg.choices = 1;
    }
    return transcribe_files(audio, naudio, &cfg, list != NULL ? &ch : NULL);
}
