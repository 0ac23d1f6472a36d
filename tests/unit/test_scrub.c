/*
 * test_scrub.c - free-text scrubbing (phone numbers in every usual form,
 * e-mail addresses, URLs, bare domains, handles, long digit runs) and
 * spreadsheet cell neutralisation.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "scrub.h"

/* scrub_text(in) must be exactly want. */
static void
check(const char *in, const char *want)
{
    bool oom = false;
    char *out = scrub_text(in, &oom);

    assert_false(oom);
    assert_non_null(out);
    if (strcmp(out, want) != 0)
        fail_msg("scrub(\"%s\") = \"%s\", want \"%s\"", in, out, want);
    free(out);
}

static void
test_phones(void **state)
{
    (void)state;
    check("+254 712 345 678", "[phone]");
    check("call 0712345678 now", "call [phone] now");
    check("254712345678", "[phone]");
    check("(020) 123-4567", "[phone]");
    check("0712.345.678", "[phone]");
    check("0712-345-678", "[phone]");
    check("+254-712-345-678!", "[phone]!");
    check("+44 (0)20 7946 0958", "[phone]");
    check("00254712345678", "[phone]");
    check("0 7 1 2 3 4 5 6 7 8", "[phone]");
    check("nambari yangu ni 0712 345 678, asante",
          "nambari yangu ni [phone], asante");
    check("tel:+254712345678", "tel:[phone]");
    check("my number is 0712345678.", "my number is [phone].");
    /* Arabic-Indic and Extended Arabic-Indic digits */
    check("رقمي ٠٧١٢٣٤٥٦٧٨", "رقمي [phone]");
    check("۰۷۱۲۳۴۵۶۷۸", "[phone]");
    /* full-width digits */
    check("０７１２３４５６７８", "[phone]");
    /* two numbers in one text */
    check("0712345678 or +254733000111", "[phone] or [phone]");
}

static void
test_digit_runs(void **state)
{
    (void)state;
    check("id 1234567", "id [phone]");
    check("ID12345678", "ID[phone]");
    check("2026-12-03", "[phone]");
    /* short numbers stay: answers, ages, helplines */
    check("3 a camp", "3 a camp");
    check("I am 12", "I am 12");
    check("call 116 111", "call 116 111");
    check("123456", "123456");
    check("1, 2, 3, 4, 5, 6, 7", "1, 2, 3, 4, 5, 6, 7");
    check("12:30", "12:30");
}

static void
test_emails(void **state)
{
    (void)state;
    check("ana@example.org", "[email]");
    check("write to ana.k+kids@mail.example.co.ke.", "write to [email].");
    check("<ANA@EXAMPLE.ORG>", "<[email]>");
    check("mailto:ana@example.org", "[email]");
    check("(ana_1990@example.org)", "([email])");
    /* the digits of an address go with it, not as a phone */
    check("k0712345678@example.org", "[email]");
}

static void
test_urls(void **state)
{
    (void)state;
    check("see https://example.org/a?b=1", "see [url]");
    check("http://10.0.0.1:8080/x", "[url]");
    check("www.example.org", "[url]");
    check("WWW.Example.Org/path", "[url]");
    check("example.org/x", "[url]");
    check("go to facebook.com/ana.k now", "go to [url] now");
    check("example.org.", "[url].");
    check("ftp://files.example.org/f.txt", "[url]");
    check("=HYPERLINK(\"http://evil.example/x\",\"click\")",
          "=HYPERLINK(\"[url]\",\"click\")");
}

static void
test_handles(void **state)
{
    (void)state;
    check("follow @ana_k", "follow [handle]");
    check("@SUM(A1:A3)", "[handle](A1:A3)");
    check("a @ b", "a @ b");
}

static void
test_kept(void **state)
{
    (void)state;
    check("", "");
    check("I feel safe at school.", "I feel safe at school.");
    check("e.g. i.e. etc.", "e.g. i.e. etc.");
    check("3.5 and v1.2", "3.5 and v1.2");
    check("J'ai faim, merci !", "J'ai faim, merci !");
    check("أشعر بالأمان", "أشعر بالأمان");
    check("Nina furaha 😊", "Nina furaha 😊");
    check("-2+3", "-2+3");
}

static void
test_null(void **state)
{
    bool oom = false;

    (void)state;
    assert_null(scrub_text(NULL, &oom));
    assert_null(scrub_cell(NULL, &oom));
    assert_false(oom);
}

static void
check_cell(const char *in, const char *want)
{
    bool oom = false;
    char *out = scrub_cell(in, &oom);

    assert_false(oom);
    assert_non_null(out);
    assert_string_equal(out, want);
    free(out);
}

static void
test_cells(void **state)
{
    (void)state;
    check_cell("=1+1", "'=1+1");
    check_cell("+1", "'+1");
    check_cell("-2+3", "'-2+3");
    check_cell("@SUM(A1)", "'@SUM(A1)");
    check_cell("\tx", "'\tx");
    check_cell("\rx", "'\rx");
    check_cell("  =cmd|' /C calc'!A0", "'  =cmd|' /C calc'!A0");
    check_cell("fine", "fine");
    check_cell("", "");
    check_cell("a=b", "a=b");
    check_cell("3-2", "3-2");
    assert_true(scrub_cell_needs("=x"));
    assert_false(scrub_cell_needs("x=y"));
    assert_false(scrub_cell_needs(""));
    assert_false(scrub_cell_needs(NULL));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phones),  cmocka_unit_test(test_digit_runs),
        cmocka_unit_test(test_emails),  cmocka_unit_test(test_urls),
        cmocka_unit_test(test_handles), cmocka_unit_test(test_kept),
        cmocka_unit_test(test_null),    cmocka_unit_test(test_cells),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
