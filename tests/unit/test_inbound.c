/*
 * test_inbound.c - the inbound step (inbound_run) through the real store
 * on a temporary database: each message is a store_call() job, as the
 * gateway submits it, and each case checks the rows it left and the reply
 * texts it stored (for a voice call, the call's next step).
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "caps.h"
#include "channel.h"
#include "config.h"
#include "failalloc.h"
#include "flow.h"
#include "inbound.h"
#include "optout.h"
#include "safeguard.h"
#include "store.h"
#include "store_int.h"
#include "sweep.h"
#include "tmpdir.h"

#define T0 1700000000000LL

/* A flow that greets, asks, and waits a minute for the answer; a timeout
 * asks again. */
static const char ping_json[] =
    "{\"uuid\": \"5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b01\", \"name\": \"Ping\","
    " \"spec_version\": \"13.5.0\", \"language\": \"eng\","
    " \"type\": \"messaging\", \"revision\": 1, \"expire_after_minutes\": 60,"
    " \"localization\": {},"
    " \"nodes\": ["
    "  {\"uuid\": \"5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b02\", \"actions\": ["
    "    {\"uuid\": \"5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b03\","
    "     \"type\": \"send_msg\", \"text\": \"Hello.\", \"quick_replies\": []},"
    "    {\"uuid\": \"5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b0a\","
    "     \"type\": \"send_msg\", \"text\": \"How are you?\","
    "     \"quick_replies\": []}],"
    "   \"exits\": [{\"uuid\": \"5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b04\","
    "     \"destination_uuid\": \"5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b05\"}]},"
    "  {\"uuid\": \"5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b05\", \"actions\": [],"
    "   \"router\": {\"type\": \"switch\", \"operand\": \"@input.text\","
    "    \"cases\": [], \"categories\": ["
    "     {\"uuid\": \"5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b06\","
    "      \"name\": \"Other\","
    "      \"exit_uuid\": \"5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b07\"},"
    "     {\"uuid\": \"5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b08\","
    "      \"name\": \"No Response\","
    "      \"exit_uuid\": \"5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b09\"}],"
    "    \"default_category_uuid\": \"5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b06\","
    "    \"result_name\": \"Answer\","
    "    \"wait\": {\"type\": \"msg\", \"timeout\": {\"seconds\": 60,"
    "     \"category_uuid\": \"5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b08\"}}},"
    "   \"exits\": ["
    "    {\"uuid\": \"5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b07\","
    "     \"destination_uuid\": null},"
    "    {\"uuid\": \"5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b09\","
    "     \"destination_uuid\": \"5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b02\"}]}]}";

static const char key_a[] =
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char key_b[] =
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
static const char erase_key[] =
    "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

/* The clock the context reads: the test sets it before each message. */
static int64_t test_clock = T0;

static int64_t
clock_now(void)
{
    return test_clock;
}

struct fix {
    char dir[256];
    char path[300];
    struct store *st;
    struct flow_set *flows;
    struct config cfg;
    struct caps *caps;
    const struct channel_type *types[CONFIG_MAX_CHANNELS];
    char *stop[CONFIG_MAX_WORDS], *del[CONFIG_MAX_WORDS];
    struct inbound_ctx ctx;
};

