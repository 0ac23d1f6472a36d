/*
 * safeguard.c - disclosures of harm: the phrase lists, the check of every
 * text, and what a match does in the inbound step (see safeguard.h).
 *
 * Lists. The built-in ones (safeguard_lists.c) and the files of the
 * phrases directory share one line format:
 *
 *     # a comment, and blank lines, are skipped
 *     physical_abuse: hits me
 *     forced_work: oblige* a travailler
 *
 * the category, a colon, then the phrase: words as children type them,
 * a word ending in '*' matching every word it begins (3 letters at least
 * before the '*'). A file is named after its language, LANG.txt with an
 * ISO 639-3 code (eng.txt, fra.txt, prs.txt); its phrases join the
 * built-in list of that language, or make a new one. Problems stop the
 * start as "FILE:LINE: reason".
 *
 * Matching. Texts and phrases are cut into words by text_words_loose()
 * (flows/text.c): the router tests' word splitting, with case, accents,
 * vowel marks, apostrophes and emoji not counting. A phrase matches
 * where its words occur one after another; every list is tried, and the
 * longest phrase found decides the category (and the list's language).
 *
 * Order in the inbound step (inbound.c). DELETE is honoured first and
 * STOP next: they match only a message of nothing but their words, so a
 * disclosure inside a longer text ("stop hitting me") is never an
 * opt-out, and a child who asks to be erased is erased. Then this check,
 * before keywords and before the waiting run: a disclosure interrupts
 * the run (run_ended "interrupted"), starts the referral flow in the
 * child's language (or sends the built-in referral message: when there is
 * no flow, or the flow lacks the child's language and the message has it,
 * as Swahili for the example flow) in the same reply, and records an alert in
 * the same transaction, so the alert is durable before the provider is
 * answered. A child who had opted out is answered too, and taking part again,
 * as after a keyword. While the child is answering the referral flow, a further
 * disclosure goes to that flow as an answer and records no second alert. The
 * text itself is kept nowhere: not in the alert, not as a result (the referral
 * starts with no input), not in the log.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "channel_type.h"
#include "config.h"
#include "flow.h"
#include "log.h"
#include "optout.h"
#include "privacy.h"
#include "safeguard.h"
#include "safeguard_lists.h"
#include "store.h"
#include "text.h"

#define PREFIX_MIN     3                /* bytes before a '*' */
#define STAFF_VAULT_MS (7LL * 86400000) /* an on-call SMS's address kept */

static const char *const categories[] = {
    "sexual_abuse", "physical_abuse", "trafficking", "forced_work",
    "debt_bondage", "self_harm",      "neglect",
};
#define N_CATEGORIES (sizeof(categories) / sizeof(categories[0]))

struct sg_word {
    char *w;
    size_t len;
    bool prefix; /* matches every word that starts with w */
};

struct sg_phrase {
    struct sg_word *w;
    size_t n;
    size_t cat; /* index in categories[] */
};

struct sg_list {
    char lang[4];
    struct sg_phrase *v;
    size_t n, cap;
};

struct safeguard {
    struct sg_list lists[SAFEGUARD_LANGS_MAX];
    size_t n_lists;
    const struct flow_set *flows;
    const struct flow *referral; /* NULL: the built-in message */
    char helpline[64];
    /* on-call staff: normalised tel: URNs, told through sms_channel */
    const struct privacy *priv;
    char sms_channel[64];
    char *numbers[SAFEGUARD_NUMBERS_MAX];
    size_t n_numbers;
};

/* --- the lists ----------------------------------------------------------- */

static void
phrase_clear(struct sg_phrase *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->w[i].w);
    free(p->w);
    memset(p, 0, sizeof(*p));
}

