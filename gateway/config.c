/*
 * config.c - the INI configuration file, read with inih.
 *
 * Debian's inih is built with its default options: the handler is not
 * told the line number, lines are at most 200 bytes, a ";" after
 * whitespace starts an inline comment, indented lines continue the last
 * value and section headers reach no handler. So the file is fed to
 * ini_parse_stream() through our own reader, which counts lines, strips
 * leading blanks (so no line is ever taken as a continuation), refuses
 * over-long lines and sees every [section] header itself. The handler
 * then knows the line it is on, and an empty or unknown section, or a
 * [channel NAME] header, is noticed where it is written.
 *
 * The first error wins and is reported as "FILE:LINE: reason". inih's own
 * syntax errors come back as the line number it returns; whichever error
 * has the lower line is the one reported. Checks that need the whole file
 * (a channel's type decides which keys it takes and needs) run after the
 * parse and name the key's line, or the [channel] header's line for a key
 * that is missing. Values are never echoed for string keys: they may be
 * secrets. Runs once on the main thread before other threads start.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "channel_type.h"
#include "config.h"

#define CHANNEL_NAME_MAX 32
#define MAX_SECTION_KEYS 20
#define MAX_CHANNEL_KEYS 32 /* keys one [channel] section may set */

enum kind {
    K_STR,     /* any text */
    K_PATH,    /* text, resolved against the config file's directory */
    K_URL,     /* http:// or https:// */
    K_ADDR,    /* HOST:PORT */
    K_INT,     /* int in [min, max] */
    K_SIZE,    /* size_t in [min, max] */
    K_BOOL,    /* yes/no/true/false/1/0 */
    K_WORDS,   /* comma separated list (stop_words, delete_words) */
    K_TYPE,    /* channel type: a name in the channel registry */
    K_CHECKED, /* text a channel type checks (struct channel_key) */
    K_ZONE,    /* IANA timezone name */
    K_DATEFMT, /* DD-MM-YYYY, MM-DD-YYYY or YYYY-MM-DD */
    K_COUNTRY, /* ISO 3166 alpha-2 */
    K_FRAC,    /* a number in [0, 1] (double) */
    K_LOGFMT,  /* text or json ([server] log_format) */
};

struct key {
    const char *name;
    enum kind kind;
    size_t off; /* in struct config, or struct config_channel */
    long long min, max;
    const char *(*check)(const char *value); /* K_CHECKED */
    bool unbuilt; /* a part not built yet: accepted, warned about */
};

#define C(f) offsetof(struct config, f)
#define H(f) offsetof(struct config_channel, f)

static const struct key server_keys[] = {
    {"listen", K_ADDR, C(listen), 0, 0, 0, false},
    {"public_url", K_URL, C(public_url), 0, 0, 0, false},
    {"admin_listen", K_ADDR, C(admin_listen), 0, 0, 0, false},
    {"admin_token_file", K_PATH, C(admin_token_file), 0, 0, 0, false},
    {"max_body", K_SIZE, C(max_body), 1024, 64LL << 20, 0, false},
    {"max_headers", K_SIZE, C(max_headers), 256, 1LL << 20, 0, false},
    {"max_connections", K_INT, C(max_connections), 1, 65536, 0, false},
    {"timeout_seconds", K_INT, C(timeout_seconds), 1, 3600, 0, false},
    /* the log's line format (log.h) */
    {"log_format", K_LOGFMT, C(log_format), 0, 0, 0, false},
};

static const struct key store_keys[] = {
    {"path", K_PATH, C(store_path), 0, 0, 0, false},
    {"queue_depth", K_INT, C(queue_depth), 1, 1000000, 0, false},
};

static const struct key privacy_keys[] = {
    {"key_file", K_PATH, C(key_file), 0, 0, 0, false},
    {"vault_days", K_INT, C(vault_days), 1, 3650, 0, false},
    {"retention_days", K_INT, C(retention_days), 1, 36500, 0, false},
    {"min_cell", K_INT, C(min_cell), 1, 1000, 0, false},
    {"delete_words", K_WORDS, C(delete_words), 0, 0, 0, false},
};

static const struct key flows_keys[] = {
    {"dir", K_PATH, C(flows_dir), 0, 0, 0, false},
    {"default", K_STR, C(default_flow), 0, 0, 0, false},
    {"expire_minutes", K_INT, C(expire_minutes), 1, 525600, 0, false},
    {"stop_words", K_WORDS, C(stop_words), 0, 0, 0, false},
    {"timezone", K_ZONE, C(timezone), 0, 0, 0, false},
    {"date_format", K_DATEFMT, C(date_format), 0, 0, 0, false},
    {"country", K_COUNTRY, C(country), 0, 0, 0, false},
    {"prompts", K_PATH, C(prompts_dir), 0, 0, 0, false},
    /* the flows' @globals (survey) */
    {"organisation", K_STR, C(organisation), 0, 0, 0, false},
    {"reply_cost", K_STR, C(reply_cost), 0, 0, 0, false},
    {"helpline", K_STR, C(helpline), 0, 0, 0, false},
};

static const struct key safeguarding_keys[] = {
    {"phrases", K_PATH, C(sg_phrases), 0, 0, 0, false},
    {"flow", K_STR, C(sg_flow), 0, 0, 0, false},
    {"notify_url", K_URL, C(sg_notify_url), 0, 0, 0, false},
    {"enabled", K_BOOL, C(sg_enabled), 0, 0, 0, false},
    {"notify_allow_http", K_BOOL, C(sg_notify_allow_http), 0, 0, 0, false},
    {"helpline", K_STR, C(sg_helpline), 0, 0, 0, false},
    {"notify_channel", K_STR, C(sg_notify_channel), 0, 0, 0, false},
    {"notify_numbers", K_STR, C(sg_notify_numbers), 0, 0, 0, false},
};

static const struct key asr_keys[] = {
    {"model", K_PATH, C(asr_model), 0, 0, 0, false},
    {"dict", K_PATH, C(asr_dict), 0, 0, 0, false},
    {"lm", K_PATH, C(asr_lm), 0, 0, 0, false},
    {"workers", K_INT, C(asr_workers), 1, 64, 0, false},
    {"min_confidence", K_FRAC, C(asr_min_confidence), 0, 0, 0, false},
};

