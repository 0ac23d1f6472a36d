/*
 * test_caps.c - the sending caps (against a real store in a temporary
 * directory) and the SMS segments of flow texts, expressions and all.
 */
#define _GNU_SOURCE /* open_memstream */

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "caps.h"
#include "config.h"
#include "flow.h"
#include "store.h"
#include "tmpdir.h"

static char *
repeat(const char *unit, size_t n)
{
    size_t len = strlen(unit);
    char *s = malloc(len * n + 1);

    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * len, unit, len);
    s[len * n] = '\0';
    return s;
}

static void
test_measure(void **state)
{
    struct caps_segments m;
    char *t;

    (void)state;
    t = repeat("a", 160);
    assert_int_equal(caps_measure(t, &m), 0);
    assert_int_equal(m.coding, GSM_CODING_GSM7);
    assert_int_equal(m.segments, 1);
    assert_int_equal(m.chars, 160);
    assert_false(m.at_least);
    free(t);
    t = repeat("a", 161);
    assert_int_equal(caps_measure(t, &m), 0);
    assert_int_equal(m.segments, 2);
    free(t);
    t = repeat("\xd8\xa7", 71); /* Arabic alef */
    assert_int_equal(caps_measure(t, &m), 0);
    assert_int_equal(m.coding, GSM_CODING_UCS2);
    assert_int_equal(m.segments, 2);
    assert_int_equal(m.chars, 71);
    free(t);

    /* expressions are left out and make the size a lower bound */
    assert_int_equal(caps_measure("Hi @contact.name, you said @results.feel_"
                                  "safe.category.",
                                  &m),
                     0);
    assert_true(m.at_least);
    assert_int_equal(m.chars, strlen("Hi , you said ."));
    assert_int_equal(caps_measure("@(upper(\"a ) b\")) ok", &m), 0);
    assert_true(m.at_least);
    assert_int_equal(m.chars, 3);
    /* "@@" is one "@"; an address is text */
    assert_int_equal(caps_measure("mail me@example.org @@home", &m), 0);
    assert_false(m.at_least);
    assert_int_equal(m.chars, strlen("mail me@example.org @home"));
    assert_int_equal(caps_measure("\xff", &m), -1);
}

static const char flow_json[] =
    "{\"uuid\": \"9b1f7f3e-2c47-4e0e-8a0b-6a5d3c2b1a01\","
    " \"name\": \"Cost\", \"spec_version\": \"13.5.0\", \"language\": \"eng\","
    " \"type\": \"messaging\", \"revision\": 1, \"expire_after_minutes\": 60,"
    " \"localization\": {\"ara\": {\"9b1f7f3e-2c47-4e0e-8a0b-6a5d3c2b1a03\":"
    "   {\"text\": [\"%s\"]}}},"
    " \"nodes\": [{\"uuid\": \"9b1f7f3e-2c47-4e0e-8a0b-6a5d3c2b1a02\","
    "   \"actions\": ["
    "    {\"uuid\": \"9b1f7f3e-2c47-4e0e-8a0b-6a5d3c2b1a03\","
    "     \"type\": \"send_msg\", \"text\": \"Short\", \"quick_replies\": []},"
    "    {\"uuid\": \"9b1f7f3e-2c47-4e0e-8a0b-6a5d3c2b1a04\","
    "     \"type\": \"send_msg\", \"text\": \"%s @input.text\","
    "     \"quick_replies\": []}],"
    "   \"exits\": [{\"uuid\": \"9b1f7f3e-2c47-4e0e-8a0b-6a5d3c2b1a05\","
    "     \"destination_uuid\": null}]}]}";

static void
test_report(void **state)
{
    struct flow_set *set = flow_set_new();
    char *ara = repeat("\xd8\xa7", 95), *eng = repeat("x", 320), *json;
    char *out = NULL;
    size_t len = 0, over;
    FILE *f;

    (void)state;
    assert_non_null(set);
    assert_true(asprintf(&json, flow_json, ara, eng) > 0);
    assert_int_equal(flow_set_add_json(set, json, strlen(json), NULL, NULL), 0);
    assert_int_equal(flow_set_link(set, NULL, NULL), 0);
    f = open_memstream(&out, &len);
    assert_non_null(f);
    over = caps_report_file(f, "cost.json", set, 0, flow_set_count(set), 1);
    fclose(f);
    assert_int_equal(over, 2);
    /* the node as the editor shows it: its first words, the uuid last */
    assert_non_null(strstr(out,
                           "cost.json: flow \"Cost\": node \"Short\" (uuid "
                           "9b1f7f3e-2c47-4e0e-8a0b-6a5d3c2b1a02): ara: "
                           "2 segments (UCS-2, 95 chars)\n"));
    assert_non_null(strstr(out, "node \"Short\" (uuid "
                                "9b1f7f3e-2c47-4e0e-8a0b-6a5d3c2b1a02): "
                                "eng: at least 3 segments (GSM-7, 321+ "
                                "chars)\n"));
    assert_null(strstr(out, ": eng: 1 segment")); /* "Short" is in limits */
    assert_non_null(strstr(out, "cost.json: 3 messages, 2 languages, most "
                                "segments: at least 3; 2 over 1\n"));
    free(out);
    out = NULL;
    f = open_memstream(&out, &len);
    over = caps_report_file(f, "cost.json", set, 0, flow_set_count(set), 5);
    fclose(f);
    assert_int_equal(over, 0);
    assert_string_equal(out, "cost.json: 3 messages, 2 languages, most "
                             "segments: at least 3\n");
    assert_int_equal(caps_log_long_texts(set, 2), 1);
    free(out);
    free(json);
    free(ara);
    free(eng);
    flow_set_free(set);
}

