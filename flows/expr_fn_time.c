/*
 * expr_fn_time.c - goflow's time-of-day and calendar functions: time,
 * time_from_parts, date_from_parts, week_number, tz, tz_offset,
 * and replace_time. Pure; any thread.
 *
 * A time of day is a text value in goflow's rendering, "10:30:00.000000"
 * (hours, minutes, seconds, microseconds), so it prints, compares and
 * converts as text does. Reading one follows goflow: a number 0..23 is
 * that hour, a datetime gives its wall clock, other text is searched for
 * goflow's time pattern ("10:30", "10:30:45 PM", "2pm").
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "calendar.h"
#include "expr_funcs.h"
#include "tz.h"
#include "xval.h"

struct tod {
    int h, mi, s, us;
};

static json_t *
tod_value(const struct tod *t)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%02d:%02d:%02d.%06d", t->h % 100, t->mi % 100,
             t->s % 100, t->us % 1000000);
    return json_string(buf);
}

static int
digits_at(const char *s, size_t n)
{
    int v = 0;

    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* goflow's time finder over s; 0 with *t set, or -1. */
static int
find_time(const char *s, struct tod *t)
{
    static const char pattern[] =
        "\\b(\\d{1,2})(?:(?:\\:)?(\\d{2})(?:\\:(\\d{2})(?:\\.(\\d+))?)?)?"
        "\\W*([aApP][mM])?\\b";
    pcre2_code *re;
    pcre2_match_data *md;
    int errcode, found = -1;
    PCRE2_SIZE erroff, off = 0, len = strlen(s);

    re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &errcode,
                       &erroff, NULL);
    if (re == NULL)
        return -1;
    md = pcre2_match_data_create_from_pattern(re, NULL);
    while (md != NULL && found != 0 && off <= len &&
           pcre2_match(re, (PCRE2_SPTR)s, len, off, 0, md, NULL) > 0) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        int g[4] = {0, 0, 0, 0}, us = 0, nd = 0;
        char ampm = '\0';

        for (int i = 1; i <= 3; i++)
            if (ov[2 * i] != PCRE2_UNSET)
                g[i] = digits_at(s + ov[2 * i], ov[2 * i + 1] - ov[2 * i]);
        if (ov[8] != PCRE2_UNSET)
            for (size_t i = ov[8]; i < ov[9]; i++, nd++)
                if (nd < 6)
                    us = us * 10 + (s[i] - '0');
        for (; nd < 6; nd++)
            us *= 10;
        if (ov[10] != PCRE2_UNSET)
            ampm = (char)tolower((unsigned char)s[ov[10]]);
        if (g[1] < 12 && ampm == 'p')
            g[1] += 12;
        else if (g[1] == 12 && ampm == 'a')
            g[1] = 0;
        if (g[1] == 24 && g[2] == 0 && g[3] == 0 && us == 0)
            g[1] = 0;
        if (g[1] <= 23 && g[2] <= 59 && g[3] <= 59) {
            *t = (struct tod){g[1], g[2], g[3], us};
            found = 0;
        }
        off = ov[1] > off ? ov[1] : off + 1;
    }
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return found;
}

/* Whether s is an ISO datetime ("YYYY-MM-DDThh:mm..."), as our datetime
 * values are: its wall clock is its time of day. */
static bool
iso_datetime_text(const char *s)
{
    return strlen(s) >= 16 && isdigit((unsigned char)s[0]) && s[4] == '-' &&
           s[7] == '-' && s[10] == 'T' && s[13] == ':';
}

/* v as a time of day, or a new error value. */
static json_t *
to_tod(const struct expr_env *env, const json_t *v, struct tod *t)
{
    const json_t *r = xval_resolve(v);
    char *desc;
    json_t *e;

    if (xval_is_error(v))
        return json_incref((json_t *)v);
    if (json_is_integer(r) && json_integer_value(r) >= 0 &&
        json_integer_value(r) <= 24) {
        *t = (struct tod){(int)json_integer_value(r) % 24, 0, 0, 0};
        return NULL;
    }
    if (json_is_string(r)) {
        const char *s = json_string_value(r);
        struct exprf_dt dt;

        if (iso_datetime_text(s) && exprf_to_dt(env, r, &dt, "") == NULL) {
            *t = (struct tod){dt.h, dt.mi, dt.s, dt.us};
            return NULL;
        }
        if (find_time(s, t) == 0)
            return NULL;
    }
    desc = exprf_describe(r);
    e = xval_error("unable to convert %s to a time", desc ? desc : "value");
    free(desc);
    return e;
}

