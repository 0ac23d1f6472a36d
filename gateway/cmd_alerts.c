/*
 * cmd_alerts.c - `sikiliza alerts -c FILE`: lists the safeguarding alerts,
 * oldest first, tab-separated: id, time (UTC), contact reference (the
 * first 8 hex digits of the contact key, as the logs and notifications
 * show it), language, matched category, status (pending, sending,
 * notified). No text and no number: `sikiliza reveal` gives the reply
 * address, audited. Works beside a serving gateway (store_open_shared).
 * Main thread.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "store.h"

static const char usage_alerts[] =
    "usage: sikiliza alerts -c FILE\n"
    "\n"
    "Lists the safeguarding alerts of the store named in FILE, oldest\n"
    "first: id, time (UTC), contact reference, language, matched\n"
    "category, status (pending, sending, notified), tab-separated.\n"
    "`sikiliza reveal -c FILE --alert ID --reason TEXT` prints an\n"
    "alert's reply address, and the audit log records who asked and why.\n"
    "\n"
    "  -c, --config FILE   the INI configuration file\n";

static int
alerts_row(void *arg, const struct store_alert_row *row)
{
    time_t t = (time_t)(row->created_at / 1000);
    struct tm tm;
    char when[32] = "?";

    (void)arg;
    if (gmtime_r(&t, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("%" PRId64 "\t%s\t%.8s\t%s\t%s\t%s\n", row->id, when,
           row->contact_key != NULL ? row->contact_key : "",
           row->language != NULL ? row->language : "-",
           row->category != NULL ? row->category : "",
           row->status != NULL ? row->status : "");
    return 0;
}

static int
alerts_job(struct store_tx *tx, void *arg)
{
    (void)arg;
    return store_alert_list(tx, alerts_row, NULL);
}

int
cmd_alerts(int argc, char **argv)
{
    const char *config;
    struct config *cfg;
    struct store *st;
    char err[SK_ERR_LEN] = "";
    int code;

    if ((code = cli_config_only(argc, argv, usage_alerts, &config)) >= 0)
        return code;
    code = CLI_EXIT_RUNTIME;
    if ((cfg = config_load(config, err)) == NULL) {
        fprintf(stderr, "sikiliza alerts: %s\n", err);
        return CLI_EXIT_INVALID;
    }
    if ((st = store_open_shared(cfg->store_path, err)) == NULL) {
        fprintf(stderr, "sikiliza alerts: %s\n", err);
    } else if (store_call(st, alerts_job, NULL) != 0) {
        fprintf(stderr, "sikiliza alerts: cannot read the alerts\n");
    } else {
        code = fflush(stdout) == 0 ? 0 : CLI_EXIT_RUNTIME;
    }
    store_close(st);
    config_free(cfg);
    return code;
}
