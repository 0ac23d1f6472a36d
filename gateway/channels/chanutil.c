/*
 * chanutil.c - the helpers channel types share: form decoding that
 * refuses ambiguous input (a wanted key given twice), every pair of a
 * request, constant-time secret comparison, content type matching, plain
 * replies, provider URLs and form POSTs for the outbox. Pure; any thread.
 * The registry (channel.c) names the types; the types call these, so the
 * helpers live apart from the registry.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "chanutil.h"
#include "config.h"
#include "hex.h"
#include "outbox.h"
#include "text.h"

void
channel_inbound_clear(struct sk_inbound *in)
{
    if (in == NULL)
        return;
    if (in->urn != NULL) {
        OPENSSL_cleanse(in->urn, strlen(in->urn));
        free(in->urn);
    }
    free(in->text);
    free(in->external_id);
    in->urn = in->text = in->external_id = NULL;
}

void
channel_reply_clear(struct channel_reply *r)
{
    if (r == NULL)
        return;
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}

/* Decodes s[0..len) (+ is a space, %XX a byte) into a malloc'd string. */
static char *
form_unescape(const char *s, size_t len, size_t *outlen, int *bad)
{
    char *out = malloc(len + 1);
    size_t i, o = 0;

    *bad = 0;
    if (out == NULL)
        return NULL;
    for (i = 0; i < len; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%') {
            int hi, lo;

            if (i + 2 >= len ||
                (hi = sk_hex_value((unsigned char)s[i + 1])) < 0 ||
                (lo = sk_hex_value((unsigned char)s[i + 2])) < 0) {
                *bad = 1;
                free(out);
                return NULL;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    if (outlen != NULL)
        *outlen = o;
    return out;
}

/* One key=value piece of a form: the key is s[0..klen), the value (when
 * there is an '=') s[klen + 1..len). */
struct form_piece {
    const char *s;
    size_t len, klen;
    bool has_value;
};

/* The next non-empty piece of s[0..len) from *pos on; false at the end. */
static bool
form_next(const char *s, size_t len, size_t *pos, struct form_piece *fp)
{
    while (s != NULL && *pos < len) {
        const char *pair = s + *pos;
        const char *amp = memchr(pair, '&', len - *pos);
        size_t plen = amp != NULL ? (size_t)(amp - pair) : len - *pos;
        const char *eq = memchr(pair, '=', plen);

        *pos += plen + 1;
        if (plen == 0)
            continue;
        fp->s = pair;
        fp->len = plen;
        fp->klen = eq != NULL ? (size_t)(eq - pair) : plen;
        fp->has_value = eq != NULL;
        return true;
    }
    return false;
}

/* The decoded value of a piece ("" without an '='); NULL as form_unescape. */
static char *
form_value(const struct form_piece *fp, size_t *outlen, int *bad)
{
    *bad = 0;
    *outlen = 0;
    if (!fp->has_value)
        return strdup("");
    return form_unescape(fp->s + fp->klen + 1, fp->len - fp->klen - 1, outlen,
                         bad);
}

void
channel_fields_clear(struct channel_field *fields, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(fields[i].value);
        fields[i].value = NULL;
        fields[i].len = 0;
    }
}

int
channel_form_decode(const char *s, size_t len, struct channel_field *fields,
                    size_t n, char err[SK_ERR_LEN])
{
    struct form_piece fp;
    size_t pos = 0, i;
    int bad;

    for (i = 0; i < n; i++) {
        fields[i].value = NULL;
        fields[i].len = 0;
    }
    while (form_next(s, len, &pos, &fp)) {
        char *key = form_unescape(fp.s, fp.klen, NULL, &bad);

        if (key == NULL)
            goto fail_escape;
        for (i = 0; i < n; i++) {
            if (strcmp(key, fields[i].name) != 0)
                continue;
            if (fields[i].value != NULL) {
                sk_seterr(err, "\"%s\" is given more than once",
                          fields[i].name);
                free(key);
                channel_fields_clear(fields, n);
                return SK_EINVAL;
            }
            fields[i].value = form_value(&fp, &fields[i].len, &bad);
            if (fields[i].value == NULL) {
                free(key);
                goto fail_escape;
            }
            break;
        }
        free(key);
    }
    return 0;
fail_escape:
    channel_fields_clear(fields, n);
    if (!bad)
        return SK_ENOMEM;
    sk_seterr(err, "bad %%-escape in form data");
    return SK_EINVAL;
}

bool
channel_secret_ok(const char *given, const char *want)
{
    unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
    bool ok;

    if (given == NULL || want == NULL || want[0] == '\0')
        return false;
    SHA256((const unsigned char *)given, strlen(given), a);
    SHA256((const unsigned char *)want, strlen(want), b);
    ok = CRYPTO_memcmp(a, b, sizeof(a)) == 0;
    OPENSSL_cleanse(a, sizeof(a));
    OPENSSL_cleanse(b, sizeof(b));
    return ok;
}

int
channel_verify_secret(const struct config_channel *ch,
                      const struct channel_request *req)
{
    struct channel_field f = {.name = "secret"};
    char err[SK_ERR_LEN] = "";
    bool ok;

    if (req->query == NULL ||
        channel_form_decode(req->query, strlen(req->query), &f, 1, err) != 0)
        return SK_EDENIED;
    ok = channel_secret_ok(f.value, ch->secret);
    channel_fields_clear(&f, 1);
    return ok ? 0 : SK_EDENIED;
}

int
channel_reply_text(int code, const char *text, struct channel_reply *out)
{
    memset(out, 0, sizeof(*out));
    if ((out->body = strdup(text)) == NULL)
        return SK_ENOMEM;
    out->body_len = strlen(out->body);
    out->code = code;
    out->content_type = "text/plain; charset=utf-8";
    return 0;
}

int
channel_render_empty(const struct config_channel *ch, const char *const *texts,
                     size_t n, struct channel_reply *out)
{
    (void)ch;
    (void)texts;
    (void)n;
    return channel_reply_text(200, "", out);
}

const char *
channel_bad_kind(const char *err)
{
    /* the first matching phrase wins: order matters */
    static const struct {
        const char *phrase, *kind;
    } kinds[] = {
        {"content type", "bad_content_type"},
        /* jansson's own texts (channel_json_seterr keeps no body) */
        {"decode byte", "bad_utf8"},
        {"duplicate object key", "duplicate_field"},
        {"JSON", "bad_json"},
        {"phone number", "not_phone_number"},
        {"too long", "too_long"},
        {"more than once", "duplicate_field"},
        {"more than", "too_long"},
        {"UTF-8", "bad_utf8"},
        {"\" is not valid ", "bad_utf8"}, /* another charset's encoding */
        {"missing", "missing_field"},
        {"%-escape", "bad_form_data"},
        {"must be", "bad_field"},
        {"unknown \"", "bad_field"},
    };
    size_t i;

    for (i = 0; err != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strstr(err, kinds[i].phrase) != NULL)
            return kinds[i].kind;
    return "invalid";
}

int
channel_render_error_text(const struct config_channel *ch, int code,
                          const char *reason, struct channel_reply *out)
{
    (void)ch;
    return channel_reply_text(code, reason, out);
}

bool
channel_content_type_is(const char *content_type, const char *mime)
{
    size_t n = strlen(mime);

    if (content_type == NULL)
        return false;
    while (*content_type == ' ' || *content_type == '\t')
        content_type++;
    if (strncasecmp(content_type, mime, n) != 0)
        return false;
    content_type += n;
    while (*content_type == ' ' || *content_type == '\t')
        content_type++;
    return *content_type == '\0' || *content_type == ';';
}

bool
channel_dlr_lookup(const struct channel_dlr_state *states, size_t n,
                   const char *name, struct channel_status *st)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(states[i].name, name) != 0)
            continue;
        st->status = states[i].status;
        st->final = states[i].final;
        return true;
    }
    return false;
}

