/*
 * test_text.c - Unicode helpers: validation, folding, digits, trimming and
 * goflow's word splitting.
 */
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "text.h"

static void
check(char *got, const char *want)
{
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void
test_valid(void **state)
{
    (void)state;
    assert_true(text_valid_utf8("", 0));
    assert_true(text_valid_utf8(NULL, 0));
    assert_true(text_valid_utf8("héllo ٣٥ 😀", strlen("héllo ٣٥ 😀")));
    assert_false(text_valid_utf8("a\0b", 3));
    assert_false(text_valid_utf8("\xff", 1));
    assert_false(text_valid_utf8("\xc3", 1));         /* truncated */
    assert_false(text_valid_utf8("\xed\xa0\x80", 3)); /* surrogate */
    assert_false(text_valid_utf8("\xc0\xaf", 2));     /* overlong */
    assert_true(text_valid_utf8("\xc3\xa9\xff", 2));  /* only len bytes */
    check(text_sanitize("a\xff"
                        "b\xc3"),
          "a\xef\xbf\xbd"
          "b\xef\xbf\xbd");
    check(text_sanitize("ok"), "ok");
    check(text_sanitize(NULL), "");
}

static void
test_fold(void **state)
{
    (void)state;
    check(text_fold("HeLLo"), "hello");
    check(text_fold("SÉCURITÉ"), "sécurité");
    /* decomposed input composes to NFC */
    check(text_fold("SE\xcc\x81"
                    "CURITE\xcc\x81"),
          "sécurité");
    check(text_fold("ΒΉΤΑ"), "βήτα");
    check(text_fold("Straße"), "strasse");
    check(text_fold("نعم"), "نعم");
    check(text_fold("😀"), "😀");
    check(text_fold(""), "");
    check(text_fold("A\xff"), "a\xef\xbf\xbd");
}

static void
test_digits(void **state)
{
    (void)state;
    check(text_ascii_digits("٠١٢٣٤٥٦٧٨٩"), "0123456789");
    check(text_ascii_digits("۰۱۲۳۴۵۶۷۸۹"), "0123456789");
    check(text_ascii_digits("০৯ ०९ ０９"),
          "09 09 09"); /* Bengali, Devanagari, fullwidth */
    check(text_ascii_digits("\xf0\x9d\x9f\x8e\xf0\x9d\x9f\xbf"),
          "09"); /* math digits */
    check(text_ascii_digits("age ٣٥, ok"), "age 35, ok");
    check(text_ascii_digits("½ ² Ⅻ"), "½ ² Ⅻ"); /* not decimal digits */
    check(text_ascii_digits("\xff"
                            "1"),
          "\xef\xbf\xbd"
          "1");
}

static void
test_trim(void **state)
{
    (void)state;
    check(text_trim("  hi there \n"), "hi there");
    check(text_trim("\xc2\xa0\xe3\x80\x80x\xe2\x80\xa8"),
          "x"); /* NBSP, ideographic, LS */
    check(text_trim(" \t\r\n "), "");
    check(text_trim(""), "");
    check(text_trim("é"), "é");
    check(text_trim(" \xe2\x80\x8b "), "\xe2\x80\x8b"); /* ZWSP is no space */
}

static void
expect_words(const char *s, const char *const *want, size_t nwant)
{
    size_t n = 99;
    char **w = text_words(s, &n);

    assert_non_null(w);
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < nwant; i++)
        assert_string_equal(w[i], want[i]);
    assert_null(w[n]);
    text_words_free(w);
}

static void
test_words(void **state)
{
    (void)state;
    expect_words("this.is.my.βήτα",
                 (const char *const[]){"this", "is", "my", "βήτα"}, 4);
    expect_words("I don't like_it!",
                 (const char *const[]){"I", "don't", "like_it"}, 3);
    expect_words("I say to you📴",
                 (const char *const[]){"I", "say", "to", "you", "📴"}, 5);
    expect_words("ok👍👍", (const char *const[]){"ok", "👍", "👍"}, 3);
    expect_words("$5 + 3=8",
                 (const char *const[]){"$", "5", "+", "3", "=", "8"}, 6);
    expect_words("نعم، أنا بخير", (const char *const[]){"نعم", "أنا", "بخير"},
                 3);
    expect_words("Se\xcc\x81"
                 "curite\xcc\x81 ok",
                 (const char *const[]){"Se\xcc\x81"
                                       "curite\xcc\x81",
                                       "ok"},
                 2);
    expect_words("24ans ٣٥", (const char *const[]){"24ans", "٣٥"}, 2);
    expect_words("", NULL, 0);
    expect_words(" ,.;-- ", NULL, 0);
    /* an invalid byte reads as U+FFFD, a symbol: a word of its own */
    expect_words("a\xff"
                 "b",
                 (const char *const[]){"a", "\xef\xbf\xbd", "b"}, 3);
}

static void
expect_loose(const char *s, const char *const *want, size_t nwant)
{
    size_t n = 99;
    char **w = text_words_loose(s, &n);

    assert_non_null(w);
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < nwant; i++)
        assert_string_equal(w[i], want[i]);
    assert_null(w[n]);
    text_words_free(w);
}

/* Words as safeguarding phrases compare them. */
static void
test_words_loose(void **state)
{
    (void)state;
    expect_loose("Il M’A Frappé !", (const char *const[]){"il", "ma", "frappe"},
                 3);
    expect_loose("il m'a frappe", (const char *const[]){"il", "ma", "frappe"},
                 3);
    expect_loose("I don't — STOP 🙏", (const char *const[]){"i", "dont", "stop"},
                 3);
    expect_loose("يَضْرِبُنِي، أنا", (const char *const[]){"يضربني", "انا"}, 2);
    expect_loose("Se\xcc\x81"
                 "curite\xcc\x81",
                 (const char *const[]){"securite"}, 1);
    expect_loose("😀 ' ,.", NULL, 0);
    expect_loose("", NULL, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),  cmocka_unit_test(test_fold),
        cmocka_unit_test(test_digits), cmocka_unit_test(test_trim),
        cmocka_unit_test(test_words),  cmocka_unit_test(test_words_loose),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
