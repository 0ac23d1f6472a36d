/*
 * legacy_ctx.c - context references of legacy expressions in the current
 * syntax, as goflow maps them: @contact.x is a field (@fields.x) unless x
 * is a property or a URN scheme, @flow.x is a result (@results.x),
 * @step.value the input, @extra.x the legacy_extra object, @date.today
 * today's date, and so on. A reference no mapping knows stays as it was.
 *
 * The mappings are matched by hand on the lowercased path: each is a
 * small pattern (a fixed prefix, one word, a fixed suffix). A numeric
 * step (".1", ".2factor") becomes a ["..."] lookup. Pure: no I/O, no
 * globals.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "legacy_int.h"

/* URN schemes, as goflow knows them (its URN package). */
static const char *const schemes[] = {
    "discord",    "mailto",    "ext",      "facebook", "fcm",
    "freshchat",  "instagram", "jiochat",  "line",     "tel",
    "rocketchat", "slack",     "telegram", "twitter",  "twitterid",
    "viber",      "vk",        "webchat",  "wechat",   "whatsapp",
};

bool
legacy_is_scheme(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(schemes) / sizeof(*schemes); i++)
        if (strlen(schemes[i]) == n && strncmp(schemes[i], s, n) == 0)
            return true;
    return false;
}

/* Whether s[0..n) is \w+ (ASCII letters, digits, underscore). */
static bool
is_word(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return false;
    return true;
}

/* When s starts with prefix, returns what follows it; else NULL. */
static const char *
after(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);

    return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

/* The contact mappings: [flow.|step.][parent.|child.]contact[.x]. */
static bool
map_contact(struct sk_buf *o, const char *p)
{
    static const char *const props[] = {"uuid",       "id",         "name",
                                        "first_name", "created_on", "language"};
    const char *q = p, *rest, *dot;
    char pfx[8] = "";

    if (after(q, "flow.") != NULL || after(q, "step.") != NULL)
        q += 5;
    if (after(q, "parent.") != NULL || after(q, "child.") != NULL) {
        size_t n = (size_t)(strchr(q, '.') - q) + 1;

        memcpy(pfx, q, n);
        pfx[n] = '\0';
        q += n;
    }
    if (strcmp(q, "contact") == 0) {
        sk_buf_printf(o, "%scontact", pfx);
        return true;
    }
    if ((rest = after(q, "contact.")) == NULL)
        return false;
    for (size_t i = 0; i < sizeof(props) / sizeof(*props); i++)
        if (strcmp(rest, props[i]) == 0) {
            sk_buf_printf(o, "%scontact.%s", pfx, rest);
            return true;
        }
    if (strcmp(rest, "groups") == 0)
        sk_buf_printf(o, "join(%scontact.groups, \",\")", pfx);
    else if (strcmp(rest, "tel_e164") == 0)
        sk_buf_printf(o, "default(urn_parts(%surns.tel).path, \"\")", pfx);
    else if (strcmp(rest, "tel") == 0)
        sk_buf_printf(o, "format_urn(%surns.tel)", pfx);
    else if (legacy_is_scheme(rest, strlen(rest)))
        sk_buf_printf(o, "default(urn_parts(%surns.%s).path, \"\")", pfx, rest);
    else if ((dot = strchr(rest, '.')) != NULL &&
             legacy_is_scheme(rest, (size_t)(dot - rest))) {
        int n = (int)(dot - rest);

        if (strcmp(dot, ".display") == 0)
            sk_buf_printf(o, "format_urn(%surns.%.*s)", pfx, n, rest);
        else if (strcmp(dot, ".path") == 0 || strcmp(dot, ".scheme") == 0)
            sk_buf_printf(o, "urn_parts(%surns.%.*s)%s", pfx, n, rest, dot);
        else if (strcmp(dot, ".urn") == 0)
            sk_buf_printf(o, "%surns.%.*s", pfx, n, rest);
        else
            return false;
    } else if (is_word(rest, strlen(rest)))
        sk_buf_printf(o, "%sfields.%s", pfx, rest);
    else
        return false;
    return true;
}

/*
 * A run's results: "" -> to, ".w" -> to.w, ".w.value", ".w.category"
 * (category_localized), ".w.text" (input), ".w.time" (created_on).
 */
static bool
map_results(struct sk_buf *o, const char *rest, const char *to)
{
    static const char *const sfx[][2] = {{"", ""},
                                         {".value", ".value"},
                                         {".category", ".category_localized"},
                                         {".text", ".input"},
                                         {".time", ".created_on"}};
    const char *dot;
    size_t n;

    if (*rest == '\0') {
        sk_buf_str(o, to);
        return true;
    }
    if (*rest++ != '.')
        return false;
    dot = strchr(rest, '.');
    n = dot != NULL ? (size_t)(dot - rest) : strlen(rest);
    if (!is_word(rest, n))
        return false;
    for (size_t i = 0; i < sizeof(sfx) / sizeof(*sfx); i++)
        if (strcmp(rest + n, sfx[i][0]) == 0) {
            sk_buf_printf(o, "%s.%.*s%s", to, (int)n, rest, sfx[i][1]);
            return true;
        }
    return false;
}

