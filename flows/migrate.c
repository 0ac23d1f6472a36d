/*
 * migrate.c - spec version migrations: a flow definition written for an
 * older 13.x or 14.x spec is brought up to FLOW_SPEC_VERSION in its JSON,
 * one step per spec version, the same steps goflow applies before it
 * reads a flow (a legacy pre-13 one is made 13.0.0 first, by legacy.c).
 * Validation (definition.c) then only sees the current spec.
 *
 * Every step works on the parsed JSON in place and sets spec_version to
 * its own version. A step also rewrites parts this engine does not run
 * (webhook, ticket, airtime and template parts), so that a flow is
 * migrated whole and validation rejects those parts by their current
 * names. Where goflow makes a new random uuid (send_msg templating), this
 * engine derives one from the action's uuid: no clock, no randomness.
 *
 * Templates are rewritten by a small scanner that knows the template
 * syntax (@@, @path, @(expression) with string literals) and changes only
 * context references: "webhook" (13.3.0) and "results.<name>" lookups
 * (13.6.1). Text outside references, spacing and case are kept as they
 * were. Pure: no I/O, no globals.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "expr.h"
#include "flow.h"
#include "legacy.h"
#include "utf8.h"

#define MAX_RESULT_NAME   64 /* goflow's limits on names (13.6.0) */
#define MAX_CATEGORY_NAME 36
#define MAX_QUICK_REPLIES 10 /* 14.1.0 */

struct ver {
    int major, minor, patch;
};

struct mig {
    json_t *flow;
    bool oom;
};

typedef void (*step_fn)(struct mig *m);

/* --- small helpers ------------------------------------------------------ */

