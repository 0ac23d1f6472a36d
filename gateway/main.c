/*
 * main.c - the `sikiliza` command line: the table of commands, and serve,
 * keygen and flow check. Every other command has its own file
 * (gateway/cmd_*.c, declared in cli.h); a new one adds a row to commands[]
 * and a line to the help. Main thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "caps.h"
#include "cli.h"
#include "flow.h"
#include "flowload.h"
#include "privacy.h"

static const char usage_main[] =
    "usage: sikiliza COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  serve -c FILE                 run the gateway\n"
    "  config check -c FILE          make every check serve makes at start,\n"
    "                                without starting\n"
    "  keygen -o FILE                create the secret key file (mode 0600)\n"
    "  flow check [--max-segments N] FILE...\n"
    "                                validate flow files, show SMS costs\n"
    "  simulate FILE [--flow NAME|UUID] [--lang CODE] [--jsonl]\n"
    "                                run a flow in the terminal\n"
    "  transcribe AUDIO [--grammar FILE.gram] [--model DIR] [--dict FILE]\n"
    "             [--choices LIST [--lang CODE]]\n"
    "                                print transcript<TAB>confidence\n"
    "  audit -c FILE                 list the audit log\n"
    "  prompts check DIR [-o OUTDIR] check recorded prompts, convert them\n"
    "                                to 8 kHz mono WAV\n"
    "  purge -c FILE                 apply the retention policy now\n"
    "  backup -c FILE -o OUT --key-file PASSFILE\n"
    "                                an encrypted backup, while serving\n"
    "  restore -c FILE -i IN --key-file PASSFILE\n"
    "                                check a backup, restore it (stopped)\n"
    "  export -c FILE --format csv|xlsx|jsonl|floip|summary -o OUT\n"
    "         [--flow NAME] [--since DATE] [--stable-ids REASON]\n"
    "                                anonymised export of the answers\n"
    "  alerts -c FILE                list the safeguarding alerts\n"
    "  reveal -c FILE --alert ID --reason TEXT\n"
    "                                print an alert's reply address (audited)\n"
    "\n"
    "  --version                     print the version\n"
    "  --help, help                  this help; COMMAND --help or\n"
    "                                help COMMAND for more\n"
    "\n"
    "Exit codes: 0 ok, 1 invalid input, 2 usage, 3 runtime failure.\n";

static const char usage_serve[] =
    "usage: sikiliza serve -c FILE\n"
    "\n"
    "Runs the gateway with the configuration FILE until SIGTERM or SIGINT.\n"
    "\n"
    "  -c, --config FILE   the INI configuration file\n";

static const char usage_keygen[] =
    "usage: sikiliza keygen -o FILE\n"
    "\n"
    "Creates the secret key file (mode 0600); refuses to overwrite one.\n"
    "\n"
    "  -o, --output FILE   where to write the key\n";

static const char usage_flow[] =
    "usage: sikiliza flow check [--max-segments N] FILE...\n"
    "\n"
    "Validates flow files (a flow definition or an export, or a directory\n"
    "of them). Problems are printed as `file: flow \"name\": node N: "
    "reason`\n"
    "and the exit code is 1; otherwise each file gets a summary line.\n"
    "\n"
    "Then the SMS cost of every message, per language: a text taking more\n"
    "than N segments (GSM-7 or UCS-2 parts) is shown as\n"
    "`file: flow \"name\": node UUID: LANG: 3 segments (UCS-2, 95 chars)`\n"
    "(\"at least\" when the text holds expressions), and each file gets\n"
    "a line with its messages, languages and most segments. These are\n"
    "warnings: the exit code stays 0.\n"
    "\n"
    "  --max-segments N   warn above N segments (1 to 255, default 2)\n";

int
cmd_serve(int argc, char **argv)
{
    const char *config;
    int code = cli_config_only(argc, argv, usage_serve, &config);

    return code >= 0 ? code : app_serve(config);
}

int
cmd_keygen(int argc, char **argv)
{
    const char *out = NULL;
    char err[SK_ERR_LEN] = "";
    int i, r;

    for (i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_keygen, stdout);
            return 0;
        }
        r = cli_opt_value(argc, argv, &i, "-o", "--output", &out);
        if (r < 0)
            return cli_usage_error(usage_keygen, "%s needs a FILE", argv[i]);
        if (r == 0)
            return cli_usage_error(usage_keygen, "unexpected argument \"%s\"",
                                   argv[i]);
    }
    if (out == NULL)
        return cli_usage_error(usage_keygen, "%s", "keygen needs -o FILE");
    r = privacy_keygen(out, err);
    if (r != 0) {
        fprintf(stderr, "sikiliza keygen: %s\n",
                err[0] != '\0' ? err : sk_strerror(r));
        return r == SK_EEXIST || r == SK_EINVAL ? CLI_EXIT_INVALID
                                                : CLI_EXIT_RUNTIME;
    }
    printf("%s: key written (mode 0600)\n", out);
    return 0;
}

struct flow_costs {
    const struct flow_set *set;
    int max_segments;
};

static void
flow_costs_file(void *arg, const char *path, size_t first, size_t last)
{
    const struct flow_costs *fc = arg;

    caps_report_file(stdout, path, fc->set, first, last, fc->max_segments);
}

int
cmd_flow(int argc, char **argv)
{
    struct flow_set *set;
    struct flow_costs fc = {.max_segments = 2};
    const char **files;
    const char *val;
    char *end;
    size_t nf = 0;
    long v;
    int i, rc, r;

    for (i = 1; i < argc; i++)
        if (cli_is_help(argv[i])) {
            fputs(usage_flow, stdout);
            return 0;
        }
    if (argc < 2 || strcmp(argv[1], "check") != 0)
        return cli_usage_error(usage_flow, "%s",
                               "expected `flow check FILE...`");
    if (argc < 3)
        return cli_usage_error(usage_flow, "%s", "flow check needs a FILE");
    if ((files = calloc((size_t)argc, sizeof(*files))) == NULL) {
        fprintf(stderr, "sikiliza flow check: out of memory\n");
        return CLI_EXIT_RUNTIME;
    }
    for (i = 2; i < argc; i++) {
        r = cli_opt_value(argc, argv, &i, NULL, "--max-segments", &val);
        if (r < 0) {
            free(files);
            return cli_usage_error(usage_flow, "%s needs a number", argv[i]);
        }
        if (r > 0) {
            v = strtol(val, &end, 10);
            if (end == val || *end != '\0' || v < 1 || v > 255) {
                free(files);
                return cli_usage_error(usage_flow,
                                       "--max-segments: \"%s\" is not a number "
                                       "from 1 to 255",
                                       val);
            }
            fc.max_segments = (int)v;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            free(files);
            return cli_usage_error(usage_flow, "unknown option \"%s\"",
                                   argv[i]);
        }
        files[nf++] = argv[i];
    }
    if (nf == 0) {
        free(files);
        return cli_usage_error(usage_flow, "%s", "flow check needs a FILE");
    }
    if ((set = flow_set_new()) == NULL) {
        free(files);
        fprintf(stderr, "sikiliza flow check: out of memory\n");
        return CLI_EXIT_RUNTIME;
    }
    fc.set = set;
    rc = flowload_paths_each(set, files, nf, stderr, stdout, flow_costs_file,
                             &fc);
    flow_set_free(set);
    free(files);
    if (rc == SK_ENOMEM)
        return CLI_EXIT_RUNTIME;
    return rc != 0 ? CLI_EXIT_INVALID : 0;
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"serve", cmd_serve},
    {"keygen", cmd_keygen},
    {"flow", cmd_flow},
    {"simulate", cmd_simulate},
    {"transcribe", cmd_transcribe},
    {"audit", cmd_audit},
    {"prompts", cmd_prompts},
    {"purge", cmd_purge},
    {"export", cmd_export},
    {"alerts", cmd_alerts},
    {"reveal", cmd_reveal},
    {"config", cmd_config},
    {"backup", cmd_backup},
    {"restore", cmd_restore},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* `sikiliza help [COMMAND]`: as `--help` and `COMMAND --help`. */
static int
help(int argc, char **argv)
{
    char help_arg[] = "--help";
    char *args[3];

    if (argc < 3) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (argc > 3)
        return cli_usage_error(usage_main, "%s",
                               "help takes one COMMAND at most");
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[2], commands[i].name) == 0) {
            args[0] = argv[2];
            args[1] = help_arg;
            args[2] = NULL;
            return commands[i].run(2, args);
        }
    return cli_usage_error(usage_main, "unknown command \"%s\"", argv[2]);
}

int
main(int argc, char **argv)
{
    const char *cmd;

    if (argc < 2)
        return cli_usage_error(usage_main, "%s", "no command given");
    cmd = argv[1];
    if (cli_is_help(cmd)) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(cmd, "help") == 0)
        return help(argc, argv);
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("sikiliza %s\n", SK_VERSION);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    return cli_usage_error(usage_main, "unknown command \"%s\"", cmd);
}
