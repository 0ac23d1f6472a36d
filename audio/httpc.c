/*
 * httpc.c - libcurl's multi-socket API driven by libevent (as in curl's
 * hiperfifo.c example).
 *
 * Design. One CURLM per struct httpc. libcurl tells us, through
 * CURLMOPT_SOCKETFUNCTION, which sockets to watch for what: each gets a
 * struct httpc_sock holding a persistent libevent event. Through
 * CURLMOPT_TIMERFUNCTION it asks for one timer, which is one evtimer.
 * When an event or the timer fires we call curl_multi_socket_action() and
 * then collect finished transfers with curl_multi_info_read(). libcurl's
 * callbacks only (re)arm events: curl_multi_socket_action() is never
 * called from inside them, so a zero timeout becomes a zero evtimer.
 *
 * Each request is a struct httpc_xfer with its own easy handle, set up
 * completely in httpc_request() (libcurl copies the strings; the body is
 * copied here and wiped when the transfer ends), then either added to the multi
 * at once or queued until fewer than max_parallel transfers run. Done callbacks
 * run only from httpc_check() or httpc_free(), both on the loop, so a caller
 * never sees its callback before httpc_request() returns.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "httpc.h"

/* Past this many response bytes (kept or dropped) the transfer stops. */
#define HTTPC_MAX_READ   (16 * HTTPC_MAX_BODY)
#define HTTPC_MAX_METHOD 16
/* A Retry-After longer than this is taken as this. */
#define HTTPC_RETRY_AFTER_MAX_MS (24LL * 3600 * 1000)

struct httpc_sock {
    LIST_ENTRY(httpc_sock) link;
    struct httpc *h;
    curl_socket_t fd;
    struct event *ev;
};

struct httpc_xfer {
    TAILQ_ENTRY(httpc_xfer) link;
    struct httpc *h;
    CURL *easy;
    struct curl_slist *hdrs;
    char *req_body; /* our copy of the request body, wiped when freed */
    size_t req_len;
    httpc_done_fn done;
    void *arg;
    char *body; /* kept bytes, NUL-terminated when not NULL */
    size_t len, cap;
    size_t read; /* all body bytes seen, kept or not */
    bool truncated;
    bool too_large;
    bool refused;    /* addr_ok refused an address */
    bool running;    /* added to the multi */
    size_t max_body; /* 0: keep HTTPC_MAX_BODY, drop the rest */
    httpc_addr_fn addr_ok;
    void *addr_arg;
    int64_t retry_after_ms;
    int64_t started_ms;
};
TAILQ_HEAD(httpc_xfer_list, httpc_xfer);

struct httpc {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    struct httpc_xfer_list queued, running;
    LIST_HEAD(, httpc_sock) socks;
    int n_queued, n_running, max_parallel;
    bool closing;
    bool global_init;
};

static int64_t
httpc_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- transfers ----------------------------------------------------------- */

static void
httpc_xfer_free(struct httpc_xfer *x)
{
    if (x == NULL)
        return;
    if (x->easy != NULL)
        curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->hdrs);
    if (x->req_body != NULL) {
        explicit_bzero(x->req_body, x->req_len);
        free(x->req_body);
    }
    free(x->body);
    free(x);
}

static const char *
httpc_error_kind(CURLcode res)
{
    switch (res) {
    case CURLE_OK:
        return NULL;
    case CURLE_OPERATION_TIMEDOUT:
        return "timeout";
    case CURLE_COULDNT_CONNECT:
        return "connect";
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return "resolve";
    case CURLE_FILESIZE_EXCEEDED:
        return "too_large";
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return "url";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
        return "tls";
    default:
        return "transport";
    }
}