/* --- the caps, inside store jobs ----------------------------------------- */

struct fix {
    char dir[256];
    char path[300];
    struct store *st;
    struct config cfg;
    struct caps *caps;
};

static int
setup(void **state)
{
    struct fix *x = calloc(1, sizeof(*x));
    char err[SK_ERR_LEN] = "";
    static char name[] = "demo";

    assert_non_null(x);
    tmpdir_make(x->dir, sizeof(x->dir), "test_caps");
    snprintf(x->path, sizeof(x->path), "%s/s.db", x->dir);
    x->st = store_open(x->path, NULL, 16, err);
    assert_non_null(x->st);
    x->cfg.n_channels = 1;
    x->cfg.channels[0].name = name;
    x->cfg.max_replies_per_contact_day = 4;
    x->cfg.max_sends_per_channel_minute = 3;
    x->caps = caps_new(&x->cfg);
    assert_non_null(x->caps);
    *state = x;
    return 0;
}

static int
teardown(void **state)
{
    struct fix *x = *state;

    caps_free(x->caps);
    store_close(x->st);
    tmpdir_remove(x->dir);
    free(x);
    return 0;
}

struct apply {
    struct fix *x;
    const char *key;
    size_t ch;
    int64_t now;
    size_t n_in;  /* texts offered */
    size_t n_out; /* texts left */
    bool store;   /* keep what is left as an inbound reply */
    const char *id;
    uint64_t capped[CAPS_COUNT];
};

static int
apply_job(struct store_tx *tx, void *arg)
{
    struct apply *a = arg;
    json_t *texts = json_array();
    char *reply;
    int rc;

    for (size_t i = 0; i < a->n_in; i++)
        json_array_append_new(texts, json_string("hello"));
    rc = caps_apply(a->x->caps, tx, a->ch, a->key, texts, a->now, a->capped);
    a->n_out = json_array_size(texts);
    if (rc == 0 && a->store) {
        reply = json_dumps(texts, JSON_COMPACT);
        rc = store_inbound_put(tx, "demo", a->id, a->key, reply, a->now);
        free(reply);
    }
    json_decref(texts);
    return rc;
}

static int
outbox_job(struct store_tx *tx, void *arg)
{
    struct apply *a = arg;

    return store_outbox_put(tx, "demo", a->key, "hi", a->now, NULL);
}

static void
test_contact_day(void **state)
{
    struct fix *x = *state;
    int64_t t0 = 1700000000000LL;
    struct apply a = {
        .x = x, .key = "k1", .now = t0, .n_in = 2, .store = true, .id = "m1"};

    /* 2 replies, then 1 queued: 3 of 4 */
    assert_int_equal(store_call(x->st, apply_job, &a), 0);
    assert_int_equal(a.n_out, 2);
    assert_int_equal(store_call(x->st, outbox_job, &a), 0);
    /* a new minute: the channel cap is not in the way */
    a = (struct apply){.x = x,
                       .key = "k1",
                       .now = t0 + 60000,
                       .n_in = 3,
                       .store = true,
                       .id = "m2"};
    assert_int_equal(store_call(x->st, apply_job, &a), 0);
    assert_int_equal(a.n_out, 1);
    assert_int_equal(a.capped[CAPS_CONTACT_DAY], 2);
    /* another contact is not affected */
    a = (struct apply){
        .x = x, .key = "k2", .now = t0 + 120000, .n_in = 2, .id = "m3"};
    assert_int_equal(store_call(x->st, apply_job, &a), 0);
    assert_int_equal(a.n_out, 2);
    /* a day later the first one may get messages again */
    a = (struct apply){.x = x,
                       .key = "k1",
                       .now = t0 + 86400000 + 61000,
                       .n_in = 1,
                       .id = "m4"};
    assert_int_equal(store_call(x->st, apply_job, &a), 0);
    assert_int_equal(a.n_out, 1);
    assert_int_equal(a.capped[CAPS_CONTACT_DAY], 0);
}

