/*
 * test_africastalking.c - the Africa's Talking channel, table-driven from
 * the payloads its documentation shows: incoming SMS callbacks (and odd
 * ones: missing or repeated fields, empty text, emoji, Arabic, 1,600
 * characters), the messaging API request, the classification of its
 * answers, delivery reports, USSD steps and USSD screens. No network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "channel.h"

static const struct config_channel chan = {.name = "at",
                                           .type = "africastalking",
                                           .secret = "s3cret",
                                           .username = "sikiliza",
                                           .api_key = "KEY123",
                                           .number = "12345"};

static const char *form = "application/x-www-form-urlencoded";

static struct channel_request
request(const char *ctype, const char *body)
{
    struct channel_request req = {.query = "secret=s3cret",
                                  .content_type = ctype,
                                  .body = body,
                                  .body_len = strlen(body)};
    return req;
}

/* err contains want, or want is NULL. */
static void
assert_err(const char *err, const char *want)
{
    if (want != NULL && strstr(err, want) == NULL)
        fail_msg("error \"%s\" does not say \"%s\"", err, want);
}

/* --- secret ---------------------------------------------------------------
 */

static void
test_verify(void **state)
{
    static const struct {
        const char *query;
        int rc;
    } cases[] = {
        {"secret=s3cret", 0},
        {"a=1&secret=s3cret", 0},
        {"secret=wrong", SK_EDENIED},
        {"secret=", SK_EDENIED},
        {"other=s3cret", SK_EDENIED},
        {"secret=s3cret&secret=s3cret", SK_EDENIED}, /* ambiguous */
        {NULL, SK_EDENIED},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct channel_request req = {.query = cases[i].query, .body = ""};

        assert_int_equal(channel_africastalking.verify(&chan, &req),
                         cases[i].rc);
    }
}

/* --- incoming SMS ---------------------------------------------------------
 */

static void
test_parse_sms(void **state)
{
    static const struct {
        const char *what, *ctype, *body;
        int rc;
        const char *urn, *text, *id; /* or the error's words */
    } cases[] = {
        {"documented callback", "application/x-www-form-urlencoded",
         "date=2024-03-05T09%3A12%3A45Z&from=%2B254711000001"
         "&id=ATXid_6c3e1bf0a2&linkId=SampleLinkId123&text=Hello+there"
         "&to=12345&networkCode=63902",
         0, "tel:+254711000001", "Hello there", "ATXid_6c3e1bf0a2"},
        {"charset parameter",
         "application/x-www-form-urlencoded; "
         "charset=utf-8",
         "from=%2B254711000001&id=1&text=Ndiyo", 0, "tel:+254711000001",
         "Ndiyo", "1"},
        {"no content type", NULL, "from=%2B1&id=2&text=x", 0, "tel:+1", "x",
         "2"},
        {"unescaped plus", "application/x-www-form-urlencoded",
         "from=+254711000001&id=3&text=a", 0, "tel:+254711000001", "a", "3"},
        {"missing text", "application/x-www-form-urlencoded", "from=%2B1&id=4",
         0, "tel:+1", "", "4"},
        {"empty text", "application/x-www-form-urlencoded",
         "from=%2B1&id=5&text=", 0, "tel:+1", "", "5"},
        {"text without =", "application/x-www-form-urlencoded",
         "from=%2B1&id=6&text", 0, "tel:+1", "", "6"},
        {"emoji", "application/x-www-form-urlencoded",
         "from=%2B1&id=7&text=%F0%9F%98%80+ok", 0, "tel:+1",
         "\xf0\x9f\x98\x80 ok", "7"},
        {"Arabic", "application/x-www-form-urlencoded",
         "from=%2B1&id=8&text=%D9%86%D8%B9%D9%85", 0, "tel:+1",
         "\xd9\x86\xd8\xb9\xd9\x85", "8"},
        {"an unknown key twice is ignored", "application/x-www-form-urlencoded",
         "from=%2B1&id=9&x=1&x=2&text=y", 0, "tel:+1", "y", "9"},
        {"text twice", "application/x-www-form-urlencoded",
         "from=%2B1&id=10&text=a&text=b", SK_EINVAL, NULL, "more than once",
         NULL},
        {"from twice", "application/x-www-form-urlencoded",
         "from=%2B1&from=%2B2&id=11", SK_EINVAL, NULL, "more than once", NULL},
        {"linkId twice", "application/x-www-form-urlencoded",
         "from=%2B1&id=12&linkId=a&linkId=b", SK_EINVAL, NULL, "more than once",
         NULL},
        {"missing from", "application/x-www-form-urlencoded", "id=13&text=a",
         SK_EINVAL, NULL, "from", NULL},
        {"empty from", "application/x-www-form-urlencoded",
         "from=&id=14&text=a", SK_EINVAL, NULL, "from", NULL},
        {"missing id", "application/x-www-form-urlencoded", "from=%2B1&text=a",
         SK_EINVAL, NULL, "id", NULL},
        {"not UTF-8", "application/x-www-form-urlencoded",
         "from=%2B1&id=15&text=%FF%FE", SK_EINVAL, NULL, "UTF-8", NULL},
        {"bad escape", "application/x-www-form-urlencoded",
         "from=%2B1&id=16&text=%G1", SK_EINVAL, NULL, "escape", NULL},
        {"JSON", "application/json", "{\"from\":\"+1\",\"id\":\"17\"}",
         SK_EINVAL, NULL, "content type", NULL},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct channel_request req = request(cases[i].ctype, cases[i].body);
        struct sk_inbound in;
        char err[SK_ERR_LEN] = "";
        int rc = channel_africastalking.parse(&chan, &req, &in, err);

        if (rc != cases[i].rc)
            fail_msg("%s: rc %d, want %d (%s)", cases[i].what, rc, cases[i].rc,
                     err);
        if (rc != 0) {
            assert_null(in.urn);
            assert_err(err, cases[i].text);
            continue;
        }
        assert_string_equal(in.urn, cases[i].urn);
        assert_string_equal(in.text, cases[i].text);
        assert_string_equal(in.external_id, cases[i].id);
        channel_inbound_clear(&in);
    }
}

