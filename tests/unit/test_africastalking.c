/*
 * test_africastalking.c - the Africa's Talking channel, table-driven from
 * the payloads its documentation shows: incoming SMS callbacks (and odd
 * ones: missing or repeated fields, empty text, emoji, Arabic, 1,600
 * characters), the messaging API request, the classification of its
 * answers, delivery reports, USSD steps and USSD pages. No network.
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

/* s without its white space (a page break may fall inside a word, or
 * take the place of a space or newline). malloc'd. */
static char *
squash(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;

    assert_non_null(out);
    for (; *s != '\0'; s++)
        if (*s != ' ' && *s != '\n')
            *o++ = *s;
    *o = '\0';
    return out;
}

/*
 * Checks the pages of texts[0..n): each fits a screen; every one but the
 * last is "CON ...\n" + more_line; the last starts last_kind; and read one
 * after the other they hold all of the texts, in order. Returns the
 * number of pages; they are left in *p.
 */
static size_t
check_pages(const char *const *texts, size_t n, bool more,
            const char *more_line, const char *last_kind,
            struct channel_ussd_pages *p)
{
    char all[8192] = "", got[8192] = "", *want, *have;
    size_t i, k, ml = strlen(more_line);

    assert_int_equal(
        channel_ussd_paginate(texts, n, more, "Bye.", more_line, p), 0);
    assert_true(p->n >= 1);
    for (i = 0; i < n; i++) {
        strcat(all, texts[i]);
        strcat(all, "\n");
    }
    for (i = 0; i < p->n; i++) {
        const char *pg = p->v[i];

        if (!channel_ussd_fits(pg))
            fail_msg("page %zu of %zu does not fit: %s", i + 1, p->n, pg);
        k = strlen(pg);
        if (i + 1 < p->n) {
            assert_true(strncmp(pg, "CON ", 4) == 0);
            assert_true(k > ml + 5 && pg[k - ml - 1] == '\n');
            assert_string_equal(pg + k - ml, more_line);
            k -= ml + 1;
        } else {
            assert_true(strncmp(pg, last_kind, 4) == 0);
        }
        strncat(got, pg + 4, k - 4);
        strcat(got, "\n");
    }
    want = squash(all);
    have = squash(got);
    assert_string_equal(have, want);
    free(want);
    free(have);
    return p->n;
}

static const char *notice =
    "Thank you. We never ask your name. Your answers are anonymous and your "
    "number is kept hidden. Send SKIP to skip a question, STOP to stop at any "
    "time.";
static const char *question =
    "How safe do you feel where you are now? 1 Very safe 2 A bit safe 3 Not "
    "very safe 4 Not safe at all";
static const char *helpline =
    "Thank you for telling us. This is not your fault. You can talk to "
    "someone safe for free at 116 111, any time.";
static const char *trusted =
    "If something was wrong, who would you talk to? 1 Family 2 A friend 3 "
    "Teacher or aid worker 4 No one 5 Someone else";

static void
test_ussd_pages_short(void **state)
{
    static const char *one[] = {"How old are you?"};
    static const char *two[] = {"Thanks.", "Next?"};
    static const char *blank[] = {""};
    struct channel_ussd_pages p;

    (void)state;
    assert_int_equal(channel_ussd_paginate(one, 1, true, "Bye.", "00 More", &p),
                     0);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.v[0], "CON How old are you?");
    channel_ussd_pages_clear(&p);
    assert_int_equal(p.n, 0);
    assert_null(p.v);
    assert_int_equal(
        channel_ussd_paginate(two, 2, false, "Bye.", "00 More", &p), 0);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.v[0], "END Thanks.\nNext?");
    channel_ussd_pages_clear(&p);
    /* no texts: END says goodbye, CON shows nothing */
    assert_int_equal(
        channel_ussd_paginate(NULL, 0, false, "Bye.", "00 More", &p), 0);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.v[0], "END Bye.");
    channel_ussd_pages_clear(&p);
    assert_int_equal(
        channel_ussd_paginate(blank, 1, false, "Bye.", "00 More", &p), 0);
    assert_string_equal(p.v[0], "END Bye.");
    channel_ussd_pages_clear(&p);
    assert_int_equal(
        channel_ussd_paginate(NULL, 0, true, "Bye.", "00 More", &p), 0);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.v[0], "CON ");
    channel_ussd_pages_clear(&p);
    channel_ussd_pages_clear(&p); /* twice is harmless */
}

