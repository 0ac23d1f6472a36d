/*
 * notify.h - tells the safeguarding lead about alerts: each alert the
 * inbound step records (safeguard.h) is POSTed as JSON to [safeguarding]
 * notify_url, and retried until the receiver accepts it.
 *
 * The body carries no text and no number:
 *   {"alert_id": 7, "contact": "1a2b3c4d", "language": "eng",
 *    "category": "physical_abuse", "time": "2026-01-31T12:00:00Z",
 *    "channel": "demo"}
 * (contact: the first 8 hex digits of the contact key, as the logs and
 * `sikiliza alerts` show it; language may be null). A 2xx answer makes
 * the alert 'notified'. Anything else waits and tries again, with the
 * outbox's backoff ([outbox] backoff_base_ms doubling up to
 * backoff_max_ms, +-20%, at least Retry-After) and no last attempt: an
 * alert is never given up, so a receiver that is down gets it once it is
 * back. An alert is marked 'sending' in a committed transaction before
 * its request; one left 'sending' by a stop or a crash is sent again at
 * the next start (the receiver may see an alert id twice, never none).
 *
 * Loop thread only. Logs show the alert id and the HTTP status, never
 * the URL.
 */
#ifndef SK_NOTIFY_H
#define SK_NOTIFY_H

#include <stdint.h>

#include "err.h"

struct config;
struct event_base;
struct notify;
struct store;

#define NOTIFY_BATCH 8 /* alerts claimed (and sent) at once */

struct notify_opts {         /* a zero field takes the default */
    const char *url;         /* the webhook (copied); required */
    int poll_ms;             /* look for due alerts this often; 500 */
    int64_t backoff_base_ms; /* first retry delay; 5000 */
    int64_t backoff_max_ms;  /* longest retry delay; 3600000 */
    long timeout_ms;         /* one request; 30000 */
};

/* Starts sending on base (the loop store st was opened with). NULL with
 * err on failure. */
struct notify *notify_new(struct event_base *base, struct store *st,
                          const struct notify_opts *opts, char err[SK_ERR_LEN]);

/* The notifier of cfg ([safeguarding] notify_url with [outbox]'s pace),
 * or NULL with err empty when there is no notify_url or safeguarding is
 * off; NULL with err set on failure. */
struct notify *notify_from_config(const struct config *cfg,
                                  struct event_base *base, struct store *st,
                                  char err[SK_ERR_LEN]);

/* Looks for due alerts now (call once an alert has committed). */
void notify_kick(struct notify *n);

/* Stops claiming and sending (alerts in flight stay 'sending' and go
 * again at the next start). NULL and a second call are no-ops. Call it
 * before store_close(). */
void notify_stop(struct notify *n);

/* Stops and frees; call it after store_close() (so no store job of it is
 * left) and before the event base is freed. NULL is a no-op. */
void notify_free(struct notify *n);

/* Alerts the receiver has accepted since notify_new() (for the logs and
 * tests). */
uint64_t notify_delivered(const struct notify *n);

#endif
