/*
 * http.c - the webhook server. One evhttp on the loop with every limit set
 * explicitly. libevent 2.1 has no connection limit of its own, so
 * connections are counted here: a connection is counted from its first
 * request (a close callback takes it off the list), and a new connection
 * past the cap gets 503 and is closed. A connection that never completes
 * a request is not counted; the request timeout closes it.
 * (A filter bufferevent would see every connection, but evhttp then frees
 * it before the filter has passed the last reply on.)
 *
 * Requests are routed by path to the callbacks registered at start (see
 * http.h); the server itself answers only /healthz and what it refuses.
 *
 * When accept() fails (the open-file limit: EMFILE, ENFILE), the listener
 * is paused for HTTP_PAUSE_MS and then tried again, instead of being woken
 * at once for the same waiting connection over and over; the failures are
 * logged at most once a minute, with their count.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "http.h"
#include "log.h"
#include "metrics.h"

#define HTTP_BACKLOG  1024 /* pending connections the kernel may hold */
#define HTTP_NAME_LEN 64   /* a route's what or a page's path */
#define HTTP_PAUSE_MS 250  /* accepts paused after accept() failed */
#define HTTP_REPORT_S 60   /* accept failures logged at most this often */

struct http_route {
    char what[HTTP_NAME_LEN];
    bool prefix; /* what ends in '/' */
    http_route_fn fn;
    void *arg;
};

struct http_page {
    char path[HTTP_NAME_LEN];
    http_page_fn fn;
    void *arg;
};

struct http_server {
    struct event_base *base;
    struct metrics *metrics;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    struct evconnlistener *listener;  /* bound's, while it is there */
    struct event *resume;             /* ends a pause of the listener */
    unsigned long accept_failed;      /* since the last report */
    double accept_reported;           /* http_now() of the last report */
    struct http_server *next;         /* in servers */
    struct evhttp_connection **conns; /* open connections seen so far */
    int n_conns, max_conns;
    bool stopped; /* http_stop_intake() has run */
    http_channel_fn channel_fn;
    void *channel_arg;
    http_ready_fn ready_fn;
    void *ready_arg;
    struct http_route routes[HTTP_MAX_ROUTES];
    size_t n_routes;
    struct http_page pages[HTTP_MAX_ROUTES];
    size_t n_pages;
};

/* The servers that are running: libevent hands a listener's error
 * callback the evhttp that owns it, and the server is found from that.
 * Loop thread only. */
static struct http_server *servers;

double
http_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
http_send(struct http_server *h, struct evhttp_request *req, double t0,
          int code, const char *content_type, const char *body, size_t len)
{
    struct evbuffer *out = evhttp_request_get_output_buffer(req);
    struct evkeyvalq *hdrs = evhttp_request_get_output_headers(req);

    if (content_type != NULL)
        evhttp_add_header(hdrs, "Content-Type", content_type);
    evhttp_add_header(hdrs, "Cache-Control", "no-store");
    if (body != NULL && len > 0)
        evbuffer_add(out, body, len);
    /* With the client gone evhttp frees req here instead of sending. */
    evhttp_send_reply(req, code, NULL, NULL);
    if (h != NULL && h->metrics != NULL)
        metrics_observe_request(h->metrics, http_now() - t0);
}

static void
send_text(struct http_server *h, struct evhttp_request *req, double t0,
          int code, const char *text)
{
    http_send(h, req, t0, code, "text/plain; charset=utf-8", text,
              strlen(text));
}

static void
send_json_error(struct http_server *h, struct evhttp_request *req, double t0,
                int code, const char *msg)
{
    char buf[256];
    int n = snprintf(buf, sizeof(buf), "{\"error\":\"%s\"}", msg);

    http_send(h, req, t0, code, "application/json", buf, (size_t)n);
}

/* --- registration ------------------------------------------------------- */

void
http_set_channels(struct http_server *h, http_channel_fn fn, void *arg)
{
    h->channel_fn = fn;
    h->channel_arg = arg;
}

void
http_set_ready(struct http_server *h, http_ready_fn fn, void *arg)
{
    h->ready_fn = fn;
    h->ready_arg = arg;
}

int
http_route(struct http_server *h, const char *what, http_route_fn fn, void *arg)
{
    struct http_route *r;
    size_t i, len = what != NULL ? strlen(what) : 0;

    if (len == 0 || len >= HTTP_NAME_LEN || fn == NULL)
        return SK_EINVAL;
    for (i = 0; i < h->n_routes; i++)
        if (strcmp(h->routes[i].what, what) == 0)
            return SK_EEXIST;
    if (h->n_routes >= HTTP_MAX_ROUTES)
        return SK_ELIMIT;
    r = &h->routes[h->n_routes++];
    memcpy(r->what, what, len + 1);
    r->prefix = what[len - 1] == '/';
    r->fn = fn;
    r->arg = arg;
    return 0;
}

