/*
 * flow_wait.c - what a waiting run asks for (see flow_wait.h): read from
 * the waiting node of the loaded definition, never from the session's
 * events, so a voice channel can render the question again (a retry, a
 * re-ask after "not understood") from the stored session alone.
 */
#include <stdlib.h>
#include <string.h>

#include "flow_int.h"
#include "flow_wait.h"
#include "text.h"

#define CHOICES_MAX 64 /* a grammar of more words than this is no help */

const char *
flow_wait_lang(const struct flow *f, const char *lang)
{
    const char *l;
    size_t i;

    if (lang != NULL)
        for (i = 0; (l = flow_lang_at(f, i)) != NULL; i++)
            if (strcmp(l, lang) == 0)
                return l;
    return f->language != NULL ? f->language : "eng";
}

/* The waiting flow and node of s, or SK_ENOENT. */
static int
waiting_node(const struct flow_set *set, const struct flow_session *s,
             const struct flow **fp, const struct fl_node **np, int *idx)
{
    const char *fid = flow_session_flow(s), *nid = flow_session_node(s);
    const struct flow *f;

    if (fid == NULL || nid == NULL || (f = flow_set_find(set, fid)) == NULL)
        return SK_ENOENT;
    if ((*idx = fl_node_index(f, nid)) < 0 || !f->nodes[*idx].wait)
        return SK_ENOENT;
    *fp = f;
    *np = &f->nodes[*idx];
    return 0;
}

int
flow_wait_get(const struct flow_set *set, const struct flow_session *s,
              struct flow_wait *w)
{
    const struct flow *f;
    const struct fl_node *n;
    const json_t *hint;
    const char *term;
    json_int_t count;
    int idx;

    memset(w, 0, sizeof(*w));
    if (waiting_node(set, s, &f, &n, &idx) != 0)
        return SK_ENOENT;
    w->flow = f;
    w->timeout_s = n->timeout_s;
    w->lang = flow_wait_lang(f, flow_session_language(s));
    w->kind = FLOW_WAIT_TEXT;
    if (n->hint == NULL)
        return 0;
    if (strcmp(n->hint, "audio") == 0) {
        w->kind = FLOW_WAIT_AUDIO;
        return 0;
    }
    w->kind = FLOW_WAIT_DIGITS;
    hint = json_object_get(
        json_object_get(
            json_object_get(
                json_array_get(json_object_get(f->def, "nodes"), (size_t)idx),
                "router"),
            "wait"),
        "hint");
    count = json_integer_value(json_object_get(hint, "count"));
    if (count > 0 && count <= FLOW_WAIT_MAX_DIGITS)
        w->digits = (int)count;
    term = json_string_value(json_object_get(hint, "terminated_by"));
    if (term != NULL && strlen(term) < sizeof(w->terminator))
        strcpy(w->terminator, term);
    return 0;
}

/* --- closed sets --------------------------------------------------------- */

static const struct {
    const char *lang;
    const char *words[11];
} number_words[] = {
    {"eng",
     {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
      "nine", "ten"}},
    {"fra",
     {"zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit",
      "neuf", "dix"}},
    {"swa",
     {"sifuri", "moja", "mbili", "tatu", "nne", "tano", "sita", "saba", "nane",
      "tisa", "kumi"}},
    {"ara",
     {"sifr", "wahid", "ithnan", "thalatha", "arbaa", "khamsa", "sitta",
      "sabaa", "thamaniya", "tisaa", "ashara"}},
};

const char *
flow_wait_number_word(const char *lang, int n)
{
    size_t i;

    if (lang == NULL || n < 0 || n > 10)
        return NULL;
    for (i = 0; i < sizeof(number_words) / sizeof(number_words[0]); i++)
        if (strcmp(number_words[i].lang, lang) == 0)
            return number_words[i].words[n];
    return NULL;
}

void
flow_choices_clear(struct flow_choices *c)
{
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < c->n; i++)
        free(c->v[i]);
    free(c->v);
    memset(c, 0, sizeof(*c));
}

/* Adds a folded copy of word unless it is there already. */
static int
choices_add(struct flow_choices *c, const char *word)
{
    char *w;
    size_t i;

    if (word == NULL || word[0] == '\0')
        return 0;
    if ((w = text_fold(word)) == NULL)
        return SK_ENOMEM;
    for (i = 0; i < c->n; i++)
        if (strcmp(c->v[i], w) == 0) {
            free(w);
            return 0;
        }
    if (c->n == CHOICES_MAX) {
        free(w);
        return SK_ENOENT; /* too many to be a closed set worth the name */
    }
    if (c->v == NULL && (c->v = calloc(CHOICES_MAX, sizeof(*c->v))) == NULL) {
        free(w);
        return SK_ENOMEM;
    }
    c->v[c->n++] = w;
    return 0;
}

