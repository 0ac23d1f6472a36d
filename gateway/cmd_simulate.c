/*
 * cmd_simulate.c - `sikiliza simulate`: runs a flow in the terminal with
 * the real engine and the real clock (a fixed seed, so random routers
 * repeat): it starts the flow at once, prints what it sends, and reads the
 * child's messages from stdin, one per line, until EOF. Lines that start
 * with '/' are events. Main thread.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "app.h"
#include "cli.h"
#include "config.h"
#include "flow.h"
#include "flow_wait.h"
#include "flowload.h"
#include "preflight.h"
#include "text.h"
#include "voiceasr.h"
#include "voicestep.h"
#include "wallclock.h"
#include "zone.h"

#define SIMULATE_SEED 20240611ULL

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
    "  -c CONFIG          take the [flows] timezone, date_format,\n"
    "                     country, organisation, reply_cost and\n"
    "                     helpline of a config file\n"
    "  --tz ZONE          the time zone dates are read and shown in\n"
    "                     (e.g. Africa/Nairobi; default UTC or the config's)\n"
    "  --jsonl            one JSON object per engine event instead of chat\n"
    "\n"
    "Lines starting with '/' are events:\n"
    "  /timeout       the wait's timeout fires\n"
    "  /expire        the session expires\n"
    "  /digits 123    a keypad answer\n"
    "  /audio FILE    a recorded answer, heard as in a call (a grammar of\n"
    "                 the answers the question takes when they are a\n"
    "                 closed set; English only, else kept for listening)\n"
    "  /help          list these\n"
    "Other lines are messages. Once the session has ended, a message that\n"
    "matches a keyword trigger starts that flow.\n";

struct sim {
    const struct flow_set *set;
    struct flow_session *s;
    bool jsonl;
    bool echo;    /* repeat the child's lines (stdin is not a terminal) */
    bool reasked; /* a recording was not understood: asked once more */
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
    } else if (strcmp(type, "ivr_created") == 0) {
        /* a voice flow's prompt: spoken, or a recording with its text */
        if (ev_str(ev, "text") != NULL && ev_str(ev, "text")[0] != '\0')
            printf("bot (voice): %s\n", ev_str(ev, "text"));
        if (ev_str(ev, "audio_url") != NULL)
            printf("     [plays %s]\n", ev_str(ev, "audio_url"));
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

/*
 * /audio FILE: hears the recording as a call would (voiceasr.h) and shows
 * the transcript. Returns 0 with *text set to the answer that resumes the
 * run (in res), or 1 when the line ends here: nothing is waiting, the
 * file cannot be heard, or it was not understood the first time (the
 * child hears "sorry" and the question is open again).
 */
static int
sim_audio(struct sim *sim, const char *path, struct voiceasr_result *res,
          const char **text)
{
    char err[SK_ERR_LEN] = "", note[SK_ERR_LEN + 64];

    if (flow_session_status(sim->s) != FLOW_WAITING) {
        sim_note(sim, "no flow is waiting; event ignored");
        return 1;
    }
    if (voiceasr_hear_file(sim->set, sim->s, path, NULL, res, err) != 0) {
        snprintf(note, sizeof(note), "/audio: %s", err);
        sim_note(sim, note);
        return 1;
    }
    if (res->needs_listening) {
        sim_note(sim, "recording kept for listening: the recogniser knows "
                      "English only");
        *text = VOICESTEP_NEEDS_LISTENING;
        return 0;
    }
    snprintf(note, sizeof(note), "heard \"%s\", confidence %.2f (%s)",
             res->text, res->confidence,
             res->grammar ? "grammar of the answers" : "language model");
    if (sim->echo && !sim->jsonl)
        printf("you: [audio %s]\n", path);
    sim_note(sim, note);
    if (res->text[0] == '\0' && !sim->reasked) {
        struct flow_wait w;
        const char *lang = flow_wait_get(sim->set, sim->s, &w) == 0
                               ? w.lang
                               : flow_session_language(sim->s);

        sim->reasked = true;
        if (sim->jsonl)
            sim_note(sim, voicestep_sorry(lang));
        else
            printf("bot: %s\n", voicestep_sorry(lang));
        fflush(stdout);
        return 1;
    }
    sim->reasked = false;
    *text = res->text;
    return 0;
}

/* Feeds one line of stdin. Returns 0, or CLI_EXIT_RUNTIME on engine failure. */
static int
sim_line(struct sim *sim, char *line, json_t *events)
{
    struct flow_resume r = {FLOW_RESUME_MSG, line};
    struct voiceasr_result heard;
    char err[SK_ERR_LEN] = "";
    bool audio = false;
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
            if (sim_audio(sim, line[6] == ' ' ? line + 7 : "", &heard,
                          &r.text) != 0)
                return 0;
            audio = true;
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
    if (sim->echo && !sim->jsonl && !audio) {
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
        rc = flow_resume(sim->set, sim->s, &r, wallclock_ms(), events, err);
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
        rc = flow_start(sim->set, sim->s, f, r.text, wallclock_ms(), events,
                        err);
    }
    if (sim_print(sim, events) != 0 && rc == 0)
        rc = SK_ENOMEM;
    if (rc != 0) {
        fprintf(stderr, "sikiliza simulate: %s\n",
                err[0] != '\0' ? err : sk_strerror(rc));
        return CLI_EXIT_RUNTIME;
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
            *code = CLI_EXIT_INVALID;
        }
        return f;
    }
    if (n == 1)
        return flow_set_at(set, 0);
    if (n == 0) {
        fprintf(stderr, "sikiliza simulate: %s: no flows\n", file);
        *code = CLI_EXIT_INVALID;
        return NULL;
    }
    fprintf(stderr,
            "sikiliza: %s holds %zu flows; choose one with --flow NAME|UUID:\n",
            file, n);
    for (i = 0; i < n; i++)
        fprintf(stderr, "  %s  %s\n", flow_uuid(flow_set_at(set, i)),
                flow_name(flow_set_at(set, i)));
    fprintf(stderr, "\n%s", usage_simulate);
    *code = CLI_EXIT_USAGE;
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
 * says so). Anything else is refused naming the code: CLI_EXIT_INVALID.
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
    return CLI_EXIT_INVALID;
}

