/*
 * privacy.h - pseudonymisation at the edge and the reply-address vault.
 *
 * A phone number (URN, e.g. "tel:+254700000001") exists in clear only in
 * memory while a request is handled. What is stored is the contact key,
 * HMAC-SHA256(key, canonical URN) in hex (a phone number in E.164 form:
 * privacy_canonical_urn()); logs show its first 8 hex digits. A reply
 * address needed later lives in the vault, sealed with AES-256-GCM under
 * a key derived from the same secret key file. The key file holds 32
 * random bytes as 64 hex digits (`sikiliza keygen`). A struct privacy is
 * read-only after privacy_open() and privacy_set_country(), so any thread
 * may use it then.
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
#define PRIVACY_RECORDING_MAX  (32 * 1024 * 1024) /* bytes one seal takes */

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

/*
 * The country national phone numbers are read in (ISO 3166 alpha-2,
 * [flows] country; NULL or "" for none). Call it after privacy_open()
 * and before other threads use p. SK_EINVAL for a country not in the
 * phone table (phone.h).
 */
int privacy_set_country(struct privacy *p, const char *country);

/*
 * The URN as contacts are keyed by it: privacy_normalize_urn(), then a
 * tel: number made E.164 with p's country ("254712345678",
 * "+254 712 345 678" and, in Kenya, "0712345678" are all
 * "tel:+254712345678"); a number that cannot be made E.164 (a short
 * code) stays as privacy_normalize_urn() gives it. p may be NULL (no
 * country). Same errors as privacy_normalize_urn().
 */
int privacy_canonical_urn(const struct privacy *p, const char *urn, char *out,
                          size_t outlen);

/* out = hex HMAC-SHA256(contact key, canonical urn). */
int privacy_contact_key(const struct privacy *p, const char *urn,
                        char out[PRIVACY_KEY_HEX]);

/* The key urn had before numbers were made E.164 (HMAC of
 * privacy_normalize_urn()'s form): DELETE erases under it too. Equal to
 * privacy_contact_key() for numbers that came with their "+". */
int privacy_legacy_key(const struct privacy *p, const char *urn,
                       char out[PRIVACY_KEY_HEX]);

/* "#" and 64 hex digits and a NUL. */
#define PRIVACY_DEDUPE_MAX (PRIVACY_KEY_HEX + 1)

/*
 * "#" and the hex HMAC-SHA256 (under a key of its own) of channel and a
 * provider's message id: what the dedupe row of an erased contact's last
 * message (the DELETE itself) keeps instead of the id, which the provider
 * could link back to the number. SK_EINVAL, SK_ENOMEM, SK_EIO.
 */
int privacy_dedupe_id(const struct privacy *p, const char *channel,
                      const char *external_id, char out[PRIVACY_DEDUPE_MAX]);

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

/*
 * Recordings (audio is personal data): data[0..len) sealed with
 * AES-256-GCM under its own key (derived from the key file, not the
 * vault's) and a fresh random nonce, aad bound as associated data (the
 * contact key and what the recording is of, so a blob cannot be moved).
 * seal: a malloc'd blob (nonce | ciphertext | tag, len +
 * PRIVACY_SEAL_OVERHEAD bytes) or NULL (no memory, over
 * PRIVACY_RECORDING_MAX). open: 0 with a malloc'd *data of *len bytes;
 * SK_EDENIED when the blob was tampered with, sealed under another key or
 * with another aad; SK_EINVAL, SK_ENOMEM.
 */
unsigned char *privacy_seal_recording(const struct privacy *p, const void *aad,
                                      size_t aad_len, const void *data,
                                      size_t len, size_t *blob_len);
int privacy_open_recording(const struct privacy *p, const void *aad,
                           size_t aad_len, const unsigned char *blob,
                           size_t blob_len, void **data, size_t *len);
/* The key of stable export pseudonyms (`export --stable-ids`): 32 bytes
 * derived from the secret key, the same for every export under one key
 * file, never a key that names contacts or seals the vault. 0 or SK_EIO. */
int privacy_export_key(const struct privacy *p, unsigned char out[32]);

#endif
