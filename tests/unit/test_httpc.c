/*
 * test_httpc.c - the libcurl multi client against a fake server (evhttp)
 * on a loopback port of the same event loop: status codes, Retry-After,
 * request method, headers, body and basic auth, timeouts, a refused
 * connection, a truncated body, the parallel cap with many requests, and
 * httpc_free() with requests in flight.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "httpc.h"

#define NREQ 64

struct hit {
    int n;
    int status;
    char error[32];
    char body[256];
    size_t body_len;
    bool truncated;
    int64_t retry_after_ms;
    int64_t elapsed_ms;
};

struct fx {
    struct event_base *base;
    struct evhttp *http;
    int port;
    struct httpc *h;
    /* the fake server */
    int seen;       /* requests received */
    int active;     /* /delay requests not yet answered */
    int max_active; /* the most at once */
    char last_method[16];
    char last_auth[128];
    char last_ctype[64];
    char last_body[128];
    struct hit hits[NREQ];
};

/* --- the fake server ----------------------------------------------------- */

struct delayed {
    struct fx *fx;
    struct evhttp_request *req;
    struct event *ev;
};

static void
delayed_cb(evutil_socket_t fd, short what, void *arg)
{
    struct delayed *d = arg;

    (void)fd;
    (void)what;
    d->fx->active--;
    evhttp_send_reply(d->req, 200, "OK", NULL);
    event_free(d->ev);
    free(d);
}

static void
server_cb(struct evhttp_request *req, void *arg)
{
    struct fx *fx = arg;
    const char *uri = evhttp_request_get_uri(req);
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    struct evkeyvalq *outh = evhttp_request_get_output_headers(req);
    struct evbuffer *ib = evhttp_request_get_input_buffer(req);
    struct evbuffer *out = evbuffer_new();
    const char *v;
    size_t n;

    fx->seen++;
    switch (evhttp_request_get_command(req)) {
    case EVHTTP_REQ_GET:
        strcpy(fx->last_method, "GET");
        break;
    case EVHTTP_REQ_POST:
        strcpy(fx->last_method, "POST");
        break;
    case EVHTTP_REQ_PUT:
        strcpy(fx->last_method, "PUT");
        break;
    default:
        strcpy(fx->last_method, "OTHER");
        break;
    }
    v = evhttp_find_header(in, "Authorization");
    snprintf(fx->last_auth, sizeof(fx->last_auth), "%s", v ? v : "");
    v = evhttp_find_header(in, "Content-Type");
    snprintf(fx->last_ctype, sizeof(fx->last_ctype), "%s", v ? v : "");
    n = evbuffer_get_length(ib);
    if (n >= sizeof(fx->last_body))
        n = sizeof(fx->last_body) - 1;
    evbuffer_copyout(ib, fx->last_body, n);
    fx->last_body[n] = '\0';

    if (strcmp(uri, "/ok") == 0) {
        evbuffer_add_printf(out, "hello");
        evhttp_send_reply(req, 200, "OK", out);
    } else if (strcmp(uri, "/500") == 0) {
        evbuffer_add_printf(out, "oops");
        evhttp_send_reply(req, 500, "Internal", out);
    } else if (strcmp(uri, "/429") == 0) {
        evhttp_add_header(outh, "Retry-After", "7");
        evhttp_send_reply(req, 429, "Too Many", out);
    } else if (strcmp(uri, "/big") == 0) {
        char *big = malloc(HTTPC_MAX_BODY + 5000);
        memset(big, 'x', HTTPC_MAX_BODY + 5000);
        evbuffer_add(out, big, HTTPC_MAX_BODY + 5000);
        free(big);
        evhttp_send_reply(req, 200, "OK", out);
    } else if (strcmp(uri, "/delay") == 0) {
        struct delayed *d = calloc(1, sizeof(*d));
        struct timeval tv = {0, 20000};
        d->fx = fx;
        d->req = req;
        d->ev = evtimer_new(fx->base, delayed_cb, d);
        evtimer_add(d->ev, &tv);
        if (++fx->active > fx->max_active)
            fx->max_active = fx->active;
    } else if (strcmp(uri, "/hang") == 0) {
        /* never answered: evhttp_free() drops it */
    } else {
        evhttp_send_reply(req, 404, "Not Found", NULL);
    }
    evbuffer_free(out);
}

