/*
 * afterword.h - the kind reply to a message that comes after the survey
 * has ended (see afterword.c). Writer thread, inside the inbound job.
 */
#ifndef SK_AFTERWORD_H
#define SK_AFTERWORD_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "flow.h"

struct store_tx;

#define AFTERWORD_TEXT_MAX 512

/*
 * The kind reply in lang (ISO 639-3: eng fra ara swa spa por, English for
 * any other or NULL): thanks, the free helpline when helpline is set, and
 * the keyword that starts the survey again (upper-cased) when keyword is
 * set. Into buf; returns buf.
 */
const char *afterword_text(const char *lang, const char *helpline,
                           const char *keyword, char buf[AFTERWORD_TEXT_MAX]);

/*
 * For a message that matched no keyword from a contact whose last run
 * completed, when flows have a keyword (without one the survey starts
 * again, as the child would have no way back to it): appends the kind reply
 * (helpline from flows' @globals.helpline, the set's first keyword) to texts
 * and notes the time, unless the contact had one in the last 24 hours (then
 * nothing: *sent false). The message starts no flow either way. 0, SK_ENOMEM or
 * SK_EIO.
 */
int afterword_reply(struct store_tx *tx, const char *contact_key,
                    const char *lang, const struct flow_set *flows, int64_t now,
                    json_t *texts, bool *sent);

/*
 * Whether a message that starts no flow and resumes no run gets the
 * afterword rather than the survey from its start: the contact's last run
 * completed, or, waiting for nothing, the contact has disclosed harm (an
 * alert still names contact_key: see afterword.c). 0, SK_EINVAL or SK_EIO.
 */
int afterword_due(struct store_tx *tx, const char *contact_key,
                  const struct flow_session *s, bool *due);

#endif
