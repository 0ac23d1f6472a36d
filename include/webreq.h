/*
 * webreq.h - a provider's evhttp request as a struct channel_request
 * (channel.h), for the channel types to read. Event loop thread only.
 */
#ifndef SK_WEBREQ_H
#define SK_WEBREQ_H

#include "channel.h"

struct evhttp_request;
struct http_server;

/* Answers req with an error in the provider's own format (t->render_error)
 * or, when it has none, as plain text. t may be NULL (no channel). */
void webreq_error(struct http_server *h, const struct channel_type *t,
                  const struct config_channel *cc, struct evhttp_request *req,
                  double t0, int code, const char *reason);

/* Fills creq from req; *body is the malloc'd copy of the body creq points
 * at, freed with webreq_body_free(). 0 or SK_ENOMEM. creq borrows req. */
int webreq_copy(struct evhttp_request *req, struct channel_request *creq,
                char **body);

/* Wipes and frees body (the copy webreq_copy() made); NULL is a no-op. */
void webreq_body_free(const struct channel_request *creq, char *body);

#endif
