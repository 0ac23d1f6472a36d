/*
 * bench_common.h - small helpers shared by the benchmarks: a monotonic
 * clock, a latency sample that gives percentiles, and the process's peak
 * RSS. Header-only so each benchmark stays one file plus this.
 */
#ifndef SK_BENCH_COMMON_H
#define SK_BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* Monotonic time in nanoseconds. */
static inline int64_t
bench_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Latencies in nanoseconds; grows as needed. */
struct bench_lat {
    int64_t *v;
    size_t n, cap;
};

static inline int
bench_lat_add(struct bench_lat *l, int64_t ns)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        int64_t *v = realloc(l->v, cap * sizeof(*v));

        if (v == NULL)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = ns;
    return 0;
}

static inline int
bench_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/* Sorts the sample; call once before bench_lat_pct(). */
static inline void
bench_lat_sort(struct bench_lat *l)
{
    if (l->n > 0)
        qsort(l->v, l->n, sizeof(*l->v), bench_cmp_i64);
}

/* The p-th percentile (0..100) in microseconds, nearest rank. */
static inline double
bench_lat_pct(const struct bench_lat *l, double p)
{
    size_t i;

    if (l->n == 0)
        return 0.0;
    i = (size_t)(p / 100.0 * (double)l->n);
    if (i >= l->n)
        i = l->n - 1;
    return (double)l->v[i] / 1000.0;
}

static inline void
bench_lat_free(struct bench_lat *l)
{
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* This process's peak resident set size in KiB. */
static inline long
bench_peak_rss_kib(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return ru.ru_maxrss;
}

#endif
