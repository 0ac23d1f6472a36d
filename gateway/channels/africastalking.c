/*
 * africastalking.c - Africa's Talking: SMS, delivery reports and USSD.
 *
 * SMS. Africa's Talking POSTs each incoming message as a form (from, to,
 * text, id, date, linkId, networkCode) to the callback URL, which carries
 * ?secret=...; it takes no reply in the response, so the receive request
 * is answered 200 with an empty body once the message is stored, and the
 * flow's messages go through the outbox: POST {api_url}/version1/messaging
 * with the apiKey header and a form (username, to, message, from when a
 * short code is configured). bulkSMSMode is always 1: the account pays,
 * never the child (0 is for premium services that bill the subscriber).
 *
 * Answers of the messaging API: 201 with SMSMessageData.Recipients[0],
 * whose statusCode 100 (processed), 101 (sent) and 102 (queued) mean the
 * message was accepted, with its messageId; 401 (risk hold), 405
 * (insufficient balance), 407 (could not route), 500 and 501 are worth
 * another attempt; other codes (invalid sender or number, blacklist, do
 * not disturb, rejected by the gateway) fail the row. HTTP statuses are
 * classified as outbox_default_result() does.
 *
 * Delivery reports come as a form (id, status, phoneNumber, networkCode,
 * failureReason, retryCount) to /c/NAME/status?secret=...: Success is
 * delivered; Failed, Rejected, Expired and AbsentSubscriber are final
 * failures; Sent, Submitted and Buffered are interim.
 *
 * USSD. Each step of a session is a form (sessionId, serviceCode,
 * phoneNumber, networkCode, text) to /c/NAME/ussd?secret=...; text holds
 * every answer of the session so far, joined by "*". The answer is
 * text/plain starting "CON " (the child types the next answer) or "END ".
 *
 * USSD pages. The messages a step sends may not fit one screen (see
 * CHANNEL_USSD_MAX in channel.h). They are never cut: channel_ussd_paginate()
 * lays them out on pages, breaking between messages first and between words
 * inside a message longer than a screen (before a menu option's number when
 * one is in reach, so "3" and "Not very safe" share a page); every page but
 * the last ends with a "00 More" line in the child's language. The gateway
 * stores the pages and shows the next one when the child answers the more
 * key.
 *
 * Pure; any thread.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "channels.h"
#include "gsm.h"
#include "text.h"
#include "utf8.h"

#define AT_DEFAULT_API     "https://api.africastalking.com"
#define AT_MESSAGING       "/version1/messaging"
#define AT_BALANCE_WAIT_MS (10 * 60 * 1000) /* after "insufficient balance" */

/* --- shared --------------------------------------------------------------- */

/* Frees the decoded values, wiping them first (they may hold a number). */
static void
fields_wipe(struct channel_field *f, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (f[i].value != NULL)
            explicit_bzero(f[i].value, f[i].len);
    channel_fields_clear(f, n);
}

/* Decodes the form body into fields; SK_EINVAL for other content types, a
 * key given twice or a value that is not UTF-8. */
static int
decode_form(const struct channel_request *req, struct channel_field *f,
            size_t n, char err[SK_ERR_LEN])
{
    size_t i;
    int rc;

    if (req->content_type != NULL &&
        !channel_content_type_is(req->content_type,
                                 "application/x-www-form-urlencoded")) {
        sk_seterr(err, "unsupported content type (expected a form)");
        return SK_EINVAL;
    }
    if ((rc = channel_form_decode(req->body, req->body_len, f, n, err)) != 0)
        return rc;
    for (i = 0; i < n; i++)
        if (f[i].value != NULL && !text_valid_utf8(f[i].value, f[i].len)) {
            sk_seterr(err, "\"%s\" is not valid UTF-8", f[i].name);
            fields_wipe(f, n);
            return SK_EINVAL;
        }
    return 0;
}

/* "tel:" + number, taking back a "+" that came unescaped (as a space).
 * NULL with err set (SK_EINVAL) or not (SK_ENOMEM). */
static char *
make_urn(char *number, const char *name, char err[SK_ERR_LEN])
{
    char *urn;

    if (number == NULL || number[0] == '\0') {
        sk_seterr(err, "missing \"%s\"", name);
        return NULL;
    }
    if (number[0] == ' ' && number[1] >= '0' && number[1] <= '9')
        number[0] = '+';
    if (strlen(number) > CHANNEL_MAX_URN - 5) {
        sk_seterr(err, "\"%s\" is too long", name);
        return NULL;
    }
    if ((urn = malloc(strlen(number) + 5)) == NULL)
        return NULL;
    memcpy(urn, "tel:", 4);
    strcpy(urn + 4, number);
    return urn;
}

