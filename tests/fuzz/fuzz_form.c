/*
 * fuzz_form.c - libFuzzer target: form and query decoding as the channel
 * types use it (channel_form_decode, channel_pairs_form,
 * channel_pairs_json, channel_pairs_request).
 *
 * The input is read as a form, as a JSON body and as a query with a
 * body. Invariants: decoding is deterministic (the same input gives the
 * same pairs twice), a decoded value is never longer than its encoding,
 * and a value channel_form_decode finds is the one channel_pairs_get
 * finds. One thread (libFuzzer's).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "channels.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_pairs(const char *s, size_t len)
{
    struct channel_pairs a = {0}, b = {0};
    char err[SK_ERR_LEN];
    int ra = channel_pairs_form(&a, s, len, err);
    int rb = channel_pairs_form(&b, s, len, err);

    if (ra != rb || a.n != b.n)
        abort();
    for (size_t i = 0; ra == 0 && i < a.n; i++) {
        if (strcmp(a.v[i].key, b.v[i].key) != 0 ||
            a.v[i].value_len != b.v[i].value_len ||
            memcmp(a.v[i].value, b.v[i].value, a.v[i].value_len) != 0 ||
            a.v[i].value_len > len)
            abort();
    }
    if (ra == 0) {
        struct channel_field f[3] = {
            {.name = "from"}, {.name = "text"}, {.name = "id"}};

        if (channel_form_decode(s, len, f, 3, err) == 0) {
            for (size_t i = 0; i < 3; i++) {
                bool dup = false;
                const char *v = channel_pairs_get(&a, f[i].name, &dup);

                if (!dup && (v == NULL) != (f[i].value == NULL))
                    abort();
                if (!dup && v != NULL && strcmp(v, f[i].value) != 0)
                    abort();
            }
            channel_fields_clear(f, 3);
        }
    }
    channel_pairs_clear(&a);
    channel_pairs_clear(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct channel_request req = {0};
    struct channel_pairs p = {0};
    char err[SK_ERR_LEN];
    const char *nl;
    char *s;

    if ((s = malloc(size + 1)) == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    check_pairs(s, size);
    if (channel_pairs_json(&p, s, size, err) == 0) {
        const char *v;

        channel_pairs_text(&p, "text", &v, err);
    }
    channel_pairs_clear(&p);
    /* query up to the first newline, the rest a form body */
    nl = memchr(s, '\n', size);
    if (nl != NULL) {
        s[nl - s] = '\0';
        req.query = s;
        req.body = nl + 1;
        req.body_len = size - (size_t)(nl + 1 - s);
        req.content_type = size % 2 ? "application/json" : NULL;
        channel_pairs_request(&p, &req, err);
        channel_pairs_clear(&p);
    }
    free(s);
    return 0;
}