static int
setup(void **state)
{
    static char *stop_words[] = {"STOP"}, *delete_words[] = {"DELETE"};
    static char demo[] = "demo", futa[] = "futa", ping[] = "Ping";
    struct fix *x = calloc(1, sizeof(*x));
    char err[SK_ERR_LEN] = "";

    assert_non_null(x);
    tmpdir_make(x->dir, sizeof(x->dir), "test_inbound");
    snprintf(x->path, sizeof(x->path), "%s/s.db", x->dir);
    x->st = store_open(x->path, NULL, 16, err);
    assert_non_null(x->st);
    x->flows = flow_set_new();
    assert_non_null(x->flows);
    assert_int_equal(
        flow_set_add_json(x->flows, ping_json, strlen(ping_json), NULL, NULL),
        0);
    assert_int_equal(flow_set_link(x->flows, NULL, NULL), 0);
    x->cfg.n_channels = 2;
    x->cfg.channels[0].name = demo; /* replies in the webhook response */
    x->cfg.channels[1].name = futa; /* replies through the outbox */
    x->types[0] = channel_find("generic");
    x->types[1] = channel_find("africastalking");
    assert_non_null(x->types[0]);
    assert_non_null(x->types[1]);
    assert_true(x->types[0]->sync_reply);
    assert_false(x->types[1]->sync_reply);
    x->cfg.default_flow = ping;
    x->cfg.expire_minutes = 10080;
    x->cfg.vault_days = 30;
    x->cfg.max_replies_per_inbound = 10;
    x->cfg.max_replies_per_contact_day = 50;
    x->cfg.max_sends_per_channel_minute = 600;
    x->caps = caps_new(&x->cfg);
    assert_non_null(x->caps);
    assert_int_equal(optout_fold_words(stop_words, 1, x->stop), 0);
    assert_int_equal(optout_fold_words(delete_words, 1, x->del), 0);
    x->ctx = (struct inbound_ctx){.cfg = &x->cfg,
                                  .flows = x->flows,
                                  .caps = x->caps,
                                  .types = x->types,
                                  .stop_folded = x->stop,
                                  .n_stop = 1,
                                  .delete_folded = x->del,
                                  .n_delete = 1,
                                  .now = clock_now};
    test_clock = T0;
    *state = x;
    return 0;
}

static int
teardown(void **state)
{
    struct fix *x = *state;

    optout_words_free(x->stop, 1);
    optout_words_free(x->del, 1);
    caps_free(x->caps);
    store_close(x->st);
    flow_set_free(x->flows);
    tmpdir_remove(x->dir);
    free(x);
    return 0;
}

/* One message from the contact with key on channel ch, run as a store
 * job at time now. job must be cleared by the caller. */
static int
say_arm(struct fix *x, struct inbound_job *job, size_t ch, const char *key,
        const char *id, const char *text, int64_t now, long fail_at)
{
    int rc;

    inbound_job_init(job, &x->ctx, ch);
    strcpy(job->key, key);
    job->text = strdup(text);
    job->external_id = strdup(id);
    /* as privacy_dedupe_id() would name it (no key file here) */
    snprintf(job->dedupe_id, sizeof(job->dedupe_id), "#%s", id);
    job->vault = (unsigned char *)strdup("sealed");
    job->vault_len = 6;
    assert_non_null(job->text);
    assert_non_null(job->external_id);
    assert_non_null(job->vault);
    test_clock = now;
    if (fail_at > 0)
        failalloc_arm(fail_at, false);
    rc = store_call(x->st, inbound_run, job);
    failalloc_disarm();
    return rc;
}

/* As say_arm(), with no allocation failing. */
static int
say(struct fix *x, struct inbound_job *job, size_t ch, const char *key,
    const char *id, const char *text, int64_t now)
{
    return say_arm(x, job, ch, key, id, text, now, 0);
}

/* The reply texts of job, joined by '|'. */
static void
assert_reply(const struct inbound_job *job, const char *want)
{
    json_t *v = json_loads(job->reply != NULL ? job->reply : "", 0, NULL);
    char got[512] = "";
    size_t i;

    assert_true(json_is_array(v));
    for (i = 0; i < json_array_size(v); i++) {
        if (i > 0)
            strcat(got, "|");
        strncat(got, json_string_value(json_array_get(v, i)),
                sizeof(got) - strlen(got) - 2);
    }
    json_decref(v);
    assert_string_equal(got, want);
}

struct query {
    const char *sql;
    int64_t n;
};

