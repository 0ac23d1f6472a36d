/*
 * test_outbox.c - the send queue with the real store (a temporary
 * directory), the real vault and httpc, against a fake provider (evhttp
 * on a loopback port of the same loop) that follows a script: one answer
 * per request, 0 meaning "take it and never answer". Covers sends, retries
 * with backoff, Retry-After, final failure, no resend across a restart
 * (and the requeue of idempotent channels), missing addresses and
 * channels, the parallel cap, kicks and delivery reports.
 */
#define _XOPEN_SOURCE 700
#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sqlite3.h>

#include "channels.h"
#include "config.h"
#include "optout.h"
#include "outbox.h"
#include "privacy.h"
#include "store.h"
#include "store_int.h"
#include "tmpdir.h"

#define MAX_SCRIPT 32
#define CHAN       "demo"
#define URN        "tel:+254700000001"

struct fx {
    char dir[256];
    char db[300];
    char key[300];
    struct event_base *base;
    struct evhttp *http;
    int port;
    struct privacy *p;
    struct store *st;
    struct outbox *ob;
    struct outbox_opts opts;
    bool idempotent;
    long timeout_ms; /* per request, set by the builder */
    /* the fake provider */
    int script[MAX_SCRIPT]; /* status per request; 0: never answer */
    int n_script;           /* past it: 200 */
    const char *retry_after;
    int delay_ms; /* answer later (no hanging requests then) */
    int seen;
    int active, max_active;
    int64_t at[MAX_SCRIPT]; /* arrival times, monotonic ms */
    int synced;             /* sync_store() */
    char last_body[256];
    char last_ctype[64];
};

/* --- helpers ------------------------------------------------------------- */

static int64_t
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

/* How long a test waits for something that should happen soon: far more
 * than it takes, even on a loaded machine under the sanitizers. A wait
 * ends as soon as its condition holds, so this costs nothing. */
#define WAIT_MS 20000

/* Runs the loop for about ms, or until pred(fx) holds. */
static void
run(struct fx *fx, int ms, bool (*pred)(struct fx *))
{
    struct event *tick = event_new(fx->base, -1, EV_PERSIST, tick_cb, NULL);
    struct timeval tv = {0, 5000};
    int64_t end = mono_ms() + ms;

    event_add(tick, &tv);
    while (mono_ms() < end && (pred == NULL || !pred(fx)))
        event_base_loop(fx->base, EVLOOP_ONCE);
    event_free(tick);
}

/* --- the fake provider --------------------------------------------------- */

struct later {
    struct fx *fx;
    struct evhttp_request *req;
    struct event *ev;
    int status;
    int n;
};

static void
reply(struct fx *fx, struct evhttp_request *req, int status, int n)
{
    struct evbuffer *out = evbuffer_new();

    if (status == 429 && fx->retry_after != NULL)
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After",
                          fx->retry_after);
    evbuffer_add_printf(out, "ext-%d", n);
    evhttp_send_reply(req, status, "X", out);
    evbuffer_free(out);
}

static void
later_cb(evutil_socket_t fd, short what, void *arg)
{
    struct later *l = arg;

    (void)fd;
    (void)what;
    l->fx->active--;
    reply(l->fx, l->req, l->status, l->n);
    event_free(l->ev);
    free(l);
}

static void
provider_cb(struct evhttp_request *req, void *arg)
{
    struct fx *fx = arg;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req),
                                        "Content-Type");
    int n = fx->seen++;
    int status = n < fx->n_script ? fx->script[n] : 200;
    size_t len = evbuffer_get_length(in);

    if (n < MAX_SCRIPT)
        fx->at[n] = mono_ms();
    if (len >= sizeof(fx->last_body))
        len = sizeof(fx->last_body) - 1;
    evbuffer_copyout(in, fx->last_body, len);
    fx->last_body[len] = '\0';
    snprintf(fx->last_ctype, sizeof(fx->last_ctype), "%s", ct ? ct : "");
    if (status == 0)
        return; /* processed, never answered */
    if (fx->delay_ms > 0) {
        struct later *l = calloc(1, sizeof(*l));
        struct timeval tv = {0, fx->delay_ms * 1000};

        l->fx = fx;
        l->req = req;
        l->status = status;
        l->n = n + 1;
        l->ev = evtimer_new(fx->base, later_cb, l);
        evtimer_add(l->ev, &tv);
        if (++fx->active > fx->max_active)
            fx->max_active = fx->active;
        return;
    }
    reply(fx, req, status, n + 1);
}

/* --- the channel --------------------------------------------------------- */

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *
fmt(const char *f, ...)
{
    va_list ap;
    char *s = malloc(512);

    if (s == NULL)
        return NULL;
    va_start(ap, f);
    vsnprintf(s, 512, f, ap);
    va_end(ap);
    return s;
}

static int
build(void *arg, const char *channel, const char *address, const char *text,
      int64_t id, struct httpc_req *req)
{
    struct fx *fx = arg;
    const char **hdrs = calloc(1, sizeof(*hdrs));

    if (hdrs == NULL)
        return SK_ENOMEM;
    hdrs[0] = fmt("Content-Type: text/plain");
    req->headers = hdrs;
    req->n_headers = 1;
    req->method = fmt("POST");
    req->url = fmt("http://127.0.0.1:%d/%s/send", fx->port, channel);
    req->body = fmt("to=%s&text=%s&id=%" PRId64, address, text, id);
    req->timeout_ms = fx->timeout_ms;
    if (hdrs[0] == NULL || req->method == NULL || req->url == NULL ||
        req->body == NULL) {
        outbox_req_free(NULL, req);
        return SK_ENOMEM;
    }
    req->body_len = strlen(req->body);
    return 0;
}