static void
done_cb(void *arg, const struct httpc_resp *resp)
{
    struct hit *hit = arg;
    size_t n = resp->body_len;

    hit->n++;
    hit->status = resp->status;
    snprintf(hit->error, sizeof(hit->error), "%s",
             resp->error ? resp->error : "");
    if (n >= sizeof(hit->body))
        n = sizeof(hit->body) - 1;
    memcpy(hit->body, resp->body, n);
    hit->body[n] = '\0';
    hit->body_len = resp->body_len;
    hit->truncated = resp->truncated;
    hit->retry_after_ms = resp->retry_after_ms;
    hit->elapsed_ms = resp->elapsed_ms;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

static int64_t
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the loop until *count reaches want or timeout_ms passes (by the
 * clock: one pass of the loop may take anything from no time to a tick). */
static void
run_until(struct fx *fx, const int *count, int want, int timeout_ms)
{
    struct event *tick = event_new(fx->base, -1, EV_PERSIST, tick_cb, NULL);
    struct timeval tv = {0, 10000};
    int64_t end = mono_ms() + timeout_ms;

    event_add(tick, &tv);
    while (*count < want && mono_ms() < end)
        event_base_loop(fx->base, EVLOOP_ONCE);
    event_free(tick);
}

static int
sum_hits(struct fx *fx, int n)
{
    int i, s = 0;

    for (i = 0; i < n; i++)
        s += fx->hits[i].n;
    return s;
}

/* Runs the loop until the first n hits have all been called. */
static void
run_hits(struct fx *fx, int n, int timeout_ms)
{
    int64_t end = mono_ms() + timeout_ms;
    int total = 0;

    while (total < n && mono_ms() < end) {
        run_until(fx, &total, n, 10);
        total = sum_hits(fx, n);
    }
}

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    struct evhttp_bound_socket *bs;
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    char err[SK_ERR_LEN] = "";

    /* Loopback only: never through a proxy from the environment. */
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    assert_non_null(fx);
    fx->base = event_base_new();
    fx->http = evhttp_new(fx->base);
    assert_non_null(fx->http);
    bs = evhttp_bind_socket_with_handle(fx->http, "127.0.0.1", 0);
    assert_non_null(bs);
    assert_int_equal(getsockname(evhttp_bound_socket_get_fd(bs),
                                 (struct sockaddr *)&sa, &sl),
                     0);
    fx->port = ntohs(sa.sin_port);
    evhttp_set_gencb(fx->http, server_cb, fx);
    fx->h = httpc_new(fx->base, 4, err);
    assert_non_null(fx->h);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;

    httpc_free(fx->h);
    evhttp_free(fx->http);
    event_base_free(fx->base);
    free(fx);
    return 0;
}

static void
url(struct fx *fx, char *buf, size_t len, const char *path)
{
    snprintf(buf, len, "http://127.0.0.1:%d%s", fx->port, path);
}

/* --- tests --------------------------------------------------------------- */

static void
test_status_codes(void **state)
{
    struct fx *fx = *state;
    const char *paths[] = {"/ok", "/500", "/429", "/nope"};
    char u[128];
    struct httpc_req req;
    int i;

    for (i = 0; i < 4; i++) {
        memset(&req, 0, sizeof(req));
        url(fx, u, sizeof(u), paths[i]);
        req.url = u;
        assert_int_equal(httpc_request(fx->h, &req, done_cb, &fx->hits[i]), 0);
        assert_int_equal(fx->hits[i].n, 0); /* never called at once */
    }
    assert_int_equal(httpc_pending(fx->h), 4);
    run_hits(fx, 4, 20000);
    assert_int_equal(sum_hits(fx, 4), 4);
    assert_int_equal(fx->hits[0].status, 200);
    assert_string_equal(fx->hits[0].error, "");
    assert_string_equal(fx->hits[0].body, "hello");
    assert_int_equal(fx->hits[0].retry_after_ms, -1);
    assert_int_equal(fx->hits[1].status, 500);
    assert_string_equal(fx->hits[1].body, "oops");
    assert_int_equal(fx->hits[2].status, 429);
    assert_int_equal(fx->hits[2].retry_after_ms, 7000);
    assert_int_equal(fx->hits[3].status, 404);
    assert_string_equal(fx->last_method, "GET");
    assert_int_equal(httpc_pending(fx->h), 0);
}

