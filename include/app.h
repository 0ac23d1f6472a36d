/*
 * app.h - the gateway process: struct sk_app holds everything `sikiliza
 * serve` runs with (config, privacy key, flows, store, event loop, HTTP
 * server, metrics), and the inbound pipeline that turns a webhook into a
 * flow step inside one store transaction, replying only after COMMIT.
 *
 * All functions run on the event loop (main) thread; the store jobs they
 * submit run on the store's writer thread and only read the config, the
 * flows and the privacy key, which are read-only once loaded.
 */
#ifndef SK_APP_H
#define SK_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "err.h"

struct caps;
struct channel_type;
struct event;
struct event_base;
struct evhttp_request;
struct flow_set;
struct http_server;
struct metrics;
struct outbox;
struct privacy;
struct store;

struct sk_app {
    struct config *cfg;
    struct privacy *priv;
    struct flow_set *flows;
    struct store *store;
    struct event_base *base;
    struct http_server *http;
    struct metrics *metrics;
    struct outbox *outbox; /* NULL when no channel sends on its own */
    struct event *sweep_timer;
    struct event *sig_term, *sig_int;
    /* the channel type of each configured channel, by config index */
    const struct channel_type *types[CONFIG_MAX_CHANNELS];
    /* the config's stop words, trimmed and case-folded */
    char *stop_folded[CONFIG_MAX_WORDS];
    size_t n_stop;
    /* the config's delete words, trimmed and case-folded */
    char *delete_folded[CONFIG_MAX_WORDS];
    size_t n_delete;
    struct caps *caps;        /* sending caps; used by store jobs only */
    char *tz_rule;            /* POSIX rule of [flows] timezone, or NULL */
    struct zone_cache *zones; /* rules of other zones flows name */
    int pending;   /* store jobs whose done callback has not run yet */
    bool sweeping; /* a timeout sweep job is queued or running */
    bool stopping; /* SIGTERM/SIGINT seen: no new work is taken */
};

/* `sikiliza serve -c FILE`: runs until SIGTERM/SIGINT. Returns the exit
 * code (0, 1 invalid config/key/flows, 3 runtime failure). */
int app_serve(const char *config_path);

/* Unix time in milliseconds (the real clock). */
int64_t app_now_ms(void);

/* Routes called by http.c for POST /c/NAME/receive and /status; ch is the
 * channel's config index. Each sends exactly one reply to req. */
void app_receive(struct sk_app *app, struct evhttp_request *req, size_t ch,
                 double t0);
void app_status(struct sk_app *app, struct evhttp_request *req, size_t ch,
                double t0);
/* POST /c/NAME/ussd: one step of a USSD session (404 for channel types
 * without USSD). The first step starts the channel's flow, or [flows]
 * default, as a new run that interrupts any earlier one of the contact;
 * later steps resume it with the child's latest answer. The answer is
 * "CON ..." while the run waits, else "END ...", one USSD screen long;
 * what does not fit comes on pages ("00 More"), the answer 00 showing the
 * next one without resuming the run. A retried step (same sessionId and
 * text) gets the same answer. */
void app_ussd(struct sk_app *app, struct evhttp_request *req, size_t ch,
              double t0);

#endif