static bool
map_step(struct sk_buf *o, const char *p)
{
    const char *r;

    if (strcmp(p, "step") == 0 || strcmp(p, "step.value") == 0)
        sk_buf_str(o, "input");
    else if (strcmp(p, "step.text") == 0)
        sk_buf_str(o, "input.text");
    else if (strcmp(p, "step.time") == 0)
        sk_buf_str(o, "input.created_on");
    else if (strcmp(p, "step.attachments") == 0)
        sk_buf_str(o, "foreach(foreach(input.attachments, attachment_parts), "
                      "extract, \"url\")");
    else if ((r = after(p, "step.attachments.")) != NULL && *r != '\0' &&
             strspn(r, "0123456789") == strlen(r))
        sk_buf_printf(o, "attachment_parts(input.attachments[%s]).url", r);
    else
        return false;
    return true;
}

static bool
map_other(struct sk_buf *o, const char *p, bool raw_dates)
{
    static const char *const dates[][2] = {
        {"date.today", "today()"},
        {"date.tomorrow", "datetime_add(now(), 1, \"D\")"},
        {"date.yesterday", "datetime_add(now(), -1, \"D\")"}};
    const char *r;

    if (strcmp(p, "channel") == 0 || strcmp(p, "channel.address") == 0 ||
        strcmp(p, "channel.tel") == 0 || strcmp(p, "channel.tel_e164") == 0) {
        sk_buf_str(o, "contact.channel.address");
        return true;
    }
    if (strcmp(p, "channel.name") == 0) {
        sk_buf_str(o, "contact.channel.name");
        return true;
    }
    if (strcmp(p, "date") == 0 || strcmp(p, "date.now") == 0) {
        sk_buf_str(o, "now()");
        return true;
    }
    for (size_t i = 0; i < sizeof(dates) / sizeof(*dates); i++)
        if (strcmp(p, dates[i][0]) == 0) {
            sk_buf_printf(o, raw_dates ? "%s" : "format_date(%s)", dates[i][1]);
            return true;
        }
    if (strcmp(p, "extra") == 0) {
        sk_buf_str(o, "legacy_extra");
        return true;
    }
    if ((r = after(p, "extra.")) != NULL && *r != '\0' &&
        strspn(r, "abcdefghijklmnopqrstuvwxyz0123456789_.") == strlen(r)) {
        sk_buf_printf(o, "legacy_extra.%s", r);
        return true;
    }
    return false;
}

/* Appends s with each ".<digit>..." step as a ["<digit>..."] lookup. */
static void
fix_lookups(struct sk_buf *o, const char *s)
{
    while (*s != '\0') {
        if (*s == '.' && isdigit((unsigned char)s[1])) {
            size_t n = 1;

            while (isalnum((unsigned char)s[n]) || s[n] == '_')
                n++;
            sk_buf_printf(o, "[\"%.*s\"]", (int)(n - 1), s + 1);
            s += n;
        } else
            sk_buf_addc(o, *s++);
    }
}

static bool
map_path(struct sk_buf *m, const char *p, bool raw_dates)
{
    const char *r;

    if (map_contact(m, p))
        return true;
    if ((r = after(p, "flow")) != NULL && map_results(m, r, "results"))
        return true;
    if ((r = after(p, "child")) != NULL && map_results(m, r, "child.results"))
        return true;
    if ((r = after(p, "parent")) != NULL && map_results(m, r, "parent.results"))
        return true;
    if ((r = after(p, "extra.flow")) != NULL &&
        map_results(m, r, "parent.results"))
        return true;
    return map_step(m, p) || map_other(m, p, raw_dates);
}

void
legacy_ctx_ref(struct sk_buf *o, const char *path, size_t n, bool raw_dates)
{
    struct sk_buf low = {0}, m = {0};
    char *p, *ms;

    for (size_t i = 0; i < n; i++)
        sk_buf_addc(&low, (char)tolower((unsigned char)path[i]));
    if ((p = sk_buf_take(&low)) == NULL) {
        o->fail = true;
        return;
    }
    if (!map_path(&m, p, raw_dates)) {
        sk_buf_str(o, p);
        free(p);
        return;
    }
    free(p);
    if ((ms = sk_buf_take(&m)) == NULL) {
        o->fail = true;
        return;
    }
    fix_lookups(o, ms);
    free(ms);
}
