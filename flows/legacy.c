/*
 * legacy.c - a legacy RapidPro flow (before spec 13) migrated to a spec
 * 13.0.0 definition, as goflow's legacy package does.
 *
 * Each action set becomes a node with its actions and one exit; each rule
 * set becomes a node with a router (legacy_rules.c). Translations, which
 * legacy flows keep inline ({"eng": "Hi", "fra": "Salut"}), move to the
 * flow's localization, keyed by the item's uuid. Every template is
 * rewritten in the current expression syntax (legacy_expr.c). The entry
 * node comes first, the others follow by their position, top to bottom.
 * An exit whose destination is no node of the flow loses it.
 *
 * Exports older than RapidPro's version 7 wrap each flow in a
 * "definition" object, with the flow's name, uuid and type beside it:
 * these are unwrapped first. Action sets and actions of the oldest
 * exports may lack a uuid; one is derived from the flow's, as for the
 * uuids goflow makes at random. Pure: no I/O, no globals.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "legacy.h"
#include "legacy_int.h"

/* --- reading ------------------------------------------------------------- */

static const char *
jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* o.key as a string, "" when missing or not a string. */
static const char *
jstr0(const json_t *o, const char *key)
{
    const char *s = jstr(o, key);

    return s != NULL ? s : "";
}

/* --- references ----------------------------------------------------------- */

/*
 * A group or label reference: {"uuid", "name"} when it has a uuid, else
 * {"name_match": name} (a name that starts with @ is a template).
 */
static json_t *
name_ref(struct lg *lg, const json_t *r)
{
    const char *name =
        json_is_string(r) ? json_string_value(r) : jstr0(r, "name");
    json_t *j;

    if (!json_is_string(r) && jstr(r, "uuid") != NULL && *jstr(r, "uuid"))
        j = json_pack("{s:s, s:s}", "uuid", jstr(r, "uuid"), "name", name);
    else if (json_is_string(r) && name[0] == '@')
        j = json_pack("{s:o}", "name_match", lg_tpl(lg, name, 0));
    else
        j = json_pack("{s:s}", "name_match", name);
    if (j == NULL)
        lg_fail(lg, "out of memory");
    return j;
}

/* The references in the list key of a: contacts, or groups and labels. */
static json_t *
ref_list(struct lg *lg, const json_t *a, const char *key, bool contacts)
{
    json_t *out = json_array(), *r;
    size_t i;

    json_array_foreach(json_object_get(a, key), i, r)
    {
        json_t *j = contacts ? json_pack("{s:s, s:s}", "uuid", jstr0(r, "uuid"),
                                         "name", jstr0(r, "name"))
                             : name_ref(lg, r);

        if (j == NULL || json_array_append_new(out, j) != 0)
            lg_fail(lg, "out of memory");
    }
    if (out == NULL)
        lg_fail(lg, "out of memory");
    return out;
}

/* Sets a.key to list when it is not empty (consumes list). */
static void
set_list(struct lg *lg, json_t *a, const char *key, json_t *list)
{
    if (list == NULL)
        lg_fail(lg, "out of memory");
    else if (json_array_size(list) > 0)
        lg_set(lg, a, key, list);
    else
        json_decref(list);
}

/* legacy_vars of a send or trigger-flow: migrated, "@new_contact" apart. */
static json_t *
legacy_vars(struct lg *lg, const json_t *a, bool *create)
{
    json_t *out = json_array(), *v;
    size_t i;

    json_array_foreach(json_object_get(a, "variables"), i, v)
    {
        const char *id = jstr0(v, "id");

        if (create != NULL && strcmp(id, "@new_contact") == 0)
            *create = true;
        else if (json_array_append_new(out, lg_tpl(lg, id, 0)) != 0)
            lg_fail(lg, "out of memory");
    }
    return out;
}

static json_t *
flow_ref(const json_t *a, const char *key)
{
    const json_t *f = json_object_get(a, key);

    return json_pack("{s:s, s:s}", "uuid", jstr0(f, "uuid"), "name",
                     jstr0(f, "name"));
}

/* --- actions -------------------------------------------------------------- */

