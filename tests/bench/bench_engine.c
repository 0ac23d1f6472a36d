/*
 * bench_engine.c - how fast the flow engine runs the Wellbeing Check, the
 * way the gateway runs it: the flow set is loaded once, then each of N
 * children starts the survey and answers every question, and between two
 * messages the session lives only as JSON (flow_session_load before the
 * step, flow_session_dump after it, as the store keeps it). No I/O inside
 * the timed part.
 *
 * Prints messages (engine steps) per second, engine events per second,
 * the per-message latency (load + step + dump) at p50/p99/max, where the
 * time goes, and the peak RSS of the process.
 *
 * Usage: bench_engine [-n SESSIONS] [FLOW_FILE]
 * FLOW_FILE defaults to $SK_SOURCE_DIR/flows/examples/wellbeing_check.json
 * (or that path under the current directory).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "bench_common.h"
#include "flow.h"

#define FLOW_NAME "Wellbeing Check"
#define T0_MS     1780000000000LL /* a fixed "now"; the engine has no clock */

/* The answers of one child, from the first question to the end. */
static const char *const answers[] = {
    "1", "3", "3 a camp", "yes", "1", "4", "books for school and a safe place",
};
#define N_ANSWERS (sizeof(answers) / sizeof(answers[0]))

static char *
read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (fp == NULL)
        return NULL;
    if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
        fseek(fp, 0, SEEK_SET) != 0)
        goto out;
    if ((buf = malloc((size_t)n + 1)) == NULL)
        goto out;
    if (fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[n] = '\0';
    *len = (size_t)n;
out:
    fclose(fp);
    return buf;
}

static void
diag(void *arg, const char *flow, const char *node, const char *reason)
{
    (void)arg;
    fprintf(stderr, "bench_engine: flow %s node %s: %s\n", flow ? flow : "-",
            node ? node : "-", reason);
}

struct totals {
    int64_t load_ns, step_ns, dump_ns;
    size_t events, completed;
};

/* One message: load the stored session (NULL: a new one), step, dump.
 * Returns the new dump (malloc'd) or NULL on failure. */
static char *
one_message(const struct flow_set *set, const struct flow *f,
            const char *stored, const char *text, int64_t now, uint64_t seed,
            struct totals *t, enum flow_status *status)
{
    char err[SK_ERR_LEN] = "";
    struct flow_session *s;
    json_t *events = json_array();
    char *dump = NULL;
    int64_t a, b, c, d;
    int rc;

    if (events == NULL)
        return NULL;
    a = bench_ns();
    s = stored ? flow_session_load(stored, err) : flow_session_new(NULL, seed);
    b = bench_ns();
    if (s == NULL) {
        fprintf(stderr, "bench_engine: session load: %s\n", err);
        goto out;
    }
    if (stored == NULL) {
        rc = flow_start(set, s, f, text, now, events, err);
    } else {
        struct flow_resume r = {FLOW_RESUME_MSG, text};

        rc = flow_resume(set, s, &r, now, events, err);
    }
    c = bench_ns();
    if (rc != 0) {
        fprintf(stderr, "bench_engine: step failed (%d): %s\n", rc, err);
        goto out;
    }
    *status = flow_session_status(s);
    dump = flow_session_dump(s);
    d = bench_ns();
    t->load_ns += b - a;
    t->step_ns += c - b;
    t->dump_ns += d - c;
    t->events += json_array_size(events);
out:
    flow_session_free(s);
    json_decref(events);
    return dump;
}

int
main(int argc, char **argv)
{
    const char *path = NULL, *src = getenv("SK_SOURCE_DIR");
    char defpath[4096];
    long sessions = 2000;
    struct flow_set *set = NULL;
    const struct flow *f;
    struct bench_lat lat = {0};
    struct totals t = {0};
    size_t len = 0, msgs = 0, n_done = 0;
    char *text = NULL;
    int64_t t0, elapsed;
    long rss_loaded;
    int opt, rc = 1;

    while ((opt = getopt(argc, argv, "n:h")) != -1) {
        if (opt == 'n' && (sessions = atol(optarg)) > 0)
            continue;
        fprintf(stderr, "usage: bench_engine [-n SESSIONS] [FLOW_FILE]\n");
        return 2;
    }
    if (optind < argc) {
        path = argv[optind];
    } else {
        snprintf(defpath, sizeof(defpath),
                 "%s%sflows/examples/wellbeing_check.json", src ? src : "",
                 src ? "/" : "");
        path = defpath;
    }
    if ((text = read_file(path, &len)) == NULL) {
        fprintf(stderr, "bench_engine: cannot read %s\n", path);
        return 3;
    }
    set = flow_set_new();
    if (set == NULL || flow_set_add_json(set, text, len, diag, NULL) != 0 ||
        flow_set_link(set, diag, NULL) != 0)
        goto out;
    if ((f = flow_set_find(set, FLOW_NAME)) == NULL) {
        fprintf(stderr, "bench_engine: no flow \"%s\" in %s\n", FLOW_NAME,
                path);
        goto out;
    }
    rss_loaded = bench_peak_rss_kib();

    t0 = bench_ns();
    for (long i = 0; i < sessions; i++) {
        enum flow_status st = FLOW_IDLE;
        int64_t now = T0_MS + i * 1000;
        int64_t a = bench_ns();
        char *dump =
            one_message(set, f, NULL, "hi", now, (uint64_t)i + 1, &t, &st);

        if (dump == NULL || bench_lat_add(&lat, bench_ns() - a) != 0)
            goto out;
        msgs++;
        for (size_t k = 0; k < N_ANSWERS && st == FLOW_WAITING; k++) {
            char *next;

            now += 20000;
            a = bench_ns();
            next = one_message(set, f, dump, answers[k], now, 0, &t, &st);
            free(dump);
            if ((dump = next) == NULL ||
                bench_lat_add(&lat, bench_ns() - a) != 0)
                goto out;
            msgs++;
        }
        free(dump);
        if (st == FLOW_COMPLETED)
            n_done++;
    }
    elapsed = bench_ns() - t0;
    if (n_done != (size_t)sessions) {
        fprintf(stderr, "bench_engine: only %zu of %ld surveys completed\n",
                n_done, sessions);
        goto out;
    }

    bench_lat_sort(&lat);
    double secs = (double)elapsed / 1e9;
    double busy = (double)(t.load_ns + t.step_ns + t.dump_ns);
    printf("bench_engine: %ld sessions of \"%s\", %zu messages, %zu events "
           "in %.3f s\n",
           sessions, FLOW_NAME, msgs, t.events, secs);
    printf("  messages/s      %.0f\n", (double)msgs / secs);
    printf("  events/s        %.0f\n", (double)t.events / secs);
    printf("  latency us      p50 %.1f  p99 %.1f  max %.1f\n",
           bench_lat_pct(&lat, 50), bench_lat_pct(&lat, 99),
           bench_lat_pct(&lat, 100));
    printf("  time split      load %.0f%%  step %.0f%%  dump %.0f%%\n",
           100.0 * (double)t.load_ns / busy, 100.0 * (double)t.step_ns / busy,
           100.0 * (double)t.dump_ns / busy);
    printf("  peak RSS KiB    %ld (after loading the flows: %ld)\n",
           bench_peak_rss_kib(), rss_loaded);
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "bench_engine: failed\n");
    bench_lat_free(&lat);
    flow_set_free(set);
    free(text);
    return rc;
}
