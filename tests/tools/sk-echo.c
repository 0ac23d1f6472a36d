/*
 * sk-echo - a stand-in for Sikiliza behind Kannel, for the harness test.
 *
 * It serves the two URLs of the Kannel channel contract on 127.0.0.1:
 *
 *   GET|POST /c/NAME/receive?secret=S&sender=..&message=..&id=..&to=..
 *       answers 202 at once (503 to the first -f requests, to exercise
 *       smsbox's retries), then sends "echo: MESSAGE" back to the sender
 *       through smsbox's /cgi-bin/sendsms: plain text when it is GSM-7,
 *       else coding=2 with charset=UTF-16BE; with dlr-mask=31 and a dlr-url
 *       pointing at its own /status.
 *   GET|POST /c/NAME/status?id=N&status=%d
 *       answers 200.
 *
 * Usage: sk-echo -l PORT -k SENDSMS_PORT -u USER -P PASS -S SECRET [-f N]
 *
 * On stdout, flushed, one line per request: `receive ID CODE METHOD`
 * (Kannel's %I id, the HTTP status answered, GET or POST) and
 * `status ID STATUS METHOD` (delivery reports; ID is the reply's number).
 * Messages are not printed: the phones print what arrives. A sendsms call that
 * fails is retried every 500 ms, up to 60 times (smsbox may be reconnecting to
 * a restarted bearerbox). SIGTERM or SIGINT ends it, freeing everything.
 *
 * One thread, one event loop; the request to smsbox goes through one
 * evhttp_connection, which reconnects by itself.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "gsm.h"

#define MAX_BODY  (64 * 1024)
#define RETRY_MS  500
#define MAX_TRIES 60

struct echo {
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_connection *smsbox;
    int port, smsbox_port;
    const char *user, *pass, *secret;
    long fail_first, failed;
    long replies;           /* numbers the replies, for their dlr-url */
    TAILQ_HEAD(, job) jobs; /* sendsms calls not yet answered 2xx */
};

struct job {
    TAILQ_ENTRY(job) link;
    struct echo *e;
    char *uri; /* path and query of the sendsms request */
    int tries;
    struct event *timer;
};

static void job_send(struct job *job);

static void
job_free(struct job *job)
{
    if (job == NULL)
        return;
    TAILQ_REMOVE(&job->e->jobs, job, link);
    if (job->timer)
        event_free(job->timer);
    free(job->uri);
    free(job);
}

static void
job_retry_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    job_send(arg);
}

static void
job_later(struct job *job)
{
    struct timeval tv = {0, RETRY_MS * 1000};

    if (++job->tries >= MAX_TRIES) {
        fprintf(stderr, "sk-echo: sendsms failed %d times; reply dropped\n",
                job->tries);
        job_free(job);
        return;
    }
    evtimer_add(job->timer, &tv);
}

static void
job_done_cb(struct evhttp_request *req, void *arg)
{
    struct job *job = arg;
    int code = req ? evhttp_request_get_response_code(req) : 0;

    if (code == 200 || code == 202)
        job_free(job);
    else
        job_later(job);
}

static void
job_send(struct job *job)
{
    struct evhttp_request *req = evhttp_request_new(job_done_cb, job);

    if (req == NULL) {
        job_later(job);
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "Host",
                      "127.0.0.1");
    /* On failure libevent frees req and never calls job_done_cb. */
    if (evhttp_make_request(job->e->smsbox, req, EVHTTP_REQ_GET, job->uri))
        job_later(job);
}

/* Appends name=value, the value percent-encoded byte by byte. */
static void
add_param(struct evbuffer *b, const char *name, const unsigned char *v,
          size_t n)
{
    evbuffer_add_printf(b, "&%s=", name);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = v[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')
            evbuffer_add(b, &c, 1);
        else
            evbuffer_add_printf(b, "%%%02X", c);
    }
}

static void
add_str(struct evbuffer *b, const char *name, const char *v)
{
    add_param(b, name, (const unsigned char *)v, strlen(v));
}

