/*
 * test_generic.c - the generic channel: form and JSON parsing, refused
 * input (missing fields, broken JSON, invalid UTF-8, keys given twice),
 * the secret check and the reply format. No network.
 */
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "channel.h"
#include "channels.h"

static struct config_channel chan = {.name = "demo",
                                     .type = "generic",
                                     .secret = "s3cret"};

static int
parse(const char *ctype, const char *body, size_t len, struct sk_inbound *in,
      char err[SK_ERR_LEN])
{
    struct channel_request req = {.query = "secret=s3cret",
                                  .content_type = ctype,
                                  .body = body,
                                  .body_len = len};

    err[0] = '\0';
    return channel_generic.parse(&chan, &req, in, err);
}

static int
parse_s(const char *ctype, const char *body, struct sk_inbound *in,
        char err[SK_ERR_LEN])
{
    return parse(ctype, body, strlen(body), in, err);
}

static const char *form = "application/x-www-form-urlencoded";
static const char *json = "application/json; charset=utf-8";

static void
test_form(void **state)
{
    struct sk_inbound in;
    char err[SK_ERR_LEN];

    (void)state;
    assert_int_equal(parse_s(form,
                             "from=%2B254700000001&text=Hello+there%21"
                             "&id=m1&extra=x",
                             &in, err),
                     0);
    assert_string_equal(in.urn, "tel:+254700000001");
    assert_string_equal(in.text, "Hello there!");
    assert_string_equal(in.external_id, "m1");
    channel_inbound_clear(&in);
    assert_null(in.urn);

    /* no content type: a form; text may be missing or empty */
    assert_int_equal(parse_s(NULL, "id=7&from=tel:%2B1555", &in, err), 0);
    assert_string_equal(in.urn, "tel:+1555");
    assert_string_equal(in.text, "");
    channel_inbound_clear(&in);
    assert_int_equal(parse_s(form, "from=1&text=&id=2", &in, err), 0);
    assert_string_equal(in.text, "");
    channel_inbound_clear(&in);

    /* an unescaped + in from (a space once decoded) is taken back */
    assert_int_equal(parse_s(form, "from=+254700000001&id=3", &in, err), 0);
    assert_string_equal(in.urn, "tel:+254700000001");
    channel_inbound_clear(&in);

    /* UTF-8 passes through */
    assert_int_equal(
        parse_s(form, "from=1&id=2&text=%D9%86%D8%B9%D9%85", &in, err), 0);
    assert_string_equal(in.text, "\xd9\x86\xd8\xb9\xd9\x85");
    channel_inbound_clear(&in);
}

static void
test_json(void **state)
{
    struct sk_inbound in;
    char err[SK_ERR_LEN];

    (void)state;
    assert_int_equal(parse_s(json,
                             "{\"from\":\"+254700000001\",\"text\":\"Ndiyo\","
                             "\"id\":\"abc\"}",
                             &in, err),
                     0);
    assert_string_equal(in.urn, "tel:+254700000001");
    assert_string_equal(in.text, "Ndiyo");
    assert_string_equal(in.external_id, "abc");
    channel_inbound_clear(&in);

    /* numeric id, null text */
    assert_int_equal(
        parse_s(json, "{\"from\":\"1\",\"text\":null,\"id\":42}", &in, err), 0);
    assert_string_equal(in.external_id, "42");
    assert_string_equal(in.text, "");
    channel_inbound_clear(&in);
}

static void
expect_invalid_n(const char *ctype, const char *body, size_t len,
                 const char *want)
{
    struct sk_inbound in;
    char err[SK_ERR_LEN];

    assert_int_equal(parse(ctype, body, len, &in, err), SK_EINVAL);
    assert_null(in.urn);
    if (strstr(err, want) == NULL)
        fail_msg("error \"%s\" does not say \"%s\"", err, want);
}

static void
expect_invalid(const char *ctype, const char *body, const char *want)
{
    expect_invalid_n(ctype, body, strlen(body), want);
}

static void
test_missing(void **state)
{
    (void)state;
    expect_invalid(form, "text=hi&id=1", "missing \"from\"");
    expect_invalid(form, "from=&text=hi&id=1", "missing \"from\"");
    expect_invalid(form, "from=1&text=hi", "missing \"id\"");
    expect_invalid(json, "{\"text\":\"hi\",\"id\":\"1\"}", "missing \"from\"");
    expect_invalid(json, "{\"from\":\"1\"}", "missing \"id\"");
}

