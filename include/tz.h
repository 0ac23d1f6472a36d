/*
 * tz.h - time zones without the zone database: UTC offsets from a POSIX TZ
 * rule string, or from a zone name the engine knows. Pure; any thread.
 *
 * The engine reads no files. Where a zone has daylight saving time the
 * caller passes its rule: the POSIX TZ string that ends a TZif version 2+
 * file (RFC 8536 section 3.3, the last line of /usr/share/zoneinfo/NAME),
 * for example
 *   "EAT-3"                          Africa/Nairobi: UTC+3 all year
 *   "CET-1CEST,M3.5.0,M10.5.0/3"     Europe/Paris
 *   "<+0330>-3:30"                   Asia/Tehran (a quoted name)
 *   "AEST-10AEDT,M10.1.0,M4.1.0/3"   Australia/Sydney (southern summer)
 * POSIX offsets count west of UTC, so "EAT-3" is 3 hours east; the results
 * here count east (seconds to add to UTC to get the wall clock). Rules
 * Jn, n and Mm.w.d and transition times from -167 to 167 hours (RFC 8536)
 * are read; a zone with DST but no rule follows the US rule
 * (M3.2.0,M11.1.0), as glibc does. The rule describes the zone's current
 * practice only: instants before its last historical change get today's
 * offsets.
 *
 * Without a rule (NULL or ""), a name is looked up: "UTC", "GMT", fixed
 * offsets ("+03:00", "UTC+3", "Etc/GMT-3") and a built-in table of zones
 * without DST (Africa/Nairobi, Africa/Kigali, Asia/Baghdad, ...); any other
 * name is taken as UTC.
 */
#ifndef SK_TZ_H
#define SK_TZ_H

#include <stdbool.h>
#include <stdint.h>

/* Whether rule is a POSIX TZ rule string this module reads. */
bool tz_rule_valid(const char *rule);

/* Parses a fixed offset "+3", "-03:30", "+0530" into minutes east.
 * 0, or -1 when s is not one (hours up to 14). */
int tz_parse_offset(const char *s, int *minutes);

/*
 * Whether name (with rule, either may be NULL) gives a zone: rule valid,
 * or name one the table or the offset forms know.
 */
bool tz_known(const char *name, const char *rule);

/*
 * The offset east of UTC in seconds at the instant utc (seconds since the
 * epoch) in the zone given by rule, or by name when rule is NULL, "" or
 * not valid.
 */
int tz_offset(const char *name, const char *rule, int64_t utc);

/*
 * The offset that applies to the wall-clock time local (seconds since the
 * epoch as if the wall clock were UTC): utc = local - offset. A time that
 * does not exist (a spring-forward gap) or exists twice (fall back)
 * resolves as Go's time.Date (so goflow) does: in Europe/Paris 02:30 on
 * the last Sunday of March is 03:30 CEST, and 02:30 on the last Sunday of
 * October is the second one, 02:30 CET.
 */
int tz_local_offset(const char *name, const char *rule, int64_t local);

#endif