/* Reports the outcome of x (removed from every list) and frees it. */
static void
httpc_finish(struct httpc_xfer *x, CURLcode res, const char *kind)
{
    struct httpc_resp resp;
    long code = 0;
    char *s;

    memset(&resp, 0, sizeof(resp));
    if (kind == NULL && x->too_large)
        kind = "too_large";
    if (kind == NULL && res != CURLE_OK && x->refused)
        kind = "refused";
    if (kind == NULL)
        kind = httpc_error_kind(res);
    if (kind == NULL && x->easy != NULL &&
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK)
        resp.status = (int)code;
    if (kind == NULL && code >= 300 && code < 400 &&
        curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &s) == CURLE_OK)
        resp.location = s;
    if (kind == NULL && x->easy != NULL &&
        curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK)
        resp.content_type = s;
    resp.error = kind;
    resp.body = x->body != NULL ? x->body : "";
    resp.body_len = x->len;
    resp.truncated = x->truncated;
    resp.retry_after_ms = x->retry_after_ms;
    resp.elapsed_ms = x->running ? httpc_now_ms() - x->started_ms : 0;
    x->done(x->arg, &resp);
    httpc_xfer_free(x);
}

/* Adds x to the multi; on failure x is untouched and not running. */
static int
httpc_start(struct httpc *h, struct httpc_xfer *x)
{
    x->started_ms = httpc_now_ms();
    if (curl_multi_add_handle(h->multi, x->easy) != CURLM_OK)
        return SK_ENOMEM;
    x->running = true;
    TAILQ_INSERT_TAIL(&h->running, x, link);
    h->n_running++;
    return 0;
}

/* Starts queued transfers while there is room. */
static void
httpc_pump(struct httpc *h)
{
    struct httpc_xfer *x;

    while (!h->closing && h->n_running < h->max_parallel &&
           (x = TAILQ_FIRST(&h->queued)) != NULL) {
        TAILQ_REMOVE(&h->queued, x, link);
        h->n_queued--;
        if (httpc_start(h, x) != 0)
            httpc_finish(x, CURLE_OUT_OF_MEMORY, NULL);
    }
}

/* Collects finished transfers, reports them, starts queued ones. */
static void
httpc_check(struct httpc *h)
{
    struct httpc_xfer *x;
    CURLMsg *msg;
    CURL *easy;
    char *priv;
    CURLcode res;
    int left;

    while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        easy = msg->easy_handle;
        res = msg->data.result; /* msg dies with remove_handle */
        priv = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        x = (struct httpc_xfer *)priv;
        curl_multi_remove_handle(h->multi, easy);
        if (x == NULL)
            continue;
        TAILQ_REMOVE(&h->running, x, link);
        h->n_running--;
        httpc_finish(x, res, NULL);
    }
    httpc_pump(h);
}

/* --- libcurl callbacks --------------------------------------------------- */

static size_t
httpc_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
    struct httpc_xfer *x = arg;
    size_t n = size * nmemb, keep = n, cap;
    size_t limit = x->max_body != 0 ? x->max_body : HTTPC_MAX_BODY;
    char *p;

    x->read += n;
    if (x->read > (x->max_body != 0 ? x->max_body : HTTPC_MAX_READ)) {
        x->too_large = true;
        return 0; /* aborts with CURLE_WRITE_ERROR */
    }
    if (keep > limit - x->len) {
        keep = limit - x->len;
        x->truncated = true;
    }
    if (keep == 0)
        return n;
    if (x->len + keep + 1 > x->cap) {
        cap = x->cap != 0 ? x->cap : 1024;
        while (cap < x->len + keep + 1)
            cap *= 2;
        if (cap > limit + 1)
            cap = limit + 1;
        p = realloc(x->body, cap);
        if (p == NULL)
            return 0;
        x->body = p;
        x->cap = cap;
    }
    memcpy(x->body + x->len, data, keep);
    x->len += keep;
    x->body[x->len] = '\0';
    return n;
}

