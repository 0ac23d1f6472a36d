/*
 * store.h - durable state in sqlite: WAL mode, synchronous=FULL (checked at
 * open), forward-only versioned migrations.
 *
 * One writer thread owns the write connection. Work reaches it as jobs:
 * a job function runs on the writer thread inside a transaction, and its
 * done callback runs afterwards, once the transaction has committed (or
 * failed), on the event loop (woken with event_active) or, for
 * store_call(), on the calling thread. The writer commits in groups:
 * every job that arrived while the last COMMIT ran shares the next one,
 * each inside its own SAVEPOINT so a failing job rolls back alone.
 *
 * The store_tx functions may only be called from inside a job function.
 */
#ifndef SK_STORE_H
#define SK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct event_base;
struct store;
struct store_tx;

/* Runs on the writer thread inside the transaction. Return 0 to keep what
 * the job wrote, a negative SK_E* to roll it back. */
typedef int (*store_job_fn)(struct store_tx *tx, void *arg);
/* Runs after COMMIT with the job's rc (SK_EIO when the commit failed). */
typedef void (*store_done_fn)(void *arg, int rc);

/*
 * Opens (creating if needed) and migrates the database at path and starts
 * the writer thread. done callbacks of store_submit() run on base's loop;
 * base may be NULL when only store_call() is used. queue_depth bounds the
 * jobs waiting for the writer.
 */
struct store *store_open(const char *path, struct event_base *base,
                         int queue_depth, char err[SK_ERR_LEN]);
/*
 * Opens the database for a command run beside a serving gateway (export,
 * alerts, reveal, audit, purge): like store_open() with no base, but
 * without the one-writer lock, so it works while `serve` runs; sqlite's
 * own locking orders the two writers. Only store_call() may be used.
 */
struct store *store_open_shared(const char *path, char err[SK_ERR_LEN]);
/* Runs every queued job, stops the writer and closes. NULL is a no-op.
 * Call it on the loop thread or after the loop has stopped: done callbacks
 * the loop has not delivered yet are called directly, on the closing
 * thread, before store_close() returns. From the moment it starts,
 * store_submit() and store_call() answer SK_EBUSY; other threads must have
 * stopped calling in before it returns (it frees the store). */
void store_close(struct store *st);

/* Start-up checks (config check): whether the database at path, when
 * there is one, can be opened and is not of a newer schema than this
 * build's. 0, SK_EIO or SK_ESTATE with err. Opens it read-only. */
int store_check_file(const char *path, char err[SK_ERR_LEN]);

/* The schema version after migrations. */
int store_schema_version(struct store *st);

/* Group COMMITs that succeeded so far (for tests and metrics): with many
 * jobs in flight it grows slower than the number of jobs. Any thread. */
uint64_t store_commits(struct store *st);

/*
 * Queues a job. Returns 0, or SK_EBUSY when the queue is full or the store
 * is closing (then neither fn nor done is ever called). SK_EINVAL when the
 * store was opened without a base. done may be NULL.
 */
int store_submit(struct store *st, store_job_fn fn, store_done_fn done,
                 void *arg);

/* Runs a job and waits for its commit; returns the job's rc. Never call it
 * on the event loop thread. It does not count against queue_depth (its
 * caller is blocked); SK_EBUSY when the store is closing, SK_ESTATE from
 * inside a job. */
int store_call(struct store *st, store_job_fn fn, void *arg);

/* --- inside a job -------------------------------------------------------- */

/* Inbound dedupe on (channel, external_id). get: 0 with *reply (malloc'd,
 * the reply given the first time, "" when none was stored) or SK_ENOENT.
 * put: SK_EEXIST when the pair is already there (the first row stays). */
int store_inbound_get(struct store_tx *tx, const char *channel,
                      const char *external_id, char **reply);
/* The same, but only a row of contact_key (NULL: any contact): a replay is
 * answered only to the contact that sent the id first. */
int store_inbound_get_mine(struct store_tx *tx, const char *channel,
                           const char *external_id, const char *contact_key,
                           char **reply);
int store_inbound_put(struct store_tx *tx, const char *channel,
                      const char *external_id, const char *contact_key,
                      const char *reply, int64_t now_ms);

