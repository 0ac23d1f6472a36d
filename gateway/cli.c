/*
 * cli.c - the helpers every command shares (see cli.h). Main thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* The command a usage text is for ("usage: sikiliza NAME ..."), into
 * buf; "" for the main usage (its NAME is COMMAND) or another text. */
static void
usage_command(const char *usage, char *buf, size_t len)
{
    static const char prefix[] = "usage: sikiliza ";
    size_t n = 0;

    buf[0] = '\0';
    if (usage == NULL || strncmp(usage, prefix, sizeof(prefix) - 1) != 0)
        return;
    usage += sizeof(prefix) - 1;
    while (usage[n] >= 'a' && usage[n] <= 'z' && n + 1 < len)
        n++;
    memcpy(buf, usage, n);
    buf[n] = '\0';
}

int
cli_usage_error(const char *usage, const char *fmt, ...)
{
    char cmd[32];
    va_list ap;

    usage_command(usage, cmd, sizeof(cmd));
    fprintf(stderr, "sikiliza: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'sikiliza %s%s--help'.\n", cmd,
            cmd[0] != '\0' ? " " : "");
    return CLI_EXIT_USAGE;
}

bool
cli_is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

int
cli_opt_value(int argc, char **argv, int *i, const char *shrt, const char *lng,
              const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(lng);

    if ((shrt != NULL && strcmp(a, shrt) == 0) || strcmp(a, lng) == 0) {
        if (*i + 1 >= argc)
            return -1;
        *val = argv[++*i];
        return 1;
    }
    if (strncmp(a, lng, n) == 0 && a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (shrt != NULL && strncmp(a, shrt, 2) == 0 && a[2] != '\0' &&
        a[1] != '-') {
        *val = a + 2;
        return 1;
    }
    return 0;
}

int
cli_config_only(int argc, char **argv, const char *usage, const char **config)
{
    int r;

    *config = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        }
        r = cli_opt_value(argc, argv, &i, "-c", "--config", config);
        if (r < 0)
            return cli_usage_error(usage, "%s needs a FILE", argv[i]);
        if (r == 0)
            return cli_usage_error(usage, "unexpected argument \"%s\"",
                                   argv[i]);
    }
    if (*config == NULL)
        return cli_usage_error(usage, "%s needs -c FILE", argv[0]);
    return -1;
}

/* Whether argv[i] is one of flags: sets it and returns true. */
static bool
cli_flag_set(const char *a, const struct cli_flag *flags, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(a, flags[k].name) == 0) {
            *flags[k].dst = true;
            return true;
        }
    return false;
}

int
cli_parse(int argc, char **argv, const char *usage, const struct cli_opt *opts,
          size_t n_opts, const struct cli_flag *flags, size_t n_flags)
{
    const char *val;
    size_t k;
    int m = 0;

    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        }
        if (cli_flag_set(argv[i], flags, n_flags))
            continue;
        for (k = 0; k < n_opts; k++) {
            m = cli_opt_value(argc, argv, &i, opts[k].shrt, opts[k].lng, &val);
            if (m != 0)
                break;
        }
        if (m == 0)
            return cli_usage_error(usage, "%s: unknown option %s", argv[0],
                                   argv[i]);
        if (m < 0)
            return cli_usage_error(usage, "%s: %s needs a value", argv[0],
                                   argv[i]);
        *opts[k].dst = val;
    }
    return -1;
}