/* The default verdict; the response body is the provider's id. */
static void
result(void *arg, const char *channel, const struct httpc_resp *resp,
       struct outbox_result *res)
{
    outbox_default_result(arg, channel, resp, res);
    if (res->verdict == OUTBOX_SENT)
        snprintf(res->external_id, sizeof(res->external_id), "%s", resp->body);
}

static void
start_outbox(struct fx *fx)
{
    char err[SK_ERR_LEN] = "";
    struct outbox_channel ch = {
        .name = CHAN,
        .build = build,
        .release = outbox_req_free,
        .result = result,
        .arg = fx,
        .idempotent = fx->idempotent,
    };

    if (fx->st == NULL) {
        fx->st = store_open(fx->db, fx->base, 256, err);
        if (fx->st == NULL)
            fail_msg("store_open: %s", err);
    }
    fx->ob = outbox_new(fx->base, fx->st, fx->p, &fx->opts, err);
    if (fx->ob == NULL)
        fail_msg("outbox_new: %s", err);
    assert_int_equal(outbox_add_channel(fx->ob, &ch), 0);
    assert_int_equal(outbox_add_channel(fx->ob, &ch), SK_EEXIST);
    assert_int_equal(outbox_start(fx->ob), 0);
    assert_int_equal(outbox_add_channel(fx->ob, &ch), SK_ESTATE);
}

static void
stop_outbox(struct fx *fx)
{
    outbox_free(fx->ob);
    fx->ob = NULL;
    store_close(fx->st);
    fx->st = NULL;
}

/* --- store access from the test thread ----------------------------------- */

struct seed {
    struct fx *fx;
    const char *channel;
    const char *urn;
    bool vault;
    int64_t id;
};

static int
seed_job(struct store_tx *tx, void *arg)
{
    struct seed *s = arg;
    char key[PRIVACY_KEY_HEX];
    unsigned char *blob;
    size_t len;
    int rc;

    rc = privacy_contact_key(s->fx->p, s->urn, key);
    if (rc != 0)
        return rc;
    if (s->vault) {
        blob = privacy_seal(s->fx->p, key, s->urn, &len);
        if (blob == NULL)
            return SK_ENOMEM;
        rc = store_vault_put(tx, key, blob, len, wall_ms() + 86400LL * 1000);
        free(blob);
        if (rc != 0)
            return rc;
    }
    return store_outbox_put(tx, s->channel, key, "hello there", wall_ms(),
                            &s->id);
}

static int64_t
seed_row(struct fx *fx, const char *channel, const char *urn, bool vault)
{
    struct seed s = {fx, channel, urn, vault, 0};

    assert_int_equal(store_call(fx->st, seed_job, &s), 0);
    return s.id;
}

struct rowq {
    int64_t id;
    char status[16];
    int attempts;
    char ext[64];
    int64_t next_at, updated_at;
};

static int
row_job(struct store_tx *tx, void *arg)
{
    struct rowq *q = arg;
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *s = NULL;
    const unsigned char *ext;
    int rc = SK_ENOENT;

    if (sqlite3_prepare_v2(db,
                           "SELECT status, attempts, external_id,"
                           " next_attempt_at, updated_at FROM outbox"
                           " WHERE id = ?1",
                           -1, &s, NULL) != SQLITE_OK)
        return SK_EIO;
    sqlite3_bind_int64(s, 1, q->id);
    if (sqlite3_step(s) == SQLITE_ROW) {
        snprintf(q->status, sizeof(q->status), "%s",
                 (const char *)sqlite3_column_text(s, 0));
        q->attempts = sqlite3_column_int(s, 1);
        ext = sqlite3_column_text(s, 2);
        snprintf(q->ext, sizeof(q->ext), "%s", ext ? (const char *)ext : "");
        q->next_at = sqlite3_column_int64(s, 3);
        q->updated_at = sqlite3_column_int64(s, 4);
        rc = 0;
    }
    sqlite3_finalize(s);
    return rc;
}

static struct rowq
get_row(struct fx *fx, int64_t id)
{
    struct rowq q;

    memset(&q, 0, sizeof(q));
    q.id = id;
    assert_int_equal(store_call(fx->st, row_job, &q), 0);
    return q;
}

/* A DELETE confirmation as app.c queues it: a random one-time key with its
 * own vault entry, no contacts row. With contact, a contacts row for the
 * key too (an ordinary contact). */
struct onetime {
    struct fx *fx;
    const char *channel;
    bool contact;
    char key[PRIVACY_KEY_HEX];
    int64_t id;
};

static int
onetime_job(struct store_tx *tx, void *arg)
{
    struct onetime *o = arg;
    struct store_contact c = {.last_seen = wall_ms()};
    unsigned char *blob;
    size_t len;
    int rc;

    if (o->key[0] == '\0' && (rc = optout_random_key(o->key)) != 0)
        return rc;
    if (o->contact && (rc = store_contact_put(tx, o->key, &c)) != 0)
        return rc;
    blob = privacy_seal(o->fx->p, o->key, URN, &len);
    if (blob == NULL)
        return SK_ENOMEM;
    rc = store_vault_put(tx, o->key, blob, len, wall_ms() + 86400LL * 1000);
    free(blob);
    if (rc != 0)
        return rc;
    return store_outbox_put(tx, o->channel, o->key, "all deleted", wall_ms(),
                            &o->id);
}

struct vaultq {
    const char *key;
    int64_t n;
};