/* base and relative joined by one "/" (an absolute URL stays as it is). */
static json_t *
url_join(const char *base, const char *rel)
{
    size_t n = strlen(base);

    if (strncmp(rel, "http://", 7) == 0 || strncmp(rel, "https://", 8) == 0)
        return json_string(rel);
    while (n > 0 && base[n - 1] == '/')
        n--;
    while (*rel == '/')
        rel++;
    return json_pack("s#++", base, (int)n, "/", rel);
}

/*
 * The attachments of a reply or send: "type:url" per language (an image
 * when no type is given), a relative url made absolute unless it holds
 * an expression.
 */
static json_t *
media_of(struct lg *lg, const json_t *media)
{
    json_t *out = json_object(), *v;
    const char *lang;

    json_object_foreach((json_t *)media, lang, v)
    {
        const char *s = json_string_value(v), *colon;
        json_t *m;

        if (s == NULL)
            continue;
        colon = strchr(s, ':');
        if (strchr(colon ? colon + 1 : s, '@') != NULL)
            m = json_string(s);
        else {
            json_t *u = url_join(lg->media, colon ? colon + 1 : s);

            m = u == NULL ? NULL
                          : json_pack("s#++", colon ? s : "image",
                                      colon ? (int)(colon - s) : 5, ":",
                                      json_string_value(u));
            json_decref(u);
        }
        lg_set(lg, out, lang, m);
    }
    return out;
}

/*
 * Quick replies [{"eng": "Yes", "fra": "Oui"}, ...] as a list in the base
 * language, the others in the localization ("" where one lacks).
 */
static json_t *
quick_replies(struct lg *lg, const json_t *qrs, const char *item)
{
    json_t *langs = json_object(), *base = NULL, *q, *v, *list;
    const char *lang;
    size_t i, n = json_array_size(qrs);

    json_array_foreach(qrs, i, q)
    {
        json_object_foreach(q, lang, v)
        {
            if (json_object_get(langs, lang) == NULL) {
                list = json_array();
                for (size_t k = 0; k < n && list != NULL; k++)
                    if (json_array_append_new(list, json_string("")) != 0)
                        lg_fail(lg, "out of memory");
                lg_set(lg, langs, lang, list);
            }
            list = json_object_get(langs, lang);
            if (list == NULL ||
                json_array_set_new(list, i,
                                   lg_tpl(lg, json_string_value(v), 0)) != 0)
                lg_fail(lg, "out of memory");
        }
    }
    json_object_foreach(langs, lang, list)
    {
        if (strcmp(lang, lg->base) == 0)
            base = json_incref(list);
        else
            lg_loc_add(lg, lang, item, "quick_replies", json_incref(list));
    }
    if (langs == NULL)
        lg_fail(lg, "out of memory");
    json_decref(langs);
    return base != NULL ? base : json_array();
}

/* reply (send_msg) and send (send_broadcast). */
static json_t *
msg_action(struct lg *lg, const json_t *a, const char *uuid, bool reply)
{
    json_t *out =
        json_pack("{s:s, s:s}", "type", reply ? "send_msg" : "send_broadcast",
                  "uuid", uuid);
    json_t *media = media_of(lg, json_object_get(a, "media"));
    json_t *att = NULL;

    lg_set(lg, out, "text",
           lg_trans(lg, json_object_get(a, "msg"), uuid, "text"));
    if (media != NULL && json_object_size(media) > 0) {
        att = lg_trans(lg, media, uuid, "attachments");
        if (att != NULL && json_string_length(att) > 0)
            lg_set(lg, out, "attachments", json_pack("[O]", att));
        json_decref(att);
    }
    json_decref(media);
    set_list(lg, out, "quick_replies",
             quick_replies(lg, json_object_get(a, "quick_replies"), uuid));
    if (reply && json_is_true(json_object_get(a, "send_all")))
        lg_set(lg, out, "all_urns", json_true());
    if (!reply) {
        set_list(lg, out, "contacts", ref_list(lg, a, "contacts", true));
        set_list(lg, out, "groups", ref_list(lg, a, "groups", false));
        set_list(lg, out, "legacy_vars", legacy_vars(lg, a, NULL));
    }
    return out;
}

