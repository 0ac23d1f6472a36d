/*
 * err.h - error codes and the error buffer of the whole program.
 *
 * Part of the ground floor (flows/): the engine, the gateway and the audio
 * code all report errors this way.
 * Functions return 0 on success and a negative SK_E* value on failure.
 * Constructors return NULL and fill a caller-provided char[SK_ERR_LEN].
 * Only the innermost layer writes the buffer, so the first cause is kept.
 * Any thread may call these.
 */
#ifndef SK_ERR_H
#define SK_ERR_H

#define SK_ERR_LEN 256

enum {
    SK_OK = 0,
    SK_EINVAL = -1,  /* invalid input: bad config, flow, request */
    SK_ENOMEM = -2,  /* out of memory */
    SK_EIO = -3,     /* file, database or network failure */
    SK_ENOENT = -4,  /* no such thing (flow, session, key) */
    SK_EBUSY = -5,   /* queue full, try later */
    SK_EEXIST = -6,  /* already there (duplicate message) */
    SK_ELIMIT = -7,  /* a size or rate limit was hit */
    SK_EDENIED = -8, /* wrong secret or signature */
    SK_ESTATE = -9   /* not allowed in the current state */
};

/* Formats into err (if err is not NULL and still empty). */
void sk_seterr(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A short constant name for a code, e.g. "EINVAL". */
const char *sk_strerror(int rc);

#endif
