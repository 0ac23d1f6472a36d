/*
 * log.h - one line per event on stderr, written with one write(2), so any
 * thread may log. Lines carry no phone number, message text, transcript or
 * secret: a contact appears only as the first 8 hex digits of its key.
 *
 * Three line formats: text (TIME LEVEL AREA: MESSAGE), json (one object
 * per line with time, level, area and message), and journal: text without
 * the time (journald adds its own) behind a syslog "<N>" priority, the
 * default for text when stderr is the journal (JOURNAL_STREAM).
 *
 * Levels: error (something failed that an operator must fix or that lost
 * work), warn (something is off and may need a look: a refused request, a
 * retry, a setting with no effect), info (what the gateway does: start,
 * stop, each inbound message), debug (details for developers; off unless
 * asked for).
 *
 * The settings and the hold are the log's own state: set them on the main
 * thread before any other thread starts.
 */
#ifndef SK_LOG_H
#define SK_LOG_H

#include <stddef.h>
#include <syslog.h> /* LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG */

enum sk_log_format {
    SK_LOG_TEXT,    /* 2026-01-02T03:04:05.678Z warn serve: ... */
    SK_LOG_JSON,    /* {"time":"...","level":"warn","area":...} */
    SK_LOG_JOURNAL, /* <4>warn serve: ... */
};

/* Sets the lowest level printed (default LOG_INFO). Call before threads. */
void sk_log_set_level(int level);

/* Sets the line format (default SK_LOG_TEXT). Call before threads. */
void sk_log_set_format(enum sk_log_format format);

/* The format [server] log_format names ("text" or "json"; NULL is text):
 * text becomes SK_LOG_JOURNAL when stderr is the journal (JOURNAL_STREAM
 * names stderr's device and inode). -1 for any other name. */
int sk_log_format_for(const char *name);

/* sk_log(LOG_WARNING, "store", "commit failed rc=%d", rc) */
void sk_log(int level, const char *area, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Start-up checks print their fatal problems first: between sk_log_hold()
 * and sk_log_release() lines are kept (at most 128, each cut at 512
 * bytes) instead of written; release writes them in order. sk_log_drain()
 * instead hands each to fn and forgets them. Main thread, before threads.
 */
void sk_log_hold(void);
void sk_log_release(void);
size_t sk_log_drain(void (*fn)(void *arg, int level, const char *area,
                               const char *message),
                    void *arg);

/* one when n is 1, else many: "%zu %s", n, sk_plural(n, "flow", "flows") */
const char *sk_plural(long long n, const char *one, const char *many);

#endif
