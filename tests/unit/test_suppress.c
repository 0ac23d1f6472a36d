/*
 * test_suppress.c - small-cell suppression: primary below min_cell, and
 * secondary so that no hidden count can be worked out from the totals.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "suppress.h"

static struct suppress *
table(size_t rows, size_t cols, const int64_t *cells)
{
    struct suppress *t = suppress_new(rows, cols);

    assert_non_null(t);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            suppress_add(t, r, c, cells[r * cols + c]);
    return t;
}

static bool
hidden(const struct suppress *t, size_t r, size_t c)
{
    bool h;

    suppress_get(t, r, c, &h);
    return h;
}

/* The case: one category with 3 answers, and a total that would
 * reveal it once the other categories are shown. */
static void
test_one_small_category(void **state)
{
    const int64_t cells[] = {3, 12};
    struct suppress *t = table(2, 1, cells);
    bool h;

    (void)state;
    assert_int_equal(suppress_run(t, 5), 0);
    assert_true(hidden(t, 0, 0));
    /* 15 - 12 would give the 3 away: the 12 goes too */
    assert_true(hidden(t, 1, 0));
    assert_int_equal(suppress_get(t, 2, 0, &h), 15);
    assert_false(h);
    /* the row totals of a one-column table are the cells */
    assert_true(hidden(t, 0, 1));
    suppress_free(t);
}

static void
test_complement_is_smallest(void **state)
{
    const int64_t cells[] = {10, 3, 8, 20};
    struct suppress *t = table(4, 1, cells);

    (void)state;
    assert_int_equal(suppress_run(t, 5), 0);
    assert_false(hidden(t, 0, 0));
    assert_true(hidden(t, 1, 0));
    assert_true(hidden(t, 2, 0)); /* the 8, the smallest other */
    assert_false(hidden(t, 3, 0));
    assert_false(hidden(t, 4, 0)); /* the total of 41 is shown */
    suppress_free(t);
}

/* Two small cells whose sum is still small: a third goes. */
static void
test_small_sum(void **state)
{
    const int64_t cells[] = {1, 2, 30, 40};
    struct suppress *t = table(4, 1, cells);

    (void)state;
    assert_int_equal(suppress_run(t, 5), 0);
    assert_true(hidden(t, 0, 0));
    assert_true(hidden(t, 1, 0));
    assert_true(hidden(t, 2, 0));
    assert_false(hidden(t, 3, 0));
    suppress_free(t);
}

/* Only one category, below min_cell: the total is the cell. */
static void
test_small_total(void **state)
{
    const int64_t cells[] = {3, 0};
    struct suppress *t = table(2, 1, cells);
    bool h;

    (void)state;
    assert_int_equal(suppress_run(t, 5), 0);
    assert_true(hidden(t, 0, 0));
    assert_int_equal(suppress_get(t, 1, 0, &h), 0);
    assert_false(h); /* zeros are shown */
    assert_true(hidden(t, 2, 0));
    suppress_free(t);
}

static void
test_nothing_small(void **state)
{
    const int64_t cells[] = {5, 0, 9};
    struct suppress *t = table(3, 1, cells);

    (void)state;
    assert_int_equal(suppress_run(t, 5), 0);
    for (size_t r = 0; r <= 3; r++)
        assert_false(hidden(t, r, 0));
    suppress_free(t);
}

/* A breakdown: categories by age band. The small cell and its smallest
 * neighbour in the row go, every row and column hides none or two or
 * more, and all totals stay. */
static void
test_breakdown(void **state)
{
    const int64_t cells[] = {
        3,  10, 12, /* */
        20, 15, 9,  /* */
        11, 30, 25,
    };
    struct suppress *t = table(3, 3, cells);
    size_t r, c, n;

    (void)state;
    assert_int_equal(suppress_run(t, 5), 0);
    assert_true(hidden(t, 0, 0));
    assert_true(hidden(t, 0, 1)); /* the 10, not the 12 */
    for (r = 0; r < 3; r++) {
        for (c = 0, n = 0; c < 3; c++)
            n += hidden(t, r, c);
        assert_true(n == 0 || n >= 2);
        assert_false(hidden(t, r, 3));
    }
    for (c = 0; c < 3; c++) {
        for (r = 0, n = 0; r < 3; r++)
            n += hidden(t, r, c);
        assert_true(n == 0 || n >= 2);
        assert_false(hidden(t, 3, c));
    }
    assert_false(hidden(t, 3, 3));
    suppress_free(t);
}

