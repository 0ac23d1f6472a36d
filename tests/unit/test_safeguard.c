/*
 * test_safeguard.c - safeguarding: the built-in phrase lists of every
 * default language inside longer messages and as children type them
 * (case, accents, vowel marks, apostrophes, punctuation, emoji), what
 * must not match, phrase files and their errors, the built-in referral,
 * and safeguard_take() on a real store and engine (the run interrupted,
 * the referral started, the alert recorded) with the alert queries the
 * notifier uses.
 */
#define _XOPEN_SOURCE 700 /* nftw() */

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "flow.h"
#include "safeguard.h"
#include "store.h"

/* --- matching ------------------------------------------------------------ */

static struct safeguard *
builtin(void)
{
    char err[SK_ERR_LEN] = "";
    struct safeguard *sg = safeguard_new(NULL, err);

    if (sg == NULL)
        fail_msg("safeguard_new: %s", err);
    return sg;
}

/* text matches category in the list of lang. */
static void
hit(const struct safeguard *sg, const char *text, const char *category,
    const char *lang)
{
    struct safeguard_match m;
    int rc = safeguard_match(sg, text, &m);

    if (rc != 1)
        fail_msg("\"%s\": no match (rc %d)", text, rc);
    if (strcmp(m.category, category) != 0 || strcmp(m.language, lang) != 0)
        fail_msg("\"%s\": %s/%s, want %s/%s", text, m.category, m.language,
                 category, lang);
}

static void
miss(const struct safeguard *sg, const char *text)
{
    struct safeguard_match m;
    int rc = safeguard_match(sg, text, &m);

    if (rc != 0)
        fail_msg("\"%s\": matched %s/%s (rc %d)", text,
                 rc == 1 ? m.category : "-", rc == 1 ? m.language : "-", rc);
}

static void
test_english(void **state)
{
    struct safeguard *sg = builtin();

    (void)state;
    hit(sg, "Please help, my uncle HITS me every night!!", "physical_abuse",
        "eng");
    hit(sg, "stop hitting me", "physical_abuse", "eng");
    hit(sg, "he beat me yesterday", "physical_abuse", "eng");
    hit(sg, "Dad beats me.", "physical_abuse", "eng");
    hit(sg, "I was raped.", "sexual_abuse", "eng");
    hit(sg, "a man touched me and I am scared", "sexual_abuse", "eng");
    hit(sg, "i want to die 😢", "self_harm", "eng");
    hit(sg, "sometimes I think about suicide", "self_harm", "eng");
    hit(sg, "I dont want to live", "self_harm", "eng");
    hit(sg, "I don’t want to live anymore", "self_harm", "eng");
    hit(sg, "they took my passport and I can't leave", "trafficking", "eng");
    hit(sg, "They force me to work and never pay", "forced_work", "eng");
    hit(sg, "I must work off the debt for the trip", "debt_bondage", "eng");
    hit(sg, "I sleep outside near the market", "neglect", "eng");
    /* the longest phrase decides */
    hit(sg, "my uncle hits me and I want to die", "self_harm", "eng");
    sg = (safeguard_free(sg), NULL);
}

static void
test_french(void **state)
{
    struct safeguard *sg = builtin();

    (void)state;
    hit(sg, "Mon père me FRAPPE tous les soirs.", "physical_abuse", "fra");
    hit(sg, "il m’a frappé hier", "physical_abuse", "fra");
    hit(sg, "il m'a frappee", "physical_abuse", "fra");
    hit(sg, "J'ai été violée", "sexual_abuse", "fra");
    hit(sg, "Je veux mourir...", "self_harm", "fra");
    hit(sg, "je suis obligée à travailler la nuit", "forced_work", "fra");
    hit(sg, "je dois rembourser le passeur", "debt_bondage", "fra");
    hit(sg, "ils m'ont vendue", "trafficking", "fra");
    hit(sg, "Je dors dehors depuis une semaine", "neglect", "fra");
    hit(sg, "il veut me tuer", "physical_abuse", "fra");
    safeguard_free(sg);
}

