/*
 * test_vonage.c - the Vonage channel type, table-driven from Vonage's
 * documented inbound-message and delivery-receipt parameters: GET, form
 * and JSON requests, odd payloads, the "sig" check with each method, the
 * /sms/json request built for a send, the classification of Vonage's
 * answers, and delivery receipts. No network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "channel.h"
#include "channels.h"
#include "sig.h"

#define FORM "application/x-www-form-urlencoded"
#define JSON "application/json"

static struct config cfg = {.public_url = "https://hotline.example.org"};
static struct config_channel chan = {.name = "vo",
                                     .type = "vonage",
                                     .api_key = "abcd1234",
                                     .api_secret = "s3cr3t",
                                     .number = "447700900000",
                                     .cfg = &cfg};

/* The documented inbound SMS webhook, as Vonage sends it by GET. */
#define INBOUND                                                                \
    "msisdn=447700900001&to=447700900000&messageId=0A0000000123ABCD1"          \
    "&type=text&keyword=HELLO&api-key=abcd1234"                                \
    "&message-timestamp=2020-01-01+12%3A00%3A00"

static int
parse(const char *query, const char *ctype, const char *body,
      struct sk_inbound *in, char err[SK_ERR_LEN])
{
    struct channel_request req = {.query = query,
                                  .content_type = ctype,
                                  .body = body != NULL ? body : "",
                                  .body_len = body != NULL ? strlen(body) : 0};

    err[0] = '\0';
    return channel_vonage.parse(&chan, &req, in, err);
}

