/*
 * fetch.c - the recording fetch (fetch.h), safe against server-side
 * request forgery, on top of httpc.
 *
 * Design. A URL is parsed with libcurl's own URL parser, the one the
 * transfer uses, and the request goes to the URL as that parser rebuilt
 * it, so the host checked is the host connected to. Each hop is one httpc
 * request with:
 *  - addr_ok: libcurl resolves the name (off the loop, its threaded
 *    resolver) and, before it connects, hands every address to
 *    fetch_addr_ok(), which refuses the non-public ones unless the hop's
 *    host is one of the policy's local hosts. This is the address actually
 *    connected to, so a name that resolves differently a second time (DNS
 *    rebinding) gains nothing. addr_ok also keeps the request off proxies
 *    and off shared connections (see httpc.h);
 *  - max_body: the body is kept up to the cap and the transfer ends as
 *    soon as it is passed or a Content-Length says it will be;
 *  - timeout_ms: what is left of the whole fetch's time.
 * httpc never follows redirects: a 3xx comes back here with its target,
 * which is checked like the first URL and fetched as a new hop, at most
 * FETCH_MAX_REDIRECTS of them. Credentials go only to the first URL's host.
 *
 * An op copies the policy (its strings are borrowed) and lives until its
 * done callback has run; httpc calls back only from the loop and never
 * from inside httpc_request(), so neither does this.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "fetch.h"
#include "httpc.h"

#define FETCH_MAX_URL  4096
#define FETCH_MAX_HOST 256

struct fetch_op {
    struct httpc *h;
    fetch_done_fn done;
    void *arg;
    bool is_delete;
    int hops;   /* redirects followed so far */
    bool local; /* the current hop's host is one of the local hosts */
    struct fetch_policy pol; /* strings owned by the op */
    char *auth; /* "Authorization: Bearer ..." from pol's bearer, or NULL */
    char first_host[FETCH_MAX_HOST];
    int64_t deadline_ms;
};

/* What fetch_parse() found out about a URL. */
struct fetch_target {
    char *url; /* as libcurl rebuilt it, curl_free() it */
    char host[FETCH_MAX_HOST];
    bool local;
};

static int64_t
fetch_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- addresses ----------------------------------------------------------- */

/* a (host order) is a public unicast IPv4 address. */
static bool
fetch_v4_public(uint32_t a)
{
    static const struct {
        uint32_t net, mask;
    } reserved[] = {
        {0x00000000, 0xff000000}, /* 0/8 "this network", unspecified */
        {0x0a000000, 0xff000000}, /* 10/8 private */
        {0x64400000, 0xffc00000}, /* 100.64/10 CGNAT */
        {0x7f000000, 0xff000000}, /* 127/8 loopback */
        {0xa9fe0000, 0xffff0000}, /* 169.254/16 link-local, metadata */
        {0xac100000, 0xfff00000}, /* 172.16/12 private */
        {0xc0000000, 0xffffff00}, /* 192.0.0/24 protocol assignments */
        {0xc0000200, 0xffffff00}, /* 192.0.2/24 documentation */
        {0xc0586300, 0xffffff00}, /* 192.88.99/24 6to4 relay */
        {0xc0a80000, 0xffff0000}, /* 192.168/16 private */
        {0xc6120000, 0xfffe0000}, /* 198.18/15 benchmarking */
        {0xc6336400, 0xffffff00}, /* 198.51.100/24 documentation */
        {0xcb007100, 0xffffff00}, /* 203.0.113/24 documentation */
        {0xe0000000, 0xf0000000}, /* 224/4 multicast */
        {0xf0000000, 0xf0000000}, /* 240/4 reserved, broadcast */
    };
    size_t i;

    for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if ((a & reserved[i].mask) == reserved[i].net)
            return false;
    return true;
}

static uint32_t
fetch_v4_at(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

static bool
fetch_zero(const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] != 0)
            return false;
    return true;
}