static int
query_job(struct store_tx *tx, void *arg)
{
    struct query *q = arg;
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(store_tx_sqlite(tx), q->sql, -1, &st, NULL) !=
        SQLITE_OK)
        return SK_EIO;
    rc = sqlite3_step(st);
    q->n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : SK_EIO;
}

/* The one integer the SELECT sql gives. */
static int64_t
sql_int(struct fix *x, const char *sql)
{
    struct query q = {sql, -1};

    assert_int_equal(store_call(x->st, query_job, &q), 0);
    return q.n;
}

static int
contact_put_job(struct store_tx *tx, void *arg)
{
    struct store_contact c;

    memset(&c, 0, sizeof(c));
    c.session = arg;
    c.last_seen = T0;
    return store_contact_put(tx, key_a, &c);
}

static void
test_duplicate(void **state)
{
    struct fix *x = *state;
    struct inbound_job job;

    assert_int_equal(say(x, &job, 0, key_a, "m1", "hi", T0), 0);
    assert_string_equal(job.status, "started");
    assert_reply(&job, "Hello.|How are you?");
    inbound_job_clear(&job);
    /* the provider retries: the same reply, nothing else changes */
    assert_int_equal(say(x, &job, 0, key_a, "m1", "hi", T0 + 5000), 0);
    assert_string_equal(job.status, "duplicate");
    assert_reply(&job, "Hello.|How are you?");
    inbound_job_clear(&job);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM inbound"), 1);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM results"), 0);
    assert_int_equal(sql_int(x, "SELECT last_seen FROM contacts"), T0);
    /* the answer resumes the run and is stored as a result */
    assert_int_equal(say(x, &job, 0, key_a, "m2", "fine", T0 + 6000), 0);
    assert_string_equal(job.status, "resumed");
    assert_reply(&job, "");
    inbound_job_clear(&job);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM results WHERE "
                                "name = 'Answer' AND value = 'fine' AND "
                                "category = 'Other' AND flow_name = 'Ping'"),
                     1);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM inbound"), 2);
    assert_int_equal(sql_int(x, "SELECT timeout_at + expires_at FROM contacts"),
                     0); /* the run is over: nothing is due */
}

static void
test_stop(void **state)
{
    struct fix *x = *state;
    struct inbound_job job;
    char stop[OPTOUT_STOP_REPLY_MAX];

    /* on the outbox channel: the questions are queued, not replied */
    assert_int_equal(say(x, &job, 1, key_a, "m1", "hi", T0), 0);
    assert_string_equal(job.status, "started");
    assert_int_equal(job.queued, 2);
    assert_reply(&job, "");
    inbound_job_clear(&job);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM outbox WHERE "
                                "status = 'queued' AND channel = 'futa'"),
                     2);
    /* STOP mid-survey: the run ends, the queue is cancelled, the
     * confirmation goes out, and nothing is due any more */
    assert_int_equal(say(x, &job, 1, key_a, "m2", " stop ", T0 + 1000), 0);
    assert_string_equal(job.status, "opted_out");
    assert_int_equal(job.queued, 1);
    inbound_job_clear(&job);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM outbox WHERE "
                                "status = 'queued'"),
                     1);
    assert_int_equal(sql_int(x, "SELECT opted_out FROM contacts"), 1);
    assert_int_equal(sql_int(x, "SELECT timeout_at + expires_at FROM contacts"),
                     0);
    /* later messages are ignored */
    assert_int_equal(say(x, &job, 1, key_a, "m3", "hello?", T0 + 2000), 0);
    assert_string_equal(job.status, "ignored");
    assert_int_equal(job.queued, 0);
    inbound_job_clear(&job);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM outbox"), 3);
    /* on a channel replying in its response the confirmation is the
     * reply */
    assert_int_equal(say(x, &job, 0, key_b, "m4", "hi", T0 + 3000), 0);
    inbound_job_clear(&job);
    assert_int_equal(say(x, &job, 0, key_b, "m5", "STOP", T0 + 4000), 0);
    assert_string_equal(job.status, "opted_out");
    assert_reply(
        &job, optout_stop_reply("eng", flow_set_keyword_at(x->flows, 0), stop));
    inbound_job_clear(&job);
}

