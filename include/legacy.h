/*
 * legacy.h - legacy RapidPro flow definitions (before spec 13: the
 * "action_sets"/"rule_sets" format of RapidPro exports up to version 11
 * and 12, and the older exports that wrap each flow in a "definition"
 * key) migrated to a spec 13.0.0 definition, as goflow's legacy package
 * does; the migration chain of migrate.c then brings it to the current
 * spec. Old expressions (@flow.x, @contact.x, @step.value, @extra.x,
 * =(...) and @(...) with Excel-style functions and operators) are
 * rewritten in the current syntax.
 *
 * Pure: no I/O, no clock, no globals; any thread. Where goflow makes a
 * random uuid (categories, cases, a flow without one) a uuid derived from
 * the definition is used instead, so loading is repeatable.
 */
#ifndef SK_LEGACY_H
#define SK_LEGACY_H

#include <jansson.h>
#include <stdbool.h>

#include "err.h"

/* Options of legacy_template(). */
#define LEGACY_DEFAULT_TO_SELF                                                 \
    1u                       /* an expression that errors renders as           \
                                it was written */
#define LEGACY_URL_ENCODE 2u /* url_encode() each expression */
#define LEGACY_RAW_DATES  4u /* dates left unformatted */

/*
 * Whether def, one flow of a file or export, is in the legacy format: it
 * has "action_sets", "rule_sets" or "flow_type" (goflow's test), or is
 * wrapped in a "definition" object that has one of these.
 */
bool legacy_is_definition(const json_t *def);

/*
 * The spec 13.0.0 definition migrated from the legacy def (not changed),
 * as a new object the caller owns. A "definition" wrapper is unwrapped
 * first, as RapidPro does (its name, uuid, flow_type and revision go to
 * the flow). base_media_url makes relative attachment and recording
 * paths absolute ("" leaves them relative to "/"). Returns NULL with err
 * set when def cannot be migrated (an unknown action, ruleset or test
 * type, a malformed part), or "out of memory".
 */
json_t *legacy_migrate(const json_t *def, const char *base_media_url,
                       char err[SK_ERR_LEN]);

/*
 * In exports older than RapidPro's version 9 flows name each other by
 * their id ({"id": 12, "name": "Register"}): gives each such reference in
 * a legacy flow of the export root the uuid of the export's flow with
 * that id (its "id" and "uuid", or its metadata's), as RapidPro's export
 * migration does. Changes root in place; a reference to a flow not in the
 * export is left as it is. Returns 0 or SK_ENOMEM.
 */
int legacy_export_ids(json_t *root);

/*
 * tpl, a legacy template, in the current syntax: a malloc'd string, or
 * NULL when out of memory. opts is a mask of LEGACY_* options. An
 * expression that cannot be read is left as it was and sets *bad (when
 * bad is not NULL) to true.
 */
char *legacy_template(const char *tpl, unsigned opts, bool *bad);

#endif
