/*
 * flowload.h - reading flow files and directories into a flow set, with
 * one diagnostic line per problem. Used by `serve`, `flow check` and
 * `simulate`. Start-up only: it reads files on the calling thread.
 */
#ifndef SK_FLOWLOAD_H
#define SK_FLOWLOAD_H

#include <stddef.h>
#include <stdio.h>

struct flow_set;

/*
 * Reads paths[0..n) into set and links it. A path is a flow file or an
 * export, or a directory whose *.json files are read in name order.
 * Every problem is written to diag as `file: flow "name": node N: reason`
 * (warnings too, their reason starting "WARNING: ", without failing);
 * when ok is not NULL, each good file gets a `file: N flows ok` line
 * there. Returns 0, SK_EINVAL when any problem was reported, SK_ENOMEM.
 */
int flowload_paths(struct flow_set *set, const char *const *paths, size_t n,
                   FILE *diag, FILE *ok);

/* As flowload_paths(), and once everything is loaded and linked, calls
 * each(arg, path, first, last) for every file read: its flows are the
 * set's indexes [first, last). each may be NULL. */
int flowload_paths_each(struct flow_set *set, const char *const *paths,
                        size_t n, FILE *diag, FILE *ok,
                        void (*each)(void *arg, const char *path, size_t first,
                                     size_t last),
                        void *arg);

#endif
