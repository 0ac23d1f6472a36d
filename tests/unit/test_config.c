/*
 * test_config.c - the INI configuration: the DESIGN.md sample, defaults,
 * every kind of error with its exact "file:line: ", and path resolution.
 * Files are written only under a mkdtemp() directory.
 */
#define _XOPEN_SOURCE 700 /* mkdtemp(), realpath() */

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "config.h"
#include "tmpdir.h"

/* DESIGN.md's sample, verbatim, inline comments and all. */
static const char design_sample[] =
    "[server]\n"
    "listen = 127.0.0.1:8080        ; provider webhooks\n"
    "public_url = https://hotline.example.org   ; as providers see us "
    "(signatures, prompt URLs)\n"
    "admin_listen = 127.0.0.1:8081  ; admin API and pages\n"
    "admin_token_file = var/admin.token   ; bearer token for the admin API\n"
    "\n"
    "[store]\n"
    "path = var/sikiliza.db\n"
    "\n"
    "[privacy]\n"
    "key_file = var/secret.key       ; from `sikiliza keygen`\n"
    "vault_days = 30                 ; reply addresses kept this long after "
    "last contact\n"
    "retention_days = 365            ; answers and recordings older than this "
    "are purged\n"
    "min_cell = 5                    ; smallest group an aggregate may show\n"
    "\n"
    "[flows]\n"
    "dir = flows/examples\n"
    "default = Wellbeing Check       ; flow for a first message that matches "
    "no keyword\n"
    "\n"
    "[channel demo]                  ; one section per channel: [channel "
    "NAME]\n"
    "type = generic                  ; generic | kannel | twilio | "
    "africastalking | vonage\n"
    "secret = change-me              ; generic/kannel/africastalking: "
    "required in the URL (?secret=)\n"
    "\n"
    "[safeguarding]                  ; on by default, with built-in phrase "
    "lists\n"
    "phrases = /etc/sikiliza/phrases ; optional: one file per language "
    "(eng.txt, fra.txt, ...)\n"
    "flow = Referral                 ; flow started when a child discloses "
    "harm\n"
    "notify_url = https://alerts.example.org/hook   ; alerts POSTed as JSON "
    "(retried)\n"
    "\n"
    "[asr]\n"
    "model = /usr/share/pocketsphinx/model/en-us/en-us\n"
    "dict = /usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict\n"
    "lm = /usr/share/pocketsphinx/model/en-us/en-us.lm.bin\n"
    "workers = 2\n";

struct fixture {
    char dir[PATH_MAX]; /* realpath of the mkdtemp() directory */
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    const char *tmp = getenv("TMPDIR");
    char tmpl[PATH_MAX];

