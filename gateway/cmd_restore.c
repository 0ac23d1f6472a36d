/*
 * cmd_restore.c - `sikiliza restore -c FILE -i IN --key-file PASSFILE
 * [--force] [--erasures-from DB]`: puts a backup (backup.h) in place of
 * the store of FILE, on a stopped gateway.
 *
 * Design. Nothing is touched before the whole file has been checked: it
 * is decrypted into a private directory beside the store (every chunk
 * authenticated, the end present), then the database passes sqlite's
 * integrity check and its schema is one this build knows (an older one
 * is migrated forward). The writer's lock of the store ("<db>.lock",
 * store_lock_take()) is held from the first check to the end, so a
 * `serve` running on the store makes the restore refuse, and a `serve`
 * started meanwhile waits its turn by refusing to start.
 *
 * Erasure survives a restore: the erasures and purges logged since the
 * backup was taken (store_erasures_since(), from the store being
 * replaced, or from --erasures-from DB when restoring onto a fresh
 * directory) are replayed on the restored copy before it goes in place,
 * so an erased child's answers do not come back.
 *
 * Then, in this order: the privacy key file is put in place if the
 * backup brings one and there is none (or, with --force, a different
 * one is kept as KEY.before-restore); the old store and its -wal and
 * -shm become DB.before-restore*; the new file is renamed into place
 * and the directory fsynced. The restore is written to the audit log of
 * the restored store.
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

static const char usage_restore[] =
    "usage: sikiliza restore -c FILE -i IN --key-file PASSFILE [--force]\n"
    "                        [--erasures-from DB]\n"
    "\n"
    "Checks the backup IN as a whole (every chunk authenticated, the\n"
    "database's integrity and schema) and only then puts it in place of\n"
    "the store of FILE, with the privacy key file it holds when FILE's\n"
    "key_file does not exist yet. `serve` must be stopped. The erasures\n"
    "(DELETE) and purges made since the backup was taken are replayed from\n"
    "the erasure log of the store it replaces.\n"
    "\n"
    "  -c, --config FILE     the INI configuration file\n"
    "  -i, --input IN        the backup file\n"
    "  --key-file PASSFILE   the file holding the backup passphrase\n"
    "  --force               replace an existing store (kept as\n"
    "                        DB.before-restore) or a different key file\n"
    "  --erasures-from DB    replay the erasure log of DB (the old box's\n"
    "                        store) when restoring onto a fresh directory\n";

struct restore_args {
    const char *config, *in, *pass_file, *erasures_from;
    bool force;
};

struct restore_job {
    const struct store_erasures *e;
    struct backup_info *info;
    const char *actor;
    int64_t erased;
};

static int
parse_args(int argc, char **argv, struct restore_args *a)
{
    const struct cli_opt opts[] = {
        {"-c", "--config", &a->config},
        {"-i", "--input", &a->in},
        {NULL, "--key-file", &a->pass_file},
        {NULL, "--erasures-from", &a->erasures_from},
    };
    const struct cli_flag flags[] = {{"--force", &a->force}};
    int code = cli_parse(argc, argv, usage_restore, opts,
                         sizeof(opts) / sizeof(opts[0]), flags, 1);

    if (code >= 0)
        return code;
    if (a->config == NULL || a->in == NULL || a->pass_file == NULL)
        return cli_usage_error(usage_restore,
                               "restore: -c FILE, -i IN and --key-file "
                               "PASSFILE are needed");
    return -1;
}

/* On the restored copy: the replay, then the audit row. */
static int
replay_run(struct store_tx *tx, void *arg)
{
    struct restore_job *j = arg;
    char subject[128], reason[96];
    int64_t id;
    int rc;

    if ((rc = store_erasures_replay(tx, j->e, &j->erased)) != 0)
        return rc;
    snprintf(subject, sizeof(subject), "backup_at=%lld schema=%d",
             (long long)j->info->created_ms, j->info->schema);
    snprintf(reason, sizeof(reason), "erasures_replayed=%lld purge=%s",
             (long long)j->erased, j->e->purge_at_ms > 0 ? "yes" : "no");
    id = store_audit_add(tx, wallclock_ms(), j->actor, "restore", subject,
                         reason);
    return id < 0 ? (int)id : 0;
}

/* Whether files a and b hold the same bytes (both at most
 * BACKUP_KEYFILE_MAX): 1 yes, 0 no, negative when one cannot be read. */
static int
same_file(const char *a, const char *b)
{
    char ba[BACKUP_KEYFILE_MAX + 1], bb[BACKUP_KEYFILE_MAX + 1];
    ssize_t na = -1, nb = -1;
    int fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC);

    if (fa >= 0)
        na = read(fa, ba, sizeof(ba));
    if (fb >= 0)
        nb = read(fb, bb, sizeof(bb));
    if (fa >= 0)
        close(fa);
    if (fb >= 0)
        close(fb);
    if (na < 0 || nb < 0)
        return -1;
    na = na == nb && memcmp(ba, bb, (size_t)na) == 0;
    OPENSSL_cleanse(ba, sizeof(ba));
    OPENSSL_cleanse(bb, sizeof(bb));
    return (int)na;
}

