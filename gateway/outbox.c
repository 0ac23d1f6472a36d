/*
 * outbox.c - the outbox sender (see outbox.h).
 *
 * libcurl runs on the loop through its multi-socket API, as in curl's
 * hiperfifo example: curl tells us which sockets to watch (sock_cb) and
 * when to call it back (timer_cb); libevent events drive
 * curl_multi_socket_action(). Nothing here blocks: DNS runs in curl's
 * resolver thread, sqlite in store jobs.
 *
 * The reply address is in clear only in an item's memory between the
 * claim job and the end of its transfer, and is wiped when the item is
 * freed. Logs show the contact key prefix and the outbox row id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "app.h"
#include "channel.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "privacy.h"
#include "store.h"

#define CLAIM_LIMIT     16 /* rows per claim job */
#define MAX_IN_FLIGHT   64
#define MAX_ATTEMPTS    5
#define SEND_TIMEOUT_MS 15000L
#define RESPONSE_MAX    4096 /* bytes of a response kept (discarded) */

struct outbox_item {
    struct outbox *ob;
    struct outbox_item *next; /* in ob->active */
    int64_t id;
    size_t ch;
    char key[PRIVACY_KEY_HEX];
    char *to; /* the reply address in clear; wiped */
    char *text;
    int attempts; /* including this one */
    char *body;
    struct curl_slist *hdrs;
    CURL *easy;
    long http_code;
    int ok;
    size_t got;
};

struct sock_ctx {
    struct outbox *ob;
    struct event *ev;
    struct sock_ctx *prev, *next;
};

struct outbox {
    struct sk_app *app;
    CURLM *multi;
    struct event *timer;
    char *claim_sql;
    size_t chans[CONFIG_MAX_CHANNELS]; /* channel indexes that send */
    size_t n_chans;
    struct outbox_item *active;
    struct sock_ctx *socks;
    int in_flight;
    bool claiming;
    bool reset_done; /* rows left "sending" by a crash are queued again */
    bool stopping;
};

static void
item_free(struct outbox_item *it)
{
    if (it == NULL)
        return;
    if (it->to != NULL) {
        OPENSSL_cleanse(it->to, strlen(it->to));
        free(it->to);
    }
    if (it->body != NULL) {
        OPENSSL_cleanse(it->body, strlen(it->body));
        free(it->body);
    }
    free(it->text);
    curl_slist_free_all(it->hdrs);
    if (it->easy != NULL)
        curl_easy_cleanup(it->easy);
    free(it);
}

static void
items_free(struct outbox_item *list)
{
    while (list != NULL) {
        struct outbox_item *next = list->next;

        item_free(list);
        list = next;
    }
}

/* --- store jobs -------------------------------------------------------- */

struct claim_job {
    struct outbox *ob;
    struct outbox_item *items; /* claimed, to send */
    int limit;
};

static int
exec_sql(sqlite3 *db, const char *sql, int64_t a, int64_t b)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return SK_EIO;
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : SK_EIO;
}

/* Opens the contact's reply address; NULL when the vault has none. */
static char *
open_address(struct store_tx *tx, const struct sk_app *app, const char *key,
             int64_t now, int *rc)
{
    unsigned char *blob = NULL;
    size_t len = 0;
    char *addr;

    *rc = store_vault_get(tx, key, &blob, &len, now);
    if (*rc != 0) {
        if (*rc == SK_ENOENT)
            *rc = 0;
        return NULL;
    }
    addr = privacy_open_blob(app->priv, key, blob, len);
    free(blob);
    return addr;
}

