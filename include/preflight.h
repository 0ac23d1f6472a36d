/*
 * preflight.h - the checks `serve` makes on a loaded config before it
 * starts (channel types and their rules, secrets, the flows it names).
 * Main thread, once, before the event loop runs.
 */
#ifndef SK_PREFLIGHT_H
#define SK_PREFLIGHT_H

#include "config.h"

struct channel_type;
struct flow_set;

/* Checks cfg against the channel registry and flows, writing every
 * problem to stderr as `file:line: [section]: reason`, and sets types[i]
 * to the type of channel i (NULL when unknown). flows NULL (they did not
 * load) skips the checks of the flows the config names. Warnings go to
 * the log. 0 or SK_EINVAL. */
int preflight_check(const struct config *cfg, const struct flow_set *flows,
                    const struct channel_type **types);

/* Gives flows the operator's [flows] organisation, reply_cost and
 * helpline as @globals (before the flow files are added, so they win over
 * the exports' values). 0 or SK_ENOMEM. */
int preflight_set_globals(const struct config *cfg, struct flow_set *flows);

#endif
