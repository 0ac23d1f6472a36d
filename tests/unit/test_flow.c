/*
 * test_flow.c - the flow engine: loading and validation (hand-written flows
 * and goflow's broken_flows), running every supported action, router and
 * wait, sessions stored and loaded, keyword triggers, and goflow's runner
 * fixtures compared event by event.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "flow.h"

#define NOW 1700000000000LL

/* --- helpers ------------------------------------------------------------ */

struct diags {
    int n;
    char last[512];
};

static void
diag_cb(void *arg, const char *flow, const char *node, const char *reason)
{
    struct diags *d = arg;

    d->n++;
    snprintf(d->last, sizeof(d->last), "flow \"%s\": node %s: %s",
             flow ? flow : "", node ? node : "-", reason);
    if (getenv("SK_TEST_VERBOSE") != NULL)
        fprintf(stderr, "  diag: %s\n", d->last);
}

static char *
read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (fp == NULL)
        return NULL;
    if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
        fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
        *len = fread(buf, 1, (size_t)n, fp);
        buf[*len] = '\0';
    }
    fclose(fp);
    return buf;
}

static const char *
fixtures(void)
{
    const char *dir = getenv("SK_FIXTURES");

    if (dir == NULL || dir[0] == '\0') {
        fprintf(stderr, "SK_FIXTURES not set: skipping fixture tests\n");
        return NULL;
    }
    return dir;
}

static struct flow_set *
load_text(const char *text, struct diags *d, int *rc)
{
    struct flow_set *set = flow_set_new();

    assert_non_null(set);
    *rc = flow_set_add_json(set, text, strlen(text), diag_cb, d);
    if (*rc == 0)
        *rc = flow_set_link(set, diag_cb, d);
    return set;
}

static struct flow_set *
load_ok(const char *text)
{
    struct diags d = {0};
    int rc;
    struct flow_set *set = load_text(text, &d, &rc);

    if (rc != 0)
        fail_msg("load failed: %s", d.last);
    return set;
}

static const json_t *
event_at(const json_t *events, size_t i, const char *type)
{
    const json_t *ev = json_array_get(events, i);

    if (ev == NULL)
        fail_msg("no event %zu (want %s)", i, type);
    if (strcmp(json_string_value(json_object_get(ev, "type")), type) != 0) {
        char *s = json_dumps(events, JSON_COMPACT);

        fprintf(stderr, "events: %s\n", s);
        free(s);
        fail_msg("event %zu is not %s", i, type);
    }
    return ev;
}

static const char *
ev_str(const json_t *ev, const char *key)
{
    return json_string_value(json_object_get(ev, key));
}

static json_t *
run_start(const struct flow_set *set, struct flow_session *s, const char *flow,
          const char *input, int64_t now)
{
    json_t *events = json_array();
    char err[SK_ERR_LEN] = "";
    const struct flow *f = flow_set_find(set, flow);

    assert_non_null(f);
    if (flow_start(set, s, f, input, now, events, err) != 0)
        fail_msg("flow_start: %s", err);
    return events;
}

static json_t *
run_resume(const struct flow_set *set, struct flow_session *s,
           enum flow_resume_type type, const char *text, int64_t now)
{
    json_t *events = json_array();
    char err[SK_ERR_LEN] = "";
    struct flow_resume r = {.type = type, .text = text};

    if (flow_resume(set, s, &r, now, events, err) != 0)
        fail_msg("flow_resume: %s", err);
    return events;
}

/* Dumps and reloads s, as the gateway does between steps. */
static struct flow_session *
roundtrip(struct flow_session *s)
{
    char err[SK_ERR_LEN] = "";
    char *js = flow_session_dump(s);
    struct flow_session *t;

    assert_non_null(js);
    t = flow_session_load(js, err);
    if (t == NULL)
        fail_msg("session load: %s (%s)", err, js);
    free(js);
    flow_session_free(s);
    return t;
}

/* --- hand-written flows -------------------------------------------------- */

#define HEAD(uuid, name)                                                       \
    "{\"uuid\":\"" uuid "\",\"name\":\"" name "\",\"spec_version\":"           \
    "\"13.1.0\",\"language\":\"eng\",\"type\":\"messaging\","

/* A survey: greeting with quick replies (French translation), a question
 * with a 60 s timeout, then results, language, field and goodbye. */
static const char survey[] = HEAD(
    "f0000000-0000-4000-8000-000000000001",
    "Wellbeing Check") "\"expire_after_minutes\":30,"
                       "\"localization\":{\"fra\":{"
                       "  "
                       "\"a0000000-0000-4000-8000-000000000001\":{\"text\":["
                       "\"Salut! Ca "
                       "va?\"],\"quick_replies\":[\"Oui\",\"Non\"]},"
                       "  "
                       "\"c0000000-0000-4000-8000-000000000001\":{"
                       "\"arguments\":[\"oui\"]},"
                       "  "
                       "\"ca000000-0000-4000-8000-000000000001\":{\"name\":["
                       "\"Oui\"]}}},"
                       "\"nodes\":["
                       "{\"uuid\":\"n0000000-0000-4000-8000-000000000001\","
                       "\"actions\":["
                       "  "
                       "{\"uuid\":\"a0000000-0000-4000-8000-000000000001\","
                       "\"type\":"
                       "\"send_msg\",\"text\":\"Hi! Are you "
                       "OK?\",\"quick_replies\":[\"Yes\","
                       "\"No\"]}],"
                       " \"exits\":[{\"uuid\":\"e0000000-0000-4000-8000-"
                       "000000000001\","
                       "\"destination_uuid\":\"n0000000-0000-4000-8000-"
                       "000000000002\"}]},"
                       "{\"uuid\":\"n0000000-0000-4000-8000-000000000002\","
                       "\"router\":{"
                       "  "
                       "\"type\":\"switch\",\"operand\":\"@input.text\","
                       "\"result_name\":"
                       "\"Feel "
                       "Safe\",\"wait\":{\"type\":\"msg\",\"timeout\":{"
                       "\"seconds\":60,"
                       "\"category_uuid\":\"ca000000-0000-4000-8000-"
                       "000000000003\"}},"
                       "  "
                       "\"default_category_uuid\":\"ca000000-0000-4000-8000-"
                       "000000000002\","
                       "  "
                       "\"cases\":[{\"uuid\":\"c0000000-0000-4000-8000-"
                       "000000000001\","
                       "\"type\":\"has_any_word\",\"arguments\":[\"yes\"],"
                       "\"category_uuid\":"
                       "\"ca000000-0000-4000-8000-000000000001\"}],"
                       "  \"categories\":["
                       "   "
                       "{\"uuid\":\"ca000000-0000-4000-8000-000000000001\","
                       "\"name\":\"Yes\","
                       "\"exit_uuid\":\"e0000000-0000-4000-8000-000000000002\"}"
                       ","
                       "   "
                       "{\"uuid\":\"ca000000-0000-4000-8000-000000000002\","
                       "\"name\":"
                       "\"Other\",\"exit_uuid\":\"e0000000-0000-4000-8000-"
                       "000000000003\"},"
                       "   "
                       "{\"uuid\":\"ca000000-0000-4000-8000-000000000003\","
                       "\"name\":"
                       "\"No "
                       "Response\",\"exit_uuid\":\"e0000000-0000-4000-8000-"
                       "000000000004\"}]},"
                       " \"exits\":["
                       "  {\"uuid\":\"e0000000-0000-4000-8000-000000000002\","
                       "\"destination_uuid\":\"n0000000-0000-4000-8000-"
                       "000000000003\"},"
                       "  {\"uuid\":\"e0000000-0000-4000-8000-000000000003\","
                       "\"destination_uuid\":\"n0000000-0000-4000-8000-"
                       "000000000002\"},"
                       "  {\"uuid\":\"e0000000-0000-4000-8000-000000000004\","
                       "\"destination_uuid\":null}]},"
                       "{\"uuid\":\"n0000000-0000-4000-8000-000000000003\","
                       "\"actions\":["
                       "  "
                       "{\"uuid\":\"a0000000-0000-4000-8000-000000000002\","
                       "\"type\":"
                       "\"set_run_result\",\"name\":\"Echo\",\"value\":\"@"
                       "results.feel_safe\","
                       "\"category\":\"Copied\"},"
                       "  "
                       "{\"uuid\":\"a0000000-0000-4000-8000-000000000003\","
                       "\"type\":"
                       "\"set_contact_language\",\"language\":\"swa\"},"
                       "  "
                       "{\"uuid\":\"a0000000-0000-4000-8000-000000000004\","
                       "\"type\":"
                       "\"set_contact_field\",\"field\":{\"key\":\"mood\","
                       "\"name\":\"Mood\"},"
                       "\"value\":\"@results.feel_safe.category\"},"
                       "  "
                       "{\"uuid\":\"a0000000-0000-4000-8000-000000000005\","
                       "\"type\":"
                       "\"send_msg\",\"text\":\"Thanks, you said @input.text "
                       "(@fields.mood, "
                       "@results.feel_safe.category_localized)\"}"
                       "],\"exits\":[{\"uuid\":\"e0000000-0000-4000-8000-"
                       "000000000005\","
                       "\"destination_uuid\":null}]}]}";

static void
test_survey_run(void **state)
{
    struct flow_set *set = load_ok(survey);
    struct flow_session *s = flow_session_new("eng", 1);
    json_t *ev;
    const json_t *e;

    (void)state;
    assert_int_equal(flow_set_count(set), 1);
    assert_string_equal(flow_type(flow_set_at(set, 0)), "messaging");
    ev = run_start(set, s, "wellbeing check", NULL, NOW);
    e = event_at(ev, 0, "run_started");
    assert_string_equal(ev_str(e, "flow"), "Wellbeing Check");
    e = event_at(ev, 1, "msg_created");
    assert_string_equal(ev_str(e, "text"), "Hi! Are you OK?");
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(e, "quick_replies"), 1)),
                        "No");
    e = event_at(ev, 2, "msg_wait");
    assert_int_equal(json_integer_value(json_object_get(e, "timeout_seconds")),
                     60);
    assert_null(json_object_get(e, "hint"));
    assert_int_equal(json_array_size(ev), 3);
    json_decref(ev);
    assert_int_equal(flow_session_status(s), FLOW_WAITING);
    assert_int_equal(flow_session_timeout_at(s), NOW + 60000);
    assert_int_equal(flow_session_expires_at(s), NOW + 30 * 60000);
    assert_string_equal(flow_session_flow(s),
                        "f0000000-0000-4000-8000-000000000001");
    assert_int_equal(
        flow_session_set_env(s, "Africa/Nairobi", "YYYY-MM-DD", "KE"), 0);
    s = roundtrip(s);
    {
        char *js = flow_session_dump(s);

        assert_non_null(js);
        assert_non_null(strstr(js, "\"timezone\":\"Africa/Nairobi\""));
        assert_non_null(strstr(js, "\"country\":\"KE\""));
        assert_non_null(strstr(js, "\"prng\":"));
        free(js);
    }
    assert_int_equal(flow_session_timeout_at(s), NOW + 60000);
    assert_int_equal(flow_session_expires_at(s), NOW + 30 * 60000);

    /* no match: Other loops back to the wait */
    ev = run_resume(set, s, FLOW_RESUME_MSG, "maybe", NOW + 1000);
    e = event_at(ev, 0, "run_result_changed");
    assert_string_equal(ev_str(e, "category"), "Other");
    assert_string_equal(ev_str(e, "value"), "maybe");
    event_at(ev, 1, "msg_wait");
    json_decref(ev);
    s = roundtrip(s);

    ev = run_resume(set, s, FLOW_RESUME_MSG, "Yes I do", NOW + 2000);
    e = event_at(ev, 0, "run_result_changed");
    assert_string_equal(ev_str(e, "name"), "Feel Safe");
    assert_string_equal(ev_str(e, "value"), "Yes");
    assert_string_equal(ev_str(e, "category"), "Yes");
    assert_null(json_object_get(e, "category_localized"));
    assert_string_equal(ev_str(e, "input"), "Yes I do");
    e = event_at(ev, 1, "run_result_changed");
    assert_string_equal(ev_str(e, "name"), "Echo");
    assert_string_equal(ev_str(e, "value"), "Yes");
    assert_string_equal(ev_str(e, "category"), "Copied");
    e = event_at(ev, 2, "contact_language_changed");
    assert_string_equal(ev_str(e, "language"), "swa");
    e = event_at(ev, 3, "contact_field_changed");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(e, "field"), "key")),
        "mood");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(e, "value"), "text")),
        "Yes");
    e = event_at(ev, 4, "msg_created");
    assert_string_equal(ev_str(e, "text"),
                        "Thanks, you said Yes I do (Yes, Yes)");
    e = event_at(ev, 5, "run_ended");
    assert_string_equal(ev_str(e, "status"), "completed");
    assert_int_equal(json_array_size(ev), 6);
    json_decref(ev);
    assert_int_equal(flow_session_status(s), FLOW_COMPLETED);
    assert_string_equal(flow_session_language(s), "swa");
    assert_null(flow_session_flow(s));
    assert_int_equal(flow_session_expires_at(s), 0);
    flow_session_free(s);
    flow_set_free(set);
}