/* Too long together: a page per message, none cut. */
static void
test_ussd_pages_messages(void **state)
{
    const char *intro[2] = {notice, question};
    const char *debt[2] = {helpline, trusted};
    const char *three[3] = {"A first message, kept whole on a page of its own.",
                            notice, "Last?"};
    struct channel_ussd_pages p;
    char want[400];

    (void)state;
    assert_int_equal(check_pages(intro, 2, true, "00 More", "CON ", &p), 2);
    snprintf(want, sizeof(want), "CON %s\n00 More", notice);
    assert_string_equal(p.v[0], want);
    snprintf(want, sizeof(want), "CON %s", question);
    assert_string_equal(p.v[1], want);
    channel_ussd_pages_clear(&p);

    /* the helpline number reaches the child, whole */
    assert_int_equal(check_pages(debt, 2, true, "00 More", "CON ", &p), 2);
    snprintf(want, sizeof(want), "CON %s\n00 More", helpline);
    assert_string_equal(p.v[0], want);
    assert_non_null(strstr(p.v[0], "116 111, any time."));
    channel_ussd_pages_clear(&p);

    /* messages share a page while they fit; the run has ended: END */
    assert_int_equal(check_pages(three, 3, false, "00 More", "END ", &p), 2);
    assert_string_equal(p.v[0], "CON A first message, kept whole on a page "
                                "of its own.\n00 More");
    snprintf(want, sizeof(want), "END %s\nLast?", notice);
    assert_string_equal(p.v[1], want);
    channel_ussd_pages_clear(&p);
}

/* A single message longer than a screen breaks between words. */
static void
test_ussd_pages_long_message(void **state)
{
    char words[2000], *p0;
    const char *v[1] = {words};
    struct channel_ussd_pages p;
    size_t i, n;

    (void)state;
    for (p0 = words, i = 0; i < 100; i++)
        p0 += sprintf(p0, "%sword%zu", i > 0 ? " " : "", i);
    n = check_pages(v, 1, false, "00 More", "END ", &p);
    assert_true(n >= 4);
    for (i = 0; i + 1 < n; i++) {
        /* full pages, each ending with a whole word */
        const char *end = strstr(p.v[i], "\n00 More");

        assert_true(chars(p.v[i]) > CHANNEL_USSD_MAX - 8);
        assert_true(end[-1] >= '0' && end[-1] <= '9');
        assert_true(strncmp(p.v[i + 1] + 4, "word", 4) == 0);
    }
    channel_ussd_pages_clear(&p);
}

/* Arabic is not GSM-7: the smaller screen, and the Arabic more line. */
static void
test_ussd_pages_arabic(void **state)
{
    /* the Arabic intro and first question of the Wellbeing Check */
    static const char *intro[] = {
        "\xd8\xb4\xd9\x83\xd8\xb1\xd9\x8b\xd8\xa7. \xd9\x84\xd9\x86 "
        "\xd9\x86\xd8\xb3\xd8\xa3\xd9\x84\xd9\x83 \xd8\xb9\xd9\x86 "
        "\xd8\xa7\xd8\xb3\xd9\x85\xd9\x83 \xd8\xa3\xd8\xa8\xd8\xaf\xd9\x8b"
        "\xd8\xa7. \xd8\xa5\xd8\xac\xd8\xa7\xd8\xa8\xd8\xa7\xd8\xaa\xd9\x83 "
        "\xd9\x85\xd8\xac\xd9\x87\xd9\x88\xd9\x84\xd8\xa9 "
        "\xd8\xa7\xd9\x84\xd9\x87\xd9\x88\xd9\x8a\xd8\xa9 "
        "\xd9\x88\xd8\xb1\xd9\x82\xd9\x85\xd9\x83 "
        "\xd9\x85\xd8\xae\xd9\x81\xd9\x8a. \xd8\xa3\xd8\xb1\xd8\xb3\xd9\x84 "
        "\xd8\xaa\xd8\xae\xd8\xb7\xd9\x8a \xd9\x84\xd8\xaa\xd8\xac\xd8\xa7"
        "\xd9\x88\xd8\xb2 \xd8\xa3\xd9\x8a \xd8\xb3\xd8\xa4\xd8\xa7\xd9\x84"
        "\xd8\x8c \xd8\xa3\xd9\x88 STOP \xd9\x84\xd9\x84\xd8\xaa\xd9\x88"
        "\xd9\x82\xd9\x81 \xd9\x81\xd9\x8a \xd8\xa3\xd9\x8a "
        "\xd9\x88\xd9\x82\xd8\xaa.",
        "\xd9\x83\xd9\x85 \xd8\xaa\xd8\xb4\xd8\xb9\xd8\xb1 "
        "\xd8\xa8\xd8\xa7\xd9\x84\xd8\xa3\xd9\x85\xd8\xa7\xd9\x86? 1 "
        "\xd8\xa2\xd9\x85\xd9\x86 2 \xd9\x82\xd9\x84\xd9\x8a\xd9\x84\xd8\xa7"
        " 3 \xd9\x84\xd8\xa7"};
    const char *more = channel_ussd_more_line("ara");
    char word[1200], *o;
    const char *v[1] = {word};
    struct channel_ussd_pages p;
    size_t i, n;

    (void)state;
    assert_true(chars(intro[0]) > CHANNEL_USSD_MAX_UCS2);
    assert_true(chars(intro[0]) < CHANNEL_USSD_MAX - 4);
    n = check_pages(intro, 2, true, more, "CON ", &p);
    assert_true(n >= 3);
    for (i = 0; i < n; i++)
        assert_true(chars(p.v[i]) <= CHANNEL_USSD_MAX_UCS2);
    /* the question ends the last page */
    assert_non_null(strstr(p.v[n - 1], intro[1]));
    channel_ussd_pages_clear(&p);

    /* one word longer than a screen: broken between characters, never
     * inside one */
    for (o = word, i = 0; i < 500; i++, o += 2)
        memcpy(o, "\xd9\x86", 2);
    *o = '\0';
    n = check_pages(v, 1, true, more, "CON ", &p);
    assert_int_equal(n, 8); /* 500 letters, 66 on a full page */
    for (i = 0; i + 1 < n; i++)
        assert_int_equal(chars(p.v[i]), CHANNEL_USSD_MAX_UCS2);
    channel_ussd_pages_clear(&p);
}