static int
claim_run(struct store_tx *tx, void *arg)
{
    struct claim_job *job = arg;
    struct outbox *ob = job->ob;
    sqlite3 *db = store_tx_sqlite(tx);
    sqlite3_stmt *st = NULL;
    int64_t now = app_now_ms();
    size_t i;
    int rc = 0, step;

    if (!ob->reset_done &&
        (rc = exec_sql(db,
                       "UPDATE outbox SET status = 'queued', updated_at = ?1"
                       " WHERE status = 'sending'",
                       now, 0)) != 0)
        return rc;
    if (sqlite3_prepare_v2(db, ob->claim_sql, -1, &st, NULL) != SQLITE_OK)
        return SK_EIO;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, job->limit);
    for (i = 0; i < ob->n_chans; i++)
        sqlite3_bind_text(st, (int)i + 3,
                          ob->app->cfg->channels[ob->chans[i]].name, -1,
                          SQLITE_STATIC);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct outbox_item *it = calloc(1, sizeof(*it));
        const char *chname = (const char *)sqlite3_column_text(st, 1);
        const char *key = (const char *)sqlite3_column_text(st, 2);
        const char *text = (const char *)sqlite3_column_text(st, 3);

        if (it == NULL) {
            rc = SK_ENOMEM;
            break;
        }
        it->next = job->items;
        job->items = it;
        it->ob = ob;
        it->id = sqlite3_column_int64(st, 0);
        it->attempts = sqlite3_column_int(st, 4) + 1;
        for (i = 0; i < ob->n_chans; i++)
            if (chname != NULL &&
                strcmp(ob->app->cfg->channels[ob->chans[i]].name, chname) == 0)
                it->ch = ob->chans[i];
        if (key != NULL && strlen(key) < PRIVACY_KEY_HEX)
            strcpy(it->key, key);
        if ((it->text = strdup(text != NULL ? text : "")) == NULL) {
            rc = SK_ENOMEM;
            break;
        }
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = SK_EIO;
    sqlite3_finalize(st);
    if (rc != 0)
        return rc;
    /* mark them: sending (with an address) or failed (none left) */
    for (struct outbox_item *it = job->items; it != NULL; it = it->next) {
        it->to = open_address(tx, ob->app, it->key, now, &rc);
        if (rc != 0)
            return rc;
        rc = exec_sql(db,
                      it->to != NULL
                          ? "UPDATE outbox SET status = 'sending', attempts ="
                            " attempts + 1, updated_at = ?1 WHERE id = ?2"
                          : "UPDATE outbox SET status = 'failed', updated_at"
                            " = ?1 WHERE id = ?2",
                      now, it->id);
        if (rc != 0)
            return rc;
    }
    return 0;
}

struct result_job {
    struct outbox *ob;
    int64_t id;
    size_t ch;
    char key[PRIVACY_KEY_HEX];
    int ok, attempts;
    long http_code;
};

static int
result_run(struct store_tx *tx, void *arg)
{
    struct result_job *job = arg;
    sqlite3 *db = store_tx_sqlite(tx);
    int64_t now = app_now_ms();

    if (job->ok)
        return exec_sql(db,
                        "UPDATE outbox SET status = 'sent', updated_at = ?1"
                        " WHERE id = ?2",
                        now, job->id);
    if (job->attempts >= MAX_ATTEMPTS)
        return exec_sql(db,
                        "UPDATE outbox SET status = 'failed', updated_at ="
                        " ?1 WHERE id = ?2",
                        now, job->id);
    return exec_sql(db,
                    "UPDATE outbox SET status = 'queued', updated_at = ?1,"
                    " next_attempt_at = ?1 + (30000 << attempts)"
                    " WHERE id = ?2",
                    now, job->id);
}

static void
result_done(void *arg, int rc)
{
    struct result_job *job = arg;
    struct sk_app *app = job->ob->app;

    if (rc != 0)
        sk_log(LOG_WARNING, "outbox", "id=%lld result not saved: %s",
               (long long)job->id, sk_strerror(rc));
    free(job);
    app_job_finished(app);
}

/* --- transfers -------------------------------------------------------- */

static size_t
discard_cb(char *ptr, size_t size, size_t n, void *arg)
{
    struct outbox_item *it = arg;

    (void)ptr;
    it->got += size * n;
    return it->got > RESPONSE_MAX * 16 ? 0 : size * n;
}

static void
finish(struct outbox *ob, struct outbox_item *it)
{
    struct sk_app *app = ob->app;
    struct result_job *job = calloc(1, sizeof(*job));

    if (it->ok)
        metrics_messages_out(app->metrics, it->ch, 1);
    else
        metrics_error(app->metrics, it->ch, METRICS_ERR_SEND);
    sk_log(it->ok ? LOG_INFO : LOG_WARNING, "outbox",
           "channel=%s contact=%.8s id=%lld %s http=%ld attempt=%d",
           app->cfg->channels[it->ch].name, it->key, (long long)it->id,
           it->ok ? "sent" : "failed", it->http_code, it->attempts);
    if (job == NULL)
        return; /* the row stays "sending" and is queued at next start */
    job->ob = ob;
    job->id = it->id;
    job->ch = it->ch;
    memcpy(job->key, it->key, sizeof(job->key));
    job->ok = it->ok;
    job->attempts = it->attempts;
    job->http_code = it->http_code;
    if (store_submit(app->store, result_run, result_done, job) != 0) {
        free(job);
        return;
    }
    app_job_started(app);
}

