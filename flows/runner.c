/*
 * runner.c - sessions and the flow runner: starts and resumes runs, walks
 * nodes, runs actions, routes, waits, and reports what happened as events
 * named as goflow names them (see flow.h).
 *
 * A session holds the contact (language, fields) and a stack of runs: the
 * first is the flow that was started, each next one a flow entered from the
 * one below. Only the top run moves. When it ends, the run below resumes at
 * the node that entered it and routes on @child.status, as goflow does.
 * A sprint (one start or resume) visits at most FL_MAX_STEPS nodes; a flow
 * that loops without waiting fails. Everything is driven by the caller's
 * clock (now) and the session's own PRNG, so runs are repeatable.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "expr.h"
#include "flow.h"
#include "flow_int.h"
#include "rtest.h"
#include "tz.h"
#include "utf8.h"
#include "xval.h"

#define FL_DEFAULT_EXPIRE_MIN 10080 /* 7 days, when a flow sets none */
#define FL_MAX_VALUE          640   /* characters kept of a result or field */

enum run_status {
    RUN_ACTIVE,
    RUN_WAITING,
    RUN_COMPLETED,
    RUN_EXPIRED,
    RUN_INTERRUPTED,
    RUN_FAILED
};

static const char *const run_status_names[] = {
    "active", "waiting", "completed", "expired", "interrupted", "failed"};

struct run {
    char *flow_uuid;
    char *flow_name;
    char *node_uuid; /* the node the run is at, NULL before the first */
    json_t *results; /* snaked name -> {name, value, category, ...} */
};

struct flow_session {
    char *language;   /* contact language or NULL */
    json_t *fields;   /* snaked key -> text */
    struct run *runs; /* stack, runs[nruns - 1] is the active one */
    size_t nruns, cap;
    json_t *child; /* the last ended child run, for @child; or NULL */
    enum flow_status status;
    char *input;        /* the last input text, or NULL */
    bool input_pending; /* the trigger's text, for the first wait */
    int64_t timeout_at;
    int64_t expires_at;
    uint64_t prng;
    char *timezone; /* environment; NULL for the defaults */
    char *date_format;
    char *country;
    char *tz_rule;        /* POSIX TZ rule of timezone, or NULL */
    flow_zone_fn zone_fn; /* rules of other zones by name, or NULL */
    void *zone_arg;
};

/* One start or resume. */
struct sprint {
    const struct flow_set *set;
    struct flow_session *s;
    int64_t now;
    json_t *events;
    char *err;
    int steps;
    int xerrors; /* expression errors so far in this sprint */
    struct rtest_env rt;
};

/* --- session basics ------------------------------------------------- */

struct flow_session *
flow_session_new(const char *language, uint64_t seed)
{
    struct flow_session *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    s->fields = json_object();
    s->prng = seed;
    if (s->fields == NULL ||
        (language != NULL && (s->language = strdup(language)) == NULL)) {
        flow_session_free(s);
        return NULL;
    }
    return s;
}

static void
run_clear(struct run *r)
{
    free(r->flow_uuid);
    free(r->flow_name);
    free(r->node_uuid);
    json_decref(r->results);
    memset(r, 0, sizeof(*r));
}

void
flow_session_free(struct flow_session *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nruns; i++)
        run_clear(&s->runs[i]);
    free(s->runs);
    free(s->language);
    free(s->input);
    free(s->timezone);
    free(s->date_format);
    free(s->country);
    free(s->tz_rule);
    json_decref(s->fields);
    json_decref(s->child);
    free(s);
}

/* Replaces *slot with a copy of v (NULL or "" clears it). */
static int
set_opt(char **slot, const char *v)
{
    char *copy = NULL;

    if (v != NULL && v[0] != '\0' && (copy = strdup(v)) == NULL)
        return SK_ENOMEM;
    free(*slot);
    *slot = copy;
    return 0;
}

int
flow_session_set_env(struct flow_session *s, const char *tz,
                     const char *date_format, const char *country)
{
    if (set_opt(&s->timezone, tz) != 0 ||
        set_opt(&s->date_format, date_format) != 0 ||
        set_opt(&s->country, country) != 0)
        return SK_ENOMEM;
    return 0;
}

int
flow_session_set_tz_rule(struct flow_session *s, const char *rule)
{
    if (rule != NULL && rule[0] != '\0' && !tz_rule_valid(rule))
        return SK_EINVAL;
    return set_opt(&s->tz_rule, rule);
}

void
flow_session_set_zone_lookup(struct flow_session *s, flow_zone_fn fn, void *arg)
{
    s->zone_fn = fn;
    s->zone_arg = arg;
}

enum flow_status
flow_session_status(const struct flow_session *s)
{
    return s->status;
}

const char *
flow_session_language(const struct flow_session *s)
{
    return s->language;
}

int
flow_session_set_language(struct flow_session *s, const char *lang)
{
    char *copy = NULL;

    if (lang != NULL && lang[0] != '\0' && (copy = strdup(lang)) == NULL)
        return SK_ENOMEM;
    free(s->language);
    s->language = copy;
    return 0;
}

const char *
flow_session_flow(const struct flow_session *s)
{
    if (s->status != FLOW_WAITING || s->nruns == 0)
        return NULL;
    return s->runs[s->nruns - 1].flow_uuid;
}

int64_t
flow_session_timeout_at(const struct flow_session *s)
{
    return s->status == FLOW_WAITING ? s->timeout_at : 0;
}

int64_t
flow_session_expires_at(const struct flow_session *s)
{
    return s->status == FLOW_WAITING ? s->expires_at : 0;
}

/* splitmix64: small, good enough, and its whole state is one number. */
static uint64_t
prng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/*
 * json_pack's optional values ("s*", "s?", "O?") leave a key out, or set
 * it to null, when the value given is NULL; but "s*" also leaves the key
 * out, with no error, when copying a value that was given runs out of
 * memory. Each optional key packed is checked with this: o when it is NULL
 * or val is NULL or key is there, else NULL (o freed), as if the pack had
 * failed.
 */
static json_t *
packed(json_t *o, const char *key, const void *val)
{
    if (o == NULL || val == NULL || json_object_get(o, key) != NULL)
        return o;
    json_decref(o);
    return NULL;
}

/* --- events ----------------------------------------------------------- */

/* Appends an event; consumes ev. */
static int
emit(struct sprint *sp, json_t *ev)
{
    if (ev == NULL || json_array_append_new(sp->events, ev) != 0) {
        sk_seterr(sp->err, "out of memory");
        return SK_ENOMEM;
    }
    return 0;
}

static int
emit_error(struct sprint *sp, const char *text)
{
    return emit(sp, json_pack("{s:s,s:s}", "type", "error", "text", text));
}

/* --- runs ------------------------------------------------------------- */

static const struct flow *
run_flow(const struct sprint *sp, const struct run *r)
{
    return flow_set_find(sp->set, r->flow_uuid);
}

static struct run *
top(struct flow_session *s)
{
    return s->nruns > 0 ? &s->runs[s->nruns - 1] : NULL;
}

