/*
 * config.h - the one INI configuration file (parsed with inih).
 *
 * Sections: [server] [store] [privacy] [flows] [channel NAME]
 * [safeguarding] [asr] [limits] [outbox]. Unknown sections or keys and bad
 * values stop the start with "file:line: reason". Relative paths are taken
 * relative to the directory of the config file; after config_load() every
 * path field (store_path, key_file, flows_dir, prompts_dir, admin_token_file,
 * sg_phrases, asr_*) is absolute or NULL. Lines are at most 197 bytes and
 * a ";" after a blank starts a comment (inih's defaults). Loaded once on the
 * main thread before any other thread starts; read-only afterwards.
 */
#ifndef SK_CONFIG_H
#define SK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define CONFIG_MAX_CHANNELS 32
#define CONFIG_MAX_WORDS    64

struct config;

/* The most keys one channel type declares (channel_type.h). */
#define CONFIG_MAX_CHANNEL_VALUES 24

/* A key a [channel] section set, as the channel's type declares it. */
struct config_value {
    const char *key; /* static: the type's key table */
    char *value;     /* malloc'd; a boolean as "yes" or "no" */
};

struct config_channel {
    char *name;     /* [channel NAME] */
    char *type;     /* a channel type's name (the registry, channel_type.h) */
    char *secret;   /* URL secret (?secret=) */
    char *send_url; /* where async replies go */
    char *api_url;  /* provider API base, overridable for tests */
    char *flow;     /* default flow for this channel, or NULL */
    char *username, *password, *number;
    /* provider credentials; each type says which it takes (channel_type.h) */
    char *account_sid, *auth_token;
    char *api_key, *api_secret;
    char *signature_secret, *signature_method;
    char *media_hosts;        /* voice */
    bool delete_recordings;   /* voice; default yes */
    const struct config *cfg; /* the config it is part of (public_url,
                               * [outbox]); set by config_load() */
    /* Not a key: where providers reach this gateway, for callback URLs
     * (delivery reports): [server] public_url, else http://LISTEN; no
     * final '/'. Set by config_load(). */
    char *base_url;
    /* Every key of the channel's type that the section set, whether or
     * not it has a field above: a type reads a key declared without one
     * (CHANNEL_KEY_VALUE in channel_type.h) through config_channel_value(). */
    struct config_value values[CONFIG_MAX_CHANNEL_VALUES];
    size_t n_values;
};

#define CONFIG_MAX_UNBUILT  32
#define CONFIG_MAX_WARNINGS 32

struct config {
    char *file; /* the path it was read from */

    /* [server] */
    char *listen;       /* host:port, default 127.0.0.1:8080 */
    char *public_url;   /* may be NULL */
    char *admin_listen; /* may be NULL */
    char *admin_token_file;
    size_t max_body;     /* bytes, default 64 KiB */
    size_t max_headers;  /* bytes, default 8 KiB */
    int max_connections; /* default 256 */
    int timeout_seconds; /* per request, default 30 */

    /* [store] */
    char *store_path; /* default var/sikiliza.db */
    int queue_depth;  /* writer queue, default 1024 */

    /* [privacy] */
    char *key_file;     /* default var/secret.key */
    int vault_days;     /* default 30 */
    int retention_days; /* default 365 */
    int min_cell;       /* default 5 */
    /* erase words ([privacy] delete_words), folded on use
     * (optout_fold_words); defaults in eng fra ara swa spa por */
    char *delete_words[CONFIG_MAX_WORDS];
    size_t n_delete_words;

    /* [flows] */
    char *flows_dir;    /* default flows/examples */
    char *default_flow; /* may be NULL */
    int expire_minutes; /* session expiry when a flow sets none; 10080 */
    char *timezone;     /* IANA name for dates in flows; NULL = UTC */
    char *date_format;  /* DD-MM-YYYY (default), MM-DD-YYYY, YYYY-MM-DD */
    char *country;      /* ISO 3166 alpha-2 for has_phone; may be NULL */
    /* opt-out words, folded on use (optout_fold_words); defaults in eng
     * fra ara swa spa por */
    char *stop_words[CONFIG_MAX_WORDS];
    size_t n_stop_words;
    /* recorded prompts: DIR/LANG/NAME.wav, served at /prompts/ (may be
     * NULL: none) */
    char *prompts_dir;
    /* what the flows read as @globals.organisation, .reply_cost and
     * .helpline, over an export's values (NULL: the export's) */
    char *organisation, *reply_cost, *helpline;

