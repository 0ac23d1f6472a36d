/*
 * test_optout.c - the STOP and DELETE words and replies: a message opts
 * out when its words, with case, accents, punctuation and emoji ignored,
 * are all opt-out words (checked against the built-in lists of every
 * default language, as a config without them loads them), the STOP reply
 * names the restart keyword in capitals in the child's language, the
 * erase reply follows the language or the word used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "config.h"
#include "err.h"
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

/* The built-in lists, folded, as serve holds them. */
struct lists {
    char *stop[CONFIG_MAX_WORDS], *del[CONFIG_MAX_WORDS];
    size_t n_stop, n_del;
};

static int
setup_lists(void **state)
{
    char dir[] = "/tmp/sk-optout-XXXXXX", path[sizeof(dir) + 16];
    char err[SK_ERR_LEN] = "";
    struct lists *l = calloc(1, sizeof(*l));
    struct config *cfg;
    FILE *fp;

    if (l == NULL || mkdtemp(dir) == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/empty.conf", dir);
    if ((fp = fopen(path, "w")) == NULL || fclose(fp) != 0)
        return -1;
    cfg = config_load(path, err);
    unlink(path);
    rmdir(dir);
    if (cfg == NULL)
        return -1;
    l->n_stop = cfg->n_stop_words;
    l->n_del = cfg->n_delete_words;
    if (optout_fold_words(cfg->stop_words, l->n_stop, l->stop) != 0 ||
        optout_fold_words(cfg->delete_words, l->n_del, l->del) != 0) {
        config_free(cfg);
        return -1;
    }
    config_free(cfg);
    *state = l;
    return 0;
}

static int
teardown_lists(void **state)
{
    struct lists *l = *state;

    optout_words_free(l->stop, l->n_stop);
    optout_words_free(l->del, l->n_del);
    free(l);
    return 0;
}

static bool
is_stop(const struct lists *l, const char *text)
{
    return optout_match(l->stop, l->n_stop, text) >= 0;
}

static bool
is_delete(const struct lists *l, const char *text)
{
    return optout_match(l->del, l->n_del, text) >= 0;
}

static void
test_stop_as_typed(void **state)
{
    const struct lists *l = *state;
    static const char *const yes[] = {
        /* English: punctuation, case, emoji, repeats */
        "Stop!",
        "stop.",
        "STOP",
        "  stop \n",
        "STOP 🙏",
        "🙏 stop 🙏🏽",
        "stop!!!",
        "...stop...",
        "\"STOP\"",
        "STOP STOP",
        "stop, stop!",
        "Stop ❤️",
        "stop 👍🏽",
        "Unsubscribe.",
        "stop - cancel",
        "QUIT",
        /* French, with and without accents */
        "Arrête !",
        "arrete",
        "ARRÊTE",
        "Arrêter.",
        "arret",
        "ARRÊT!",
        "désabonner",
        "Désinscrire",
        "STOP !",
        /* Arabic, with trailing punctuation and vowel marks */
        "توقف",
        "توقف.",
        "توقف!",
        "توقف؟",
        "تَوَقَّفْ",
        "قف",
        "إيقاف",
        "ايقاف",
        "الغاء",
        "إلغاء.",
        "ستوب",
        " توقف 🙏",
        /* Swahili */
        "acha",
        "Acha!",
        "SIMAMA",
        "sitisha.",
        "wacha",
        /* Spanish, Portuguese */
        "¡Alto!",
        "para",
        "¡Para!",
        "parar",
        "Detener",
        "baja",
        "cancelar",
        "Pare!",
        "sair",
        "PARE.",
    };
    static const char *const no[] = {
        "stop hitting me",
        "please stop",
        "stopwatch",
        "stops",
        "stopped",
        "non-stop",
        "I want to stop",
        "stop 2",
        "s top",
        "st0p",
        "",
        "   ",
        "!!!",
        "🙏",
        "arrête de me frapper",
        "acha kunipiga",
        "توقف عن",
        "para mi mamá",
        "parada",
        "pares",
        NULL,
    };
    size_t i;

    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (!is_stop(l, yes[i]))
            fail_msg("not taken as STOP: \"%s\"", yes[i]);
    for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (is_stop(l, no[i]))
            fail_msg("taken as STOP: \"%s\"", no[i] ? no[i] : "(null)");
}

static void
test_delete_as_typed(void **state)
{
    const struct lists *l = *state;
    static const char *const yes[] = {
        "Delete!", "delete.",     "DELETE 🙏", " delete ", "DELETE DELETE",
        "erase",   "Supprimer !", "supprime", "Supprimé", "EFFACER",
        "efface.", "احذف",        "احذف.",    "حذف!",     "امسح",
        "futa",    "Futa!",       "borrar",   "¡Borra!",  "eliminar",
        "apagar",  "Apaga.",      "excluir",
    };
    static const char *const no[] = {
        "deleted",  "delete my number please",
        "undelete", "deletes",
        "futa hii", "borrador",
        "apagado",  "stop",
        "",         NULL,
    };
    size_t i;

    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (!is_delete(l, yes[i]))
            fail_msg("not taken as DELETE: \"%s\"", yes[i]);
    for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (is_delete(l, no[i]))
            fail_msg("taken as DELETE: \"%s\"", no[i] ? no[i] : "(null)");
}

/* STOP and DELETE words together erase (the stronger wins); any other
 * word makes it an answer. */
static void
test_classify(void **state)
{
    const struct lists *l = *state;
    static const struct {
        const char *text;
        enum optout_ask want;
        const char *word; /* the deciding entry, folded */
    } rows[] = {
        {"stop delete", OPTOUT_ERASE, "delete"},
        {"STOP, DELETE!", OPTOUT_ERASE, "delete"},
        {"delete stop", OPTOUT_ERASE, "delete"},
        {"Arrête supprimer", OPTOUT_ERASE, "supprimer"},
        {"stop futa", OPTOUT_ERASE, "futa"},
        {"delete", OPTOUT_ERASE, "delete"},
        {"Stop!", OPTOUT_STOP, "stop"},
        {"stop stop", OPTOUT_STOP, "stop"},
        {"stop delete me", OPTOUT_NONE, NULL},
        {"please stop", OPTOUT_NONE, NULL},
        {"hello", OPTOUT_NONE, NULL},
        {"", OPTOUT_NONE, NULL},
        {NULL, OPTOUT_NONE, NULL},
    };
    size_t i;
    int word;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        enum optout_ask got = optout_classify(l->stop, l->n_stop, l->del,
                                              l->n_del, rows[i].text, &word);

        if (got != rows[i].want)
            fail_msg("\"%s\": want %d, got %d",
                     rows[i].text ? rows[i].text : "(null)", rows[i].want, got);
        if (rows[i].want == OPTOUT_NONE) {
            assert_int_equal(word, -1);
            continue;
        }
        assert_true(word >= 0);
        assert_string_equal(got == OPTOUT_ERASE ? l->del[word] : l->stop[word],
                            rows[i].word);
    }
}

