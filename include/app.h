/*
 * app.h - the gateway process: struct sk_app holds everything `sikiliza
 * serve` runs with (config, privacy key, flows, store, event loop, HTTP
 * server, metrics), and the loop side of the inbound pipeline that turns a
 * webhook into a flow step (inbound.h) inside one store transaction,
 * replying only after COMMIT.
 *
 * All functions run on the event loop (main) thread; the store jobs they
 * submit run on the store's writer thread and only read the inbound
 * context (struct sk_app's inbound member), read-only once loaded.
 */
#ifndef SK_APP_H
#define SK_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "err.h"
#include "inbound.h"
#include "sending.h"

struct admin;
struct caps;
struct zone_cache;
struct channel_type;
struct event;
struct event_base;
struct flow_set;
struct http_server;
struct metrics;
struct outbox;
struct notify;
struct privacy;
struct prompts;
struct purge_timer;
struct safeguard;
struct store;
struct sweep_timer;
struct voicewire;

struct sk_app {
    struct config *cfg;
    struct privacy *priv;
    struct flow_set *flows;
    struct store *store;
    struct event_base *base;
    struct http_server *http;
    struct admin *admin; /* NULL without [server] admin_listen */
    struct metrics *metrics;
    struct outbox *outbox;      /* NULL when no channel sends on its own */
    struct prompts *prompts;    /* NULL without [flows] prompts */
    struct sending_ctx sending; /* what the outbox reports to */
    struct sweep_timer *sweep;  /* timeouts and expiry (sweep.h) */
    struct purge_timer *purge;  /* the daily retention purge */
    struct event *sig_term, *sig_int;
    /* the channel type of each configured channel, by config index */
    const struct channel_type *types[CONFIG_MAX_CHANNELS];
    /* the config's stop words, trimmed and case-folded */
    char *stop_folded[CONFIG_MAX_WORDS];
    size_t n_stop;
    /* the config's delete words, trimmed and case-folded */
    char *delete_folded[CONFIG_MAX_WORDS];
    size_t n_delete;
    struct caps *caps;           /* sending caps; used by store jobs only */
    struct zone_cache *zones;    /* rules of other zones flows name */
    char *tz_rule;               /* POSIX rule of [flows] timezone, or NULL */
    struct inbound_ctx inbound;  /* what inbound store jobs read */
    struct safeguard *safeguard; /* disclosures; NULL when switched off */
    struct notify *notify;       /* alert webhook; NULL without one */
    struct voicewire *voicewire; /* hearing recordings; NULL without calls */
    int pending;   /* store jobs whose done callback has not run yet */
    bool stopping; /* SIGTERM/SIGINT seen: no new work is taken */
};

/* `sikiliza serve -c FILE`: runs until SIGTERM/SIGINT. Returns the exit
 * code (0, 1 invalid config/key/flows, 3 runtime failure). */
int app_serve(const char *config_path);

/*
 * Everything serve checks before it starts anything (see appcheck.c):
 * loads the config, the key file and the flows into app, checks the
 * channels, [flows], [safeguarding], media_hosts and [asr] files of voice
 * channels, the admin token file and the store's directory. Problems are
 * printed to stderr as "FILE:LINE: reason" as they are found, and the
 * checks go on; warnings are held in the log (sk_log_hold()) for the
 * caller to release or drain after them. who names the command in
 * messages. 0, SK_EINVAL (a problem: exit 1) or SK_ENOMEM. Main thread,
 * before threads; app is zeroed by the caller and freed with app_free().
 */
int app_check(struct sk_app *app, const char *config_path, const char *who);

/* Frees what app holds (what app_check() or app_serve() set up). */
void app_free(struct sk_app *app);

/* The webhook routes (POST /c/NAME/receive, /status, /ussd, /voice and
 * /voice/...) and GET /metrics are registered with http.c by
 * app_serve(); see http.h. */

#endif
