/*
 * phone.c - phone numbers made E.164 (see phone.h). Pure; any thread.
 *
 * Design. One table, in ITU calling-code order, holds for each country
 * its ISO 3166 alpha-2 code, its calling code, its trunk prefix (dialled
 * before a national number inside the country: "0" in most of the world,
 * "1" in the North American plan, "8" in Russia, "06" in Hungary; "" where
 * the national number is dialled as it is, as in Italy or Senegal) and the
 * shortest and longest national significant number (what follows the
 * calling code). Countries that share a calling code share its lengths.
 *
 * A number is cleaned of separators, then read in this order:
 *   1. "+" or "00" (or "011" in the North American plan): international;
 *   2. with a country: its trunk prefix and a national number of the
 *      right length; its calling code and a national number of the right
 *      length; a national number of the right length on its own;
 *   3. any calling code and a national number of the right length.
 * What remains (short codes, unknown calling codes) is not E.164. The
 * lengths are those of the national numbering plans, wide where a plan
 * mixes lengths; an international form with "+" is taken as it is when
 * its calling code is known and it has 7 to 15 digits, so a table that
 * is one digit short for a country never refuses a number written in
 * full.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "phone.h"

struct country {
    char iso[3];
    const char *code;
    const char *trunk;
    unsigned char nsn_min, nsn_max;
};

#define NANP(iso)                                                              \
    {                                                                          \
        iso, "1", "1", 10, 10                                                  \
    }

static const struct country countries[] = {
    {"US", "1", "1", 10, 10},
    {"CA", "1", "1", 10, 10},
    NANP("AG"),
    NANP("AI"),
    NANP("AS"),
    NANP("BB"),
    NANP("BM"),
    NANP("BS"),
    NANP("DM"),
    NANP("DO"),
    NANP("GD"),
    NANP("GU"),
    NANP("JM"),
    NANP("KN"),
    NANP("KY"),
    NANP("LC"),
    NANP("MP"),
    NANP("MS"),
    NANP("PR"),
    NANP("SX"),
    NANP("TC"),
    NANP("TT"),
    NANP("VC"),
    NANP("VG"),
    NANP("VI"),
    {"RU", "7", "8", 10, 10},
    {"KZ", "7", "8", 10, 10},
    {"EG", "20", "0", 8, 10},
    {"ZA", "27", "0", 9, 9},
    {"GR", "30", "", 10, 10},
    {"NL", "31", "0", 9, 9},
    {"BE", "32", "0", 8, 9},
    {"FR", "33", "0", 9, 9},
    {"ES", "34", "", 9, 9},
    {"HU", "36", "06", 8, 9},
    {"IT", "39", "", 6, 11},
    {"VA", "39", "", 6, 11},
    {"RO", "40", "0", 9, 9},
    {"CH", "41", "0", 9, 9},
    {"AT", "43", "0", 4, 13},
    {"GB", "44", "0", 9, 10},
    {"GG", "44", "0", 9, 10},
    {"IM", "44", "0", 9, 10},
    {"JE", "44", "0", 9, 10},
    {"DK", "45", "", 8, 8},
    {"SE", "46", "0", 7, 9},
    {"NO", "47", "", 8, 8},
    {"SJ", "47", "", 8, 8},
    {"PL", "48", "", 9, 9},
    {"DE", "49", "0", 6, 13},
    {"PE", "51", "0", 8, 9},
    {"MX", "52", "", 10, 10},
    {"CU", "53", "0", 6, 8},
    {"AR", "54", "0", 10, 11},
    {"BR", "55", "0", 10, 11},
    {"CL", "56", "", 9, 9},
    {"CO", "57", "", 10, 10},
    {"VE", "58", "0", 10, 10},
    {"MY", "60", "0", 8, 10},
    {"AU", "61", "0", 9, 9},
    {"CX", "61", "0", 9, 9},
    {"CC", "61", "0", 9, 9},
    {"ID", "62", "0", 8, 12},
    {"PH", "63", "0", 8, 10},
    {"NZ", "64", "0", 8, 10},
    {"SG", "65", "", 8, 8},
    {"TH", "66", "0", 8, 9},
    {"JP", "81", "0", 9, 10},
    {"KR", "82", "0", 8, 10},
    {"VN", "84", "0", 9, 10},
    {"CN", "86", "0", 10, 11},
    {"TR", "90", "0", 10, 10},
    {"IN", "91", "0", 10, 10},
    {"PK", "92", "0", 9, 10},
    {"AF", "93", "0", 9, 9},
    {"LK", "94", "0", 9, 9},
    {"MM", "95", "0", 7, 10},
    {"IR", "98", "0", 10, 10},
    {"SS", "211", "0", 9, 9},
    {"MA", "212", "0", 9, 9},
    {"EH", "212", "0", 9, 9},
    {"DZ", "213", "0", 8, 9},
    {"TN", "216", "", 8, 8},
    {"LY", "218", "0", 8, 9},
    {"GM", "220", "", 7, 7},
    {"SN", "221", "", 9, 9},
    {"MR", "222", "", 8, 8},
    {"ML", "223", "", 8, 8},
    {"GN", "224", "", 8, 9},
    {"CI", "225", "", 8, 10},
    {"BF", "226", "", 8, 8},
    {"NE", "227", "", 8, 8},
    {"TG", "228", "", 8, 8},
    {"BJ", "229", "", 8, 10},
    {"MU", "230", "", 7, 8},
    {"LR", "231", "0", 7, 9},
    {"SL", "232", "0", 8, 8},
    {"GH", "233", "0", 9, 9},
    {"NG", "234", "0", 8, 10},
    {"TD", "235", "", 8, 8},
    {"CF", "236", "", 8, 8},
    {"CM", "237", "", 9, 9},
    {"CV", "238", "", 7, 7},
    {"ST", "239", "", 7, 7},
    {"GQ", "240", "", 9, 9},
    {"GA", "241", "", 7, 8},
    {"CG", "242", "", 9, 9},
    {"CD", "243", "0", 9, 9},
    {"AO", "244", "", 9, 9},
    {"GW", "245", "", 7, 9},
    {"IO", "246", "", 7, 7},
    {"AC", "247", "", 5, 6},
    {"SC", "248", "", 7, 7},
    {"SD", "249", "0", 9, 9},
    {"RW", "250", "0", 9, 9},
    {"ET", "251", "0", 9, 9},
    {"SO", "252", "0", 7, 9},
    {"DJ", "253", "", 8, 8},
    {"KE", "254", "0", 9, 9},
    {"TZ", "255", "0", 9, 9},
    {"UG", "256", "0", 9, 9},
    {"BI", "257", "", 8, 8},
    {"MZ", "258", "", 8, 9},
    {"ZM", "260", "0", 9, 9},
    {"MG", "261", "0", 9, 9},
    {"RE", "262", "0", 9, 9},
    {"YT", "262", "0", 9, 9},
    {"ZW", "263", "0", 9, 9},
    {"NA", "264", "0", 8, 9},
    {"MW", "265", "0", 7, 9},
    {"LS", "266", "", 8, 8},
    {"BW", "267", "", 7, 8},
    {"SZ", "268", "", 8, 8},
    {"KM", "269", "", 7, 7},
    {"SH", "290", "", 4, 5},
    {"ER", "291", "0", 7, 7},
    {"AW", "297", "", 7, 7},
    {"FO", "298", "", 6, 6},
    {"GL", "299", "", 6, 6},
    {"GI", "350", "", 8, 8},
    {"PT", "351", "", 9, 9},
    {"LU", "352", "", 4, 11},
    {"IE", "353", "0", 7, 9},
    {"IS", "354", "", 7, 7},
    {"AL", "355", "0", 8, 9},
    {"MT", "356", "", 8, 8},
    {"CY", "357", "", 8, 8},
    {"FI", "358", "0", 5, 12},
    {"AX", "358", "0", 5, 12},
    {"BG", "359", "0", 8, 9},
    {"LT", "370", "8", 8, 8},
    {"LV", "371", "", 8, 8},
    {"EE", "372", "", 7, 8},
    {"MD", "373", "0", 8, 8},
    {"AM", "374", "0", 8, 8},
    {"BY", "375", "8", 9, 10},
    {"AD", "376", "", 6, 9},
    {"MC", "377", "0", 8, 9},
    {"SM", "378", "", 6, 10},
    {"UA", "380", "0", 9, 9},
    {"RS", "381", "0", 8, 9},
    {"ME", "382", "0", 8, 8},
    {"XK", "383", "0", 8, 8},
    {"HR", "385", "0", 8, 9},
    {"SI", "386", "0", 8, 8},
    {"BA", "387", "0", 8, 8},
    {"MK", "389", "0", 8, 8},
    {"CZ", "420", "", 9, 9},
    {"SK", "421", "0", 9, 9},
    {"LI", "423", "", 7, 7},
    {"FK", "500", "", 5, 5},
    {"BZ", "501", "", 7, 7},
    {"GT", "502", "", 8, 8},
    {"SV", "503", "", 8, 8},
    {"HN", "504", "", 8, 8},
    {"NI", "505", "", 8, 8},
    {"CR", "506", "", 8, 8},
    {"PA", "507", "", 7, 8},
    {"PM", "508", "", 6, 6},
    {"HT", "509", "", 8, 8},
    {"GP", "590", "0", 9, 9},
    {"BL", "590", "0", 9, 9},
    {"MF", "590", "0", 9, 9},
    {"BO", "591", "0", 8, 8},
    {"GY", "592", "", 7, 7},
    {"EC", "593", "0", 8, 9},
    {"GF", "594", "0", 9, 9},
    {"PY", "595", "0", 9, 9},
    {"MQ", "596", "0", 9, 9},
    {"SR", "597", "", 6, 7},
    {"UY", "598", "0", 8, 8},
    {"CW", "599", "", 7, 7},
    {"BQ", "599", "", 7, 7},
    {"TL", "670", "", 7, 8},
    {"NF", "672", "", 6, 6},
    {"BN", "673", "", 7, 7},
    {"NR", "674", "", 7, 7},
    {"PG", "675", "", 7, 8},
    {"TO", "676", "", 5, 7},
    {"SB", "677", "", 5, 7},
    {"VU", "678", "", 5, 7},
    {"FJ", "679", "", 7, 7},
    {"PW", "680", "", 7, 7},
    {"WF", "681", "", 6, 6},
    {"CK", "682", "", 5, 5},
    {"NU", "683", "", 4, 4},
    {"WS", "685", "", 5, 7},
    {"KI", "686", "", 5, 8},
    {"NC", "687", "", 6, 6},
    {"TV", "688", "", 5, 6},
    {"PF", "689", "", 8, 8},
    {"TK", "690", "", 4, 7},
    {"FM", "691", "", 7, 7},
    {"MH", "692", "", 7, 7},
    {"KP", "850", "0", 8, 10},
    {"HK", "852", "", 8, 8},
    {"MO", "853", "", 8, 8},
    {"KH", "855", "0", 8, 9},
    {"LA", "856", "0", 8, 10},
    {"BD", "880", "0", 10, 10},
    {"TW", "886", "0", 8, 9},
    {"MV", "960", "", 7, 7},
    {"LB", "961", "0", 7, 8},
    {"JO", "962", "0", 8, 9},
    {"SY", "963", "0", 9, 9},
    {"IQ", "964", "0", 10, 10},
    {"KW", "965", "", 8, 8},
    {"SA", "966", "0", 9, 9},
    {"YE", "967", "0", 8, 9},
    {"OM", "968", "", 8, 8},
    {"PS", "970", "0", 9, 9},
    {"AE", "971", "0", 8, 9},
    {"IL", "972", "0", 8, 9},
    {"BH", "973", "", 8, 8},
    {"QA", "974", "", 8, 8},
    {"BT", "975", "", 7, 8},
    {"MN", "976", "0", 8, 8},
    {"NP", "977", "0", 8, 10},
    {"TJ", "992", "8", 9, 9},
    {"TM", "993", "8", 8, 8},
    {"AZ", "994", "0", 9, 9},
    {"GE", "995", "0", 9, 9},
    {"KG", "996", "0", 9, 9},
    {"UZ", "998", "", 9, 9},
};
#define NCOUNTRIES (sizeof(countries) / sizeof(countries[0]))

/* The most digits a number may have as typed (a trunk or an international
 * prefix before up to 15 digits). */
