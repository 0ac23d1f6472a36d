/*
 * privacy.c - contact keys and the reply-address vault.
 *
 * The key file holds one 32-byte master secret as 64 hex digits. Two
 * sub-keys are derived from it with HMAC-SHA256 under fixed labels, so the
 * key that names contacts and the key that encrypts the vault are never the
 * same bytes:
 *
 *   contact key = HMAC(master, "sikiliza contact key v1")
 *   vault key   = HMAC(master, "sikiliza vault key v1")
 *   recording key = HMAC(master, "sikiliza recording key v1")
 *   dedupe key  = HMAC(master, "sikiliza dedupe key v1")
 *
 * A contact is named by hex HMAC-SHA256(contact key, canonical URN). The
 * canonical form of a phone number is E.164 (phone.h), read with the
 * country of [flows] country, so "254712345678", "+254712345678" and
 * "0712 345 678" in Kenya are one child with one key, whatever channel
 * the message came by. A number that cannot be made E.164 (a short code)
 * keeps the form privacy_normalize_urn() gives it.
 *
 * Keys made before the canonical form existed came from
 * privacy_normalize_urn() alone: a number that arrived without its "+"
 * or in its national form had another key then. No migration can rehash
 * them (the numbers are not stored), so such an old key is computed
 * again while the child's message is in memory (privacy_legacy_key), and
 * DELETE erases under both; the rest of what an old key holds ends with
 * the retention purge.
 *
 * The dedupe key names a provider's message id (privacy_dedupe_id) when
 * the id must outlive an erasure only to recognise the provider's retry.
 *
 * A vault blob is nonce (12) | AES-256-GCM ciphertext | tag (16), with the
 * contact key string as associated data. The master is wiped as soon as
 * the sub-keys exist; the sub-keys are wiped by privacy_close(). After
 * privacy_open() and privacy_set_country() the struct is read-only, so
 * any thread may use it.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "hex.h"
#include "phone.h"
#include "privacy.h"

#define KEY_LEN   32
#define NONCE_LEN 12
#define TAG_LEN   16

#define LABEL_CONTACT "sikiliza contact key v1"
#define LABEL_VAULT   "sikiliza vault key v1"
#define LABEL_REC     "sikiliza recording key v1"
#define LABEL_DEDUPE  "sikiliza dedupe key v1"

struct privacy {
    unsigned char contact[KEY_LEN]; /* names contacts */
    unsigned char vault[KEY_LEN];   /* seals reply addresses */
    unsigned char rec[KEY_LEN];     /* seals recordings */
    unsigned char dedupe[KEY_LEN];  /* names erased messages' ids */
    char country[3];                /* ISO 3166 alpha-2, or "" */
};

int
privacy_keygen(const char *path, char err[SK_ERR_LEN])
{
    unsigned char key[KEY_LEN];
    char text[2 * KEY_LEN + 2];
    const size_t textlen = 2 * KEY_LEN + 1; /* digits and newline */
    size_t off = 0;
    int fd = -1, rc = SK_EIO;

    if (path == NULL || path[0] == '\0') {
        sk_seterr(err, "keygen: no output file given");
        return SK_EINVAL;
    }
    fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        if (errno == EEXIST) {
            sk_seterr(err,
                      "key file %s already exists; refusing to overwrite "
                      "it (every contact key and vault entry depends on it)",
                      path);
            return SK_EEXIST;
        }
        sk_seterr(err, "key file %s: %s", path, strerror(errno));
        return SK_EIO;
    }
    if (RAND_bytes(key, sizeof(key)) != 1) {
        sk_seterr(err, "key file %s: no random bytes from OpenSSL", path);
        goto fail;
    }
    sk_hex_encode(key, sizeof(key), text);
    text[2 * KEY_LEN] = '\n';
    while (off < textlen) {
        ssize_t n = write(fd, text + off, textlen - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            sk_seterr(err, "key file %s: write: %s", path, strerror(errno));
            goto fail;
        }
        off += (size_t)n;
    }
    if (fchmod(fd, 0600) != 0 || fsync(fd) != 0) {
        sk_seterr(err, "key file %s: %s", path, strerror(errno));
        goto fail;
    }
    rc = 0;
