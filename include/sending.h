/*
 * sending.h - the outbox for the configured channels, with its attempts
 * counted in the metrics. Main thread (start); see sending.c.
 */
#ifndef SK_SENDING_H
#define SK_SENDING_H

#include "err.h"

struct channel_type;
struct config;
struct event_base;
struct metrics;
struct outbox;
struct privacy;
struct store;

/* What the outbox's report callback reads; must outlive the outbox. */
struct sending_ctx {
    const struct config *cfg;
    struct metrics *metrics;
};

/*
 * The started outbox, sending for every channel of ctx->cfg whose type
 * (types[i], by config index) can send on its own. NULL with err empty
 * when no channel can; NULL with err filled on failure.
 */
struct outbox *sending_outbox_new(struct sending_ctx *ctx,
                                  const struct channel_type *const *types,
                                  struct event_base *base, struct store *st,
                                  struct privacy *priv, char err[SK_ERR_LEN]);

#endif
