/*
 * export.c - answers written for analysts (see export.h).
 *
 * One struct export per output. Rows arrive grouped by flow, counts
 * ordered by flow, result, category and group; neither is ever held
 * whole: a row is written as it comes (CSV, JSONL and the FLOIP
 * responses through stdio; XLSX through libxlsxwriter in its
 * constant-memory mode, which keeps one row per sheet in memory), and the
 * counts of one result at a time make one table (struct sumtab), which
 * is suppressed (suppress.h) and written once the next result starts.
 * Only the FLOIP questions (a result's categories) are kept to the end,
 * for datapackage.json.
 *
 * Every text that came from a child (value, category, input) goes
 * through scrub_text(); every text cell of CSV and XLSX through
 * scrub_cell(). The atomic move into place is the last step of
 * export_finish(): link() for a file (it fails rather than replace one),
 * rename() for the FLOIP directory after checking that nothing is there.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <xlsxwriter.h>

#include "export.h"
#include "scrub.h"
#include "store.h"
#include "suppress.h"

#define SHEET_UNITS 31    /* Excel's longest sheet name (UTF-16 units) */
#define SHEET_BYTES 128   /* a sheet name in UTF-8, with room to spare */
#define SHEETS_MAX  1000  /* sheets one workbook may get */
#define XLSX_CELL   32000 /* bytes of text one XLSX cell takes */
#define TOTAL       "(total)"
#define ALL         "(all)"
#define NONE        "(none)"
#define HIDDEN      "suppressed"

static const char *const row_header[] = {
    "contact", "flow",  "flow_revision", "result",   "category",
    "value",   "input", "date",          "language", "channel",
};
#define NCOLS (sizeof(row_header) / sizeof(row_header[0]))

/* The counts of one flow's result, as they come. */
struct sumtab {
    char *flow, *result;
    char *cats[SUPPRESS_MAX_ROWS];
    size_t ncat;
    char *grps[SUPPRESS_MAX_COLS];
    size_t ngrp;
    struct sumcell {
        size_t c, g;
        int64_t n;
    } * cells;
    size_t ncells, cap;
};

struct export
{
    struct export_opts o;
    char *by;  /* copy of o.by */
    char *out; /* the destination */
    char *tmp; /* the temporary file or directory */
    FILE *f;   /* CSV, JSONL, summary, FLOIP responses */
    /* XLSX */
    lxw_workbook *wb;
    lxw_format *bold;
    lxw_worksheet *sheet, *summary;
    uint32_t row, sumrow;
    char *sheet_flow; /* the flow the current sheet holds */
    char *names[SHEETS_MAX];
    size_t nnames;
    /* summaries */
    struct sumtab tab;
    bool sum_header;
    /* FLOIP */
    json_t *questions;
    int64_t nrows;
};

/* --- small helpers ---------------------------------------------------- */

int
export_format_parse(const char *name, enum export_format *out)
{
    static const char *const names[] = {"csv", "xlsx", "jsonl", "floip",
                                        "summary"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (name != NULL && strcmp(name, names[i]) == 0) {
            *out = (enum export_format)i;
            return 0;
        }
    return SK_EINVAL;
}

const char *
export_format_name(enum export_format f)
{
    switch (f) {
    case EXPORT_CSV:
        return "csv";
    case EXPORT_XLSX:
        return "xlsx";
    case EXPORT_JSONL:
        return "jsonl";
    case EXPORT_FLOIP:
        return "floip";
    case EXPORT_SUMMARY:
        return "summary";
    }
    return "?";
}

bool
export_wants_rows(enum export_format f)
{
    return f != EXPORT_SUMMARY;
}

bool
export_wants_counts(enum export_format f)
{
    return f == EXPORT_SUMMARY || f == EXPORT_XLSX;
}

void
export_pseudonym(const unsigned char key[EXPORT_KEY_LEN],
                 const char *contact_key, char out[EXPORT_PSEUDONYM_HEX])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    size_t i;

    if (HMAC(EVP_sha256(), key, EXPORT_KEY_LEN,
             (const unsigned char *)contact_key, strlen(contact_key), mac,
             &len) == NULL ||
        len < 8) {
        memset(mac, 0, sizeof(mac)); /* never the contact key itself */
    }
    for (i = 0; i < 8; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[16] = '\0';
}

/* The date of ms (UTC): "YYYY-MM-DD", or "YYYY-MM-DDTHH:00Z" by the hour;
 * for FLOIP an RFC 3339 timestamp at that precision. */
static void
export_date(const struct export *x, int64_t ms, char out[40])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(out, 40, "%s", "");
        return;
    }
    if (x->o.format == EXPORT_FLOIP)
        strftime(out, 40,
                 x->o.hour ? "%Y-%m-%dT%H:00:00+00:00"
                           : "%Y-%m-%dT00:00:00+00:00",
                 &tm);
    else
        strftime(out, 40, x->o.hour ? "%Y-%m-%dT%H:00Z" : "%Y-%m-%d", &tm);
}

