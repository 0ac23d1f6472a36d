/*
 * optout.c - STOP and DELETE: their words, their replies and what they do
 * to the store.
 *
 * The words are compared as children type them (optout.h): text_words()
 * splits the message as the router tests do, symbols (emoji) are dropped,
 * each word is decomposed, case-folded and stripped of marks with
 * utf8proc, and the message matches when it is a list entry or when each
 * of its words is one.
 *
 * STOP is handled in the inbound step (app.c, with the reply made here): the
 * contact is marked opted out, and here its queued outbox rows are cancelled in
 * the same transaction, so nothing more reaches the child after the
 * confirmation.
 *
 * DELETE erases: store_contact_erase() removes the session, answers,
 * outbox rows, vault entry and dedupe rows (store_purge.c says how the
 * DELETE's own retry is still recognised). A message of STOP and DELETE
 * words together ("stop delete") erases: the stronger wins. One short
 * confirmation follows, in the contact's language or else, for a first
 * message, in the language of the word used (so does STOP's). On a channel that
 * replies in the webhook response it goes there; on one that sends through the
 * outbox it is queued under a random one-time key with its own vault entry, so
 * no row keeps the contact key. That entry goes in the transaction that records
 * the confirmation's final state (outbox.c), not a day later when it
 * would expire. The outbox table has no column for a reason:
 * cancelled rows are 'failed' with no attempt, and the log says why.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <utf8proc.h>

#include "buf.h"
#include "err.h"
#include "hex.h"
#include "optout.h"
#include "text.h"

#define OPTOUT_DAY_MS 86400000LL

/*
 * One word as the lists hold it: compatibility decomposed, case-folded,
 * marks stripped ("Arrête" and "ARRETE" are "arrete", "تَوَقَّفْ" is
 * "توقف", "إ" is "ا"). "" for a word of marks alone (an emoji's variation
 * selector); NULL when out of memory.
 */
static char *
norm_word(const char *w)
{
    utf8proc_uint8_t *out = NULL;

    if (utf8proc_map((const utf8proc_uint8_t *)w, 0, &out,
                     UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT |
                         UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD |
                         UTF8PROC_STRIPMARK) < 0)
        return NULL; /* only out of memory: text_words gives valid UTF-8 */
    return (char *)out;
}

/* Whether the word is a symbol (text_words makes each one a word). */
static bool
is_symbol(const char *w)
{
    utf8proc_int32_t cp;
    utf8proc_category_t c;

    if (utf8proc_iterate((const utf8proc_uint8_t *)w, -1, &cp) <= 0)
        return false;
    c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_SM || c == UTF8PROC_CATEGORY_SC ||
           c == UTF8PROC_CATEGORY_SK || c == UTF8PROC_CATEGORY_SO;
}

/*
 * The words of text, normalised, without symbols (emoji) or what strips
 * to nothing; punctuation and space separate them (text_words). Returns
 * a NULL-terminated array (free with text_words_free) and sets *n, or
 * NULL when out of memory.
 */
static char **
norm_words(const char *text, size_t *n)
{
    size_t k, m = 0, count = 0;
    char **w = text_words(text, &count);

    for (k = 0; w != NULL && k < count; k++) {
        char *f = is_symbol(w[k]) ? strdup("") : norm_word(w[k]);

        free(w[k]);
        w[k] = NULL;
        if (f == NULL) {
            for (k++; k < count; k++)
                free(w[k]);
            for (k = 0; k < m; k++)
                free(w[k]);
            free(w);
            return NULL;
        }
        if (f[0] == '\0')
            free(f);
        else
            w[m++] = f;
    }
    *n = m;
    return w;
}

/* The normalised words of text joined by one space; NULL when out of
 * memory. */
static char *
norm_text(const char *text)
{
    struct sk_buf b = {0};
    size_t n = 0, k;
    char **w = norm_words(text, &n);

    if (w == NULL)
        return NULL;
    for (k = 0; k < n; k++) {
        if (k > 0)
            sk_buf_add(&b, " ", 1);
        sk_buf_add(&b, w[k], strlen(w[k]));
    }
    text_words_free(w);
    return sk_buf_take(&b); /* "" when there is no word */
}

int
optout_fold_words(char *const *words, size_t n, char **out)
{
    size_t i;

    for (i = 0; i < n; i++) {
        out[i] = words[i] != NULL ? norm_text(words[i]) : NULL;
        if (out[i] == NULL) {
            optout_words_free(out, i);
            return SK_ENOMEM;
        }
    }
    return 0;
}

void
optout_words_free(char **folded, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(folded[i]);
        folded[i] = NULL;
    }
}

/* The index of the folded entry equal to s, or -1. */
static int
find(char *const *folded, size_t n, const char *s)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (folded[i] != NULL && folded[i][0] != '\0' &&
            strcmp(s, folded[i]) == 0)
            return (int)i;
    return -1;
}

