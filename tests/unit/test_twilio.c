/*
 * test_twilio.c - the Twilio channel type, table-driven from Twilio's
 * documented webhook fields: inbound parsing (odd and refused payloads),
 * X-Twilio-Signature checks, TwiML escaping, the Messages API request
 * built for a send, the classification of Twilio's answers, and status
 * callbacks. No network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <openssl/sha.h>

#include "channel.h"
#include "channels.h"
#include "sig.h"

#define SID   "AC00000000000000000000000000000001"
#define TOKEN "12345abcdef"
#define FORM  "application/x-www-form-urlencoded"

static struct config cfg = {.public_url = "https://hotline.example.org"};
static struct config_channel chan = {.name = "tw",
                                     .type = "twilio",
                                     .account_sid = SID,
                                     .auth_token = TOKEN,
                                     .number = "+15005550006",
                                     .cfg = &cfg};

/* A documented inbound SMS webhook (Twilio's "Messaging webhook request"
 * fields), with %s for what each case puts in. */
#define INBOUND_HEAD                                                           \
    "ToCountry=US&ToState=CA&SmsMessageSid=SM11111111111111111111111111111111" \
    "&NumMedia=0&ToCity=&FromZip=&SmsSid=SM11111111111111111111111111111111"   \
    "&FromState=&SmsStatus=received&FromCity=&FromCountry=KE"                  \
    "&To=%2B15005550006&ToZip=&NumSegments=1&AccountSid=" SID                  \
    "&ApiVersion=2010-04-01"

/* --- requests with headers ------------------------------------------------
 */

struct hdrs {
    const char *signature;
};

static const char *
get_header(void *arg, const char *name)
{
    const struct hdrs *h = arg;

    if (strcasecmp(name, "X-Twilio-Signature") == 0)
        return h->signature;
    return NULL;
}

/* Signs body (a form) for url with token, as Twilio would. */
static void
sign_form(const char *token, const char *url, const char *body,
          char out[SIG_TWILIO_LEN])
{
    struct channel_pairs p = {0};
    struct sig_param params[64];
    char err[SK_ERR_LEN];
    size_t i;

    assert_int_equal(channel_pairs_form(&p, body, strlen(body), err), 0);
    assert_true(p.n <= 64);
    for (i = 0; i < p.n; i++) {
        params[i].key = p.v[i].key;
        params[i].value = p.v[i].value;
    }
    assert_int_equal(sig_twilio(token, url, params, p.n, out), 0);
    channel_pairs_clear(&p);
}

static int
verify(const char *uri, const char *ctype, const char *body,
       const char *signature)
{
    struct hdrs h = {signature};
    struct channel_request req = {.uri = uri,
                                  .content_type = ctype,
                                  .body = body,
                                  .body_len = strlen(body),
                                  .header = get_header,
                                  .header_arg = &h};

    return channel_twilio.verify(&chan, &req);
}

/* --- inbound parsing --------------------------------------------------------
 */