/* --- every pair of a request -------------------------------------------- */

static int
pairs_push(struct channel_pairs *p, char *key, char *value, size_t value_len,
           char err[SK_ERR_LEN])
{
    if (p->n >= CHANNEL_MAX_PAIRS) {
        sk_seterr(err, "more than %d parameters", CHANNEL_MAX_PAIRS);
        goto fail;
    }
    if (p->n == p->cap) {
        size_t cap = p->cap == 0 ? 16 : p->cap * 2;
        struct channel_pair *nv = realloc(p->v, cap * sizeof(*nv));

        if (nv == NULL)
            goto nomem;
        p->v = nv;
        p->cap = cap;
    }
    p->v[p->n].key = key;
    p->v[p->n].value = value;
    p->v[p->n].value_len = value_len;
    p->n++;
    return 0;
nomem:
    free(key);
    free(value);
    return SK_ENOMEM;
fail:
    free(key);
    free(value);
    return SK_EINVAL;
}

int
channel_pairs_form(struct channel_pairs *p, const char *s, size_t len,
                   char err[SK_ERR_LEN])
{
    struct form_piece fp;
    size_t pos = 0, vlen;
    int bad, rc;

    while (form_next(s, len, &pos, &fp)) {
        char *key = form_unescape(fp.s, fp.klen, NULL, &bad), *value;

        if (key == NULL)
            goto fail_escape;
        value = form_value(&fp, &vlen, &bad);
        if (value == NULL) {
            free(key);
            goto fail_escape;
        }
        if ((rc = pairs_push(p, key, value, vlen, err)) != 0)
            return rc;
    }
    return 0;
fail_escape:
    if (!bad)
        return SK_ENOMEM;
    sk_seterr(err, "bad %%-escape in form data");
    return SK_EINVAL;
}