static struct sg_list *
list_for(struct safeguard *sg, const char *lang)
{
    for (size_t i = 0; i < sg->n_lists; i++)
        if (strcmp(sg->lists[i].lang, lang) == 0)
            return &sg->lists[i];
    if (sg->n_lists == SAFEGUARD_LANGS_MAX || strlen(lang) != 3)
        return NULL;
    snprintf(sg->lists[sg->n_lists].lang, sizeof(sg->lists[0].lang), "%s",
             lang);
    return &sg->lists[sg->n_lists++];
}

/* Appends the loose words of one token of a phrase to p. */
static int
phrase_token(struct sg_phrase *p, const char *tok, size_t toklen,
             const char *where, char err[SK_ERR_LEN])
{
    char buf[SAFEGUARD_LINE_MAX], **w;
    bool prefix = false;
    size_t n = 0, i;

    while (toklen > 0 && tok[toklen - 1] == '*') {
        prefix = true;
        toklen--;
    }
    snprintf(buf, sizeof(buf), "%.*s", (int)toklen, tok);
    if ((w = text_words_loose(buf, &n)) == NULL)
        return SK_ENOMEM;
    if (prefix && (n == 0 || strlen(w[n - 1]) < PREFIX_MIN)) {
        text_words_free(w);
        sk_seterr(err, "%s: a word ending in '*' needs %d letters before it",
                  where, PREFIX_MIN);
        return SK_EINVAL;
    }
    for (i = 0; i < n; i++) {
        if (p->n == SAFEGUARD_WORDS_MAX) {
            text_words_free(w);
            sk_seterr(err, "%s: more than %d words in the phrase", where,
                      SAFEGUARD_WORDS_MAX);
            return SK_EINVAL;
        }
        p->w[p->n].w = w[i];
        p->w[p->n].len = strlen(w[i]);
        p->w[p->n].prefix = prefix && i + 1 == n;
        p->n++;
        w[i] = NULL;
    }
    free(w); /* its words moved to p */
    return 0;
}

/* The category named at s[0..len), or N_CATEGORIES. */
static size_t
category_find(const char *s, size_t len)
{
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    for (size_t i = 0; i < N_CATEGORIES; i++)
        if (strlen(categories[i]) == len && strncmp(categories[i], s, len) == 0)
            return i;
    return N_CATEGORIES;
}

/* Parses one line ("category: phrase", a comment or blank) into l. where
 * is "FILE:LINE" for errors. */
static int
parse_line(struct sg_list *l, const char *line, const char *where,
           char err[SK_ERR_LEN])
{
    const char *colon, *p;
    struct sg_phrase ph;
    int rc;

    while (*line == ' ' || *line == '\t')
        line++;
    if (*line == '\0' || *line == '#' || *line == '\n' || *line == '\r')
        return 0;
    if ((colon = strchr(line, ':')) == NULL) {
        sk_seterr(err, "%s: expected \"category: phrase\"", where);
        return SK_EINVAL;
    }
    memset(&ph, 0, sizeof(ph));
    if ((ph.cat = category_find(line, (size_t)(colon - line))) ==
        N_CATEGORIES) {
        sk_seterr(err,
                  "%s: unknown category \"%.*s\" (sexual_abuse, "
                  "physical_abuse, trafficking, forced_work, debt_bondage, "
                  "self_harm, neglect)",
                  where, (int)(colon - line) > 40 ? 40 : (int)(colon - line),
                  line);
        return SK_EINVAL;
    }
    if (l->n == SAFEGUARD_PHRASES_MAX) {
        sk_seterr(err, "%s: more than %d phrases for %s", where,
                  SAFEGUARD_PHRASES_MAX, l->lang);
        return SK_EINVAL;
    }
    if ((ph.w = calloc(SAFEGUARD_WORDS_MAX, sizeof(*ph.w))) == NULL)
        return SK_ENOMEM;
    for (p = colon + 1; *p != '\0';) {
        size_t len = strcspn(p, " \t\r\n");

        if (len > 0 && (rc = phrase_token(&ph, p, len, where, err)) != 0)
            goto fail;
        p += len;
        p += strspn(p, " \t\r\n");
    }
    if (ph.n == 0) {
        sk_seterr(err, "%s: the phrase has no words", where);
        rc = SK_EINVAL;
        goto fail;
    }
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        struct sg_phrase *nv = realloc(l->v, ncap * sizeof(*nv));

        if (nv == NULL) {
            rc = SK_ENOMEM;
            goto fail;
        }
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n++] = ph;
    return 0;