struct store_contact {
    char *session; /* flow_session JSON, malloc'd, or NULL */
    char *channel; /* channel last heard on, malloc'd, or NULL */
    bool opted_out;
    int64_t timeout_at; /* unix ms, 0 = none */
    int64_t expires_at; /* unix ms, 0 = none */
    int64_t last_seen;
};
/* Fills c (caller frees with store_contact_clear) or SK_ENOENT. */
int store_contact_get(struct store_tx *tx, const char *contact_key,
                      struct store_contact *c);
int store_contact_put(struct store_tx *tx, const char *contact_key,
                      const struct store_contact *c);
void store_contact_clear(struct store_contact *c);

/* One answer (a run_result_changed event), with no language, channel
 * type or revision (see store_result_add()). */
int store_result_put(struct store_tx *tx, const char *contact_key,
                     const char *flow_uuid, const char *flow_name,
                     const char *name, const char *value, const char *category,
                     const char *input, int64_t now_ms);

/* One answer with what an export tells of it besides (borrowed strings;
 * contact_key, flow_uuid, flow_name and name are required, the rest may
 * be NULL or 0). */
struct store_result {
    const char *contact_key;
    const char *flow_uuid, *flow_name;
    int64_t flow_revision; /* the definition's "revision"; 0 unknown */
    const char *name, *value, *category, *input;
    const char *language;     /* the contact's (ISO 639-3), or NULL */
    const char *channel_type; /* "kannel", "twilio", ... or NULL */
};
int store_result_add(struct store_tx *tx, const struct store_result *r,
                     int64_t now_ms);

/* A message to send later (not a synchronous reply). *id may be NULL. */
int store_outbox_put(struct store_tx *tx, const char *channel,
                     const char *contact_key, const char *text, int64_t now_ms,
                     int64_t *id);

/* The sealed reply address of a contact (see privacy.h). */
int store_vault_put(struct store_tx *tx, const char *contact_key,
                    const unsigned char *blob, size_t len, int64_t expires_at);
/* 0 with a malloc'd *blob, or SK_ENOENT (also when expired: expires_at
 * <= now_ms). */
int store_vault_get(struct store_tx *tx, const char *contact_key,
                    unsigned char **blob, size_t *len, int64_t now_ms);

/* Deletes at most limit vault entries that have expired (expires_at <=
 * now_ms). Returns how many or a negative SK_E*. */
int store_vault_purge(struct store_tx *tx, int64_t now_ms, int limit);

/* Deletes the vault entry of contact_key when nothing needs it any more:
 * no contacts row and no outbox row queued or sending (a one-time key,
 * such as a DELETE confirmation's, once its row has reached a final
 * state). Returns how many entries were deleted (0 or 1) or a negative
 * SK_E*. */
int store_vault_forget(struct store_tx *tx, const char *contact_key);

/* Calls fn for each contact whose timeout_at or expires_at is <= now,
 * at most limit of them. Returns how many or a negative SK_E*. A 0 time
 * is never due. fn may write to the store (keys are collected first). */
int store_due(struct store_tx *tx, int64_t now_ms, int limit,
              void (*fn)(void *arg, const char *contact_key), void *arg);

/* Answers stored so far (for tests and the simulator's checks). table is
 * one of inbound, contacts, results, outbox, vault; else SK_EINVAL. */
int store_count(struct store_tx *tx, const char *table, int64_t *n);

/* --- erasure and retention (store_purge.c) ----------------------------- */

/*
 * Erases every row held on the contact, in every table that holds
 * contact data (one list in store_purge.c): its inbound rows with the
 * provider's message ids and times, session, answers, outbox rows and
 * vault entry. Nothing of it is left for dedupe: the caller stores the
 * erasing message's own dedupe row under privacy_dedupe_id(), with no
 * contact key. Calls store_tx_scrub(). SK_EINVAL for an empty key.
 */
int store_contact_erase(struct store_tx *tx, const char *contact_key);

