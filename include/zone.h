/*
 * zone.h - the rules of a timezone from the system's zone database, for
 * the flow engine (which reads no files): the POSIX TZ rule string at the
 * end of a TZif file (RFC 8536, version 2 or later). Read once at start-up
 * on the main thread; the directory is $TZDIR or /usr/share/zoneinfo.
 */
#ifndef SK_ZONE_H
#define SK_ZONE_H

#include "err.h"

/*
 * The rule of zone name ("Africa/Nairobi" -> "EAT-3") as a malloc'd
 * string, or NULL with err set (unknown zone, not a TZif file, a version 1
 * file without a rule).
 */
char *zone_rule(const char *name, char err[SK_ERR_LEN]);

#endif
