/*
 * generic.c - the generic channel: a provider (or a test, or a bridge
 * script) POSTs `from`, `text` and `id` as a form or as a JSON object to
 * /c/NAME/receive?secret=...; the reply carries the messages to send back
 * as {"messages": ["...", ...]}. Ambiguous input is refused: a key given
 * twice, a body that is not valid UTF-8, a JSON body that is not an
 * object. Pure; any thread.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "channels.h"
#include "text.h"

#define GENERIC_SEND_TIMEOUT_MS 15000 /* per send_url POST */

/* Takes a JSON member as a string: strings as they are, integers (ids,
 * numbers) as decimal text. NULL with *bad set for other types. */
static char *
json_member_text(const json_t *v, int *bad)
{
    char buf[32];

    *bad = 0;
    if (v == NULL || json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return strndup(json_string_value(v), json_string_length(v));
    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        return strdup(buf);
    }
    *bad = 1;
    return NULL;
}

static int
parse_json(const struct channel_request *req, struct channel_field *f,
           char err[SK_ERR_LEN])
{
    json_t *root;
    size_t i;
    int bad;

    if ((root = channel_json_object(req->body, req->body_len, err)) == NULL)
        return SK_EINVAL;
    for (i = 0; i < 3; i++) {
        const json_t *v = json_object_get(root, f[i].name);

        f[i].value = json_member_text(v, &bad);
        f[i].len = f[i].value != NULL ? strlen(f[i].value) : 0;
        if (bad) {
            sk_seterr(err, "\"%s\" must be a string", f[i].name);
            goto fail;
        }
        if (v != NULL && !json_is_null(v) && f[i].value == NULL) {
            json_decref(root);
            channel_fields_clear(f, 3);
            return SK_ENOMEM;
        }
    }
    json_decref(root);
    return 0;
fail:
    json_decref(root);
    channel_fields_clear(f, 3);
    return SK_EINVAL;
}

static int
generic_parse(const struct config_channel *ch,
              const struct channel_request *req, struct sk_inbound *in,
              char err[SK_ERR_LEN])
{
    struct channel_field f[3] = {
        {.name = "from"}, {.name = "text"}, {.name = "id"}};
    size_t i;
    int rc;

    (void)ch;
    memset(in, 0, sizeof(*in));
    if (channel_content_type_is(req->content_type, "application/json")) {
        rc = parse_json(req, f, err);
    } else if (req->content_type == NULL ||
               channel_content_type_is(req->content_type,
                                       "application/x-www-form-urlencoded")) {
        rc = channel_form_decode(req->body, req->body_len, f, 3, err);
        /* an unescaped "+254..." arrives as " 254...": no number starts
         * with a space, so take it back as the + it was */
        if (rc == 0 && f[0].value != NULL && f[0].value[0] == ' ' &&
            f[0].value[1] >= '0' && f[0].value[1] <= '9')
            f[0].value[0] = '+';
    } else {
        sk_seterr(err, "unsupported content type (use a form or JSON)");
        return SK_EINVAL;
    }
    if (rc != 0)
        return rc;
    for (i = 0; i < 3; i++) {
        if (f[i].value == NULL)
            continue;
        if (!text_valid_utf8(f[i].value, f[i].len)) {
            sk_seterr(err, "\"%s\" is not valid UTF-8", f[i].name);
            goto invalid;
        }
    }
    if (f[0].value == NULL || f[0].value[0] == '\0') {
        sk_seterr(err, "missing \"from\"");
        goto invalid;
    }
    if (f[2].value == NULL || f[2].value[0] == '\0') {
        sk_seterr(err, "missing \"id\"");
        goto invalid;
    }
    if (strlen(f[0].value) > CHANNEL_MAX_URN - 5) {
        sk_seterr(err, "\"from\" is too long");
        goto invalid;
    }
    if (strlen(f[2].value) > CHANNEL_MAX_ID) {
        sk_seterr(err, "\"id\" is too long");
        goto invalid;
    }
    if (strncmp(f[0].value, "tel:", 4) == 0) {
        in->urn = f[0].value;
    } else {
        in->urn = malloc(strlen(f[0].value) + 5);
        if (in->urn == NULL)
            goto nomem;
        memcpy(in->urn, "tel:", 4);
        strcpy(in->urn + 4, f[0].value);
        free(f[0].value);
    }
    f[0].value = NULL;
    in->text = f[1].value != NULL ? f[1].value : strdup("");
    f[1].value = NULL;
    in->external_id = f[2].value;
    f[2].value = NULL;
    if (in->text == NULL) {
        channel_inbound_clear(in);
        return SK_ENOMEM;
    }
    return 0;
nomem:
    channel_fields_clear(f, 3);
    return SK_ENOMEM;
invalid:
    channel_fields_clear(f, 3);
    return SK_EINVAL;
}