static const struct key limits_keys[] = {
    {"max_replies_per_inbound", K_INT, C(max_replies_per_inbound), 1, 100, 0,
     false},
    {"max_replies_per_contact_day", K_INT, C(max_replies_per_contact_day), 1,
     100000, 0, false},
    {"max_sends_per_channel_minute", K_INT, C(max_sends_per_channel_minute), 1,
     1000000, 0, false},
    {"max_segments", K_INT, C(max_segments), 1, 255, 0, false},
};

static const struct key outbox_keys[] = {
    {"max_parallel", K_INT, C(outbox_max_parallel), 1, 256, 0, false},
    {"max_attempts", K_INT, C(outbox_max_attempts), 1, 100, 0, false},
    {"poll_ms", K_INT, C(outbox_poll_ms), 10, 60000, 0, false},
    {"backoff_base_ms", K_INT, C(outbox_backoff_base_ms), 1, 86400000, 0,
     false},
    {"backoff_max_ms", K_INT, C(outbox_backoff_max_ms), 1, 604800000, 0, false},
    {"timeout_ms", K_INT, C(outbox_timeout_ms), 100, 600000, 0, false},
};

/* The keys every channel takes; a type adds its own (channel.h). */
static const struct key common_channel_keys[] = {
    {"type", K_TYPE, H(type), 0, 0, NULL, false},
    {"flow", K_STR, H(flow), 0, 0, NULL, false},
    {"api_url", K_URL, H(api_url), 0, 0, NULL, false},
};

#define N_COMMON_KEYS                                                          \
    (sizeof(common_channel_keys) / sizeof(common_channel_keys[0]))

enum sect {
    S_NONE, /* before the first header */
    S_SERVER,
    S_STORE,
    S_PRIVACY,
    S_FLOWS,
    S_SAFEGUARDING,
    S_ASR,
    S_LIMITS,
    S_OUTBOX,
    S_CHANNEL,
    S_BAD, /* a header already reported as an error */
};

#define N_FIXED S_CHANNEL

struct section {
    const char *name;
    const struct key *keys;
    size_t n;
};

#define SECTION(name, keys)                                                    \
    {                                                                          \
        name, keys, sizeof(keys) / sizeof(keys[0])                             \
    }

static const struct section sections[N_FIXED] = {
    [S_NONE] = {"", NULL, 0},
    [S_SERVER] = SECTION("server", server_keys),
    [S_STORE] = SECTION("store", store_keys),
    [S_PRIVACY] = SECTION("privacy", privacy_keys),
    [S_FLOWS] = SECTION("flows", flows_keys),
    [S_SAFEGUARDING] = SECTION("safeguarding", safeguarding_keys),
    [S_ASR] = SECTION("asr", asr_keys),
    [S_LIMITS] = SECTION("limits", limits_keys),
    [S_OUTBOX] = SECTION("outbox", outbox_keys),
};

/*
 * The words that opt a contact out: English, French, Arabic, Swahili,
 * Spanish, Portuguese. They match with case, diacritics, punctuation and
 * emoji ignored (optout_match): "arret" and "arrêt" are one word there.
 */
static const char *const default_stop_words[] = {
    "stop",
    "unsubscribe",
    "cancel",
    "end",
    "quit",
    /* French "stop" is the English one */
    "arret",
    "arrêt",
    "desabonner",
    /* Arabic: stop, stopping, cancel (with and without hamza) */
    "توقف",
    "إيقاف",
    "الغاء",
    "إلغاء",
    /* Swahili: leave off, stand still, halt */
    "acha",
    "simama",
    "sitisha",
    /* Spanish */
    "alto",
    "parar",
    "baja",
    "cancelar",
    /* French: stop (imperative, infinitive), unsubscribe */
    "arrête",
    "arrêter",
    "désinscrire",
    /* Arabic: halt; "stop" in Arabic letters */
    "قف",
    "ستوب",
    /* Swahili: leave off (as said in Kenya) */
    "wacha",
    /* Spanish: stop (imperative), stop doing */
    "para",
    "detener",
    /* Portuguese: stop (imperative; "parar", "cancelar" as in Spanish),
     * leave */
    "pare",
    "sair",
};

/* The words that erase a contact, in the same languages. */
static const char *const default_delete_words[] = {
    "delete",
    "supprimer",
    "effacer",
    "احذف",
    "حذف",
    "futa",
    "borrar",
    /* English, French (imperative), Arabic (wipe), Spanish, Portuguese */
    "erase",
    "supprime",
    "efface",
    "امسح",
    "borra",
    "eliminar",
    "apagar",
    "apaga",
    "excluir",
};

struct load {
    struct config *cfg;
    const char *file; /* as given, for messages */
    FILE *fp;
    char *line; /* getline() buffer */
    size_t cap;
    int lineno;
    int err_line; /* line of the first error, 0 for none */
    char reason[SK_ERR_LEN];
    enum sect sect;
    size_t chan; /* current channel, when sect is S_CHANNEL */
    int sect_line[N_FIXED];
    int key_line[N_FIXED][MAX_SECTION_KEYS];
    int chan_line[CONFIG_MAX_CHANNELS];
    /* the keys each [channel] section set, and their lines */
    struct {
        const char *name; /* static: the key table's */
        int line;
    } chan_keys[CONFIG_MAX_CHANNELS][MAX_CHANNEL_KEYS];
    size_t n_chan_keys[CONFIG_MAX_CHANNELS];
};

/* Where sections and keys are, kept for config_line(). */
struct config_lines {
    int sect_line[N_FIXED];
    int key_line[N_FIXED][MAX_SECTION_KEYS];
    int chan_line[CONFIG_MAX_CHANNELS];
    struct {
        const char *name;
        int line;
    } chan_keys[CONFIG_MAX_CHANNELS][MAX_CHANNEL_KEYS];
    size_t n_chan_keys[CONFIG_MAX_CHANNELS];
};

