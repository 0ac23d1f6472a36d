/*
 * sig.h - provider webhook signatures: Twilio's X-Twilio-Signature and
 * Vonage's "sig" parameter. Pure (OpenSSL libcrypto); any thread.
 *
 * Twilio: base64(HMAC-SHA1(auth_token, URL + key1 + value1 + ...)) with the
 * POST parameters sorted by key, then by value. Twilio signs the URL as it
 * called it, which may or may not carry the default port, so verification
 * accepts either form. A JSON body is signed through a bodySHA256 query
 * parameter, checked against the SHA-256 of the body.
 *
 * Vonage: the parameters except "sig", sorted by key, joined as
 * "&key=value" with "&" and "=" in values replaced by "_"; then
 * md5hash: MD5(string + secret), or md5/sha1/sha256/sha512: hex
 * HMAC(secret, string). Compared case-insensitively.
 */
#ifndef SK_SIG_H
#define SK_SIG_H

#include <stdbool.h>
#include <stddef.h>

#define SIG_TWILIO_LEN 29  /* base64 of 20 bytes and NUL */
#define SIG_VONAGE_LEN 129 /* hex of up to 64 bytes and NUL */

struct sig_param {
    const char *key;
    const char *value;
};

/* Twilio's signature of url and params into out. 0 or -1. */
int sig_twilio(const char *auth_token, const char *url,
               const struct sig_param *params, size_t n,
               char out[SIG_TWILIO_LEN]);

/* Whether signature is Twilio's for url (with or without its default
 * port) and params, in constant time. */
bool sig_twilio_verify(const char *auth_token, const char *url,
                       const struct sig_param *params, size_t n,
                       const char *signature);

/* Whether url's bodySHA256 query parameter is the SHA-256 of body. */
bool sig_twilio_body_ok(const char *url, const void *body, size_t len);

/* Vonage's signature with method (md5hash, md5, sha1, sha256, sha512).
 * Returns 0, or -1 for an unknown method. */
int sig_vonage(const char *method, const char *secret,
               const struct sig_param *params, size_t n,
               char out[SIG_VONAGE_LEN]);

/* Whether params' "sig" is valid, in constant time. */
bool sig_vonage_verify(const char *method, const char *secret,
                       const struct sig_param *params, size_t n);

#endif
