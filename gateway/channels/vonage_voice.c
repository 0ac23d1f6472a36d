/*
 * vonage_voice.c - the Vonage Voice API: the call webhooks and NCCO.
 *
 * The Vonage application's answer URL (/c/NAME/voice, GET with a query or
 * POST with JSON: from, to, uuid, conversation_uuid) is answered with an
 * NCCO (ncco.h). Prompts are "talk" (the flow's language as a Vonage
 * language code) or "stream" for a recorded prompt. Every wait is an
 * "input" action whose eventUrl is the step's action URL: Vonage POSTs
 * what the caller gave there as JSON (from, uuid, dtmf.digits,
 * dtmf.timed_out, speech.recording_url) and runs the NCCO it gets back.
 * A keypad wait takes dtmf; a recording wait takes dtmf and speech with
 * saveAudio, so a key still answers it and the saved audio comes back as
 * speech.recording_url, fetched and heard here (Vonage's own speech result
 * is ignored). Vonage's "record" action is not used: its event carries
 * neither the caller nor the call's leg, and its answer does not steer the
 * call. An input that timed out with nothing goes where the step's
 * no-input URL would (the eventUrl's "ni" says which). A poll is an input
 * that waits pause_s for nothing. The application's event URL
 * (/c/NAME/voice/status) gets the call's status; completed, busy,
 * timeout, failed, rejected, cancelled and unanswered end the call.
 *
 * Signed webhooks: with a signature_secret, every call webhook must carry
 * "Authorization: Bearer JWT", HS256 under that secret, whose payload_hash
 * claim is the SHA-256 of the body. Its iat is not checked (no clock
 * here): a replayed webhook is a retried step, answered as before by the
 * step's dedupe. Recordings are fetched with the application's own JWT
 * (RS256, below).
 *
 * Pure: no I/O, no clock. Any thread.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "channels.h"
#include "hex.h"
#include "ncco.h"
#include "voicexml.h"

#define JWT_MAX 8192 /* longest token taken */

/* --- signed webhooks ------------------------------------------------------
 */

static int
b64url_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decodes base64url s[0..n) (no padding) into out (at most cap bytes):
 * its length, or -1 for a character outside the alphabet, a length no
 * encoding has, or too little room. */
static long
b64url_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
    unsigned long acc = 0;
    size_t i, len = 0;
    int bits = 0, v;

    if (n % 4 == 1)
        return -1;
    for (i = 0; i < n; i++) {
        if ((v = b64url_value((unsigned char)s[i])) < 0)
            return -1;
        acc = (acc << 6) | (unsigned long)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (len == cap)
                return -1;
            out[len++] = (unsigned char)(acc >> bits);
            acc &= (1ul << bits) - 1;
        }
    }
    return (long)len;
}

