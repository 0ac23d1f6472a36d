/*
 * test_kannel.c - the Kannel channel, table-driven from the request forms
 * Kannel's smsbox sends: RapidPro's GET query, smsbox's post-url (query
 * plus a text/plain body), a form body; odd ones (missing fields, keys
 * given twice, empty text, emoji and Arabic both as UTF-8 from mo-recode
 * and as coding=2 UTF-16BE bytes, a 1,600-character text); the sendsms
 * request for GSM-7, French, Arabic and emoji replies; Kannel's delivery
 * report codes; the config keys the channel relies on. No network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "channel.h"
#include "channels.h"
#include "config.h"
#include "httpc.h"
#include "outbox.h"

static struct config_channel chan = {
    .name = "kannel",
    .type = "kannel",
    .secret = "s3cret",
    .send_url = "http://127.0.0.1:13013/cgi-bin/sendsms",
    .username = "sikiliza",
    .password = "p w&d",
    .number = "12345",
    .base_url = "https://hotline.example.org",
};

#define FORM "application/x-www-form-urlencoded"

/* --- receive ------------------------------------------------------------- */

struct parse_case {
    const char *what;
    const char *query;
    const char *ctype;
    const char *body;
    int rc;
    const char *urn, *text, *id; /* expected when rc is 0 */
};