static void
test_channel_minute(void **state)
{
    struct fix *x = *state;
    int64_t t0 = 1700000080000LL; /* 40 s into a minute */
    struct apply a = {.x = x, .key = "a", .now = t0, .n_in = 2};

    assert_int_equal(store_call(x->st, apply_job, &a), 0);
    assert_int_equal(a.n_out, 2);
    a = (struct apply){.x = x, .key = "b", .now = t0 + 1000, .n_in = 2};
    assert_int_equal(store_call(x->st, apply_job, &a), 0);
    assert_int_equal(a.n_out, 1);
    assert_int_equal(a.capped[CAPS_CHANNEL_MINUTE], 1);
    a = (struct apply){.x = x, .key = "c", .now = t0 + 2000, .n_in = 1};
    assert_int_equal(store_call(x->st, apply_job, &a), 0);
    assert_int_equal(a.n_out, 0);
    /* the next minute */
    a = (struct apply){.x = x, .key = "c", .now = t0 + 20000, .n_in = 1};
    assert_int_equal(store_call(x->st, apply_job, &a), 0);
    assert_int_equal(a.n_out, 1);
    /* a channel the config does not know takes no minute cap */
    a = (struct apply){
        .x = x, .key = "d", .now = t0 + 21000, .n_in = 3, .ch = 7};
    assert_int_equal(store_call(x->st, apply_job, &a), 0);
    assert_int_equal(a.n_out, 3);
}

struct safe_apply {
    struct fix *x;
    int64_t now;
    const char *const *in; /* NULL-terminated */
    bool all_safe;
    json_t *out; /* what is left */
    uint64_t capped[CAPS_COUNT];
};

static int
safe_job(struct store_tx *tx, void *arg)
{
    struct safe_apply *a = arg;
    char *reply;
    int rc;

    a->out = json_array();
    for (size_t i = 0; a->in[i] != NULL; i++)
        json_array_append_new(a->out, json_string(a->in[i]));
    rc = caps_apply_safe(a->x->caps, tx, 0, "k9", a->out, a->now, a->all_safe,
                         "116 111", a->capped);
    reply = json_dumps(a->out, JSON_COMPACT);
    if (rc == 0) /* the reply is stored, as inbound.c does: it counts */
        rc = store_inbound_put(tx, "demo", reply, "k9", reply, a->now);
    free(reply);
    return rc;
}

/* A child who has used up the day's cap still gets the referral and any
 * text naming the helpline, which count; other texts are dropped. */
static void
test_safeguarding_kept(void **state)
{
    struct fix *x = *state;
    int64_t t0 = 1700000000000LL;
    static const char *const four[] = {"q1", "q2", "q3", "q4", NULL};
    static const char *const mixed[] = {
        "next question", "Call 116 111 for free", "more", "116-111 any time",
        "call 116 11 1", "dial 116111",           NULL};
    static const char *const referral[] = {
        "Thank you for telling us.", "Do you want a call? 1 Yes 2 No", NULL};
    struct safe_apply a = {.x = x, .now = t0, .in = four};

    /* the day's 4 used up (over two minutes: 3 a minute) */
    assert_int_equal(store_call(x->st, safe_job, &a), 0);
    assert_int_equal(json_array_size(a.out), 3);
    json_decref(a.out);
    a = (struct safe_apply){.x = x, .now = t0 + 60000, .in = four};
    assert_int_equal(store_call(x->st, safe_job, &a), 0);
    assert_int_equal(json_array_size(a.out), 1);
    json_decref(a.out);
    /* over the cap: only the texts naming the helpline are left, in
     * order; "116 11 1" is that number too, "116111" with digits only */
    a = (struct safe_apply){.x = x, .now = t0 + 120000, .in = mixed};
    assert_int_equal(store_call(x->st, safe_job, &a), 0);
    assert_int_equal(json_array_size(a.out), 4);
    assert_string_equal(json_string_value(json_array_get(a.out, 0)),
                        "Call 116 111 for free");
    assert_string_equal(json_string_value(json_array_get(a.out, 1)),
                        "116-111 any time");
    assert_string_equal(json_string_value(json_array_get(a.out, 3)),
                        "dial 116111");
    assert_int_equal(a.capped[CAPS_CONTACT_DAY], 2);
    json_decref(a.out);
    /* a disclosure's referral: every text, over both caps */
    a = (struct safe_apply){
        .x = x, .now = t0 + 120000, .in = referral, .all_safe = true};
    assert_int_equal(store_call(x->st, safe_job, &a), 0);
    assert_int_equal(json_array_size(a.out), 2);
    assert_int_equal(a.capped[CAPS_CONTACT_DAY], 0);
    assert_int_equal(a.capped[CAPS_CHANNEL_MINUTE], 0);
    json_decref(a.out);
    /* the same texts without the flag are dropped: the cap still holds,
     * and the safeguarding replies were counted */
    a = (struct safe_apply){.x = x, .now = t0 + 180000, .in = referral};
    assert_int_equal(store_call(x->st, safe_job, &a), 0);
    assert_int_equal(json_array_size(a.out), 0);
    assert_int_equal(a.capped[CAPS_CONTACT_DAY], 2);
    json_decref(a.out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_measure),
        cmocka_unit_test(test_report),
        cmocka_unit_test_setup_teardown(test_contact_day, setup, teardown),
        cmocka_unit_test_setup_teardown(test_channel_minute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_safeguarding_kept, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