fail:
    phrase_clear(&ph);
    if (rc == SK_ENOMEM)
        sk_seterr(err, "%s: out of memory", where);
    return rc;
}

static int
load_builtin(struct safeguard *sg, char err[SK_ERR_LEN])
{
    const struct safeguard_builtin *b;
    char where[64];
    int rc;

    for (size_t i = 0; (b = safeguard_builtin_at(i)) != NULL; i++) {
        struct sg_list *l = list_for(sg, b->lang);

        if (l == NULL)
            return SK_ELIMIT;
        for (size_t k = 0; b->lines[k] != NULL; k++) {
            snprintf(where, sizeof(where), "built-in %s:%zu", b->lang, k + 1);
            if ((rc = parse_line(l, b->lines[k], where, err)) != 0)
                return rc;
        }
    }
    return 0;
}

/* Reads one phrase file into the list of its language. */
static int
load_file(struct safeguard *sg, const char *path, const char *lang,
          char err[SK_ERR_LEN])
{
    char line[SAFEGUARD_LINE_MAX + 2], where[SK_ERR_LEN / 2];
    struct sg_list *l = list_for(sg, lang);
    FILE *fp;
    int lineno = 0, rc = 0;

    if (l == NULL) {
        sk_seterr(err, "%s: more than %d languages", path, SAFEGUARD_LANGS_MAX);
        return SK_ELIMIT;
    }
    if ((fp = fopen(path, "r")) == NULL) {
        sk_seterr(err, "%s: %s", path, strerror(errno));
        return SK_EIO;
    }
    while (rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
        size_t len = strlen(line);

        snprintf(where, sizeof(where), "%s:%d", path, ++lineno);
        if (len > 0 && line[len - 1] != '\n' && !feof(fp)) {
            sk_seterr(err, "%s: line longer than %d bytes", where,
                      SAFEGUARD_LINE_MAX);
            rc = SK_EINVAL;
        } else if (!text_valid_utf8(line, len)) {
            sk_seterr(err, "%s: not UTF-8", where);
            rc = SK_EINVAL;
        } else {
            rc = parse_line(l, line, where, err);
        }
    }
    if (rc == 0 && ferror(fp)) {
        sk_seterr(err, "%s: read error", path);
        rc = SK_EIO;
    }
    fclose(fp);
    return rc;
}

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether name is LANG.txt with a known ISO 639-3 code; lang gets it. */
static bool
lang_file(const char *name, char lang[4])
{
    if (strlen(name) != 7 || strcmp(name + 3, ".txt") != 0)
        return false;
    for (int i = 0; i < 3; i++)
        if (name[i] < 'a' || name[i] > 'z')
            return false;
    memcpy(lang, name, 3);
    lang[3] = '\0';
    return flow_lang_known(lang);
}