static const struct parse_case parse_cases[] = {
    {"RapidPro's GET",
     "secret=s3cret&backend=FAKE&sender=%2B254700000001&message=Hello+there"
     "&ts=1700000000&id=a1b2-c3&to=12345",
     NULL, "", 0, "tel:+254700000001", "Hello there", "a1b2-c3"},
    {"smsbox post-url: the query, the text again as text/plain",
     "secret=s3cret&sender=%2B254700000002&message=hi&ts=1&id=7&to=12345",
     "text/plain", "hi", 0, "tel:+254700000002", "hi", "7"},
    {"a form body", "secret=s3cret", "application/x-www-form-urlencoded",
     "sender=%2B254700000003&message=Oui%21&id=8&ts=2", 0, "tel:+254700000003",
     "Oui!", "8"},
    {"unescaped + in the number", "secret=s3cret&sender=+254700000004&id=9",
     NULL, "", 0, "tel:+254700000004", "", "9"},
    {"a national number", "secret=s3cret&sender=0700000005&id=10", NULL, "", 0,
     "tel:0700000005", "", "10"},
    {"already a URN", "secret=s3cret&sender=tel%3A%2B1555&id=11", NULL, "", 0,
     "tel:+1555", "", "11"},
    {"no message: an empty text", "secret=s3cret&sender=%2B1555&id=12", NULL,
     "", 0, "tel:+1555", "", "12"},
    {"an empty message", "secret=s3cret&sender=%2B1555&message=&id=13", NULL,
     "", 0, "tel:+1555", "", "13"},
    {"a key with no =", "secret=s3cret&sender=%2B1555&message&id=14", NULL, "",
     0, "tel:+1555", "", "14"},
    {"other keys given twice are ignored",
     "secret=s3cret&backend=A&backend=B&sender=%2B1555&id=15", NULL, "", 0,
     "tel:+1555", "", "15"},
    {"mo-recode: Arabic as UTF-8",
     "secret=s3cret&sender=%2B1555&id=16&coding=2&charset=UTF-8"
     "&message=%D9%86%D8%B9%D9%85",
     NULL, "", 0, "tel:+1555", "\xd9\x86\xd8\xb9\xd9\x85", "16"},
    {"mo-recode: an emoji as UTF-8",
     "secret=s3cret&sender=%2B1555&id=17&coding=2&charset=UTF-8"
     "&message=%F0%9F%98%80",
     NULL, "", 0, "tel:+1555", "\xf0\x9f\x98\x80", "17"},
    {"UTF-8 without coding or charset",
     "secret=s3cret&sender=%2B1555&id=18&message=caf%C3%A9", NULL, "", 0,
     "tel:+1555", "caf\xc3\xa9", "18"},
    {"Arabic as UTF-16BE bytes",
     "secret=s3cret&sender=%2B1555&id=19&coding=2&charset=UTF-16BE"
     "&message=%06%46%06%39%06%45",
     NULL, "", 0, "tel:+1555", "\xd9\x86\xd8\xb9\xd9\x85", "19"},
    {"an emoji as UTF-16BE (a surrogate pair)",
     "secret=s3cret&sender=%2B1555&id=20&coding=2&charset=utf-16be"
     "&message=%00h%00i%00+%D8%3D%DE%00",
     NULL, "", 0, "tel:+1555", "hi \xf0\x9f\x98\x80", "20"},
    {"UCS-2 named so",
     "secret=s3cret&sender=%2B1555&id=21&charset=UCS-2"
     "&coding=2&message=%00%E9",
     NULL, "", 0, "tel:+1555", "\xc3\xa9", "21"},
    {"Latin-1",
     "secret=s3cret&sender=%2B1555&id=22&charset=ISO-8859-1"
     "&message=caf%E9",
     NULL, "", 0, "tel:+1555", "caf\xc3\xa9", "22"},
    {"coding and charset in a form body", "secret=s3cret",
     "application/x-www-form-urlencoded; charset=utf-8",
     "sender=%2B1555&id=23&coding=2&charset=UTF-16BE&message=%06%46", 0,
     "tel:+1555", "\xd9\x86", "23"},
    /* refused */
    {"no sender", "secret=s3cret&message=hi&id=30", NULL, "", SK_EINVAL, NULL,
     NULL, NULL},
    {"an empty sender", "secret=s3cret&sender=&message=hi&id=31", NULL, "",
     SK_EINVAL, NULL, NULL, NULL},
    {"no id", "secret=s3cret&sender=%2B1555&message=hi", NULL, "", SK_EINVAL,
     NULL, NULL, NULL},
    {"an empty id", "secret=s3cret&sender=%2B1555&id=", NULL, "", SK_EINVAL,
     NULL, NULL, NULL},
    {"message twice", "secret=s3cret&sender=%2B1555&id=32&message=a&message=b",
     NULL, "", SK_EINVAL, NULL, NULL, NULL},
    {"sender twice", "secret=s3cret&sender=%2B1555&sender=%2B1666&id=33", NULL,
     "", SK_EINVAL, NULL, NULL, NULL},
    {"id in the query and in the body", "secret=s3cret&id=34", FORM,
     "sender=%2B1555&id=35", SK_EINVAL, NULL, NULL, NULL},
    {"a bad escape", "secret=s3cret&sender=%2B1555&id=36&message=%G1", NULL, "",
     SK_EINVAL, NULL, NULL, NULL},
    {"not UTF-8", "secret=s3cret&sender=%2B1555&id=37&message=%FF%FE", NULL, "",
     SK_EINVAL, NULL, NULL, NULL},
    {"UCS-2 bytes without a charset",
     "secret=s3cret&sender=%2B1555&id=38&coding=2&message=%06%46%06%FF", NULL,
     "", SK_EINVAL, NULL, NULL, NULL},
    {"UTF-16BE of odd length",
     "secret=s3cret&sender=%2B1555&id=39&charset=UTF-16BE&message=%06%46%06",
     NULL, "", SK_EINVAL, NULL, NULL, NULL},
    {"a lone surrogate",
     "secret=s3cret&sender=%2B1555&id=40&charset=UTF-16BE&message=%D8%3D%00a",
     NULL, "", SK_EINVAL, NULL, NULL, NULL},
    {"a NUL in the text", "secret=s3cret&sender=%2B1555&id=41&message=a%00b",
     NULL, "", SK_EINVAL, NULL, NULL, NULL},
};

static int
parse_req(const char *query, const char *ctype, const char *body,
          struct sk_inbound *in, char err[SK_ERR_LEN])
{
    struct channel_request req = {.query = query,
                                  .content_type = ctype,
                                  .body = body,
                                  .body_len = strlen(body)};

    err[0] = '\0';
    return channel_kannel.parse(&chan, &req, in, err);
}

