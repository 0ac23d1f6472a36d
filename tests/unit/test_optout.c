/*
 * test_optout.c - the STOP and DELETE words and replies: matching is
 * trimmed and case-folded, the STOP reply names the restart keyword in
 * capitals in the child's language, the erase reply follows the language
 * or the word used.
 */
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "optout.h"

static void
test_match(void **state)
{
    char *const words[] = {"STOP", "Arrêter"};
    char *folded[2];

    (void)state;
    assert_int_equal(optout_fold_words(words, 2, folded), 0);
    assert_int_equal(optout_match(folded, 2, "  stop \n"), 0);
    assert_int_equal(optout_match(folded, 2, "ARRÊTER"), 1);
    assert_int_equal(optout_match(folded, 2, "stop now"), -1);
    assert_int_equal(optout_match(folded, 2, NULL), -1);
    optout_words_free(folded, 2);
    assert_null(folded[0]);
}

static void
test_stop_reply(void **state)
{
    char buf[OPTOUT_STOP_REPLY_MAX];

    (void)state;
    assert_string_equal(optout_stop_reply("eng", "hi", buf),
                        "You will get no more messages from us. To start "
                        "again, send HI.");
    assert_string_equal(optout_stop_reply("fra", "bonjour", buf),
                        "Tu ne recevras plus de messages de notre part. Pour "
                        "recommencer, envoie BONJOUR.");
    /* unknown language: English; no keyword: no restart sentence */
    assert_string_equal(optout_stop_reply("xyz", NULL, buf),
                        "You will get no more messages from us.");
    assert_string_equal(optout_stop_reply(NULL, NULL, buf),
                        "You will get no more messages from us.");
}

static void
test_erase_reply(void **state)
{
    const char *eng = optout_erase_reply(NULL, NULL);

    (void)state;
    assert_non_null(strstr(eng, "deleted"));
    assert_non_null(strstr(optout_erase_reply(NULL, "supprimer"), "effacé"));
    assert_non_null(strstr(optout_erase_reply("swa", "delete"), "kimefutwa"));
    assert_ptr_equal(optout_erase_reply("xyz", NULL), eng);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_stop_reply),
        cmocka_unit_test(test_erase_reply),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
