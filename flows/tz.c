/*
 * tz.c - UTC offsets from POSIX TZ rule strings and known zone names (see
 * tz.h). Pure: the rule comes from the caller, who read it from the zone
 * database; nothing here reads a file or the clock.
 *
 * A rule is parsed on every call: it is short, and callers ask for an
 * offset a handful of times per message. A transition date is turned into
 * a day of its year, then into seconds since the epoch with the
 * program's one calendar (calendar.h).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "tz.h"

/* ------------------------------------------------------------ names */

struct zone {
    const char *name;
    int minutes; /* east of UTC */
};

/* Zones without daylight saving time (as of the 2024 tz database). */
static const struct zone zones[] = {
    {"UTC", 0},
    {"Etc/UTC", 0},
    {"GMT", 0},
    {"Africa/Abidjan", 0},
    {"Africa/Accra", 0},
    {"Africa/Bamako", 0},
    {"Africa/Conakry", 0},
    {"Africa/Dakar", 0},
    {"Africa/Freetown", 0},
    {"Africa/Monrovia", 0},
    {"Africa/Ouagadougou", 0},
    {"Africa/Bangui", 60},
    {"Africa/Douala", 60},
    {"Africa/Kinshasa", 60},
    {"Africa/Lagos", 60},
    {"Africa/Luanda", 60},
    {"Africa/Ndjamena", 60},
    {"Africa/Niamey", 60},
    {"Africa/Algiers", 60},
    {"Africa/Tunis", 60},
    {"Africa/Blantyre", 120},
    {"Africa/Bujumbura", 120},
    {"Africa/Gaborone", 120},
    {"Africa/Harare", 120},
    {"Africa/Johannesburg", 120},
    {"Africa/Juba", 120},
    {"Africa/Khartoum", 120},
    {"Africa/Kigali", 120},
    {"Africa/Lubumbashi", 120},
    {"Africa/Lusaka", 120},
    {"Africa/Maputo", 120},
    {"Africa/Tripoli", 120},
    {"Africa/Windhoek", 120},
    {"Africa/Addis_Ababa", 180},
    {"Africa/Asmara", 180},
    {"Africa/Dar_es_Salaam", 180},
    {"Africa/Djibouti", 180},
    {"Africa/Kampala", 180},
    {"Africa/Mogadishu", 180},
    {"Africa/Nairobi", 180},
    {"Asia/Aden", 180},
    {"Asia/Amman", 180},
    {"Asia/Baghdad", 180},
    {"Asia/Damascus", 180},
    {"Asia/Kuwait", 180},
    {"Asia/Qatar", 180},
    {"Asia/Riyadh", 180},
    {"Europe/Istanbul", 180},
    {"Europe/Moscow", 180},
    {"Asia/Tehran", 210},
    {"Asia/Dubai", 240},
    {"Asia/Kabul", 270},
    {"Asia/Karachi", 300},
    {"Asia/Kolkata", 330},
    {"Asia/Kathmandu", 345},
    {"Asia/Dhaka", 360},
    {"Asia/Yangon", 390},
    {"Asia/Bangkok", 420},
    {"Asia/Jakarta", 420},
    {"Asia/Manila", 480},
    {"Asia/Shanghai", 480},
    {"Asia/Tokyo", 540},
    {"America/Bogota", -300},
    {"America/Guayaquil", -300},
    {"America/Lima", -300},
    {"America/Panama", -300},
    {"America/Caracas", -240},
    {"America/La_Paz", -240},
    {"America/Sao_Paulo", -180},
};

/* Offset of "+03:00", "-0530", "+3" in minutes; 0 or -1. */
int
tz_parse_offset(const char *s, int *minutes)
{
    int sign, h = 0, m = 0, n = 0;

    if (*s != '+' && *s != '-')
        return -1;
    sign = *s++ == '-' ? -1 : 1;
    while (isdigit((unsigned char)s[n]) && n < 2)
        h = h * 10 + (s[n++] - '0');
    if (n == 0)
        return -1;
    s += n;
    if (*s == ':')
        s++;
    if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1])) {
        m = (s[0] - '0') * 10 + (s[1] - '0');
        s += 2;
    }
    if (*s != '\0' || h > 14 || m > 59)
        return -1;
    *minutes = sign * (h * 60 + m);
    return 0;
}