fail:
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(text, sizeof(text));
    if (close(fd) != 0 && rc == 0) {
        sk_seterr(err, "key file %s: close: %s", path, strerror(errno));
        rc = SK_EIO;
    }
    if (rc != 0)
        unlink(path); /* we created it: leave no half-written key */
    return rc;
}

static int
derive(const unsigned char master[KEY_LEN], const char *label,
       unsigned char out[KEY_LEN])
{
    unsigned int len = 0;

    if (HMAC(EVP_sha256(), master, KEY_LEN, (const unsigned char *)label,
             strlen(label), out, &len) == NULL ||
        len != KEY_LEN)
        return SK_EIO;
    return 0;
}

struct privacy *
privacy_open(const char *path, char err[SK_ERR_LEN])
{
    struct privacy *p = NULL;
    unsigned char master[KEY_LEN];
    char text[2 * KEY_LEN + 8];
    struct stat st;
    ssize_t n;
    size_t len;
    int fd;

    if (path == NULL || path[0] == '\0') {
        sk_seterr(err, "no key file given");
        return NULL;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        sk_seterr(err, "key file %s: %s%s", path, strerror(errno),
                  errno == ENOENT ? " (create it with `sikiliza keygen -o "
                                    "FILE`)"
                                  : "");
        return NULL;
    }
    if (fstat(fd, &st) != 0) {
        sk_seterr(err, "key file %s: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        sk_seterr(err, "key file %s is not a regular file", path);
        goto fail;
    }
    if ((st.st_mode & 077) != 0) {
        sk_seterr(err,
                  "key file %s is open to group or others (mode %04o); "
                  "run: chmod 600 %s",
                  path, (unsigned)(st.st_mode & 07777), path);
        goto fail;
    }
    do {
        n = read(fd, text, sizeof(text));
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        sk_seterr(err, "key file %s: read: %s", path, strerror(errno));
        goto fail;
    }
    len = (size_t)n;
    if (len > 0 && text[len - 1] == '\n')
        len--;
    if (len > 0 && text[len - 1] == '\r')
        len--;
    if (sk_hex_decode(text, len, master, KEY_LEN) != 0) {
        sk_seterr(err,
                  "key file %s: expected 64 hex digits on one line "
                  "(as written by `sikiliza keygen`)",
                  path);
        goto fail;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        sk_seterr(err, "key file %s: out of memory", path);
        goto fail;
    }
    if (derive(master, LABEL_CONTACT, p->contact) != 0 ||
        derive(master, LABEL_VAULT, p->vault) != 0 ||
        derive(master, LABEL_REC, p->rec) != 0 ||
        derive(master, LABEL_DEDUPE, p->dedupe) != 0) {
        sk_seterr(err, "key file %s: key derivation failed", path);
        privacy_close(p);
        p = NULL;
        goto fail;
    }
fail:
    OPENSSL_cleanse(master, sizeof(master));
    OPENSSL_cleanse(text, sizeof(text));
    close(fd);
    return p;
}

void
privacy_close(struct privacy *p)
{
    if (p == NULL)
        return;
    OPENSSL_cleanse(p, sizeof(*p));
    free(p);
}

static bool
is_scheme_char(int c, bool first)
{
    if (isalpha(c))
        return true;
    return !first && (isdigit(c) || c == '+' || c == '-' || c == '.');
}

/* A phone number: optional +, digits, separators dropped, 00 -> +. */
static int
normalize_tel(const char *s, size_t n, char *out, size_t outlen)
{
    char num[PRIVACY_URN_MAX];
    size_t len = 0, digits = 0, start;
    bool plus = false;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' ||
            c == '\t')
            continue;
        if (c == '+' && len == 0 && !plus) {
            plus = true;
            continue;
        }
        if (!isdigit(c))
            return SK_EINVAL;
        if (len + 1 >= sizeof(num))
            return SK_EINVAL;
        num[len++] = (char)c;
    }
    num[len] = '\0';
    start = 0;
    if (!plus && len > 2 && num[0] == '0' && num[1] == '0') {
        plus = true; /* international prefix 00 */
        start = 2;
    }
    digits = len - start;
    if (digits < 3 || digits > PRIVACY_TEL_DIGITS_MAX)
        return SK_EINVAL;
    if (strlen("tel:") + (plus ? 1 : 0) + digits + 1 > outlen)
        return SK_ELIMIT;
    snprintf(out, outlen, "tel:%s%s", plus ? "+" : "", num + start);
    return 0;
}

