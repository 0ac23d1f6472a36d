/*
 * sk-fakeprovider - a local stand-in for the providers' send APIs, for the
 * end-to-end tests. It listens on 127.0.0.1:PORT and takes
 *
 *   POST /2010-04-01/Accounts/SID/Messages.json    Twilio: basic auth
 *        SID:TOKEN; form To, From, Body (StatusCallback optional).
 *        201 {"sid":"SM...","status":"queued",...}
 *   POST /sms/json                                 Vonage: form api_key,
 *        api_secret, from, to, text (type, status-report-req, client-ref,
 *        callback optional). 200 {"message-count":"1","messages":[{...,
 *        "status":"0","message-id":"..."}]}
 *   POST /version1/messaging                       Africa's Talking:
 *        header apiKey; form username, to, message (from, bulkSMSMode
 *        optional; bulkSMSMode is 0 or 1). 201 {"SMSMessageData":
 *        {"Recipients":[{"statusCode":101,"status":"Success",
 *        "messageId":"ATXid_..."}]}}; with -s, a from other than that
 *        sender id gets statusCode 402, "InvalidSenderId", as the
 *        provider answers for a sender the account does not own.
 *
 * and checks each request's shape and credentials as the provider would
 * (401 for bad credentials, 400 for a missing field; Vonage answers 200
 * with status "4" or "2" as it does). Each accepted message is appended
 * to the -o file as one line: PROVIDER<TAB>TO<TAB>TEXT (tabs, newlines
 * and backslashes in TEXT escaped as \t \n \\). It is a test tool, so it
 * may print what it is sent.
 *
 * Faults: the next requests to the send APIs can be told to answer 500,
 * 429, "throttle" (Vonage's status 1 in a 200), or to "hang" (never
 * answer; the client's timeout ends it), either with -f LIST at start or
 * with POST /control?next=LIST (e.g. next=500,429,hang); "ok" answers
 * normally. GET /ping answers 200 (for start-up checks).
 *
 * stdout, flushed: one line per send request, `PROVIDER ANSWER TO` (ANSWER
 * is ok, 500, 429, throttle, hang, 400, 401 or 402).
 *
 * With -r FILE, the same requests in more detail, one line each, tab
 * separated: MS PROVIDER ANSWER TO FROM BULK ID, where MS is a monotonic
 * clock in milliseconds (for the time between attempts), FROM the sender
 * asked for, BULK Africa's Talking's bulkSMSMode and ID the message id
 * answered; "-" for what a request did not carry or was not given.
 *
 * Usage: sk-fakeprovider -l PORT -o FILE [-r FILE] [-t SID:TOKEN]
 *                        [-v KEY:SECRET] [-a USER:APIKEY] [-s SENDER]
 *                        [-f LIST]
 * A provider without credentials given refuses every request with 401.
 * SIGTERM or SIGINT ends it, freeing everything.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "channel.h"
#include "chanutil.h"

#define MAX_BODY   (64 * 1024)
#define MAX_SCRIPT 256

enum fault { FAULT_NONE, FAULT_500, FAULT_429, FAULT_THROTTLE, FAULT_HANG };

struct fake {
    struct event_base *base;
    struct evhttp *http;
    FILE *out, *reqlog;
    char *at_sender;
    char *tw_sid, *tw_token, *vo_key, *vo_secret, *at_user, *at_key;
    enum fault script[MAX_SCRIPT];
    size_t n_script, next;
    unsigned long ids;
};

static const char *const fault_names[] = {"ok", "500", "429", "throttle",
                                          "hang"};

/* Appends the faults of a comma-separated list. -1 on a bad word. */
static int
script_add(struct fake *f, const char *list)
{
    char *copy = strdup(list), *save = NULL, *w;
    size_t i;
    int rc = 0;

    if (copy == NULL)
        return -1;
    for (w = strtok_r(copy, ",", &save); w != NULL && rc == 0;
         w = strtok_r(NULL, ",", &save)) {
        for (i = 0; i < sizeof(fault_names) / sizeof(*fault_names); i++)
            if (strcmp(w, fault_names[i]) == 0)
                break;
        if (i == sizeof(fault_names) / sizeof(*fault_names) ||
            f->n_script >= MAX_SCRIPT)
            rc = -1;
        else
            f->script[f->n_script++] = (enum fault)i;
    }
    free(copy);
    return rc;
}