/* The registry's type names, as "a, b, ... or z". */
static const char *
type_names(char *buf, size_t len)
{
    size_t n = channel_count(), off = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%s",
                                i == 0       ? ""
                                : i == n - 1 ? " or "
                                             : ", ",
                                channel_at(i)->type);
    return buf;
}

/* The struct key for a [channel] key name, read from the common keys or
 * from the first type that declares it (*typed set); false when no type
 * takes it. */
static bool
channel_key_find(const char *name, struct key *out, bool *typed)
{
    *typed = false;
    for (size_t i = 0; i < N_COMMON_KEYS; i++) {
        if (strcmp(common_channel_keys[i].name, name) == 0) {
            *out = common_channel_keys[i];
            return true;
        }
    }
    for (size_t t = 0; t < channel_count(); t++) {
        const struct channel_type *ct = channel_at(t);

        for (size_t i = 0; i < ct->n_keys; i++) {
            const struct channel_key *ck = &ct->keys[i];

            if (strcmp(ck->name, name) != 0)
                continue;
            out->name = ck->name;
            out->off = ck->off;
            out->min = out->max = 0;
            out->check = ck->check;
            out->unbuilt = ck->unbuilt;
            out->kind = ck->kind == CHANNEL_KEY_URL    ? K_URL
                        : ck->kind == CHANNEL_KEY_BOOL ? K_BOOL
                        : ck->check != NULL            ? K_CHECKED
                                                       : K_STR;
            *typed = true;
            return true;
        }
    }
    return false;
}

/* Records the error at line unless one on an earlier line is known. */
__attribute__((format(printf, 3, 4))) static int
fail_at(struct load *ld, int line, const char *fmt, ...)
{
    va_list ap;

    if (ld->err_line != 0 && ld->err_line <= line)
        return 0;
    ld->err_line = line;
    va_start(ap, fmt);
    vsnprintf(ld->reason, sizeof(ld->reason), fmt, ap);
    va_end(ap);
    return 0; /* what an inih handler returns on error */
}

static char *
trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static void
section_begin_channel(struct load *ld, char *name)
{
    struct config *cfg = ld->cfg;
    size_t n = strlen(name);

    if (n == 0) {
        fail_at(ld, ld->lineno, "[channel] needs a name: [channel NAME]");
        return;
    }
    if (n > CHANNEL_NAME_MAX) {
        fail_at(ld, ld->lineno, "channel name is longer than %d characters",
                CHANNEL_NAME_MAX);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];

        if (!isalnum(c) && c != '-' && c != '_') {
            fail_at(ld, ld->lineno,
                    "channel name '%s' may hold only letters, digits, "
                    "'-' and '_'",
                    name);
            return;
        }
    }
    for (size_t i = 0; i < cfg->n_channels; i++) {
        if (strcmp(cfg->channels[i].name, name) == 0) {
            fail_at(ld, ld->lineno,
                    "duplicate channel name '%s' (first on line %d)", name,
                    ld->chan_line[i]);
            return;
        }
    }
    if (cfg->n_channels == CONFIG_MAX_CHANNELS) {
        fail_at(ld, ld->lineno, "too many channels (at most %d)",
                CONFIG_MAX_CHANNELS);
        return;
    }
    cfg->channels[cfg->n_channels].name = strdup(name);
    if (cfg->channels[cfg->n_channels].name == NULL) {
        fail_at(ld, ld->lineno, "out of memory");
        return;
    }
    cfg->channels[cfg->n_channels].delete_recordings = true;
    ld->chan_line[cfg->n_channels] = ld->lineno;
    ld->chan = cfg->n_channels++;
    ld->sect = S_CHANNEL;
}

static void
section_begin_named(struct load *ld, char *name)
{
    if (strncmp(name, "channel", 7) == 0 &&
        (name[7] == '\0' || isspace((unsigned char)name[7]))) {
        section_begin_channel(ld, trim(name + 7));
        return;
    }
    for (int i = S_SERVER; i < N_FIXED; i++) {
        if (strcmp(name, sections[i].name) != 0)
            continue;
        if (ld->sect_line[i] != 0) {
            fail_at(ld, ld->lineno, "duplicate section [%s] (first on line %d)",
                    name, ld->sect_line[i]);
            return;
        }
        ld->sect_line[i] = ld->lineno;
        ld->sect = (enum sect)i;
        return;
    }
    fail_at(ld, ld->lineno, "unknown section [%.60s]", name);
}

/* A "[...]" line, read as inih reads it; inih reports a malformed one. */
static void
section_begin(struct load *ld, const char *s)
{
    const char *p = s + 1;
    char *name;

    ld->sect = S_BAD;
    while (*p != '\0' && *p != ']' &&
           !(*p == ';' && isspace((unsigned char)p[-1])))
        p++;
    if (*p != ']')
        return; /* inih returns this line as a syntax error */
    name = strndup(s + 1, (size_t)(p - s - 1));
    if (name == NULL) {
        fail_at(ld, ld->lineno, "out of memory");
        return;
    }
    section_begin_named(ld, trim(name));
    free(name);
}

