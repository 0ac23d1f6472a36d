/*
 * bench_store.c - throughput and latency of the store's group commit.
 *
 * Each job does what an inbound SMS does in the gateway's transaction:
 * dedupe lookup, load the contact, save it with a session of realistic
 * size, one answer, the dedupe row and the sealed reply address. Jobs are
 * submitted from the event loop with C of them in flight at a time (a new
 * one as each done callback arrives), for several values of C, each on a
 * fresh database in a temporary directory. fsync is real (WAL,
 * synchronous=FULL), so the figures depend on the disk.
 *
 * Prints, per concurrency: jobs/s, COMMITs/s, jobs per COMMIT, and the
 * latency from store_submit() to the done callback at p50/p99.
 *
 * Usage: bench_store [-n JOBS_PER_LEVEL] [-c 1,4,16,64,256] [-d DIR]
 * DIR defaults to $TMPDIR or /tmp; a fresh subdirectory is made there.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "bench_common.h"
#include "store.h"

#define MAX_LEVELS  16
#define N_CONTACTS  5000
#define SESSION_LEN 1600 /* bytes; a Wellbeing Check session mid-survey */
#define T0_MS       1780000000000LL

struct level {
    struct event_base *base;
    struct store *st;
    struct bench_lat lat;
    const char *session;
    long total, submitted, done, failed;
};

struct job {
    struct level *lv;
    long idx;
    int64_t t_submit;
};

static void
job_key(long idx, char key[65])
{
    snprintf(key, 65, "%016lx%016lx%016lx%016lx", (unsigned long)idx,
             (unsigned long)(idx * 7919), 0xabcdefUL, 0x12345UL);
}

/* Writer thread: the inbound transaction, minus the flow step. */
static int
job_run(struct store_tx *tx, void *arg)
{
    struct job *j = arg;
    struct store_contact c;
    unsigned char blob[60];
    char key[65], extid[32], *reply = NULL;
    int64_t now = T0_MS + j->idx;
    int rc;

    job_key(j->idx % N_CONTACTS, key);
    snprintf(extid, sizeof(extid), "m%ld", j->idx);
    rc = store_inbound_get(tx, "bench", extid, &reply);
    free(reply);
    if (rc != SK_ENOENT)
        return rc == 0 ? SK_EEXIST : rc;
    memset(&c, 0, sizeof(c));
    rc = store_contact_get(tx, key, &c);
    if (rc != 0 && rc != SK_ENOENT)
        return rc;
    store_contact_clear(&c);
    c.session = (char *)j->lv->session;
    c.channel = "bench";
    c.expires_at = now + 7 * 86400000LL;
    c.last_seen = now;
    if ((rc = store_contact_put(tx, key, &c)) != 0)
        return rc;
    rc = store_result_put(tx, key, "5f3c0b54-0000-4000-8000-000000000001",
                          "Wellbeing Check", "Feel Safe", "yes", "Very Safe",
                          "1", now);
    if (rc != 0)
        return rc;
    rc = store_inbound_put(tx, "bench", extid, key,
                           "{\"messages\":[\"Where did you sleep last "
                           "night? 1 With family 2 With friends\"]}",
                           now);
    if (rc != 0)
        return rc;
    memset(blob, 0x5a, sizeof(blob));
    return store_vault_put(tx, key, blob, sizeof(blob), now + 86400000LL * 30);
}

static void submit_one(struct level *lv);

/* Event loop: the job is durable (or failed). */
static void
job_done(void *arg, int rc)
{
    struct job *j = arg;
    struct level *lv = j->lv;

    bench_lat_add(&lv->lat, bench_ns() - j->t_submit);
    if (rc != 0)
        lv->failed++;
    free(j);
    lv->done++;
    if (lv->submitted < lv->total)
        submit_one(lv);
    else if (lv->done == lv->total)
        event_base_loopbreak(lv->base);
}

static void
submit_one(struct level *lv)
{
    struct job *j = calloc(1, sizeof(*j));

    if (j == NULL) {
        fprintf(stderr, "bench_store: out of memory\n");
        exit(3);
    }
    j->lv = lv;
    j->idx = lv->submitted++;
    j->t_submit = bench_ns();
    if (store_submit(lv->st, job_run, job_done, j) != 0) {
        fprintf(stderr, "bench_store: store_submit refused a job\n");
        exit(3);
    }
}

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Keeps the loop running while it waits for the writer's callbacks. */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

