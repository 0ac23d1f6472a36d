/*
 * sk-hook - a local receiver for webhooks, for the end-to-end tests (the
 * safeguarding alerts' notify_url). It listens on 127.0.0.1:PORT and
 * answers every POST with 200 ("ok"), or with 503 to the first -f N
 * requests (a receiver that is not ready yet), appending each body it
 * accepts to the -o file as one line (newlines in a body become spaces)
 * together with its path: PATH<TAB>BODY. GET /ping answers 200 (for
 * start-up checks) and is not recorded. It is a test tool, so it may
 * write what it is sent.
 *
 * Usage: sk-hook -l PORT -o FILE [-f N]
 * SIGTERM or SIGINT ends it, freeing everything. One thread, one loop.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#define MAX_BODY (64 * 1024)

struct hook {
    FILE *out;
    long refuse; /* requests still to answer 503 */
};

static void
reply(struct evhttp_request *req, int code, const char *reason)
{
    struct evbuffer *b = evbuffer_new();

    if (b != NULL)
        evbuffer_add_printf(b, "%s\n", reason);
    evhttp_send_reply(req, code, reason, b);
    if (b != NULL)
        evbuffer_free(b);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
    struct hook *h = arg;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    const char *uri = evhttp_request_get_uri(req);
    size_t len = evbuffer_get_length(in), i;
    char *body;

    if (evhttp_request_get_command(req) == EVHTTP_REQ_GET) {
        reply(req, strcmp(uri, "/ping") == 0 ? 200 : 404,
              strcmp(uri, "/ping") == 0 ? "OK" : "Not Found");
        return;
    }
    if (h->refuse > 0) {
        h->refuse--;
        printf("hook 503\n");
        fflush(stdout);
        reply(req, 503, "Service Unavailable");
        return;
    }
    if ((body = malloc(len + 1)) == NULL) {
        reply(req, 500, "Internal Server Error");
        return;
    }
    evbuffer_remove(in, body, len);
    body[len] = '\0';
    for (i = 0; i < len; i++)
        if (body[i] == '\n' || body[i] == '\r' || body[i] == '\t')
            body[i] = ' ';
    fprintf(h->out, "%s\t%s\n", uri, body);
    fflush(h->out);
    free(body);
    printf("hook 200\n");
    fflush(stdout);
    reply(req, 200, "OK");
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopexit(arg, NULL);
}

int
main(int argc, char **argv)
{
    struct hook h = {NULL, 0};
    struct event_base *base = NULL;
    struct evhttp *http = NULL;
    struct event *st = NULL, *si = NULL;
    const char *outfile = NULL;
    int port = 0, opt, code = 2;

    while ((opt = getopt(argc, argv, "l:o:f:")) != -1) {
        if (opt == 'l')
            port = atoi(optarg);
        else if (opt == 'o')
            outfile = optarg;
        else if (opt == 'f')
            h.refuse = atol(optarg);
        else
            goto bad;
    }
    if (port <= 0 || port > 65535 || outfile == NULL || optind != argc)
        goto bad;
    signal(SIGPIPE, SIG_IGN);
    code = 1;
    if ((h.out = fopen(outfile, "a")) == NULL) {
        perror(outfile);
        return 1;
    }
    base = event_base_new();
    http = base != NULL ? evhttp_new(base) : NULL;
    if (http == NULL)
        goto out;
    evhttp_set_max_body_size(http, MAX_BODY);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    evhttp_set_gencb(http, on_request, &h);
    if (evhttp_bind_socket(http, "127.0.0.1", (ev_uint16_t)port) != 0) {
        fprintf(stderr, "sk-hook: cannot listen on 127.0.0.1:%d\n", port);
        goto out;
    }
    st = evsignal_new(base, SIGTERM, on_signal, base);
    si = evsignal_new(base, SIGINT, on_signal, base);
    if (st == NULL || si == NULL || event_add(st, NULL) != 0 ||
        event_add(si, NULL) != 0)
        goto out;
    code = event_base_dispatch(base) == 0 ? 0 : 1;
out:
    if (st != NULL)
        event_free(st);
    if (si != NULL)
        event_free(si);
    if (http != NULL)
        evhttp_free(http);
    if (base != NULL)
        event_base_free(base);
    fclose(h.out);
    return code;
bad:
    fprintf(stderr, "usage: sk-hook -l PORT -o FILE [-f N]\n");
    return code;
}
