/*
 * channel.c - the channel registry and the helpers channel types share:
 * form decoding that refuses ambiguous input (a wanted key given twice),
 * constant-time secret comparison, content type matching. Pure; any
 * thread.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "channel.h"

static const struct channel_type *const channel_types[] = {
    &channel_generic,
    &channel_africastalking,
};

const struct channel_type *
channel_find(const char *type)
{
    size_t i;

    if (type == NULL)
        return NULL;
    for (i = 0; i < sizeof(channel_types) / sizeof(channel_types[0]); i++)
        if (strcmp(channel_types[i]->type, type) == 0)
            return channel_types[i];
    return NULL;
}

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

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
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

            if (i + 2 >= len || (hi = hexval(s[i + 1])) < 0 ||
                (lo = hexval(s[i + 2])) < 0) {
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
    size_t pos = 0, i;
    int bad;

    for (i = 0; i < n; i++) {
        fields[i].value = NULL;
        fields[i].len = 0;
    }
    while (s != NULL && pos < len) {
        const char *pair = s + pos;
        const char *amp = memchr(pair, '&', len - pos);
        size_t plen = amp != NULL ? (size_t)(amp - pair) : len - pos;
        const char *eq = memchr(pair, '=', plen);
        size_t klen = eq != NULL ? (size_t)(eq - pair) : plen;
        char *key;

        pos += plen + 1;
        if (plen == 0)
            continue;
        key = form_unescape(pair, klen, NULL, &bad);
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
            bad = 0;
            if (eq != NULL)
                fields[i].value = form_unescape(eq + 1, plen - klen - 1,
                                                &fields[i].len, &bad);
            else
                fields[i].value = strdup("");
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