/* b is a public unicast IPv6 address. Forms that carry an IPv4 address
 * (mapped, compatible, SIIT, NAT64, 6to4) are judged by that address;
 * anything outside global unicast 2000::/3 is refused (unspecified,
 * loopback, unique local fc00::/7 with fd00:ec2::254, link- and
 * site-local, multicast), and so are Teredo, documentation and
 * benchmarking prefixes inside it. */
static bool
fetch_v6_public(const unsigned char b[16])
{
    static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};

    if (fetch_zero(b, 10) &&
        ((b[10] == 0xff && b[11] == 0xff) || (b[10] == 0 && b[11] == 0)))
        return fetch_v4_public(fetch_v4_at(b + 12)); /* ::ffff:v4, ::v4 */
    if (fetch_zero(b, 8) && b[8] == 0xff && b[9] == 0xff && b[10] == 0 &&
        b[11] == 0)
        return fetch_v4_public(fetch_v4_at(b + 12)); /* ::ffff:0:v4 */
    if (memcmp(b, nat64, sizeof(nat64)) == 0)
        return fetch_v4_public(fetch_v4_at(b + 12)); /* 64:ff9b::v4 */
    if ((b[0] & 0xe0) != 0x20)
        return false; /* not 2000::/3 */
    if (b[0] == 0x20 && b[1] == 0x02)
        return fetch_v4_public(fetch_v4_at(b + 2)); /* 6to4 */
    if (b[0] == 0x20 && b[1] == 0x01) {
        if (b[2] == 0 && b[3] == 0)
            return false; /* 2001::/32 Teredo */
        if (b[2] == 0x0d && b[3] == 0xb8)
            return false; /* 2001:db8::/32 documentation */
        if (b[2] == 0 && b[3] == 0x02 && b[4] == 0 && b[5] == 0)
            return false; /* 2001:2::/48 benchmarking */
    }
    return true;
}

