/*
 * test_buf.c - the ground floor: the bounded buffer (buf.h), hex digits
 * (hex.h) and UTF-8 steps (utf8.h).
 */
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "hex.h"
#include "utf8.h"

static void
test_buf_add(void **state)
{
    struct sk_buf b = {0};
    char *s;

    (void)state;
    s = sk_buf_take(&b);
    assert_string_equal(s, "");
    free(s);
    sk_buf_add(&b, "ab", 2);
    sk_buf_addc(&b, 'c');
    sk_buf_str(&b, "de");
    sk_buf_cp(&b, 0xE9);
    sk_buf_printf(&b, "-%d-%s", 42, "x");
    assert_int_equal(b.len, strlen("abcde\xc3\xa9-42-x"));
    s = sk_buf_take(&b);
    assert_string_equal(s, "abcde\xc3\xa9-42-x");
    assert_null(b.s);
    free(s);
}

static void
test_buf_limit(void **state)
{
    struct sk_buf b = {.max = 4};

    (void)state;
    sk_buf_add(&b, "abcd", 4);
    assert_false(b.fail);
    sk_buf_addc(&b, 'e');
    assert_true(b.fail);
    sk_buf_free(&b);
    assert_int_equal(b.max, 4);
    sk_buf_printf(&b, "%s", "abcdef");
    assert_true(b.fail);
    sk_buf_add(&b, "a", 1); /* ignored once failed */
    assert_int_equal(b.len, 0);
    assert_null(sk_buf_take(&b));
    sk_buf_str(&b, "abc");
    sk_buf_wipe(&b);
    assert_null(b.s);
}

static void
test_hex(void **state)
{
    unsigned char in[] = {0x00, 0xab, 0x7f, 0xff}, out[4];
    char text[9], pct[3];

    (void)state;
    sk_hex_encode(in, sizeof(in), text);
    assert_string_equal(text, "00ab7fff");
    assert_int_equal(sk_hex_decode("00AB7fFF", 8, out, 4), 0);
    assert_memory_equal(out, in, 4);
    assert_int_equal(sk_hex_decode("00ab7f", 6, out, 4), SK_EINVAL);
    assert_int_equal(sk_hex_decode("00ab7fg0", 8, out, 4), SK_EINVAL);
    assert_int_equal(sk_hex_value('f'), 15);
    assert_int_equal(sk_hex_value('x'), -1);
    sk_hex_pct(pct, 0xe9);
    assert_memory_equal(pct, "%E9", 3);
}

static void
test_utf8(void **state)
{
    const char *s = "a\xc3\xa9\xe2\x82\xac"; /* a é € */
    size_t n;

    (void)state;
    assert_int_equal(sk_utf8_next(s + 1, 5, &n), 0xE9);
    assert_int_equal(n, 2);
    assert_int_equal(sk_utf8_next("\xff", 1, &n), -1);
    assert_int_equal(n, 1);
    assert_int_equal(sk_utf8_back(s, 6), 3);
    assert_int_equal(sk_utf8_back(s, 3), 1);
    assert_int_equal(sk_utf8_back(s, 1), 0);
    assert_int_equal(sk_utf8_back(s, 0), 0);
    assert_int_equal(sk_utf8_back(s, 5), 3); /* inside the euro sign */
    assert_int_equal(sk_utf8_prefix(s, 6, 2), 3);
    assert_int_equal(sk_utf8_prefix(s, 6, 9), 6);
    assert_int_equal(sk_utf8_prefix(s, 6, 0), 0);
    assert_int_equal(sk_utf8_count(s), 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_add),
        cmocka_unit_test(test_buf_limit),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_utf8),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