/* A first message, with no language yet, is answered in the language of
 * the word used: STOP as DELETE. */
static void
test_word_lang(void **state)
{
    const struct lists *l = *state;
    static const struct {
        const char *text, *lang;
    } rows[] = {
        {"Stop!", "eng"},     {"Arrête !", "fra"}, {"arrete", "fra"},
        {"توقف.", "ara"},     {"acha", "swa"},     {"Alto", "spa"},
        {"pare", "por"},      {"sair", "por"},     {"désinscrire", "fra"},
        {"wacha", "swa"},     {"cancelar", "spa"}, {"quit", "eng"},
        {"supprimer", "fra"},
    };
    size_t i;
    int word;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        enum optout_ask ask = optout_classify(l->stop, l->n_stop, l->del,
                                              l->n_del, rows[i].text, &word);
        const char *lang;

        assert_int_not_equal(ask, OPTOUT_NONE);
        lang =
            optout_word_lang(ask == OPTOUT_STOP ? l->stop[word] : l->del[word]);
        if (lang == NULL || strcmp(lang, rows[i].lang) != 0)
            fail_msg("\"%s\": want %s, got %s", rows[i].text, rows[i].lang,
                     lang ? lang : "(null)");
    }
    assert_null(optout_word_lang("hello"));
    assert_null(optout_word_lang(NULL));
}

/* A configured word of two words matches as a whole; a list entry that
 * folds to nothing matches nothing. */
static void
test_match_phrase(void **state)
{
    char *const words[] = {"Stop all", "!!", "Hapana"};
    char *folded[3];

    (void)state;
    assert_int_equal(optout_fold_words(words, 3, folded), 0);
    assert_string_equal(folded[0], "stop all");
    assert_string_equal(folded[1], "");
    assert_int_equal(optout_match(folded, 3, "STOP ALL!"), 0);
    assert_int_equal(optout_match(folded, 3, "stop"), -1);
    assert_int_equal(optout_match(folded, 3, "!!"), -1);
    assert_int_equal(optout_match(folded, 3, "hapana, HAPANA"), 2);
    optout_words_free(folded, 3);
}

/* The erase reply follows the word, however it was typed or listed. */
static void
test_erase_reply_by_word(void **state)
{
    const struct lists *l = *state;
    int w;

    w = optout_match(l->del, l->n_del, "Efface !");
    assert_true(w >= 0);
    assert_non_null(strstr(optout_erase_reply(NULL, l->del[w]), "effacé"));
    w = optout_match(l->del, l->n_del, "Apaga!");
    assert_true(w >= 0);
    assert_non_null(strstr(optout_erase_reply(NULL, l->del[w]), "apagado"));
    w = optout_match(l->del, l->n_del, "امسح.");
    assert_true(w >= 0);
    assert_non_null(strstr(optout_erase_reply(NULL, l->del[w]), "حذف"));
    w = optout_match(l->del, l->n_del, "Eliminar");
    assert_true(w >= 0);
    assert_non_null(strstr(optout_erase_reply(NULL, l->del[w]), "borrado"));
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
    assert_string_equal(optout_stop_reply("por", "ola", buf),
                        "Não vais receber mais mensagens nossas. Para "
                        "recomeçar, envia OLA.");
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
    assert_non_null(strstr(optout_erase_reply("por", NULL), "apagado"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test_setup_teardown(test_stop_as_typed, setup_lists,
                                        teardown_lists),
        cmocka_unit_test_setup_teardown(test_delete_as_typed, setup_lists,
                                        teardown_lists),
        cmocka_unit_test_setup_teardown(test_classify, setup_lists,
                                        teardown_lists),
        cmocka_unit_test_setup_teardown(test_word_lang, setup_lists,
                                        teardown_lists),
        cmocka_unit_test(test_match_phrase),
        cmocka_unit_test_setup_teardown(test_erase_reply_by_word, setup_lists,
                                        teardown_lists),
        cmocka_unit_test(test_stop_reply),
        cmocka_unit_test(test_erase_reply),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