static void
test_post_auth_headers(void **state)
{
    struct fx *fx = *state;
    const char *hdrs[] = {"Content-Type: application/json"};
    const char body[] = "{\"to\":\"x\"}";
    char u[128];
    struct httpc_req req;

    memset(&req, 0, sizeof(req));
    url(fx, u, sizeof(u), "/ok");
    req.url = u;
    req.headers = hdrs;
    req.n_headers = 1;
    req.body = body;
    req.body_len = strlen(body);
    req.user = "user";
    req.password = "pass";
    assert_int_equal(httpc_request(fx->h, &req, done_cb, &fx->hits[0]), 0);
    run_until(fx, &fx->hits[0].n, 1, 20000);
    assert_int_equal(fx->hits[0].status, 200);
    assert_string_equal(fx->last_method, "POST");
    assert_string_equal(fx->last_ctype, "application/json");
    assert_string_equal(fx->last_body, body);
    /* base64("user:pass") */
    assert_string_equal(fx->last_auth, "Basic dXNlcjpwYXNz");

    req.method = "PUT";
    req.user = NULL;
    assert_int_equal(httpc_request(fx->h, &req, done_cb, &fx->hits[1]), 0);
    run_until(fx, &fx->hits[1].n, 1, 20000);
    assert_int_equal(fx->hits[1].status, 200);
    assert_string_equal(fx->last_method, "PUT");
    assert_string_equal(fx->last_auth, "");
}

static void
test_bad_requests(void **state)
{
    struct fx *fx = *state;
    const char *bad_hdr[] = {"X-A: b\r\nX-Injected: c"};
    struct httpc_req req;
    char u[128];

    memset(&req, 0, sizeof(req));
    assert_int_equal(httpc_request(fx->h, &req, done_cb, &fx->hits[0]),
                     SK_EINVAL);
    req.url = "file:///etc/passwd";
    assert_int_equal(httpc_request(fx->h, &req, done_cb, &fx->hits[0]),
                     SK_EINVAL);
    req.url = "ftp://127.0.0.1/";
    assert_int_equal(httpc_request(fx->h, &req, done_cb, &fx->hits[0]),
                     SK_EINVAL);
    url(fx, u, sizeof(u), "/ok");
    req.url = u;
    req.method = "get me";
    assert_int_equal(httpc_request(fx->h, &req, done_cb, &fx->hits[0]),
                     SK_EINVAL);
    req.method = NULL;
    req.headers = bad_hdr;
    req.n_headers = 1;
    assert_int_equal(httpc_request(fx->h, &req, done_cb, &fx->hits[0]),
                     SK_EINVAL);
    assert_int_equal(httpc_pending(fx->h), 0);
    assert_int_equal(fx->hits[0].n, 0);
}

static void
test_timeout(void **state)
{
    struct fx *fx = *state;
    struct httpc_req req;
    char u[128];

    memset(&req, 0, sizeof(req));
    url(fx, u, sizeof(u), "/hang");
    req.url = u;
    req.timeout_ms = 300;
    assert_int_equal(httpc_request(fx->h, &req, done_cb, &fx->hits[0]), 0);
    run_until(fx, &fx->hits[0].n, 1, 20000);
    assert_int_equal(fx->hits[0].n, 1);
    assert_int_equal(fx->hits[0].status, 0);
    assert_string_equal(fx->hits[0].error, "timeout");
    assert_true(fx->hits[0].elapsed_ms >= 250);
    assert_true(fx->hits[0].elapsed_ms < 3000);
}

