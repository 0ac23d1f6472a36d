/*
 * twilio_voice.c - Twilio Programmable Voice: the call webhooks and TwiML.
 *
 * Twilio POSTs a form for each step of a call: the incoming call to the
 * number's voice URL (/c/NAME/voice), then the action URLs our TwiML gave
 * (gather, record, no input) and the call's status callback. Every request
 * carries CallSid, From, AccountSid and CallStatus; a gather adds Digits, a
 * recording RecordingUrl (and Digits when a key ended it, "hangup" when
 * the caller hung up). Each is signed like SMS webhooks (twilio.c's verify
 * checks X-Twilio-Signature and AccountSid).
 *
 * TwiML: prompts are <Say language="..."> (the flow's language as a Twilio
 * language code) or <Play> for a recorded prompt; a keypad wait is a
 * <Gather> holding the prompts (a key press interrupts them), followed by
 * a <Redirect> to the no-input URL, which Twilio reaches when the gather
 * times out; a recording wait is the prompts, then <Record> that any key
 * ends, then the same <Redirect>; the end is <Hangup/>.
 *
 * Pure: no I/O, no clock. Any thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels.h"
#include "voicexml.h"

/* Twilio's <Say> language for a flow language (ISO 639-3); NULL: leave it
 * out (Twilio's default voice). Twilio names Modern Standard Arabic
 * "arb". */
static const char *
twilio_say_language(const char *lang)
{
    return lang != NULL && strcmp(lang, "ara") == 0
               ? "arb"
               : channel_speech_language(lang);
}

static bool
twilio_call_over(const char *state)
{
    static const char *const over[] = {"completed", "busy", "no-answer",
                                       "failed", "canceled"};

    return channel_one_of(state, over, sizeof(over) / sizeof(over[0]));
}

int
twilio_parse_call(const struct config_channel *ch,
                  const struct channel_request *req, struct channel_call *call,
                  char err[SK_ERR_LEN])
{
    struct channel_pairs p = {0};
    const char *sid = NULL, *from = NULL, *state = NULL, *digits = NULL,
               *rec = NULL;
    int rc;

    (void)ch;
    memset(call, 0, sizeof(*call));
    if (req->content_type != NULL &&
        !channel_content_type_is(req->content_type,
                                 "application/x-www-form-urlencoded")) {
        sk_seterr(err, "unsupported content type (Twilio posts a form)");
        return SK_EINVAL;
    }
    if ((rc = channel_pairs_form(&p, req->body, req->body_len, err)) != 0)
        goto out;
    if ((rc = channel_pairs_text(&p, "CallSid", &sid, err)) != 0 ||
        (rc = channel_pairs_text(&p, "From", &from, err)) != 0 ||
        (rc = channel_pairs_text(&p, "CallStatus", &state, err)) != 0 ||
        (rc = channel_pairs_text(&p, "Digits", &digits, err)) != 0 ||
        (rc = channel_pairs_text(&p, "RecordingUrl", &rec, err)) != 0)
        goto out;
    if (digits != NULL && strcmp(digits, "hangup") == 0)
        digits = NULL; /* the caller hung up during a recording */
    rc = voicexml_call_fill(call,
                            &(struct voicexml_fields){sid, "CallSid", from,
                                                      "From", digits, "Digits",
                                                      rec},
                            err);
    if (rc != 0)
        goto out;
    call->ended = twilio_call_over(state);
    if (state != NULL && strlen(state) < sizeof(call->state) &&
        strspn(state, "abcdefghijklmnopqrstuvwxyz-") == strlen(state))
        strcpy(call->state, state);
    rc = 0;
out:
    if (rc != 0)
        channel_call_clear(call);
    channel_pairs_clear(&p);
    return rc;
}

static void
twilio_prompts(struct sk_buf *b, const struct config_channel *ch,
               const struct channel_voice *v)
{
    const char *language = twilio_say_language(v->lang);
    size_t i;

    for (i = 0; i < v->n_prompts; i++) {
        const struct channel_prompt *p = &v->prompts[i];

        if (p->audio_url != NULL && p->audio_url[0] != '\0') {
            char *url = voicexml_prompt_url(ch, p->audio_url);

            if (url == NULL) {
                b->fail = true;
                return;
            }
            sk_buf_str(b, "<Play>");
            voicexml_text(b, url);
            sk_buf_str(b, "</Play>");
            free(url);
        } else if (p->text != NULL && p->text[0] != '\0') {
            sk_buf_str(b, "<Say");
            if (language != NULL)
                voicexml_attr(b, "language", language);
            sk_buf_addc(b, '>');
            voicexml_text(b, p->text);
            sk_buf_str(b, "</Say>");
        }
    }
}