static void
test_parse(void **state)
{
    static const struct {
        const char *query, *ctype, *body;
        int rc;
        const char *urn, *text, *id;
    } cases[] = {
        /* GET, as by default */
        {INBOUND "&text=Hello+world", NULL, NULL, 0, "tel:+447700900001",
         "Hello world", "0A0000000123ABCD1"},
        /* POST form */
        {NULL, FORM, INBOUND "&text=Hello", 0, "tel:+447700900001", "Hello",
         "0A0000000123ABCD1"},
        /* POST JSON */
        {NULL, JSON,
         "{\"msisdn\":\"447700900001\",\"to\":\"447700900000\",\"messageId\":"
         "\"0A0000000123ABCD1\",\"text\":\"Hi\",\"type\":\"text\",\"keyword\":"
         "\"HI\",\"api-key\":\"abcd1234\",\"message-timestamp\":\"2020-01-01 "
         "12:00:00\"}",
         0, "tel:+447700900001", "Hi", "0A0000000123ABCD1"},
        /* JSON with a number for msisdn */
        {NULL, JSON,
         "{\"msisdn\":447700900001,\"messageId\":\"m2\",\"text\":"
         "\"x\"}",
         0, "tel:+447700900001", "x", "m2"},
        /* empty and missing text; a concatenated part */
        {INBOUND "&text=", NULL, NULL, 0, "tel:+447700900001", "",
         "0A0000000123ABCD1"},
        {"msisdn=447700900001&messageId=m3", NULL, NULL, 0, "tel:+447700900001",
         "", "m3"},
        {INBOUND "&text=part+one&concat=true&concat-ref=1&concat-total=2"
                 "&concat-part=1",
         NULL, NULL, 0, "tel:+447700900001", "part one", "0A0000000123ABCD1"},
        /* unicode: emoji and Arabic */
        {"msisdn=9647700000001&messageId=m4&type=unicode&text=%F0%9F%98%8A+"
         "%D9%86%D8%B9%D9%85",
         NULL, NULL, 0, "tel:+9647700000001",
         "\xf0\x9f\x98\x8a \xd9\x86\xd8\xb9\xd9\x85", "m4"},
        /* a binary message has no text for us */
        {"msisdn=1555&messageId=m5&type=binary&data=0102&udh=050003", NULL,
         NULL, 0, "tel:+1555", "", "m5"},
        /* a leading + (escaped or not) */
        {"msisdn=%2B1555&messageId=m6&text=a", NULL, NULL, 0, "tel:+1555", "a",
         "m6"},
        {"msisdn=+1555&messageId=m7&text=a", NULL, NULL, 0, "tel:+1555", "a",
         "m7"},
        /* refused */
        {"messageId=m&text=a", NULL, NULL, SK_EINVAL, NULL, NULL, NULL},
        {"msisdn=1555&text=a", NULL, NULL, SK_EINVAL, NULL, NULL, NULL},
        {"msisdn=1555&msisdn=1666&messageId=m&text=a", NULL, NULL, SK_EINVAL,
         NULL, NULL, NULL},
        {"msisdn=1555&messageId=m&text=a&text=b", NULL, NULL, SK_EINVAL, NULL,
         NULL, NULL},
        /* the same key in the query and the body */
        {"msisdn=1555", FORM, "msisdn=1666&messageId=m", SK_EINVAL, NULL, NULL,
         NULL},
        {"msisdn=Vonage&messageId=m&text=a", NULL, NULL, SK_EINVAL, NULL, NULL,
         NULL},
        {"msisdn=1555&messageId=m&text=%FF", NULL, NULL, SK_EINVAL, NULL, NULL,
         NULL},
        {"msisdn=1555&messageId=m&text=a%00b", NULL, NULL, SK_EINVAL, NULL,
         NULL, NULL},
        {NULL, JSON, "[1,2]", SK_EINVAL, NULL, NULL, NULL},
        {NULL, JSON, "{\"msisdn\":\"1\",\"msisdn\":\"2\"}", SK_EINVAL, NULL,
         NULL, NULL},
        {NULL, "text/plain", "msisdn=1555&messageId=m", SK_EINVAL, NULL, NULL,
         NULL},
        {NULL, NULL, NULL, SK_EINVAL, NULL, NULL, NULL},
    };
    static char query[1600 * 3 + 128];
    char err[SK_ERR_LEN];
    struct sk_inbound in;
    size_t i;
    int rc;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        rc = parse(cases[i].query, cases[i].ctype, cases[i].body, &in, err);
        if (rc != cases[i].rc)
            fail_msg("case %zu: rc %d, want %d (%s)", i, rc, cases[i].rc, err);
        if (rc != 0) {
            assert_null(in.urn);
            assert_true(err[0] != '\0');
            continue;
        }
        assert_string_equal(in.urn, cases[i].urn);
        assert_string_equal(in.text, cases[i].text);
        assert_string_equal(in.external_id, cases[i].id);
        channel_inbound_clear(&in);
    }
    /* 1,600 Arabic-free characters, %-escaped */
    {
        char *o = query + sprintf(query, "msisdn=1555&messageId=long&text=");

        for (i = 0; i < 1600; i++)
            o += sprintf(o, "%%%02X", 'a' + (unsigned)(i % 26));
        assert_int_equal(parse(query, NULL, NULL, &in, err), 0);
        assert_int_equal(strlen(in.text), 1600);
        assert_int_equal(in.text[1599], 'a' + 1599 % 26);
        channel_inbound_clear(&in);
    }
}

/* --- signatures -------------------------------------------------------------
 */

/* query = base + "&sig=" + Vonage's signature of base's parameters. */
static void
signed_query(const char *method, const char *secret, const char *base,
             char *out, size_t cap)
{
    struct channel_pairs p = {0};
    struct sig_param params[64];
    char err[SK_ERR_LEN], sig[SIG_VONAGE_LEN];
    size_t i;

    assert_int_equal(channel_pairs_form(&p, base, strlen(base), err), 0);
    for (i = 0; i < p.n; i++) {
        params[i].key = p.v[i].key;
        params[i].value = p.v[i].value;
    }
    assert_int_equal(sig_vonage(method, secret, params, p.n, sig), 0);
    channel_pairs_clear(&p);
    snprintf(out, cap, "%s&sig=%s", base, sig);
}

static int
verify(const char *query, const char *ctype, const char *body)
{
    struct channel_request req = {.query = query,
                                  .content_type = ctype,
                                  .body = body != NULL ? body : "",
                                  .body_len = body != NULL ? strlen(body) : 0};

    return channel_vonage.verify(&chan, &req);
}

