/*
 * cmd_prompts.c - `sikiliza prompts check DIR [-o OUTDIR]`: checks every
 * recorded prompt DIR/LANG/NAME.wav (prompts.h) and converts the good ones
 * to 8 kHz mono 16-bit PCM WAV, in place or into OUTDIR. A converted file
 * is written beside its target under a hidden temporary name, synced and
 * renamed over it, so a serving gateway or a crash never sees half a file.
 * Main thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audio.h"
#include "cli.h"
#include "prompts.h"

static const char usage_prompts[] =
    "usage: sikiliza prompts check DIR [-o OUTDIR]\n"
    "\n"
    "Checks every recorded prompt DIR/LANG/NAME.wav with libsndfile and\n"
    "converts each good one to 8 kHz mono 16-bit PCM WAV, what telephones\n"
    "play and what `serve` serves from [flows] prompts at\n"
    "/prompts/LANG/NAME.wav. LANG and NAME: letters, digits, - and _.\n"
    "\n"
    "Without -o each file is converted in place (replaced atomically);\n"
    "with -o the results go to OUTDIR/LANG/NAME.wav and DIR is not\n"
    "changed. A file that is empty, corrupt, longer than 60 s, not WAV, or\n"
    "not mono or stereo at 8 to 48 kHz is reported as `FILE: reason` and\n"
    "left alone, and the exit code is then 1.\n"
    "\n"
    "  -o, --output OUTDIR   write the converted prompts there\n";

#define PATH_LEN 4096

struct check {
    const char *out; /* NULL: in place */
    int ok, converted, bad, failed;
};

/* Makes dir (one level) unless it is there. */
static int
ensure_dir(const char *dir)
{
    if (mkdir(dir, 0755) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "sikiliza: %s: %s\n", dir, strerror(errno));
    return -1;
}

/* Flushes path to disk and makes it readable by the gateway's user. */
static int
sync_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return -1;
    rc = fchmod(fd, 0644) == 0 && fsync(fd) == 0 ? 0 : -1;
    close(fd);
    return rc;
}

/* Writes target atomically: pcm as WAV when pcm is not NULL, else a copy
 * of the file at src. */
static int
write_atomic(const char *target, const struct audio_pcm *pcm, const char *src)
{
    char tmp[PATH_LEN], err[SK_ERR_LEN] = "";
    const char *slash = strrchr(target, '/');
    struct audio_limits lim;
    void *data = NULL;
    size_t len = 0;
    int fd, rc = -1;

    if (slash == NULL ||
        snprintf(tmp, sizeof(tmp), "%.*s/.%s.XXXXXX", (int)(slash - target),
                 target, slash + 1) >= (int)sizeof(tmp))
        return -1;
    fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    if (pcm != NULL) {
        close(fd);
        rc = audio_write_wav(tmp, pcm, err) == 0 ? 0 : -1;
    } else {
        audio_limits_default(&lim);
        lim.max_bytes = PROMPTS_MAX_BYTES;
        if (audio_read_file(src, &lim, &data, &len, err) == 0 &&
            write(fd, data, len) == (ssize_t)len)
            rc = 0;
        free(data);
        close(fd);
    }
    if (rc == 0)
        rc = sync_file(tmp);
    if (rc == 0 && rename(tmp, target) != 0)
        rc = -1;
    if (rc != 0)
        unlink(tmp);
    return rc;
}

static int
check_one(void *arg, const char *lang, const char *file, const char *path,
          const char *problem)
{
    struct check *c = arg;
    char reason[SK_ERR_LEN] = "", target[PATH_LEN];
    struct audio_pcm pcm;
    bool ready = false;

    if (problem != NULL) {
        fprintf(stderr, "%s: %s\n", path, problem);
        c->bad++;
        return 0;
    }
    if (prompts_check_file(path, &ready, &pcm, reason) != 0) {
        fprintf(stderr, "%s: %s\n", path, reason);
        c->bad++;
        return 0;
    }
    if (c->out != NULL) {
        snprintf(target, sizeof(target), "%s/%s", c->out, lang);
        if (ensure_dir(target) != 0)
            goto fail;
        snprintf(target, sizeof(target), "%s/%s/%s", c->out, lang, file);
    } else
        snprintf(target, sizeof(target), "%s", path);
    if ((!ready || c->out != NULL) &&
        write_atomic(target, ready ? NULL : &pcm, path) != 0) {
        fprintf(stderr, "sikiliza: %s: cannot write: %s\n", target,
                strerror(errno));
        goto fail;
    }
    if (ready)
        printf("%s/%s: ok\n", lang, file);
    else
        printf("%s/%s: ok, converted from %d Hz %s\n", lang, file, pcm.src_rate,
               pcm.src_channels == 1 ? "mono" : "stereo");
    c->ok++;
    c->converted += ready ? 0 : 1;
    audio_pcm_free(&pcm);
    return 0;
fail:
    audio_pcm_free(&pcm);
    c->failed++;
    return 0;
}

int
cmd_prompts(int argc, char **argv)
{
    struct check c;
    const char *dir = NULL, *val;
    char err[SK_ERR_LEN] = "";
    int i, r;

    memset(&c, 0, sizeof(c));
    if (argc >= 2 && cli_is_help(argv[1])) {
        fputs(usage_prompts, stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "check") != 0)
        return cli_usage_error(usage_prompts, "prompts: expected `check`");
    for (i = 2; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_prompts, stdout);
            return 0;
        }
        r = cli_opt_value(argc, argv, &i, "-o", "--output", &val);
        if (r < 0)
            return cli_usage_error(usage_prompts, "-o needs a directory");
        if (r > 0)
            c.out = val;
        else if (argv[i][0] == '-' || dir != NULL)
            return cli_usage_error(usage_prompts, "unexpected '%s'", argv[i]);
        else
            dir = argv[i];
    }
    if (dir == NULL)
        return cli_usage_error(usage_prompts, "prompts check: no DIR");
    if (c.out != NULL && ensure_dir(c.out) != 0)
        return CLI_EXIT_RUNTIME;
    if (prompts_walk(dir, check_one, &c, err) != 0) {
        fprintf(stderr, "sikiliza: %s\n", err);
        return CLI_EXIT_INVALID;
    }
    printf("prompts: %d ok (%d converted), %d bad\n", c.ok, c.converted, c.bad);
    if (c.failed > 0)
        return CLI_EXIT_RUNTIME;
    return c.bad > 0 ? CLI_EXIT_INVALID : 0;
}