int
optout_match(char *const *folded, size_t n, const char *text)
{
    char *whole = text != NULL ? norm_text(text) : NULL;
    char **w = NULL;
    size_t count = 0, k;
    int hit = -1, first = -1;

    if (whole == NULL || whole[0] == '\0') {
        free(whole);
        return -1;
    }
    /* the message is one entry ("stop", or a phrase a list holds) */
    if ((hit = find(folded, n, whole)) >= 0) {
        free(whole);
        return hit;
    }
    free(whole);
    /* or every word of it is one ("STOP STOP", "stop, cancel") */
    if ((w = norm_words(text, &count)) == NULL)
        return -1;
    for (k = 0; k < count && (hit = find(folded, n, w[k])) >= 0; k++)
        if (first < 0)
            first = hit;
    text_words_free(w);
    return k == count ? first : -1;
}

enum optout_ask
optout_classify(char *const *stop, size_t n_stop, char *const *del,
                size_t n_del, const char *text, int *word)
{
    char **w = NULL;
    size_t count = 0, k;
    int d, first_del = -1;

    *word = -1;
    if ((d = optout_match(del, n_del, text)) >= 0) {
        *word = d;
        return OPTOUT_ERASE;
    }
    if ((d = optout_match(stop, n_stop, text)) >= 0) {
        *word = d;
        return OPTOUT_STOP;
    }
    /* both kinds of word ("stop delete"): the stronger, erasure */
    if (text == NULL || (w = norm_words(text, &count)) == NULL)
        return OPTOUT_NONE;
    for (k = 0; k < count; k++) {
        d = find(del, n_del, w[k]);
        if (d < 0 && find(stop, n_stop, w[k]) < 0)
            break;
        if (d >= 0 && first_del < 0)
            first_del = d;
    }
    text_words_free(w);
    if (k < count || first_del < 0)
        return OPTOUT_NONE;
    *word = first_del;
    return OPTOUT_ERASE;
}

static const struct {
    const char *lang, *text;
} erase_texts[] = {
    {"eng", "Everything you sent us has been deleted. You will get no more "
            "messages."},
    {"fra", "Tout ce que tu nous as envoyé a été effacé. Tu ne "
            "recevras plus de messages."},
    {"ara", "تم حذف كل ما أرسلته إلينا. لن تصلك رسائل أخرى."},
    {"swa", "Kila kitu ulichotutumia kimefutwa. Hutapokea ujumbe zaidi."},
    {"spa", "Todo lo que nos enviaste ha sido borrado. No recibirás más "
            "mensajes."},
    {"por", "Tudo o que nos enviaste foi apagado. Não vais receber mais "
            "mensagens."},
};

/* The built-in words and their languages (as the lists hold them, or
 * the way they fold to: "arrête" and "arrete" are one). A word two
 * languages share ("parar", "cancelar") is given the first. */
static const struct {
    const char *word, *lang;
} word_langs[] = {
    {"delete", "eng"},
    {"erase", "eng"},
    {"supprimer", "fra"},
    {"supprime", "fra"},
    {"effacer", "fra"},
    {"efface", "fra"},
    {"احذف", "ara"},
    {"حذف", "ara"},
    {"امسح", "ara"},
    {"futa", "swa"},
    {"borrar", "spa"},
    {"borra", "spa"},
    {"eliminar", "spa"},
    {"apagar", "por"},
    {"apaga", "por"},
    {"excluir", "por"},
    /* the STOP words */
    {"stop", "eng"},
    {"unsubscribe", "eng"},
    {"cancel", "eng"},
    {"end", "eng"},
    {"quit", "eng"},
    {"arrêt", "fra"},
    {"arrête", "fra"},
    {"arrêter", "fra"},
    {"désabonner", "fra"},
    {"désinscrire", "fra"},
    {"توقف", "ara"},
    {"إيقاف", "ara"},
    {"إلغاء", "ara"},
    {"قف", "ara"},
    {"ستوب", "ara"},
    {"acha", "swa"},
    {"simama", "swa"},
    {"sitisha", "swa"},
    {"wacha", "swa"},
    {"alto", "spa"},
    {"parar", "spa"},
    {"baja", "spa"},
    {"cancelar", "spa"},
    {"para", "spa"},
    {"detener", "spa"},
    {"pare", "por"},
    {"sair", "por"},
};

/* The language of the built-in word that folds to word, or NULL. */
static const char *
word_lang(const char *word)
{
    const char *lang = NULL;
    size_t k;

    for (k = 0; word != NULL && lang == NULL &&
                k < sizeof(word_langs) / sizeof(word_langs[0]);
         k++) {
        char *f = norm_text(word_langs[k].word);

        if (f != NULL && strcmp(word, f) == 0)
            lang = word_langs[k].lang;
        free(f);
    }
    return lang;
}

