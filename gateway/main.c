/*
 * main.c - the `sikiliza` command line: serve, keygen, flow check,
 * simulate, transcribe. Exit codes: 0 ok, 1 invalid input (the message names
 * what and where), 2 usage, 3 runtime failure.
 *
 * simulate runs a flow in the terminal with the real engine and the real
 * clock (a fixed seed, so random routers repeat): it starts the flow at
 * once, prints what it sends, and reads the child's messages from stdin,
 * one per line, until EOF. Lines that start with '/' are events.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "app.h"
#include "asr.h"
#include "audio.h"
#include "caps.h"
#include "config.h"
#include "flow.h"
#include "flowload.h"
#include "privacy.h"
#include "text.h"
#include "zone.h"

#define EXIT_INVALID 1
#define EXIT_USAGE   2
#define EXIT_RUNTIME 3

#define SIMULATE_SEED 20240611ULL

static const char usage_main[] =
    "usage: sikiliza COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  serve -c FILE                 run the gateway\n"
    "  keygen -o FILE                create the secret key file (mode 0600)\n"
    "  flow check [--max-segments N] FILE...\n"
    "                                validate flow files, show SMS costs\n"
    "  simulate FILE [--flow NAME|UUID] [--lang CODE] [--jsonl]\n"
    "                                run a flow in the terminal\n"
    "  transcribe AUDIO [--grammar FILE.gram] [--model DIR] [--dict FILE]\n"
    "                                print transcript<TAB>confidence\n"
    "\n"
    "  --version                     print the version\n"
    "  --help                        this help; COMMAND --help for more\n"
    "\n"
    "Not built yet: export, prompts check, purge, alerts, reveal, audit.\n"
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

static const char usage_simulate[] =
    "usage: sikiliza simulate FILE [--flow NAME|UUID] [--lang CODE] "
    "[-c CONFIG] [--tz ZONE] [--jsonl]\n"
    "\n"
    "Starts a flow at once and prints what it sends; then reads the\n"
    "child's messages from stdin, one per line, until EOF.\n"
    "FILE is a flow file or export, or a directory of them.\n"
    "\n"
    "  --flow NAME|UUID   the flow to start (needed when FILE has several)\n"
    "  --lang CODE        the contact's language: one of the flow's or an\n"
    "                     ISO 639-3 code (e.g. fra); others are refused\n"
    "  -c CONFIG          take the [flows] timezone, date_format and\n"
    "                     country of a config file\n"
    "  --tz ZONE          the time zone dates are read and shown in\n"
    "                     (e.g. Africa/Nairobi; default UTC or the config's)\n"
    "  --jsonl            one JSON object per engine event instead of chat\n"
    "\n"
    "Lines starting with '/' are events:\n"
    "  /timeout       the wait's timeout fires\n"
    "  /expire        the session expires\n"
    "  /digits 123    a keypad answer\n"
    "  /audio FILE    a recorded answer (not supported yet)\n"
    "  /help          list these\n"
    "Other lines are messages. Once the session has ended, a message that\n"
    "matches a keyword trigger starts that flow.\n";

static const char usage_transcribe[] =
    "usage: sikiliza transcribe AUDIO [--grammar FILE.gram] [--model DIR]\n"
    "                           [--dict FILE] [--lm FILE] [--rate HZ]\n"
    "\n"
    "Transcribes a recording (WAV: PCM, float, mu-law, A-law; MP3; FLAC)\n"
    "with PocketSphinx on this machine and prints `transcript<TAB>"
    "confidence`,\n"
    "the confidence between 0 and 1. What the decoder doubts (confidence\n"
    "below 0.5) prints as an empty transcript. Recordings over 120 s or\n"
    "8 MB are refused.\n"
    "\n"
    "  --grammar FILE  a JSGF grammar: only its sentences are heard\n"
    "  --model DIR     acoustic model (default: the Debian en-us model)\n"
    "  --dict FILE     pronunciation dictionary (default: cmudict-en-us)\n"
    "  --lm FILE       language model without --grammar (default: en-us)\n"
    "  --rate HZ       decoder rate: 16000 (default; 8 kHz audio is\n"
    "                  resampled) or 8000 (a telephone-band front end)\n";

static int usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "sikiliza: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n\n%s", usage);
    return EXIT_USAGE;
}

static bool
is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/*
 * Matches argv[*i] against a value option given as short/long flag,
 * "--long=VALUE" or "-sVALUE". Returns 1 with *val set, 0 when it is not
 * this option, -1 when the value is missing.
 */
