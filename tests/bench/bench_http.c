/*
 * bench_http.c - end-to-end load on a running `sikiliza serve`: phones
 * text the generic channel and complete the Wellbeing Check.
 *
 * A small libevent HTTP client. C phones are in flight at once, each on
 * its own keep-alive connection, sending its next message as soon as the
 * reply to the previous one arrives (a child who answers instantly). When
 * a phone finishes the survey the next phone takes its place, until P
 * phones are done. Every reply must be 200 with {"messages": [...]}; the
 * last one must be the survey's thank-you.
 *
 * Prints messages/s, latency p50/p95/p99/max, errors, and the server's
 * peak RSS (VmHWM in /proc/PID/status) when -P is given.
 *
 * Usage: bench_http -u http://127.0.0.1:PORT -s SECRET [-n CHANNEL]
 *                   [-p PHONES] [-c CONCURRENT] [-P SERVER_PID]
 * tests/bench/run.sh starts the server and runs this.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "bench_common.h"

static const char *const script[] = {
    "hi",  "1", "3", "3 a camp",
    "yes", "1", "4", "books for school and a safe place",
};
#define N_STEPS  (sizeof(script) / sizeof(script[0]))
#define THANKS   "Thank you for sharing"
#define MAX_BODY 65536

struct bench;

struct phone {
    struct bench *b;
    struct evhttp_connection *conn;
    long number; /* which phone, 0..P */
    size_t step;
    int64_t t_send;
};

struct bench {
    struct event_base *base;
    const char *host, *secret, *channel;
    int port;
    long phones, next_phone, phones_done, completed, active;
    long messages, errors;
    struct bench_lat lat;
};

static void send_step(struct phone *ph);

static void
phone_next(struct phone *ph)
{
    struct bench *b = ph->b;

    if (b->next_phone < b->phones) {
        ph->number = b->next_phone++;
        ph->step = 0;
        send_step(ph);
        return;
    }
    b->active--;
    if (b->active == 0)
        event_base_loopbreak(b->base);
}

static void
reply_cb(struct evhttp_request *req, void *arg)
{
    struct phone *ph = arg;
    struct bench *b = ph->b;
    char body[MAX_BODY];
    size_t n = 0;
    int code = req ? evhttp_request_get_response_code(req) : 0;

    bench_lat_add(&b->lat, bench_ns() - ph->t_send);
    b->messages++;
    if (req != NULL) {
        struct evbuffer *in = evhttp_request_get_input_buffer(req);

        n = evbuffer_get_length(in);
        if (n >= sizeof(body))
            n = sizeof(body) - 1;
        evbuffer_copyout(in, body, n);
    }
    body[n] = '\0';
    if (code != 200 || strstr(body, "\"messages\"") == NULL) {
        if (b->errors++ < 5)
            fprintf(stderr, "bench_http: phone %ld step %zu: HTTP %d %.200s\n",
                    ph->number, ph->step, code, body);
        b->phones_done++;
        phone_next(ph); /* give up on this phone */
        return;
    }
    if (++ph->step < N_STEPS) {
        send_step(ph);
        return;
    }
    if (strstr(body, THANKS) != NULL)
        b->completed++;
    else if (b->errors++ < 5)
        fprintf(stderr, "bench_http: phone %ld: last reply: %.200s\n",
                ph->number, body);
    b->phones_done++;
    phone_next(ph);
}

static void
send_step(struct phone *ph)
{
    struct bench *b = ph->b;
    struct evhttp_request *req = evhttp_request_new(reply_cb, ph);
    char from[32], id[64], uri[512];
    char *text = evhttp_uriencode(script[ph->step], -1, 1);
    char *sec = evhttp_uriencode(b->secret, -1, 0);
    struct evkeyvalq *h;

    if (req == NULL || text == NULL || sec == NULL) {
        fprintf(stderr, "bench_http: out of memory\n");
        exit(3);
    }
    snprintf(from, sizeof(from), "%%2B2547%08ld", ph->number);
    snprintf(id, sizeof(id), "b%ld-%ld-%zu", (long)getpid(), ph->number,
             ph->step);
    snprintf(uri, sizeof(uri), "/c/%s/receive?secret=%s", b->channel, sec);
    h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", b->host);
    evhttp_add_header(h, "Content-Type", "application/x-www-form-urlencoded");
    evbuffer_add_printf(evhttp_request_get_output_buffer(req),
                        "from=%s&text=%s&id=%s", from, text, id);
    free(text);
    free(sec);
    ph->t_send = bench_ns();
    if (evhttp_make_request(ph->conn, req, EVHTTP_REQ_POST, uri) != 0) {
        fprintf(stderr, "bench_http: cannot send a request\n");
        exit(3);
    }
}

