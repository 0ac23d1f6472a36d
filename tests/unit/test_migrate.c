/*
 * test_migrate.c - spec version migrations (flows/migrate.c): one small
 * before/after case per goflow step, 13.1.0 to 14.4.2, goflow's own
 * migration cases ($SK_FIXTURES/goflow/migrations, skipped with a message
 * when absent: every case must migrate exactly and the count is fixed),
 * the versions that are refused, and a 13.0.0 flow that runs exactly as
 * the same flow written for the current spec.
 *
 * The JSON below is written with ' for " to keep it readable; q() turns
 * it back.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "flow.h"

#define NOW 1700000000000LL

/* A flow of type "messaging" at spec version v, then its other members. */
#define FLOW(v, rest)                                                          \
    "{'uuid':'f0000000-0000-4000-8000-000000000001','name':'Mig',"             \
    "'spec_version':'" v "','language':'eng','type':'messaging'," rest "}"

/* One node with actions a (a JSON list's inside) and one exit. */
#define NODE(a)                                                                \
    "'nodes':[{'uuid':'n0000000-0000-4000-8000-000000000001','actions':[" a    \
    "],'exits':[{'uuid':'e0000000-0000-4000-8000-000000000001'}]}]"

static json_t *
q(const char *text)
{
    char *s = strdup(text);
    json_error_t jerr;
    json_t *j;

    assert_non_null(s);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    j = json_loads(s, 0, &jerr);
    if (j == NULL)
        fail_msg("bad test JSON at %d: %s\n%s", jerr.column, jerr.text, s);
    free(s);
    return j;
}

static void
assert_json_eq(const json_t *got, const json_t *want, const char *what)
{
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
        char *w = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);

        fail_msg("%s:\n got  %s\n want %s", what, g, w);
    }
}

/* As assert_json_eq(), for want written as text. */
static void
assert_json_is(const json_t *got, const char *want, const char *what)
{
    json_t *w = q(want);

    assert_json_eq(got, w, what);
    json_decref(w);
}

static json_t *
at(const json_t *j, const char *path)
{
    char buf[256], *save = NULL, *tok;

    snprintf(buf, sizeof(buf), "%s", path);
    for (tok = strtok_r(buf, ".", &save); tok && j;
         tok = strtok_r(NULL, ".", &save)) {
        char *end;
        long i = strtol(tok, &end, 10);

        j = *end == '\0' ? json_array_get(j, (size_t)i)
                         : json_object_get(j, tok);
    }
    return (json_t *)j;
}

/* --- one case per step ---------------------------------------------------- */