static int
push_run(struct sprint *sp, const struct flow *f)
{
    struct flow_session *s = sp->s;
    struct run *r;
    json_t *ev;

    if (s->nruns == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 4;
        struct run *nr = realloc(s->runs, ncap * sizeof(*nr));

        if (nr == NULL)
            goto nomem;
        s->runs = nr;
        s->cap = ncap;
    }
    r = &s->runs[s->nruns];
    memset(r, 0, sizeof(*r));
    r->flow_uuid = strdup(f->uuid);
    r->flow_name = strdup(f->name);
    r->results = json_object();
    if (r->flow_uuid == NULL || r->flow_name == NULL || r->results == NULL) {
        run_clear(r);
        goto nomem;
    }
    s->nruns++;
    ev = json_pack("{s:s,s:s}", "type", "run_started", "flow", f->name);
    return emit(sp, ev);
nomem:
    sk_seterr(sp->err, "out of memory");
    return SK_ENOMEM;
}

/* Ends the top run with status st and pops it, keeping it for @child. */
static int
end_run(struct sprint *sp, enum run_status st)
{
    struct flow_session *s = sp->s;
    struct run *r = top(s);
    json_t *child;
    int rc;

    rc = emit(sp, json_pack("{s:s,s:s,s:s}", "type", "run_ended", "flow",
                            r->flow_name, "status", run_status_names[st]));
    if (rc != 0)
        return rc;
    child = json_pack("{s:s,s:O,s:{s:s},s:{s:s,s:s,s:s}}", "status",
                      run_status_names[st], "results", r->results, "run",
                      "status", run_status_names[st], "flow", "__default__",
                      r->flow_name, "name", r->flow_name, "uuid", r->flow_uuid);
    if (child == NULL) {
        sk_seterr(sp->err, "out of memory");
        return SK_ENOMEM;
    }
    json_decref(s->child);
    s->child = child;
    run_clear(r);
    s->nruns--;
    switch (st) {
    case RUN_COMPLETED:
        s->status = FLOW_COMPLETED;
        break;
    case RUN_EXPIRED:
        s->status = FLOW_EXPIRED;
        break;
    case RUN_INTERRUPTED:
        s->status = FLOW_INTERRUPTED;
        break;
    default:
        s->status = FLOW_FAILED;
        break;
    }
    return 0;
}

static int
end_all(struct sprint *sp, enum run_status st)
{
    int rc = 0;

    while (rc == 0 && sp->s->nruns > 0)
        rc = end_run(sp, st);
    return rc;
}

/* --- the expression context ------------------------------------------- */

/*
 * A result's created_on as goflow shows it: a datetime in the session's
 * timezone, rendered as now() renders at that instant. NULL when out of
 * memory.
 */
static char *
created_on_text(const struct flow_session *s, int64_t ms)
{
    struct expr_env env = {
        .now_ms = ms,
        .timezone = s->timezone,
        .date_format = s->date_format,
        .tz_rule = s->tz_rule,
    };
    char xerr[SK_ERR_LEN] = "";

    return expr_template(&env, "@(now())", xerr);
}

/* Sets key of obj to v (consumed); a NULL v or a failure clears *ok. */
static void
ctx_set(json_t *obj, const char *key, json_t *v, bool *ok)
{
    if (v == NULL || json_object_set_new(obj, key, v) != 0)
        *ok = false;
}

/* Sets key of obj to src (borrowed) when there is a src; a failure
 * clears *ok. */
static void
ctx_copy(json_t *obj, const char *key, json_t *src, bool *ok)
{
    if (src != NULL && json_object_set(obj, key, src) != 0)
        *ok = false;
}

/*
 * goflow's default text of a set of named values (@results, @fields): one
 * "Name: value" line per entry, the lines sorted and joined by newlines.
 */
struct lines {
    char **v;
    size_t n, cap;
    bool fail;
};

static void
lines_add(struct lines *l, const char *name, const json_t *value)
{
    struct sk_buf b = {0};
    char *text = xval_to_text(value);

    if (text == NULL || l->n == l->cap) {
        free(text);
        l->fail = true;
        return;
    }
    sk_buf_printf(&b, "%s: %s", name, text);
    free(text);
    if ((l->v[l->n] = sk_buf_take(&b)) == NULL)
        l->fail = true;
    else
        l->n++;
}

static int
line_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sets obj's __default__ to the sorted lines; frees them. 0 or SK_ENOMEM. */
static int
lines_set_default(struct lines *l, json_t *obj)
{
    struct sk_buf b = {0};
    char *text = NULL;
    int rc = SK_ENOMEM;

    if (!l->fail) {
        qsort(l->v, l->n, sizeof(*l->v), line_cmp);
        sk_buf_str(&b, "");
        for (size_t i = 0; i < l->n; i++) {
            if (i > 0)
                sk_buf_addc(&b, '\n');
            sk_buf_str(&b, l->v[i]);
        }
        text = sk_buf_take(&b);
    }
    if (text != NULL &&
        json_object_set_new(obj, "__default__", json_string(text)) == 0)
        rc = 0;
    free(text);
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    return rc;
}

/* Room for the lines of obj's entries. 0 or SK_ENOMEM. */
static int
lines_init(struct lines *l, const json_t *obj)
{
    l->n = 0;
    l->fail = false;
    l->cap = json_object_size(obj);
    l->v = calloc(l->cap + 1, sizeof(*l->v));
    return l->v == NULL ? SK_ENOMEM : 0;
}

/*
 * results as goflow's context shows them: the whole renders as the lines
 * "Name: value" (sorted); each result's __default__ is its value;
 * input, category and category_localized (the category when untranslated)
 * always there; values, categories, categories_localized as lists of one;
 * created_on a datetime; extra null.
 */
static json_t *
results_ctx(const struct flow_session *s, const json_t *results)
{
    json_t *out = json_deep_copy(results);
    struct lines l;
    const char *key;
    json_t *v;
    bool ok = true;

    if (out == NULL)
        return NULL;
    json_object_foreach(out, key, v)
    {
        json_t *ms = json_object_get(v, "created_ms");
        char *created = NULL;

        ctx_copy(v, "__default__", json_object_get(v, "value"), &ok);
        /* goflow: category_localized is the category when untranslated */
        if (!json_is_string(json_object_get(v, "category_localized")))
            ctx_copy(v, "category_localized", json_object_get(v, "category"),
                     &ok);
        if (!json_is_string(json_object_get(v, "category")))
            ctx_set(v, "category", json_string(""), &ok);
        if (!json_is_string(json_object_get(v, "category_localized")))
            ctx_set(v, "category_localized", json_string(""), &ok);
        if (!json_is_string(json_object_get(v, "input")))
            ctx_set(v, "input", json_string(""), &ok);
        ctx_set(v, "values", json_pack("[O]", json_object_get(v, "value")),
                &ok);
        ctx_set(v, "categories",
                json_pack("[O]", json_object_get(v, "category")), &ok);
        ctx_set(v, "categories_localized",
                json_pack("[O]", json_object_get(v, "category_localized")),
                &ok);
        ctx_set(v, "extra", json_null(), &ok);
        if (json_is_integer(ms)) {
            created = created_on_text(s, json_integer_value(ms));
            ctx_set(v, "created_on", created ? json_string(created) : NULL,
                    &ok);
        } else {
            ctx_set(v, "created_on", json_null(), &ok);
        }
        free(created);
        json_object_del(v, "created_ms");
    }
    if (!ok)
        goto nomem;
    if (lines_init(&l, out) != 0)
        goto nomem;
    json_object_foreach(out, key, v)
    {
        const char *name = json_string_value(json_object_get(v, "name"));

        lines_add(&l, name ? name : key, json_object_get(v, "value"));
    }
    if (lines_set_default(&l, out) != 0)
        goto nomem;
    return out;
nomem:
    json_decref(out);
    return NULL;
}