static enum fault
next_fault(struct fake *f)
{
    if (f->next < f->n_script)
        return f->script[f->next++];
    return FAULT_NONE;
}

static void
reply(struct evhttp_request *req, int code, const char *ctype, const char *body)
{
    struct evbuffer *buf = evhttp_request_get_output_buffer(req);

    if (ctype != NULL)
        evhttp_add_header(evhttp_request_get_output_headers(req),
                          "Content-Type", ctype);
    if (body != NULL)
        evbuffer_add(buf, body, strlen(body));
    evhttp_send_reply(req, code, NULL, NULL);
}

static const char *
header(struct evhttp_request *req, const char *name)
{
    return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}

/* The form body as pairs. */
static int
form_of(struct evhttp_request *req, struct channel_pairs *p)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    char err[SK_ERR_LEN], *body = malloc(n + 1);
    int rc;

    if (body == NULL)
        return -1;
    evbuffer_copyout(in, body, n);
    body[n] = '\0';
    rc = channel_pairs_form(p, body, n, err);
    free(body);
    return rc;
}

static const char *
get(const struct channel_pairs *p, const char *key)
{
    bool dup;
    const char *v = channel_pairs_get(p, key, &dup);

    return dup ? NULL : v;
}

static void
record(struct fake *f, const char *provider, const char *to, const char *text)
{
    const char *s;

    fprintf(f->out, "%s\t%s\t", provider, to);
    for (s = text; *s != '\0'; s++) {
        if (*s == '\n')
            fputs("\\n", f->out);
        else if (*s == '\t')
            fputs("\\t", f->out);
        else if (*s == '\\')
            fputs("\\\\", f->out);
        else
            fputc(*s, f->out);
    }
    fputc('\n', f->out);
    fflush(f->out);
}

/* What the fake saw of one send request, for note(). */
struct seen {
    const char *provider, *to, *from, *bulk, *id;
};

static const char *
dash(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : "-";
}

