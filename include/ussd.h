/*
 * ussd.h - USSD paging: an answer longer than one screen is laid out on
 * pages (the layout itself is channel_ussd_paginate() in channel.h, used
 * by the provider code too); the pages of a step are kept in its inbound
 * row and the more key shows the next one without resuming the run.
 *
 * Threads. ussd_answer() and ussd_next_page() run on the store's writer
 * thread inside the inbound job (inbound.c); ussd_render() runs on the
 * event loop, in the job's done callback; ussd_goodbye() on any thread.
 */
#ifndef SK_USSD_H
#define SK_USSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct channel_reply;
struct flow_session;
struct inbound_job;
struct store_contact;
struct store_tx;

/* The last screen of a finished USSD session in lang (eng by default). */
const char *ussd_goodbye(const char *lang);

/* Lays the texts (a JSON array, emptied) out on USSD pages for the
 * contact c in session s and keeps them in job->reply as
 * {"screen", "rest", "contact"}; the last page is "CON ..." while the run
 * waits for the child, else "END ...". */
int ussd_answer(struct inbound_job *job, const struct store_contact *c,
                const struct flow_session *s, json_t *texts);

/* A step answered with the more key while the step before has pages left
 * for this child: the next page becomes this step's stored answer and
 * *shown is set (the flow is not resumed). Otherwise *shown is false. */
int ussd_next_page(struct store_tx *tx, struct inbound_job *job, int64_t now,
                   bool *shown);

/* The stored answer of a USSD step (reply) as the text/plain reply out
 * (free with channel_reply_clear()); *count is 1. */
int ussd_render(const char *reply, struct channel_reply *out, size_t *count);

#endif
