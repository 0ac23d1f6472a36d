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
#define _GNU_SOURCE /* timegm() */
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fcntl.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "admin.h"
#include "config.h"
#include "export.h"
#include "flow.h"
#include "hex.h"
#include "http.h"
#include "log.h"
#include "store.h"
#include "suppress.h"
#include "wallclock.h"

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
#define ADMIN_NAME_LEN        128    /* ?flow= and ?by= */
#define ADMIN_MAX_STREAMS     2      /* exports and summaries at a time */
#define ADMIN_MAX_COUNTS      100000 /* counts one summary may hold */
#define ADMIN_CHUNK           65536  /* bytes of an export per chunk */

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
    int jobs;    /* in flight */
    int streams; /* exports and summaries in flight */
};

enum admin_route {
    ROUTE_FLOWS,
    ROUTE_AUDIT,
    ROUTE_ALERTS,
    ROUTE_SUMMARY,
    ROUTE_EXPORT,
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
    /* summaries and exports, on a thread of their own (stream_*) */
    char flow[ADMIN_NAME_LEN], by[ADMIN_NAME_LEN]; /* "" for none */
    enum export_format format;
    pthread_t thread;
    bool started;        /* thread not joined yet */
    struct event *ready; /* the thread wakes the loop with it */
    struct event *watch; /* while streaming: has the client gone? */
    int rc;              /* the thread's */
    char err[SK_ERR_LEN];
    json_t *out; /* a summary */
    char dir[PATH_MAX], file[PATH_MAX + 16];
    int fd;
    int64_t size, off;
    struct evbuffer_file_segment *seg;
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

/* --- /api/alerts ----------------------------------------------------------
 */

static int
alert_row(void *arg, const struct store_alert_row *row)
{
    json_t *rows = arg, *o;
    char ref[9] = "";

    if (json_array_size(rows) >= ADMIN_AUDIT_ROWS)
        return AUDIT_FULL;
    if (row->contact_key != NULL)
        snprintf(ref, sizeof(ref), "%.8s", row->contact_key);
    o = json_pack("{s:I,s:I,s:s,s:o,s:o,s:o,s:i}", "id", (json_int_t)row->id,
                  "at_ms", (json_int_t)row->created_at, "contact", ref,
                  "language", str_or_null(row->language), "category",
                  str_or_null(row->category), "status",
                  str_or_null(row->status), "attempts", row->attempts);
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
    if (job->route != ROUTE_AUDIT && job->route != ROUTE_ALERTS)
        return 0;
    job->rows = json_array();
    if (job->rows == NULL)
        return SK_ENOMEM;
    if (job->route == ROUTE_AUDIT)
        rc = store_audit_list(tx, job->since_ms, audit_row, job->rows);
    else
        rc = store_alert_list(tx, alert_row, job->rows);
    return rc == AUDIT_FULL ? 0 : rc;
}

/* --- /api/results/summary and /api/export: on a thread of their own ------
 */

/* One count collected for a summary (strings malloc'd). */
struct sum_count {
    char *flow, *result, *category, *group;
    int64_t n;
};

struct sum_acc {
    struct sum_count *v;
    size_t n, cap;
};

static int
sum_collect(void *arg, const struct store_export_count *c)
{
    struct sum_acc *acc = arg;
    struct sum_count *s;

    if (acc->n == acc->cap) {
        size_t cap = acc->cap != 0 ? acc->cap * 2 : 64;
        void *v;

        if (cap > ADMIN_MAX_COUNTS ||
            (v = realloc(acc->v, cap * sizeof(*acc->v))) == NULL)
            return SK_ELIMIT;
        acc->v = v;
        acc->cap = cap;
    }
    s = &acc->v[acc->n];
    s->flow = strdup(c->flow_name);
    s->result = strdup(c->result);
    s->category = strdup(c->category);
    s->group = strdup(c->group);
    s->n = c->n;
    acc->n++;
    if (s->flow == NULL || s->result == NULL || s->category == NULL ||
        s->group == NULL)
        return SK_ENOMEM;
    return 0;
}

static void
sum_acc_free(struct sum_acc *acc)
{
    for (size_t i = 0; i < acc->n; i++) {
        free(acc->v[i].flow);
        free(acc->v[i].result);
        free(acc->v[i].category);
        free(acc->v[i].group);
    }
    free(acc->v);
}

/* The index of s in the distinct names so far (added when new), or -1. */
static int
name_index(const char **names, size_t *n, size_t max, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    if (*n >= max)
        return -1;
    names[*n] = s;
    return (int)(*n)++;
}

static json_t *
count_json(const struct suppress *t, size_t r, size_t c)
{
    bool hidden;
    int64_t n = suppress_get(t, r, c, &hidden);

    return hidden ? json_null() : json_integer((json_int_t)n);
}

/* The rows of one table: each category with its groups and total. */
static json_t *
table_rows(const struct suppress *t, const char **cats, size_t nc,
           const char **groups, size_t ng, bool by)
{
    json_t *rows = json_array(), *row, *g;

    for (size_t r = 0; rows != NULL && r < nc; r++) {
        row = json_pack("{s:s,s:o}", "category", cats[r], "count",
                        count_json(t, r, ng));
        if (row == NULL || json_array_append_new(rows, row) != 0)
            goto fail;
        if (!by)
            continue;
        if ((g = json_object()) == NULL ||
            json_object_set_new(row, "groups", g) != 0)
            goto fail;
        for (size_t c = 0; c < ng; c++)
            if (json_object_set_new(g, groups[c], count_json(t, r, c)) != 0)
                goto fail;
    }
    return rows;
fail:
    json_decref(rows);
    return NULL;
}

/* One (flow, result) table from v[0..n), suppressed. */
static json_t *
table_json(const struct sum_count *v, size_t n, int min_cell, bool by)
{
    const char *cats[SUPPRESS_MAX_ROWS], *groups[SUPPRESS_MAX_COLS];
    size_t nc = 0, ng = 0, i;
    struct suppress *t = NULL;
    json_t *o = NULL, *rows;
    int r, c;

    for (i = 0; i < n; i++)
        if (name_index(cats, &nc, SUPPRESS_MAX_ROWS, v[i].category) < 0 ||
            name_index(groups, &ng, SUPPRESS_MAX_COLS, v[i].group) < 0)
            return NULL;
    if ((t = suppress_new(nc, ng)) == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        r = name_index(cats, &nc, SUPPRESS_MAX_ROWS, v[i].category);
        c = name_index(groups, &ng, SUPPRESS_MAX_COLS, v[i].group);
        suppress_add(t, (size_t)r, (size_t)c, v[i].n);
    }
    if (suppress_run(t, min_cell) == 0 &&
        (rows = table_rows(t, cats, nc, groups, ng, by)) != NULL) {
        o = json_pack("{s:s,s:s,s:o,s:o}", "flow", v[0].flow, "result",
                      v[0].result, "categories", rows, "total",
                      count_json(t, nc, ng));
    }
    suppress_free(t);
    return o;
}

static json_t *
summary_json(const struct sum_acc *acc, int min_cell, const char *by)
{
    json_t *tables = json_array(), *one;
    size_t i = 0, j;

    while (tables != NULL && i < acc->n) {
        for (j = i + 1;
             j < acc->n && strcmp(acc->v[j].flow, acc->v[i].flow) == 0 &&
             strcmp(acc->v[j].result, acc->v[i].result) == 0;
             j++)
            ;
        one = table_json(&acc->v[i], j - i, min_cell, by != NULL);
        if (one == NULL || json_array_append_new(tables, one) != 0) {
            json_decref(tables);
            return NULL;
        }
        i = j;
    }
    if (tables == NULL)
        return NULL;
    return json_pack("{s:o,s:i,s:o}", "by",
                     by != NULL ? json_string(by) : json_null(), "min_cell",
                     min_cell, "tables", tables);
}

static int
stream_summary(struct admin_job *job, struct store_reader *r,
               const struct store_export_filter *f)
{
    struct sum_acc acc = {0};
    const char *by = job->by[0] != '\0' ? job->by : NULL;
    int rc;

    rc = store_export_counts(r, f, by, sum_collect, &acc, job->err);
    if (rc == 0 &&
        (job->out = summary_json(&acc, job->a->d.cfg->min_cell, by)) == NULL)
        rc = SK_ENOMEM;
    sum_acc_free(&acc);
    return rc;
}

static int
export_add(void *arg, const struct store_export_row *row)
{
    return export_row(arg, row);
}

/* The export into a private directory beside the store; job->fd then
 * reads it. */
static int
stream_export(struct admin_job *job, struct store_reader *r,
              const struct store_export_filter *f)
{
    struct export_opts o;
    struct export *x;
    struct stat st;
    int rc;

    memset(&o, 0, sizeof(o));
    o.format = job->format;
    if (RAND_bytes(o.key, EXPORT_KEY_LEN) != 1)
        return SK_EIO;
    snprintf(job->dir, sizeof(job->dir), "%s.admin-XXXXXX",
             job->a->d.cfg->store_path);
    if (mkdtemp(job->dir) == NULL) {
        job->dir[0] = '\0';
        return SK_EIO;
    }
    snprintf(job->file, sizeof(job->file), "%s/export", job->dir);
    x = export_open(&o, job->file, &rc, job->err);
    OPENSSL_cleanse(o.key, sizeof(o.key));
    if (x == NULL)
        return rc != 0 ? rc : SK_EIO;
    rc = store_export_rows(r, f, export_add, x, job->err);
    if (rc != 0) {
        export_abort(x);
        return rc;
    }
    if ((rc = export_finish(x, job->err)) != 0)
        return rc;
    job->fd = open(job->file, O_RDONLY | O_CLOEXEC);
    if (job->fd < 0 || fstat(job->fd, &st) != 0)
        return SK_EIO;
    job->size = st.st_size;
    return 0;
}

/* The thread: reads a snapshot of its own, then wakes the loop. */
static void *
stream_thread(void *arg)
{
    struct admin_job *job = arg;
    struct store_export_filter f = {
        job->flow[0] != '\0' ? job->flow : NULL,
        job->since_ms,
    };
    struct store_reader *r =
        store_reader_open(job->a->d.cfg->store_path, job->err);

    if (r == NULL)
        job->rc = SK_EIO;
    else if (job->route == ROUTE_SUMMARY)
        job->rc = stream_summary(job, r, &f);
    else
        job->rc = stream_export(job, r, &f);
    store_reader_close(r);
    event_active(job->ready, EV_READ, 0);
    return NULL;
}

/* Removes the export's file and directory. */
static void
stream_cleanup(struct admin_job *job)
{
    if (job->seg != NULL)
        evbuffer_file_segment_free(job->seg);
    job->seg = NULL;
    if (job->fd >= 0)
        close(job->fd);
    job->fd = -1;
    if (job->file[0] != '\0')
        unlink(job->file);
    if (job->dir[0] != '\0')
        rmdir(job->dir);
    job->file[0] = job->dir[0] = '\0';
}

static void stream_next(struct admin_job *job);

static void
job_free(struct admin_job *job)
{
    struct admin *a = job->a;

    stream_cleanup(job);
    if (job->ready != NULL)
        event_free(job->ready);
    if (job->watch != NULL)
        event_free(job->watch);
    json_decref(job->rows);
    json_decref(job->out);
    if (job->route == ROUTE_SUMMARY || job->route == ROUTE_EXPORT)
        a->streams--;
    free(job);
    a->jobs--;
    (*a->d.pending)--;
    if (a->d.settled != NULL)
        a->d.settled(a->d.settled_arg);
}

static void
stream_chunk_sent(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    stream_next(arg);
}

/* Ends the reply (also when the client has gone) and frees the job. */
static void
stream_end(struct admin_job *job)
{
    evhttp_send_reply_end(job->req);
    job_free(job);
}

/* Loop thread: the next piece of the file, or the end. */
static void
stream_next(struct admin_job *job)
{
    struct evbuffer *buf;
    int64_t len = job->size - job->off;

    if (evhttp_request_get_connection(job->req) == NULL || len <= 0) {
        stream_end(job);
        return;
    }
    if (len > ADMIN_CHUNK)
        len = ADMIN_CHUNK;
    buf = evbuffer_new();
    if (buf == NULL ||
        evbuffer_add_file_segment(buf, job->seg, job->off, len) != 0) {
        evbuffer_free(buf);
        stream_end(job);
        return;
    }
    job->off += len;
    evhttp_send_reply_chunk_with_cb(job->req, buf, stream_chunk_sent, job);
    evbuffer_free(buf);
}

/* Loop thread, each second while streaming: a client that has gone never
 * calls stream_chunk_sent() again. */
static void
stream_watch(evutil_socket_t fd, short what, void *arg)
{
    struct admin_job *job = arg;

    (void)fd;
    (void)what;
    if (evhttp_request_get_connection(job->req) == NULL)
        stream_end(job);
}

static void
stream_start(struct admin_job *job)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(job->req);
    struct timeval second = {1, 0};

