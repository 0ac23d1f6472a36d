/*
 * zone.c - reads the POSIX TZ rule of a zone from its TZif file (see
 * zone.h). A TZif file of version 2 or later ends with "\n<rule>\n"; the
 * engine evaluates the rule itself, so nothing else of the file is needed.
 * zone_cache keeps the rules read for flows that name other zones.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tz.h"
#include "zone.h"

#define ZONE_MAX_FILE (1 << 20) /* zone files are a few KiB */

char *
zone_rule(const char *name, char err[SK_ERR_LEN])
{
    const char *dir = getenv("TZDIR");
    char path[1024], *buf = NULL, *rule = NULL, *start;
    FILE *f = NULL;
    long len;

    if (dir == NULL || dir[0] == '\0')
        dir = "/usr/share/zoneinfo";
    if (name == NULL || name[0] == '/' || strstr(name, "..") != NULL ||
        (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
            sizeof(path)) {
        sk_seterr(err, "timezone %s: not a zone name", name ? name : "");
        return NULL;
    }
    if ((f = fopen(path, "rb")) == NULL) {
        sk_seterr(err, "timezone %s: unknown (no %s)", name, path);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 44 ||
        len > ZONE_MAX_FILE || fseek(f, 0, SEEK_SET) != 0 ||
        (buf = malloc((size_t)len + 1)) == NULL ||
        fread(buf, 1, (size_t)len, f) != (size_t)len) {
        sk_seterr(err, "timezone %s: cannot read %s", name, path);
        goto out;
    }
    buf[len] = '\0';
    if (memcmp(buf, "TZif", 4) != 0) {
        sk_seterr(err, "timezone %s: %s is not a TZif file", name, path);
        goto out;
    }
    if (buf[4] < '2' || buf[len - 1] != '\n') {
        sk_seterr(err, "timezone %s: %s has no rule (TZif version 1)", name,
                  path);
        goto out;
    }
    buf[len - 1] = '\0';
    /* the file holds NUL bytes: look for the newline from the end */
    for (start = buf + len - 2; start > buf && *start != '\n'; start--)
        ;
    if (*start != '\n' || !tz_rule_valid(start + 1)) {
        sk_seterr(err, "timezone %s: %s has no rule the engine reads", name,
                  path);
        goto out;
    }
    rule = strdup(start + 1);
    if (rule == NULL)
        sk_seterr(err, "out of memory");
out:
    free(buf);
    fclose(f);
    return rule;
}

struct zone_entry {
    char *name;
    char *rule; /* NULL: unknown */
};

struct zone_cache {
    pthread_mutex_t mu;
    struct zone_entry e[ZONE_CACHE_MAX];
    size_t n;
};

struct zone_cache *
zone_cache_new(void)
{
    struct zone_cache *c = calloc(1, sizeof(*c));

    if (c != NULL && pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

void
zone_cache_free(struct zone_cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->e[i].name);
        free(c->e[i].rule);
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

const char *
zone_cache_rule(void *cache, const char *name)
{
    struct zone_cache *c = cache;
    char err[SK_ERR_LEN] = "";
    const char *rule = NULL;
    size_t i;

    if (c == NULL || name == NULL)
        return NULL;
    pthread_mutex_lock(&c->mu);
    for (i = 0; i < c->n && strcmp(c->e[i].name, name) != 0; i++)
        ;
    if (i < c->n)
        rule = c->e[i].rule;
    else if (c->n < ZONE_CACHE_MAX &&
             (c->e[c->n].name = strdup(name)) != NULL) {
        /* an unknown zone is kept as such: the name is not read again */
        c->e[c->n].rule = zone_rule(name, err);
        rule = c->e[c->n++].rule;
    }
    pthread_mutex_unlock(&c->mu);
    return rule;
}