/* VmHWM (peak RSS) of pid in KiB, or -1. */
static long
proc_hwm_kib(long pid)
{
    char path[64], line[256];
    long kib = -1;
    FILE *fp;

    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    if ((fp = fopen(path, "r")) == NULL)
        return -1;
    while (fgets(line, sizeof(line), fp) != NULL)
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
            break;
    fclose(fp);
    return kib;
}

static void
usage(void)
{
    fprintf(stderr, "usage: bench_http -u http://127.0.0.1:PORT -s SECRET "
                    "[-n CHANNEL] [-p PHONES] [-c CONCURRENT] [-P PID]\n");
    exit(2);
}

int
main(int argc, char **argv)
{
    struct bench b;
    struct evhttp_uri *u = NULL;
    struct phone *ph = NULL;
    const char *url = NULL;
    long conc = 50, pid = 0;
    int64_t t0, el;
    int opt, rc = 1;

    memset(&b, 0, sizeof(b));
    b.channel = "bench";
    b.phones = 200;
    while ((opt = getopt(argc, argv, "u:s:n:p:c:P:h")) != -1) {
        switch (opt) {
        case 'u':
            url = optarg;
            break;
        case 's':
            b.secret = optarg;
            break;
        case 'n':
            b.channel = optarg;
            break;
        case 'p':
            b.phones = atol(optarg);
            break;
        case 'c':
            conc = atol(optarg);
            break;
        case 'P':
            pid = atol(optarg);
            break;
        default:
            usage();
        }
    }
    if (url == NULL || b.secret == NULL || b.phones <= 0 || conc <= 0)
        usage();
    if ((u = evhttp_uri_parse(url)) == NULL ||
        (b.host = evhttp_uri_get_host(u)) == NULL ||
        (b.port = evhttp_uri_get_port(u)) <= 0) {
        fprintf(stderr, "bench_http: bad URL %s\n", url);
        goto out;
    }
    if (conc > b.phones)
        conc = b.phones;
    if ((b.base = event_base_new()) == NULL ||
        (ph = calloc((size_t)conc, sizeof(*ph))) == NULL)
        goto out;
    for (long i = 0; i < conc; i++) {
        ph[i].b = &b;
        ph[i].conn = evhttp_connection_base_new(b.base, NULL, b.host,
                                                (ev_uint16_t)b.port);
        if (ph[i].conn == NULL)
            goto out;
        evhttp_connection_set_timeout(ph[i].conn, 60);
    }

    t0 = bench_ns();
    b.active = conc;
    for (long i = 0; i < conc; i++)
        phone_next(&ph[i]);
    event_base_dispatch(b.base);
    el = bench_ns() - t0;

    bench_lat_sort(&b.lat);
    double secs = (double)el / 1e9;
    printf("bench_http: %ld phones (%ld at once), %ld messages in %.3f s\n",
           b.phones, conc, b.messages, secs);
    printf("  messages/s      %.0f\n", (double)b.messages / secs);
    printf("  latency ms      p50 %.2f  p95 %.2f  p99 %.2f  max %.2f\n",
           bench_lat_pct(&b.lat, 50) / 1000.0,
           bench_lat_pct(&b.lat, 95) / 1000.0,
           bench_lat_pct(&b.lat, 99) / 1000.0,
           bench_lat_pct(&b.lat, 100) / 1000.0);
    printf("  surveys done    %ld of %ld, errors %ld\n", b.completed, b.phones,
           b.errors);
    if (pid > 0)
        printf("  server peak RSS KiB %ld\n", proc_hwm_kib(pid));
    rc = b.errors == 0 && b.completed == b.phones ? 0 : 1;
out:
    if (ph != NULL)
        for (long i = 0; i < conc; i++)
            if (ph[i].conn != NULL)
                evhttp_connection_free(ph[i].conn);
    free(ph);
    bench_lat_free(&b.lat);
    if (b.base != NULL)
        event_base_free(b.base);
    if (u != NULL)
        evhttp_uri_free(u);
    return rc;
}
