/*
 * test_voice.c - voice calls without a network: the call webhooks of
 * Twilio and Africa's Talking read (and refused), Twilio's signature over
 * a call webhook, XML escaping, and the stored next step of a call
 * rendered as TwiML and as Africa's Talking voice XML (Say with its
 * language, Play, Gather/GetDigits, Record, the no-input Redirect, Hangup,
 * the keypad instead of a recording, a "sorry" first, the pause and
 * redirect of a poll).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "buf.h"
#include "channel.h"
#include "channels.h"
#include "sig.h"
#include "voicestep.h"
#include "voicexml.h"

#define SID   "AC00000000000000000000000000000001"
#define TOKEN "12345abcdef"
#define FORM  "application/x-www-form-urlencoded"
#define BASE  "https://hotline.example.org"

static struct config cfg = {.public_url = BASE};
static struct config_channel tw = {.name = "tw",
                                   .type = "twilio",
                                   .account_sid = SID,
                                   .auth_token = TOKEN,
                                   .base_url = BASE,
                                   .cfg = &cfg};
static struct config_channel at = {.name = "at",
                                   .type = "africastalking",
                                   .secret = "s3cr&t",
                                   .base_url = BASE,
                                   .cfg = &cfg};

struct hdrs {
    const char *signature;
};

static const char *
get_header(void *arg, const char *name)
{
    const struct hdrs *h = arg;

    return strcasecmp(name, "X-Twilio-Signature") == 0 ? h->signature : NULL;
}

static void
sign_form(const char *url, const char *body, char out[SIG_TWILIO_LEN])
{
    struct channel_pairs p = {0};
    struct sig_param params[64];
    char err[SK_ERR_LEN];
    size_t i;

    assert_int_equal(channel_pairs_form(&p, body, strlen(body), err), 0);
    for (i = 0; i < p.n; i++) {
        params[i].key = p.v[i].key;
        params[i].value = p.v[i].value;
    }
    assert_int_equal(sig_twilio(TOKEN, url, params, p.n, out), 0);
    channel_pairs_clear(&p);
}

static struct channel_request
form_request(const char *uri, const char *body, struct hdrs *h)
{
    struct channel_request r = {.uri = uri,
                                .content_type = FORM,
                                .body = body,
                                .body_len = strlen(body),
                                .header = get_header,
                                .header_arg = h};
    return r;
}

#define CALL_FORM                                                              \
    "CallSid=CA1234567890ABCDE&AccountSid=" SID "&From=%2B254700000001"        \
    "&To=%2B15005550006&CallStatus=in-progress&Direction=inbound"

static void
test_twilio_call_signed(void **state)
{
    const struct channel_type *t = channel_find("twilio");
    const char *body = CALL_FORM "&Digits=2";
    char sig[SIG_TWILIO_LEN], err[SK_ERR_LEN] = "";
    struct hdrs h = {sig};
    struct channel_request r = form_request("/c/tw/voice/gather?n=1", body, &h);
    struct channel_call call;

    (void)state;
    assert_non_null(t->parse_call);
    sign_form(BASE "/c/tw/voice/gather?n=1", body, sig);
    assert_int_equal(t->verify(&tw, &r), 0);
    /* signed for another step's URL: refused */
    r.uri = "/c/tw/voice/gather?n=2";
    assert_int_equal(t->verify(&tw, &r), SK_EDENIED);
    h.signature = NULL;
    r.uri = "/c/tw/voice/gather?n=1";
    assert_int_equal(t->verify(&tw, &r), SK_EDENIED);
    assert_int_equal(t->parse_call(&tw, &r, &call, err), 0);
    assert_string_equal(call.urn, "tel:+254700000001");
    assert_string_equal(call.call_id, "CA1234567890ABCDE");
    assert_string_equal(call.digits, "2");
    assert_null(call.recording_url);
    assert_false(call.ended);
    assert_string_equal(call.state, "in-progress");
    channel_call_clear(&call);
    assert_null(call.urn);
    channel_call_clear(NULL);
}

