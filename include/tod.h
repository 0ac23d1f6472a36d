/*
 * tod.h - a time of day found in text as goflow finds one ("10:30",
 * "10:30:45 PM", "2pm", "1030"), for the expression functions (time(),
 * replace_time(), ...) and the router tests (has_time, has_date): one
 * reading, so both agree.
 *
 * Part of the ground floor (flows/). Pure; any thread.
 */
#ifndef SK_TOD_H
#define SK_TOD_H

/* A time of day: hours 0..23, minutes and seconds 0..59, microseconds. */
struct tod {
    int h, mi, s, us;
};

/*
 * Finds the first time of day in s by goflow's pattern: one or two digits
 * of hours, optional minutes (with or without ':'), seconds and a
 * fraction, and an optional am/pm; 24:00 is midnight; a match out of range
 * is skipped and the search goes on. 0 with *t set, SK_ENOENT when there
 * is none (or the search passed its step limit), SK_ENOMEM.
 */
int tod_find(const char *s, struct tod *t);

#endif