static int
opt_value(int argc, char **argv, int *i, const char *shrt, const char *lng,
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

static int
cmd_serve(int argc, char **argv)
{
    const char *config = NULL;
    int i, r;

    for (i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(usage_serve, stdout);
            return 0;
        }
        r = opt_value(argc, argv, &i, "-c", "--config", &config);
        if (r < 0)
            return usage_error(usage_serve, "%s needs a FILE", argv[i]);
        if (r == 0)
            return usage_error(usage_serve, "unexpected argument \"%s\"",
                               argv[i]);
    }
    if (config == NULL)
        return usage_error(usage_serve, "%s", "serve needs -c FILE");
    return app_serve(config);
}

static int
cmd_keygen(int argc, char **argv)
{
    const char *out = NULL;
    char err[SK_ERR_LEN] = "";
    int i, r;

    for (i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(usage_keygen, stdout);
            return 0;
        }
        r = opt_value(argc, argv, &i, "-o", "--output", &out);
        if (r < 0)
            return usage_error(usage_keygen, "%s needs a FILE", argv[i]);
        if (r == 0)
            return usage_error(usage_keygen, "unexpected argument \"%s\"",
                               argv[i]);
    }
    if (out == NULL)
        return usage_error(usage_keygen, "%s", "keygen needs -o FILE");
    r = privacy_keygen(out, err);
    if (r != 0) {
        fprintf(stderr, "sikiliza keygen: %s\n",
                err[0] != '\0' ? err : sk_strerror(r));
        return r == SK_EEXIST || r == SK_EINVAL ? EXIT_INVALID : EXIT_RUNTIME;
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

static int
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
        if (is_help(argv[i])) {
            fputs(usage_flow, stdout);
            return 0;
        }
    if (argc < 2 || strcmp(argv[1], "check") != 0)
        return usage_error(usage_flow, "%s", "expected `flow check FILE...`");
    if (argc < 3)
        return usage_error(usage_flow, "%s", "flow check needs a FILE");
    if ((files = calloc((size_t)argc, sizeof(*files))) == NULL) {
        fprintf(stderr, "sikiliza flow check: out of memory\n");
        return EXIT_RUNTIME;
    }
    for (i = 2; i < argc; i++) {
        r = opt_value(argc, argv, &i, NULL, "--max-segments", &val);
        if (r < 0) {
            free(files);
            return usage_error(usage_flow, "%s needs a number", argv[i]);
        }
        if (r > 0) {
            v = strtol(val, &end, 10);
            if (end == val || *end != '\0' || v < 1 || v > 255) {
                free(files);
                return usage_error(usage_flow,
                                   "--max-segments: \"%s\" is not a number "
                                   "from 1 to 255",
                                   val);
            }
            fc.max_segments = (int)v;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            free(files);
            return usage_error(usage_flow, "unknown option \"%s\"", argv[i]);
        }
        files[nf++] = argv[i];
    }
    if (nf == 0) {
        free(files);
        return usage_error(usage_flow, "%s", "flow check needs a FILE");
    }
    if ((set = flow_set_new()) == NULL) {
        free(files);
        fprintf(stderr, "sikiliza flow check: out of memory\n");
        return EXIT_RUNTIME;
    }
    fc.set = set;
    rc = flowload_paths_each(set, files, nf, stderr, stdout, flow_costs_file,
                             &fc);
    flow_set_free(set);
    free(files);
    if (rc == SK_ENOMEM)
        return EXIT_RUNTIME;
    return rc != 0 ? EXIT_INVALID : 0;
}

/* --- simulate ----------------------------------------------------------- */

struct sim {
    const struct flow_set *set;
    struct flow_session *s;
    bool jsonl;
    bool echo; /* repeat the child's lines (stdin is not a terminal) */
};

static const char *
ev_str(const json_t *ev, const char *key)
{
    return json_string_value(json_object_get(ev, key));
}

/* The display name of an event's "flow" member (a name or an object). */
static const char *
ev_flow(const json_t *ev)
{
    const json_t *f = json_object_get(ev, "flow");

    if (json_is_object(f))
        return ev_str(f, "name");
    return json_string_value(f);
}