/* A text for a cell: scrubbed when it came from a child (scrub), then
 * neutralised for spreadsheets (CSV, XLSX, summary). malloc'd; NULL text
 * gives ""; NULL when out of memory. */
static char *
cell_text(const struct export *x, const char *text, bool scrub)
{
    bool oom = false, sheet = x->o.format == EXPORT_CSV ||
                              x->o.format == EXPORT_XLSX ||
                              x->o.format == EXPORT_SUMMARY;
    char *s, *c;

    if (text == NULL)
        text = "";
    s = scrub ? scrub_text(text, &oom) : strdup(text);
    if (s == NULL || !sheet)
        return s;
    c = scrub_cell(s, &oom);
    free(s);
    return c;
}

/* --- CSV ------------------------------------------------------------- */

/* One RFC 4180 field: quoted when it holds a comma, a quote or a line
 * break, or starts or ends with a space. */
static void
csv_field(FILE *f, const char *s, bool last)
{
    size_t n = strlen(s);

    if (strpbrk(s, ",\"\r\n") != NULL ||
        (n > 0 && (s[0] == ' ' || s[n - 1] == ' '))) {
        fputc('"', f);
        for (; *s != '\0'; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputs(last ? "\r\n" : ",", f);
}

/* --- XLSX sheets ----------------------------------------------------- */

static bool
sheet_bad_char(unsigned char c)
{
    return strchr("[]:*?/\\", c) != NULL;
}

static bool
sheet_taken(const struct export *x, const char *name)
{
    for (size_t i = 0; i < x->nnames; i++)
        if (strcasecmp(x->names[i], name) == 0)
            return true;
    return strcasecmp(name, "History") == 0;
}

/*
 * Copies flow into out as a sheet name: no []:*?/\ (each becomes '_'),
 * no apostrophe at either end, at most units UTF-16 units, never empty.
 */
static void
sheet_base(const char *flow, size_t units, char out[SHEET_BYTES])
{
    const unsigned char *s = (const unsigned char *)flow;
    size_t n = 0, u = 0, len, k, w;

    while (*s != '\0' && n + 5 < SHEET_BYTES) {
        len = *s < 0xc0 ? 1 : *s < 0xe0 ? 2 : *s < 0xf0 ? 3 : 4;
        for (k = 1; k < len; k++)
            if ((s[k] & 0xc0) != 0x80)
                break;
        if (k < len) /* a broken sequence: one byte, replaced */
            len = 1;
        w = len == 4 ? 2 : 1;
        if (u + w > units)
            break;
        if (len == 1 && (*s >= 0x80 || *s < 0x20 || sheet_bad_char(*s))) {
            out[n++] = '_';
        } else {
            memcpy(out + n, s, len);
            n += len;
        }
        u += w;
        s += len;
    }
    out[n] = '\0';
    if (n > 0 && out[0] == '\'')
        out[0] = '_';
    if (n > 0 && out[n - 1] == '\'')
        out[n - 1] = '_';
    if (n == 0)
        snprintf(out, SHEET_BYTES, "%s", "Flow");
}

/* Adds a sheet named after flow (made unique) and writes its header. */
static int
sheet_add(struct export *x, const char *flow, lxw_worksheet **ws)
{
    char name[SHEET_BYTES], base[SHEET_BYTES];
    int k;

    if (x->nnames == SHEETS_MAX)
        return SK_ELIMIT;
    sheet_base(flow, SHEET_UNITS, name);
    for (k = 2; sheet_taken(x, name); k++) {
        char suffix[16];

        snprintf(suffix, sizeof(suffix), " (%d)", k);
        sheet_base(flow, SHEET_UNITS - strlen(suffix), base);
        snprintf(name, sizeof(name), "%s%s", base, suffix);
    }
    if ((x->names[x->nnames] = strdup(name)) == NULL)
        return SK_ENOMEM;
    x->nnames++;
    if ((*ws = workbook_add_worksheet(x->wb, name)) == NULL)
        return SK_EIO;
    return 0;
}

static int
xlsx_string(lxw_worksheet *ws, uint32_t row, uint16_t col, const char *s,
            lxw_format *fmt)
{
    char cut[XLSX_CELL + 1];
    size_t n = strlen(s);

    if (n > XLSX_CELL) { /* at a character boundary */
        n = XLSX_CELL;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
        memcpy(cut, s, n);
        cut[n] = '\0';
        s = cut;
    }
    return worksheet_write_string(ws, row, col, s, fmt) == LXW_NO_ERROR
               ? 0
               : SK_EIO;
}

/* The sheet for a row of flow: a new one when the flow changes or the
 * sheet is full. */
static int
xlsx_sheet_for(struct export *x, const char *flow)
{
    int rc;

    if (x->sheet != NULL && x->row < LXW_ROW_MAX &&
        strcmp(x->sheet_flow, flow) == 0)
        return 0;
    free(x->sheet_flow);
    if ((x->sheet_flow = strdup(flow)) == NULL)
        return SK_ENOMEM;
    if ((rc = sheet_add(x, flow, &x->sheet)) != 0)
        return rc;
    for (size_t c = 0; c < NCOLS; c++)
        if ((rc = xlsx_string(x->sheet, 0, (uint16_t)c, row_header[c],
                              x->bold)) != 0)
            return rc;
    x->row = 1;
    return 0;
}

/* --- opening and finishing ------------------------------------------- */

static int
open_xlsx(struct export *x, char err[SK_ERR_LEN])
{
    char *dir = strdup(x->out), *slash;
    lxw_workbook_options opts = {.constant_memory = LXW_TRUE};
    int rc;

    if (dir == NULL)
        return SK_ENOMEM;
    slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, strlen(dir) + 1, "%s", ".");
    else
        slash[slash == dir ? 1 : 0] = '\0';
    opts.tmpdir = dir;
    x->wb = workbook_new_opt(x->tmp, &opts);
    free(dir);
    if (x->wb == NULL || (x->bold = workbook_add_format(x->wb)) == NULL) {
        sk_seterr(err, "%s: cannot start the workbook", x->out);
        return SK_EIO;
    }
    format_set_bold(x->bold);
    if ((rc = sheet_add(x, "Summary", &x->summary)) != 0)
        sk_seterr(err, "%s: cannot add the summary sheet", x->out);
    return rc;
}

/* Makes the temporary file or directory beside out. */
static int
make_tmp(struct export *x, char err[SK_ERR_LEN])
{
    size_t n = strlen(x->out) + 16;
    int fd;

    if ((x->tmp = malloc(n)) == NULL)
        return SK_ENOMEM;
    snprintf(x->tmp, n, "%s.tmp-XXXXXX", x->out);
    if (x->o.format == EXPORT_FLOIP) {
        if (mkdtemp(x->tmp) == NULL)
            goto fail;
        return 0;
    }
    if ((fd = mkstemp(x->tmp)) < 0)
        goto fail;
    if (x->o.format == EXPORT_XLSX) {
        close(fd); /* libxlsxwriter writes the file by name */
        return 0;
    }
    if ((x->f = fdopen(fd, "w")) == NULL) {
        close(fd);
        unlink(x->tmp);
        goto fail;
    }
    return 0;
fail:
    sk_seterr(err, "%s: cannot create a file beside it: %s", x->out,
              strerror(errno));
    free(x->tmp);
    x->tmp = NULL;
    return SK_EIO;
}

static int
open_floip(struct export *x, char err[SK_ERR_LEN])
{
    size_t n = strlen(x->tmp) + 32;
    char *path = malloc(n);

    if (path == NULL || (x->questions = json_object()) == NULL) {
        free(path);
        return SK_ENOMEM;
    }
    snprintf(path, n, "%s/responses.json", x->tmp);
    x->f = fopen(path, "w");
    free(path);
    if (x->f == NULL) {
        sk_seterr(err, "%s: cannot write the responses: %s", x->out,
                  strerror(errno));
        return SK_EIO;
    }
    fputs("[", x->f);
    return 0;
}

static void
write_header(struct export *x)
{
    if (x->o.format == EXPORT_CSV) {
        if (x->o.bom)
            fputs("\xef\xbb\xbf", x->f);
        for (size_t c = 0; c < NCOLS; c++)
            csv_field(x->f, row_header[c], c + 1 == NCOLS);
    } else if (x->o.format == EXPORT_SUMMARY && x->o.bom) {
        fputs("\xef\xbb\xbf", x->f);
    }
}

struct export *
export_open(const struct export_opts *o, const char *out, int *rc,
            char err[SK_ERR_LEN])
{
    struct export *x;
    struct stat st;

    *rc = 0;
    if (lstat(out, &st) == 0) {
        sk_seterr(err, "%s exists: refusing to overwrite it", out);
        *rc = SK_EEXIST;
        return NULL;
    }
    if ((x = calloc(1, sizeof(*x))) == NULL || (x->out = strdup(out)) == NULL ||
        (o->by != NULL && (x->by = strdup(o->by)) == NULL)) {
        *rc = SK_ENOMEM;
        goto fail;
    }
    x->o = *o;
    x->o.by = x->by;
    if ((*rc = make_tmp(x, err)) != 0)
        goto fail;
    if (o->format == EXPORT_XLSX)
        *rc = open_xlsx(x, err);
    else if (o->format == EXPORT_FLOIP)
        *rc = open_floip(x, err);
    else
        write_header(x);
    if (*rc == 0)
        return x;
fail:
    if (*rc == SK_ENOMEM)
        sk_seterr(err, "out of memory");
    export_abort(x);
    return NULL;
}

/* Removes the temporary FLOIP directory and what it holds. */
static void
remove_tmp_dir(const char *dir)
{
    static const char *const files[] = {"responses.json", "datapackage.json"};
    char path[4096];

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void
sumtab_clear(struct sumtab *t)
{
    size_t i;

    for (i = 0; i < t->ncat; i++)
        free(t->cats[i]);
    for (i = 0; i < t->ngrp; i++)
        free(t->grps[i]);
    free(t->flow);
    free(t->result);
    free(t->cells);
    memset(t, 0, sizeof(*t));
}

void
export_abort(struct export *x)
{
    if (x == NULL)
        return;
    if (x->f != NULL)
        fclose(x->f);
    if (x->wb != NULL)
        workbook_close(x->wb); /* then its file is removed below */
    if (x->tmp != NULL) {
        if (x->o.format == EXPORT_FLOIP)
            remove_tmp_dir(x->tmp);
        else
            unlink(x->tmp);
    }
    for (size_t i = 0; i < x->nnames; i++)
        free(x->names[i]);
    sumtab_clear(&x->tab);
    json_decref(x->questions);
    free(x->sheet_flow);
    free(x->tmp);
    free(x->out);
    free(x->by);
    free(x);
}

/* --- rows ------------------------------------------------------------- */

/* The texts of one row, ready for its format (row_header order). */
struct row_cells {
    char *v[NCOLS];
};

static void
row_cells_free(struct row_cells *rc)
{
    for (size_t i = 0; i < NCOLS; i++)
        free(rc->v[i]);
}

static int
row_cells(const struct export *x, const struct store_export_row *row,
          struct row_cells *rc)
{
    char id[EXPORT_PSEUDONYM_HEX], rev[24] = "", date[40];
    const char *raw[NCOLS];
    size_t i;

    export_pseudonym(x->o.key, row->contact_key != NULL ? row->contact_key : "",
                     id);
    if (row->flow_revision > 0)
        snprintf(rev, sizeof(rev), "%" PRId64, row->flow_revision);
    export_date(x, row->created_at, date);
    raw[0] = id;
    raw[1] = row->flow_name;
    raw[2] = rev;
    raw[3] = row->name;
    raw[4] = row->category;
    raw[5] = row->value;
    raw[6] = row->input;
    raw[7] = date;
    raw[8] = row->language;
    raw[9] = row->channel_type;
    memset(rc, 0, sizeof(*rc));
    for (i = 0; i < NCOLS; i++) {
        /* category, value and input may hold what a child typed */
        if ((rc->v[i] = cell_text(x, raw[i], i >= 4 && i <= 6)) == NULL) {
            row_cells_free(rc);
            return SK_ENOMEM;
        }
    }
    return 0;
}

static int
row_jsonl(struct export *x, const struct store_export_row *row,
          struct row_cells *c)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}", "contact",
        c->v[0], "flow", c->v[1], "flow_revision",
        row->flow_revision > 0 ? json_integer(row->flow_revision) : json_null(),
        "result", c->v[3], "category", c->v[4], "value", c->v[5], "input",
        c->v[6], "date", c->v[7], "language",
        row->language != NULL ? c->v[8] : NULL, "channel",
        row->channel_type != NULL ? c->v[9] : NULL);
    int rc;

    if (o == NULL)
        return SK_ENOMEM;
    rc = json_dumpf(o, x->f, JSON_COMPACT) == 0 ? 0 : SK_EIO;
    json_decref(o);
    fputc('\n', x->f);
    return rc;
}