static void
test_survey_localized(void **state)
{
    struct flow_set *set = load_ok(survey);
    struct flow_session *s = flow_session_new("fra", 1);
    json_t *ev;
    const json_t *e;

    (void)state;
    ev = run_start(set, s, "f0000000-0000-4000-8000-000000000001", NULL, NOW);
    e = event_at(ev, 1, "msg_created");
    assert_string_equal(ev_str(e, "text"), "Salut! Ca va?");
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(e, "quick_replies"), 0)),
                        "Oui");
    json_decref(ev);
    /* the localized argument matches, the category name is translated */
    ev = run_resume(set, s, FLOW_RESUME_MSG, "oui", NOW + 1);
    e = event_at(ev, 0, "run_result_changed");
    assert_string_equal(ev_str(e, "category"), "Yes");
    assert_string_equal(ev_str(e, "category_localized"), "Oui");
    json_decref(ev);
    flow_session_free(s);

    /* a language the flow lacks falls back to the flow's own */
    s = flow_session_new("spa", 1);
    ev = run_start(set, s, "Wellbeing Check", NULL, NOW);
    assert_string_equal(ev_str(event_at(ev, 1, "msg_created"), "text"),
                        "Hi! Are you OK?");
    json_decref(ev);
    flow_session_free(s);
    flow_set_free(set);
}

static void
test_survey_timeout_expire_interrupt(void **state)
{
    struct flow_set *set = load_ok(survey);
    struct flow_session *s = flow_session_new(NULL, 1);
    json_t *ev;
    const json_t *e;
    char err[SK_ERR_LEN] = "";
    struct flow_resume r = {.type = FLOW_RESUME_MSG, .text = "x"};

    (void)state;
    json_decref(run_start(set, s, "Wellbeing Check", NULL, NOW));
    ev = run_resume(set, s, FLOW_RESUME_TIMEOUT, NULL, NOW + 60000);
    e = event_at(ev, 0, "run_result_changed");
    assert_string_equal(ev_str(e, "category"), "No Response");
    e = event_at(ev, 1, "run_ended");
    assert_string_equal(ev_str(e, "status"), "completed");
    json_decref(ev);
    /* not waiting any more */
    ev = json_array();
    assert_int_equal(flow_resume(set, s, &r, NOW, ev, err), SK_ESTATE);
    json_decref(ev);

    json_decref(run_start(set, s, "Wellbeing Check", NULL, NOW));
    ev = run_resume(set, s, FLOW_RESUME_EXPIRE, NULL, NOW + 1);
    e = event_at(ev, 0, "run_ended");
    assert_string_equal(ev_str(e, "status"), "expired");
    assert_int_equal(json_array_size(ev), 1);
    json_decref(ev);
    assert_int_equal(flow_session_status(s), FLOW_EXPIRED);

    /* a new start interrupts the waiting run */
    json_decref(run_start(set, s, "Wellbeing Check", NULL, NOW));
    ev = run_start(set, s, "Wellbeing Check", NULL, NOW);
    e = event_at(ev, 0, "run_ended");
    assert_string_equal(ev_str(e, "status"), "interrupted");
    event_at(ev, 1, "run_started");
    json_decref(ev);

    /* a trigger's text answers only a wait on the first node */
    json_decref(run_start(set, s, "Wellbeing Check", "yes", NOW));
    assert_int_equal(flow_session_status(s), FLOW_WAITING);
    flow_session_free(s);
    flow_set_free(set);
}

static const char subflows[] = "{\"version\":\"13\",\"flows\":[" HEAD(
    "f1000000-0000-4000-8000-000000000001",
    "Parent") "\"nodes\":[{\"uuid\":\"n1000000-0000-4000-8000-000000000001\","
              " \"actions\":[{\"uuid\":\"a1000000-0000-4000-8000-"
              "000000000001\","
              "\"type\":\"enter_flow\",\"flow\":{\"uuid\":\"f1000000-0000-4000-"
              "8000-"
              "000000000002\",\"name\":\"Child\"}}],"
              " \"router\":{\"type\":\"switch\",\"operand\":\"@child.status\","
              "\"cases\":[{\"uuid\":\"c1000000-0000-4000-8000-000000000001\","
              "\"type\":"
              "\"has_only_text\",\"arguments\":[\"completed\"],\"category_"
              "uuid\":"
              "\"ca100000-0000-4000-8000-000000000001\"}],"
              "\"default_category_uuid\":\"ca100000-0000-4000-8000-"
              "000000000002\","
              "\"categories\":[{\"uuid\":\"ca100000-0000-4000-8000-"
              "000000000001\","
              "\"name\":\"Complete\",\"exit_uuid\":\"e1000000-0000-4000-8000-"
              "000000000001\"},{\"uuid\":\"ca100000-0000-4000-8000-"
              "000000000002\","
              "\"name\":\"Expired\",\"exit_uuid\":\"e1000000-0000-4000-8000-"
              "000000000002\"}]},"
              " \"exits\":[{\"uuid\":\"e1000000-0000-4000-8000-000000000001\","
              "\"destination_uuid\":\"n1000000-0000-4000-8000-000000000002\"},"
              "{\"uuid\":\"e1000000-0000-4000-8000-000000000002\","
              "\"destination_uuid\":\"n1000000-0000-4000-8000-000000000003\"}]}"
              ","
              "{\"uuid\":\"n1000000-0000-4000-8000-000000000002\",\"actions\":["
              "{"
              "\"uuid\":\"a1000000-0000-4000-8000-000000000002\",\"type\":"
              "\"send_msg\",\"text\":\"Child said @child.results.name\"}],"
              "\"exits\":[{\"uuid\":\"e1000000-0000-4000-8000-000000000003\"}]}"
              ","
              "{\"uuid\":\"n1000000-0000-4000-8000-000000000003\",\"actions\":["
              "{"
              "\"uuid\":\"a1000000-0000-4000-8000-000000000003\",\"type\":"
              "\"send_msg\",\"text\":\"Child expired\"}],"
              "\"exits\":[{\"uuid\":\"e1000000-0000-4000-8000-000000000004\"}]}"
              "]}," HEAD(
                  "f1000000-0000-4000-8000-000000000002",
                  "Child") "\"expire_after_minutes\":5,"
                           "\"nodes\":[{\"uuid\":\"n1000000-0000-4000-8000-"
                           "000000000010\","
                           "\"router\":{\"type\":\"switch\",\"result_name\":"
                           "\"Name\",\"wait\":{"
                           "\"type\":\"msg\",\"hint\":{\"type\":\"digits\"}},"
                           "\"default_category_uuid\":\"ca100000-0000-4000-"
                           "8000-000000000010\","
                           "\"categories\":[{\"uuid\":\"ca100000-0000-4000-"
                           "8000-000000000010\","
                           "\"name\":\"All\",\"exit_uuid\":\"e1000000-0000-"
                           "4000-8000-"
                           "000000000010\"}]},\"exits\":[{\"uuid\":\"e1000000-"
                           "0000-4000-8000-"
                           "000000000010\"}]}]}," HEAD(
                               "f1000000-0000-4000-8000-000000000003",
                               "Terminal") "\"nodes\":[{\"uuid\":\"n1000000-"
                                           "0000-4000-8000-000000000020\","
                                           " \"actions\":[{\"uuid\":\"a1000000-"
                                           "0000-4000-8000-000000000020\","
                                           "\"type\":\"enter_flow\","
                                           "\"terminal\":true,\"flow\":{"
                                           "\"uuid\":"
                                           "\"f1000000-0000-4000-8000-"
                                           "000000000002\",\"name\":\"Child\"}}"
                                           "],"
                                           "\"exits\":[{\"uuid\":\"e1000000-"
                                           "0000-4000-8000-000000000020\"}]}]}]"
                                           ","
                                           "\"triggers\":[{\"trigger_type\":"
                                           "\"K\",\"keyword\":\"start\","
                                           "\"match_type\":\"F\",\"flow\":{"
                                           "\"uuid\":\"f1000000-0000-4000-8000-"
                                           "000000000001\",\"name\":\"Parent\"}"
                                           "},{\"trigger_type\":\"K\","
                                           "\"keywords\":[\"only\",\"Solo\"],"
                                           "\"match_type\":\"O\",\"flow\":{"
                                           "\"name\":\"Terminal\"}},{\"trigger_"
                                           "type\":\"C\",\"flow\":{\"name\":"
                                           "\"Parent\"}}]}";