static void
chat_event(const json_t *ev)
{
    const char *type = ev_str(ev, "type");
    const json_t *v;
    size_t i;

    if (type == NULL)
        return;
    if (strcmp(type, "msg_created") == 0) {
        printf("bot: %s\n", ev_str(ev, "text") ? ev_str(ev, "text") : "");
        v = json_object_get(ev, "quick_replies");
        if (json_array_size(v) > 0) {
            printf("     quick replies:");
            for (i = 0; i < json_array_size(v); i++)
                printf(" [%s]", json_string_value(json_array_get(v, i))
                                    ? json_string_value(json_array_get(v, i))
                                    : "");
            printf("\n");
        }
    } else if (strcmp(type, "run_started") == 0) {
        printf("[flow \"%s\" started]\n", ev_flow(ev) ? ev_flow(ev) : "?");
    } else if (strcmp(type, "run_ended") == 0) {
        printf("[flow \"%s\" %s]\n", ev_flow(ev) ? ev_flow(ev) : "?",
               ev_str(ev, "status") ? ev_str(ev, "status") : "ended");
    } else if (strcmp(type, "msg_wait") == 0) {
        v = json_object_get(ev, "timeout_seconds");
        printf("[waiting for a reply");
        if (json_is_integer(v))
            printf(", timeout %llds", (long long)json_integer_value(v));
        if (ev_str(ev, "hint") != NULL)
            printf(", hint %s", ev_str(ev, "hint"));
        printf("]\n");
    } else if (strcmp(type, "run_result_changed") == 0) {
        printf("[result \"%s\" = \"%s\"", ev_str(ev, "name"),
               ev_str(ev, "value") ? ev_str(ev, "value") : "");
        if (ev_str(ev, "category") != NULL)
            printf(" (%s)", ev_str(ev, "category"));
        printf("]\n");
    } else if (strcmp(type, "contact_language_changed") == 0) {
        printf("[language is now %s]\n",
               ev_str(ev, "language") ? ev_str(ev, "language") : "none");
    } else if (strcmp(type, "error") == 0) {
        printf("[error: %s]\n", ev_str(ev, "text") ? ev_str(ev, "text") : "");
    } else {
        char *js = json_dumps(ev, JSON_COMPACT);

        printf("[%s %s]\n", type, js != NULL ? js : "");
        free(js);
    }
}

static int
sim_print(const struct sim *sim, json_t *events)
{
    size_t i;

    for (i = 0; i < json_array_size(events); i++) {
        const json_t *ev = json_array_get(events, i);

        if (sim->jsonl) {
            char *js = json_dumps(ev, JSON_COMPACT);

            if (js == NULL)
                return SK_ENOMEM;
            printf("%s\n", js);
            free(js);
        } else {
            chat_event(ev);
        }
        fflush(stdout);
    }
    json_array_clear(events);
    fflush(stdout);
    return 0;
}

/* A note to the person at the keyboard: in the chat, or on stderr when
 * stdout holds only JSON events. */
static void
sim_note(const struct sim *sim, const char *note)
{
    if (sim->jsonl) {
        fprintf(stderr, "sikiliza simulate: %s\n", note);
        return;
    }
    printf("(%s)\n", note);
    fflush(stdout);
}

#define SIM_COMMANDS "/timeout, /expire, /digits N, /audio FILE, /help"

