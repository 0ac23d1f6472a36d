/*
 * vonage.c - the Vonage (Nexmo) SMS API.
 *
 * Inbound: Vonage calls /c/NAME/receive with msisdn, to, messageId, text,
 * type, keyword, message-timestamp, ... as a GET query, a POST form or a
 * JSON body (as set in its dashboard). When a signature_secret is
 * configured, every request must carry a valid "sig" over all of its
 * parameters (signature_method, md5hash by default). Vonage takes no
 * reply in the webhook response: it is answered 200 with an empty body
 * once stored, and every message goes through the outbox to
 * POST {api_url}/sms/json, with status-report-req=1, our row id as
 * client-ref and a callback to /c/NAME/status, where delivery receipts
 * (messageId, status, client-ref) arrive. Calls: vonage_voice.c.
 *
 * Pure: no I/O, no clock. Any thread.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "channels.h"
#include "gsm.h"
#include "sig.h"
#include "text.h"

#define VONAGE_API "https://rest.nexmo.com"

static int
vonage_verify(const struct config_channel *ch,
              const struct channel_request *req)
{
    struct channel_pairs p = {0};
    struct sig_param *params = NULL;
    char err[SK_ERR_LEN] = "";
    bool ok = false, dup;
    size_t i;

    if (vonage_is_call_request(req))
        return vonage_verify_call(ch, req); /* vonage_voice.c */
    /* No check of the api-key parameter: a number owned by a subaccount
     * sends the subaccount's key, and it is no secret anyway. */
    if (channel_pairs_request(&p, req, err) != 0)
        goto out;
    if (ch->signature_secret == NULL || ch->signature_secret[0] == '\0') {
        ok = true;
        goto out;
    }
    channel_pairs_get(&p, "sig", &dup);
    if (dup)
        goto out;
    if ((params = calloc(p.n + 1, sizeof(*params))) == NULL)
        goto out;
    for (i = 0; i < p.n; i++) {
        params[i].key = p.v[i].key;
        params[i].value = p.v[i].value;
    }
    ok = sig_vonage_verify(ch->signature_method != NULL ? ch->signature_method
                                                        : "md5hash",
                           ch->signature_secret, params, p.n);
out:
    free(params);
    channel_pairs_clear(&p);
    return ok ? 0 : SK_EDENIED;
}

static int
vonage_parse(const struct config_channel *ch, const struct channel_request *req,
             struct sk_inbound *in, char err[SK_ERR_LEN])
{
    struct channel_pairs p = {0};
    const char *msisdn, *id, *text, *type;
    int rc;

    (void)ch;
    memset(in, 0, sizeof(*in));
    if ((rc = channel_pairs_request(&p, req, err)) != 0)
        goto out;
    if ((rc = channel_pairs_text(&p, "msisdn", &msisdn, err)) != 0 ||
        (rc = channel_pairs_text(&p, "messageId", &id, err)) != 0 ||
        (rc = channel_pairs_text(&p, "text", &text, err)) != 0 ||
        (rc = channel_pairs_text(&p, "type", &type, err)) != 0)
        goto out;
    rc = SK_EINVAL;
    if (msisdn == NULL || msisdn[0] == '\0') {
        sk_seterr(err, "missing \"msisdn\"");
        goto out;
    }
    if (id == NULL || id[0] == '\0') {
        sk_seterr(err, "missing \"messageId\"");
        goto out;
    }
    if (strlen(id) > CHANNEL_MAX_ID) {
        sk_seterr(err, "\"messageId\" is too long");
        goto out;
    }
    /* Vonage gives the number in international form without the + (an
     * unescaped + decodes to a space) */
    while (msisdn[0] == '+' || msisdn[0] == ' ')
        msisdn++;
    if (msisdn[0] == '\0' || strspn(msisdn, "0123456789") != strlen(msisdn)) {
        sk_seterr(err, "\"msisdn\" is not a phone number");
        goto out;
    }
    if (strlen(msisdn) > CHANNEL_MAX_URN - 6) {
        sk_seterr(err, "\"msisdn\" is too long");
        goto out;
    }
    /* a binary message (type=binary: data and udh) has no text for us */
    if (type != NULL && strcmp(type, "binary") == 0)
        text = NULL;
    rc = SK_ENOMEM;
    in->urn = malloc(strlen(msisdn) + 6);
    in->text = strdup(text != NULL ? text : "");
    in->external_id = strdup(id);
    if (in->urn == NULL || in->text == NULL || in->external_id == NULL) {
        channel_inbound_clear(in);
        goto out;
    }
    memcpy(in->urn, "tel:+", 5);
    strcpy(in->urn + 5, msisdn);
    rc = 0;
out:
    channel_pairs_clear(&p);
    return rc;
}