/* A voice call's step (as voice.c sends it) on channel 1. */
static int
call_step(struct fix *x, struct inbound_job *job, const char *key,
          const char *id, const char *text, bool start,
          enum flow_resume_type resume, int64_t now)
{
    inbound_job_init(job, &x->ctx, 1);
    strcpy(job->key, key);
    job->text = strdup(text);
    job->external_id = strdup(id);
    job->vault = (unsigned char *)strdup("sealed");
    job->vault_len = 6;
    job->voice = true;
    job->resume = resume;
    job->start_flow = start ? flow_set_find(x->flows, "Ping") : NULL;
    test_clock = now;
    return store_call(x->st, inbound_run, job);
}

/* Whether the stored call step of job has a wait, and its prompts' texts
 * joined by '|' into got. */
static bool
call_reply(const struct inbound_job *job, char *got, size_t cap)
{
    json_t *o = json_loads(job->reply != NULL ? job->reply : "", 0, NULL);
    json_t *p = json_object_get(o, "prompts"), *v;
    bool wait = json_object_get(o, "wait") != NULL;
    size_t i;

    assert_true(json_is_array(p));
    got[0] = '\0';
    json_array_foreach(p, i, v)
    {
        if (i > 0)
            strncat(got, "|", cap - strlen(got) - 1);
        strncat(got, json_string_value(json_object_get(v, "text")),
                cap - strlen(got) - 1);
    }
    json_decref(o);
    return wait;
}

static void
test_voice_call(void **state)
{
    struct fix *x = *state;
    struct inbound_job job;
    char got[512], stop[OPTOUT_STOP_REPLY_MAX];

    /* the call starts the flow: its prompts are the call's answer, not
     * queued as SMS even on a channel replying through the outbox */
    assert_int_equal(
        call_step(x, &job, key_a, "CA1#0", "", true, FLOW_RESUME_MSG, T0), 0);
    assert_string_equal(job.status, "started");
    assert_int_equal(job.queued, 0);
    assert_true(call_reply(&job, got, sizeof(got)));
    assert_string_equal(got, "Hello.|How are you?");
    inbound_job_clear(&job);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM outbox"), 0);
    /* the provider times the call's waits: nothing for the sweep, and an
     * abandoned call expires soon */
    assert_int_equal(sql_int(x, "SELECT timeout_at FROM contacts"), 0);
    assert_true(sql_int(x, "SELECT expires_at FROM contacts") <=
                T0 + 5 * 60 * 1000);
    /* no input: the wait's timeout asks again */
    assert_int_equal(call_step(x, &job, key_a, "CA1#1", "", false,
                               FLOW_RESUME_TIMEOUT, T0 + 1000),
                     0);
    assert_string_equal(job.status, "resumed");
    assert_true(call_reply(&job, got, sizeof(got)));
    assert_string_equal(got, "Hello.|How are you?");
    inbound_job_clear(&job);
    /* a retried callback: the same answer */
    assert_int_equal(call_step(x, &job, key_a, "CA1#1", "", false,
                               FLOW_RESUME_TIMEOUT, T0 + 2000),
                     0);
    assert_string_equal(job.status, "duplicate");
    inbound_job_clear(&job);
    /* STOP, spoken (a transcript): the call ends after the confirmation */
    assert_int_equal(call_step(x, &job, key_a, "CA1#2", "stop", false,
                               FLOW_RESUME_MSG, T0 + 3000),
                     0);
    assert_string_equal(job.status, "opted_out");
    assert_false(call_reply(&job, got, sizeof(got)));
    assert_string_equal(
        got, optout_stop_reply("eng", flow_set_keyword_at(x->flows, 0), stop));
    inbound_job_clear(&job);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM outbox"), 0);
    /* a later step of that call finds nothing waiting: it hangs up */
    assert_int_equal(call_step(x, &job, key_a, "CA1#3", "1", false,
                               FLOW_RESUME_MSG, T0 + 4000),
                     0);
    assert_string_equal(job.status, "ignored");
    assert_false(call_reply(&job, got, sizeof(got)));
    inbound_job_clear(&job);
    /* another call: DELETE erases the contact, the call ends */
    assert_int_equal(call_step(x, &job, key_b, "CA2#0", "", true,
                               FLOW_RESUME_MSG, T0 + 5000),
                     0);
    inbound_job_clear(&job);
    assert_int_equal(call_step(x, &job, key_b, "CA2#1", "delete", false,
                               FLOW_RESUME_MSG, T0 + 6000),
                     0);
    assert_string_equal(job.status, "erased");
    assert_false(call_reply(&job, got, sizeof(got)));
    assert_true(got[0] != '\0');
    inbound_job_clear(&job);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM contacts"), 1);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM outbox"), 0);
}

