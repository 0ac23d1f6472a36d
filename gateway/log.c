/*
 * log.c - line logging. Each line is formatted into a stack buffer and
 * written with a single write(2) so lines from threads never interleave.
 * The level is read without a lock: it is set once before threads start.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calendar.h"
#include "log.h"

static int log_level = LOG_INFO; /* set once at start-up, before threads */

void
sk_log_set_level(int level)
{
    log_level = level;
}

static const char *
level_name(int level)
{
    switch (level) {
    case LOG_EMERG:
    case LOG_ALERT:
    case LOG_CRIT:
    case LOG_ERR:
        return "error";
    case LOG_WARNING:
        return "warn";
    case LOG_NOTICE:
    case LOG_INFO:
        return "info";
    default:
        return "debug";
    }
}

void
sk_log(int level, const char *area, const char *fmt, ...)
{
    char line[1024];
    struct timespec ts;
    struct calendar_tm tm;
    va_list ap;
    int n, m;

    if (level > log_level)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    calendar_from_epoch((int64_t)ts.tv_sec, &tm);
    n = snprintf(line, sizeof(line),
                 "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ", tm.y, tm.mo,
                 tm.d, tm.h, tm.mi, tm.s, ts.tv_nsec / 1000000L,
                 level_name(level), area);
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0;
    va_start(ap, fmt);
    m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += m;
    if ((size_t)n > sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    (void)!write(STDERR_FILENO, line, (size_t)n);
}
