/*
 * failalloc.h - an allocation-failure switch for fault-injection tests.
 *
 * A test binary linked with
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup
 * sends every allocation of its own code and of sikiliza_core through
 * here; failalloc_jansson(), failalloc_openssl() and failalloc_sqlite()
 * send jansson's, OpenSSL's and sqlite's too. Armed, the switch fails
 * the Nth allocation from then on (and every later one unless once).
 * Test-only; the counters are atomic, so a helper thread (the store's
 * writer) may allocate while the test waits for it.
 */
#ifndef SK_FAILALLOC_H
#define SK_FAILALLOC_H

#include <stdbool.h>

/* Fails the nth allocation from now (1 is the next one); with once, only
 * that one, else it and every later one. */
void failalloc_arm(long nth, bool once);

/* Lets every allocation through again. */
void failalloc_disarm(void);

/* Allocations counted since the last arm or disarm. */
long failalloc_count(void);

/* Whether an allocation failed since the last arm. */
bool failalloc_failed(void);

/* Routes jansson's allocations through the switch. */
void failalloc_jansson(void);

/* Routes OpenSSL's allocations through the switch; call it before OpenSSL
 * allocates anything (first thing in main). 0, or -1 when too late. */
int failalloc_openssl(void);

/* Routes sqlite's allocations through the switch and initialises sqlite;
 * call it before sqlite is used (first thing in main). 0, or -1. */
int failalloc_sqlite(void);

#endif