static int
row_xlsx(struct export *x, const struct store_export_row *row,
         struct row_cells *c)
{
    int rc = xlsx_sheet_for(x, row->flow_name != NULL ? row->flow_name : "");

    for (size_t i = 0; rc == 0 && i < NCOLS; i++) {
        if (i == 2 && row->flow_revision > 0)
            rc = worksheet_write_number(x->sheet, x->row, (uint16_t)i,
                                        (double)row->flow_revision,
                                        NULL) == LXW_NO_ERROR
                     ? 0
                     : SK_EIO;
        else
            rc = xlsx_string(x->sheet, x->row, (uint16_t)i, c->v[i], NULL);
    }
    x->row++;
    return rc;
}

/* The FLOIP question id of a result name: its goflow key (lower case,
 * runs of other characters as one '_'). */
static void
question_id(const char *name, char out[128])
{
    size_t n = 0;
    bool sep = false;

    for (; *name != '\0' && n + 2 < 128; name++) {
        unsigned char ch = (unsigned char)*name;

        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
            if (sep && n > 0)
                out[n++] = '_';
            out[n++] = (char)ch;
            sep = false;
        } else if (ch >= 'A' && ch <= 'Z') {
            if (sep && n > 0)
                out[n++] = '_';
            out[n++] = (char)(ch - 'A' + 'a');
            sep = false;
        } else {
            sep = true;
        }
    }
    if (n == 0)
        out[n++] = 'q';
    out[n] = '\0';
}

