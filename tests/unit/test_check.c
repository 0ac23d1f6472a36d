/*
 * test_check.c - the flow check run at load (check.c): each broken case
 * RapidPro's editor reports as an issue (expression syntax, unknown
 * functions, argument counts of functions and router tests, prompt,
 * @input.txt, @results and @fields that nothing saves or declares,
 * missing translations as warnings), the node named as the editor shows
 * it, valid expressions left alone, and goflow's runner flows: none the
 * engine supports gets an error.
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

struct diags {
    int errors, warnings;
    char all[4096]; /* every line, "node N: reason\n" */
};

static void
diag_cb(void *arg, const char *flow, const char *node, const char *reason)
{
    struct diags *d = arg;
    size_t len = strlen(d->all);

    (void)flow;
    if (strncmp(reason, "WARNING: ", 9) == 0)
        d->warnings++;
    else
        d->errors++;
    snprintf(d->all + len, sizeof(d->all) - len, "node %s: %s\n",
             node ? node : "-", reason);
}

/*
 * A one-node flow: send_msg text, then a wait and a switch on operand
 * saving result "Age" with one case (type, args as a JSON array text).
 * extra (may be NULL) is merged into the flow; fields (may be NULL) are
 * declared by the export.
 */
static int
load(const char *text, const char *operand, const char *type, const char *args,
     const char *extra, const char *fields, struct diags *d)
{
    json_error_t jerr;
    json_t *flow = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:[{s:s, s:s, s:s}],"
        " s:{s:s, s:s, s:s, s:{s:s}, s:[{s:s, s:s, s:o, s:s}],"
        " s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}], s:s},"
        " s:[{s:s}, {s:s}]}]}",
        "uuid", "f0000000-0000-4000-8000-000000000001", "name", "Check",
        "spec_version", "14.4.2", "language", "eng", "type", "messaging",
        "nodes", "uuid", "n0000000-0000-4000-8000-000000000001", "actions",
        "uuid", "a0000000-0000-4000-8000-000000000001", "type", "send_msg",
        "text", text, "router", "type", "switch", "operand", operand,
        "result_name", "Age", "wait", "type", "msg", "cases", "uuid",
        "c0000000-0000-4000-8000-000000000001", "type", type, "arguments",
        json_loads(args, 0, &jerr), "category_uuid",
        "ca000000-0000-4000-8000-000000000001", "categories", "uuid",
        "ca000000-0000-4000-8000-000000000001", "name", "Yes", "exit_uuid",
        "e0000000-0000-4000-8000-000000000001", "uuid",
        "ca000000-0000-4000-8000-000000000002", "name", "Other", "exit_uuid",
        "e0000000-0000-4000-8000-000000000002", "default_category_uuid",
        "ca000000-0000-4000-8000-000000000002", "exits", "uuid",
        "e0000000-0000-4000-8000-000000000001", "uuid",
        "e0000000-0000-4000-8000-000000000002");
    json_t *root;
    struct flow_set *set = flow_set_new();
    char *dump;
    int rc;

    assert_non_null(flow);
    assert_non_null(set);
    if (extra != NULL) {
        json_t *x = json_loads(extra, 0, &jerr);

        assert_non_null(x);
        json_object_update(flow, x);
        json_decref(x);
    }
    root = json_pack("{s:[o], s:o}", "flows", flow, "fields",
                     fields ? json_loads(fields, 0, &jerr) : json_array());
    assert_non_null(root);
    dump = json_dumps(root, JSON_COMPACT);
    assert_non_null(dump);
    memset(d, 0, sizeof(*d));
    rc = flow_set_add_json(set, dump, strlen(dump), diag_cb, d);
    if (rc == 0)
        rc = flow_set_link(set, diag_cb, d);
    if (getenv("SK_TEST_VERBOSE") != NULL)
        fprintf(stderr, "%s", d->all);
    free(dump);
    json_decref(root);
    flow_set_free(set);
    return rc;
}

/* The flow loads with no error (warnings allowed). */
static void
want_ok(const char *text, const char *operand, const char *type,
        const char *args, const char *extra, const char *fields)
{
    struct diags d;
    int rc = load(text, operand, type, args, extra, fields, &d);

    if (rc != 0 || d.errors != 0)
        fail_msg("\"%s\" / %s: refused: %s", text, operand, d.all);
}

/* The flow is refused, with want in a reason. */
static void
want_error(const char *text, const char *operand, const char *type,
           const char *args, const char *fields, const char *want)
{
    struct diags d;
    int rc = load(text, operand, type, args, NULL, fields, &d);

    if (rc != SK_EINVAL || d.errors == 0 || strstr(d.all, want) == NULL)
        fail_msg("\"%s\" / %s: rc %d, want \"%s\" in:\n%s", text, operand, rc,
                 want, d.all);
}

