/*
 * expr_dt.c - the date and time values the built-in functions share
 * (expr_funcs.c, expr_fn_time.c): reading a value as a datetime as goflow
 * does, rendering one, moving it between zones and formatting it with
 * goflow's layout letters. Dates are held as text, as goflow renders them;
 * calendar arithmetic is calendar.h's and zone offsets tz.h's. It calls no
 * function of the language. Pure; any thread.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "calendar.h"
#include "expr_funcs.h"
#include "tz.h"
#include "xval.h"

static const char *const month_names[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
static const char *const day_names[] = {"Sunday",    "Monday",   "Tuesday",
                                        "Wednesday", "Thursday", "Friday",
                                        "Saturday"};

static bool
dt_valid(const struct exprf_dt *t)
{
    return t->y >= 1 && t->y <= 9999 && t->mo >= 1 && t->mo <= 12 &&
           t->d >= 1 && t->d <= calendar_days_in_month(t->y, t->mo) &&
           t->h >= 0 && t->h <= 23 && t->mi >= 0 && t->mi <= 59 && t->s >= 0 &&
           t->s <= 59;
}

int64_t
exprf_dt_epoch(const struct exprf_dt *t)
{
    struct calendar_tm tm = {t->y, t->mo, t->d, t->h, t->mi, t->s};

    return calendar_to_epoch(&tm) - t->off;
}

void
exprf_dt_from_epoch(int64_t secs, int us, struct exprf_dt *t)
{
    struct calendar_tm tm;

    calendar_from_epoch(secs, &tm);
    t->y = tm.y;
    t->mo = tm.mo;
    t->d = tm.d;
    t->h = tm.h;
    t->mi = tm.mi;
    t->s = tm.s;
    t->us = us;
    t->off = 0;
    t->has_time = true;
}

/* The env's offset east of UTC at the instant utc (see tz.h). */
int
exprf_env_offset(const struct expr_env *env, int64_t utc)
{
    return tz_offset(env->timezone, env->tz_rule, utc);
}

int
exprf_zone_lookup(const struct expr_env *env, const char *name,
                  const char **rule)
{
    const char *r;

    *rule = NULL;
    if (name[0] == '\0' || strcasecmp(name, "UTC") == 0) /* as Go's */
        return 0;
    if (env->timezone != NULL && strcmp(name, env->timezone) == 0) {
        *rule = env->tz_rule;
        return 0;
    }
    if (env->zone_rule != NULL &&
        (r = env->zone_rule(env->zone_arg, name)) != NULL && tz_rule_valid(r)) {
        *rule = r;
        return 0;
    }
    return tz_known(name, NULL) ? 0 : -1;
}

/* The wall clock in the env's zone of the instant secs. */
void
exprf_dt_in_env(const struct expr_env *env, int64_t secs, int us,
                struct exprf_dt *t)
{
    int off = exprf_env_offset(env, secs);

    exprf_dt_from_epoch(secs + off, us, t);
    t->off = off;
}

int
exprf_dt_weekday(const struct exprf_dt *t)
{
    return calendar_weekday(calendar_days_from_civil(t->y, t->mo, t->d));
}

/* Reads up to max digits; -1 when there are none. */
static int
read_num(const char **p, int max, int *ndigits)
{
    int v = 0, k = 0;

    while (k < max && isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        (*p)++;
        k++;
    }
    if (ndigits != NULL)
        *ndigits = k;
    return k == 0 ? -1 : v;
}

