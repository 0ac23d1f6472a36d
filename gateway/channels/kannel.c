/*
 * kannel.c - the Kannel channel: smsbox's sms-service posts each child's
 * message to /c/NAME/receive?secret=S with the parameters RapidPro's Kannel
 * channel uses (sender=%p, message=%b, id=%I, to=%P, ts=%T; coding=%c and
 * charset=%C when configured), by GET or POST, in the query or as a form
 * body. The webhook is answered with an empty 200 once the message is
 * stored; every reply goes through the outbox to smsbox's
 * /cgi-bin/sendsms, and Kannel's delivery reports come back on
 * /c/NAME/status?secret=S&id=ROWID&status=%d.
 *
 * Text. With `mo-recode = true` Kannel turns UCS-2 texts into UTF-8
 * before posting them; without it a UCS-2 text arrives as its UTF-16BE
 * bytes with coding=2 and charset=UTF-16BE, and is decoded here. Replies
 * that fit GSM-7 go as UTF-8 text (charset=UTF-8, Kannel converts);
 * anything else as coding=2 with the UTF-16BE bytes.
 *
 * Ambiguous input is refused with 400: a parameter given twice (also once
 * in the query and once in the body), text that is not valid UTF-8 once
 * decoded. Pure; any thread.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "channels.h"
#include "gsm.h"
#include "hex.h"
#include "text.h"

#define KANNEL_SEND_TIMEOUT_MS 15000
#define KANNEL_DLR_MASK                                                        \
    "31" /* delivered, failed, buffered, submit,                               \
          * reject */

/* --- receive ------------------------------------------------------------- */

enum { F_SENDER, F_MESSAGE, F_ID, F_TO, F_TS, F_CODING, F_CHARSET, N_FIELDS };

static const char *const field_names[N_FIELDS] = {
    "sender", "message", "id", "to", "ts", "coding", "charset"};

/*
 * Decodes the query and, for a form body, the body into f[0..n). A field
 * may be given once in all. Other bodies (smsbox's post-url sends the
 * text again as text/plain) are not read.
 */
static int
decode_request(const struct channel_request *req, const char *const *names,
               struct channel_field *f, size_t n, char err[SK_ERR_LEN])
{
    struct channel_field b[N_FIELDS];
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        f[i].name = names[i];
        b[i].name = names[i];
    }
    rc = channel_form_decode(req->query, req->query ? strlen(req->query) : 0, f,
                             n, err);
    if (rc != 0)
        return rc;
    if (req->body_len == 0 ||
        !channel_content_type_is(req->content_type,
                                 "application/x-www-form-urlencoded"))
        return 0;
    rc = channel_form_decode(req->body, req->body_len, b, n, err);
    if (rc != 0) {
        channel_fields_clear(f, n);
        return rc;
    }
    for (i = 0; i < n; i++) {
        if (b[i].value == NULL)
            continue;
        if (f[i].value != NULL) {
            sk_seterr(err, "\"%s\" is given more than once", names[i]);
            channel_fields_clear(f, n);
            channel_fields_clear(b, n);
            return SK_EINVAL;
        }
        f[i].value = b[i].value;
        f[i].len = b[i].len;
        b[i].value = NULL;
    }
    return 0;
}