static void
fill(char *buf, const char *unit, size_t n)
{
    size_t k = strlen(unit);

    for (buf[0] = '\0'; n > 0; n--, buf += k)
        memcpy(buf, unit, k + 1);
}

/* Pages exactly a screen long, and one character more. */
static void
test_ussd_pages_boundaries(void **state)
{
    char a[800], b[800];
    const char *v[2] = {a, b};
    struct channel_ussd_pages p;

    (void)state;
    /* GSM-7: "CON " + 178 = 182 fits; 179 goes on two pages */
    fill(a, "z", CHANNEL_USSD_MAX - 4);
    assert_int_equal(check_pages(v, 1, true, "00 More", "CON ", &p), 1);
    assert_int_equal(strlen(p.v[0]), CHANNEL_USSD_MAX);
    channel_ussd_pages_clear(&p);
    fill(a, "z", CHANNEL_USSD_MAX - 3);
    assert_int_equal(check_pages(v, 1, true, "00 More", "CON ", &p), 2);
    assert_int_equal(strlen(p.v[0]), CHANNEL_USSD_MAX);
    channel_ussd_pages_clear(&p);
    /* two texts and their newline exactly a screen */
    fill(a, "y", 100);
    fill(b, "x", CHANNEL_USSD_MAX - 4 - 100 - 1);
    assert_int_equal(check_pages(v, 2, false, "00 More", "END ", &p), 1);
    channel_ussd_pages_clear(&p);
    fill(b, "x", CHANNEL_USSD_MAX - 4 - 100);
    assert_int_equal(check_pages(v, 2, false, "00 More", "END ", &p), 2);
    channel_ussd_pages_clear(&p);
    /* a first page with its more line exactly a screen */
    fill(a, "w", CHANNEL_USSD_MAX - 4 - 8);
    fill(b, "v", 150);
    assert_int_equal(check_pages(v, 2, true, "00 More", "CON ", &p), 2);
    assert_int_equal(strlen(p.v[0]), CHANNEL_USSD_MAX);
    channel_ussd_pages_clear(&p);
    /* GSM-7 extension characters take two septets */
    fill(a, "{", (CHANNEL_USSD_MAX - 4) / 2);
    assert_true(channel_ussd_fits("CON {"));
    assert_int_equal(check_pages(v, 1, true, "00 More", "CON ", &p), 1);
    channel_ussd_pages_clear(&p);
    fill(a, "{", (CHANNEL_USSD_MAX - 4) / 2 + 1);
    assert_int_equal(check_pages(v, 1, true, "00 More", "CON ", &p), 2);
    channel_ussd_pages_clear(&p);
    /* UCS-2: "CON " + 76 = 80 fits; 77 does not */
    fill(a, "\xd9\x86", CHANNEL_USSD_MAX_UCS2 - 4);
    assert_int_equal(check_pages(v, 1, true, "00 More", "CON ", &p), 1);
    channel_ussd_pages_clear(&p);
    fill(a, "\xd9\x86", CHANNEL_USSD_MAX_UCS2 - 3);
    assert_int_equal(check_pages(v, 1, true, "00 More", "CON ", &p), 2);
    channel_ussd_pages_clear(&p);
    /* an emoji takes two UTF-16 units */
    fill(a, "\xf0\x9f\x98\x80", (CHANNEL_USSD_MAX_UCS2 - 4) / 2);
    assert_int_equal(check_pages(v, 1, true, "00 More", "CON ", &p), 1);
    channel_ussd_pages_clear(&p);
    fill(a, "\xf0\x9f\x98\x80", (CHANNEL_USSD_MAX_UCS2 - 4) / 2 + 1);
    assert_int_equal(check_pages(v, 1, true, "00 More", "CON ", &p), 2);
    channel_ussd_pages_clear(&p);
    assert_false(channel_ussd_fits("CON \xc3"));
}

