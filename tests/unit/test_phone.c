/*
 * test_phone.c - phone numbers made E.164 (phone.h): the forms people
 * type in many countries, with and without a country, and what is not a
 * phone number; and numbers in their national format.
 */
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "err.h"
#include "phone.h"

struct row {
    const char *in, *country, *want; /* want NULL: SK_EINVAL */
};

static void
check_rows(const struct row *rows, size_t n)
{
    char out[PHONE_E164_MAX];
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        rc = phone_to_e164(rows[i].in, rows[i].country, out);
        if (rows[i].want == NULL) {
            if (rc != SK_EINVAL)
                fail_msg("\"%s\" (%s): want EINVAL, got %d \"%s\"", rows[i].in,
                         rows[i].country ? rows[i].country : "-", rc, out);
            assert_string_equal(out, "");
        } else {
            if (rc != 0 || strcmp(out, rows[i].want) != 0)
                fail_msg("\"%s\" (%s): want %s, got %d \"%s\"", rows[i].in,
                         rows[i].country ? rows[i].country : "-", rows[i].want,
                         rc, out);
        }
    }
}

/* One Kenyan child, every way the number arrives: one E.164 number. */
static void
test_kenya_one_number(void **state)
{
    static const struct row rows[] = {
        {"254712345678", "KE", "+254712345678"},
        {"+254712345678", "KE", "+254712345678"},
        {"0712345678", "KE", "+254712345678"},
        {"0712 345 678", "KE", "+254712345678"},
        {"0712-345-678", "KE", "+254712345678"},
        {"+254 712 345 678", "KE", "+254712345678"},
        {"00254712345678", "KE", "+254712345678"},
        {"(0712) 345.678", "ke", "+254712345678"},
        {"712345678", "KE", "+254712345678"},
        /* without a country the international forms still meet */
        {"254712345678", NULL, "+254712345678"},
        {"+254712345678", NULL, "+254712345678"},
        {"254712345678", "", "+254712345678"},
        /* the local form needs the country */
        {"0712345678", NULL, NULL},
        {"0712345678", "", NULL},
    };

    (void)state;
    check_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void
test_countries(void **state)
{
    static const struct row rows[] = {
        /* Uganda, Tanzania, Rwanda, Ethiopia, Somalia, South Sudan */
        {"0772123456", "UG", "+256772123456"},
        {"256772123456", "UG", "+256772123456"},
        {"0754123456", "TZ", "+255754123456"},
        {"0788123456", "RW", "+250788123456"},
        {"0911234567", "ET", "+251911234567"},
        {"0912345678", "SS", "+211912345678"},
        {"0812345678", "CD", "+243812345678"},
        /* Nigeria (mobile 10), Ghana, Cameroon (no trunk) */
        {"08031234567", "NG", "+2348031234567"},
        {"0241234567", "GH", "+233241234567"},
        {"677123456", "CM", "+237677123456"},
        {"237677123456", "CM", "+237677123456"},
        /* Senegal, Mali, Niger, Burkina Faso: no trunk prefix */
        {"77 123 45 67", "SN", "+221771234567"},
        {"76123456", "ML", "+22376123456"},
        {"90123456", "NE", "+22790123456"},
        {"70123456", "BF", "+22670123456"},
        /* Lebanon, Jordan, Iraq, Syria, Yemen, Turkey, Egypt */
        {"03 123 456", "LB", "+9613123456"},
        {"0791234567", "JO", "+962791234567"},
        {"07901234567", "IQ", "+9647901234567"},
        {"0944123456", "SY", "+963944123456"},
        {"0771234567", "YE", "+967771234567"},
        {"0532 123 45 67", "TR", "+905321234567"},
        {"01001234567", "EG", "+201001234567"},
        /* Bangladesh, Pakistan, Afghanistan, India */
        {"01712345678", "BD", "+8801712345678"},
        {"0300 1234567", "PK", "+923001234567"},
        {"0701234567", "AF", "+93701234567"},
        {"098765 43210", "IN", "+919876543210"},
        /* North America: trunk 1, and 011 to dial out */
        {"(202) 555-0123", "US", "+12025550123"},
        {"1 202 555 0123", "US", "+12025550123"},
        {"011 254 712 345 678", "US", "+254712345678"},
        {"416-555-0199", "CA", "+14165550199"},
        /* Russia: trunk 8 */
        {"8 912 345-67-89", "RU", "+79123456789"},
        {"+7 912 345 67 89", NULL, "+79123456789"},
        /* Europe: trunk 0; Italy keeps its 0; Hungary 06 */
        {"06 12 34 56 78", "FR", "+33612345678"},
        {"07700 900123", "GB", "+447700900123"},
        {"030 1234567", "DE", "+49301234567"},
        {"06 1234 5678", "IT", "+390612345678"},
        {"312 345 6789", "IT", "+393123456789"},
        {"06 30 123 4567", "HU", "+36301234567"},
        {"612 345 678", "ES", "+34612345678"},
        /* Latin America */
        {"55 1234 5678", "MX", "+525512345678"},
        {"300 1234567", "CO", "+573001234567"},
        {"0412 1234567", "VE", "+584121234567"},
        {"(11) 91234-5678", "BR", "+5511912345678"},
        {"0991234567", "EC", "+593991234567"},
        /* Asia-Pacific */
        {"090-1234-5678", "JP", "+819012345678"},
        {"0412 345 678", "AU", "+61412345678"},
        {"9123 4567", "SG", "+6591234567"},
        /* a number of another country, typed in full without + */
        {"256772123456", "KE", "+256772123456"},
        {"447700900123", "KE", "+447700900123"},
    };

    (void)state;
    check_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void
test_invalid(void **state)
{
    static const struct row rows[] = {
        {"", "KE", NULL},
        {"   ", "KE", NULL},
        {"+", "KE", NULL},
        {"hello", "KE", NULL},
        {"0712x45678", "KE", NULL},
        {"07123+45678", "KE", NULL},
        {"++254712345678", "KE", NULL},
        /* short codes are not E.164 */
        {"12345", "KE", NULL},
        {"*144#", "KE", NULL},
        /* too long, too short, or an unknown calling code */
        {"+2547123456789012", NULL, NULL},
        {"+25471", NULL, NULL},
        {"+0712345678", NULL, NULL},
        {"+999123456789", NULL, NULL},
        {"07123456789", "KE", NULL},
        /* an unknown country reads only the international forms */
        {"0712345678", "ZZ", NULL},
        {"0712345678", "KEN", NULL},
        {"+254712345678", "ZZ", "+254712345678"},
        {"12345678901234567890123", NULL, NULL},
    };
    char out[PHONE_E164_MAX];

    (void)state;
    check_rows(rows, sizeof(rows) / sizeof(rows[0]));
    assert_int_equal(phone_to_e164(NULL, "KE", out), SK_EINVAL);
}

static void
test_calling_codes(void **state)
{
    (void)state;
    assert_string_equal(phone_calling_code("KE"), "254");
    assert_string_equal(phone_calling_code("ke"), "254");
    assert_string_equal(phone_calling_code("US"), "1");
    assert_string_equal(phone_calling_code("RU"), "7");
    assert_string_equal(phone_calling_code("FR"), "33");
    assert_null(phone_calling_code("ZZ"));
    assert_null(phone_calling_code(NULL));
    assert_null(phone_calling_code("K"));
    assert_int_equal(phone_calling_code_len("254712345678"), 3);
    assert_int_equal(phone_calling_code_len("12025550123"), 1);
    assert_int_equal(phone_calling_code_len("447700900123"), 2);
    assert_int_equal(phone_calling_code_len("0712345678"), 0);
    assert_int_equal(phone_calling_code_len("999"), 0);
    assert_int_equal(phone_calling_code_len(""), 0);
    assert_int_equal(phone_calling_code_len(NULL), 0);
}

/* National formats (phone_national), as libphonenumber writes them and
   goflow's format_urn shows them: goflow's examples first, then a mobile
   (and a landline where the plan differs) of each country served. */
static void
test_national(void **state)
{
    static const struct {
        const char *e164, *want; /* want NULL: SK_EINVAL */
    } rows[] = {
        {"+250781234567", "0781 234 567"}, /* goflow's examples */
        {"+12024561111", "(202) 456-1111"},
        {"+12065551212", "(206) 555-1212"},
        {"+17184567890", "(718) 456-7890"},
        {"+14165550123", "(416) 555-0123"}, /* Canada */
        {"+18765550123", "(876) 555-0123"}, /* Jamaica, in the NANP */
        {"+254712345678", "0712 345678"},   /* Kenya */
        {"+254110123456", "0110 123456"},
        {"+254202012345", "020 2012345"},
        {"+256772123456", "0772 123456"},  /* Uganda */
        {"+255712345678", "0712 345 678"}, /* Tanzania */
        {"+255222123456", "022 212 3456"},
        {"+250252123456", "025 212 3456"},   /* Rwanda, a landline */
        {"+243812345678", "0812 345 678"},   /* DR Congo */
        {"+211977123456", "0977 123 456"},   /* South Sudan */
        {"+251911234567", "091 123 4567"},   /* Ethiopia */
        {"+252612345678", "061 2345678"},    /* Somalia */
        {"+2348031234567", "0803 123 4567"}, /* Nigeria */
        {"+23412345678", "01 234 5678"},
        {"+96171123456", "71 123 456"}, /* Lebanon */
        {"+9611123456", "01 123 456"},
        {"+962790123456", "07 9012 3456"}, /* Jordan */
        {"+96262001234", "06 200 1234"},
        {"+963944567890", "0944 567 890"}, /* Syria */
        {"+963111234567", "011 123 4567"},
        {"+9647912345678", "0791 234 5678"}, /* Iraq */
        {"+905321234567", "0532 123 45 67"}, /* Turkey */
        {"+902123456789", "(0212) 345 67 89"},
        {"+8801812345678", "01812-345678"}, /* Bangladesh */
        {"+593991234567", "099 123 4567"},  /* Ecuador */
        {"+59322123456", "(02) 212-3456"},
        {"+573211234567", "321 1234567"},   /* Colombia */
        {"+584121234567", "0412-1234567"},  /* Venezuela */
        {"+33612345678", "06 12 34 56 78"}, /* France */
        {"+447400123456", "07400 123456"},  /* UK */
        {"+442079460018", "020 7946 0018"},
        {"+441134960000", "0113 496 0000"},
        /* no national format here: shown as they are */
        {"+390612345678", NULL},   /* Italy: not in the table */
        {"+2547123456", NULL},     /* Kenya, too short */
        {"+25471234567890", NULL}, /* too long */
        {"250781234567", NULL},    /* not E.164 */
        {"+25078123456x", NULL},
        {"+", NULL},
        {"", NULL},
        {NULL, NULL},
    };
    char out[64];

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int rc = phone_national(rows[i].e164, out, sizeof(out));

        if (rows[i].want == NULL) {
            if (rc != SK_EINVAL || out[0] != '\0')
                fail_msg("%s: want EINVAL, got %d \"%s\"",
                         rows[i].e164 ? rows[i].e164 : "NULL", rc, out);
        } else if (rc != 0 || strcmp(out, rows[i].want) != 0)
            fail_msg("%s: want \"%s\", got %d \"%s\"", rows[i].e164,
                     rows[i].want, rc, out);
    }
    /* an out too small for the format is refused, not cut */
    assert_int_equal(phone_national("+250781234567", out, 12), SK_EINVAL);
    assert_string_equal(out, "");
    assert_int_equal(phone_national("+250781234567", out, 13), 0);
    assert_string_equal(out, "0781 234 567");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kenya_one_number),
        cmocka_unit_test(test_countries),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_calling_codes),
        cmocka_unit_test(test_national),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
