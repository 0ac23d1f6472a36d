/*
 * cmd_backup.c - `sikiliza backup -c FILE -o OUT --key-file PASSFILE
 * [--force]`: one encrypted file (backup.h) holding a consistent copy of
 * the store and the privacy key file, taken beside a serving gateway.
 *
 * Design. The store is copied with sqlite's online backup API
 * (store_backup_copy()) into a private directory (mode 0700) beside the
 * store, so the copy in clear never leaves the disk that already holds
 * the store; the directory is removed whatever happens (SIGINT, SIGTERM
 * and SIGHUP are held back while the command runs and act once it has
 * cleaned up). The copy is then streamed, encrypted, into a temporary
 * file beside OUT, which is fsynced and linked into place: OUT appears
 * whole or not at all, and an OUT that exists is replaced only with
 * --force. The backup is written to the audit log.
 *
 * The privacy key file goes in, sealed under the passphrase like the
 * rest: without it a restored store is of little use (every contact key
 * is an HMAC under it, so a returning child, or a child's DELETE, would
 * no longer find its data; sealed reply addresses and recordings could
 * not be opened). The passphrase comes from a file, never the command
 * line (which other users see), and belongs apart from the box.
 *
 * Main thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "backup.h"
#include "cli.h"
#include "config.h"
#include "store.h"
#include "wallclock.h"

#define PATH_LEN 4096

static const char usage_backup[] =
    "usage: sikiliza backup -c FILE -o OUT --key-file PASSFILE [--force]\n"
    "\n"
    "Writes one encrypted file OUT with a consistent copy of the store and\n"
    "the privacy key file, taken while `serve` runs. It is encrypted with\n"
    "AES-256-GCM under a key derived (argon2id) from the passphrase in\n"
    "PASSFILE (one line, at least 12 bytes, mode 0600): keep the\n"
    "passphrase apart from the box and from the backups. The backup is\n"
    "written to the audit log.\n"
    "\n"
    "  -c, --config FILE     the INI configuration file\n"
    "  -o, --output OUT      the backup file to write\n"
    "  --key-file PASSFILE   the file holding the backup passphrase\n"
    "  --force               replace OUT if it exists\n";

struct backup_args {
    const char *config, *out, *pass_file;
    bool force;
};

struct audit_job {
    const char *actor;
    char subject[160];
    int64_t now_ms;
};

static int
audit_run(struct store_tx *tx, void *arg)
{
    struct audit_job *j = arg;
    int64_t id =
        store_audit_add(tx, j->now_ms, j->actor, "backup", j->subject, NULL);

    return id < 0 ? (int)id : 0;
}

static int
parse_args(int argc, char **argv, struct backup_args *a)
{
    const struct cli_opt opts[] = {
        {"-c", "--config", &a->config},
        {"-o", "--output", &a->out},
        {NULL, "--key-file", &a->pass_file},
    };
    const struct cli_flag flags[] = {{"--force", &a->force}};
    int code = cli_parse(argc, argv, usage_backup, opts,
                         sizeof(opts) / sizeof(opts[0]), flags, 1);

    if (code >= 0)
        return code;
    if (a->config == NULL || a->out == NULL || a->pass_file == NULL)
        return cli_usage_error(usage_backup,
                               "backup: -c FILE, -o OUT and --key-file "
                               "PASSFILE are needed");
    return -1;
}

/* Streams the copy at db (and the key file) into a new file tmp beside
 * out, then links it to out (or renames over it with force). */
static int
write_out(const struct backup_args *a, const struct config *cfg,
          const char *pass, size_t passlen, const char *db,
          const struct backup_info *info, char err[SK_ERR_LEN])
{
    const struct backup_kdf kdf = BACKUP_KDF_DEFAULT;
    struct backup_out *o = NULL;
    char tmp[PATH_LEN];
    int fd, rc = SK_EIO;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", a->out) >=
        sizeof(tmp)) {
        sk_seterr(err, "%s: the path is too long", a->out);
        return SK_EINVAL;
    }
    if ((fd = mkstemp(tmp)) < 0) { /* mode 0600 */
        sk_seterr(err, "%s: %s", tmp, strerror(errno));
        return SK_EIO;
    }
    if ((o = backup_out_new(fd, pass, passlen, &kdf, info, err)) == NULL ||
        backup_out_file(o, BACKUP_ENTRY_DB, db, err) != 0 ||
        backup_out_file(o, BACKUP_ENTRY_KEY, cfg->key_file, err) != 0 ||
        backup_out_finish(o, err) != 0)
        goto out;
    if (fsync(fd) != 0) {
        sk_seterr(err, "%s: fsync: %s", tmp, strerror(errno));
        goto out;
    }
    if (a->force ? rename(tmp, a->out) != 0 : link(tmp, a->out) != 0) {
        sk_seterr(err, "%s: %s", a->out,
                  errno == EEXIST ? "exists (add --force to replace it)"
                                  : strerror(errno));
        rc = errno == EEXIST ? SK_EEXIST : SK_EIO;
        goto out;
    }
    rc = backup_fsync_dir(a->out, err);