/* Each page takes the limit of its own text: GSM-7 pages stay long when
 * another page of the step is Arabic. */
static void
test_ussd_pages_mixed(void **state)
{
    char ar[400];
    const char *v[2] = {notice, ar};
    struct channel_ussd_pages p;

    (void)state;
    fill(ar, "\xd9\x86 ", 30);
    assert_int_equal(check_pages(v, 2, true, "00 More", "CON ", &p), 2);
    assert_true(chars(p.v[0]) > CHANNEL_USSD_MAX_UCS2);
    assert_true(chars(p.v[1]) <= CHANNEL_USSD_MAX_UCS2);
    channel_ussd_pages_clear(&p);
}

/* The bytes of the digit s starts with (0-9 or Arabic-Indic), else 0. */
static size_t
digit_at(const char *s)
{
    if (*s >= '0' && *s <= '9')
        return 1;
    if ((unsigned char)s[0] == 0xd9 && (unsigned char)s[1] >= 0xa0 &&
        (unsigned char)s[1] <= 0xa9)
        return 2;
    return 0;
}

/* Whether s[0..len) is a number of one or two digits. */
static bool
short_number(const char *s, size_t len)
{
    size_t i = 0, k, digits = 0;

    for (; i < len && (k = digit_at(s + i)) > 0; digits++)
        i += k;
    return i == len && digits >= 1 && digits <= 2;
}

/*
 * Checks the pages of one menu question that does not fit a screen (see
 * check_pages()): there are several, no page ends with an option's number
 * and every page after the first starts with one, so no option is split
 * from its words.
 */
static void
check_menu(const char *menu, const char *more_line)
{
    const char *v[1] = {menu};
    struct channel_ussd_pages p;
    size_t i, n, len, ml = strlen(more_line);
    const char *body, *w;

    n = check_pages(v, 1, true, more_line, "CON ", &p);
    assert_true(n >= 2);
    for (i = 0; i < n; i++) {
        body = p.v[i] + 4;
        len = strlen(body) - (i + 1 < n ? ml + 1 : 0);
        for (w = body + len; w > body && w[-1] != ' ' && w[-1] != '\n'; w--)
            ;
        if (short_number(w, (size_t)(body + len - w)))
            fail_msg("page %zu ends with an option's number: %s", i + 1,
                     p.v[i]);
        if (i > 0 && digit_at(body) == 0)
            fail_msg("page %zu starts inside an option: %s", i + 1, p.v[i]);
    }
    channel_ussd_pages_clear(&p);
}

/* A menu breaks before an option's number, never between the number and
 * its words. */
