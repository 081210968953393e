/* db_internal.h: the SQLite-level interface shared by db.c, record*.c and the db_*.c files
 * (the only files that include <sqlite3.h>): the raw handle, the per-connection cache of
 * prepared statements, and helpers that turn SQLite failures into a struct db_error. */
#ifndef PLENARY_DB_INTERNAL_H
#define PLENARY_DB_INTERNAL_H

#include <sqlite3.h>

#include "db.h"

/* Gives SQLite the mutexes of db_mutex.c (adaptive: they spin briefly before sleeping).
 * Called by db_global_init before SQLite is initialized. Returns 0, or -1. */
int db_mutex_configure(void);

/* The connection's SQLite handle; owned by db, never closed by the caller. */
sqlite3 *db_handle(struct db *db);

/* The slot of db_search.c's per-connection state: NULL until the connection's first search.
 * The state is not db's: the FTS5 function it registers frees it when the handle closes. */
void **db_search_state(struct db *db);

/* Returns the prepared statement for `sql`, preparing it on first use and caching it for
 * the life of the connection. The cache is keyed by the pointer `sql`, so `sql` must be a
 * string with static storage (a literal); the same literal always gets the same statement.
 * The statement comes back reset with its bindings cleared; call db_done() when finished so
 * that it releases its read snapshot. A statement is not re-entrant: do not use it again
 * while it is being stepped. Returns NULL when it does not prepare (message in
 * sqlite3_errmsg(db_handle(db))). The statement is owned by the cache: never finalize it. */
sqlite3_stmt *db_prepare(struct db *db, const char *sql);

/* Resets a statement from db_prepare (NULL is a no-op). */
void db_done(sqlite3_stmt *stmt);

/* Runs SQL with no result rows (one or more statements). Returns 0, or -1 with err filled
 * (err may be NULL). */
int db_exec(struct db *db, const char *sql, struct db_error *err);

/* Fills err (when not NULL and not already set: first error wins) with `what` and the
 * connection's last SQLite error. */
void db_fail(struct db *db, struct db_error *err, const char *what);

/* Fills err (when not NULL and not already set) with code and a printf-style message. */
void db_error_set(struct db_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sizes the page cache for a bulk write (an import) or back to the default (bulk = 0). */
int db_bulk(struct db *db, int bulk);

#endif