int
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
        if (cli_is_help(argv[i])) {
            fputs(usage_simulate, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--jsonl") == 0) {
            sim.jsonl = true;
            continue;
        }
        r = cli_opt_value(argc, argv, &i, NULL, "--flow", &want);
        if (r == 0)
            r = cli_opt_value(argc, argv, &i, NULL, "--lang", &lang);
        if (r == 0)
            r = cli_opt_value(argc, argv, &i, NULL, "--tz", &tz);
        if (r == 0)
            r = cli_opt_value(argc, argv, &i, "-c", "--config", &conf);
        if (r < 0)
            return cli_usage_error(usage_simulate, "%s needs a value", argv[i]);
        if (r > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage_error(usage_simulate, "unknown option \"%s\"",
                                   argv[i]);
        if (file != NULL)
            return cli_usage_error(usage_simulate, "unexpected argument \"%s\"",
                                   argv[i]);
        file = argv[i];
    }
    if (file == NULL)
        return cli_usage_error(usage_simulate, "%s", "simulate needs a FILE");
    if (lang != NULL && !valid_lang(lang))
        return cli_usage_error(
            usage_simulate, "--lang \"%s\": expected a language code like fra",
            lang);
    if ((set = flow_set_new()) == NULL || (events = json_array()) == NULL)
        goto nomem;
    rc = flowload_paths(set, &file, 1, stderr, NULL);
    if (rc != 0) {
        code = rc == SK_ENOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_INVALID;
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
        code = CLI_EXIT_INVALID;
        goto out;
    }
    if (cfg != NULL && preflight_set_globals(cfg, set) != 0)
        goto nomem;
    if (tz == NULL && cfg != NULL)
        tz = cfg->timezone;
    if (tz != NULL && (tz_rule = zone_rule(tz, err)) == NULL) {
        fprintf(stderr, "sikiliza simulate: --tz: %s\n", err);
        code = CLI_EXIT_INVALID;
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
    rc = flow_start(set, sim.s, f, NULL, wallclock_ms(), events, err);
    if (sim_print(&sim, events) != 0 && rc == 0)
        rc = SK_ENOMEM;
    if (rc != 0) {
        fprintf(stderr, "sikiliza simulate: %s\n",
                err[0] != '\0' ? err : sk_strerror(rc));
        code = CLI_EXIT_RUNTIME;
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
    code = CLI_EXIT_RUNTIME;
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