/* inih's fgets-style reader: one physical line per call. */
static char *
conf_reader(char *str, int num, void *stream)
{
    struct load *ld = stream;
    ssize_t n = getline(&ld->line, &ld->cap, ld->fp);
    char *s;

    if (n < 0)
        return NULL;
    ld->lineno++;
    s = ld->line;
    if (ld->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3;  /* UTF-8 byte order mark */
    s = trim(s); /* no leading blank: never a continuation line */
    if (num < 3 || strlen(s) > (size_t)num - 3) {
        fail_at(ld, ld->lineno, "line is longer than %d bytes", num - 3);
        s = "";
    } else if (s[0] == '[') {
        section_begin(ld, s);
    }
    snprintf(str, (size_t)num, "%s\n", s);
    return str;
}

static const char *
section_name(const struct load *ld, char *buf, size_t len)
{
    if (ld->sect == S_CHANNEL)
        snprintf(buf, len, "channel %s", ld->cfg->channels[ld->chan].name);
    else
        snprintf(buf, len, "%s", sections[ld->sect].name);
    return buf;
}

static bool
valid_url(const char *v)
{
    const char *host;

    if (strncasecmp(v, "http://", 7) == 0)
        host = v + 7;
    else if (strncasecmp(v, "https://", 8) == 0)
        host = v + 8;
    else
        return false;
    if (*host == '\0' || *host == '/')
        return false;
    for (const char *p = v; *p != '\0'; p++)
        if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
            return false;
    return true;
}

static bool
valid_addr(const char *v)
{
    const char *colon = strrchr(v, ':');
    char *end;
    long port;

    if (colon == NULL || colon == v || colon[1] == '\0')
        return false;
    for (const char *p = v; p < colon; p++)
        if (isspace((unsigned char)*p))
            return false;
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    return errno == 0 && *end == '\0' && isdigit((unsigned char)colon[1]) &&
           port >= 1 && port <= 65535;
}

/* The word list a K_WORDS key fills: its array and its count. */
static size_t *
words_count(struct config *cfg, size_t off)
{
    return off == offsetof(struct config, delete_words) ? &cfg->n_delete_words
                                                        : &cfg->n_stop_words;
}

static int
set_words(struct load *ld, const struct key *k, const char *value)
{
    struct config *cfg = ld->cfg;
    char **words = (char **)((char *)cfg + k->off);
    size_t *n = words_count(cfg, k->off);
    char *copy = strdup(value), *save = NULL, *tok;
    int rc = 1;

    if (copy == NULL)
        return fail_at(ld, ld->lineno, "out of memory");
    for (tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        tok = trim(tok);
        if (*tok == '\0')
            continue;
        if (*n == CONFIG_MAX_WORDS) {
            rc = fail_at(ld, ld->lineno, "%s: more than %d words", k->name,
                         CONFIG_MAX_WORDS);
            break;
        }
        words[*n] = strdup(tok);
        if (words[*n] == NULL) {
            rc = fail_at(ld, ld->lineno, "out of memory");
            break;
        }
        (*n)++;
    }
    free(copy);
    if (rc != 0 && *n == 0)
        rc = fail_at(ld, ld->lineno, "%s: no words in the list", k->name);
    return rc;
}

/* A K_FRAC value: a decimal number from 0 to 1. */
static int
set_fraction(struct load *ld, const struct key *k, void *base,
             const char *value, const char *sect)
{
    char *end;
    double d;

    errno = 0;
    d = strtod(value, &end);
    if (errno != 0 || end == value || *end != '\0' || !(d >= 0 && d <= 1))
        return fail_at(ld, ld->lineno,
                       "key '%s' in [%s]: '%.32s' is not a number from 0 "
                       "to 1",
                       k->name, sect, value);
    *(double *)((char *)base + k->off) = d;
    return 1;
}

static int
set_value(struct load *ld, const struct key *k, void *base, const char *value,
          const char *sect)
{
    char *end, **str = (char **)((char *)base + k->off);
    long long n;

    switch (k->kind) {
    case K_URL:
        if (!valid_url(value))
            return fail_at(ld, ld->lineno,
                           "key '%s' in [%s]: expected an http:// or "
                           "https:// URL",
                           k->name, sect);
        break;
    case K_ADDR:
        if (!valid_addr(value))
            return fail_at(ld, ld->lineno,
                           "key '%s' in [%s]: expected HOST:PORT", k->name,
                           sect);
        break;
    case K_INT:
    case K_SIZE:
        errno = 0;
        n = strtoll(value, &end, 10);
        if (errno == ERANGE && end != value && *end == '\0')
            return fail_at(ld, ld->lineno,
                           "key '%s' in [%s]: %.32s is out of range "
                           "(%lld to %lld)",
                           k->name, sect, value, k->min, k->max);
        if (errno != 0 || end == value || *end != '\0')
            return fail_at(ld, ld->lineno,
                           "key '%s' in [%s]: '%.32s' is not an integer",
                           k->name, sect, value);
        if (n < k->min || n > k->max)
            return fail_at(ld, ld->lineno,
                           "key '%s' in [%s]: %lld is out of range "
                           "(%lld to %lld)",
                           k->name, sect, n, k->min, k->max);
        if (k->kind == K_INT)
            *(int *)((char *)base + k->off) = (int)n;
        else
            *(size_t *)((char *)base + k->off) = (size_t)n;
        return 1;
    case K_FRAC:
        return set_fraction(ld, k, base, value, sect);
    case K_LOGFMT:
        if (strcmp(value, "text") != 0 && strcmp(value, "json") != 0)
            return fail_at(ld, ld->lineno,
                           "key '%s' in [%s]: '%.32s' is not text or json",
                           k->name, sect, value);
        break;
    case K_BOOL:
        if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "true") == 0 ||
            strcmp(value, "1") == 0)
            *(bool *)((char *)base + k->off) = true;
        else if (strcasecmp(value, "no") == 0 ||
                 strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0)
            *(bool *)((char *)base + k->off) = false;
        else
            return fail_at(ld, ld->lineno,
                           "key '%s' in [%s]: '%.32s' is not a boolean "
                           "(yes/no/true/false/1/0)",
                           k->name, sect, value);
        return 1;
    case K_WORDS:
        return set_words(ld, k, value);
    case K_TYPE: {
        char names[160];

        if (channel_find(value) == NULL)
            return fail_at(ld, ld->lineno, "unknown channel type '%.32s' (%s)",
                           value, type_names(names, sizeof(names)));
        break;
    }
    case K_CHECKED: {
        const char *why = k->check(value);

        if (why != NULL)
            return fail_at(ld, ld->lineno, "key '%s' in [%s]: '%.32s' %s",
                           k->name, sect, value, why);
        break;
    }
    case K_ZONE:
        /* a name under the zone database: no "..", no leading "/" */
        if (value[0] == '/' || strstr(value, "..") != NULL ||
            strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                          "0123456789/_+-") != strlen(value))
            return fail_at(ld, ld->lineno,
                           "key '%s' in [%s]: '%.40s' is not a timezone name "
                           "such as Africa/Nairobi",
                           k->name, sect, value);
        break;
    case K_DATEFMT:
        if (strcmp(value, "DD-MM-YYYY") != 0 &&
            strcmp(value, "MM-DD-YYYY") != 0 &&
            strcmp(value, "YYYY-MM-DD") != 0)
            return fail_at(ld, ld->lineno,
                           "key '%s' in [%s]: '%.32s' is not one of "
                           "DD-MM-YYYY, MM-DD-YYYY, YYYY-MM-DD",
                           k->name, sect, value);
        break;
    case K_COUNTRY:
        if (strlen(value) != 2 || value[0] < 'A' || value[0] > 'Z' ||
            value[1] < 'A' || value[1] > 'Z')
            return fail_at(ld, ld->lineno,
                           "key '%s' in [%s]: '%.32s' is not a country code "
                           "such as KE (ISO 3166, upper case)",
                           k->name, sect, value);
        break;
    case K_STR:
    case K_PATH:
        break;
    }
    *str = strdup(value);
    if (*str == NULL)
        return fail_at(ld, ld->lineno, "out of memory");
    return 1;
}