static json_t *
save_action(struct lg *lg, const json_t *a, const char *uuid)
{
    const char *field = jstr0(a, "field");
    json_t *v = lg_tpl(lg, jstr0(a, "value"), 0), *out;

    if (v == NULL)
        return NULL;
    if (strcmp(field, "first_name") == 0) {
        struct sk_buf b = {0};
        const char *s = json_string_value(v);
        size_t n = strlen(s);
        char *t;

        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            s++, n--;
        while (n > 0 && strchr(" \t\n\r", s[n - 1]) != NULL)
            n--;
        sk_buf_printf(&b, "%.*s @(word_slice(contact.name, 1, -1))", (int)n, s);
        t = sk_buf_take(&b);
        json_decref(v);
        v = t != NULL ? json_string(t) : NULL;
        free(t);
    }
    if (strcmp(field, "name") == 0 || strcmp(field, "first_name") == 0)
        out = json_pack("{s:s, s:s, s:o}", "type", "set_contact_name", "uuid",
                        uuid, "name", v);
    else if (legacy_is_scheme(field, strlen(field)) ||
             strcmp(field, "tel_e164") == 0)
        out = json_pack("{s:s, s:s, s:s, s:o}", "type", "add_contact_urn",
                        "uuid", uuid, "scheme",
                        strcmp(field, "tel_e164") == 0 ? "tel" : field, "path",
                        v);
    else
        out = json_pack("{s:s, s:s, s:{s:s, s:s}, s:o}", "type",
                        "set_contact_field", "uuid", uuid, "field", "key",
                        field, "name", jstr0(a, "label"), "value", v);
    return out;
}

static json_t *
say_action(struct lg *lg, const json_t *a, const char *uuid)
{
    json_t *out = json_pack("{s:s, s:s}", "type", "say_msg", "uuid", uuid);
    json_t *rec = json_deep_copy(json_object_get(a, "recording")), *v, *url;
    const char *lang;

    lg_set(lg, out, "text",
           lg_trans(lg, json_object_get(a, "msg"), uuid, "text"));
    if (rec == NULL && json_object_get(a, "recording") != NULL)
        lg_fail(lg, "out of memory");
    if (json_is_object(rec))
        json_object_foreach(rec, lang, v)
        {
            if (json_string_length(v) > 0 &&
                json_object_set_new(
                    rec, lang, url_join(lg->media, json_string_value(v))) != 0)
                lg_fail(lg, "out of memory");
        }
    if (rec != NULL && !json_is_null(rec)) {
        url = lg_trans(lg, rec, uuid, "audio_url");
        if (url != NULL && json_string_length(url) > 0)
            lg_set(lg, out, "audio_url", json_incref(url));
        json_decref(url);
    }
    json_decref(rec);
    return out;
}

static json_t *
email_action(struct lg *lg, const json_t *a, const char *uuid)
{
    json_t *emails = json_array(), *e;
    size_t i;

    if (!json_is_string(json_object_get(a, "msg"))) {
        lg_fail(lg, "email action %s has no text", uuid);
        json_decref(emails);
        return NULL;
    }
    json_array_foreach(json_object_get(a, "emails"), i, e)
        json_array_append_new(emails, lg_tpl(lg, json_string_value(e), 0));
    return json_pack("{s:s, s:s, s:o, s:o, s:o}", "type", "send_email", "uuid",
                     uuid, "addresses", emails, "subject",
                     lg_tpl(lg, jstr0(a, "subject"), 0), "body",
                     lg_tpl(lg, jstr0(a, "msg"), 0));
}

static json_t *
session_action(struct lg *lg, const json_t *a, const char *uuid)
{
    json_t *out = json_pack("{s:s, s:s, s:o}", "type", "start_session", "uuid",
                            uuid, "flow", flow_ref(a, "flow"));
    bool create = false;

    set_list(lg, out, "contacts", ref_list(lg, a, "contacts", true));
    set_list(lg, out, "groups", ref_list(lg, a, "groups", false));
    set_list(lg, out, "legacy_vars", legacy_vars(lg, a, &create));
    if (create)
        lg_set(lg, out, "create_contact", json_true());
    return out;
}