static void
test_parse_long(void **state)
{
    /* 1,600 characters: 800 "a" and 400 Arabic letters (2 bytes each) */
    size_t cap = 64 + 800 + 400 * 6;
    char *body = malloc(cap), *p;
    struct channel_request req;
    struct sk_inbound in;
    char err[SK_ERR_LEN] = "";
    size_t i;

    (void)state;
    assert_non_null(body);
    p = body + sprintf(body, "from=%%2B254711000001&id=long&text=");
    for (i = 0; i < 800; i++)
        *p++ = 'a';
    for (i = 0; i < 400; i++)
        p += sprintf(p, "%%D9%%86");
    *p = '\0';
    req = request(form, body);
    assert_int_equal(channel_africastalking.parse(&chan, &req, &in, err), 0);
    assert_int_equal(strlen(in.text), 800 + 800);
    assert_memory_equal(in.text + 800, "\xd9\x86", 2);
    channel_inbound_clear(&in);
    free(body);
}

static void
test_render(void **state)
{
    struct channel_reply r;
    const char *texts[] = {"hi"};

    (void)state;
    /* messages go through the outbox: the callback gets an empty 200 */
    assert_false(channel_africastalking.sync_reply);
    assert_int_equal(channel_africastalking.render(&chan, texts, 1, &r), 0);
    assert_int_equal(r.code, 200);
    assert_int_equal(r.body_len, 0);
    channel_reply_clear(&r);
    assert_int_equal(
        channel_africastalking.render_error(&chan, 403, "forbidden", &r), 0);
    assert_int_equal(r.code, 403);
    assert_string_equal(r.body, "forbidden");
    channel_reply_clear(&r);
    assert_ptr_equal(channel_find("africastalking"), &channel_africastalking);
}

/* --- the messaging API request --------------------------------------------
 */

