/*
 * sk-phone - the phones of the end-to-end tests, on Kannel's fake SMSC.
 *
 * Kannel's bearerbox, with an `smsc = fake` group, listens on a TCP port
 * and exchanges one line per message with whoever connects (Kannel's own
 * test/fakesmsc does; so does this tool):
 *
 *     SENDER RECEIVER text TEXT                   7-bit text, as is
 *     SENDER RECEIVER ucs2 URLENCODED-UTF16BE     UCS-2, phone to Kannel
 *     SENDER RECEIVER ucs-2 URLENCODED-UTF16BE    UCS-2, Kannel to phone
 *     SENDER RECEIVER data URLENCODED-BYTES       8-bit
 *     SENDER RECEIVER udh URLENC-UDH data URLENC-BYTES    a part of a
 *                                                 concatenated message
 *
 * Usage: sk-phone -p PORT [-H HOST] [-c SECS] [-d SECS] [-n COUNT]
 *
 * It reads messages to send from stdin, one per line, `FROM TO TEXT` in
 * UTF-8, and picks `text` when TEXT is GSM-7, `ucs2` otherwise. Every
 * message Kannel delivers to a phone is printed on stdout as `FROM TO TEXT`
 * in UTF-8, one line each, flushed at once. In TEXT, on both sides, a
 * backslash escapes: \n newline, \r, \t, \\ and \xHH; stdout uses the same
 * escapes for every control character.
 *
 * How Kannel's lines are read: only whole lines are parsed. A `text` line
 * is held back for a moment, because Kannel writes a text's newline as is
 * and the next line may be its continuation (a line whose third word is
 * not a message type). Parts of a concatenated message (a concatenation
 * element in the UDH) are collected and printed once complete. An 8-bit
 * `data` line does not say whether its bytes are GSM-7 text (Kannel keeps
 * those as UTF-8) or UCS-2: valid UTF-8 without control characters is
 * taken as text, anything else as UTF-16BE.
 *
 * Connection: when bearerbox closes the link or is not there yet, sk-phone
 * reconnects every 100 ms for up to -c seconds (default 30) of continuous
 * failure, then gives up (exit 3). Lines from stdin wait meanwhile in a
 * bounded queue. After EOF on stdin it keeps printing for -d seconds
 * (default 3), or until -n messages in all have been printed, and exits 0
 * (1 if -n was given and not reached). Bad input lines are reported on
 * stderr, skipped, and make the exit status 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>
#include <utf8proc.h>

#include "gsm.h"
#include "hex.h"

#define MAX_LINE      (64 * 1024)   /* one line from Kannel or stdin */
#define MAX_QUEUE     (1024 * 1024) /* stdin lines waiting to be sent */
#define MAX_CONCAT    16            /* concatenated messages in progress */
#define RETRY_MS      100           /* between connection attempts */
#define HOLD_MS       200           /* a text line waits for continuations */
#define WRITE_TIMEOUT 10            /* seconds a write may stall */

struct concat {
    char *from, *to;
    unsigned ref, total, got;
    unsigned char **data; /* [total] parts, NULL until received */
    size_t *len;
    unsigned long age;
};

struct phone {
    struct event_base *base;
    struct sockaddr_in addr;
    double connect_secs, drain_secs;
    long want; /* -n, or -1 */
    long printed;
    int rc;

    struct bufferevent *net; /* NULL while disconnected */
    bool connected;
    struct timespec down_since;
    struct event *retry_ev;

    struct bufferevent *in; /* stdin; NULL after EOF */
    bool in_eof;
    struct evbuffer *queue; /* lines for Kannel while disconnected */
    struct event *drain_ev;

    /* The last `text` message, held for continuation lines. */
    bool held;
    char *held_from, *held_to;
    struct evbuffer *held_text;
    struct event *hold_ev;

    struct concat concat[MAX_CONCAT];
    unsigned long concat_clock;
};

static void net_connect(struct phone *ph);

