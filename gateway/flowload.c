/*
 * flowload.c - reading flow files into a flow set, for `serve`, `flow
 * check` and `simulate`. Paths are files or directories (their *.json
 * files in name order); every file is read whole (at most FLOW_FILE_MAX
 * bytes), added to the set, and the set is linked once all are in. Each
 * problem is reported as `file: flow "name": node N: reason`, naming the
 * file the flow came from even when the problem shows only at linking.
 * A reason that starts "WARNING: " (a missing translation) is printed
 * the same way but does not fail the load.
 *
 * Start-up only (the calling thread reads files and may block); the set
 * it fills is read-only afterwards.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "flow.h"
#include "flowload.h"

#define FLOW_FILE_MAX (16 * 1024 * 1024) /* bytes per flow file */

struct load_file {
    char *path;
    size_t first, last; /* the flows it added: set indexes [first, last) */
    int problems;
};

struct loader {
    struct flow_set *set;
    FILE *diag;
    struct load_file *files;
    size_t n, cap;
    struct load_file *cur; /* the file being added, NULL while linking */
    const char *fallback;  /* named when a problem has no file */
    int problems;
};

static struct load_file *
file_of_flow(struct loader *l, const char *flow)
{
    const struct flow *f = flow != NULL ? flow_set_find(l->set, flow) : NULL;
    size_t i, k;

    for (i = 0; f != NULL && i < flow_set_count(l->set); i++) {
        if (flow_set_at(l->set, i) != f)
            continue;
        for (k = 0; k < l->n; k++)
            if (i >= l->files[k].first && i < l->files[k].last)
                return &l->files[k];
    }
    return NULL;
}

static void
load_diag(void *arg, const char *flow, const char *node, const char *reason)
{
    struct loader *l = arg;
    struct load_file *file = l->cur != NULL ? l->cur : file_of_flow(l, flow);

    fprintf(l->diag, "%s: ", file != NULL ? file->path : l->fallback);
    if (flow != NULL)
        fprintf(l->diag, "flow \"%s\": ", flow);
    if (node != NULL)
        fprintf(l->diag, "node %s: ", node);
    fprintf(l->diag, "%s\n", reason != NULL ? reason : "invalid");
    if (reason != NULL && strncmp(reason, "WARNING: ", 9) == 0)
        return; /* reported, but the flows still load */
    if (file != NULL)
        file->problems++;
    l->problems++;
}

static char *
read_file(const char *path, size_t *len, char err[SK_ERR_LEN])
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;

    if (f == NULL) {
        sk_seterr(err, "cannot open: %s", strerror(errno));
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            char *nb;

            if (cap >= FLOW_FILE_MAX) {
                sk_seterr(err, "larger than %d bytes", FLOW_FILE_MAX);
                goto fail;
            }
            cap = cap == 0 ? 65536 : cap * 2;
            if ((nb = realloc(buf, cap + 1)) == NULL) {
                sk_seterr(err, "out of memory");
                goto fail;
            }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        sk_seterr(err, "cannot read: %s", strerror(errno));
        goto fail;
    }
    fclose(f);
    if (buf == NULL && (buf = malloc(1)) == NULL) {
        sk_seterr(err, "out of memory");
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    fclose(f);
    free(buf);
    return NULL;
}

