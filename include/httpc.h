/*
 * httpc.h - asynchronous HTTP client on the event loop (libcurl multi).
 *
 * Every outgoing request (provider send APIs, alert webhooks) goes through
 * one struct httpc made on the loop's event_base. libcurl's multi-socket
 * API is driven by libevent events, so the loop never waits on the
 * network; name lookups use libcurl's threaded resolver (Debian's libcurl
 * is built with it; httpc_new() logs a warning when it is missing).
 *
 * Limits on every request: redirects are not followed, only http and
 * https are allowed, the response body is kept up to HTTPC_MAX_BODY bytes
 * (the rest is read and dropped, resp->truncated says so), and connect and
 * total timeouts always apply. Requests beyond max_parallel wait in a
 * bounded queue (HTTPC_MAX_QUEUED) and start in order.
 *
 * Loop thread only: every function here and every done callback.
 * Nothing is logged that could hold a secret: no URL, header or body.
 */
#ifndef SK_HTTPC_H
#define SK_HTTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define HTTPC_MAX_BODY           (64 * 1024) /* response bytes kept */
#define HTTPC_MAX_QUEUED         4096        /* requests waiting to start */
#define HTTPC_DEFAULT_TIMEOUT_MS 30000       /* whole request */
#define HTTPC_CONNECT_TIMEOUT_MS 10000       /* connect, at most */

struct event_base;
struct httpc;

/*
 * A request. Every pointer is borrowed: httpc_request() copies what it
 * needs before it returns, so the caller may free or wipe it at once.
 */
struct httpc_req {
    const char *method;          /* NULL: POST when body, else GET */
    const char *url;             /* http:// or https:// */
    const char *const *headers;  /* "Name: value" lines, n_headers */
    size_t n_headers;            /* of them */
    const char *body;            /* may be NULL */
    size_t body_len;             /* bytes of body */
    const char *user, *password; /* basic auth when user is not NULL */
    long timeout_ms;             /* whole request; 0: default */
};

/* What came back. Valid only during the done callback. */
struct httpc_resp {
    int status;             /* HTTP status; 0 when there was none */
    const char *error;      /* NULL on a complete exchange, else a short
                             * kind: "timeout", "connect", "resolve",
                             * "tls", "url", "transport", "too_large"
                             * (over 16 x HTTPC_MAX_BODY), "cancelled" */
    const char *body;       /* NUL-terminated, never NULL */
    size_t body_len;        /* at most HTTPC_MAX_BODY */
    bool truncated;         /* the body was longer than that */
    int64_t retry_after_ms; /* from a Retry-After header, -1 when none */
    int64_t elapsed_ms;     /* from the start of the transfer */
};

/* Called exactly once per accepted request, on the loop, never from
 * inside httpc_request(). It may call httpc_request() again, but not
 * httpc_free(). */
typedef void (*httpc_done_fn)(void *arg, const struct httpc_resp *resp);

/* NULL with err on failure. max_parallel: transfers running at once,
 * at least 1. */
struct httpc *httpc_new(struct event_base *base, int max_parallel,
                        char err[SK_ERR_LEN]);

/* Cancels everything still queued or in flight: each done callback is
 * called once with status 0 and error "cancelled" (httpc_request() then
 * answers SK_ESTATE), then frees. NULL is a no-op. */
void httpc_free(struct httpc *h);

/*
 * Starts (or queues) a request; done(arg, resp) reports the outcome.
 * Returns 0, SK_EINVAL (no url, bad method), SK_EBUSY (queue full),
 * SK_ENOMEM, or SK_ESTATE while httpc_free() runs; on error done is
 * never called.
 */
int httpc_request(struct httpc *h, const struct httpc_req *req,
                  httpc_done_fn done, void *arg);

/* Requests accepted and not yet finished (queued and running). */
int httpc_pending(const struct httpc *h);

#endif