/* Moves path + suffix to path.before-restore + suffix (when it exists);
 * a stale one of the same name goes first. */
static int
keep_before(const char *path, const char *suffix, char err[SK_ERR_LEN])
{
    char from[PATH_LEN], to[PATH_LEN + 32];

    snprintf(from, sizeof(from), "%s%s", path, suffix);
    snprintf(to, sizeof(to), "%s.before-restore%s", path, suffix);
    if (unlink(to) != 0 && errno != ENOENT) {
        sk_seterr(err, "%s: %s", to, strerror(errno));
        return SK_EIO;
    }
    if (rename(from, to) != 0 && errno != ENOENT) {
        sk_seterr(err, "%s: %s", from, strerror(errno));
        return SK_EIO;
    }
    return 0;
}

/* Undoes keep_before(): path.before-restore + suffix back to its name. */
static void
undo_before(const char *path, const char *suffix)
{
    char from[PATH_LEN + 32], to[PATH_LEN];

    snprintf(from, sizeof(from), "%s.before-restore%s", path, suffix);
    snprintf(to, sizeof(to), "%s%s", path, suffix);
    rename(from, to);
}

/* Copies the key file from (in the private directory) to a new file
 * beside to, fsynced, then renamed into place; a key file there before
 * is kept as to.before-restore. */
static int
install_key(const char *from, const char *to, char err[SK_ERR_LEN])
{
    char tmp[PATH_LEN], buf[BACKUP_KEYFILE_MAX];
    ssize_t n = -1;
    int in, out = -1, rc = SK_EIO;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", to) >= sizeof(tmp))
        return SK_EINVAL;
    if ((in = open(from, O_RDONLY | O_CLOEXEC)) >= 0)
        n = read(in, buf, sizeof(buf));
    if (n >= 0 && (out = mkstemp(tmp)) >= 0 &&
        write(out, buf, (size_t)n) == n && fsync(out) == 0 &&
        keep_before(to, "", err) == 0 && rename(tmp, to) == 0)
        rc = backup_fsync_dir(to, err);
    else
        sk_seterr(err, "key file %s: %s", to, strerror(errno));
    OPENSSL_cleanse(buf, sizeof(buf));
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    if (rc != 0 && out >= 0)
        unlink(tmp);
    return rc;
}

/* Checks what the backup's key file means for [privacy] key_file:
 * *install is set when it must be put in place. */
static int
check_key(const struct restore_args *a, const struct config *cfg,
          const struct backup_info *info, const char *key, bool *install,
          char err[SK_ERR_LEN])
{
    struct stat sb;
    int same;

    *install = false;
    if (stat(cfg->key_file, &sb) != 0) {
        if (!info->has_key) {
            sk_seterr(err,
                      "the backup holds no privacy key and %s does not "
                      "exist: put the box's key file there first",
                      cfg->key_file);
            return SK_EINVAL;
        }
        *install = true;
        return 0;
    }
    if (!info->has_key || (same = same_file(key, cfg->key_file)) == 1)
        return 0;
    if (same < 0) {
        sk_seterr(err, "key file %s cannot be read", cfg->key_file);
        return SK_EIO;
    }
    if (!a->force) {
        sk_seterr(err,
                  "key file %s differs from the one in the backup (the "
                  "restored store needs the backup's): add --force to "
                  "replace it (kept as %s.before-restore)",
                  cfg->key_file, cfg->key_file);
        return SK_EINVAL;
    }
    *install = true;
    return 0;
}

/* Replays the erasure log on the restored copy db and audits it there;
 * then checks it once more and leaves it as one file. */
static int
replay(const struct restore_args *a, const struct config *cfg, const char *db,
       struct restore_job *job, char err[SK_ERR_LEN])
{
    struct store_erasures e = {0};
    const char *log = a->erasures_from;
    struct store *st;
    struct stat sb;
    int rc = 0, schema;

    if (log == NULL && stat(cfg->store_path, &sb) == 0)
        log = cfg->store_path;
    if (log == NULL)
        fprintf(stderr,
                "sikiliza restore: no erasure log to replay (no store at "
                "%s, no --erasures-from): what was erased since the backup "
                "was taken comes back with it\n",
                cfg->store_path);
    if (log != NULL &&
        (rc = store_erasures_since(log, job->info->created_ms, &e, err)) != 0)
        return rc;
    job->e = &e;
    if ((st = store_open(db, NULL, 4, err)) == NULL) {
        rc = SK_EIO;
    } else if ((rc = store_call(st, replay_run, job)) != 0) {
        sk_seterr(err, "replaying the erasure log failed (%s)",
                  sk_strerror(rc));
    }
    store_close(st);
    store_erasures_clear(&e);
    job->e = NULL;
    if (rc == 0)
        rc = store_backup_check(db, &schema, err);
    return rc;
}

