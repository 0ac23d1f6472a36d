/*
 * node.c - what a person sees of a node: the label the RapidPro editor
 * would show for it (its first message's first words or its result name,
 * then its UUID) and its translated texts. Used by the loader, the flow
 * check and the runner; pure, any thread.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "flow_int.h"
#include "utf8.h"

#define LABEL_WORDS 5
#define LABEL_BYTES 40

/* The label of node nj at position pos (0 based); see fl_node_label(). */
void
fl_node_label_json(const json_t *nj, size_t pos, char *buf, size_t len)
{
    const char *uuid = json_string_value(json_object_get(nj, "uuid"));
    const char *txt = NULL, *p;
    const json_t *a;
    size_t i, n = 0, words = 0;
    char words_buf[LABEL_BYTES + 8];
    bool more = false;

    json_array_foreach(json_object_get(nj, "actions"), i, a)
    {
        const char *type = json_string_value(json_object_get(a, "type"));

        if (type != NULL &&
            (strcmp(type, "send_msg") == 0 || strcmp(type, "say_msg") == 0)) {
            txt = json_string_value(json_object_get(a, "text"));
            break;
        }
    }
    if (txt == NULL || txt[0] == '\0')
        txt = json_string_value(
            json_object_get(json_object_get(nj, "router"), "result_name"));
    for (p = txt; p != NULL && *p != '\0';) {
        size_t w = 0;

        while (isspace((unsigned char)*p))
            p++;
        while (p[w] != '\0' && !isspace((unsigned char)p[w]))
            w++;
        if (w == 0)
            break;
        if (words == LABEL_WORDS || n + w + 1 > LABEL_BYTES) {
            more = true;
            break;
        }
        if (words > 0)
            words_buf[n++] = ' ';
        memcpy(words_buf + n, p, w);
        n += w;
        words++;
        p += w;
    }
    words_buf[n] = '\0';
    if (words == 0 && txt != NULL && txt[0] != '\0') { /* one long word */
        size_t cut = strlen(txt) > LABEL_BYTES
                         ? sk_utf8_back(txt, LABEL_BYTES + 1)
                         : strlen(txt);

        snprintf(words_buf, sizeof(words_buf), "%.*s", (int)cut, txt);
        more = cut < strlen(txt);
    }
    if (words_buf[0] != '\0')
        snprintf(buf, len, "\"%s%s\" (uuid %s)", words_buf, more ? "..." : "",
                 uuid ? uuid : "none");
    else
        snprintf(buf, len, "%zu (uuid %s)", pos + 1, uuid ? uuid : "none");
}

void
fl_node_label(const struct flow *f, size_t i, char *buf, size_t len)
{
    fl_node_label_json(json_array_get(json_object_get(f->def, "nodes"), i), i,
                       buf, len);
}

const json_t *
fl_localized(const struct flow *f, const char *lang, const char *item,
             const char *prop)
{
    const json_t *t;

    if (f->loc == NULL || lang == NULL || item == NULL)
        return NULL;
    t = json_object_get(json_object_get(f->loc, lang), item);
    t = json_object_get(t, prop);
    return json_is_array(t) ? t : NULL;
}