int
http_page(struct http_server *h, const char *path, http_page_fn fn, void *arg)
{
    struct http_page *p;
    size_t i, len = path != NULL ? strlen(path) : 0;

    if (len == 0 || len >= HTTP_NAME_LEN || path[0] != '/' || fn == NULL)
        return SK_EINVAL;
    if (strcmp(path, "/healthz") == 0)
        return SK_EEXIST;
    for (i = 0; i < h->n_pages; i++)
        if (strcmp(h->pages[i].path, path) == 0)
            return SK_EEXIST;
    if (h->n_pages >= HTTP_MAX_ROUTES)
        return SK_ELIMIT;
    p = &h->pages[h->n_pages++];
    memcpy(p->path, path, len + 1);
    p->fn = fn;
    p->arg = arg;
    return 0;
}

/* The route for what: an exact name, else the longest prefix, else NULL. */
static const struct http_route *
route_find(const struct http_server *h, const char *what)
{
    const struct http_route *best = NULL;
    size_t i, len, best_len = 0;

    for (i = 0; i < h->n_routes; i++) {
        const struct http_route *r = &h->routes[i];

        if (!r->prefix) {
            if (strcmp(r->what, what) == 0)
                return r;
            continue;
        }
        len = strlen(r->what);
        if (len > best_len && strncmp(r->what, what, len) == 0) {
            best = r;
            best_len = len;
        }
    }
    return best;
}

/* The page for path: an exact path, else the longest prefix page (a path
 * ending in '/'), else NULL. */
static const struct http_page *
page_find(const struct http_server *h, const char *path)
{
    const struct http_page *best = NULL;
    size_t i, len, best_len = 0;

    for (i = 0; i < h->n_pages; i++) {
        len = strlen(h->pages[i].path);
        if (strcmp(h->pages[i].path, path) == 0)
            return &h->pages[i];
        if (h->pages[i].path[len - 1] == '/' &&
            strncmp(h->pages[i].path, path, len) == 0 && len > best_len) {
            best = &h->pages[i];
            best_len = len;
        }
    }
    return best;
}

/* --- connection counting ------------------------------------------------ */

static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
    struct http_server *h = arg;
    int i;

    for (i = 0; i < h->n_conns; i++)
        if (h->conns[i] == evcon) {
            h->conns[i] = h->conns[--h->n_conns];
            return;
        }
}

/*
 * Counts the request's connection. Returns 0, or -1 when it is a new
 * connection past the cap: it then gets 503 and is closed.
 */
static int
conn_track(struct http_server *h, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    int i;

    if (evcon == NULL)
        return 0;
    /* set every time: a stale entry for a reused address is fixed too */
    evhttp_connection_set_closecb(evcon, conn_closed, h);
    for (i = 0; i < h->n_conns; i++)
        if (h->conns[i] == evcon)
            return 0;
    if (h->n_conns >= h->max_conns) {
        evhttp_connection_set_closecb(evcon, NULL, NULL);
        return -1;
    }
    h->conns[h->n_conns++] = evcon;
    return 0;
}

/* --- routing ------------------------------------------------------------ */

static void
route_channel(struct http_server *h, struct evhttp_request *req,
              const char *rest, double t0)
{
    const char *slash = strchr(rest, '/');
    const struct http_route *r;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    bool allow_get = false;
    char name[128];
    size_t len, index = 0;

    if (slash == NULL || (len = (size_t)(slash - rest)) == 0 ||
        len >= sizeof(name)) {
        send_json_error(h, req, t0, HTTP_NOTFOUND, "not found");
        return;
    }
    memcpy(name, rest, len);
    name[len] = '\0';
    if (h->channel_fn == NULL ||
        h->channel_fn(h->channel_arg, name, &index, &allow_get) != 0) {
        send_json_error(h, req, t0, HTTP_NOTFOUND, "unknown channel");
        return;
    }
    if (cmd != EVHTTP_REQ_POST && !(cmd == EVHTTP_REQ_GET && allow_get)) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
                          allow_get ? "GET, POST" : "POST");
        send_json_error(h, req, t0, 405, "use POST");
        return;
    }
    if (h->stopped) {
        send_json_error(h, req, t0, HTTP_SERVUNAVAIL, "shutting down");
        return;
    }
    r = route_find(h, slash + 1);
    if (r == NULL) {
        send_json_error(h, req, t0, HTTP_NOTFOUND, "not found");
        return;
    }
    r->fn(r->arg, req, index, t0);
}