static json_t *
group_action(struct lg *lg, const json_t *a, const char *uuid, bool add)
{
    json_t *groups = ref_list(lg, a, "groups", false), *out;

    if (add)
        return json_pack("{s:s, s:s, s:o}", "type", "add_contact_groups",
                         "uuid", uuid, "groups", groups);
    out =
        json_pack("{s:s, s:s}", "type", "remove_contact_groups", "uuid", uuid);
    if (json_array_size(groups) == 0)
        lg_set(lg, out, "all_groups", json_true());
    set_list(lg, out, "groups", groups);
    return out;
}

/* The simple actions: lang, channel, flow, play, add_label. */
static json_t *
simple_action(struct lg *lg, const json_t *a, const char *type,
              const char *uuid)
{
    if (strcmp(type, "lang") == 0)
        return json_pack("{s:s, s:s, s:s}", "type", "set_contact_language",
                         "uuid", uuid, "language", jstr0(a, "lang"));
    if (strcmp(type, "channel") == 0)
        return json_pack("{s:s, s:s, s:{s:s, s:s}}", "type",
                         "set_contact_channel", "uuid", uuid, "channel", "uuid",
                         jstr0(a, "channel"), "name", jstr0(a, "name"));
    if (strcmp(type, "flow") == 0)
        return json_pack("{s:s, s:s, s:o, s:b}", "type", "enter_flow", "uuid",
                         uuid, "flow", flow_ref(a, "flow"), "terminal", 1);
    if (strcmp(type, "play") == 0)
        return json_pack("{s:s, s:s, s:o}", "type", "play_audio", "uuid", uuid,
                         "audio_url", lg_tpl(lg, jstr0(a, "url"), 0));
    if (strcmp(type, "add_label") == 0)
        return json_pack("{s:s, s:s, s:o}", "type", "add_input_labels", "uuid",
                         uuid, "labels", ref_list(lg, a, "labels", false));
    lg_fail(lg, "legacy action type \"%s\" is unknown", type);
    return NULL;
}

/* One legacy action migrated; NULL when lg failed. */
static json_t *
action(struct lg *lg, const json_t *a)
{
    const char *type = jstr0(a, "type"), *uuid = jstr(a, "uuid");
    json_t *du = NULL, *out;

    if (!json_is_object(a)) {
        lg_fail(lg, "an action is not an object");
        return NULL;
    }
    if (uuid == NULL || *uuid == '\0')
        uuid = json_string_value(du = lg_uuid(lg));
    if (uuid == NULL)
        out = NULL;
    else if (strcmp(type, "reply") == 0 || strcmp(type, "send") == 0)
        out = msg_action(lg, a, uuid, strcmp(type, "reply") == 0);
    else if (strcmp(type, "save") == 0)
        out = save_action(lg, a, uuid);
    else if (strcmp(type, "say") == 0)
        out = say_action(lg, a, uuid);
    else if (strcmp(type, "email") == 0)
        out = email_action(lg, a, uuid);
    else if (strcmp(type, "trigger-flow") == 0)
        out = session_action(lg, a, uuid);
    else if (strcmp(type, "add_group") == 0 || strcmp(type, "del_group") == 0)
        out = group_action(lg, a, uuid, strcmp(type, "add_group") == 0);
    else
        out = simple_action(lg, a, type, uuid);
    json_decref(du);
    if (out == NULL)
        lg_fail(lg, "out of memory");
    return out;
}

/* --- nodes and the flow --------------------------------------------------- */

static json_t *
action_set(struct lg *lg, const json_t *as)
{
    json_t *node = json_pack("{s:s}", "uuid", jstr0(as, "uuid"));
    json_t *actions = json_array(), *a, *exit_uuid = NULL;
    const char *eu = jstr(as, "exit_uuid");
    size_t i;

    json_array_foreach(json_object_get(as, "actions"), i, a)
    {
        json_t *m = action(lg, a);

        if (m == NULL || json_array_append_new(actions, m) != 0) {
            lg_fail(lg, "out of memory");
            break;
        }
    }
    set_list(lg, node, "actions", actions);
    if (eu == NULL || *eu == '\0')
        eu = json_string_value(exit_uuid = lg_uuid(lg));
    if (eu != NULL)
        lg_set(lg, node, "exits",
               json_pack("[o]", legacy_exit(lg, eu, jstr(as, "destination"))));
    json_decref(exit_uuid);
    if (lg->fail && lg->err[0] != '\0' &&
        strstr(lg->err, "action set") == NULL) {
        char e[SK_ERR_LEN];

        snprintf(e, sizeof(e), "action set %s: %s", jstr0(as, "uuid"), lg->err);
        memcpy(lg->err, e, sizeof(e));
    }
    return node;
}