/* Every *.txt of dir, in name order; another name.txt is an error. */
static int
load_dir(struct safeguard *sg, const char *dir, char err[SK_ERR_LEN])
{
    char *names[SAFEGUARD_LANGS_MAX], path[4096], lang[4];
    size_t n = 0, i;
    struct dirent *de;
    DIR *d = opendir(dir);
    int rc = 0;

    if (d == NULL) {
        sk_seterr(err, "[safeguarding] phrases %s: %s", dir, strerror(errno));
        return SK_EIO;
    }
    while (rc == 0 && (de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);

        if (len < 4 || strcmp(de->d_name + len - 4, ".txt") != 0)
            continue;
        if (!lang_file(de->d_name, lang)) {
            sk_seterr(err,
                      "%s/%s: a phrase file is named after its language, "
                      "an ISO 639-3 code (eng.txt, fra.txt, ...)",
                      dir, de->d_name);
            rc = SK_EINVAL;
        } else if (n == SAFEGUARD_LANGS_MAX) {
            sk_seterr(err, "%s: more than %d phrase files", dir,
                      SAFEGUARD_LANGS_MAX);
            rc = SK_ELIMIT;
        } else if ((names[n] = strdup(de->d_name)) == NULL) {
            rc = SK_ENOMEM;
        } else {
            n++;
        }
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), name_cmp);
    for (i = 0; i < n; i++) {
        if (rc == 0 && lang_file(names[i], lang)) {
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
            rc = load_file(sg, path, lang, err);
        }
        free(names[i]);
    }
    if (rc == SK_ENOMEM)
        sk_seterr(err, "%s: out of memory", dir);
    return rc;
}

/* The on-call numbers of opts, normalised; the channel is the caller's to
 * check. Never quotes a number. */
static int
set_staff(struct safeguard *sg, const struct safeguard_opts *opts,
          char err[SK_ERR_LEN])
{
    char urn[PRIVACY_URN_MAX];
    size_t i;

    if (opts->priv == NULL || opts->sms_channel == NULL ||
        opts->n_numbers > SAFEGUARD_NUMBERS_MAX) {
        sk_seterr(err,
                  "[safeguarding] notify_numbers: at most %d, and they "
                  "need notify_channel",
                  SAFEGUARD_NUMBERS_MAX);
        return SK_EINVAL;
    }
    sg->priv = opts->priv;
    snprintf(sg->sms_channel, sizeof(sg->sms_channel), "%s", opts->sms_channel);
    for (i = 0; i < opts->n_numbers; i++) {
        if (privacy_normalize_urn(opts->numbers[i], urn, sizeof(urn)) != 0 ||
            strncmp(urn, "tel:", 4) != 0) {
            sk_seterr(err,
                      "[safeguarding] notify_numbers: entry %zu is not a "
                      "phone number",
                      i + 1);
            return SK_EINVAL;
        }
        if ((sg->numbers[i] = strdup(urn)) == NULL)
            return SK_ENOMEM;
        sg->n_numbers = i + 1;
    }
    explicit_bzero(urn, sizeof(urn));
    return 0;
}

struct safeguard *
safeguard_new(const struct safeguard_opts *opts, char err[SK_ERR_LEN])
{
    struct safeguard *sg = calloc(1, sizeof(*sg));
    const char *helpline = SAFEGUARD_HELPLINE;

    if (sg == NULL) {
        sk_seterr(err, "safeguarding: out of memory");
        return NULL;
    }
    if (load_builtin(sg, err) != 0)
        goto fail;
    if (opts != NULL && opts->phrases != NULL &&
        load_dir(sg, opts->phrases, err) != 0)
        goto fail;
    if (opts != NULL && opts->flow != NULL) {
        sg->flows = opts->flows;
        sg->referral =
            opts->flows != NULL ? flow_set_find(opts->flows, opts->flow) : NULL;
        if (sg->referral == NULL) {
            sk_seterr(err, "[safeguarding] flow: flow \"%s\" not found",
                      opts->flow);
            goto fail;
        }
    }
    if (opts != NULL && opts->helpline != NULL && opts->helpline[0] != '\0')
        helpline = opts->helpline;
    snprintf(sg->helpline, sizeof(sg->helpline), "%s", helpline);
    if (opts != NULL && opts->n_numbers > 0 && set_staff(sg, opts, err) != 0)
        goto fail;
    return sg;
fail:
    if (err[0] == '\0')
        sk_seterr(err, "safeguarding: out of memory");
    safeguard_free(sg);
    return NULL;
}

