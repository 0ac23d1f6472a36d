/*
 * hex.c - hexadecimal digits (see hex.h). Pure; any thread.
 */
#include "hex.h"
#include "err.h"

void
sk_hex_encode(const void *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = in;

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

int
sk_hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
sk_hex_decode(const char *in, size_t inlen, unsigned char *out, size_t n)
{
    if (inlen != 2 * n)
        return SK_EINVAL;
    for (size_t i = 0; i < n; i++) {
        int hi = sk_hex_value((unsigned char)in[2 * i]);
        int lo = sk_hex_value((unsigned char)in[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return SK_EINVAL;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

void
sk_hex_pct(char out[3], unsigned char c)
{
    static const char digits[] = "0123456789ABCDEF";

    out[0] = '%';
    out[1] = digits[c >> 4];
    out[2] = digits[c & 0x0f];
}