static void
test_parse_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const struct parse_case *c = &parse_cases[i];
        struct sk_inbound in;
        char err[SK_ERR_LEN];
        int rc = parse_req(c->query, c->ctype, c->body, &in, err);

        if (rc != c->rc)
            fail_msg("%s: rc %d, want %d (%s)", c->what, rc, c->rc, err);
        if (rc != 0) {
            if (err[0] == '\0')
                fail_msg("%s: no reason given", c->what);
            assert_null(in.urn);
            assert_null(in.text);
            continue;
        }
        if (strcmp(in.urn, c->urn) != 0 || strcmp(in.text, c->text) != 0 ||
            strcmp(in.external_id, c->id) != 0)
            fail_msg("%s: got urn/id %s %s", c->what, in.urn, in.external_id);
        channel_inbound_clear(&in);
    }
}

static void
test_parse_long(void **state)
{
    /* 1,600 characters: 800 Arabic letters as UTF-16BE, and as UTF-8 */
    size_t n = 1600, i;
    char *q = malloc(n * 6 + 200), *p, *want = malloc(n * 2 + 1);
    struct sk_inbound in;
    char err[SK_ERR_LEN];

    (void)state;
    assert_non_null(q);
    assert_non_null(want);
    p = q + sprintf(q, "secret=s3cret&sender=%%2B1555&id=long&coding=2"
                       "&charset=UTF-16BE&message=");
    for (i = 0; i < n; i++) {
        p += sprintf(p, "%%06%%%02X", 0x27 + (unsigned)(i % 20));
        want[2 * i] = (char)0xd8;
        want[2 * i + 1] = (char)(0x80 + 0x27 + (i % 20));
    }
    want[2 * n] = '\0';
    assert_int_equal(parse_req(q, NULL, "", &in, err), 0);
    assert_int_equal(strlen(in.text), 2 * n);
    assert_string_equal(in.text, want);
    channel_inbound_clear(&in);

    p = q + sprintf(q, "secret=s3cret&sender=%%2B1555&id=long&message=");
    for (i = 0; i < n; i++)
        *p++ = (char)('a' + i % 26);
    *p = '\0';
    assert_int_equal(parse_req(q, NULL, "", &in, err), 0);
    assert_int_equal(strlen(in.text), n);
    channel_inbound_clear(&in);
    free(q);
    free(want);
}

static void
test_verify(void **state)
{
    struct channel_request req = {.body = "", .body_len = 0};

    (void)state;
    req.query = "sender=1&secret=s3cret&id=1";
    assert_int_equal(channel_kannel.verify(&chan, &req), 0);
    req.query = "secret=wrong&sender=1&id=1";
    assert_int_equal(channel_kannel.verify(&chan, &req), SK_EDENIED);
    req.query = "secret=&sender=1&id=1";
    assert_int_equal(channel_kannel.verify(&chan, &req), SK_EDENIED);
    req.query = "secret=s3cret&secret=s3cret";
    assert_int_equal(channel_kannel.verify(&chan, &req), SK_EDENIED);
    req.query = "sender=1&id=1";
    assert_int_equal(channel_kannel.verify(&chan, &req), SK_EDENIED);
    req.query = NULL;
    assert_int_equal(channel_kannel.verify(&chan, &req), SK_EDENIED);
    /* the secret belongs in the URL, not in a form body */
    req.content_type = FORM;
    req.body = "secret=s3cret";
    req.body_len = strlen(req.body);
    assert_int_equal(channel_kannel.verify(&chan, &req), SK_EDENIED);
}

static void
test_render(void **state)
{
    const char *texts[] = {"never in the webhook answer"};
    struct channel_reply r;

    (void)state;
    assert_false(channel_kannel.sync_reply);
    assert_true(channel_kannel.allow_get);
    assert_false(channel_kannel.idempotent_send);
    assert_int_equal(channel_kannel.render(&chan, texts, 1, &r), 0);
    assert_int_equal(r.code, 200);
    assert_int_equal(r.body_len, 0);
    assert_string_equal(r.body, "");
    channel_reply_clear(&r);
    assert_int_equal(channel_kannel.render_error(&chan, 400, "missing", &r), 0);
    assert_int_equal(r.code, 400);
    assert_string_equal(r.body, "missing");
    channel_reply_clear(&r);
    assert_ptr_equal(channel_find("kannel"), &channel_kannel);
}

/* --- delivery reports ---------------------------------------------------- */

struct status_case {
    const char *query;
    int rc;
    int64_t row;
    enum outbox_dlr status;
    bool final;
};

