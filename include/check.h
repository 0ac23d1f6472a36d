/*
 * check.h - the flow check: what RapidPro's editor reports as "issues",
 * found in a loaded flow before any child sees it. Every text that holds
 * expressions (messages, quick replies, router operands, case arguments,
 * result and field values, and their translations) is read without being
 * evaluated, for syntax errors, unknown functions, wrong argument counts
 * (functions and router tests), references to what cannot exist
 * (@input.txt, @results.x that no node saves, @fields.x that nothing sets
 * or declares) and, as warnings, translations missing per language.
 * Pure; any thread.
 */
#ifndef SK_CHECK_H
#define SK_CHECK_H

#include <jansson.h>
#include <stdbool.h>

struct flow;

/*
 * Called once per finding: node is how the editor shows the node (see
 * fl_node_label()), NULL for the flow as a whole; warning is true for a
 * finding that does not stop the flow from loading.
 */
typedef void (*check_report_fn)(void *arg, const char *node, bool warning,
                                const char *reason);

/*
 * Checks f's expressions, references to results and input, and its
 * translations. @fields references are left to check_fields(). Returns
 * the number of errors (warnings not counted), or SK_ENOMEM.
 */
int check_flow(const struct flow *f, check_report_fn fn, void *arg);

/*
 * Checks that every @fields.x and @contact.fields.x in f names a field in
 * fields (snaked key -> {name, type}: those an export declares or a
 * set_contact_field sets), and every @globals.x a global in globals (key
 * -> text; an empty one is a warning). Returns the number of errors, or
 * SK_ENOMEM.
 */
int check_fields(const struct flow *f, const json_t *fields,
                 const json_t *globals, check_report_fn fn, void *arg);

#endif
