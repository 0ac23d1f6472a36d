/*
 * cmd_export.c - `sikiliza export`: children's answers, anonymised, for
 * analysts (see export.h for what each format holds).
 *
 * Order of work: the options are checked, the output's temporary file is
 * made (refusing an OUT that exists), then the audit row is written and
 * committed; only then are answers read, through a read-only snapshot of
 * their own (store_reader_open), so an export never holds the write lock
 * of a serving gateway. An export that cannot be audited does not
 * happen. Main thread.
 */
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "cli.h"
#include "config.h"
#include "export.h"
#include "privacy.h"
#include "store.h"
#include "wallclock.h"

#define SUBJECT_MAX 512

static const char usage_export[] =
    "usage: sikiliza export -c FILE --format FORMAT -o OUT [options]\n"
    "\n"
    "Writes the answers in the store named in FILE, anonymised, to OUT (a\n"
    "new file; for floip a new directory). OUT must not exist. Every export\n"
    "is written to the audit log.\n"
    "\n"
    "formats:\n"
    "  csv       one row per answer (RFC 4180, UTF-8)\n"
    "  xlsx      one sheet per flow and a summary sheet\n"
    "  jsonl     one JSON object per answer and line\n"
    "  floip     a FLOIP Flow Results package of one flow (needs --flow)\n"
    "  summary   counts per flow, result and category (CSV), counts\n"
    "            below [privacy] min_cell suppressed\n"
    "\n"
    "Rows hold a pseudonym (new for every export), the flow and its\n"
    "revision, the result, its category and value, the input, the date,\n"
    "the language and the channel type. Phone numbers, e-mail addresses,\n"
    "URLs and long digit runs are scrubbed from the texts; spreadsheet\n"
    "cells that start with = + - @ are neutralised.\n"
    "\n"
    "  -c, --config FILE      the INI configuration file\n"
    "  --format FORMAT        csv, xlsx, jsonl, floip or summary\n"
    "  -o, --output OUT       where to write\n"
    "  --flow NAME            only this flow (a name or UUID)\n"
    "  --since DATE           only answers from DATE on (YYYY-MM-DD, UTC)\n"
    "  --stable-ids REASON    pseudonyms that stay the same across exports\n"
    "                         (derived from the secret key); REASON goes to\n"
    "                         the audit log\n"
    "  --by RESULT            summary, xlsx: counts broken down by the\n"
    "                         category of another result (e.g. Age Band)\n"
    "  --bom                  csv, summary: a UTF-8 byte order mark first\n"
    "                         (for Excel)\n"
    "  --precision day|hour   dates to the day (default) or the hour\n";

struct export_args {
    const char *config, *format_name, *out, *flow, *since, *reason, *by;
    const char *precision;
    bool bom;
    enum export_format format;
    int64_t since_ms;
};

/* "YYYY-MM-DD" as Unix ms at 00:00 UTC; -1 when it is not a date. */
static int64_t
parse_date(const char *s)
{
    struct tm tm, back;
    int y, m, d, n = 0;
    time_t t;

    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 ||
        n != 10 || y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    t = timegm(&tm);
    /* 2026-02-30 would roll over into March */
    if (t == (time_t)-1 || gmtime_r(&t, &back) == NULL || back.tm_mday != d ||
        back.tm_mon != m - 1)
        return -1;
    return (int64_t)t * 1000;
}

/* Matches one value option; 1 matched, 0 not this one, -1 usage error
 * (already reported in *code). */
static int
value_opt(int argc, char **argv, int *i, const char *shrt, const char *lng,
          const char **val, int *code)
{
    int r = cli_opt_value(argc, argv, i, shrt, lng, val);

    if (r < 0)
        *code = cli_usage_error(usage_export, "%s needs a value", lng);
    return r;
}

