/*
 * check.c - the flow check (see check.h). Each template is read by
 * expr_check(), which parses without evaluating and reports every
 * function call and context path; those are compared here with the
 * built-in functions (exprf_arity), the router tests (rtest_arity), the
 * results the flow's nodes save, goflow's @input properties and the
 * declared contact fields. One walk over the flow serves both passes; a
 * finding names the node as the editor shows it (fl_node_label).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "expr.h"
#include "expr_funcs.h"
#include "flow_int.h"
#include "rtest.h"

#define CHECK_LABEL 200

enum pass { PASS_FLOW, PASS_FIELDS };

struct walk {
    const struct flow *f;
    enum pass pass;
    const json_t *fields; /* PASS_FIELDS */
    json_t *results;      /* snaked result names the flow saves */
    check_report_fn fn;
    void *arg;
    char node[CHECK_LABEL]; /* label of the node being read, or "" */
    const char *where;      /* "message", "quick reply", ... */
    int errors;
    bool oom;
};

/* goflow's @input properties */
static const char *const input_props[] = {
    "text", "attachments", "channel", "created_on", "external_id",
    "urn",  "uuid",        "type",    NULL};

static void report(struct walk *w, bool warning, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
report(struct walk *w, bool warning, const char *fmt, ...)
{
    char reason[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    if (!warning)
        w->errors++;
    if (w->fn != NULL)
        w->fn(w->arg, w->node[0] ? w->node : NULL, warning, reason);
}

static void
on_call(void *arg, const char *name, size_t nargs)
{
    struct walk *w = arg;
    int min, max;

    if (w->pass != PASS_FLOW)
        return;
    if (strcmp(name, "prompt") == 0) {
        report(w, false,
               "%s: function prompt (a call to a language model) is not "
               "supported",
               w->where);
        return;
    }
    if (!exprf_arity(name, &min, &max) && !rtest_arity(name, &min, &max)) {
        report(w, false, "%s: unknown function %s()", w->where, name);
        return;
    }
    if ((int)nargs >= min && (max < 0 || (int)nargs <= max))
        return;
    if (min == max)
        report(w, false, "%s: %s() takes %d argument%s, not %zu", w->where,
               name, min, min == 1 ? "" : "s", nargs);
    else if (max < 0)
        report(w, false, "%s: %s() takes at least %d argument%s, not %zu",
               w->where, name, min, min == 1 ? "" : "s", nargs);
    else
        report(w, false, "%s: %s() takes %d to %d arguments, not %zu", w->where,
               name, min, max, nargs);
}

static void
check_result(struct walk *w, const char *key)
{
    if (json_object_get(w->results, key) != NULL)
        return;
    report(w, false,
           "%s: @results.%s: no node in this flow saves a result "
           "named \"%s\"",
           w->where, key, key);
}

static void
on_ref(void *arg, const char *const *parts, size_t n)
{
    struct walk *w = arg;
    const char *field = NULL;

    if (w->pass == PASS_FIELDS) {
        if (n >= 2 && strcmp(parts[0], "fields") == 0)
            field = parts[1];
        else if (n >= 3 && strcmp(parts[0], "contact") == 0 &&
                 strcmp(parts[1], "fields") == 0)
            field = parts[2];
        if (field != NULL && json_object_get(w->fields, field) == NULL)
            report(w, false,
                   "%s: @fields.%s: no contact field \"%s\" is set or "
                   "declared",
                   w->where, field, field);
        return;
    }
    if (n >= 2 && strcmp(parts[0], "input") == 0) {
        for (const char *const *p = input_props; *p != NULL; p++)
            if (strcmp(*p, parts[1]) == 0)
                return;
        report(w, false,
               "%s: @input.%s does not exist (input has text, attachments, "
               "channel, created_on, external_id, urn, uuid)",
               w->where, parts[1]);
    } else if (strcmp(parts[0], "legacy_extra") == 0) {
        report(w, false,
               "%s: @legacy_extra (a legacy flow's @extra: webhook and "
               "trigger data) is not supported",
               w->where);
    } else if (n >= 2 && strcmp(parts[0], "results") == 0) {
        check_result(w, parts[1]);
    } else if (n >= 3 && strcmp(parts[0], "run") == 0 &&
               strcmp(parts[1], "results") == 0) {
        check_result(w, parts[2]);
    }
}

static const struct expr_check_fns check_fns = {on_call, on_ref};

/* Reads one template; where says what it is in the node. */
static void
text(struct walk *w, const char *where, const char *tpl)
{
    char err[SK_ERR_LEN] = "";
    int rc;

    if (tpl == NULL || strchr(tpl, '@') == NULL)
        return;
    w->where = where;
    rc = expr_check(tpl, &check_fns, w, err);
    if (rc == SK_ENOMEM)
        w->oom = true;
    else if (rc != 0 && w->pass == PASS_FLOW)
        report(w, false, "%s: %s", where, err);
}

static void
texts(struct walk *w, const char *where, const json_t *list)
{
    size_t i;
    const json_t *s;

    json_array_foreach(list, i, s)
    {
        text(w, where, json_string_value(s));
    }
}

/* An item's translations of prop, in every language. */
static void
translations(struct walk *w, const char *where, const char *item,
             const char *prop)
{
    const char *lang;
    const json_t *items;

    if (w->f->loc == NULL || item == NULL)
        return;
    json_object_foreach((json_t *)w->f->loc, lang, items)
    {
        char what[64];

        (void)items;
        snprintf(what, sizeof(what), "%s (%s)", where, lang);
        texts(w, what, fl_localized(w->f, lang, item, prop));
    }
}

static const char *
jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void
walk_action(struct walk *w, const struct fl_action *a)
{
    const json_t *j = a->json;

    switch (a->type) {
    case FA_SEND_MSG:
    case FA_SAY_MSG:
        text(w, "message", jstr(j, "text"));
        translations(w, "message", a->uuid, "text");
        texts(w, "quick reply", json_object_get(j, "quick_replies"));
        translations(w, "quick reply", a->uuid, "quick_replies");
        break;
    case FA_PLAY_AUDIO:
        text(w, "audio URL", jstr(j, "audio_url"));
        break;
    case FA_SET_RUN_RESULT:
        text(w, "result value", jstr(j, "value"));
        text(w, "result category", jstr(j, "category"));
        break;
    case FA_SET_CONTACT_LANGUAGE:
        text(w, "language", jstr(j, "language"));
        break;
    case FA_SET_CONTACT_FIELD:
        text(w, "field value", jstr(j, "value"));
        break;
    case FA_ENTER_FLOW:
        break;
    }
}

static void
walk_case(struct walk *w, const struct fl_case *c, size_t i)
{
    size_t nargs = json_array_size(c->args);
    char where[48];
    int min, max;

    snprintf(where, sizeof(where), "case %zu", i + 1);
    texts(w, where, c->args);
    translations(w, where, c->uuid, "arguments");
    /* the operand is the test's first argument */
    if (w->pass != PASS_FLOW || c->type == NULL ||
        !rtest_arity(c->type, &min, &max))
        return;
    if ((int)nargs + 1 >= min && (int)nargs + 1 <= max)
        return;
    if (min == max)
        report(w, false, "%s: %s takes %d argument%s, not %zu", where, c->type,
               min - 1, min == 2 ? "" : "s", nargs);
    else
        report(w, false, "%s: %s takes %d to %d arguments, not %zu", where,
               c->type, min - 1, max - 1, nargs);
}

static int
add_result(struct walk *w, const char *name)
{
    char *snaked;
    int rc = 0;

    if (name == NULL || name[0] == '\0')
        return 0;
    snaked = expr_snake(name);
    if (snaked == NULL ||
        json_object_set_new(w->results, snaked, json_true()) != 0)
        rc = SK_ENOMEM;
    free(snaked);
    return rc;
}

/*
 * The snaked names of the results f's nodes save, into w->results: a
 * router's result_name, a set_run_result's name, and the result_name of
 * any other action (a webhook's, say, in a flow refused for it).
 */
static int
collect_results(struct walk *w)
{
    const json_t *nj, *a;
    size_t i, j;
    int rc = 0;

    json_array_foreach(json_object_get(w->f->def, "nodes"), i, nj)
    {
        rc |= add_result(w, jstr(json_object_get(nj, "router"), "result_name"));
        json_array_foreach(json_object_get(nj, "actions"), j, a)
        {
            const char *type = jstr(a, "type");

            if (type != NULL && strcmp(type, "set_run_result") == 0)
                rc |= add_result(w, jstr(a, "name"));
            rc |= add_result(w, jstr(a, "result_name"));
        }
    }
    return rc != 0 ? SK_ENOMEM : 0;
}

/* Missing translations of message texts and quick replies, per language. */
static void
walk_translations(struct walk *w)
{
    const struct flow *f = w->f;
    const char *lang;
    const json_t *items;

    if (f->loc == NULL || !json_is_object(f->loc))
        return;
    json_object_foreach((json_t *)f->loc, lang, items)
    {
        char where[600] = "";
        size_t missing = 0, total = 0, named = 0, len = 0;

        (void)items;
        if (f->language != NULL && strcmp(lang, f->language) == 0)
            continue;
        for (size_t i = 0; i < f->nnodes; i++) {
            const struct fl_node *n = &f->nodes[i];
            bool lacks = false;

            for (size_t j = 0; j < n->nactions; j++) {
                const struct fl_action *a = &n->actions[j];
                const json_t *qr = json_object_get(a->json, "quick_replies");

                if (a->type != FA_SEND_MSG && a->type != FA_SAY_MSG)
                    continue;
                total++;
                if (json_string_length(json_array_get(
                        fl_localized(f, lang, a->uuid, "text"), 0)) == 0 ||
                    (json_array_size(qr) > 0 &&
                     json_array_size(fl_localized(f, lang, a->uuid,
                                                  "quick_replies")) == 0)) {
                    missing++;
                    lacks = true;
                }
            }
            if (lacks && named < 3 && len < sizeof(where) - 1) {
                char label[CHECK_LABEL];

                fl_node_label(f, i, label, sizeof(label));
                len += (size_t)snprintf(where + len, sizeof(where) - len,
                                        "%snode %s", named ? ", " : "", label);
                named++;
            }
        }
        if (missing == 0)
            continue;
        w->node[0] = '\0';
        report(w, true,
               "%s: %zu of %zu message%s lack a translation (%s%s); children "
               "who read %s get the %s text",
               lang, missing, total, total == 1 ? "" : "s", where,
               missing > named ? ", ..." : "", lang,
               f->language ? f->language : "base");
    }
}

static int
walk_flow(struct walk *w)
{
    const struct flow *f = w->f;

    for (size_t i = 0; i < f->nnodes && !w->oom; i++) {
        const struct fl_node *n = &f->nodes[i];

        fl_node_label(f, i, w->node, sizeof(w->node));
        for (size_t j = 0; j < n->nactions; j++)
            walk_action(w, &n->actions[j]);
        if (n->router == FR_SWITCH) {
            text(w, "router operand", n->operand);
            for (size_t j = 0; j < n->ncases; j++)
                walk_case(w, &n->cases[j], j);
        }
    }
    w->node[0] = '\0';
    if (w->pass == PASS_FLOW && !w->oom)
        walk_translations(w);
    return w->oom ? SK_ENOMEM : w->errors;
}

int
check_flow(const struct flow *f, check_report_fn fn, void *arg)
{
    struct walk w = {.f = f, .pass = PASS_FLOW, .fn = fn, .arg = arg};
    int rc;

    if ((w.results = json_object()) == NULL)
        return SK_ENOMEM;
    rc = collect_results(&w);
    if (rc == 0)
        rc = walk_flow(&w);
    json_decref(w.results);
    return rc;
}

int
check_fields(const struct flow *f, const json_t *fields, check_report_fn fn,
             void *arg)
{
    struct walk w = {
        .f = f, .pass = PASS_FIELDS, .fields = fields, .fn = fn, .arg = arg};

    return walk_flow(&w);
}
