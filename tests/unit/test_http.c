/*
 * test_http.c - the webhook server's routing through registered callbacks:
 * a real server on a loopback port, asked by libevent's HTTP client.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "err.h"
#include "http.h"
#include "metrics.h"

struct fixture {
    struct event_base *base;
    struct http_server *h;
    struct metrics *m;
    bool ready;
    char seen[64]; /* which callback ran, with what */
    /* the last answer */
    int code;
    char body[256];
    char allow[32];
};

static int
channels(void *arg, const char *name, size_t *index, bool *allow_get)
{
    (void)arg;
    if (strcmp(name, "sms") == 0) {
        *index = 3;
        *allow_get = false;
        return 0;
    }
    if (strcmp(name, "web") == 0) {
        *index = 5;
        *allow_get = true;
        return 0;
    }
    return SK_ENOENT;
}

static bool
ready(void *arg)
{
    return ((struct fixture *)arg)->ready;
}

static void
answer(struct fixture *f, struct evhttp_request *req, double t0,
       const char *what, size_t index)
{
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));

    snprintf(f->seen, sizeof(f->seen), "%s %zu %s", what, index, path);
    http_send(f->h, req, t0, 200, "text/plain", what, strlen(what));
}

static void
on_receive(void *arg, struct evhttp_request *req, size_t index, double t0)
{
    answer(arg, req, t0, "receive", index);
}

static void
on_voice(void *arg, struct evhttp_request *req, size_t index, double t0)
{
    answer(arg, req, t0, "voice", index);
}

static void
on_voice_more(void *arg, struct evhttp_request *req, size_t index, double t0)
{
    answer(arg, req, t0, "voice/", index);
}

static void
on_page(void *arg, struct evhttp_request *req, double t0)
{
    answer(arg, req, t0, "page", 0);
}

static void
got(struct evhttp_request *req, void *arg)
{
    struct fixture *f = arg;
    struct evbuffer *in;
    const char *allow;
    size_t n;

    f->code = req != NULL ? evhttp_request_get_response_code(req) : -1;
    f->body[0] = f->allow[0] = '\0';
    if (req != NULL) {
        in = evhttp_request_get_input_buffer(req);
        n = evbuffer_get_length(in);
        if (n >= sizeof(f->body))
            n = sizeof(f->body) - 1;
        evbuffer_remove(in, f->body, n);
        f->body[n] = '\0';
        allow =
            evhttp_find_header(evhttp_request_get_input_headers(req), "Allow");
        if (allow != NULL)
            snprintf(f->allow, sizeof(f->allow), "%s", allow);
    }
    event_base_loopexit(f->base, NULL);
}

/* Asks path with cmd on a new connection; returns the status code. */
static int
ask(struct fixture *f, enum evhttp_cmd_type cmd, const char *path)
{
    struct evhttp_connection *c = evhttp_connection_base_new(
        f->base, NULL, "127.0.0.1", (unsigned short)http_port(f->h));
    struct evhttp_request *req = evhttp_request_new(got, f);

    assert_non_null(c);
    assert_non_null(req);
    f->code = 0;
    f->seen[0] = '\0';
    evhttp_add_header(evhttp_request_get_output_headers(req), "Host",
                      "127.0.0.1");
    assert_int_equal(evhttp_make_request(c, req, cmd, path), 0);
    event_base_dispatch(f->base);
    evhttp_connection_free(c);
    return f->code;
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    const char *names[] = {"a", "b", "c", "sms", "e", "web"};
    struct http_limits lim = {
        .listen = "127.0.0.1:0",
        .source = "test",
        .max_body = 1024,
        .max_headers = 4096,
        .timeout_seconds = 5,
        .max_connections = 8,
    };
    char err[SK_ERR_LEN] = "";

    assert_non_null(f);
    f->base = event_base_new();
    assert_non_null(f->base);
    f->m = metrics_new(names, 6);
    assert_non_null(f->m);
    f->h = http_start(f->base, &lim, f->m, err);
    if (f->h == NULL)
        fail_msg("http_start: %s", err);
    assert_true(http_port(f->h) > 0);
    http_set_channels(f->h, channels, f);
    http_set_ready(f->h, ready, f);
    assert_int_equal(http_route(f->h, "receive", on_receive, f), 0);
    assert_int_equal(http_route(f->h, "voice", on_voice, f), 0);
    assert_int_equal(http_route(f->h, "voice/", on_voice_more, f), 0);
    assert_int_equal(http_page(f->h, "/page", on_page, f), 0);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    http_free(f->h);
    metrics_free(f->m);
    event_base_free(f->base);
    free(f);
    return 0;
}