static int
check_args(struct export_args *a)
{
    if (a->config == NULL || a->format_name == NULL || a->out == NULL)
        return cli_usage_error(usage_export, "%s",
                               "export needs -c FILE, --format and -o OUT");
    if (export_format_parse(a->format_name, &a->format) != 0)
        return cli_usage_error(usage_export, "unknown format \"%s\"",
                               a->format_name);
    if (a->format == EXPORT_FLOIP && a->flow == NULL)
        return cli_usage_error(usage_export, "%s",
                               "a FLOIP package holds one flow: name it "
                               "with --flow");
    if (a->bom && a->format != EXPORT_CSV && a->format != EXPORT_SUMMARY)
        return cli_usage_error(usage_export, "%s",
                               "--bom is for csv and summary");
    if (a->by != NULL && !export_wants_counts(a->format))
        return cli_usage_error(usage_export, "%s",
                               "--by is for summary and xlsx");
    if (a->reason != NULL && a->reason[strspn(a->reason, " \t")] == '\0')
        return cli_usage_error(usage_export, "%s",
                               "--stable-ids needs a reason");
    if (a->precision != NULL && strcmp(a->precision, "day") != 0 &&
        strcmp(a->precision, "hour") != 0)
        return cli_usage_error(usage_export, "%s",
                               "--precision is day or hour");
    if (a->since != NULL && (a->since_ms = parse_date(a->since)) < 0)
        return cli_usage_error(usage_export,
                               "--since \"%s\" is not a date (YYYY-MM-DD)",
                               a->since);
    return -1;
}

/* -1 to go on with *a filled, else the exit code. */
static int
parse_args(int argc, char **argv, struct export_args *a)
{
    int i, r, code = 0;

    memset(a, 0, sizeof(*a));
    for (i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_export, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--bom") == 0) {
            a->bom = true;
            continue;
        }
        if ((r = value_opt(argc, argv, &i, "-c", "--config", &a->config,
                           &code)) == 0 &&
            (r = value_opt(argc, argv, &i, NULL, "--format", &a->format_name,
                           &code)) == 0 &&
            (r = value_opt(argc, argv, &i, "-o", "--output", &a->out, &code)) ==
                0 &&
            (r = value_opt(argc, argv, &i, NULL, "--flow", &a->flow, &code)) ==
                0 &&
            (r = value_opt(argc, argv, &i, NULL, "--since", &a->since,
                           &code)) == 0 &&
            (r = value_opt(argc, argv, &i, NULL, "--stable-ids", &a->reason,
                           &code)) == 0 &&
            (r = value_opt(argc, argv, &i, NULL, "--by", &a->by, &code)) == 0 &&
            (r = value_opt(argc, argv, &i, NULL, "--precision", &a->precision,
                           &code)) == 0)
            return cli_usage_error(usage_export, "unexpected argument \"%s\"",
                                   argv[i]);
        if (r < 0)
            return code;
    }
    return check_args(a);
}

/* The pseudonym key: fresh, or with --stable-ids derived from the secret
 * key. 0, or an exit code with the reason printed. */
static int
pseudonym_key(const struct export_args *a, const struct config *cfg,
              unsigned char key[EXPORT_KEY_LEN])
{
    char err[SK_ERR_LEN] = "";
    struct privacy *p;
    int rc;

    if (a->reason == NULL) {
        if (RAND_bytes(key, EXPORT_KEY_LEN) == 1)
            return 0;
        fprintf(stderr, "sikiliza export: no random bytes for the key\n");
        return CLI_EXIT_RUNTIME;
    }
    if ((p = privacy_open(cfg->key_file, err)) == NULL) {
        fprintf(stderr, "sikiliza export: %s\n", err);
        return CLI_EXIT_INVALID;
    }
    rc = privacy_export_key(p, key);
    privacy_close(p);
    if (rc != 0) {
        fprintf(stderr, "sikiliza export: cannot derive the pseudonym key\n");
        return CLI_EXIT_RUNTIME;
    }
    return 0;
}

struct audit_job {
    const char *actor, *subject, *reason;
    int64_t now_ms;
};

static int
audit_job(struct store_tx *tx, void *arg)
{
    const struct audit_job *j = arg;
    int64_t id = store_audit_add(tx, j->now_ms, j->actor, "export", j->subject,
                                 j->reason);

    return id < 0 ? (int)id : 0;
}

/* Writes the audit row: who (the OS user), the format, flow and filters,
 * and the --stable-ids reason. */
