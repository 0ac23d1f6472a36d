/*
 * test_calendar.c - the calendar arithmetic every part uses: known dates,
 * the edges of months, years and eras, and a sweep over several centuries
 * checked against the C library's own UTC calendar (gmtime_r, strftime).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "calendar.h"

static void
test_known_days(void **state)
{
    int y, m, d;

    (void)state;
    assert_int_equal(calendar_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(calendar_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(calendar_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(calendar_days_from_civil(1, 1, 1), -719162);
    assert_int_equal(calendar_days_from_civil(9999, 12, 31), 2932896);
    calendar_civil_from_days(-719162, &y, &m, &d);
    assert_int_equal(y, 1);
    assert_int_equal(m, 1);
    assert_int_equal(d, 1);
    calendar_civil_from_days(11016, &y, &m, &d); /* the day before */
    assert_int_equal(y, 2000);
    assert_int_equal(m, 2);
    assert_int_equal(d, 29);
    /* a day past the end of a month is the next month's */
    calendar_civil_from_days(calendar_days_from_civil(2017, 2, 31), &y, &m, &d);
    assert_int_equal(m, 3);
    assert_int_equal(d, 3);
    /* before year 1 (year 0 is a leap year) */
    calendar_civil_from_days(calendar_days_from_civil(0, 2, 29), &y, &m, &d);
    assert_int_equal(y, 0);
    assert_int_equal(m, 2);
    assert_int_equal(d, 29);
}

static void
test_leap_and_months(void **state)
{
    (void)state;
    assert_true(calendar_is_leap(2000));
    assert_true(calendar_is_leap(2024));
    assert_true(calendar_is_leap(0));
    assert_true(calendar_is_leap(-4));
    assert_false(calendar_is_leap(1900));
    assert_false(calendar_is_leap(2023));
    assert_int_equal(calendar_days_in_month(2024, 2), 29);
    assert_int_equal(calendar_days_in_month(2100, 2), 28);
    assert_int_equal(calendar_days_in_month(2023, 4), 30);
    assert_int_equal(calendar_days_in_month(2023, 12), 31);
    assert_int_equal(calendar_days_in_month(2023, 0), 0);
    assert_int_equal(calendar_days_in_month(2023, 13), 0);
    assert_true(calendar_valid_date(2024, 2, 29));
    assert_false(calendar_valid_date(2023, 2, 29));
    assert_false(calendar_valid_date(2023, 4, 31));
    assert_false(calendar_valid_date(2023, 1, 0));
    assert_int_equal(calendar_day_of_year(2024, 12, 31), 366);
    assert_int_equal(calendar_day_of_year(2023, 3, 1), 60);
}

static void
test_weeks(void **state)
{
    int iy = 0;

    (void)state;
    assert_int_equal(calendar_weekday(0), 4);  /* Thursday */
    assert_int_equal(calendar_weekday(-1), 3); /* Wednesday */
    assert_int_equal(calendar_weekday(-719162), 1);
    assert_int_equal(calendar_weekday(calendar_days_from_civil(2017, 1, 15)),
                     0);
    /* ISO weeks across the new year */
    assert_int_equal(calendar_iso_week(2019, 1, 1, &iy), 1);
    assert_int_equal(iy, 2019);
    assert_int_equal(calendar_iso_week(2021, 1, 3, &iy), 53);
    assert_int_equal(iy, 2020);
    assert_int_equal(calendar_iso_week(2024, 12, 30, &iy), 1);
    assert_int_equal(iy, 2025);
    assert_int_equal(calendar_iso_week(2015, 12, 31, NULL), 53);
    /* goflow's week_number: weeks from Sunday, January 1 in week 1 */
    assert_int_equal(calendar_week_of_year(2019, 1, 1), 1);
    assert_int_equal(calendar_week_of_year(2019, 7, 23), 30);
    /* a year that starts on a Sunday starts in week 2, as in goflow */
    assert_int_equal(calendar_week_of_year(2017, 1, 1), 2);
    assert_int_equal(calendar_week_of_year(2017, 1, 7), 2);
    assert_int_equal(calendar_week_of_year(2017, 1, 8), 3);
    assert_int_equal(calendar_week_of_year(2018, 1, 6), 1); /* a Saturday */
    assert_int_equal(calendar_week_of_year(2018, 1, 7), 2);
}

