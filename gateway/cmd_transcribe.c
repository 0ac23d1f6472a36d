/*
 * cmd_transcribe.c - `sikiliza transcribe AUDIO`: decodes, conditions and
 * transcribes one file and prints transcript<TAB>confidence. Main thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asr.h"
#include "audio.h"
#include "cli.h"

static const char usage_transcribe[] =
    "usage: sikiliza transcribe AUDIO [--grammar FILE.gram] [--model DIR]\n"
    "                           [--dict FILE] [--lm FILE] [--rate HZ]\n"
    "\n"
    "Transcribes a recording (WAV: PCM, float, mu-law, A-law; MP3; FLAC)\n"
    "with PocketSphinx on this machine and prints `transcript<TAB>"
    "confidence`,\n"
    "the confidence between 0 and 1. What the decoder doubts (confidence\n"
    "below 0.5) prints as an empty transcript. Recordings over 120 s or\n"
    "8 MB are refused.\n"
    "\n"
    "  --grammar FILE  a JSGF grammar: only its sentences are heard\n"
    "  --model DIR     acoustic model (default: the Debian en-us model)\n"
    "  --dict FILE     pronunciation dictionary (default: cmudict-en-us)\n"
    "  --lm FILE       language model without --grammar (default: en-us)\n"
    "  --rate HZ       decoder rate: 16000 (default; 8 kHz audio is\n"
    "                  resampled) or 8000 (a telephone-band front end)\n";

/* Decodes, conditions and transcribes one file; returns an exit code. */
static int
transcribe_file(const char *path, struct asr_config *cfg)
{
    struct audio_limits lim;
    struct audio_pcm pcm = {0};
    struct asr *asr = NULL;
    char err[SK_ERR_LEN] = "", text[1024];
    void *data = NULL;
    size_t len = 0;
    double conf;
    int rc, code = CLI_EXIT_RUNTIME;

    audio_limits_default(&lim);
    rc = audio_read_file(path, &lim, &data, &len, err);
    if (cfg->rate == 0)
        cfg->rate = 16000; /* measured better than the 8 kHz front end */
    if (rc == 0)
        rc = audio_decode(data, len, &lim, cfg->rate, &pcm, err);
    free(data);
    if (rc != 0) {
        fprintf(stderr, "sikiliza transcribe: %s: %s\n", path, err);
        /* a missing or unreadable AUDIO is the caller's input too */
        return rc == SK_ENOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_INVALID;
    }
    asr = asr_new(cfg, err);
    if (asr == NULL) {
        fprintf(stderr, "sikiliza transcribe: %s\n", err);
        code = cfg->grammar != NULL ? CLI_EXIT_INVALID : CLI_EXIT_RUNTIME;
    } else if (asr_transcribe(asr, pcm.samples, pcm.nsamples, text,
                              sizeof(text), &conf, err) != 0) {
        fprintf(stderr, "sikiliza transcribe: %s\n", err);
    } else {
        printf("%s\t%.2f\n", text, conf);
        code = 0;
    }
    asr_free(asr);
    audio_pcm_free(&pcm);
    return code;
}

int
cmd_transcribe(int argc, char **argv)
{
    struct asr_config cfg = {0};
    const char *audio = NULL, *rate = NULL;
    int i, r;

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
            (r = cli_opt_value(argc, argv, &i, NULL, "--rate", &rate))) {
            if (r < 0)
                return cli_usage_error(usage_transcribe, "%s needs a value",
                                       argv[i]);
        } else if (argv[i][0] == '-') {
            return cli_usage_error(usage_transcribe, "unknown option \"%s\"",
                                   argv[i]);
        } else if (audio == NULL) {
            audio = argv[i];
        } else {
            return cli_usage_error(usage_transcribe,
                                   "unexpected argument \"%s\"", argv[i]);
        }
    }
    if (audio == NULL)
        return cli_usage_error(usage_transcribe, "%s",
                               "transcribe needs AUDIO");
    if (rate != NULL) {
        if (strcmp(rate, "8000") != 0 && strcmp(rate, "16000") != 0)
            return cli_usage_error(usage_transcribe, "%s",
                                   "--rate is 8000 or 16000");
        cfg.rate = atoi(rate);
    }
    return transcribe_file(audio, &cfg);
}