void
channel_json_seterr(char err[SK_ERR_LEN], const char *text, int position)
{
    const char *near = text != NULL ? strstr(text, " near ") : NULL;
    int len = near != NULL ? (int)(near - text) : -1;

    if (text == NULL || len == 0)
        sk_seterr(err, "body is not valid JSON (at byte %d)", position);
    else if (near != NULL)
        sk_seterr(err, "body is not valid JSON: %.*s (at byte %d)", len, text,
                  position);
    else
        sk_seterr(err, "body is not valid JSON: %s (at byte %d)", text,
                  position);
}

json_t *
channel_json_object(const char *body, size_t len, char err[SK_ERR_LEN])
{
    json_error_t jerr;
    json_t *root;

    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        channel_json_seterr(err, jerr.text, jerr.position);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        sk_seterr(err, "body must be a JSON object");
        return NULL;
    }
    return root;
}

int
channel_pairs_json(struct channel_pairs *p, const char *body, size_t len,
                   char err[SK_ERR_LEN])
{
    json_t *root, *v;
    const char *key;
    int rc = 0;

    if ((root = channel_json_object(body, len, err)) == NULL)
        return SK_EINVAL;
    json_object_foreach(root, key, v)
    {
        char *k, *val = NULL;
        size_t vlen = 0;

        if (json_is_string(v)) {
            vlen = json_string_length(v);
            val = malloc(vlen + 1);
            if (val != NULL) {
                memcpy(val, json_string_value(v), vlen);
                val[vlen] = '\0';
            }
        } else if (json_is_number(v) || json_is_boolean(v)) {
            val = json_dumps(v, JSON_ENCODE_ANY);
            vlen = val != NULL ? strlen(val) : 0;
        } else {
            continue;
        }
        k = strdup(key);
        if (k == NULL || val == NULL) {
            free(k);
            free(val);
            rc = SK_ENOMEM;
            break;
        }
        if ((rc = pairs_push(p, k, val, vlen, err)) != 0)
            break;
    }
    json_decref(root);
    return rc;
}

const char *
channel_pairs_get(const struct channel_pairs *p, const char *key, bool *dup)
{
    const char *found = NULL;
    size_t i;

    *dup = false;
    for (i = 0; i < p->n; i++) {
        if (strcmp(p->v[i].key, key) != 0)
            continue;
        if (found != NULL)
            *dup = true;
        else
            found = p->v[i].value;
    }
    return found;
}