static void
test_broken(void **state)
{
    (void)state;
    expect_invalid(json, "{\"from\":\"1\",", "not valid JSON");

    expect_invalid(json, "", "not valid JSON");
    expect_invalid(json, "[1,2]", "JSON object");
    expect_invalid(json, "{\"from\":1.5,\"id\":\"x\"}", "\"from\"");
    expect_invalid(json, "{\"from\":\"1\",\"id\":\"x\",\"text\":[]}",
                   "\"text\"");
    expect_invalid(form, "from=1&id=2&text=%4", "%-escape");
    expect_invalid(form, "from=1&id=2&text=%zz", "%-escape");
    expect_invalid("text/plain", "from=1&id=2", "content type");
}

/* The error goes back to the caller in the 400 reply: it names where the
 * JSON broke, never quotes the body (a phone number, a child's words). */
static void
expect_no_quote(const char *body, const char *secret)
{
    struct channel_pairs pairs = {0};
    struct sk_inbound in;
    char err[SK_ERR_LEN];

    assert_int_equal(parse(json, body, strlen(body), &in, err), SK_EINVAL);
    if (strstr(err, "not valid JSON") == NULL || strstr(err, secret) != NULL)
        fail_msg("generic: error \"%s\" quotes the body", err);
    assert_int_equal(channel_pairs_json(&pairs, body, strlen(body), err),
                     SK_EINVAL);
    channel_pairs_clear(&pairs);
    if (strstr(err, "not valid JSON") == NULL || strstr(err, secret) != NULL)
        fail_msg("pairs: error \"%s\" quotes the body", err);
}

static void
test_broken_no_quote(void **state)
{
    (void)state;
    expect_no_quote("{\"from\":\"+254700000001", "254700000001");
    expect_no_quote("{\"text\":\"I am scared\" \"from\":1}", "from");
    expect_no_quote("{\"id\":\"1\",\"text\":\"nisaidie\xff\"}", "nisaidie");
}

static void
test_utf8(void **state)
{
    (void)state;
    expect_invalid(form, "from=1&id=2&text=%FF%FE", "UTF-8");
    expect_invalid(form, "from=1&id=2&text=a%00b", "UTF-8");
    expect_invalid(form, "from=%C3&id=2", "UTF-8");
    /* jansson refuses invalid UTF-8 and \u0000 itself */
    expect_invalid(json, "{\"from\":\"1\",\"id\":\"2\",\"text\":\"\xff\"}",
                   "not valid JSON");
    expect_invalid(json, "{\"from\":\"1\",\"id\":\"2\",\"text\":\"a\\u0000b\"}",
                   "not valid JSON");
}

static void
test_duplicates(void **state)
{
    (void)state;
    expect_invalid(form, "from=1&from=2&id=3", "more than once");
    expect_invalid(form, "from=1&id=3&id=4", "more than once");
    expect_invalid(form, "from=1&id=3&text=a&text=b", "more than once");
    expect_invalid(json, "{\"from\":\"1\",\"from\":\"2\",\"id\":\"3\"}",
                   "not valid JSON");
}

static void
test_limits(void **state)
{
    char body[600];

    (void)state;
    memset(body, '1', sizeof(body));
    memcpy(body, "id=1&from=", 10);
    expect_invalid_n(form, body, sizeof(body), "too long");
    memset(body, 'x', sizeof(body));
    memcpy(body, "from=1&id=", 10);
    expect_invalid_n(form, body, sizeof(body), "too long");
}

static int
verify(const char *query, const char *secret)
{
    struct config_channel ch = chan;
    struct channel_request req = {.query = query, .body = "", .body_len = 0};

    ch.secret = (char *)secret;
    return channel_generic.verify(&ch, &req);
}