static void
test_twilio_call_fields(void **state)
{
    static const struct {
        const char *body;
        int rc;
        bool ended;
        const char *digits;
    } cases[] = {
        {"CallSid=CA1&From=%2B1555&CallStatus=completed", 0, true, NULL},
        {"CallSid=CA1&From=%2B1555&CallStatus=busy", 0, true, NULL},
        {"CallSid=CA1&From=%2B1555&CallStatus=no-answer", 0, true, NULL},
        {"CallSid=CA1&From=%2B1555&CallStatus=failed", 0, true, NULL},
        {"CallSid=CA1&From=%2B1555&CallStatus=canceled", 0, true, NULL},
        {"CallSid=CA1&From=%2B1555&CallStatus=ringing", 0, false, NULL},
        /* a hang-up during a recording is no key */
        {"CallSid=CA1&From=%2B1555&Digits=hangup&RecordingUrl=https%3A%2F%2F"
         "api.twilio.com%2Fr",
         0, false, NULL},
        {"CallSid=CA1&From=%2B1555&Digits=12%23", 0, false, "12#"},
        {"CallSid=CA1&From=+1555", 0, false, NULL}, /* unescaped + */
        {"CallSid=CA1&From=%2B1555&Digits=12a", SK_EINVAL, false, NULL},
        {"From=%2B1555", SK_EINVAL, false, NULL},
        {"CallSid=CA1", SK_EINVAL, false, NULL},
        {"CallSid=CA1&From=client%3Aalice", SK_EINVAL, false, NULL},
        {"CallSid=CA1&CallSid=CA2&From=%2B1555", SK_EINVAL, false, NULL},
        {"CallSid=CA1&From=%2B1%ZZ", SK_EINVAL, false, NULL},
    };
    const struct channel_type *t = channel_find("twilio");
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hdrs h = {NULL};
        struct channel_request r =
            form_request("/c/tw/voice", cases[i].body, &h);
        struct channel_call call;
        char err[SK_ERR_LEN] = "";
        int rc = t->parse_call(&tw, &r, &call, err);

        if (rc != cases[i].rc)
            fail_msg("case %zu: rc %d, want %d (%s)", i, rc, cases[i].rc, err);
        if (rc != 0) {
            assert_null(call.urn);
            assert_true(err[0] != '\0');
            continue;
        }
        assert_int_equal(call.ended, cases[i].ended);
        if (cases[i].digits == NULL)
            assert_null(call.digits);
        else
            assert_string_equal(call.digits, cases[i].digits);
        assert_string_equal(call.urn, "tel:+1555");
        channel_call_clear(&call);
    }
}

static void
test_at_call_fields(void **state)
{
    const struct channel_type *t = channel_find("africastalking");
    struct hdrs h = {NULL};
    struct channel_request r =
        form_request("/c/at/voice?secret=x",
                     "sessionId=ATVId_1&isActive=1&callerNumber=%2B254700000001"
                     "&direction=Inbound&dtmfDigits=3",
                     &h);
    struct channel_call call;
    char err[SK_ERR_LEN] = "";

    (void)state;
    assert_non_null(t->parse_call);
    assert_int_equal(t->parse_call(&at, &r, &call, err), 0);
    assert_string_equal(call.call_id, "ATVId_1");
    assert_string_equal(call.digits, "3");
    assert_false(call.ended);
    channel_call_clear(&call);
    r.body = "sessionId=ATVId_1&isActive=0&callerNumber=%2B254700000001"
             "&durationInSeconds=12";
    r.body_len = strlen(r.body);
    assert_int_equal(t->parse_call(&at, &r, &call, err), 0);
    assert_true(call.ended);
    channel_call_clear(&call);
    r.body = "isActive=1&callerNumber=%2B254700000001";
    r.body_len = strlen(r.body);
    assert_int_equal(t->parse_call(&at, &r, &call, err), SK_EINVAL);
    /* the other types have no voice */
    assert_null(channel_find("generic")->parse_call);
    assert_null(channel_find("kannel")->render_call);
}

static void
test_xml_escape(void **state)
{
    struct sk_buf b = {0};
    char *s;

    (void)state;
    voicexml_text(&b, "a<b>&\"c'\x01\x1f\td");
    voicexml_attr(&b, "x", "1&2");
    s = sk_buf_take(&b);
    assert_string_equal(s, "a&lt;b&gt;&amp;&quot;c&apos;\td x=\"1&amp;2\"");
    free(s);
    s = voicexml_url(&at, "/c/at/voice/gather?n=2", at.secret);
    assert_string_equal(s, BASE "/c/at/voice/gather?n=2&secret=s3cr%26t");
    free(s);
    s = voicexml_prompt_url(&tw, "/prompts/eng/q1.wav");
    assert_string_equal(s, BASE "/prompts/eng/q1.wav");
    free(s);
    s = voicexml_prompt_url(&tw, "https://cdn.example/q1.wav");
    assert_string_equal(s, "https://cdn.example/q1.wav");
    free(s);
    s = voicexml_url(&tw, "/c/tw/voice", NULL);
    assert_string_equal(s, BASE "/c/tw/voice");
    free(s);
}

/* Renders reply for t on ch at step n; the body, malloc'd. */
static char *
render(const char *type, const struct config_channel *ch, const char *reply,
       unsigned n, const char *before, bool keypad)
{
    struct channel_reply r;
    char *body;

    assert_int_equal(voicestep_render(channel_find(type), ch, ch->name, reply,
                                      n, before, keypad, &r),
                     0);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.content_type, "text/xml; charset=utf-8");
    body = strndup(r.body, r.body_len);
    channel_reply_clear(&r);
    return body;
}

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"