/* <Redirect> to path (absolute), as Twilio reaches it after a verb. */
static void
twilio_redirect(struct sk_buf *b, const struct config_channel *ch,
                const char *path)
{
    char *url;

    if (path == NULL)
        return;
    if ((url = voicexml_url(ch, path, NULL)) == NULL) {
        b->fail = true;
        return;
    }
    sk_buf_str(b, "<Redirect method=\"POST\">");
    voicexml_text(b, url);
    sk_buf_str(b, "</Redirect>");
    free(url);
}

int
twilio_render_call(const struct config_channel *ch,
                   const struct channel_voice *v, struct channel_reply *out)
{
    struct sk_buf b = {0};
    char *action = v->action != NULL ? voicexml_url(ch, v->action, NULL) : NULL;

    memset(out, 0, sizeof(*out));
    if (v->action != NULL && action == NULL)
        return SK_ENOMEM;
    sk_buf_str(&b, VOICEXML_HEAD "<Response>");
    switch (v->next) {
    case CHANNEL_VOICE_DIGITS:
        sk_buf_str(&b, "<Gather input=\"dtmf\"");
        if (v->num_digits > 0)
            voicexml_attr_int(&b, "numDigits", v->num_digits);
        if (v->finish_key != NULL)
            voicexml_attr(&b, "finishOnKey", v->finish_key);
        if (v->timeout_s > 0)
            voicexml_attr_int(&b, "timeout", v->timeout_s);
        voicexml_attr(&b, "action", action != NULL ? action : "");
        sk_buf_str(&b, " method=\"POST\">");
        twilio_prompts(&b, ch, v);
        sk_buf_str(&b, "</Gather>");
        twilio_redirect(&b, ch, v->no_input);
        break;
    case CHANNEL_VOICE_RECORD:
        twilio_prompts(&b, ch, v);
        sk_buf_str(&b, "<Record");
        if (v->max_length_s > 0)
            voicexml_attr_int(&b, "maxLength", v->max_length_s);
        if (v->timeout_s > 0)
            voicexml_attr_int(&b, "timeout", v->timeout_s);
        sk_buf_str(&b, " playBeep=\"true\"");
        voicexml_attr(&b, "finishOnKey",
                      v->finish_key != NULL ? v->finish_key : "0123456789*#");
        voicexml_attr(&b, "action", action != NULL ? action : "");
        sk_buf_str(&b, " method=\"POST\"/>");
        twilio_redirect(&b, ch, v->no_input);
        break;
    case CHANNEL_VOICE_POLL:
        twilio_prompts(&b, ch, v);
        sk_buf_printf(&b, "<Pause length=\"%d\"/>",
                      v->pause_s > 0 ? v->pause_s : 1);
        twilio_redirect(&b, ch, v->action);
        break;
    case CHANNEL_VOICE_HANGUP:
        twilio_prompts(&b, ch, v);
        sk_buf_str(&b, "<Hangup/>");
        break;
    }
    sk_buf_str(&b, "</Response>");
    free(action);
    return voicexml_reply(&b, out);
}

/* Twilio: the recording's resource is its media URL without the
 * extension, as .json. 0, or SK_EINVAL for a URL that is not one. */
int
twilio_media_drop_url(const char *media_url, char *out, size_t cap)
{
    const char *slash = strrchr(media_url, '/'), *dot;
    size_t keep;
    int n;

    if (slash == NULL || slash[1] == '\0' || strpbrk(media_url, "?#") != NULL)
        return SK_EINVAL;
    dot = strchr(slash, '.');
    keep = dot != NULL ? (size_t)(dot - media_url) : strlen(media_url);
    n = snprintf(out, cap, "%.*s.json", (int)keep, media_url);
    return n > 0 && (size_t)n < cap ? 0 : SK_EINVAL;
}