static void
test_verify(void **state)
{
    static char *const methods[] = {"md5hash", "md5", "sha1", "sha256",
                                    "sha512"};
    const char *base = INBOUND "&text=a%26b%3Dc&timestamp=1577880000"
                               "&nonce=8f1b";
    char q[1024], other[1024];
    size_t i;

    (void)state;
    /* no signature_secret: unsigned requests are taken */
    assert_int_equal(verify(base, NULL, NULL), 0);
    /* whatever their api-key (a subaccount's number sends its own) */
    assert_int_equal(verify("msisdn=1&messageId=m&api-key=zzz", NULL, NULL), 0);

    chan.signature_secret = "signature_secret";
    for (i = 0; i < sizeof(methods) / sizeof(*methods); i++) {
        chan.signature_method = i == 0 ? NULL : methods[i]; /* md5hash */
        signed_query(methods[i], "signature_secret", base, q, sizeof(q));
        assert_int_equal(verify(q, NULL, NULL), 0);
        /* the same parameters in a POST form */
        assert_int_equal(verify(NULL, FORM, q), 0);
        /* missing, wrong secret, tampered */
        assert_int_equal(verify(base, NULL, NULL), SK_EDENIED);
        signed_query(methods[i], "wrong", base, other, sizeof(other));
        assert_int_equal(verify(other, NULL, NULL), SK_EDENIED);
        snprintf(other, sizeof(other), "%s&extra=1", q);
        assert_int_equal(verify(other, NULL, NULL), SK_EDENIED);
        /* sig given twice */
        snprintf(other, sizeof(other), "%s&sig=00", q);
        assert_int_equal(verify(other, NULL, NULL), SK_EDENIED);
    }
    /* JSON: the members are the parameters */
    chan.signature_method = "sha256";
    {
        const char *jbase = "msisdn=447700900001&messageId=m1&text=hi"
                            "&timestamp=1577880000";
        char *sig;

        signed_query("sha256", "signature_secret", jbase, q, sizeof(q));
        sig = strstr(q, "&sig=") + 5;
        snprintf(other, sizeof(other),
                 "{\"msisdn\":\"447700900001\",\"messageId\":\"m1\",\"text\":"
                 "\"hi\",\"timestamp\":\"1577880000\",\"sig\":\"%s\"}",
                 sig);
        assert_int_equal(verify(NULL, JSON, other), 0);
        other[strlen(other) - 4] ^= 1;
        assert_int_equal(verify(NULL, JSON, other), SK_EDENIED);
    }
    chan.signature_secret = NULL;
    chan.signature_method = NULL;
}

static void
test_render(void **state)
{
    const char *texts[] = {"x"};
    struct channel_reply r;

    (void)state;
    assert_int_equal(channel_vonage.render(&chan, texts, 1, &r), 0);
    assert_int_equal(r.code, 200);
    assert_int_equal(r.body_len, 0);
    channel_reply_clear(&r);
    assert_int_equal(channel_vonage.render_error(&chan, 403, "forbidden", &r),
                     0);
    assert_int_equal(r.code, 403);
    channel_reply_clear(&r);
}

/* --- sending ----------------------------------------------------------------
 */

static const char *
form_get(struct channel_pairs *p, const char *key)
{
    bool dup;
    const char *v = channel_pairs_get(p, key, &dup);

    assert_false(dup);
    return v;
}

