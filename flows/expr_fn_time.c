/*
 * expr_fn_time.c - goflow's time-of-day and calendar functions: time,
 * time_from_parts, date_from_parts, week_number, tz, tz_offset,
 * replace_time, parse_time, parse_datetime and format_time. Pure; any
 * thread.
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
#include "err.h"
#include "expr_funcs.h"
#include "text.h"
#include "tod.h"
#include "tz.h"
#include "xval.h"

static json_t *
tod_value(const struct tod *t)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%02d:%02d:%02d.%06d", t->h % 100, t->mi % 100,
             t->s % 100, t->us % 1000000);
    return json_string(buf);
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
        struct exprf_dt dt = {0};

        if (iso_datetime_text(s) && exprf_to_dt(env, r, &dt, "") == NULL) {
            *t = (struct tod){dt.h, dt.mi, dt.s, dt.us};
            return NULL;
        }
        int rc = tod_find(s, t);

        if (rc == 0)
            return NULL;
        if (rc == SK_ENOMEM)
            return exprf_oom();
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
    struct exprf_dt t = {0};
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
    struct exprf_dt t = {0};
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
    struct exprf_dt t = {0};
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
    struct exprf_dt t = {0};
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

/* ---------------------------------------------------------------------
 * goflow's layouts ("YYYY-MM-DD tt:mm"): sequences of one repeated letter,
 * and runs of the characters " :/.,T-_" copied or matched as they are.
 */

enum {
    SEQ_DATE = EXPRF_LAYOUT_DATE,
    SEQ_TIME = EXPRF_LAYOUT_TIME,
    SEQ_ZONE = EXPRF_LAYOUT_ZONE
};

static const struct {
    const char *seq;
    int type;
    bool parseable;
} layout_seqs[] = {
    {"YY", SEQ_DATE, true},        {"YYYY", SEQ_DATE, true},
    {"M", SEQ_DATE, true},         {"MM", SEQ_DATE, true},
    {"MMM", SEQ_DATE, false},      {"MMMM", SEQ_DATE, false},
    {"D", SEQ_DATE, true},         {"DD", SEQ_DATE, true},
    {"EEE", SEQ_DATE, false},      {"EEEE", SEQ_DATE, false},
    {"fff", SEQ_TIME, true},       {"ffffff", SEQ_TIME, true},
    {"fffffffff", SEQ_TIME, true}, {"h", SEQ_TIME, true},
    {"hh", SEQ_TIME, true},        {"t", SEQ_TIME, true},
    {"tt", SEQ_TIME, true},        {"m", SEQ_TIME, true},
    {"mm", SEQ_TIME, true},        {"s", SEQ_TIME, true},
    {"ss", SEQ_TIME, true},        {"aa", SEQ_TIME, true},
    {"AA", SEQ_TIME, true},        {"Z", SEQ_ZONE, true},
    {"ZZZ", SEQ_ZONE, true},
};

static bool
layout_literal(char c)
{
    return c != '\0' && strchr(" :/.,T-_", c) != NULL;
}

/* The length of the sequence or literal run at p. */
static size_t
layout_run(const char *p)
{
    bool lit = layout_literal(*p);
    size_t k = 1;

    while (p[k] != '\0' && (lit ? layout_literal(p[k]) : p[k] == *p))
        k++;
    return k;
}

json_t *
exprf_layout_check(const char *layout, int types, bool parsing)
{
    for (const char *p = layout; *p;) {
        size_t k = layout_run(p);
        bool ok = layout_literal(*p);

        for (size_t i = 0;
             !ok && i < sizeof(layout_seqs) / sizeof(*layout_seqs); i++)
            ok = strlen(layout_seqs[i].seq) == k &&
                 strncmp(layout_seqs[i].seq, p, k) == 0 &&
                 (layout_seqs[i].type & types) != 0 &&
                 (!parsing || layout_seqs[i].parseable);
        if (!ok)
            return xval_error("'%.*s' is not valid in a %s %s layout", (int)k,
                              p,
                              types == SEQ_DATE   ? "date"
                              : types == SEQ_TIME ? "time"
                                                  : "datetime",
                              parsing ? "parsing" : "formatting");
        p += k;
    }
    return NULL;
}

/* What a layout read: Go's time.Parse fields. */
struct parsed {
    int y, mo, d, h, mi, s, ns;
    int ampm; /* 0 none, 1 am, 2 pm */
    bool has_off;
    int off;
};