static void
test_ussd_pages_menu(void **state)
{
    /* the Arabic first question of the Wellbeing Check, on the narrow
     * screen; the same with Arabic-Indic digits */
    static const char *ar =
        "كم تشعر بالأمان حيث أنت الآن؟ 1 آمن جدًا 2 آمن قليلًا 3 لست آمنًا "
        "كثيرًا 4 لست آمنًا أبدًا";
    static const char *ar_indic =
        "كم تشعر بالأمان حيث أنت الآن؟ ١ آمن جدًا ٢ آمن قليلًا ٣ لست آمنًا "
        "كثيرًا ٤ لست آمنًا أبدًا";
    /* long menus, two-digit options among them */
    static const char *en =
        "What would help you most right now? 1 Food and clean water 2 A safe "
        "place to sleep 3 Someone to talk to 4 Going back to school 5 Finding "
        "my family 6 Seeing a doctor or nurse 7 Papers and documents 8 Work "
        "that is safe 9 Money for the journey 10 Learning a trade 11 Something "
        "else 12 Nothing right now";
    static const char *fr =
        "Qu'est-ce qui t'aiderait le plus maintenant? 1 De la nourriture et de "
        "l'eau 2 Un endroit sûr pour dormir 3 Quelqu'un à qui parler 4 "
        "Retourner à l'école 5 Retrouver ma famille 6 Voir un médecin 7 Des "
        "papiers 8 Un travail sans danger 9 De l'argent pour le voyage 10 "
        "Apprendre un métier 11 Autre chose 12 Rien pour l'instant";

    (void)state;
    assert_true(chars(ar) > CHANNEL_USSD_MAX_UCS2 - 4);
    check_menu(ar, channel_ussd_more_line("ara"));
    check_menu(ar_indic, channel_ussd_more_line("ara"));
    check_menu(en, channel_ussd_more_line("eng"));
    check_menu(fr, channel_ussd_more_line("fra"));
}

/* Numbers that are not menu options do not move a break: a long
 * message with none breaks after its last word that fits. */
static void
test_ussd_pages_not_options(void **state)
{
    char text[2000], *o;
    const char *v[1] = {text};
    struct channel_ussd_pages p;
    size_t i, n;

    (void)state;
    /* "116 111," and "2024," are not options; neither is a number
     * followed by another number, nor "2." */
    for (o = text, i = 0; i < 30; i++)
        o +=
            sprintf(o, "%scall 116 111, since 2024, or 1 2.", i > 0 ? " " : "");
    n = check_pages(v, 1, false, "00 More", "END ", &p);
    assert_true(n >= 2);
    for (i = 0; i + 1 < n; i++)
        assert_true(chars(p.v[i]) > CHANNEL_USSD_MAX - 8);
    channel_ussd_pages_clear(&p);
}

static void
test_ussd_more_line(void **state)
{
    static const struct {
        const char *lang, *line;
        bool gsm7;
    } cases[] = {
        {"eng", "00 More", true},
        {"fra", "00 Plus", true},
        {"ara", "00 \xd8\xa7\xd9\x84\xd9\x85\xd8\xb2\xd9\x8a\xd8\xaf", false},
        {"swa", "00 Zaidi", true},
        {"spa", "00 Siguiente", true},
        {NULL, "00 More", true},
        {"xyz", "00 More", true},
    };
    char page[400];
    size_t i;

    (void)state;
    assert_string_equal(CHANNEL_USSD_MORE_KEY, "00");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *line = channel_ussd_more_line(cases[i].lang);

        assert_string_equal(line, cases[i].line);
        assert_true(strncmp(line, CHANNEL_USSD_MORE_KEY " ", 3) == 0);
        /* a GSM-7 more line keeps a GSM-7 page at the long limit */
        snprintf(page, sizeof(page), "CON %0*d\n%s",
                 (int)(CHANNEL_USSD_MAX_UCS2 + 10), 0, line);
        assert_int_equal(channel_ussd_fits(page), cases[i].gsm7);
    }
}

static void
test_ussd_prev_id(void **state)
{
    static const struct {
        const char *id, *prev;
    } cases[] = {
        {"S#3", "S#2"},
        {"S#1", "S#0"},
        {"ATUid_1#10", "ATUid_1#9"},
        {"a#b#2", "a#b#1"},
        {"S#0", NULL},
        {"S", NULL},
        {"S#", NULL},
        {"S#x1", NULL},
        {"S#1x", NULL},
        {"S#99999999999999999999", NULL},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *prev = channel_ussd_prev_id(cases[i].id);

        if (cases[i].prev == NULL)
            assert_null(prev);
        else
            assert_string_equal(prev, cases[i].prev);
        free(prev);
    }
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
        cmocka_unit_test(test_ussd_prev_id),
        cmocka_unit_test(test_ussd_pages_short),
        cmocka_unit_test(test_ussd_pages_messages),
        cmocka_unit_test(test_ussd_pages_long_message),
        cmocka_unit_test(test_ussd_pages_arabic),
        cmocka_unit_test(test_ussd_pages_boundaries),
        cmocka_unit_test(test_ussd_pages_mixed),
        cmocka_unit_test(test_ussd_pages_menu),
        cmocka_unit_test(test_ussd_pages_not_options),
        cmocka_unit_test(test_ussd_more_line),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
