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

/* Voice calls (twilio_voice.c, africastalking_voice.c): the parse_call and
 * render_call of the Twilio and Africa's Talking types. */
int twilio_parse_call(const struct config_channel *ch,
                      const struct channel_request *req,
                      struct channel_call *call, char err[SK_ERR_LEN]);
int twilio_render_call(const struct config_channel *ch,
                       const struct channel_voice *v,
                       struct channel_reply *out);
int twilio_media_drop_url(const char *media_url, char *out, size_t cap);
int at_parse_call(const struct config_channel *ch,
                  const struct channel_request *req, struct channel_call *call,
                  char err[SK_ERR_LEN]);
int at_render_call(const struct config_channel *ch,
                   const struct channel_voice *v, struct channel_reply *out);

/* Vonage voice (vonage_voice.c): the call webhooks of the Vonage type.
 * vonage_is_call_request() says whether req is one (its path is under
 * /c/NAME/voice); vonage_verify_call() checks its signed-webhook JWT when
 * the channel has a signature_secret. vonage_jwt_verify(): whether
 * authorization ("Bearer TOKEN") holds an HS256 JWT under secret whose
 * payload_hash claim is the SHA-256 of body (required when body_len > 0).
 */
bool vonage_is_call_request(const struct channel_request *req);
int vonage_verify_call(const struct config_channel *ch,
                       const struct channel_request *req);
bool vonage_jwt_verify(const char *secret, const char *authorization,
                       const char *body, size_t body_len);
/* The Vonage media API's credentials (channel_type.h media_key,
 * media_key_free, media_token): the application_id and private_key_file
 * keys, and an RS256 application JWT minted for each fetch. */
int vonage_media_key(const struct config_channel *ch, void **key,
                     char err[SK_ERR_LEN]);
void vonage_media_key_free(void *key);
int vonage_media_token(const struct config_channel *ch, const void *key,
                       int64_t now, char *out, size_t cap);
int vonage_parse_call(const struct config_channel *ch,
                      const struct channel_request *req,
                      struct channel_call *call, char err[SK_ERR_LEN]);
int vonage_render_call(const struct config_channel *ch,
                       const struct channel_voice *v,
                       struct channel_reply *out);

/* The generic channel's sender: POSTs {"to","text","id"} as JSON to the
 * channel's send_url ("to" without the "tel:" scheme, "id" the row id as
 * a string, which lets the receiver dedupe). arg is the channel's
 * const struct config_channel *. Use outbox_req_free() as release. */
int outbox_generic_build(void *arg, const char *channel, const char *address,
                         const char *text, int64_t id, struct httpc_req *req);

#endif
