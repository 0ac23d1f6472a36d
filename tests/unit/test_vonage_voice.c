/*
 * test_vonage_voice.c - the Vonage type's voice side without a network:
 * the signed-webhook JWT (HS256 under the signature secret, payload_hash
 * over the body), the answer and event webhooks as Vonage's webhook
 * reference spells them, and the NCCO rendered for each next step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "channel.h"
#include "channels.h"
#include "failalloc.h"
#include "voicestep.h"

#define BASE   "https://hotline.example.org"
#define SECRET "vonage-signature-secret"
#define JSON   "application/json"

static struct config cfg = {.public_url = BASE};
static struct config_channel vg = {.name = "vg",
                                   .type = "vonage",
                                   .api_key = "a1b2c3d4",
                                   .api_secret = "s",
                                   .signature_secret = SECRET,
                                   .base_url = BASE,
                                   .cfg = &cfg};
static struct config_channel open_vg = {.name = "vg",
                                        .type = "vonage",
                                        .api_key = "a1b2c3d4",
                                        .api_secret = "s",
                                        .base_url = BASE,
                                        .cfg = &cfg};

/* An input event (Vonage's webhook reference) and a JWT over it made
 * outside this code (HS256 under SECRET, payload_hash its SHA-256). */
#define INPUT_BODY                                                             \
    "{\"from\":\"447700900000\",\"to\":\"447700900001\",\"uuid\":"             \
    "\"aaaaaaaa-bbbb-cccc-dddd-0123456789ab\",\"conversation_uuid\":"          \
    "\"CON-aaaaaaaa-bbbb-cccc-dddd-0123456789ab\",\"dtmf\":{\"digits\":"       \
    "\"2\",\"timed_out\":false}}"
#define INPUT_JWT                                                              \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImp0aSI6Ij"  \
    "ZmMmExYzllLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMSIsImlzcyI6IlZvbmFnZSIsI"  \
    "nBheWxvYWRfaGFzaCI6IjU3ZmQ1ZGZlMWUyYjRmM2JlNTUwZDA2MTVlNjkxOGU3Y2ExZjY0"  \
    "ODAxMWFiMzlhZmJjZjkzOTZmYTY0MzUzNTgiLCJhcGlfa2V5IjoiYTFiMmMzZDQiLCJhcHB"  \
    "saWNhdGlvbl9pZCI6ImFhYWFhYWFhLWJiYmItY2NjYy1kZGRkLTAxMjM0NTY3ODlhYiJ9.O"  \
    "KgbQFOwpicvTdTgkhFd4k6xXY1X8dUqyJEY7u9osmk"
/* No body, no payload_hash (a GET answer webhook). */
#define EMPTY_JWT                                                              \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImp0aSI6In"  \
    "giLCJpc3MiOiJWb25hZ2UifQ.7438a4BnqqxhLpMzT2V-YHmMAdlI1H3x7zMNCOs_ieA"
/* The same claims with "alg":"none" and no signature. */
#define NONE_JWT                                                               \
    "eyJhbGciOiAibm9uZSJ9.eyJpYXQiOjE3MDAwMDAwMDAsImp0aSI6IngiLCJpc3MiOiJWb2"  \
    "5hZ2UifQ."
/* The HS256 example every JWT library checks against (RFC 7519 style,
 * secret "your-256-bit-secret"). */
#define PUBLIC_JWT                                                             \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZS"  \
    "I6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk"  \
    "6yJV_adQssw5c"