static int
vault_job(struct store_tx *tx, void *arg)
{
    struct vaultq *q = arg;
    sqlite3_stmt *s = NULL;
    int rc = SK_EIO;

    if (sqlite3_prepare_v2(store_tx_sqlite(tx),
                           "SELECT count(*) FROM vault WHERE contact_key = ?1",
                           -1, &s, NULL) != SQLITE_OK)
        return SK_EIO;
    sqlite3_bind_text(s, 1, q->key, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
        q->n = sqlite3_column_int64(s, 0);
        rc = 0;
    }
    sqlite3_finalize(s);
    return rc;
}

/* How many vault entries key has (0 or 1). */
static int64_t
vault_rows(struct fx *fx, const char *key)
{
    struct vaultq q = {key, -1};

    assert_int_equal(store_call(fx->st, vault_job, &q), 0);
    return q.n;
}

/* The vault entries of URN's contact key. */
static int64_t
urn_vault_rows(struct fx *fx)
{
    char key[PRIVACY_KEY_HEX];

    assert_int_equal(privacy_contact_key(fx->p, URN, key), 0);
    return vault_rows(fx, key);
}

static int64_t watched_id;
static const char *watched_status;

static bool
row_is(struct fx *fx)
{
    struct rowq q;

    memset(&q, 0, sizeof(q));
    q.id = watched_id;
    return store_call(fx->st, row_job, &q) == 0 &&
           strcmp(q.status, watched_status) == 0 &&
           outbox_in_flight(fx->ob) == 0;
}

static bool
seen_one(struct fx *fx)
{
    return fx->seen >= 1;
}

static bool
seen_two(struct fx *fx)
{
    return fx->seen >= 2;
}

static int
noop_job(struct store_tx *tx, void *arg)
{
    (void)tx;
    (void)arg;
    return 0;
}

static void
synced_cb(void *arg, int rc)
{
    struct fx *fx = arg;

    (void)rc;
    fx->synced = 1;
}

static bool
is_synced(struct fx *fx)
{
    return fx->synced;
}

/* Runs the loop until the done callbacks of every store job submitted so
 * far have run (jobs and their dones go in order): start-up recovery's,
 * say, or a claim's. */
static void
sync_store(struct fx *fx)
{
    fx->synced = 0;
    assert_int_equal(store_submit(fx->st, noop_job, synced_cb, fx), 0);
    run(fx, WAIT_MS, is_synced);
    assert_true(fx->synced);
}

/* After start_outbox(): runs the loop until recovery is done and the
 * claim it kicks off (with nothing due) has come back. */
static void
wait_idle(struct fx *fx)
{
    sync_store(fx);    /* recovery's done: it kicks */
    run(fx, 50, NULL); /* the kick submits a claim */
    sync_store(fx);    /* whose done has run */
}

/* Runs until row id has status (and nothing is in flight). */
static struct rowq
wait_row(struct fx *fx, int64_t id, const char *status, int ms)
{
    watched_id = id;
    watched_status = status;
    run(fx, ms, row_is);
    return get_row(fx, id);
}

/* Sends stderr, where sk_log() writes, to path; returns the old stderr
 * for log_restore(). */
static int
log_capture(const char *path)
{
    int saved = dup(STDERR_FILENO);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(saved >= 0 && fd >= 0);
    assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
    close(fd);
    return saved;
}

/* Puts stderr back and reads what was logged into buf. */
static void
log_restore(int saved, const char *path, char *buf, size_t size)
{
    FILE *f;
    size_t n;

    assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
    close(saved);
    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* --- fixture ------------------------------------------------------------- */

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");
    char err[SK_ERR_LEN] = "";
    struct evhttp_bound_socket *bs;
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);

    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "%s/sk_outbox_XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(fx->db, sizeof(fx->db), "%s/sikiliza.db", fx->dir);
    snprintf(fx->key, sizeof(fx->key), "%s/secret.key", fx->dir);
    if (privacy_keygen(fx->key, err) != 0)
        return -1;
    fx->p = privacy_open(fx->key, err);
    fx->base = event_base_new();
    fx->http = evhttp_new(fx->base);
    if (fx->p == NULL || fx->base == NULL || fx->http == NULL)
        return -1;
    bs = evhttp_bind_socket_with_handle(fx->http, "127.0.0.1", 0);
    if (bs == NULL || getsockname(evhttp_bound_socket_get_fd(bs),
                                  (struct sockaddr *)&sa, &sl) != 0)
        return -1;
    fx->port = ntohs(sa.sin_port);
    evhttp_set_gencb(fx->http, provider_cb, fx);
    fx->timeout_ms = 2000;
    fx->opts.poll_ms = 20;
    fx->opts.backoff_base_ms = 100;
    fx->opts.max_attempts = 6;
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;

    if (fx->ob != NULL || fx->st != NULL)
        stop_outbox(fx);
    evhttp_free(fx->http);
    event_base_free(fx->base);
    privacy_close(fx->p);
    tmpdir_remove(fx->dir);
    free(fx);
    return 0;
}

/* --- tests --------------------------------------------------------------- */

