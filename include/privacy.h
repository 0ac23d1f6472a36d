/*
 * privacy.h - pseudonymisation at the edge and the reply-address vault.
 *
 * A phone number (URN, e.g. "tel:+254700000001") exists in clear only in
 * memory while a request is handled. What is stored is the contact key,
 * HMAC-SHA256(key, normalised URN) in hex; logs show its first 8 hex
 * digits. A reply address needed later lives in the vault, sealed with
 * AES-256-GCM under a key derived from the same secret key file.
 * The key file holds 32 random bytes as 64 hex digits (`sikiliza keygen`).
 * A struct privacy is read-only after privacy_open(), so any thread may
 * use it.
 */
#ifndef SK_PRIVACY_H
#define SK_PRIVACY_H

#include <stddef.h>

#include "err.h"

#define PRIVACY_KEY_HEX        65   /* 64 hex digits and NUL */
#define PRIVACY_URN_MAX        256  /* longest URN accepted, with its NUL */
#define PRIVACY_TEL_DIGITS_MAX 20   /* digits in a tel: number, at most */
#define PRIVACY_PLAIN_MAX      4096 /* longest text privacy_seal() takes */
#define PRIVACY_SEAL_OVERHEAD  28   /* nonce (12) and tag (16) per blob */

struct privacy;

/* Creates path (mode 0600, refusing to overwrite) with a new random key. */
int privacy_keygen(const char *path, char err[SK_ERR_LEN]);

/* Loads the key file; refuses a file readable by group or others. */
struct privacy *privacy_open(const char *path, char err[SK_ERR_LEN]);
void privacy_close(struct privacy *p); /* NULL is a no-op; wipes keys */

/*
 * Normalises a URN for keying: "tel:" numbers keep a leading + and digits
 * only (spaces, dashes, dots and brackets dropped, "00" prefix becomes
 * "+"); other schemes are lower-cased. Writes into out (size outlen).
 * A bare number without a scheme becomes "tel:...". SK_EINVAL for an
 * empty, too long (PRIVACY_URN_MAX) or malformed URN, SK_ELIMIT when out
 * is too small.
 */
int privacy_normalize_urn(const char *urn, char *out, size_t outlen);

/* out = hex HMAC-SHA256(key, normalised urn). */
int privacy_contact_key(const struct privacy *p, const char *urn,
                        char out[PRIVACY_KEY_HEX]);

/*
 * Seals plain text (a reply address) for the vault: returns a malloc'd
 * blob (nonce | ciphertext | tag) and its length. The contact key is bound
 * as associated data so a blob cannot be moved to another contact.
 */
unsigned char *privacy_seal(const struct privacy *p, const char *contact_key,
                            const char *plain, size_t *blob_len);

/* Opens a sealed blob; malloc'd NUL-terminated text, NULL when tampered. */
char *privacy_open_blob(const struct privacy *p, const char *contact_key,
                        const unsigned char *blob, size_t blob_len);

/* The key of stable export pseudonyms (`export --stable-ids`): 32 bytes
 * derived from the secret key, the same for every export under one key
 * file, never a key that names contacts or seals the vault. 0 or SK_EIO. */
int privacy_export_key(const struct privacy *p, unsigned char out[32]);

#endif