static void
test_parse(void **state)
{
    static char long_body[1600 * 3 + 64], long_text[1601];
    static const struct {
        const char *body; /* after INBOUND_HEAD, or whole when head is 0 */
        int head;
        const char *ctype;
        int rc;
        const char *urn, *text, *id;
    } cases[] = {
        /* the documented payload */
        {"&MessageSid=SM22222222222222222222222222222222&From=%2B254700000001"
         "&Body=Hello+there%21",
         1, FORM, 0, "tel:+254700000001", "Hello there!",
         "SM22222222222222222222222222222222"},
        /* no Content-Type: still a form */
        {"&MessageSid=SM2&From=%2B254700000001&Body=Hi", 1, NULL, 0,
         "tel:+254700000001", "Hi", "SM2"},
        /* an empty text is a message */
        {"&MessageSid=SM3&From=%2B254700000001&Body=", 1, FORM, 0,
         "tel:+254700000001", "", "SM3"},
        /* MMS without text: Body missing, NumMedia and MediaUrl0 set */
        {"MessageSid=SM4&From=%2B254700000001&NumMedia=1&MediaUrl0=https%3A"
         "%2F%2Fapi.twilio.com%2Fm&AccountSid=" SID,
         0, FORM, 0, "tel:+254700000001", "", "SM4"},
        /* older requests: only SmsSid / SmsMessageSid */
        {"SmsSid=SM5&From=%2B254700000001&Body=x&AccountSid=" SID, 0, FORM, 0,
         "tel:+254700000001", "x", "SM5"},
        /* emoji and Arabic */
        {"&MessageSid=SM6&From=%2B9647700000001&Body=%F0%9F%98%8A+%D9%86%D8%B9"
         "%D9%85",
         1, FORM, 0, "tel:+9647700000001",
         "\xf0\x9f\x98\x8a \xd9\x86\xd8\xb9\xd9\x85", "SM6"},
        /* an unescaped + in From (a space once decoded) */
        {"&MessageSid=SM7&From=+254700000001&Body=a", 1, FORM, 0,
         "tel:+254700000001", "a", "SM7"},
        /* a short code sender */
        {"&MessageSid=SM8&From=40404&Body=a", 1, FORM, 0, "tel:40404", "a",
         "SM8"},
        /* refused: no From, no id, From twice, Body twice, other URN
         * schemes, bad escapes, invalid UTF-8, a NUL, wrong type */
        {"&MessageSid=SM9&Body=a", 1, FORM, SK_EINVAL, NULL, NULL, NULL},
        {"From=%2B254700000001&Body=a", 0, FORM, SK_EINVAL, NULL, NULL, NULL},
        {"&MessageSid=S&From=%2B1&From=%2B2&Body=a", 1, FORM, SK_EINVAL, NULL,
         NULL, NULL},
        {"&MessageSid=S&From=%2B1&Body=a&Body=b", 1, FORM, SK_EINVAL, NULL,
         NULL, NULL},
        {"&MessageSid=S&MessageSid=T&From=%2B1&Body=a", 1, FORM, SK_EINVAL,
         NULL, NULL, NULL},
        {"&MessageSid=S&From=whatsapp%3A%2B1555&Body=a", 1, FORM, SK_EINVAL,
         NULL, NULL, NULL},
        {"&MessageSid=S&From=%2B1&Body=%G1", 1, FORM, SK_EINVAL, NULL, NULL,
         NULL},
        {"&MessageSid=S&From=%2B1&Body=%FF%FE", 1, FORM, SK_EINVAL, NULL, NULL,
         NULL},
        {"&MessageSid=S&From=%2B1&Body=a%00b", 1, FORM, SK_EINVAL, NULL, NULL,
         NULL},
        {"&MessageSid=S&From=%2B1&Body=a", 1, "text/plain", SK_EINVAL, NULL,
         NULL, NULL},
        {"", 0, FORM, SK_EINVAL, NULL, NULL, NULL},
    };
    char body[2048], err[SK_ERR_LEN];
    struct sk_inbound in;
    size_t i;
    int rc;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct channel_request req = {.content_type = cases[i].ctype};

        snprintf(body, sizeof(body), "%s%s", cases[i].head ? INBOUND_HEAD : "",
                 cases[i].body);
        req.body = body;
        req.body_len = strlen(body);
        err[0] = '\0';
        rc = channel_twilio.parse(&chan, &req, &in, err);
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

    /* 1,600 characters, Twilio's longest message body */
    {
        struct channel_request req = {.content_type = FORM};
        char *o;

        for (i = 0; i < 1600; i++)
            long_text[i] = (char)('a' + i % 26);
        long_text[1600] = '\0';
        o = long_body + sprintf(long_body, "MessageSid=SMlong&From=%%2B1555"
                                           "&AccountSid=" SID "&Body=");
        strcpy(o, long_text);
        req.body = long_body;
        req.body_len = strlen(long_body);
        assert_int_equal(channel_twilio.parse(&chan, &req, &in, err), 0);
        assert_int_equal(strlen(in.text), 1600);
        assert_string_equal(in.text, long_text);
        channel_inbound_clear(&in);
    }
    /* a JSON body (signed through bodySHA256) is read as well */
    {
        const char *json = "{\"MessageSid\":\"SMj\",\"From\":\"+1555\","
                           "\"Body\":\"hi\",\"AccountSid\":\"" SID "\"}";
        struct channel_request req = {.content_type = "application/json",
                                      .body = json,
                                      .body_len = strlen(json)};

        assert_int_equal(channel_twilio.parse(&chan, &req, &in, err), 0);
        assert_string_equal(in.urn, "tel:+1555");
        assert_string_equal(in.text, "hi");
        channel_inbound_clear(&in);
    }
}