static bool
has_header(const struct httpc_req *req, const char *line)
{
    size_t i;

    for (i = 0; i < req->n_headers; i++)
        if (strcmp(req->headers[i], line) == 0)
            return true;
    return false;
}

static void
test_build(void **state)
{
    static const struct {
        const char *what, *api_url, *number, *address, *text;
        const char *url, *body;
    } cases[] = {
        {"default API, short code", NULL, "12345", "tel:+254711000001",
         "Hello there!", "https://api.africastalking.com/version1/messaging",
         "username=sikiliza&to=%2B254711000001&message=Hello+there%21"
         "&from=12345&bulkSMSMode=1"},
        {"test API with a slash, no short code", "http://127.0.0.1:9/at/", NULL,
         "tel:+254711000001", "a&b=c",
         "http://127.0.0.1:9/at/version1/messaging",
         "username=sikiliza&to=%2B254711000001&message=a%26b%3Dc"
         "&bulkSMSMode=1"},
        {"UTF-8 and newlines", NULL, "", "+254711000001",
         "Merci\n\xd9\x86\xf0\x9f\x98\x80",
         "https://api.africastalking.com/version1/messaging",
         "username=sikiliza&to=%2B254711000001"
         "&message=Merci%0A%D9%86%F0%9F%98%80&bulkSMSMode=1"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct config_channel ch = chan;
        struct httpc_req req;

        ch.api_url = (char *)cases[i].api_url;
        ch.number = (char *)cases[i].number;
        assert_true(channel_africastalking.can_send(&ch));
        assert_int_equal(
            channel_africastalking.build_send(&ch, "at", cases[i].address,
                                              cases[i].text, 42, &req),
            0);
        assert_string_equal(req.method, "POST");
        assert_string_equal(req.url, cases[i].url);
        assert_int_equal(req.body_len, strlen(cases[i].body));
        if (strcmp(req.body, cases[i].body) != 0)
            fail_msg("%s: body %s", cases[i].what, req.body);
        assert_true(has_header(&req, "apiKey: KEY123"));
        assert_true(has_header(&req, "Accept: application/json"));
        assert_true(has_header(
            &req, "Content-Type: application/x-www-form-urlencoded"));
        assert_null(req.user);
        outbox_req_free(NULL, &req);
    }
}

static void
test_cannot_send(void **state)
{
    struct config_channel ch = chan;
    struct httpc_req req;

    (void)state;
    ch.api_key = NULL;
    assert_false(channel_africastalking.can_send(&ch));
    assert_int_equal(
        channel_africastalking.build_send(&ch, "at", "tel:+1", "x", 1, &req),
        SK_EINVAL);
    ch = chan;
    ch.username = "";
    assert_false(channel_africastalking.can_send(&ch));
}

/* --- classification of the API's answers ----------------------------------
 */

static void
test_result(void **state)
{
#define RCPT(code, status, id)                                                 \
    "{\"SMSMessageData\":{\"Message\":\"Sent to 1/1 Total Cost: KES 0.8000\"," \
    "\"Recipients\":[{\"statusCode\":" code ",\"number\":\"+254711000001\","   \
    "\"status\":\"" status "\",\"cost\":\"KES 0.8000\",\"messageId\":\"" id    \
    "\"}]}}"
    static const struct {
        const char *what;
        int status;
        const char *error, *body;
        enum outbox_verdict verdict;
        const char *external_id;
    } cases[] = {
        {"sent", 201, NULL, RCPT("101", "Success", "ATXid_abc"), OUTBOX_SENT,
         "ATXid_abc"},
        {"processed", 201, NULL, RCPT("100", "Success", "ATXid_p"), OUTBOX_SENT,
         "ATXid_p"},
        {"queued", 201, NULL, RCPT("102", "Success", "ATXid_q"), OUTBOX_SENT,
         "ATXid_q"},
        {"status only, as RapidPro's tests", 200, NULL,
         "{\"SMSMessageData\":{\"Recipients\":[{\"status\":\"Success\","
         "\"messageId\":\"1002\"}]}}",
         OUTBOX_SENT, "1002"},
        {"explicit failure", 200, NULL,
         "{\"SMSMessageData\":{\"Recipients\":[{\"status\":\"Failed\"}]}}",
         OUTBOX_FAILED, ""},
        {"risk hold", 201, NULL, RCPT("401", "RiskHold", "None"), OUTBOX_RETRY,
         ""},
        {"invalid sender id", 201, NULL, RCPT("402", "InvalidSenderId", "None"),
         OUTBOX_FAILED, ""},
        {"invalid number", 201, NULL, RCPT("403", "InvalidPhoneNumber", "None"),
         OUTBOX_FAILED, ""},
        {"unsupported number", 201, NULL,
         RCPT("404", "UnsupportedNumberType", "None"), OUTBOX_FAILED, ""},
        {"insufficient balance", 201, NULL,
         RCPT("405", "InsufficientBalance", "None"), OUTBOX_RETRY, ""},
        {"blacklist", 201, NULL, RCPT("406", "UserInBlacklist", "None"),
         OUTBOX_FAILED, ""},
        {"could not route", 201, NULL, RCPT("407", "CouldNotRoute", "None"),
         OUTBOX_RETRY, ""},
        {"do not disturb", 201, NULL,
         RCPT("409", "DoNotDisturbRejection", "None"), OUTBOX_FAILED, ""},
        {"provider error", 201, NULL,
         RCPT("500", "InternalServerError", "None"), OUTBOX_RETRY, ""},
        {"gateway error", 201, NULL, RCPT("501", "GatewayError", "None"),
         OUTBOX_RETRY, ""},
        {"rejected by gateway", 201, NULL,
         RCPT("502", "RejectedByGateway", "None"), OUTBOX_FAILED, ""},
        {"unknown code", 201, NULL, RCPT("999", "Whatever", "x"), OUTBOX_FAILED,
         ""},
        {"no recipients", 201, NULL,
         "{\"SMSMessageData\":{\"Message\":\"InvalidSenderId\","
         "\"Recipients\":[]}}",
         OUTBOX_FAILED, ""},
        {"not JSON", 200, NULL, "OK", OUTBOX_FAILED, ""},
        {"bad API key", 401, NULL, "The supplied authentication is invalid",
         OUTBOX_FAILED, ""},
        {"bad request", 400, NULL, "Request is missing required form field",
         OUTBOX_FAILED, ""},
        {"rate limited", 429, NULL, "", OUTBOX_RETRY, ""},
        {"server error", 500, NULL, "", OUTBOX_RETRY, ""},
        {"bad gateway", 502, NULL, "", OUTBOX_RETRY, ""},
        {"timeout", 0, "timeout", "", OUTBOX_RETRY, ""},
        {"connect", 0, "connect", "", OUTBOX_RETRY, ""},
    };
#undef RCPT
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct httpc_resp resp = {.status = cases[i].status,
                                  .error = cases[i].error,
                                  .body = cases[i].body,
                                  .body_len = strlen(cases[i].body),
                                  .retry_after_ms = -1};
        struct outbox_result res;

        memset(&res, 0, sizeof(res));
        res.retry_after_ms = -1;
        channel_africastalking.send_result((void *)&chan, "at", &resp, &res);
        if (res.verdict != cases[i].verdict)
            fail_msg("%s: verdict %d, want %d", cases[i].what, res.verdict,
                     cases[i].verdict);
        assert_string_equal(res.external_id, cases[i].external_id);
        assert_non_null(res.reason);
    }
}

