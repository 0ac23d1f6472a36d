/*
 * recording.c - recordings sealed at rest (recording.h).
 *
 * The plain text sealed is the samples as 16-bit little-endian PCM, so a
 * blob reads the same on any machine. The associated data is one line
 * of the row's fields (contact, flow, result name, rate, samples,
 * created_at, needs_listening): recording_open() rebuilds it from the row
 * it is given, so any change to the row or the blob fails the tag.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "privacy.h"
#include "recording.h"

#define RECORDING_AAD_MAX (3 * RECORDING_NAME_MAX + 128)

/* The associated data of row into aad: its length, or -1 when a field is
 * missing or too long. */
static int
recording_aad(const struct store_recording *row, char aad[RECORDING_AAD_MAX])
{
    int n;

    if (row->contact_key == NULL || row->flow_uuid == NULL ||
        row->result_name == NULL ||
        strlen(row->contact_key) >= RECORDING_NAME_MAX ||
        strlen(row->flow_uuid) >= RECORDING_NAME_MAX ||
        strlen(row->result_name) >= RECORDING_NAME_MAX)
        return -1;
    n = snprintf(aad, RECORDING_AAD_MAX,
                 "sikiliza recording v1\n%s\n%s\n%s\n%d\n%" PRId64 "\n%" PRId64
                 "\n%d",
                 row->contact_key, row->flow_uuid, row->result_name, row->rate,
                 row->samples, row->created_at, row->needs_listening ? 1 : 0);
    return n > 0 && n < RECORDING_AAD_MAX ? n : -1;
}

static char *
recording_dup(const char *s, bool *ok)
{
    char *d = strdup(s);

    if (d == NULL)
        *ok = false;
    return d;
}

int
recording_seal(const struct privacy *p, const struct recording_ref *ref,
               const struct audio_pcm *pcm, int64_t now_ms,
               struct store_recording *row)
{
    char aad[RECORDING_AAD_MAX];
    unsigned char *plain;
    size_t i, len;
    bool ok = true;
    int alen, rc = SK_ENOMEM;

    memset(row, 0, sizeof(*row));
    if (p == NULL || ref == NULL || pcm == NULL || pcm->samples == NULL ||
        pcm->nsamples == 0 || pcm->rate <= 0 ||
        pcm->nsamples > PRIVACY_RECORDING_MAX / 2 || ref->contact_key == NULL ||
        ref->flow_uuid == NULL || ref->result_name == NULL)
        return SK_EINVAL;
    row->contact_key = recording_dup(ref->contact_key, &ok);
    row->flow_uuid = recording_dup(ref->flow_uuid, &ok);
    row->result_name = recording_dup(ref->result_name, &ok);
    row->rate = pcm->rate;
    row->samples = (int64_t)pcm->nsamples;
    row->needs_listening = ref->needs_listening;
    row->created_at = now_ms;
    if (!ok)
        goto fail;
    alen = recording_aad(row, aad);
    if (alen < 0) {
        rc = SK_EINVAL;
        goto fail;
    }
    len = pcm->nsamples * 2;
    plain = malloc(len);
    if (plain == NULL)
        goto fail;
    for (i = 0; i < pcm->nsamples; i++) {
        uint16_t v = (uint16_t)pcm->samples[i];
        plain[2 * i] = (unsigned char)(v & 0xff);
        plain[2 * i + 1] = (unsigned char)(v >> 8);
    }
    row->blob = privacy_seal_recording(p, aad, (size_t)alen, plain, len,
                                       &row->blob_len);
    OPENSSL_cleanse(plain, len);
    free(plain);
    if (row->blob == NULL)
        goto fail;
    return 0;
fail:
    store_recording_clear(row);
    return rc;
}

int
recording_open(const struct privacy *p, const struct store_recording *row,
               struct audio_pcm *pcm)
{
    char aad[RECORDING_AAD_MAX];
    unsigned char *plain = NULL;
    void *data = NULL;
    size_t i, len = 0;
    int alen, rc;

    memset(pcm, 0, sizeof(*pcm));
    alen = recording_aad(row, aad);
    if (alen < 0 || row->blob == NULL || row->rate <= 0)
        return SK_EDENIED;
    rc = privacy_open_recording(p, aad, (size_t)alen, row->blob, row->blob_len,
                                &data, &len);
    if (rc != 0)
        return rc == SK_ENOMEM ? SK_ENOMEM : SK_EDENIED;
    plain = data;
    if (len % 2 != 0 || (int64_t)(len / 2) != row->samples || len == 0) {
        rc = SK_EDENIED;
        goto out;
    }
    pcm->samples = malloc(len);
    if (pcm->samples == NULL) {
        rc = SK_ENOMEM;
        goto out;
    }
    for (i = 0; i < len / 2; i++)
        pcm->samples[i] =
            (int16_t)(uint16_t)(plain[2 * i] | (uint16_t)plain[2 * i + 1] << 8);
    pcm->nsamples = len / 2;
    pcm->rate = row->rate;
    pcm->src_rate = row->rate;
    pcm->src_channels = 1;
out:
    OPENSSL_cleanse(plain, len);
    free(plain);
    return rc;
}

int64_t
recording_store(struct store_tx *tx, const struct privacy *p,
                const struct recording_ref *ref, const struct audio_pcm *pcm,
                int64_t now_ms)
{
    struct store_recording row;
    int64_t id;
    int rc = recording_seal(p, ref, pcm, now_ms, &row);

    if (rc != 0)
        return rc;
    id = store_recording_put(tx, &row);
    store_recording_clear(&row);
    return id;
}

int
recording_load(struct store_tx *tx, const struct privacy *p, int64_t id,
               struct audio_pcm *pcm, struct store_recording *meta)
{
    struct store_recording row;
    int rc;

    memset(pcm, 0, sizeof(*pcm));
    if (meta != NULL)
        memset(meta, 0, sizeof(*meta));
    rc = store_recording_get(tx, id, &row);
    if (rc != 0)
        return rc;
    rc = recording_open(p, &row, pcm);
    if (rc == 0 && meta != NULL) {
        free(row.blob);
        row.blob = NULL;
        row.blob_len = 0;
        *meta = row;
        return 0;
    }
    store_recording_clear(&row);
    return rc;
}
