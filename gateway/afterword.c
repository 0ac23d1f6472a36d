/*
 * afterword.c - what a child hears after the survey has ended: a message
 * that starts no flow (no keyword, no waiting run, the last run
 * completed) gets one short kind reply in the child's language, naming
 * the free helpline (@globals.helpline) and the keyword that starts the
 * survey again, instead of the survey from its first question (flows
 * without a keyword start again as before: there would be no way back). At most
 * one a day per contact (AFTERWORD_QUIET_MS): a child who keeps writing
 * is not answered by a machine again and again.
 *
 * A child who has disclosed harm gets the same reply, whatever became of
 * the run: the referral may have completed, waited until it expired, or
 * (the built-in message) only interrupted the survey or found no run at
 * all. Their next "ok thanks" must not put them through the survey
 * again; the alert that still names them says so (afterword_due()).
 *
 * Runs on the writer thread, inside the inbound job (see inbound.c).
 */
#include <stdio.h>
#include <string.h>

#include "afterword.h"
#include "flow.h"
#include "store.h"

#define AFTERWORD_QUIET_MS 86400000LL /* one reply a day per contact */

/* The reply in lang (English when unknown), with helpline and keyword
 * (each may be NULL: its sentence is left out) into buf. */
const char *
afterword_text(const char *lang, const char *helpline, const char *keyword,
               char buf[AFTERWORD_TEXT_MAX])
{
    static const struct {
        const char *lang, *thanks, *help, *help_end, *again, *again_end;
    } texts[] = {
        {"eng", "Thank you for your message.",
         " If you need help, call the free helpline ", ", any time.",
         " To take the survey again, send ", "."},
        {"fra", "Merci pour ton message.",
         " Si tu as besoin d'aide, appelle gratuitement la ligne d'\xc3\xa9"
         "coute ",
         ", \xc3\xa0 tout moment.", " Pour refaire le sondage, envoie ", "."},
        {"ara",
         "\xd8\xb4\xd9\x83\xd8\xb1\xd8\xa7 \xd8\xb9\xd9\x84\xd9\x89 "
         "\xd8\xa7\xd9\x84\xd8\xb1\xd8\xb3\xd8\xa7\xd9\x84\xd8\xa9.",
         " \xd9\x84\xd9\x84\xd9\x85\xd8\xb3\xd8\xa7\xd8\xb9\xd8\xaf\xd8\xa9\xd8"
         "\x8c \xd9\x8a\xd9\x85\xd9\x83\xd9\x86\xd9\x83 "
         "\xd8\xa7\xd9\x84\xd8\xa7\xd8\xaa\xd8\xb5\xd8\xa7\xd9\x84 "
         "\xd9\x85\xd8\xac\xd8\xa7\xd9\x86\xd9\x8b\xd8\xa7 "
         "\xd8\xa8\xd8\xae\xd8\xb7 "
         "\xd8\xa7\xd9\x84\xd9\x85\xd8\xb3\xd8\xa7\xd8\xb9\xd8\xaf\xd8\xa9 ",
         " \xd9\x81\xd9\x8a \xd8\xa3\xd9\x8a \xd9\x88\xd9\x82\xd8\xaa.",
         " \xd9\x84\xd8\xa5\xd8\xb9\xd8\xa7\xd8\xaf\xd8\xa9 "
         "\xd8\xa7\xd9\x84\xd8\xa7\xd8\xb3\xd8\xaa\xd8\xa8\xd9\x8a\xd8\xa7\xd9"
         "\x86: ",
         ""},
        {"swa", "Asante kwa ujumbe wako.",
         " Ukihitaji msaada, piga simu bila malipo kwa nambari ya msaada ",
         ", wakati wowote.", " Kujibu maswali tena, tuma ", "."},
        {"spa", "Gracias por tu mensaje.",
         " Si necesitas ayuda, llama gratis a la l\xc3\xadnea de ayuda ",
         ", a cualquier hora.",
         " Para hacer la encuesta otra vez, env\xc3\xad"
         "a ",
         "."},
        {"por", "Obrigado pela tua mensagem.",
         " Se precisares de ajuda, liga gr\xc3\xa1tis para a linha de apoio ",
         ", a qualquer hora.", " Para responder outra vez, envia ", "."},
    };
    char word[64];
    size_t i, t = 0, len;

    for (i = 0; lang != NULL && i < sizeof(texts) / sizeof(texts[0]); i++)
        if (strcmp(texts[i].lang, lang) == 0)
            t = i;
    snprintf(buf, AFTERWORD_TEXT_MAX, "%s", texts[t].thanks);
    len = strlen(buf);
    if (helpline != NULL && helpline[0] != '\0')
        snprintf(buf + len, AFTERWORD_TEXT_MAX - len, "%s%s%s", texts[t].help,
                 helpline, texts[t].help_end);
    len = strlen(buf);
    if (keyword == NULL || keyword[0] == '\0' ||
        strlen(keyword) >= sizeof(word))
        return buf;
    for (i = 0; keyword[i] != '\0'; i++) /* ASCII letters only: UTF-8 stays */
        word[i] = keyword[i] >= 'a' && keyword[i] <= 'z'
                      ? (char)(keyword[i] - 'a' + 'A')
                      : keyword[i];
    word[i] = '\0';
    snprintf(buf + len, AFTERWORD_TEXT_MAX - len, "%s%s%s", texts[t].again,
             word, texts[t].again_end);
    return buf;
}

int
afterword_reply(struct store_tx *tx, const char *contact_key, const char *lang,
                const struct flow_set *flows, int64_t now, json_t *texts,
                bool *sent)
{
    char buf[AFTERWORD_TEXT_MAX];
    int64_t last = 0;
    int rc = store_afterword_get(tx, contact_key, &last);

    *sent = false;
    if (rc != 0 && rc != SK_ENOENT)
        return rc;
    if (rc == 0 && last > 0 && now - last < AFTERWORD_QUIET_MS && now >= last)
        return 0; /* answered today already: silence */
    afterword_text(lang, flow_set_global(flows, "helpline"),
                   flow_set_keyword_at(flows, 0), buf);
    if (json_array_append_new(texts, json_string(buf)) != 0)
        return SK_ENOMEM;
    *sent = true;
    rc = rc == 0 ? store_afterword_put(tx, contact_key, now) : 0;
    return rc;
}

int
afterword_due(struct store_tx *tx, const char *contact_key,
              const struct flow_session *s, bool *due)
{
    enum flow_status st = flow_session_status(s);
    int64_t alerts = 0;
    int rc;

    *due = st == FLOW_COMPLETED;
    if (*due || st == FLOW_WAITING)
        return 0;
    if ((rc = store_alert_count_contact(tx, contact_key, &alerts)) != 0)
        return rc;
    *due = alerts > 0;
    return 0;
}
