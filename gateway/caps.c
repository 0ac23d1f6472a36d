/*
 * caps.c - abuse limits on sending, and the SMS cost of flow texts.
 *
 * The contact-day cap counts what the store already keeps instead of a
 * counter of its own: the replies recorded with each inbound row (a JSON
 * array) and the outbox rows, over the last 24 hours. Both live in the
 * same transaction as the messages being capped, so the count is exact
 * and survives restarts. The channel-minute cap is a fixed one-minute
 * window per channel, kept in memory by the writer thread (the only one
 * that runs store jobs); a restart forgets it, which a minute-long window
 * can afford. A job that rolls back has still used its share of the
 * minute: the cap errs on the side of sending less.
 *
 * Texts are measured without their expressions, as goflow's template
 * scanner sees them: "@(...)" blocks, "@root.path" references (roots as
 * goflow's context has them) and "@@" for a literal "@"; any other "@"
 * is text. What the expressions will print is unknown, so such a text
 * takes "at least" its literal size.
 *
 * Safeguarding replies are never dropped by either cap: a child in danger
 * who has used up the day's messages still gets the referral and the
 * helpline. They are counted like any other (they are stored like any
 * other), and take the room of messages that can wait.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caps.h"
#include "config.h"
#include "flow.h"
#include "log.h"
#include "utf8.h"

#define MS_PER_DAY    86400000LL
#define MS_PER_MINUTE 60000LL
#define MAX_LANGS     64 /* languages told apart in a file summary */

static const char *const cap_names[CAPS_COUNT] = {
    [CAPS_PER_INBOUND] = "per_inbound",
    [CAPS_CONTACT_DAY] = "contact_day",
    [CAPS_CHANNEL_MINUTE] = "channel_minute",
};

struct caps {
    const struct config *cfg;
    int64_t minute[CONFIG_MAX_CHANNELS]; /* the window: unix minute */
    int sent[CONFIG_MAX_CHANNELS];       /* messages in that window */
};

const char *
caps_name(enum caps_kind cap)
{
    return cap < CAPS_COUNT ? cap_names[cap] : "unknown";
}

struct caps *
caps_new(const struct config *cfg)
{
    struct caps *c = calloc(1, sizeof(*c));

    if (c != NULL)
        c->cfg = cfg;
    return c;
}

void
caps_free(struct caps *c)
{
    free(c);
}

int
caps_sent_since(struct store_tx *tx, const char *contact_key, int64_t since_ms,
                int64_t *n)
{
    return store_caps_count_since(tx, contact_key, since_ms, n);
}

/* Whether text names the helpline: its digits (at least 3, as hdigits
 * holds them) in a row, spaces, dots and dashes between them allowed. */
static bool
names_helpline(const char *text, const char *hdigits)
{
    size_t n = strlen(hdigits);

    if (text == NULL || n < 3)
        return false;
    for (const char *p = text; *p != '\0'; p++) {
        const char *q = p;
        size_t i = 0;

        while (i < n && *q != '\0') {
            if (*q == hdigits[i]) {
                i++;
                q++;
            } else if (i > 0 && (*q == ' ' || *q == '.' || *q == '-')) {
                q++;
            } else {
                break;
            }
        }
        if (i == n)
            return true;
    }
    return false;
}

/* Whether the cap must keep texts[i] (see caps_apply_safe()). */
static bool
is_safe(const json_t *texts, size_t i, bool all_safe, const char *hdigits)
{
    return all_safe ||
           names_helpline(json_string_value(json_array_get(texts, i)), hdigits);
}

/* Drops texts from the end until at most keep are left, skipping those
 * the cap must keep (they may leave more than keep); returns how many
 * were dropped. */
static size_t
keep_first(json_t *texts, size_t keep, bool all_safe, const char *hdigits)
{
    size_t dropped = 0, i = json_array_size(texts);

    while (json_array_size(texts) > keep && i > 0) {
        i--;
        if (is_safe(texts, i, all_safe, hdigits))
            continue;
        json_array_remove(texts, i);
        dropped++;
    }
    return dropped;
}

int
caps_apply(struct caps *c, struct store_tx *tx, size_t ch,
           const char *contact_key, json_t *texts, int64_t now_ms,
           uint64_t capped[CAPS_COUNT])
{
    return caps_apply_safe(c, tx, ch, contact_key, texts, now_ms, false, NULL,
                           capped);
}