/* A disclosure in a call's transcript: the run is interrupted, the
 * referral is the call's next step (spoken, not an SMS), one alert. */
static void
test_voice_disclosure(void **state)
{
    struct fix *x = *state;
    struct inbound_job job;
    char got[1024], err[SK_ERR_LEN] = "";
    struct safeguard *sg = safeguard_new(NULL, err);

    assert_non_null(sg);
    x->ctx.safeguard = sg;
    assert_int_equal(
        call_step(x, &job, key_a, "CA9#0", "", true, FLOW_RESUME_MSG, T0), 0);
    inbound_job_clear(&job);
    assert_int_equal(call_step(x, &job, key_a, "CA9#1",
                               "my father beats me every day", false,
                               FLOW_RESUME_MSG, T0 + 1000),
                     0);
    assert_string_equal(job.status, "disclosure");
    assert_int_equal(job.alert_id, 1);
    assert_false(call_reply(&job, got, sizeof(got)));
    assert_non_null(strstr(got, "Thank you for telling us"));
    assert_non_null(strstr(got, "116 111"));
    assert_null(strstr(got, "How are you?"));
    inbound_job_clear(&job);
    assert_int_equal(
        sql_int(x, "SELECT count(*) FROM alerts WHERE "
                   "category = 'physical_abuse' AND "
                   "channel = 'futa' AND contact_key LIKE 'aaaaaaaa%'"),
        1);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM outbox"), 0);
    x->ctx.safeguard = NULL;
    safeguard_free(sg);
}

