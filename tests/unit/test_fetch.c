/*
 * test_fetch.c - the SSRF-safe recording fetch against a real HTTP server
 * (evhttp on a free loopback port) on the same real event loop: a listed
 * local host fetches (with its credentials, and only there); refusals for
 * an unlisted host, plain http, loopback/private/metadata literals in
 * IPv4 and IPv6 forms, a name resolving to loopback, other schemes,
 * redirects to refused targets, too many redirects, bodies over the cap
 * with and without Content-Length, and a server that stalls. Each gives
 * its error kind, and the callback runs exactly once (never inside the
 * call that started it).
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

#include "fetch.h"
#include "httpc.h"

#define BIG_LEN 5000
#define CAP     1000

struct hit {
    int n;
    bool inside; /* called while fetch_get() ran */
    int status;
    char error[32];
    char body[64];
    size_t len;
    char ctype[64];
};

struct fx {
    struct event_base *base;
    struct evhttp *http;
    int port;
    int stall_fd; /* listens, never accepts */
    int stall_port;
    struct httpc *h;
    bool starting; /* inside fetch_get() */
    int seen;      /* requests the server got */
    char last_method[16];
    char auth[4][128]; /* Authorization of the first requests */
    struct hit hit;
};

/* --- the server ---------------------------------------------------------- */

static void
send_big(struct evhttp_request *req, bool chunked)
{
    char *big = malloc(BIG_LEN);
    struct evbuffer *out = evbuffer_new();

    assert_non_null(big);
    memset(big, 'x', BIG_LEN);
    if (!chunked) {
        evbuffer_add(out, big, BIG_LEN);
        evhttp_send_reply(req, 200, "OK", out);
    } else {
        evhttp_send_reply_start(req, 200, "OK");
        evbuffer_add(out, big, BIG_LEN / 2);
        evhttp_send_reply_chunk(req, out);
        evbuffer_add(out, big, BIG_LEN / 2);
        evhttp_send_reply_chunk(req, out);
        evhttp_send_reply_end(req);
    }
    evbuffer_free(out);
    free(big);
}

static void
redirect(struct fx *fx, struct evhttp_request *req, const char *to)
{
    char loc[256];

    /* "@PORT" in to becomes the server's port */
    if (strstr(to, "@PORT") != NULL) {
        int n = (int)(strstr(to, "@PORT") - to);
        snprintf(loc, sizeof(loc), "%.*s%d%s", n, to, fx->port, to + n + 5);
    } else
        snprintf(loc, sizeof(loc), "%s", to);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Location", loc);
    evhttp_send_reply(req, 302, "Found", NULL);
}

static void
route_redirects(struct fx *fx, struct evhttp_request *req, const char *uri)
{
    char next[64];
    int n;

    if (strcmp(uri, "/to-loopback-name") == 0)
        redirect(fx, req, "https://localhost:@PORT/rec.wav");
    else if (strcmp(uri, "/to-private") == 0)
        redirect(fx, req, "https://10.1.2.3/rec.wav");
    else if (strcmp(uri, "/to-metadata") == 0)
        redirect(fx, req, "http://169.254.169.254/latest/meta-data/");
    else if (strcmp(uri, "/to-unlisted") == 0)
        redirect(fx, req, "https://media.example.net/rec.wav");
    else if (strcmp(uri, "/to-file") == 0)
        redirect(fx, req, "file:///etc/passwd");
    else if (strcmp(uri, "/to-local-name") == 0)
        redirect(fx, req, "http://localhost:@PORT/rec.wav");
    else if (sscanf(uri, "/chain/%d", &n) == 1 && n > 0) {
        snprintf(next, sizeof(next), "/chain/%d", n - 1);
        redirect(fx, req, next);
    } else if (strcmp(uri, "/chain/0") == 0)
        redirect(fx, req, "/rec.wav");
    else
        evhttp_send_reply(req, 404, "Not Found", NULL);
}

