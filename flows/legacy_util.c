/*
 * legacy_util.c - what the parts of the legacy migration share: the first
 * problem, uuids derived from the flow's (where goflow makes random ones,
 * so that loading is repeatable), templates migrated to JSON strings, and
 * inline translations moved to the flow's localization. Pure: no I/O.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "legacy.h"
#include "legacy_int.h"

void
lg_fail(struct lg *lg, const char *fmt, ...)
{
    va_list ap;

    if (!lg->fail && fmt != NULL) {
        va_start(ap, fmt);
        vsnprintf(lg->err, sizeof(lg->err), fmt, ap);
        va_end(ap);
    }
    lg->fail = true;
}

void
lg_set(struct lg *lg, json_t *obj, const char *key, json_t *v)
{
    /* json_object_set_new() releases v even when it fails */
    if (v == NULL || obj == NULL || json_object_set_new(obj, key, v) != 0) {
        if (obj == NULL)
            json_decref(v);
        lg_fail(lg, "out of memory");
    }
}

json_t *
lg_uuid(struct lg *lg)
{
    uint64_t h[2] = {0xcbf29ce484222325ULL, 0x6c62272e07bb0142ULL};
    unsigned char b[16];
    char out[37], salt[32];
    json_t *u;

    snprintf(salt, sizeof(salt), "legacy/%lu", ++lg->n_uuid);
    for (int k = 0; k < 2; k++) {
        for (const char *c = lg->flow_uuid; *c; c++)
            h[k] = (h[k] ^ (unsigned char)*c) * (0x100000001b3ULL + 2u * k);
        for (const char *c = salt; *c; c++)
            h[k] = (h[k] ^ (unsigned char)*c) * (0x100000001b3ULL + 2u * k);
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
    u = json_string(out);
    if (u == NULL)
        lg_fail(lg, "out of memory");
    return u;
}

json_t *
lg_tpl(struct lg *lg, const char *s, unsigned opts)
{
    char *t = legacy_template(s != NULL ? s : "", opts, NULL);
    json_t *j = t != NULL ? json_string(t) : NULL;

    free(t);
    if (j == NULL)
        lg_fail(lg, "out of memory");
    return j;
}

/* A translation value as text: a string, or "" (null, as goflow reads it). */
static bool
trans_text(const json_t *v, const char **s)
{
    if (json_is_null(v)) {
        *s = "";
        return true;
    }
    *s = json_string_value(v);
    return *s != NULL;
}

const char *
lg_base_text(const struct lg *lg, const json_t *t)
{
    const char *s = NULL;

    if (json_is_string(t))
        return json_string_value(t);
    if (!json_is_object(t))
        return NULL;
    if (json_object_get(t, lg->base) != NULL)
        trans_text(json_object_get(t, lg->base), &s);
    else if (json_object_get(t, "base") != NULL)
        trans_text(json_object_get(t, "base"), &s);
    return s;
}

void
lg_loc_add(struct lg *lg, const char *lang, const char *item, const char *prop,
           json_t *v)
{
    json_t *l = json_object_get(lg->loc, lang), *it;

    if (l == NULL && !lg->fail) {
        l = json_object();
        lg_set(lg, lg->loc, lang, l);
    }
    it = lg->fail ? NULL : json_object_get(l, item);
    if (it == NULL && !lg->fail) {
        it = json_object();
        lg_set(lg, l, item, it);
    }
    if (lg->fail) { /* l and it may be gone */
        json_decref(v);
        return;
    }
    lg_set(lg, it, prop, v);
}

json_t *
lg_trans(struct lg *lg, const json_t *t, const char *item, const char *prop)
{
    const char *lang, *s;
    json_t *v, *base = NULL;

    if (t == NULL || json_is_null(t))
        return lg_tpl(lg, "", 0);
    if (json_is_string(t))
        return lg_tpl(lg, json_string_value(t), 0);
    if (!json_is_object(t)) {
        lg_fail(lg, "%s of %s is not a translation", prop, item);
        return NULL;
    }
    json_object_foreach((json_t *)t, lang, v)
    {
        if (!trans_text(v, &s)) {
            lg_fail(lg, "%s of %s is not text in %s", prop, item, lang);
            break;
        }
        if (strcmp(lang, lg->base) == 0 || strcmp(lang, "base") == 0) {
            if (base == NULL || strcmp(lang, lg->base) == 0) {
                json_decref(base);
                base = lg_tpl(lg, s, 0);
            }
        } else
            lg_loc_add(lg, lang, item, prop,
                       json_pack("[o]", lg_tpl(lg, s, 0)));
    }
    if (lg->fail) {
        json_decref(base);
        return NULL;
    }
    return base != NULL ? base : lg_tpl(lg, "", 0);
}

/* {"uuid", "destination_uuid"} with the destination only if it is a node. */
json_t *
legacy_exit(struct lg *lg, const char *uuid, const char *dest)
{
    json_t *e = json_pack("{s:s}", "uuid", uuid);

    if (dest != NULL && json_object_get(lg->dests, dest) != NULL)
        lg_set(lg, e, "destination_uuid", json_string(dest));
    if (e == NULL)
        lg_fail(lg, "out of memory");
    return e;
}

/* {"type", "position": {"left", "top"}} for the _ui of a node. */
json_t *
legacy_ui(const char *type, const json_t *set)
{
    return json_pack("{s:s, s:{s:I, s:I}}", "type", type, "position", "left",
                     (json_int_t)json_number_value(json_object_get(set, "x")),
                     "top",
                     (json_int_t)json_number_value(json_object_get(set, "y")));
}