/* Adds the nodes of key (action_sets or rule_sets) to nodes and ui. */
static void
add_nodes(struct lg *lg, const json_t *f, bool rules, json_t *nodes, json_t *ui,
          json_t *tops)
{
    const json_t *sets =
        json_object_get(f, rules ? "rule_sets" : "action_sets");
    json_t *set, *node, *un;
    size_t i;

    if (sets != NULL && !json_is_null(sets) && !json_is_array(sets)) {
        lg_fail(lg, "%s is not a list", rules ? "rule_sets" : "action_sets");
        return;
    }
    json_array_foreach(sets, i, set)
    {
        const char *uuid = jstr(set, "uuid");

        if (!json_is_object(set) || uuid == NULL || *uuid == '\0') {
            lg_fail(lg, "%s %zu has no uuid", rules ? "rule set" : "action set",
                    i + 1);
            return;
        }
        un = legacy_ui(rules ? "" : "execute_actions", set);
        node = rules ? legacy_ruleset(lg, set, un) : action_set(lg, set);
        if (json_array_append_new(nodes, node) != 0 ||
            json_array_append_new(tops,
                                  json_integer((json_int_t)json_number_value(
                                      json_object_get(set, "y")))) != 0)
            lg_fail(lg, "out of memory");
        lg_set(lg, ui, uuid, un);
        if (lg->fail)
            return;
    }
}

