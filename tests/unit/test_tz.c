/*
 * test_tz.c - UTC offsets from POSIX TZ rules (the rules written here, as
 * the last line of a TZif file holds them) and from known zone names.
 */
#include <stdint.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "tz.h"

#define PARIS  "CET-1CEST,M3.5.0,M10.5.0/3"
#define SYDNEY "AEST-10AEDT,M10.1.0,M4.1.0/3"
#define NYC    "EST5EDT,M3.2.0,M11.1.0"

/* 2024-03-31T01:00:00Z and 2024-10-27T01:00:00Z: Paris changes clocks */
#define PARIS_SPRING 1711846800LL
#define PARIS_FALL   1729990800LL

static void
test_fixed(void **state)
{
    (void)state;
    assert_int_equal(tz_offset(NULL, "EAT-3", 0), 3 * 3600);
    assert_int_equal(tz_offset(NULL, "EAT-3", 1719835200), 3 * 3600);
    assert_int_equal(tz_offset(NULL, "<+0330>-3:30", 0), 3 * 3600 + 1800);
    assert_int_equal(tz_offset(NULL, "<-03>3", 0), -3 * 3600);
    assert_int_equal(tz_offset(NULL, "UTC0", 1719835200), 0);
    /* a rule wins over the name; without one the table is used */
    assert_int_equal(tz_offset("Africa/Nairobi", "EAT-3", 0), 10800);
    assert_int_equal(tz_offset("Africa/Nairobi", NULL, 0), 10800);
    assert_int_equal(tz_offset("Africa/Nairobi", "", 0), 10800);
    assert_int_equal(tz_offset("Etc/GMT-3", NULL, 0), 10800);
    assert_int_equal(tz_offset("+05:30", NULL, 0), 19800);
    assert_int_equal(tz_offset("Mars/Olympus", NULL, 0), 0);
    assert_true(tz_known("Africa/Nairobi", NULL));
    assert_true(tz_known("Europe/Paris", PARIS));
    assert_false(tz_known("Europe/Paris", NULL));
    assert_int_equal(tz_local_offset(NULL, "EAT-3", 1719835200), 10800);
}

static void
test_paris(void **state)
{
    (void)state;
    assert_int_equal(tz_offset(NULL, PARIS, PARIS_SPRING - 1), 3600);
    assert_int_equal(tz_offset(NULL, PARIS, PARIS_SPRING), 7200);
    assert_int_equal(tz_offset(NULL, PARIS, 1719835200), 7200); /* July */
    assert_int_equal(tz_offset(NULL, PARIS, PARIS_FALL - 1), 7200);
    assert_int_equal(tz_offset(NULL, PARIS, PARIS_FALL), 3600);
    assert_int_equal(tz_offset(NULL, PARIS, 1704067200), 3600); /* Jan 1 */
    /* 2023: the last Sunday of March is the 26th */
    assert_int_equal(tz_offset(NULL, PARIS, 1679792400 - 1), 3600);
    assert_int_equal(tz_offset(NULL, PARIS, 1679792400), 7200);
    /* wall clocks: 12:00 in July is CEST */
    assert_int_equal(tz_local_offset(NULL, PARIS, 1719835200), 7200);
    /* 02:30 on 2024-03-31 does not exist: 03:30 CEST, as Go's time.Date */
    assert_int_equal(tz_local_offset(NULL, PARIS, 1711852200), 3600);
    /* 02:30 on 2024-10-27 is there twice: the second, CET, as Go */
    assert_int_equal(tz_local_offset(NULL, PARIS, 1729996200), 3600);
    /* 01:59:59 and 03:00 around the spring gap */
    assert_int_equal(tz_local_offset(NULL, PARIS, 1711850399), 3600);
    assert_int_equal(tz_local_offset(NULL, PARIS, 1711854000), 7200);
}

static void
test_other_rules(void **state)
{
    (void)state;
    /* New York, 2024-03-10T07:00Z and 2024-11-03T06:00Z */
    assert_int_equal(tz_offset(NULL, NYC, 1710054000 - 1), -5 * 3600);
    assert_int_equal(tz_offset(NULL, NYC, 1710054000), -4 * 3600);
    assert_int_equal(tz_offset(NULL, NYC, 1730613600 - 1), -4 * 3600);
    assert_int_equal(tz_offset(NULL, NYC, 1730613600), -5 * 3600);
    /* no rule given: the US one */
    assert_int_equal(tz_offset(NULL, "EST5EDT", 1719835200), -4 * 3600);
    /* Sydney: summer across the new year; ends 2024-04-06T16:00Z and
     * starts again 2024-10-05T16:00Z */
    assert_int_equal(tz_offset(NULL, SYDNEY, 1704067200), 11 * 3600);
    assert_int_equal(tz_offset(NULL, SYDNEY, 1712419200 - 1), 11 * 3600);
    assert_int_equal(tz_offset(NULL, SYDNEY, 1712419200), 10 * 3600);
    assert_int_equal(tz_offset(NULL, SYDNEY, 1728144000 - 1), 10 * 3600);
    assert_int_equal(tz_offset(NULL, SYDNEY, 1728144000), 11 * 3600);
    /* permanent DST (RFC 8536 3.3.1) and Julian days */
    assert_int_equal(tz_offset(NULL, "EST5EDT,0/0,J365/25", 1719835200),
                     -4 * 3600);
    assert_int_equal(tz_offset(NULL, "EST5EDT,0/0,J365/25", 1704067200 + 7200),
                     -4 * 3600);
    assert_int_equal(tz_offset(NULL, "XST0XDT-1,J60/0,J61/0", 1709251200),
                     3600); /* 2024-03-01: J60 skips February 29 */
    assert_int_equal(tz_offset(NULL, "XST0XDT-1,J60/0,J61/0", 1709164800), 0);
}

static void
test_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        "E",
        "EAT",
        "EAT-3x",
        "EA-3",
        "<+03-3",
        "EAT-25",
        "CET-1CEST,M13.1.0,M10.5.0",
        "CET-1CEST,M3.6.0,M10.5.0",
        "CET-1CEST,M3.5.7,M10.5.0",
        "CET-1CEST,M3.5.0",
        "CET-1CEST,M3.5.0,M10.5.0/168",
        "CET-1CEST,J0,J10",
        "CET-1CEST,366,10",
    };

    (void)state;
    assert_false(tz_rule_valid(NULL));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (tz_rule_valid(bad[i]))
            fail_msg("rule \"%s\" accepted", bad[i]);
    }
    assert_true(tz_rule_valid(PARIS));
    assert_true(tz_rule_valid("CET-1CEST,M3.5.0/-1,M10.5.0/167:59:59"));
    /* an invalid rule falls back to the name */
    assert_int_equal(tz_offset("Africa/Nairobi", "garbage", 0), 10800);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed),
        cmocka_unit_test(test_paris),
        cmocka_unit_test(test_other_rules),
        cmocka_unit_test(test_invalid),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