#define TYPED_DIGITS_MAX (PHONE_DIGITS_MAX + 4)

static const struct country *
by_iso(const char *iso)
{
    size_t i;

    if (iso == NULL || strlen(iso) != 2)
        return NULL;
    for (i = 0; i < NCOUNTRIES; i++)
        if (toupper((unsigned char)iso[0]) == countries[i].iso[0] &&
            toupper((unsigned char)iso[1]) == countries[i].iso[1])
            return &countries[i];
    return NULL;
}

/* The first country whose calling code starts digits. */
static const struct country *
by_prefix(const char *digits)
{
    size_t i, n;

    for (i = 0; i < NCOUNTRIES; i++) {
        n = strlen(countries[i].code);
        if (strncmp(digits, countries[i].code, n) == 0)
            return &countries[i];
    }
    return NULL;
}

const char *
phone_calling_code(const char *country)
{
    const struct country *c = by_iso(country);

    return c != NULL ? c->code : NULL;
}

size_t
phone_calling_code_len(const char *digits)
{
    const struct country *c = digits != NULL ? by_prefix(digits) : NULL;

    return c != NULL ? strlen(c->code) : 0;
}

/* Keeps the digits of s (after an optional leading "+", *plus) in buf;
 * false for any other character or too many digits. */
static bool
clean(const char *s, char buf[TYPED_DIGITS_MAX + 1], bool *plus)
{
    size_t n = 0;

    *plus = false;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == ' ' || c == '\t' || c == '-' || c == '.' || c == '/' ||
            c == '(' || c == ')')
            continue;
        if (c == '+' && n == 0 && !*plus) {
            *plus = true;
            continue;
        }
        if (!isdigit(c) || n >= TYPED_DIGITS_MAX)
            return false;
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    return n > 0;
}

