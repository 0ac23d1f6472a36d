/*
 * cmd_reveal.c - `sikiliza reveal -c FILE --alert ID --reason TEXT`:
 * break-glass for a safeguarding lead. Prints the reply address (the
 * child's phone number or other URN) of an alert's contact, read from the
 * vault, if it is still there (vault entries go vault_days after the last
 * contact; then it says so and exits 1).
 *
 * Every reveal is audited: in the one store transaction that reads the
 * vault entry, an audit row is written (actor "cli:USER", the OS user;
 * action "reveal"; subject "alert ID"; the reason), and the address is
 * printed only once that transaction has committed. A reveal without a
 * reason is refused. Works beside a serving gateway (store_open_shared).
 * Main thread; the address is wiped from memory after printing.
 */
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "log.h"
#include "privacy.h"
#include "store.h"
#include "text.h"
#include "wallclock.h"

#define REASON_MAX 500 /* bytes of a reason, at most */

static const char usage_reveal[] =
    "usage: sikiliza reveal -c FILE --alert ID --reason TEXT\n"
    "\n"
    "Break-glass: prints the reply address of the contact of safeguarding\n"
    "alert ID (see `sikiliza alerts`) from the vault, if it is still kept\n"
    "there, so that a trained person can follow up. Each reveal is written\n"
    "to the audit log first (who, when, which alert, why; `sikiliza\n"
    "audit`); a reveal without a reason is refused.\n"
    "\n"
    "  -c, --config FILE   the INI configuration file\n"
    "  --alert ID          the alert\n"
    "  --reason TEXT       why the address is needed (required)\n";

struct reveal_job {
    int64_t alert;
    const char *actor, *reason;
    char subject[48];
    unsigned char *blob;
    size_t blob_len;
    char key[STORE_ALERT_KEY_MAX];
    int found; /* 0 no alert, 1 alert without vault entry, 2 both */
};

/* One transaction: the alert's key, its vault entry, the audit row. */
static int
reveal_run(struct store_tx *tx, void *arg)
{
    struct reveal_job *j = arg;
    int64_t now = wallclock_ms(), id;
    int rc;

    if ((rc = store_alert_contact(tx, j->alert, j->key)) != 0)
        return rc == SK_ENOENT ? 0 : rc;
    j->found = 1;
    rc = store_vault_get(tx, j->key, &j->blob, &j->blob_len, now);
    if (rc == SK_ENOENT)
        return 0;
    if (rc != 0)
        return rc;
    j->found = 2;
    id = store_audit_add(tx, now, j->actor, "reveal", j->subject, j->reason);
    return id < 0 ? (int)id : 0;
}

/* Parses the options; -1 to go on, else the exit code. */
static int
reveal_args(int argc, char **argv, const char **config, const char **alert,
            const char **reason)
{
    int i, r;

    *config = *alert = *reason = NULL;
    for (i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_reveal, stdout);
            return 0;
        }
        if ((r = cli_opt_value(argc, argv, &i, "-c", "--config", config)) ==
                0 &&
            (r = cli_opt_value(argc, argv, &i, NULL, "--alert", alert)) == 0 &&
            (r = cli_opt_value(argc, argv, &i, NULL, "--reason", reason)) == 0)
            return cli_usage_error(usage_reveal, "unexpected argument \"%s\"",
                                   argv[i]);
        if (r < 0)
            return cli_usage_error(usage_reveal, "%s needs a value", argv[i]);
    }
    if (*config == NULL || *alert == NULL)
        return cli_usage_error(usage_reveal, "reveal needs -c FILE and "
                                             "--alert ID");
    return -1;
}

/* The reason, trimmed; NULL (after a message) when empty or too long. */
static char *
reveal_reason(const char *reason)
{
    char *r = reason != NULL ? text_trim(reason) : NULL;

    if (r == NULL || r[0] == '\0' || strlen(r) > REASON_MAX ||
        !text_valid_utf8(r, strlen(r))) {
        fprintf(stderr,
                "sikiliza reveal: a reveal needs --reason TEXT: why the "
                "address is needed (1 to %d bytes of UTF-8); it goes to "
                "the audit log\n",
                REASON_MAX);
        free(r);
        return NULL;
    }
    return r;
}

/* Reads, audits and prints; the exit code. */
static int
reveal_do(const struct config *cfg, struct reveal_job *j)
{
    char err[SK_ERR_LEN] = "";
    struct privacy *p = privacy_open(cfg->key_file, err);
    struct store *st = NULL;
    char *addr = NULL;
    int code = CLI_EXIT_RUNTIME;

    if (p == NULL) {
        fprintf(stderr, "sikiliza reveal: %s\n", err);
        return CLI_EXIT_INVALID;
    }
    if ((st = store_open_shared(cfg->store_path, err)) == NULL) {
        fprintf(stderr, "sikiliza reveal: %s\n", err);
    } else if (store_call(st, reveal_run, j) != 0) {
        fprintf(stderr, "sikiliza reveal: cannot read the store\n");
    } else if (j->found == 0) {
        fprintf(stderr, "sikiliza reveal: no alert %" PRId64 "\n", j->alert);
        code = CLI_EXIT_INVALID;
    } else if (j->found == 1) {
        fprintf(stderr,
                "sikiliza reveal: the reply address of alert %" PRId64
                " has expired from the vault (kept %d %s after the last "
                "contact) or was erased\n",
                j->alert, cfg->vault_days,
                sk_plural(cfg->vault_days, "day", "days"));
        code = CLI_EXIT_INVALID;
    } else if ((addr = privacy_open_blob(p, j->key, j->blob, j->blob_len)) ==
               NULL) {
        fprintf(stderr,
                "sikiliza reveal: the vault entry of alert %" PRId64
                " cannot be opened with this key file\n",
                j->alert);
    } else {
        printf("%s\n", addr);
        code = fflush(stdout) == 0 ? 0 : CLI_EXIT_RUNTIME;
        explicit_bzero(addr, strlen(addr));
    }
    free(addr);
    store_close(st);
    privacy_close(p);
    return code;
}

int
cmd_reveal(int argc, char **argv)
{
    const char *config, *alert, *reason;
    struct reveal_job j;
    struct config *cfg = NULL;
    struct passwd *pw;
    char err[SK_ERR_LEN] = "", actor[80], *why = NULL, *end;
    int code;

    if ((code = reveal_args(argc, argv, &config, &alert, &reason)) >= 0)
        return code;
    memset(&j, 0, sizeof(j));
    errno = 0;
    j.alert = strtoll(alert, &end, 10);
    if (errno != 0 || end == alert || *end != '\0' || j.alert <= 0)
        return cli_usage_error(usage_reveal, "--alert takes an alert id, "
                                             "a positive number");
    if ((why = reveal_reason(reason)) == NULL)
        return CLI_EXIT_USAGE;
    if ((cfg = config_load(config, err)) == NULL) {
        fprintf(stderr, "sikiliza reveal: %s\n", err);
        free(why);
        return CLI_EXIT_INVALID;
    }
    pw = getpwuid(geteuid());
    if (pw != NULL && pw->pw_name != NULL)
        snprintf(actor, sizeof(actor), "cli:%s", pw->pw_name);
    else
        snprintf(actor, sizeof(actor), "cli:uid %u", (unsigned)geteuid());
    j.actor = actor;
    j.reason = why;
    snprintf(j.subject, sizeof(j.subject), "alert %" PRId64, j.alert);
    code = reveal_do(cfg, &j);
    if (j.blob != NULL)
        explicit_bzero(j.blob, j.blob_len);
    free(j.blob);
    free(why);
    config_free(cfg);
    return code;
}