static void
test_arabic(void **state)
{
    struct safeguard *sg = builtin();

    (void)state;
    hit(sg, "أبي يضربني كل يوم", "physical_abuse", "ara");
    hit(sg, "أبي يَضْرِبُنِي كل يوم!", "physical_abuse", "ara"); /* marks */
    hit(sg, "أريد أن أنتحر", "self_harm", "ara");
    hit(sg, "انتحر", "self_harm", "ara"); /* hamza or not */
    hit(sg, "تم اغتصابي", "sexual_abuse", "ara");
    hit(sg, "باعوني لرجل", "trafficking", "ara");
    hit(sg, "يجبرونني على العمل", "forced_work", "ara");
    hit(sg, "أنام في الشارع", "neglect", "ara");
    safeguard_free(sg);
}

static void
test_swahili(void **state)
{
    struct safeguard *sg = builtin();

    (void)state;
    hit(sg, "Mjomba ananipiga kila siku", "physical_abuse", "swa");
    hit(sg, "NILIBAKWA!", "sexual_abuse", "swa");
    hit(sg, "Nataka kujiua", "self_harm", "swa");
    hit(sg, "nina deni kubwa", "debt_bondage", "swa");
    hit(sg, "waliniuza", "trafficking", "swa");
    hit(sg, "Nalala nje", "neglect", "swa");
    /* children mix languages: every list is tried */
    hit(sg, "hello, ananipiga sana", "physical_abuse", "swa");
    safeguard_free(sg);
}

/* Transcripts as speech recognition writes them: lower case, no
 * punctuation, sometimes a word too many. The voice path calls the same
 * functions with the transcript. */
static void
test_transcripts(void **state)
{
    struct safeguard *sg = builtin();

    (void)state;
    hit(sg, "my father beats me every day", "physical_abuse", "eng");
    hit(sg, "i i want to die", "self_harm", "eng");
    hit(sg, "they took my passport", "trafficking", "eng");
    miss(sg, "yes i go to school");
    safeguard_free(sg);
}

static void
test_not_disclosures(void **state)
{
    struct safeguard *sg = builtin();

    (void)state;
    miss(sg, "I hit the ball");
    miss(sg, "Hello, I need food");
    miss(sg, "my friend helps me");
    miss(sg, "I like school");
    miss(sg, "stopwatch");
    miss(sg, "STOP");
    miss(sg, "1");
    miss(sg, "");
    miss(sg, "😀😀");
    miss(sg, "Bonjour, je vais bien");
    miss(sg, "مرحبا");
    miss(sg, "Habari, niko salama");
    miss(sg, "they hitchhike home"); /* "hit" is not a prefix here */
    safeguard_free(sg);
}

/* --- phrase files -------------------------------------------------------- */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

struct dirfx {
    char dir[PATH_MAX];
};

