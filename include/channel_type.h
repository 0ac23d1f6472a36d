/*
 * channel_type.h - the channel type interface: one channel type per SMS or
 * voice provider, listed in the registry (gateway/channels/channel.c). Each
 * type names the config keys it takes and needs and checks its own
 * [channel] section, so config_load() and start-up loop over the registry
 * and never name a provider. A channel type turns a provider's webhook request
 * into a struct sk_inbound, checks that the request really comes from the
 * provider, and renders the synchronous reply in the provider's format.
 *
 * Channel types are pure: they see a copy of the request (struct
 * channel_request), never the evhttp request, so they can be tested
 * without a network. Any thread may call them; the gateway calls them on
 * the event loop.
 */
#ifndef SK_CHANNEL_TYPE_H
#define SK_CHANNEL_TYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "outbox_types.h"

/* The channel's [channel] section (config.h); channel types read it, and
 * config.c reads the keys they declare, so this header names it only. */
struct config_channel;
struct httpc_req;

/* Limits on inbound fields; longer values are refused with 400. */
#define CHANNEL_MAX_URN 128
#define CHANNEL_MAX_ID  256

/* One inbound message. Every string is malloc'd; urn is the phone number
 * in clear and is wiped by channel_inbound_clear(). */
struct sk_inbound {
    char *urn;         /* "tel:+254700000001" */
    char *text;        /* UTF-8, may be "" (an empty message) */
    char *external_id; /* the provider's id, for dedupe */
};

/* Wipes and frees the fields; the struct itself is the caller's. */
void channel_inbound_clear(struct sk_inbound *in);

/* What a channel type sees of a webhook request. Borrowed strings. */
struct channel_request {
    const char *query;        /* raw query string, or NULL */
    const char *uri;          /* the request target as received (path and
                               * query), for signatures over the URL; or
                               * NULL */
    const char *content_type; /* Content-Type header, or NULL */
    const char *body;         /* NUL-terminated copy of the body */
    size_t body_len;
    /* A request header by name (case-insensitive), or NULL. */
    const char *(*header)(void *arg, const char *name);
    void *header_arg;
};

/* A rendered reply: status code, content type and a malloc'd body. */
struct channel_reply {
    int code;
    const char *content_type; /* static string */
    char *body;
    size_t body_len;
};

/* A delivery report, as a channel type reads it from the provider. */
struct channel_status {
    char external_id[OUTBOX_EXTID_MAX]; /* the provider's id, or "" */
    int64_t row_id;                     /* our outbox row id, or 0 */
    enum outbox_dlr status;
    bool final; /* false for interim reports (queued, sent to carrier) */
};

/* A state a provider names in its delivery reports, and what it means. */
struct channel_dlr_state {
    const char *name;
    enum outbox_dlr status;
    bool final;
};

/* Sets st->status and st->final from the entry of states[0..n) called name;
 * false when there is none. */
bool channel_dlr_lookup(const struct channel_dlr_state *states, size_t n,
                        const char *name, struct channel_status *st);

/* How config_load() reads a [channel] key's value. */
enum channel_key_kind {
    CHANNEL_KEY_TEXT, /* any text */
    CHANNEL_KEY_URL,  /* http:// or https:// */
    CHANNEL_KEY_BOOL, /* yes/no/true/false/1/0 */
};

/* A [channel] key a type takes, beyond type, flow and api_url (every
 * channel takes those). Types that share a key name declare it alike. */
struct channel_key {
    const char *name;
    enum channel_key_kind kind;
    size_t off;    /* its field in struct config_channel: char * for TEXT
                    * and URL, bool for BOOL; or CHANNEL_KEY_NO_FIELD */
    bool required; /* "channel 'N' (type T) needs key 'K'" when absent */
    /* For TEXT: NULL when value is fine, else why not ("is not one of
     * ..."), reported at the key's line. NULL: any text. */
    const char *(*check)(const char *value);
    bool unbuilt; /* for a part not built yet: warned about, no effect */
};

#define CHANNEL_KEY(name, kind, field, required, check)                        \
    {                                                                          \
        name, kind, offsetof(struct config_channel, field), required, check,   \
            false                                                              \
    }

/* A key with no field of its own: its value is only in the channel's
 * table (struct config_channel values), read with config_channel_value()
 * or config_channel_bool(). A new key needs no change to config.h. */
#define CHANNEL_KEY_NO_FIELD ((size_t)-1)

#define CHANNEL_KEY_VALUE(name, kind, required, check)                         \
    {                                                                          \
        name, kind, CHANNEL_KEY_NO_FIELD, required, check, false               \
    }

