/*
 * twilio.c - Twilio Programmable Messaging.
 *
 * Inbound: Twilio POSTs its documented form fields (MessageSid, AccountSid,
 * From, To, Body, NumMedia, ...) to /c/NAME/receive. The request is taken
 * only when X-Twilio-Signature is Twilio's signature of the URL it called
 * ([server] public_url followed by the path and query as received) and
 * of every POST parameter, and when AccountSid is the configured one; a
 * JSON body is signed through the URL's bodySHA256 parameter instead.
 * Replies go back synchronously as TwiML; messages sent later (timeouts,
 * referrals) go through the REST Messages API, with a StatusCallback
 * whose reports (MessageSid, MessageStatus) come back to /c/NAME/status,
 * signed in the same way. Voice calls: twilio_voice.c.
 *
 * Pure: no I/O, no clock. Any thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "channels.h"
#include "sig.h"
#include "text.h"
#include "voicexml.h"

#define TWILIO_API "https://api.twilio.com"

/* The parameters of a request: the form body, or a JSON body's members. */
static int
twilio_pairs(const struct channel_request *req, struct channel_pairs *p,
             bool *json, char err[SK_ERR_LEN])
{
    *json = channel_content_type_is(req->content_type, "application/json");
    if (*json)
        return channel_pairs_json(p, req->body, req->body_len, err);
    if (req->content_type != NULL &&
        !channel_content_type_is(req->content_type,
                                 "application/x-www-form-urlencoded")) {
        sk_seterr(err, "unsupported content type (Twilio posts a form)");
        return SK_EINVAL;
    }
    return channel_pairs_form(p, req->body, req->body_len, err);
}

static int
twilio_verify(const struct config_channel *ch,
              const struct channel_request *req)
{
    struct channel_pairs p = {0};
    struct sig_param *params = NULL;
    const char *signature, *sid;
    char err[SK_ERR_LEN] = "", *url = NULL;
    bool json, dup, ok = false;
    size_t i;

    signature = req->header != NULL
                    ? req->header(req->header_arg, "X-Twilio-Signature")
                    : NULL;
    if (signature == NULL || signature[0] == '\0' || ch->auth_token == NULL ||
        ch->auth_token[0] == '\0' || req->uri == NULL || req->uri[0] != '/')
        return SK_EDENIED;
    if ((url = channel_public_url(ch, req->uri)) == NULL)
        return SK_EDENIED;
    if (twilio_pairs(req, &p, &json, err) != 0)
        goto out;
    if (json) {
        /* the body is signed through bodySHA256 in the signed URL */
        ok = sig_twilio_body_ok(url, req->body, req->body_len) &&
             sig_twilio_verify(ch->auth_token, url, NULL, 0, signature);
    } else {
        params = calloc(p.n + 1, sizeof(*params));
        if (params == NULL)
            goto out;
        for (i = 0; i < p.n; i++) {
            params[i].key = p.v[i].key;
            params[i].value = p.v[i].value;
        }
        ok = sig_twilio_verify(ch->auth_token, url, params, p.n, signature);
    }
    /* a request signed with our token for another account is not ours */
    sid = channel_pairs_get(&p, "AccountSid", &dup);
    if (ok && (sid == NULL || dup || ch->account_sid == NULL ||
               strcmp(sid, ch->account_sid) != 0))
        ok = false;
out:
    free(params);
    free(url);
    channel_pairs_clear(&p);
    return ok ? 0 : SK_EDENIED;
}

static int
twilio_parse(const struct config_channel *ch, const struct channel_request *req,
             struct sk_inbound *in, char err[SK_ERR_LEN])
{
    static const char *const id_keys[] = {"MessageSid", "SmsMessageSid",
                                          "SmsSid"};
    struct channel_pairs p = {0};
    const char *from = NULL, *body = NULL, *id = NULL;
    bool json;
    size_t i;
    int rc;

