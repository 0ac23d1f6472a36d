/*
 * safeguard_lists.h - the built-in phrase lists of safeguarding (English,
 * French, Arabic, Swahili), as lines of the phrase file format
 * ("category: phrase"). Read by safeguard.c only. Data; any thread.
 */
#ifndef SK_SAFEGUARD_LISTS_H
#define SK_SAFEGUARD_LISTS_H

#include <stddef.h>

struct safeguard_builtin {
    const char *lang;         /* ISO 639-3 */
    const char *const *lines; /* NULL-terminated */
};

/* The i-th built-in list, or NULL past the last. */
const struct safeguard_builtin *safeguard_builtin_at(size_t i);

#endif