/* --- incoming SMS --------------------------------------------------------- */

enum { SMS_FROM, SMS_TO, SMS_TEXT, SMS_ID, SMS_DATE, SMS_LINK, SMS_NET, SMS_N };

static int
at_parse(const struct config_channel *ch, const struct channel_request *req,
         struct sk_inbound *in, char err[SK_ERR_LEN])
{
    struct channel_field f[SMS_N] = {{.name = "from"},       {.name = "to"},
                                     {.name = "text"},       {.name = "id"},
                                     {.name = "date"},       {.name = "linkId"},
                                     {.name = "networkCode"}};
    int rc;

    (void)ch;
    memset(in, 0, sizeof(*in));
    if ((rc = decode_form(req, f, SMS_N, err)) != 0)
        return rc;
    if (f[SMS_ID].value == NULL || f[SMS_ID].value[0] == '\0') {
        sk_seterr(err, "missing \"id\"");
        goto invalid;
    }
    if (strlen(f[SMS_ID].value) > CHANNEL_MAX_ID) {
        sk_seterr(err, "\"id\" is too long");
        goto invalid;
    }
    in->urn = make_urn(f[SMS_FROM].value, "from", err);
    if (in->urn == NULL)
        goto fail;
    in->text = f[SMS_TEXT].value != NULL ? f[SMS_TEXT].value : strdup("");
    f[SMS_TEXT].value = NULL;
    in->external_id = f[SMS_ID].value;
    f[SMS_ID].value = NULL;
    fields_wipe(f, SMS_N);
    if (in->text == NULL) {
        channel_inbound_clear(in);
        return SK_ENOMEM;
    }
    return 0;
fail:
    fields_wipe(f, SMS_N);
    return err[0] != '\0' ? SK_EINVAL : SK_ENOMEM;
invalid:
    fields_wipe(f, SMS_N);
    return SK_EINVAL;
}

/* --- sending -------------------------------------------------------------- */

static bool
at_can_send(const struct config_channel *ch)
{
    return ch->username != NULL && ch->username[0] != '\0' &&
           ch->api_key != NULL && ch->api_key[0] != '\0';
}

static int
at_build(void *arg, const char *channel, const char *address, const char *text,
         int64_t id, struct httpc_req *req)
{
    const struct config_channel *ch = arg;
    const char *kv[10];

    (void)channel;
    (void)id;
    memset(req, 0, sizeof(*req));
    if (!at_can_send(ch))
        return SK_EINVAL;
    kv[0] = "username";
    kv[1] = ch->username;
    kv[2] = "to";
    kv[3] = channel_address_number(address);
    kv[4] = "message";
    kv[5] = text;
    kv[6] = "from";
    kv[7] = ch->number != NULL && ch->number[0] != '\0' ? ch->number : NULL;
    kv[8] = "bulkSMSMode";
    kv[9] = "1";
    return channel_post_form(req,
                             channel_api_url(ch, AT_DEFAULT_API, AT_MESSAGING),
                             kv, 5, "apiKey", ch->api_key);
}

/* What a Recipients[].statusCode means for the row. */
static enum outbox_verdict
recipient_verdict(long code, const char **reason)
{
    switch (code) {
    case 100:
    case 101:
    case 102:
        *reason = "accepted";
        return OUTBOX_SENT;
    case 401:
        *reason = "risk hold";
        return OUTBOX_RETRY;
    case 405:
        *reason = "insufficient balance";
        return OUTBOX_RETRY;
    case 407:
        *reason = "could not route";
        return OUTBOX_RETRY;
    case 500:
    case 501:
        *reason = "provider error";
        return OUTBOX_RETRY;
    case 402:
        *reason = "invalid sender id";
        return OUTBOX_FAILED;
    case 403:
        *reason = "invalid phone number";
        return OUTBOX_FAILED;
    case 404:
        *reason = "unsupported number type";
        return OUTBOX_FAILED;
    case 406:
        *reason = "user in blacklist";
        return OUTBOX_FAILED;
    case 409:
        *reason = "do not disturb";
        return OUTBOX_FAILED;
    case 502:
        *reason = "rejected by gateway";
        return OUTBOX_FAILED;
    default:
        *reason = "unknown recipient status";
        return OUTBOX_FAILED;
    }
}

