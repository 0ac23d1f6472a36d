/*
 * webreq.c - a provider's evhttp request as the struct channel_request the
 * channel types read (channel.h): a NUL-terminated copy of the body (it
 * holds the child's number, so it is wiped when freed), the query, the
 * URI and a header lookup. Event loop thread.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "err.h"
#include "http.h"
#include "webreq.h"

static const char *
req_header(void *arg, const char *name)
{
    return evhttp_find_header(
        evhttp_request_get_input_headers((struct evhttp_request *)arg), name);
}

/* A NUL-terminated copy of the request body (already size-limited). */
static char *
copy_body(struct evhttp_request *req, size_t *len)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    char *body = malloc(n + 1);

    if (body == NULL)
        return NULL;
    if (n > 0 && evbuffer_copyout(in, body, n) != (ev_ssize_t)n) {
        free(body);
        return NULL;
    }
    body[n] = '\0';
    *len = n;
    return body;
}

/* Wipes and frees the copy of a request body: it holds the number. */
void
webreq_body_free(const struct channel_request *creq, char *body)
{
    if (body == NULL)
        return;
    explicit_bzero(body, creq->body_len);
    free(body);
}

int
webreq_copy(struct evhttp_request *req, struct channel_request *creq,
            char **body)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);

    memset(creq, 0, sizeof(*creq));
    if ((*body = copy_body(req, &creq->body_len)) == NULL)
        return SK_ENOMEM;
    creq->body = *body;
    creq->query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
    creq->uri = evhttp_request_get_uri(req);
    creq->content_type = req_header(req, "Content-Type");
    creq->header = req_header;
    creq->header_arg = req;
    return 0;
}

void
webreq_error(struct http_server *h, const struct channel_type *t,
             const struct config_channel *cc, struct evhttp_request *req,
             double t0, int code, const char *reason)
{
    struct channel_reply r;

    if (t != NULL && cc != NULL && t->render_error(cc, code, reason, &r) == 0) {
        http_send(h, req, t0, r.code, r.content_type, r.body, r.body_len);
        channel_reply_clear(&r);
        return;
    }
    http_send(h, req, t0, code, "text/plain; charset=utf-8", reason,
              strlen(reason));
}