/*
 * Whether the line sums determine some hidden small entry, found the slow
 * way: for each hidden entry, search for two fillings of the hidden
 * entries (0..max each) that agree with every shown total but differ
 * there. Only for tiny tables.
 */
struct brute {
    const struct suppress *t;
    size_t rows, cols, h;
    size_t pos[16];
    int64_t val[16];
    int64_t lo[16], hi[16]; /* range of each hidden entry over fillings */
    int max;
};

static int64_t
entry(struct brute *b, size_t r, size_t c)
{
    bool hid;
    int64_t v = suppress_get(b->t, r, c, &hid);

    for (size_t k = 0; k < b->h; k++)
        if (b->pos[k] == r * (b->cols + 1) + c)
            return b->val[k];
    return v;
}

static bool
consistent(struct brute *b)
{
    size_t r, c;
    int64_t s;

    for (c = 0; c < b->cols; c++) {
        for (r = 0, s = 0; r < b->rows; r++)
            s += entry(b, r, c);
        if (s != entry(b, b->rows, c))
            return false;
    }
    if (b->cols == 1)
        return true;
    for (r = 0; r <= b->rows; r++) {
        for (c = 0, s = 0; c < b->cols; c++)
            s += entry(b, r, c);
        if (s != entry(b, r, b->cols))
            return false;
    }
    for (r = 0, s = 0; r < b->rows; r++)
        s += entry(b, r, b->cols);
    return s == entry(b, b->rows, b->cols);
}

static void
search(struct brute *b, size_t k)
{
    if (k == b->h) {
        if (!consistent(b))
            return;
        for (size_t i = 0; i < b->h; i++) {
            if (b->val[i] < b->lo[i])
                b->lo[i] = b->val[i];
            if (b->val[i] > b->hi[i])
                b->hi[i] = b->val[i];
        }
        return;
    }
    for (int v = 0; v <= b->max; v++) {
        b->val[k] = v;
        search(b, k + 1);
    }
}

/* Random 3 x 2 tables with small counts: what is shown never pins down a
 * hidden small count, and no shown count is small. */
static void
test_random_tables(void **state)
{
    unsigned seed = 12345;
    int checked = 0;

    (void)state;
    for (int round = 0; round < 150; round++) {
        int64_t cells[6];
        struct suppress *t;
        struct brute b = {0};
        size_t r, c;
        bool hid;

        for (size_t i = 0; i < 6; i++) {
            seed = seed * 1103515245u + 12345u;
            cells[i] = (seed >> 16) % 9;
        }
        t = table(3, 2, cells);
        assert_int_equal(suppress_run(t, 4), 0);
        b.t = t;
        b.rows = 3;
        b.cols = 2;
        for (r = 0; r <= 3; r++)
            for (c = 0; c <= 2; c++) {
                int64_t v = suppress_get(t, r, c, &hid);

                if (!hid) {
                    assert_false(v > 0 && v < 4);
                    continue;
                }
                if (b.h < 16)
                    b.pos[b.h++] = r * 3 + c;
                if (v + 3 > b.max)
                    b.max = (int)v + 3;
            }
        if (b.h > 4 || b.max > 24) { /* too big a search */
            suppress_free(t);
            continue;
        }
        for (size_t k = 0; k < b.h; k++) {
            b.lo[k] = INT64_MAX;
            b.hi[k] = INT64_MIN;
        }
        search(&b, 0);
        checked++;
        for (size_t k = 0; k < b.h; k++) {
            int64_t v = suppress_get(t, b.pos[k] / 3, b.pos[k] % 3, &hid);

            if (v > 0 && v < 4 && b.lo[k] == b.hi[k])
                fail_msg("round %d: hidden %lld at %zu is determined", round,
                         (long long)v, b.pos[k]);
        }
        suppress_free(t);
    }
    /* most rounds are small enough to search */
    assert_true(checked > 50);
}

static void
test_limits(void **state)
{
    (void)state;
    assert_null(suppress_new(0, 1));
    assert_null(suppress_new(1, 0));
    assert_null(suppress_new(SUPPRESS_MAX_ROWS + 1, 1));
    assert_null(suppress_new(1, SUPPRESS_MAX_COLS + 1));
    suppress_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_small_category),
        cmocka_unit_test(test_complement_is_smallest),
        cmocka_unit_test(test_small_sum),
        cmocka_unit_test(test_small_total),
        cmocka_unit_test(test_nothing_small),
        cmocka_unit_test(test_breakdown),
        cmocka_unit_test(test_random_tables),
        cmocka_unit_test(test_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