void
safeguard_free(struct safeguard *sg)
{
    if (sg == NULL)
        return;
    for (size_t i = 0; i < sg->n_lists; i++) {
        for (size_t k = 0; k < sg->lists[i].n; k++)
            phrase_clear(&sg->lists[i].v[k]);
        free(sg->lists[i].v);
    }
    for (size_t i = 0; i < sg->n_numbers; i++) {
        explicit_bzero(sg->numbers[i], strlen(sg->numbers[i]));
        free(sg->numbers[i]);
    }
    free(sg);
}

size_t
safeguard_languages(const struct safeguard *sg)
{
    return sg->n_lists;
}

const char *
safeguard_language_at(const struct safeguard *sg, size_t i, size_t *phrases)
{
    if (i >= sg->n_lists)
        return NULL;
    if (phrases != NULL)
        *phrases = sg->lists[i].n;
    return sg->lists[i].lang;
}

const struct flow *
safeguard_referral_flow(const struct safeguard *sg)
{
    return sg->referral;
}

bool
safeguard_referral_run(const struct safeguard *sg, const struct flow_session *s)
{
    const char *id = s != NULL ? flow_session_flow(s) : NULL;

    return sg != NULL && sg->referral != NULL && id != NULL &&
           strcmp(id, flow_uuid(sg->referral)) == 0;
}

/* --- matching ------------------------------------------------------------ */

static bool
word_matches(const struct sg_word *p, const char *w)
{
    return p->prefix ? strncmp(w, p->w, p->len) == 0 : strcmp(w, p->w) == 0;
}

/* Whether phrase p occurs in words[0..n) as consecutive words. */
static bool
phrase_in(const struct sg_phrase *p, char *const *words, size_t n)
{
    for (size_t i = 0; i + p->n <= n; i++) {
        size_t k = 0;

        while (k < p->n && word_matches(&p->w[k], words[i + k]))
            k++;
        if (k == p->n)
            return true;
    }
    return false;
}

int
safeguard_match(const struct safeguard *sg, const char *text,
                struct safeguard_match *m)
{
    size_t n = 0, best = 0;
    char **words;

    memset(m, 0, sizeof(*m));
    if (sg == NULL || text == NULL)
        return 0;
    if ((words = text_words_loose(text, &n)) == NULL)
        return SK_ENOMEM;
    for (size_t i = 0; i < sg->n_lists; i++) {
        const struct sg_list *l = &sg->lists[i];

        for (size_t k = 0; k < l->n; k++) {
            const struct sg_phrase *p = &l->v[k];

            if (p->n > best && phrase_in(p, words, n)) {
                best = p->n;
                m->category = categories[p->cat];
                m->language = l->lang;
                m->words = p->n;
            }
        }
    }
    text_words_free(words);
    return best > 0 ? 1 : 0;
}

/* --- the referral -------------------------------------------------------- */

/* The built-in referral: the text around the helpline, per language.
 * Short (two SMS segments at most), kind, not blaming, and addressing
 * girls and boys alike (the Arabic without vowel marks, so its "you" is
 * both; French "toi"). */
static const struct {
    const char *lang, *before, *after;
} referrals[] = {
    {"eng", "Thank you for telling us. What happened is not your fault. Call ",
     " for free, any time, to talk to someone safe. A person from our team "
     "will follow up with you."},
    {"fra",
     "Merci de nous l'avoir dit. Ce n'est pas ta faute. Appelle "
     "gratuitement le ",
     ", à tout moment, pour parler à quelqu'un de confiance. Une personne "
     "de notre équipe va te recontacter."},
    {"ara", "شكرا لأنك أخبرتنا. ما حدث ليس ذنبك. يمكن الاتصال مجانا بالرقم ",
     " في أي وقت. سيتواصل معك شخص من فريقنا."},
    {"swa", "Asante kwa kutuambia. Si kosa lako. Piga simu ",
     " bila malipo, wakati wowote. Mtu wa timu yetu atawasiliana nawe."},
};