static void
test_twiml(void **state)
{
    char *s;

    (void)state;
    s = render("twilio", &tw,
               "{\"prompts\":[{\"text\":\"Bonjour & <bienvenue>\"},"
               "{\"text\":\"x\",\"audio_url\":\"https://p.example/q1.wav\"}],"
               "\"lang\":\"fra\",\"wait\":{\"kind\":\"digits\",\"digits\":1,"
               "\"timeout\":10}}",
               0, NULL, false);
    assert_string_equal(
        s, HEAD "<Gather input=\"dtmf\" numDigits=\"1\" timeout=\"10\" "
                "action=\"" BASE "/c/tw/voice/gather?n=1\" method=\"POST\">"
                "<Say language=\"fr-FR\">Bonjour &amp; &lt;bienvenue&gt;</Say>"
                "<Play>https://p.example/q1.wav</Play></Gather>"
                "<Redirect method=\"POST\">" BASE
                "/c/tw/voice/timeout?n=1</Redirect></Response>");
    free(s);
    /* a recording; a wait without a timeout takes silence as an answer */
    s = render("twilio", &tw,
               "{\"prompts\":[{\"text\":\"Say it\"}],\"lang\":\"swa\","
               "\"wait\":{\"kind\":\"audio\"}}",
               6, NULL, false);
    assert_string_equal(
        s, HEAD "<Say>Say it</Say><Record maxLength=\"60\" timeout=\"5\" "
                "playBeep=\"true\" finishOnKey=\"0123456789*#\" action=\"" BASE
                "/c/tw/voice/record?n=7\" method=\"POST\"/>"
                "<Redirect method=\"POST\">" BASE
                "/c/tw/voice/gather?n=7</Redirect></Response>");
    free(s);
    /* the same on the keypad, "sorry" first */
    s = render("twilio", &tw,
               "{\"prompts\":[{\"text\":\"Say it\"}],\"lang\":\"eng\","
               "\"wait\":{\"kind\":\"audio\"}}",
               6, "Sorry", true);
    assert_non_null(strstr(s, "<Gather input=\"dtmf\" numDigits=\"1\""));
    assert_non_null(strstr(s, "<Say language=\"en-US\">Sorry</Say>"
                              "<Say language=\"en-US\">Say it</Say>"));
    assert_null(strstr(s, "<Record"));
    free(s);
    /* a terminated answer; then the end */
    s = render("twilio", &tw,
               "{\"prompts\":[],\"wait\":{\"kind\":\"digits\","
               "\"finish\":\"*\"}}",
               2, NULL, false);
    assert_non_null(strstr(s, "<Gather input=\"dtmf\" finishOnKey=\"*\" "
                              "timeout=\"10\""));
    free(s);
    s = render("twilio", &tw, "{\"prompts\":[{\"text\":\"Bye\"}]}", 3, NULL,
               false);
    assert_string_equal(s, HEAD "<Say>Bye</Say><Hangup/></Response>");
    free(s);
}

/* A question asked again after a recording not understood ("reask"):
 * "sorry" in the run's language, once, and the recording again. */
static void
test_reask(void **state)
{
    static const char reply[] =
        "{\"prompts\":[{\"text\":\"Vas-tu\"}],\"lang\":\"fra\","
        "\"wait\":{\"kind\":\"audio\",\"timeout\":10},\"reask\":true}";
    char *s;

    (void)state;
    s = render("twilio", &tw, reply, 5, NULL, false);
    assert_non_null(strstr(s, "<Say language=\"fr-FR\">D\xc3\xa9sol\xc3\xa9, "
                              "je n&apos;ai pas entendu.</Say>"
                              "<Say language=\"fr-FR\">Vas-tu</Say><Record "));
    assert_non_null(strstr(s, "action=\"" BASE "/c/tw/voice/record?n=6\""));
    assert_non_null(strstr(s, BASE "/c/tw/voice/timeout?n=6</Redirect>"));
    free(s);
    /* asked again on the keypad (the recording of the re-ask could not be
     * fetched): "sorry" once, not twice */
    s = render("twilio", &tw, reply, 5, voicestep_sorry("fra"), true);
    assert_non_null(strstr(s, "<Gather input=\"dtmf\" numDigits=\"1\""));
    assert_non_null(strstr(s, "pas entendu."));
    assert_null(strstr(strstr(s, "pas entendu.") + 1, "pas entendu."));
    assert_null(strstr(s, "<Record"));
    free(s);
}