/* @urns: every scheme goflow knows, with no address (none is held). NULL
 * when out of memory. */
static json_t *
urns_ctx(void)
{
    static const char *const schemes[] = {
        "tel",        "whatsapp", "telegram",  "facebook", "instagram",
        "twitter",    "viber",    "line",      "mailto",   "ext",
        "jiochat",    "wechat",   "vk",        "discord",  "slack",
        "rocketchat", "webchat",  "twitterid", "fcm",      "freshchat"};
    json_t *u = json_object();
    size_t i;

    if (u == NULL ||
        json_object_set_new(u, "__default__", json_string("")) != 0)
        goto fail;
    for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
        if (json_object_set_new(u, schemes[i], json_null()) != 0)
            goto fail;
    return u;
fail:
    json_decref(u);
    return NULL;
}

static json_t *
flow_ctx(const struct flow *f)
{
    return json_pack("{s:s,s:s,s:s}", "__default__", f->name, "name", f->name,
                     "uuid", f->uuid);
}

/*
 * @fields: every field the workspace (the set) declares, null (read as "")
 * while the contact has no value, and the contact's own values. The whole
 * renders as goflow's lines "Field Name: value" of the fields with a value.
 */
static json_t *
fields_ctx(const struct flow_set *set, const struct flow_session *s)
{
    json_t *out = json_deep_copy(s->fields);
    const json_t *decl = set ? set->fields : NULL;
    struct lines l;
    const char *key;
    json_t *v;

    if (out == NULL || lines_init(&l, out) != 0)
        goto nomem;
    json_object_foreach(out, key, v)
    {
        const char *name = json_string_value(
            json_object_get(json_object_get(decl, key), "name"));

        if (!json_is_null(v))
            lines_add(&l, name ? name : key, v);
    }
    if (lines_set_default(&l, out) != 0)
        goto nomem;
    json_object_foreach((json_t *)decl, key, v)
    {
        (void)v;
        if (json_object_get(out, key) == NULL &&
            json_object_set_new(out, key, json_null()) != 0)
            goto nomem;
    }
    return out;
nomem:
    json_decref(out);
    return NULL;
}

/*
 * A run as goflow renders it (@run, @parent, @child): "contact@flow", the
 * contact rendering empty as it does here.
 */
static json_t *
run_summary(const char *flow_name)
{
    return json_sprintf("@%s", flow_name ? flow_name : "<missing>");
}

/* The expression context of the sprint's current run; NULL when out of
 * memory (no part of it is ever left out). */
static json_t *
build_context(const struct sprint *sp, const struct flow *f)
{
    const struct flow_session *s = sp->s;
    const struct run *r = &s->runs[s->nruns - 1];
    json_t *ctx = json_object(), *v, *fields;
    bool ok = true;

    if (ctx == NULL)
        return NULL;
    if (s->input != NULL)
        v = json_pack("{s:s,s:s,s:s}", "__default__", s->input, "text",
                      s->input, "type", "msg");
    else
        v = json_null();
    ctx_set(ctx, "input", v, &ok);
    ctx_set(ctx, "results", results_ctx(s, r->results), &ok);
    fields = fields_ctx(sp->set, s);
    ctx_set(ctx, "fields", json_incref(fields), &ok);
    /* no name and no address are ever held: they render empty, as goflow's
     * unnamed contact with redacted URNs */
    ctx_set(ctx, "contact",
            packed(json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s,s:o,s:[],s:o,s:o}",
                             "__default__", "", "name", "", "first_name", "",
                             "urn", "", "language", s->language, "status",
                             "active", "urns", urns_ctx(), "groups", "fields",
                             fields, "channel", json_null()),
                   "language", s->language),
            &ok);
    ctx_set(ctx, "urns", urns_ctx(), &ok);
    ctx_set(ctx, "flow", flow_ctx(f), &ok);
    ctx_set(ctx, "run",
            json_pack("{s:o,s:s,s:o,s:o}", "__default__", run_summary(f->name),
                      "status", "active", "results", results_ctx(s, r->results),
                      "flow", flow_ctx(f)),
            &ok);
    if (s->nruns > 1) {
        const struct run *p = &s->runs[s->nruns - 2];

        v = json_pack("{s:o,s:s,s:o,s:{s:s,s:s,s:s}}", "__default__",
                      run_summary(p->flow_name), "status", "active", "results",
                      results_ctx(s, p->results), "flow", "__default__",
                      p->flow_name, "name", p->flow_name, "uuid", p->flow_uuid);
    } else {
        v = json_null();
    }
    ctx_set(ctx, "parent", v, &ok);
    if (s->child != NULL) {
        const json_t *cf = json_object_get(s->child, "flow");

        v = json_deep_copy(s->child);
        if (v != NULL) {
            ctx_set(v, "results",
                    results_ctx(s, json_object_get(s->child, "results")), &ok);
            ctx_set(v, "__default__",
                    run_summary(json_string_value(json_object_get(cf, "name"))),
                    &ok);
        }
    } else {
        v = json_null();
    }
    ctx_set(ctx, "child", v, &ok);
    if (!ok || json_object_size(ctx) != 9) {
        json_decref(ctx);
        return NULL;
    }
    return ctx;
}

/*
 * Evaluates template tpl; an expression error becomes an "error" event.
 * Returns a malloc'd string or NULL when out of memory (err set).
 */
static char *
eval(struct sprint *sp, const json_t *ctx, const char *tpl)
{
    struct expr_env env = {
        .context = ctx,
        .call = rtest_expr_call,
        .call_arg = &sp->rt,
        .now_ms = sp->now,
        .rand_state = &sp->s->prng, /* rand() repeats for a given seed */
        .timezone = sp->s->timezone,
        .date_format = sp->s->date_format,
        .tz_rule = sp->s->tz_rule,
        .zone_rule = sp->s->zone_fn,
        .zone_arg = sp->s->zone_arg,
    };
    char xerr[SK_ERR_LEN] = "";
    char *out = expr_template(&env, tpl ? tpl : "", xerr);

    if (out == NULL) {
        sk_seterr(sp->err, "out of memory");
        return NULL;
    }
    if (xerr[0] != '\0') {
        char msg[SK_ERR_LEN + 40];

        sp->xerrors++;
        snprintf(msg, sizeof(msg), "Error evaluating expression: %s", xerr);
        if (emit_error(sp, msg) != 0) {
            free(out);
            return NULL;
        }
    }
    return out;
}

/*
 * Like eval(), for actions that goflow skips when their expression fails:
 * *skip is set when it did (the error event is already out).
 */
static char *
eval_or_skip(struct sprint *sp, const json_t *ctx, const char *tpl, bool *skip)
{
    int before = sp->xerrors;
    char *out = eval(sp, ctx, tpl);

    *skip = out != NULL && sp->xerrors != before;
    return out;
}

/* The language to localize into: the contact's when the flow has it. */
static const char *
loc_lang(const struct sprint *sp, const struct flow *f)
{
    const char *lang = sp->s->language;

    if (lang == NULL || f->loc == NULL ||
        (f->language != NULL && strcmp(lang, f->language) == 0))
        return NULL;
    return json_object_get(f->loc, lang) != NULL ? lang : NULL;
}