const char *
safeguard_referral_text(const struct safeguard *sg, const char *lang,
                        char buf[SAFEGUARD_REPLY_MAX])
{
    size_t i, pick = 0;

    for (i = 0; lang != NULL && i < sizeof(referrals) / sizeof(referrals[0]);
         i++)
        if (strcmp(referrals[i].lang, lang) == 0)
            pick = i;
    snprintf(buf, SAFEGUARD_REPLY_MAX, "%s%s%s", referrals[pick].before,
             sg != NULL ? sg->helpline : SAFEGUARD_HELPLINE,
             referrals[pick].after);
    return buf;
}

/* Whether s waits in the referral flow. */
static bool
in_referral(const struct safeguard *sg, const struct flow_session *s)
{
    const char *id = flow_session_flow(s);

    return sg->referral != NULL && id != NULL &&
           flow_session_status(s) == FLOW_WAITING &&
           strcmp(id, flow_uuid(sg->referral)) == 0;
}

/* Whether the built-in message has lang. */
static bool
builtin_speaks(const char *lang)
{
    for (size_t i = 0; i < sizeof(referrals) / sizeof(referrals[0]); i++)
        if (strcmp(referrals[i].lang, lang) == 0)
            return true;
    return false;
}

/* Whether flow f has lang (its own language or a translation). */
static bool
flow_speaks(const struct flow *f, const char *lang)
{
    const char *l;

    for (size_t i = 0; (l = flow_lang_at(f, i)) != NULL; i++)
        if (strcmp(l, lang) == 0)
            return true;
    return false;
}

/* Interrupts s and starts the referral into ev: the flow, or when there
 * is none (or it fails, or it lacks the child's language and the built-in
 * message has it) the built-in message. */
static int
referral_start(const struct safeguard *sg, struct flow_session *s,
               const char *lang, int64_t now, json_t *ev)
{
    char err[SK_ERR_LEN] = "", text[SAFEGUARD_REPLY_MAX];
    int rc;

    if (sg->referral != NULL &&
        (flow_speaks(sg->referral, lang) || !builtin_speaks(lang))) {
        rc = flow_start(sg->flows, s, sg->referral, NULL, now, ev, err);
        if (rc == 0 || rc == SK_ENOMEM)
            return rc;
        /* err may quote flow content; the code is enough for the log */
        sk_log(LOG_ERR, "safeguard",
               "referral flow failed (%s): sending the built-in message",
               sk_strerror(rc));
        json_array_clear(ev);
    }
    if ((rc = flow_interrupt(s, now, ev, err)) != 0)
        return rc;
    safeguard_referral_text(sg, lang, text);
    return json_array_append_new(ev, json_pack("{s:s,s:s}", "type",
                                               "msg_created", "text", text)) ==
                   0
               ? 0
               : SK_ENOMEM;
}

/*
 * Queues the SMS of alert id to each on-call number, each under a one-time
 * key with its own vault entry, as a DELETE confirmation is (optout.h):
 * no row ties a staff number to a child, and the outbox's write-back
 * forgets the entry once the message is final. No text of the child.
 */
static int
staff_sms(const struct safeguard *sg, struct store_tx *tx, int64_t id,
          const char *category, const char *lang, const char *channel,
          const char *contact_key, int64_t now)
{
    char text[256], key[PRIVACY_KEY_HEX];
    unsigned char *blob;
    size_t i, len = 0;
    int rc = 0;

    snprintf(text, sizeof(text),
             "Safeguarding alert %" PRId64 ": %s, language %s, channel %s, "
             "contact %.8s. See sikiliza alerts; the number only through "
             "sikiliza reveal.",
             id, category, lang, channel, contact_key);
    for (i = 0; rc == 0 && i < sg->n_numbers; i++) {
        if ((rc = optout_random_key(key)) != 0)
            break;
        blob = privacy_seal(sg->priv, key, sg->numbers[i], &len);
        if (blob == NULL)
            return SK_ENOMEM;
        rc = store_vault_put(tx, key, blob, len, now + STAFF_VAULT_MS);
        explicit_bzero(blob, len);
        free(blob);
        if (rc == 0)
            rc = store_outbox_put(tx, sg->sms_channel, key, text, now, NULL);
    }
    return rc;
}

