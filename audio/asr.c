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
 *
 * A closed-set decoder starts with an empty dictionary (-dict /dev/null:
 * only the model's noisedict fillers) plus about 250 everyday English
 * "garbage" words (j<index>) that every set's grammar offers beside its
 * phrases: the reject path. Each choice word is added once, under an
 * internal name "k<index>" (its pronunciations as "k<index>(2)", ...), so
 * words of several languages never clash and no spelling needs escaping;
 * each set's grammar is a finite-state one built in memory, a named
 * search kept in a small LRU. Past ASR_MAX_WORDS words the decoder is
 * rebuilt, which bounds its memory.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pocketsphinx.h>

#include "asr.h"
#include "asr_lexicon.h"

#define ASR_MAX_WORDS 1024   /* choice words before the decoder is rebuilt */
#define ASR_KEY_MAX   8192   /* a set's cache key: lang and phrases */
#define IDLE_SEARCH   "idle" /* active while a grammar is removed */

/*
 * How strongly the garbage words compete with a set's phrases: each has
 * the prior 10^(-GARBAGE_RANGE * (1 - min_confidence)) against 1 for each
 * phrase, so min_confidence 0.5 gives 1e-4. Measured on espeak-ng
 * answers at 8 kHz (tests/e2e/test_asr_voices.sh): from 1e-3 to 1e-5 a
 * said yes/no is heard 85-88% of the time and never as the other, and
 * out-of-set words pass as a choice 2-5% of the time.
 */
#define GARBAGE_RANGE 8.0

/*
 * A choice is heard only when its path beats the best path of the same
 * grammar without it by at least MARGIN_RANGE * min_confidence per frame
 * (in the decoder's log units): two choices the audio fits about as well
 * are "not understood" rather than a coin toss. Measured with
 * tests/bench/asr_voices.sh (tuned on its "tune" voices).
 */
#define MARGIN_RANGE 3.0

/*
 * Closed-set answers are decoded with a white noise floor at this share
 * of the utterance's peak. Telephone audio resampled to 16 kHz has nothing
 * above 4 kHz, and synthetic or VoIP audio has digital silence; the
 * model, trained on full-band speech with a noise floor, then hears
 * fricatives as nasals ("five" as "nine"). Measured on espeak-ng digits at
 * 8 kHz ("tune" voices): 42% right and 31% wrong without, 72-78% right
 * with a floor of 0.01-0.05; 0.02 kept French "non" from turning "oui".
 */
#define NOISE_FLOOR 0.02

struct cword {
    char lang[8];
    char word[ASR_LEXICON_WORD];
    int known; /* it has a pronunciation (else it is never looked up again) */
    char phones[4 * ASR_LEXICON_PHONES]; /* its pronunciations, one a line */
};

/*
 * Everyday English words offered beside every closed set, as "j<index>":
 * when one of them explains the audio better than any choice, the answer
 * is not understood. They make "apple" or "hello" lose to themselves
 * instead of winning as "no". A word spelled or pronounced like one of
 * the set's is left out of that set's grammar.
 */
static const char *const garbage_words[] = {
    "a",
    "about",
    "after",
    "again",
    "all",
    "am",
    "and",
    "any",
    "are",
    "ask",
    "at",
    "away",
    "back",
    "bad",
    "be",
    "because",
    "been",
    "before",
    "big",
    "book",
    "boy",
    "but",
    "by",
    "call",
    "can",
    "car",
    "cat",
    "come",
    "could",
    "day",
    "did",
    "do",
    "dog",
    "down",
    "eat",
    "end",
    "even",
    "eye",
    "far",
    "fast",
    "find",
    "fire",
    "first",
    "fish",
    "fly",
    "food",
    "found",
    "from",
    "fun",
    "game",
    "gave",
    "get",
    "girl",
    "give",
    "go",
    "good",
    "got",
    "great",
    "green",
    "had",
    "hand",
    "happy",
    "has",
    "have",
    "he",
    "head",
    "hear",
    "help",
    "her",
    "here",
    "him",
    "home",
    "house",
    "how",
    "i",
    "if",
    "in",
    "is",
    "it",
    "just",
    "keep",
    "kind",
    "know",
    "last",
    "leave",
    "left",
    "let",
    "like",
    "little",
    "live",
    "long",
    "look",
    "love",
    "made",
    "make",
    "man",
    "many",
    "may",
    "me",
    "mean",
    "might",
    "mom",
    "more",
    "most",
    "much",
    "must",
    "my",
    "name",
    "need",
    "never",
    "new",
    "next",
    "nice",
    "night",
    "not",
    "now",
    "of",
    "off",
    "old",
    "on",
    "only",
    "open",
    "or",
    "other",
    "our",
    "out",
    "over",
    "people",
    "place",
    "play",
    "please",
    "put",
    "ran",
    "read",
    "red",
    "right",
    "room",
    "run",
    "said",
    "same",
    "saw",
    "say",
    "school",
    "see",
    "she",
    "should",
    "show",
    "side",
    "sit",
    "sleep",
    "small",
    "so",
    "some",
    "song",
    "soon",
    "start",
    "stay",
    "still",
    "stop",
    "such",
    "sun",
    "sure",
    "take",
    "talk",
    "tell",
    "than",
    "thank",
    "that",
    "the",
    "them",
    "then",
    "there",
    "they",
    "thing",
    "think",
    "this",
    "time",
    "to",
    "today",
    "told",
    "too",
    "took",
    "tree",
    "try",
    "turn",
    "under",
    "until",
    "up",
    "us",
    "use",
    "very",
    "walk",
    "want",
    "was",
    "water",
    "way",
    "we",
    "well",
    "went",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "white",
    "who",
    "why",
    "will",
    "wish",
    "with",
    "word",
    "work",
    "would",
    "write",
    "year",
    "you",
    "young",
    "your",
    "okay",
    "hello",
    "sorry",
    "maybe",
    "apple",
    "banana",
    "ten",
    "twenty",
    "eleven",
    "hundred",
    "nothing",
    /* the model's noise and non-speech, in their own phones */
    "[noise]",
    "[speech]",
};
#define NGARBAGE (sizeof(garbage_words) / sizeof(garbage_words[0]))

struct csearch {
    char name[24];
    char *key; /* NULL: free slot */
    unsigned long used;
};

struct asr {
    ps_decoder_t *ps;
    int rate, choices;
    double min_conf;
    char *model, *dict; /* copies, for a rebuild and for lookups */
    struct cword *words;
    size_t nwords;
    struct csearch searches[ASR_GRAMMAR_CACHE];
    unsigned long tick, serial;
    char (*gphones)[ASR_LEXICON_PHONES]; /* garbage j<i>'s; "": unknown */
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

    if (cfg->choices) {
        /* no dictionary and no search yet: words and grammars are added
         * per set (the mode pair is then just the default filler rule) */
        dict = "/dev/null";
        mode = "-fsgusefiller";
        file = "yes";
    }

    if (cfg->rate == 8000)
        return cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", model, "-dict", dict,
                           mode, file, TEL_ARGS, "-logfn", "/dev/null",
                           "-bestpath", "yes", NULL);
    return cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", model, "-dict", dict,
                       mode, file, "-logfn", "/dev/null", "-bestpath", "yes",
                       NULL);
}