    (void)ch;
    memset(in, 0, sizeof(*in));
    if ((rc = twilio_pairs(req, &p, &json, err)) != 0)
        goto out;
    if ((rc = channel_pairs_text(&p, "From", &from, err)) != 0 ||
        (rc = channel_pairs_text(&p, "Body", &body, err)) != 0)
        goto out;
    for (i = 0; id == NULL && i < sizeof(id_keys) / sizeof(*id_keys); i++)
        if ((rc = channel_pairs_text(&p, id_keys[i], &id, err)) != 0)
            goto out;
    rc = SK_EINVAL;
    if (from == NULL || from[0] == '\0') {
        sk_seterr(err, "missing \"From\"");
        goto out;
    }
    if (id == NULL || id[0] == '\0') {
        sk_seterr(err, "missing \"MessageSid\"");
        goto out;
    }
    if (strlen(id) > CHANNEL_MAX_ID) {
        sk_seterr(err, "\"MessageSid\" is too long");
        goto out;
    }
    /* an unescaped "+1..." arrives as " 1...": take the + back */
    if (from[0] == ' ' && from[1] >= '0' && from[1] <= '9')
        ((char *)from)[0] = '+';
    if (strncmp(from, "tel:", 4) == 0)
        from += 4;
    if (strchr(from, ':') != NULL) {
        /* whatsapp:, messenger:, ... are other channels */
        sk_seterr(err, "\"From\" is not a phone number");
        goto out;
    }
    if (strlen(from) > CHANNEL_MAX_URN - 5) {
        sk_seterr(err, "\"From\" is too long");
        goto out;
    }
    rc = SK_ENOMEM;
    in->urn = malloc(strlen(from) + 5);
    in->text = strdup(body != NULL ? body : "");
    in->external_id = strdup(id);
    if (in->urn == NULL || in->text == NULL || in->external_id == NULL) {
        channel_inbound_clear(in);
        goto out;
    }
    memcpy(in->urn, "tel:", 4);
    strcpy(in->urn + 4, from);
    rc = 0;
out:
    channel_pairs_clear(&p);
    return rc;
}

/* --- TwiML ----------------------------------------------------------------
 */

static int
twilio_render(const struct config_channel *ch, const char *const *texts,
              size_t n, struct channel_reply *out)
{
    struct sk_buf b = {0};
    size_t i;

    (void)ch;
    sk_buf_str(&b, VOICEXML_HEAD "<Response>");
    for (i = 0; i < n; i++) {
        sk_buf_str(&b, "<Message>");
        voicexml_text(&b, texts[i]);
        sk_buf_str(&b, "</Message>");
    }
    sk_buf_str(&b, "</Response>");
    return voicexml_reply(&b, out);
}

/* --- sending through the Messages API ------------------------------------
 */

static bool
twilio_can_send(const struct config_channel *ch)
{
    return ch->number != NULL && ch->number[0] != '\0' &&
           ch->account_sid != NULL && ch->auth_token != NULL;
}

static int
twilio_build(void *arg, const char *channel, const char *address,
             const char *text, int64_t id, struct httpc_req *req)
{
    const struct config_channel *ch = arg;
    char *path = NULL, *callback = NULL;
    const char *kv[8];
    size_t len;
    int rc;

    (void)id;
    memset(req, 0, sizeof(*req));
    if (ch == NULL || !twilio_can_send(ch))
        return SK_EINVAL;
    /* the SID goes into the path: only letters and digits are taken */
    if (strspn(ch->account_sid,
               "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
               "qrstuvwxyz0123456789") != strlen(ch->account_sid))
        return SK_EINVAL;
    len = strlen(ch->account_sid) + sizeof("/2010-04-01/Accounts//Messages"
                                           ".json");
    if ((path = malloc(len)) == NULL)
        return SK_ENOMEM;
    snprintf(path, len, "/2010-04-01/Accounts/%s/Messages.json",
             ch->account_sid);
    callback = channel_status_url(ch, channel);
    kv[0] = "To";
    kv[1] = channel_address_number(address);
    kv[2] = "From";
    kv[3] = ch->number;
    kv[4] = "Body";
    kv[5] = text;
    kv[6] = "StatusCallback";
    kv[7] = callback; /* left out without a public_url */
    rc = channel_post_form(req, channel_api_url(ch, TWILIO_API, path), kv, 4,
                           NULL, NULL);
    free(path);
    free(callback);
    if (rc != 0)
        return rc;
    req->user = strdup(ch->account_sid);
    req->password = strdup(ch->auth_token);
    if (req->user == NULL || req->password == NULL) {
        outbox_req_free(NULL, req);
        return SK_ENOMEM;
    }
    req->timeout_ms = ch->cfg != NULL ? ch->cfg->outbox_timeout_ms : 0;
    return 0;
}

/* A static reason for the log from Twilio's error code. */
static const char *
twilio_error_reason(long long code)
{
    switch (code) {
    case 21610:
        return "recipient has opted out at Twilio (21610)";
    case 21211:
        return "invalid To number (21211)";
    case 21212:
        return "invalid From number (21212)";
    case 21408:
        return "no permission to send to that region (21408)";
    case 21612:
        return "Twilio cannot route to that number (21612)";
    case 21614:
        return "To is not a mobile number (21614)";
    case 20003:
        return "authentication failed (20003)";
    case 20404:
        return "account or resource not found (20404)";
    default:
        return "refused by Twilio";
    }
}

static void
twilio_result(void *arg, const char *channel, const struct httpc_resp *resp,
              struct outbox_result *res)
{
    json_t *root = NULL;
    const char *sid;

