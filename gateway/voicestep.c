/*
 * voicestep.c - the stored next step of a call and its rendering (see
 * voicestep.h). The stored form names no provider and no URL: the URLs
 * are made when the answer is rendered, from the step number of the
 * request being answered, so a retried callback renders the same answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "flow_wait.h"
#include "voicestep.h"

#define VOICESTEP_MAX_PROMPTS 32
#define VOICESTEP_PATH_MAX    192

int
voicestep_prompt_add(json_t *texts, const json_t *ev, size_t cap,
                     size_t *dropped)
{
    const char *text = json_string_value(json_object_get(ev, "text"));
    const char *url = json_string_value(json_object_get(ev, "audio_url"));
    json_t *p;

    if (json_array_size(texts) >= cap) {
        (*dropped)++;
        return 0;
    }
    p = json_pack("{s:s}", "text", text != NULL ? text : "");
    if (p != NULL && url != NULL && url[0] != '\0' &&
        json_object_set_new(p, "audio_url", json_string(url)) != 0) {
        json_decref(p);
        p = NULL;
    }
    return p != NULL && json_array_append_new(texts, p) == 0 ? 0 : SK_ENOMEM;
}

static int
answer_wait(json_t *o, const struct flow_wait *w)
{
    json_t *wj = json_object();
    bool ok = wj != NULL;

    if (ok && w->kind == FLOW_WAIT_AUDIO)
        ok = json_object_set_new(wj, "kind", json_string("audio")) == 0;
    else if (ok)
        ok = json_object_set_new(wj, "kind", json_string("digits")) == 0;
    if (ok && w->digits > 0)
        ok = json_object_set_new(wj, "digits", json_integer(w->digits)) == 0;
    if (ok && w->terminator[0] != '\0')
        ok = json_object_set_new(wj, "finish", json_string(w->terminator)) == 0;
    if (ok && w->timeout_s > 0)
        ok =
            json_object_set_new(wj, "timeout", json_integer(w->timeout_s)) == 0;
    if (!ok) {
        json_decref(wj);
        return SK_ENOMEM;
    }
    return json_object_set_new(o, "wait", wj) == 0 ? 0 : SK_ENOMEM;
}

int
voicestep_answer(const struct flow_set *set, const struct flow_session *s,
                 bool ended, const json_t *texts, char **reply)
{
    json_t *o = json_object(), *prompts = json_array(), *t;
    struct flow_wait w;
    const char *lang = flow_session_language(s);
    bool waiting = !ended && flow_wait_get(set, s, &w) == 0;
    size_t i;
    int rc = SK_ENOMEM;

    *reply = NULL;
    if (o == NULL || prompts == NULL)
        goto out;
    json_array_foreach(texts, i, t)
    {
        json_t *p =
            json_is_string(t) ? json_pack("{s:O}", "text", t) : json_incref(t);

        if (p == NULL || json_array_append_new(prompts, p) != 0)
            goto out;
    }
    if (waiting)
        lang = w.lang;
    if (json_object_set(o, "prompts", prompts) != 0 ||
        (lang != NULL &&
         json_object_set_new(o, "lang", json_string(lang)) != 0) ||
        (waiting && answer_wait(o, &w) != 0))
        goto out;
    if ((*reply = json_dumps(o, JSON_COMPACT)) != NULL)
        rc = 0;
out:
    json_decref(prompts);
    json_decref(o);
    return rc;
}

const char *
voicestep_sorry(const char *lang)
{
    static const char *const sorry[][2] = {
        {"fra", "Désolé, je n'ai pas entendu."},
        {"swa", "Samahani, sikusikia."},
        {"ara", "عذراً، لم أسمع ذلك."},
        {"spa", "Lo siento, no te escuché."},
        {"por", "Desculpe, não ouvi."},
    };
    size_t i;

    for (i = 0; lang != NULL && i < sizeof(sorry) / sizeof(sorry[0]); i++)
        if (strcmp(sorry[i][0], lang) == 0)
            return sorry[i][1];
    return "Sorry, I did not hear that.";
}

/* The paths of step n's answer under channel chname. */
struct step_paths {
    char action[VOICESTEP_PATH_MAX];
    char no_input[VOICESTEP_PATH_MAX];
};