static void
test_enter_flow(void **state)
{
    struct flow_set *set = load_ok(subflows);
    struct flow_session *s = flow_session_new("eng", 7);
    json_t *ev;
    const json_t *e;

    (void)state;
    assert_int_equal(flow_set_count(set), 3);
    ev = run_start(set, s, "Parent", NULL, NOW);
    assert_string_equal(ev_str(event_at(ev, 0, "run_started"), "flow"),
                        "Parent");
    assert_string_equal(ev_str(event_at(ev, 1, "run_started"), "flow"),
                        "Child");
    e = event_at(ev, 2, "msg_wait");
    assert_string_equal(ev_str(e, "hint"), "digits");
    assert_null(json_object_get(e, "timeout_seconds"));
    json_decref(ev);
    assert_int_equal(flow_session_expires_at(s), NOW + 5 * 60000);
    assert_string_equal(flow_session_flow(s),
                        "f1000000-0000-4000-8000-000000000002");
    s = roundtrip(s);
    ev = run_resume(set, s, FLOW_RESUME_MSG, "Amani", NOW + 1);
    assert_string_equal(ev_str(event_at(ev, 0, "run_result_changed"), "value"),
                        "Amani");
    e = event_at(ev, 1, "run_ended");
    assert_string_equal(ev_str(e, "flow"), "Child");
    assert_string_equal(ev_str(event_at(ev, 2, "msg_created"), "text"),
                        "Child said Amani");
    e = event_at(ev, 3, "run_ended");
    assert_string_equal(ev_str(e, "flow"), "Parent");
    assert_string_equal(ev_str(e, "status"), "completed");
    json_decref(ev);

    /* the child expires: the parent routes on Expired */
    json_decref(run_start(set, s, "Parent", NULL, NOW));
    ev = run_resume(set, s, FLOW_RESUME_EXPIRE, NULL, NOW + 1);
    assert_string_equal(ev_str(event_at(ev, 0, "run_ended"), "status"),
                        "expired");
    assert_string_equal(ev_str(event_at(ev, 1, "msg_created"), "text"),
                        "Child expired");
    assert_string_equal(ev_str(event_at(ev, 2, "run_ended"), "status"),
                        "completed");
    json_decref(ev);

    /* a message trigger answers a wait on the first node */
    ev = run_start(set, s, "Child", "Baraka", NOW);
    assert_string_equal(ev_str(event_at(ev, 1, "run_result_changed"), "value"),
                        "Baraka");
    event_at(ev, 2, "run_ended");
    json_decref(ev);

    /* terminal: the parent ends before the child starts */
    ev = run_start(set, s, "Terminal", NULL, NOW);
    event_at(ev, 0, "run_started");
    e = event_at(ev, 1, "run_ended");
    assert_string_equal(ev_str(e, "flow"), "Terminal");
    e = event_at(ev, 2, "run_started");
    assert_string_equal(ev_str(e, "flow"), "Child");
    assert_int_equal(json_object_size(e), 2); /* {type, flow} */
    json_decref(ev);
    ev = run_resume(set, s, FLOW_RESUME_MSG, "x", NOW + 1);
    assert_string_equal(ev_str(event_at(ev, 1, "run_ended"), "flow"), "Child");
    assert_int_equal(json_array_size(ev), 2);
    json_decref(ev);
    flow_session_free(s);
    flow_set_free(set);
}

static void
test_keywords(void **state)
{
    struct flow_set *set = load_ok(subflows);

    (void)state;
    assert_string_equal(flow_name(flow_set_match_keyword(set, "START")),
                        "Parent");
    assert_string_equal(
        flow_name(flow_set_match_keyword(set, "start now please")), "Parent");
    assert_string_equal(flow_name(flow_set_match_keyword(set, " Only ")),
                        "Terminal");
    assert_string_equal(flow_name(flow_set_match_keyword(set, "solo")),
                        "Terminal");
    assert_null(flow_set_match_keyword(set, "only this"));
    assert_null(flow_set_match_keyword(set, "restart"));
    assert_null(flow_set_match_keyword(set, ""));
    assert_null(flow_set_match_keyword(set, "hello start"));
    /* in load order, folded; the campaign trigger is no keyword */
    assert_string_equal(flow_set_keyword_at(set, 0), "start");
    assert_string_equal(flow_set_keyword_at(set, 1), "only");
    assert_string_equal(flow_set_keyword_at(set, 2), "solo");
    assert_null(flow_set_keyword_at(set, 3));
    assert_null(flow_set_keyword_at(NULL, 0));
    flow_set_free(set);
}

static const char looping[] = HEAD(
    "f2000000-0000-4000-8000-000000000001",
    "Loop") "\"nodes\":[{\"uuid\":\"n2000000-0000-4000-8000-000000000001\","
            "\"actions\":[{\"uuid\":\"a2000000-0000-4000-8000-000000000001\","
            "\"type\":\"send_msg\",\"text\":\"again\"}],\"exits\":[{\"uuid\":"
            "\"e2000000-0000-4000-8000-000000000001\",\"destination_uuid\":"
            "\"n2000000-0000-4000-8000-000000000001\"}]}]}";

static void
test_step_limit(void **state)
{
    struct flow_set *set = load_ok(looping);
    struct flow_session *s = flow_session_new(NULL, 1);
    json_t *ev;

    (void)state;
    ev = run_start(set, s, "Loop", NULL, NOW);
    assert_int_equal(json_array_size(ev), 103);
    event_at(ev, 100, "msg_created");
    assert_string_equal(ev_str(event_at(ev, 101, "failure"), "text"),
                        "Reached maximum number of steps per sprint (100)");
    assert_string_equal(ev_str(event_at(ev, 102, "run_ended"), "status"),
                        "failed");
    assert_int_equal(flow_session_status(s), FLOW_FAILED);
    json_decref(ev);
    flow_session_free(s);
    flow_set_free(set);
}

static const char no_default[] = HEAD(
    "f2000000-0000-4000-8000-000000000002",
    "NoDefault") "\"nodes\":[{\"uuid\":\"n2000000-0000-4000-8000-"
                 "000000000002\","
                 "\"router\":{\"type\":\"switch\",\"operand\":\"@fields.age\","
                 "\"cases\":[{\"uuid\":\"c2000000-0000-4000-8000-"
                 "000000000001\","
                 "\"type\":\"has_number_between\",\"arguments\":[\"1\",\"17\"],"
                 "\"category_uuid\":\"ca200000-0000-4000-8000-000000000001\"}],"
                 "\"categories\":[{\"uuid\":\"ca200000-0000-4000-8000-"
                 "000000000001\","
                 "\"name\":\"Child\",\"exit_uuid\":\"e2000000-0000-4000-8000-"
                 "000000000002\"}]},\"exits\":[{\"uuid\":\"e2000000-0000-4000-"
                 "8000-"
                 "000000000002\"}]}]}";

static void
test_truncation(void **state)
{
    /* 700 two-byte characters: results keep 640 characters */
    size_t n = 700 * 2;
    char *value = malloc(n + 1), *def;
    struct flow_set *set;
    struct flow_session *s = flow_session_new(NULL, 1);
    json_t *ev;
    const char *got;

    (void)state;
    assert_non_null(value);
    for (size_t i = 0; i < n; i += 2)
        memcpy(value + i, "\xc3\xa9", 2);
    value[n] = '\0';
    def = malloc(n + 1024);
    assert_non_null(def);
    snprintf(
        def, n + 1024,
        HEAD("f2000000-0000-4000-8000-000000000003",
             "Long") "\"nodes\":[{\"uuid\":\"n2000000-0000-4000-8000-"
                     "000000000003\",\"actions\":[{\"uuid\":\"a2000000-0000-"
                     "4000-"
                     "8000-000000000003\",\"type\":\"set_run_result\",\"name\":"
                     "\"Long\",\"value\":\"%s\"}],\"exits\":[{\"uuid\":"
                     "\"e2000000-0000-4000-8000-000000000003\"}]}]}",
        value);
    set = load_ok(def);
    ev = run_start(set, s, "Long", NULL, NOW);
    got = ev_str(event_at(ev, 1, "run_result_changed"), "value");
    assert_int_equal(strlen(got), 640 * 2);
    assert_memory_equal(got, value, 640 * 2);
    json_decref(ev);
    flow_session_free(s);
    flow_set_free(set);
    free(def);
    free(value);
}

/* An export declaring fields age and nick; the flow reads both. */
static const char fields_export[] =
    "{\"version\":\"13\",\"fields\":[{\"key\":\"age\",\"name\":\"Age\","
    "\"type\":\"number\"},{\"key\":\"nick\",\"name\":\"Nick\"}],\"flows\":"
    "[" HEAD(
        "f2000000-0000-4000-8000-000000000010",
        "Fields") "\"nodes\":[{\"uuid\":\"n2000000-0000-4000-8000-"
                  "000000000010\",\"actions\":[{\"uuid\":\"a2000000-0000-"
                  "4000-8000-000000000010\",\"type\":\"set_contact_field\","
                  "\"field\":{\"key\":\"mood\",\"name\":\"Mood\"},"
                  "\"value\":\"\"},{\"uuid\":\"a2000000-0000-4000-8000-"
                  "000000000011\",\"type\":\"send_msg\",\"text\":"
                  "\"[@fields.age|@contact.fields.nick|@fields.mood]\"}],"
                  "\"exits\":[{\"uuid\":\"e2000000-0000-4000-8000-"
                  "000000000010\"}]}]}]}";

static void
field_cb(void *arg, const char *key, const char *name, const char *type)
{
    char *buf = arg;

    snprintf(buf + strlen(buf), 256 - strlen(buf), "%s:%s:%s;", key, name,
             type);
}

static void
test_fields(void **state)
{
    struct flow_set *set = load_ok(fields_export);
    struct flow_session *s = flow_session_new(NULL, 1);
    char err[SK_ERR_LEN] = "", list[256] = "";
    json_t *ev;

    (void)state;
    flow_set_each_field(set, field_cb, list);
    assert_string_equal(list, "age:Age:number;nick:Nick:text;mood:Mood:text;");
    /* declared but unset: empty, not an error */
    ev = run_start(set, s, "Fields", NULL, NOW);
    assert_string_equal(ev_str(event_at(ev, 1, "msg_created"), "text"), "[||]");
    json_decref(ev);
    /* set by the gateway, trimmed, kept across a dump and load */
    assert_int_equal(flow_session_set_field(s, "Age", " 12 "), 0);
    assert_int_equal(flow_session_set_field(s, "nick", "Zed"), 0);
    assert_int_equal(flow_session_set_field(s, "", "x"), SK_EINVAL);
    assert_int_equal(flow_session_set_field(s, "nick", NULL), 0);
    assert_int_equal(flow_session_set_field(s, "mood", "ok"), 0);
    s = roundtrip(s);
    ev = run_start(set, s, "Fields", NULL, NOW);
    /* the flow clears mood, with an event */
    assert_true(json_is_null(
        json_object_get(event_at(ev, 1, "contact_field_changed"), "value")));
    assert_string_equal(ev_str(event_at(ev, 2, "msg_created"), "text"),
                        "[12||]");
    json_decref(ev);
    flow_session_free(s);
    /* a stored field may be null: no value */
    s = flow_session_load("{\"version\":1,\"fields\":{\"age\":null,\"nick\":"
                          "\"Zed\"},\"status\":\"idle\",\"prng\":\"1\","
                          "\"runs\":[]}",
                          err);
    if (s == NULL)
        fail_msg("load: %s", err);
    ev = run_start(set, s, "Fields", NULL, NOW);
    assert_string_equal(ev_str(event_at(ev, 1, "msg_created"), "text"),
                        "[|Zed|]");
    json_decref(ev);
    flow_session_free(s);
    flow_set_free(set);
}

static const char clock_flow[] = HEAD(
    "f2000000-0000-4000-8000-000000000020",
    "Clock") "\"nodes\":[{\"uuid\":\"n2000000-0000-4000-8000-000000000020\","
             "\"actions\":[{\"uuid\":\"a2000000-0000-4000-8000-000000000020\","
             "\"type\":\"send_msg\",\"text\":\"@(format_datetime(now(), "
             "\\\"tt:mm Z\\\"))\"}],\"exits\":[{\"uuid\":\"e2000000-0000-4000-"
             "8000-000000000020\"}]}]}";

