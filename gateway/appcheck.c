/*
 * appcheck.c - everything `serve` checks before it starts anything, and
 * `config check` checks without starting: one function, app_check(), for
 * both. It loads the config, the key file and the flows, and checks the
 * channels (preflight.c), [flows] country and timezone, [safeguarding],
 * the voice channels' media_hosts and [asr] files, the admin token file
 * and the store's directory. Every problem is printed as it is found and
 * the checks go on, so one run lists them all; warnings are held in the
 * log (sk_log_hold) and come after the problems. Main thread, before any
 * other thread starts.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "app.h"
#include "asr.h"
#include "caps.h"
#include "channel.h"
#include "flow.h"
#include "flowload.h"
#include "log.h"
#include "media.h"
#include "optout.h"
#include "preflight.h"
#include "privacy.h"
#include "safeguard.h"
#include "store.h"
#include "zone.h"

/* Gives the privacy key the country of local numbers, sets up
 * safeguarding, folds the STOP and DELETE words. */
static int
check_words(struct sk_app *app)
{
    const struct config *cfg = app->cfg;
    char err[SK_ERR_LEN] = "", at[SK_ERR_LEN];
    int rc = 0;

    /* local numbers (0712...) are read in [flows] country (privacy.h) */
    if (app->priv != NULL && privacy_set_country(app->priv, cfg->country)) {
        fprintf(stderr,
                "%s: [flows] country %s: no calling code known for it\n",
                config_where(cfg, "flows", "country", at), cfg->country);
        rc = SK_EINVAL;
    }
    if (app->priv != NULL) {
        app->safeguard =
            safeguard_from_config(cfg, app->flows, app->priv, app->types, err);
        if (app->safeguard == NULL && err[0] != '\0') {
            fprintf(stderr, "%s\n", err);
            rc = SK_EINVAL;
        }
    }
    app->n_stop = cfg->n_stop_words < CONFIG_MAX_WORDS ? cfg->n_stop_words
                                                       : CONFIG_MAX_WORDS;
    if (optout_fold_words(cfg->stop_words, app->n_stop, app->stop_folded) !=
        0) {
        app->n_stop = 0;
        return SK_ENOMEM;
    }
    if (optout_fold_words(cfg->delete_words, cfg->n_delete_words,
                          app->delete_folded) != 0)
        return SK_ENOMEM;
    app->n_delete = cfg->n_delete_words;
    return rc;
}

/* An [asr] file (or the built-in default) the recogniser will read. */
static int
check_asr_file(const struct config *cfg, const char *key, const char *path,
               const char *dflt, bool dir)
{
    char at[SK_ERR_LEN];
    struct stat st;
    const char *p = path != NULL ? path : dflt;

    if (stat(p, &st) == 0 && (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)))
        return 0;
    fprintf(stderr, "%s: [asr] %s: %s %s%s\n",
            config_where(cfg, "asr", key, at), key, p,
            dir ? "is not a directory" : "is not a file",
            path == NULL ? " (the default; set the key)" : "");
    return SK_EINVAL;
}

/* The voice channels' media_hosts, and what the recogniser reads. */
static int
check_voice(const struct sk_app *app)
{
    const struct config *cfg = app->cfg;
    struct media_policy *mp;
    char err[SK_ERR_LEN] = "", at[SK_ERR_LEN];
    size_t ch, n_voice = 0;
    int rc = 0;

    if ((mp = calloc(1, sizeof(*mp))) == NULL)
        return SK_ENOMEM;
    for (ch = 0; ch < cfg->n_channels; ch++) {
        const struct config_channel *cc = &cfg->channels[ch];
        char name[80];

        if (app->types[ch] == NULL || app->types[ch]->parse_call == NULL)
            continue;
        n_voice++;
        err[0] = '\0';
        if (media_policy_init(mp, cc, err) != 0) {
            snprintf(name, sizeof(name), "channel %s", cc->name);
            fprintf(stderr, "%s: [channel %s]: %s\n",
                    config_where(cfg, name, "media_hosts", at), cc->name, err);
            rc = SK_EINVAL;
        }
    }
    free(mp);
    if (n_voice == 0)
        return rc;
    if (check_asr_file(cfg, "model", cfg->asr_model, ASR_MODEL, true) != 0)
        rc = SK_EINVAL;
    if (check_asr_file(cfg, "dict", cfg->asr_dict, ASR_DICT, false) != 0)
        rc = SK_EINVAL;
    if (check_asr_file(cfg, "lm", cfg->asr_lm, ASR_LM, false) != 0)
        rc = SK_EINVAL;
    return rc;
}