static bool
nsn_fits(const struct country *c, size_t n)
{
    return n >= c->nsn_min && n <= c->nsn_max;
}

/* out = "+" code nsn when nsn has the length of c's national numbers. */
static bool
join(const struct country *c, const char *nsn, char out[PHONE_E164_MAX])
{
    size_t n = strlen(nsn);

    if (!nsn_fits(c, n) || strlen(c->code) + n > PHONE_DIGITS_MAX)
        return false;
    snprintf(out, PHONE_E164_MAX, "+%s%s", c->code, nsn);
    return true;
}

/* digits without "+" read as calling code and national number. */
static bool
international(const char *digits, char out[PHONE_E164_MAX])
{
    const struct country *c = by_prefix(digits);

    return c != NULL && join(c, digits + strlen(c->code), out);
}

/* digits read as a number of country c: trunk prefix and national
 * number, calling code and national number, or a national number. */
static bool
national(const struct country *c, const char *digits, char out[PHONE_E164_MAX])
{
    size_t tl = strlen(c->trunk), cl = strlen(c->code);

    if (tl > 0 && strncmp(digits, c->trunk, tl) == 0 &&
        join(c, digits + tl, out))
        return true;
    if (strncmp(digits, c->code, cl) == 0 && join(c, digits + cl, out))
        return true;
    return join(c, digits, out);
}

