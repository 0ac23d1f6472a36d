/*
 * flow.h - the flow engine: RapidPro/TextIt flow definitions (spec 13.x and
 * 14.x, as goflow implements them; legacy pre-13 ones are migrated first,
 * see legacy.h) loaded, validated and run.
 *
 * Pure: no I/O, no clock, no globals. The caller reads files, passes the
 * time in, and persists the session as JSON between steps. A flow_set is
 * read-only once loaded and may be shared by threads; a flow_session is
 * used by one thread at a time.
 *
 * Events are appended to a caller-owned JSON array, one object per event,
 * named as goflow names them. The ones the gateway and the simulator rely
 * on:
 *   {"type":"run_started","flow":"Wellbeing Check"}
 *   {"type":"msg_created","text":"Hi!"}            ("quick_replies":[..])
 *      (quick replies as strings: goflow's "text<extra>more" keeps only
 *      its text, cut to 64 characters ending "..." when longer)
 *   {"type":"msg_wait","timeout_seconds":600,"hint":"digits"} (keys if set)
 *   {"type":"run_result_changed","name":"Feel Safe","value":"yes",
 *    "category":"Yes","input":"yes I do"}
 *   {"type":"contact_language_changed","language":"fra"}
 *   {"type":"contact_field_changed","field":{"key":"age","name":"Age"},
 *    "value":{"text":"12"}}                        (value null when cleared)
 *   {"type":"run_ended","flow":"Wellbeing Check","status":"completed"}
 *                                    (or "expired", "interrupted", "failed")
 *   {"type":"error","text":"..."}                  (expression errors etc.)
 */
#ifndef SK_FLOW_H
#define SK_FLOW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct flow_set; /* loaded flows and keyword triggers */
struct flow;     /* one flow, owned by its set */
struct flow_session;

/*
 * Called once for every problem found while loading: flow and node where
 * they are known (either may be NULL) and a reason such as "exit 3f..
 * points to missing node 9a.." or "action type \"call_webhook\" is not
 * supported". node names the node as the RapidPro editor shows it: its
 * first message's first words or its result name, then its uuid
 * ("\"How safe do you feel...\" (uuid 0123...)"), or its position when it
 * has neither ("3 (uuid 0123...)"). A reason that starts "WARNING: " (a
 * translation missing, say) is a warning: it does not fail the load.
 * Loading also runs the flow check (check.h): expression syntax, unknown
 * functions, argument counts, references to results, input properties
 * and (at flow_set_link) contact fields that cannot exist.
 */
typedef void (*flow_diag_fn)(void *arg, const char *flow, const char *node,
                             const char *reason);

/*
 * The flow spec version this engine runs, as goflow v0.293 does. Older
 * definitions (13.0.0 and later) are migrated to it when they are added
 * to a set; a newer minor (14.5.0) or major (15.x) version is refused.
 */
#define FLOW_SPEC_VERSION "14.4.2"

/*
 * Migrates one flow definition (changed in place) from its spec_version up
 * to version to, or to FLOW_SPEC_VERSION when to is NULL, with the steps
 * goflow takes (13.1.0, 13.2.0, ... 14.4.2), each setting spec_version.
 * A legacy definition (action_sets/rule_sets, see legacy.h) is first
 * replaced by its spec 13.0.0 migration. A definition at or past to is
 * left as it is. Returns 0, SK_EINVAL with err set when spec_version is
 * missing, before 13 without being a legacy definition, newer than this
 * engine, or the legacy definition cannot be migrated; or SK_ENOMEM.
 */
int flow_migrate(json_t *def, const char *to, char err[SK_ERR_LEN]);

struct flow_set *flow_set_new(void);
void flow_set_free(struct flow_set *set); /* NULL is a no-op */

/*
 * Adds the flows in text: one flow definition, or an export
 * {"version": ..., "flows": [...], "triggers": [...]}. Every problem is
 * reported through diag (which may be NULL). Returns 0, or SK_EINVAL when
 * any problem was found (then nothing from text is added), SK_ENOMEM.
 */
int flow_set_add_json(struct flow_set *set, const char *text, size_t len,
                      flow_diag_fn diag, void *arg);

/*
 * Checks references between flows (enter_flow targets) once everything is
 * added. Returns 0 or SK_EINVAL after reporting each problem through diag.
 */
int flow_set_link(struct flow_set *set, flow_diag_fn diag, void *arg);

size_t flow_set_count(const struct flow_set *set);
const struct flow *flow_set_at(const struct flow_set *set, size_t i);