    if (f == NULL)
        return -1;
    *state = f;
    if (tmp == NULL || tmp[0] == '\0')
        tmp = "/tmp";
    snprintf(tmpl, sizeof(tmpl), "%s/sk-config-XXXXXX", tmp);
    if (mkdtemp(tmpl) == NULL || realpath(tmpl, f->dir) == NULL)
        return -1;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    if (f->dir[0] != '\0')
        tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* Writes text to DIR/name; returns the path in a static buffer. */
static const char *
write_conf(const struct fixture *f, const char *name, const char *text)
{
    static char path[PATH_MAX + 64];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
    assert_int_equal(fclose(fp), 0);
    return path;
}

static struct config *
load_ok(const struct fixture *f, const char *text)
{
    char err[SK_ERR_LEN] = "";
    struct config *cfg = config_load(write_conf(f, "ok.conf", text), err);

    if (cfg == NULL)
        print_error("unexpected error: %s\n", err);
    assert_non_null(cfg);
    assert_string_equal(err, "");
    return cfg;
}

/* Loading text fails with "PATH:line: " and a reason containing want. */
static void
load_err(const struct fixture *f, const char *text, int line, const char *want)
{
    char err[SK_ERR_LEN] = "", prefix[PATH_MAX + 96];
    const char *path = write_conf(f, "bad.conf", text);
    struct config *cfg = config_load(path, err);

    snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
    if (cfg != NULL || strncmp(err, prefix, strlen(prefix)) != 0 ||
        strstr(err, want) == NULL)
        print_error("config:\n%s\nwant: %s...%s\ngot:  %s\n", text, prefix,
                    want, err);
    assert_null(cfg);
    assert_memory_equal(err, prefix, strlen(prefix));
    assert_non_null(strstr(err + strlen(prefix), want));
}

static void
assert_path(const struct fixture *f, const char *got, const char *rel)
{
    char want[PATH_MAX * 2];

    snprintf(want, sizeof(want), "%s/%s", f->dir, rel);
    assert_non_null(got);
    assert_string_equal(got, want);
}

static bool
has_word(const struct config *cfg, const char *w)
{
    for (size_t i = 0; i < cfg->n_stop_words; i++)
        if (strcmp(cfg->stop_words[i], w) == 0)
            return true;
    return false;
}

static void
test_design_sample(void **state)
{
    struct fixture *f = *state;
    struct config *cfg = load_ok(f, design_sample);
    const struct config_channel *ch;

    assert_string_equal(cfg->listen, "127.0.0.1:8080");
    assert_string_equal(cfg->public_url, "https://hotline.example.org");
    assert_string_equal(cfg->admin_listen, "127.0.0.1:8081");
    assert_path(f, cfg->admin_token_file, "var/admin.token");
    assert_path(f, cfg->store_path, "var/sikiliza.db");
    assert_path(f, cfg->key_file, "var/secret.key");
    assert_int_equal(cfg->vault_days, 30);
    assert_int_equal(cfg->retention_days, 365);
    assert_int_equal(cfg->min_cell, 5);
    assert_path(f, cfg->flows_dir, "flows/examples");
    /* keys of parts not built yet are kept for the warning at start; the
     * admin API is built */
    for (size_t i = 0; i < cfg->n_unbuilt; i++) {
        assert_true(cfg->unbuilt[i].line > 0);
        assert_null(strstr(cfg->unbuilt[i].what, "admin_"));
        assert_null(strstr(cfg->unbuilt[i].what, "[asr]"));
    }
    assert_string_equal(cfg->default_flow, "Wellbeing Check");
    assert_int_equal(cfg->n_channels, 1);
    ch = config_channel(cfg, "demo");
    assert_non_null(ch);
    assert_string_equal(ch->name, "demo");
    assert_string_equal(ch->type, "generic");
    assert_string_equal(ch->secret, "change-me");
    assert_null(ch->send_url);
    assert_null(ch->flow);
    assert_null(config_channel(cfg, "other"));
    assert_null(config_channel(cfg, NULL));
    assert_string_equal(cfg->sg_phrases, "/etc/sikiliza/phrases");
    assert_string_equal(cfg->sg_flow, "Referral");
    assert_string_equal(cfg->sg_notify_url, "https://alerts.example.org/hook");
    assert_string_equal(cfg->asr_model,
                        "/usr/share/pocketsphinx/model/en-us/en-us");
    assert_string_equal(
        cfg->asr_dict,
        "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict");
    assert_string_equal(cfg->asr_lm,
                        "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin");
    assert_int_equal(cfg->asr_workers, 2);
    /* what the sample leaves out keeps its default */
    assert_int_equal(cfg->max_body, 64 * 1024);
    assert_int_equal(cfg->max_replies_per_inbound, 10);
    assert_true(has_word(cfg, "stop"));
    config_free(cfg);
}

static void
test_defaults(void **state)
{
    struct fixture *f = *state;
    struct config *cfg = load_ok(f, "; nothing but a comment\n# and another\n");
    static const char *const words[] = {
        "stop",     "unsubscribe", "cancel",  "end",         "quit",  "arret",
        "arrêt",    "desabonner",  "توقف",    "إيقاف",       "الغاء", "إلغاء",
        "acha",     "simama",      "sitisha", "alto",        "parar", "baja",
        "cancelar", "arrête",      "arrêter", "désinscrire", "قف",    "ستوب",
        "wacha",    "para",        "detener", "pare",        "sair",
    };

    assert_string_equal(cfg->listen, "127.0.0.1:8080");
    assert_null(cfg->public_url);
    assert_null(cfg->admin_listen);
    assert_null(cfg->admin_token_file);
    assert_int_equal(cfg->max_body, 64 * 1024);
    assert_int_equal(cfg->max_headers, 8 * 1024);
    assert_int_equal(cfg->max_connections, 256);
    assert_int_equal(cfg->timeout_seconds, 30);
    assert_path(f, cfg->store_path, "var/sikiliza.db");
    assert_int_equal(cfg->queue_depth, 1024);
    assert_path(f, cfg->key_file, "var/secret.key");
    assert_int_equal(cfg->vault_days, 30);
    assert_int_equal(cfg->retention_days, 365);
    assert_int_equal(cfg->min_cell, 5);
    assert_path(f, cfg->flows_dir, "flows/examples");
    assert_null(cfg->default_flow);
    assert_int_equal(cfg->expire_minutes, 10080);
    assert_null(cfg->sg_phrases);
    assert_null(cfg->sg_flow);
    assert_null(cfg->sg_notify_url);
    assert_null(cfg->asr_model);
    assert_int_equal(cfg->asr_workers, 2);
    assert_int_equal(cfg->max_replies_per_inbound, 10);
    assert_int_equal(cfg->max_replies_per_contact_day, 50);
    assert_int_equal(cfg->max_sends_per_channel_minute, 600);
    assert_int_equal(cfg->max_segments, 2);
    assert_int_equal(cfg->n_delete_words, 16);
    assert_string_equal(cfg->delete_words[0], "delete");
    assert_string_equal(cfg->delete_words[3], "احذف");
    assert_string_equal(cfg->delete_words[6], "borrar");
    assert_string_equal(cfg->delete_words[15], "excluir");
    assert_int_equal(cfg->n_channels, 0);
    assert_int_equal(cfg->n_stop_words, sizeof(words) / sizeof(words[0]));
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        assert_true(has_word(cfg, words[i]));
    config_free(cfg);
    config_free(NULL);
}

static void
test_every_key(void **state)
{
    struct fixture *f = *state;
    struct config *cfg =
        load_ok(f, "\xEF\xBB\xBF[server]\r\n"
                   "  listen = 0.0.0.0:9000\r\n"
                   "max_body = 1048576\n"
                   "max_headers = 16384\n"
                   "max_connections = 50\n"
                   "timeout_seconds = 5\n"
                   "[store]\n"
                   "path = /var/lib/sikiliza/s.db\n"
                   "queue_depth = 64\n"
                   "[privacy]\n"
                   "retention_days = 90\n"
                   "delete_words = Delete, futa\n"
                   "[flows]\n"
                   "expire_minutes = 60\n"
                   "stop_words = stop, Simama ,, basta ; inline comment\n"
                   "[limits]\n"
                   "max_replies_per_inbound = 3\n"
                   "max_replies_per_contact_day = 7\n"
                   "max_sends_per_channel_minute = 30\n"
                   "max_segments = 4\n"
                   "[channel k]\n"
                   "type = kannel\n"
                   "secret = s1\n"
                   "send_url = http://127.0.0.1:13013/cgi-bin/sendsms\n"
                   "username = u\n"
                   "password = p;w\n"
                   "number = 12345\n"
                   "flow = Kannel Flow\n"
                   "api_url = http://127.0.0.1:1/\n"
                   "[channel tw]\n"
                   "type = twilio\n"
                   "account_sid = AC1\n"
                   "auth_token = tok\n"
                   "number = +15550001\n"
                   "media_hosts = api.twilio.com, 127.0.0.1\n"
                   "delete_recordings = No\n"
                   "[channel at]\n"
                   "type = africastalking\n"
                   "secret = s2\n"
                   "username = sandbox\n"
                   "api_key = k\n"
                   "delete_recordings = 1\n"
                   "[channel vo]\n"
                   "type = vonage\n"
                   "api_key = vk\n"
                   "api_secret = vs\n"
                   "signature_secret = sig\n"
                   "signature_method = sha256\n"
                   "[channel g_2]\n"
                   "type = generic\n"
                   "secret = s3\n");
    const struct config_channel *ch;

    assert_string_equal(cfg->listen, "0.0.0.0:9000");
    assert_int_equal(cfg->max_body, 1048576);
    assert_int_equal(cfg->max_headers, 16384);
    assert_int_equal(cfg->max_connections, 50);
    assert_int_equal(cfg->timeout_seconds, 5);
    assert_string_equal(cfg->store_path, "/var/lib/sikiliza/s.db");
    assert_int_equal(cfg->queue_depth, 64);
    assert_int_equal(cfg->retention_days, 90);
    assert_int_equal(cfg->expire_minutes, 60);
    assert_int_equal(cfg->n_stop_words, 3);
    assert_string_equal(cfg->stop_words[0], "stop");
    assert_string_equal(cfg->stop_words[1], "Simama");
    assert_string_equal(cfg->stop_words[2], "basta");
    assert_int_equal(cfg->max_replies_per_inbound, 3);
    assert_int_equal(cfg->max_replies_per_contact_day, 7);
    assert_int_equal(cfg->max_sends_per_channel_minute, 30);
    assert_int_equal(cfg->max_segments, 4);
    assert_int_equal(cfg->n_delete_words, 2);
    assert_string_equal(cfg->delete_words[0], "Delete");
    assert_string_equal(cfg->delete_words[1], "futa");
    assert_int_equal(cfg->n_channels, 5);

    ch = config_channel(cfg, "k");
    assert_non_null(ch);
    assert_string_equal(ch->type, "kannel");
    assert_string_equal(ch->secret, "s1");
    assert_string_equal(ch->send_url, "http://127.0.0.1:13013/cgi-bin/sendsms");
    assert_string_equal(ch->username, "u");
    assert_string_equal(ch->password, "p;w");
    assert_string_equal(ch->number, "12345");
    assert_string_equal(ch->flow, "Kannel Flow");
    assert_string_equal(ch->api_url, "http://127.0.0.1:1/");
    ch = config_channel(cfg, "tw");
    assert_non_null(ch);
    assert_string_equal(ch->account_sid, "AC1");
    assert_string_equal(ch->auth_token, "tok");
    assert_string_equal(ch->media_hosts, "api.twilio.com, 127.0.0.1");
    assert_false(ch->delete_recordings);
    ch = config_channel(cfg, "at");
    assert_non_null(ch);
    assert_string_equal(ch->api_key, "k");
    assert_true(ch->delete_recordings);
    ch = config_channel(cfg, "vo");
    assert_non_null(ch);
    assert_string_equal(ch->api_secret, "vs");
    assert_string_equal(ch->signature_secret, "sig");
    assert_string_equal(ch->signature_method, "sha256");
    assert_true(ch->delete_recordings); /* the default */
    assert_non_null(config_channel(cfg, "g_2"));
    config_free(cfg);
}

static void
test_errors(void **state)
{
    struct fixture *f = *state;
    char longline[400];

    load_err(f, "[bogus]\n", 1, "unknown section [bogus]");
    load_err(f, "[server]\n[nope]\n[store]\n", 2, "unknown section [nope]");
    load_err(f, "[server]\nlisten = 1.2.3.4:80\nfoo = 1\n", 3,
             "unknown key 'foo' in [server]");
    load_err(f, "[channel a]\ntype = generic\nsecret = x\ncolour = red\n", 4,
             "unknown key 'colour' in [channel a]");
    load_err(f, "[server]\nmax_connections = abc\n", 2,
             "key 'max_connections' in [server]: 'abc' is not an integer");
    load_err(f, "[server]\nmax_connections = 12x\n", 2, "is not an integer");
    load_err(f, "[server]\nmax_connections = 0\n", 2,
             "0 is out of range (1 to 65536)");
    load_err(f, "[server]\nmax_body = 99999999999999999999999\n", 2,
             "out of range");
    load_err(f, "[privacy]\nvault_days = -1\n", 2, "out of range");
    load_err(f, "[asr]\nworkers = 65\n", 2, "out of range");
    load_err(f,
             "[channel a]\ntype = twilio\naccount_sid = x\nauth_token = y\n"
             "delete_recordings = maybe\n",
             5, "'maybe' is not a boolean (yes/no/true/false/1/0)");
    load_err(f, "[channel a]\ntype = sms\n", 2, "unknown channel type 'sms'");
    load_err(f, "[channel a]\ntype = generic\nsecret = s\n\n[channel a]\n", 5,
             "duplicate channel name 'a' (first on line 1)");
    load_err(f, "[server]\nlisten = a:1\nlisten = b:2\n", 3,
             "duplicate key 'listen' in [server] (first on line 2)");
    load_err(f, "[server]\nlisten = a:1\n[store]\n[server]\n", 4,
             "duplicate section [server] (first on line 1)");
    load_err(f, "[store]\npath = x\n\n[channel k]\ntype = kannel\n", 4,
             "channel 'k' (type kannel) needs key 'secret'");
    load_err(f, "[channel g]\ntype = generic\n", 1, "needs key 'secret'");
    load_err(f, "[channel a]\ntype = africastalking\nusername = u\n", 1,
             "needs key 'secret'");
    load_err(f, "; c\n[channel t]\ntype = twilio\naccount_sid = a\n", 2,
             "channel 't' (type twilio) needs key 'auth_token'");
    load_err(f, "[channel t]\ntype = twilio\nauth_token = a\n", 1,
             "needs key 'account_sid'");
    load_err(f, "[channel v]\ntype = vonage\napi_key = k\n", 1,
             "channel 'v' (type vonage) needs key 'api_secret'");
    load_err(f, "[channel v]\ntype = vonage\napi_secret = k\n", 1,
             "needs key 'api_key'");
    load_err(f, "[server]\n\n[channel n]\nsecret = s\n", 3,
             "channel 'n' has no type");
    load_err(f,
             "[channel t]\ntype = twilio\naccount_sid = a\nauth_token = b\n"
             "secret = c\n",
             5, "key 'secret' does not apply to channel 't' of type twilio");
    load_err(f,
             "[channel g]\nsecret = s\ndelete_recordings = yes\n"
             "type = generic\n",
             3, "key 'delete_recordings' does not apply");
    load_err(f,
             "[channel v]\ntype = vonage\napi_key = k\napi_secret = s\n"
             "signature_method = crc32\n",
             5, "'crc32' is not one of md5hash");
    load_err(f, "[channel]\n", 1, "[channel] needs a name");
    load_err(f, "[channel bad!name]\n", 1, "may hold only letters");
    load_err(f, "[server]\nlisten\n", 2, "syntax error");
    load_err(f, "[server\nlisten = a:1\n", 1, "syntax error");
    load_err(f, "[server ; comment]\n", 1, "syntax error");
    load_err(f, "listen = 127.0.0.1:1\n", 1,
             "key 'listen' is outside any section");
    load_err(f, "[flows]\ndefault =\n", 2,
             "key 'default' in [flows] has no value");
    load_err(f, "[flows]\ndefault = ; only a comment\n", 2, "has no value");
    load_err(f, "[flows]\nstop_words = , ,\n", 2, "no words");
    load_err(f, "[privacy]\ndelete_words = ,\n", 2, "delete_words: no words");
    load_err(f, "[limits]\nmax_replies_per_contact_day = 0\n", 2,
             "0 is out of range (1 to 100000)");
    load_err(f, "[limits]\nmax_sends_per_channel_minute = many\n", 2,
             "'many' is not an integer");
    load_err(f, "[limits]\nmax_sends_per_channel_minute = 1000001\n", 2,
             "out of range (1 to 1000000)");
    load_err(f, "[limits]\nmax_segments = 256\n", 2,
             "256 is out of range (1 to 255)");
    load_err(f, "[server]\npublic_url = ftp://x\n", 2,
             "expected an http:// or https:// URL");
    load_err(f, "[server]\nlisten = localhost\n", 2, "expected HOST:PORT");
    load_err(f, "[server]\nadmin_listen = h:99999\n", 2, "expected HOST:PORT");
    /* the first error wins, whichever part of the parser found it */
    load_err(f, "[server]\nfoo = 1\nbad line\n", 2, "unknown key 'foo'");
    load_err(f, "[server]\nbad line\nfoo = 1\n", 2, "syntax error");
    load_err(f, "[nope]\nfoo = 1\n", 1, "unknown section [nope]");

    memset(longline, 'a', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    memcpy(longline, "[flows]\ndefault = ", 18);
    load_err(f, longline, 2, "line is longer than");

    {
        char err[SK_ERR_LEN] = "", path[PATH_MAX + 16];

        snprintf(path, sizeof(path), "%s/missing.conf", f->dir);
        assert_null(config_load(path, err));
        assert_non_null(strstr(err, path));
        assert_non_null(strstr(err, "No such file"));
    }
}

/* [asr] min_confidence: a number from 0 to 1, 0 (the default) unset. */
static void
test_asr_min_confidence(void **state)
{
    const struct fixture *f = *state;
    struct config *cfg = load_ok(f, "[asr]\nmin_confidence = 0.7\n");

    assert_true(cfg->asr_min_confidence > 0.69 &&
                cfg->asr_min_confidence < 0.71);
    config_free(cfg);
    cfg = load_ok(f, "; nothing\n");
    assert_true(cfg->asr_min_confidence == 0);
    config_free(cfg);
    load_err(f, "[asr]\nmin_confidence = 1.5\n", 2,
             "is not a number from 0 to 1");
    load_err(f, "[asr]\nmin_confidence = high\n", 2,
             "is not a number from 0 to 1");
    load_err(f, "[asr]\nmin_confidence = 0.5x\n", 2,
             "is not a number from 0 to 1");
}

/* [outbox]: the send queue's retry policy and request timeout; 0 (not set)
 * leaves the outbox's own defaults. Channels point back at their config. */
static void
test_outbox_section(void **state)
{
    struct fixture *f = *state;
    struct config *cfg = load_ok(f, "[channel t]\ntype = twilio\n"
                                    "account_sid = AC1\nauth_token = x\n");

    assert_int_equal(cfg->outbox_max_attempts, 0);
    assert_int_equal(cfg->outbox_backoff_base_ms, 0);
    assert_int_equal(cfg->outbox_backoff_max_ms, 0);
    assert_int_equal(cfg->outbox_timeout_ms, 0);
    assert_ptr_equal(cfg->channels[0].cfg, cfg);
    config_free(cfg);
    cfg = load_ok(f, "[outbox]\nmax_attempts = 3\nbackoff_base_ms = 200\n"
                     "backoff_max_ms = 1000\ntimeout_ms = 1500\n");
    assert_int_equal(cfg->outbox_max_attempts, 3);
    assert_int_equal(cfg->outbox_backoff_base_ms, 200);
    assert_int_equal(cfg->outbox_backoff_max_ms, 1000);
    assert_int_equal(cfg->outbox_timeout_ms, 1500);
    config_free(cfg);
    load_err(f, "[outbox]\nmax_attempts = 0\n", 2, "out of range");
    load_err(f, "[outbox]\ntimeout_ms = 50\n", 2, "out of range");
    load_err(f, "[outbox]\nbackoff_base_ms = soon\n", 2, "not an integer");
    load_err(f, "[outbox]\nretries = 3\n", 2, "unknown key 'retries'");
}

static void
test_no_secret_in_errors(void **state)
{
    struct fixture *f = *state;
    const char *path = write_conf(
        f, "s.conf", "[channel a]\ntype = twilio\nauth_token = hunter2\n");
    char err[SK_ERR_LEN] = "";

    assert_null(config_load(path, err));
    assert_non_null(strstr(err, "account_sid"));
    assert_null(strstr(err, "hunter2"));
}

static void
test_path_resolution(void **state)
{
    struct fixture *f = *state;
    char sub[PATH_MAX + 8], cwd[PATH_MAX], err[SK_ERR_LEN] = "";
    struct config *cfg;

    snprintf(sub, sizeof(sub), "%s/etc", f->dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    write_conf(f, "etc/s.conf",
               "[server]\nadmin_token_file = tok\n"
               "[store]\npath = ../data/s.db\n"
               "[privacy]\nkey_file = /abs/secret.key\n"
               "[flows]\ndir = flows\n"
               "[safeguarding]\nphrases = phrases.d\n"
               "[asr]\nmodel = models/en\n");

    /* loaded by a relative path: still resolved against its directory */
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(f->dir), 0);
    cfg = config_load("etc/s.conf", err);
    assert_int_equal(chdir(cwd), 0);
    assert_non_null(cfg);
    assert_string_equal(cfg->file, "etc/s.conf");
    assert_path(f, cfg->admin_token_file, "etc/tok");
    assert_path(f, cfg->store_path, "etc/../data/s.db");
    assert_string_equal(cfg->key_file, "/abs/secret.key");
    assert_path(f, cfg->flows_dir, "etc/flows");
    assert_path(f, cfg->sg_phrases, "etc/phrases.d");
    assert_path(f, cfg->asr_model, "etc/models/en");
    config_free(cfg);
}

/* Reads a whole file into a malloc'd string. */
static char *
slurp(const char *path)
{
    FILE *fp = fopen(path, "r");
    char *buf = NULL;
    long n;

    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    n = ftell(fp);
    assert_true(n > 0);
    rewind(fp);
    buf = calloc(1, (size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    return buf;
}

/* deploy/sikiliza.conf.example loads as shipped, and with every "# "
 * example setting switched on. */
static void
test_example_file(void **state)
{
    struct fixture *f = *state;
    const char *src = getenv("SK_SOURCE_DIR");
    char path[PATH_MAX + 64], *text, *on, *o;
    struct config *cfg;
    const char *p;

    if (src == NULL || src[0] == '\0')
        skip();
    snprintf(path, sizeof(path), "%s/deploy/sikiliza.conf.example", src);
    text = slurp(path);

    cfg = load_ok(f, text);
    assert_int_equal(cfg->n_channels, 1);
    assert_non_null(config_channel(cfg, "demo"));
    assert_null(cfg->public_url);
    assert_int_equal(cfg->n_stop_words, 29);
    assert_int_equal(cfg->n_delete_words, 16);
    assert_int_equal(cfg->max_body, 65536);
    assert_int_equal(cfg->max_replies_per_contact_day, 50);
    assert_int_equal(cfg->max_sends_per_channel_minute, 600);
    assert_int_equal(cfg->max_segments, 2);
    for (size_t i = 0; i < cfg->n_warnings; i++)
        print_error("shipped: line %d: %s\n", cfg->warnings[i].line,
                    cfg->warnings[i].text);
    assert_int_equal(cfg->n_warnings, 0); /* no key without effect */
    config_free(cfg);

    on = calloc(1, strlen(text) + 1);
    assert_non_null(on);
    o = on;
    for (p = text; *p != '\0';) {
        if (strncmp(p, "# ", 2) == 0)
            p += 2;
        while (*p != '\0' && *p != '\n')
            *o++ = *p++;
        if (*p == '\n')
            *o++ = *p++;
    }
    cfg = load_ok(f, on);
    assert_int_equal(cfg->n_channels, 5);
    assert_non_null(config_channel(cfg, "kannel"));
    assert_non_null(config_channel(cfg, "twilio"));
    assert_non_null(config_channel(cfg, "at"));
    assert_non_null(config_channel(cfg, "vonage"));
    assert_string_equal(cfg->public_url, "https://hotline.example.org");
    assert_string_equal(cfg->default_flow, "Wellbeing Check");
    assert_string_equal(cfg->sg_flow, "Referral");
    assert_int_equal(cfg->n_stop_words, 5);
    assert_int_equal(cfg->n_delete_words, 4);
    for (size_t i = 0; i < cfg->n_warnings; i++)
        print_error("switched on: line %d: %s\n", cfg->warnings[i].line,
                    cfg->warnings[i].text);
    config_free(cfg);
    free(on);
    free(text);
}

/* Every key a channel's type declares is in the channel's table too, as
 * written (booleans as yes/no); common keys and unset keys are not. */
static void
test_channel_values(void **state)
{
    struct fixture *f = *state;
    struct config *cfg = load_ok(f, "[channel tw]\n"
                                    "type = twilio\n"
                                    "account_sid = AC1\n"
                                    "auth_token = t=ok;x\n"
                                    "delete_recordings = No\n"
                                    "flow = F\n"
                                    "[channel at]\n"
                                    "type = africastalking\n"
                                    "secret = s2\n"
                                    "username = sandbox\n"
                                    "api_key = k\n"
                                    "delete_recordings = 1\n");
    const struct config_channel *tw = config_channel(cfg, "tw");
    const struct config_channel *at = config_channel(cfg, "at");

    assert_non_null(tw);
    assert_non_null(at);
    assert_int_equal(tw->n_values, 3);
    assert_string_equal(config_channel_value(tw, "account_sid"), "AC1");
    assert_string_equal(config_channel_value(tw, "auth_token"), "t=ok;x");
    assert_string_equal(tw->auth_token, "t=ok;x");
    assert_string_equal(config_channel_value(tw, "delete_recordings"), "no");
    assert_false(config_channel_bool(tw, "delete_recordings", true));
    assert_false(tw->delete_recordings);
    assert_null(config_channel_value(tw, "number"));
    assert_true(config_channel_bool(tw, "media_hosts", true));
    assert_null(config_channel_value(tw, "flow"));
    assert_null(config_channel_value(tw, "type"));
    assert_null(config_channel_value(NULL, "number"));
    assert_null(config_channel_value(tw, NULL));
    assert_int_equal(at->n_values, 4);
    assert_string_equal(config_channel_value(at, "username"), "sandbox");
    assert_true(config_channel_bool(at, "delete_recordings", false));
    assert_null(config_channel_value(at, "account_sid"));
    config_free(cfg);
}

/* [server] log_format takes text or json, nothing else; unset is NULL. */
static void
test_log_format(void **state)
{
    struct fixture *f = *state;
    struct config *cfg;

    cfg = load_ok(f, "[server]\nlisten = 127.0.0.1:1\n");
    assert_null(cfg->log_format);
    config_free(cfg);
    cfg = load_ok(f, "[server]\nlog_format = json\n");
    assert_string_equal(cfg->log_format, "json");
    config_free(cfg);
    cfg = load_ok(f, "[server]\nlog_format = text\n");
    assert_string_equal(cfg->log_format, "text");
    config_free(cfg);
    load_err(f, "[server]\nlisten = 127.0.0.1:1\nlog_format = syslog\n", 3,
             "key 'log_format' in [server]: 'syslog' is not text or json");
    load_err(f, "[server]\nlog_format = JSON\n", 2, "is not text or json");
}

/* config_line() and config_where() name where a section or key is. */
static void
test_lines(void **state)
{
    struct fixture *f = *state;
    char at[SK_ERR_LEN], want[PATH_MAX + 32];
    struct config *cfg = load_ok(f, "; a comment\n"
                                    "[server]\n"
                                    "listen = 127.0.0.1:1\n"
                                    "\n"
                                    "[flows]\n"
                                    "default = Wellbeing Check\n"
                                    "[channel demo]\n"
                                    "type = generic\n"
                                    "secret = abcdefabcdefabcdef\n");

    assert_int_equal(config_line(cfg, "server", NULL), 2);
    assert_int_equal(config_line(cfg, "server", "listen"), 3);
    assert_int_equal(config_line(cfg, "server", "public_url"), 0);
    assert_int_equal(config_line(cfg, "flows", "default"), 6);
    assert_int_equal(config_line(cfg, "channel demo", NULL), 7);
    assert_int_equal(config_line(cfg, "channel demo", "secret"), 9);
    assert_int_equal(config_line(cfg, "channel demo", "flow"), 0);
    assert_int_equal(config_line(cfg, "channel nope", NULL), 0);
    assert_int_equal(config_line(cfg, "store", NULL), 0);
    assert_int_equal(config_line(cfg, "bogus", "x"), 0);
    snprintf(want, sizeof(want), "%s:9", cfg->file);
    assert_string_equal(config_where(cfg, "channel demo", "secret", at), want);
    snprintf(want, sizeof(want), "%s:7", cfg->file); /* the section's */
    assert_string_equal(config_where(cfg, "channel demo", "flow", at), want);
    assert_string_equal(config_where(cfg, "store", "path", at), cfg->file);
    config_free(cfg);
}

/* Whether cfg has a warning at line whose text holds want. */
static bool
has_warning(const struct config *cfg, int line, const char *want)
{
    for (size_t i = 0; i < cfg->n_warnings; i++)
        if (cfg->warnings[i].line == line &&
            strstr(cfg->warnings[i].text, want) != NULL)
            return true;
    return false;
}

/* Loads text and checks that it warns exactly n times, at line with want
 * (when line > 0). */
static void
warns(const struct fixture *f, const char *text, size_t n, int line,
      const char *want)
{
    struct config *cfg = load_ok(f, text);

    if (cfg->n_warnings != n || (line > 0 && !has_warning(cfg, line, want))) {
        for (size_t i = 0; i < cfg->n_warnings; i++)
            print_error("line %d: %s\n", cfg->warnings[i].line,
                        cfg->warnings[i].text);
        print_error("config:\n%s\nwant %zu, line %d: %s\n", text, n, line,
                    want);
    }
    assert_int_equal(cfg->n_warnings, n);
    if (line > 0)
        assert_true(has_warning(cfg, line, want));
    config_free(cfg);
}

#define GENERIC "[channel d]\ntype = generic\nsecret = s\n"
#define TWILIO  "[channel t]\ntype = twilio\naccount_sid = AC1\nauth_token = x\n"

/* "No silent settings": every valid key that has no effect in the file's
 * configuration is a warning naming its line and why. */
static void
test_no_effect(void **state)
{
    const struct fixture *f = *state;
    struct config *cfg;

    /* [server] */
    warns(f, "[server]\nadmin_token_file = t\n", 1, 2,
          "[server] admin_token_file has no effect without admin_listen");
    warns(f, "[server]\nadmin_listen = 127.0.0.1:1\nadmin_token_file = t\n", 0,
          0, "");
    /* [asr] and [flows] prompts: only for calls */
    warns(f, "[asr]\nworkers = 2\n" GENERIC, 1, 2,
          "[asr] workers has no effect: no channel takes calls");
    warns(f, "[asr]\nmodel = m\nmin_confidence = 0.5\n", 2, 3,
          "[asr] min_confidence has no effect");
    warns(f, "[asr]\nworkers = 2\n" TWILIO, 0, 0, "");
    warns(f, GENERIC "[flows]\nprompts = p\n", 1, 5,
          "[flows] prompts has no effect: no channel takes calls");
    warns(f, TWILIO "[flows]\nprompts = p\n", 0, 0, "");
    /* [flows] default when every channel names its flow */
    warns(f, "[flows]\ndefault = A\n" GENERIC "flow = B\n", 1, 2,
          "[flows] default has no effect: every channel names its flow");
    warns(f, "[flows]\ndefault = A\n" GENERIC "flow = B\n" TWILIO, 0, 0, "");
    /* [safeguarding] */
    warns(f,
          "[safeguarding]\nenabled = no\nflow = Referral\n"
          "notify_url = https://a.example/h\n",
          2, 3, "[safeguarding] flow has no effect: enabled = no");
    warns(f, "[safeguarding]\nenabled = no\nhelpline = 116\n", 1, 3,
          "[safeguarding] helpline has no effect: enabled = no");
    warns(f,
          "[safeguarding]\nnotify_allow_http = yes\n"
          "notify_url = https://a.example/h\n",
          1, 2, "notify_allow_http has no effect: notify_url is not an");
    warns(f, "[safeguarding]\nnotify_allow_http = yes\n", 1, 2,
          "notify_allow_http has no effect");
    warns(f,
          "[safeguarding]\nnotify_allow_http = yes\n"
          "notify_url = http://127.0.0.1:9/h\n",
          0, 0, "");
    warns(f, "[safeguarding]\nnotify_numbers = +254700000000\n", 1, 2,
          "notify_numbers has no effect without notify_channel");
    warns(f, GENERIC "[safeguarding]\nnotify_channel = d\n", 1, 5,
          "notify_channel has no effect without notify_numbers");
    /* channel keys the type never reads */
    warns(f, GENERIC "api_url = https://a.example\n", 1, 4,
          "[channel d] api_url has no effect: a generic channel sends to its "
          "send_url");
    warns(f,
          "[channel k]\ntype = kannel\nsecret = s\n"
          "api_url = https://a.example\n",
          1, 4, "a kannel channel sends to its send_url");
    warns(f, TWILIO "api_url = https://a.example\n", 0, 0, "");
    warns(f,
          "[channel v]\ntype = vonage\napi_key = k\napi_secret = s\n"
          "signature_method = sha256\n",
          1, 5, "signature_method has no effect without signature_secret");
    /* a file where everything counts warns of nothing; a bad file is an
     * error, not warnings */
    cfg = load_ok(f, "[server]\nadmin_listen = 127.0.0.1:1\n"
                     "admin_token_file = t\n" TWILIO
                     "[asr]\nworkers = 1\n[flows]\nprompts = p\n"
                     "default = A\n[safeguarding]\nflow = Referral\n");
    assert_int_equal(cfg->n_warnings, 0);
    config_free(cfg);
    load_err(f, "[server]\nadmin_token_file = t\n[bogus]\n", 3, "unknown");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_design_sample),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_outbox_section),
        cmocka_unit_test(test_asr_min_confidence),
        cmocka_unit_test(test_no_secret_in_errors),
        cmocka_unit_test(test_path_resolution),
        cmocka_unit_test(test_example_file),
        cmocka_unit_test(test_channel_values),
        cmocka_unit_test(test_log_format),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_no_effect),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
