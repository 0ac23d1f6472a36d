/*
 * test_privacy.c - key file handling, URN normalisation, contact keys and
 * the vault. Files are written only under a mkdtemp() directory.
 */
#define _XOPEN_SOURCE 700 /* mkdtemp() */

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

#include "privacy.h"
#include "tmpdir.h"

struct fixture {
    char dir[64];
    char key1[128];
    char key2[128];
    struct privacy *p1, *p2;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    const char *tmp = getenv("TMPDIR");
    char err[SK_ERR_LEN] = "";

    if (f == NULL)
        return -1;
    *state = f;
    if (tmp == NULL || tmp[0] == '\0' || strlen(tmp) > 40)
        tmp = "/tmp";
    snprintf(f->dir, sizeof(f->dir), "%s/sk-privacy-XXXXXX", tmp);
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->key1, sizeof(f->key1), "%s/one.key", f->dir);
    snprintf(f->key2, sizeof(f->key2), "%s/two.key", f->dir);
    if (privacy_keygen(f->key1, err) != 0 || privacy_keygen(f->key2, err) != 0)
        return -1;
    f->p1 = privacy_open(f->key1, err);
    f->p2 = privacy_open(f->key2, err);
    if (f->p1 == NULL || f->p2 == NULL) {
        print_error("setup: %s\n", err);
        return -1;
    }
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    privacy_close(f->p1);
    privacy_close(f->p2);
    tmpdir_remove(f->dir);
    free(f);
    return 0;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, mode);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static void
