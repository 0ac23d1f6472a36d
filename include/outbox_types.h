/*
 * outbox_types.h - what a channel type names of the outbox (outbox.h)
 * when it declares how it sends and reads delivery reports: the longest
 * provider message id kept, the final delivery states and the send
 * callbacks. Apart so that the channel type interface (channel_type.h)
 * needs nothing else of the outbox. Declarations only; any thread.
 */
#ifndef SK_OUTBOX_TYPES_H
#define SK_OUTBOX_TYPES_H

#include <stdint.h>

#define OUTBOX_EXTID_MAX 128 /* longest provider message id kept, NUL */

struct httpc_req;
struct httpc_resp;
struct outbox_result;

enum outbox_dlr { OUTBOX_DLR_DELIVERED, OUTBOX_DLR_FAILED };

/*
 * Builds the provider request for one row. address is the clear reply
 * address from the vault (never NULL: a row whose vault entry is gone is
 * failed "no address" without calling this), text the message. Fill req
 * with memory of your own; release(arg, req) is called once httpc has
 * copied it (outbox_req_free() suits a req whose strings are all
 * malloc'd). Return 0, or a negative SK_E* (the row fails; free what you
 * made yourself, release is not called).
 */
typedef int (*outbox_build_fn)(void *arg, const char *channel,
                               const char *address, const char *text,
                               int64_t id, struct httpc_req *req);
typedef void (*outbox_release_fn)(void *arg, struct httpc_req *req);
/* Classifies a response (status 0 with resp->error for transport errors).
 * res comes zeroed with retry_after_ms -1. */
typedef void (*outbox_result_fn)(void *arg, const char *channel,
                                 const struct httpc_resp *resp,
                                 struct outbox_result *res);

#endif