static void
test_jwt(void **state)
{
    const char *b = INPUT_BODY;
    size_t n = strlen(b);
    char *bad;

    (void)state;
    assert_true(vonage_jwt_verify(SECRET, "Bearer " INPUT_JWT, b, n));
    assert_true(vonage_jwt_verify(SECRET, "bearer  " INPUT_JWT, b, n));
    assert_true(vonage_jwt_verify(SECRET, "Bearer " EMPTY_JWT, "", 0));
    assert_true(
        vonage_jwt_verify("your-256-bit-secret", "Bearer " PUBLIC_JWT, "", 0));
    /* another secret, another body, a body with no payload_hash */
    assert_false(vonage_jwt_verify("other", "Bearer " INPUT_JWT, b, n));
    assert_false(vonage_jwt_verify(SECRET, "Bearer " INPUT_JWT, b, n - 1));
    assert_false(vonage_jwt_verify(SECRET, "Bearer " EMPTY_JWT, b, n));
    assert_false(vonage_jwt_verify(SECRET, "Bearer " INPUT_JWT, "", 0));
    /* not a bearer JWT, alg none, no secret, a changed signature */
    assert_false(vonage_jwt_verify(SECRET, NULL, "", 0));
    assert_false(vonage_jwt_verify(SECRET, INPUT_JWT, b, n));
    assert_false(vonage_jwt_verify(SECRET, "Basic " INPUT_JWT, b, n));
    assert_false(vonage_jwt_verify(SECRET, "Bearer " NONE_JWT, "", 0));
    assert_false(vonage_jwt_verify("", "Bearer " EMPTY_JWT, "", 0));
    assert_false(vonage_jwt_verify(NULL, "Bearer " EMPTY_JWT, "", 0));
    assert_false(vonage_jwt_verify(SECRET, "Bearer a.b", "", 0));
    assert_false(vonage_jwt_verify(SECRET, "Bearer " EMPTY_JWT ".x", "", 0));
    bad = strdup("Bearer " EMPTY_JWT);
    bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A';
    assert_false(vonage_jwt_verify(SECRET, bad, "", 0));
    bad[strlen(bad) - 2] = '*';
    assert_false(vonage_jwt_verify(SECRET, bad, "", 0));
    free(bad);
}

/* --- requests -------------------------------------------------------------
 */

static const char *
get_header(void *arg, const char *name)
{
    return strcasecmp(name, "Authorization") == 0 ? arg : NULL;
}

static struct channel_request
json_request(const char *uri, const char *body, const char *auth)
{
    const char *q = strchr(uri, '?');
    struct channel_request r = {.uri = uri,
                                .query = q != NULL ? q + 1 : NULL,
                                .content_type = JSON,
                                .body = body,
                                .body_len = strlen(body),
                                .header = get_header,
                                .header_arg = (void *)auth};
    return r;
}

static void
test_verify(void **state)
{
    const struct channel_type *t = channel_find("vonage");
    struct channel_request r =
        json_request("/c/vg/voice/gather?n=1", INPUT_BODY, "Bearer " INPUT_JWT);

    (void)state;
    assert_int_equal(t->verify(&vg, &r), 0);
    r.header_arg = NULL; /* unsigned */
    assert_int_equal(t->verify(&vg, &r), SK_EDENIED);
    assert_int_equal(t->verify(&open_vg, &r), 0); /* no secret: not checked */
    r.header_arg = "Bearer " INPUT_JWT;
    r.body_len--; /* the body is not the one signed */
    assert_int_equal(t->verify(&vg, &r), SK_EDENIED);
    /* a GET answer webhook: the query is not signed, the empty body is */
    r = json_request("/c/vg/voice?from=447700900000&uuid=u1", "",
                     "Bearer " EMPTY_JWT);
    r.content_type = NULL;
    assert_int_equal(t->verify(&vg, &r), 0);
    /* an SMS webhook still takes the SMS "sig", never a JWT */
    r = json_request("/c/vg/receive", "{}", "Bearer " EMPTY_JWT);
    assert_int_equal(t->verify(&vg, &r), SK_EDENIED);
    r.uri = "/c/vg/voicemail";
    assert_false(vonage_is_call_request(&r));
    r.uri = "/c/vg/voice/status";
    assert_true(vonage_is_call_request(&r));
}