static void
test_build(void **state)
{
    static const struct {
        const char *text;
        const char *type; /* NULL: GSM-7, no type */
    } cases[] = {
        {"Hi! Reply YES", NULL},
        {"Caf\xc3\xa9 {ok} \xe2\x82\xac", NULL}, /* all in GSM-7 */
        {"\xd9\x86\xd8\xb9\xd9\x85", "unicode"},
        {"\xf0\x9f\x98\x8a", "unicode"},
        {"", NULL},
    };
    struct channel_pairs p = {0};
    struct httpc_req req;
    char err[SK_ERR_LEN];
    size_t i;

    (void)state;
    assert_true(channel_vonage.can_send(&chan));
    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        assert_int_equal(channel_vonage.build_send(&chan, "vo",
                                                   "tel:+447700900001",
                                                   cases[i].text, 77, &req),
                         0);
        assert_string_equal(req.method, "POST");
        assert_string_equal(req.url, "https://rest.nexmo.com/sms/json");
        assert_null(req.user);
        assert_int_equal(channel_pairs_form(&p, req.body, req.body_len, err),
                         0);
        assert_string_equal(form_get(&p, "api_key"), "abcd1234");
        assert_string_equal(form_get(&p, "api_secret"), "s3cr3t");
        assert_string_equal(form_get(&p, "from"), "447700900000");
        assert_string_equal(form_get(&p, "to"), "447700900001");
        assert_string_equal(form_get(&p, "text"), cases[i].text);
        if (cases[i].type == NULL)
            assert_null(form_get(&p, "type"));
        else
            assert_string_equal(form_get(&p, "type"), cases[i].type);
        assert_string_equal(form_get(&p, "status-report-req"), "1");
        assert_string_equal(form_get(&p, "client-ref"), "77");
        assert_string_equal(form_get(&p, "callback"),
                            "https://hotline.example.org/c/vo/status");
        channel_pairs_clear(&p);
        outbox_req_free(NULL, &req);
    }
    /* a local fake; no public_url: no callback */
    chan.api_url = "http://127.0.0.1:9";
    cfg.public_url = NULL;
    assert_int_equal(
        channel_vonage.build_send(&chan, "vo", "tel:+1555", "x", 1, &req), 0);
    assert_string_equal(req.url, "http://127.0.0.1:9/sms/json");
    assert_int_equal(channel_pairs_form(&p, req.body, req.body_len, err), 0);
    assert_null(form_get(&p, "callback"));
    channel_pairs_clear(&p);
    outbox_req_free(NULL, &req);
    chan.api_url = NULL;
    cfg.public_url = "https://hotline.example.org";

    chan.number = NULL;
    assert_false(channel_vonage.can_send(&chan));
    chan.number = "447700900000";
}

static void
test_result(void **state)
{
    static const struct {
        int status;
        const char *error, *body;
        enum outbox_verdict verdict;
        const char *extid;
    } cases[] = {
        /* the documented success */
        {200, NULL,
         "{\"message-count\":\"1\",\"messages\":[{\"to\":\"447700900001\","
         "\"message-id\":\"0A0000000123ABCD1\",\"status\":\"0\","
         "\"remaining-balance\":\"3.14\",\"message-price\":\"0.03\","
         "\"network\":\"12345\",\"client-ref\":\"77\"}]}",
         OUTBOX_SENT, "0A0000000123ABCD1"},
        /* two parts, both sent: the first id */
        {200, NULL,
         "{\"message-count\":\"2\",\"messages\":[{\"message-id\":\"A1\","
         "\"status\":\"0\"},{\"message-id\":\"A2\",\"status\":\"0\"}]}",
         OUTBOX_SENT, "A1"},
        /* throttled; an internal error */
        {200, NULL,
         "{\"message-count\":\"1\",\"messages\":[{\"status\":\"1\","
         "\"error-text\":\"Throughput Rate Exceeded\"}]}",
         OUTBOX_RETRY, ""},
        {200, NULL, "{\"messages\":[{\"status\":5}]}", OUTBOX_RETRY, ""},
        /* refused */
        {200, NULL,
         "{\"message-count\":\"1\",\"messages\":[{\"status\":\"2\","
         "\"error-text\":\"Missing to param\"}]}",
         OUTBOX_FAILED, ""},
        {200, NULL, "{\"messages\":[{\"status\":\"4\"}]}", OUTBOX_FAILED, ""},
        {200, NULL, "{\"messages\":[{\"status\":\"29\"}]}", OUTBOX_FAILED, ""},
        /* one part out, one throttled: a retry would resend the first */
        {200, NULL,
         "{\"messages\":[{\"status\":\"0\",\"message-id\":\"B1\"},"
         "{\"status\":\"1\"}]}",
         OUTBOX_FAILED, ""},
        /* an answer that says nothing */
        {200, NULL, "{}", OUTBOX_FAILED, ""},
        {200, NULL, "garbage", OUTBOX_FAILED, ""},
        {200, NULL, "{\"messages\":[]}", OUTBOX_FAILED, ""},
        /* HTTP level */
        {429, NULL, "", OUTBOX_RETRY, ""},
        {500, NULL, "", OUTBOX_RETRY, ""},
        {0, "timeout", "", OUTBOX_RETRY, ""},
        {401, NULL, "", OUTBOX_FAILED, ""},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct httpc_resp resp = {.status = cases[i].status,
                                  .error = cases[i].error,
                                  .body = cases[i].body,
                                  .body_len = strlen(cases[i].body),
                                  .retry_after_ms = -1};
        struct outbox_result res;

        memset(&res, 0, sizeof(res));
        res.retry_after_ms = -1;
        channel_vonage.send_result(&chan, "vo", &resp, &res);
        if (res.verdict != cases[i].verdict)
            fail_msg("case %zu: verdict %d, want %d", i, res.verdict,
                     cases[i].verdict);
        assert_string_equal(res.external_id, cases[i].extid);
        assert_non_null(res.reason);
    }
}