/* Appends code point cp to out as UTF-8 (out has room for 4 bytes). */
static size_t
put_utf8(unsigned char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xc0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xe0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (unsigned char)(0xf0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/* UTF-16BE bytes to a malloc'd UTF-8 string; NULL with *bad set when
 * they are not UTF-16 (odd length, a lone surrogate). */
static char *
utf16be_to_utf8(const unsigned char *s, size_t len, int *bad)
{
    unsigned char *out;
    size_t i, o = 0;

    *bad = 0;
    if (len % 2 != 0) {
        *bad = 1;
        return NULL;
    }
    /* each 2-byte unit gives at most 3 bytes; a pair of them at most 4 */
    if ((out = malloc(len / 2 * 3 + 1)) == NULL)
        return NULL;
    for (i = 0; i < len; i += 2) {
        uint32_t cp = (uint32_t)s[i] << 8 | s[i + 1];

        if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t lo;

            if (i + 3 >= len)
                goto bad;
            lo = (uint32_t)s[i + 2] << 8 | s[i + 3];
            if (lo < 0xdc00 || lo > 0xdfff)
                goto bad;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            i += 2;
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            goto bad;
        }
        o += put_utf8(out + o, cp);
    }
    out[o] = '\0';
    return (char *)out;
bad:
    free(out);
    *bad = 1;
    return NULL;
}

/* ISO-8859-1 bytes to a malloc'd UTF-8 string. */
static char *
latin1_to_utf8(const unsigned char *s, size_t len)
{
    unsigned char *out = malloc(len * 2 + 1);
    size_t i, o = 0;

    if (out == NULL)
        return NULL;
    for (i = 0; i < len; i++)
        o += put_utf8(out + o, s[i]);
    out[o] = '\0';
    return (char *)out;
}

static bool
charset_is(const char *charset, const char *const *names)
{
    for (; *names != NULL; names++)
        if (strcasecmp(charset, *names) == 0)
            return true;
    return false;
}

/*
 * Turns the message field into UTF-8 as its charset says: UTF-16BE (or
 * UCS-2) bytes are decoded, Latin-1 converted, UTF-8 (mo-recode, or no
 * charset) taken as it is. Unknown charsets are taken as UTF-8 when the
 * bytes are valid UTF-8.
 */
static int
decode_text(struct channel_field *msg, const char *coding, const char *charset,
            char err[SK_ERR_LEN])
{
    static const char *const utf16[] = {"UTF-16BE", "UTF-16", "UCS-2",
                                        "UCS-2BE",  "UCS2",   NULL};
    static const char *const latin1[] = {"ISO-8859-1", "ISO8859-1", "LATIN1",
                                         NULL};
    char *text = NULL;
    int bad = 0;

    if (msg->value == NULL)
        return 0;
    if (charset != NULL && charset[0] != '\0' && charset_is(charset, utf16)) {
        text =
            utf16be_to_utf8((const unsigned char *)msg->value, msg->len, &bad);
    } else if (charset != NULL && charset_is(charset, latin1) &&
               (coding == NULL || strcmp(coding, "2") != 0)) {
        text = latin1_to_utf8((const unsigned char *)msg->value, msg->len);
    } else {
        goto check;
    }
    if (text == NULL) {
        if (!bad)
            return SK_ENOMEM;
        sk_seterr(err, "\"message\" is not valid %s", charset);
        return SK_EINVAL;
    }
    free(msg->value);
    msg->value = text;
    msg->len = strlen(text);
check:
    if (!text_valid_utf8(msg->value, msg->len)) {
        sk_seterr(err, "\"message\" is not valid UTF-8%s",
                  coding != NULL && strcmp(coding, "2") == 0
                      ? " (UCS-2 needs charset=UTF-16BE, or mo-recode)"
                      : "");
        return SK_EINVAL;
    }
    return 0;
}

static int
kannel_parse(const struct config_channel *ch, const struct channel_request *req,
             struct sk_inbound *in, char err[SK_ERR_LEN])
{
    struct channel_field f[N_FIELDS];
    char *sender;
    int rc;

    (void)ch;
    memset(in, 0, sizeof(*in));
    rc = decode_request(req, field_names, f, N_FIELDS, err);
    if (rc != 0)
        return rc;
    rc = decode_text(&f[F_MESSAGE], f[F_CODING].value, f[F_CHARSET].value, err);
    if (rc != 0)
        goto out;
    rc = SK_EINVAL;
    sender = f[F_SENDER].value;
    /* an unescaped "+254..." arrives as " 254...": take back the + */
    if (sender != NULL && sender[0] == ' ' && sender[1] >= '0' &&
        sender[1] <= '9')
        sender[0] = '+';
    if (sender == NULL || sender[0] == '\0') {
        sk_seterr(err, "missing \"sender\"");
        goto out;
    }
    if (!text_valid_utf8(sender, f[F_SENDER].len) ||
        strlen(sender) > CHANNEL_MAX_URN - 5) {
        sk_seterr(err, "\"sender\" is not a phone number");
        goto out;
    }
    if (f[F_ID].value == NULL || f[F_ID].value[0] == '\0') {
        sk_seterr(err, "missing \"id\"");
        goto out;
    }
    if (!text_valid_utf8(f[F_ID].value, f[F_ID].len) ||
        strlen(f[F_ID].value) > CHANNEL_MAX_ID) {
        sk_seterr(err, "\"id\" is too long or not UTF-8");
        goto out;
    }
    rc = SK_ENOMEM;
    if (strncmp(sender, "tel:", 4) == 0) {
        in->urn = sender;
    } else {
        if ((in->urn = malloc(strlen(sender) + 5)) == NULL)
            goto out;
        memcpy(in->urn, "tel:", 4);
        strcpy(in->urn + 4, sender); /* f's copy is wiped below */
    }
    if (in->urn == sender)
        f[F_SENDER].value = NULL;
    in->text = f[F_MESSAGE].value != NULL ? f[F_MESSAGE].value : strdup("");
    f[F_MESSAGE].value = NULL;
    in->external_id = f[F_ID].value;
    f[F_ID].value = NULL;
    if (in->text == NULL) {
        channel_inbound_clear(in);
        goto out;
    }
    rc = 0;
out:
    if (f[F_SENDER].value != NULL)
        memset(f[F_SENDER].value, 0, f[F_SENDER].len);
    channel_fields_clear(f, N_FIELDS);
    return rc;
}

/* --- delivery reports ---------------------------------------------------- */

static int
kannel_parse_status(const struct config_channel *ch,
                    const struct channel_request *req,
                    struct channel_status *st, char err[SK_ERR_LEN])
{
    static const char *const names[] = {"id", "status"};
    struct channel_field f[2];
    char *end;
    long long id;
    long code;
    int rc;

    (void)ch;
    memset(st, 0, sizeof(*st));
    if ((rc = decode_request(req, names, f, 2, err)) != 0)
        return rc;
    rc = SK_EINVAL;
    if (f[0].value == NULL || f[0].value[0] < '1' || f[0].value[0] > '9') {
        sk_seterr(err, "missing or bad \"id\"");
        goto out;
    }
    id = strtoll(f[0].value, &end, 10);
    if (*end != '\0' || id <= 0 || id == LLONG_MAX) {
        sk_seterr(err, "missing or bad \"id\"");
        goto out;
    }
    if (f[1].value == NULL || f[1].value[0] < '0' || f[1].value[0] > '9') {
        sk_seterr(err, "missing or bad \"status\"");
        goto out;
    }
    code = strtol(f[1].value, &end, 10);
    if (*end != '\0') {
        sk_seterr(err, "missing or bad \"status\"");
        goto out;
    }
    st->row_id = (int64_t)id;
    switch (code) {
    case 1: /* delivered to the phone */
        st->status = OUTBOX_DLR_DELIVERED;
        st->final = true;
        break;
    case 2:  /* not delivered */
    case 16: /* refused by the SMSC */
        st->status = OUTBOX_DLR_FAILED;
        st->final = true;
        break;
    case 4: /* buffered in the SMSC */
    case 8: /* submitted to the SMSC */
        st->status = OUTBOX_DLR_DELIVERED;
        st->final = false;
        break;
    default:
        sk_seterr(err, "unknown \"status\" (1, 2, 4, 8 or 16)");
        goto out;
    }
    rc = 0;
out:
    channel_fields_clear(f, 2);
    return rc;
}

/* --- send ---------------------------------------------------------------- */

/* Appends s[0..n) percent-encoded: only A-Z a-z 0-9 - . _ ~ stay. */
static void
buf_escape(struct sk_buf *b, const unsigned char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = s[i];
        char e[3];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
            c == '~') {
            sk_buf_add(b, (const char *)&c, 1);
            continue;
        }
        sk_hex_pct(e, c);
        sk_buf_add(b, e, 3);
    }
}

