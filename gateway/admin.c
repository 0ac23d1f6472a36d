/*
 * admin.c - the admin API (see admin.h). A second http.c server on
 * [server] admin_listen, with its own small limits; one catch-all page
 * ("/") so that every path, known or not, is behind the token.
 *
 * A request, on the loop: the peer's failure count is checked (429 while
 * it is over ADMIN_FAILS_MAX in the current minute), then the bearer
 * token (401, counted as a failure), then the route. Each route is one
 * store job on the writer thread that writes the audit row and reads what
 * the answer needs; its done callback, back on the loop, renders the JSON
 * and sends it. At most ADMIN_MAX_JOBS are in flight (503 past it), so
 * the admin API cannot fill the writer's queue the providers need.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fcntl.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "admin.h"
#include "config.h"
#include "flow.h"
#include "hex.h"
#include "http.h"
#include "log.h"
#include "store.h"

#define ADMIN_MAX_BODY        4096 /* the API takes no bodies */
#define ADMIN_MAX_HEADERS     8192
#define ADMIN_TIMEOUT_SECONDS 60
#define ADMIN_MAX_CONNECTIONS 16
#define ADMIN_MAX_JOBS        8  /* store jobs in flight */
#define ADMIN_PEERS           64 /* peers whose failures are counted */
#define ADMIN_FAILS_MAX       10 /* failed attempts per peer and window */
#define ADMIN_WINDOW_SECONDS  60.0
#define ADMIN_AUDIT_ROWS      1000 /* rows one /api/audit call returns */
#define ADMIN_SUBJECT_LEN     128

/* One peer's failed attempts in the current window. */
struct admin_peer {
    char addr[64];
    double window_start; /* http_now() */
    int fails;
};

struct admin {
    struct admin_deps d;
    struct http_server *http;
    char token[ADMIN_TOKEN_MAX + 1];
    char actor[ADMIN_ACTOR_LEN];
    struct admin_peer peers[ADMIN_PEERS];
    int jobs; /* in flight */
};

enum admin_route {
    ROUTE_FLOWS,
    ROUTE_AUDIT,
};

struct admin_job {
    struct admin *a;
    struct evhttp_request *req;
    double t0;
    enum admin_route route;
    const char *action;
    char subject[ADMIN_SUBJECT_LEN]; /* "" for none */
    int64_t now_ms;
    int64_t since_ms;
    json_t *rows; /* /api/audit: filled on the writer thread */
};

/* --- the token ------------------------------------------------------------
 */

int
admin_token_load(const char *path, char *out, size_t cap, char err[SK_ERR_LEN])
{
    struct stat st;
    char buf[ADMIN_TOKEN_MAX + 3];
    ssize_t n;
    size_t len, i;
    int fd;

    if (path == NULL) {
        sk_seterr(err, "[server] admin_listen needs admin_token_file");
        return SK_EINVAL;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        sk_seterr(err, "admin_token_file %s: cannot open it", path);
        return SK_EINVAL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        sk_seterr(err, "admin_token_file %s: not a regular file", path);
        return SK_EINVAL;
    }
    if ((st.st_mode & 077) != 0) {
        close(fd);
        sk_seterr(err,
                  "admin_token_file %s: mode %03o lets others read it "
                  "(chmod 600)",
                  path, (unsigned)(st.st_mode & 0777));
        return SK_EINVAL;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 0) {
        sk_seterr(err, "admin_token_file %s: cannot read it", path);
        return SK_EINVAL;
    }
    len = (size_t)n;
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    for (i = 0; i < len; i++)
        if ((unsigned char)buf[i] <= ' ' || buf[i] == 0x7f) {
            sk_seterr(err,
                      "admin_token_file %s: the token holds a space or "
                      "control character",
                      path);
            return SK_EINVAL;
        }
    if (len < ADMIN_TOKEN_MIN || len > ADMIN_TOKEN_MAX || len >= cap) {
        sk_seterr(err,
                  "admin_token_file %s: the token must have %d to %d "
                  "characters",
                  path, ADMIN_TOKEN_MIN, ADMIN_TOKEN_MAX);
        return SK_EINVAL;
    }
    memcpy(out, buf, len);
    out[len] = '\0';
    OPENSSL_cleanse(buf, sizeof(buf));
    return 0;
}

