/*
 * ussd.c - USSD paging, in one place: how a USSD answer is laid out on
 * screens (channel_ussd_paginate() and its helpers, declared in
 * channel.h for the provider code and its tests), how the pages of a
 * step are stored in its inbound row and shown on the more key (writer
 * thread, inside the inbound store job), and how a stored answer is
 * rendered as the provider's text/plain reply (event loop).
 *
 * A page is at most one USSD screen (CHANNEL_USSD_MAX GSM-7 units, or
 * CHANNEL_USSD_MAX_UCS2 when a character needs UCS-2). Messages are never
 * cut: the pager breaks between messages first and between words inside
 * a message longer than a screen (before a menu option's number when one
 * is in reach, so "3" and "Not very safe" share a page); every page but
 * the last ends with a "00 More" line in the child's language, the last
 * is "END ..." unless the run waits for the child ("CON ...").
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "channel.h"
#include "flow.h"
#include "gsm.h"
#include "store.h"
#include "ussd.h"
#include "utf8.h"

/* --- USSD pages ----------------------------------------------------------- */

bool
channel_ussd_fits(const char *body)
{
    struct gsm_info info;

    if (gsm_measure(body, &info) != 0)
        return false;
    return info.units <= (info.coding == GSM_CODING_GSM7
                              ? CHANNEL_USSD_MAX
                              : CHANNEL_USSD_MAX_UCS2);
}

const char *
channel_ussd_more_line(const char *lang)
{
    static const struct {
        const char *lang, *text;
    } lines[] = {
        {"eng", CHANNEL_USSD_MORE_KEY " More"},
        {"fra", CHANNEL_USSD_MORE_KEY " Plus"},
        {"ara", CHANNEL_USSD_MORE_KEY " \xd8\xa7\xd9\x84\xd9\x85\xd8\xb2\xd9"
                                      "\x8a\xd8\xaf"},
        {"swa", CHANNEL_USSD_MORE_KEY " Zaidi"},
        /* not "Más": an accent outside GSM-7 would shrink every screen */
        {"spa", CHANNEL_USSD_MORE_KEY " Siguiente"},
    };
    size_t i;

    for (i = 0; lang != NULL && i < sizeof(lines) / sizeof(lines[0]); i++)
        if (strcmp(lines[i].lang, lang) == 0)
            return lines[i].text;
    return lines[0].text;
}