/* The JSON object encoded in s[0..n), or NULL. */
static json_t *
b64url_json(const char *s, size_t n)
{
    unsigned char buf[JWT_MAX];
    long len = b64url_decode(s, n, buf, sizeof(buf));
    json_t *o;

    if (len < 0)
        return NULL;
    o = json_loadb((const char *)buf, (size_t)len, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Whether the payload's payload_hash is the SHA-256 of body (required
 * when there is a body). */
static bool
jwt_body_ok(const json_t *payload, const char *body, size_t len)
{
    const char *want =
        json_string_value(json_object_get(payload, "payload_hash"));
    unsigned char md[SHA256_DIGEST_LENGTH];
    char hex[2 * SHA256_DIGEST_LENGTH + 1];

    if (want == NULL)
        return len == 0;
    SHA256((const unsigned char *)(body != NULL ? body : ""), len, md);
    sk_hex_encode(md, sizeof(md), hex);
    return strlen(want) == strlen(hex) && strcasecmp(want, hex) == 0;
}

bool
vonage_jwt_verify(const char *secret, const char *authorization,
                  const char *body, size_t body_len)
{
    const char *tok, *dot1, *dot2;
    unsigned char mac[EVP_MAX_MD_SIZE], sig[64];
    unsigned int mac_len = 0;
    json_t *head = NULL, *payload = NULL;
    long sig_len;
    bool ok = false;

    if (secret == NULL || secret[0] == '\0' || authorization == NULL ||
        strncasecmp(authorization, "Bearer ", 7) != 0)
        return false;
    tok = authorization + 7;
    while (*tok == ' ')
        tok++;
    if (strlen(tok) > JWT_MAX || (dot1 = strchr(tok, '.')) == NULL ||
        (dot2 = strchr(dot1 + 1, '.')) == NULL || strchr(dot2 + 1, '.'))
        return false;
    head = b64url_json(tok, (size_t)(dot1 - tok));
    payload = b64url_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (head == NULL || payload == NULL ||
        json_string_value(json_object_get(head, "alg")) == NULL ||
        strcmp(json_string_value(json_object_get(head, "alg")), "HS256") != 0)
        goto out;
    sig_len = b64url_decode(dot2 + 1, strlen(dot2 + 1), sig, sizeof(sig));
    if (HMAC(EVP_sha256(), secret, (int)strlen(secret),
             (const unsigned char *)tok, (size_t)(dot2 - tok), mac,
             &mac_len) == NULL ||
        sig_len != (long)mac_len || CRYPTO_memcmp(sig, mac, mac_len) != 0)
        goto out;
    ok = jwt_body_ok(payload, body, body_len);
out:
    json_decref(head);
    json_decref(payload);
    return ok;
}

bool
vonage_is_call_request(const struct channel_request *req)
{
    const char *p = req->uri, *rest;

    if (p == NULL || strncmp(p, "/c/", 3) != 0 ||
        (rest = strchr(p + 3, '/')) == NULL)
        return false;
    return strncmp(rest, "/voice", 6) == 0 &&
           (rest[6] == '\0' || rest[6] == '/' || rest[6] == '?');
}

int
vonage_verify_call(const struct config_channel *ch,
                   const struct channel_request *req)
{
    const char *auth;

    if (ch->signature_secret == NULL || ch->signature_secret[0] == '\0')
        return 0;
    auth = req->header != NULL ? req->header(req->header_arg, "Authorization")
                               : NULL;
    return vonage_jwt_verify(ch->signature_secret, auth, req->body,
                             req->body_len)
               ? 0
               : SK_EDENIED;
}

/* --- the call's webhooks --------------------------------------------------
 */

static bool
vonage_call_over(const char *state)
{
    static const char *const over[] = {"completed", "busy",     "timeout",
                                       "failed",    "rejected", "cancelled",
                                       "unanswered"};

    return channel_one_of(state, over, sizeof(over) / sizeof(over[0]));
}

/* What an input event holds beyond the top-level fields. */
struct vonage_input {
    char *digits;        /* dtmf.digits, or NULL */
    char *recording_url; /* speech.recording_url, or NULL */
};

static int
vonage_input_read(const struct channel_request *req, struct vonage_input *in,
                  char err[SK_ERR_LEN])
{
    json_t *root, *dtmf, *speech;
    const char *d, *r;
    int rc = 0;

    memset(in, 0, sizeof(*in));
    if (req->body == NULL || req->body_len == 0 ||
        !channel_content_type_is(req->content_type, "application/json"))
        return 0;
    if ((root = json_loadb(req->body, req->body_len, 0, NULL)) == NULL)
        return 0; /* channel_pairs_request() has reported it */
    dtmf = json_object_get(root, "dtmf");
    speech = json_object_get(root, "speech");
    d = json_string_value(json_object_get(dtmf, "digits"));
    r = json_string_value(json_object_get(speech, "recording_url"));
    if ((d != NULL && strlen(d) > CHANNEL_MAX_ID) ||
        (r != NULL && strlen(r) > 4096)) {
        sk_seterr(err, "\"dtmf\" or \"speech\" is too long");
        rc = SK_EINVAL;
    } else {
        in->digits = voicexml_dup(d, &rc);
        in->recording_url = voicexml_dup(r, &rc);
    }
    json_decref(root);
    return rc;
}

/* The caller's number as Vonage gives it (447700900000) made "+4477...",
 * into buf. */
static const char *
vonage_from(const char *from, char *buf, size_t cap)
{
    if (from == NULL || from[0] == '\0' || from[0] == '+' ||
        strspn(from, "0123456789") != strlen(from) || strlen(from) + 2 > cap)
        return from;
    buf[0] = '+';
    strcpy(buf + 1, from);
    return buf;
}

/* Where an input that timed out with nothing goes: the eventUrl's "ni". */
static void
vonage_no_input(const struct channel_pairs *p, struct channel_call *call)
{
    bool dup;
    const char *ni = channel_pairs_get(p, "ni", &dup);

    if (ni == NULL || dup || call->digits != NULL ||
        call->recording_url != NULL)
        return;
    if (strcmp(ni, "t") == 0)
        call->no_input = CHANNEL_NO_INPUT_TIMEOUT;
    else if (strcmp(ni, "e") == 0)
        call->no_input = CHANNEL_NO_INPUT_EMPTY;
}

int
vonage_parse_call(const struct config_channel *ch,
                  const struct channel_request *req, struct channel_call *call,
                  char err[SK_ERR_LEN])
{
    struct channel_pairs p = {0};
    struct vonage_input in = {0};
    const char *uuid = NULL, *from = NULL, *state = NULL;
    char num[CHANNEL_MAX_URN];
    int rc;

    (void)ch;
    memset(call, 0, sizeof(*call));
    if ((rc = channel_pairs_request(&p, req, err)) != 0 ||
        (rc = channel_pairs_text(&p, "uuid", &uuid, err)) != 0 ||
        (rc = channel_pairs_text(&p, "from", &from, err)) != 0 ||
        (rc = channel_pairs_text(&p, "status", &state, err)) != 0 ||
        (rc = vonage_input_read(req, &in, err)) != 0)
        goto out;
    rc = voicexml_call_fill(
        call,
        &(struct voicexml_fields){uuid, "uuid",
                                  vonage_from(from, num, sizeof(num)), "from",
                                  in.digits, "dtmf.digits", in.recording_url},
        err);
    if (rc != 0)
        goto out;
    call->ended = vonage_call_over(state);
    if (state != NULL && strlen(state) < sizeof(call->state) &&
        strspn(state, "abcdefghijklmnopqrstuvwxyz_-") == strlen(state))
        strcpy(call->state, state);
    vonage_no_input(&p, call);
out:
    if (rc != 0)
        channel_call_clear(call);
    free(in.digits);
    free(in.recording_url);
    channel_pairs_clear(&p);
    return rc;
}

/* --- NCCO -----------------------------------------------------------------
 */

/* The prompts; the last one may be cut short by a key when an input
 * follows (Vonage lets only the action before an input barge in). */
static int
vonage_prompts(struct ncco *n, const struct config_channel *ch,
               const struct channel_voice *v, bool input)
{
    const char *language = channel_speech_language(v->lang);
    size_t i, last = 0;

    for (i = 0; i < v->n_prompts; i++)
        if ((v->prompts[i].audio_url != NULL &&
             v->prompts[i].audio_url[0] != '\0') ||
            (v->prompts[i].text != NULL && v->prompts[i].text[0] != '\0'))
            last = i;
    for (i = 0; i < v->n_prompts; i++) {
        const struct channel_prompt *p = &v->prompts[i];
        bool barge = input && i == last;

        if (p->audio_url != NULL && p->audio_url[0] != '\0') {
            char *url = voicexml_prompt_url(ch, p->audio_url);

            if (url == NULL)
                return SK_ENOMEM;
            ncco_stream(n, url, barge);
            free(url);
        } else if (p->text != NULL && p->text[0] != '\0') {
            ncco_talk(n, p->text, language, barge);
        }
    }
    return 0;
}

/* The absolute eventUrl of an input: the action, with "ni" saying where
 * an input that timed out with nothing goes (t: the wait's timeout, e: an
 * empty answer). malloc'd, or NULL. */
static char *
vonage_event_url(const struct config_channel *ch, const struct channel_voice *v)
{
    struct sk_buf b = {0};
    char *url;

    if (v->action == NULL)
        return NULL;
    sk_buf_str(&b, v->action);
    if (v->no_input != NULL)
        sk_buf_str(&b, strstr(v->no_input, "/voice/timeout") != NULL ? "&ni=t"
                                                                     : "&ni=e");
    if (b.fail) {
        sk_buf_free(&b);
        return NULL;
    }
    url = voicexml_url(ch, b.s, NULL);
    sk_buf_free(&b);
    return url;
}

static void
vonage_wait(struct ncco *n, const struct channel_voice *v, const char *url)
{
    struct ncco_input in = {.event_url = url};

    switch (v->next) {
    case CHANNEL_VOICE_DIGITS:
        in.max_digits = v->num_digits;
        in.submit_on_hash =
            v->num_digits <= 0 ||
            (v->finish_key != NULL && strchr(v->finish_key, '#') != NULL);
        in.timeout_s = v->timeout_s > 0 ? v->timeout_s : 5;
        break;
    case CHANNEL_VOICE_RECORD:
        in.max_digits = 1;
        in.timeout_s = v->timeout_s > 0 ? v->timeout_s : 5;
        in.speech = true;
        in.language = channel_speech_language(v->lang);
        in.speech_max_s = v->max_length_s > 0 ? v->max_length_s : 30;
        in.speech_silence_s = v->timeout_s > 0 ? v->timeout_s : 3;
        in.speech_start_s = v->timeout_s > 0 ? v->timeout_s : 5;
        break;
    case CHANNEL_VOICE_POLL:
        in.max_digits = 1;
        in.timeout_s = v->pause_s > 0 ? v->pause_s : 1;
        break;
    case CHANNEL_VOICE_HANGUP:
        return;
    }
    ncco_input(n, &in);
}

int
vonage_render_call(const struct config_channel *ch,
                   const struct channel_voice *v, struct channel_reply *out)
{
    bool input = v->next != CHANNEL_VOICE_HANGUP;
    struct ncco *n = ncco_new();
    char *url = input ? vonage_event_url(ch, v) : NULL;
    int rc = SK_ENOMEM;

    memset(out, 0, sizeof(*out));
    if (n == NULL || (input && url == NULL))
        goto out;
    if ((rc = vonage_prompts(n, ch, v, input)) != 0)
        goto out;
    vonage_wait(n, v, url);
    rc = SK_ENOMEM;
    if ((out->body = ncco_dump(n, &out->body_len)) == NULL)
        goto out;
    out->code = 200;
    out->content_type = "application/json";
    rc = 0;
out:
    free(url);
    ncco_free(n);
    return rc;
}

/* --- the media API: the application's JWT ------------------------------
 *
 * Recordings at api.nexmo.com (/v1/files/...) are fetched with a JWT the
 * Vonage application signs with its private key (RS256): application_id,
 * iat, exp and a fresh jti as claims. The key is read once at start-up
 * from private_key_file; each fetch gets a token of its own.
 */

#define VONAGE_JWT_TTL_S 300

/* The value the channel's section gave key (a key without a field of its
 * own), or NULL. Read here from ch->values, as config_channel_value()
 * does, so that no call goes from a channel type back to the config. */
static const char *
vonage_value(const struct config_channel *ch, const char *key)
{
    size_t i;

    for (i = 0; i < ch->n_values; i++)
        if (strcmp(ch->values[i].key, key) == 0)
            return ch->values[i].value;
    return NULL;
}

int
vonage_media_key(const struct config_channel *ch, void **key,
                 char err[SK_ERR_LEN])
{
    const char *app = vonage_value(ch, "application_id");
    const char *file = vonage_value(ch, "private_key_file");
    EVP_PKEY *pk = NULL;
    BIO *bio;

    *key = NULL;
    if (app == NULL && file == NULL)
        return 0; /* recordings are fetched without credentials */
    if (app == NULL || file == NULL) {
        sk_seterr(err,
                  "channel '%s': application_id and private_key_file "
                  "go together",
                  ch->name);
        return SK_EINVAL;
    }
    if ((bio = BIO_new_file(file, "r")) != NULL) {
        pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        BIO_free(bio);
    }
    if (pk == NULL || EVP_PKEY_base_id(pk) != EVP_PKEY_RSA) {
        EVP_PKEY_free(pk);
        sk_seterr(err,
                  "channel '%s': private_key_file %s: not a readable RSA "
                  "private key (PEM)",
                  ch->name, file);
        return SK_EINVAL;
    }
    *key = pk;
    return 0;
}

void
vonage_media_key_free(void *key)
{
    EVP_PKEY_free(key);
}

/* Appends s[0..n) base64url-encoded (no padding) to b. */
static void
b64url_add(struct sk_buf *b, const unsigned char *s, size_t n)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t i;

    for (i = 0; i + 2 < n; i += 3) {
        unsigned long v = ((unsigned long)s[i] << 16) |
                          ((unsigned long)s[i + 1] << 8) | s[i + 2];

        sk_buf_addc(b, abc[(v >> 18) & 63]);
        sk_buf_addc(b, abc[(v >> 12) & 63]);
        sk_buf_addc(b, abc[(v >> 6) & 63]);
        sk_buf_addc(b, abc[v & 63]);
    }
    if (n - i == 1) {
        sk_buf_addc(b, abc[s[i] >> 2]);
        sk_buf_addc(b, abc[(s[i] & 3) << 4]);
    } else if (n - i == 2) {
        sk_buf_addc(b, abc[s[i] >> 2]);
        sk_buf_addc(b, abc[((s[i] & 3) << 4) | (s[i + 1] >> 4)]);
        sk_buf_addc(b, abc[(s[i + 1] & 15) << 2]);
    }
}

