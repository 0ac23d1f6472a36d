/*
 * fuzz_config.c - libFuzzer target: the INI configuration (config_load).
 *
 * config_load reads a file, so each input is written to one file in a
 * private temporary directory made at start (removed at exit); relative
 * paths in it resolve against that directory.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char dir[512], path[600];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");

    (void)argc;
    (void)argv;
    snprintf(dir, sizeof(dir), "%s/sk_fuzz_config_XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("fuzz_config: mkdtemp");
        abort();
    }
    snprintf(path, sizeof(path), "%s/sikiliza.conf", dir);
    atexit(cleanup);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[SK_ERR_LEN];
    FILE *fp = fopen(path, "wb");

    if (fp == NULL)
        abort();
    if (fwrite(data, 1, size, fp) != size || fclose(fp) != 0)
        abort();
    config_free(config_load(path, err));
    return 0;
}