static double
now_secs(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct timeval
tv_ms(long ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

    return tv;
}

static void
finish(struct phone *ph)
{
    event_base_loopexit(ph->base, NULL);
}

/* --- output ------------------------------------------------------------ */

/* Appends UTF-8 text with control characters and backslashes escaped. */
static void
escape_into(struct evbuffer *out, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];

        if (c == '\\')
            evbuffer_add(out, "\\\\", 2);
        else if (c == '\n')
            evbuffer_add(out, "\\n", 2);
        else if (c == '\r')
            evbuffer_add(out, "\\r", 2);
        else if (c == '\t')
            evbuffer_add(out, "\\t", 2);
        else if (c < 0x20 || c == 0x7f)
            evbuffer_add_printf(out, "\\x%02x", c);
        else
            evbuffer_add(out, &c, 1);
    }
}

static void
check_done(struct phone *ph)
{
    if (ph->in_eof && ph->want >= 0 && ph->printed >= ph->want)
        finish(ph);
}

/* Prints one received message as FROM TO TEXT. */
static void
emit(struct phone *ph, const char *from, const char *to,
     const unsigned char *text, size_t n)
{
    struct evbuffer *out = evbuffer_new();

    if (out == NULL) {
        fprintf(stderr, "sk-phone: out of memory\n");
        exit(3);
    }
    evbuffer_add_printf(out, "%s %s ", from, to);
    escape_into(out, text, n);
    evbuffer_add(out, "\n", 1);
    fwrite(evbuffer_pullup(out, -1), 1, evbuffer_get_length(out), stdout);
    fflush(stdout);
    evbuffer_free(out);
    ph->printed++;
    check_done(ph);
}

/* --- decoding ---------------------------------------------------------- */

/* Kannel's URL decoding, in place: %XX is a byte, + a space. */
static size_t
url_decode(char *s)
{
    size_t o = 0;

    for (size_t i = 0; s[i] != '\0'; i++) {
        if (s[i] == '%' && sk_hex_value(s[i + 1]) >= 0 &&
            sk_hex_value(s[i + 2]) >= 0) {
            s[o++] =
                (char)(sk_hex_value(s[i + 1]) * 16 + sk_hex_value(s[i + 2]));
            i += 2;
        } else if (s[i] == '+') {
            s[o++] = ' ';
        } else {
            s[o++] = s[i];
        }
    }
    s[o] = '\0';
    return o;
}

static void
put_utf8(struct evbuffer *out, uint32_t cp)
{
    utf8proc_uint8_t b[4];
    utf8proc_ssize_t n = utf8proc_encode_char((utf8proc_int32_t)cp, b);

    evbuffer_add(out, b, (size_t)n);
}

/* UTF-16BE to UTF-8; broken surrogates become U+FFFD. */
static void
utf16be_to_utf8(struct evbuffer *out, const unsigned char *d, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2) {
        uint32_t u = (uint32_t)d[i] << 8 | d[i + 1];

        if (u >= 0xD800 && u <= 0xDBFF && i + 3 < n) {
            uint32_t lo = (uint32_t)d[i + 2] << 8 | d[i + 3];

            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                put_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
                i += 2;
                continue;
            }
        }
        put_utf8(out, (u >= 0xD800 && u <= 0xDFFF) ? 0xFFFD : u);
    }
}

/* Whether bytes are UTF-8 text without control characters but \n \r \t. */
static bool
looks_like_text(const unsigned char *d, size_t n)
{
    utf8proc_ssize_t left = (utf8proc_ssize_t)n;

    while (left > 0) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(d, left, &cp);

        if (k <= 0)
            return false;
        if (cp < 0x20 && cp != '\n' && cp != '\r' && cp != '\t')
            return false;
        d += k;
        left -= k;
    }
    return true;
}

/* Prints 8-bit data of unknown coding (see the comment at the top). */
static void
emit_guess(struct phone *ph, const char *from, const char *to,
           const unsigned char *d, size_t n)
{
    struct evbuffer *text;

    if (looks_like_text(d, n)) {
        emit(ph, from, to, d, n);
        return;
    }
    text = evbuffer_new();
    if (text == NULL) {
        fprintf(stderr, "sk-phone: out of memory\n");
        exit(3);
    }
    utf16be_to_utf8(text, d, n);
    emit(ph, from, to, evbuffer_pullup(text, -1), evbuffer_get_length(text));
    evbuffer_free(text);
}

