/*
 * gsm.h - SMS encoding and cost: GSM 03.38 (GSM-7) detection, segment
 * counting, and UTF-16BE for UCS-2 sends. Pure; any thread.
 *
 * A text that every character of which is in the GSM-7 default alphabet
 * or its extension table is sent as GSM-7: 160 septets in one SMS, 153 per
 * part when concatenated, extension characters ({ } [ ] ~ \ | ^ € and form
 * feed) taking two. Anything else goes as UCS-2: 70 UTF-16 code units in
 * one SMS, 67 per part; characters outside the BMP (emoji) take two units.
 */
#ifndef SK_GSM_H
#define SK_GSM_H

#include <stdbool.h>
#include <stddef.h>

enum gsm_coding { GSM_CODING_GSM7, GSM_CODING_UCS2 };

struct gsm_info {
    enum gsm_coding coding;
    size_t units;    /* septets (GSM-7) or UTF-16 code units (UCS-2) */
    size_t segments; /* SMS parts the text takes (an empty text takes 1) */
};

/* Measures UTF-8 text. Returns 0, or -1 when text is not valid UTF-8. */
int gsm_measure(const char *text, struct gsm_info *info);

/* Whether every character of the UTF-8 text is in GSM-7. */
bool gsm_is_gsm7(const char *text);

/*
 * Converts UTF-8 text to UTF-16BE (for Kannel's coding=2). Returns a
 * malloc'd buffer and its length in bytes, or NULL on invalid UTF-8.
 */
unsigned char *gsm_utf16be(const char *text, size_t *len);

#endif
