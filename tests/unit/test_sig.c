/*
 * test_sig.c - Twilio and Vonage webhook signatures against the providers'
 * own test vectors, read from $SK_FIXTURES/webhooks/signature-vectors.md
 * (skipped with a message when absent), plus tamper cases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "sig.h"

#define MAX_PARAMS 16

struct params {
    struct sig_param p[MAX_PARAMS];
    char buf[1024];
    size_t n;
};

static char *
read_vectors(void)
{
    const char *dir = getenv("SK_FIXTURES");
    char path[1024];
    FILE *f;
    char *text;
    long len;

    if (dir == NULL)
        return NULL;
    snprintf(path, sizeof(path), "%s/webhooks/signature-vectors.md", dir);
    f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    rewind(f);
    text = malloc((size_t)len + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
    text[len] = '\0';
    fclose(f);
    return text;
}

/* Copies the first "quoted" string after marker in from into out. */
static int
quoted_after(const char *from, const char *marker, char *out, size_t size)
{
    const char *p = strstr(from, marker), *q;

    if (p == NULL || (p = strchr(p + strlen(marker), '"')) == NULL)
        return -1;
    q = strchr(++p, '"');
    if (q == NULL || (size_t)(q - p) >= size)
        return -1;
    memcpy(out, p, (size_t)(q - p));
    out[q - p] = '\0';
    return 0;
}

/* Parses "K=V<sep>K=V..." up to the first char in stop into ps. */
static void
parse_params(struct params *ps, const char *s, const char *sep,
             const char *stop)
{
    size_t len = strcspn(s, stop);
    char *tok, *save = NULL;

    assert_true(len < sizeof(ps->buf));
    memcpy(ps->buf, s, len);
    ps->buf[len] = '\0';
    ps->n = 0;
    for (tok = strtok_r(ps->buf, sep, &save); tok != NULL;
         tok = strtok_r(NULL, sep, &save)) {
        char *eq;

        while (*tok == ' ')
            tok++;
        eq = strchr(tok, '=');
        assert_non_null(eq);
        *eq = '\0';
        assert_true(ps->n < MAX_PARAMS);
        ps->p[ps->n].key = tok;
        ps->p[ps->n].value = eq + 1;
        ps->n++;
    }
}

static void
expect_twilio(const char *token, const char *url, const struct params *ps,
              const char *want)
{
    char got[SIG_TWILIO_LEN];

    assert_int_equal(sig_twilio(token, url, ps->p, ps->n, got), 0);
    assert_string_equal(got, want);
    assert_true(sig_twilio_verify(token, url, ps->p, ps->n, want));
}

static void
test_twilio_vectors(void **state)
{
    char *text = read_vectors();
    char token[64], url[256], want[64], other[512];
    struct params ps;
    const char *line;

    (void)state;
    if (text == NULL) {
        print_message("skipped: no webhook fixtures (SK_FIXTURES)\n");
        skip();
    }
    assert_int_equal(quoted_after(text, "token =", token, sizeof(token)), 0);
    assert_int_equal(quoted_after(text, "url   =", url, sizeof(url)), 0);
    line = strstr(text, "params: ");
    assert_non_null(line);
    parse_params(&ps, line + 8, ",", "\n");
    assert_int_equal(quoted_after(line, "expected =", want, sizeof(want)), 0);
    expect_twilio(token, url, &ps, want);

    /* With the default port: verification accepts both spellings. */
    assert_int_equal(quoted_after(text, ":443", want, sizeof(want)), 0);
    snprintf(other, sizeof(other), "https://mycompany.com:443%s",
             url + strlen("https://mycompany.com"));
    expect_twilio(token, other, &ps, want);
    assert_true(sig_twilio_verify(token, url, ps.p, ps.n, want));

    assert_int_equal(quoted_after(text, "http://...:80 ", want, sizeof(want)),
                     0);
    snprintf(other, sizeof(other), "http://mycompany.com:80%s",
             url + strlen("https://mycompany.com"));
    expect_twilio(token, other, &ps, want);

    assert_int_equal(quoted_after(text, "http://...:1234", want, sizeof(want)),
                     0);
    snprintf(other, sizeof(other), "http://mycompany.com:1234%s",
             url + strlen("https://mycompany.com"));
    expect_twilio(token, other, &ps, want);

    /* Tampering fails. */
    assert_false(sig_twilio_verify(token, url, ps.p, ps.n, want));
    assert_false(sig_twilio_verify("54321", url, ps.p, ps.n, "x"));
    assert_false(sig_twilio_verify(token, url, ps.p, ps.n, NULL));

    /* Duplicate keys sort by key, then value. */
    line = strstr(text, "duplicate keys ");
    assert_non_null(line);
    parse_params(&ps, line + strlen("duplicate keys "), ",", " \n");
    assert_int_equal(ps.n, 4);
    assert_int_equal(quoted_after(line, "->", want, sizeof(want)), 0);
    expect_twilio(token, url, &ps, want);

    /* JSON body signed through bodySHA256. */
    line = strstr(text, "bodySHA256=");
    assert_non_null(line);
    snprintf(other, sizeof(other), "%s&bodySHA256=%.64s", url, line + 11);
    assert_true(sig_twilio_body_ok(
        other, "{\"property\": \"value\", \"boolean\": true}", 38));
    assert_false(sig_twilio_body_ok(other, "{}", 2));
    assert_int_equal(quoted_after(line, "->", want, sizeof(want)), 0);
    ps.n = 0;
    expect_twilio(token, other, &ps, want);
    free(text);
}

