/*
 * suppress.c - small-cell suppression (see suppress.h).
 *
 * The table is kept as a (rows + 1) x (cols + 1) grid: the last row holds
 * the column totals, the last column the row totals, the corner the grand
 * total. A "line" is one row or one column of that grid: its cells and
 * the total they add up to. With one column there is one line only (the
 * column and the grand total): the row totals would repeat the cells.
 *
 * Secondary suppression runs in two steps. The line rule (each line that
 * shows its total hides none, or two or more entries summing to 0 or at
 * least min_cell) is the classic heuristic and settles most tables. It is
 * not enough on its own (a hidden cell can still be a "bridge" that the
 * other equations pin down), so the second step solves the system: the
 * unknowns are the hidden entries, each line gives one equation, and the
 * reduced row echelon form tells which unknowns are determined (a row of
 * the form e_k). A determined count below min_cell gets one more
 * neighbour hidden, and the two steps repeat until nothing changes. Past
 * EXACT_MAX unknowns the system is not solved: every total is hidden
 * instead, which leaves each line with an unknown total.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "suppress.h"

#define EXACT_MAX 512 /* hidden entries up to which the system is solved */
#define EPS       1e-9

struct suppress {
    size_t rows, cols;
    int64_t *v;   /* (rows + 1) * (cols + 1) counts */
    bool *hidden; /* same shape */
};

static size_t
at(const struct suppress *t, size_t r, size_t c)
{
    return r * (t->cols + 1) + c;
}

struct suppress *
suppress_new(size_t rows, size_t cols)
{
    struct suppress *t;
    size_t n;

    if (rows == 0 || cols == 0 || rows > SUPPRESS_MAX_ROWS ||
        cols > SUPPRESS_MAX_COLS)
        return NULL;
    if ((t = calloc(1, sizeof(*t))) == NULL)
        return NULL;
    t->rows = rows;
    t->cols = cols;
    n = (rows + 1) * (cols + 1);
    t->v = calloc(n, sizeof(*t->v));
    t->hidden = calloc(n, sizeof(*t->hidden));
    if (t->v == NULL || t->hidden == NULL) {
        suppress_free(t);
        return NULL;
    }
    return t;
}

void
suppress_free(struct suppress *t)
{
    if (t == NULL)
        return;
    free(t->v);
    free(t->hidden);
    free(t);
}

void
suppress_add(struct suppress *t, size_t r, size_t c, int64_t n)
{
    if (t != NULL && r < t->rows && c < t->cols)
        t->v[at(t, r, c)] += n;
}

static size_t
nlines(const struct suppress *t)
{
    return t->cols > 1 ? (t->rows + 1) + (t->cols + 1) : 1;
}

/* Fills idx with the entries of line l (cells, then the total last);
 * returns how many (the total included). idx holds at least
 * max(rows, cols) + 1. */
static size_t
line(const struct suppress *t, size_t l, size_t *idx)
{
    size_t n = 0, k;

    if (t->cols > 1 && l <= t->rows) {
        for (k = 0; k < t->cols; k++)
            idx[n++] = at(t, l, k);
        idx[n++] = at(t, l, t->cols);
        return n;
    }
    if (t->cols > 1)
        l -= t->rows + 1;
    for (k = 0; k < t->rows; k++)
        idx[n++] = at(t, k, l);
    idx[n++] = at(t, t->rows, l);
    return n;
}

static void
totals(struct suppress *t)
{
    size_t r, c;

    for (r = 0; r <= t->rows; r++)
        t->v[at(t, r, t->cols)] = 0;
    for (c = 0; c < t->cols; c++)
        t->v[at(t, t->rows, c)] = 0;
    for (r = 0; r < t->rows; r++)
        for (c = 0; c < t->cols; c++) {
            int64_t x = t->v[at(t, r, c)];

            t->v[at(t, r, t->cols)] += x;
            t->v[at(t, t->rows, c)] += x;
            t->v[at(t, t->rows, t->cols)] += x;
        }
}

static bool
small(int64_t v, int min_cell)
{
    return v > 0 && v < min_cell;
}

/* Hides the smallest non-zero shown cell of the line in idx[0..n) (the
 * total is idx[n - 1]), else its total. Returns whether one was hidden. */
static bool
hide_neighbour(struct suppress *t, const size_t *idx, size_t n)
{
    size_t k, best = n;

    for (k = 0; k + 1 < n; k++) {
        size_t e = idx[k];

        if (t->hidden[e] || t->v[e] <= 0)
            continue;
        if (best == n || t->v[e] < t->v[idx[best]])
            best = k;
    }
    if (best == n)
        best = n - 1;
    if (t->hidden[idx[best]])
        return false;
    t->hidden[idx[best]] = true;
    return true;
}

/* One pass of the line rule; returns whether anything was hidden. */
static bool
line_rule(struct suppress *t, int min_cell, size_t *idx)
{
    bool changed = false;
    size_t l, n, k, nh;
    int64_t sum;

    for (l = 0; l < nlines(t); l++) {
        n = line(t, l, idx);
        if (t->hidden[idx[n - 1]])
            continue;
        for (k = 0, nh = 0, sum = 0; k + 1 < n; k++)
            if (t->hidden[idx[k]]) {
                nh++;
                sum += t->v[idx[k]];
            }
        if (nh == 1 || (nh > 1 && small(sum, min_cell)))
            changed |= hide_neighbour(t, idx, n);
    }
    return changed;
}

