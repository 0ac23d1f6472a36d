/*
 * calendar.h - proleptic Gregorian calendar arithmetic for the whole
 * program: the flow engine (dates in expressions and router tests, time
 * zone rules), the gateway (log time stamps, day windows) and the audio
 * code. It is the one place where a civil date becomes a day number or
 * seconds since the epoch and back, so every part agrees on both.
 *
 * Pure: no clock, no time zone, no locale, no I/O; any thread. Day numbers
 * count days since 1970-01-01 (negative before it); seconds are seconds
 * since 1970-01-01T00:00:00 on a clock without leap seconds, as POSIX
 * time is. Callers that need a zone add its offset themselves (tz.h).
 * Months are 1..12, days of the month 1..31, weekdays 0 (Sunday) to 6.
 */
#ifndef SK_CALENDAR_H
#define SK_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

#define CALENDAR_SECS_PER_DAY 86400

/* A wall-clock time on the calendar, without a zone. */
struct calendar_tm {
    int y, mo, d; /* year, month 1..12, day 1..31 */
    int h, mi, s; /* 0..23, 0..59, 0..59 */
};

/* Whether year y has a February 29. */
bool calendar_is_leap(int64_t y);

/* Days in month m (1..12) of year y; 0 for a month out of range. */
int calendar_days_in_month(int64_t y, int m);

/* Whether y-m-d is a date on the calendar (month and day in range). */
bool calendar_valid_date(int64_t y, int m, int d);

/*
 * The day number of y-m-d. Months and days out of range are not checked:
 * callers that normalise (day 31 of February) use calendar_days_from_civil
 * then calendar_civil_from_days.
 */
int64_t calendar_days_from_civil(int64_t y, int m, int d);

/* The date of day number days. */
void calendar_civil_from_days(int64_t days, int *y, int *m, int *d);

/* The weekday of day number days: 0 Sunday .. 6 Saturday. */
int calendar_weekday(int64_t days);

/* The day of the year of y-m-d: 1 for January 1. */
int calendar_day_of_year(int64_t y, int m, int d);

/*
 * The ISO 8601 week of y-m-d (weeks start on Monday; week 1 holds the
 * year's first Thursday), 1..53; its ISO year goes to *iso_year (may be
 * NULL), which differs from y near the new year.
 */
int calendar_iso_week(int64_t y, int m, int d, int *iso_year);

/*
 * The week of the year of y-m-d counted from Sunday, as goflow's
 * week_number: strftime's %U plus one. The days before the year's first
 * Sunday are week 1 and each Sunday starts the next week, so a year that
 * begins on a Sunday begins in week 2.
 */
int calendar_week_of_year(int64_t y, int m, int d);

/* a / b rounded toward minus infinity (b > 0). */
int64_t calendar_floor_div(int64_t a, int64_t b);

/* Seconds since the epoch of the wall-clock time t read as UTC. */
int64_t calendar_to_epoch(const struct calendar_tm *t);

/* The UTC wall-clock time of secs seconds since the epoch. */
void calendar_from_epoch(int64_t secs, struct calendar_tm *t);

#endif