/* Notes a key of a part not built yet, for the warning at start. */
static void
note_unbuilt(struct load *ld, const struct key *k, const char *sect)
{
    struct config *cfg = ld->cfg;

    if (!k->unbuilt || cfg->n_unbuilt == CONFIG_MAX_UNBUILT)
        return;
    cfg->unbuilt[cfg->n_unbuilt].line = ld->lineno;
    snprintf(cfg->unbuilt[cfg->n_unbuilt].what, sizeof(cfg->unbuilt[0].what),
             "[%s] %s", sect, k->name);
    cfg->n_unbuilt++;
}

/* A key a channel type declares: checked as set_value() checks it, then
 * stored in ch's table and, when the key has one, in its field. */
static int
set_type_value(struct load *ld, const struct key *k, struct config_channel *ch,
               const char *value, const char *sect)
{
    struct config_value *v = &ch->values[ch->n_values];
    struct key tk = *k;
    bool b = false;

    if (ch->n_values == CONFIG_MAX_CHANNEL_VALUES)
        return fail_at(ld, ld->lineno, "too many keys in [%s]", sect);
    tk.off = 0;
    if (k->kind == K_BOOL) {
        if (set_value(ld, &tk, &b, value, sect) != 1)
            return 0;
        v->value = strdup(b ? "yes" : "no");
    } else if (set_value(ld, &tk, &v->value, value, sect) != 1) {
        return 0;
    }
    if (v->value == NULL)
        return fail_at(ld, ld->lineno, "out of memory");
    v->key = k->name;
    ch->n_values++;
    if (k->off == CHANNEL_KEY_NO_FIELD)
        return 1;
    if (k->kind == K_BOOL) {
        *(bool *)((char *)ch + k->off) = b;
        return 1;
    }
    *(char **)((char *)ch + k->off) = strdup(v->value);
    if (*(char **)((char *)ch + k->off) == NULL)
        return fail_at(ld, ld->lineno, "out of memory");
    return 1;
}

/* A key = value line in a [channel] section. */
static int
channel_handler(struct load *ld, const char *name, const char *value)
{
    size_t c = ld->chan, n = ld->n_chan_keys[c];
    struct key k;
    bool typed;
    char sect[64];

    section_name(ld, sect, sizeof(sect));
    if (!channel_key_find(name, &k, &typed))
        return fail_at(ld, ld->lineno, "unknown key '%.40s' in [%s]", name,
                       sect);
    for (size_t i = 0; i < n; i++)
        if (strcmp(ld->chan_keys[c][i].name, k.name) == 0)
            return fail_at(ld, ld->lineno,
                           "duplicate key '%s' in [%s] (first on line %d)",
                           name, sect, ld->chan_keys[c][i].line);
    if (n == MAX_CHANNEL_KEYS)
        return fail_at(ld, ld->lineno, "too many keys in [%s]", sect);
    ld->chan_keys[c][n].name = k.name;
    ld->chan_keys[c][n].line = ld->lineno;
    ld->n_chan_keys[c]++;
    if (value == NULL || value[0] == '\0')
        return fail_at(ld, ld->lineno, "key '%s' in [%s] has no value", name,
                       sect);
    note_unbuilt(ld, &k, sect);
    if (typed)
        return set_type_value(ld, &k, &ld->cfg->channels[c], value, sect);
    return set_value(ld, &k, &ld->cfg->channels[c], value, sect);
}

static int
conf_handler(void *user, const char *section, const char *name,
             const char *value)
{
    struct load *ld = user;
    const struct key *keys;
    char sect[64];
    size_t n, i;
    int *lines;
    void *base;

    (void)section; /* the reader tracks it, with its line */
    if (ld->sect == S_BAD)
        return 0; /* the header is the error already reported */
    if (ld->sect == S_NONE)
        return fail_at(ld, ld->lineno, "key '%.40s' is outside any section",
                       name);
    if (ld->sect == S_CHANNEL)
        return channel_handler(ld, name, value);
    keys = sections[ld->sect].keys;
    n = sections[ld->sect].n;
    lines = ld->key_line[ld->sect];
    base = ld->cfg;
    section_name(ld, sect, sizeof(sect));
    for (i = 0; i < n; i++)
        if (strcmp(keys[i].name, name) == 0)
            break;
    if (i == n)
        return fail_at(ld, ld->lineno, "unknown key '%.40s' in [%s]", name,
                       sect);
    if (lines[i] != 0)
        return fail_at(ld, ld->lineno,
                       "duplicate key '%s' in [%s] (first on line %d)", name,
                       sect, lines[i]);
    lines[i] = ld->lineno;
    if (value == NULL || value[0] == '\0')
        return fail_at(ld, ld->lineno, "key '%s' in [%s] has no value", name,
                       sect);
    note_unbuilt(ld, &keys[i], sect);
    return set_value(ld, &keys[i], base, value, sect);
}

/* Whether type ct declares key name (the common keys: every type). */
static bool
type_takes(const struct channel_type *ct, const char *name)
{
    for (size_t i = 0; i < N_COMMON_KEYS; i++)
        if (strcmp(common_channel_keys[i].name, name) == 0)
            return true;
    for (size_t i = 0; i < ct->n_keys; i++)
        if (strcmp(ct->keys[i].name, name) == 0)
            return true;
    return false;
}

