/*
 * test_flow_wait.c - what a waiting run asks for (flow_wait.h): hints with
 * a digit count or a terminator, a recording, the language the run
 * speaks, and the closed sets of words its routers tell apart (in the
 * flow's language and its translations), and open routers refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "flow.h"
#include "flow_wait.h"

#define NOW 1700000000000LL

/* A voice flow: a digit question (count 1, yes/no words), a terminated
 * PIN-like answer (has_number_between), then an open recording. */
static const char voice_flow[] =
    "{\"uuid\":\"a0000000-0000-4000-8000-000000000001\","
    "\"name\":\"Voice Test\",\"spec_version\":\"13.5.0\",\"language\":\"eng\","
    "\"type\":\"voice\",\"revision\":1,\"expire_after_minutes\":5,"
    "\"localization\":{\"fra\":{"
    " \"c0000000-0000-4000-8000-000000000001\":{\"arguments\":[\"1 oui\"]},"
    " \"c0000000-0000-4000-8000-000000000002\":{\"arguments\":[\"2 non\"]}}},"
    "\"nodes\":["
    "{\"uuid\":\"n0000000-0000-4000-8000-000000000001\",\"actions\":["
    "  {\"uuid\":\"b0000000-0000-4000-8000-000000000001\",\"type\":\"say_msg\","
    "   \"text\":\"Yes press 1, no press 2\"}],"
    " \"router\":{\"type\":\"switch\",\"operand\":\"@input.text\","
    "  \"wait\":{\"type\":\"msg\",\"timeout\":{\"seconds\":10,"
    "   \"category_uuid\":\"d0000000-0000-4000-8000-000000000004\"},"
    "   \"hint\":{\"type\":\"digits\",\"count\":1}},"
    "  \"result_name\":\"Q1\","
    "  \"cases\":["
    "   {\"uuid\":\"c0000000-0000-4000-8000-000000000001\","
    "    \"type\":\"has_any_word\",\"arguments\":[\"1 yes Yes\"],"
    "    \"category_uuid\":\"d0000000-0000-4000-8000-000000000001\"},"
    "   {\"uuid\":\"c0000000-0000-4000-8000-000000000002\","
    "    \"type\":\"has_any_word\",\"arguments\":[\"2 no\"],"
    "    \"category_uuid\":\"d0000000-0000-4000-8000-000000000002\"}],"
    "  \"categories\":["
    "   {\"uuid\":\"d0000000-0000-4000-8000-000000000001\",\"name\":\"Yes\","
    "    \"exit_uuid\":\"e0000000-0000-4000-8000-000000000001\"},"
    "   {\"uuid\":\"d0000000-0000-4000-8000-000000000002\",\"name\":\"No\","
    "    \"exit_uuid\":\"e0000000-0000-4000-8000-000000000002\"},"
    "   {\"uuid\":\"d0000000-0000-4000-8000-000000000003\",\"name\":\"Other\","
    "    \"exit_uuid\":\"e0000000-0000-4000-8000-000000000003\"},"
    "   {\"uuid\":\"d0000000-0000-4000-8000-000000000004\","
    "    \"name\":\"No Response\","
    "    \"exit_uuid\":\"e0000000-0000-4000-8000-000000000004\"}],"
    "  \"default_category_uuid\":\"d0000000-0000-4000-8000-000000000003\"},"
    " \"exits\":["
    "  {\"uuid\":\"e0000000-0000-4000-8000-000000000001\","
    "   \"destination_uuid\":\"n0000000-0000-4000-8000-000000000002\"},"
    "  {\"uuid\":\"e0000000-0000-4000-8000-000000000002\","
    "   \"destination_uuid\":\"n0000000-0000-4000-8000-000000000002\"},"
    "  {\"uuid\":\"e0000000-0000-4000-8000-000000000003\","
    "   \"destination_uuid\":\"n0000000-0000-4000-8000-000000000002\"},"
    "  {\"uuid\":\"e0000000-0000-4000-8000-000000000004\","
    "   \"destination_uuid\":\"n0000000-0000-4000-8000-000000000002\"}]},"
    "{\"uuid\":\"n0000000-0000-4000-8000-000000000002\",\"actions\":[],"
    " \"router\":{\"type\":\"switch\",\"operand\":\"@input.text\","
    "  \"wait\":{\"type\":\"msg\","
    "   \"hint\":{\"type\":\"digits\",\"terminated_by\":\"#\"}},"
    "  \"cases\":["
    "   {\"uuid\":\"c0000000-0000-4000-8000-000000000003\","
    "    \"type\":\"has_number_between\",\"arguments\":[\"1\",\"3\"],"
    "    \"category_uuid\":\"d0000000-0000-4000-8000-000000000005\"}],"
    "  \"categories\":["
    "   {\"uuid\":\"d0000000-0000-4000-8000-000000000005\",\"name\":\"Low\","
    "    \"exit_uuid\":\"e0000000-0000-4000-8000-000000000005\"},"
    "   {\"uuid\":\"d0000000-0000-4000-8000-000000000006\",\"name\":\"Other\","
    "    \"exit_uuid\":\"e0000000-0000-4000-8000-000000000006\"}],"
    "  \"default_category_uuid\":\"d0000000-0000-4000-8000-000000000006\"},"
    " \"exits\":["
    "  {\"uuid\":\"e0000000-0000-4000-8000-000000000005\","
    "   \"destination_uuid\":\"n0000000-0000-4000-8000-000000000003\"},"
    "  {\"uuid\":\"e0000000-0000-4000-8000-000000000006\","
    "   \"destination_uuid\":\"n0000000-0000-4000-8000-000000000003\"}]},"
    "{\"uuid\":\"n0000000-0000-4000-8000-000000000003\",\"actions\":[],"
    " \"router\":{\"type\":\"switch\",\"operand\":\"@input.text\","
    "  \"wait\":{\"type\":\"msg\",\"hint\":{\"type\":\"audio\"}},"
    "  \"cases\":["
    "   {\"uuid\":\"c0000000-0000-4000-8000-000000000004\","
    "    \"type\":\"has_text\",\"arguments\":[],"
    "    \"category_uuid\":\"d0000000-0000-4000-8000-000000000007\"}],"
    "  \"categories\":["
    "   {\"uuid\":\"d0000000-0000-4000-8000-000000000007\",\"name\":\"Has\","
    "    \"exit_uuid\":\"e0000000-0000-4000-8000-000000000007\"},"
    "   {\"uuid\":\"d0000000-0000-4000-8000-000000000008\",\"name\":\"Other\","
    "    \"exit_uuid\":\"e0000000-0000-4000-8000-000000000008\"}],"
    "  \"default_category_uuid\":\"d0000000-0000-4000-8000-000000000008\"},"
    " \"exits\":["
    "  {\"uuid\":\"e0000000-0000-4000-8000-000000000007\"},"
    "  {\"uuid\":\"e0000000-0000-4000-8000-000000000008\"}]}]}";