/* Records the question of a FLOIP row and the category as one of its
 * choices. */
static int
floip_question(struct export *x, const char *qid, const char *label,
               const char *choice)
{
    json_t *q = json_object_get(x->questions, qid), *choices;
    size_t i;

    if (q == NULL) {
        q = json_pack("{s:s, s:s, s:{s:[]}}", "type", "select_one", "label",
                      label, "type_options", "choices");
        if (q == NULL || json_object_set_new(x->questions, qid, q) != 0)
            return SK_ENOMEM;
    }
    choices = json_object_get(json_object_get(q, "type_options"), "choices");
    for (i = 0; i < json_array_size(choices); i++)
        if (strcmp(json_string_value(json_array_get(choices, i)), choice) == 0)
            return 0;
    return json_array_append_new(choices, json_string(choice)) == 0 ? 0
                                                                    : SK_ENOMEM;
}

static int
row_floip(struct export *x, const struct store_export_row *row,
          struct row_cells *c)
{
    char qid[128];
    json_t *r;
    int rc;

    question_id(c->v[3], qid);
    if ((rc = floip_question(x, qid, c->v[3], c->v[4])) != 0)
        return rc;
    r = json_pack("[s, I, s, n, s, s, {s:s, s:s, s:o, s:s?, s:s?}]", c->v[7],
                  (json_int_t)x->nrows + 1, c->v[0], qid, c->v[4], "value",
                  c->v[5], "input", c->v[6], "flow_revision",
                  row->flow_revision > 0 ? json_integer(row->flow_revision)
                                         : json_null(),
                  "language", row->language != NULL ? c->v[8] : NULL, "channel",
                  row->channel_type != NULL ? c->v[9] : NULL);
    if (r == NULL)
        return SK_ENOMEM;
    fputs(x->nrows > 0 ? ",\n" : "\n", x->f);
    rc = json_dumpf(r, x->f, JSON_COMPACT) == 0 ? 0 : SK_EIO;
    json_decref(r);
    return rc;
}