static const char away_flow[] = HEAD(
    "f2000000-0000-4000-8000-000000000022",
    "Away") "\"nodes\":[{\"uuid\":\"n2000000-0000-4000-8000-000000000022\","
            "\"actions\":[{\"uuid\":\"a2000000-0000-4000-8000-000000000022\","
            "\"type\":\"send_msg\",\"text\":\"@(format_datetime(now(), "
            "\\\"tt:mm ZZZ\\\", "
            "\\\"Europe/Paris\\\"))\"}],\"exits\":[{\"uuid\":"
            "\"e2000000-0000-4000-8000-000000000022\"}]}]}";

static const char identity_flow[] = HEAD(
    "f2000000-0000-4000-8000-000000000021",
    "Identity") "\"nodes\":[{\"uuid\":\"n2000000-0000-4000-8000-000000000021\","
                "\"actions\":[{\"uuid\":\"a2000000-0000-4000-8000-"
                "000000000021\",\"type\":\"send_msg\",\"text\":\"[@contact."
                "name][@contact.first_name][@contact.urn][@urns][@urns.tel]["
                "@contact.urns.tel][@contact]\"}],\"exits\":[{\"uuid\":"
                "\"e2000000-0000-4000-8000-000000000021\"}]}]}";

/* No name and no address are held: they render empty, with no error. */
static void
test_identity_redacted(void **state)
{
    struct flow_set *set = load_ok(identity_flow);
    struct flow_session *s = flow_session_new(NULL, 1);
    json_t *ev;

    (void)state;
    ev = run_start(set, s, "Identity", NULL, NOW);
    assert_int_equal(json_array_size(ev), 3); /* no error event */
    assert_string_equal(ev_str(event_at(ev, 1, "msg_created"), "text"),
                        "[][][][][][][]");
    json_decref(ev);
    flow_session_free(s);
    flow_set_free(set);
}

/* The session's zone, with the POSIX rule the gateway read for it. */
static void
test_timezone_rule(void **state)
{
    struct flow_set *set = load_ok(clock_flow);
    struct flow_session *s = flow_session_new(NULL, 1);
    int64_t july = 1719835200000LL, january = 1705312800000LL;
    json_t *ev;

    (void)state;
    assert_int_equal(flow_session_set_env(s, "Europe/Paris", NULL, NULL), 0);
    /* no rule: a zone with DST is not known by name, it reads as UTC */
    ev = run_start(set, s, "Clock", NULL, july);
    assert_string_equal(ev_str(event_at(ev, 1, "msg_created"), "text"),
                        "12:00 Z");
    json_decref(ev);
    assert_int_equal(flow_session_set_tz_rule(s, "not a rule"), SK_EINVAL);
    assert_int_equal(flow_session_set_tz_rule(s, "CET-1CEST,M3.5.0,M10.5.0/3"),
                     0);
    s = roundtrip(s);
    ev = run_start(set, s, "Clock", NULL, july);
    assert_string_equal(ev_str(event_at(ev, 1, "msg_created"), "text"),
                        "14:00 +02:00");
    json_decref(ev);
    ev = run_start(set, s, "Clock", NULL, january); /* 2024-01-15T10:00Z */
    assert_string_equal(ev_str(event_at(ev, 1, "msg_created"), "text"),
                        "11:00 +01:00");
    json_decref(ev);
    assert_int_equal(flow_session_set_tz_rule(s, NULL), 0);
    ev = run_start(set, s, "Clock", NULL, january);
    assert_string_equal(ev_str(event_at(ev, 1, "msg_created"), "text"),
                        "10:00 Z");
    json_decref(ev);
    flow_session_free(s);
    flow_set_free(set);
}

/* The caller's lookup of zones by name: the rule the zone database has
 * for the one this test names. */
static const char *
paris_only(void *arg, const char *name)
{
    int *calls = arg;

    (*calls)++;
    return strcmp(name, "Europe/Paris") == 0 ? "CET-1CEST,M3.5.0,M10.5.0/3"
                                             : NULL;
}

/* A zone other than the session's, given by name in an expression. */
static void
test_zone_lookup(void **state)
{
    struct flow_set *set = load_ok(away_flow);
    struct flow_session *s = flow_session_new(NULL, 1);
    int64_t july = 1719835200000LL; /* 2024-07-01T12:00Z */
    int calls = 0;
    json_t *ev;

    (void)state;
    flow_session_set_zone_lookup(s, paris_only, &calls);
    ev = run_start(set, s, "Away", NULL, july);
    assert_string_equal(ev_str(event_at(ev, 1, "msg_created"), "text"),
                        "14:00 +02:00");
    assert_true(calls > 0);
    json_decref(ev);
    s = roundtrip(s); /* the lookup is not in the dump */
    ev = run_start(set, s, "Away", NULL, july);
    assert_non_null(strstr(ev_str(event_at(ev, 1, "error"), "text"),
                           "unknown time zone Europe/Paris"));
    json_decref(ev);
    flow_session_free(s);
    flow_set_free(set);
}

static void
test_no_category(void **state)
{
    static char text[4096];
    struct flow_set *set;
    char err[SK_ERR_LEN] = "";
    struct flow_session *s = flow_session_load(
        "{\"version\":1,\"fields\":{\"age\":\"12\"},\"status\":"
        "\"idle\",\"prng\":\"0\",\"runs\":[]}",
        err);
    json_t *ev;

    /* @fields.age reads a field the export declares */
    snprintf(text, sizeof(text),
             "{\"fields\":[{\"key\":\"age\",\"name\":\"Age\"}],"
             "\"flows\":[%s]}",
             no_default);
    set = load_ok(text);
    (void)state;
    assert_non_null(s);
    ev = run_start(set, s, "NoDefault", NULL, NOW);
    assert_int_equal(json_array_size(ev), 2); /* no result_name: no event */
    assert_int_equal(flow_session_status(s), FLOW_COMPLETED);
    json_decref(ev);
    flow_session_free(s);
    s = flow_session_new(NULL, 0); /* no age: no case, no default */
    ev = run_start(set, s, "NoDefault", NULL, NOW);
    event_at(ev, json_array_size(ev) - 2, "failure");
    assert_string_equal(
        ev_str(event_at(ev, json_array_size(ev) - 1, "run_ended"), "status"),
        "failed");
    assert_int_equal(flow_session_status(s), FLOW_FAILED);
    json_decref(ev);
    flow_session_free(s);
    flow_set_free(set);
}

static const char random_flow[] = HEAD(
    "f3000000-0000-4000-8000-000000000001",
    "Coin") "\"nodes\":[{\"uuid\":\"n3000000-0000-4000-8000-000000000001\","
            "\"router\":{\"type\":\"random\",\"result_name\":\"Side\","
            "\"categories\":[{\"uuid\":\"ca300000-0000-4000-8000-"
            "000000000001\","
            "\"name\":\"Heads\",\"exit_uuid\":\"e3000000-0000-4000-8000-"
            "000000000001\"},{\"uuid\":\"ca300000-0000-4000-8000-"
            "000000000002\","
            "\"name\":\"Tails\",\"exit_uuid\":\"e3000000-0000-4000-8000-"
            "000000000002\"}]},\"exits\":[{\"uuid\":\"e3000000-0000-4000-8000-"
            "000000000001\"},{\"uuid\":\"e3000000-0000-4000-8000-"
            "000000000002\"}]}]}";

static void
test_random(void **state)
{
    struct flow_set *set = load_ok(random_flow);
    int heads = 0;

    (void)state;
    for (uint64_t seed = 0; seed < 40; seed++) {
        const char *cat[2];

        for (int k = 0; k < 2; k++) {
            struct flow_session *s = flow_session_new(NULL, seed);
            json_t *ev = run_start(set, s, "Coin", NULL, NOW);

            cat[k] = strcmp(ev_str(event_at(ev, 1, "run_result_changed"),
                                   "category"),
                            "Heads") == 0
                         ? "Heads"
                         : "Tails";
            json_decref(ev);
            flow_session_free(s);
        }
        assert_string_equal(cat[0], cat[1]); /* repeatable */
        heads += strcmp(cat[0], "Heads") == 0;
    }
    assert_true(heads > 5 && heads < 35);
    flow_set_free(set);
}

static const char voice[] =
    "{\"uuid\":\"f5000000-0000-4000-8000-000000000001\",\"name\":"
    "\"Hotline\",\"spec_version\":\"14.0.0\",\"language\":\"eng\","
    "\"type\":\"voice\",\"localization\":{\"swa\":{\"a5000000-0000-4000-"
    "8000-000000000001\":{\"text\":[\"Karibu\"]}}},\"nodes\":[{\"uuid\":"
    "\"n5000000-0000-4000-8000-000000000001\",\"actions\":["
    "{\"uuid\":\"a5000000-0000-4000-8000-000000000001\",\"type\":"
    "\"say_msg\",\"text\":\"Welcome\"},"
    "{\"uuid\":\"a5000000-0000-4000-8000-000000000002\",\"type\":"
    "\"play_audio\",\"audio_url\":\"http://x/@contact.language/a.wav\"},"
    "{\"uuid\":\"a5000000-0000-4000-8000-000000000003\",\"type\":"
    "\"set_contact_language\",\"language\":\"xx1\"}],"
    "\"router\":{\"type\":\"switch\",\"result_name\":\"Choice\","
    "\"wait\":{\"type\":\"msg\",\"hint\":{\"type\":\"audio\"},"
    "\"timeout\":{\"seconds\":5,\"category_uuid\":\"ca500000-0000-4000-"
    "8000-000000000002\"}},\"cases\":[{\"uuid\":\"c5000000-0000-4000-8000-"
    "000000000001\",\"type\":\"has_number_between\",\"arguments\":[\"1\","
    "\"3\"],\"category_uuid\":\"ca500000-0000-4000-8000-000000000001\"}],"
    "\"default_category_uuid\":\"ca500000-0000-4000-8000-000000000002\","
    "\"categories\":[{\"uuid\":\"ca500000-0000-4000-8000-000000000001\","
    "\"name\":\"Valid\",\"exit_uuid\":\"e5000000-0000-4000-8000-"
    "000000000001\"},{\"uuid\":\"ca500000-0000-4000-8000-000000000002\","
    "\"name\":\"Other\",\"exit_uuid\":\"e5000000-0000-4000-8000-"
    "000000000001\"}]},\"exits\":[{\"uuid\":\"e5000000-0000-4000-8000-"
    "000000000001\"}]}]}";