static void
test_result_balance_waits(void **state)
{
    const char *body = "{\"SMSMessageData\":{\"Recipients\":[{\"statusCode\":"
                       "405,\"status\":\"InsufficientBalance\"}]}}";
    struct httpc_resp resp = {.status = 201,
                              .body = body,
                              .body_len = strlen(body),
                              .retry_after_ms = -1};
    struct outbox_result res;

    (void)state;
    memset(&res, 0, sizeof(res));
    res.retry_after_ms = -1;
    channel_africastalking.send_result((void *)&chan, "at", &resp, &res);
    assert_int_equal(res.verdict, OUTBOX_RETRY);
    assert_true(res.retry_after_ms >= 60000);
}

/* --- delivery reports -----------------------------------------------------
 */

static void
test_status(void **state)
{
    static const struct {
        const char *what, *body;
        int rc;
        const char *id; /* or the error's words */
        enum outbox_dlr status;
        bool final;
    } cases[] = {
        {"delivered",
         "id=ATXid_abc&status=Success&phoneNumber=%2B254711000001"
         "&networkCode=63902&retryCount=0",
         0, "ATXid_abc", OUTBOX_DLR_DELIVERED, true},
        {"failed with a reason",
         "id=ATXid_f&status=Failed&phoneNumber=%2B254711000001"
         "&networkCode=63902&failureReason=UserInBlackList&retryCount=0",
         0, "ATXid_f", OUTBOX_DLR_FAILED, true},
        {"rejected",
         "id=ATXid_r&status=Rejected&failureReason=InsufficientCredit", 0,
         "ATXid_r", OUTBOX_DLR_FAILED, true},
        {"expired", "id=e&status=Expired", 0, "e", OUTBOX_DLR_FAILED, true},
        {"absent", "id=a&status=AbsentSubscriber", 0, "a", OUTBOX_DLR_FAILED,
         true},
        {"buffered", "id=b&status=Buffered", 0, "b", OUTBOX_DLR_DELIVERED,
         false},
        {"sent", "id=s&status=Sent", 0, "s", OUTBOX_DLR_DELIVERED, false},
        {"submitted", "id=u&status=Submitted", 0, "u", OUTBOX_DLR_DELIVERED,
         false},
        {"unknown status", "id=x&status=Lost", SK_EINVAL, "status", 0, false},
        {"no status", "id=x", SK_EINVAL, "status", 0, false},
        {"no id", "status=Success", SK_EINVAL, "id", 0, false},
        {"id twice", "id=x&id=y&status=Success", SK_EINVAL, "more than once", 0,
         false},
        {"status twice", "id=x&status=Failed&status=Success", SK_EINVAL,
         "more than once", 0, false},
        {"a NUL in the id", "id=x%00y&status=Success", SK_EINVAL, "id", 0,
         false},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct channel_request req = request(form, cases[i].body);
        struct channel_status st;
        char err[SK_ERR_LEN] = "";
        int rc = channel_africastalking.parse_status(&chan, &req, &st, err);

        if (rc != cases[i].rc)
            fail_msg("%s: rc %d, want %d (%s)", cases[i].what, rc, cases[i].rc,
                     err);
        if (rc != 0) {
            assert_err(err, cases[i].id);
            continue;
        }
        assert_string_equal(st.external_id, cases[i].id);
        assert_int_equal(st.row_id, 0);
        assert_int_equal(st.status, cases[i].status);
        assert_int_equal(st.final, cases[i].final);
    }
}

