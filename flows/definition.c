/*
 * definition.c - loads and validates flow definitions (spec 13.x and 14.x,
 * as goflow reads them) into the form in flow_int.h, and holds the set of
 * loaded flows and keyword triggers.
 *
 * Validation does not stop at the first problem: every problem found is
 * reported through the caller's diag callback, naming the flow and node, so
 * that `sikiliza flow check` lists them all. A text with any problem adds
 * nothing to the set. Features this engine does not run (webhooks, groups,
 * other waits...) are problems too: a flow is never run half-understood.
 * A definition written for an older spec version is first migrated in
 * its JSON to FLOW_SPEC_VERSION (migrate.c; a legacy pre-13 one first to
 * 13.0.0 by legacy.c), so validation and the runner only ever see the
 * current spec. Pure: no I/O, no globals.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "expr.h"
#include "flow.h"
#include "flow_int.h"
#include "flow_lang.h"
#include "legacy.h"
#include "rtest.h"
#include "text.h"
#include "utf8.h"

struct load {
    flow_diag_fn diag;
    void *arg;
    const char *flow; /* name (or uuid) of the flow being read */
    int problems;
    json_t *uuids; /* localizable item uuids of the current flow */
};

static void problem(struct load *ld, const char *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct load *ld, const char *node, const char *fmt, ...)
{
    char reason[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    ld->problems++;
    if (ld->diag != NULL)
        ld->diag(ld->arg, ld->flow, node, reason);
}

static const char *
jstr(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* A warning: reported with "WARNING: " first, and not a problem. */
static void
warning(struct load *ld, const char *node, const char *reason)
{
    char text[600];

    snprintf(text, sizeof(text), "WARNING: %s", reason);
    if (ld->diag != NULL)
        ld->diag(ld->arg, ld->flow, node, text);
}

/* A non-empty string member, or NULL. */
static const char *
jstr_set(const json_t *obj, const char *key)
{
    const char *s = jstr(obj, key);

    return (s != NULL && s[0] != '\0') ? s : NULL;
}

bool
fl_lang_known(const char *code)
{
    size_t lo = 0, hi = (sizeof(fl_iso639_3) - 1) / 3;

    if (code == NULL || strlen(code) != 3)
        return false;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strncmp(fl_iso639_3 + mid * 3, code, 3);

        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

bool
flow_lang_known(const char *code)
{
    return fl_lang_known(code);
}

const char *
flow_lang_at(const struct flow *f, size_t i)
{
    const char *lang;
    const json_t *items;

    if (i == 0)
        return f->language;
    json_object_foreach((json_t *)f->loc, lang, items)
    {
        (void)items;
        if (--i == 0)
            return lang;
    }
    return NULL;
}

static const char *
canonical_type(const char *type)
{
    if (type == NULL)
        return NULL;
    if (strcmp(type, "messaging") == 0 || strcmp(type, "message") == 0 ||
        strcmp(type, "M") == 0)
        return "messaging";
    if (strcmp(type, "voice") == 0 || strcmp(type, "ivr") == 0 ||
        strcmp(type, "V") == 0)
        return "voice";
    return NULL;
}

static void
node_free(struct fl_node *n)
{
    free(n->actions);
    free(n->exits);
    free(n->cats);
    free(n->cases);
}

static void
flow_free(struct flow *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->nnodes; i++)
        node_free(&f->nodes[i]);
    free(f->nodes);
    json_decref(f->def);
    free(f);
}

int
fl_node_index(const struct flow *f, const char *uuid)
{
    if (uuid == NULL)
        return -1;
    for (size_t i = 0; i < f->nnodes; i++)
        if (f->nodes[i].uuid != NULL && strcmp(f->nodes[i].uuid, uuid) == 0)
            return (int)i;
    return -1;
}

static void
note_uuid(struct load *ld, const char *uuid)
{
    if (uuid != NULL)
        json_object_set_new(ld->uuids, uuid, json_true());
}

static const struct {
    const char *name;
    enum fl_action_type type;
    bool voice_only;
} action_types[] = {
    {"send_msg", FA_SEND_MSG, false},
    {"say_msg", FA_SAY_MSG, true},
    {"play_audio", FA_PLAY_AUDIO, true},
    {"set_run_result", FA_SET_RUN_RESULT, false},
    {"set_contact_language", FA_SET_CONTACT_LANGUAGE, false},
    {"set_contact_field", FA_SET_CONTACT_FIELD, false},
    {"enter_flow", FA_ENTER_FLOW, false},
};

static void
check_quick_replies(struct load *ld, const char *node, const json_t *qr)
{
    const json_t *q;
    size_t i;

    if (qr == NULL || json_is_null(qr))
        return;
    if (!json_is_array(qr) || json_array_size(qr) > FL_MAX_REPLIES) {
        problem(ld, node, "quick_replies must be a list of at most %d",
                FL_MAX_REPLIES);
        return;
    }
    json_array_foreach(qr, i, q)
    {
        if (!json_is_string(q) || json_string_length(q) > FL_MAX_REPLY)
            problem(ld, node,
                    "quick reply %zu is not text of at most %d "
                    "bytes",
                    i, FL_MAX_REPLY);
    }
}

/* Reads one action; false when it is unusable. */
static bool
read_action(struct load *ld, const struct flow *f, const char *node,
            const json_t *aj, struct fl_action *a)
{
    const char *type = jstr(aj, "type");
    const json_t *ref;
    size_t i;

    if (!json_is_object(aj)) {
        problem(ld, node, "action is not an object");
        return false;
    }
    a->json = aj;
    a->uuid = jstr_set(aj, "uuid");
    if (a->uuid == NULL)
        problem(ld, node, "action has no uuid");
    note_uuid(ld, a->uuid);
    if (type == NULL) {
        problem(ld, node, "action has no type");
        return false;
    }
    for (i = 0; i < sizeof(action_types) / sizeof(action_types[0]); i++)
        if (strcmp(action_types[i].name, type) == 0)
            break;
    if (i == sizeof(action_types) / sizeof(action_types[0])) {
        problem(ld, node, "action type \"%s\" is not supported", type);
        return false;
    }
    a->type = action_types[i].type;
    if (action_types[i].voice_only && strcmp(f->type, "voice") != 0) {
        problem(ld, node, "action type \"%s\" is not allowed in a %s flow",
                type, f->type);
        return false;
    }
    switch (a->type) {
    case FA_SEND_MSG:
    case FA_SAY_MSG:
        if (jstr_set(aj, "text") == NULL)
            problem(ld, node, "%s action %s: text is required", type,
                    a->uuid ? a->uuid : "");
        if (json_object_get(aj, "templating") != NULL ||
            json_object_get(aj, "template") != NULL)
            problem(ld, node, "send_msg templates are not supported");
        if (json_string_length(json_object_get(aj, "text")) > FL_MAX_TEXT)
            problem(ld, node, "%s text is longer than %d", type, FL_MAX_TEXT);
        check_quick_replies(ld, node, json_object_get(aj, "quick_replies"));
        if (json_object_get(aj, "attachments") != NULL &&
            json_array_size(json_object_get(aj, "attachments")) > 0)
            problem(ld, node, "send_msg attachments are not supported");
        break;
    case FA_PLAY_AUDIO:
        if (jstr_set(aj, "audio_url") == NULL)
            problem(ld, node, "play_audio action: audio_url is required");
        break;
    case FA_SET_RUN_RESULT:
        if (jstr_set(aj, "name") == NULL)
            problem(ld, node, "set_run_result action: name is required");
        else if (strlen(jstr(aj, "name")) > FL_MAX_NAME)
            problem(ld, node, "set_run_result action: name is too long");
        break;
    case FA_SET_CONTACT_LANGUAGE:
        if (!json_is_string(json_object_get(aj, "language")))
            problem(ld, node,
                    "set_contact_language action: language is required");
        break;
    case FA_SET_CONTACT_FIELD:
        ref = json_object_get(aj, "field");
        if (jstr_set(ref, "key") == NULL)
            problem(ld, node,
                    "set_contact_field action: field key is "
                    "required");
        if (!json_is_string(json_object_get(aj, "value")))
            problem(ld, node, "set_contact_field action: value is required");
        break;
    case FA_ENTER_FLOW:
        ref = json_object_get(aj, "flow");
        if (jstr_set(ref, "uuid") == NULL)
            problem(ld, node, "enter_flow action: flow uuid is required");
        break;
    }
    return true;
}

static int
find_exit(const struct fl_node *n, const char *uuid)
{
    if (uuid == NULL)
        return -1;
    for (size_t i = 0; i < n->nexits; i++)
        if (n->exits[i].uuid != NULL && strcmp(n->exits[i].uuid, uuid) == 0)
            return (int)i;
    return -1;
}

static int
find_cat(const struct fl_node *n, const char *uuid)
{
    if (uuid == NULL)
        return -1;
    for (size_t i = 0; i < n->ncats; i++)
        if (n->cats[i].uuid != NULL && strcmp(n->cats[i].uuid, uuid) == 0)
            return (int)i;
    return -1;
}

static void
read_wait(struct load *ld, const char *node, const json_t *wj,
          struct fl_node *n)
{
    const char *type = jstr(wj, "type");
    const json_t *timeout = json_object_get(wj, "timeout");
    const json_t *hint = json_object_get(wj, "hint");

    if (!json_is_object(wj) || type == NULL) {
        problem(ld, node, "wait has no type");
        return;
    }
    if (strcmp(type, "msg") != 0) {
        problem(ld, node, "wait type \"%s\" is not supported", type);
        return;
    }
    n->wait = true;
    if (timeout != NULL && !json_is_null(timeout)) {
        json_int_t secs =
            json_integer_value(json_object_get(timeout, "seconds"));
        const char *cat = jstr(timeout, "category_uuid");

        if (secs <= 0 || secs > FL_MAX_TIMEOUT_S)
            problem(ld, node,
                    "wait timeout needs seconds above 0 and at most %d "
                    "(a year)",
                    FL_MAX_TIMEOUT_S);
        n->timeout_s = secs;
        n->timeout_cat = find_cat(n, cat);
        if (n->timeout_cat < 0)
            problem(ld, node,
                    "timeout category %s is not a category of "
                    "the router",
                    cat ? cat : "(none)");
    }
    if (hint != NULL && !json_is_null(hint)) {
        const char *ht = jstr(hint, "type");

        if (ht != NULL && strcmp(ht, "digits") == 0)
            n->hint = "digits";
        else if (ht != NULL && strcmp(ht, "audio") == 0)
            n->hint = "audio";
        else
            problem(ld, node, "wait hint \"%s\" is not supported",
                    ht ? ht : "(none)");
    }
}

/* Case i of a switch router, from its JSON v. */
static void
read_case(struct load *ld, const char *node, struct fl_node *n, size_t i,
          const json_t *v)
{
    struct fl_case *c = &n->cases[i];
    const json_t *args = json_object_get(v, "arguments");
    const char *cat = jstr(v, "category_uuid");

    c->uuid = jstr_set(v, "uuid");
    c->type = jstr_set(v, "type");
    note_uuid(ld, c->uuid);
    if (c->uuid == NULL)
        problem(ld, node, "case %zu has no uuid", i);
    if (c->type == NULL)
        problem(ld, node, "case %zu has no type", i);
    else if (!rtest_known(c->type))
        problem(ld, node, "router test \"%s\" is not supported", c->type);
    if (args != NULL && !json_is_null(args)) {
        size_t j;
        const json_t *a;

        if (!json_is_array(args))
            problem(ld, node, "case %zu arguments are not a list", i);
        else if (json_array_size(args) > FL_MAX_ARGS)
            problem(ld, node, "case %zu has more than %d arguments", i,
                    FL_MAX_ARGS);
        else
            c->args = args;
        json_array_foreach(args, j, a)
        {
            if (!json_is_string(a))
                problem(ld, node, "case %zu argument %zu is not text", i, j);
        }
    }
    c->cat_idx = find_cat(n, cat);
    if (c->cat_idx < 0)
        problem(ld, node, "case %zu points to %s category %s", i,
                cat ? "missing" : "no", cat ? cat : "");
}

static void
read_router(struct load *ld, const char *node, const json_t *rj,
            struct fl_node *n)
{
    const char *type = jstr(rj, "type");
    const json_t *cats = json_object_get(rj, "categories");
    const json_t *cases = json_object_get(rj, "cases");
    const json_t *v;
    size_t i;

    if (!json_is_object(rj) || type == NULL) {
        problem(ld, node, "router has no type");
        return;
    }
    if (strcmp(type, "switch") == 0) {
        n->router = FR_SWITCH;
    } else if (strcmp(type, "random") == 0) {
        n->router = FR_RANDOM;
    } else {
        problem(ld, node, "router type \"%s\" is not supported", type);
        return;
    }
    n->result_name = jstr_set(rj, "result_name");
    if (n->result_name != NULL && strlen(n->result_name) > FL_MAX_NAME)
        problem(ld, node, "result name is longer than %d", FL_MAX_NAME);
    if (json_array_size(cats) == 0) {
        problem(ld, node, "router has no categories");
        return;
    }
    if (json_array_size(cats) > FL_MAX_CATEGORIES) {
        problem(ld, node, "router has more than %d categories",
                FL_MAX_CATEGORIES);
        return;
    }
    n->ncats = json_array_size(cats);
    n->cats = calloc(n->ncats, sizeof(*n->cats));
    if (n->cats == NULL) {
        problem(ld, node, "out of memory");
        n->ncats = 0;
        return;
    }
    json_array_foreach(cats, i, v)
    {
        struct fl_category *c = &n->cats[i];
        const char *exit = jstr(v, "exit_uuid");

        c->uuid = jstr_set(v, "uuid");
        c->name = jstr_set(v, "name");
        note_uuid(ld, c->uuid);
        if (c->uuid == NULL || c->name == NULL)
            problem(ld, node, "category %zu needs a uuid and a name", i);
        else if (strlen(c->name) > 36)
            problem(ld, node, "category name \"%s\" is longer than 36",
                    c->name);
        c->exit_idx = find_exit(n, exit);
        if (c->exit_idx < 0)
            problem(ld, node, "category %s has %s exit %s",
                    c->name ? c->name : "", exit ? "a missing" : "no",
                    exit ? exit : "");
    }
    n->default_cat = -1;
    v = json_object_get(rj, "default_category_uuid");
    if (json_string_length(v) > 0) { /* "" means none, as goflow reads it */
        n->default_cat = find_cat(n, json_string_value(v));
        if (n->default_cat < 0)
            problem(ld, node,
                    "default category %s is not a category of "
                    "the router",
                    json_string_value(v));
    }
    if (n->router == FR_RANDOM) {
        if (json_array_size(cases) > 0)
            problem(ld, node, "random router cannot have cases");
        if (json_object_get(rj, "wait") != NULL)
            problem(ld, node, "random router cannot wait");
        return;
    }
    n->operand = jstr_set(rj, "operand");
    if (n->operand == NULL)
        n->operand = "@input.text";
    if (json_array_size(cases) > FL_MAX_CASES) {
        problem(ld, node, "router has more than %d cases", FL_MAX_CASES);
        return;
    }
    n->ncases = json_array_size(cases);
    n->cases = n->ncases ? calloc(n->ncases, sizeof(*n->cases)) : NULL;
    if (n->ncases > 0 && n->cases == NULL) {
        problem(ld, node, "out of memory");
        n->ncases = 0;
        return;
    }
    json_array_foreach(cases, i, v) read_case(ld, node, n, i, v);
    v = json_object_get(rj, "wait");
    if (v != NULL && !json_is_null(v))
        read_wait(ld, node, v, n);
}

static void
read_node(struct load *ld, struct flow *f, const json_t *nj, size_t pos,
          struct fl_node *n)
{
    char label[256];
    const json_t *actions = json_object_get(nj, "actions");
    const json_t *exits = json_object_get(nj, "exits");
    const json_t *router = json_object_get(nj, "router");
    const json_t *v;
    size_t i;

    n->default_cat = -1;
    n->timeout_cat = -1;
    if (!json_is_object(nj)) {
        problem(ld, NULL, "node is not an object");
        return;
    }
    n->uuid = jstr_set(nj, "uuid");
    fl_node_label_json(nj, pos, label, sizeof(label));
    if (n->uuid == NULL)
        problem(ld, label, "node has no uuid");
    if (json_array_size(actions) > FL_MAX_ACTIONS) {
        problem(ld, label, "node has more than %d actions", FL_MAX_ACTIONS);
    } else if (json_array_size(actions) > 0) {
        n->actions = calloc(json_array_size(actions), sizeof(*n->actions));
        if (n->actions == NULL) {
            problem(ld, label, "out of memory");
            return;
        }
        json_array_foreach(actions, i, v)
        {
            if (read_action(ld, f, label, v, &n->actions[n->nactions]))
                n->nactions++;
        }
    }
    if (!json_is_array(exits) || json_array_size(exits) == 0) {
        problem(ld, label, "node has no exits");
        return;
    }
    if (json_array_size(exits) > FL_MAX_EXITS) {
        problem(ld, label, "node has more than %d exits", FL_MAX_EXITS);
        return;
    }
    n->exits = calloc(json_array_size(exits), sizeof(*n->exits));
    if (n->exits == NULL) {
        problem(ld, label, "out of memory");
        return;
    }
    json_array_foreach(exits, i, v)
    {
        struct fl_exit *e = &n->exits[n->nexits];

        if (!json_is_object(v)) {
            problem(ld, label, "exit %zu is not an object", i);
            continue;
        }
        e->uuid = jstr_set(v, "uuid");
        e->dest = jstr_set(v, "destination_uuid");
        e->dest_idx = -1;
        note_uuid(ld, e->uuid);
        if (e->uuid == NULL)
            problem(ld, label, "exit %zu has no uuid", i);
        n->nexits++;
    }
    if (router != NULL && !json_is_null(router))
        read_router(ld, label, router, n);
}

/*
 * Whether s is a UUID as goflow reads one: lowercase hex in 8-4-4-4-12,
 * version 1 to 7, variant 8, 9, a or b.
 */
static bool
is_uuid(const char *s)
{
    for (int i = 0; i < 36; i++) {
        char c = s[i];

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return s[36] == '\0' && s[14] >= '1' && s[14] <= '7' &&
           strchr("89ab", s[19]) != NULL;
}

/*
 * Checks the localization: languages, and for each item its translations.
 * An item key must be a UUID; one naming no item of the flow is left over
 * from a deleted item, which goflow keeps and ignores, and so do we.
 */
static void
check_localization(struct load *ld, struct flow *f)
{
    const char *lang, *item, *prop;
    const json_t *items, *props, *val;

    if (f->loc == NULL)
        return;
    if (!json_is_object(f->loc)) {
        problem(ld, NULL, "localization is not an object");
        return;
    }
    json_object_foreach((json_t *)f->loc, lang, items)
    {
        if (!fl_lang_known(lang))
            problem(ld, NULL,
                    "localization language \"%s\" is not an ISO "
                    "639-3 code",
                    lang);
        if (!json_is_object(items)) {
            problem(ld, NULL, "localization for %s is not an object", lang);
            continue;
        }
        json_object_foreach((json_t *)items, item, props)
        {
            if (json_object_get(ld->uuids, item) == NULL && !is_uuid(item))
                problem(ld, NULL,
                        "localization for %s: item key \"%s\" is not a UUID",
                        lang, item);
            if (!json_is_object(props)) {
                problem(ld, NULL, "localization of %s is not an object", item);
                continue;
            }
            json_object_foreach((json_t *)props, prop, val)
            {
                size_t j;
                const json_t *s;

                if (prop[0] == '_')
                    continue; /* editor data such as "_ui" */
                if (strlen(prop) > FL_MAX_NAME)
                    problem(ld, NULL,
                            "localization of %s: property name "
                            "is too long",
                            item);
                if (!json_is_array(val)) {
                    problem(ld, NULL, "localization of %s.%s is not a list",
                            item, prop);
                    continue;
                }
                json_array_foreach(val, j, s)
                {
                    if (!json_is_string(s))
                        problem(ld, NULL,
                                "localization of %s.%s holds a non-text value",
                                item, prop);
                }
            }
        }
    }
}

/* Reads one flow definition (not legacy); NULL when out of memory. */
static struct flow *
read_flow(struct load *ld, json_t *fj)
{
    struct flow *f = calloc(1, sizeof(*f));
    const json_t *nodes;
    const json_t *v;
    const char *type;
    char err[SK_ERR_LEN] = "";
    int rc;
    size_t i;

    if (f == NULL)
        return NULL;
    f->def = json_incref(fj);
    ld->flow = jstr_set(fj, "name") ? jstr(fj, "name") : jstr(fj, "uuid");
    /* older 13.x and 14.x definitions are brought up to the current spec
       first (migrate.c); one that cannot be is still read for its other
       problems */
    rc = flow_migrate(fj, NULL, err);
    if (rc == SK_ENOMEM) {
        flow_free(f);
        return NULL;
    }
    if (rc != 0)
        problem(ld, NULL, "%s", err);
    f->uuid = jstr_set(fj, "uuid");
    f->name = jstr_set(fj, "name");
    nodes = json_object_get(fj, "nodes");
    if (f->uuid == NULL)
        problem(ld, NULL, "flow has no uuid");
    if (f->name == NULL)
        problem(ld, NULL, "flow has no name");
    else if (strlen(f->name) > FL_MAX_NAME)
        problem(ld, NULL, "flow name is longer than %d", FL_MAX_NAME);
    type = jstr(fj, "type");
    f->type = canonical_type(type);
    if (f->type == NULL) {
        problem(ld, NULL, "flow type \"%s\" is not supported",
                type ? type : "(none)");
        f->type = "messaging";
    }
    f->language = jstr_set(fj, "language");
    if (f->language == NULL ||
        (strcmp(f->language, "base") != 0 && !fl_lang_known(f->language)))
        problem(ld, NULL, "flow language \"%s\" is not an ISO 639-3 code",
                f->language ? f->language : "(none)");
    v = json_object_get(fj, "expire_after_minutes");
    if (json_is_integer(v) && json_integer_value(v) > 0)
        f->expire_minutes = json_integer_value(v) > FL_MAX_EXPIRE_MIN
                                ? FL_MAX_EXPIRE_MIN
                                : json_integer_value(v);
    f->loc = json_object_get(fj, "localization");
    if (f->loc != NULL && json_is_null(f->loc))
        f->loc = NULL;
    if (nodes != NULL && !json_is_array(nodes)) {
        problem(ld, NULL, "nodes is not a list");
        return f;
    }
    if (json_array_size(nodes) > FL_MAX_NODES) {
        problem(ld, NULL, "flow has more than %d nodes", FL_MAX_NODES);
        return f;
    }
    if (json_array_size(nodes) > 0) {
        f->nodes = calloc(json_array_size(nodes), sizeof(*f->nodes));
        if (f->nodes == NULL) {
            flow_free(f);
            return NULL;
        }
    }
    json_object_clear(ld->uuids);
    json_array_foreach(nodes, i, v)
    {
        read_node(ld, f, v, i, &f->nodes[i]);
        f->nnodes++;
    }
    for (i = 0; i < f->nnodes; i++) {
        struct fl_node *n = &f->nodes[i];
        char label[256];

        fl_node_label(f, i, label, sizeof(label));
        for (size_t j = 0; j < i; j++)
            if (n->uuid != NULL && f->nodes[j].uuid != NULL &&
                strcmp(n->uuid, f->nodes[j].uuid) == 0) {
                problem(ld, label, "node uuid is used twice");
                break;
            }
        for (size_t j = 0; j < n->nexits; j++) {
            struct fl_exit *e = &n->exits[j];

            if (e->dest == NULL)
                continue;
            e->dest_idx = fl_node_index(f, e->dest);
            if (e->dest_idx < 0)
                problem(ld, label, "exit %s points to missing node %s",
                        e->uuid ? e->uuid : "", e->dest);
        }
    }
    check_localization(ld, f);
    return f;
}

/* Reports a finding of the flow check (check.c). */
static void
check_diag(void *arg, const char *node, bool warn, const char *reason)
{
    struct load *ld = arg;

    if (warn)
        warning(ld, node, reason);
    else
        problem(ld, node, "%s", reason);
}

/* The flow check (check.c) over flows: what children would see. */
static int
check_flows(struct load *ld, struct flow *const *flows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ld->flow = flows[i]->name ? flows[i]->name : flows[i]->uuid;
        if (check_flow(flows[i], check_diag, ld) == SK_ENOMEM)
            return SK_ENOMEM;
    }
    return 0;
}

static bool
is_legacy(const json_t *fj)
{
    return json_object_get(fj, "action_sets") != NULL ||
           json_object_get(fj, "rule_sets") != NULL ||
           (json_object_get(fj, "spec_version") == NULL &&
            json_object_get(fj, "base_language") != NULL);
}

/*
 * A legacy (pre-13) flow is migrated to spec 13.0.0 in place (legacy.c),
 * then read like any other. Returns 0, 1 when it is legacy and cannot be
 * migrated (reported), or SK_ENOMEM.
 */
static int
read_legacy(struct load *ld, json_t *fj)
{
    char err[SK_ERR_LEN] = "";
    int rc;

    if (legacy_is_definition(fj)) {
        rc = flow_migrate(fj, "13.0.0", err);
        if (rc == SK_ENOMEM)
            return rc;
        ld->flow = jstr(fj, "name");
        if (rc == 0)
            return 0;
        problem(ld, NULL, "%s", err);
        return 1;
    }
    if (is_legacy(fj)) {
        problem(ld, NULL,
                "legacy flow definition (spec before 13) without "
                "action_sets or rule_sets: nothing to migrate");
        return 1;
    }
    return 0;
}

struct flow_set *
flow_set_new(void)
{
    struct flow_set *set = calloc(1, sizeof(*set));

    if (set != NULL && ((set->fields = json_object()) == NULL ||
                        (set->globals = json_object()) == NULL)) {
        json_decref(set->fields);
        free(set);
        return NULL;
    }
    return set;
}

static void
trigger_clear(struct fl_trigger *t)
{
    free(t->keyword);
    free(t->flow_ref);
}

void
flow_set_free(struct flow_set *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->n; i++)
        flow_free(set->flows[i]);
    for (size_t i = 0; i < set->ntrig; i++)
        trigger_clear(&set->trig[i]);
    free(set->flows);
    free(set->trig);
    json_decref(set->fields);
    json_decref(set->globals);
    free(set);
}

static const struct flow *
find_in(struct flow *const *flows, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (flows[i]->uuid != NULL && strcmp(flows[i]->uuid, id) == 0)
            return flows[i];
    for (size_t i = 0; i < n; i++)
        if (flows[i]->name != NULL && strcasecmp(flows[i]->name, id) == 0)
            return flows[i];
    return NULL;
}

/* Adds a keyword trigger to the pending list; returns SK_ENOMEM or 0. */
static int
add_trigger(struct fl_trigger **trig, size_t *n, size_t *cap,
            const char *keyword, bool only, const char *ref)
{
    struct fl_trigger *t;

    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        struct fl_trigger *nt = realloc(*trig, ncap * sizeof(*nt));

        if (nt == NULL)
            return SK_ENOMEM;
        *trig = nt;
        *cap = ncap;
    }
    t = &(*trig)[*n];
    memset(t, 0, sizeof(*t));
    t->keyword = text_fold(keyword);
    t->flow_ref = strdup(ref);
    t->only = only;
    if (t->keyword == NULL || t->flow_ref == NULL) {
        trigger_clear(t);
        return SK_ENOMEM;
    }
    (*n)++;
    return 0;
}