static void
route_get(struct http_server *h, struct evhttp_request *req,
          const struct http_page *p, double t0)
{
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
                          "GET");
        send_text(h, req, t0, 405, "use GET\n");
        return;
    }
    if (p != NULL) {
        p->fn(p->arg, req, t0);
        return;
    }
    /* /healthz */
    if (h->ready_fn != NULL && h->ready_fn(h->ready_arg) && !h->stopped)
        send_text(h, req, t0, HTTP_OK, "ok\n");
    else
        send_text(h, req, t0, HTTP_SERVUNAVAIL, "unavailable\n");
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
    struct http_server *h = arg;
    double t0 = http_now();
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
    const struct http_page *p;

    if (path == NULL)
        path = "";
    if (conn_track(h, req) != 0) {
        sk_log(LOG_WARNING, "http", "connection refused: %d open (the cap)",
               h->n_conns);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection",
                          "close");
        send_text(h, req, t0, HTTP_SERVUNAVAIL, "too many connections\n");
        return;
    }
    if (strncmp(path, "/c/", 3) == 0)
        route_channel(h, req, path + 3, t0);
    else if ((p = page_find(h, path)) != NULL || strcmp(path, "/healthz") == 0)
        route_get(h, req, p, t0);
    else
        send_text(h, req, t0, HTTP_NOTFOUND, "not found\n");
}

/* Splits "host:port" or "[v6]:port". */
static int
parse_listen(const char *listen, char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(listen, ':');
    const char *h = listen;
    size_t len;
    char *end;
    long p;

    if (colon == NULL)
        return SK_EINVAL;
    len = (size_t)(colon - listen);
    if (len >= 2 && h[0] == '[' && h[len - 1] == ']') {
        h++;
        len -= 2;
    }
    if (len == 0 || len >= hostlen)
        return SK_EINVAL;
    memcpy(host, h, len);
    host[len] = '\0';
    p = strtol(colon + 1, &end, 10);
    if (*end != '\0' || end == colon + 1 || p < 0 || p > 65535)
        return SK_EINVAL;
    *port = (int)p;
    return 0;
}

/* Why a socket call failed, in words an operator can act on. */
static const char *
listen_reason(int e)
{
    switch (e) {
    case EADDRINUSE:
        return "address in use (another process listens there)";
    case EACCES:
        return "permission denied (ports below 1024 need privileges)";
    case EADDRNOTAVAIL:
        return "address not available (no such address on this machine)";
    default:
        return evutil_socket_error_to_string(e);
    }
}

/* --- accept failures ---------------------------------------------------- */

static void
accept_resume(evutil_socket_t fd, short what, void *arg)
{
    struct http_server *h = arg;

    (void)fd;
    (void)what;
    if (h->listener != NULL)
        evconnlistener_enable(h->listener);
}

/*
 * accept() failed with something other than "try again": pause the
 * listener for HTTP_PAUSE_MS (a connection left waiting would wake the
 * loop at once, for ever), count it, and report at most once a minute.
 */
static void
accept_error(struct evconnlistener *lst, void *arg)
{
    int e = EVUTIL_SOCKET_ERROR();
    struct timeval pause = {0, HTTP_PAUSE_MS * 1000};
    struct http_server *h = servers;
    double now = http_now();

    while (h != NULL && (h->http != arg || h->listener != lst))
        h = h->next;
    if (h == NULL)
        return;
    evconnlistener_disable(lst);
    evtimer_add(h->resume, &pause);
    h->accept_failed++;
    if (now - h->accept_reported < HTTP_REPORT_S)
        return;
    sk_log(LOG_WARNING, "http",
           "cannot accept connections: %s; accepts paused %d ms at a time "
           "(%lu %s since the last report)",
           evutil_socket_error_to_string(e), HTTP_PAUSE_MS, h->accept_failed,
           sk_plural((long long)h->accept_failed, "failure", "failures"));
    h->accept_failed = 0;
    h->accept_reported = now;
}

/*
 * Listens on host:port with a backlog of HTTP_BACKLOG: libevent's own
 * bind uses 128, and a burst of more new connections than that (many
 * phones at once, a provider's retries after an outage) would wait a
 * second for the kernel's retry. Start-up only: the lookup may block.
 * On failure err says why (cannot resolve, address in use, ...).
 */