static void
check_done(struct outbox *ob)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(ob->multi, &left)) != NULL) {
        struct outbox_item *it = NULL, **pp;

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&it);
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
                          &it->http_code);
        it->ok = msg->data.result == CURLE_OK && it->http_code >= 200 &&
                 it->http_code < 300;
        curl_multi_remove_handle(ob->multi, it->easy);
        for (pp = &ob->active; *pp != NULL; pp = &(*pp)->next)
            if (*pp == it) {
                *pp = it->next;
                break;
            }
        ob->in_flight--;
        finish(ob, it);
        item_free(it);
    }
}

static void
sock_event(evutil_socket_t fd, short what, void *arg)
{
    struct outbox *ob = arg;
    int running = 0;
    int action = ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
                 ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);

    curl_multi_socket_action(ob->multi, fd, action, &running);
    check_done(ob);
}

static void
sock_ctx_free(struct outbox *ob, struct sock_ctx *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        ob->socks = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    if (c->ev != NULL)
        event_free(c->ev);
    free(c);
}

static int
sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    struct outbox *ob = userp;
    struct sock_ctx *c = socketp;
    short kind = EV_PERSIST;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (c != NULL) {
            curl_multi_assign(ob->multi, s, NULL);
            sock_ctx_free(ob, c);
        }
        return 0;
    }
    if (what & CURL_POLL_IN)
        kind |= EV_READ;
    if (what & CURL_POLL_OUT)
        kind |= EV_WRITE;
    if (c == NULL) {
        if ((c = calloc(1, sizeof(*c))) == NULL)
            return -1;
        c->ob = ob;
        c->next = ob->socks;
        if (ob->socks != NULL)
            ob->socks->prev = c;
        ob->socks = c;
        curl_multi_assign(ob->multi, s, c);
    } else if (c->ev != NULL) {
        event_free(c->ev);
        c->ev = NULL;
    }
    c->ev = event_new(ob->app->base, s, kind, sock_event, ob);
    if (c->ev == NULL || event_add(c->ev, NULL) != 0)
        return -1;
    return 0;
}

static void
timer_event(evutil_socket_t fd, short what, void *arg)
{
    struct outbox *ob = arg;
    int running = 0;

    (void)fd;
    (void)what;
    curl_multi_socket_action(ob->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(ob);
}

static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    struct outbox *ob = userp;
    struct timeval tv;

    (void)multi;
    if (timeout_ms < 0) {
        evtimer_del(ob->timer);
        return 0;
    }
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    return evtimer_add(ob->timer, &tv) == 0 ? 0 : -1;
}

