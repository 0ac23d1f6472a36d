/*
 * fuzz_scrub.c - libFuzzer target: export cell making (scrub_text,
 * scrub_cell).
 *
 * Invariants: a neutralised cell never begins with "=", "+", "-", "@", a
 * tab or a carriage return; neutralising is deterministic and a
 * neutralised cell needs nothing more; scrubbed text neutralises as
 * well. One thread (libFuzzer's).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scrub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_cell(const char *text)
{
    bool oom = false;
    char *a = scrub_cell(text, &oom), *b;

    if (a == NULL)
        return;
    if (strchr("=+-@\t\r", a[0]) != NULL && a[0] != '\0')
        abort();
    if (scrub_cell_needs(a))
        abort();
    b = scrub_cell(text, &oom);
    if (b != NULL && strcmp(a, b) != 0)
        abort();
    free(b);
    free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool oom = false;
    char *s, *clean;

    if ((s = malloc(size + 1)) == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    check_cell(s);
    if ((clean = scrub_text(s, &oom)) != NULL) {
        check_cell(clean);
        free(clean);
    }
    free(s);
    return 0;
}
