/*
 * wallclock.h - the time of day as the gateway stores it (gateway/
 * wallclock.c): milliseconds since the Unix epoch, CLOCK_REALTIME. Any
 * thread. flows/ never reads a clock: its callers pass this in.
 */
#ifndef SK_WALLCLOCK_H
#define SK_WALLCLOCK_H

#include <stdint.h>

/* Now, in milliseconds since 1970-01-01 UTC. */
int64_t wallclock_ms(void);

#endif