int
caps_apply_safe(struct caps *c, struct store_tx *tx, size_t ch,
                const char *contact_key, json_t *texts, int64_t now_ms,
                bool all_safe, const char *helpline,
                uint64_t capped[CAPS_COUNT])
{
    const struct config *cfg = c->cfg;
    const char *chname = ch < cfg->n_channels ? cfg->channels[ch].name : "-";
    char hdigits[32];
    int64_t sent = 0, room;
    size_t n = json_array_size(texts), dropped, o = 0;
    int rc;

    if (n == 0)
        return 0;
    for (const char *p = helpline; p != NULL && *p != '\0'; p++)
        if (*p >= '0' && *p <= '9' && o + 1 < sizeof(hdigits))
            hdigits[o++] = *p;
    hdigits[o] = '\0';
    rc = caps_sent_since(tx, contact_key, now_ms - MS_PER_DAY, &sent);
    if (rc != 0)
        return rc;
    room = cfg->max_replies_per_contact_day - sent;
    dropped = keep_first(texts, room > 0 ? (size_t)room : 0, all_safe, hdigits);
    if (dropped > 0) {
        capped[CAPS_CONTACT_DAY] += dropped;
        sk_log(LOG_WARNING, "caps",
               "channel=%s contact=%.8s dropped=%zu cap=%s (%d a day)", chname,
               contact_key, dropped, cap_names[CAPS_CONTACT_DAY],
               cfg->max_replies_per_contact_day);
    }
    if (ch >= cfg->n_channels || ch >= CONFIG_MAX_CHANNELS)
        return 0;
    if (c->minute[ch] != now_ms / MS_PER_MINUTE) {
        c->minute[ch] = now_ms / MS_PER_MINUTE;
        c->sent[ch] = 0;
    }
    room = cfg->max_sends_per_channel_minute - c->sent[ch];
    dropped = keep_first(texts, room > 0 ? (size_t)room : 0, all_safe, hdigits);
    c->sent[ch] += (int)json_array_size(texts);
    if (dropped > 0) {
        capped[CAPS_CHANNEL_MINUTE] += dropped;
        sk_log(LOG_WARNING, "caps",
               "channel=%s contact=%.8s dropped=%zu cap=%s (%d a minute)",
               chname, contact_key, dropped, cap_names[CAPS_CHANNEL_MINUTE],
               cfg->max_sends_per_channel_minute);
    }
    return 0;
}

/* --- segments ------------------------------------------------------------ */

/* Top-level names of goflow's template context. */
static const char *const roots[] = {
    "child",  "contact", "fields", "globals", "input",   "legacy_extra",
    "locals", "node",    "parent", "resume",  "results", "run",
    "ticket", "trigger", "urns",   "webhook", "flow",
};

static bool
is_name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '_';
}

/* Length of the expression at p (just after an '@'), 0 when none. */
static size_t
expr_len(const char *p)
{
    size_t n = 0, i;
    int depth = 0;
    char quote = 0;

    if (*p == '(') {
        for (n = 0; p[n] != '\0'; n++) {
            if (quote != 0) {
                if (p[n] == '\\' && p[n + 1] != '\0')
                    n++;
                else if (p[n] == quote)
                    quote = 0;
            } else if (p[n] == '"') {
                quote = p[n];
            } else if (p[n] == '(') {
                depth++;
            } else if (p[n] == ')' && --depth == 0) {
                return n + 1;
            }
        }
        return n; /* unclosed: the rest is the expression */
    }
    while (is_name_char(p[n]))
        n++;
    for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
        if (strlen(roots[i]) == n && strncasecmp(p, roots[i], n) == 0)
            break;
    if (n == 0 || i == sizeof(roots) / sizeof(roots[0]))
        return 0;
    while (p[n] == '.' && is_name_char(p[n + 1]))
        for (n++; is_name_char(p[n]); n++)
            ;
    return n;
}

