/*
 * test_failalloc.c - the allocation-failure switch itself, through the
 * ground floor's buffer and jansson: an armed switch fails exactly the
 * chosen allocation, each failure gives a clean error, and disarmed the
 * result is as without it. The flow loader is walked over the Referral
 * and voice examples (the Wellbeing Check passes too, in about 80 s).
 * Whole sessions are walked (start, answers, a timeout, expiry, the
 * session stored and loaded between steps): the Referral example and
 * goflow's subflow_other runner test; and walked again failing one
 * allocation only, the rest going through, so that a failure the runner
 * let pass (a key json_pack leaves out) would show as an event missing
 * a field: each run fails cleanly or its events are whole. So are the
 * parts of the inbound step that stand alone: privacy (OpenSSL's
 * allocations counted too), config_load, and the store (store_open with
 * its migrations and a job writing rows, sqlite's allocations counted
 * too).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "failalloc.h"
#include "flow.h"
#include "privacy.h"
#include "store.h"
#include "tmpdir.h"

static void
test_switch(void **state)
{
    void *p;

    (void)state;
    failalloc_arm(2, true);
    p = malloc(8);
    assert_non_null(p);
    assert_null(malloc(8));
    assert_true(failalloc_failed());
    free(p);
    p = strdup("x");
    assert_non_null(p);
    free(p);
    failalloc_arm(1, false);
    assert_null(calloc(1, 8));
    assert_null(strdup("x"));
    failalloc_disarm();
    p = strndup("xy", 1);
    assert_string_equal(p, "x");
    free(p);
}

/* The buffer and jansson fail cleanly at every allocation in turn. */
static void
test_walk(void **state)
{
    char *want, *got;
    long n;

    (void)state;
    failalloc_jansson();
    for (n = 1;; n++) {
        struct sk_buf b = {0};
        json_t *v;

        failalloc_arm(n, false);
        v = json_pack("{s:s,s:[i,i]}", "a", "text", "b", 1, 2);
        got = v ? json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
        for (int i = 0; got != NULL && i < 40; i++)
            sk_buf_str(&b, got);
        free(got);
        json_decref(v);
        got = sk_buf_take(&b);
        if (!failalloc_failed()) {
            assert_non_null(got);
            break;
        }
        assert_null(got);
    }
    failalloc_disarm();
    assert_true(n > 3);
    {
        struct sk_buf b = {0};
        json_t *v = json_pack("{s:s,s:[i,i]}", "a", "text", "b", 1, 2);
        char *d = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);

        for (int i = 0; i < 40; i++)
            sk_buf_str(&b, d);
        want = sk_buf_take(&b);
        free(d);
        json_decref(v);
    }
    assert_string_equal(got, want);
    free(got);
    free(want);
    json_set_alloc_funcs(malloc, free);
}

/* Loading and linking an example flow fails cleanly at every allocation
 * in turn, and succeeds once nothing fails. */
static void
walk_flow_file(const char *dir, const char *name)
{
    char path[4096], *text;
    long size, n;
    FILE *f;

    snprintf(path, sizeof(path), "%s/flows/examples/%s", dir, name);
    f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    rewind(f);
    text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    failalloc_jansson();
    for (n = 1;; n++) {
        struct flow_set *set;
        int rc;

        failalloc_arm(n, false);
        set = flow_set_new();
        rc = set == NULL
                 ? -1
                 : flow_set_add_json(set, text, (size_t)size, NULL, NULL);
        if (rc == 0)
            rc = flow_set_link(set, NULL, NULL);
        flow_set_free(set);
        if (!failalloc_failed()) {
            assert_int_equal(rc, 0);
            break;
        }
        assert_true(rc < 0);
    }
    failalloc_disarm();
    json_set_alloc_funcs(malloc, free);
    assert_true(n > 10);
    free(text);
}

static void
test_flow_load(void **state)
{
    const char *dir = getenv("SK_SOURCE_DIR");

    (void)state;
    if (dir == NULL) {
        skip();
        return;
    }
    walk_flow_file(dir, "referral.json");
    walk_flow_file(dir, "wellbeing_check_voice.json");
}

/* ------------------------------------------------------ whole sessions */

/* One step of a scripted session: a resume of the waiting run. */
struct sess_step {
    enum flow_resume_type type;
    const char *text;
};

/* A scripted session over a loaded set: started manually, then resumed
 * step by step, the session stored as JSON and loaded again between
 * steps as the gateway does. */