/* Puts the checked copy db in place of the store. */
static int
install_db(const struct config *cfg, const char *db, char err[SK_ERR_LEN])
{
    const char *path = cfg->store_path;

    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    size_t i, n = 0;

    for (; n < 4; n++) {
        if (keep_before(path, suffixes[n], err) != 0)
            break;
    }
    if (n == 4 && rename(db, path) == 0)
        return backup_fsync_dir(path, err);
    sk_seterr(err, "%s: %s", path, strerror(errno));
    for (i = 0; i < n; i++) /* the old store goes back */
        undo_before(path, suffixes[i]);
    return SK_EIO;
}

static int
run_restore(const struct restore_args *a, const struct config *cfg,
            const char *pass, size_t passlen, struct restore_job *job,
            char err[SK_ERR_LEN])
{
    char dir[PATH_LEN], db[PATH_LEN + 16], key[PATH_LEN + 16];
    struct backup_info *info = job->info;
    bool exists, put_key = false;
    struct stat sb;
    int fd, rc, schema;

    exists = stat(cfg->store_path, &sb) == 0;
    if (exists && !a->force) {
        sk_seterr(err,
                  "store %s exists: add --force to replace it (it is kept "
                  "as %s.before-restore)",
                  cfg->store_path, cfg->store_path);
        return SK_EEXIST;
    }
    if ((fd = open(a->in, O_RDONLY | O_CLOEXEC)) < 0) {
        sk_seterr(err, "%s: %s", a->in, strerror(errno));
        return SK_EINVAL;
    }
    if ((rc = backup_tmpdir_make(cfg->store_path, "restore", dir, sizeof(dir),
                                 err)) != 0) {
        close(fd);
        return rc;
    }
    snprintf(db, sizeof(db), "%s/%s", dir, BACKUP_DB_NAME);
    snprintf(key, sizeof(key), "%s/%s", dir, BACKUP_KEY_NAME);
    rc = backup_unpack(fd, pass, passlen, dir, info, err);
    close(fd);
    if (rc == 0)
        rc = store_backup_check(db, &schema, err);
    if (rc == 0 && schema != info->schema) {
        sk_seterr(err, "backup: its header and database disagree on the "
                       "schema");
        rc = SK_EINVAL;
    }
    if (rc == 0)
        rc = check_key(a, cfg, info, key, &put_key, err);
    if (rc == 0)
        rc = replay(a, cfg, db, job, err);
    if (rc == 0 && put_key)
        rc = install_key(key, cfg->key_file, err);
    if (rc == 0 && (rc = install_db(cfg, db, err)) != 0 && put_key) {
        unlink(cfg->key_file); /* the key file as it was */
        undo_before(cfg->key_file, "");
    }
    backup_tmpdir_remove(dir);
    return rc;
}

int
cmd_restore(int argc, char **argv)
{
    const struct passwd *pw = getpwuid(getuid());
    struct restore_args a = {0};
    struct backup_info info = {0};
    struct restore_job job = {.info = &info};
    char err[SK_ERR_LEN] = "", pass[BACKUP_PASS_MAX], actor[96];
    sigset_t hold, old;
    struct config *cfg;
    size_t passlen = 0;
    int code, rc, lock = -1;

    if ((code = parse_args(argc, argv, &a)) >= 0)
        return code;
    if ((cfg = config_load(a.config, err)) == NULL ||
        backup_passphrase_read(a.pass_file, pass, &passlen, err) != 0) {
        fprintf(stderr, "sikiliza restore: %s\n", err);
        config_free(cfg);
        return CLI_EXIT_INVALID;
    }
    snprintf(actor, sizeof(actor), "cli:%s",
             pw != NULL && pw->pw_name != NULL ? pw->pw_name : "?");
    job.actor = actor;
    sigemptyset(&hold);
    sigaddset(&hold, SIGINT);
    sigaddset(&hold, SIGTERM);
    sigaddset(&hold, SIGHUP);
    sigprocmask(SIG_BLOCK, &hold, &old);
    if ((rc = lock = store_lock_take(cfg->store_path, err)) >= 0)
        rc = run_restore(&a, cfg, pass, passlen, &job, err);
    OPENSSL_cleanse(pass, sizeof(pass));
    if (rc != 0) {
        fprintf(stderr, "sikiliza restore: %s%s\n", err,
                rc == SK_EBUSY ? ": stop it before restoring" : "");
        code = rc == SK_EINVAL || rc == SK_EEXIST ? CLI_EXIT_INVALID
                                                  : CLI_EXIT_RUNTIME;
    } else {
        printf("restored %s into %s: schema %d, erasures since the backup "
               "replayed on %lld contact(s)\n",
               a.in, cfg->store_path, info.schema, (long long)job.erased);
        code = fflush(stdout) == 0 ? 0 : CLI_EXIT_RUNTIME;
    }
    if (lock >= 0)
        close(lock);
    config_free(cfg);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return code;
}
