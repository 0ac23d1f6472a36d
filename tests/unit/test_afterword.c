/*
 * test_afterword.c - the kind reply after the survey has ended
 * (afterword.c): its text in each language, with and without a helpline
 * and a keyword; once a day per contact on a temporary database, kept
 * when the contact row is saved again, and again the next day.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "afterword.h"
#include "store.h"

#define T0   1700000000000LL
#define HOUR 3600000LL

static const char key_a[] =
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

static const char export_json[] =
    "{\"flows\": [{\"uuid\": \"f0000000-0000-4000-8000-00000000000a\","
    " \"name\": \"Survey\", \"spec_version\": \"14.4.2\", \"language\":"
    " \"eng\", \"type\": \"messaging\", \"nodes\": [{\"uuid\":"
    " \"n0000000-0000-4000-8000-00000000000a\", \"actions\": [{\"uuid\":"
    " \"a0000000-0000-4000-8000-00000000000a\", \"type\": \"send_msg\","
    " \"text\": \"Hello. Helpline: @globals.helpline\"}], \"exits\":"
    " [{\"uuid\": \"e0000000-0000-4000-8000-00000000000a\"}]}]}],"
    " \"triggers\": [{\"trigger_type\": \"K\", \"keywords\": [\"hi\"],"
    " \"flow\": {\"uuid\": \"f0000000-0000-4000-8000-00000000000a\","
    " \"name\": \"Survey\"}}],"
    " \"globals\": [{\"key\": \"helpline\", \"name\": \"Helpline\","
    " \"value\": \"116 111\"}]}";

struct fix {
    char dir[256], path[300];
    struct store *st;
    struct flow_set *flows;
};

struct call {
    const struct flow_set *flows;
    const char *lang;
    int64_t now;
    json_t *texts;
    bool sent;
    bool put_contact; /* save the contact row again after the reply */
};

static int
setup(void **state)
{
    struct fix *x = calloc(1, sizeof(*x));
    char err[SK_ERR_LEN] = "";
    const char *tmp = getenv("TMPDIR");

    assert_non_null(x);
    snprintf(x->dir, sizeof(x->dir), "%s/test_afterword.XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    assert_non_null(mkdtemp(x->dir));
    snprintf(x->path, sizeof(x->path), "%s/s.db", x->dir);
    x->st = store_open(x->path, NULL, 16, err);
    assert_non_null(x->st);
    x->flows = flow_set_new();
    assert_non_null(x->flows);
    /* the operator's helpline, before the export's */
    assert_int_equal(flow_set_set_global(x->flows, "helpline", "0800 1"), 0);
    assert_int_equal(flow_set_add_json(x->flows, export_json,
                                       strlen(export_json), NULL, NULL),
                     0);
    assert_int_equal(flow_set_link(x->flows, NULL, NULL), 0);
    *state = x;
    return 0;
}

static int
teardown(void **state)
{
    struct fix *x = *state;
    char cmd[320];

    store_close(x->st);
    flow_set_free(x->flows);
    snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", x->dir);
    assert_int_equal(system(cmd), 0);
    free(x);
    return 0;
}

static int
contact_job(struct store_tx *tx, void *arg)
{
    struct store_contact c;

    (void)arg;
    memset(&c, 0, sizeof(c));
    c.last_seen = T0;
    return store_contact_put(tx, key_a, &c);
}

static int
reply_job(struct store_tx *tx, void *arg)
{
    struct call *c = arg;
    int rc = afterword_reply(tx, key_a, c->lang, c->flows, c->now, c->texts,
                             &c->sent);

    if (rc == 0 && c->put_contact)
        rc = contact_job(tx, NULL);
    return rc;
}

/* One message at now: the reply text, or NULL when silent. Returns a
 * malloc'd copy. */
static char *
say(struct fix *x, const char *lang, int64_t now, bool put_contact)
{
    struct call c = {.flows = x->flows,
                     .lang = lang,
                     .now = now,
                     .texts = json_array(),
                     .put_contact = put_contact};
    char *out = NULL;

    assert_non_null(c.texts);
    assert_int_equal(store_call(x->st, reply_job, &c), 0);
    assert_int_equal(json_array_size(c.texts), c.sent ? 1 : 0);
    if (c.sent)
        out = strdup(json_string_value(json_array_get(c.texts, 0)));
    json_decref(c.texts);
    return out;
}

static void
test_text(void **state)
{
    char buf[AFTERWORD_TEXT_MAX];

    (void)state;
    assert_string_equal(afterword_text("eng", "116 111", "hi", buf),
                        "Thank you for your message. If you need help, call "
                        "the free helpline 116 111, any time. To take the "
                        "survey again, send HI.");
    assert_string_equal(afterword_text("fra", "116 111", "salut", buf),
                        "Merci pour ton message. Si tu as besoin d'aide, "
                        "appelle gratuitement la ligne d'\xc3\xa9"
                        "coute 116 111, \xc3\xa0 tout moment. Pour refaire "
                        "le sondage, envoie SALUT.");
    assert_non_null(
        strstr(afterword_text("ara", "116 111", "hi", buf), " 116 111 "));
    assert_non_null(
        strstr(afterword_text("swa", "116 111", "hi", buf), "Asante"));
    /* an unknown language reads English; no helpline, no keyword: thanks */
    assert_string_equal(afterword_text("xyz", NULL, NULL, buf),
                        "Thank you for your message.");
    assert_string_equal(afterword_text(NULL, "", "hi", buf),
                        "Thank you for your message. To take the survey "
                        "again, send HI.");
    /* a keyword in another script is kept as it is */
    assert_non_null(strstr(afterword_text("ara", NULL,
                                          "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8"
                                          "\xd8\xa7",
                                          buf),
                           "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7"));
}

static void
test_once_a_day(void **state)
{
    struct fix *x = *state;
    char *r;

    assert_int_equal(store_call(x->st, contact_job, NULL), 0);
    r = say(x, "eng", T0, true);
    assert_non_null(r);
    /* the operator's helpline, the set's first keyword */
    assert_non_null(strstr(r, "free helpline 0800 1, any time"));
    assert_non_null(strstr(r, "send HI."));
    free(r);
    /* the same day: silence, also after the contact row was saved */
    assert_null(say(x, "eng", T0 + HOUR, false));
    assert_null(say(x, "fra", T0 + 23 * HOUR, false));
    /* the next day: one more, in the child's language */
    r = say(x, "fra", T0 + 24 * HOUR, false);
    assert_non_null(r);
    assert_non_null(strstr(r, "Merci pour ton message."));
    free(r);
    assert_null(say(x, "fra", T0 + 25 * HOUR, false));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test_setup_teardown(test_once_a_day, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