/* What store_purge() deleted, table by table. */
struct store_purge_counts {
    int64_t results;    /* answers */
    int64_t inbound;    /* dedupe rows: provider ids, times, replies */
    int64_t contacts;   /* contacts (sessions) idle since before */
    int64_t outbox;     /* messages (not while being sent) */
    int64_t vault;      /* reply addresses */
    int64_t recordings; /* sealed recordings of spoken answers */
    int64_t alerts;     /* safeguarding alerts (not while being notified) */
};

/*
 * The retention policy: deletes answers, inbound rows and outbox rows made
 * before before_ms, contacts (with their sessions) last heard before
 * before_ms, recordings and alerts made before before_ms (an alert being
 * notified stays), and vault entries that have
 * expired at now_ms or were last written before vault_before_ms. Adds what went
 * to *n (zeroed first). Calls store_tx_scrub() when anything went. 0 or SK_EIO,
 * SK_ENOMEM.
 */
int store_purge(struct store_tx *tx, int64_t before_ms, int64_t vault_before_ms,
                int64_t now_ms, struct store_purge_counts *n);

/*
 * Asks the writer to scrub once this job's transaction has committed:
 * an incremental vacuum and a WAL checkpoint that truncates the WAL, so
 * what the job deleted is in neither the database file nor its WAL
 * (secure_delete, always on, has zeroed the deleted bytes). It runs
 * before the done callbacks of the group, so a reply sent after an
 * erasure is sent once the data is gone. Inside a job only.
 */
void store_tx_scrub(struct store_tx *tx);

/*
 * Whether a scrub waits for readers (a reader on an older snapshot keeps
 * the WAL from being truncated; the writer tries again every second),
 * and, in *retries (may be NULL), how many scrubs had to wait so far.
 * Any thread.
 */
bool store_scrub_pending(struct store *st, uint64_t *retries);

/* --- the audit log (store_audit.c) ------------------------------------- */

/* One audit row as store_audit_list() hands it over: borrowed strings,
 * valid until the callback returns; subject and reason may be NULL. */
struct store_audit_row {
    int64_t id;
    int64_t at_ms;
    const char *actor;
    const char *action;
    const char *subject;
    const char *reason;
};
/* Writes an audit row. actor (who: "cli:USER", "admin") and action
 * ("export", "reveal", ...) are required; subject and reason may be NULL.
 * Never put a phone number or a child's text in any of them. Returns the
 * row id or a negative SK_E*. */
int64_t store_audit_add(struct store_tx *tx, int64_t now_ms, const char *actor,
                        const char *action, const char *subject,
                        const char *reason);
/* fn for each audit row at or after since_ms, oldest first; a non-zero
 * return stops the walk and is returned. 0 or SK_EIO. */
int store_audit_list(struct store_tx *tx, int64_t since_ms,
                     int (*fn)(void *arg, const struct store_audit_row *row),
                     void *arg);

/* --- recordings (store_recordings.c, for recording.c) ------------------ */

/* A recording's row. put takes every field but id; get fills every
 * field, the strings and blob malloc'd (free with
 * store_recording_clear()). blob is sealed (privacy.h): the store never
 * sees audio in clear. */
struct store_recording {
    int64_t id;
    char *contact_key;
    char *flow_uuid;
    char *result_name; /* the result the answer went to */
    int rate;          /* Hz */
    int64_t samples;   /* 16-bit mono samples */
    bool needs_listening;
    unsigned char *blob;
    size_t blob_len;
    int64_t created_at; /* unix ms */
};
/* Returns the new row's id or a negative SK_E*. */
int64_t store_recording_put(struct store_tx *tx,
                            const struct store_recording *r);
/* 0 with r filled, SK_ENOENT, SK_ENOMEM, SK_EIO. */
int store_recording_get(struct store_tx *tx, int64_t id,
                        struct store_recording *r);
void store_recording_clear(struct store_recording *r);
/* Deletes the recordings made before before_ms (the retention purge):
 * how many, or a negative SK_E*. */
int store_recordings_purge(struct store_tx *tx, int64_t before_ms);
/* Recordings stored (of contact_key, or all when NULL) into *n. */
int store_recordings_count(struct store_tx *tx, const char *contact_key,
                           int64_t *n);
/* --- safeguarding alerts (store_alerts.c) ------------------------------ */

