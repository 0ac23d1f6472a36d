/*
 * chanutil.h - helpers the channel types share: form and query decoding
 * that refuses ambiguous input, every pair of a request, constant-time
 * secret checks, plain replies, JSON bodies, provider URLs and form POSTs
 * for the outbox. Pure; any thread. Only the channel code and its tests
 * see this header (through channels.h); the rest of the gateway uses
 * channel.h.
 */
#ifndef SK_CHANUTIL_H
#define SK_CHANUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "channel_type.h"
#include "err.h"

struct json_t;

/* One decoded key=value pair of a form or query string. */
struct channel_field {
    const char *name; /* the key looked for */
    char *value;      /* malloc'd decoded value, NULL when absent */
    size_t len;       /* its length (a %00 may hide inside) */
};

/*
 * Decodes an application/x-www-form-urlencoded string (len bytes) and
 * fills the value of every field named in fields[0..n); other keys are
 * ignored. SK_EINVAL with err set on a bad %-escape or when a wanted key
 * appears twice; SK_ENOMEM. Values are freed by channel_fields_clear().
 */
int channel_form_decode(const char *s, size_t len, struct channel_field *fields,
                        size_t n, char err[SK_ERR_LEN]);
void channel_fields_clear(struct channel_field *fields, size_t n);

/* Compares a given secret with the configured one in constant time (both
 * are hashed first, so their lengths do not leak). false when either is
 * NULL or the configured one is empty. */
bool channel_secret_ok(const char *given, const char *want);

/* A verify for types whose provider calls a URL carrying ?secret=...: 0
 * when the query's secret is the configured one, else SK_EDENIED. */
int channel_verify_secret(const struct config_channel *ch,
                          const struct channel_request *req);

/* A text/plain reply with code and a malloc'd copy of text. SK_ENOMEM. */
int channel_reply_text(int code, const char *text, struct channel_reply *out);

/* A render for types that take no reply in the webhook answer: an empty
 * 200, whatever texts holds (the messages go through the outbox). */
int channel_render_empty(const struct config_channel *ch,
                         const char *const *texts, size_t n,
                         struct channel_reply *out);

/* A render_error that answers the reason as text/plain. */
int channel_render_error_text(const struct config_channel *ch, int code,
                              const char *reason, struct channel_reply *out);

/* Whether content_type names mime (parameters such as charset ignored). */
bool channel_content_type_is(const char *content_type, const char *mime);

/*
 * Every key=value pair of a request, in order, for channel types that
 * sign or read all parameters. Keys and values are malloc'd and
 * decoded; a value may hide a NUL (value_len says).
 */
#define CHANNEL_MAX_PAIRS 256

struct channel_pair {
    char *key;
    char *value;
    size_t value_len;
};

struct channel_pairs {
    struct channel_pair *v;
    size_t n, cap;
};

/* Appends the pairs of a form or query string (len bytes). SK_EINVAL with
 * err on a bad %-escape or more than CHANNEL_MAX_PAIRS; SK_ENOMEM. */
int channel_pairs_form(struct channel_pairs *p, const char *s, size_t len,
                       char err[SK_ERR_LEN]);
/* Sets err to "body is not valid JSON: REASON (at byte N)" from jansson's
 * error text and position, without the "near '...'" part jansson adds:
 * that quotes the body, which may hold a phone number or message text,
 * and err goes back in the error reply. */
void channel_json_seterr(char err[SK_ERR_LEN], const char *text, int position);

/* A body that must be one JSON object (a key given twice refused): the
 * parsed object, or NULL with err set (see channel_json_seterr()). */
struct json_t *channel_json_object(const char *body, size_t len,
                                   char err[SK_ERR_LEN]);

/* Appends the members of a JSON object: strings as they are, numbers and
 * booleans as their JSON text; null, arrays and objects are skipped.
 * SK_EINVAL with err when the body is not an object (or a key repeats). */
int channel_pairs_json(struct channel_pairs *p, const char *body, size_t len,
                       char err[SK_ERR_LEN]);
/* Whether s (NULL: no) is one of the n words of list. */
bool channel_one_of(const char *s, const char *const *list, size_t n);

/* The BCP-47 tag of a flow language (ISO 639-3) as providers' text to
 * speech takes it ("fra" -> "fr-FR"), or NULL: not one they speak, leave
 * the language out (their default, US English). */
const char *channel_speech_language(const char *lang);

/* Appends every parameter of req: its query, then its body as a form
 * (also when it names no content type) or JSON. SK_EINVAL with err for
 * another content type (what a sender should use: JSON or a form). */
int channel_pairs_request(struct channel_pairs *p,
                          const struct channel_request *req,
                          char err[SK_ERR_LEN]);
/* The value of key: NULL when absent; *dup set when it occurs twice. */
const char *channel_pairs_get(const struct channel_pairs *p, const char *key,
                              bool *dup);
/* Wipes the values and frees; p is then empty and may be reused. */
void channel_pairs_clear(struct channel_pairs *p);

/* The value of key in *v (NULL when absent); SK_EINVAL with err when it is
 * given twice or is not valid UTF-8 (a NUL inside counts as invalid). */
int channel_pairs_text(const struct channel_pairs *p, const char *key,
                       const char **v, char err[SK_ERR_LEN]);

/* An application/x-www-form-urlencoded body of kv[0..2n): key, value,
 * key, value...; a pair whose value is NULL is left out. malloc'd. */
char *channel_form_encode(const char *const *kv, size_t n);

/* The base of a provider API: the configured api_url or dflt, without a
 * trailing '/', followed by path. malloc'd. */
char *channel_api_url(const struct config_channel *ch, const char *dflt,
                      const char *path);

/* public_url (without a trailing '/') followed by path, or NULL when there
 * is no public_url (or no memory). malloc'd. */
char *channel_public_url(const struct config_channel *ch, const char *path);

/* The URL of the channel's delivery reports, public_url followed by
 * "/c/CHANNEL/status"; NULL when there is no public_url (or no memory).
 * malloc'd. */
char *channel_status_url(const struct config_channel *ch, const char *channel);

/* The number of an outbox address: address without its "tel:", if any. */
const char *channel_address_number(const char *address);

/*
 * Fills req (zeroed first) with a POST of the form kv[0..2n) (made by
 * channel_form_encode()) to url, which it takes over, even on failure. The
 * headers are "hname: hvalue" when hname is not NULL, then Content-Type
 * (a form) and "Accept: application/json". Everything in req is malloc'd,
 * for outbox_req_free(); on SK_ENOMEM req is freed and empty. The caller
 * adds what else its provider needs (basic auth, a timeout).
 */
int channel_post_form(struct httpc_req *req, char *url, const char *const *kv,
                      size_t n, const char *hname, const char *hvalue);

#endif