/* The keys of voice-capable types: hosts recordings may come from, and
 * whether they are deleted at the provider once fetched and stored
 * (voicewire.c; a type with no delete API warns when it is set). */
#define CHANNEL_VOICE_KEYS                                                     \
    {"media_hosts",                                                            \
     CHANNEL_KEY_TEXT,                                                         \
     offsetof(struct config_channel, media_hosts),                             \
     false,                                                                    \
     channel_media_hosts_check,                                                \
     false},                                                                   \
    {                                                                          \
        "delete_recordings", CHANNEL_KEY_BOOL,                                 \
            offsetof(struct config_channel, delete_recordings), false, NULL,   \
            false                                                              \
    }

/* media_hosts: host names (or IP literals) separated by commas, spaces
 * around each ignored; at most CHANNEL_MEDIA_HOSTS of them, each shorter
 * than CHANNEL_MEDIA_HOST_LEN. */
#define CHANNEL_MEDIA_HOSTS    15 /* fetch.h's FETCH_MAX_HOSTS, less one */
#define CHANNEL_MEDIA_HOST_LEN 256

/* Splits a media_hosts value into hosts[0..n), returning n; or -1 with
 * *reason (static) when a name is empty, too long, holds anything but
 * letters, digits, '.', '-', ':', '[' and ']', or there are too many. */
int channel_media_hosts_split(const char *value,
                              char hosts[][CHANNEL_MEDIA_HOST_LEN],
                              const char **reason);

/* The check of the media_hosts key: NULL, or why the value is wrong. */
const char *channel_media_hosts_check(const char *value);
/* --- voice calls -------------------------------------------------------- */

/* Where a callback that says nothing was given goes, for providers that
 * send a wait's answer and its no-input to the same URL (Vonage). */
enum channel_no_input {
    CHANNEL_INPUT_GIVEN,      /* as the callback's path says */
    CHANNEL_NO_INPUT_TIMEOUT, /* the wait's timeout (as /voice/timeout) */
    CHANNEL_NO_INPUT_EMPTY    /* an empty answer (as /voice/gather) */
};

/* One callback of a call, as a channel type reads it from the provider.
 * Every string is malloc'd or NULL; urn is the caller's number in clear
 * and is wiped by channel_call_clear(). */
struct channel_call {
    char *urn;           /* "tel:+254700000001" */
    char *call_id;       /* the provider's id of the call (e.g. CallSid) */
    char *digits;        /* keys pressed (a gather, or a key that ended a
                          * recording), or NULL */
    char *recording_url; /* a recording to fetch, or NULL */
    bool ended;          /* the call is over (completed, busy, no answer,
                          * failed, canceled) */
    char state[24];      /* the provider's word for the call's state, for
                          * the log ("completed"), or "" */
    enum channel_no_input no_input;
};

/* Wipes and frees the fields; the struct itself is the caller's. */
void channel_call_clear(struct channel_call *c);

/* One prompt of the call: text to speak, or a recording to play with the
 * text as its fallback (audio_url NULL or ""). */
struct channel_prompt {
    const char *text;
    const char *audio_url;
};

enum channel_voice_next {
    CHANNEL_VOICE_HANGUP, /* the prompts, then the call ends */
    CHANNEL_VOICE_DIGITS, /* the prompts while keys are gathered */
    CHANNEL_VOICE_RECORD, /* the prompts, then a recording (a key ends it) */
    CHANNEL_VOICE_POLL    /* a short pause, then ask action again */
};

/* What the call does next, in no provider's terms; borrowed strings. The
 * URLs are paths under the gateway ("/c/NAME/voice/gather?n=2"): the
 * channel type makes them absolute (its base_url) and adds what its
 * provider needs to be let in again (a ?secret=). */
struct channel_voice {
    const struct channel_prompt *prompts;
    size_t n_prompts;
    const char *lang; /* the flow's language (ISO 639-3), or NULL */
    enum channel_voice_next next;
    int num_digits;         /* DIGITS: keys to take, 0: until finish_key */
    const char *finish_key; /* DIGITS, RECORD: the key that ends the
                             * answer ("#"), or NULL */
    int timeout_s;          /* DIGITS, RECORD: silence before giving up */
    int max_length_s;       /* RECORD */
    int pause_s;            /* POLL */
    const char *action;     /* where the answer (or the poll) goes */
    const char *no_input;   /* DIGITS, RECORD: where the call goes when
                             * nothing came (the wait's timeout) */
};