/* A contact key as stored: 64 hex digits and a NUL. */
#define STORE_ALERT_KEY_MAX 65

/* One alert as the queries below hand it over: borrowed strings, valid
 * until the callback returns; language may be NULL. */
struct store_alert_row {
    int64_t id;
    int64_t created_at; /* unix ms */
    const char *contact_key;
    const char *channel;
    const char *language;
    const char *category;
    const char *status; /* pending, sending, notified */
    int attempts;       /* notifications tried so far */
    int64_t next_attempt_at;
};
/* Called for each row; a non-zero return stops the walk and is returned.
 * It must not write to the store: collect, then write. */
typedef int (*store_alert_row_fn)(void *arg, const struct store_alert_row *row);

/* Records an alert, pending and due at once. language may be NULL; the
 * rest is required. Returns the alert id or a negative SK_E*. */
int64_t store_alert_add(struct store_tx *tx, int64_t now_ms,
                        const char *contact_key, const char *channel,
                        const char *language, const char *category);
/* fn for every alert, oldest first. 0, fn's return or SK_EIO. */
int store_alert_list(struct store_tx *tx, store_alert_row_fn fn, void *arg);
/* The contact key of alert id into key; SK_ENOENT when there is none. */
int store_alert_contact(struct store_tx *tx, int64_t id,
                        char key[STORE_ALERT_KEY_MAX]);
/* fn for at most limit pending alerts due at now_ms, oldest due first. */
int store_alert_due(struct store_tx *tx, int64_t now_ms, int limit,
                    store_alert_row_fn fn, void *arg);
/* Moves alert id from status from to to, adding attempts_delta to its
 * attempts and setting next_attempt_at when next_at >= 0. Returns the
 * rows changed (0 or 1) or SK_EIO. */
int store_alert_move(struct store_tx *tx, int64_t id, const char *from,
                     const char *to, int attempts_delta, int64_t next_at,
                     int64_t now_ms);
/* Alerts left 'sending' (by a run that stopped before it knew the
 * outcome) become pending and due at now_ms. Returns how many or SK_EIO. */
int store_alert_recover(struct store_tx *tx, int64_t now_ms);
/* The earliest next_attempt_at of a pending alert into *at, or -1 when
 * none is pending. 0 or SK_EIO. */
int store_alert_next_due(struct store_tx *tx, int64_t *at);
/* The alerts that still name contact_key (a child who disclosed harm and
 * has not been erased or aged out) into *n. 0, SK_EINVAL or SK_EIO. */
int store_alert_count_contact(struct store_tx *tx, const char *contact_key,
                              int64_t *n);

/* --- the outbox's rows (outbox.c, optout.c, caps.c) --------------------- */

/* A contact key as stored: 64 hex digits and a NUL (PRIVACY_KEY_HEX). */
#define STORE_KEY_MAX 65
/* Channels one claim may name (OUTBOX_MAX_CHANNELS). */
#define STORE_OUTBOX_MAX_CHANNELS 32

/* One outbox row as a query hands it over: borrowed strings, valid until
 * the callback returns. text and attempts are set by store_outbox_due()
 * only (else NULL and 0). */
struct store_outbox_row {
    int64_t id;
    const char *channel;
    const char *contact_key;
    const char *text;
    int attempts;
};
/* Called for each row; a non-zero return stops the walk and is returned.
 * It must not write to the store: collect, then write. */
typedef int (*store_outbox_row_fn)(void *arg,
                                   const struct store_outbox_row *row);
/* Called with a contact key (a copy the callback may keep until it
 * returns); it may write. Non-zero stops and is returned. */
typedef int (*store_outbox_key_fn)(void *arg, const char *contact_key);

/* Moves row id from status from to to, adding attempts_delta to its
 * attempts and setting next_attempt_at (when next_at >= 0) and
 * external_id (when not NULL). Returns the number of rows changed (0 or
 * 1) or SK_EIO (logged). */
int store_outbox_move(struct store_tx *tx, int64_t id, const char *from,
                      const char *to, int attempts_delta, int64_t next_at,
                      const char *external_id, int64_t now_ms);

/* Whether row id was queued before its contact said STOP: the contact is
 * opted out and a later row (the STOP confirmation) follows it. 1 yes, 0
 * no, SK_EIO. */
