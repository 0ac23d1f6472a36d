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