static void
test_voice(void **state)
{
    struct flow_set *set = load_ok(voice);
    struct flow_session *s = flow_session_new("swa", 1);
    json_t *ev;
    const json_t *e;

    (void)state;
    assert_string_equal(flow_type(flow_set_find(set, "hotline")), "voice");
    ev = run_start(set, s, "Hotline", NULL, NOW);
    e = event_at(ev, 1, "ivr_created");
    assert_string_equal(ev_str(e, "text"), "Karibu");
    e = event_at(ev, 2, "ivr_created");
    assert_string_equal(ev_str(e, "audio_url"), "http://x/swa/a.wav");
    event_at(ev, 3, "error"); /* xx1 is no language: unchanged */
    e = event_at(ev, 4, "msg_wait");
    assert_string_equal(ev_str(e, "hint"), "audio");
    assert_int_equal(json_integer_value(json_object_get(e, "timeout_seconds")),
                     5);
    json_decref(ev);
    assert_string_equal(flow_session_language(s), "swa");
    ev = run_resume(set, s, FLOW_RESUME_MSG, "2", NOW + 1);
    e = event_at(ev, 0, "run_result_changed");
    assert_string_equal(ev_str(e, "category"), "Valid");
    assert_string_equal(ev_str(e, "value"), "2");
    event_at(ev, 1, "run_ended");
    json_decref(ev);
    flow_session_free(s);
    flow_set_free(set);
}

static void
test_session_corrupt(void **state)
{
    static const char *bad[] = {
        "",
        "{",
        "[]",
        "{\"version\":2}",
        "{\"version\":1,\"fields\":{},\"status\":\"nope\",\"prng\":\"1\","
        "\"runs\":[]}",
        "{\"version\":1,\"fields\":[],\"status\":\"idle\",\"prng\":\"1\","
        "\"runs\":[]}",
        "{\"version\":1,\"fields\":{},\"status\":\"waiting\",\"prng\":\"1\","
        "\"runs\":[]}",
        "{\"version\":1,\"fields\":{},\"status\":\"idle\",\"prng\":\"zz\","
        "\"runs\":[]}",
        "{\"version\":1,\"fields\":{},\"status\":\"idle\",\"prng\":\"1\","
        "\"runs\":[{\"flow_uuid\":3}]}",
        "{\"version\":1,\"fields\":{\"a\":1},\"status\":\"idle\","
        "\"prng\":\"1\",\"runs\":[]}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[SK_ERR_LEN] = "";
        struct flow_session *s = flow_session_load(bad[i], err);

        if (s != NULL)
            fail_msg("accepted corrupt session %zu", i);
        assert_true(err[0] != '\0');
    }
}

/* Damaged sessions and definitions give errors, never crashes. */
static void
test_mutations(void **state)
{
    struct flow_set *set = load_ok(subflows);
    struct flow_session *s = flow_session_new("eng", 3);
    uint64_t rnd = 42;
    char *dump, *text;
    size_t len;

    (void)state;
    json_decref(run_start(set, s, "Parent", NULL, NOW));
    dump = flow_session_dump(s);
    assert_non_null(dump);
    len = strlen(dump);
    text = malloc(len + 1);
    assert_non_null(text);
    for (int i = 0; i < 2000; i++) {
        char err[SK_ERR_LEN] = "";
        struct flow_session *t;
        json_t *ev;
        struct flow_resume r = {.type = FLOW_RESUME_MSG, .text = "1"};

        memcpy(text, dump, len + 1);
        rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
        if (i % 3 == 0) {
            text[(rnd >> 33) % len] = '\0'; /* truncated */
        } else {
            size_t at = (rnd >> 33) % len;
            static const char junk[] = "{}[]\",:0-9aZ\\u";

            text[at] = junk[(rnd >> 17) % (sizeof(junk) - 1)];
        }
        t = flow_session_load(text, err);
        if (t == NULL) {
            assert_true(err[0] != '\0');
            continue;
        }
        ev = json_array();
        r.type = (enum flow_resume_type)((rnd >> 40) % 3);
        (void)flow_resume(set, t, &r, NOW, ev, err);
        json_decref(ev);
        flow_session_free(t);
    }
    for (int i = 0; i < 300; i++) {
        struct flow_set *x = flow_set_new();
        size_t n = strlen(subflows);
        char *def = strdup(subflows);

        assert_non_null(def);
        rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
        def[(rnd >> 33) % n] = "x\"{}[]0,:"[(rnd >> 20) % 9];
        if (flow_set_add_json(x, def, n, NULL, NULL) == 0 &&
            flow_set_link(x, NULL, NULL) == 0 && flow_set_count(x) > 0) {
            struct flow_session *t = flow_session_new(NULL, 1);
            json_t *ev = json_array();
            char err[SK_ERR_LEN] = "";

            (void)flow_start(x, t, flow_set_at(x, 0), "hi", NOW, ev, err);
            json_decref(ev);
            flow_session_free(t);
        }
        flow_set_free(x);
        free(def);
    }
    free(text);
    free(dump);
    flow_session_free(s);
    flow_set_free(set);
}

/* An export without flows (only fields, or nothing yet) loads into an
 * empty set: found by fuzz_flow, it used to do pointer arithmetic and a
 * memcpy on the set's NULL arrays. */
static void
test_load_empty_export(void **state)
{
    struct diags d = {0};
    struct flow_set *set = flow_set_new();
    const char *empty = "{\"flows\": []}";
    const char *no_flows = "{\"flows\": [], \"triggers\": [], \"fields\": []}";

    (void)state;
    assert_non_null(set);
    assert_int_equal(flow_set_add_json(set, empty, strlen(empty), diag_cb, &d),
                     0);
    assert_int_equal(
        flow_set_add_json(set, no_flows, strlen(no_flows), diag_cb, &d), 0);
    assert_int_equal(flow_set_link(set, diag_cb, &d), 0);
    assert_int_equal(d.n, 0);
    assert_int_equal(flow_set_count(set), 0);
    assert_null(flow_set_match_keyword(set, "hi"));
    flow_set_free(set);
}

static void
test_load_rejects(void **state)
{
    static const struct {
        const char *json;
        const char *want;
    } cases[] = {
        {"{\"uuid\":\"f4000000-0000-4000-8000-000000000001\",\"name\":\"New\","
         "\"spec_version\":\"15.0.0\",\"language\":\"eng\",\"type\":"
         "\"messaging\",\"nodes\":[]}",
         "spec version 15.0.0 is newer than supported 14.x"},
        /* a legacy flow is migrated, then refused for what it uses */
        {"{\"flows\":[{\"base_language\":\"eng\",\"action_sets\":[],"
         "\"rule_sets\":[{\"uuid\":\"r4000000-0000-4000-8000-000000000001\","
         "\"ruleset_type\":\"webhook\",\"label\":\"Hook\",\"config\":"
         "{\"webhook\":\"http://x\"},\"rules\":[{\"uuid\":\"e4000000-0000-"
         "4000-8000-000000000009\",\"test\":{\"type\":\"webhook_status\","
         "\"status\":\"success\"},\"category\":{\"eng\":\"Success\"}}]}],"
         "\"metadata\":{\"name\":\"Old\",\"uuid\":\"f4000000-0000-4000-"
         "8000-000000000009\"}}]}",
         "flow \"Old\": node 1 (uuid r4000000-0000-4000-8000-"
         "000000000001): action type \"call_webhook\" is not supported"},
        {HEAD("f4000000-0000-4000-8000-000000000002",
              "Hooky") "\"nodes\":[{\"uuid\":\"n4000000-0000-4000-8000-"
                       "000000000001\","
                       "\"actions\":[{\"uuid\":\"a4000000-0000-4000-8000-"
                       "000000000001\","
                       "\"type\":\"call_webhook\",\"url\":\"http://"
                       "x\",\"method\":"
                       "\"GET\"}],\"exits\":[{\"uuid\":\"e4000000-0000-4000-"
                       "8000-"
                       "000000000001\"}]}]}",
         "flow \"Hooky\": node 1 (uuid n4000000-0000-4000-8000-000000000001): "
         "action type \"call_webhook\" is not supported"},
        {HEAD("f4000000-0000-4000-8000-000000000003",
              "Dangling") "\"nodes\":[{\"uuid\":\"n4000000-0000-4000-8000-"
                          "000000000002\","
                          "\"exits\":[{\"uuid\":\"e4000000-0000-4000-8000-"
                          "000000000002\","
                          "\"destination_uuid\":\"n4000000-0000-4000-8000-"
                          "000000000009\"}]}]}",
         "points to missing node"},
        {"{\"uuid\":\"f4000000-0000-4000-8000-000000000004\",\"name\":\"W\","
         "\"spec_version\":\"14.0.0\",\"language\":\"eng\",\"type\":"
         "\"voice\",\"nodes\":[{\"uuid\":\"n4000000-0000-4000-8000-"
         "000000000003\",\"router\":{\"type\":\"switch\",\"wait\":{\"type\":"
         "\"dial\"},\"categories\":[{\"uuid\":\"ca400000-0000-4000-8000-"
         "000000000001\",\"name\":\"A\",\"exit_uuid\":\"e4000000-0000-4000-"
         "8000-000000000003\"}]},\"exits\":[{\"uuid\":\"e4000000-0000-4000-"
         "8000-000000000003\"}]}]}",
         "wait type \"dial\" is not supported"},
        {HEAD("f4000000-0000-4000-8000-000000000009",
              "Forever") "\"nodes\":[{\"uuid\":\"n4000000-0000-4000-8000-"
                         "000000000009\",\"router\":{\"type\":\"switch\","
                         "\"wait\":{\"type\":\"msg\",\"timeout\":{"
                         "\"seconds\":9223372036854775,\"category_uuid\":"
                         "\"ca400000-0000-4000-8000-000000000009\"}},"
                         "\"default_category_uuid\":\"ca400000-0000-4000-"
                         "8000-000000000009\",\"categories\":[{\"uuid\":"
                         "\"ca400000-0000-4000-8000-000000000009\",\"name\":"
                         "\"A\",\"exit_uuid\":\"e4000000-0000-4000-8000-"
                         "000000000009\"}]},\"exits\":[{\"uuid\":"
                         "\"e4000000-0000-4000-8000-000000000009\"}]}]}",
         "at most 31536000"},
        {"{\"flows\":[" HEAD(
             "f4000000-0000-4000-8000-000000000005",
             "E") "\"nodes\":[{\"uuid\":\"n4000000-0000-4000-8000-"
                  "000000000004\","
                  "\"actions\":[{\"uuid\":\"a4000000-0000-4000-8000-"
                  "000000000004\","
                  "\"type\":\"enter_flow\",\"flow\":{\"uuid\":\"f4000000-0000-"
                  "4000-"
                  "8000-000000000099\",\"name\":\"Gone\"}}],\"exits\":[{"
                  "\"uuid\":"
                  "\"e4000000-0000-4000-8000-000000000004\"}]}]}]}",
         "enter_flow names missing flow"},
        {"not json", "invalid JSON"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct diags d = {0};
        int rc;
        struct flow_set *set = load_text(cases[i].json, &d, &rc);

        if (rc == 0 || strstr(d.last, cases[i].want) == NULL)
            fail_msg("case %zu: rc %d, diag \"%s\"", i, rc, d.last);
        assert_int_equal(rc, SK_EINVAL);
        flow_set_free(set);
    }
}

static void
count_msgs(void *arg, const char *node, const char *lang, const char *text)
{
    int *n = arg;

    (void)node;
    (void)text;
    *n += strcmp(lang, "fra") == 0 ? 100 : 1;
}

static void
test_each_message(void **state)
{
    struct flow_set *set = load_ok(survey);
    int n = 0;

    (void)state;
    flow_each_message(flow_set_at(set, 0), count_msgs, &n);
    assert_int_equal(n, 102); /* two originals, one translation */
    flow_set_free(set);
}

/* --- goflow fixtures ------------------------------------------------------ */

static void
test_broken_flows(void **state)
{
    const char *fx = fixtures();
    char dir[1024];
    struct dirent *de;
    DIR *dp;
    int n = 0;

    (void)state;
    if (fx == NULL)
        skip();
    snprintf(dir, sizeof(dir), "%s/goflow/broken_flows", fx);
    dp = opendir(dir);
    assert_non_null(dp);
    while ((de = readdir(dp)) != NULL) {
        char path[2048];
        struct diags d = {0};
        struct flow_set *set;
        size_t len;
        char *text;
        int rc;

        if (strstr(de->d_name, ".json") == NULL)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        text = read_file(path, &len);
        assert_non_null(text);
        set = flow_set_new();
        rc = flow_set_add_json(set, text, len, diag_cb, &d);
        if (rc == 0)
            rc = flow_set_link(set, diag_cb, &d);
        if (rc == 0)
            fail_msg("%s was accepted", de->d_name);
        assert_true(d.n > 0);
        if (getenv("SK_TEST_VERBOSE"))
            fprintf(stderr, "%s: %s\n", de->d_name, d.last);
        flow_set_free(set);
        free(text);
        n++;
    }
    closedir(dp);
    assert_true(n >= 29);
}

/*
 * goflow's per-action cases for the actions this engine runs: every
 * definition goflow refuses to read must be refused here too; the others
 * are wrapped in a one-node flow and run (reported, not asserted: many use
 * contact data this engine does not hold).
 */
static void
test_action_fixtures(void **state)
{
    static const char *actions[] = {"send_msg",          "say_msg",
                                    "play_audio",        "set_run_result",
                                    "set_contact_field", "set_contact_language",
                                    "enter_flow"};
    const char *fx = fixtures();
    int refused = 0, loaded = 0, unsupported = 0;

    (void)state;
    if (fx == NULL)
        skip();
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        char path[2048];
        json_t *cases, *c;
        size_t k;

        snprintf(path, sizeof(path), "%s/goflow/actions/%s.json", fx,
                 actions[i]);
        cases = json_load_file(path, 0, NULL);
        assert_non_null(cases);
        json_array_foreach(cases, k, c)
        {
            bool is_voice = strcmp(actions[i], "say_msg") == 0 ||
                            strcmp(actions[i], "play_audio") == 0;
            json_t *flow = json_pack(
                "{s:s,s:s,s:s,s:s,s:s,s:O?,s:[{s:s,s:[O],s:[{s:s}]}]}", "uuid",
                "bd154980-7bf7-4ab8-8728-545fd6378912", "name", "Action Tester",
                "spec_version", "13.0.0", "language", "eng", "type",
                is_voice ? "voice" : "messaging", "localization",
                json_object_get(c, "localization"), "nodes", "uuid",
                "72a1f5df-49f9-45df-94c9-d86f7ea064e5", "actions",
                json_object_get(c, "action"), "exits", "uuid",
                "d7a36118-0a38-4b35-a7e4-ae89042f0d3c");
            char *text = json_dumps(flow, 0);
            struct diags d = {0};
            struct flow_set *set = flow_set_new();
            int rc = flow_set_add_json(set, text, strlen(text), diag_cb, &d);

            if (json_object_get(c, "read_error") != NULL) {
                if (rc == 0)
                    fail_msg(
                        "%s case %zu (%s) was accepted", actions[i], k,
                        json_string_value(json_object_get(c, "description")));
                refused++;
            } else if (rc == 0) {
                struct flow_session *s = flow_session_new("eng", 1);
                json_t *ev = json_array();
                char err[SK_ERR_LEN] = "";

                if (flow_start(set, s, flow_set_at(set, 0), NULL, NOW, ev,
                               err) != 0 &&
                    strcmp(actions[i], "enter_flow") != 0)
                    fail_msg("%s case %zu: %s", actions[i], k, err);
                if (getenv("SK_TEST_VERBOSE") != NULL) {
                    char *got = json_dumps(ev, JSON_COMPACT);
                    char *want =
                        json_dumps(json_object_get(c, "events"), JSON_COMPACT);

                    fprintf(stderr,
                            "  %s %zu\n    got  %.300s\n    want %.300s\n",
                            actions[i], k, got, want);
                    free(got);
                    free(want);
                }
                json_decref(ev);
                flow_session_free(s);
                loaded++;
            } else {
                unsupported++;
            }
            flow_set_free(set);
            free(text);
            json_decref(flow);
        }
        json_decref(cases);
    }
    fprintf(stderr,
            "goflow action cases: %d refused as goflow does, %d run, %d "
            "use unsupported features\n",
            refused, loaded, unsupported);
    assert_true(refused >= 2);
}