#define OK_CASE "has_number_between", "[\"5\", \"17\"]"

static void
test_syntax(void **state)
{
    (void)state;
    want_error("You said you are @(results.age + ) years old", "@input.text",
               OK_CASE, NULL,
               "message: syntax error at end of input in "
               "\"@(results.age + )\"");
    want_error("Hi", "@(upper(input.text)", OK_CASE, NULL,
               "router operand: \"@(\" is never closed");
    want_error("Hi", "@input.text", "has_any_word", "[\"@(1 +* 2)\"]", NULL,
               "case 1: syntax error at '*'");
}

static void
test_functions(void **state)
{
    (void)state;
    want_error("@(uper(input.text))", "@input.text", OK_CASE, NULL,
               "message: unknown function uper()");
    want_error("@(upper())", "@input.text", OK_CASE, NULL,
               "message: upper() takes 1 argument, not 0");
    want_error("@(word(\"a b\", 1, 2, 3))", "@input.text", OK_CASE, NULL,
               "message: word() takes 2 to 3 arguments, not 4");
    want_error("@(concat(\"a\", \"b\", \"c\"))", "@input.text", OK_CASE, NULL,
               "message: concat() takes 2 arguments, not 3");
    want_error("@(prompt(\"summarise\", input.text))", "@input.text", OK_CASE,
               NULL,
               "function prompt (a call to a language model) is not "
               "supported");
    /* router tests are functions in expressions too */
    want_error("@(has_number_between(input.text, 1))", "@input.text", OK_CASE,
               NULL, "has_number_between() takes 3 arguments, not 2");
    /* and a case's arguments are counted without the operand */
    want_error("Hi", "@input.text", "has_number_between", "[\"5\"]", NULL,
               "case 1: has_number_between takes 2 arguments, not 1");
    want_error("Hi", "@input.text", "has_text", "[\"x\"]", NULL,
               "case 1: has_text takes 0 arguments, not 1");
}

static void
test_references(void **state)
{
    (void)state;
    want_error("Hi", "@input.txt", OK_CASE, NULL,
               "router operand: @input.txt does not exist (input has text, "
               "attachments");
    want_error("You are @results.agee", "@input.text", OK_CASE, NULL,
               "message: @results.agee: no node in this flow saves a result "
               "named \"agee\"");
    want_error("You are @run.results.name", "@input.text", OK_CASE, NULL,
               "@results.name: no node");
    want_error("Hi @fields.nickname", "@input.text", OK_CASE, NULL,
               "message: @fields.nickname: no contact field \"nickname\" is "
               "set or declared");
    want_error("Hi @contact.fields.nickname", "@input.text", OK_CASE, NULL,
               "@fields.nickname: no contact field");
    want_ok("Hi @fields.nickname", "@input.text", OK_CASE, NULL,
            "[{\"key\": \"nickname\", \"name\": \"Nickname\"}]");
    /* a field set_contact_field sets is there to read */
    want_ok(
        "Hi @fields.nickname @(fields.age)", "@input.text", OK_CASE,
        "{\"nodes\": [{\"uuid\": \"n0000000-0000-4000-8000-000000000009\","
        " \"actions\": [{\"uuid\": \"a0000000-0000-4000-8000-000000000009\","
        " \"type\": \"set_contact_field\", \"field\": {\"key\": "
        "\"nickname\", \"name\": \"Nickname\"}, \"value\": \"x\"},"
        " {\"uuid\": \"a0000000-0000-4000-8000-00000000000a\", \"type\":"
        " \"send_msg\", \"text\": \"Hi @fields.nickname @(fields.age)\"}],"
        " \"exits\": [{\"uuid\": \"e0000000-0000-4000-8000-000000000009\"}]"
        "}]}",
        "[{\"key\": \"age\", \"name\": \"Age\"}]");
}

static void
test_valid(void **state)
{
    (void)state;
    /* results by their snaked name, in any case; input's properties */
    want_ok("You are @results.age (@results.AGE.category), @input.text "
            "@input.urn @input.attachments @(input.created_on)",
            "@(lower(input.text))", OK_CASE, NULL, NULL);
    /* anonymous functions, function values, router tests as functions */
    want_ok("@(foreach(array(1, 2), (x) => x + 1)) "
            "@(filter(array(\"a\", \"\"), (s) => has_text(s))) "
            "@(join(foreach(array(\"a\"), upper), \",\"))",
            "@input.text", OK_CASE, NULL, NULL);
    /* text that only looks like an expression stays text */
    want_ok("Mail help@example.org, or pay @@5 (@) @", "@input.text",
            "has_phrase", "[\"@(\\\"yes\\\")\"]", NULL, NULL);
}