static void
test_parse_call(void **state)
{
    static const struct {
        const char *uri, *body;
        int rc;
        bool ended;
        const char *digits, *rec;
        enum channel_no_input ni;
    } cases[] = {
        /* the answer webhook, GET */
        {"/c/vg/voice?from=447700900000&to=447700900001&uuid=u1"
         "&conversation_uuid=CON-1",
         "", 0, false, NULL, NULL, CHANNEL_INPUT_GIVEN},
        /* an input event with keys */
        {"/c/vg/voice/gather?n=1&ni=t", INPUT_BODY, 0, false, "2", NULL,
         CHANNEL_INPUT_GIVEN},
        /* timed out with nothing: the wait's timeout, or an empty answer */
        {"/c/vg/voice/gather?n=1&ni=t",
         "{\"from\":\"447700900000\",\"uuid\":\"u1\",\"dtmf\":{\"digits\":\"\","
         "\"timed_out\":true}}",
         0, false, NULL, NULL, CHANNEL_NO_INPUT_TIMEOUT},
        {"/c/vg/voice/record?n=2&ni=e",
         "{\"from\":\"447700900000\",\"uuid\":\"u1\",\"dtmf\":{\"digits\":\"\","
         "\"timed_out\":true},\"speech\":{\"timeout_reason\":"
         "\"start_timeout\"}}",
         0, false, NULL, NULL, CHANNEL_NO_INPUT_EMPTY},
        /* a spoken answer with its saved audio */
        {"/c/vg/voice/record?n=2&ni=e",
         "{\"from\":\"447700900000\",\"uuid\":\"u1\",\"dtmf\":{\"digits\":\"\","
         "\"timed_out\":false},\"speech\":{\"recording_url\":"
         "\"https://api.nexmo.com/v1/files/f1\",\"results\":[]}}",
         0, false, NULL, "https://api.nexmo.com/v1/files/f1",
         CHANNEL_INPUT_GIVEN},
        /* status events */
        {"/c/vg/voice/status",
         "{\"from\":\"447700900000\",\"uuid\":\"u1\",\"status\":\"answered\"}",
         0, false, NULL, NULL, CHANNEL_INPUT_GIVEN},
        {"/c/vg/voice/status",
         "{\"from\":\"447700900000\",\"uuid\":\"u1\",\"status\":\"completed\","
         "\"duration\":\"12\"}",
         0, true, NULL, NULL, CHANNEL_INPUT_GIVEN},
        {"/c/vg/voice/status",
         "{\"from\":\"447700900000\",\"uuid\":\"u1\",\"status\":"
         "\"unanswered\"}",
         0, true, NULL, NULL, CHANNEL_INPUT_GIVEN},
        {"/c/vg/voice/status",
         "{\"from\":\"447700900000\",\"uuid\":\"u1\",\"status\":\"cancelled\"}",
         0, true, NULL, NULL, CHANNEL_INPUT_GIVEN},
        /* refused */
        {"/c/vg/voice", "{\"from\":\"447700900000\"}", SK_EINVAL, false, NULL,
         NULL, CHANNEL_INPUT_GIVEN},
        {"/c/vg/voice", "{\"uuid\":\"u1\"}", SK_EINVAL, false, NULL, NULL,
         CHANNEL_INPUT_GIVEN},
        {"/c/vg/voice", "{\"uuid\":\"u1\",\"from\":\"sip:a@b\"}", SK_EINVAL,
         false, NULL, NULL, CHANNEL_INPUT_GIVEN},
        {"/c/vg/voice/gather?n=1",
         "{\"from\":\"1\",\"uuid\":\"u1\",\"dtmf\":{\"digits\":\"1a\"}}",
         SK_EINVAL, false, NULL, NULL, CHANNEL_INPUT_GIVEN},
        {"/c/vg/voice", "[1]", SK_EINVAL, false, NULL, NULL,
         CHANNEL_INPUT_GIVEN},
    };
    const struct channel_type *t = channel_find("vonage");
    char err[SK_ERR_LEN];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct channel_request r = json_request(cases[i].uri, cases[i].body, 0);
        struct channel_call call;

        print_message("case %zu\n", i);
        assert_int_equal(t->parse_call(&vg, &r, &call, err), cases[i].rc);
        if (cases[i].rc != 0) {
            assert_null(call.urn);
            continue;
        }
        assert_string_equal(call.urn, "tel:+447700900000");
        assert_string_equal(call.call_id,
                            i == 1 ? "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"
                                   : "u1");
        assert_int_equal(call.ended, cases[i].ended);
        if (cases[i].digits != NULL)
            assert_string_equal(call.digits, cases[i].digits);
        else
            assert_null(call.digits);
        if (cases[i].rec != NULL)
            assert_string_equal(call.recording_url, cases[i].rec);
        else
            assert_null(call.recording_url);
        assert_int_equal(call.no_input, cases[i].ni);
        channel_call_clear(&call);
    }
}

/* --- NCCO -----------------------------------------------------------------
 */