static void
test_default_result(void **state)
{
    struct httpc_resp resp;
    struct outbox_result res;
    const int retry[] = {408, 429, 500, 502, 503};
    const int fail[] = {301, 400, 401, 403, 404, 422};
    size_t i;

    (void)state;
    memset(&resp, 0, sizeof(resp));
    resp.body = "";
    resp.retry_after_ms = -1;
    resp.status = 201;
    outbox_default_result(NULL, CHAN, &resp, &res);
    assert_int_equal(res.verdict, OUTBOX_SENT);
    for (i = 0; i < sizeof(retry) / sizeof(retry[0]); i++) {
        resp.status = retry[i];
        outbox_default_result(NULL, CHAN, &resp, &res);
        assert_int_equal(res.verdict, OUTBOX_RETRY);
    }
    for (i = 0; i < sizeof(fail) / sizeof(fail[0]); i++) {
        resp.status = fail[i];
        outbox_default_result(NULL, CHAN, &resp, &res);
        assert_int_equal(res.verdict, OUTBOX_FAILED);
    }
    resp.status = 0;
    resp.error = "timeout";
    outbox_default_result(NULL, CHAN, &resp, &res);
    assert_int_equal(res.verdict, OUTBOX_RETRY);
    resp.error = "connect";
    resp.retry_after_ms = 3000;
    outbox_default_result(NULL, CHAN, &resp, &res);
    assert_int_equal(res.verdict, OUTBOX_RETRY);
    assert_int_equal(res.retry_after_ms, 3000);
    resp.error = "url";
    outbox_default_result(NULL, CHAN, &resp, &res);
    assert_int_equal(res.verdict, OUTBOX_FAILED);
}

static void
test_send_ok(void **state)
{
    struct fx *fx = *state;
    struct outbox_stats stats;
    struct rowq q;
    char want[128];
    int64_t id;

    start_outbox(fx);
    id = seed_row(fx, CHAN, URN, true);
    outbox_kick(fx->ob);
    q = wait_row(fx, id, "sent", WAIT_MS);
    assert_string_equal(q.status, "sent");
    assert_int_equal(q.attempts, 1);
    assert_string_equal(q.ext, "ext-1");
    assert_int_equal(fx->seen, 1);
    /* the clear address reached the provider, and only it */
    snprintf(want, sizeof(want), "to=%s&text=hello there&id=%" PRId64, URN, id);
    assert_string_equal(fx->last_body, want);
    assert_string_equal(fx->last_ctype, "text/plain");
    assert_int_equal(outbox_stats(fx->ob, CHAN, &stats), 0);
    assert_int_equal(stats.sent, 1);
    assert_int_equal(stats.retried, 0);
    assert_int_equal(stats.failed, 0);
    assert_int_equal(outbox_stats(fx->ob, "nope", &stats), SK_ENOENT);
    run(fx, 200, NULL); /* nothing more is sent */
    assert_int_equal(fx->seen, 1);
}

static void
test_retry_backoff(void **state)
{
    struct fx *fx = *state;
    struct outbox_stats stats;
    struct rowq q;
    int64_t id, gap1, gap2;

    fx->script[0] = 500;
    fx->script[1] = 503;
    fx->script[2] = 200;
    fx->n_script = 3;
    start_outbox(fx);
    id = seed_row(fx, CHAN, URN, true);
    outbox_kick(fx->ob);
    q = wait_row(fx, id, "sent", WAIT_MS);
    assert_string_equal(q.status, "sent");
    assert_int_equal(q.attempts, 3);
    assert_string_equal(q.ext, "ext-3");
    assert_int_equal(fx->seen, 3);
    gap1 = fx->at[1] - fx->at[0];
    gap2 = fx->at[2] - fx->at[1];
    /* base 100 ms then 200 ms, each -20% at worst */
    assert_true(gap1 >= 75);
    assert_true(gap2 >= 155);
    assert_true(gap1 < 1500 && gap2 < 1500);
    assert_int_equal(outbox_stats(fx->ob, CHAN, &stats), 0);
    assert_int_equal(stats.sent, 1);
    assert_int_equal(stats.retried, 2);
    assert_int_equal(stats.failed, 0);
}

static void
test_retry_after(void **state)
{
    struct fx *fx = *state;
    struct rowq q;
    int64_t id;

    fx->script[0] = 429;
    fx->n_script = 1;
    fx->retry_after = "1";
    fx->opts.backoff_base_ms = 20;
    start_outbox(fx);
    id = seed_row(fx, CHAN, URN, true);
    outbox_kick(fx->ob);
    q = wait_row(fx, id, "sent", WAIT_MS);
    assert_string_equal(q.status, "sent");
    assert_int_equal(fx->seen, 2);
    assert_true(fx->at[1] - fx->at[0] >= 950);
}

static void
test_timeouts_then_failed(void **state)
{
    struct fx *fx = *state;
    struct outbox_stats stats;
    struct rowq q;
    int64_t id;

    fx->script[0] = 0;
    fx->script[1] = 0;
    fx->script[2] = 0;
    fx->n_script = 3;
    fx->timeout_ms = 150;
    fx->opts.backoff_base_ms = 30;
    fx->opts.max_attempts = 3;
    start_outbox(fx);
    id = seed_row(fx, CHAN, URN, true);
    outbox_kick(fx->ob);
    q = wait_row(fx, id, "failed", WAIT_MS);
    assert_string_equal(q.status, "failed");
    assert_int_equal(q.attempts, 3);
    assert_int_equal(fx->seen, 3);
    assert_int_equal(outbox_stats(fx->ob, CHAN, &stats), 0);
    assert_int_equal(stats.retried, 2);
    assert_int_equal(stats.failed, 1);
    assert_int_equal(stats.sent, 0);
    run(fx, 300, NULL);
    assert_int_equal(fx->seen, 3);
}

static void
test_rejected(void **state)
{
    struct fx *fx = *state;
    struct outbox_stats stats;
    struct rowq q;
    int64_t id;

    fx->script[0] = 400;
    fx->n_script = 1;
    start_outbox(fx);
    id = seed_row(fx, CHAN, URN, true);
    outbox_kick(fx->ob);
    q = wait_row(fx, id, "failed", WAIT_MS);
    assert_string_equal(q.status, "failed");
    assert_int_equal(q.attempts, 1);
    assert_int_equal(fx->seen, 1);
    assert_int_equal(outbox_stats(fx->ob, CHAN, &stats), 0);
    assert_int_equal(stats.failed, 1);
}