/* --- sending --------------------------------------------------------------
 */

static bool
vonage_can_send(const struct config_channel *ch)
{
    return ch->number != NULL && ch->number[0] != '\0' && ch->api_key != NULL &&
           ch->api_secret != NULL;
}

static int
vonage_build(void *arg, const char *channel, const char *address,
             const char *text, int64_t id, struct httpc_req *req)
{
    const struct config_channel *ch = arg;
    char *callback, ref[32];
    const char *kv[18];
    int rc;

    memset(req, 0, sizeof(*req));
    if (ch == NULL || !vonage_can_send(ch))
        return SK_EINVAL;
    address = channel_address_number(address);
    if (address[0] == '+')
        address++;
    snprintf(ref, sizeof(ref), "%" PRId64, id);
    callback = channel_status_url(ch, channel);
    kv[0] = "api_key";
    kv[1] = ch->api_key;
    kv[2] = "api_secret";
    kv[3] = ch->api_secret;
    kv[4] = "from";
    kv[5] = ch->number[0] == '+' ? ch->number + 1 : ch->number;
    kv[6] = "to";
    kv[7] = address;
    kv[8] = "text";
    kv[9] = text;
    kv[10] = "type";
    kv[11] = gsm_is_gsm7(text) ? NULL : "unicode";
    kv[12] = "status-report-req";
    kv[13] = "1";
    kv[14] = "client-ref";
    kv[15] = ref;
    kv[16] = "callback";
    kv[17] = callback; /* left out without a public_url */
    rc = channel_post_form(req, channel_api_url(ch, VONAGE_API, "/sms/json"),
                           kv, 9, NULL, NULL);
    free(callback);
    if (rc != 0)
        return rc;
    req->timeout_ms = ch->cfg != NULL ? ch->cfg->outbox_timeout_ms : 0;
    return 0;
}

/* A message part's status: "0" or 0; -1 when missing. */
static long long
part_status(const json_t *part)
{
    const json_t *v = json_object_get(part, "status");
    const char *s = json_string_value(v);
    char *end;
    long long n;

    if (json_is_integer(v))
        return json_integer_value(v);
    if (s == NULL || s[0] == '\0')
        return -1;
    n = strtoll(s, &end, 10);
    return *end == '\0' && n >= 0 ? n : -1;
}

static const char *
vonage_error_reason(long long status)
{
    switch (status) {
    case 2:
        return "missing parameters (2)";
    case 3:
        return "invalid parameters (3)";
    case 4:
        return "invalid credentials (4)";
    case 6:
        return "invalid message (6)";
    case 7:
        return "number barred (7)";
    case 9:
        return "partner quota exceeded (9)";
    case 15:
        return "invalid sender address (15)";
    case 29:
        return "non-whitelisted destination (29)";
    case 33:
        return "number de-activated (33)";
    default:
        return "refused by Vonage";
    }
}

/*
 * HTTP 200 carries one status per message part. All "0": sent, with the
 * first part's message-id. Throttled (1) or an internal error (5) with no
 * part sent: retry. Any other mix: failed, as a retry would send again
 * the parts that went out.
 */
static void
vonage_result(void *arg, const char *channel, const struct httpc_resp *resp,
              struct outbox_result *res)
{
    const json_t *msgs, *part;
    json_t *root;
    size_t i, sent = 0, again = 0, n;
    long long bad = -1, s;
    const char *mid;

    if (resp->status != 200) {
        outbox_default_result(arg, channel, resp, res);
        return;
    }
    res->verdict = OUTBOX_FAILED;
    res->reason = "unreadable answer from Vonage";
    root = json_loadb(resp->body, resp->body_len, 0, NULL);
    msgs = json_object_get(root, "messages");
    n = json_array_size(msgs);
    for (i = 0; i < n; i++) {
        s = part_status(json_array_get(msgs, i));
        if (s == 0)
            sent++;
        else if (s == 1 || s == 5)
            again++;
        else if (bad < 0)
            bad = s;
    }
    if (n > 0 && sent == n) {
        res->verdict = OUTBOX_SENT;
        res->reason = "accepted by Vonage";
        part = json_array_get(msgs, 0);
        mid = json_string_value(json_object_get(part, "message-id"));
        if (mid != NULL && strlen(mid) < OUTBOX_EXTID_MAX)
            strcpy(res->external_id, mid);
    } else if (n > 0 && again == n) {
        res->verdict = OUTBOX_RETRY;
        res->reason = "throttled by Vonage";
    } else if (n > 0 && sent == 0 && bad >= 0) {
        res->reason = vonage_error_reason(bad);
    } else if (n > 0) {
        res->reason = "some parts refused by Vonage";
    }
    json_decref(root);
}

