/*
 * test_zone.c - reading a zone's POSIX rule from the zone database, and
 * the [flows] timezone, date_format and country keys, and the cache of
 * zones flows name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "config.h"
#include "zone.h"

static void
test_system_zones(void **state)
{
    char err[SK_ERR_LEN] = "";
    char *rule;

    (void)state;
    if (access("/usr/share/zoneinfo/Africa/Nairobi", R_OK) != 0) {
        print_message("skipped: no zone database (tzdata)\n");
        skip();
    }
    rule = zone_rule("Africa/Nairobi", err);
    assert_non_null(rule);
    assert_string_equal(rule, "EAT-3");
    free(rule);
    rule = zone_rule("Europe/Paris", err);
    assert_non_null(rule);
    assert_string_equal(rule, "CET-1CEST,M3.5.0,M10.5.0/3");
    free(rule);
    assert_null(zone_rule("Nowhere/Atlantis", err));
    assert_non_null(strstr(err, "unknown"));
    err[0] = '\0';
    assert_null(zone_rule("../etc/passwd", err));
    assert_non_null(strstr(err, "not a zone name"));
}

/* A TZDIR with a version 1 file and a file that is not TZif. */
static void
test_bad_files(void **state)
{
    char dir[] = "/tmp/sk-zone-XXXXXX", path[512];
    char err[SK_ERR_LEN] = "";
    char v1[64] = "TZif";
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/Old", dir);
    assert_non_null(f = fopen(path, "wb"));
    fwrite(v1, 1, sizeof(v1), f); /* version byte 0: version 1 */
    fclose(f);
    snprintf(path, sizeof(path), "%s/Text", dir);
    assert_non_null(f = fopen(path, "wb"));
    fputs("this is not a zone file at all, but it is long enough\n", f);
    fclose(f);
    setenv("TZDIR", dir, 1);
    assert_null(zone_rule("Old", err));
    assert_non_null(strstr(err, "version 1"));
    err[0] = '\0';
    assert_null(zone_rule("Text", err));
    assert_non_null(strstr(err, "not a TZif file"));
    unsetenv("TZDIR");
    snprintf(path, sizeof(path), "%s/Old", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/Text", dir);
    unlink(path);
    rmdir(dir);
}

static struct config *
load_text(const char *text, char err[SK_ERR_LEN])
{
    char path[] = "/tmp/sk-zone-conf-XXXXXX";
    int fd = mkstemp(path);
    struct config *cfg;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    cfg = config_load(path, err);
    unlink(path);
    return cfg;
}

static void
test_config_keys(void **state)
{
    char err[SK_ERR_LEN] = "";
    struct config *cfg;

    (void)state;
    cfg = load_text("[flows]\ntimezone = Africa/Nairobi\n"
                    "date_format = YYYY-MM-DD\ncountry = KE\n",
                    err);
    assert_non_null(cfg);
    assert_string_equal(cfg->timezone, "Africa/Nairobi");
    assert_string_equal(cfg->date_format, "YYYY-MM-DD");
    assert_string_equal(cfg->country, "KE");
    config_free(cfg);
    cfg = load_text("[flows]\ntimezone = ../../etc/passwd\n", err);
    assert_null(cfg);
    assert_non_null(strstr(err, ":2: "));
    err[0] = '\0';
    cfg = load_text("[flows]\n\ndate_format = YY-MM\n", err);
    assert_null(cfg);
    assert_non_null(strstr(err, ":3: "));
    err[0] = '\0';
    cfg = load_text("[flows]\ncountry = kenya\n", err);
    assert_null(cfg);
    assert_non_null(strstr(err, "country code"));
}

/* The cache reads each zone once and keeps unknown names as unknown. */
static void
test_cache(void **state)
{
    struct zone_cache *c = zone_cache_new();
    const char *a, *b;

    (void)state;
    assert_non_null(c);
    assert_null(zone_cache_rule(NULL, "Europe/Paris"));
    if (access("/usr/share/zoneinfo/Europe/Paris", R_OK) != 0) {
        zone_cache_free(c);
        print_message("skipped: no zone database (tzdata)\n");
        skip();
    }
    a = zone_cache_rule(c, "Europe/Paris");
    assert_non_null(a);
    assert_string_equal(a, "CET-1CEST,M3.5.0,M10.5.0/3");
    b = zone_cache_rule(c, "Europe/Paris");
    assert_ptr_equal(a, b);
    assert_null(zone_cache_rule(c, "Nowhere/Atlantis"));
    assert_null(zone_cache_rule(c, "Nowhere/Atlantis"));
    assert_null(zone_cache_rule(c, "../etc/passwd"));
    assert_string_equal(zone_cache_rule(c, "America/Los_Angeles"),
                        "PST8PDT,M3.2.0,M11.1.0");
    zone_cache_free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_system_zones),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_config_keys),
        cmocka_unit_test(test_cache),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