static void
test_no_address_no_channel(void **state)
{
    struct fx *fx = *state;
    struct outbox_stats stats;
    struct rowq q;
    int64_t a, b;

    start_outbox(fx);
    a = seed_row(fx, CHAN, "tel:+254700000002", false);
    b = seed_row(fx, "unconfigured", URN, true);
    outbox_kick(fx->ob);
    q = wait_row(fx, a, "failed", WAIT_MS);
    assert_string_equal(q.status, "failed");
    assert_int_equal(q.attempts, 0);
    sync_store(fx);     /* the claim's done callback counts them */
    q = get_row(fx, b); /* not ours to send: it waits */
    assert_string_equal(q.status, "queued");
    assert_int_equal(q.attempts, 0);
    assert_int_equal(fx->seen, 0);
    assert_int_equal(outbox_stats(fx->ob, CHAN, &stats), 0);
    assert_int_equal(stats.failed, 1);
}

/* The provider takes the message and the gateway stops before the answer:
 * after a restart the row is not sent again. */
static void
test_no_resend_after_restart(void **state)
{
    struct fx *fx = *state;
    struct rowq q;
    int64_t id;

    fx->script[0] = 0;
    fx->n_script = 1;
    start_outbox(fx);
    id = seed_row(fx, CHAN, URN, true);
    outbox_kick(fx->ob);
    run(fx, WAIT_MS, seen_one);
    assert_int_equal(fx->seen, 1);
    q = get_row(fx, id);
    assert_string_equal(q.status, "sending");
    assert_int_equal(q.attempts, 1);
    stop_outbox(fx);

    start_outbox(fx);
    q = wait_row(fx, id, "failed", WAIT_MS); /* recovery's verdict */
    assert_string_equal(q.status, "failed");
    assert_int_equal(q.attempts, 1);
    assert_int_equal(urn_vault_rows(fx), 0); /* no contact, nothing queued */
    run(fx, 300, NULL);                      /* a resend would show now */
    assert_int_equal(fx->seen, 1);
}

/* The same with a channel that declares idempotent sends: requeued. */
static void
test_idempotent_requeued(void **state)
{
    struct fx *fx = *state;
    struct rowq q;
    int64_t id;

    fx->script[0] = 0;
    fx->n_script = 1;
    fx->idempotent = true;
    start_outbox(fx);
    id = seed_row(fx, CHAN, URN, true);
    outbox_kick(fx->ob);
    run(fx, WAIT_MS, seen_one);
    assert_int_equal(fx->seen, 1);
    stop_outbox(fx);

    start_outbox(fx);
    q = wait_row(fx, id, "sent", WAIT_MS);
    assert_string_equal(q.status, "sent");
    assert_int_equal(q.attempts, 2);
    assert_int_equal(fx->seen, 2);
}

/* STOP as app.c does it: opted out, queued rows cancelled, one
 * confirmation queued after them. */
static int
stop_job(struct store_tx *tx, void *arg)
{
    struct seed *s = arg;
    struct store_contact c = {.opted_out = true, .last_seen = wall_ms()};
    char key[PRIVACY_KEY_HEX];
    int n, rc;

    if ((rc = privacy_contact_key(s->fx->p, s->urn, key)) != 0 ||
        (rc = store_contact_put(tx, key, &c)) != 0 ||
        (rc = optout_cancel_queued(tx, key, wall_ms(), &n)) != 0)
        return rc;
    return store_outbox_put(tx, s->channel, key, "you will get no more",
                            wall_ms(), &s->id);
}

/* A message in flight when the child says STOP fails transiently: it is
 * not tried again, only the confirmation goes out. */
static void
test_no_retry_after_stop(void **state)
{
    struct fx *fx = *state;
    struct seed stop = {fx, CHAN, URN, false, 0};
    struct rowq q;
    int64_t id;

    fx->script[0] = 500;
    fx->n_script = 1;
    fx->delay_ms = 300;
    start_outbox(fx);
    id = seed_row(fx, CHAN, URN, true);
    outbox_kick(fx->ob);
    run(fx, WAIT_MS, seen_one);
    assert_int_equal(store_call(fx->st, stop_job, &stop), 0);
    outbox_kick(fx->ob);
    watched_id = stop.id;
    watched_status = "sent";
    run(fx, WAIT_MS, row_is);
    q = get_row(fx, stop.id);
    assert_string_equal(q.status, "sent");
    q = get_row(fx, id);
    assert_string_equal(q.status, "failed");
    assert_int_equal(q.attempts, 1);
    run(fx, 500, NULL); /* a retry would show now */
    assert_int_equal(fx->seen, 2);
}

/* The same across a restart on an idempotent channel: not requeued, and
 * recovery does not log that it was. */
static void
test_no_requeue_after_stop(void **state)
{
    struct fx *fx = *state;
    struct seed stop = {fx, CHAN, URN, false, 0};
    char path[320], log[8192], want[64];
    const char *line;
    struct rowq q;
    int64_t id;
    int saved;

    fx->script[0] = 0;
    fx->n_script = 1;
    fx->idempotent = true;
    start_outbox(fx);
    id = seed_row(fx, CHAN, URN, true);
    outbox_kick(fx->ob);
    run(fx, WAIT_MS, seen_one);
    assert_int_equal(store_call(fx->st, stop_job, &stop), 0);
    stop_outbox(fx);

    snprintf(path, sizeof(path), "%s/recovery.log", fx->dir);
    saved = log_capture(path);
    start_outbox(fx);
    sync_store(fx); /* recovery has run */
    log_restore(saved, path, log, sizeof(log));
    q = get_row(fx, id); /* failed at once, never queued again */
    assert_string_equal(q.status, "failed");
    assert_int_equal(q.attempts, 1);
    /* and the log says so */
    snprintf(want, sizeof(want), "id=%" PRId64 " contact=", id);
    line = strstr(log, want);
    assert_non_null(line);
    assert_non_null(strstr(line, ": unknown after restart, failed: opted out"));
    assert_null(strstr(log, "queued again"));
    q = wait_row(fx, stop.id, "sent", WAIT_MS);
    assert_string_equal(q.status, "sent");
    q = get_row(fx, id);
    assert_string_equal(q.status, "failed");
    run(fx, 300, NULL);
    assert_int_equal(fx->seen, 2);
}