/*
 * Starts a finite-state grammar of n states for ps (0 the start, 1 the
 * final state). JSGF text is not used: this PocketSphinx leaks the parsed
 * grammar of every ps_set_jsgf_string.
 */
static fsg_model_t *
new_fsg(ps_decoder_t *ps, const char *name, int n)
{
    float lw = cmd_ln_float32_r(ps_get_config(ps), "-lw");
    fsg_model_t *fsg = fsg_model_init(name, ps_get_logmath(ps), lw, n);

    if (fsg != NULL) {
        fsg->start_state = 0;
        fsg->final_state = 1;
    }
    return fsg;
}

/* Adds the transition from -> to on word with probability p. */
static void
fsg_arc(fsg_model_t *fsg, int from, int to, const char *word, double p)
{
    int32 logp = (int32)(logmath_log(fsg->lmath, p) * fsg->lw);

    fsg_model_trans_add(fsg, from, to, logp, fsg_model_word_add(fsg, word));
}

/* Hands fsg to ps as search name; ps keeps its own reference. */
static int
set_fsg(ps_decoder_t *ps, const char *name, fsg_model_t *fsg)
{
    int rc = ps_set_fsg(ps, name, fsg);

    fsg_model_free(fsg);
    return rc;
}

/* The idle search: one garbage word, never decoded with. */
static int
add_idle(struct asr *asr)
{
    fsg_model_t *fsg;

    for (size_t i = 0; i < NGARBAGE; i++) {
        char name[16];

        if (asr->gphones[i][0] == '\0')
            continue;
        if ((fsg = new_fsg(asr->ps, IDLE_SEARCH, 2)) == NULL)
            return -1;
        snprintf(name, sizeof(name), "j%zu", i);
        fsg_arc(fsg, 0, 1, name, 1.0);
        return set_fsg(asr->ps, IDLE_SEARCH, fsg) < 0 ? -1 : 0;
    }
    return -1;
}

