/*
 * fuzz_sig.c - libFuzzer target: signature canonicalisation (sig.c) for
 * Twilio and Vonage over parameters decoded from the input.
 *
 * Input: up to the first '\n' a URL path and query, then a form body.
 * Invariants: each signature is deterministic; a signature computed over
 * the parameters verifies (Twilio with and without the default port;
 * Vonage with the "sig" parameter appended, when the body has none); and
 * it no longer verifies under another secret. One thread (libFuzzer's).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "channels.h"
#include "sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_twilio(const char *url, const struct sig_param *params, size_t n)
{
    char a[SIG_TWILIO_LEN], b[SIG_TWILIO_LEN];

    if (sig_twilio("tok", url, params, n, a) != 0)
        return;
    if (sig_twilio("tok", url, params, n, b) != 0 || strcmp(a, b) != 0)
        abort();
    if (!sig_twilio_verify("tok", url, params, n, a))
        abort();
    if (sig_twilio_verify("tok2", url, params, n, a))
        abort();
}

static void
check_vonage(struct sig_param *params, size_t n)
{
    static const char *const methods[] = {"md5hash", "md5", "sha1", "sha256",
                                          "sha512"};
    char a[SIG_VONAGE_LEN], b[SIG_VONAGE_LEN];

    for (size_t i = 0; i < n; i++)
        if (strcmp(params[i].key, "sig") == 0)
            return;
    for (size_t m = 0; m < 5; m++) {
        if (sig_vonage(methods[m], "sec", params, n, a) != 0)
            abort();
        if (sig_vonage(methods[m], "sec", params, n, b) != 0 ||
            strcmp(a, b) != 0)
            abort();
        params[n].key = "sig";
        params[n].value = a;
        if (!sig_vonage_verify(methods[m], "sec", params, n + 1))
            abort();
        if (sig_vonage_verify(methods[m], "sec2", params, n + 1))
            abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct channel_pairs p = {0};
    struct sig_param *params = NULL;
    char err[SK_ERR_LEN], *s, *url = NULL;
    const char *nl;
    size_t plen;

    if ((s = malloc(size + 1)) == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    nl = memchr(s, '\n', size);
    plen = nl != NULL ? (size_t)(nl - s) : size;
    if ((url = malloc(plen + sizeof("https://hotline.example.org"))) == NULL)
        goto out;
    memcpy(url, "https://hotline.example.org", 27);
    memcpy(url + 27, s, plen);
    url[27 + plen] = '\0';
    if (nl != NULL && channel_pairs_form(&p, nl + 1, size - plen - 1, err) != 0)
        goto out;
    if ((params = calloc(p.n + 1, sizeof(*params))) == NULL)
        goto out;
    for (size_t i = 0; i < p.n; i++) {
        params[i].key = p.v[i].key;
        params[i].value = p.v[i].value;
    }
    check_twilio(url, params, p.n);
    sig_twilio_body_ok(url, s, size);
    check_vonage(params, p.n);
out:
    free(params);
    free(url);
    free(s);
    channel_pairs_clear(&p);
    return 0;
}