int
export_row(struct export *x, const struct store_export_row *row)
{
    struct row_cells c;
    int rc;

    if (!export_wants_rows(x->o.format))
        return SK_EINVAL;
    if ((rc = row_cells(x, row, &c)) != 0)
        return rc;
    switch (x->o.format) {
    case EXPORT_CSV:
        for (size_t i = 0; i < NCOLS; i++)
            csv_field(x->f, c.v[i], i + 1 == NCOLS);
        break;
    case EXPORT_JSONL:
        rc = row_jsonl(x, row, &c);
        break;
    case EXPORT_XLSX:
        rc = row_xlsx(x, row, &c);
        break;
    case EXPORT_FLOIP:
        rc = row_floip(x, row, &c);
        break;
    case EXPORT_SUMMARY:
        break;
    }
    row_cells_free(&c);
    if (rc == 0 && x->f != NULL && ferror(x->f))
        rc = SK_EIO;
    if (rc == 0)
        x->nrows++;
    return rc;
}

/* --- counts and summaries -------------------------------------------- */

static int
sum_header(struct export *x)
{
    const char *cols[5] = {"flow", "result", x->by, "category", "count"};
    size_t n = 0, i;
    char *c[5] = {0};
    int rc = 0;

    x->sum_header = true;
    for (i = 0; i < 5; i++) {
        if (cols[i] == NULL)
            continue;
        if ((c[n++] = cell_text(x, cols[i], true)) == NULL)
            rc = SK_ENOMEM;
    }
    for (i = 0; rc == 0 && i < n; i++) {
        if (x->o.format == EXPORT_SUMMARY)
            csv_field(x->f, c[i], i + 1 == n);
        else
            rc = xlsx_string(x->summary, 0, (uint16_t)i, c[i], x->bold);
    }
    for (i = 0; i < n; i++)
        free(c[i]);
    x->sumrow = 1;
    return rc;
}