static const struct status_case status_cases[] = {
    {"secret=s3cret&id=42&status=1", 0, 42, OUTBOX_DLR_DELIVERED, true},
    {"secret=s3cret&id=42&status=2", 0, 42, OUTBOX_DLR_FAILED, true},
    {"secret=s3cret&id=43&status=4", 0, 43, OUTBOX_DLR_DELIVERED, false},
    {"secret=s3cret&id=44&status=8", 0, 44, OUTBOX_DLR_DELIVERED, false},
    {"secret=s3cret&id=45&status=16", 0, 45, OUTBOX_DLR_FAILED, true},
    {"status=1&id=9007199254740993&secret=s3cret", 0, 9007199254740993LL,
     OUTBOX_DLR_DELIVERED, true},
    {"secret=s3cret&id=42&status=3", SK_EINVAL, 0, OUTBOX_DLR_DELIVERED, false},
    {"secret=s3cret&id=42&status=%25d", SK_EINVAL, 0, OUTBOX_DLR_DELIVERED,
     false},
    {"secret=s3cret&id=42&status=", SK_EINVAL, 0, OUTBOX_DLR_DELIVERED, false},
    {"secret=s3cret&id=42", SK_EINVAL, 0, OUTBOX_DLR_DELIVERED, false},
    {"secret=s3cret&status=1", SK_EINVAL, 0, OUTBOX_DLR_DELIVERED, false},
    {"secret=s3cret&id=0&status=1", SK_EINVAL, 0, OUTBOX_DLR_DELIVERED, false},
    {"secret=s3cret&id=-4&status=1", SK_EINVAL, 0, OUTBOX_DLR_DELIVERED, false},
    {"secret=s3cret&id=12abc&status=1", SK_EINVAL, 0, OUTBOX_DLR_DELIVERED,
     false},
    {"secret=s3cret&id=99999999999999999999&status=1", SK_EINVAL, 0,
     OUTBOX_DLR_DELIVERED, false},
    {"secret=s3cret&id=42&status=1&status=2", SK_EINVAL, 0,
     OUTBOX_DLR_DELIVERED, false},
};

static void
test_status_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(status_cases) / sizeof(status_cases[0]); i++) {
        const struct status_case *c = &status_cases[i];
        struct channel_request req = {
            .query = c->query, .body = "", .body_len = 0};
        struct channel_status st;
        char err[SK_ERR_LEN] = "";
        int rc = channel_kannel.parse_status(&chan, &req, &st, err);

        if (rc != c->rc)
            fail_msg("%s: rc %d, want %d (%s)", c->query, rc, c->rc, err);
        if (rc != 0)
            continue;
        assert_int_equal(st.row_id, c->row);
        assert_int_equal(st.status, c->status);
        assert_int_equal(st.final, c->final);
        assert_string_equal(st.external_id, "");
    }
}

/* --- send ---------------------------------------------------------------- */

static const char *const send_names[] = {
    "username", "password", "from",     "to",      "text",
    "coding",   "charset",  "dlr-mask", "dlr-url",
};
#define N_SEND (sizeof(send_names) / sizeof(send_names[0]))

/* Builds the request for text and decodes its query into f. */
static void
build(const char *address, const char *text, int64_t id,
      struct channel_field *f, struct httpc_req *req)
{
    const char *q;
    char err[SK_ERR_LEN] = "";
    size_t i;

    memset(req, 0, sizeof(*req));
    assert_int_equal(
        channel_kannel.build_send(&chan, "kannel", address, text, id, req), 0);
    assert_string_equal(req->method, "GET");
    assert_null(req->body);
    assert_true(
        strncmp(req->url, "http://127.0.0.1:13013/cgi-bin/sendsms?", 39) == 0);
    q = req->url + 39;
    for (i = 0; i < N_SEND; i++)
        f[i].name = send_names[i];
    assert_int_equal(channel_form_decode(q, strlen(q), f, N_SEND, err), 0);
}

static const char *
val(struct channel_field *f, const char *name)
{
    size_t i;

    for (i = 0; i < N_SEND; i++)
        if (strcmp(f[i].name, name) == 0)
            return f[i].value;
    return NULL;
}

struct send_case {
    const char *what, *text;
    bool ucs2;
    const char *wire; /* the text parameter's bytes */
    size_t wire_len;
};

