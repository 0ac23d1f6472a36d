/*
 * test_admin.c - the admin API's token: the file checks made at start
 * (missing, too open, too short, not a file, odd characters), the
 * constant-time comparison and the audit actor made from the token's hash.
 * Files are written only under a mkdtemp() directory.
 */
#include <fcntl.h>
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

#include "admin.h"

#define TOKEN "0123456789abcdefghijklmnopqrstuvwxyzABCD" /* 40 characters */

struct fixture {
    char dir[64];
    char path[128];
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "%s", "/tmp/sk-admin-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/admin.token", f->dir);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    unlink(f->path);
    rmdir(f->path); /* when a test made a directory there */
    rmdir(f->dir);
    free(f);
    return 0;
}

static void
write_token(const struct fixture *f, const char *text, mode_t mode)
{
    int fd;

    unlink(f->path);
    fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(chmod(f->path, mode), 0);
}

/* Loads f's token file: the rc, and err must name the file on failure. */
static int
load(const struct fixture *f, char *out, size_t cap, const char *want_err)
{
    char err[SK_ERR_LEN] = "";
    int rc = admin_token_load(f->path, out, cap, err);

    if (want_err != NULL) {
        assert_int_equal(rc, SK_EINVAL);
        assert_non_null(strstr(err, f->path));
        assert_non_null(strstr(err, want_err));
    }
    return rc;
}

static void
test_load_ok(void **state)
{
    struct fixture *f = *state;
    char tok[ADMIN_TOKEN_MAX + 1];

    write_token(f, TOKEN "\n", 0600);
    assert_int_equal(load(f, tok, sizeof(tok), NULL), 0);
    assert_string_equal(tok, TOKEN);
    write_token(f, TOKEN "\r\n", 0400);
    assert_int_equal(load(f, tok, sizeof(tok), NULL), 0);
    assert_string_equal(tok, TOKEN);
    write_token(f, TOKEN, 0600); /* no line end */
    assert_int_equal(load(f, tok, sizeof(tok), NULL), 0);
    assert_string_equal(tok, TOKEN);
}

static void
test_load_refused(void **state)
{
    struct fixture *f = *state;
    char tok[ADMIN_TOKEN_MAX + 1], big[ADMIN_TOKEN_MAX + 8];
    char err[SK_ERR_LEN] = "";

    load(f, tok, sizeof(tok), "cannot open"); /* missing */
    write_token(f, TOKEN "\n", 0644);
    load(f, tok, sizeof(tok), "chmod 600");
    write_token(f, TOKEN "\n", 0620);
    load(f, tok, sizeof(tok), "chmod 600");
    write_token(f, "0123456789abcdefghijklmnopqrstu\n", 0600); /* 31 */
    load(f, tok, sizeof(tok), "32 to 512 characters");
    write_token(f, "\n", 0600);
    load(f, tok, sizeof(tok), "32 to 512 characters");
    write_token(f, "0123456789abcdef 0123456789abcdef\n", 0600);
    load(f, tok, sizeof(tok), "space or control");
    write_token(f, TOKEN "\n\n", 0600);
    load(f, tok, sizeof(tok), "space or control");
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    write_token(f, big, 0600);
    load(f, tok, sizeof(tok), "32 to 512 characters");
    /* a buffer too small for a valid token */
    write_token(f, TOKEN "\n", 0600);
    load(f, tok, 33, "characters");
    unlink(f->path);
    assert_int_equal(mkdir(f->path, 0700), 0);
    load(f, tok, sizeof(tok), "not a regular file");
    assert_int_equal(rmdir(f->path), 0);
    /* no file named at all */
    assert_int_equal(admin_token_load(NULL, tok, sizeof(tok), err), SK_EINVAL);
    assert_non_null(strstr(err, "admin_token_file"));
}

static void
test_equal(void **state)
{
    (void)state;
    assert_true(admin_token_equal(TOKEN, TOKEN, strlen(TOKEN)));
    /* got is compared by its length, not up to a NUL */
    assert_true(admin_token_equal(TOKEN, TOKEN "xyz", strlen(TOKEN)));
    assert_false(admin_token_equal(TOKEN, TOKEN "x", strlen(TOKEN) + 1));
    assert_false(admin_token_equal(TOKEN, TOKEN, strlen(TOKEN) - 1));
    assert_false(admin_token_equal(TOKEN, "", 0));
    assert_false(admin_token_equal(
        TOKEN, "1123456789abcdefghijklmnopqrstuvwxyzABCD", strlen(TOKEN)));
    assert_false(admin_token_equal(
        TOKEN, "0123456789abcdefghijklmnopqrstuvwxyzABCE", strlen(TOKEN)));
    assert_false(admin_token_equal(TOKEN, NULL, 0));
    assert_false(admin_token_equal(NULL, TOKEN, strlen(TOKEN)));
}

static void
test_actor(void **state)
{
    char actor[ADMIN_ACTOR_LEN];

    (void)state;
    /* SHA-256("abc") = ba7816bf 8f01cfea ... */
    admin_token_actor("abc", actor);
    assert_string_equal(actor, "admin:ba7816bf");
    admin_token_actor(TOKEN, actor);
    assert_int_equal(strlen(actor), ADMIN_ACTOR_LEN - 1);
    assert_null(strstr(actor, "0123"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_refused, setup, teardown),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_actor),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