/* One line of a summary: group is NULL without a breakdown. */
static int
sum_line(struct export *x, const char *group, const char *category, int64_t n,
         bool hidden)
{
    const char *raw[4] = {x->tab.flow, x->tab.result, group, category};
    char *c[4] = {0}, count[24];
    size_t k = 0, i;
    uint16_t col;
    int rc = 0;

    if (!x->sum_header && (rc = sum_header(x)) != 0)
        return rc;
    for (i = 0; i < 4; i++) {
        if (i == 2 && x->by == NULL)
            continue;
        if ((c[k++] = cell_text(x, raw[i], true)) == NULL)
            rc = SK_ENOMEM;
    }
    snprintf(count, sizeof(count), "%" PRId64, n);
    for (i = 0, col = 0; rc == 0 && i < k; i++, col++) {
        if (x->o.format == EXPORT_SUMMARY)
            csv_field(x->f, c[i], false);
        else
            rc = xlsx_string(x->summary, x->sumrow, col, c[i], NULL);
    }
    if (rc == 0 && x->o.format == EXPORT_SUMMARY)
        csv_field(x->f, hidden ? HIDDEN : count, true);
    else if (rc == 0 && hidden)
        rc = xlsx_string(x->summary, x->sumrow, col, HIDDEN, NULL);
    else if (rc == 0)
        rc = worksheet_write_number(x->summary, x->sumrow, col, (double)n,
                                    NULL) == LXW_NO_ERROR
                 ? 0
                 : SK_EIO;
    x->sumrow++;
    for (i = 0; i < k; i++)
        free(c[i]);
    return rc;
}