/* A DELETE confirmation's one-time address goes with the transaction that
 * records the row's final state, sent or failed; a contact's own address
 * and one that another queued row still needs stay. */
static void
test_onetime_forgotten(void **state)
{
    struct fx *fx = *state;
    struct onetime sent = {fx, CHAN, false, "", 0};
    struct onetime failed = {fx, CHAN, false, "", 0};
    struct onetime contact = {fx, CHAN, true, "", 0};
    struct onetime held = {fx, CHAN, false, "", 0};
    struct onetime other = {fx, "unconfigured", false, "", 0};

    fx->script[0] = 200;
    fx->script[1] = 400;
    fx->n_script = 2;
    start_outbox(fx);
    assert_int_equal(store_call(fx->st, onetime_job, &sent), 0);
    assert_int_equal(vault_rows(fx, sent.key), 1);
    outbox_kick(fx->ob);
    assert_string_equal(wait_row(fx, sent.id, "sent", WAIT_MS).status, "sent");
    assert_int_equal(vault_rows(fx, sent.key), 0);

    assert_int_equal(store_call(fx->st, onetime_job, &failed), 0);
    outbox_kick(fx->ob);
    assert_string_equal(wait_row(fx, failed.id, "failed", WAIT_MS).status,
                        "failed");
    assert_int_equal(vault_rows(fx, failed.key), 0);

    assert_int_equal(store_call(fx->st, onetime_job, &contact), 0);
    outbox_kick(fx->ob);
    assert_string_equal(wait_row(fx, contact.id, "sent", WAIT_MS).status,
                        "sent");
    assert_int_equal(vault_rows(fx, contact.key), 1);

    /* a row of the same key on a channel not ours stays queued */
    assert_int_equal(store_call(fx->st, onetime_job, &held), 0);
    memcpy(other.key, held.key, sizeof(other.key));
    assert_int_equal(store_call(fx->st, onetime_job, &other), 0);
    outbox_kick(fx->ob);
    assert_string_equal(wait_row(fx, held.id, "sent", WAIT_MS).status, "sent");
    assert_string_equal(get_row(fx, other.id).status, "queued");
    assert_int_equal(vault_rows(fx, held.key), 1);
}

static void
test_parallel_cap(void **state)
{
    struct fx *fx = *state;
    struct outbox_stats stats;
    int64_t ids[12];
    int i;

    fx->delay_ms = 100; /* long enough for requests to overlap */
    fx->opts.max_parallel = 3;
    start_outbox(fx);
    for (i = 0; i < 12; i++) {
        char urn[32];

        /* one contact's rows go one at a time: twelve contacts */
        snprintf(urn, sizeof(urn), "tel:+2547000001%02d", i);
        ids[i] = seed_row(fx, CHAN, urn, true);
    }
    outbox_kick(fx->ob);
    for (i = 0; i < 12; i++)
        assert_string_equal(wait_row(fx, ids[i], "sent", WAIT_MS).status,
                            "sent");
    assert_int_equal(fx->seen, 12);
    assert_true(fx->max_active >= 2);
    assert_true(fx->max_active <= 3);
    assert_int_equal(outbox_stats(fx->ob, CHAN, &stats), 0);
    assert_int_equal(stats.sent, 12);
}

/* A contact's rows leave one at a time, in order; a retry holds the
 * later ones back. */
static void
test_contact_order(void **state)
{
    struct fx *fx = *state;
    struct rowq q1, q2, q3;
    int64_t id1, id2, id3;

    fx->delay_ms = 20;
    fx->script[0] = 500;
    fx->n_script = 1;
    fx->opts.max_parallel = 8;
    fx->opts.backoff_base_ms = 300;
    start_outbox(fx);
    id1 = seed_row(fx, CHAN, URN, true);
    id2 = seed_row(fx, CHAN, URN, true);
    id3 = seed_row(fx, CHAN, URN, true);
    outbox_kick(fx->ob);
    run(fx, WAIT_MS, seen_one);
    /* The first fails; its retry is >= 240 ms away and the rest wait. */
    run(fx, 150, NULL);
    assert_int_equal(fx->seen, 1);
    q1 = wait_row(fx, id1, "sent", WAIT_MS);
    q2 = wait_row(fx, id2, "sent", WAIT_MS);
    q3 = wait_row(fx, id3, "sent", WAIT_MS);
    assert_string_equal(q3.status, "sent");
    assert_int_equal(q1.attempts, 2);
    assert_int_equal(q2.attempts, 1);
    assert_int_equal(fx->seen, 4);
    assert_int_equal(fx->max_active, 1);
    assert_true(q1.updated_at <= q2.updated_at);
    assert_true(q2.updated_at <= q3.updated_at);
}

