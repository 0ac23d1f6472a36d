/*
 * phone.h - phone numbers as people type them, made E.164 ("+254712345678").
 *
 * Part of the ground floor (flows/): pure, no I/O, no state; any thread.
 * One ITU table of country calling codes, with each country's trunk
 * prefix (the "0" of "0712 345 678") and the length of its national
 * significant number, turns the international form, the same without
 * "+" or with "00", and the national form of a country given by its ISO
 * 3166 alpha-2 code into one string. The gateway keys contacts with it
 * (privacy.c); the expression function format_urn shows numbers in their
 * national format (phone_national).
 */
#ifndef SK_PHONE_H
#define SK_PHONE_H

#include <stddef.h>

#include "err.h"

#define PHONE_DIGITS_MAX 15 /* digits of an E.164 number, at most */
#define PHONE_E164_MAX   17 /* "+", PHONE_DIGITS_MAX digits and a NUL */

/*
 * Writes number as E.164 into out. number is digits with an optional
 * leading "+", spaces, dashes, dots, slashes and brackets ignored.
 * Read as international when it starts with "+" or "00" (or "011" in
 * the North American plan), or, without them, when it starts with the
 * calling code of country (or, with no country given, of any country)
 * followed by a national number of that country's length; read as
 * national when country is given and it starts with country's trunk
 * prefix or has the length of its national numbers. country may be NULL
 * or "" (then only the international forms are known) and is matched
 * without regard to case.
 * Returns 0, or SK_EINVAL when number is not a phone number or cannot be
 * made E.164 (a short code, an unknown calling code, a wrong length, a
 * national form with no country); out is "" then.
 */
int phone_to_e164(const char *number, const char *country,
                  char out[PHONE_E164_MAX]);

/* The calling code of an ISO 3166 alpha-2 country ("KE" -> "254"), or
 * NULL for a country not in the table. */
const char *phone_calling_code(const char *country);

/* How many leading digits of digits are a known calling code (1 to 3),
 * or 0. ITU codes are prefix-free, so at most one matches. */
size_t phone_calling_code_len(const char *digits);

/*
 * Writes the E.164 number e164 ("+250781234567") as it is written inside
 * its country, as libphonenumber's national format has it ("0781 234
 * 567", "(202) 456-1111", "06 12 34 56 78"), into out of size bytes.
 * Known for the North American plan, France, the UK, and the countries of
 * East Africa, the Horn, Nigeria, DR Congo, the Levant, Iraq, Turkey,
 * Bangladesh, Ecuador, Colombia and Venezuela, in the number lengths of
 * their plans. Returns 0, or SK_EINVAL (out "") for a number that is not
 * E.164 or has no national format here, or when out is too small.
 */
int phone_national(const char *e164, char *out, size_t size);

#endif
