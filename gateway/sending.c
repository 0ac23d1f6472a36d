/*
 * sending.c - the outbox wired to the configured channels: every channel
 * whose type can send on its own (channel.h: build_send, can_send) gets
 * its sender, and each attempt's committed outcome is counted in the
 * metrics. Main thread, at start; the report callback runs on the event
 * loop, called by the outbox.
 */
#include <string.h>

#include "channel.h"
#include "config.h"
#include "metrics.h"
#include "outbox.h"
#include "sending.h"

/* outbox_opts.report: an attempt's committed outcome, for the metrics. */
static void
outbox_report(void *arg, const char *channel, enum outbox_verdict v)
{
    const struct sending_ctx *ctx = arg;
    size_t i;

    for (i = 0; i < ctx->cfg->n_channels; i++) {
        if (strcmp(ctx->cfg->channels[i].name, channel) != 0)
            continue;
        if (v == OUTBOX_SENT)
            metrics_messages_out(ctx->metrics, i, 1);
        else
            metrics_error(ctx->metrics, i, METRICS_ERR_SEND);
        return;
    }
}

struct outbox *
sending_outbox_new(struct sending_ctx *ctx,
                   const struct channel_type *const *types,
                   struct event_base *base, struct store *st,
                   struct privacy *priv, char err[SK_ERR_LEN])
{
    const struct config *cfg = ctx->cfg;
    struct outbox_opts opts = {
        .max_parallel = cfg->outbox_max_parallel,
        .max_attempts = cfg->outbox_max_attempts,
        .poll_ms = cfg->outbox_poll_ms,
        .backoff_base_ms = cfg->outbox_backoff_base_ms,
        .backoff_max_ms = cfg->outbox_backoff_max_ms,
        .report = outbox_report,
        .report_arg = ctx,
    };
    struct outbox_channel oc;
    struct outbox *ob = NULL;
    size_t i;
    int rc;

    for (i = 0; i < ctx->cfg->n_channels; i++) {
        const struct config_channel *ch = &cfg->channels[i];
        const struct channel_type *t = types[i];

        if (t->build_send == NULL || (t->can_send != NULL && !t->can_send(ch)))
            continue;
        if (ob == NULL && (ob = outbox_new(base, st, priv, &opts, err)) == NULL)
            return NULL;
        memset(&oc, 0, sizeof(oc));
        oc.name = ch->name;
        oc.build = t->build_send;
        oc.release = outbox_req_free;
        oc.result = t->send_result;
        oc.idempotent = t->idempotent_send;
        oc.arg = (void *)ch;
        if ((rc = outbox_add_channel(ob, &oc)) != 0) {
            sk_seterr(err, "outbox: channel %s: %s", ch->name, sk_strerror(rc));
            outbox_free(ob);
            return NULL;
        }
    }
    if (ob != NULL && (rc = outbox_start(ob)) != 0) {
        sk_seterr(err, "outbox: %s", sk_strerror(rc));
        outbox_free(ob);
        return NULL;
    }
    return ob;
}