static void
test_routes(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(ask(f, EVHTTP_REQ_POST, "/c/sms/receive"), 200);
    assert_string_equal(f->seen, "receive 3 /c/sms/receive");
    assert_string_equal(f->body, "receive");
    assert_int_equal(ask(f, EVHTTP_REQ_POST, "/c/web/voice"), 200);
    assert_string_equal(f->seen, "voice 5 /c/web/voice");
    assert_int_equal(ask(f, EVHTTP_REQ_GET, "/c/web/voice/status/1"), 200);
    assert_string_equal(f->seen, "voice/ 5 /c/web/voice/status/1");
    assert_int_equal(ask(f, EVHTTP_REQ_GET, "/page"), 200);
    assert_string_equal(f->seen, "page 0 /page");
}

static void
test_refused(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(ask(f, EVHTTP_REQ_POST, "/c/nope/receive"), 404);
    assert_string_equal(f->body, "{\"error\":\"unknown channel\"}");
    assert_int_equal(ask(f, EVHTTP_REQ_POST, "/c/sms/other"), 404);
    assert_string_equal(f->body, "{\"error\":\"not found\"}");
    assert_int_equal(ask(f, EVHTTP_REQ_POST, "/c/sms"), 404);
    assert_int_equal(ask(f, EVHTTP_REQ_GET, "/c/sms/receive"), 405);
    assert_string_equal(f->allow, "POST");
    assert_int_equal(ask(f, EVHTTP_REQ_POST, "/page"), 405);
    assert_string_equal(f->allow, "GET");
    assert_int_equal(ask(f, EVHTTP_REQ_GET, "/elsewhere"), 404);
    assert_string_equal(f->seen, ""); /* no callback saw any of these */
}

static void
test_healthz(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(ask(f, EVHTTP_REQ_GET, "/healthz"), 503);
    assert_string_equal(f->body, "unavailable\n");
    f->ready = true;
    assert_int_equal(ask(f, EVHTTP_REQ_GET, "/healthz"), 200);
    assert_string_equal(f->body, "ok\n");
}

static void
test_register(void **state)
{
    struct fixture *f = *state;
    char what[16];
    int i, rc = 0;

    assert_int_equal(http_route(f->h, "receive", on_receive, f), SK_EEXIST);
    assert_int_equal(http_route(f->h, "", on_receive, f), SK_EINVAL);
    assert_int_equal(http_route(f->h, "x", NULL, f), SK_EINVAL);
    assert_int_equal(http_page(f->h, "/healthz", on_page, f), SK_EEXIST);
    assert_int_equal(http_page(f->h, "/page", on_page, f), SK_EEXIST);
    assert_int_equal(http_page(f->h, "page", on_page, f), SK_EINVAL);
    for (i = 0; i < HTTP_MAX_ROUTES && rc == 0; i++) {
        snprintf(what, sizeof(what), "r%d", i);
        rc = http_route(f->h, what, on_receive, f);
    }
    assert_int_equal(rc, SK_ELIMIT);
    assert_int_equal(i, HTTP_MAX_ROUTES - 3 + 1); /* 3 were there */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_healthz, setup, teardown),
        cmocka_unit_test_setup_teardown(test_register, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