static void
test_epoch(void **state)
{
    struct calendar_tm t = {2017, 6, 12, 16, 56, 59}, back;

    (void)state;
    assert_int_equal(calendar_to_epoch(&t), 1497286619);
    calendar_from_epoch(-1, &back);
    assert_int_equal(back.y, 1969);
    assert_int_equal(back.mo, 12);
    assert_int_equal(back.d, 31);
    assert_int_equal(back.h, 23);
    assert_int_equal(back.mi, 59);
    assert_int_equal(back.s, 59);
    calendar_from_epoch(253402300799LL, &back); /* 9999-12-31T23:59:59 */
    assert_int_equal(back.y, 9999);
    assert_int_equal(back.s, 59);
    calendar_from_epoch(-62135596800LL, &back); /* 0001-01-01T00:00:00 */
    assert_int_equal(back.y, 1);
    assert_int_equal(back.mo, 1);
    assert_int_equal(back.d, 1);
    assert_int_equal(back.h, 0);
    assert_int_equal(calendar_floor_div(-1, 7), -1);
    assert_int_equal(calendar_floor_div(-7, 7), -1);
    assert_int_equal(calendar_floor_div(6, 7), 0);
}

/*
 * Every day from 1600 to 2400 (and a time of day that moves through the
 * clock) against gmtime_r and strftime's %V %G %U: dates, weekday, day of
 * the year, both week numbers and the round trip.
 */
static void
test_sweep_against_libc(void **state)
{
    int64_t first = calendar_days_from_civil(1600, 1, 1);
    int64_t last = calendar_days_from_civil(2400, 12, 31);
    int checked = 0;

    (void)state;
    for (int64_t day = first; day <= last; day++) {
        int64_t secs =
            day * CALENDAR_SECS_PER_DAY + (day - first) * 7919 % 86400;
        time_t tt = (time_t)secs;
        struct tm tm;
        struct calendar_tm ct;
        char want[32], got[32];
        int iy = 0, y, m, d, week;

        assert_non_null(gmtime_r(&tt, &tm));
        calendar_from_epoch(secs, &ct);
        if (ct.y != tm.tm_year + 1900 || ct.mo != tm.tm_mon + 1 ||
            ct.d != tm.tm_mday || ct.h != tm.tm_hour || ct.mi != tm.tm_min ||
            ct.s != tm.tm_sec)
            fail_msg("day %lld: %d-%d-%d", (long long)day, ct.y, ct.mo, ct.d);
        assert_int_equal(calendar_to_epoch(&ct), secs);
        calendar_civil_from_days(day, &y, &m, &d);
        assert_int_equal(calendar_days_from_civil(y, m, d), day);
        assert_int_equal(calendar_weekday(day), tm.tm_wday);
        assert_int_equal(calendar_day_of_year(y, m, d), tm.tm_yday + 1);
        strftime(want, sizeof(want), "%G %V %U", &tm);
        week = calendar_iso_week(y, m, d, &iy);
        snprintf(got, sizeof(got), "%04d %02d %02d", iy, week,
                 calendar_week_of_year(y, m, d) - 1);
        if (strcmp(want, got) != 0)
            fail_msg("%d-%02d-%02d: want %s, got %s", y, m, d, want, got);
        checked++;
    }
    assert_int_equal(checked, last - first + 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_days),
        cmocka_unit_test(test_leap_and_months),
        cmocka_unit_test(test_weeks),
        cmocka_unit_test(test_epoch),
        cmocka_unit_test(test_sweep_against_libc),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
