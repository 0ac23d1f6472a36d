/*
 * legacy_rules.c - legacy rule sets migrated to nodes with a router, as
 * goflow does: each rule's category becomes a router category (rules
 * that share a category name share it, and its exit, which keeps the
 * first rule's uuid), each rule's test a case (legacy test names become
 * has_* tests), the "true" rule the default category and a "timeout" rule
 * the wait's timeout. The rule set's type picks the operand, the wait
 * and what goes before the router: waits for a message, digits or
 * media; splits on an expression, a contact field, a result; a random
 * split; and the parts this engine does not run (webhooks, resthooks,
 * subflows by rule set, airtime, groups), which are migrated so that
 * validation refuses them by their current names. Pure: no I/O.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "legacy.h"
#include "legacy_int.h"

static const char *
jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static const char *
jstr0(const json_t *o, const char *key)
{
    const char *s = jstr(o, key);

    return s != NULL ? s : "";
}

/* The legacy test names and the tests they became. */
static const char *const test_map[][2] = {
    {"between", "has_number_between"},
    {"contains", "has_all_words"},
    {"contains_any", "has_any_word"},
    {"contains_only_phrase", "has_only_phrase"},
    {"contains_phrase", "has_phrase"},
    {"date", "has_date"},
    {"date_after", "has_date_gt"},
    {"date_before", "has_date_lt"},
    {"date_equal", "has_date_eq"},
    {"district", "has_district"},
    {"has_email", "has_email"},
    {"eq", "has_number_eq"},
    {"gt", "has_number_gt"},
    {"gte", "has_number_gte"},
    {"in_group", "has_group"},
    {"lt", "has_number_lt"},
    {"lte", "has_number_lte"},
    {"not_empty", "has_text"},
    {"number", "has_number"},
    {"phone", "has_phone"},
    {"regex", "has_pattern"},
    {"starts", "has_beginning"},
    {"state", "has_state"},
    {"ward", "has_ward"},
    {"subflow", "has_only_text"},
    {"webhook_status", "has_only_text"},
    {"airtime_status", "has_category"},
};

