/*
 * voiceasr.h - a recorded answer heard as a call would hear it, for
 * `sikiliza simulate` (/audio FILE): the file is decoded and conditioned
 * (audio.h), and transcribed (asr.h) with a grammar of the waiting
 * router's closed set of words when there is one (flow_wait.h), else with
 * the open language model. The recogniser knows US English only: an
 * English closed set is heard without the words its dictionary lacks
 * (the open model when none is left); an answer in another language is not
 * transcribed at all ("needs listening") rather than given a made-up
 * transcript.
 *
 * Slow (loads a decoder): the command line's main thread only, never the
 * event loop.
 */
#ifndef SK_VOICEASR_H
#define SK_VOICEASR_H

#include <stdbool.h>
#include <stddef.h>

#include "asr.h"
#include "err.h"

struct flow_set;
struct flow_session;
struct flow_choices;

#define VOICEASR_TEXT_MAX 1024

struct voiceasr_result {
    char text[VOICEASR_TEXT_MAX]; /* "" when not understood */
    double confidence;
    bool grammar;         /* decoded with the closed set's grammar */
    bool needs_listening; /* not transcribed: a language it does not know */
};

/*
 * Writes a JSGF grammar whose sentences are the words of c, one
 * alternative each, to path (replacing it), leaving out those holding
 * anything but ASCII letters, apostrophes and spaces (the dictionary
 * cannot spell them). 0, SK_EINVAL when none is left, SK_EIO.
 */
int voiceasr_grammar_write(const struct flow_choices *c, const char *path);

/*
 * Hears the recording at path as the answer to the waiting run of s:
 * 0 with res filled; SK_EINVAL (an unreadable, corrupt or over-long
 * recording), SK_EIO (the recogniser failed), SK_ENOMEM; err says why.
 * base gives the model files (NULL members: the defaults).
 */
int voiceasr_hear_file(const struct flow_set *set, const struct flow_session *s,
                       const char *path, const struct asr_config *base,
                       struct voiceasr_result *res, char err[SK_ERR_LEN]);

#endif