/* Whole-file checks on a channel: its type decides its keys. */
static void
check_channel(struct load *ld, size_t idx)
{
    const struct config_channel *ch = &ld->cfg->channels[idx];
    const struct channel_type *ct;
    int header = ld->chan_line[idx];
    char names[160];

    if (ch->type == NULL) {
        fail_at(ld, header, "channel '%s' has no type (%s)", ch->name,
                type_names(names, sizeof(names)));
        return;
    }
    if ((ct = channel_find(ch->type)) == NULL)
        return; /* reported at the type's line */
    for (size_t i = 0; i < ld->n_chan_keys[idx]; i++)
        if (!type_takes(ct, ld->chan_keys[idx][i].name))
            fail_at(ld, ld->chan_keys[idx][i].line,
                    "key '%s' does not apply to channel '%s' of type %s",
                    ld->chan_keys[idx][i].name, ch->name, ch->type);
    for (size_t i = 0; i < ct->n_keys; i++) {
        const struct channel_key *ck = &ct->keys[i];

        if (ck->required && ck->kind != CHANNEL_KEY_BOOL &&
            config_channel_value(ch, ck->name) == NULL)
            fail_at(ld, header, "channel '%s' (type %s) needs key '%s'",
                    ch->name, ch->type, ck->name);
    }
}

/* --- keys with no effect in this configuration ------------------------- */

/* The line of key name of fixed section sect in this file, 0 when unset. */
static int
key_line(const struct load *ld, enum sect sect, const char *name)
{
    for (size_t i = 0; i < sections[sect].n; i++)
        if (strcmp(sections[sect].keys[i].name, name) == 0)
            return ld->key_line[sect][i];
    return 0;
}

/* Notes a warning at line (0: not set, nothing to say): "[sect] key has
 * no effect: why", logged at start (config.h). */
static void warn_at(struct load *ld, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
warn_at(struct load *ld, int line, const char *fmt, ...)
{
    struct config *cfg = ld->cfg;
    va_list ap;

    if (line == 0 || cfg->n_warnings == CONFIG_MAX_WARNINGS)
        return;
    cfg->warnings[cfg->n_warnings].line = line;
    va_start(ap, fmt);
    vsnprintf(cfg->warnings[cfg->n_warnings].text,
              sizeof(cfg->warnings[0].text), fmt, ap);
    va_end(ap);
    cfg->n_warnings++;
}

/* Whether some channel of the file is of a type that takes calls. */
static bool
takes_calls(const struct config *cfg)
{
    for (size_t i = 0; i < cfg->n_channels; i++) {
        const struct channel_type *ct = channel_find(cfg->channels[i].type);

        if (ct != NULL && ct->parse_call != NULL)
            return true;
    }
    return false;
}

/* [safeguarding]: keys that do nothing with the others as set. */
static void
check_safeguarding(struct load *ld)
{
    const struct config *cfg = ld->cfg;
    const char *url = cfg->sg_notify_url;

    if (!cfg->sg_enabled) {
        for (size_t i = 0; i < sections[S_SAFEGUARDING].n; i++)
            if (strcmp(safeguarding_keys[i].name, "enabled") != 0)
                warn_at(ld, ld->key_line[S_SAFEGUARDING][i],
                        "[safeguarding] %s has no effect: enabled = no",
                        safeguarding_keys[i].name);
        return;
    }
    if (cfg->sg_notify_allow_http &&
        (url == NULL || strncasecmp(url, "http://", 7) != 0))
        warn_at(ld, key_line(ld, S_SAFEGUARDING, "notify_allow_http"),
                "[safeguarding] notify_allow_http has no effect: notify_url "
                "is not an http:// URL");
    if (cfg->sg_notify_numbers != NULL && cfg->sg_notify_channel == NULL)
        warn_at(ld, key_line(ld, S_SAFEGUARDING, "notify_numbers"),
                "[safeguarding] notify_numbers has no effect without "
                "notify_channel (serve refuses to start)");
    if (cfg->sg_notify_channel != NULL && cfg->sg_notify_numbers == NULL)
        warn_at(ld, key_line(ld, S_SAFEGUARDING, "notify_channel"),
                "[safeguarding] notify_channel has no effect without "
                "notify_numbers (serve refuses to start)");
}

/*
 * Keys that are valid but do nothing in this file's configuration: each
 * is a warning naming its line and why (config.h: warnings[]), so that no
 * setting is accepted in silence. Checks only what the file alone tells.
 */
static void
check_effects(struct load *ld)
{
    const struct config *cfg = ld->cfg;
    bool calls = takes_calls(cfg), all_named = cfg->n_channels > 0;

    warn_at(ld,
            cfg->admin_listen == NULL
                ? key_line(ld, S_SERVER, "admin_token_file")
                : 0,
            "[server] admin_token_file has no effect without admin_listen");
    for (size_t i = 0; !calls && i < sections[S_ASR].n; i++)
        warn_at(ld, ld->key_line[S_ASR][i],
                "[asr] %s has no effect: no channel takes calls, so serve "
                "hears no recording",
                asr_keys[i].name);
    warn_at(ld, calls ? 0 : key_line(ld, S_FLOWS, "prompts"),
            "[flows] prompts has no effect: no channel takes calls");
    for (size_t i = 0; i < cfg->n_channels; i++)
        all_named = all_named && cfg->channels[i].flow != NULL;
    warn_at(ld, all_named ? key_line(ld, S_FLOWS, "default") : 0,
            "[flows] default has no effect: every channel names its flow");
    check_safeguarding(ld);
    for (size_t c = 0; c < cfg->n_channels; c++) {
        const struct config_channel *ch = &cfg->channels[c];
        const struct channel_type *ct = channel_find(ch->type);

        for (size_t i = 0; i < ld->n_chan_keys[c]; i++) {
            const char *k = ld->chan_keys[c][i].name;
            int line = ld->chan_keys[c][i].line;

            if (strcmp(k, "api_url") == 0 && ct != NULL && !ct->uses_api_url)
                warn_at(ld, line,
                        "[channel %s] api_url has no effect: a %s channel "
                        "sends to its send_url",
                        ch->name, ch->type);
            if (strcmp(k, "signature_method") == 0 &&
                ch->signature_secret == NULL)
                warn_at(ld, line,
                        "[channel %s] signature_method has no effect without "
                        "signature_secret",
                        ch->name);
        }
    }
}

/* The directory of path, absolute when it can be, without a final '/'. */
static char *
config_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir, *real;

    if (slash == NULL)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (dir == NULL)
        return NULL;
    real = realpath(dir, NULL);
    if (real != NULL) {
        free(dir);
        dir = real;
    }
    return dir;
}

