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
 * USSD pages: an answer longer than a screen is laid out on pages by
 * channel_ussd_paginate(), in gateway/ussd.c with the rest of the paging.
 *
 * Voice calls: africastalking_voice.c.
 *
 * Pure; any thread.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "channels.h"
#include "text.h"

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
    .denied_as = "bad secret",
    .uses_api_url = true,
    .parse = at_parse,
    .render = channel_render_empty,
    .render_error = channel_render_error_text,
    .can_send = at_can_send,
    .build_send = at_build,
    .send_result = at_result,
    .sync_reply = false,
    .parse_status = at_parse_status,
    .parse_ussd = at_parse_ussd,
    .parse_call = at_parse_call,
    .render_call = at_render_call,
};
