/*
 * fuzz_legacy.c - libFuzzer target: the legacy (pre-13) flow migration
 * (legacy_migrate, legacy_export_ids, legacy_template).
 *
 * The input is parsed as JSON; a legacy definition is migrated, and the
 * whole document is tried as an export whose flow ids are resolved. The
 * input is also read as a legacy template under each option. A migrated
 * flow must be an object. One thread (libFuzzer's).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "legacy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
migrate_one(json_t *def)
{
    char err[SK_ERR_LEN];
    json_t *out;

    if (!legacy_is_definition(def))
        return;
    out = legacy_migrate(def, "https://media.example.org", err);
    if (out != NULL && !json_is_object(out))
        abort();
    json_decref(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    json_t *root, *flows, *f;
    size_t i;
    char *s, *t;

    if ((s = malloc(size + 1)) == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    for (unsigned opts = 0; opts < 8; opts++) {
        bool bad = false;

        free(legacy_template(s, opts, &bad));
    }
    if ((t = legacy_template(s, 0, NULL)) != NULL)
        free(t);
    root = json_loadb(s, size, JSON_REJECT_DUPLICATES, &jerr);
    free(s);
    if (root == NULL)
        return 0;
    migrate_one(root);
    flows = json_object_get(root, "flows");
    if (json_is_array(flows) && legacy_export_ids(root) == 0) {
        json_array_foreach(flows, i, f)
        {
            migrate_one(f);
        }
    }
    json_decref(root);
    return 0;
}