/* Reads Retry-After (seconds or an HTTP date) from the final response. */
static size_t
httpc_header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
    static const char name[] = "retry-after:";
    struct httpc_xfer *x = arg;
    size_t n = size * nmemb, i = sizeof(name) - 1;
    char value[64];
    size_t vlen = 0;
    int64_t ms = -1;
    time_t when;
    char *end;
    long long secs;

    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        x->retry_after_ms = -1; /* a new response (after 1xx) */
        return n;
    }
    if (n <= i || strncasecmp(data, name, i) != 0)
        return n;
    while (i < n && (data[i] == ' ' || data[i] == '\t'))
        i++;
    while (i < n && vlen < sizeof(value) - 1 && data[i] != '\r' &&
           data[i] != '\n')
        value[vlen++] = data[i++];
    while (vlen > 0 && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t'))
        vlen--;
    value[vlen] = '\0';
    if (vlen == 0)
        return n;
    if (isdigit((unsigned char)value[0])) {
        secs = strtoll(value, &end, 10);
        if (*end == '\0' && secs >= 0)
            ms = secs > HTTPC_RETRY_AFTER_MAX_MS / 1000
                     ? HTTPC_RETRY_AFTER_MAX_MS
                     : (int64_t)secs * 1000;
    } else {
        when = curl_getdate(value, NULL);
        if (when != (time_t)-1) {
            secs = (long long)(when - time(NULL));
            ms = secs <= 0 ? 0
                 : secs > HTTPC_RETRY_AFTER_MAX_MS / 1000
                     ? HTTPC_RETRY_AFTER_MAX_MS
                     : (int64_t)secs * 1000;
        }
    }
    x->retry_after_ms = ms;
    return n;
}

/* CURLOPT_OPENSOCKETFUNCTION, with addr_ok: the one place a connection's
 * address is known before it is made. */
static curl_socket_t
httpc_open_cb(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct httpc_xfer *x = arg;

    if (purpose != CURLSOCKTYPE_IPCXN ||
        !x->addr_ok(x->addr_arg, &a->addr, (size_t)a->addrlen)) {
        x->refused = true;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static void
httpc_event_cb(evutil_socket_t fd, short what, void *arg)
{
    struct httpc *h = arg;
    int action = 0, running = 0;

    if (what & EV_READ)
        action |= CURL_CSELECT_IN;
    if (what & EV_WRITE)
        action |= CURL_CSELECT_OUT;
    curl_multi_socket_action(h->multi, fd, action, &running);
    httpc_check(h);
}

static void
httpc_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct httpc *h = arg;
    int running = 0;

    (void)fd;
    (void)what;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    httpc_check(h);
}

/* CURLMOPT_TIMERFUNCTION: only arms or disarms the one evtimer. */
static int
httpc_curl_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
    struct httpc *h = arg;
    struct timeval tv;

    (void)multi;
    if (timeout_ms < 0)
        return evtimer_del(h->timer) == 0 ? 0 : -1;
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    return evtimer_add(h->timer, &tv) == 0 ? 0 : -1;
}

static void
httpc_sock_free(struct httpc_sock *s)
{
    LIST_REMOVE(s, link);
    if (s->ev != NULL)
        event_free(s->ev);
    free(s);
}

/* CURLMOPT_SOCKETFUNCTION: watches fd for what libcurl asks. */
static int
httpc_curl_sock_cb(CURL *easy, curl_socket_t fd, int what, void *arg,
                   void *sockp)
{
    struct httpc *h = arg;
    struct httpc_sock *s = sockp;
    short kind = EV_PERSIST;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (s != NULL) {
            curl_multi_assign(h->multi, fd, NULL);
            httpc_sock_free(s);
        }
        return 0;
    }
    if (s == NULL) {
        s = calloc(1, sizeof(*s));
        if (s == NULL)
            return -1;
        s->h = h;
        s->fd = fd;
        LIST_INSERT_HEAD(&h->socks, s, link);
        if (curl_multi_assign(h->multi, fd, s) != CURLM_OK) {
            httpc_sock_free(s);
            return -1;
        }
    }
    if (s->ev != NULL) {
        event_free(s->ev);
        s->ev = NULL;
    }
    if (what & CURL_POLL_IN)
        kind |= EV_READ;
    if (what & CURL_POLL_OUT)
        kind |= EV_WRITE;
    s->ev = event_new(h->base, fd, kind, httpc_event_cb, h);
    if (s->ev == NULL || event_add(s->ev, NULL) != 0)
        return -1;
    return 0;
}

/* --- public -------------------------------------------------------------- */

