/*
 * failalloc.c - the allocation-failure switch (see failalloc.h). The
 * wrappers count each call and, when armed, return NULL for the chosen
 * ones; otherwise they call the real allocator (under ASan, ASan's).
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "failalloc.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

/* Atomic: the store's writer thread allocates too (while the test's
 * thread waits in store_call). */
static _Atomic long fa_nth, fa_count;
static _Atomic bool fa_once, fa_failed;

void
failalloc_arm(long nth, bool once)
{
    fa_nth = nth;
    fa_once = once;
    fa_count = 0;
    fa_failed = false;
}

void
failalloc_disarm(void)
{
    fa_nth = 0;
    fa_count = 0;
    fa_failed = false;
}

long
failalloc_count(void)
{
    return fa_count;
}

bool
failalloc_failed(void)
{
    return fa_failed;
}

/* Counts one allocation; true when it must fail. */
static bool
fa_fail(void)
{
    long c = atomic_fetch_add(&fa_count, 1) + 1;
    long nth = fa_nth;

    if (nth <= 0 || c < nth || (fa_once && c > nth))
        return false;
    fa_failed = true;
    return true;
}

void *
__wrap_malloc(size_t n)
{
    return fa_fail() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t k, size_t n)
{
    return fa_fail() ? NULL : __real_calloc(k, n);
}

void *
__wrap_realloc(void *p, size_t n)
{
    return fa_fail() ? NULL : __real_realloc(p, n);
}

char *
__wrap_strdup(const char *s)
{
    return fa_fail() ? NULL : __real_strdup(s);
}

char *
__wrap_strndup(const char *s, size_t n)
{
    return fa_fail() ? NULL : __real_strndup(s, n);
}

void
failalloc_jansson(void)
{
    json_set_alloc_funcs(__wrap_malloc, free);
}

static void *
fa_crypto_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return __wrap_malloc(n);
}

static void *
fa_crypto_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return __wrap_realloc(p, n);
}

static void
fa_crypto_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    free(p);
}

int
failalloc_openssl(void)
{
    return CRYPTO_set_mem_functions(fa_crypto_malloc, fa_crypto_realloc,
                                    fa_crypto_free)
               ? 0
               : -1;
}

/* sqlite's allocator: a header in front of each block keeps its size,
 * which sqlite asks for (xSize). */
#define FA_SQ_HEAD 16

static void *
fa_sq_malloc(int n)
{
    unsigned char *p;

    if (n < 0 || fa_fail())
        return NULL;
    p = __real_malloc((size_t)n + FA_SQ_HEAD);
    if (p == NULL)
        return NULL;
    memcpy(p, &n, sizeof(n));
    return p + FA_SQ_HEAD;
}

static void
fa_sq_free(void *p)
{
    if (p != NULL)
        free((unsigned char *)p - FA_SQ_HEAD);
}

static void *
fa_sq_realloc(void *p, int n)
{
    unsigned char *q;

    if (p == NULL)
        return fa_sq_malloc(n);
    if (n < 0 || fa_fail())
        return NULL;
    q = __real_realloc((unsigned char *)p - FA_SQ_HEAD, (size_t)n + FA_SQ_HEAD);
    if (q == NULL)
        return NULL;
    memcpy(q, &n, sizeof(n));
    return q + FA_SQ_HEAD;
}

static int
fa_sq_size(void *p)
{
    int n = 0;

    if (p != NULL)
        memcpy(&n, (unsigned char *)p - FA_SQ_HEAD, sizeof(n));
    return n;
}

static int
fa_sq_roundup(int n)
{
    return (n + 7) & ~7;
}

static int
fa_sq_init(void *arg)
{
    (void)arg;
    return SQLITE_OK;
}

static void
fa_sq_shutdown(void *arg)
{
    (void)arg;
}

int
failalloc_sqlite(void)
{
    static const sqlite3_mem_methods m = {
        fa_sq_malloc,  fa_sq_free, fa_sq_realloc,  fa_sq_size,
        fa_sq_roundup, fa_sq_init, fa_sq_shutdown, NULL};

    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK)
        return -1;
    return sqlite3_initialize() == SQLITE_OK ? 0 : -1;
}