/* The nodes with the entry first, the rest by their top (a stable sort). */
static json_t *
order_nodes(struct lg *lg, json_t *nodes, const json_t *tops, const char *entry)
{
    size_t n = json_array_size(nodes), k = 0;
    json_t *out = json_array();
    size_t *idx = calloc(n + 1, sizeof(*idx));

    if (out == NULL || idx == NULL) {
        free(idx);
        json_decref(out);
        lg_fail(lg, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (entry != NULL &&
            strcmp(jstr0(json_array_get(nodes, i), "uuid"), entry) == 0)
            json_array_append(out, json_array_get(nodes, i));
        else
            idx[k++] = i;
    for (size_t i = 1; i < k; i++) /* insertion sort: stable */
        for (size_t j = i; j > 0; j--) {
            json_int_t a = json_integer_value(json_array_get(tops, idx[j - 1]));
            json_int_t b = json_integer_value(json_array_get(tops, idx[j]));
            size_t t = idx[j];

            if (a <= b)
                break;
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    for (size_t i = 0; i < k; i++)
        json_array_append(out, json_array_get(nodes, idx[i]));
    free(idx);
    return out;
}

/* The _ui stickies of the flow's notes. */
static json_t *
stickies(struct lg *lg, const json_t *meta)
{
    json_t *out = json_object(), *note;
    size_t i;

    json_array_foreach(json_object_get(meta, "notes"), i, note)
    {
        json_t *u = lg_uuid(lg);

        if (u == NULL)
            break;
        lg_set(
            lg, out, json_string_value(u),
            json_pack("{s:{s:I, s:I}, s:s, s:s, s:s}", "position", "left",
                      (json_int_t)json_number_value(json_object_get(note, "x")),
                      "top",
                      (json_int_t)json_number_value(json_object_get(note, "y")),
                      "title", jstr0(note, "title"), "body",
                      jstr0(note, "body"), "color", "yellow"));
        json_decref(u);
    }
    return out;
}

static const char *
flow_type(const char *legacy)
{
    static const char *const map[][2] = {{"", "messaging"},
                                         {"F", "messaging"},
                                         {"M", "messaging"},
                                         {"V", "voice"},
                                         {"S", "messaging_offline"}};

    for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
        if (strcmp(map[i][0], legacy) == 0)
            return map[i][1];
    return NULL;
}

/* The set of the uuids of every action set and rule set; NULL when out
   of memory. */
static json_t *
destinations(const json_t *f)
{
    static const char *const keys[] = {"action_sets", "rule_sets"};
    json_t *d = json_object(), *s;
    size_t i;

    for (size_t k = 0; k < 2 && d != NULL; k++)
        json_array_foreach(json_object_get(f, keys[k]), i, s)
        {
            if (jstr(s, "uuid") != NULL &&
                json_object_set_new(d, jstr(s, "uuid"), json_true()) != 0) {
                json_decref(d);
                return NULL;
            }
        }
    return d;
}

/* The flow f (unwrapped) migrated. */
static json_t *
migrate_flow(struct lg *lg, const json_t *f)
{
    const json_t *meta = json_object_get(f, "metadata");
    const char *name = jstr(meta, "name"),
               *type = flow_type(jstr0(f, "flow_type"));
    json_t *nodes = json_array(), *ui = json_object(), *tops = json_array();
    json_t *out = NULL, *dests = destinations(f), *ordered = NULL;

    if (name == NULL || *name == '\0')
        name = jstr0(f, "name");
    lg->dests = dests;
    if (nodes == NULL || ui == NULL || tops == NULL || dests == NULL)
        lg_fail(lg, "out of memory");
    if (type == NULL)
        lg_fail(lg, "legacy flow_type \"%s\" is unknown",
                jstr0(f, "flow_type"));
    add_nodes(lg, f, false, nodes, ui, tops);
    if (!lg->fail)
        add_nodes(lg, f, true, nodes, ui, tops);
    if (!lg->fail)
        ordered = order_nodes(lg, nodes, tops, jstr(f, "entry"));
    if (!lg->fail)
        out = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:O, s:o, s:{s:O, s:o}}",
            "uuid", lg->flow_uuid, "name", name, "spec_version", "13.0.0",
            "language", lg->base, "type", type, "revision",
            (json_int_t)json_number_value(json_object_get(meta, "revision")),
            "expire_after_minutes",
            (json_int_t)json_number_value(json_object_get(meta, "expires")),
            "localization", lg->loc, "nodes", ordered, "_ui", "nodes", ui,
            "stickies", stickies(lg, meta));
    else
        json_decref(ordered);
    if (out == NULL && !lg->fail)
        lg_fail(lg, "out of memory");
    json_decref(nodes);
    json_decref(ui);
    json_decref(tops);
    json_decref(dests);
    return out;
}

/* The legacy flow inside a "definition" wrapper, as RapidPro's version 7
   migration flattens it: the wrapper's name, uuid, type and revision go in. */
static json_t *
unwrap(const json_t *def)
{
    static const char *const keys[] = {"name", "uuid", "revision"};
    json_t *f = json_deep_copy(json_object_get(def, "definition"));
    json_t *meta = json_object_get(f, "metadata");
    const char *type = jstr(def, "flow_type");
    int rc = f == NULL ? -1 : 0;

    if (rc == 0 && !json_is_object(meta)) {
        meta = json_object();
        rc = json_object_set_new(f, "metadata", meta);
    }
    if (rc == 0 && jstr(f, "flow_type") == NULL)
        rc = json_object_set_new(f, "flow_type",
                                 json_string(type != NULL ? type : "F"));
    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys) && rc == 0; i++) {
        json_t *v = json_object_get(def, keys[i]);

        if (json_is_string(v) || (i == 2 && json_is_integer(v)))
            rc = json_object_set(meta, keys[i], v);
    }
    if (rc != 0) {
        json_decref(f);
        return NULL;
    }
    return f;
}

static bool
has_legacy_keys(const json_t *f)
{
    return json_object_get(f, "action_sets") != NULL ||
           json_object_get(f, "rule_sets") != NULL ||
           json_object_get(f, "flow_type") != NULL;
}

bool
legacy_is_definition(const json_t *def)
{
    const json_t *w = json_object_get(def, "definition");

    return json_is_object(def) &&
           (has_legacy_keys(def) || (json_is_object(w) && has_legacy_keys(w)));
}