/* Appends "&name=value" ("name=value" for the first), value escaped. */
static void
buf_param(struct sk_buf *b, bool *first, const char *name,
          const unsigned char *v, size_t n)
{
    if (!*first)
        sk_buf_str(b, "&");
    *first = false;
    sk_buf_str(b, name);
    sk_buf_str(b, "=");
    buf_escape(b, v, n);
}

static void
buf_param_s(struct sk_buf *b, bool *first, const char *name, const char *v)
{
    buf_param(b, first, name, (const unsigned char *)v, strlen(v));
}

static bool
kannel_can_send(const struct config_channel *ch)
{
    return ch->send_url != NULL;
}

/*
 * GET send_url?username=..&password=..&from=NUMBER&to=..&text=..
 * [&charset=UTF-8 | &coding=2&charset=UTF-16BE]&dlr-mask=31&dlr-url=..
 * The dlr-url brings the report back by row id; Kannel replaces its %d.
 */
static int
kannel_build_send(void *arg, const char *channel, const char *address,
                  const char *text, int64_t id, struct httpc_req *req)
{
    const struct config_channel *ch = arg;
    struct sk_buf url = {0}, dlr = {0};
    const char *to = channel_address_number(address);
    unsigned char *u16 = NULL;
    size_t u16_len = 0;
    bool first = true, dfirst = true;
    char sid[32];

    (void)channel;
    if (ch == NULL || ch->send_url == NULL || ch->base_url == NULL)
        return SK_EINVAL;
    if (!gsm_is_gsm7(text) && (u16 = gsm_utf16be(text, &u16_len)) == NULL)
        return SK_EINVAL; /* not UTF-8: it never will be */
    snprintf(sid, sizeof(sid), "%" PRId64, id);

    /* the report URL, which goes into the request escaped once more */
    sk_buf_str(&dlr, ch->base_url);
    sk_buf_str(&dlr, "/c/");
    buf_escape(&dlr, (const unsigned char *)ch->name, strlen(ch->name));
    sk_buf_str(&dlr, "/status?");
    if (ch->secret != NULL)
        buf_param_s(&dlr, &dfirst, "secret", ch->secret);
    buf_param_s(&dlr, &dfirst, "id", sid);
    sk_buf_str(&dlr, "&status=%d");

    sk_buf_str(&url, ch->send_url);
    sk_buf_str(&url, strchr(ch->send_url, '?') != NULL ? "&" : "?");
    if (ch->username != NULL)
        buf_param_s(&url, &first, "username", ch->username);
    if (ch->password != NULL)
        buf_param_s(&url, &first, "password", ch->password);
    if (ch->number != NULL)
        buf_param_s(&url, &first, "from", ch->number);
    buf_param_s(&url, &first, "to", to);
    if (u16 == NULL) {
        buf_param_s(&url, &first, "text", text);
        buf_param_s(&url, &first, "charset", "UTF-8");
    } else {
        buf_param(&url, &first, "text", u16, u16_len);
        buf_param_s(&url, &first, "coding", "2");
        buf_param_s(&url, &first, "charset", "UTF-16BE");
        memset(u16, 0, u16_len);
        free(u16);
    }
    buf_param_s(&url, &first, "dlr-mask", KANNEL_DLR_MASK);
    if (!dlr.fail)
        buf_param_s(&url, &first, "dlr-url", dlr.s);
    sk_buf_wipe(&dlr);
    if (url.fail) {
        sk_buf_wipe(&url);
        return SK_ENOMEM;
    }
    memset(req, 0, sizeof(*req));
    if ((req->method = strdup("GET")) == NULL) {
        sk_buf_wipe(&url);
        return SK_ENOMEM;
    }
    req->url = url.s; /* holds the password: outbox_req_free() frees it */
    req->timeout_ms = KANNEL_SEND_TIMEOUT_MS;
    return 0;
}

