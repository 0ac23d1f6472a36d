/*
 * calendar.c - Gregorian calendar arithmetic (see calendar.h).
 *
 * Dates become day numbers and back with Howard Hinnant's era algorithms
 * ("chrono-compatible low-level date algorithms"): the year is shifted to
 * start in March, so February's extra day falls at the end of a 400-year
 * era of 146097 days, and the rest is integer division. No table beyond
 * the lengths of the months, no loop, no libc time function: the same
 * answer on every platform and for every year a 64-bit day count holds.
 */
#include <stddef.h>

#include "calendar.h"

bool
calendar_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
calendar_days_in_month(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (m < 1 || m > 12)
        return 0;
    return m == 2 && calendar_is_leap(y) ? 29 : days[m - 1];
}

bool
calendar_valid_date(int64_t y, int m, int d)
{
    return m >= 1 && m <= 12 && d >= 1 && d <= calendar_days_in_month(y, m);
}

int64_t
calendar_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && a < 0) ? q - 1 : q;
}

int64_t
calendar_days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = calendar_floor_div(y, 400);
    yoe = y - era * 400;                                  /* 0..399 */
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1; /* 0..365 */
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* 0..146096 */
    return era * 146097 + doe - 719468;
}

void
calendar_civil_from_days(int64_t days, int *y, int *m, int *d)
{
    int64_t z = days + 719468, era, doe, yoe, doy, mp;

    era = calendar_floor_div(z, 146097);
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int
calendar_weekday(int64_t days)
{
    /* 1970-01-01 was a Thursday */
    return (int)(days - calendar_floor_div(days + 4, 7) * 7 + 4);
}

int
calendar_day_of_year(int64_t y, int m, int d)
{
    return (int)(calendar_days_from_civil(y, m, d) -
                 calendar_days_from_civil(y, 1, 1)) +
           1;
}

/* The day number of the Monday of ISO week 1 of year y. */
static int64_t
iso_week1(int64_t y)
{
    int64_t jan4 = calendar_days_from_civil(y, 1, 4);

    return jan4 - (calendar_weekday(jan4) + 6) % 7;
}

int
calendar_iso_week(int64_t y, int m, int d, int *iso_year)
{
    int64_t day = calendar_days_from_civil(y, m, d), start;
    int64_t year = y;

    if (day >= iso_week1(y + 1))
        year = y + 1;
    else if (day < iso_week1(y))
        year = y - 1;
    start = iso_week1(year);
    if (iso_year != NULL)
        *iso_year = (int)year;
    return (int)((day - start) / 7) + 1;
}

int
calendar_week_of_year(int64_t y, int m, int d)
{
    int64_t day = calendar_days_from_civil(y, m, d);
    int yday = calendar_day_of_year(y, m, d) - 1; /* 0..365 */

    return (yday - calendar_weekday(day) + 7) / 7 + 1;
}

int64_t
calendar_to_epoch(const struct calendar_tm *t)
{
    return calendar_days_from_civil(t->y, t->mo, t->d) * CALENDAR_SECS_PER_DAY +
           t->h * 3600 + t->mi * 60 + t->s;
}

void
calendar_from_epoch(int64_t secs, struct calendar_tm *t)
{
    int64_t days = calendar_floor_div(secs, CALENDAR_SECS_PER_DAY);
    int64_t rem = secs - days * CALENDAR_SECS_PER_DAY;

    calendar_civil_from_days(days, &t->y, &t->mo, &t->d);
    t->h = (int)(rem / 3600);
    t->mi = (int)(rem % 3600 / 60);
    t->s = (int)(rem % 60);
}