static int
audit(struct store *st, const struct export_args *a, int64_t now)
{
    struct passwd *pw = getpwuid(geteuid());
    char actor[128], subject[SUBJECT_MAX];
    struct audit_job j = {actor, subject, a->reason, now};
    int n;

    if (pw != NULL && pw->pw_name != NULL)
        snprintf(actor, sizeof(actor), "cli:%s", pw->pw_name);
    else
        snprintf(actor, sizeof(actor), "cli:uid %u", (unsigned)geteuid());
    n = snprintf(subject, sizeof(subject), "%s", a->format_name);
    if (a->flow != NULL)
        n += snprintf(subject + n, sizeof(subject) - (size_t)n, " flow=%s",
                      a->flow);
    if (a->since != NULL && n < SUBJECT_MAX)
        n += snprintf(subject + n, sizeof(subject) - (size_t)n, " since=%s",
                      a->since);
    if (a->by != NULL && n < SUBJECT_MAX)
        n +=
            snprintf(subject + n, sizeof(subject) - (size_t)n, " by=%s", a->by);
    if (a->reason != NULL && n < SUBJECT_MAX)
        snprintf(subject + n, sizeof(subject) - (size_t)n, " stable-ids");
    return store_call(st, audit_job, &j);
}

static int
row_cb(void *arg, const struct store_export_row *row)
{
    return export_row(arg, row);
}

static int
count_cb(void *arg, const struct store_export_count *c)
{
    return export_count(arg, c);
}

/* Reads the answers into x. 0 or SK_E* with err set. */
static int
export_read(const char *db, const struct export_args *a, struct export *x,
            char err[SK_ERR_LEN])
{
    struct store_export_filter f = {a->flow, a->since_ms};
    struct store_reader *r = store_reader_open(db, err);
    int rc;

    if (r == NULL)
        return SK_EIO;
    rc = 0;
    if (export_wants_rows(a->format))
        rc = store_export_rows(r, &f, row_cb, x, err);
    if (rc == 0 && export_wants_counts(a->format))
        rc = store_export_counts(r, &f, a->by, count_cb, x, err);
    if (rc != 0 && err[0] == '\0')
        sk_seterr(err, "%s", sk_strerror(rc));
    store_reader_close(r);
    return rc;
}

static int
export_run(const struct export_args *a, const struct config *cfg,
           struct export_opts *o)
{
    char err[SK_ERR_LEN] = "";
    struct store *st = NULL;
    struct export *x;
    int rc;

    if ((x = export_open(o, a->out, &rc, err)) == NULL) {
        fprintf(stderr, "sikiliza export: %s\n", err);
        return rc == SK_EEXIST ? CLI_EXIT_INVALID : CLI_EXIT_RUNTIME;
    }
    if ((st = store_open_shared(cfg->store_path, err)) == NULL) {
        fprintf(stderr, "sikiliza export: %s\n", err);
        export_abort(x);
        return CLI_EXIT_RUNTIME;
    }
    if (audit(st, a, o->created_ms) != 0) {
        fprintf(stderr, "sikiliza export: cannot write the audit row: "
                        "nothing exported\n");
        export_abort(x);
        store_close(st);
        return CLI_EXIT_RUNTIME;
    }
    store_close(st);
    if ((rc = export_read(cfg->store_path, a, x, err)) != 0) {
        fprintf(stderr, "sikiliza export: %s\n", err);
        export_abort(x);
        return CLI_EXIT_RUNTIME;
    }
    if ((rc = export_finish(x, err)) != 0) {
        fprintf(stderr, "sikiliza export: %s\n", err);
        return rc == SK_EEXIST ? CLI_EXIT_INVALID : CLI_EXIT_RUNTIME;
    }
    printf("%s: %s export written\n", a->out, a->format_name);
    return fflush(stdout) == 0 ? 0 : CLI_EXIT_RUNTIME;
}

int
cmd_export(int argc, char **argv)
{
    struct export_args a;
    struct export_opts o;
    struct config *cfg;
    char err[SK_ERR_LEN] = "";
    int code;

    if ((code = parse_args(argc, argv, &a)) >= 0)
        return code;
    if ((cfg = config_load(a.config, err)) == NULL) {
        fprintf(stderr, "sikiliza export: %s\n", err);
        return CLI_EXIT_INVALID;
    }
    memset(&o, 0, sizeof(o));
    o.format = a.format;
    o.bom = a.bom;
    o.hour = a.precision != NULL && strcmp(a.precision, "hour") == 0;
    o.min_cell = cfg->min_cell;
    o.by = a.by;
    o.title = a.flow;
    o.created_ms = wallclock_ms();
    code = pseudonym_key(&a, cfg, o.key);
    if (code == 0)
        code = export_run(&a, cfg, &o);
    OPENSSL_cleanse(o.key, sizeof(o.key));
    config_free(cfg);
    return code;
}