static void
test_refused(void **state)
{
    struct fx *fx = *state;
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    struct httpc_req req;
    char u[128];
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    /* A port that is bound but does not listen: a connection is refused.
     * The socket stays open until the answer, so that no other process
     * (a test running beside this one) can take the port meanwhile. */
    assert_true(fd >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    snprintf(u, sizeof(u), "http://127.0.0.1:%d/", ntohs(sa.sin_port));
    memset(&req, 0, sizeof(req));
    req.url = u;
    assert_int_equal(httpc_request(fx->h, &req, done_cb, &fx->hits[0]), 0);
    run_until(fx, &fx->hits[0].n, 1, 20000);
    close(fd);
    assert_int_equal(fx->hits[0].n, 1);
    assert_int_equal(fx->hits[0].status, 0);
    assert_string_equal(fx->hits[0].error, "connect");
}

static void
test_truncated(void **state)
{
    struct fx *fx = *state;
    struct httpc_req req;
    char u[128];

    memset(&req, 0, sizeof(req));
    url(fx, u, sizeof(u), "/big");
    req.url = u;
    assert_int_equal(httpc_request(fx->h, &req, done_cb, &fx->hits[0]), 0);
    run_until(fx, &fx->hits[0].n, 1, 20000);
    assert_int_equal(fx->hits[0].status, 200);
    assert_string_equal(fx->hits[0].error, "");
    assert_true(fx->hits[0].truncated);
    assert_int_equal(fx->hits[0].body_len, HTTPC_MAX_BODY);
}

static void
test_many_parallel(void **state)
{
    struct fx *fx = *state;
    struct httpc_req req;
    char u[128];
    int i;

    memset(&req, 0, sizeof(req));
    url(fx, u, sizeof(u), "/delay");
    req.url = u;
    for (i = 0; i < NREQ; i++)
        assert_int_equal(httpc_request(fx->h, &req, done_cb, &fx->hits[i]), 0);
    assert_int_equal(httpc_pending(fx->h), NREQ);
    run_hits(fx, NREQ, 20000);
    assert_int_equal(sum_hits(fx, NREQ), NREQ);
    for (i = 0; i < NREQ; i++) {
        assert_int_equal(fx->hits[i].n, 1);
        assert_int_equal(fx->hits[i].status, 200);
    }
    assert_true(fx->max_active >= 2);
    assert_true(fx->max_active <= 4); /* the cap given to httpc_new() */
    assert_int_equal(httpc_pending(fx->h), 0);
}

/* A done callback that starts another request from inside. */
struct chain {
    struct fx *fx;
    char url[128];
    int left;
    int done;
};

static void
chain_cb(void *arg, const struct httpc_resp *resp)
{
    struct chain *c = arg;
    struct httpc_req req;

    c->done++;
    if (resp->status != 200 || c->left == 0)
        return;
    c->left--;
    memset(&req, 0, sizeof(req));
    req.url = c->url;
    if (httpc_request(c->fx->h, &req, chain_cb, c) != 0)
        c->left = -100;
}

static void
test_request_from_done(void **state)
{
    struct fx *fx = *state;
    struct chain c = {.fx = fx, .left = 4};
    struct httpc_req req;

    url(fx, c.url, sizeof(c.url), "/ok");
    memset(&req, 0, sizeof(req));
    req.url = c.url;
    assert_int_equal(httpc_request(fx->h, &req, chain_cb, &c), 0);
    run_until(fx, &c.done, 5, 20000);
    assert_int_equal(c.done, 5);
    assert_int_equal(c.left, 0);
}

static void
test_free_in_flight(void **state)
{
    struct fx *fx = *state;
    struct httpc_req req;
    char u[128];
    int i;

    memset(&req, 0, sizeof(req));
    url(fx, u, sizeof(u), "/hang");
    req.url = u;
    for (i = 0; i < 10; i++) /* 4 run, 6 wait in the queue */
        assert_int_equal(httpc_request(fx->h, &req, done_cb, &fx->hits[i]), 0);
    run_until(fx, &fx->seen, 4, 20000);
    assert_int_equal(fx->seen, 4);
    httpc_free(fx->h);
    fx->h = NULL;
    for (i = 0; i < 10; i++) {
        assert_int_equal(fx->hits[i].n, 1);
        assert_int_equal(fx->hits[i].status, 0);
        assert_string_equal(fx->hits[i].error, "cancelled");
    }
    /* Nothing is called later. */
    for (i = 0; i < 20; i++)
        event_base_loop(fx->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    assert_int_equal(sum_hits(fx, 10), 10);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_status_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_auth_headers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_parallel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_from_done, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_free_in_flight, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
