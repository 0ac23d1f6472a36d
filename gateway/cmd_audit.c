/*
 * cmd_audit.c - `sikiliza audit -c FILE`: lists the audit log (who
 * exported answers or revealed a reply address, when and why), oldest
 * first, tab-separated: id, time (UTC), actor, action, subject, reason.
 * Works beside a serving gateway (store_open_shared). Main thread.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "store.h"

static const char usage_audit[] =
    "usage: sikiliza audit -c FILE\n"
    "\n"
    "Lists the audit log of the store named in FILE, oldest first: id,\n"
    "time (UTC), actor, action, subject, reason, tab-separated.\n"
    "\n"
    "  -c, --config FILE   the INI configuration file\n";

/* Strips tabs and line ends so one row stays one line. */
static void
audit_field(const char *v)
{
    for (; v != NULL && *v != '\0'; v++)
        putchar(*v == '\t' || *v == '\n' || *v == '\r' ? ' ' : *v);
}

static int
audit_row(void *arg, const struct store_audit_row *row)
{
    time_t t = (time_t)(row->at_ms / 1000);
    struct tm tm;
    char when[32] = "?";

    (void)arg;
    if (gmtime_r(&t, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("%" PRId64 "\t%s\t", row->id, when);
    audit_field(row->actor);
    putchar('\t');
    audit_field(row->action);
    putchar('\t');
    audit_field(row->subject);
    putchar('\t');
    audit_field(row->reason);
    putchar('\n');
    return 0;
}

static int
audit_job(struct store_tx *tx, void *arg)
{
    (void)arg;
    return store_audit_list(tx, 0, audit_row, NULL);
}

int
cmd_audit(int argc, char **argv)
{
    const char *config;
    struct config *cfg;
    struct store *st;
    char err[SK_ERR_LEN] = "";
    int code;

    if ((code = cli_config_only(argc, argv, usage_audit, &config)) >= 0)
        return code;
    code = CLI_EXIT_RUNTIME;
    if ((cfg = config_load(config, err)) == NULL) {
        fprintf(stderr, "sikiliza audit: %s\n", err);
        return CLI_EXIT_INVALID;
    }
    if ((st = store_open_shared(cfg->store_path, err)) == NULL) {
        fprintf(stderr, "sikiliza audit: %s\n", err);
    } else if (store_call(st, audit_job, NULL) != 0) {
        fprintf(stderr, "sikiliza audit: cannot read the audit log\n");
    } else {
        code = fflush(stdout) == 0 ? 0 : CLI_EXIT_RUNTIME;
    }
    store_close(st);
    config_free(cfg);
    return code;
}