/* Queues the sendsms call that echoes text to sender. */
static int
echo_reply(struct echo *e, const char *name, const char *sender, const char *to,
           const char *text)
{
    struct evbuffer *b = evbuffer_new();
    struct job *job = calloc(1, sizeof(*job));
    char *reply = NULL, dlr[256];
    size_t n;

    if (b == NULL || job == NULL)
        goto fail;
    if ((reply = malloc(strlen(text) + 7)) == NULL)
        goto fail;
    strcpy(reply, "echo: ");
    strcat(reply, text);
    evbuffer_add_printf(b, "/cgi-bin/sendsms?");
    add_str(b, "username", e->user);
    add_str(b, "password", e->pass);
    add_str(b, "from", to);
    add_str(b, "to", sender);
    if (gsm_is_gsm7(reply)) {
        add_str(b, "text", reply);
    } else {
        unsigned char *u = gsm_utf16be(reply, &n);

        if (u == NULL)
            goto fail;
        add_param(b, "text", u, n);
        free(u);
        add_str(b, "coding", "2");
        add_str(b, "charset", "UTF-16BE");
    }
    snprintf(dlr, sizeof(dlr),
             "http://127.0.0.1:%d/c/%s/status?id=%ld&status=%%d", e->port, name,
             ++e->replies);
    add_str(b, "dlr-mask", "31");
    add_str(b, "dlr-url", dlr);
    evbuffer_add(b, "", 1);
    job->e = e;
    job->uri = strdup((const char *)evbuffer_pullup(b, -1));
    job->timer = evtimer_new(e->base, job_retry_cb, job);
    if (job->uri == NULL || job->timer == NULL)
        goto fail;
    TAILQ_INSERT_TAIL(&e->jobs, job, link);
    free(reply);
    evbuffer_free(b);
    job_send(job);
    return 0;
fail:
    if (job) {
        if (job->timer)
            event_free(job->timer);
        free(job->uri);
    }
    free(job);
    free(reply);
    if (b)
        evbuffer_free(b);
    return -1;
}

static void
reply(struct evhttp_request *req, int code, const char *why)
{
    struct evbuffer *body = evbuffer_new();

    if (body)
        evbuffer_add_printf(body, "%s\n", why);
    evhttp_send_reply(req, code, why, body);
    if (body)
        evbuffer_free(body);
}

static const char *
method_name(struct evhttp_request *req)
{
    return evhttp_request_get_command(req) == EVHTTP_REQ_GET ? "GET" : "POST";
}

/* Every request gets exactly one reply. */
static void
request_cb(struct evhttp_request *req, void *arg)
{
    struct echo *e = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = evhttp_uri_get_path(uri);
    const char *query = evhttp_uri_get_query(uri);
    struct evkeyvalq q;
    const char *secret, *sender, *message, *id, *to, *status, *slash;
    char name[64];
    int code = 0;

    TAILQ_INIT(&q);
    if (path == NULL || strncmp(path, "/c/", 3) != 0 ||
        (slash = strchr(path + 3, '/')) == NULL ||
        (size_t)(slash - path - 3) >= sizeof(name) || slash == path + 3) {
        reply(req, HTTP_NOTFOUND, "Not Found");
        return;
    }
    memcpy(name, path + 3, (size_t)(slash - path - 3));
    name[slash - path - 3] = '\0';
    if (query == NULL || evhttp_parse_query_str(query, &q) != 0) {
        reply(req, HTTP_BADREQUEST, "Bad Request");
        goto out;
    }
    if (strcmp(slash, "/status") == 0) {
        id = evhttp_find_header(&q, "id");
        status = evhttp_find_header(&q, "status");
        printf("status %s %s %s\n", id ? id : "-", status ? status : "-",
               method_name(req));
        fflush(stdout);
        reply(req, HTTP_OK, "OK");
        goto out;
    }
    if (strcmp(slash, "/receive") != 0) {
        reply(req, HTTP_NOTFOUND, "Not Found");
        goto out;
    }
    secret = evhttp_find_header(&q, "secret");
    sender = evhttp_find_header(&q, "sender");
    message = evhttp_find_header(&q, "message");
    id = evhttp_find_header(&q, "id");
    to = evhttp_find_header(&q, "to");
    if (secret == NULL || strcmp(secret, e->secret) != 0) {
        code = 403;
        reply(req, code, "Forbidden");
    } else if (!sender || !message || !id || !to || !*sender || !*to) {
        code = HTTP_BADREQUEST;
        reply(req, code, "Bad Request");
    } else if (e->failed < e->fail_first) {
        e->failed++;
        code = HTTP_SERVUNAVAIL;
        reply(req, code, "Service Unavailable");
    } else if (echo_reply(e, name, sender, to, message) != 0) {
        code = HTTP_SERVUNAVAIL;
        reply(req, code, "Service Unavailable");
    } else {
        code = 202;
        reply(req, code, "Accepted");
    }
    printf("receive %s %d %s\n", id ? id : "-", code, method_name(req));
    fflush(stdout);
out:
    evhttp_clear_headers(&q);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopexit(arg, NULL);
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: sk-echo -l PORT -k SENDSMS_PORT -u USER -P PASS "
               "-S SECRET [-f FAIL_FIRST]\n");
}