struct sess_script {
    const char *flow;     /* uuid or name */
    const char *language; /* the contact's, or NULL */
    const struct sess_step *steps;
    size_t n_steps;
};

/* Reads a whole file (malloc'd, NUL-terminated); NULL when unreadable. */
static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long size;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0) {
        rewind(f);
        text = malloc((size_t)size + 1);
        if (text != NULL && fread(text, 1, (size_t)size, f) != (size_t)size) {
            free(text);
            text = NULL;
        }
        if (text != NULL) {
            text[size] = '\0';
            *len = (size_t)size;
        }
    }
    fclose(f);
    return text;
}

/* Stores s and loads it again (s is consumed); NULL with err set. */
static struct flow_session *
sess_roundtrip(struct flow_session *s, char err[SK_ERR_LEN])
{
    char *dump = flow_session_dump(s);
    struct flow_session *t;

    flow_session_free(s);
    if (dump == NULL) {
        sk_seterr(err, "session dump: out of memory");
        return NULL;
    }
    t = flow_session_load(dump, err);
    free(dump);
    return t;
}

/* Runs script; every event goes to events, and *status is the final
 * status. Returns 0 or the first step's negative SK_E* with err set. */
static int
sess_run(const struct flow_set *set, const struct sess_script *sc,
         json_t *events, enum flow_status *status, char err[SK_ERR_LEN])
{
    const struct flow *f = flow_set_find(set, sc->flow);
    struct flow_session *s = flow_session_new(sc->language, 7);
    int64_t now = 1700000000000;
    int rc;

    assert_non_null(f);
    if (s == NULL) {
        sk_seterr(err, "session: out of memory");
        return SK_ENOMEM;
    }
    rc = flow_start(set, s, f, NULL, now, events, err);
    for (size_t i = 0; rc == 0 && i < sc->n_steps; i++) {
        struct flow_resume r = {sc->steps[i].type, sc->steps[i].text};
        int64_t at = 0;

        s = sess_roundtrip(s, err);
        if (s == NULL)
            return SK_ENOMEM;
        now += 60000;
        if (r.type == FLOW_RESUME_TIMEOUT)
            at = flow_session_timeout_at(s);
        else if (r.type == FLOW_RESUME_EXPIRE)
            at = flow_session_expires_at(s);
        now = at > now ? at : now;
        rc = flow_resume(set, s, &r, now, events, err);
    }
    *status = flow_session_status(s);
    flow_session_free(s);
    return rc;
}

/* The flows of the file at path, and script sc run on them once with
 * nothing failing: its events (JSON, malloc'd) in *want and its final
 * status in *status. */
static struct flow_set *
sess_prepare(const char *path, const struct sess_script *sc, char **want,
             enum flow_status *status)
{
    struct flow_set *set = flow_set_new();
    char err[SK_ERR_LEN] = "", *text;
    json_t *events = json_array();
    size_t len = 0;

    text = slurp(path, &len);
    assert_non_null(text);
    assert_non_null(set);
    assert_non_null(events);
    assert_int_equal(flow_set_add_json(set, text, len, NULL, NULL), 0);
    assert_int_equal(flow_set_link(set, NULL, NULL), 0);
    free(text);
    assert_int_equal(sess_run(set, sc, events, status, err), 0);
    *want = json_dumps(events, JSON_COMPACT);
    json_decref(events);
    assert_non_null(*want);
    return set;
}

/* The Referral example's timeout, then a yes (the run completes), and
 * goflow's subflow_other runner test (a parent and a child flow, four
 * answers): the scripts the session walks run. */
static const struct sess_step referral_timeout_yes[] = {
    {FLOW_RESUME_TIMEOUT, NULL},
    {FLOW_RESUME_MSG, "1 yes"},
};
static const struct sess_step subflow_other_steps[] = {
    {FLOW_RESUME_MSG, "neither"},
    {FLOW_RESUME_MSG, "yes"},
    {FLOW_RESUME_MSG, "never"},
    {FLOW_RESUME_MSG, "no"},
};
static const struct sess_script referral_script = {"Referral", "eng",
                                                   referral_timeout_yes, 2};
static const struct sess_script subflow_other_script = {
    "9e43da00-b2e5-450e-a351-0772f5469511", "eng", subflow_other_steps,
    sizeof(subflow_other_steps) / sizeof(subflow_other_steps[0])};