/* --- the held text line ------------------------------------------------ */

static void
held_flush(struct phone *ph)
{
    if (!ph->held)
        return;
    ph->held = false;
    evtimer_del(ph->hold_ev);
    emit(ph, ph->held_from, ph->held_to, evbuffer_pullup(ph->held_text, -1),
         evbuffer_get_length(ph->held_text));
    free(ph->held_from);
    free(ph->held_to);
    ph->held_from = ph->held_to = NULL;
    evbuffer_drain(ph->held_text, evbuffer_get_length(ph->held_text));
}

static void
hold_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    held_flush(arg);
}

static void
held_set(struct phone *ph, const char *from, const char *to, const char *text)
{
    struct timeval tv = tv_ms(HOLD_MS);

    ph->held_from = strdup(from);
    ph->held_to = strdup(to);
    if (ph->held_from == NULL || ph->held_to == NULL) {
        fprintf(stderr, "sk-phone: out of memory\n");
        exit(3);
    }
    evbuffer_add(ph->held_text, text, strlen(text));
    ph->held = true;
    evtimer_add(ph->hold_ev, &tv);
}

/* --- concatenated messages --------------------------------------------- */

static void
concat_free(struct concat *c)
{
    for (unsigned i = 0; c->data != NULL && i < c->total; i++)
        free(c->data[i]);
    free(c->data);
    free(c->len);
    free(c->from);
    free(c->to);
    memset(c, 0, sizeof(*c));
}

/*
 * Finds the concatenation element in a UDH: returns 0 and fills ref,
 * total and seq (1-based), or -1 when there is none.
 */
static int
udh_concat(const unsigned char *u, size_t n, unsigned *ref, unsigned *total,
           unsigned *seq)
{
    size_t end, i = 1;

    if (n < 1 || (size_t)u[0] + 1 > n)
        return -1;
    end = (size_t)u[0] + 1;
    while (i + 2 <= end) {
        unsigned iei = u[i], len = u[i + 1];

        if (i + 2 + len > end)
            return -1;
        if (iei == 0x00 && len == 3) {
            *ref = u[i + 2];
            *total = u[i + 3];
            *seq = u[i + 4];
            return 0;
        }
        if (iei == 0x08 && len == 4) {
            *ref = (unsigned)u[i + 2] << 8 | u[i + 3];
            *total = u[i + 4];
            *seq = u[i + 5];
            return 0;
        }
        i += 2 + len;
    }
    return -1;
}

static void
concat_add(struct phone *ph, const char *from, const char *to,
           const unsigned char *udh, size_t udh_len, const unsigned char *d,
           size_t n)
{
    unsigned ref, total, seq;
    struct concat *c = NULL, *oldest = &ph->concat[0];
    struct evbuffer *all;

    if (udh_concat(udh, udh_len, &ref, &total, &seq) != 0 || total < 1 ||
        seq < 1 || seq > total) {
        emit_guess(ph, from, to, d, n); /* a UDH, but not one part of many */
        return;
    }
    for (int i = 0; i < MAX_CONCAT && c == NULL; i++) {
        struct concat *k = &ph->concat[i];

        if (k->data != NULL && k->ref == ref && k->total == total &&
            strcmp(k->from, from) == 0 && strcmp(k->to, to) == 0)
            c = k;
    }
    for (int i = 0; i < MAX_CONCAT && c == NULL; i++) {
        if (ph->concat[i].data == NULL)
            c = &ph->concat[i];
        else if (ph->concat[i].age < oldest->age)
            oldest = &ph->concat[i];
    }
    if (c == NULL) {
        fprintf(stderr, "sk-phone: too many unfinished concatenated "
                        "messages; dropping the oldest\n");
        concat_free(oldest);
        ph->rc = 1;
        c = oldest;
    }
    if (c->data == NULL) {
        c->from = strdup(from);
        c->to = strdup(to);
        c->data = calloc(total, sizeof(*c->data));
        c->len = calloc(total, sizeof(*c->len));
        if (!c->from || !c->to || !c->data || !c->len) {
            fprintf(stderr, "sk-phone: out of memory\n");
            exit(3);
        }
        c->ref = ref;
        c->total = total;
    }
    c->age = ++ph->concat_clock;
    if (c->data[seq - 1] == NULL) {
        c->data[seq - 1] = malloc(n + 1);
        if (c->data[seq - 1] == NULL) {
            fprintf(stderr, "sk-phone: out of memory\n");
            exit(3);
        }
        memcpy(c->data[seq - 1], d, n);
        c->len[seq - 1] = n;
        c->got++;
    }
    if (c->got < c->total)
        return;
    all = evbuffer_new();
    if (all == NULL) {
        fprintf(stderr, "sk-phone: out of memory\n");
        exit(3);
    }
    for (unsigned i = 0; i < c->total; i++)
        evbuffer_add(all, c->data[i], c->len[i]);
    emit_guess(ph, c->from, c->to, evbuffer_pullup(all, -1),
               evbuffer_get_length(all));
    evbuffer_free(all);
    concat_free(c);
}

