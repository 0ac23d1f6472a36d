/*
 * fuzz_generic.c - libFuzzer target: the generic channel's request parser.
 *
 * The first byte of the input picks the Content-Type (form, JSON, none,
 * or something else); the rest is the body, handed over as the gateway
 * does (a NUL-terminated copy with its length). A parsed message is also
 * rendered back as a reply, and the body is tried as a query string for
 * the secret check.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "channels.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *
no_header(void *arg, const char *name)
{
    (void)arg;
    (void)name;
    return NULL;
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
    struct config_channel ch = {
        .name = "demo", .type = "generic", .secret = "s3cret"};
    struct channel_request req = {.header = no_header};
    struct sk_inbound in = {0};
    struct channel_reply rep = {0};
    char err[SK_ERR_LEN];
    char *body;

    if (size == 0)
        return 0;
    if ((body = malloc(size)) == NULL)
        return 0;
    memcpy(body, data + 1, size - 1);
    body[size - 1] = '\0';
    req.content_type = types[data[0] % 4];
    req.body = body;
    req.body_len = size - 1;
    if (channel_generic.parse(&ch, &req, &in, err) == 0) {
        const char *texts[2] = {in.text, in.urn};

        if (channel_generic.render(&ch, texts, 2, &rep) == 0)
            channel_reply_clear(&rep);
        channel_inbound_clear(&in);
    }
    req.query = body;
    channel_generic.verify(&ch, &req);
    free(body);
    return 0;
}