static int
read_triggers(struct load *ld, const json_t *triggers, struct fl_trigger **trig,
              size_t *n, size_t *cap)
{
    const json_t *t;
    size_t i;

    ld->flow = NULL;
    json_array_foreach(triggers, i, t)
    {
        const char *type = jstr(t, "trigger_type");
        const char *match = jstr(t, "match_type");
        const json_t *fr = json_object_get(t, "flow");
        const char *ref = jstr_set(fr, "uuid");
        const json_t *kws = json_object_get(t, "keywords");
        bool only = match != NULL && strcmp(match, "O") == 0;
        size_t j;
        const json_t *k;
        int rc;

        if (type == NULL || strcmp(type, "K") != 0)
            continue; /* only keyword triggers start flows here */
        if (ref == NULL)
            ref = jstr_set(fr, "name");
        if (ref == NULL) {
            problem(ld, NULL, "keyword trigger %zu names no flow", i);
            continue;
        }
        if (jstr_set(t, "keyword") != NULL) {
            rc = add_trigger(trig, n, cap, jstr(t, "keyword"), only, ref);
            if (rc != 0)
                return rc;
        }
        json_array_foreach(kws, j, k)
        {
            if (json_string_length(k) == 0)
                continue;
            rc = add_trigger(trig, n, cap, json_string_value(k), only, ref);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/*
 * Notes contact field key (name, type) as declared in fields unless it is
 * there already. Returns 0 or SK_ENOMEM.
 */
static int
declare_field(json_t *fields, const char *key, const char *name,
              const char *type)
{
    char *snaked = expr_snake(key);
    int rc = 0;

    if (snaked == NULL)
        return SK_ENOMEM;
    if (snaked[0] != '\0' && json_object_get(fields, snaked) == NULL &&
        json_object_set_new(fields, snaked,
                            json_pack("{s:s,s:s}", "name",
                                      name && name[0] ? name : key, "type",
                                      type && type[0] ? type : "text")) != 0)
        rc = SK_ENOMEM;
    free(snaked);
    return rc;
}

/*
 * The contact fields an export declares ("fields": [{key, name, type}]) and
 * those its set_contact_field actions name: the workspace's fields, which
 * read as empty while a contact has no value for them. Into fields.
 */
static int
read_fields(struct load *ld, const json_t *list, struct flow *const *flows,
            size_t nflows, json_t *fields)
{
    const json_t *fd;
    size_t i;

    ld->flow = NULL;
    if (list != NULL && !json_is_array(list) && !json_is_null(list))
        problem(ld, NULL, "\"fields\" is not a list");
    json_array_foreach(list, i, fd)
    {
        if (jstr_set(fd, "key") == NULL) {
            problem(ld, NULL, "field %zu has no key", i);
            continue;
        }
        if (declare_field(fields, jstr(fd, "key"), jstr(fd, "name"),
                          jstr(fd, "type")) != 0)
            return SK_ENOMEM;
    }
    for (i = 0; i < nflows; i++) {
        const struct flow *f = flows[i];

        for (size_t j = 0; j < f->nnodes; j++) {
            const struct fl_node *n = &f->nodes[j];

            for (size_t k = 0; k < n->nactions; k++) {
                const json_t *ref;

                if (n->actions[k].type != FA_SET_CONTACT_FIELD)
                    continue;
                ref = json_object_get(n->actions[k].json, "field");
                if (jstr_set(ref, "key") != NULL &&
                    declare_field(fields, jstr(ref, "key"), jstr(ref, "name"),
                                  NULL) != 0)
                    return SK_ENOMEM;
            }
        }
    }
    return 0;
}

/*
 * The workspace globals an export lists ("globals": [{key, name, value}],
 * as goflow's @globals.key), added to those of the set into a new object
 * *out (key -> value); a key the set has already keeps its value (set by
 * the operator, or by an earlier file). Returns 0 or SK_ENOMEM.
 */
static int
read_globals(struct load *ld, const json_t *list, const json_t *have,
             json_t **out)
{
    const json_t *g;
    size_t i;

    if ((*out = json_deep_copy(have)) == NULL)
        return SK_ENOMEM;
    ld->flow = NULL;
    if (list != NULL && !json_is_array(list) && !json_is_null(list))
        problem(ld, NULL, "\"globals\" is not a list");
    json_array_foreach(list, i, g)
    {
        const char *key = jstr(g, "key");
        const json_t *v = json_object_get(g, "value");
        char *snaked;

        if (key == NULL || key[0] == '\0' ||
            (v != NULL && !json_is_string(v))) {
            problem(ld, NULL,
                    "global %zu has no key or a value that is not "
                    "text",
                    i);
            continue;
        }
        if ((snaked = expr_snake(key)) == NULL)
            return SK_ENOMEM;
        if (strcmp(snaked, key) != 0)
            problem(ld, NULL,
                    "global \"%s\": a key is lower case letters, "
                    "digits and _",
                    key);
        free(snaked);
        if (json_object_get(*out, key) == NULL && /* the first value wins */
            json_object_set_new(
                *out, key, json_string(v ? json_string_value(v) : "")) != 0)
            return SK_ENOMEM;
    }
    return 0;
}

/*
 * Moves the flows, triggers and fields just read into set: both arrays
 * grow first so nothing can fail half way. On success the counts are 0
 * and *fields NULL (set owns them); on SK_ENOMEM set is unchanged.
 */
static int
set_take(struct flow_set *set, struct flow **flows, size_t *nflows_p,
         struct fl_trigger *trig, size_t *ntrig_p, json_t **fields_p)
{
    size_t nflows = *nflows_p, ntrig = *ntrig_p;

    if (set->n + nflows > set->cap) {
        size_t ncap = (set->n + nflows) * 2;
        struct flow **nf = realloc(set->flows, ncap * sizeof(*nf));

        if (nf == NULL)
            return SK_ENOMEM;
        set->flows = nf;
        set->cap = ncap;
    }
    if (set->ntrig + ntrig > set->trigcap) {
        size_t ncap = (set->ntrig + ntrig) * 2;
        struct fl_trigger *nt = realloc(set->trig, ncap * sizeof(*nt));

        if (nt == NULL)
            return SK_ENOMEM;
        set->trig = nt;
        set->trigcap = ncap;
    }
    /* set->flows is still NULL when nothing was ever added */
    if (nflows > 0)
        memcpy(set->flows + set->n, flows, nflows * sizeof(*flows));
    set->n += nflows;
    *nflows_p = 0;
    if (ntrig > 0)
        memcpy(set->trig + set->ntrig, trig, ntrig * sizeof(*trig));
    set->ntrig += ntrig;
    *ntrig_p = 0;
    json_decref(set->fields);
    set->fields = *fields_p;
    *fields_p = NULL;
    return 0;
}

int
flow_set_add_json(struct flow_set *set, const char *text, size_t len,
                  flow_diag_fn diag, void *arg)
{
    struct load ld = {.diag = diag, .arg = arg};
    struct flow **flows = NULL;
    struct fl_trigger *trig = NULL;
    size_t nflows = 0, ntrig = 0, trigcap = 0, i;
    json_error_t jerr;
    json_t *root, *list, *fj, *fields = NULL, *fields_list = NULL;
    json_t *globals = NULL;
    int rc = 0;

    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    ld.uuids = json_object();
    if (root == NULL || ld.uuids == NULL) {
        if (root != NULL || ld.uuids == NULL)
            rc = SK_ENOMEM;
        else
            problem(&ld, NULL, "invalid JSON at line %d: %s", jerr.line,
                    jerr.text);
        goto done;
    }
    if (!json_is_object(root)) {
        problem(&ld, NULL, "not a flow definition or export");
        goto done;
    }
    list = json_object_get(root, "flows");
    fields_list = json_incref(json_object_get(root, "fields"));
    if (list == NULL) {
        list = json_pack("[O]", root);
        if (list == NULL) {
            rc = SK_ENOMEM;
            goto done;
        }
        json_decref(root);
        root = list;
    } else if (!json_is_array(list)) {
        problem(&ld, NULL, "\"flows\" is not a list");
        goto done;
    } else if ((rc = legacy_export_ids(root)) != 0) {
        goto done; /* old exports name flows by id (legacy.c) */
    }
    flows = calloc(json_array_size(list) + 1, sizeof(*flows));
    if (flows == NULL) {
        rc = SK_ENOMEM;
        goto done;
    }
    json_array_foreach(list, i, fj)
    {
        struct flow *f;

        ld.flow = jstr(fj, "name");
        if (!json_is_object(fj)) {
            problem(&ld, NULL, "flow %zu is not an object", i);
            continue;
        }
        if ((rc = read_legacy(&ld, fj)) != 0) {
            if (rc == SK_ENOMEM)
                goto done;
            rc = 0;
            continue;
        }
        f = read_flow(&ld, fj);
        if (f == NULL) {
            rc = SK_ENOMEM;
            goto done;
        }
        flows[nflows++] = f;
        if (f->uuid != NULL &&
            (find_in(set->flows, set->n, f->uuid) != NULL ||
             (nflows > 1 && find_in(flows, nflows - 1, f->uuid) != NULL)))
            problem(&ld, NULL, "flow uuid %s is already loaded", f->uuid);
    }
    if (json_is_array(json_object_get(root, "triggers"))) {
        rc = read_triggers(&ld, json_object_get(root, "triggers"), &trig,
                           &ntrig, &trigcap);
        if (rc != 0)
            goto done;
    }
    fields = json_deep_copy(set->fields);
    if (fields == NULL) {
        rc = SK_ENOMEM;
        goto done;
    }
    rc = read_fields(&ld, list == root ? NULL : fields_list, flows, nflows,
                     fields);
    if (rc == 0)
        rc = read_globals(&ld, json_object_get(root, "globals"), set->globals,
                          &globals);
    if (rc != 0)
        goto done;
    if ((rc = check_flows(&ld, flows, nflows)) != 0)
        goto done;
    if (ld.problems > 0) {
        rc = SK_EINVAL;
        goto done;
    }
    rc = set_take(set, flows, &nflows, trig, &ntrig, &fields);
    if (rc == 0) {
        json_decref(set->globals);
        set->globals = globals;
        globals = NULL;
    }
done:
    if (ld.problems > 0 && rc == 0)
        rc = SK_EINVAL;
    for (i = 0; i < nflows; i++)
        flow_free(flows[i]);
    for (i = 0; i < ntrig; i++)
        trigger_clear(&trig[i]);
    free(flows);
    free(trig);
    json_decref(fields);
    json_decref(globals);
    json_decref(fields_list);
    json_decref(ld.uuids);
    json_decref(root);
    return rc;
}

int
flow_set_link(struct flow_set *set, flow_diag_fn diag, void *arg)
{
    struct load ld = {.diag = diag, .arg = arg};

    for (size_t i = 0; i < set->n; i++) {
        const struct flow *f = set->flows[i];

        int crc;

        ld.flow = f->name;
        crc = check_fields(f, set->fields, set->globals, check_diag, &ld);
        if (crc == SK_ENOMEM)
            return SK_ENOMEM;
        for (size_t j = 0; j < f->nnodes; j++) {
            const struct fl_node *n = &f->nodes[j];
            char label[256];

            fl_node_label(f, j, label, sizeof(label));
            for (size_t k = 0; k < n->nactions; k++) {
                const json_t *ref;
                const struct flow *child;

                if (n->actions[k].type != FA_ENTER_FLOW)
                    continue;
                ref = json_object_get(n->actions[k].json, "flow");
                child = find_in(set->flows, set->n, jstr(ref, "uuid"));
                if (child == NULL)
                    problem(&ld, label,
                            "enter_flow names missing flow "
                            "%s (%s)",
                            jstr(ref, "uuid"),
                            jstr(ref, "name") ? jstr(ref, "name") : "");
                else if (strcmp(child->type, f->type) != 0)
                    problem(&ld, label,
                            "enter_flow from a %s flow into "
                            "%s flow \"%s\"",
                            f->type, child->type, child->name);
            }
        }
    }
    ld.flow = NULL;
    for (size_t i = 0; i < set->ntrig; i++) {
        struct fl_trigger *t = &set->trig[i];

        t->flow = find_in(set->flows, set->n, t->flow_ref);
        if (t->flow == NULL)
            problem(&ld, NULL,
                    "keyword trigger \"%s\" names missing flow "
                    "%s",
                    t->keyword, t->flow_ref);
    }
    return ld.problems > 0 ? SK_EINVAL : 0;
}

void
flow_set_each_field(const struct flow_set *set,
                    void (*fn)(void *arg, const char *key, const char *name,
                               const char *type),
                    void *arg)
{
    const char *key;
    json_t *v;

    json_object_foreach(set->fields, key, v)
    {
        fn(arg, key, jstr(v, "name"), jstr(v, "type"));
    }
}

int
flow_set_set_global(struct flow_set *set, const char *key, const char *value)
{
    if (key == NULL || key[0] == '\0')
        return SK_EINVAL;
    return json_object_set_new(set->globals, key,
                               json_string(value ? value : "")) == 0
               ? 0
               : SK_ENOMEM;
}

const char *
flow_set_global(const struct flow_set *set, const char *key)
{
    return json_string_value(json_object_get(set->globals, key));
}

size_t
flow_set_count(const struct flow_set *set)
{
    return set->n;
}

const struct flow *
flow_set_at(const struct flow_set *set, size_t i)
{
    return i < set->n ? set->flows[i] : NULL;
}

const struct flow *
flow_set_find(const struct flow_set *set, const char *id)
{
    if (set == NULL || id == NULL)
        return NULL;
    return find_in(set->flows, set->n, id);
}

const struct flow *
flow_set_match_keyword(const struct flow_set *set, const char *text)
{
    const struct flow *found = NULL;
    char **words;
    char *first;
    size_t n = 0;

    if (set == NULL || text == NULL || set->ntrig == 0)
        return NULL;
    words = text_words(text, &n);
    if (words == NULL || n == 0) {
        text_words_free(words);
        return NULL;
    }
    first = text_fold(words[0]);
    for (size_t i = 0; first != NULL && i < set->ntrig; i++) {
        const struct fl_trigger *t = &set->trig[i];
        const struct flow *f = t->flow;

        if (strcmp(t->keyword, first) != 0 || (t->only && n != 1))
            continue;
        if (f == NULL) /* not linked yet: resolve now */
            f = find_in(set->flows, set->n, t->flow_ref);
        if (f != NULL) {
            found = f;
            break;
        }
    }
    free(first);
    text_words_free(words);
    return found;
}

const char *
flow_set_keyword_at(const struct flow_set *set, size_t i)
{
    if (set == NULL || i >= set->ntrig)
        return NULL;
    return set->trig[i].keyword;
}

const struct flow *
flow_set_keyword_flow_at(const struct flow_set *set, size_t i)
{
    const struct fl_trigger *t;

    if (set == NULL || i >= set->ntrig)
        return NULL;
    t = &set->trig[i];
    return t->flow != NULL ? t->flow : find_in(set->flows, set->n, t->flow_ref);
}

size_t
flow_node_count(const struct flow *f)
{
    return f->nnodes;
}

const char *
flow_name(const struct flow *f)
{
    return f->name;
}

const char *
flow_uuid(const struct flow *f)
{
    return f->uuid;
}

const char *
flow_type(const struct flow *f)
{
    return f->type;
}

int64_t
flow_revision(const struct flow *f)
{
    json_int_t v = json_integer_value(json_object_get(f->def, "revision"));

    return v > 0 ? (int64_t)v : 0;
}

void
flow_each_message(const struct flow *f,
                  void (*fn)(void *arg, const char *node, const char *lang,
                             const char *text),
                  void *arg)
{
    for (size_t i = 0; i < f->nnodes; i++) {
        const struct fl_node *n = &f->nodes[i];
        char label[160]; /* as the editor shows the node, uuid last */

        fl_node_label(f, i, label, sizeof(label));
        for (size_t j = 0; j < n->nactions; j++) {
            const struct fl_action *a = &n->actions[j];
            const char *lang;
            const json_t *items;

            if (a->type != FA_SEND_MSG && a->type != FA_SAY_MSG)
                continue;
            fn(arg, label, f->language, jstr(a->json, "text"));
            if (f->loc == NULL || a->uuid == NULL)
                continue;
            json_object_foreach((json_t *)f->loc, lang, items)
            {
                const json_t *t = fl_localized(f, lang, a->uuid, "text");

                (void)items;
                if (json_string_length(json_array_get(t, 0)) > 0)
                    fn(arg, label, lang,
                       json_string_value(json_array_get(t, 0)));
            }
        }
    }
}
