/*
 * utf8.h - stepping through UTF-8 text, for every part of the program.
 *
 * Part of the ground floor (flows/): the engine, the gateway and the audio
 * code use these instead of walking bytes by hand. Pure functions over
 * the caller's bytes; any thread. The rest of the text helpers (case,
 * words, normalising) are in text.h.
 */
#ifndef SK_UTF8_H
#define SK_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Steps forward: the code point at s[0..len) and its length in *n, or -1
 * (and *n 1) for a byte that does not start valid UTF-8. len must be > 0.
 */
int32_t sk_utf8_next(const char *s, size_t len, size_t *n);

/*
 * Steps back: the offset of the code point that ends before s[i], that is
 * the last byte before i that is not a continuation byte (10xxxxxx), or 0
 * when there is none. s[0..i) must be readable; 0 for i 0. To find where
 * a cut at i may go without splitting a sequence, call it with i + 1.
 */
size_t sk_utf8_back(const char *s, size_t i);

/* The bytes of the first max code points of s[0..len) (len when it holds
 * fewer). Code points are counted by their lead bytes. */
size_t sk_utf8_prefix(const char *s, size_t len, size_t max);

/* The number of code points (lead bytes) of the NUL-terminated s. */
size_t sk_utf8_count(const char *s);

#endif