static void
test_delete(void **state)
{
    struct fix *x = *state;
    struct inbound_job job;

    assert_int_equal(say(x, &job, 0, key_a, "m1", "hi", T0), 0);
    inbound_job_clear(&job);
    assert_int_equal(say(x, &job, 0, key_a, "m2", "good", T0 + 1000), 0);
    inbound_job_clear(&job);
    assert_int_equal(say(x, &job, 0, key_b, "m3", "hi", T0 + 1000), 0);
    inbound_job_clear(&job);
    assert_int_equal(say(x, &job, 0, key_a, "m4", "Delete", T0 + 2000), 0);
    assert_string_equal(job.status, "erased");
    assert_true(job.erased);
    assert_reply(&job, optout_erase_reply("eng", "delete"));
    inbound_job_clear(&job);
    /* no row holds the key; the other contact keeps everything */
    assert_int_equal(sql_int(x, "SELECT (SELECT count(*) FROM contacts WHERE "
                                "key LIKE 'a%') + (SELECT count(*) FROM "
                                "results WHERE contact_key LIKE 'a%') + "
                                "(SELECT count(*) FROM vault WHERE "
                                "contact_key LIKE 'a%') + (SELECT count(*) "
                                "FROM inbound WHERE contact_key LIKE 'a%')"),
                     0);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM contacts"), 1);
    /* the erased contact's dedupe rows went with the provider's ids; the
     * DELETE's own is kept under its hash, with no key, for a retry */
    assert_int_equal(sql_int(x, "SELECT count(*) FROM inbound"), 2);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM inbound WHERE "
                                "external_id = '#m4' AND contact_key = ''"),
                     1);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM inbound WHERE "
                                "external_id IN ('m1', 'm2', 'm4')"),
                     0);
    /* a retry of the DELETE is answered as before, nothing more happens */
    assert_int_equal(say(x, &job, 0, key_a, "m4", "Delete", T0 + 2500), 0);
    assert_string_equal(job.status, "duplicate");
    assert_reply(&job, optout_erase_reply("eng", "delete"));
    inbound_job_clear(&job);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM inbound"), 2);
    /* on the outbox channel the confirmation goes under a one-time key */
    assert_int_equal(say(x, &job, 1, key_b, "m5", "DELETE", T0 + 3000), 0);
    assert_string_equal(job.status, "erased");
    assert_int_equal(job.queued, 0); /* no one-time address: not sent */
    inbound_job_clear(&job);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM contacts"), 0);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM outbox"), 0);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM vault"), 0);
}

/* A number keyed before numbers were made E.164 has an old key too:
 * DELETE erases under both, and nothing else. */
static void
test_delete_legacy_key(void **state)
{
    struct fix *x = *state;
    struct inbound_job job;
    static const char key_c[] =
        "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

    /* the child's answers under the old key and the new one */
    assert_int_equal(say(x, &job, 0, key_b, "m1", "hi", T0), 0);
    inbound_job_clear(&job);
    assert_int_equal(say(x, &job, 0, key_b, "m2", "good", T0 + 1000), 0);
    inbound_job_clear(&job);
    assert_int_equal(say(x, &job, 0, key_a, "m3", "hi", T0 + 2000), 0);
    inbound_job_clear(&job);
    assert_int_equal(say(x, &job, 0, key_c, "m4", "hi", T0 + 2000), 0);
    inbound_job_clear(&job);
    inbound_job_init(&job, &x->ctx, 0);
    strcpy(job.key, key_a);
    strcpy(job.legacy_key, key_b);
    strcpy(job.dedupe_id, "#m5");
    job.text = strdup("delete");
    job.external_id = strdup("m5");
    job.vault = (unsigned char *)strdup("sealed");
    job.vault_len = 6;
    test_clock = T0 + 3000;
    assert_int_equal(store_call(x->st, inbound_run, &job), 0);
    assert_string_equal(job.status, "erased");
    inbound_job_clear(&job);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM contacts WHERE key "
                                "LIKE 'a%' OR key LIKE 'b%'"),
                     0);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM results WHERE "
                                "contact_key LIKE 'b%'"),
                     0);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM inbound WHERE "
                                "contact_key LIKE 'a%' OR contact_key "
                                "LIKE 'b%'"),
                     0);
    /* another child is untouched */
    assert_int_equal(sql_int(x, "SELECT count(*) FROM contacts WHERE key "
                                "LIKE 'c%'"),
                     1);
}

/* DELETE on the outbox channel with its one-time address. */
static void
test_delete_queued(void **state)
{
    struct fix *x = *state;
    struct inbound_job job;

    inbound_job_init(&job, &x->ctx, 1);
    strcpy(job.key, key_a);
    strcpy(job.erase_key, erase_key);
    job.text = strdup("delete");
    job.external_id = strdup("m1");
    strcpy(job.dedupe_id, "#m1");
    job.vault = (unsigned char *)strdup("sealed");
    job.vault_len = 6;
    job.erase_vault = (unsigned char *)strdup("other");
    job.erase_vault_len = 5;
    assert_int_equal(store_call(x->st, inbound_run, &job), 0);
    assert_string_equal(job.status, "erased");
    assert_int_equal(job.queued, 1);
    assert_reply(&job, "");
    inbound_job_clear(&job);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM outbox WHERE "
                                "contact_key LIKE 'e%'"),
                     1);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM vault WHERE "
                                "contact_key LIKE 'e%' AND expires_at = "
                                "1700086400000"),
                     1);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM inbound WHERE "
                                "contact_key = ''"),
                     1);
}

