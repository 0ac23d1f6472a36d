/*
 * outbox.h - delivers the messages that are not synchronous replies
 * (what flows send when a wait times out or a session expires), for the
 * channels that can send on their own: today the generic channel with a
 * `send_url`, which gets {"to","text","id"} POSTed as JSON.
 *
 * A claim job on the store's writer thread picks due rows, opens each
 * contact's reply address from the vault and marks the rows "sending";
 * the POSTs run through libcurl's multi-socket API on the event loop; a
 * result job marks each row sent, or queued again with a backoff, or
 * failed after the last attempt. Rows left "sending" by a crash are
 * queued again at start. Loop thread only.
 */
#ifndef SK_OUTBOX_H
#define SK_OUTBOX_H

#include "err.h"

struct sk_app;
struct outbox;

/* NULL with err empty when no channel can send (nothing to do), or with
 * err set on failure. */
struct outbox *outbox_new(struct sk_app *app, char err[SK_ERR_LEN]);
/* Claims due rows if none are being claimed; call it every second. */
void outbox_kick(struct outbox *ob);
/* Stops claiming and drops transfers in flight (their rows are queued
 * again at the next start). */
void outbox_stop(struct outbox *ob);
void outbox_free(struct outbox *ob); /* NULL is a no-op */

#endif