/* item's property, localized when a translation exists, else original */
static const json_t *
localized(const struct sprint *sp, const struct flow *f, const char *item,
          const char *prop, const json_t *orig)
{
    const json_t *t = fl_localized(f, loc_lang(sp, f), item, prop);

    if (t != NULL && json_array_size(t) > 0)
        return t;
    return orig;
}

static const char *
localized_text(const struct sprint *sp, const struct flow *f, const char *item,
               const char *prop, const char *orig)
{
    const json_t *t = fl_localized(f, loc_lang(sp, f), item, prop);
    const char *s = json_string_value(json_array_get(t, 0));

    return (s != NULL && s[0] != '\0') ? s : orig;
}

/* Cuts s (UTF-8) in place after max characters. */
static void
utf8_truncate(char *s, size_t max)
{
    s[sk_utf8_prefix(s, strlen(s), max)] = '\0';
}

/*
 * Cuts s (UTF-8) in place to at most max characters, the last three of
 * them "..." when it was longer (goflow's TruncateEllipsis).
 */
static void
utf8_truncate_ellipsis(char *s, size_t max)
{
    size_t len = strlen(s);

    if (sk_utf8_prefix(s, len, max) < len)
        strcpy(s + sk_utf8_prefix(s, len, max - 3), "...");
}

/*
 * An evaluated quick reply as goflow reads it: "text<extra>more" is the
 * reply's text and its extra (a description some channels show under the
 * button). SMS has no place for the extra: only the text is kept, cut to
 * FL_MAX_REPLY_TEXT characters with an ellipsis. In place.
 */
static void
quick_reply_text(char *t)
{
    char *extra = strstr(t, "<extra>");

    if (extra != NULL)
        *extra = '\0';
    utf8_truncate_ellipsis(t, FL_MAX_REPLY_TEXT);
}

/* --- actions ------------------------------------------------------------ */

static int
save_result(struct sprint *sp, const struct flow *f, const char *node,
            const char *name, const char *value, const char *category,
            const char *category_loc, const char *input)
{
    struct run *r = top(sp->s);
    char *key = expr_snake(name);
    json_t *res, *ev;

    (void)f;
    if (key == NULL)
        goto nomem;
    res = json_pack("{s:s,s:s,s:s*,s:s*,s:s*,s:s*,s:I}", "name", name, "value",
                    value, "category", category, "category_localized",
                    category_loc, "input", input, "node_uuid", node,
                    "created_ms", (json_int_t)sp->now);
    res = packed(res, "category", category);
    res = packed(res, "category_localized", category_loc);
    res = packed(res, "input", input);
    res = packed(res, "node_uuid", node);
    if (res == NULL || json_object_set_new(r->results, key, res) != 0)
        goto nomem;
    free(key);
    key = NULL;
    ev = json_pack("{s:s,s:s,s:s,s:s,s:s*,s:s*}", "type", "run_result_changed",
                   "name", name, "value", value, "category",
                   category ? category : "", "category_localized", category_loc,
                   "input", input);
    ev = packed(ev, "category_localized", category_loc);
    ev = packed(ev, "input", input);
    return emit(sp, ev);
nomem:
    free(key);
    sk_seterr(sp->err, "out of memory");
    return SK_ENOMEM;
}

static int
act_send(struct sprint *sp, const struct flow *f, const json_t *ctx,
         const struct fl_action *a)
{
    const char *tpl =
        localized_text(sp, f, a->uuid, "text",
                       json_string_value(json_object_get(a->json, "text")));
    const json_t *qr = localized(sp, f, a->uuid, "quick_replies",
                                 json_object_get(a->json, "quick_replies"));
    char *text = eval(sp, ctx, tpl);
    json_t *ev = NULL, *replies = NULL, *q;
    size_t i;
    int rc = SK_ENOMEM;

    if (text == NULL)
        return SK_ENOMEM;
    if (text[0] == '\0' &&
        (a->type == FA_SEND_MSG ||
         json_string_length(json_object_get(a->json, "audio_url")) == 0)) {
        free(text);
        return emit_error(sp, a->type == FA_SEND_MSG
                                  ? "Message text evaluated to empty, skipping"
                                  : "Can't say message without audio URL or "
                                    "backdown text");
    }
    if (json_array_size(qr) > 0) {
        replies = json_array();
        if (replies == NULL)
            goto done;
        json_array_foreach(qr, i, q)
        {
            char *t = eval(sp, ctx, json_string_value(q));

            if (t == NULL)
                goto done;
            quick_reply_text(t);
            if (t[0] != '\0')
                json_array_append_new(replies, json_string(t));
            free(t);
        }
    }
    if (a->type == FA_SAY_MSG) {
        const char *url =
            json_string_value(json_object_get(a->json, "audio_url"));

        url = localized_text(sp, f, a->uuid, "audio_url", url);
        ev = json_pack("{s:s,s:s,s:s*}", "type", "ivr_created", "text", text,
                       "audio_url", url);
        ev = packed(ev, "audio_url", url);
    } else {
        ev = json_pack("{s:s,s:s}", "type", "msg_created", "text", text);
        if (ev != NULL && json_array_size(replies) > 0)
            json_object_set(ev, "quick_replies", replies);
    }
    rc = emit(sp, ev);
    ev = NULL;
done:
    if (rc == SK_ENOMEM)
        sk_seterr(sp->err, "out of memory");
    json_decref(replies);
    free(text);
    return rc;
}

static int
act_play(struct sprint *sp, const struct flow *f, const json_t *ctx,
         const struct fl_action *a)
{
    const char *tpl = localized_text(
        sp, f, a->uuid, "audio_url",
        json_string_value(json_object_get(a->json, "audio_url")));
    bool skip;
    char *url = eval_or_skip(sp, ctx, tpl, &skip);
    int rc = 0;

    if (url == NULL)
        return SK_ENOMEM;
    if (skip)
        ; /* the error event is out */
    else if (url[0] == '\0')
        rc = emit_error(sp, "Audio URL evaluated to empty, skipping");
    else
        rc = emit(sp, json_pack("{s:s,s:s,s:s}", "type", "ivr_created", "text",
                                "", "audio_url", url));
    free(url);
    return rc;
}

static int
act_result(struct sprint *sp, const struct flow *f, const json_t *ctx,
           const struct fl_node *n, const struct fl_action *a)
{
    const char *name = json_string_value(json_object_get(a->json, "name"));
    const char *cat = json_string_value(json_object_get(a->json, "category"));
    bool skip;
    char *value = eval_or_skip(
        sp, ctx, json_string_value(json_object_get(a->json, "value")), &skip);
    int rc;

    if (value == NULL)
        return SK_ENOMEM;
    if (skip) {
        free(value);
        return 0;
    }
    utf8_truncate(value, FL_MAX_VALUE);
    if (cat != NULL && cat[0] == '\0')
        cat = NULL;
    rc = save_result(
        sp, f, n->uuid, name, value, cat,
        cat ? localized_text(sp, f, a->uuid, "category", NULL) : NULL, NULL);
    free(value);
    return rc;
}

/* Copy of s without leading and trailing ASCII white space. */
static char *
trim_dup(const char *s)
{
    size_t n;

    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
                     s[n - 1] == '\r'))
        n--;
    return strndup(s, n);
}