void
channel_pairs_clear(struct channel_pairs *p)
{
    size_t i;

    for (i = 0; i < p->n; i++) {
        OPENSSL_cleanse(p->v[i].value, p->v[i].value_len);
        free(p->v[i].key);
        free(p->v[i].value);
    }
    free(p->v);
    memset(p, 0, sizeof(*p));
}

/* --- building provider requests ------------------------------------------ */

static size_t
form_escaped_len(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        n += (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                     (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                     c == '.' || c == '~' || c == ' '
                 ? 1
                 : 3;
    }
    return n;
}

static char *
form_escape_to(char *o, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~') {
            *o++ = (char)c;
        } else if (c == ' ') {
            *o++ = '+';
        } else {
            sk_hex_pct(o, c);
            o += 3;
        }
    }
    return o;
}

char *
channel_form_encode(const char *const *kv, size_t n)
{
    size_t i, len = 1;
    char *out, *o;

    for (i = 0; i < n; i++)
        if (kv[2 * i + 1] != NULL)
            len += form_escaped_len(kv[2 * i]) +
                   form_escaped_len(kv[2 * i + 1]) + 2;
    if ((out = malloc(len)) == NULL)
        return NULL;
    o = out;
    for (i = 0; i < n; i++) {
        if (kv[2 * i + 1] == NULL)
            continue;
        if (o != out)
            *o++ = '&';
        o = form_escape_to(o, kv[2 * i]);
        *o++ = '=';
        o = form_escape_to(o, kv[2 * i + 1]);
    }
    *o = '\0';
    return out;
}

static char *
join_url(const char *base, const char *path)
{
    size_t blen = strlen(base);
    char *out;

    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    if ((out = malloc(blen + strlen(path) + 1)) == NULL)
        return NULL;
    memcpy(out, base, blen);
    strcpy(out + blen, path);
    return out;
}

char *
channel_api_url(const struct config_channel *ch, const char *dflt,
                const char *path)
{
    return join_url(ch->api_url != NULL ? ch->api_url : dflt, path);
}

char *
channel_public_url(const struct config_channel *ch, const char *path)
{
    if (ch->cfg == NULL || ch->cfg->public_url == NULL)
        return NULL;
    return join_url(ch->cfg->public_url, path);
}

char *
channel_status_url(const struct config_channel *ch, const char *channel)
{
    char *path = malloc(strlen(channel) + sizeof("/c//status")), *url;

    if (path == NULL)
        return NULL;
    sprintf(path, "/c/%s/status", channel);
    url = channel_public_url(ch, path);
    free(path);
    return url;
}

const char *
channel_address_number(const char *address)
{
    return strncmp(address, "tel:", 4) == 0 ? address + 4 : address;
}

/* "name: value", malloc'd. */
static char *
header_line(const char *name, const char *value)
{
    size_t len = strlen(name) + strlen(value) + sizeof(": ");
    char *line = malloc(len);

    if (line != NULL)
        snprintf(line, len, "%s: %s", name, value);
    return line;
}

int
channel_post_form(struct httpc_req *req, char *url, const char *const *kv,
                  size_t n, const char *hname, const char *hvalue)
{
    const char **hdrs = calloc(3, sizeof(*hdrs));
    size_t i = 0;

    memset(req, 0, sizeof(*req));
    req->url = url;
    if (hdrs == NULL)
        goto nomem;
    req->headers = hdrs;
    if (hname != NULL)
        hdrs[i++] = header_line(hname, hvalue);
    hdrs[i++] = strdup("Content-Type: application/x-www-form-urlencoded");
    hdrs[i++] = strdup("Accept: application/json");
    req->n_headers = i;
    req->method = strdup("POST");
    req->body = channel_form_encode(kv, n);
    req->body_len = req->body != NULL ? strlen(req->body) : 0;
    while (i-- > 0)
        if (hdrs[i] == NULL)
            goto nomem;
    if (req->method == NULL || req->url == NULL || req->body == NULL)
        goto nomem;
    return 0;
nomem:
    outbox_req_free(NULL, req);
    return SK_ENOMEM;
}