/* Runs sc once unarmed (the expected events), then failing at every
 * allocation from the nth on, for n = 1, 2, ...: each run fails with an
 * error (err set) until, with nothing failing, it gives the same events
 * and status (which must be final). Returns how many allocations the whole
 * session made. */
static long
walk_session(const char *path, const struct sess_script *sc,
             enum flow_status final)
{
    char err[SK_ERR_LEN] = "", *want, *text;
    enum flow_status want_st, st = FLOW_IDLE;
    struct flow_set *set = sess_prepare(path, sc, &want, &want_st);
    json_t *events;
    long n;
    int rc;

    assert_int_equal(want_st, final);
    failalloc_jansson();
    for (n = 1;; n++) {
        err[0] = '\0';
        events = json_array();
        assert_non_null(events);
        failalloc_arm(n, false);
        rc = sess_run(set, sc, events, &st, err);
        if (!failalloc_failed())
            break;
        failalloc_disarm();
        if (rc == 0)
            fail_msg("allocation %ld failed but the session ran on", n);
        if (err[0] == '\0')
            fail_msg("allocation %ld failed without an error", n);
        json_decref(events);
    }
    failalloc_disarm();
    json_set_alloc_funcs(malloc, free);
    assert_int_equal(rc, 0);
    text = json_dumps(events, JSON_COMPACT);
    assert_non_null(text);
    assert_string_equal(text, want);
    assert_int_equal(st, want_st);
    free(text);
    free(want);
    json_decref(events);
    flow_set_free(set);
    return n - 1;
}

/* The Referral example, twice: the wait's timeout, then a yes (the run
 * completes); an answer it does not know, then the session expires. */
static void
test_session_referral(void **state)
{
    static const struct sess_step other_expire[] = {
        {FLOW_RESUME_MSG, "what do you mean"},
        {FLOW_RESUME_EXPIRE, NULL},
    };
    const struct sess_script b = {"Referral", NULL, other_expire, 2};
    const char *dir = getenv("SK_SOURCE_DIR");
    char path[4096];
    long na, nb;

    (void)state;
    if (dir == NULL) {
        skip();
        return;
    }
    snprintf(path, sizeof(path), "%s/flows/examples/referral.json", dir);
    na = walk_session(path, &referral_script, FLOW_COMPLETED);
    nb = walk_session(path, &b, FLOW_EXPIRED);
    print_message("referral sessions: %ld and %ld allocations, each failed "
                  "in turn\n",
                  na, nb);
    assert_true(na > 100 && nb > 100);
}

/* goflow's subflow_other runner test: a parent and a child flow, four
 * answers. */
static void
test_session_goflow(void **state)
{
    const char *fx = getenv("SK_FIXTURES");
    char path[4096];
    long n;

    (void)state;
    if (fx == NULL || fx[0] == '\0') {
        print_message("SK_FIXTURES not set: goflow session walk skipped\n");
        skip();
        return;
    }
    snprintf(path, sizeof(path), "%s/goflow/runner/subflow_other.json", fx);
    n = walk_session(path, &subflow_other_script, FLOW_COMPLETED);
    print_message("goflow subflow_other: %ld allocations, each failed in "
                  "turn\n",
                  n);
    assert_true(n > 100);
}

/* Runs sc once unarmed, then failing only the nth allocation, for n = 1,
 * 2, ... (every other one going through): each run either fails with an
 * error (err set) or, when it could do without that allocation, gives the
 * unarmed run's events. Running out of memory inside an expression or a
 * router test fails the step; it is never taken for an error of the flow
 * (an "error" event, then routed on). Returns how
 * many allocations the session made. */
static long
walk_session_once(const char *path, const struct sess_script *sc)
{
    char err[SK_ERR_LEN] = "", *want, *text;
    enum flow_status want_st, st = FLOW_IDLE;
    struct flow_set *set = sess_prepare(path, sc, &want, &want_st);
    json_t *events;
    long n, nfailed = 0;
    int rc;

    failalloc_jansson();
    for (n = 1;; n++) {
        bool failed;

        err[0] = '\0';
        events = json_array();
        assert_non_null(events);
        failalloc_arm(n, true);
        rc = sess_run(set, sc, events, &st, err);
        failed = failalloc_failed();
        failalloc_disarm();
        text = json_dumps(events, JSON_COMPACT);
        json_decref(events);
        assert_non_null(text);
        if (!failed) {
            assert_int_equal(rc, 0);
            assert_string_equal(text, want);
            assert_int_equal(st, want_st);
            free(text);
            break;
        }
        if (rc == 0 && strcmp(text, want) != 0)
            fail_msg("allocation %ld failed alone and the session ran on "
                     "with other events (a flow error, or an event short "
                     "of a field, in place of a failed step): %s",
                     n, text);
        if (rc != 0 && err[0] == '\0')
            fail_msg("allocation %ld failed without an error", n);
        nfailed += rc != 0;
        free(text);
    }
    json_set_alloc_funcs(malloc, free);
    assert_true(nfailed > 0);
    free(want);
    flow_set_free(set);
    return n - 1;
}