static int
act_language(struct sprint *sp, const json_t *ctx, const struct fl_action *a)
{
    struct flow_session *s = sp->s;
    bool skip;
    char *lang = eval_or_skip(
        sp, ctx, json_string_value(json_object_get(a->json, "language")),
        &skip);
    char *trimmed, code[4] = "";
    int rc = 0;

    if (lang == NULL)
        return SK_ENOMEM;
    if (skip)
        goto done;
    /* goflow trims the code and reads it case-insensitively ("ENG" is
     * stored as "eng") */
    trimmed = trim_dup(lang);
    if (trimmed == NULL) {
        rc = SK_ENOMEM;
        sk_seterr(sp->err, "out of memory");
        goto done;
    }
    free(lang);
    lang = trimmed;
    if (strlen(lang) == 3) {
        for (int i = 0; i < 3; i++)
            code[i] = (lang[i] >= 'A' && lang[i] <= 'Z')
                          ? (char)(lang[i] - 'A' + 'a')
                          : lang[i];
        if (fl_lang_known(code))
            memcpy(lang, code, 3);
    }
    if ((s->language == NULL && lang[0] == '\0') ||
        (s->language != NULL && strcmp(s->language, lang) == 0))
        goto done; /* no change, no event */
    if (lang[0] != '\0' && !fl_lang_known(lang)) {
        char msg[96];

        if (strlen(lang) != 3)
            snprintf(msg, sizeof(msg),
                     "iso-639-3 codes must be 3 characters, got: %.40s", lang);
        else
            snprintf(msg, sizeof(msg), "unrecognized language code: %s", lang);
        rc = emit_error(sp, msg);
        goto done;
    }
    rc = flow_session_set_language(s, lang);
    if (rc == 0)
        rc = emit(sp, json_pack("{s:s,s:s}", "type", "contact_language_changed",
                                "language", lang));
    else
        sk_seterr(sp->err, "out of memory");
done:
    free(lang);
    return rc;
}

/*
 * Stores value (already trimmed) as the contact's field key, truncated to
 * FL_MAX_VALUE characters; "" clears it. *changed tells whether it did
 * change. Returns 0 or SK_ENOMEM.
 */
static int
store_field(struct flow_session *s, const char *key, char *value, bool *changed)
{
    const char *old;

    utf8_truncate(value, FL_MAX_VALUE);
    old = json_string_value(json_object_get(s->fields, key));
    *changed = !((old == NULL && value[0] == '\0') ||
                 (old != NULL && strcmp(old, value) == 0));
    if (!*changed)
        return 0;
    if (value[0] == '\0')
        return json_object_del(s->fields, key) == 0 ? 0 : SK_ENOMEM;
    return json_object_set_new(s->fields, key, json_string(value)) == 0
               ? 0
               : SK_ENOMEM;
}

int
flow_session_set_field(struct flow_session *s, const char *key,
                       const char *value)
{
    char *snaked, *v = NULL;
    bool changed;
    int rc = SK_ENOMEM;

    if (key == NULL)
        return SK_EINVAL;
    snaked = expr_snake(key);
    if (snaked == NULL)
        return SK_ENOMEM;
    if (snaked[0] == '\0') {
        rc = SK_EINVAL;
        goto done;
    }
    v = trim_dup(value ? value : "");
    if (v != NULL)
        rc = store_field(s, snaked, v, &changed);
done:
    free(v);
    free(snaked);
    return rc;
}

static int
act_field(struct sprint *sp, const json_t *ctx, const struct fl_action *a)
{
    struct flow_session *s = sp->s;
    const json_t *field = json_object_get(a->json, "field");
    const char *name = json_string_value(json_object_get(field, "name"));
    char *key = expr_snake(json_string_value(json_object_get(field, "key")));
    bool skip = false;
    char *raw = eval_or_skip(
        sp, ctx, json_string_value(json_object_get(a->json, "value")), &skip);
    char *value = raw ? trim_dup(raw) : NULL;
    bool changed;
    json_t *ev;
    int rc = SK_ENOMEM;

    if (key == NULL || value == NULL)
        goto done;
    if (skip) {
        rc = 0;
        goto done;
    }
    if (store_field(s, key, value, &changed) != 0)
        goto done;
    if (!changed) {
        rc = 0;
        goto done;
    }
    ev = json_pack("{s:s,s:{s:s,s:s}}", "type", "contact_field_changed",
                   "field", "key", key, "name", name ? name : key);
    if (ev != NULL)
        json_object_set_new(ev, "value",
                            value[0] ? json_pack("{s:s}", "text", value)
                                     : json_null());
    rc = emit(sp, ev);
done:
    if (rc == SK_ENOMEM)
        sk_seterr(sp->err, "out of memory");
    free(key);
    free(raw);
    free(value);
    return rc;
}

static int fail_sprint(struct sprint *sp, const char *text);

/* --- routing ------------------------------------------------------------ */

static int
route_to(struct sprint *sp, const struct flow *f, const struct fl_node *n,
         int cat, const char *match, const char *input, int *dest)
{
    const struct fl_category *c;
    int rc = 0;

    *dest = -1;
    if (cat < 0) /* no case matched and there is no default */
        return fail_sprint(sp, "Router failed to pick a category");
    c = &n->cats[cat];
    if (n->result_name != NULL) {
        const char *loc = localized_text(sp, f, c->uuid, "name", NULL);

        rc = save_result(sp, f, n->uuid, n->result_name, match ? match : "",
                         c->name, loc, input);
        if (rc != 0)
            return rc;
    }
    *dest = n->exits[c->exit_idx].dest_idx;
    return 0;
}

/* Runs the switch router's cases on the operand; sets *cat and *match. */
static int
switch_pick(struct sprint *sp, const struct flow *f, const json_t *ctx,
            const struct fl_node *n, const char *operand, int *cat,
            char **match)
{
    json_t *args[FL_MAX_ARGS + 1] = {NULL};
    int rc = 0;

    *cat = n->default_cat;
    *match = NULL;
    for (size_t i = 0; i < n->ncases && *match == NULL; i++) {
        const struct fl_case *c = &n->cases[i];
        const json_t *list = localized(sp, f, c->uuid, "arguments", c->args);
        size_t nargs = 1, j;
        json_t *res = NULL;

        args[0] = json_string(operand);
        if (args[0] == NULL)
            goto nomem;
        for (j = 0; j < json_array_size(list) && j < FL_MAX_ARGS; j++) {
            char *t = eval(sp, ctx, json_string_value(json_array_get(list, j)));

            if (t == NULL)
                goto nomem;
            args[nargs] = json_string(t);
            free(t);
            if (args[nargs++] == NULL)
                goto nomem;
        }
        rc = rtest_call(c->type, args, nargs, &sp->rt, &res);
        for (j = 0; j < nargs; j++) {
            json_decref(args[j]);
            args[j] = NULL;
        }
        if (rc == SK_ENOMEM) /* a step failure, not a flow error */
            goto fail;
        if (rc != 0) {
            char msg[128];

            snprintf(msg, sizeof(msg), "unknown router test %s", c->type);
            rc = emit_error(sp, msg);
            if (rc != 0)
                return rc;
            continue;
        }
        if (xval_is_error(res)) {
            rc = emit_error(sp, xval_error_msg(res));
        } else if (xval_truthy(res)) {
            const json_t *m = json_object_get(res, "match");

            *match = xval_to_text(m ? m : res);
            *cat = c->cat_idx;
            if (*match == NULL)
                rc = SK_ENOMEM;
        }
        json_decref(res);
        if (rc != 0)
            goto fail;
    }
    if (*match == NULL && (*match = strdup(operand)) == NULL)
        goto nomem;
    return 0;
nomem:
    rc = SK_ENOMEM;
fail:
    for (size_t j = 0; j <= FL_MAX_ARGS; j++)
        json_decref(args[j]);
    free(*match);
    *match = NULL;
    if (rc == SK_ENOMEM)
        sk_seterr(sp->err, "out of memory");
    return rc;
}

