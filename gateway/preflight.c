/*
 * preflight.c - what `serve` checks in a loaded config before it starts:
 * each channel's type is known and its own rules hold (the type's check
 * hook, see channel.h), secrets are not sample values or short, and the
 * flows the config names exist. Problems go to stderr as
 * `file: [section]: reason`; warnings (a channel that cannot send on its
 * own) go to the log. Runs once, on the main thread, before the loop.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "channel.h"
#include "config.h"
#include "flow.h"
#include "log.h"
#include "preflight.h"

#define SECRET_MIN 12 /* characters of a channel secret, at least */

/* What is wrong with a channel secret (it travels in webhook URLs, so it
 * must not be guessable), or NULL. Never quotes the secret. */
static const char *
secret_problem(const char *secret)
{
    /* the sample values of deploy/sikiliza.conf.example */
    static const char *const samples[] = {"change-me", "change-me-too",
                                          "change-me-as-well"};
    size_t i;

    for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
        if (strcasecmp(secret, samples[i]) == 0)
            return "is a sample value from the example configuration";
    if (strlen(secret) < SECRET_MIN)
        return "is too short (12 characters at least)";
    return NULL;
}

int
preflight_check(const struct config *cfg, const struct flow_set *flows,
                const struct channel_type **types)
{
    char reason[SK_ERR_LEN];
    size_t i;
    int rc = 0;

    for (i = 0; i < cfg->n_unbuilt; i++)
        sk_log(LOG_WARNING, "serve",
               "%s:%d: %s belongs to a part not built yet: it has no effect",
               cfg->file, cfg->unbuilt[i].line, cfg->unbuilt[i].what);

    for (i = 0; i < cfg->n_channels; i++) {
        const struct config_channel *ch = &cfg->channels[i];

        types[i] = channel_find(ch->type);
        if (types[i] == NULL) {
            fprintf(stderr,
                    "%s: [channel %s]: type \"%s\" is not supported "
                    "yet\n",
                    cfg->file, ch->name, ch->type);
            rc = SK_EINVAL;
        } else if (ch->secret != NULL && secret_problem(ch->secret) != NULL) {
            fprintf(stderr,
                    "%s: [channel %s]: secret %s; use a random one, e.g. "
                    "from `openssl rand -hex 16`\n",
                    cfg->file, ch->name, secret_problem(ch->secret));
            rc = SK_EINVAL;
        } else if (types[i]->check != NULL &&
                   types[i]->check(ch, reason) != 0) {
            fprintf(stderr, "%s: [channel %s]: %s\n", cfg->file, ch->name,
                    reason);
            rc = SK_EINVAL;
        }
        if (types[i] != NULL && types[i]->can_send != NULL &&
            !types[i]->can_send(ch)) {
            if (!types[i]->sync_reply)
                sk_log(LOG_WARNING, "serve",
                       "channel=%s cannot send (missing credentials): its "
                       "SMS replies stay queued",
                       ch->name);
            else /* replies go back in the webhook answer, nothing else */
                sk_log(LOG_WARNING, "serve",
                       "channel=%s has no send_url: timeouts and reminders "
                       "for it stay queued",
                       ch->name);
        }
        if (ch->flow != NULL && flow_set_find(flows, ch->flow) == NULL) {
            fprintf(stderr, "%s: [channel %s]: flow \"%s\" not found in %s\n",
                    cfg->file, ch->name, ch->flow, cfg->flows_dir);
            rc = SK_EINVAL;
        }
    }
    if (cfg->default_flow != NULL &&
        flow_set_find(flows, cfg->default_flow) == NULL) {
        fprintf(stderr, "%s: [flows] default: flow \"%s\" not found in %s\n",
                cfg->file, cfg->default_flow, cfg->flows_dir);
        rc = SK_EINVAL;
    }
    return rc;
}
