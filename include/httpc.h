/*
 * httpc.h - asynchronous HTTP client on the event loop (libcurl multi).
 *
 * Every outgoing request (provider send APIs, alert webhooks, recording
 * fetches) goes through one struct httpc made on the loop's event_base.
 * libcurl's multi-socket API is driven by libevent events, so the loop
 * never waits on the network; name lookups use libcurl's threaded
 * resolver (Debian's libcurl is built with it; httpc_dns_async() says
 * whether it is there).
 *
 * Limits on every request: redirects are not followed, only http and
 * https are allowed, the response body is kept up to HTTPC_MAX_BODY bytes
 * (the rest is read and dropped, resp->truncated says so, unless the
 * request sets its own max_body), and connect and total timeouts always
 * apply. A request may check every address it connects to (addr_ok; the
 * recording fetch, fetch.h, is built on it). Requests beyond max_parallel
 * wait in a bounded queue (HTTPC_MAX_QUEUED) and start in order.
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
struct sockaddr;

/* Says whether the transfer may connect to sa (len bytes): see
 * struct httpc_req's addr_ok. */
typedef bool (*httpc_addr_fn)(void *arg, const struct sockaddr *sa, size_t len);

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
    /* 0: keep HTTPC_MAX_BODY bytes of the response and drop the rest
     * (truncated). Else keep the whole body, at most max_body bytes: a
     * longer one (or a Content-Length saying so) ends the transfer at
     * once with "too_large". */
    size_t max_body;
    /* NULL, or called (on the loop, from inside libcurl) with every
     * address libcurl is about to connect to, after its own lookup:
     * false refuses it, and when no address is left the request fails
     * with "refused". With it the request also bypasses any proxy and
     * uses a connection of its own (none reused, none kept), so every
     * connection it makes has been checked. */
    httpc_addr_fn addr_ok;
    void *addr_arg;
};

/* What came back. Valid only during the done callback. */
struct httpc_resp {
    int status;               /* HTTP status; 0 when there was none */
    const char *error;        /* NULL on a complete exchange, else a short
                               * kind: "timeout", "connect", "resolve",
                               * "tls", "url", "transport", "too_large"
                               * (over 16 x HTTPC_MAX_BODY, or over
                               * max_body), "refused" (addr_ok),
                               * "cancelled" */
    const char *body;         /* NUL-terminated, never NULL */
    size_t body_len;          /* at most HTTPC_MAX_BODY */
    bool truncated;           /* the body was longer than that */
    int64_t retry_after_ms;   /* from a Retry-After header, -1 when none */
    int64_t elapsed_ms;       /* from the start of the transfer */
    const char *location;     /* a 3xx's target as an absolute URL, or
                               * NULL (redirects are never followed) */
    const char *content_type; /* the response's, or NULL */
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

/* Whether libcurl resolves names off the calling thread (its threaded
 * resolver); when false, a name lookup blocks the loop. */
bool httpc_dns_async(void);

/* Requests accepted and not yet finished (queued and running). */
int httpc_pending(const struct httpc *h);

#endif