struct fx {
    struct flow_set *set;
    struct flow_session *s;
};

static void
diag_print(void *arg, const char *flow, const char *node, const char *reason)
{
    (void)arg;
    fprintf(stderr, "diag: %s %s %s\n", flow ? flow : "-", node ? node : "-",
            reason);
}

static void
fx_start(struct fx *x, const char *lang)
{
    char err[SK_ERR_LEN] = "";
    json_t *ev = json_array();

    x->set = flow_set_new();
    assert_non_null(x->set);
    assert_int_equal(flow_set_add_json(x->set, voice_flow, strlen(voice_flow),
                                       diag_print, NULL),
                     0);
    assert_int_equal(flow_set_link(x->set, diag_print, NULL), 0);
    x->s = flow_session_new(lang, 1);
    assert_non_null(x->s);
    assert_int_equal(
        flow_start(x->set, x->s, flow_set_at(x->set, 0), NULL, NOW, ev, err),
        0);
    json_decref(ev);
}

static void
fx_answer(struct fx *x, const char *text)
{
    char err[SK_ERR_LEN] = "";
    struct flow_resume r = {FLOW_RESUME_MSG, text};
    json_t *ev = json_array();

    assert_int_equal(flow_resume(x->set, x->s, &r, NOW, ev, err), 0);
    json_decref(ev);
}

static void
fx_free(struct fx *x)
{
    flow_session_free(x->s);
    flow_set_free(x->set);
}

static bool
has(const struct flow_choices *c, const char *w)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i], w) == 0)
            return true;
    return false;
}

static void
test_digits_count(void **state)
{
    struct fx x;
    struct flow_wait w;

    (void)state;
    fx_start(&x, NULL);
    assert_int_equal(flow_wait_get(x.set, x.s, &w), 0);
    assert_int_equal(w.kind, FLOW_WAIT_DIGITS);
    assert_int_equal(w.digits, 1);
    assert_string_equal(w.terminator, "");
    assert_int_equal(w.timeout_s, 10);
    assert_string_equal(w.lang, "eng");
    assert_string_equal(flow_name(w.flow), "Voice Test");
    fx_free(&x);
}

