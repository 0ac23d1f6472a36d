/*
 * voicexml.h - what the channel types with voice share: XML text and
 * attributes escaped in one place (TwiML, Africa's Talking's voice XML
 * and Twilio's SMS replies all go through it), the absolute URL of a
 * callback path, and the caller's number taken from a form field.
 * Pure; any thread.
 */
#ifndef SK_VOICEXML_H
#define SK_VOICEXML_H

#include <stddef.h>

#include "buf.h"
#include "channel_type.h"
#include "err.h"

#define VOICEXML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"

/* Appends s as XML character data: & < > " ' escaped, and characters XML
 * 1.0 does not allow (C0 controls but tab, newline, carriage return)
 * dropped. */
void voicexml_text(struct sk_buf *b, const char *s);

/* Appends ` name="value"` with value escaped as voicexml_text() does. */
void voicexml_attr(struct sk_buf *b, const char *name, const char *value);

/* Appends ` name="N"` for an integer. */
void voicexml_attr_int(struct sk_buf *b, const char *name, long long v);

/*
 * The absolute URL of path (a path under the gateway, with or without a
 * query) for ch: its base_url followed by path, and, when secret is not
 * NULL, "secret=SECRET" added to the query (%-encoded). malloc'd, or NULL
 * without memory.
 */
char *voicexml_url(const struct config_channel *ch, const char *path,
                   const char *secret);

/* The URL a recorded prompt is played from: audio_url as it is, or, when
 * it is a path on the gateway ("/prompts/eng/q1.wav"), the channel's
 * base_url followed by it. malloc'd, or NULL without memory. */
char *voicexml_prompt_url(const struct config_channel *ch,
                          const char *audio_url);

/* Fills out with a 200 text/xml reply taking b's text. SK_ENOMEM when b
 * failed (out is then empty). */
int voicexml_reply(struct sk_buf *b, struct channel_reply *out);

/*
 * A caller's number from a provider field as "tel:+NUMBER" into *urn
 * (malloc'd): a leading space (an unescaped '+') becomes '+', "tel:" is
 * dropped; other schemes, "" or too long values are SK_EINVAL with err
 * naming field. SK_ENOMEM.
 */
int voicexml_urn(const char *number, const char *field, char **urn,
                 char err[SK_ERR_LEN]);

/* A malloc'd copy of s, or NULL for NULL or "". *rc becomes SK_ENOMEM
 * when the copy fails. */
char *voicexml_dup(const char *s, int *rc);

/* What every provider's call webhook carries, as read from its form, with
 * the provider's names of the fields for the errors. */
struct voicexml_fields {
    const char *id, *id_field;         /* the call's id (required) */
    const char *from, *from_field;     /* the caller's number (required) */
    const char *digits, *digits_field; /* keys pressed, or NULL */
    const char *recording;             /* a recording's URL, or NULL */
};

/* Checks f and copies it into call (urn, call_id, digits, recording_url):
 * 0, or SK_EINVAL with err naming the field, or SK_ENOMEM. On failure the
 * caller clears call. */
int voicexml_call_fill(struct channel_call *call,
                       const struct voicexml_fields *f, char err[SK_ERR_LEN]);

#endif
