/*
 * test_prompts.c - recorded prompts: names, the check of one file (ready,
 * converted, empty, corrupt, not WAV, too long, too many channels),
 * walking a directory, and loading and serving them over a real HTTP
 * server on a loopback port (fetched with httpc on the same loop): only
 * 8 kHz mono PCM is served, as audio/wav, byte for byte; bad paths are
 * 400 and unknown prompts 404.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <event2/event.h>
#include <sndfile.h>

#include "audio.h"
#include "http.h"
#include "httpc.h"
#include "prompts.h"

struct fx {
    char dir[256];
};

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");

    assert_non_null(fx);
    snprintf(fx->dir, sizeof(fx->dir), "%s/sk_prompts_XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    assert_non_null(mkdtemp(fx->dir));
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;

    nftw(fx->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

/* Writes seconds of a 440 Hz tone at rate with channels, as format. */
static void
tone(const char *path, int rate, int channels, double seconds, int format)
{
    SF_INFO info = {.samplerate = rate, .channels = channels, .format = format};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    sf_count_t frames = (sf_count_t)(seconds * rate), i;
    short *buf = calloc((size_t)(frames * channels), sizeof(short));

    assert_non_null(sf);
    assert_non_null(buf);
    for (i = 0; i < frames * channels; i++)
        buf[i] = (short)(8000 * ((i / channels) % 20 < 10 ? 1 : -1));
    assert_int_equal(sf_writef_short(sf, buf, frames), frames);
    assert_int_equal(sf_close(sf), 0);
    free(buf);
}

static void
write_bytes(const char *path, const char *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    fclose(f);
}

static void
at(const struct fx *fx, char *buf, size_t len, const char *rel)
{
    snprintf(buf, len, "%s/%s", fx->dir, rel);
}

/* --- tests --------------------------------------------------------------- */

static void
test_names(void **state)
{
    static const char *const good[] = {"eng", "fra", "hello", "yes_no-1", "A9"};
    static const char *const bad[] = {"",    "..", ".",     "a/b", "a b",
                                      "%2e", "é",  "a.wav", "a\\b"};
    char longname[PROMPTS_NAME_MAX + 2];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(prompts_name_ok(good[i], strlen(good[i])));
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(prompts_name_ok(bad[i], strlen(bad[i])));
    memset(longname, 'a', sizeof(longname));
    assert_true(prompts_name_ok(longname, PROMPTS_NAME_MAX));
    assert_false(prompts_name_ok(longname, PROMPTS_NAME_MAX + 1));
    assert_false(prompts_name_ok(NULL, 3));
}

/* check REL: the check's rc, reason and readiness. */
static int
check(const struct fx *fx, const char *rel, bool *ready, struct audio_pcm *pcm,
      char reason[SK_ERR_LEN])
{
    char path[512];

    at(fx, path, sizeof(path), rel);
    reason[0] = '\0';
    return prompts_check_file(path, ready, pcm, reason);
}