static int
step_paths(struct step_paths *p, const char *chname, const char *what,
           unsigned n, bool has_timeout)
{
    int a = snprintf(p->action, sizeof(p->action), "/c/%s/voice/%s?n=%u",
                     chname, what, n);
    /* a wait without a timeout of its own takes silence as an empty
     * answer; one with a timeout routes to its timeout category */
    int b = snprintf(p->no_input, sizeof(p->no_input), "/c/%s/voice/%s?n=%u",
                     chname, has_timeout ? "timeout" : "gather", n);

    return a > 0 && (size_t)a < sizeof(p->action) && b > 0 &&
                   (size_t)b < sizeof(p->no_input)
               ? 0
               : SK_EINVAL;
}

int
voicestep_render(const struct channel_type *t, const struct config_channel *ch,
                 const char *chname, const char *reply, unsigned n,
                 const char *before, bool keypad, struct channel_reply *out)
{
    struct channel_prompt prompts[VOICESTEP_MAX_PROMPTS + 1];
    struct channel_voice v;
    struct step_paths paths;
    json_t *o = json_loads(reply != NULL ? reply : "", 0, NULL);
    const json_t *arr = json_object_get(o, "prompts"), *p;
    const json_t *wait = json_object_get(o, "wait");
    const char *kind = json_string_value(json_object_get(wait, "kind"));
    size_t i;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&v, 0, sizeof(v));
    if (!json_is_object(o) || !json_is_array(arr)) {
        json_decref(o);
        return SK_EINVAL;
    }
    v.prompts = prompts;
    v.lang = json_string_value(json_object_get(o, "lang"));
    if (before == NULL && json_is_true(json_object_get(o, "reask")))
        before = voicestep_sorry(v.lang); /* the question asked again */
    if (before != NULL)
        prompts[v.n_prompts++] = (struct channel_prompt){before, NULL};
    json_array_foreach(arr, i, p)
    {
        if (v.n_prompts == VOICESTEP_MAX_PROMPTS + 1)
            break;
        prompts[v.n_prompts].text =
            json_string_value(json_object_get(p, "text"));
        prompts[v.n_prompts++].audio_url =
            json_string_value(json_object_get(p, "audio_url"));
    }
    v.next = CHANNEL_VOICE_HANGUP;
    if (kind != NULL) {
        bool audio = strcmp(kind, "audio") == 0 && !keypad;
        json_int_t timeout =
            json_integer_value(json_object_get(wait, "timeout"));

        rc = step_paths(&paths, chname, audio ? "record" : "gather", n + 1,
                        timeout > 0);
        if (rc != 0) {
            json_decref(o);
            return rc;
        }
        v.action = paths.action;
        v.no_input = paths.no_input;
        v.num_digits = (int)json_integer_value(json_object_get(wait, "digits"));
        v.finish_key = json_string_value(json_object_get(wait, "finish"));
        if (audio) {
            v.next = CHANNEL_VOICE_RECORD;
            v.timeout_s = VOICESTEP_RECORD_SILENCE_S;
            v.max_length_s = VOICESTEP_RECORD_MAX_S;
            v.finish_key = NULL; /* any key ends it and is the answer */
        } else {
            v.next = CHANNEL_VOICE_DIGITS;
            v.timeout_s = timeout > 0 && timeout < 600
                              ? (int)timeout
                              : VOICESTEP_GATHER_TIMEOUT_S;
            if (strcmp(kind, "audio") == 0)
                v.num_digits = 1; /* a key instead of a spoken answer */
            if (v.num_digits == 0 && v.finish_key == NULL)
                v.finish_key = "#";
        }
    }
    rc = t->render_call(ch, &v, out);
    json_decref(o);
    return rc;
}