/* The offset of a named zone in seconds east; false when not known. */
static bool
name_offset(const char *tz, int *secs)
{
    int minutes = 0;

    if (tz == NULL || tz[0] == '\0')
        return false;
    for (size_t i = 0; i < sizeof(zones) / sizeof(*zones); i++)
        if (strcmp(zones[i].name, tz) == 0) {
            *secs = zones[i].minutes * 60;
            return true;
        }
    if (strncmp(tz, "Etc/GMT", 7) == 0 &&
        tz_parse_offset(tz + 7, &minutes) == 0) {
        *secs = -minutes * 60; /* POSIX style: Etc/GMT-3 is UTC+3 */
        return true;
    }
    if ((strncmp(tz, "UTC", 3) == 0 || strncmp(tz, "GMT", 3) == 0) &&
        tz_parse_offset(tz + 3, &minutes) == 0) {
        *secs = minutes * 60;
        return true;
    }
    if (tz_parse_offset(tz, &minutes) == 0) {
        *secs = minutes * 60;
        return true;
    }
    return false;
}

/* ------------------------------------------------------------ rules */

enum rule_kind { R_JULIAN1, R_JULIAN0, R_MONTH };

struct rule {
    enum rule_kind kind;
    int day;      /* Jn: 1..365, n: 0..365, Mm.w.d: d (0 Sunday) */
    int month;    /* Mm.w.d: 1..12 */
    int week;     /* Mm.w.d: 1..5 (5: the last) */
    int32_t time; /* seconds after local midnight, -167h..167h */
};

struct zone_rule {
    int32_t std_east, dst_east; /* seconds east of UTC */
    bool has_dst;
    struct rule start, end;
};

/* A zone abbreviation: 3 or more letters, or <...> of [A-Za-z0-9+-]. */
static bool
read_abbr(const char **pp)
{
    const char *p = *pp;
    size_t n = 0;

    if (*p == '<') {
        p++;
        while (isalnum((unsigned char)p[n]) || p[n] == '+' || p[n] == '-')
            n++;
        if (p[n] != '>' || n < 3)
            return false;
        *pp = p + n + 1;
        return true;
    }
    while (isalpha((unsigned char)p[n]))
        n++;
    if (n < 3)
        return false;
    *pp = p + n;
    return true;
}

/* [+-]h[hh][:mm[:ss]] with hours up to max_h; seconds into *out. */
static bool
read_hms(const char **pp, int max_h, int32_t *out)
{
    const char *p = *pp;
    int sign = 1, h = 0, m = 0, s = 0, n = 0;

    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    while (isdigit((unsigned char)p[n]) && n < 3)
        h = h * 10 + (p[n++] - '0');
    if (n == 0 || h > max_h)
        return false;
    p += n;
    if (*p == ':') {
        if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
            return false;
        m = (p[1] - '0') * 10 + (p[2] - '0');
        p += 3;
        if (*p == ':') {
            if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
                return false;
            s = (p[1] - '0') * 10 + (p[2] - '0');
            p += 3;
        }
    }
    if (m > 59 || s > 59)
        return false;
    *out = sign * (h * 3600 + m * 60 + s);
    *pp = p;
    return true;
}

static bool
read_int(const char **pp, int lo, int hi, int *out)
{
    const char *p = *pp;
    int v = 0, n = 0;

    while (isdigit((unsigned char)p[n]) && n < 3)
        v = v * 10 + (p[n++] - '0');
    if (n == 0 || v < lo || v > hi)
        return false;
    *out = v;
    *pp = p + n;
    return true;
}