int
caps_measure(const char *text, struct caps_segments *out)
{
    char *lit = malloc(strlen(text) + 1);
    struct gsm_info gi;
    const char *p;
    size_t o = 0, n;
    int rc;

    memset(out, 0, sizeof(*out));
    if (lit == NULL)
        return -1;
    for (p = text; *p != '\0';) {
        if (p[0] == '@' && p[1] == '@') {
            lit[o++] = '@';
            p += 2;
        } else if (p[0] == '@' && (n = expr_len(p + 1)) > 0) {
            out->at_least = true;
            p += 1 + n;
        } else {
            lit[o++] = *p++;
        }
    }
    lit[o] = '\0';
    rc = gsm_measure(lit, &gi);
    if (rc == 0) {
        out->coding = gi.coding;
        out->segments = gi.segments;
        out->chars = sk_utf8_count(lit);
    }
    free(lit);
    return rc == 0 ? 0 : -1;
}

struct report {
    FILE *out;
    const char *path;
    const char *flow;
    int max;
    size_t messages, over, most;
    bool most_at_least;
    char *langs[MAX_LANGS];
    size_t n_langs;
};

static void
note_lang(struct report *r, const char *lang)
{
    size_t i;

    for (i = 0; i < r->n_langs; i++)
        if (strcmp(r->langs[i], lang) == 0)
            return;
    if (r->n_langs < MAX_LANGS && (r->langs[r->n_langs] = strdup(lang)))
        r->n_langs++;
}

static void
describe(char *buf, size_t len, const struct caps_segments *m)
{
    snprintf(buf, len, "%s%zu segment%s (%s, %zu%s chars)",
             m->at_least ? "at least " : "", m->segments,
             m->segments == 1 ? "" : "s",
             m->coding == GSM_CODING_GSM7 ? "GSM-7" : "UCS-2", m->chars,
             m->at_least ? "+" : "");
}

static void
report_message(void *arg, const char *node, const char *lang, const char *text)
{
    struct report *r = arg;
    struct caps_segments m;
    char what[96];

    lang = lang != NULL ? lang : "und";
    r->messages++;
    note_lang(r, lang);
    if (text == NULL || caps_measure(text, &m) != 0)
        return;
    if (m.segments > r->most || (m.segments == r->most && !m.at_least)) {
        r->most_at_least = m.segments > r->most ? m.at_least : false;
        r->most = m.segments;
    }
    if (m.segments <= (size_t)r->max)
        return;
    r->over++;
    describe(what, sizeof(what), &m);
    if (r->out != NULL)
        fprintf(r->out, "%s: flow \"%s\": node %s: %s: %s\n", r->path, r->flow,
                node != NULL ? node : "-", lang, what);
    else /* the log names the node by its uuid alone: no flow text there */
        sk_log(LOG_WARNING, "flows",
               "flow \"%s\" node %s language %s: %s, over max_segments %d",
               r->flow,
               node == NULL                     ? "-"
               : strstr(node, "(uuid ") != NULL ? strstr(node, "(uuid ")
                                                : node,
               lang, what, r->max);
}

static size_t
report_flows(struct report *r, const struct flow_set *set, size_t first,
             size_t last)
{
    size_t i;

    for (i = first; i < last && i < flow_set_count(set); i++) {
        const struct flow *f = flow_set_at(set, i);

        r->flow = flow_name(f);
        flow_each_message(f, report_message, r);
    }
    for (i = 0; i < r->n_langs; i++)
        free(r->langs[i]);
    return r->over;
}

size_t
caps_report_file(FILE *out, const char *path, const struct flow_set *set,
                 size_t first, size_t last, int max_segments)
{
    struct report r = {.out = out, .path = path, .max = max_segments};
    size_t over, langs;

    report_flows(&r, set, first, last);
    over = r.over;
    langs = r.n_langs;
    fprintf(out, "%s: %zu message%s, %zu language%s, most segments: %s%zu",
            path, r.messages, r.messages == 1 ? "" : "s", langs,
            langs == 1 ? "" : "s", r.most_at_least ? "at least " : "", r.most);
    if (over > 0)
        fprintf(out, "; %zu over %d", over, max_segments);
    fputc('\n', out);
    return over;
}

size_t
caps_log_long_texts(const struct flow_set *set, int max_segments)
{
    struct report r = {.out = NULL, .path = "", .max = max_segments};

    return report_flows(&r, set, 0, flow_set_count(set));
}