/* --- signatures -------------------------------------------------------------
 */

static void
test_verify(void **state)
{
    const char *body = INBOUND_HEAD "&MessageSid=SM1&From=%2B254700000001"
                                    "&Body=Hello";
    const char *other = "MessageSid=SM1&From=%2B254700000001&Body=Hello"
                        "&AccountSid=AC99";
    char sig[SIG_TWILIO_LEN], sig443[SIG_TWILIO_LEN], sigq[SIG_TWILIO_LEN];
    char bad[SIG_TWILIO_LEN], sigo[SIG_TWILIO_LEN];

    (void)state;
    sign_form(TOKEN, "https://hotline.example.org/c/tw/receive", body, sig);
    sign_form(TOKEN, "https://hotline.example.org:443/c/tw/receive", body,
              sig443);
    sign_form(TOKEN, "https://hotline.example.org/c/tw/receive?x=1&y=%20", body,
              sigq);
    sign_form("wrong-token", "https://hotline.example.org/c/tw/receive", body,
              bad);
    sign_form(TOKEN, "https://hotline.example.org/c/tw/receive", other, sigo);

    assert_int_equal(verify("/c/tw/receive", FORM, body, sig), 0);
    /* Twilio may sign the URL with the default port */
    assert_int_equal(verify("/c/tw/receive", FORM, body, sig443), 0);
    /* the query is part of the signed URL */
    assert_int_equal(verify("/c/tw/receive?x=1&y=%20", FORM, body, sigq), 0);
    assert_int_equal(verify("/c/tw/receive", FORM, body, sigq), SK_EDENIED);
    /* another path (the status URL) is not the receive URL */
    assert_int_equal(verify("/c/tw/status", FORM, body, sig), SK_EDENIED);
    /* missing, empty, wrong token, a flipped character */
    assert_int_equal(verify("/c/tw/receive", FORM, body, NULL), SK_EDENIED);
    assert_int_equal(verify("/c/tw/receive", FORM, body, ""), SK_EDENIED);
    assert_int_equal(verify("/c/tw/receive", FORM, body, bad), SK_EDENIED);
    strcpy(bad, sig);
    bad[3] = bad[3] == 'A' ? 'B' : 'A';
    assert_int_equal(verify("/c/tw/receive", FORM, body, bad), SK_EDENIED);
    /* a body changed after signing */
    assert_int_equal(verify("/c/tw/receive", FORM,
                            INBOUND_HEAD "&MessageSid=SM1&From=%2B254700000001"
                                         "&Body=Hellp",
                            sig),
                     SK_EDENIED);
    /* signed with our token but for another account */
    assert_int_equal(verify("/c/tw/receive", FORM, other, sigo), SK_EDENIED);
    /* a public_url with a trailing slash is the same URL */
    cfg.public_url = "https://hotline.example.org/";
    assert_int_equal(verify("/c/tw/receive", FORM, body, sig), 0);
    /* no public_url: nothing can be checked, so nothing is taken */
    cfg.public_url = NULL;
    assert_int_equal(verify("/c/tw/receive", FORM, body, sig), SK_EDENIED);
    cfg.public_url = "https://hotline.example.org";

    /* a JSON body: the URL carries bodySHA256, no parameters are signed */
    {
        const char *json = "{\"property\": \"value\", \"boolean\": true}";
        const char *uri = "/c/tw/receive?bodySHA256=0a1ff7634d9ab3b95db5c9a2df"
                          "e9416e41502b283a80c7cf19632632f96e6620";
        char url[256], jsig[SIG_TWILIO_LEN];

        snprintf(url, sizeof(url), "https://hotline.example.org%s", uri);
        assert_int_equal(sig_twilio(TOKEN, url, NULL, 0, jsig), 0);
        /* no AccountSid in that body: not ours */
        assert_int_equal(verify(uri, "application/json", json, jsig),
                         SK_EDENIED);
    }
    {
        const char *json = "{\"AccountSid\":\"" SID "\",\"MessageSid\":"
                           "\"SMj\",\"From\":\"+1555\",\"Body\":\"hi\"}";
        unsigned char md[SHA256_DIGEST_LENGTH];
        char uri[160], url[256], jsig[SIG_TWILIO_LEN];
        size_t i, n;

        SHA256((const unsigned char *)json, strlen(json), md);
        n = (size_t)snprintf(uri, sizeof(uri), "/c/tw/receive?bodySHA256=");
        for (i = 0; i < sizeof(md); i++)
            n += (size_t)snprintf(uri + n, sizeof(uri) - n, "%02x", md[i]);
        snprintf(url, sizeof(url), "https://hotline.example.org%s", uri);
        assert_int_equal(sig_twilio(TOKEN, url, NULL, 0, jsig), 0);
        assert_int_equal(verify(uri, "application/json", json, jsig), 0);
        /* the body changed: its hash no longer matches the signed URL */
        assert_int_equal(verify(uri, "application/json",
                                "{\"AccountSid\":\"" SID "\",\"Body\":\"x\"}",
                                jsig),
                         SK_EDENIED);
    }
}