/* Looks up the garbage words in cmudict and adds them as j<index>. */
static int
add_garbage(struct asr *asr)
{
    struct asr_lexicon_entry *e = calloc(NGARBAGE, sizeof(*e));
    char err[SK_ERR_LEN], name[16];
    int rc = -1;

    if (asr->gphones == NULL)
        asr->gphones = calloc(NGARBAGE, sizeof(*asr->gphones));
    if (e == NULL || asr->gphones == NULL)
        goto out;
    for (size_t i = 0; i < NGARBAGE; i++)
        snprintf(e[i].word, sizeof(e[i].word), "%s", garbage_words[i]);
    if (asr_lexicon_lookup("eng", asr->dict, e, NGARBAGE, err) != 0)
        goto out;
    snprintf(e[NGARBAGE - 2].phones, sizeof(e->phones), "%s", "+NSN+");
    snprintf(e[NGARBAGE - 1].phones, sizeof(e->phones), "%s", "+SPN+");
    e[NGARBAGE - 2].nprons = e[NGARBAGE - 1].nprons = 1;
    for (size_t i = 0; i < NGARBAGE; i++) {
        size_t len = strcspn(e[i].phones, "\n");

        asr->gphones[i][0] = '\0';
        if (e[i].nprons == 0 || len >= ASR_LEXICON_PHONES)
            continue;
        memcpy(asr->gphones[i], e[i].phones, len);
        asr->gphones[i][len] = '\0';
        snprintf(name, sizeof(name), "j%zu", i);
        if (ps_add_word(asr->ps, name, asr->gphones[i], FALSE) < 0)
            asr->gphones[i][0] = '\0';
    }
    rc = add_idle(asr);
out:
    free(e);
    return rc;
}

/* (Re)builds the PocketSphinx decoder; a closed-set one starts empty. */
static int
load_decoder(struct asr *asr, const struct asr_config *cfg)
{
    cmd_ln_t *config = make_config(cfg);

    if (config == NULL)
        return -1;
    asr->ps = ps_init(config);
    cmd_ln_free_r(config); /* the decoder holds its own reference */
    if (asr->ps == NULL)
        return -1;
    if (asr->choices && add_garbage(asr) < 0) {
        ps_free(asr->ps);
        asr->ps = NULL;
        return -1;
    }
    return 0;
}

struct asr *
asr_new(const struct asr_config *cfg, char err[SK_ERR_LEN])
{
    struct asr *asr;
    FILE *f;

    if (cfg->rate != 8000 && cfg->rate != 16000) {
        sk_seterr(err, "asr: rate %d Hz (8000 or 16000)", cfg->rate);
        return NULL;
    }
    if (cfg->min_confidence < 0 || cfg->min_confidence > 1) {
        sk_seterr(err, "asr: min_confidence %g (0..1)", cfg->min_confidence);
        return NULL;
    }
    if (cfg->grammar != NULL && !cfg->choices) {
        /* PocketSphinx would abort on a missing grammar: check first */
        f = fopen(cfg->grammar, "r");
        if (f == NULL) {
            sk_seterr(err, "asr: cannot read grammar %s", cfg->grammar);
            return NULL;
        }
        fclose(f);
    }
    asr = calloc(1, sizeof(*asr));
    if (asr == NULL ||
        (asr->model = strdup(cfg->model ? cfg->model : ASR_MODEL)) == NULL ||
        (asr->dict = strdup(cfg->dict ? cfg->dict : ASR_DICT)) == NULL) {
        sk_seterr(err, "%s", "asr: out of memory");
        asr_free(asr);
        return NULL;
    }
    asr->rate = cfg->rate;
    asr->choices = cfg->choices != 0;
    asr->min_conf =
        cfg->min_confidence > 0 ? cfg->min_confidence : ASR_MIN_CONFIDENCE;
    if (load_decoder(asr, cfg) < 0) {
        sk_seterr(err, "asr: cannot load the model, dictionary or %s",
                  asr->choices   ? "garbage words"
                  : cfg->grammar ? "grammar"
                                 : "language model");
        asr_free(asr);
        return NULL;
    }
    return asr;
}

