/*
 * voiceasr.c - a recorded answer heard as a call would hear it (see
 * voiceasr.h). The grammar goes to a private temporary file, since the
 * decoder reads grammars from files, and is removed at once after loading.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio.h"
#include "flow.h"
#include "flow_wait.h"
#include "voiceasr.h"

#define VOICEASR_RATE 16000 /* measured better than the 8 kHz front end */

/* Whether word can be spelled from the dictionary's characters. */
static bool
spellable(const char *word)
{
    return word[0] != '\0' &&
           strspn(word, "abcdefghijklmnopqrstuvwxyz' ") == strlen(word);
}

int
voiceasr_grammar_write(const struct flow_choices *c, const char *path)
{
    FILE *fp;
    size_t i, n = 0;
    int bad = 0;

    for (i = 0; i < c->n; i++)
        n += spellable(c->v[i]);
    if (n == 0)
        return SK_EINVAL;
    if ((fp = fopen(path, "w")) == NULL)
        return SK_EIO;
    fputs("#JSGF V1.0;\ngrammar choices;\npublic <answer> = ", fp);
    for (i = 0, n = 0; i < c->n; i++)
        if (spellable(c->v[i]))
            fprintf(fp, "%s%s", n++ > 0 ? " | " : "", c->v[i]);
    fputs(";\n", fp);
    if (ferror(fp))
        bad = 1;
    if (fclose(fp) != 0 || bad)
        return SK_EIO;
    return 0;
}

/* Drops from c every word (of a phrase: every word of it) that the
 * dictionary at path does not list, so that the grammar loads. */
static void
keep_known(struct flow_choices *c, const char *path)
{
    bool known[64] = {false};
    char line[512];
    size_t i, j, len;
    FILE *fp = fopen(path != NULL ? path : ASR_DICT, "r");

    if (fp == NULL || c->n > 64) {
        if (fp != NULL)
            fclose(fp);
        return;
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        len = strcspn(line, " \t");
        for (i = 0; i < c->n; i++)
            if (!known[i] && strlen(c->v[i]) == len &&
                strncmp(c->v[i], line, len) == 0)
                known[i] = true;
    }
    fclose(fp);
    for (i = 0, j = 0; i < c->n; i++) {
        if (known[i])
            c->v[j++] = c->v[i];
        else
            free(c->v[i]);
    }
    c->n = j;
}

/* A decoder with a grammar of c when one can be made and loaded, else
 * NULL (*grammar false): the caller then loads the open model. */
static struct asr *
grammar_decoder(const struct flow_choices *c, const struct asr_config *base,
                bool *grammar)
{
    const char *tmp = getenv("TMPDIR");
    char path[512], err[SK_ERR_LEN];
    struct asr_config cfg = *base;
    struct asr *asr = NULL;
    int fd;

    *grammar = false;
    snprintf(path, sizeof(path), "%s/sikiliza-grammar-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if ((fd = mkstemp(path)) < 0)
        return NULL;
    close(fd);
    if (voiceasr_grammar_write(c, path) == 0) {
        cfg.grammar = path;
        asr = asr_new(&cfg, err); /* NULL: a word the dictionary lacks */
    }
    unlink(path);
    *grammar = asr != NULL;
    return asr;
}

int
voiceasr_hear_file(const struct flow_set *set, const struct flow_session *s,
                   const char *path, const struct asr_config *base,
                   struct voiceasr_result *res, char err[SK_ERR_LEN])
{
    struct asr_config cfg = base != NULL ? *base : (struct asr_config){0};
    struct flow_choices c = {0};
    struct flow_wait w;
    struct audio_limits lim;
    struct audio_pcm pcm = {0};
    struct asr *asr = NULL;
    void *data = NULL;
    size_t len = 0;
    int rc;

    memset(res, 0, sizeof(*res));
    cfg.grammar = NULL;
    cfg.rate = VOICEASR_RATE;
    audio_limits_default(&lim);
    rc = audio_read_file(path, &lim, &data, &len, err);
    if (rc == 0)
        rc = audio_decode(data, len, &lim, cfg.rate, &pcm, err);
    free(data);
    if (rc != 0)
        return rc == SK_ENOMEM ? rc : SK_EINVAL;
    if (flow_wait_get(set, s, &w) == 0 && strcmp(w.lang, "eng") == 0 &&
        flow_wait_choices(set, s, w.lang, &c) == 0) {
        keep_known(&c, cfg.dict);
        if (c.n > 0)
            asr = grammar_decoder(&c, &cfg, &res->grammar);
    }
    flow_choices_clear(&c);
    if (asr == NULL && flow_wait_get(set, s, &w) == 0 &&
        strcmp(w.lang, "eng") != 0) {
        /* the model knows English only: a made-up transcript is worse
         * than none */
        res->needs_listening = true;
        audio_pcm_free(&pcm);
        return 0;
    }
    if (asr == NULL && (asr = asr_new(&cfg, err)) == NULL) {
        audio_pcm_free(&pcm);
        return SK_EIO;
    }
    rc = asr_transcribe(asr, pcm.samples, pcm.nsamples, res->text,
                        sizeof(res->text), &res->confidence, err);
    asr_free(asr);
    audio_pcm_free(&pcm);
    return rc;
}
