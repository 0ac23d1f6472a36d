/*
 * log.c - line logging. Each line is formatted into a stack buffer and
 * written with a single write(2) so lines from threads never interleave.
 * The level, the format and the hold are read without a lock: they are set
 * once at start-up, before threads start (the log's state is the one
 * mutable global of the process).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "calendar.h"
#include "log.h"

#define LOG_LINE     1024
#define HOLD_LINES   128
#define HOLD_MESSAGE 512

struct held {
    int level;
    char area[32];
    char message[HOLD_MESSAGE];
};

static struct {
    int level;
    enum sk_log_format format;
    bool holding;
    size_t n_held;
    struct held held[HOLD_LINES];
} lg = {.level = LOG_INFO, .format = SK_LOG_TEXT};

void
sk_log_set_level(int level)
{
    lg.level = level;
}

void
sk_log_set_format(enum sk_log_format format)
{
    lg.format = format;
}

/* Whether JOURNAL_STREAM ("DEVICE:INODE") names what stderr is. */
static bool
stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;

    if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
        return false;
    if (fstat(STDERR_FILENO, &st) != 0)
        return false;
    return (unsigned long long)st.st_dev == dev &&
           (unsigned long long)st.st_ino == ino;
}

int
sk_log_format_for(const char *name)
{
    if (name == NULL || strcmp(name, "text") == 0)
        return stderr_is_journal() ? SK_LOG_JOURNAL : SK_LOG_TEXT;
    if (strcmp(name, "json") == 0)
        return SK_LOG_JSON;
    return -1;
}

const char *
sk_plural(long long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static const char *
level_name(int level)
{
    switch (level) {
    case LOG_EMERG:
    case LOG_ALERT:
    case LOG_CRIT:
    case LOG_ERR:
        return "error";
    case LOG_WARNING:
        return "warn";
    case LOG_NOTICE:
    case LOG_INFO:
        return "info";
    default:
        return "debug";
    }
}

/* Appends s to line[*n] as the inside of a JSON string, escaped; stops
 * short of cap (never splitting an escape). */
static void
json_put(char *line, size_t cap, size_t *n, const char *s)
{
    static const char hex[] = "0123456789abcdef";

    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[7];
        size_t k = 0;

        if (c == '"' || c == '\\') {
            esc[k++] = '\\';
            esc[k++] = (char)c;
        } else if (c == '\n') {
            esc[k++] = '\\';
            esc[k++] = 'n';
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            k = 6;
        } else {
            esc[k++] = (char)c;
        }
        if (*n + k >= cap)
            return;
        memcpy(line + *n, esc, k);
        *n += k;
    }
}

/* Formats one line (without its newline) of message into line. */
static size_t
format_line(char *line, size_t cap, int level, const char *area,
            const char *message)
{
    char stamp[40];
    struct timespec ts;
    struct calendar_tm tm;
    size_t n = 0;
    int k;

    clock_gettime(CLOCK_REALTIME, &ts);
    calendar_from_epoch((int64_t)ts.tv_sec, &tm);
    snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.y,
             tm.mo, tm.d, tm.h, tm.mi, tm.s, ts.tv_nsec / 1000000L);
    switch (lg.format) {
    case SK_LOG_JSON:
        k = snprintf(line, cap, "{\"time\":\"%s\",\"level\":\"%s\",\"area\":\"",
                     stamp, level_name(level));
        n = k > 0 && (size_t)k < cap ? (size_t)k : 0;
        json_put(line, cap - 2, &n, area);
        if (n + 13 < cap - 2) {
            memcpy(line + n, "\",\"message\":\"", 13);
            n += 13;
        }
        json_put(line, cap - 2, &n, message);
        line[n++] = '"';
        line[n++] = '}';
        return n;
    case SK_LOG_JOURNAL:
        k = snprintf(line, cap, "<%d>%s %s: %s",
                     level < 0   ? 0
                     : level > 7 ? 7
                                 : level,
                     level_name(level), area, message);
        break;
    default:
        k = snprintf(line, cap, "%s %s %s: %s", stamp, level_name(level), area,
                     message);
        break;
    }
    if (k < 0)
        return 0;
    return (size_t)k < cap ? (size_t)k : cap - 1;
}

static void
emit(int level, const char *area, const char *message)
{
    char line[LOG_LINE + 1];
    size_t n = format_line(line, LOG_LINE, level, area, message);

    line[n++] = '\n';
    (void)!write(STDERR_FILENO, line, n);
}

void
sk_log(int level, const char *area, const char *fmt, ...)
{
    char message[LOG_LINE];
    va_list ap;

    if (level > lg.level)
        return;
    va_start(ap, fmt);
    if (vsnprintf(message, sizeof(message), fmt, ap) < 0)
        message[0] = '\0';
    va_end(ap);
    if (lg.holding) {
        if (lg.n_held < HOLD_LINES) {
            struct held *h = &lg.held[lg.n_held++];

            h->level = level;
            snprintf(h->area, sizeof(h->area), "%s", area);
            snprintf(h->message, sizeof(h->message), "%s", message);
        }
        return;
    }
    emit(level, area, message);
}

void
sk_log_hold(void)
{
    lg.holding = true;
}

size_t
sk_log_drain(void (*fn)(void *arg, int level, const char *area,
                        const char *message),
             void *arg)
{
    size_t i, n = lg.n_held;

    lg.holding = false;
    for (i = 0; i < n; i++)
        fn(arg, lg.held[i].level, lg.held[i].area, lg.held[i].message);
    lg.n_held = 0;
    return n;
}

static void
release_one(void *arg, int level, const char *area, const char *message)
{
    (void)arg;
    emit(level, area, message);
}

void
sk_log_release(void)
{
    sk_log_drain(release_one, NULL);
}