static void
test_status_long_id(void **state)
{
    char body[OUTBOX_EXTID_MAX + 64];
    struct channel_request req;
    struct channel_status st;
    char err[SK_ERR_LEN] = "";

    (void)state;
    strcpy(body, "status=Success&id=");
    memset(body + strlen(body), 'x', OUTBOX_EXTID_MAX);
    body[18 + OUTBOX_EXTID_MAX] = '\0';
    req = request(form, body);
    assert_int_equal(channel_africastalking.parse_status(&chan, &req, &st, err),
                     SK_EINVAL);
}

/* --- USSD -----------------------------------------------------------------
 */

static void
test_ussd_split(void **state)
{
    static const struct {
        const char *text, *answer;
        size_t parts;
    } cases[] = {
        {"", "", 0},
        {NULL, "", 0},
        {"1", "1", 1},
        {"1*2", "2", 2},
        {"1*2*3", "3", 3},
        {"1*", "", 2},   /* the child sent an empty answer */
        {"1**", "", 3},  /* twice */
        {"*", "", 2},    /* an empty answer first */
        {"2*5", "5", 2}, /* a typed "*" reads as a separator */
        {"12*abc def", "abc def", 2},
        {"1*\xd9\xa3", "\xd9\xa3", 2}, /* Arabic-Indic digit */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *answer = NULL;
        size_t parts = 99;

        channel_ussd_split(cases[i].text, &answer, &parts);
        assert_string_equal(answer, cases[i].answer);
        assert_int_equal(parts, cases[i].parts);
    }
}