struct httpc *
httpc_new(struct event_base *base, int max_parallel, char err[SK_ERR_LEN])
{
    struct httpc *h = NULL;

    if (base == NULL || max_parallel < 1) {
        sk_seterr(err, "httpc: no event base or max_parallel < 1");
        return NULL;
    }
    h = calloc(1, sizeof(*h));
    if (h == NULL) {
        sk_seterr(err, "httpc: out of memory");
        return NULL;
    }
    h->base = base;
    h->max_parallel = max_parallel;
    TAILQ_INIT(&h->queued);
    TAILQ_INIT(&h->running);
    LIST_INIT(&h->socks);
    /* Reference-counted, and thread-safe since libcurl 7.84. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        sk_seterr(err, "httpc: curl_global_init failed");
        goto fail;
    }
    h->global_init = true;
    h->multi = curl_multi_init();
    h->timer = evtimer_new(base, httpc_timer_cb, h);
    if (h->multi == NULL || h->timer == NULL) {
        sk_seterr(err, "httpc: out of memory");
        goto fail;
    }
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, httpc_curl_sock_cb);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, httpc_curl_timer_cb);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                      (long)max_parallel);
    return h;
fail:
    httpc_free(h);
    return NULL;
}

void
httpc_free(struct httpc *h)
{
    struct httpc_xfer *x;
    struct httpc_sock *s;

    if (h == NULL)
        return;
    h->closing = true;
    while ((x = TAILQ_FIRST(&h->running)) != NULL) {
        TAILQ_REMOVE(&h->running, x, link);
        h->n_running--;
        curl_multi_remove_handle(h->multi, x->easy);
        httpc_finish(x, CURLE_ABORTED_BY_CALLBACK, "cancelled");
    }
    while ((x = TAILQ_FIRST(&h->queued)) != NULL) {
        TAILQ_REMOVE(&h->queued, x, link);
        h->n_queued--;
        httpc_finish(x, CURLE_ABORTED_BY_CALLBACK, "cancelled");
    }
    if (h->multi != NULL)
        curl_multi_cleanup(h->multi);
    while ((s = LIST_FIRST(&h->socks)) != NULL)
        httpc_sock_free(s);
    if (h->timer != NULL)
        event_free(h->timer);
    if (h->global_init)
        curl_global_cleanup();
    free(h);
}

/* A method is 1..16 upper-case letters. */
static bool
httpc_method_ok(const char *m)
{
    size_t i;

    for (i = 0; m[i] != '\0'; i++)
        if (i >= HTTPC_MAX_METHOD || m[i] < 'A' || m[i] > 'Z')
            return false;
    return i > 0;
}

/* Sets the method and body on x->easy. */
static int
httpc_setup_method(struct httpc_xfer *x, const struct httpc_req *req)
{
    const char *method = req->method;
    CURL *e = x->easy;
    bool body = req->body != NULL;
    int rc = 0;

    if (method == NULL)
        method = body ? "POST" : "GET";
    if (!httpc_method_ok(method))
        return SK_EINVAL;
    if (strcmp(method, "GET") == 0 && !body)
        rc |= curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    else if (strcmp(method, "HEAD") == 0 && !body)
        rc |= curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (body || strcmp(method, "POST") == 0) {
        /* Our own copy rather than CURLOPT_COPYPOSTFIELDS: it may hold a
         * phone number, and this one is wiped when the transfer ends. */
        x->req_len = body ? req->body_len : 0;
        x->req_body = malloc(x->req_len + 1);
        if (x->req_body == NULL)
            return SK_ENOMEM;
        if (x->req_len > 0)
            memcpy(x->req_body, req->body, x->req_len);
        x->req_body[x->req_len] = '\0';
        rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                               (curl_off_t)x->req_len);
        rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->req_body);
        if (strcmp(method, "POST") != 0)
            rc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    } else
        rc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    return rc == 0 ? 0 : SK_ENOMEM;
}

