/*
 * gsm.c - GSM-7 detection and SMS segment counting (see gsm.h).
 *
 * The alphabet tables are kept as code point lists; texts are short, so a
 * linear scan per character is cheap and keeps the tables readable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "gsm.h"

/* GSM 03.38 default alphabet, as Unicode code points. */
static const uint16_t gsm7_basic[] = {
    '@',    0x00A3, '$',    0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2,
    0x00C7, '\n',   0x00D8, 0x00F8, '\r',   0x00C5, 0x00E5, 0x0394, '_',
    0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, 0x03A3, 0x0398, 0x039E,
    0x00C6, 0x00E6, 0x00DF, 0x00C9, ' ',    '!',    '"',    '#',    0x00A4,
    '%',    '&',    '\'',   '(',    ')',    '*',    '+',    ',',    '-',
    '.',    '/',    ':',    ';',    '<',    '=',    '>',    '?',    0x00A1,
    0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7, 0x00BF, 0x00E4, 0x00F6, 0x00F1,
    0x00FC, 0x00E0};

/* The extension table: each takes an escape septet plus its own. */
static const uint16_t gsm7_ext[] = {'\f', '^', '{', '}', '\\',
                                    '[',  '~', ']', '|', 0x20AC};

static int
in_table(const uint16_t *table, size_t n, int32_t cp)
{
    for (size_t i = 0; i < n; i++) {
        if (table[i] == cp)
            return 1;
    }
    return 0;
}

/* Septets cp takes in GSM-7, or 0 when it is not in the alphabet. */
static size_t
gsm7_septets(int32_t cp)
{
    if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') ||
        (cp >= '0' && cp <= '9'))
        return 1;
    if (in_table(gsm7_basic, sizeof(gsm7_basic) / sizeof(gsm7_basic[0]), cp))
        return 1;
    if (in_table(gsm7_ext, sizeof(gsm7_ext) / sizeof(gsm7_ext[0]), cp))
        return 2;
    return 0;
}

int
gsm_measure(const char *text, struct gsm_info *info)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
    size_t septets = 0, units = 0;
    bool gsm7 = true;
    utf8proc_ssize_t left = (utf8proc_ssize_t)strlen(text);

    while (left > 0) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
        size_t s;

        if (n <= 0)
            return -1;
        p += n;
        left -= n;
        units += cp > 0xFFFF ? 2 : 1;
        s = gsm7_septets(cp);
        if (s == 0)
            gsm7 = false;
        septets += s;
    }
    if (gsm7) {
        info->coding = GSM_CODING_GSM7;
        info->units = septets;
        info->segments = septets <= 160 ? 1 : (septets + 152) / 153;
    } else {
        info->coding = GSM_CODING_UCS2;
        info->units = units;
        info->segments = units <= 70 ? 1 : (units + 66) / 67;
    }
    return 0;
}

bool
gsm_is_gsm7(const char *text)
{
    struct gsm_info info;

    return gsm_measure(text, &info) == 0 && info.coding == GSM_CODING_GSM7;
}

unsigned char *
gsm_utf16be(const char *text, size_t *len)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
    utf8proc_ssize_t left = (utf8proc_ssize_t)strlen(text);
    unsigned char *out = malloc((size_t)left * 4 + 1), *o = out;

    if (out == NULL)
        return NULL;
    while (left > 0) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);

        if (n <= 0) {
            free(out);
            return NULL;
        }
        p += n;
        left -= n;
        if (cp > 0xFFFF) {
            uint32_t v = (uint32_t)cp - 0x10000;
            uint16_t hi = (uint16_t)(0xD800 + (v >> 10));
            uint16_t lo = (uint16_t)(0xDC00 + (v & 0x3FF));

            *o++ = (unsigned char)(hi >> 8);
            *o++ = (unsigned char)(hi & 0xFF);
            *o++ = (unsigned char)(lo >> 8);
            *o++ = (unsigned char)(lo & 0xFF);
        } else {
            *o++ = (unsigned char)(cp >> 8);
            *o++ = (unsigned char)(cp & 0xFF);
        }
    }
    *len = (size_t)(o - out);
    return out;
}