/* The admin token file, when the admin API is on. */
static int
check_admin(const struct config *cfg)
{
    char token[ADMIN_TOKEN_MAX + 1], err[SK_ERR_LEN] = "", at[SK_ERR_LEN];
    int rc;

    if (cfg->admin_listen == NULL)
        return 0;
    rc = admin_token_load(cfg->admin_token_file, token, sizeof(token), err);
    memset(token, 0, sizeof(token));
    if (rc == 0)
        return 0;
    fprintf(stderr, "%s: [server] %s\n",
            config_where(cfg, "server",
                         cfg->admin_token_file != NULL ? "admin_token_file"
                                                       : "admin_listen",
                         at),
            err);
    return SK_EINVAL;
}

/* The store's directory exists and is writable, and so is the database
 * when there is one already. */
static int
check_store(const struct config *cfg)
{
    char dir[PATH_MAX], at[SK_ERR_LEN], err[SK_ERR_LEN] = "";
    const char *slash = strrchr(cfg->store_path, '/');
    const char *why = NULL;
    struct stat st;
    size_t n;

    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else {
        n = slash == cfg->store_path ? 1 : (size_t)(slash - cfg->store_path);
        if (n >= sizeof(dir))
            n = sizeof(dir) - 1;
        memcpy(dir, cfg->store_path, n);
        dir[n] = '\0';
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        why = "its directory does not exist";
    else if (access(dir, W_OK | X_OK) != 0)
        why = "its directory is not writable";
    else if (access(cfg->store_path, F_OK) == 0 &&
             access(cfg->store_path, R_OK | W_OK) != 0)
        why = "the database is not writable";
    if (why == NULL) {
        if (store_check_file(cfg->store_path, err) == 0)
            return 0;
        fprintf(stderr, "%s: [store] path %s\n",
                config_where(cfg, "store", "path", at), err);
        return SK_EINVAL;
    }
    fprintf(stderr, "%s: [store] path %s: %s\n",
            config_where(cfg, "store", "path", at), cfg->store_path, why);
    return SK_EINVAL;
}

/* The flows of [flows] dir, after the operator's @globals. NULL flows
 * when they did not load (their problems are printed). */
static int
load_flows(struct sk_app *app)
{
    int rc;

    if ((app->flows = flow_set_new()) == NULL ||
        preflight_set_globals(app->cfg, app->flows) != 0)
        return SK_ENOMEM;
    rc = flowload_paths(app->flows, (const char *const *)&app->cfg->flows_dir,
                        1, stderr, NULL);
    return rc;
}

/* What a channel-less config is warned of. */
static void
warn_no_channel(const struct config *cfg)
{
    if (cfg->n_channels == 0)
        sk_log(LOG_WARNING, "serve",
               "%s: no [channel NAME] section: nothing can reach the "
               "gateway (see the README's channels)",
               cfg->file);
}

int
app_check(struct sk_app *app, const char *config_path, const char *who)
{
    char err[SK_ERR_LEN] = "", at[SK_ERR_LEN];
    int rc = 0, r;
    bool flows_ok;

    sk_log_hold();
    app->cfg = config_load(config_path, err);
    if (app->cfg == NULL) {
        fprintf(stderr, "sikiliza %s: %s\n", who, err);
        return SK_EINVAL;
    }
    app->priv = privacy_open(app->cfg->key_file, err);
    if (app->priv == NULL) {
        fprintf(stderr, "%s: %s\n",
                config_where(app->cfg, "privacy", "key_file", at), err);
        rc = SK_EINVAL;
    }
    r = load_flows(app);
    if (r == SK_ENOMEM)
        return r;
    flows_ok = r == 0;
    if (!flows_ok)
        rc = SK_EINVAL;
    if (preflight_check(app->cfg, flows_ok ? app->flows : NULL, app->types))
        rc = SK_EINVAL;
    if ((r = flows_ok ? check_words(app) : 0) == SK_ENOMEM)
        return r;
    if (r != 0)
        rc = SK_EINVAL;
    if (app->cfg->timezone != NULL &&
        (app->tz_rule = zone_rule(app->cfg->timezone, err)) == NULL) {
        fprintf(stderr, "%s: [flows] %s\n",
                config_where(app->cfg, "flows", "timezone", at), err);
        rc = SK_EINVAL;
    }
    if ((r = check_voice(app)) == SK_ENOMEM)
        return r;
    if (r != 0)
        rc = SK_EINVAL;
    if (check_admin(app->cfg) != 0)
        rc = SK_EINVAL;
    if (check_store(app->cfg) != 0)
        rc = SK_EINVAL;
    warn_no_channel(app->cfg);
    if (flows_ok)
        caps_log_long_texts(app->flows, app->cfg->max_segments);
    return rc;
}