static const struct {
    const char *step; /* migrate up to this version */
    const char *before, *after;
} cases[] = {
    /* 13.2.0: a language that is not a 3-letter code becomes und */
    {"13.2.0",
     "{'uuid':'f1','name':'B','spec_version':'13.1.0','language':'base',"
     "'type':'messaging','localization':{'und':{},'fra':{}},'nodes':[]}",
     "{'uuid':'f1','name':'B','spec_version':'13.2.0','language':'und',"
     "'type':'messaging','localization':{'fra':{}},'nodes':[]}"},
    {"13.2.0", FLOW("13.1.0", "'nodes':[]"), FLOW("13.2.0", "'nodes':[]")},
    /* 13.3.0: @webhook becomes @webhook.json, in text and expressions */
    {"13.3.0",
     FLOW("13.2.0", NODE("{'uuid':'a1','type':'send_msg','text':'Got @webhook, "
                         "@webhook.name and @(upper(webhook.name)) @@webhook "
                         "@(\\'webhook\\') @webhooks'}")),
     FLOW("13.3.0",
          NODE("{'uuid':'a1','type':'send_msg','text':'Got @webhook.json, "
               "@webhook.json.name and @(upper(webhook.json.name)) "
               "@@webhook @(\\'webhook\\') @webhooks'}"))},
    /* 13.6.0: result and category names cut to 64 and 36 characters */
    {"13.6.0",
     FLOW("13.5.0",
          NODE("{'uuid':'a1','type':'set_run_result','name':'A result name "
               "far longer than the sixty four characters goflow allows',"
               "'value':'x','category':'A category name that is too long "
               "for it'}")),
     FLOW("13.6.0",
          NODE("{'uuid':'a1','type':'set_run_result','name':'A result name "
               "far longer than the sixty four characters goflow a',"
               "'value':'x','category':'A category name that is too long "
               "for'}"))},
    {"13.6.0",
     FLOW("13.5.0", "'nodes':[{'uuid':'n1','router':{'type':'switch',"
                    "'result_name':'Short','categories':[{'uuid':'c1',"
                    "'name':'Yes, the child says yes and means it so much',"
                    "'exit_uuid':'e1'}],'default_category_uuid':'c1'},"
                    "'exits':[{'uuid':'e1'}]}]"),
     FLOW("13.6.0", "'nodes':[{'uuid':'n1','router':{'type':'switch',"
                    "'result_name':'Short','categories':[{'uuid':'c1',"
                    "'name':'Yes, the child says yes and means it',"
                    "'exit_uuid':'e1'}],'default_category_uuid':'c1'},"
                    "'exits':[{'uuid':'e1'}]}]")},
    /* 13.6.1: @results lookups cut as their names were, translations too */
    {"13.6.1",
     FLOW("13.6.0",
          "'localization':{'fra':{'a1':{'text':['Salut "
          "@results.a_lookup_that_goes_on_well_past_the_sixty_four_"
          "characters_allowed']}}}," NODE(
              "{'uuid':'a1','type':'send_msg','text':'Hi @(upper("
              "results.a_lookup_that_goes_on_well_past_the_sixty_four_"
              "characters_allowed.value)) @results.short'}")),
     FLOW("13.6.1", "'localization':{'fra':{'a1':{'text':['Salut "
                    "@results.a_lookup_that_goes_on_well_past_the_sixty_four_"
                    "characters_allowe']}}}," NODE(
                        "{'uuid':'a1','type':'send_msg','text':'Hi "
                        "@(upper(results.a_lookup_that_goes_on_well_"
                        "past_the_sixty_four_characters_allowe.value)) "
                        "@results.short'}"))},
    /* a cut that ends in the "_" of a space the result name lost */
    {"13.6.1",
     FLOW("13.5.0",
          NODE("{'uuid':'a1','type':'set_run_result','name':'"
               "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
               " tail','value':'yes'},{'uuid':'a2','type':'send_msg',"
               "'text':'@results.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
               "bbbbbbbbbbbbbbbbbbb_tail'}")),
     FLOW("13.6.1",
          NODE("{'uuid':'a1','type':'set_run_result','name':'"
               "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
               "','value':'yes'},{'uuid':'a2','type':'send_msg',"
               "'text':'@results.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
               "bbbbbbbbbbbbbbbbbbb'}"))},
    /* 14.0.0: expiry capped per flow type, nameless categories "Match" */
    {"14.0.0", FLOW("13.6.1", "'expire_after_minutes':1234567,'nodes':[]"),
     FLOW("14.0.0", "'expire_after_minutes':20160,'nodes':[]")},
    {"14.0.0", FLOW("13.6.1", "'expire_after_minutes':10080,'nodes':[]"),
     FLOW("14.0.0", "'expire_after_minutes':10080,'nodes':[]")},
    {"14.0.0",
     "{'uuid':'f1','name':'V','spec_version':'13.6.1','language':'eng',"
     "'type':'voice','expire_after_minutes':123,'nodes':[]}",
     "{'uuid':'f1','name':'V','spec_version':'14.0.0','language':'eng',"
     "'type':'voice','expire_after_minutes':15,'nodes':[]}"},
    {"14.0.0",
     FLOW("13.6.1", "'nodes':[{'uuid':'n1','router':{'type':'switch',"
                    "'categories':[{'uuid':'c1','name':'','exit_uuid':'e1'},"
                    "{'uuid':'c2','name':'Other','exit_uuid':'e1'}],"
                    "'default_category_uuid':'c2'},'exits':[{'uuid':'e1'}]}]"),
     FLOW("14.0.0", "'nodes':[{'uuid':'n1','router':{'type':'switch',"
                    "'categories':[{'uuid':'c1','name':'Match','exit_uuid':"
                    "'e1'},{'uuid':'c2','name':'Other','exit_uuid':'e1'}],"
                    "'default_category_uuid':'c2'},'exits':[{'uuid':'e1'}]}]")},
    /* 14.1.0: at most 10 quick replies; webhook nodes split on status */
    {"14.1.0",
     FLOW("14.0.0", NODE("{'uuid':'a1','type':'send_msg','text':'Pick',"
                         "'quick_replies':['1','2','3','4','5','6','7','8',"
                         "'9','10','11','12']}")),
     FLOW("14.1.0", NODE("{'uuid':'a1','type':'send_msg','text':'Pick',"
                         "'quick_replies':['1','2','3','4','5','6','7','8',"
                         "'9','10']}"))},
    {"14.1.0",
     FLOW("14.0.0",
          "'nodes':[{'uuid':'n1','actions':[{'uuid':'a1','type':"
          "'call_webhook','method':'GET','url':'http://x','result_name':"
          "'Hook'}],'router':{'type':'switch','operand':"
          "'@results.hook.category','cases':[{'uuid':'k1','type':"
          "'has_only_text','arguments':['Success'],'category_uuid':'c1'},"
          "{'uuid':'k2','type':'has_only_text','arguments':['Failure'],"
          "'category_uuid':'c2'}],'categories':[{'uuid':'c1','name':"
          "'Success','exit_uuid':'e1'},{'uuid':'c2','name':'Failure',"
          "'exit_uuid':'e1'}],'default_category_uuid':'c2'},'exits':"
          "[{'uuid':'e1'}]}]"),
     FLOW("14.1.0",
          "'nodes':[{'uuid':'n1','actions':[{'uuid':'a1','type':"
          "'call_webhook','method':'GET','url':'http://x','result_name':"
          "'Hook'}],'router':{'type':'switch','operand':"
          "'@webhook.status','cases':[{'uuid':'k1','type':"
          "'has_number_between','arguments':['200','299'],'category_uuid':"
          "'c1'}],'categories':[{'uuid':'c1','name':"
          "'Success','exit_uuid':'e1'},{'uuid':'c2','name':'Failure',"
          "'exit_uuid':'e1'}],'default_category_uuid':'c2'},'exits':"
          "[{'uuid':'e1'}]}]")},
    /* 14.2.0: open_ticket body -> note; odd localization languages go */
    {"14.2.0",
     FLOW("14.1.0", "'localization':{'base':{},'spa':{}}," NODE(
                        "{'uuid':'a1','type':'open_ticket','body':'Help'}")),
     FLOW("14.2.0", "'localization':{'spa':{}}," NODE(
                        "{'uuid':'a1','type':'open_ticket','note':'Help'}"))},
    /* 14.3.0: ticket nodes split on their output local */
    {"14.3.0",
     FLOW("14.2.0",
          "'nodes':[{'uuid':'n1','actions':[{'uuid':'a1','type':"
          "'open_ticket','note':'Help','result_name':'Ticket'}],'router':"
          "{'type':'switch','operand':'@results.ticket','cases':[{'uuid':"
          "'k1','type':'has_category','arguments':['Success'],"
          "'category_uuid':'c1'}],'categories':[{'uuid':'c1','name':"
          "'Success','exit_uuid':'e1'},{'uuid':'c2','name':'Failure',"
          "'exit_uuid':'e1'}],'default_category_uuid':'c2'},'exits':"
          "[{'uuid':'e1'}]}]"),
     FLOW("14.3.0",
          "'nodes':[{'uuid':'n1','actions':[{'uuid':'a1','type':"
          "'open_ticket','note':'Help'}],'router':{'type':'switch',"
          "'operand':'@locals._new_ticket','result_name':'Ticket','cases':"
          "[{'uuid':'k1','type':'has_text','arguments':[],"
          "'category_uuid':'c1'}],'categories':[{'uuid':'c1','name':"
          "'Success','exit_uuid':'e1'},{'uuid':'c2','name':'Failure',"
          "'exit_uuid':'e1'}],'default_category_uuid':'c2'},'exits':"
          "[{'uuid':'e1'}]}]")},
    /* 14.3.1: one-argument text tests saved with several get them joined */
    {"14.3.1",
     FLOW("14.3.0",
          "'localization':{'fra':{'k1':{'arguments':['oui','bien']}}},"
          "'nodes':[{'uuid':'n1','router':{'type':'switch','operand':"
          "'@input.text','cases':[{'uuid':'k1','type':'has_any_word',"
          "'arguments':['yes','fine'],'category_uuid':'c1'},{'uuid':'k2',"
          "'type':'has_number_between','arguments':['1','5'],"
          "'category_uuid':'c1'}],'categories':[{'uuid':'c1','name':'Yes',"
          "'exit_uuid':'e1'}],'default_category_uuid':'c1'},'exits':"
          "[{'uuid':'e1'}]}]"),
     FLOW("14.3.1",
          "'localization':{'fra':{'k1':{'arguments':['oui bien']}}},"
          "'nodes':[{'uuid':'n1','router':{'type':'switch','operand':"
          "'@input.text','cases':[{'uuid':'k1','type':'has_any_word',"
          "'arguments':['yes fine'],'category_uuid':'c1'},{'uuid':'k2',"
          "'type':'has_number_between','arguments':['1','5'],"
          "'category_uuid':'c1'}],'categories':[{'uuid':'c1','name':'Yes',"
          "'exit_uuid':'e1'}],'default_category_uuid':'c1'},'exits':"
          "[{'uuid':'e1'}]}]")},
    /* 14.4.0: send_msg loses all_urns */
    {"14.4.0",
     FLOW("14.3.1", NODE("{'uuid':'a1','type':'send_msg','text':'Hi',"
                         "'all_urns':true}")),
     FLOW("14.4.0", NODE("{'uuid':'a1','type':'send_msg','text':'Hi'}"))},
};