json_t *
legacy_migrate(const json_t *def, const char *base_media_url,
               char err[SK_ERR_LEN])
{
    struct lg lg = {.media = base_media_url ? base_media_url : ""};
    json_t *f, *out = NULL, *fu = NULL;
    const char *uuid;

    if (!legacy_is_definition(def)) {
        sk_seterr(err, "not a legacy flow definition");
        return NULL;
    }
    f = json_is_object(json_object_get(def, "definition"))
            ? unwrap(def)
            : json_incref((json_t *)def);
    lg.loc = json_object();
    if (f == NULL || lg.loc == NULL) {
        lg_fail(&lg, "out of memory");
        goto done;
    }
    lg.base = jstr0(f, "base_language");
    uuid = jstr(json_object_get(f, "metadata"), "uuid");
    if (uuid == NULL || *uuid == '\0')
        uuid = jstr(f, "uuid");
    /* a flow without a uuid gets one derived from its name */
    lg.flow_uuid = jstr(json_object_get(f, "metadata"), "name");
    if (lg.flow_uuid == NULL)
        lg.flow_uuid = jstr0(f, "name");
    if (uuid == NULL || *uuid == '\0')
        uuid = json_string_value(fu = lg_uuid(&lg));
    lg.flow_uuid = uuid != NULL ? uuid : "";
    out = migrate_flow(&lg, f);
done:
    if (lg.fail) {
        sk_seterr(err, "legacy flow: %s", lg.err[0] ? lg.err : "out of memory");
        json_decref(out);
        out = NULL;
    }
    json_decref(fu);
    json_decref(lg.loc);
    json_decref(f);
    return out;
}

/* --- flow ids of old exports ---------------------------------------------- */

/* The id of an export's flow entry: its own, or its metadata's. */
static json_int_t
flow_id(const json_t *f)
{
    const json_t *d = json_object_get(f, "definition");
    const json_t *id = json_object_get(f, "id");

    if (!json_is_integer(id))
        id = json_object_get(json_object_get(d ? d : f, "metadata"), "id");
    return json_is_integer(id) ? json_integer_value(id) : -1;
}

/* The uuid of an export's flow entry: its own, or its metadata's. */
static const char *
flow_uuid_of(const json_t *f)
{
    const json_t *d = json_object_get(f, "definition");
    const char *u = jstr(f, "uuid");

    return u != NULL ? u : jstr(json_object_get(d ? d : f, "metadata"), "uuid");
}

/* Gives ref ({"id": 12, "name": ...}) the uuid of flow 12 when it has none. */
static int
fill_ref(json_t *ref, const json_t *ids)
{
    char key[32];
    const json_t *id = json_object_get(ref, "id");
    const json_t *u;

    if (!json_is_object(ref) || jstr(ref, "uuid") != NULL ||
        !json_is_integer(id))
        return 0;
    snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(id));
    u = json_object_get(ids, key);
    if (u != NULL && json_object_set(ref, "uuid", (json_t *)u) != 0)
        return SK_ENOMEM;
    return 0;
}

/* Fills the flow references of one legacy flow. */
static int
fill_flow(json_t *f, const json_t *ids)
{
    json_t *set, *a;
    size_t i, j;
    int rc = 0;

    json_array_foreach(json_object_get(f, "action_sets"), i, set)
    {
        json_array_foreach(json_object_get(set, "actions"), j, a)
        {
            if (rc == 0)
                rc = fill_ref(json_object_get(a, "flow"), ids);
        }
    }
    json_array_foreach(json_object_get(f, "rule_sets"), i, set)
    {
        if (rc == 0)
            rc = fill_ref(
                json_object_get(json_object_get(set, "config"), "flow"), ids);
    }
    return rc;
}

int
legacy_export_ids(json_t *root)
{
    json_t *flows = json_object_get(root, "flows"), *ids = json_object(), *f;
    size_t i;
    int rc = ids == NULL ? SK_ENOMEM : 0;

    json_array_foreach(flows, i, f)
    {
        char key[32];

        if (rc != 0 || flow_id(f) < 0 || flow_uuid_of(f) == NULL)
            continue;
        snprintf(key, sizeof(key), "%lld", (long long)flow_id(f));
        if (json_object_set_new(ids, key, json_string(flow_uuid_of(f))) != 0)
            rc = SK_ENOMEM;
    }
    json_array_foreach(flows, i, f)
    {
        json_t *d = json_object_get(f, "definition");

        if (rc == 0 && legacy_is_definition(f))
            rc = fill_flow(json_is_object(d) ? d : f, ids);
    }
    json_decref(ids);
    return rc;
}