static bool event_matches(const json_t *want, const json_t *got, char *why,
                          size_t wlen);

/*
 * goflow's router cases: definitions it refuses must be refused; the others
 * run in a one-node flow and must give the same result (or failure).
 * Cases with tests this engine lacks (groups) are counted, not run.
 */
static void
test_router_fixtures(void **state)
{
    static const char *files[] = {"switch", "random"};
    const char *fx = fixtures();
    int same = 0, refused = 0, unsupported = 0;

    (void)state;
    if (fx == NULL)
        skip();
    for (size_t i = 0; i < 2; i++) {
        char path[2048];
        json_t *cases, *c;
        size_t k;

        snprintf(path, sizeof(path), "%s/goflow/routers/%s.json", fx, files[i]);
        cases = json_load_file(path, 0, NULL);
        assert_non_null(cases);
        json_array_foreach(cases, k, c)
        {
            const json_t *router = json_object_get(c, "router");
            json_t *exits = json_array(), *cat, *flow;
            const json_t *want;
            struct diags d = {0};
            struct flow_set *set = flow_set_new();
            size_t j;
            char *text;
            int rc;

            json_array_foreach(json_object_get(router, "categories"), j, cat)
            {
                json_array_append_new(
                    exits, json_pack("{s:O}", "uuid",
                                     json_object_get(cat, "exit_uuid")));
            }
            flow = json_pack("{s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:O,s:o}]}", "uuid",
                             "bd154980-7bf7-4ab8-8728-545fd6378912", "name",
                             "Router Tester", "spec_version", "13.0.0",
                             "language", "eng", "type", "messaging", "nodes",
                             "uuid", "64373978-e8f6-4973-b6ff-a2993f3376fc",
                             "router", router, "exits", exits);
            text = json_dumps(flow, 0);
            rc = flow_set_add_json(set, text, strlen(text), diag_cb, &d);
            want = json_array_get(json_object_get(c, "events"), 0);
            if (json_object_get(c, "read_error") != NULL) {
                if (rc == 0)
                    fail_msg("%s case %zu was accepted", files[i], k);
                refused++;
            } else if (rc != 0) {
                unsupported++;
            } else {
                struct flow_session *s = flow_session_new("eng", 1);
                json_t *ev = run_start(set, s, "Router Tester", NULL, NOW);
                const json_t *got = json_array_get(ev, 1);
                char why[256] = "";

                if (strcmp(files[i], "random") == 0) {
                    /* another PRNG: the same shape, not the same pick */
                    assert_string_equal(ev_str(got, "type"),
                                        "run_result_changed");
                    assert_string_equal(ev_str(got, "name"),
                                        ev_str(want, "name"));
                } else if (!event_matches(want, got, why, sizeof(why))) {
                    fail_msg("%s case %zu: %s", files[i], k, why);
                }
                same++;
                json_decref(ev);
                flow_session_free(s);
            }
            flow_set_free(set);
            free(text);
            json_decref(flow);
        }
        json_decref(cases);
    }
    fprintf(stderr,
            "goflow router cases: %d same, %d refused as goflow does, %d "
            "use unsupported tests\n",
            same, refused, unsupported);
    assert_true(same >= 3 && refused >= 3);
}

/* Our event in the goflow form's terms: does it match expected? */
static bool
event_matches(const json_t *want, const json_t *got, char *why, size_t wlen)
{
    const char *type = ev_str(want, "type");
    const json_t *msg = json_object_get(want, "msg");

    if (strcmp(type, ev_str(got, "type")) != 0) {
        snprintf(why, wlen, "type %s, want %s", ev_str(got, "type"), type);
        return false;
    }
#define SAME(gkey, wval)                                                       \
    do {                                                                       \
        const char *w_ = (wval), *g_ = ev_str(got, gkey);                      \
        if (w_ != NULL && (g_ == NULL || strcmp(w_, g_) != 0)) {               \
            snprintf(why, wlen, "%s %s: \"%s\", want \"%s\"", type, gkey,      \
                     g_ ? g_ : "(none)", w_);                                  \
            return false;                                                      \
        }                                                                      \
    } while (0)
    if (strcmp(type, "run_started") == 0 || strcmp(type, "run_ended") == 0) {
        SAME("flow", json_string_value(json_object_get(
                         json_object_get(want, "flow"), "name")));
        SAME("status", ev_str(want, "status"));
    } else if (strcmp(type, "msg_created") == 0) {
        SAME("text", json_string_value(json_object_get(msg, "text")));
    } else if (strcmp(type, "run_result_changed") == 0) {
        SAME("name", ev_str(want, "name"));
        SAME("value", ev_str(want, "value"));
        SAME("category", ev_str(want, "category"));
    } else if (strcmp(type, "contact_language_changed") == 0) {
        SAME("language", ev_str(want, "language"));
    } else if (strcmp(type, "contact_field_changed") == 0) {
        const json_t *wv = json_object_get(want, "value");
        const json_t *gv = json_object_get(got, "value");
        const char *wk = json_string_value(
            json_object_get(json_object_get(want, "field"), "key"));
        const char *gk = json_string_value(
            json_object_get(json_object_get(got, "field"), "key"));

        if (wk == NULL || gk == NULL || strcmp(wk, gk) != 0 ||
            json_is_null(wv) != json_is_null(gv) ||
            (!json_is_null(wv) &&
             strcmp(json_string_value(json_object_get(wv, "text")),
                    json_string_value(json_object_get(gv, "text"))) != 0)) {
            snprintf(why, wlen, "contact_field_changed %s differs",
                     wk ? wk : "");
            return false;
        }
    } else if (strcmp(type, "failure") == 0) {
        SAME("text", ev_str(want, "text"));
    } else if (strcmp(type, "msg_wait") == 0) {
        if (json_integer_value(json_object_get(want, "timeout_seconds")) !=
            json_integer_value(json_object_get(got, "timeout_seconds"))) {
            snprintf(why, wlen, "msg_wait timeout differs");
            return false;
        }
    }
#undef SAME
    return true;
}

static bool
compared_type(const char *type)
{
    static const char *types[] = {"run_started",
                                  "run_ended",
                                  "msg_created",
                                  "msg_wait",
                                  "run_result_changed",
                                  "contact_language_changed",
                                  "failure",
                                  "contact_field_changed"};

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(types[i], type) == 0)
            return true;
    return false;
}