static void
test_timeout_expiry(void **state)
{
    struct fix *x = *state;
    struct inbound_job job;
    struct sweep_job *sw = calloc(1, sizeof(*sw));

    assert_non_null(sw);

    assert_int_equal(say(x, &job, 0, key_a, "m1", "hi", T0), 0);
    inbound_job_clear(&job);
    /* the wait times out in a minute; the run expires in an hour */
    assert_int_equal(sql_int(x, "SELECT timeout_at FROM contacts"), T0 + 60000);
    assert_int_equal(sql_int(x, "SELECT expires_at FROM contacts"),
                     T0 + 3600000);
    assert_int_equal(sql_int(x, "SELECT expires_at FROM vault"),
                     T0 + 30 * 86400000LL);
    /* the sweep: nothing is due before the minute, then the timeout asks
     * again through the outbox */
    memset(sw, 0, sizeof(*sw));
    sw->ctx = &x->ctx;
    test_clock = T0 + 59999;
    assert_int_equal(store_call(x->st, sweep_run, sw), 0);
    assert_int_equal(sw->resumed, 0);
    memset(sw, 0, sizeof(*sw));
    sw->ctx = &x->ctx;
    test_clock = T0 + 60000;
    assert_int_equal(store_call(x->st, sweep_run, sw), 0);
    assert_int_equal(sw->resumed, 1);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM outbox WHERE "
                                "channel = 'demo' AND text = 'Hello.'"),
                     1);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM results WHERE "
                                "category = 'No Response'"),
                     1);
    assert_int_equal(sql_int(x, "SELECT timeout_at FROM contacts"),
                     T0 + 120000);
    /* a USSD step waits without a timeout and expires after 5 idle
     * minutes */
    inbound_job_init(&job, &x->ctx, 0);
    strcpy(job.key, key_b);
    job.text = strdup("");
    job.external_id = strdup("s1#");
    job.vault = (unsigned char *)strdup("sealed");
    job.vault_len = 6;
    job.ussd = job.ussd_start = true;
    test_clock = T0;
    assert_int_equal(store_call(x->st, inbound_run, &job), 0);
    assert_string_equal(job.status, "started");
    assert_non_null(strstr(job.reply, "\"screen\":\"CON Hello."));
    inbound_job_clear(&job);
    assert_int_equal(sql_int(x, "SELECT timeout_at FROM contacts WHERE "
                                "key LIKE 'b%'"),
                     0);
    assert_int_equal(sql_int(x, "SELECT expires_at FROM contacts WHERE "
                                "key LIKE 'b%'"),
                     T0 + 300000);
    free(sw);
}

static void
test_caps(void **state)
{
    struct fix *x = *state;
    struct inbound_job job;

    x->cfg.max_replies_per_inbound = 1;
    x->cfg.max_replies_per_contact_day = 2;
    caps_free(x->caps);
    x->ctx.caps = x->caps = caps_new(&x->cfg);
    assert_non_null(x->caps);
    assert_int_equal(say(x, &job, 0, key_a, "m1", "hi", T0), 0);
    assert_reply(&job, "Hello.");
    assert_int_equal(job.dropped, 1);
    inbound_job_clear(&job);
    assert_int_equal(say(x, &job, 0, key_a, "m2", "fine", T0 + 1000), 0);
    inbound_job_clear(&job);
    assert_int_equal(say(x, &job, 0, key_a, "m3", "hi", T0 + 2000), 0);
    assert_reply(&job, "Hello.");
    assert_int_equal(job.dropped, 1);
    inbound_job_clear(&job);
    assert_int_equal(say(x, &job, 0, key_a, "m4", "fine", T0 + 3000), 0);
    inbound_job_clear(&job);
    /* a third reply within the day is over the contact's cap */
    assert_int_equal(say(x, &job, 0, key_a, "m5", "hi", T0 + 4000), 0);
    assert_reply(&job, "");
    assert_int_equal(job.capped[CAPS_CONTACT_DAY], 1);
    inbound_job_clear(&job);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM inbound WHERE "
                                "reply = '[]'"),
                     3);
}