static void
test_steps(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        json_t *f = q(cases[i].before), *want = q(cases[i].after);
        char err[SK_ERR_LEN] = "", what[64];

        snprintf(what, sizeof(what), "case %zu (to %s)", i, cases[i].step);
        if (flow_migrate(f, cases[i].step, err) != 0)
            fail_msg("%s: %s", what, err);
        assert_json_eq(f, want, what);
        json_decref(f);
        json_decref(want);
    }
}

/* 13.1.0, 13.4.0 and 13.5.0 reshape send_msg templating step by step. */
static void
test_templating(void **state)
{
    json_t *f = q(FLOW(
        "13.0.0", "'localization':{'spa':{'a1':{'text':['Hola']}}}," NODE(
                      "{'uuid':'a1','type':'send_msg','text':'Hi',"
                      "'templating':{'template':{'uuid':'t1','name':'greet'},"
                      "'variables':['@contact.name','x']}}")));
    json_t *t, *comp;
    const char *cuuid;
    char tuuid[64];
    char err[SK_ERR_LEN] = "";

    (void)state;
    assert_int_equal(flow_migrate(f, "13.1.0", err), 0);
    t = at(f, "nodes.0.actions.0.templating");
    assert_non_null(json_string_value(json_object_get(t, "uuid")));
    snprintf(tuuid, sizeof(tuuid), "%s",
             json_string_value(json_object_get(t, "uuid")));
    assert_int_equal(strlen(tuuid), 36);
    assert_int_equal(tuuid[14], '4'); /* a version 4 uuid */

    /* a translation of the variables, as the editor kept them then */
    json_object_set_new(
        at(f, "localization.spa"), tuuid,
        json_pack("{s:[s,s]}", "variables", "@contact.name", "equis"));
    assert_int_equal(flow_migrate(f, "13.4.0", err), 0);
    assert_string_equal(json_string_value(at(f, "spec_version")), "13.4.0");
    assert_null(json_object_get(t, "uuid"));
    assert_null(json_object_get(t, "variables"));
    comp = at(t, "components.0");
    assert_string_equal(json_string_value(json_object_get(comp, "name")),
                        "body");
    cuuid = json_string_value(json_object_get(comp, "uuid"));
    assert_non_null(cuuid);
    assert_string_equal(json_string_value(at(comp, "params.1")), "x");
    assert_null(json_object_get(at(f, "localization.spa"), tuuid));
    assert_string_equal(
        json_string_value(
            at(json_object_get(at(f, "localization.spa"), cuuid), "params.1")),
        "equis");

    /* a header component without translations joins the body's params */
    json_array_insert_new(json_object_get(t, "components"), 0,
                          json_pack("{s:s,s:s,s:[s]}", "uuid", "h1", "name",
                                    "header", "params", "H"));
    assert_int_equal(flow_migrate(f, "13.5.0", err), 0);
    assert_null(at(f, "nodes.0.actions.0.templating"));
    assert_json_is(at(f, "nodes.0.actions.0.template"),
                   "{'uuid':'t1','name':'greet'}", "template");
    assert_json_is(at(f, "nodes.0.actions.0.template_variables"),
                   "['H','@contact.name','x']", "template_variables");
    assert_json_is(at(f, "localization.spa"),
                   "{'a1':{'text':['Hola'],'template_variables':"
                   "['H','@contact.name','equis']}}",
                   "localized variables");

    /* the whole way, the flow is refused for its template, by name */
    assert_int_equal(flow_migrate(f, NULL, err), 0);
    assert_string_equal(json_string_value(at(f, "spec_version")),
                        FLOW_SPEC_VERSION);
    json_decref(f);
}