int
phone_to_e164(const char *number, const char *country, char out[PHONE_E164_MAX])
{
    const struct country *home = by_iso(country), *c;
    char d[TYPED_DIGITS_MAX + 1];
    const char *rest = NULL;
    bool plus;
    size_t n;

    out[0] = '\0';
    if (number == NULL || !clean(number, d, &plus))
        return SK_EINVAL;
    if (plus)
        rest = d;
    else if (strncmp(d, "00", 2) == 0)
        rest = d + 2;
    else if (home != NULL && strcmp(home->code, "1") == 0 &&
             strncmp(d, "011", 3) == 0)
        rest = d + 3;
    if (rest != NULL) {
        /* written in full: a known calling code and 7 to 15 digits */
        n = strlen(rest);
        c = by_prefix(rest);
        if (c == NULL || n < 7 || n > PHONE_DIGITS_MAX)
            return SK_EINVAL;
        snprintf(out, PHONE_E164_MAX, "+%s", rest);
        return 0;
    }
    if (home != NULL && national(home, d, out))
        return 0;
    if (international(d, out))
        return 0;
    out[0] = '\0';
    return SK_EINVAL;
}

/* --- national formats -------------------------------------------------------
 *
 * How a number is written inside its own country, as libphonenumber (and
 * so goflow's format_urn) writes it: per calling code, the leading digits
 * of the national significant number a format applies to ("" for all; a
 * list such as "6,7") and the format, where each "#" takes the next digit
 * (so a format fits only a number of exactly that many digits) and the
 * rest is the trunk prefix and punctuation. The first format that fits
 * wins; a number none fits has no national format here.
 */
struct national_format {
    const char *code;
    const char *lead;
    const char *format;
};

