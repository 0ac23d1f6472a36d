/*
 * tmpdir.h - a fresh temporary directory for a test's files (a database,
 * a key file), under $TMPDIR (/tmp when it is not set), and its removal.
 * Test-only; each asserts (cmocka) that it worked.
 */
#ifndef SK_TMPDIR_H
#define SK_TMPDIR_H

#include <stddef.h>

/* Makes "$TMPDIR/NAME.XXXXXX" and writes its path into dir[0..size). */
void tmpdir_make(char *dir, size_t size, const char *name);

/* Removes dir and everything below it. */
void tmpdir_remove(const char *dir);

#endif