static void
test_versions(void **state)
{
    static const struct {
        const char *spec;
        const char *err; /* NULL: accepted */
        const char *after;
    } v[] = {
        {"13.0.0", NULL, FLOW_SPEC_VERSION},
        {"13", NULL, FLOW_SPEC_VERSION},
        {"13.5", NULL, FLOW_SPEC_VERSION},
        {"14.3.1", NULL, FLOW_SPEC_VERSION},
        {"14.4.2", NULL, "14.4.2"},
        {"14.4.7", NULL, "14.4.7"}, /* a newer patch: nothing to do */
        {"14.5.0", "spec version 14.5.0 is newer than supported 14.4.2", NULL},
        {"15.0.0", "spec version 15.0.0 is newer than supported 14.x", NULL},
        {"12.0.0", "spec version 12.0.0 is a legacy definition", NULL},
        {"x.1", "flow has no valid spec_version", NULL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
        json_t *f = q(FLOW("0", "'nodes':[]"));
        char err[SK_ERR_LEN] = "";
        int rc;

        json_object_set_new(f, "spec_version", json_string(v[i].spec));
        rc = flow_migrate(f, NULL, err);
        if (v[i].err == NULL) {
            assert_int_equal(rc, 0);
            assert_string_equal(json_string_value(at(f, "spec_version")),
                                v[i].after);
        } else {
            assert_int_equal(rc, SK_EINVAL);
            if (strstr(err, v[i].err) == NULL)
                fail_msg("%s: got \"%s\"", v[i].spec, err);
        }
        json_decref(f);
    }
}

/* --- goflow's migration cases ------------------------------------------- */

/*
 * goflow's migration tests: migrations/VERSION.json holds cases that take
 * an "original" flow to VERSION and expect "migrated" exactly. Every
 * step's file is listed with its number of cases, so a lost file or case
 * fails too.
 */
static const struct {
    const char *version;
    size_t cases;
} fixture_files[] = {
    {"13.1.0", 2}, {"13.2.0", 2}, {"13.3.0", 2}, {"13.4.0", 2}, {"13.5.0", 2},
    {"13.6.0", 4}, {"13.6.1", 1}, {"14.0.0", 5}, {"14.1.0", 3}, {"14.2.0", 4},
    {"14.3.0", 2}, {"14.3.1", 3}, {"14.4.0", 1}, {"14.4.1", 5}, {"14.4.2", 3},
};

#define FIXTURE_CASES 41

/*
 * j with every uuid that does not occur in orig (one a migration made)
 * written as the nil uuid: goflow's cases hold the uuids of its seeded
 * generator, this engine derives its own. New JSON, or NULL.
 */
static json_t *
new_uuids_blanked(const json_t *j, const char *orig)
{
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    json_t *out;

    if (s == NULL)
        return NULL;
    for (char *p = s; *p; p++) {
        bool is_uuid = strlen(p) >= 36;
        char u[37];

        for (int i = 0; is_uuid && i < 36; i++)
            is_uuid = (i == 8 || i == 13 || i == 18 || i == 23)
                          ? p[i] == '-'
                          : strchr("0123456789abcdef", p[i]) != NULL;
        if (!is_uuid)
            continue;
        memcpy(u, p, 36);
        u[36] = '\0';
        if (strstr(orig, u) == NULL)
            memcpy(p, "00000000-0000-0000-0000-000000000000", 36);
        p += 35;
    }
    out = json_loads(s, 0, NULL);
    free(s);
    return out;
}

/* Whether got is want, but for the uuids that are new in orig. */
static bool
same_but_new_uuids(const json_t *got, const json_t *want, const json_t *orig)
{
    char *o = json_dumps(orig, JSON_COMPACT);
    json_t *g = o ? new_uuids_blanked(got, o) : NULL;
    json_t *w = o ? new_uuids_blanked(want, o) : NULL;
    bool eq = g != NULL && w != NULL && json_equal(g, w);

    json_decref(g);
    json_decref(w);
    free(o);
    return eq;
}

/* Migrates one fixture case; returns whether it came out as expected. */
static bool
fixture_case(const char *version, size_t i, json_t *c)
{
    json_t *f = json_deep_copy(json_object_get(c, "original"));
    const json_t *want = json_object_get(c, "migrated");
    const char *desc = json_string_value(json_object_get(c, "description"));
    char err[SK_ERR_LEN] = "";
    bool ok = false;

    if (f == NULL || want == NULL)
        printf("  FAIL %s #%zu: no original or migrated\n", version, i);
    else if (flow_migrate(f, version, err) != 0)
        printf("  FAIL %s #%zu (%s): %s\n", version, i, desc, err);
    else if (!same_but_new_uuids(f, want, json_object_get(c, "original"))) {
        char *g = json_dumps(f, JSON_SORT_KEYS | JSON_COMPACT);
        char *w = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);

        printf("  FAIL %s #%zu (%s):\n   got  %s\n   want %s\n", version, i,
               desc, g, w);
        free(g);
        free(w);
    } else
        ok = true;
    json_decref(f);
    return ok;
}