/* hh:mm[:ss[.ffffff]] [am|pm] [Z|+hh:mm]; offsets are applied to UTC. */
static bool
parse_time(const char **pp, struct exprf_dt *t, int *offset_min)
{
    const char *p = *pp;
    int k;

    t->h = read_num(&p, 2, NULL);
    if (t->h < 0 || *p != ':')
        return false;
    p++;
    t->mi = read_num(&p, 2, &k);
    if (k != 2)
        return false;
    t->s = 0;
    t->us = 0;
    if (*p == ':') {
        p++;
        t->s = read_num(&p, 2, &k);
        if (k != 2)
            return false;
        if (*p == '.') {
            int frac = 0, nd = 0;

            p++;
            while (isdigit((unsigned char)*p)) {
                if (nd < 6) {
                    frac = frac * 10 + (*p - '0');
                    nd++;
                }
                p++;
            }
            while (nd++ < 6)
                frac *= 10;
            t->us = frac;
        }
    }
    while (*p == ' ')
        p++;
    if (strncasecmp(p, "am", 2) == 0 || strncasecmp(p, "pm", 2) == 0) {
        if (t->h < 1 || t->h > 12)
            return false;
        t->h = t->h % 12 + (tolower((unsigned char)*p) == 'p' ? 12 : 0);
        p += 2;
    }
    if (*p == 'Z' || *p == 'z') {
        *offset_min = 0;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om = 0;

        p++;
        oh = read_num(&p, 2, &k);
        if (k != 2)
            return false;
        if (*p == ':')
            p++;
        if (isdigit((unsigned char)*p))
            om = read_num(&p, 2, NULL);
        *offset_min = sign * (oh * 60 + om);
    }
    t->has_time = true;
    *pp = p;
    return true;
}

/* Parses ISO dates and datetimes, or dates in the env's date format. */
static bool
parse_dt(const struct expr_env *env, const char *s, struct exprf_dt *t)
{
    const char *p = s,
               *fmt = env->date_format ? env->date_format : "DD-MM-YYYY";
    int offset = INT_MIN, a, b, c, na, nc;
    bool zulu = false;

    memset(t, 0, sizeof(*t));
    while (isspace((unsigned char)*p))
        p++;
    a = read_num(&p, 4, &na);
    if (a < 0 || (*p != '-' && *p != '/' && *p != '.'))
        return false;
    p++;
    b = read_num(&p, 2, NULL);
    if (b < 0 || (*p != '-' && *p != '/' && *p != '.'))
        return false;
    p++;
    c = read_num(&p, 4, &nc);
    if (c < 0)
        return false;
    if (na == 4) {
        t->y = a, t->mo = b, t->d = c;
    } else {
        if (nc == 2)
            c += c < 50 ? 2000 : 1900;
        else if (nc != 4)
            return false;
        t->y = c;
        if (fmt[0] == 'M' || fmt[0] == 'm')
            t->mo = a, t->d = b;
        else
            t->d = a, t->mo = b;
    }
    if (*p == 'T' || *p == ' ') {
        const char *q = p + 1;

        while (*q == ' ')
            q++;
        if (isdigit((unsigned char)*q)) {
            if (!parse_time(&q, t, &offset))
                return false;
            zulu = q > s && (q[-1] == 'Z' || q[-1] == 'z');
            p = q;
        }
    }
    while (isspace((unsigned char)*p))
        p++;
    if (*p != '\0' || !dt_valid(t))
        return false;
    /* an offset given stays (as goflow keeps it); else the env's wall clock */
    t->off = 0;
    t->zone = offset == INT_MIN     ? EXPRF_ZONE_ENV
              : offset == 0 && zulu ? EXPRF_ZONE_UTC
                                    : EXPRF_ZONE_FIXED;
    if (offset != INT_MIN)
        t->off = offset * 60;
    else { /* a wall clock in a gap moves on, as Go's time.Date */
        bool has_time = t->has_time;

        t->off =
            tz_local_offset(env->timezone, env->tz_rule, exprf_dt_epoch(t));
        exprf_dt_in_env(env, exprf_dt_epoch(t), t->us, t);
        t->has_time = has_time;
        t->zone = EXPRF_ZONE_ENV;
    }
    return true;
}

/* A value as a datetime: its text parsed, or an error value. */
json_t *
exprf_to_dt(const struct expr_env *env, const json_t *v, struct exprf_dt *t,
            const char *what)
{
    const json_t *r = xval_resolve(v);

    if (xval_is_error(v))
        return json_incref((json_t *)v);
    if (!json_is_string(r) || !parse_dt(env, json_string_value(r), t))
        return exprf_convert_error(r, what);
    if (strcmp(what, "a date") == 0 && t->zone != EXPRF_ZONE_ENV) {
        /* a datetime's date is its day in the env's zone, as goflow's */
        exprf_dt_in_env(env, exprf_dt_epoch(t), t->us, t);
        t->zone = EXPRF_ZONE_ENV;
    }
    return NULL;
}