/* Routes node n of the top run; *dest is the next node or -1. */
static int
pick_exit(struct sprint *sp, const struct flow *f, const struct fl_node *n,
          int *dest)
{
    json_t *ctx;
    char *operand = NULL, *match = NULL;
    int cat, rc;

    *dest = -1;
    if (n->router == FR_NONE) {
        *dest = n->exits[0].dest_idx;
        return 0;
    }
    if (n->router == FR_RANDOM) {
        char pick[24];

        cat = (int)(prng_next(&sp->s->prng) % n->ncats);
        snprintf(pick, sizeof(pick), "%d", cat); /* goflow: the index */
        return route_to(sp, f, n, cat, pick, NULL, dest);
    }
    ctx = build_context(sp, f);
    if (ctx == NULL) {
        sk_seterr(sp->err, "out of memory");
        return SK_ENOMEM;
    }
    operand = eval(sp, ctx, n->operand);
    rc =
        operand ? switch_pick(sp, f, ctx, n, operand, &cat, &match) : SK_ENOMEM;
    if (rc == 0 && match != NULL)
        utf8_truncate(match, FL_MAX_VALUE);
    if (rc == 0)
        rc = route_to(sp, f, n, cat, match, operand, dest);
    free(operand);
    free(match);
    json_decref(ctx);
    return rc;
}

/* --- the sprint loop ---------------------------------------------------- */

static int
begin_wait(struct sprint *sp, const struct flow *f, const struct fl_node *n)
{
    struct flow_session *s = sp->s;
    int64_t minutes =
        f->expire_minutes ? f->expire_minutes : FL_DEFAULT_EXPIRE_MIN;
    json_t *ev = json_pack("{s:s}", "type", "msg_wait");
    bool ok = ev != NULL;

    s->status = FLOW_WAITING;
    s->timeout_at = n->timeout_s > 0 ? sp->now + n->timeout_s * 1000 : 0;
    s->expires_at = sp->now + minutes * 60000;
    if (ok && n->timeout_s > 0)
        ctx_set(ev, "timeout_seconds", json_integer(n->timeout_s), &ok);
    if (ok && n->hint != NULL)
        ctx_set(ev, "hint", json_string(n->hint), &ok);
    if (!ok) {
        json_decref(ev);
        ev = NULL;
    }
    return emit(sp, ev);
}

static int
fail_sprint(struct sprint *sp, const char *text)
{
    int rc = emit(sp, json_pack("{s:s,s:s}", "type", "failure", "text", text));

    return rc ? rc : end_all(sp, RUN_FAILED);
}

/*
 * Visits node idx of the top run: runs its actions, then waits or routes.
 * Sets *dest to the next node (-1: the run is done), or *stop when the
 * sprint ends here (a wait, a child run, a terminal enter_flow).
 */
static int
visit(struct sprint *sp, int idx, int *dest, const struct flow **child,
      bool *terminal, bool *stop)
{
    struct run *r = top(sp->s);
    const struct flow *f = run_flow(sp, r);
    const struct fl_node *n = &f->nodes[idx];
    json_t *ctx = NULL;
    int rc = 0;

    free(r->node_uuid);
    r->node_uuid = strdup(n->uuid);
    if (r->node_uuid == NULL) {
        sk_seterr(sp->err, "out of memory");
        return SK_ENOMEM;
    }
    *dest = -1;
    *stop = false;
    *child = NULL;
    *terminal = false;
    for (size_t i = 0; i < n->nactions && rc == 0; i++) {
        const struct fl_action *a = &n->actions[i];

        json_decref(ctx);
        ctx = build_context(sp, f);
        if (ctx == NULL) {
            sk_seterr(sp->err, "out of memory");
            rc = SK_ENOMEM;
            break;
        }
        switch (a->type) {
        case FA_SEND_MSG:
        case FA_SAY_MSG:
            rc = act_send(sp, f, ctx, a);
            break;
        case FA_PLAY_AUDIO:
            rc = act_play(sp, f, ctx, a);
            break;
        case FA_SET_RUN_RESULT:
            rc = act_result(sp, f, ctx, n, a);
            break;
        case FA_SET_CONTACT_LANGUAGE:
            rc = act_language(sp, ctx, a);
            break;
        case FA_SET_CONTACT_FIELD:
            rc = act_field(sp, ctx, a);
            break;
        case FA_ENTER_FLOW: {
            const json_t *ref = json_object_get(a->json, "flow");
            const char *id = json_string_value(json_object_get(ref, "uuid"));

            *child = flow_set_find(sp->set, id);
            if (*child == NULL || strcmp((*child)->type, f->type) != 0) {
                const char *name =
                    json_string_value(json_object_get(ref, "name"));
                char msg[256];

                if (*child == NULL)
                    snprintf(msg, sizeof(msg), "Unable to find flow '%.64s'",
                             name ? name
                             : id ? id
                                  : "");
                else
                    snprintf(msg, sizeof(msg),
                             "Can't enter flow[uuid=%.40s,name=%.64s] of type "
                             "%s from type %s",
                             (*child)->uuid, (*child)->name, (*child)->type,
                             f->type);
                *child = NULL;
                json_decref(ctx);
                *stop = true;
                return fail_sprint(sp, msg);
            }
            *terminal = json_is_true(json_object_get(a->json, "terminal"));
            if (*terminal)
                i = n->nactions; /* nothing after a terminal enter_flow */
            break;
        }
        }
    }
    json_decref(ctx);
    if (rc != 0 || *child != NULL) {
        *stop = *child != NULL;
        return rc;
    }
    if (n->wait) {
        /* goflow: a message trigger answers a wait on the very first node */
        bool answered =
            sp->s->input_pending && sp->s->nruns == 1 && sp->steps == 1;

        sp->s->input_pending = false;
        if (answered)
            return pick_exit(sp, f, n, dest);
        *stop = true;
        return begin_wait(sp, f, n);
    }
    return pick_exit(sp, f, n, dest);
}

/* After a child run ended: routes the run below it on @child. */
static int
resume_parent(struct sprint *sp, int *dest)
{
    struct run *r = top(sp->s);
    const struct flow *f = run_flow(sp, r);
    int idx = f ? fl_node_index(f, r->node_uuid) : -1;

    if (idx < 0) {
        sk_seterr(sp->err, "parent run of flow %s lost its node", r->flow_uuid);
        return SK_ESTATE;
    }
    sp->s->status = FLOW_IDLE;
    return pick_exit(sp, f, &f->nodes[idx], dest);
}