/* By uuid or by name (case-insensitive). NULL when there is none. */
const struct flow *flow_set_find(const struct flow_set *set, const char *id);

/*
 * The flow a keyword trigger starts for this incoming text (goflow rules:
 * the first word, case-insensitive, "only" triggers need the whole text to
 * be the keyword). NULL when no trigger matches.
 */
const struct flow *flow_set_match_keyword(const struct flow_set *set,
                                          const char *text);

/*
 * The keyword of the set's i-th keyword trigger (in load order, case
 * folded), or NULL when there are not that many: e.g. for telling a child
 * which word starts a survey again.
 */
const char *flow_set_keyword_at(const struct flow_set *set, size_t i);

/* The flow the set's i-th keyword trigger starts, or NULL (past the last,
 * or a trigger naming no loaded flow). */
const struct flow *flow_set_keyword_flow_at(const struct flow_set *set,
                                            size_t i);

const char *flow_name(const struct flow *f);
const char *flow_uuid(const struct flow *f);
const char *flow_type(const struct flow *f); /* "messaging" or "voice" */
/* How many nodes f has. */
size_t flow_node_count(const struct flow *f);
/* The definition's "revision", or 0 when it has none. */
int64_t flow_revision(const struct flow *f);

/*
 * f's i-th language: 0 is its own (its "language"), then each it is
 * translated into (its localization keys, in file order); NULL past the
 * last. E.g. for checking a contact language the flow can speak.
 */
const char *flow_lang_at(const struct flow *f, size_t i);

/* Whether code is an ISO 639-3 language code, as goflow knows them. */
bool flow_lang_known(const char *code);

/*
 * Workspace globals, as goflow's: an export's "globals" list
 * ([{"key": "helpline", "name": "Helpline", "value": "116 111"}]) declares
 * them and flows read them as @globals.key; a reference to a global no
 * file declares fails the load, one whose value is empty is warned about.
 * The first value of a key wins: flow_set_set_global() before the files
 * are added gives the operator's value over the exports' (the set is
 * read-only once sessions run). Returns 0, SK_EINVAL for an empty key, or
 * SK_ENOMEM. flow_set_global() is its value, or NULL when no file
 * declares it and none was set.
 */
int flow_set_set_global(struct flow_set *set, const char *key,
                        const char *value);
const char *flow_set_global(const struct flow_set *set, const char *key);

/*
 * The contact fields the set declares, as a workspace does: those listed in
 * an export's "fields" ([{"key": "age", "name": "Age", "type": "number"}])
 * and those a set_contact_field action names. Calls fn(arg, key, name,
 * type) once per field: key snaked ("Age" -> "age"), type "text" when none
 * was given. A declared field the contact has no value for reads as ""
 * from @fields.key and @contact.fields.key; an undeclared one is an error.
 */
void flow_set_each_field(const struct flow_set *set,
                         void (*fn)(void *arg, const char *key,
                                    const char *name, const char *type),
                         void *arg);

/*
 * Every text this flow may send, per language (for cost checks):
 * calls fn(arg, node, language, text) for each send_msg text and
 * translation; node names the node as the editor shows it (its first
 * message's first words or its result name, the UUID last). language is the
 * flow's base language for the original.
 */
void flow_each_message(const struct flow *f,
                       void (*fn)(void *arg, const char *node, const char *lang,
                                  const char *text),
                       void *arg);

/*
 * A session: the contact's state (language, fields) and the stack of runs.
 * A new session has no run; the contact part is kept across flows.
 * seed makes the random router repeatable.
 */
struct flow_session *flow_session_new(const char *language, uint64_t seed);
void flow_session_free(struct flow_session *s); /* NULL is a no-op */

/* JSON round trip for storage. dump returns a malloc'd string. */
char *flow_session_dump(const struct flow_session *s);
struct flow_session *flow_session_load(const char *json, char err[SK_ERR_LEN]);

enum flow_status {
    FLOW_IDLE,        /* no run, or the last run has ended */
    FLOW_WAITING,     /* waiting for a message */
    FLOW_COMPLETED,   /* the last run completed */
    FLOW_EXPIRED,     /* the last run expired */
    FLOW_INTERRUPTED, /* the last run was interrupted */
    FLOW_FAILED       /* the last run failed (e.g. a loop without waits) */
};
enum flow_status flow_session_status(const struct flow_session *s);

/* The contact's language (ISO 639-3) or NULL. */
const char *flow_session_language(const struct flow_session *s);
int flow_session_set_language(struct flow_session *s, const char *lang);