static void
test_parse_ussd(void **state)
{
    static const struct {
        const char *what, *body;
        int rc;
        const char *urn, *text, *id; /* text: or the error's words */
        bool start;
    } cases[] = {
        {"first request",
         "sessionId=ATUid_1&serviceCode=%2A384%2A123%23"
         "&phoneNumber=%2B254711000001&networkCode=63902&text=",
         0, "tel:+254711000001", "", "ATUid_1#0", true},
        {"first request, no text", "sessionId=ATUid_1&phoneNumber=%2B1", 0,
         "tel:+1", "", "ATUid_1#0", true},
        {"first answer", "sessionId=ATUid_1&phoneNumber=%2B1&text=1", 0,
         "tel:+1", "1", "ATUid_1#1", false},
        {"third answer", "sessionId=ATUid_1&phoneNumber=%2B1&text=1%2A2%2A3", 0,
         "tel:+1", "3", "ATUid_1#3", false},
        {"unescaped stars and plus",
         "sessionId=ATUid_1&phoneNumber=+254711000001&text=1*2", 0,
         "tel:+254711000001", "2", "ATUid_1#2", false},
        {"trailing star", "sessionId=S&phoneNumber=%2B1&text=1%2A", 0, "tel:+1",
         "", "S#2", false},
        {"typed words", "sessionId=S&phoneNumber=%2B1&text=1%2Amy+words", 0,
         "tel:+1", "my words", "S#2", false},
        {"no session", "phoneNumber=%2B1&text=", SK_EINVAL, NULL, "sessionId",
         NULL, false},
        {"no phone", "sessionId=S&text=", SK_EINVAL, NULL, "phoneNumber", NULL,
         false},
        {"text twice", "sessionId=S&phoneNumber=%2B1&text=1&text=2", SK_EINVAL,
         NULL, "more than once", NULL, false},
        {"not UTF-8", "sessionId=S&phoneNumber=%2B1&text=%C3", SK_EINVAL, NULL,
         "UTF-8", NULL, false},
    };
    size_t i;

    (void)state;
    assert_non_null(channel_africastalking.parse_ussd);
    assert_null(channel_generic.parse_ussd);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct channel_request req = request(form, cases[i].body);
        struct sk_inbound in;
        char err[SK_ERR_LEN] = "";
        bool start = !cases[i].start;
        int rc =
            channel_africastalking.parse_ussd(&chan, &req, &in, &start, err);

        if (rc != cases[i].rc)
            fail_msg("%s: rc %d, want %d (%s)", cases[i].what, rc, cases[i].rc,
                     err);
        if (rc != 0) {
            assert_null(in.urn);
            assert_err(err, cases[i].text);
            continue;
        }
        assert_string_equal(in.urn, cases[i].urn);
        assert_string_equal(in.text, cases[i].text);
        assert_string_equal(in.external_id, cases[i].id);
        assert_int_equal(start, cases[i].start);
        channel_inbound_clear(&in);
    }
}

