/*
 * channel.h - the channel types as the rest of the gateway uses them: the
 * channel type interface and its registry (channel_type.h) with the
 * config (config.h) and outbox (outbox.h) declarations they go with.
 * The provider code itself includes channels.h, config checking only
 * channel_type.h, so no header of theirs leads back here.
 */
#ifndef SK_CHANNEL_H
#define SK_CHANNEL_H

#include "channel_type.h"
#include "config.h"
#include "outbox.h"

#endif
