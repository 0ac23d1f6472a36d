/*
 * africastalking_voice.c - Africa's Talking voice: the call callbacks and
 * its voice XML.
 *
 * Africa's Talking POSTs a form to the number's voice callback URL
 * (/c/NAME/voice?secret=...) when a call comes in, to the callbackUrl of a
 * GetDigits or Record action with the keys pressed (dtmfDigits) or the
 * recording (recordingUrl), and once more when the call is over
 * (isActive=0). Every request carries sessionId, isActive and
 * callerNumber. Requests are let in by the URL's secret, as for SMS; the
 * callback URLs we hand out carry it too.
 *
 * Voice XML: prompts are <Say> or <Play url="..."/>; a keypad wait is
 * <GetDigits> holding the prompts (a key press interrupts them), a
 * recording wait <Record> holding them (a key ends it); either is
 * followed by a <Redirect> to the no-input URL, reached when nothing was
 * given. The call ends after the last action.
 *
 * Pure: no I/O, no clock. Any thread.
 */
#include <stdlib.h>
#include <string.h>

#include "channels.h"
#include "config.h"
#include "voicexml.h"

int
at_parse_call(const struct config_channel *ch,
              const struct channel_request *req, struct channel_call *call,
              char err[SK_ERR_LEN])
{
    struct channel_pairs p = {0};
    const char *sid = NULL, *from = NULL, *active = NULL, *digits = NULL,
               *rec = NULL, *state = NULL;
    int rc;

    (void)ch;
    memset(call, 0, sizeof(*call));
    if ((rc = channel_pairs_form(&p, req->body, req->body_len, err)) != 0)
        goto out;
    if ((rc = channel_pairs_text(&p, "sessionId", &sid, err)) != 0 ||
        (rc = channel_pairs_text(&p, "callerNumber", &from, err)) != 0 ||
        (rc = channel_pairs_text(&p, "isActive", &active, err)) != 0 ||
        (rc = channel_pairs_text(&p, "dtmfDigits", &digits, err)) != 0 ||
        (rc = channel_pairs_text(&p, "recordingUrl", &rec, err)) != 0 ||
        (rc = channel_pairs_text(&p, "callSessionState", &state, err)) != 0)
        goto out;
    rc = voicexml_call_fill(call,
                            &(struct voicexml_fields){sid, "sessionId", from,
                                                      "callerNumber", digits,
                                                      "dtmfDigits", rec},
                            err);
    if (rc != 0)
        goto out;
    call->ended = active != NULL && strcmp(active, "0") == 0;
    if (call->ended)
        strcpy(call->state, "completed");
    if (state != NULL && strlen(state) < sizeof(call->state) &&
        strspn(state, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") ==
            strlen(state))
        strcpy(call->state, state);
    rc = 0;
out:
    if (rc != 0)
        channel_call_clear(call);
    channel_pairs_clear(&p);
    return rc;
}

static void
at_prompts(struct sk_buf *b, const struct config_channel *ch,
           const struct channel_voice *v)
{
    size_t i;

    for (i = 0; i < v->n_prompts; i++) {
        const struct channel_prompt *p = &v->prompts[i];

        if (p->audio_url != NULL && p->audio_url[0] != '\0') {
            char *url = voicexml_prompt_url(ch, p->audio_url);

            if (url == NULL) {
                b->fail = true;
                return;
            }
            sk_buf_str(b, "<Play");
            voicexml_attr(b, "url", url);
            sk_buf_str(b, "/>");
            free(url);
        } else if (p->text != NULL && p->text[0] != '\0') {
            sk_buf_str(b, "<Say>");
            voicexml_text(b, p->text);
            sk_buf_str(b, "</Say>");
        }
    }
}

/* An attribute holding the absolute URL of path, with the secret. */
static void
at_url_attr(struct sk_buf *b, const struct config_channel *ch, const char *name,
            const char *path)
{
    char *url = voicexml_url(ch, path, ch->secret);

    if (url == NULL) {
        b->fail = true;
        return;
    }
    voicexml_attr(b, name, url);
    free(url);
}

static void
at_redirect(struct sk_buf *b, const struct config_channel *ch, const char *path)
{
    char *url;

    if (path == NULL)
        return;
    if ((url = voicexml_url(ch, path, ch->secret)) == NULL) {
        b->fail = true;
        return;
    }
    sk_buf_str(b, "<Redirect>");
    voicexml_text(b, url);
    sk_buf_str(b, "</Redirect>");
    free(url);
}

int
at_render_call(const struct config_channel *ch, const struct channel_voice *v,
               struct channel_reply *out)
{
    struct sk_buf b = {0};

    memset(out, 0, sizeof(*out));
    sk_buf_str(&b, VOICEXML_HEAD "<Response>");
    switch (v->next) {
    case CHANNEL_VOICE_DIGITS:
        sk_buf_str(&b, "<GetDigits");
        if (v->num_digits > 0)
            voicexml_attr_int(&b, "numDigits", v->num_digits);
        if (v->finish_key != NULL)
            voicexml_attr(&b, "finishOnKey", v->finish_key);
        if (v->timeout_s > 0)
            voicexml_attr_int(&b, "timeout", v->timeout_s);
        at_url_attr(&b, ch, "callbackUrl", v->action != NULL ? v->action : "");
        sk_buf_addc(&b, '>');
        at_prompts(&b, ch, v);
        sk_buf_str(&b, "</GetDigits>");
        at_redirect(&b, ch, v->no_input);
        break;
    case CHANNEL_VOICE_RECORD:
        sk_buf_str(&b, "<Record");
        voicexml_attr(&b, "finishOnKey",
                      v->finish_key != NULL ? v->finish_key : "#");
        if (v->max_length_s > 0)
            voicexml_attr_int(&b, "maxLength", v->max_length_s);
        if (v->timeout_s > 0)
            voicexml_attr_int(&b, "timeout", v->timeout_s);
        sk_buf_str(&b, " trimSilence=\"true\" playBeep=\"true\"");
        at_url_attr(&b, ch, "callbackUrl", v->action != NULL ? v->action : "");
        sk_buf_addc(&b, '>');
        at_prompts(&b, ch, v);
        sk_buf_str(&b, "</Record>");
        at_redirect(&b, ch, v->no_input);
        break;
    case CHANNEL_VOICE_POLL:
        at_prompts(&b, ch, v);
        at_redirect(&b, ch, v->action);
        break;
    case CHANNEL_VOICE_HANGUP:
        at_prompts(&b, ch, v);
        break;
    }
    sk_buf_str(&b, "</Response>");
    return voicexml_reply(&b, out);
}
