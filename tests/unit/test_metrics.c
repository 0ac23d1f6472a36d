/*
 * test_metrics.c - counters and the histogram rendered in the Prometheus
 * text format.
 */
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "caps.h"
#include "metrics.h"

static void
assert_has(const char *text, const char *line)
{
    if (strstr(text, line) == NULL)
        fail_msg("missing \"%s\" in:\n%s", line, text);
}

static void
test_empty(void **state)
{
    struct metrics *m = metrics_new(NULL, 0);
    char *t;

    (void)state;
    assert_non_null(m);
    t = metrics_render(m, 0);
    assert_non_null(t);
    assert_has(t, "# TYPE sikiliza_messages_in_total counter\n");
    assert_has(t, "# TYPE sikiliza_http_request_duration_seconds "
                  "histogram\n");
    assert_has(t, "sikiliza_http_request_duration_seconds_bucket{le=\"+Inf\"}"
                  " 0\n");
    assert_has(t, "sikiliza_http_request_duration_seconds_count 0\n");
    free(t);
    metrics_free(m);
    metrics_free(NULL);
}

static void
test_counters(void **state)
{
    const char *names[] = {"demo", "we\"ird"};
    struct metrics *m = metrics_new(names, 2);
    char *t;

    (void)state;
    metrics_message_in(m, 0);
    metrics_message_in(m, 0);
    metrics_message_in(m, 1);
    metrics_message_in(m, 7); /* ignored */
    metrics_messages_out(m, 0, 3);
    metrics_error(m, 1, METRICS_ERR_DENIED);
    metrics_error(m, 1, METRICS_ERR_DENIED);
    metrics_error(m, 0, METRICS_ERR_BAD_REQUEST);
    metrics_capped(m, 0, CAPS_CONTACT_DAY, 4);
    metrics_capped(m, 0, CAPS_CONTACT_DAY, 1);
    metrics_capped(m, 1, CAPS_CHANNEL_MINUTE, 2);
    metrics_capped(m, 1, CAPS_COUNT, 9); /* ignored */
    t = metrics_render(m, 0);
    assert_non_null(t);
    assert_has(t, "sikiliza_messages_in_total{channel=\"demo\"} 2\n");
    assert_has(t, "sikiliza_messages_in_total{channel=\"we\\\"ird\"} 1\n");
    assert_has(t, "sikiliza_messages_out_total{channel=\"demo\"} 3\n");
    assert_has(t, "sikiliza_messages_out_total{channel=\"we\\\"ird\"} 0\n");
    assert_has(t, "sikiliza_errors_total{channel=\"we\\\"ird\","
                  "kind=\"denied\"} 2\n");
    assert_has(t, "sikiliza_errors_total{channel=\"demo\","
                  "kind=\"bad_request\"} 1\n");
    assert_has(t, "sikiliza_errors_total{channel=\"demo\",kind=\"store\"} "
                  "0\n");
    assert_has(t, "# TYPE sikiliza_messages_capped_total counter\n");
    assert_has(t, "sikiliza_messages_capped_total{channel=\"demo\","
                  "cap=\"contact_day\"} 5\n");
    assert_has(t, "sikiliza_messages_capped_total{channel=\"demo\","
                  "cap=\"per_inbound\"} 0\n");
    assert_has(t, "sikiliza_messages_capped_total{channel=\"we\\\"ird\","
                  "cap=\"channel_minute\"} 2\n");
    free(t);
    metrics_free(m);
}

static void
test_histogram(void **state)
{
    struct metrics *m = metrics_new(NULL, 0);
    char *t;

    (void)state;
    metrics_observe_request(m, 0.001);
    metrics_observe_request(m, 0.02);
    metrics_observe_request(m, 0.02);
    metrics_observe_request(m, 3.0);
    metrics_observe_request(m, 60.0);
    t = metrics_render(m, 42);
    assert_non_null(t);
    assert_has(t, "# TYPE sikiliza_store_commits_total counter\n"
                  "sikiliza_store_commits_total 42\n");
    assert_has(t, "_bucket{le=\"0.005\"} 1\n");
    assert_has(t, "_bucket{le=\"0.01\"} 1\n");
    assert_has(t, "_bucket{le=\"0.025\"} 3\n");
    assert_has(t, "_bucket{le=\"2.5\"} 3\n");
    assert_has(t, "_bucket{le=\"5\"} 4\n");
    assert_has(t, "_bucket{le=\"10\"} 4\n");
    assert_has(t, "_bucket{le=\"+Inf\"} 5\n");
    assert_has(t, "sikiliza_http_request_duration_seconds_sum 63.041000\n");
    assert_has(t, "sikiliza_http_request_duration_seconds_count 5\n");
    free(t);
    metrics_free(m);
}

/* Erased data waiting in the WAL for a reader shows, without a key. */
static void
test_store_scrub(void **state)
{
    struct metrics *m = metrics_new(NULL, 0);
    char *t;

    (void)state;
    t = metrics_render(m, 0);
    assert_non_null(t);
    assert_has(t, "# TYPE sikiliza_store_scrub_pending gauge\n"
                  "sikiliza_store_scrub_pending 0\n");
    assert_has(t, "sikiliza_store_scrub_waits_total 0\n");
    free(t);
    metrics_store_scrub(m, true, 3);
    t = metrics_render(m, 0);
    assert_non_null(t);
    assert_has(t, "sikiliza_store_scrub_pending 1\n");
    assert_has(t, "# TYPE sikiliza_store_scrub_waits_total counter\n"
                  "sikiliza_store_scrub_waits_total 3\n");
    free(t);
    metrics_free(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_counters),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_store_scrub),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