out:
    backup_out_free(o);
    close(fd);
    unlink(tmp); /* gone after a rename; the second name after a link */
    return rc;
}

/* Writes the backup's audit row in the store beside `serve`. */
static int
audit_backup(const struct config *cfg, const struct backup_info *info,
             char err[SK_ERR_LEN])
{
    const struct passwd *pw = getpwuid(getuid());
    struct audit_job job = {0};
    char actor[96];
    struct store *st;
    int rc;

    snprintf(actor, sizeof(actor), "cli:%s",
             pw != NULL && pw->pw_name != NULL ? pw->pw_name : "?");
    job.actor = actor;
    job.now_ms = wallclock_ms();
    snprintf(job.subject, sizeof(job.subject),
             "schema=%d db_bytes=%lld key=included", info->schema,
             (long long)info->db_bytes);
    if ((st = store_open_shared(cfg->store_path, err)) == NULL)
        return SK_EIO;
    if ((rc = store_call(st, audit_run, &job)) != 0)
        sk_seterr(err, "the audit row could not be written (%s)",
                  sk_strerror(rc));
    store_close(st);
    return rc;
}

/* The backup itself, once the arguments, config and passphrase are in. */
static int
run_backup(const struct backup_args *a, const struct config *cfg,
           const char *pass, size_t passlen, char err[SK_ERR_LEN])
{
    struct backup_info info = {0};
    char dir[PATH_LEN], db[PATH_LEN + 16];
    struct stat sb;
    int rc;

    if (!a->force && stat(a->out, &sb) == 0) {
        sk_seterr(err, "%s exists (add --force to replace it)", a->out);
        return SK_EEXIST;
    }
    if (stat(cfg->store_path, &sb) != 0) {
        sk_seterr(err, "store %s: %s", cfg->store_path, strerror(errno));
        return SK_EINVAL;
    }
    if ((rc = backup_tmpdir_make(cfg->store_path, "backup", dir, sizeof(dir),
                                 err)) != 0)
        return rc;
    snprintf(db, sizeof(db), "%s/%s", dir, BACKUP_DB_NAME);
    /* what was erased from now on is replayed at restore */
    info.created_ms = wallclock_ms();
    rc = store_backup_copy(cfg->store_path, db, &info.schema, err);
    if (rc == 0 && stat(db, &sb) == 0)
        info.db_bytes = (int64_t)sb.st_size;
    if (rc == 0)
        rc = write_out(a, cfg, pass, passlen, db, &info, err);
    backup_tmpdir_remove(dir);
    if (rc == 0 && (rc = audit_backup(cfg, &info, err)) != 0)
        unlink(a->out); /* an unaudited backup does not stay */
    if (rc == 0)
        printf("backup %s: schema %d, database %lld bytes, privacy key "
               "included (encrypted)\n",
               a->out, info.schema, (long long)info.db_bytes);
    return rc;
}

int
cmd_backup(int argc, char **argv)
{
    struct backup_args a = {0};
    char err[SK_ERR_LEN] = "", pass[BACKUP_PASS_MAX];
    sigset_t hold, old;
    struct config *cfg;
    size_t passlen = 0;
    int code, rc;

    if ((code = parse_args(argc, argv, &a)) >= 0)
        return code;
    if ((cfg = config_load(a.config, err)) == NULL ||
        backup_passphrase_read(a.pass_file, pass, &passlen, err) != 0) {
        fprintf(stderr, "sikiliza backup: %s\n", err);
        config_free(cfg);
        return CLI_EXIT_INVALID;
    }
    sigemptyset(&hold);
    sigaddset(&hold, SIGINT);
    sigaddset(&hold, SIGTERM);
    sigaddset(&hold, SIGHUP);
    sigprocmask(SIG_BLOCK, &hold, &old);
    rc = run_backup(&a, cfg, pass, passlen, err);
    OPENSSL_cleanse(pass, sizeof(pass));
    if (rc != 0) {
        fprintf(stderr, "sikiliza backup: %s\n", err);
        code = rc == SK_EINVAL || rc == SK_EEXIST ? CLI_EXIT_INVALID
                                                  : CLI_EXIT_RUNTIME;
    } else {
        code = fflush(stdout) == 0 ? 0 : CLI_EXIT_RUNTIME;
    }
    config_free(cfg);
    sigprocmask(SIG_SETMASK, &old, NULL); /* a held signal acts now */
    return code;
}
