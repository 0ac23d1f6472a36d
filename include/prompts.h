/*
 * prompts.h - recorded prompts (gateway/prompts.c): checking and
 * converting them for `sikiliza prompts check`, and serving them at
 * GET /prompts/LANG/NAME.wav so a provider's <Play> can fetch them.
 *
 * A prompts directory holds DIR/LANG/NAME.wav, LANG and NAME each 1 to
 * PROMPTS_NAME_MAX letters, digits, '-' or '_' (LANG as the flows name
 * languages: eng, fra, swa, ...). What telephones play is 8 kHz mono
 * 16-bit PCM WAV: `prompts check` converts every good file to that, and
 * serve serves only files that are that (checked when it starts, held in
 * memory, so no request reads the disk), at most PROMPTS_MAX_SECONDS long.
 *
 * Main thread (check, load) and loop thread (serving).
 */
#ifndef SK_PROMPTS_H
#define SK_PROMPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "audio.h"
#include "err.h"

struct http_server;
struct prompts;

#define PROMPTS_NAME_MAX    64
#define PROMPTS_RATE        8000
#define PROMPTS_MAX_SECONDS 60
#define PROMPTS_MAX_BYTES   (32u << 20) /* a file to check */
/* a served file: PROMPTS_MAX_SECONDS of 8 kHz 16-bit mono and a header */
#define PROMPTS_SERVE_MAX_BYTES                                                \
    ((size_t)PROMPTS_MAX_SECONDS * PROMPTS_RATE * 2 + 4096)
#define PROMPTS_MAX_FILES 4096

/* s[0..len) is a LANG or NAME: 1..PROMPTS_NAME_MAX of [A-Za-z0-9_-]. */
bool prompts_name_ok(const char *s, size_t len);

/*
 * Checks the prompt file at path. 0 when it is good: *ready says it is
 * already 8 kHz mono 16-bit PCM WAV, and pcm holds it at 8 kHz mono
 * (free with audio_pcm_free). Otherwise SK_EINVAL, SK_ELIMIT, SK_EIO or
 * SK_ENOMEM, with reason starting "empty", "corrupt", "too long", "too
 * large", "wrong format" or "cannot read".
 */
int prompts_check_file(const char *path, bool *ready, struct audio_pcm *pcm,
                       char reason[SK_ERR_LEN]);

/*
 * Walks dir in name order: fn(arg, lang, file, path, problem) for every
 * entry of dir/LANG/ and every stray entry of dir, where file is the
 * entry's name and problem NULL for a LANG/NAME.wav, else why the entry
 * is not one. Names starting with '.' are skipped. A non-zero return of
 * fn stops the walk and is returned; SK_EIO when dir cannot be read.
 */
typedef int (*prompts_walk_fn)(void *arg, const char *lang, const char *file,
                               const char *path, const char *problem);
int prompts_walk(const char *dir, prompts_walk_fn fn, void *arg,
                 char err[SK_ERR_LEN]);

/* Loads the servable prompts of dir (the others are logged, by name, and
 * left out). NULL with err when dir cannot be read or there are more than
 * PROMPTS_MAX_FILES. */
struct prompts *prompts_load(const char *dir, char err[SK_ERR_LEN]);
void prompts_free(struct prompts *ps); /* NULL is a no-op */
size_t prompts_count(const struct prompts *ps);

/* The WAV bytes of LANG/NAME, or SK_ENOENT. */
int prompts_find(const struct prompts *ps, const char *lang, const char *name,
                 const unsigned char **data, size_t *len);

/* Registers GET /prompts/ on h: 200 audio/wav with the file, 400 for a
 * path that is not /prompts/LANG/NAME.wav with good names (any "..",
 * "%", second slash), 404 for a prompt not loaded. ps must outlive h. */
int prompts_serve(struct prompts *ps, struct http_server *h);

#endif