static const struct national_format formats[] = {
    {"1", "", "(###) ###-####"},  /* US, Canada, the NANP */
    {"33", "", "0# ## ## ## ##"}, /* France */
    {"44", "2", "0## #### ####"}, /* UK: London and the like */
    {"44", "11,121,131,141,151,161,171,181,191,3,8,9",
     "0### ### ####"},                   /* UK: big cities, non-geographic */
    {"44", "1,7", "0#### ######"},       /* UK: other areas, mobiles */
    {"57", "3,6", "### #######"},        /* Colombia */
    {"58", "", "0###-#######"},          /* Venezuela */
    {"90", "5,8", "0### ### ## ##"},     /* Turkey: mobiles, services */
    {"90", "2,3,4", "(0###) ### ## ##"}, /* Turkey: landlines */
    {"211", "", "0### ### ###"},         /* South Sudan */
    {"234", "7,8,9", "0### ### ####"},   /* Nigeria: mobiles */
    {"234", "1", "0# ### ####"},         /* Nigeria: Lagos */
    {"243", "8,9", "0### ### ###"},      /* DR Congo */
    {"250", "7,8,9", "0### ### ###"},    /* Rwanda */
    {"250", "2", "0## ### ####"},
    {"251", "", "0## ### ####"},       /* Ethiopia */
    {"252", "6,7,9", "0## #######"},   /* Somalia */
    {"254", "1,7", "0### ######"},     /* Kenya: mobiles */
    {"254", "2,4,5,6", "0## #######"}, /* Kenya: landlines */
    {"255", "6,7", "0### ### ###"},    /* Tanzania: mobiles */
    {"255", "2,4", "0## ### ####"},    /* Tanzania: landlines */
    {"255", "8,9", "0### ## ####"},
    {"256", "", "0### ######"},              /* Uganda */
    {"593", "9", "0## ### ####"},            /* Ecuador: mobiles */
    {"593", "2,3,4,5,6,7", "(0#) ###-####"}, /* Ecuador: landlines */
    {"880", "1", "0####-######"},            /* Bangladesh: mobiles */
    {"961", "7,8,9", "## ### ###"},          /* Lebanon: mobiles */
    {"961", "", "0# ### ###"},            /* Lebanon: landlines, old mobiles */
    {"962", "7", "0# #### ####"},         /* Jordan: mobiles */
    {"962", "2,3,5,6", "0# ### ####"},    /* Jordan: landlines */
    {"963", "9", "0### ### ###"},         /* Syria: mobiles */
    {"963", "1,2,3,4,5", "0## ### ####"}, /* Syria: landlines */
    {"964", "7", "0### ### ####"},        /* Iraq: mobiles */
    {"964", "1", "0# ### ####"},          /* Iraq: Baghdad */
};

/* Whether nsn starts with one of the comma-separated prefixes of lead. */
static bool
leads(const char *lead, const char *nsn)
{
    while (*lead != '\0') {
        size_t n = strcspn(lead, ",");

        if (strncmp(nsn, lead, n) == 0)
            return true;
        lead += n + (lead[n] == ',');
    }
    return false;
}

int
phone_national(const char *e164, char *out, size_t size)
{
    const char *digits, *nsn;
    size_t cl, n;

    if (size > 0)
        out[0] = '\0';
    if (e164 == NULL || e164[0] != '+')
        return SK_EINVAL;
    digits = e164 + 1;
    n = strlen(digits);
    if (n > PHONE_DIGITS_MAX || strspn(digits, "0123456789") != n ||
        (cl = phone_calling_code_len(digits)) == 0)
        return SK_EINVAL;
    nsn = digits + cl;
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        const struct national_format *f = &formats[i];
        size_t need = 0, w = 0;
        const char *d = nsn;

        if (strlen(f->code) != cl || strncmp(f->code, digits, cl) != 0)
            continue;
        for (const char *c = f->format; *c != '\0'; c++)
            need += *c == '#';
        if (need != strlen(nsn) || (f->lead[0] != '\0' && !leads(f->lead, nsn)))
            continue;
        if (strlen(f->format) >= size)
            return SK_EINVAL; /* out stays "" */
        for (const char *c = f->format; *c != '\0'; c++)
            out[w++] = *c == '#' ? *d++ : *c;
        out[w] = '\0';
        return 0;
    }
    return SK_EINVAL;
}