static void
at_result(void *arg, const char *channel, const struct httpc_resp *resp,
          struct outbox_result *res)
{
    json_t *root, *rcpt, *code, *mid;
    const char *status;

    if (resp->error != NULL || resp->status < 200 || resp->status > 299) {
        outbox_default_result(arg, channel, resp, res);
        return;
    }
    /* 2xx: the request was taken; the recipient entry says what became of
     * the message. Anything unreadable fails rather than risk a resend. */
    root = json_loadb(resp->body, resp->body_len, 0, NULL);
    rcpt = json_array_get(
        json_object_get(json_object_get(root, "SMSMessageData"), "Recipients"),
        0);
    res->verdict = OUTBOX_FAILED;
    res->reason = "no recipient in the answer";
    if (json_is_object(rcpt)) {
        code = json_object_get(rcpt, "statusCode");
        status = json_string_value(json_object_get(rcpt, "status"));
        if (json_is_integer(code))
            res->verdict =
                recipient_verdict((long)json_integer_value(code), &res->reason);
        else if (status != NULL && strcmp(status, "Success") == 0) {
            res->verdict = OUTBOX_SENT;
            res->reason = "accepted";
        } else
            res->reason = "recipient not accepted";
        if (res->verdict == OUTBOX_SENT) {
            mid = json_object_get(rcpt, "messageId");
            if (json_is_string(mid) &&
                json_string_length(mid) < sizeof(res->external_id) &&
                strcmp(json_string_value(mid), "None") != 0)
                strcpy(res->external_id, json_string_value(mid));
        }
        if (json_is_integer(code) && json_integer_value(code) == 405)
            res->retry_after_ms = AT_BALANCE_WAIT_MS;
    }
    json_decref(root);
}

/* --- delivery reports ----------------------------------------------------- */

static const struct channel_dlr_state dlr_states[] = {
    {"Success", OUTBOX_DLR_DELIVERED, true},
    {"Failed", OUTBOX_DLR_FAILED, true},
    {"Rejected", OUTBOX_DLR_FAILED, true},
    {"Expired", OUTBOX_DLR_FAILED, true},
    {"AbsentSubscriber", OUTBOX_DLR_FAILED, true},
    {"Sent", OUTBOX_DLR_DELIVERED, false},
    {"Submitted", OUTBOX_DLR_DELIVERED, false},
    {"Buffered", OUTBOX_DLR_DELIVERED, false},
};

enum { DLR_ID, DLR_STATUS, DLR_PHONE, DLR_NET, DLR_REASON, DLR_RETRY, DLR_N };

static int
at_parse_status(const struct config_channel *ch,
                const struct channel_request *req, struct channel_status *st,
                char err[SK_ERR_LEN])
{
    struct channel_field f[DLR_N] = {{.name = "id"},
                                     {.name = "status"},
                                     {.name = "phoneNumber"},
                                     {.name = "networkCode"},
                                     {.name = "failureReason"},
                                     {.name = "retryCount"}};
    int rc;

    (void)ch;
    memset(st, 0, sizeof(*st));
    if ((rc = decode_form(req, f, DLR_N, err)) != 0)
        return rc;
    rc = SK_EINVAL;
    if (f[DLR_ID].value == NULL || f[DLR_ID].value[0] == '\0') {
        sk_seterr(err, "missing \"id\"");
        goto out;
    }
    if (f[DLR_ID].len >= sizeof(st->external_id) ||
        strlen(f[DLR_ID].value) != f[DLR_ID].len) {
        sk_seterr(err, "\"id\" is too long");
        goto out;
    }
    if (f[DLR_STATUS].value == NULL) {
        sk_seterr(err, "missing \"status\"");
        goto out;
    }
    if (!channel_dlr_lookup(dlr_states,
                            sizeof(dlr_states) / sizeof(dlr_states[0]),
                            f[DLR_STATUS].value, st)) {
        sk_seterr(err, "unknown \"status\"");
        goto out;
    }
    strcpy(st->external_id, f[DLR_ID].value);
    rc = 0;
out:
    fields_wipe(f, DLR_N);
    return rc;
}

/* --- USSD ----------------------------------------------------------------- */

