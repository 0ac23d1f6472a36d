/*
 * test_media.c - a voice channel's recording fetch policy from its
 * config: the provider's own host, the operator's media_hosts (local),
 * credentials, and the media_hosts check config_load() runs.
 */
#include <stdbool.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "channel.h"
#include "media.h"

static void
test_twilio_policy(void **state)
{
    struct config_channel ch;
    struct media_policy mp;
    char err[SK_ERR_LEN] = "";
    char url[64];

    (void)state;
    memset(&ch, 0, sizeof(ch));
    ch.name = "tw";
    ch.type = "twilio";
    ch.account_sid = "AC1";
    ch.auth_token = "tok";
    ch.media_hosts = " media.example.org ,127.0.0.1, API.twilio.com";
    assert_int_equal(media_policy_init(&mp, &ch, err), 0);
    assert_int_equal(mp.policy.n_hosts, 3);
    assert_string_equal(mp.policy.hosts[0], "api.twilio.com");
    assert_string_equal(mp.policy.hosts[1], "media.example.org");
    assert_string_equal(mp.policy.hosts[2], "127.0.0.1");
    assert_int_equal(mp.policy.n_local, 2);
    assert_string_equal(mp.policy.local_hosts[0], "media.example.org");
    assert_string_equal(mp.policy.local_hosts[1], "127.0.0.1");
    assert_string_equal(mp.policy.user, "AC1");
    assert_string_equal(mp.policy.password, "tok");

    /* what the policy lets through */
    assert_int_equal(
        fetch_check_url(&mp.policy,
                        "https://api.twilio.com/2010-04-01/Accounts/AC1/"
                        "Recordings/RE1.wav",
                        NULL),
        0);
    assert_int_equal(
        fetch_check_url(&mp.policy, "http://api.twilio.com/r.wav", err),
        SK_EINVAL);
    assert_true(strncmp(err, "scheme:", 7) == 0);
    assert_int_equal(
        fetch_check_url(&mp.policy, "http://127.0.0.1:8089/r.wav", NULL), 0);
    strcpy(url, "https://evil.example.org/r.wav");
    assert_int_equal(fetch_check_url(&mp.policy, url, NULL), SK_EINVAL);
}

static void
test_other_types(void **state)
{
    struct config_channel ch;
    struct media_policy mp;
    char err[SK_ERR_LEN] = "";

    (void)state;
    memset(&ch, 0, sizeof(ch));
    ch.name = "at";
    ch.type = "africastalking";
    assert_int_equal(media_policy_init(&mp, &ch, err), 0);
    assert_int_equal(mp.policy.n_hosts, 0); /* only what media_hosts lists */
    assert_null(mp.policy.user);
    ch.media_hosts = "voice.example.org";
    assert_int_equal(media_policy_init(&mp, &ch, err), 0);
    assert_int_equal(mp.policy.n_hosts, 1);
    assert_int_equal(mp.policy.n_local, 1);

    ch.type = "vonage";
    ch.media_hosts = NULL;
    assert_int_equal(media_policy_init(&mp, &ch, err), 0);
    assert_int_equal(mp.policy.n_hosts, 1);
    assert_string_equal(mp.policy.hosts[0], "api.nexmo.com");
    assert_int_equal(mp.policy.n_local, 0);

    ch.type = "nosuch";
    assert_int_equal(media_policy_init(&mp, &ch, err), SK_EINVAL);
    assert_non_null(strstr(err, "type"));
}

static void
test_media_hosts_check(void **state)
{
    static const char *const bad[] = {
        "",    "a,,b",        "a b",
        "a,",  "http://a",    "a/b",
        "a;b", "h\xc3\xa9.x", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p",
    };
    static const char *const good[] = {"api.twilio.com, 127.0.0.1", "[::1]",
                                       "a", " a , b ",
                                       "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o"};
    char hosts[CHANNEL_MEDIA_HOSTS][CHANNEL_MEDIA_HOST_LEN];
    char longname[CHANNEL_MEDIA_HOST_LEN + 8];
    const char *reason;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_non_null(channel_media_hosts_check(bad[i]));
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_null(channel_media_hosts_check(good[i]));
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_non_null(channel_media_hosts_check(longname));
    longname[CHANNEL_MEDIA_HOST_LEN - 1] = '\0';
    assert_int_equal(channel_media_hosts_split(longname, hosts, &reason), 1);
    assert_int_equal(strlen(hosts[0]), CHANNEL_MEDIA_HOST_LEN - 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_twilio_policy),
        cmocka_unit_test(test_other_types),
        cmocka_unit_test(test_media_hosts_check),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