static bool
fetch_sockaddr_public(const struct sockaddr *sa, size_t len)
{
    const struct sockaddr_in *in4;
    const struct sockaddr_in6 *in6;

    if (sa->sa_family == AF_INET && len >= sizeof(*in4)) {
        in4 = (const struct sockaddr_in *)(const void *)sa;
        return fetch_v4_public(ntohl(in4->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6 && len >= sizeof(*in6)) {
        in6 = (const struct sockaddr_in6 *)(const void *)sa;
        return fetch_v6_public(in6->sin6_addr.s6_addr);
    }
    return false; /* no other family */
}

/* httpc's addr_ok: the address libcurl is about to connect to. */
static bool
fetch_addr_ok(void *arg, const struct sockaddr *sa, size_t len)
{
    struct fetch_op *op = arg;

    return op->local || fetch_sockaddr_public(sa, len);
}

/* A literal address as a URL's host holds it ("[::1]" without brackets):
 * 1 public, 0 not, -1 not a literal. */
static int
fetch_literal_public(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (inet_pton(AF_INET, host, &a4) == 1)
        return fetch_v4_public(ntohl(a4.s_addr)) ? 1 : 0;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return fetch_v6_public(a6.s6_addr) ? 1 : 0;
    return -1;
}

/* --- URLs ---------------------------------------------------------------- */

/* Host names compare without case, brackets or a final dot. */
static void
fetch_host_norm(const char *in, char out[FETCH_MAX_HOST])
{
    size_t n = 0, len = strlen(in);

    if (len >= 2 && in[0] == '[' && in[len - 1] == ']') {
        in++;
        len -= 2;
    }
    if (len > 0 && in[len - 1] == '.')
        len--;
    if (len >= FETCH_MAX_HOST)
        len = 0; /* too long to be a host: matches nothing */
    for (n = 0; n < len; n++)
        out[n] = (char)tolower((unsigned char)in[n]);
    out[n] = '\0';
}

static bool
fetch_host_listed(const char *const *list, size_t n, const char *host)
{
    char norm[FETCH_MAX_HOST];
    size_t i;

    for (i = 0; i < n && i < FETCH_MAX_HOSTS; i++) {
        if (list[i] == NULL)
            continue;
        fetch_host_norm(list[i], norm);
        if (norm[0] != '\0' && strcmp(norm, host) == 0)
            return true;
    }
    return false;
}

/* Printable ASCII without spaces, and not too long. */
static bool
fetch_url_chars_ok(const char *url)
{
    size_t i;

    for (i = 0; url[i] != '\0'; i++)
        if (i >= FETCH_MAX_URL || (unsigned char)url[i] <= 0x20 ||
            (unsigned char)url[i] >= 0x7f)
            return false;
    return i > 0;
}

/* Reads scheme and host of u into t, refusing what the policy does not
 * allow. *kind is the error kind on SK_EINVAL. */
static int
fetch_parse_parts(const struct fetch_policy *policy, CURLU *u,
                  struct fetch_target *t, const char **kind,
                  char err[SK_ERR_LEN])
{
    char *scheme = NULL, *part = NULL;
    bool https;
    int rc = SK_EINVAL, pub;

    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        *kind = "url";
        sk_seterr(err, "url: the URL has no scheme");
        goto out;
    }
    https = strcasecmp(scheme, "https") == 0;
    if (!https && strcasecmp(scheme, "http") != 0) {
        *kind = "scheme";
        sk_seterr(err, "scheme: only http and https are fetched");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_ZONEID, &part, 0) == CURLUE_OK) {
        *kind = "url";
        sk_seterr(err, "url: a URL with a user name or zone id");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_HOST, &part, 0) != CURLUE_OK) {
        *kind = "url";
        sk_seterr(err, "url: the URL has no host");
        goto out;
    }
    fetch_host_norm(part, t->host);
    if (t->host[0] == '\0' ||
        !fetch_host_listed(policy->hosts, policy->n_hosts, t->host)) {
        *kind = "host";
        sk_seterr(err, "host: not a host recordings come from");
        goto out;
    }
    t->local = fetch_host_listed(policy->local_hosts, policy->n_local, t->host);
    if (!https && !t->local) {
        *kind = "scheme";
        sk_seterr(err, "scheme: plain http to a host not allowed over http");
        goto out;
    }
    pub = fetch_literal_public(t->host);
    if (!t->local && pub == 0) {
        *kind = "address";
        sk_seterr(err, "address: a loopback, private or reserved address");
        goto out;
    }
    rc = 0;
out:
    curl_free(scheme);
    curl_free(part);
    return rc;
}

/* Checks url against policy; on success t->url is the URL to request. */
static int
fetch_parse(const struct fetch_policy *policy, const char *url,
            struct fetch_target *t, const char **kind, char err[SK_ERR_LEN])
{
    CURLU *u;
    int rc;

    memset(t, 0, sizeof(*t));
    *kind = "url";
    if (policy == NULL || url == NULL || !fetch_url_chars_ok(url)) {
        sk_seterr(err,
                  "url: no URL, or one with spaces, controls or "
                  "over %d bytes",
                  FETCH_MAX_URL);
        return SK_EINVAL;
    }
    u = curl_url();
    if (u == NULL) {
        *kind = "transport";
        sk_seterr(err, "transport: out of memory");
        return SK_ENOMEM;
    }
    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) !=
        CURLUE_OK) {
        sk_seterr(err, "url: not a URL");
        rc = SK_EINVAL;
        goto out;
    }
    rc = fetch_parse_parts(policy, u, t, kind, err);
    if (rc == 0 && curl_url_get(u, CURLUPART_URL, &t->url, 0) != CURLUE_OK) {
        *kind = "transport";
        sk_seterr(err, "transport: out of memory");
        rc = SK_ENOMEM;
    }
out:
    curl_url_cleanup(u);
    return rc;
}

