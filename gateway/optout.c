/*
 * optout.c - STOP and DELETE: their words, their replies and what they do
 * to the store.
 *
 * STOP is handled in the inbound step (app.c, with the reply made here): the
 * contact is marked opted out, and here its queued outbox rows are cancelled in
 * the same transaction, so nothing more reaches the child after the
 * confirmation.
 *
 * DELETE erases: store_contact_erase() removes the session, answers,
 * outbox rows and vault entry, and unlinks the dedupe rows. One short
 * confirmation follows. On a channel that replies in the webhook
 * response it goes there; on one that sends through the outbox it is
 * queued under a random one-time key with its own vault entry, so no row
 * keeps the contact key. That entry goes in the transaction that records
 * the confirmation's final state (outbox.c), not a day later when it
 * would expire. The outbox table has no column for a reason:
 * cancelled rows are 'failed' with no attempt, and the log says why.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "err.h"
#include "hex.h"
#include "optout.h"
#include "text.h"

int
optout_fold_words(char *const *words, size_t n, char **out)
{
    size_t i;

    for (i = 0; i < n; i++) {
        char *t = text_trim(words[i]);

        out[i] = t != NULL ? text_fold(t) : NULL;
        free(t);
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

int
optout_match(char *const *folded, size_t n, const char *text)
{
    char *trimmed = text != NULL ? text_trim(text) : NULL;
    char *f = trimmed != NULL ? text_fold(trimmed) : NULL;
    int hit = -1;
    size_t i;

    for (i = 0; f != NULL && i < n && hit < 0; i++)
        if (folded[i] != NULL && strcmp(f, folded[i]) == 0)
            hit = (int)i;
    free(trimmed);
    free(f);
    return hit;
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
};

/* The built-in words and their languages. */
static const struct {
    const char *word, *lang;
} word_langs[] = {
    {"delete", "eng"}, {"supprimer", "fra"}, {"effacer", "fra"},
    {"احذف", "ara"},   {"حذف", "ara"},       {"futa", "swa"},
    {"borrar", "spa"},
};

const char *
optout_erase_reply(const char *lang, const char *word)
{
    size_t i, k;

    for (k = 0; lang == NULL && word != NULL &&
                k < sizeof(word_langs) / sizeof(word_langs[0]);
         k++)
        if (strcmp(word, word_langs[k].word) == 0)
            lang = word_langs[k].lang;
    for (i = 0;
         lang != NULL && i < sizeof(erase_texts) / sizeof(erase_texts[0]); i++)
        if (strcmp(erase_texts[i].lang, lang) == 0)
            return erase_texts[i].text;
    return erase_texts[0].text;
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
