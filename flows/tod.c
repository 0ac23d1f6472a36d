/*
 * tod.c - goflow's time of day finder (see tod.h): a PCRE2 pattern, as
 * goflow's own regular expression, run with a match limit so that no text
 * makes it run away. Pure; any thread.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "err.h"
#include "text.h"
#include "tod.h"

/* Steps one match may take. */
#define TOD_MATCH_LIMIT 100000

/* The time one match stands for (ov: its groups); false when it is out of
 * range. */
static bool
tod_of_match(const char *s, const PCRE2_SIZE *ov, struct tod *t)
{
    int g[4] = {0, 0, 0, 0}, us = 0, nd = 0;
    char ampm = '\0';

    for (int i = 1; i <= 3; i++)
        if (ov[2 * i] != PCRE2_UNSET)
            g[i] = text_digits_value(s + ov[2 * i], ov[2 * i + 1] - ov[2 * i]);
    if (ov[8] != PCRE2_UNSET)
        for (size_t i = ov[8]; i < ov[9]; i++, nd++)
            if (nd < 6)
                us = us * 10 + (s[i] - '0');
    for (; nd < 6; nd++)
        us *= 10;
    if (ov[10] != PCRE2_UNSET)
        ampm = (char)tolower((unsigned char)s[ov[10]]);
    if (g[1] < 12 && ampm == 'p')
        g[1] += 12;
    else if (g[1] == 12 && ampm == 'a')
        g[1] = 0;
    if (g[1] == 24 && g[2] == 0 && g[3] == 0 && us == 0)
        g[1] = 0;
    if (g[1] > 23 || g[2] > 59 || g[3] > 59)
        return false;
    *t = (struct tod){g[1], g[2], g[3], us};
    return true;
}

int
tod_find(const char *s, struct tod *t)
{
    static const char pattern[] =
        "\\b(\\d{1,2})(?:(?:\\:)?(\\d{2})(?:\\:(\\d{2})(?:\\.(\\d+))?)?)?"
        "\\W*([aApP][mM])?\\b";
    pcre2_code *re;
    pcre2_match_data *md = NULL;
    pcre2_match_context *mc = NULL;
    int errcode, rc = SK_ENOENT, m = 0;
    PCRE2_SIZE erroff, off = 0, len = strlen(s);

    re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF,
                       &errcode, &erroff, NULL);
    if (re == NULL)
        return SK_ENOMEM; /* the pattern is good: only memory can fail */
    md = pcre2_match_data_create_from_pattern(re, NULL);
    mc = pcre2_match_context_create(NULL);
    if (md == NULL || mc == NULL) {
        rc = SK_ENOMEM;
        goto out;
    }
    pcre2_set_match_limit(mc, TOD_MATCH_LIMIT);
    while (rc != 0 && off <= len &&
           (m = pcre2_match(re, (PCRE2_SPTR)s, len, off, 0, md, mc)) >= 0) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);

        if (tod_of_match(s, ov, t))
            rc = 0;
        off = ov[1] > off ? ov[1] : off + 1;
    }
    if (rc != 0 && m == PCRE2_ERROR_NOMEMORY)
        rc = SK_ENOMEM;
out:
    pcre2_match_context_free(mc);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return rc;
}