static const char fra_extra[] =
    "{\"localization\": {\"fra\": {\"c0000000-0000-4000-8000-000000000001\":"
    " {\"arguments\": [\"oui\"]}}}}";

static void
test_translations(void **state)
{
    struct diags d;

    (void)state;
    /* French is there, but the message has no French text */
    assert_int_equal(load("How safe do you feel where you are now?",
                          "@input.text", "has_any_word", "[\"yes\"]", fra_extra,
                          NULL, &d),
                     0);
    assert_int_equal(d.errors, 0);
    assert_int_equal(d.warnings, 1);
    if (strstr(d.all, "node -: WARNING: fra: 1 of 1 message lack a "
                      "translation (node \"How safe do you feel...\" (uuid "
                      "n0000000-0000-4000-8000-000000000001))") == NULL)
        fail_msg("no translation warning in:\n%s", d.all);
    /* translated: no warning; a translation is checked like its source */
    assert_int_equal(
        load("Hi", "@input.text", "has_any_word", "[\"yes\"]",
             "{\"localization\": {\"fra\": {\"a0000000-0000-4000-8000-"
             "000000000001\": {\"text\": [\"Salut @(results.age +)\"]}}}}",
             NULL, &d),
        SK_EINVAL);
    assert_int_equal(d.warnings, 0);
    if (strstr(d.all, "message (fra): syntax error") == NULL)
        fail_msg("no error for the French text in:\n%s", d.all);
}

static void
test_node_names(void **state)
{
    struct diags d;

    (void)state;
    load("How safe do you feel where you are now?", "@input.txt", OK_CASE, NULL,
         NULL, &d);
    if (strstr(d.all, "node \"How safe do you feel...\" (uuid "
                      "n0000000-0000-4000-8000-000000000001): router "
                      "operand: @input.txt") == NULL)
        fail_msg("node not named by its message in:\n%s", d.all);
    /* no message: the result name */
    load("", "@input.txt", OK_CASE, NULL, NULL, &d);
    if (strstr(d.all, "node \"Age\" (uuid n0000000-0000-4000-8000-"
                      "000000000001): ") == NULL)
        fail_msg("node not named by its result in:\n%s", d.all);
}

/* ------------------------------------------------ goflow's runner flows */

static void
test_runner_flows(void **state)
{
    const char *fx = getenv("SK_FIXTURES");
    char dir[1024], path[2048];
    DIR *dp;
    struct dirent *e;
    int in_scope = 0, files = 0;

    (void)state;
    if (fx == NULL || fx[0] == '\0') {
        fprintf(stderr, "SK_FIXTURES not set: skipping goflow's runner "
                        "flows\n");
        skip();
    }
    snprintf(dir, sizeof(dir), "%s/goflow/runner", fx);
    dp = opendir(dir);
    if (dp == NULL) {
        fprintf(stderr, "%s missing: skipping goflow's runner flows\n", dir);
        skip();
    }
    while ((e = readdir(dp)) != NULL) {
        size_t len = strlen(e->d_name);
        struct flow_set *set;
        struct diags d = {0};
        json_t *js;
        char *text;
        int rc;

        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 ||
            strstr(e->d_name, ".test") != NULL)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        js = json_load_file(path, 0, NULL);
        assert_non_null(js);
        text = json_dumps(js, JSON_COMPACT);
        assert_non_null(text);
        set = flow_set_new();
        rc = flow_set_add_json(set, text, strlen(text), diag_cb, &d);
        if (rc == 0)
            rc = flow_set_link(set, diag_cb, &d);
        files++;
        /* flows that use what the engine does not run are refused for it */
        if (strstr(d.all, "not supported") == NULL &&
            strstr(d.all, "legacy") == NULL) {
            in_scope++;
            if (rc != 0 || d.errors != 0)
                fail_msg("%s: refused:\n%s", e->d_name, d.all);
        }
        free(text);
        json_decref(js);
        flow_set_free(set);
    }
    closedir(dp);
    printf("runner flows: %d files, %d the engine supports, no error\n", files,
           in_scope);
    assert_true(files >= 40);
    assert_true(in_scope >= 14);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syntax),       cmocka_unit_test(test_functions),
        cmocka_unit_test(test_references),   cmocka_unit_test(test_valid),
        cmocka_unit_test(test_translations), cmocka_unit_test(test_node_names),
        cmocka_unit_test(test_runner_flows),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