void
channel_ussd_pages_clear(struct channel_ussd_pages *p)
{
    size_t i;

    for (i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

/*
 * The pager works on the messages joined with newlines (text), knowing
 * where each message ends (ends[]). A page is always one slice of text,
 * with the white space at its edges left out, so the layout is a walk
 * from the start: take everything when it fits a last page; else as many
 * whole messages as fit a page with its more line; else as many words of
 * the message as fit; else as many characters (at least one).
 */
struct pager {
    const char *text;
    size_t len;
    const size_t *ends; /* the end of each message in text */
    size_t n;
    bool more;
    const char *more_line;
    size_t more_len;
    char *scratch; /* room for any one page */
    struct channel_ussd_pages *out;
};

static bool
is_space(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* The page holding text[a..b) into p->scratch. */
static const char *
page_body(struct pager *p, size_t a, size_t b, bool last)
{
    char *o = p->scratch;

    while (b > a && is_space(p->text[b - 1]))
        b--;
    memcpy(o, last && !p->more ? "END " : "CON ", 4);
    o += 4;
    memcpy(o, p->text + a, b - a);
    o += b - a;
    if (!last) {
        *o++ = '\n';
        memcpy(o, p->more_line, p->more_len);
        o += p->more_len;
    }
    *o = '\0';
    return p->scratch;
}

static bool
page_fits(struct pager *p, size_t a, size_t b, bool last)
{
    return channel_ussd_fits(page_body(p, a, b, last));
}

static int
page_add(struct pager *p, size_t a, size_t b, bool last)
{
    char **nv = realloc(p->out->v, (p->out->n + 1) * sizeof(*nv));

    if (nv == NULL)
        return SK_ENOMEM;
    p->out->v = nv;
    if ((nv[p->out->n] = strdup(page_body(p, a, b, last))) == NULL)
        return SK_ENOMEM;
    p->out->n++;
    return 0;
}

/* The bytes of the digit at text[i] (0-9, or Arabic-Indic U+0660-U+0669
 * or U+06F0-U+06F9), 0 when there is none before end. */
static size_t
digit_len(const char *text, size_t i, size_t end)
{
    const unsigned char *s = (const unsigned char *)text + i;

    if (i < end && s[0] >= '0' && s[0] <= '9')
        return 1;
    if (i + 1 < end && ((s[0] == 0xd9 && s[1] >= 0xa0 && s[1] <= 0xa9) ||
                        (s[0] == 0xdb && s[1] >= 0xb0 && s[1] <= 0xb9)))
        return 2;
    return 0;
}

/* Whether text[i..end) starts with a menu option's number: one or two
 * digits standing as a word, followed by a word that is not a number
 * ("2 A bit safe", but not "116 111" nor "5," nor "1 2"). */
static bool
is_option(const char *text, size_t i, size_t end)
{
    size_t k, digits;

    for (digits = 0; (k = digit_len(text, i, end)) > 0; digits++)
        i += k;
    if (digits == 0 || digits > 2 || i >= end || !is_space(text[i]))
        return false;
    while (i < end && is_space(text[i]))
        i++;
    return i < end && digit_len(text, i, end) == 0;
}

/*
 * The end of the longest part of text[pos..end) that fits a page with its
 * more line: broken after a word, or else after a character. Among the
 * word breaks that fit, the last one just before a menu option wins, so
 * that an option's number stays with its words ("... 2 A bit safe" then
 * "3 Not very safe ..." rather than "... 3" then "Not very safe ...").
 */
static size_t
page_split(struct pager *p, size_t pos, size_t end)
{
    size_t e = pos, opt = pos, w, next;

    for (w = pos + 1; w < end; w++) {
        if (!is_space(p->text[w]) || is_space(p->text[w - 1]))
            continue;
        if (!page_fits(p, pos, w, false))
            break;
        e = w;
        for (next = w; next < end && is_space(p->text[next]); next++)
            ;
        if (is_option(p->text, next, end))
            opt = w;
    }
    if (opt > pos)
        return opt;
    if (e > pos)
        return e;
    /* one word longer than a screen */
    for (w = pos; w < end;) {
        w++; /* and over the rest of its sequence */
        w += sk_utf8_prefix(p->text + w, end - w, 0);
        if (e > pos && !page_fits(p, pos, w, false))
            break;
        e = w;
    }
    return e;
}

static int
paginate(struct pager *p)
{
    size_t pos = 0, e, i;
    int rc;

    for (;;) {
        while (pos < p->len && is_space(p->text[pos]))
            pos++;
        if (page_fits(p, pos, p->len, true))
            return page_add(p, pos, p->len, true);
        /* pos < len: the message holding it, then whole messages */
        for (i = 0; p->ends[i] <= pos; i++)
            ;
        e = pos;
        for (; i < p->n && page_fits(p, pos, p->ends[i], false); i++)
            e = p->ends[i];
        if (e == pos)
            e = page_split(p, pos, p->ends[i]);
        if ((rc = page_add(p, pos, e, false)) != 0)
            return rc;
        pos = e;
    }
}

int
channel_ussd_paginate(const char *const *texts, size_t n, bool more,
                      const char *goodbye, const char *more_line,
                      struct channel_ussd_pages *out)
{
    struct pager p = {.more = more, .more_line = more_line, .out = out};
    size_t *ends = calloc(n + 1, sizeof(*ends)), len = 0, i, k;
    char *text = NULL;
    int rc = SK_ENOMEM;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < n; i++)
        len += strlen(texts[i]) + 1;
    if (goodbye != NULL)
        len += strlen(goodbye) + 1;
    if (ends == NULL || (text = malloc(len + 1)) == NULL)
        goto out;
    for (i = 0, len = 0; i < n; i++) {
        if (i > 0)
            text[len++] = '\n';
        k = strlen(texts[i]);
        memcpy(text + len, texts[i], k);
        len += k;
        ends[i] = len;
    }
    text[len] = '\0';
    for (k = 0; k < len && is_space(text[k]); k++)
        ;
    if (k == len && !more && goodbye != NULL) {
        /* nothing to show at the end of the session: say goodbye */
        strcpy(text, goodbye);
        len = ends[0] = strlen(goodbye);
        n = 1;
    }
    p.text = text;
    p.len = len;
    p.ends = ends;
    p.n = n;
    p.more_len = strlen(more_line);
    if ((p.scratch = malloc(len + p.more_len + 8)) == NULL)
        goto out;
    rc = paginate(&p);
out:
    if (rc != 0)
        channel_ussd_pages_clear(out);
    free(p.scratch);
    free(text);
    free(ends);
    return rc;
}

/* --- the pages of an inbound step ----------------------------------- */

const char *
ussd_goodbye(const char *lang)
{
    static const struct {
        const char *lang, *text;
    } texts[] = {
        {"eng", "Thank you. Goodbye."},
        {"fra", "Merci. Au revoir."},
        {"ara", "\xd8\xb4\xd9\x83\xd8\xb1\xd8\xa7. \xd9\x85\xd8\xb9 "
                "\xd8\xa7\xd9\x84\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85\xd8\xa9."},
        {"swa", "Asante. Kwaheri."},
        {"spa", "Gracias. Adi\xc3\xb3s."},
    };
    size_t i;

    for (i = 0; lang != NULL && i < sizeof(texts) / sizeof(texts[0]); i++)
        if (strcmp(texts[i].lang, lang) == 0)
            return texts[i].text;
    return texts[0].text;
}

/* The stored answer of a USSD step, as text/plain: the "screen" of the
 * object ussd_store_reply() made, or the one string of the JSON array stored
 * before there were pages. */
int
ussd_render(const char *reply, struct channel_reply *out, size_t *count)
{
    json_t *v = json_loads(reply != NULL ? reply : "", 0, NULL);
    const char *answer = json_is_array(v)
                             ? json_string_value(json_array_get(v, 0))
                             : json_string_value(json_object_get(v, "screen"));

    memset(out, 0, sizeof(*out));
    if (answer == NULL) {
        json_decref(v);
        return SK_EINVAL;
    }
    out->body = strdup(answer);
    json_decref(v);
    if (out->body == NULL)
        return SK_ENOMEM;
    out->code = 200;
    out->content_type = "text/plain; charset=utf-8";
    out->body_len = strlen(out->body);
    *count = 1;
    return 0;
}
