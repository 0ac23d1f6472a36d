/*
 * sk-files - a local stand-in for a provider's recording host, for the
 * end-to-end tests. It listens on 127.0.0.1:PORT and answers GET /NAME
 * with the file DIR/NAME (audio/x-wav; NAME one path segment of letters,
 * digits, '.', '-' and '_'), 404 for anything else; a NAME starting
 * with "slow-" is answered after SLOW_MS (a provider that is slow to hand
 * the recording over); GET /ping answers 200
 * (for start-up checks). Each file request is printed on stdout, flushed:
 * `GET NAME CODE`, followed by ` bearer=TOKEN` when the request carried
 * an `Authorization: Bearer TOKEN` (a provider's media API token, for the
 * test to check).
 *
 * DELETE /NAME stands for the provider's delete of a recording: 204 when
 * the request's Authorization header is exactly AUTH (-a, e.g. "Basic
 * ..."), else 401; a NAME starting with "flaky-" gets 503 the first time
 * (a provider that fails once). Printed as `DELETE NAME CODE`.
 *
 * Usage: sk-files -l PORT -d DIR [-a AUTH]
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

#define MAX_FILE     (16 * 1024 * 1024)
#define NAME_MAX_LEN 128
#define SLOW_MS      5000
#define BEARER_MAX   4096
#define MAX_FLAKY    32

static const char *want_auth; /* -a */
static char flaky_seen[MAX_FLAKY][NAME_MAX_LEN + 1];
static int n_flaky;