/* Starts the POST of one item. 0, or a negative SK_E* (it is not sent). */
static int
start(struct outbox *ob, struct outbox_item *it)
{
    const struct config_channel *ch = &ob->app->cfg->channels[it->ch];
    const char *to = it->to;
    json_t *msg;
    char id[32];

    if (strncmp(to, "tel:", 4) == 0)
        to += 4;
    snprintf(id, sizeof(id), "%lld", (long long)it->id);
    msg = json_pack("{s:s,s:s,s:s}", "to", to, "text", it->text, "id", id);
    it->body = msg != NULL ? json_dumps(msg, JSON_COMPACT) : NULL;
    json_decref(msg);
    it->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    it->easy = curl_easy_init();
    if (it->body == NULL || it->hdrs == NULL || it->easy == NULL)
        return SK_ENOMEM;
    curl_easy_setopt(it->easy, CURLOPT_URL, ch->send_url);
    curl_easy_setopt(it->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(it->easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(it->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(it->easy, CURLOPT_TIMEOUT_MS, SEND_TIMEOUT_MS);
    curl_easy_setopt(it->easy, CURLOPT_HTTPHEADER, it->hdrs);
    curl_easy_setopt(it->easy, CURLOPT_POSTFIELDS, it->body);
    curl_easy_setopt(it->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(it->body));
    curl_easy_setopt(it->easy, CURLOPT_WRITEFUNCTION, discard_cb);
    curl_easy_setopt(it->easy, CURLOPT_WRITEDATA, it);
    curl_easy_setopt(it->easy, CURLOPT_PRIVATE, it);
    if (curl_multi_add_handle(ob->multi, it->easy) != CURLM_OK)
        return SK_EIO;
    return 0;
}

static void
claim_done(void *arg, int rc)
{
    struct claim_job *job = arg;
    struct outbox *ob = job->ob;
    struct sk_app *app = ob->app;
    struct outbox_item *it, *next;

    ob->claiming = false;
    if (rc != 0) {
        sk_log(LOG_WARNING, "outbox", "claim failed: %s", sk_strerror(rc));
        items_free(job->items);
    } else {
        ob->reset_done = true;
        for (it = job->items; it != NULL; it = next) {
            next = it->next;
            it->next = NULL;
            if (it->to == NULL) {
                sk_log(LOG_WARNING, "outbox",
                       "channel=%s contact=%.8s id=%lld failed: no reply "
                       "address in the vault",
                       app->cfg->channels[it->ch].name, it->key,
                       (long long)it->id);
                metrics_error(app->metrics, it->ch, METRICS_ERR_SEND);
                item_free(it);
            } else if (ob->stopping || start(ob, it) != 0) {
                item_free(it); /* queued again at the next start */
            } else {
                it->next = ob->active;
                ob->active = it;
                ob->in_flight++;
            }
        }
    }
    free(job);
    app_job_finished(app);
}

void
outbox_kick(struct outbox *ob)
{
    struct claim_job *job;

    if (ob == NULL || ob->claiming || ob->stopping ||
        ob->in_flight >= MAX_IN_FLIGHT)
        return;
    if ((job = calloc(1, sizeof(*job))) == NULL)
        return;
    job->ob = ob;
    job->limit = MAX_IN_FLIGHT - ob->in_flight < CLAIM_LIMIT
                     ? MAX_IN_FLIGHT - ob->in_flight
                     : CLAIM_LIMIT;
    if (store_submit(ob->app->store, claim_run, claim_done, job) != 0) {
        free(job);
        return;
    }
    ob->claiming = true;
    app_job_started(ob->app);
}

static void
drop_transfers(struct outbox *ob)
{
    while (ob->active != NULL) {
        struct outbox_item *it = ob->active;

        ob->active = it->next;
        curl_multi_remove_handle(ob->multi, it->easy);
        item_free(it);
        ob->in_flight--;
    }
}

void
outbox_stop(struct outbox *ob)
{
    if (ob == NULL)
        return;
    ob->stopping = true;
    drop_transfers(ob);
}

struct outbox *
outbox_new(struct sk_app *app, char err[SK_ERR_LEN])
{
    struct outbox *ob;
    size_t i, len;
    char *sql;

    ob = calloc(1, sizeof(*ob));
    if (ob == NULL) {
        sk_seterr(err, "out of memory");
        return NULL;
    }
    ob->app = app;
    for (i = 0; i < app->cfg->n_channels; i++) {
        const struct config_channel *ch = &app->cfg->channels[i];

        if (strcmp(ch->type, "generic") == 0 && ch->send_url != NULL)
            ob->chans[ob->n_chans++] = i;
    }
    if (ob->n_chans == 0) {
        free(ob);
        return NULL; /* nothing sends on its own */
    }
    len = 256 + ob->n_chans * 8;
    if ((sql = malloc(len)) == NULL)
        goto nomem;
    ob->claim_sql = sql;
    strcpy(sql, "SELECT id, channel, contact_key, text, attempts FROM outbox"
                " WHERE status = 'queued' AND next_attempt_at <= ?1 AND"
                " channel IN (");
    for (i = 0; i < ob->n_chans; i++)
        sprintf(sql + strlen(sql), "%s?%zu", i == 0 ? "" : ",", i + 3);
    strcat(sql, ") ORDER BY id LIMIT ?2");
    ob->multi = curl_multi_init();
    ob->timer = evtimer_new(app->base, timer_event, ob);
    if (ob->multi == NULL || ob->timer == NULL)
        goto nomem;
    curl_multi_setopt(ob->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(ob->multi, CURLMOPT_SOCKETDATA, ob);
    curl_multi_setopt(ob->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(ob->multi, CURLMOPT_TIMERDATA, ob);
    return ob;
nomem:
    sk_seterr(err, "out of memory");
    outbox_free(ob);
    return NULL;
}

void
outbox_free(struct outbox *ob)
{
    if (ob == NULL)
        return;
    drop_transfers(ob);
    if (ob->multi != NULL)
        curl_multi_cleanup(ob->multi);
    while (ob->socks != NULL)
        sock_ctx_free(ob, ob->socks);
    if (ob->timer != NULL)
        event_free(ob->timer);
    free(ob->claim_sql);
    free(ob);
}
