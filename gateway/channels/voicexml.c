/*
 * voicexml.c - what the channel types with voice share (see voicexml.h).
 * The call-control languages (TwiML, Africa's Talking's voice XML) are
 * XML: the only place that escapes text for them is here.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config.h"
#include "voicexml.h"

void
channel_call_clear(struct channel_call *c)
{
    if (c == NULL)
        return;
    if (c->urn != NULL) {
        OPENSSL_cleanse(c->urn, strlen(c->urn));
        free(c->urn);
    }
    free(c->call_id);
    free(c->digits);
    free(c->recording_url);
    memset(c, 0, sizeof(*c));
}

void
voicexml_text(struct sk_buf *b, const char *s)
{
    const char *run = s;

    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        const char *rep = NULL;

        switch (c) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&apos;";
            break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                rep = ""; /* not allowed in XML 1.0 */
        }
        if (rep == NULL)
            continue;
        sk_buf_add(b, run, (size_t)(s - run));
        sk_buf_str(b, rep);
        run = s + 1;
    }
    sk_buf_add(b, run, (size_t)(s - run));
}

void
voicexml_attr(struct sk_buf *b, const char *name, const char *value)
{
    sk_buf_printf(b, " %s=\"", name);
    voicexml_text(b, value);
    sk_buf_addc(b, '"');
}

void
voicexml_attr_int(struct sk_buf *b, const char *name, long long v)
{
    sk_buf_printf(b, " %s=\"%lld\"", name, v);
}

char *
voicexml_url(const struct config_channel *ch, const char *path,
             const char *secret)
{
    struct sk_buf b = {0};
    const char *base = ch->base_url != NULL ? ch->base_url : "";
    const unsigned char *p;

    sk_buf_str(&b, base);
    sk_buf_str(&b, path);
    if (secret != NULL) {
        sk_buf_str(&b, strchr(path, '?') != NULL ? "&secret=" : "?secret=");
        for (p = (const unsigned char *)secret; *p != '\0'; p++) {
            if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~')
                sk_buf_addc(&b, (char)*p);
            else
                sk_buf_printf(&b, "%%%02X", *p);
        }
    }
    return sk_buf_take(&b);
}

char *
voicexml_prompt_url(const struct config_channel *ch, const char *audio_url)
{
    if (audio_url[0] == '/' && audio_url[1] != '/')
        return voicexml_url(ch, audio_url, NULL);
    return strdup(audio_url);
}

int
voicexml_reply(struct sk_buf *b, struct channel_reply *out)
{
    memset(out, 0, sizeof(*out));
    if (b->fail) {
        sk_buf_free(b);
        return SK_ENOMEM;
    }
    out->body_len = b->len;
    if ((out->body = sk_buf_take(b)) == NULL)
        return SK_ENOMEM;
    out->code = 200;
    out->content_type = "text/xml; charset=utf-8";
    return 0;
}

int
voicexml_urn(const char *number, const char *field, char **urn,
             char err[SK_ERR_LEN])
{
    size_t len;

    *urn = NULL;
    if (number == NULL || number[0] == '\0') {
        sk_seterr(err, "missing \"%s\"", field);
        return SK_EINVAL;
    }
    if (strncmp(number, "tel:", 4) == 0)
        number += 4;
    if (strchr(number, ':') != NULL) {
        sk_seterr(err, "\"%s\" is not a phone number", field);
        return SK_EINVAL;
    }
    len = strlen(number);
    if (len == 0) {
        sk_seterr(err, "missing \"%s\"", field);
        return SK_EINVAL;
    }
    if (len > CHANNEL_MAX_URN - 5) {
        sk_seterr(err, "\"%s\" is too long", field);
        return SK_EINVAL;
    }
    if ((*urn = malloc(len + 5)) == NULL)
        return SK_ENOMEM;
    memcpy(*urn, "tel:", 4);
    strcpy(*urn + 4, number);
    /* an unescaped "+1..." arrives as " 1...": take the + back */
    if ((*urn)[4] == ' ')
        (*urn)[4] = '+';
    return 0;
}

char *
voicexml_dup(const char *s, int *rc)
{
    char *d;

    if (s == NULL || s[0] == '\0')
        return NULL;
    if ((d = strdup(s)) == NULL)
        *rc = SK_ENOMEM;
    return d;
}

int
voicexml_call_fill(struct channel_call *call, const struct voicexml_fields *f,
                   char err[SK_ERR_LEN])
{
    int rc = 0;

    if (f->id == NULL || f->id[0] == '\0') {
        sk_seterr(err, "missing \"%s\"", f->id_field);
        return SK_EINVAL;
    }
    if (strlen(f->id) > CHANNEL_MAX_ID / 2) {
        sk_seterr(err, "\"%s\" is too long", f->id_field);
        return SK_EINVAL;
    }
    if ((rc = voicexml_urn(f->from, f->from_field, &call->urn, err)) != 0)
        return rc;
    if (f->digits != NULL &&
        strspn(f->digits, "0123456789*#") != strlen(f->digits)) {
        sk_seterr(err, "\"%s\" is not keypad keys", f->digits_field);
        return SK_EINVAL;
    }
    call->call_id = voicexml_dup(f->id, &rc);
    call->digits = voicexml_dup(f->digits, &rc);
    call->recording_url = voicexml_dup(f->recording, &rc);
    return rc == SK_ENOMEM || call->call_id == NULL ? SK_ENOMEM : 0;
}