static void
server_cb(struct evhttp_request *req, void *arg)
{
    struct fx *fx = arg;
    const char *uri = evhttp_request_get_uri(req);
    struct evkeyvalq *outh = evhttp_request_get_output_headers(req);
    const char *v;
    struct evbuffer *out;

    v = evhttp_find_header(evhttp_request_get_input_headers(req),
                           "Authorization");
    if (fx->seen < 4)
        snprintf(fx->auth[fx->seen], sizeof(fx->auth[0]), "%s", v ? v : "");
    fx->seen++;
    snprintf(fx->last_method, sizeof(fx->last_method), "%s",
             evhttp_request_get_command(req) == EVHTTP_REQ_DELETE ? "DELETE"
             : evhttp_request_get_command(req) == EVHTTP_REQ_GET  ? "GET"
                                                                  : "OTHER");
    if (strcmp(uri, "/rec.wav") == 0 || strcmp(uri, "/exact") == 0) {
        out = evbuffer_new();
        if (strcmp(uri, "/exact") == 0) {
            char buf[CAP];
            memset(buf, 'y', sizeof(buf));
            evbuffer_add(out, buf, sizeof(buf));
        } else
            evbuffer_add_printf(out, "RIFF-audio");
        evhttp_add_header(outh, "Content-Type", "audio/wav");
        evhttp_send_reply(req, 200, "OK", out);
        evbuffer_free(out);
    } else if (strcmp(uri, "/gone") == 0)
        evhttp_send_reply(req, 404, "Not Found", NULL);
    else if (strcmp(uri, "/del") == 0)
        evhttp_send_reply(req, 204, "No Content", NULL);
    else if (strcmp(uri, "/big") == 0)
        send_big(req, false);
    else if (strcmp(uri, "/big-chunked") == 0)
        send_big(req, true);
    else
        route_redirects(fx, req, uri);
}

/* --- the loop ------------------------------------------------------------ */

static void
done_cb(void *arg, const struct fetch_result *res)
{
    struct fx *fx = arg;
    struct hit *hit = &fx->hit;
    size_t n = res->len;

    hit->n++;
    hit->inside = hit->inside || fx->starting;
    hit->status = res->status;
    snprintf(hit->error, sizeof(hit->error), "%s",
             res->error ? res->error : "");
    if (res->error != NULL)
        assert_null(res->body);
    if (n >= sizeof(hit->body))
        n = sizeof(hit->body) - 1;
    if (res->body != NULL)
        memcpy(hit->body, res->body, n);
    hit->body[res->body != NULL ? n : 0] = '\0';
    hit->len = res->len;
    snprintf(hit->ctype, sizeof(hit->ctype), "%s",
             res->content_type ? res->content_type : "");
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

/* Runs the loop for ms, or until the callback has run and httpc is idle. */
static void
run(struct fx *fx, int ms)
{
    struct event *tick = event_new(fx->base, -1, EV_PERSIST, tick_cb, NULL);
    struct timeval tv = {0, 10000};
    int64_t end = mono_ms() + ms;

    event_add(tick, &tv);
    while (mono_ms() < end && (fx->hit.n == 0 || httpc_pending(fx->h) > 0))
        event_base_loop(fx->base, EVLOOP_ONCE);
    event_free(tick);
}

/* Starts a GET of url under p, runs the loop, and checks the callback
 * came once with error kind (NULL: success). */
static void
get_expect(struct fx *fx, const struct fetch_policy *p, const char *url,
           const char *kind)
{
    memset(&fx->hit, 0, sizeof(fx->hit));
    fx->starting = true;
    assert_int_equal(fetch_get(fx->h, p, url, done_cb, fx), 0);
    fx->starting = false;
    run(fx, 10000);
    run(fx, 50); /* a second callback would come now */
    assert_int_equal(fx->hit.n, 1);
    assert_false(fx->hit.inside);
    assert_string_equal(fx->hit.error, kind != NULL ? kind : "");
}

/* url is refused before any I/O with kind: no callback, ever. */
static void
refused_expect(struct fx *fx, const struct fetch_policy *p, const char *url,
               const char *kind)
{
    char err[SK_ERR_LEN] = "";
    int seen = fx->seen;

    assert_int_equal(fetch_check_url(p, url, err), SK_EINVAL);
    assert_true(strncmp(err, kind, strlen(kind)) == 0);
    assert_int_equal(err[strlen(kind)], ':');
    assert_null(strstr(err, "//")); /* the URL is not in it */
    memset(&fx->hit, 0, sizeof(fx->hit));
    assert_int_equal(fetch_get(fx->h, p, url, done_cb, fx), SK_EINVAL);
    assert_int_equal(fetch_delete(fx->h, p, url, done_cb, fx), SK_EINVAL);
    run(fx, 30);
    assert_int_equal(fx->hit.n, 0);
    assert_int_equal(fx->seen, seen);
}

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    struct evhttp_bound_socket *bs;
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    char err[SK_ERR_LEN] = "";

    unsetenv("http_proxy");
    unsetenv("https_proxy");
    unsetenv("all_proxy");
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
    evhttp_set_allowed_methods(fx->http, EVHTTP_REQ_GET | EVHTTP_REQ_DELETE);

    /* A server that takes the connection (the kernel's backlog) and then
     * never says a word. */
    fx->stall_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fx->stall_fd >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fx->stall_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fx->stall_fd, 4), 0);
    sl = sizeof(sa);
    assert_int_equal(getsockname(fx->stall_fd, (struct sockaddr *)&sa, &sl), 0);
    fx->stall_port = ntohs(sa.sin_port);

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
    close(fx->stall_fd);
    event_base_free(fx->base);
    free(fx);
    return 0;
}

