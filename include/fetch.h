/*
 * fetch.h - fetching a child's recording from the provider, safe against
 * server-side request forgery (audio/fetch.c, on top of httpc).
 *
 * A recording URL arrives in a provider's webhook: whoever can post to
 * the webhook chooses it. fetch_get() therefore refuses, before and
 * after every redirect: a scheme other than https (http only for a host
 * the policy allows over http), a host not in the policy's list, and a
 * name that resolves to a loopback, private, link-local, CGNAT, multicast,
 * unspecified or cloud-metadata address unless the policy lists that host
 * as allowed to be private. IPv6 forms that carry an IPv4 address
 * (::ffff:127.0.0.1, NAT64, 6to4) are judged by that address. libcurl
 * resolves each hop's name and every address it is about to connect to is
 * checked there (httpc's addr_ok), so the connection goes to exactly an
 * address that passed, never through a proxy or a shared connection.
 * Redirects are followed here, never by libcurl: each target is checked
 * like the first URL, at most FETCH_MAX_REDIRECTS of them, and the
 * policy's credentials go only to the first URL's host. Body size (also
 * when a Content-Length announces it) and total time over every hop are
 * capped.
 *
 * Loop thread only, like httpc: every function here and every callback.
 * Nothing is logged that could lead back to a child: no URL, no body.
 */
#ifndef SK_FETCH_H
#define SK_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct httpc;

#define FETCH_MAX_HOSTS     16
#define FETCH_MAX_REDIRECTS 3
#define FETCH_DEFAULT_BYTES (8 * 1024 * 1024) /* a few minutes of 8 kHz */
#define FETCH_DEFAULT_MS    20000

/* Which hosts a channel's recordings may come from. Borrowed strings. */
struct fetch_policy {
    const char *hosts[FETCH_MAX_HOSTS]; /* exact host names (media_hosts
                                         * and the provider's own) */
    size_t n_hosts;
    /* of hosts[], those that may be fetched over plain http and may
     * resolve to loopback or private addresses (a test's or an operator's
     * local media server, listed explicitly) */
    const char *local_hosts[FETCH_MAX_HOSTS];
    size_t n_local;
    size_t max_bytes; /* 0: FETCH_DEFAULT_BYTES */
    long timeout_ms;  /* whole fetch, every hop; 0: FETCH_DEFAULT_MS */
    const char *user, *password; /* basic auth for the provider's API */
    const char *bearer;          /* or a token for it (Authorization: Bearer) */
};

/* What came back, valid only during the callback. On refusal or failure
 * body is NULL and error is a short kind:
 *   "url"       not a URL we fetch (malformed, a user name or zone id)
 *   "scheme"    not https (or http to a host allowed over http)
 *   "host"      a host not in the policy
 *   "address"   a loopback, private, reserved or metadata address, as a
 *               literal or what the name resolved to
 *   "redirect"  more than FETCH_MAX_REDIRECTS redirects
 *   "too_large" over max_bytes
 *   "timeout"   over timeout_ms
 *   "status"    a final status other than 2xx (status says which)
 *   "transport" anything else (connection, TLS, out of memory)
 * A redirect to a refused target fails with the target's kind ("host",
 * "scheme", "address", "url"). On success error is NULL and status 2xx. */
struct fetch_result {
    const char *error;
    int status;
    const unsigned char *body;
    size_t len;
    const char *content_type; /* may be NULL */
};
typedef void (*fetch_done_fn)(void *arg, const struct fetch_result *res);

/* Checks url against policy without any I/O (scheme, host, literal
 * addresses): 0, SK_EINVAL, or SK_ENOMEM; err then starts with the kind
 * struct fetch_result would give ("host: ...") and says why, never
 * naming the URL. */
int fetch_check_url(const struct fetch_policy *policy, const char *url,
                    char err[SK_ERR_LEN]);

/* Starts a GET of url; done is called exactly once, never from inside
 * fetch_get(). Returns 0, SK_EINVAL (refused by fetch_check_url, or no
 * done), SK_EBUSY, SK_ENOMEM, SK_ESTATE (httpc closing); on error done is
 * not called. */
int fetch_get(struct httpc *h, const struct fetch_policy *policy,
              const char *url, fetch_done_fn done, void *arg);

/* DELETE at url under the same policy (the provider's copy of a recording
 * once ours is stored); done may be NULL. Redirects are not followed: a
 * 3xx is a "status" failure. Returns as fetch_get(). */
int fetch_delete(struct httpc *h, const struct fetch_policy *policy,
                 const char *url, fetch_done_fn done, void *arg);

#endif
