/*
 * legacy_int.h - what the files of the legacy migration share
 * (legacy.c: flows and action sets, legacy_rules.c: rule sets and their
 * tests, legacy_util.c: translations, uuids and errors, legacy_expr.c:
 * templates and expressions, legacy_ctx.c: context references). Not a public
 * interface: see legacy.h.
 */
#ifndef SK_LEGACY_INT_H
#define SK_LEGACY_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

/* Whether s[0..n) is a URN scheme goflow knows ("tel", "mailto", ...). */
bool legacy_is_scheme(const char *s, size_t n);

/* Appends the context reference path[0..n) in the current syntax. */
void legacy_ctx_ref(struct sk_buf *o, const char *path, size_t n,
                    bool raw_dates);

/*
 * One legacy flow being migrated: its base language, the localization
 * being built, the node uuids exits may point to, and the first problem.
 */
struct lg {
    const char *base;      /* base language */
    const char *media;     /* base media URL */
    json_t *loc;           /* {lang: {uuid: {prop: [..]}}} */
    const json_t *dests;   /* {uuid: true} of every node */
    const char *flow_uuid; /* seed of derived uuids */
    unsigned long n_uuid;  /* uuids derived so far */
    char err[SK_ERR_LEN];  /* first problem */
    bool fail;             /* err is set, or out of memory */
};

/* Marks the migration failed: the first reason is kept in lg->err. */
void lg_fail(struct lg *lg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sets obj.key to v (stolen); out of memory fails the migration. */
void lg_set(struct lg *lg, json_t *obj, const char *key, json_t *v);

/* A new uuid derived from the flow's uuid and a counter. */
json_t *lg_uuid(struct lg *lg);

/* A template migrated (legacy_template with opts) as a JSON string. */
json_t *lg_tpl(struct lg *lg, const char *s, unsigned opts);

/* Sets the translation of item's prop in lang to v (stolen). */
void lg_loc_add(struct lg *lg, const char *lang, const char *item,
                const char *prop, json_t *v);

/*
 * A legacy translation: {"eng": "Hi", "fra": "Salut"} or a plain string
 * (read as {"base": s}). Adds each language but the base one (and
 * "base") to the localization of item's prop, migrated, and returns the
 * base language's text (or "base"'s), migrated; "" when there is none.
 */
json_t *lg_trans(struct lg *lg, const json_t *t, const char *item,
                 const char *prop);

/* The base language's text of a translation (not migrated), or NULL. */
const char *lg_base_text(const struct lg *lg, const json_t *t);

/* An exit: {"uuid"}, with "destination_uuid" when dest is a node. */
json_t *legacy_exit(struct lg *lg, const char *uuid, const char *dest);

/* The _ui of a node: {"type", "position": {"left": x, "top": y}}. */
json_t *legacy_ui(const char *type, const json_t *set);

/* A node for rule set rs, or NULL when lg failed. */
json_t *legacy_ruleset(struct lg *lg, const json_t *rs, json_t *ui_node);

/* The migrated expression expr[0..n) (no @, no parentheses), malloc'd, or
   NULL with *bad set (syntax) or not (out of memory). */
char *legacy_expr(const char *expr, size_t n, bool raw_dates, bool *bad);

#endif