/* Renders reply at step n; the NCCO, parsed. */
static json_t *
render(const char *reply, unsigned n, const char *before, bool keypad)
{
    struct channel_reply r;
    json_t *o;

    assert_int_equal(voicestep_render(channel_find("vonage"), &vg, vg.name,
                                      reply, n, before, keypad, &r),
                     0);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.content_type, "application/json");
    o = json_loadb(r.body, r.body_len, 0, NULL);
    channel_reply_clear(&r);
    assert_true(json_is_array(o));
    return o;
}

static const char *
str_at(const json_t *o, const char *path)
{
    char key[64];
    const char *dot;

    while ((dot = strchr(path, '.')) != NULL) {
        memcpy(key, path, (size_t)(dot - path));
        key[dot - path] = '\0';
        o = json_object_get(o, key);
        path = dot + 1;
    }
    o = json_object_get(o, path);
    if (json_is_array(o))
        o = json_array_get(o, 0);
    return json_is_string(o) ? json_string_value(o) : NULL;
}

static long long
int_at(const json_t *o, const char *k1, const char *k2)
{
    return json_integer_value(json_object_get(json_object_get(o, k1), k2));
}

static void
test_ncco_digits(void **state)
{
    json_t *a, *x;

    (void)state;
    a = render("{\"prompts\":[{\"text\":\"Bonjour\"},"
               "{\"text\":\"x\",\"audio_url\":\"/prompts/fra/q1.wav\"}],"
               "\"lang\":\"fra\",\"wait\":{\"kind\":\"digits\",\"digits\":1,"
               "\"timeout\":8}}",
               0, NULL, false);
    assert_int_equal(json_array_size(a), 3);
    x = json_array_get(a, 0);
    assert_string_equal(str_at(x, "action"), "talk");
    assert_string_equal(str_at(x, "text"), "Bonjour");
    assert_string_equal(str_at(x, "language"), "fr-FR");
    assert_null(json_object_get(x, "bargeIn")); /* not before an input */
    x = json_array_get(a, 1);
    assert_string_equal(str_at(x, "action"), "stream");
    assert_string_equal(str_at(x, "streamUrl"), BASE "/prompts/fra/q1.wav");
    assert_true(json_is_true(json_object_get(x, "bargeIn")));
    x = json_array_get(a, 2);
    assert_string_equal(str_at(x, "action"), "input");
    assert_string_equal(str_at(x, "type"), "dtmf");
    assert_int_equal(int_at(x, "dtmf", "maxDigits"), 1);
    assert_int_equal(int_at(x, "dtmf", "timeOut"), 8);
    assert_string_equal(str_at(x, "eventUrl"),
                        BASE "/c/vg/voice/gather?n=1&ni=t");
    assert_null(json_object_get(x, "speech"));
    json_decref(a);

    /* keys until '#', no timeout of its own: silence is an empty answer */
    a = render("{\"prompts\":[{\"text\":\"Age?\"}],\"lang\":\"xyz\","
               "\"wait\":{\"kind\":\"digits\",\"finish\":\"#\"}}",
               3, NULL, false);
    x = json_array_get(a, 0);
    assert_null(json_object_get(x, "language"));
    x = json_array_get(a, 1);
    assert_int_equal(int_at(x, "dtmf", "maxDigits"), 20);
    assert_true(json_is_true(
        json_object_get(json_object_get(x, "dtmf"), "submitOnHash")));
    assert_string_equal(str_at(x, "eventUrl"),
                        BASE "/c/vg/voice/gather?n=4&ni=e");
    json_decref(a);
}

