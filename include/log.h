/*
 * log.h - one line per event on stderr, written with one write(2), so any
 * thread may log. Lines carry no phone number, message text, transcript or
 * secret: a contact appears only as the first 8 hex digits of its key.
 */
#ifndef SK_LOG_H
#define SK_LOG_H

#include <syslog.h> /* LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG */

/* Sets the lowest level printed (default LOG_INFO). Call before threads. */
void sk_log_set_level(int level);

/* sk_log(LOG_WARNING, "store", "commit failed rc=%d", rc) */
void sk_log(int level, const char *area, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
