/*
 * html_entities.h - HTML5's named character references (html_entities.c),
 * private to the expression functions (html_decode). Pure; any thread.
 */
#ifndef SK_HTML_ENTITIES_H
#define SK_HTML_ENTITIES_H

#include <stddef.h>
#include <stdint.h>

/* The longest name HTML5 also knows without its ';' ("middot"). */
#define HTML_ENTITY_MAX_BARE 6

/*
 * The reference called name[0..len) (what follows '&', with its ';' when
 * it has one: "amp;", "amp", "NotEqualTilde;"): its code points in
 * cp[0..2) and how many (1 or 2), or 0 when HTML5 has no such name.
 */
int html_entity_lookup(const char *name, size_t len, int32_t cp[2]);

#endif