static void
test_ncco_record_hangup_poll(void **state)
{
    const struct channel_type *t = channel_find("vonage");
    struct channel_voice v = {0};
    struct channel_reply r;
    json_t *a, *x;

    (void)state;
    a = render("{\"prompts\":[{\"text\":\"Say it\"}],\"lang\":\"eng\","
               "\"wait\":{\"kind\":\"audio\"}}",
               6, NULL, false);
    x = json_array_get(a, 1);
    assert_string_equal(str_at(x, "action"), "input");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(x, "type"), 1)),
        "speech");
    assert_true(json_is_true(
        json_object_get(json_object_get(x, "speech"), "saveAudio")));
    assert_string_equal(str_at(x, "speech.language"), "en-US");
    assert_int_equal(int_at(x, "speech", "maxDuration"), 60);
    assert_int_equal(int_at(x, "dtmf", "maxDigits"), 1); /* a key answers */
    assert_string_equal(str_at(x, "eventUrl"),
                        BASE "/c/vg/voice/record?n=7&ni=e");
    json_decref(a);
    /* on the keypad, "sorry" first */
    a = render("{\"prompts\":[{\"text\":\"Say it\"}],\"lang\":\"eng\","
               "\"wait\":{\"kind\":\"audio\"}}",
               6, "Sorry", true);
    assert_string_equal(str_at(json_array_get(a, 0), "text"), "Sorry");
    x = json_array_get(a, 2);
    assert_null(json_object_get(x, "speech"));
    assert_string_equal(str_at(x, "eventUrl"),
                        BASE "/c/vg/voice/gather?n=7&ni=e");
    json_decref(a);
    /* the end: the prompts, then Vonage hangs up */
    a = render("{\"prompts\":[{\"text\":\"Bye\"}]}", 9, NULL, false);
    assert_int_equal(json_array_size(a), 1);
    assert_string_equal(str_at(json_array_get(a, 0), "action"), "talk");
    json_decref(a);
    /* a poll: a short wait for nothing, then back */
    v.next = CHANNEL_VOICE_POLL;
    v.pause_s = 1;
    v.action = "/c/vg/voice/poll?n=3";
    assert_int_equal(t->render_call(&vg, &v, &r), 0);
    a = json_loadb(r.body, r.body_len, 0, NULL);
    channel_reply_clear(&r);
    x = json_array_get(a, 0);
    assert_int_equal(json_array_size(a), 1);
    assert_int_equal(int_at(x, "dtmf", "timeOut"), 1);
    assert_string_equal(str_at(x, "eventUrl"), BASE "/c/vg/voice/poll?n=3");
    json_decref(a);
}

/* --- the media API's application JWT -------------------------------------
 */

/* The JSON object in base64url s[0..n). */
static json_t *
b64_json(const char *s, size_t n)
{
    char *t = calloc(1, n + 4);
    unsigned char out[2048];
    json_t *o;
    int len;
    size_t i;

    for (i = 0; i < n; i++)
        t[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    while (i % 4 != 0)
        t[i++] = '=';
    len = EVP_DecodeBlock(out, (const unsigned char *)t, (int)i);
    free(t);
    assert_true(len > 0);
    while (len > 0 && out[len - 1] == '\0') /* EVP_DecodeBlock pads */
        len--;
    o = json_loadb((const char *)out, (size_t)len, 0, NULL);
    assert_non_null(o);
    return o;
}

static void
test_media_token(void **state)
{
    const struct channel_type *t = channel_find("vonage");
    char path[] = "/tmp/sk-vonage-key-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    EVP_PKEY *pk = EVP_RSA_gen(2048);
    struct config_channel ch = vg;
    char err[SK_ERR_LEN] = "", tok[4096], small[64], *sig64;
    const char *d1, *d2;
    void *key = NULL;
    json_t *h, *p;
    unsigned char sig[512];
    EVP_MD_CTX *md;
    size_t n, i;
    int len;

    (void)state;
    assert_non_null(f);
    assert_non_null(pk);
    assert_int_equal(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    /* neither key: no token; one without the other, or no key: refused */
    assert_int_equal(t->media_key(&ch, &key, err), 0);
    assert_null(key);
    ch.values[0] = (struct config_value){"application_id", "app-1234"};
    ch.n_values = 1;
    assert_int_equal(t->media_key(&ch, &key, err), SK_EINVAL);
    assert_non_null(strstr(err, "go together"));
    ch.values[1] = (struct config_value){"private_key_file", "/nonexistent"};
    ch.n_values = 2;
    err[0] = '\0';
    assert_int_equal(t->media_key(&ch, &key, err), SK_EINVAL);
    assert_non_null(strstr(err, "private_key_file"));
    ch.values[1].value = path;
    assert_int_equal(t->media_key(&ch, &key, err), 0);
    assert_non_null(key);

    assert_int_equal(t->media_token(&ch, key, 1700000000, tok, sizeof(tok)), 0);
    assert_int_equal(t->media_token(&ch, key, 1700000000, small, sizeof(small)),
                     SK_ELIMIT);
    d1 = strchr(tok, '.');
    d2 = d1 != NULL ? strchr(d1 + 1, '.') : NULL;
    assert_non_null(d2);
    h = b64_json(tok, (size_t)(d1 - tok));
    p = b64_json(d1 + 1, (size_t)(d2 - d1 - 1));
    assert_string_equal(json_string_value(json_object_get(h, "alg")), "RS256");
    assert_string_equal(json_string_value(json_object_get(p, "application_id")),
                        "app-1234");
    assert_int_equal(json_integer_value(json_object_get(p, "iat")), 1700000000);
    assert_true(json_integer_value(json_object_get(p, "exp")) > 1700000000);
    assert_int_equal(strlen(json_string_value(json_object_get(p, "jti"))), 32);
    json_decref(h);
    json_decref(p);

    /* the signature verifies under the key's public half */
    n = strlen(d2 + 1);
    sig64 = calloc(1, n + 4);
    for (i = 0; i < n; i++)
        sig64[i] = d2[1 + i] == '-' ? '+' : d2[1 + i] == '_' ? '/' : d2[1 + i];
    while (i % 4 != 0)
        sig64[i++] = '=';
    len = EVP_DecodeBlock(sig, (unsigned char *)sig64, (int)i);
    free(sig64);
    assert_true(len >= 256);
    md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk), 1);
    assert_int_equal(EVP_DigestVerify(md, sig, 256, (const unsigned char *)tok,
                                      (size_t)(d2 - tok)),
                     1);
    /* and not over anything else */
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk), 1);
    assert_int_not_equal(EVP_DigestVerify(md, sig, 256,
                                          (const unsigned char *)tok + 1,
                                          (size_t)(d2 - tok) - 1),
                         1);
    EVP_MD_CTX_free(md);
    t->media_key_free(key);
    t->media_key_free(NULL);
    EVP_PKEY_free(pk);
    unlink(path);
}