int
privacy_normalize_urn(const char *urn, char *out, size_t outlen)
{
    const char *s, *e, *colon, *path;
    size_t n, slen;

    if (out == NULL || outlen == 0)
        return SK_EINVAL;
    out[0] = '\0';
    if (urn == NULL)
        return SK_EINVAL;
    s = urn;
    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    n = (size_t)(e - s);
    if (n == 0 || n >= PRIVACY_URN_MAX)
        return SK_EINVAL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7f)
            return SK_EINVAL;
    }

    colon = memchr(s, ':', n);
    if (colon == NULL) /* a bare number */
        return normalize_tel(s, n, out, outlen);
    slen = (size_t)(colon - s);
    if (slen == 0 || slen > 32)
        return SK_EINVAL;
    for (size_t i = 0; i < slen; i++)
        if (!is_scheme_char((unsigned char)s[i], i == 0))
            return SK_EINVAL;
    path = colon + 1;
    if (slen == 3 && strncasecmp(s, "tel", 3) == 0)
        return normalize_tel(path, (size_t)(e - path), out, outlen);
    if (path == e)
        return SK_EINVAL;
    if (n + 1 > outlen)
        return SK_ELIMIT;
    for (size_t i = 0; i < slen; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    memcpy(out + slen, colon, (size_t)(e - colon));
    out[n] = '\0';
    return 0;
}

int
privacy_set_country(struct privacy *p, const char *country)
{
    if (country == NULL || country[0] == '\0') {
        p->country[0] = '\0';
        return 0;
    }
    if (phone_calling_code(country) == NULL)
        return SK_EINVAL;
    p->country[0] = (char)toupper((unsigned char)country[0]);
    p->country[1] = (char)toupper((unsigned char)country[1]);
    p->country[2] = '\0';
    return 0;
}

int
privacy_canonical_urn(const struct privacy *p, const char *urn, char *out,
                      size_t outlen)
{
    char e164[PHONE_E164_MAX];
    int rc = privacy_normalize_urn(urn, out, outlen);

    if (rc != 0 || strncmp(out, "tel:", 4) != 0)
        return rc;
    if (phone_to_e164(out + 4, p != NULL ? p->country : NULL, e164) != 0)
        return 0; /* a short code: as it was typed */
    if (strlen("tel:") + strlen(e164) + 1 > outlen)
        return SK_ELIMIT;
    snprintf(out, outlen, "tel:%s", e164);
    OPENSSL_cleanse(e164, sizeof(e164));
    return 0;
}

/* out = hex HMAC-SHA256(key, text). */
static int
hmac_hex(const unsigned char key[KEY_LEN], const char *text, size_t len,
         char out[PRIVACY_KEY_HEX])
{
    unsigned char mac[KEY_LEN];
    unsigned int n = 0;

    if (HMAC(EVP_sha256(), key, KEY_LEN, (const unsigned char *)text, len, mac,
             &n) == NULL ||
        n != KEY_LEN)
        return SK_EIO;
    sk_hex_encode(mac, KEY_LEN, out);
    OPENSSL_cleanse(mac, sizeof(mac));
    return 0;
}

/* The key of urn in the canonical (legacy false) or the old form. */
static int
contact_key(const struct privacy *p, const char *urn, bool legacy,
            char out[PRIVACY_KEY_HEX])
{
    char norm[PRIVACY_URN_MAX];
    int rc;

    if (out != NULL)
        out[0] = '\0';
    if (p == NULL || out == NULL)
        return SK_EINVAL;
    rc = legacy ? privacy_normalize_urn(urn, norm, sizeof(norm))
                : privacy_canonical_urn(p, urn, norm, sizeof(norm));
    if (rc == 0)
        rc = hmac_hex(p->contact, norm, strlen(norm), out);
    OPENSSL_cleanse(norm, sizeof(norm));
    return rc;
}

int
privacy_contact_key(const struct privacy *p, const char *urn,
                    char out[PRIVACY_KEY_HEX])
{
    return contact_key(p, urn, false, out);
}

int
privacy_legacy_key(const struct privacy *p, const char *urn,
                   char out[PRIVACY_KEY_HEX])
{
    return contact_key(p, urn, true, out);
}