    (void)arg;
    if (resp->status >= 200 && resp->status < 300) {
        res->verdict = OUTBOX_SENT;
        res->reason = "accepted by Twilio";
        root = json_loadb(resp->body, resp->body_len, 0, NULL);
        sid = json_string_value(json_object_get(root, "sid"));
        if (sid != NULL && strlen(sid) < OUTBOX_EXTID_MAX)
            strcpy(res->external_id, sid);
        json_decref(root);
        return;
    }
    if (resp->status == 0 || resp->status == 408 || resp->status == 429 ||
        resp->status >= 500) {
        outbox_default_result(arg, channel, resp, res);
        return;
    }
    res->verdict = OUTBOX_FAILED;
    root = json_loadb(resp->body, resp->body_len, 0, NULL);
    res->reason = twilio_error_reason(
        json_is_integer(json_object_get(root, "code"))
            ? json_integer_value(json_object_get(root, "code"))
            : 0);
    json_decref(root);
}

/* --- status callbacks -----------------------------------------------------
 */

static int
twilio_parse_status(const struct config_channel *ch,
                    const struct channel_request *req,
                    struct channel_status *st, char err[SK_ERR_LEN])
{
    static const struct channel_dlr_state states[] = {
        {"queued", OUTBOX_DLR_DELIVERED, false},
        {"accepted", OUTBOX_DLR_DELIVERED, false},
        {"scheduled", OUTBOX_DLR_DELIVERED, false},
        {"sending", OUTBOX_DLR_DELIVERED, false},
        {"sent", OUTBOX_DLR_DELIVERED, false},
        {"delivered", OUTBOX_DLR_DELIVERED, true},
        {"read", OUTBOX_DLR_DELIVERED, true},
        {"undelivered", OUTBOX_DLR_FAILED, true},
        {"failed", OUTBOX_DLR_FAILED, true},
        {"canceled", OUTBOX_DLR_FAILED, true},
    };
    struct channel_pairs p = {0};
    const char *sid = NULL, *state = NULL;
    bool json;
    int rc;

    (void)ch;
    memset(st, 0, sizeof(*st));
    if ((rc = twilio_pairs(req, &p, &json, err)) != 0)
        goto out;
    if ((rc = channel_pairs_text(&p, "MessageSid", &sid, err)) != 0 ||
        (rc = channel_pairs_text(&p, "MessageStatus", &state, err)) != 0)
        goto out;
    rc = SK_EINVAL;
    if (sid == NULL || sid[0] == '\0') {
        sk_seterr(err, "missing \"MessageSid\"");
        goto out;
    }
    if (strlen(sid) >= OUTBOX_EXTID_MAX) {
        sk_seterr(err, "\"MessageSid\" is too long");
        goto out;
    }
    if (state == NULL || state[0] == '\0') {
        sk_seterr(err, "missing \"MessageStatus\"");
        goto out;
    }
    rc = SK_ENOENT; /* receiving, received, ...: not about our sends */
    if (channel_dlr_lookup(states, sizeof(states) / sizeof(*states), state,
                           st)) {
        strcpy(st->external_id, sid);
        rc = 0;
    }
out:
    channel_pairs_clear(&p);
    return rc;
}

static int
twilio_check(const struct config_channel *ch, char reason[SK_ERR_LEN])
{
    if (ch->cfg == NULL || ch->cfg->public_url == NULL) {
        sk_seterr(reason, "type twilio needs [server] public_url (Twilio "
                          "signs the URL it calls)");
        return SK_EINVAL;
    }
    return 0;
}

static const struct channel_key twilio_keys[] = {
    CHANNEL_KEY("number", CHANNEL_KEY_TEXT, number, false, NULL),
    CHANNEL_KEY("account_sid", CHANNEL_KEY_TEXT, account_sid, true, NULL),
    CHANNEL_KEY("auth_token", CHANNEL_KEY_TEXT, auth_token, true, NULL),
    CHANNEL_VOICE_KEYS,
};

/* Recordings are fetched with the account's credentials (needed when
 * the account protects its media with HTTP basic auth). */
static void
twilio_media_auth(const struct config_channel *ch, const char **user,
                  const char **password)
{
    *user = ch->account_sid;
    *password = ch->auth_token;
}

const struct channel_type channel_twilio = {
    .type = "twilio",
    .keys = twilio_keys,
    .n_keys = sizeof(twilio_keys) / sizeof(twilio_keys[0]),
    .media_host = "api.twilio.com",
    .media_auth = twilio_media_auth,
    .media_drop_url = twilio_media_drop_url,
    .check = twilio_check,
    .verify = twilio_verify,
    .denied_as = "bad signature",
    .uses_api_url = true,
    .parse = twilio_parse,
    .render = twilio_render,
    .render_error = channel_render_error_text,
    .can_send = twilio_can_send,
    .build_send = twilio_build,
    .send_result = twilio_result,
    .idempotent_send = false,
    .sync_reply = true,
    .parse_status = twilio_parse_status,
    .parse_call = twilio_parse_call,
    .render_call = twilio_render_call,
};
