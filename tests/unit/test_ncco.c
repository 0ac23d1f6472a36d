/*
 * test_ncco.c - the NCCO writer: each action as Vonage's NCCO reference
 * spells it, values kept in Vonage's ranges, text escaped as JSON, and a
 * failed addition reported by ncco_dump().
 */
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <jansson.h>

#include "ncco.h"

/* The NCCO's text, malloc'd. */
static char *
dump(struct ncco *n)
{
    size_t len = 0;
    char *s = ncco_dump(n, &len);

    assert_non_null(s);
    assert_int_equal(len, strlen(s));
    return s;
}

static void
test_talk_stream(void **state)
{
    struct ncco *n = ncco_new();
    char *s;

    (void)state;
    assert_non_null(n);
    s = dump(n);
    assert_string_equal(s, "[]"); /* nothing: Vonage hangs up */
    free(s);
    ncco_talk(n, "Bonjour \"toi\" & <moi>\n", "fr-FR", false);
    ncco_talk(n, "Hi", NULL, true);
    ncco_stream(n, "https://hotline.example.org/prompts/eng/q1.wav", false);
    s = dump(n);
    assert_string_equal(
        s, "[{\"action\":\"talk\",\"text\":\"Bonjour \\\"toi\\\" & <moi>\\n\","
           "\"language\":\"fr-FR\"},"
           "{\"action\":\"talk\",\"text\":\"Hi\",\"bargeIn\":true},"
           "{\"action\":\"stream\",\"streamUrl\":"
           "[\"https://hotline.example.org/prompts/eng/q1.wav\"]}]");
    free(s);
    ncco_free(n);
    ncco_free(NULL);
}

static void
test_input(void **state)
{
    struct ncco *n = ncco_new();
    char *s;

    (void)state;
    ncco_input(n, &(struct ncco_input){.event_url = "https://h.example/g?n=1",
                                       .max_digits = 2,
                                       .submit_on_hash = true,
                                       .timeout_s = 7});
    s = dump(n);
    assert_string_equal(s,
                        "[{\"action\":\"input\",\"type\":[\"dtmf\"],\"dtmf\":"
                        "{\"maxDigits\":2,\"submitOnHash\":true,\"timeOut\":7},"
                        "\"eventUrl\":[\"https://h.example/g?n=1\"],"
                        "\"eventMethod\":\"POST\"}]");
    free(s);
    ncco_free(n);

    /* out of Vonage's ranges: kept in them; speech saves its audio */
    n = ncco_new();
    ncco_input(n, &(struct ncco_input){.event_url = "https://h.example/r",
                                       .max_digits = 0,
                                       .timeout_s = 600,
                                       .speech = true,
                                       .language = "en-US",
                                       .speech_max_s = 120,
                                       .speech_silence_s = 0,
                                       .speech_start_s = 5});
    s = dump(n);
    assert_string_equal(
        s, "[{\"action\":\"input\",\"type\":[\"dtmf\",\"speech\"],\"dtmf\":"
           "{\"maxDigits\":20,\"submitOnHash\":false,\"timeOut\":10},"
           "\"speech\":{\"language\":\"en-US\",\"endOnSilence\":1,"
           "\"startTimeout\":5,\"maxDuration\":60,\"saveAudio\":true},"
           "\"eventUrl\":[\"https://h.example/r\"],\"eventMethod\":\"POST\"}]");
    free(s);
    ncco_free(n);
}

static void
test_bad_text(void **state)
{
    struct ncco *n = ncco_new();
    size_t len = 99;

    (void)state;
    ncco_talk(n, "ok", NULL, false);
    ncco_talk(n, "\xff\xfe not UTF-8", NULL, false); /* jansson refuses */
    assert_null(ncco_dump(n, &len));
    assert_int_equal(len, 0);
    ncco_talk(n, "later", NULL, false); /* the failure sticks */
    assert_null(ncco_dump(n, &len));
    ncco_free(n);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_talk_stream),
        cmocka_unit_test(test_input),
        cmocka_unit_test(test_bad_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