static int
run_level(const char *dir, int conc, long n, const char *session)
{
    char path[4200], err[SK_ERR_LEN] = "";
    struct timeval tv = {1, 0};
    struct event *tick = NULL;
    struct level lv;
    uint64_t commits0;
    int64_t t0, el;
    int rc = -1;

    memset(&lv, 0, sizeof(lv));
    lv.total = n;
    lv.session = session;
    snprintf(path, sizeof(path), "%s/c%d.db", dir, conc);
    if ((lv.base = event_base_new()) == NULL)
        return -1;
    tick = event_new(lv.base, -1, EV_PERSIST, tick_cb, NULL);
    if (tick == NULL || event_add(tick, &tv) != 0)
        goto out;
    lv.st = store_open(path, lv.base, conc + 16, err);
    if (lv.st == NULL) {
        fprintf(stderr, "bench_store: %s\n", err);
        goto out;
    }
    commits0 = store_commits(lv.st);
    t0 = bench_ns();
    for (int i = 0; i < conc && lv.submitted < lv.total; i++)
        submit_one(&lv);
    event_base_dispatch(lv.base);
    el = bench_ns() - t0;
    uint64_t commits = store_commits(lv.st) - commits0;

    bench_lat_sort(&lv.lat);
    double secs = (double)el / 1e9;
    printf("  c=%-4d jobs/s %8.0f  commits/s %7.0f  jobs/commit %6.1f  "
           "latency ms p50 %7.2f  p99 %7.2f%s\n",
           conc, (double)n / secs, (double)commits / secs,
           commits ? (double)n / (double)commits : 0.0,
           bench_lat_pct(&lv.lat, 50) / 1000.0,
           bench_lat_pct(&lv.lat, 99) / 1000.0,
           lv.failed ? "  (some jobs FAILED)" : "");
    fflush(stdout);
    rc = lv.failed ? -1 : 0;
out:
    store_close(lv.st);
    if (tick != NULL)
        event_free(tick);
    event_base_free(lv.base);
    bench_lat_free(&lv.lat);
    return rc;
}

int
main(int argc, char **argv)
{
    const char *levels = "1,4,16,64,256", *tmp = getenv("TMPDIR");
    char dir[4096], *session, *list, *tok, *save = NULL;
    int conc[MAX_LEVELS], nlev = 0, opt, rc = 0;
    long n = 1000;

    while ((opt = getopt(argc, argv, "n:c:d:h")) != -1) {
        if (opt == 'n' && (n = atol(optarg)) > 0)
            continue;
        if (opt == 'c') {
            levels = optarg;
            continue;
        }
        if (opt == 'd') {
            tmp = optarg;
            continue;
        }
        fprintf(stderr, "usage: bench_store [-n JOBS] [-c 1,4,16,...] "
                        "[-d DIR]\n");
        return 2;
    }
    if ((list = strdup(levels)) == NULL)
        return 3;
    for (tok = strtok_r(list, ",", &save); tok && nlev < MAX_LEVELS;
         tok = strtok_r(NULL, ",", &save)) {
        if ((conc[nlev] = atoi(tok)) <= 0) {
            fprintf(stderr, "bench_store: bad concurrency \"%s\"\n", tok);
            free(list);
            return 2;
        }
        nlev++;
    }
    free(list);

    snprintf(dir, sizeof(dir), "%s/sk_bench_store_XXXXXX",
             tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("bench_store: mkdtemp");
        return 3;
    }
    if ((session = malloc(SESSION_LEN + 1)) == NULL)
        return 3;
    /* a JSON-looking string of the right size; the store does not parse it */
    memset(session, 'x', SESSION_LEN);
    memcpy(session, "{\"runs\":[{\"x\":\"", 14);
    memcpy(session + SESSION_LEN - 4, "\"}]}", 4);
    session[SESSION_LEN] = '\0';

    evthread_use_pthreads();
    printf("bench_store: %ld jobs per level, database in %s (fsync real)\n", n,
           dir);
    for (int i = 0; i < nlev; i++)
        if (run_level(dir, conc[i], n, session) != 0)
            rc = 1;
    printf("  peak RSS KiB %ld\n", bench_peak_rss_kib());
    nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
    free(session);
    return rc;
}