static const struct send_case send_cases[] = {
    {"GSM-7", "Hello! Reply 1, 2 or 3 (or SKIP).", false,
     "Hello! Reply 1, 2 or 3 (or SKIP).", 33},
    {"French in GSM-7 (\xc3\xa9 \xc3\xa8 \xc3\xa0 \xc3\x87)",
     "\xc3\x87"
     "a va? Tr\xc3\xa8s bien, caf\xc3\xa9 \xc3\xa0 l'\xc3\xa9"
     "cole",
     false,
     "\xc3\x87"
     "a va? Tr\xc3\xa8s bien, caf\xc3\xa9 \xc3\xa0 l'\xc3\xa9"
     "cole",
     37},
    {"French beyond GSM-7 (\xc3\xaa)", "\xc3\x8atre s\xc3\xbbr", true,
     "\x00\xca\x00t\x00r\x00"
     "e\x00 \x00s\x00\xfb\x00r",
     16},
    {"Arabic", "\xd9\x86\xd8\xb9\xd9\x85 1", true,
     "\x06\x46\x06\x39\x06\x45\x00 \x00"
     "1",
     10},
    {"an emoji", "Merci \xf0\x9f\x98\x80", true,
     "\x00M\x00"
     "e\x00r\x00"
     "c\x00i\x00 \xd8\x3d\xde\x00",
     16},
    {"GSM-7 extension characters", "{[~]} \xe2\x82\xac", false,
     "{[~]} \xe2\x82\xac", 9},
};

static void
test_send_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(send_cases) / sizeof(send_cases[0]); i++) {
        const struct send_case *c = &send_cases[i];
        struct channel_field f[N_SEND];
        struct httpc_req req;
        const char *text;
        size_t tlen = 0, k;

        build("tel:+254700000001", c->text, 42, f, &req);
        assert_string_equal(val(f, "username"), "sikiliza");
        assert_string_equal(val(f, "password"), "p w&d");
        assert_string_equal(val(f, "from"), "12345");
        assert_string_equal(val(f, "to"), "+254700000001");
        assert_string_equal(val(f, "dlr-mask"), "31");
        assert_string_equal(val(f, "dlr-url"),
                            "https://hotline.example.org/c/kannel/status"
                            "?secret=s3cret&id=42&status=%d");
        text = val(f, "text");
        for (k = 0; k < N_SEND; k++)
            if (strcmp(f[k].name, "text") == 0)
                tlen = f[k].len;
        if (tlen != c->wire_len || memcmp(text, c->wire, tlen) != 0)
            fail_msg("%s: the text parameter is wrong (%zu bytes)", c->what,
                     tlen);
        if (c->ucs2) {
            assert_string_equal(val(f, "coding"), "2");
            assert_string_equal(val(f, "charset"), "UTF-16BE");
        } else {
            assert_null(val(f, "coding"));
            assert_string_equal(val(f, "charset"), "UTF-8");
        }
        channel_fields_clear(f, N_SEND);
        outbox_req_free(NULL, &req);
    }
}

static void
test_send_url_exact(void **state)
{
    struct config_channel c = chan;
    struct httpc_req req;

    (void)state;
    c.send_url = "http://kannel.local:13013/cgi-bin/sendsms?smsc=FAKE";
    c.password = "pw";
    c.base_url = "http://127.0.0.1:8080";
    memset(&req, 0, sizeof(req));
    assert_int_equal(
        channel_kannel.build_send(&c, "kannel", "+1555", "Hi there", 7, &req),
        0);
    assert_string_equal(req.url,
                        "http://kannel.local:13013/cgi-bin/sendsms?smsc=FAKE"
                        "&username=sikiliza&password=pw&from=12345&to=%2B1555"
                        "&text=Hi%20there&charset=UTF-8&dlr-mask=31&dlr-url="
                        "http%3A%2F%2F127.0.0.1%3A8080%2Fc%2Fkannel%2Fstatus"
                        "%3Fsecret%3Ds3cret%26id%3D7%26status%3D%25d");
    assert_true(req.timeout_ms > 0);
    outbox_req_free(NULL, &req);

    /* no number: Kannel's default sender; a long text still one request */
    c.number = NULL;
    {
        char *t = malloc(1601);

        assert_non_null(t);
        memset(t, 'x', 1600);
        t[1600] = '\0';
        memset(&req, 0, sizeof(req));
        assert_int_equal(
            channel_kannel.build_send(&c, "kannel", "+1555", t, 8, &req), 0);
        assert_null(strstr(req.url, "from="));
        assert_non_null(strstr(req.url, t));
        outbox_req_free(NULL, &req);
        free(t);
    }

    /* text that is not UTF-8 fails the row */
    memset(&req, 0, sizeof(req));
    assert_int_equal(
        channel_kannel.build_send(&c, "kannel", "+1555", "bad \xff", 9, &req),
        SK_EINVAL);
    assert_true(channel_kannel.can_send(&c));
    c.send_url = NULL;
    assert_false(channel_kannel.can_send(&c));
}