static void
at(const struct fx *fx, char *buf, size_t len, const char *scheme,
   const char *host, const char *path)
{
    snprintf(buf, len, "%s://%s:%d%s", scheme, host, fx->port, path);
}

/* 127.0.0.1 is the local media server; localhost is listed but not local. */
static struct fetch_policy
local_policy(void)
{
    struct fetch_policy p;

    memset(&p, 0, sizeof(p));
    p.hosts[p.n_hosts++] = "api.twilio.com";
    p.hosts[p.n_hosts++] = "127.0.0.1";
    p.hosts[p.n_hosts++] = "localhost";
    p.local_hosts[p.n_local++] = "127.0.0.1";
    p.max_bytes = CAP;
    p.timeout_ms = 5000;
    return p;
}

/* --- tests --------------------------------------------------------------- */

static void
test_local_host_fetches(void **state)
{
    struct fx *fx = *state;
    struct fetch_policy p = local_policy();
    char u[128];

    p.user = "AC123";
    p.password = "token";
    at(fx, u, sizeof(u), "http", "127.0.0.1", "/rec.wav");
    assert_int_equal(fetch_check_url(&p, u, NULL), 0);
    get_expect(fx, &p, u, NULL);
    assert_int_equal(fx->hit.status, 200);
    assert_string_equal(fx->hit.body, "RIFF-audio");
    assert_int_equal(fx->hit.len, 10);
    assert_string_equal(fx->hit.ctype, "audio/wav");
    assert_string_equal(fx->last_method, "GET");
    assert_true(strncmp(fx->auth[0], "Basic ", 6) == 0);

    /* a body of exactly the cap is whole */
    at(fx, u, sizeof(u), "http", "127.0.0.1", "/exact");
    get_expect(fx, &p, u, NULL);
    assert_int_equal(fx->hit.len, CAP);

    /* a 404 is a "status" failure with the status */
    at(fx, u, sizeof(u), "http", "127.0.0.1", "/gone");
    get_expect(fx, &p, u, "status");
    assert_int_equal(fx->hit.status, 404);
}

static void
test_unlisted_host_and_http(void **state)
{
    struct fx *fx = *state;
    struct fetch_policy p = local_policy();
    char u[128];

    refused_expect(fx, &p, "https://media.example.net/rec.wav", "host");
    refused_expect(fx, &p, "https://api.twilio.com.example.net/r", "host");
    refused_expect(fx, &p, "https://127.0.0.2/r", "host");
    /* localhost is listed, but not for plain http */
    at(fx, u, sizeof(u), "http", "localhost", "/rec.wav");
    refused_expect(fx, &p, u, "scheme");
    refused_expect(fx, &p, "http://api.twilio.com/r.wav", "scheme");
    /* the listed name in another case, or with a final dot, is the host */
    assert_int_equal(fetch_check_url(&p, "https://API.Twilio.com./r", NULL), 0);
    refused_expect(fx, &p, "https://user:pw@api.twilio.com/r", "url");
    refused_expect(fx, &p, "https://:pw@api.twilio.com/r", "url");
    refused_expect(fx, &p, "https://api.twilio.com@10.0.0.1/r", "url");
    refused_expect(fx, &p, "https://[fe80::1%25eth0]/r", "url");
    refused_expect(fx, &p, "https://api.twilio.com/a b", "url");
    refused_expect(fx, &p, "not a url", "url");
    refused_expect(fx, &p, "", "url");
    assert_int_equal(fetch_get(fx->h, &p, NULL, done_cb, fx), SK_EINVAL);
}

