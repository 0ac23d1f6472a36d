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

/*
 * The rules of zones flows name (format_datetime(..., "Europe/Paris")),
 * read from the zone database the first time each is asked for and kept
 * until the cache is freed; a name not found is remembered as unknown.
 * Holds at most ZONE_CACHE_MAX names (later ones are not read). Any thread.
 */
#define ZONE_CACHE_MAX 64

struct zone_cache;

struct zone_cache *zone_cache_new(void); /* NULL when out of memory */
void zone_cache_free(struct zone_cache *c);

/* The rule of name, or NULL when unknown; a flow_zone_fn (flow.h) with the
 * cache as arg. The rule lives as long as the cache. */
const char *zone_cache_rule(void *cache, const char *name);

#endif
