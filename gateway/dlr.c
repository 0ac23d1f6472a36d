/*
 * dlr.c - delivery reports (see dlr.h): the loop side of POST
 * /c/NAME/status. Everything here runs on the event loop thread; the
 * store job that updates the outbox row is submitted through outbox.c
 * (outbox_delivery_row() or outbox_delivery()) and its done callback,
 * report_done(), sends the reply after COMMIT.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "channel.h"
#include "config.h"
#include "dlr.h"
#include "http.h"
#include "metrics.h"
#include "outbox.h"
#include "webreq.h"

/* A report on its way to the store, with the request it answers. */
struct dlr_job {
    const struct dlr_ctx *ctx;
    struct evhttp_request *req;
    double t0;
    size_t ch;
};

static void
dlr_ack(const struct dlr_ctx *ctx, struct evhttp_request *req, double t0)
{
    http_send(ctx->http, req, t0, HTTP_OK, "application/json", "{}", 2);
}

/* An error reply in the channel type's own form, or plain text. */
static void
dlr_error(const struct dlr_ctx *ctx, struct evhttp_request *req, double t0,
          size_t ch, int code, const char *reason)
{
    webreq_error(ctx->http, ctx->types[ch], &ctx->cfg->channels[ch], req, t0,
                 code, reason);
}

/* Loop: the delivery report is stored (or matched no row). */
static void
report_done(void *arg, int rc)
{
    struct dlr_job *job = arg;
    const struct dlr_ctx *ctx = job->ctx;

    (*ctx->pending)--;
    if (rc == 0 || rc == SK_ENOENT) {
        /* a report for a row we do not know is still acknowledged, or
         * the provider would retry it for ever */
        dlr_ack(ctx, job->req, job->t0);
    } else {
        metrics_error(ctx->metrics, job->ch, METRICS_ERR_STORE);
        dlr_error(ctx, job->req, job->t0, job->ch, HTTP_SERVUNAVAIL,
                  "busy, try again");
    }
    free(job);
    ctx->settled(ctx->settled_arg);
}

void
dlr_status(void *arg, struct evhttp_request *req, size_t ch, double t0)
{
    const struct dlr_ctx *ctx = arg;
    const struct config_channel *cc = &ctx->cfg->channels[ch];
    const struct channel_type *t = ctx->types[ch];
    struct channel_request creq;
    struct channel_status st;
    struct dlr_job *job;
    char err[SK_ERR_LEN] = "", *body = NULL;
    int rc;

    if (webreq_copy(req, &creq, &body) != 0) {
        dlr_error(ctx, req, t0, ch, HTTP_INTERNAL, "out of memory");
        return;
    }
    if (t->verify(cc, &creq) != 0) {
        webreq_body_free(&creq, body);
        metrics_error(ctx->metrics, ch, METRICS_ERR_DENIED);
        dlr_error(ctx, req, t0, ch, 403, "forbidden");
        return;
    }
    memset(&st, 0, sizeof(st));
    rc = t->parse_status != NULL ? t->parse_status(cc, &creq, &st, err)
                                 : SK_ENOENT;
    webreq_body_free(&creq, body);
    if (rc == SK_EINVAL) {
        metrics_error(ctx->metrics, ch, METRICS_ERR_BAD_REQUEST);
        dlr_error(ctx, req, t0, ch, HTTP_BADREQUEST, err);
        return;
    }
    if (rc != 0 && rc != SK_ENOENT) {
        /* not stored: the provider must send the report again */
        metrics_error(ctx->metrics, ch, METRICS_ERR_INTERNAL);
        dlr_error(ctx, req, t0, ch, HTTP_INTERNAL, "internal error");
        return;
    }
    if (rc != 0 || !st.final || ctx->outbox == NULL) {
        /* nothing to record: no parser, an interim report, no outbox */
        dlr_ack(ctx, req, t0);
        return;
    }
    if ((job = calloc(1, sizeof(*job))) == NULL) {
        dlr_error(ctx, req, t0, ch, HTTP_INTERNAL, "out of memory");
        return;
    }
    job->ctx = ctx;
    job->req = req;
    job->t0 = t0;
    job->ch = ch;
    if (st.row_id > 0)
        rc = outbox_delivery_row(ctx->outbox, cc->name, st.row_id, st.status,
                                 report_done, job);
    else
        rc = outbox_delivery(ctx->outbox, cc->name, st.external_id, st.status,
                             report_done, job);
    if (rc != 0) {
        free(job); /* report_done() will never run */
        metrics_error(ctx->metrics, ch, METRICS_ERR_BUSY);
        dlr_error(ctx, req, t0, ch, HTTP_SERVUNAVAIL, "busy, try again");
        return;
    }
    (*ctx->pending)++;
}