static void
test_address_literals(void **state)
{
    struct fx *fx = *state;
    static const char *const bad[] = {
        "127.0.0.1",
        "10.1.2.3",
        "192.168.1.1",
        "169.254.169.254",
        "172.16.0.1",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[::]",
        "[fd00:ec2::254]",
        "[fe80::1]",
        "[ff02::1]",
        "[64:ff9b::a01:203]",
        "[2002:c0a8:101::1]",
        "[2001:db8::1]",
        "[::ffff:0:a9fe:a9fe]",
    };
    static const char *const good[] = {"8.8.8.8", "172.32.0.1",
                                       "[2606:4700::1111]", "[::ffff:8.8.8.8]"};
    struct fetch_policy p;
    char u[128];
    size_t i;

    memset(&p, 0, sizeof(p));
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&p, 0, sizeof(p));
        p.hosts[p.n_hosts++] = bad[i]; /* listed, but not as local */
        snprintf(u, sizeof(u), "https://%s/rec.wav", bad[i]);
        refused_expect(fx, &p, u, "address");
        /* listed as local, the same address passes the check */
        p.local_hosts[p.n_local++] = bad[i];
        assert_int_equal(fetch_check_url(&p, u, NULL), 0);
    }
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        memset(&p, 0, sizeof(p));
        p.hosts[p.n_hosts++] = good[i];
        snprintf(u, sizeof(u), "https://%s/rec.wav", good[i]);
        assert_int_equal(fetch_check_url(&p, u, NULL), 0);
    }
}

static void
test_name_resolving_to_loopback(void **state)
{
    struct fx *fx = *state;
    struct fetch_policy p = local_policy();
    char u[128];

    /* localhost is listed but not local: the address libcurl would
     * connect to is refused, and the server never hears of it */
    at(fx, u, sizeof(u), "https", "localhost", "/rec.wav");
    assert_int_equal(fetch_check_url(&p, u, NULL), 0);
    get_expect(fx, &p, u, "address");
    assert_int_equal(fx->seen, 0);
    get_expect(fx, &p, u, "address"); /* a second time: no cache */
    assert_int_equal(fetch_delete(fx->h, &p, u, NULL, NULL), 0);
    run(fx, 2000);
    assert_int_equal(httpc_pending(fx->h), 0);
    assert_int_equal(fx->seen, 0);

    /* listed as local, the same name fetches */
    p.local_hosts[p.n_local++] = "localhost";
    at(fx, u, sizeof(u), "http", "localhost", "/rec.wav");
    get_expect(fx, &p, u, NULL);
    assert_string_equal(fx->hit.body, "RIFF-audio");
}

static void
test_other_schemes(void **state)
{
    struct fx *fx = *state;
    struct fetch_policy p = local_policy();
    char u[128];

    refused_expect(fx, &p, "file:///etc/passwd", "scheme");
    at(fx, u, sizeof(u), "gopher", "127.0.0.1", "/");
    refused_expect(fx, &p, u, "scheme");
    refused_expect(fx, &p, "ftp://127.0.0.1/x", "scheme");
    refused_expect(fx, &p, "dict://127.0.0.1:11211/stat", "scheme");
    refused_expect(fx, &p, "ldap://127.0.0.1/", "scheme");
}

static void
test_redirects(void **state)
{
    struct fx *fx = *state;
    struct fetch_policy p = local_policy();
    static const struct {
        const char *path, *kind;
        int status; /* of the last response: none when refused at connect */
    } cases[] = {
        {"/to-loopback-name", "address", 0}, /* https://localhost */
        {"/to-private", "address", 302},     /* https://10.1.2.3, not local */
        {"/to-metadata", "host", 302},
        {"/to-unlisted", "host", 302},
        {"/to-file", "scheme", 302},
        {"/to-local-name", "scheme", 302}, /* http://localhost, not local */
        {"/chain/4", "redirect", 302},     /* 4 redirects, 3 allowed */
    };
    char u[128];
    size_t i;

    p.hosts[p.n_hosts++] = "10.1.2.3";
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        at(fx, u, sizeof(u), "http", "127.0.0.1", cases[i].path);
        get_expect(fx, &p, u, cases[i].kind);
        assert_int_equal(fx->hit.status, cases[i].status);
    }
    /* three redirects are followed, the last to a relative path */
    fx->seen = 0;
    at(fx, u, sizeof(u), "http", "127.0.0.1", "/chain/2");
    get_expect(fx, &p, u, NULL);
    assert_int_equal(fx->seen, 4);
    assert_string_equal(fx->hit.body, "RIFF-audio");
}

static void
test_credentials_stay_with_first_host(void **state)
{
    struct fx *fx = *state;
    struct fetch_policy p = local_policy();
    char u[128];

    p.local_hosts[p.n_local++] = "localhost";
    p.user = "AC123";
    p.password = "token";
    fx->seen = 0;
    at(fx, u, sizeof(u), "http", "127.0.0.1", "/to-local-name");
    get_expect(fx, &p, u, NULL);
    assert_int_equal(fx->seen, 2);
    assert_true(strncmp(fx->auth[0], "Basic ", 6) == 0);
    assert_string_equal(fx->auth[1], ""); /* localhost is another host */
}