/* The Referral example (timeout, then yes) and goflow's subflow_other
 * runner test, each allocation failing alone in turn. */
static void
test_session_once(void **state)
{
    const char *dir = getenv("SK_SOURCE_DIR");
    const char *fx = getenv("SK_FIXTURES");
    char path[4096];
    long n;

    (void)state;
    if (dir == NULL) {
        skip();
        return;
    }
    snprintf(path, sizeof(path), "%s/flows/examples/referral.json", dir);
    n = walk_session_once(path, &referral_script);
    print_message("referral session: %ld allocations, each failed alone\n", n);
    assert_true(n > 100);
    if (fx == NULL || fx[0] == '\0') {
        print_message("SK_FIXTURES not set: goflow session walk skipped\n");
        return;
    }
    snprintf(path, sizeof(path), "%s/goflow/runner/subflow_other.json", fx);
    n = walk_session_once(path, &subflow_other_script);
    print_message("goflow subflow_other: %ld allocations, each failed "
                  "alone\n",
                  n);
    assert_true(n > 100);
}

/* ---------------------------------------- parts of the inbound step */

/* The contact key, and a reply address sealed for the vault and opened
 * again, with the key file loaded afresh each time: every allocation
 * (OpenSSL's too, through failalloc_openssl) fails in turn. */
static void
test_privacy(void **state)
{
    char dir[] = "/tmp/sk-failalloc-XXXXXX", path[64], err[SK_ERR_LEN];
    char key[PRIVACY_KEY_HEX];
    const char *urn = "tel:+254700000001";
    long n;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/key", dir);
    err[0] = '\0';
    assert_int_equal(privacy_keygen(path, err), 0);
    {
        /* unarmed first: OpenSSL's one-time set-up, which stays failed
         * for the process once an allocation in it fails, is done here */
        struct privacy *p = privacy_open(path, err);
        unsigned char *blob;
        char *plain;
        size_t blen = 0;

        assert_non_null(p);
        assert_int_equal(privacy_contact_key(p, urn, key), 0);
        blob = privacy_seal(p, key, urn, &blen);
        assert_non_null(blob);
        plain = privacy_open_blob(p, key, blob, blen);
        assert_non_null(plain);
        assert_string_equal(plain, urn);
        free(plain);
        free(blob);
        privacy_close(p);
    }
    for (n = 1;; n++) {
        struct privacy *p;
        unsigned char *blob = NULL;
        char *plain = NULL;
        size_t blen = 0;
        int rc = SK_ENOMEM;

        err[0] = '\0';
        failalloc_arm(n, false);
        p = privacy_open(path, err);
        if (p != NULL)
            rc = privacy_contact_key(p, urn, key);
        if (rc == 0)
            blob = privacy_seal(p, key, urn, &blen);
        if (blob != NULL)
            plain = privacy_open_blob(p, key, blob, blen);
        privacy_close(p);
        if (!failalloc_failed()) {
            failalloc_disarm();
            assert_non_null(plain);
            assert_string_equal(plain, urn);
            free(plain);
            free(blob);
            break;
        }
        failalloc_disarm();
        if (p == NULL)
            assert_true(err[0] != '\0');
        else
            assert_true(rc < 0 || blob == NULL || plain == NULL);
        if (plain != NULL) {
            /* the failure came after: the text must still be whole */
            assert_string_equal(plain, urn);
        }
        free(plain);
        free(blob);
    }
    print_message("privacy: %ld allocations, each failed in turn\n", n - 1);
    assert_true(n > 1);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

/* The example configuration loads at every allocation in turn, or fails
 * with an error. */
static void
test_config(void **state)
{
    const char *src = getenv("SK_SOURCE_DIR");
    char path[4096], err[SK_ERR_LEN];
    long n;

    (void)state;
    if (src == NULL) {
        skip();
        return;
    }
    snprintf(path, sizeof(path), "%s/deploy/sikiliza.conf.example", src);
    err[0] = '\0';
    {
        struct config *cfg = config_load(path, err);

        if (cfg == NULL)
            fail_msg("%s", err);
        config_free(cfg);
    }
    for (n = 1;; n++) {
        struct config *cfg;

        err[0] = '\0';
        failalloc_arm(n, false);
        cfg = config_load(path, err);
        config_free(cfg);
        if (!failalloc_failed()) {
            failalloc_disarm();
            assert_non_null(cfg);
            break;
        }
        failalloc_disarm();
        if (cfg != NULL)
            fail_msg("allocation %ld failed but the config loaded", n);
        assert_true(err[0] != '\0');
    }
    print_message("config: %ld allocations, each failed in turn\n", n - 1);
    assert_true(n > 2);
}

/* A job writing what an inbound message writes: its dedupe row, the
 * contact and its session, an answer and a queued message. */
static int
rows_job(struct store_tx *tx, void *arg)
{
    const char *key = "5f2b9c0e5f2b9c0e5f2b9c0e5f2b9c0e5f2b9c0e5f2b9c0e5f2b9c0e"
                      "5f2b9c0e";
    struct store_contact c = {.session = "{\"runs\":[]}",
                              .channel = "kannel",
                              .timeout_at = 1700000600000,
                              .expires_at = 1700086400000,
                              .last_seen = 1700000000000};
    int rc;

    (void)arg;
    rc = store_inbound_put(tx, "kannel", "ext-1", key, "Thank you",
                           1700000000000);
    if (rc == 0)
        rc = store_contact_put(tx, key, &c);
    if (rc == 0)
        rc = store_result_put(tx, key, "f1", "Referral", "Wants Help", "yes",
                              "Yes", "1 yes", 1700000000000);
    if (rc == 0)
        rc = store_outbox_put(tx, "kannel", key, "We will call", 1700000000000,
                              NULL);
    return rc;
}

/* Removes the database at path, its WAL files and its lock. */
static void
rm_db(const char *path)
{
    static const char *const tails[] = {"", "-wal", "-shm", "-journal",
                                        ".lock"};
    char p[128];

    for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", path, tails[i]);
        unlink(p);
    }
}