void
channel_ussd_split(const char *text, const char **answer, size_t *parts)
{
    const char *p, *last = text;
    size_t n = 1;

    if (text == NULL || text[0] == '\0') {
        *answer = "";
        *parts = 0;
        return;
    }
    for (p = text; *p != '\0'; p++)
        if (*p == '*') {
            n++;
            last = p + 1;
        }
    *answer = last;
    *parts = n;
}

/* The external id of a USSD step: "SESSION#PARTS". malloc'd, or NULL. */
static char *
step_id(const char *session, size_t session_len, unsigned long long parts)
{
    int n = snprintf(NULL, 0, "%.*s#%llu", (int)session_len, session, parts);
    char *id = n > 0 ? malloc((size_t)n + 1) : NULL;

    if (id != NULL)
        snprintf(id, (size_t)n + 1, "%.*s#%llu", (int)session_len, session,
                 parts);
    return id;
}

char *
channel_ussd_prev_id(const char *external_id)
{
    const char *hash = strrchr(external_id, '#'), *p;
    unsigned long long parts = 0;

    if (hash == NULL || hash[1] == '\0')
        return NULL;
    for (p = hash + 1; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || p - hash > 18) /* no overflow */
            return NULL;
        parts = parts * 10 + (unsigned long long)(*p - '0');
    }
    if (parts == 0)
        return NULL;
    return step_id(external_id, (size_t)(hash - external_id), parts - 1);
}

enum { USSD_SESSION, USSD_SERVICE, USSD_PHONE, USSD_NET, USSD_TEXT, USSD_N };

static int
at_parse_ussd(const struct config_channel *ch,
              const struct channel_request *req, struct sk_inbound *in,
              bool *start, char err[SK_ERR_LEN])
{
    struct channel_field f[USSD_N] = {{.name = "sessionId"},
                                      {.name = "serviceCode"},
                                      {.name = "phoneNumber"},
                                      {.name = "networkCode"},
                                      {.name = "text"}};
    const char *answer;
    size_t parts;
    int rc;

    (void)ch;
    memset(in, 0, sizeof(*in));
    *start = false;
    if ((rc = decode_form(req, f, USSD_N, err)) != 0)
        return rc;
    rc = SK_EINVAL;
    if (f[USSD_SESSION].value == NULL || f[USSD_SESSION].value[0] == '\0') {
        sk_seterr(err, "missing \"sessionId\"");
        goto out;
    }
    if (strlen(f[USSD_SESSION].value) > CHANNEL_MAX_ID - 24) {
        sk_seterr(err, "\"sessionId\" is too long");
        goto out;
    }
    if ((in->urn = make_urn(f[USSD_PHONE].value, "phoneNumber", err)) == NULL) {
        rc = err[0] != '\0' ? SK_EINVAL : SK_ENOMEM;
        goto out;
    }
    channel_ussd_split(f[USSD_TEXT].value, &answer, &parts);
    rc = SK_ENOMEM;
    if ((in->text = strdup(answer)) == NULL ||
        (in->external_id = step_id(f[USSD_SESSION].value,
                                   strlen(f[USSD_SESSION].value), parts)) ==
            NULL)
        goto out;
    *start = parts == 0;
    rc = 0;
out:
    if (rc != 0)
        channel_inbound_clear(in);
    fields_wipe(f, USSD_N);
    return rc;
}

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

static const struct channel_key africastalking_keys[] = {
    CHANNEL_KEY("secret", CHANNEL_KEY_TEXT, secret, true, NULL),
    CHANNEL_KEY("username", CHANNEL_KEY_TEXT, username, false, NULL),
    CHANNEL_KEY("number", CHANNEL_KEY_TEXT, number, false, NULL),
    CHANNEL_KEY("api_key", CHANNEL_KEY_TEXT, api_key, false, NULL),
    CHANNEL_VOICE_KEYS,
};

const struct channel_type channel_africastalking = {
    .type = "africastalking",
    .keys = africastalking_keys,
    .n_keys = sizeof(africastalking_keys) / sizeof(africastalking_keys[0]),
    .verify = channel_verify_secret,
    .parse = at_parse,
    .render = channel_render_empty,
    .render_error = channel_render_error_text,
    .can_send = at_can_send,
    .build_send = at_build,
    .send_result = at_result,
    .sync_reply = false,
    .parse_status = at_parse_status,
    .parse_ussd = at_parse_ussd,
};