static void
test_vonage_vectors(void **state)
{
    char *text = read_vectors();
    char secret[64], want[SIG_VONAGE_LEN], got[SIG_VONAGE_LEN];
    struct params ps = {.n = 0};
    const char *line;
    int checked = 0;

    (void)state;
    if (text == NULL) {
        print_message("skipped: no webhook fixtures (SK_FIXTURES)\n");
        skip();
    }
    assert_int_equal(quoted_after(text, "secret=", secret, sizeof(secret)), 0);
    line = strstr(text, "## Vonage");
    assert_non_null(line);
    for (line = strchr(line, '\n'); line != NULL;
         line = strchr(line + 1, '\n')) {
        struct params with_sig;
        char head[256];
        const char *method, *arrow = strstr(line, "->");
        const char *eol = strchr(line + 1, '\n');

        if (arrow == NULL || (eol != NULL && arrow > eol))
            continue;
        if (strncmp(line, "\n {", 3) == 0)
            parse_params(&ps, line + 3, ",", "}");
        else if (strncmp(line, "\n same,", 7) != 0)
            continue; /* "same" reuses the parameters above */
        snprintf(head, sizeof(head), "%.*s", (int)(arrow - line), line);
        if (strstr(head, "HMAC-SHA256") != NULL)
            method = "sha256";
        else if (strstr(head, "HMAC-MD5") != NULL)
            method = "md5";
        else
            continue;
        sscanf(arrow + 2, " %128[0-9a-f]", want);
        assert_int_equal(sig_vonage(method, secret, ps.p, ps.n, got), 0);
        assert_string_equal(got, want);
        with_sig = ps;
        for (size_t i = 0; i < with_sig.n; i++) { /* rebase into the copy */
            with_sig.p[i].key = with_sig.buf + (ps.p[i].key - ps.buf);
            with_sig.p[i].value = with_sig.buf + (ps.p[i].value - ps.buf);
        }
        with_sig.p[with_sig.n].key = "sig";
        with_sig.p[with_sig.n].value = want;
        with_sig.n++;
        assert_true(sig_vonage_verify(method, secret, with_sig.p, with_sig.n));
        with_sig.p[0].value = "tampered";
        assert_false(sig_vonage_verify(method, secret, with_sig.p, with_sig.n));
        checked++;
    }
    assert_true(checked >= 4);
    free(text);
}

static void
test_vonage_methods(void **state)
{
    struct sig_param p[] = {{"text", "hi"}, {"timestamp", "1"}};
    char a[SIG_VONAGE_LEN], b[SIG_VONAGE_LEN];

    (void)state;
    assert_int_equal(sig_vonage("md5hash", "s", p, 2, a), 0);
    assert_int_equal(strlen(a), 32);
    assert_int_equal(sig_vonage("sha512", "s", p, 2, b), 0);
    assert_int_equal(strlen(b), 128);
    assert_int_equal(sig_vonage("sha1", "s", p, 2, b), 0);
    assert_int_equal(strlen(b), 40);
    assert_int_equal(sig_vonage("rot13", "s", p, 2, b), -1);
    assert_false(sig_vonage_verify("md5", "s", p, 2)); /* no sig */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_twilio_vectors),
        cmocka_unit_test(test_vonage_vectors),
        cmocka_unit_test(test_vonage_methods),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
