/*
 * media.c - a voice channel's recording fetch policy (media.h): the
 * provider's media host from the channel type, the operator's hosts from
 * media_hosts (parsed as config_load() checks them), and the type's
 * credentials for its media API.
 */
#include <string.h>
#include <strings.h>

#include "channel.h"
#include "media.h"

_Static_assert(CHANNEL_MEDIA_HOSTS < FETCH_MAX_HOSTS,
               "media_hosts and the provider's host fit one policy");
_Static_assert(CHANNEL_MEDIA_HOST_LEN == MEDIA_HOST_LEN,
               "a media host name has one limit");

int
media_policy_init(struct media_policy *mp, const struct config_channel *ch,
                  char err[SK_ERR_LEN])
{
    const struct channel_type *t;
    struct fetch_policy *p = &mp->policy;
    const char *reason = NULL;
    int n, i;

    memset(mp, 0, sizeof(*mp));
    t = ch != NULL && ch->type != NULL ? channel_find(ch->type) : NULL;
    if (t == NULL) {
        sk_seterr(err, "media: no such channel type");
        return SK_EINVAL;
    }
    if (t->media_host != NULL)
        p->hosts[p->n_hosts++] = t->media_host;
    if (ch->media_hosts != NULL) {
        n = channel_media_hosts_split(ch->media_hosts, mp->hosts + 1, &reason);
        if (n < 0) {
            sk_seterr(err, "channel '%s': media_hosts %s", ch->name, reason);
            return SK_EINVAL;
        }
        for (i = 0; i < n; i++) {
            /* the provider's own host stays https and public */
            if (t->media_host != NULL &&
                strcasecmp(mp->hosts[i + 1], t->media_host) == 0)
                continue;
            p->hosts[p->n_hosts++] = mp->hosts[i + 1];
            p->local_hosts[p->n_local++] = mp->hosts[i + 1];
        }
    }
    if (t->media_auth != NULL)
        t->media_auth(ch, &p->user, &p->password);
    return 0;
}