static int
resolve_path(char **p, const char *dir)
{
    size_t len;
    char *full;

    if (*p == NULL || (*p)[0] == '/')
        return 0;
    len = strlen(dir) + strlen(*p) + 2;
    full = malloc(len);
    if (full == NULL)
        return SK_ENOMEM;
    snprintf(full, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
             *p);
    free(*p);
    *p = full;
    return 0;
}

static int
set_default(char **p, const char *value)
{
    if (*p == NULL)
        *p = strdup(value);
    return *p == NULL ? SK_ENOMEM : 0;
}

/* A channel's base_url: public_url, else http://LISTEN, no final '/'. */
static int
set_base_url(const struct config *cfg, struct config_channel *ch)
{
    const char *base = cfg->public_url;
    size_t len;

    if (base != NULL) {
        ch->base_url = strdup(base);
    } else {
        len = strlen(cfg->listen) + sizeof("http://");
        if ((ch->base_url = malloc(len)) != NULL)
            snprintf(ch->base_url, len, "http://%s", cfg->listen);
    }
    if (ch->base_url == NULL)
        return SK_ENOMEM;
    len = strlen(ch->base_url);
    while (len > 0 && ch->base_url[len - 1] == '/')
        ch->base_url[--len] = '\0';
    return 0;
}

static int
set_default_words(char **words, size_t *n, const char *const *defaults,
                  size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if ((words[i] = strdup(defaults[i])) == NULL)
            return SK_ENOMEM;
        *n = i + 1;
    }
    return 0;
}

/* Defaults for what the file left out, then paths made absolute. */
static int
finish(struct config *cfg)
{
    char *dir = NULL;
    int rc = SK_ENOMEM;

    if (set_default(&cfg->listen, "127.0.0.1:8080") != 0 ||
        set_default(&cfg->store_path, "var/sikiliza.db") != 0 ||
        set_default(&cfg->key_file, "var/secret.key") != 0 ||
        set_default(&cfg->flows_dir, "flows/examples") != 0)
        goto done;
    if (cfg->n_stop_words == 0 &&
        set_default_words(
            cfg->stop_words, &cfg->n_stop_words, default_stop_words,
            sizeof(default_stop_words) / sizeof(default_stop_words[0])) != 0)
        goto done;
    if (cfg->n_delete_words == 0 &&
        set_default_words(cfg->delete_words, &cfg->n_delete_words,
                          default_delete_words,
                          sizeof(default_delete_words) /
                              sizeof(default_delete_words[0])) != 0)
        goto done;
    for (size_t i = 0; i < cfg->n_channels; i++)
        if (set_base_url(cfg, &cfg->channels[i]) != 0)
            goto done;
    dir = config_dir(cfg->file);
    if (dir == NULL)
        goto done;
    for (int s = S_SERVER; s < N_FIXED; s++)
        for (size_t i = 0; i < sections[s].n; i++)
            if (sections[s].keys[i].kind == K_PATH &&
                resolve_path((char **)((char *)cfg + sections[s].keys[i].off),
                             dir) != 0)
                goto done;
    rc = 0;
done:
    free(dir);
    return rc;
}

static void
config_init(struct config *cfg)
{
    cfg->max_body = 64 * 1024;
    cfg->max_headers = 8 * 1024;
    cfg->max_connections = 256;
    cfg->timeout_seconds = 30;
    cfg->queue_depth = 1024;
    cfg->vault_days = 30;
    cfg->retention_days = 365;
    cfg->min_cell = 5;
    cfg->expire_minutes = 10080;
    cfg->asr_workers = 2;
    cfg->max_replies_per_inbound = 10;
    cfg->max_replies_per_contact_day = 50;
    cfg->max_sends_per_channel_minute = 600;
    cfg->max_segments = 2;
    cfg->sg_enabled = true;
}

/* Copies where things are in the file for config_line(). */
static int
keep_lines(struct config *cfg, const struct load *ld)
{
    struct config_lines *l = calloc(1, sizeof(*l));

    if (l == NULL)
        return SK_ENOMEM;
    memcpy(l->sect_line, ld->sect_line, sizeof(l->sect_line));
    memcpy(l->key_line, ld->key_line, sizeof(l->key_line));
    memcpy(l->chan_line, ld->chan_line, sizeof(l->chan_line));
    for (size_t c = 0; c < CONFIG_MAX_CHANNELS; c++) {
        l->n_chan_keys[c] = ld->n_chan_keys[c];
        for (size_t i = 0; i < ld->n_chan_keys[c]; i++) {
            l->chan_keys[c][i].name = ld->chan_keys[c][i].name;
            l->chan_keys[c][i].line = ld->chan_keys[c][i].line;
        }
    }
    cfg->lines = l;
    return 0;
}

int
config_line(const struct config *cfg, const char *section, const char *key)
{
    const struct config_lines *l = cfg != NULL ? cfg->lines : NULL;
    const struct config_channel *ch;
    size_t c, i;

    if (l == NULL || section == NULL)
        return 0;
    if (strncmp(section, "channel ", 8) == 0) {
        if ((ch = config_channel(cfg, section + 8)) == NULL)
            return 0;
        c = (size_t)(ch - cfg->channels);
        if (key == NULL)
            return l->chan_line[c];
        for (i = 0; i < l->n_chan_keys[c]; i++)
            if (strcmp(l->chan_keys[c][i].name, key) == 0)
                return l->chan_keys[c][i].line;
        return 0;
    }
    for (int s = S_SERVER; s < N_FIXED; s++) {
        if (strcmp(sections[s].name, section) != 0)
            continue;
        if (key == NULL)
            return l->sect_line[s];
        for (i = 0; i < sections[s].n; i++)
            if (strcmp(sections[s].keys[i].name, key) == 0)
                return l->key_line[s][i];
        return 0;
    }
    return 0;
}