/* Up to two digits (exactly two when fixed), or -1. */
static int
get_num(const char **v, bool fixed)
{
    const char *s = *v;

    if (!isdigit((unsigned char)s[0]))
        return -1;
    if (!isdigit((unsigned char)s[1])) {
        if (fixed)
            return -1;
        *v = s + 1;
        return s[0] - '0';
    }
    *v = s + 2;
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* Exactly n digits as nanoseconds of a fraction, or -1. */
static int
get_frac(const char **v, size_t n)
{
    int ns = 0;

    for (size_t i = 0; i < 9; i++) {
        if (i < n && !isdigit((unsigned char)(*v)[i]))
            return -1;
        ns = ns * 10 + (i < n ? (*v)[i] - '0' : 0);
    }
    *v += n;
    return ns;
}

/* A zone "Z" (when zulu), or "+hh:mm"; false when not one. */
static bool
get_zone(const char **v, bool zulu, struct parsed *p)
{
    const char *s = *v;
    int hh, mm;

    p->has_off = true;
    if (zulu && s[0] == 'Z') {
        p->off = 0;
        *v = s + 1;
        return true;
    }
    if ((s[0] != '+' && s[0] != '-') || strlen(s) < 6 || s[3] != ':')
        return false;
    s++;
    hh = get_num(&s, true);
    s++;
    mm = get_num(&s, true);
    if (hh < 0 || mm < 0 || hh > 24 || mm > 60)
        return false;
    p->off = (s[-6] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
    *v = s;
    return true;
}

/* Reads sequence seq (k letters) from *v; false when it does not match
 * (*v left where it was) or is out of range (*v past the number). next is
 * the layout after it, for a fraction after seconds. */
static bool
parse_seq(const char *seq, size_t k, const char **v, const char *next,
          struct parsed *p)
{
    const char *s = *v;
    int x = 0;

    switch (seq[0]) {
    case 'Y':
        for (size_t i = 0; i < k; i++)
            if (!isdigit((unsigned char)s[i]))
                return false;
        x = text_digits_value(s, k);
        p->y = k == 4 ? x : x + (x >= 69 ? 1900 : 2000);
        *v = s + k;
        return true;
    case 'f':
        for (size_t i = 0; i < k; i++) /* a literal "000" unless after '.' */
            if (s[i] != '0')
                return false;
        *v = s + k;
        return true;
    case 'a':
    case 'A':
        if (strncmp(s, seq[0] == 'a' ? "am" : "AM", 2) == 0)
            p->ampm = 1;
        else if (strncmp(s, seq[0] == 'a' ? "pm" : "PM", 2) == 0)
            p->ampm = 2;
        else
            return false;
        *v = s + 2;
        return true;
    case 'Z':
        return get_zone(v, k == 1, p);
    default:
        break;
    }
    x = get_num(&s, k == 2 && seq[0] != 't');
    if (x < 0)
        return false;
    *v = s;
    switch (seq[0]) {
    case 'M':
        return (p->mo = x) >= 1 && x <= 12;
    case 'D': /* checked against the month at the end, as Go does */
        p->d = x;
        return true;
    case 'h':
        return (p->h = x) <= 12;
    case 't':
        return (p->h = x) <= 23;
    case 'm':
        return (p->mi = x) <= 59;
    default: /* 's': a fraction in the value the layout does not name */
        p->s = x;
        if (x > 59)
            return false;
        if ((s[0] == '.' || s[0] == ',') && isdigit((unsigned char)s[1]) &&
            !((next[0] == '.' || next[0] == ',') && next[1] == 'f')) {
            size_t n = 1;

            while (isdigit((unsigned char)s[n]))
                n++;
            s++;
            p->ns = get_frac(&s, n - 1 > 9 ? 9 : n - 1);
            while (isdigit((unsigned char)*s))
                s++;
            *v = s;
        }
        return true;
    }
}

/* Matches a literal run as Go's time.Parse: spaces match any run of them. */
static bool
parse_literal(const char *lit, size_t k, const char **v, bool frac_next)
{
    const char *s = *v;

    for (size_t i = 0; i < k; i++) {
        if (lit[i] == ' ') {
            if (*s != '\0' && *s != ' ') {
                *v = s;
                return false;
            }
            while (*s == ' ')
                s++;
        } else if (*s == lit[i] ||
                   (frac_next && i + 1 == k && (*s == '.' || *s == ','))) {
            s++;
        } else {
            *v = s;
            return false;
        }
    }
    *v = s;
    return true;
}

/*
 * Parses value by layout (types allowed) into *p, as goflow's dates
 * package does with Go's time.Parse; NULL or goflow's error value.
 */
static json_t *
parse_layout(const char *layout, const char *value, int types, struct parsed *p)
{
    const char *v = value;
    json_t *e;

    if ((e = exprf_layout_check(layout, types, true)) != NULL)
        return e;
    *p = (struct parsed){.y = 0, .mo = 1, .d = 1};
    for (const char *l = layout; *l;) {
        size_t k = layout_run(l);

        if (layout_literal(*l)) {
            bool frac = (l[k - 1] == '.' || l[k - 1] == ',') && l[k] == 'f';

            if (!parse_literal(l, k, &v, frac))
                return xval_error("cannot parse '%s' as '%.*s'", v, (int)k, l);
            if (frac) { /* ".fff": exactly that many digits */
                size_t nf = layout_run(l + k);

                if ((p->ns = get_frac(&v, nf)) < 0)
                    return xval_error("cannot parse '%s' as '%.*s'", v, (int)nf,
                                      l + k);
                k += nf;
            }
        } else if (!parse_seq(l, k, &v, l + k, p)) {
            /* a number out of range names what follows it, as Go's */
            return xval_error("cannot parse '%s' as '%.*s'", v, (int)k, l);
        }
        l += k;
    }
    if (*v != '\0')
        return xval_error("cannot parse '%s' as ''", v);
    if (p->ampm == 2 && p->h < 12)
        p->h += 12;
    else if (p->ampm == 1 && p->h == 12)
        p->h = 0;
    if (p->d < 1 || p->d > calendar_days_in_month(p->y, p->mo))
        return xval_error("cannot parse '' as ''"); /* Go: day out of range */
    return NULL;
}

json_t *
exprf_parse_time(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *s = NULL, *layout = NULL;
    struct parsed p;
    json_t *e;

    (void)env;
    (void)n;
    if ((e = exprf_to_text(a[0], &s)) == NULL &&
        (e = exprf_to_text(a[1], &layout)) == NULL &&
        (e = parse_layout(layout, s, SEQ_TIME, &p)) == NULL)
        e = tod_value(&(struct tod){p.h, p.mi, p.s, p.ns / 1000});
    free(s);
    free(layout);
    return e;
}

/* The datetime p read in zone name (rule as tz_offset takes it). */
static json_t *
parsed_dt(const struct parsed *p, const char *name, const char *rule)
{
    struct exprf_dt t = {p->y, p->mo,        p->d, p->h, p->mi,
                         p->s, p->ns / 1000, 0,    true, EXPRF_ZONE_FIXED};
    int64_t secs;

    if (p->y < 1 || p->y > 9999)
        return xval_error("date out of range");
    if (p->has_off) {
        t.off = p->off;
        return exprf_dt_value(&t, true);
    }
    /* the wall clock in the zone; one in a gap moves on, as Go's */
    secs = exprf_dt_epoch(&t);
    secs -= tz_local_offset(name, rule, secs);
    t.off = tz_offset(name, rule, secs);
    {
        struct calendar_tm tm;

        calendar_from_epoch(secs + t.off, &tm);
        t.y = tm.y, t.mo = tm.mo, t.d = tm.d;
        t.h = tm.h, t.mi = tm.mi, t.s = tm.s;
    }
    return exprf_dt_value(&t, true);
}

json_t *
exprf_parse_datetime(const struct expr_env *env, json_t *const *a, size_t n)
{
    char *s = NULL, *layout = NULL, *tz = NULL;
    const char *name = env->timezone ? env->timezone : "UTC",
               *rule = env->tz_rule;
    struct parsed p;
    json_t *e;

    if ((e = exprf_to_text(a[0], &s)) != NULL ||
        (e = exprf_to_text(a[1], &layout)) != NULL ||
        (n > 2 && (e = exprf_to_text(a[2], &tz)) != NULL))
        goto out;
    if (tz != NULL) {
        name = tz;
        if (exprf_zone_lookup(env, tz, &rule) != 0) {
            e = xval_error("unknown time zone %s", tz);
            goto out;
        }
    }
    if ((e = parse_layout(layout, s, SEQ_DATE | SEQ_TIME | SEQ_ZONE, &p)) ==
        NULL)
        e = parsed_dt(&p, name, rule);
out:
    free(s);
    free(layout);
    free(tz);
    return e;
}

json_t *
exprf_format_time(const struct expr_env *env, json_t *const *a, size_t n)
{
    struct exprf_dt t = {0};
    struct tod tod;
    char *layout = NULL;
    json_t *e;

    if ((e = to_tod(env, a[0], &tod)) != NULL)
        return e;
    if (n > 1 && (e = exprf_to_text(a[1], &layout)) != NULL)
        return e;
    t = (struct exprf_dt){1,     1,      1, tod.h, tod.mi,
                          tod.s, tod.us, 0, true,  EXPRF_ZONE_UTC};
    if ((e = exprf_layout_check(layout ? layout : "tt:mm", SEQ_TIME, false)) ==
        NULL)
        e = exprf_format_dt(&t, layout ? layout : "tt:mm", true);
    free(layout);
    return e;
}