/*
 * smsbox answers 202 "0: Accepted for delivery" or "3: Queued for later
 * delivery": sent. 4xx (bad credentials, missing or bad parameters): the
 * same request would fail again, except 408 and 429. 5xx and transport
 * errors: retry.
 */
static void
kannel_send_result(void *arg, const char *channel,
                   const struct httpc_resp *resp, struct outbox_result *res)
{
    (void)arg;
    if (resp->error != NULL || resp->status == 408 || resp->status == 429 ||
        resp->status >= 500 || resp->status < 200) {
        outbox_default_result(arg, channel, resp, res);
        return;
    }
    res->retry_after_ms = resp->retry_after_ms;
    if (resp->status >= 200 && resp->status < 300) {
        res->verdict = OUTBOX_SENT;
        res->reason =
            strncmp(resp->body, "3:", 2) == 0 ? "queued by kannel" : "accepted";
        return;
    }
    res->verdict = OUTBOX_FAILED;
    res->reason = resp->status == 403 ? "kannel refused the credentials"
                                      : "kannel refused the request";
}

/* Letters, digits and -._~: what a URL carries without escapes. */
#define KANNEL_URL_SAFE                                                        \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"

static int
kannel_check(const struct config_channel *ch, char reason[SK_ERR_LEN])
{
    /* it goes into Kannel's dlr-url, where "%" starts an escape */
    if (ch->secret != NULL &&
        strspn(ch->secret, KANNEL_URL_SAFE) != strlen(ch->secret)) {
        sk_seterr(reason, "secret may hold only letters, digits, '-', '.', "
                          "'_' and '~'");
        return SK_EINVAL;
    }
    return 0;
}

static const struct channel_key kannel_keys[] = {
    CHANNEL_KEY("secret", CHANNEL_KEY_TEXT, secret, true, NULL),
    CHANNEL_KEY("send_url", CHANNEL_KEY_URL, send_url, false, NULL),
    CHANNEL_KEY("username", CHANNEL_KEY_TEXT, username, false, NULL),
    CHANNEL_KEY("password", CHANNEL_KEY_TEXT, password, false, NULL),
    CHANNEL_KEY("number", CHANNEL_KEY_TEXT, number, false, NULL),
};

const struct channel_type channel_kannel = {
    .type = "kannel",
    .keys = kannel_keys,
    .n_keys = sizeof(kannel_keys) / sizeof(kannel_keys[0]),
    .check = kannel_check,
    .verify = channel_verify_secret,
    .denied_as = "bad secret",
    .parse = kannel_parse,
    /* replies go through sendsms; smsbox (max-messages = 0) turns the
     * empty webhook answer into nothing */
    .render = channel_render_empty,
    .render_error = channel_render_error_text,
    .can_send = kannel_can_send,
    .build_send = kannel_build_send,
    .send_result = kannel_send_result,
    .idempotent_send = false,
    .sync_reply = false,
    .parse_status = kannel_parse_status,
    .allow_get = true,
};