static void
test_goflow_fixtures(void **state)
{
    const char *fx = getenv("SK_FIXTURES");
    size_t total = 0, passed = 0;
    char path[1024];

    (void)state;
    if (fx == NULL || fx[0] == '\0') {
        printf("migrations: SK_FIXTURES not set, skipped\n");
        skip();
    }
    snprintf(path, sizeof(path), "%s/goflow/migrations/13.1.0.json", fx);
    if (access(path, R_OK) != 0) {
        printf("migrations: %s missing, skipped\n", path);
        skip();
    }
    for (size_t k = 0; k < sizeof(fixture_files) / sizeof(*fixture_files);
         k++) {
        const char *v = fixture_files[k].version;
        json_error_t jerr;
        json_t *list, *c;
        size_t i;

        snprintf(path, sizeof(path), "%s/goflow/migrations/%s.json", fx, v);
        list = json_load_file(path, 0, &jerr);
        if (!json_is_array(list))
            fail_msg("%s: %s", path, jerr.text);
        if (json_array_size(list) != fixture_files[k].cases)
            fail_msg("%s: %zu cases, expected %zu", path, json_array_size(list),
                     fixture_files[k].cases);
        json_array_foreach(list, i, c)
        {
            total++;
            if (fixture_case(v, i, c))
                passed++;
        }
        json_decref(list);
    }
    printf("migrations: %zu of %zu goflow cases migrate exactly\n", passed,
           total);
    assert_int_equal(total, FIXTURE_CASES);
    assert_int_equal(passed, total);
}