    job->seg = evbuffer_file_segment_new(job->fd, 0, job->size, 0);
    job->watch = event_new(job->a->d.base, -1, EV_PERSIST, stream_watch, job);
    if (job->seg == NULL || job->watch == NULL ||
        event_add(job->watch, &second) != 0) {
        send_error(job->a, job->req, job->t0, HTTP_INTERNAL, "out of memory");
        job_free(job);
        return;
    }
    evhttp_add_header(h, "Content-Type",
                      job->format == EXPORT_CSV
                          ? "text/csv; charset=utf-8"
                          : "application/x-ndjson; charset=utf-8");
    evhttp_add_header(h, "Content-Disposition",
                      job->format == EXPORT_CSV
                          ? "attachment; filename=\"export.csv\""
                          : "attachment; filename=\"export.jsonl\"");
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_send_reply_start(job->req, HTTP_OK, "OK");
    stream_next(job);
}

/* Loop thread: the thread has finished. */
static void
stream_ready(evutil_socket_t fd, short what, void *arg)
{
    struct admin_job *job = arg;

    (void)fd;
    (void)what;
    pthread_join(job->thread, NULL);
    job->started = false;
    if (job->rc != 0) {
        sk_log(LOG_WARNING, "admin", "%s failed rc=%s", job->action,
               sk_strerror(job->rc));
        send_error(job->a, job->req, job->t0,
                   job->rc == SK_ELIMIT ? HTTP_SERVUNAVAIL : HTTP_INTERNAL,
                   job->rc == SK_ELIMIT ? "too large" : "export failed");
        job_free(job);
        return;
    }
    if (job->route == ROUTE_SUMMARY) {
        send_json(job->a, job->req, job->t0, HTTP_OK, job->out);
        job_free(job);
        return;
    }
    stream_start(job);
}