/* The value of key, refused when given twice or not valid UTF-8. */
int
channel_pairs_text(const struct channel_pairs *p, const char *key,
                   const char **v, char err[SK_ERR_LEN])
{
    bool dup;
    size_t i;

    *v = channel_pairs_get(p, key, &dup);
    if (dup) {
        sk_seterr(err, "\"%s\" is given more than once", key);
        return SK_EINVAL;
    }
    for (i = 0; *v != NULL && i < p->n; i++) {
        if (p->v[i].value != *v)
            continue;
        if (strlen(*v) != p->v[i].value_len ||
            !text_valid_utf8(*v, p->v[i].value_len)) {
            sk_seterr(err, "\"%s\" is not valid UTF-8", key);
            return SK_EINVAL;
        }
    }
    return 0;
}

/* --- media_hosts --------------------------------------------------------- */

static bool
channel_media_char_ok(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '-' || c == ':' ||
           c == '[' || c == ']';
}

int
channel_media_hosts_split(const char *value,
                          char hosts[][CHANNEL_MEDIA_HOST_LEN],
                          const char **reason)
{
    const char *p = value, *start, *end;
    int n = 0;
    size_t len;

    while (p != NULL) {
        while (*p == ' ' || *p == '\t')
            p++;
        start = p;
        end = strchr(p, ',');
        p = end != NULL ? end + 1 : NULL;
        if (end == NULL)
            end = start + strlen(start);
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        len = (size_t)(end - start);
        if (len == 0) {
            *reason = "has an empty host name";
            return -1;
        }
        if (len >= CHANNEL_MEDIA_HOST_LEN) {
            *reason = "has a host name too long";
            return -1;
        }
        if (n == CHANNEL_MEDIA_HOSTS) {
            *reason = "has more than 15 hosts";
            return -1;
        }
        for (size_t i = 0; i < len; i++)
            if (!channel_media_char_ok(start[i])) {
                *reason = "is not a comma-separated list of host names";
                return -1;
            }
        memcpy(hosts[n], start, len);
        hosts[n][len] = '\0';
        n++;
    }
    return n;
}

const char *
channel_media_hosts_check(const char *value)
{
    char hosts[CHANNEL_MEDIA_HOSTS][CHANNEL_MEDIA_HOST_LEN];
    const char *reason = NULL;

    return channel_media_hosts_split(value, hosts, &reason) < 0 ? reason : NULL;
}

int
channel_pairs_request(struct channel_pairs *p,
                      const struct channel_request *req, char err[SK_ERR_LEN])
{
    int rc = 0;

    if (req->query != NULL &&
        (rc = channel_pairs_form(p, req->query, strlen(req->query), err)) != 0)
        return rc;
    if (req->body == NULL || req->body_len == 0)
        return 0;
    if (channel_content_type_is(req->content_type, "application/json"))
        return channel_pairs_json(p, req->body, req->body_len, err);
    if (req->content_type == NULL ||
        channel_content_type_is(req->content_type,
                                "application/x-www-form-urlencoded"))
        return channel_pairs_form(p, req->body, req->body_len, err);
    sk_seterr(err, "unsupported content type (use a form or JSON)");
    return SK_EINVAL;
}

bool
channel_one_of(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; s != NULL && i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

const char *
channel_speech_language(const char *lang)
{
    static const char *const map[][2] = {
        {"eng", "en-US"},  {"fra", "fr-FR"},  {"spa", "es-ES"},
        {"por", "pt-BR"},  {"ara", "ar"},     {"deu", "de-DE"},
        {"ita", "it-IT"},  {"hin", "hi-IN"},  {"rus", "ru-RU"},
        {"tur", "tr-TR"},  {"nld", "nl-NL"},  {"pol", "pl-PL"},
        {"swe", "sv-SE"},  {"jpn", "ja-JP"},  {"kor", "ko-KR"},
        {"cmn", "cmn-CN"}, {"zho", "cmn-CN"},
    };

    for (size_t i = 0; lang != NULL && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i][0], lang) == 0)
            return map[i][1];
    return NULL;
}
