/*
 * channel.c - the channel registry: one row per provider, looked up by the
 * config's `type =`. The helpers the types share are in chanutil.c, so
 * the types never call back into the registry. Pure; any thread.
 */
#include <string.h>

#include "channels.h"

/* The registry: one row per provider. */
static const struct channel_type *const channel_types[] = {
    &channel_generic,        &channel_kannel, &channel_twilio,
    &channel_africastalking, &channel_vonage,
};

#define N_TYPES (sizeof(channel_types) / sizeof(channel_types[0]))

size_t
channel_count(void)
{
    return N_TYPES;
}

const struct channel_type *
channel_at(size_t i)
{
    return i < N_TYPES ? channel_types[i] : NULL;
}

const struct channel_type *
channel_find(const char *type)
{
    size_t i;

    if (type == NULL)
        return NULL;
    for (i = 0; i < sizeof(channel_types) / sizeof(channel_types[0]); i++)
        if (strcmp(channel_types[i]->type, type) == 0)
            return channel_types[i];
    return NULL;
}