static int
verdict(int status, const char *body, const char *error)
{
    struct httpc_resp resp = {.status = status,
                              .error = error,
                              .body = body,
                              .body_len = strlen(body),
                              .retry_after_ms = -1};
    struct outbox_result res = {.retry_after_ms = -1};

    channel_kannel.send_result(&chan, "kannel", &resp, &res);
    assert_non_null(res.reason);
    return (int)res.verdict;
}

static void
test_send_result(void **state)
{
    (void)state;
    assert_int_equal(verdict(202, "0: Accepted for delivery", NULL),
                     OUTBOX_SENT);
    assert_int_equal(verdict(202, "3: Queued for later delivery", NULL),
                     OUTBOX_SENT);
    assert_int_equal(verdict(200, "Sent.", NULL), OUTBOX_SENT);
    assert_int_equal(verdict(403, "Authorization failed for sendsms", NULL),
                     OUTBOX_FAILED);
    assert_int_equal(verdict(400, "Missing receiver number", NULL),
                     OUTBOX_FAILED);
    assert_int_equal(verdict(404, "", NULL), OUTBOX_FAILED);
    assert_int_equal(verdict(503, "Sending failed.", NULL), OUTBOX_RETRY);
    assert_int_equal(verdict(500, "", NULL), OUTBOX_RETRY);
    assert_int_equal(verdict(0, "", "timeout"), OUTBOX_RETRY);
    assert_int_equal(verdict(0, "", "connect"), OUTBOX_RETRY);
}

/* --- configuration -------------------------------------------------------- */

static struct config *
load(const char *text, char err[SK_ERR_LEN])
{
    char path[] = "/tmp/sk-kannel-conf.XXXXXX";
    int fd = mkstemp(path);
    struct config *cfg;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    cfg = config_load(path, err);
    unlink(path);
    return cfg;
}

static void
test_config(void **state)
{
    char err[SK_ERR_LEN] = "";
    struct config *cfg;

    (void)state;
    cfg = load("[server]\nlisten = 127.0.0.1:9999\n"
               "[outbox]\nmax_attempts = 20\nbackoff_base_ms = 250\n"
               "[channel kannel]\ntype = kannel\nsecret = s\n"
               "send_url = http://127.0.0.1:13013/cgi-bin/sendsms\n"
               "username = u\npassword = p\nnumber = 12345\n",
               err);
    assert_non_null(cfg);
    assert_string_equal(cfg->channels[0].base_url, "http://127.0.0.1:9999");
    assert_int_equal(cfg->outbox_max_attempts, 20);
    assert_int_equal(cfg->outbox_backoff_base_ms, 250);
    assert_int_equal(cfg->outbox_max_parallel, 0); /* the outbox's default */
    config_free(cfg);

    cfg = load("[server]\npublic_url = https://hotline.example.org/sk/\n"
               "[channel k]\ntype = kannel\nsecret = s\n",
               err);
    assert_non_null(cfg);
    assert_string_equal(cfg->channels[0].base_url,
                        "https://hotline.example.org/sk");
    config_free(cfg);

    assert_null(load("[outbox]\nmax_attempts = 0\n", err));
    assert_null(load("[outbox]\nretries = 3\n", err));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_long),
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_status_table),
        cmocka_unit_test(test_send_table),
        cmocka_unit_test(test_send_url_exact),
        cmocka_unit_test(test_send_result),
        cmocka_unit_test(test_config),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