static bool
is_any(const char *s, const char *const *list)
{
    for (; *list != NULL; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

/* A numeric test's value: a string or a JSON number, as text. */
static json_t *
numeric(struct lg *lg, const json_t *v)
{
    char buf[64];

    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
        return lg_tpl(lg, buf, 0);
    }
    if (json_is_real(v)) {
        snprintf(buf, sizeof(buf), "%.15g", json_real_value(v));
        return lg_tpl(lg, buf, 0);
    }
    if (json_is_string(v))
        return lg_tpl(lg, json_string_value(v), 0);
    lg_fail(lg, "a numeric test has no number");
    return NULL;
}

/*
 * The _ui arguments of a date test: the days of "@(date.today + N)" (or
 * "- N"), else "0".
 */
static json_t *
date_delta(const char *t)
{
    const char *p = strstr(t, "@(date.today");
    char sign, buf[32];
    long days = 0;
    int n = 0;

    if (p != NULL &&
        sscanf(p, "@(date.today %c %ld)%n", &sign, &days, &n) >= 2 &&
        (sign == '+' || sign == '-') && n > 0)
        days = sign == '-' ? -days : days;
    else
        days = 0;
    snprintf(buf, sizeof(buf), "%ld", days);
    return json_pack("{s:[s]}", "arguments", buf);
}

/* The arguments of a case for test t (type type); NULL when lg failed. */
static json_t *
case_args(struct lg *lg, const json_t *t, const char *type, const char *cu,
          json_t **ui)
{
    static const char *const none[] = {
        "date", "has_email", "not_empty", "number", "phone", "state", NULL};
    static const char *const nums[] = {"eq", "gt", "gte", "lt", "lte", NULL};
    static const char *const words[] = {"contains",
                                        "contains_any",
                                        "contains_phrase",
                                        "contains_only_phrase",
                                        "regex",
                                        "starts",
                                        NULL};
    static const char *const dates[] = {"date_equal", "date_after",
                                        "date_before", NULL};

    if (is_any(type, none))
        return json_array();
    if (is_any(type, nums))
        return json_pack("[o]", numeric(lg, json_object_get(t, "test")));
    if (strcmp(type, "between") == 0)
        return json_pack("[oo]", lg_tpl(lg, jstr0(t, "min"), 0),
                         lg_tpl(lg, jstr0(t, "max"), 0));
    if (is_any(type, words)) {
        const json_t *tt = json_object_get(t, "test");
        const char *base = lg_base_text(lg, tt);
        json_t *arg = strcmp(type, "regex") == 0
                          ? json_string(base ? base : "")
                          : lg_tpl(lg, base ? base : "", 0);

        if (json_is_object(tt))
            json_decref(lg_trans(lg, tt, cu, "arguments"));
        return json_pack("[o]", arg);
    }
    if (is_any(type, dates)) {
        if ((*ui = date_delta(jstr0(t, "test"))) == NULL)
            lg_fail(lg, "out of memory");
        return json_pack("[o]", lg_tpl(lg, jstr0(t, "test"), LEGACY_RAW_DATES));
    }
    if (strcmp(type, "in_group") == 0) {
        const json_t *g = json_object_get(t, "test");

        return json_pack("[ss]", jstr0(g, "uuid"),
                         json_is_string(g) ? json_string_value(g)
                                           : jstr0(g, "name"));
    }
    if (strcmp(type, "subflow") == 0)
        return json_pack("[s]", jstr0(t, "exit_type"));
    if (strcmp(type, "webhook_status") == 0)
        return json_pack("[s]", strcmp(jstr0(t, "status"), "success") == 0
                                    ? "Success"
                                    : "Failure");
    if (strcmp(type, "airtime_status") == 0)
        return json_pack("[s]", "Success");
    if (strcmp(type, "district") == 0)
        return json_pack("[o]", lg_tpl(lg, jstr0(t, "test"), 0));
    if (strcmp(type, "ward") == 0)
        return json_pack("[oo]", lg_tpl(lg, jstr0(t, "district"), 0),
                         lg_tpl(lg, jstr0(t, "state"), 0));
    lg_fail(lg, "legacy test type \"%s\" is not supported", type);
    return NULL;
}

/* The case of one rule, or NULL (none: an airtime failure; or lg failed). */
static json_t *
rule_case(struct lg *lg, const json_t *rule, const char *cat, json_t *uicases)
{
    const json_t *t = json_object_get(rule, "test");
    const char *type = jstr0(t, "type"), *to = NULL;
    json_t *cu, *args, *ui = NULL, *c;

    for (size_t i = 0; i < sizeof(test_map) / sizeof(*test_map); i++)
        if (strcmp(test_map[i][0], type) == 0)
            to = test_map[i][1];
    if (strcmp(type, "airtime_status") == 0 &&
        strcmp(jstr0(t, "exit_status"), "success") != 0)
        return NULL;
    if (to == NULL) {
        lg_fail(lg, "legacy test type \"%s\" is not supported", type);
        return NULL;
    }
    cu = lg_uuid(lg);
    args =
        cu == NULL ? NULL : case_args(lg, t, type, json_string_value(cu), &ui);
    if (args == NULL) {
        lg_fail(lg, "out of memory");
        json_decref(cu);
        json_decref(args);
        json_decref(ui);
        return NULL;
    }
    c = json_pack("{s:O, s:s, s:s}", "uuid", cu, "type", to, "category_uuid",
                  cat);
    if (json_array_size(args) > 0)
        lg_set(lg, c, "arguments", json_incref(args));
    if (ui != NULL)
        lg_set(lg, uicases, json_string_value(cu), ui);
    json_decref(args);
    json_decref(cu);
    if (c == NULL)
        lg_fail(lg, "out of memory");
    return c;
}

struct rules {
    json_t *cats, *cases, *exits, *uicases;
    const char *deflt, *timeout; /* category uuids, or NULL */
    long timeout_min;
};

/* The categories and exits of the rules (those sharing a name merged). */
static void
categories(struct lg *lg, const json_t *rs, struct rules *r, json_t *by_rule)
{
    json_t *by_name = json_object(), *rule, *cat;
    size_t i;

    json_array_foreach(json_object_get(rs, "rules"), i, rule)
    {
        const char *ru = jstr(rule, "uuid"), *name;
        const json_t *cj = json_object_get(rule, "category");
        bool other =
            strcmp(jstr0(json_object_get(rule, "test"), "type"), "true") == 0;

        name = lg_base_text(lg, cj);
        name = name != NULL ? name : "";
        if (ru == NULL) {
            lg_fail(lg, "a rule of rule set %s has no uuid", jstr0(rs, "uuid"));
            break;
        }
        cat = other ? NULL : json_object_get(by_name, name);
        if (cat == NULL) {
            json_t *cu = lg_uuid(lg);

            if (json_array_append_new(
                    r->exits, legacy_exit(lg, ru, jstr(rule, "destination"))))
                lg_fail(lg, "out of memory");
            cat = json_pack("{s:o}", "uuid", cu);
            if (*name != '\0')
                lg_set(lg, cat, "name", json_string(name));
            lg_set(lg, cat, "exit_uuid", json_string(ru));
            if (json_array_append_new(r->cats, cat) != 0 || lg->fail) {
                lg_fail(lg, "out of memory");
                break; /* cat is gone */
            }
        }
        lg_set(lg, by_rule, ru, json_incref(cat));
        lg_set(lg, by_name, name, json_incref(cat));
        json_decref(lg_trans(lg, cj, jstr0(cat, "uuid"), "name"));
        if (lg->fail)
            break;
    }
    json_decref(by_name);
}

/* The rules of rule set rs: categories, cases, exits and defaults. */
static void
rules_of(struct lg *lg, const json_t *rs, struct rules *r)
{
    json_t *by_rule = json_object(), *rule;
    size_t i;

    if (by_rule == NULL || r->cats == NULL || r->cases == NULL ||
        r->exits == NULL || r->uicases == NULL) {
        lg_fail(lg, "out of memory");
        json_decref(by_rule);
        return;
    }
    categories(lg, rs, r, by_rule);
    json_array_foreach(json_object_get(rs, "rules"), i, rule)
    {
        const json_t *t = json_object_get(rule, "test");
        const char *type = jstr0(t, "type");
        const char *cat =
            jstr(json_object_get(by_rule, jstr0(rule, "uuid")), "uuid");
        json_t *c;

        if (lg->fail || cat == NULL)
            break;
        if (strcmp(type, "true") == 0) {
            r->deflt = cat;
            continue;
        }
        if (strcmp(type, "timeout") == 0) {
            r->timeout = cat;
            if (r->timeout_min == 0)
                r->timeout_min =
                    (long)json_number_value(json_object_get(t, "minutes"));
            continue;
        }
        if (strcmp(type, "webhook_status") == 0 ||
            strcmp(type, "airtime_status") == 0)
            r->deflt = cat;
        if ((c = rule_case(lg, rule, cat, r->uicases)) != NULL)
            json_array_append_new(r->cases, c);
    }
    /* the category objects live in r->cats; by_rule only borrows them */
    json_decref(by_rule);
}

/* The wait of a wait_* rule set, and its operand. */
static json_t *
wait_of(struct lg *lg, const char *type, const json_t *rs,
        const struct rules *r, const char **operand)
{
    static const char *const media[][2] = {{"wait_audio", "audio"},
                                           {"wait_video", "video"},
                                           {"wait_photo", "image"},
                                           {"wait_gps", "location"},
                                           {"wait_recording", "audio"}};
    json_t *w = json_pack("{s:s}", "type", "msg"), *hint = NULL;
    bool hinted = strncmp(type, "wait_message", 12) != 0;

    *operand = "@input";
    if (w == NULL)
        lg_fail(lg, "out of memory");
    if (r->timeout != NULL && r->timeout_min > 0)
        lg_set(lg, w, "timeout",
               json_pack("{s:I, s:s}", "seconds",
                         (json_int_t)r->timeout_min * 60, "category_uuid",
                         r->timeout));
    for (size_t i = 0; i < sizeof(media) / sizeof(*media); i++)
        if (strcmp(type, media[i][0]) == 0)
            hint = json_pack("{s:s}", "type", media[i][1]);
    if (strcmp(type, "wait_digit") == 0) {
        hint = json_pack("{s:s, s:i}", "type", "digits", "count", 1);
        *operand = "@input.text";
    } else if (strcmp(type, "wait_digits") == 0) {
        hint = json_pack("{s:s, s:s}", "type", "digits", "terminated_by",
                         jstr0(rs, "finished_key"));
        *operand = "@input.text";
    }
    if (hinted) /* a hint that could not be made fails the migration */
        lg_set(lg, w, "hint", hint);
    return w;
}

/* The part after the last "." of s (all of s when it has none), or NULL. */
static const char *
last_key(const char *s)
{
    const char *d = strrchr(s, '.');

    return d != NULL ? d + 1 : NULL;
}

/* Operand, UI type and config of a rule set splitting on an expression,
   a contact field or a flow result. */
static json_t *
split_operand(struct lg *lg, const char *type, const char *operand, json_t *ui)
{
    const char *key = last_key(operand), *uitype = "split_by_expression";
    json_t *conf = NULL, *op;

    if (strcmp(type, "flow_field") == 0) {
        uitype = "split_by_run_result";
        if (key != NULL)
            conf = json_pack("{s:s}", "id", key);
    } else if (strcmp(type, "contact_field") == 0) {
        uitype = "split_by_contact_field";
        if (key == NULL)
            ;
        else if (strcmp(key, "name") == 0)
            conf = json_pack("{s:s, s:s, s:s}", "type", "property", "id",
                             "name", "name", "Name");
        else if (strcmp(key, "groups") == 0)
            uitype = "split_by_expression";
        else
            conf = json_pack("{s:s, s:s}", "type",
                             legacy_is_scheme(key, strlen(key)) ? "scheme"
                                                                : "field",
                             "id", key);
    }
    lg_set(lg, ui, "type", json_string(uitype));
    if (key != NULL &&
        (strcmp(type, "flow_field") == 0 ||
         (strcmp(type, "contact_field") == 0 && strcmp(key, "groups") != 0)))
        lg_set(lg, ui, "config", json_pack("{s:o}", "operand", conf));
    op = lg_tpl(lg, operand,
                strcmp(type, "expression") == 0 ? LEGACY_DEFAULT_TO_SELF : 0);
    if (op != NULL && json_string_length(op) == 0) {
        json_decref(op);
        op = json_string("@input");
    }
    return op;
}

/* The operand of a form_field rule set: one field of a delimited answer. */
static json_t *
form_field(struct lg *lg, const json_t *rs, json_t *ui)
{
    const json_t *conf = json_object_get(rs, "config");
    const char *delim = jstr0(conf, "field_delimiter");
    const char *key = last_key(jstr0(rs, "operand"));
    json_int_t index =
        (json_int_t)json_number_value(json_object_get(conf, "field_index"));
    json_t *op = lg_tpl(lg, jstr0(rs, "operand"), 0), *out;
    const char *o = json_string_value(op);

    if (o == NULL)
        return NULL;
    out = json_sprintf("@(field(%s, %lld, \"%s\"))", o + (*o == '@'),
                       (long long)index, delim);
    json_decref(op);
    if (key != NULL)
        lg_set(lg, ui, "config",
               json_pack("{s:{s:s}, s:s, s:I}", "operand", "id", key,
                         "delimiter", delim, "index", index));
    return out;
}

/* {"type": "switch", ...} (or random) with the rules' parts. */
static json_t *
router(struct lg *lg, const char *type, const char *result, struct rules *r,
       json_t *operand, json_t *wait)
{
    json_t *rt;

    if (strcmp(type, "random") == 0)
        rt = json_pack("{s:s, s:O}", "type", "random", "categories", r->cats);
    else
        rt = json_pack("{s:s, s:O, s:O, s:O, s:s}", "type", "switch",
                       "categories", r->cats, "operand", operand, "cases",
                       r->cases, "default_category_uuid",
                       r->deflt != NULL ? r->deflt : "");
    if (wait != NULL)
        lg_set(lg, rt, "wait", json_incref(wait));
    if (result != NULL && *result != '\0')
        lg_set(lg, rt, "result_name", json_string(result));
    if (rt == NULL)
        lg_fail(lg, "out of memory");
    return rt;
}

/*
 * The headers of a legacy webhook: its own, migrated, and a JSON content
 * type for a POST. (goflow also gives a POST the legacy payload as its
 * body; webhooks are refused here, so that body is left out.)
 */
static void
webhook_headers(struct lg *lg, json_t *a, const json_t *conf, bool post)
{
    json_t *h = json_object(), *hd;
    size_t i;

    if (post)
        lg_set(lg, h, "Content-Type", json_string("application/json"));
    json_array_foreach(json_object_get(conf, "webhook_headers"), i, hd)
    {
        if (*jstr0(hd, "name") != '\0')
            lg_set(lg, h, jstr0(hd, "name"), lg_tpl(lg, jstr0(hd, "value"), 0));
    }
    if (json_object_size(h) > 0)
        lg_set(lg, a, "headers", h);
    else
        json_decref(h);
}

/* The action before the router of a webhook, resthook, subflow or
   airtime rule set; operand and UI type set to theirs. */
static json_t *
pre_action(struct lg *lg, const char *type, const json_t *rs, json_t **operand,
           const char **uitype, bool *named)
{
    const json_t *conf = json_object_get(rs, "config");
    const char *label = jstr0(rs, "label");
    char *snake = expr_snake(label), op[256];
    json_t *u = lg_uuid(lg), *a = NULL;

    if (snake == NULL)
        lg_fail(lg, "out of memory");
    snprintf(op, sizeof(op), "@results.%s%s", snake ? snake : "",
             strcmp(type, "airtime") == 0 ? "" : ".category");
    free(snake);
    *named = false;
    if (strcmp(type, "subflow") == 0) {
        *named = true;
        *uitype = "split_by_subflow";
        snprintf(op, sizeof(op), "@child.status");
        if (!json_is_object(json_object_get(conf, "flow")))
            lg_fail(lg, "subflow rule set has no flow in its config");
        else
            a = json_pack("{s:s, s:O, s:{s:s, s:s}}", "type", "enter_flow",
                          "uuid", u, "flow", "uuid",
                          jstr0(json_object_get(conf, "flow"), "uuid"), "name",
                          jstr0(json_object_get(conf, "flow"), "name"));
    } else if (strcmp(type, "webhook") == 0) {
        const char *m = jstr0(conf, "webhook_action");
        char method[16];
        size_t i;

        for (i = 0; m[i] != '\0' && i + 1 < sizeof(method); i++)
            method[i] = (char)(m[i] >= 'a' && m[i] <= 'z' ? m[i] - 32 : m[i]);
        method[i] = '\0';
        *uitype = "split_by_webhook";
        a = json_pack("{s:s, s:O, s:s, s:o, s:s}", "type", "call_webhook",
                      "uuid", u, "method", i > 0 ? method : "POST", "url",
                      lg_tpl(lg, jstr0(conf, "webhook"), LEGACY_URL_ENCODE),
                      "result_name", label);
        webhook_headers(lg, a, conf, i == 0 || strcmp(method, "POST") == 0);
    } else if (strcmp(type, "resthook") == 0) {
        *uitype = "split_by_resthook";
        a = json_pack("{s:s, s:O, s:s, s:s}", "type", "call_resthook", "uuid",
                      u, "resthook", jstr0(conf, "resthook"), "result_name",
                      label);
    } else {
        *uitype = "split_by_airtime";
        a = json_pack("{s:s, s:O, s:{}, s:s}", "type", "transfer_airtime",
                      "uuid", u, "amounts", "result_name", label);
        if (a != NULL && json_is_object(conf)) {
            const char *country;
            json_t *c;

            json_object_foreach((json_t *)conf, country, c)
            {
                if (jstr(c, "currency_code") != NULL &&
                    json_object_get(c, "amount") != NULL &&
                    json_object_set(json_object_get(a, "amounts"),
                                    jstr(c, "currency_code"),
                                    json_object_get(c, "amount")) != 0)
                    lg_fail(lg, "out of memory");
            }
        }
    }
    json_decref(u);
    *operand = json_string(op);
    return a;
}

/* The node's router, actions and UI for rule set rs of type type. */
static json_t *
ruleset_router(struct lg *lg, const json_t *rs, const char *type,
               struct rules *r, json_t *ui, json_t **actions)
{
    static const char *const waits[] = {
        "wait_message",   "wait_audio", "wait_video",  "wait_photo", "wait_gps",
        "wait_recording", "wait_digit", "wait_digits", NULL};
    static const char *const pres[] = {"subflow", "webhook", "resthook",
                                       "airtime", NULL};
    static const char *const splits[] = {"flow_field", "contact_field",
                                         "expression", NULL};
    const char *label = jstr0(rs, "label"), *uitype = NULL, *wop;
    json_t *operand = NULL, *wait = NULL, *rt = NULL, *a;
    bool named = true;

    if (is_any(type, waits)) {
        wait = wait_of(lg, type, rs, r, &wop);
        operand = json_string(wop);
        uitype = "wait_for_response";
    } else if (is_any(type, pres)) {
        a = pre_action(lg, type, rs, &operand, &uitype, &named);
        if (a == NULL || (*actions = json_pack("[o]", a)) == NULL)
            lg_fail(lg, "out of memory"); /* unless failed for a reason */
    } else if (is_any(type, splits)) {
        operand = split_operand(lg, type, jstr0(rs, "operand"), ui);
    } else if (strcmp(type, "group") == 0) {
        operand = json_string("@contact.groups");
        uitype = "split_by_groups";
    } else if (strcmp(type, "random") == 0) {
        uitype = "split_by_random";
    } else if (strcmp(type, "form_field") == 0) {
        operand = form_field(lg, rs, ui);
        uitype = "split_by_run_result_delimited";
    } else
        lg_fail(lg, "legacy rule set type \"%s\" is unknown", type);
    if (uitype != NULL)
        lg_set(lg, ui, "type", json_string(uitype));
    if (!lg->fail)
        rt = router(lg, type, named ? label : NULL, r, operand, wait);
    json_decref(operand);
    json_decref(wait);
    return rt;
}

json_t *
legacy_ruleset(struct lg *lg, const json_t *rs, json_t *ui)
{
    struct rules r = {.cats = json_array(),
                      .cases = json_array(),
                      .exits = json_array(),
                      .uicases = json_object()};
    const char *type = jstr0(rs, "ruleset_type");
    json_t *node = json_pack("{s:s}", "uuid", jstr0(rs, "uuid"));
    json_t *actions = NULL, *rt;

    if (*type == '\0')
        type = "wait_message"; /* older flows leave it out */
    rules_of(lg, rs, &r);
    rt = lg->fail ? NULL : ruleset_router(lg, rs, type, &r, ui, &actions);
    if (actions != NULL)
        lg_set(lg, node, "actions", actions);
    lg_set(lg, node, "router", rt);
    lg_set(lg, node, "exits", json_incref(r.exits));
    if (json_object_size(r.uicases) > 0) {
        json_t *conf = json_object_get(ui, "config");

        if (conf == NULL && !lg->fail) {
            conf = json_object();
            lg_set(lg, ui, "config", conf);
        }
        if (!lg->fail)
            lg_set(lg, conf, "cases", json_incref(r.uicases));
    }
    json_decref(r.cats);
    json_decref(r.cases);
    json_decref(r.exits);
    json_decref(r.uicases);
    if (lg->fail && strstr(lg->err, "rule set") == NULL) {
        char e[SK_ERR_LEN];

        snprintf(e, sizeof(e), "rule set %s: %s", jstr0(rs, "uuid"), lg->err);
        memcpy(lg->err, e, sizeof(e));
    }
    return node;
}