const char *
config_where(const struct config *cfg, const char *section, const char *key,
             char buf[SK_ERR_LEN])
{
    int line = key != NULL ? config_line(cfg, section, key) : 0;

    if (line == 0)
        line = config_line(cfg, section, NULL);
    if (line > 0)
        snprintf(buf, SK_ERR_LEN, "%s:%d", cfg->file, line);
    else
        snprintf(buf, SK_ERR_LEN, "%s", cfg->file);
    return buf;
}

struct config *
config_load(const char *path, char err[SK_ERR_LEN])
{
    struct load *ld = NULL;
    struct config *cfg = NULL;
    int rc;

    if (path == NULL || path[0] == '\0') {
        sk_seterr(err, "no configuration file given");
        return NULL;
    }
    cfg = calloc(1, sizeof(*cfg));
    ld = calloc(1, sizeof(*ld));
    if (cfg == NULL || ld == NULL || (cfg->file = strdup(path)) == NULL) {
        sk_seterr(err, "%s: out of memory", path);
        goto fail;
    }
    config_init(cfg);
    ld->cfg = cfg;
    ld->file = path;
    ld->fp = fopen(path, "r");
    if (ld->fp == NULL) {
        sk_seterr(err, "%s: %s", path, strerror(errno));
        goto fail;
    }
    rc = ini_parse_stream(conf_reader, ld, conf_handler, ld);
    if (ferror(ld->fp)) {
        sk_seterr(err, "%s: read error", path);
        goto fail;
    }
    if (rc > 0 && (ld->err_line == 0 || rc < ld->err_line)) {
        ld->err_line = rc;
        snprintf(ld->reason, sizeof(ld->reason),
                 "syntax error: expected [section], key = value or a "
                 "comment");
    } else if (rc < 0 && ld->err_line == 0) {
        sk_seterr(err, "%s: out of memory", path);
        goto fail;
    }
    if (ld->err_line == 0)
        for (size_t i = 0; i < cfg->n_channels; i++)
            check_channel(ld, i);
    if (ld->err_line == 0)
        check_effects(ld);
    if (ld->err_line != 0) {
        sk_seterr(err, "%s:%d: %s", path, ld->err_line, ld->reason);
        goto fail;
    }
    if (finish(cfg) != 0) {
        sk_seterr(err, "%s: out of memory", path);
        goto fail;
    }
    for (size_t i = 0; i < cfg->n_channels; i++)
        cfg->channels[i].cfg = cfg;
    if (keep_lines(cfg, ld) != 0) {
        sk_seterr(err, "%s: out of memory", path);
        goto fail;
    }
    fclose(ld->fp);
    free(ld->line);
    free(ld);
    return cfg;
fail:
    if (ld != NULL) {
        if (ld->fp != NULL)
            fclose(ld->fp);
        free(ld->line);
        free(ld);
    }
    config_free(cfg);
    return NULL;
}

static void
free_strings(void *base, const struct key *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (keys[i].kind) {
        case K_STR:
        case K_PATH:
        case K_URL:
        case K_ADDR:
        case K_TYPE:
        case K_CHECKED:
        case K_ZONE:
        case K_DATEFMT:
        case K_COUNTRY:
        case K_LOGFMT:
            free(*(char **)((char *)base + keys[i].off));
            break;
        default:
            break;
        }
    }
}

/* Frees the string keys of ch: the common ones and those any type
 * declares (a field several types share is freed once). */
static void
free_channel_strings(struct config_channel *ch)
{
    free_strings(ch, common_channel_keys, N_COMMON_KEYS);
    for (size_t t = 0; t < channel_count(); t++) {
        const struct channel_type *ct = channel_at(t);

        for (size_t i = 0; i < ct->n_keys; i++) {
            char **p;

            if (ct->keys[i].kind == CHANNEL_KEY_BOOL ||
                ct->keys[i].off == CHANNEL_KEY_NO_FIELD)
                continue;
            p = (char **)((char *)ch + ct->keys[i].off);
            free(*p);
            *p = NULL;
        }
    }
    for (size_t i = 0; i < ch->n_values; i++)
        free(ch->values[i].value);
    ch->n_values = 0;
}

void
config_free(struct config *cfg)
{
    if (cfg == NULL)
        return;
    for (int s = S_SERVER; s < N_FIXED; s++)
        free_strings(cfg, sections[s].keys, sections[s].n);
    for (size_t i = 0; i < cfg->n_stop_words; i++)
        free(cfg->stop_words[i]);
    for (size_t i = 0; i < cfg->n_delete_words; i++)
        free(cfg->delete_words[i]);
    for (size_t i = 0; i < cfg->n_channels; i++) {
        free(cfg->channels[i].name);
        free(cfg->channels[i].base_url);
        free_channel_strings(&cfg->channels[i]);
    }
    free(cfg->file);
    free(cfg->lines);
    free(cfg);
}

const struct config_channel *
config_channel(const struct config *cfg, const char *name)
{
    if (cfg == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < cfg->n_channels; i++)
        if (strcmp(cfg->channels[i].name, name) == 0)
            return &cfg->channels[i];
    return NULL;
}

const char *
config_channel_value(const struct config_channel *ch, const char *key)
{
    if (ch == NULL || key == NULL)
        return NULL;
    for (size_t i = 0; i < ch->n_values; i++)
        if (strcmp(ch->values[i].key, key) == 0)
            return ch->values[i].value;
    return NULL;
}

bool
config_channel_bool(const struct config_channel *ch, const char *key, bool dflt)
{
    const char *v = config_channel_value(ch, key);

    return v == NULL ? dflt : strcmp(v, "yes") == 0;
}
