/*
 * media.h - the recording fetch policy of a voice channel (fetch.h),
 * built from its config (gateway/media.c).
 *
 * A channel's recordings may come from its provider's own media host (the
 * channel type names it: https, public addresses only) and from the hosts
 * its `media_hosts` key lists. A listed host is the operator's choice and
 * may be reached over plain http and at loopback or private addresses (a
 * local media server, a test's fake provider); the provider's own host
 * stays https and public even when listed. The provider's credentials
 * (when its type takes them for media) go with the fetch, and only to the
 * first URL's host. Pure; any thread.
 */
#ifndef SK_MEDIA_H
#define SK_MEDIA_H

#include "config.h"
#include "err.h"
#include "fetch.h"

#define MEDIA_HOST_LEN 256

/* policy's strings point into hosts[] and into the channel's config: it
 * lives no longer than either. */
struct media_policy {
    struct fetch_policy policy;
    char hosts[FETCH_MAX_HOSTS][MEDIA_HOST_LEN];
};

/* Fills mp for channel ch: 0, or SK_EINVAL with err (no such type, a
 * media_hosts value config_load() would refuse). */
int media_policy_init(struct media_policy *mp, const struct config_channel *ch,
                      char err[SK_ERR_LEN]);

#endif