/* --- delivery receipts ------------------------------------------------------
 */

static void
test_status(void **state)
{
    static const struct {
        const char *extra;
        int rc;
        enum outbox_dlr status;
        bool final;
        long long row;
    } cases[] = {
        {"status=delivered&err-code=0&client-ref=77", 0, OUTBOX_DLR_DELIVERED,
         true, 77},
        {"status=delivered&err-code=0", 0, OUTBOX_DLR_DELIVERED, true, 0},
        {"status=failed&err-code=6", 0, OUTBOX_DLR_FAILED, true, 0},
        {"status=rejected&err-code=99", 0, OUTBOX_DLR_FAILED, true, 0},
        {"status=expired&err-code=5", 0, OUTBOX_DLR_FAILED, true, 0},
        {"status=accepted", 0, OUTBOX_DLR_DELIVERED, false, 0},
        {"status=buffered", 0, OUTBOX_DLR_DELIVERED, false, 0},
        {"status=unknown", SK_ENOENT, 0, false, 0},
        /* a client-ref that is not one of ours is not a row id */
        {"status=delivered&client-ref=abc", 0, OUTBOX_DLR_DELIVERED, true, 0},
        {"status=delivered&client-ref=0", 0, OUTBOX_DLR_DELIVERED, true, 0},
        {"status=", SK_EINVAL, 0, false, 0},
        {"", SK_EINVAL, 0, false, 0},
        {"status=delivered&status=failed", SK_EINVAL, 0, false, 0},
    };
    char query[512], err[SK_ERR_LEN];
    struct channel_status st;
    size_t i;
    int rc;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct channel_request req = {.query = query, .body = ""};

        snprintf(query, sizeof(query),
                 "msisdn=447700900001&to=447700900000&network-code=12345"
                 "&messageId=0A0000000123ABCD1&price=0.03&scts=2001011400"
                 "&api-key=abcd1234&message-timestamp=2020-01-01+12%%3A00%%3A00"
                 "&%s",
                 cases[i].extra);
        rc = channel_vonage.parse_status(&chan, &req, &st, err);
        if (rc != cases[i].rc)
            fail_msg("case %zu: rc %d, want %d", i, rc, cases[i].rc);
        if (rc != 0)
            continue;
        assert_string_equal(st.external_id, "0A0000000123ABCD1");
        assert_int_equal(st.row_id, cases[i].row);
        assert_int_equal(st.status, cases[i].status);
        assert_int_equal(st.final, cases[i].final);
    }
    {
        const char *json = "{\"messageId\":\"X9\",\"status\":\"delivered\","
                           "\"client-ref\":\"5\"}";
        struct channel_request req = {
            .content_type = JSON, .body = json, .body_len = strlen(json)};

        assert_int_equal(channel_vonage.parse_status(&chan, &req, &st, err), 0);
        assert_string_equal(st.external_id, "X9");
        assert_int_equal(st.row_id, 5);
    }
    {
        struct channel_request req = {.query = "status=delivered", .body = ""};

        assert_int_equal(channel_vonage.parse_status(&chan, &req, &st, err),
                         SK_EINVAL);
    }
}

static void
test_registry(void **state)
{
    (void)state;
    assert_ptr_equal(channel_find("vonage"), &channel_vonage);
    assert_false(channel_vonage.sync_reply);
    assert_true(channel_vonage.allow_get);
    assert_false(channel_vonage.idempotent_send);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),    cmocka_unit_test(test_verify),
        cmocka_unit_test(test_render),   cmocka_unit_test(test_build),
        cmocka_unit_test(test_result),   cmocka_unit_test(test_status),
        cmocka_unit_test(test_registry),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
