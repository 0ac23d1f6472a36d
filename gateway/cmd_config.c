/*
 * cmd_config.c - `sikiliza config check -c FILE`: every check `serve`
 * makes at start (app_check(), the same code), without starting anything:
 * no socket, no store, no thread. Problems come first, on stderr, as
 * `file:line: reason`, then the warnings serve would log; exit 1 when
 * there is a problem, else a one-line summary on stdout. Main thread.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "cli.h"
#include "flow.h"
#include "log.h"

static const char usage_config[] =
    "usage: sikiliza config check -c FILE\n"
    "\n"
    "Makes every check `serve` makes at start, without starting anything:\n"
    "the configuration file, the key file, the flows, each channel (type,\n"
    "secret, URLs, media_hosts), [flows], [safeguarding] (notify settings\n"
    "too), the [asr] files of voice channels, the admin token file and the\n"
    "store's directory. Every problem is printed as `file:line: reason`,\n"
    "then the warnings `serve` would log, and the exit code is 1; with no\n"
    "problem, the warnings and a one-line summary, and the exit code is 0.\n"
    "\n"
    "  -c, --config FILE   the INI configuration file\n";

/* A held log line: warnings (and worse) are printed and counted; what
 * serve would log at info (what it will do) is not a finding. */
static void
print_warning(void *arg, int level, const char *area, const char *message)
{
    size_t *n = arg;

    (void)area;
    if (level > LOG_WARNING)
        return;
    fprintf(stderr, "%s: %s\n", level <= LOG_ERR ? "error" : "warning",
            message);
    (*n)++;
}

static int
config_check(const char *path)
{
    struct sk_app app;
    size_t warnings = 0, nf;
    int rc;

    memset(&app, 0, sizeof(app));
    rc = app_check(&app, path, "config check");
    sk_log_drain(print_warning, &warnings);
    if (rc == 0) {
        nf = flow_set_count(app.flows);
        printf("%s: ok: %zu %s, %zu %s, %zu %s\n", path, app.cfg->n_channels,
               sk_plural((long long)app.cfg->n_channels, "channel", "channels"),
               nf, sk_plural((long long)nf, "flow", "flows"), warnings,
               sk_plural((long long)warnings, "warning", "warnings"));
    }
    app_free(&app);
    if (rc == SK_ENOMEM) {
        fprintf(stderr, "sikiliza config check: out of memory\n");
        return CLI_EXIT_RUNTIME;
    }
    return rc != 0 ? CLI_EXIT_INVALID : 0;
}

int
cmd_config(int argc, char **argv)
{
    const char *config;
    int code;

    if (argc >= 2 && cli_is_help(argv[1])) {
        fputs(usage_config, stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "check") != 0)
        return cli_usage_error(usage_config, "%s",
                               "expected `config check -c FILE`");
    code = cli_config_only(argc - 1, argv + 1, usage_config, &config);
    return code >= 0 ? code : config_check(config);
}