static bool
compare_sprint(const json_t *want, const json_t *got, char *why, size_t wlen)
{
    size_t i = 0, j = 0;

    for (;;) {
        while (i < json_array_size(want) &&
               !compared_type(ev_str(json_array_get(want, i), "type")))
            i++;
        while (j < json_array_size(got) &&
               !compared_type(ev_str(json_array_get(got, j), "type")))
            j++;
        if (i == json_array_size(want) || j == json_array_size(got))
            break;
        if (!event_matches(json_array_get(want, i), json_array_get(got, j), why,
                           wlen))
            return false;
        i++;
        j++;
    }
    if (i != json_array_size(want) || j != json_array_size(got)) {
        snprintf(why, wlen, "%s events",
                 i != json_array_size(want) ? "missing" : "extra");
        return false;
    }
    return true;
}

/* A session with the fixture's contact (language and field texts). */
static struct flow_session *
fixture_session(const json_t *contact)
{
    json_t *js = json_pack("{s:i,s:O?,s:{},s:s,s:s,s:[]}", "version", 1,
                           "language", json_object_get(contact, "language"),
                           "fields", "status", "idle", "prng", "1", "runs");
    json_t *fields = json_object_get(js, "fields");
    const char *key;
    json_t *v;
    char err[SK_ERR_LEN] = "";
    struct flow_session *s;
    char *text;

    json_object_foreach(json_object_get(contact, "fields"), key, v)
    {
        if (json_is_string(json_object_get(v, "text")))
            json_object_set(fields, key, json_object_get(v, "text"));
    }
    /* goflow's test environment: the contact's timezone, year first */
    json_object_set_new(js, "env",
                        json_pack("{s:O?,s:s}", "timezone",
                                  json_object_get(contact, "timezone"),
                                  "date_format", "YYYY-MM-DD"));
    text = json_dumps(js, 0);
    s = flow_session_load(text, err);
    free(text);
    json_decref(js);
    return s;
}

/* 1 passed, 0 failed, -1 not runnable here (unsupported features) */
static int
run_fixture(const char *dir, const char *assets, const char *testfile,
            char *why, size_t wlen)
{
    char path[2048];
    struct diags d = {0};
    struct flow_set *set = flow_set_new();
    struct flow_session *s = NULL;
    json_t *test = NULL, *events = NULL;
    const json_t *trig, *outputs, *res;
    const char *input = NULL;
    size_t len, i;
    char *text;
    int rc, ok = 0;

    snprintf(path, sizeof(path), "%s/%s", dir, assets);
    text = read_file(path, &len);
    rc = text ? flow_set_add_json(set, text, len, diag_cb, &d) : SK_EIO;
    free(text);
    if (rc == 0)
        rc = flow_set_link(set, diag_cb, &d);
    if (rc != 0) {
        snprintf(why, wlen, "not loaded: %.400s", d.last);
        ok = -1;
        goto done;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, testfile);
    test = json_load_file(path, 0, NULL);
    assert_non_null(test);
    trig = json_object_get(test, "trigger");
    outputs = json_object_get(test, "outputs");
    if (strcmp(ev_str(trig, "type"), "msg") == 0)
        input = json_string_value(json_object_get(
            json_object_get(json_object_get(trig, "event"), "msg"), "text"));
    else if (strcmp(ev_str(trig, "type"), "manual") != 0) {
        snprintf(why, wlen, "trigger type %s", ev_str(trig, "type"));
        ok = -1;
        goto done;
    }
    s = fixture_session(json_object_get(test, "contact"));
    assert_non_null(s);
    events = json_array();
    {
        char err[SK_ERR_LEN] = "";
        const struct flow *f =
            flow_set_find(set, json_string_value(json_object_get(
                                   json_object_get(trig, "flow"), "uuid")));

        if (f == NULL || flow_start(set, s, f, input, NOW, events, err) != 0) {
            snprintf(why, wlen, "start: %s", err);
            goto done;
        }
    }
    if (!compare_sprint(json_object_get(json_array_get(outputs, 0), "events"),
                        events, why, wlen))
        goto done;
    json_array_foreach(json_object_get(test, "resumes"), i, res)
    {
        struct flow_resume r = {0};
        char err[SK_ERR_LEN] = "";
        const char *type = ev_str(res, "type");

        if (strcmp(type, "msg") == 0) {
            r.type = FLOW_RESUME_MSG;
            r.text = json_string_value(json_object_get(
                json_object_get(json_object_get(res, "event"), "msg"), "text"));
        } else if (strcmp(type, "wait_timeout") == 0) {
            r.type = FLOW_RESUME_TIMEOUT;
        } else if (strcmp(type, "wait_expiration") == 0) {
            r.type = FLOW_RESUME_EXPIRE;
        } else {
            snprintf(why, wlen, "resume type %s", type);
            ok = -1;
            goto done;
        }
        json_array_clear(events);
        s = roundtrip(s);
        if (flow_resume(set, s, &r, NOW + 1000 * (json_int_t)(i + 1), events,
                        err) != 0) {
            snprintf(why, wlen, "resume %zu: %s", i, err);
            goto done;
        }
        if (!compare_sprint(
                json_object_get(json_array_get(outputs, i + 1), "events"),
                events, why, wlen))
            goto done;
    }
    ok = 1;
done:
    json_decref(events);
    json_decref(test);
    flow_session_free(s);
    flow_set_free(set);
    return ok;
}

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_runner_fixtures(void **state)
{
    /* these use only what the engine supports and must pass */
    static const char *must[] = {
        "node_loop.test.json",
        "ping_pong.test.json",
        "expirations.test_all_expire.json",
        "expirations.test_input_for_all.json",
        "field_clear.test.json",
        "subflow_loop_with_wait.test.json",
        "subflow_other.test.json",
        "smart_groups_correction.test.json",
        "subflow.test.json",
        "subflow.test_resume_with_expiration.json",
        "enter_flow_terminal.test.json",
        "initial_wait.test.json",
        "empty.test.json",
        /* legacy (pre-13) flows, migrated on load */
        "legacy_favorites.test.json",
        "legacy_subflow.test.json",
        "legacy_timeout.test.json",
    };
    const char *fx = fixtures();
    char dir[1024];
    char *names[256];
    size_t nnames = 0;
    int passed = 0, failed = 0, skipped = 0;
    struct dirent *de;
    DIR *dp;

    (void)state;
    if (fx == NULL)
        skip();
    snprintf(dir, sizeof(dir), "%s/goflow/runner", fx);
    dp = opendir(dir);
    assert_non_null(dp);
    while ((de = readdir(dp)) != NULL && nnames < 256)
        if (strstr(de->d_name, ".test") != NULL)
            names[nnames++] = strdup(de->d_name);
    closedir(dp);
    qsort(names, nnames, sizeof(names[0]), name_cmp);
    for (size_t i = 0; i < nnames; i++) {
        char assets[512], why[512] = "";
        char *dot = strstr(names[i], ".test");
        int r;

        snprintf(assets, sizeof(assets), "%.*s.json", (int)(dot - names[i]),
                 names[i]);
        r = run_fixture(dir, assets, names[i], why, sizeof(why));
        if (r > 0)
            passed++;
        else if (r < 0)
            skipped++;
        else
            failed++;
        if (r == 0 || getenv("SK_TEST_VERBOSE"))
            fprintf(stderr, "  %-45s %s %s\n", names[i],
                    r > 0   ? "ok"
                    : r < 0 ? "skipped"
                            : "FAILED",
                    why);
        for (size_t k = 0; k < sizeof(must) / sizeof(must[0]); k++)
            if (strcmp(must[k], names[i]) == 0 && r <= 0)
                fail_msg("%s must pass: %s", names[i], why);
    }
    fprintf(stderr,
            "goflow runner fixtures: %d passed, %d failed, %d not "
            "runnable here (unsupported features)\n",
            passed, failed, skipped);
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
}

/* --- review: goflow semantics checked one by one ------------------------ */

/* set_contact_language trims and folds the code, as goflow's
 * i18n.ParseLanguage does ("ENG" is "eng"), then localizes with it. */
static const char lang_case[] = HEAD(
    "f3000000-0000-4000-8000-000000000001",
    "LangCase") "\"localization\":{\"fra\":{\"a3000000-0000-4000-8000-"
                "000000000002\":{\"text\":[\"Bonjour\"]}}},"
                "\"nodes\":[{\"uuid\":\"n3000000-0000-4000-8000-000000000001\","
                "\"actions\":[{\"uuid\":\"a3000000-0000-4000-8000-"
                "000000000001\","
                "\"type\":\"set_contact_language\",\"language\":\" FRA \"},"
                "{\"uuid\":\"a3000000-0000-4000-8000-000000000002\","
                "\"type\":\"send_msg\",\"text\":\"Hello\"},"
                "{\"uuid\":\"a3000000-0000-4000-8000-000000000003\","
                "\"type\":\"set_contact_language\",\"language\":\"Fra\"},"
                "{\"uuid\":\"a3000000-0000-4000-8000-000000000004\","
                "\"type\":\"set_contact_language\",\"language\":\"XZX\"}],"
                "\"exits\":[{\"uuid\":\"e3000000-0000-4000-8000-000000000001\"}"
                "]"
                "}]}";

static void
test_language_case(void **state)
{
    struct flow_set *set = load_ok(lang_case);
    struct flow_session *s = flow_session_new("eng", 1);
    json_t *ev;

    (void)state;
    ev = run_start(set, s, "LangCase", NULL, NOW);
    event_at(ev, 0, "run_started");
    assert_string_equal(
        ev_str(event_at(ev, 1, "contact_language_changed"), "language"), "fra");
    assert_string_equal(ev_str(event_at(ev, 2, "msg_created"), "text"),
                        "Bonjour");
    /* "Fra" is the language the contact has: no event */
    assert_string_equal(ev_str(event_at(ev, 3, "error"), "text"),
                        "unrecognized language code: XZX");
    event_at(ev, 4, "run_ended");
    assert_string_equal(flow_session_language(s), "fra");
    json_decref(ev);
    flow_session_free(s);
    flow_set_free(set);
}

/* @results as goflow's context has them: input "" after set_run_result,
 * created_on the datetime it was saved, values/categories lists of one. */
static const char result_ctx[] = HEAD(
    "f3000000-0000-4000-8000-000000000002",
    "ResultCtx") "\"nodes\":[{\"uuid\":\"n3000000-0000-4000-8000-"
                 "000000000002\",\"actions\":[{\"uuid\":\"a3000000-0000-4000-"
                 "8000-000000000005\",\"type\":\"set_run_result\",\"name\":"
                 "\"X\",\"value\":\"v\",\"category\":\"Cat\"},{\"uuid\":"
                 "\"a3000000-0000-4000-8000-000000000006\",\"type\":"
                 "\"send_msg\",\"text\":\"[@results.x.input] "
                 "@results.x.created_on @results.x.values "
                 "@results.x.categories @results.x.categories_localized "
                 "[@results.x.extra] [@run.results.x.input]\"}],\"exits\":"
                 "[{\"uuid\":\"e3000000-0000-4000-8000-000000000002\"}]}]}";

static void
test_result_context(void **state)
{
    struct flow_set *set = load_ok(result_ctx);
    struct flow_session *s = flow_session_new(NULL, 1);
    json_t *ev;

    (void)state;
    ev = run_start(set, s, "ResultCtx", NULL, NOW);
    event_at(ev, 1, "run_result_changed");
    assert_string_equal(ev_str(event_at(ev, 2, "msg_created"), "text"),
                        "[] 2023-11-14T22:13:20.000000Z [v] [Cat] [Cat] [] []");
    json_decref(ev);
    flow_session_free(s);
    flow_set_free(set);
}