int
main(int argc, char **argv)
{
    struct echo e = {.user = NULL};
    struct job *job;
    struct event *sigterm = NULL, *sigint = NULL;
    int c, rc = 3;

    while ((c = getopt(argc, argv, "l:k:u:P:S:f:h")) != -1) {
        switch (c) {
        case 'l':
            e.port = atoi(optarg);
            break;
        case 'k':
            e.smsbox_port = atoi(optarg);
            break;
        case 'u':
            e.user = optarg;
            break;
        case 'P':
            e.pass = optarg;
            break;
        case 'S':
            e.secret = optarg;
            break;
        case 'f':
            e.fail_first = atol(optarg);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc || e.port <= 0 || e.port > 65535 || e.smsbox_port <= 0 ||
        e.smsbox_port > 65535 || !e.user || !e.pass || !e.secret) {
        usage(stderr);
        return 2;
    }
    TAILQ_INIT(&e.jobs);
    signal(SIGPIPE, SIG_IGN);
    if ((e.base = event_base_new()) == NULL)
        goto out;
    sigterm = evsignal_new(e.base, SIGTERM, signal_cb, e.base);
    sigint = evsignal_new(e.base, SIGINT, signal_cb, e.base);
    if (!sigterm || !sigint || event_add(sigterm, NULL) ||
        event_add(sigint, NULL))
        goto out;
    e.http = evhttp_new(e.base);
    e.smsbox = evhttp_connection_base_new(e.base, NULL, "127.0.0.1",
                                          (ev_uint16_t)e.smsbox_port);
    if (e.http == NULL || e.smsbox == NULL)
        goto out;
    evhttp_connection_set_timeout(e.smsbox, 10);
    evhttp_set_max_body_size(e.http, MAX_BODY);
    evhttp_set_timeout(e.http, 30);
    evhttp_set_allowed_methods(e.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    evhttp_set_gencb(e.http, request_cb, &e);
    if (evhttp_bind_socket(e.http, "127.0.0.1", (ev_uint16_t)e.port) != 0) {
        fprintf(stderr, "sk-echo: cannot listen on 127.0.0.1:%d\n", e.port);
        goto out;
    }
    event_base_dispatch(e.base);
    rc = 0;
out:
    if (!TAILQ_EMPTY(&e.jobs))
        fprintf(stderr, "sk-echo: replies unsent at exit\n");
    if (e.http)
        evhttp_free(e.http);
    /* Cancels the calls in flight; then the jobs left are freed. */
    if (e.smsbox)
        evhttp_connection_free(e.smsbox);
    while ((job = TAILQ_FIRST(&e.jobs)) != NULL)
        job_free(job);
    if (sigterm)
        event_free(sigterm);
    if (sigint)
        event_free(sigint);
    if (e.base)
        event_base_free(e.base);
    if (rc == 3)
        fprintf(stderr, "sk-echo: cannot start\n");
    return rc;
}