static const char *
jstr(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static bool
type_is(const json_t *obj, const char *type)
{
    const char *t = jstr(obj, "type");

    return t != NULL && strcmp(t, type) == 0;
}

static void
set_new(struct mig *m, json_t *obj, const char *key, json_t *v)
{
    if (v == NULL || json_object_set_new(obj, key, v) != 0)
        m->oom = true;
}

/* Iterates over the nodes of the flow (an array). */
#define nodes_of(m) json_object_get((m)->flow, "nodes")

/* The node's router when it is an object, else NULL. */
static json_t *
router_of(json_t *node)
{
    json_t *r = json_object_get(node, "router");

    return json_is_object(r) ? r : NULL;
}

/*
 * Calls fn for every action object of every node (and the node), in
 * order.
 */
static void
each_action(struct mig *m, void (*fn)(struct mig *, json_t *node, json_t *a))
{
    json_t *nodes = json_object_get(m->flow, "nodes");
    json_t *node, *a;
    size_t i, j;

    json_array_foreach(nodes, i, node)
    {
        if (!json_is_object(node))
            continue;
        json_array_foreach(json_object_get(node, "actions"), j, a)
        {
            if (json_is_object(a))
                fn(m, node, a);
        }
    }
}

/* The only action of a node when it has exactly one, else NULL. */
static json_t *
single_action(json_t *node)
{
    json_t *actions = json_object_get(node, "actions");

    if (json_array_size(actions) != 1 ||
        !json_is_object(json_array_get(actions, 0)))
        return NULL;
    return json_array_get(actions, 0);
}

static json_t *
localization(struct mig *m)
{
    json_t *loc = json_object_get(m->flow, "localization");

    return json_is_object(loc) ? loc : NULL;
}

/* The translation of item's prop in one language's object, or NULL. */
static json_t *
trans_get(json_t *lang_obj, const char *item, const char *prop)
{
    json_t *it = json_object_get(lang_obj, item);
    json_t *v = json_object_get(it, prop);

    return json_is_array(v) ? v : NULL;
}

/* Sets a translation (steals v), creating the item object if needed. */
static void
trans_set(struct mig *m, json_t *lang_obj, const char *item, const char *prop,
          json_t *v)
{
    json_t *it = json_object_get(lang_obj, item);

    if (!json_is_object(it)) {
        it = json_object();
        if (it == NULL || json_object_set_new(lang_obj, item, it) != 0) {
            json_decref(v);
            m->oom = true;
            return;
        }
    }
    set_new(m, it, prop, v);
}

/* Deletes a translation, and the item when nothing is left of it. */
static void
trans_del(json_t *lang_obj, const char *item, const char *prop)
{
    json_t *it = json_object_get(lang_obj, item);

    if (!json_is_object(it))
        return;
    json_object_del(it, prop);
    if (json_object_size(it) == 0)
        json_object_del(lang_obj, item);
}

/*
 * s cut to max characters and trimmed of spaces at both ends, as
 * goflow's TrimSpace(Truncate(s, max)). malloc'd, NULL when out of memory.
 */
static char *
truncate_trim(const char *s, size_t max)
{
    size_t end = sk_utf8_prefix(s, strlen(s), max), start = 0;
    char *out;

    while (start < end && isspace((unsigned char)s[start]))
        start++;
    while (end > start && isspace((unsigned char)s[end - 1]))
        end--;
    out = malloc(end - start + 1);
    if (out != NULL) {
        memcpy(out, s + start, end - start);
        out[end - start] = '\0';
    }
    return out;
}

/* Replaces obj.key, a string longer than max bytes, by truncate_trim(). */
static void
truncate_member(struct mig *m, json_t *obj, const char *key, size_t max)
{
    const char *s = jstr(obj, key);
    char *t;

    if (s == NULL || strlen(s) <= max)
        return;
    t = truncate_trim(s, max);
    if (t == NULL) {
        m->oom = true;
        return;
    }
    set_new(m, obj, key, json_string(t));
    free(t);
}

/*
 * A version 4 uuid derived from seed and salt (FNV-1a), standing in for
 * the random one goflow makes, so that loading is repeatable.
 */
static json_t *
derived_uuid(const char *seed, const char *salt)
{
    uint64_t h[2] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
    unsigned char b[16];
    char out[37];
    const char *parts[2] = {seed ? seed : "", salt};

    for (int k = 0; k < 2; k++)
        for (int p = 0; p < 2; p++)
            for (const char *c = parts[p]; *c; c++) {
                h[k] ^= (unsigned char)*c;
                h[k] *= 0x100000001b3ULL + (uint64_t)k * 2;
            }
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(h[0] >> (i * 8));
        b[8 + i] = (unsigned char)(h[1] >> (i * 8));
    }
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    snprintf(out, sizeof(out),
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
    return json_string(out);
}

/* --- template rewriting --------------------------------------------------- */

enum rw_kind {
    RW_WEBHOOK, /* 13.3.0: webhook -> webhook.json */
    RW_RESULTS  /* 13.6.1: results.<name> cut to 64 characters */
};

struct rw {
    enum rw_kind kind;
    const json_t *keys; /* result keys of the flow (RW_RESULTS) */
};

static bool
name_start(char c)
{
    return isalpha((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

static bool
name_char(char c)
{
    return name_start(c) || isdigit((unsigned char)c);
}

/* Length of the string literal at s[0] == '"' (up to n), quotes included. */
static size_t
string_literal(const char *s, size_t n)
{
    size_t i = 1;

    while (i < n && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < n)
            i++;
        i++;
    }
    return i < n ? i + 1 : n;
}

/*
 * A results lookup cut to MAX_RESULT_NAME characters. When the cut leaves
 * a trailing "_" that no result key has, but the key without it exists
 * (the "_" came from a space that the result name lost when it was cut),
 * the "_" goes too.
 */
static void
add_result_lookup(struct sk_buf *o, const struct rw *rw, const char *name,
                  size_t n)
{
    size_t cut = sk_utf8_prefix(name, n, MAX_RESULT_NAME);
    char key[256];

    if (cut < n && cut < sizeof(key) && cut > 0 && name[cut - 1] == '_' &&
        rw->keys != NULL) {
        size_t k = cut;

        for (size_t i = 0; i < cut; i++)
            key[i] = (char)tolower((unsigned char)name[i]);
        key[cut] = '\0';
        if (json_object_get(rw->keys, key) == NULL) {
            while (k > 0 && key[k - 1] == '_')
                key[--k] = '\0';
            if (k > 0 && json_object_get(rw->keys, key) != NULL)
                cut = k;
        }
    }
    sk_buf_add(o, name, cut);
}

/* Rewrites one expression (the inside of @(...) or an @path) into o. */
static void
rewrite_expr(struct sk_buf *o, const char *s, size_t n, const struct rw *rw)
{
    char prev = '\0'; /* the last character that is not a space */
    size_t i = 0;

    while (i < n) {
        size_t j = i, k;
        bool is_ref;

        if (s[i] == '"') {
            j = i + string_literal(s + i, n - i);
            sk_buf_add(o, s + i, j - i);
            prev = '"';
            i = j;
            continue;
        }
        if (isdigit((unsigned char)s[i])) {
            while (j < n && (name_char(s[j]) || s[j] == '.'))
                j++;
            sk_buf_add(o, s + i, j - i);
            prev = s[j - 1];
            i = j;
            continue;
        }
        if (!name_start(s[i])) {
            sk_buf_add(o, s + i, 1);
            if (!isspace((unsigned char)s[i]))
                prev = s[i];
            i++;
            continue;
        }
        while (j < n && name_char(s[j]))
            j++;
        sk_buf_add(o, s + i, j - i);
        /* a context reference: not after a dot, not a function's name */
        for (k = j; k < n && isspace((unsigned char)s[k]); k++)
            ;
        is_ref = prev != '.' && (k >= n || s[k] != '(');
        if (is_ref && rw->kind == RW_WEBHOOK && j - i == 7 &&
            strncasecmp(s + i, "webhook", 7) == 0) {
            sk_buf_add(o, ".json", 5);
        } else if (is_ref && rw->kind == RW_RESULTS && j - i == 7 &&
                   strncasecmp(s + i, "results", 7) == 0 && j + 1 < n &&
                   s[j] == '.' && name_char(s[j + 1])) {
            for (k = j + 1; k < n && name_char(s[k]); k++)
                ;
            sk_buf_add(o, ".", 1);
            add_result_lookup(o, rw, s + j + 1, k - j - 1);
            j = k;
        }
        prev = s[j - 1];
        i = j;
    }
}

/*
 * The template s with its references rewritten, malloc'd; NULL when out
 * of memory.
 */
static char *
rewrite_template(const char *s, const struct rw *rw)
{
    struct sk_buf o = {0};
    size_t n = strlen(s), i = 0;

    sk_buf_add(&o, "", 0);
    while (i < n) {
        size_t j;

        if (s[i] != '@' || i + 1 >= n) {
            sk_buf_add(&o, s + i, 1);
            i++;
            continue;
        }
        if (s[i + 1] == '@') {
            sk_buf_add(&o, "@@", 2);
            i += 2;
            continue;
        }
        if (s[i + 1] == '(') {
            int depth = 0;

            for (j = i + 1; j < n; j++) {
                if (s[j] == '"') {
                    j += string_literal(s + j, n - j) - 1;
                    continue;
                }
                if (s[j] == '(')
                    depth++;
                else if (s[j] == ')' && --depth == 0)
                    break;
            }
            if (j >= n) { /* unclosed: left as it is */
                sk_buf_add(&o, s + i, n - i);
                break;
            }
            sk_buf_add(&o, "@(", 2);
            rewrite_expr(&o, s + i + 2, j - i - 2, rw);
            sk_buf_add(&o, ")", 1);
            i = j + 1;
            continue;
        }
        if (!name_start(s[i + 1])) {
            sk_buf_add(&o, s + i, 1);
            i++;
            continue;
        }
        for (j = i + 1; j < n && (name_char(s[j]) || s[j] == '.'); j++)
            ;
        while (s[j - 1] == '.') /* a sentence's full stop is not a lookup */
            j--;
        sk_buf_add(&o, "@", 1);
        rewrite_expr(&o, s + i + 1, j - i - 1, rw);
        i = j;
    }
    return sk_buf_take(&o);
}

/* Rewrites v (a string, or an array whose strings are rewritten) in place
 * of container.key. */
static void
rewrite_value(struct mig *m, json_t *container, const char *key,
              const struct rw *rw)
{
    json_t *v = json_object_get(container, key);
    json_t *s;
    size_t i;

    if (json_is_string(v)) {
        char *t = rewrite_template(json_string_value(v), rw);

        if (t == NULL)
            m->oom = true;
        else if (strcmp(t, json_string_value(v)) != 0)
            set_new(m, container, key, json_string(t));
        free(t);
        return;
    }
    json_array_foreach(v, i, s)
    {
        char *t;

        if (!json_is_string(s))
            continue;
        t = rewrite_template(json_string_value(s), rw);
        if (t == NULL)
            m->oom = true;
        else if (strcmp(t, json_string_value(s)) != 0 &&
                 json_array_set_new(v, i, json_string(t)) != 0)
            m->oom = true;
        free(t);
    }
}

/*
 * Rewrites container.key and, when the container has a uuid, the
 * translations of that uuid's key in every language.
 */
static void
rewrite_member(struct mig *m, json_t *container, const char *key,
               const struct rw *rw)
{
    const char *uuid = jstr(container, "uuid");
    json_t *loc = localization(m);
    const char *lang;
    json_t *lo;

    if (uuid != NULL && loc != NULL) {
        json_object_foreach(loc, lang, lo)
        {
            json_t *it = json_object_get(lo, uuid);

            if (json_is_array(json_object_get(it, key)))
                rewrite_value(m, it, key, rw);
        }
    }
    if (json_object_get(container, key) != NULL)
        rewrite_value(m, container, key, rw);
}

/*
 * Where each action type holds templates (goflow's template catalog):
 * "key" is a string or a list of strings, "key.*" every value of an
 * object, "key[].sub" the sub member of every object in a list.
 */
static const struct {
    const char *type;
    const char *paths[5];
} template_paths[] = {
    {"add_contact_groups", {"groups[].name_match"}},
    {"add_contact_urn", {"path"}},
    {"add_input_labels", {"labels[].name_match"}},
    {"call_classifier", {"input"}},
    {"call_llm", {"input", "instructions"}},
    {"call_webhook", {"body", "headers.*", "url"}},
    {"open_ticket", {"assignee.email_match", "body", "note"}},
    {"play_audio", {"audio_url"}},
    {"remove_contact_groups", {"groups[].name_match"}},
    {"say_msg", {"text"}},
    {"send_broadcast",
     {"attachments", "contact_query", "groups[].name_match", "legacy_vars",
      "quick_replies"}},
    {"send_broadcast", {"text"}},
    {"send_email", {"addresses", "body", "subject"}},
    {"send_msg",
     {"attachments", "quick_replies", "template_variables", "text"}},
    {"set_contact_field", {"value"}},
    {"set_contact_language", {"language"}},
    {"set_contact_name", {"name"}},
    {"set_contact_timezone", {"timezone"}},
    {"set_run_local", {"value"}},
    {"set_run_result", {"value"}},
    {"start_session", {"contact_query", "groups[].name_match", "legacy_vars"}},
};

static void
rewrite_path(struct mig *m, json_t *obj, const char *path, const struct rw *rw)
{
    const char *dot = strchr(path, '.');
    char head[64];
    size_t hl = dot ? (size_t)(dot - path) : strlen(path);
    json_t *v, *item;
    const char *k;
    size_t i;

    if (hl >= sizeof(head))
        return;
    memcpy(head, path, hl);
    head[hl] = '\0';
    if (dot == NULL) {
        rewrite_member(m, obj, head, rw);
        return;
    }
    if (hl > 2 && strcmp(head + hl - 2, "[]") == 0) {
        head[hl - 2] = '\0';
        json_array_foreach(json_object_get(obj, head), i, item)
        {
            if (json_is_object(item))
                rewrite_path(m, item, dot + 1, rw);
        }
        return;
    }
    v = json_object_get(obj, head);
    if (!json_is_object(v))
        return;
    if (strcmp(dot + 1, "*") == 0) {
        json_object_foreach(v, k, item)
        {
            (void)item;
            rewrite_member(m, v, k, rw);
        }
        return;
    }
    rewrite_path(m, v, dot + 1, rw);
}

static void
rewrite_templates(struct mig *m, const struct rw *rw)
{
    json_t *node, *a, *c;
    size_t n, i, j;

    json_array_foreach(nodes_of(m), n, node)
    {
        json_t *router = router_of(node);

        json_array_foreach(json_object_get(node, "actions"), i, a)
        {
            const char *type = jstr(a, "type");

            if (!json_is_object(a) || type == NULL)
                continue;
            for (j = 0; j < sizeof(template_paths) / sizeof(*template_paths);
                 j++) {
                if (strcmp(template_paths[j].type, type) != 0)
                    continue;
                for (size_t p = 0; p < 5 && template_paths[j].paths[p]; p++)
                    rewrite_path(m, a, template_paths[j].paths[p], rw);
            }
        }
        if (router == NULL ||
            !(type_is(router, "switch") || type_is(router, "random")))
            continue;
        rewrite_member(m, router, "operand", rw);
        json_array_foreach(json_object_get(router, "cases"), i, c)
        {
            if (json_is_object(c))
                rewrite_member(m, c, "arguments", rw);
        }
    }
}

/* --- the steps ---------------------------------------------------------- */

/* 13.1.0: send_msg templating gets a uuid. */
static void
add_templating_uuid(struct mig *m, json_t *node, json_t *a)
{
    json_t *t = json_object_get(a, "templating");

    (void)node;
    if (type_is(a, "send_msg") && json_is_object(t))
        set_new(m, t, "uuid", derived_uuid(jstr(a, "uuid"), "templating"));
}

static void
step_13_1_0(struct mig *m)
{
    each_action(m, add_templating_uuid);
}

/* 13.2.0: a flow language that is not a 3-letter code becomes "und". */
static void
step_13_2_0(struct mig *m)
{
    const char *lang = jstr(m->flow, "language");
    json_t *loc = localization(m);

    if (lang != NULL && strlen(lang) == 3)
        return;
    set_new(m, m->flow, "language", json_string("und"));
    if (loc != NULL)
        json_object_del(loc, "und");
}

/* 13.3.0: @webhook becomes @webhook.json in every template. */
static void
step_13_3_0(struct mig *m)
{
    struct rw rw = {.kind = RW_WEBHOOK};

    rewrite_templates(m, &rw);
}

/* 13.4.0: templating variables become the params of a "body" component. */
static void
templating_components(struct mig *m, json_t *node, json_t *a)
{
    json_t *t = json_object_get(a, "templating");
    json_t *vars, *comp, *loc = localization(m), *lo, *uuid;
    const char *tuuid, *lang;

    (void)node;
    if (!type_is(a, "send_msg") || !json_is_object(t))
        return;
    tuuid = jstr(t, "uuid");
    uuid = derived_uuid(jstr(a, "uuid"), "body");
    vars = json_object_get(t, "variables");
    vars = json_is_array(vars) ? json_incref(vars) : json_array();
    comp = json_pack("{s:o,s:s,s:o}", "uuid", uuid, "name", "body", "params",
                     vars);
    if (comp == NULL) {
        m->oom = true;
        return;
    }
    if (loc != NULL && tuuid != NULL) {
        json_object_foreach(loc, lang, lo)
        {
            json_t *tv = trans_get(lo, tuuid, "variables");

            if (tv == NULL)
                continue;
            trans_set(m, lo, jstr(comp, "uuid"), "params", json_incref(tv));
            trans_del(lo, tuuid, "variables");
        }
    }
    set_new(m, t, "components", json_pack("[o]", comp));
    json_object_del(t, "uuid");
    json_object_del(t, "variables");
}

static void
step_13_4_0(struct mig *m)
{
    each_action(m, templating_components);
}

/*
 * 13.5.0: the components' params are merged into the action's
 * template_variables, and templating gives way to template.
 */
static void
templating_variables(struct mig *m, json_t *node, json_t *a)
{
    json_t *t = json_object_get(a, "templating");
    json_t *vars, *per_lang, *comp, *loc = localization(m), *lo;
    const char *lang;
    size_t i;

    (void)node;
    if (!type_is(a, "send_msg") || !json_is_object(t))
        return;
    vars = json_array();
    per_lang = json_object(); /* lang -> {"vars": [...], "any": bool} */
    if (vars == NULL || per_lang == NULL)
        goto oom;
    if (loc != NULL)
        json_object_foreach(loc, lang, lo)
        {
            if (json_is_object(lo) &&
                json_object_set_new(
                    per_lang, lang,
                    json_pack("{s:[],s:b}", "vars", "any", 0)) != 0)
                goto oom;
        }
    json_array_foreach(json_object_get(t, "components"), i, comp)
    {
        const char *cuuid = jstr(comp, "uuid");
        json_t *params = json_object_get(comp, "params"), *p, *pl;
        size_t j;

        json_array_foreach(params, j, p)
        {
            if (json_array_append_new(
                    vars, json_string(json_is_string(p) ? json_string_value(p)
                                                        : "")) != 0)
                goto oom;
        }
        json_object_foreach(per_lang, lang, pl)
        {
            json_t *lo2 = json_object_get(loc, lang);
            json_t *tr = cuuid ? trans_get(lo2, cuuid, "params") : NULL;
            json_t *dst = json_object_get(pl, "vars");

            if (tr != NULL) {
                if (json_array_extend(dst, tr) != 0)
                    goto oom;
                set_new(m, pl, "any", json_true());
                trans_del(lo2, cuuid, "params");
            } else {
                json_array_foreach(params, j, p)
                {
                    if (json_array_append_new(
                            dst,
                            json_string(json_is_string(p) ? json_string_value(p)
                                                          : "")) != 0)
                        goto oom;
                }
            }
        }
    }
    if (json_object_get(t, "template") != NULL)
        set_new(m, a, "template", json_incref(json_object_get(t, "template")));
    else
        set_new(m, a, "template", json_null());
    set_new(m, a, "template_variables", json_incref(vars));
    json_object_del(a, "templating");
    if (jstr(a, "uuid") != NULL) {
        json_t *pl;

        json_object_foreach(per_lang, lang, pl)
        {
            if (json_is_true(json_object_get(pl, "any")))
                trans_set(m, json_object_get(loc, lang), jstr(a, "uuid"),
                          "template_variables",
                          json_incref(json_object_get(pl, "vars")));
        }
    }
    json_decref(vars);
    json_decref(per_lang);
    return;
oom:
    m->oom = true;
    json_decref(vars);
    json_decref(per_lang);
}

static void
step_13_5_0(struct mig *m)
{
    each_action(m, templating_variables);
}

/* 13.6.0: result and category names are cut to goflow's limits. */
static void
step_13_6_0(struct mig *m)
{
    size_t idx;
    json_t *node, *a, *c;
    size_t i;

    json_array_foreach(nodes_of(m), idx, node)
    {
        json_t *router = router_of(node);

        json_array_foreach(json_object_get(node, "actions"), i, a)
        {
            if (!json_is_object(a) || !type_is(a, "set_run_result"))
                continue;
            truncate_member(m, a, "name", MAX_RESULT_NAME);
            truncate_member(m, a, "category", MAX_CATEGORY_NAME);
        }
        if (router == NULL)
            continue;
        truncate_member(m, router, "result_name", MAX_RESULT_NAME);
        json_array_foreach(json_object_get(router, "categories"), i, c)
        {
            if (json_is_object(c))
                truncate_member(m, c, "name", MAX_CATEGORY_NAME);
        }
    }
}

/* Notes the snaked key of a result name in keys. */
static void
note_key(struct mig *m, json_t *keys, const char *name)
{
    char *k;

    if (name == NULL || name[0] == '\0')
        return;
    k = expr_snake(name);
    if (k == NULL || json_object_set_new(keys, k, json_true()) != 0)
        m->oom = true;
    free(k);
}

/* 13.6.1: @results lookups are cut to 64 characters, as names were. */
static void
step_13_6_1(struct mig *m)
{
    size_t idx;
    struct rw rw = {.kind = RW_RESULTS};
    json_t *keys = json_object(), *node, *a;
    size_t i;

    if (keys == NULL) {
        m->oom = true;
        return;
    }
    json_array_foreach(nodes_of(m), idx, node)
    {
        json_array_foreach(json_object_get(node, "actions"), i, a)
        {
            if (type_is(a, "set_run_result"))
                note_key(m, keys, jstr(a, "name"));
        }
        note_key(m, keys, jstr(router_of(node), "result_name"));
    }
    rw.keys = keys;
    rewrite_templates(m, &rw);
    json_decref(keys);
}

/*
 * 14.0.0: expire_after_minutes is capped (two weeks for messaging, 15
 * minutes for voice; goflow caps other types to 0), and categories
 * without a name are named "Match".
 */
static void
step_14_0_0(struct mig *m)
{
    size_t idx;
    json_t *exp = json_object_get(m->flow, "expire_after_minutes");
    const char *type = jstr(m->flow, "type");
    json_int_t max = 0;
    json_t *node, *c;
    size_t i;

    if (type != NULL && strcmp(type, "messaging") == 0)
        max = 20160;
    else if (type != NULL && strcmp(type, "voice") == 0)
        max = 15;
    if (json_is_integer(exp) && json_integer_value(exp) > max)
        set_new(m, m->flow, "expire_after_minutes", json_integer(max));
    json_array_foreach(nodes_of(m), idx, node)
    {
        json_array_foreach(json_object_get(router_of(node), "categories"), i, c)
        {
            const char *name = jstr(c, "name");

            if (json_is_object(c) && (name == NULL || name[0] == '\0'))
                set_new(m, c, "name", json_string("Match"));
        }
    }
}

static bool
is_webhook_node(json_t *node)
{
    json_t *a = single_action(node), *r = router_of(node);

    return a != NULL && r != NULL && type_is(r, "switch") &&
           (type_is(a, "call_webhook") || type_is(a, "call_resthook"));
}

/*
 * Makes the router's first case (there is one) the only one, with this
 * type and arguments (stolen), on this operand.
 */
static void
one_case(struct mig *m, json_t *router, const char *type, json_t *args,
         const char *operand)
{
    json_t *case0 =
        json_incref(json_array_get(json_object_get(router, "cases"), 0));

    set_new(m, case0, "type", json_string(type));
    set_new(m, case0, "arguments", args);
    set_new(m, router, "operand", json_string(operand));
    set_new(m, router, "cases", json_pack("[o]", case0));
}

static bool
splits_on_result(json_t *router)
{
    const char *operand = jstr(router, "operand");
    json_t *case0 = json_array_get(json_object_get(router, "cases"), 0);

    return operand != NULL && strncmp(operand, "@results.", 9) == 0 &&
           json_is_object(case0);
}

/*
 * 14.1.0: webhook nodes split on @webhook.status instead of the result,
 * and send_msg keeps at most 10 quick replies.
 */
static void
trim_quick_replies(struct mig *m, json_t *node, json_t *a)
{
    json_t *qr = json_object_get(a, "quick_replies");

    (void)node;
    (void)m;
    if ((type_is(a, "send_msg") || type_is(a, "send_broadcast")) &&
        json_array_size(qr) > MAX_QUICK_REPLIES)
        while (json_array_size(qr) > MAX_QUICK_REPLIES)
            json_array_remove(qr, MAX_QUICK_REPLIES);
}

static void
step_14_1_0(struct mig *m)
{
    size_t idx;
    json_t *node;

    json_array_foreach(nodes_of(m), idx, node)
    {
        json_t *router = router_of(node);

        if (is_webhook_node(node) && splits_on_result(router))
            one_case(m, router, "has_number_between",
                     json_pack("[s,s]", "200", "299"), "@webhook.status");
    }
    each_action(m, trim_quick_replies);
}

/*
 * 14.2.0: open_ticket's body becomes its note; localization languages
 * that are not 3-letter codes are dropped.
 */
static void
ticket_note(struct mig *m, json_t *node, json_t *a)
{
    const char *body = jstr(a, "body");

    (void)node;
    if (type_is(a, "open_ticket") && body != NULL && body[0] != '\0') {
        set_new(m, a, "note", json_incref(json_object_get(a, "body")));
        json_object_del(a, "body");
    }
}

static void
step_14_2_0(struct mig *m)
{
    json_t *loc = localization(m), *lo;
    const char *lang;
    void *tmp;

    each_action(m, ticket_note);
    if (loc == NULL)
        return;
    json_object_foreach_safe(loc, tmp, lang, lo)
    {
        if (strlen(lang) != 3)
            json_object_del(loc, lang);
    }
}

/*
 * 14.3.0: ticket and airtime nodes split on their output local
 * (@locals._new_ticket, @locals._new_transfer), and the result name moves
 * from the action to the router.
 */
static void
step_14_3_0(struct mig *m)
{
    size_t idx;
    json_t *node;

    json_array_foreach(nodes_of(m), idx, node)
    {
        json_t *a = single_action(node), *router = router_of(node);
        const char *operand;

        if (a == NULL || router == NULL || !type_is(router, "switch") ||
            !splits_on_result(router))
            continue;
        if (type_is(a, "open_ticket"))
            operand = "@locals._new_ticket";
        else if (type_is(a, "transfer_airtime"))
            operand = "@locals._new_transfer";
        else
            continue;
        one_case(m, router, "has_text", json_array(), operand);
        if (json_object_get(a, "result_name") != NULL)
            set_new(m, router, "result_name",
                    json_incref(json_object_get(a, "result_name")));
        else
            set_new(m, router, "result_name", json_null());
        json_object_del(a, "result_name");
    }
}

static bool
single_arg_test(const char *type)
{
    static const char *const types[] = {
        "has_only_text", "has_phrase",    "has_only_phrase", "has_any_word",
        "has_all_words", "has_beginning", "has_pattern"};

    for (size_t i = 0; type != NULL && i < sizeof(types) / sizeof(*types); i++)
        if (strcmp(type, types[i]) == 0)
            return true;
    return false;
}

/* The strings of args joined by spaces (non-strings as ""), as a list. */
static json_t *
joined(const json_t *args)
{
    struct sk_buf b = {0};
    const json_t *v;
    size_t i;
    json_t *out;

    sk_buf_add(&b, "", 0);
    json_array_foreach(args, i, v)
    {
        const char *s = json_is_string(v) ? json_string_value(v) : "";

        if (i > 0)
            sk_buf_add(&b, " ", 1);
        sk_buf_add(&b, s, strlen(s));
    }
    out = b.fail ? NULL : json_pack("[s]", b.s);
    free(b.s);
    return out;
}

/*
 * 14.3.1: text tests that take one argument but were saved with several
 * (an editor bug) get them joined by spaces, translations too.
 */
static void
step_14_3_1(struct mig *m)
{
    size_t idx;
    json_t *node, *c, *loc = localization(m), *lo;
    const char *lang;
    size_t i;

    json_array_foreach(nodes_of(m), idx, node)
    {
        json_t *router = router_of(node);

        if (router == NULL || !type_is(router, "switch"))
            continue;
        json_array_foreach(json_object_get(router, "cases"), i, c)
        {
            json_t *args = json_object_get(c, "arguments");
            const char *uuid = jstr(c, "uuid");

            if (!json_is_object(c) || !single_arg_test(jstr(c, "type")))
                continue;
            if (json_is_array(args) && json_array_size(args) > 1)
                set_new(m, c, "arguments", joined(args));
            if (loc == NULL || uuid == NULL)
                continue;
            json_object_foreach(loc, lang, lo)
            {
                json_t *tr = trans_get(lo, uuid, "arguments");

                if (tr != NULL && json_array_size(tr) > 1)
                    trans_set(m, lo, uuid, "arguments", joined(tr));
            }
        }
    }
}

/* 14.4.0: send_msg loses all_urns. */
static void
drop_all_urns(struct mig *m, json_t *node, json_t *a)
{
    (void)m;
    (void)node;
    if (type_is(a, "send_msg"))
        json_object_del(a, "all_urns");
}

static void
step_14_4_0(struct mig *m)
{
    each_action(m, drop_all_urns);
}

/*
 * 14.4.1: webhook and resthook nodes take the shape the editor makes: one
 * has_number_between 200 299 case on @webhook.status, keeping the first
 * case's uuid and category; the cases' localized arguments are dropped.
 */
static void
step_14_4_1(struct mig *m)
{
    json_t *node, *c, *loc = localization(m), *lo, *cases;
    const char *lang;
    size_t idx, i;

    json_array_foreach(nodes_of(m), idx, node)
    {
        json_t *router = router_of(node);

        if (!is_webhook_node(node))
            continue;
        cases = json_incref(json_object_get(router, "cases"));
        if (json_is_object(json_array_get(cases, 0))) {
            one_case(m, router, "has_number_between",
                     json_pack("[s,s]", "200", "299"), "@webhook.status");
            json_array_foreach(cases, i, c)
            {
                const char *uuid = jstr(c, "uuid");

                if (loc == NULL || uuid == NULL)
                    continue;
                json_object_foreach(loc, lang, lo)
                    trans_del(lo, uuid, "arguments");
            }
        }
        json_decref(cases);
    }
}

/*
 * 14.4.2: webhook and resthook nodes split on @(default(webhook.status, 0))
 * so a call that never happened routes to Failure without an error.
 */
static void
step_14_4_2(struct mig *m)
{
    json_t *node;
    size_t idx;

    json_array_foreach(nodes_of(m), idx, node)
    {
        json_t *router = router_of(node);
        const char *operand = jstr(router, "operand");

        if (is_webhook_node(node) && operand != NULL &&
            strcmp(operand, "@webhook.status") == 0)
            set_new(m, router, "operand",
                    json_string("@(default(webhook.status, 0))"));
    }
}

static const struct {
    struct ver v;
    step_fn fn;
} steps[] = {
    {{13, 1, 0}, step_13_1_0}, {{13, 2, 0}, step_13_2_0},
    {{13, 3, 0}, step_13_3_0}, {{13, 4, 0}, step_13_4_0},
    {{13, 5, 0}, step_13_5_0}, {{13, 6, 0}, step_13_6_0},
    {{13, 6, 1}, step_13_6_1}, {{14, 0, 0}, step_14_0_0},
    {{14, 1, 0}, step_14_1_0}, {{14, 2, 0}, step_14_2_0},
    {{14, 3, 0}, step_14_3_0}, {{14, 3, 1}, step_14_3_1},
    {{14, 4, 0}, step_14_4_0}, {{14, 4, 1}, step_14_4_1},
    {{14, 4, 2}, step_14_4_2},
};

/* --- versions and the driver ---------------------------------------------- */

/* Reads "13", "13.1" or "13.1.0" (a "-pre" suffix is ignored). */
static bool
parse_ver(const char *s, struct ver *v)
{
    int *parts[3] = {&v->major, &v->minor, &v->patch};
    int i = 0;

    memset(v, 0, sizeof(*v));
    if (s == NULL)
        return false;
    for (;;) {
        long x = 0;

        if (!isdigit((unsigned char)*s))
            return false;
        while (isdigit((unsigned char)*s)) {
            x = x * 10 + (*s++ - '0');
            if (x > 100000)
                return false;
        }
        *parts[i++] = (int)x;
        if (*s == '\0' || *s == '-' || *s == '+')
            return true;
        if (*s != '.' || i == 3)
            return false;
        s++;
    }
}

static int
ver_cmp(const struct ver *a, const struct ver *b)
{
    if (a->major != b->major)
        return a->major < b->major ? -1 : 1;
    if (a->minor != b->minor)
        return a->minor < b->minor ? -1 : 1;
    if (a->patch != b->patch)
        return a->patch < b->patch ? -1 : 1;
    return 0;
}

int
flow_migrate(json_t *def, const char *to, char err[SK_ERR_LEN])
{
    const char *spec = jstr(def, "spec_version");
    struct ver from, target, current;
    struct mig m = {.flow = def};

    parse_ver(FLOW_SPEC_VERSION, &current);
    if (to == NULL)
        to = FLOW_SPEC_VERSION;
    if (!json_is_object(def)) {
        sk_seterr(err, "flow definition is not an object");
        return SK_EINVAL;
    }
    if (!parse_ver(to, &target) || ver_cmp(&target, &current) > 0) {
        sk_seterr(err, "cannot migrate to spec version %s", to);
        return SK_EINVAL;
    }
    if (legacy_is_definition(def)) { /* before 13: legacy.c makes 13.0.0 */
        json_t *lm = legacy_migrate(def, "", err);

        if (lm == NULL)
            return strstr(err, "out of memory") ? SK_ENOMEM : SK_EINVAL;
        json_object_clear(def);
        if (json_object_update(def, lm) != 0) {
            json_decref(lm);
            sk_seterr(err, "out of memory");
            return SK_ENOMEM;
        }
        json_decref(lm);
        spec = jstr(def, "spec_version");
    }
    if (!parse_ver(spec, &from)) {
        sk_seterr(err, "flow has no valid spec_version");
        return SK_EINVAL;
    }
    if (from.major < 13) {
        sk_seterr(err,
                  "spec version %s is a legacy definition without "
                  "action_sets or rule_sets",
                  spec);
        return SK_EINVAL;
    }
    if (from.major > current.major) {
        sk_seterr(err, "spec version %s is newer than supported %d.x", spec,
                  current.major);
        return SK_EINVAL;
    }
    if (from.major == current.major && from.minor > current.minor) {
        sk_seterr(err, "spec version %s is newer than supported %s", spec,
                  FLOW_SPEC_VERSION);
        return SK_EINVAL;
    }
    for (size_t i = 0; i < sizeof(steps) / sizeof(*steps) && !m.oom; i++) {
        char v[32];

        if (ver_cmp(&steps[i].v, &from) <= 0 ||
            ver_cmp(&steps[i].v, &target) > 0)
            continue;
        steps[i].fn(&m);
        snprintf(v, sizeof(v), "%d.%d.%d", steps[i].v.major, steps[i].v.minor,
                 steps[i].v.patch);
        set_new(&m, def, "spec_version", json_string(v));
    }
    if (m.oom) {
        sk_seterr(err, "out of memory");
        return SK_ENOMEM;
    }
    return 0;
}
