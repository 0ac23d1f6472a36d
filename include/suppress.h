/*
 * suppress.h - small-cell suppression for published counts.
 *
 * A table holds counts in rows x cols cells (rows: the categories of a
 * result; cols: the groups of a breakdown, one when there is none) and
 * the margins: a total per row (only when cols > 1), a total per column
 * and the grand total. suppress_run() hides:
 *   - primary: every entry (cell or total) from 1 to min_cell - 1;
 *   - secondary: more entries, so that no hidden count can be worked out
 *     from what is shown. Each line (a row or column with its total) that
 *     shows its total must hide none, or at least two entries whose sum
 *     is 0 or min_cell or more; the smallest non-zero shown cell of the
 *     line is hidden next, its total only when no cell is left. Then the
 *     whole set of line sums is solved: a small hidden count that the
 *     shown counts still determine gets another neighbour hidden, until
 *     none does.
 * Zero counts are shown: an empty cell names no child.
 *
 * Pure code, no I/O: any thread, one table per caller.
 */
#ifndef SK_SUPPRESS_H
#define SK_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits of one table (categories and groups). */
#define SUPPRESS_MAX_ROWS 256
#define SUPPRESS_MAX_COLS 64

struct suppress;

/* A table of zero counts; NULL when out of memory or past the limits. */
struct suppress *suppress_new(size_t rows, size_t cols);
void suppress_free(struct suppress *t); /* NULL is a no-op */

/* Adds n to the cell at row r, column c (out of range: ignored). */
void suppress_add(struct suppress *t, size_t r, size_t c, int64_t n);

/* Works out the totals and hides what must be hidden. 0 or SK_ENOMEM. */
int suppress_run(struct suppress *t, int min_cell);

/*
 * The count at row r, column c, after suppress_run(): r == rows names the
 * column totals, c == cols the row totals (with cols == 1, the row total
 * is the cell itself); (rows, cols) is the grand total. *hidden says
 * whether it must not be shown.
 */
int64_t suppress_get(const struct suppress *t, size_t r, size_t c,
                     bool *hidden);

#endif