struct channel_type {
    const char *type; /* the config's `type =` */
    /* The keys it takes (see struct channel_key), n_keys of them. */
    const struct channel_key *keys;
    size_t n_keys;
    /* Voice: the provider's own host its recordings come from (fetched
     * over https from public addresses only), or NULL; and the basic-auth
     * pair its media API takes (NULL: none). See media.h. */
    const char *media_host;
    void (*media_auth)(const struct config_channel *ch, const char **user,
                       const char **password);
    /* Voice: a bearer token for the provider's media API, minted for each
     * fetch (Vonage: the application's JWT); NULL: none. media_key loads
     * the channel's signing key at start-up (the one hook that reads a
     * file): 0 with *key, NULL when the channel configures none; or
     * SK_EINVAL with err. media_key_free frees it (NULL is a no-op).
     * media_token mints a token under key at now (Unix seconds) into
     * out[cap]: 0, or a negative SK_E*. */
    int (*media_key)(const struct config_channel *ch, void **key,
                     char err[SK_ERR_LEN]);
    void (*media_key_free)(void *key);
    int (*media_token)(const struct config_channel *ch, const void *key,
                       int64_t now, char *out, size_t cap);
    /* Voice: the URL that deletes the provider's copy of the recording at
     * media_url (delete_recordings), reached with the media credentials,
     * into out[cap]: 0, or SK_EINVAL for a URL that is not a recording's.
     * NULL: the provider has no such API (the recording stays there).
     * Twilio: the recording's resource, its media URL without the
     * extension, as .json. */
    int (*media_drop_url)(const char *media_url, char *out, size_t cap);
    /* Start-up checks beyond what config_load() checks (they may look at
     * the whole config): 0, or SK_EINVAL with reason, which start-up
     * prints as "FILE: [channel NAME]: REASON". NULL: none. */
    int (*check)(const struct config_channel *ch, char reason[SK_ERR_LEN]);
    /* 0 when the request is from the provider, else SK_EDENIED. */
    int (*verify)(const struct config_channel *ch,
                  const struct channel_request *req);
    /* What a refused request is logged as: the word for what verify
     * checks ("bad secret", "bad signature"). NULL: "bad secret". */
    const char *denied_as;
    /* Whether the type sends through the provider's API at api_url (a
     * config key of every type): false for those that send to their
     * send_url, where api_url is warned about as having no effect. */
    bool uses_api_url;
    /* Fills in (all fields set on success). SK_EINVAL with err naming the
     * problem, or SK_ENOMEM; on failure in is left empty. */
    int (*parse)(const struct config_channel *ch,
                 const struct channel_request *req, struct sk_inbound *in,
                 char err[SK_ERR_LEN]);
    /* The reply to a receive request carrying texts[0..n). */
    int (*render)(const struct config_channel *ch, const char *const *texts,
                  size_t n, struct channel_reply *out);
    /* An error reply (4xx/5xx) with a short reason (no user data). */
    int (*render_error)(const struct config_channel *ch, int code,
                        const char *reason, struct channel_reply *out);

    /*
     * Sending on its own, through the outbox (timeouts, expiry, referrals,
     * and every reply of a provider that does not take replies in the
     * webhook response). All optional: a type without build_send never
     * sends on its own. can_send says whether this configured channel can
     * (e.g. only with a send_url; NULL means yes). build_send and
     * send_result are the outbox's callbacks with arg = the channel's
     * const struct config_channel *; send_result NULL means
     * outbox_default_result. idempotent_send: the provider dedupes a
     * resent row (see outbox.h).
     */
    bool (*can_send)(const struct config_channel *ch);
    outbox_build_fn build_send;
    outbox_result_fn send_result;
    bool idempotent_send;

    /*
     * Whether the synchronous reply to a receive request carries the
     * flow's messages (e.g. as a JSON or XML document). When false the
     * receive request is answered with an empty success and the messages
     * go to the outbox.
     */
    bool sync_reply;

    /* Whether the provider may call receive and status with GET (all in
     * the query string), as some SMS boxes do for delivery reports. */
    bool allow_get;

    /* Reads a delivery report from POST /c/NAME/status. 0 and st filled;
     * SK_ENOENT when the request is a report to ignore; SK_EINVAL with err.
     * NULL: reports are answered 200 and ignored. */
    int (*parse_status)(const struct config_channel *ch,
                        const struct channel_request *req,
                        struct channel_status *st, char err[SK_ERR_LEN]);

    /*
     * Reads one USSD session step from POST /c/NAME/ussd. in->text is
     * the child's latest answer, in->external_id names the step (the same
     * step retried gives the same id); *start says it is the first request
     * of a session. Errors as parse. NULL: the channel has no USSD.
     */
    int (*parse_ussd)(const struct config_channel *ch,
                      const struct channel_request *req, struct sk_inbound *in,
                      bool *start, char err[SK_ERR_LEN]);

