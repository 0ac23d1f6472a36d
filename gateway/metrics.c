/*
 * metrics.c - plain counters, written and read on the loop thread only, so
 * no locks or atomics are needed. Rendering builds the text with
 * open_memstream().
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "metrics.h"

static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                 0.5,   1,    2.5,   5,    10};
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static const char *const error_kinds[METRICS_ERR_COUNT] = {
    "bad_request", "denied", "busy", "store", "engine", "internal", "send",
};

struct metrics_channel {
    char *name;
    uint64_t in, out;
    uint64_t errors[METRICS_ERR_COUNT];
    uint64_t capped[CAPS_COUNT];
};

struct metrics {
    struct metrics_channel *ch;
    size_t n;
    uint64_t bucket[N_BUCKETS]; /* not cumulative; summed when rendered */
    uint64_t count;
    double sum;
    bool scrub_pending;   /* erased data waits in the WAL for a reader */
    uint64_t scrub_waits; /* scrubs that had to wait so far */
};

struct metrics *
metrics_new(const char *const *names, size_t n)
{
    struct metrics *m = calloc(1, sizeof(*m));
    size_t i;

    if (m == NULL)
        return NULL;
    m->ch = calloc(n > 0 ? n : 1, sizeof(*m->ch));
    if (m->ch == NULL)
        goto fail;
    m->n = n;
    for (i = 0; i < n; i++)
        if ((m->ch[i].name = strdup(names[i])) == NULL)
            goto fail;
    return m;
fail:
    metrics_free(m);
    return NULL;
}

void
metrics_free(struct metrics *m)
{
    size_t i;

    if (m == NULL)
        return;
    for (i = 0; m->ch != NULL && i < m->n; i++)
        free(m->ch[i].name);
    free(m->ch);
    free(m);
}

void
metrics_message_in(struct metrics *m, size_t ch)
{
    if (m != NULL && ch < m->n)
        m->ch[ch].in++;
}

void
metrics_messages_out(struct metrics *m, size_t ch, uint64_t n)
{
    if (m != NULL && ch < m->n)
        m->ch[ch].out += n;
}

void
metrics_error(struct metrics *m, size_t ch, enum metrics_error kind)
{
    if (m != NULL && ch < m->n && kind < METRICS_ERR_COUNT)
        m->ch[ch].errors[kind]++;
}

void
metrics_capped(struct metrics *m, size_t ch, int cap, uint64_t n)
{
    if (m != NULL && ch < m->n && cap >= 0 && cap < CAPS_COUNT)
        m->ch[ch].capped[cap] += n;
}

void
metrics_store_scrub(struct metrics *m, bool pending, uint64_t waits)
{
    m->scrub_pending = pending;
    m->scrub_waits = waits;
}

void
metrics_observe_request(struct metrics *m, double seconds)
{
    size_t i;

    if (m == NULL)
        return;
    if (seconds < 0)
        seconds = 0;
    m->count++;
    m->sum += seconds;
    for (i = 0; i < N_BUCKETS; i++)
        if (seconds <= buckets[i]) {
            m->bucket[i]++;
            break;
        }
}

/* A label value with \, " and newline escaped as the format requires. */
static void
put_label(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '"')
            fputs("\\\"", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

static void
put_counter(FILE *f, const struct metrics *m, const char *name,
            const char *help, size_t off)
{
    size_t i;

    fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
    for (i = 0; i < m->n; i++) {
        const uint64_t *v = (const uint64_t *)((const char *)&m->ch[i] + off);

        fprintf(f, "%s{channel=\"", name);
        put_label(f, m->ch[i].name);
        fprintf(f, "\"} %llu\n", (unsigned long long)*v);
    }
}

char *
metrics_render(const struct metrics *m, uint64_t store_commits)
{
    char *buf = NULL;
    size_t len = 0, i, k;
    uint64_t cum = 0;
    FILE *f = open_memstream(&buf, &len);

    if (f == NULL)
        return NULL;
    put_counter(f, m, "sikiliza_messages_in_total",
                "Inbound messages accepted, by channel.",
                offsetof(struct metrics_channel, in));
    put_counter(f, m, "sikiliza_messages_out_total",
                "Messages sent (replies and outbox), by channel.",
                offsetof(struct metrics_channel, out));
    fputs("# HELP sikiliza_errors_total Failed requests, by channel and "
          "kind.\n# TYPE sikiliza_errors_total counter\n",
          f);
    for (i = 0; i < m->n; i++)
        for (k = 0; k < METRICS_ERR_COUNT; k++) {
            fputs("sikiliza_errors_total{channel=\"", f);
            put_label(f, m->ch[i].name);
            fprintf(f, "\",kind=\"%s\"} %llu\n", error_kinds[k],
                    (unsigned long long)m->ch[i].errors[k]);
        }
    fputs("# HELP sikiliza_messages_capped_total Messages not sent because "
          "of a cap, by channel and cap.\n"
          "# TYPE sikiliza_messages_capped_total counter\n",
          f);
    for (i = 0; i < m->n; i++)
        for (k = 0; k < CAPS_COUNT; k++) {
            fputs("sikiliza_messages_capped_total{channel=\"", f);
            put_label(f, m->ch[i].name);
            fprintf(f, "\",cap=\"%s\"} %llu\n", caps_name((enum caps_kind)k),
                    (unsigned long long)m->ch[i].capped[k]);
        }
    fputs("# HELP sikiliza_http_request_duration_seconds Time from a "
          "request's arrival to its reply.\n"
          "# TYPE sikiliza_http_request_duration_seconds histogram\n",
          f);
    for (i = 0; i < N_BUCKETS; i++) {
        cum += m->bucket[i];
        fprintf(f,
                "sikiliza_http_request_duration_seconds_bucket{le=\"%g\"} "
                "%llu\n",
                buckets[i], (unsigned long long)cum);
    }
    fprintf(f,
            "sikiliza_http_request_duration_seconds_bucket{le=\"+Inf\"} "
            "%llu\n",
            (unsigned long long)m->count);
    fprintf(f, "sikiliza_http_request_duration_seconds_sum %.6f\n", m->sum);
    fprintf(f, "sikiliza_http_request_duration_seconds_count %llu\n",
            (unsigned long long)m->count);
    fprintf(f,
            "# HELP sikiliza_store_commits_total Group COMMITs of the "
            "store.\n# TYPE sikiliza_store_commits_total counter\n"
            "sikiliza_store_commits_total %llu\n",
            (unsigned long long)store_commits);
    fprintf(f,
            "# HELP sikiliza_store_scrub_pending 1 while erased or purged "
            "data waits in the WAL for a reader to let go.\n"
            "# TYPE sikiliza_store_scrub_pending gauge\n"
            "sikiliza_store_scrub_pending %d\n"
            "# HELP sikiliza_store_scrub_waits_total Truncations of the WAL "
            "after an erasure that had to wait for a reader.\n"
            "# TYPE sikiliza_store_scrub_waits_total counter\n"
            "sikiliza_store_scrub_waits_total %llu\n",
            m->scrub_pending ? 1 : 0, (unsigned long long)m->scrub_waits);
    if (ferror(f)) {
        fclose(f);
        free(buf);
        return NULL;
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