int
privacy_dedupe_id(const struct privacy *p, const char *channel,
                  const char *external_id, char out[PRIVACY_DEDUPE_MAX])
{
    size_t cl, el;
    char *text;
    int rc;

    out[0] = '\0';
    if (p == NULL || channel == NULL || external_id == NULL)
        return SK_EINVAL;
    cl = strlen(channel);
    el = strlen(external_id);
    if ((text = malloc(cl + el + 2)) == NULL)
        return SK_ENOMEM;
    /* a channel name holds no newline: the pair is unambiguous */
    memcpy(text, channel, cl);
    text[cl] = '\n';
    memcpy(text + cl + 1, external_id, el + 1);
    out[0] = '#';
    rc = hmac_hex(p->dedupe, text, cl + el + 1, out + 1);
    OPENSSL_cleanse(text, cl + el + 1);
    free(text);
    if (rc != 0)
        out[0] = '\0';
    return rc;
}

unsigned char *
privacy_seal(const struct privacy *p, const char *contact_key,
             const char *plain, size_t *blob_len)
{
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char *blob = NULL;
    size_t plen, aadlen;
    int outl = 0, finl = 0;

    if (blob_len != NULL)
        *blob_len = 0;
    if (p == NULL || contact_key == NULL || plain == NULL || blob_len == NULL)
        return NULL;
    plen = strlen(plain);
    aadlen = strlen(contact_key);
    if (plen > PRIVACY_PLAIN_MAX || aadlen > INT_MAX)
        return NULL;
    blob = malloc(NONCE_LEN + plen + TAG_LEN);
    ctx = EVP_CIPHER_CTX_new();
    if (blob == NULL || ctx == NULL)
        goto fail;
    if (RAND_bytes(blob, NONCE_LEN) != 1)
        goto fail;
    if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) !=
            1 ||
        EVP_EncryptInit_ex(ctx, NULL, NULL, p->vault, blob) != 1)
        goto fail;
    if (EVP_EncryptUpdate(ctx, NULL, &outl, (const unsigned char *)contact_key,
                          (int)aadlen) != 1)
        goto fail;
    if (EVP_EncryptUpdate(ctx, blob + NONCE_LEN, &outl,
                          (const unsigned char *)plain, (int)plen) != 1 ||
        EVP_EncryptFinal_ex(ctx, blob + NONCE_LEN + outl, &finl) != 1 ||
        (size_t)(outl + finl) != plen)
        goto fail;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
                            blob + NONCE_LEN + plen) != 1)
        goto fail;
    EVP_CIPHER_CTX_free(ctx);
    *blob_len = NONCE_LEN + plen + TAG_LEN;
    return blob;
fail:
    EVP_CIPHER_CTX_free(ctx);
    free(blob);
    return NULL;
}

char *
privacy_open_blob(const struct privacy *p, const char *contact_key,
                  const unsigned char *blob, size_t blob_len)
{
    EVP_CIPHER_CTX *ctx = NULL;
    char *plain = NULL;
    size_t clen, aadlen;
    int outl = 0, finl = 0;

    if (p == NULL || contact_key == NULL || blob == NULL ||
        blob_len < NONCE_LEN + TAG_LEN)
        return NULL;
    clen = blob_len - NONCE_LEN - TAG_LEN;
    aadlen = strlen(contact_key);
    if (clen > PRIVACY_PLAIN_MAX || aadlen > INT_MAX)
        return NULL;
    plain = malloc(clen + 1);
    ctx = EVP_CIPHER_CTX_new();
    if (plain == NULL || ctx == NULL)
        goto fail;
    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) !=
            1 ||
        EVP_DecryptInit_ex(ctx, NULL, NULL, p->vault, blob) != 1)
        goto fail;
    if (EVP_DecryptUpdate(ctx, NULL, &outl, (const unsigned char *)contact_key,
                          (int)aadlen) != 1)
        goto fail;
    if (EVP_DecryptUpdate(ctx, (unsigned char *)plain, &outl, blob + NONCE_LEN,
                          (int)clen) != 1)
        goto fail;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
                            (void *)(blob + NONCE_LEN + clen)) != 1 ||
        EVP_DecryptFinal_ex(ctx, (unsigned char *)plain + outl, &finl) != 1 ||
        (size_t)(outl + finl) != clen)
        goto fail; /* tampered, wrong key or wrong contact */
    plain[clen] = '\0';
    if (strlen(plain) != clen)
        goto fail; /* an embedded NUL was never sealed by us */
    EVP_CIPHER_CTX_free(ctx);
    return plain;
