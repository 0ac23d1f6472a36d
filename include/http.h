/*
 * http.h - the webhook HTTP server (libevent evhttp) with explicit limits:
 * body size (413 past it), header size, a per-request timeout, allowed
 * methods and a cap on open connections (connections past the cap are
 * closed unanswered). Routes:
 *   POST /c/NAME/receive   inbound messages (app_receive)
 *   POST /c/NAME/status    delivery reports (app_status)
 *   POST /c/NAME/ussd      a USSD session step (app_ussd; 404 for channel
 *                          types without USSD)
 *   GET  /healthz          "ok" while the store is open, else 503
 *                          "unavailable" (also while shutting down)
 *   GET  /metrics          Prometheus text
 * Loop thread only.
 */
#ifndef SK_HTTP_H
#define SK_HTTP_H

#include <stddef.h>

#include "err.h"

struct evhttp_request;
struct sk_app;
struct http_server;

/* Binds app->cfg->listen and starts serving on app->base. */
struct http_server *http_start(struct sk_app *app, char err[SK_ERR_LEN]);
/* Stops accepting new connections; open ones are still served. */
void http_stop_intake(struct http_server *h);
/* Frees the server and its connections. NULL is a no-op. */
void http_free(struct http_server *h);

/* Monotonic seconds, for request durations. */
double http_now(void);

/*
 * Sends the one reply of req (also when the client has gone away, which
 * frees it) and records the time since t0 in the metrics.
 */
void http_send(struct sk_app *app, struct evhttp_request *req, double t0,
               int code, const char *content_type, const char *body,
               size_t len);

#endif