bool
admin_token_equal(const char *want, const char *got, size_t got_len)
{
    unsigned char hw[SHA256_DIGEST_LENGTH], hg[SHA256_DIGEST_LENGTH];
    bool same;

    if (want == NULL || got == NULL)
        return false;
    SHA256((const unsigned char *)want, strlen(want), hw);
    SHA256((const unsigned char *)got, got_len, hg);
    same = CRYPTO_memcmp(hw, hg, sizeof(hw)) == 0;
    OPENSSL_cleanse(hw, sizeof(hw));
    OPENSSL_cleanse(hg, sizeof(hg));
    return same;
}

void
admin_token_actor(const char *token, char out[ADMIN_ACTOR_LEN])
{
    unsigned char h[SHA256_DIGEST_LENGTH];
    char hex[2 * SHA256_DIGEST_LENGTH + 1];

    SHA256((const unsigned char *)token, strlen(token), h);
    sk_hex_encode(h, 4, hex);
    snprintf(out, ADMIN_ACTOR_LEN, "admin:%s", hex);
}

/* --- failed attempts per peer ---------------------------------------------
 */

static void
peer_addr(struct evhttp_request *req, char *out, size_t len)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    char *addr = NULL;
    ev_uint16_t port = 0;

    if (evcon != NULL)
        evhttp_connection_get_peer(evcon, &addr, &port);
    snprintf(out, len, "%s", addr != NULL ? addr : "?");
}

/* The peer's slot, or NULL when it has none (and make is false). With
 * make, the slot of a peer whose window is over, else the oldest. */
static struct admin_peer *
peer_find(struct admin *a, const char *addr, double now, bool make)
{
    struct admin_peer *oldest = &a->peers[0];
    size_t i;

    for (i = 0; i < ADMIN_PEERS; i++) {
        struct admin_peer *p = &a->peers[i];

        if (p->addr[0] != '\0' && strcmp(p->addr, addr) == 0) {
            if (now - p->window_start >= ADMIN_WINDOW_SECONDS) {
                p->window_start = now;
                p->fails = 0;
            }
            return p;
        }
        if (p->window_start < oldest->window_start)
            oldest = p;
    }
    if (!make)
        return NULL;
    snprintf(oldest->addr, sizeof(oldest->addr), "%s", addr);
    oldest->window_start = now;
    oldest->fails = 0;
    return oldest;
}

/* --- replies --------------------------------------------------------------
 */

static void
send_json(struct admin *a, struct evhttp_request *req, double t0, int code,
          json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT);

    if (text == NULL) {
        http_send(a->http, req, t0, HTTP_INTERNAL, "application/json",
                  "{\"error\":\"out of memory\"}", 25);
        return;
    }
    http_send(a->http, req, t0, code, "application/json", text, strlen(text));
    free(text);
}

static void
send_error(struct admin *a, struct evhttp_request *req, double t0, int code,
           const char *msg)
{
    char buf[128];
    int n = snprintf(buf, sizeof(buf), "{\"error\":\"%s\"}", msg);

    http_send(a->http, req, t0, code, "application/json", buf, (size_t)n);
}

static void
send_unauthorized(struct admin *a, struct evhttp_request *req, double t0)
{
    evhttp_add_header(evhttp_request_get_output_headers(req),
                      "WWW-Authenticate", "Bearer");
    http_send(a->http, req, t0, 401, NULL, NULL, 0);
}

/* --- /api/flows -----------------------------------------------------------
 */

static json_t *
flow_json(const struct flow_set *set, const struct flow *f)
{
    json_t *o = json_object(), *langs = json_array(), *kws = json_array();
    const struct flow *kf;
    const char *s;
    size_t i;

    if (o == NULL || langs == NULL || kws == NULL)
        goto fail;
    for (i = 0; (s = flow_lang_at(f, i)) != NULL; i++)
        if (json_array_append_new(langs, json_string(s)) != 0)
            goto fail;
    for (i = 0; (s = flow_set_keyword_at(set, i)) != NULL; i++) {
        kf = flow_set_keyword_flow_at(set, i);
        if (kf == f && json_array_append_new(kws, json_string(s)) != 0)
            goto fail;
    }
    if (json_object_set_new(o, "name", json_string(flow_name(f))) != 0 ||
        json_object_set_new(o, "uuid", json_string(flow_uuid(f))) != 0 ||
        json_object_set_new(o, "type", json_string(flow_type(f))) != 0 ||
        json_object_set_new(o, "revision", json_integer(flow_revision(f))) !=
            0 ||
        json_object_set_new(o, "languages", langs) != 0)
        goto fail_o;
    langs = NULL;
    if (json_object_set_new(
            o, "nodes", json_integer((json_int_t)flow_node_count(f))) != 0 ||
        json_object_set_new(o, "keyword_triggered",
                            json_boolean(json_array_size(kws) > 0)) != 0 ||
        json_object_set_new(o, "keywords", kws) != 0)
        goto fail_o;
    return o;
fail:
    json_decref(langs);
fail_o:
    json_decref(kws);
    json_decref(o);
    return NULL;
}