/*
 * Solves the line equations over the hidden entries and writes into det[e]
 * whether the shown counts determine hidden entry e. SK_ENOMEM; SK_ELIMIT
 * past EXACT_MAX unknowns.
 */
static int
determined(const struct suppress *t, bool *det, size_t *idx)
{
    size_t ne = (t->rows + 1) * (t->cols + 1), h = 0, m = nlines(t);
    size_t *col = calloc(ne, sizeof(*col)), *var = NULL;
    double *a = NULL;
    size_t e, l, n, k, r, c, piv = 0;

    if (col == NULL)
        return SK_ENOMEM;
    for (e = 0; e < ne; e++)
        if (t->hidden[e])
            col[e] = h++;
    if (h > EXACT_MAX) {
        free(col);
        return SK_ELIMIT;
    }
    a = calloc(m * (h + 1), sizeof(*a));
    var = calloc(h + 1, sizeof(*var));
    if (a == NULL || var == NULL) {
        free(col);
        free(a);
        free(var);
        return SK_ENOMEM;
    }
    for (e = 0; e < ne; e++)
        if (t->hidden[e])
            var[col[e]] = e;
    for (l = 0; l < m; l++) {
        n = line(t, l, idx);
        for (k = 0; k < n; k++)
            if (t->hidden[idx[k]])
                a[l * h + col[idx[k]]] = k + 1 < n ? 1.0 : -1.0;
    }
    /* reduced row echelon form, partial pivoting */
    for (c = 0; c < h && piv < m; c++) {
        size_t best = piv;

        for (r = piv + 1; r < m; r++)
            if (fabs(a[r * h + c]) > fabs(a[best * h + c]))
                best = r;
        if (fabs(a[best * h + c]) < EPS)
            continue;
        for (k = 0; k < h; k++) {
            double x = a[piv * h + k];

            a[piv * h + k] = a[best * h + k];
            a[best * h + k] = x;
        }
        for (k = 0, n = piv * h; k < h; k++)
            if (k != c)
                a[n + k] /= a[n + c];
        a[n + c] = 1.0;
        for (r = 0; r < m; r++) {
            double f = a[r * h + c];

            if (r == piv || fabs(f) < EPS)
                continue;
            for (k = 0; k < h; k++)
                a[r * h + k] -= f * a[n + k];
        }
        piv++;
    }
    memset(det, 0, ne * sizeof(*det));
    for (r = 0; r < piv; r++) {
        size_t nz = 0, last = 0;

        for (k = 0; k < h; k++)
            if (fabs(a[r * h + k]) > EPS) {
                nz++;
                last = k;
            }
        if (nz == 1)
            det[var[last]] = true;
    }
    free(col);
    free(a);
    free(var);
    return 0;
}

/* Hides a neighbour of entry e (in its row line, else its column line).
 * Returns whether one was hidden. */
static bool
hide_near(struct suppress *t, size_t e, size_t *idx)
{
    size_t l, n, k;

    for (l = 0; l < nlines(t); l++) {
        n = line(t, l, idx);
        for (k = 0; k < n && idx[k] != e; k++)
            ;
        if (k < n && hide_neighbour(t, idx, n))
            return true;
    }
    return false;
}

static void
hide_all_totals(struct suppress *t)
{
    size_t r, c;

    for (r = 0; r <= t->rows; r++)
        t->hidden[at(t, r, t->cols)] = true;
    for (c = 0; c <= t->cols; c++)
        t->hidden[at(t, t->rows, c)] = true;
}

int
suppress_run(struct suppress *t, int min_cell)
{
    size_t ne = (t->rows + 1) * (t->cols + 1), e;
    size_t *idx = calloc(t->rows + t->cols + 2, sizeof(*idx));
    bool *det = calloc(ne, sizeof(*det));
    bool changed = true;
    int rc = 0;

    if (idx == NULL || det == NULL) {
        rc = SK_ENOMEM;
        goto out;
    }
    totals(t);
    for (e = 0; e < ne; e++)
        t->hidden[e] = small(t->v[e], min_cell);
    if (t->cols == 1) /* the row totals repeat the cells */
        for (e = 0; e <= t->rows; e++)
            t->hidden[at(t, e, 1)] = false;
    while (changed) {
        while (line_rule(t, min_cell, idx))
            ;
        changed = false;
        rc = determined(t, det, idx);
        if (rc == SK_ELIMIT) {
            hide_all_totals(t);
            rc = 0;
            break;
        }
        if (rc != 0)
            break;
        for (e = 0; e < ne && !changed; e++)
            if (det[e] && small(t->v[e], min_cell))
                changed = hide_near(t, e, idx);
    }
out:
    free(idx);
    free(det);
    return rc;
}

int64_t
suppress_get(const struct suppress *t, size_t r, size_t c, bool *hidden)
{
    if (t->cols == 1 && c == 1)
        c = 0;
    if (r > t->rows || c > t->cols) {
        *hidden = true;
        return 0;
    }
    *hidden = t->hidden[at(t, r, c)];
    return t->v[at(t, r, c)];
}