static int
dir_setup(void **state)
{
    struct dirfx *d = calloc(1, sizeof(*d));
    const char *tmp = getenv("TMPDIR");

    if (d == NULL)
        return -1;
    snprintf(d->dir, sizeof(d->dir), "%s/sk-safeguard-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(d->dir) == NULL)
        return -1;
    *state = d;
    return 0;
}

static int
dir_teardown(void **state)
{
    struct dirfx *d = *state;
    int rc = nftw(d->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);

    free(d);
    return rc;
}

static void
put(const struct dirfx *d, const char *name, const char *text)
{
    char path[PATH_MAX + 64];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", d->dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void
drop(const struct dirfx *d, const char *name)
{
    char path[PATH_MAX + 64];

    snprintf(path, sizeof(path), "%s/%s", d->dir, name);
    assert_int_equal(unlink(path), 0);
}

/* Loading d fails with an error that holds want. */
static void
load_fails(const struct dirfx *d, const char *want)
{
    struct safeguard_opts o = {.phrases = d->dir};
    char err[SK_ERR_LEN] = "";
    struct safeguard *sg = safeguard_new(&o, err);

    if (sg != NULL || strstr(err, want) == NULL)
        fail_msg("want an error with \"%s\", got \"%s\"", want, err);
}

static void
test_phrase_files(void **state)
{
    struct dirfx *d = *state;
    struct safeguard_opts o = {.phrases = d->dir};
    char err[SK_ERR_LEN] = "";
    struct safeguard *sg;
    size_t n = 0, phrases = 0, i;

    put(d, "eng.txt",
        "# added to the built-in English list\n"
        "\n"
        "neglect: left me alone\n"
        "   forced_work:   herd* goats\n");
    put(d, "prs.txt", "physical_abuse: مرا می زند\n"); /* Dari */
    put(d, "README", "not a phrase file\n");
    sg = safeguard_new(&o, err);
    assert_non_null(sg);
    hit(sg, "They left me ALONE at night", "neglect", "eng");
    hit(sg, "I herded goats for him", "forced_work", "eng");
    hit(sg, "پدرم مرا می زند", "physical_abuse", "prs");
    hit(sg, "he beats me", "physical_abuse", "eng"); /* built-in kept */
    n = safeguard_languages(sg);
    assert_int_equal(n, 5);
    for (i = 0; i < n; i++)
        if (strcmp(safeguard_language_at(sg, i, &phrases), "prs") == 0)
            assert_int_equal(phrases, 1);
    assert_null(safeguard_language_at(sg, n, NULL));
    safeguard_free(sg);

    put(d, "eng.txt", "neglect: left me alone\nbeating: hits me\n");
    load_fails(d, "eng.txt:2: unknown category \"beating\"");
    put(d, "eng.txt", "hits me\n");
    load_fails(d, "eng.txt:1: expected \"category: phrase\"");
    put(d, "eng.txt", "neglect:   \n");
    load_fails(d, "eng.txt:1: the phrase has no words");
    put(d, "eng.txt", "neglect: go*\n");
    load_fails(d, "eng.txt:1: a word ending in '*' needs 3 letters");
    put(d, "eng.txt",
        "neglect: a b c d e f g h i j k l m n o p q\n"); /* 17 words */
    load_fails(d, "eng.txt:1: more than 16 words");
    drop(d, "eng.txt");
    put(d, "english.txt", "neglect: left me alone\n");
    load_fails(d, "english.txt: a phrase file is named after its language");
    drop(d, "english.txt");
    put(d, "xqz.txt", "neglect: left me alone\n");
    load_fails(d, "xqz.txt: a phrase file is named after its language");
    drop(d, "xqz.txt");

    o.phrases = "/nonexistent/sikiliza-phrases";
    err[0] = '\0';
    assert_null(safeguard_new(&o, err));
    assert_non_null(strstr(err, "phrases /nonexistent/sikiliza-phrases"));
}

/* --- the referral -------------------------------------------------------- */

static void
test_referral_text(void **state)
{
    struct safeguard_opts o = {.helpline = "0800 123 456"};
    char err[SK_ERR_LEN] = "", buf[SAFEGUARD_REPLY_MAX];
    struct safeguard *sg = safeguard_new(&o, err), *dflt = builtin();

    (void)state;
    assert_non_null(sg);
    assert_non_null(strstr(safeguard_referral_text(sg, "eng", buf),
                           "Call 0800 123 456 for free"));
    assert_non_null(strstr(buf, "not your fault"));
    assert_non_null(strstr(buf, "will follow up"));
    assert_non_null(
        strstr(safeguard_referral_text(sg, "fra", buf), "le 0800 123 456"));
    assert_non_null(strstr(buf, "ta faute"));
    assert_non_null(
        strstr(safeguard_referral_text(sg, "ara", buf), "بالرقم 0800 123 456"));
    assert_non_null(strstr(safeguard_referral_text(sg, "swa", buf),
                           "Piga simu 0800 123 456"));
    /* another language, or none: English */
    assert_non_null(strstr(safeguard_referral_text(sg, "spa", buf),
                           "Thank you for telling us"));
    assert_non_null(strstr(safeguard_referral_text(sg, NULL, buf),
                           "Thank you for telling us"));
    assert_non_null(
        strstr(safeguard_referral_text(dflt, "eng", buf), SAFEGUARD_HELPLINE));
    assert_null(safeguard_referral_flow(dflt));
    safeguard_free(sg);
    safeguard_free(dflt);
}

/* --- on a store and the engine ------------------------------------------ */

/* A flow NAME that asks one question and waits (uuids from digit u). */
static char *
wait_flow(const char *name, char u)
{
    static const char tmpl[] =
        "{\"uuid\":\"%c0000000-0000-4000-8000-000000000001\","
        "\"name\":\"%s\",\"spec_version\":\"13.5.0\",\"language\":\"eng\","
        "\"type\":\"messaging\",\"revision\":1,\"expire_after_minutes\":60,"
        "\"localization\":{},\"nodes\":[{"
        "\"uuid\":\"%c0000000-0000-4000-8000-000000000002\","
        "\"actions\":[{\"uuid\":\"%c0000000-0000-4000-8000-000000000003\","
        "\"type\":\"send_msg\",\"text\":\"Question of %s\","
        "\"quick_replies\":[]}],"
        "\"router\":{\"type\":\"switch\",\"operand\":\"@input.text\","
        "\"cases\":[],\"categories\":[{"
        "\"uuid\":\"%c0000000-0000-4000-8000-000000000004\","
        "\"name\":\"Other\","
        "\"exit_uuid\":\"%c0000000-0000-4000-8000-000000000005\"}],"
        "\"default_category_uuid\":\"%c0000000-0000-4000-8000-000000000004\","
        "\"result_name\":\"Answer\",\"wait\":{\"type\":\"msg\"}},"
        "\"exits\":[{\"uuid\":\"%c0000000-0000-4000-8000-000000000005\","
        "\"destination_uuid\":null}]}]}";
    char *s = malloc(sizeof(tmpl) + 64);

    assert_non_null(s);
    snprintf(s, sizeof(tmpl) + 64, tmpl, u, name, u, u, name, u, u, u, u);
    return s;
}

struct storefx {
    struct dirfx d;
    struct store *st;
    struct flow_set *flows;
};

static int
store_setup(void **state)
{
    struct storefx *f = calloc(1, sizeof(*f));
    char path[PATH_MAX + 16], err[SK_ERR_LEN] = "", *a, *b;
    void *dstate = NULL;

    if (f == NULL || dir_setup(&dstate) != 0)
        return -1;
    f->d = *(struct dirfx *)dstate;
    free(dstate);
    snprintf(path, sizeof(path), "%s/s.db", f->d.dir);
    f->st = store_open(path, NULL, 8, err);
    f->flows = flow_set_new();
    if (f->st == NULL || f->flows == NULL)
        return -1;
    a = wait_flow("Survey", 'a');
    b = wait_flow("Referral", 'b');
    if (flow_set_add_json(f->flows, a, strlen(a), NULL, NULL) != 0 ||
        flow_set_add_json(f->flows, b, strlen(b), NULL, NULL) != 0 ||
        flow_set_link(f->flows, NULL, NULL) != 0)
        return -1;
    free(a);
    free(b);
    *state = f;
    return 0;
}

static int
store_teardown(void **state)
{
    struct storefx *f = *state;
    struct dirfx *d = malloc(sizeof(*d));

    store_close(f->st);
    flow_set_free(f->flows);
    if (d == NULL)
        return -1;
    *d = f->d;
    free(f);
    *state = d;
    return dir_teardown(state);
}

struct take {
    const struct safeguard *sg;
    struct flow_session *s;
    const char *text;
    int rc;
    json_t *events;
    int64_t alert;
};

static int
take_job(struct store_tx *tx, void *arg)
{
    struct take *t = arg;

    t->rc = safeguard_take(t->sg, tx, t->text, t->s, "ab12cd34ef", "demo",
                           1700000000000LL, &t->events, &t->alert);
    return t->rc < 0 ? t->rc : 0;
}

static int
take(struct storefx *f, const struct safeguard *sg, struct flow_session *s,
     const char *text, struct take *t)
{
    memset(t, 0, sizeof(*t));
    t->sg = sg;
    t->s = s;
    t->text = text;
    assert_int_equal(store_call(f->st, take_job, t), 0);
    return t->rc;
}

/* The events' "type" values (and run_ended statuses), one string. */
static void
event_types(const json_t *events, char *out, size_t n)
{
    size_t i, len = 0;

    out[0] = '\0';
    for (i = 0; i < json_array_size(events) && len < n; i++) {
        const json_t *ev = json_array_get(events, i);
        const char *st = json_string_value(json_object_get(ev, "status"));

        len +=
            (size_t)snprintf(out + len, n - len, "%s%s%s%s", i > 0 ? " " : "",
                             json_string_value(json_object_get(ev, "type")),
                             st != NULL ? ":" : "", st != NULL ? st : "");
    }
}

struct seen {
    int n;
    char text[512];
};

static int
seen_row(void *arg, const struct store_alert_row *row)
{
    struct seen *s = arg;
    size_t len = strlen(s->text);

    s->n++;
    snprintf(s->text + len, sizeof(s->text) - len, "%lld %s %s %s %s %s %d;",
             (long long)row->id, row->contact_key, row->channel,
             row->language != NULL ? row->language : "-", row->category,
             row->status, row->attempts);
    return 0;
}

static int
list_job(struct store_tx *tx, void *arg)
{
    return store_alert_list(tx, seen_row, arg);
}

static void
test_take_flow(void **state)
{
    struct storefx *f = *state;
    struct safeguard_opts o = {.flows = f->flows, .flow = "referral"};
    char err[SK_ERR_LEN] = "", types[256];
    struct safeguard *sg = safeguard_new(&o, err);
    struct flow_session *s = flow_session_new(NULL, 1);
    json_t *ev = json_array();
    struct seen seen = {0};
    struct take t;

    assert_non_null(sg);
    assert_ptr_equal(safeguard_referral_flow(sg),
                     flow_set_find(f->flows, "Referral"));
    /* a child in the middle of the survey */
    assert_int_equal(flow_start(f->flows, s, flow_set_find(f->flows, "Survey"),
                                NULL, 1700000000000LL, ev, err),
                     0);
    json_decref(ev);
    assert_int_equal(take(f, sg, s, "I hit the ball", &t), 0);
    assert_null(t.events);
    assert_int_equal(t.alert, 0);
    assert_int_equal(take(f, sg, s, "My uncle HITS me!", &t), 1);
    assert_true(t.alert > 0);
    event_types(t.events, types, sizeof(types));
    assert_string_equal(types, "run_ended:interrupted run_started msg_created "
                               "msg_wait");
    json_decref(t.events);
    assert_string_equal(flow_session_language(s), "eng");
    assert_int_equal(flow_session_status(s), FLOW_WAITING);
    assert_string_equal(flow_session_flow(s),
                        flow_uuid(flow_set_find(f->flows, "Referral")));
    /* answering the referral: no second start, no second alert */
    assert_int_equal(take(f, sg, s, "he beats me", &t), 0);
    assert_int_equal(store_call(f->st, list_job, &seen), 0);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.text, "1 ab12cd34ef demo eng physical_abuse "
                                   "pending 0;");
    flow_session_free(s);
    /* a French child: the flow has no French, the built-in message has */
    s = flow_session_new(NULL, 3);
    assert_int_equal(take(f, sg, s, "Il me frappe", &t), 1);
    assert_string_equal(flow_session_language(s), "fra");
    event_types(t.events, types, sizeof(types));
    assert_string_equal(types, "msg_created");
    assert_non_null(strstr(
        json_string_value(json_object_get(json_array_get(t.events, 0), "text")),
        "Ce n'est pas ta faute"));
    json_decref(t.events);
    /* a Dari child: neither has Dari, so the flow (in its own language) */
    flow_session_free(s);
    s = flow_session_new("prs", 4);
    assert_int_equal(take(f, sg, s, "he beats me", &t), 1);
    event_types(t.events, types, sizeof(types));
    assert_string_equal(types, "run_started msg_created msg_wait");
    json_decref(t.events);
    flow_session_free(s);
    safeguard_free(sg);

    o.flow = "No Such Flow";
    err[0] = '\0';
    assert_null(safeguard_new(&o, err));
    assert_non_null(strstr(err, "[safeguarding] flow: flow \"No Such Flow\""));
}

static void
test_take_builtin(void **state)
{
    struct storefx *f = *state;
    struct safeguard *sg = builtin();
    struct flow_session *s = flow_session_new("swa", 2);
    char err[SK_ERR_LEN] = "", types[256];
    json_t *ev = json_array();
    const char *text;
    struct take t;

    assert_int_equal(flow_start(f->flows, s, flow_set_find(f->flows, "Survey"),
                                NULL, 1700000000000LL, ev, err),
                     0);
    json_decref(ev);
    assert_int_equal(take(f, sg, s, "nimetelekezwa na wazazi", &t), 1);
    event_types(t.events, types, sizeof(types));
    assert_string_equal(types, "run_ended:interrupted msg_created");
    text =
        json_string_value(json_object_get(json_array_get(t.events, 1), "text"));
    assert_non_null(strstr(text, "Asante kwa kutuambia"));
    assert_non_null(strstr(text, SAFEGUARD_HELPLINE));
    json_decref(t.events);
    assert_int_equal(flow_session_status(s), FLOW_INTERRUPTED);
    assert_null(flow_session_flow(s));
    /* with no run at all, the message alone */
    assert_int_equal(take(f, sg, s, "Nataka kufa", &t), 1);
    event_types(t.events, types, sizeof(types));
    assert_string_equal(types, "msg_created");
    json_decref(t.events);
    flow_session_free(s);
    safeguard_free(sg);
}

/* --- the alert queries --------------------------------------------------- */

static int
due_collect(void *arg, const struct store_alert_row *row)
{
    return seen_row(arg, row);
}

static int
queries_job(struct store_tx *tx, void *arg)
{
    struct seen *due = arg;
    char key[STORE_ALERT_KEY_MAX];
    int64_t a, b, at;

    a = store_alert_add(tx, 1000, "k1", "demo", "eng", "self_harm");
    b = store_alert_add(tx, 2000, "k2", "sms", NULL, "neglect");
    if (a <= 0 || b <= a)
        return SK_EIO;
    if (store_alert_add(tx, 3000, NULL, "demo", NULL, "neglect") != SK_EINVAL)
        return SK_EIO;
    if (store_alert_contact(tx, b, key) != 0 || strcmp(key, "k2") != 0 ||
        store_alert_contact(tx, 99, key) != SK_ENOENT)
        return SK_EIO;
    /* due at 1500: the first only */
    if (store_alert_due(tx, 1500, 8, due_collect, due) != 0 || due->n != 1)
        return SK_EIO;
    if (store_alert_move(tx, a, "pending", "sending", 1, -1, 1500) != 1 ||
        store_alert_move(tx, a, "pending", "sending", 1, -1, 1500) != 0)
        return SK_EIO;
    if (store_alert_next_due(tx, &at) != 0 || at != 2000)
        return SK_EIO;
    if (store_alert_move(tx, b, "pending", "notified", 0, -1, 2500) != 1)
        return SK_EIO;
    if (store_alert_next_due(tx, &at) != 0 || at != -1)
        return SK_EIO;
    /* left 'sending' by a stop: pending again, due now */
    if (store_alert_recover(tx, 9000) != 1 ||
        store_alert_next_due(tx, &at) != 0 || at != 9000)
        return SK_EIO;
    /* erased with the contact: the alert stays, unlinked */
    if (store_contact_erase(tx, "k1") != 0 ||
        store_alert_contact(tx, a, key) != 0 || key[0] != '\0')
        return SK_EIO;
    return 0;
}

static void
test_queries(void **state)
{
    struct storefx *f = *state;
    struct seen due = {0}, all = {0};

    assert_int_equal(store_call(f->st, queries_job, &due), 0);
    assert_string_equal(due.text, "1 k1 demo eng self_harm pending 0;");
    assert_int_equal(store_call(f->st, list_job, &all), 0);
    assert_string_equal(all.text, "1  demo eng self_harm pending 1;"
                                  "2 k2 sms - neglect notified 0;");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_english),
        cmocka_unit_test(test_french),
        cmocka_unit_test(test_arabic),
        cmocka_unit_test(test_swahili),
        cmocka_unit_test(test_transcripts),
        cmocka_unit_test(test_not_disclosures),
        cmocka_unit_test_setup_teardown(test_phrase_files, dir_setup,
                                        dir_teardown),
        cmocka_unit_test(test_referral_text),
        cmocka_unit_test_setup_teardown(test_take_flow, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_take_builtin, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_queries, store_setup,
                                        store_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
