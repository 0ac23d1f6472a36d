/*
 * fuzz_flow.c - libFuzzer target: flow definitions (flow_set_add_json).
 *
 * The input is a flow file as staff would upload it. When it loads and
 * links, every flow in it is also run a little: started, resumed with a
 * few typical answers, a timeout and an expiry, its session dumped and
 * loaded back, so that a definition the loader accepts cannot crash the
 * runner either.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "flow.h"

#define T0_MS 1780000000000LL

static void
each_msg(void *arg, const char *node, const char *lang, const char *text)
{
    (void)arg;
    (void)node;
    (void)lang;
    (void)text;
}

static void
run_flow(const struct flow_set *set, const struct flow *f)
{
    static const char *const inputs[] = {"1", "yes", "", "3 a camp", "12"};
    char err[SK_ERR_LEN];
    struct flow_session *s = flow_session_new("eng", 42), *s2;
    json_t *events = json_array();
    int64_t now = T0_MS;
    char *dump;

    if (s == NULL || events == NULL)
        goto out;
    if (flow_start(set, s, f, "hi", now, events, err) != 0)
        goto out;
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]) + 2; i++) {
        struct flow_resume r = {FLOW_RESUME_MSG, NULL};

        if (flow_session_status(s) != FLOW_WAITING)
            break;
        if (i < sizeof(inputs) / sizeof(inputs[0]))
            r.text = inputs[i];
        else
            r.type = i == sizeof(inputs) / sizeof(inputs[0])
                         ? FLOW_RESUME_TIMEOUT
                         : FLOW_RESUME_EXPIRE;
        now += 60000;
        if (flow_resume(set, s, &r, now, events, err) != 0)
            break;
        /* a round trip through storage, as between two messages */
        if ((dump = flow_session_dump(s)) == NULL)
            break;
        s2 = flow_session_load(dump, err);
        free(dump);
        if (s2 == NULL)
            abort(); /* the engine cannot read its own dump */
        flow_session_free(s);
        s = s2;
    }
out:
    json_decref(events);
    flow_session_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct flow_set *set = flow_set_new();

    if (set == NULL)
        return 0;
    if (flow_set_add_json(set, (const char *)data, size, NULL, NULL) == 0 &&
        flow_set_link(set, NULL, NULL) == 0) {
        for (size_t i = 0; i < flow_set_count(set) && i < 4; i++) {
            flow_each_message(flow_set_at(set, i), each_msg, NULL);
            run_flow(set, flow_set_at(set, i));
        }
        flow_set_match_keyword(set, "hi there");
    }
    flow_set_free(set);
    return 0;
}