/* Feeds one line of stdin. Returns 0, or EXIT_RUNTIME on engine failure. */
static int
sim_line(struct sim *sim, char *line, json_t *events)
{
    struct flow_resume r = {FLOW_RESUME_MSG, line};
    char err[SK_ERR_LEN] = "";
    bool waiting = flow_session_status(sim->s) == FLOW_WAITING;
    int rc;

    if (line[0] == '/') {
        if (strcmp(line, "/timeout") == 0) {
            r.type = FLOW_RESUME_TIMEOUT;
        } else if (strcmp(line, "/expire") == 0) {
            r.type = FLOW_RESUME_EXPIRE;
        } else if (strncmp(line, "/digits", 7) == 0 &&
                   (line[7] == ' ' || line[7] == '\0')) {
            r.text = line[7] == ' ' ? line + 8 : "";
        } else if (strncmp(line, "/audio", 6) == 0 &&
                   (line[6] == ' ' || line[6] == '\0')) {
            sim_note(sim, "/audio: recorded answers are not supported yet");
            return 0;
        } else if (strcmp(line, "/help") == 0) {
            sim_note(sim, "the commands are " SIM_COMMANDS "; any other "
                          "line is the child's message");
            return 0;
        } else {
            char note[160];
            size_t n = strcspn(line, " ");

            snprintf(note, sizeof(note),
                     "unknown command %.*s; the commands are " SIM_COMMANDS,
                     n > 40 ? 40 : (int)n, line);
            sim_note(sim, note);
            return 0;
        }
    }
    if (r.type == FLOW_RESUME_MSG && !text_valid_utf8(r.text, strlen(r.text))) {
        fprintf(stderr, "sikiliza simulate: line is not valid UTF-8, "
                        "ignored\n");
        return 0;
    }
    if (sim->echo && !sim->jsonl) {
        if (r.type == FLOW_RESUME_MSG)
            printf("you: %s\n", r.text);
        else
            printf("you: %s\n", line);
    }
    if (waiting && r.type == FLOW_RESUME_TIMEOUT &&
        flow_session_timeout_at(sim->s) == 0) {
        sim_note(sim, "this wait has no timeout; event ignored");
        return 0;
    }
    if (waiting) {
        rc = flow_resume(sim->set, sim->s, &r, app_now_ms(), events, err);
    } else if (r.type != FLOW_RESUME_MSG) {
        sim_note(sim, "no flow is waiting; event ignored");
        return 0;
    } else {
        const struct flow *f = flow_set_match_keyword(sim->set, r.text);

        if (f == NULL) {
            sim_note(sim, "no flow is waiting and no keyword matches; "
                          "message ignored");
            return 0;
        }
        rc = flow_start(sim->set, sim->s, f, r.text, app_now_ms(), events, err);
    }
    if (sim_print(sim, events) != 0 && rc == 0)
        rc = SK_ENOMEM;
    if (rc != 0) {
        fprintf(stderr, "sikiliza simulate: %s\n",
                err[0] != '\0' ? err : sk_strerror(rc));
        return EXIT_RUNTIME;
    }
    return 0;
}

static const struct flow *
pick_flow(const struct flow_set *set, const char *file, const char *want,
          int *code)
{
    const struct flow *f;
    size_t i, n = flow_set_count(set);

    if (want != NULL) {
        if ((f = flow_set_find(set, want)) == NULL) {
            fprintf(stderr,
                    "sikiliza simulate: %s: no flow \"%s\"; the flows "
                    "there are:\n",
                    file, want);
            for (i = 0; i < n; i++)
                fprintf(stderr, "  %s  %s\n", flow_uuid(flow_set_at(set, i)),
                        flow_name(flow_set_at(set, i)));
            *code = EXIT_INVALID;
        }
        return f;
    }
    if (n == 1)
        return flow_set_at(set, 0);
    if (n == 0) {
        fprintf(stderr, "sikiliza simulate: %s: no flows\n", file);
        *code = EXIT_INVALID;
        return NULL;
    }
    fprintf(stderr,
            "sikiliza: %s holds %zu flows; choose one with --flow NAME|UUID:\n",
            file, n);
    for (i = 0; i < n; i++)
        fprintf(stderr, "  %s  %s\n", flow_uuid(flow_set_at(set, i)),
                flow_name(flow_set_at(set, i)));
    fprintf(stderr, "\n%s", usage_simulate);
    *code = EXIT_USAGE;
    return NULL;
}

static bool
valid_lang(const char *lang)
{
    size_t i, n = strlen(lang);

    if (n < 2 || n > 8)
        return false;
    for (i = 0; i < n; i++)
        if (!((lang[i] >= 'a' && lang[i] <= 'z') ||
              (lang[i] >= 'A' && lang[i] <= 'Z')))
            return false;
    return true;
}

/*
 * --lang CODE, folded to lowercase into code[SIM_LANG_LEN]: one of the
 * flow's languages, or an ISO 639-3 code the flow has no translation for
 * (it then speaks its own language, as it would to such a child; a note
 * says so). Anything else is refused naming the code: EXIT_INVALID.
 */
#define SIM_LANG_LEN 16

