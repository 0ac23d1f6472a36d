/*
 * hex.h - hexadecimal digits, for every part of the program.
 *
 * Part of the ground floor (flows/): keys, MACs and digests are written
 * and read with these, and percent-encoding uses sk_hex_pct. Pure
 * functions over the caller's buffers; any thread.
 */
#ifndef SK_HEX_H
#define SK_HEX_H

#include <stddef.h>

/* Writes in[0..n) as 2 * n lower-case digits and a NUL into out, which
 * holds 2 * n + 1 bytes. */
void sk_hex_encode(const void *in, size_t n, char *out);

/* Reads exactly 2 * n digits (either case) from in[0..inlen) into
 * out[0..n); SK_EINVAL when inlen is not 2 * n or a byte is no digit. */
int sk_hex_decode(const char *in, size_t inlen, unsigned char *out, size_t n);

/* The value 0..15 of the digit c (either case), or -1. */
int sk_hex_value(int c);

/* Writes "%XX" (upper case, as URLs are escaped) for byte c into out[0..3);
 * no NUL. */
void sk_hex_pct(char out[3], unsigned char c);

#endif