static void
test_at_xml(void **state)
{
    char *s;

    (void)state;
    s = render("africastalking", &at,
               "{\"prompts\":[{\"text\":\"Hi\"},{\"text\":\"\",\"audio_url\":"
               "\"https://p.example/a&b.wav\"}],\"wait\":{\"kind\":\"digits\","
               "\"digits\":1,\"timeout\":10}}",
               0, NULL, false);
    assert_string_equal(
        s, HEAD "<GetDigits numDigits=\"1\" timeout=\"10\" callbackUrl=\"" BASE
                "/c/at/voice/gather?n=1&amp;secret=s3cr%26t\"><Say>Hi</Say>"
                "<Play url=\"https://p.example/a&amp;b.wav\"/></GetDigits>"
                "<Redirect>" BASE
                "/c/at/voice/timeout?n=1&amp;secret=s3cr%26t</Redirect>"
                "</Response>");
    free(s);
    s = render("africastalking", &at,
               "{\"prompts\":[{\"text\":\"Speak\"}],\"wait\":{\"kind\":"
               "\"audio\",\"timeout\":30}}",
               4, NULL, false);
    assert_non_null(strstr(s, "<Record finishOnKey=\"#\" maxLength=\"60\" "
                              "timeout=\"5\" trimSilence=\"true\" "
                              "playBeep=\"true\" callbackUrl=\"" BASE
                              "/c/at/voice/record?n=5&amp;secret=s3cr%26t\">"
                              "<Say>Speak</Say></Record>"));
    free(s);
    s = render("africastalking", &at, "{\"prompts\":[{\"text\":\"Bye\"}]}", 1,
               NULL, false);
    assert_string_equal(s, HEAD "<Say>Bye</Say></Response>");
    free(s);
}

static void
test_poll(void **state)
{
    struct channel_prompt none[1];
    struct channel_voice v = {.prompts = none,
                              .next = CHANNEL_VOICE_POLL,
                              .pause_s = 1,
                              .action = "/c/tw/voice/poll?n=4"};
    struct channel_reply r;
    char *s;

    (void)state;
    assert_int_equal(twilio_render_call(&tw, &v, &r), 0);
    s = strndup(r.body, r.body_len);
    assert_string_equal(s, HEAD "<Pause length=\"1\"/><Redirect "
                                "method=\"POST\">" BASE
                                "/c/tw/voice/poll?n=4</Redirect></Response>");
    free(s);
    channel_reply_clear(&r);
    v.action = "/c/at/voice/poll?n=4";
    assert_int_equal(at_render_call(&at, &v, &r), 0);
    s = strndup(r.body, r.body_len);
    assert_string_equal(s, HEAD "<Redirect>" BASE "/c/at/voice/poll?n=4&amp;"
                                "secret=s3cr%26t</Redirect></Response>");
    free(s);
    channel_reply_clear(&r);
}

static void
test_render_refused(void **state)
{
    struct channel_reply r;

    (void)state;
    assert_int_equal(voicestep_render(channel_find("twilio"), &tw, "tw",
                                      "not json", 0, NULL, false, &r),
                     SK_EINVAL);
    assert_int_equal(voicestep_render(channel_find("twilio"), &tw, "tw",
                                      "{\"wait\":{}}", 0, NULL, false, &r),
                     SK_EINVAL);
    assert_string_equal(voicestep_sorry("fra"), "Désolé, je n'ai pas entendu.");
    assert_string_equal(voicestep_sorry("zul"), "Sorry, I did not hear that.");
    assert_string_equal(voicestep_sorry(NULL), "Sorry, I did not hear that.");
}

static void
test_prompt_add(void **state)
{
    json_t *texts = json_array();
    json_t *ev = json_pack("{s:s,s:s,s:s}", "type", "ivr_created", "text",
                           "Hello", "audio_url", "https://p.example/h.wav");
    size_t dropped = 0;
    char *dump;

    (void)state;
    assert_int_equal(voicestep_prompt_add(texts, ev, 1, &dropped), 0);
    assert_int_equal(voicestep_prompt_add(texts, ev, 1, &dropped), 0);
    assert_int_equal(dropped, 1);
    dump = json_dumps(texts, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(dump, "[{\"audio_url\":\"https://p.example/h.wav\","
                              "\"text\":\"Hello\"}]");
    free(dump);
    json_decref(ev);
    json_decref(texts);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_twilio_call_signed),
        cmocka_unit_test(test_twilio_call_fields),
        cmocka_unit_test(test_at_call_fields),
        cmocka_unit_test(test_xml_escape),
        cmocka_unit_test(test_twiml),
        cmocka_unit_test(test_reask),
        cmocka_unit_test(test_at_xml),
        cmocka_unit_test(test_poll),
        cmocka_unit_test(test_render_refused),
        cmocka_unit_test(test_prompt_add),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
