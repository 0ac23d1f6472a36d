/*
 * store_int.h - private to the store layer (gateway/store*.c, the only
 * files that include <sqlite3.h>) and the store's own tests: the write
 * connection of a job. Every other module asks for what it needs through
 * store.h, in its own words, so another backend can come later without
 * touching them.
 */
#ifndef SK_STORE_INT_H
#define SK_STORE_INT_H

#include <sqlite3.h>

struct store_tx; /* store.h */

/* The write connection of a job. Only inside a job; no BEGIN/COMMIT. Stop
 * writing when a statement fails with SQLITE_FULL/IOERR/NOMEM: sqlite may
 * have dropped the group's transaction (the store_tx functions then
 * return SK_EIO; raw statements would autocommit). */
sqlite3 *store_tx_sqlite(struct store_tx *tx);

#endif