static void
test_secret(void **state)
{
    (void)state;
    assert_int_equal(verify("secret=s3cret", "s3cret"), 0);
    assert_int_equal(verify("a=1&secret=s3cret", "s3cret"), 0);
    assert_int_equal(verify("secret=s%33cret", "s3cret"), 0);
    assert_int_equal(verify("secret=s3cre", "s3cret"), SK_EDENIED);
    assert_int_equal(verify("secret=s3crett", "s3cret"), SK_EDENIED);
    assert_int_equal(verify("secret=", "s3cret"), SK_EDENIED);
    assert_int_equal(verify("secre=s3cret", "s3cret"), SK_EDENIED);
    assert_int_equal(verify(NULL, "s3cret"), SK_EDENIED);
    assert_int_equal(verify("secret=s3cret&secret=s3cret", "s3cret"),
                     SK_EDENIED);
    /* no configured secret: nothing gets in */
    assert_int_equal(verify("secret=", NULL), SK_EDENIED);
    assert_int_equal(verify("secret=", ""), SK_EDENIED);
    assert_true(channel_secret_ok("a", "a"));
    assert_false(channel_secret_ok("a", "b"));
    assert_false(channel_secret_ok(NULL, "b"));
}

static void
test_render(void **state)
{
    const char *texts[] = {"Hi! Reply YES", "Quote \" and \xc3\xa9"};
    struct channel_reply r;

    (void)state;
    assert_int_equal(channel_generic.render(&chan, texts, 2, &r), 0);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(r.body, "{\"messages\":[\"Hi! Reply YES\","
                                "\"Quote \\\" and \xc3\xa9\"]}");
    assert_int_equal(r.body_len, strlen(r.body));
    channel_reply_clear(&r);

    assert_int_equal(channel_generic.render(&chan, NULL, 0, &r), 0);
    assert_string_equal(r.body, "{\"messages\":[]}");
    channel_reply_clear(&r);

    assert_int_equal(
        channel_generic.render_error(&chan, 400, "missing \"from\"", &r), 0);
    assert_int_equal(r.code, 400);
    assert_string_equal(r.body, "{\"error\":\"missing \\\"from\\\"\"}");
    channel_reply_clear(&r);
}

static void
test_registry(void **state)
{
    (void)state;
    assert_ptr_equal(channel_find("generic"), &channel_generic);
    assert_null(channel_find("nope"));
    assert_null(channel_find(NULL));
    assert_true(
        channel_content_type_is("application/json", "application/json"));
    assert_true(channel_content_type_is(" Application/JSON ; charset=utf-8",
                                        "application/json"));
    assert_false(
        channel_content_type_is("application/jsonx", "application/json"));
    assert_false(channel_content_type_is(NULL, "application/json"));
}

/* The log says which kind of problem, by a fixed keyword. */
static void
expect_kind(const char *ctype, const char *body, const char *kind)
{
    struct sk_inbound in;
    char err[SK_ERR_LEN];

    assert_int_equal(parse(ctype, body, strlen(body), &in, err), SK_EINVAL);
    if (strcmp(channel_bad_kind(err), kind) != 0)
        fail_msg("error \"%s\" is kind %s, not %s", err, channel_bad_kind(err),
                 kind);
}

static void
test_bad_kind(void **state)
{
    char body[600];

    (void)state;
    expect_kind(form, "text=hi&id=1", "missing_field");
    expect_kind(json, "{\"from\":\"1\"}", "missing_field");
    expect_kind(json, "{\"from\":\"1\",", "bad_json");
    expect_kind(json, "[1,2]", "bad_json");
    expect_kind(form, "from=1&id=2&text=%FF%FE", "bad_utf8");
    expect_kind(json, "{\"from\":\"1\",\"id\":\"2\",\"text\":\"\xff\"}",
                "bad_utf8");
    expect_kind(form, "from=1&from=2&id=3", "duplicate_field");
    expect_kind(json, "{\"from\":\"1\",\"from\":\"2\",\"id\":\"3\"}",
                "duplicate_field");
    expect_kind(form, "from=1&id=2&text=%zz", "bad_form_data");
    expect_kind("text/plain", "from=1&id=2", "bad_content_type");
    expect_kind(json, "{\"from\":1.5,\"id\":\"x\"}", "bad_field");
    memset(body, '1', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    memcpy(body, "id=1&from=", 10);
    expect_kind(form, body, "too_long");
    assert_string_equal(channel_bad_kind("\"From\" is not a phone number"),
                        "not_phone_number");
    assert_string_equal(channel_bad_kind(""), "invalid");
    assert_string_equal(channel_bad_kind(NULL), "invalid");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_broken),
        cmocka_unit_test(test_broken_no_quote),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_bad_kind),
        cmocka_unit_test(test_secret),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_registry),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
