/*
 * buf.h - the one bounded growable text buffer of the program.
 *
 * Part of the ground floor (flows/): the engine, the gateway and the audio
 * code all build text with it. A buffer is a plain struct owned by its
 * caller; any thread may use its own buffers (nothing is shared, there is
 * no global state).
 *
 *     struct sk_buf b = {0};              (empty, limit SK_BUF_MAX)
 *     sk_buf_add(&b, "a", 1);
 *     sk_buf_printf(&b, "%d", 42);
 *     char *s = sk_buf_take(&b);          (malloc'd; NULL if it failed)
 *
 * s is NUL-terminated whenever it is not NULL (NULL until the first
 * addition). Once an addition fails (no memory, or the text would pass the
 * limit) fail is set and every later addition is ignored, so a caller
 * checks once, at the end. max, when not 0, is the most bytes the text may
 * hold (without the NUL); 0 means SK_BUF_MAX.
 */
#ifndef SK_BUF_H
#define SK_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The limit of a buffer whose max is 0 (bytes). */
#define SK_BUF_MAX (64u * 1024 * 1024)

struct sk_buf {
    char *s;
    size_t len, cap;
    bool fail;  /* out of memory or over the limit: later additions ignored */
    size_t max; /* most bytes of text; 0 means SK_BUF_MAX */
};

/* Appends s[0..n). */
void sk_buf_add(struct sk_buf *b, const char *s, size_t n);

/* Appends the NUL-terminated s. */
void sk_buf_str(struct sk_buf *b, const char *s);

/* Appends one byte. */
void sk_buf_addc(struct sk_buf *b, char c);

/* Appends code point cp in UTF-8; one that cannot be encoded (negative
 * or past U+10FFFF) adds nothing. */
void sk_buf_cp(struct sk_buf *b, int32_t cp);

/* Appends printf-style. */
void sk_buf_printf(struct sk_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Takes the text: a malloc'd string ("" when nothing was added) the caller
 * frees, or NULL when the buffer failed or there is no memory. Either way
 * the buffer is empty again ({0} with its max kept).
 */
char *sk_buf_take(struct sk_buf *b);

/* Frees the text and empties the buffer (max kept). */
void sk_buf_free(struct sk_buf *b);

/* As sk_buf_free, zeroing the memory first (for secrets). */
void sk_buf_wipe(struct sk_buf *b);

#endif