static void
test_flow_error(void **state)
{
    struct fix *x = *state;
    struct inbound_job job;
    char bad[] = "{not a session";

    /* an unreadable stored session: the contact starts afresh */
    assert_int_equal(store_call(x->st, contact_put_job, bad), 0);
    assert_int_equal(say(x, &job, 0, key_a, "m1", "hi", T0), 0);
    assert_string_equal(job.status, "started");
    assert_reply(&job, "Hello.|How are you?");
    inbound_job_clear(&job);
    /* a session waiting in a flow that is no longer loaded: the resume
     * fails, and the channel's flow starts afresh instead */
    flow_set_free(x->flows);
    x->flows = flow_set_new();
    assert_non_null(x->flows);
    x->ctx.flows = x->flows;
    assert_int_equal(say(x, &job, 0, key_a, "m2", "fine", T0 + 1000), 0);
    assert_string_equal(job.status, "no_flow");
    assert_reply(&job, "");
    inbound_job_clear(&job);
    assert_int_equal(sql_int(x, "SELECT count(*) FROM results"), 0);
    assert_int_equal(sql_int(x, "SELECT timeout_at FROM contacts"), 0);
}

/*
 * The step failing at every allocation in turn (the switch of
 * tests/harness/failalloc.c; jansson's allocations count too): a first
 * message that starts the flow, then its answer. Each failing run returns
 * an error and leaves no row behind (its savepoint is rolled back); the
 * same message then goes through whole once the switch is off.
 */
static void
test_alloc_failures(void **state)
{
    struct fix *x = *state;
    struct inbound_job job;
    char key[sizeof(key_a)], id[32];
    long n, failed = 0;
    int64_t at;
    int rc;

    failalloc_jansson();
    for (n = 1;; n++) {
        snprintf(key, sizeof(key), "%064lx", n);
        snprintf(id, sizeof(id), "fa-%ld", n);
        at = T0 + n * 61000; /* a minute apart: under the channel cap */
        rc = say_arm(x, &job, 0, key, id, "hi", at, n);
        inbound_job_clear(&job);
        if (rc == 0 && !failalloc_failed())
            break; /* every allocation of the step was walked */
        if (rc == 0)
            continue; /* a failure the step could do without */
        assert_true(rc < 0);
        failed++;
        /* nothing of the failed message was kept: it goes through whole */
        assert_int_equal(say(x, &job, 0, key, id, "hi", at), 0);
        assert_string_equal(job.status, "started");
        assert_reply(&job, "Hello.|How are you?");
        inbound_job_clear(&job);
        snprintf(id, sizeof(id), "fb-%ld", n);
        rc = say_arm(x, &job, 0, key, id, "fine", at + 1000, n);
        inbound_job_clear(&job);
        if (rc != 0) {
            assert_true(rc < 0);
            assert_int_equal(say(x, &job, 0, key, id, "fine", at + 1000), 0);
            assert_string_equal(job.status, "resumed");
            inbound_job_clear(&job);
        }
    }
    print_message("inbound step: %ld of %ld allocations failed cleanly\n",
                  failed, n - 1);
    assert_true(failed > 10);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_voice_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_voice_disclosure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_queued, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_legacy_key, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_timeout_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flow_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alloc_failures, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
