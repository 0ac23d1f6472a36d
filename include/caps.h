/*
 * caps.h - abuse limits on what the gateway sends, and the SMS cost of
 * flow texts.
 *
 * Caps (besides [limits] max_replies_per_inbound, applied while events are
 * read): a contact gets at most max_replies_per_contact_day messages in
 * any 24 hours (counted from the rows the store keeps: the replies of
 * inbound rows and the outbox rows, so the count survives restarts), and
 * a channel sends at most max_sends_per_channel_minute messages in a
 * calendar minute (counted in memory). A message over a cap is dropped
 * before it reaches the reply or the outbox, and a warning is logged
 * with the contact key's first 8 hex digits only.
 *
 * caps_apply() runs on the store's writer thread only (inside a job);
 * the struct caps it keeps is touched by no other thread. The segment
 * functions are pure and may run on any thread.
 */
#ifndef SK_CAPS_H
#define SK_CAPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gsm.h"
#include "store.h"

struct config;
struct flow_set;
struct caps;

/* The caps a message may be dropped by (metrics labels, see metrics.h). */
enum caps_kind {
    CAPS_PER_INBOUND,    /* "per_inbound" */
    CAPS_CONTACT_DAY,    /* "contact_day" */
    CAPS_CHANNEL_MINUTE, /* "channel_minute" */
    CAPS_COUNT
};

/* The label of a cap in metrics and logs. */
const char *caps_name(enum caps_kind cap);

/* Keeps cfg (borrowed; it must outlive the caps). NULL when out of
 * memory. */
struct caps *caps_new(const struct config *cfg);
void caps_free(struct caps *c); /* NULL is a no-op */

/*
 * Writer thread, inside a job. Drops from texts (a JSON array of strings
 * about to be sent to contact_key on channel ch, the channel's config
 * index) what is over the contact's day cap or the channel's minute cap,
 * counting each dropped message in capped[cap] (added to). A ch out of
 * range takes no minute cap. Returns 0 or a negative SK_E*.
 */
int caps_apply(struct caps *c, struct store_tx *tx, size_t ch,
               const char *contact_key, json_t *texts, int64_t now_ms,
               uint64_t capped[CAPS_COUNT]);

/*
 * caps_apply() that never drops a safeguarding reply: every text when
 * all_safe (the referral after a disclosure, or a step of the referral
 * flow), and any text that names helpline (its digits in a row, spaces,
 * dots and dashes between them allowed; a helpline of fewer than 3 digits
 * or NULL protects nothing). Such texts count towards both caps and use
 * the room first: the ones that can wait are dropped from the end.
 */
int caps_apply_safe(struct caps *c, struct store_tx *tx, size_t ch,
                    const char *contact_key, json_t *texts, int64_t now_ms,
                    bool all_safe, const char *helpline,
                    uint64_t capped[CAPS_COUNT]);

/* Messages sent or queued to contact_key since since_ms (inbound replies
 * and outbox rows not cancelled before an attempt). Inside a job. */
int caps_sent_since(struct store_tx *tx, const char *contact_key,
                    int64_t since_ms, int64_t *n);

/* --- SMS segments of flow texts ------------------------------------------ */

struct caps_segments {
    enum gsm_coding coding;
    size_t chars;    /* characters of the literal text */
    size_t segments; /* SMS parts */
    bool at_least;   /* the text holds expressions: only the literal parts
                      * were counted, the real text may be longer */
};

/*
 * Measures a flow text: expressions ("@results.x", "@(...)") are left out
 * and at_least is set; "@@" counts as one "@". Returns 0, or -1 when the
 * text is not valid UTF-8.
 */
int caps_measure(const char *text, struct caps_segments *out);

/*
 * Reports the send_msg texts of the flows set[first, last) read from
 * path: one line on out per text over max_segments,
 *   `path: flow "name": node UUID: lang: 3 segments (UCS-2, 95 chars)`
 * ("at least 3 segments (GSM-7, 320+ chars)" with expressions), then one
 * summary line `path: N messages, M languages, most segments: K`
 * (then "; X over MAX" when some are).
 * Returns how many texts were over.
 */
size_t caps_report_file(FILE *out, const char *path, const struct flow_set *set,
                        size_t first, size_t last, int max_segments);

/* Logs a warning for each text of the set over max_segments (flow, node,
 * language and size; never the text). Returns how many. */
size_t caps_log_long_texts(const struct flow_set *set, int max_segments);

#endif
