/*
 * recording.h - a child's recorded answer, sealed at rest
 * (gateway/recording.c).
 *
 * Audio is personal data. A decoded recording (audio.h: 16-bit mono PCM)
 * is sealed with AES-256-GCM under the recording key (privacy.h: derived
 * from the key file, a fresh random nonce per recording) before it reaches
 * the store, and opened only when asked for. The associated data binds
 * the contact, the flow, the result name, the rate, the length and the
 * time, so a sealed blob moved to another row or another contact does
 * not open. The store keeps it in its recordings table (store.h);
 * store_contact_erase() removes a contact's recordings and
 * store_recordings_purge() those past the retention period.
 *
 * recording_seal() and recording_open() may run on any thread;
 * recording_store() and recording_load() only inside a store job.
 */
#ifndef SK_RECORDING_H
#define SK_RECORDING_H

#include <stdbool.h>
#include <stdint.h>

#include "audio.h"
#include "err.h"
#include "store.h"

struct privacy;

#define RECORDING_NAME_MAX 256 /* flow uuid and result name, bytes */

/* What a recording is of. Borrowed strings. */
struct recording_ref {
    const char *contact_key;
    const char *flow_uuid;
    const char *result_name;
    bool needs_listening; /* an open answer no model could transcribe */
};

/* Seals pcm into row (every field set, row->blob malloc'd: free with
 * store_recording_clear()). 0, SK_EINVAL (empty audio, a field missing or
 * too long), SK_ENOMEM. */
int recording_seal(const struct privacy *p, const struct recording_ref *ref,
                   const struct audio_pcm *pcm, int64_t now_ms,
                   struct store_recording *row);

/* Opens row into pcm (free with audio_pcm_free()): 0, SK_EDENIED when the
 * blob was tampered with or does not belong to the row, SK_ENOMEM. */
int recording_open(const struct privacy *p, const struct store_recording *row,
                   struct audio_pcm *pcm);

/* Seals and stores: the new recording's id, or a negative SK_E*. */
int64_t recording_store(struct store_tx *tx, const struct privacy *p,
                        const struct recording_ref *ref,
                        const struct audio_pcm *pcm, int64_t now_ms);

/* Loads and opens recording id into pcm; meta (may be NULL) gets the row
 * without its blob (free with store_recording_clear()). SK_ENOENT, and as
 * recording_open(). */
int recording_load(struct store_tx *tx, const struct privacy *p, int64_t id,
                   struct audio_pcm *pcm, struct store_recording *meta);

#endif