static void
forget_sets(struct asr *asr)
{
    for (size_t i = 0; i < ASR_GRAMMAR_CACHE; i++) {
        free(asr->searches[i].key);
        asr->searches[i].key = NULL;
    }
    free(asr->words);
    asr->words = NULL;
    asr->nwords = 0;
}

void
asr_free(struct asr *asr)
{
    if (asr == NULL)
        return;
    if (asr->ps != NULL)
        ps_free(asr->ps);
    forget_sets(asr);
    free(asr->model);
    free(asr->dict);
    free(asr->gphones);
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

/*
 * A copy of samples[0..n) with a white noise floor added, its amplitude
 * floor_rel of the utterance's peak (a fixed sequence: the same answer
 * decodes the same way every time). NULL when out of memory.
 */
static int16_t *
with_floor(const int16_t *samples, size_t n, double floor_rel)
{
    int16_t *out = malloc(n > 0 ? n * sizeof(*out) : 1);
    uint32_t seed = 12345;
    int peak = 0;
    double amp;

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int a = samples[i] < 0 ? -samples[i] : samples[i];

        peak = a > peak ? a : peak;
    }
    amp = peak * floor_rel;
    for (size_t i = 0; i < n; i++) {
        double v;

        seed = seed * 1664525u + 1013904223u;
        v = samples[i] + amp * ((double)(seed >> 8) / 8388608.0 - 1.0);
        out[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
    }
    return out;
}

/* Decodes one whole utterance with the current search. */
static int
decode(ps_decoder_t *ps, const int16_t *samples, size_t n)
{
    if (ps_start_utt(ps) < 0 ||
        ps_process_raw(ps, samples, n, FALSE, TRUE) < 0 || ps_end_utt(ps) < 0)
        return -1;
    return 0;
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
    if (asr->choices) {
        sk_seterr(err, "%s", "asr: a closed-set decoder needs choices");
        return SK_EINVAL;
    }
    if (cap == 0 || decode(asr->ps, samples, n) < 0) {
        sk_seterr(err, "%s", "asr: decoder failed");
        return SK_EIO;
    }
    if (ps_get_hyp(asr->ps, &score) == NULL)
        return 0;
    p = copy_words(asr->ps, text, cap);
    p = p < 0 ? 0 : p > 1 ? 1 : p;
    *confidence = p;
    if (p < asr->min_conf)
        text[0] = '\0';
    return 0;
}

/* One set of choices, normalised: lower case words, phrases sorted. */
struct cset {
    char lang[8];
    size_t n;
    int nw[ASR_MAX_CHOICES];
    char w[ASR_MAX_CHOICES][ASR_MAX_PHRASE_WORDS][ASR_LEXICON_WORD];
    long id[ASR_MAX_CHOICES][ASR_MAX_PHRASE_WORDS]; /* index in asr->words */
    char phr[ASR_MAX_CHOICES][ASR_MAX_PHRASE_WORDS * ASR_LEXICON_WORD];
    char key[ASR_KEY_MAX];
};

/* Splits phrase into lower case words; -1 past the limits or when empty. */
static int
split_phrase(const char *phrase, char w[][ASR_LEXICON_WORD])
{
    static const char seps[] = " \t\r\n,.;:!?\"()";
    int nw = 0;

    for (const char *p = phrase + strspn(phrase, seps); *p != '\0';
         p += strspn(p, seps)) {
        size_t len = strcspn(p, seps);

        if (nw == ASR_MAX_PHRASE_WORDS || len >= ASR_LEXICON_WORD)
            return -1;
        for (size_t k = 0; k < len; k++)
            w[nw][k] =
                (char)(p[k] >= 'A' && p[k] <= 'Z' ? p[k] - 'A' + 'a' : p[k]);
        w[nw++][len] = '\0';
        p += len;
    }
    return nw > 0 ? nw : -1;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Fills set from choices and its key "lang\nphrase\nphrase..." (sorted). */
static int
normalize(const struct asr_choices *choices, struct cset *set,
          char err[SK_ERR_LEN])
{
    char *order[ASR_MAX_CHOICES];
    size_t used;

    snprintf(set->lang, sizeof(set->lang), "%s",
             asr_lexicon_is_english(choices->lang) ? "eng" : choices->lang);
    set->n = choices->n;
    for (size_t i = 0; i < choices->n; i++) {
        size_t pl = 0;

        set->nw[i] = choices->phrases[i] == NULL
                         ? -1
                         : split_phrase(choices->phrases[i], set->w[i]);
        if (set->nw[i] < 0) {
            sk_seterr(err, "asr: choice %zu is empty or longer than %d words",
                      i + 1, ASR_MAX_PHRASE_WORDS);
            return SK_EINVAL;
        }
        for (int k = 0; k < set->nw[i]; k++)
            pl += (size_t)snprintf(set->phr[i] + pl, sizeof(set->phr[i]) - pl,
                                   "%s%s", k > 0 ? " " : "", set->w[i][k]);
        order[i] = set->phr[i];
    }
    qsort(order, set->n, sizeof(order[0]), cmp_str);
    used = (size_t)snprintf(set->key, sizeof(set->key), "%s", set->lang);
    for (size_t i = 0; i < set->n && used < sizeof(set->key); i++)
        used += (size_t)snprintf(set->key + used, sizeof(set->key) - used,
                                 "\n%s", order[i]);
    if (used >= sizeof(set->key)) {
        sk_seterr(err, "%s", "asr: the choices are too long");
        return SK_EINVAL;
    }
    return 0;
}

static long
find_word(const struct asr *asr, const char *lang, const char *word)
{
    for (size_t i = 0; i < asr->nwords; i++)
        if (strcmp(asr->words[i].word, word) == 0 &&
            strcmp(asr->words[i].lang, lang) == 0)
            return (long)i;
    return -1;
}

/* Adds one looked-up word to the dictionary as k<index>, k<index>(2), ... */
static int
add_word(struct asr *asr, const char *lang, struct asr_lexicon_entry *e)
{
    struct cword *cw = &asr->words[asr->nwords];
    char name[32], *line = e->phones;

    snprintf(cw->lang, sizeof(cw->lang), "%s", lang);
    snprintf(cw->word, sizeof(cw->word), "%s", e->word);
    snprintf(cw->phones, sizeof(cw->phones), "%s", e->phones);
    cw->known = 0;
    for (int k = 0; k < e->nprons; k++) {
        char *nl = strchr(line, '\n');

        if (nl != NULL)
            *nl = '\0';
        if (k == 0)
            snprintf(name, sizeof(name), "k%zu", asr->nwords);
        else
            snprintf(name, sizeof(name), "k%zu(%d)", asr->nwords, k + 1);
        /* a pronunciation with a phone the model lacks is skipped */
        if (ps_add_word(asr->ps, name, line, FALSE) >= 0 && k == 0)
            cw->known = 1;
        if (cw->known == 0)
            break;
        if (nl == NULL)
            break;
        line = nl + 1;
    }
    asr->nwords++;
    return 0;
}

/* Looks up the set's words the decoder does not know yet and adds them. */
static int
add_words(struct asr *asr, struct cset *set, char err[SK_ERR_LEN])
{
    struct asr_lexicon_entry *e;
    size_t ne = 0;
    int rc;

    if (asr->words == NULL)
        asr->words = calloc(ASR_MAX_WORDS, sizeof(*asr->words));
    e = calloc(ASR_MAX_CHOICES * ASR_MAX_PHRASE_WORDS, sizeof(*e));
    if (e == NULL || asr->words == NULL) {
        free(e);
        sk_seterr(err, "%s", "asr: out of memory");
        return SK_ENOMEM;
    }
    for (size_t i = 0; i < set->n; i++)
        for (int k = 0; k < set->nw[i]; k++) {
            size_t j = 0;

            if (find_word(asr, set->lang, set->w[i][k]) >= 0)
                continue;
            while (j < ne && strcmp(e[j].word, set->w[i][k]) != 0)
                j++;
            if (j == ne)
                snprintf(e[ne++].word, sizeof(e->word), "%s", set->w[i][k]);
        }
    rc = asr_lexicon_lookup(set->lang, asr->dict, e, ne, err);
    for (size_t j = 0; rc == 0 && j < ne && asr->nwords < ASR_MAX_WORDS; j++)
        add_word(asr, set->lang, &e[j]);
    free(e);
    return rc;
}

/* True when the garbage word i is spelled or said like a word of set. */
static int
like_the_set(const struct asr *asr, const struct cset *set, size_t i)
{
    const char *g = asr->gphones[i];
    size_t gl = strlen(g);

    for (size_t p = 0; p < set->n; p++)
        for (int k = 0; k < set->nw[p]; k++) {
            const char *ph = asr->words[set->id[p][k]].phones;

            if (strcmp(set->w[p][k], garbage_words[i]) == 0)
                return 1;
            for (; *ph != '\0'; ph += strcspn(ph, "\n"), ph += *ph == '\n')
                if (strncmp(ph, g, gl) == 0 &&
                    (ph[gl] == '\0' || ph[gl] == '\n'))
                    return 1;
        }
    return 0;
}

/* Offers the garbage words beside the set's phrases. */
static void
add_garbage_arcs(const struct asr *asr, const struct cset *set,
                 fsg_model_t *fsg)
{
    double p = pow(10.0, -GARBAGE_RANGE * (1.0 - asr->min_conf));
    char word[16];
    for (size_t i = 0; i < NGARBAGE; i++) {
        if (asr->gphones[i][0] == '\0' || like_the_set(asr, set, i))
            continue;
        snprintf(word, sizeof(word), "j%zu", i);
        /* noise is not a word: no prior against it */
        fsg_arc(fsg, 0, 1, word, garbage_words[i][0] == '[' ? 1.0 : p);
    }
}

/*
 * Builds the set's grammar as search name: one path from the start to the
 * final state per phrase whose words all have a pronunciation. Returns the
 * number of paths (0: none, and no search), or -1.
 */
static int
build_grammar(struct asr *asr, struct cset *set, const char *name, long skip)
{
    int alts = 0, states = 2, next = 2;
    char word[24];
    fsg_model_t *fsg;

    for (size_t i = 0; i < set->n; i++) {
        set->nw[i] = set->nw[i] < 0 ? -set->nw[i] : set->nw[i];
        for (int k = 0; k < set->nw[i]; k++) {
            set->id[i][k] = find_word(asr, set->lang, set->w[i][k]);
            if (set->id[i][k] < 0 || !asr->words[set->id[i][k]].known) {
                set->nw[i] = -set->nw[i]; /* left out */
                break;
            }
        }
        if (set->nw[i] > 0 && (long)i != skip) {
            alts++;
            states += set->nw[i] - 1;
        }
    }
    if (alts == 0 || (fsg = new_fsg(asr->ps, name, states)) == NULL)
        return alts == 0 ? 0 : -1;
    for (size_t i = 0; i < set->n; i++)
        for (int k = 0, from = 0; (long)i != skip && k < set->nw[i]; k++) {
            int to = k == set->nw[i] - 1 ? 1 : next++;

            snprintf(word, sizeof(word), "k%ld", set->id[i][k]);
            fsg_arc(fsg, from, to, word, 1.0);
            from = to;
        }
    add_garbage_arcs(asr, set, fsg);
    return set_fsg(asr->ps, name, fsg) < 0 ? -1 : alts;
}

/* Frees the decoder's words and grammars and loads it again, empty. */
static int
rebuild(struct asr *asr, char err[SK_ERR_LEN])
{
    struct asr_config cfg = {.model = asr->model,
                             .dict = asr->dict,
                             .rate = asr->rate,
                             .choices = 1};

    ps_free(asr->ps);
    asr->ps = NULL;
    forget_sets(asr);
    if (load_decoder(asr, &cfg) < 0) {
        sk_seterr(err, "%s", "asr: cannot reload the closed-set decoder");
        return SK_EIO;
    }
    return 0;
}

/* The slot for a new grammar: a free one or the least recently used. */
static struct csearch *
take_slot(struct asr *asr)
{
    struct csearch *lru = &asr->searches[0];

    for (size_t i = 0; i < ASR_GRAMMAR_CACHE; i++) {
        if (asr->searches[i].key == NULL)
            return &asr->searches[i];
        if (asr->searches[i].used < lru->used)
            lru = &asr->searches[i];
    }
    /* the active search cannot be removed: the idle one is made active */
    ps_set_search(asr->ps, IDLE_SEARCH);
    ps_unset_search(asr->ps, lru->name);
    free(lru->key);
    lru->key = NULL;
    return lru;
}

/* Finds the set's grammar in the cache or builds it; *out is its slot. */
static int
find_or_build(struct asr *asr, struct cset *set, struct csearch **out,
              char err[SK_ERR_LEN])
{
    size_t room = 0;
    struct csearch *slot;
    int rc, alts;

    for (size_t i = 0; i < ASR_GRAMMAR_CACHE; i++)
        if (asr->searches[i].key != NULL &&
            strcmp(asr->searches[i].key, set->key) == 0) {
            asr->searches[i].used = ++asr->tick;
            *out = &asr->searches[i];
            return 0;
        }
    for (size_t i = 0; i < set->n; i++)
        room += (size_t)set->nw[i];
    if (asr->nwords + room > ASR_MAX_WORDS && (rc = rebuild(asr, err)) != 0)
        return rc;
    if ((rc = add_words(asr, set, err)) != 0)
        return rc;
    slot = take_slot(asr);
    snprintf(slot->name, sizeof(slot->name), "c%lu", ++asr->serial);
    alts = build_grammar(asr, set, slot->name, -1);
    if (alts <= 0) {
        sk_seterr(err, "asr: %s",
                  alts == 0 ? "no choice has a known pronunciation"
                            : "cannot build the choices' grammar");
        return alts == 0 ? SK_EINVAL : SK_EIO;
    }
    if ((slot->key = strdup(set->key)) == NULL) {
        ps_unset_search(asr->ps, slot->name);
        sk_seterr(err, "%s", "asr: out of memory");
        return SK_ENOMEM;
    }
    slot->used = ++asr->tick;
    *out = slot;
    return 0;
}

/*
 * Copies the best path's choice words (k<index>) as their spelling; a
 * garbage word (j<index>) on the path leaves text "".
 */
static double
copy_choice(struct asr *asr, char *text, size_t cap)
{
    logmath_t *lmath = ps_get_logmath(asr->ps);
    size_t used = 0;
    double sum = 0;
    int nwords = 0;

    text[0] = '\0';
    for (ps_seg_t *seg = ps_seg_iter(asr->ps); seg != NULL;
         seg = ps_seg_next(seg))
        if (ps_seg_word(seg)[0] == 'j') {
            ps_seg_free(seg);
            return 0;
        }
    for (ps_seg_t *seg = ps_seg_iter(asr->ps); seg != NULL;
         seg = ps_seg_next(seg)) {
        const char *w = ps_seg_word(seg), *word;
        int32 ascr, lscr, lback;
        char *end;
        long id;
        size_t wl;

        if (w[0] != 'k')
            continue;
        id = strtol(w + 1, &end, 10);
        if (end == w + 1 || id < 0 || (size_t)id >= asr->nwords)
            continue;
        word = asr->words[id].word;
        wl = strlen(word);
        if (used + wl + 2 > cap)
            continue;
        if (used > 0)
            text[used++] = ' ';
        memcpy(text + used, word, wl + 1);
        used += wl;
        sum += logmath_exp(lmath, ps_seg_prob(seg, &ascr, &lscr, &lback));
        nwords++;
    }
    return nwords > 0 ? sum / nwords : 0;
}

/*
 * The best path's score per frame through the set's grammar without the
 * phrase heard (text); 1 in *none when there is no such path.
 */
static int
rival_score(struct asr *asr, struct cset *set, const int16_t *samples, size_t n,
            const char *text, double *per_frame, int *none)
{
    long skip = -1;
    int32 score;
    int alts, frames, rc;

    *none = 1;
    for (size_t i = 0; i < set->n && skip < 0; i++)
        if (set->nw[i] > 0 && strcmp(set->phr[i], text) == 0)
            skip = (long)i;
    if (skip < 0)
        return 0;
    alts = build_grammar(asr, set, "rival", skip);
    if (alts < 0)
        return -1;
    if (alts == 0)
        return 0;
    rc = ps_set_search(asr->ps, "rival") < 0 || decode(asr->ps, samples, n) < 0
             ? -1
             : 0;
    frames = ps_get_n_frames(asr->ps);
    if (rc == 0 && ps_get_hyp(asr->ps, &score) != NULL && frames > 0) {
        *per_frame = (double)score / frames;
        *none = 0;
    }
    ps_set_search(asr->ps, IDLE_SEARCH);
    ps_unset_search(asr->ps, "rival");
    return rc;
}

/*
 * Decodes through the set's grammar (the audio with its noise floor). A
 * garbage word on the best path is "not understood" (confidence 0), and
 * so is a phrase that beats the grammar without it by less than the
 * margin; else the confidence is the words' mean posterior in the
 * lattice, where the garbage words compete.
 */
static int
decode_choice(struct asr *asr, struct csearch *slot, struct cset *set,
              const int16_t *samples, size_t n, char *text, size_t cap,
              double *confidence)
{
    int16_t *noisy = with_floor(samples, n, NOISE_FLOOR);
    int32 score;
    double p, best, rival = 0;
    int rc, none = 1, frames;

    if (noisy == NULL)
        return SK_ENOMEM;
    rc =
        ps_set_search(asr->ps, slot->name) < 0 || decode(asr->ps, noisy, n) < 0;
    if (rc || ps_get_hyp(asr->ps, &score) == NULL) {
        free(noisy);
        return rc ? SK_EIO : 0;
    }
    frames = ps_get_n_frames(asr->ps);
    best = frames > 0 ? (double)score / frames : 0;
    p = copy_choice(asr, text, cap);
    if (text[0] != '\0' &&
        rival_score(asr, set, noisy, n, text, &rival, &none) < 0) {
        free(noisy);
        return SK_EIO;
    }
    free(noisy);
    if (!none && best - rival < MARGIN_RANGE * asr->min_conf)
        text[0] = '\0';
    if (text[0] == '\0')
        return 0;
    *confidence = p < 0 ? 0 : p > 1 ? 1 : p;
    if (*confidence < asr->min_conf)
        text[0] = '\0';
    return 0;
}

int
asr_transcribe_choices(struct asr *asr, const int16_t *samples, size_t n,
                       const struct asr_choices *choices, char *text,
                       size_t cap, double *confidence, char err[SK_ERR_LEN])
{
    struct csearch *slot = NULL;
    struct cset *set;
    int rc;

    if (cap > 0)
        text[0] = '\0';
    *confidence = 0;
    if (cap == 0 || !asr->choices || choices == NULL || choices->n == 0 ||
        choices->n > ASR_MAX_CHOICES || choices->phrases == NULL) {
        sk_seterr(err, "asr: %s",
                  asr->choices ? "1 to 64 choices and room for the text"
                               : "not a closed-set decoder");
        return SK_EINVAL;
    }
    if ((set = calloc(1, sizeof(*set))) == NULL) {
        sk_seterr(err, "%s", "asr: out of memory");
        return SK_ENOMEM;
    }
    rc = normalize(choices, set, err);
    if (rc == 0)
        rc = find_or_build(asr, set, &slot, err);
    if (rc == 0 &&
        (rc = decode_choice(asr, slot, set, samples, n, text, cap, confidence)))
        sk_seterr(err, "%s", "asr: decoder failed");
    free(set);
    return rc;
}