static int
sim_lang(const struct flow *f, const char *lang, char code[SIM_LANG_LEN])
{
    const char *l;
    size_t i;

    for (i = 0; lang[i] != '\0' && i < SIM_LANG_LEN - 1; i++)
        code[i] = (char)tolower((unsigned char)lang[i]);
    code[i] = '\0';
    for (i = 0; (l = flow_lang_at(f, i)) != NULL; i++)
        if (strcmp(l, code) == 0)
            return 0;
    if (flow_lang_known(code)) {
        fprintf(stderr,
                "sikiliza simulate: note: flow \"%s\" has no %s "
                "translation; it speaks %s\n",
                flow_name(f), code, flow_lang_at(f, 0));
        return 0;
    }
    fprintf(stderr,
            "sikiliza simulate: --lang \"%s\": not an ISO 639-3 language "
            "code, nor one of flow \"%s\"'s languages:",
            lang, flow_name(f));
    for (i = 0; (l = flow_lang_at(f, i)) != NULL; i++)
        fprintf(stderr, "%s %s", i > 0 ? "," : "", l);
    fputc('\n', stderr);
    return EXIT_INVALID;
}

static int
cmd_simulate(int argc, char **argv)
{
    const char *file = NULL, *want = NULL, *lang = NULL, *tz = NULL;
    const char *conf = NULL;
    struct config *cfg = NULL;
    char *tz_rule = NULL;
    struct zone_cache *zones = NULL;
    struct sim sim = {0};
    struct flow_set *set = NULL;
    const struct flow *f;
    json_t *events = NULL;
    char err[SK_ERR_LEN] = "", *line = NULL, lang_code[SIM_LANG_LEN];
    size_t cap = 0;
    ssize_t len;
    int i, r, code = 0, rc;

    for (i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(usage_simulate, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--jsonl") == 0) {
            sim.jsonl = true;
            continue;
        }
        r = opt_value(argc, argv, &i, NULL, "--flow", &want);
        if (r == 0)
            r = opt_value(argc, argv, &i, NULL, "--lang", &lang);
        if (r == 0)
            r = opt_value(argc, argv, &i, NULL, "--tz", &tz);
        if (r == 0)
            r = opt_value(argc, argv, &i, "-c", "--config", &conf);
        if (r < 0)
            return usage_error(usage_simulate, "%s needs a value", argv[i]);
        if (r > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return usage_error(usage_simulate, "unknown option \"%s\"",
                               argv[i]);
        if (file != NULL)
            return usage_error(usage_simulate, "unexpected argument \"%s\"",
                               argv[i]);
        file = argv[i];
    }
    if (file == NULL)
        return usage_error(usage_simulate, "%s", "simulate needs a FILE");
    if (lang != NULL && !valid_lang(lang))
        return usage_error(usage_simulate,
                           "--lang \"%s\": expected a language code like fra",
                           lang);
    if ((set = flow_set_new()) == NULL || (events = json_array()) == NULL)
        goto nomem;
    rc = flowload_paths(set, &file, 1, stderr, NULL);
    if (rc != 0) {
        code = rc == SK_ENOMEM ? EXIT_RUNTIME : EXIT_INVALID;
        goto out;
    }
    if ((f = pick_flow(set, file, want, &code)) == NULL)
        goto out;
    if (lang != NULL && (code = sim_lang(f, lang, lang_code)) != 0)
        goto out;
    sim.set = set;
    sim.echo = !isatty(STDIN_FILENO);
    if (conf != NULL && (cfg = config_load(conf, err)) == NULL) {
        fprintf(stderr, "sikiliza simulate: %s\n", err);
        code = EXIT_INVALID;
        goto out;
    }
    if (tz == NULL && cfg != NULL)
        tz = cfg->timezone;
    if (tz != NULL && (tz_rule = zone_rule(tz, err)) == NULL) {
        fprintf(stderr, "sikiliza simulate: --tz: %s\n", err);
        code = EXIT_INVALID;
        goto out;
    }
    if ((sim.s = flow_session_new(lang ? lang_code : NULL, SIMULATE_SEED)) ==
            NULL ||
        (zones = zone_cache_new()) == NULL)
        goto nomem;
    flow_session_set_zone_lookup(sim.s, zone_cache_rule, zones);
    if (flow_session_set_env(sim.s, tz, cfg ? cfg->date_format : NULL,
                             cfg ? cfg->country : NULL) != 0 ||
        flow_session_set_tz_rule(sim.s, tz_rule) != 0)
        goto nomem;
    rc = flow_start(set, sim.s, f, NULL, app_now_ms(), events, err);
    if (sim_print(&sim, events) != 0 && rc == 0)
        rc = SK_ENOMEM;
    if (rc != 0) {
        fprintf(stderr, "sikiliza simulate: %s\n",
                err[0] != '\0' ? err : sk_strerror(rc));
        code = EXIT_RUNTIME;
        goto out;
    }
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if ((code = sim_line(&sim, line, events)) != 0)
            break;
    }
    goto out;
nomem:
    fprintf(stderr, "sikiliza simulate: out of memory\n");
    code = EXIT_RUNTIME;
out:
    free(line);
    free(tz_rule);
    zone_cache_free(zones);
    config_free(cfg);
    json_decref(events);
    flow_session_free(sim.s);
    flow_set_free(set);
    return code;
}