static const char *
or_none(const char *s)
{
    return s[0] != '\0' ? s : NONE;
}

/* Suppresses the table of the current result and writes it. */
static int
sum_flush(struct export *x)
{
    struct sumtab *t = &x->tab;
    size_t ng = x->by != NULL ? t->ngrp : 1, r, g, i;
    struct suppress *sp;
    int64_t v;
    bool h;
    int rc;

    if (t->ncat == 0)
        return 0;
    if ((sp = suppress_new(t->ncat, ng)) == NULL)
        return SK_ENOMEM;
    for (i = 0; i < t->ncells; i++)
        suppress_add(sp, t->cells[i].c, x->by != NULL ? t->cells[i].g : 0,
                     t->cells[i].n);
    rc = suppress_run(sp, x->o.min_cell);
    for (r = 0; rc == 0 && r <= t->ncat; r++) {
        const char *cat = r < t->ncat ? or_none(t->cats[r]) : TOTAL;

        for (g = 0; rc == 0 && g < ng; g++) {
            v = suppress_get(sp, r, g, &h);
            rc = sum_line(x, x->by != NULL ? or_none(t->grps[g]) : NULL, cat, v,
                          h);
        }
        if (rc == 0 && x->by != NULL) {
            v = suppress_get(sp, r, ng, &h);
            rc = sum_line(x, ALL, cat, v, h);
        }
    }
    suppress_free(sp);
    sumtab_clear(t);
    return rc;
}

static int
sum_index(char **names, size_t *n, size_t max, const char *name, size_t *at)
{
    for (*at = 0; *at < *n; (*at)++)
        if (strcmp(names[*at], name) == 0)
            return 0;
    if (*n == max)
        return SK_ELIMIT;
    if ((names[*n] = strdup(name)) == NULL)
        return SK_ENOMEM;
    (*n)++;
    return 0;
}

int
export_count(struct export *x, const struct store_export_count *c)
{
    struct sumtab *t = &x->tab;
    size_t ci, gi;
    int rc;

    if (!export_wants_counts(x->o.format))
        return SK_EINVAL;
    if (t->flow != NULL &&
        (strcmp(t->flow, c->flow_name) != 0 || strcmp(t->result, c->result))) {
        if ((rc = sum_flush(x)) != 0)
            return rc;
    }
    if (t->flow == NULL && ((t->flow = strdup(c->flow_name)) == NULL ||
                            (t->result = strdup(c->result)) == NULL))
        return SK_ENOMEM;
    if ((rc = sum_index(t->cats, &t->ncat, SUPPRESS_MAX_ROWS, c->category,
                        &ci)) != 0 ||
        (rc = sum_index(t->grps, &t->ngrp, SUPPRESS_MAX_COLS, c->group, &gi)) !=
            0)
        return rc;
    if (t->ncells == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        struct sumcell *nc = realloc(t->cells, cap * sizeof(*nc));

        if (nc == NULL)
            return SK_ENOMEM;
        t->cells = nc;
        t->cap = cap;
    }
    t->cells[t->ncells++] = (struct sumcell){ci, gi, c->n};
    return 0;
}

/* --- finishing -------------------------------------------------------- */

static void
uuid4(char out[37])
{
    unsigned char b[16];
    static const char hex[] = "0123456789abcdef";
    size_t i, n = 0;

    if (RAND_bytes(b, sizeof(b)) != 1)
        memset(b, 0, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[n++] = '-';
        out[n++] = hex[b[i] >> 4];
        out[n++] = hex[b[i] & 15];
    }
    out[n] = '\0';
}