json_t *
exprf_dt_value(const struct exprf_dt *t, bool with_time)
{
    char buf[64];

    if (with_time) {
        char zone[16] = "Z";
        int off = t->off < 0 ? -t->off : t->off;

        if (t->off != 0)
            snprintf(zone, sizeof(zone), "%c%02d:%02d", t->off < 0 ? '-' : '+',
                     off / 3600 % 100, off % 3600 / 60);
        snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06d%s", t->y,
                 t->mo, t->d, t->h, t->mi, t->s, t->us, zone);
    } else
        snprintf(buf, sizeof(buf), "%04d-%02d-%02d", t->y, t->mo, t->d);
    return json_string(buf);
}

/*
 * Formats t with goflow's layout letters: YY YYYY M MM MMM MMMM D DD EEE
 * EEEE (dates) and h hh t tt m mm s ss fff ffffff fffffffff aa AA Z ZZZ
 * (times). Other letters are an error; other characters are copied.
 */
json_t *
exprf_format_dt(const struct exprf_dt *t, const char *fmt, bool allow_time)
{
    struct sk_buf b = {0};
    const char *p = fmt;
    json_t *v;

    sk_buf_add(&b, "", 0);
    while (*p) {
        char c = *p, out[32] = "";
        size_t k = 1;

        while (p[k] == c)
            k++;
        if (!isalpha((unsigned char)c)) {
            sk_buf_add(&b, p, k);
            p += k;
            continue;
        }
        if (c == 'Y' && (k == 2 || k == 4))
            snprintf(out, sizeof(out), k == 2 ? "%02d" : "%04d",
                     k == 2 ? t->y % 100 : t->y);
        else if (c == 'M' && k <= 2)
            snprintf(out, sizeof(out), k == 1 ? "%d" : "%02d", t->mo);
        else if (c == 'M' && k <= 4)
            snprintf(out, sizeof(out), "%.*s", k == 3 ? 3 : 20,
                     month_names[t->mo - 1]);
        else if (c == 'D' && k <= 2)
            snprintf(out, sizeof(out), k == 1 ? "%d" : "%02d", t->d);
        else if (c == 'E' && (k == 3 || k == 4))
            snprintf(out, sizeof(out), "%.*s", k == 3 ? 3 : 20,
                     day_names[exprf_dt_weekday(t)]);
        else if (!allow_time)
            goto bad;
        else if (c == 'h' && k <= 2)
            snprintf(out, sizeof(out), k == 1 ? "%d" : "%02d",
                     t->h % 12 == 0 ? 12 : t->h % 12);
        else if (c == 't' && k <= 2)
            snprintf(out, sizeof(out), k == 1 ? "%d" : "%02d", t->h);
        else if (c == 'm' && k <= 2)
            snprintf(out, sizeof(out), k == 1 ? "%d" : "%02d", t->mi);
        else if (c == 's' && k <= 2)
            snprintf(out, sizeof(out), k == 1 ? "%d" : "%02d", t->s);
        else if (c == 'f' && (k == 3 || k == 6 || k == 9))
            snprintf(out, sizeof(out), "%06d000", t->us), out[k] = '\0';
        else if ((c == 'a' || c == 'A') && k == 2)
            snprintf(out, sizeof(out), "%s",
                     t->h < 12 ? (c == 'a' ? "am" : "AM")
                               : (c == 'a' ? "pm" : "PM"));
        else if (c == 'Z' && (k == 1 || k == 3)) {
            int off = t->off < 0 ? -t->off : t->off;

            if (k == 1 && t->off == 0)
                snprintf(out, sizeof(out), "Z");
            else
                snprintf(out, sizeof(out), "%c%02d:%02d",
                         t->off < 0 ? '-' : '+', off / 3600 % 100,
                         off % 3600 / 60);
        } else if (c == 'T' && k == 1)
            snprintf(out, sizeof(out), "T");
        else
            goto bad;
        sk_buf_add(&b, out, strlen(out));
        p += k;
    }
    if (b.fail) /* out of memory */
        v = NULL;
    else if (b.len > EXPR_MAX_TEXT)
        v = xval_error("text too long");
    else
        v = json_string(b.s ? b.s : "");
    sk_buf_free(&b);
    return v;
bad:
    sk_buf_free(&b);
    return xval_error("'%s' is not a valid date format", fmt);
}