static int
reply_json(json_t *root, int code, struct channel_reply *out)
{
    out->body = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (out->body == NULL)
        return SK_ENOMEM;
    out->code = code;
    out->content_type = "application/json";
    out->body_len = strlen(out->body);
    return 0;
}

static int
generic_render(const struct config_channel *ch, const char *const *texts,
               size_t n, struct channel_reply *out)
{
    json_t *root = json_object(), *msgs = json_array();
    size_t i;

    (void)ch;
    memset(out, 0, sizeof(*out));
    if (root == NULL || msgs == NULL ||
        json_object_set_new(root, "messages", msgs) != 0) {
        json_decref(root);
        return SK_ENOMEM;
    }
    for (i = 0; i < n; i++)
        if (json_array_append_new(msgs, json_string(texts[i])) != 0) {
            json_decref(root);
            return SK_ENOMEM;
        }
    return reply_json(root, 200, out);
}

static int
generic_render_error(const struct config_channel *ch, int code,
                     const char *reason, struct channel_reply *out)
{
    (void)ch;
    memset(out, 0, sizeof(*out));
    return reply_json(json_pack("{s:s}", "error", reason), code, out);
}

int
outbox_generic_build(void *arg, const char *channel, const char *address,
                     const char *text, int64_t id, struct httpc_req *req)
{
    const struct config_channel *ch = arg;
    const char *to = address;
    const char **hdrs = NULL;
    json_t *msg = NULL;
    char sid[32];
    int rc = SK_ENOMEM;

    (void)channel;
    if (ch == NULL || ch->send_url == NULL)
        return SK_EINVAL;
    if (strncmp(to, "tel:", 4) == 0)
        to += 4;
    snprintf(sid, sizeof(sid), "%" PRId64, id);
    msg = json_pack("{s:s,s:s,s:s}", "to", to, "text", text, "id", sid);
    hdrs = calloc(1, sizeof(*hdrs));
    if (msg == NULL || hdrs == NULL)
        goto fail;
    req->headers = hdrs;
    req->n_headers = 1;
    hdrs[0] = strdup("Content-Type: application/json");
    req->url = strdup(ch->send_url);
    req->body = json_dumps(msg, JSON_COMPACT);
    if (hdrs[0] == NULL || req->url == NULL || req->body == NULL)
        goto fail;
    req->body_len = strlen(req->body);
    req->timeout_ms = GENERIC_SEND_TIMEOUT_MS;
    json_decref(msg);
    return 0;
fail:
    json_decref(msg);
    if (req->headers == NULL)
        free(hdrs);
    outbox_req_free(NULL, req);
    return rc;
}

static bool
generic_can_send(const struct config_channel *ch)
{
    return ch->send_url != NULL;
}

static const struct channel_key generic_keys[] = {
    CHANNEL_KEY("secret", CHANNEL_KEY_TEXT, secret, true, NULL),
    CHANNEL_KEY("send_url", CHANNEL_KEY_URL, send_url, false, NULL),
};

const struct channel_type channel_generic = {
    .type = "generic",
    .keys = generic_keys,
    .n_keys = sizeof(generic_keys) / sizeof(generic_keys[0]),
    .verify = channel_verify_secret,
    .denied_as = "bad secret",
    .parse = generic_parse,
    .render = generic_render,
    .render_error = generic_render_error,
    .can_send = generic_can_send,
    .build_send = outbox_generic_build,
    .sync_reply = true,
};