static void
test_terminator_and_audio(void **state)
{
    struct fx x;
    struct flow_wait w;
    struct flow_choices c;

    (void)state;
    fx_start(&x, "fra");
    fx_answer(&x, "1");
    assert_int_equal(flow_wait_get(x.set, x.s, &w), 0);
    assert_int_equal(w.kind, FLOW_WAIT_DIGITS);
    assert_int_equal(w.digits, 0);
    assert_string_equal(w.terminator, "#");
    assert_int_equal(w.timeout_s, 0);
    assert_string_equal(w.lang, "fra");
    assert_int_equal(flow_wait_choices(x.set, x.s, NULL, &c), 0);
    assert_int_equal(c.n, 3);
    assert_true(has(&c, "un") && has(&c, "deux") && has(&c, "trois"));
    flow_choices_clear(&c);
    fx_answer(&x, "2");
    assert_int_equal(flow_wait_get(x.set, x.s, &w), 0);
    assert_int_equal(w.kind, FLOW_WAIT_AUDIO);
    /* has_text takes any answer: no closed set */
    assert_int_equal(flow_wait_choices(x.set, x.s, NULL, &c), SK_ENOENT);
    assert_null(c.v);
    fx_answer(&x, "anything");
    assert_int_equal(flow_wait_get(x.set, x.s, &w), SK_ENOENT);
    assert_int_equal(flow_wait_choices(x.set, x.s, NULL, &c), SK_ENOENT);
    fx_free(&x);
}

static void
test_choices_languages(void **state)
{
    struct fx x;
    struct flow_choices c;

    (void)state;
    fx_start(&x, NULL);
    assert_int_equal(flow_wait_choices(x.set, x.s, NULL, &c), 0);
    /* "1 yes Yes" and "2 no": digits as words, folded, no repeats */
    assert_int_equal(c.n, 4);
    assert_true(has(&c, "one") && has(&c, "yes") && has(&c, "two") &&
                has(&c, "no"));
    flow_choices_clear(&c);
    assert_int_equal(flow_wait_choices(x.set, x.s, "fra", &c), 0);
    assert_int_equal(c.n, 4);
    assert_true(has(&c, "un") && has(&c, "oui") && has(&c, "deux") &&
                has(&c, "non"));
    flow_choices_clear(&c);
    /* Swahili: no translation, the base arguments with Swahili numbers */
    assert_int_equal(flow_wait_choices(x.set, x.s, "swa", &c), 0);
    assert_true(has(&c, "moja") && has(&c, "mbili") && has(&c, "yes"));
    assert_false(has(&c, "one"));
    flow_choices_clear(&c);
    flow_choices_clear(NULL);
    fx_free(&x);
}

static void
test_lang_and_words(void **state)
{
    struct fx x;

    (void)state;
    fx_start(&x, "ara"); /* not a language of the flow */
    assert_string_equal(flow_wait_lang(flow_set_at(x.set, 0), "ara"), "eng");
    assert_string_equal(flow_wait_lang(flow_set_at(x.set, 0), "fra"), "fra");
    assert_string_equal(flow_wait_lang(flow_set_at(x.set, 0), NULL), "eng");
    assert_string_equal(flow_wait_number_word("eng", 10), "ten");
    assert_string_equal(flow_wait_number_word("swa", 1), "moja");
    assert_string_equal(flow_wait_number_word("ara", 0), "sifr");
    assert_null(flow_wait_number_word("eng", 11));
    assert_null(flow_wait_number_word("zul", 1));
    assert_null(flow_wait_number_word(NULL, 1));
    fx_free(&x);
}

static void
test_example_voice_flow(void **state)
{
    const char *src = getenv("SK_SOURCE_DIR");
    char path[1024], err[SK_ERR_LEN] = "";
    struct flow_set *set;
    struct flow_session *s;
    struct flow_choices c;
    struct flow_wait w;
    json_t *ev = json_array();
    FILE *fp;
    char *buf;
    long n;

    (void)state;
    if (src == NULL)
        skip();
    snprintf(path, sizeof(path), "%s/flows/examples/wellbeing_check_voice.json",
             src);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    n = ftell(fp);
    rewind(fp);
    buf = malloc((size_t)n);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    set = flow_set_new();
    assert_int_equal(flow_set_add_json(set, buf, (size_t)n, diag_print, NULL),
                     0);
    free(buf);
    s = flow_session_new(NULL, 1);
    assert_int_equal(flow_start(set, s,
                                flow_set_find(set, "Wellbeing Check "
                                                   "Voice"),
                                NULL, NOW, ev, err),
                     0);
    assert_int_equal(flow_wait_get(set, s, &w), 0);
    assert_int_equal(w.kind, FLOW_WAIT_DIGITS);
    assert_int_equal(flow_wait_choices(set, s, NULL, &c), 0);
    assert_true(has(&c, "one") && has(&c, "english") && has(&c, "français"));
    flow_choices_clear(&c);
    json_decref(ev);
    flow_session_free(s);
    flow_set_free(set);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digits_count),
        cmocka_unit_test(test_terminator_and_audio),
        cmocka_unit_test(test_choices_languages),
        cmocka_unit_test(test_lang_and_words),
        cmocka_unit_test(test_example_voice_flow),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