/* Appends o (consumed) as compact JSON, base64url-encoded. */
static void
b64url_json_add(struct sk_buf *b, json_t *o)
{
    char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

    if (s == NULL)
        b->fail = true;
    else
        b64url_add(b, (const unsigned char *)s, strlen(s));
    free(s);
    json_decref(o);
}

/* Signs b's text with key (RS256) and appends "." and the signature. */
static void
jwt_sign(struct sk_buf *b, EVP_PKEY *key)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char sig[1024];
    size_t len = sizeof(sig);

    if (md == NULL || b->fail ||
        EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSignUpdate(md, b->s, b->len) != 1 ||
        EVP_DigestSignFinal(md, NULL, &len) != 1 || len > sizeof(sig) ||
        EVP_DigestSignFinal(md, sig, &len) != 1)
        b->fail = true;
    else {
        sk_buf_addc(b, '.');
        b64url_add(b, sig, len);
    }
    EVP_MD_CTX_free(md);
}

int
vonage_media_token(const struct config_channel *ch, const void *key,
                   int64_t now, char *out, size_t cap)
{
    const char *app = vonage_value(ch, "application_id");
    unsigned char rnd[16];
    char jti[2 * sizeof(rnd) + 1];
    struct sk_buf b = {0};
    int rc = SK_ENOMEM;

    if (key == NULL || app == NULL || cap == 0)
        return SK_EINVAL;
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return SK_EIO;
    sk_hex_encode(rnd, sizeof(rnd), jti);
    b64url_json_add(&b, json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT"));
    sk_buf_addc(&b, '.');
    b64url_json_add(&b, json_pack("{s:s, s:I, s:I, s:s}", "application_id", app,
                                  "iat", (json_int_t)now, "exp",
                                  (json_int_t)(now + VONAGE_JWT_TTL_S), "jti",
                                  jti));
    jwt_sign(&b, (EVP_PKEY *)key);
    if (!b.fail && b.len < cap) {
        memcpy(out, b.s, b.len + 1);
        rc = 0;
    } else if (!b.fail) {
        rc = SK_ELIMIT;
    }
    if (b.s != NULL)
        OPENSSL_cleanse(b.s, b.len);
    sk_buf_free(&b);
    return rc;
}
