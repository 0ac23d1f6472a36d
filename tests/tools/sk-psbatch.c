/*
 * sk-psbatch - PocketSphinx's own batch decoding, for comparison: each
 * 16 kHz WAV file given is decoded with PocketSphinx's default
 * configuration (only the model, dictionary and language model named, as
 * pocketsphinx_batch would be run; Debian ships no such binary) and
 * "file<TAB>hypothesis" is printed. It reads the samples with libsndfile
 * and shares no code with audio/asr.c, so the e2e test can compare the
 * gateway's word error with PocketSphinx's own.
 *
 *   sk-psbatch MODEL_DIR DICT LM FILE.wav...
 */
#include <stdio.h>
#include <stdlib.h>

#include <pocketsphinx.h>
#include <sndfile.h>

static int
decode_file(ps_decoder_t *ps, const char *path)
{
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    const char *hyp;
    int16_t *buf;
    int32 score;
    sf_count_t got;

    if (sf == NULL || info.channels != 1 || info.samplerate != 16000 ||
        info.frames <= 0 || info.frames > 16000 * 600) {
        fprintf(stderr, "sk-psbatch: %s: not 16 kHz mono audio\n", path);
        if (sf != NULL)
            sf_close(sf);
        return -1;
    }
    buf = malloc((size_t)info.frames * sizeof(*buf));
    if (buf == NULL) {
        sf_close(sf);
        return -1;
    }
    got = sf_readf_short(sf, buf, info.frames);
    sf_close(sf);
    if (ps_start_utt(ps) < 0 ||
        ps_process_raw(ps, buf, (size_t)got, FALSE, TRUE) < 0 ||
        ps_end_utt(ps) < 0) {
        free(buf);
        return -1;
    }
    free(buf);
    hyp = ps_get_hyp(ps, &score);
    printf("%s\t%s\n", path, hyp != NULL ? hyp : "");
    return 0;
}

int
main(int argc, char **argv)
{
    ps_decoder_t *ps;
    cmd_ln_t *config;
    int rc = 0;

    if (argc < 5) {
        fputs("usage: sk-psbatch MODEL_DIR DICT LM FILE.wav...\n", stderr);
        return 2;
    }
    config = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", argv[1], "-dict",
                         argv[2], "-lm", argv[3], "-logfn", "/dev/null", NULL);
    ps = config != NULL ? ps_init(config) : NULL;
    if (ps == NULL) {
        fputs("sk-psbatch: cannot load the model\n", stderr);
        cmd_ln_free_r(config);
        return 1;
    }
    for (int i = 4; i < argc; i++)
        if (decode_file(ps, argv[i]) < 0)
            rc = 1;
    ps_free(ps);
    cmd_ln_free_r(config);
    return rc;
}