/* --- delivery receipts ----------------------------------------------------
 */

static int
vonage_parse_status(const struct config_channel *ch,
                    const struct channel_request *req,
                    struct channel_status *st, char err[SK_ERR_LEN])
{
    static const struct channel_dlr_state states[] = {
        {"accepted", OUTBOX_DLR_DELIVERED, false},
        {"buffered", OUTBOX_DLR_DELIVERED, false},
        {"delivered", OUTBOX_DLR_DELIVERED, true},
        {"failed", OUTBOX_DLR_FAILED, true},
        {"rejected", OUTBOX_DLR_FAILED, true},
        {"expired", OUTBOX_DLR_FAILED, true},
    };
    struct channel_pairs p = {0};
    const char *mid, *state, *ref;
    char *end;
    int rc;

    (void)ch;
    memset(st, 0, sizeof(*st));
    if ((rc = channel_pairs_request(&p, req, err)) != 0)
        goto out;
    if ((rc = channel_pairs_text(&p, "messageId", &mid, err)) != 0 ||
        (rc = channel_pairs_text(&p, "status", &state, err)) != 0 ||
        (rc = channel_pairs_text(&p, "client-ref", &ref, err)) != 0)
        goto out;
    rc = SK_EINVAL;
    if (mid == NULL || mid[0] == '\0') {
        sk_seterr(err, "missing \"messageId\"");
        goto out;
    }
    if (strlen(mid) >= OUTBOX_EXTID_MAX) {
        sk_seterr(err, "\"messageId\" is too long");
        goto out;
    }
    if (state == NULL || state[0] == '\0') {
        sk_seterr(err, "missing \"status\"");
        goto out;
    }
    /* "unknown" and anything new: nothing to record */
    if (!channel_dlr_lookup(states, sizeof(states) / sizeof(*states), state,
                            st)) {
        rc = SK_ENOENT;
        goto out;
    }
    strcpy(st->external_id, mid);
    /* our row id, given as client-ref: covers every part's receipt */
    if (ref != NULL && ref[0] >= '1' && ref[0] <= '9' &&
        strspn(ref, "0123456789") == strlen(ref) && strlen(ref) < 19)
        st->row_id = strtoll(ref, &end, 10);
    rc = 0;
out:
    channel_pairs_clear(&p);
    return rc;
}

static const char *
vonage_check_method(const char *value)
{
    static const char *const methods[] = {"md5hash", "md5", "sha1", "sha256",
                                          "sha512"};

    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strcmp(value, methods[i]) == 0)
            return NULL;
    return "is not one of md5hash, md5, sha1, sha256, sha512";
}

static const struct channel_key vonage_keys[] = {
    CHANNEL_KEY("number", CHANNEL_KEY_TEXT, number, false, NULL),
    CHANNEL_KEY("api_key", CHANNEL_KEY_TEXT, api_key, true, NULL),
    CHANNEL_KEY("api_secret", CHANNEL_KEY_TEXT, api_secret, true, NULL),
    CHANNEL_KEY("signature_secret", CHANNEL_KEY_TEXT, signature_secret, false,
                NULL),
    CHANNEL_KEY("signature_method", CHANNEL_KEY_TEXT, signature_method, false,
                vonage_check_method),
    CHANNEL_KEY_VALUE("application_id", CHANNEL_KEY_TEXT, false, NULL),
    CHANNEL_KEY_VALUE("private_key_file", CHANNEL_KEY_TEXT, false, NULL),
    CHANNEL_VOICE_KEYS,
};

const struct channel_type channel_vonage = {
    .type = "vonage",
    .keys = vonage_keys,
    .n_keys = sizeof(vonage_keys) / sizeof(vonage_keys[0]),
    .media_host = "api.nexmo.com",
    .media_key = vonage_media_key,
    .media_key_free = vonage_media_key_free,
    .media_token = vonage_media_token,
    .verify = vonage_verify,
    .denied_as = "bad signature",
    .uses_api_url = true,
    .parse = vonage_parse,
    .render = channel_render_empty,
    .render_error = channel_render_error_text,
    .can_send = vonage_can_send,
    .build_send = vonage_build,
    .send_result = vonage_result,
    .idempotent_send = false,
    .sync_reply = false,
    .allow_get = true,
    .parse_status = vonage_parse_status,
    .parse_call = vonage_parse_call,
    .render_call = vonage_render_call,
};