int
fetch_check_url(const struct fetch_policy *policy, const char *url,
                char err[SK_ERR_LEN])
{
    struct fetch_target t;
    const char *kind;
    int rc = fetch_parse(policy, url, &t, &kind, err);

    curl_free(t.url);
    return rc;
}

/* --- ops ----------------------------------------------------------------- */

static char *
fetch_dup(const char *s, bool *ok)
{
    char *d;

    if (s == NULL)
        return NULL;
    d = strdup(s);
    if (d == NULL)
        *ok = false;
    return d;
}

static void
fetch_wipe_free(char *s)
{
    if (s != NULL) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

static void
fetch_op_free(struct fetch_op *op)
{
    size_t i;

    if (op == NULL)
        return;
    for (i = 0; i < op->pol.n_hosts; i++)
        free((char *)op->pol.hosts[i]);
    for (i = 0; i < op->pol.n_local; i++)
        free((char *)op->pol.local_hosts[i]);
    fetch_wipe_free((char *)op->pol.user);
    fetch_wipe_free((char *)op->pol.password);
    fetch_wipe_free(op->auth);
    free(op);
}

/* A copy of policy whose strings the op owns. */
static struct fetch_op *
fetch_op_new(const struct fetch_policy *policy)
{
    struct fetch_op *op = calloc(1, sizeof(*op));
    bool ok = true;
    size_t i;

    if (op == NULL)
        return NULL;
    for (i = 0; i < policy->n_hosts && i < FETCH_MAX_HOSTS; i++) {
        op->pol.hosts[i] = fetch_dup(policy->hosts[i], &ok);
        op->pol.n_hosts = i + 1;
    }
    for (i = 0; i < policy->n_local && i < FETCH_MAX_HOSTS; i++) {
        op->pol.local_hosts[i] = fetch_dup(policy->local_hosts[i], &ok);
        op->pol.n_local = i + 1;
    }
    op->pol.user = fetch_dup(policy->user, &ok);
    op->pol.password = fetch_dup(policy->password, &ok);
    if (policy->bearer != NULL &&
        (op->auth = malloc(strlen(policy->bearer) + 23)) != NULL)
        sprintf(op->auth, "Authorization: Bearer %s", policy->bearer);
    else if (policy->bearer != NULL)
        ok = false;
    op->pol.max_bytes =
        policy->max_bytes != 0 ? policy->max_bytes : FETCH_DEFAULT_BYTES;
    op->pol.timeout_ms =
        policy->timeout_ms > 0 ? policy->timeout_ms : FETCH_DEFAULT_MS;
    if (!ok) {
        fetch_op_free(op);
        return NULL;
    }
    return op;
}

/* Reports a failure of kind (status when there was one) and frees op. */
static void
fetch_fail(struct fetch_op *op, const char *kind, int status)
{
    struct fetch_result res;

    memset(&res, 0, sizeof(res));
    res.error = kind;
    res.status = status;
    if (op->done != NULL)
        op->done(op->arg, &res);
    fetch_op_free(op);
}

static const char *
fetch_kind_of(const char *httpc_kind)
{
    if (strcmp(httpc_kind, "timeout") == 0)
        return "timeout";
    if (strcmp(httpc_kind, "too_large") == 0)
        return "too_large";
    if (strcmp(httpc_kind, "refused") == 0)
        return "address";
    return "transport";
}

static void fetch_hop_done(void *arg, const struct httpc_resp *resp);

/* Starts the hop to t (checked); 0 or the httpc_request() error. */
static int
fetch_hop(struct fetch_op *op, const struct fetch_target *t)
{
    struct httpc_req req;
    int64_t left = op->deadline_ms - fetch_now_ms();
    bool first = op->first_host[0] == '\0';

    if (left <= 0)
        return SK_ELIMIT;
    if (first)
        memcpy(op->first_host, t->host, sizeof(op->first_host));
    op->local = t->local;
    memset(&req, 0, sizeof(req));
    req.method = op->is_delete ? "DELETE" : "GET";
    req.url = t->url;
    if (strcmp(op->first_host, t->host) == 0 && op->pol.user != NULL) {
        req.user = op->pol.user;
        req.password = op->pol.password;
    }
    if (strcmp(op->first_host, t->host) == 0 && op->auth != NULL) {
        req.headers = (const char *const *)&op->auth;
        req.n_headers = 1;
    }
    req.timeout_ms = (long)left;
    req.max_body = op->pol.max_bytes;
    req.addr_ok = fetch_addr_ok;
    req.addr_arg = op;
    return httpc_request(op->h, &req, fetch_hop_done, op);
}

static bool
fetch_is_redirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 ||
           status == 308;
}