    /*
     * Voice calls (POST /c/NAME/voice and /c/NAME/voice/...), checked by
     * verify like every request. parse_call reads one callback of a call
     * (errors as parse; on failure call is left empty); render_call
     * renders what the call does next in the provider's call-control
     * language, with every text XML-escaped. NULL: the channel has no
     * voice.
     */
    int (*parse_call)(const struct config_channel *ch,
                      const struct channel_request *req,
                      struct channel_call *call, char err[SK_ERR_LEN]);
    int (*render_call)(const struct config_channel *ch,
                       const struct channel_voice *v,
                       struct channel_reply *out);
};

/* The channel type named type, or NULL. */
const struct channel_type *channel_find(const char *type);

/* The registry's i-th type (0 <= i < channel_count()), in the order
 * messages list them. */
size_t channel_count(void);
const struct channel_type *channel_at(size_t i);

/* --- USSD (pure helpers of the types with USSD sessions) --------------- */

/*
 * USSD screens. One screen holds CHANNEL_USSD_MAX characters when its whole
 * text is GSM-7, and CHANNEL_USSD_MAX_UCS2 when it is not (many networks
 * carry such screens as UCS-2 and cut them short). "CON " or "END " counts,
 * and characters count as gsm_measure() counts them: septets (an extension
 * character such as '{' takes two) or UTF-16 units (an emoji takes two).
 * These two are the only screen limits; everything else derives from them.
 */
#define CHANNEL_USSD_MAX      182
#define CHANNEL_USSD_MAX_UCS2 80

/* The answer that shows the next page of a step that did not fit one
 * screen. Two zeros: no flow menu offers it, and it is what USSD services
 * commonly use. */
#define CHANNEL_USSD_MORE_KEY "00"

/*
 * Splits the accumulated text of a USSD step ("" on the first request,
 * then "1", "1*2", ...): *parts is the number of answers it holds (0 for
 * "") and *answer points into text at the last one ("" for "" and for a
 * trailing "*"). A "*" the child typed cannot be told from the separator:
 * "2*5" is read as the answers "2" then "5".
 */
void channel_ussd_split(const char *text, const char **answer, size_t *parts);

/* The external id parse_ussd gives the step before the one whose id is
 * external_id ("SESSION#3" -> "SESSION#2"): malloc'd, or NULL for a first
 * step, an id not made by parse_ussd, or no memory. */
char *channel_ussd_prev_id(const char *external_id);

/* The last line of every page but the last, in language lang (ISO 639-3,
 * English when unknown or NULL): CHANNEL_USSD_MORE_KEY and a word,
 * "00 More", "00 Plus", ... Static. */
const char *channel_ussd_more_line(const char *lang);

/* Whether body (a whole answer, "CON "/"END " included) fits one screen;
 * false for text that is not UTF-8. */
bool channel_ussd_fits(const char *body);

/* The screens of one USSD step, each a whole answer ("CON ..."/"END ...").
 * v[0] is shown now; the others when the child answers the more key. */
struct channel_ussd_pages {
    char **v;
    size_t n;
};

/*
 * Lays out texts[0..n) (the messages of one step, joined with newlines)
 * on as many screens as they need; a message is never cut short. A page
 * breaks between messages where it can; a message longer than a screen
 * breaks between words, preferring the last break that fits before a menu
 * option ("3 Not very safe": one or two digits, ASCII or Arabic-Indic,
 * standing as a word and followed by words), so that no option is split
 * from its number (inside a word only when one word is longer than a
 * screen). Every page but the last is "CON " and ends with a newline and
 * more_line; the last is "CON " when more (the run waits for an answer),
 * else "END ". With no text, the last page holds goodbye (END) or nothing
 * (CON). 0 and out filled (free with channel_ussd_pages_clear()), or
 * SK_ENOMEM with out empty.
 */
int channel_ussd_paginate(const char *const *texts, size_t n, bool more,
                          const char *goodbye, const char *more_line,
                          struct channel_ussd_pages *out);
void channel_ussd_pages_clear(struct channel_ussd_pages *p);

void channel_reply_clear(struct channel_reply *r);

/*
 * The kind of problem a parse error (the err of parse or parse_ussd after
 * SK_EINVAL) describes, as a fixed keyword for the log, which must never
 * carry the request's values: missing_field, bad_json, bad_utf8,
 * too_long, not_phone_number, duplicate_field, bad_form_data,
 * bad_content_type, bad_field, or invalid when none fits.
 */
const char *channel_bad_kind(const char *err);

/* The helpers channel types share (form decoding, secrets, replies,
 * request pairs, provider URLs and requests) are in chanutil.h, beside the
 * types in gateway/channels/. */

#endif