int store_outbox_stopped_since(struct store_tx *tx, int64_t id);

/* fn for each row in status 'sending' (id, channel, contact_key). */
int store_outbox_sending(struct store_tx *tx, store_outbox_row_fn fn,
                         void *arg);

/* fn for at most limit queued rows due at now_ms (next_attempt_at <=
 * now_ms) of the channels named in channels[0..n_channels), oldest due
 * first, and never a row while an earlier row of the same contact and
 * channel is queued or sending. Rows of other channels are left alone.
 * SK_EINVAL past STORE_OUTBOX_MAX_CHANNELS; SK_ENOMEM; SK_EIO. */
int store_outbox_due(struct store_tx *tx, int64_t now_ms, int limit,
                     const char *const *channels, size_t n_channels,
                     store_outbox_row_fn fn, void *arg);

/* A delivery report for the row of channel with external_id (a row
 * written back as sent), or, when external_id is NULL, with row id id (a
 * report may overtake the write-back): it becomes 'delivered' or
 * 'failed'. A failed row may still become delivered. When rows changed,
 * fn is called with the contact key of each and 1 is returned; 0 when the
 * row is known but nothing changed (a repeated or late report);
 * SK_ENOENT for no such row; SK_EINVAL for an empty id; SK_EIO. */
int store_outbox_report(struct store_tx *tx, const char *channel,
                        const char *external_id, int64_t id, bool delivered,
                        int64_t now_ms, store_outbox_key_fn fn, void *arg);

/* The contact's queued rows become 'failed' (never sent), *n how many. */
int store_outbox_cancel_queued(struct store_tx *tx, const char *contact_key,
                               int64_t now_ms, int *n);

/* Messages sent or queued to contact_key since since_ms: the replies
 * recorded with its inbound rows and its outbox rows not cancelled before
 * an attempt. */
int store_caps_count_since(struct store_tx *tx, const char *contact_key,
                           int64_t since_ms, int64_t *n);

/* --- reading answers for exports (store_export.c) ----------------------- */

/*
 * A read-only connection of its own, for an export beside a serving
 * gateway: one snapshot (a read transaction in WAL mode, which never
 * blocks the writer nor waits for it) from store_reader_open() to
 * store_reader_close(). Needs a database migrated to this build's schema
 * (store_open_shared() does that). One thread at a time.
 */
struct store_reader;
struct store_reader *store_reader_open(const char *path, char err[SK_ERR_LEN]);
void store_reader_close(struct store_reader *r); /* NULL is a no-op */

/* Which answers: flow (a flow's name or UUID; NULL for every flow) and
 * since_ms (created at or after; 0 for all). */
struct store_export_filter {
    const char *flow;
    int64_t since_ms;
};

/* One answer as store_export_rows() hands it over: borrowed strings,
 * valid until the callback returns; NULL where nothing was stored. */
struct store_export_row {
    int64_t id;
    const char *contact_key;
    const char *flow_uuid, *flow_name;
    int64_t flow_revision; /* 0 unknown */
    const char *name, *value, *category, *input;
    int64_t created_at; /* unix ms */
    const char *language, *channel_type;
};
/* fn for each answer, by flow name, then time; a non-zero return stops
 * the walk and is returned. 0 or SK_EIO (err says why). */
int store_export_rows(struct store_reader *r,
                      const struct store_export_filter *f,
                      int (*fn)(void *arg, const struct store_export_row *row),
                      void *arg, char err[SK_ERR_LEN]);

/* One count of store_export_counts(): borrowed strings ("" for none). */
struct store_export_count {
    const char *flow_name, *result, *category, *group;
    int64_t n;
};
/*
 * Counts children per flow, result and category, each child's latest
 * answer to a result counted once; with by (a result name), broken down
 * by the category the same child's latest answer to result by in the
 * same flow has ("" when none). By flow, result, category, group. fn as
 * above.
 */
int store_export_counts(struct store_reader *r,
                        const struct store_export_filter *f, const char *by,
                        int (*fn)(void *arg,
                                  const struct store_export_count *count),
                        void *arg, char err[SK_ERR_LEN]);
