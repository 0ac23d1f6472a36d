/*
 * prompts.c - recorded prompts (prompts.h).
 *
 * Checking runs libsndfile through audio.c: the header is read first
 * (audio_probe) so an empty, non-WAV, over-long or oddly shaped file is
 * reported without decoding it, then the whole file is decoded to 8 kHz
 * mono (audio_decode: mixdown and libsamplerate), which finds what is
 * corrupt past the header. Serving loads every file that is already what
 * telephones play at start (main thread, before the loop runs) and keeps
 * it in memory, sorted, so a request is a binary search and one reply.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/http.h>

#include "audio.h"
#include "http.h"
#include "log.h"
#include "prompts.h"

#define PROMPTS_PATH_MAX 4096
#define PROMPTS_PREFIX   "/prompts/"

struct prompt {
    char lang[PROMPTS_NAME_MAX + 1];
    char name[PROMPTS_NAME_MAX + 1];
    unsigned char *data;
    size_t len;
};

struct prompts {
    struct prompt *v;
    size_t n, cap;
    struct http_server *http;
};

bool
prompts_name_ok(const char *s, size_t len)
{
    size_t i;

    if (s == NULL || len == 0 || len > PROMPTS_NAME_MAX)
        return false;
    for (i = 0; i < len; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* --- checking ------------------------------------------------------------ */

static void
prompts_limits(struct audio_limits *lim)
{
    audio_limits_default(lim);
    lim->max_bytes = PROMPTS_MAX_BYTES;
    lim->max_seconds = PROMPTS_MAX_SECONDS;
}

/* The header's verdict: 0, or why the file is no prompt. */
static int
prompts_check_header(const struct audio_info *info,
                     const struct audio_limits *lim, char reason[SK_ERR_LEN])
{
    if (!info->wav) {
        sk_seterr(reason, "wrong format: %s, not WAV", info->container);
        return SK_EINVAL;
    }
    if (info->frames <= 0) {
        sk_seterr(reason, "empty: no samples");
        return SK_EINVAL;
    }
    if (info->channels < 1 || info->channels > lim->max_channels) {
        sk_seterr(reason, "wrong format: %d channels (mono or stereo)",
                  info->channels);
        return SK_EINVAL;
    }
    if (info->rate < lim->min_rate || info->rate > lim->max_rate) {
        sk_seterr(reason, "wrong format: %d Hz (%d to %d Hz)", info->rate,
                  lim->min_rate, lim->max_rate);
        return SK_EINVAL;
    }
    if ((double)info->frames / info->rate > lim->max_seconds) {
        sk_seterr(reason, "too long: %.1f s (at most %d s)",
                  (double)info->frames / info->rate, PROMPTS_MAX_SECONDS);
        return SK_ELIMIT;
    }
    return 0;
}

/* Checks data[0..len) (the file's bytes); as prompts_check_file(). */
static int
prompts_check_bytes(const void *data, size_t len, bool *ready,
                    struct audio_pcm *pcm, char reason[SK_ERR_LEN])
{
    struct audio_limits lim;
    struct audio_info info;
    char why[SK_ERR_LEN] = "";
    int rc;

    prompts_limits(&lim);
    if (len == 0) {
        sk_seterr(reason, "empty: 0 bytes");
        return SK_EINVAL;
    }
    if (audio_probe(data, len, &info, why) != 0) {
        sk_seterr(reason, "corrupt: not audio that libsndfile reads");
        return SK_EINVAL;
    }
    rc = prompts_check_header(&info, &lim, reason);
    if (rc != 0)
        return rc;
    rc = audio_decode(data, len, &lim, PROMPTS_RATE, pcm, why);
    if (rc != 0) {
        sk_seterr(reason, "corrupt: %s",
                  strncmp(why, "audio: ", 7) == 0 ? why + 7 : why);
        return rc == SK_ENOMEM ? SK_ENOMEM : SK_EINVAL;
    }
    *ready = info.pcm16 && info.channels == 1 && info.rate == PROMPTS_RATE;
    return 0;
}

int
prompts_check_file(const char *path, bool *ready, struct audio_pcm *pcm,
                   char reason[SK_ERR_LEN])
{
    struct audio_limits lim;
    char why[SK_ERR_LEN] = "";
    void *data = NULL;
    size_t len = 0;
    int rc;

    *ready = false;
    memset(pcm, 0, sizeof(*pcm));
    prompts_limits(&lim);
    rc = audio_read_file(path, &lim, &data, &len, why);
    if (rc == SK_ELIMIT) {
        sk_seterr(reason, "too large: over %u MB", PROMPTS_MAX_BYTES >> 20);
        return rc;
    }
    if (rc != 0) {
        sk_seterr(reason, "cannot read: %s",
                  rc == SK_ENOMEM ? "out of memory" : "not a readable file");
        return rc;
    }
    rc = prompts_check_bytes(data, len, ready, pcm, reason);
    free(data);
    return rc;
}