/* Copies the header lines (no CR or LF inside) into x->hdrs. */
static int
httpc_setup_headers(struct httpc_xfer *x, const struct httpc_req *req)
{
    struct curl_slist *l;
    size_t i;

    for (i = 0; i < req->n_headers; i++) {
        if (req->headers[i] == NULL || strchr(req->headers[i], ':') == NULL ||
            strpbrk(req->headers[i], "\r\n") != NULL)
            return SK_EINVAL;
        l = curl_slist_append(x->hdrs, req->headers[i]);
        if (l == NULL)
            return SK_ENOMEM;
        x->hdrs = l;
    }
    /* No "Expect: 100-continue" round trip on larger bodies. */
    l = curl_slist_append(x->hdrs, "Expect:");
    if (l == NULL)
        return SK_ENOMEM;
    x->hdrs = l;
    return curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs) == CURLE_OK
               ? 0
               : SK_ENOMEM;
}

static int
httpc_setup(struct httpc_xfer *x, const struct httpc_req *req)
{
    long total =
        req->timeout_ms > 0 ? req->timeout_ms : HTTPC_DEFAULT_TIMEOUT_MS;
    long conn =
        total < HTTPC_CONNECT_TIMEOUT_MS ? total : HTTPC_CONNECT_TIMEOUT_MS;
    CURL *e = x->easy;
    int rc = 0;

    rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, total);
    rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, conn);
    rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, "sikiliza/" SK_VERSION);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, httpc_write_cb);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, httpc_header_cb);
    rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    rc |= curl_easy_setopt(e, CURLOPT_URL, req->url);
    if (req->user != NULL) {
        rc |= curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        rc |= curl_easy_setopt(e, CURLOPT_USERNAME, req->user);
        rc |= curl_easy_setopt(e, CURLOPT_PASSWORD,
                               req->password != NULL ? req->password : "");
    }
    if (req->max_body != 0) {
        x->max_body = req->max_body;
        rc |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                               (curl_off_t)req->max_body);
    }
    if (req->addr_ok != NULL) {
        x->addr_ok = req->addr_ok;
        x->addr_arg = req->addr_arg;
        rc |= curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, httpc_open_cb);
        rc |= curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x);
        rc |= curl_easy_setopt(e, CURLOPT_PROXY, "");
        rc |= curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
        rc |= curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    }
    if (rc != 0)
        return SK_ENOMEM;
    rc = httpc_setup_method(x, req);
    if (rc == 0)
        rc = httpc_setup_headers(x, req);
    return rc;
}

int
httpc_request(struct httpc *h, const struct httpc_req *req, httpc_done_fn done,
              void *arg)
{
    struct httpc_xfer *x = NULL;
    int rc;

    if (h == NULL || h->closing)
        return SK_ESTATE;
    if (req == NULL || done == NULL || req->url == NULL ||
        (strncasecmp(req->url, "http://", 7) != 0 &&
         strncasecmp(req->url, "https://", 8) != 0) ||
        (req->n_headers > 0 && req->headers == NULL))
        return SK_EINVAL;
    if (h->n_running >= h->max_parallel && h->n_queued >= HTTPC_MAX_QUEUED)
        return SK_EBUSY;
    x = calloc(1, sizeof(*x));
    if (x == NULL)
        return SK_ENOMEM;
    x->h = h;
    x->done = done;
    x->arg = arg;
    x->retry_after_ms = -1;
    x->easy = curl_easy_init();
    if (x->easy == NULL) {
        rc = SK_ENOMEM;
        goto fail;
    }
    rc = httpc_setup(x, req);
    if (rc != 0)
        goto fail;
    if (h->n_running < h->max_parallel && TAILQ_EMPTY(&h->queued)) {
        rc = httpc_start(h, x);
        if (rc != 0)
            goto fail;
    } else {
        TAILQ_INSERT_TAIL(&h->queued, x, link);
        h->n_queued++;
    }
    return 0;
fail:
    httpc_xfer_free(x);
    return rc;
}

bool
httpc_dns_async(void)
{
    const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);

    return vi != NULL && (vi->features & CURL_VERSION_ASYNCHDNS) != 0;
}

int
httpc_pending(const struct httpc *h)
{
    return h != NULL ? h->n_running + h->n_queued : 0;
}