static void
test_check_file(void **state)
{
    struct fx *fx = *state;
    char path[512], reason[SK_ERR_LEN];
    struct audio_pcm pcm;
    bool ready;

    at(fx, path, sizeof(path), "ready.wav");
    tone(path, 8000, 1, 1.0, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    assert_int_equal(check(fx, "ready.wav", &ready, &pcm, reason), 0);
    assert_true(ready);
    assert_int_equal(pcm.rate, 8000);
    assert_int_equal(pcm.nsamples, 8000);
    audio_pcm_free(&pcm);

    at(fx, path, sizeof(path), "stereo22.wav");
    tone(path, 22050, 2, 2.0, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    assert_int_equal(check(fx, "stereo22.wav", &ready, &pcm, reason), 0);
    assert_false(ready);
    assert_int_equal(pcm.rate, 8000);
    assert_int_equal(pcm.src_rate, 22050);
    assert_int_equal(pcm.src_channels, 2);
    assert_true(pcm.nsamples > 15900 && pcm.nsamples < 16100);
    audio_pcm_free(&pcm);

    /* 8 kHz mono but 8-bit u-law: converted, not ready */
    at(fx, path, sizeof(path), "ulaw.wav");
    tone(path, 8000, 1, 0.5, SF_FORMAT_WAV | SF_FORMAT_ULAW);
    assert_int_equal(check(fx, "ulaw.wav", &ready, &pcm, reason), 0);
    assert_false(ready);
    audio_pcm_free(&pcm);

    at(fx, path, sizeof(path), "empty.wav");
    write_bytes(path, "", 0);
    assert_int_equal(check(fx, "empty.wav", &ready, &pcm, reason), SK_EINVAL);
    assert_string_equal(reason, "empty: 0 bytes");
    assert_null(pcm.samples);

    at(fx, path, sizeof(path), "text.wav");
    write_bytes(path, "this is not audio at all, not even close\n", 41);
    assert_int_equal(check(fx, "text.wav", &ready, &pcm, reason), SK_EINVAL);
    assert_true(strncmp(reason, "corrupt: ", 9) == 0);

    at(fx, path, sizeof(path), "flac.wav");
    tone(path, 8000, 1, 0.5, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
    assert_int_equal(check(fx, "flac.wav", &ready, &pcm, reason), SK_EINVAL);
    assert_string_equal(reason, "wrong format: FLAC, not WAV");

    at(fx, path, sizeof(path), "long.wav");
    tone(path, 8000, 1, 60.5, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    assert_int_equal(check(fx, "long.wav", &ready, &pcm, reason), SK_ELIMIT);
    assert_string_equal(reason, "too long: 60.5 s (at most 60 s)");

    at(fx, path, sizeof(path), "six.wav");
    tone(path, 8000, 6, 0.2, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    assert_int_equal(check(fx, "six.wav", &ready, &pcm, reason), SK_EINVAL);
    assert_string_equal(reason, "wrong format: 6 channels (mono or stereo)");

    assert_int_equal(check(fx, "missing.wav", &ready, &pcm, reason), SK_EIO);
    assert_true(strncmp(reason, "cannot read: ", 13) == 0);
}

/* Lays out DIR/eng/{hello,raw}.wav, DIR/fra/hello.wav and stray files. */
static void
layout(const struct fx *fx)
{
    char path[512];

    at(fx, path, sizeof(path), "eng");
    assert_int_equal(mkdir(path, 0755), 0);
    at(fx, path, sizeof(path), "fra");
    assert_int_equal(mkdir(path, 0755), 0);
    at(fx, path, sizeof(path), "bad lang");
    assert_int_equal(mkdir(path, 0755), 0);
    at(fx, path, sizeof(path), "eng/hello.wav");
    tone(path, 8000, 1, 0.5, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    at(fx, path, sizeof(path), "fra/hello.wav");
    tone(path, 8000, 1, 0.25, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    at(fx, path, sizeof(path), "eng/raw.wav");
    tone(path, 16000, 1, 0.5, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    at(fx, path, sizeof(path), "eng/.hidden.wav");
    tone(path, 8000, 1, 0.5, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    at(fx, path, sizeof(path), "eng/notes.txt");
    write_bytes(path, "x", 1);
    at(fx, path, sizeof(path), "top.wav");
    write_bytes(path, "x", 1);
}

struct seen {
    int good, bad;
    char names[8][80];
};

static int
seen_cb(void *arg, const char *lang, const char *file, const char *path,
        const char *problem)
{
    struct seen *s = arg;

    (void)path;
    if (problem == NULL && s->good < 8)
        snprintf(s->names[s->good], sizeof(s->names[0]), "%s/%s", lang, file);
    if (problem == NULL)
        s->good++;
    else
        s->bad++;
    return 0;
}

static void
test_walk(void **state)
{
    struct fx *fx = *state;
    struct seen s;
    char err[SK_ERR_LEN] = "", path[512];

    layout(fx);
    memset(&s, 0, sizeof(s));
    assert_int_equal(prompts_walk(fx->dir, seen_cb, &s, err), 0);
    assert_int_equal(s.good, 3); /* in name order, hidden ones skipped */
    assert_string_equal(s.names[0], "eng/hello.wav");
    assert_string_equal(s.names[1], "eng/raw.wav");
    assert_string_equal(s.names[2], "fra/hello.wav");
    assert_int_equal(s.bad, 3); /* bad lang, notes.txt, top.wav */
    at(fx, path, sizeof(path), "nope");
    assert_int_equal(prompts_walk(path, seen_cb, &s, err), SK_EIO);
    assert_non_null(strstr(err, "cannot read"));
}

/* --- serving ------------------------------------------------------------- */

struct got {
    int n, status;
    char ctype[64];
    size_t len;
    unsigned char body[8192];
};

static void
got_cb(void *arg, const struct httpc_resp *resp)
{
    struct got *g = arg;

    g->n++;
    g->status = resp->status;
    snprintf(g->ctype, sizeof(g->ctype), "%s",
             resp->content_type ? resp->content_type : "");
    g->len = resp->body_len < sizeof(g->body) ? resp->body_len : 0;
    memcpy(g->body, resp->body, g->len);
}

static int64_t
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
get(struct event_base *base, struct httpc *c, int port, const char *path,
    struct got *g)
{
    char url[256];
    struct httpc_req req = {.url = url};
    int64_t end = mono_ms() + 10000;

    memset(g, 0, sizeof(*g));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    req.max_body = sizeof(g->body) - 1;
    assert_int_equal(httpc_request(c, &req, got_cb, g), 0);
    while (g->n == 0 && mono_ms() < end)
        event_base_loop(base, EVLOOP_ONCE);
    assert_int_equal(g->n, 1);
}

static void
test_serve(void **state)
{
    struct fx *fx = *state;
    struct http_limits lim = {.listen = "127.0.0.1:0",
                              .source = "test",
                              .max_body = 1024,
                              .max_headers = 4096,
                              .timeout_seconds = 5,
                              .max_connections = 8};
    static const char *const bad[] = {
        /* ".." segments: libcurl squashes them; the e2e test sends them */
        "/prompts/%2e%2e/eng/hello.wav",
        "/prompts/eng/a%2fb.wav",
        "/prompts/eng/hello.wav/x",
        "/prompts/eng/hello",
        "/prompts/%65ng/hello.wav",
        "/prompts/eng/%2e%2e.wav",
        "/prompts/eng/.wav",
        "/prompts/"};
    char err[SK_ERR_LEN] = "", path[512];
    struct event_base *base = event_base_new();
    const unsigned char *data;
    struct http_server *h;
    struct prompts *ps;
    struct httpc *c;
    struct got g;
    size_t len, i;
    FILE *f;
    unsigned char file[8192];
    size_t flen;

    layout(fx);
    ps = prompts_load(fx->dir, err);
    assert_non_null(ps);
    assert_int_equal(prompts_count(ps), 2); /* eng/raw.wav is 16 kHz */
    assert_int_equal(prompts_find(ps, "fra", "hello", &data, &len), 0);
    assert_int_equal(prompts_find(ps, "eng", "raw", &data, &len), SK_ENOENT);
    assert_int_equal(prompts_find(ps, "..", "hello", &data, &len), SK_ENOENT);

    h = http_start(base, &lim, NULL, err);
    assert_non_null(h);
    assert_int_equal(prompts_serve(ps, h), 0);
    c = httpc_new(base, 2, err);
    assert_non_null(c);

    get(base, c, http_port(h), "/prompts/eng/hello.wav", &g);
    assert_int_equal(g.status, 200);
    assert_string_equal(g.ctype, "audio/wav");
    at(fx, path, sizeof(path), "eng/hello.wav");
    f = fopen(path, "rb");
    assert_non_null(f);
    flen = fread(file, 1, sizeof(file), f);
    fclose(f);
    assert_int_equal(g.len, flen);
    assert_memory_equal(g.body, file, flen);

    get(base, c, http_port(h), "/prompts/eng/raw.wav", &g);
    assert_int_equal(g.status, 404);
    get(base, c, http_port(h), "/prompts/swa/hello.wav", &g);
    assert_int_equal(g.status, 404);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        get(base, c, http_port(h), bad[i], &g);
        if (g.status != 400)
            fail_msg("%s: %d, want 400", bad[i], g.status);
    }
    httpc_free(c);
    http_free(h);
    prompts_free(ps);
    event_base_free(base);
    prompts_free(NULL);

    at(fx, path, sizeof(path), "nope");
    err[0] = '\0';
    assert_null(prompts_load(path, err));
    assert_non_null(strstr(err, "cannot read"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test_setup_teardown(test_check_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
