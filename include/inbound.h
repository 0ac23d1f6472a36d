/*
 * inbound.h - the inbound pipeline's store step: one message from a child
 * becomes, inside one store transaction, dedupe -> DELETE / STOP -> session
 * load -> a disclosure's referral and alert (safeguard.h) or one engine step ->
 * answers -> caps -> outbox -> contact, session, vault entry and the inbound
 * row with its reply.
 *
 * Threads. The event loop builds a job (inbound_job_init(), then fills the
 * message fields) and submits inbound_run() to the store; inbound_run()
 * runs on the store's writer thread and reads the context, which is
 * read-only while jobs run (the caps keep their own lock); the loop reads
 * the job's results in the store's done callback, after COMMIT, and frees
 * it with inbound_job_clear(). Nothing here knows HTTP or the event loop.
 */
#ifndef SK_INBOUND_H
#define SK_INBOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "caps.h"
#include "config.h"
#include "err.h"
#include "privacy.h"

struct caps;
struct safeguard;
struct zone_cache;
struct channel_type;
struct flow_set;
struct store_tx;

/* What every job reads; owned by the caller, unchanged while jobs run. */
struct inbound_ctx {
    const struct config *cfg;
    const struct flow_set *flows;
    struct caps *caps; /* sending caps */
    /* the channel type of each configured channel, by config index */
    const struct channel_type *const *types;
    const char *tz_rule;      /* POSIX rule of [flows] timezone, or NULL */
    struct zone_cache *zones; /* rules of other zones flows name */
    char *const *stop_folded; /* stop words, trimmed and case-folded */
    size_t n_stop;
    char *const *delete_folded; /* delete words, trimmed and case-folded */
    size_t n_delete;
    int64_t (*now)(void);              /* Unix ms; NULL for the real clock */
    const struct safeguard *safeguard; /* disclosures; NULL when off */
};

/*
 * One message. The loop sets the fields up to ussd_start (text,
 * external_id, vault and erase_vault are owned by the job and freed by
 * inbound_job_clear()); inbound_run() sets the rest.
 */
struct inbound_job {
    const struct inbound_ctx *ctx;
    size_t ch; /* the channel's config index */
    char key[PRIVACY_KEY_HEX];
    unsigned char *vault; /* the sealed address, kept while the run lives */
    size_t vault_len;
    char *text;
    char *external_id;
    bool ussd;       /* a USSD session step: the reply is "CON/END ..." */
    bool ussd_start; /* the first step of a USSD session */
    /* DELETE on a channel replying through the outbox: a one-time key and
     * the address sealed under it (see optout.c), else empty and NULL */
    char erase_key[PRIVACY_KEY_HEX];
    unsigned char *erase_vault;
    size_t erase_vault_len;
    /* erasure (store_purge.c): the key the number had before numbers
     * were made E.164, "" when the same, and the keyed hash the DELETE's
     * own dedupe row is kept under (privacy_dedupe_id()) */
    char legacy_key[PRIVACY_KEY_HEX];
    char dedupe_id[PRIVACY_DEDUPE_MAX];
    /* set by inbound_run() on the writer thread */
    char *reply;        /* JSON array of texts, or a USSD {"screen",...} */
    const char *status; /* for the log line: "duplicate", "resumed", ... */
    size_t dropped;     /* texts over max_replies_per_inbound */
    size_t queued;      /* texts put into the outbox (asynchronous channels) */
    uint64_t capped[CAPS_COUNT]; /* dropped by caps_apply() */
    bool erased;                 /* DELETE: the contact is gone */
    size_t ussd_pages; /* screens of the USSD answer, this one included */
    int64_t alert_id;  /* a disclosure's safeguarding alert, else 0 */
};

/* Unix time in ms by ctx->now, or the real clock. Any thread. */
int64_t inbound_now(const struct inbound_ctx *ctx);

/* Zeroes job and ties it to ctx and channel ch. */
void inbound_job_init(struct inbound_job *job, const struct inbound_ctx *ctx,
                      size_t ch);
/* Frees what job owns (not job itself) and zeroes it. NULL is a no-op. */
void inbound_job_clear(struct inbound_job *job);

/*
 * Writer thread, inside a store job: the whole step for job (arg is the
 * struct inbound_job). Returns 0 with job->reply and job->status set, or a
 * negative SK_E* (the transaction part of the job is then rolled back and
 * nothing may be acknowledged).
 */
int inbound_run(struct store_tx *tx, void *arg);

/* --- shared with the timeout sweep (writer thread, inside a job) ------- */

struct flow;
struct flow_session;
struct store_contact;

/* Gives s the environment of [flows]: timezone (with its rule), date
 * format and country. */
int inbound_session_env(const struct inbound_ctx *ctx, struct flow_session *s);

/*
 * Stores each run_result_changed of events (a JSON array of engine events)
 * as an answer of contact key, attributed to the flow whose run produced
 * it (waiting: the flow that was waiting, or NULL), and appends each
 * msg_created text to texts, at most cap of them (*dropped counts the
 * rest).
 */
int inbound_record_events(struct store_tx *tx, const struct inbound_ctx *ctx,
                          const char *key, const json_t *events,
                          const struct flow *waiting, int64_t now,
                          json_t *texts, size_t cap, size_t *dropped);

/* What an answer is stored with for exports (borrowed strings). */
struct inbound_origin {
    const char *language;     /* the contact's language, or NULL */
    const char *channel_type; /* the channel's type, or NULL */
};
/* As inbound_record_events(), storing each answer with origin's language
 * and channel type (origin may be NULL) and its flow's revision. */
int inbound_record_events_as(struct store_tx *tx, const struct inbound_ctx *ctx,
                             const char *key,
                             const struct inbound_origin *origin,
                             const json_t *events, const struct flow *waiting,
                             int64_t now, json_t *texts, size_t cap,
                             size_t *dropped);

/* Saves session s and its wait times into c and the store; channel (NULL
 * keeps c's) is the channel the contact last wrote on. A run waiting in a
 * USSD session (ussd) has no timeout and expires after five idle
 * minutes. */
int inbound_save_contact(struct store_tx *tx, const struct inbound_ctx *ctx,
                         const char *key, struct store_contact *c,
                         const struct flow_session *s, const char *channel,
                         int64_t now, bool ussd);

#endif