/* --- end to end ------------------------------------------------------------
 */

static void
diag_fail(void *arg, const char *flow, const char *node, const char *reason)
{
    (void)arg;
    fail_msg("diag: flow %s node %s: %s", flow ? flow : "-", node ? node : "-",
             reason);
}

/*
 * The same survey at two versions: as an editor saved it at 13.0.0 (base
 * language, a result name and a category name over the limits, a long
 * lookup, a phrase saved as two arguments, 12 quick replies, an expiry
 * over two weeks) and as goflow's migrations leave it at 14.4.2.
 */
#define SURVEY(v, lang, result, cat, lookup, args, more_qr, expire)            \
    "{'uuid':'f0000000-0000-4000-8000-0000000000e2','name':'Feelings',"        \
    "'spec_version':'" v "','language':'" lang "','type':'messaging',"         \
    "'expire_after_minutes':" expire ",'nodes':["                              \
    "{'uuid':'n0000000-0000-4000-8000-0000000000e1','actions':[{'uuid':"       \
    "'a0000000-0000-4000-8000-0000000000e1','type':'send_msg','text':"         \
    "'How do you feel today?','quick_replies':['1','2','3','4','5','6','7',"   \
    "'8','9','10'" more_qr "]}],'exits':[{'uuid':'e0000000-0000-4000-8000-"    \
    "0000000000e1','destination_uuid':'n0000000-0000-4000-8000-0000000000e2'"  \
    "}]},{'uuid':'n0000000-0000-4000-8000-0000000000e2','router':{'type':"     \
    "'switch','operand':'@input.text','result_name':'" result "','wait':"      \
    "{'type':'msg'},'cases':[{'uuid':'k0000000-0000-4000-8000-0000000000e1',"  \
    "'type':'has_phrase','arguments':[" args "],'category_uuid':'c0000000-"    \
    "0000-4000-8000-0000000000e1'}],'categories':[{'uuid':'c0000000-0000-"     \
    "4000-8000-0000000000e1','name':'" cat "','exit_uuid':'e0000000-0000-"     \
    "4000-8000-0000000000e2'},{'uuid':'c0000000-0000-4000-8000-0000000000e2'," \
    "'name':'Other','exit_uuid':'e0000000-0000-4000-8000-0000000000e2'}],"     \
    "'default_category_uuid':'c0000000-0000-4000-8000-0000000000e2'},"         \
    "'exits':[{'uuid':'e0000000-0000-4000-8000-0000000000e2',"                 \
    "'destination_uuid':'n0000000-0000-4000-8000-0000000000e3'}]},"            \
    "{'uuid':'n0000000-0000-4000-8000-0000000000e3','actions':[{'uuid':"       \
    "'a0000000-0000-4000-8000-0000000000e3','type':'send_msg','text':"         \
    "'You said @results." lookup " (@results." lookup ".category)'}],"         \
    "'exits':[{'uuid':'e0000000-0000-4000-8000-0000000000e3'}]}]}"

