/*
 * flow_int.h - the loaded form of a flow definition, shared by
 * flows/definition.c (which builds and validates it) and flows/runner.c
 * (which runs it). Not a public interface.
 *
 * A struct flow keeps its parsed JSON definition; every string below points
 * into that JSON and lives as long as the flow. Indexes (-1 for none) stand
 * in for uuid references once validation has resolved them.
 */
#ifndef SK_FLOW_INT_H
#define SK_FLOW_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

/* goflow's limits */
#define FL_MAX_NODES      1000
#define FL_MAX_ACTIONS    100
#define FL_MAX_EXITS      100
#define FL_MAX_CATEGORIES 100
#define FL_MAX_CASES      100
#define FL_MAX_ARGS       10
#define FL_MAX_NAME       64
#define FL_MAX_TEXT       10000 /* send_msg / say_msg text */
#define FL_MAX_REPLIES    10
#define FL_MAX_REPLY      1000     /* a quick reply template, in bytes */
#define FL_MAX_REPLY_TEXT 64       /* an evaluated quick reply, in characters */
#define FL_MAX_STEPS      100      /* nodes visited per sprint */
#define FL_MAX_DEPTH      250      /* nested enter_flow runs */
#define FL_MAX_TIMEOUT_S  31536000 /* a wait's timeout: a year at most */
#define FL_MAX_EXPIRE_MIN 525600   /* a flow's expiry: a year at most */

enum fl_action_type {
    FA_SEND_MSG,
    FA_SAY_MSG,
    FA_PLAY_AUDIO,
    FA_SET_RUN_RESULT,
    FA_SET_CONTACT_LANGUAGE,
    FA_SET_CONTACT_FIELD,
    FA_ENTER_FLOW
};

struct fl_action {
    enum fl_action_type type;
    const char *uuid;
    const json_t *json; /* the action object */
};

struct fl_exit {
    const char *uuid;
    const char *dest; /* node uuid or NULL */
    int dest_idx;     /* -1: the run ends */
};

struct fl_category {
    const char *uuid;
    const char *name;
    int exit_idx;
};

struct fl_case {
    const char *uuid;
    const char *type;
    const json_t *args; /* array of string templates, or NULL */
    int cat_idx;
};

enum fl_router_type { FR_NONE, FR_SWITCH, FR_RANDOM };

struct fl_node {
    const char *uuid;
    struct fl_action *actions;
    size_t nactions;
    struct fl_exit *exits;
    size_t nexits;
    enum fl_router_type router;
    const char *operand;     /* switch; "@input.text" by default */
    const char *result_name; /* or NULL */
    struct fl_category *cats;
    size_t ncats;
    struct fl_case *cases;
    size_t ncases;
    int default_cat; /* -1 when none */
    bool wait;       /* a "msg" wait before the router */
    int64_t timeout_s;
    int timeout_cat;
    const char *hint; /* "digits", "audio" or NULL */
};

struct flow {
    json_t *def; /* owned */
    const char *uuid;
    const char *name;
    const char *type; /* "messaging" or "voice" */
    const char *language;
    int64_t expire_minutes;
    const json_t *loc; /* localization object or NULL */
    struct fl_node *nodes;
    size_t nnodes;
};

struct fl_trigger {
    char *keyword; /* case folded */
    bool only;     /* match_type "O": the whole text */
    char *flow_ref;
    const struct flow *flow; /* set once resolved */
};

struct flow_set {
    json_t *fields;  /* declared contact fields: snaked key -> {name, type} */
    json_t *globals; /* workspace globals: key -> text (@globals.key) */
    struct flow **flows;
    size_t n, cap;
    struct fl_trigger *trig;
    size_t ntrig, trigcap;
};

/* Whether code is an ISO 639-3 language code. */
bool fl_lang_known(const char *code);

/*
 * How the editor shows node i of f, for messages: its first message's
 * first words or its result name, then its uuid:
 * "\"How safe do you feel...\" (uuid 0123...)"; its position when it has
 * neither: "3 (uuid 0123...)". Into buf (len bytes, cut if need be).
 */
void fl_node_label(const struct flow *f, size_t i, char *buf, size_t len);

/* The same for the JSON nj of a node at position pos (0 based). */
void fl_node_label_json(const json_t *nj, size_t pos, char *buf, size_t len);

/* The index of the node with this uuid in f, or -1. */
int fl_node_index(const struct flow *f, const char *uuid);

/*
 * The translation of item's property prop (e.g. "text", "quick_replies",
 * "arguments", "name") into lang: a JSON array of strings, or NULL when
 * there is none.
 */
const json_t *fl_localized(const struct flow *f, const char *lang,
                           const char *item, const char *prop);

#endif