/* --- lines from Kannel ------------------------------------------------- */

static bool
known_type(const char *t)
{
    static const char *const types[] = {
        "text", "data", "ucs-2", "ucs2", "utf8", "udh", "udh-data", "udh-text",
    };

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(t, types[i]) == 0)
            return true;
    return false;
}

/* Handles one whole line from Kannel (line is modified). */
static void
kannel_line(struct phone *ph, char *line)
{
    char *from = line, *to, *type, *rest, *sp;
    size_t n;

    to = strchr(from, ' ');
    type = to ? strchr(to + 1, ' ') : NULL;
    rest = type ? strchr(type + 1, ' ') : NULL;
    if (rest != NULL) {
        *to++ = '\0';
        *type++ = '\0';
        *rest++ = '\0';
    }
    if (rest == NULL || !known_type(type)) {
        if (rest != NULL) { /* undo the cuts: the line is text */
            to[-1] = ' ';
            type[-1] = ' ';
            rest[-1] = ' ';
        }
        if (ph->held) {
            struct timeval tv = tv_ms(HOLD_MS);

            evbuffer_add(ph->held_text, "\n", 1);
            evbuffer_add(ph->held_text, line, strlen(line));
            evtimer_add(ph->hold_ev, &tv);
        } else {
            fprintf(stderr, "sk-phone: unparseable line from Kannel\n");
            ph->rc = 1;
        }
        return;
    }
    held_flush(ph);
    if (strcmp(type, "text") == 0 || strcmp(type, "udh-text") == 0) {
        if (strcmp(type, "udh-text") == 0 && (sp = strchr(rest, ' ')))
            rest = sp + 1;
        held_set(ph, from, to, rest);
    } else if (strcmp(type, "ucs-2") == 0 || strcmp(type, "ucs2") == 0) {
        struct evbuffer *text = evbuffer_new();

        if (text == NULL) {
            fprintf(stderr, "sk-phone: out of memory\n");
            exit(3);
        }
        n = url_decode(rest);
        utf16be_to_utf8(text, (unsigned char *)rest, n);
        emit(ph, from, to, evbuffer_pullup(text, -1),
             evbuffer_get_length(text));
        evbuffer_free(text);
    } else if (strcmp(type, "data") == 0 || strcmp(type, "utf8") == 0) {
        n = url_decode(rest);
        emit_guess(ph, from, to, (unsigned char *)rest, n);
    } else { /* udh, udh-data: UDH [data] DATA */
        char *udh = rest, *d = strchr(rest, ' ');
        size_t udh_len;

        if (d == NULL) {
            fprintf(stderr, "sk-phone: udh line without data\n");
            ph->rc = 1;
            return;
        }
        *d++ = '\0';
        if (strncmp(d, "data ", 5) == 0)
            d += 5;
        udh_len = url_decode(udh);
        n = url_decode(d);
        concat_add(ph, from, to, (unsigned char *)udh, udh_len,
                   (unsigned char *)d, n);
    }
}