const char *
optout_word_lang(const char *word)
{
    return word_lang(word);
}

const char *
optout_erase_reply(const char *lang, const char *word)
{
    size_t i;

    if (lang == NULL)
        lang = word_lang(word);
    for (i = 0;
         lang != NULL && i < sizeof(erase_texts) / sizeof(erase_texts[0]); i++)
        if (strcmp(erase_texts[i].lang, lang) == 0)
            return erase_texts[i].text;
    return erase_texts[0].text;
}

int
optout_erase(struct store_tx *tx, const char *key, const char *legacy_key)
{
    int rc = store_contact_erase(tx, key);

    if (rc == 0 && legacy_key != NULL && legacy_key[0] != '\0' &&
        strcmp(legacy_key, key) != 0)
        rc = store_contact_erase(tx, legacy_key);
    return rc;
}

int
optout_erased_dedupe(struct store_tx *tx, const char *channel,
                     const char *dedupe_id, const char *reply, int64_t now_ms)
{
    if (dedupe_id == NULL || dedupe_id[0] == '\0')
        return 0; /* nothing to recognise a retry by: none is kept */
    return store_inbound_put(tx, channel, dedupe_id, "", reply,
                             now_ms - now_ms % OPTOUT_DAY_MS);
}

int
optout_cancel_queued(struct store_tx *tx, const char *contact_key,
                     int64_t now_ms, int *n)
{
    return store_outbox_cancel_queued(tx, contact_key, now_ms, n);
}

int
optout_random_key(char out[PRIVACY_KEY_HEX])
{
    unsigned char b[32];

    /* OpenSSL's generator, seeded once: never blocks the loop */
    if (RAND_bytes(b, (int)sizeof(b)) != 1)
        return SK_EIO;
    sk_hex_encode(b, sizeof(b), out);
    return 0;
}

/*
 * The confirmation of STOP in lang (else English), written into buf. It
 * names the word that starts a survey again (kw, the first keyword of the
 * flows' triggers: an opted-out child is heard again only through one),
 * in capitals; with kw NULL it says no more than that nothing more will
 * come. The texts say "tu", as the flows do.
 */
const char *
optout_stop_reply(const char *lang, const char *kw,
                  char buf[OPTOUT_STOP_REPLY_MAX])
{
    static const struct {
        const char *lang, *stop, *again; /* again: the keyword follows */
    } texts[] = {
        {"eng", "You will get no more messages from us.",
         " To start again, send "},
        {"fra", "Tu ne recevras plus de messages de notre part.",
         " Pour recommencer, envoie "},
        /* "You will get no more messages from us. To start again, send" */
        {"ara",
         "\xd9\x84\xd9\x86 \xd8\xaa\xd8\xb5\xd9\x84\xd9\x83 "
         "\xd8\xb1\xd8\xb3\xd8\xa7\xd8\xa6\xd9\x84 "
         "\xd8\xa3\xd8\xae\xd8\xb1\xd9\x89 \xd9\x85\xd9\x86\xd8\xa7.",
         " \xd9\x84\xd9\x84\xd8\xa8\xd8\xaf\xd8\xa1 \xd9\x85\xd9\x86 "
         "\xd8\xac\xd8\xaf\xd9\x8a\xd8\xaf\xd8\x8c \xd8\xa3\xd8\xb1"
         "\xd8\xb3\xd9\x84 "},
        {"swa", "Hutapokea ujumbe zaidi kutoka kwetu.",
         " Ili kuanza tena, tuma "},
        {"spa", "No recibir\xc3\xa1s m\xc3\xa1s mensajes nuestros.",
         " Para empezar de nuevo, env\xc3\xad"
         "a "},
        {"por", "N\xc3\xa3o vais receber mais mensagens nossas.",
         " Para recome\xc3\xa7"
         "ar, envia "},
    };
    char word[128];
    size_t i, t = 0;
    int n;

    for (i = 0; lang != NULL && i < sizeof(texts) / sizeof(texts[0]); i++)
        if (strcmp(texts[i].lang, lang) == 0)
            t = i;
    n = snprintf(buf, OPTOUT_STOP_REPLY_MAX, "%s", texts[t].stop);
    if (kw == NULL || strlen(kw) >= sizeof(word) || n < 0)
        return buf;
    for (i = 0; kw[i] != '\0'; i++) /* ASCII letters only: UTF-8 stays */
        word[i] =
            kw[i] >= 'a' && kw[i] <= 'z' ? (char)(kw[i] - 'a' + 'A') : kw[i];
    word[i] = '\0';
    snprintf(buf + n, OPTOUT_STOP_REPLY_MAX - (size_t)n, "%s%s.",
             texts[t].again, word);
    return buf;
}