/* Starts child flow f on top of the stack (or alone when terminal). */
static int
enter_child(struct sprint *sp, const struct flow *f, bool terminal)
{
    int rc;

    if (terminal) {
        rc = end_all(sp, RUN_COMPLETED);
        if (rc != 0)
            return rc;
    } else if (sp->s->nruns >= FL_MAX_DEPTH) {
        return fail_sprint(sp, "too many nested flows");
    }
    rc = push_run(sp, f);
    if (rc != 0)
        return rc;
    sp->s->status = FLOW_IDLE;
    return 0;
}

/*
 * Moves the top run to node dest (-1: its end) and keeps going until a
 * wait, the end of the last run, or a failure.
 */
static int
run_loop(struct sprint *sp, int dest)
{
    int rc = 0;

    for (;;) {
        struct run *r = top(sp->s);
        const struct flow *f, *child = NULL;
        bool terminal = false, stop = false;

        if (r == NULL)
            return 0;
        f = run_flow(sp, r);
        if (f == NULL) {
            sk_seterr(sp->err, "flow %s is no longer loaded", r->flow_uuid);
            return SK_ENOENT;
        }
        if (dest < 0 && r->node_uuid == NULL && f->nnodes > 0) {
            dest = 0; /* a new run starts at its first node */
        } else if (dest < 0) {
            /* the run is done; the one below resumes on @child */
            rc = end_run(sp, RUN_COMPLETED);
            if (rc != 0 || sp->s->nruns == 0)
                return rc;
            rc = resume_parent(sp, &dest);
            if (rc != 0)
                return rc;
            continue;
        }
        if (sp->steps >= FL_MAX_STEPS) {
            char msg[80];

            snprintf(msg, sizeof(msg),
                     "Reached maximum number of steps per sprint (%d)",
                     FL_MAX_STEPS);
            return fail_sprint(sp, msg);
        }
        sp->steps++;
        rc = visit(sp, dest, &dest, &child, &terminal, &stop);
        if (rc != 0)
            return rc;
        if (child != NULL) {
            rc = enter_child(sp, child, terminal);
            if (rc != 0 || sp->s->status == FLOW_FAILED)
                return rc;
            dest = -1;
            continue;
        }
        if (stop)
            return 0;
    }
}

static void
sprint_init(struct sprint *sp, const struct flow_set *set,
            struct flow_session *s, int64_t now, json_t *events, char *err)
{
    memset(sp, 0, sizeof(*sp));
    sp->set = set;
    sp->s = s;
    sp->now = now;
    sp->events = events;
    sp->err = err;
    sp->rt.now_ms = now;
    sp->rt.timezone = s->timezone;
    sp->rt.date_format = s->date_format;
    sp->rt.country = s->country;
    sp->rt.tz_rule = s->tz_rule;
}

int
flow_start(const struct flow_set *set, struct flow_session *s,
           const struct flow *f, const char *input, int64_t now, json_t *events,
           char err[SK_ERR_LEN])
{
    struct sprint sp;
    int rc;

    if (set == NULL || s == NULL || f == NULL || events == NULL) {
        sk_seterr(err, "flow_start: missing argument");
        return SK_EINVAL;
    }
    sprint_init(&sp, set, s, now, events, err);
    rc = end_all(&sp, RUN_INTERRUPTED);
    if (rc != 0)
        return rc;
    json_decref(s->child);
    s->child = NULL;
    free(s->input);
    s->input = NULL;
    s->input_pending = false;
    if (input != NULL) {
        s->input = strdup(input);
        if (s->input == NULL) {
            sk_seterr(err, "out of memory");
            return SK_ENOMEM;
        }
        s->input_pending = true;
    }
    s->timeout_at = 0;
    s->expires_at = 0;
    s->status = FLOW_IDLE;
    rc = push_run(&sp, f);
    if (rc == 0)
        rc = run_loop(&sp, -1);
    s->input_pending = false;
    return rc;
}

int
flow_interrupt(struct flow_session *s, int64_t now, json_t *events,
               char err[SK_ERR_LEN])
{
    struct sprint sp;
    int rc;

    if (s == NULL || events == NULL) {
        sk_seterr(err, "flow_interrupt: missing argument");
        return SK_EINVAL;
    }
    if (s->nruns == 0)
        return 0;
    sprint_init(&sp, NULL, s, now, events, err);
    rc = end_all(&sp, RUN_INTERRUPTED);
    s->input_pending = false;
    s->timeout_at = 0;
    s->expires_at = 0;
    return rc;
}

int
flow_resume(const struct flow_set *set, struct flow_session *s,
            const struct flow_resume *r, int64_t now, json_t *events,
            char err[SK_ERR_LEN])
{
    struct sprint sp;
    struct run *run;
    const struct flow *f;
    const struct fl_node *n;
    int dest = -1, idx, rc;

    if (set == NULL || s == NULL || r == NULL || events == NULL) {
        sk_seterr(err, "flow_resume: missing argument");
        return SK_EINVAL;
    }
    if (s->status != FLOW_WAITING || (run = top(s)) == NULL) {
        sk_seterr(err, "session is not waiting");
        return SK_ESTATE;
    }
    sprint_init(&sp, set, s, now, events, err);
    f = run_flow(&sp, run);
    idx = f ? fl_node_index(f, run->node_uuid) : -1;
    if (idx < 0) {
        sk_seterr(err, "waiting flow %s or its node is not loaded",
                  run->flow_uuid);
        return SK_ENOENT;
    }
    n = &f->nodes[idx];
    switch (r->type) {
    case FLOW_RESUME_MSG:
        free(s->input);
        s->input = strdup(r->text ? r->text : "");
        if (s->input == NULL) {
            sk_seterr(err, "out of memory");
            return SK_ENOMEM;
        }
        s->status = FLOW_IDLE;
        rc = pick_exit(&sp, f, n, &dest);
        break;
    case FLOW_RESUME_TIMEOUT:
        if (n->timeout_cat < 0) {
            sk_seterr(err, "the wait has no timeout");
            return SK_ESTATE;
        }
        s->status = FLOW_IDLE;
        /* goflow routes a timeout with an empty value */
        rc = route_to(&sp, f, n, n->timeout_cat, "", "", &dest);
        break;
    case FLOW_RESUME_EXPIRE:
        rc = end_run(&sp, RUN_EXPIRED);
        if (rc != 0 || s->nruns == 0)
            goto out;
        rc = resume_parent(&sp, &dest);
        break;
    default:
        sk_seterr(err, "unknown resume type");
        return SK_EINVAL;
    }
    if (rc == 0)
        rc = run_loop(&sp, dest);
out:
    if (s->status != FLOW_WAITING) {
        s->timeout_at = 0;
        s->expires_at = 0;
    }
    return rc;
}

/* --- storage ------------------------------------------------------------ */

static const char *const session_status_names[] = {
    "idle", "waiting", "completed", "expired", "interrupted", "failed"};

