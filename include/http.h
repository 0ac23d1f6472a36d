/*
 * http.h - the webhook HTTP server (libevent evhttp) with explicit limits:
 * body size (413 past it), header size, a per-request timeout, allowed
 * methods and a cap on open connections (connections past the cap are
 * closed unanswered); when accept() fails (the open-file limit)
 * the listener pauses 250 ms at a time instead of spinning, and logs it
 * at most once a minute. The server knows no application: its user registers
 * callbacks at start, as evhttp_set_cb() does. Routes:
 *   POST /c/NAME/receive   inbound messages          (app.c registers)
 *   POST /c/NAME/status    delivery reports          (app.c registers)
 *   POST /c/NAME/ussd      a USSD session step; 404  (app.c registers)
 *                          for channel types without USSD
 *   POST /c/NAME/voice     a call and its callbacks  (app.c registers
 *        and /voice/...    (voice.h); 404 for types   voice.c's route)
 *                          without voice
 *   GET  /healthz          "ok" while the readiness callback says so and
 *                          intake has not stopped, else 503 "unavailable"
 *   GET  /metrics          Prometheus text           (app.c registers)
 *   GET  /prompts/L/N.wav  a recorded prompt         (prompts.c, when
 *                          [flows] prompts is set)
 * Any other path is 404 "not found".
 *
 * Channel routes. For /c/NAME/WHAT the server asks the channel callback
 * (http_set_channels) for NAME: unknown is 404 "unknown channel"; a method
 * other than POST (or GET, where the channel allows it) is 405 with an
 * Allow header; after http_stop_intake() it is 503 "shutting down"; then
 * the route registered for WHAT is called, or it is 404 "not found". A
 * route name ending in '/' takes every WHAT that starts with it
 * ("voice/" takes /c/NAME/voice/anything); an exact name wins over a
 * prefix.
 *
 * The callback contract, for every route and page callback:
 *   - it runs on the loop thread, inside the request callback;
 *   - it owns req from then on and sends exactly one reply to it with
 *     http_send(), now or later (e.g. after a store commit), on the loop
 *     thread; never none, never two;
 *   - the server has already replied to whatever was refused above, so a
 *     callback only ever sees requests it is to answer.
 * Loop thread only, everything here.
 */
#ifndef SK_HTTP_H
#define SK_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct event_base;
struct evhttp_request;
struct http_server;
struct metrics;

/* What the server is started with; copied by http_start(). */
struct http_limits {
    const char *listen;  /* host:port or [v6]:port */
    const char *source;  /* named in errors about listen, e.g. the file */
    size_t max_body;     /* bytes: 413 past it */
    size_t max_headers;  /* bytes */
    int timeout_seconds; /* per request */
    int max_connections; /* open connections; <= 0 means 256 */
};

/* The channel NAME of /c/NAME/...: fills *index (handed to the route) and
 * *allow_get; returns 0, or SK_ENOENT for no such channel. */
typedef int (*http_channel_fn)(void *arg, const char *name, size_t *index,
                               bool *allow_get);
/* A channel route: req for channel index, received at t0 (http_now()). */
typedef void (*http_route_fn)(void *arg, struct evhttp_request *req,
                              size_t index, double t0);
/* A GET page such as /metrics. */
typedef void (*http_page_fn)(void *arg, struct evhttp_request *req, double t0);
/* Readiness for /healthz: true while the service can take work. */
typedef bool (*http_ready_fn)(void *arg);

/*
 * Binds lim->listen and starts serving on base; request durations go to
 * m (may be NULL). Until callbacks are registered /c/... is 404 and
 * /healthz 503: register them before the loop runs.
 */
struct http_server *http_start(struct event_base *base,
                               const struct http_limits *lim, struct metrics *m,
                               char err[SK_ERR_LEN]);

/* Sets the callback naming the channels of /c/NAME/... */
void http_set_channels(struct http_server *h, http_channel_fn fn, void *arg);
/* Registers fn for /c/NAME/what (see above for a what ending in '/').
 * Returns 0, SK_EINVAL for an empty or too long name, SK_EEXIST when
 * what is taken, SK_ELIMIT past HTTP_MAX_ROUTES. */
#define HTTP_MAX_ROUTES 16
int http_route(struct http_server *h, const char *what, http_route_fn fn,
               void *arg);
/* Registers fn for GET path (e.g. "/metrics"); other methods get 405. A
 * path ending in '/' takes every path that starts with it ("/prompts/"
 * takes /prompts/eng/hello.wav); an exact path wins over a prefix.
 * Returns as http_route(); "/healthz" is the server's own. */
int http_page(struct http_server *h, const char *path, http_page_fn fn,
              void *arg);
/* Sets the readiness callback of /healthz. */
void http_set_ready(struct http_server *h, http_ready_fn fn, void *arg);

/* The port the server listens on (useful with port 0), or -1. */
int http_port(const struct http_server *h);

/* Stops accepting new connections; open ones are still served, channel
 * routes answer 503 "shutting down" and /healthz 503. */
void http_stop_intake(struct http_server *h);
/* Frees the server and its connections. NULL is a no-op. */
void http_free(struct http_server *h);

/* Monotonic seconds, for request durations. */
double http_now(void);

/*
 * Sends the one reply of req (also when the client has gone away, which
 * frees it) and records the time since t0 in h's metrics.
 */
void http_send(struct http_server *h, struct evhttp_request *req, double t0,
               int code, const char *content_type, const char *body,
               size_t len);

#endif