/* --- TwiML ------------------------------------------------------------------
 */

static void
test_render(void **state)
{
    static const struct {
        const char *texts[3];
        size_t n;
        const char *want;
    } cases[] = {
        {{NULL}, 0, "<Response></Response>"},
        {{"Hi! Reply YES"},
         1,
         "<Response><Message>Hi! Reply YES</Message>"
         "</Response>"},
        {{"a & b <c> \"d\" 'e'", "x\x01y\tz\n"},
         2,
         "<Response><Message>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;"
         "</Message><Message>xy\tz\n</Message></Response>"},
        {{"</Message><Redirect>http://evil</Redirect>"},
         1,
         "<Response><Message>&lt;/Message&gt;&lt;Redirect&gt;http://evil&lt;"
         "/Redirect&gt;</Message></Response>"},
        {{"\xd9\x86\xd8\xb9\xd9\x85 \xf0\x9f\x98\x8a"},
         1,
         "<Response><Message>\xd9\x86\xd8\xb9\xd9\x85 \xf0\x9f\x98\x8a"
         "</Message></Response>"},
    };
    const char *head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
    struct channel_reply r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        assert_int_equal(
            channel_twilio.render(&chan, cases[i].texts, cases[i].n, &r), 0);
        assert_int_equal(r.code, 200);
        assert_string_equal(r.content_type, "text/xml; charset=utf-8");
        assert_int_equal(r.body_len, strlen(r.body));
        assert_memory_equal(r.body, head, strlen(head));
        assert_string_equal(r.body + strlen(head), cases[i].want);
        channel_reply_clear(&r);
    }
    assert_int_equal(channel_twilio.render_error(&chan, 403, "forbidden", &r),
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
    struct httpc_req req;
    struct channel_pairs p = {0};
    char err[SK_ERR_LEN];
    const char *arabic = "\xd9\x86\xd8\xb9\xd9\x85 & = + %";
    size_t i;
    bool ctype = false;

    (void)state;
    assert_true(channel_twilio.can_send(&chan));
    assert_int_equal(channel_twilio.build_send(&chan, "tw", "tel:+254700000001",
                                               arabic, 42, &req),
                     0);
    assert_string_equal(req.method, "POST");
    assert_string_equal(req.url,
                        "https://api.twilio.com/2010-04-01/Accounts/" SID
                        "/Messages.json");
    assert_string_equal(req.user, SID);
    assert_string_equal(req.password, TOKEN);
    for (i = 0; i < req.n_headers; i++)
        if (strcmp(req.headers[i],
                   "Content-Type: application/x-www-form-urlencoded") == 0)
            ctype = true;
    assert_true(ctype);
    assert_int_equal(req.body_len, strlen(req.body));
    assert_int_equal(channel_pairs_form(&p, req.body, req.body_len, err), 0);
    assert_int_equal(p.n, 4);
    assert_string_equal(form_get(&p, "To"), "+254700000001");
    assert_string_equal(form_get(&p, "From"), "+15005550006");
    assert_string_equal(form_get(&p, "Body"), arabic);
    assert_string_equal(form_get(&p, "StatusCallback"),
                        "https://hotline.example.org/c/tw/status");
    channel_pairs_clear(&p);
    outbox_req_free(NULL, &req);

    /* api_url (a local fake), [outbox] timeout_ms; no public_url: no
     * StatusCallback */
    chan.api_url = "http://127.0.0.1:9/";
    cfg.outbox_timeout_ms = 1500;
    cfg.public_url = NULL;
    assert_int_equal(
        channel_twilio.build_send(&chan, "tw", "tel:+1555", "", 1, &req), 0);
    assert_string_equal(req.url, "http://127.0.0.1:9/2010-04-01/Accounts/" SID
                                 "/Messages.json");
    assert_int_equal(req.timeout_ms, 1500);
    assert_int_equal(channel_pairs_form(&p, req.body, req.body_len, err), 0);
    assert_null(form_get(&p, "StatusCallback"));
    assert_string_equal(form_get(&p, "Body"), "");
    channel_pairs_clear(&p);
    outbox_req_free(NULL, &req);
    chan.api_url = NULL;
    cfg.outbox_timeout_ms = 0;
    cfg.public_url = "https://hotline.example.org";

    /* no number: this channel cannot send on its own */
    chan.number = NULL;
    assert_false(channel_twilio.can_send(&chan));
    assert_int_equal(
        channel_twilio.build_send(&chan, "tw", "tel:+1", "x", 1, &req),
        SK_EINVAL);
    chan.number = "+15005550006";
    /* an account SID that would change the URL's path */
    chan.account_sid = "AC1/../x";
    assert_int_equal(
        channel_twilio.build_send(&chan, "tw", "tel:+1", "x", 1, &req),
        SK_EINVAL);
    chan.account_sid = SID;
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
        {201, NULL,
         "{\"sid\":\"SM33333333333333333333333333333333\",\"status\":"
         "\"queued\",\"to\":\"+254700000001\"}",
         OUTBOX_SENT, "SM33333333333333333333333333333333"},
        {200, NULL, "not json", OUTBOX_SENT, ""},
        {429, NULL,
         "{\"code\":20429,\"message\":\"Too Many Requests\",\"status\":429}",
         OUTBOX_RETRY, ""},
        {500, NULL, "", OUTBOX_RETRY, ""},
        {503, NULL, "", OUTBOX_RETRY, ""},
        {0, "timeout", "", OUTBOX_RETRY, ""},
        {0, "connect", "", OUTBOX_RETRY, ""},
        {400, NULL,
         "{\"code\":21610,\"message\":\"Attempt to send to unsubscribed "
         "recipient\",\"status\":400}",
         OUTBOX_FAILED, ""},
        {400, NULL, "{\"code\":21211,\"status\":400}", OUTBOX_FAILED, ""},
        {401, NULL, "{\"code\":20003,\"status\":401}", OUTBOX_FAILED, ""},
        {404, NULL, "", OUTBOX_FAILED, ""},
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
        channel_twilio.send_result(&chan, "tw", &resp, &res);
        if (res.verdict != cases[i].verdict)
            fail_msg("case %zu: verdict %d, want %d", i, res.verdict,
                     cases[i].verdict);
        assert_string_equal(res.external_id, cases[i].extid);
        assert_non_null(res.reason);
    }
    {
        struct httpc_resp resp = {.status = 400,
                                  .body = "{\"code\":21610}",
                                  .body_len = 14,
                                  .retry_after_ms = -1};
        struct outbox_result res = {.retry_after_ms = -1};

        channel_twilio.send_result(&chan, "tw", &resp, &res);
        assert_non_null(strstr(res.reason, "21610"));
    }
}