    /* [safeguarding] (safeguard.h): on unless enabled = no; phrases is a
     * directory of phrase files (NULL: the built-in lists alone), flow the
     * referral flow (NULL: the built-in referral message, naming
     * helpline), notify_url the alert webhook (https, or http when
     * notify_allow_http) */
    char *sg_phrases, *sg_flow, *sg_notify_url;
    bool sg_enabled;           /* default yes */
    bool sg_notify_allow_http; /* default no */
    char *sg_helpline;         /* NULL: SAFEGUARD_HELPLINE */
    /* on-call staff told by SMS through this channel: numbers comma
     * separated (checked by safeguard_from_config()); NULL: none */
    char *sg_notify_channel, *sg_notify_numbers;

    /* [asr] */
    char *asr_model, *asr_dict, *asr_lm;
    int asr_workers; /* default 2 */
    /* closed-set answers below this confidence are "not understood"
     * (asr.h); 0: the decoder's default */
    double asr_min_confidence;

    /* [limits] */
    int max_replies_per_inbound;      /* default 10 */
    int max_replies_per_contact_day;  /* any 24 hours, default 50 */
    int max_sends_per_channel_minute; /* default 600 */
    int max_segments; /* flow texts longer than this are warned of; 2 */

    /* [outbox]: the send queue's pace and its requests (see outbox.h);
     * 0 takes the outbox's own default */
    int outbox_max_parallel;    /* rows sent at once; 8 */
    int outbox_max_attempts;    /* then the row fails; 6 */
    int outbox_poll_ms;         /* look for due rows this often; 500 */
    int outbox_backoff_base_ms; /* first retry delay; 5000 */
    int outbox_backoff_max_ms;  /* longest retry delay; 3600000 */
    int outbox_timeout_ms;      /* one send request; 30000 */

    struct config_channel channels[CONFIG_MAX_CHANNELS];
    size_t n_channels;

    /* Keys this file sets that belong to parts not built yet (they are in
     * the design): accepted so a config can be written ahead, and warned
     * about at start since they have no effect. */
    struct config_unbuilt {
        int line;
        char what[80]; /* "[section] key" */
    } unbuilt[CONFIG_MAX_UNBUILT];
    size_t n_unbuilt;

    /* operations: [server] log_format, "text" or "json" (log.h), NULL for
     * text; where sections and keys are in the file (config_line()) */
    char *log_format;
    struct config_lines *lines;

    /* Keys that are valid but have no effect in this configuration (e.g.
     * notify_allow_http without an http:// notify_url, [asr] with no
     * channel that takes calls): found by config_load(), logged at start
     * by serve as "FILE:LINE: text" (preflight_check()). */
    struct config_warning {
        int line;
        char text[160]; /* "[section] key has no effect: why" */
    } warnings[CONFIG_MAX_WARNINGS];
    size_t n_warnings;
};

/* Reads and checks path. NULL with err "file:line: reason" on failure. */
struct config *config_load(const char *path, char err[SK_ERR_LEN]);
void config_free(struct config *cfg); /* NULL is a no-op */

/* The line of the file on which section ("server", "channel NAME") began,
 * or with key set, the line that set key in it; 0 when the file has none. */
int config_line(const struct config *cfg, const char *section, const char *key);

/* "FILE:LINE" for key of section (or, when the file does not set it,
 * the section's line; "FILE" when neither), in buf; returns buf. */
const char *config_where(const struct config *cfg, const char *section,
                         const char *key, char buf[SK_ERR_LEN]);

/* The channel named name, or NULL. */
const struct config_channel *config_channel(const struct config *cfg,
                                            const char *name);

/* The value the section of ch gave key (one of its type's keys), or NULL
 * when it gave none. */
const char *config_channel_value(const struct config_channel *ch,
                                 const char *key);
/* A boolean key of ch's type: its value, or dflt when not set. */
bool config_channel_bool(const struct config_channel *ch, const char *key,
                         bool dflt);

#endif