/* ",Jn[/time]", ",n[/time]" or ",Mm.w.d[/time]" */
static bool
read_rule(const char **pp, struct rule *r)
{
    const char *p = *pp;

    if (*p++ != ',')
        return false;
    if (*p == 'J') {
        p++;
        r->kind = R_JULIAN1;
        if (!read_int(&p, 1, 365, &r->day))
            return false;
    } else if (*p == 'M') {
        p++;
        r->kind = R_MONTH;
        if (!read_int(&p, 1, 12, &r->month) || *p++ != '.' ||
            !read_int(&p, 1, 5, &r->week) || *p++ != '.' ||
            !read_int(&p, 0, 6, &r->day))
            return false;
    } else {
        r->kind = R_JULIAN0;
        if (!read_int(&p, 0, 365, &r->day))
            return false;
    }
    r->time = 2 * 3600;
    if (*p == '/') {
        p++;
        if (!read_hms(&p, 167, &r->time))
            return false;
    }
    *pp = p;
    return true;
}

static bool
parse_rule(const char *s, struct zone_rule *z)
{
    const char *p = s;
    int32_t west;

    if (s == NULL || !read_abbr(&p) || !read_hms(&p, 24, &west))
        return false;
    memset(z, 0, sizeof(*z));
    z->std_east = -west;
    z->dst_east = z->std_east;
    if (*p == '\0')
        return true;
    if (!read_abbr(&p))
        return false;
    z->has_dst = true;
    z->dst_east = z->std_east + 3600;
    if (*p != ',' && *p != '\0') {
        if (!read_hms(&p, 24, &west))
            return false;
        z->dst_east = -west;
    }
    if (*p == '\0') { /* no rule: the US one, as glibc */
        z->start = (struct rule){R_MONTH, 0, 3, 2, 7200};
        z->end = (struct rule){R_MONTH, 0, 11, 1, 7200};
        return true;
    }
    return read_rule(&p, &z->start) && read_rule(&p, &z->end) && *p == '\0';
}

/* The wall-clock seconds (as if UTC) of rule r in year y. */
static int64_t
rule_local(const struct rule *r, int64_t y)
{
    int64_t day;

    switch (r->kind) {
    case R_JULIAN1: /* 1..365, February 29 never counted */
        day = calendar_days_from_civil(y, 1, 1) + r->day - 1;
        if (calendar_is_leap(y) && r->day >= 60)
            day++;
        break;
    case R_JULIAN0:
        day = calendar_days_from_civil(y, 1, 1) + r->day;
        break;
    default: {
        int64_t first = calendar_days_from_civil(y, r->month, 1);
        int dow = calendar_weekday(first);
        int d = 1 + (r->day - dow + 7) % 7 + (r->week - 1) * 7;
        int last = calendar_days_in_month(y, r->month);

        while (d > last)
            d -= 7;
        day = first + d - 1;
    }
    }
    return day * 86400 + r->time;
}

static int
rule_offset(const struct zone_rule *z, int64_t utc)
{
    int64_t local = utc + z->std_east;
    int64_t days = calendar_floor_div(local, CALENDAR_SECS_PER_DAY);
    int64_t start, end;
    int y, m, d;
    bool dst;

    if (!z->has_dst)
        return z->std_east;
    calendar_civil_from_days(days, &y, &m, &d);
    start = rule_local(&z->start, y) - z->std_east;
    end = rule_local(&z->end, y) - z->dst_east;
    if (start < end)
        dst = utc >= start && utc < end;
    else /* southern hemisphere: summer spans the new year */
        dst = !(utc >= end && utc < start);
    return dst ? z->dst_east : z->std_east;
}

/* ------------------------------------------------------------ public */

bool
tz_rule_valid(const char *rule)
{
    struct zone_rule z;

    return rule != NULL && parse_rule(rule, &z);
}

bool
tz_known(const char *name, const char *rule)
{
    int secs;

    return tz_rule_valid(rule) || name_offset(name, &secs);
}

int
tz_offset(const char *name, const char *rule, int64_t utc)
{
    struct zone_rule z;
    int secs = 0;

    if (rule != NULL && rule[0] != '\0' && parse_rule(rule, &z))
        return rule_offset(&z, utc);
    if (name_offset(name, &secs))
        return secs;
    return 0;
}

int
tz_local_offset(const char *name, const char *rule, int64_t local)
{
    /*
     * As Go's time.Date: the offset at local read as UTC is a guess; when
     * the instant it gives has another offset (local is near a
     * transition), that instant's offset is taken.
     */
    int guess = tz_offset(name, rule, local);

    return tz_offset(name, rule, local - guess);
}