/* --- default renderings and localization leftovers ---------------------- */

/* Turns ' into " so that the flows below read as JSON. Caller frees. */
static char *
dq(const char *s)
{
    char *out = strdup(s);

    assert_non_null(out);
    for (char *p = out; *p != '\0'; p++)
        if (*p == '\'')
            *p = '"';
    return out;
}

/* The text of the k-th msg_created event of events. */
static const char *
nth_msg(const json_t *events, int k)
{
    const json_t *ev;
    size_t i;

    json_array_foreach(events, i, ev)
    {
        if (strcmp(ev_str(ev, "type"), "msg_created") == 0 && k-- == 0)
            return ev_str(ev, "text");
    }
    fail_msg("no msg_created %d", k);
    return NULL;
}

/*
 * Whole objects in a template render as goflow renders them (its
 * Results.Context, FieldValues.Context, FormatRunSummary): @results as
 * sorted "Name: value" lines, @fields the same for the fields with a
 * value, @run as contact@flow with the contact empty here.
 */
static const char defaults_flow[] =
    "{'version':'13','fields':[{'key':'age','name':'Age','type':'number'},"
    "{'key':'nick','name':'Nick Name'}],'flows':[{'uuid':"
    "'f5000000-0000-4000-8000-000000000001','name':'Defaults',"
    "'spec_version':'13.1.0','language':'eng','type':'messaging','nodes':["
    "{'uuid':'n5000000-0000-4000-8000-000000000001','actions':[{'uuid':"
    "'a5000000-0000-4000-8000-000000000001','type':'send_msg','text':"
    "'[@results][@fields][@(count(results))]'}],'router':{'type':'switch',"
    "'operand':'@input.text','result_name':'Favorite Color','wait':{'type':"
    "'msg'},'default_category_uuid':'ca500000-0000-4000-8000-000000000001',"
    "'categories':[{'uuid':'ca500000-0000-4000-8000-000000000001','name':"
    "'All','exit_uuid':'e5000000-0000-4000-8000-000000000001'}]},'exits':[{"
    "'uuid':'e5000000-0000-4000-8000-000000000001','destination_uuid':"
    "'n5000000-0000-4000-8000-000000000002'}]},"
    "{'uuid':'n5000000-0000-4000-8000-000000000002','actions':["
    "{'uuid':'a5000000-0000-4000-8000-000000000002','type':'set_run_result',"
    "'name':'Beer','value':'Pilsner','category':''},"
    "{'uuid':'a5000000-0000-4000-8000-000000000003','type':"
    "'set_contact_field','field':{'key':'nick','name':'Nick Name'},'value':"
    "'Zed'},{'uuid':'a5000000-0000-4000-8000-000000000004','type':"
    "'send_msg','text':'@results|@run.results|@(results)|@run|@fields|"
    "@contact.fields|@input|@flow|[@contact]|@(count(results))|"
    "@(count(fields))|@results.beer'}],'exits':[{'uuid':"
    "'e5000000-0000-4000-8000-000000000002'}]}]}]}";

static void
test_default_renderings(void **state)
{
    char *json = dq(defaults_flow);
    struct flow_set *set = load_ok(json);
    struct flow_session *s = flow_session_new(NULL, 1);
    json_t *ev;

    (void)state;
    assert_int_equal(flow_session_set_field(s, "age", "12"), 0);
    ev = run_start(set, s, "Defaults", NULL, NOW);
    /* nothing saved yet: empty, as goflow joins no lines */
    assert_string_equal(nth_msg(ev, 0), "[][Age: 12][0]");
    json_decref(ev);
    s = roundtrip(s);
    ev = run_resume(set, s, FLOW_RESUME_MSG, "orange", NOW + 1);
    assert_string_equal(nth_msg(ev, 0),
                        "Beer: Pilsner\nFavorite Color: orange|"
                        "Beer: Pilsner\nFavorite Color: orange|"
                        "Beer: Pilsner\nFavorite Color: orange|"
                        "@Defaults|Age: 12\nNick Name: Zed|"
                        "Age: 12\nNick Name: Zed|orange|Defaults|[]|2|2|"
                        "Pilsner");
    json_decref(ev);
    flow_session_free(s);
    flow_set_free(set);
    free(json);
}

/* @parent and @child render as runs, their results as lines. */
static const char defaults_subflow[] =
    "{'version':'13','flows':[{'uuid':'f5000000-0000-4000-8000-000000000002',"
    "'name':'Outer','spec_version':'13.1.0','language':'eng','type':"
    "'messaging','nodes':[{'uuid':'n5000000-0000-4000-8000-000000000003',"
    "'actions':[{'uuid':'a5000000-0000-4000-8000-000000000005','type':"
    "'set_run_result','name':'Mood','value':'ok','category':''},{'uuid':"
    "'a5000000-0000-4000-8000-000000000006','type':'enter_flow','flow':{"
    "'uuid':'f5000000-0000-4000-8000-000000000003','name':'Inner'}}],"
    "'router':{'type':'switch','operand':'@child.status',"
    "'default_category_uuid':'ca500000-0000-4000-8000-000000000002',"
    "'categories':[{'uuid':'ca500000-0000-4000-8000-000000000002','name':"
    "'Any','exit_uuid':'e5000000-0000-4000-8000-000000000003'}]},'exits':[{"
    "'uuid':'e5000000-0000-4000-8000-000000000003','destination_uuid':"
    "'n5000000-0000-4000-8000-000000000004'}]},{'uuid':"
    "'n5000000-0000-4000-8000-000000000004','actions':[{'uuid':"
    "'a5000000-0000-4000-8000-000000000007','type':'send_msg','text':"
    "'@child|@child.results|@child.status'}],'exits':[{'uuid':"
    "'e5000000-0000-4000-8000-000000000004'}]}]},"
    "{'uuid':'f5000000-0000-4000-8000-000000000003','name':'Inner',"
    "'spec_version':'13.1.0','language':'eng','type':'messaging','nodes':[{"
    "'uuid':'n5000000-0000-4000-8000-000000000005','actions':[{'uuid':"
    "'a5000000-0000-4000-8000-000000000008','type':'set_run_result','name':"
    "'Age','value':'12','category':''},{'uuid':"
    "'a5000000-0000-4000-8000-000000000009','type':'send_msg','text':"
    "'@parent|@parent.results|@run|@results'}],'exits':[{'uuid':"
    "'e5000000-0000-4000-8000-000000000005'}]}]}]}";

static void
test_default_renderings_runs(void **state)
{
    char *json = dq(defaults_subflow);
    struct flow_set *set = load_ok(json);
    struct flow_session *s = flow_session_new(NULL, 1);
    json_t *ev;

    (void)state;
    ev = run_start(set, s, "Outer", NULL, NOW);
    assert_string_equal(nth_msg(ev, 0), "@Outer|Mood: ok|@Inner|Age: 12");
    assert_string_equal(nth_msg(ev, 1), "@Inner|Age: 12|completed");
    json_decref(ev);
    flow_session_free(s);
    flow_set_free(set);
    free(json);
}

/*
 * Translations left over for items that were deleted are kept and ignored,
 * as goflow does; an item key that is not a UUID is refused. And the
 * flow's languages, as simulate --lang checks them.
 */
static void
test_localization_leftovers(void **state)
{
    static const char flow_tpl[] =
        "{'uuid':'f5000000-0000-4000-8000-000000000004','name':'Leftover',"
        "'spec_version':'13.1.0','language':'eng','type':'messaging',"
        "'localization':{'fra':{'a5000000-0000-4000-8000-000000000010':{"
        "'text':['Bonjour']},'%s':{'text':['Ancien']}}},'nodes':[{'uuid':"
        "'n5000000-0000-4000-8000-000000000010','actions':[{'uuid':"
        "'a5000000-0000-4000-8000-000000000010','type':'send_msg','text':"
        "'Hello'}],'exits':[{'uuid':'e5000000-0000-4000-8000-000000000010'}]"
        "}]}";
    static const char *const bad[] = {"hello",
                                      "a5000000-0000-4000-8000-00000000001",
                                      "A5000000-0000-4000-8000-000000000099",
                                      "a5000000-0000-4000-c000-000000000099"};
    char buf[1024], *json;
    struct flow_set *set;
    const struct flow *f;
    struct flow_session *s;
    struct diags d;
    json_t *ev;
    int rc;

    (void)state;
    /* a deleted item's translation (v4 and v7 UUIDs): loads, runs */
    snprintf(buf, sizeof(buf), flow_tpl,
             "b5000000-0000-4000-8000-000000000099");
    json = dq(buf);
    set = load_ok(json);
    free(json);
    s = flow_session_new("fra", 1);
    ev = run_start(set, s, "Leftover", NULL, NOW);
    assert_string_equal(nth_msg(ev, 0), "Bonjour");
    json_decref(ev);
    flow_session_free(s);
    /* the flow's languages: its own, then those it is translated into */
    f = flow_set_find(set, "Leftover");
    assert_string_equal(flow_lang_at(f, 0), "eng");
    assert_string_equal(flow_lang_at(f, 1), "fra");
    assert_null(flow_lang_at(f, 2));
    assert_true(flow_lang_known("swa"));
    assert_false(flow_lang_known("zzz"));
    assert_false(flow_lang_known("fr"));
    flow_set_free(set);
    snprintf(buf, sizeof(buf), flow_tpl,
             "0190a1b2-c3d4-7e5f-9a6b-7c8d9e0f1a2b");
    json = dq(buf);
    flow_set_free(load_ok(json));
    free(json);
    /* a key that is not a UUID stays an error */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char want[128];

        memset(&d, 0, sizeof(d));
        snprintf(buf, sizeof(buf), flow_tpl, bad[i]);
        json = dq(buf);
        set = load_text(json, &d, &rc);
        free(json);
        snprintf(want, sizeof(want),
                 "localization for fra: item key \"%s\" is not a UUID", bad[i]);
        if (rc != SK_EINVAL || strstr(d.last, want) == NULL)
            fail_msg("key %s: rc %d, diag \"%s\"", bad[i], rc, d.last);
        flow_set_free(set);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_survey_run),
        cmocka_unit_test(test_survey_localized),
        cmocka_unit_test(test_survey_timeout_expire_interrupt),
        cmocka_unit_test(test_enter_flow),
        cmocka_unit_test(test_keywords),
        cmocka_unit_test(test_step_limit),
        cmocka_unit_test(test_voice),
        cmocka_unit_test(test_no_category),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_timezone_rule),
        cmocka_unit_test(test_zone_lookup),
        cmocka_unit_test(test_identity_redacted),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_session_corrupt),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_load_empty_export),
        cmocka_unit_test(test_load_rejects),
        cmocka_unit_test(test_each_message),
        cmocka_unit_test(test_broken_flows),
        cmocka_unit_test(test_action_fixtures),
        cmocka_unit_test(test_router_fixtures),
        cmocka_unit_test(test_runner_fixtures),
        cmocka_unit_test(test_language_case),
        cmocka_unit_test(test_result_context),
        cmocka_unit_test(test_default_renderings),
        cmocka_unit_test(test_default_renderings_runs),
        cmocka_unit_test(test_localization_leftovers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
