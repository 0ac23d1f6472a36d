/*
 * scrub.h - free text made safe for an export: what could name or reach a
 * child is replaced, and spreadsheet cells are kept from being read as
 * formulas.
 *
 * Pure functions (no I/O, no globals): any thread.
 *
 * scrub_text() replaces, in UTF-8 text:
 *   - e-mail addresses (ana@example.org)                 -> "[email]"
 *   - URLs: a scheme (https://...), www. hosts, and bare
 *     domains with or without a path (example.org/x)     -> "[url]"
 *   - @handles (@ana_k)                                  -> "[handle]"
 *   - phone numbers in international and local forms,
 *     spaced, dashed, dotted or with brackets
 *     (+254 712 345 678, (020) 123-4567, 0712.345.678),
 *     and any other run of SCRUB_MIN_DIGITS or more
 *     digits (ASCII or Arabic-Indic) with such separators -> "[phone]"
 * It scrubs rather more than less: "fine.thanks" reads as a domain.
 *
 * scrub_cell() neutralises a spreadsheet cell: text starting with "=",
 * "+", "-", "@", a tab or a carriage return gets a leading apostrophe, so
 * Excel and LibreOffice show it as text instead of running it.
 */
#ifndef SK_SCRUB_H
#define SK_SCRUB_H

#include <stdbool.h>

/* Digits from which a number-like run is taken for a phone number. */
#define SCRUB_MIN_DIGITS 7

/* A malloc'd scrubbed copy of text (NULL text gives NULL), or NULL when
 * memory ran out (*oom set). */
char *scrub_text(const char *text, bool *oom);

/* Whether a cell of text must be neutralised. */
bool scrub_cell_needs(const char *text);

/* A malloc'd neutralised copy of cell (NULL gives NULL), or NULL when
 * memory ran out (*oom set). */
char *scrub_cell(const char *cell, bool *oom);

#endif