/* --- the link to bearerbox --------------------------------------------- */

static void
net_down(struct phone *ph)
{
    struct timeval tv = tv_ms(RETRY_MS);

    if (ph->net != NULL)
        bufferevent_free(ph->net);
    ph->net = NULL;
    if (ph->connected) {
        clock_gettime(CLOCK_MONOTONIC, &ph->down_since);
        fprintf(stderr, "sk-phone: connection to Kannel lost; retrying\n");
    }
    ph->connected = false;
    held_flush(ph);
    if (now_secs() - ((double)ph->down_since.tv_sec +
                      (double)ph->down_since.tv_nsec / 1e9) >
        ph->connect_secs) {
        fprintf(stderr, "sk-phone: no connection to Kannel for %.0f s\n",
                ph->connect_secs);
        ph->rc = 3;
        finish(ph);
        return;
    }
    evtimer_add(ph->retry_ev, &tv);
}

static void
net_read_cb(struct bufferevent *bev, void *arg)
{
    struct phone *ph = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    char *line;
    size_t n;

    while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) != NULL) {
        kannel_line(ph, line);
        free(line);
    }
    if (evbuffer_get_length(in) > MAX_LINE) {
        fprintf(stderr, "sk-phone: line from Kannel longer than %d bytes\n",
                MAX_LINE);
        ph->rc = 1;
        net_down(ph);
    }
}

static void
net_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct phone *ph = arg;

    (void)bev;
    if (what & BEV_EVENT_CONNECTED) {
        ph->connected = true;
        bufferevent_enable(ph->net, EV_READ | EV_WRITE);
        /* Queued lines go out first, in order. */
        bufferevent_write_buffer(ph->net, ph->queue);
        return;
    }
    /* EOF, ERROR or TIMEOUT: the link is gone either way. */
    net_down(ph);
}

