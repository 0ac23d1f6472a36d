/*
 * failalloc.c - the allocation-failure switch (see failalloc.h). The
 * wrappers count each call and, when armed, return NULL for the chosen
 * ones; otherwise they call the real allocator (under ASan, ASan's).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

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

static long fa_nth, fa_count;
static bool fa_once, fa_failed;

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
    fa_count++;
    if (fa_nth <= 0 || fa_count < fa_nth || (fa_once && fa_count > fa_nth))
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
