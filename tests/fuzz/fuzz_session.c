/*
 * fuzz_session.c - libFuzzer target: stored session JSON
 * (flow_session_load), as read back from the database.
 *
 * A session that loads is dumped, loaded again and dumped again (the two
 * dumps must be equal), and, when it is waiting, resumed against the
 * example flows with a message, a timeout and an expiry.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "flow.h"

#ifndef SK_FUZZ_FLOWS
#define SK_FUZZ_FLOWS "flows/examples/wellbeing_check.json"
#endif

static struct flow_set *set;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *path = getenv("SK_FUZZ_FLOWS");
    json_t *root;
    char *text;

    (void)argc;
    (void)argv;
    if (path == NULL)
        path = SK_FUZZ_FLOWS;
    root = json_load_file(path, 0, NULL);
    text = root ? json_dumps(root, 0) : NULL;
    set = flow_set_new();
    if (text == NULL || set == NULL ||
        flow_set_add_json(set, text, strlen(text), NULL, NULL) != 0 ||
        flow_set_link(set, NULL, NULL) != 0) {
        fprintf(stderr, "fuzz_session: cannot load %s\n", path);
        abort();
    }
    free(text);
    json_decref(root);
    return 0;
}

static void
resume(const char *dump, enum flow_resume_type type)
{
    char err[SK_ERR_LEN];
    struct flow_session *s = flow_session_load(dump, err);
    struct flow_resume r = {type, "1"};
    json_t *events = json_array();

    if (s != NULL && events != NULL && flow_session_status(s) == FLOW_WAITING) {
        flow_resume(set, s, &r, 1780000000000LL, events, err);
        free(flow_session_dump(s));
    }
    json_decref(events);
    flow_session_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[SK_ERR_LEN];
    char *json = malloc(size + 1), *d1 = NULL, *d2 = NULL;
    struct flow_session *s = NULL, *s2 = NULL;

    if (json == NULL)
        return 0;
    memcpy(json, data, size);
    json[size] = '\0';
    if ((s = flow_session_load(json, err)) == NULL)
        goto out;
    flow_session_status(s);
    flow_session_language(s);
    flow_session_flow(s);
    flow_session_timeout_at(s);
    flow_session_expires_at(s);
    if ((d1 = flow_session_dump(s)) == NULL)
        goto out;
    if ((s2 = flow_session_load(d1, err)) == NULL) {
        fprintf(stderr, "fuzz_session: own dump not loadable: %s\n", err);
        abort();
    }
    if ((d2 = flow_session_dump(s2)) != NULL && strcmp(d1, d2) != 0) {
        fprintf(stderr, "fuzz_session: dump changed on reload\n%s\n%s\n", d1,
                d2);
        abort();
    }
    resume(d1, FLOW_RESUME_MSG);
    resume(d1, FLOW_RESUME_TIMEOUT);
    resume(d1, FLOW_RESUME_EXPIRE);
out:
    free(d1);
    free(d2);
    flow_session_free(s);
    flow_session_free(s2);
    free(json);
    return 0;
}
