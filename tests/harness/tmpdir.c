/*
 * tmpdir.c - temporary directories for tests (see tmpdir.h): made with
 * mkdtemp(), removed with a walk over them (nftw), so no shell runs.
 */
#define _GNU_SOURCE /* mkdtemp, nftw's FTW_DEPTH and FTW_PHYS */

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "tmpdir.h"

void
tmpdir_make(char *dir, size_t size, const char *name)
{
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(dir, size, "%s/%s.XXXXXX",
                     tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp", name);

    assert_true(n > 0 && (size_t)n < size);
    assert_non_null(mkdtemp(dir));
}

static int
remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void
tmpdir_remove(const char *dir)
{
    assert_int_equal(nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}
