/*
 * ussd.h - USSD paging: an answer longer than one screen is laid out on
 * pages (the layout itself is channel_ussd_paginate() in channel.h, used
 * by the provider code too); the pages of a step are kept in its inbound
 * row and the more key shows the next one without resuming the run.
 *
 * Keeping a step's pages and showing the next one is part of the inbound
 * step (inbound.c), on the store's writer thread; ussd_render() runs on
 * the event loop, in the job's done callback; ussd_goodbye() on any
 * thread.
 */
#ifndef SK_USSD_H
#define SK_USSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct channel_reply;
struct flow_session;
struct store_contact;
struct store_tx;

/* The last screen of a finished USSD session in lang (eng by default). */
const char *ussd_goodbye(const char *lang);

/* The stored answer of a USSD step (reply) as the text/plain reply out
 * (free with channel_reply_clear()); *count is 1. */
int ussd_render(const char *reply, struct channel_reply *out, size_t *count);

#endif
