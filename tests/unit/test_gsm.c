/*
 * test_gsm.c - GSM-7 detection, segment counts and UTF-16BE.
 */
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "gsm.h"

static void
check(const char *text, enum gsm_coding coding, size_t units, size_t segs)
{
    struct gsm_info info;

    assert_int_equal(gsm_measure(text, &info), 0);
    assert_int_equal(info.coding, coding);
    assert_int_equal(info.units, units);
    assert_int_equal(info.segments, segs);
}

static char *
repeat(const char *unit, size_t n)
{
    size_t len = strlen(unit);
    char *s = malloc(len * n + 1);

    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * len, unit, len);
    s[len * n] = '\0';
    return s;
}

static void
test_gsm7(void **state)
{
    char *s;

    (void)state;
    check("", GSM_CODING_GSM7, 0, 1);
    check("Hello, how safe do you feel? Reply 1-4", GSM_CODING_GSM7, 38, 1);
    check("Ça va? où êtes-vous", GSM_CODING_UCS2, 19, 1); /* ê not GSM-7 */
    check("Ça va? où étiez-vous", GSM_CODING_GSM7, 20, 1);
    check("price {5} €", GSM_CODING_GSM7, 14, 1);
    s = repeat("a", 160);
    check(s, GSM_CODING_GSM7, 160, 1);
    free(s);
    s = repeat("a", 161);
    check(s, GSM_CODING_GSM7, 161, 2);
    free(s);
    s = repeat("a", 306);
    check(s, GSM_CODING_GSM7, 306, 2);
    free(s);
    s = repeat("a", 307);
    check(s, GSM_CODING_GSM7, 307, 3);
    free(s);
}

static void
test_ucs2(void **state)
{
    char *s;

    (void)state;
    check("مرحبا", GSM_CODING_UCS2, 5, 1);
    check("hi 😀", GSM_CODING_UCS2, 5, 1); /* emoji: two units */
    s = repeat("ب", 70);
    check(s, GSM_CODING_UCS2, 70, 1);
    free(s);
    s = repeat("ب", 71);
    check(s, GSM_CODING_UCS2, 71, 2);
    free(s);
    s = repeat("ب", 135);
    check(s, GSM_CODING_UCS2, 135, 3);
    free(s);
    assert_false(gsm_is_gsm7("مرحبا"));
    assert_true(gsm_is_gsm7("STOP"));
}

static void
test_invalid(void **state)
{
    struct gsm_info info;
    size_t len;

    (void)state;
    assert_int_equal(gsm_measure("bad \xff byte", &info), -1);
    assert_null(gsm_utf16be("bad \xc3", &len));
}

static void
test_utf16be(void **state)
{
    size_t len;
    unsigned char *b = gsm_utf16be("A\xd8\xa8\xf0\x9f\x98\x80", &len);

    (void)state;
    assert_non_null(b);
    assert_int_equal(len, 8);
    assert_memory_equal(b, "\x00\x41\x06\x28\xd8\x3d\xde\x00", 8);
    free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gsm7),
        cmocka_unit_test(test_ucs2),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_utf16be),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