/* --- the afterword (store_afterword.c, for afterword.c) ----------------- */

/* When the contact was last sent the afterword (the kind reply after its
 * survey has ended) into *at_ms, 0 when never; SK_ENOENT when there is no
 * such contact, SK_EIO (logged). */
int store_afterword_get(struct store_tx *tx, const char *contact_key,
                        int64_t *at_ms);
/* Notes that the contact was sent the afterword at at_ms: 0, SK_ENOENT
 * (no such contact) or SK_EIO (logged). */
int store_afterword_put(struct store_tx *tx, const char *contact_key,
                        int64_t at_ms);

/* --- backup, restore and the erasure log (store_backup.c) ------------- */

/* The schema version this build migrates to (a restored database must
 * not be newer). */
int store_schema_latest(void);

/* The erasure log's name for contact_key: the hex SHA-256 of the key
 * (store_purge.c), so the log never holds an erased child's key. "" when
 * the digest fails. */
void store_erasure_hash(const char *contact_key, char out[STORE_KEY_MAX]);

/*
 * Copies the database at path into a new file dest (which must not
 * exist) with sqlite's online backup API, a few pages at a time, on a
 * connection of its own: it works beside a serving gateway (in WAL mode
 * the copy never blocks the writer) and the copy is one consistent
 * snapshot. Then checks the copy as store_backup_check() does and puts
 * its schema version into *schema. 0 or a negative SK_E* with err.
 */
int store_backup_copy(const char *path, const char *dest, int *schema,
                      char err[SK_ERR_LEN]);

/* Checks the database file at path: PRAGMA integrity_check, and a schema
 * version (into *schema) not newer than store_schema_latest(). Leaves it
 * as one file in rollback-journal mode (no -wal), ready to be renamed
 * into place. SK_EINVAL (err says what) or SK_EIO. */
int store_backup_check(const char *path, int *schema, char err[SK_ERR_LEN]);

/* What a restore replays from the current store's erasure log: erasures
 * (by key hash) and the furthest cut-offs of the purges made since a
 * time. */
struct store_erasures {
    char (*hashes)[STORE_KEY_MAX]; /* n of them, malloc'd */
    size_t n, cap;
    int64_t before_ms;       /* furthest purge cut-off of answers; 0 none */
    int64_t vault_before_ms; /* and of vault entries */
    int64_t purge_at_ms;     /* when the last of those purges ran */
};
/* Reads, from the database at path (read-only; nothing when it has no
 * erasure log yet), the erasures and purges logged at or after since_ms
 * into e (zeroed first; free with store_erasures_clear()). 0, SK_ENOMEM
 * or SK_EIO with err. */
int store_erasures_since(const char *path, int64_t since_ms,
                         struct store_erasures *e, char err[SK_ERR_LEN]);
void store_erasures_clear(struct store_erasures *e);

/* Inside a job on the restored store: erases every contact whose key
 * hash e names (store_contact_erase(), which logs it again) and applies
 * e's purge cut-offs (store_purge()). *erased: how many contacts went. */
int store_erasures_replay(struct store_tx *tx, const struct store_erasures *e,
                          int64_t *erased);

/* The writer's lock of the database at path (the flock()ed
 * "<path>.lock" store_open() holds while `serve` runs): takes it and
 * returns its descriptor (close() releases it), or SK_EBUSY with err
 * naming the pid that holds it, or SK_EIO. */
int store_lock_take(const char *path, char err[SK_ERR_LEN]);

/* --- a call's heard recording (store_voice.c, for voice.c) -------------- */

/* The first answer of contact_key stored with an id above after_id: 0
 * with *id and, when not NULL, *flow_uuid and *name (malloc'd);
 * SK_ENOENT when there is none, SK_ENOMEM, SK_EIO (logged). */
int store_voice_result_after(struct store_tx *tx, const char *contact_key,
                             int64_t after_id, int64_t *id, char **flow_uuid,
                             char **name);
/* The id of the newest answer of contact_key into *id: 0, SK_ENOENT (none:
 * *id 0), SK_EIO (logged). */
int store_voice_last_result(struct store_tx *tx, const char *contact_key,
                            int64_t *id);

#endif