struct slow {
    struct evhttp_request *req;
    const char *dir;
    char name[NAME_MAX_LEN + 1];
    char bearer[BEARER_MAX];
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

/* Whether name is one plain path segment. */
static int
name_ok(const char *name)
{
    size_t i, n = strlen(name);

    if (n == 0 || n > NAME_MAX_LEN || name[0] == '.')
        return 0;
    for (i = 0; i < n; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

/* Sends dir/name: 200, or 404 when it is not there. */
static int
send_file(struct evhttp_request *req, const char *dir, const char *name)
{
    char path[4096];
    struct evbuffer *b;
    FILE *fp;
    char chunk[8192];
    size_t n, total = 0;

    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
        (fp = fopen(path, "rb")) == NULL) {
        reply(req, 404, "Not Found");
        return 404;
    }
    if ((b = evbuffer_new()) == NULL) {
        fclose(fp);
        reply(req, 500, "Internal Server Error");
        return 500;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0 && total < MAX_FILE) {
        evbuffer_add(b, chunk, n);
        total += n;
    }
    fclose(fp);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "audio/x-wav");
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
    return 200;
}

/* " bearer=TOKEN" into out for a request with a bearer token, else "".
 * Read before the reply is sent (which frees the request). */
static void
bearer_of(struct evhttp_request *req, char *out, size_t cap)
{
    const char *a = evhttp_find_header(evhttp_request_get_input_headers(req),
                                       "Authorization");

    out[0] = '\0';
    if (a != NULL && strncmp(a, "Bearer ", 7) == 0 &&
        strspn(a + 7, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                      "0123456789-_.") == strlen(a + 7))
        snprintf(out, cap, " bearer=%s", a + 7);
}

static void
slow_send(evutil_socket_t fd, short what, void *arg)
{
    struct slow *s = arg;

    (void)fd;
    (void)what;
    printf("GET %s %d%s\n", s->name, send_file(s->req, s->dir, s->name),
           s->bearer);
    fflush(stdout);
    free(s);
}

/* Whether flaky name fails this time (the first time it is asked). */
static int
flaky_fails(const char *name)
{
    int i;

    if (strncmp(name, "flaky-", 6) != 0)
        return 0;
    for (i = 0; i < n_flaky; i++)
        if (strcmp(flaky_seen[i], name) == 0)
            return 0;
    if (n_flaky < MAX_FLAKY)
        snprintf(flaky_seen[n_flaky++], sizeof(flaky_seen[0]), "%s", name);
    return 1;
}

/* DELETE /name: a provider's delete of a recording. */
static void
on_delete(struct evhttp_request *req, const char *name)
{
    const char *auth = evhttp_find_header(evhttp_request_get_input_headers(req),
                                          "Authorization");
    int code;

    if (!name_ok(name))
        code = 404;
    else if (want_auth == NULL || auth == NULL || strcmp(auth, want_auth) != 0)
        code = 401;
    else if (flaky_fails(name))
        code = 503;
    else
        code = 204;
    if (code == 204)
        evhttp_send_reply(req, 204, "No Content", NULL);
    else
        reply(req, code, code == 401 ? "Unauthorized" : "Error");
    printf("DELETE %s %d\n", name_ok(name) ? name : "-", code);
    fflush(stdout);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
    const char *dir = arg;
    const char *uri = evhttp_request_get_uri(req);
    char name[NAME_MAX_LEN + 1], bearer[BEARER_MAX];
    struct slow *s;
    int code;

    if (evhttp_request_get_command(req) == EVHTTP_REQ_DELETE && uri[0] == '/') {
        snprintf(name, sizeof(name), "%s", uri + 1);
        on_delete(req, strlen(uri + 1) > NAME_MAX_LEN ? "" : name);
        return;
    }
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET || uri[0] != '/') {
        reply(req, 405, "Method Not Allowed");
        return;
    }
    if (strcmp(uri, "/ping") == 0) {
        reply(req, 200, "OK");
        return;
    }
    bearer_of(req, bearer, sizeof(bearer));
    snprintf(name, sizeof(name), "%s", uri + 1);
    if (strlen(uri + 1) > NAME_MAX_LEN || !name_ok(name)) {
        reply(req, 404, "Not Found");
        code = 404;
    } else if (strncmp(name, "slow-", 5) == 0 &&
               (s = calloc(1, sizeof(*s))) != NULL) {
        struct timeval tv = {SLOW_MS / 1000, (SLOW_MS % 1000) * 1000};

        s->req = req;
        s->dir = dir;
        snprintf(s->name, sizeof(s->name), "%s", name);
        snprintf(s->bearer, sizeof(s->bearer), "%s", bearer);
        if (event_base_once(
                evhttp_connection_get_base(evhttp_request_get_connection(req)),
                -1, EV_TIMEOUT, slow_send, s, &tv) == 0)
            return;
        free(s);
        code = send_file(req, dir, name);
    } else {
        code = send_file(req, dir, name);
    }
    printf("GET %s %d%s\n", name_ok(name) ? name : "-", code, bearer);
    fflush(stdout);
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
    struct event_base *base = NULL;
    struct evhttp *http = NULL;
    struct event *st = NULL, *si = NULL;
    const char *dir = NULL;
    int port = 0, opt, code = 2;

    while ((opt = getopt(argc, argv, "l:d:a:")) != -1) {
        if (opt == 'l')
            port = atoi(optarg);
        else if (opt == 'a')
            want_auth = optarg;
        else if (opt == 'd')
            dir = optarg;
        else
            goto bad;
    }
    if (port <= 0 || port > 65535 || dir == NULL || optind != argc)
        goto bad;
    signal(SIGPIPE, SIG_IGN);
    code = 1;
    base = event_base_new();
    http = base != NULL ? evhttp_new(base) : NULL;
    if (http == NULL)
        goto out;
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
                                         EVHTTP_REQ_DELETE);
    evhttp_set_gencb(http, on_request, (void *)dir);
    if (evhttp_bind_socket(http, "127.0.0.1", (ev_uint16_t)port) != 0) {
        fprintf(stderr, "sk-files: cannot listen on 127.0.0.1:%d\n", port);
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
    return code;
bad:
    fprintf(stderr, "usage: sk-files -l PORT -d DIR [-a AUTH]\n");
    return code;
}