static json_t *
flows_json(const struct flow_set *set)
{
    json_t *arr = json_array(), *o = json_object(), *one;
    size_t i, n = flow_set_count(set);

    if (arr == NULL || o == NULL)
        goto fail;
    for (i = 0; i < n; i++) {
        one = flow_json(set, flow_set_at(set, i));
        if (one == NULL || json_array_append_new(arr, one) != 0)
            goto fail;
    }
    if (json_object_set_new(o, "flows", arr) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
fail:
    json_decref(arr);
    json_decref(o);
    return NULL;
}

/* --- /api/audit -----------------------------------------------------------
 */

#define AUDIT_FULL 1 /* a walk stopped at ADMIN_AUDIT_ROWS */

static json_t *
str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static int
audit_row(void *arg, const struct store_audit_row *row)
{
    json_t *rows = arg, *o;

    if (json_array_size(rows) >= ADMIN_AUDIT_ROWS)
        return AUDIT_FULL;
    o = json_pack("{s:I,s:I,s:o,s:o,s:o,s:o}", "id", (json_int_t)row->id,
                  "at_ms", (json_int_t)row->at_ms, "actor",
                  str_or_null(row->actor), "action", str_or_null(row->action),
                  "subject", str_or_null(row->subject), "reason",
                  str_or_null(row->reason));
    if (o == NULL || json_array_append_new(rows, o) != 0)
        return SK_ENOMEM;
    return 0;
}

/* --- jobs -----------------------------------------------------------------
 */

/* Writer thread: the audit row, then what the route reads. */
static int
job_run(struct store_tx *tx, void *arg)
{
    struct admin_job *job = arg;
    int64_t id;
    int rc;

    id = store_audit_add(tx, job->now_ms, job->a->actor, job->action,
                         job->subject[0] != '\0' ? job->subject : NULL, NULL);
    if (id < 0)
        return (int)id;
    if (job->route != ROUTE_AUDIT)
        return 0;
    job->rows = json_array();
    if (job->rows == NULL)
        return SK_ENOMEM;
    rc = store_audit_list(tx, job->since_ms, audit_row, job->rows);
    return rc == AUDIT_FULL ? 0 : rc;
}

static void
job_free(struct admin_job *job)
{
    struct admin *a = job->a;

    json_decref(job->rows);
    free(job);
    a->jobs--;
    (*a->d.pending)--;
    if (a->d.settled != NULL)
        a->d.settled(a->d.settled_arg);
}

/* Loop thread, after COMMIT. */
static void
job_done(void *arg, int rc)
{
    struct admin_job *job = arg;
    struct admin *a = job->a;
    json_t *body = NULL;

    if (rc != 0) {
        sk_log(LOG_WARNING, "admin", "%s failed rc=%s", job->action,
               sk_strerror(rc));
        send_error(a, job->req, job->t0, HTTP_SERVUNAVAIL, "store unavailable");
        job_free(job);
        return;
    }
    if (job->route == ROUTE_FLOWS)
        body = flows_json(a->d.flows);
    else
        body = json_pack("{s:O}", "audit", job->rows);
    if (body == NULL)
        send_error(a, job->req, job->t0, HTTP_INTERNAL, "out of memory");
    else
        send_json(a, job->req, job->t0, HTTP_OK, body);
    json_decref(body);
    job_free(job);
}

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
job_submit(struct admin *a, struct admin_job *job)
{
    if (a->jobs >= ADMIN_MAX_JOBS) {
        send_error(a, job->req, job->t0, HTTP_SERVUNAVAIL, "busy, try later");
        free(job);
        return;
    }
    a->jobs++;
    (*a->d.pending)++;
    if (store_submit(a->d.store, job_run, job_done, job) != 0) {
        send_error(a, job->req, job->t0, HTTP_SERVUNAVAIL, "busy, try later");
        job_free(job);
    }
}

/* --- routing --------------------------------------------------------------
 */

/* The value of ?name= in q as a number >= 0, or def. -1 when malformed. */
static int64_t
query_int(const struct evkeyvalq *q, const char *name, int64_t def)
{
    const char *v = evhttp_find_header(q, name);
    char *end;
    long long n;

    if (v == NULL)
        return def;
    n = strtoll(v, &end, 10);
    if (end == v || *end != '\0' || n < 0)
        return -1;
    return (int64_t)n;
}

/* Whether the request carries the token. */
static bool
authorized(struct admin *a, struct evhttp_request *req)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(req),
                                       "Authorization");

    if (h == NULL || evutil_ascii_strncasecmp(h, "Bearer ", 7) != 0)
        return false;
    h += 7;
    while (*h == ' ')
        h++;
    return admin_token_equal(a->token, h, strnlen(h, ADMIN_TOKEN_MAX + 1));
}

