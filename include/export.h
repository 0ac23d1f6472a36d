/*
 * export.h - children's answers written for analysts, anonymised by
 * construction: rows (as the store hands them over) become CSV, XLSX,
 * JSONL, a FLOIP Flow Results package, or counts with small cells
 * suppressed.
 *
 * Every row carries a pseudonym instead of the contact key: the first 16
 * hex digits of HMAC-SHA256(key, contact key), the key chosen by the
 * caller (fresh and random per export, or derived from the secret key for
 * pseudonyms that stay the same across exports). The value, category and
 * input of an answer are scrubbed (scrub.h); in CSV and XLSX every text
 * cell is neutralised against formulas. Dates are UTC, to the day unless
 * asked to the hour.
 *
 * Output is atomic: export_open() writes into a temporary file (for
 * FLOIP, a temporary directory) beside the destination and
 * export_finish() moves it into place, refusing to replace anything that
 * is there. Whatever fails before, nothing appears at the destination.
 *
 * One thread at a time per struct export.
 */
#ifndef SK_EXPORT_H
#define SK_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct store_export_count;
struct store_export_row;

enum export_format {
    EXPORT_CSV,
    EXPORT_XLSX,
    EXPORT_JSONL,
    EXPORT_FLOIP,
    EXPORT_SUMMARY,
};

#define EXPORT_KEY_LEN 32 /* bytes of the pseudonym key */
#define EXPORT_PSEUDONYM_HEX                                                   \
    17 /* 16 hex digits and NUL                                                \
        */

/* "csv", "xlsx", "jsonl", "floip", "summary": 0, else SK_EINVAL. */
int export_format_parse(const char *name, enum export_format *out);
const char *export_format_name(enum export_format f);

/* Whether the format takes rows (export_row), counts (export_count) or
 * both (XLSX: one sheet per flow and a summary sheet). */
bool export_wants_rows(enum export_format f);
bool export_wants_counts(enum export_format f);

struct export_opts {
    enum export_format format;
    unsigned char key[EXPORT_KEY_LEN]; /* pseudonym key */
    bool bom;           /* CSV: a UTF-8 byte order mark first, for Excel */
    bool hour;          /* dates to the hour, else to the day */
    int min_cell;       /* summaries: counts below are suppressed */
    const char *by;     /* summaries: the breakdown result, or NULL */
    const char *title;  /* FLOIP: the package title (the flow), or NULL */
    int64_t created_ms; /* FLOIP: when the package was made */
};

struct export;

/*
 * Starts an export to out (a file; for FLOIP a directory). NULL with err
 * set when out already exists (SK_EEXIST in *rc), when the temporary
 * output cannot be made (SK_EIO) or memory runs out (SK_ENOMEM).
 */
struct export *export_open(const struct export_opts *o, const char *out,
                           int *rc, char err[SK_ERR_LEN]);

/* Adds one answer; rows come grouped by flow name. 0 or SK_E*. */
int export_row(struct export *x, const struct store_export_row *row);

/* Adds one count; counts come ordered by flow, result, category, group
 * (store_export_counts() order). 0 or SK_E*. */
int export_count(struct export *x, const struct store_export_count *c);

/* Completes the output and moves it into place; frees x either way.
 * 0, or SK_E* with err set (then nothing is left at out). */
int export_finish(struct export *x, char err[SK_ERR_LEN]);

/* Drops the output; frees x. NULL is a no-op. */
void export_abort(struct export *x);

/* The pseudonym of contact_key under key (exposed for tests). */
void export_pseudonym(const unsigned char key[EXPORT_KEY_LEN],
                      const char *contact_key, char out[EXPORT_PSEUDONYM_HEX]);

#endif