/* --- status callbacks -------------------------------------------------------
 */

static void
test_status(void **state)
{
    static const struct {
        const char *body;
        int rc;
        enum outbox_dlr status;
        bool final;
    } cases[] = {
        {"MessageStatus=delivered", 0, OUTBOX_DLR_DELIVERED, true},
        {"MessageStatus=read", 0, OUTBOX_DLR_DELIVERED, true},
        {"MessageStatus=undelivered&ErrorCode=30003", 0, OUTBOX_DLR_FAILED,
         true},
        {"MessageStatus=failed&ErrorCode=30008", 0, OUTBOX_DLR_FAILED, true},
        {"MessageStatus=queued", 0, OUTBOX_DLR_DELIVERED, false},
        {"MessageStatus=sending", 0, OUTBOX_DLR_DELIVERED, false},
        {"MessageStatus=sent", 0, OUTBOX_DLR_DELIVERED, false},
        {"MessageStatus=received", SK_ENOENT, 0, false},
        {"MessageStatus=brand-new-state", SK_ENOENT, 0, false},
        {"MessageStatus=", SK_EINVAL, 0, false},
        {"", SK_EINVAL, 0, false},
        {"MessageStatus=sent&MessageStatus=delivered", SK_EINVAL, 0, false},
    };
    char body[512], err[SK_ERR_LEN];
    struct channel_status st;
    size_t i;
    int rc;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct channel_request req = {.content_type = FORM};

        snprintf(body, sizeof(body),
                 "SmsSid=SM4&SmsStatus=x&MessageSid=SM4&AccountSid=" SID
                 "&From=%%2B15005550006&To=%%2B254700000001&ApiVersion="
                 "2010-04-01&%s",
                 cases[i].body);
        req.body = body;
        req.body_len = strlen(body);
        rc = channel_twilio.parse_status(&chan, &req, &st, err);
        if (rc != cases[i].rc)
            fail_msg("case %zu: rc %d, want %d", i, rc, cases[i].rc);
        if (rc != 0)
            continue;
        assert_string_equal(st.external_id, "SM4");
        assert_int_equal(st.row_id, 0);
        assert_int_equal(st.status, cases[i].status);
        assert_int_equal(st.final, cases[i].final);
    }
    {
        struct channel_request req = {.content_type = FORM,
                                      .body = "MessageStatus=delivered",
                                      .body_len = 23};

        assert_int_equal(channel_twilio.parse_status(&chan, &req, &st, err),
                         SK_EINVAL);
    }
}

static void
test_registry(void **state)
{
    (void)state;
    assert_ptr_equal(channel_find("twilio"), &channel_twilio);
    assert_true(channel_twilio.sync_reply);
    assert_false(channel_twilio.idempotent_send);
    assert_false(channel_twilio.allow_get);
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
