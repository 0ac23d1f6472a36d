/*
 * preflight.c - what `serve` checks in a loaded config before it starts:
 * each channel's type is known and its own rules hold (the type's check
 * hook, see channel.h), secrets are not sample values or short, and the
 * flows the config names exist. Problems go to stderr as
 * `file:line: [section]: reason`; warnings (a channel that cannot send on its
 * own) go to the log. Runs once, on the main thread, before the loop.
 */
#include <stddef.h>
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

/* The [flows] keys the flows read as @globals.KEY. */
static const struct {
    const char *key;
    size_t off;
} flow_globals[] = {
    {"organisation", offsetof(struct config, organisation)},
    {"reply_cost", offsetof(struct config, reply_cost)},
    {"helpline", offsetof(struct config, helpline)},
};
#define N_FLOW_GLOBALS (sizeof(flow_globals) / sizeof(flow_globals[0]))

static const char *
global_value(const struct config *cfg, size_t i)
{
    return *(char *const *)(const void *)((const char *)cfg +
                                          flow_globals[i].off);
}

int
preflight_set_globals(const struct config *cfg, struct flow_set *flows)
{
    for (size_t i = 0; i < N_FLOW_GLOBALS; i++)
        if (global_value(cfg, i) != NULL &&
            flow_set_set_global(flows, flow_globals[i].key,
                                global_value(cfg, i)) != 0)
            return SK_ENOMEM;
    return 0;
}

/* A global the flows declare and the operator left unset is a warning
 * (the export's value is used); one with no value at all is an error: a
 * child's message would have a blank in it. */
static int
check_globals(const struct config *cfg, const struct flow_set *flows)
{
    char at[SK_ERR_LEN];
    int rc = 0;

    for (size_t i = 0; i < N_FLOW_GLOBALS; i++) {
        const char *key = flow_globals[i].key, *v = flow_set_global(flows, key);

        if (v == NULL)
            continue;
        if (v[0] == '\0') {
            fprintf(stderr,
                    "%s: [flows]: %s is not set and the flows read it as "
                    "@globals.%s: set it\n",
                    config_where(cfg, "flows", key, at), key, key);
            rc = SK_EINVAL;
        } else if (global_value(cfg, i) == NULL) {
            sk_log(LOG_WARNING, "serve",
                   "%s: [flows] %s is not set: the flows use the value "
                   "their export gives @globals.%s",
                   cfg->file, key, key);
        }
    }
    return rc;
}

/* A channel that cannot send on its own is a warning. */
static void
warn_cannot_send(const struct config_channel *ch, const struct channel_type *t)
{
    if (t == NULL || t->can_send == NULL || t->can_send(ch))
        return;
    if (!t->sync_reply)
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

/* One [channel] section: its type, secret, the type's own rules and its
 * flow (when flows loaded). */
static int
check_channel(const struct config *cfg, const struct config_channel *ch,
              const struct flow_set *flows, const struct channel_type **type)
{
    char reason[SK_ERR_LEN] = "", at[SK_ERR_LEN], sect[80];
    const struct channel_type *t = channel_find(ch->type);
    int rc = 0;

    *type = t;
    snprintf(sect, sizeof(sect), "channel %s", ch->name);
    if (t == NULL) {
        fprintf(stderr, "%s: [channel %s]: type \"%s\" is not supported yet\n",
                config_where(cfg, sect, "type", at), ch->name, ch->type);
        rc = SK_EINVAL;
    } else if (ch->secret != NULL && secret_problem(ch->secret) != NULL) {
        fprintf(stderr,
                "%s: [channel %s]: secret %s; use a random one, e.g. "
                "from `openssl rand -hex 16`\n",
                config_where(cfg, sect, "secret", at), ch->name,
                secret_problem(ch->secret));
        rc = SK_EINVAL;
    } else if (t->check != NULL && t->check(ch, reason) != 0) {
        fprintf(stderr, "%s: [channel %s]: %s\n",
                config_where(cfg, sect, NULL, at), ch->name, reason);
        rc = SK_EINVAL;
    }
    warn_cannot_send(ch, t);
    if (flows != NULL && ch->flow != NULL &&
        flow_set_find(flows, ch->flow) == NULL) {
        fprintf(stderr, "%s: [channel %s]: flow \"%s\" not found in %s\n",
                config_where(cfg, sect, "flow", at), ch->name, ch->flow,
                cfg->flows_dir);
        rc = SK_EINVAL;
    }
    return rc;
}

int
preflight_check(const struct config *cfg, const struct flow_set *flows,
                const struct channel_type **types)
{
    char at[SK_ERR_LEN];
    size_t i;
    int rc = flows != NULL ? check_globals(cfg, flows) : 0;

    for (i = 0; i < cfg->n_unbuilt; i++)
        sk_log(LOG_WARNING, "serve",
               "%s:%d: %s belongs to a part not built yet: it has no effect",
               cfg->file, cfg->unbuilt[i].line, cfg->unbuilt[i].what);
    for (i = 0; i < cfg->n_warnings; i++)
        sk_log(LOG_WARNING, "serve", "%s:%d: %s", cfg->file,
               cfg->warnings[i].line, cfg->warnings[i].text);

    for (i = 0; i < cfg->n_channels; i++)
        if (check_channel(cfg, &cfg->channels[i], flows, &types[i]) != 0)
            rc = SK_EINVAL;
    if (flows != NULL && cfg->default_flow != NULL &&
        flow_set_find(flows, cfg->default_flow) == NULL) {
        fprintf(stderr, "%s: [flows] default: flow \"%s\" not found in %s\n",
                config_where(cfg, "flows", "default", at), cfg->default_flow,
                cfg->flows_dir);
        rc = SK_EINVAL;
    }
    return rc;
}