int
safeguard_take(const struct safeguard *sg, struct store_tx *tx,
               const char *text, struct flow_session *s,
               const char *contact_key, const char *channel, int64_t now,
               json_t **events, int64_t *alert_id)
{
    struct safeguard_match m;
    char lang[8] = "";
    json_t *ev;
    int64_t id;
    int rc;

    *events = NULL;
    *alert_id = 0;
    if (sg == NULL)
        return 0;
    if ((rc = safeguard_match(sg, text, &m)) <= 0)
        return rc;
    if (in_referral(sg, s))
        return 0;
    if (flow_session_language(s) == NULL &&
        flow_session_set_language(s, m.language) != 0)
        return SK_ENOMEM;
    snprintf(lang, sizeof(lang), "%s", flow_session_language(s));
    if ((ev = json_array()) == NULL)
        return SK_ENOMEM;
    if ((rc = referral_start(sg, s, lang, now, ev)) != 0) {
        json_decref(ev);
        return rc;
    }
    id = store_alert_add(tx, now, contact_key, channel, lang, m.category);
    rc = id < 0 ? (int)id
                : staff_sms(sg, tx, id, m.category, lang, channel, contact_key,
                            now);
    if (rc != 0) {
        json_decref(ev);
        return rc;
    }
    sk_log(LOG_WARNING, "safeguard",
           "alert=%" PRId64 " contact=%.8s channel=%s category=%s "
           "language=%s: referral started",
           id, contact_key, channel, m.category, lang);
    *events = ev;
    *alert_id = id;
    return 1;
}

/* --- from the config ----------------------------------------------------- */

/* Problems of notify_url and its http switch, as an error or a warning. */
static int
check_notify(const struct config *cfg, char err[SK_ERR_LEN])
{
    const char *url = cfg->sg_notify_url;
    bool plain = url != NULL && strncasecmp(url, "http://", 7) == 0;

    if (plain && !cfg->sg_notify_allow_http) {
        sk_seterr(err,
                  "%s: [safeguarding] notify_url: plain http is refused "
                  "(alerts cross the network); use https, or set "
                  "notify_allow_http = yes for a receiver on this machine",
                  cfg->file);
        return SK_EINVAL;
    }
    /* notify_allow_http without an http:// URL: config.c warns */
    if (url == NULL)
        sk_log(LOG_WARNING, "serve",
               "%s: [safeguarding] has no notify_url: alerts are recorded "
               "and listed by `sikiliza alerts`, nobody is notified",
               cfg->file);
    return 0;
}

/* Whether channel name of cfg can send on its own (its type's outbox
 * sender, with what it needs configured). */
static bool
channel_sends(const struct config *cfg, const struct channel_type *const *types,
              const char *name)
{
    for (size_t i = 0; i < cfg->n_channels; i++)
        if (strcmp(cfg->channels[i].name, name) == 0)
            return types[i] != NULL && types[i]->build_send != NULL &&
                   (types[i]->can_send == NULL ||
                    types[i]->can_send(&cfg->channels[i]));
    return false;
}