/* Loop thread: every path of the admin listener. */
static void
admin_page(void *arg, struct evhttp_request *req, double t0)
{
    struct admin *a = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
    const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
    struct evkeyvalq q;
    struct admin_peer *peer;
    struct admin_job *job;
    char addr[64];
    double now = http_now();

    peer_addr(req, addr, sizeof(addr));
    peer = peer_find(a, addr, now, false);
    if (peer != NULL && peer->fails >= ADMIN_FAILS_MAX) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After",
                          "60");
        send_error(a, req, t0, 429, "too many attempts");
        return;
    }
    if (!authorized(a, req)) {
        peer = peer_find(a, addr, now, true);
        if (++peer->fails == ADMIN_FAILS_MAX)
            sk_log(LOG_WARNING, "admin",
                   "%d failed attempts from one peer: refused for a minute",
                   ADMIN_FAILS_MAX);
        send_unauthorized(a, req, t0);
        return;
    }
    TAILQ_INIT(&q);
    if (query != NULL && evhttp_parse_query_str(query, &q) != 0) {
        send_error(a, req, t0, HTTP_BADREQUEST, "bad query");
        return;
    }
    job = calloc(1, sizeof(*job));
    if (job == NULL) {
        evhttp_clear_headers(&q);
        send_error(a, req, t0, HTTP_INTERNAL, "out of memory");
        return;
    }
    job->a = a;
    job->req = req;
    job->t0 = t0;
    job->now_ms = now_ms();
    if (path != NULL && strcmp(path, "/api/flows") == 0) {
        job->route = ROUTE_FLOWS;
        job->action = "/api/flows";
    } else if (path != NULL && strcmp(path, "/api/audit") == 0) {
        job->route = ROUTE_AUDIT;
        job->action = "/api/audit";
        job->since_ms = query_int(&q, "since", 0);
    } else {
        evhttp_clear_headers(&q);
        free(job);
        send_error(a, req, t0, HTTP_NOTFOUND, "not found");
        return;
    }
    evhttp_clear_headers(&q);
    if (job->since_ms < 0) {
        free(job);
        send_error(a, req, t0, HTTP_BADREQUEST, "since: a number of ms");
        return;
    }
    job_submit(a, job);
}

/* --- start and stop -------------------------------------------------------
 */

struct admin *
admin_start(const struct admin_deps *d, char err[SK_ERR_LEN])
{
    const struct config *cfg = d->cfg;
    struct http_limits lim = {
        .listen = cfg->admin_listen,
        .source = cfg->file,
        .max_body = ADMIN_MAX_BODY,
        .max_headers = ADMIN_MAX_HEADERS,
        .timeout_seconds = ADMIN_TIMEOUT_SECONDS,
        .max_connections = ADMIN_MAX_CONNECTIONS,
    };
    struct admin *a = calloc(1, sizeof(*a));

    if (a == NULL) {
        sk_seterr(err, "out of memory");
        return NULL;
    }
    a->d = *d;
    if (admin_token_load(cfg->admin_token_file, a->token, sizeof(a->token),
                         err) != 0)
        goto fail;
    admin_token_actor(a->token, a->actor);
    /* no provider metrics: the admin API is not the providers' service */
    a->http = http_start(d->base, &lim, NULL, err);
    if (a->http == NULL)
        goto fail;
    if (http_page(a->http, "/", admin_page, a) != 0) {
        sk_seterr(err, "out of memory");
        goto fail;
    }
    return a;
fail:
    admin_free(a);
    return NULL;
}

int
admin_port(const struct admin *a)
{
    return a != NULL ? http_port(a->http) : -1;
}

void
admin_stop_intake(struct admin *a)
{
    if (a != NULL)
        http_stop_intake(a->http);
}

void
admin_free(struct admin *a)
{
    if (a == NULL)
        return;
    http_free(a->http);
    OPENSSL_cleanse(a->token, sizeof(a->token));
    free(a);
}