char *
flow_session_dump(const struct flow_session *s)
{
    json_t *root, *runs, *env;
    char prng[24];
    char *out = NULL;

    snprintf(prng, sizeof(prng), "%016llx", (unsigned long long)s->prng);
    runs = json_array();
    root = json_pack("{s:i,s:s?,s:O,s:s,s:s?,s:b,s:I,s:I,s:s,s:O?,s:o}",
                     "version", 1, "language", s->language, "fields", s->fields,
                     "status", session_status_names[s->status], "input",
                     s->input, "input_pending", s->input_pending, "timeout_at",
                     (json_int_t)s->timeout_at, "expires_at",
                     (json_int_t)s->expires_at, "prng", prng, "child", s->child,
                     "runs", runs);
    root = packed(root, "language", s->language);
    root = packed(root, "input", s->input);
    root = packed(root, "child", s->child);
    if (root == NULL)
        return NULL;
    for (size_t i = 0; i < s->nruns; i++) {
        const struct run *r = &s->runs[i];
        json_t *rj = json_pack("{s:s,s:s,s:s?,s:O}", "flow_uuid", r->flow_uuid,
                               "flow_name", r->flow_name, "node_uuid",
                               r->node_uuid, "results", r->results);

        rj = packed(rj, "node_uuid", r->node_uuid);
        if (rj == NULL || json_array_append_new(runs, rj) != 0)
            goto done;
    }
    env = json_pack("{s:s*,s:s*,s:s*,s:s*}", "timezone", s->timezone,
                    "date_format", s->date_format, "country", s->country,
                    "tz_rule", s->tz_rule);
    env = packed(env, "timezone", s->timezone);
    env = packed(env, "date_format", s->date_format);
    env = packed(env, "country", s->country);
    env = packed(env, "tz_rule", s->tz_rule);
    if (json_object_set_new(root, "env", env) != 0)
        goto done;
    out = json_dumps(root, JSON_COMPACT);
done:
    json_decref(root);
    return out;
}

static int
status_from_name(const char *name, const char *const *names, int n)
{
    for (int i = 0; name != NULL && i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

static int
load_run(struct flow_session *s, const json_t *rj, char *err)
{
    const char *uuid = json_string_value(json_object_get(rj, "flow_uuid"));
    const char *name = json_string_value(json_object_get(rj, "flow_name"));
    const json_t *node = json_object_get(rj, "node_uuid");
    json_t *results = json_object_get(rj, "results");
    struct run *r;

    if (uuid == NULL || name == NULL || !json_is_object(results) ||
        (node != NULL && !json_is_null(node) && !json_is_string(node))) {
        sk_seterr(err, "session: run %zu is malformed", s->nruns);
        return SK_EINVAL;
    }
    if (s->nruns == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 4;
        struct run *nr = realloc(s->runs, ncap * sizeof(*nr));

        if (nr == NULL)
            goto nomem;
        s->runs = nr;
        s->cap = ncap;
    }
    r = &s->runs[s->nruns];
    memset(r, 0, sizeof(*r));
    r->flow_uuid = strdup(uuid);
    r->flow_name = strdup(name);
    r->node_uuid =
        json_is_string(node) ? strdup(json_string_value(node)) : NULL;
    r->results = json_deep_copy(results);
    if (r->flow_uuid == NULL || r->flow_name == NULL || r->results == NULL ||
        (json_is_string(node) && r->node_uuid == NULL)) {
        run_clear(r);
        goto nomem;
    }
    s->nruns++;
    return 0;
nomem:
    sk_seterr(err, "out of memory");
    return SK_ENOMEM;
}

/* The session's contact fields from v; 0 or SK_EINVAL with err set. */
static int
load_fields(struct flow_session *s, json_t *v, char err[SK_ERR_LEN])
{
    const char *key;
    json_t *fv;

    if (!json_is_object(v)) {
        sk_seterr(err, "session: fields is not an object");
        return SK_EINVAL;
    }
    json_object_foreach(v, key, fv)
    {
        if (json_is_null(fv))
            continue; /* no value, as goflow stores an unset field */
        if (!json_is_string(fv) || json_object_set(s->fields, key, fv) != 0) {
            sk_seterr(err, "session: field %s is not text", key);
            return SK_EINVAL;
        }
    }
    return 0;
}

struct flow_session *
flow_session_load(const char *json, char err[SK_ERR_LEN])
{
    struct flow_session *s = NULL;
    json_error_t jerr;
    json_t *root = NULL, *v, *runs;
    const char *prng;
    char *end;
    size_t i;
    int st;

    if (json == NULL) {
        sk_seterr(err, "session: no JSON");
        return NULL;
    }
    root = json_loads(json, 0, &jerr);
    if (root == NULL) {
        sk_seterr(err, "session: invalid JSON at line %d: %s", jerr.line,
                  jerr.text);
        return NULL;
    }
    if (!json_is_object(root) ||
        json_integer_value(json_object_get(root, "version")) != 1) {
        sk_seterr(err, "session: not a session (version 1)");
        goto fail;
    }
    v = json_object_get(root, "language");
    if (v != NULL && !json_is_null(v) && !json_is_string(v)) {
        sk_seterr(err, "session: language is not text");
        goto fail;
    }
    s = flow_session_new(json_string_value(v), 0);
    if (s == NULL) {
        sk_seterr(err, "out of memory");
        goto fail;
    }
    if (load_fields(s, json_object_get(root, "fields"), err) != 0)
        goto fail;
    st = status_from_name(json_string_value(json_object_get(root, "status")),
                          session_status_names, 6);
    if (st < 0) {
        sk_seterr(err, "session: unknown status");
        goto fail;
    }
    s->status = (enum flow_status)st;
    v = json_object_get(root, "input");
    if (json_is_string(v) &&
        (s->input = strdup(json_string_value(v))) == NULL) {
        sk_seterr(err, "out of memory");
        goto fail;
    }
    s->input_pending = json_is_true(json_object_get(root, "input_pending"));
    s->timeout_at = json_integer_value(json_object_get(root, "timeout_at"));
    s->expires_at = json_integer_value(json_object_get(root, "expires_at"));
    prng = json_string_value(json_object_get(root, "prng"));
    if (prng == NULL || prng[0] == '\0') {
        sk_seterr(err, "session: no prng state");
        goto fail;
    }
    s->prng = strtoull(prng, &end, 16);
    if (*end != '\0') {
        sk_seterr(err, "session: bad prng state");
        goto fail;
    }
    v = json_object_get(root, "child");
    if (json_is_object(v)) {
        s->child = json_deep_copy(v);
        if (s->child == NULL) {
            sk_seterr(err, "out of memory");
            goto fail;
        }
    }
    v = json_object_get(root, "env");
    if (v != NULL &&
        (!json_is_object(v) ||
         flow_session_set_env(
             s, json_string_value(json_object_get(v, "timezone")),
             json_string_value(json_object_get(v, "date_format")),
             json_string_value(json_object_get(v, "country"))) != 0 ||
         flow_session_set_tz_rule(
             s, json_string_value(json_object_get(v, "tz_rule"))) != 0)) {
        sk_seterr(err, "session: bad env");
        goto fail;
    }
    runs = json_object_get(root, "runs");
    if (!json_is_array(runs) || json_array_size(runs) > FL_MAX_DEPTH + 1) {
        sk_seterr(err, "session: runs is not a list");
        goto fail;
    }
    json_array_foreach(runs, i, v)
    {
        if (load_run(s, v, err) != 0)
            goto fail;
    }
    if (s->status == FLOW_WAITING &&
        (s->nruns == 0 || s->runs[s->nruns - 1].node_uuid == NULL)) {
        sk_seterr(err, "session: waiting without a run at a node");
        goto fail;
    }
    json_decref(root);
    return s;
fail:
    flow_session_free(s);
    json_decref(root);
    return NULL;
}
