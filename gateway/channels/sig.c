/*
 * sig.c - Twilio and Vonage webhook signatures (see sig.h).
 *
 * Parameters are sorted into a private array of pointers; the string to
 * sign is built in a heap buffer sized from the parameters, so there is
 * no fixed limit beyond what the HTTP layer already enforces.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "hex.h"
#include "sig.h"

static int
cmp_key_value(const void *a, const void *b)
{
    const struct sig_param *x = *(const struct sig_param *const *)a;
    const struct sig_param *y = *(const struct sig_param *const *)b;
    int c = strcmp(x->key, y->key);

    return c != 0 ? c : strcmp(x->value, y->value);
}

static const struct sig_param **
sorted(const struct sig_param *params, size_t n)
{
    const struct sig_param **v = calloc(n + 1, sizeof(*v));

    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        v[i] = &params[i];
    qsort(v, n, sizeof(*v), cmp_key_value);
    return v;
}

int
sig_twilio(const char *auth_token, const char *url,
           const struct sig_param *params, size_t n, char out[SIG_TWILIO_LEN])
{
    const struct sig_param **v = sorted(params, n);
    size_t len = strlen(url) + 1;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    char *s;

    if (v == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]->key) + strlen(v[i]->value);
    s = malloc(len);
    if (s == NULL) {
        free(v);
        return -1;
    }
    strcpy(s, url);
    for (size_t i = 0; i < n; i++) {
        strcat(s, v[i]->key);
        strcat(s, v[i]->value);
    }
    free(v);
    if (HMAC(EVP_sha1(), auth_token, (int)strlen(auth_token),
             (unsigned char *)s, strlen(s), mac, &mac_len) == NULL) {
        free(s);
        return -1;
    }
    free(s);
    EVP_EncodeBlock((unsigned char *)out, mac, (int)mac_len);
    return 0;
}

/*
 * The other spelling of url: with the scheme's default port when it has
 * none, without it when it has the default one. NULL when there is none.
 */
static char *
other_port_form(const char *url)
{
    const char *port = NULL, *host, *end;
    char *out;
    size_t hlen;

    if (strncasecmp(url, "https://", 8) == 0) {
        host = url + 8;
        port = ":443";
    } else if (strncasecmp(url, "http://", 7) == 0) {
        host = url + 7;
        port = ":80";
    } else {
        return NULL;
    }
    end = host + strcspn(host, "/?#");
    hlen = (size_t)(end - host);
    out = malloc(strlen(url) + 8);
    if (out == NULL)
        return NULL;
    if (hlen > strlen(port) &&
        strncmp(end - strlen(port), port, strlen(port)) == 0) {
        /* drop the default port */
        size_t keep = (size_t)(end - url) - strlen(port);

        memcpy(out, url, keep);
        strcpy(out + keep, end);
        return out;
    }
    if (memchr(host, ':', hlen) != NULL) {
        free(out); /* another port: only one spelling */
        return NULL;
    }
    memcpy(out, url, (size_t)(end - url));
    strcpy(out + (end - url), port);
    strcat(out, end);
    return out;
}

static bool
same_text(const char *a, const char *b)
{
    size_t n = strlen(a);

    return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

bool
sig_twilio_verify(const char *auth_token, const char *url,
                  const struct sig_param *params, size_t n,
                  const char *signature)
{
    char want[SIG_TWILIO_LEN];
    char *other;
    bool ok = false;

    if (signature == NULL || auth_token == NULL || *auth_token == '\0')
        return false;
    if (sig_twilio(auth_token, url, params, n, want) == 0)
        ok = same_text(want, signature);
    other = other_port_form(url);
    if (!ok && other != NULL &&
        sig_twilio(auth_token, other, params, n, want) == 0)
        ok = same_text(want, signature);
    free(other);
    return ok;
}

bool
sig_twilio_body_ok(const char *url, const void *body, size_t len)
{
    const char *q = strchr(url, '?');
    unsigned char digest[SHA256_DIGEST_LENGTH];
    char hex[2 * SHA256_DIGEST_LENGTH + 1];

    while (q != NULL) {
        q++;
        if (strncmp(q, "bodySHA256=", 11) == 0)
            break;
        q = strchr(q, '&');
    }
    if (q == NULL)
        return false;
    q += 11;
    SHA256(body, len, digest);
    sk_hex_encode(digest, sizeof(digest), hex);
    return strncasecmp(q, hex, 64) == 0 && (q[64] == '\0' || q[64] == '&');
}

static const EVP_MD *
vonage_md(const char *method)
{
    if (strcmp(method, "md5") == 0)
        return EVP_md5();
    if (strcmp(method, "sha1") == 0)
        return EVP_sha1();
    if (strcmp(method, "sha256") == 0)
        return EVP_sha256();
    if (strcmp(method, "sha512") == 0)
        return EVP_sha512();
    return NULL;
}

/* Appends s to out with '&' and '=' replaced by '_'. */
static char *
append_clean(char *out, const char *s)
{
    for (; *s; s++)
        *out++ = (*s == '&' || *s == '=') ? '_' : *s;
    *out = '\0';
    return out;
}

int
sig_vonage(const char *method, const char *secret,
           const struct sig_param *params, size_t n, char out[SIG_VONAGE_LEN])
{
    const struct sig_param **v;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    bool md5hash = strcmp(method, "md5hash") == 0;
    const EVP_MD *md = md5hash ? EVP_md5() : vonage_md(method);
    size_t len = strlen(secret) + 1;
    char *s, *p;
    int rc = -1;

    if (md == NULL || (v = sorted(params, n)) == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]->key) + strlen(v[i]->value) + 2;
    p = s = malloc(len);
    if (s == NULL)
        goto done;
    *p = '\0';
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i]->key, "sig") == 0)
            continue;
        *p++ = '&';
        p = append_clean(p, v[i]->key);
        *p++ = '=';
        p = append_clean(p, v[i]->value);
    }
    if (md5hash) {
        strcpy(p, secret);
        if (EVP_Digest(s, strlen(s), mac, &mac_len, md, NULL) != 1)
            goto done;
    } else if (HMAC(md, secret, (int)strlen(secret), (unsigned char *)s,
                    strlen(s), mac, &mac_len) == NULL) {
        goto done;
    }
    sk_hex_encode(mac, mac_len, out);
    rc = 0;
done:
    free(s);
    free(v);
    return rc;
}

bool
sig_vonage_verify(const char *method, const char *secret,
                  const struct sig_param *params, size_t n)
{
    char want[SIG_VONAGE_LEN], got[SIG_VONAGE_LEN];
    const char *sig = NULL;
    size_t len;

    for (size_t i = 0; i < n; i++) {
        if (strcmp(params[i].key, "sig") == 0)
            sig = params[i].value;
    }
    if (sig == NULL || secret == NULL || *secret == '\0' ||
        sig_vonage(method, secret, params, n, want) != 0)
        return false;
    len = strlen(sig);
    if (len != strlen(want))
        return false;
    for (size_t i = 0; i <= len; i++)
        got[i] = (char)tolower((unsigned char)sig[i]);
    return CRYPTO_memcmp(got, want, len) == 0;
}