static int
loader_push(struct loader *l, const char *path)
{
    if (l->n == l->cap) {
        size_t cap = l->cap == 0 ? 8 : l->cap * 2;
        struct load_file *nf = realloc(l->files, cap * sizeof(*nf));

        if (nf == NULL)
            return SK_ENOMEM;
        l->files = nf;
        l->cap = cap;
    }
    memset(&l->files[l->n], 0, sizeof(l->files[0]));
    if ((l->files[l->n].path = strdup(path)) == NULL)
        return SK_ENOMEM;
    l->n++;
    return 0;
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Pushes the *.json files of dir in name order. */
static int
loader_push_dir(struct loader *l, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL, *full;
    size_t n = 0, cap = 0, i, len;
    int rc = 0;

    if (d == NULL) {
        fprintf(l->diag, "%s: cannot open directory: %s\n", dir,
                strerror(errno));
        l->problems++;
        return 0;
    }
    while ((e = readdir(d)) != NULL) {
        len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 5 ||
            strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        if (n == cap) {
            char **nn =
                realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*names));

            if (nn == NULL) {
                rc = SK_ENOMEM;
                goto out;
            }
            names = nn;
        }
        if ((names[n] = strdup(e->d_name)) == NULL) {
            rc = SK_ENOMEM;
            goto out;
        }
        n++;
    }
    if (n > 0)
        qsort(names, n, sizeof(*names), cmp_names);
    for (i = 0; i < n && rc == 0; i++) {
        len = strlen(dir);
        full = malloc(len + strlen(names[i]) + 2);
        if (full == NULL) {
            rc = SK_ENOMEM;
            break;
        }
        sprintf(full, "%s%s%s", dir, len > 0 && dir[len - 1] == '/' ? "" : "/",
                names[i]);
        rc = loader_push(l, full);
        free(full);
    }
out:
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

int
flowload_paths(struct flow_set *set, const char *const *paths, size_t n,
               FILE *diag, FILE *ok)
{
    return flowload_paths_each(set, paths, n, diag, ok, NULL, NULL);
}

int
flowload_paths_each(struct flow_set *set, const char *const *paths, size_t n,
                    FILE *diag, FILE *ok,
                    void (*each)(void *arg, const char *path, size_t first,
                                 size_t last),
                    void *arg)
{
    struct loader l = {.set = set, .diag = diag};
    struct stat st;
    size_t i, len;
    int rc = 0;

    l.fallback = n > 0 ? paths[0] : "flows";
    for (i = 0; i < n && rc == 0; i++) {
        if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode))
            rc = loader_push_dir(&l, paths[i]);
        else
            rc = loader_push(&l, paths[i]);
    }
    for (i = 0; i < l.n && rc == 0; i++) {
        char err[SK_ERR_LEN] = "";
        char *text = read_file(l.files[i].path, &len, err);
        int arc;

        if (text == NULL) {
            fprintf(diag, "%s: %s\n", l.files[i].path, err);
            l.files[i].problems++;
            l.problems++;
            continue;
        }
        l.cur = &l.files[i];
        l.files[i].first = flow_set_count(set);
        arc = flow_set_add_json(set, text, len, load_diag, &l);
        l.files[i].last = flow_set_count(set);
        l.cur = NULL;
        free(text);
        if (arc == SK_ENOMEM)
            rc = SK_ENOMEM;
        else if (arc != 0 && l.files[i].problems == 0) {
            l.cur = &l.files[i];
            load_diag(&l, NULL, NULL, "not a valid flow file");
            l.cur = NULL;
        }
    }
    if (rc == 0 && l.problems == 0) {
        int lrc = flow_set_link(set, load_diag, &l);

        if (lrc == SK_ENOMEM)
            rc = SK_ENOMEM;
        else if (lrc != 0 && l.problems == 0)
            load_diag(&l, NULL, NULL, "flows do not link");
    }
    if (rc == 0 && l.problems == 0 && ok != NULL)
        for (i = 0; i < l.n; i++) {
            size_t nf = l.files[i].last - l.files[i].first;

            fprintf(ok, "%s: %zu flow%s ok\n", l.files[i].path, nf,
                    nf == 1 ? "" : "s");
        }
    if (rc == 0 && l.problems == 0 && each != NULL)
        for (i = 0; i < l.n; i++)
            each(arg, l.files[i].path, l.files[i].first, l.files[i].last);
    if (rc == SK_ENOMEM)
        fprintf(diag, "%s: out of memory\n", l.fallback);
    for (i = 0; i < l.n; i++)
        free(l.files[i].path);
    free(l.files);
    if (rc != 0)
        return rc;
    return l.problems > 0 ? SK_EINVAL : 0;
}