/* Loop thread, after the audit row has committed. */
static void
stream_launch(struct admin_job *job)
{
    job->ready = event_new(job->a->d.base, -1, 0, stream_ready, job);
    if (job->ready == NULL ||
        pthread_create(&job->thread, NULL, stream_thread, job) != 0) {
        send_error(job->a, job->req, job->t0, HTTP_SERVUNAVAIL,
                   "busy, try later");
        job_free(job);
        return;
    }
    job->started = true;
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
    if (job->route == ROUTE_SUMMARY || job->route == ROUTE_EXPORT) {
        stream_launch(job);
        return;
    }
    if (job->route == ROUTE_FLOWS)
        body = flows_json(a->d.flows);
    else
        body = json_pack(
            "{s:O}", job->route == ROUTE_AUDIT ? "audit" : "alerts", job->rows);
    if (body == NULL)
        send_error(a, job->req, job->t0, HTTP_INTERNAL, "out of memory");
    else
        send_json(a, job->req, job->t0, HTTP_OK, body);
    json_decref(body);
    job_free(job);
}

static void
job_submit(struct admin *a, struct admin_job *job)
{
    if (a->jobs >= ADMIN_MAX_JOBS) {
        send_error(a, job->req, job->t0, HTTP_SERVUNAVAIL, "busy, try later");
        if (job->route == ROUTE_SUMMARY || job->route == ROUTE_EXPORT)
            a->streams--;
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

/* "YYYY-MM-DD" as unix ms at 00:00 UTC, or -1. */
static int64_t
parse_day(const char *s)
{
    struct tm tm, back;
    int y, m, d, used = 0;
    time_t t;

    if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &used) != 3 || s[used] != '\0' ||
        used != 10 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    t = timegm(&tm);
    if (t == (time_t)-1 || gmtime_r(&t, &back) == NULL || back.tm_mday != d)
        return -1;
    return (int64_t)t * 1000;
}

/* Copies ?name= into out (cap bytes); 0, 1 when absent, -1 too long. */
static int
query_name(const struct evkeyvalq *q, const char *name, char *out, size_t cap)
{
    const char *v = evhttp_find_header(q, name);

    if (v == NULL || v[0] == '\0')
        return 1;
    if (strlen(v) >= cap)
        return -1;
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

/* What ?flow= ?since= ?by= say, and the audit subject. 0 or an HTTP code
 * with *msg. */
static int
stream_args(struct admin_job *job, const struct evkeyvalq *q, const char **msg)
{
    const char *since = evhttp_find_header(q, "since");
    size_t n = 0;

    if (query_name(q, "flow", job->flow, sizeof(job->flow)) < 0 ||
        query_name(q, "by", job->by, sizeof(job->by)) < 0) {
        *msg = "flow or by: too long";
        return HTTP_BADREQUEST;
    }
    if (since != NULL && (job->since_ms = parse_day(since)) < 0) {
        *msg = "since: a date (YYYY-MM-DD)";
        return HTTP_BADREQUEST;
    }
    if (job->route == ROUTE_EXPORT)
        n = (size_t)snprintf(job->subject, sizeof(job->subject), "%s",
                             export_format_name(job->format));
    if (job->flow[0] != '\0' && n < sizeof(job->subject))
        n += (size_t)snprintf(job->subject + n, sizeof(job->subject) - n,
                              "%sflow=%s", n > 0 ? " " : "", job->flow);
    if (job->by[0] != '\0' && n < sizeof(job->subject))
        n += (size_t)snprintf(job->subject + n, sizeof(job->subject) - n,
                              "%sby=%s", n > 0 ? " " : "", job->by);
    if (since != NULL && n < sizeof(job->subject))
        snprintf(job->subject + n, sizeof(job->subject) - n, "%ssince=%s",
                 n > 0 ? " " : "", since);
    return 0;
}

/* The route of path and its arguments. 0 or an HTTP code with *msg. */
static int
route_parse(struct admin_job *job, const char *path, const struct evkeyvalq *q,
            const char **msg)
{
    const char *format;

    if (strcmp(path, "/api/flows") == 0) {
        job->route = ROUTE_FLOWS;
        job->action = "/api/flows";
        return 0;
    }
    if (strcmp(path, "/api/audit") == 0) {
        job->route = ROUTE_AUDIT;
        job->action = "/api/audit";
        if ((job->since_ms = query_int(q, "since", 0)) < 0) {
            *msg = "since: a number of ms";
            return HTTP_BADREQUEST;
        }
        return 0;
    }
    if (strcmp(path, "/api/alerts") == 0) {
        job->route = ROUTE_ALERTS;
        job->action = "/api/alerts";
        return 0;
    }
    if (strcmp(path, "/api/results/summary") == 0) {
        job->route = ROUTE_SUMMARY;
        job->action = "/api/results/summary";
        if (evhttp_find_header(q, "flow") == NULL) {
            *msg = "flow: required";
            return HTTP_BADREQUEST;
        }
        return stream_args(job, q, msg);
    }
    if (strcmp(path, "/api/export") == 0) {
        job->route = ROUTE_EXPORT;
        job->action = "/api/export";
        format = evhttp_find_header(q, "format");
        if (format == NULL || export_format_parse(format, &job->format) != 0 ||
            (job->format != EXPORT_CSV && job->format != EXPORT_JSONL)) {
            *msg = "format: csv or jsonl";
            return HTTP_BADREQUEST;
        }
        return stream_args(job, q, msg);
    }
    *msg = "not found";
    return HTTP_NOTFOUND;
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
    const char *msg = NULL;
    char addr[64];
    double now = http_now();
    int code;

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
        evhttp_clear_headers(&q);
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
    job->fd = -1;
    job->now_ms = wallclock_ms();
    code = route_parse(job, path != NULL ? path : "", &q, &msg);
    evhttp_clear_headers(&q);
    if (code != 0) {
        free(job);
        send_error(a, req, t0, code, msg);
        return;
    }
    if (job->route == ROUTE_SUMMARY || job->route == ROUTE_EXPORT) {
        if (a->streams >= ADMIN_MAX_STREAMS) {
            free(job);
            send_error(a, req, t0, HTTP_SERVUNAVAIL, "busy, try later");
            return;
        }
        a->streams++;
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