test_keygen_file(void **state)
{
    struct fixture *f = *state;
    char buf[128];
    struct stat st;
    ssize_t n;
    int fd;

    assert_int_equal(stat(f->key1, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    fd = open(f->key1, O_RDONLY);
    assert_true(fd >= 0);
    n = read(fd, buf, sizeof(buf));
    close(fd);
    assert_int_equal(n, 65);
    assert_int_equal(buf[64], '\n');
    for (int i = 0; i < 64; i++)
        assert_non_null(strchr("0123456789abcdef", buf[i]));
}

static void
test_keygen_refuses_overwrite(void **state)
{
    struct fixture *f = *state;
    char before[65], after[65], path[128], err[SK_ERR_LEN] = "";
    int fd;

    fd = open(f->key1, O_RDONLY);
    assert_int_equal(read(fd, before, 65), 65);
    close(fd);
    assert_int_equal(privacy_keygen(f->key1, err), SK_EEXIST);
    assert_non_null(strstr(err, "already exists"));
    assert_non_null(strstr(err, f->key1));
    fd = open(f->key1, O_RDONLY);
    assert_int_equal(read(fd, after, 65), 65);
    close(fd);
    assert_memory_equal(before, after, 65);

    err[0] = '\0';
    assert_int_equal(privacy_keygen("", err), SK_EINVAL);
    err[0] = '\0';
    snprintf(path, sizeof(path), "%s/no/such/dir/k", f->dir);
    assert_int_equal(privacy_keygen(path, err), SK_EIO);
    assert_non_null(strstr(err, "No such file"));
}

static void
test_open_refuses_loose_mode(void **state)
{
    struct fixture *f = *state;
    char path[128], err[SK_ERR_LEN] = "";
    struct privacy *p;

    snprintf(path, sizeof(path), "%s/loose.key", f->dir);
    assert_int_equal(privacy_keygen(path, err), 0);
    assert_int_equal(chmod(path, 0644), 0);
    p = privacy_open(path, err);
    assert_null(p);
    assert_non_null(strstr(err, "chmod 600"));
    assert_non_null(strstr(err, "0644"));

    err[0] = '\0';
    assert_int_equal(chmod(path, 0640), 0);
    assert_null(privacy_open(path, err));
    assert_non_null(strstr(err, "chmod 600"));

    err[0] = '\0';
    assert_int_equal(chmod(path, 0400), 0);
    p = privacy_open(path, err);
    assert_non_null(p);
    assert_string_equal(err, "");
    privacy_close(p);
}

static void
test_open_refuses_bad_content(void **state)
{
    static const char *const bad[] = {
        "",
        "abc\n",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg\n",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0\n",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n\n",
        " 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    };
    struct fixture *f = *state;
    char path[128], err[SK_ERR_LEN];
    struct privacy *p;

    snprintf(path, sizeof(path), "%s/bad.key", f->dir);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unlink(path);
        write_file(path, bad[i], 0600);
        err[0] = '\0';
        assert_null(privacy_open(path, err));
        assert_non_null(strstr(err, "64 hex digits"));
    }
    /* a hand-written key without a newline, in upper case, is fine */
    unlink(path);
    write_file(
        path,
        "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
        0600);
    err[0] = '\0';
    p = privacy_open(path, err);
    assert_non_null(p);
    privacy_close(p);

    err[0] = '\0';
    snprintf(path, sizeof(path), "%s/missing.key", f->dir);
    assert_null(privacy_open(path, err));
    assert_non_null(strstr(err, "keygen"));
    err[0] = '\0';
    assert_null(privacy_open(f->dir, err));
    privacy_close(NULL);
}

static void
assert_norm(const char *in, const char *want)
{
    char out[PRIVACY_URN_MAX];

    assert_int_equal(privacy_normalize_urn(in, out, sizeof(out)), 0);
    assert_string_equal(out, want);
}

static void
test_normalize(void **state)
{
    char out[PRIVACY_URN_MAX], longurn[400];

    (void)state;
    assert_norm("tel:+254 700-000.001", "tel:+254700000001");
    assert_norm("tel:+254700000001", "tel:+254700000001");
    assert_norm("TEL:00254700000001", "tel:+254700000001");
    assert_norm("00254 700 000 001", "tel:+254700000001");
    assert_norm("+254 (700) 000-001", "tel:+254700000001");
    assert_norm("  254700000001 ", "tel:254700000001");
    assert_norm("tel:123", "tel:123");
    assert_norm("WhatsApp:254700000001", "whatsapp:254700000001");
    assert_norm("Telegram:ABCdef", "telegram:ABCdef");
    assert_norm("ext:Some.Id", "ext:Some.Id");

    assert_int_equal(privacy_normalize_urn("", out, sizeof(out)), SK_EINVAL);
    assert_int_equal(privacy_normalize_urn("   ", out, sizeof(out)), SK_EINVAL);
    assert_int_equal(privacy_normalize_urn(NULL, out, sizeof(out)), SK_EINVAL);
    assert_int_equal(privacy_normalize_urn("tel:", out, sizeof(out)),
                     SK_EINVAL);
    assert_int_equal(privacy_normalize_urn("tel:+", out, sizeof(out)),
                     SK_EINVAL);
    assert_int_equal(privacy_normalize_urn("tel:12", out, sizeof(out)),
                     SK_EINVAL);
    assert_int_equal(privacy_normalize_urn("tel:+2547x0", out, sizeof(out)),
                     SK_EINVAL);
    assert_int_equal(privacy_normalize_urn("tel:254+700", out, sizeof(out)),
                     SK_EINVAL);
    assert_int_equal(privacy_normalize_urn("hello world", out, sizeof(out)),
                     SK_EINVAL);
    assert_int_equal(privacy_normalize_urn(":abc", out, sizeof(out)),
                     SK_EINVAL);
    assert_int_equal(privacy_normalize_urn("1bad:abc", out, sizeof(out)),
                     SK_EINVAL);
    assert_int_equal(privacy_normalize_urn("whatsapp:", out, sizeof(out)),
                     SK_EINVAL);
    assert_int_equal(privacy_normalize_urn("ext:a\nb", out, sizeof(out)),
                     SK_EINVAL);
    assert_int_equal(
        privacy_normalize_urn("tel:+123456789012345678901", out, sizeof(out)),
        SK_EINVAL);
    memset(longurn, '1', sizeof(longurn) - 1);
    longurn[sizeof(longurn) - 1] = '\0';
    assert_int_equal(privacy_normalize_urn(longurn, out, sizeof(out)),
                     SK_EINVAL);
    memcpy(longurn, "ext:", 4);
    assert_int_equal(privacy_normalize_urn(longurn, out, sizeof(out)),
                     SK_EINVAL);
    assert_int_equal(privacy_normalize_urn("tel:+254700000001", out, 8),
                     SK_ELIMIT);
}

static void
test_contact_key(void **state)
{
    static const char *const spellings[] = {
        "tel:+254700000001", "tel:+254 700-000.001", "TEL:00254700000001",
        "+254 700 000 001",  "00254-700-000-001",    " tel:+254(700)000001",
    };
    struct fixture *f = *state;
    char k0[PRIVACY_KEY_HEX], k[PRIVACY_KEY_HEX], other[PRIVACY_KEY_HEX];

    assert_int_equal(privacy_contact_key(f->p1, spellings[0], k0), 0);
    assert_int_equal(strlen(k0), 64);
    for (size_t i = 0; i < 64; i++)
        assert_non_null(strchr("0123456789abcdef", k0[i]));
    assert_null(strstr(k0, "254700000001"));
    for (size_t i = 1; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
        assert_int_equal(privacy_contact_key(f->p1, spellings[i], k), 0);
        assert_string_equal(k, k0);
    }
    /* another number, another key */
    assert_int_equal(privacy_contact_key(f->p1, "tel:+254700000002", k), 0);
    assert_string_not_equal(k, k0);
    /* another secret key file, another contact key for the same number */
    assert_int_equal(privacy_contact_key(f->p2, spellings[0], other), 0);
    assert_string_not_equal(other, k0);
    /* stable across re-opening the same key file */
    {
        char err[SK_ERR_LEN] = "";
        struct privacy *again = privacy_open(f->key1, err);

        assert_non_null(again);
        assert_int_equal(privacy_contact_key(again, spellings[3], k), 0);
        assert_string_equal(k, k0);
        privacy_close(again);
    }
    assert_int_equal(privacy_contact_key(f->p1, "garbage!", k), SK_EINVAL);
    assert_string_equal(k, "");
}

/* One child, one key: every form of a Kenyan number, by every channel's
 * URN, with [flows] country = KE. */
static void
test_one_child_one_key(void **state)
{
    static const char *const forms[] = {
        "tel:+254712345678", "tel:254712345678", "254712345678",
        "+254712345678",     "0712345678",       "tel:0712 345 678",
        "0712-345-678",      "00254712345678",   " tel:+254 (712) 345-678 ",
    };
    struct fixture *f = *state;
    char k0[PRIVACY_KEY_HEX], k[PRIVACY_KEY_HEX], norm[PRIVACY_URN_MAX];
    size_t i;

    assert_int_equal(privacy_set_country(f->p1, "KE"), 0);
    assert_int_equal(privacy_contact_key(f->p1, forms[0], k0), 0);
    for (i = 1; i < sizeof(forms) / sizeof(forms[0]); i++) {
        assert_int_equal(privacy_contact_key(f->p1, forms[i], k), 0);
        if (strcmp(k, k0) != 0)
            fail_msg("\"%s\" has another key", forms[i]);
    }
    assert_int_equal(
        privacy_canonical_urn(f->p1, "0712345678", norm, sizeof(norm)), 0);
    assert_string_equal(norm, "tel:+254712345678");
    /* a short code stays as it was; other schemes as before */
    assert_int_equal(
        privacy_canonical_urn(f->p1, "tel:12345", norm, sizeof(norm)), 0);
    assert_string_equal(norm, "tel:12345");
    assert_int_equal(privacy_canonical_urn(f->p1, "WhatsApp:254712345678", norm,
                                           sizeof(norm)),
                     0);
    assert_string_equal(norm, "whatsapp:254712345678");
    /* the old key of a number that came without "+" was another one */
    assert_int_equal(privacy_legacy_key(f->p1, "254712345678", k), 0);
    assert_string_not_equal(k, k0);
    assert_int_equal(privacy_legacy_key(f->p1, "tel:+254712345678", k), 0);
    assert_string_equal(k, k0);
    /* without a country the local form cannot be placed */
    assert_int_equal(privacy_set_country(f->p1, NULL), 0);
    assert_int_equal(privacy_contact_key(f->p1, "0712345678", k), 0);
    assert_string_not_equal(k, k0);
    assert_int_equal(privacy_contact_key(f->p1, "254712345678", k), 0);
    assert_string_equal(k, k0);
    assert_int_equal(privacy_set_country(f->p1, "ZZ"), SK_EINVAL);
    assert_int_equal(privacy_set_country(f->p1, ""), 0);
}

/* The dedupe id of an erased message: keyed, per channel, no id in it. */
static void
test_dedupe_id(void **state)
{
    struct fixture *f = *state;
    char a[PRIVACY_DEDUPE_MAX], b[PRIVACY_DEDUPE_MAX];

    assert_int_equal(privacy_dedupe_id(f->p1, "demo", "SM0123456789", a), 0);
    assert_int_equal(strlen(a), 65);
    assert_int_equal(a[0], '#');
    assert_null(strstr(a, "0123456789"));
    assert_int_equal(privacy_dedupe_id(f->p1, "demo", "SM0123456789", b), 0);
    assert_string_equal(a, b);
    assert_int_equal(privacy_dedupe_id(f->p1, "other", "SM0123456789", b), 0);
    assert_string_not_equal(a, b);
    assert_int_equal(privacy_dedupe_id(f->p2, "demo", "SM0123456789", b), 0);
    assert_string_not_equal(a, b);
    assert_int_equal(privacy_dedupe_id(f->p1, "demo", NULL, b), SK_EINVAL);
    assert_string_equal(b, "");
}

static void
test_seal_round_trip(void **state)
{
    struct fixture *f = *state;
    char ck[PRIVACY_KEY_HEX];
    const char *urn = "tel:+254700000001";
    unsigned char *b1, *b2;
    size_t n1, n2;
    char *plain;

    assert_int_equal(privacy_contact_key(f->p1, urn, ck), 0);
    b1 = privacy_seal(f->p1, ck, urn, &n1);
    assert_non_null(b1);
    assert_int_equal(n1, strlen(urn) + PRIVACY_SEAL_OVERHEAD);
    plain = privacy_open_blob(f->p1, ck, b1, n1);
    assert_non_null(plain);
    assert_string_equal(plain, urn);
    free(plain);

    /* fresh nonce each time: two seals of one text differ */
    b2 = privacy_seal(f->p1, ck, urn, &n2);
    assert_non_null(b2);
    assert_int_equal(n1, n2);
    assert_memory_not_equal(b1, b2, n1);
    free(b2);

    /* the empty text seals too */
    b2 = privacy_seal(f->p1, ck, "", &n2);
    assert_non_null(b2);
    assert_int_equal(n2, PRIVACY_SEAL_OVERHEAD);
    plain = privacy_open_blob(f->p1, ck, b2, n2);
    assert_non_null(plain);
    assert_string_equal(plain, "");
    free(plain);
    free(b2);
    free(b1);
}

static bool
contains(const unsigned char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);

    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

static void
test_seal_hides_number(void **state)
{
    struct fixture *f = *state;
    char ck[PRIVACY_KEY_HEX];
    const char *urn = "tel:+254700000001";
    unsigned char *blob;
    size_t n;

    assert_int_equal(privacy_contact_key(f->p1, urn, ck), 0);
    for (int i = 0; i < 50; i++) {
        blob = privacy_seal(f->p1, ck, urn, &n);
        assert_non_null(blob);
        assert_false(contains(blob, n, "254700000001"));
        assert_false(contains(blob, n, "0000001"));
        assert_false(contains(blob, n, "tel:"));
        free(blob);
    }
}

static void
test_open_blob_rejects(void **state)
{
    struct fixture *f = *state;
    char ck[PRIVACY_KEY_HEX], ck2[PRIVACY_KEY_HEX];
    const char *urn = "tel:+254700000001";
    unsigned char *blob;
    size_t n;

    assert_int_equal(privacy_contact_key(f->p1, urn, ck), 0);
    assert_int_equal(privacy_contact_key(f->p1, "tel:+254700000002", ck2), 0);
    blob = privacy_seal(f->p1, ck, urn, &n);
    assert_non_null(blob);

    /* every single flipped bit is caught: nonce, ciphertext and tag */
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            blob[i] ^= (unsigned char)(1u << bit);
            assert_null(privacy_open_blob(f->p1, ck, blob, n));
            blob[i] ^= (unsigned char)(1u << bit);
        }
    }
    /* sealed for one contact, cannot be opened as another */
    assert_null(privacy_open_blob(f->p1, ck2, blob, n));
    /* another key file cannot open it */
    assert_null(privacy_open_blob(f->p2, ck, blob, n));
    /* truncated, at every length */
    for (size_t len = 0; len < n; len++)
        assert_null(privacy_open_blob(f->p1, ck, blob, len));
    assert_null(privacy_open_blob(f->p1, ck, NULL, n));
    assert_null(privacy_open_blob(f->p1, NULL, blob, n));
    assert_null(privacy_open_blob(NULL, ck, blob, n));
    /* still fine untouched */
    {
        char *plain = privacy_open_blob(f->p1, ck, blob, n);

        assert_non_null(plain);
        assert_string_equal(plain, urn);
        free(plain);
    }
    free(blob);
    assert_null(privacy_seal(f->p1, NULL, urn, &n));
    assert_int_equal(n, 0);
    assert_null(privacy_seal(f->p1, ck, NULL, &n));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keygen_file),
        cmocka_unit_test(test_keygen_refuses_overwrite),
        cmocka_unit_test(test_open_refuses_loose_mode),
        cmocka_unit_test(test_open_refuses_bad_content),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_contact_key),
        cmocka_unit_test(test_one_child_one_key),
        cmocka_unit_test(test_dedupe_id),
        cmocka_unit_test(test_seal_round_trip),
        cmocka_unit_test(test_seal_hides_number),
        cmocka_unit_test(test_open_blob_rejects),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