/* A 3xx: checks its target and goes on there, or fails. */
static void
fetch_redirect(struct fetch_op *op, const struct httpc_resp *resp)
{
    struct fetch_target t;
    const char *kind;
    char err[SK_ERR_LEN] = "";
    int rc;

    if (++op->hops > FETCH_MAX_REDIRECTS) {
        fetch_fail(op, "redirect", resp->status);
        return;
    }
    rc = fetch_parse(&op->pol, resp->location, &t, &kind, err);
    if (rc == 0) {
        rc = fetch_hop(op, &t);
        kind = rc == SK_ELIMIT ? "timeout" : "transport";
    }
    curl_free(t.url);
    if (rc != 0)
        fetch_fail(op, kind, resp->status);
}

static void
fetch_hop_done(void *arg, const struct httpc_resp *resp)
{
    struct fetch_op *op = arg;
    struct fetch_result res;

    if (resp->error != NULL) {
        fetch_fail(op, fetch_kind_of(resp->error), resp->status);
        return;
    }
    if (!op->is_delete && fetch_is_redirect(resp->status) &&
        resp->location != NULL) {
        fetch_redirect(op, resp);
        return;
    }
    if (resp->status < 200 || resp->status > 299) {
        fetch_fail(op, "status", resp->status);
        return;
    }
    memset(&res, 0, sizeof(res));
    res.status = resp->status;
    res.body = (const unsigned char *)resp->body;
    res.len = resp->body_len;
    res.content_type = resp->content_type;
    if (op->done != NULL)
        op->done(op->arg, &res);
    fetch_op_free(op);
}

static int
fetch_start(struct httpc *h, const struct fetch_policy *policy, const char *url,
            bool is_delete, fetch_done_fn done, void *arg)
{
    struct fetch_target t;
    struct fetch_op *op;
    const char *kind;
    char err[SK_ERR_LEN] = "";
    int rc;

    if (h == NULL || (done == NULL && !is_delete))
        return SK_EINVAL;
    rc = fetch_parse(policy, url, &t, &kind, err);
    if (rc != 0) {
        curl_free(t.url);
        return rc;
    }
    op = fetch_op_new(policy);
    if (op == NULL) {
        curl_free(t.url);
        return SK_ENOMEM;
    }
    op->h = h;
    op->done = done;
    op->arg = arg;
    op->is_delete = is_delete;
    op->deadline_ms = fetch_now_ms() + op->pol.timeout_ms;
    rc = fetch_hop(op, &t);
    curl_free(t.url);
    if (rc != 0) {
        op->done = NULL;
        fetch_op_free(op);
        return rc == SK_ELIMIT ? SK_EINVAL : rc;
    }
    return 0;
}

int
fetch_get(struct httpc *h, const struct fetch_policy *policy, const char *url,
          fetch_done_fn done, void *arg)
{
    return fetch_start(h, policy, url, false, done, arg);
}

int
fetch_delete(struct httpc *h, const struct fetch_policy *policy,
             const char *url, fetch_done_fn done, void *arg)
{
    return fetch_start(h, policy, url, true, done, arg);
}