static void
test_kick(void **state)
{
    struct fx *fx = *state;
    struct rowq q;
    int64_t id, t0;

    fx->opts.poll_ms = 60000;
    start_outbox(fx);
    wait_idle(fx);
    id = seed_row(fx, CHAN, URN, true);
    run(fx, 200, NULL);
    assert_int_equal(fx->seen, 0); /* the next poll is a minute away */
    t0 = mono_ms();
    outbox_kick(fx->ob);
    q = wait_row(fx, id, "sent", WAIT_MS);
    assert_string_equal(q.status, "sent");
    assert_true(mono_ms() - t0 < 10000); /* not the poll's minute */
}

struct dlr_wait {
    int n;
    int rc;
};

static void
dlr_done(void *arg, int rc)
{
    struct dlr_wait *w = arg;

    w->n++;
    w->rc = rc;
}

static int
dlr(struct fx *fx, const char *ext, enum outbox_dlr status)
{
    struct dlr_wait w = {0, 99};
    int i;

    assert_int_equal(outbox_delivery(fx->ob, CHAN, ext, status, dlr_done, &w),
                     0);
    for (i = 0; i < WAIT_MS / 10 && w.n == 0; i++)
        run(fx, 10, NULL);
    assert_int_equal(w.n, 1);
    return w.rc;
}

static void
test_delivery(void **state)
{
    struct fx *fx = *state;
    struct outbox_stats stats;
    int64_t a, b;

    start_outbox(fx);
    a = seed_row(fx, CHAN, URN, true);
    outbox_kick(fx->ob);
    wait_row(fx, a, "sent", WAIT_MS);
    b = seed_row(fx, CHAN, URN, true);
    outbox_kick(fx->ob);
    wait_row(fx, b, "sent", WAIT_MS);
    assert_string_equal(get_row(fx, a).ext, "ext-1");
    assert_string_equal(get_row(fx, b).ext, "ext-2");

    assert_int_equal(dlr(fx, "ext-1", OUTBOX_DLR_DELIVERED), 0);
    assert_string_equal(get_row(fx, a).status, "delivered");
    /* repeated, and a late failure: the row stays delivered */
    assert_int_equal(dlr(fx, "ext-1", OUTBOX_DLR_DELIVERED), 0);
    assert_int_equal(dlr(fx, "ext-1", OUTBOX_DLR_FAILED), 0);
    assert_string_equal(get_row(fx, a).status, "delivered");

    assert_int_equal(dlr(fx, "ext-2", OUTBOX_DLR_FAILED), 0);
    assert_string_equal(get_row(fx, b).status, "failed");
    assert_int_equal(dlr(fx, "ext-2", OUTBOX_DLR_DELIVERED), 0);
    assert_string_equal(get_row(fx, b).status, "delivered");

    assert_int_equal(dlr(fx, "ext-99", OUTBOX_DLR_DELIVERED), SK_ENOENT);
    assert_int_equal(
        outbox_delivery(fx->ob, CHAN, "", OUTBOX_DLR_DELIVERED, dlr_done, NULL),
        SK_EINVAL);
    assert_int_equal(outbox_stats(fx->ob, CHAN, &stats), 0);
    assert_int_equal(stats.delivered, 2);
    assert_int_equal(stats.undelivered, 1);
}

static int
dlr_row(struct fx *fx, const char *channel, int64_t id, enum outbox_dlr status)
{
    struct dlr_wait w = {0, 99};
    int i;

    assert_int_equal(
        outbox_delivery_row(fx->ob, channel, id, status, dlr_done, &w), 0);
    for (i = 0; i < WAIT_MS / 10 && w.n == 0; i++)
        run(fx, 10, NULL);
    assert_int_equal(w.n, 1);
    return w.rc;
}

/* Reports that name our row id; one may overtake the write-back. */
static void
test_delivery_by_row(void **state)
{
    struct fx *fx = *state;
    struct outbox_stats stats;
    int64_t a, b;

    fx->script[0] = 200;
    fx->script[1] = 0; /* the second send is never answered */
    fx->n_script = 2;
    start_outbox(fx);
    a = seed_row(fx, CHAN, URN, true);
    outbox_kick(fx->ob);
    wait_row(fx, a, "sent", WAIT_MS);
    assert_int_equal(dlr_row(fx, CHAN, a, OUTBOX_DLR_DELIVERED), 0);
    assert_string_equal(get_row(fx, a).status, "delivered");
    assert_int_equal(dlr_row(fx, "other", a, OUTBOX_DLR_DELIVERED), SK_ENOENT);
    assert_int_equal(dlr_row(fx, CHAN, a + 100, OUTBOX_DLR_DELIVERED),
                     SK_ENOENT);

    b = seed_row(fx, CHAN, URN, true);
    outbox_kick(fx->ob);
    run(fx, WAIT_MS, seen_two);
    assert_string_equal(get_row(fx, b).status, "sending");
    assert_int_equal(urn_vault_rows(fx), 1);
    assert_int_equal(dlr_row(fx, CHAN, b, OUTBOX_DLR_DELIVERED), 0);
    assert_string_equal(get_row(fx, b).status, "delivered");
    assert_int_equal(urn_vault_rows(fx), 0); /* final: no contact */
    assert_int_equal(
        outbox_delivery_row(fx->ob, CHAN, 0, OUTBOX_DLR_DELIVERED, NULL, NULL),
        SK_EINVAL);
    assert_int_equal(outbox_stats(fx->ob, CHAN, &stats), 0);
    assert_int_equal(stats.delivered, 2);
}

struct reports {
    int sent, retry, failed;
};

static void
report_cb(void *arg, const char *channel, enum outbox_verdict v)
{
    struct reports *r = arg;

    assert_string_equal(channel, CHAN);
    if (v == OUTBOX_SENT)
        r->sent++;
    else if (v == OUTBOX_RETRY)
        r->retry++;
    else
        r->failed++;
}