/* --- allocation failures ---------------------------------------------------
 */

/* Reading an input event with a recording and rendering a spoken answer's
 * NCCO fail cleanly at every allocation in turn (ASan: no leak). */
static void
test_alloc_failures(void **state)
{
    const struct channel_type *t = channel_find("vonage");
    const char *body =
        "{\"from\":\"447700900000\",\"uuid\":\"u1\",\"dtmf\":{\"digits\":"
        "\"\"},\"speech\":{\"recording_url\":\"https://api.nexmo.com/v1/"
        "files/f1\"}}";
    const char *reply = "{\"prompts\":[{\"text\":\"Say it\"},{\"text\":\"x\","
                        "\"audio_url\":\"/prompts/eng/q.wav\"}],\"lang\":"
                        "\"eng\",\"wait\":{\"kind\":\"audio\"}}";
    char err[SK_ERR_LEN];
    long n;
    int rc;

    (void)state;
    failalloc_jansson();
    for (n = 1;; n++) {
        struct channel_request r =
            json_request("/c/vg/voice/record?n=2&ni=e", body, NULL);
        struct channel_call call;

        err[0] = '\0';
        failalloc_arm(n, false);
        rc = t->parse_call(&vg, &r, &call, err);
        failalloc_disarm();
        if (rc == 0) {
            assert_string_equal(call.recording_url,
                                "https://api.nexmo.com/v1/files/f1");
            channel_call_clear(&call);
            break;
        }
        assert_null(call.urn);
    }
    for (n = 1;; n++) {
        struct channel_reply out;

        failalloc_arm(n, false);
        rc = voicestep_render(t, &vg, vg.name, reply, 6, NULL, false, &out);
        failalloc_disarm();
        if (rc == 0) {
            assert_non_null(strstr(out.body, "\"saveAudio\":true"));
            channel_reply_clear(&out);
            break;
        }
        assert_null(out.body);
    }
    assert_true(n > 5);
    json_set_alloc_funcs(malloc, free);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwt),
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_parse_call),
        cmocka_unit_test(test_ncco_digits),
        cmocka_unit_test(test_ncco_record_hangup_poll),
        cmocka_unit_test(test_media_token),
        cmocka_unit_test(test_alloc_failures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