/* A bearer token (Vonage's media API) goes as Authorization: Bearer, and
 * like basic auth only to the first URL's host. */
static void
test_bearer_stays_with_first_host(void **state)
{
    struct fx *fx = *state;
    struct fetch_policy p = local_policy();
    char u[128];

    p.local_hosts[p.n_local++] = "localhost";
    p.bearer = "eyJhbGciOiJSUzI1NiJ9.e30.c2ln";
    fx->seen = 0;
    at(fx, u, sizeof(u), "http", "127.0.0.1", "/to-local-name");
    get_expect(fx, &p, u, NULL);
    assert_int_equal(fx->seen, 2);
    assert_string_equal(fx->auth[0], "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln");
    assert_string_equal(fx->auth[1], ""); /* localhost is another host */
}

static void
test_body_over_cap(void **state)
{
    struct fx *fx = *state;
    struct fetch_policy p = local_policy();
    char u[128];

    at(fx, u, sizeof(u), "http", "127.0.0.1", "/big");
    get_expect(fx, &p, u, "too_large");
    at(fx, u, sizeof(u), "http", "127.0.0.1", "/big-chunked");
    get_expect(fx, &p, u, "too_large");
    /* the default cap takes it */
    p.max_bytes = 0;
    get_expect(fx, &p, u, NULL);
    assert_int_equal(fx->hit.len, BIG_LEN);
}

static void
test_stall_times_out(void **state)
{
    struct fx *fx = *state;
    struct fetch_policy p = local_policy();
    char u[128];
    int64_t t0;

    p.timeout_ms = 300;
    snprintf(u, sizeof(u), "http://127.0.0.1:%d/rec.wav", fx->stall_port);
    t0 = mono_ms();
    get_expect(fx, &p, u, "timeout");
    assert_true(mono_ms() - t0 >= 250);
    assert_true(mono_ms() - t0 < 5000);
}

static void
test_delete(void **state)
{
    struct fx *fx = *state;
    struct fetch_policy p = local_policy();
    char u[128];

    at(fx, u, sizeof(u), "http", "127.0.0.1", "/del");
    memset(&fx->hit, 0, sizeof(fx->hit));
    assert_int_equal(fetch_delete(fx->h, &p, u, done_cb, fx), 0);
    run(fx, 10000);
    assert_int_equal(fx->hit.n, 1);
    assert_string_equal(fx->hit.error, "");
    assert_int_equal(fx->hit.status, 204);
    assert_string_equal(fx->last_method, "DELETE");

    /* no callback wanted */
    fx->seen = 0;
    assert_int_equal(fetch_delete(fx->h, &p, u, NULL, NULL), 0);
    run(fx, 10000);
    assert_int_equal(fx->seen, 1);
    assert_int_equal(httpc_pending(fx->h), 0);

    /* a redirect is not followed for a DELETE */
    at(fx, u, sizeof(u), "http", "127.0.0.1", "/chain/0");
    memset(&fx->hit, 0, sizeof(fx->hit));
    assert_int_equal(fetch_delete(fx->h, &p, u, done_cb, fx), 0);
    run(fx, 10000);
    assert_int_equal(fx->hit.n, 1);
    assert_string_equal(fx->hit.error, "status");
    assert_int_equal(fx->hit.status, 302);
}

static void
test_cancelled_by_free(void **state)
{
    struct fx *fx = *state;
    struct fetch_policy p = local_policy();
    char u[128];

    snprintf(u, sizeof(u), "http://127.0.0.1:%d/rec.wav", fx->stall_port);
    memset(&fx->hit, 0, sizeof(fx->hit));
    assert_int_equal(fetch_get(fx->h, &p, u, done_cb, fx), 0);
    run(fx, 50);
    httpc_free(fx->h);
    fx->h = NULL;
    assert_int_equal(fx->hit.n, 1);
    assert_string_equal(fx->hit.error, "transport");
    assert_int_equal(fetch_get(NULL, &p, u, done_cb, fx), SK_EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_local_host_fetches, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unlisted_host_and_http, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_address_literals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_name_resolving_to_loopback, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_other_schemes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redirects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credentials_stay_with_first_host,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_bearer_stays_with_first_host,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_over_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancelled_by_free, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
