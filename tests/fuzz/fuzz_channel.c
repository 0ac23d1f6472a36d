/*
 * fuzz_channel.c - libFuzzer target: one provider's webhook readers,
 * built once per channel type (SK_FUZZ_CHANNEL names its struct
 * channel_type: fuzz_twilio, fuzz_vonage, fuzz_africastalking,
 * fuzz_kannel).
 *
 * Input: byte 0 picks the Content-Type and the path (receive, status,
 * ussd, voice); then up to the first '\n' the query string, up to the
 * next '\n' the value of every request header (signatures, JWTs), and
 * the rest is the body, handed over as the gateway does (a NUL-terminated
 * copy with its length). Every reader the type has runs on it: verify,
 * parse, parse_status, parse_ussd, parse_call; what parses is rendered.
 * One thread (libFuzzer's).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "channels.h"

#ifndef SK_FUZZ_CHANNEL
#define SK_FUZZ_CHANNEL channel_generic
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *
same_header(void *arg, const char *name)
{
    (void)name;
    return arg;
}

/* The next '\n'-ended part of data[*at..size), as a malloc'd string. */
static char *
part(const uint8_t *data, size_t size, size_t *at, size_t *len, bool last)
{
    size_t from = *at, end = from;
    char *s;

    while (!last && end < size && data[end] != '\n')
        end++;
    if (last)
        end = size;
    if ((s = malloc(end - from + 1)) == NULL)
        return NULL;
    memcpy(s, data + from, end - from);
    s[end - from] = '\0';
    *len = end - from;
    *at = end < size ? end + 1 : end;
    return s;
}

static void
run_readers(const struct channel_type *t, const struct config_channel *ch,
            const struct channel_request *req)
{
    struct sk_inbound in = {0};
    struct channel_status st;
    struct channel_call call = {0};
    struct channel_reply rep = {0};
    char err[SK_ERR_LEN];
    bool start;

    t->verify(ch, req);
    if (t->parse(ch, req, &in, err) == 0) {
        const char *texts[2] = {in.text, in.urn};

        if (t->render(ch, texts, 2, &rep) == 0)
            channel_reply_clear(&rep);
        channel_inbound_clear(&in);
    }
    if (t->parse_status != NULL)
        t->parse_status(ch, req, &st, err);
    if (t->parse_ussd != NULL && t->parse_ussd(ch, req, &in, &start, err) == 0)
        channel_inbound_clear(&in);
    if (t->parse_call != NULL && t->parse_call(ch, req, &call, err) == 0)
        channel_call_clear(&call);
    if (t->render_error(ch, 400, "bad request", &rep) == 0)
        channel_reply_clear(&rep);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const types[] = {
        "application/x-www-form-urlencoded",
        "application/json; charset=utf-8",
        NULL,
        "text/plain",
    };
    static const char *const paths[] = {"/c/demo/receive", "/c/demo/status",
                                        "/c/demo/ussd", "/c/demo/voice"};
    static const struct config cfg = {.public_url =
                                          "https://hotline.example.org"};
    const struct config_channel ch = {
        .name = "demo",
        .type = "fuzz",
        .secret = "s3cret",
        .auth_token = "12345",
        .account_sid = "ACdemo",
        .signature_secret = "sigsecret",
        .signature_method = "sha256",
        .number = "12345",
        .cfg = &cfg,
    };
    struct channel_request req = {.header = same_header};
    char *query = NULL, *hdr = NULL, *body = NULL, *uri = NULL;
    size_t at = 1, qlen, hlen;

    if (size == 0)
        return 0;
    query = part(data, size, &at, &qlen, false);
    hdr = part(data, size, &at, &hlen, false);
    body = part(data, size, &at, &req.body_len, true);
    uri = malloc(sizeof("/c/demo/receive/gather?") + qlen);
    if (query == NULL || hdr == NULL || body == NULL || uri == NULL)
        goto out;
    strcpy(uri, paths[(data[0] >> 2) % 4]);
    if (data[0] & 0x10)
        strcat(uri, "/gather");
    strcat(uri, "?");
    strcat(uri, query);
    req.content_type = types[data[0] % 4];
    req.query = query;
    req.uri = uri;
    req.header_arg = hdr;
    req.body = body;
    run_readers(&SK_FUZZ_CHANNEL, &ch, &req);
out:
    free(query);
    free(hdr);
    free(body);
    free(uri);
    return 0;
}