fail:
    EVP_CIPHER_CTX_free(ctx);
    if (plain != NULL) {
        OPENSSL_cleanse(plain, clen + 1);
        free(plain);
    }
    return NULL;
}

/* --- recordings ---------------------------------------------------------- */

/* AES-256-GCM of data[0..len) under key with aad into out (len bytes);
 * enc: encrypt with nonce and write tag, else decrypt and check tag. */
static int
gcm_run(const unsigned char key[KEY_LEN], bool enc, const unsigned char *nonce,
        const void *aad, size_t aad_len, const unsigned char *in, size_t len,
        unsigned char *out, unsigned char tag[TAG_LEN])
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int outl = 0, finl = 0, ok = 0;

    if (ctx == NULL || aad_len > INT_MAX || len > INT_MAX)
        goto out;
    if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL,
                          enc ? 1 : 0) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) !=
            1 ||
        EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc ? 1 : 0) != 1)
        goto out;
    if (aad_len > 0 &&
        EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1)
        goto out;
    if (len > 0 && EVP_CipherUpdate(ctx, out, &outl, in, (int)len) != 1)
        goto out;
    if (!enc &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1)
        goto out;
    if (EVP_CipherFinal_ex(ctx, out + (len > 0 ? outl : 0), &finl) != 1 ||
        (size_t)((len > 0 ? outl : 0) + finl) != len)
        goto out; /* decrypting: tampered, wrong key or wrong aad */
    if (enc &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1)
        goto out;
    ok = 1;
out:
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : SK_EDENIED;
}

unsigned char *
privacy_seal_recording(const struct privacy *p, const void *aad, size_t aad_len,
                       const void *data, size_t len, size_t *blob_len)
{
    unsigned char *blob;

    if (blob_len != NULL)
        *blob_len = 0;
    if (p == NULL || (data == NULL && len > 0) || (aad == NULL && aad_len) ||
        blob_len == NULL || len > PRIVACY_RECORDING_MAX)
        return NULL;
    blob = malloc(NONCE_LEN + len + TAG_LEN);
    if (blob == NULL)
        return NULL;
    if (RAND_bytes(blob, NONCE_LEN) != 1 ||
        gcm_run(p->rec, true, blob, aad, aad_len, data, len, blob + NONCE_LEN,
                blob + NONCE_LEN + len) != 0) {
        OPENSSL_cleanse(blob, NONCE_LEN + len + TAG_LEN);
        free(blob);
        return NULL;
    }
    *blob_len = NONCE_LEN + len + TAG_LEN;
    return blob;
}

int
privacy_open_recording(const struct privacy *p, const void *aad, size_t aad_len,
                       const unsigned char *blob, size_t blob_len, void **data,
                       size_t *len)
{
    unsigned char tag[TAG_LEN];
    unsigned char *plain;
    size_t clen;

    *data = NULL;
    *len = 0;
    if (p == NULL || blob == NULL || (aad == NULL && aad_len) ||
        blob_len < NONCE_LEN + TAG_LEN ||
        blob_len - NONCE_LEN - TAG_LEN > PRIVACY_RECORDING_MAX)
        return SK_EINVAL;
    clen = blob_len - NONCE_LEN - TAG_LEN;
    plain = malloc(clen > 0 ? clen : 1);
    if (plain == NULL)
        return SK_ENOMEM;
    memcpy(tag, blob + NONCE_LEN + clen, TAG_LEN);
    if (gcm_run(p->rec, false, blob, aad, aad_len, blob + NONCE_LEN, clen,
                plain, tag) != 0) {
        OPENSSL_cleanse(plain, clen);
        free(plain);
        return SK_EDENIED;
    }
    *data = plain;
    *len = clen;
    return 0;
}

/* The stable pseudonym key of exports: derived from the contact sub-key
 * under its own label, so it is neither that key nor the vault's, and
 * the same for every export made with this key file. */
int
privacy_export_key(const struct privacy *p, unsigned char out[32])
{
    return derive(p->contact, "sikiliza export pseudonym key v1", out);
}