#define LONG_RESULT                                                            \
    "How the child feels today after school and at home with the family "      \
    "and friends"
#define CUT_RESULT                                                             \
    "How the child feels today after school and at home with the fami"
#define LONG_LOOKUP                                                            \
    "how_the_child_feels_today_after_school_and_at_home_with_the_family_"      \
    "and_friends"
#define CUT_LOOKUP                                                             \
    "how_the_child_feels_today_after_school_and_at_home_with_the_fami"

static json_t *
run(const char *def, const char *answer)
{
    struct flow_set *set = flow_set_new();
    struct flow_session *s = flow_session_new("eng", 7);
    json_t *events = json_array(), *j = q(def);
    struct flow_resume r = {.type = FLOW_RESUME_MSG, .text = answer};
    char err[SK_ERR_LEN] = "", *text = json_dumps(j, 0);

    assert_non_null(set);
    assert_non_null(text);
    assert_int_equal(
        flow_set_add_json(set, text, strlen(text), diag_fail, NULL), 0);
    assert_int_equal(flow_set_link(set, diag_fail, NULL), 0);
    assert_int_equal(
        flow_start(set, s, flow_set_at(set, 0), NULL, NOW, events, err), 0);
    assert_int_equal(flow_session_status(s), FLOW_WAITING);
    assert_true(flow_session_expires_at(s) == NOW + 20160LL * 60 * 1000);
    assert_int_equal(flow_resume(set, s, &r, NOW + 1000, events, err), 0);
    assert_int_equal(flow_session_status(s), FLOW_COMPLETED);
    free(text);
    json_decref(j);
    flow_session_free(s);
    flow_set_free(set);
    return events;
}

static void
test_end_to_end(void **state)
{
    const char *old =
        SURVEY("13.0.0", "base", LONG_RESULT,
               "Feeling good, really rather good and fine", LONG_LOOKUP,
               "'feel','good'", ",'11','12'", "40000");
    const char *cur = SURVEY("14.4.2", "und", CUT_RESULT,
                             "Feeling good, really rather good and", CUT_LOOKUP,
                             "'feel good'", "", "20160");
    const char *answers[] = {"I feel good today", "not so much"};
    json_t *f = q(old), *want = q(cur);
    char err[SK_ERR_LEN] = "";

    (void)state;
    /* the old definition migrates to the current one exactly */
    assert_int_equal(flow_migrate(f, NULL, err), 0);
    assert_json_eq(f, want, "migrated survey");
    json_decref(f);
    json_decref(want);

    /* and both run the same, event by event */
    for (size_t i = 0; i < 2; i++) {
        json_t *a = run(old, answers[i]), *b = run(cur, answers[i]);

        char *dump = json_dumps(a, 0);

        assert_json_eq(a, b, answers[i]);
        assert_non_null(dump);
        if (i == 0 && strstr(dump, "You said feel good (Feeling "
                                   "good, really rather good and)") == NULL)
            fail_msg("no answer in %s", dump);
        free(dump);
        json_decref(a);
        json_decref(b);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steps),
        cmocka_unit_test(test_templating),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_goflow_fixtures),
        cmocka_unit_test(test_end_to_end),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