static void
note(struct fake *f, const struct seen *s, const char *answer)
{
    struct timespec ts;

    printf("%s %s %s\n", s->provider, answer, dash(s->to));
    fflush(stdout);
    if (f->reqlog == NULL)
        return;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    fprintf(f->reqlog, "%lld\t%s\t%s\t%s\t%s\t%s\t%s\n",
            (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, s->provider,
            answer, dash(s->to), dash(s->from), dash(s->bulk), dash(s->id));
    fflush(f->reqlog);
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* "Basic " + base64(user:pass); malloc'd. */
static char *
basic_auth(const char *user, const char *pass)
{
    size_t n = strlen(user) + strlen(pass) + 1, i;
    unsigned char *in = malloc(n + 1);
    char *out = malloc(6 + (n + 2) / 3 * 4 + 1), *o;

    if (in == NULL || out == NULL) {
        free(in);
        free(out);
        return NULL;
    }
    sprintf((char *)in, "%s:%s", user, pass);
    o = out + sprintf(out, "Basic ");
    for (i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;

        if (i + 1 < n)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        *o++ = b64[(v >> 18) & 63];
        *o++ = b64[(v >> 12) & 63];
        *o++ = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? b64[v & 63] : '=';
    }
    *o = '\0';
    free(in);
    return out;
}

/* Answers a fault (true) or lets the request through (false). */
static bool
answer_fault(struct fake *f, struct evhttp_request *req, const struct seen *s,
             bool vonage)
{
    enum fault ft = next_fault(f);

    switch (ft) {
    case FAULT_NONE:
        return false;
    case FAULT_500:
        note(f, s, "500");
        reply(req, 500, "application/json", "{\"error\":\"internal\"}");
        return true;
    case FAULT_429:
        note(f, s, "429");
        reply(req, 429, "application/json",
              "{\"code\":20429,\"message\":\"Too Many Requests\"}");
        return true;
    case FAULT_THROTTLE:
        if (!vonage)
            return false;
        note(f, s, "throttle");
        reply(req, 200, "application/json",
              "{\"message-count\":\"1\",\"messages\":[{\"status\":\"1\","
              "\"error-text\":\"Throughput Rate Exceeded\"}]}");
        return true;
    case FAULT_HANG:
        /* never answered: evhttp frees req when the client gives up */
        note(f, s, "hang");
        return true;
    }
    return false;
}

static void
twilio(struct fake *f, struct evhttp_request *req, const char *path)
{
    struct channel_pairs p = {0};
    struct seen s = {.provider = "twilio"};
    const char *auth = header(req, "Authorization");
    const char *body;
    char *want = NULL, expect[256], id[64], out[512];

    snprintf(expect, sizeof(expect), "/2010-04-01/Accounts/%s/Messages.json",
             f->tw_sid != NULL ? f->tw_sid : "");
    if (f->tw_sid != NULL)
        want = basic_auth(f->tw_sid, f->tw_token);
    if (f->tw_sid == NULL || strcmp(path, expect) != 0 || want == NULL ||
        auth == NULL || strcmp(auth, want) != 0) {
        note(f, &s, "401");
        reply(req, 401, "application/json",
              "{\"code\":20003,\"message\":\"Authenticate\",\"status\":401}");
        goto out;
    }
    if (form_of(req, &p) != 0 || (s.to = get(&p, "To")) == NULL ||
        (s.from = get(&p, "From")) == NULL ||
        (body = get(&p, "Body")) == NULL || s.to[0] != '+') {
        note(f, &s, "400");
        reply(req, 400, "application/json",
              "{\"code\":21604,\"message\":\"A 'To' phone number is "
              "required.\",\"status\":400}");
        goto out;
    }
    if (answer_fault(f, req, &s, false))
        goto out;
    record(f, "twilio", s.to, body);
    snprintf(id, sizeof(id), "SM%032lx", ++f->ids);
    s.id = id;
    note(f, &s, "ok");
    snprintf(out, sizeof(out),
             "{\"sid\":\"%s\",\"status\":\"queued\",\"num_segments\":"
             "\"1\",\"error_code\":null}",
             id);
    reply(req, 201, "application/json", out);
out:
    free(want);
    channel_pairs_clear(&p);
}

static void
vonage(struct fake *f, struct evhttp_request *req)
{
    struct channel_pairs p = {0};
    struct seen s = {.provider = "vonage"};
    const char *key, *secret, *text;
    char id[64], out[512];

    if (form_of(req, &p) != 0) {
        reply(req, 400, NULL, NULL);
        goto out;
    }
    key = get(&p, "api_key");
    secret = get(&p, "api_secret");
    if (f->vo_key == NULL || key == NULL || secret == NULL ||
        strcmp(key, f->vo_key) != 0 || strcmp(secret, f->vo_secret) != 0) {
        note(f, &s, "401");
        reply(req, 200, "application/json",
              "{\"message-count\":\"1\",\"messages\":[{\"status\":\"4\","
              "\"error-text\":\"Bad Credentials\"}]}");
        goto out;
    }
    if ((s.to = get(&p, "to")) == NULL || (s.from = get(&p, "from")) == NULL ||
        (text = get(&p, "text")) == NULL || s.to[0] == '+') {
        note(f, &s, "400");
        reply(req, 200, "application/json",
              "{\"message-count\":\"1\",\"messages\":[{\"status\":\"2\","
              "\"error-text\":\"Missing to param\"}]}");
        goto out;
    }
    if (answer_fault(f, req, &s, true))
        goto out;
    record(f, "vonage", s.to, text);
    snprintf(id, sizeof(id), "0A%014lX", ++f->ids);
    s.id = id;
    note(f, &s, "ok");
    snprintf(out, sizeof(out),
             "{\"message-count\":\"1\",\"messages\":[{\"to\":\"%.32s\","
             "\"message-id\":\"%s\",\"status\":\"0\","
             "\"remaining-balance\":\"10.0\",\"message-price\":\"0.03\","
             "\"network\":\"12345\"}]}",
             s.to, id);
    reply(req, 200, "application/json", out);
out:
    channel_pairs_clear(&p);
}

static void
africastalking(struct fake *f, struct evhttp_request *req)
{
    struct channel_pairs p = {0};
    struct seen s = {.provider = "africastalking"};
    const char *apikey = header(req, "apiKey");
    const char *user, *msg;
    char id[64], out[512];

    if (form_of(req, &p) != 0) {
        reply(req, 400, NULL, NULL);
        goto out;
    }
    user = get(&p, "username");
    s.to = get(&p, "to");
    s.from = get(&p, "from");
    s.bulk = get(&p, "bulkSMSMode");
    if (f->at_user == NULL || apikey == NULL || user == NULL ||
        strcmp(apikey, f->at_key) != 0 || strcmp(user, f->at_user) != 0) {
        note(f, &s, "401");
        reply(req, 401, "text/plain", "The supplied authentication is invalid");
        goto out;
    }
    if (s.to == NULL || (msg = get(&p, "message")) == NULL ||
        (s.bulk != NULL && strcmp(s.bulk, "0") != 0 &&
         strcmp(s.bulk, "1") != 0)) {
        note(f, &s, "400");
        reply(req, 400, "text/plain", "Request is missing required form field");
        goto out;
    }
    if (answer_fault(f, req, &s, false))
        goto out;
    if (f->at_sender != NULL &&
        (s.from == NULL || strcmp(s.from, f->at_sender) != 0)) {
        note(f, &s, "402");
        snprintf(out, sizeof(out),
                 "{\"SMSMessageData\":{\"Message\":\"Sent to 0/1 Total Cost: "
                 "0\",\"Recipients\":[{\"statusCode\":402,\"number\":"
                 "\"%.32s\",\"cost\":\"0\",\"status\":\"InvalidSenderId\","
                 "\"messageId\":\"None\"}]}}",
                 s.to);
        reply(req, 201, "application/json", out);
        goto out;
    }
    record(f, "africastalking", s.to, msg);
    snprintf(id, sizeof(id), "ATXid_%08lx%04x", ++f->ids,
             (unsigned)getpid() & 0xffff);
    s.id = id;
    note(f, &s, "ok");
    snprintf(out, sizeof(out),
             "{\"SMSMessageData\":{\"Message\":\"Sent to 1/1 Total Cost: KES "
             "0.8000\",\"Recipients\":[{\"statusCode\":101,\"number\":"
             "\"%.32s\",\"cost\":\"KES 0.8000\",\"status\":\"Success\","
             "\"messageId\":\"%s\"}]}}",
             s.to, id);
    reply(req, 201, "application/json", out);
out:
    channel_pairs_clear(&p);
}

static void
control(struct fake *f, struct evhttp_request *req, const char *query)
{
    struct channel_pairs p = {0};
    char err[SK_ERR_LEN];
    const char *next;

    if (query == NULL ||
        channel_pairs_form(&p, query, strlen(query), err) != 0 ||
        (next = get(&p, "next")) == NULL || script_add(f, next) != 0)
        reply(req, 400, "text/plain", "use next=500,429,throttle,hang,ok\n");
    else
        reply(req, 200, "text/plain", "ok\n");
    channel_pairs_clear(&p);
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
    struct fake *f = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

    if (path == NULL)
        path = "";
    if (strcmp(path, "/ping") == 0) {
        reply(req, 200, "text/plain", "pong\n");
        return;
    }
    if (cmd != EVHTTP_REQ_POST) {
        reply(req, 405, "text/plain", "use POST\n");
        return;
    }
    if (strcmp(path, "/control") == 0)
        control(f, req, evhttp_uri_get_query(uri));
    else if (strncmp(path, "/2010-04-01/Accounts/", 21) == 0)
        twilio(f, req, path);
    else if (strcmp(path, "/sms/json") == 0)
        vonage(f, req);
    else if (strcmp(path, "/version1/messaging") == 0)
        africastalking(f, req);
    else
        reply(req, 404, "text/plain", "not found\n");
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopbreak(arg);
}

/* Splits "A:B" into two malloc'd strings. -1 without a colon. */
static int
split_pair(const char *s, char **a, char **b)
{
    const char *colon = strchr(s, ':');

    if (colon == NULL || colon == s)
        return -1;
    *a = strndup(s, (size_t)(colon - s));
    *b = strdup(colon + 1);
    return *a != NULL && *b != NULL ? 0 : -1;
}

static void
usage(void)
{
    fprintf(stderr, "usage: sk-fakeprovider -l PORT -o FILE [-r FILE] "
                    "[-t SID:TOKEN] [-v KEY:SECRET] [-a USER:APIKEY] "
                    "[-s SENDER] [-f LIST]\n");
}

int
main(int argc, char **argv)
{
    struct fake f;
    struct event *sig_term = NULL, *sig_int = NULL;
    const char *outfile = NULL, *reqfile = NULL;
    int port = 0, opt, code = 2;

    memset(&f, 0, sizeof(f));
    while ((opt = getopt(argc, argv, "l:o:r:t:v:a:s:f:")) != -1) {
        switch (opt) {
        case 'l':
            port = atoi(optarg);
            break;
        case 'o':
            outfile = optarg;
            break;
        case 'r':
            reqfile = optarg;
            break;
        case 's':
            free(f.at_sender);
            if ((f.at_sender = strdup(optarg)) == NULL)
                goto out;
            break;
        case 't':
            if (split_pair(optarg, &f.tw_sid, &f.tw_token) != 0)
                goto bad;
            break;
        case 'v':
            if (split_pair(optarg, &f.vo_key, &f.vo_secret) != 0)
                goto bad;
            break;
        case 'a':
            if (split_pair(optarg, &f.at_user, &f.at_key) != 0)
                goto bad;
            break;
        case 'f':
            if (script_add(&f, optarg) != 0)
                goto bad;
            break;
        default:
            goto bad;
        }
    }
    if (port <= 0 || port > 65535 || outfile == NULL || optind != argc)
        goto bad;
    signal(SIGPIPE, SIG_IGN);
    if ((f.out = fopen(outfile, "a")) == NULL) {
        perror(outfile);
        goto out;
    }
    if (reqfile != NULL && (f.reqlog = fopen(reqfile, "a")) == NULL) {
        perror(reqfile);
        goto out;
    }
    f.base = event_base_new();
    f.http = f.base != NULL ? evhttp_new(f.base) : NULL;
    if (f.http == NULL)
        goto out;
    evhttp_set_max_body_size(f.http, MAX_BODY);
    evhttp_set_allowed_methods(f.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    evhttp_set_gencb(f.http, request_cb, &f);
    if (evhttp_bind_socket(f.http, "127.0.0.1", (ev_uint16_t)port) != 0) {
        fprintf(stderr, "sk-fakeprovider: cannot listen on 127.0.0.1:%d\n",
                port);
        code = 3;
        goto out;
    }
    sig_term = evsignal_new(f.base, SIGTERM, on_signal, f.base);
    sig_int = evsignal_new(f.base, SIGINT, on_signal, f.base);
    if (sig_term == NULL || sig_int == NULL || event_add(sig_term, NULL) != 0 ||
        event_add(sig_int, NULL) != 0)
        goto out;
    event_base_dispatch(f.base);
    code = 0;
    goto out;
bad:
    usage();
out:
    if (sig_term != NULL)
        event_free(sig_term);
    if (sig_int != NULL)
        event_free(sig_int);
    if (f.http != NULL)
        evhttp_free(f.http);
    if (f.base != NULL)
        event_base_free(f.base);
    if (f.out != NULL)
        fclose(f.out);
    if (f.reqlog != NULL)
        fclose(f.reqlog);
    free(f.at_sender);
    free(f.tw_sid);
    free(f.tw_token);
    free(f.vo_key);
    free(f.vo_secret);
    free(f.at_user);
    free(f.at_key);
    return code;
}