/* A number 0..10 written in digits alone ("3"), or -1. */
static int
small_number(const char *s)
{
    char *end;
    long v;

    if (s[0] < '0' || s[0] > '9')
        return -1;
    v = strtol(s, &end, 10);
    return *end == '\0' && v >= 0 && v <= 10 ? (int)v : -1;
}

/* Adds each word of text; a number in digits becomes its word in lang. */
static int
choices_add_words(struct flow_choices *c, const char *text, const char *lang)
{
    size_t n, i;
    char **words = text_words(text, &n);
    int rc = 0, num;

    if (words == NULL)
        return SK_ENOMEM;
    for (i = 0; rc == 0 && i < n; i++) {
        num = small_number(words[i]);
        if (num >= 0)
            rc = choices_add(c, flow_wait_number_word(lang, num));
        else if (words[i][0] >= '0' && words[i][0] <= '9')
            continue; /* a longer number is no spoken word */
        else
            rc = choices_add(c, words[i]);
    }
    text_words_free(words);
    return rc;
}

/* Adds the numbers from..to (0..10) as words of lang. */
static int
choices_add_range(struct flow_choices *c, const char *from, const char *to,
                  const char *lang)
{
    int a = from != NULL ? small_number(from) : -1;
    int b = to != NULL ? small_number(to) : a;
    int i, rc = 0;

    if (a < 0 || b < a || flow_wait_number_word(lang, a) == NULL)
        return SK_ENOENT;
    for (i = a; rc == 0 && i <= b; i++)
        rc = choices_add(c, flow_wait_number_word(lang, i));
    return rc;
}

/* The words of one case; SK_ENOENT when it takes open answers. */
static int
choices_case(struct flow_choices *c, const struct flow *f,
             const struct fl_case *k, const char *lang)
{
    const json_t *args = fl_localized(f, lang, k->uuid, "arguments");
    const char *a0, *a1;
    size_t i;

    if (args == NULL)
        args = k->args;
    for (i = 0; i < json_array_size(args); i++) {
        const char *a = json_string_value(json_array_get(args, i));

        if (a == NULL || strchr(a, '@') != NULL)
            return SK_ENOENT; /* a template: known only when it runs */
    }
    a0 = json_string_value(json_array_get(args, 0));
    a1 = json_string_value(json_array_get(args, 1));
    if (strcmp(k->type, "has_any_word") == 0 ||
        strcmp(k->type, "has_all_words") == 0)
        return a0 != NULL ? choices_add_words(c, a0, lang) : SK_ENOENT;
    if (strcmp(k->type, "has_phrase") == 0 ||
        strcmp(k->type, "has_only_phrase") == 0 ||
        strcmp(k->type, "has_only_text") == 0)
        return a0 != NULL && a0[0] != '\0' ? choices_add(c, a0) : SK_ENOENT;
    if (strcmp(k->type, "has_number_eq") == 0)
        return choices_add_range(c, a0, NULL, lang);
    if (strcmp(k->type, "has_number_between") == 0)
        return choices_add_range(c, a0, a1, lang);
    return SK_ENOENT;
}

int
flow_wait_choices(const struct flow_set *set, const struct flow_session *s,
                  const char *lang, struct flow_choices *out)
{
    const struct flow *f;
    const struct fl_node *n;
    size_t i;
    int idx, rc = 0;

    memset(out, 0, sizeof(*out));
    if (waiting_node(set, s, &f, &n, &idx) != 0 || n->ncases == 0)
        return SK_ENOENT;
    if (lang == NULL)
        lang = flow_wait_lang(f, flow_session_language(s));
    if (n->operand != NULL && strcmp(n->operand, "@input.text") != 0 &&
        strcmp(n->operand, "@input") != 0)
        return SK_ENOENT; /* routes on something other than the answer */
    for (i = 0; rc == 0 && i < n->ncases; i++)
        rc = choices_case(out, f, &n->cases[i], lang);
    if (rc == 0 && out->n == 0)
        rc = SK_ENOENT;
    if (rc != 0)
        flow_choices_clear(out);
    return rc;
}