/* --- walking ------------------------------------------------------------- */

static int
prompts_visible(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* Whether path is a directory (following links), a regular file, or
 * neither: 'd', 'f' or 0. */
static char
prompts_kind(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return 0;
    return S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? 'f' : 0;
}

/* The problem with file in a language directory, or NULL. */
static const char *
prompts_file_problem(const char *file, const char *path)
{
    size_t len = strlen(file);

    if (prompts_kind(path) != 'f')
        return "not a regular file";
    if (len < 5 || strcmp(file + len - 4, ".wav") != 0)
        return "not a .wav file";
    if (!prompts_name_ok(file, len - 4))
        return "bad name: 1 to 64 letters, digits, - or _, then .wav";
    return NULL;
}

static int
prompts_walk_lang(const char *dir, const char *lang, prompts_walk_fn fn,
                  void *arg)
{
    char ldir[PROMPTS_PATH_MAX], path[PROMPTS_PATH_MAX];
    struct dirent **ents = NULL;
    int n, i, rc = 0;

    snprintf(ldir, sizeof(ldir), "%s/%s", dir, lang);
    n = scandir(ldir, &ents, prompts_visible, alphasort);
    if (n < 0)
        return fn(arg, lang, "", ldir, "cannot read the directory");
    for (i = 0; i < n; i++) {
        if (rc == 0) {
            int w =
                snprintf(path, sizeof(path), "%s/%s", ldir, ents[i]->d_name);

            rc = fn(arg, lang, ents[i]->d_name, path,
                    w >= (int)sizeof(path)
                        ? "path too long"
                        : prompts_file_problem(ents[i]->d_name, path));
        }
        free(ents[i]);
    }
    free(ents);
    return rc;
}

int
prompts_walk(const char *dir, prompts_walk_fn fn, void *arg,
             char err[SK_ERR_LEN])
{
    char path[PROMPTS_PATH_MAX];
    struct dirent **ents = NULL;
    const char *name;
    int n, i, rc = 0;

    if (strlen(dir) > PROMPTS_PATH_MAX - 2 * PROMPTS_NAME_MAX - 16) {
        sk_seterr(err, "prompts: directory path too long");
        return SK_EINVAL;
    }
    n = scandir(dir, &ents, prompts_visible, alphasort);
    if (n < 0) {
        sk_seterr(err, "prompts: %s: cannot read the directory", dir);
        return SK_EIO;
    }
    for (i = 0; i < n; i++) {
        name = ents[i]->d_name;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (rc == 0 && prompts_kind(path) != 'd')
            rc = fn(arg, "", name, path,
                    "not in a language directory (DIR/LANG/NAME.wav)");
        else if (rc == 0 && !prompts_name_ok(name, strlen(name)))
            rc = fn(arg, "", name, path,
                    "bad language directory name: 1 to 64 letters, "
                    "digits, - or _");
        else if (rc == 0)
            rc = prompts_walk_lang(dir, name, fn, arg);
        free(ents[i]);
    }
    free(ents);
    return rc;
}

/* --- serving ------------------------------------------------------------- */

static int
prompt_cmp(const void *a, const void *b)
{
    const struct prompt *x = a, *y = b;
    int c = strcmp(x->lang, y->lang);

    return c != 0 ? c : strcmp(x->name, y->name);
}

/* Reads path into p if it is servable as it is; else why not. */
static int
prompts_read_servable(const char *path, struct prompt *p,
                      char reason[SK_ERR_LEN])
{
    struct audio_limits lim;
    struct audio_pcm pcm;
    char why[SK_ERR_LEN] = "";
    void *data = NULL;
    size_t len = 0;
    bool ready = false;
    int rc;

    memset(&pcm, 0, sizeof(pcm)); /* freed even when the check stops early */
    audio_limits_default(&lim);
    lim.max_bytes = PROMPTS_SERVE_MAX_BYTES;
    rc = audio_read_file(path, &lim, &data, &len, why);
    if (rc != 0) {
        sk_seterr(reason, "%s",
                  rc == SK_ELIMIT ? "too large" : "cannot read it");
        return rc;
    }
    rc = prompts_check_bytes(data, len, &ready, &pcm, reason);
    audio_pcm_free(&pcm);
    if (rc == 0 && !ready) {
        sk_seterr(reason, "not 8 kHz mono 16-bit PCM");
        rc = SK_EINVAL;
    }
    if (rc != 0) {
        free(data);
        return rc;
    }
    p->data = data;
    p->len = len;
    return 0;
}

static int
prompts_load_one(void *arg, const char *lang, const char *file,
                 const char *path, const char *problem)
{
    struct prompts *ps = arg;
    char reason[SK_ERR_LEN] = "";
    struct prompt *p, *v;
    size_t cap;

    if (problem != NULL) {
        sk_log(LOG_WARNING, "prompts", "%s%s%s not served: %s", lang,
               lang[0] != '\0' ? "/" : "", file, problem);
        return 0;
    }
    if (ps->n == PROMPTS_MAX_FILES)
        return SK_ELIMIT;
    if (ps->n == ps->cap) {
        cap = ps->cap != 0 ? 2 * ps->cap : 32;
        v = realloc(ps->v, cap * sizeof(*v));
        if (v == NULL)
            return SK_ENOMEM;
        ps->v = v;
        ps->cap = cap;
    }
    p = &ps->v[ps->n];
    memset(p, 0, sizeof(*p));
    snprintf(p->lang, sizeof(p->lang), "%s", lang);
    snprintf(p->name, sizeof(p->name), "%.*s", (int)(strlen(file) - 4), file);
    if (prompts_read_servable(path, p, reason) != 0) {
        sk_log(LOG_WARNING, "prompts",
               "%s/%s not served: %s (run `sikiliza prompts check`)", lang,
               file, reason);
        return 0;
    }
    ps->n++;
    return 0;
}

struct prompts *
prompts_load(const char *dir, char err[SK_ERR_LEN])
{
    struct prompts *ps = calloc(1, sizeof(*ps));
    int rc;

    if (ps == NULL) {
        sk_seterr(err, "prompts: out of memory");
        return NULL;
    }
    rc = prompts_walk(dir, prompts_load_one, ps, err);
    if (rc != 0) {
        sk_seterr(err, "prompts: %s: %s", dir,
                  rc == SK_ELIMIT ? "more than 4096 prompts" : "out of memory");
        prompts_free(ps);
        return NULL;
    }
    if (ps->n > 1)
        qsort(ps->v, ps->n, sizeof(ps->v[0]), prompt_cmp);
    sk_log(LOG_INFO, "prompts", "%zu %s served", ps->n,
           sk_plural((long long)ps->n, "prompt", "prompts"));
    return ps;
}

void
prompts_free(struct prompts *ps)
{
    size_t i;

    if (ps == NULL)
        return;
    for (i = 0; i < ps->n; i++)
        free(ps->v[i].data);
    free(ps->v);
    free(ps);
}

size_t
prompts_count(const struct prompts *ps)
{
    return ps != NULL ? ps->n : 0;
}

int
prompts_find(const struct prompts *ps, const char *lang, const char *name,
             const unsigned char **data, size_t *len)
{
    struct prompt key;
    const struct prompt *p;

    if (ps == NULL || ps->n == 0 || !prompts_name_ok(lang, strlen(lang)) ||
        !prompts_name_ok(name, strlen(name)))
        return SK_ENOENT;
    snprintf(key.lang, sizeof(key.lang), "%s", lang);
    snprintf(key.name, sizeof(key.name), "%s", name);
    p = bsearch(&key, ps->v, ps->n, sizeof(ps->v[0]), prompt_cmp);
    if (p == NULL)
        return SK_ENOENT;
    *data = p->data;
    *len = p->len;
    return 0;
}

/* GET /prompts/LANG/NAME.wav */
static void
prompts_page(void *arg, struct evhttp_request *req, double t0)
{
    struct prompts *ps = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
    char lang[PROMPTS_NAME_MAX + 1], name[PROMPTS_NAME_MAX + 1];
    const char *rest, *slash;
    const unsigned char *data;
    size_t llen, nlen, len;

    if (path == NULL || strncmp(path, PROMPTS_PREFIX, 9) != 0)
        goto bad;
    rest = path + strlen(PROMPTS_PREFIX);
    slash = strchr(rest, '/');
    if (slash == NULL)
        goto bad;
    llen = (size_t)(slash - rest);
    nlen = strlen(slash + 1);
    if (!prompts_name_ok(rest, llen) || nlen < 5 ||
        strcmp(slash + 1 + nlen - 4, ".wav") != 0 ||
        !prompts_name_ok(slash + 1, nlen - 4))
        goto bad;
    memcpy(lang, rest, llen);
    lang[llen] = '\0';
    memcpy(name, slash + 1, nlen - 4);
    name[nlen - 4] = '\0';
    if (prompts_find(ps, lang, name, &data, &len) != 0) {
        http_send(ps->http, req, t0, HTTP_NOTFOUND, "text/plain",
                  "no such "
                  "prompt\n",
                  15);
        return;
    }
    http_send(ps->http, req, t0, HTTP_OK, "audio/wav", (const char *)data, len);
    return;
bad:
    http_send(ps->http, req, t0, HTTP_BADREQUEST, "text/plain",
              "bad prompt name\n", 16);
}

int
prompts_serve(struct prompts *ps, struct http_server *h)
{
    if (ps == NULL || h == NULL)
        return SK_EINVAL;
    ps->http = h;
    return http_page(h, PROMPTS_PREFIX, prompts_page, ps);
}