json_t *
exprf_time(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct tod t;
    json_t *e;

    (void)n;
    if ((e = to_tod(env, a[0], &t)) != NULL)
        return e;
    return tod_value(&t);
}

/* Three integer arguments, or the first error. */
static json_t *
three_ints(json_t *const *a, long long v[3])
{
    json_t *e;

    for (int i = 0; i < 3; i++)
        if ((e = exprf_to_int(a[i], &v[i])) != NULL)
            return e;
    return NULL;
}

json_t *
exprf_time_from_parts(const struct expr_env *env, json_t *const *a, size_t n)
{
    long long v[3];
    json_t *e;

    (void)env;
    (void)n;
    if ((e = three_ints(a, v)) != NULL)
        return e;
    if (v[0] < 0 || v[0] > 23)
        return xval_error("invalid value for hour, must be 0-23");
    if (v[1] < 0 || v[1] > 59)
        return xval_error("invalid value for minute, must be 0-59");
    if (v[2] < 0 || v[2] > 59)
        return xval_error("invalid value for second, must be 0-59");
    return tod_value(&(struct tod){(int)v[0], (int)v[1], (int)v[2], 0});
}

json_t *
exprf_date_from_parts(const struct expr_env *env, json_t *const *a, size_t n)
{
    long long v[3];
    int y, m, d;
    char buf[32];
    json_t *e;

    (void)env;
    (void)n;
    if ((e = three_ints(a, v)) != NULL)
        return e;
    if (v[1] < 1 || v[1] > 12)
        return xval_error("invalid value for month, must be 1-12");
    if (v[0] < 1 || v[0] > 9999 || v[2] < -1000000 || v[2] > 1000000)
        return xval_error("date out of range");
    /* a day past the month's end runs on, as Go's time.Date */
    calendar_civil_from_days(
        calendar_days_from_civil(v[0], (int)v[1], 1) + v[2] - 1, &y, &m, &d);
    if (y < 1 || y > 9999)
        return xval_error("date out of range");
    snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
    return json_string(buf);
}

json_t *
exprf_week_number(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct exprf_dt t;
    json_t *e;

    (void)n;
    if ((e = exprf_to_dt(env, a[0], &t, "a date")) != NULL)
        return e;
    return json_integer(calendar_week_of_year(t.y, t.mo, t.d));
}

json_t *
exprf_tz(const struct expr_env *env, json_t *const *a, size_t n)
{
    const char *zone = env->timezone ? env->timezone : "UTC";
    struct exprf_dt t;
    json_t *e;

    (void)n;
    if ((e = exprf_to_dt(env, a[0], &t, "a datetime")) != NULL)
        return e;
    if (t.zone == EXPRF_ZONE_UTC)
        return json_string("UTC");
    /* an offset that is the env zone's at that instant is that zone (as
     * Go's time.ParseInLocation); any other has no name */
    if (t.zone == EXPRF_ZONE_FIXED &&
        exprf_env_offset(env, exprf_dt_epoch(&t)) != t.off)
        return json_string("");
    return json_string(zone);
}

json_t *
exprf_tz_offset(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct exprf_dt t;
    char buf[16];
    int off;
    json_t *e;

    (void)n;
    if ((e = exprf_to_dt(env, a[0], &t, "a datetime")) != NULL)
        return e;
    off = t.off < 0 ? -t.off : t.off;
    snprintf(buf, sizeof(buf), "%c%02d%02d", t.off < 0 ? '-' : '+',
             off / 3600 % 100, off % 3600 / 60);
    return json_string(buf);
}

json_t *
exprf_replace_time(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct exprf_dt t;
    struct tod tod;
    json_t *e;
    int64_t secs;

    (void)n;
    if ((e = exprf_to_dt(env, a[0], &t, "a datetime")) != NULL)
        return e;
    if ((e = to_tod(env, a[1], &tod)) != NULL)
        return e;
    t.h = tod.h;
    t.mi = tod.mi;
    t.s = tod.s;
    t.us = tod.us;
    if (t.zone == EXPRF_ZONE_ENV) { /* the env's offset on that wall clock */
        t.off = 0;
        secs = exprf_dt_epoch(&t);
        t.off = tz_local_offset(env->timezone, env->tz_rule, secs);
    }
    return exprf_dt_value(&t, true);
}