/*
 * The environment templates and router tests see, as goflow's environment:
 * an IANA timezone (tz), a date format ("DD-MM-YYYY", "MM-DD-YYYY" or
 * "YYYY-MM-DD") and a country (ISO 3166 alpha-2, for has_phone). NULL
 * keeps the default (UTC, "DD-MM-YYYY", none). Kept in the session dump.
 * Returns 0 or SK_ENOMEM.
 */
int flow_session_set_env(struct flow_session *s, const char *tz,
                         const char *date_format, const char *country);

/*
 * The rules of the session's timezone, for zones with daylight saving
 * time: the engine reads no zone files, so the caller passes the POSIX TZ
 * rule string of the zone named in flow_session_set_env(). It is the last
 * line of the zone's TZif file (version 2 or later, RFC 8536 section 3.3):
 * /usr/share/zoneinfo/Europe/Paris ends with "\nCET-1CEST,M3.5.0,M10.5.0/3\n"
 * and the rule is the text between those two newlines
 * ("CET-1CEST,M3.5.0,M10.5.0/3"; "EAT-3" for Africa/Nairobi). A version 1
 * file has no such line: pass NULL. NULL or "" clears it; then only UTC,
 * fixed offsets and zones without DST are known by name (see tz.h), any
 * other name reads as UTC. Set it whenever the timezone is set; it is kept
 * in the session dump. Returns 0, SK_EINVAL when rule is not a POSIX TZ
 * rule (nothing changes), or SK_ENOMEM.
 */
int flow_session_set_tz_rule(struct flow_session *s, const char *rule);

/*
 * How expressions find the POSIX TZ rule of a zone given by name
 * (format_datetime and parse_datetime's third argument): fn(arg, name)
 * returns a rule that stays valid while the session is used, or NULL when
 * the zone is unknown. Without one only UTC, the session's zone and the
 * names tz.h knows work. Not kept in the dump: set it again after loading.
 */
typedef const char *(*flow_zone_fn)(void *arg, const char *name);
void flow_session_set_zone_lookup(struct flow_session *s, flow_zone_fn fn,
                                  void *arg);

/*
 * Sets the contact's field key (snaked as goflow does: "Age" -> "age") to
 * value, trimmed and cut to 640 characters; NULL or "" clears it. Emits no
 * event (it is not a flow step). Kept in the session dump. Returns 0,
 * SK_EINVAL for an empty key, or SK_ENOMEM.
 */
int flow_session_set_field(struct flow_session *s, const char *key,
                           const char *value);

/* The waiting flow's uuid, or NULL when not waiting. */
const char *flow_session_flow(const struct flow_session *s);

/* The uuid of the node the waiting run waits at, or NULL when not
 * waiting (see flow_wait.h for what the wait asks for). */
const char *flow_session_node(const struct flow_session *s);

/* Unix ms when the current wait times out, or 0 when it has no timeout. */
int64_t flow_session_timeout_at(const struct flow_session *s);

/* Unix ms when the waiting session expires, or 0 when not waiting. */
int64_t flow_session_expires_at(const struct flow_session *s);

/*
 * Starts f in s, interrupting any run in progress (an "interrupted"
 * run_ended is emitted for it). input is the text that triggered it, or
 * NULL for a manual start. now is unix milliseconds. Events are appended
 * to events. Returns 0, or a negative SK_E* with err set.
 */
int flow_start(const struct flow_set *set, struct flow_session *s,
               const struct flow *f, const char *input, int64_t now,
               json_t *events, char err[SK_ERR_LEN]);

/*
 * Interrupts every run of s (an "interrupted" run_ended is emitted for
 * each, innermost first) without starting another: the session is then
 * FLOW_INTERRUPTED with nothing to wait for. A session with no run is left
 * as it is. Returns 0, or a negative SK_E* with err set.
 */
int flow_interrupt(struct flow_session *s, int64_t now, json_t *events,
                   char err[SK_ERR_LEN]);

enum flow_resume_type {
    FLOW_RESUME_MSG,     /* a message (typed, keyed or transcribed) */
    FLOW_RESUME_TIMEOUT, /* the wait's timeout fired */
    FLOW_RESUME_EXPIRE   /* the session expired */
};

struct flow_resume {
    enum flow_resume_type type;
    const char *text; /* FLOW_RESUME_MSG: the message text (UTF-8) */
};

/*
 * Resumes the waiting run. Returns SK_ESTATE when s is not waiting,
 * otherwise as flow_start().
 */
int flow_resume(const struct flow_set *set, struct flow_session *s,
                const struct flow_resume *r, int64_t now, json_t *events,
                char err[SK_ERR_LEN]);

#endif