/* Decodes, conditions and transcribes one file; returns an exit code. */
static int
transcribe_file(const char *path, struct asr_config *cfg)
{
    struct audio_limits lim;
    struct audio_pcm pcm = {0};
    struct asr *asr = NULL;
    char err[SK_ERR_LEN] = "", text[1024];
    void *data = NULL;
    size_t len = 0;
    double conf;
    int rc, code = EXIT_RUNTIME;

    audio_limits_default(&lim);
    rc = audio_read_file(path, &lim, &data, &len, err);
    if (cfg->rate == 0)
        cfg->rate = 16000; /* measured better than the 8 kHz front end */
    if (rc == 0)
        rc = audio_decode(data, len, &lim, cfg->rate, &pcm, err);
    free(data);
    if (rc != 0) {
        fprintf(stderr, "sikiliza transcribe: %s: %s\n", path, err);
        /* a missing or unreadable AUDIO is the caller's input too */
        return rc == SK_ENOMEM ? EXIT_RUNTIME : EXIT_INVALID;
    }
    asr = asr_new(cfg, err);
    if (asr == NULL) {
        fprintf(stderr, "sikiliza transcribe: %s\n", err);
        code = cfg->grammar != NULL ? EXIT_INVALID : EXIT_RUNTIME;
    } else if (asr_transcribe(asr, pcm.samples, pcm.nsamples, text,
                              sizeof(text), &conf, err) != 0) {
        fprintf(stderr, "sikiliza transcribe: %s\n", err);
    } else {
        printf("%s\t%.2f\n", text, conf);
        code = 0;
    }
    asr_free(asr);
    audio_pcm_free(&pcm);
    return code;
}

static int
cmd_transcribe(int argc, char **argv)
{
    struct asr_config cfg = {0};
    const char *audio = NULL, *rate = NULL;
    int i, r;

    for (i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(usage_transcribe, stdout);
            return 0;
        }
        if ((r = opt_value(argc, argv, &i, NULL, "--grammar", &cfg.grammar)) ||
            (r = opt_value(argc, argv, &i, NULL, "--model", &cfg.model)) ||
            (r = opt_value(argc, argv, &i, NULL, "--dict", &cfg.dict)) ||
            (r = opt_value(argc, argv, &i, NULL, "--lm", &cfg.lm)) ||
            (r = opt_value(argc, argv, &i, NULL, "--rate", &rate))) {
            if (r < 0)
                return usage_error(usage_transcribe, "%s needs a value",
                                   argv[i]);
        } else if (argv[i][0] == '-') {
            return usage_error(usage_transcribe, "unknown option \"%s\"",
                               argv[i]);
        } else if (audio == NULL) {
            audio = argv[i];
        } else {
            return usage_error(usage_transcribe, "unexpected argument \"%s\"",
                               argv[i]);
        }
    }
    if (audio == NULL)
        return usage_error(usage_transcribe, "%s", "transcribe needs AUDIO");
    if (rate != NULL) {
        if (strcmp(rate, "8000") != 0 && strcmp(rate, "16000") != 0)
            return usage_error(usage_transcribe, "%s",
                               "--rate is 8000 or 16000");
        cfg.rate = atoi(rate);
    }
    return transcribe_file(audio, &cfg);
}

int
main(int argc, char **argv)
{
    const char *cmd;

    if (argc < 2) {
        fputs(usage_main, stderr);
        return EXIT_USAGE;
    }
    cmd = argv[1];
    if (is_help(cmd)) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("sikiliza %s\n", SK_VERSION);
        return 0;
    }
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "keygen") == 0)
        return cmd_keygen(argc - 1, argv + 1);
    if (strcmp(cmd, "flow") == 0)
        return cmd_flow(argc - 1, argv + 1);
    if (strcmp(cmd, "simulate") == 0)
        return cmd_simulate(argc - 1, argv + 1);
    if (strcmp(cmd, "transcribe") == 0)
        return cmd_transcribe(argc - 1, argv + 1);
    return usage_error(usage_main, "unknown command \"%s\"", cmd);
}