/* store_open on a new database (migrations included) and a job that
 * writes rows, sqlite's allocations counted too: every allocation fails
 * in turn, with a clean error each time (store_close, which returns
 * nothing, must only not crash or leak). */
static void
test_store(void **state)
{
    char dir[256], path[300], err[SK_ERR_LEN];
    long n;

    (void)state;
    /* every step opens a new database: under $TMPDIR, which ctest points
     * at memory (/dev/shm) when it can, as the walk is of allocations,
     * not of the disk's syncs */
    tmpdir_make(dir, sizeof(dir), "sk-failalloc");
    snprintf(path, sizeof(path), "%s/sk.db", dir);
    for (n = 1;; n++) {
        struct store *st;
        int rc = SK_EIO;
        bool ran;

        rm_db(path);
        err[0] = '\0';
        failalloc_arm(n, false);
        st = store_open(path, NULL, 4, err);
        if (st != NULL)
            rc = store_call(st, rows_job, NULL);
        ran = failalloc_failed(); /* before store_close's own work */
        store_close(st);
        if (!failalloc_failed()) {
            failalloc_disarm();
            assert_non_null(st);
            assert_int_equal(rc, 0);
            break;
        }
        failalloc_disarm();
        if (st == NULL && err[0] == '\0')
            fail_msg("allocation %ld: store_open failed without an error", n);
        if (st != NULL && rc == 0 && ran)
            fail_msg("allocation %ld failed but the job committed", n);
    }
    print_message("store: %ld allocations, each failed in turn\n", n - 1);
    assert_true(n > 10);
    rm_db(path);
    assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_switch),
        cmocka_unit_test(test_walk),
        cmocka_unit_test(test_flow_load),
        cmocka_unit_test(test_session_referral),
        cmocka_unit_test(test_session_goflow),
        cmocka_unit_test(test_session_once),
        cmocka_unit_test(test_privacy),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_store),
    };

    /* before OpenSSL and sqlite allocate anything */
    if (failalloc_openssl() != 0 || failalloc_sqlite() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
