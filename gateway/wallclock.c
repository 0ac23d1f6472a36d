/*
 * wallclock.c - the time of day in milliseconds (see wallclock.h).
 */
#include <time.h>

#include "wallclock.h"

int64_t
wallclock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
