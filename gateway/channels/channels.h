/*
 * channels.h - the channel types themselves and the helpers they share
 * (chanutil.h), for the registry (channel.c), the types and their unit
 * tests. The rest of the gateway finds a type
 * through channel_find() or channel_at() (channel.h) and never by name.
 */
#ifndef SK_CHANNELS_H
#define SK_CHANNELS_H

#include <stdint.h>

#include "channel_type.h"
#include "chanutil.h"
#include "config.h"
#include "httpc.h"
#include "outbox.h"

/* The generic JSON/form channel. */
extern const struct channel_type channel_generic;
/* Twilio (Programmable Messaging) and Vonage (SMS API). */
extern const struct channel_type channel_twilio;
extern const struct channel_type channel_vonage;
/* Kannel's smsbox (sms-service post-url in, sendsms out). */
extern const struct channel_type channel_kannel;
/* Africa's Talking: SMS callbacks, the messaging API, delivery reports and
 * USSD sessions. */
extern const struct channel_type channel_africastalking;

/* The generic channel's sender: POSTs {"to","text","id"} as JSON to the
 * channel's send_url ("to" without the "tel:" scheme, "id" the row id as
 * a string, which lets the receiver dedupe). arg is the channel's
 * const struct config_channel *. Use outbox_req_free() as release. */
int outbox_generic_build(void *arg, const char *channel, const char *address,
                         const char *text, int64_t id, struct httpc_req *req);

#endif
