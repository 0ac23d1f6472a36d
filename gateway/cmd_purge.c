/*
 * cmd_purge.c - `sikiliza purge -c FILE`: applies the retention policy
 * now (purge.h) and prints what went, as counts. Works beside a serving
 * gateway (store_open_shared); the purge is audited with the user who
 * ran it. Main thread.
 */
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "purge.h"
#include "store.h"

static const char usage_purge[] =
    "usage: sikiliza purge -c FILE\n"
    "\n"
    "Applies the retention policy of FILE now: deletes answers, messages\n"
    "and outbox rows older than [privacy] retention_days, the sessions of\n"
    "contacts not heard from for as long, and reply addresses older than\n"
    "vault_days, from the database file and its WAL. Prints how many rows\n"
    "went from each table; the purge is written to the audit log. Works\n"
    "while `serve` runs.\n"
    "\n"
    "  -c, --config FILE   the INI configuration file\n";

int
cmd_purge(int argc, char **argv)
{
    struct purge_job job = {0};
    const struct passwd *pw = getpwuid(getuid());
    const char *config;
    struct config *cfg;
    struct store *st;
    struct timespec ts;
    char err[SK_ERR_LEN] = "", actor[96], counts[160];
    int code, rc;

    if ((code = cli_config_only(argc, argv, usage_purge, &config)) >= 0)
        return code;
    if ((cfg = config_load(config, err)) == NULL) {
        fprintf(stderr, "sikiliza purge: %s\n", err);
        return CLI_EXIT_INVALID;
    }
    code = CLI_EXIT_RUNTIME;
    snprintf(actor, sizeof(actor), "cli:%s",
             pw != NULL && pw->pw_name != NULL ? pw->pw_name : "?");
    clock_gettime(CLOCK_REALTIME, &ts);
    job.cfg = cfg;
    job.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    job.actor = actor;
    if ((st = store_open_shared(cfg->store_path, err)) == NULL) {
        fprintf(stderr, "sikiliza purge: %s\n", err);
    } else if ((rc = store_call(st, purge_run, &job)) != 0) {
        fprintf(stderr, "sikiliza purge: the purge failed (%s)\n",
                sk_strerror(rc));
    } else {
        purge_counts_text(&job.n, counts, sizeof(counts));
        printf("%s\n", counts);
        if (store_scrub_pending(st, NULL))
            fprintf(stderr, "sikiliza purge: a reader still holds older "
                            "pages in the WAL; they go at its next "
                            "checkpoint\n");
        code = fflush(stdout) == 0 ? 0 : CLI_EXIT_RUNTIME;
    }
    store_close(st);
    config_free(cfg);
    return code;
}