static void
net_connect(struct phone *ph)
{
    struct timeval wt = {WRITE_TIMEOUT, 0};

    ph->net = bufferevent_socket_new(ph->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (ph->net == NULL) {
        fprintf(stderr, "sk-phone: out of memory\n");
        exit(3);
    }
    bufferevent_setcb(ph->net, net_read_cb, NULL, net_event_cb, ph);
    /* No read timeout: a phone may wait long for its next message. A write
       (and the connect) that stalls means Kannel is gone. */
    bufferevent_set_timeouts(ph->net, NULL, &wt);
    if (bufferevent_socket_connect(ph->net, (struct sockaddr *)&ph->addr,
                                   sizeof(ph->addr)) != 0)
        net_down(ph);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    net_connect(arg);
}

/* --- lines from stdin -------------------------------------------------- */

/* Decodes the escapes of an input TEXT in place. Returns -1 on a bad one. */
static int
unescape(char *s)
{
    size_t o = 0;

    for (size_t i = 0; s[i] != '\0'; i++) {
        if (s[i] != '\\') {
            s[o++] = s[i];
            continue;
        }
        switch (s[++i]) {
        case 'n':
            s[o++] = '\n';
            break;
        case 'r':
            s[o++] = '\r';
            break;
        case 't':
            s[o++] = '\t';
            break;
        case '\\':
            s[o++] = '\\';
            break;
        case 'x':
            if (sk_hex_value(s[i + 1]) < 0 || sk_hex_value(s[i + 2]) < 0)
                return -1;
            s[o++] =
                (char)(sk_hex_value(s[i + 1]) * 16 + sk_hex_value(s[i + 2]));
            i += 2;
            break;
        default:
            return -1;
        }
    }
    s[o] = '\0';
    return 0;
}

static bool
has_control(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* Turns one stdin line into a fake-SMSC line and sends or queues it. */
static void
stdin_line(struct phone *ph, char *line)
{
    char *from = line, *to, *text;
    struct evbuffer *out;

    to = strchr(from, ' ');
    text = to ? strchr(to + 1, ' ') : NULL;
    if (text == NULL || to == from || text == to + 1) {
        fprintf(stderr, "sk-phone: input is not FROM TO TEXT: skipped\n");
        ph->rc = 1;
        return;
    }
    *to++ = '\0';
    *text++ = '\0';
    if (unescape(text) != 0) {
        fprintf(stderr, "sk-phone: bad escape in input: skipped\n");
        ph->rc = 1;
        return;
    }
    out = ph->connected ? bufferevent_get_output(ph->net) : ph->queue;
    if (!has_control(text) && gsm_is_gsm7(text)) {
        evbuffer_add_printf(out, "%s %s text %s\n", from, to, text);
    } else {
        size_t n;
        unsigned char *u = gsm_utf16be(text, &n);

        if (u == NULL) {
            fprintf(stderr, "sk-phone: input is not UTF-8: skipped\n");
            ph->rc = 1;
            return;
        }
        evbuffer_add_printf(out, "%s %s ucs2 ", from, to);
        for (size_t i = 0; i < n; i++)
            evbuffer_add_printf(out, "%%%02X", u[i]);
        evbuffer_add(out, "\n", 1);
        free(u);
    }
    if (evbuffer_get_length(ph->queue) > MAX_QUEUE) {
        fprintf(stderr, "sk-phone: more than %d bytes queued for Kannel\n",
                MAX_QUEUE);
        ph->rc = 3;
        finish(ph);
    }
}

static void
drain_cb(evutil_socket_t fd, short what, void *arg)
{
    struct phone *ph = arg;

    (void)fd;
    (void)what;
    held_flush(ph);
    finish(ph);
}

static void
stdin_done(struct phone *ph)
{
    double secs = ph->drain_secs;
    struct timeval tv = {(time_t)secs,
                         (suseconds_t)((secs - (double)(time_t)secs) * 1e6)};

    ph->in_eof = true;
    evtimer_add(ph->drain_ev, &tv);
    check_done(ph);
}

/* Splits whole lines off buf; a last line without newline only at EOF. */
static void
stdin_lines(struct phone *ph, struct evbuffer *buf, bool eof)
{
    char *line;
    size_t n;

    while ((line = evbuffer_readln(buf, &n, EVBUFFER_EOL_LF)) != NULL) {
        stdin_line(ph, line);
        free(line);
    }
    if (eof && evbuffer_get_length(buf) > 0) {
        n = evbuffer_get_length(buf);
        line = malloc(n + 1);
        if (line == NULL) {
            fprintf(stderr, "sk-phone: out of memory\n");
            exit(3);
        }
        evbuffer_remove(buf, line, n);
        line[n] = '\0';
        stdin_line(ph, line);
        free(line);
    }
}

static void
stdin_read_cb(struct bufferevent *bev, void *arg)
{
    struct phone *ph = arg;
    struct evbuffer *in = bufferevent_get_input(bev);

    stdin_lines(ph, in, false);
    if (evbuffer_get_length(in) > MAX_LINE) {
        fprintf(stderr, "sk-phone: input line longer than %d bytes\n",
                MAX_LINE);
        ph->rc = 3;
        finish(ph);
    }
}

static void
stdin_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct phone *ph = arg;

    if (what & BEV_EVENT_ERROR)
        fprintf(stderr, "sk-phone: reading stdin: %s\n", strerror(errno));
    stdin_lines(ph, bufferevent_get_input(bev), true);
    bufferevent_free(bev);
    ph->in = NULL;
    stdin_done(ph);
}

/* A regular file or /dev/null can't be polled: read it all at once. */
static int
stdin_read_all(struct phone *ph)
{
    struct evbuffer *buf = evbuffer_new();
    int r;

    if (buf == NULL)
        return -1;
    while ((r = evbuffer_read(buf, STDIN_FILENO, 65536)) > 0)
        ;
    if (r < 0)
        fprintf(stderr, "sk-phone: reading stdin: %s\n", strerror(errno));
    stdin_lines(ph, buf, true);
    evbuffer_free(buf);
    stdin_done(ph);
    return 0;
}

static int
stdin_open(struct phone *ph)
{
    struct stat st;

    if (fstat(STDIN_FILENO, &st) != 0)
        return -1;
    if (S_ISREG(st.st_mode) || (S_ISCHR(st.st_mode) && !isatty(0)))
        return stdin_read_all(ph);
    evutil_make_socket_nonblocking(STDIN_FILENO);
    ph->in = bufferevent_socket_new(ph->base, STDIN_FILENO, 0);
    if (ph->in == NULL)
        return -1;
    bufferevent_setcb(ph->in, stdin_read_cb, NULL, stdin_event_cb, ph);
    return bufferevent_enable(ph->in, EV_READ);
}

/* --- main -------------------------------------------------------------- */

static void
usage(FILE *f)
{
    fprintf(f, "usage: sk-phone -p PORT [-H HOST] [-c CONNECT_SECS] "
               "[-d DRAIN_SECS] [-n COUNT]\n"
               "  stdin:  FROM TO TEXT    messages the phones send\n"
               "  stdout: FROM TO TEXT    messages Kannel delivers to them\n");
}

static void
phone_free(struct phone *ph)
{
    if (ph->net)
        bufferevent_free(ph->net);
    if (ph->in)
        bufferevent_free(ph->in);
    if (ph->queue)
        evbuffer_free(ph->queue);
    if (ph->held_text)
        evbuffer_free(ph->held_text);
    free(ph->held_from);
    free(ph->held_to);
    for (int i = 0; i < MAX_CONCAT; i++)
        concat_free(&ph->concat[i]);
    if (ph->retry_ev)
        event_free(ph->retry_ev);
    if (ph->drain_ev)
        event_free(ph->drain_ev);
    if (ph->hold_ev)
        event_free(ph->hold_ev);
    if (ph->base)
        event_base_free(ph->base);
}

int
main(int argc, char **argv)
{
    struct phone ph = {.connect_secs = 30, .drain_secs = 3, .want = -1};
    const char *host = "127.0.0.1";
    long port = 0;
    int c;

    while ((c = getopt(argc, argv, "p:H:c:d:n:h")) != -1) {
        switch (c) {
        case 'p':
            port = strtol(optarg, NULL, 10);
            break;
        case 'H':
            host = optarg;
            break;
        case 'c':
            ph.connect_secs = strtod(optarg, NULL);
            break;
        case 'd':
            ph.drain_secs = strtod(optarg, NULL);
            break;
        case 'n':
            ph.want = strtol(optarg, NULL, 10);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc || port <= 0 || port > 65535 || ph.connect_secs < 0 ||
        ph.drain_secs < 0) {
        usage(stderr);
        return 2;
    }
    ph.addr.sin_family = AF_INET;
    ph.addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &ph.addr.sin_addr) != 1) {
        fprintf(stderr, "sk-phone: %s is not an IPv4 address\n", host);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    clock_gettime(CLOCK_MONOTONIC, &ph.down_since);

    ph.base = event_base_new();
    ph.queue = evbuffer_new();
    ph.held_text = evbuffer_new();
    if (ph.base == NULL || ph.queue == NULL || ph.held_text == NULL)
        goto fail;
    ph.retry_ev = evtimer_new(ph.base, retry_cb, &ph);
    ph.drain_ev = evtimer_new(ph.base, drain_cb, &ph);
    ph.hold_ev = evtimer_new(ph.base, hold_cb, &ph);
    if (!ph.retry_ev || !ph.drain_ev || !ph.hold_ev)
        goto fail;
    net_connect(&ph);
    if (stdin_open(&ph) != 0)
        goto fail;
    event_base_dispatch(ph.base);

    held_flush(&ph);
    if (ph.rc == 0 && ph.want >= 0 && ph.printed < ph.want) {
        fprintf(stderr, "sk-phone: %ld of %ld messages received\n", ph.printed,
                ph.want);
        ph.rc = 1;
    }
    phone_free(&ph);
    return ph.rc;
fail:
    fprintf(stderr, "sk-phone: cannot start: %s\n", strerror(errno));
    phone_free(&ph);
    return 3;
}