/* Splits notify_numbers (comma separated) into o's numbers, in copy. */
static int
staff_numbers(const struct config *cfg, const struct channel_type *const *types,
              char *copy, const char **v, struct safeguard_opts *o,
              char err[SK_ERR_LEN])
{
    char *save = NULL, *tok;

    if (cfg->sg_notify_numbers == NULL && cfg->sg_notify_channel == NULL)
        return 0;
    if (cfg->sg_notify_numbers == NULL || cfg->sg_notify_channel == NULL) {
        sk_seterr(err,
                  "%s: [safeguarding] notify_channel and notify_numbers go "
                  "together: the on-call numbers and the channel to text "
                  "them through",
                  cfg->file);
        return SK_EINVAL;
    }
    if (!channel_sends(cfg, types, cfg->sg_notify_channel)) {
        sk_seterr(err,
                  "%s: [safeguarding] notify_channel: \"%s\" is not a "
                  "channel that can send on its own",
                  cfg->file, cfg->sg_notify_channel);
        return SK_EINVAL;
    }
    for (tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        tok += strspn(tok, " \t");
        if (*tok == '\0')
            continue;
        if (o->n_numbers == SAFEGUARD_NUMBERS_MAX) {
            sk_seterr(err, "%s: [safeguarding] notify_numbers: more than %d",
                      cfg->file, SAFEGUARD_NUMBERS_MAX);
            return SK_EINVAL;
        }
        v[o->n_numbers++] = tok;
    }
    o->numbers = v;
    o->sms_channel = cfg->sg_notify_channel;
    return 0;
}

/* Logs what safeguarding will do. */
static void
log_setup(const struct config *cfg, const struct safeguard *sg)
{
    char langs[160] = "";
    size_t i, np, len = 0;

    for (i = 0; i < sg->n_lists && len + 16 < sizeof(langs); i++) {
        safeguard_language_at(sg, i, &np);
        len += (size_t)snprintf(langs + len, sizeof(langs) - len, "%s%s %zu",
                                i > 0 ? ", " : "", sg->lists[i].lang, np);
    }
    sk_log(LOG_INFO, "serve",
           "safeguarding on: phrases %s; referral %s%s%s; alerts %s; %zu "
           "on-call numbers texted",
           langs, sg->referral != NULL ? "flow \"" : "built-in message",
           sg->referral != NULL ? flow_name(sg->referral) : "",
           sg->referral != NULL ? "\"" : "",
           cfg->sg_notify_url != NULL ? "POSTed to notify_url" : "listed only",
           sg->n_numbers);
}

struct safeguard *
safeguard_from_config(const struct config *cfg, const struct flow_set *flows,
                      const struct privacy *priv,
                      const struct channel_type *const *types,
                      char err[SK_ERR_LEN])
{
    struct safeguard_opts o = {
        .phrases = cfg->sg_phrases,
        .flows = flows,
        .flow = cfg->sg_flow,
        /* one helpline for the whole box: [flows] helpline (what the
         * example survey names) unless [safeguarding] sets its own */
        .helpline = cfg->sg_helpline != NULL ? cfg->sg_helpline : cfg->helpline,
        .priv = priv,
    };
    const char *numbers[SAFEGUARD_NUMBERS_MAX];
    char inner[SK_ERR_LEN] = "", *copy = NULL;
    struct safeguard *sg = NULL;

    if (!cfg->sg_enabled) {
        sk_log(LOG_WARNING, "serve",
               "%s: [safeguarding] enabled = no: disclosures of harm are "
               "not checked, no child is referred and no alert is raised",
               cfg->file);
        return NULL;
    }
    if (check_notify(cfg, err) != 0)
        return NULL;
    if (cfg->sg_notify_numbers != NULL &&
        (copy = strdup(cfg->sg_notify_numbers)) == NULL) {
        sk_seterr(err, "%s: out of memory", cfg->file);
        return NULL;
    }
    if (staff_numbers(cfg, types, copy, numbers, &o, err) == 0) {
        if ((sg = safeguard_new(&o, inner)) == NULL)
            sk_seterr(err, "%s: %s", cfg->file, inner);
        else
            log_setup(cfg, sg);
    }
    if (copy != NULL) {
        explicit_bzero(copy, strlen(cfg->sg_notify_numbers));
        free(copy);
    }
    return sg;
}