static struct evhttp_bound_socket *
bind_listener(struct http_server *h, const char *listen, const char *host,
              int port, char err[SK_ERR_LEN])
{
    struct evutil_addrinfo hints, *ai = NULL;
    struct evconnlistener *lst = NULL;
    struct evhttp_bound_socket *bound = NULL;
    char service[16];
    int gai, e;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_ADDRCONFIG;
    snprintf(service, sizeof(service), "%d", port);
    gai = evutil_getaddrinfo(host, service, &hints, &ai);
    if (gai != 0 || ai == NULL) {
        sk_seterr(err, "cannot listen on %s: cannot resolve \"%s\": %s", listen,
                  host, gai != 0 ? evutil_gai_strerror(gai) : "no address");
        return NULL;
    }
    EVUTIL_SET_SOCKET_ERROR(0);
    lst = evconnlistener_new_bind(
        h->base, NULL, NULL,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
        HTTP_BACKLOG, ai->ai_addr, (int)ai->ai_addrlen);
    e = EVUTIL_SOCKET_ERROR();
    evutil_freeaddrinfo(ai);
    if (lst == NULL) {
        sk_seterr(err, "cannot listen on %s: %s", listen,
                  e != 0 ? listen_reason(e) : "out of memory");
        return NULL;
    }
    bound = evhttp_bind_listener(h->http, lst);
    if (bound == NULL) {
        sk_seterr(err, "cannot listen on %s: out of memory", listen);
        evconnlistener_free(lst);
        return NULL;
    }
    h->listener = lst;
    evconnlistener_set_error_cb(lst, accept_error);
    return bound;
}

struct http_server *
http_start(struct event_base *base, const struct http_limits *lim,
           struct metrics *m, char err[SK_ERR_LEN])
{
    struct http_server *h = calloc(1, sizeof(*h));
    char host[256];
    int port;

    if (h == NULL) {
        sk_seterr(err, "out of memory");
        return NULL;
    }
    h->base = base;
    h->metrics = m;
    h->max_conns = lim->max_connections > 0 ? lim->max_connections : 256;
    h->accept_reported = -HTTP_REPORT_S;
    h->next = servers;
    servers = h;
    h->conns = calloc((size_t)h->max_conns, sizeof(*h->conns));
    h->resume = evtimer_new(base, accept_resume, h);
    if (h->conns == NULL || h->resume == NULL) {
        sk_seterr(err, "out of memory");
        goto fail;
    }
    if (lim->listen == NULL ||
        parse_listen(lim->listen, host, sizeof(host), &port) != 0) {
        sk_seterr(err, "%s: [server] listen: expected host:port",
                  lim->source != NULL ? lim->source : "config");
        goto fail;
    }
    h->http = evhttp_new(base);
    if (h->http == NULL) {
        sk_seterr(err, "out of memory");
        goto fail;
    }
    evhttp_set_max_body_size(h->http, (ev_ssize_t)lim->max_body);
    evhttp_set_max_headers_size(h->http, (ev_ssize_t)lim->max_headers);
    evhttp_set_timeout(h->http, lim->timeout_seconds);
    /* read and drop an oversize body so the client sees the 413 */
    evhttp_set_flags(h->http, EVHTTP_SERVER_LINGERING_CLOSE);
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    evhttp_set_default_content_type(h->http, "text/plain; charset=utf-8");
    evhttp_set_gencb(h->http, request_cb, h);
    h->bound = bind_listener(h, lim->listen, host, port, err);
    if (h->bound == NULL)
        goto fail;
    return h;
fail:
    http_free(h);
    return NULL;
}

int
http_port(const struct http_server *h)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    evutil_socket_t fd;

    if (h == NULL || h->bound == NULL)
        return -1;
    fd = evhttp_bound_socket_get_fd(h->bound);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

void
http_stop_intake(struct http_server *h)
{
    if (h == NULL)
        return;
    h->stopped = true;
    if (h->resume != NULL)
        evtimer_del(h->resume);
    h->listener = NULL;
    if (h->bound != NULL) {
        evhttp_del_accept_socket(h->http, h->bound);
        h->bound = NULL;
    }
}

void
http_free(struct http_server *h)
{
    struct http_server **p = &servers;

    if (h == NULL)
        return;
    while (*p != NULL && *p != h)
        p = &(*p)->next;
    if (*p != NULL)
        *p = h->next;
    if (h->resume != NULL)
        event_free(h->resume);
    h->listener = NULL;
    if (h->http != NULL)
        evhttp_free(h->http); /* calls conn_closed() for each connection */
    free(h->conns);
    free(h);
}