/* Characters (code points) of a UTF-8 string. */
static size_t
chars(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

static const char *notice =
    "Thank you. We never ask your name. Your answers are anonymous and your "
    "number is kept hidden. Send SKIP to skip a question, STOP to stop at any "
    "time.";
static const char *question =
    "How safe do you feel where you are now? 1 Very safe 2 A bit safe 3 Not "
    "very safe 4 Not safe at all";

static void
test_ussd_answer(void **state)
{
    static const char *one[] = {"How old are you?"};
    static const char *two[] = {"Thanks.", "Next?"};
    const char *long_pair[2] = {notice, question};
    static const char *three[] = {"A first text that will be dropped whole.",
                                  "x", "y"};
    char *a;
    bool cut;

    (void)state;
    a = channel_ussd_answer(one, 1, true, "Bye.", &cut);
    assert_string_equal(a, "CON How old are you?");
    assert_false(cut);
    free(a);
    a = channel_ussd_answer(two, 2, false, "Bye.", &cut);
    assert_string_equal(a, "END Thanks.\nNext?");
    assert_false(cut);
    free(a);
    /* no texts: END says goodbye, CON shows nothing */
    a = channel_ussd_answer(NULL, 0, false, "Bye.", &cut);
    assert_string_equal(a, "END Bye.");
    free(a);
    a = channel_ussd_answer(NULL, 0, true, "Bye.", &cut);
    assert_string_equal(a, "CON ");
    free(a);

    /* too long together: the question whole, the notice cut at a word */
    a = channel_ussd_answer(long_pair, 2, true, "Bye.", &cut);
    assert_true(cut);
    assert_true(chars(a) <= CHANNEL_USSD_MAX);
    assert_true(strncmp(a, "CON Thank you. We never ask your name.", 38) == 0);
    assert_non_null(strstr(a, "...\n"));
    assert_string_equal(strstr(a, "\n") + 1, question);
    /* the cut falls at a word boundary: "your..." */
    assert_non_null(strstr(a, " your...\n"));
    free(a);

    /* a text cut to almost nothing is dropped instead */
    {
        char big[200];
        const char *v[2] = {three[0], big};

        memset(big, 'q', 170);
        big[170] = '\0';
        a = channel_ussd_answer(v, 2, true, NULL, &cut);
        assert_true(cut);
        assert_string_equal(a + 4, big);
        free(a);
    }
    a = channel_ussd_answer(three, 3, true, NULL, &cut);
    assert_false(cut);
    free(a);
}

static void
test_ussd_answer_long(void **state)
{
    char words[2000], arabic[2000], *p;
    const char *v[1];
    char *a;
    bool cut;
    size_t i;

    (void)state;
    /* one text over a screen: cut at a word, "..." */
    for (p = words, i = 0; i < 100; i++)
        p += sprintf(p, "%sword%zu", i > 0 ? " " : "", i);
    v[0] = words;
    a = channel_ussd_answer(v, 1, false, NULL, &cut);
    assert_true(cut);
    assert_true(chars(a) <= CHANNEL_USSD_MAX);
    assert_true(chars(a) > CHANNEL_USSD_MAX - 12);
    assert_true(strncmp(a, "END word0 word1 ", 16) == 0);
    assert_string_equal(a + strlen(a) - 3, "...");
    assert_true(a[strlen(a) - 4] >= '0' && a[strlen(a) - 4] <= '9');
    free(a);

    /* one long word: cut hard, on a character boundary */
    for (p = arabic, i = 0; i < 400; i++) {
        memcpy(p, "\xd9\x86", 2);
        p += 2;
    }
    *p = '\0';
    v[0] = arabic;
    a = channel_ussd_answer(v, 1, true, NULL, &cut);
    assert_true(cut);
    assert_int_equal(chars(a), CHANNEL_USSD_MAX);
    assert_int_equal(strlen(a), 4 + 2 * (CHANNEL_USSD_MAX - 7) + 3);
    free(a);

    /* exactly a screen is not cut */
    memset(words, 'z', CHANNEL_USSD_MAX - 4);
    words[CHANNEL_USSD_MAX - 4] = '\0';
    v[0] = words;
    a = channel_ussd_answer(v, 1, true, NULL, &cut);
    assert_false(cut);
    assert_int_equal(strlen(a), CHANNEL_USSD_MAX);
    free(a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_parse_sms),
        cmocka_unit_test(test_parse_long),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_cannot_send),
        cmocka_unit_test(test_result),
        cmocka_unit_test(test_result_balance_waits),
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_status_long_id),
        cmocka_unit_test(test_ussd_split),
        cmocka_unit_test(test_parse_ussd),
        cmocka_unit_test(test_ussd_answer),
        cmocka_unit_test(test_ussd_answer_long),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