/* The generic channel's sender, the report hook and outbox_stop(). */
static void
test_generic_sender(void **state)
{
    struct fx *fx = *state;
    struct config_channel cc;
    struct reports reps = {0, 0, 0};
    char url[128], want[256], err[SK_ERR_LEN] = "";
    struct outbox_channel ch;
    struct rowq q;
    int64_t id;

    fx->script[0] = 500;
    fx->n_script = 1;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", fx->port);
    memset(&cc, 0, sizeof(cc));
    cc.name = (char *)CHAN;
    cc.type = (char *)"generic";
    cc.send_url = url;
    memset(&ch, 0, sizeof(ch));
    ch.name = CHAN;
    ch.build = outbox_generic_build;
    ch.release = outbox_req_free;
    ch.arg = &cc;
    fx->opts.report = report_cb;
    fx->opts.report_arg = &reps;
    fx->st = store_open(fx->db, fx->base, 256, err);
    assert_non_null(fx->st);
    fx->ob = outbox_new(fx->base, fx->st, fx->p, &fx->opts, err);
    assert_non_null(fx->ob);
    assert_int_equal(outbox_add_channel(fx->ob, &ch), 0);
    assert_int_equal(outbox_start(fx->ob), 0);
    id = seed_row(fx, CHAN, URN, true);
    outbox_kick(fx->ob);
    q = wait_row(fx, id, "sent", WAIT_MS);
    assert_string_equal(q.status, "sent");
    assert_int_equal(q.attempts, 2);
    snprintf(want, sizeof(want),
             "{\"to\":\"+254700000001\",\"text\":\"hello there\","
             "\"id\":\"%" PRId64 "\"}",
             id);
    assert_string_equal(fx->last_body, want);
    assert_string_equal(fx->last_ctype, "application/json");
    assert_int_equal(reps.sent, 1);
    assert_int_equal(reps.retry, 1);
    assert_int_equal(reps.failed, 0);

    /* stopped: nothing more is sent, delivery reports still count */
    outbox_stop(fx->ob);
    outbox_stop(fx->ob);
    id = seed_row(fx, CHAN, URN, true);
    outbox_kick(fx->ob);
    run(fx, 200, NULL);
    assert_int_equal(fx->seen, 2);
    assert_string_equal(get_row(fx, id).status, "queued");
    assert_int_equal(dlr_row(fx, CHAN, id - 1, OUTBOX_DLR_DELIVERED), 0);
}

/* Stopping while a claim job is on its way: its rows go back to the
 * queue (never sent, attempt given back) and are sent after a restart. */
static void
test_free_with_claim_pending(void **state)
{
    struct fx *fx = *state;
    struct rowq q;
    int64_t ids[3];
    int i;

    fx->opts.poll_ms = 60000;
    start_outbox(fx);
    wait_idle(fx);
    for (i = 0; i < 3; i++)
        ids[i] = seed_row(fx, CHAN, URN, true);
    outbox_kick(fx->ob);
    /* One pass: the tick submits the claim; its done is not delivered. */
    event_base_loop(fx->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    stop_outbox(fx);
    assert_int_equal(fx->seen, 0);
    fx->st = NULL;
    start_outbox(fx);
    for (i = 0; i < 3; i++) {
        q = get_row(fx, ids[i]);
        assert_true(strcmp(q.status, "queued") == 0 ||
                    strcmp(q.status, "sent") == 0);
    }
    outbox_kick(fx->ob);
    for (i = 0; i < 3; i++) {
        q = wait_row(fx, ids[i], "sent", WAIT_MS);
        assert_string_equal(q.status, "sent");
        assert_int_equal(q.attempts, 1);
    }
    assert_int_equal(fx->seen, 3);
}

static int
slow_job(struct store_tx *tx, void *arg)
{
    (void)tx;
    (void)arg;
    usleep(800 * 1000); /* a long group commit */
    return 0;
}

/* outbox_stop() runs on the loop while it still serves (SIGTERM): it must
 * not wait for the store, even with a claim queued behind slow jobs. The
 * claimed rows still go back to the queue, by outbox_free(). */
static void
test_stop_does_not_wait(void **state)
{
    struct fx *fx = *state;
    struct rowq q;
    int64_t id, t0, took;

    fx->opts.poll_ms = 60000;
    start_outbox(fx);
    wait_idle(fx);
    id = seed_row(fx, CHAN, URN, true);
    assert_int_equal(store_submit(fx->st, slow_job, NULL, NULL), 0);
    outbox_kick(fx->ob);
    /* One pass: the tick submits the claim, queued behind slow_job. */
    event_base_loop(fx->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    t0 = mono_ms();
    outbox_stop(fx->ob);
    took = mono_ms() - t0;
    if (took >= 400)
        fail_msg("outbox_stop() waited %" PRId64 " ms for the store", took);
    stop_outbox(fx);
    assert_int_equal(fx->seen, 0);
    start_outbox(fx);
    q = get_row(fx, id);
    assert_string_equal(q.status, "queued");
    assert_int_equal(q.attempts, 0);
    outbox_kick(fx->ob);
    q = wait_row(fx, id, "sent", WAIT_MS);
    assert_string_equal(q.status, "sent");
    assert_int_equal(q.attempts, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_result),
        cmocka_unit_test_setup_teardown(test_send_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeouts_then_failed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_address_no_channel, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_resend_after_restart, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_idempotent_requeued, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_onetime_forgotten, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_parallel_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_contact_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kick, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_retry_after_stop, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_requeue_after_stop, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_delivery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delivery_by_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generic_sender, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_with_claim_pending, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stop_does_not_wait, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
