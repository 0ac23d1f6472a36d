/*
 * admin.h - the admin API: a second HTTP listener (http.c) on [server]
 * admin_listen, for analysts and the safeguarding lead, with limits of its
 * own (its own connection cap, small bodies, a bound on the store jobs it
 * has in flight), so it never takes the providers' capacity.
 *
 * Every request needs "Authorization: Bearer TOKEN", the token read at
 * start from [server] admin_token_file (a regular file of mode 0600 or
 * stricter, at least ADMIN_TOKEN_MIN characters). A missing or wrong
 * token gets 401 with "WWW-Authenticate: Bearer" and an empty body; a
 * peer with too many failures in a minute gets 429 until the minute is
 * over. The token is compared in constant time and never logged.
 *
 * Routes (GET, JSON unless said otherwise):
 *   /api/flows     name, uuid, type, revision, languages, node count,
 *                  the keywords that trigger it
 *   /api/results/summary?flow=NAME[&by=RESULT][&since=DATE]
 *                  children per result and category ([privacy] min_cell
 *                  suppression, secondary suppression: suppress.h); a
 *                  hidden count is null
 *   /api/export?format=csv|jsonl[&flow=NAME][&since=DATE]
 *                  the export of `sikiliza export` (a fresh pseudonym key
 *                  each time), sent in chunks as the client reads it
 *   /api/alerts    safeguarding alerts as `sikiliza alerts` lists them
 *   /api/audit     the audit log, oldest first (?since=MS, at most 1000)
 * Every answered call writes an audit row first (actor "admin:" and the
 * first 8 hex digits of the token's SHA-256, action the route, subject
 * the flow or format); a call that cannot be audited is refused (503).
 *
 * Threads: admin_start(), admin_stop_intake() and admin_free() on the loop
 * thread; request callbacks run there too. The audit row and the small
 * reads go to the writer thread with store_submit() and are answered from
 * the done callback, so the loop never waits on sqlite. Summaries and
 * exports (at most two at a time) then run on a thread of their own that
 * reads one snapshot through store_reader_open(), never holding the
 * writer; an export is written (export.h) into a private directory beside
 * the store, streamed from there and removed. The token helpers are pure:
 * any thread.
 */
#ifndef SK_ADMIN_H
#define SK_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct config;
struct event_base;
struct flow_set;
struct store;
struct admin;

#define ADMIN_TOKEN_MIN 32  /* characters */
#define ADMIN_TOKEN_MAX 512 /* characters */
#define ADMIN_ACTOR_LEN 15  /* "admin:" + 8 hex digits + NUL */

/* What the admin API runs with; borrowed, must outlive it. */
struct admin_deps {
    const struct config *cfg;
    const struct flow_set *flows;
    struct store *store;
    struct event_base *base;
    int *pending;               /* the app's count of store jobs in flight */
    void (*settled)(void *arg); /* called after each job of ours ends */
    void *settled_arg;
};

/*
 * Reads the token at start and listens on cfg->admin_listen. NULL with
 * err set when the token file is missing, too open, too short, or the
 * address cannot be bound.
 */
struct admin *admin_start(const struct admin_deps *d, char err[SK_ERR_LEN]);

/* Stops accepting connections (shutdown); open ones are still answered. */
void admin_stop_intake(struct admin *a);
/* Frees the listener. Call after the store has run every done callback.
 * NULL is a no-op. */
void admin_free(struct admin *a);

/* The port listened on (useful with port 0), or -1. */
int admin_port(const struct admin *a);

/*
 * Reads the token from path into out (cap bytes, NUL-terminated; one
 * trailing line end is dropped). 0, or SK_EINVAL with err set when the
 * file is missing, not a regular file, readable or writable by group or
 * others, shorter than ADMIN_TOKEN_MIN or longer than ADMIN_TOKEN_MAX, or
 * holds a control character or a space.
 */
int admin_token_load(const char *path, char *out, size_t cap,
                     char err[SK_ERR_LEN]);

/* Whether got equals want, in time that depends on neither's content nor
 * on want's length (both are hashed, the digests compared with
 * CRYPTO_memcmp). got may be NULL (false). */
bool admin_token_equal(const char *want, const char *got, size_t got_len);

/* "admin:" and the first 8 hex digits of SHA-256(token). */
void admin_token_actor(const char *token, char out[ADMIN_ACTOR_LEN]);

#endif
