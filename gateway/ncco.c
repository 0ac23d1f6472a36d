/*
 * ncco.c - the NCCO writer (see ncco.h): one jansson array, an action
 * object per call, and a sticky failure flag.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ncco.h"

struct ncco {
    json_t *actions;
    bool fail;
};

struct ncco *
ncco_new(void)
{
    struct ncco *n = calloc(1, sizeof(*n));

    if (n == NULL)
        return NULL;
    if ((n->actions = json_array()) == NULL) {
        free(n);
        return NULL;
    }
    return n;
}

void
ncco_free(struct ncco *n)
{
    if (n == NULL)
        return;
    json_decref(n->actions);
    free(n);
}

static int
clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Sets o[key] to v (consumed); a NULL v (no memory) fails n. */
static void
set(struct ncco *n, json_t *o, const char *key, json_t *v)
{
    if (o == NULL || v == NULL || json_object_set_new(o, key, v) != 0)
        n->fail = true;
    if (o == NULL)
        json_decref(v);
}

/* Appends o (consumed) as the next action. */
static void
push(struct ncco *n, json_t *o)
{
    if (o == NULL || json_array_append_new(n->actions, o) != 0)
        n->fail = true;
}

/* ["url"]: Vonage takes its URLs as one-element arrays. */
static json_t *
url_array(const char *url)
{
    return json_pack("[s]", url != NULL ? url : "");
}

void
ncco_talk(struct ncco *n, const char *text, const char *language, bool barge_in)
{
    json_t *o = json_object();

    set(n, o, "action", json_string("talk"));
    set(n, o, "text", json_string(text != NULL ? text : ""));
    if (language != NULL)
        set(n, o, "language", json_string(language));
    if (barge_in)
        set(n, o, "bargeIn", json_true());
    push(n, o);
}

void
ncco_stream(struct ncco *n, const char *url, bool barge_in)
{
    json_t *o = json_object();

    set(n, o, "action", json_string("stream"));
    set(n, o, "streamUrl", url_array(url));
    if (barge_in)
        set(n, o, "bargeIn", json_true());
    push(n, o);
}

void
ncco_input(struct ncco *n, const struct ncco_input *in)
{
    json_t *o = json_object(), *dtmf = json_object(), *sp = NULL;
    int digits = in->max_digits > 0 ? clamp(in->max_digits, 1, 20) : 20;

    set(n, o, "action", json_string("input"));
    set(n, o, "type",
        in->speech ? json_pack("[ss]", "dtmf", "speech")
                   : json_pack("[s]", "dtmf"));
    set(n, dtmf, "maxDigits", json_integer(digits));
    set(n, dtmf, "submitOnHash", json_boolean(in->submit_on_hash));
    set(n, dtmf, "timeOut", json_integer(clamp(in->timeout_s, 1, 10)));
    set(n, o, "dtmf", dtmf);
    if (in->speech) {
        sp = json_object();
        if (in->language != NULL)
            set(n, sp, "language", json_string(in->language));
        set(n, sp, "endOnSilence",
            json_integer(clamp(in->speech_silence_s, 1, 10)));
        set(n, sp, "startTimeout",
            json_integer(clamp(in->speech_start_s, 1, 60)));
        set(n, sp, "maxDuration", json_integer(clamp(in->speech_max_s, 1, 60)));
        set(n, sp, "saveAudio", json_true());
        set(n, o, "speech", sp);
    }
    set(n, o, "eventUrl", url_array(in->event_url));
    set(n, o, "eventMethod", json_string("POST"));
    push(n, o);
}

char *
ncco_dump(const struct ncco *n, size_t *len)
{
    char *s;

    *len = 0;
    if (n == NULL || n->fail)
        return NULL;
    if ((s = json_dumps(n->actions, JSON_COMPACT)) != NULL)
        *len = strlen(s);
    return s;
}
