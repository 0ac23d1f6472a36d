/*
 * cli.h - what every `sikiliza` command shares: exit codes, usage errors,
 * option parsing. Each command lives in its own file (main.c holds the
 * table that names them); all run on the main thread, before or instead of
 * an event loop.
 */
#ifndef SK_CLI_H
#define SK_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* Exit codes: 0 ok, 1 invalid input (the message names what and where),
 * 2 usage, 3 runtime failure. */
#define CLI_EXIT_INVALID 1
#define CLI_EXIT_USAGE   2
#define CLI_EXIT_RUNTIME 3

/* Prints "sikiliza: MESSAGE" and a pointer to the help of the command
 * the usage text is for ("Try 'sikiliza NAME --help'.", read from its
 * "usage: sikiliza NAME" opening; the main usage points to
 * "sikiliza --help") to stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "--help" or "-h". */
bool cli_is_help(const char *arg);

/*
 * Matches argv[*i] against a value option given as short/long flag,
 * "--long=VALUE" or "-sVALUE". Returns 1 with *val set (and *i moved past
 * a separate value), 0 when it is not this option, -1 when the value is
 * missing. shrt may be NULL.
 */
int cli_opt_value(int argc, char **argv, int *i, const char *shrt,
                  const char *lng, const char **val);

/*
 * Parses the arguments of a command that takes only -c FILE (and --help):
 * returns -1 with *config set when the command should run, else the exit
 * code to return at once (0 after printing usage for --help, or
 * CLI_EXIT_USAGE). argv[0] names the command in messages.
 */
int cli_config_only(int argc, char **argv, const char *usage,
                    const char **config);

/* A value option (dst set to its value) and a yes/no flag (dst set true
 * when given) for cli_parse(). shrt may be NULL. */
struct cli_opt {
    const char *shrt, *lng;
    const char **dst;
};
struct cli_flag {
    const char *name;
    bool *dst;
};

/*
 * Parses a command's arguments against its value options and flags (and
 * --help): returns -1 when the command should run, else the exit code to
 * return at once (0 after printing usage for --help, or CLI_EXIT_USAGE
 * for an unknown option or a missing value). argv[0] names the command in
 * messages. Whether the needed options are there is the caller's check.
 */
int cli_parse(int argc, char **argv, const char *usage,
              const struct cli_opt *opts, size_t n_opts,
              const struct cli_flag *flags, size_t n_flags);

/* The commands, one file each (gateway/cmd_*.c or main.c). argv[0] is the
 * command's own name. */
int cmd_serve(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_flow(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_transcribe(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_prompts(int argc, char **argv);
int cmd_purge(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_reveal(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);

#endif