/* datapackage.json of the FLOIP package, beside responses.json. */
static int
floip_descriptor(struct export *x)
{
    char id[37], when[40], name[128], path[4096];
    time_t t = (time_t)(x->o.created_ms / 1000);
    const char *title = x->o.title != NULL ? x->o.title : "Sikiliza answers";
    struct tm tm;
    json_t *d;
    int rc;

    uuid4(id);
    if (gmtime_r(&t, &tm) == NULL)
        return SK_EINVAL;
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
    question_id(title, name);
    for (char *p = name; *p != '\0'; p++)
        if (*p == '_')
            *p = '-';
    d = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s, s:s, s:{s:["
        "{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s},"
        "{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}], s:O}}]}",
        "profile", "flow-results-package", "flow_results_specification_version",
        "1.0.0", "created", when, "modified", when, "id", id, "name", name,
        "title", title, "resources", "profile", "flow-results-data", "name",
        "responses", "path", "responses.json", "schema", "fields", "name",
        "timestamp", "title", "Timestamp", "type", "datetime", "name", "row_id",
        "title", "Row ID", "type", "string", "name", "contact_id", "title",
        "Contact ID", "type", "string", "name", "session_id", "title",
        "Session ID", "type", "string", "name", "question_id", "title",
        "Question ID", "type", "string", "name", "response", "title",
        "Response", "type", "any", "name", "response_metadata", "title",
        "Response Metadata", "type", "object", "questions", x->questions);
    if (d == NULL)
        return SK_ENOMEM;
    snprintf(path, sizeof(path), "%s/datapackage.json", x->tmp);
    rc = json_dump_file(d, path, JSON_INDENT(2)) == 0 ? 0 : SK_EIO;
    json_decref(d);
    return rc;
}

/* Flushes, syncs and closes x->f (whose file is at path). */
static int
close_synced(FILE **f)
{
    int rc = 0;

    if (fflush(*f) != 0 || ferror(*f) || fsync(fileno(*f)) != 0)
        rc = SK_EIO;
    if (fclose(*f) != 0)
        rc = SK_EIO;
    *f = NULL;
    return rc;
}

/* Moves the temporary output to x->out, never replacing what is there. */
static int
move_into_place(struct export *x, char err[SK_ERR_LEN])
{
    struct stat st;

    if (x->o.format == EXPORT_FLOIP) {
        if (lstat(x->out, &st) == 0 || errno != ENOENT) {
            sk_seterr(err, "%s exists: refusing to overwrite it", x->out);
            return SK_EEXIST;
        }
        if (rename(x->tmp, x->out) != 0)
            goto fail;
        free(x->tmp);
        x->tmp = NULL;
        return 0;
    }
    if (link(x->tmp, x->out) != 0) {
        if (errno == EEXIST) {
            sk_seterr(err, "%s exists: refusing to overwrite it", x->out);
            return SK_EEXIST;
        }
        goto fail;
    }
    return 0; /* export_abort() unlinks the temporary name */
fail:
    sk_seterr(err, "%s: %s", x->out, strerror(errno));
    return SK_EIO;
}

int
export_finish(struct export *x, char err[SK_ERR_LEN])
{
    int rc = 0;
    lxw_error le;

    if (export_wants_counts(x->o.format)) {
        rc = sum_flush(x);
        if (rc == 0 && !x->sum_header)
            rc = sum_header(x);
    }
    if (rc == 0 && x->o.format == EXPORT_FLOIP) {
        fputs(x->nrows > 0 ? "\n]\n" : "]\n", x->f);
        rc = close_synced(&x->f);
        if (rc == 0)
            rc = floip_descriptor(x);
    } else if (rc == 0 && x->o.format == EXPORT_XLSX) {
        le = workbook_close(x->wb);
        x->wb = NULL;
        rc = le == LXW_NO_ERROR ? 0 : SK_EIO;
    } else if (rc == 0) {
        rc = close_synced(&x->f);
    }
    if (rc != 0)
        sk_seterr(err, "%s: %s", x->out,
                  rc == SK_ELIMIT   ? "too many categories or sheets"
                  : rc == SK_ENOMEM ? "out of memory"
                                    : "cannot write the export");
    else
        rc = move_into_place(x, err);
    export_abort(x);
    return rc;
}
